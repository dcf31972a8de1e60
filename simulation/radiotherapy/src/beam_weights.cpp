#include "twinplan/radiotherapy/beam_weights.h"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::radiotherapy {
namespace {

constexpr std::array<std::pair<ObjectiveKind, std::string_view>, 6> kKinds{{
    {ObjectiveKind::MinDose, "min_dose"},
    {ObjectiveKind::MaxDose, "max_dose"},
    {ObjectiveKind::MinMeanDose, "min_mean_dose"},
    {ObjectiveKind::MaxMeanDose, "max_mean_dose"},
    {ObjectiveKind::MinDvh, "min_dvh"},
    {ObjectiveKind::MaxDvh, "max_dvh"},
}};

[[noreturn]] void invalid(const std::string& sentence, const std::string& context) {
  throw Error(ErrorKind::InvalidInput, sentence, context);
}

bool isDvh(ObjectiveKind k) { return k == ObjectiveKind::MinDvh || k == ObjectiveKind::MaxDvh; }

// The beams' doses, checked: one grid, at least one beam.
void checkBeams(std::span<const ScalarField> beams) {
  if (beams.empty()) invalid("Beam-weight optimisation needs at least one beam dose.", "beams");
  for (const ScalarField& b : beams)
    if (!b.geometry.sameGridAs(beams.front().geometry) ||
        b.values.size() != beams.front().geometry.voxelCount())
      invalid("The beam doses \"" + beams.front().name + "\" and \"" + b.name +
                  "\" are on different grids; compute every beam on one dose grid.",
              "beams");
}

const PlanningStructure& structureNamed(std::span<const PlanningStructure> structures,
                                        const std::string& name, std::size_t voxelCount) {
  for (const PlanningStructure& s : structures)
    if (s.name == name) {
      if (s.voxels.empty())
        invalid("The structure \"" + name + "\" has no voxel on the dose grid.", name);
      for (std::size_t v : s.voxels)
        if (v >= voxelCount)
          invalid("The structure \"" + name + "\" lies off the dose grid.", name);
      return s;
    }
  invalid("No structure is named \"" + name + "\"; objectives must name a given structure.", name);
}

void checkObjective(const DoseObjective& o) {
  if (!(o.importance >= 0.0) || !std::isfinite(o.importance))
    invalid("The objective on \"" + o.structure + "\" has a negative importance.", o.structure);
  if (!(o.dose_Gy >= 0.0) || !std::isfinite(o.dose_Gy))
    invalid("The objective on \"" + o.structure + "\" has a negative dose.", o.structure);
  if (isDvh(o.kind) && !(o.volume_percent > 0.0 && o.volume_percent < 100.0))
    invalid("The DVH objective on \"" + o.structure + "\" needs a volume in (0, 100) %.",
            o.structure);
}

// The dose of the weighted beams at the structure's voxels.
std::vector<double> structureDose(std::span<const ScalarField> beams, const PlanningStructure& s,
                                  std::span<const double> w) {
  std::vector<double> dose(s.voxels.size(), 0.0);
  parallel::parallelFor({0, dose.size()}, 4096, [&](parallel::IndexRange r) {
    for (std::size_t i = r.begin; i < r.end; ++i)
      for (std::size_t b = 0; b < beams.size(); ++b) dose[i] += w[b] * beams[b].values[s.voxels[i]];
  });
  return dose;
}

// Penalty, gradient and Gauss-Newton Hessian of the whole objective at w.
struct Local {
  double f = 0.0;
  Eigen::VectorXd g;
  Eigen::MatrixXd h;
  Local() = default;
  explicit Local(Eigen::Index n) : g(Eigen::VectorXd::Zero(n)), h(Eigen::MatrixXd::Zero(n, n)) {}
  Local& operator+=(const Local& o) {
    f += o.f, g += o.g, h += o.h;
    return *this;
  }
};

// The voxels' one-sided residuals r_i (the penalty is scale x sum r_i^2), for voxel objectives.
double voxelResidual(const DoseObjective& o, double d, double dv) {
  switch (o.kind) {
    case ObjectiveKind::MinDose:
      return std::max(0.0, o.dose_Gy - d);
    case ObjectiveKind::MaxDose:
      return std::min(0.0, o.dose_Gy - d);
    case ObjectiveKind::MinDvh:
      return (d >= dv && d < o.dose_Gy) ? o.dose_Gy - d : 0.0;
    case ObjectiveKind::MaxDvh:
      return (d > o.dose_Gy && d <= dv) ? o.dose_Gy - d : 0.0;
    default:
      return 0.0;
  }
}

Local objectiveTerms(std::span<const ScalarField> beams, const PlanningStructure& s,
                     const DoseObjective& o, std::span<const double> w) {
  const auto n = static_cast<Eigen::Index>(beams.size());
  const std::vector<double> dose = structureDose(beams, s, w);
  const double count = static_cast<double>(dose.size());
  auto beamColumn = [&](std::size_t i) {
    Eigen::VectorXd a(n);
    for (Eigen::Index b = 0; b < n; ++b)
      a[b] = beams[static_cast<std::size_t>(b)].values[s.voxels[i]];
    return a;
  };
  if (o.kind == ObjectiveKind::MinMeanDose || o.kind == ObjectiveKind::MaxMeanDose) {
    double mean = 0.0;
    Eigen::VectorXd m = Eigen::VectorXd::Zero(n);
    for (std::size_t i = 0; i < dose.size(); ++i) mean += dose[i], m += beamColumn(i);
    mean /= count, m /= count;
    const double r = o.kind == ObjectiveKind::MinMeanDose ? std::max(0.0, o.dose_Gy - mean)
                                                          : std::min(0.0, o.dose_Gy - mean);
    Local t(n);
    if (r == 0.0) return t;
    t.f = o.importance * r * r;
    t.g = -2.0 * o.importance * r * m;
    t.h = 2.0 * o.importance * m * m.transpose();
    return t;
  }
  const double dv = isDvh(o.kind) ? doseAtVolume(dose, o.volume_percent) : 0.0;
  const double scale = o.importance / count;
  return parallel::parallelReduce(
      parallel::IndexRange{0, dose.size()}, 2048, Local(n),
      [&](parallel::IndexRange r) {
        Local t(n);
        for (std::size_t i = r.begin; i < r.end; ++i) {
          const double res = voxelResidual(o, dose[i], dv);
          if (res == 0.0) continue;
          const Eigen::VectorXd a = beamColumn(i);
          t.f += scale * res * res;
          t.g -= 2.0 * scale * res * a;
          t.h += 2.0 * scale * a * a.transpose();
        }
        return t;
      },
      [](Local acc, Local block) { return acc += block; });
}

Local totalTerms(std::span<const ScalarField> beams, std::span<const PlanningStructure> structures,
                 std::span<const DoseObjective> objectives, std::span<const double> w) {
  Local total(static_cast<Eigen::Index>(beams.size()));
  const std::size_t voxels = beams.front().geometry.voxelCount();
  for (const DoseObjective& o : objectives)
    total += objectiveTerms(beams, structureNamed(structures, o.structure, voxels), o, w);
  return total;
}

std::vector<double> toVector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

}  // namespace

