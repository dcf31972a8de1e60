#pragma once
// Private helpers of the ITK-based tools: copies between TwinPlan images and itk::Image, seeds
// in LPS -> ITK indices, and running a filter with Progress, cancellation and TwinPlan's thread
// cap. Only the segmentation module's ITK translation units include this.
#include <itkImage.h>
#include <itkProcessObject.h>

#include <span>
#include <string_view>
#include <vector>

#include "itk_run.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/region_mask.h"

namespace twinplan::segmentation::detail {

using FloatImage = itk::Image<float, 3>;
using MaskImage = itk::Image<std::uint8_t, 3>;
using LabelImage = itk::Image<std::uint16_t, 3>;

// The voxels of `box` as float. With paddingAsNaN, padding voxels become NaN so that range tests
// (region growing) never take them.
FloatImage::Pointer floatImage(const ImageVolume& volume, const VoxelBox& box, bool paddingAsNaN,
                               Progress& progress = noProgress());
// An empty (zero) image on `grid`.
MaskImage::Pointer newMaskImage(const ImageGeometry& grid);
LabelImage::Pointer newLabelImage(const ImageGeometry& grid);
FloatImage::Pointer newFloatImage(const ImageGeometry& grid);
// Copies into / out of ITK; non-zero voxels are inside.
MaskImage::Pointer maskImage(const RegionMask& mask);
RegionMask regionMask(const MaskImage& image, const ImageGeometry& grid);

// The index in the box of each seed. Throws Error(InvalidInput) for a seed outside the image or
// outside the box (a preview region).
std::vector<itk::Index<3>> seedIndices(const ImageGeometry& volumeGrid, const VoxelBox& box,
                                       std::span<const Vec3> seeds_lps);
void requireSeeds(std::span<const Vec3> seeds_lps, std::string_view tool);
void requireGreyscale(const ImageVolume& volume, std::string_view tool);

}  // namespace twinplan::segmentation::detail
