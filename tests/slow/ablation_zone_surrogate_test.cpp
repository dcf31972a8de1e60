// The zone surrogate (simulation/ablation/zone_surrogate.h) against the full physics it stands
// for (slow: each comparison runs the bioheat solver): the calibrated profile placed obliquely on
// a different grid in uniform liver, and next to a large vessel, compared with simulateAblation
// on the same grid (Dice, long and short axes). Figures in docs/validation.md.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <optional>

#include "ablation_zone_checks.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/zone_surrogate.h"

namespace twinplan::ablation {
namespace {

using testing::dice;

AblationResult fullPhysics(const AblationGrid& grid, const AblationDevice& device,
                           const ProbePlacement& probe, std::optional<double> power_W = {},
                           std::optional<double> duration_s = {}) {
  const auto source = makeHeatSource(grid, device, probe, power_W.value_or(device.power_W));
  BioheatParameters p;
  p.duration_s = duration_s.value_or(device.duration_s);
  return simulateAblation(grid, *source, p);
}

// Farthest extent of the zone from the probe axis towards +x and -x (mm), in the slab
// |y| <= 1 mm around the probe, which runs along z through x = y = 0.
std::pair<double, double> lateralReach_mm(const std::vector<std::uint8_t>& zone,
                                          const ImageGeometry& g) {
  double plus = 0.0, minus = 0.0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        if (!zone[g.linearIndex(i, j, k)]) continue;
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        if (std::abs(p.y()) > 1.0) continue;
        plus = std::max(plus, p.x()), minus = std::max(minus, -p.x());
      }
  return {plus, minus};
}

// An oblique placement on a 1.5 mm grid: the surrogate (calibrated along z on a 2 mm grid)
// against the full physics in the same uniform liver.
void expectAgreementInLiver(const std::string& deviceId, double minDice,
                            std::optional<double> power_W = {},
                            std::optional<double> duration_s = {}) {
  SCOPED_TRACE(deviceId);
  const AblationDevice& device = findDevice(deviceId);
  const ZoneSurrogate& s = cachedSurrogate(device, power_W, duration_s);
  ASSERT_FALSE(s.radius_mm.empty());
  const Vec3 axis = Vec3(1.0, 0.5, -1.0).normalized();
  ProbePlacement probe;
  probe.tip_lps = Vec3(0.3, -0.2, 0.1) + (device.activeTipLength_mm / 2.0) * axis;
  probe.entry_lps = probe.tip_lps - 120.0 * axis;
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {67, 67, 67}, 1.5);
  const AblationResult truth = fullPhysics(grid, device, probe, power_W, duration_s);
  const PredictedZone predicted = predictZone(s, grid, probe);
  const ZoneAxes a = measureZoneAxes(truth.ablationZone, grid.geometry, probe.axis());
  const ZoneAxes b = measureZoneAxes(predicted.zone, grid.geometry, probe.axis());
  const double d = dice(truth.ablationZone, predicted.zone);
  std::cout << deviceId << " " << s.power_W << " W " << s.duration_s << " s: calibration "
            << s.calibration_s << " s, Dice " << d << ", long " << a.long_mm << " vs " << b.long_mm
            << " mm, short " << a.short_mm[0] << " vs " << b.short_mm[0] << " mm, volume "
            << truth.zoneVolume_ml << " vs " << predicted.volume_ml << " ml\n";
  EXPECT_GT(truth.zoneVolume_ml, 5.0);
  EXPECT_GE(d, minDice);
  EXPECT_NEAR(b.long_mm, a.long_mm, 3.0);
  EXPECT_NEAR(b.short_mm[0], a.short_mm[0], 3.0);
  EXPECT_EQ(predicted.voxelsLostToVessels, 0u);
}

TEST(AblationZoneSurrogate, MicrowaveObliqueOnAnotherGridMatchesTheFullPhysics) {
  expectAgreementInLiver("mw-2450mhz-100w", 0.9);
}

