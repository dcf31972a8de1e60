// `twinplan-cli segment` end to end on the abdomen phantom's case file: the real binary, its exit
// codes, and the segments it adds compared with the phantom's truth.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

using nlohmann::json;

std::string cli() { return test::cliPath().string(); }

// Dice of segment `name` (any layer) with the layer-0 truth segments of `tissueType`.
double diceWithTruth(const LabelMap& labels, const std::string& name, const std::string& tissue) {
  const auto found = labels.findSegment(name);
  EXPECT_TRUE(found) << name;
  if (!found) return 0.0;
  std::set<std::uint16_t> truthValues;
  for (const Segment& s : labels.segments())
    if (s.layer == 0 && s.tissueType == tissue) truthValues.insert(s.value);
  const Segment& made = labels.segments()[*found];
  const auto& truthLayer = labels.layer(0);
  const auto& madeLayer = labels.layer(made.layer);
  std::size_t both = 0, a = 0, b = 0;
  for (std::size_t v = 0; v < truthLayer.size(); ++v) {
    const bool inTruth = truthValues.count(truthLayer[v]) != 0;
    const bool inMade = madeLayer[v] == made.value;
    a += inTruth;
    b += inMade;
    both += inTruth && inMade;
  }
  return 2.0 * double(both) / double(a + b);
}

class SegmentCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The phantom case at half resolution (what `twinplan-cli phantom` writes, with 3 mm voxels)
    // keeps the test in seconds; tests/slow runs the presets at full size.
    dir_ = new test::TempDir("twinplan-segment-cli");
    phantom::PhantomOptions options;
    options.scale = 0.5;
    options.surfaceModels = false;
    saveCase(phantom::makePhantom(options).twin, dir_->path() / "abdomen.twinplan");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string casePath() { return (dir_->path() / "abdomen.twinplan").string(); }
  static test::TempDir* dir_;
};
test::TempDir* SegmentCli::dir_ = nullptr;

TEST_F(SegmentCli, BonePresetAddsABoneSegmentMatchingTheTruth) {
  const std::string out = (dir_->path() / "bone.twinplan").string();
  const auto result =
      test::runCommand(cli() + " --json segment " + casePath() + " --preset bone --out " + out);
  ASSERT_EQ(result.status, 0) << result.output;
  const json r = json::parse(result.output);
  EXPECT_EQ(r["segment"], "Bone");
  EXPECT_EQ(r["tissueType"], "bone");
  const Case twin = loadCase(out);
  const LabelMap& labels = twin.labelMaps.at(0);
  const Segment& bone = labels.segments()[*labels.findSegment("Bone")];
  EXPECT_EQ(bone.terminology.type.value, "272673000");
  EXPECT_GE(diceWithTruth(labels, "Bone", "bone"), 0.97);
  EXPECT_EQ(twin.provenance.back()["step"], "segment");
}

TEST_F(SegmentCli, LiverFromASeedInLps) {
  // A point deep in the right lobe of the phantom's liver (centre (-70, -5, 55) mm, semi-axes
  // 75/80/75 mm), 22 mm from the nearest tumour and portal branch.
  const std::string out = (dir_->path() / "liver.twinplan").string();
  const auto result = test::runCommand(cli() + " segment " + casePath() +
                                       " --preset liver --seed -60,30,80 --out " + out + " 2>&1");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("Segmented Liver"), std::string::npos) << result.output;
  const Case twin = loadCase(out);
  // The truth's own "Liver" keeps its name; the preset's becomes "Liver 2".
  EXPECT_GE(diceWithTruth(twin.labelMaps.at(0), "Liver 2", "liver"), 0.97);
}

TEST_F(SegmentCli, ClearErrorsAndExitCodes) {
  const std::string out = (dir_->path() / "never.twinplan").string();
  struct Case {
    std::string args, message;
    int status;
  };
  const std::vector<Case> cases = {
      {"--preset kidney", "no segmentation preset \"kidney\"", 3},
      {"--preset liver", "needs a seed point", 3},
      {"--preset liver --seed 0,0,900", "outside the image", 3},
      {"--preset liver --seed 1,2", "--seed: At least 3 required", 2},  // a usage error
      {"--preset brain", "works on MR", 5},
  };
  for (const Case& c : cases) {
    const auto result = test::runCommand(cli() + " segment " + casePath() + " " + c.args +
                                         " --out " + out + " 2>&1");
    EXPECT_EQ(result.status, c.status) << c.args << "\n" << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << c.args << "\n" << result.output;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(SegmentCli, TheJobCatalogueListsSegment) {
  const auto result = test::runCommand(cli() + " jobs");
  ASSERT_EQ(result.status, 0);
  const json catalogue = json::parse(result.output);
  bool found = false;
  for (const auto& kind : catalogue) found = found || kind["job"] == "segment";
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace twinplan
