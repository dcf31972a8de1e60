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

using FloatImage = itk::Image<float, 3>;
using Tensors = itk::Image<itk::SymmetricSecondRankTensor<float, 3>, 3>;
using Tensor = Tensors::PixelType;

// The coarse grid of a scale samples sigma at least this often along every axis, i.e. its
// spacing is at most sigma / 2. Scale-space pyramids sample each level in proportion to its
// scale: Lowe (IJCV 2004;60:91, section 3) halves the sampling rate whenever sigma doubles,
// keeping sigma >= 1.6 samples; 2 samples per sigma is finer than that.
constexpr double kSamplesPerSigma = 2.0;
// ITK's recursive Gaussian needs at least 4 samples along an axis.
constexpr std::size_t kMinimumSamples = 4;

// The sigma^2-normalised Hessian (Lindeberg 1998) of `image` at sigma_mm, ITK's recursive
// Gaussian derivatives (Deriche 1993) along each axis, float tensors.
Tensors::Pointer hessianOf(const float* image, const FloatGrid& grid, double sigma_mm,
                           Progress& progress) {
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
  // Float tensors: half the memory of ITK's default (6 doubles a voxel).
  using Hessian = itk::HessianRecursiveGaussianImageFilter<FloatImage, Tensors>;
  auto hessian = Hessian::New();
  hessian->SetInput(import->GetOutput());
  hessian->SetSigma(sigma_mm);             // physical units: anisotropic grids alike
  hessian->SetNormalizeAcrossScale(true);  // sigma^2-normalised (Lindeberg 1998)
  runFilter(hessian, progress, "Vesselness");
  Tensors::Pointer tensors = hessian->GetOutput();
  tensors->DisconnectPipeline();
  return tensors;
}

// Frangi's measure of one Hessian.
float measureOf(const Tensor& tensor) {
  Tensor::EigenValuesArrayType l;
  tensor.ComputeEigenValues(l);
  std::array<double, 3> byMagnitude{l[0], l[1], l[2]};
  std::sort(byMagnitude.begin(), byMagnitude.end(),
            [](double a, double b) { return std::abs(a) < std::abs(b); });
  return static_cast<float>(frangi(byMagnitude[0], byMagnitude[1], byMagnitude[2]));
}

}  // namespace

void frangiVesselness(const float* image, const FloatGrid& grid, const std::uint8_t* where,
                      double sigmaMin_mm, double sigmaMax_mm, int scales, float* out,
                      Progress& progress) {
  const std::size_t count = grid.size[0] * grid.size[1] * grid.size[2];
  std::fill(out, out + count, 0.0f);
  for (int s = 0; s < scales; ++s) {
    const double sigma_mm =
        scales == 1 ? sigmaMin_mm
                    : sigmaMin_mm * std::pow(sigmaMax_mm / sigmaMin_mm, double(s) / (scales - 1));
    auto scale = subRange(progress, double(s) / scales, double(s + 1) / scales);
    const Tensors::Pointer hessian = hessianOf(image, grid, sigma_mm, *scale);
    const Tensor* tensors = hessian->GetBufferPointer();
    parallel::parallelFor({0, count}, 1 << 16, [&](parallel::IndexRange chunk) {
      for (std::size_t v = chunk.begin; v < chunk.end; ++v)
        if (where[v]) out[v] = std::max(out[v], measureOf(tensors[v]));
    });
  }
}

