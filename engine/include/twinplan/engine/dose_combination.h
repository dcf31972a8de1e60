#pragma once
// Two doses of a case combined into a new result (issue #19 item 4: dose sum and difference):
// a plan sum (A + B, e.g. a plan and its boost) or a signed difference (A - B, e.g. a
// recomputed dose against the planning system's). The window and the "combine-doses" job both
// call this; the voxel arithmetic and the grid checks are radiotherapy/dose_grid.h's, as for
// the CLI's dose-sum and dose-diff on RT Dose files.
#include <string>

#include "twinplan/core/case.h"

namespace twinplan::engine {

// The difference's quantity: signed Gy, drawn with a diverging colour map (0 at the centre)
// and never taken for a dose by the DVH, constraints or isodoses.
inline constexpr const char* kDoseDifferenceQuantity = "dose difference";

enum class DoseOperation { Sum, Difference };
// "sum" / "difference"; Error(InvalidInput) naming the word for anything else.
DoseOperation doseOperationNamed(const std::string& word);

struct CombinedDose {
  // Quantity "dose" (sum) or kDoseDifferenceQuantity, unit Gy, A's grid; no id yet (the case
  // gives it one when it stores it).
  ScalarField field;
  double min_Gy = 0, max_Gy = 0;
  std::string a_id, b_id;  // the ids of the doses combined
};

// A + B or A - B of the case's results `a` and `b`, each given by its id (ScalarField::id) or
// by a name only one result has. Error(NotFound) listing the case's doses (names and ids) for
// a key it lacks; Error(InvalidInput) for a name two results share (listing their ids), a result
// that is not a dose in Gy, or grids that differ (naming both grids: no silent resample). The
// result is named `name`, or "A + B" / "A - B" of the inputs' names; a name already in the
// case gets " 2", " 3", ...
CombinedDose combineDoses(const Case& twin, const std::string& a, const std::string& b,
                          DoseOperation operation, const std::string& name = {});

}  // namespace twinplan::engine
