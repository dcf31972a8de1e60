#include "twinplan/glioma/calibration.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "twinplan/core/error.h"

namespace twinplan::glioma {
namespace {

constexpr double kSoftHalfWidth = 0.03;  // of the soft visibility ramp, in density
constexpr double kHessianStep = 0.05;    // in log parameters: 5 % steps
constexpr double kFailedFit = 1e9;       // negative log posterior of a seed that never grew

double soft(double density, double threshold) {
  return std::clamp((density - threshold + kSoftHalfWidth) / (2 * kSoftHalfWidth), 0.0, 1.0);
}

double softVolume_ml(const BrainDomain& domain, std::span<const double> density) {
  double sum = 0.0;
  for (double c : density) sum += soft(c, kT1GadoliniumThreshold);
  return sum * domain.voxelVolume_ml();
}

double maskVolume_ml(const BrainDomain& domain, std::span<const std::uint8_t> mask) {
  return static_cast<double>(
             std::count_if(mask.begin(), mask.end(), [](std::uint8_t m) { return m != 0; })) *
         domain.voxelVolume_ml();
}

double equivalentRadius_mm(double volume_ml) {
  return std::cbrt(3.0 * volume_ml * 1000.0 / (4.0 * std::numbers::pi));
}

// Deterministic standard normals: splitmix64 (Steele, Lea, Flood, OOPSLA 2014) and Box-Muller.
class NormalStream {
 public:
  explicit NormalStream(std::uint64_t seed) : state_(seed) {}
  double next() {
    const double u1 = (static_cast<double>(bits() >> 11) + 0.5) / 9007199254740992.0;
    const double u2 = (static_cast<double>(bits() >> 11) + 0.5) / 9007199254740992.0;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::uint64_t bits() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t state_;
};

void validateScans(const BrainDomain& domain, std::span<const ObservedScan> scans) {
  if (scans.size() < 2)
    throw Error(ErrorKind::InvalidInput,
                "Calibrating the glioma twin needs at least two segmented scans; " +
                    std::to_string(scans.size()) + " given.");
  for (std::size_t s = 0; s < scans.size(); ++s) {
    const auto& scan = scans[s];
    if (scan.enhancing.size() != domain.tissue.size() ||
        (!scan.oedema.empty() && scan.oedema.size() != domain.tissue.size()))
      throw Error(ErrorKind::InvalidInput,
                  "The tumour masks of scan " + std::to_string(s + 1) +
                      " are not on the glioma model grid; sample them onto it first.");
    if (s > 0 && !(scan.day > scans[s - 1].day))
      throw Error(ErrorKind::InvalidInput,
                  "The scans must be in time order with distinct days (scan " +
                      std::to_string(s + 1) + " is on day " + std::to_string(scan.day) + ").");
  }
  if (scans.front().day != 0.0)
    throw Error(ErrorKind::InvalidInput,
                "The first scan is day 0: give later days relative to it.");
  if (maskVolume_ml(domain, scans.front().enhancing) <= 0.0)
    throw Error(ErrorKind::InvalidInput,
                "The first scan shows no enhancing tumour: the glioma twin starts from it.");
}

struct Event {
  double day;
  int scan;  // >= 0: record scan `scan`; -1: deliver a fraction
};

}  // namespace

std::vector<double> fractionDays(const TreatmentCourse& course) {
  course.regimen.validate();
  if (course.fractionsPerWeek < 1 || course.fractionsPerWeek > 7)
    throw Error(ErrorKind::InvalidInput, "A course has 1 to 7 fractions a week.",
                std::to_string(course.fractionsPerWeek));
  std::vector<double> days;
  for (int f = 0; f < course.regimen.fractions; ++f)
    days.push_back(course.startDay + 7.0 * (f / course.fractionsPerWeek) +
                   static_cast<double>(f % course.fractionsPerWeek));
  return days;
}

Vec3 seedCentre(const BrainDomain& domain, const ObservedScan& first) {
  const auto& g = domain.geometry;
  const auto ijkOf = [&](std::size_t n) {
    const auto idx = static_cast<std::int64_t>(n);
    return Vec3(static_cast<double>(idx % g.size[0]),
                static_cast<double>((idx / g.size[0]) % g.size[1]),
                static_cast<double>(idx / (g.size[0] * g.size[1])));
  };
  Vec3 sum = Vec3::Zero();
  double count = 0;
  for (std::size_t n = 0; n < first.enhancing.size(); ++n)
    if (first.enhancing[n]) sum += ijkOf(n), count += 1;
  if (count == 0) throw Error(ErrorKind::InvalidInput, "The first scan shows no enhancing tumour.");
  const Vec3 centroid = sum / count;
  double best = std::numeric_limits<double>::infinity();
  Vec3 nearest = centroid;
  for (std::size_t n = 0; n < domain.tissue.size(); ++n) {
    if (domain.tissue[n] == BrainTissue::NoBrain) continue;
    const double d = (ijkOf(n) - centroid).squaredNorm();
    if (d < best) best = d, nearest = ijkOf(n);
  }
  if (!std::isfinite(best))
    throw Error(ErrorKind::InvalidInput, "The glioma model grid holds no brain.");
  return g.indexToLps(nearest);
}

double softDice(std::span<const double> density, double threshold,
                std::span<const std::uint8_t> observed) {
  double overlap = 0, model = 0, seen = 0;
  for (std::size_t n = 0; n < density.size(); ++n) {
    const double s = soft(density[n], threshold);
    model += s;
    const double inside = observed[n] ? 1.0 : 0.0;
    seen += inside;
    overlap += s * inside;
  }
  return model + seen > 0 ? 2 * overlap / (model + seen) : 1.0;
}

std::optional<std::vector<std::vector<double>>> simulateScans(
    const BrainDomain& domain, const GrowthParameters& parameters, const Vec3& seed_lps,
    std::span<const ObservedScan> scans, const std::optional<TreatmentCourse>& course,
    const CalibrationOptions& options, Progress& progress) {
  validateScans(domain, scans);
  const ProliferationInvasion model(domain, parameters, options.solver);
  std::vector<double> density =
      seedDensity(domain, seed_lps, options.seedPeak, options.seedSigma_mm);
  // Grow the seed to the first scan's enhancing volume, then interpolate within the last step.
  const double target_ml = maskVolume_ml(domain, scans.front().enhancing);
  double volume_ml = softVolume_ml(domain, density);
  std::vector<double> previous;
  double previousVolume_ml = volume_ml;
  for (double days = 0; volume_ml < target_ml; days += options.solver.step_days) {
    if (days > options.maxGrowth_days) return std::nullopt;
    progress.check();
    previous = density;
    previousVolume_ml = volume_ml;
    model.advance(density, options.solver.step_days);
    volume_ml = softVolume_ml(domain, density);
  }
  if (!previous.empty() && volume_ml > previousVolume_ml) {
    const double f = (target_ml - previousVolume_ml) / (volume_ml - previousVolume_ml);
    for (std::size_t n = 0; n < density.size(); ++n)
      density[n] = (1 - f) * previous[n] + f * density[n];
  }
  // Then on to each scan, with the fractions in between (a scan on a treatment day comes first).
  std::vector<Event> events;
  for (std::size_t s = 1; s < scans.size(); ++s)
    events.push_back({scans[s].day, static_cast<int>(s)});
  std::vector<double> dose;
  if (course) {
    if (course->startDay < 0)
      throw Error(ErrorKind::InvalidInput,
                  "Radiotherapy before the first scan is not modelled: the twin starts at it.");
    for (double day : fractionDays(*course))
      if (day < scans.back().day) events.push_back({day, -1});
    const double perFraction_Gy = course->regimen.dosePerFraction_Gy();
    if (course->relativeDose.empty()) {
      dose.assign(density.size(), perFraction_Gy);
    } else {
      if (course->relativeDose.size() != density.size())
        throw Error(ErrorKind::InvalidInput,
                    "The dose map is not on the glioma model grid; sample it onto it first.");
      dose.resize(density.size());
      for (std::size_t n = 0; n < dose.size(); ++n)
        dose[n] = course->relativeDose[n] * perFraction_Gy;
    }
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.day < b.day || (a.day == b.day && a.scan >= 0 && b.scan < 0);
  });
  std::vector<std::vector<double>> atScans{density};
  double now = 0.0;
  for (const Event& event : events) {
    progress.check();
    model.advance(density, event.day - now);
    now = event.day;
    if (event.scan >= 0)
      atScans.push_back(density);
    else
      model.irradiate(density, dose);
  }
  return atScans;
}

std::vector<double> Posterior::relativeSd() const {
  std::vector<double> sd;
  for (std::size_t i = 0; i < covarianceLog.size(); ++i)
    sd.push_back(std::sqrt(covarianceLog[i][i]));
  return sd;
}

namespace {

struct Objective {
  const BrainDomain& domain;
  std::span<const ObservedScan> scans;
  const std::optional<TreatmentCourse>& course;
  const CalibrationOptions& options;
  bool fitAlpha;
  Progress* progress;
  Vec3 seed_lps = Vec3::Zero();
  int evaluations = 0;

