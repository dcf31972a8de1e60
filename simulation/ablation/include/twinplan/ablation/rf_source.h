#pragma once
// The RF electrode as a heat source (issue #17 item 2). Between the electrode's active part and
// a dispersive ground the tissue obeys the quasi-static potential equation
//   div(sigma(T) grad V) = 0,
// valid at 460-500 kHz where the wavelength (hundreds of metres) dwarfs the body and
// displacement currents are small next to conduction currents in tissue (Berjano, BioMed Eng
// Online 2006;5:24). It is discretised by finite volumes on the ablation grid: one unknown per
// voxel, the conductance of a face the harmonic mean of its two voxels' sigma (series
// resistors), solved by conjugate gradients preconditioned by a geometric multigrid W-cycle
// (src/conduction_multigrid.h) on core/parallel.h, warm started from the previous solve.
// Joule heating SAR = sigma |grad V|^2 is each face's power sigma_f h (dV)^2 shared between its
// voxels.
//
// Approximation: the dispersive pads are modelled by holding the grid's six box faces at 0 V;
// a real pad lies tens of centimetres away, so our impedance is lower than a generator reads
// (the tissue near the electrode, where the heating happens, dominates both: the resistance of
// a spherical electrode of radius a to a ground at R is 1/(4 pi sigma) (1/a - 1/R)).
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/ablation/probe_geometry.h"
#include "twinplan/core/parallel.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation {

// What a voxel is to the potential equation.
enum class NodeRole : std::uint8_t { Tissue, Electrode, Ground };

struct PotentialSolverOptions {
  double relativeTolerance = 1e-6;  // |r| <= tol |b|
  int maxIterations = 5000;
};

struct PotentialSolution {
  std::vector<double> potential_V;  // per voxel
  double power_W = 0.0;             // sum of the faces' Joule power
  std::vector<float> heating_W_m3;  // per voxel: jouleHeating() of this potential
  double current_A = 0.0;           // through the electrode's faces
  int iterations = 0;
  double relativeResidual = 0.0;
};

// Solves div(sigma grad V) = 0 with Electrode voxels at electrode_V and Ground voxels at 0;
// faces to the outside of the grid carry no current. `warmStart` (per voxel, may be empty) is
// the first guess for Tissue voxels. Throws Error(Internal) when CG does not converge.
PotentialSolution solvePotential(const ImageGeometry& geometry, std::span<const float> sigma_S_m,
                                 std::span<const NodeRole> roles, double electrode_V,
                                 std::span<const double> warmStart,
                                 const PotentialSolverOptions& options,
                                 Progress& progress = noProgress());

// Joule heating per voxel (W/m3) of a solved potential: each face's power shared half and half
// between two Tissue voxels, all of it to the Tissue voxel when the other is an electrode or
// ground. Sums (times the voxel volume) to the solution's power_W.
std::vector<float> jouleHeating(const ImageGeometry& geometry, std::span<const float> sigma_S_m,
                                std::span<const NodeRole> roles,
                                std::span<const double> potential_V);

struct RfSettings {
  PowerControl control = PowerControl::ConstantPower;
  double power_W = 50.0;      // constant power; the "on" power of impedance control
  double maxPower_W = 200.0;  // the ceiling of temperature control
  double targetTemperature_degC = 90.0;

  // Impedance roll-off (Cool-tip pulsed algorithm as modelled by Trujillo, Alba & Berjano, Int J
  // Hyperthermia 2012;28:62-68): when the impedance rises this far above its value at the start,
  // power goes off for rollOffPause_s, then on again.
  double rollOffImpedanceRise_ohm = 30.0;
  double rollOffPause_s = 15.0;

