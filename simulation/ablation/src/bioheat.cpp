// The bioheat time stepper: sources, the active box, the backward-Euler solve, damage and
// records per step (bioheat.h).
#include "twinplan/ablation/bioheat.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <string>

#include "bioheat_step.h"
#include "dose_exp.h"
#include "far_field.h"
#include "stencil_solver.h"
#include "twinplan/ablation/vessel_heat_sink.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "vapour_transport.h"
#include "water_transport.h"

namespace twinplan::ablation {
namespace {

using detail::Box;
using detail::contains;
using detail::StepInputs;
using detail::TissueCoefficients;

// A voxel counts as warmed (and its neighbourhood is solved) once it deviates from arterial
// temperature by ten times the solver tolerance; below that the solver's own error dominates.
constexpr double kWarmThresholdTolerances = 10.0;

std::vector<TissueCoefficients> tissueCoefficients(const AblationGrid& grid,
                                                   const BioheatParameters& p) {
  std::vector<TissueCoefficients> coefficients;
  for (const TissueProperties& t : grid.tissues)
    coefficients.push_back({t.density_kg_m3 * t.heatCapacity_J_kgK, t.thermalConductivity_W_mK,
                            t.thermalConductivityCoefficient_per_K,
                            t.perfusion_per_s * p.bloodDensity_kg_m3 * p.bloodHeatCapacity_J_kgK,
                            t.arrheniusFrequencyFactor_per_s, t.arrheniusActivationEnergy_J_mol,
                            std::log(t.arrheniusFrequencyFactor_per_s)});
  return coefficients;
}

// The length of the step that starts at time_s (BioheatParameters::adaptiveTimeSteps): the base
// step (the last one before a stop shortened to end on it), or, where the source promises its
// power unchanged beyond it, a step up to that promise, at most maximumTimeStep_s (a longest step
// below the base step never shortens one), never past the next stop (duration_s or a zone
// snapshot time).
double stretchedStep(const BioheatParameters& p, double time_s, double baseStep_s,
                     double powerUnchangedUntil_s, double stop_s) {
  if (!p.adaptiveTimeSteps) return baseStep_s;
  const double promised_s = powerUnchangedUntil_s - time_s;
  if (!(promised_s > baseStep_s)) return baseStep_s;
  return std::max(baseStep_s, std::min({promised_s, p.maximumTimeStep_s, stop_s - time_s}));
}

// Voxels beyond the warmed region that one step can reach: the backward-Euler resolvent decays
// over sqrt(k dt / (rho c h^2)) voxels; three such lengths plus two voxels keep the truncation
// error at the box's faces well under the warm threshold.
std::int64_t boxMargin(const AblationGrid& grid, const std::vector<TissueCoefficients>& tissues,
                       double step_s) {
  double diffusionNumber = 0.0;
  const double h_m = grid.voxelSize_m();
  for (const TissueCoefficients& t : tissues) {
    const double kMax = std::max(t.conductivityAt(100.0), t.conductivity_W_mK);
    diffusionNumber =
        std::max(diffusionNumber, kMax * step_s / (t.heatCapacityPerVolume_J_m3K * h_m * h_m));
  }
  return 2 + std::int64_t(std::ceil(3.0 * std::sqrt(diffusionNumber)));
}

// The fields a simulation keeps over the grid while it runs.
// The source sees `state` (time, temperature, damage) as the solver advances it.
struct RunningFields {
  ThermalState state;
  std::vector<float> maximum_degC, cem43_min;
  std::vector<float> lastChange_K;  // over the last step, 0 outside its box
  // BioheatParameters::farFieldDeferredDose: per voxel outside the fine box, the temperature
  // when its dose window opened and the window's time integral of the temperature less that
  // start (K s); per plane of cells, the time its windows opened (s); the fine box the windows
  // were opened for.
  std::vector<float> doseStart_degC, doseExcess_Ks;
  std::vector<double> doseOpened_s;
  Box doseBox;
  // BioheatParameters::farFieldStaleness_K, per plane of cells: the time up to which the open
  // dose windows of its voxels beyond the near region hold their temperature's integral (since
  // then those voxels have held the temperature last written), and their largest drift from
  // their windows' start when written (K).
  std::vector<double> farSettled_s;
  std::vector<float> farDrift_K;
};

// The time span of a step, and whether the fields must be whole at its end (a zone snapshot,
// the end of the run): then every deferred dose window closes.
struct StepSpan {
  double start_s = 0.0, end_s = 0.0, step_s = 0.0;
  bool closeDoseWindows = false;
};

bool deferredDose(const BioheatParameters& p) {
  return p.farField && p.farFieldDeferredDose &&
         p.perfusionShutdown != PerfusionShutdown::Exponential;
}

// The latent heat of each tissue's water per volume (J/m3): rho * water content * L.
std::vector<double> latentHeatPerVolume(const AblationGrid& grid, const BioheatParameters& p) {
  std::vector<double> latent;
  for (const TissueProperties& t : grid.tissues)
    latent.push_back(p.waterVaporisation && !t.isBlood
                         ? t.density_kg_m3 * t.waterContent_kg_kg * p.latentHeatOfWater_J_kg
                         : 0.0);
  return latent;
}

// The enthalpy correction of one voxel's step (bioheat.h, waterVaporisation): the sensible
// heat the step put above the vaporisation temperature goes into the water's latent heat
// first; what is left raises the temperature. Returns the corrected end temperature.
double absorbLatentHeat(double end_degC, double vaporisation_degC,
                        double heatCapacityPerVolume_J_m3K, float& latentLeft_J_m3) {
  if (end_degC <= vaporisation_degC || latentLeft_J_m3 <= 0.0f) return end_degC;
  const double excess_J_m3 = heatCapacityPerVolume_J_m3K * (end_degC - vaporisation_degC);
  const double absorbed_J_m3 = std::min(excess_J_m3, double(latentLeft_J_m3));
  latentLeft_J_m3 = static_cast<float>(double(latentLeft_J_m3) - absorbed_J_m3);
  return vaporisation_degC + (excess_J_m3 - absorbed_J_m3) / heatCapacityPerVolume_J_m3K;
}

// One step's update of the running fields, a row segment at a time (advanceFields).
class FieldAdvance {
 public:
  FieldAdvance(const AblationGrid& grid, const BioheatParameters& p,
               const std::vector<TissueCoefficients>& tissues, double step_s, RunningFields& f)
      : grid_(grid),
        p_(p),
        tissues_(tissues),
        step_s_(step_s),
        f_(f),
        addDoseRow_(detail::chosenDoseExp().addDose) {
    for (const TissueCoefficients& t : tissues)
      restingDamage_.push_back(static_cast<float>(
          arrheniusIncrement(t.arrheniusFactor_per_s, t.activationEnergy_J_mol,
                             p.arterialTemperature_degC, p.arterialTemperature_degC, step_s)));
    restingCem43_ = static_cast<float>(cem43Increment_min(p.arterialTemperature_degC, step_s));
  }

  // The damage and CEM43 exponents of one segment (src/dose_exp.h exponentiates them).
  struct Scratch {
    std::vector<float> arrhenius, doublings;
    std::vector<double> mean_degC;  // each voxel's mean temperature over the step or window
  };

