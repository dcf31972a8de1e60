// Scissors in 3D (segmentation/scissors.h) against analytic answers: an orthographic view down
// the S axis cuts whole columns of a cube; a perspective view cuts a pyramid from the eye.
#include <gtest/gtest.h>

#include <cmath>

#include "twinplan/core/case_editor.h"
#include "twinplan/core/error.h"
#include "twinplan/segmentation/scissors.h"

namespace twinplan::segmentation {
namespace {

using Point = Eigen::Vector2d;

// A 10x10x10 grid of 1 mm voxels at the origin; segment "Cube" holds voxels 2..7 on each axis
// (6^3 = 216), segment "Rest" the other voxels of the same layer.
Case cubeCase() {
  ImageGeometry grid;
  grid.size = {10, 10, 10};
  LabelMap labels(grid);
  Segment cube;
  cube.name = "Cube";
  cube.value = 1;
  labels.addSegment(cube);
  Segment rest;
  rest.name = "Rest";
  rest.value = 2;
  labels.addSegment(rest);
  for (int k = 0; k < 10; ++k)
    for (int j = 0; j < 10; ++j)
      for (int i = 0; i < 10; ++i) {
        const bool inCube = i >= 2 && i <= 7 && j >= 2 && j <= 7 && k >= 2 && k <= 7;
        labels.layer(0)[grid.linearIndex(i, j, k)] = inCube ? 1 : 2;
      }
  Case twin;
  twin.labelMaps.push_back(labels);
  return twin;
}

// Looking down S (from the head): display x = 10 px/mm * L + 100, display y = 10 px/mm * P +
// 100; the depth (S) is dropped, as an orthographic camera does.
Eigen::Matrix4d viewDownS() {
  Eigen::Matrix4d m = Eigen::Matrix4d::Zero();
  m(0, 0) = 10;
  m(0, 3) = 100;
  m(1, 1) = 10;
  m(1, 3) = 100;
  m(3, 3) = 1;
  return m;
}

// A square lasso around L and P in [3.5, 5.5] mm: the voxel centres 4 and 5 on both axes.
std::vector<Point> squareLasso() { return {{135, 135}, {155, 135}, {155, 155}, {135, 155}}; }

TEST(Scissors, OrthographicViewCutsWholeColumns) {
  CaseEditor editor(cubeCase());
  const ScissorsCut cut{viewDownS(), squareLasso(), ScissorsSide::EraseInside};
  const ScissorsResult result = cutSegment(editor.twin(), 0, 0, cut);
  // 2x2 columns through all 6 slices of the cube: 24 voxels.
  EXPECT_EQ(result.voxelsCut, 24u);
  EXPECT_EQ(result.labels.voxelCount(0), 216u - 24u);
  EXPECT_EQ(result.labels.voxelCount(1), 1000u - 216u);  // the other segment keeps its voxels
  EXPECT_FALSE(result.labels.contains(0, 4, 4, 2));      // top and bottom of the column: all depths
  EXPECT_FALSE(result.labels.contains(0, 5, 5, 7));
  EXPECT_TRUE(result.labels.contains(0, 3, 4, 4));  // just outside the lasso
  EXPECT_TRUE(result.labels.contains(0, 6, 5, 4));
  // The cut voxels become background, not another segment.
  EXPECT_EQ(result.labels.layer(0)[result.labels.geometry().linearIndex(4, 4, 4)], 0);

  editor.apply(applyScissors(editor.twin(), 0, 0, cut));
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(0), 192u);
  EXPECT_EQ(editor.undoText(), "Scissors on Cube");
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps[0].voxelCount(0), 216u);
}

TEST(Scissors, EraseOutsideKeepsWhatTheLassoCovers) {
  const ScissorsCut cut{viewDownS(), squareLasso(), ScissorsSide::EraseOutside};
  const ScissorsResult result = cutSegment(cubeCase(), 0, 0, cut);
  EXPECT_EQ(result.voxelsCut, 216u - 24u);
  EXPECT_EQ(result.labels.voxelCount(0), 24u);
  EXPECT_TRUE(result.labels.contains(0, 4, 5, 3));
}

TEST(Scissors, ObliqueGridUsesVoxelCentresInLps) {
  // The same cube on a grid rotated 90 degrees about S (i runs along P, j along -L) and shifted:
  // the lasso in LPS now covers index columns i = 4,5 and j such that L = -j + 9 in {4,5}.
  Case twin = cubeCase();
  ImageGeometry rotated = twin.labelMaps[0].geometry();
  rotated.direction << 0, -1, 0, 1, 0, 0, 0, 0, 1;
  rotated.origin_lps = Vec3(9, 0, 0);
  LabelMap moved(rotated);
  moved.layer(0) = twin.labelMaps[0].layer(0);
  for (const Segment& s : twin.labelMaps[0].segments()) moved.addSegment(s);
  twin.labelMaps[0] = moved;
  const ScissorsResult result =
      cutSegment(twin, 0, 0, {viewDownS(), squareLasso(), ScissorsSide::EraseInside});
  EXPECT_EQ(result.voxelsCut, 24u);
  // Voxel (i, j) sits at L = 9 - j, P = i.
  EXPECT_FALSE(result.labels.contains(0, 4, 4, 3));  // L 5, P 4
  EXPECT_FALSE(result.labels.contains(0, 5, 5, 6));  // L 4, P 5
  EXPECT_TRUE(result.labels.contains(0, 4, 3, 3));   // L 6: outside
}