  // Ramp until roll-off (PowerControl::RampUntilRollOff), the protocol multi-tine (LeVeen)
  // arrays are run with: power starts at power_W and rises by rampRate_W_per_min, at most
  // maxPower_W; the roll-off (the impedance rule above) ends the application. With
  // rampApplications > 1 the ramp starts again from power_W after rollOffPause_s, or holds
  // part of the roll-off power (rampRestartFraction) (a second application to a second
  // roll-off); after the last roll-off no power is delivered for the
  // rest of the run, which then follows the tissue cooling down. The roll-off, not the clock,
  // ends the treatment, so the zone stays about the array's size (docs/validation.md,
  // "Thermal ablation: the RF cluster ex vivo and the multi-tine's roll-off protocol").
  double rampRate_W_per_min = 10.0;
  int rampApplications = 1;
  // What a ramp application after the first delivers (rampApplications > 1): 0, the ramp again
  // from power_W (since branch abldevice); above 0, a constant power, this fraction of the power
  // the generator was set to when the previous application rolled off: the Go-Smart project's
  // model of the Boston Scientific RF 3000 protocol holds half of it after a 30 s pause, the
  // second roll-off ending the treatment (github.com/go-smart/glossia-scratch-test-site,
  // public/algorithms/boston-scientific.xml; its ramp rate and impedance threshold are left as
  // named constants without values there). Ramp only; the pause is rollOffPause_s.
  double rampRestartFraction = 0.0;
  // The roll-off of a ramp application also comes when the tissue next to a tine starts to
  // boil (vaporisationStart_degC). A tine is a 0.5 mm wire: the current density at its surface
  // is several times that of the 1 mm voxel around it (J ~ 1/r near a wire), so the tissue
  // touching it dries and the impedance rises sharply (the roll-off) soon after the voxel's
  // mean reaches boiling, while on a 1 mm grid the voxel takes minutes more to boil off its
  // water and the impedance rule above does not fire before the treatment would have ended.
  // False (a device's generator.rollOff "impedance", rfSettingsFor): the impedance rule alone,
  // with conductivityFollowsWater so the impedance rises as the tissue at the tines dries; on
  // the 1 mm grid that roll-off comes 3x later than the one published for a LeVeen 2 cm array
  // (docs/validation.md, "the multi-tine's roll-off by the generator's impedance").
  bool rollOffAtBoiling = true;

  // Optionally (0: none), the generator's current limit: the power is at most I_max^2 Z. The
  // current, not the power, sets the heating near the electrodes (J^2 / sigma), and our
  // impedance is lower than a generator reads (the ground is the grid's faces, not pads on the
  // thighs, so the path's far part is missing), so at the set power our current is higher than
  // a real generator's. Goldberg et al. (Radiology 1998;209:371-379, abstract) report 1400-2150
  // mA peak current for their cluster; the Cool-tip system's maximum output is 2000 mA
  // (Radiology 2004;230:175, abstract). Off by default: an option measured in
  // slow/ablation_zone_sizes_test (docs/validation.md, "zone checks shown with each device").
  double maxCurrent_A = 0.0;

  // Tissue vaporisation: above 100 degC sigma falls linearly to this factor of its 100 degC value
  // at 105 degC (two orders of magnitude: Trujillo & Berjano, Int J Hyperthermia 2013;29:590-597,
  // review of the sigma(T) models; Haemmerich et al. 2003 used 1e-4 over 1 degC).
  double vaporisationStart_degC = 100.0;
  double vaporisationEnd_degC = 105.0;
  double vaporisedConductivityFactor = 1e-2;
  // Optionally, sigma follows the water left in a voxel (tissue conducts through its ionic
  // water): with all of it boiled off sigma is vaporisedConductivityFactor of the wet value, in
  // between linear in the fraction left, and it stays so when the voxel cools below 100 degC
  // (the bioheat solver lets the vapour leave the tissue: no water comes back). Off by default:
  // the usual models of cooled RF (Haemmerich et al. 2003; Trujillo, Alba & Berjano 2012) make
  // sigma a function of temperature alone, so tissue dried during one power pulse conducts as
  // wet tissue again after the pause. The two are the limits of no and of complete
  // rehydration during the pause; the published zones of cooled electrodes lie between them
  // (docs/validation.md, "Thermal ablation: cooled RF between the two limits of drying").
  // Applies when the bioheat solver models vaporisation (ThermalState's latent store).
  bool conductivityFollowsWater = false;

  // The insulated shaft: a near-insulator so no current flows through its voxels.
  double insulatorConductivity_S_m = 1e-6;

  // Temperature control: a PI controller on the hottest tissue voxel next to the electrode
  // (the thermocouples sit in the tines: RITA operator's manual). Gains are ours (tuned for a
  // response within ~30 s without overshoot above the target + 5 degC on 1 mm grids).
  double controllerProportional_W_per_K = 1.5;
  double controllerIntegral_W_per_Ks = 0.3;

