#pragma once
// The drying-energy cap shared by the RF and microwave sources (private to the module).
//
// A source's power is explicit over a time step while the tissue next to the probe dries out
// within it: tissue whose water has boiled off stops conducting (RF: sigma collapses by
// vaporisationEnd_degC, Trujillo & Berjano 2013) or absorbs a fraction of what it did
// (microwave: eps_r and sigma fall to about a sixth, Lopresto et al. 2012). So no voxel may take
// more energy in a step than brings it to vaporisationEnd_degC with its remaining latent heat;
// dry tissue above vaporisationEnd_degC takes none. Without it the SAR at a probe's edge (1e9 to
// 1e10 W/m3 on 1 mm voxels) heats dry tissue to several hundred degC within one 5 s step.
#include <span>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"

namespace twinplan::ablation::detail {

// Caps power_W_m3 in place and returns the power removed (W). latentHeatLeft_J_m3 is the bioheat
// solver's latent store per voxel (ThermalState); an empty span means the solver models no
// vaporisation and nothing is capped.
double limitToDryingEnergy(const AblationGrid& grid, std::span<const float> temperature_degC,
                           std::span<const float> latentHeatLeft_J_m3, double vaporisationEnd_degC,
                           double step_s, std::vector<float>& power_W_m3);

}  // namespace twinplan::ablation::detail
