// Fusion in the 2D view (no window: the view composes its slice when asked for a pixel):
// a foreground seen through a known transform appears exactly where the transform puts it,
// checkerboard squares alternate at their size in patient millimetres, thick slabs give the
// maximum / minimum / mean of known values, values below the window are transparent, and the
// readout through a rigid transform is the analytic value.
#include <gtest/gtest.h>
#include <vtkActor2DCollection.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "twinplan/core/error.h"
#include "twinplan/rendering/slice_sampler.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::rendering {
namespace {

// A 1 mm isotropic grid of 64x64x32 voxels, axial, origin at (-32, -32, -16) mm.
ImageGeometry grid() {
  ImageGeometry g;
  g.size = {64, 64, 32};
  g.spacing_mm = Vec3(1.0, 1.0, 1.0);
  g.origin_lps = Vec3(-32, -32, -16);
  return g;
}

// A CT-like background: `hu` everywhere.
ImageVolume uniformCt(std::int16_t hu) {
  ImageVolume ct(grid(), PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  for (auto& v : ct.voxels<std::int16_t>()) v = hu;
  return ct;
}

// A PET-like layer: SUV 0 with a box of `suv` over voxels [lo, hi] (inclusive).
ImageVolume petWithBox(const std::array<int, 3>& lo, const std::array<int, 3>& hi, float suv) {
  const ImageGeometry g = grid();
  ImageVolume pet(g, PixelType::Float32);
  pet.name = "PET";
  pet.unit = "SUVbw";
  auto voxels = pet.voxels<float>();
  for (int k = lo[2]; k <= hi[2]; ++k)
    for (int j = lo[1]; j <= hi[1]; ++j)
      for (int i = lo[0]; i <= hi[0]; ++i) voxels[g.linearIndex(i, j, k)] = suv;
  return pet;
}

FusionLayer hotIronLayer(const ImageVolume& pet, const SpatialTransform& transform) {
  FusionLayer layer;
  layer.volume = &pet;
  layer.backgroundToLayer = transform;
  layer.window = {5.0, 2.5};  // SUV 0-5
  layer.colourMap = ColourMap::HotIron;
  layer.opacity = 1.0;
  return layer;
}

// The view's pixel (u, v) of the LPS point p on its plane.
std::pair<int, int> pixelOf(const SlicePlane& plane, const Vec3& p) {
  const Vec3 d = p - plane.origin_lps;
  return {static_cast<int>(std::lround(d.dot(plane.right) / plane.spacing_mm)),
          static_cast<int>(std::lround(d.dot(plane.down) / plane.spacing_mm))};
}

TEST(Fusion, ForegroundShiftedByATranslationAppearsShiftedByThatManyPixels) {
  const ImageVolume ct = uniformCt(-1000);
  const ImageVolume pet = petWithBox({20, 24, 10}, {29, 35, 20}, 10.0f);
  SliceView reference(SliceOrientation::Axial), shifted(SliceOrientation::Axial);
  for (SliceView* view : {&reference, &shifted}) {
    view->setVolume(&ct);
    view->setCrosshair(grid().indexToLps(Vec3(32, 32, 15)));
  }
  reference.setForeground(hotIronLayer(pet, SpatialTransform::identity()));
  // fixed -> moving: the layer is read at p + (7, -4, 0) mm, so its box shows 7 mm to the
  // patient's right (screen left, -u) and 4 mm anterior (screen up, -v).
  shifted.setForeground(
      hotIronLayer(pet, SpatialTransform::rigid(Mat3::Identity(), Vec3(7.0, -4.0, 0.0))));
  const SlicePlane& plane = reference.slicePlane();
  ASSERT_DOUBLE_EQ(plane.spacing_mm, 1.0);
  int boxPixels = 0, compared = 0;
  for (int v = 0; v < plane.height; ++v)
    for (int u = 0; u < plane.width; ++u) {
      const RgbColour ref = reference.displayedColourAt(u, v);
      if (ref == RgbColour{255, 255, 255}) ++boxPixels;
      const int us = u - 7, vs = v + 4;
      if (us < 0 || vs >= plane.height) continue;
      ++compared;
      ASSERT_EQ(shifted.displayedColourAt(us, vs), ref) << "pixel " << u << "," << v;
    }
  EXPECT_EQ(boxPixels, 10 * 12);  // the box's 10 x 12 voxels, white (SUV 10 > 5) in hot iron
  EXPECT_GT(compared, 3000);
  // And the box's corner voxel (20, 24) is exactly at the shifted pixel.
  const auto [u0, v0] = pixelOf(plane, grid().indexToLps(Vec3(20, 24, 15)));
  EXPECT_EQ(shifted.displayedColourAt(u0 - 7, v0 + 4), (RgbColour{255, 255, 255}));
  EXPECT_EQ(shifted.displayedColourAt(u0 - 8, v0 + 4), (RgbColour{0, 0, 0}));
}

TEST(Fusion, RotatedForegroundLandsWhereTheRotationMapsIt) {
  // 90 degrees about S through the grid centre: p_layer = R (p - c) + c with R (x, y) = (-y, x).
  // The box's voxel at layer position q is seen at p = R^T (q - c) + c.
  const ImageVolume ct = uniformCt(-1000);
  const ImageVolume pet = petWithBox({40, 30, 10}, {40, 30, 20}, 10.0f);  // a 1-voxel column
  Mat3 r;
  r << 0, -1, 0, 1, 0, 0, 0, 0, 1;
  const Vec3 centre = grid().indexToLps(Vec3(32, 32, 15));
  SliceView view(SliceOrientation::Axial);
  view.setVolume(&ct);
  view.setCrosshair(centre);
  view.setForeground(hotIronLayer(pet, SpatialTransform::rigid(r, Vec3::Zero(), centre)));
  const Vec3 q = grid().indexToLps(Vec3(40, 30, 15));
  const Vec3 seen = r.transpose() * (q - centre) + centre;
  const auto [u, v] = pixelOf(view.slicePlane(), seen);
  EXPECT_EQ(view.displayedColourAt(u, v), (RgbColour{255, 255, 255}));
  int bright = 0;
  for (int vv = 0; vv < view.slicePlane().height; ++vv)
    for (int uu = 0; uu < view.slicePlane().width; ++uu)
      if (view.displayedColourAt(uu, vv).r > 0) ++bright;
  EXPECT_EQ(bright, 1);
}

TEST(Fusion, BSplinePathMatchesTheEqualTranslation) {
  // A uniform control-point displacement d: the cubic B-spline weights sum to 1 (partition of
  // unity), so inside the grid's support the deformation is exactly the translation d.
  const ImageVolume pet = petWithBox({20, 24, 10}, {29, 35, 20}, 10.0f);
  SpatialTransform bspline;
  bspline.kind = SpatialTransform::Kind::BSpline;
  bspline.bspline.grid.size = {13, 13, 13};
  bspline.bspline.grid.spacing_mm = Vec3(15, 15, 15);
  bspline.bspline.grid.origin_lps = Vec3(-90, -90, -90);
  const Vec3 d(3.0, -2.0, 1.0);
  bspline.bspline.coefficients.assign(13 * 13 * 13, d);
  const SlicePlane plane =
      planeCovering(grid(), SliceOrientation::Coronal, grid().indexToLps(Vec3(32, 30, 15)));
  std::vector<float> deformed, translated;
  sampleSliceThrough(pet, plane, bspline, -1.0f, deformed);
  sampleSliceThrough(pet, plane, SpatialTransform::rigid(Mat3::Identity(), d), -1.0f, translated);
  ASSERT_EQ(deformed.size(), translated.size());
  int box = 0;
  for (std::size_t n = 0; n < deformed.size(); ++n) {
    EXPECT_NEAR(deformed[n], translated[n], 1e-3) << n;
    if (translated[n] > 9.99f) ++box;
  }
  EXPECT_GT(box, 50);
}

TEST(Fusion, BSplineNodesAgreeWithEveryPixel) {
  // A realistic deformable registration: control points 30 mm apart with pseudo-random
  // displacements up to 5 mm. The slice interpolates the mapped positions between nodes 3 mm
  // apart; on a linear field f = x + 2y + 4z (|grad f| = sqrt(21)), a value difference d means
  // a position difference of at least d / sqrt(21) mm. Compared with the exact point readout.
  const ImageGeometry g = grid();
  ImageVolume layer(g, PixelType::Float32);
  auto voxels = layer.voxels<float>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        voxels[g.linearIndex(i, j, k)] = static_cast<float>(p[0] + 2 * p[1] + 4 * p[2]);
      }
  SpatialTransform bspline;
  bspline.kind = SpatialTransform::Kind::BSpline;
  bspline.bspline.grid.size = {7, 7, 6};
  bspline.bspline.grid.spacing_mm = Vec3(30, 30, 30);
  bspline.bspline.grid.origin_lps = Vec3(-90, -90, -75);
  std::uint32_t state = 12345;
  auto random_mm = [&state] {  // a fixed LCG: the same field on every machine, in [-5, 5)
    state = state * 1664525u + 1013904223u;
    return (state >> 8) / double(1u << 24) * 10.0 - 5.0;
  };
  for (int n = 0; n < 7 * 7 * 6; ++n)
    bspline.bspline.coefficients.emplace_back(random_mm(), random_mm(), random_mm());
  double worst_mm = 0.0;
  int compared = 0;
  for (SliceOrientation orientation :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    const SlicePlane plane = planeCovering(g, orientation, Vec3(1.3, -2.1, 0.7));
    std::vector<float> pixels;
    sampleSliceThrough(layer, plane, bspline, std::numeric_limits<float>::quiet_NaN(), pixels);
    for (int v = 0; v < plane.height; ++v)
      for (int u = 0; u < plane.width; ++u) {
        const float sample = pixels[static_cast<std::size_t>(v) * plane.width + u];
        const auto exact = sampleThrough(layer, bspline, plane.pixelToLps(u, v));
        if (std::isnan(sample) || !exact) continue;
        ++compared;
        worst_mm = std::max(worst_mm, std::abs(sample - *exact) / std::sqrt(21.0));
      }
  }
  EXPECT_GT(compared, 5000);
  EXPECT_LT(worst_mm, 0.1);
  RecordProperty("worst_position_difference_mm", std::to_string(worst_mm));
  std::printf("B-spline node interpolation: worst position difference %.4f mm over %d pixels\n",
              worst_mm, compared);
}

TEST(Fusion, CheckerboardSquaresAlternateAtTheirSizeInPatientMillimetres) {
  const ImageVolume ct = uniformCt(1000);                          // white under a 400/40 window
  const ImageVolume pet = petWithBox({0, 0, 0}, {0, 0, 0}, 0.0f);  // SUV 0: black in hot iron
  SliceView view(SliceOrientation::Coronal);
  view.setVolume(&ct);
  view.setForeground(hotIronLayer(pet, SpatialTransform::identity()));
  view.setFusionMode(FusionMode::Checkerboard, 12.0);
  const SlicePlane& plane = view.slicePlane();
  int white = 0, black = 0;
  for (int v = 0; v < plane.height; ++v)
    for (int u = 0; u < plane.width; ++u) {
      const Vec3 p = plane.pixelToLps(u, v);
      // Coronal: right = +x (L), down = -z (I). Squares of 12 mm from the LPS origin.
      const long a = static_cast<long>(std::floor(p[0] / 12.0));
      const long b = static_cast<long>(std::floor(-p[2] / 12.0));
      const bool foregroundSquare = ((a + b) & 1) != 0;
      const RgbColour c = view.displayedColourAt(u, v);
      ASSERT_EQ(c, (foregroundSquare ? RgbColour{0, 0, 0} : RgbColour{255, 255, 255}))
          << "pixel " << u << "," << v << " at x " << p[0] << " z " << p[2];
      (foregroundSquare ? black : white)++;
    }
  EXPECT_GT(white, 500);
  EXPECT_GT(black, 500);
  // Along a row, the colour changes exactly at x = -24, -12, 0, 12, 24 mm.
  const int v = plane.height / 2;
  int changes = 0;
  for (int u = 1; u < plane.width; ++u) {
    if (view.displayedColourAt(u, v) == view.displayedColourAt(u - 1, v)) continue;
    ++changes;
    const double x = plane.pixelToLps(u, v)[0];
    EXPECT_NEAR(std::fmod(x + 1200.0, 12.0), 0.0, 1e-9) << "change at x " << x;
  }
  EXPECT_EQ(changes, 5);  // x from -32 to +31 mm
}

TEST(Fusion, FlickerShowsOneSeriesOrTheOther) {
  const ImageVolume ct = uniformCt(1000);
  const ImageVolume pet = petWithBox({0, 0, 0}, {63, 63, 31}, 10.0f);  // white everywhere
  SliceView view(SliceOrientation::Axial);
  view.setVolume(&ct);
  FusionLayer layer = hotIronLayer(pet, SpatialTransform::identity());
  layer.colourMap = ColourMap::PetRainbow;
  layer.window = {20.0, 10.0};  // SUV 0-20: SUV 10 at t = 0.5, PET entry 128 (128, 0, 255)
  layer.opacity = 0.3;
  view.setForeground(layer);
  view.setFusionMode(FusionMode::Flicker);
  view.setFlickerPhase(true);
  EXPECT_EQ(view.displayedColourAt(10, 10), (RgbColour{128, 0, 255}));  // opaque, not 30%
  view.setFlickerPhase(false);
  EXPECT_EQ(view.displayedColourAt(10, 10), (RgbColour{255, 255, 255}));
}

TEST(Fusion, BelowTheWindowIsTransparentAndAboveIsBlended) {
  ImageVolume ct = uniformCt(40);  // grey 128 under 400/40 (PS3.3 linear: round(127.82))
  const ImageVolume pet = petWithBox({10, 10, 0}, {20, 20, 31}, 3.0f);  // rest SUV 0
  SliceView view(SliceOrientation::Axial);
  view.setVolume(&ct);
  const std::uint8_t grey = displayGrey(40, WindowLevel{});
  FusionLayer layer = hotIronLayer(pet, SpatialTransform::identity());
  layer.window = {4.0, 3.0};  // SUV 1-5: SUV 0 is below, SUV 3 mid-window
  layer.opacity = 0.5;
  view.setForeground(layer);
  const auto [uIn, vIn] = pixelOf(view.slicePlane(), grid().indexToLps(Vec3(15, 15, 15)));
  // Outside the box SUV 0 < 1: the CT alone.
  EXPECT_EQ(view.displayedColourAt(2, 2), (RgbColour{grey, grey, grey}));
  // Inside: hot iron at t = 0.5 (entry 128: 255, 0, 0) blended half and half.
  const RgbColour inside = view.displayedColourAt(uIn, vIn);
  EXPECT_EQ(inside.r, static_cast<std::uint8_t>(grey * 0.5 + 255 * 0.5 + 0.5));
  EXPECT_EQ(inside.g, static_cast<std::uint8_t>(grey * 0.5 + 0.5));
  // Pixel padding of the layer is never drawn, threshold or not.
  ImageVolume padded = pet;
  padded.paddingRange = std::make_pair(3.0, 3.0);
  layer.volume = &padded;
  view.setForeground(layer);
  EXPECT_EQ(view.displayedColourAt(uIn, vIn), (RgbColour{grey, grey, grey}));
  layer.volume = &pet;
  // Without the threshold, SUV 0 is the map's black blended in: darker than the CT.
  layer.thresholdBelowWindow = false;
  view.setForeground(layer);
  const RgbColour darkened = view.displayedColourAt(2, 2);
  EXPECT_EQ(darkened.r, static_cast<std::uint8_t>(grey * 0.5 + 0.5));
}

// A volume whose value is its slice index k (z from -16 mm in 2 mm steps).
ImageVolume sliceIndexVolume() {
  ImageGeometry g = grid();
  g.spacing_mm = Vec3(1.0, 1.0, 2.0);
  ImageVolume volume(g, PixelType::Float32);
  auto voxels = volume.voxels<float>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        voxels[g.linearIndex(i, j, k)] = static_cast<float>(k);
  return volume;
}

TEST(Slab, MipMinIpAndMeanOfKnownSlices) {
  const ImageVolume volume = sliceIndexVolume();
  const Vec3 centre = volume.geometry().indexToLps(Vec3(32, 32, 12));
  const SlicePlane plane = planeCovering(volume.geometry(), SliceOrientation::Axial, centre);
  const double step = sliceStepAlong(volume.geometry(), plane.normal());
  ASSERT_DOUBLE_EQ(step, 2.0);
  std::vector<float> pixels;
  // 9 mm thick at a 2 mm step: planes at -4, -2, 0, 2, 4 mm = slices 10..14.
  const SpatialTransform identity;
  for (auto [mode, expected] :
       {std::pair{SlabMode::Mip, 14.0f}, std::pair{SlabMode::MinIp, 10.0f},
        std::pair{SlabMode::Mean, 12.0f}, std::pair{SlabMode::None, 12.0f}}) {
    sampleSlabThrough(volume, plane, identity, mode, 9.0, step, -1.0f, pixels);
    EXPECT_FLOAT_EQ(pixels[pixels.size() / 2], expected) << toString(mode);
  }
  // At the volume's edge the slab keeps the planes that hit it: slices 0..2 of -2..2.
  const SlicePlane edge = planeCovering(volume.geometry(), SliceOrientation::Axial,
                                        volume.geometry().indexToLps(Vec3(32, 32, 0)));
  sampleSlabThrough(volume, edge, identity, SlabMode::Mean, 9.0, step, -1.0f, pixels);
  EXPECT_FLOAT_EQ(pixels[pixels.size() / 2], 1.0f);  // mean of 0, 1, 2
}

TEST(Slab, MipOfASlabShowsABrightPointOffTheSlice) {
  ImageVolume ct = uniformCt(0);
  const ImageGeometry g = grid();
  ct.voxels<std::int16_t>()[g.linearIndex(40, 22, 18)] = 3000;  // 3 slices above the view
  SliceView view(SliceOrientation::Axial);
  view.setVolume(&ct);
  view.setCrosshair(g.indexToLps(Vec3(32, 32, 15)));
  const auto [u, v] = pixelOf(view.slicePlane(), g.indexToLps(Vec3(40, 22, 15)));
  const std::uint8_t tissue = displayGrey(0, WindowLevel{});
  EXPECT_EQ(view.displayedColourAt(u, v).r, tissue);  // a plain slice does not show it
  view.setSlab(SlabMode::Mip, 8.0);                   // +-4 mm: reaches slice 18
  EXPECT_EQ(view.displayedColourAt(u, v).r, 255);
  EXPECT_EQ(view.displayedColourAt(u + 1, v).r, tissue);
  view.setSlab(SlabMode::Mip, 4.0);  // +-2 mm: does not
  EXPECT_EQ(view.displayedColourAt(u, v).r, tissue);
  view.setSlab(SlabMode::None, 8.0);
  EXPECT_EQ(view.displayedColourAt(u, v).r, tissue);
}

TEST(Fusion, ForegroundValueThroughARigidTransformIsAnalytic) {
  // A linear field f(p) = x + 2y + 4z on the layer: trilinear interpolation reproduces it, so
  // the readout at p must be f(R (p - c) + c + t).
  const ImageGeometry g = grid();
  ImageVolume layer(g, PixelType::Float32);
  layer.unit = "SUVbw";
  auto voxels = layer.voxels<float>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        voxels[g.linearIndex(i, j, k)] = static_cast<float>(p[0] + 2 * p[1] + 4 * p[2]);
      }
  const ImageVolume ct = uniformCt(0);
  const Mat3 rotation =
      Eigen::AngleAxisd(25.0 * M_PI / 180.0, Vec3(0.2, 0.3, 1.0).normalized()).toRotationMatrix();
  const Vec3 centre(3, -2, 1), translation(4.5, -3.25, 2.0);
  SliceView view(SliceOrientation::Sagittal);
  view.setVolume(&ct);
  EXPECT_FALSE(view.foregroundValueAt(Vec3::Zero()).has_value());  // no foreground yet
  FusionLayer fusion;
  fusion.volume = &layer;
  fusion.backgroundToLayer = SpatialTransform::rigid(rotation, translation, centre);
  view.setForeground(fusion);
  for (const Vec3& p : {Vec3(0, 0, 0), Vec3(-10.3, 7.7, 4.1), Vec3(12, -10, -3)}) {
    const Vec3 q = rotation * (p - centre) + centre + translation;
    const auto value = view.foregroundValueAt(p);
    ASSERT_TRUE(value.has_value());
    EXPECT_NEAR(*value, q[0] + 2 * q[1] + 4 * q[2], 1e-3);
  }
  EXPECT_FALSE(view.foregroundValueAt(Vec3(200, 0, 0)).has_value());  // outside the layer
}

