#pragma once
// The time stepper of thermal ablation (issue #17 item 2): Pennes bioheat
//   rho c dT/dt = div(k(T) grad T) + w(T, Omega) rho_b c_b (T_a - T) + Q_source
// on an AblationGrid by finite volumes (7-point stencil, harmonic-mean face conductivities),
// backward Euler in time (unconditionally stable, so 5 s steps are fine), temperature-dependent
// conductivity and perfusion lagged per step, the device's held (cooled) voxels and flowing
// blood in large vessels as Dirichlet voxels, and damage by Arrhenius and CEM43.
#include <array>
#include <cstdint>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/ablation/thermal_damage.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::ablation {

// Which voxels make the ablation zone.
enum class AblationCriterion {
  ArrheniusDamage,     // Omega >= damageThreshold (1: 63 % of cells dead; Chang & Nguyen 2004)
  MaximumTemperature,  // T_max >= maximumTemperatureThreshold_degC (50 or 60 degC isotherms)
  Cem43,               // CEM43 >= cem43Threshold_min (240 min; Sapareto & Dewey 1984)
};

struct BioheatParameters {
  // Treatment time and implicit step (backward Euler is stable at any step; 5 s keeps the time
  // discretisation error of a 10-minute RF ablation's zone under a voxel).
  double duration_s = 600.0;
  double timeStep_s = 5.0;

  // Adaptive time steps (on by default; false runs every step at timeStep_s, the fixed-step
  // path). timeStep_s stays the step wherever the source's power may change: RF power follows
  // the tissue's impedance and temperature, and roll-off and controller events are found at step
  // starts, so those steps keep the base step that resolves them. Where the source promises its
  // power unchanged until a known time (HeatSource::powerUnchangedUntil_s: the pause after an
  // impedance roll-off, during which no power flows), the first step under the promise is a
  // base step (the fastest change follows the power's own: the hot spot at the electrode
  // cools within seconds) and the next one runs to the promised time, never past it, up to
  // maximumTimeStep_s: steps land on the event, so its timing is that of the fixed-step path.
  // Backward Euler is L-stable and the unforced cooling after the first seconds is smooth, so
  // the long step's time error stays small: on the 10-minute cooled RF run the zone, axes,
  // energy and roll-offs are those of the fixed-step path (docs/validation.md, "Thermal
  // ablation: adaptive time steps"). One long step for the whole pause moved the zone's long
  // axis by a voxel there, which is why the first step stays short.
  bool adaptiveTimeSteps = true;
  // The longest step (s). 15 s: one impedance roll-off pause of the Cool-tip generator
  // (RfSettings::rollOffPause_s), the longest promise the validation covers.
  double maximumTimeStep_s = 15.0;

  // Arterial blood and body temperature: the initial temperature, the temperature of the box
  // faces (held there, far from the probe) and of the blood in the Pennes and vessel terms.
  double arterialTemperature_degC = kBodyTemperature_degC;

  // Blood, IT'IS Foundation tissue properties database v4.1 (2022), "Blood": density
  // 1050 kg/m3, heat capacity 3617 J/(kg K), thermal conductivity 0.52 W/(m K); dynamic
  // viscosity 3.5e-3 Pa s (IT'IS "Blood" viscosity, high shear rate).
  double bloodDensity_kg_m3 = 1050.0;
  double bloodHeatCapacity_J_kgK = 3617.0;
  double bloodThermalConductivity_W_mK = 0.52;
  double bloodViscosity_Pa_s = 3.5e-3;
  // The length of vessel wall the ablation heats, for the mean Nusselt number of thermally
  // developing laminar flow (VDI Heat Atlas 2010, chapter G1: the Leveque term over length L).
  // 30 mm: the order of an RF/microwave zone's diameter.
  double vesselHeatedLength_mm = 30.0;

  PerfusionShutdown perfusionShutdown = PerfusionShutdown::AtOmegaOne;

