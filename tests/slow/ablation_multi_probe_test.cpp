// Several probes switched on together: the zone surrogate's superposed heat shares
// (zone_surrogate.h predictCombinedZone) and the union of single zones against the full physics
// of the same probes on one grid (slow: each layout runs the bioheat solver). Uniform liver, the
// planner's 2 mm grid, parallel 2.45 GHz antennas at 100 W for 5 min (each on its own generator
// channel: device_source.h), in the planner's layouts: pairs 10, 15 and 20 mm apart, and
// triangles of 8 and 12 mm circumradius; and two cooled RF electrodes on one generator. Each
// layout also against the rule before branch ablsuper (conducted shares only). Figures in
// docs/validation.md "ablplan", "ablmulti" and "ablsuper".
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "ablation_zone_checks.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/zone_surrogate.h"

namespace twinplan::ablation {
namespace {

using testing::dice;

// Probes along z whose tips lie on `offsets` (x, y) with the zones centred on z = 0.
std::vector<ProbePlacement> parallelProbes(const ZoneSurrogate& s,
                                           const std::vector<Vec3>& offsets) {
  std::vector<ProbePlacement> probes;
  for (const Vec3& o : offsets) {
    const Vec3 tip = o + Vec3(0.0, 0.0, -s.centreBehindTip_mm);
    probes.push_back({tip, tip + Vec3(0.0, 0.0, 120.0)});
  }
  return probes;
}

std::vector<Vec3> pair(double spacing_mm) {
  return {Vec3(-spacing_mm / 2.0, 0.0, 0.0), Vec3(spacing_mm / 2.0, 0.0, 0.0)};
}

std::vector<Vec3> triangle(double circumradius_mm) {
  std::vector<Vec3> tips;
  for (int n = 0; n < 3; ++n) {
    const double a = 2.0 * std::numbers::pi * n / 3.0;
    tips.push_back(circumradius_mm * Vec3(std::cos(a), std::sin(a), 0.0));
  }
  return tips;
}

struct Agreement {
  double physics_ml, union_ml, conducted_ml, superposed_ml;
  double unionDice, conductedDice, superposedDice;
};

Agreement compare(const std::string& layout, const std::vector<Vec3>& offsets,
                  const std::string& deviceId = "mw-2450mhz-100w") {
  const AblationDevice& device = findDevice(deviceId);
  const ZoneSurrogate& s = cachedSurrogate(device);
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {61, 61, 61}, 2.0);
  // RF: one generator drives the electrodes at one potential at the device's power (200 W for
  // the cooled electrode); antennas: each at its own 100 W.
  const std::vector<ProbePlacement> probes = parallelProbes(s, offsets);
  const auto source = makeHeatSource(grid, device, probes);
  BioheatParameters p;
  p.duration_s = s.duration_s;
  const AblationResult truth = simulateAblation(grid, *source, p);
  const ProbeInteraction interaction = probeInteraction(s);
  const PredictedZone united = predictCombinedZone(s, grid, probes, {}, ProbeInteraction{});
  // The rule before branch ablsuper: conducted heat only.
  const PredictedZone conducted =
      predictCombinedZone(s, grid, probes, {}, conductedOnly(interaction.diffusionLength_mm));
  const PredictedZone together = predictCombinedZone(s, grid, probes, {}, interaction);
  const Agreement a{truth.zoneVolume_ml,
                    united.volume_ml,
                    conducted.volume_ml,
                    together.volume_ml,
                    dice(truth.ablationZone, united.zone),
                    dice(truth.ablationZone, conducted.zone),
                    dice(truth.ablationZone, together.zone)};
  std::printf(
      "| %s | %.1f | %.1f, %.3f | %.1f, %.3f | %.1f, %.3f | %.1f %% | L %.2f mm, "
      "1/(2a) %.2f mm\n",
      layout.c_str(), a.physics_ml, a.union_ml, a.unionDice, a.conducted_ml, a.conductedDice,
      a.superposed_ml, a.superposedDice, 100.0 * (a.physics_ml - a.superposed_ml) / a.physics_ml,
      interaction.diffusionLength_mm, interaction.radiatedLength_mm);
  return a;
}

// The physics' zone is larger than the union of single zones; the superposed zone is nearer
// the physics in volume and overlap in every layout, its volume within `volumeShare` (10 %
// unless stated) of the physics'. For antennas the radiated share brings it nearer than the
// conducted shares alone, in volume and Dice; for RF (no radiated share) it is that zone.
void expectSuperpositionNearer(const Agreement& a, double minDice, double volumeShare = 0.10,
                               bool radiates = true) {
  EXPECT_GT(a.physics_ml, a.union_ml);
  EXPECT_LT(std::abs(a.superposed_ml - a.physics_ml), std::abs(a.union_ml - a.physics_ml));
  EXPECT_NEAR(a.superposed_ml, a.physics_ml, volumeShare * a.physics_ml);
  EXPECT_GT(a.superposedDice, a.unionDice);
  EXPECT_GE(a.superposedDice, minDice);
  if (radiates) {
    EXPECT_LT(std::abs(a.superposed_ml - a.physics_ml), std::abs(a.conducted_ml - a.physics_ml));
    EXPECT_GT(a.superposedDice, a.conductedDice);
  } else {
    EXPECT_DOUBLE_EQ(a.superposed_ml, a.conducted_ml);
    EXPECT_DOUBLE_EQ(a.superposedDice, a.conductedDice);
  }
}

// The premise of the comparisons below: on this grid one antenna's tabulated profile is the
// full physics' zone, so what the layouts miss is the superposition rule's, not a stale table
// (session 13's passing run was made before the 2.45 GHz profile was recalibrated to its new
// source; docs/validation.md "ablmulti").
TEST(AblationMultiProbe, OneAntennasProfileIsTheFullPhysicsOnThisGrid) {
  const Agreement a = compare("1 antenna", {Vec3::Zero()});
  EXPECT_NEAR(a.superposed_ml, a.physics_ml, 0.03 * a.physics_ml);
  EXPECT_GE(a.superposedDice, 0.96);
}

// Per layout: the largest volume share the superposed zone may miss and its least Dice.
struct LayoutBound {
  double size_mm, volumeShare, minDice;
};

// Since the 2.45 GHz source's SAR stops at the radiating section's ends (session 13, branch
// ablzone) one antenna's zone is 10 % smaller (47.3 -> 42.6 ml) but two antennas' only 3-4 %
// and three antennas' 0-1 %: the power that went ahead of the tip and along the shaft now goes
// beside the section, where the neighbours' fields overlap. Conducted shares alone fell 9-14 %
// short for pairs and 15-20 % for triangles (branch ablmulti's bounds: 16/14/10 % and Dice
// 0.91/0.92/0.93; 22/17 % and 0.87/0.90). With the antennas' radiated shares (branch ablsuper)
// 7-12 % and 12-17 % (Dice 0.934-0.956 and 0.905-0.931); the bounds below are those figures with
// a margin (about 2 % in volume, 0.012-0.016 in Dice), the closest layouts loosest
// (docs/validation.md "ablsuper").
TEST(AblationMultiProbe, TwoAntennasSuperposedMatchTheFullPhysics) {
  for (const LayoutBound& b : {LayoutBound{10.0, 0.14, 0.92}, LayoutBound{15.0, 0.12, 0.93},
                               LayoutBound{20.0, 0.09, 0.94}}) {
    SCOPED_TRACE(b.size_mm);
    expectSuperpositionNearer(
        compare("2 antennas " + std::to_string(int(b.size_mm)) + " mm apart", pair(b.size_mm)),
        b.minDice, b.volumeShare);
  }
}

// Three antennas: the same as two, more so (three fields overlap between them); since branch
// ablmw the heated tissue also absorbs less and passes more power outward (docs/validation.md
// "Microwave dielectric temperature dependence").
TEST(AblationMultiProbe, ThreeAntennasSuperposedMatchTheFullPhysics) {
  for (const LayoutBound& b : {LayoutBound{8.0, 0.19, 0.89}, LayoutBound{12.0, 0.145, 0.915}}) {
    SCOPED_TRACE(b.size_mm);
    expectSuperpositionNearer(
        compare("3 antennas, circumradius " + std::to_string(int(b.size_mm)) + " mm",
                triangle(b.size_mm)),
        b.minDice, b.volumeShare);
  }
}

// Two cooled RF electrodes 15 mm apart on one generator (12 min, 200 W ceiling): the physics
// takes more energy than one electrode (lower impedance, less roll-off; docs/validation.md
// "several RF electrodes on one generator").
TEST(AblationMultiProbe, TwoCooledRfElectrodesSuperposedAgainstTheFullPhysics) {
  expectSuperpositionNearer(
      compare("2 cooled RF electrodes 15 mm apart", pair(15.0), "rf-cooled-3cm"), 0.93, 0.10,
      false);
}

}  // namespace
}  // namespace twinplan::ablation
