#pragma once
// Water (and water / lung / water) phantoms, open jaw-defined beams and depth-dose / penumbra
// read-outs shared by the collapsed-cone tests (unit and slow): the geometry of the pencil
// beam's validation (SSD 100 cm, surface at y = 0).
#include <cmath>
#include <cstdint>

#include "twinplan/radiotherapy/collapsed_cone.h"

namespace twinplan::radiotherapy::water_phantom {

// Water for y in [0, 300] mm, x and z in [-150, 150] mm on `s` mm voxels (surface at y = 0,
// the isocentre: SSD 100 cm); a slab of `lungDensity` for y in (lungFrom, lungTo).
inline DensityGrid waterPhantom(double s = 2.5, double lungFrom_mm = 0, double lungTo_mm = 0,
                                float lungDensity = 1.0f) {
  DensityGrid grid;
  const auto n = static_cast<std::int64_t>(std::lround(300.0 / s));
  grid.geometry.size = {n, n, n};
  grid.geometry.spacing_mm = Vec3(s, s, s);
  grid.geometry.origin_lps = Vec3(-150 + s / 2, s / 2, -150 + s / 2);
  grid.relativeElectronDensity.assign(grid.geometry.voxelCount(), 1.0f);
  for (std::int64_t k = 0; k < n; ++k)
    for (std::int64_t j = 0; j < n; ++j) {
      const double y = s / 2 + s * static_cast<double>(j);
      if (y > lungFrom_mm && y < lungTo_mm)
        for (std::int64_t i = 0; i < n; ++i)
          grid.relativeElectronDensity[grid.geometry.linearIndex(i, j, k)] = lungDensity;
    }
  return grid;
}

inline io::Beam jawBeam(double x1, double x2, double y1, double y2, double energy_MV = 6.0,
                        double gantry_deg = 0.0, double mu = 100.0) {
  io::Beam beam;
  beam.number = 1;
  beam.name = "open";
  beam.radiationType = "PHOTON";
  beam.meterset = mu;
  beam.sourceAxisDistance_mm = 1000.0;
  beam.devices = {{"ASYMX", 1, {}}, {"ASYMY", 1, {}}};
  for (int i = 0; i < 2; ++i) {
    io::ControlPoint cp;
    cp.index = i;
    cp.cumulativeMetersetWeight = i;
    cp.nominalEnergy = energy_MV;
    cp.gantryAngle_deg = gantry_deg;
    cp.isocentre_lps = Vec3::Zero();
    cp.devices = {{"ASYMX", {x1, x2}}, {"ASYMY", {y1, y2}}};
    beam.controlPoints.push_back(cp);
  }
  return beam;
}

// The collapsed cone of the beam's own energy (6 or 10 MV).
inline CollapsedConeCalculator collapsedCone(const DensityGrid& phantom, const io::Beam& beam) {
  const double energy_MV = beam.controlPoints.front().nominalEnergy.value_or(6.0);
  return CollapsedConeCalculator(phantom, beam, PatientPosition::HFS,
                                 collapsedConeBeamModel(energy_MV), {});
}

template <class Calculator>
double axisDose(const Calculator& c, double depth_mm) {
  return c.dose_Gy(Vec3(0, depth_mm, 0));
}

template <class Calculator>
double dmax_mm(const Calculator& c, double* doseMax = nullptr) {
  double best = 0, at = 0;
  for (double d = 0.5; d < 60.0; d += 0.25)
    if (const double v = axisDose(c, d); v > best) best = v, at = d;
  if (doseMax) *doseMax = best;
  return at;
}

// 80-20 % width (mm) of the +x edge of a field of half-width `half_mm` (iso plane) at depth d.
template <class Calculator>
double penumbra80to20(const Calculator& c, double half_mm, double d) {
  const double scale = (1000.0 + d) / 1000.0;
  const double centre = c.dose_Gy(Vec3(0, d, 0));
  double x80 = 0, x20 = 0, previous = 1.0, previousX = 0;
  for (double x = 0; x < 2 * half_mm * scale + 30; x += 0.05) {
    const double r = c.dose_Gy(Vec3(x, d, 0)) / centre;
    if (previous >= 0.8 && r < 0.8) x80 = previousX + (previous - 0.8) / (previous - r) * 0.05;
    if (previous >= 0.2 && r < 0.2) x20 = previousX + (previous - 0.2) / (previous - r) * 0.05;
    previous = r, previousX = x;
  }
  return x20 - x80;
}

}  // namespace twinplan::radiotherapy::water_phantom
