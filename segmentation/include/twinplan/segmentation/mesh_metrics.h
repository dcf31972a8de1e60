#pragma once
// Measurements of surface meshes: enclosed volume, area, and whether a surface is closed.
#include "twinplan/core/mesh.h"

namespace twinplan::segmentation {

// Volume enclosed by a closed, outward-oriented surface (divergence theorem over its
// triangles), in millilitres. Negative when the triangles face inwards; meaningless for an
// open surface (check isClosedManifold first).
double enclosedVolume_ml(const SurfaceMesh& mesh);

// Total area of the triangles, in mm^2.
double surfaceArea_mm2(const SurfaceMesh& mesh);

// True when every edge is shared by exactly two triangles that run along it in opposite
// directions (a watertight, consistently oriented surface), no triangle repeats a point and
// every index is in range. False for an empty mesh.
bool isClosedManifold(const SurfaceMesh& mesh);

}  // namespace twinplan::segmentation
