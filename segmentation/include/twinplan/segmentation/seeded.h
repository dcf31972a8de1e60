#pragma once
// Interactive intensity and seeded segmentation tools (issue #16 item 1): threshold with HU
// presets, region growing (connected threshold, confidence connected), fast marching, geodesic
// active contour and marker-based watershed. Each takes seeds in patient LPS mm, works on any
// grid (oblique, anisotropic: the ITK filters get the grid's spacing and direction), honours
// Progress (cancel throws Cancelled) and runs on at most twinplan::maxThreads() threads.
//
// Every tool has a fast preview: pass a VoxelBox (one slice for the 2D tools, a box around the
// seeds for the 3D ones) and it runs on those voxels only; the result is on the box's grid
// (RegionMask::geometry). Without a box it runs on the whole volume.
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/region_mask.h"

namespace twinplan::segmentation {

// CT number ranges of tissue classes, closed intervals in HU.
struct HuRange {
  double low_HU = 0.0, high_HU = 0.0;
};
enum class HuPreset { Air, Lung, Fat, SoftTissue, Bone, ContrastVessel };
HuRange huRange(HuPreset preset);                    // sources in seeded.cpp
HuPreset huPresetFromString(std::string_view name);  // "air", "lung" ...; throws InvalidInput
std::string_view toString(HuPreset preset);

// Voxels with low <= value <= high, padding (ImageVolume::paddingRange) left out.
RegionMask threshold(const ImageVolume& volume, HuRange range,
                     const std::optional<VoxelBox>& region = std::nullopt,
                     Progress& progress = noProgress());

// Region growing: the voxels connected (6-neighbourhood, faces) to a seed whose values lie in
// the range (itk::ConnectedThresholdImageFilter).
RegionMask connectedThreshold(const ImageVolume& volume, std::span<const Vec3> seeds_lps,
                              HuRange range, const std::optional<VoxelBox>& region = std::nullopt,
                              Progress& progress = noProgress());

// Confidence connected (itk::ConfidenceConnectedImageFilter; Yoo, "Insight into Images" 2004,
// ch. 4): the range is mean +- multiplier * SD of the voxels within initialRadius of the seeds,
// re-estimated from the grown region `iterations` times. Defaults are the ITK Software Guide's
// (section 9.1.3: multiplier 2.5, 5 iterations, radius 2 voxels).
struct ConfidenceOptions {
  double multiplier = 2.5;
  int iterations = 5;
  int initialRadius_voxels = 2;
};
RegionMask confidenceConnected(const ImageVolume& volume, std::span<const Vec3> seeds_lps,
                               const ConfidenceOptions& options = {},
                               const std::optional<VoxelBox>& region = std::nullopt,
                               Progress& progress = noProgress());

// The speed image of the front-propagation tools: sigmoid of the gradient magnitude of the
// Gaussian-smoothed image (ITK Software Guide 9.3.1): speed ~1 inside homogeneous tissue, ~0 on
// edges stronger than edgeGradient. alpha = -(edge - interior) / 6, beta = (edge + interior) / 2
// as the Guide recommends, with `interior` the median gradient within 3 voxels of the seeds.
struct SpeedOptions {
  double smoothingSigma_mm = 1.0;
  double edgeGradient_per_mm = 30.0;  // HU/mm on CT: half the liver/fat step over ~3 mm
};

// Fast marching (Sethian 1996; itk::FastMarchingImageFilter): the voxels the front from the
// seeds reaches within `arrivalTime` (in mm at unit speed, so about the distance from the seeds
// inside homogeneous tissue).
struct FastMarchingOptions {
  SpeedOptions speed;
  double arrivalTime = 30.0;
};
RegionMask fastMarching(const ImageVolume& volume, std::span<const Vec3> seeds_lps,
                        const FastMarchingOptions& options = {},
                        const std::optional<VoxelBox>& region = std::nullopt,
                        Progress& progress = noProgress());

// Geodesic active contour (Caselles, Kimmel, Sapiro 1997; itk::
// GeodesicActiveContourLevelSetImageFilter) started from spheres of initialRadius_mm around the
// seeds (at least two voxels along the coarsest axis, or the start collapses under its own
// curvature); unit weights as in the ITK Software Guide 9.3.3. The Guide stops at an RMS change
// of 0.02, which halts the front early on mm grids (Dice 0.85 instead of 0.97 on the test
// sphere), so by default it runs its iterations (maximumRmsError 0).
struct GeodesicOptions {
  SpeedOptions speed;
  double initialRadius_mm = 5.0;
  double propagationScaling = 1.0, curvatureScaling = 1.0, advectionScaling = 1.0;
  double maximumRmsError = 0.0;
  int iterations = 400;
  // Preview on a coarser grid: when a preview box holds more voxels than this, the contour
  // evolves on blocks of f^3 voxels (f the smallest integer that brings the box within it; the
  // speed image is computed at full resolution and each block takes its smallest speed, so thin
  // edges still stop the front) and the level set is interpolated back to the box. The cost is
  // iterations x the front's area, so an 80 mm box at 0.8 mm (29 s, docs/benchmarks.md) becomes f =
  // 3 and about 1/10 of the work. 0: never. A run without a box (the apply) is always at full
  // resolution.
  std::size_t previewVoxels = 64000;
};
RegionMask geodesicActiveContour(const ImageVolume& volume, std::span<const Vec3> seeds_lps,
                                 const GeodesicOptions& options = {},
                                 const std::optional<VoxelBox>& region = std::nullopt,
                                 Progress& progress = noProgress());

// Marker-based watershed (Beucher & Meyer 1993; itk::MorphologicalWatershedFromMarkers) on the
// gradient magnitude: label n (1-based) grows from seedsPerLabel[n-1]. Give the background its
// own seeds. Result: one label value per voxel, on the (box) grid.
struct WatershedResult {
  ImageGeometry geometry;
  std::vector<std::uint16_t> labels;
  RegionMask mask(std::uint16_t label) const;
};
WatershedResult watershed(const ImageVolume& volume,
                          const std::vector<std::vector<Vec3>>& seedsPerLabel,
                          double smoothingSigma_mm = 1.0,
                          const std::optional<VoxelBox>& region = std::nullopt,
                          Progress& progress = noProgress());

}  // namespace twinplan::segmentation
