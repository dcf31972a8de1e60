#include "drying_cap.h"

#include <algorithm>

#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {

double limitToDryingEnergy(const AblationGrid& grid, std::span<const float> temperature_degC,
                           std::span<const float> latentHeatLeft_J_m3, double vaporisationEnd_degC,
                           double step_s, std::vector<float>& power_W_m3) {
  if (latentHeatLeft_J_m3.empty()) return 0.0;
  const double h_m = grid.voxelSize_m();
  const double voxel_m3 = h_m * h_m * h_m;
  return parallel::parallelReduce(
      parallel::IndexRange{0, power_W_m3.size()}, 1 << 16, 0.0,
      [&](parallel::IndexRange r) {
        double removed_W = 0.0;
        for (std::size_t v = r.begin; v < r.end; ++v) {
          if (power_W_m3[v] <= 0.0f) continue;
          // Far below the latent heat left alone (the sensible part is >= 0): no cap, without
          // the tissue's look-up and a division (the margin covers the limit's rounding).
          if (double(power_W_m3[v]) * step_s < 0.999 * double(latentHeatLeft_J_m3[v])) continue;
          const TissueProperties& t = grid.tissueAt(v);
          const double sensible_J_m3 =
              t.density_kg_m3 * t.heatCapacity_J_kgK *
              std::max(0.0, vaporisationEnd_degC - double(temperature_degC[v]));
          const double limit_W_m3 = (sensible_J_m3 + double(latentHeatLeft_J_m3[v])) / step_s;
          if (power_W_m3[v] > limit_W_m3) {
            removed_W += (power_W_m3[v] - limit_W_m3) * voxel_m3;
            power_W_m3[v] = float(limit_W_m3);
          }
        }
        return removed_W;
      },
      [](double a, double b) { return a + b; });
}

}  // namespace twinplan::ablation::detail