  GrowthParameters parametersOf(const Eigen::VectorXd& logs) const {
    GrowthParameters p = options.prior;
    p.greyDiffusivity_mm2_per_day = std::exp(logs[0]);
    p.proliferation_per_day = std::exp(logs[1]);
    if (fitAlpha) p.alpha_perGy = std::exp(logs[2]);
    return p;
  }
  Eigen::VectorXd priorLogs() const {
    Eigen::VectorXd logs(fitAlpha ? 3 : 2);
    logs[0] = std::log(options.prior.greyDiffusivity_mm2_per_day);
    logs[1] = std::log(options.prior.proliferation_per_day);
    if (fitAlpha) logs[2] = std::log(options.prior.alpha_perGy);
    return logs;
  }
  // The negative log posterior (up to a constant).
  double operator()(const Eigen::VectorXd& logs) {
    ++evaluations;
    progress->check();
    const double sd = options.priorLogSd;
    double value = (logs - priorLogs()).squaredNorm() / (2 * sd * sd);
    const auto simulated =
        simulateScans(domain, parametersOf(logs), seed_lps, scans, course, options);
    if (!simulated) return kFailedFit + value;
    const double sigma = options.boundarySigma_mm;
    const auto misfit = [&](std::span<const double> density, double threshold,
                            std::span<const std::uint8_t> mask) {
      const double radius =
          std::max(equivalentRadius_mm(maskVolume_ml(domain, mask)), domain.geometry.spacing_mm[0]);
      const double delta_mm = 2.0 / 3.0 * radius * (1 - softDice(density, threshold, mask));
      return delta_mm * delta_mm / (2 * sigma * sigma);
    };
    for (std::size_t s = 0; s < scans.size(); ++s) {
      value += misfit((*simulated)[s], kT1GadoliniumThreshold, scans[s].enhancing);
      if (!scans[s].oedema.empty())
        value += misfit((*simulated)[s], kT2FlairThreshold, scans[s].oedema);
    }
    return value;
  }
};

// Nelder-Mead simplex minimisation (Nelder JA, Mead R, Comput J 1965;7:308), standard
// coefficients (reflection 1, expansion 2, contraction 0.5, shrink 0.5).
Eigen::VectorXd nelderMead(Objective& f, Eigen::VectorXd start, double initialStep,
                           int maxEvaluations, Progress& progress) {
  const auto n = start.size();
  std::vector<Eigen::VectorXd> points{start};
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::VectorXd p = start;
    p[i] += initialStep;
    points.push_back(p);
  }
  std::vector<double> values;
  for (const auto& p : points) values.push_back(f(p));
  while (f.evaluations < maxEvaluations) {
    std::vector<std::size_t> order(points.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return values[a] < values[b]; });
    std::vector<Eigen::VectorXd> p;
    std::vector<double> v;
    for (auto o : order) p.push_back(points[o]), v.push_back(values[o]);
    points = p, values = v;
    double size = 0;
    for (std::size_t i = 1; i < points.size(); ++i)
      size = std::max(size, (points[i] - points[0]).cwiseAbs().maxCoeff());
    progress.report(std::min(1.0, f.evaluations / static_cast<double>(maxEvaluations)),
                    "Calibrating the glioma twin");
    if (size < 2e-3 && values.back() - values.front() < 1e-4) break;
    Eigen::VectorXd centroid = Eigen::VectorXd::Zero(n);
    for (std::size_t i = 0; i + 1 < points.size(); ++i) centroid += points[i];
    centroid /= static_cast<double>(n);
    const Eigen::VectorXd reflected = centroid + (centroid - points.back());
    const double fr = f(reflected);
    if (fr < values.front()) {
      const Eigen::VectorXd expanded = centroid + 2.0 * (centroid - points.back());
      const double fe = f(expanded);
      if (fe < fr)
        points.back() = expanded, values.back() = fe;
      else
        points.back() = reflected, values.back() = fr;
    } else if (fr < values[values.size() - 2]) {
      points.back() = reflected, values.back() = fr;
    } else {
      const bool outside = fr < values.back();
      const Eigen::VectorXd contracted =
          outside ? Eigen::VectorXd(centroid + 0.5 * (reflected - centroid))
                  : Eigen::VectorXd(centroid + 0.5 * (points.back() - centroid));
      const double fc = f(contracted);
      if (fc < std::min(fr, values.back())) {
        points.back() = contracted, values.back() = fc;
      } else {
        for (std::size_t i = 1; i < points.size(); ++i) {
          points[i] = points[0] + 0.5 * (points[i] - points[0]);
          values[i] = f(points[i]);
        }
      }
    }
  }
  const auto best = std::min_element(values.begin(), values.end()) - values.begin();
  return points[static_cast<std::size_t>(best)];
}

