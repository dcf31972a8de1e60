// The bioheat solver (simulation/ablation/bioheat.h) against analytic solutions of Pennes'
// equation: the steady temperature around a uniformly heated sphere in perfused tissue and the
// transient temperature around a Gaussian source in unperfused tissue.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ablation_analytic.h"
#include "test_support.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/fixed_power_source.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {
namespace {

TEST(BioheatSteadyState, SphericalSourceMatchesModifiedHelmholtzSolutionWithin1Percent) {
  // 0.5 W in a sphere of 5 mm radius, k 0.5 W/(m K), w 0.01 1/s (1/m = 3.6 mm): 10.07 K at the
  // centre. On the 1 mm grid the solved rise along a ray (r = 0..20 mm, voxel centres) differs
  // from the analytic one by at most 0.26 % of the peak, 0.12 % at the centre.
  const test::SphereErrors e = test::solveSphere({1.0, 5.0, 0.5, 25.0}, 20.0);
  EXPECT_NEAR(e.peakRise_K, 10.07, 0.01);
  EXPECT_LT(e.largestRelativeError, 0.004);
  EXPECT_LT(e.centreRelativeError, 0.002);
}

TEST(BioheatTransient, GaussianSourceMatchesConductionSolution) {
  // 1 W as a Gaussian of 3 mm in unperfused tissue for 60 s in 0.5 s steps on a 1 mm grid:
  // 16.79 K at the centre. The rise along a ray (0..12 mm) agrees with the closed form within
  // 0.62 % of the peak rise (largest at the centre: the 7-point Laplacian's O(h^2/s^2) error),
  // the rise recorded at 4 mm over time within 0.11 %.
  const TissueProperties tissue = test::testTissue(0.0);
  const AblationGrid grid = uniformGrid(tissue, {41, 41, 41}, 1.0);
  FixedPowerSource source(grid, gaussianPower(grid, Vec3::Zero(), 3.0, 1.0));
  BioheatParameters p;
  p.duration_s = 60.0;
  p.timeStep_s = 0.5;
  p.perfusionShutdown = PerfusionShutdown::None;
  p.solverTolerance_K = 1e-6;
  p.recordedPoints_lps = {Vec3(4.0, 0.0, 0.0)};
  const AblationResult result = simulateAblation(grid, source, p);
  const double k = tissue.thermalConductivity_W_mK;
  const double alpha = k / (tissue.density_kg_m3 * tissue.heatCapacity_J_kgK);
  const double peak = test::gaussianSourceRise_K(0.0, 60.0, 3e-3, 1.0, k, alpha);
  EXPECT_NEAR(peak, 16.79, 0.01);
  double largest = 0.0;
  for (std::int64_t i = 20; i <= 32; ++i) {
    const double exact = test::gaussianSourceRise_K((i - 20) * 1e-3, 60.0, 3e-3, 1.0, k, alpha);
    const double solved = result.finalTemperature.values[grid.geometry.linearIndex(i, 20, 20)];
    largest = std::max(largest, std::abs(solved - 37.0 - exact) / peak);
  }
  EXPECT_LT(largest, 0.01);
  ASSERT_EQ(result.recorded.size(), 1u);
  ASSERT_EQ(result.recorded[0].temperature_degC.size(), 120u);
  double largestInTime = 0.0;
  for (std::size_t s = 9; s < 120; s += 10) {
    const double exact = test::gaussianSourceRise_K(4e-3, result.time_s[s], 3e-3, 1.0, k, alpha);
    largestInTime = std::max(
        largestInTime, std::abs(result.recorded[0].temperature_degC[s] - 37.0 - exact) / peak);
  }
  EXPECT_LT(largestInTime, 0.005);
  std::printf("Gaussian source: ray %.3f %%, at 4 mm over time %.3f %% of the peak; fine box %zu\n",
              100.0 * largest, 100.0 * largestInTime, result.largestBoxVoxels);
  // The energy delivered is P t.
  EXPECT_NEAR(result.deliveredEnergy_J, 60.0, 1e-3);
}

TEST(BioheatDirichlet, HeldPlaneDecaysAsTheDiscretePennesSolution) {
  // A plane of voxels held at 47 degC in perfused tissue: away from the box's sides the steady
  // rise falls from the plane as lambda^n per voxel, lambda + 1/lambda = 2 + (m h)^2 (the exact
  // solution of the 7-point scheme), which is exp(-m x) to O(h^2).
  const TissueProperties tissue = test::testTissue(0.01);
  const AblationGrid grid = uniformGrid(tissue, {41, 61, 61}, 1.0);
  std::vector<HeldTemperature> plane;
  for (std::int64_t k = 0; k < 61; ++k)
    for (std::int64_t j = 0; j < 61; ++j)
      plane.push_back({grid.geometry.linearIndex(10, j, k), 47.0f});
  FixedPowerSource source(grid, std::vector<float>(grid.geometry.voxelCount(), 0.0f), plane);
  const BioheatParameters p = test::steadyParameters();
  const AblationResult result = simulateAblation(grid, source, p);
  const double m = std::sqrt(0.01 * p.bloodDensity_kg_m3 * p.bloodHeatCapacity_J_kgK / 0.5);
  const double mh2 = std::pow(m * 1e-3, 2);
  const double lambda = 0.5 * (2.0 + mh2 - std::sqrt((2.0 + mh2) * (2.0 + mh2) - 4.0));
  for (int n = 0; n <= 12; ++n) {
    const double solved =
        result.finalTemperature.values[grid.geometry.linearIndex(10 + n, 30, 30)] - 37.0;
    // The box's side faces, 30 mm away and held at 37 degC, lower the rise by up to 5e-4 K.
    EXPECT_NEAR(solved, 10.0 * std::pow(lambda, n), 1e-3) << n << " voxels from the plane";
    EXPECT_NEAR(solved, 10.0 * std::exp(-m * n * 1e-3), 0.01 * 10.0) << n;
  }
}

// A short heating run whose fields must not depend on the thread count.
AblationResult shortRun() {
  TissueProperties tissue = test::testTissue(0.016);
  tissue.thermalConductivityCoefficient_per_K = 0.0016;  // temperature-dependent k, lagged
  const AblationGrid grid = uniformGrid(tissue, {48, 45, 41}, 1.0);
  FixedPowerSource source(grid, gaussianPower(grid, Vec3(1.0, -2.0, 0.5), 2.5, 6.0));
  BioheatParameters p;
  p.duration_s = 120.0;
  p.timeStep_s = 5.0;
  p.picardPasses = 2;
  return simulateAblation(grid, source, p);
}

// A 3 W Gaussian (3 mm) at the centre of a 51 mm liver cube with a far tail, as an RF
// electrode's SAR has: 0.05 % of the peak power density falling as 1/r^4 beyond 6 mm, so that
// every voxel of the grid is heated a little.
std::vector<float> gaussianWithTail(const AblationGrid& grid) {
  std::vector<float> power = gaussianPower(grid, Vec3::Zero(), 3.0, 3.0);
  const float peak = *std::max_element(power.begin(), power.end());
  const ImageGeometry& g = grid.geometry;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const double r_mm = g.indexToLps(Vec3(double(i), double(j), double(k))).norm();
        if (r_mm > 6.0)
          power[g.linearIndex(i, j, k)] += float(5e-4 * peak * std::pow(6.0 / r_mm, 4));
      }
  return power;
}

