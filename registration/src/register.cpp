#include "twinplan/registration/register.h"

#include <chrono>

#include "itk_support.h"
#include "pyramid.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/registration/registrable.h"

namespace twinplan::registration {

namespace {

[[noreturn]] void badOption(const std::string& option, const std::string& what) {
  throw Error(ErrorKind::InvalidInput, "The registration option \"" + option + "\" " + what,
              option);
}

}  // namespace

const char* toString(Method method) {
  switch (method) {
    case Method::Rigid:
      return "rigid";
    case Method::Affine:
      return "affine";
    case Method::BSpline:
      return "bspline";
    case Method::Landmark:
      return "landmark";
  }
  return "rigid";
}

Method methodFromString(const std::string& name) {
  for (Method m : {Method::Rigid, Method::Affine, Method::BSpline, Method::Landmark})
    if (name == toString(m)) return m;
  throw Error(
      ErrorKind::InvalidInput,
      "\"" + name + "\" is not a registration method; use rigid, affine, bspline or landmark.",
      "method");
}

void RegistrationOptions::validate() const {
  if (histogramBins < 5 || histogramBins > 256)
    badOption("histogramBins", "must be 5..256 (Mattes' B-spline Parzen window needs at least 5).");
  if (!(samplingFraction > 0.0 && samplingFraction <= 1.0))
    badOption("samplingFraction", "must be in (0, 1]: the fraction of voxels the metric samples.");
  if (shrinkFactors.empty() || shrinkFactors.size() > 8)
    badOption("shrinkFactors", "needs 1 to 8 levels.");
  if (smoothingSigmas_vox.size() != shrinkFactors.size())
    badOption("smoothingSigmas_vox", "needs one sigma per level of shrinkFactors.");
  for (int f : shrinkFactors)
    if (f < 1 || f > 64) badOption("shrinkFactors", "are whole numbers 1..64.");
  for (double s : smoothingSigmas_vox)
    if (!(s >= 0.0 && s <= 32.0)) badOption("smoothingSigmas_vox", "are 0..32 voxels.");
  if (!(finestSpacing_mm >= 0.0 && finestSpacing_mm <= 20.0))
    badOption("finestSpacing_mm", "must be 0..20 mm (0: the series' own finest spacing).");
  if (samplesPerLevel < 1000 || samplesPerLevel > 100000000)
    badOption("samplesPerLevel",
              "must be 1000..100000000 (the metric needs enough samples to fill its histogram).");
  if (iterations < 1 || iterations > 100000) badOption("iterations", "must be 1..100000.");
  if (bsplineIterations < 1 || bsplineIterations > 100000)
    badOption("bsplineIterations", "must be 1..100000.");
  if (!(bsplineGridSpacing_mm >= 2.0 && bsplineGridSpacing_mm <= 500.0))
    badOption("bsplineGridSpacing_mm", "must be 2..500 mm.");
  if (initial && !initial->isLinear())
    badOption("initial", "must be an identity, rigid or affine transform.");
}

RegistrationResult registerVolumes(const ImageVolume& fixed, const ImageVolume& moving,
                                   const RegistrationOptions& options, Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  options.validate();
  if (options.method == Method::Landmark)
    throw Error(ErrorKind::InvalidInput,
                "Landmark registration uses paired points, not the images; give a landmark "
                "file (registration::landmarkTransform).",
                "method");
  const SpatialTransform given = options.initial.value_or(SpatialTransform::identity());
  requireRegistrable(fixed, moving, given, std::string(toString(options.method)) + " registration");
  progress.check();

  const auto levels = detail::buildPyramid(fixed, moving, options, progress);
  detail::Schedule schedule;
  schedule.threads = static_cast<int>(parallel::maxThreads());
  schedule.options = &options;
  schedule.levels = &levels;
  schedule.fixedGrid = fixed.geometry();
  schedule.fixedVolume = &fixed;
  schedule.movingVolume = &moving;

  const SpatialTransform initial =
      options.initial
          ? *options.initial
          : detail::centredInitialTransform(levels.back().fixed.GetPointer(),
                                            levels.back().moving.GetPointer(), options.centring);
  RegistrationResult result;
  result.method = options.method;
  result.levels = static_cast<int>(options.shrinkFactors.size());
  detail::StageOutcome outcome;
  int iterations = 0;
  // The stages and their share of the progress bar: a rigid stage always comes first (the bulk
  // motion), except for an affine run started from an affine transform.
  const bool affineStart =
      options.initial && options.initial->kind == SpatialTransform::Kind::Affine;
  switch (options.method) {
    case Method::Rigid:
      result.transform = detail::rigidStage(initial, schedule, progress, outcome);
      iterations = outcome.iterations;
      break;
    case Method::Affine: {
      SpatialTransform bulk = initial;
      if (!affineStart) {
        auto rigidPart = subRange(progress, 0.0, 0.4);
        bulk = detail::rigidStage(initial, schedule, *rigidPart, outcome);
        iterations = outcome.iterations;
      }
      auto affinePart = subRange(progress, affineStart ? 0.0 : 0.4, 1.0);
      result.transform = detail::affineStage(bulk, schedule, *affinePart, outcome);
      iterations += outcome.iterations;
      break;
    }
    case Method::BSpline: {
      // With no start given, the B-spline runs twice: on the rigid bulk, and on the centred
      // start alone; the lower final metric wins (same images, same seeded samples, so the
      // values compare). Why: a rigid fit of a deformation without patient motion turns its
      // shear-like part into a rotation that is wrong away from the centre, which the B-spline
      // then does not undo (slow/registration_bspline_test: 3.6 mm mean brain error from the
      // bulk, metric -0.9640; 0.93 mm from the start, metric -0.9709).
      SpatialTransform bulk = initial;
      const bool tryBoth = !options.initial;
      if (!affineStart) {
        auto rigidPart = subRange(progress, 0.0, 0.2);
        bulk = detail::rigidStage(initial, schedule, *rigidPart, outcome);
        iterations = outcome.iterations;
      }
      auto deformablePart = subRange(progress, affineStart ? 0.0 : 0.2, tryBoth ? 0.6 : 1.0);
      result.transform = detail::bsplineStage(bulk, schedule, *deformablePart, outcome);
      iterations += outcome.iterations;
      if (tryBoth) {
        auto fromStartPart = subRange(progress, 0.6, 1.0);
        detail::StageOutcome fromStart;
        SpatialTransform alone = detail::bsplineStage(initial, schedule, *fromStartPart, fromStart);
        iterations += fromStart.iterations;
        if (fromStart.metricValue < outcome.metricValue) {
          result.transform = std::move(alone);
          outcome = fromStart;
        }
      }
      break;
    }
    case Method::Landmark:
      break;
  }
  result.metricValue = outcome.metricValue;
  result.iterations = iterations;
  result.stopReason = outcome.stopReason;
  result.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.report(1.0, "Registered");
  return result;
}

}  // namespace twinplan::registration
