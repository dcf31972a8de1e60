#pragma once
// Calibration of the glioma twin's patient parameters from segmented follow-up scans (issue #19
// item 6): the grey-matter diffusivity D, the proliferation rate rho and, when radiotherapy was
// given between the scans, the radiosensitivity alpha, with their uncertainty.
//
// Forward model of one parameter set: a small seed (fully packed cells, sd 3 mm) placed so that
// the model's enhancing centroid at the first scan meets the observed one grows until its
// T1-Gd-visible volume equals the first scan's; that moment is the first scan (the unknown onset
// time drops out). The model then runs to each later scan, with the LQ cell kill of every fraction
// delivered in between.
//
// Likelihood: for each scan and each visible-tumour mask given (T1-Gd enhancing, T2/FLAIR), the
// model's mask is compared with the observed one by the Dice coefficient, turned into a boundary
// distance delta = (2/3) r (1 - Dice) in mm (r the observed mask's equivalent-sphere radius; for
// two concentric spheres delta is their radius difference to first order), and scored as a
// Gaussian boundary error, log L = -sum delta^2 / (2 sigma^2). Dice carries volume and shape, and
// the model's masks are soft (a ramp of +-0.03 around the threshold) so that the likelihood is
// smooth in the parameters. Both masks matter: the enhancing rim's speed fixes sqrt(D rho) (the
// front moves at 2 sqrt(D rho)) and the distance from it to the T2 edge fixes sqrt(D / rho)
// (Harpold 2007); with enhancing masks alone only sqrt(D rho) is identified and the prior holds
// the rest. Prior: independent log-normals around the defaults of GrowthParameters.
//
// Posterior: a Laplace approximation - the posterior mode by Nelder-Mead in log-parameter space,
// then a Gaussian with the inverse Hessian (central differences) of the negative log posterior as
// covariance, sampled with a fixed seed. Chosen over MCMC because one forward run costs 0.05-1 s:
// the mode plus Hessian takes ~90-130 runs for two parameters, a converged MCMC chain thousands.
// Log parameters keep the samples positive and make the posterior closer to Gaussian.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "twinplan/glioma/proliferation_invasion.h"
#include "twinplan/radiotherapy/radiobiology.h"

namespace twinplan::glioma {

// One segmented scan, masks on the model grid (1 = visible tumour).
struct ObservedScan {
  double day = 0.0;                     // days after the first scan
  std::vector<std::uint8_t> enhancing;  // T1-Gd visible tumour; required
  std::vector<std::uint8_t> oedema;     // T2/FLAIR visible tumour; empty when not segmented
};

// Radiotherapy given to the patient (between scans, or planned after the last one).
struct TreatmentCourse {
  double startDay = 0.0;  // day of the first fraction, days after the first scan
  radiotherapy::Regimen regimen{60.0, 30};
  int fractionsPerWeek = 5;  // Monday to Friday, weekends off
  // Each model voxel's dose as a fraction of the prescription (a dose grid over the
  // prescription); empty: the prescription everywhere in the brain.
  std::vector<double> relativeDose;
};
// The day of every fraction: fractionsPerWeek consecutive days a week, the rest off.
std::vector<double> fractionDays(const TreatmentCourse& course);

struct CalibrationOptions {
  GrowthParameters prior;         // prior medians (and the fixed white/grey ratio, alpha/beta)
  double priorLogSd = 1.0;        // sd of each log parameter: a factor e either way (1 sd)
  double boundarySigma_mm = 1.0;  // segmentation boundary uncertainty (about one MR voxel)
  SolverOptions solver{2.0, 1e-6, 500};
  // The seed: a Gaussian of fully packed cells, sd 3 mm (~0.03 ml above the T1 threshold). A
  // fainter seed first spreads out faster than it grows (diffusion outruns proliferation below
  // the critical size) and grows into an implausibly diffuse tumour.
  double seedPeak = 1.0;
  double seedSigma_mm = 3.0;
  double maxGrowth_days = 20 * 365.0;  // a seed that needs longer fits badly
  int posteriorSamples = 16;
  std::uint64_t seed = 20261205;  // of the posterior samples
  int maxEvaluations = 120;       // of the optimiser
};

struct ScanFit {
  double day = 0.0;
  double observedEnhancing_ml = 0.0, modelEnhancing_ml = 0.0, enhancingDice = 0.0;
  std::optional<double> observedOedema_ml, modelOedema_ml, oedemaDice;
};

struct Posterior {
  std::vector<std::string> parameterNames;  // greyDiffusivity_mm2_per_day, proliferation_per_day,
                                            // [alpha_perGy]
  GrowthParameters mode;                    // the posterior mode (MAP)
  std::vector<double> modeLog;              // log of each calibrated parameter at the mode
  std::vector<std::vector<double>> covarianceLog;  // Laplace covariance of the log parameters
  std::vector<GrowthParameters> samples;           // drawn from the Laplace Gaussian
  std::vector<ScanFit> fit;                        // the mode against each scan
  Vec3 seed_lps = Vec3::Zero();                    // where the model tumour starts (see calibrate)
  double logPosterior = 0.0;
  int evaluations = 0;
  // Relative sd of each parameter (sqrt of the log variance; ~ coefficient of variation).
  std::vector<double> relativeSd() const;
  nlohmann::json toJson() const;
};
Posterior posteriorFromJson(const nlohmann::json& json);  // Corrupt when a field is missing

// The first guess of the seed's centre: the enhancing tumour's centroid of the first scan, moved
// to the nearest brain voxel. calibrate() then moves it until the model's enhancing centroid at the
// first scan matches the observed one.
Vec3 seedCentre(const BrainDomain& domain, const ObservedScan& first);

// The model's density at each scan day for `parameters` and a seed at `seed_lps` (the forward
// model above), or nullopt
// when the seed does not reach the first scan's volume within options.maxGrowth_days.
std::optional<std::vector<std::vector<double>>> simulateScans(
    const BrainDomain& domain, const GrowthParameters& parameters, const Vec3& seed_lps,
    std::span<const ObservedScan> scans, const std::optional<TreatmentCourse>& course,
    const CalibrationOptions& options, Progress& progress = noProgress());

// Soft visibility of one density (ramp of +-0.03 around the threshold) and the Dice of a soft
// mask with an observed one.
double softDice(std::span<const double> density, double threshold,
                std::span<const std::uint8_t> observed);

// Calibrates from >= 2 scans (InvalidInput for fewer, unsorted days, masks off the grid, or an
// empty first enhancing mask). alpha is calibrated when `course` has a fraction before the last
// scan. Cancellable.
Posterior calibrate(const BrainDomain& domain, std::span<const ObservedScan> scans,
                    const std::optional<TreatmentCourse>& course,
                    const CalibrationOptions& options = {}, Progress& progress = noProgress());

}  // namespace twinplan::glioma
