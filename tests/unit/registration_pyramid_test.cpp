// The registration pyramid (registration/src/pyramid.h): block averages against the analytic
// mean of a linear ramp, the grid of the averaged image, the per-axis block sizes for thick
// slices, the Gaussian keeping uniform and linear images, and the per-level sample count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "pyramid.h"
#include "twinplan/core/image_volume.h"

namespace twinplan {
namespace {

using registration::RegistrationOptions;
namespace detail = registration::detail;

// value(i, j, k) = i + 10 j + 100 k on an oblique grid.
ImageVolume ramp(const ImageGeometry& g) {
  ImageVolume volume(g, PixelType::Int16);
  auto v = volume.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        v[g.linearIndex(i, j, k)] = static_cast<std::int16_t>(i + 10 * j + 100 * k);
  return volume;
}

ImageGeometry obliqueGrid() {
  ImageGeometry g;
  g.size = {9, 6, 5};  // 9 and 5: a trailing voxel that fills no whole block
  g.spacing_mm = Vec3(0.5, 0.5, 0.7);
  g.origin_lps = Vec3(-10.0, 20.0, 5.0);
  const double c = std::cos(0.3), s = std::sin(0.3);
  g.direction << c, -s, 0, s, c, 0, 0, 0, 1;
  return g;
}

TEST(RegistrationPyramid, BlockAverageIsTheRampsMeanAtTheBlockCentre) {
  const ImageGeometry g = obliqueGrid();
  const auto image = detail::downsample(ramp(g), {2, 2, 2}, Vec3::Zero());
  const auto size = image->GetLargestPossibleRegion().GetSize();
  EXPECT_EQ(size[0], 4u);  // 9 / 2, the ninth column dropped
  EXPECT_EQ(size[1], 3u);
  EXPECT_EQ(size[2], 2u);
  EXPECT_DOUBLE_EQ(image->GetSpacing()[0], 1.0);
  EXPECT_DOUBLE_EQ(image->GetSpacing()[2], 1.4);
  // The first block's centre: index (0.5, 0.5, 0.5) of the source grid, in LPS.
  const Vec3 centre = g.indexToLps(Vec3(0.5, 0.5, 0.5));
  for (unsigned a = 0; a < 3; ++a) EXPECT_NEAR(image->GetOrigin()[a], centre[a], 1e-12);
  for (unsigned r = 0; r < 3; ++r)
    for (unsigned c = 0; c < 3; ++c) EXPECT_EQ(image->GetDirection()(r, c), g.direction(r, c));
  // The mean of a linear function over a block is its value at the block's centre.
  for (unsigned K = 0; K < 2; ++K)
    for (unsigned J = 0; J < 3; ++J)
      for (unsigned I = 0; I < 4; ++I) {
        const double expected = (2 * I + 0.5) + 10 * (2 * J + 0.5) + 100 * (2 * K + 0.5);
        EXPECT_FLOAT_EQ(image->GetPixel({{I, J, K}}), float(expected));
      }
}

TEST(RegistrationPyramid, GaussianKeepsAUniformImageAndALinearRampInside) {
  ImageGeometry g;
  g.size = {20, 12, 10};
  ImageVolume flat(g, PixelType::Int16);
  for (auto& v : flat.voxels<std::int16_t>()) v = 70;
  const auto smoothed = detail::downsample(flat, {1, 1, 1}, Vec3(1.5, 1.0, 2.0));
  for (unsigned i : {0u, 7u, 19u}) EXPECT_FLOAT_EQ(smoothed->GetPixel({{i, 0, 9}}), 70.0f);
  // A symmetric kernel keeps a linear function where it is not truncated (3 sigma = 3 voxels).
  const auto ramped = detail::downsample(ramp(g), {1, 1, 1}, Vec3(1.0, 0.0, 0.0));
  for (unsigned i = 3; i < 17; ++i)
    EXPECT_NEAR(ramped->GetPixel({{i, 5, 4}}), double(i + 50 + 400), 1e-3);
}

TEST(RegistrationPyramid, ThickSlicesAreNotAveragedFurther) {
  ImageGeometry g;
  g.size = {512, 512, 60};
  g.spacing_mm = Vec3(0.5, 0.5, 3.0);
  // 4 mm target voxels on a 1 mm base: 8 in-plane voxels, one 3 mm slice.
  EXPECT_EQ(detail::blockSizes(g, 4, 1.0), (std::array<int, 3>{8, 8, 1}));
  EXPECT_EQ(detail::blockSizes(g, 1, 1.0), (std::array<int, 3>{2, 2, 1}));
  g.spacing_mm = Vec3(0.5, 0.5, 0.7);
  EXPECT_EQ(detail::blockSizes(g, 4, 1.0), (std::array<int, 3>{8, 8, 6}));
  // The base is the finer series' finest axis, but no finer than finestSpacing_mm.
  RegistrationOptions options;
  ImageGeometry mr = g;
  mr.spacing_mm = Vec3(1.2, 1.2, 1.2);
  EXPECT_DOUBLE_EQ(detail::baseSpacing_mm(g, mr, options), 1.0);
  options.finestSpacing_mm = 0.0;
  EXPECT_DOUBLE_EQ(detail::baseSpacing_mm(g, mr, options), 0.5);
}

TEST(RegistrationPyramid, EachLevelSamplesAFixedCountOrAllItsVoxels) {
  RegistrationOptions options;  // 100000 samples, fraction 1
  ImageGeometry small, large;
  small.size = {40, 40, 25};  // 40000 voxels: all of them
  large.size = {256, 256, 150};
  detail::PyramidLevel level;
  level.fixed = detail::downsample(ImageVolume(small, PixelType::Int16), {1, 1, 1}, Vec3::Zero());
  EXPECT_DOUBLE_EQ(detail::samplingPercentage(level, options), 1.0);
  level.fixed = detail::downsample(ImageVolume(large, PixelType::Int16), {1, 1, 1}, Vec3::Zero());
  EXPECT_NEAR(detail::samplingPercentage(level, options) * 256 * 256 * 150, 100000.0, 1e-6);
  options.samplingFraction = 0.01;  // a fraction below the cap wins
  EXPECT_NEAR(detail::samplingPercentage(level, options), 0.01, 1e-12);
}

}  // namespace
}  // namespace twinplan
