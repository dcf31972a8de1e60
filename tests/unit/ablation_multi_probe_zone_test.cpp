// Several probes in the zone surrogate (simulation/ablation/zone_surrogate.h: superposed heat
// shares, predictCombinedZone, LiveMultiProbeZone): the rule's closed form between two parallel
// probes, conducted and radiated, one probe and no interaction give the single zones and their
// union exactly, the live drag equals a computation from scratch (also next to a vessel), and the
// interaction is liver's diffusion length and, for antennas, its microwave attenuation. The
// agreement with the full physics is slow/ablation_multi_probe_test.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "ablation_zone_checks.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/zone_surrogate.h"

namespace twinplan::ablation {
namespace {

// A cylinder of radius 10 mm from 20 mm ahead of the tip to 20 mm behind it (R(s) = 10 mm for
// |s| < 19 mm, closed to 0 at s = +-20 mm).
ZoneSurrogate cylinderSurrogate() {
  ZoneSurrogate s;
  s.deviceId = "cylinder";
  s.power_W = 1.0;
  s.duration_s = 300.0;
  s.firstS_mm = -20.0;
  s.step_mm = 1.0;
  s.radius_mm.assign(41, 10.0);
  s.radius_mm.front() = s.radius_mm.back() = 0.0;
  return s;
}

ProbePlacement alongZ(double x, double y) { return {Vec3(x, y, 0.0), Vec3(x, y, 100.0)}; }

bool inZone(const PredictedZone& z, const AblationGrid& grid, const Vec3& p_lps) {
  const Vec3 ijk = grid.geometry.lpsToIndex(p_lps);
  return z.zone[grid.geometry.linearIndex(std::llround(ijk.x()), std::llround(ijk.y()),
                                          std::llround(ijk.z()))] != 0;
}

// Two probes 24 mm apart with L = 5 mm: on the plane half-way between them both shares are
// exp((10 - r) / 5), so the zone reaches r = 10 + 5 ln 2 = 13.47 mm from each axis: the gap
// between the two 10 mm cylinders (r = 12 mm on the line joining them) is bridged, across it to
// |y| = sqrt(13.47^2 - 12^2) = 6.12 mm. Their union leaves the plane empty.
TEST(AblationMultiProbeZone, TwoProbesBridgeTheGapAsTheClosedFormSays) {
  const ZoneSurrogate s = cylinderSurrogate();
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {81, 81, 61}, 1.0);
  const std::vector<ProbePlacement> probes{alongZ(-12.0, 0.0), alongZ(12.0, 0.0)};
  const PredictedZone together = predictCombinedZone(s, grid, probes, {}, conductedOnly(5.0));
  const PredictedZone united = predictCombinedZone(s, grid, probes, {}, ProbeInteraction{});
  for (double y = -10.0; y <= 10.0; y += 1.0) {
    EXPECT_EQ(inZone(together, grid, Vec3(0.0, y, 0.0)), std::abs(y) <= 6.12) << y;
    EXPECT_FALSE(inZone(united, grid, Vec3(0.0, y, 0.0))) << y;
  }
  // Beyond the outer side the second probe adds exp(-24 / 5) of a share: 0.04 mm, less than a
  // voxel; the zone still ends at 10 mm from the axis there (x = -22 in, -23 out).
  EXPECT_TRUE(inZone(together, grid, Vec3(-22.0, 0.0, 0.0)));
  EXPECT_FALSE(inZone(together, grid, Vec3(-23.0, 0.0, 0.0)));
  // Ahead of the tips (s < -20 mm) no probe has a share, and nothing is ablated on the axis
  // beyond either end of the profile (R = 0 there; voxel centres on the axis used to pass).
  EXPECT_FALSE(inZone(together, grid, Vec3(0.0, 0.0, -21.0)));
  for (double z : {-26.0, -21.0, -20.0, 20.0, 21.0, 26.0}) {
    EXPECT_FALSE(inZone(together, grid, Vec3(-12.0, 0.0, z))) << z;
    EXPECT_FALSE(inZone(united, grid, Vec3(-12.0, 0.0, z))) << z;
  }
  EXPECT_TRUE(inZone(united, grid, Vec3(-12.0, 0.0, 19.0)));
  EXPECT_GT(together.volume_ml, united.volume_ml);
  // The union is the two cylinders: 2 x pi 10^2 x 40 mm = 25.1 ml (voxel staircase within 4 %).
  EXPECT_NEAR(united.volume_ml, 2.0 * M_PI * 100.0 * 40.0 * 1e-3, 1.0);
}

// The same probes with a radiated share of decay length 20 mm (n = 1): beyond the edge it is
// (10 / r) exp(-(r - 10) / 20), above the conducted exp(-(r - 10) / 5) everywhere outside, so
// half-way between the probes the zone reaches the r where it is 1/2: r = 15.32 mm
// (10 / 15.32 x exp(-0.266) = 0.500; the conducted share there is 0.345), across the gap to
// |y| = sqrt(15.32^2 - 12^2) = 9.53 mm (conducted alone: 6.12 mm). On the outer side the far
// probe adds (10 / 34) exp(-24 / 20) = 0.089 of a share: the zone ends at r = 10.47 mm (x = -22
// in, -23 out: 0.865 + 0.082 < 1).
TEST(AblationMultiProbeZone, RadiatedSharesBridgeFartherAsTheClosedFormSays) {
  const ZoneSurrogate s = cylinderSurrogate();
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {81, 81, 61}, 1.0);
  const std::vector<ProbePlacement> probes{alongZ(-12.0, 0.0), alongZ(12.0, 0.0)};
  const ProbeInteraction radiated{5.0, 20.0, 1.0};
  const PredictedZone together = predictCombinedZone(s, grid, probes, {}, radiated);
  for (double y = -12.0; y <= 12.0; y += 1.0)
    EXPECT_EQ(inZone(together, grid, Vec3(0.0, y, 0.0)), std::abs(y) <= 9.53) << y;
  EXPECT_TRUE(inZone(together, grid, Vec3(-22.0, 0.0, 0.0)));
  EXPECT_FALSE(inZone(together, grid, Vec3(-23.0, 0.0, 0.0)));
  // Still nothing ahead of the tips or on the axis beyond the profile's ends.
  for (double z : {-26.0, -21.0, 21.0, 26.0}) EXPECT_FALSE(inZone(together, grid, Vec3(0, 0, z)));
  // A superset of the conducted rule's zone (each share is at least the conducted one).
  const PredictedZone conducted = predictCombinedZone(s, grid, probes, {}, conductedOnly(5.0));
  for (std::size_t v = 0; v < conducted.zone.size(); ++v)
    ASSERT_TRUE(!conducted.zone[v] || together.zone[v]) << v;
}

