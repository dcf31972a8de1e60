// `twinplan-cli segment` end to end on the abdomen phantom's case file: the real binary, its exit
// codes, and the segments it adds compared with the phantom's truth.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "chest_fixture.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/io/dicom_writer.h"
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

TEST_F(SegmentCli, LungsPresetMakesTheRightAndTheLeftLung) {
  // Lungs joined at an anterior junction 20 mm left of the body's midline (the chest of
  // unit/segmentation_presets_test): the case gets "Right lung" and "Left lung", each matching
  // its side of the truth, and the CLI reports both.
  const test::ConstructedChest chest = test::constructedChest(
      40, {Vec3(-55, 5, 10), Vec3(55, 65, 85)}, {Vec3(90, 5, 10), Vec3(50, 60, 80)},
      {Vec3(0, -70, -100), Vec3(10, 10, 10)}, {Vec3(20, 45, 20), Vec3(40, 15, 40)}, false, 20.0);
  Case twin;
  twin.name = "Chest";
  twin.volumes.push_back(chest.ct);
  twin.volumes.back().name = "CT";
  const std::string in = (dir_->path() / "chest.twinplan").string();
  const std::string out = (dir_->path() / "lungs.twinplan").string();
  saveCase(twin, in);
  const auto result =
      test::runCommand(cli() + " --json segment " + in + " --preset lungs --out " + out);
  ASSERT_EQ(result.status, 0) << result.output;
  const json r = json::parse(result.output);
  ASSERT_EQ(r["segments"].size(), 2u);  // no trachea in this chest: no airways
  EXPECT_EQ(r["segments"][0]["name"], "Right lung");
  EXPECT_EQ(r["segments"][1]["name"], "Left lung");
  EXPECT_NEAR(r["segments"][0]["volume_ml"].get<double>(), chest.right.volume_ml(),
              0.01 * chest.right.volume_ml());
  EXPECT_NEAR(r["segments"][1]["volume_ml"].get<double>(), chest.left.volume_ml(),
              0.01 * chest.left.volume_ml());
  const Case segmented = loadCase(out);
  const LabelMap& labels = segmented.labelMaps.at(0);
  for (const auto& [name, truth, code] : {std::tuple{"Right lung", &chest.right, "3341006"},
                                          std::tuple{"Left lung", &chest.left, "44029006"}}) {
    const auto index = labels.findSegment(name);
    ASSERT_TRUE(index) << name;
    const Segment& made = labels.segments()[*index];
    EXPECT_EQ(made.terminology.type.value, code);
    segmentation::RegionMask mask{labels.geometry(),
                                  std::vector<std::uint8_t>(labels.geometry().voxelCount())};
    for (std::size_t v = 0; v < mask.inside.size(); ++v)
      mask.inside[v] = labels.layer(made.layer)[v] == made.value;
    EXPECT_GE(segmentation::dice(mask, *truth), 0.995) << name;
  }
  // The text form names both.
  const auto text = test::runCommand(cli() + " segment " + in + " --preset lungs --out " + out);
  EXPECT_NE(text.output.find("Segmented Right lung (lung)"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Segmented Left lung (lung)"), std::string::npos) << text.output;
}

TEST_F(SegmentCli, ModelOfAChestWithOnlyTheLeftLung) {
  // `model` on a CT series with the left lung only: the lungs preset's right lung is empty and
  // its left lung is modelled (before, the preset counted as having found nothing because its
  // first segment was empty, and the run failed with nothing to model).
  const test::ConstructedChest chest =
      test::constructedChest(30, {}, {Vec3(60, 0, 0), Vec3(45, 60, 70)}, {});
  ImageVolume ct = chest.ct;
  ct.name = "CT";
  const auto series = dir_->path() / "left-lung-series";
  const io::DicomWriteOptions options;
  io::writeDicomSeries(ct, series, options);
  const auto out = dir_->path() / "left-lung-model";
  const auto result = test::runCommand(cli() + " --json model " + series.string() +
                                       " --preset lungs --out " + out.string());
  ASSERT_EQ(result.status, 0) << result.output;
  const json r = json::parse(result.output);
  ASSERT_EQ(r["segments"].size(), 1u) << r.dump();
  EXPECT_EQ(r["segments"][0]["name"], "Left lung");
  EXPECT_EQ(r["segments"][0]["tissueType"], "lung");
  EXPECT_NEAR(r["segments"][0]["voxel_volume_ml"].get<double>(), chest.left.volume_ml(),
              0.01 * chest.left.volume_ml());
  EXPECT_TRUE(std::filesystem::exists(out / "Left_lung.glb"));
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
