// The Segments table's terminology catalogue (segmentation/terminology.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "twinplan/segmentation/presets.h"
#include "twinplan/segmentation/terminology.h"

namespace twinplan::segmentation {
namespace {

TEST(Terminology, EveryPresetsCodeIsInTheCatalogueWithItsTissue) {
  for (const PresetInfo& info : presetCatalogue()) {
    const Segment made = presetSegment(info.preset);
    const TerminologyEntry* entry = findTerminology(made.terminology.type);
    ASSERT_NE(entry, nullptr) << info.name;
    EXPECT_EQ(entry->terminology.category, made.terminology.category) << info.name;
    EXPECT_EQ(entry->terminology.type.meaning, made.terminology.type.meaning) << info.name;
    EXPECT_EQ(entry->tissueType, made.tissueType) << info.name;
  }
}

TEST(Terminology, CodesAreUniqueSnomedAndTissuesKnown) {
  std::set<std::string> codes;
  const auto& tissues = knownTissueTypes();
  EXPECT_TRUE(std::is_sorted(tissues.begin(), tissues.end()));
  for (const TerminologyEntry& e : terminologyCatalogue()) {
    EXPECT_TRUE(codes.insert(e.terminology.type.value).second) << e.terminology.type.value;
    EXPECT_EQ(e.terminology.type.scheme, "SCT");
    EXPECT_FALSE(e.terminology.type.meaning.empty());
    // SNOMED CT identifiers are digits (6 to 18) without a leading zero.
    const std::string& v = e.terminology.type.value;
    EXPECT_TRUE(v.size() >= 6 && v.size() <= 18 && v.front() != '0' &&
                std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        << v;
    if (!e.tissueType.empty()) {
      EXPECT_TRUE(std::binary_search(tissues.begin(), tissues.end(), e.tissueType)) << e.tissueType;
    }
  }
}

TEST(Terminology, SearchByMeaningCategoryOrCode) {
  const auto neoplasms = searchTerminology("neoplasm");
  ASSERT_EQ(neoplasms.size(), 3u);  // Neoplasm; Neoplasm, Primary; Neoplasm, Secondary
  EXPECT_EQ(neoplasms[0].terminology.type.value, "108369006");
  const auto liver = searchTerminology("10200004");
  ASSERT_EQ(liver.size(), 1u);
  EXPECT_EQ(liver[0].terminology.type.meaning, "Liver");
  EXPECT_EQ(liver[0].tissueType, "liver");
  EXPECT_EQ(searchTerminology("LIVER").size(), 1u);
  const auto abnormal = searchTerminology("morphologically");
  EXPECT_EQ(abnormal.size(), 11u);  // the CID 7159 lesion types in the catalogue
  EXPECT_EQ(searchTerminology("").size(), terminologyCatalogue().size());
  EXPECT_TRUE(searchTerminology("no such thing").empty());
}

}  // namespace
}  // namespace twinplan::segmentation
