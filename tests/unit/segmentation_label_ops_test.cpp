// Islands and logical operations: counts and sizes of constructed blobs with 6- and
// 26-connectivity, against an independent breadth-first flood fill on a random mask; keep
// largest, keep at seed, remove small in mm3 on anisotropic voxels, split; truth tables.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>

#include "twinplan/core/error.h"
#include "twinplan/segmentation/label_ops.h"

namespace twinplan::segmentation {
namespace {

ImageGeometry grid() {
  ImageGeometry g;
  g.size = {30, 20, 12};
  g.spacing_mm = Vec3(0.7, 0.7, 2.5);  // 1.225 mm3 per voxel
  return g;
}

void box(BinaryMask& m, Index3 lo, Index3 hi) {
  for (std::int64_t k = lo[2]; k < hi[2]; ++k)
    for (std::int64_t j = lo[1]; j < hi[1]; ++j)
      for (std::int64_t i = lo[0]; i < hi[0]; ++i) m.voxels[m.geometry.linearIndex(i, j, k)] = 1;
}

// 3x3x3 (27), 2x2x2 (8), a lone voxel (1); and two 2x2x2 cubes that touch only at a corner,
// and two that touch only along an edge.
BinaryMask blobs() {
  BinaryMask m(grid());
  box(m, {1, 1, 1}, {4, 4, 4});
  box(m, {8, 1, 1}, {10, 3, 3});
  box(m, {14, 1, 1}, {15, 2, 2});
  box(m, {1, 10, 1}, {3, 12, 3});  // corner-touching pair
  box(m, {3, 12, 3}, {5, 14, 5});
  box(m, {10, 10, 6}, {12, 12, 8});  // edge-touching pair
  box(m, {12, 12, 6}, {14, 14, 8});
  return m;
}

std::vector<std::size_t> sortedSizes(const Islands& islands) { return islands.voxelCounts; }

TEST(SegmentationIslands, CountsAndSizesOfConstructedBlobs) {
  const BinaryMask m = blobs();
  const Islands full = findIslands(m, Connectivity::Full26);
  EXPECT_EQ(sortedSizes(full), (std::vector<std::size_t>{27, 16, 16, 8, 1}));
  const Islands faces = findIslands(m, Connectivity::Faces6);
  EXPECT_EQ(sortedSizes(faces), (std::vector<std::size_t>{27, 8, 8, 8, 8, 8, 1}));
  // Labels agree with sizes, largest first.
  EXPECT_EQ(full.label[m.geometry.linearIndex(2, 2, 2)], 1u);
  EXPECT_EQ(full.label[m.geometry.linearIndex(14, 1, 1)], 5u);
  EXPECT_EQ(full.label[m.geometry.linearIndex(0, 0, 0)], 0u);
}

// An independent count: breadth-first flood fill over voxels.
std::vector<std::size_t> floodFillSizes(const BinaryMask& m, bool faceOnly) {
  const ImageGeometry& g = m.geometry;
  std::vector<std::uint8_t> seen(g.voxelCount(), 0);
  std::vector<std::size_t> sizes;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        if (!m.at(i, j, k) || seen[g.linearIndex(i, j, k)]) continue;
        std::deque<Index3> queue{{i, j, k}};
        seen[g.linearIndex(i, j, k)] = 1;
        std::size_t size = 0;
        while (!queue.empty()) {
          const Index3 p = queue.front();
          queue.pop_front();
          ++size;
          for (int dz = -1; dz <= 1; ++dz)
            for (int dy = -1; dy <= 1; ++dy)
              for (int dx = -1; dx <= 1; ++dx) {
                const int steps = std::abs(dx) + std::abs(dy) + std::abs(dz);
                if (steps == 0 || (faceOnly && steps > 1)) continue;
                const Index3 q{p[0] + dx, p[1] + dy, p[2] + dz};
                if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= g.size[0] || q[1] >= g.size[1] ||
                    q[2] >= g.size[2])
                  continue;
                const std::size_t v = g.linearIndex(q[0], q[1], q[2]);
                if (m.voxels[v] && !seen[v]) {
                  seen[v] = 1;
                  queue.push_back(q);
                }
              }
        }
        sizes.push_back(size);
      }
  std::stable_sort(sizes.begin(), sizes.end(), std::greater<>());
  return sizes;
}