Vec3 maskCentroid_lps(const BrainDomain& domain, std::span<const double> weights) {
  const auto& g = domain.geometry;
  Vec3 sum = Vec3::Zero();
  double total = 0;
  for (std::size_t n = 0; n < weights.size(); ++n) {
    if (weights[n] <= 0) continue;
    const auto idx = static_cast<std::int64_t>(n);
    sum += weights[n] * Vec3(static_cast<double>(idx % g.size[0]),
                             static_cast<double>((idx / g.size[0]) % g.size[1]),
                             static_cast<double>(idx / (g.size[0] * g.size[1])));
    total += weights[n];
  }
  return g.indexToLps(total > 0 ? Vec3(sum / total) : Vec3::Zero());
}

Vec3 refinedSeed(const BrainDomain& domain, const GrowthParameters& parameters, Vec3 seed_lps,
                 std::span<const ObservedScan> scans, const CalibrationOptions& options) {
  std::vector<double> observed(scans.front().enhancing.begin(), scans.front().enhancing.end());
  const Vec3 target = maskCentroid_lps(domain, observed);
  for (int iteration = 0; iteration < 3; ++iteration) {
    const ObservedScan firstOnly[2] = {scans[0], scans[1]};
    const auto simulated =
        simulateScans(domain, parameters, seed_lps, firstOnly, std::nullopt, options);
    if (!simulated) break;
    std::vector<double> enhancing(simulated->front().size());
    for (std::size_t n = 0; n < enhancing.size(); ++n)
      enhancing[n] = soft(simulated->front()[n], kT1GadoliniumThreshold);
    const Vec3 offset = maskCentroid_lps(domain, enhancing) - target;
    if (offset.norm() < 0.1 * domain.geometry.spacing_mm[0]) break;
    seed_lps -= offset;
  }
  return seed_lps;
}

}  // namespace

