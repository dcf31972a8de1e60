// The interactive tools of seeded.h on ITK's region-growing, level-set and watershed filters.
#include "twinplan/segmentation/seeded.h"

#include <itkBinaryThresholdImageFilter.h>
#include <itkFastMarchingImageFilter.h>
#include <itkGeodesicActiveContourLevelSetImageFilter.h>
#include <itkGradientMagnitudeRecursiveGaussianImageFilter.h>
#include <itkMorphologicalWatershedFromMarkersImageFilter.h>
#include <itkSigmoidImageFilter.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "itk_support.h"
#include "region_growing.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation {

using detail::FloatImage;
using detail::LabelImage;
using detail::MaskImage;

namespace {

struct NamedRange {
  HuPreset preset;
  const char* name;
  HuRange range;
};

// CT number ranges. Air and lung: air -1000 HU, aerated lung parenchyma -950..-500 (emphysema
// below -950, Gevenois et al., AJR 1996;167:1169; -500 is the upper end of the ground-glass-free
// parenchyma, Hounsfield-scale table in Prokop & Galanski, "Spiral and Multislice Computed
// Tomography of the Body", Thieme 2003). Fat -190..-30 HU (the adipose range of body-composition
// CT, Kvist et al., Am J Clin Nutr 1988;48:1351; Yoshizumi et al., Radiology 1999;211:283).
// Soft tissue (muscle, parenchyma, unenhanced blood) -29..+150 HU (muscle -29..+150, Mitsiopoulos
// et al., J Appl Physiol 1998;85:115). Bone >= +200 HU: cancellous bone +300..+400, cortex
// +500..+1900 (Prokop & Galanski); 200 leaves out portal-venous blood (<= ~200 HU, Bae,
// Radiology 2010;256:32). Contrast-enhanced vessels +150..+500 HU: arterial/portal-venous lumen
// enhancement (Bae 2010; CT angiography targets >= 250 HU in the aorta, Kalva et al., AJR 2006).
constexpr std::array<NamedRange, 6> kHuPresets{{
    {HuPreset::Air, "air", {-1100.0, -950.0}},
    {HuPreset::Lung, "lung", {-950.0, -500.0}},
    {HuPreset::Fat, "fat", {-190.0, -30.0}},
    {HuPreset::SoftTissue, "soft-tissue", {-29.0, 150.0}},
    {HuPreset::Bone, "bone", {200.0, 3071.0}},
    {HuPreset::ContrastVessel, "contrast-vessel", {150.0, 500.0}},
}};

template <class T>
void thresholdBox(const ImageVolume& volume, std::span<const T> voxels, const VoxelBox& box,
                  HuRange range, RegionMask& mask, Progress& progress) {
  const auto width = static_cast<std::size_t>(box.extent(0));
  forEachBoxRow(
      volume.geometry(), box, progress, "Threshold", [&](std::size_t row, std::size_t first) {
        const T* from = &voxels[first];
        std::uint8_t* to = &mask.inside[row * width];
        for (std::size_t i = 0; i < width; ++i) {
          const auto value = static_cast<double>(from[i]);
          to[i] = value >= range.low_HU && value <= range.high_HU && !volume.isPadding(value);
        }
      });
}

VoxelBox regionOrWhole(const ImageVolume& volume, const std::optional<VoxelBox>& region) {
  const VoxelBox whole = wholeGrid(volume.geometry());
  if (!region) return whole;
  VoxelBox box = *region;
  for (int a = 0; a < 3; ++a) {
    box.begin[a] = std::clamp<std::int64_t>(box.begin[a], 0, whole.end[a]);
    box.end[a] = std::clamp<std::int64_t>(box.end[a], box.begin[a], whole.end[a]);
  }
  if (box.empty())
    throw Error(ErrorKind::InvalidInput,
                "The preview region does not overlap the image; choose a slice or box inside it.",
                "region");
  return box;
}

// The Gaussian derivative filters need 4 voxels along every axis (ITK's recursive Gaussian): a
// thinner preview box (one slice) is run on a box widened to 4 voxels along those axes and the
// result cut back to the box asked for.
VoxelBox widenedForGaussian(const ImageVolume& volume, const VoxelBox& box) {
  constexpr std::int64_t kMinimum = 4;
  VoxelBox wide = box;
  for (int a = 0; a < 3; ++a) {
    const std::int64_t size = volume.geometry().size[a];
    if (size < kMinimum)
      throw Error(ErrorKind::Unsupported,
                  "This tool smooths the image and needs at least 4 voxels along each axis; \"" +
                      volume.name + "\" has " + std::to_string(size) +
                      ". Use threshold or region growing on it.",
                  volume.name);
    if (wide.extent(a) >= kMinimum) continue;
    wide.begin[a] = std::clamp<std::int64_t>(box.begin[a] - (kMinimum - box.extent(a) + 1) / 2, 0,
                                             size - kMinimum);
    wide.end[a] = wide.begin[a] + kMinimum;
  }
  return wide;
}

// The voxels of `values` (on `from`, a box of the volume's grid) that lie in `to` (inside it).
template <class T>
std::vector<T> cropBox(const std::vector<T>& values, const VoxelBox& from, const VoxelBox& to) {
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(to.extent(0) * to.extent(1) * to.extent(2)));
  for (std::int64_t k = to.begin[2]; k < to.end[2]; ++k)
    for (std::int64_t j = to.begin[1]; j < to.end[1]; ++j) {
      const auto row = static_cast<std::size_t>(
          (to.begin[0] - from.begin[0]) +
          from.extent(0) * ((j - from.begin[1]) + from.extent(1) * (k - from.begin[2])));
      out.insert(out.end(), values.begin() + static_cast<std::ptrdiff_t>(row),
                 values.begin() + static_cast<std::ptrdiff_t>(row + std::size_t(to.extent(0))));
    }
  return out;
}

