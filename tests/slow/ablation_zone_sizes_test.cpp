// Published ablation zones of the catalogue's devices at their stated settings, simulated with
// the RF and microwave sources on the Pennes bioheat solver in uniform liver (issue #17 item 4).
// docs/validation.md ("Thermal ablation: devices and published zones") tabulates the figures
// this prints and says which devices match the published zone within +-5 mm and why not; the
// cooled electrode is also run with a 2 cm tip against a published ex vivo / in vivo pair, in
// the other limit of drying ("why the cooled RF zones are too large") and with the boiled water
// condensing at the boiling region's edge ("vapour condensation"). Since branch ablzone each
// zone is also compared as the published ones were measured, after the heated tissue contracted
// ("Microwave zone length (session 13)"). Since branch ablcluster each catalogue case also checks
// the device's zoneCheck in devices.json, which the front ends show ("zone checks shown with
// each device"), and the RF runs print the generator's current. Since branch abldevice the
// cluster's published zone is Goldberg et al.'s ex vivo one at its own time, and a LeVeen 2 cm
// array run with the roll-off protocol is checked against a readable zone ("the RF cluster ex
// vivo and the multi-tine's roll-off protocol"). Since branch abltine the multi-tine's published
// zone is that of a LeVeen 4.0 array in living pig liver, checked at the catalogue's setting and
// with the roll-off protocol ("the multi-tine against a readable 4 cm zone"); since branch
// abltine2 also with the protocol ended by the impedance rule ("the multi-tine's roll-off by the
// generator's impedance"); since branch ablrf3000 with the Go-Smart project's RF 3000 restart
// and tine counts, on the 4 cm array and on the LeVeen 2 cm array's second roll-off ("the
// multi-tine and the Go-Smart RF 3000 model"). Since branch ablleveen2 that 2 cm array is the
// catalogue's rf-multitine-2cm, checked with its record ("a validated multi-tine catalogue
// device"). Since branch ablwithdraw the 4 cm array is no catalogue device: its entry, record and
// variants run from the tests' fixture (tests/data/ablation/withdrawn_devices.json; "the 4 cm
// multi-tine withdrawn from the catalogue").
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "ablation_withdrawn_devices.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/rf_source.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/zone_metrics.h"

