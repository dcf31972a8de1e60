#pragma once
// One ITK v4 registration stage (Mattes MI, multi-resolution, seeded sampling), as a template
// over the optimised transform and the optimiser. Included by register_linear.cpp and
// register_bspline.cpp only, so that each instantiation is compiled once.
#include <itkImageRegistrationMethodv4.h>
#include <itkMattesMutualInformationImageToImageMetricv4.h>
#include <itkRegistrationParameterScalesFromPhysicalShift.h>

#include <algorithm>
#include <sstream>

#include "itk_support.h"
#include "pyramid.h"
#include "twinplan/core/error.h"

namespace twinplan::registration::detail {

// Runs the registration of `transform` (optimised in place) with `optimiser`, the moving
// initial transform `bulk` (applied after it: p_moving = bulk(transform(p_fixed)), ITK's
// composite order) when given. `estimateScales`: parameter scales from physical shifts (ITK
// Software Guide 4, section 3.8), so that a unit of rotation and one of translation move points
// by comparable distances. Translates ITK exceptions into Error.
[[noreturn]] inline void rethrowItk(const itk::ExceptionObject& e) {
  throw Error(ErrorKind::InvalidInput,
              std::string("The image registration failed in ITK: ") + e.GetDescription() +
                  " Check that the series overlap and show the same anatomy, or start from "
                  "landmarks.",
              "registration");
}

// An ITK registration of `transform` (optimised in place, its centre kept: ITK would otherwise
// copy the bulk transform's) between two images, with the stage's metric, optimiser, optional
// bulk transform, sampling strategy and fixed seed (the same samples on every run, so results
// are reproducible; ITK reseeds from the wall clock otherwise), reporting levels to `observer`.
template <class TTransform, class TMetric, class TOptimiser>
auto newRegistration(const FloatImage* fixed, const FloatImage* moving, TMetric* metric,
                     TTransform* transform, TOptimiser* optimiser,
                     const itk::Transform<double, 3, 3>* bulk, const Schedule& schedule,
                     StageObserver* observer) {
  using Method = itk::ImageRegistrationMethodv4<FloatImage, FloatImage, TTransform>;
  const RegistrationOptions& options = *schedule.options;
  auto method = Method::New();
  method->SetNumberOfWorkUnits(static_cast<itk::ThreadIdType>(schedule.threads));
  method->SetFixedImage(fixed);
  method->SetMovingImage(moving);
  method->SetMetric(metric);
  method->SetOptimizer(optimiser);
  method->SetInitialTransform(transform);
  method->InPlaceOn();
  method->SetInitializeCenterOfLinearOutputTransform(false);
  if (bulk) method->SetMovingInitialTransform(bulk);
  method->SetMetricSamplingStrategy(options.randomSampling
                                        ? Method::MetricSamplingStrategyEnum::RANDOM
                                        : Method::MetricSamplingStrategyEnum::REGULAR);
  method->MetricSamplingReinitializeSeed(static_cast<int>(options.samplingSeed));
  method->AddObserver(itk::MultiResolutionIterationEvent(), observer);
  return method;
}

// Runs a registration made by newRegistration, after a last check for cancel.
template <class TMethod>
void runRegistration(TMethod* method, Progress& progress) {
  progress.check();
  try {
    method->Update();
  } catch (const itk::ExceptionObject& e) {
    rethrowItk(e);
  }
}

// One ITK registration per level of our pyramid (pyramid.h, built once), each at shrink 1
// without ITK's smoothing; the transform carries over in place. The linear stages.
template <class TTransform, class TMetric, class TOptimiser>
void runOnOurPyramid(TMetric* metric, TTransform* transform, TOptimiser* optimiser,
                     const itk::Transform<double, 3, 3>* bulk, const Schedule& schedule,
                     Progress& progress, StageObserver* observer) {
  using Method = itk::ImageRegistrationMethodv4<FloatImage, FloatImage, TTransform>;
  const RegistrationOptions& options = *schedule.options;
  optimiser->AddObserver(itk::IterationEvent(), observer);
  for (const PyramidLevel& level : *schedule.levels) {
    auto method = newRegistration(level.fixed.GetPointer(), level.moving.GetPointer(), metric,
                                  transform, optimiser, bulk, schedule, observer);
    method->SetNumberOfLevels(1);
    typename Method::ShrinkFactorsArrayType shrink(1);
    shrink.Fill(1);
    typename Method::SmoothingSigmasArrayType sigmas(1);
    sigmas.Fill(0.0);
    method->SetShrinkFactorsPerLevel(shrink);
    method->SetSmoothingSigmasPerLevel(sigmas);
    method->SetMetricSamplingPercentage(samplingPercentage(level, options));
    runRegistration(method.GetPointer(), progress);
  }
}

// ITK's own pyramid (Gaussian smoothing and shrinking of the full-resolution images at every
// level) in one ITK registration. The B-spline stage: its validated result (0.93 mm on
// slow/registration_bspline_test) was measured on this pyramid; on ours it came out at 1.2 mm.
template <class TTransform, class TMetric, class TOptimiser>
void runOnItkPyramid(TMetric* metric, TTransform* transform, TOptimiser* optimiser,
                     const itk::Transform<double, 3, 3>* bulk, const Schedule& schedule,
                     Progress& progress, StageObserver* observer) {
  using Method = itk::ImageRegistrationMethodv4<FloatImage, FloatImage, TTransform>;
  const RegistrationOptions& options = *schedule.options;
  auto method = newRegistration(schedule.fullFixed.GetPointer(), schedule.fullMoving.GetPointer(),
                                metric, transform, optimiser, bulk, schedule, observer);
  const auto levels = static_cast<itk::SizeValueType>(options.shrinkFactors.size());
  typename Method::ShrinkFactorsArrayType shrink(levels);
  typename Method::SmoothingSigmasArrayType sigmas(levels);
  for (itk::SizeValueType l = 0; l < levels; ++l) {
    shrink[l] = static_cast<itk::SizeValueType>(options.shrinkFactors[l]);
    sigmas[l] = options.smoothingSigmas_vox[l];
  }
  method->SetNumberOfLevels(levels);
  method->SetShrinkFactorsPerLevel(shrink);
  method->SetSmoothingSigmasPerLevel(sigmas);
  method->SmoothingSigmasAreSpecifiedInPhysicalUnitsOff();
  // The fraction, capped so that the finest level samples at most samplesPerLevel voxels.
  const double voxels = double(schedule.fullFixed->GetLargestPossibleRegion().GetNumberOfPixels());
  method->SetMetricSamplingPercentage(
      std::min(options.samplingFraction, double(options.samplesPerLevel) / voxels));
  optimiser->AddObserver(itk::IterationEvent(), observer);
  runRegistration(method.GetPointer(), progress);
}

// Where the physical-shift scales are measured, as a fraction of the half-extent of the fixed
// field of view about its centre (see the probes below).
constexpr double kProbeFraction = 0.5;

template <class TTransform, class TOptimiser>
StageOutcome runStage(TTransform* transform, TOptimiser* optimiser,
                      const itk::Transform<double, 3, 3>* bulk, const Schedule& schedule,
                      Progress& progress, StageObserver* observer, bool estimateScales) {
  using Metric = itk::MattesMutualInformationImageToImageMetricv4<FloatImage, FloatImage>;
  const RegistrationOptions& options = *schedule.options;

  auto metric = Metric::New();
  metric->SetNumberOfHistogramBins(static_cast<itk::SizeValueType>(options.histogramBins));
  // Gradients by central differences at the sample points rather than a precomputed gradient
  // image: sampling touches a fraction of the voxels (ITK Software Guide ImageRegistration4).
  metric->SetUseMovingImageGradientFilter(false);
  metric->SetUseFixedImageGradientFilter(false);
  metric->SetMaximumNumberOfWorkUnits(static_cast<itk::ThreadIdType>(schedule.threads));
  optimiser->SetNumberOfWorkUnits(static_cast<itk::ThreadIdType>(schedule.threads));
  if (estimateScales) {
    using Scales = itk::RegistrationParameterScalesFromPhysicalShift<Metric>;
    auto scales = Scales::New();
    scales->SetMetric(metric);
    scales->SetTransformForward(true);
    // Shifts measured at 9 fixed points, the 8 corners of the central half of the fixed field
    // of view and its centre: ITK would otherwise draw random points for a rigid transform from
    // an unseeded generator, and the scales (hence the result) would change from run to run.
    // The central half rather than the field's own corners: the scales size a rotation by its
    // largest shift, and the anatomy a series is framed on rarely reaches the corners of its
    // field (a head in a 256 mm field spans about 180 x 220 mm). Measured at the field's
    // corners a rotation's steps were a quarter as large and the rotations converged last.
    auto probes = Metric::VirtualPointSetType::New();
    const ImageGeometry& grid = schedule.fixedGrid;
    for (unsigned corner = 0; corner < 9; ++corner) {
      Vec3 index;
      for (int a = 0; a < 3; ++a)
        index[a] = corner == 8            ? 0.5 * double(grid.size[a] - 1)
                   : ((corner >> a) & 1u) ? double(grid.size[a] - 1)
                                          : 0.0;
      for (int a = 0; a < 3; ++a)
        index[a] = 0.5 * double(grid.size[a] - 1) +
                   kProbeFraction * (index[a] - 0.5 * double(grid.size[a] - 1));
      const Vec3 p_lps = grid.indexToLps(index);
      typename Metric::VirtualPointType point;
      for (unsigned a = 0; a < 3; ++a) point[a] = p_lps[a];
      probes->SetPoint(corner, point);
    }
    scales->SetVirtualDomainPointSet(probes);
    optimiser->SetScalesEstimator(scales);
  }

  if (schedule.fullFixed) {
    runOnItkPyramid<TTransform>(metric.GetPointer(), transform, optimiser, bulk, schedule, progress,
                                observer);
  } else {
    runOnOurPyramid<TTransform>(metric.GetPointer(), transform, optimiser, bulk, schedule, progress,
                                observer);
  }
  StageOutcome outcome;
  outcome.metricValue = optimiser->GetValue();
  outcome.iterations = observer->iterations();
  outcome.stopReason = optimiser->GetStopConditionDescription();
  return outcome;
}

}  // namespace twinplan::registration::detail