// `mask` (on box `from`) placed in the larger box `to` that holds it; 0 elsewhere.
RegionMask pasteMask(const RegionMask& mask, const ImageVolume& volume, const VoxelBox& from,
                     const VoxelBox& to) {
  if (from == to) return mask;
  RegionMask out{boxGeometry(volume.geometry(), to),
                 std::vector<std::uint8_t>(
                     static_cast<std::size_t>(to.extent(0) * to.extent(1) * to.extent(2)))};
  for (std::int64_t k = from.begin[2]; k < from.end[2]; ++k)
    for (std::int64_t j = from.begin[1]; j < from.end[1]; ++j) {
      const auto source = static_cast<std::size_t>(
          from.extent(0) * ((j - from.begin[1]) + from.extent(1) * (k - from.begin[2])));
      const auto target = static_cast<std::size_t>(
          (from.begin[0] - to.begin[0]) +
          to.extent(0) * ((j - to.begin[1]) + to.extent(1) * (k - to.begin[2])));
      std::copy_n(mask.inside.begin() + static_cast<std::ptrdiff_t>(source), from.extent(0),
                  out.inside.begin() + static_cast<std::ptrdiff_t>(target));
    }
  return out;
}

// The part of `box` a front of unit top speed can reach from the seeds within `reach_mm`
// (the sigmoid speed is at most 1, so the arrival time is at least the distance).
VoxelBox reachable(const ImageVolume& volume, const VoxelBox& box, std::span<const Vec3> seeds_lps,
                   double reach_mm) {
  VoxelBox bounds{{box.end[0], box.end[1], box.end[2]}, {box.begin[0], box.begin[1], box.begin[2]}};
  for (const Vec3& seed : seeds_lps) {
    const VoxelBox around = boxAround(volume.geometry(), seed, reach_mm + 1e-6);
    for (int a = 0; a < 3; ++a) {
      bounds.begin[a] = std::min(bounds.begin[a], around.begin[a] - 1);
      bounds.end[a] = std::max(bounds.end[a], around.end[a] + 1);
    }
  }
  for (int a = 0; a < 3; ++a) {
    bounds.begin[a] = std::clamp(bounds.begin[a], box.begin[a], box.end[a]);
    bounds.end[a] = std::clamp(bounds.end[a], bounds.begin[a], box.end[a]);
  }
  return bounds;
}

RegionMask cropMask(const RegionMask& mask, const ImageVolume& volume, const VoxelBox& from,
                    const VoxelBox& to) {
  if (from == to) return mask;
  return {boxGeometry(volume.geometry(), to), cropBox(mask.inside, from, to)};
}

void requireRange(HuRange range) {
  if (!(range.low_HU <= range.high_HU))
    throw Error(ErrorKind::InvalidInput,
                "The intensity range is empty (low " + std::to_string(range.low_HU) + " > high " +
                    std::to_string(range.high_HU) + "); swap the bounds.",
                "range");
}

// Gradient magnitude of the Gaussian-smoothed image (sigma in mm: the recursive Gaussian works
// in physical units, so anisotropic voxels are smoothed alike along every axis).
FloatImage::Pointer gradientMagnitude(const FloatImage::Pointer& image, double sigma_mm,
                                      Progress& progress) {
  using Gradient = itk::GradientMagnitudeRecursiveGaussianImageFilter<FloatImage, FloatImage>;
  auto gradient = Gradient::New();
  gradient->SetInput(image);
  gradient->SetSigma(sigma_mm);
  detail::runFilter(gradient, progress, "Gradient magnitude");
  FloatImage::Pointer out = gradient->GetOutput();
  out->DisconnectPipeline();
  return out;
}

