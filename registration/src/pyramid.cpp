#include "pyramid.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>

#include "twinplan/core/itk_view.h"
#include "twinplan/core/parallel.h"

namespace twinplan::registration::detail {

namespace {

// Sums of whole blocks of the source, one output slice (k) per loop index, divided by the
// block's voxel count. Source rows are read in order, so the pass is memory-bound.
template <class T>
void blockAverage(std::span<const T> source, const ImageGeometry& in, const std::array<int, 3>& b,
                  const ImageGeometry& out, float* result, Progress& progress) {
  const double weight = 1.0 / double(b[0] * b[1] * b[2]);
  parallel::parallelFor(
      {0, std::size_t(out.size[2])}, 1,
      [&](parallel::IndexRange slices) {
        std::vector<double> row(std::size_t(out.size[0]));
        for (std::size_t k = slices.begin; k < slices.end; ++k)
          for (std::int64_t j = 0; j < out.size[1]; ++j) {
            std::fill(row.begin(), row.end(), 0.0);
            for (int dk = 0; dk < b[2]; ++dk)
              for (int dj = 0; dj < b[1]; ++dj) {
                const T* line =
                    source.data() + in.linearIndex(0, j * b[1] + dj, std::int64_t(k) * b[2] + dk);
                for (std::int64_t i = 0; i < out.size[0]; ++i)
                  for (int di = 0; di < b[0]; ++di)
                    row[std::size_t(i)] += double(line[i * b[0] + di]);
              }
            float* o = result + out.linearIndex(0, j, std::int64_t(k));
            for (std::int64_t i = 0; i < out.size[0]; ++i)
              o[i] = static_cast<float>(row[std::size_t(i)] * weight);
          }
      },
      progress);
}

// One pass of a sampled, normalised Gaussian along `axis` (kernel cut at 3 sigma; at the image
// border the kernel is truncated and renormalised, so a uniform image stays uniform).
void gaussianPass(float* image, const ImageGeometry& g, int axis, double sigma_vox) {
  const int radius = std::max(1, int(std::ceil(3.0 * sigma_vox)));
  std::vector<double> kernel(std::size_t(2 * radius + 1));
  for (int d = -radius; d <= radius; ++d)
    kernel[std::size_t(d + radius)] = std::exp(-0.5 * double(d * d) / (sigma_vox * sigma_vox));
  const std::int64_t n = g.size[axis];
  const std::size_t stride = axis == 0   ? 1
                             : axis == 1 ? std::size_t(g.size[0])
                                         : std::size_t(g.size[0] * g.size[1]);
  // Lines along `axis`: indexed by the other two coordinates.
  const int u = axis == 0 ? 1 : 0, v = axis == 2 ? 1 : 2;
  const std::size_t lines = std::size_t(g.size[u] * g.size[v]);
  parallel::parallelFor({0, lines}, 256, [&](parallel::IndexRange chunk) {
    std::vector<double> line(static_cast<std::size_t>(n));
    for (std::size_t l = chunk.begin; l < chunk.end; ++l) {
      std::array<std::int64_t, 3> at{0, 0, 0};
      at[u] = std::int64_t(l % std::size_t(g.size[u]));
      at[v] = std::int64_t(l / std::size_t(g.size[u]));
      float* first = image + g.linearIndex(at[0], at[1], at[2]);
      for (std::int64_t x = 0; x < n; ++x) line[std::size_t(x)] = first[std::size_t(x) * stride];
      for (std::int64_t x = 0; x < n; ++x) {
        double sum = 0.0, norm = 0.0;
        for (int d = std::max<std::int64_t>(-radius, -x); d <= radius && x + d < n; ++d) {
          const double w = kernel[std::size_t(d + radius)];
          sum += w * line[std::size_t(x + d)];
          norm += w;
        }
        first[std::size_t(x) * stride] = static_cast<float>(sum / norm);
      }
    }
  });
}

}  // namespace

double baseSpacing_mm(const ImageGeometry& fixed, const ImageGeometry& moving,
                      const RegistrationOptions& options) {
  const double finest = std::min(fixed.spacing_mm.minCoeff(), moving.spacing_mm.minCoeff());
  return std::max(finest, options.finestSpacing_mm);
}

std::array<int, 3> blockSizes(const ImageGeometry& grid, int shrinkFactor, double base_mm) {
  std::array<int, 3> block{1, 1, 1};
  for (int a = 0; a < 3; ++a) {
    const double voxels = double(shrinkFactor) * base_mm / grid.spacing_mm[a];
    block[std::size_t(a)] = int(
        std::clamp<std::int64_t>(std::llround(voxels), 1, std::max<std::int64_t>(1, grid.size[a])));
  }
  return block;
}

FloatImage::Pointer downsample(const ImageVolume& volume, const std::array<int, 3>& block,
                               const Vec3& extraSigma_mm) {
  const ImageGeometry& in = volume.geometry();
  ImageGeometry out = in;
  Vec3 firstCentre_vox;
  for (int a = 0; a < 3; ++a) {
    out.size[a] = std::max<std::int64_t>(1, in.size[a] / block[std::size_t(a)]);
    out.spacing_mm[a] = in.spacing_mm[a] * block[std::size_t(a)];
    firstCentre_vox[a] = 0.5 * double(block[std::size_t(a)] - 1);
  }
  out.origin_lps = in.indexToLps(firstCentre_vox);
  auto image = newItkImage<float>(out);
  float* result = image->GetBufferPointer();
  visitGreyVoxels(volume,
                  [&](auto voxels) { blockAverage(voxels, in, block, out, result, noProgress()); });
  for (int a = 0; a < 3; ++a)
    if (extraSigma_mm[a] > 0.0 && out.size[a] > 1)
      gaussianPass(result, out, a, extraSigma_mm[a] / out.spacing_mm[a]);
  return image;
}

double samplingPercentage(const PyramidLevel& level, const RegistrationOptions& options) {
  const double voxels = double(level.fixed->GetLargestPossibleRegion().GetNumberOfPixels());
  const double samples =
      std::min(options.samplingFraction * voxels, double(options.samplesPerLevel));
  return std::clamp(samples / voxels, 1.0 / voxels, 1.0);
}

std::vector<PyramidLevel> buildPyramid(const ImageVolume& fixed, const ImageVolume& moving,
                                       const RegistrationOptions& options, Progress& progress) {
  requirePatientVolume(fixed, "image registration");
  requirePatientVolume(moving, "image registration");
  const double base_mm = baseSpacing_mm(fixed.geometry(), moving.geometry(), options);
  std::vector<PyramidLevel> levels;
  for (std::size_t l = 0; l < options.shrinkFactors.size(); ++l) {
    progress.check();
    const double sigma_mm = options.smoothingSigmas_vox[l] * base_mm;
    PyramidLevel level;
    auto build = [&](const ImageVolume& volume, std::array<int, 3>& block) {
      block = blockSizes(volume.geometry(), options.shrinkFactors[l], base_mm);
      // Averaging b voxels of spacing s already blurs with variance (b^2 - 1) s^2 / 12 (a
      // discrete box); the Gaussian adds what is missing of sigma^2 (variances add).
      Vec3 extra = Vec3::Zero();
      for (int a = 0; a < 3; ++a) {
        const double s = volume.geometry().spacing_mm[a], b = block[std::size_t(a)];
        extra[a] = std::sqrt(std::max(0.0, sigma_mm * sigma_mm - (b * b - 1.0) * s * s / 12.0));
      }
      return downsample(volume, block, extra);
    };
    level.fixed = build(fixed, level.fixedBlock);
    level.moving = build(moving, level.movingBlock);
    levels.push_back(std::move(level));
  }
  return levels;
}

}  // namespace twinplan::registration::detail