TEST(BioheatActiveBox, MatchesTheWholeGridSolveWithinItsStatedBounds) {
  // BioheatParameters::activeBox and skipNegligibleHeating against the whole-grid solve of a
  // 1-minute heating (peak about 85 degC): same zone voxels, Tmax within 0.01 K, every voxel within
  // 0.05 K; the box stays smaller than the grid, and the heat it leaves out (source energy outside
  // it plus heat through its faces) is under 0.5 % of the delivered energy.
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {51, 51, 51}, 1.0);
  const std::vector<float> power = gaussianWithTail(grid);
  BioheatParameters p;
  p.duration_s = 60.0;
  auto run = [&](bool box) {
    BioheatParameters q = p;
    q.farField = false;  // the active box is the path under test
    q.activeBox = box;
    q.skipNegligibleHeating = box;
    FixedPowerSource source(grid, power);
    return simulateAblation(grid, source, q);
  };
  const AblationResult exact = run(false), boxed = run(true);
  const float tMax = *std::max_element(exact.maximumTemperature.values.begin(),
                                       exact.maximumTemperature.values.end());
  const float tMaxBoxed = *std::max_element(boxed.maximumTemperature.values.begin(),
                                            boxed.maximumTemperature.values.end());
  EXPECT_GT(tMax, 60.0f);
  EXPECT_NEAR(tMaxBoxed, tMax, 0.01f);
  EXPECT_GT(exact.zoneVolume_ml, 0.3);  // 0.389 ml
  EXPECT_EQ(boxed.ablationZone, exact.ablationZone);
  double largest_K = 0.0;
  for (std::size_t v = 0; v < exact.finalTemperature.values.size(); ++v)
    largest_K = std::max(largest_K, double(std::abs(boxed.finalTemperature.values[v] -
                                                    exact.finalTemperature.values[v])));
  EXPECT_LT(largest_K, 0.05);
  EXPECT_LT(boxed.largestBoxVoxels, grid.geometry.voxelCount());
  EXPECT_EQ(exact.largestBoxVoxels, grid.geometry.voxelCount());
  EXPECT_GT(boxed.neglectedSourceEnergy_J, 0.0);
  EXPECT_LT(boxed.neglectedSourceEnergy_J + boxed.boxFaceEnergy_J, 5e-3 * boxed.deliveredEnergy_J);
  std::printf(
      "active box: %zu of %zu voxels, %d regrowths, left out %.3f + %.3f J of %.1f J, "
      "largest difference %.4f K\n",
      boxed.largestBoxVoxels, grid.geometry.voxelCount(), boxed.boxRegrowths,
      boxed.neglectedSourceEnergy_J, boxed.boxFaceEnergy_J, boxed.deliveredEnergy_J, largest_K);
}