  // The members marked TWINPLAN_ABLATION_WIDE_LOOPS are built for SSE2 and AVX2 and picked at
  // load (stencil_solver.h): their plain loops widen with the same bits.
  // Voxels v0 .. v0 + count - 1 to arterial + endDeviation_K[n] (before the latent heat), and
  // the step's damage and CEM43 at each voxel's mean temperature over the step.
  TWINPLAN_ABLATION_WIDE_LOOPS void advance(std::size_t v0, std::size_t count,
                                            const float* endDeviation_K, Scratch& scratch) const {
    prepare(count, scratch);
    const bool vaporising = mayVaporise(count, endDeviation_K);
    if (!vaporising && oneTissue(v0, count)) {
      moveWithExponents(v0, count, endDeviation_K, tissues_[grid_.tissue[v0]], scratch);
    } else {
      float* maximum = f_.maximum_degC.data();
      double* mean = scratch.mean_degC.data();
      moveEach(v0, count, endDeviation_K, vaporising,
               [&](std::size_t n, std::size_t v, double start, double end) {
                 maximum[v] = std::max(maximum[v], static_cast<float>(end));
                 mean[n] = 0.5 * (start + end);
               });
      setRunExponents(v0, count, scratch);
    }
    addDose(v0, count, step_s_, scratch);
  }

  // Far-field voxels with a deferred dose (BioheatParameters::farFieldDeferredDose): the
  // temperature, its change and the maximum move; the damage and CEM43 wait for the window.
  // Each voxel's window adds the time since its temperature was last written (the step, or
  // longer after steps that left it as it was: farFieldStaleness_K) times its mean temperature
  // over that time (the trapezoid of the two written values), less the window's start
  // temperature (RunningFields::doseExcess_Ks).
  TWINPLAN_ABLATION_WIDE_LOOPS void move(std::size_t v0, std::size_t count,
                                         const float* endDeviation_K, double heldFor_s) const {
    if (mayVaporise(count, endDeviation_K)) {
      float* maximum = f_.maximum_degC.data();
      float* excess = f_.doseExcess_Ks.data();
      const float* windowStart = f_.doseStart_degC.data();
      moveEach(v0, count, endDeviation_K, true,
               [&](std::size_t, std::size_t v, double start, double end) {
                 maximum[v] = std::max(maximum[v], static_cast<float>(end));
                 excess[v] +=
                     static_cast<float>(heldFor_s * (0.5 * (start + end) - double(windowStart[v])));
               });
      return;
    }
    movePlainDeferred(v0, count, endDeviation_K, heldFor_s);
  }

  // Voxels v0 .. v0 + count - 1 held their temperature for heldFor_s (farFieldStaleness_K): their
  // windows add that time at it, so that they can close or the voxels move on from here.
  void settle(std::size_t v0, std::size_t count, double heldFor_s) const {
    for (std::size_t v = v0; v < v0 + count; ++v)
      f_.doseExcess_Ks[v] += static_cast<float>(
          heldFor_s * (double(f_.state.temperature_degC[v]) - double(f_.doseStart_degC[v])));
  }

  // The largest drift of voxels v0 .. v0 + count - 1 at arterial + endDeviation_K[n] from their
  // temperature at the start of their dose window (RunningFields::doseStart_degC), K.
  // The maximum taken on the drifts' bits, so that the loop widens (GCC widens no float
  // maximum without -ffinite-math-only): non-negative floats order as their bits do; a drift
  // that is not a number counts as 0, as std::max passed it over. The same value as the plain
  // loop's.
  TWINPLAN_ABLATION_WIDE_LOOPS float largestDrift(std::size_t v0, std::size_t count,
                                                  const float* endDeviation_K) const {
    const auto arterial = static_cast<float>(p_.arterialTemperature_degC);
    const float* windowStart = f_.doseStart_degC.data() + v0;
    // Signed: with the sign bit cleared the bits are never negative, and GCC widens a signed
    // maximum on SSE2 (an unsigned one it does not).
    constexpr std::int32_t kMagnitude = 0x7fffffff, kInfinity = 0x7f800000;
    std::int32_t largest = 0;  // +0's bits
    for (std::size_t n = 0; n < count; ++n) {
      // |drift| by its sign bit cleared (std::abs's bits); above infinity's bits: not a number.
      const std::int32_t bits =
          std::bit_cast<std::int32_t>(arterial + endDeviation_K[n] - windowStart[n]) & kMagnitude;
      largest = std::max(largest, bits > kInfinity ? 0 : bits);
    }
    return std::bit_cast<float>(largest);
  }

  // A new dose window for voxels v0 .. v0 + count - 1 from their temperature now.
  void restartDoseWindow(std::size_t v0, std::size_t count) const {
    std::copy_n(f_.state.temperature_degC.data() + v0, count, f_.doseStart_degC.data() + v0);
    std::fill_n(f_.doseExcess_Ks.data() + v0, count, 0.0f);
  }

  // Closes the dose window of voxels v0 .. v0 + count - 1, window_s long: damage and CEM43
  // at the voxel's mean temperature over the window (its steps' midpoints, weighted by their
  // lengths); the next window starts from the temperature now.
  void closeDoseWindow(std::size_t v0, std::size_t count, double window_s, Scratch& scratch) const {
    prepare(count, scratch);
    for (std::size_t n = 0; n < count; ++n) {
      const std::size_t v = v0 + n;
      scratch.mean_degC[n] = double(f_.doseStart_degC[v]) + f_.doseExcess_Ks[v] / window_s;
    }
    setRunExponents(v0, count, scratch);
    addDose(v0, count, window_s, scratch);
    restartDoseWindow(v0, count);
  }

  // Voxels v0 .. v0 + count - 1 outside the active box without a far field: within the warm
  // threshold of arterial temperature, unchanged, at the resting rates.
  void rest(std::size_t v0, std::size_t count) const {
    for (std::size_t v = v0; v < v0 + count; ++v) {
      f_.lastChange_K[v] = 0.0f;
      f_.state.damage[v] += restingDamage_[grid_.tissue[v]];
      f_.cem43_min[v] += restingCem43_;
    }
  }

 private:
  static void prepare(std::size_t count, Scratch& scratch) {
    scratch.arrhenius.resize(count);
    scratch.doublings.resize(count);
    scratch.mean_degC.resize(count);
  }

  // body(n, v, start, end) after voxel v = v0 + n moved from start to end (moveTo). Where no
  // voxel of the run passes the vaporisation temperature (or nothing vaporises) the latent heat
  // takes nothing, and the move is the plain one in a loop without calls. `vaporising`: the
  // caller's mayVaporise(count, endDeviation_K), so the run is scanned once.
  template <class Body>
  void moveEach(std::size_t v0, std::size_t count, const float* endDeviation_K, bool vaporising,
                Body&& body) const {
    float* temperature = f_.state.temperature_degC.data();
    if (vaporising) {
      for (std::size_t n = 0; n < count; ++n) {
        const double start = temperature[v0 + n];
        body(n, v0 + n, start, moveTo(v0 + n, endDeviation_K[n]));
      }
      return;
    }
    const double arterial = p_.arterialTemperature_degC;
    float* change = f_.lastChange_K.data();
    for (std::size_t n = 0; n < count; ++n) {
      const std::size_t v = v0 + n;
      const double start = temperature[v];
      const double end = arterial + endDeviation_K[n];
      change[v] = static_cast<float>(end - start);
      temperature[v] = static_cast<float>(end);
      body(n, v, start, end);
    }
  }