TEST(Fusion, ColourBarTitledWithTheUnit) {
  const ImageVolume ct = uniformCt(0);
  const ImageVolume pet = petWithBox({0, 0, 0}, {0, 0, 0}, 1.0f);
  SliceView view(SliceOrientation::Axial);
  view.setVolume(&ct);
  auto visibleBarTitles = [&view] {
    std::vector<std::string> titles;
    vtkActor2DCollection* actors = view.renderer()->GetActors2D();
    actors->InitTraversal();
    while (vtkActor2D* actor = actors->GetNextActor2D()) {
      auto* bar = vtkScalarBarActor::SafeDownCast(actor);
      if (bar && bar->GetVisibility() && bar->GetTitle()) titles.emplace_back(bar->GetTitle());
    }
    return titles;
  };
  EXPECT_TRUE(visibleBarTitles().empty());
  view.setForeground(hotIronLayer(pet, SpatialTransform::identity()));
  EXPECT_EQ(visibleBarTitles(), std::vector<std::string>{"SUVbw"});
  view.setBackgroundColourMap(ColourMap::InvertedGrey);
  EXPECT_EQ(visibleBarTitles().size(), 2u);
  view.setColourBarVisible(false);
  EXPECT_TRUE(visibleBarTitles().empty());
  view.setColourBarVisible(true);
  view.clearForeground();
  EXPECT_EQ(visibleBarTitles(), std::vector<std::string>{"HU"});
}