  // Water vaporisation (issue #17): tissue that reaches vaporisationTemperature_degC absorbs
  // the latent heat of its water, rho * waterContent * L per volume, before its temperature
  // rises further, so it stays at 100 degC until that water has boiled off (the enthalpy
  // formulation of Abraham & Sparrow, Int J Heat Mass Transfer 2007;50:2537-2544). Solved by
  // the source-based enthalpy correction after each backward-Euler step (Voller & Swaminathan,
  // Numer Heat Transfer B 1991;19:175-189): the step's energy above the vaporisation
  // temperature goes into latent heat first. The correction only removes sensible heat, so it
  // is stable at any step. The vapour leaves the tissue: no condensation on cooling.
  bool waterVaporisation = true;
  // 100 degC: boiling point of water at 1 atm (IAPWS-IF97).
  double vaporisationTemperature_degC = 100.0;
  // Latent heat of vaporisation of water at 100 degC, 2.257e6 J/kg (IAPWS-IF97 steam tables;
  // the value Abraham & Sparrow 2007 use).
  double latentHeatOfWater_J_kg = 2.257e6;
  // Rehydration (with waterVaporisation): after each step, liquid water diffuses from wet
  // tissue into tissue that boiled dry, by Fick's law with each tissue's water diffusivity
  // (TissueProperties::waterDiffusivity_m2_s; src/water_transport.h), and takes its latent heat
  // with it. Off: water that boiled off never comes back. The diffusivity is the apparent
  // diffusion coefficient of diffusion-weighted MRI (liver 1.28e-9 m2/s at 37 degC, 2.98 times
  // that at 100 degC by Stokes-Einstein), so within a 15 s generator pause water comes back
  // about sqrt(D t) = 0.24 mm: the mechanism Zhu et al. (BioMed Eng OnLine 2013;12:127,
  // abstract) found too slow to help during a pause (docs/validation.md, "Thermal ablation:
  // rehydration of dried tissue").
  bool waterRehydration = false;
  // Vapour condensation (with waterVaporisation; off by default): the vapour a step boils off
  // flows through the tissue's pores to the edge of the boiling region and condenses in the
  // first tissue below vaporisationTemperature_degC, giving its latent heat and its water back
  // there instead of leaving the tissue (a heat pipe: Udell, Int J Heat Mass Transfer
  // 1985;28:485-495, cited from memory). The split between the condensing faces follows
  // quasi-steady Darcy flow at a uniform permeability, so no permeability value enters; vapour
  // reaching the cooled probe gives its heat to the coolant and its water to the tissue touching
  // the probe (src/vapour_transport.h; docs/validation.md, "Thermal ablation: vapour
  // condensation").
  bool vapourCondensation = false;

  // Picard passes per step for the temperature-dependent conductivity and perfusion: 1 lags
  // them at the step's start temperature; 2 re-evaluates them at the first pass's result.
  int picardPasses = 1;

  // Points (LPS mm) whose temperature is recorded after every step. Each must lie in the grid.
  std::vector<Vec3> recordedPoints_lps;

  // Times (s; ascending, each in (0, duration_s)) at which the zone by zoneCriterion is kept
  // (AblationResult::zoneSnapshots); steps end on them as on duration_s. The run stops at
  // duration_s with no cool-down, so the zone kept at t is the zone at the end of t seconds of
  // heating, as a run of duration t reports it: the zone surrogate's calibration takes the zones
  // of every planner time from one run (zone_surrogate.h calibrateSurrogateTimes).
  std::vector<double> zoneSnapshotTimes_s;

  AblationCriterion zoneCriterion = AblationCriterion::ArrheniusDamage;
  double damageThreshold = 1.0;
  double maximumTemperatureThreshold_degC = 60.0;
  double cem43Threshold_min = 240.0;

  // The linear solver: preconditioned conjugate gradients stop when no voxel's Jacobi
  // correction exceeds this (K), or after maxSolverIterations (then Error(Internal)). Voxels
  // within ten times this of arterial temperature are at rest (the active box leaves them out).
  // 1e-3 K: on the benchmark's 10-minute ablation the final temperature differs from a 1e-5 K
  // solve by at most 0.03 K and the zone by no voxel, with 52 % fewer iterations
  // (docs/validation.md, "Thermal ablation: bioheat and damage").
  double solverTolerance_K = 1e-3;
  int maxSolverIterations = 2000;
  // The box's solve through its red-black reduction (same system, same stopping rule, about half
  // the iterations; src/stencil_solver.h solveRedBlack); false: conjugate gradients on every
  // voxel. The far field's coarse grid always takes the latter.
  bool redBlackSolver = true;

  // Approximation (on by default, used when farField is off; false solves the whole grid every
  // step, the exact path): each step is solved on the active box only, the bounding box of the
  // voxels that are heated or deviate from arterial temperature by more than ten solver tolerances,
  // grown by three diffusion lengths of the step plus two voxels, its faces held at arterial
  // temperature.
  bool activeBox = true;
  // Approximation (on by default; false solves every voxel the source heats at all): the
  // active box leaves out voxels whose deposited power warms them by less than the warm
  // threshold (ten solver tolerances, 0.01 K) in one step, q dt / (rho c) below it. The power
  // so left out is booked in AblationResult::neglectedSourceEnergy_J. It only shrinks the box
  // for sources whose power falls off fast (a microwave antenna, a fixed source): on the
  // 10-minute cooled RF run the SAR 5 voxels from the grounded grid faces still exceeds the
  // 7 200 W/m3 this threshold means at 5 s steps, so the box is the whole grid from the first
  // step (docs/validation.md, "Thermal ablation: active box and nested potential").
  bool skipNegligibleHeating = true;
  // The box's faces hold arterial temperature. After each solve the heat flowing out through
  // faces inside the grid is measured; when it exceeds this fraction of the power the step
  // deposits (or, without power, of the heat stored above arterial in the box per step), the
  // box grows by two voxels a side and the step is solved again, so the heat the box loses to
  // its faces stays below this fraction per step (AblationResult::boxFaceEnergy_J books it).
  double boxFaceFlowTolerance = 1e-3;