TEST(BioheatActiveBox, GrowsWhenHeatReachesItsFaces) {
  // A face-flow tolerance far below what a 5-voxel margin lets through: the box must grow
  // (and then pass no more than the tolerance in any step).
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {41, 41, 41}, 1.0);
  BioheatParameters p;
  p.duration_s = 60.0;
  p.farField = false;  // the active box is the path under test
  p.boxFaceFlowTolerance = 1e-6;
  FixedPowerSource source(grid, gaussianPower(grid, Vec3::Zero(), 2.0, 3.0));
  const AblationResult result = simulateAblation(grid, source, p);
  EXPECT_GT(result.boxRegrowths, 0);
  EXPECT_LE(result.boxFaceEnergy_J, 1e-6 * 3.0 * p.duration_s * 1.0001);
}

TEST(BioheatThreads, SameFieldsForAnyThreadCount) {
  AblationResult one;
  {
    const parallel::ThreadLimit limit(1);
    one = shortRun();
  }
  const AblationResult many = shortRun();
  EXPECT_GT(
      *std::max_element(one.maximumTemperature.values.begin(), one.maximumTemperature.values.end()),
      60.0f);
  EXPECT_EQ(one.finalTemperature.values, many.finalTemperature.values);
  EXPECT_EQ(one.damage.values, many.damage.values);
  EXPECT_EQ(one.cem43.values, many.cem43.values);
  EXPECT_EQ(one.solverIterations, many.solverIterations);
  EXPECT_GT(one.zoneVolume_ml, 0.0);
}

TEST(BioheatProgress, ReportsEachStepAndCancels) {
  const AblationGrid grid = uniformGrid(test::testTissue(0.01), {21, 21, 21}, 1.0);
  FixedPowerSource source(grid, gaussianPower(grid, Vec3::Zero(), 2.0, 2.0));
  BioheatParameters p;
  p.duration_s = 52.0;  // ten steps of 5 s and a last one of 2 s
  test::RecordingProgress progress;
  const AblationResult result = simulateAblation(grid, source, p, progress);
  EXPECT_EQ(result.steps, 11);
  EXPECT_DOUBLE_EQ(result.time_s.back(), 52.0);
  ASSERT_FALSE(progress.fractions.empty());
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);
  test::RecordingProgress cancelling(3);
  EXPECT_THROW(simulateAblation(grid, source, p, cancelling), Cancelled);
}

TEST(BioheatParameters, RefusesUnusableValuesNamingTheParameter) {
  const AblationGrid grid = uniformGrid(test::testTissue(0.01), {11, 11, 11}, 1.0);
  auto contextOf = [&](const BioheatParameters& p) {
    try {
      p.validate(grid);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      return e.context();
    }
    return std::string("accepted");
  };
  BioheatParameters p;
  EXPECT_EQ(contextOf(p), "accepted");
  p.timeStep_s = 0.0;
  EXPECT_EQ(contextOf(p), "timeStep_s");
  p = {};
  p.duration_s = std::nan("");
  EXPECT_EQ(contextOf(p), "duration_s");
  p = {};
  p.recordedPoints_lps = {Vec3(0.0, 0.0, 40.0)};
  EXPECT_EQ(contextOf(p), "recordedPoints_lps");
  p = {};
  p.picardPasses = 0;
  EXPECT_EQ(contextOf(p), "picardPasses");
  // A solver that cannot converge in the iterations allowed says so, naming the limit.
  FixedPowerSource source(grid, gaussianPower(grid, Vec3::Zero(), 2.0, 2.0));
  p = {};
  p.duration_s = 10.0;
  p.solverTolerance_K = 1e-9;
  p.maxSolverIterations = 1;
  try {
    simulateAblation(grid, source, p);
    ADD_FAILURE() << "one iteration cannot reach 1e-9 K";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_EQ(e.context(), "maxSolverIterations");
  }
  // A source that deposits a NaN is caught before it spreads.
  std::vector<float> broken(grid.geometry.voxelCount(), 0.0f);
  broken[grid.geometry.linearIndex(5, 5, 5)] = std::nanf("");
  FixedPowerSource nanSource(grid, broken);
  EXPECT_THROW(simulateAblation(grid, nanSource, BioheatParameters{}), Error);
  AblationGrid anisotropic = grid;
  anisotropic.geometry.spacing_mm.z() = 2.0;
  EXPECT_THROW(BioheatParameters{}.validate(anisotropic), Error);
}

}  // namespace
}  // namespace twinplan::ablation
