// Conformal apertures (simulation/radiotherapy/conformal_aperture.h) against the analytic
// beam's-eye projection of a sphere: the ray from the source S through (x, y, -SAD) (beam
// coordinates, isocentre at the origin) meets the sphere of centre C and radius R where
// |w x d|^2 <= R^2 |d|^2 with w = C - S, d = (x, y, -SAD) - (0, 0, 0): a quadratic in x for each
// y, whose roots are the leaf tip positions on that line (the divergent projection of a sphere
// is an ellipse, a circle of radius R SAD / sqrt(SAD^2 - R^2) when C is the isocentre).
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/conformal_aperture.h"

namespace twinplan::radiotherapy {
namespace {

constexpr double kSad = 1000.0;

struct Chord {
  double low, high;
};

// The x extent of the sphere's projection on the line y (beam coordinates of its centre `c`).
std::optional<Chord> analyticChord(const Vec3& c, double radius, double y) {
  const Vec3 w(c.x(), c.y(), c.z() - kSad);   // C - S, S = (0, 0, SAD)
  const double q = w.y() * y - w.z() * kSad;  // w.d without the x term
  const double a = w.squaredNorm() - w.x() * w.x() - radius * radius;
  const double b = -2.0 * w.x() * q;
  const double cc = (w.squaredNorm() - radius * radius) * (y * y + kSad * kSad) - q * q;
  const double disc = b * b - 4.0 * a * cc;
  if (disc < 0.0) return std::nullopt;
  return Chord{(-b - std::sqrt(disc)) / (2.0 * a), (-b + std::sqrt(disc)) / (2.0 * a)};
}

// The widest extent over the band [y0, y1] (every 0.01 mm).
std::optional<Chord> analyticBand(const Vec3& c, double radius, double y0, double y1) {
  std::optional<Chord> band;
  for (double y = y0; y <= y1 + 1e-9; y += 0.01)
    if (const auto chord = analyticChord(c, radius, y))
      band =
          band ? Chord{std::min(band->low, chord->low), std::max(band->high, chord->high)} : *chord;
  return band;
}

struct SpherePtv {
  ImageGeometry grid;
  std::vector<std::uint8_t> inside;
};

// A sphere of `radius` mm about `centre_lps` on a 1 mm grid.
SpherePtv spherePtv(const Vec3& centre_lps, double radius) {
  SpherePtv s;
  s.grid.size = {90, 90, 90};
  s.grid.spacing_mm = Vec3::Ones();
  s.grid.origin_lps = Vec3(-44.5, -44.5, -44.5);
  s.inside.assign(s.grid.voxelCount(), 0);
  for (std::int64_t k = 0; k < 90; ++k)
    for (std::int64_t j = 0; j < 90; ++j)
      for (std::int64_t i = 0; i < 90; ++i)
        if ((s.grid.indexToLps(Vec3(i, j, k)) - centre_lps).norm() <= radius)
          s.inside[s.grid.linearIndex(i, j, k)] = 1;
  return s;
}

// Every leaf pair against the analytic chord, closed pairs outside the projection. The mask is
// the sphere sampled at 1 mm voxel centres, whose outline (half-way between inside and outside
// centres) lies within kVoxelised_mm of the true sphere: each leaf tip must lie between the
// chords of the spheres of radius R - kVoxelised_mm and R + kVoxelised_mm, and within 0.5 mm
// of the true chord for the leaves away from the poles (more than 3 mm inside R across the
// leaves), where the chord is not steep in R.
constexpr double kVoxelised_mm = 0.5;

std::optional<Chord> expectedOpening(LeafFit fit, const Vec3& c, double r, double y0, double y1) {
  return fit == LeafFit::Centre ? analyticChord(c, r, 0.5 * (y0 + y1)) : analyticBand(c, r, y0, y1);
}

void expectConformal(double gantry, double collimator, const Vec3& centre_lps, LeafFit fit,
                     double margin = 0.0) {
  SCOPED_TRACE("gantry " + std::to_string(gantry) + " collimator " + std::to_string(collimator));
  const double radius = 25.0;
  const SpherePtv ptv = spherePtv(centre_lps, radius);
  const BeamGeometry g =
      beamGeometry(gantry, collimator, 0, Vec3::Zero(), kSad, PatientPosition::HFS);
  const Vec3 c(centre_lps.dot(g.xAxis_lps), centre_lps.dot(g.yAxis_lps),
               centre_lps.dot(g.towardSource_lps));
  ConformalApertureOptions options;
  options.fit = fit;
  options.margin_mm = margin;
  options.leafBoundaries_mm = uniformLeafBoundaries(40, 5.0);
  const ConformalAperture result = conformalAperture(g, ptv.grid, ptv.inside, options);
  const Aperture& a = result.aperture;
  const std::vector<double>& b = options.leafBoundaries_mm;
  int open = 0, checkedExactly = 0;
  for (std::size_t i = 0; i + 1 < b.size(); ++i) {
    // With a margin m the opening is the projection dilated by a disc of radius m; for a
    // centred sphere that is the projection of the sphere of radius R + m to 0.01 mm.
    const double r = radius + margin;
    const auto inner = expectedOpening(fit, c, r - kVoxelised_mm, b[i], b[i + 1]);
    const auto outer = expectedOpening(fit, c, r + kVoxelised_mm, b[i], b[i + 1]);
    const auto exact = expectedOpening(fit, c, r, b[i], b[i + 1]);
    const bool isOpen = a.leafPositive_mm[i] > a.leafNegative_mm[i];
    open += isOpen;
    if (!outer) {
      EXPECT_FALSE(isOpen) << "pair " << i;
      continue;
    }
    if (inner) {
      ASSERT_TRUE(isOpen) << "pair " << i;
      EXPECT_LE(a.leafNegative_mm[i], inner->low + 0.01) << "pair " << i;
      EXPECT_GE(a.leafPositive_mm[i], inner->high - 0.01) << "pair " << i;
    }
    if (!isOpen) continue;
    EXPECT_GE(a.leafNegative_mm[i], outer->low - 0.01) << "pair " << i;
    EXPECT_LE(a.leafPositive_mm[i], outer->high + 0.01) << "pair " << i;
    const double nearestY = std::max(std::abs(b[i] - c.y()), std::abs(b[i + 1] - c.y()));
    if (nearestY < r - 3.0) {
      ++checkedExactly;
      EXPECT_NEAR(a.leafNegative_mm[i], exact->low, 0.5) << "pair " << i;
      EXPECT_NEAR(a.leafPositive_mm[i], exact->high, 0.5) << "pair " << i;
    }
  }
  EXPECT_EQ(result.openLeafPairs, open);
  EXPECT_GE(checkedExactly, 7);
}

TEST(ConformalAperture, SphereAtIsocentreCentreFitGivesTheChordAtEachLeafCentre) {
  expectConformal(0, 0, Vec3::Zero(), LeafFit::Centre);
  expectConformal(90, 0, Vec3::Zero(), LeafFit::Centre);
  expectConformal(0, 30, Vec3::Zero(), LeafFit::Centre);
}

TEST(ConformalAperture, SphereAtIsocentreOuterFitCoversTheWholeLeafWidth) {
  expectConformal(0, 0, Vec3::Zero(), LeafFit::Outer);
  expectConformal(90, 0, Vec3::Zero(), LeafFit::Outer);
}

TEST(ConformalAperture, OffAxisSphereFollowsGantryAndCollimator) {
  // 12 mm left, 8 mm posterior, 10 mm superior: seen at a different place by every beam.
  const Vec3 centre(12, 8, 10);
  expectConformal(0, 0, centre, LeafFit::Outer);
  expectConformal(90, 0, centre, LeafFit::Outer);
  expectConformal(0, 90, centre, LeafFit::Outer);
  expectConformal(270, 45, centre, LeafFit::Centre);
}

TEST(ConformalAperture, CircleProjectionOfACentredSphereIsMagnifiedBySadOverDistance) {
  const SpherePtv ptv = spherePtv(Vec3::Zero(), 25.0);
  const BeamGeometry g = beamGeometry(0, 0, 0, Vec3::Zero(), kSad, PatientPosition::HFS);
  const ConformalAperture r = conformalAperture(g, ptv.grid, ptv.inside);
  // The tangent cone: radius R SAD / sqrt(SAD^2 - R^2) = 25.0078 mm in the isocentre plane.
  const double projected = 25.0 * kSad / std::sqrt(kSad * kSad - 25.0 * 25.0);
  EXPECT_NEAR(r.aperture.y1_mm, -projected, 0.5);
  EXPECT_NEAR(r.aperture.y2_mm, projected, 0.5);
  EXPECT_NEAR(r.aperture.x1_mm, -projected, 0.5);
  EXPECT_NEAR(r.aperture.x2_mm, projected, 0.5);
}

TEST(ConformalAperture, MarginGrowsTheOpeningByADisc) {
  // A centred sphere's projection is a circle: dilated by a 5 mm disc it is the circle of the
  // radius plus 5 mm (to 0.01 mm, as R SAD / sqrt(SAD^2 - R^2) - R is 0.008 mm).
  expectConformal(0, 0, Vec3::Zero(), LeafFit::Outer, 5.0);
}

TEST(ConformalAperture, ClosedPairsSitUnderTheX1JawAndTheJawsBoundTheOpening) {
  const SpherePtv ptv = spherePtv(Vec3::Zero(), 25.0);
  const BeamGeometry g = beamGeometry(0, 0, 0, Vec3::Zero(), kSad, PatientPosition::HFS);
  ConformalApertureOptions options;
  const ConformalAperture r = conformalAperture(g, ptv.grid, ptv.inside, options);
  const Aperture& a = r.aperture;
  ASSERT_EQ(a.leafBoundaries_mm.size(), 61u);  // Millennium 120: 60 pairs
  for (std::size_t i = 0; i < 60; ++i) {
    EXPECT_GE(a.leafNegative_mm[i], a.x1_mm - 1e-9);
    EXPECT_LE(a.leafPositive_mm[i], a.x2_mm + 1e-9);
  }
  EXPECT_EQ(a.leafNegative_mm[0], a.x1_mm);  // pair 1 (-200 to -190 mm) is closed ...
  EXPECT_EQ(a.leafPositive_mm[0], a.x1_mm);  // ... under the X1 jaw
  // 5 mm leaves over the 50 mm circle: the 10 pairs between -25 and 25 mm open, and none more.
  EXPECT_EQ(r.openLeafPairs, 12);  // two pairs touch the poles at +-25.008 mm
}

TEST(ConformalAperture, RefusesAnEmptyPtvAndAProjectionWiderThanTheBank) {
  SpherePtv ptv = spherePtv(Vec3::Zero(), 25.0);
  const BeamGeometry g = beamGeometry(0, 0, 0, Vec3::Zero(), kSad, PatientPosition::HFS);
  ConformalApertureOptions narrow;
  narrow.leafBoundaries_mm = uniformLeafBoundaries(4, 5.0);  // 20 mm bank
  EXPECT_THROW(conformalAperture(g, ptv.grid, ptv.inside, narrow), Error);
  std::fill(ptv.inside.begin(), ptv.inside.end(), 0);
  EXPECT_THROW(conformalAperture(g, ptv.grid, ptv.inside), Error);
  ConformalApertureOptions negative;
  negative.margin_mm = -1.0;
  EXPECT_THROW(conformalAperture(g, ptv.grid, ptv.inside, negative), Error);
}

}  // namespace
}  // namespace twinplan::radiotherapy