TEST(AblationZoneSurrogate, CooledRfObliqueOnAnotherGridMatchesTheFullPhysics) {
  expectAgreementInLiver("rf-cooled-3cm", 0.9);
}

// The 2 cm multi-tine (branch ablleveen2): an umbrella on the RF 3000 ramp, whose roll-offs
// come when the tissue at a tine boils, so they depend on the grid the tines are drawn on.
TEST(AblationZoneSurrogate, MultiTineRampObliqueOnAnotherGridMatchesTheFullPhysics) {
  expectAgreementInLiver("rf-multitine-2cm", 0.9);
}

// Settings the planner now chooses below the catalogue's (branch ablplanpt): their profiles are
// the zones of a longer calibration run at that time (zone_surrogate.h calibrateSurrogateTimes).
TEST(AblationZoneSurrogate, LowerPowerAndShorterTimeMatchTheFullPhysics) {
  expectAgreementInLiver("mw-2450mhz-100w", 0.9, 60.0, 240.0);
  expectAgreementInLiver("rf-cooled-3cm", 0.9, 200.0, 360.0);
}

// The prefix property on the table's own 2 mm grid: each device's profile at a middle planner
// time, taken from the run of its catalogue time, against a calibration run of that duration.
TEST(AblationZoneSurrogate, TabulatedEarlierTimesAreThoseOfRunsOfThatDuration) {
  for (const AblationDevice& d : deviceCatalogue()) {
    SCOPED_TRACE(d.id);
    const std::vector<double> times = plannerDurations_s(d);
    const double t = times[times.size() / 2 - 1];
    const std::optional<ZoneSurrogate> table = tabulatedSurrogate(d.id, d.power_W, t);
    ASSERT_TRUE(table);
    const ZoneSurrogate own = calibrateSurrogate(d, d.power_W, t);
    double largest_mm = 0.0;
    for (double x = own.firstS_mm - 4.0; x < own.firstS_mm + 80.0; x += 0.5)
      largest_mm = std::max(largest_mm, std::abs(table->radiusAt(x) - own.radiusAt(x)));
    std::cout << d.id << " at " << t << " s: volume " << table->calibratedVolume_ml << " / "
              << own.calibratedVolume_ml << " ml, axes " << table->calibratedLong_mm << " x "
              << table->calibratedShort_mm << " / " << own.calibratedLong_mm << " x "
              << own.calibratedShort_mm << " mm, energy " << table->deliveredEnergy_J << " / "
              << own.deliveredEnergy_J << " J, largest R(s) difference " << largest_mm
              << " mm (table / own run)\n";
    EXPECT_NEAR(table->calibratedVolume_ml, own.calibratedVolume_ml,
                0.02 * own.calibratedVolume_ml);
    EXPECT_NEAR(table->calibratedLong_mm, own.calibratedLong_mm, 2.0);
    EXPECT_NEAR(table->calibratedShort_mm, own.calibratedShort_mm, 2.0);
    EXPECT_NEAR(table->deliveredEnergy_J, own.deliveredEnergy_J, 0.01 * own.deliveredEnergy_J);
    EXPECT_LE(largest_mm, 2.0);
  }
}

TEST(AblationZoneSurrogate, ProfileEndsAtTheCalibratedZone) {
  const ZoneSurrogate& s = cachedSurrogate(findDevice("mw-2450mhz-100w"));
  // The profile is closed (zero at both ends) and its largest radius is half the short axis
  // the calibration run measured, within a voxel.
  EXPECT_EQ(s.radius_mm.front(), 0.0);
  EXPECT_EQ(s.radius_mm.back(), 0.0);
  double maxR = 0.0;
  for (double r : s.radius_mm) maxR = std::max(maxR, r);
  EXPECT_NEAR(2.0 * maxR, s.calibratedShort_mm, s.step_mm);
  EXPECT_EQ(s.radiusAt(s.firstS_mm - 1.0), 0.0);
}

