// The planner's power/time search grid and the zone surrogate's calibration of several times
// from one run (simulation/ablation/zone_surrogate.h: plannerPowers_W, plannerDurations_s,
// calibrateSurrogateTimes; bioheat.h zoneSnapshotTimes_s): the zone kept at t during a longer
// run is the zone of a run of duration t (the prefix property; no cool-down in either), and the
// tabulated profiles of one power grow with time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/fixed_power_source.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

TEST(AblationPlannerSettings, MinuteStepsUpToTheCatalogueTimeAndPowersUpToTheGenerator) {
  const AblationDevice& mw = findDevice("mw-2450mhz-100w");  // 100 W (maximum), 5 min
  EXPECT_EQ(plannerPowers_W(mw), (std::vector<double>{50, 60, 70, 80, 90, 100}));
  EXPECT_EQ(plannerDurations_s(mw), (std::vector<double>{60, 120, 180, 240, 300}));
  const AblationDevice& mw915 = findDevice("mw-915mhz-45w");  // 45 W (maximum), 10 min
  EXPECT_EQ(plannerPowers_W(mw915), (std::vector<double>{25, 30, 35, 40, 45}));
  EXPECT_EQ(plannerDurations_s(mw915).size(), 10u);
  // RF: the generator's controller sets the delivered power; only the time is searched.
  const AblationDevice& rf = findDevice("rf-cooled-3cm");  // 200 W, 12 min
  EXPECT_EQ(plannerPowers_W(rf), (std::vector<double>{200}));
  EXPECT_EQ(plannerDurations_s(rf).size(), 12u);
  EXPECT_EQ(plannerDurations_s(rf).back(), 720.0);
  EXPECT_EQ(plannerSettings(mw).size(), 30u);
  // A catalogue time that is not whole minutes ends the list.
  AblationDevice odd = mw;
  odd.duration_s = 150.0;
  EXPECT_EQ(plannerDurations_s(odd), (std::vector<double>{60, 120, 150}));
}

// A 3 mm calibration grid keeps these runs near a second; the property is the time stepper's,
// whatever the grid.
SurrogateOptions coarse() {
  SurrogateOptions o;
  o.calibrationSpacing_mm = 3.0;
  o.calibrationBox_mm = 90.0;
  return o;
}

// The profile at t from a run of 2.5 t against a run of duration t. Steps end on every kept
// time, so the long run's steps before t may be cut where the short run's adaptive steps are
// not: the zones agree to a voxel, not bit for bit.
void expectSameProfile(const ZoneSurrogate& fromLongRun, const ZoneSurrogate& ownRun) {
  EXPECT_NEAR(fromLongRun.calibratedVolume_ml, ownRun.calibratedVolume_ml,
              0.02 * ownRun.calibratedVolume_ml);
  EXPECT_NEAR(fromLongRun.calibratedLong_mm, ownRun.calibratedLong_mm, 3.0);
  EXPECT_NEAR(fromLongRun.calibratedShort_mm, ownRun.calibratedShort_mm, 3.0);
  EXPECT_NEAR(fromLongRun.deliveredEnergy_J, ownRun.deliveredEnergy_J,
              0.01 * ownRun.deliveredEnergy_J);
  double largest_mm = 0.0;
  for (double s = ownRun.firstS_mm; s < ownRun.firstS_mm + 60.0; s += 1.0) {
    EXPECT_NEAR(fromLongRun.radiusAt(s), ownRun.radiusAt(s), 3.0) << "s = " << s;
    largest_mm = std::max(largest_mm, std::abs(fromLongRun.radiusAt(s) - ownRun.radiusAt(s)));
  }
  std::cout << ownRun.deviceId << " at " << ownRun.duration_s << " s: volume "
            << fromLongRun.calibratedVolume_ml << " / " << ownRun.calibratedVolume_ml
            << " ml, axes " << fromLongRun.calibratedLong_mm << " x "
            << fromLongRun.calibratedShort_mm << " / " << ownRun.calibratedLong_mm << " x "
            << ownRun.calibratedShort_mm << " mm, energy " << fromLongRun.deliveredEnergy_J << " / "
            << ownRun.deliveredEnergy_J << " J, largest R(s) difference " << largest_mm
            << " mm (long run / own run)\n";
}