  // The potential is solved again when the tissue's conductivity, weighted by where the
  // current heats, moved by this fraction since the last solve:
  //   sum_v q_v |sigma_v / sigma_v,solved - 1| / sum_v q_v,   q = the last solve's SAR.
  // Without the absolute value this is the first-order change of the electrode's conductance
  // (the power functional is stationary in V: dP/P = sum q dsigma/sigma / sum q; Jackson,
  // Classical Electrodynamics, 3rd ed., sec. 1.12, the variational principle of electrostatics
  // applied to the conduction field); with it, a change that moves current between regions
  // counts too. 1 %: the impedance, and so the delivered power, is within ~1 % between
  // solves, while warming far from the electrode (where q is small) no longer forces a solve.
  double resolveConductanceChange = 0.01;

  // The deposited power is rescaled to the set power exactly, so the tolerance only moves the
  // SAR pattern. On the 10-minute cooled RF run (61^3, docs/validation.md, "solver speed") the
  // zone at 3e-5 is that of a 1e-5 solve (48.22 ml, 55.0 x 39.0 x 39.0 mm); at 1e-4 its short
  // axes moved by 0.2 mm with one preconditioner and not with another, at 1e-3 by 0.2 mm.
  // Multigrid-preconditioned solves take about 6 iterations at 3e-5 with a V-cycle, 4-5 with
  // the W-cycle.
  PotentialSolverOptions solver{3e-5, 5000};

  // Approximation (on by default; false solves the whole grid every time): nested potential
  // solves. Between full-grid solves the potential is solved only on a box around the
  // electrodes (their active parts grown by nestedMargin_mm), where the tissue heats and its
  // sigma changes. Across the box's faces the last full solve's potential is extended: each
  // face's outer voxel is held at the ratio beta = V_outer / V_inner of that solve times the
  // inner voxel's new potential (a Robin condition, exact whenever the potential outside keeps
  // its shape and only scales, as it does while sigma changes inside the box only). Outside the
  // box SAR and potential are the full solve's, scaled by the change of the current through
  // the box's faces (squared for SAR). A full solve comes back after nestedFullSolveInterval
  // nested ones, or sooner when sigma outside the box moved by nestedOuterConductanceChange
  // (measured like resolveConductanceChange, as a fraction of the whole grid's Joule power,
  // so it bounds the first-order change of the power outside the box). docs/validation.md,
  // "Thermal ablation: nested potential", gives the errors in power, zone and temperature.
  bool nestedPotential = true;
  double nestedMargin_mm = 20.0;
  int nestedFullSolveInterval = 3;
  double nestedOuterConductanceChange = 1e-3;
  // Not an approximation (the full solve still converges to solver.relativeTolerance): a full
  // solve that follows one with the box's faces recorded starts from a nested solve's potential
  // (the box solved with this step's sigma, the outside scaled), not from the last solve's. The
  // electrode's drying changes the largest rows of the right-hand side, which the box solve
  // takes up at an eighth of the cost; the full solve is left with the box faces' mismatch.
  // Off: the full solve starts from the last potential (docs/benchmarks.md gives both).
  bool nestedWarmStart = true;
  // Approximation (on by default, with nestedPotential): the full solves between nested ones
  // are on a composite grid, the nested box (grown to whole cells) at the grid's voxels inside
  // cells of two voxels per axis over the rest of the grid, coupled conservatively at the box's
  // faces (src/composite_potential.h); about a quarter of the unknowns of the whole grid. The
  // nested solves then extend the composite solve (their box faces are its couplings), and the
  // SAR outside the box is each cell's mean. False: full solves on the whole 1 mm grid (the
  // nested scheme as before). docs/validation.md, "a composite grid for the full potential solves",
  // gives its error.
  bool compositePotential = true;
  // Not an approximation (the same decisions, so the same bits; with nestedPotential and sigma
  // of temperature alone): between full solves sigma outside the nested box is not computed
  // each step. Whether to solve again (resolveConductanceChange) and whether the solve may be
  // nested (nestedOuterConductanceChange) are taken from the box's own sums and a bound of the
  // outside's share: below vaporisationStart_degC sigma(T) = sigma37 max(0.05, 1 + alpha (T -
  // 37)), so |sigma(a) / sigma(b) - 1| <= |alpha| |a - b| / max(0.05, 1 + alpha (b - 37)), and
  // the outside's SAR-weighted change is bounded by its SAR-weighted change of temperature since
  // the last full solve (one pass that reads temperatures, no sigma). Where the bound leaves a
  // decision open, sigma outside is computed from the temperatures of the solves it is compared
  // with, and the sums are taken as before. False: sigma of every voxel every step.
  bool boundedExteriorConductivity = true;
};

