#pragma once
// Connected components of a binary image by runs: each row's runs of target voxels are joined
// with the runs of the rows before it that touch them (union-find over runs, not voxels), the
// classic run-based labelling (Rosenfeld & Pfaltz, J. ACM 13(4) 1966; He, Chao & Suzuki, IEEE
// TIP 17(5) 2008). Memory goes with the number of runs, so a 512x512x300 mask needs a few MB.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::segmentation::detail {

struct Run {
  std::int32_t begin = 0, end = 0;  // i range [begin, end) in its row
  std::uint32_t component = 0;      // 1-based, in order of first appearance (raster order)
};

struct RunComponents {
  std::int64_t nx = 0, ny = 0, nz = 0;
  std::vector<std::vector<Run>> rows;       // row j + ny * k
  std::vector<std::size_t> voxelCounts;     // [component - 1]
  std::vector<std::uint8_t> touchesBorder;  // [component - 1]: reaches a face of the box
  std::size_t count() const { return voxelCounts.size(); }
};

// Components of the voxels equal to `target` in the nx*ny*nz byte image `voxels` (i fastest).
// faceOnly: 6-connected in 3D (4 in a single slice); otherwise 26 (8 in a single slice).
RunComponents findRunComponents(const std::uint8_t* voxels, std::int64_t nx, std::int64_t ny,
                                std::int64_t nz, std::uint8_t target, bool faceOnly,
                                Progress& progress);

}  // namespace twinplan::segmentation::detail