void frangiVesselnessAtScale(const float* image, const FloatGrid& grid, const std::uint8_t* where,
                             double sigma_mm, float* out, Progress& progress) {
  std::fill(out, out + grid.size[0] * grid.size[1] * grid.size[2], 0.0f);
  // Voxels per block along each axis: as many as keep the blocks within sigma / 2.
  std::array<std::size_t, 3> block{}, coarseSize{};
  for (int a = 0; a < 3; ++a) {
    block[a] = static_cast<std::size_t>(
        std::max(1.0, std::floor(sigma_mm / (kSamplesPerSigma * grid.spacing_mm[a]))));
    if (grid.size[a] / block[a] < kMinimumSamples) block[a] = 1;
    coarseSize[a] = grid.size[a] / block[a];  // whole blocks; the last few voxels clamp below
  }
  if (block == std::array<std::size_t, 3>{1, 1, 1}) {
    frangiVesselness(image, grid, where, sigma_mm, sigma_mm, 1, out, progress);
    return;
  }
  FloatGrid coarse = grid;
  coarse.size = coarseSize;
  // Averaging b voxels of spacing h blurs like a Gaussian of variance (b^2 - 1) h^2 / 12 (the
  // variance of a discrete uniform distribution); the Hessian's own Gaussian makes up the rest
  // of sigma^2 (variances add), and its sigma^2 normalisation is rescaled to sigma.
  double blockVariance_mm2 = 0.0;
  for (int a = 0; a < 3; ++a) {
    coarse.spacing_mm[a] = grid.spacing_mm[a] * static_cast<double>(block[a]);
    const double b = static_cast<double>(block[a]);
    blockVariance_mm2 += (b * b - 1.0) * grid.spacing_mm[a] * grid.spacing_mm[a] / 12.0 / 3.0;
  }
  const double coarseSigma_mm = std::sqrt(sigma_mm * sigma_mm - blockVariance_mm2);
  const auto renormalise =
      static_cast<float>(sigma_mm * sigma_mm / (coarseSigma_mm * coarseSigma_mm));

  const std::size_t ni = grid.size[0], nj = grid.size[1];
  const std::size_t ci = coarseSize[0], cj = coarseSize[1], ck = coarseSize[2];
  std::vector<float> averaged(ci * cj * ck);
  const float share = 1.0f / static_cast<float>(block[0] * block[1] * block[2]);
  parallel::parallelFor({0, ck}, 1, [&](parallel::IndexRange slices) {
    std::vector<float> row(ci);
    for (std::size_t kc = slices.begin; kc < slices.end; ++kc)
      for (std::size_t jc = 0; jc < cj; ++jc) {
        std::fill(row.begin(), row.end(), 0.0f);
        for (std::size_t k = kc * block[2]; k < (kc + 1) * block[2]; ++k)
          for (std::size_t j = jc * block[1]; j < (jc + 1) * block[1]; ++j) {
            const float* from = image + (k * nj + j) * ni;
            for (std::size_t ic = 0; ic < ci; ++ic)
              for (std::size_t i = ic * block[0]; i < (ic + 1) * block[0]; ++i) row[ic] += from[i];
          }
        float* to = &averaged[(kc * cj + jc) * ci];
        for (std::size_t ic = 0; ic < ci; ++ic) to[ic] = row[ic] * share;
      }
  });
  progress.check();
  const Tensors::Pointer hessian = hessianOf(averaged.data(), coarse, coarseSigma_mm, progress);
  const Tensor* tensors = hessian->GetBufferPointer();

  // Block c's centre is voxel c b + (b - 1) / 2. Each voxel's Hessian is interpolated from the
  // 4 x 4 x 4 block centres around it with Catmull-Rom weights (Keys, IEEE TASSP 1981: cubic
  // convolution, exact for quadratics): trilinear weights flatten the Hessian's peak on a
  // vessel's axis between samples sigma / 2 apart (the measure 10.6 % low at the largest scale
  // midway between samples, unit/segmentation_vesselness_test); the cubic keeps it within 1.2 %.
  struct Taps {
    std::array<std::size_t, 4> at{};
    std::array<float, 4> weight{};
  };
  auto tapsOf = [&](std::size_t v, int a) {
    const double b = static_cast<double>(block[a]);
    const double u = std::clamp((static_cast<double>(v) - 0.5 * (b - 1.0)) / b, 0.0,
                                static_cast<double>(coarseSize[a] - 1));
    const auto lower = std::min(static_cast<std::size_t>(u), coarseSize[a] - 2);
    const double t = u - static_cast<double>(lower), t2 = t * t, t3 = t2 * t;
    Taps taps;
    const double w[4] = {0.5 * (-t3 + 2 * t2 - t), 0.5 * (3 * t3 - 5 * t2 + 2),
                         0.5 * (-3 * t3 + 4 * t2 + t), 0.5 * (t3 - t2)};
    for (std::size_t n = 0; n < 4; ++n) {
      // Beyond the outer block centres the nearest one repeats (the recursive Gaussian also
      // continues the border).
      const auto index = static_cast<std::ptrdiff_t>(lower + n) - 1;
      taps.at[n] = static_cast<std::size_t>(
          std::clamp<std::ptrdiff_t>(index, 0, static_cast<std::ptrdiff_t>(coarseSize[a] - 1)));
      taps.weight[n] = static_cast<float>(w[n]);
    }
    return taps;
  };
  std::vector<Taps> alongI(ni);
  for (std::size_t i = 0; i < ni; ++i) alongI[i] = tapsOf(i, 0);
  parallel::parallelFor({0, grid.size[2]}, 1, [&](parallel::IndexRange slices) {
    for (std::size_t k = slices.begin; k < slices.end; ++k) {
      const Taps tk = tapsOf(k, 2);
      for (std::size_t j = 0; j < nj; ++j) {
        const std::size_t first = (k * nj + j) * ni;
        const Taps tj = tapsOf(j, 1);
        for (std::size_t i = 0; i < ni; ++i) {
          if (!where[first + i]) continue;
          const Taps& ti = alongI[i];
          Tensor sum;
          sum.Fill(0.0f);
          for (std::size_t c = 0; c < 4; ++c)
            for (std::size_t r = 0; r < 4; ++r) {
              const float wkj = tk.weight[c] * tj.weight[r];
              const Tensor* row = tensors + (tk.at[c] * cj + tj.at[r]) * ci;
              for (std::size_t q = 0; q < 4; ++q) {
                const float weight = wkj * ti.weight[q];
                const Tensor& sample = row[ti.at[q]];
                for (unsigned e = 0; e < 6; ++e) sum[e] += weight * sample[e];
              }
            }
          for (unsigned e = 0; e < 6; ++e) sum[e] *= renormalise;
          out[first + i] = measureOf(sum);
        }
      }
    }
  });
}

}  // namespace twinplan::segmentation::detail