// The device's default setting (generator group of devices.json) as RF settings.
RfSettings rfSettingsFor(const AblationDevice& device);

// sigma(T) of a tissue at RF (S/m): linear in T below vaporisation, collapsing above it.
double rfConductivity(const TissueProperties& tissue, double temperature_degC,
                      const RfSettings& settings);
// The same for tissue with waterLeft (0-1) of its water: the lower of the temperature collapse
// and the water's factor 1 + (vaporisedConductivityFactor - 1) (1 - waterLeft) applies
// (RfSettings::conductivityFollowsWater).
double rfConductivity(const TissueProperties& tissue, double temperature_degC, double waterLeft,
                      const RfSettings& settings);

// One line of the treatment log: what the generator did during a step.
struct RfLogEntry {
  double time_s = 0.0;
  double power_W = 0.0;
  double impedance_ohm = 0.0;
  double voltage_V = 0.0;
  double controlledTemperature_degC = 0.0;  // hottest tissue next to the electrode
  bool powerOn = true;
};

namespace detail {
struct PotentialWorkspace;  // rf_source.cpp: the solver's arrays, kept from solve to solve
class CompositePotential;   // src/composite_potential.h
struct CompositeSolution;
}  // namespace detail

class RfSource : public HeatSource {
 public:
  RfSource(const AblationGrid& grid, const AblationDevice& device, const ProbePlacement& placement,
           RfSettings settings);
  // Several electrodes of this device on one generator, all at the same potential (the
  // simultaneous mode of the Cool-tip cluster, whose three electrodes share one connector:
  // Goldberg et al., Radiology 1998;209:371-379). One potential problem with every active part
  // at V: the electrodes shield each other, the generator sees one impedance, and its power,
  // roll-off and temperature control act on all of them together. (The switching controller,
  // which moves the full power from one electrode to the next, is not modelled.)
  RfSource(const AblationGrid& grid, const AblationDevice& device,
           std::span<const ProbePlacement> placements, RfSettings settings);
  ~RfSource() override;

