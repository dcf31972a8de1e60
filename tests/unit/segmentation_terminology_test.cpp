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

TEST(Terminology, BrainTissuesCarryTheirCnsCodes) {
  // DICOM PS3.16 CID 7153 "CNS Segmentation Type": Gray Matter 389081007, White Matter
  // 389080008, Cerebrospinal Fluid 65216001, Brain 12738006; each with the tissue key the
  // head phantom's true segments use (phantom/src/head.cpp).
  struct Expected {
    const char *code, *meaning, *tissue;
  };
  for (const Expected& e : {Expected{"389081007", "Gray matter", "grey-matter"},
                            Expected{"389080008", "White matter", "white-matter"},
                            Expected{"65216001", "Cerebrospinal fluid", "csf"},
                            Expected{"12738006", "Brain", "brain"}}) {
    const TerminologyEntry* entry = findTerminology({e.code, "SCT", ""});
    ASSERT_NE(entry, nullptr) << e.code;
    EXPECT_EQ(entry->terminology.type.meaning, e.meaning);
    EXPECT_EQ(entry->tissueType, e.tissue);
  }
  EXPECT_EQ(searchTerminology("matter").size(), 2u);
  // The brain preset's mask (grey and white matter, ventricles filled) is the brain.
  const Segment brain = presetSegment(PresetName::BrainMask);
  EXPECT_EQ(brain.terminology.type.value, "12738006");
  EXPECT_EQ(brain.terminology.category.value, "123037004");
  EXPECT_EQ(brain.tissueType, "brain");
}

TEST(Terminology, RightAndLeftLungAreCoded) {
  // SNOMED CT 3341006 "Right lung", 44029006 "Left lung": the lungs preset's two segments.
  const std::vector<Segment> lungs = presetSegments(PresetName::Lungs);
  ASSERT_GE(lungs.size(), 2u);
  for (std::size_t n = 0; n < 2; ++n) {
    const TerminologyEntry* entry = findTerminology(lungs[n].terminology.type);
    ASSERT_NE(entry, nullptr) << lungs[n].name;
    EXPECT_EQ(entry->terminology.type.meaning, lungs[n].name);
    EXPECT_EQ(entry->tissueType, "lung");
  }
  EXPECT_EQ(lungs[0].terminology.type.value, "3341006");
  EXPECT_EQ(lungs[1].terminology.type.value, "44029006");
  EXPECT_EQ(searchTerminology(" lung").size(), 2u);  // "Left lung", "Right lung"
}

}  // namespace
}  // namespace twinplan::segmentation
