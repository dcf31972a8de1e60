#pragma once
// A radiotherapy plan stored in the case, exported as the three DICOM-RT objects a planning
// system or a record-and-verify system takes in (issue #19 items 1 and 8): the RT Structure Set
// of the case's segments on the planning CT, the RT Plan that references it (Referenced Structure
// Set Sequence, type 1C for a PATIENT plan: PS3.3 C.8.8.9) and the plan's own dose as an RT Dose
// that references the plan (Referenced RT Plan Sequence, C.8.8.3) - all in the CT's study and
// frame of reference. Job "export-plan" and `twinplan-cli export-plan` run it.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan::engine {

struct PlanExportRequest {
  std::string plan;                // the plan's name in the case, or its SOP Instance UID
  std::string ct;                  // the planning CT's volume name; empty: the first CT
  std::filesystem::path folder;    // RS.dcm, RP.dcm and RD.dcm are written here
  std::string where = "the case";  // names the case in errors (its file)
};

// Writes the three files and returns {"plan", "folder", "files": {"rtstruct", "rtplan",
// "rtdose"}, "structure_set_sop_instance_uid", "rtplan_sop_instance_uid",
// "rtdose_sop_instance_uid", "study_instance_uid", "frame_of_reference_uid", "structures",
// "beams": [{"number", "name", "gantry_deg", "mu"}], "fractions", "dose": {"field", "size",
// "spacing_mm", "origin_lps_mm", "max_gy"}, "notes"}. The plan keeps its SOP Instance UID (the
// one a dose computed from it references). Checked before anything is written: the plan
// (engine::findCasePlan), a photon plan, its frame of reference = the CT's, its dose in the case
// (in Gy), the CT's DICOM slices still on disk (the structure set references each slice), and at
// least one segment on the CT's grid; and the folder (made when missing): Error(Io) naming it
// when it cannot be made or written in. The files are written under temporary names and
// renamed into place once all three are written: a failure or cancel (Cancelled) leaves the
// folder as it was. The window's Radiotherapy > Export plan runs it on the open case.
nlohmann::json exportCasePlan(const Case& twin, const PlanExportRequest& request,
                              Progress& progress);

}  // namespace twinplan::engine