  void depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                      std::vector<float>& power_W_m3) override;
  std::vector<HeldTemperature> heldTemperatures(const AblationGrid& grid,
                                                const ThermalState& state) override;
  double deliveredPower_W() const override { return deliveredPower_W_; }
  // During an impedance roll-off's pause: its end (no power until then).
  double powerUnchangedUntil_s() const override;

  const std::vector<RfLogEntry>& log() const { return log_; }
  double baselineImpedance_ohm() const { return baselineImpedance_ohm_; }
  int rollOffCount() const { return rollOffCount_; }
  int potentialSolves() const { return potentialSolves_; }
  // Of potentialSolves(), those on the nested box (RfSettings::nestedPotential).
  int nestedPotentialSolves() const { return nestedSolves_; }
  // Full solves warm started from a nested box solve (RfSettings::nestedWarmStart); their
  // box solves' iterations count in potentialIterations().
  int nestedWarmStarts() const { return nestedWarmStarts_; }
  long long potentialIterations() const { return potentialIterations_; }
  // RfSettings::boundedExteriorConductivity: the decisions its bound left open (sigma outside
  // the nested box then computed and the sums taken as without it).
  int exteriorBoundsLeftOpen() const { return exteriorBoundsOpen_; }
  const ProbeVoxels& voxels() const { return voxels_; }
  const std::vector<NodeRole>& roles() const { return roles_; }

 private:
  // sigma (S/m) at these temperatures (and the water left, waterLeft_, when tracked) of the
  // voxels of a region, the electrode's metal and insulated shaft included. Box: the nested box
  // and (the non-composite nested solves read them) the outer voxels of its faces.
  enum class Region { Grid, Box, Exterior };
  void conductivities(const AblationGrid& grid, std::span<const float> temperature_degC,
                      std::vector<float>& sigma_S_m, Region region = Region::Grid) const;
  float tissueConductivity(const AblationGrid& grid, std::size_t voxel,
                           float temperature_degC) const;
  // This step's sigma and, when it moved enough, a potential solve (nested or full).
  void updatePotential(const AblationGrid& grid, std::span<const float> temperature_degC);
  // The fraction of each voxel's water left (RfSettings::conductivityFollowsWater), from the
  // solver's latent store against the first step's.
  void trackWater(const ThermalState& state, std::size_t voxelCount);
  // RfSettings::resolveConductanceChange's measure of sigma against the last solve's.
  double weightedConductivityChange(std::span<const float> sigma_S_m) const;
  void solveUnitPotential(const AblationGrid& grid, std::vector<float>& sigma_S_m);
  // RfSettings::nestedPotential: whether the next solve may be nested, the nested solve, and
  // the full solve's record of the box's faces that it extends.
  // nestedSolveAllowed reads fullSigma_S_m_ outside the nested box only.
  bool nestedSolveAllowed(std::span<const float> sigma_S_m) const;
  // RfSettings::boundedExteriorConductivity: the temperatures outside the nested box, the bound
  // they give of sigma's change there, and the decisions taken from the box's sums and that
  // bound.
  struct ExteriorChange {
    // sum over the outside of q |T - T at the last full solve|, q the full solve's SAR (W/m3 K)
    double heatWeighted_K = 0.0;
    double lowest_degC = std::numeric_limits<double>::infinity();
    double highest_degC = -std::numeric_limits<double>::infinity();
  };
  enum class Verdict { No, Yes, Open };
  bool exteriorBounded() const;
  ExteriorChange scanExterior(std::span<const float> temperature_degC) const;
  // The largest |sigma(a) / sigma(b) - 1| / |a - b| of the grid's tissues below vaporisation
  // for b within the reference's range (infinity where either lies above it).
  double conductivityChangePerKelvin(const AblationGrid& grid, const ExteriorChange& reference,
                                     const ExteriorChange& now) const;
  // exterior(): this step's ExteriorChange, scanned when first asked.
  template <class Scan>
  Verdict boundedResolve(const AblationGrid& grid, std::span<const float> sigma_S_m,
                         Scan&& exterior) const;
  Verdict boundedNestedSolve(const AblationGrid& grid, const ExteriorChange& now) const;
  // The conditions of a nested solve other than the outside's change of sigma.
  bool nestedSolvePossible() const;
  void updateBoundedPotential(const AblationGrid& grid, std::span<const float> temperature_degC);
  // A full solve of this step's sigma, and (bounded exterior) the temperatures it was solved at.
  void solveFull(const AblationGrid& grid, std::span<const float> temperature_degC,
                 std::vector<float>& sigma_S_m);
  void keepExterior(std::span<const float> temperature_degC);
  void solveNestedPotential(const AblationGrid& grid, std::vector<float>& sigma_S_m);
  // The box solve itself: as a nested step (the box's potential and SAR, the outside's scale,
  // the power), or as the warm start of a full solve (the potential only, the outside's scaled
  // in place). Returns the CG iterations.
  enum class NestedUse { Step, WarmStart };
  int solveNestedBox(const AblationGrid& grid, std::span<const float> sigma_S_m, NestedUse use);
  // solveNestedBox's steps on its workspace: the faces' conductances and Robin conductances at
  // sigma and each box voxel's Robin conductance (boxVoxels: the box's voxel count); the current
  // through the faces at the box's solved potential; the faces' own Joule power onto the box's
  // SAR (box voxels, at the box's potential).
  void nestedRobinConductances(std::span<const float> sigma_S_m, std::size_t boxVoxels);
  double nestedFaceCurrent_A(std::span<const double> boxPotential_V);
  void addNestedFacePower(std::span<float> boxHeating_W_m3, std::span<const double> boxPotential_V,
                          double perVolume);
  bool nestedBoundaryRecorded() const { return fullFaceCurrent_A_ > 0.0; }
  void recordNestedBoundary(const AblationGrid& grid);
  // The faces between the nested box and the rest of the 1 mm grid, listed once.
  void listNestedFaces(const AblationGrid& grid);
  // The nested box (nestedLo_, nestedHi_) around the electrodes, set once.
  void setNestedBox(const AblationGrid& grid);
  // Each nested face's boxInner, from its inner voxel (once, as the faces are listed).
  void indexNestedFaces();
  // RfSettings::compositePotential: the full solve on the composite grid, its box faces recorded.
  void solveCompositePotential(const AblationGrid& grid, std::vector<float>& sigma_S_m);
  // A full solve's fields and this step's sigma (swapped in) become the unit solution.
  void keepSolution(std::vector<float>& heating_W_m3, std::vector<double>& potential_V,
                    double power_W, int iterations, std::vector<float>& sigma_S_m);
  // The full solve's fields and sigma kept for the nested solves that extend it.
  void keepFullSolve();
  // row(first grid voxel, first box voxel, voxel count) for each row of the nested box, in order.
  template <class Row>
  void forEachBoxRow(Row&& row) const;
  // The box's rows of planes kFirst..kLast-1 (grid indices), in order.
  template <class Row>
  void forEachBoxRowOf(std::int64_t kFirst, std::int64_t kLast, Row&& row) const;
  // forEachBoxRow's rows in runs of planes in parallel (for rows that touch only their voxels),
  // and beside() once, as one more task of the same loop.
  template <class Row, class Task>
  void forEachBoxRowInParallel(Row&& row, Task&& beside) const;
  // visit(first, last, outside) for stretches of the voxels in order, outside: they lie outside
  // the nested box (one stretch, inside, while outsideScale_ is 1, when the two read alike).
  template <class Visit>
  void walkBoxMembership(parallel::IndexRange voxels, Visit&& visit) const;
  // The same, the box always told apart.
  template <class Visit>
  void splitByBox(parallel::IndexRange voxels, Visit&& visit) const;
  // visit(first, last) for the stretches outside the nested box of whole planes, in parallel.
  template <class Visit>
  void forEachExteriorStretch(Visit&& visit) const;
  // stretch(first, last, sum) over the stretches outside the nested box, planes in parallel,
  // each run of planes from identity, the runs combined in order.
  template <class T, class Stretch, class Combine>
  T reduceOutsideBox(T identity, Stretch&& stretch, Combine&& combine) const;
  // The same inside the nested box: visit(first, last) for each box row, planes in parallel;
  // stretch(first, last, sum) over the box's rows, each run of planes from identity, the runs
  // combined in order.
  template <class Visit>
  void forEachBoxStretch(Visit&& visit) const;
  template <class T, class Stretch, class Combine>
  T reduceInsideBox(T identity, Stretch&& stretch, Combine&& combine) const;
  // The potential outside the nested box is unitPotential_V_ times this, the SAR there
  // unitHeating_W_m3_ times its square (nested steps write the box only).
  double outsideScale_ = 1.0;
  double fullOutsidePower_W_ = 0.0;  // the last full solve's Joule power outside the box
  double boxPower_W() const;         // the unit SAR's power inside the nested box
  // The power of a sum of SAR over voxels (W/m3 times the voxel's volume).
  double voxelsPower_W(double heatingSum_W_m3) const;
  // The sum of a SAR's positive values (plane by plane, in order; W/m3).
  double heatingSum(std::span<const float> heating_W_m3) const;
  std::array<std::int64_t, 3> gridSize_{};
  double voxelSize_mm_ = 1.0;
  double decidePower(const ThermalState& state, double step_s, double impedance_ohm,
                     double controlled_degC);
  double rampPower(const ThermalState& state, double impedance_ohm, double controlled_degC);
  // Whether the generator delivers nothing at this time whatever the tissue does: the pause
  // after a roll-off, or the end of the last ramp application.
  bool powerHeldOff(double time_s) const;
  // The impedance has risen by rollOffImpedanceRise_ohm over its value at the start.
  bool impedanceRolledOff(double impedance_ohm) const;
  double hottestNextToElectrode(std::span<const float> temperature_degC) const;

  RfSettings settings_;
  bool cooled_ = false;
  double coolant_degC_ = 37.0;
  ProbeVoxels voxels_;
  std::vector<NodeRole> roles_;
  std::vector<std::size_t> electrodeNeighbours_;

  std::vector<double> unitPotential_V_;  // at 1 V on the electrode
  std::vector<float> unitHeating_W_m3_;  // SAR at 1 V
  double unitPower_W_ = 0.0;
  std::vector<float> solvedSigma_S_m_;     // the tissue conductivities of the last solve
  std::vector<float> sigmaScratch_;        // this step's (the arrays swap at each solve)
  std::vector<float> initialLatent_J_m3_;  // the solver's latent store at the first step
  std::vector<float> waterLeft_;           // fraction (0-1) per voxel; empty: all present
  int potentialSolves_ = 0;
  int nestedSolves_ = 0;
  int nestedWarmStarts_ = 0;
  // The nested box (voxels lo..hi-1) and what the last full solve left for it: its potential,
  // SAR and sigma, each box face (inner voxel, outer voxel, beta) and the current through them.
  // outerResistance: with compositePotential, w / (2 sigma) of the composite cell across
  // (voxel units); below 0, the face is between two voxels (the harmonic mean of their sigma).
  struct NestedFace {
    std::size_t inner = 0, outer = 0;
    float beta = 0.0f;
    double outerResistance = -1.0;
    std::size_t boxInner = 0;  // the inner voxel's index in the nested box
  };
  double nestedFaceConductance(const NestedFace& face, std::span<const float> sigma_S_m) const;
  std::array<std::int64_t, 3> nestedLo_{}, nestedHi_{};
  std::vector<NestedFace> nestedFaces_;
  std::vector<double> nestedFaceCurrents_;  // keepFullSolve's, per face (summed in order)
  // Whether nestedFaces_ is sorted by inner voxel (indexNestedFaces).
  bool nestedFacesGrouped_ = false;
  // body(first, last) over runs of nestedFaces_ in parallel, no inner voxel's faces split between
  // two runs (so sums onto a voxel keep the faces' order); one run on the calling thread when
  // the faces are not grouped.
  template <class Body>
  void forEachFaceRun(Body&& body) const;
  // fullSigma_S_m_: the full solve's sigma, kept at each full solve without
  // boundedExteriorConductivity; with it, computed outside the box from temperatureAtFull_ when
  // the bound leaves the nested check open (the nested steps keep the full solve's potential and
  // SAR outside the box). fullHeatingSum_: the full solve's SAR summed (heatingSum).
  std::vector<float> fullSigma_S_m_;
  // RfSettings::boundedExteriorConductivity: the temperatures of the last full solve and (outside
  // the box, after a nested solve) of the last solve: the outside's sigma is theirs; their
  // summaries; the full solve's SAR outside the box summed (where sigma > 0, and all of it).
  std::vector<float> temperatureAtFull_, temperatureAtSolve_;
  ExteriorChange exteriorAtFull_, exteriorAtSolve_;
  double exteriorHeatingSum_ = 0.0, exteriorHeatingAll_ = 0.0;
  int exteriorBoundsOpen_ = 0;
  double fullHeatingSum_ = 0.0;
  double fullFaceCurrent_A_ = 0.0;
  int solvesSinceFull_ = 0;
  long long potentialIterations_ = 0;
  // Reused by every solve: a treatment solves 70-80 times on a million voxels, and fresh arrays
  // (about 100 MB) cost page faults and clearing each time.
  std::unique_ptr<detail::PotentialWorkspace> potentialWorkspace_;
  std::unique_ptr<detail::PotentialWorkspace> nestedWorkspace_;  // the nested box's
  std::unique_ptr<detail::CompositePotential> composite_;
  std::unique_ptr<detail::CompositeSolution> compositeFields_;  // its arrays, reused

  double deliveredPower_W_ = 0.0;
  double baselineImpedance_ohm_ = 0.0;
  double powerOffUntil_s_ = -1.0;
  int rollOffCount_ = 0;
  double rampStart_s_ = 0.0;  // when the current ramp application started
  double rampPower_W_ = 0.0;  // the last power the ramp set (RfSettings::rampRestartFraction)
  double heldPower_W_ = 0.0;  // a later application's constant power; 0: it ramps
  bool rampEnded_ = false;    // the last ramp application rolled off
  double controllerIntegral_W_ = 0.0;
  double controllerPower_W_ = 0.0;
  std::vector<RfLogEntry> log_;
};

}  // namespace twinplan::ablation
