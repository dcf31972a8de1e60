// Isosurfaces of a scalar field (isodoses in 3D, issue #19 item 4) against a Gaussian whose level
// sets are spheres of known radius, on an oblique grid so the direction matrix is exercised.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <numbers>

#include "twinplan/core/error.h"
#include "twinplan/rendering/isosurface.h"

namespace twinplan::rendering {
namespace {

const Vec3 kCentre(12.0, -30.0, 41.0);
constexpr double kSigma_mm = 15.0;

ScalarField gaussian() {
  ScalarField f;
  f.name = "dose";
  f.quantity = "dose";
  f.unit = units::kGray;
  f.geometry.size = {50, 46, 40};
  f.geometry.spacing_mm = Vec3(2.0, 2.2, 2.5);
  f.geometry.direction =
      (Eigen::AngleAxisd(0.3, Vec3::UnitZ()) * Eigen::AngleAxisd(0.2, Vec3::UnitX())).matrix();
  f.geometry.origin_lps = kCentre - f.geometry.direction * Vec3(49.0, 49.5, 48.75);
  f.values.resize(f.geometry.voxelCount());
  for (std::int64_t k = 0; k < 40; ++k)
    for (std::int64_t j = 0; j < 46; ++j)
      for (std::int64_t i = 0; i < 50; ++i) {
        const double r2 = (f.geometry.indexToLps(Vec3(i, j, k)) - kCentre).squaredNorm();
        f.values[f.geometry.linearIndex(i, j, k)] =
            static_cast<float>(2.0 * std::exp(-r2 / (2 * kSigma_mm * kSigma_mm)));
      }
  return f;
}

TEST(Isosurface, GaussianLevelSetIsTheSphereOfTheAnalyticRadius) {
  const ScalarField f = gaussian();
  // 50 % of the 2 Gy peak: r = sigma sqrt(2 ln 2) = 17.66 mm.
  const double radius = kSigma_mm * std::sqrt(2 * std::log(2.0));
  const SurfaceMesh mesh = isosurface(f, 1.0, "50 %", Rgb{0, 200, 0}, 0.3f);
  ASSERT_GT(mesh.triangles.size(), 500u);
  EXPECT_EQ(mesh.name, "50 %");
  EXPECT_FLOAT_EQ(mesh.opacity, 0.3f);
  double worst = 0, signedVolume = 0;
  for (const auto& p : mesh.points_lps)
    worst = std::max(worst, std::abs((Vec3(p[0], p[1], p[2]) - kCentre).norm() - radius));
  for (const auto& t : mesh.triangles) {
    const auto& a = mesh.points_lps[t[0]];
    const auto& b = mesh.points_lps[t[1]];
    const auto& c = mesh.points_lps[t[2]];
    signedVolume +=
        Vec3(a[0], a[1], a[2]).dot(Vec3(b[0], b[1], b[2]).cross(Vec3(c[0], c[1], c[2]))) / 6;
  }
  // Linear interpolation of a Gaussian on a ~2.2 mm grid: within 0.25 mm of the sphere.
  EXPECT_LT(worst, 0.25);
  const double sphere = 4.0 / 3.0 * std::numbers::pi * radius * radius * radius;
  EXPECT_NEAR(std::abs(signedVolume), sphere, 0.01 * sphere);
}

TEST(Isosurface, LevelAboveTheFieldGivesNoSurfaceAndBadFieldsAreRefused) {
  ScalarField f = gaussian();
  EXPECT_TRUE(isosurface(f, 2.5, "none", Rgb{}, 1.0f).triangles.empty());
  f.values.pop_back();
  EXPECT_THROW(isosurface(f, 1.0, "bad", Rgb{}, 1.0f), Error);
}

}  // namespace
}  // namespace twinplan::rendering