namespace twinplan::ablation {
namespace {

// The simulated zone by one criterion (zone_metrics.h).
struct CriterionZone {
  std::string criterion;
  ZoneAxes axes;
  double volume_ml = 0.0;
};

struct ZoneRun {
  ZoneAxes axes;                                             // by the published zone's criterion
  double contractedLong_mm = 0.0, contractedShort_mm = 0.0;  // the same after contraction
  std::string criterion;
  std::vector<CriterionZone> byCriterion;  // every criterion, for docs/validation.md
  double volume_ml = 0.0;
  double energy_kJ = 0.0;
  double seconds = 0.0;
  int rollOffs = 0;
  double firstRollOff_s = -1.0;  // RF: when the power first went off (-1: never)
  // RF: when the power came back after the first roll-off and went off again (-1: never).
  double restart_s = -1.0, secondRollOff_s = -1.0;
  // RF: the generator's current (A), its peak over the treatment and its mean while on, for
  // comparison with the peak currents a paper reports (Goldberg et al. 1998: 1400-2150 mA).
  double peakCurrent_A = 0.0, meanCurrent_A = 0.0;
  double maxTemperature_degC = 0.0;
  double box_mm = 0.0;
  double clearance_mm = 0.0;  // from the zone to the nearest face of the box
  bool perfused = true;
  double farField_degC = 0.0;  // at a corner of the box at the end: the tissue's start temperature
  VapourBook vapour;           // with Drying::WaterWithCondensation
};

// The liver the source measured in: in vivo (IT'IS v4.1 liver, perfused, shut down at Omega = 1)
// or ex vivo (the same without perfusion). "ex vivo / in vivo" and a manufacturer's chart count
// as ex vivo when "ex vivo" is named (such charts are measured in excised liver), in vivo
// otherwise.
bool inVivo(const PublishedZone& zone) { return zone.tissue.find("ex vivo") == std::string::npos; }

// Ex vivo zone charts are measured in excised liver at room temperature, 20 degC (the bench
// set-up of ex vivo ablation studies, e.g. Brace, Curr Probl Diagn Radiol 2009;38:135-143; the
// chart's own temperature is not checked against the IFU).
constexpr double kExVivoStart_degC = 20.0;

// What the RF conductivity of tissue that has boiled follows: its temperature alone (the
// default: dried tissue conducts again once below 100 degC, as in the published cooled-RF
// models), or the water left in it (RfSettings::conductivityFollowsWater), which comes back by
// diffusion from the wet tissue around (BioheatParameters::waterRehydration, the liver's water
// diffusivity from diffusion-weighted MRI). docs/validation.md, "Thermal ablation: rehydration
// of dried tissue"). The third model adds the vapour's way back: boiled-off water flows through
// the pores to the boiling region's edge and condenses there and on the cooled electrode
// (BioheatParameters::vapourCondensation; "Thermal ablation: vapour condensation").
enum class Drying { TemperatureOnly, WaterWithRehydration, WaterWithCondensation };

// Distance (mm) from the zone to the nearest face of the grid.
double clearanceToTheBox(const std::vector<std::uint8_t>& zone, const ImageGeometry& g) {
  std::int64_t nearest = std::max({g.size[0], g.size[1], g.size[2]});
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if (zone[g.linearIndex(i, j, k)])
          nearest =
              std::min({nearest, i, j, k, g.size[0] - 1 - i, g.size[1] - 1 - j, g.size[2] - 1 - k});
  return double(nearest) * g.spacing_mm.x();
}

// Heated liver contracts, so a zone measured after ablation (every published zone here: gross
// pathology or a chart measured on the cut specimen) is smaller than the tissue that was heated,
// which is what the simulation's zone is (docs/validation.md, "Microwave zone length (session
// 13)"). The linear shrinkage of porcine liver held 15 min at 60, 65, 75, 85 and 95 degC:
// 12.3, 13.8, 16.6, 19.2 and 21.7 % (Rossmann, Garrett-Mayer, Rattay & Haemmerich, Physiol Meas
// 2014, PMC3924587, abstract); none at or below 50 degC (their introduction: contraction
// "occurs if tissue is exposed to temperatures greater than 50 degC"), linear between 50 and
// 60 degC and held at the 95 degC value above it (our interpolation). Each voxel shrinks by the
// value at its maximum temperature, the same along every direction (their figure is along one).
double linearShrinkage(double maximumTemperature_degC) {
  constexpr std::array<double, 6> t{50.0, 60.0, 65.0, 75.0, 85.0, 95.0};
  constexpr std::array<double, 6> shrink{0.0, 0.123, 0.138, 0.166, 0.192, 0.217};
  if (maximumTemperature_degC <= t.front()) return 0.0;
  for (std::size_t i = 1; i < t.size(); ++i)
    if (maximumTemperature_degC <= t[i])
      return shrink[i - 1] +
             (shrink[i] - shrink[i - 1]) * (maximumTemperature_degC - t[i - 1]) / (t[i] - t[i - 1]);
  return shrink.back();
}

// The share of its length that a line of voxels keeps after contraction, over the zone's span
// on it (first to last zone voxel, the probe's own voxels in between included: they do not
// heat, so they keep their length): the voxels (i, j, k) + n step for n = 0, 1, ...
double keptShare(const std::vector<std::uint8_t>& zone, const AblationResult& result,
                 const ImageGeometry& g, std::array<std::int64_t, 3> start,
                 std::array<std::int64_t, 3> step) {
  std::vector<std::size_t> line;
  for (auto p = start; p[0] < g.size[0] && p[1] < g.size[1] && p[2] < g.size[2];
       p[0] += step[0], p[1] += step[1], p[2] += step[2])
    line.push_back(g.linearIndex(p[0], p[1], p[2]));
  const auto first = std::find_if(line.begin(), line.end(), [&](std::size_t v) { return zone[v]; });
  const auto last =
      std::find_if(line.rbegin(), line.rend(), [&](std::size_t v) { return zone[v]; });
  if (first == line.end()) return 1.0;
  double kept = 0.0;
  for (auto v = first; v != last.base(); ++v)
    kept += 1.0 - linearShrinkage(result.maximumTemperature.values[*v]);
  return kept / double(last.base() - first);
}

// The plane across the probe (z = k) where the zone is widest along x through the probe's axis
// (y = j): the short axis is measured across the zone's widest part, so its contraction is too.
// Ties go to the plane nearest k0 (the grid's centre). For a straight electrode or an antenna
// that is the active part's middle; for the multi-tine umbrella the plane of the tines' ends,
// not that of their reach ahead of the cannula, where the zone is narrower.
std::int64_t widestPlane(const std::vector<std::uint8_t>& zone, const ImageGeometry& g,
                         std::int64_t j, std::int64_t k0) {
  std::int64_t best = k0, bestWidth = -1;
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    std::int64_t first = -1, last = -1;
    for (std::int64_t i = 0; i < g.size[0]; ++i)
      if (zone[g.linearIndex(i, j, k)]) {
        if (first < 0) first = i;
        last = i;
      }
    const std::int64_t width = first < 0 ? 0 : last - first + 1;
    if (width > bestWidth || (width == bestWidth && std::abs(k - k0) < std::abs(best - k0))) {
      best = k;
      bestWidth = width;
    }
  }
  return best;
}

// The device at its catalogue setting on a cube of box_mm, 1 mm voxels, probe along +z with its
// active part centred on the grid's centre (RF electrodes: the exposed tip; multi-tine: the
// cannula tip half the tines' reach below the centre so the reach is centred; microwave: the
// feed gap). The treatment time is the published setting's (PublishedZone::duration_s) where it
// differs from the generator's default.
ZoneRun simulateDevice(const AblationDevice& device, double box_mm, double timeStep_s,
                       Drying drying, double maxCurrent_A) {
  TissueProperties liver = tissueLibrary().at("liver");
  const bool perfused = inVivo(device.publishedZone);
  if (!perfused) liver.perfusion_per_s = 0.0;
  const std::int64_t n = std::int64_t(box_mm) + 1;
  const AblationGrid grid = uniformGrid(liver, {n, n, n}, 1.0);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, -0.5 * device.activeTipLength_mm);
  if (device.type == DeviceType::RfSingle || device.type == DeviceType::RfCluster)
    placement.tip_lps.z() = 0.5 * device.activeTipLength_mm;
  if (device.type == DeviceType::Microwave) placement.tip_lps.z() = device.feedGapFromTip_mm;
  placement.entry_lps = placement.tip_lps - Vec3(0.0, 0.0, 200.0);
  std::unique_ptr<HeatSource> source;
  if (device.isRf()) {
    // The catalogue's generator setting (makeHeatSource's), with the drying limit chosen.
    RfSettings settings = rfSettingsFor(device);
    // (A ramp ended by the impedance rule has sigma follow the water whatever the drying limit.)
    settings.conductivityFollowsWater |= drying != Drying::TemperatureOnly;
    settings.maxCurrent_A = maxCurrent_A;
    source = std::make_unique<RfSource>(grid, device, placement, settings);
  } else {
    source = makeHeatSource(grid, device, placement);
  }
  const auto* rf = dynamic_cast<const RfSource*>(source.get());
  BioheatParameters parameters;
  // Excised liver is not at body temperature: the tissue block starts, and its faces stay, at
  // room temperature (exVivoStart_degC). Starting it at 37 degC gives the zone 17 K of heating
  // for free (docs/validation.md "Zone sizes: energy audit").
  if (!perfused) parameters.arterialTemperature_degC = kExVivoStart_degC;
  parameters.duration_s =
      device.publishedZone.duration_s > 0.0 ? device.publishedZone.duration_s : device.duration_s;
  parameters.waterRehydration = drying != Drying::TemperatureOnly;
  parameters.vapourCondensation = drying == Drying::WaterWithCondensation;
  parameters.timeStep_s = timeStep_s;
  const auto start = std::chrono::steady_clock::now();
  const AblationResult result = simulateAblation(grid, *source, parameters);
  ZoneRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The zone the published measurement corresponds to (devices.json zoneCriterion), and for
  // the record the zone by every criterion of zone_metrics.h.
  run.criterion = device.publishedZone.zoneCriterion;
  const std::vector<std::uint8_t> zone =
      ablationZone(result, parseZoneCriterion(device.publishedZone.zoneCriterion));
  run.axes = measureZoneAxes(zone, grid.geometry, Vec3::UnitZ());
  // The zone as measured after contraction: each axis times the share its line keeps; along
  // the probe one voxel beside its axis (the axis itself is the probe), across it along x
  // through the axis in the plane where the zone is widest (widestPlane).
  const Vec3 centre = grid.geometry.lpsToIndex(Vec3::Zero());
  const auto ci = std::int64_t(std::llround(centre.x())),
             cj = std::int64_t(std::llround(centre.y())),
             ck = std::int64_t(std::llround(centre.z()));
  run.contractedLong_mm =
      run.axes.long_mm * keptShare(zone, result, grid.geometry, {ci + 1, cj, 0}, {0, 0, 1});
  run.contractedShort_mm = run.axes.short_mm[0] *
                           keptShare(zone, result, grid.geometry,
                                     {0, cj, widestPlane(zone, grid.geometry, cj, ck)}, {1, 0, 0});
  run.volume_ml = zoneVolume_ml(zone, grid.geometry);
  for (const char* criterion : {"omega>=1", "omega>=4.6", "tmax>=50", "tmax>=60", "cem43>=240"}) {
    const std::vector<std::uint8_t> other = ablationZone(result, parseZoneCriterion(criterion));
    run.byCriterion.push_back({criterion, measureZoneAxes(other, grid.geometry, Vec3::UnitZ()),
                               zoneVolume_ml(other, grid.geometry)});
  }
  run.energy_kJ = result.deliveredEnergy_J * 1e-3;
  run.rollOffs = rf ? rf->rollOffCount() : 0;
  if (rf) {
    int on = 0;
    for (const RfLogEntry& e : rf->log()) {
      if (!e.powerOn || e.voltage_V <= 0.0) continue;
      const double current_A = e.power_W / e.voltage_V;
      run.peakCurrent_A = std::max(run.peakCurrent_A, current_A);
      run.meanCurrent_A += current_A;
      ++on;
    }
    if (on > 0) run.meanCurrent_A /= on;
    const auto off = std::find_if(rf->log().begin(), rf->log().end(),
                                  [](const RfLogEntry& e) { return !e.powerOn; });
    if (off != rf->log().end()) run.firstRollOff_s = off->time_s;
    const auto back =
        std::find_if(off, rf->log().end(), [](const RfLogEntry& e) { return e.powerOn; });
    if (back != rf->log().end()) run.restart_s = back->time_s;
    const auto again =
        std::find_if(back, rf->log().end(), [](const RfLogEntry& e) { return !e.powerOn; });
    if (again != rf->log().end()) run.secondRollOff_s = again->time_s;
  }
  for (float t : result.maximumTemperature.values)
    run.maxTemperature_degC = std::max(run.maxTemperature_degC, double(t));
  run.box_mm = box_mm;
  // The widest zone of all criteria must clear the box (omega>=1 and tmax>=50 are the widest).
  run.clearance_mm = std::min(clearanceToTheBox(result.ablationZone, grid.geometry),
                              clearanceToTheBox(zone, grid.geometry));
  run.perfused = perfused;
  run.farField_degC = result.finalTemperature.values.front();
  run.vapour = result.vapour;
  return run;
}

