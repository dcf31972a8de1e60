// The calibrated zone surrogate (zone_surrogate.h).
#include "twinplan/ablation/zone_surrogate.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numbers>
#include <tuple>

#include "distance_map.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/microwave_source.h"
#include "twinplan/ablation/resources.h"
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {

double ZoneSurrogate::radiusAt(double s_mm) const {
  if (radius_mm.empty()) return 0.0;
  const double x = (s_mm - firstS_mm) / step_mm;
  if (x < 0.0 || x > double(radius_mm.size() - 1)) return 0.0;
  const std::size_t n = std::min(std::size_t(x), radius_mm.size() - 1);
  if (n + 1 >= radius_mm.size()) return radius_mm[n];
  const double f = x - double(n);
  return (1.0 - f) * radius_mm[n] + f * radius_mm[n + 1];
}

namespace {

// The calibration placement: probe along -z (entry above the tip), the box centred on the
// active part.
ProbePlacement calibrationProbe(const AblationDevice& device) {
  ProbePlacement probe;
  probe.tip_lps = Vec3(0.0, 0.0, -device.activeTipLength_mm / 2.0);
  probe.entry_lps = probe.tip_lps + Vec3(0.0, 0.0, 150.0);
  return probe;
}

// R(s) per grid slice: the radius of the disc with the zone's area in that slice (so the
// profile keeps the zone's volume); s of slice k is tip.z - ... measured towards the entry.
void measureProfile(const std::vector<std::uint8_t>& zone, const ImageGeometry& g,
                    const ProbePlacement& probe, ZoneSurrogate& s) {
  const double h = g.spacing_mm.x();
  const std::size_t nx = std::size_t(g.size[0]), ny = std::size_t(g.size[1]);
  std::vector<double> radius;
  double firstS = 0.0;
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    std::size_t count = 0;
    for (std::size_t v = std::size_t(k) * nx * ny; v < std::size_t(k + 1) * nx * ny; ++v)
      count += zone[v];
    const double sk = g.indexToLps(Vec3(0, 0, double(k))).z() - probe.tip_lps.z();
    if (radius.empty() && count == 0) continue;
    if (radius.empty()) firstS = sk;
    radius.push_back(std::sqrt(double(count) * h * h / std::numbers::pi));
  }
  while (!radius.empty() && radius.back() == 0.0) radius.pop_back();
  // Close the ends: the zone ends half a voxel beyond its last slice centres.
  if (!radius.empty()) {
    radius.insert(radius.begin(), 0.0);
    radius.push_back(0.0);
    firstS -= h;
  }
  s.firstS_mm = firstS;
  s.step_mm = h;
  s.radius_mm = std::move(radius);
}

// Fills what a calibration zone gives: the profile, volume, axes and the zone's centre.
void measureCalibration(const std::vector<std::uint8_t>& zone, const ImageGeometry& g,
                        const ProbePlacement& probe, ZoneSurrogate& s) {
  measureProfile(zone, g, probe, s);
  s.calibratedVolume_ml = zoneVolume_ml(zone, g);
  const ZoneAxes axes = measureZoneAxes(zone, g, probe.axis());
  s.calibratedLong_mm = axes.long_mm;
  s.calibratedShort_mm = axes.short_mm[0];
  s.centreBehindTip_mm = (axes.centre_lps - probe.tip_lps).dot(-probe.axis());
}

void requireCalibrationTimes(const std::vector<double>& durations_s) {
  double previous_s = 0.0;
  if (durations_s.empty())
    throw Error(ErrorKind::InvalidInput, "Name at least one ablation time to calibrate.",
                "duration_s");
  for (double t : durations_s) {
    if (!(t > 0.0 && t <= 3600.0))
      throw Error(ErrorKind::InvalidInput, "The ablation time must lie in (0, 3600] s.",
                  "duration_s");
    if (!(t > previous_s))
      throw Error(ErrorKind::InvalidInput, "Calibration times must rise.", "duration_s");
    previous_s = t;
  }
}

}  // namespace