// The median gradient within 3 voxels of the seeds: the "interior" gradient of the Guide's
// sigmoid parameters.
double interiorGradient(const FloatImage& gradient, const std::vector<itk::Index<3>>& seeds) {
  std::vector<float> values;
  const auto size = gradient.GetBufferedRegion().GetSize();
  for (const auto& seed : seeds)
    for (int dk = -3; dk <= 3; ++dk)
      for (int dj = -3; dj <= 3; ++dj)
        for (int di = -3; di <= 3; ++di) {
          itk::Index<3> at = seed;
          at[0] += di;
          at[1] += dj;
          at[2] += dk;
          bool inside = true;
          for (unsigned a = 0; a < 3; ++a)
            inside = inside && at[a] >= 0 && at[a] < static_cast<itk::IndexValueType>(size[a]);
          if (inside) values.push_back(gradient.GetPixel(at));
        }
  if (values.empty()) return 0.0;
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

FloatImage::Pointer speedImage(const FloatImage::Pointer& image,
                               const std::vector<itk::Index<3>>& seeds, const SpeedOptions& options,
                               Progress& progress) {
  auto gradient = gradientMagnitude(image, options.smoothingSigma_mm, progress);
  const double interior = interiorGradient(*gradient, seeds);
  const double edge = std::max(options.edgeGradient_per_mm, interior + 1e-3);
  using Sigmoid = itk::SigmoidImageFilter<FloatImage, FloatImage>;
  auto sigmoid = Sigmoid::New();
  sigmoid->SetInput(gradient);
  sigmoid->SetAlpha(-(edge - interior) / 6.0);
  sigmoid->SetBeta((edge + interior) / 2.0);
  sigmoid->SetOutputMinimum(0.0f);
  sigmoid->SetOutputMaximum(1.0f);
  detail::runFilter(sigmoid, progress, "Speed image");
  FloatImage::Pointer out = sigmoid->GetOutput();
  out->DisconnectPipeline();
  return out;
}

// Arrival time of a front from the seeds over `speed` (constant speed 1 when speed is null),
// computed up to stopAt.
FloatImage::Pointer arrivalTimes(const FloatImage::Pointer& grid, const FloatImage::Pointer& speed,
                                 const std::vector<itk::Index<3>>& seeds, double stopAt,
                                 Progress& progress) {
  using FastMarching = itk::FastMarchingImageFilter<FloatImage, FloatImage>;
  auto marching = FastMarching::New();
  auto trial = FastMarching::NodeContainer::New();
  trial->Initialize();
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    FastMarching::NodeType node;
    node.SetIndex(seeds[s]);
    node.SetValue(0.0);
    trial->InsertElement(static_cast<unsigned>(s), node);
  }
  marching->SetTrialPoints(trial);
  if (speed) {
    marching->SetInput(speed);
  } else {
    marching->SetSpeedConstant(1.0);
  }
  marching->SetOutputRegion(grid->GetBufferedRegion());
  marching->SetOutputSpacing(grid->GetSpacing());
  marching->SetOutputOrigin(grid->GetOrigin());
  marching->SetOutputDirection(grid->GetDirection());
  marching->SetStoppingValue(stopAt);
  detail::runFilter(marching, progress, "Fast marching");
  FloatImage::Pointer out = marching->GetOutput();
  out->DisconnectPipeline();
  return out;
}

RegionMask below(const FloatImage& image, double limit, const ImageGeometry& grid) {
  RegionMask mask{grid, std::vector<std::uint8_t>(grid.voxelCount())};
  const float* values = image.GetBufferPointer();
  for (std::size_t v = 0; v < mask.inside.size(); ++v) mask.inside[v] = values[v] <= limit;
  return mask;
}

// The geodesic active contour's preview on a coarser grid (seeded.h, GeodesicOptions::
// previewVoxels): each coarse voxel is a block of factor^3 voxels of the box, centred on the
// block's centre, with the same direction.
int coarseningFactor(const VoxelBox& box, std::size_t previewVoxels) {
  const double voxels = double(box.extent(0)) * double(box.extent(1)) * double(box.extent(2));
  if (previewVoxels == 0 || voxels <= double(previewVoxels)) return 1;
  return static_cast<int>(std::ceil(std::cbrt(voxels / double(previewVoxels)) - 1e-9));
}

ImageGeometry coarseGrid(const ImageGeometry& fine, int factor) {
  ImageGeometry coarse = fine;
  for (int a = 0; a < 3; ++a) coarse.size[a] = (fine.size[a] + factor - 1) / factor;
  coarse.spacing_mm = fine.spacing_mm * double(factor);
  coarse.origin_lps =
      fine.origin_lps + fine.direction * (fine.spacing_mm * (0.5 * double(factor - 1)));
  return coarse;
}

