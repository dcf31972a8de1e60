// Thermal damage against closed forms (simulation/ablation/thermal_damage.h) and the ablation
// zone's measurements (bioheat.h) against shapes of known size.
#include "twinplan/ablation/thermal_damage.h"

#include <gtest/gtest.h>

#include <cmath>

#include "twinplan/ablation/bioheat.h"

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

}  // namespace
}  // namespace twinplan::ablation