std::vector<ZoneSurrogate> calibrateSurrogateTimes(const AblationDevice& device, double power_W,
                                                   const std::vector<double>& durations_s,
                                                   const SurrogateOptions& options,
                                                   Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  requireCalibrationTimes(durations_s);
  const double h = options.calibrationSpacing_mm;
  const auto n = std::int64_t(std::llround(options.calibrationBox_mm / h)) + 1;
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {n, n, n}, h);
  const ProbePlacement probe = calibrationProbe(device);
  const std::unique_ptr<HeatSource> source = makeHeatSource(grid, device, probe, power_W);
  BioheatParameters bioheat;
  bioheat.duration_s = durations_s.back();
  bioheat.timeStep_s = options.timeStep_s;
  bioheat.zoneSnapshotTimes_s.assign(durations_s.begin(), durations_s.end() - 1);
  const AblationResult result = simulateAblation(grid, *source, bioheat, progress);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<ZoneSurrogate> surrogates;
  for (std::size_t i = 0; i < durations_s.size(); ++i) {
    const bool last = i + 1 == durations_s.size();
    ZoneSurrogate s;
    s.deviceId = device.id;
    s.power_W = power_W;
    s.duration_s = durations_s[i];
    s.options = options;
    measureCalibration(last ? result.ablationZone : result.zoneSnapshots[i].zone, grid.geometry,
                       probe, s);
    s.deliveredEnergy_J =
        last ? result.deliveredEnergy_J : result.zoneSnapshots[i].deliveredEnergy_J;
    s.calibration_s = wall_s;
    surrogates.push_back(std::move(s));
  }
  return surrogates;
}

ZoneSurrogate calibrateSurrogate(const AblationDevice& device, std::optional<double> power_W,
                                 std::optional<double> duration_s, const SurrogateOptions& options,
                                 Progress& progress) {
  return calibrateSurrogateTimes(device, power_W.value_or(device.power_W),
                                 {duration_s.value_or(device.duration_s)}, options, progress)
      .front();
}

std::vector<double> plannerPowers_W(const AblationDevice& device) {
  if (device.type != DeviceType::Microwave || device.control != PowerControl::ConstantPower)
    return {device.power_W};
  const double maximum = std::max(device.maxPower_W, device.power_W);
  const double step = std::max(5.0, 5.0 * std::round(0.1 * maximum / 5.0));
  const double lowest = step * std::ceil(0.5 * maximum / step - 1e-9);
  std::vector<double> powers;
  for (int n = 0; lowest + n * step <= maximum + 1e-9; ++n) powers.push_back(lowest + n * step);
  for (double p : {device.power_W, maximum})
    if (std::none_of(powers.begin(), powers.end(),
                     [&](double q) { return std::abs(q - p) < 1e-9; }))
      powers.push_back(p);
  std::sort(powers.begin(), powers.end());
  return powers;
}

std::vector<double> plannerDurations_s(const AblationDevice& device) {
  std::vector<double> durations;
  for (int n = 1; n * kPlannerTimeStep_s < device.duration_s - 1e-6; ++n)
    durations.push_back(n * kPlannerTimeStep_s);
  durations.push_back(device.duration_s);
  return durations;
}

std::vector<DeviceSetting> plannerSettings(const AblationDevice& device) {
  std::vector<DeviceSetting> settings;
  for (double p : plannerPowers_W(device))
    for (double t : plannerDurations_s(device)) settings.push_back({p, t});
  return settings;
}

namespace {

bool sameSetting(double a, double b) { return std::abs(a - b) <= 1e-6 * std::max(1.0, b); }

bool defaultOptions(const SurrogateOptions& o) {
  const SurrogateOptions d;
  return o.calibrationSpacing_mm == d.calibrationSpacing_mm &&
         o.calibrationBox_mm == d.calibrationBox_mm && o.timeStep_s == d.timeStep_s &&
         o.sinkDistance_mm == d.sinkDistance_mm;
}

}  // namespace