// The smallest speed in each block (the blocks at the far edges may hold fewer voxels): an edge
// (speed ~0) thinner than a block still stops the front, where a block mean would let it leak.
FloatImage::Pointer blockMinimum(const FloatImage& fine, const ImageGeometry& fineGrid,
                                 const ImageGeometry& coarseGrid, int factor) {
  auto coarse = detail::newFloatImage(coarseGrid);
  const float* from = fine.GetBufferPointer();
  float* to = coarse->GetBufferPointer();
  const auto& n = fineGrid.size;
  parallel::parallelFor({0, std::size_t(coarseGrid.size[2])}, 1, [&](parallel::IndexRange ks) {
    for (auto kc = std::int64_t(ks.begin); kc < std::int64_t(ks.end); ++kc)
      for (std::int64_t jc = 0; jc < coarseGrid.size[1]; ++jc)
        for (std::int64_t ic = 0; ic < coarseGrid.size[0]; ++ic) {
          float lowest = std::numeric_limits<float>::max();
          for (std::int64_t k = kc * factor; k < std::min(n[2], (kc + 1) * factor); ++k)
            for (std::int64_t j = jc * factor; j < std::min(n[1], (jc + 1) * factor); ++j)
              for (std::int64_t i = ic * factor; i < std::min(n[0], (ic + 1) * factor); ++i) {
                lowest = std::min(lowest, from[fineGrid.linearIndex(i, j, k)]);
              }
          to[coarseGrid.linearIndex(ic, jc, kc)] = lowest;
        }
  });
  return coarse;
}

// Inside (level set < 0) on the fine grid, from the coarse level set interpolated trilinearly
// (a smoother outline than repeating each coarse voxel).
RegionMask insideFromCoarse(const FloatImage& coarse, const ImageGeometry& coarseGrid,
                            const ImageGeometry& fineGrid, int factor) {
  RegionMask mask{fineGrid, std::vector<std::uint8_t>(fineGrid.voxelCount())};
  const float* phi = coarse.GetBufferPointer();
  auto axis = [&](std::int64_t fineIndex, int a, std::int64_t& low, double& weight) {
    const double x = (double(fineIndex) - 0.5 * double(factor - 1)) / double(factor);
    const double clamped = std::clamp(x, 0.0, double(coarseGrid.size[a] - 1));
    low = std::min<std::int64_t>(std::int64_t(clamped), coarseGrid.size[a] - 1);
    weight = clamped - double(low);
  };
  parallel::parallelFor({0, std::size_t(fineGrid.size[2])}, 1, [&](parallel::IndexRange ks) {
    for (auto k = std::int64_t(ks.begin); k < std::int64_t(ks.end); ++k) {
      std::int64_t k0;
      double wk;
      axis(k, 2, k0, wk);
      const std::int64_t k1 = std::min(k0 + 1, coarseGrid.size[2] - 1);
      for (std::int64_t j = 0; j < fineGrid.size[1]; ++j) {
        std::int64_t j0;
        double wj;
        axis(j, 1, j0, wj);
        const std::int64_t j1 = std::min(j0 + 1, coarseGrid.size[1] - 1);
        for (std::int64_t i = 0; i < fineGrid.size[0]; ++i) {
          std::int64_t i0;
          double wi;
          axis(i, 0, i0, wi);
          const std::int64_t i1 = std::min(i0 + 1, coarseGrid.size[0] - 1);
          auto at = [&](std::int64_t a, std::int64_t b, std::int64_t c) {
            return double(phi[coarseGrid.linearIndex(a, b, c)]);
          };
          const double value =
              (1 - wk) * ((1 - wj) * ((1 - wi) * at(i0, j0, k0) + wi * at(i1, j0, k0)) +
                          wj * ((1 - wi) * at(i0, j1, k0) + wi * at(i1, j1, k0))) +
              wk * ((1 - wj) * ((1 - wi) * at(i0, j0, k1) + wi * at(i1, j0, k1)) +
                    wj * ((1 - wi) * at(i0, j1, k1) + wi * at(i1, j1, k1)));
          mask.inside[fineGrid.linearIndex(i, j, k)] = value < 0.0;
        }
      }
    }
  });
  return mask;
}

// Gaussian-derivative filtering of a slice (the watershed's slice preview). A separable FIR
// Gaussian cut at 4 sigma (the kernel's tail beyond holds < 1e-4 of its weight) applied along
// each axis in turn, over a block of the volume that holds the kernel's reach, each pass keeping
// only the positions of the slice along its axis: the thin axis first, so the rest is 2D work.
struct Block {
  std::array<std::int64_t, 3> size{};
  std::vector<float> values;
  std::size_t at(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return static_cast<std::size_t>(i + size[0] * (j + size[1] * k));
  }
};

// Weights at offsets -r..r (r = kernel.size() / 2) of a Gaussian of sigma_mm sampled every
// spacing_mm, or of its derivative (normalised so that a ramp of slope 1 gives 1).
std::vector<double> gaussianKernel(double sigma_mm, double spacing_mm, bool derivative) {
  const auto radius = static_cast<std::int64_t>(std::ceil(4.0 * sigma_mm / spacing_mm));
  std::vector<double> weights;
  double norm = 0.0;
  for (std::int64_t t = -radius; t <= radius; ++t) {
    const double x_mm = double(t) * spacing_mm;
    const double g = std::exp(-0.5 * x_mm * x_mm / (sigma_mm * sigma_mm));
    weights.push_back(derivative ? x_mm * g : g);
    norm += derivative ? x_mm * x_mm * g : g;
  }
  for (double& w : weights) w /= norm;
  return weights;
}

