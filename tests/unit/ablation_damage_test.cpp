// Thermal damage against closed forms (simulation/ablation/thermal_damage.h) and the ablation
// zone's measurements (bioheat.h) against shapes of known size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "ablation_test_tissue.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/fixed_power_source.h"
#include "twinplan/ablation/thermal_damage.h"

namespace twinplan::ablation {
namespace {

// Liver, Chang & Nguyen 2004 (BioMed Eng OnLine 3:27): A = 7.39e39 1/s, Ea = 2.577e5 J/mol.
constexpr double kLiverA_per_s = 7.39e39;
constexpr double kLiverEa_J_mol = 2.577e5;

TEST(ArrheniusDamage, ReachesOneAfter61Point4SecondsAt50DegC) {
  // Closed form: t = 1 / (A exp(-Ea / (R T))) with R = 8.314, T = 323.15 K: 61.38 s.
  EXPECT_NEAR(timeToDamage_s(kLiverA_per_s, kLiverEa_J_mol, 50.0), 61.38, 0.01);
  // Integrated in steps at the constant temperature, Omega is 1 at 61.38 s.
  double damage = 0.0;
  for (int step = 0; step < 6138; ++step)
    damage += arrheniusIncrement(kLiverA_per_s, kLiverEa_J_mol, 50.0, 50.0, 0.01);
  EXPECT_NEAR(damage, 1.0, 1e-4);
}

TEST(ArrheniusDamage, RateGrowsByEaOverRTSquaredPerKelvin) {
  // d ln(rate)/dT = Ea / (R T^2) = 2.577e5 / (8.314 * 323.15^2) = 0.2968 per K.
  const double ratio = arrheniusRate_per_s(kLiverA_per_s, kLiverEa_J_mol, 50.5) /
                       arrheniusRate_per_s(kLiverA_per_s, kLiverEa_J_mol, 49.5);
  EXPECT_NEAR(std::log(ratio), 0.2968, 1e-3);
  // At 60 degC the same tissue reaches Omega = 1 in 3.449 s (closed form, checked in Python).
  EXPECT_NEAR(timeToDamage_s(kLiverA_per_s, kLiverEa_J_mol, 60.0), 3.449, 0.001);
}

TEST(ArrheniusDamage, AStepUsesItsMeanTemperature) {
  const double ramp = arrheniusIncrement(kLiverA_per_s, kLiverEa_J_mol, 40.0, 60.0, 2.0);
  EXPECT_DOUBLE_EQ(ramp, 2.0 * arrheniusRate_per_s(kLiverA_per_s, kLiverEa_J_mol, 50.0));
}

TEST(Cem43, FortyFiveDegreesForAnHourIs240Minutes) {
  // Sapareto & Dewey 1984: 60 min * 0.5^(43 - 45) = 240 min.
  double cem = 0.0;
  for (int step = 0; step < 720; ++step) cem += cem43Increment_min(45.0, 5.0);
  EXPECT_NEAR(cem, 240.0, 1e-9);
  // Below the breakpoint R = 0.25: 41 degC for 60 min is 60 * 0.25^2 = 3.75 min.
  EXPECT_NEAR(cem43Increment_min(41.0, 3600.0), 3.75, 1e-12);
  // At 43 degC a minute is a minute.
  EXPECT_NEAR(cem43Increment_min(43.0, 60.0), 1.0, 1e-12);
}

// A fixed Gaussian power that keeps the temperature field the solver shows it at each step's
// start, so that a test can integrate the damage of every voxel in closed form.
class TemperatureRecordingSource : public HeatSource {
 public:
  explicit TemperatureRecordingSource(std::vector<float> power_W_m3)
      : power_W_m3_(std::move(power_W_m3)) {}
  void depositedPower(const AblationGrid&, const ThermalState& state, double,
                      std::vector<float>& power_W_m3) override {
    stepStarts.push_back(state.temperature_degC);
    power_W_m3 = power_W_m3_;
  }
  double deliveredPower_W() const override { return 0.0; }
  std::vector<std::vector<float>> stepStarts;