std::string surrogateTableJson(const std::vector<ZoneSurrogate>& surrogates) {
  nlohmann::json table = nlohmann::json::object();
  table["about"] =
      "Zone surrogate profiles R(s) (mm) per device and planner setting (plannerSettings), "
      "calibrated by calibrateSurrogateTimes (simulation/ablation/zone_surrogate.h) in uniform "
      "liver on a 2 mm grid: one run per device and power, each time's profile from that run's "
      "zone at that time (calibration_s: the run's wall time); regenerate with "
      "build/bench/twinplan-ablation-surrogate-table > resources/ablation/zone_profiles.json.";
  nlohmann::json list = nlohmann::json::array();
  for (const ZoneSurrogate& s : surrogates)
    list.push_back({{"device", s.deviceId},
                    {"power_W", s.power_W},
                    {"duration_s", s.duration_s},
                    {"first_s_mm", s.firstS_mm},
                    {"step_mm", s.step_mm},
                    {"radius_mm", s.radius_mm},
                    {"volume_ml", s.calibratedVolume_ml},
                    {"long_mm", s.calibratedLong_mm},
                    {"short_mm", s.calibratedShort_mm},
                    {"centre_behind_tip_mm", s.centreBehindTip_mm},
                    {"delivered_energy_J", s.deliveredEnergy_J},
                    {"calibration_s", s.calibration_s}});
  table["profiles"] = list;
  return table.dump(1);
}

std::optional<ZoneSurrogate> tabulatedSurrogate(const std::string& deviceId, double power_W,
                                                double duration_s) {
  static const nlohmann::json table = [] {
    const std::string_view text = resources::ablationResource("ablation/zone_profiles.json");
    return text.empty() ? nlohmann::json::object()
                        : nlohmann::json::parse(text.begin(), text.end());
  }();
  if (!table.contains("profiles")) return std::nullopt;
  for (const nlohmann::json& e : table["profiles"]) {
    if (e["device"] != deviceId || !sameSetting(e["power_W"].get<double>(), power_W) ||
        !sameSetting(e["duration_s"].get<double>(), duration_s))
      continue;
    ZoneSurrogate s;
    s.deviceId = deviceId;
    s.power_W = power_W;
    s.duration_s = duration_s;
    s.firstS_mm = e["first_s_mm"].get<double>();
    s.step_mm = e["step_mm"].get<double>();
    s.radius_mm = e["radius_mm"].get<std::vector<double>>();
    s.calibratedVolume_ml = e["volume_ml"].get<double>();
    s.calibratedLong_mm = e["long_mm"].get<double>();
    s.calibratedShort_mm = e["short_mm"].get<double>();
    s.centreBehindTip_mm = e["centre_behind_tip_mm"].get<double>();
    s.deliveredEnergy_J = e["delivered_energy_J"].get<double>();
    s.calibration_s = e["calibration_s"].get<double>();
    return s;
  }
  return std::nullopt;
}

const ZoneSurrogate& cachedSurrogate(const AblationDevice& device, std::optional<double> power_W,
                                     std::optional<double> duration_s,
                                     const SurrogateOptions& options, Progress& progress) {
  using Key = std::tuple<std::string, double, double, double, double, double, double>;
  struct Slot {
    std::once_flag once;
    std::unique_ptr<ZoneSurrogate> surrogate;
  };
  static std::mutex mutex;
  static std::map<Key, std::unique_ptr<Slot>> cache;
  const Key key{device.id,
                power_W.value_or(device.power_W),
                duration_s.value_or(device.duration_s),
                options.calibrationSpacing_mm,
                options.calibrationBox_mm,
                options.timeStep_s,
                options.sinkDistance_mm};
  Slot* slot = nullptr;
  {
    std::lock_guard lock(mutex);
    auto& entry = cache[key];
    if (!entry) entry = std::make_unique<Slot>();
    slot = entry.get();
  }
  // A cancelled or failed calibration leaves the slot empty: call_once retries next time.
  std::call_once(slot->once, [&] {
    if (defaultOptions(options))
      if (auto tabulated = tabulatedSurrogate(device.id, std::get<1>(key), std::get<2>(key))) {
        slot->surrogate = std::make_unique<ZoneSurrogate>(std::move(*tabulated));
        return;
      }
    slot->surrogate = std::make_unique<ZoneSurrogate>(
        calibrateSurrogate(device, power_W, duration_s, options, progress));
  });
  return *slot->surrogate;
}

