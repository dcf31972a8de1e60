#pragma once
// Frangi vesselness on a float image given as a raw buffer (no Eigen in this interface: see
// itk_run.h).
#include <array>
#include <cstddef>

#include "twinplan/core/progress.h"

namespace twinplan::segmentation::detail {

struct FloatGrid {
  std::array<std::size_t, 3> size{};
  std::array<double, 3> spacing_mm{}, origin_lps{};
  std::array<double, 9> direction{};  // row-major
};

// Multi-scale vesselness of bright tubes (Frangi et al., MICCAI 1998): the maximum over the
// scales of the objectness of scale-normalised Hessians, unscaled (0..1). `out` holds as many
// voxels as `image`.
void frangiVesselness(const float* image, const FloatGrid& grid, double sigmaMin_mm,
                      double sigmaMax_mm, int scales, float* out, Progress& progress);

}  // namespace twinplan::segmentation::detail
