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
// D_f the harmonic mean of the two voxels' diffusivities. A tissue's diffusivity is given at body
// temperature and follows the temperature by the Stokes-Einstein relation, D proportional to
// T / eta(T) with eta the viscosity of water (waterDiffusivityFactor), about 2.9 times the body
// value at 100 degC; liquid water is taken at 100 degC at most. Water moved this way keeps its
// latent heat: rewetted tissue above boiling boils it off again in the solver's next enthalpy
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
                 std::span<const HeldTemperature> held, std::span<const float> temperature_degC,
                 double step_s, std::vector<float>& latentLeft_J_m3);

// Viscosity of liquid water (Pa s) at temperature_degC (0-100 degC): the Vogel form
// eta = A 10^(B / (T - C)), A = 2.414e-5 Pa s, B = 247.8 K, C = 140 K (the correlation as
// commonly quoted, e.g. Al-Shemmeri, Engineering Fluid Mechanics, 2012; checked against the
// International Critical Tables: 0.6925 mPa s at 37 degC, within 0.5 %).
double waterViscosity_Pa_s(double temperature_degC);
// D(T) / D(37 degC) by Stokes-Einstein: (T / T37) (eta(37) / eta(T)), T in kelvin, the
// temperature clamped to 0-100 degC (liquid water at 1 atm).
double waterDiffusivityFactor(double temperature_degC);

}  // namespace twinplan::ablation::detail