// A 6 mm portal-vein branch parallel to the antenna, its wall 6 mm from the axis: the full
// physics and the surrogate both lose the vessel and its wall, and both ablate behind it.
TEST(AblationZoneSurrogate, VesselBesideTheProbeShrinksBothZonesOnItsSide) {
  const AblationDevice& device = findDevice("mw-2450mhz-100w");
  AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {61, 61, 61}, 1.5);
  grid.tissues.push_back(tissueLibrary().at("blood"));
  grid.bloodSpeed_m_s.assign(grid.tissue.size(), 0.0f);
  const ImageGeometry& g = grid.geometry;
  const Vec3 vesselCentre(9.0, 0.0, 0.0);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        if (std::hypot(p.x() - vesselCentre.x(), p.y() - vesselCentre.y()) > 3.0) continue;
        const std::size_t v = g.linearIndex(i, j, k);
        grid.tissue[v] = TissueIndex(grid.tissues.size() - 1);
        grid.bloodSpeed_m_s[v] = 0.15f;  // portal vein order (vessel_flow.json)
      }
  ProbePlacement probe;
  probe.tip_lps = Vec3(0.0, 0.0, -device.activeTipLength_mm / 2.0);
  probe.entry_lps = probe.tip_lps + Vec3(0.0, 0.0, 120.0);
  const AblationResult truth = fullPhysics(grid, device, probe);
  const PredictedZone predicted = predictZone(cachedSurrogate(device), grid, probe);
  const auto [truthPlus, truthMinus] = lateralReach_mm(truth.ablationZone, g);
  const auto [surrPlus, surrMinus] = lateralReach_mm(predicted.zone, g);
  const double d = dice(truth.ablationZone, predicted.zone);
  std::cout << "vessel: Dice " << d << ", reach towards vessel " << truthPlus << " vs " << surrPlus
            << " mm, away " << truthMinus << " vs " << surrMinus << " mm, volume "
            << truth.zoneVolume_ml << " vs " << predicted.volume_ml << " ml\n";
  // The full physics ablates behind the vessel (x > 12 mm): the microwave field crosses the 6 mm
  // vessel and heats the tissue beyond directly, while the vessel cools only its own
  // surroundings (measured 15 mm since branch ablzone's radiating-section ends; 18 mm before,
  // 16.5 mm before the temperature-dependent dielectric properties of branch ablmw, 4.5 mm
  // before the water loss of branch ablphys). Microwave
  // zones are known to suffer less from heat sinks than RF (Lubner et al., J Vasc Interv Radiol
  // 2010;21:S192). The surrogate's microwave rule (zone_surrogate.h): behind a vessel the reach
  // shortens by the blood crossed. Through the vessel's middle that is 21 - 7.5 = 13.5 mm (the
  // 1.5 mm voxels of blood span 7.5 mm), inside the 2 mm band beside the far wall (12.75 mm),
  // so the reach in this slab stays at the near wall; rays through the vessel's edges cross
  // less blood and reach behind it (Dice 0.946 with the old rule, nothing behind a vessel).
  // Dice 0.954 until branch ablmw; since, the heated tissue beside the antenna absorbs less and
  // the full physics reaches 1.5 mm further behind the vessel, which this rule does not follow:
  // Dice 0.949 (0.947 since branch ablzone). The bound is 0.94 (the surrogate's vessel rule is
  // the limit, not the physics).
  EXPECT_GT(truthPlus, 12.0);
  EXPECT_LT(surrPlus, 6.5);
  EXPECT_GT(truthMinus, 12.0);
  EXPECT_GT(surrMinus, 12.0);
  EXPECT_NEAR(surrMinus, truthMinus, 3.0);
  EXPECT_GT(predicted.voxelsLostToVessels, 0u);
  EXPECT_GE(d, 0.94);
}

}  // namespace
}  // namespace twinplan::ablation
