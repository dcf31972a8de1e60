// The subsampled Hessian of the vessels preset (segmentation/src/vesselness_filter.h) against
// the analytic Frangi measure on the axis of a tube with a Gaussian profile.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "vesselness_filter.h"

namespace twinplan::segmentation::detail {
namespace {

// A bright tube along k with the profile A exp(-r^2 / (2 s0^2)): blurred by a Gaussian of
// sigma it stays Gaussian, of variance s0^2 + sigma^2 and height A s0^2 / (s0^2 + sigma^2)
// (2D Gaussians convolve so), so on its axis the sigma^2-normalised Hessian has eigenvalues 0
// (along the tube) and twice -A sigma^2 s0^2 / (s0^2 + sigma^2)^2 (Lindeberg 1998).
constexpr double kProfile_mm = 3.0;

double axisEigenvalue(double height, double sigma_mm) {
  const double s0 = kProfile_mm * kProfile_mm, total = s0 + sigma_mm * sigma_mm;
  return -height * sigma_mm * sigma_mm * s0 / (total * total);
}

// Frangi (MICCAI 1998, eq. 13) with the preset's alpha = beta = 0.5, c = 5 for eigenvalues
// 0, l, l: Ra = 1, Rb = 0, S^2 = 2 l^2.
double frangiOnAxis(double l) {
  return (1.0 - std::exp(-1.0 / (2 * 0.25))) * (1.0 - std::exp(-2 * l * l / (2 * 25.0)));
}

struct Tube {
  FloatGrid grid;
  std::vector<float> image;
  std::vector<std::uint8_t> axis;  // the voxels on the tube's axis (asked about)
};

// On the preset benchmark's voxels (0.75 x 0.75 x 0.417 mm), the axis half-way between voxel
// centres in i so that it falls between blocks too.
Tube tube(double height) {
  Tube t;
  t.grid.size = {112, 112, 96};
  t.grid.spacing_mm = {0.75, 0.75, 0.417};
  t.grid.direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const std::size_t ni = t.grid.size[0], nj = t.grid.size[1], nk = t.grid.size[2];
  t.image.resize(ni * nj * nk);
  t.axis.assign(t.image.size(), 0);
  const double ci = 55.5, cj = 56.0;
  for (std::size_t k = 0; k < nk; ++k)
    for (std::size_t j = 0; j < nj; ++j)
      for (std::size_t i = 0; i < ni; ++i) {
        const double x = (static_cast<double>(i) - ci) * 0.75,
                     y = (static_cast<double>(j) - cj) * 0.75;
        const std::size_t v = (k * nj + j) * ni + i;
        t.image[v] = static_cast<float>(
            height * std::exp(-(x * x + y * y) / (2 * kProfile_mm * kProfile_mm)));
        // Within half a voxel of the axis, away from the ends (where the image's border is).
        t.axis[v] = std::abs(x) <= 0.375 && std::abs(y) <= 0.375 && k >= 24 && k < 72;
      }
  return t;
}

double meanOnAxis(const Tube& t, const std::vector<float>& measure) {
  double sum = 0.0;
  std::size_t n = 0;
  for (std::size_t v = 0; v < measure.size(); ++v)
    if (t.axis[v]) sum += measure[v], ++n;
  return n ? sum / static_cast<double>(n) : 0.0;
}

TEST(Vesselness, SubsampledScalesMatchTheAnalyticTubeAndTheFullResolutionHessian) {
  for (const double sigma_mm : {6.0, 3.78, 2.38}) {
    // The height that puts the measure on the steep part of its structureness term (|l| = c).
    const double height = 5.0 / -axisEigenvalue(1.0, sigma_mm);
    const Tube t = tube(height);
    const double expected = frangiOnAxis(axisEigenvalue(height, sigma_mm));
    std::vector<float> subsampled(t.image.size()), full(t.image.size());
    frangiVesselnessAtScale(t.image.data(), t.grid, t.axis.data(), sigma_mm, subsampled.data(),
                            noProgress());
    frangiVesselness(t.image.data(), t.grid, t.axis.data(), sigma_mm, sigma_mm, 1, full.data(),
                     noProgress());
    const double coarse = meanOnAxis(t, subsampled), fine = meanOnAxis(t, full);
    std::printf(
        "[   INFO   ] sigma %.2f mm: analytic %.4f, full resolution %.4f, subsampled %.4f\n",
        sigma_mm, expected, fine, coarse);
    EXPECT_NEAR(fine, expected, 0.03 * expected) << sigma_mm;
    EXPECT_NEAR(coarse, expected, 0.03 * expected) << sigma_mm;
    // Only the voxels asked about are measured.
    std::size_t measuredOffAxis = 0;
    for (std::size_t v = 0; v < subsampled.size(); ++v)
      measuredOffAxis += !t.axis[v] && subsampled[v] != 0.0f;
    EXPECT_EQ(measuredOffAxis, 0u);
  }
}

}  // namespace
}  // namespace twinplan::segmentation::detail
