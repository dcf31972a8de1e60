#pragma once
// Frangi vesselness on a float image given as a raw buffer (no Eigen in this interface: see
// itk_run.h).
#include <array>
#include <cstddef>
#include <cstdint>

#include "twinplan/core/progress.h"

namespace twinplan::segmentation::detail {

struct FloatGrid {
  std::array<std::size_t, 3> size{};
  std::array<double, 3> spacing_mm{}, origin_lps{};
  std::array<double, 9> direction{};  // row-major
};

// Multi-scale vesselness of bright tubes (Frangi et al., MICCAI 1998, eq. 13): the maximum over
// `scales` log-spaced sigmas of the measure of the scale-normalised (sigma^2) Hessian, 0..1.
// Evaluated only where `where` is non-zero (0 elsewhere): the eigen-analysis is the cost, and
// a preset only asks about its candidate voxels. `out` and `where` hold as many voxels as
// `image`.
void frangiVesselness(const float* image, const FloatGrid& grid, const std::uint8_t* where,
                      double sigmaMin_mm, double sigmaMax_mm, int scales, float* out,
                      Progress& progress);

// The same at one scale sigma_mm, with the Hessian computed on a coarser grid where the voxels
// are finer than sigma / kSamplesPerSigma (see vesselness_filter.cpp): the image averaged over
// blocks of whole voxels about sigma / 2 wide, the Hessian of that, trilinearly interpolated
// back to the voxels asked about. The result differs from the full-resolution Hessian by a few %
// of the measure; the coarse grid holds up to ~100 times fewer voxels at the largest scales.
void frangiVesselnessAtScale(const float* image, const FloatGrid& grid, const std::uint8_t* where,
                             double sigma_mm, float* out, Progress& progress);

}  // namespace twinplan::segmentation::detail