// Correlates `in` with `kernel` along `axis`, keeping positions first..first+count-1 of that
// axis (indices beyond the block are clamped to it: the volume's edge repeated).
Block filterAxis(const Block& in, int axis, const std::vector<double>& kernel, std::int64_t first,
                 std::int64_t count) {
  Block out;
  out.size = in.size;
  out.size[axis] = count;
  out.values.resize(static_cast<std::size_t>(out.size[0] * out.size[1] * out.size[2]));
  const auto radius = static_cast<std::int64_t>(kernel.size() / 2);
  const std::int64_t stride = axis == 0 ? 1 : axis == 1 ? in.size[0] : in.size[0] * in.size[1];
  const std::int64_t last = in.size[axis] - 1;
  // Rows (j, k) in chunks: after the thin axis's pass the block is one slice, k extent 1.
  parallel::parallelFor(
      {0, std::size_t(out.size[1] * out.size[2])}, 16, [&](parallel::IndexRange rows) {
        for (std::size_t row = rows.begin; row < rows.end; ++row) {
          const auto j = static_cast<std::int64_t>(row) % out.size[1];
          const auto k = static_cast<std::int64_t>(row) / out.size[1];
          for (std::int64_t i = 0; i < out.size[0]; ++i) {
            std::array<std::int64_t, 3> p{i, j, k};
            const std::int64_t centre = p[axis] + first;
            p[axis] = 0;
            const float* line = in.values.data() + in.at(p[0], p[1], p[2]);
            double sum = 0.0;
            for (std::int64_t t = -radius; t <= radius; ++t)
              sum += kernel[std::size_t(t + radius)] *
                     double(line[std::clamp<std::int64_t>(centre + t, 0, last) * stride]);
            out.values[out.at(i, j, k)] = static_cast<float>(sum);
          }
        }
      });
  return out;
}

// |grad (G_sigma * image)| on the voxels of `box` (one voxel thick along some axis), from the
// volume around it: the same quantity as ITK's GradientMagnitudeRecursiveGaussianImageFilter
// on the whole volume, with a FIR kernel instead of Deriche's recursive approximation.
FloatImage::Pointer sliceGradientMagnitude(const ImageVolume& volume, const VoxelBox& box,
                                           double sigma_mm, Progress& progress) {
  const ImageGeometry& g = volume.geometry();
  std::array<std::vector<double>, 3> smooth, derive;
  VoxelBox reach = box;
  for (int a = 0; a < 3; ++a) {
    smooth[a] = gaussianKernel(sigma_mm, g.spacing_mm[a], false);
    derive[a] = gaussianKernel(sigma_mm, g.spacing_mm[a], true);
    const auto radius = static_cast<std::int64_t>(smooth[a].size() / 2);
    reach.begin[a] = std::max<std::int64_t>(0, box.begin[a] - radius);
    reach.end[a] = std::min<std::int64_t>(g.size[a], box.end[a] + radius);
  }
  Block block;
  {
    auto image = detail::floatImage(volume, reach, false, progress);
    const float* values = image->GetBufferPointer();
    block.size = {reach.extent(0), reach.extent(1), reach.extent(2)};
    block.values.assign(
        values, values + static_cast<std::size_t>(block.size[0] * block.size[1] * block.size[2]));
  }
  int thin = 2;
  for (int a = 0; a < 3; ++a)
    if (box.extent(a) < box.extent(thin)) thin = a;
  std::array<int, 3> order{thin, (thin + 1) % 3, (thin + 2) % 3};
  auto pass = [&](const Block& in, int axis, bool derivative) {
    return filterAxis(in, axis, derivative ? derive[axis] : smooth[axis],
                      box.begin[axis] - reach.begin[axis], box.extent(axis));
  };
  const Block smoothedThin = pass(block, thin, false);
  const Block derivedThin = pass(block, thin, true);
  progress.check();
  const Block alongThin = pass(pass(derivedThin, order[1], false), order[2], false);
  const Block alongSecond = pass(pass(smoothedThin, order[1], true), order[2], false);
  const Block alongThird = pass(pass(smoothedThin, order[1], false), order[2], true);
  auto out = detail::newFloatImage(boxGeometry(g, box));
  float* magnitude = out->GetBufferPointer();
  for (std::size_t v = 0; v < alongThin.values.size(); ++v)
    magnitude[v] = std::sqrt(alongThin.values[v] * alongThin.values[v] +
                             alongSecond.values[v] * alongSecond.values[v] +
                             alongThird.values[v] * alongThird.values[v]);
  return out;
}

// Marker watershed flooding (MarkWatershedLine off: every voxel gets a label; faces only).
template <unsigned Dimension>
std::vector<std::uint16_t> flood(
    const typename itk::Image<float, Dimension>::Pointer& gradient,
    const typename itk::Image<std::uint16_t, Dimension>::Pointer& markers, Progress& progress) {
  using Watershed =
      itk::MorphologicalWatershedFromMarkersImageFilter<itk::Image<float, Dimension>,
                                                        itk::Image<std::uint16_t, Dimension>>;
  auto flooding = Watershed::New();
  flooding->SetInput(gradient);
  flooding->SetMarkerImage(markers);
  flooding->SetMarkWatershedLine(false);
  flooding->SetFullyConnected(false);
  detail::runFilter(flooding, progress, "Watershed");
  const std::uint16_t* labels = flooding->GetOutput()->GetBufferPointer();
  return {labels, labels + flooding->GetOutput()->GetBufferedRegion().GetNumberOfPixels()};
}

