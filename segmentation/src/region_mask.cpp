#include "twinplan/segmentation/region_mask.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "twinplan/core/error.h"

namespace twinplan::segmentation {

VoxelBox wholeGrid(const ImageGeometry& grid) { return {{0, 0, 0}, grid.size}; }

VoxelBox sliceBox(const ImageGeometry& grid, std::int64_t k) {
  if (k < 0 || k >= grid.size[2])
    throw Error(ErrorKind::InvalidInput,
                "Slice " + std::to_string(k) + " is not in the image (it has " +
                    std::to_string(grid.size[2]) + " slices, numbered from 0).",
                "slice");
  return {{0, 0, k}, {grid.size[0], grid.size[1], k + 1}};
}

VoxelBox boxAround(const ImageGeometry& grid, const Vec3& centre_lps, double halfWidth_mm) {
  const Vec3 centre = grid.lpsToIndex(centre_lps);
  VoxelBox box;
  for (int a = 0; a < 3; ++a) {
    const double half_voxels = std::ceil(halfWidth_mm / grid.spacing_mm[a]);
    box.begin[a] = std::clamp<std::int64_t>(std::llround(centre[a] - half_voxels), 0, grid.size[a]);
    box.end[a] =
        std::clamp<std::int64_t>(std::llround(centre[a] + half_voxels) + 1, 0, grid.size[a]);
  }
  return box;
}

ImageGeometry boxGeometry(const ImageGeometry& grid, const VoxelBox& box) {
  ImageGeometry g = grid;
  g.size = {box.extent(0), box.extent(1), box.extent(2)};
  g.origin_lps =
      grid.indexToLps(Vec3(static_cast<double>(box.begin[0]), static_cast<double>(box.begin[1]),
                           static_cast<double>(box.begin[2])));
  return g;
}

std::size_t RegionMask::count() const {
  return static_cast<std::size_t>(
      std::count_if(inside.begin(), inside.end(), [](std::uint8_t v) { return v != 0; }));
}

double RegionMask::volume_ml() const {
  return static_cast<double>(count()) * geometry.spacing_mm.prod() / 1000.0;
}

RegionMask onGrid(const RegionMask& mask, const ImageGeometry& grid) {
  if (mask.geometry.sameGridAs(grid)) return mask;
  // The box's first voxel in the whole grid (the box shares spacing and direction).
  const Vec3 first = grid.lpsToIndex(mask.geometry.origin_lps);
  const Index3 offset{std::llround(first[0]), std::llround(first[1]), std::llround(first[2])};
  const auto& n = mask.geometry.size;
  for (int a = 0; a < 3; ++a)
    if (offset[a] < 0 || offset[a] + n[a] > grid.size[a] ||
        std::abs(mask.geometry.spacing_mm[a] - grid.spacing_mm[a]) > 1e-6)
      throw Error(ErrorKind::InvalidInput,
                  "The mask is not a box of this image's grid; it cannot be pasted into it.",
                  "mask");
  RegionMask whole{grid, std::vector<std::uint8_t>(grid.voxelCount(), 0)};
  for (std::int64_t k = 0; k < n[2]; ++k)
    for (std::int64_t j = 0; j < n[1]; ++j) {
      const auto* from = &mask.inside[mask.geometry.linearIndex(0, j, k)];
      std::copy(from, from + n[0],
                &whole.inside[grid.linearIndex(offset[0], offset[1] + j, offset[2] + k)]);
    }
  return whole;
}

double dice(const RegionMask& a, const RegionMask& b) {
  if (!a.geometry.sameGridAs(b.geometry) || a.inside.size() != b.inside.size())
    throw Error(ErrorKind::InvalidInput, "Dice needs two masks on the same grid.", "mask");
  std::size_t both = 0, countA = 0, countB = 0;
  for (std::size_t v = 0; v < a.inside.size(); ++v) {
    const bool inA = a.inside[v] != 0, inB = b.inside[v] != 0;
    countA += inA;
    countB += inB;
    both += inA && inB;
  }
  if (countA + countB == 0) return 1.0;
  return 2.0 * static_cast<double>(both) / static_cast<double>(countA + countB);
}

}  // namespace twinplan::segmentation