// The box rule: an 80 mm cube to start; while the zone comes
// closer than one thermal diffusion length of the treatment to a face, sqrt(k t / (rho c)) =
// sqrt(0.52 x 720 / (1079 x 3540)) = 10 mm for 12 min in liver, the box grows by 20 mm and the
// run is repeated (the faces are held at 37 degC and, for RF, are the electrical ground).
constexpr double kClearance_mm = 10.0;
ZoneRun simulateInAClearBox(const AblationDevice& device, double timeStep_s, Drying drying,
                            double maxCurrent_A) {
  double box_mm = 80.0;
  ZoneRun run = simulateDevice(device, box_mm, timeStep_s, drying, maxCurrent_A);
  while (run.clearance_mm < kClearance_mm && box_mm < 160.0) {
    std::printf("%-18s zone %.0f mm from the %.0f mm box: growing the box\n", device.id.c_str(),
                run.clearance_mm, box_mm);
    box_mm += 20.0;
    run = simulateDevice(device, box_mm, timeStep_s, drying, maxCurrent_A);
  }
  return run;
}

void report(const AblationDevice& device, const ZoneRun& run) {
  std::printf(
      "%-18s published %5.1f x %5.1f mm | simulated (%s) %5.1f x %5.1f (x %5.1f) mm, %6.1f ml, "
      "%6.1f kJ, Tmax %5.1f degC, roll-offs %d, %s liver, box %.0f mm (zone %.0f mm from it), "
      "%5.1f s\n",
      device.id.c_str(), device.publishedZone.longAxis_mm, device.publishedZone.shortAxis_mm,
      run.criterion.c_str(), run.axes.long_mm, run.axes.short_mm[0], run.axes.short_mm[1],
      run.volume_ml, run.energy_kJ, run.maxTemperature_degC, run.rollOffs,
      run.perfused ? "in vivo" : "ex vivo", run.box_mm, run.clearance_mm, run.seconds);
  std::printf("%-18s   after contraction (Rossmann 2014) %5.1f x %5.1f mm\n", device.id.c_str(),
              run.contractedLong_mm, run.contractedShort_mm);
  if (run.peakCurrent_A > 0.0)
    std::printf(
        "%-18s   current: peak %.0f mA, mean while on %.0f mA; first power off at %.0f s, on "
        "again at %.0f s, off again at %.0f s\n",
        device.id.c_str(), run.peakCurrent_A * 1e3, run.meanCurrent_A * 1e3, run.firstRollOff_s,
        run.restart_s, run.secondRollOff_s);
  const VapourBook& v = run.vapour;
  if (v.boiled_J > 0.0)
    std::printf(
        "%-18s   vapour: boiled %.2f kJ, condensed in tissue %.2f kJ, on the probe %.2f kJ, "
        "expelled %.2f kJ, escaped %.3f kJ; front layers %d, overpressure x permeability "
        "%.3g Pa m2\n",
        device.id.c_str(), v.boiled_J * 1e-3, v.condensedInTissue_J * 1e-3,
        v.condensedOnProbe_J * 1e-3, v.expelledWater_J * 1e-3, v.escaped_J * 1e-3, v.frontLayers,
        v.peakOverpressureTimesPermeability_Pa_m2);
  for (const CriterionZone& z : run.byCriterion)
    std::printf("%-18s   %-11s %5.1f x %5.1f (x %5.1f) mm, %6.1f ml\n", device.id.c_str(),
                z.criterion.c_str(), z.axes.long_mm, z.axes.short_mm[0], z.axes.short_mm[1],
                z.volume_ml);
  std::fflush(stdout);
}

// What docs/validation.md reports for each device: the simulated axes (mm, +-3 mm) of the zone
// by the published zone's criterion (devices.json zoneCriterion: how the source measured it)
// and whether they match the published zone within +-5 mm. A device that does not match is checked
// to stay off by more than 5 mm, so a model change that makes it match (or moves it) fails here and
// the table gets updated.
struct Documented {
  const char* id;
  double long_mm;
  double short_mm;
  bool matchesPublished;
  // The same after contraction (linearShrinkage), and whether that matches the published zone
  // within +-5 mm; 0: not asserted (printed only).
  double contractedLong_mm = 0.0;
  double contractedShort_mm = 0.0;
  bool contractedMatchesPublished = false;
};

// Within +-5 mm on both axes, or more than 5 mm off on one.
void expectMatchOrMismatch(double longOff_mm, double shortOff_mm, bool matches) {
  if (matches) {
    EXPECT_LE(longOff_mm, 5.0);
    EXPECT_LE(shortOff_mm, 5.0);
  } else {
    EXPECT_GT(std::max(longOff_mm, shortOff_mm), 5.0);
  }
}

