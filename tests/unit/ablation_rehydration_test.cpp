// Rehydration of dried tissue (bioheat.h BioheatParameters::waterRehydration,
// src/water_transport.h): liquid water diffuses back into tissue that boiled dry, by Fick's law
// with the tissue's water diffusivity (liver: the median ADC of diffusion-weighted MRI,
// 1.28e-9 m2/s, resources/tissues/tissues.json).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "ablation_pulse_source.h"
#include "ablation_test_tissue.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/fixed_power_source.h"
#include "twinplan/ablation/resources.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/core/error.h"
#include "water_transport.h"

namespace twinplan::ablation {
namespace {

double fullLatent_J_m3(const TissueProperties& t) {
  return t.density_kg_m3 * t.waterContent_kg_kg * 2.257e6;
}

TEST(AblationRehydration, LiverTakesTheDiffusivityOfItsWaterFromTheTissueTable) {
  // Jafar et al. 2016: median ADC of healthy liver 1.28e-3 mm2/s = 1.28e-9 m2/s.
  EXPECT_DOUBLE_EQ(tissueLibrary().at("liver").waterDiffusivity_m2_s, 1.28e-9);
  EXPECT_DOUBLE_EQ(tissueLibrary().at("kidney").waterDiffusivity_m2_s, 1.94e-9);
  // No cited value: the tissue takes no water back.
  EXPECT_EQ(tissueLibrary().at("fat").waterDiffusivity_m2_s, 0.0);
}

// A diffusivity entered in mm2/s (the unit DWI papers give) is a unit slip the loader names.
TEST(AblationRehydration, ADiffusivityInSquareMillimetresIsRefused) {
  std::string table(resources::ablationResource("tissues/tissues.json"));
  const std::string si = "\"value\": 1.28e-09", slip = "\"value\": 0.00128";
  const std::size_t at = table.find(si);
  ASSERT_NE(at, std::string::npos);
  table.replace(at, si.size(), slip);
  try {
    (void)parseTissueLibrary(table, "test.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_EQ(e.context(), "tissue \"liver\".waterDiffusivity_m2_s");
  }
}

// The diffusivity follows the temperature by Stokes-Einstein, D ~ T / eta(T). The viscosity
// correlation against measured water: 1002.0 uPa s at 20 degC (the NBS datum, Kestin, Sokolov &
// Wakeham 1978, abstract) and 0.6925 mPa s at 37 degC (International Critical Tables).
TEST(AblationRehydration, WaterDiffusesFasterWhenHotByStokesEinstein) {
  EXPECT_NEAR(detail::waterViscosity_Pa_s(20.0), 1.0020e-3, 0.001 * 1.0020e-3);
  EXPECT_NEAR(detail::waterViscosity_Pa_s(37.0), 0.6925e-3, 0.005 * 0.6925e-3);
  EXPECT_DOUBLE_EQ(detail::waterDiffusivityFactor(37.0), 1.0);
  // (373.15 / 310.15) x eta(37) / eta(100) = 1.203 x 2.475 = 2.98; liquid water is not hotter.
  EXPECT_NEAR(detail::waterDiffusivityFactor(100.0), 2.98, 0.01);
  EXPECT_DOUBLE_EQ(detail::waterDiffusivityFactor(130.0), detail::waterDiffusivityFactor(100.0));
  // In the transport: a dried voxel amid full ones, all at 100 degC, takes 2.98 times the body
  // temperature's 6 D dt / h^2 in one step.
  const TissueProperties liver = testing::testLiver();
  const AblationGrid grid = uniformGrid(liver, {5, 5, 5}, 1.0);
  const double w0 = fullLatent_J_m3(liver);
  std::vector<float> left(grid.geometry.voxelCount(), float(w0));
  const std::size_t centre = grid.geometry.linearIndex(2, 2, 2);
  left[centre] = 0.0f;
  const std::vector<double> full{w0};
  const std::vector<float> hot(grid.geometry.voxelCount(), 100.0f);
  detail::rehydrate(grid, full, {}, hot, 5.0, left);
  EXPECT_NEAR(left[centre] / w0, detail::waterDiffusivityFactor(100.0) * 6.0 * 0.0064, 1e-5);
}

// One dried voxel amid full ones, one explicit step: each of its six faces brings
// D / h^2 dt W0 (saturation difference 1), each neighbour gives that much; water is conserved.
TEST(AblationRehydration, OneDriedVoxelTakesSixFacesWorthInOneStep) {
  const TissueProperties liver = testing::testLiver();
  const AblationGrid grid = uniformGrid(liver, {5, 5, 5}, 1.0);
  const double w0 = fullLatent_J_m3(liver);
  std::vector<float> left(grid.geometry.voxelCount(), float(w0));
  const std::size_t centre = grid.geometry.linearIndex(2, 2, 2);
  left[centre] = 0.0f;
  const double before = std::accumulate(left.begin(), left.end(), 0.0);
  const std::vector<double> full{w0};
  const double step_s = 5.0;
  detail::rehydrate(grid, full, {}, {}, step_s, left);
  const double perFace = 1.28e-9 / 1e-6 * step_s;  // D dt / h^2 = 0.0064
  EXPECT_NEAR(left[centre] / w0, 6.0 * perFace, 1e-6);
  EXPECT_NEAR(left[grid.geometry.linearIndex(3, 2, 2)] / w0, 1.0 - perFace, 1e-6);
  EXPECT_NEAR(left[grid.geometry.linearIndex(3, 3, 2)] / w0, 1.0, 1e-6);  // no face with it
  EXPECT_NEAR(std::accumulate(left.begin(), left.end(), 0.0) / before, 1.0, 1e-6);
}

// Water comes back from tissue, not from the device: a dried voxel whose wet neighbours are all
// held (the cooled electrode's voxels) stays dry, and the held voxels keep their store.
TEST(AblationRehydration, TheDevicesVoxelsNeitherGiveNorTakeWater) {
  const TissueProperties liver = testing::testLiver();
  const AblationGrid grid = uniformGrid(liver, {3, 3, 3}, 1.0);
  const ImageGeometry& g = grid.geometry;
  const double w0 = fullLatent_J_m3(liver);
  std::vector<float> left(g.voxelCount(), 0.0f);
  std::vector<HeldTemperature> held;
  const std::size_t centre = g.linearIndex(1, 1, 1);
  for (std::size_t v = 0; v < g.voxelCount(); ++v)
    if (v != centre) {
      left[v] = float(w0);
      held.push_back({v, 10.0f});
    }
  const std::vector<double> full{w0};
  EXPECT_EQ(detail::rehydrate(grid, full, held, {}, 5.0, left), 0.0);
  EXPECT_EQ(left[centre], 0.0f);
  EXPECT_EQ(left[g.linearIndex(0, 1, 1)], float(w0));
}

// A half-space of dried liver against wet liver, 0.25 mm voxels: after 30 min the saturation is
// the diffusion equation's step response s(x, t) = erfc(-x / (2 sqrt(D t))) / 2 (Crank, The
// Mathematics of Diffusion, 2nd ed., eq. 2.14), x from the interface (here sqrt(D t) = 1.52 mm,
// six voxels). Checked within 0.01 in saturation from 3 mm into the dried side to 3 mm into the
// wet side; a rate off by a factor of 2 moves s by more than 0.05 there.
TEST(AblationRehydration, ADriedHalfSpaceRefillsAsTheDiffusionEquationSays) {
  const TissueProperties liver = testing::testLiver();
  const double h_mm = 0.25;
  const std::int64_t n = 81;
  const AblationGrid grid = uniformGrid(liver, {n, 3, 3}, h_mm);
  const ImageGeometry& g = grid.geometry;
  const double w0 = fullLatent_J_m3(liver);
  std::vector<float> left(g.voxelCount());
  const std::int64_t interface = n / 2;  // voxels i < interface dried, the interface at i - 1/2
  for (std::int64_t k = 0; k < 3; ++k)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t i = 0; i < n; ++i)
        left[g.linearIndex(i, j, k)] = i < interface ? 0.0f : float(w0);
  const std::vector<double> full{w0};
  const double t_s = 1800.0, step_s = 5.0;
  for (double t = 0.0; t < t_s - 1e-9; t += step_s)
    detail::rehydrate(grid, full, {}, {}, step_s, left);
  const double spread_m = 2.0 * std::sqrt(liver.waterDiffusivity_m2_s * t_s);
  for (std::int64_t i = interface - 12; i <= interface + 12; ++i) {
    const double x_m = (double(i - interface) + 0.5) * h_mm * 1e-3;
    const double expected = 0.5 * std::erfc(-x_m / spread_m);
    SCOPED_TRACE(i);
    EXPECT_NEAR(left[g.linearIndex(i, 1, 1)] / w0, expected, 0.01);
  }
}

// Through the solver: tissue partly boiled dry by a pulse of power, then left alone for 10 min.
// Without rehydration its water never comes back; with it, water moves in from the wet
// neighbours (at D / h^2 = 1.28e-3 1/s per face a lone dried voxel would refill within
// minutes) and the grid's total water is unchanged: it only moves.
TEST(AblationRehydration, TheSolverRehydratesBetweenStepsWhenAsked) {
  TissueProperties liver = testing::testLiver();
  liver.perfusion_per_s = 0.0;
  const AblationGrid grid = uniformGrid(liver, {21, 21, 21}, 1.0);
  const ImageGeometry& g = grid.geometry;
  // 1e9 W/m3 for 5 s into the centre voxel (5e9 J/m3; sensible heat to 100 degC and latent heat
  // are 0.24e9 and 1.75e9 J/m3, the rest conducts away within the step), then nothing.
  const std::size_t centre = g.linearIndex(10, 10, 10);
  double atCentre[2] = {0.0, 0.0}, total[2] = {0.0, 0.0};
  for (const bool rehydration : {false, true}) {
    testing::PulseSource source(centre, 1e9f);
    BioheatParameters p;
    p.duration_s = 600.0;
    p.timeStep_s = 5.0;
    p.waterRehydration = rehydration;
    const AblationResult r = simulateAblation(grid, source, p);
    atCentre[rehydration] = r.vaporisedWater.values[centre];
    for (float f : r.vaporisedWater.values) total[rehydration] += f;
  }
  EXPECT_GT(atCentre[false], 0.3);                    // the pulse boiled a good part of it off
  EXPECT_LT(atCentre[true], 0.25 * atCentre[false]);  // most of it came back
  // Moved, not created: to the float store's rounding (its spacing is 128 J/m3 at a full
  // 1.75e9 J/m3, rounded once per voxel and step).
  EXPECT_NEAR(total[true] / total[false], 1.0, 1e-3);
}

}  // namespace
}  // namespace twinplan::ablation