TEST(AblationSurrogateTimes, ZoneAtAnEarlierTimeOfALongRunIsTheShortRunsZone) {
  for (const char* id : {"mw-2450mhz-100w", "rf-cooled-3cm"}) {
    SCOPED_TRACE(id);
    const AblationDevice& d = findDevice(id);
    const std::vector<ZoneSurrogate> series =
        calibrateSurrogateTimes(d, d.power_W, {120.0, 300.0}, coarse());
    ASSERT_EQ(series.size(), 2u);
    EXPECT_EQ(series[0].duration_s, 120.0);
    const ZoneSurrogate own = calibrateSurrogate(d, d.power_W, 120.0, coarse());
    expectSameProfile(series[0], own);
    // The zone grows: the 300 s profile holds the 120 s one.
    EXPECT_GT(series[1].calibratedVolume_ml, series[0].calibratedVolume_ml);
    for (double s = series[0].firstS_mm; s < series[0].firstS_mm + 60.0; s += 1.0)
      EXPECT_GE(series[1].radiusAt(s) + 1e-9, series[0].radiusAt(s)) << "s = " << s;
  }
}

TEST(AblationSurrogateTimes, TabulatedProfilesOfOnePowerAreNested) {
  for (const AblationDevice& d : deviceCatalogue())
    for (double p : plannerPowers_W(d)) {
      std::optional<ZoneSurrogate> previous;
      for (double t : plannerDurations_s(d)) {
        const auto s = tabulatedSurrogate(d.id, p, t);
        ASSERT_TRUE(s) << d.id << " " << p << " W " << t << " s";
        if (previous) {
          EXPECT_GE(s->calibratedVolume_ml, previous->calibratedVolume_ml) << d.id << " " << t;
          EXPECT_GE(s->deliveredEnergy_J, previous->deliveredEnergy_J) << d.id << " " << t;
          for (double x = previous->firstS_mm; x <= previous->firstS_mm + 80.0; x += 0.5)
            ASSERT_GE(s->radiusAt(x) + 1e-9, previous->radiusAt(x))
                << d.id << " " << p << " W " << t << " s, s = " << x;
        }
        previous = s;
      }
    }
}

TEST(AblationSurrogateTimes, SnapshotTimesMustRiseInsideTheRun) {
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {9, 9, 9}, 2.0);
  FixedPowerSource source(grid, std::vector<float>(grid.geometry.voxelCount(), 0.0f));
  BioheatParameters p;
  p.duration_s = 60.0;
  for (const std::vector<double>& bad :
       {std::vector<double>{30.0, 20.0}, std::vector<double>{60.0}, std::vector<double>{0.0}}) {
    p.zoneSnapshotTimes_s = bad;
    try {
      simulateAblation(grid, source, p);
      FAIL() << "accepted " << bad.front();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_NE(std::string(e.what()).find("snapshot"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(calibrateSurrogateTimes(findDevice("mw-2450mhz-100w"), 100.0, {120.0, 60.0}), Error);
  // Kept zones carry their time and the energy so far (no power here: 0 J).
  p.zoneSnapshotTimes_s = {10.0, 25.0};
  const AblationResult r = simulateAblation(grid, source, p);
  ASSERT_EQ(r.zoneSnapshots.size(), 2u);
  EXPECT_EQ(r.zoneSnapshots[1].time_s, 25.0);
  EXPECT_EQ(r.zoneSnapshots[1].zone.size(), grid.geometry.voxelCount());
  EXPECT_DOUBLE_EQ(r.time_s.back(), 60.0);
}

}  // namespace
}  // namespace twinplan::ablation