TEST(SegmentationIslands, RandomMaskMatchesAFloodFill) {
  BinaryMask m(grid());
  std::mt19937 random(11);
  for (auto& v : m.voxels) v = random() % 100 < 30;  // near the percolation threshold
  EXPECT_EQ(findIslands(m, Connectivity::Faces6).voxelCounts, floodFillSizes(m, true));
  EXPECT_EQ(findIslands(m, Connectivity::Full26).voxelCounts, floodFillSizes(m, false));
}

TEST(SegmentationIslands, KeepLargestKeepAtSeedRemoveSmallAndSplit) {
  const BinaryMask m = blobs();
  const ImageGeometry& g = m.geometry;
  BinaryMask big(g);
  box(big, {1, 1, 1}, {4, 4, 4});
  EXPECT_EQ(keepLargestIsland(m, Connectivity::Full26), big);

  BinaryMask pair(g);
  box(pair, {1, 10, 1}, {3, 12, 3});
  box(pair, {3, 12, 3}, {5, 14, 5});
  EXPECT_EQ(keepIslandAt(m, {1, 10, 1}, Connectivity::Full26), pair);
  EXPECT_EQ(keepIslandAt(m, {1, 10, 1}, Connectivity::Faces6).count(), 8u);
  EXPECT_THROW(keepIslandAt(m, {0, 0, 0}, Connectivity::Full26), Error);
  EXPECT_THROW(keepIslandAt(m, {30, 0, 0}, Connectivity::Full26), Error);

  // 8 voxels are 9.8 mm3 and 16 are 19.6 mm3 on these voxels: a 10 mm3 limit keeps 27 and 16s.
  const BinaryMask kept = removeSmallIslands(m, 10.0, Connectivity::Full26);
  EXPECT_EQ(kept.count(), 27u + 16u + 16u);
  EXPECT_EQ(removeSmallIslands(m, 9.8, Connectivity::Full26).count(), 27u + 16u + 16u + 8u);
  EXPECT_EQ(removeSmallIslands(m, 10.0, Connectivity::Faces6).count(), 27u);
  EXPECT_THROW(removeSmallIslands(m, -1.0, Connectivity::Full26), Error);

  const std::vector<BinaryMask> parts = splitIslands(m, Connectivity::Full26);
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0], big);
  std::size_t total = 0;
  for (const BinaryMask& part : parts) total += part.count();
  EXPECT_EQ(total, m.count());
}

TEST(SegmentationLogical, TruthTables) {
  ImageGeometry g;
  g.size = {4, 1, 1};
  BinaryMask a(g), b(g);
  a.voxels = {0, 0, 1, 1};
  b.voxels = {0, 1, 0, 1};
  EXPECT_EQ(combine(a, b, LogicalOperation::Union).voxels, (std::vector<std::uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(combine(a, b, LogicalOperation::Intersect).voxels,
            (std::vector<std::uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(combine(a, b, LogicalOperation::Subtract).voxels,
            (std::vector<std::uint8_t>{0, 0, 1, 0}));
  EXPECT_EQ(combine(a, b, LogicalOperation::Invert).voxels,
            (std::vector<std::uint8_t>{1, 1, 0, 0}));
  ImageGeometry other = g;
  other.spacing_mm = Vec3(2, 1, 1);
  EXPECT_THROW(combine(a, BinaryMask(other), LogicalOperation::Union), Error);
}

}  // namespace
}  // namespace twinplan::segmentation