 private:
  std::vector<float> power_W_m3_;
};

TEST(StepDamage, EveryVoxelsOmegaAndCem43AreTheClosedFormSumOverItsSteps) {
  // 2 W as a Gaussian of 3 mm in the tests' liver, 90 s, the whole 31^3 grid solved each step:
  // the stepper's Omega and CEM43 of every voxel against arrheniusIncrement and
  // cem43Increment_min (double) summed over the recorded steps at each step's start and end
  // temperatures. The stepper takes Eigen's vectorised float exp of exponents formed in double:
  // rounding an exponent x to float costs 6e-8 |x| relative (|x| <= 21 here), Eigen's exp a
  // few ulp, the float sums about 6e-8 a step. Measured: 4.0e-7 (Omega), 1.25e-6 (CEM43, whose
  // exponent is the larger). Before branch ablheat a voxel whose temperature stayed within
  // 0.01 K of 37 degC took the resting rates: 8.2e-4 (Omega) and 3.5e-3 (CEM43) off.
  const TissueProperties liver = testing::testLiver();
  const AblationGrid grid = uniformGrid(liver, {31, 31, 31}, 1.0);
  TemperatureRecordingSource source(gaussianPower(grid, Vec3::Zero(), 3.0, 2.0));
  BioheatParameters p;
  p.duration_s = 90.0;
  p.activeBox = false;
  p.farField = false;
  const AblationResult result = simulateAblation(grid, source, p);
  ASSERT_EQ(source.stepStarts.size(), result.time_s.size());
  const std::size_t voxels = grid.geometry.voxelCount();
  std::vector<double> omega(voxels, 0.0), cem43(voxels, 0.0);
  double start_s = 0.0, hottest = 0.0;
  for (std::size_t step = 0; step < result.time_s.size(); ++step) {
    const std::vector<float>& end = step + 1 < source.stepStarts.size()
                                        ? source.stepStarts[step + 1]
                                        : result.finalTemperature.values;
    const double step_s = result.time_s[step] - start_s;
    start_s = result.time_s[step];
    for (std::size_t v = 0; v < voxels; ++v) {
      const double from = source.stepStarts[step][v], to = end[v];
      omega[v] += arrheniusIncrement(liver.arrheniusFrequencyFactor_per_s,
                                     liver.arrheniusActivationEnergy_J_mol, from, to, step_s);
      cem43[v] += cem43Increment_min(from, to, step_s);
      hottest = std::max(hottest, double(to));
    }
  }
  double omegaError = 0.0, cem43Error = 0.0;
  for (std::size_t v = 0; v < voxels; ++v) {
    omegaError = std::max(omegaError, std::abs(result.damage.values[v] / omega[v] - 1.0));
    cem43Error = std::max(cem43Error, std::abs(result.cem43.values[v] / cem43[v] - 1.0));
  }
  std::printf("steps %zu, hottest %.2f degC, Omega relative error %.2e, CEM43 %.2e\n",
              result.time_s.size(), hottest, omegaError, cem43Error);
  EXPECT_GT(hottest, 70.0);  // the rates span ten decades: the zone's temperatures are covered
  EXPECT_LT(omegaError, 2e-6);
  EXPECT_LT(cem43Error, 2e-6);
}

TEST(PerfusionShutdown, FollowsItsRule) {
  EXPECT_EQ(perfusionFactor(PerfusionShutdown::None, 5.0), 1.0);
  EXPECT_EQ(perfusionFactor(PerfusionShutdown::AtOmegaOne, 0.99), 1.0);
  EXPECT_EQ(perfusionFactor(PerfusionShutdown::AtOmegaOne, 1.0), 0.0);
  EXPECT_NEAR(perfusionFactor(PerfusionShutdown::Exponential, 1.0), std::exp(-1.0), 1e-15);
}

// An ellipsoid of semi-axes 15, 10, 6 mm on a 1 mm grid, tilted in the x-y plane.
std::vector<std::uint8_t> ellipsoid(const ImageGeometry& g, const Mat3& axes,
                                    const Vec3& semiAxes_mm) {
  std::vector<std::uint8_t> zone(g.voxelCount(), 0);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 local = axes.transpose() * g.indexToLps(Vec3(double(i), double(j), double(k)));
        zone[g.linearIndex(i, j, k)] = local.cwiseQuotient(semiAxes_mm).squaredNorm() <= 1.0;
      }
  return zone;
}

TEST(AblationZone, AxesAndVolumeOfAnEllipsoid) {
  ImageGeometry g;
  g.size = {61, 61, 61};
  g.origin_lps = Vec3::Constant(-30.0);
  const double angle = 0.5;  // rad, about z
  Mat3 axes;
  axes << std::cos(angle), -std::sin(angle), 0, std::sin(angle), std::cos(angle), 0, 0, 0, 1;
  const std::vector<std::uint8_t> zone = ellipsoid(g, axes, Vec3(15.0, 10.0, 6.0));
  // 4/3 pi abc = 3.770 ml; voxelisation at 1 mm is within 1 %.
  EXPECT_NEAR(zoneVolume_ml(zone, g), 4.0 / 3.0 * M_PI * 15 * 10 * 6 * 1e-3, 0.04);
  const ZoneAxes plain = measureZoneAxes(zone, g);
  // Extents of the voxels plus one voxel: the diameters 30, 20, 12 mm within a voxel or so.
  EXPECT_NEAR(plain.long_mm, 30.0, 1.5);
  EXPECT_NEAR(plain.short_mm[0], 20.0, 1.5);
  EXPECT_NEAR(plain.short_mm[1], 12.0, 1.5);
  EXPECT_GT(std::abs(plain.longAxis.dot(axes.col(0))), 0.999);
  EXPECT_LT(plain.centre_lps.norm(), 1e-9);
  // About a probe along the ellipsoid's second axis: that is the "long" direction then.
  const ZoneAxes alongProbe = measureZoneAxes(zone, g, axes.col(1));
  EXPECT_NEAR(alongProbe.long_mm, 20.0, 1.5);
  EXPECT_NEAR(alongProbe.short_mm[0], 30.0, 1.5);
  EXPECT_NEAR(alongProbe.short_mm[1], 12.0, 1.5);
}

TEST(AblationZone, EachCriterionThresholdsItsOwnField) {
  // Four voxels: damage, maximum temperature and thermal dose disagree on purpose.
  AblationResult result;
  result.damage.values = {0.5f, 1.0f, 3.0f, 0.9f};
  result.maximumTemperature.values = {61.0f, 55.0f, 70.0f, 59.9f};
  result.cem43.values = {300.0f, 100.0f, 1e6f, 240.0f};
  BioheatParameters p;
  EXPECT_EQ(ablationZone(result, p), (std::vector<std::uint8_t>{0, 1, 1, 0}));  // Omega >= 1
  p.zoneCriterion = AblationCriterion::MaximumTemperature;
  EXPECT_EQ(ablationZone(result, p), (std::vector<std::uint8_t>{1, 0, 1, 0}));  // >= 60 degC
  p.maximumTemperatureThreshold_degC = 50.0;
  EXPECT_EQ(ablationZone(result, p), (std::vector<std::uint8_t>{1, 1, 1, 1}));
  p.zoneCriterion = AblationCriterion::Cem43;
  EXPECT_EQ(ablationZone(result, p), (std::vector<std::uint8_t>{1, 0, 1, 1}));  // >= 240 min
}

}  // namespace
}  // namespace twinplan::ablation
