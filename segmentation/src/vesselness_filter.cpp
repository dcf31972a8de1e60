// Multi-scale Frangi vesselness on ITK's recursive-Gaussian Hessian, alone in this translation
// unit (ITK's bundled Eigen; see itk_run.h).
#include "vesselness_filter.h"

#include <itkHessianRecursiveGaussianImageFilter.h>
#include <itkImportImageFilter.h>

#include <algorithm>
#include <cmath>

#include "itk_run.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation::detail {
namespace {

// Frangi's parameters: alpha = beta = 0.5 (Frangi 1998, section 3); c, the structureness scale,
// 5 HU/mm^2 (about half the largest Hessian norm of a 150 HU tube at the scales used, Frangi's
// rule for c) keeps CT noise out.
constexpr double kAlpha = 0.5, kBeta = 0.5, kC = 5.0;

// Frangi's measure for bright tubes from the eigenvalues sorted by magnitude |l1|<=|l2|<=|l3|.
double frangi(double l1, double l2, double l3) {
  if (l2 >= 0.0 || l3 >= 0.0) return 0.0;  // a bright tube has l2, l3 < 0
  const double ra = std::abs(l2) / std::abs(l3);
  const double rb = std::abs(l1) / std::sqrt(std::abs(l2 * l3));
  const double s2 = l1 * l1 + l2 * l2 + l3 * l3;
  return (1.0 - std::exp(-ra * ra / (2 * kAlpha * kAlpha))) *
         std::exp(-rb * rb / (2 * kBeta * kBeta)) * (1.0 - std::exp(-s2 / (2 * kC * kC)));
}

}  // namespace

void frangiVesselness(const float* image, const FloatGrid& grid, const std::uint8_t* where,
                      double sigmaMin_mm, double sigmaMax_mm, int scales, float* out,
                      Progress& progress) {
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
  import->Update();
  std::fill(out, out + count, 0.0f);
  for (int s = 0; s < scales; ++s) {
    const double sigma_mm =
        scales == 1 ? sigmaMin_mm
                    : sigmaMin_mm * std::pow(sigmaMax_mm / sigmaMin_mm, double(s) / (scales - 1));
    // Float tensors: half the memory of ITK's default (6 doubles a voxel).
    using Tensors = itk::Image<itk::SymmetricSecondRankTensor<float, 3>, 3>;
    using Hessian = itk::HessianRecursiveGaussianImageFilter<FloatImage, Tensors>;
    auto hessian = Hessian::New();
    hessian->SetInput(import->GetOutput());
    hessian->SetSigma(sigma_mm);             // physical units: anisotropic grids alike
    hessian->SetNormalizeAcrossScale(true);  // sigma^2-normalised (Lindeberg 1998)
    auto scale = subRange(progress, double(s) / scales, double(s + 1) / scales);
    runFilter(hessian, *scale, "Vesselness");
    const auto* tensors = hessian->GetOutput()->GetBufferPointer();
    parallel::parallelFor({0, count}, 1 << 16, [&](parallel::IndexRange chunk) {
      for (std::size_t v = chunk.begin; v < chunk.end; ++v) {
        if (!where[v]) continue;
        Hessian::OutputPixelType::EigenValuesArrayType l;
        tensors[v].ComputeEigenValues(l);
        std::array<double, 3> byMagnitude{l[0], l[1], l[2]};
        std::sort(byMagnitude.begin(), byMagnitude.end(),
                  [](double a, double b) { return std::abs(a) < std::abs(b); });
        const auto measure =
            static_cast<float>(frangi(byMagnitude[0], byMagnitude[1], byMagnitude[2]));
        out[v] = std::max(out[v], measure);
      }
    });
  }
}

}  // namespace twinplan::segmentation::detail
