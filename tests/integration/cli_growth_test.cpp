// `twinplan-cli growth` end to end (issue #15 item 4) through the real binary: a case of two
// studies of the head phantom 90 days apart - the follow-up moved by a known rigid motion in its
// own frame of reference - with tumours of known voxel counts. The text and JSON tables, the
// registration --register stores (against the known motion), and another patient refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string cli() { return test::cliPath().string(); }

// A box of voxels of one segment "Tumour" at (i0..i0+n-1, 20..23, 10..11) of `grid`.
LabelMap tumourLabels(const ImageGeometry& grid, const std::string& name, int nx) {
  LabelMap labels(grid);
  labels.name = name;
  Segment s;
  s.name = "Tumour";
  s.colour = {230, 60, 40};
  const Segment& added = labels.segments()[labels.addSegment(s)];
  for (int k = 10; k < 12; ++k)
    for (int j = 20; j < 24; ++j)
      for (int i = 30; i < 30 + nx; ++i)
        labels.layer(added.layer)[grid.linearIndex(i, j, k)] = added.value;
  return labels;
}

class CliGrowth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-cli-growth");
    const phantom::Phantom head = test::headPhantom(0.5);
    ImageVolume baseline = test::volumeOf(head, "MR T1");
    baseline.name = "MR";
    baseline.dicom.patientId = "TP-0001";
    baseline.dicom.studyDate = "20260101";
    baseline.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.10.1";
    ImageVolume later = test::movedRigidly(baseline, test::knownRigidMotion(), "MR 2026-04-01");
    later.dicom.studyDate = "20260401";
    later.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.10.2";  // another visit, another frame
    const Vec3 s = baseline.geometry().spacing_mm;
    voxel_ml_ = s[0] * s[1] * s[2] / 1000.0;
    Case twin;
    twin.name = "Follow-up";
    twin.patientId = "TP-0001";
    twin.labelMaps = {tumourLabels(baseline.geometry(), "Segmentation", 4),  // 32 voxels
                      tumourLabels(later.geometry(), "Segmentation", 8)};    // 64 voxels
    twin.volumes = {baseline, later};
    saveCase(twin, casePath());
    twin.volumes[1].dicom.patientId = "TP-0002";
    saveCase(twin, dir_->path() / "other-patient.twinplan");
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path casePath() { return dir_->path() / "followup.twinplan"; }

  static test::TempDir* dir_;
  static double voxel_ml_;
};
test::TempDir* CliGrowth::dir_ = nullptr;
double CliGrowth::voxel_ml_ = 0.0;

TEST_F(CliGrowth, JsonTableHasExactVolumesAndTheNinetyDayDoublingTime) {
  const auto run = test::runCommand(cli() + " growth " + casePath().string() + " --json");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  EXPECT_EQ(r["baseline"], "MR");
  ASSERT_EQ(r["time_points"].size(), 2u);
  EXPECT_EQ(r["time_points"][1]["study_date"], "2026-04-01");
  EXPECT_EQ(r["time_points"][1]["day"], 90);
  // Each label map shares one series' grid (the follow-up's is moved): rule 2 places them.
  EXPECT_EQ(r["time_points"][1]["volumes"], json({"MR 2026-04-01"}));
  ASSERT_EQ(r["segments"].size(), 1u);
  const json& tumour = r["segments"][0];
  EXPECT_NEAR(tumour["volumes"][0]["volume_ml"].get<double>(), 32 * voxel_ml_, 1e-12);
  EXPECT_NEAR(tumour["volumes"][1]["volume_ml"].get<double>(), 64 * voxel_ml_, 1e-12);
  EXPECT_NEAR(tumour["change_percent"].get<double>(), 100.0, 1e-9);
  EXPECT_NEAR(tumour["doubling_time_days"].get<double>(), 90.0, 1e-9);
  EXPECT_NEAR(tumour["growth_rate_per_day"].get<double>(), std::log(2.0) / 90.0, 1e-12);
  EXPECT_FALSE(tumour["new"].get<bool>());
  EXPECT_FALSE(r.contains("registrations"));
}

TEST_F(CliGrowth, TextTablePrintsVolumesAndDoublingTime) {
  const auto run = test::runCommand(cli() + " growth " + casePath().string());
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("Growth from baseline MR"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("doubling time 90.0 days"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("(100.0 %)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("not classified"), std::string::npos) << run.output;
}

TEST_F(CliGrowth, RegisterStoresTheFollowUpRegistrationNearTheKnownMotion) {
  const fs::path copy = dir_->path() / "registered.twinplan";
  fs::copy_file(casePath(), copy, fs::copy_options::overwrite_existing);
  const auto run =
      test::runCommand(cli() + " growth " + copy.string() + " --register --json 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  ASSERT_EQ(r["registrations"].size(), 1u);
  EXPECT_TRUE(r["registrations"][0]["registered"].get<bool>());
  const Case saved = loadCase(copy);
  ASSERT_EQ(saved.registrations.size(), 1u);
  EXPECT_EQ(saved.registrations[0].fixedVolume, "MR");
  EXPECT_EQ(saved.registrations[0].movingVolume, "MR 2026-04-01");
  EXPECT_EQ(saved.registrations[0].method, "rigid");
  // Over the baseline's box, the found transform is within 1 mm of the known motion.
  const double error_mm =
      test::maxDisagreement_mm(saved.registrations[0].transform, test::knownRigidMotion(),
                               test::boxCorners(saved.volumes[0].geometry()));
  EXPECT_LT(error_mm, 1.0);
  std::printf("[ figure ] follow-up rigid registration: %.3f mm from the known motion\n", error_mm);
  // Registered once: a second run says so and does not register again.
  const auto again =
      test::runCommand(cli() + " growth " + copy.string() + " --register --json 2>/dev/null");
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(json::parse(again.output)["registrations"][0]["reason"],
            "already registered in the case");
}

TEST_F(CliGrowth, AnotherPatientIsRefusedWithTheReason) {
  const auto run = test::runCommand(cli() + " growth " +
                                    (dir_->path() / "other-patient.twinplan").string() + " 2>&1");
  EXPECT_NE(run.status, 0);
  EXPECT_NE(run.output.find("is of patient ID TP-0002"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace twinplan
