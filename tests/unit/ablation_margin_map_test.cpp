// The minimum ablative margin map (simulation/ablation/margin_map.h) against spheres with known
// answers: a spherical tumour of radius a whose centre lies d from the centre of a spherical zone
// of radius R has, at each surface point p, the margin R - |p - c_zone| exactly; its minimum is
// R - d - a, and the share of its area beyond the zone is the spherical cap (1 - cos t0) / 2 with
// cos t0 = (R^2 - a^2 - d^2) / (2 a d).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "twinplan/ablation/margin_map.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

ImageGeometry cube(double spacing_mm, double edge_mm) {
  ImageGeometry g;
  const std::int64_t n = std::llround(edge_mm / spacing_mm) + 1;
  g.size = {n, n, n};
  g.spacing_mm = Vec3::Constant(spacing_mm);
  g.origin_lps = Vec3::Constant(-edge_mm / 2.0);
  return g;
}

std::vector<std::uint8_t> ball(const ImageGeometry& g, const Vec3& centre, double radius_mm) {
  std::vector<std::uint8_t> mask(g.voxelCount(), 0);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        mask[g.linearIndex(i, j, k)] =
            (g.indexToLps(Vec3(double(i), double(j), double(k))) - centre).norm() <= radius_mm;
  return mask;
}

// A latitude-longitude sphere (exact points on the sphere), outward counter-clockwise.
SurfaceMesh sphere(const Vec3& centre, double radius_mm, int rings = 60, int sectors = 120) {
  SurfaceMesh mesh;
  mesh.name = "Tumour";
  for (int r = 0; r <= rings; ++r)
    for (int s = 0; s < sectors; ++s) {
      const double t = std::numbers::pi * r / rings, f = 2.0 * std::numbers::pi * s / sectors;
      const Vec3 p = centre + radius_mm * Vec3(std::sin(t) * std::cos(f), std::sin(t) * std::sin(f),
                                               std::cos(t));
      mesh.points_lps.push_back({float(p.x()), float(p.y()), float(p.z())});
    }
  const auto at = [&](int r, int s) { return std::uint32_t(r * sectors + (s % sectors)); };
  for (int r = 0; r < rings; ++r)
    for (int s = 0; s < sectors; ++s) {
      if (r > 0) mesh.triangles.push_back({at(r, s), at(r + 1, s), at(r, s + 1)});
      if (r + 1 < rings) mesh.triangles.push_back({at(r, s + 1), at(r + 1, s), at(r + 1, s + 1)});
    }
  return mesh;
}

double capFraction(double zone_mm, double tumour_mm, double offset_mm) {
  const double c = (zone_mm * zone_mm - tumour_mm * tumour_mm - offset_mm * offset_mm) /
                   (2.0 * tumour_mm * offset_mm);
  return (1.0 - std::clamp(c, -1.0, 1.0)) / 2.0;
}

TEST(MarginMap, SignedDistanceToASphericalZone) {
  // R = 15 mm zone, 1 mm grid: along a ray through voxel centres the distance is exact up to the
  // voxelised boundary (within half a voxel).
  const ImageGeometry g = cube(1.0, 60.0);
  const ScalarField sd = zoneSignedDistance(ball(g, Vec3::Zero(), 15.0), g);
  EXPECT_EQ(sd.unit, "mm");
  for (double r : {0.0, 5.0, 10.0, 14.0, 16.0, 20.0, 25.0}) {
    SCOPED_TRACE(r);
    EXPECT_NEAR(signedDistanceAt(sd, Vec3(r, 0.0, 0.0)), 15.0 - r, 0.5);
  }
  // The zero crossing between the last inside (15) and first outside (16) voxel centre.
  EXPECT_NEAR(signedDistanceAt(sd, Vec3(15.5, 0.0, 0.0)), 0.0, 1e-6);
}