std::vector<std::uint16_t> flood3d(const FloatImage::Pointer& gradient,
                                   const LabelImage::Pointer& markers, Progress& progress) {
  return flood<3>(gradient, markers, progress);
}

// A one-voxel-thick box flooded as a 2D image: its buffer is already a 2D image of the other two
// axes (i fastest), and ITK's neighbourhood iterators take their slow, bounds-checked path on
// every pixel of a 3D image one voxel thick (measured: half the flooding's time).
std::vector<std::uint16_t> floodSlice(const FloatImage& gradient, const LabelImage& markers,
                                      const VoxelBox& box, Progress& progress) {
  int thin = 0;
  while (box.extent(thin) != 1) ++thin;
  itk::ImageRegion<2> region;
  region.SetSize(0, static_cast<itk::SizeValueType>(box.extent(thin == 0 ? 1 : 0)));
  region.SetSize(1, static_cast<itk::SizeValueType>(box.extent(thin == 2 ? 1 : 2)));
  auto gradient2d = itk::Image<float, 2>::New();
  gradient2d->SetRegions(region);
  gradient2d->Allocate();
  auto markers2d = itk::Image<std::uint16_t, 2>::New();
  markers2d->SetRegions(region);
  markers2d->Allocate();
  const std::size_t n = region.GetNumberOfPixels();
  std::copy_n(gradient.GetBufferPointer(), n, gradient2d->GetBufferPointer());
  std::copy_n(markers.GetBufferPointer(), n, markers2d->GetBufferPointer());
  return flood<2>(gradient2d, markers2d, progress);
}

}  // namespace

HuRange huRange(HuPreset preset) {
  for (const NamedRange& entry : kHuPresets)
    if (entry.preset == preset) return entry.range;
  throw Error(ErrorKind::Internal, "Unknown HU preset.");
}

std::string_view toString(HuPreset preset) {
  for (const NamedRange& entry : kHuPresets)
    if (entry.preset == preset) return entry.name;
  return "?";
}

