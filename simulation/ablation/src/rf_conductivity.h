#pragma once
// The RF source's per-step pass of sigma(T) over a stretch of voxels (private to the module;
// rf_source.cpp's collapsedConductivity(), the temperature-only law without the water's share):
// a loop built for SSE2 and AVX2 with each tissue's constants from a table by its index.
#include <cstddef>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"

namespace twinplan::ablation::detail {

struct ConductivityTable {
  // Per tissue index: sigma at body temperature (S/m), its linear coefficient (1/K), and sigma
  // at the start of vaporisation (the collapse's starting value, S/m).
  std::vector<double> sigma37_S_m, alpha_per_K, atStart_S_m;
  double start_degC = 0.0;         // RfSettings::vaporisationStart_degC
  double width_K = 0.0;            // vaporisationEnd_degC - vaporisationStart_degC
  double collapsedMinusOne = 0.0;  // vaporisedConductivityFactor - 1
  double lowestFactor = 0.0;       // the linear law's floor (rf_source.cpp)
};

// sigma_S_m[v] = float(collapsedConductivity(tissue[v], temperature_degC[v])) for v < count: the
// same operations in the same order, so the same bits.
void collapsedConductivities(const TissueIndex* tissue, const float* temperature_degC,
                             float* sigma_S_m, std::size_t count, const ConductivityTable& table);

}  // namespace twinplan::ablation::detail