TEST(MarginMap, OffsetSpheresGiveTheExactMarginEverywhere) {
  const double zone_mm = 20.0, tumour_mm = 10.0;
  for (const double h : {1.0, 0.5}) {
    for (const double offset_mm : {4.0, 8.0, 13.0}) {
      SCOPED_TRACE(std::to_string(h) + " mm grid, offset " + std::to_string(offset_mm) + " mm");
      const ImageGeometry g = cube(h, 70.0);
      const Vec3 zoneCentre(-offset_mm / 2.0, 0.3, -0.2);
      const Vec3 tumourCentre = zoneCentre + offset_mm * Vec3(1.0, 0.0, 0.0);
      const ScalarField sd = zoneSignedDistance(ball(g, zoneCentre, zone_mm), g);
      const SurfaceMesh surface = sphere(tumourCentre, tumour_mm);
      const MarginMap map = marginMap(sd, surface);
      ASSERT_EQ(map.margin_mm.size(), surface.points_lps.size());
      double worst = 0.0;
      for (std::size_t v = 0; v < surface.points_lps.size(); ++v) {
        const auto& q = surface.points_lps[v];
        const double exact = zone_mm - (Vec3(q[0], q[1], q[2]) - zoneCentre).norm();
        worst = std::max(worst, std::abs(map.margin_mm[v] - exact));
      }
      EXPECT_LT(worst, 0.6 * h);  // the voxelised zone's boundary lies within half a voxel
      EXPECT_NEAR(map.min_mm, zone_mm - offset_mm - tumour_mm, 0.6 * h);
      EXPECT_NEAR(map.area_mm2, 4.0 * std::numbers::pi * tumour_mm * tumour_mm,
                  0.01 * map.area_mm2);
      // Shares of the area: beyond the zone, and within 5 mm inside its edge. A margin error e
      // moves a class edge at margin m by e (R - m) / (2 a d) of the area (d/dm of the cap), so
      // the tolerance follows from the half-voxel bound above, plus 0.5 % for the mesh.
      const double uncovered = capFraction(zone_mm, tumour_mm, offset_mm);
      const double thinOrWorse = capFraction(zone_mm - 5.0, tumour_mm, offset_mm);
      const auto shareTolerance = [&](double m) {
        return 100.0 * 0.6 * h * (zone_mm - m) / (2.0 * tumour_mm * offset_mm) + 0.5;
      };
      EXPECT_NEAR(map.uncoveredArea_percent, 100.0 * uncovered, shareTolerance(0.0));
      EXPECT_NEAR(map.thinArea_percent, 100.0 * (thinOrWorse - uncovered),
                  shareTolerance(0.0) + shareTolerance(5.0));
      EXPECT_NEAR(map.uncoveredArea_percent + map.thinArea_percent + map.adequateArea_percent,
                  100.0, 1e-9);
      // The 5th percentile of the area: margin R - sqrt(a^2 + d^2 + 2 a d cos t) at the cap of
      // 5 % area, cos t = 1 - 2 * 0.05.
      const double p5 = zone_mm - std::sqrt(tumour_mm * tumour_mm + offset_mm * offset_mm +
                                            2.0 * tumour_mm * offset_mm * 0.9);
      EXPECT_NEAR(map.percentile5_mm, p5, 0.6 * h + 0.1);
      // The median: the equator, t = 90 degrees.
      EXPECT_NEAR(map.median_mm, zone_mm - std::hypot(tumour_mm, offset_mm), 0.6 * h + 0.1);
    }
  }
}

TEST(MarginMap, Classes) {
  EXPECT_EQ(classifyMargin(-0.1), MarginClass::Uncovered);
  EXPECT_EQ(classifyMargin(0.0), MarginClass::Thin);
  EXPECT_EQ(classifyMargin(4.99), MarginClass::Thin);
  EXPECT_EQ(classifyMargin(5.0), MarginClass::Adequate);
  EXPECT_EQ(classifyMargin(7.0, 10.0), MarginClass::Thin);
}

TEST(MarginMap, BadInputIsRefused) {
  const ImageGeometry g = cube(2.0, 20.0);
  EXPECT_THROW(zoneSignedDistance(std::vector<std::uint8_t>(3, 1), g), Error);
  const ScalarField sd = zoneSignedDistance(ball(g, Vec3::Zero(), 5.0), g);
  EXPECT_THROW(marginMap(sd, SurfaceMesh{}), Error);
}

}  // namespace
}  // namespace twinplan::ablation
