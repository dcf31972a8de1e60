// Calibration of the glioma twin (simulation/glioma/calibration.h) on a coarse 4 mm grid, fast
// enough for every build; tests/slow/glioma_calibration_test.cpp repeats it at 3 mm.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "glioma_fixtures.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/core/progress.h"
#include "twinplan/glioma/calibration.h"

namespace twinplan::glioma {
namespace {

TEST(GliomaCalibration, RecoversTheParametersATumourWasGrownWith) {
  GrowthParameters known;
  known.greyDiffusivity_mm2_per_day = 0.1;  // D_white = 0.5 mm^2/day
  known.proliferation_per_day = 0.03;
  const test::GrownGlioma truth = test::grownGlioma(known, 4.0, 36.0, {60.0});
  CalibrationOptions options;
  options.posteriorSamples = 8;
  options.solver.step_days = 4.0;
  options.maxEvaluations = 80;
  const auto start = std::chrono::steady_clock::now();
  const Posterior posterior = calibrate(truth.domain, truth.scans, std::nullopt, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("D %.4f rho %.5f (sd %.3f %.3f) evaluations %d in %.1f s\n",
              posterior.mode.greyDiffusivity_mm2_per_day, posterior.mode.proliferation_per_day,
              posterior.relativeSd()[0], posterior.relativeSd()[1], posterior.evaluations, seconds);
  for (const auto& f : posterior.fit)
    std::printf("day %.0f T1 %.2f/%.2f dice %.3f T2 %.2f/%.2f dice %.3f\n", f.day,
                f.modelEnhancing_ml, f.observedEnhancing_ml, f.enhancingDice, *f.modelOedema_ml,
                *f.observedOedema_ml, *f.oedemaDice);
  EXPECT_NEAR(posterior.mode.greyDiffusivity_mm2_per_day, 0.1, 0.1 * 0.1);
  EXPECT_NEAR(posterior.mode.proliferation_per_day, 0.03, 0.1 * 0.03);
  ASSERT_EQ(posterior.samples.size(), 8u);
}

TEST(GliomaCalibration, RefusesTooFewOrMisfittingScansAndCancels) {
  GrowthParameters known;
  known.greyDiffusivity_mm2_per_day = 0.1;
  known.proliferation_per_day = 0.03;
  const test::GrownGlioma truth = test::grownGlioma(known, 6.0, 36.0, {30.0});
  const std::vector<ObservedScan> one{truth.scans.front()};
  EXPECT_THROW(calibrate(truth.domain, one, std::nullopt), Error);
  std::vector<ObservedScan> misfit = truth.scans;
  misfit[1].enhancing.pop_back();
  EXPECT_THROW(calibrate(truth.domain, misfit, std::nullopt), Error);
  std::vector<ObservedScan> unordered = truth.scans;
  unordered[1].day = 0.0;
  EXPECT_THROW(calibrate(truth.domain, unordered, std::nullopt), Error);
  std::vector<ObservedScan> empty = truth.scans;
  std::fill(empty[0].enhancing.begin(), empty[0].enhancing.end(), 0);
  EXPECT_THROW(calibrate(truth.domain, empty, std::nullopt), Error);
  // Cancelled at the optimiser's second progress report: Cancelled, not an error or a result.
  test::RecordingProgress cancelling(2);
  CalibrationOptions options;
  options.solver.step_days = 6.0;
  EXPECT_THROW(calibrate(truth.domain, truth.scans, std::nullopt, options, cancelling), Cancelled);
}

TEST(GliomaCalibration, PosteriorJsonRoundTrip) {
  Posterior posterior;
  posterior.parameterNames = {"greyDiffusivity_mm2_per_day", "proliferation_per_day"};
  posterior.mode.greyDiffusivity_mm2_per_day = 0.1;
  posterior.modeLog = {std::log(0.1), std::log(0.012)};
  posterior.covarianceLog = {{0.04, 0.01}, {0.01, 0.09}};
  posterior.samples = {posterior.mode, GrowthParameters{}};
  posterior.seed_lps = Vec3(1, -2, 3);
  const Posterior back = posteriorFromJson(posterior.toJson());
  EXPECT_EQ(back.parameterNames, posterior.parameterNames);
  EXPECT_EQ(back.covarianceLog, posterior.covarianceLog);
  EXPECT_EQ(back.samples.size(), 2u);
  EXPECT_EQ(back.seed_lps, posterior.seed_lps);
  EXPECT_NEAR(back.relativeSd()[1], 0.3, 1e-12);
  // 90 % interval of the log-normal: mode * exp(+-1.645 sd).
  const nlohmann::json json = posterior.toJson();
  EXPECT_NEAR(json["parameters"]["greyDiffusivity_mm2_per_day"]["p95"].get<double>(),
              0.1 * std::exp(1.6449 * 0.2), 1e-12);
  nlohmann::json damaged = json;
  damaged.erase("samples");
  EXPECT_THROW(posteriorFromJson(damaged), Error);
}

}  // namespace
}  // namespace twinplan::glioma
