#pragma once
// One ITK v4 registration stage (Mattes MI, multi-resolution, seeded sampling), as a template
// over the optimised transform and the optimiser. Included by register_linear.cpp and
// register_bspline.cpp only, so that each instantiation is compiled once.
#include <itkImageRegistrationMethodv4.h>
#include <itkMattesMutualInformationImageToImageMetricv4.h>
#include <itkRegistrationParameterScalesFromPhysicalShift.h>

#include <sstream>

#include "itk_support.h"
#include "twinplan/core/error.h"

namespace twinplan::registration::detail {

// Runs the registration of `transform` (optimised in place) with `optimiser`, the moving
// initial transform `bulk` (applied after it: p_moving = bulk(transform(p_fixed)), ITK's
// composite order) when given. `estimateScales`: parameter scales from physical shifts (ITK
// Software Guide 4, section 3.8), so that a unit of rotation and one of translation move points
// by comparable distances. Translates ITK exceptions into Error.
template <class TTransform, class TOptimiser>
StageOutcome runStage(FloatImage* fixed, FloatImage* moving, TTransform* transform,
                      TOptimiser* optimiser, const itk::Transform<double, 3, 3>* bulk,
                      const Schedule& schedule, Progress& progress, StageObserver* observer,
                      bool estimateScales) {
  using Metric = itk::MattesMutualInformationImageToImageMetricv4<FloatImage, FloatImage>;
  using Method = itk::ImageRegistrationMethodv4<FloatImage, FloatImage, TTransform>;
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
    // Shifts measured at the fixed image's 8 corners and centre: ITK would otherwise draw
    // random points for a rigid transform from an unseeded generator, and the scales (hence
    // the result) would change from run to run.
    auto probes = Metric::VirtualPointSetType::New();
    const auto size = fixed->GetLargestPossibleRegion().GetSize();
    for (unsigned corner = 0; corner < 9; ++corner) {
      itk::ContinuousIndex<double, 3> index;
      for (unsigned a = 0; a < 3; ++a)
        index[a] = corner == 8            ? 0.5 * double(size[a] - 1)
                   : ((corner >> a) & 1u) ? double(size[a] - 1)
                                          : 0.0;
      typename Metric::VirtualPointType point;
      fixed->TransformContinuousIndexToPhysicalPoint(index, point);
      probes->SetPoint(corner, point);
    }
    scales->SetVirtualDomainPointSet(probes);
    optimiser->SetScalesEstimator(scales);
  }

  auto method = Method::New();
  method->SetNumberOfWorkUnits(static_cast<itk::ThreadIdType>(schedule.threads));
  method->SetFixedImage(fixed);
  method->SetMovingImage(moving);
  method->SetMetric(metric);
  method->SetOptimizer(optimiser);
  method->SetInitialTransform(transform);
  method->InPlaceOn();
  // Keep the centre we chose (ITK would otherwise copy the bulk transform's centre).
  method->SetInitializeCenterOfLinearOutputTransform(false);
  if (bulk) method->SetMovingInitialTransform(bulk);

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
  method->SetMetricSamplingStrategy(options.randomSampling
                                        ? Method::MetricSamplingStrategyEnum::RANDOM
                                        : Method::MetricSamplingStrategyEnum::REGULAR);
  method->SetMetricSamplingPercentage(options.samplingFraction);
  // A fixed seed: the same samples on every run, so results are reproducible (ITK reseeds
  // from the wall clock otherwise).
  method->MetricSamplingReinitializeSeed(static_cast<int>(options.samplingSeed));

  optimiser->AddObserver(itk::IterationEvent(), observer);
  method->AddObserver(itk::MultiResolutionIterationEvent(), observer);
  progress.check();
  try {
    method->Update();
  } catch (const itk::ExceptionObject& e) {
    throw Error(ErrorKind::InvalidInput,
                std::string("The image registration failed in ITK: ") + e.GetDescription() +
                    " Check that the series overlap and show the same anatomy, or start from "
                    "landmarks.",
                "registration");
  }
  StageOutcome outcome;
  outcome.metricValue = optimiser->GetValue();
  outcome.iterations = observer->iterations();
  outcome.stopReason = optimiser->GetStopConditionDescription();
  return outcome;
}

}  // namespace twinplan::registration::detail
