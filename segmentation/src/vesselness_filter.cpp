// ITK's multi-scale Hessian objectness, alone in this translation unit (ITK's bundled Eigen).
#include "vesselness_filter.h"

#include <itkHessianToObjectnessMeasureImageFilter.h>
#include <itkImportImageFilter.h>
#include <itkMultiScaleHessianBasedMeasureImageFilter.h>

#include <algorithm>

#include "itk_run.h"

namespace twinplan::segmentation::detail {

void frangiVesselness(const float* image, const FloatGrid& grid, double sigmaMin_mm,
                      double sigmaMax_mm, int scales, float* out, Progress& progress) {
  using FloatImage = itk::Image<float, 3>;
  using Import = itk::ImportImageFilter<float, 3>;
  auto import = Import::New();
  Import::RegionType region;
  Import::SpacingType spacing;
  Import::OriginType origin;
  Import::DirectionType direction;
  std::size_t count = 1;
  for (unsigned a = 0; a < 3; ++a) {
    region.SetSize(a, grid.size[a]);
    spacing[a] = grid.spacing_mm[a];
    origin[a] = grid.origin_lps[a];
    for (unsigned b = 0; b < 3; ++b) direction(a, b) = grid.direction[a * 3 + b];
    count *= grid.size[a];
  }
  import->SetRegion(region);
  import->SetSpacing(spacing);
  import->SetOrigin(origin);
  import->SetDirection(direction);
  import->SetImportPointer(const_cast<float*>(image), count,
                           /*LetImageContainerManageMemory=*/false);

  using Hessian = itk::Image<itk::SymmetricSecondRankTensor<double, 3>, 3>;
  using Objectness = itk::HessianToObjectnessMeasureImageFilter<Hessian, FloatImage>;
  auto objectness = Objectness::New();
  // Frangi's tube measure: object dimension 1, bright on dark; alpha = beta = 0.5 (Frangi 1998,
  // section 3); gamma (Frangi's c, the structureness scale) 5 HU/mm^2 keeps CT noise (SD ~10 HU)
  // out of the measure.
  objectness->SetObjectDimension(1);
  objectness->SetBrightObject(true);
  objectness->SetAlpha(0.5);
  objectness->SetBeta(0.5);
  objectness->SetGamma(5.0);
  objectness->SetScaleObjectnessMeasure(false);
  using MultiScale = itk::MultiScaleHessianBasedMeasureImageFilter<FloatImage, Hessian, FloatImage>;
  auto filter = MultiScale::New();
  filter->SetInput(import->GetOutput());
  filter->SetHessianToMeasureFilter(objectness);
  filter->SetSigmaMinimum(sigmaMin_mm);
  filter->SetSigmaMaximum(sigmaMax_mm);
  filter->SetNumberOfSigmaSteps(static_cast<unsigned>(scales));
  filter->SetSigmaStepMethodToLogarithmic();
  runFilter(filter, progress, "Vesselness");
  const float* values = filter->GetOutput()->GetBufferPointer();
  std::copy(values, values + count, out);
}

}  // namespace twinplan::segmentation::detail
