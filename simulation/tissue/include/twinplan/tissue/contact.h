#pragma once
// Rigid obstacles for frictionless contact (fe_model.h RigidObstacle; issue #18: the skull):
// analytic ones for validation, and one sampled from a signed-distance map on an image grid,
// the form the skull takes when it comes from a labelmap (a distance map of the skull or
// outside region, positive in the brain).
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

// The half-space on the side of `point` that `normal` points away from is rigid: tissue stays
// where (x - point) . normal >= 0.
RigidObstacle rigidPlane(const std::array<double, 3>& point, const std::array<double, 3>& normal,
                         std::vector<std::size_t> nodes);

// Tissue inside a sphere (a rigid spherical shell, the skull's simplest form): distance
// radius - |x - centre|.
RigidObstacle rigidSphericalShell(const std::array<double, 3>& centre, double radius_mm,
                                  std::vector<std::size_t> nodes);

// A signed distance sampled on an axis-aligned grid (x fastest), e.g. computed from the skull
// labelmap: values at origin + (i, j, k) * spacing, in mm, positive where tissue may be. It is
// interpolated trilinearly (exact for a linear distance) and clamped at the grid's border; the
// normal is its normalised gradient by central differences over one voxel.
struct DistanceMap {
  std::array<std::size_t, 3> size{};
  std::array<double, 3> origin_mm{}, spacing_mm{1, 1, 1};
  std::vector<float> distance_mm;
};

// Error(InvalidInput) when the map's values do not match its size or a spacing is not positive.
RigidObstacle obstacleFromDistanceMap(DistanceMap map, std::vector<std::size_t> nodes,
                                      std::string name = "skull");

}  // namespace twinplan::tissue
