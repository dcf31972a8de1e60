#pragma once
// Exact Euclidean distance maps on the ablation grid (Felzenszwalb & Huttenlocher, Theory of
// Computing 2012;8:415), for vessel radii (grid_builder.cpp) and ablative margins
// (zone_metrics.cpp). Internal to the module.
#include <cstdint>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation {

// Squared distance, in voxels, from each voxel centre to the nearest voxel centre with
// inside == 0 (0 there); +infinity when the grid has no such voxel. Voxels beyond the grid's
// faces are not considered. Isotropic grids only (the ablation grid is).
std::vector<double> squaredDistanceToOutside_vox(const std::vector<std::uint8_t>& inside,
                                                 const ImageGeometry& grid,
                                                 Progress& progress = noProgress());

}  // namespace twinplan::ablation
