#include "rf_conductivity.h"

#include "stencil_solver.h"  // TWINPLAN_ABLATION_WIDE_LOOPS
#include "twinplan/ablation/tissue_properties.h"

namespace twinplan::ablation::detail {

// Both branches of the law formed and one kept, the floor and the clamp as std::max's and
// std::clamp's comparisons (a < b ? b : a; v < lo ? lo : hi < v ? hi : v, NaN included). GCC
// turns these selects into vector blends only when a comparison may not trap, so this file is
// built with -fno-trapping-math (simulation/ablation/CMakeLists.txt): it changes no result, only
// whether an invalid-operation flag may be raised, which nothing reads. The per-voxel call
// through the tissue's properties ran about five cycles a voxel.
TWINPLAN_ABLATION_WIDE_LOOPS void collapsedConductivities(const TissueIndex* tissue,
                                                          const float* temperature_degC,
                                                          float* sigma_S_m, std::size_t count,
                                                          const ConductivityTable& table) {
  const double* sigma37 = table.sigma37_S_m.data();
  const double* alpha = table.alpha_per_K.data();
  const double* atStart = table.atStart_S_m.data();
  const double start = table.start_degC, width = table.width_K;
  const double collapsedMinusOne = table.collapsedMinusOne, lowest = table.lowestFactor;
  for (std::size_t v = 0; v < count; ++v) {
    const double t = temperature_degC[v];
    const std::size_t index = tissue[v];
    const double factor = 1.0 + alpha[index] * (t - kBodyTemperature_degC);
    const double linear = sigma37[index] * (lowest < factor ? factor : lowest);
    const double ratio = (t - start) / width;
    const double fraction = ratio < 0.0 ? 0.0 : (1.0 < ratio ? 1.0 : ratio);
    const double collapsing = atStart[index] * (1.0 + collapsedMinusOne * fraction);
    sigma_S_m[v] = float(t <= start ? linear : collapsing);
  }
}

}  // namespace twinplan::ablation::detail
