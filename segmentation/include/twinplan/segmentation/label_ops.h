#pragma once
// Islands (connected components) and logical operations on binary masks.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/segmentation/binary_mask.h"

namespace twinplan::segmentation {

// Face neighbours (6) or face, edge and corner neighbours (26) in 3D. 26 is Slicer's and ITK's
// ConnectedComponentImageFilter(FullyConnected) convention for "one island"; 6 splits blobs
// that touch only along an edge or at a corner.
enum class Connectivity { Faces6 = 6, Full26 = 26 };

// The islands of a mask: `label` per voxel (0 background, 1..count), sizes in voxels, ordered
// largest first (ties: the island whose first voxel comes first in i-fastest order).
struct Islands {
  std::vector<std::uint32_t> label;
  std::vector<std::size_t> voxelCounts;  // voxelCounts[n - 1] is island n's size
  std::size_t count() const { return voxelCounts.size(); }
};
Islands findIslands(const BinaryMask& mask, Connectivity connectivity,
                    Progress& progress = noProgress());

BinaryMask keepLargestIsland(const BinaryMask& mask, Connectivity connectivity,
                             Progress& progress = noProgress());
// The island that holds voxel `seed_ijk`; throws Error(InvalidInput) when the seed is outside
// the image or not in the mask.
BinaryMask keepIslandAt(const BinaryMask& mask, const Index3& seed_ijk, Connectivity connectivity,
                        Progress& progress = noProgress());
// Drops islands whose volume is below minVolume_mm3 (voxel count x voxel volume).
BinaryMask removeSmallIslands(const BinaryMask& mask, double minVolume_mm3,
                              Connectivity connectivity, Progress& progress = noProgress());
// One mask per island, largest first.
std::vector<BinaryMask> splitIslands(const BinaryMask& mask, Connectivity connectivity,
                                     Progress& progress = noProgress());

enum class LogicalOperation { Union, Intersect, Subtract, Invert };
// a OR b, a AND b, a AND NOT b, NOT a (within the image; b unused). Throws Error(InvalidInput)
// when the two masks are not on the same grid.
BinaryMask combine(const BinaryMask& a, const BinaryMask& b, LogicalOperation operation,
                   Progress& progress = noProgress());

}  // namespace twinplan::segmentation
