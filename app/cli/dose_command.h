#pragma once
// `twinplan-cli dose CASE --plan RP.dcm|NAME [--engine pencil-beam|collapsed-cone] [--grid 2.5]
// [--out RD.dcm] [--hu-red FILE] [--position HFS] [--json]`: photon dose of an RT Plan on the
// planning CT with the pencil-beam (radiotherapy/pencil_beam.h, the default) or the
// collapsed-cone engine (radiotherapy/collapsed_cone.h), written as an RT Dose that references the
// plan and the CT's frame of reference. CASE is a folder of DICOM files holding the CT, or a case
// file (.twinplan) with a CT volume; with a case file, --plan may also name a plan stored in the
// case (its name, or its RT Plan SOP Instance UID: engine::findCasePlan) when no file of that
// name exists. Kept apart from main.cpp beside the other radiotherapy commands.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct DoseArguments {
  std::filesystem::path casePath, plan, out, huDensity;
  double grid_mm = 2.5;
  std::string position;  // empty: the plan's Patient Setup, else the CT's, else HFS (noted)
  std::string engine = "pencil-beam";  // or "collapsed-cone"
};

// {"plan", "plan_source" ("file" | "case"), "plan_label", "referenced_plan_sop_instance_uid",
// "frame_of_reference_uid", "ct",
//  "patient_position", "grid": {"spacing_mm", "size"}, "fractions", "fraction_group",
//  "max_dose_gy", "isocentre_lps_mm", "isocentre_dose_gy", "beams": [{"number", "name",
//  "energy_mv", "mu", "isocentre_dose_gy_per_fraction", "max_dose_gy_per_fraction"}],
//  "engine" (a sentence), "engine_id" ("pencil-beam" | "collapsed-cone"), "hu_density_calibration",
//  "time_s", "output", "rtdose_sop_instance_uid", "notes"}.
// Error(InvalidInput) when the plan and the CT are in different frames of reference;
// Error(NotFound) listing the case's plans for a name the case does not hold.
nlohmann::json runDose(const DoseArguments& arguments, Progress& progress);

}  // namespace twinplan::cli
