// The deformable stage: a cubic B-spline displacement (ITK BSplineTransform, order 3) on a
// control grid over the fixed image, optimised by L-BFGS-B (Zhu et al., ACM TOMS 23(4), 1997)
// on top of the bulk transform found before it, as ITK's DeformableRegistration examples do.
#include <itkAffineTransform.h>
#include <itkBSplineTransform.h>
#include <itkBSplineTransformInitializer.h>
#include <itkLBFGSBOptimizerv4.h>

#include <algorithm>
#include <cmath>

#include "stage_runner.h"
#include "twinplan/core/itk_view.h"

namespace twinplan::registration::detail {

namespace {

using BSpline = itk::BSplineTransform<double, 3, 3>;
using Optimiser = itk::LBFGSBOptimizerv4;

// L-BFGS-B's cost convergence factor: 1e7 is "moderate accuracy" in the authors' guidance
// (Zhu et al. 1997; vnl_lbfgsb documentation: 1e12 low, 1e7 moderate, 1e1 high).
constexpr double kCostConvergenceFactor = 1e7;
// Stored corrections of the limited-memory Hessian: 5, ITK's default and its examples'.
constexpr unsigned kCorrections = 5;

itk::AffineTransform<double, 3>::Pointer toItkAffine(const SpatialTransform& t) {
  auto affine = itk::AffineTransform<double, 3>::New();
  itk::AffineTransform<double, 3>::CenterType centre;
  itk::AffineTransform<double, 3>::MatrixType matrix;
  itk::AffineTransform<double, 3>::OutputVectorType translation;
  for (int r = 0; r < 3; ++r) {
    centre[r] = t.centre_lps[r];
    translation[r] = t.translation_mm[r];
    for (int c = 0; c < 3; ++c) matrix(r, c) = t.matrix(r, c);
  }
  affine->SetCenter(centre);
  affine->SetMatrix(matrix);
  affine->SetTranslation(translation);
  return affine;
}

// The control grid: nodes every `spacing_mm` (at least one mesh cell per axis) over the fixed
// image's extent, as BSplineTransformInitializer places them (3 extra nodes for the support).
void placeGrid(BSpline* transform, const ImageGeometry& grid, double spacing_mm) {
  // The full-resolution fixed grid without voxels: the initialiser reads only its geometry.
  auto fixed = FloatImage::New();
  setItkGeometry(*fixed, grid);
  BSpline::MeshSizeType meshSize;
  const auto size = fixed->GetLargestPossibleRegion().GetSize();
  for (unsigned a = 0; a < 3; ++a) {
    const double extent_mm = fixed->GetSpacing()[a] * double(size[a] - 1);
    meshSize[a] =
        static_cast<itk::SizeValueType>(std::max(1.0, std::round(extent_mm / spacing_mm)));
  }
  using Initialiser = itk::BSplineTransformInitializer<BSpline, FloatImage>;
  auto initialiser = Initialiser::New();
  initialiser->SetTransform(transform);
  initialiser->SetImage(fixed);
  initialiser->SetTransformDomainMeshSize(meshSize);
  initialiser->InitializeTransform();
  transform->SetIdentity();
}

BSplineDisplacement toDisplacement(const BSpline& transform) {
  const auto images = transform.GetCoefficientImages();
  BSplineDisplacement field;
  const auto& image = *images[0];
  for (unsigned a = 0; a < 3; ++a) {
    field.grid.size[a] = static_cast<std::int64_t>(image.GetLargestPossibleRegion().GetSize()[a]);
    field.grid.origin_lps[a] = image.GetOrigin()[a];
    field.grid.spacing_mm[a] = image.GetSpacing()[a];
    for (unsigned b = 0; b < 3; ++b) field.grid.direction(a, b) = image.GetDirection()(a, b);
  }
  const std::size_t nodes = field.grid.voxelCount();
  field.coefficients.resize(nodes);
  for (unsigned a = 0; a < 3; ++a) {
    const double* c = images[a]->GetBufferPointer();
    for (std::size_t n = 0; n < nodes; ++n) field.coefficients[n][a] = c[n];
  }
  return field;
}

}  // namespace

SpatialTransform bsplineStage(const SpatialTransform& bulk, const Schedule& schedule,
                              Progress& progress, StageOutcome& outcome) {
  const RegistrationOptions& options = *schedule.options;
  auto bspline = BSpline::New();
  placeGrid(bspline, schedule.fixedGrid, options.bsplineGridSpacing_mm);

  auto optimiser = Optimiser::New();
  const auto parameters = bspline->GetNumberOfParameters();
  Optimiser::BoundSelectionType unbounded(parameters);
  unbounded.Fill(0);  // 0: no bound on any coefficient
  Optimiser::BoundValueType bounds(parameters);
  bounds.Fill(0.0);
  optimiser->SetBoundSelection(unbounded);
  optimiser->SetLowerBound(bounds);
  optimiser->SetUpperBound(bounds);
  optimiser->SetCostFunctionConvergenceFactor(kCostConvergenceFactor);
  optimiser->SetGradientConvergenceTolerance(1e-8);
  optimiser->SetNumberOfIterations(static_cast<itk::SizeValueType>(options.bsplineIterations));
  optimiser->SetMaximumNumberOfFunctionEvaluations(
      static_cast<unsigned>(2 * options.bsplineIterations));
  optimiser->SetMaximumNumberOfCorrections(kCorrections);

  auto observer = StageObserver::New();
  observer->setup(&progress, int(schedule.levels->size()), options.bsplineIterations,
                  "Deformable (B-spline) registration");
  const auto bulkTransform = toItkAffine(bulk);
  // The B-spline runs on ITK's pyramid of the full-resolution images (stage_runner.h).
  Schedule onItkPyramid = schedule;
  onItkPyramid.fullFixed = toFloatImage(*schedule.fixedVolume);
  onItkPyramid.fullMoving = toFloatImage(*schedule.movingVolume);
  outcome = runStage<BSpline, Optimiser>(bspline.GetPointer(), optimiser.GetPointer(),
                                         bulkTransform.GetPointer(), onItkPyramid, progress,
                                         observer.GetPointer(),
                                         /*estimateScales=*/false);
  SpatialTransform result = bulk;
  result.kind = SpatialTransform::Kind::BSpline;
  result.bspline = toDisplacement(*bspline);
  return result;
}

}  // namespace twinplan::registration::detail
