#pragma once
// How the case's edits give results their ids (case.h "Result ids"), on a list of results.
#include <string>
#include <vector>

#include "twinplan/core/scalar_field.h"

namespace twinplan {

std::string nextResultId(const std::vector<ScalarField>& results);

// Stores `field` in `results`: with an id, in place of the result with that id (else added
// with it); without one, in place of the first result of the same name, keeping that result's
// id (a simulation run again replaces its result), else added with a new id.
void placeResult(std::vector<ScalarField>& results, ScalarField field);

}  // namespace twinplan