// The catalogue's record of this check (devices.json zoneCheck), which the Ablation panel, the
// planner and `ablate --list-devices` show, must say what this run measures: validated exactly
// when both contracted axes are within +-5 mm, the recorded axes within 3 mm of the measured.
void expectRecordedZoneCheck(const AblationDevice& device, const ZoneRun& run) {
  const ZoneCheck& c = device.zoneCheck;
  ASSERT_TRUE(c.recorded) << device.id << " has no zoneCheck in devices.json";
  const bool within = std::abs(run.contractedLong_mm - device.publishedZone.longAxis_mm) <= 5.0 &&
                      std::abs(run.contractedShort_mm - device.publishedZone.shortAxis_mm) <= 5.0;
  EXPECT_EQ(c.within5mm, within) << device.id;
  EXPECT_EQ(zoneValidated(device), within) << device.id;
  EXPECT_NEAR(c.simulatedLongAxis_mm, run.axes.long_mm, 3.0) << device.id;
  EXPECT_NEAR(c.simulatedShortAxis_mm, run.axes.short_mm[0], 3.0) << device.id;
  EXPECT_NEAR(c.contractedLongAxis_mm, run.contractedLong_mm, 3.0) << device.id;
  EXPECT_NEAR(c.contractedShortAxis_mm, run.contractedShort_mm, 3.0) << device.id;
}

// maxCurrent_A: the generator's current limit (RfSettings::maxCurrent_A; 0: none, the default).
ZoneRun runDevice(const AblationDevice& device, const Documented& documented,
                  Drying drying = Drying::TemperatureOnly, double maxCurrent_A = 0.0) {
  // 5 s steps: the drying cap bounds the power a voxel takes within a step, and the RF
  // roll-off pause (15 s) is three steps.
  const ZoneRun run = simulateInAClearBox(device, 5.0, drying, maxCurrent_A);
  report(device, run);
  EXPECT_GE(run.clearance_mm, kClearance_mm);
  // Ex vivo tissue starts (and its far field stays) at room temperature, in vivo at 37 degC.
  EXPECT_NEAR(run.farField_degC, run.perfused ? kBodyTemperature_degC : kExVivoStart_degC, 0.1);
  // The drying cap keeps tissue near boiling; it acts on the source power only, so conduction
  // within the same implicit step can still lift a voxel that finishes boiling (measured at
  // most 126.9 degC between the cluster's three electrodes, 135.5 degC next to the 2 cm tip in
  // vivo). With condensation the tissue touching the electrode is rewetted, the cap admits its
  // latent heat as power, and before the enthalpy correction the step's solve conducts part of
  // it into a drier neighbour (measured 160.8-175.9 degC, one voxel beside the electrode;
  // docs/validation.md, "Thermal ablation: vapour condensation").
  EXPECT_LT(run.maxTemperature_degC, drying == Drying::WaterWithCondensation ? 180.0 : 140.0);
  EXPECT_NEAR(run.axes.long_mm, documented.long_mm, 3.0);
  EXPECT_NEAR(run.axes.short_mm[0], documented.short_mm, 3.0);
  const double longOff_mm = std::abs(run.axes.long_mm - device.publishedZone.longAxis_mm);
  const double shortOff_mm = std::abs(run.axes.short_mm[0] - device.publishedZone.shortAxis_mm);
  expectMatchOrMismatch(longOff_mm, shortOff_mm, documented.matchesPublished);
  if (documented.contractedLong_mm > 0.0) {
    EXPECT_NEAR(run.contractedLong_mm, documented.contractedLong_mm, 3.0);
    EXPECT_NEAR(run.contractedShort_mm, documented.contractedShort_mm, 3.0);
    expectMatchOrMismatch(std::abs(run.contractedLong_mm - device.publishedZone.longAxis_mm),
                          std::abs(run.contractedShort_mm - device.publishedZone.shortAxis_mm),
                          documented.contractedMatchesPublished);
  }
  return run;
}

// Only the catalogue's devices (and the withdrawn ones of the fixture) at their own setting and
// default drying carry the record.
ZoneRun runRecordedDevice(const AblationDevice& device, const Documented& documented) {
  const ZoneRun run = runDevice(device, documented);
  expectRecordedZoneCheck(device, run);
  return run;
}
ZoneRun runDevice(const Documented& documented) {
  return runRecordedDevice(findDevice(documented.id), documented);
}

TEST(AblationZoneSizes, CooledRfThreeCentimetreTip) {
  runDevice({"rf-cooled-3cm", 57.0, 42.0, false, 46.2, 34.4, true});
}
// Since branch abldevice the cluster's published zone is Goldberg et al.'s ex vivo one (15 min,
// 4.7 cm; devices.json), simulated as their source describes it: excised, unperfused liver from
// room temperature, 15 min instead of the default 12 (PublishedZone::duration_s). 63 x 59.1 mm,
// 51.1 x 49.2 after contraction: +4.1 / +2.2 mm, within +-5 mm.
TEST(AblationZoneSizes, RfCluster) {
  runDevice({"rf-cluster-3x25mm", 63.0, 59.1, false, 51.1, 49.2, true});
}
// Since branch abltine the multi-tine's published zone is a readable one for the same array:
// a LeVeen 4.0 needle in living pig liver, 42 +- 10 cm3, Dt/Dv 1.01 +- 0.16 (Denys et al., Eur
// Radiol 2003;13:2346-2352, abstract), a sphere of 43 mm. At the catalogue's setting (95 degC
// temperature control, 12 min, perfused liver) 31 x 63 mm, 27.5 x 54.2 after contraction:
// -15.5 / +11.2 mm off (docs/validation.md, "the multi-tine against a readable 4 cm zone"). Since
// branch ablwithdraw the array is withdrawn from the catalogue for it; its entry and record, in
// the fixture, still run here as a documented negative result.
TEST(AblationZoneSizes, MultiTineRf) {
  runRecordedDevice(testing::withdrawnFourCentimetreArray(),
                    {"rf-multitine-4cm", 31.0, 63.0, false, 27.5, 54.2, false});
}
// Since branch ablmw the microwave antennas' eps_r and sigma follow temperature below boiling
// (microwave_source.h; docs/validation.md, "Microwave dielectric temperature dependence"):
// 915 MHz 60 x 33 -> 60 x 31 mm, 2.45 GHz 50 x 43 -> 52 x 43 mm. Since branch ablzone the SAR
// beyond the tip and behind the choke falls with the distance from the radiating section's end
// ("Microwave zone length (session 13)"): 915 MHz 52 x 33 mm, 2.45 GHz 50 x 41 mm.
// Measured as the published zones were, after the heated tissue contracted (linearShrinkage),
// the cooled 3 cm tip (46.2 x 34.4 mm), 915 MHz (44.0 x 27.8) and 2.45 GHz (40.6 x 33.4) come
// within +-5 mm of their published zones; the multi-tine does not (nor did the cluster against
// its in vivo figure, which branch abldevice replaced by the ex vivo one).
TEST(AblationZoneSizes, Microwave915MHz) {
  runDevice({"mw-915mhz-45w", 52.0, 33.0, false, 44.0, 27.8, true});
}
TEST(AblationZoneSizes, Microwave2450MHz) {
  runDevice({"mw-2450mhz-100w", 50.0, 41.0, false, 40.6, 33.4, true});
}