Posterior calibrate(const BrainDomain& domain, std::span<const ObservedScan> scans,
                    const std::optional<TreatmentCourse>& course, const CalibrationOptions& options,
                    Progress& progress) {
  validateScans(domain, scans);
  options.prior.validate();
  if (!(options.priorLogSd > 0) || !(options.boundarySigma_mm > 0) || options.posteriorSamples < 1)
    throw Error(ErrorKind::InvalidInput,
                "Glioma calibration needs a positive prior sd, boundary sigma and sample count.");
  bool fitAlpha = false;
  if (course)
    for (double day : fractionDays(*course)) fitAlpha |= day < scans.back().day;
  auto optimising = subRange(progress, 0.0, 0.85);
  Objective objective{domain, scans, course, options, fitAlpha, optimising.get()};
  // Where the tumour began: grown with the prior's parameters, the seed is moved until the
  // model's enhancing centroid at the first scan meets the observed one (a tumour grows faster
  // into white matter, so its centroid is not where it started). Then again at the mode.
  objective.seed_lps = refinedSeed(domain, objective.parametersOf(objective.priorLogs()),
                                   seedCentre(domain, scans.front()), scans, options);
  Eigen::VectorXd mode =
      nelderMead(objective, objective.priorLogs(), 0.5, options.maxEvaluations / 2, *optimising);
  objective.seed_lps =
      refinedSeed(domain, objective.parametersOf(mode), objective.seed_lps, scans, options);
  objective.evaluations = std::min(objective.evaluations, options.maxEvaluations / 2);
  mode = nelderMead(objective, mode, 0.15, options.maxEvaluations, *optimising);
  // Laplace: the Hessian of the negative log posterior at the mode, by central differences.
  auto curving = subRange(progress, 0.85, 1.0);
  objective.progress = curving.get();
  const auto n = mode.size();
  const double h = kHessianStep;
  const double atMode = objective(mode);
  Eigen::MatrixXd hessian(n, n);
  const auto shifted = [&](Eigen::Index i, double di, Eigen::Index j, double dj) {
    Eigen::VectorXd x = mode;
    x[i] += di;
    x[j] += dj;
    return objective(x);
  };
  for (Eigen::Index i = 0; i < n; ++i) {
    hessian(i, i) = (shifted(i, h, i, 0) - 2 * atMode + shifted(i, -h, i, 0)) / (h * h);
    for (Eigen::Index j = 0; j < i; ++j) {
      hessian(i, j) = hessian(j, i) = (shifted(i, h, j, h) - shifted(i, h, j, -h) -
                                       shifted(i, -h, j, h) + shifted(i, -h, j, -h)) /
                                      (4 * h * h);
    }
    curving->report(static_cast<double>(i + 1) / static_cast<double>(n), "Posterior spread");
  }
  // Finite differences of a discretised likelihood can leave a direction flat or negative: it
  // then keeps the prior's curvature there (the data say nothing measurable about it).
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(hessian);
  const double priorPrecision = 1.0 / (options.priorLogSd * options.priorLogSd);
  Eigen::VectorXd curvature = eigen.eigenvalues();
  for (Eigen::Index i = 0; i < n; ++i) curvature[i] = std::max(curvature[i], priorPrecision);
  const Eigen::MatrixXd root =
      eigen.eigenvectors() * curvature.cwiseInverse().cwiseSqrt().asDiagonal();
  const Eigen::MatrixXd covariance = root * root.transpose();

  Posterior posterior;
  posterior.parameterNames = {"greyDiffusivity_mm2_per_day", "proliferation_per_day"};
  if (fitAlpha) posterior.parameterNames.push_back("alpha_perGy");
  posterior.mode = objective.parametersOf(mode);
  posterior.modeLog.assign(mode.data(), mode.data() + n);
  posterior.covarianceLog.assign(static_cast<std::size_t>(n),
                                 std::vector<double>(static_cast<std::size_t>(n)));
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      posterior.covarianceLog[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] =
          covariance(i, j);
  NormalStream normals(options.seed);
  for (int s = 0; s < options.posteriorSamples; ++s) {
    Eigen::VectorXd z(n);
    for (Eigen::Index i = 0; i < n; ++i) z[i] = normals.next();
    posterior.samples.push_back(objective.parametersOf(mode + root * z));
  }
  posterior.logPosterior = -atMode;
  posterior.seed_lps = objective.seed_lps;
  posterior.evaluations = objective.evaluations;
  const auto simulated =
      simulateScans(domain, posterior.mode, posterior.seed_lps, scans, course, options);
  if (simulated) {
    for (std::size_t s = 0; s < scans.size(); ++s) {
      const auto& density = (*simulated)[s];
      ScanFit fit;
      fit.day = scans[s].day;
      fit.observedEnhancing_ml = maskVolume_ml(domain, scans[s].enhancing);
      fit.modelEnhancing_ml = softVolume_ml(domain, density);
      fit.enhancingDice = softDice(density, kT1GadoliniumThreshold, scans[s].enhancing);
      if (!scans[s].oedema.empty()) {
        fit.observedOedema_ml = maskVolume_ml(domain, scans[s].oedema);
        double oedema = 0;
        for (double c : density) oedema += soft(c, kT2FlairThreshold);
        fit.modelOedema_ml = oedema * domain.voxelVolume_ml();
        fit.oedemaDice = softDice(density, kT2FlairThreshold, scans[s].oedema);
      }
      posterior.fit.push_back(fit);
    }
  }
  progress.report(1.0, "Calibrated");
  return posterior;
}

