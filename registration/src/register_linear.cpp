// Rigid and affine stages: ITK's VersorRigid3DTransform / AffineTransform optimised by regular-
// step gradient descent with parameter scales from physical shifts (ITK Software Guide 4,
// section 3.8, "Automatic parameter scaling").
#include <itkAffineTransform.h>
#include <itkCenteredTransformInitializer.h>
#include <itkRegularStepGradientDescentOptimizerv4.h>
#include <itkVersorRigid3DTransform.h>

#include <Eigen/SVD>

#include "stage_runner.h"

namespace twinplan::registration::detail {

namespace {

using Optimiser = itk::RegularStepGradientDescentOptimizerv4<double>;
using Rigid = itk::VersorRigid3DTransform<double>;
using Affine = itk::AffineTransform<double, 3>;

// The regular-step optimiser stops when its step falls below this fraction of its first step at
// the level; ITK estimates that first step as one voxel's physical shift, so 1e-3 stops at
// about a thousandth of a voxel (well below the 0.5 mm asked of a rigid result).
constexpr double kRelativeMinimumStep = 1e-3;
// Relaxation of the step when the gradient turns back: 0.5, ITK's default and its Software
// Guide's ImageRegistration examples.
constexpr double kRelaxation = 0.5;

Optimiser::Pointer makeOptimiser(int iterations) {
  auto optimiser = Optimiser::New();
  optimiser->SetNumberOfIterations(static_cast<itk::SizeValueType>(iterations));
  optimiser->SetRelaxationFactor(kRelaxation);
  optimiser->SetGradientMagnitudeTolerance(1e-8);
  optimiser->SetReturnBestParametersAndValue(true);
  // The first step of each level is one voxel's worth of physical shift; the scales make a
  // unit of rotation and of translation move points by comparable distances.
  optimiser->SetDoEstimateLearningRateOnce(true);
  optimiser->SetDoEstimateLearningRateAtEachIteration(false);
  return optimiser;
}

template <class TTransform>
StageOutcome optimiseLinear(FloatImage* fixed, FloatImage* moving, TTransform* transform,
                            const Schedule& schedule, Progress& progress, const char* step) {
  auto optimiser = makeOptimiser(schedule.options->iterations);
  auto observer = StageObserver::New();
  observer->setup(&progress, int(schedule.options->shrinkFactors.size()),
                  schedule.options->iterations, step);
  observer->setRelativeMinimumStep(kRelativeMinimumStep);
  return runStage<TTransform, Optimiser>(fixed, moving, transform, optimiser.GetPointer(), nullptr,
                                         schedule, progress, observer.GetPointer(),
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

SpatialTransform rigidStage(FloatImage* fixed, FloatImage* moving, const SpatialTransform& initial,
                            const Schedule& schedule, Progress& progress, StageOutcome& outcome) {
  auto rigid = Rigid::New();
  // An affine start (e.g. from landmarks) contributes its closest rotation.
  setMatrixOffset(*rigid, closestRotation(initial.matrix), initial);
  outcome =
      optimiseLinear(fixed, moving, rigid.GetPointer(), schedule, progress, "Rigid registration");
  return fromMatrixOffset(*rigid, SpatialTransform::Kind::Rigid);
}

SpatialTransform affineStage(FloatImage* fixed, FloatImage* moving, const SpatialTransform& initial,
                             const Schedule& schedule, Progress& progress, StageOutcome& outcome) {
  auto affine = Affine::New();
  setMatrixOffset(*affine, initial.matrix, initial);
  outcome =
      optimiseLinear(fixed, moving, affine.GetPointer(), schedule, progress, "Affine registration");
  return fromMatrixOffset(*affine, SpatialTransform::Kind::Affine);
}

}  // namespace twinplan::registration::detail
