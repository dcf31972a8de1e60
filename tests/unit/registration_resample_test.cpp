// Resampling through a registration (issue #15, deliverable 3): whole-voxel shifts copy voxels
// exactly, and a rotated, re-gridded linear intensity ramp - which trilinear interpolation
// reproduces exactly - matches the analytic image.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/registration/resample.h"

namespace twinplan::registration {
namespace {

constexpr double kPi = 3.14159265358979323846;

Mat3 rotationAbout(const Vec3& axis, double angle_deg) {
  return Eigen::AngleAxisd(angle_deg * kPi / 180.0, axis.normalized()).toRotationMatrix();
}

ImageGeometry obliqueGrid() {
  ImageGeometry g;
  g.size = {20, 18, 16};
  g.spacing_mm = Vec3(1.5, 2.0, 3.0);
  g.origin_lps = Vec3(-12.0, 7.5, -20.0);
  g.direction = rotationAbout(Vec3(1, 2, 3), 20.0);
  return g;
}

// A CT-like int16 volume with a distinct value per voxel.
ImageVolume patternVolume(const ImageGeometry& g) {
  ImageVolume v(g, PixelType::Int16);
  v.name = "MR T1";
  v.unit = "HU";
  v.dicom.frameOfReferenceUid = "1.2.3.moving";
  auto voxels = v.voxels<std::int16_t>();
  for (std::size_t n = 0; n < voxels.size(); ++n)
    voxels[n] = static_cast<std::int16_t>((n * 7919) % 4001) - 2000;
  return v;
}

// f(p) = a . p + b: trilinear interpolation of a linear function is exact.
double ramp(const Vec3& p) { return 0.8 * p.x() - 1.3 * p.y() + 2.1 * p.z() + 100.0; }

ImageVolume rampVolume(const ImageGeometry& g) {
  ImageVolume v(g, PixelType::Float32);
  auto voxels = v.voxels<float>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        voxels[g.linearIndex(i, j, k)] =
            float(ramp(g.indexToLps(Vec3(double(i), double(j), double(k)))));
  return v;
}

// Whether a moving continuous index is at least one voxel inside the grid (no edge repeat).
bool wellInside(const ImageGeometry& g, const Vec3& c) {
  for (int a = 0; a < 3; ++a)
    if (c[a] < 0.0 || c[a] > double(g.size[std::size_t(a)] - 1)) return false;
  return true;
}

// Beyond the voxel edges (index -0.5 .. size-0.5) by more than rounding.
bool clearlyOutside(const ImageGeometry& g, const Vec3& c) {
  for (int a = 0; a < 3; ++a)
    if (c[a] < -0.5 - 1e-6 || c[a] > double(g.size[std::size_t(a)]) - 0.5 + 1e-6) return true;
  return false;
}

TEST(Resample, ShiftByWholeVoxelsCopiesVoxelsExactly) {
  const ImageGeometry g = obliqueGrid();
  const ImageVolume moving = patternVolume(g);
  const Vec3 shift_vox(2, -1, 3);
  // Fixed voxel ijk lies at moving voxel ijk + shift: translate by the shift in LPS mm.
  const Vec3 shift_mm = g.direction * shift_vox.cwiseProduct(g.spacing_mm);
  const auto transform = SpatialTransform::rigid(Mat3::Identity(), shift_mm);
  for (Interpolation interpolation : {Interpolation::Nearest, Interpolation::Linear}) {
    const ImageVolume out = resampleOnto(moving, g, transform, interpolation, -1024.0);
    int copied = 0;
    for (std::int64_t k = 0; k < g.size[2]; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const std::int64_t mi = i + 2, mj = j - 1, mk = k + 3;
          const bool in = mi < g.size[0] && mj >= 0 && mk < g.size[2];
          const double expected = in ? moving.valueAt(mi, mj, mk) : -1024.0;
          ASSERT_EQ(out.valueAt(i, j, k), expected)
              << toString(interpolation) << " at " << i << "," << j << "," << k;
          copied += in;
        }
    EXPECT_EQ(copied, 18 * 17 * 13);
  }
}

TEST(Resample, RotatedRampOnAnotherGridMatchesTheAnalyticImage) {
  const ImageGeometry movingGrid = obliqueGrid();
  const ImageVolume moving = rampVolume(movingGrid);
  ImageGeometry reference;
  reference.size = {24, 22, 12};
  reference.spacing_mm = Vec3(1.1, 1.3, 2.5);
  reference.origin_lps = Vec3(-5.0, 10.0, -8.0);
  reference.direction = rotationAbout(Vec3(0, 1, 0), -15.0);
  const auto transform = SpatialTransform::rigid(rotationAbout(Vec3(0, 0, 1), 30.0),
                                                 Vec3(1.7, -2.2, 0.9), Vec3(3.0, 20.0, 0.0));
  const ImageVolume out = resampleOnto(moving, reference, transform, Interpolation::Linear, -5.0);
  int checked = 0, outside = 0;
  for (std::int64_t k = 0; k < reference.size[2]; ++k)
    for (std::int64_t j = 0; j < reference.size[1]; ++j)
      for (std::int64_t i = 0; i < reference.size[0]; ++i) {
        const Vec3 p = reference.indexToLps(Vec3(double(i), double(j), double(k)));
        const Vec3 q = transform.apply(p);
        const Vec3 c = movingGrid.lpsToIndex(q);
        if (wellInside(movingGrid, c)) {
          // float32 voxels: ~1e-5 relative of values up to ~150.
          EXPECT_NEAR(out.valueAt(i, j, k), ramp(q), 2e-3) << i << "," << j << "," << k;
          ++checked;
        } else if (clearlyOutside(movingGrid, c)) {
          EXPECT_EQ(out.valueAt(i, j, k), -5.0);
          ++outside;
        }
      }
  EXPECT_GT(checked, 1000);
  EXPECT_GT(outside, 100);
}

TEST(Resample, BSplineTransformReadsTheMovingImageWhereTheTransformSays) {
  const ImageGeometry g = obliqueGrid();
  const ImageVolume moving = rampVolume(g);
  SpatialTransform t = SpatialTransform::affine(Mat3::Identity() * 1.02, Vec3(0.5, -0.3, 1.0));
  t.kind = SpatialTransform::Kind::BSpline;
  t.bspline.grid.size = {8, 8, 8};
  t.bspline.grid.spacing_mm = Vec3(15, 15, 15);
  t.bspline.grid.origin_lps = Vec3(-50, -40, -60);
  for (int n = 0; n < 512; ++n)
    t.bspline.coefficients.push_back(Vec3(std::sin(0.3 * n), std::cos(0.2 * n), 0.5));
  const ImageVolume out = resampleOnto(moving, g, t, Interpolation::Linear, 0.0);
  int checked = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 q = t.apply(g.indexToLps(Vec3(double(i), double(j), double(k))));
        if (!wellInside(g, g.lpsToIndex(q))) continue;
        EXPECT_NEAR(out.valueAt(i, j, k), ramp(q), 2e-3);
        ++checked;
      }
  EXPECT_GT(checked, 1000);
}

TEST(Resample, KeepsUnitAndDicomAndNamesTheResultAfterTheReference) {
  const ImageGeometry g = obliqueGrid();
  const ImageVolume moving = patternVolume(g);
  ImageVolume reference(g, PixelType::Int16);
  reference.name = "CT";
  reference.dicom.frameOfReferenceUid = "1.2.3.fixed";
  const ImageVolume out =
      resampleOnto(moving, reference, SpatialTransform::identity(), Interpolation::Nearest, 0.0);
  EXPECT_EQ(out.name, "MR T1 (resampled onto CT)");
  EXPECT_EQ(out.unit, "HU");
  EXPECT_EQ(out.dicom.frameOfReferenceUid, "1.2.3.fixed");
  EXPECT_EQ(out.pixelType(), PixelType::Int16);
  ASSERT_FALSE(out.assumptions.empty());
  EXPECT_NE(out.assumptions.back().find("nearest"), std::string::npos);
}

TEST(Resample, LabelsMoveByNearestNeighbourWithTheirSegments) {
  ImageGeometry g;
  g.size = {30, 30, 30};
  g.spacing_mm = Vec3(1, 1, 1);
  LabelMap labels(g);
  labels.addLayer();
  Segment tumour;
  tumour.name = "Tumour";
  tumour.value = 3;
  labels.addSegment(tumour);
  Segment oedema;
  oedema.name = "Oedema";
  oedema.layer = 1;
  oedema.value = 1;
  labels.addSegment(oedema);
  const Vec3 centre(15, 15, 15);
  for (std::int64_t k = 0; k < 30; ++k)
    for (std::int64_t j = 0; j < 30; ++j)
      for (std::int64_t i = 0; i < 30; ++i) {
        const double r = (Vec3(double(i), double(j), double(k)) - centre).norm();
        if (r <= 6.0) labels.layer(0)[g.linearIndex(i, j, k)] = 3;
        if (r <= 9.0) labels.layer(1)[g.linearIndex(i, j, k)] = 1;
      }
  // The fixed point p sees the moving point p + (4, 0, -2): the sphere appears at centre - shift.
  const auto transform = SpatialTransform::rigid(Mat3::Identity(), Vec3(4, 0, -2));
  const LabelMap out = resampleLabels(labels, g, transform);
  ASSERT_EQ(out.layerCount(), 2);
  ASSERT_EQ(out.segments().size(), 2u);
  EXPECT_EQ(out.segments()[1].name, "Oedema");
  EXPECT_EQ(out.voxelCount(0), labels.voxelCount(0));
  EXPECT_EQ(out.voxelCount(1), labels.voxelCount(1));
  EXPECT_TRUE(out.contains(0, 11, 15, 17));       // the moved centre
  EXPECT_FALSE(out.contains(0, 15 + 3, 15, 15));  // r = 7 from the moved centre
}

TEST(Resample, RefusesA2DImageAndStopsWhenCancelled) {
  ImageGeometry g = obliqueGrid();
  ImageVolume picture(g, PixelType::Int16);
  picture.planar2D = true;
  EXPECT_THROW(resampleOnto(picture, g, SpatialTransform::identity()), Error);
  try {
    resampleOnto(picture, g, SpatialTransform::identity());
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
  const ImageVolume moving = patternVolume(g);
  test::RecordingProgress cancelling(0);
  EXPECT_THROW(
      resampleOnto(moving, g, SpatialTransform::identity(), Interpolation::Linear, 0.0, cancelling),
      Cancelled);
}

}  // namespace
}  // namespace twinplan::registration