nlohmann::json Posterior::toJson() const {
  nlohmann::json parameters = nlohmann::json::object();
  const std::vector<double> sd = relativeSd();
  for (std::size_t i = 0; i < parameterNames.size(); ++i)
    parameters[parameterNames[i]] = {{"mode", std::exp(modeLog[i])},
                                     {"log_sd", sd[i]},
                                     {"p05", std::exp(modeLog[i] - 1.6449 * sd[i])},
                                     {"p95", std::exp(modeLog[i] + 1.6449 * sd[i])}};
  const auto toJson = [](const GrowthParameters& p) {
    return nlohmann::json{{"greyDiffusivity_mm2_per_day", p.greyDiffusivity_mm2_per_day},
                          {"whiteToGreyRatio", p.whiteToGreyRatio},
                          {"proliferation_per_day", p.proliferation_per_day},
                          {"alpha_perGy", p.alpha_perGy},
                          {"alphaBeta_Gy", p.alphaBeta_Gy}};
  };
  nlohmann::json samplesJson = nlohmann::json::array();
  for (const auto& s : samples) samplesJson.push_back(toJson(s));
  nlohmann::json fitJson = nlohmann::json::array();
  for (const auto& f : fit) {
    nlohmann::json entry = {{"day", f.day},
                            {"observed_enhancing_ml", f.observedEnhancing_ml},
                            {"model_enhancing_ml", f.modelEnhancing_ml},
                            {"enhancing_dice", f.enhancingDice}};
    if (f.oedemaDice) {
      entry["observed_oedema_ml"] = *f.observedOedema_ml;
      entry["model_oedema_ml"] = *f.modelOedema_ml;
      entry["oedema_dice"] = *f.oedemaDice;
    }
    fitJson.push_back(entry);
  }
  return {{"method", "Laplace approximation at the posterior mode (Nelder-Mead), log parameters"},
          {"parameters", parameters},
          {"mode", toJson(mode)},
          {"parameter_names", parameterNames},
          {"mode_log", modeLog},
          {"covariance_log", covarianceLog},
          {"samples", samplesJson},
          {"fit", fitJson},
          {"seed_lps", {seed_lps[0], seed_lps[1], seed_lps[2]}},
          {"log_posterior", logPosterior},
          {"evaluations", evaluations}};
}

