#include "drying_cap.h"

namespace twinplan::ablation::detail {

double limitToDryingEnergy(const AblationGrid& grid, std::span<const float> temperature_degC,
                           std::span<const float> latentHeatLeft_J_m3, double vaporisationEnd_degC,
                           double step_s, std::vector<float>& power_W_m3) {
  if (latentHeatLeft_J_m3.empty()) return 0.0;
  return fillAndLimitToDryingEnergy(grid, temperature_degC, latentHeatLeft_J_m3,
                                    vaporisationEnd_degC, step_s, power_W_m3,
                                    [](parallel::IndexRange) {});
}

}  // namespace twinplan::ablation::detail
