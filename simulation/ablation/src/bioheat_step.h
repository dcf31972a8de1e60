#pragma once
// One backward-Euler step of Pennes bioheat on the active box (bioheat.cpp drives the steps).
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "stencil_solver.h"
#include "twinplan/ablation/bioheat.h"

namespace twinplan::ablation::detail {

// Whether the voxels [first, last) are all of one tissue (a run usually is: the fast paths then
// use that tissue's constants); false for no voxel.
inline bool oneTissue(const TissueIndex* first, const TissueIndex* last) {
  return first != last && std::all_of(first + 1, last, [&](TissueIndex t) { return t == *first; });
}

// Per-tissue constants of the step, in SI units.
struct TissueCoefficients {
  double heatCapacityPerVolume_J_m3K = 0.0;  // rho c
  double conductivity_W_mK = 0.0;            // k at 37 degC
  double conductivityCoefficient_per_K = 0.0;
  double perfusionSink_W_m3K = 0.0;  // w rho_b c_b
  double arrheniusFactor_per_s = 0.0;
  double activationEnergy_J_mol = 0.0;
  double logArrheniusFactor = 0.0;  // log(A), for the damage of every voxel every step
  // Inline: the far field's coarse step takes it for every voxel every step.
  double conductivityAt(double temperature_degC) const {
    // A linear fit must not turn k negative far outside its range: keep at least a tenth of k37.
    const double factor =
        1.0 + conductivityCoefficient_per_K * (temperature_degC - kBodyTemperature_degC);
    return conductivity_W_mK * std::max(0.1, factor);
  }
};

// The bounding box (inclusive) of a set of voxels, built up by include().
struct Bounds {
  std::array<std::int64_t, 3> lo{std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::max()};
  std::array<std::int64_t, 3> hi{-1, -1, -1};  // inclusive
  double power_W_m3 = 0.0;                     // sum of the power of every voxel seen
  bool empty() const { return hi[0] < 0; }
  void include(std::int64_t i, std::int64_t j, std::int64_t k) {
    const std::int64_t ijk[3] = {i, j, k};
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], ijk[a]);
      hi[a] = std::max(hi[a], ijk[a]);
    }
  }
  static Bounds merge(Bounds a, const Bounds& b) {
    a.power_W_m3 += b.power_W_m3;
    if (b.empty()) return a;
    a.include(b.lo[0], b.lo[1], b.lo[2]);
    a.include(b.hi[0], b.hi[1], b.hi[2]);
    return a;
  }
};

// perfusionFactor (thermal_damage.h) for the rules whose factor is 0 or 1, inline; the others
// through it.
inline double perfusionFactorOf(PerfusionShutdown rule, double damage) {
  if (rule == PerfusionShutdown::AtOmegaOne) return damage >= 1.0 ? 0.0 : 1.0;
  if (rule == PerfusionShutdown::None) return 1.0;
  return perfusionFactor(rule, damage);
}

// What the step's system is built from; full-grid arrays unless said otherwise.
struct StepInputs {
  const AblationGrid* grid = nullptr;
  const BioheatParameters* parameters = nullptr;
  const std::vector<TissueCoefficients>* tissues = nullptr;
  const std::vector<float>* wallCoefficient_W_m2K = nullptr;  // empty without vessels
  const std::vector<float>* temperature_degC = nullptr;       // at the step's start
  const std::vector<float>* damage = nullptr;                 // at the step's start
  const std::vector<float>* power_W_m3 = nullptr;
  const std::vector<HeldTemperature>* held = nullptr;
  // Each voxel's change over the previous step (K), to extrapolate the warm start.
  const std::vector<float>* previousChange_K = nullptr;
  double step_s = 0.0;
  // The warm start takes previousChange_K times this: the step over the previous one, at most 1
  // (a longer step after a shorter one starts from the previous step's change, not beyond it).
  double extrapolation = 1.0;
  // The far field's deviation from arterial temperature (K, full grid; BioheatParameters::
  // farField): the voxels beyond the box's faces inside the grid are held at it. Null: they are
  // at arterial temperature.
  const std::vector<float>* beyondBox_K = nullptr;
};

// A face between a box voxel (local index) and a grid voxel beyond the box, with the conductance
// (W/(m3 K), per volume of the box voxel) the step system gives it: k at the lagged deviation
// inside, at arterial temperature beyond.
struct BoxFace {
  std::size_t local = 0;
  std::size_t beyond = 0;
  float conductance_W_m3K = 0.0f;
};