Posterior posteriorFromJson(const nlohmann::json& json) {
  try {
    const auto fromJson = [](const nlohmann::json& j) {
      GrowthParameters p;
      p.greyDiffusivity_mm2_per_day = j.at("greyDiffusivity_mm2_per_day").get<double>();
      p.whiteToGreyRatio = j.at("whiteToGreyRatio").get<double>();
      p.proliferation_per_day = j.at("proliferation_per_day").get<double>();
      p.alpha_perGy = j.at("alpha_perGy").get<double>();
      p.alphaBeta_Gy = j.at("alphaBeta_Gy").get<double>();
      p.validate();
      return p;
    };
    Posterior posterior;
    posterior.parameterNames = json.at("parameter_names").get<std::vector<std::string>>();
    posterior.mode = fromJson(json.at("mode"));
    posterior.modeLog = json.at("mode_log").get<std::vector<double>>();
    posterior.covarianceLog = json.at("covariance_log").get<std::vector<std::vector<double>>>();
    for (const auto& s : json.at("samples")) posterior.samples.push_back(fromJson(s));
    const auto seed = json.at("seed_lps").get<std::vector<double>>();
    if (seed.size() != 3) throw nlohmann::json::other_error::create(501, "seed_lps", nullptr);
    posterior.seed_lps = Vec3(seed[0], seed[1], seed[2]);
    posterior.logPosterior = json.at("log_posterior").get<double>();
    posterior.evaluations = json.at("evaluations").get<int>();
    return posterior;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Corrupt, std::string("The glioma posterior record is damaged (") +
                                        e.what() + "); calibrate the case again.");
  }
}

}  // namespace twinplan::glioma
