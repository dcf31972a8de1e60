// Published ablation zones of the catalogue's devices at their stated settings, simulated with
// the RF and microwave sources on the Pennes bioheat solver in uniform liver (issue #17 item 4).
// docs/validation.md ("Thermal ablation: devices and published zones") tabulates the figures
// this prints and says which devices match the published zone within +-5 mm and why not.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "ablation_test_tissue.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/microwave_source.h"
#include "twinplan/ablation/rf_source.h"

namespace twinplan::ablation {
namespace {

struct ZoneRun {
  ZoneAxes axes;
  double volume_ml = 0.0;
  double energy_kJ = 0.0;
  double seconds = 0.0;
  int rollOffs = 0;
  double maxTemperature_degC = 0.0;
};

// The device at its catalogue setting, probe along +z, tip 10 mm above the grid's centre.
ZoneRun simulateDevice(const AblationDevice& device, double gridSize_mm, double timeStep_s) {
  const std::int64_t n = std::int64_t(gridSize_mm) + 1;
  const AblationGrid grid = uniformGrid(testing::testLiver(), {n, n, n}, 1.0);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, device.type == DeviceType::RfMultiTine ? -10.0 : 10.0);
  placement.entry_lps = placement.tip_lps - Vec3(0.0, 0.0, 200.0);
  if (device.type == DeviceType::RfSingle || device.type == DeviceType::RfCluster) {
    placement.tip_lps.z() = 0.5 * device.activeTipLength_mm;  // active part centred on 0
    placement.entry_lps = placement.tip_lps - Vec3(0.0, 0.0, 200.0);
  }
  if (device.type == DeviceType::Microwave) {
    placement.tip_lps.z() = device.feedGapFromTip_mm;  // feed gap at 0
    placement.entry_lps = placement.tip_lps - Vec3(0.0, 0.0, 200.0);
  }
  std::unique_ptr<HeatSource> source;
  RfSource* rf = nullptr;
  if (device.isRf()) {
    auto rfSource = std::make_unique<RfSource>(grid, device, placement, rfSettingsFor(device));
    rf = rfSource.get();
    source = std::move(rfSource);
  } else {
    source =
        std::make_unique<MicrowaveSource>(grid, device, placement, microwaveSettingsFor(device));
  }
  BioheatParameters parameters;
  parameters.duration_s = device.duration_s;
  parameters.timeStep_s = timeStep_s;
  const auto start = std::chrono::steady_clock::now();
  const AblationResult result = simulateAblation(grid, *source, parameters);
  ZoneRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.axes = measureZoneAxes(result.ablationZone, grid.geometry, Vec3::UnitZ());
  run.volume_ml = result.zoneVolume_ml;
  run.energy_kJ = result.deliveredEnergy_J * 1e-3;
  run.rollOffs = rf ? rf->rollOffCount() : 0;
  for (float t : result.maximumTemperature.values) {
    run.maxTemperature_degC = std::max(run.maxTemperature_degC, double(t));
  }
  return run;
}

void report(const AblationDevice& device, const ZoneRun& run) {
  std::printf(
      "%-18s published %5.1f x %5.1f mm | simulated %5.1f x %5.1f (x %5.1f) mm, %6.1f ml, "
      "%6.1f kJ, Tmax %5.1f degC, roll-offs %d, %5.1f s\n",
      device.id.c_str(), device.publishedZone.longAxis_mm, device.publishedZone.shortAxis_mm,
      run.axes.long_mm, run.axes.short_mm[0], run.axes.short_mm[1], run.volume_ml, run.energy_kJ,
      run.maxTemperature_degC, run.rollOffs, run.seconds);
  std::fflush(stdout);
}

// What docs/validation.md reports for each device: the simulated axes (mm, +-3 mm) and whether
// they match the published zone within +-5 mm. A device that does not match is checked to stay
// off by more than 5 mm, so a model change that makes it match (or moves it) fails here and the
// table gets updated.
struct Documented {
  const char* id;
  double long_mm;
  double short_mm;
  bool matchesPublished;
};

void runDevice(const Documented& documented) {
  const AblationDevice& device = findDevice(documented.id);
  // RF on a 71 mm box in 2 s steps (the 15 s roll-off pause is 7.5 steps); microwave on an
  // 81 mm box in 5 s steps (its zones reach 5 cm).
  const ZoneRun run =
      device.isRf() ? simulateDevice(device, 70.0, 2.0) : simulateDevice(device, 80.0, 5.0);
  report(device, run);
  EXPECT_NEAR(run.axes.long_mm, documented.long_mm, 3.0);
  EXPECT_NEAR(run.axes.short_mm[0], documented.short_mm, 3.0);
  const double longOff_mm = std::abs(run.axes.long_mm - device.publishedZone.longAxis_mm);
  const double shortOff_mm = std::abs(run.axes.short_mm[0] - device.publishedZone.shortAxis_mm);
  if (documented.matchesPublished) {
    EXPECT_LE(longOff_mm, 5.0);
    EXPECT_LE(shortOff_mm, 5.0);
  } else {
    EXPECT_GT(std::max(longOff_mm, shortOff_mm), 5.0);
  }
}

TEST(AblationZoneSizes, CooledRfThreeCentimetreTip) {
  // 50 x 35 mm (within 5 mm of 46 x 30) before the latent heat and the drying-energy cap;
  // with them the generator rolls off less and the zone grows to 57 x 45 mm.
  runDevice({"rf-cooled-3cm", 57.0, 45.0, false});
}
TEST(AblationZoneSizes, RfCluster) { runDevice({"rf-cluster-3x25mm", 63.0, 59.1, false}); }
TEST(AblationZoneSizes, MultiTineRf) { runDevice({"rf-multitine-4cm", 63.0, 69.0, false}); }
TEST(AblationZoneSizes, Microwave915MHz) { runDevice({"mw-915mhz-45w", 69.0, 41.0, false}); }
TEST(AblationZoneSizes, Microwave2450MHz) { runDevice({"mw-2450mhz-100w", 55.0, 47.0, false}); }

}  // namespace
}  // namespace twinplan::ablation
