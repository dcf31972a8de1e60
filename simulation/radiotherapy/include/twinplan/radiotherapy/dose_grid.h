#pragma once
// A dose distribution is a ScalarField with quantity "dose" in Gy on an image grid. Every
// comparison of two doses (sum, difference, gamma) goes through these checks, so inputs whose
// grids do not match get a clear error instead of a silent resample (issue #19, item 8).
#include <string_view>

#include "twinplan/core/scalar_field.h"

namespace twinplan::radiotherapy {

// Throws InvalidInput when `dose` is not a dose in Gy with one value per voxel; `what` names it
// in the message ("the reference dose").
void requireDose(const ScalarField& dose, std::string_view what);

// Throws InvalidInput, naming both grids, when `a` and `b` differ in size, origin, spacing or
// direction by more than tol_mm at any grid corner.
void requireSameGrid(const ScalarField& a, std::string_view whatA, const ScalarField& b,
                     std::string_view whatB, double tol_mm = 1e-3);

// Voxel-wise a + b and a - b on the common grid (plan sum of beam doses; dose difference).
ScalarField doseSum(const ScalarField& a, const ScalarField& b);
ScalarField doseDifference(const ScalarField& a, const ScalarField& b);
// Voxel-wise weightA a + weightB b (a plan sum with beams or plans scaled, e.g. a boost).
ScalarField weightedDoseSum(const ScalarField& a, double weightA, const ScalarField& b,
                            double weightB);

}  // namespace twinplan::radiotherapy