// Probes far apart do not interact: the zone is the union voxel for voxel.
TEST(AblationMultiProbeZone, ProbesFarApartGiveTheUnion) {
  const ZoneSurrogate s = cylinderSurrogate();
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {101, 41, 61}, 1.0);
  const std::vector<ProbePlacement> probes{alongZ(-30.0, 0.0), alongZ(30.0, 0.0)};
  const std::vector<std::uint8_t> united = predictCombinedZone(s, grid, probes, {}, {}).zone;
  EXPECT_EQ(predictCombinedZone(s, grid, probes, {}, conductedOnly(5.0)).zone, united);
  // Radiated shares of 10 mm decay: 40 mm beyond the far zone, 0.004 of a share.
  EXPECT_EQ(predictCombinedZone(s, grid, probes, {}, ProbeInteraction{5.0, 10.0, 1.0}).zone,
            united);
}

// A uniform liver grid with a 6 mm vessel (0.15 m/s) along z at x = 18 mm: the heat-sink band
// and the vessel's shadow apply to every probe's share.
AblationGrid gridWithVessel() {
  AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {51, 51, 51}, 2.0);
  testing::addVessel(grid, 18.0, 6.0, 0.15f);
  return grid;
}

TEST(AblationMultiProbeZone, OneProbeOrNoInteractionGiveTheSingleZonesExactly) {
  const AblationGrid grid = gridWithVessel();
  for (const char* id : {"mw-2450mhz-100w", "rf-cooled-3cm"}) {
    SCOPED_TRACE(id);
    const ZoneSurrogate& s = cachedSurrogate(findDevice(id));
    const std::vector<std::uint8_t> sink = heatSinkMask(grid, s.options.sinkDistance_mm);
    const ProbePlacement a = alongZ(0.0, 0.0), b = alongZ(-4.0, 12.0);
    const PredictedZone single = predictZone(s, grid, a);
    EXPECT_GT(single.voxelsLostToVessels, 0u);
    const ProbeInteraction interaction = probeInteraction(s);
    EXPECT_EQ(predictCombinedZone(s, grid, std::vector{a}, sink, interaction).zone, single.zone);
    std::vector<std::uint8_t> united;
    addPredictedZone(s, grid, a, sink, united);
    addPredictedZone(s, grid, b, sink, united);
    EXPECT_EQ(predictCombinedZone(s, grid, std::vector{a, b}, sink, {}).zone, united);
    // Superposed: a superset of the union, and of the conducted rule's zone, that never takes
    // blood or its 2 mm band; for RF (no radiated share) the conducted rule's zone exactly.
    const PredictedZone together =
        predictCombinedZone(s, grid, std::vector{a, b}, sink, interaction);
    const PredictedZone conducted = predictCombinedZone(
        s, grid, std::vector{a, b}, sink, conductedOnly(interaction.diffusionLength_mm));
    std::size_t extra = 0, radiated = 0;
    for (std::size_t v = 0; v < united.size(); ++v) {
      ASSERT_TRUE(!united[v] || together.zone[v]) << v;
      ASSERT_TRUE(!conducted.zone[v] || together.zone[v]) << v;
      ASSERT_TRUE(!sink[v] || !together.zone[v]) << v;
      extra += together.zone[v] && !united[v];
      radiated += together.zone[v] && !conducted.zone[v];
    }
    EXPECT_GT(extra, 0u);
    EXPECT_EQ(radiated > 0, interaction.radiatedLength_mm > 0.0);
  }
}

