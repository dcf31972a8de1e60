#pragma once
// Water vapour that moves out of boiling tissue and condenses in cooler tissue (private to the
// module; BioheatParameters::vapourCondensation).
//
// Without it the bioheat solver lets the vapour of boiling tissue leave the grid. With it the
// vapour a step boils off flows through the tissue's pores, down the pressure gradient (Darcy),
// through the two-phase region (tissue at the vaporisation temperature or above, where the
// pores hold vapour) to its edge, and condenses in the first tissue below the vaporisation
// temperature: there it gives back its latent heat (warming that tissue) and its water. This is
// the heat-pipe effect of heated wet porous media (Udell, Int J Heat Mass Transfer
// 1985;28:485-495, cited from memory: vapour flows from the hot side and condenses on the cold
// side), and the "evaporation, diffusion, condensation" Yang et al. (IEEE TBME 2007;54:150-155,
// abstract) read in the temperature plateaus of microwave-ablated liver.
//
// The rate is that of the boiling: vapour is taken to reach the region's edge within the step
// (quasi-steady Darcy flow, the vapour's own mass negligible: 0.6 kg/m3 against 777 kg/m3 of
// liquid in liver). With a uniform permeability inside the two-phase region the pressure obeys
//   div(grad p) = -(vapour produced),   p = 0 where the region meets condensing tissue,
//   no flow into blood, air (tissue without water) or out of the grid,
// and the vapour splits between the condensing faces as the flux of that pressure field: the
// split does not depend on the permeability's value, which no source reached gives for liver.
// The permeability sets only the overpressure the flow needs (VapourBook); a condensing voxel
// takes vapour until the latent heat brings it to the vaporisation temperature, then joins the
// region and the rest flows on (the front moves). Vapour reaching a held (cooled) probe voxel
// condenses on the metal: its latent heat goes to the coolant, its water wets the tissue
// touching the probe. Condensed water beyond a voxel's water at the start is pushed out of the
// pores (booked as expelled, not tracked).
#include <span>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/heat_source.h"

namespace twinplan::ablation::detail {

// One step of vapour transport. `boiledBefore_J_m3` is the latent store (ThermalState::
// latentHeatLeft_J_m3) at the step's start, `latentLeft_J_m3` the store after the solver's
// enthalpy correction (updated in place: condensed water comes back into it); the vapour is
// their difference. temperature_degC and maximum_degC are updated where vapour condenses.
// fullLatent_J_m3 and heatCapacity_J_m3K are per tissue (rho w L and rho c); `parameters`
// gives the vaporisation temperature and the latent heat. Adds to `book`.
void condenseVapour(const AblationGrid& grid, std::span<const double> fullLatent_J_m3,
                    std::span<const double> heatCapacity_J_m3K,
                    std::span<const HeldTemperature> held, const BioheatParameters& parameters,
                    double step_s, const std::vector<float>& latentBefore_J_m3,
                    std::vector<float>& latentLeft_J_m3, std::vector<float>& temperature_degC,
                    std::vector<float>& maximum_degC, VapourBook& book);

}  // namespace twinplan::ablation::detail
