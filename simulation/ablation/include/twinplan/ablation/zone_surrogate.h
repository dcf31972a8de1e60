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
#include <span>
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

// The surrogates of one power at several times (s, rising) from one run of the last time: the
// zone at each earlier time is the run's zone then (BioheatParameters::zoneSnapshotTimes_s).
// The run has no cool-down, so that zone is what a run of that duration reports, up to where
// the steps fall (docs/validation.md "ablplanpt": the prefix test). calibration_s is the one
// run's wall time, on every surrogate.
std::vector<ZoneSurrogate> calibrateSurrogateTimes(const AblationDevice& device, double power_W,
                                                   const std::vector<double>& durations_s,
                                                   const SurrogateOptions& options = {},
                                                   Progress& progress = noProgress());

// The power/time settings the planner searches for a device (docs/validation.md "ablplanpt"):
// times in kPlannerTimeStep_s steps from kPlannerTimeStep_s up to the catalogue time (the
// setting of its published zone; the last step shorter when that is not a whole number of
// steps); powers: an RF generator's set power only (its controller, not the user, sets the
// delivered power), a constant-power antenna's from half its generator maximum up to the
// maximum in steps of a tenth of it rounded to 5 W (at least 5 W), the catalogue power always
// among them. Both rise.
inline constexpr double kPlannerTimeStep_s = 60.0;
std::vector<double> plannerPowers_W(const AblationDevice& device);
std::vector<double> plannerDurations_s(const AblationDevice& device);
struct DeviceSetting {
  double power_W = 0.0;
  double duration_s = 0.0;
};
// Every power x time of the two lists above, power-major.
std::vector<DeviceSetting> plannerSettings(const AblationDevice& device);

// Calibrated profiles are tabulated at build time for every catalogue device at its
// plannerSettings() with default options (resources/ablation/zone_profiles.json, written by
// bench/ablation_surrogate_table: one calibrateSurrogateTimes run per power), so the GUI and the
// planner do not wait for the physics. The table's entry, or nullopt.
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

namespace twinplan::ablation {

// Several probes of one device at one setting, switched on together (a multi-probe plan). Their
// zone is larger than the union of their single zones: tissue between and beside them is heated
// by all of them (the full physics shows it, docs/validation.md "ablplan"). The rule, a
// superposition of heat shares: beyond its own zone's edge (x = r - R(s) > 0) a probe's share
// falls off with x, the edge being the share that ablates, so a voxel is ablated when
//     sum over probes of share_i(x_i) >= 1
// (one probe: r <= R(s), as before). R is the reach after the vessel rules of addPredictedZone
// (an RF probe whose line to the voxel crosses flowing blood adds nothing; an antenna's reach
// shortens by the blood crossed); voxels of the heat-sink mask are never ablated; a probe adds
// nothing ahead of its tip or behind its zone (where its profile is 0).
//
// How the share falls (ProbeInteraction):
// - conducted heat, every device: exp(-x / L), L the heat diffusion length sqrt(alpha t) of
//   liver (alpha = k / (rho c), the tissue table's IT'IS values) over the treatment time;
// - radiated power, microwave antennas (since branch ablsuper): an antenna's field heats tissue
//   directly to centimetres and crosses its neighbours' zones (Brace CL, Crit Rev Biomed Eng
//   2010;38:65-78), so beyond its zone its share falls as its own SAR does there,
//   (R / r)^n exp(-2 a x) (microwave_source.h: the cylindrical wave of a line source, King,
//   Trembly & Strohbehn 1983, n = 1, a the attenuation constant of liver at the antenna's
//   frequency, Gabriel 1996 via the tissue table; 1 / (2 a) = 10.4 mm at 2.45 GHz, 21 mm at
//   915 MHz, both longer than L = 6.4 mm for 5 min). The share is the larger of the two (at the
//   edge each is the whole share: their sum would double the single zone); RF keeps the
//   conducted share alone.
// No constant is fitted to the multi-probe physics (docs/validation.md "ablsuper": it brings the
// antennas' zones 2-3 % of the physics' volume nearer, still 7-17 % short).
struct ProbeInteraction {
  double diffusionLength_mm = 0.0;  // L; 0: no interaction, the union of the single zones
  double radiatedLength_mm = 0.0;   // 1 / (2 a); 0: conducted heat only (RF)
  double radialExponent = 1.0;      // n, the source's (MicrowaveSettings::radialExponent)
  bool any() const { return diffusionLength_mm > 0.0; }
};
// The interaction of the surrogate's probes: L over its duration_s (times
// kProbeInteractionScale, validated against the full physics for 2 and 3 antennas in
// docs/validation.md "ablplan"); for a microwave antenna, also its SAR tail.
inline constexpr double kProbeInteractionScale = 1.0;
double probeInteractionLength_mm(const ZoneSurrogate& surrogate);
ProbeInteraction probeInteraction(const ZoneSurrogate& surrogate);
// The former rule (before branch ablsuper): conducted heat only, for comparisons.
inline ProbeInteraction conductedOnly(double diffusionLength_mm) {
  return {diffusionLength_mm, 0.0, 1.0};
}

// Adds every probe's heat share to `heat` (sized to the grid; resized and zeroed when it is not).
// Shares below exp(-4) are left out (they cannot tip a voxel with up to 3 probes by more than 4 %).
void addProbeHeat(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                  const ProbePlacement& placement, const std::vector<std::uint8_t>& sinkMask,
                  const ProbeInteraction& interaction, std::vector<float>& heat);

// The zone of the probes together (the rule above). One probe or no interaction: the union of the
// single zones, voxel for voxel the zone addPredictedZone gives. voxelsLostToVessels is not
// counted.
PredictedZone predictCombinedZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                                  std::span<const ProbePlacement> probes,
                                  const std::vector<std::uint8_t>& sinkMask,
                                  const ProbeInteraction& interaction);

// predictCombinedZone's verdict (1 in, 0 out) for the listed voxels only, in their order: the
// same rule, voxel for voxel, at the cost of those voxels (the planner tests a setting on the
// tumour + margin shell, not the whole grid).
std::vector<std::uint8_t> combinedZoneAt(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                                         std::span<const ProbePlacement> probes,
                                         const std::vector<std::uint8_t>& sinkMask,
                                         const ProbeInteraction& interaction,
                                         std::span<const std::size_t> voxels);

// The live zone of a multi-probe plan while one probe is dragged: the held probes' heat shares
// are summed once, so an update places only the moving probe (one probe's cost). The surrogate
// and the grid must outlive it. Equal, voxel for voxel, to predictCombinedZone of all probes.
class LiveMultiProbeZone {
 public:
  LiveMultiProbeZone(const ZoneSurrogate& surrogate, const AblationGrid& grid,
                     std::vector<std::uint8_t> sinkMask, std::span<const ProbePlacement> heldProbes,
                     const ProbeInteraction& interaction);
  PredictedZone withMovingProbe(const ProbePlacement& moving) const;
  std::size_t heldProbeCount() const { return heldCount_; }

 private:
  const ZoneSurrogate& surrogate_;
  const AblationGrid& grid_;
  std::vector<std::uint8_t> sink_;
  ProbeInteraction interaction_;
  std::size_t heldCount_ = 0;
  std::vector<float> heldHeat_;
};

}  // namespace twinplan::ablation
