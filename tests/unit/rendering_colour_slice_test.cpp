// Colour (Rgb8) slices: the sampler returns each pixel's own colour (nearest, never a blend),
// the grey sampler gives the BT.601 luma, and a planar 2D image fills the axial view pixel for
// pixel in stored order (column i to the right, row j down).
#include <gtest/gtest.h>

#include "twinplan/rendering/slice_sampler.h"

namespace twinplan::rendering {
namespace {

ImageVolume colourImage() {
  ImageGeometry g;
  g.size = {3, 2, 1};
  g.spacing_mm = Vec3(0.5, 0.5, 1.0);
  ImageVolume image(g, PixelType::Rgb8);
  auto rgb = image.voxels<RgbColour>();
  rgb[0] = {255, 0, 0};
  rgb[1] = {0, 255, 0};
  rgb[2] = {0, 0, 255};
  rgb[3] = {255, 255, 0};
  rgb[4] = {0, 0, 0};
  rgb[5] = {255, 255, 255};
  image.planar2D = true;
  return image;
}

TEST(ColourSlice, AxialViewShowsEachPixelsOwnColourInStoredOrder) {
  const ImageVolume image = colourImage();
  const SlicePlane plane = planeCovering(image.geometry(), SliceOrientation::Axial, Vec3::Zero());
  ASSERT_EQ(plane.width, 3);
  ASSERT_EQ(plane.height, 2);
  std::vector<RgbColour> pixels;
  sampleColourSlice(image, plane, RgbColour{1, 2, 3}, pixels);
  const auto voxels = image.voxels<RgbColour>();
  for (std::size_t n = 0; n < pixels.size(); ++n) EXPECT_EQ(pixels[n], voxels[n]) << n;
}

TEST(ColourSlice, BetweenPixelsTheNearestColourNotABlend) {
  const ImageVolume image = colourImage();
  SlicePlane plane = planeCovering(image.geometry(), SliceOrientation::Axial, Vec3::Zero());
  plane.spacing_mm = 0.2;  // zoomed: samples fall between pixel centres
  plane.width = 6;
  plane.height = 1;
  plane.origin_lps = Vec3(0.0, 0.0, 0.0);
  std::vector<RgbColour> pixels;
  sampleColourSlice(image, plane, RgbColour{}, pixels);
  // x (mm) / 0.5 mm = index: 0, 0.4 -> pixel 0 (red); 0.8, 1.2 -> pixel 1 (green); 1.6, 2.0 -> 2.
  EXPECT_EQ(pixels[0], (RgbColour{255, 0, 0}));
  EXPECT_EQ(pixels[1], (RgbColour{255, 0, 0}));
  EXPECT_EQ(pixels[2], (RgbColour{0, 255, 0}));
  EXPECT_EQ(pixels[3], (RgbColour{0, 255, 0}));
  EXPECT_EQ(pixels[4], (RgbColour{0, 0, 255}));
  EXPECT_EQ(pixels[5], (RgbColour{0, 0, 255}));  // x = 1.0 is pixel 2's centre
  for (const auto& p : pixels)
    EXPECT_TRUE(p.r == 0 || p.r == 255) << "a blended value " << int(p.r);
}

TEST(ColourSlice, GreySamplesOfAColourImageAreItsLuma) {
  const ImageVolume image = colourImage();
  const SlicePlane plane = planeCovering(image.geometry(), SliceOrientation::Axial, Vec3::Zero());
  std::vector<float> grey;
  sampleSlice(image, plane, -1.0f, grey);
  ASSERT_EQ(grey.size(), 6u);
  EXPECT_NEAR(grey[0], 0.299 * 255, 1e-3);  // red
  EXPECT_NEAR(grey[1], 0.587 * 255, 1e-3);  // green
  EXPECT_NEAR(grey[3], (0.299 + 0.587) * 255, 1e-3);
  EXPECT_NEAR(grey[5], 255.0, 1e-3);
  EXPECT_NEAR(image.valueAt(2, 0, 0), 0.114 * 255, 1e-9);
}

}  // namespace
}  // namespace twinplan::rendering
