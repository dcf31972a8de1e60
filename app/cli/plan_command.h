#pragma once
// `twinplan-cli plan-conformal CT --structures RS.dcm --ptv NAME --beams "G0,G90,..."
// [--margin mm] [--aperture-margin mm] [--oar NAME:KIND:VALUE ...] [--objectives FILE.json]
// [--prescription Gy] [--fractions N] [--normalise d50|mean|dNN] [--energy MV] [--grid mm]
// [--engine pencil-beam|collapsed-cone] --out RP.dcm [--json]`: a conformal photon plan (issue
// #19 item 3). CT is a folder holding the planning CT; the structure set gives the target and
// the organs at risk. The PTV is the named ROI grown by --margin (segmentation morphology), the
// isocentre its centroid; radiotherapy::planConformal conforms each beam's MLC and jaws within
// the Millennium 120's limits, computes each beam's dose per MU, optimises the weights against
// the PTV's range and the objectives, normalises them to the prescription; the plan is written
// as an RT Plan (io::writeRtPlan) that references the structure set.
// The case form, `twinplan-cli plan-conformal CASE.twinplan --ptv SEGMENT [--oar ...] [--out
// CASE2]` (no --structures), runs the engine job "plan-conformal": the plan and its dose are
// added to the case (in place, or written to --out).
// `twinplan-cli export-plan CASE --plan NAME --out FOLDER [--ct NAME] [--json]` runs the engine
// job "export-plan" (engine/rt_plan_export.h): RS.dcm, RP.dcm and RD.dcm that reference each other.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct PlanConformalArguments {
  std::filesystem::path casePath, structures, objectives, out;
  std::string ptv;
  std::vector<std::string> oars;  // "NAME:max:20" (radiotherapy/conformal_plan.h)
  std::string engine = "pencil-beam";
  std::string beams = "G0,G120,G240";
  double margin_mm = 0.0;          // CTV -> PTV, in 3D
  double apertureMargin_mm = 7.0;  // radiotherapy::kDefaultApertureMargin_mm (6 MV penumbra)
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
//  "penalty"}], "structures": [{"name", "mean_gy", "max_gy", "d95_gy", "d2_gy"}],
//  "optimiser": {"iterations", "objective", "target_importance"}, "grid", "notes", "time_s"}.
// The case form returns the job's result (the same members, plus "output", "field", "plan").
nlohmann::json runPlanConformal(const PlanConformalArguments& arguments, Progress& progress);

struct PlanExportArguments {
  std::filesystem::path casePath, out;
  std::string plan, ct;
};

struct PlanCommands {
  CLI::App* conformal = nullptr;
  PlanConformalArguments arguments;
  CLI::App* exportPlan = nullptr;
  PlanExportArguments exportArguments;
};
void addPlanCommands(CLI::App& app, PlanCommands& commands);
// Runs `plan-conformal` or `export-plan` when one was chosen (JSON on stdout with `json`, else a
// summary); false when neither was.
bool runPlanCommand(const PlanCommands& commands, bool json, Progress& progress);

}  // namespace twinplan::cli