ObjectiveKind objectiveKindFromString(std::string_view name) {
  for (const auto& [kind, n] : kKinds)
    if (n == name) return kind;
  invalid("The objective \"" + std::string(name) +
              "\" is not one of min_dose, max_dose, min_mean_dose, max_mean_dose, min_dvh, "
              "max_dvh.",
          "type");
}

std::string_view toString(ObjectiveKind kind) {
  for (const auto& [k, n] : kKinds)
    if (k == kind) return n;
  return "min_dose";
}

double doseAtVolume(std::vector<double> doses, double volume_percent) {
  if (doses.empty()) return 0.0;
  // Nearest rank: the k-th highest dose, k = ceil(v N / 100).
  const auto n = doses.size();
  const auto k = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::ceil(volume_percent / 100.0 * static_cast<double>(n) - 1e-9)),
      1, n);
  std::nth_element(doses.begin(), doses.begin() + static_cast<std::ptrdiff_t>(k - 1), doses.end(),
                   std::greater<>());
  return doses[k - 1];
}

std::vector<ObjectiveValue> evaluateObjectives(std::span<const ScalarField> beams,
                                               std::span<const PlanningStructure> structures,
                                               std::span<const DoseObjective> objectives,
                                               std::span<const double> w) {
  checkBeams(beams);
  // Met within a micro-gray (a millionth of a percent for V_d): float doses, exact goals.
  constexpr double kTol = 1e-6;
  std::vector<ObjectiveValue> values;
  const std::size_t voxels = beams.front().geometry.voxelCount();
  for (const DoseObjective& o : objectives) {
    checkObjective(o);
    const PlanningStructure& s = structureNamed(structures, o.structure, voxels);
    const std::vector<double> dose = structureDose(beams, s, w);
    ObjectiveValue v{o, 0.0, objectiveTerms(beams, s, o, w).f, false};
    switch (o.kind) {
      case ObjectiveKind::MinDose:
        v.achieved = *std::min_element(dose.begin(), dose.end());
        v.met = v.achieved >= o.dose_Gy - kTol;
        break;
      case ObjectiveKind::MaxDose:
        v.achieved = *std::max_element(dose.begin(), dose.end());
        v.met = v.achieved <= o.dose_Gy + kTol;
        break;
      case ObjectiveKind::MinMeanDose:
      case ObjectiveKind::MaxMeanDose: {
        double sum = 0.0;
        for (double d : dose) sum += d;
        v.achieved = sum / static_cast<double>(dose.size());
        v.met = o.kind == ObjectiveKind::MinMeanDose ? v.achieved >= o.dose_Gy - kTol
                                                     : v.achieved <= o.dose_Gy + kTol;
        break;
      }
      case ObjectiveKind::MinDvh:
        v.achieved = doseAtVolume(dose, o.volume_percent);
        v.met = v.achieved >= o.dose_Gy - kTol;
        break;
      case ObjectiveKind::MaxDvh: {
        const auto above =
            std::count_if(dose.begin(), dose.end(), [&](double d) { return d > o.dose_Gy; });
        v.achieved = 100.0 * static_cast<double>(above) / static_cast<double>(dose.size());
        v.met = v.achieved <= o.volume_percent + kTol;
        break;
      }
    }
    values.push_back(v);
  }
  return values;
}

