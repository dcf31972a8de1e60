// Where the minimal ablative margin lies (ablation_margin.h).
#include "ablation_margin.h"

#include <array>
#include <limits>

#include "twinplan/core/parallel.h"

namespace twinplan::ui {
namespace {

// Voxels of `mask` (== inside) with a 6-neighbour of the other kind; a voxel on the grid's
// face counts its missing neighbour as outside.
std::vector<std::size_t> boundary(const std::vector<std::uint8_t>& mask, std::uint8_t inside,
                                  const ImageGeometry& g) {
  std::vector<std::size_t> out;
  const auto n = g.size;
  for (std::int64_t k = 0; k < n[2]; ++k)
    for (std::int64_t j = 0; j < n[1]; ++j)
      for (std::int64_t i = 0; i < n[0]; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        if (mask[v] != inside) continue;
        bool edge = false;
        for (const auto& d : {std::array<int, 3>{1, 0, 0},
                              {-1, 0, 0},
                              {0, 1, 0},
                              {0, -1, 0},
                              {0, 0, 1},
                              {0, 0, -1}}) {
          const std::int64_t a = i + d[0], b = j + d[1], c = k + d[2];
          const bool beyond = a < 0 || b < 0 || c < 0 || a >= n[0] || b >= n[1] || c >= n[2];
          // Beyond the grid: outside the zone, and so a neighbour of the other kind for an
          // inside voxel only.
          if (beyond ? inside == 1 : mask[g.linearIndex(a, b, c)] != inside) {
            edge = true;
            break;
          }
        }
        if (edge) out.push_back(v);
      }
  return out;
}

Vec3 voxelLps(const ImageGeometry& g, std::size_t v) {
  const auto nx = std::size_t(g.size[0]), ny = std::size_t(g.size[1]);
  return g.indexToLps(Vec3(double(v % nx), double((v / nx) % ny), double(v / (nx * ny))));
}

struct Best {
  double distance2 = 0.0;
  std::size_t voxel = std::numeric_limits<std::size_t>::max();
};

}  // namespace

std::optional<Vec3> minimalMarginLocation(const std::vector<std::uint8_t>& zone,
                                          const std::vector<std::uint8_t>& tumour,
                                          const ImageGeometry& grid) {
  bool uncovered = false, anyTumour = false, anyZone = false;
  for (std::size_t v = 0; v < zone.size(); ++v) {
    anyTumour = anyTumour || tumour[v];
    anyZone = anyZone || zone[v];
    uncovered = uncovered || (tumour[v] && !zone[v]);
  }
  if (!anyTumour || !anyZone) return std::nullopt;
  // Candidates: tumour surface voxels (uncovered ones when the tumour sticks out). Targets:
  // the first voxels outside the zone (covered), or the zone's own boundary (uncovered).
  std::vector<std::size_t> candidates;
  for (std::size_t v : boundary(tumour, 1, grid))
    if (!uncovered || !zone[v]) candidates.push_back(v);
  const std::vector<std::size_t> targets = boundary(zone, uncovered ? 1 : 0, grid);
  if (candidates.empty() || targets.empty()) return std::nullopt;
  std::vector<Vec3> targetLps(targets.size());
  for (std::size_t t = 0; t < targets.size(); ++t) targetLps[t] = voxelLps(grid, targets[t]);
  // Per candidate its distance to the nearest target; then the smallest (covered) or largest
  // (uncovered) of those, ties to the lower voxel index: the same answer on every run.
  const auto better = [uncovered](const Best& a, const Best& b) {
    if (b.voxel == std::numeric_limits<std::size_t>::max()) return a;
    if (a.voxel == std::numeric_limits<std::size_t>::max()) return b;
    if (a.distance2 != b.distance2)
      return (uncovered ? a.distance2 > b.distance2 : a.distance2 < b.distance2) ? a : b;
    return a.voxel < b.voxel ? a : b;
  };
  const Best best = parallel::parallelReduce(
      parallel::IndexRange{0, candidates.size()}, 64, Best{},
      [&](parallel::IndexRange block) {
        Best local;
        for (std::size_t c = block.begin; c < block.end; ++c) {
          const Vec3 p = voxelLps(grid, candidates[c]);
          double nearest = std::numeric_limits<double>::infinity();
          for (const Vec3& q : targetLps) nearest = std::min(nearest, (q - p).squaredNorm());
          local = better(local, Best{nearest, candidates[c]});
        }
        return local;
      },
      better);
  return voxelLps(grid, best.voxel);
}

}  // namespace twinplan::ui