TEST(AblationMultiProbeZone, DraggingOneProbeEqualsTheZoneFromScratch) {
  const AblationGrid grid = gridWithVessel();
  const ZoneSurrogate& s = cachedSurrogate(findDevice("mw-2450mhz-100w"));
  const std::vector<std::uint8_t> sink = heatSinkMask(grid, s.options.sinkDistance_mm);
  const ProbeInteraction interaction = probeInteraction(s);
  std::vector<ProbePlacement> probes{alongZ(-8.0, -6.0), alongZ(8.0, -6.0), alongZ(0.0, 8.0)};
  const LiveMultiProbeZone live(s, grid, sink, std::span(probes).first(2), interaction);
  EXPECT_EQ(live.heldProbeCount(), 2u);
  for (double x : {-6.0, 0.0, 5.0}) {
    probes[2] = alongZ(x, 8.0 + 0.5 * x);
    const PredictedZone dragged = live.withMovingProbe(probes[2]);
    const PredictedZone scratch = predictCombinedZone(s, grid, probes, sink, interaction);
    EXPECT_EQ(dragged.zone, scratch.zone) << x;
    EXPECT_DOUBLE_EQ(dragged.volume_ml, scratch.volume_ml);
  }
}

// The planner's verdicts on listed voxels only (combinedZoneAt) are predictCombinedZone's, voxel
// for voxel, for one to three probes, by a vessel (its sink band and shadow), RF and microwave.
TEST(AblationMultiProbeZone, VerdictsAtListedVoxelsAreThoseOfTheWholeGrid) {
  const AblationGrid grid = gridWithVessel();
  std::vector<std::size_t> all(grid.geometry.voxelCount()), sparse;
  for (std::size_t v = 0; v < all.size(); ++v) all[v] = v;
  for (std::size_t v = 3; v < all.size(); v += 7) sparse.push_back(v);
  const std::vector<ProbePlacement> probes{alongZ(-8.0, -6.0), alongZ(8.0, -6.0), alongZ(0.0, 8.0)};
  for (const char* id : {"mw-2450mhz-100w", "rf-cooled-3cm"}) {
    const ZoneSurrogate& s = cachedSurrogate(findDevice(id));
    const std::vector<std::uint8_t> sink = heatSinkMask(grid, s.options.sinkDistance_mm);
    for (std::size_t n = 1; n <= probes.size(); ++n) {
      SCOPED_TRACE(std::string(id) + ", " + std::to_string(n) + " probes");
      const auto some = std::span(probes).first(n);
      const ProbeInteraction interaction = probeInteraction(s);
      const PredictedZone whole = predictCombinedZone(s, grid, some, sink, interaction);
      EXPECT_EQ(combinedZoneAt(s, grid, some, sink, interaction, all), whole.zone);
      const std::vector<std::uint8_t> listed =
          combinedZoneAt(s, grid, some, sink, interaction, sparse);
      std::size_t in = 0;
      for (std::size_t k = 0; k < sparse.size(); ++k) {
        ASSERT_EQ(listed[k], whole.zone[sparse[k]]) << sparse[k];
        in += listed[k];
      }
      EXPECT_GT(in, 0u);
    }
  }
}

