#pragma once
// `twinplan-cli plan-conformal CASE --structures RS.dcm --ptv NAME --beams "G0,G90,..."
// [--margin mm] [--aperture-margin mm] [--objectives FILE.json] [--prescription Gy]
// [--fractions N] [--normalise d50|mean|dNN] [--energy MV] [--grid mm] --out RP.dcm [--json]`:
// a conformal photon plan (issue #19 item 3). CASE is a folder holding the planning CT; the
// structure set gives the target and the organs at risk. The PTV is the named ROI grown by
// --margin (segmentation morphology), the isocentre its centroid; each beam's MLC and jaws are
// conformed to it (radiotherapy/conformal_aperture.h); the pencil-beam engine computes each
// beam's dose per MU; the beam weights are optimised against the objectives
// (radiotherapy/beam_weights.h) and normalised to the prescription; the plan is written as an
// RT Plan (io::writeRtPlan) that references the structure set.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct PlanConformalArguments {
  std::filesystem::path casePath, structures, objectives, out;
  std::string ptv;
  std::string beams = "G0,G120,G240";
  double margin_mm = 0.0;          // CTV -> PTV, in 3D
  double apertureMargin_mm = 7.0;  // beyond the PTV's projection, in the isocentre plane
  double prescription_Gy = 60.0;
  int fractions = 30;
  std::string normalise = "d50";  // ICRU 83: report (and here normalise) the median dose
  double energy_MV = 6.0;
  double grid_mm = 2.5;
  std::string position;  // empty: the CT's Patient Position, else HFS (noted)
  std::string label = "Conformal";
};

// {"plan_label", "output", "rtplan_sop_instance_uid", "structure_set_sop_instance_uid",
//  "frame_of_reference_uid", "patient_position", "ptv": {"roi", "margin_mm", "volume_cm3"},
//  "isocentre_lps_mm", "prescription_gy", "fractions", "normalisation": {"metric", "dose_gy"},
//  "beams": [{"number", "name", "gantry_deg", "collimator_deg", "couch_deg", "energy_mv",
//  "mu_per_fraction", "open_leaf_pairs", "jaws_mm": [x1, x2, y1, y2]}], "objectives":
//  [{"structure", "type", "dose_gy", "volume_percent", "importance", "achieved", "met",
//  "penalty"}], "optimiser": {"iterations", "objective"}, "grid", "notes", "time_s"}.
nlohmann::json runPlanConformal(const PlanConformalArguments& arguments, Progress& progress);

struct PlanCommands {
  CLI::App* conformal = nullptr;
  PlanConformalArguments arguments;
};
void addPlanCommands(CLI::App& app, PlanCommands& commands);
// Runs `plan-conformal` when it was chosen (JSON on stdout with `json`, else a summary);
// false when it was not.
bool runPlanCommand(const PlanCommands& commands, bool json, Progress& progress);

}  // namespace twinplan::cli
