// Calibration of the glioma twin (simulation/glioma/calibration.h), the test of issue #19 item 6:
// tumours grown from known parameters on the head phantom's brain at two time points are
// recovered within 10 %, on a 3 mm model grid (about 120 forward runs: a minute or two).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/glioma/calibration.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::glioma {
namespace {

struct Truth {
  BrainDomain domain;
  std::vector<ObservedScan> scans;
};

// The truth: a seed at the phantom tumour's centre grown with `parameters` (hard steps of 1 day,
// not the calibration's 2-day steps and interpolation) until 3 ml enhance, scanned then and
// `interval_days` later on a `spacing_mm` grid.
Truth grownTumour(const GrowthParameters& parameters, double spacing_mm, double interval_days) {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.5;
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  const Vec3 centre = head.tumours.front().centre_lps;
  Truth truth;
  truth.domain = brainDomain(head.twin.labelMaps.front(), centre - Vec3::Constant(39),
                             centre + Vec3::Constant(39), {spacing_mm});
  const ProliferationInvasion model(truth.domain, parameters, {1.0, 1e-8, 500});
  std::vector<double> c = seedDensity(truth.domain, centre, 1.0, 3.0);
  while (model.visibleVolume_ml(c, kT1GadoliniumThreshold) < 3.0) model.advance(c, 1.0);
  truth.scans.push_back(
      {0.0, visibleMask(c, kT1GadoliniumThreshold), visibleMask(c, kT2FlairThreshold)});
  model.advance(c, interval_days);
  truth.scans.push_back(
      {interval_days, visibleMask(c, kT1GadoliniumThreshold), visibleMask(c, kT2FlairThreshold)});
  return truth;
}

TEST(GliomaCalibration, RecoversTheParametersATumourWasGrownWith) {
  GrowthParameters known;
  known.greyDiffusivity_mm2_per_day = 0.1;  // D_white = 0.5 mm^2/day
  known.proliferation_per_day = 0.03;
  const Truth truth = grownTumour(known, 3.0, 60.0);
  CalibrationOptions options;
  options.posteriorSamples = 8;
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

}  // namespace
}  // namespace twinplan::glioma