// L = sqrt(alpha t), alpha = k / (rho c) of liver (IT'IS v4.1: k 0.52 W/(m K), rho 1079 kg/m3,
// c 3540 J/(kg K): 1.361e-7 m2/s): 6.39 mm for the antenna's 5 min, 9.90 mm for 12 min.
TEST(AblationMultiProbeZone, InteractionLengthIsLiversDiffusionLength) {
  ZoneSurrogate s;
  s.duration_s = 300.0;
  EXPECT_NEAR(probeInteractionLength_mm(s), kProbeInteractionScale * 6.39, 0.01);
  s.duration_s = 720.0;
  EXPECT_NEAR(probeInteractionLength_mm(s), kProbeInteractionScale * 9.90, 0.01);
}

// The radiated decay length 1 / (2 a), a the attenuation constant of a plane wave in liver at
// 37 degC (Gabriel 1996 via the tissue table: eps_r 43.0, sigma 1.69 S/m at 2.45 GHz; 46.8,
// 0.86 S/m at 915 MHz), here from the complex propagation constant gamma = j omega sqrt(mu0
// eps0 (eps_r - j sigma / (omega eps0))): 10.40 mm at 2.45 GHz, 21.5 mm at 915 MHz; RF (conducted
// heat only) has none.
double radiatedLength_mm(double relativePermittivity, double conductivity_S_m, double f_Hz) {
  const double omega = 2.0 * std::numbers::pi * f_Hz, eps0 = 8.8541878128e-12;
  const double mu0 = 1.25663706212e-6;
  const std::complex<double> eps(relativePermittivity, -conductivity_S_m / (omega * eps0));
  const std::complex<double> gamma =
      std::complex<double>(0.0, 1.0) * omega * std::sqrt(mu0 * eps0 * eps);
  return 1e3 / (2.0 * std::abs(gamma.real()));
}

TEST(AblationMultiProbeZone, AnAntennasRadiatedLengthIsLiversMicrowaveAttenuation) {
  const ProbeInteraction mw = probeInteraction(cachedSurrogate(findDevice("mw-2450mhz-100w")));
  EXPECT_NEAR(mw.radiatedLength_mm, radiatedLength_mm(43.0, 1.69, 2.45e9), 1e-6);
  EXPECT_NEAR(mw.radiatedLength_mm, 10.40, 0.01);
  EXPECT_NEAR(mw.diffusionLength_mm, 6.39, 0.01);
  EXPECT_DOUBLE_EQ(mw.radialExponent, 1.0);
  const ProbeInteraction mw915 = probeInteraction(cachedSurrogate(findDevice("mw-915mhz-45w")));
  EXPECT_NEAR(mw915.radiatedLength_mm, radiatedLength_mm(46.8, 0.86, 915e6), 1e-6);
  const ProbeInteraction rf = probeInteraction(cachedSurrogate(findDevice("rf-cooled-3cm")));
  EXPECT_EQ(rf.radiatedLength_mm, 0.0);
  EXPECT_NEAR(rf.diffusionLength_mm, 9.90, 0.01);
}

}  // namespace
}  // namespace twinplan::ablation
