#pragma once
// The ablation plan optimiser (issue #17 item 3): for a tumour segment plus a safety margin,
// proposes one-probe and several-probe (2-3 parallel probes) plans along feasible needle paths
// (needle_path.h). Each probe arrangement gets its own power and time, searched over the
// device's planner settings (zone_surrogate.h: plannerPowers_W x plannerDurations_s, 1-minute
// steps): the least energy (ties: the shorter time) whose coverage of tumour + margin and
// minimal margin (to the ranking's precision below) equal those the arrangement reaches at its
// strongest setting (the highest power for the longest time), so more power or time would
// only ablate more healthy tissue. The zone grows with time at a fixed power (the profiles of
// one calibration run are nested), so the shortest such time per power is found by bisection
// on the voxels of tumour + margin + one voxel only (combinedZoneAt). Plans are scored with the
// zone surrogate at their setting and ranked:
//   1. coverage of tumour + margin (percent, to 0.1 %), higher first;
//   2. minimal ablative margin up to the requested margin (to 0.5 mm), larger first: beyond the
//      requested margin a larger margin only costs healthy liver;
//   3. volume of critical structures ablated (to 0.1 ml), less first;
//   4. fewer probes, then less energy, then a larger margin.
// Optionally the full physics (bioheat.h; several probes on one grid: RF electrodes on one
// generator at one potential, antennas each at the setting; device_source.h) confirms the top
// plans. Deterministic (fixed candidate order, ties broken by it);
// cancellable; loops on core/parallel.h. docs/validation.md "Thermal ablation: planning".
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "twinplan/ablation/needle_path.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation {

struct PlannerOptions {
  std::string tumour;  // segment name
  double margin_mm = kDefaultTumourMargin_mm;
  // The 2.45 GHz 100 W antenna: microwave is the usual first choice for liver tumours over 3 cm
  // (faster, less heat sink; e.g. Lubner et al., J Vasc Interv Radiol 2010;21:S192).
  std::string deviceId = "mw-2450mhz-100w";
  int maxProbes = 3;  // 1..3
  // Run the full physics on the best `confirmCount` plans.
  bool confirm = false;
  int confirmCount = 3;
  std::string ct;  // "" = the first CT
  NeedlePathRules pathRules;
  // Planning grid spacing (mm): the surrogate's calibration spacing.
  double gridSpacing_mm = 2.0;
  // Directions tried from the tumour's centre, and how many distinct feasible ones (at least
  // 20 deg apart, shortest first) carry plans.
  int directionCount = 600;
  int directionsUsed = 4;
  int maxPlans = 10;
  // Several probes heat together: their predicted zone is composed by superposed heat shares
  // (zone_surrogate.h predictCombinedZone); false: the union of single zones, as before that rule.
  bool probeInteraction = true;
  void validate() const;
};

struct PlannedProbe {
  Vec3 tip_lps = Vec3::Zero();
  Vec3 entry_lps = Vec3::Zero();  // on the skin
  double depth_mm = 0.0;
  double angleFromAxial_deg = 0.0;
};

struct PlanEvaluation {
  double coverage_percent = 0.0;        // of tumour + margin
  double tumourCoverage_percent = 0.0;  // of the tumour
  double minMargin_mm = 0.0;            // zone_metrics.h tumourCoverage
  double zone_ml = 0.0;
  double criticalAblated_ml = 0.0;
  std::map<std::string, double> ablated_ml;  // per critical structure on the grid
};

struct AblationPlan {
  std::vector<PlannedProbe> probes;
  double power_W = 0.0;  // per probe (the confirmation drives several RF electrodes from one
                         // generator at this power: device_source.h)
  double duration_s = 0.0;
  double energy_J = 0.0;                    // all probes, from the calibration runs
  PlanEvaluation predicted;                 // surrogate
  std::optional<PlanEvaluation> confirmed;  // full physics (confirm)
  std::string summary;  // "covers 100.0 % of tumour + 5 mm, min margin 5.8 mm, spares ...";
                        // ends with settingReason
  // Why this power and time: "4 min is the shortest at 60 W that covers tumour + 5 mm (3 min:
  // 97.3 %, min margin -2.0 mm); the least energy of 50-100 W (14.4 kJ; 100 W needs 3 min,
  // 18.0 kJ)".
  std::string settingReason;
  // The same power one time step shorter (absent when the time is the shortest searched): its
  // surrogate coverage of tumour + margin and minimal margin, which fall short of the plan's.
  std::optional<double> shorterDuration_s, shorterCoverage_percent, shorterMinMargin_mm;
};

struct PlanningResult {
  std::string tumour, deviceId;
  double margin_mm = 0.0;
  double tumour_ml = 0.0;
  Vec3 tumourCentre_lps = Vec3::Zero();
  std::vector<AblationPlan> plans;  // best first
  // The needle paths from the tumour's centre: tried (within the angle limit), feasible, and the
  // refusals grouped by reason kind ("crosses Ribs", "longer than the 200 mm shaft"), with one
  // example path each.
  struct PathRefusal {
    std::string kind;  // "crosses Ribs"
    std::size_t count = 0;
    NeedlePath example;  // the first such path
  };
  std::size_t pathsTried = 0, pathsFeasible = 0;
  std::vector<PathRefusal> refusals;  // most frequent first
  std::size_t candidatesScored = 0;   // probe arrangements (direction x layout)
  std::size_t settingsTested = 0;     // arrangement x setting verdicts on the target shell
  std::vector<double> powersSearched_W, durationsSearched_s;
  double search_s = 0.0, confirm_s = 0.0;
};

// Throws Error(NotFound) for an unknown tumour or device, Error(InvalidInput) for an empty
// tumour or bad options, and Error(InvalidInput) "no feasible needle path", giving the
// refusal counts, when every direction is refused. Cancelled on cancel.
PlanningResult planAblation(const Case& twin, const PlannerOptions& options,
                            Progress& progress = noProgress());

// The surrogate's evaluation of probes at each of `settings` (in their order) on the grid
// planAblation builds for this tumour, built once (coverage and margin as in the returned plans),
// for checking a plan against its neighbouring settings. Settings outside plannerSettings are
// calibrated first (zone_surrogate.h cachedSurrogate).
std::vector<PlanEvaluation> evaluatePlanSettings(const Case& twin, const PlannerOptions& options,
                                                 const std::vector<PlannedProbe>& probes,
                                                 std::span<const DeviceSetting> settings);

}  // namespace twinplan::ablation