BeamWeightResult optimiseBeamWeights(std::span<const ScalarField> beams,
                                     std::span<const PlanningStructure> structures,
                                     std::span<const DoseObjective> objectives,
                                     const BeamWeightOptions& options, Progress& progress) {
  checkBeams(beams);
  if (objectives.empty())
    invalid("Beam-weight optimisation needs at least one objective.", "objectives");
  const std::size_t voxels = beams.front().geometry.voxelCount();
  for (const DoseObjective& o : objectives) {
    checkObjective(o);
    structureNamed(structures, o.structure, voxels);
  }
  const auto n = static_cast<Eigen::Index>(beams.size());
  Eigen::VectorXd w = Eigen::VectorXd::Ones(n);
  if (!options.initialWeights.empty()) {
    if (options.initialWeights.size() != beams.size())
      invalid("The initial weights are " + std::to_string(options.initialWeights.size()) + " for " +
                  std::to_string(beams.size()) + " beams.",
              "initialWeights");
    for (Eigen::Index b = 0; b < n; ++b)
      w[b] = std::max(0.0, options.initialWeights[static_cast<std::size_t>(b)]);
  }
  BeamWeightResult result;
  Local at = totalTerms(beams, structures, objectives, toVector(w));
  for (int it = 0; it < options.maxIterations; ++it) {
    progress.check();
    progress.report(static_cast<double>(it) / options.maxIterations, "Optimising beam weights");
    result.iterations = it + 1;
    // Free variables: not held at the bound w = 0 by a gradient pushing them below it.
    // (Bertsekas' epsilon-active set: a weight within epsilon of 0 that the gradient pushes
    // down is held, and taken to 0 by the step.)
    const double epsilon = 1e-9 * std::max(w.maxCoeff(), 1e-300);
    std::vector<Eigen::Index> free;
    for (Eigen::Index b = 0; b < n; ++b)
      if (w[b] > epsilon || at.g[b] < 0.0) free.push_back(b);
    if (at.f == 0.0) break;
    if (free.empty()) {
      w.setZero();
      at = totalTerms(beams, structures, objectives, toVector(w));
      break;
    }
    const auto nf = static_cast<Eigen::Index>(free.size());
    Eigen::MatrixXd hf(nf, nf);
    Eigen::VectorXd gf(nf);
    for (Eigen::Index i = 0; i < nf; ++i) {
      gf[i] = at.g[free[static_cast<std::size_t>(i)]];
      for (Eigen::Index j = 0; j < nf; ++j)
        hf(i, j) = at.h(free[static_cast<std::size_t>(i)], free[static_cast<std::size_t>(j)]);
    }
    // A small ridge keeps the step defined where a beam does not reach the active voxels.
    hf.diagonal().array() += 1e-12 * std::max(1.0, hf.diagonal().maxCoeff());
    const Eigen::VectorXd pf = hf.ldlt().solve(-gf);
    Eigen::VectorXd step = -w;  // held weights go to 0
    for (Eigen::Index i = 0; i < nf; ++i) step[free[static_cast<std::size_t>(i)]] = pf[i];
    if (!(at.g.dot(step) < 0.0)) step = -at.g;  // not a descent direction: steepest descent
    double alpha = 1.0;
    bool moved = false;
    for (int k = 0; k < 60; ++k, alpha *= 0.5) {
      const Eigen::VectorXd trial = (w + alpha * step).cwiseMax(0.0);
      const Local next = totalTerms(beams, structures, objectives, toVector(trial));
      if (next.f <= at.f + 1e-4 * at.g.dot(trial - w)) {
        const double drop = at.f - next.f;
        w = trial, at = next, moved = true;
        if (drop <= options.relativeTolerance * std::max(at.f, 1e-300)) alpha = 0.0;
        break;
      }
    }
    if (!moved || alpha == 0.0) break;
  }
  result.weights = toVector(w);
  result.objective = at.f;
  result.values = evaluateObjectives(beams, structures, objectives, result.weights);
  progress.report(1.0, "Optimising beam weights");
  return result;
}