// Like with like: one internally cooled electrode with a 2 cm tip, 12 min, measured in excised
// bovine liver and in living porcine liver in the same study (Cardiovasc Intervent Radiol
// 2009;32:1235-1240, doi:10.1007/s00270-009-9600-0, abstract: ex vivo 30.1 x 26.2 mm, 11.08 ml;
// in vivo 26.2 x 20.0 mm, 5.76 ml). Our cooled electrode (17 G, 10 degC coolant, 200 W
// impedance mode) with its tip shortened to 2 cm; the abstract names neither the gauge nor the
// generator. Not a catalogue device: a check of the physics on a published pair.
AblationDevice twoCentimetreTip(bool inVivo) {
  AblationDevice device = findDevice("rf-cooled-3cm");
  device.id = inVivo ? "rf-cooled-2cm-iv" : "rf-cooled-2cm-ev";
  device.activeTipLength_mm = 20.0;
  device.publishedZone.longAxis_mm = inVivo ? 26.2 : 30.1;
  device.publishedZone.shortAxis_mm = inVivo ? 20.0 : 26.2;
  device.publishedZone.tissue = inVivo ? "in vivo porcine liver" : "ex vivo bovine liver";
  device.publishedZone.setting = "internally cooled electrode, 2 cm tip, 12 min";
  device.publishedZone.evidence = "abstract";
  device.publishedZone.zoneCriterion = "omega>=1";
  return device;
}
TEST(AblationZoneSizes, CooledRfTwoCentimetreTipExVivo) {
  runDevice(twoCentimetreTip(false), {"rf-cooled-2cm-ev", 45.0, 41.0, false});
}
TEST(AblationZoneSizes, CooledRfTwoCentimetreTipInVivo) {
  runDevice(twoCentimetreTip(true), {"rf-cooled-2cm-iv", 45.0, 41.0, false});
}

// The other drying model: the conductivity follows the water left in the tissue
// (RfSettings::conductivityFollowsWater), and the water comes back only as fast as it diffuses
// in from the wet tissue around (BioheatParameters::waterRehydration, liver 1.28e-9 m2/s: about
// 0.14 mm in a 15 s pause). The dried shell closes around the electrode within the first minute
// and the generator rolls off for good (47 roll-offs, 3-4 kJ); the rehydration does not reopen
// it (the zones are those of dried tissue never taking water back, to the millimetre). The 2 cm
// tip in vivo comes within 5 mm of the published zone; the 3 cm tip and the 2 cm tip ex vivo
// stay 11 mm short across the probe (docs/validation.md, "Thermal ablation: rehydration of
// dried tissue", which also says why this is not the default: the energy it delivers is a tenth
// of what cooled-electrode generators are measured to deliver).
TEST(AblationZoneSizes, CooledRfWhenDriedTissueRehydratesByDiffusion) {
  runDevice(findDevice("rf-cooled-3cm"), {"rf-cooled-3cm", 41.0, 19.0, false},
            Drying::WaterWithRehydration);
}
TEST(AblationZoneSizes, CooledRfTwoCentimetreTipExVivoWhenDriedTissueRehydratesByDiffusion) {
  runDevice(twoCentimetreTip(false), {"rf-cooled-2cm-ev", 29.0, 15.0, false},
            Drying::WaterWithRehydration);
}
TEST(AblationZoneSizes, CooledRfTwoCentimetreTipInVivoWhenDriedTissueRehydratesByDiffusion) {
  runDevice(twoCentimetreTip(true), {"rf-cooled-2cm-iv", 31.0, 19.0, true},
            Drying::WaterWithRehydration);
}

// The water model with the vapour's way back: what boils off condenses at the boiling region's
// edge - in cooler tissue and on the 10 degC electrode, whose condensate wets the tissue
// touching it - instead of leaving the tissue (BioheatParameters::vapourCondensation, a heat
// pipe; the split follows quasi-steady Darcy flow, no fitted rate). docs/validation.md,
// "Thermal ablation: vapour condensation". The 3 cm tip (47 x 29 mm) and the 2 cm tip ex vivo
// (35 x 25 mm) come within 5 mm of their published zones, the 2 cm tip in vivo (37 x 27 mm) does
// not; the generator still delivers 4.5-7.6 kJ, not the 32-36 kJ measured, so it stays an option.
TEST(AblationZoneSizes, CooledRfWhenBoiledWaterCondenses) {
  runDevice(findDevice("rf-cooled-3cm"), {"rf-cooled-3cm", 47.0, 29.0, true},
            Drying::WaterWithCondensation);
}
TEST(AblationZoneSizes, CooledRfTwoCentimetreTipExVivoWhenBoiledWaterCondenses) {
  runDevice(twoCentimetreTip(false), {"rf-cooled-2cm-ev", 35.0, 25.0, true},
            Drying::WaterWithCondensation);
}
TEST(AblationZoneSizes, CooledRfTwoCentimetreTipInVivoWhenBoiledWaterCondenses) {
  runDevice(twoCentimetreTip(true), {"rf-cooled-2cm-iv", 37.0, 27.0, false},
            Drying::WaterWithCondensation);
}

// The cluster against Goldberg et al.'s in vivo figure (Radiology 1998;209:371-379, abstract:
// 12 min, 3.1 cm +- 0.2), the catalogue's reference until branch abldevice: at its default 12 min
// in perfused liver 59 x 53.1 mm, 47.9 x 44.1 after contraction, +17 / +13 mm off. The same
// abstract's single cooled electrode gave at most 1.8 cm in vivo, where another group measured
// 46.0 x 30.2 mm for a cooled electrode in in vivo porcine liver at 12 min (Exp Ther Med
// 2012;3:214-220), which our single electrode matches (CooledRfThreeCentimetreTip): their in vivo
// set-up makes smaller zones than the other's, by about as much as ours is too large here
// (docs/validation.md, "the RF cluster ex vivo and the multi-tine's roll-off protocol").
AblationDevice clusterInVivo() {
  AblationDevice device = findDevice("rf-cluster-3x25mm");
  device.publishedZone.longAxis_mm = 31.0;
  device.publishedZone.shortAxis_mm = 31.0;
  device.publishedZone.tissue = "in vivo liver";
  device.publishedZone.setting = "cluster, 12 min";
  device.publishedZone.duration_s = 0.0;  // the default 12 min
  return device;
}
TEST(AblationZoneSizes, RfClusterInVivoAgainstGoldbergsInVivoZone) {
  runDevice(clusterInVivo(), {"rf-cluster-3x25mm", 59.0, 53.1, false, 47.9, 44.1, false});
}
// Goldberg et al.'s second ex vivo point: 30 min, 6.2 cm +- 0.1 (abstract). 74 x 73.1 mm, 60.3 x
// 61.1 after contraction: -1.7 / -0.9 mm. (Not a catalogue setting: a second time on the same
// device, so the ex vivo check is not one coincidence.)
TEST(AblationZoneSizes, RfClusterExVivoThirtyMinutes) {
  AblationDevice device = findDevice("rf-cluster-3x25mm");
  device.id = "rf-cluster-ev-30min";
  device.publishedZone.longAxis_mm = 62.0;
  device.publishedZone.shortAxis_mm = 62.0;
  device.publishedZone.duration_s = 1800.0;
  runDevice(device, {"rf-cluster-ev-30min", 74.0, 73.1, false, 60.3, 61.1, true});
}