std::vector<std::uint8_t> heatSinkMask(const AblationGrid& grid, double sinkDistance_mm) {
  if (grid.bloodSpeed_m_s.empty()) return {};
  std::vector<std::uint8_t> notBlood(grid.tissue.size(), 1);
  bool any = false;
  for (std::size_t v = 0; v < notBlood.size(); ++v)
    if (grid.bloodSpeed_m_s[v] > 0.0f) notBlood[v] = 0, any = true;
  if (!any) return {};
  const std::vector<double> d2 = squaredDistanceToOutside_vox(notBlood, grid.geometry);
  const double reach_vox = sinkDistance_mm / grid.geometry.spacing_mm.x();
  std::vector<std::uint8_t> mask(d2.size(), 0);
  for (std::size_t v = 0; v < d2.size(); ++v) mask[v] = d2[v] <= reach_vox * reach_vox + 1e-9;
  return mask;
}

namespace {

bool flowingBloodAt(const AblationGrid& grid, const Vec3& ijk) {
  const ImageGeometry& g = grid.geometry;
  if (!g.contains(ijk)) return false;
  auto at = [](double x) { return std::int64_t(std::floor(x + 0.5)); };
  return grid.bloodSpeed_m_s[g.linearIndex(at(ijk.x()), at(ijk.y()), at(ijk.z()))] > 0.0f;
}

// How much of the straight line of `length` mm from the axis point to the voxel centre runs
// through flowing blood (mm; sampled every half voxel). The line is given in index space (the
// map from LPS is affine, so its samples are those of the line in LPS): the planner walks it
// for every voxel of every setting it tests.
double bloodOnTheWay_mm(const AblationGrid& grid, const Vec3& from, const Vec3& to, double length) {
  const double step = 0.5 * grid.geometry.spacing_mm.x();
  double blood_mm = 0.0;
  for (double t = 0.0; t < length; t += step)
    if (flowingBloodAt(grid, from + (t / length) * (to - from)))
      blood_mm += std::min(step, length - t);
  return blood_mm;
}

// Whether the device heats by radiation (a microwave antenna) rather than by conduction from
// a few millimetres around the electrode (RF); see the vessel shadow rule in addPredictedZone.
bool heatsByRadiation(const std::string& deviceId) {
  const AblationDevice* device = catalogueDevice(deviceId);
  return device != nullptr && device->type == DeviceType::Microwave;
}

// One probe as the zone rules see it.
struct ProbeFrame {
  Vec3 tip = Vec3::Zero();
  Vec3 back = Vec3::UnitZ();                               // tip -> entry
  Vec3 tipIndex = Vec3::Zero(), backIndex = Vec3::Zero();  // the same in index space (per mm)
  // Tissue behind a vessel seen from the axis. RF heats actively only within a few millimetres
  // of the electrode; the rest of the zone is heated by conduction (Brace CL, "Microwave tissue
  // ablation: biophysics, technology, and applications", Crit Rev Biomed Eng 2010;38:65-78), and
  // conduction does not cross flowing blood held at body temperature: the tissue behind is in
  // the vessel's shadow. A microwave antenna's field heats tissue directly to centimetres
  // (Brace 2010) and crosses the vessel, which only takes the power of the path it occupies:
  // the zone's reach along that line shortens by the length of blood crossed. The full physics
  // shows both (docs/validation.md, "zone surrogate": 16.5 mm reach behind a 6 mm vessel whose
  // near wall is 6 mm from a microwave antenna, no vessel 21 mm).
  bool radiative = false;
};

// The frame does not depend on the sink mask: one frame serves a probe with and without the
// vessel rules (reachAt applies them when its mask is not empty).
ProbeFrame probeFrame(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                      const ProbePlacement& placement) {
  ProbeFrame f;
  f.tip = placement.tip_lps;
  f.back = -placement.axis();
  f.tipIndex = grid.geometry.lpsToIndex(f.tip);
  f.backIndex = grid.geometry.lpsToIndex(f.tip + f.back) - f.tipIndex;
  f.radiative = heatsByRadiation(surrogate.deviceId);
  return f;
}

// The probe's reach towards voxel v at p, index ijk (its distance r from the axis in r_mm): R(s)
// after the vessel rules (negative behind enough blood), or nullopt where the probe does nothing
// there - off the profile (ahead of the tip, behind the zone: R = 0; before, voxel centres exactly
// on the axis passed r <= R there: a one-voxel spike beyond both ends of an axis-aligned probe),
// farther than R + pad_mm from the axis, in the sink mask, or (RF) behind flowing blood.
std::optional<double> reachAt(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                              const ProbeFrame& f, const std::vector<std::uint8_t>& sinkMask,
                              double pad_mm, std::size_t v, const Vec3& p, const Vec3& ijk,
                              double& r_mm) {
  const Vec3 d = p - f.tip;
  const double s = d.dot(f.back);
  r_mm = (d - s * f.back).norm();
  const double R = surrogate.radiusAt(s);
  if (R <= 0.0 || r_mm > R + pad_mm) return std::nullopt;
  if (sinkMask.empty()) return R;  // no flowing blood, or the rules left out (a bound)
  if (sinkMask[v]) return std::nullopt;
  const double blood_mm =
      bloodOnTheWay_mm(grid, f.tipIndex + s * f.backIndex, ijk, (p - (f.tip + s * f.back)).norm());
  if (blood_mm <= 0.0) return R;
  if (!f.radiative) return std::nullopt;
  return R - blood_mm;
}

// Visits the voxels near one probe: those where reachAt gives a reach, calling
// visit(v, r, reach); returns how many visits returned true. skip(v) spares the vessel test of
// voxels the caller has no use for. Parallel over slices: visit must only write voxel v.
template <class Skip, class Visit>
std::size_t scanProbe(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                      const ProbePlacement& placement, const std::vector<std::uint8_t>& sinkMask,
                      double pad_mm, Skip&& skip, Visit&& visit) {
  const ImageGeometry& g = grid.geometry;
  if (surrogate.radius_mm.empty()) return 0;
  const ProbeFrame frame = probeFrame(surrogate, grid, placement);
  double maxR = 0.0;
  for (double r : surrogate.radius_mm) maxR = std::max(maxR, r);
  const double lastS = surrogate.firstS_mm + surrogate.step_mm * double(surrogate.radius_mm.size());
  // The zone's bounding box in index space, from the ends of its profile.
  Vec3 lo = Vec3::Constant(1e300), hi = Vec3::Constant(-1e300);
  for (double s : {surrogate.firstS_mm, lastS}) {
    const Vec3 c = g.lpsToIndex(placement.tip_lps + s * frame.back);
    lo = lo.cwiseMin(c), hi = hi.cwiseMax(c);
  }
  const double pad = (maxR + pad_mm) / g.spacing_mm.x() + 1.0;
  std::array<std::int64_t, 3> from{}, to{};
  for (int a = 0; a < 3; ++a) {
    from[a] = std::max<std::int64_t>(0, std::int64_t(std::floor(lo[a] - pad)));
    to[a] = std::min<std::int64_t>(g.size[a], std::int64_t(std::ceil(hi[a] + pad)) + 1);
  }
  if (from[2] >= to[2]) return 0;
  std::vector<std::size_t> counted(std::size_t(to[2] - from[2]), 0);
  parallel::parallelFor(
      {std::size_t(from[2]), std::size_t(to[2])}, 4, [&](parallel::IndexRange chunk) {
        for (std::size_t k = chunk.begin; k < chunk.end; ++k)
          for (std::int64_t j = from[1]; j < to[1]; ++j)
            for (std::int64_t i = from[0]; i < to[0]; ++i) {
              const std::size_t v = g.linearIndex(i, j, std::int64_t(k));
              if (skip(v)) continue;
              const Vec3 ijk = Vec3(double(i), double(j), double(k));
              const Vec3 p = g.indexToLps(ijk);
              double r = 0.0;
              const auto reach = reachAt(surrogate, grid, frame, sinkMask, pad_mm, v, p, ijk, r);
              if (!reach) continue;
              if (visit(v, r, *reach)) ++counted[k - std::size_t(from[2])];
            }
      });
  std::size_t total = 0;
  for (std::size_t c : counted) total += c;
  return total;
}

}  // namespace