  // Approximation (on by default; false keeps the active box above): a two-level grid
  // (src/far_field.h). The 1 mm grid is solved only on a fine box around the probe; the whole
  // grid is stepped on a coarse grid of farFieldCoarsening^3 voxels per cell (the same
  // backward-Euler Pennes step from the voxels' summed heat capacity, perfusion and power and
  // the cells' face conductances), whose cells inside the fine box hold the fine solution's
  // heat-content averages. The fine box's faces take the coarse solution (trilinear) as
  // Dirichlet values, and the heat the fine solve sends through them is given to the coarse
  // cells beyond (refluxing: the coarse flux across those faces is replaced by the fine one),
  // so no heat is lost or made at the interface. The fine box holds every voxel where the
  // coarse grid misrepresents the temperature, or one step's heating, by more than
  // farFieldTolerance_K (the voxel's value against the trilinear interpolant of the cell
  // averages), every far-field cell where the heat that interpolant missed, summed over the
  // steps, passes it (a slow source misses little per step but the misplaced heat adds up),
  // every held voxel, and a margin of three diffusion lengths of the step plus one coarse cell;
  // it only grows, so the fine box follows the heated front outwards. 0.5 K: on the 10-minute
  // cooled RF benchmark 0.05, 0.2 and 0.5 K give the zone, T max, energy and roll-offs of the
  // 1 mm grid alone. The coarse cells do not model a vessel wall, so the fine box also holds
  // every voxel of flowing blood (with the margin: the tissue at its wall too).
  // docs/validation.md, "Thermal ablation: a coarse far field", "box-started full potential
  // solves" and "RF speed: far field by default (session 13)", gives its errors and checks.
  bool farField = true;
  int farFieldCoarsening = 2;
  double farFieldTolerance_K = 0.5;
  // Approximation (on by default, with farField; false advances every voxel's maximum, damage
  // and CEM43 every step, the exact path): the voxels beyond the far field's near region (the
  // fine box and three cells around it) keep their temperature up to date (the source reads
  // it; within farFieldStaleness_K, below), but their Arrhenius damage and CEM43 are added up
  // per plane of cells in dose windows, at the window's mean temperature (the time integral of
  // the steps' midpoints): a window closes before a step that would move some voxel of the
  // plane by more than farFieldDoseDrift_K from its start, when the near region grows over
  // them, at a zone snapshot and at the end. The exterior stays far below ablative temperatures
  // (the box criterion), where the rates are nearly linear over such a drift: docs/validation.md,
  // "Thermal ablation: the far field's dose in windows (branch ablpass)", gives the measured error.
  // Not used with PerfusionShutdown::Exponential, whose perfusion reads every voxel's damage every
  // step.
  bool farFieldDeferredDose = true;
  double farFieldDoseDrift_K = 0.2;
  // Approximation (with farFieldDeferredDose; 0 writes them every step): the voxels beyond the
  // near region keep the temperature last written into them until the coarse cells they are
  // interpolated from have moved them by more than this bound (K, from the cells' changes since
  // that write: FarField::planeStaleness_K), and every plane is written at a zone snapshot, at
  // the end, and whenever the fine box changes. Their dose windows take the held time at the
  // mean of the two written temperatures, and a window's drift counts the bound. Everything
  // that reads the exterior between writes (the RF source's sigma(T), a recorded point there)
  // sees it within this bound of the step-by-step value; docs/validation.md, "Thermal ablation:
  // the far field's exterior written when it moves (branch ablext)".
  double farFieldStaleness_K = 0.05;

  // Throws Error(InvalidInput, sentence, parameter name) for a value the solver cannot use.
  void validate() const;
  // The same plus the points' positions on this grid and the grid's own consistency.
  void validate(const AblationGrid& grid) const;
};

