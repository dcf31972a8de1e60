// Multi-planar slice sampling and the window/level display function.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "twinplan/core/parallel.h"
#include "twinplan/rendering/slice_sampler.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::rendering {
namespace {

// A volume whose voxel value is a linear function of LPS position: v = x + 2y + 4z (mm).
// Trilinear interpolation reproduces a linear function exactly, so every sample is known.
ImageVolume linearRamp(const Mat3& direction) {
  ImageGeometry g;
  g.size = {20, 16, 12};
  g.spacing_mm = Vec3(1.0, 1.5, 2.5);
  g.origin_lps = Vec3(-10, -12, 5);
  g.direction = direction;
  ImageVolume volume(g, PixelType::Float32);
  auto voxels = volume.voxels<float>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        voxels[g.linearIndex(i, j, k)] = static_cast<float>(p[0] + 2 * p[1] + 4 * p[2]);
      }
  return volume;
}

Mat3 tilted() {
  const double a = 20.0 * M_PI / 180.0;
  Mat3 d;
  d << 1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a);
  return d;
}

class SliceSampling : public ::testing::TestWithParam<SliceOrientation> {};

TEST_P(SliceSampling, SamplesAreTheVolumeAtTheirLpsPosition) {
  for (const Mat3& direction : {Mat3(Mat3::Identity()), tilted()}) {
    const ImageVolume volume = linearRamp(direction);
    const Vec3 centre = volume.geometry().indexToLps(Vec3(9.5, 7.5, 5.5));
    const SlicePlane plane = planeCovering(volume.geometry(), GetParam(), centre);
    std::vector<float> pixels;
    sampleSlice(volume, plane, -1e9f, pixels);
    int inside = 0;
    for (int v = 0; v < plane.height; v += 3)
      for (int u = 0; u < plane.width; u += 3) {
        const float sample = pixels[static_cast<std::size_t>(v) * plane.width + u];
        const Vec3 p = plane.pixelToLps(u, v);
        const Vec3 ijk = volume.geometry().lpsToIndex(p);
        const bool interior = ijk.minCoeff() >= 0 && ijk[0] <= 19 && ijk[1] <= 15 && ijk[2] <= 11;
        if (!interior) continue;
        ++inside;
        EXPECT_NEAR(sample, p[0] + 2 * p[1] + 4 * p[2], 1e-3) << "pixel " << u << "," << v;
      }
    EXPECT_GT(inside, 20);
    // The plane passes through the requested centre.
    EXPECT_NEAR((plane.origin_lps - centre).dot(plane.normal()), 0.0, 1e-9);
  }
}

INSTANTIATE_TEST_SUITE_P(AllOrientations, SliceSampling,
                         ::testing::Values(SliceOrientation::Axial, SliceOrientation::Coronal,
                                           SliceOrientation::Sagittal));

TEST(SliceSamplingThreads, PixelsAreTheSameOnOneAndManyThreads) {
  // Tall enough (200 rows axially, 150 coronally and sagittally) for several 32-row chunks,
  // and values that differ voxel to voxel, so a row written from the wrong chunk would show.
  ImageGeometry g;
  g.size = {180, 200, 150};
  g.spacing_mm = Vec3(0.9, 0.9, 1.0);
  g.origin_lps = Vec3(-80, -90, -60);
  ImageVolume volume(g, PixelType::Int16);
  auto voxels = volume.voxels<std::int16_t>();
  for (std::size_t n = 0; n < voxels.size(); ++n)
    voxels[n] = static_cast<std::int16_t>((n * 2654435761u) % 4001) - 1000;
  for (SliceOrientation orientation :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    const SlicePlane plane = planeCovering(g, orientation, g.indexToLps(Vec3(90.3, 100.6, 75.2)));
    ASSERT_GT(plane.height, 64);
    std::vector<float> serial, concurrent;
    {
      const parallel::ThreadLimit one(1);
      sampleSlice(volume, plane, -2000.0f, serial);
    }
    const parallel::ThreadLimit many(4);
    sampleSlice(volume, plane, -2000.0f, concurrent);
    ASSERT_EQ(serial.size(), static_cast<std::size_t>(plane.width) * plane.height);
    ASSERT_EQ(concurrent.size(), serial.size());
    EXPECT_EQ(std::memcmp(serial.data(), concurrent.data(), serial.size() * sizeof(float)), 0)
        << toString(orientation);
    // Not a constant image: the comparison can see a misplaced row.
    EXPECT_NE(serial[serial.size() / 2], serial[serial.size() / 2 + plane.width]);
  }
}

TEST(SliceAxes, FollowTheRadiologicalConvention) {
  Vec3 right, down;
  screenAxes(SliceOrientation::Axial, right, down);
  EXPECT_EQ(right, Vec3(1, 0, 0));  // patient left on screen right
  EXPECT_EQ(down, Vec3(0, 1, 0));   // posterior at the bottom
  screenAxes(SliceOrientation::Coronal, right, down);
  EXPECT_EQ(down, Vec3(0, 0, -1));  // superior at the top
  screenAxes(SliceOrientation::Sagittal, right, down);
  EXPECT_EQ(right, Vec3(0, 1, 0));  // anterior on the left
}

TEST(WindowLevel, MapsLikeTheDicomLinearVoiFunction) {
  const WindowLevel soft{400, 40};
  EXPECT_EQ(displayGrey(-160.5, soft), 0);   // below c - 0.5 - (w-1)/2 = -160
  EXPECT_EQ(displayGrey(240.0, soft), 255);  // above c - 0.5 + (w-1)/2 = 239
  EXPECT_EQ(displayGrey(39.5, soft), 128);   // the centre maps to mid-grey
  // Lung window: ((-1000 + 600.5) / 1499 + 0.5) * 255 = 59.5 -> 60.
  EXPECT_EQ(displayGrey(-1000, WindowLevel{1500, -600}), 60);
}

TEST(WindowLevel, Monochrome1InvertsTheRampNotTheValues) {
  // PS3.3 C.7.6.3.1.2: MONOCHROME1 shows its minimum white.
  ImageVolume radiograph;
  radiograph.dicom.displayInverted = true;
  const WindowLevel wl{400, 40};
  EXPECT_EQ(screenGrey(-160.5, wl, radiograph), 255);  // below the window: white
  EXPECT_EQ(screenGrey(240.0, wl, radiograph), 0);     // above it: black
  EXPECT_EQ(screenGrey(-1000, WindowLevel{1500, -600}, radiograph), 255 - 60);
  ImageVolume ct;
  EXPECT_EQ(screenGrey(-1000, WindowLevel{1500, -600}, ct), 60);
}

TEST(WindowLevel, PixelPaddingIsBackgroundWhateverTheWindow) {
  // PS3.3 C.7.5.1.1.2: padding is outside the scanned field; black even where a window (or an
  // inverted ramp) would show -3024 HU white.
  ImageVolume ct;
  ct.paddingRange = std::pair{-3024.0, -3024.0};
  EXPECT_EQ(screenGrey(-3024, WindowLevel{400, -3000}, ct), 0);
  EXPECT_EQ(screenGrey(-3023, WindowLevel{400, -3000}, ct), displayGrey(-3023, {400, -3000}));
  ct.dicom.displayInverted = true;
  EXPECT_EQ(screenGrey(-3024, WindowLevel{400, 40}, ct), 0);
  EXPECT_EQ(screenGrey(-3023, WindowLevel{400, 40}, ct), 255);
}

}  // namespace
}  // namespace twinplan::rendering
