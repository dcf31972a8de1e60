#pragma once
// Helpers of the ablation zone tests: the overlap of two zones and a straight vessel on a grid.
#include <cmath>
#include <cstdint>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"

namespace twinplan::ablation::testing {

// Dice coefficient of two voxel masks on one grid (1 when both are empty).
inline double dice(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  std::size_t both = 0, na = 0, nb = 0;
  for (std::size_t v = 0; v < a.size(); ++v) both += a[v] && b[v], na += a[v], nb += b[v];
  return na + nb ? 2.0 * double(both) / double(na + nb) : 1.0;
}

// A straight vessel of diameter_mm along z through (x_mm, 0) on the grid, blood at speed_m_s
// (the grid's other blood speeds are cleared; the tissue is left as it is).
inline void addVessel(AblationGrid& grid, double x_mm, double diameter_mm, float speed_m_s) {
  const ImageGeometry& g = grid.geometry;
  grid.bloodSpeed_m_s.assign(g.voxelCount(), 0.0f);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        if (std::hypot(p.x() - x_mm, p.y()) <= 0.5 * diameter_mm)
          grid.bloodSpeed_m_s[g.linearIndex(i, j, k)] = speed_m_s;
      }
}

}  // namespace twinplan::ablation::testing
