#pragma once
// A conformal photon plan made on a case in memory (issue #19 item 3), for the GUI (which keeps
// its case in memory and runs this in the background) and the "plan-conformal" job (which loads
// and saves a case file around it). The parameters are the job's (jobs.cpp catalogue), without
// "case" and "output": ptv, margin_mm, oars, beams, aperture_margin_mm, prescription_gy,
// fractions, normalise, energy_mv, grid_mm, engine, ct, position, label.
#include <memory>
#include <nlohmann/json.hpp>

#include "twinplan/core/case.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/progress.h"

namespace twinplan::engine {

struct ConformalPlanOutcome {
  // The plan (kind "radiotherapy", named by its label) and its course dose as ONE undoable
  // step (edits::storeSimulationOutputs): a plan and a dose of the same names are replaced.
  std::unique_ptr<CaseEdit> edit;
  nlohmann::json report;  // radiotherapy::conformalPlanJson plus "ptv", "ct", "field", "plan"
};

// Throws Error(InvalidInput) naming the parameter before any work for bad parameters,
// Error(NotFound) naming the segment or volume the case lacks, Cancelled on cancel. The case
// is not changed: the caller applies the edit.
ConformalPlanOutcome planConformalInCase(const Case& twin, const nlohmann::json& parameters,
                                         Progress& progress = noProgress());

}  // namespace twinplan::engine
