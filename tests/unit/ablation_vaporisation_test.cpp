// Water vaporisation in the bioheat step (bioheat.h, waterVaporisation): tissue heated past
// 100 degC holds there while the latent heat of its water, E = m L, is absorbed.
#include <gtest/gtest.h>

#include <algorithm>

#include "ablation_test_tissue.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/fixed_power_source.h"

namespace twinplan::ablation {
namespace {

// Liver without perfusion, heated by a uniform 20 W/cm3 in the voxels within 14 mm of the centre of
// a 31 mm cube: over the 120 s of the test heat diffuses sqrt(k t / (rho c)) = 4 mm, so the centre,
// 14 mm from the unheated tissue, heats adiabatically: dT/dt = P / (rho c).
struct HeatedSphere {
  TissueProperties liver = [] {
    TissueProperties t = testing::testLiver();
    t.perfusion_per_s = 0.0;
    return t;
  }();
  double power_W_m3 = 2.0e7;
  double heatCapacity_J_m3K = liver.density_kg_m3 * liver.heatCapacity_J_kgK;
  // Closed forms: time to reach 100 degC from 37, and the plateau E = m L over P.
  double boilingStarts_s = heatCapacity_J_m3K * (100.0 - 37.0) / power_W_m3;
  double plateau_s = liver.density_kg_m3 * liver.waterContent_kg_kg * 2.257e6 / power_W_m3;

  AblationResult run(double duration_s, double step_s, bool vaporisation) const {
    const AblationGrid grid = uniformGrid(liver, {31, 31, 31}, 1.0);
    const ImageGeometry& g = grid.geometry;
    std::vector<float> power(g.voxelCount(), 0.0f);
    for (std::int64_t k = 0; k < 31; ++k)
      for (std::int64_t j = 0; j < 31; ++j)
        for (std::int64_t i = 0; i < 31; ++i)
          if ((g.indexToLps(Vec3(double(i), double(j), double(k)))).norm() <= 14.0)
            power[g.linearIndex(i, j, k)] = static_cast<float>(power_W_m3);
    FixedPowerSource source(grid, std::move(power));
    BioheatParameters p;
    p.duration_s = duration_s;
    p.timeStep_s = step_s;
    p.waterVaporisation = vaporisation;
    p.recordedPoints_lps = {Vec3::Zero()};
    return simulateAblation(grid, source, p);
  }
};

TEST(AblationVaporisation, CentrePlateausAtBoilingForTheLatentHeatsTime) {
  const HeatedSphere sphere;
  // 20 W/cm3 into liver (rho c = 3.82 MJ/(m3 K), 0.72 kg/kg water): 100 degC after 12.0 s,
  // then 87.7 s at 100 degC, then rising again at 5.2 K/s.
  ASSERT_NEAR(sphere.boilingStarts_s, 12.03, 0.01);
  ASSERT_NEAR(sphere.plateau_s, 87.67, 0.01);
  const AblationResult r = sphere.run(120.0, 1.0, true);
  const std::vector<float>& centre = r.recorded.front().temperature_degC;
  const double slope_K_s = sphere.power_W_m3 / sphere.heatCapacity_J_m3K;
  const double plateauEnds_s = sphere.boilingStarts_s + sphere.plateau_s;
  for (std::size_t step = 0; step < r.time_s.size(); ++step) {
    const double t = r.time_s[step];
    SCOPED_TRACE(t);
    if (t < sphere.boilingStarts_s - 1e-9)
      EXPECT_NEAR(centre[step], 37.0 + slope_K_s * t, 0.05);
    else if (t < plateauEnds_s)
      EXPECT_NEAR(centre[step], 100.0, 0.05);
    else
      EXPECT_NEAR(centre[step], 100.0 + slope_K_s * (t - plateauEnds_s), 0.2);
  }
  // The centre's water is gone; the sphere's rim (13 mm out, still boiling) is not.
  const ImageGeometry& g = r.vaporisedWater.geometry;
  EXPECT_NEAR(r.vaporisedWater.values[g.linearIndex(15, 15, 15)], 1.0, 1e-6);
  EXPECT_LT(r.vaporisedWater.values[g.linearIndex(28, 15, 15)], 1.0);
  EXPECT_NEAR(r.vaporisedWater.values[g.linearIndex(0, 0, 0)], 0.0, 1e-6);
}

TEST(AblationVaporisation, LargeStepsKeepThePlateauAndItsLength) {
  // 10 s steps: the correction only moves sensible heat into latent heat, so it neither
  // overshoots nor oscillates; the plateau still ends within a step of E = m L / P.
  const HeatedSphere sphere;
  const AblationResult r = sphere.run(120.0, 10.0, true);
  const std::vector<float>& centre = r.recorded.front().temperature_degC;
  const double slope_K_s = sphere.power_W_m3 / sphere.heatCapacity_J_m3K;
  const double plateauEnds_s = sphere.boilingStarts_s + sphere.plateau_s;  // 99.7 s
  for (std::size_t step = 0; step < r.time_s.size(); ++step) {
    const double t = r.time_s[step];
    SCOPED_TRACE(t);
    if (t > sphere.boilingStarts_s && t < plateauEnds_s) {
      EXPECT_NEAR(centre[step], 100.0, 0.05);
    }
  }
  // 206.3 degC adiabatically at 120 s; conduction towards the cooler rim takes 0.6 K of it
  // (measured 205.6 degC with liver's 0.72 kg/kg of water; the test allowed 0.5 K when 0.75
  // kg/kg ended the plateau later and the centre at 187 degC).
  EXPECT_NEAR(centre.back(), 100.0 + slope_K_s * (120.0 - plateauEnds_s), 1.0);
}

TEST(AblationVaporisation, WithoutItTheCentreRisesStraightThrough) {
  // The control: the same heating without latent heat passes 100 degC linearly, to
  // 37 + 5.24 K/s x 60 s = 351.2 degC adiabatically; conduction towards the cooler rim, which
  // reaches the centre at these gradients, takes 1.1 K of it (measured 350.1 degC).
  const HeatedSphere sphere;
  const AblationResult r = sphere.run(60.0, 5.0, false);
  const double slope_K_s = sphere.power_W_m3 / sphere.heatCapacity_J_m3K;
  EXPECT_NEAR(r.recorded.front().temperature_degC.back(), 37.0 + slope_K_s * 60.0, 1.5);
  EXPECT_EQ(*std::max_element(r.vaporisedWater.values.begin(), r.vaporisedWater.values.end()),
            0.0f);
}

TEST(AblationVaporisation, RejectsAWaterContentOutsideZeroToOne) {
  TissueProperties liver = testing::testLiver();
  liver.waterContent_kg_kg = 1.5;
  const AblationGrid grid = uniformGrid(liver, {5, 5, 5}, 1.0);
  FixedPowerSource source(grid, std::vector<float>(grid.geometry.voxelCount(), 0.0f));
  EXPECT_THROW(simulateAblation(grid, source, BioheatParameters{}), Error);
}

}  // namespace
}  // namespace twinplan::ablation
