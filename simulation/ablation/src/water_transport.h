#pragma once
// Rehydration of dried tissue by the diffusion of its liquid water (private to the module;
// BioheatParameters::waterRehydration).
//
// The bioheat solver's latent store (ThermalState::latentHeatLeft_J_m3) is the water a voxel
// still holds, counted as the latent heat it would take to boil it: rho w L per volume when
// full. Tissue that boiled dry next to an electrode takes water back from its wet neighbours
// by Fick's law, with the flux between two voxels driven by the difference of their saturation
// (water left / water at the start) rather than of their water per volume, so tissues of
// different water content stay at their own content when none has boiled:
//   dW_v/dt = sum over faces  D_f / h^2  min(W0_v, W0_q)  (s_q - s_v),   s = W / W0,
// D_f the harmonic mean of the two tissues' diffusivities. Water moved this way keeps its latent
// heat: rewetted tissue above boiling boils it off again in the solver's next enthalpy
// correction. Voxels the device holds (its metal and cooled shaft) and voxels without water
// (blood, air) neither give nor take water.
#include <span>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/heat_source.h"

namespace twinplan::ablation::detail {

// Moves water for step_s (explicit, in as many sub-steps as keep every voxel's update a convex
// combination of its neighbours', so no saturation leaves [0, 1] and the total is conserved).
// fullLatent_J_m3 per tissue index (rho w L); latentLeft_J_m3 per voxel, updated in place.
// Only the box around voxels below full saturation is visited. Returns the water moved (J/m3
// of latent heat, summed over voxels that gained), for tests and logs.
double rehydrate(const AblationGrid& grid, std::span<const double> fullLatent_J_m3,
                 std::span<const HeldTemperature> held, double step_s,
                 std::vector<float>& latentLeft_J_m3);

}  // namespace twinplan::ablation::detail
