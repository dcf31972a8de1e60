#include "components.h"

#include <numeric>

#include "twinplan/core/parallel.h"

namespace twinplan::segmentation::detail {
namespace {

std::uint32_t findRoot(std::vector<std::uint32_t>& parent, std::uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];  // path halving
    x = parent[x];
  }
  return x;
}

void unite(std::vector<std::uint32_t>& parent, std::uint32_t a, std::uint32_t b) {
  a = findRoot(parent, a);
  b = findRoot(parent, b);
  if (a == b) return;
  // The smaller id becomes the root, so a component's root is its first run in raster order.
  if (a < b) {
    parent[b] = a;
  } else {
    parent[a] = b;
  }
}

// Joins the runs of `row` (ids from rowFirst) with those of `other` (ids from otherFirst) that
// touch: overlapping i ranges, or ranges one apart when diagonal neighbours count (`reach` 1).
void joinRows(const std::vector<Run>& row, std::uint32_t rowFirst, const std::vector<Run>& other,
              std::uint32_t otherFirst, std::int32_t reach, std::vector<std::uint32_t>& parent) {
  std::size_t a = 0, b = 0;
  while (a < row.size() && b < other.size()) {
    if (row[a].begin < other[b].end + reach && other[b].begin < row[a].end + reach) {
      unite(parent, rowFirst + static_cast<std::uint32_t>(a),
            otherFirst + static_cast<std::uint32_t>(b));
    }
    // Advance whichever run ends first; the other may still touch the next one.
    if (row[a].end < other[b].end) {
      ++a;
    } else {
      ++b;
    }
  }
}

}  // namespace

RunComponents findRunComponents(const std::uint8_t* voxels, std::int64_t nx, std::int64_t ny,
                                std::int64_t nz, std::uint8_t target, bool faceOnly,
                                Progress& progress) {
  RunComponents result;
  result.nx = nx;
  result.ny = ny;
  result.nz = nz;
  const auto rowCount = static_cast<std::size_t>(ny * nz);
  result.rows.resize(rowCount);
  parallel::parallelFor(
      {0, rowCount}, 256,
      [&](parallel::IndexRange r) {
        for (std::size_t row = r.begin; row < r.end; ++row) {
          const std::uint8_t* line = voxels + row * static_cast<std::size_t>(nx);
          std::vector<Run>& runs = result.rows[row];
          for (std::int32_t i = 0; i < nx;) {
            if ((line[i] != 0) != (target != 0)) {
              ++i;
              continue;
            }
            const std::int32_t begin = i;
            while (i < nx && (line[i] != 0) == (target != 0)) ++i;
            runs.push_back({begin, i, 0});
          }
        }
      },
      progress, "Finding islands");

  std::vector<std::uint32_t> firstId(rowCount + 1, 0);
  for (std::size_t row = 0; row < rowCount; ++row)
    firstId[row + 1] = firstId[row] + static_cast<std::uint32_t>(result.rows[row].size());
  std::vector<std::uint32_t> parent(firstId[rowCount]);
  std::iota(parent.begin(), parent.end(), 0u);

  const std::int32_t reach = faceOnly ? 0 : 1;
  auto rowIndex = [ny](std::int64_t j, std::int64_t k) {
    return static_cast<std::size_t>(j + ny * k);
  };
  for (std::int64_t k = 0; k < nz; ++k) {
    if (k % 16 == 0) progress.check();
    for (std::int64_t j = 0; j < ny; ++j) {
      const std::size_t row = rowIndex(j, k);
      if (result.rows[row].empty()) continue;
      auto join = [&](std::int64_t jj, std::int64_t kk, std::int32_t rowReach) {
        if (jj < 0 || jj >= ny || kk < 0) return;
        const std::size_t other = rowIndex(jj, kk);
        joinRows(result.rows[row], firstId[row], result.rows[other], firstId[other], rowReach,
                 parent);
      };
      // Rows already visited that touch this one: the face neighbours (j-1, k) and (j, k-1),
      // and for 26-connectivity the edge neighbours (j-1, k-1) and (j+1, k-1), all with
      // diagonal reach within the row.
      join(j - 1, k, reach);
      join(j, k - 1, reach);
      if (!faceOnly) {
        join(j - 1, k - 1, reach);
        join(j + 1, k - 1, reach);
      }
    }
  }

  // Compact component numbers in order of first appearance; sizes and border contact.
  std::vector<std::uint32_t> componentOfRoot(parent.size(), 0);
  for (std::size_t row = 0; row < rowCount; ++row) {
    const auto j = static_cast<std::int64_t>(row % static_cast<std::size_t>(ny));
    const auto k = static_cast<std::int64_t>(row / static_cast<std::size_t>(ny));
    // A single slice (nz 1) has no k faces: its border is its edge rows and columns.
    const bool borderRow = j == 0 || j == ny - 1 || (nz > 1 && (k == 0 || k == nz - 1));
    for (std::size_t n = 0; n < result.rows[row].size(); ++n) {
      Run& run = result.rows[row][n];
      const std::uint32_t root = findRoot(parent, firstId[row] + static_cast<std::uint32_t>(n));
      if (componentOfRoot[root] == 0) {
        result.voxelCounts.push_back(0);
        result.touchesBorder.push_back(0);
        componentOfRoot[root] = static_cast<std::uint32_t>(result.voxelCounts.size());
      }
      run.component = componentOfRoot[root];
      result.voxelCounts[run.component - 1] += static_cast<std::size_t>(run.end - run.begin);
      if (borderRow || run.begin == 0 || run.end == nx) result.touchesBorder[run.component - 1] = 1;
    }
  }
  return result;
}

}  // namespace twinplan::segmentation::detail
