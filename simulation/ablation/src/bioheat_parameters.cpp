// BioheatParameters::validate: every value checked before any work (DESIGN.md section 10).
#include <cmath>
#include <string>

#include "twinplan/ablation/bioheat.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

void requirePositive(double value, const char* name, const char* what) {
  if (!(std::isfinite(value) && value > 0.0))
    throw Error(ErrorKind::InvalidInput,
                std::string("The ") + what + " must be a positive number (got " +
                    std::to_string(value) + ").",
                name);
}

void requireGridConsistent(const AblationGrid& grid) {
  const ImageGeometry& g = grid.geometry;
  for (int axis = 0; axis < 3; ++axis)
    if (g.size[axis] < 3)
      throw Error(ErrorKind::InvalidInput,
                  "The ablation grid needs at least 3 voxels on each axis; enlarge the box.",
                  "grid.size");
  const Vec3& s = g.spacing_mm;
  if (!(s.x() > 0.0) || std::abs(s.y() - s.x()) > 1e-6 * s.x() ||
      std::abs(s.z() - s.x()) > 1e-6 * s.x())
    throw Error(ErrorKind::InvalidInput,
                "The ablation grid's voxels must be isotropic cubes; resample it to one spacing.",
                "grid.spacing_mm");
  if (grid.tissue.size() != g.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                "The ablation grid has " + std::to_string(grid.tissue.size()) +
                    " tissue labels for " + std::to_string(g.voxelCount()) + " voxels.",
                "grid.tissue");
  for (TissueIndex t : grid.tissue)
    if (t >= grid.tissues.size())
      throw Error(ErrorKind::InvalidInput,
                  "A voxel names tissue " + std::to_string(int(t)) + " but the grid lists only " +
                      std::to_string(grid.tissues.size()) + " tissues.",
                  "grid.tissue");
  if (!grid.bloodSpeed_m_s.empty() && grid.bloodSpeed_m_s.size() != g.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                "The grid's blood speeds do not match its voxel count; give one per voxel.",
                "grid.bloodSpeed_m_s");
  for (float speed : grid.bloodSpeed_m_s)
    if (!(std::isfinite(speed) && speed >= 0.0f))
      throw Error(ErrorKind::InvalidInput, "A vessel's blood speed is negative or not a number.",
                  "grid.bloodSpeed_m_s");
}

void requireTissuesUsable(const AblationGrid& grid) {
  for (const TissueProperties& t : grid.tissues) {
    const std::string context = "tissue '" + t.id + "'";
    if (!(t.density_kg_m3 > 0.0 && t.heatCapacity_J_kgK > 0.0 && t.thermalConductivity_W_mK > 0.0 &&
          t.perfusion_per_s >= 0.0 && t.arrheniusFrequencyFactor_per_s > 0.0 &&
          t.arrheniusActivationEnergy_J_mol > 0.0 && t.waterContent_kg_kg >= 0.0 &&
          t.waterContent_kg_kg <= 1.0))
      throw Error(
          ErrorKind::InvalidInput,
          "Tissue '" + t.id +
              "' needs a positive density, heat capacity, thermal conductivity and "
              "Arrhenius A and Ea, a non-negative perfusion and a water content between 0 and "
              "1 kg/kg.",
          context);
  }
}

}  // namespace

