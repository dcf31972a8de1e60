#pragma once
// The surface where a scalar field crosses a level (isodose, isotherm), in LPS mm, for the 3D
// view: marching cubes (VTK's flying edges) on the field's own grid, then the grid's origin and
// direction applied, so oblique grids come out in patient coordinates.
#include <string>

#include "twinplan/core/mesh.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::rendering {

// An empty mesh when the field never reaches `level`. Throws Error(InvalidInput) for a field
// whose value count does not match its grid.
SurfaceMesh isosurface(const ScalarField& field, double level, const std::string& name,
                       const Rgb& colour, float opacity);

}  // namespace twinplan::rendering
