// Contour rasterisation and marching-squares contours against analytic answers
// (io/include/twinplan/io/contour_raster.h).
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <numeric>

#include "twinplan/core/error.h"
#include "twinplan/io/contour_raster.h"

namespace twinplan::io {
namespace {

ImageGeometry grid(std::int64_t nx, std::int64_t ny, std::int64_t nz, double spacing_mm = 1.0,
                   double sliceSpacing_mm = 1.0) {
  ImageGeometry g;
  g.size = {nx, ny, nz};
  g.spacing_mm = Vec3(spacing_mm, spacing_mm, sliceSpacing_mm);
  g.origin_lps = Vec3(-10.0, 20.0, -30.0);
  return g;
}

// A polygon given in continuous index (i, j) on plane k, as LPS points.
LpsContour polygon(const ImageGeometry& g, std::vector<std::pair<double, double>> ij, double k) {
  LpsContour c;
  for (auto [i, j] : ij) c.points_lps.push_back(g.indexToLps(Vec3(i, j, k)));
  c.label = "test contour";
  return c;
}

LpsContour square(const ImageGeometry& g, double i0, double j0, double i1, double j1, double k) {
  return polygon(g, {{i0, j0}, {i1, j0}, {i1, j1}, {i0, j1}}, k);
}

std::size_t count(const std::vector<std::uint8_t>& mask) {
  return static_cast<std::size_t>(std::accumulate(mask.begin(), mask.end(), 0));
}

std::size_t countSlice(const std::vector<std::uint8_t>& mask, const ImageGeometry& g,
                       std::int64_t k) {
  std::size_t n = 0;
  for (std::int64_t j = 0; j < g.size[1]; ++j)
    for (std::int64_t i = 0; i < g.size[0]; ++i) n += mask[g.linearIndex(i, j, k)];
  return n;
}

TEST(ContourRaster, SquareCoversExactlyTheVoxelCentresInside) {
  const ImageGeometry g = grid(40, 40, 5);
  ContourPlaneUse use;
  // Edges half-way between centres: centres 10..19 x 5..14 are inside = 10 x 10.
  const auto mask = rasteriseContours({square(g, 9.5, 4.5, 19.5, 14.5, 2)}, g, use);
  EXPECT_EQ(count(mask), 100u);
  EXPECT_EQ(countSlice(mask, g, 2), 100u);
  EXPECT_EQ(mask[g.linearIndex(10, 5, 2)], 1);
  EXPECT_EQ(mask[g.linearIndex(9, 5, 2)], 0);
  EXPECT_EQ(use.planes, 1);
  EXPECT_EQ(use.planesUsed, 1);
}

TEST(ContourRaster, HolesAndIslandsAreEvenOdd) {
  const ImageGeometry g = grid(60, 60, 3);
  ContourPlaneUse use;
  // Outer 30x30, hole 16x16, island 4x4 in the hole: 900 - 256 + 16 (PS3.3 C.8.8.6.3).
  const auto mask =
      rasteriseContours({square(g, 9.5, 9.5, 39.5, 39.5, 1), square(g, 16.5, 16.5, 32.5, 32.5, 1),
                         square(g, 22.5, 22.5, 26.5, 26.5, 1)},
                        g, use);
  EXPECT_EQ(count(mask), 900u - 256u + 16u);
  EXPECT_EQ(mask[g.linearIndex(20, 20, 1)], 0);  // in the hole
  EXPECT_EQ(mask[g.linearIndex(24, 24, 1)], 1);  // on the island
}

TEST(ContourRaster, KeyholeContourGivesTheSameHole) {
  const ImageGeometry g = grid(60, 60, 3);
  ContourPlaneUse use;
  // One polygon: outer square, a zero-width cut to the hole, the hole run the other way.
  const auto keyhole = polygon(g,
                               {{9.5, 9.5},
                                {39.5, 9.5},
                                {39.5, 39.5},
                                {9.5, 39.5},
                                {9.5, 24.7},
                                {16.5, 24.7},
                                {16.5, 32.5},
                                {32.5, 32.5},
                                {32.5, 16.5},
                                {16.5, 16.5},
                                {16.5, 24.7},
                                {9.5, 24.7}},
                               1);
  const auto mask = rasteriseContours({keyhole}, g, use);
  EXPECT_EQ(count(mask), 900u - 256u);
}

TEST(ContourRaster, CircleAreaMatchesPiRSquared) {
  const ImageGeometry g = grid(200, 200, 1, 0.5);
  std::vector<std::pair<double, double>> ij;
  const double radius_voxels = 80.0;  // 40 mm
  for (int n = 0; n < 720; ++n) {
    const double a = 2.0 * M_PI * n / 720.0;
    ij.emplace_back(100.0 + radius_voxels * std::cos(a), 100.0 + radius_voxels * std::sin(a));
  }
  ContourPlaneUse use;
  const auto mask = rasteriseContours({polygon(g, ij, 0)}, g, use);
  const double area_mm2 = static_cast<double>(count(mask)) * 0.25;
  EXPECT_NEAR(area_mm2 / (M_PI * 40.0 * 40.0), 1.0, 0.002);
}

TEST(ContourRaster, PlanesBetweenSlicesGoToTheNearestSliceWithinHalfASpacing) {
  const ImageGeometry g = grid(20, 20, 10, 1.0, 3.0);
  ContourPlaneUse use;
  // Planes at k = 2.3 (-> slice 2), 4.5 (half-way -> slice 5), 6.9 (-> slice 7).
  const auto mask =
      rasteriseContours({square(g, 2.5, 2.5, 6.5, 6.5, 2.3), square(g, 2.5, 2.5, 6.5, 6.5, 4.5),
                         square(g, 2.5, 2.5, 6.5, 6.5, 6.9)},
                        g, use);
  for (std::int64_t k = 0; k < 10; ++k)
    EXPECT_EQ(countSlice(mask, g, k), (k == 2 || k == 5 || k == 7) ? 16u : 0u) << "slice " << k;
  EXPECT_EQ(use.planesUsed, 3);
}

TEST(ContourRaster, DenserPlanesThanSlicesUseTheNearestOne) {
  const ImageGeometry g = grid(20, 20, 4);
  ContourPlaneUse use;
  // Two planes serve slice 1: k = 0.8 (4x4) and 1.1 (6x6, nearer) -> the 6x6 one.
  const auto mask = rasteriseContours(
      {square(g, 2.5, 2.5, 6.5, 6.5, 0.8), square(g, 2.5, 2.5, 8.5, 8.5, 1.1)}, g, use);
  EXPECT_EQ(countSlice(mask, g, 1), 36u);
  EXPECT_EQ(count(mask), 36u);
  EXPECT_EQ(use.planesShadowed, 1);
}

TEST(ContourRaster, NoExtrapolationPastTheEndCapsAndOffGridPlanesAreCounted) {
  const ImageGeometry g = grid(20, 20, 6);
  ContourPlaneUse use;
  const auto mask =
      rasteriseContours({square(g, 2.5, 2.5, 6.5, 6.5, 2), square(g, 2.5, 2.5, 6.5, 6.5, 3),
                         square(g, 2.5, 2.5, 6.5, 6.5, 9)},
                        g, use);
  EXPECT_EQ(count(mask), 32u);  // slices 2 and 3 only
  EXPECT_EQ(countSlice(mask, g, 1), 0u);
  EXPECT_EQ(countSlice(mask, g, 4), 0u);
  EXPECT_EQ(use.planesOffGrid, 1);
}

TEST(ContourRaster, ContoursRunningOutsideTheImageAreClipped) {
  const ImageGeometry g = grid(10, 10, 1);
  ContourPlaneUse use;
  // i in 5..14 (5..9 on the grid), j in -5..4 (0..4 on the grid): 5 x 5 inside.
  const auto mask = rasteriseContours({square(g, 4.5, -5.5, 14.5, 4.5, 0)}, g, use);
  EXPECT_EQ(count(mask), 25u);
}

TEST(ContourRaster, ObliqueGridsRasteriseContoursDrawnOnTheirSlices) {
  ImageGeometry g = grid(40, 40, 5, 0.8, 2.0);
  g.direction = (Eigen::AngleAxisd(0.35, Vec3(1, 0, 0)) * Eigen::AngleAxisd(0.2, Vec3(0, 1, 0)))
                    .toRotationMatrix();
  ContourPlaneUse use;
  const auto mask = rasteriseContours({square(g, 9.5, 4.5, 19.5, 14.5, 3)}, g, use);
  EXPECT_EQ(countSlice(mask, g, 3), 100u);
  EXPECT_EQ(count(mask), 100u);
}

TEST(ContourRaster, AContourAcrossSlicesIsRefusedNamingIt) {
  const ImageGeometry g = grid(20, 20, 5);
  LpsContour tilted = polygon(g, {{2, 2}, {8, 2}, {8, 8}}, 1);
  tilted.points_lps[1] = g.indexToLps(Vec3(8, 2, 2));  // spans a whole slice
  tilted.label = "ROI 'Tilted', contour 1";
  ContourPlaneUse use;
  try {
    rasteriseContours({tilted}, g, use);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("ROI 'Tilted', contour 1"), std::string::npos);
  }
}

// Marching squares then rasterisation gives back the mask, with holes, islands, diagonal
// neighbours and voxels on the grid's border.
TEST(ContourRaster, SliceContoursGiveBackTheMaskExactly) {
  const ImageGeometry g = grid(24, 20, 2);
  std::vector<std::uint8_t> mask(g.voxelCount(), 0);
  auto set = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    mask[g.linearIndex(i, j, k)] = 1;
  };
  for (std::int64_t j = 2; j < 15; ++j)
    for (std::int64_t i = 3; i < 18; ++i)
      if (!(i > 6 && i < 14 && j > 5 && j < 12)) set(i, j, 1);  // ring with a hole
  set(9, 8, 1);                                                 // island in the hole
  set(20, 16, 1);                                               // diagonal pair
  set(21, 17, 1);
  set(0, 0, 1);                                         // corner voxel
  for (std::int64_t i = 0; i < 24; ++i) set(i, 19, 1);  // the whole last row
  const auto polygons = sliceContours(mask, g, 1);
  std::vector<LpsContour> contours;
  for (const IndexPolygon& p : polygons) contours.push_back(polygon(g, p, 1));
  ContourPlaneUse use;
  const auto back = rasteriseContours(contours, g, use);
  EXPECT_EQ(back, mask);
  // Ring outer, ring hole, island, two diagonal voxels apart, corner, last row.
  EXPECT_EQ(polygons.size(), 7u);
  // An empty slice has no contour.
  EXPECT_TRUE(sliceContours(std::vector<std::uint8_t>(g.voxelCount(), 0), g, 0).empty());
}

}  // namespace
}  // namespace twinplan::io
