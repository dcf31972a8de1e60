#pragma once
// Private building blocks of the automatic presets (presets.cpp), on plain masks and arrays;
// their ITK filters live in preset_steps.cpp alone.
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/region_mask.h"

namespace twinplan::segmentation::detail {

// Connected components (faces, 6-neighbourhood), largest first.
struct Components {
  ImageGeometry geometry;
  std::vector<std::uint32_t> labels;                       // 0 background, 1 the largest ...
  std::vector<std::size_t> sizes;                          // sizes[n - 1]: voxels of component n
  RegionMask select(const std::vector<bool>& keep) const;  // keep[n - 1]
};
Components components(const RegionMask& mask, Progress& progress);
RegionMask largestComponents(const RegionMask& mask, std::size_t keep, Progress& progress);

// Holes (background not connected to the grid's border) filled, in 3D or slice by slice (k).
RegionMask fillHoles3d(const RegionMask& mask, Progress& progress);
RegionMask fillHolesPerSlice(const RegionMask& mask, Progress& progress);

// Binary erosion / dilation with a ball of radius_mm (an ellipsoid in voxels on anisotropic grids).
RegionMask erode(const RegionMask& mask, double radius_mm, Progress& progress);
RegionMask dilate(const RegionMask& mask, double radius_mm, Progress& progress);

// The parts of `mask` a ball of radius_mm fits in (a morphological opening, by two exact
// Euclidean distance maps): organs, where the rest of a mask is tubes and plates thinner than
// the ball.
RegionMask thickParts(const RegionMask& mask, double radius_mm, Progress& progress);

RegionMask intersect(const RegionMask& a, const RegionMask& b);
RegionMask subtract(const RegionMask& a, const RegionMask& b);

// The volume's voxels as float after a 3x3x3 median filter (noise down, edges kept).
std::vector<float> medianSmoothed(const ImageVolume& volume, Progress& progress);

// Multi-scale vesselness of bright tubes (Frangi et al., MICCAI 1998), 0..1, evaluated where
// `where` is set (0 elsewhere): see vesselness_filter.h.
std::vector<float> vesselness(const ImageVolume& volume, const RegionMask& where,
                              double sigmaMin_mm, double sigmaMax_mm, int scales,
                              Progress& progress);

// After each scale of the coarse-to-fine vesselness below: the caller may clear voxels of
// `asked` whose answer it no longer needs, given the measure so far.
using SettleVoxels =
    std::function<void(const std::vector<float>& measure, std::vector<std::uint8_t>& asked)>;

// The same for a caller that only asks which voxels exceed `decided`, computed box by box and
// coarse to fine: at each scale the Hessian is computed only on the bounding box (within each
// of `boxes`) of the voxels still asked about, grown by support_sigmas of that scale, on a grid
// subsampled to about sigma / 2 (frangiVesselnessAtScale). A voxel is no longer asked about once
// it is above `decided` (it keeps the value of the coarser scales: the maximum can only rise)
// or `settle` clears it. 0 outside `where`. `boxes` must not overlap.
std::vector<float> vesselness(const ImageVolume& volume, const RegionMask& where,
                              std::span<const VoxelBox> boxes, double sigmaMin_mm,
                              double sigmaMax_mm, int scales, double support_sigmas, float decided,
                              const SettleVoxels& settle, Progress& progress);

// Throws Error(InvalidInput) for a seed outside the grid.
void requireSeedsInside(const ImageGeometry& grid, std::span<const Vec3> seeds_lps);

// Otsu's threshold (IEEE SMC 1979) of the volume's intensities (256 bins).
double otsuThreshold(const ImageVolume& volume, Progress& progress);

}  // namespace twinplan::segmentation::detail
