#pragma once
// Whether a surface model can be 3D printed or used as a solid in XR and simulation: closed,
// consistently oriented, and not crossing itself (issue #16 item 5); and the repair a "3D
// print" export offers for a model that is not closed.
#include <cstddef>
#include <string>

#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"

namespace twinplan::segmentation {

struct MeshCheck {
  bool closed = false;                // isClosedManifold (mesh_metrics.h)
  std::size_t openEdges = 0;          // edges with one triangle (holes)
  std::size_t selfIntersections = 0;  // pairs of triangles that cross (counted up to a limit)
  double volume_ml = 0.0, area_mm2 = 0.0;
  bool printable() const { return closed && selfIntersections == 0; }
  std::string problems() const;  // in words, empty when printable
};

// Triangles sharing a corner are not tested against each other (their contact is the shared
// corner or edge); coplanar overlaps are not counted. The exact crossing test is
// Moeller-Trumbore segment/triangle intersection of each edge of one triangle with the other
// (T. Moeller, B. Trumbore, J. Graphics Tools 2(1), 1997), on candidate pairs from a uniform
// grid of triangle bounding boxes. Counting stops at `limit`.
MeshCheck checkMesh(const SurfaceMesh& mesh, std::size_t limit = 1000,
                    Progress& progress = noProgress());

// A model a printer can take: duplicate points merged, holes closed (VTK's fill-holes filter),
// triangles oriented consistently outwards. Throws Error(InvalidInput) naming the model when
// the result is still not closed, or when it crosses itself (no automatic fix for that).
SurfaceMesh repairForPrinting(const SurfaceMesh& mesh);

}  // namespace twinplan::segmentation
