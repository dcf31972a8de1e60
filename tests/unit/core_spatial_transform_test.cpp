// Spatial transforms between series, registrations in a case, and the series edits
// (issue #15, deliverables 1 and 3).
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>

#include "test_support.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/core/spatial_transform.h"

namespace twinplan {
namespace {

constexpr double kPi = 3.14159265358979323846;

Mat3 rotationZXY_deg(double x, double y, double z) {
  using Eigen::AngleAxisd;
  const double r = kPi / 180.0;
  return (AngleAxisd(z * r, Vec3::UnitZ()) * AngleAxisd(x * r, Vec3::UnitX()) *
          AngleAxisd(y * r, Vec3::UnitY()))
      .toRotationMatrix();
}

SpatialTransform smoothBSpline() {
  SpatialTransform t;
  t.kind = SpatialTransform::Kind::BSpline;
  t.bspline.grid.size = {8, 8, 8};
  t.bspline.grid.spacing_mm = Vec3(20, 20, 20);
  t.bspline.grid.origin_lps = Vec3(-70, -70, -70);
  for (std::int64_t k = 0; k < 8; ++k)
    for (std::int64_t j = 0; j < 8; ++j)
      for (std::int64_t i = 0; i < 8; ++i)
        t.bspline.coefficients.push_back(Vec3(2.0 * std::sin(0.5 * double(i)),
                                              -1.5 * std::cos(0.4 * double(j)),
                                              0.5 * double(k % 2)));
  return t;
}

TEST(SpatialTransform, RigidMapsAboutItsCentreAndInvertsExactly) {
  const Mat3 r = rotationZXY_deg(10, -5, 30);
  const auto t = SpatialTransform::rigid(r, Vec3(4, -2, 7), Vec3(10, 20, 30));
  // The centre moves by the translation only.
  EXPECT_LT((t.apply(Vec3(10, 20, 30)) - Vec3(14, 18, 37)).norm(), 1e-12);
  const Vec3 p(-33, 41, 5);
  EXPECT_LT((*t.applyInverse(t.apply(p)) - p).norm(), 1e-9);
  EXPECT_LT((t.inverse().apply(t.apply(p)) - p).norm(), 1e-9);
  const Eigen::Matrix4d h = t.homogeneous();
  EXPECT_LT(((h * p.homogeneous()).head<3>() - t.apply(p)).norm(), 1e-9);
}

TEST(SpatialTransform, EulerAnglesFollowItkZxyOrder) {
  const auto t = SpatialTransform::rigid(rotationZXY_deg(12, -7, 25), Vec3::Zero());
  const Vec3 angles = t.eulerAngles_deg();
  EXPECT_NEAR(angles[0], 12, 1e-9);
  EXPECT_NEAR(angles[1], -7, 1e-9);
  EXPECT_NEAR(angles[2], 25, 1e-9);
  // An affine reports the rotation of its closest rotation: scaling does not change it.
  const auto a = SpatialTransform::affine(rotationZXY_deg(3, 4, 5) * 1.1, Vec3::Zero());
  EXPECT_NEAR(a.eulerAngles_deg()[2], 5, 1e-9);
}

TEST(SpatialTransform, BSplineReproducesAConstantAndVanishesOutsideItsSupport) {
  SpatialTransform t = smoothBSpline();
  for (Vec3& c : t.bspline.coefficients) c = Vec3(1.5, -2, 0.25);
  // Cubic B-splines are a partition of unity: a constant field everywhere inside.
  EXPECT_LT((t.bspline.displacement(Vec3(3.3, -7.1, 12.9)) - Vec3(1.5, -2, 0.25)).norm(), 1e-12);
  EXPECT_LT((t.apply(Vec3(3.3, -7.1, 12.9)) - Vec3(4.8, -9.1, 13.15)).norm(), 1e-12);
  // Outside the nodes' support there is no displacement (ITK's convention).
  EXPECT_EQ(t.bspline.displacement(Vec3(500, 0, 0)), Vec3::Zero());
}

TEST(SpatialTransform, BSplineInverseUndoesTheForwardMap) {
  SpatialTransform t = smoothBSpline();
  t.matrix = rotationZXY_deg(0, 0, 5);
  t.translation_mm = Vec3(3, 0, -1);
  for (const Vec3& p : {Vec3(0, 0, 0), Vec3(-20.5, 13.2, 8.8), Vec3(31, -25, -10)}) {
    const auto back = t.applyInverse(t.apply(p));
    ASSERT_TRUE(back.has_value());
    EXPECT_LT((*back - p).norm(), 1e-3);
  }
  EXPECT_THROW(t.inverse(), Error);
}

TEST(SpatialTransform, JsonRoundTripsAndRejectsBadInput) {
  const auto rigid =
      SpatialTransform::rigid(rotationZXY_deg(1, 2, 3), Vec3(1, 2, 3), Vec3(4, 5, 6));
  EXPECT_EQ(spatialTransformFromJson(spatialTransformJson(rigid)), rigid);
  const SpatialTransform bspline = smoothBSpline();
  EXPECT_EQ(spatialTransformFromJson(spatialTransformJson(bspline)), bspline);

  nlohmann::json notRotation = spatialTransformJson(rigid);
  notRotation["matrix"][0] = 2.0;
  EXPECT_THROW(spatialTransformFromJson(notRotation), Error);
  nlohmann::json shortCoefficients = spatialTransformJson(bspline);
  shortCoefficients["coefficients"].erase(0);
  EXPECT_THROW(spatialTransformFromJson(shortCoefficients), Error);
  EXPECT_THROW(spatialTransformFromJson({{"kind", "warp"}}), Error);
}

ImageVolume volume(const std::string& name, const std::string& frame, const std::string& uid) {
  ImageGeometry g;
  g.size = {4, 4, 4};
  ImageVolume v(g, PixelType::Int16);
  v.name = name;
  v.dicom.frameOfReferenceUid = frame;
  v.dicom.seriesInstanceUid = uid;
  return v;
}

Case ctMrPet() {
  Case twin;
  twin.volumes = {volume("CT", "1.2.3", "ct"), volume("PET", "1.2.3", "pet"),
                  volume("MR", "9.9.9", "mr")};
  twin.series = {{"ct", "CT", {"/a"}}, {"pet", "PET", {"/b"}}, {"mr", "MR", {"/c"}}};
  return twin;
}

TEST(CaseRegistrations, SharedFrameIsIdentityOtherwiseARegistrationOrNothing) {
  Case twin = ctMrPet();
  EXPECT_EQ(transformBetween(twin, "CT", "PET"), SpatialTransform::identity());
  EXPECT_FALSE(transformBetween(twin, "CT", "MR").has_value());
  EXPECT_THROW(transformBetween(twin, "CT", "US"), Error);

  CaseEditor editor;
  editor.reset(twin);
  Registration r;
  r.fixedVolume = "CT";
  r.movingVolume = "MR";
  r.method = "rigid";
  r.transform = SpatialTransform::rigid(rotationZXY_deg(0, 0, 10), Vec3(5, 0, 0));
  editor.apply(edits::setRegistration(editor.twin(), r));
  const Vec3 p(10, 20, 30);
  EXPECT_LT((transformBetween(editor.twin(), "CT", "MR")->apply(p) - r.transform.apply(p)).norm(),
            1e-12);
  // The other way round is the inverse.
  EXPECT_LT((transformBetween(editor.twin(), "MR", "CT")->apply(r.transform.apply(p)) - p).norm(),
            1e-9);
  // A new registration of the pair, made either way, replaces the old one.
  std::swap(r.fixedVolume, r.movingVolume);
  editor.apply(edits::setRegistration(editor.twin(), r));
  EXPECT_EQ(editor.twin().registrations.size(), 1u);
  editor.undo();
  EXPECT_EQ(editor.twin().registrations[0].fixedVolume, "CT");
  r.movingVolume = "Ultrasound";
  EXPECT_THROW(edits::setRegistration(editor.twin(), r), Error);
}

TEST(CaseSeries, AddRenamesDuplicatesAndRemoveTakesItsRegistrationsAlongUndoably) {
  CaseEditor editor;
  editor.reset(ctMrPet());
  editor.apply(edits::addSeries(editor.twin(), volume("CT", "1.2.3", "ct2"),
                                SeriesReference{"ct2", "CT follow-up", {"/d"}}));
  ASSERT_EQ(editor.twin().volumes.size(), 4u);
  EXPECT_EQ(editor.twin().volumes[3].name, "CT 2");
  EXPECT_EQ(editor.twin().series.size(), 4u);

  Registration r;
  r.fixedVolume = "CT";
  r.movingVolume = "MR";
  r.method = "rigid";
  r.transform = SpatialTransform::rigid(Mat3::Identity(), Vec3(1, 2, 3));
  editor.apply(edits::setRegistration(editor.twin(), r));
  editor.apply(edits::removeSeries(editor.twin(), 2));  // MR
  EXPECT_EQ(editor.twin().volumes.size(), 3u);
  EXPECT_TRUE(editor.twin().registrations.empty());
  EXPECT_EQ(editor.twin().series.size(), 3u);
  EXPECT_EQ(editor.undoText(), "Remove series MR");
  editor.undo();
  EXPECT_EQ(editor.twin().volumes[2].name, "MR");
  EXPECT_EQ(editor.twin().registrations.size(), 1u);
  EXPECT_THROW(edits::removeSeries(editor.twin(), 9), Error);
}

TEST(CaseRegistrations, RegistrationsAndViewStateSurviveTheCaseFile) {
  test::TempDir dir;
  Case twin = ctMrPet();
  Registration r;
  r.fixedVolume = "CT";
  r.movingVolume = "MR";
  r.method = "bspline";
  r.transform = smoothBSpline();
  r.quality = {{"metric", "mattes-mutual-information"}, {"metric_value", -0.5}};
  r.created = "2026-12-05T06:00:00Z";
  twin.registrations.push_back(r);
  twin.viewState = {{"layout", "1+3"}, {"window", {400, 40}}};
  saveCase(twin, dir / "twin.twinplan");
  const Case loaded = loadCase(dir / "twin.twinplan");
  ASSERT_EQ(loaded.registrations.size(), 1u);
  EXPECT_EQ(loaded.registrations[0], r);
  EXPECT_EQ(loaded.viewState, twin.viewState);

  // A registration naming a series the case lacks is refused before anything is written.
  twin.registrations[0].movingVolume = "Ultrasound";
  EXPECT_THROW(saveCase(twin, dir / "bad.twinplan"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.twinplan"));
}

}  // namespace
}  // namespace twinplan