  // The plain move of a run of one tissue where nothing vaporises (moveEach's second loop) with
  // the exponents of each voxel's mean temperature formed in the same pass (setRunExponents'
  // arithmetic, so the same bits): the run's temperatures are read once and no mean is stored.
  // Inlined into advance, whose wide clones then widen it.
  [[gnu::always_inline]] void moveWithExponents(std::size_t v0, std::size_t count,
                                                const float* __restrict endDeviation_K,
                                                const TissueCoefficients& t,
                                                Scratch& scratch) const {
    const double arterial = p_.arterialTemperature_degC;
    float* __restrict temperature = f_.state.temperature_degC.data() + v0;
    float* __restrict change = f_.lastChange_K.data() + v0;
    float* __restrict maximum = f_.maximum_degC.data() + v0;
    float* __restrict arrhenius = scratch.arrhenius.data();
    float* __restrict doublings = scratch.doublings.data();
    for (std::size_t n = 0; n < count; ++n) {
      const double start = temperature[n];
      const double end = arterial + endDeviation_K[n];
      change[n] = static_cast<float>(end - start);
      temperature[n] = static_cast<float>(end);
      maximum[n] = std::max(maximum[n], static_cast<float>(end));
      const double mean_degC = 0.5 * (start + end);
      arrhenius[n] = arrheniusExponent(t, mean_degC);
      doublings[n] = cem43Exponent(mean_degC);
    }
  }

  // move where nothing vaporises: moveEach's plain loop with move's body, the same arithmetic in
  // a loop of its own on unaliased rows, which the wide clones widen (the loop through moveEach's
  // lambda, on the fields' whole arrays, GCC left scalar). Inlined into move.
  [[gnu::always_inline]] void movePlainDeferred(std::size_t v0, std::size_t count,
                                                const float* __restrict endDeviation_K,
                                                double heldFor_s) const {
    const double arterial = p_.arterialTemperature_degC;
    float* __restrict temperature = f_.state.temperature_degC.data() + v0;
    float* __restrict change = f_.lastChange_K.data() + v0;
    float* __restrict maximum = f_.maximum_degC.data() + v0;
    float* __restrict excess = f_.doseExcess_Ks.data() + v0;
    const float* __restrict windowStart = f_.doseStart_degC.data() + v0;
    for (std::size_t n = 0; n < count; ++n) {
      const double start = temperature[n];
      const double end = arterial + endDeviation_K[n];
      change[n] = static_cast<float>(end - start);
      temperature[n] = static_cast<float>(end);
      maximum[n] = std::max(maximum[n], static_cast<float>(end));
      excess[n] += static_cast<float>(heldFor_s * (0.5 * (start + end) - double(windowStart[n])));
    }
  }

  // Whether voxels v0 .. v0 + count - 1 are all of one tissue (the common case).
  bool oneTissue(std::size_t v0, std::size_t count) const {
    const TissueIndex* tissue = grid_.tissue.data() + v0;
    return detail::oneTissue(tissue, tissue + count);
  }

  // Whether a voxel of the run ends above the vaporisation temperature (before the latent heat)
  // while the solver keeps a latent store: absorbLatentHeat's test.
  bool mayVaporise(std::size_t count, const float* endDeviation_K) const {
    if (f_.state.latentHeatLeft_J_m3.empty()) return false;
    const double arterial = p_.arterialTemperature_degC;
    const double vaporisation = p_.vaporisationTemperature_degC;
    // An int, not a bool: GCC widens an OR of ints, not of bools (the loop was scalar).
    int above = 0;  // (a temperature that is not a number takes absorbLatentHeat's path)
    for (std::size_t n = 0; n < count; ++n)
      above |= arterial + endDeviation_K[n] <= vaporisation ? 0 : 1;
    return above != 0;
  }

  // Voxel v to arterial + endDeviation_K, less the latent heat its water takes; the change goes
  // to lastChange_K. Returns the new temperature.
  double moveTo(std::size_t v, float endDeviation_K) const {
    const double start = f_.state.temperature_degC[v];
    double end = p_.arterialTemperature_degC + endDeviation_K;
    if (!f_.state.latentHeatLeft_J_m3.empty())
      end = absorbLatentHeat(end, p_.vaporisationTemperature_degC,
                             tissues_[grid_.tissue[v]].heatCapacityPerVolume_J_m3K,
                             f_.state.latentHeatLeft_J_m3[v]);
    f_.lastChange_K[v] = static_cast<float>(end - start);
    f_.state.temperature_degC[v] = static_cast<float>(end);
    return end;
  }

  // The exponents of arrheniusIncrement and cem43Increment_min at mean_degC, formed in double
  // (log(A) once per tissue) and rounded to float: within 6e-8 |exponent| of their values, so
  // the increments within 1e-6 relative up to 130 degC.
  static void setExponents(std::size_t n, const TissueCoefficients& t, double mean_degC,
                           Scratch& scratch) {
    scratch.arrhenius[n] = arrheniusExponent(t, mean_degC);
    scratch.doublings[n] = cem43Exponent(mean_degC);
  }
  [[gnu::always_inline]] static float arrheniusExponent(const TissueCoefficients& t,
                                                        double mean_degC) {
    return static_cast<float>(t.logArrheniusFactor -
                              t.activationEnergy_J_mol /
                                  (kGasConstant_J_molK * (mean_degC + kZeroCelsius_K)));
  }
  // The CEM43 exponent: doublings of the rate (R = 0.5 above 43 degC, 0.25 below; Sapareto and
  // Dewey 1984, as cem43Increment_min) times ln 2.
  [[gnu::always_inline]] static float cem43Exponent(double mean_degC) {
    // The factor picked, then one product (exact either way, so the bits of either branch): a
    // select of constants, which the loops widen; GCC widens no branch with arithmetic on both
    // sides (it may not raise floating-point flags the branch would not).
    const double doublings = (mean_degC >= 43.0 ? 1.0 : 2.0) * (mean_degC - 43.0);
    return static_cast<float>(doublings * std::numbers::ln2);
  }

  // The exponents of voxels v0 .. v0 + count - 1 at scratch.mean_degC: a run of one tissue (the
  // common case) with that tissue's constants, in a loop that vectorises.
  TWINPLAN_ABLATION_WIDE_LOOPS void setRunExponents(std::size_t v0, std::size_t count,
                                                    Scratch& scratch) const {
    const TissueIndex* tissue = grid_.tissue.data() + v0;
    if (oneTissue(v0, count)) {
      const TissueCoefficients& t = tissues_[tissue[0]];
      for (std::size_t n = 0; n < count; ++n) setExponents(n, t, scratch.mean_degC[n], scratch);
      return;
    }
    for (std::size_t n = 0; n < count; ++n)
      setExponents(n, tissues_[tissue[n]], scratch.mean_degC[n], scratch);
  }

