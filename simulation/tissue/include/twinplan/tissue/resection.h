#pragma once
// Element removal for resection (issue #18, item 2) and the resection-cavity scenario (item 3):
// the elements of the resected tissue leave the model, nodes no remaining element uses are
// dropped and the rest renumbered, and the faces the remaining tissue shared with the removed
// elements become a free surface (no load, no constraint), the wall of the cavity. The cavity
// volume is measured on that wall before and after the remaining tissue relaxes
// (docs/validation.md, "Tissue mechanics: resection").
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/tissue/fe_model.h"
#include "twinplan/tissue/fem_solver.h"

namespace twinplan::tissue {

// A triangle of node indices. Cavity walls are oriented with their right-hand normal pointing
// out of the cavity (into the remaining tissue).
using Triangle = std::array<std::size_t, 3>;

struct Resection {
  FeModel model;                          // the remaining tissue, with its sets, loads and steps
  std::vector<std::size_t> originalNode;  // per node of `model`: its index in the input model
  // The cavity wall: the corner triangles of the faces between removed and remaining elements
  // (a C3D10 face counts as its flat corner triangle), in `model`'s node indices.
  std::vector<Triangle> cavityWall;
  std::size_t removedElements = 0;
  // Every edge of the wall is shared by exactly two of its triangles: a cavity inside the
  // tissue. An open wall (a resection reaching the outer surface or a symmetry plane) has an
  // enclosed volume only relative to the origin (see cavityVolume_mm3).
  bool wallClosed = false;
};

// Removes the elements with the given indices (into model.elements). Node and element sets,
// *BOUNDARY lines, nodal forces, gravity and face pressures that refer to removed nodes or
// elements are dropped; empty sets are dropped. Error(InvalidInput) when an index is out of
// range or nothing would remain.
Resection removeElements(const FeModel& model, const std::vector<std::size_t>& elements);

// Removes the element set `setName` (case-insensitive, as in the deck); Error(NotFound) when
// the model has no such set.
Resection removeElementSet(const FeModel& model, const std::string& setName);

// The elements whose centroid lies inside a region (e.g. a segment's mask mapped to mm).
std::vector<std::size_t> elementsWithCentroidIn(
    const FeModel& model, const std::function<bool(const std::array<double, 3>&)>& inside);

// The volume enclosed by oriented triangles (divergence theorem, V = 1/6 sum x0 . (x1 x x2)),
// at the reference positions plus `displacement_mm` (per node; empty = undeformed). Exact for
// a closed wall; for an open wall, the missing faces must lie on planes through the origin (a
// symmetry plane with roller supports keeps x . n = 0 there), or the result is off by their
// share.
double cavityVolume_mm3(const FeModel& model, const std::vector<Triangle>& wall,
                        const std::vector<std::array<double, 3>>& displacement_mm = {});

struct ResectionOutcome {
  Resection resection;
  SolveResult solution;  // of resection.model's steps
  double cavityVolumeBefore_mm3 = 0, cavityVolumeAfter_mm3 = 0;
  double relativeVolumeChange() const { return cavityVolumeAfter_mm3 / cavityVolumeBefore_mm3 - 1; }
};

// The resection scenario: removes `resectedSet` from `model`, solves the remaining tissue
// under the model's own boundary conditions and loads (gravity, pressure, fixed outer surface)
// with the cavity wall free, and measures the cavity volume before and after.
ResectionOutcome simulateResection(const FeModel& model, const std::string& resectedSet,
                                   const SolverOptions& options = {},
                                   Progress& progress = noProgress());

}  // namespace twinplan::tissue
