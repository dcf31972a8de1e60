#include "drying_cap.h"

#include "stencil_solver.h"  // TWINPLAN_ABLATION_WIDE_LOOPS

namespace twinplan::ablation::detail {

TWINPLAN_ABLATION_WIDE_LOOPS bool mayReachDrying(const float* power_W_m3,
                                                 const float* latentHeatLeft_J_m3,
                                                 std::size_t count, double step_s) {
  int candidate = 0;
  for (std::size_t v = 0; v < count; ++v) {
    const int powered = power_W_m3[v] > 0.0f;
    const int farBelow = double(power_W_m3[v]) * step_s < 0.999 * double(latentHeatLeft_J_m3[v]);
    candidate |= powered & (1 - farBelow);
  }
  return candidate != 0;
}

double limitToDryingEnergy(const AblationGrid& grid, std::span<const float> temperature_degC,
                           std::span<const float> latentHeatLeft_J_m3, double vaporisationEnd_degC,
                           double step_s, std::vector<float>& power_W_m3) {
  if (latentHeatLeft_J_m3.empty()) return 0.0;
  return fillAndLimitToDryingEnergy(grid, temperature_degC, latentHeatLeft_J_m3,
                                    vaporisationEnd_degC, step_s, power_W_m3,
                                    [](parallel::IndexRange) {});
}

}  // namespace twinplan::ablation::detail