HuPreset huPresetFromString(std::string_view name) {
  std::string names;
  for (const NamedRange& entry : kHuPresets) {
    if (name == entry.name) return entry.preset;
    names += (names.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw Error(ErrorKind::InvalidInput,
              "There is no HU preset \"" + std::string(name) + "\"; the presets are " + names + ".",
              "preset");
}

RegionMask threshold(const ImageVolume& volume, HuRange range,
                     const std::optional<VoxelBox>& region, Progress& progress) {
  detail::requireGreyscale(volume, "Threshold");
  requireRange(range);
  const VoxelBox box = regionOrWhole(volume, region);
  const ImageGeometry grid = boxGeometry(volume.geometry(), box);
  RegionMask mask{grid, std::vector<std::uint8_t>(grid.voxelCount())};
  visitGreyVoxels(volume,
                  [&](auto voxels) { thresholdBox(volume, voxels, box, range, mask, progress); });
  return mask;
}

RegionMask connectedThreshold(const ImageVolume& volume, std::span<const Vec3> seeds_lps,
                              HuRange range, const std::optional<VoxelBox>& region,
                              Progress& progress) {
  detail::requireGreyscale(volume, "Region growing");
  detail::requireSeeds(seeds_lps, "Region growing");
  requireRange(range);
  const VoxelBox box = regionOrWhole(volume, region);
  const auto seeds = detail::seedIndices(volume.geometry(), box, seeds_lps);
  auto read = subRange(progress, 0.0, 0.2);
  auto image = detail::floatImage(volume, box, /*paddingAsNaN=*/true, *read);
  // itk::ConnectedThresholdImageFilter's rule (face neighbours, float thresholds, a seed out of
  // range starts nothing) on our flood fill (region_growing.h): the same voxels, ~5x faster.
  const ImageGeometry grid = boxGeometry(volume.geometry(), box);
  std::vector<std::size_t> seedVoxels;
  for (const auto& seed : seeds) seedVoxels.push_back(grid.linearIndex(seed[0], seed[1], seed[2]));
  auto run = subRange(progress, 0.2, 1.0);
  detail::GrownRegion grown =
      detail::floodFill({image->GetBufferPointer(), grid.voxelCount()}, grid.size, seedVoxels,
                        static_cast<float>(range.low_HU), static_cast<float>(range.high_HU), *run);
  return {grid, std::move(grown.inside)};
}

RegionMask confidenceConnected(const ImageVolume& volume, std::span<const Vec3> seeds_lps,
                               const ConfidenceOptions& options,
                               const std::optional<VoxelBox>& region, Progress& progress) {
  detail::requireGreyscale(volume, "Confidence connected");
  detail::requireSeeds(seeds_lps, "Confidence connected");
  if (!(options.multiplier > 0.0) || options.iterations < 0 || options.initialRadius_voxels < 1)
    throw Error(ErrorKind::InvalidInput,
                "Confidence connected needs a multiplier > 0, iterations >= 0 and an initial "
                "radius of at least 1 voxel.",
                "options");
  const VoxelBox box = regionOrWhole(volume, region);
  const auto seeds = detail::seedIndices(volume.geometry(), box, seeds_lps);
  // ITK's ConfidenceConnectedImageFilter's algorithm on our own flood fill (region_growing.h):
  // the same voxels, many times faster (its flood iterators cost ~150 ns a voxel and it floods
  // twice per iteration).
  std::vector<std::array<std::int64_t, 3>> seedVoxels;
  for (const auto& seed : seeds) seedVoxels.push_back({seed[0], seed[1], seed[2]});
  const ImageGeometry grid = boxGeometry(volume.geometry(), box);
  detail::GrownRegion grown;
  if (grid.voxelCount() == volume.geometry().voxelCount()) {
    // The whole volume: grown on the volume's own voxels (no float copy of all of them).
    visitGreyVoxels(volume, [&](auto voxels) {
      grown = detail::confidenceFlood(voxels, grid.size, seedVoxels, options.multiplier,
                                      options.iterations, options.initialRadius_voxels, progress);
    });
    return {grid, std::move(grown.inside)};
  }
  auto read = subRange(progress, 0.0, 0.2);
  auto image = detail::floatImage(volume, box, /*paddingAsNaN=*/false, *read);
  auto run = subRange(progress, 0.2, 1.0);
  grown = detail::confidenceFlood(
      std::span<const float>(image->GetBufferPointer(), grid.voxelCount()), grid.size, seedVoxels,
      options.multiplier, options.iterations, options.initialRadius_voxels, *run);
  return {grid, std::move(grown.inside)};
}

RegionMask fastMarching(const ImageVolume& volume, std::span<const Vec3> seeds_lps,
                        const FastMarchingOptions& options, const std::optional<VoxelBox>& region,
                        Progress& progress) {
  detail::requireGreyscale(volume, "Fast marching");
  detail::requireSeeds(seeds_lps, "Fast marching");
  if (!(options.arrivalTime > 0.0) || !(options.speed.smoothingSigma_mm > 0.0))
    throw Error(ErrorKind::InvalidInput,
                "Fast marching needs an arrival time > 0 and a smoothing sigma > 0 mm.", "options");
  const VoxelBox whole = regionOrWhole(volume, region);
  detail::seedIndices(volume.geometry(), whole, seeds_lps);  // seeds inside the asked box
  // Only what the front can reach is computed (a preview on a slice touches a small patch).
  const VoxelBox asked = reachable(volume, whole, seeds_lps, options.arrivalTime);
  const VoxelBox box = widenedForGaussian(volume, asked);
  const auto seeds = detail::seedIndices(volume.geometry(), box, seeds_lps);
  auto read = subRange(progress, 0.0, 0.1);
  auto image = detail::floatImage(volume, box, false, *read);
  auto speedProgress = subRange(progress, 0.1, 0.5);
  auto speed = speedImage(image, seeds, options.speed, *speedProgress);
  auto march = subRange(progress, 0.5, 1.0);
  auto times = arrivalTimes(image, speed, seeds, options.arrivalTime * 1.05, *march);
  const RegionMask reached = cropMask(
      below(*times, options.arrivalTime, boxGeometry(volume.geometry(), box)), volume, box, asked);
  return pasteMask(reached, volume, asked, whole);
}

RegionMask geodesicActiveContour(const ImageVolume& volume, std::span<const Vec3> seeds_lps,
                                 const GeodesicOptions& options,
                                 const std::optional<VoxelBox>& region, Progress& progress) {
  detail::requireGreyscale(volume, "Geodesic active contour");
  detail::requireSeeds(seeds_lps, "Geodesic active contour");
  if (!(options.initialRadius_mm > 0.0) || options.iterations < 1)
    throw Error(ErrorKind::InvalidInput,
                "The geodesic active contour needs an initial radius > 0 mm and at least one "
                "iteration.",
                "options");
  const VoxelBox asked = regionOrWhole(volume, region);
  detail::seedIndices(volume.geometry(), asked, seeds_lps);  // seeds inside the asked box
  const VoxelBox box = widenedForGaussian(volume, asked);
  const auto seeds = detail::seedIndices(volume.geometry(), box, seeds_lps);
  auto read = subRange(progress, 0.0, 0.1);
  auto image = detail::floatImage(volume, box, false, *read);
  auto speedProgress = subRange(progress, 0.1, 0.3);
  auto speed = speedImage(image, seeds, options.speed, *speedProgress);
  // A large preview box evolves on a coarser grid (the front's cost is iterations x its area);
  // the front still travels the same distance in mm per iteration, as ITK's level-set update
  // works in physical units (image spacing), so the preview shows where the full run will go.
  const ImageGeometry fineGrid = boxGeometry(volume.geometry(), box);
  const int factor = region ? coarseningFactor(box, options.previewVoxels) : 1;
  const ImageGeometry grid = factor > 1 ? coarseGrid(fineGrid, factor) : fineGrid;
  if (factor > 1) speed = blockMinimum(*speed, fineGrid, grid, factor);
  std::vector<itk::Index<3>> gridSeeds = seeds;
  for (auto& seed : gridSeeds)
    for (unsigned a = 0; a < 3; ++a) seed[a] /= factor;
  // Initial level set: distance from the seeds minus the radius (negative inside the spheres).
  auto distanceProgress = subRange(progress, 0.3, 0.4);
  const double far_mm = 1e9;
  auto initial = arrivalTimes(speed, nullptr, gridSeeds, far_mm, *distanceProgress);
  {
    float* d = initial->GetBufferPointer();
    const std::size_t n = initial->GetBufferedRegion().GetNumberOfPixels();
    const double radius_mm = std::max(options.initialRadius_mm, 2.0 * grid.spacing_mm.maxCoeff());
    for (std::size_t v = 0; v < n; ++v) d[v] -= static_cast<float>(radius_mm);
  }
  using Contour = itk::GeodesicActiveContourLevelSetImageFilter<FloatImage, FloatImage>;
  auto contour = Contour::New();
  contour->SetInput(initial);
  contour->SetFeatureImage(speed);
  contour->SetPropagationScaling(options.propagationScaling);
  contour->SetCurvatureScaling(options.curvatureScaling);
  contour->SetAdvectionScaling(options.advectionScaling);
  contour->SetMaximumRMSError(options.maximumRmsError);
  contour->SetNumberOfIterations(static_cast<unsigned>(options.iterations));
  auto evolve = subRange(progress, 0.4, 1.0);
  detail::runFilter(contour, *evolve, "Geodesic active contour");
  const RegionMask inside = factor > 1
                                ? insideFromCoarse(*contour->GetOutput(), grid, fineGrid, factor)
                                : below(*contour->GetOutput(), 0.0, fineGrid);
  return cropMask(inside, volume, box, asked);
}

RegionMask WatershedResult::mask(std::uint16_t label) const {
  RegionMask m{geometry, std::vector<std::uint8_t>(labels.size())};
  for (std::size_t v = 0; v < labels.size(); ++v) m.inside[v] = labels[v] == label;
  return m;
}

WatershedResult watershed(const ImageVolume& volume,
                          const std::vector<std::vector<Vec3>>& seedsPerLabel,
                          double smoothingSigma_mm, const std::optional<VoxelBox>& region,
                          Progress& progress) {
  detail::requireGreyscale(volume, "Watershed");
  if (seedsPerLabel.size() < 2 || seedsPerLabel.size() > 65535)
    throw Error(ErrorKind::InvalidInput,
                "Watershed needs seeds for at least two labels (the structure and its "
                "surroundings).",
                "seeds");
  if (!(smoothingSigma_mm > 0.0))
    throw Error(ErrorKind::InvalidInput, "Watershed needs a smoothing sigma > 0 mm.", "sigma");
  const VoxelBox asked = regionOrWhole(volume, region);
  // A slice preview: the gradient at the slice from the volume around it, and the flooding on
  // the slice alone (a quarter of the voxels of the four-slice box the recursive Gaussian needs,
  // and the slice's own 2D basins, as a user sees them).
  const bool slice = std::min({asked.extent(0), asked.extent(1), asked.extent(2)}) == 1;
  const VoxelBox box = slice ? asked : widenedForGaussian(volume, asked);
  const ImageGeometry grid = boxGeometry(volume.geometry(), box);
  auto markers = detail::newLabelImage(grid);
  for (std::size_t label = 0; label < seedsPerLabel.size(); ++label) {
    const auto& seeds = seedsPerLabel[label];
    detail::requireSeeds(seeds, "Watershed label " + std::to_string(label + 1));
    detail::seedIndices(volume.geometry(), asked, seeds);  // inside the asked box
    for (const auto& index : detail::seedIndices(volume.geometry(), box, seeds))
      markers->SetPixel(index, static_cast<std::uint16_t>(label + 1));
  }
  auto gradientProgress = subRange(progress, 0.0, 0.4);
  FloatImage::Pointer gradient;
  if (slice) {
    gradient = sliceGradientMagnitude(volume, box, smoothingSigma_mm, *gradientProgress);
  } else {
    auto image = detail::floatImage(volume, box, false, *gradientProgress);
    gradient = gradientMagnitude(image, smoothingSigma_mm, *gradientProgress);
  }
  auto run = subRange(progress, 0.4, 1.0);
  const std::vector<std::uint16_t> all =
      slice ? floodSlice(*gradient, *markers, box, *run) : flood3d(gradient, markers, *run);
  if (box == asked) return {grid, all};
  return {boxGeometry(volume.geometry(), asked), cropBox(all, box, asked)};
}

}  // namespace twinplan::segmentation
