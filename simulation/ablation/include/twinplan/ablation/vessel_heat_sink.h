#pragma once
// The heat sink of large vessels (issue #17 item 2). A voxel with grid.bloodSpeed_m_s > 0 holds
// flowing blood at the arterial temperature; heat leaves the tissue next to it through the
// vessel wall with a convective coefficient h = Nu k_blood / D (W/(m2 K)).
//
// Nu is the mean Nusselt number of laminar, hydrodynamically developed, thermally developing
// tube flow at constant wall temperature (VDI Heat Atlas, 2nd ed. 2010, chapter G1, eqs. 4-5,
// after Gnielinski): Nu = (3.66^3 + 0.7^3 + (1.615 (Re Pr D / L)^(1/3) - 0.7)^3)^(1/3), where L
// is the heated length of wall. The first term is the fully developed value (Graetz), the second
// the Leveque solution of the thermal entry length, which makes h grow with flow as u^(1/3),
// the dependence Consiglieri et al. (Phys Med Biol 2003, 48:4125) derived for vessels next to
// an ablation. Blood flow in hepatic vessels is laminar (Re < 2300 for D < 10 mm at < 0.5 m/s).
//
// A vessel's diameter D is estimated per connected vessel (6-connected blood voxels) as that of
// the cylinder with the vessel's volume and its length along its principal axis; a branching
// tree is treated as one tube (stated limit).
#include <cstddef>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"

namespace twinplan::ablation {

struct BioheatParameters;

// VDI Heat Atlas G1 mean Nusselt number for laminar tube flow, constant wall temperature.
double laminarMeanNusselt(double reynolds, double prandtl, double diameter_m,
                          double heatedLength_m);

struct VesselFlow {
  std::size_t voxelCount = 0;
  double diameter_mm = 0.0;
  double length_mm = 0.0;
  double meanSpeed_m_s = 0.0;
  double reynolds = 0.0;
  double nusselt = 0.0;
  double wallCoefficient_W_m2K = 0.0;  // h
};

// The grid's vessels (empty when it has none), in the order of their first voxel.
std::vector<VesselFlow> describeVessels(const AblationGrid& grid, const BioheatParameters& p);

// h (W/(m2 K)) per voxel: the coefficient of its vessel for a flowing-blood voxel, 0 elsewhere.
// Empty when the grid has no vessels.
std::vector<float> vesselWallCoefficients(const AblationGrid& grid, const BioheatParameters& p);

}  // namespace twinplan::ablation