TEST(Scissors, PerspectiveViewCutsAPyramidAndNothingBehindTheEye) {
  // An eye at the origin looking along +S: display = (L / S, P / S), w = S. A voxel with S <= 0
  // is behind the eye. The grid spans L, P in -5..5 and S in -2..10, all one segment.
  ImageGeometry grid;
  grid.size = {11, 11, 13};
  grid.origin_lps = Vec3(-5, -5, -2);
  LabelMap labels(grid);
  Segment all;
  all.name = "All";
  labels.addSegment(all);
  std::fill(labels.layer(0).begin(), labels.layer(0).end(), 1);
  Case twin;
  twin.labelMaps.push_back(labels);
  Eigen::Matrix4d eye = Eigen::Matrix4d::Zero();
  eye(0, 0) = 1;
  eye(1, 1) = 1;
  eye(3, 2) = 1;
  // |L| < 0.27 S and |P| < 0.27 S (0.27 S is never an integer for S = 1..10: no centre on
  // the edge).
  const double h = 0.27;
  const ScissorsCut cut{eye, {{-h, -h}, {h, -h}, {h, h}, {-h, h}}, ScissorsSide::EraseInside};
  std::size_t expected = 0;
  for (int s = 1; s <= 10; ++s) {
    const int across = 2 * static_cast<int>(std::floor(h * s)) + 1;  // |x| <= floor(0.27 s)
    expected += static_cast<std::size_t>(across * across);
  }
  ASSERT_EQ(expected, 1u + 1 + 1 + 9 + 9 + 9 + 9 + 25 + 25 + 25);
  const ScissorsResult result = cutSegment(twin, 0, 0, cut);
  EXPECT_EQ(result.voxelsCut, expected);
  EXPECT_TRUE(result.labels.contains(0, 5, 5, 0));   // S = -2, behind the eye
  EXPECT_TRUE(result.labels.contains(0, 5, 5, 2));   // S = 0, at the eye
  EXPECT_FALSE(result.labels.contains(0, 5, 5, 3));  // S = 1, on the axis in front
}

TEST(Scissors, ConcaveAndSelfCrossingLassos) {
  // An L shape: the notch (upper right) is outside.
  const std::vector<Point> ell = {{0, 0}, {4, 0}, {4, 2}, {2, 2}, {2, 4}, {0, 4}};
  EXPECT_TRUE(insidePolygon(ell, {1, 3}));
  EXPECT_TRUE(insidePolygon(ell, {3, 1}));
  EXPECT_FALSE(insidePolygon(ell, {3, 3}));
  EXPECT_FALSE(insidePolygon(ell, {5, 1}));
  // A figure of eight (bow tie): both lobes are inside, even-odd.
  const std::vector<Point> bowTie = {{0, 0}, {4, 4}, {4, 0}, {0, 4}};
  EXPECT_TRUE(insidePolygon(bowTie, {0.5, 2}));
  EXPECT_TRUE(insidePolygon(bowTie, {3.5, 2}));
  EXPECT_FALSE(insidePolygon(bowTie, {2, 3.5}));
}

TEST(Scissors, RefusesLockedSegmentsAndBadLassos) {
  Case twin = cubeCase();
  twin.labelMaps[0].segments()[0].locked = true;
  const ScissorsCut cut{viewDownS(), squareLasso(), ScissorsSide::EraseInside};
  EXPECT_THROW(cutSegment(twin, 0, 0, cut), Error);
  // Cutting the unlocked neighbour never touches the locked cube: with EraseOutside "Rest"
  // keeps only its voxels in the lasso's 2x2 columns above and below the cube (4 slices: 16).
  const ScissorsResult rest =
      cutSegment(twin, 0, 1, {viewDownS(), squareLasso(), ScissorsSide::EraseOutside});
  EXPECT_EQ(rest.labels.voxelCount(0), 216u);
  EXPECT_EQ(rest.labels.voxelCount(1), 16u);
  EXPECT_EQ(rest.voxelsCut, 1000u - 216u - 16u);
  EXPECT_THROW(cutSegment(twin, 0, 2, cut), Error);
  EXPECT_THROW(cutSegment(twin, 1, 0, cut), Error);
  const ScissorsCut twoPoints{viewDownS(), {{0, 0}, {10, 10}}, ScissorsSide::EraseInside};
  EXPECT_THROW(twoPoints.validate(), Error);
  const ScissorsCut line{viewDownS(), {{0, 0}, {5, 5}, {10, 10}}, ScissorsSide::EraseInside};
  EXPECT_THROW(line.validate(), Error);
}

}  // namespace
}  // namespace twinplan::segmentation