double normalisationMetric(std::span<const ScalarField> beams,
                           std::span<const PlanningStructure> structures, const Normalisation& nm,
                           std::span<const double> w) {
  checkBeams(beams);
  if (w.size() != beams.size())
    invalid("There are " + std::to_string(w.size()) + " weights for " +
                std::to_string(beams.size()) + " beams.",
            "weights");
  if (nm.metric == NormalisationMetric::Point) {
    if (nm.voxel >= beams.front().values.size())
      invalid("The normalisation point lies off the dose grid.", "normalisation");
    double d = 0.0;
    for (std::size_t b = 0; b < beams.size(); ++b) d += w[b] * beams[b].values[nm.voxel];
    return d;
  }
  const PlanningStructure& s =
      structureNamed(structures, nm.structure, beams.front().geometry.voxelCount());
  const std::vector<double> dose = structureDose(beams, s, w);
  if (nm.metric == NormalisationMetric::Dv) {
    if (!(nm.volume_percent > 0.0 && nm.volume_percent <= 100.0))
      invalid("The normalisation volume must be in (0, 100] %.", "normalisation");
    return doseAtVolume(dose, nm.volume_percent);
  }
  double sum = 0.0;
  for (double d : dose) sum += d;
  return sum / static_cast<double>(dose.size());
}

std::vector<double> normaliseWeights(std::span<const ScalarField> beams,
                                     std::span<const PlanningStructure> structures,
                                     const Normalisation& nm, std::span<const double> w) {
  const double metric = normalisationMetric(beams, structures, nm, w);
  if (!(metric > 0.0))
    invalid("The plan gives no dose to normalise at \"" + nm.structure +
                "\"; check the beams reach it.",
            "normalisation");
  if (!(nm.dose_Gy > 0.0)) invalid("The prescription dose must be above 0 Gy.", "prescription");
  std::vector<double> scaled(w.begin(), w.end());
  for (double& x : scaled) x *= nm.dose_Gy / metric;
  return scaled;
}

}  // namespace twinplan::radiotherapy
