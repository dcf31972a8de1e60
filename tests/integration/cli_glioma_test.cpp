// `twinplan-cli glioma calibrate|predict` end to end (issue #19 items 6 and 8) through the real
// binary: a case of two MR studies of the head phantom 60 days apart whose enhancing tumour and
// T2/FLAIR abnormality were grown by the proliferation-invasion model from known parameters.
// Calibration recovers them; prediction compares two regimens; both are stored in the case.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/glioma/proliferation_invasion.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr double kKnownDiffusivity = 0.1, kKnownProliferation = 0.03;

// The model's masks as a label map on `grid` (nearest model voxel): "Enhancing" in layer 0,
// "Oedema" (which contains it) in layer 1.
LabelMap tumourLabels(const ImageGeometry& grid, const glioma::BrainDomain& domain,
                      const std::vector<double>& density, const std::string& name) {
  LabelMap labels(grid);
  labels.name = name;
  labels.addLayer();
  Segment enhancing{.name = "Enhancing", .tissueType = "tumour", .colour = {255, 255, 0}};
  Segment oedema{.name = "Oedema", .tissueType = "tumour", .colour = {255, 140, 0}, .layer = 1};
  labels.segments() = {enhancing, oedema};
  const auto& g = domain.geometry;
  for (std::int64_t k = 0; k < grid.size[2]; ++k)
    for (std::int64_t j = 0; j < grid.size[1]; ++j)
      for (std::int64_t i = 0; i < grid.size[0]; ++i) {
        const Vec3 m = g.lpsToIndex(grid.indexToLps(
            Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k))));
        if (!g.contains(m)) continue;
        const double c =
            density[g.linearIndex(std::llround(m[0]), std::llround(m[1]), std::llround(m[2]))];
        const std::size_t n = grid.linearIndex(i, j, k);
        if (c >= glioma::kT1GadoliniumThreshold) labels.layer(0)[n] = 1;
        if (c >= glioma::kT2FlairThreshold) labels.layer(1)[n] = 1;
      }
  return labels;
}

class CliGlioma : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-cli-glioma");
    const phantom::Phantom head = test::headPhantom(0.5);
    ImageVolume baseline = test::volumeOf(head, "MR T1");
    baseline.name = "MR";
    baseline.dicom.patientId = "TP-GLIOMA";
    baseline.dicom.studyDate = "20260101";
    baseline.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.10.7";
    ImageVolume later = baseline;  // same frame of reference: no registration needed
    later.name = "MR 2026-03-02";
    later.dicom.studyDate = "20260302";  // day 60
    later.dicom.seriesInstanceUid = "1.2.826.0.1.3680043.10.8";
    later.dicom.studyInstanceUid = "1.2.826.0.1.3680043.10.9";

    // The truth, grown on a 4 mm grid around the phantom tumour's centre.
    const Vec3 centre = head.tumours.front().centre_lps;
    const glioma::BrainDomain domain =
        glioma::brainDomain(head.twin.labelMaps.front(), centre - Vec3::Constant(40),
                            centre + Vec3::Constant(40), {4.0});
    glioma::GrowthParameters known;
    known.greyDiffusivity_mm2_per_day = kKnownDiffusivity;
    known.proliferation_per_day = kKnownProliferation;
    const glioma::ProliferationInvasion model(domain, known, {1.0, 1e-8, 500});
    std::vector<double> c = glioma::seedDensity(domain, centre, 1.0, 3.0);
    while (model.visibleVolume_ml(c, glioma::kT1GadoliniumThreshold) < 3.0) model.advance(c, 1.0);
    const LabelMap first = tumourLabels(baseline.geometry(), domain, c, "Tumour MR");
    model.advance(c, 60.0);
    const LabelMap second = tumourLabels(later.geometry(), domain, c, "Tumour MR 2026-03-02");

    Case twin;
    twin.name = "Glioma follow-up";
    twin.patientId = "TP-GLIOMA";
    twin.volumes = {baseline, later};
    // Grey and white matter (and the phantom's own "Tumour", unused here).
    LabelMap brain = head.twin.labelMaps.front();
    brain.name = "Brain";
    twin.labelMaps = {brain, first, second};
    // A plan's dose on the MR grid: 60 Gy everywhere (what the dose engine would store).
    ScalarField dose;
    dose.name = "Plan dose";
    dose.quantity = "dose";
    dose.unit = units::kGray;
    dose.geometry = baseline.geometry();
    dose.values.assign(dose.geometry.voxelCount(), 60.0f);
    twin.fields = {dose};
    saveCase(twin, casePath());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path casePath() { return dir_->path() / "glioma.twinplan"; }
  static std::string cli() { return test::cliPath().string(); }
  static test::TempDir* dir_;
};
test::TempDir* CliGlioma::dir_ = nullptr;