std::size_t addPredictedZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                             const ProbePlacement& placement,
                             const std::vector<std::uint8_t>& sinkMask,
                             std::vector<std::uint8_t>& zone) {
  if (zone.size() != grid.geometry.voxelCount()) zone.assign(grid.geometry.voxelCount(), 0);
  return scanProbe(
      surrogate, grid, placement, sinkMask, 0.0, [&](std::size_t v) { return zone[v] != 0; },
      [&](std::size_t v, double r, double reach) {
        if (r > reach) return false;
        zone[v] = 1;
        return true;
      });
}

std::size_t addPredictedZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                             const ProbePlacement& placement, std::vector<std::uint8_t>& zone) {
  return addPredictedZone(surrogate, grid, placement,
                          heatSinkMask(grid, surrogate.options.sinkDistance_mm), zone);
}

PredictedZone predictZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                          const ProbePlacement& placement) {
  PredictedZone predicted;
  const std::vector<std::uint8_t> sink = heatSinkMask(grid, surrogate.options.sinkDistance_mm);
  const std::size_t kept = addPredictedZone(surrogate, grid, placement, sink, predicted.zone);
  if (!sink.empty()) {
    std::vector<std::uint8_t> unsunk;
    const std::size_t all = addPredictedZone(surrogate, grid, placement, {}, unsunk);
    predicted.voxelsLostToVessels = all - kept;
  }
  predicted.volume_ml = double(kept) * std::pow(grid.geometry.spacing_mm.x(), 3) * 1e-3;
  return predicted;
}