// The RF electrodes at the current their sources measured: Goldberg et al.'s in vivo cluster
// runs peaked at 1400-2150 mA (Radiology 1998;209:371-379, abstract) and the Cool-tip system's
// maximum output is 2000 mA (Radiology 2004;230:175, abstract), while at 200 W our cluster
// draws 2661 mA on average while on (peak 2988) and the single cooled electrode 2069 mA (peak
// 2411), because our impedance lacks the path from the grid's faces to the pads
// (RfSettings::maxCurrent_A, an option, off by default). The limit hardly moves either zone:
// the cluster at 2.15 A takes 56.8 kJ instead of 60.9 (11 roll-offs instead of 21: less power,
// less boiling, more time on), 57 x 51.1 mm, 46.4 x 42.4 after contraction, still +15 / +11 mm
// off; the cooled 3 cm tip at 2.0 A 56 x 41 mm, 45.3 x 34.4 after contraction, still within
// +-5 mm (docs/validation.md, "zone checks shown with each device").
TEST(AblationZoneSizes, RfClusterAtGoldbergsPeakCurrent) {
  runDevice(clusterInVivo(), {"rf-cluster-3x25mm", 57.0, 51.1, false, 46.4, 42.4, false},
            Drying::TemperatureOnly, 2.15);
}
// Goldberg et al.'s abstract gives tip lengths of 1.5-3.0 cm without saying which made the in
// vivo 3.1 cm; the catalogue's 2.5 cm is the Cool-tip cluster's. The cluster with the shortest
// tips brackets what the tip length can explain (docs/validation.md, "zone checks shown with
// each device"); not a catalogue setting. 50 x 49.1 mm, 40.7 x 40.8 after contraction: still
// +10 / +10 mm off.
TEST(AblationZoneSizes, RfClusterWithGoldbergsShortestTips) {
  AblationDevice device = clusterInVivo();
  device.id = "rf-cluster-3x15mm";
  device.activeTipLength_mm = 15.0;
  runDevice(device, {"rf-cluster-3x15mm", 50.0, 49.1, false, 40.7, 40.8, false});
}
TEST(AblationZoneSizes, CooledRfThreeCentimetreTipAtTheCoolTipCurrentLimit) {
  runDevice(findDevice("rf-cooled-3cm"), {"rf-cooled-3cm", 56.0, 41.0, false, 45.3, 34.4, true},
            Drying::TemperatureOnly, 2.0);
}

// The multi-tine array run as LeVeen arrays are: the RF 3000 protocol's ramp, the application
// ending at the impedance roll-off (PowerControl::RampUntilRollOff, rf_source.h), against the one
// readable zone of such an array: a LeVeen 2 cm array in pig liver (PubMed 17380011, abstract):
// after the first roll-off (single ablation, SAM; roll-off at 100.7 +- 24.7 s) 23.0 +- 3.3 mm
// axial x 23.7 +- 3.1 maximal x 20.0 +- 2.5 minimal diameter of coagulation necrosis; after a
// second application to a second roll-off (DAM; 154.0 +- 86.9 s from its start) 26.2 x 29.3 x
// 26.5 mm. The array: the 4 cm array's umbrella (ten tines, 15 G cannula; withdrawn from the
// catalogue on branch ablwithdraw, the tests' fixture) deployed to 2 cm; the
// protocol's numbers, 30 W rising by 10 W/min, are the RF 3000's as commonly described and were
// not read in a source (unverified); the roll-off is the tissue next to a tine starting to boil
// (RfSettings::rollOffAtBoiling). The abstract says neither in nor ex vivo: both are run. Not
// a catalogue device: a check of the protocol and of the umbrella on a published zone. The
// roll-off comes when the abstract's does (ex vivo 110 s, in vivo 80 s), the zone across the
// array is within 5 mm of the maximal diameter (SAM 27.0-27.5 vs 23.7, DAM 28.1 vs 29.3), but
// along the probe it is 8 mm short (SAM 15.0-16.4 vs 23.0, DAM 18.6 vs 26.2): our umbrella's
// tines reach only a quarter of the deployed diameter ahead of the cannula and end level with its
// tip, a flat disc where the published zones are round (docs/validation.md, "the RF cluster ex
// vivo and the multi-tine's roll-off protocol").
// The 4 cm multi-tine (fixture) run with the roll-off protocol (30 W rising by 10 W/min, RF 3000
// maximum 200 W; unverified, see above) to `applications` roll-offs; the run lasts duration_s
// and follows the tissue cooling after the last roll-off (the zone is cut afterwards).
AblationDevice withTheRollOffProtocol(int applications, double duration_s) {
  AblationDevice device = testing::withdrawnFourCentimetreArray();
  device.control = PowerControl::RampUntilRollOff;
  device.power_W = 30.0;
  device.maxPower_W = 200.0;
  device.rampRate_W_per_min = 10.0;
  device.rampApplications = applications;
  device.duration_s = duration_s;
  return device;
}
AblationDevice leVeenTwoCentimetreArray(bool inVivo, int applications = 1) {
  AblationDevice device = withTheRollOffProtocol(applications, 300.0);
  device.id =
      std::string("rf-leveen-2cm-") + (inVivo ? "iv" : "ev") + (applications > 1 ? "-dam" : "-sam");
  device.tineDeployedDiameter_mm = 20.0;
  device.activeTipLength_mm = 10.0;  // half the deployed diameter, as the 4 cm array's
  PublishedZone& zone = device.publishedZone;
  zone.longAxis_mm = applications > 1 ? 26.2 : 23.0;   // axial diameter
  zone.shortAxis_mm = applications > 1 ? 29.3 : 23.7;  // maximal diameter
  // (inVivo() reads "ex vivo" in the tissue: the in vivo text must not contain it.)
  zone.tissue = inVivo ? "pig liver (living or excised: not stated)" : "ex vivo pig liver";
  zone.setting =
      applications > 1 ? "LeVeen 2 cm, to a second roll-off" : "LeVeen 2 cm, to roll-off";
  zone.evidence = "abstract";
  zone.zoneCriterion = "omega>=1";
  zone.duration_s = 0.0;
  return device;
}
// The abstract's first roll-off, 100.7 +- 24.7 s: ours within one standard deviation of it.
void expectTheAbstractsRollOff(const ZoneRun& run) {
  EXPECT_EQ(run.rollOffs, 1);
  EXPECT_NEAR(run.firstRollOff_s, 100.7, 24.7);
}
TEST(AblationZoneSizes, LeVeenTwoCentimetreArrayToRollOffExVivo) {
  const ZoneRun run = runDevice(leVeenTwoCentimetreArray(false),
                                {"rf-leveen-2cm-ev-sam", 16.0, 31.0, false, 15.0, 27.0, false});
  expectTheAbstractsRollOff(run);
}
TEST(AblationZoneSizes, LeVeenTwoCentimetreArrayToRollOffInVivo) {
  const ZoneRun run = runDevice(leVeenTwoCentimetreArray(true),
                                {"rf-leveen-2cm-iv-sam", 17.0, 31.0, false, 16.4, 27.5, false});
  EXPECT_TRUE(run.perfused);
  expectTheAbstractsRollOff(run);
}
TEST(AblationZoneSizes, LeVeenTwoCentimetreArrayToASecondRollOffExVivo) {
  const ZoneRun run = runDevice(leVeenTwoCentimetreArray(false, 2),
                                {"rf-leveen-2cm-ev-dam", 21.0, 33.0, false, 18.6, 28.1, false});
  EXPECT_EQ(run.rollOffs, 2);
}

