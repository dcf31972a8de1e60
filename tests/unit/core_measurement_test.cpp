// Measurements against analytic answers.
#include <gtest/gtest.h>

#include <cmath>

#include "twinplan/core/measurement.h"

namespace twinplan {
namespace {

Measurement make(Measurement::Kind kind, std::vector<Vec3> points) {
  Measurement m;
  m.kind = kind;
  m.name = "m";
  m.points_lps = std::move(points);
  return m;
}

TEST(Measurement, RulerIsTheEuclideanDistance) {
  EXPECT_DOUBLE_EQ(rulerLength_mm(make(Measurement::Kind::Ruler, {Vec3(1, 2, 3), Vec3(4, 6, 15)})),
                   13.0);
}

TEST(Measurement, AngleAtTheMiddlePoint) {
  EXPECT_NEAR(
      angle_deg(make(Measurement::Kind::Angle, {Vec3(10, 0, 0), Vec3(0, 0, 0), Vec3(0, 5, 0)})),
      90.0, 1e-12);
  EXPECT_NEAR(
      angle_deg(make(Measurement::Kind::Angle, {Vec3(1, 0, 0), Vec3(0, 0, 0), Vec3(1, 1e-9, 0)})),
      0.0, 1e-6);
  EXPECT_NEAR(
      angle_deg(make(Measurement::Kind::Angle, {Vec3(1, 0, 0), Vec3(0, 0, 0), Vec3(-1, 1, 0)})),
      135.0, 1e-12);
  EXPECT_THROW(angle_deg(make(Measurement::Kind::Angle, {Vec3(1, 0, 0)})), Error);
}

// A 1 mm grid whose voxel value is its i index: statistics of any box are known exactly.
ImageVolume ramp() {
  ImageGeometry g;
  g.size = {40, 40, 40};
  ImageVolume v(g, PixelType::Int16);
  v.name = "ramp";
  v.unit = "HU";
  for (std::int64_t k = 0; k < 40; ++k)
    for (std::int64_t j = 0; j < 40; ++j)
      for (std::int64_t i = 0; i < 40; ++i)
        v.voxels<std::int16_t>()[g.linearIndex(i, j, k)] = static_cast<std::int16_t>(i);
  return v;
}

TEST(Measurement, BoxRoiStatisticsOfARamp) {
  const ImageVolume v = ramp();
  // Centres 10..19 in x (10 values), 5..9 in y and z: 10 x 5 x 5 = 250 voxels of 1 mm^3.
  const RoiStatistics s =
      roiStatistics(v, make(Measurement::Kind::RoiBox, {Vec3(10, 5, 5), Vec3(19, 9, 9)}));
  EXPECT_EQ(s.voxelCount, 250u);
  EXPECT_DOUBLE_EQ(s.mean, 14.5);
  EXPECT_DOUBLE_EQ(s.min, 10.0);
  EXPECT_DOUBLE_EQ(s.max, 19.0);
  // Sample SD of 10..19 each repeated 25 times: sqrt(25 * 82.5 / 249).
  EXPECT_NEAR(s.sd, std::sqrt(25.0 * 82.5 / 249.0), 1e-9);
  EXPECT_NEAR(s.volume_ml, 0.25, 1e-12);
}

TEST(Measurement, EllipsoidRoiCountsTheVoxelsOfABall) {
  const ImageVolume v = ramp();
  // A ball of radius 10 mm about (20, 20, 20): the lattice-point count is 4169 (Gauss circle
  // problem in 3D); its volume tends to 4/3 pi r^3 = 4188.8 mm^3.
  const RoiStatistics s =
      roiStatistics(v, make(Measurement::Kind::RoiEllipsoid, {Vec3(10, 10, 10), Vec3(30, 30, 30)}));
  EXPECT_EQ(s.voxelCount, 4169u);
  EXPECT_NEAR(s.mean, 20.0, 1e-12);  // symmetric about x = 20
  EXPECT_NEAR(s.volume_ml, 4.0 / 3.0 * M_PI * 1000.0 / 1000.0, 0.03);
}

TEST(Measurement, FlatRoiAreaIsItsOutline) {
  // Drawn on an axial slice: 20 x 10 mm in-plane, one 2.5 mm slice deep.
  const Measurement box = make(Measurement::Kind::RoiBox, {Vec3(0, 0, -1.25), Vec3(20, 10, 1.25)});
  EXPECT_DOUBLE_EQ(roiArea_mm2(box), 200.0);
  Measurement ellipse = box;
  ellipse.kind = Measurement::Kind::RoiEllipsoid;
  EXPECT_NEAR(roiArea_mm2(ellipse), M_PI * 10.0 * 5.0, 1e-9);
  // Drawn on a sagittal slice (thin along L), corners in any order.
  EXPECT_DOUBLE_EQ(roiArea_mm2(make(Measurement::Kind::RoiBox, {Vec3(1, 30, 8), Vec3(0, 0, 0)})),
                   240.0);
  // A cube is not flat: no area.
  EXPECT_EQ(roiArea_mm2(make(Measurement::Kind::RoiBox, {Vec3(0, 0, 0), Vec3(10, 10, 10)})), 0.0);
  EXPECT_THROW(roiArea_mm2(make(Measurement::Kind::Ruler, {Vec3(0, 0, 0), Vec3(1, 1, 1)})), Error);
}

TEST(Measurement, DescriptionOfAFlatRoiGivesItsArea) {
  const ImageVolume v = ramp();
  // Centres 10..19 x 5..9 on slice z = 5 (one 1 mm slice deep): 50 voxels.
  const Measurement roi =
      make(Measurement::Kind::RoiBox, {Vec3(10, 5, 4.5), Vec3(19, 9, 5.5)});
  EXPECT_EQ(describe(roi, &v), "m: mean 14.5 ± 2.9 HU [10, 19], area 0.36 cm², 0.05 ml");
}

TEST(Measurement, RoiOutsideTheVolumeIsAClearError) {
  const ImageVolume v = ramp();
  EXPECT_THROW(
      roiStatistics(v, make(Measurement::Kind::RoiBox, {Vec3(100, 100, 100), Vec3(110, 110, 110)})),
      Error);
}

}  // namespace
}  // namespace twinplan