double probeInteractionLength_mm(const ZoneSurrogate& surrogate) {
  const TissueProperties& liver = tissueLibrary().at("liver");
  const double diffusivity_m2_s =
      liver.thermalConductivity_W_mK / (liver.density_kg_m3 * liver.heatCapacity_J_kgK);
  return kProbeInteractionScale * std::sqrt(diffusivity_m2_s * surrogate.duration_s) * 1e3;
}

ProbeInteraction probeInteraction(const ZoneSurrogate& surrogate) {
  ProbeInteraction interaction = conductedOnly(probeInteractionLength_mm(surrogate));
  const AblationDevice* device = catalogueDevice(surrogate.deviceId);
  if (device == nullptr || device->type != DeviceType::Microwave) return interaction;
  // The SAR tail of microwave_source.h in liver at 37 degC: tissue beyond a zone's edge is
  // below the temperatures at which its dielectric properties change much.
  const MicrowaveSettings settings = microwaveSettingsFor(*device);
  const Dielectric liver = dielectricAt(tissueLibrary().at("liver"), settings.frequency_Hz);
  const double alpha_per_m = attenuationConstant_per_m(
      liver.relativePermittivity, liver.conductivity_S_m, settings.frequency_Hz);
  interaction.radiatedLength_mm = 1e3 / (2.0 * alpha_per_m);
  interaction.radialExponent = settings.radialExponent;
  return interaction;
}

