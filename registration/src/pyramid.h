#pragma once
// The multi-resolution pyramid of a registration, built once before any optimisation: each
// level's fixed and moving images are block averages of the source voxels (parallel, no ITK
// filter), smoothed to the level's Gaussian sigma, as small float itk::Images. ITK's own
// pyramid (ImageRegistrationMethodv4 shrink factors) would smooth the full-resolution float
// copy at every level of every stage; on a 512x512x300 CT that cost more than the optimisation.
#include <array>
#include <vector>

#include "itk_support.h"

namespace twinplan::registration::detail {

struct PyramidLevel {
  FloatImage::Pointer fixed, moving;
  // Voxels averaged per axis (i, j, k) at this level, for the record.
  std::array<int, 3> fixedBlock{1, 1, 1}, movingBlock{1, 1, 1};
};

// Per-axis block sizes for a level of `shrinkFactor` on a grid of `spacing_mm`: the level's
// target voxel size is shrinkFactor x the base spacing (the finest axis spacing, no finer than
// options.finestSpacing_mm), and each axis averages the whole number of its voxels closest to
// it (at least 1, at most the axis' size). Thick slices are therefore not averaged further
// while in-plane voxels are.
std::array<int, 3> blockSizes(const ImageGeometry& grid, int shrinkFactor, double base_mm);
// The base spacing both images' levels are built on (see RegistrationOptions::finestSpacing_mm).
double baseSpacing_mm(const ImageGeometry& fixed, const ImageGeometry& moving,
                      const RegistrationOptions& options);

// The block average of `volume` over `block` voxels per axis (trailing voxels that do not fill
// a whole block are dropped), its grid placed at the blocks' centres, then smoothed by a
// sampled Gaussian of `extraSigma_mm` per axis (0: none). Parallel over output slices.
FloatImage::Pointer downsample(const ImageVolume& volume, const std::array<int, 3>& block,
                               const Vec3& extraSigma_mm);

// The fraction of a level's fixed voxels the metric samples: samplingFraction, but no more than
// samplesPerLevel voxels (and at least one).
double samplingPercentage(const PyramidLevel& level, const RegistrationOptions& options);

// All levels of options.shrinkFactors, coarse to fine. Checks `progress` for cancel.
std::vector<PyramidLevel> buildPyramid(const ImageVolume& fixed, const ImageVolume& moving,
                                       const RegistrationOptions& options, Progress& progress);

}  // namespace twinplan::registration::detail