// The withdrawn 4 cm array run with the roll-off protocol against its published zone (Denys
// et al. 2003, LeVeen 4.0 in living pig liver, run "based on constructor specifications": the
// maker's protocol, whose numbers the abstract does not give). To the first roll-off (190 s) 18
// x 53 mm, 17.6 x 52.5 after contraction; to a second (the pause, then the ramp again from
// 30 W) 21 x 55, 20.8 x 52.0: a thin ring around the tines' ends, not the published solid
// sphere, -25 / +10 mm and -22 / +9 mm off (docs/validation.md, "the multi-tine against a
// readable 4 cm zone").
TEST(AblationZoneSizes, MultiTineFourCentimetreArrayToRollOffInVivo) {
  AblationDevice device = withTheRollOffProtocol(1, 300.0);
  device.id = "rf-multitine-4cm-sam";
  const ZoneRun run = runDevice(device, {"rf-multitine-4cm-sam", 18.0, 53.0, false, 17.6, 52.5});
  EXPECT_TRUE(run.perfused);
  EXPECT_EQ(run.rollOffs, 1);
  EXPECT_NEAR(run.firstRollOff_s, 190.0, 15.0);
}
TEST(AblationZoneSizes, MultiTineFourCentimetreArrayToASecondRollOffInVivo) {
  AblationDevice device = withTheRollOffProtocol(2, 400.0);
  device.id = "rf-multitine-4cm-dam";
  const ZoneRun run = runDevice(device, {"rf-multitine-4cm-dam", 21.0, 55.0, false, 20.8, 52.0});
  EXPECT_EQ(run.rollOffs, 2);
}

// Since branch abltine2 the ramp may end by the generator's own rule, the impedance rising by
// 30 ohm over its start (devices.h RollOffRule::Impedance: the Cool-tip rule's rise; the RF
// 3000's own figure was not found), with sigma following the water boiled off so the dried
// tissue at the tines raises the impedance. The 4 cm array in perfused liver, 30 W + 10 W/min,
// at most 12 min: the impedance falls from 14.6 to 10.4 ohm as the tissue warms, then rises
// steeply from about 450 s as the tissue around the tines dries, rolling off at 645 s - the same
// time as all the tissue voxels next to the tines reach boiling (a sub-grid wire's dried shell
// raises the impedance only once it covers nearly all of the wire). A zone wider and longer than
// at the first boiling (18 x 53 mm), and as oblate: 41 x 67 mm, 33.8 x 54.9 after contraction,
// -9.2 / +11.9 mm off Denys et al.'s 43 mm (docs/validation.md, "the multi-tine's roll-off by the
// generator's impedance").
AblationDevice endedByTheImpedanceRule(AblationDevice device, const char* id) {
  device.id = id;
  device.rampRollOff = RollOffRule::Impedance;
  device.rollOffImpedanceRise_ohm = 30.0;
  return device;
}
TEST(AblationZoneSizes, MultiTineFourCentimetreArrayToImpedanceRollOffInVivo) {
  const AblationDevice device =
      endedByTheImpedanceRule(withTheRollOffProtocol(1, 720.0), "rf-multitine-4cm-z");
  const ZoneRun run = runDevice(device, {"rf-multitine-4cm-z", 41.0, 67.0, false, 33.8, 54.9});
  EXPECT_TRUE(run.perfused);
  EXPECT_EQ(run.rollOffs, 1);
  EXPECT_NEAR(run.firstRollOff_s, 645.0, 30.0);
}
// The same rule on the LeVeen 2 cm array of PubMed 17380011 (in vivo, 30 W + 10 W/min): the
// roll-off comes at 295 s, three times the abstract's 100.7 +- 24.7 s (the boiling rule: 80 s), and
// the zone, cut at 600 s, grows to 37 x 45 mm, 30.9 x 37.2 after contraction (published 23.0 x
// 23.7): on the 1 mm grid the impedance rule is too late for the one readable LeVeen roll-off.
TEST(AblationZoneSizes, LeVeenTwoCentimetreArrayToImpedanceRollOffInVivo) {
  AblationDevice device =
      endedByTheImpedanceRule(leVeenTwoCentimetreArray(true), "rf-leveen-2cm-iv-z");
  device.duration_s = 600.0;  // room for a late roll-off, then the cooling
  const ZoneRun run = runDevice(device, {"rf-leveen-2cm-iv-z", 37.0, 45.0, false, 30.9, 37.2});
  EXPECT_EQ(run.rollOffs, 1);
  EXPECT_NEAR(run.firstRollOff_s, 295.0, 15.0);
  EXPECT_GT(run.firstRollOff_s, 100.7 + 3.0 * 24.7);
}