namespace {

// Shares below exp(-kShareCutoff) are left out.
constexpr double kShareCutoff = 4.0;

// How far beyond a zone of the surrogate's largest radius R a share stays above
// exp(-kShareCutoff): kShareCutoff L for the conducted share; for the radiated one the x where
// n ln(1 + x / R) + x / (1 / 2a) = kShareCutoff (by bisection; 32 mm instead of 42 mm at
// 2.45 GHz, 52 mm instead of 86 mm at 915 MHz). A smaller R reaches less far.
double sharePad_mm(const ZoneSurrogate& surrogate, const ProbeInteraction& interaction) {
  if (!interaction.any()) return 0.0;
  const double conducted = kShareCutoff * interaction.diffusionLength_mm;
  const double largest =
      surrogate.radius_mm.empty()
          ? 0.0
          : *std::max_element(surrogate.radius_mm.begin(), surrogate.radius_mm.end());
  if (interaction.radiatedLength_mm <= 0.0 || largest <= 0.0) return conducted;
  auto exponent = [&](double x) {
    return interaction.radialExponent * std::log1p(x / largest) + x / interaction.radiatedLength_mm;
  };
  double lo = 0.0, hi = kShareCutoff * interaction.radiatedLength_mm;
  for (int n = 0; n < 40; ++n) {
    const double mid = 0.5 * (lo + hi);
    if (exponent(mid) < kShareCutoff)
      lo = mid;
    else
      hi = mid;
  }
  return std::max(conducted, hi);
}

// One probe's heat share at distance r from its axis, where its single zone reaches `reach`:
// 1 inside, below 1 outside (0 for the union): the larger of the conducted and the radiated
// share (zone_surrogate.h). Behind enough blood to cancel an antenna's reach (reach <= 0) its
// radiated share is 0 (the 1 / r spreading from an edge it does not have).
float heatShare(double r, double reach, const ProbeInteraction& interaction) {
  if (r <= reach) return 1.0f;
  if (!interaction.any()) return 0.0f;
  const double x = r - reach;
  double share = std::exp(-x / interaction.diffusionLength_mm);
  if (interaction.radiatedLength_mm > 0.0 && reach > 0.0)
    share = std::max(share, std::pow(reach / r, interaction.radialExponent) *
                                std::exp(-x / interaction.radiatedLength_mm));
  return std::min(float(share), 0.99999f);
}

PredictedZone zoneFromHeat(const std::vector<float>& heat, const ImageGeometry& g) {
  PredictedZone z;
  z.zone.assign(heat.size(), 0);
  std::size_t count = 0;
  for (std::size_t v = 0; v < heat.size(); ++v) count += z.zone[v] = heat[v] >= 1.0f;
  z.volume_ml = double(count) * g.spacing_mm.x() * g.spacing_mm.y() * g.spacing_mm.z() * 1e-3;
  return z;
}

}  // namespace

namespace {

// addProbeHeat for the voxels where skip(v) is false.
template <class Skip>
void addProbeHeatWhere(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                       const ProbePlacement& placement, const std::vector<std::uint8_t>& sinkMask,
                       const ProbeInteraction& interaction, Skip&& skip, std::vector<float>& heat) {
  if (heat.size() != grid.geometry.voxelCount()) heat.assign(grid.geometry.voxelCount(), 0.0f);
  scanProbe(surrogate, grid, placement, sinkMask, sharePad_mm(surrogate, interaction), skip,
            [&](std::size_t v, double r, double reach) {
              heat[v] += heatShare(r, reach, interaction);
              return false;
            });
}

}  // namespace

void addProbeHeat(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                  const ProbePlacement& placement, const std::vector<std::uint8_t>& sinkMask,
                  const ProbeInteraction& interaction, std::vector<float>& heat) {
  addProbeHeatWhere(
      surrogate, grid, placement, sinkMask, interaction, [](std::size_t) { return false; }, heat);
}

PredictedZone predictCombinedZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                                  std::span<const ProbePlacement> probes,
                                  const std::vector<std::uint8_t>& sinkMask,
                                  const ProbeInteraction& interaction) {
  // One probe: its zone is r <= R(s) whatever the interaction, so skip the shares beyond it.
  const ProbeInteraction used = probes.size() > 1 ? interaction : ProbeInteraction{};
  // First without the vessel rules, which only take shares away: a voxel whose sum stays below
  // 1 is out, and only the others pay for the rules' walk to the axis (the planner's cost).
  std::vector<float> bound(grid.geometry.voxelCount(), 0.0f);
  for (const ProbePlacement& p : probes) addProbeHeat(surrogate, grid, p, {}, used, bound);
  if (sinkMask.empty()) return zoneFromHeat(bound, grid.geometry);
  std::vector<float> heat(grid.geometry.voxelCount(), 0.0f);
  for (const ProbePlacement& p : probes)
    addProbeHeatWhere(
        surrogate, grid, p, sinkMask, used, [&](std::size_t v) { return bound[v] < 1.0f; }, heat);
  return zoneFromHeat(heat, grid.geometry);
}

