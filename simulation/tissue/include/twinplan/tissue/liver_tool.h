#pragma once
// The liver-under-a-tool scenario (issue #18, item 3): a rigid tool tip pressed into the organ's
// surface as prescribed displacements of the surface nodes under it, solved at a series of
// depths, with the force the tool needs at each (docs/validation.md, "Tissue mechanics: liver
// under a tool"). The tissue sticks to the tool (bonded), as a probe pressed into perfused
// parenchyma does not slide; for a nearly incompressible tissue the bonded and frictionless
// flat-punch forces agree (Spence 1968: they differ through (1 - 2 nu)).
#include <array>
#include <cstddef>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/tissue/fe_model.h"
#include "twinplan/tissue/fem_solver.h"

namespace twinplan::tissue {

struct ToolIndentation {
  enum class Shape {
    FlatCylinder,  // a blunt probe: every node under its face moves by the depth
    Sphere,        // a ball tip: nodes move to the sphere's surface where it has reached them
  };
  Shape shape = Shape::FlatCylinder;
  std::array<double, 3> surfacePoint_mm{};    // where the tool's axis meets the undeformed surface
  std::array<double, 3> direction{0, 0, -1};  // into the tissue (normalised here)
  double radius_mm = 2.5;
  std::vector<double> depths_mm{1};  // the force-indentation curve's depths, increasing
  // Candidate nodes (e.g. the mesher's SURFACE set; empty = every node): those within
  // radius_mm of the axis and within surfaceTolerance_mm of surfacePoint_mm along it are
  // under the tool.
  std::vector<std::size_t> surfaceNodes;
  double surfaceTolerance_mm = 1e-6;
};

struct IndentationPoint {
  double depth_mm = 0;
  double force_N = 0;  // the force the tool pushes with, along its direction
  int iterations = 0;
};

struct ToolResult {
  std::vector<std::size_t> toolNodes;
  std::vector<IndentationPoint> curve;
  SolveResult deepest;  // the solution at the last depth
};

// The model's own steps are replaced by one step per depth (NLGEOM when `nlgeom`), each solved
// from the undeformed state with the model's fixed boundaries. Error(InvalidInput) when no node
// lies under the tool or the depths are not positive and increasing.
ToolResult indentWithTool(const FeModel& model, const ToolIndentation& tool, bool nlgeom,
                          const SolverOptions& options = {}, Progress& progress = noProgress());

}  // namespace twinplan::tissue
