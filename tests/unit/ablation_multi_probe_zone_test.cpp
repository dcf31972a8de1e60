// Several probes in the zone surrogate (simulation/ablation/zone_surrogate.h: superposed heat
// shares, predictCombinedZone, LiveMultiProbeZone): the rule's closed form between two parallel
// probes, one probe and L = 0 give the single zones and their union exactly, the live drag equals
// a computation from scratch (also next to a vessel), and the interaction length is liver's
// diffusion length. The agreement with the full physics is slow/ablation_multi_probe_test.
#include <gtest/gtest.h>

#include <cmath>

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
  const PredictedZone together = predictCombinedZone(s, grid, probes, {}, 5.0);
  const PredictedZone united = predictCombinedZone(s, grid, probes, {}, 0.0);
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

// Probes far apart do not interact: the zone is the union voxel for voxel.
TEST(AblationMultiProbeZone, ProbesFarApartGiveTheUnion) {
  const ZoneSurrogate s = cylinderSurrogate();
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {101, 41, 61}, 1.0);
  const std::vector<ProbePlacement> probes{alongZ(-30.0, 0.0), alongZ(30.0, 0.0)};
  EXPECT_EQ(predictCombinedZone(s, grid, probes, {}, 5.0).zone,
            predictCombinedZone(s, grid, probes, {}, 0.0).zone);
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
    EXPECT_EQ(predictCombinedZone(s, grid, std::vector{a}, sink, 6.4).zone, single.zone);
    std::vector<std::uint8_t> united;
    addPredictedZone(s, grid, a, sink, united);
    addPredictedZone(s, grid, b, sink, united);
    EXPECT_EQ(predictCombinedZone(s, grid, std::vector{a, b}, sink, 0.0).zone, united);
    // Superposed: a superset of the union that never takes blood or its 2 mm band.
    const PredictedZone together = predictCombinedZone(s, grid, std::vector{a, b}, sink, 6.4);
    std::size_t extra = 0;
    for (std::size_t v = 0; v < united.size(); ++v) {
      ASSERT_TRUE(!united[v] || together.zone[v]) << v;
      ASSERT_TRUE(!sink[v] || !together.zone[v]) << v;
      extra += together.zone[v] && !united[v];
    }
    EXPECT_GT(extra, 0u);
  }
}

TEST(AblationMultiProbeZone, DraggingOneProbeEqualsTheZoneFromScratch) {
  const AblationGrid grid = gridWithVessel();
  const ZoneSurrogate& s = cachedSurrogate(findDevice("mw-2450mhz-100w"));
  const std::vector<std::uint8_t> sink = heatSinkMask(grid, s.options.sinkDistance_mm);
  const double length = probeInteractionLength_mm(s);
  std::vector<ProbePlacement> probes{alongZ(-8.0, -6.0), alongZ(8.0, -6.0), alongZ(0.0, 8.0)};
  const LiveMultiProbeZone live(s, grid, sink, std::span(probes).first(2), length);
  EXPECT_EQ(live.heldProbeCount(), 2u);
  for (double x : {-6.0, 0.0, 5.0}) {
    probes[2] = alongZ(x, 8.0 + 0.5 * x);
    const PredictedZone dragged = live.withMovingProbe(probes[2]);
    const PredictedZone scratch = predictCombinedZone(s, grid, probes, sink, length);
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
      const double length = probeInteractionLength_mm(s);
      const PredictedZone whole = predictCombinedZone(s, grid, some, sink, length);
      EXPECT_EQ(combinedZoneAt(s, grid, some, sink, length, all), whole.zone);
      const std::vector<std::uint8_t> listed = combinedZoneAt(s, grid, some, sink, length, sparse);
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

}  // namespace
}  // namespace twinplan::ablation