TEST_F(CliGlioma, CalibratesThenPredictsAndStoresBothInTheCase) {
  const auto calibrated = test::runCommand(cli() + " glioma calibrate " + casePath().string() +
                                           " --segment Enhancing --oedema Oedema --spacing 4 "
                                           "--margin 8 --step-days 4 --samples 4 --json");
  ASSERT_EQ(calibrated.status, 0) << calibrated.output;
  const json r = json::parse(calibrated.output);
  ASSERT_EQ(r["scans"].size(), 2u);
  EXPECT_EQ(r["scans"][1]["day"].get<double>(), 60.0);
  const json& parameters = r["posterior"]["parameters"];
  const double D = parameters["greyDiffusivity_mm2_per_day"]["mode"].get<double>();
  const double rho = parameters["proliferation_per_day"]["mode"].get<double>();
  EXPECT_NEAR(D, kKnownDiffusivity, 0.1 * kKnownDiffusivity);
  EXPECT_NEAR(rho, kKnownProliferation, 0.1 * kKnownProliferation);
  EXPECT_FALSE(parameters.contains("alpha_perGy"));  // no radiotherapy between the scans
  EXPECT_LT(parameters["greyDiffusivity_mm2_per_day"]["p05"].get<double>(), D);
  EXPECT_GT(parameters["greyDiffusivity_mm2_per_day"]["p95"].get<double>(), D);

  const auto predicted = test::runCommand(
      cli() + " glioma predict " + casePath().string() +
      " --segment Enhancing --regimen 60Gy/30 --regimen 25Gy/5 --horizon 240 --samples 4 --json");
  ASSERT_EQ(predicted.status, 0) << predicted.output;
  const json p = json::parse(predicted.output);
  ASSERT_EQ(p["regimens"].size(), 2u);
  const json& standard = p["regimens"][0];
  const json& shortCourse = p["regimens"][1];
  EXPECT_NEAR(standard["bed_gy"].get<double>(), 72.0, 1e-9);
  EXPECT_NEAR(shortCourse["bed_gy"].get<double>(), 37.5, 1e-9);
  EXPECT_EQ(standard["curve"]["day"].size(), 35u);  // weekly, day 0..238
  EXPECT_EQ(standard["samples"].get<int>(), 4);
  ASSERT_FALSE(shortCourse["ttp_days"]["median"].is_null());
  // The higher biological dose holds the tumour back longer (or beyond the horizon).
  if (!standard["ttp_days"]["median"].is_null()) {
    EXPECT_GT(standard["ttp_days"]["median"].get<double>(),
              shortCourse["ttp_days"]["median"].get<double>());
  }

  const Case saved = loadCase(casePath());
  std::size_t plans = 0;
  for (const Plan& plan : saved.plans)
    if (plan.kind == "glioma-twin") {
      ++plans;
      EXPECT_EQ(plan.name, "Glioma twin: Enhancing");
      EXPECT_TRUE(plan.parameters.contains("posterior"));
      EXPECT_EQ(plan.parameters["predictions"].size(), 2u);
    }
  EXPECT_EQ(plans, 1u);
  std::size_t fields = 0;
  for (const ScalarField& field : saved.fields)
    if (field.quantity == "tumour cell density") ++fields;
  EXPECT_EQ(fields, 2u);

  // The dose shaped by a case field, text output; a missing field is refused.
  const auto shaped = test::runCommand(cli() + " glioma predict " + casePath().string() +
                                       " --segment Enhancing --regimen 60Gy/30 --horizon 120 "
                                       "--samples 2 --dose-field 'Plan dose' --prescription 60");
  ASSERT_EQ(shaped.status, 0) << shaped.output;
  EXPECT_NE(shaped.output.find("60Gy/30  BED 72.0 Gy"), std::string::npos) << shaped.output;
  const auto missing = test::runCommand(cli() + " glioma predict " + casePath().string() +
                                        " --segment Enhancing --dose-field Nothing 2>&1");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.output.find("no field 'Nothing'"), std::string::npos) << missing.output;
}

TEST_F(CliGlioma, RefusesASegmentAtOneTimePoint) {
  const auto result = test::runCommand(cli() + " glioma calibrate " + casePath().string() +
                                       " --segment Tumour --out " +
                                       (dir_->path() / "unused.twinplan").string() + " 2>&1");
  EXPECT_NE(result.status, 0);
  EXPECT_NE(result.output.find("Tumour"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir_->path() / "unused.twinplan"));
}

}  // namespace
}  // namespace twinplan
