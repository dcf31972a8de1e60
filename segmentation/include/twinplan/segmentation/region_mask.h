#pragma once
// The result of an interactive segmentation tool: a binary mask on a grid, either the whole
// volume's grid or a box of it (a tool's fast preview on a region of interest or one slice).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/parallel.h"
#include "twinplan/core/progress.h"

namespace twinplan::segmentation {

// A box of voxels [begin, end) of a grid, i fastest. One slice k0 is {{0,0,k0},{ni,nj,k0+1}}.
struct VoxelBox {
  Index3 begin{0, 0, 0}, end{0, 0, 0};
  std::int64_t extent(int axis) const { return end[axis] - begin[axis]; }
  bool empty() const { return extent(0) <= 0 || extent(1) <= 0 || extent(2) <= 0; }
  bool operator==(const VoxelBox&) const = default;
};

// The whole grid, one slice (k index), and the box of `halfWidth_mm` around a point (clipped to
// the grid; on an anisotropic or oblique grid the half widths in voxels follow each axis's
// spacing, so the box covers at least the requested distance along every axis).
// Calls visit(row, first) for every row of `box` (one j, k pair; rows numbered j fastest from 0)
// with `first` the grid's linear index of the row's first voxel (i = box.begin[0]), in parallel
// over rows; reports `stage` to `progress` and stops when it asks to cancel.
template <class Visit>
void forEachBoxRow(const ImageGeometry& grid, const VoxelBox& box, Progress& progress,
                   const char* stage, Visit&& visit) {
  const auto rows = static_cast<std::size_t>(box.extent(1) * box.extent(2));
  parallel::parallelFor(
      {0, rows}, 64,
      [&](parallel::IndexRange chunk) {
        for (std::size_t row = chunk.begin; row < chunk.end; ++row) {
          const auto j = box.begin[1] + static_cast<std::int64_t>(row) % box.extent(1);
          const auto k = box.begin[2] + static_cast<std::int64_t>(row) / box.extent(1);
          visit(row, grid.linearIndex(box.begin[0], j, k));
        }
      },
      progress, stage);
}

VoxelBox wholeGrid(const ImageGeometry& grid);
VoxelBox sliceBox(const ImageGeometry& grid, std::int64_t k);
VoxelBox boxAround(const ImageGeometry& grid, const Vec3& centre_lps, double halfWidth_mm);
// The grid of the voxels of `box` (same spacing and direction, origin at box.begin).
ImageGeometry boxGeometry(const ImageGeometry& grid, const VoxelBox& box);

struct RegionMask {
  ImageGeometry geometry;            // the grid the mask is on (a box of the volume's grid or all)
  std::vector<std::uint8_t> inside;  // 1 inside, 0 outside; geometry.voxelCount() values
  std::size_t count() const;         // voxels inside
  double volume_ml() const;
};

// The mask pasted into the whole grid `grid` it was cut from (voxels outside it are 0).
RegionMask onGrid(const RegionMask& mask, const ImageGeometry& grid);

// Dice similarity coefficient 2|A.B| / (|A| + |B|) of two masks on the same grid (Dice 1945);
// 1 when both are empty. Throws Error(InvalidInput) when the grids differ.
double dice(const RegionMask& a, const RegionMask& b);

}  // namespace twinplan::segmentation
