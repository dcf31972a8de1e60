// ITK transform files (issue #15, deliverable 3): our files round-trip, read by ITK's own reader
// to the same points, and ITK text written by hand reads to the matrix ITK's documentation gives.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <fstream>
#include <map>

#include "itk_transform_probe.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/registration/transform_file.h"

namespace twinplan::registration {
namespace {

constexpr double kPi = 3.14159265358979323846;

// ITK's Euler3DTransform (ComputeZYX off): R = Rz(gamma) Rx(alpha) Ry(beta), i.e. about Y
// first, then X, then Z (itkEuler3DTransform.h, ComputeMatrix).
Mat3 itkEulerMatrix(double alpha, double beta, double gamma) {
  using Eigen::AngleAxisd;
  return (AngleAxisd(gamma, Vec3::UnitZ()) * AngleAxisd(alpha, Vec3::UnitX()) *
          AngleAxisd(beta, Vec3::UnitY()))
      .toRotationMatrix();
}

SpatialTransform rigidExample() {
  return SpatialTransform::rigid(itkEulerMatrix(0.1, -0.2, 0.3), Vec3(4.5, -2.25, 7.0),
                                 Vec3(10.0, -20.0, 30.0));
}

SpatialTransform affineExample() {
  Mat3 m;
  m << 1.1, 0.05, -0.02, 0.03, 0.95, 0.04, -0.01, 0.02, 1.05;
  return SpatialTransform::affine(m, Vec3(-3.0, 1.5, 2.0), Vec3(5.0, 6.0, -7.0));
}

SpatialTransform bsplineExample() {
  SpatialTransform t =
      SpatialTransform::affine(affineExample().matrix, Vec3(1.0, -2.0, 0.5), Vec3(2.0, 0.0, -1.0));
  t.kind = SpatialTransform::Kind::BSpline;
  ImageGeometry& grid = t.bspline.grid;
  // Valid region (every point's 4x4x4 support on the grid) about +-90 mm around the origin.
  grid.size = {12, 10, 9};
  grid.spacing_mm = Vec3(20, 25, 30);
  grid.origin_lps = Vec3(-110, -112, -150);
  grid.direction = itkEulerMatrix(0.0, 0.0, 0.2);  // an oblique control grid
  for (std::int64_t k = 0; k < 9; ++k)
    for (std::int64_t j = 0; j < 10; ++j)
      for (std::int64_t i = 0; i < 12; ++i)
        t.bspline.coefficients.push_back(Vec3(2.0 * std::sin(0.5 * double(i)),
                                              -1.5 * std::cos(0.4 * double(j)),
                                              0.5 * double(k % 2) + 0.1 * double(i)));
  return t;
}

// Points over +-80 mm: inside and outside the B-spline's valid region.
std::vector<std::array<double, 3>> samplePoints() {
  std::vector<std::array<double, 3>> points;
  for (int k = -4; k <= 4; ++k)
    for (int j = -4; j <= 4; ++j)
      for (int i = -4; i <= 4; ++i)
        points.push_back({19.7 * i + 0.3 * j, 18.3 * j - 0.7 * k, 17.9 * k + 0.11 * i});
  return points;
}

void expectSamePoints(const SpatialTransform& expected, const SpatialTransform& actual) {
  for (const auto& p : samplePoints()) {
    const Vec3 q(p[0], p[1], p[2]);
    EXPECT_LT((expected.apply(q) - actual.apply(q)).norm(), 1e-9) << q.transpose();
  }
}

void writeText(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

class TransformFileRoundTrip
    : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

SpatialTransform example(const std::string& name) {
  if (name == "identity") return SpatialTransform::identity();
  if (name == "rigid") return rigidExample();
  if (name == "affine") return affineExample();
  return bsplineExample();
}

TEST_P(TransformFileRoundTrip, ReadsBackTheSameTransformAndItkMapsPointsAlike) {
  const auto& [kind, extension] = GetParam();
  const SpatialTransform original = example(kind);
  test::TempDir dir;
  const auto file = dir / ("transform" + extension);
  writeItkTransformFile(original, file);

  const SpatialTransform read = readItkTransformFile(file);
  EXPECT_EQ(read.kind, original.kind);
  EXPECT_LT((read.matrix - original.matrix).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_LT((read.centre_lps - original.centre_lps).norm(), 1e-12);
  EXPECT_LT((read.translation_mm - original.translation_mm).norm(), 1e-12);
  EXPECT_EQ(read.bspline, original.bspline);  // exact: doubles written with 17 digits
  expectSamePoints(original, read);

  // ITK's own reader and TransformPoint, independent of our conversion back.
  const auto points = samplePoints();
  const test::ItkTransformProbe itk = test::itkTransformPoints(file, points);
  const std::map<std::string, std::string> itkClass{{"identity", "IdentityTransform"},
                                                    {"rigid", "Euler3DTransform"},
                                                    {"affine", "AffineTransform"},
                                                    {"bspline", "CompositeTransform"}};
  EXPECT_EQ(itk.className, itkClass.at(kind));
  int moved = 0;
  for (std::size_t n = 0; n < points.size(); ++n) {
    const Vec3 p(points[n][0], points[n][1], points[n][2]);
    const Vec3 q(itk.mappedPoints[n][0], itk.mappedPoints[n][1], itk.mappedPoints[n][2]);
    EXPECT_LT((original.apply(p) - q).norm(), 1e-9) << p.transpose();
    if (original.kind == SpatialTransform::Kind::BSpline &&
        original.bspline.displacement(p).norm() > 0.1) {
      ++moved;
    }
  }
  if (original.kind == SpatialTransform::Kind::BSpline) {
    EXPECT_GT(moved, 300);  // the comparison covers real displacements, not only the affine
  }
}

INSTANTIATE_TEST_SUITE_P(KindsAndFormats, TransformFileRoundTrip,
                         ::testing::Combine(::testing::Values("identity", "rigid", "affine",
                                                              "bspline"),
                                            ::testing::Values(".tfm", ".h5")),
                         [](const auto& info) {
                           return std::get<0>(info.param) +
                                  (std::get<1>(info.param) == ".tfm" ? "_tfm" : "_h5");
                         });

TEST(TransformFile, HandWrittenEulerTextReadsToItksMatrix) {
  test::TempDir dir;
  const auto file = dir / "euler.tfm";
  // Angles about X, Y, Z (rad), translation (mm); fixed parameters: the centre.
  writeText(file,
            "#Insight Transform File V1.0\n"
            "#Transform 0\n"
            "Transform: Euler3DTransform_double_3_3\n"
            "Parameters: 0.2 0.1 1.5707963267948966 1 2 3\n"
            "FixedParameters: 10 0 0\n");
  const SpatialTransform t = readItkTransformFile(file);
  EXPECT_EQ(t.kind, SpatialTransform::Kind::Rigid);
  EXPECT_LT((t.matrix - itkEulerMatrix(0.2, 0.1, kPi / 2)).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((t.centre_lps - Vec3(10, 0, 0)).norm(), 1e-12);
  EXPECT_LT((t.translation_mm - Vec3(1, 2, 3)).norm(), 1e-12);
  // The centre is fixed: it maps to itself plus the translation.
  EXPECT_LT((t.apply(Vec3(10, 0, 0)) - Vec3(11, 2, 3)).norm(), 1e-12);
}

TEST(TransformFile, HandWrittenZRotationMapsAPointAsWorkedOut) {
  test::TempDir dir;
  const auto file = dir / "z90.tfm";
  writeText(file,
            "#Insight Transform File V1.0\n#Transform 0\n"
            "Transform: Euler3DTransform_double_3_3\n"
            "Parameters: 0 0 1.5707963267948966 1 2 3\nFixedParameters: 10 0 0\n");
  // 90 deg about S: (1,0,0) relative to the centre becomes (0,1,0); + centre + translation.
  EXPECT_LT((readItkTransformFile(file).apply(Vec3(11, 0, 0)) - Vec3(11, 3, 3)).norm(), 1e-12);
}

TEST(TransformFile, VersorRigidTranslationAndCompositeOfLinearTransformsRead) {
  test::TempDir dir;
  // A 90 deg rotation about S as a versor (0, 0, sin 45deg), then a translation acting after it.
  const auto file = dir / "composite.tfm";
  writeText(file,
            "#Insight Transform File V1.0\n"
            "#Transform 0\nTransform: CompositeTransform_double_3_3\n"
            "#Transform 1\nTransform: TranslationTransform_double_3_3\n"
            "Parameters: 5 0 0\nFixedParameters: \n"
            "#Transform 2\nTransform: VersorRigid3DTransform_double_3_3\n"
            "Parameters: 0 0 0.70710678118654757 0 0 0\nFixedParameters: 0 0 0\n");
  const SpatialTransform t = readItkTransformFile(file);
  EXPECT_EQ(t.kind, SpatialTransform::Kind::Rigid);
  // Versor first: (1,0,0) -> (0,1,0); then +5 in L.
  EXPECT_LT((t.apply(Vec3(1, 0, 0)) - Vec3(5, 1, 0)).norm(), 1e-12);
  const test::ItkTransformProbe itk = test::itkTransformPoints(file, {{1, 0, 0}, {3, -4, 7}});
  EXPECT_LT((t.apply(Vec3(3, -4, 7)) -
             Vec3(itk.mappedPoints[1][0], itk.mappedPoints[1][1], itk.mappedPoints[1][2]))
                .norm(),
            1e-12);
}

TEST(TransformFile, SimilarityReadsAsAffineWithItsScale) {
  test::TempDir dir;
  const auto file = dir / "similarity.tfm";
  // Versor (0,0,0), translation (1,1,1), scale 2; centre (0,0,0).
  writeText(file,
            "#Insight Transform File V1.0\n#Transform 0\n"
            "Transform: Similarity3DTransform_double_3_3\n"
            "Parameters: 0 0 0 1 1 1 2\nFixedParameters: 0 0 0\n");
  const SpatialTransform t = readItkTransformFile(file);
  EXPECT_EQ(t.kind, SpatialTransform::Kind::Affine);
  EXPECT_LT((t.apply(Vec3(1, 2, 3)) - Vec3(3, 5, 7)).norm(), 1e-12);
}

TEST(TransformFile, RefusesWhatItCannotRepresentNamingTheClass) {
  test::TempDir dir;
  const auto file2d = dir / "rigid2d.tfm";
  writeText(file2d,
            "#Insight Transform File V1.0\n#Transform 0\n"
            "Transform: Rigid2DTransform_double_2_2\n"
            "Parameters: 0.1 1 2\nFixedParameters: 0 0\n");
  try {
    readItkTransformFile(file2d);
    FAIL() << "a 2D transform was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("Rigid2DTransform"), std::string::npos) << e.what();
  }

  // A B-spline acting after the affine (the composite's first entry acts last).
  SpatialTransform bspline = bsplineExample();
  const auto ours = dir / "ours.tfm";
  writeItkTransformFile(bspline, ours);
  std::ifstream in(ours);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Swap the two sub-transforms: #Transform 1 (affine) and #Transform 2 (B-spline).
  const auto affineAt = text.find("#Transform 1");
  const auto bsplineAt = text.find("#Transform 2");
  ASSERT_NE(affineAt, std::string::npos);
  ASSERT_NE(bsplineAt, std::string::npos);
  const std::string swapped = text.substr(0, affineAt) + text.substr(bsplineAt) + "\n" +
                              text.substr(affineAt, bsplineAt - affineAt);
  const auto reversed = dir / "reversed.tfm";
  writeText(reversed, swapped);
  try {
    readItkTransformFile(reversed);
    FAIL() << "a B-spline acting second was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("B-spline acts after"), std::string::npos) << e.what();
  }
}

TEST(TransformFile, MissingCorruptAndMisnamedFilesGiveClearErrors) {
  test::TempDir dir;
  auto kindOf = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("transform"), std::string::npos) << e.what();
      return e.kind();
    }
    return ErrorKind::Internal;
  };
  EXPECT_EQ(kindOf([&] { readItkTransformFile(dir / "absent.tfm"); }), ErrorKind::NotFound);
  writeText(dir / "garbage.tfm", "this is not a transform\n\x01\x02");
  EXPECT_EQ(kindOf([&] { readItkTransformFile(dir / "garbage.tfm"); }), ErrorKind::Corrupt);
  writeText(dir / "truncated.tfm",
            "#Insight Transform File V1.0\n#Transform 0\n"
            "Transform: AffineTransform_double_3_3\nParameters: 1 0 0 0 1\n");
  EXPECT_EQ(kindOf([&] { readItkTransformFile(dir / "truncated.tfm"); }), ErrorKind::Corrupt);
  writeText(dir / "garbage.h5", "not hdf5");
  EXPECT_EQ(kindOf([&] { readItkTransformFile(dir / "garbage.h5"); }), ErrorKind::Corrupt);
  EXPECT_EQ(kindOf([&] { writeItkTransformFile(rigidExample(), dir / "t.json"); }),
            ErrorKind::InvalidInput);
  EXPECT_EQ(kindOf([&] { writeItkTransformFile(rigidExample(), dir / "no" / "such" / "t.tfm"); }),
            ErrorKind::Io);
  EXPECT_FALSE(std::filesystem::exists(dir / "no" / "such" / "t.tfm"));
}

}  // namespace
}  // namespace twinplan::registration
