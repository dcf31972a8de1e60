#pragma once
// An RT Dose brought into a case as a result field (issue #19 item 1: dose shown in the 2D and
// 3D views): the dose in Gy on its own grid, which the views sample in patient coordinates.
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"

namespace twinplan::engine {

struct ImportedDose {
  ScalarField field;  // quantity "dose", unit Gy, named "Dose (plan)", "Dose (beam 1)", ...
  std::string summationType, doseType, frameOfReferenceUid, referencedPlanSopInstanceUid;
  double max_Gy = 0;
  std::vector<std::string> notes;  // what the reader assumed
};

// Reads `rtdose` (io::readRtDose) for `twin`. Its frame of reference must be one of the case's
// images' (a dose is placed by the patient coordinates of the CT it was computed on; PS3.3
// C.7.4.1): Error(InvalidInput) naming both frames otherwise, and for a dose that is not in Gy
// (Dose Units RELATIVE). A case whose images carry no frame of reference takes the dose with a
// note saying so. The field's name does not clash with the case's other results.
ImportedDose importDose(const Case& twin, const std::filesystem::path& rtdose,
                        Progress& progress = noProgress());

}  // namespace twinplan::engine