// What the vapour transport did over a run (BioheatParameters::vapourCondensation), each as
// latent heat in J (mass of water x L). boiled = condensedInTissue + condensedOnProbe + escaped;
// the water that went back into tissue stores is the condensed total less expelledWater.
struct VapourBook {
  double boiled_J = 0.0;             // all water boiled off
  double condensedInTissue_J = 0.0;  // condensed in tissue below boiling: heat given back there
  double condensedOnProbe_J = 0.0;   // condensed on the cooled probe: heat to the coolant
  double expelledWater_J = 0.0;      // condensed beyond a voxel's water at the start: pushed out
  double escaped_J = 0.0;            // vapour with no condensing tissue in reach
  // The largest overpressure the Darcy flow needs, times the tissue's permeability (Pa m2):
  // divide by a permeability (m2) for pascal. Steam at 100 degC, 1 atm.
  double peakOverpressureTimesPermeability_Pa_m2 = 0.0;
  int frontLayers = 0;  // most layers of condensing tissue the vapour crossed in one step
};

// A recorded point's temperature after every step (AblationResult::time_s).
struct TemperatureHistory {
  Vec3 p_lps = Vec3::Zero();
  std::vector<float> temperature_degC;
};

// Long and short axes of an ablation zone.
struct ZoneAxes {
  double long_mm = 0.0;              // extent along the long axis
  std::array<double, 2> short_mm{};  // extents along the two axes across it, larger first
  Vec3 longAxis = Vec3::UnitZ();     // unit vector (LPS)
  Vec3 centre_lps = Vec3::Zero();    // the zone's centroid
};

// The zone at a time of BioheatParameters::zoneSnapshotTimes_s.
struct ZoneSnapshot {
  double time_s = 0.0;
  double deliveredEnergy_J = 0.0;  // up to time_s
  std::vector<std::uint8_t> zone;  // as AblationResult::ablationZone
};

struct AblationResult {
  ScalarField finalTemperature;    // degC at duration_s
  ScalarField maximumTemperature;  // degC, over the treatment
  ScalarField damage;              // Arrhenius Omega, dimensionless
  ScalarField cem43;               // cumulative equivalent minutes at 43 degC
  ScalarField vaporisedWater;      // fraction (0-1) of each voxel's water boiled off

  // The end of every step (s) and the recorded points' temperatures then.
  std::vector<double> time_s;
  std::vector<TemperatureHistory> recorded;
  // The source's electrical power for each step (HeatSource::deliveredPower_W) and its sum
  // over the steps times the step (J).
  std::vector<double> deliveredPower_W;
  double deliveredEnergy_J = 0.0;

  // The ablation zone (1 inside, 0 outside; one per voxel, i fastest) by the chosen criterion.
  std::vector<std::uint8_t> ablationZone;
  double zoneVolume_ml = 0.0;
  ZoneAxes zoneAxes;

  VapourBook vapour;                        // BioheatParameters::vapourCondensation
  std::vector<ZoneSnapshot> zoneSnapshots;  // BioheatParameters::zoneSnapshotTimes_s

  // Solver statistics, for benchmarks and the treatment log.
  int steps = 0;
  long long solverIterations = 0;
  // Error bounds of the active box (BioheatParameters::skipNegligibleHeating,
  // boxFaceFlowTolerance): the source energy deposited outside the box (J), the heat that left
  // through the box's faces inside the grid (J), the box regrowths and the largest box (voxels).
  double neglectedSourceEnergy_J = 0.0;
  double boxFaceEnergy_J = 0.0;
  int boxRegrowths = 0;
  std::size_t largestBoxVoxels = 0;
};

// Runs the treatment: duration_s in steps of timeStep_s (the last step shortened to end on
// duration_s). Reports progress per step and throws Cancelled when asked.
AblationResult simulateAblation(const AblationGrid& grid, HeatSource& source,
                                const BioheatParameters& parameters,
                                Progress& progress = noProgress());

// The zone by `criterion` from the result's fields (so a caller can re-threshold a result).
std::vector<std::uint8_t> ablationZone(const AblationResult& result,
                                       const BioheatParameters& parameters);
// The same from the three fields' values (one per voxel), e.g. while the run goes on.
std::vector<std::uint8_t> ablationZone(const std::vector<float>& damage,
                                       const std::vector<float>& maximumTemperature_degC,
                                       const std::vector<float>& cem43_min,
                                       const BioheatParameters& parameters);
// Volume (ml) of the zone's voxels.
double zoneVolume_ml(const std::vector<std::uint8_t>& zone, const ImageGeometry& geometry);
// Long and short axes: extents of the zone's voxels (plus one voxel) along the principal axes
// of their positions; when probeAxis is given (non-zero), the long axis is the probe's and the
// short axes the principal axes of the zone across it.
ZoneAxes measureZoneAxes(const std::vector<std::uint8_t>& zone, const ImageGeometry& geometry,
                         const Vec3& probeAxis = Vec3::Zero());

}  // namespace twinplan::ablation