  // Damage and CEM43 of voxels v0 .. v0 + count - 1 plus window_s at the rates of the exponents
  // in scratch: Eigen's vectorised exp (within a few ulp of std::exp) on the widest packets that
  // give the baseline's bits (src/dose_exp.h), fused with the sums.
  void addDose(std::size_t v0, std::size_t count, double window_s, Scratch& scratch) const {
    addDoseRow_(scratch.arrhenius.data(), scratch.doublings.data(), count,
                static_cast<float>(window_s), static_cast<float>(window_s / 60.0),
                f_.state.damage.data() + v0, f_.cem43_min.data() + v0);
  }

  const AblationGrid& grid_;
  const BioheatParameters& p_;
  const std::vector<TissueCoefficients>& tissues_;
  double step_s_;
  RunningFields& f_;
  std::vector<float> restingDamage_;
  float restingCem43_ = 0.0f;
  detail::AddDoseRow addDoseRow_;
};

// Writes the box's new deviations into the grid's temperature and adds the step's damage and
// CEM43 everywhere: at the step's mean temperature inside the box, and at arterial temperature
// outside it (the voxels there are within the warm threshold of it; the tissue's own rate,
// precomputed).
void advanceFields(const AblationGrid& grid, const BioheatParameters& p,
                   const std::vector<TissueCoefficients>& tissues, const Box& box,
                   const std::vector<float>& deviation, double step_s, RunningFields& f) {
  const ImageGeometry& g = grid.geometry;
  const FieldAdvance fields(grid, p, tissues, step_s, f);
  const auto nx = std::size_t(g.size[0]);
  parallel::parallelFor(
      {0, std::size_t(g.size[1] * g.size[2])}, 64, [&](parallel::IndexRange rows) {
        FieldAdvance::Scratch scratch;
        for (std::size_t row = rows.begin; row < rows.end; ++row) {
          const auto j = std::int64_t(row) % g.size[1], k = std::int64_t(row) / g.size[1];
          const std::size_t v0 = row * nx;
          if (!contains(box, box.lo[0], j, k)) {
            fields.rest(v0, nx);
            continue;
          }
          const auto lo = std::size_t(box.lo[0]), hi = std::size_t(box.hi[0]);
          const std::size_t n0 =
              std::size_t(box.extent(0) * ((j - box.lo[1]) + box.extent(1) * (k - box.lo[2])));
          fields.rest(v0, lo);
          fields.advance(v0 + lo, hi - lo, deviation.data() + n0, scratch);
          fields.rest(v0 + hi, nx - hi);
        }
      });
}

// body(i0, i1) for the voxel runs of row (j, k) outside `near` (i0 < i1).
template <class Body>
void forEachRunOutside(const Box& near, std::int64_t nx, std::int64_t j, std::int64_t k,
                       Body&& body) {
  if (!contains(near, near.lo[0], j, k)) {
    body(std::int64_t(0), nx);
    return;
  }
  if (near.lo[0] > 0) body(std::int64_t(0), near.lo[0]);
  if (near.hi[0] < nx) body(near.hi[0], nx);
}

// Where a run of voxels of a plane of cells takes its end deviations from: FarField::farPlanes()
// beyond the near region, FarField::interpolated() in it outside the fine box, the fine solve in
// the box.
enum class RunSource { FarPlanes, NearRegion, FineBox };

// The runs of voxels of the planes of cells, each with its end deviations.
class PlaneRuns {
 public:
  PlaneRuns(const ImageGeometry& g, const Box& box, const Box& near,
            const std::vector<float>& interpolated, const std::vector<float>& boxDeviation)
      : g_(g), box_(box), near_(near), interpolated_(interpolated), boxDeviation_(boxDeviation) {}

  const ImageGeometry& geometry() const { return g_; }
  // The near region: FarField::nearRegion() of the fine box.
  const Box& near() const { return near_; }

  // visit(v, count, end deviations, source) for every run of voxel planes first .. last - 1, in
  // the grid's order; far: farPlanes() of these planes, or null to leave out the runs beyond the
  // near region.
  template <class Visit>
  void forEach(std::int64_t first, std::int64_t last, const float* far, Visit&& visit) const {
    const std::int64_t nx = g_.size[0], ny = g_.size[1];
    for (std::int64_t k = first; k < last; ++k)
      for (std::int64_t j = 0; j < ny; ++j) {
        const std::size_t v0 = g_.linearIndex(0, j, k);
        auto run = [&](std::int64_t i0, std::int64_t i1, const float* end, RunSource source) {
          if (i1 > i0) visit(v0 + std::size_t(i0), std::size_t(i1 - i0), end, source);
        };
        if (far != nullptr) {
          const float* farRow = far + std::size_t(nx * (j + ny * (k - first)));
          forEachRunOutside(near_, nx, j, k, [&](std::int64_t i0, std::int64_t i1) {
            run(i0, i1, farRow + i0, RunSource::FarPlanes);
          });
        }
        if (contains(near_, near_.lo[0], j, k)) nearRow(j, k, v0, run);
      }
  }

 private:
  // The runs of row (j, k) inside the near region.
  template <class Run>
  void nearRow(std::int64_t j, std::int64_t k, std::size_t v0, Run& run) const {
    const float* near0 = interpolated_.data() + v0;  // the grid's row
    if (!contains(box_, box_.lo[0], j, k)) {
      run(near_.lo[0], near_.hi[0], near0 + near_.lo[0], RunSource::NearRegion);
      return;
    }
    const auto n0 =
        std::size_t(box_.extent(0) * ((j - box_.lo[1]) + box_.extent(1) * (k - box_.lo[2])));
    run(near_.lo[0], box_.lo[0], near0 + near_.lo[0], RunSource::NearRegion);
    run(box_.lo[0], box_.hi[0], boxDeviation_.data() + n0, RunSource::FineBox);
    run(box_.hi[0], near_.hi[0], near0 + box_.hi[0], RunSource::NearRegion);
  }