// One side of the box that lies inside the grid: axis a, the box's layer of voxels on it and
// the grid's layer beyond; its faces in extent(b) rows of extent(c), b and c the other axes.
struct BoxSide {
  int a = 0, b = 0, c = 0;
  std::int64_t layer = 0, outside = 0;
  std::size_t firstFace = 0;  // the number of faces on the sides before it
  int towards = 0;            // along a from the box to the layer beyond: -1 (the lo side) or +1
};

// The box's sides inside the grid, six in a fixed order (-x, +x, -y, +y, -z, +z); the box's faces
// on the grid's faces have nothing beyond them. `faceCount`: the faces on them all. The faces of
// a side are numbered from its firstFace row by row: face u extent(c) + w lies at local offsets
// u along b and w along c (buildStepSystem's `faces`).
std::vector<BoxSide> boxSides(const ImageGeometry& g, const Box& box, std::size_t& faceCount);

// Conductivity and vessel wall coefficient of the box's voxels and of the layer of voxels
// around it (the halo), so that a voxel's six faces read their neighbours by a fixed stride.
// Halo voxels outside the grid carry k < 0: a box face held at arterial temperature there.
// Kept from step to step (StepWorkspace), so that a step does not clear it and allocates only
// when the box outgrows every earlier box (it stays at the largest box's size for the run).
struct HaloProperties {
  std::int64_t sx = 0, sy = 0, sz = 0;  // the box's extents plus two
  std::vector<float> conductivity_W_mK;
  std::vector<float> wall_W_m2K;  // empty without vessels
  std::size_t index(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return std::size_t((i + 1) + sx * ((j + 1) + sy * (k + 1)));
  }
};

// The box of voxels whose temperature can change this step: every voxel of `previous` that
// deviates from the arterial temperature by more than threshold_K, every heated voxel and every
// held voxel away from it, grown by margin voxels and clipped to the grid. Empty (all zero) when
// nothing deviates.
// With BioheatParameters::skipNegligibleHeating a voxel counts as heated only when its power
// warms it by more than threshold_K in the step.
// totalPower_W: the power the source deposits in the whole grid (W).
Box activeBox(const StepInputs& in, const Box& previous, double threshold_K, std::int64_t margin,
              double& totalPower_W);

// The box grown by `voxels` on each side, clipped to the grid.
Box grownBox(const Box& box, const ImageGeometry& geometry, std::int64_t voxels);

// Throws Error(Internal): the heat source deposited a power that is not a number in voxel v.
[[noreturn]] void throwPowerNotANumber(std::size_t v);

// Heat (W) flowing from the solved box through its faces that lie inside the grid into the
// voxels beyond, held at arterial temperature: the box's truncation error of the step (the sum
// of each face's |flow|, so that inflow and outflow do not cancel).
double boxFaceHeatFlow_W(const StepInputs& in, const Box& box, const std::vector<float>& deviation);

// Power (W) the source deposits outside the box (left out of the step), of totalPower_W.
double powerOutsideBox_W(const StepInputs& in, const Box& box, double totalPower_W);

// The system on `box` with conductivity and perfusion evaluated at lagDeviation_K (the box's
// deviations from the arterial temperature), and in `deviation` the Dirichlet values and the
// warm start: the start temperature plus the previous step's change (linear extrapolation in
// time, which leaves the conjugate gradients a small correction when heating is steady).
// With a far field beyond the box (StepInputs::beyondBox_K), `faces` gets boxFaces() of the box
// (refluxing needs them after the solve); otherwise it is left empty. `halo`: scratch, every
// entry written. For the red-black solver (BioheatParameters::redBlackSolver) the system is built
// straight by colour (StencilSystem::byColour), which only solveRedBlack reads.
void buildStepSystem(const StepInputs& in, const Box& box, const std::vector<float>& lagDeviation_K,
                     StencilSystem& system, std::vector<float>& deviation,
                     std::vector<BoxFace>& faces, HaloProperties& halo);

// The box's deviations from the arterial temperature at the step's start, into `deviation`
// (resized to the box; kept from step to step, so that a step does not allocate it).
void gatherDeviation(const StepInputs& in, const Box& box, std::vector<float>& deviation);

}  // namespace twinplan::ablation::detail
