// Islands and logical operations (label_ops.h).
#include "twinplan/segmentation/label_ops.h"

#include <algorithm>
#include <numeric>

#include "components.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation {
namespace {

constexpr std::size_t kVoxelGrain = 1 << 18;

detail::RunComponents componentsOf(const BinaryMask& mask, Connectivity connectivity,
                                   Progress& progress) {
  const ImageGeometry& g = mask.geometry;
  return detail::findRunComponents(mask.voxels.data(), g.size[0], g.size[1], g.size[2], 1,
                                   connectivity == Connectivity::Faces6, progress);
}

// Component numbers ordered largest first (ties: first in raster order); rank[c - 1] is the
// 1-based rank of component c.
std::vector<std::uint32_t> rankBySize(const detail::RunComponents& c) {
  std::vector<std::uint32_t> order(c.count());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return c.voxelCounts[a] > c.voxelCounts[b];
  });
  std::vector<std::uint32_t> rank(c.count());
  for (std::size_t n = 0; n < order.size(); ++n) rank[order[n]] = static_cast<std::uint32_t>(n + 1);
  return rank;
}

// A mask of the runs whose component passes `keep`.
template <class Keep>
BinaryMask maskOfComponents(const detail::RunComponents& c, const ImageGeometry& g, Keep&& keep) {
  BinaryMask out(g);
  parallel::parallelFor({0, c.rows.size()}, 256, [&](parallel::IndexRange r) {
    for (std::size_t row = r.begin; row < r.end; ++row)
      for (const detail::Run& run : c.rows[row])
        if (keep(run.component)) {
          std::uint8_t* line = out.voxels.data() + row * static_cast<std::size_t>(g.size[0]);
          std::fill(line + run.begin, line + run.end, std::uint8_t{1});
        }
  });
  return out;
}

}  // namespace

Islands findIslands(const BinaryMask& mask, Connectivity connectivity, Progress& progress) {
  const detail::RunComponents c = componentsOf(mask, connectivity, progress);
  const std::vector<std::uint32_t> rank = rankBySize(c);
  Islands islands;
  islands.voxelCounts.resize(c.count());
  for (std::size_t n = 0; n < c.count(); ++n) islands.voxelCounts[rank[n] - 1] = c.voxelCounts[n];
  const ImageGeometry& g = mask.geometry;
  islands.label.assign(g.voxelCount(), 0);
  parallel::parallelFor({0, c.rows.size()}, 256, [&](parallel::IndexRange r) {
    for (std::size_t row = r.begin; row < r.end; ++row)
      for (const detail::Run& run : c.rows[row]) {
        std::uint32_t* line = islands.label.data() + row * static_cast<std::size_t>(g.size[0]);
        std::fill(line + run.begin, line + run.end, rank[run.component - 1]);
      }
  });
  return islands;
}

BinaryMask keepLargestIsland(const BinaryMask& mask, Connectivity connectivity,
                             Progress& progress) {
  const detail::RunComponents c = componentsOf(mask, connectivity, progress);
  const std::vector<std::uint32_t> rank = rankBySize(c);
  return maskOfComponents(c, mask.geometry,
                          [&](std::uint32_t component) { return rank[component - 1] == 1; });
}

BinaryMask keepIslandAt(const BinaryMask& mask, const Index3& seed_ijk, Connectivity connectivity,
                        Progress& progress) {
  const ImageGeometry& g = mask.geometry;
  for (int a = 0; a < 3; ++a)
    if (seed_ijk[a] < 0 || seed_ijk[a] >= g.size[a]) {
      throw Error(ErrorKind::InvalidInput,
                  "The seed voxel (" + std::to_string(seed_ijk[0]) + ", " +
                      std::to_string(seed_ijk[1]) + ", " + std::to_string(seed_ijk[2]) +
                      ") is outside the image; place it on the island to keep.");
    }
  if (!mask.at(seed_ijk[0], seed_ijk[1], seed_ijk[2])) {
    throw Error(ErrorKind::InvalidInput,
                "The seed voxel (" + std::to_string(seed_ijk[0]) + ", " +
                    std::to_string(seed_ijk[1]) + ", " + std::to_string(seed_ijk[2]) +
                    ") is not in the segment; place it on the island to keep.");
  }
  const detail::RunComponents c = componentsOf(mask, connectivity, progress);
  const std::size_t row = static_cast<std::size_t>(seed_ijk[1] + g.size[1] * seed_ijk[2]);
  std::uint32_t seedComponent = 0;
  for (const detail::Run& run : c.rows[row])
    if (seed_ijk[0] >= run.begin && seed_ijk[0] < run.end) seedComponent = run.component;
  return maskOfComponents(c, g,
                          [&](std::uint32_t component) { return component == seedComponent; });
}

BinaryMask removeSmallIslands(const BinaryMask& mask, double minVolume_mm3,
                              Connectivity connectivity, Progress& progress) {
  if (!(minVolume_mm3 >= 0.0)) {
    throw Error(ErrorKind::InvalidInput,
                "The smallest island volume to keep must be 0 mm3 or more (got " +
                    std::to_string(minVolume_mm3) + ").");
  }
  const detail::RunComponents c = componentsOf(mask, connectivity, progress);
  const double voxel_mm3 = mask.voxelVolume_mm3();
  return maskOfComponents(c, mask.geometry, [&](std::uint32_t component) {
    // An island of exactly the limit stays; the relative 1e-9 absorbs the rounding of the
    // voxel volume (0.7 x 0.7 x 2.5 is not exactly 1.225 in binary).
    return static_cast<double>(c.voxelCounts[component - 1]) * voxel_mm3 >=
           minVolume_mm3 * (1.0 - 1e-9);
  });
}

std::vector<BinaryMask> splitIslands(const BinaryMask& mask, Connectivity connectivity,
                                     Progress& progress) {
  const detail::RunComponents c = componentsOf(mask, connectivity, progress);
  const std::vector<std::uint32_t> rank = rankBySize(c);
  std::vector<BinaryMask> islands;
  for (std::uint32_t n = 1; n <= c.count(); ++n) {
    progress.check();
    islands.push_back(maskOfComponents(
        c, mask.geometry, [&](std::uint32_t component) { return rank[component - 1] == n; }));
  }
  return islands;
}

BinaryMask combine(const BinaryMask& a, const BinaryMask& b, LogicalOperation operation,
                   Progress& progress) {
  if (operation != LogicalOperation::Invert &&
      (a.geometry.size != b.geometry.size || !a.geometry.sameGridAs(b.geometry))) {
    throw Error(ErrorKind::InvalidInput,
                "The two segments are not on the same grid; resample one onto the other first.");
  }
  BinaryMask out(a.geometry);
  parallel::parallelFor(
      {0, a.voxels.size()}, kVoxelGrain,
      [&](parallel::IndexRange r) {
        for (std::size_t v = r.begin; v < r.end; ++v) {
          const bool x = a.voxels[v] != 0;
          switch (operation) {
            case LogicalOperation::Union:
              out.voxels[v] = x || b.voxels[v];
              break;
            case LogicalOperation::Intersect:
              out.voxels[v] = x && b.voxels[v];
              break;
            case LogicalOperation::Subtract:
              out.voxels[v] = x && !b.voxels[v];
              break;
            case LogicalOperation::Invert:
              out.voxels[v] = !x;
              break;
          }
        }
      },
      progress, "Combining segments");
  return out;
}

}  // namespace twinplan::segmentation