// Since branch ablrf3000, the EU Go-Smart project's description of the same generator and
// needles (github.com/go-smart/glossia-scratch-test-site, read to learn, not copied): the LeVeen
// Standard 4 cm needle has 12 tines, not our 10 (app/database/seeds/CombinationSeeders/RFA/
// BostonScientificCombinationSeeder.php, NEEDLE_PRONG_AMOUNT: 3 and 3.5 cm 10, 4 cm 12, 5 cm
// 14, Super Slim 2 cm 8, Super Slim 3 cm 10), and its RF 3000 algorithm (public/algorithms/
// boston-scientific.xml) ramps the power to the first roll-off, pauses 30 s, then holds half
// the roll-off power to a second roll-off, which ends the treatment, 15 min at most. Its ramp
// rate and impedance threshold are named there without values, so ours stay (30 W + 10 W/min,
// unverified; the tissue at a tine boiling, or the impedance rule). docs/validation.md, "the
// multi-tine and the Go-Smart RF 3000 model (branch ablrf3000)".
AblationDevice withTwelveTines(AblationDevice device, const char* id) {
  device.id = id;
  device.tineCount = 12;
  return device;
}
AblationDevice withTheGoSmartRestart(AblationDevice device) {
  device.rampApplications = 2;
  device.rampPause_s = 30.0;
  device.rampRestartFraction = 0.5;
  device.duration_s = 900.0;
  return device;
}
// The withdrawn 4 cm array's setting (95 degC temperature control, 12 min) with 12 tines: 33 x 65
// mm, 29.2 x 55.3 after contraction (10 tines: 31 x 63, 27.5 x 54.2): -13.8 / +12.3 mm off.
TEST(AblationZoneSizes, MultiTineWithTwelveTines) {
  const AblationDevice device =
      withTwelveTines(testing::withdrawnFourCentimetreArray(), "rf-multitine-12");
  const ZoneRun run = runDevice(device, {"rf-multitine-12", 33.0, 65.0, false, 29.2, 55.3});
  EXPECT_TRUE(run.perfused);
}
// The RF 3000 as Go-Smart models it, 12 tines, perfused liver: the first roll-off (the tissue at
// a tine boiling) at 270 s, the 30 s pause, then half the roll-off power (about 37 W), which
// never brings a tine's tissue to boiling again, so the treatment runs its 15 min: 31 x 63 mm,
// 27.9 x 54.3 after contraction, -15.1 / +11.3 mm off.
TEST(AblationZoneSizes, MultiTineWithTwelveTinesToTheGoSmartSecondRollOffInVivo) {
  const AblationDevice device = withTheGoSmartRestart(
      withTwelveTines(withTheRollOffProtocol(2, 900.0), "rf-multitine-12-gs"));
  const ZoneRun run = runDevice(device, {"rf-multitine-12-gs", 31.0, 63.0, false, 27.9, 54.3});
  EXPECT_EQ(run.rollOffs, 1);
  EXPECT_NEAR(run.firstRollOff_s, 270.0, 15.0);
  EXPECT_NEAR(run.restart_s, run.firstRollOff_s + 30.0, 5.0 + 1e-9);
  EXPECT_LT(run.secondRollOff_s, 0.0);
}
// The same ended by the impedance rule: the first roll-off at 725 s; the dried tissue keeps the
// impedance above the threshold through the pause (sigma follows the water, which does not come
// back), so the restart rolls off at once with no power: 46 x 71 mm, 38.1 x 58.4 after
// contraction, -4.9 / +15.4 mm off.
TEST(AblationZoneSizes, MultiTineWithTwelveTinesToTheGoSmartSecondImpedanceRollOffInVivo) {
  const AblationDevice device = withTheGoSmartRestart(endedByTheImpedanceRule(
      withTwelveTines(withTheRollOffProtocol(2, 900.0), "x"), "rf-multitine-12-gsz"));
  const ZoneRun run = runDevice(device, {"rf-multitine-12-gsz", 46.0, 71.0, false, 38.1, 58.4});
  EXPECT_EQ(run.rollOffs, 2);
  EXPECT_NEAR(run.firstRollOff_s, 725.0, 30.0);
  EXPECT_LT(run.restart_s, 0.0);
}

// The held restart against the one readable second roll-off: the LeVeen 2 cm array of PubMed
// 17380011 (DAM, after a second application to a second roll-off: 26.2 x 29.3 x 26.5 mm; that
// application's roll-off 154.0 +- 86.9 s from its start) with Go-Smart's 8 tines for the Super
// Slim 2 cm needle and its restart. Within +-5 mm after contraction ex vivo (24.0 x 30.3 mm) and
// in vivo (23.2 x 30.8), where the ramp restarted from 30 W after 15 s left the length 7.6 mm
// short (LeVeenTwoCentimetreArrayToASecondRollOffExVivo, 10 tines): the half power held for
// 4-5 min grows the zone along the probe. The second application's roll-off within two standard
// deviations of the abstract's (245 s ex vivo, 305 s in vivo), the first within two of 100.7 +-
// 24.7 s (85 s, 55 s).
void expectTheGoSmartSecondRollOff(const ZoneRun& run) {
  EXPECT_EQ(run.rollOffs, 2);
  EXPECT_NEAR(run.firstRollOff_s, 100.7, 2.0 * 24.7);
  EXPECT_NEAR(run.restart_s, run.firstRollOff_s + 30.0, 5.0 + 1e-9);
  EXPECT_GT(run.secondRollOff_s, run.restart_s);  // (the band's lower end is below zero)
  EXPECT_NEAR(run.secondRollOff_s - run.restart_s, 154.0, 2.0 * 86.9);
}
// Since branch ablleveen2 that array is a catalogue device, rf-multitine-2cm (devices.json:
// Go-Smart's 8 tines and restart, the unverified 30 W + 10 W/min, 200 W, 600 s), its published
// zone the DAM one, simulated in vivo (the abstract names neither; inVivo). Ex vivo it is the
// same device in excised liver from room temperature.
AblationDevice leVeenTwoCentimetreExVivo() {
  AblationDevice device = findDevice("rf-multitine-2cm");
  device.id = "rf-leveen-2cm-ev-gs";
  device.publishedZone.tissue = "ex vivo pig liver";
  return device;
}
TEST(AblationZoneSizes, LeVeenTwoCentimetreArrayToTheGoSmartSecondRollOffExVivo) {
  const ZoneRun run = runDevice(leVeenTwoCentimetreExVivo(),
                                {"rf-leveen-2cm-ev-gs", 28.0, 36.4, false, 24.0, 30.3, true});
  EXPECT_FALSE(run.perfused);
  expectTheGoSmartSecondRollOff(run);
}
// The catalogue's case (branch ablrf3000's LeVeenTwoCentimetreArrayToTheGoSmartSecondRollOffInVivo,
// whose set-up the catalogue entry now holds): 27 x 37 mm, 23.2 x 30.8 after contraction, -3.0 /
// +1.5 mm off 26.2 x 29.3: validated, as its zoneCheck records.
TEST(AblationZoneSizes, MultiTineTwoCentimetreRf) {
  const ZoneRun run = runDevice({"rf-multitine-2cm", 27.0, 37.0, false, 23.2, 30.8, true});
  EXPECT_TRUE(run.perfused);
  EXPECT_TRUE(findDevice("rf-multitine-2cm").zoneCheck.within5mm);
  expectTheGoSmartSecondRollOff(run);
}

}  // namespace
}  // namespace twinplan::ablation