  const ImageGeometry& g_;
  const Box &box_, &near_;
  const std::vector<float>& interpolated_;
  const std::vector<float>& boxDeviation_;
};

// The voxels of cell plane ck beyond the near region `near` held their written temperature
// (farFieldStaleness_K) since farSettled_s: their windows add that time at it, up to until_s.
void settlePlane(const ImageGeometry& g, const Box& near, std::int64_t ck, double until_s,
                 const detail::FarField& farField, const FieldAdvance& fields, RunningFields& f) {
  double& settled_s = f.farSettled_s[std::size_t(ck)];
  if (settled_s >= until_s) return;
  const std::int64_t firstPlane = farField.firstPlane(ck);
  for (std::int64_t k = firstPlane; k < firstPlane + farField.planesOf(ck); ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      forEachRunOutside(near, g.size[0], j, k, [&](std::int64_t i0, std::int64_t i1) {
        fields.settle(g.linearIndex(i0, j, k), std::size_t(i1 - i0), until_s - settled_s);
      });
  settled_s = until_s;
}

// Before the dose windows of the voxels beyond the last near region (`lastNear`) close or the
// near region changes: every plane settles its held voxels up to start_s.
void settleHeldPlanes(const ImageGeometry& g, const Box& lastNear, double start_s,
                      detail::FarField& farField, const FieldAdvance& fields, RunningFields& f) {
  parallel::parallelFor(
      {0, std::size_t(farField.cellPlanes())}, 1, [&](parallel::IndexRange planes) {
        for (auto ck = std::int64_t(planes.begin); ck < std::int64_t(planes.end); ++ck)
          settlePlane(g, lastNear, ck, start_s, farField, fields, f);
      });
}

// Opens the deferred dose windows of the voxels outside this step's fine box
// (farFieldDeferredDose): at the first step every voxel's window opens at the step's start.
// When the box grows, the voxels it takes in close their windows at the step's start (from then
// on each step moves their dose). Should it ever not hold the last box (an empty box before),
// every window closes and all open again. Returns whether the box changed (the first step counts).
bool openDoseWindows(const AblationGrid& grid, const BioheatParameters& p,
                     const std::vector<TissueCoefficients>& tissues, const Box& box, double start_s,
                     detail::FarField& farField, RunningFields& f) {
  const ImageGeometry& g = grid.geometry;
  const std::int64_t nx = g.size[0], ny = g.size[1];
  const bool first = f.doseStart_degC.empty();
  if (!first && box == f.doseBox) return false;
  const FieldAdvance fields(grid, p, tissues, 0.0, f);
  if (!first) settleHeldPlanes(g, farField.nearRegion(f.doseBox), start_s, farField, fields, f);
  const bool grows = !first && detail::holds(box, f.doseBox);
  // Closes, at start_s, the windows of the voxels outside the last box: those the box took in,
  // or all of them.
  parallel::parallelFor(
      {0, std::size_t(farField.cellPlanes())}, 1, [&](parallel::IndexRange planes) {
        FieldAdvance::Scratch scratch;
        for (auto ck = std::int64_t(planes.begin); ck < std::int64_t(planes.end); ++ck) {
          const double window_s = first ? 0.0 : start_s - f.doseOpened_s[std::size_t(ck)];
          if (window_s <= 0.0) continue;
          const std::int64_t firstPlane = farField.firstPlane(ck);
          for (std::int64_t k = firstPlane; k < firstPlane + farField.planesOf(ck); ++k)
            for (std::int64_t j = 0; j < ny; ++j)
              forEachRunOutside(f.doseBox, nx, j, k, [&](std::int64_t i0, std::int64_t i1) {
                if (grows) {
                  // Only the voxels the box took in.
                  if (!contains(box, box.lo[0], j, k)) return;
                  i0 = std::max(i0, box.lo[0]);
                  i1 = std::min(i1, box.hi[0]);
                  if (i1 <= i0) return;
                }
                fields.closeDoseWindow(g.linearIndex(i0, j, k), std::size_t(i1 - i0), window_s,
                                       scratch);
              });
          // The voxels the box took in belong to cells it holds, whose perfusion the coarse step
          // does not use; otherwise every plane's damage changed.
          if (!grows) farField.markDamageChanged(ck);
        }
      });
  if (!grows) {
    f.doseStart_degC = f.state.temperature_degC;
    f.doseExcess_Ks.assign(f.doseStart_degC.size(), 0.0f);
    f.doseOpened_s.assign(std::size_t(farField.cellPlanes()), start_s);
  }
  if (first) {
    f.farSettled_s.assign(std::size_t(farField.cellPlanes()), start_s);
    f.farDrift_K.assign(std::size_t(farField.cellPlanes()), 0.0f);
  }
  f.doseBox = box;
  return true;
}

// One step of the fields with a far field, one plane of cells at a time
// (advanceFieldsInFarField).
class FarFieldFields {
 public:
  FarFieldFields(const BioheatParameters& p, const StepSpan& span, const FieldAdvance& fields,
                 const PlaneRuns& runs, bool boxChanged, detail::FarField& farField,
                 RunningFields& f)
      : p_(p),
        span_(span),
        fields_(fields),
        runs_(runs),
        boxChanged_(boxChanged),
        farField_(farField),
        f_(f) {}

  // Every voxel's temperature, maximum, damage and CEM43 at its mean over the step.
  void stepByStep(std::int64_t ck, std::vector<float>& far, FieldAdvance::Scratch& scratch) const {
    farField_.farPlanes(ck, runs_.near(), far);
    runs_.forEach(first(ck), last(ck), far.data(),
                  [&](std::size_t v, std::size_t count, const float* end, RunSource) {
                    fields_.advance(v, count, end, scratch);
                  });
    farField_.markDamageChanged(ck);
  }

  // With deferred dose (farFieldDeferredDose): a window never takes in a step that would move a
  // voxel by more than the drift from the window's start. Such a step closes the plane's windows
  // at its start, is taken as a step of its own, and the next windows open at its end. The
  // voxels beyond the near region are written only when the cells have moved them by more than
  // farFieldStaleness_K since the last write (or the drift or a stop asks).
  void deferred(std::int64_t ck, std::vector<float>& far, FieldAdvance::Scratch& scratch) const {
    const float nearDrift = largestDrift(ck, nullptr, RunSource::NearRegion);
    if (!mustWriteFar(ck, nearDrift)) {
      runs_.forEach(first(ck), last(ck), nullptr,
                    [&](std::size_t v, std::size_t count, const float* end, RunSource source) {
                      if (source == RunSource::FineBox)
                        fields_.advance(v, count, end, scratch);
                      else
                        fields_.move(v, count, end, span_.step_s);
                    });
      return;
    }
    farField_.farPlanes(ck, runs_.near(), far);
    const float farDrift = largestDrift(ck, far.data(), RunSource::FarPlanes);
    const bool stepOfItsOwn = std::max(nearDrift, farDrift) > p_.farFieldDoseDrift_K;
    double& opened_s = f_.doseOpened_s[std::size_t(ck)];
    if (stepOfItsOwn && opened_s < span_.start_s) closeWindowsAtStart(ck, far.data(), scratch);
    move(ck, far.data(), stepOfItsOwn, scratch);
    farField_.markPlaneWritten(ck);
    f_.farSettled_s[std::size_t(ck)] = span_.end_s;
    f_.farDrift_K[std::size_t(ck)] = farDrift;
    if (!stepOfItsOwn && !span_.closeDoseWindows) return;
    // The box's voxels belong to cells it holds (whole cells): only the windows' closing
    // changes the damage the coarse step's perfusion reads.
    farField_.markDamageChanged(ck);
    runs_.forEach(first(ck), last(ck), far.data(),
                  [&](std::size_t v, std::size_t count, const float*, RunSource source) {
                    if (source == RunSource::FineBox) return;
                    if (stepOfItsOwn)
                      fields_.restartDoseWindow(v, count);
                    else
                      fields_.closeDoseWindow(v, count, span_.end_s - opened_s, scratch);
                  });
    opened_s = span_.end_s;
    f_.farDrift_K[std::size_t(ck)] = 0.0f;
  }

 private:
  std::int64_t first(std::int64_t ck) const { return farField_.firstPlane(ck); }
  std::int64_t last(std::int64_t ck) const { return first(ck) + farField_.planesOf(ck); }

  // The largest drift of the plane's runs from `source` at their end values; far: farPlanes()
  // of the plane (needed for RunSource::FarPlanes).
  float largestDrift(std::int64_t ck, const float* far, RunSource source) const {
    float drift = 0.0f;
    runs_.forEach(first(ck), last(ck), far,
                  [&](std::size_t v, std::size_t count, const float* end, RunSource from) {
                    if (from == source)
                      drift = std::max(drift, fields_.largestDrift(v, count, end));
                  });
    return drift;
  }

  // Whether this step writes the plane's voxels beyond the near region: always without a
  // staleness, at a stop, when the fine box changed (the near region with it), when the cells
  // have moved them by more than the staleness since the last write, or when the drift of the
  // plane's windows could pass farFieldDoseDrift_K (as written plus that movement).
  bool mustWriteFar(std::int64_t ck, float nearDrift) const {
    if (!(p_.farFieldStaleness_K > 0.0) || span_.closeDoseWindows || boxChanged_) return true;
    if (nearDrift > p_.farFieldDoseDrift_K) return true;
    const double stale_K = farField_.planeStaleness_K(ck, runs_.near());
    return stale_K > p_.farFieldStaleness_K ||
           double(f_.farDrift_K[std::size_t(ck)]) + stale_K > p_.farFieldDoseDrift_K;
  }

  // A step of its own: the plane's windows outside the box close at the step's start (the
  // voxels beyond the near region first add the time they held their temperature).
  void closeWindowsAtStart(std::int64_t ck, const float* far,
                           FieldAdvance::Scratch& scratch) const {
    settlePlane(runs_.geometry(), runs_.near(), ck, span_.start_s, farField_, fields_, f_);
    const double opened_s = f_.doseOpened_s[std::size_t(ck)];
    runs_.forEach(first(ck), last(ck), far,
                  [&](std::size_t v, std::size_t count, const float*, RunSource source) {
                    if (source != RunSource::FineBox)
                      fields_.closeDoseWindow(v, count, span_.start_s - opened_s, scratch);
                  });
  }

  // The plane's voxels to their end values: a full step in the box or when the step is of its
  // own, else the temperature and maximum with the window's integral (beyond the near region
  // over the time since the last write).
  void move(std::int64_t ck, const float* far, bool stepOfItsOwn,
            FieldAdvance::Scratch& scratch) const {
    const double settled_s = f_.farSettled_s[std::size_t(ck)];
    // The step itself when the last step wrote the plane (its bits: the step's length).
    const double farHeldFor_s = settled_s < span_.start_s ? span_.end_s - settled_s : span_.step_s;
    runs_.forEach(first(ck), last(ck), far,
                  [&](std::size_t v, std::size_t count, const float* end, RunSource source) {
                    if (source == RunSource::FineBox || stepOfItsOwn)
                      fields_.advance(v, count, end, scratch);
                    else
                      fields_.move(v, count, end,
                                   source == RunSource::FarPlanes ? farHeldFor_s : span_.step_s);
                  });
  }

  const BioheatParameters& p_;
  const StepSpan& span_;
  const FieldAdvance& fields_;
  const PlaneRuns& runs_;
  bool boxChanged_;
  detail::FarField& farField_;
  RunningFields& f_;
};

// advanceFields with a far field (BioheatParameters::farField): outside the box the voxels go
// to the far field's temperature - FarField::interpolated() near the box, FarField::farPlanes()
// beyond - one plane of cells per task, with the step's damage and CEM43 at each voxel's mean.
// With a deferred dose the voxels outside the fine box move their temperature and maximum only;
// a plane of cells closes their dose windows when a step would move one of them by more than
// farFieldDoseDrift_K from its window's start, or when span.closeDoseWindows asks; its voxels
// beyond the near region keep their temperature until the cells have moved them by more than
// farFieldStaleness_K.
void advanceFieldsInFarField(const AblationGrid& grid, const BioheatParameters& p,
                             const std::vector<TissueCoefficients>& tissues, const Box& box,
                             const std::vector<float>& deviation, const StepSpan& span,
                             detail::FarField& farField, RunningFields& f) {
  const FieldAdvance fields(grid, p, tissues, span.step_s, f);
  const Box near = farField.nearRegion(box);
  const bool deferred = deferredDose(p);
  // Read on the deferred path only (FarFieldFields::mustWriteFar).
  const bool boxChanged =
      deferred && openDoseWindows(grid, p, tissues, box, span.start_s, farField, f);
  const PlaneRuns runs(grid.geometry, box, near, farField.interpolated(), deviation);
  const FarFieldFields planes(p, span, fields, runs, boxChanged, farField, f);
  // One plane of cells per task, with its own scratch.
  parallel::parallelFor(
      {0, std::size_t(farField.cellPlanes())}, 1, [&](parallel::IndexRange cellPlanes) {
        FieldAdvance::Scratch scratch;
        std::vector<float> far;
        for (auto ck = std::int64_t(cellPlanes.begin); ck < std::int64_t(cellPlanes.end); ++ck) {
          if (deferred)
            planes.deferred(ck, far, scratch);
          else
            planes.stepByStep(ck, far, scratch);
        }
      });
}

// The fraction of each voxel's water boiled off: 1 - latent heat left / latent heat at start
// (0 where the tissue holds no water or vaporisation is off).
std::vector<float> vaporisedFraction(const AblationGrid& grid,
                                     const std::vector<double>& latent_J_m3,
                                     const std::vector<float>& latentLeft_J_m3) {
  std::vector<float> fraction(grid.geometry.voxelCount(), 0.0f);
  if (latentLeft_J_m3.empty()) return fraction;
  for (std::size_t v = 0; v < fraction.size(); ++v) {
    const double initial = latent_J_m3[grid.tissue[v]];
    if (initial > 0.0) fraction[v] = static_cast<float>(1.0 - latentLeft_J_m3[v] / initial);
  }
  return fraction;
}

// Trilinear interpolation of the temperature at p_lps (inside the grid, checked by validate).
float temperatureAt(const ImageGeometry& g, const std::vector<float>& temperature,
                    const Vec3& p_lps) {
  const Vec3 ijk = g.lpsToIndex(p_lps);
  std::int64_t base[3];
  double weight[3];
  for (int a = 0; a < 3; ++a) {
    const double c = std::clamp(ijk[a], 0.0, double(g.size[a] - 1));
    base[a] = std::min<std::int64_t>(std::int64_t(std::floor(c)), g.size[a] - 2);
    weight[a] = c - double(base[a]);
  }
  double value = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    const int di = corner & 1, dj = (corner >> 1) & 1, dk = (corner >> 2) & 1;
    const double w = (di ? weight[0] : 1 - weight[0]) * (dj ? weight[1] : 1 - weight[1]) *
                     (dk ? weight[2] : 1 - weight[2]);
    value += w * temperature[g.linearIndex(base[0] + di, base[1] + dj, base[2] + dk)];
  }
  return static_cast<float>(value);
}

ScalarField field(const ImageGeometry& g, std::string name, std::string quantity, std::string unit,
                  std::vector<float> values) {
  return {std::move(name), std::move(quantity), std::move(unit), g, std::move(values)};
}

// Asks the source for the step's power and held voxels, and checks what it returns.
void querySource(const AblationGrid& grid, HeatSource& source, const ThermalState& state,
                 double step_s, std::vector<float>& power_W_m3,
                 std::vector<HeldTemperature>& held) {
  source.depositedPower(grid, state, step_s, power_W_m3);
  const std::size_t voxels = grid.geometry.voxelCount();
  if (power_W_m3.size() != voxels)
    throw Error(ErrorKind::Internal,
                "The heat source returned " + std::to_string(power_W_m3.size()) +
                    " power values for a grid of " + std::to_string(voxels) + " voxels.",
                "HeatSource::depositedPower");
  held = source.heldTemperatures(grid, state);
  for (const HeldTemperature& h : held)
    if (h.voxel >= voxels || !std::isfinite(h.temperature_degC))
      throw Error(ErrorKind::Internal,
                  "The heat source holds a voxel outside the grid or at a temperature that is "
                  "not a number.",
                  "HeatSource::heldTemperatures");
}

// What a step works in, kept from step to step so that steps do not allocate.
struct StepWorkspace {
  detail::StencilSystem system;
  detail::SolverWorkspace solver;
  std::vector<float> deviation, lag;
  // The fine box's faces to the far field, from the last pass's system (solveBox).
  std::vector<detail::BoxFace> faces;
  detail::HaloProperties halo;  // buildStepSystem's scratch
  // BioheatParameters::farField: made at the first step.
  std::optional<detail::FarField> farField;
  bool farFieldDecided = false;
};

// The active box from step to step, and the bounds of its error (AblationResult).
struct ActiveBoxBook {
  Box box;
  std::int64_t margin = 0;
  double largestPower_W = 0.0;  // the reference of the face-flow check
  double neglectedSource_J = 0.0, faceHeat_J = 0.0;
  int regrowths = 0;
  std::size_t largestVoxels = 0;
};

// The box's solve (Picard passes) into work.deviation; returns the CG iterations.
long long solveBox(const StepInputs& in, const Box& box, StepWorkspace& work, Progress& progress) {
  const BioheatParameters& p = *in.parameters;
  long long iterations = 0;
  if (box.voxelCount() == 0) {
    work.deviation.clear();
    work.faces.clear();
    return 0;
  }
  // work.deviation and work.faces are not cleared first: buildStepSystem writes every entry, and
  // clearing would have the calling thread zero the box's deviations on every step.
  detail::gatherDeviation(in, box, work.lag);
  const auto solve = p.redBlackSolver ? detail::solveRedBlack : detail::solveConjugateGradient;
  for (int pass = 0; pass < p.picardPasses; ++pass) {
    detail::buildStepSystem(in, box, work.lag, work.system, work.deviation, work.faces, work.halo);
    if (pass > 0) work.deviation = work.lag;  // warm start from the previous pass
    iterations += solve(work.system, work.deviation, p.solverTolerance_K, p.maxSolverIterations,
                        progress, work.solver)
                      .iterations;
    if (pass + 1 < p.picardPasses) work.lag = work.deviation;
  }
  return iterations;
}

bool wholeGrid(const Box& box, const ImageGeometry& g) {
  return box.lo == std::array<std::int64_t, 3>{0, 0, 0} &&
         box.hi == std::array<std::int64_t, 3>{g.size[0], g.size[1], g.size[2]};
}

// One step on a fine box inside a coarse far field (BioheatParameters::farField, far_field.h):
// the box, the coarse step, the fine box with the far field beyond its faces, refluxing, then
// the fields. The heat the box exchanges with the far field is kept, so nothing is booked as
// left out.
long long advanceStepWithFarField(const StepInputs& in, const StepSpan& span,
                                  const std::vector<TissueCoefficients>& tissues,
                                  ActiveBoxBook& book, RunningFields& fields, StepWorkspace& work,
                                  Progress& progress) {
  detail::FarField& farField = *work.farField;
  const BioheatParameters& p = *in.parameters;
  Box& box = book.box;
  box = farField.fineBox(in, box, book.margin + p.farFieldCoarsening, p.farFieldTolerance_K,
                         fields.state.temperature_degC);
  long long iterations = farField.solveCoarse(in, box, progress);
  StepInputs fine = in;
  fine.beyondBox_K = &farField.interpolated();
  iterations += solveBox(fine, box, work, progress);
  farField.absorbFine(fine, box, work.faces, work.deviation);
  book.largestVoxels = std::max(book.largestVoxels, box.voxelCount());
  advanceFieldsInFarField(*in.grid, p, tissues, box, work.deviation, span, farField, fields);
  return iterations;
}

// One step: the box, the solve, the face-flow check (which grows the box and solves again),
// then the fields.
long long advanceStep(const StepInputs& in, const StepSpan& span,
                      const std::vector<TissueCoefficients>& tissues, ActiveBoxBook& book,
                      RunningFields& fields, StepWorkspace& work, Progress& progress) {
  const BioheatParameters& p = *in.parameters;
  if (!work.farFieldDecided) {
    work.farFieldDecided = true;
    // With vessels too: the fine box holds every voxel of flowing blood (far_field.h).
    if (p.farField) work.farField.emplace(*in.grid, tissues, p.farFieldCoarsening);
  }
  if (work.farField)
    return advanceStepWithFarField(in, span, tissues, book, fields, work, progress);
  const ImageGeometry& g = in.grid->geometry;
  const double threshold_K = kWarmThresholdTolerances * p.solverTolerance_K;
  double totalPower_W = 0.0;
  Box& box = book.box;
  if (p.activeBox) {
    box = detail::activeBox(in, box, threshold_K, book.margin, totalPower_W);
  } else {
    box = detail::Box{{0, 0, 0}, {g.size[0], g.size[1], g.size[2]}};
  }
  book.largestPower_W = std::max(book.largestPower_W, std::abs(totalPower_W));
  long long iterations = solveBox(in, box, work, progress);
  double faceFlow_W = 0.0;
  while (box.voxelCount() > 0 && !wholeGrid(box, g)) {
    faceFlow_W = detail::boxFaceHeatFlow_W(in, box, work.deviation);
    if (faceFlow_W <= p.boxFaceFlowTolerance * book.largestPower_W) break;
    // Too much heat reaches the faces: a larger box now and for the steps after.
    constexpr std::int64_t kRegrowth = 2;
    book.margin += kRegrowth;
    box = detail::grownBox(box, g, kRegrowth);
    ++book.regrowths;
    iterations += solveBox(in, box, work, progress);
    faceFlow_W = 0.0;
  }
  book.faceHeat_J += faceFlow_W * in.step_s;
  book.neglectedSource_J += detail::powerOutsideBox_W(in, box, totalPower_W) * in.step_s;
  book.largestVoxels = std::max(book.largestVoxels, box.voxelCount());
  advanceFields(*in.grid, p, tissues, box, work.deviation, in.step_s, fields);
  return iterations;
}

}  // namespace

AblationResult simulateAblation(const AblationGrid& grid, HeatSource& source,
                                const BioheatParameters& p, Progress& progress) {
  p.validate(grid);
  progress.check();
  const ImageGeometry& g = grid.geometry;
  const std::vector<TissueCoefficients> tissues = tissueCoefficients(grid, p);
  const std::vector<float> wall = vesselWallCoefficients(grid, p);
  const auto arterial = static_cast<float>(p.arterialTemperature_degC);
  RunningFields fields;
  ThermalState& state = fields.state;
  state.temperature_degC.assign(g.voxelCount(), arterial);
  state.damage.assign(g.voxelCount(), 0.0f);
  fields.maximum_degC.assign(g.voxelCount(), arterial);
  fields.cem43_min.assign(g.voxelCount(), 0.0f);
  fields.lastChange_K.assign(g.voxelCount(), 0.0f);
  const std::vector<double> latent_J_m3 = latentHeatPerVolume(grid, p);
  if (p.waterVaporisation) {
    state.latentHeatLeft_J_m3.resize(g.voxelCount());
    for (std::size_t v = 0; v < g.voxelCount(); ++v)
      state.latentHeatLeft_J_m3[v] = static_cast<float>(latent_J_m3[grid.tissue[v]]);
  }
  AblationResult result;
  for (const Vec3& point : p.recordedPoints_lps) result.recorded.push_back({point, {}});
  // Steps of timeStep_s (the last shortened to end on duration_s); a stretched step ends on the
  // source's event.
  std::vector<float> power_W_m3;
  std::vector<HeldTemperature> held;
  ActiveBoxBook book;
  book.margin = boxMargin(grid, tissues, p.timeStep_s);
  StepWorkspace work;
  std::vector<double> heatCapacity_J_m3K;  // per tissue, for the vapour's condensation
  for (const TissueCoefficients& t : tissues)
    heatCapacity_J_m3K.push_back(t.heatCapacityPerVolume_J_m3K);
  std::vector<float> latentBefore_J_m3;
  double previousStep_s = p.timeStep_s;
  double previousPromise_s = -std::numeric_limits<double>::infinity();
  // Ends within a microsecond of duration_s count as the end (rounding of the step sums).
  constexpr double kTimeSlack_s = 1e-6;
  std::size_t nextSnapshot = 0;
  while (state.time_s < p.duration_s - kTimeSlack_s) {
    const double stop_s = nextSnapshot < p.zoneSnapshotTimes_s.size()
                              ? p.zoneSnapshotTimes_s[nextSnapshot]
                              : p.duration_s;
    const double baseStep_s = std::min(p.timeStep_s, stop_s - state.time_s);
    querySource(grid, source, state, baseStep_s, power_W_m3, held);
    // A promise is kept to once it has held for one base step: the fastest change follows the
    // power's own change (the hot spot at the electrode cools within seconds of a roll-off),
    // so the first step after it stays short.
    const double promise_s = source.powerUnchangedUntil_s();
    double step_s = promise_s == previousPromise_s
                        ? stretchedStep(p, state.time_s, baseStep_s, promise_s, stop_s)
                        : baseStep_s;
    previousPromise_s = promise_s;
    if (stop_s - (state.time_s + step_s) < kTimeSlack_s) step_s = stop_s - state.time_s;
    // A stretched step reaches further: its box grows by the difference of the margins for the
    // two step lengths, for this step only.
    const std::int64_t extraMargin =
        step_s > p.timeStep_s
            ? boxMargin(grid, tissues, step_s) - boxMargin(grid, tissues, p.timeStep_s)
            : 0;
    book.margin += extraMargin;
    const StepInputs in{&grid,
                        &p,
                        &tissues,
                        &wall,
                        &state.temperature_degC,
                        &state.damage,
                        &power_W_m3,
                        &held,
                        &fields.lastChange_K,
                        step_s,
                        std::min(1.0, step_s / previousStep_s)};
    const bool condensation = p.vapourCondensation && !state.latentHeatLeft_J_m3.empty();
    if (condensation) latentBefore_J_m3 = state.latentHeatLeft_J_m3;
    // The fields must be whole at a stop: the zone snapshot reads them, or the run ends.
    const StepSpan span{state.time_s, state.time_s + step_s, step_s,
                        stop_s - (state.time_s + step_s) < kTimeSlack_s};
    result.solverIterations += advanceStep(in, span, tissues, book, fields, work, progress);
    if (condensation)
      detail::condenseVapour(grid, latent_J_m3, heatCapacity_J_m3K, held, p, step_s,
                             latentBefore_J_m3, state.latentHeatLeft_J_m3, state.temperature_degC,
                             fields.maximum_degC, result.vapour);
    if (p.waterRehydration && !state.latentHeatLeft_J_m3.empty())
      detail::rehydrate(grid, latent_J_m3, held, state.temperature_degC, step_s,
                        state.latentHeatLeft_J_m3);
    book.margin -= extraMargin;
    state.time_s += step_s;
    result.time_s.push_back(state.time_s);
    result.deliveredPower_W.push_back(source.deliveredPower_W());
    result.deliveredEnergy_J += source.deliveredPower_W() * step_s;
    for (TemperatureHistory& history : result.recorded)
      history.temperature_degC.push_back(temperatureAt(g, state.temperature_degC, history.p_lps));
    ++result.steps;
    if (stop_s < p.duration_s && state.time_s >= stop_s - kTimeSlack_s) {
      result.zoneSnapshots.push_back(
          {stop_s, result.deliveredEnergy_J,
           ablationZone(state.damage, fields.maximum_degC, fields.cem43_min, p)});
      ++nextSnapshot;
    }
    previousStep_s = step_s;
    progress.report(std::min(1.0, state.time_s / p.duration_s),
                    "Simulating the ablation: " + std::to_string(std::lround(state.time_s)) +
                        " of " + std::to_string(std::lround(p.duration_s)) + " s");
    progress.check();
  }
  result.neglectedSourceEnergy_J = book.neglectedSource_J;
  result.boxFaceEnergy_J = book.faceHeat_J;
  result.boxRegrowths = book.regrowths;
  result.largestBoxVoxels = book.largestVoxels;
  const std::string at = std::to_string(int(std::lround(p.duration_s))) + " s";
  result.finalTemperature = field(g, "Temperature at " + at, "temperature", units::kDegreeCelsius,
                                  std::move(state.temperature_degC));
  result.maximumTemperature = field(g, "Maximum temperature", "temperature", units::kDegreeCelsius,
                                    std::move(fields.maximum_degC));
  result.damage = field(g, "Arrhenius damage (Omega)", "damage", units::kDimensionless,
                        std::move(state.damage));
  result.cem43 = field(g, "CEM43", "thermal dose", "min", std::move(fields.cem43_min));
  result.vaporisedWater = field(g, "Vaporised water", "water fraction", units::kDimensionless,
                                vaporisedFraction(grid, latent_J_m3, state.latentHeatLeft_J_m3));
  result.ablationZone = ablationZone(result, p);
  result.zoneVolume_ml = zoneVolume_ml(result.ablationZone, g);
  result.zoneAxes = measureZoneAxes(result.ablationZone, g);
  return result;
}

}  // namespace twinplan::ablation
