// Rigid and affine stages: ITK's VersorRigid3DTransform / AffineTransform optimised by conjugate
// gradients with a golden-section line search (ITK ConjugateGradientLineSearchOptimizerv4), with
// parameter scales from physical shifts (ITK Software Guide 4, section 3.8, "Automatic
// parameter scaling").
//
// Why not regular-step gradient descent (what this file used before): on a head whose outer
// shells are nearly symmetric about one axis (the benchmark's ellipsoids; real skulls come
// close), the rotation about that axis is a long, flat valley of the metric while the
// translations are steep. Regular-step descent halves its step at every sign change of the
// whole gradient, which the steep translations cause within ~10 iterations, so it stopped with
// that rotation 2-3 degrees short (docs/benchmarks.md). Conjugate directions keep moving along
// the valley, and the line search sizes each step by the metric itself.
#include <itkAffineTransform.h>
#include <itkCenteredTransformInitializer.h>
#include <itkConjugateGradientLineSearchOptimizerv4.h>
#include <itkVersorRigid3DTransform.h>

#include <Eigen/SVD>

#include "stage_runner.h"

namespace twinplan::registration::detail {

namespace {

using Optimiser = itk::ConjugateGradientLineSearchOptimizerv4Template<double>;
using Rigid = itk::VersorRigid3DTransform<double>;
using Affine = itk::AffineTransform<double, 3>;

// Convergence: the level ends when the metric's change, fitted over the last 10 iterations, is
// below 1e-6 (ITK's convergence monitor; the window and value of the ITK Software Guide 4's
// v4 registration examples, e.g. ImageRegistration1/MultiStageImageRegistration1).
constexpr unsigned kConvergenceWindow = 10;
constexpr double kMinimumConvergence = 1e-6;
// The line search scales the estimated step (one voxel of the level's grid at most, ITK's
// MaximumStepSizeInPhysicalUnits default) by a factor in [0, 2], to a relative bracket of 0.1,
// in at most 5 metric evaluations. ITK's defaults are [0, 5], 0.01 and 20 evaluations;
// measured on the benchmark pair (docs/benchmarks.md), the coarser search gives the same result
// (within 0.05 deg) for about half the metric evaluations.
constexpr double kLineSearchUpper = 2.0;
constexpr double kLineSearchEpsilon = 0.1;
constexpr unsigned kLineSearchEvaluations = 5;

Optimiser::Pointer makeOptimiser(int iterations) {
  auto optimiser = Optimiser::New();
  optimiser->SetNumberOfIterations(static_cast<itk::SizeValueType>(iterations));
  optimiser->SetLowerLimit(0.0);
  optimiser->SetUpperLimit(kLineSearchUpper);
  optimiser->SetEpsilon(kLineSearchEpsilon);
  optimiser->SetMaximumLineSearchIterations(kLineSearchEvaluations);
  // Each iteration's step is first sized so that no point moves more than one voxel of the
  // level (the scales make a unit of rotation and of translation move points comparably).
  optimiser->SetDoEstimateLearningRateOnce(false);
  optimiser->SetDoEstimateLearningRateAtEachIteration(true);
  optimiser->SetConvergenceWindowSize(kConvergenceWindow);
  optimiser->SetMinimumConvergenceValue(kMinimumConvergence);
  optimiser->SetReturnBestParametersAndValue(true);
  return optimiser;
}

template <class TTransform>
StageOutcome optimiseLinear(TTransform* transform, const Schedule& schedule, Progress& progress,
                            const char* step) {
  auto optimiser = makeOptimiser(schedule.options->iterations);
  auto observer = StageObserver::New();
  observer->setup(&progress, int(schedule.levels->size()), schedule.options->iterations, step);
  return runStage<TTransform, Optimiser>(transform, optimiser.GetPointer(), nullptr, schedule,
                                         progress, observer.GetPointer(),
                                         /*estimateScales=*/true);
}

template <class TTransform>
SpatialTransform fromMatrixOffset(const TTransform& t, SpatialTransform::Kind kind) {
  SpatialTransform result;
  result.kind = kind;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) result.matrix(r, c) = t.GetMatrix()(r, c);
    result.centre_lps[r] = t.GetCenter()[r];
    result.translation_mm[r] = t.GetTranslation()[r];
  }
  return result;
}

template <class TTransform>
void setMatrixOffset(TTransform& t, const Mat3& matrix, const SpatialTransform& from) {
  typename TTransform::CenterType centre;
  typename TTransform::MatrixType m;
  typename TTransform::OutputVectorType translation;
  for (int r = 0; r < 3; ++r) {
    centre[r] = from.centre_lps[r];
    translation[r] = from.translation_mm[r];
    for (int c = 0; c < 3; ++c) m(r, c) = matrix(r, c);
  }
  t.SetCenter(centre);
  t.SetMatrix(m);
  t.SetTranslation(translation);
}

Mat3 closestRotation(const Mat3& m) {
  const Eigen::JacobiSVD<Mat3> svd(m, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Mat3 d = Mat3::Identity();
  d(2, 2) = (svd.matrixU() * svd.matrixV().transpose()).determinant() < 0 ? -1.0 : 1.0;
  return svd.matrixU() * d * svd.matrixV().transpose();
}

}  // namespace

SpatialTransform centredInitialTransform(FloatImage* fixed, FloatImage* moving, Centring centring) {
  auto rigid = Rigid::New();
  using Initialiser = itk::CenteredTransformInitializer<Rigid, FloatImage, FloatImage>;
  auto initialiser = Initialiser::New();
  initialiser->SetTransform(rigid);
  initialiser->SetFixedImage(fixed);
  initialiser->SetMovingImage(moving);
  if (centring == Centring::Moments)
    initialiser->MomentsOn();
  else
    initialiser->GeometryOn();
  try {
    initialiser->InitializeTransform();
  } catch (const itk::ExceptionObject& e) {
    throw Error(ErrorKind::InvalidInput,
                std::string("Cannot centre the series on each other: ") + e.GetDescription() +
                    " (an empty image has no centre of mass; use geometric centring).",
                "registration");
  }
  return fromMatrixOffset(*rigid, SpatialTransform::Kind::Rigid);
}

SpatialTransform rigidStage(const SpatialTransform& initial, const Schedule& schedule,
                            Progress& progress, StageOutcome& outcome) {
  auto rigid = Rigid::New();
  // An affine start (e.g. from landmarks) contributes its closest rotation.
  setMatrixOffset(*rigid, closestRotation(initial.matrix), initial);
  outcome = optimiseLinear(rigid.GetPointer(), schedule, progress, "Rigid registration");
  return fromMatrixOffset(*rigid, SpatialTransform::Kind::Rigid);
}

SpatialTransform affineStage(const SpatialTransform& initial, const Schedule& schedule,
                             Progress& progress, StageOutcome& outcome) {
  auto affine = Affine::New();
  setMatrixOffset(*affine, initial.matrix, initial);
  outcome = optimiseLinear(affine.GetPointer(), schedule, progress, "Affine registration");
  return fromMatrixOffset(*affine, SpatialTransform::Kind::Affine);
}

}  // namespace twinplan::registration::detail