TEST(Fusion, BackgroundColourMapUsesTheWindow) {
  ImageVolume pet = petWithBox({10, 10, 0}, {20, 20, 31}, 2.5f);
  SliceView view(SliceOrientation::Axial);
  view.setVolume(&pet);
  view.setWindowLevel({5.0, 2.5});
  view.setBackgroundColourMap(ColourMap::InvertedGrey);
  const auto [u, v] = pixelOf(view.slicePlane(), grid().indexToLps(Vec3(15, 15, 15)));
  EXPECT_EQ(view.displayedColourAt(u, v), colourOf(ColourMap::InvertedGrey, 0.5));
  EXPECT_EQ(view.displayedColourAt(2, 2), (RgbColour{255, 255, 255}));  // SUV 0: white
}

TEST(Fusion, LayersThatCannotBeFusedAreRefused) {
  SliceView view(SliceOrientation::Axial);
  EXPECT_THROW(view.setForeground(FusionLayer{}), Error);
  ImageGeometry g;
  g.size = {4, 4, 1};
  ImageVolume photo(g, PixelType::Rgb8);
  photo.planar2D = true;
  FusionLayer layer;
  layer.volume = &photo;
  try {
    view.setForeground(layer);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
  EXPECT_FALSE(view.hasForeground());
  EXPECT_EQ(fusionModeFromString("checkerboard"), FusionMode::Checkerboard);
  EXPECT_EQ(slabModeFromString("minip"), SlabMode::MinIp);
  EXPECT_THROW(slabModeFromString("max"), Error);
}

}  // namespace
}  // namespace twinplan::rendering
