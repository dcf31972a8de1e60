// `twinplan-cli glioma calibrate|predict` end to end (issue #19 items 6 and 8) through the real
// binary: a case of two MR studies of the head phantom 60 days apart whose enhancing tumour and
// T2/FLAIR abnormality were grown by the proliferation-invasion model from known parameters.
// Calibration recovers them; prediction compares two regimens; both are stored in the case.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "glioma_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr double kKnownDiffusivity = test::kGliomaKnownDiffusivity,
                 kKnownProliferation = test::kGliomaKnownProliferation;

class CliGlioma : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-cli-glioma");
    Case twin = test::gliomaFollowUpCase();
    // A plan's dose on the MR grid: 60 Gy everywhere (what the dose engine would store).
    ScalarField dose;
    dose.name = "Plan dose";
    dose.quantity = "dose";
    dose.unit = units::kGray;
    dose.geometry = twin.volumes.front().geometry();
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
  // EQD2 = BED / (1 + 2 / (alpha/beta)), alpha/beta 10 Gy: 60 Gy in 2 Gy fractions stays 60 Gy.
  EXPECT_NEAR(standard["eqd2_gy"].get<double>(), 60.0, 1e-9);
  EXPECT_NEAR(shortCourse["eqd2_gy"].get<double>(), 31.25, 1e-9);
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