std::vector<std::uint8_t> combinedZoneAt(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                                         std::span<const ProbePlacement> probes,
                                         const std::vector<std::uint8_t>& sinkMask,
                                         const ProbeInteraction& interaction,
                                         std::span<const std::size_t> voxels) {
  // As predictCombinedZone: one probe's zone is r <= R(s); the shares are summed in float in
  // probe order, so the verdicts are its own.
  const ProbeInteraction used = probes.size() > 1 ? interaction : ProbeInteraction{};
  const double pad_mm = sharePad_mm(surrogate, used);
  // The shares without the vessel rules bound those with them (the rules only take shares
  // away): only voxels the bound puts in the zone walk to the axes.
  const std::vector<std::uint8_t> noSink;
  std::vector<ProbeFrame> frames;
  for (const ProbePlacement& p : probes) frames.push_back(probeFrame(surrogate, grid, p));
  const ImageGeometry& g = grid.geometry;
  const auto nx = std::size_t(g.size[0]), nxy = nx * std::size_t(g.size[1]);
  std::vector<std::uint8_t> in(voxels.size(), 0);
  if (surrogate.radius_mm.empty()) return in;
  auto heatAt = [&](const std::vector<std::uint8_t>& sink, std::size_t v, const Vec3& p,
                    const Vec3& ijk) {
    float heat = 0.0f;
    for (const ProbeFrame& f : frames) {
      double r = 0.0;
      if (const auto reach = reachAt(surrogate, grid, f, sink, pad_mm, v, p, ijk, r))
        heat += heatShare(r, *reach, used);
    }
    return heat;
  };
  parallel::parallelFor({0, voxels.size()}, 256, [&](parallel::IndexRange chunk) {
    for (std::size_t n = chunk.begin; n < chunk.end; ++n) {
      const std::size_t v = voxels[n];
      const Vec3 ijk = Vec3(double(v % nx), double(v % nxy / nx), double(v / nxy));
      const Vec3 p = g.indexToLps(ijk);
      if (heatAt(noSink, v, p, ijk) < 1.0f) continue;
      in[n] = sinkMask.empty() || heatAt(sinkMask, v, p, ijk) >= 1.0f;
    }
  });
  return in;
}

LiveMultiProbeZone::LiveMultiProbeZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                                       std::vector<std::uint8_t> sinkMask,
                                       std::span<const ProbePlacement> heldProbes,
                                       const ProbeInteraction& interaction)
    : surrogate_(surrogate),
      grid_(grid),
      sink_(std::move(sinkMask)),
      interaction_(heldProbes.empty() ? ProbeInteraction{} : interaction),
      heldCount_(heldProbes.size()),
      heldHeat_(grid.geometry.voxelCount(), 0.0f) {
  for (const ProbePlacement& p : heldProbes)
    addProbeHeat(surrogate_, grid_, p, sink_, interaction_, heldHeat_);
}

PredictedZone LiveMultiProbeZone::withMovingProbe(const ProbePlacement& moving) const {
  // As predictCombinedZone: the moving probe's shares without the vessel rules bound its own,
  // so only voxels the bound puts in the zone walk to its axis.
  std::vector<float> bound = heldHeat_;
  addProbeHeat(surrogate_, grid_, moving, {}, interaction_, bound);
  if (sink_.empty()) return zoneFromHeat(bound, grid_.geometry);
  std::vector<float> heat = heldHeat_;
  addProbeHeatWhere(
      surrogate_, grid_, moving, sink_, interaction_,
      [&](std::size_t v) { return bound[v] < 1.0f; }, heat);
  return zoneFromHeat(heat, grid_.geometry);
}

}  // namespace twinplan::ablation
