#pragma once
// A fast ablation-zone surrogate for live feedback while a probe is dragged and for the plan
// search (issue #17 item 3): the zone of a device at one power and time is calibrated once from
// the full physics (bioheat.h with the device's source) in uniform liver, and stored as a radial
// profile R(s) around the probe axis (s: distance behind the tip along the shaft). Placing it
// anywhere is then a lookup per voxel: a voxel at axial position s and distance r from the axis
// is ablated when r <= R(s).
//
// Heat sink of large vessels (the rule the bioheat solver shows: flowing blood is held at body
// temperature, bioheat.h / vessel_heat_sink.h): flowing-blood voxels are never ablated, nor are
// voxels within sinkDistance_mm of them. Behind a vessel (the straight line from the probe axis
// to the voxel crosses flowing blood): an RF device ablates nothing (its zone is heated by
// conduction, which the blood cuts off), a microwave antenna ablates to R(s) less the length of
// blood crossed (its field crosses the vessel). Tissue other than liver changes nothing (a
// stated limit: the profile is that of liver). docs/validation.md "Thermal ablation: zone
// surrogate" gives its measured agreement with the full physics.
//
// Typical use (the GUI while dragging):
//   const ZoneSurrogate& s = cachedSurrogate(findDevice("mw-2450mhz-100w"));  // once, ~1 s
//   PredictedZone z = predictZone(s, grid, placement);                         // milliseconds
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation {

struct SurrogateOptions {
  // The calibration grid: spacing and box edge (mm); 2 mm keeps calibration near a second,
  // 1 mm is the solver's default. The box is centred on the active part.
  double calibrationSpacing_mm = 2.0;
  double calibrationBox_mm = 110.0;
  double timeStep_s = 5.0;
  // Tissue next to flowing blood left out of the zone (mm); see the header comment.
  double sinkDistance_mm = 2.0;
};

struct ZoneSurrogate {
  std::string deviceId;
  double power_W = 0.0;
  double duration_s = 0.0;
  SurrogateOptions options;
  // R(s) at s = firstS_mm + n * step_mm (mm; s > 0 behind the tip, towards the entry).
  double firstS_mm = 0.0;
  double step_mm = 1.0;
  std::vector<double> radius_mm;
  // What the calibration run gave: zone volume and axes (long along the probe, short across).
  double calibratedVolume_ml = 0.0;
  double calibratedLong_mm = 0.0;
  double calibratedShort_mm = 0.0;
  double centreBehindTip_mm = 0.0;  // the zone's centroid along the shaft
  double deliveredEnergy_J = 0.0;
  double calibration_s = 0.0;  // wall time of the calibration run

  // R(s), 0 outside the profile (linear interpolation between samples).
  double radiusAt(double s_mm) const;
};

// Runs the full physics once in uniform liver (tissue table "liver") with the device's heat
// source along the z axis and measures R(s). power_W / duration_s default to the device's.
// Throws Error(InvalidInput) for a power or time the device cannot use; Cancelled on cancel.
ZoneSurrogate calibrateSurrogate(const AblationDevice& device,
                                 std::optional<double> power_W = std::nullopt,
                                 std::optional<double> duration_s = std::nullopt,
                                 const SurrogateOptions& options = {},
                                 Progress& progress = noProgress());

// The power/time settings the planner tries for a device: its default, half its time, and (a
// microwave antenna: constant power) its generator's maximum power for the default time.
struct DeviceSetting {
  double power_W = 0.0;
  double duration_s = 0.0;
};
std::vector<DeviceSetting> plannerSettings(const AblationDevice& device);

// Calibrated profiles are tabulated at build time for every catalogue device at its
// plannerSettings() with default options (resources/ablation/zone_profiles.json, written by
// bench/ablation_surrogate_table: the same calibrateSurrogate run), so the GUI and the planner do
// not wait for the physics. The table's entry, or nullopt.
std::optional<ZoneSurrogate> tabulatedSurrogate(const std::string& deviceId, double power_W,
                                                double duration_s);
// The table's text for a set of calibrations.
std::string surrogateTableJson(const std::vector<ZoneSurrogate>& surrogates);

// The tabulated profile for default options when there is one; otherwise calibrated once per
// (device, power, time, options) in this process and kept (thread-safe).
const ZoneSurrogate& cachedSurrogate(const AblationDevice& device,
                                     std::optional<double> power_W = std::nullopt,
                                     std::optional<double> duration_s = std::nullopt,
                                     const SurrogateOptions& options = {},
                                     Progress& progress = noProgress());

struct PredictedZone {
  std::vector<std::uint8_t> zone;  // 1 inside, per grid voxel (i fastest)
  double volume_ml = 0.0;
  std::size_t voxelsLostToVessels = 0;  // removed by the heat-sink rule
};

// The predicted zone of a placement on a grid (the grid's geometry and bloodSpeed_m_s are read;
// the tissue is not). Deterministic; parallel over slices.
PredictedZone predictZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                          const ProbePlacement& placement);
// Adds (union) the placement's zone into `zone` (sized to the grid); returns voxels added.
std::size_t addPredictedZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                             const ProbePlacement& placement, std::vector<std::uint8_t>& zone);

}  // namespace twinplan::ablation

namespace twinplan::ablation {

// The voxels the heat-sink rule removes by distance: flowing blood and tissue within
// sinkDistance_mm of it (empty when the grid has no vessels). predictZone computes it per call;
// a caller placing many probes on one grid (the planner) computes it once.
std::vector<std::uint8_t> heatSinkMask(const AblationGrid& grid, double sinkDistance_mm);
std::size_t addPredictedZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                             const ProbePlacement& placement,
                             const std::vector<std::uint8_t>& sinkMask,
                             std::vector<std::uint8_t>& zone);

}  // namespace twinplan::ablation