void BioheatParameters::validate() const {
  requirePositive(duration_s, "duration_s", "treatment duration (s)");
  requirePositive(timeStep_s, "timeStep_s", "time step (s)");
  requirePositive(maximumTimeStep_s, "maximumTimeStep_s", "longest adaptive time step (s)");
  if (!(arterialTemperature_degC >= 20.0 && arterialTemperature_degC <= 45.0))
    throw Error(ErrorKind::InvalidInput,
                "The arterial temperature must lie between 20 and 45 degC (got " +
                    std::to_string(arterialTemperature_degC) + ").",
                "arterialTemperature_degC");
  requirePositive(bloodDensity_kg_m3, "bloodDensity_kg_m3", "blood density (kg/m3)");
  requirePositive(bloodHeatCapacity_J_kgK, "bloodHeatCapacity_J_kgK",
                  "blood heat capacity (J/(kg K))");
  requirePositive(bloodThermalConductivity_W_mK, "bloodThermalConductivity_W_mK",
                  "blood thermal conductivity (W/(m K))");
  requirePositive(bloodViscosity_Pa_s, "bloodViscosity_Pa_s", "blood viscosity (Pa s)");
  requirePositive(vesselHeatedLength_mm, "vesselHeatedLength_mm", "heated vessel length (mm)");
  if (picardPasses < 1 || picardPasses > 5)
    throw Error(ErrorKind::InvalidInput, "Picard passes per step must be 1 to 5.", "picardPasses");
  requirePositive(vaporisationTemperature_degC, "vaporisationTemperature_degC",
                  "vaporisation temperature (degC)");
  requirePositive(latentHeatOfWater_J_kg, "latentHeatOfWater_J_kg", "latent heat of water (J/kg)");
  if (vapourCondensation && !waterVaporisation)
    throw Error(ErrorKind::InvalidInput,
                "Vapour condensation needs water vaporisation; turn waterVaporisation on.",
                "vapourCondensation");
  double previous_s = 0.0;
  for (double t : zoneSnapshotTimes_s) {
    if (!(t > previous_s && t < duration_s))
      throw Error(ErrorKind::InvalidInput,
                  "Zone snapshot times must rise and lie inside (0, duration_s) (got " +
                      std::to_string(t) + " s after " + std::to_string(previous_s) + " s).",
                  "zoneSnapshotTimes_s");
    previous_s = t;
  }
  requirePositive(damageThreshold, "damageThreshold", "damage threshold (Omega)");
  requirePositive(maximumTemperatureThreshold_degC, "maximumTemperatureThreshold_degC",
                  "temperature threshold (degC)");
  requirePositive(cem43Threshold_min, "cem43Threshold_min", "CEM43 threshold (min)");
  requirePositive(solverTolerance_K, "solverTolerance_K", "solver tolerance (K)");
  requirePositive(boxFaceFlowTolerance, "boxFaceFlowTolerance",
                  "tolerance of the heat leaving the active box (fraction of the step's power)");
  if (farFieldCoarsening < 2 || farFieldCoarsening > 8)
    throw Error(ErrorKind::InvalidInput,
                "The far field's coarse cells must span 2 to 8 voxels a side (got " +
                    std::to_string(farFieldCoarsening) + ").",
                "farFieldCoarsening");
  requirePositive(farFieldTolerance_K, "farFieldTolerance_K",
                  "far-field tolerance (K) of the coarse grid's representation error");
  requirePositive(farFieldDoseDrift_K, "farFieldDoseDrift_K",
                  "far-field dose drift (K) between updates of the exterior's damage");
  if (!(farFieldStaleness_K >= 0.0) || !std::isfinite(farFieldStaleness_K))
    throw Error(ErrorKind::InvalidInput,
                "The far field's staleness must be a finite temperature of 0 K or more (got " +
                    std::to_string(farFieldStaleness_K) + " K); 0 writes the exterior every step.",
                "farFieldStaleness_K");
  if (maxSolverIterations < 1)
    throw Error(ErrorKind::InvalidInput, "The solver needs at least one iteration.",
                "maxSolverIterations");
}

void BioheatParameters::validate(const AblationGrid& grid) const {
  validate();
  requireGridConsistent(grid);
  requireTissuesUsable(grid);
  for (const Vec3& p_lps : recordedPoints_lps)
    if (!grid.geometry.contains(grid.geometry.lpsToIndex(p_lps)))
      throw Error(ErrorKind::InvalidInput,
                  "A point to record (" + std::to_string(p_lps.x()) + ", " +
                      std::to_string(p_lps.y()) + ", " + std::to_string(p_lps.z()) +
                      " mm LPS) lies outside the simulation box; move it inside.",
                  "recordedPoints_lps");
}

}  // namespace twinplan::ablation
