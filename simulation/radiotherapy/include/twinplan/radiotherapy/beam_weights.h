#pragma once
// Beam-weight optimisation against dose-volume objectives (issue #19 item 3), and
// normalisation of a plan to its prescription.
//
// Each objective is a one-sided quadratic penalty, the form of Bortfeld T, Stein J, Preiser K,
// "Clinically relevant intensity modulation optimization using physical criteria", XIIth ICCR
// 1997, and Wu Q, Mohan R, Med Phys 2000;27:701 (section II.B), averaged over the structure's
// voxels and multiplied by its importance:
//   min dose d:  mean over voxels of max(0, d - D_i)^2
//   max dose d:  mean of max(0, D_i - d)^2
//   max (min) mean dose d: max(0, mean - d)^2 (max(0, d - mean)^2)
//   min DVH, D_v >= d (at least v % of the volume gets d): mean over the voxels with
//     D_v <= D_i < d of (d - D_i)^2 (the coldest voxels that must be raised; Wu & Mohan eq. 3)
//   max DVH, V_d <= v % (at most v % of the volume gets more than d): mean over the voxels
//     with d < D_i <= D_v of (D_i - d)^2 (the coolest voxels above d, which are cheapest to lower)
// The dose is linear in the weights (D_i = sum_b w_b D_b,i with D_b the dose of beam b per unit
// weight), so within a fixed set of active voxels the total is a quadratic in w: it is minimised
// by projected Gauss-Newton steps on w >= 0 (Bertsekas DP, "Projected Newton methods for
// optimization problems with simple constraints", SIAM J Control Optim 1982;20:221) with an
// Armijo line search; the voxel sums run on core/parallel.h's deterministic reduction.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::radiotherapy {

enum class ObjectiveKind { MinDose, MaxDose, MinMeanDose, MaxMeanDose, MinDvh, MaxDvh };
// "min_dose", "max_dose", "min_mean_dose", "max_mean_dose", "min_dvh", "max_dvh";
// Error(InvalidInput) listing them for anything else.
ObjectiveKind objectiveKindFromString(std::string_view name);
std::string_view toString(ObjectiveKind kind);

struct DoseObjective {
  std::string structure;
  ObjectiveKind kind = ObjectiveKind::MinDose;
  double dose_Gy = 0.0;
  double volume_percent = 0.0;  // DVH objectives: v of D_v or V_d, in (0, 100)
  double importance = 1.0;      // >= 0
};

// A structure's voxels on the dose grid (linear indices), e.g. the PTV or an organ at risk.
struct PlanningStructure {
  std::string name;
  std::vector<std::size_t> voxels;
};

struct BeamWeightOptions {
  int maxIterations = 200;
  double relativeTolerance = 1e-12;    // stop when the objective falls by less than this
  std::vector<double> initialWeights;  // empty: 1 for every beam
};

struct ObjectiveValue {
  DoseObjective objective;
  double achieved = 0.0;  // Gy (min, max, mean, D_v) or % (V_d)
  double penalty = 0.0;   // its share of the objective, importance included
  bool met = false;       // achieved on the right side of the goal
};

struct BeamWeightResult {
  std::vector<double> weights;
  double objective = 0.0;
  int iterations = 0;
  std::vector<ObjectiveValue> values;
};

// Minimises the sum of the objectives' penalties over w >= 0. `beamDoses` are the doses per
// unit weight, all on one grid. Error(InvalidInput) for no beams, doses on different grids, an
// objective naming a structure that is not given or empty, a negative importance or dose, or a
// DVH volume outside (0, 100). Cancellable between iterations.
BeamWeightResult optimiseBeamWeights(std::span<const ScalarField> beamDoses,
                                     std::span<const PlanningStructure> structures,
                                     std::span<const DoseObjective> objectives,
                                     const BeamWeightOptions& options = {},
                                     Progress& progress = noProgress());

// The objectives' values for given weights (what optimiseBeamWeights reports).
std::vector<ObjectiveValue> evaluateObjectives(std::span<const ScalarField> beamDoses,
                                               std::span<const PlanningStructure> structures,
                                               std::span<const DoseObjective> objectives,
                                               std::span<const double> weights);

// Plan normalisation: the structure's mean, or its D_v (v % of its volume receives at least
// it; D50 is the median, which ICRU Report 83 (2010) section 3.7 recommends reporting), or the
// dose at one voxel (a reference point, ICRU 50), equal to `dose_Gy`.
enum class NormalisationMetric { Mean, Dv, Point };
struct Normalisation {
  std::string structure;
  NormalisationMetric metric = NormalisationMetric::Dv;
  double volume_percent = 50.0;  // Dv
  std::size_t voxel = 0;         // Point: the linear index on the dose grid
  double dose_Gy = 0.0;
};

// The metric of `normalisation` for the dose sum_b w_b D_b.
double normalisationMetric(std::span<const ScalarField> beamDoses,
                           std::span<const PlanningStructure> structures,
                           const Normalisation& normalisation, std::span<const double> weights);
// The weights scaled so that the metric equals the prescription exactly (the dose is linear in
// the weights). Error(InvalidInput) when the metric is 0 (nothing to scale) or the structure
// is missing.
std::vector<double> normaliseWeights(std::span<const ScalarField> beamDoses,
                                     std::span<const PlanningStructure> structures,
                                     const Normalisation& normalisation,
                                     std::span<const double> weights);

// D_v of a set of doses: the dose that v % of them reach or exceed (nearest rank).
double doseAtVolume(std::vector<double> doses, double volume_percent);

}  // namespace twinplan::radiotherapy
