// The ITK filters of the automatic presets, all in this one translation unit.
//
// ITK's headers come first (as in io/src/image_file.cpp): ITK's bundled Eigen 3.3 breaks when
// the system Eigen 3.4 of twinplan/core/geometry.h was included before it.
// clang-format off
#include <itkBinaryBallStructuringElement.h>
#include <itkBinaryDilateImageFilter.h>
#include <itkBinaryErodeImageFilter.h>
#include <itkBinaryFillholeImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkMedianImageFilter.h>
#include <itkOtsuThresholdImageFilter.h>
#include <itkRelabelComponentImageFilter.h>

#include "preset_steps.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "itk_support.h"
#include "twinplan/segmentation/morphology.h"
#include "vesselness_filter.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
// clang-format on

namespace twinplan::segmentation::detail {
namespace {

using ComponentImage = itk::Image<std::uint32_t, 3>;

void requireSameGrid(const RegionMask& a, const RegionMask& b) {
  if (!a.geometry.sameGridAs(b.geometry) || a.inside.size() != b.inside.size())
    throw Error(ErrorKind::Internal, "Two masks of a preset are on different grids.");
}

template <class Filter>
RegionMask morphology(const RegionMask& mask, double radius_mm, Progress& progress,
                      const char* step) {
  using Ball = itk::BinaryBallStructuringElement<std::uint8_t, 3>;
  Ball ball;
  Ball::SizeType radius;
  for (unsigned a = 0; a < 3; ++a)
    radius[a] = static_cast<itk::SizeValueType>(
        std::max(0.0, std::round(radius_mm / mask.geometry.spacing_mm[a])));
  ball.SetRadius(radius);
  ball.CreateStructuringElement();
  auto filter = Filter::New();
  filter->SetInput(maskImage(mask));
  filter->SetKernel(ball);
  filter->SetForegroundValue(1);
  filter->SetBackgroundValue(0);
  runFilter(filter, progress, step);
  return regionMask(*filter->GetOutput(), mask.geometry);
}

FloatGrid floatGrid(const ImageGeometry& g) {
  FloatGrid grid;
  for (int a = 0; a < 3; ++a) {
    grid.size[a] = static_cast<std::size_t>(g.size[a]);
    grid.spacing_mm[a] = g.spacing_mm[a];
    grid.origin_lps[a] = g.origin_lps[a];
    for (int b = 0; b < 3; ++b) grid.direction[a * 3 + b] = g.direction(a, b);
  }
  return grid;
}

}  // namespace

RegionMask Components::select(const std::vector<bool>& keep) const {
  // A byte per label (index 0: the background), not std::vector<bool>'s bit lookups.
  std::vector<std::uint8_t> kept(sizes.size() + 1, 0);
  for (std::size_t n = 0; n < std::min(keep.size(), sizes.size()); ++n) kept[n + 1] = keep[n];
  RegionMask mask{geometry, std::vector<std::uint8_t>(labels.size())};
  parallel::parallelFor({0, labels.size()}, 1 << 16, [&](parallel::IndexRange chunk) {
    for (std::size_t v = chunk.begin; v < chunk.end; ++v) mask.inside[v] = kept[labels[v]];
  });
  return mask;
}

Components components(const RegionMask& mask, Progress& progress) {
  using Label = itk::ConnectedComponentImageFilter<MaskImage, ComponentImage>;
  auto label = Label::New();
  label->SetInput(maskImage(mask));
  label->SetFullyConnected(false);
  // Its output (4 bytes a voxel) is freed once relabelled: one full-size label image fewer at
  // the peak (628 MB at 512x512x600).
  label->ReleaseDataFlagOn();
  auto first = subRange(progress, 0.0, 0.7);
  runFilter(label, *first, "Connected components");
  using Relabel = itk::RelabelComponentImageFilter<ComponentImage, ComponentImage>;
  auto relabel = Relabel::New();
  relabel->SetInput(label->GetOutput());
  relabel->SetSortByObjectSize(true);
  auto second = subRange(progress, 0.7, 1.0);
  runFilter(relabel, *second, "Sorting components");
  Components result;
  result.geometry = mask.geometry;
  const std::uint32_t* labels = relabel->GetOutput()->GetBufferPointer();
  result.labels.assign(labels, labels + mask.geometry.voxelCount());
  for (auto size : relabel->GetSizeOfObjectsInPixels())
    result.sizes.push_back(static_cast<std::size_t>(size));
  return result;
}

RegionMask largestComponents(const RegionMask& mask, std::size_t keep, Progress& progress) {
  const Components parts = components(mask, progress);
  std::vector<bool> kept(parts.sizes.size(), false);
  for (std::size_t n = 0; n < std::min(keep, kept.size()); ++n) kept[n] = true;
  return parts.select(kept);
}

RegionMask fillHoles3d(const RegionMask& mask, Progress& progress) {
  using Fill = itk::BinaryFillholeImageFilter<MaskImage>;
  auto fill = Fill::New();
  fill->SetInput(maskImage(mask));
  fill->SetForegroundValue(1);
  fill->SetFullyConnected(false);
  runFilter(fill, progress, "Filling holes");
  return regionMask(*fill->GetOutput(), mask.geometry);
}

RegionMask fillHolesPerSlice(const RegionMask& mask, Progress& progress) {
  // Background reached from a slice's border through background (4-neighbourhood in the slice)
  // is outside; every other background voxel is a hole.
  const auto& n = mask.geometry.size;
  RegionMask filled = mask;
  parallel::parallelFor(
      {0, static_cast<std::size_t>(n[2])}, 1,
      [&](parallel::IndexRange slices) {
        std::vector<std::uint8_t> outside;
        std::vector<std::int64_t> stack;
        for (std::size_t k = slices.begin; k < slices.end; ++k) {
          const std::size_t offset = mask.geometry.linearIndex(0, 0, static_cast<std::int64_t>(k));
          const std::uint8_t* in = &mask.inside[offset];
          outside.assign(static_cast<std::size_t>(n[0] * n[1]), 0);
          auto push = [&](std::int64_t i, std::int64_t j) {
            const std::int64_t at = i + n[0] * j;
            if (!in[at] && !outside[static_cast<std::size_t>(at)]) {
              outside[static_cast<std::size_t>(at)] = 1;
              stack.push_back(at);
            }
          };
          for (std::int64_t i = 0; i < n[0]; ++i) push(i, 0), push(i, n[1] - 1);
          for (std::int64_t j = 0; j < n[1]; ++j) push(0, j), push(n[0] - 1, j);
          while (!stack.empty()) {
            const std::int64_t at = stack.back();
            stack.pop_back();
            const std::int64_t i = at % n[0], j = at / n[0];
            if (i > 0) push(i - 1, j);
            if (i + 1 < n[0]) push(i + 1, j);
            if (j > 0) push(i, j - 1);
            if (j + 1 < n[1]) push(i, j + 1);
          }
          std::uint8_t* out = &filled.inside[offset];
          for (std::size_t v = 0; v < outside.size(); ++v) out[v] = outside[v] ? 0 : 1;
        }
      },
      progress, "Filling holes per slice");
  return filled;
}

RegionMask erode(const RegionMask& mask, double radius_mm, Progress& progress) {
  using Erode = itk::BinaryErodeImageFilter<MaskImage, MaskImage,
                                            itk::BinaryBallStructuringElement<std::uint8_t, 3>>;
  return morphology<Erode>(mask, radius_mm, progress, "Erosion");
}

RegionMask dilate(const RegionMask& mask, double radius_mm, Progress& progress) {
  using Dilate = itk::BinaryDilateImageFilter<MaskImage, MaskImage,
                                              itk::BinaryBallStructuringElement<std::uint8_t, 3>>;
  return morphology<Dilate>(mask, radius_mm, progress, "Dilation");
}

RegionMask thickParts(const RegionMask& mask, double radius_mm, Progress& progress) {
  // Opening by a ball: the core (voxels deeper than the radius) grown back by the radius, on
  // morphology.h's exact distance maps (Felzenszwalb & Huttenlocher 2012: the same distances as
  // ITK's Maurer filter, on the parallel layer and on the boxes that can change only).
  BinaryMask part(mask.geometry);
  part.voxels = mask.inside;
  BinaryMask opened = open(part, radius_mm, progress);
  return {mask.geometry, std::move(opened.voxels)};
}

RegionMask intersect(const RegionMask& a, const RegionMask& b) {
  requireSameGrid(a, b);
  RegionMask out{a.geometry, std::vector<std::uint8_t>(a.inside.size())};
  parallel::parallelFor({0, out.inside.size()}, 1 << 16, [&](parallel::IndexRange chunk) {
    for (std::size_t v = chunk.begin; v < chunk.end; ++v)
      out.inside[v] = a.inside[v] && b.inside[v];
  });
  return out;
}

RegionMask subtract(const RegionMask& a, const RegionMask& b) {
  requireSameGrid(a, b);
  RegionMask out{a.geometry, std::vector<std::uint8_t>(a.inside.size())};
  parallel::parallelFor({0, out.inside.size()}, 1 << 16, [&](parallel::IndexRange chunk) {
    for (std::size_t v = chunk.begin; v < chunk.end; ++v)
      out.inside[v] = a.inside[v] && !b.inside[v];
  });
  return out;
}

std::vector<float> medianSmoothed(const ImageVolume& volume, Progress& progress) {
  auto read = subRange(progress, 0.0, 0.2);
  auto image = floatImage(volume, wholeGrid(volume.geometry()), false, *read);
  using Median = itk::MedianImageFilter<FloatImage, FloatImage>;
  auto median = Median::New();
  median->SetInput(image);
  Median::InputSizeType radius;
  radius.Fill(1);
  median->SetRadius(radius);
  auto run = subRange(progress, 0.2, 1.0);
  runFilter(median, *run, "Median filter");
  const float* values = median->GetOutput()->GetBufferPointer();
  return {values, values + volume.voxelCount()};
}

std::vector<float> vesselness(const ImageVolume& volume, const RegionMask& where,
                              double sigmaMin_mm, double sigmaMax_mm, int scales,
                              Progress& progress) {
  auto read = subRange(progress, 0.0, 0.1);
  auto image = floatImage(volume, wholeGrid(volume.geometry()), false, *read);
  std::vector<float> out(volume.voxelCount());
  auto run = subRange(progress, 0.1, 1.0);
  frangiVesselness(image->GetBufferPointer(), floatGrid(volume.geometry()), where.inside.data(),
                   sigmaMin_mm, sigmaMax_mm, scales, out.data(), *run);
  return out;
}

namespace {

// The box of the voxels of `asked` inside `box`, grown by margin_mm along each axis (clipped to
// the grid); empty when none is asked.
VoxelBox askedBounds(const ImageGeometry& g, const std::vector<std::uint8_t>& asked,
                     const VoxelBox& box, double margin_mm) {
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  constexpr VoxelBox kNoBox{{kNone, kNone, kNone}, {-kNone, -kNone, -kNone}};
  auto unite = [](VoxelBox x, const VoxelBox& y) {
    for (int a = 0; a < 3; ++a)
      x.begin[a] = std::min(x.begin[a], y.begin[a]), x.end[a] = std::max(x.end[a], y.end[a]);
    return x;
  };
  // Slice by slice (core/parallel.h).
  const VoxelBox found = parallel::parallelReduce(
      {static_cast<std::size_t>(box.begin[2]), static_cast<std::size_t>(box.end[2])}, 4, kNoBox,
      [&](parallel::IndexRange slices) {
        VoxelBox local = kNoBox;
        for (auto k = static_cast<std::int64_t>(slices.begin);
             k < static_cast<std::int64_t>(slices.end); ++k)
          for (std::int64_t j = box.begin[1]; j < box.end[1]; ++j)
            for (std::int64_t i = box.begin[0]; i < box.end[0]; ++i)
              if (asked[g.linearIndex(i, j, k)])
                local = unite(local, {{i, j, k}, {i + 1, j + 1, k + 1}});
        return local;
      },
      unite);
  if (found.begin[0] == kNone) return {};  // none asked
  VoxelBox grown = found;
  for (int a = 0; a < 3; ++a) {
    const auto margin = static_cast<std::int64_t>(std::ceil(margin_mm / g.spacing_mm[a]));
    grown.begin[a] = std::max<std::int64_t>(0, found.begin[a] - margin);
    grown.end[a] = std::min(g.size[a], found.end[a] + margin);
  }
  return grown;
}

}  // namespace

std::vector<float> vesselness(const ImageVolume& volume, const RegionMask& where,
                              std::span<const VoxelBox> boxes, double sigmaMin_mm,
                              double sigmaMax_mm, int scales, double support_sigmas, float decided,
                              const SettleVoxels& settle, Progress& progress) {
  if (!where.geometry.sameGridAs(volume.geometry()) || where.inside.size() != volume.voxelCount())
    throw Error(ErrorKind::Internal, "The vesselness mask is not on the volume's grid.");
  const ImageGeometry& g = volume.geometry();
  std::vector<float> out(volume.voxelCount(), 0.0f);
  std::vector<std::uint8_t> asked = where.inside;
  // Coarse to fine: a voxel above `decided` stays so whatever the finer scales say.
  for (int s = scales - 1; s >= 0; --s) {
    const double sigma_mm =
        scales == 1 ? sigmaMin_mm
                    : sigmaMin_mm * std::pow(sigmaMax_mm / sigmaMin_mm, double(s) / (scales - 1));
    auto scale = subRange(progress, double(scales - 1 - s) / scales, double(scales - s) / scales);
    if (s < scales - 1) {
      parallel::parallelFor({0, asked.size()}, 1 << 16, [&](parallel::IndexRange chunk) {
        for (std::size_t v = chunk.begin; v < chunk.end; ++v)
          asked[v] = asked[v] && out[v] <= decided;
      });
      if (settle) settle(out, asked);
    }
    for (std::size_t b = 0; b < boxes.size(); ++b) {
      auto part =
          subRange(*scale, double(b) / double(boxes.size()), double(b + 1) / double(boxes.size()));
      const VoxelBox sub = askedBounds(g, asked, boxes[b], support_sigmas * sigma_mm);
      if (sub.empty()) continue;
      const ImageGeometry crop = boxGeometry(g, sub);
      auto image = floatImage(volume, sub, false, noProgress());
      std::vector<std::uint8_t> cropAsked(crop.voxelCount());
      std::vector<float> measure(crop.voxelCount());
      // Only this box's voxels: a neighbour's voxel near the crop's edge lacks its margin here
      // and is measured in its own box's crop.
      const VoxelBox& own = boxes[b];
      const Index3 lo{std::max(sub.begin[0], own.begin[0]), std::max(sub.begin[1], own.begin[1]),
                      std::max(sub.begin[2], own.begin[2])};
      const Index3 hi{std::min(sub.end[0], own.end[0]), std::min(sub.end[1], own.end[1]),
                      std::min(sub.end[2], own.end[2])};
      if (hi[2] > lo[2])
        parallel::parallelFor({static_cast<std::size_t>(lo[2]), static_cast<std::size_t>(hi[2])}, 1,
                              [&](parallel::IndexRange slices) {
                                for (auto k = static_cast<std::int64_t>(slices.begin);
                                     k < static_cast<std::int64_t>(slices.end); ++k)
                                  for (std::int64_t j = lo[1]; j < hi[1]; ++j)
                                    for (std::int64_t i = lo[0]; i < hi[0]; ++i)
                                      cropAsked[crop.linearIndex(i - sub.begin[0], j - sub.begin[1],
                                                                 k - sub.begin[2])] =
                                          asked[g.linearIndex(i, j, k)];
                              });
      frangiVesselnessAtScale(image->GetBufferPointer(), floatGrid(crop), cropAsked.data(),
                              sigma_mm, measure.data(), *part);
      parallel::parallelFor(
          {0, static_cast<std::size_t>(crop.size[2])}, 1, [&](parallel::IndexRange slices) {
            for (std::size_t k = slices.begin; k < slices.end; ++k)
              for (std::int64_t j = 0; j < crop.size[1]; ++j) {
                const auto kk = static_cast<std::int64_t>(k);
                const float* from = &measure[crop.linearIndex(0, j, kk)];
                float* to = &out[g.linearIndex(sub.begin[0], sub.begin[1] + j, sub.begin[2] + kk)];
                for (std::int64_t i = 0; i < crop.size[0]; ++i) to[i] = std::max(to[i], from[i]);
              }
          });
    }
  }
  return out;
}

void requireSeedsInside(const ImageGeometry& grid, std::span<const Vec3> seeds_lps) {
  seedIndices(grid, wholeGrid(grid), seeds_lps);
}

double otsuThreshold(const ImageVolume& volume, Progress& progress) {
  auto read = subRange(progress, 0.0, 0.5);
  auto image = floatImage(volume, wholeGrid(volume.geometry()), false, *read);
  using Otsu = itk::OtsuThresholdImageFilter<FloatImage, MaskImage>;
  auto otsu = Otsu::New();
  otsu->SetInput(image);
  otsu->SetNumberOfHistogramBins(256);
  auto run = subRange(progress, 0.5, 1.0);
  runFilter(otsu, *run, "Otsu threshold");
  return static_cast<double>(otsu->GetThreshold());
}

}  // namespace twinplan::segmentation::detail
