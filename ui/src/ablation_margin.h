#pragma once
// Where the minimal ablative margin of an ablation zone around a tumour lies (issue #17 item 4:
// the margin report says where to look). Masks on one grid (1 inside, i fastest), as
// ablation::tumourCoverage takes them, whose minMargin_mm this locates:
// - tumour fully inside the zone: the tumour voxel nearest to the first voxel outside the zone
//   (the thinnest margin);
// - tumour partly outside: the uncovered tumour voxel farthest from the zone (the margin is
//   negative there: the tumour sticks out most).
// Both lie on the tumour's surface, so only its surface voxels are searched (exact distances
// between voxel centres, a brute-force search over the zone's boundary).
#include <cstdint>
#include <optional>
#include <vector>

#include "twinplan/core/geometry.h"

namespace twinplan::ui {

// The voxel centre in LPS mm; nullopt when the tumour or the zone has no voxel.
std::optional<Vec3> minimalMarginLocation(const std::vector<std::uint8_t>& zone,
                                          const std::vector<std::uint8_t>& tumour,
                                          const ImageGeometry& grid);

}  // namespace twinplan::ui
