// Machine limits of conformal apertures (simulation/radiotherapy/machine_limits.h): the Varian
// Millennium 120's published figures (15 cm leaf span, 20 cm leaf extension past the axis,
// X jaws 2 cm and Y jaws 10 cm past the axis, 40 x 40 cm field, interdigitation allowed) held
// against hand-made apertures whose answers follow from those figures, and a conformal aperture
// of an off-axis sphere whose X1 jaw would cross the axis too far.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/conformal_aperture.h"
#include "twinplan/radiotherapy/machine_limits.h"

namespace twinplan::radiotherapy {
namespace {

// Eight 10 mm pairs from -40 to 40 mm, all closed at `park`, under jaws [x1, x2] x [-40, 40].
Aperture closedAperture(double x1, double x2, double park) {
  Aperture a;
  a.leafBoundaries_mm = uniformLeafBoundaries(8, 10.0);
  a.leafNegative_mm.assign(8, park);
  a.leafPositive_mm.assign(8, park);
  a.x1_mm = x1, a.x2_mm = x2, a.y1_mm = -40.0, a.y2_mm = 40.0;
  return a;
}

std::string errorOf(Aperture a, const MachineLimits& limits) {
  try {
    applyMachineLimits(a, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

double openArea_mm2(const Aperture& a) { return a.openFraction(-200, 200, -40, 40) * 400.0 * 80.0; }

TEST(MachineLimits, Millennium120FiguresAreVariansPublishedOnes) {
  const MachineLimits m = millennium120Limits();
  EXPECT_EQ(m.maxLeafSpan_mm, 150.0);
  EXPECT_EQ(m.leafOverCentre_mm, 200.0);
  EXPECT_EQ(m.xJawOverCentre_mm, 20.0);
  EXPECT_EQ(m.yJawOverCentre_mm, 100.0);
  EXPECT_EQ(m.maxFieldHalfWidth_mm, 200.0);
  EXPECT_TRUE(m.interdigitation);
}

TEST(MachineLimits, LeavesOfOneBankWithinTheSpanPassAndBeyondItAreRefused) {
  // Bank 1's open leaves at -70 and +79 mm: 149 mm apart, deliverable; at +81 mm: 151 mm, not
  // (bank 2 spans -60 to 90 mm: 150 mm, just within; the closed pairs sit at 0 mm).
  Aperture a = closedAperture(-100, 100, -100);
  a.leafNegative_mm[3] = -70, a.leafPositive_mm[3] = -60;
  a.leafNegative_mm[4] = 79, a.leafPositive_mm[4] = 90;
  a.x1_mm = -70, a.x2_mm = 90;
  for (std::size_t i : {0u, 1u, 2u, 5u, 6u, 7u}) a.leafNegative_mm[i] = a.leafPositive_mm[i] = 0;
  EXPECT_TRUE(machineLimitViolations(a, millennium120Limits()).empty());
  a.leafNegative_mm[4] = 81;
  const std::vector<std::string> v = machineLimitViolations(a, millennium120Limits());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v.front().find("Bank 1's leaves span 151.0 mm"), std::string::npos) << v.front();
  const std::string error = errorOf(a, millennium120Limits());
  EXPECT_NE(error.find("Millennium 120"), std::string::npos) << error;
  EXPECT_NE(error.find("Turn the collimator"), std::string::npos) << error;
}

TEST(MachineLimits, ClosedPairsParkedUnderX1AreMovedWithinTheSpan) {
  // One open pair at 70..80 mm; the others closed under the X1 jaw at -80 mm make bank 2 span
  // 160 mm. Parked at the open pair's centre (75 mm) they span 10 mm; the opening is unchanged.
  Aperture a = closedAperture(-80, 80, -80);
  a.leafNegative_mm[5] = 70, a.leafPositive_mm[5] = 80;
  const double area = openArea_mm2(a);
  ASSERT_NEAR(area, 100.0, 1e-9);  // one 10 mm x 10 mm opening
  const MachineLimitReport r = applyMachineLimits(a, millennium120Limits());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings.front().find("parked"), std::string::npos);
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == 5) continue;
    EXPECT_EQ(a.leafNegative_mm[i], 75.0);
    EXPECT_EQ(a.leafPositive_mm[i], 75.0);
  }
  EXPECT_NEAR(openArea_mm2(a), area, 1e-9);
  EXPECT_TRUE(machineLimitViolations(a, millennium120Limits()).empty());
}

TEST(MachineLimits, AJawPastItsTravelIsHeldThereAndTheLeavesKeepTheField) {
  // An opening at 35..60 mm: the X1 jaw would be at +35 mm, 15 mm more than its 20 mm travel
  // across the axis; held at +20 mm, the leaves still give the same 25 mm x 10 mm opening.
  Aperture a = closedAperture(35, 60, 35);
  a.leafNegative_mm[2] = 35, a.leafPositive_mm[2] = 60;
  const double area = openArea_mm2(a);
  EXPECT_NEAR(area, 250.0, 1e-9);
  const MachineLimitReport r = applyMachineLimits(a, millennium120Limits());
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.front().find("X1 jaw would sit at 35.0 mm"), std::string::npos)
      << r.warnings.front();
  EXPECT_EQ(a.x1_mm, 20.0);
  EXPECT_NEAR(openArea_mm2(a), area, 1e-9);
  // The Y2 jaw at -110 mm (Y jaws cross by 10 cm at most) is held at -100 mm.
  Aperture y = closedAperture(-20, 20, -20);
  y.leafNegative_mm[0] = -20, y.leafPositive_mm[0] = 20;
  y.y1_mm = -150, y.y2_mm = -110;
  applyMachineLimits(y, millennium120Limits());
  EXPECT_EQ(y.y2_mm, -100.0);
}

TEST(MachineLimits, AFieldLargerThan40CmAndLeavesBeyondTheirTravelAreRefused) {
  Aperture wide = closedAperture(-210, 100, -210);
  wide.leafNegative_mm[0] = -210, wide.leafPositive_mm[0] = 100;
  EXPECT_NE(errorOf(wide, millennium120Limits()).find("outside the largest field"),
            std::string::npos);
  Aperture before = wide;
  EXPECT_THROW(applyMachineLimits(wide, millennium120Limits()), Error);
  EXPECT_EQ(wide.leafNegative_mm, before.leafNegative_mm);  // untouched when refused
  EXPECT_EQ(wide.x1_mm, before.x1_mm);
}

TEST(MachineLimits, InterdigitationIsAllowedOnMillenniumAndRefusedWithoutIt) {
  // Pair 4 open at -50..-40 mm, pair 5 at 10..20 mm: pair 5's bank-1 leaf (10 mm) passes pair
  // 4's bank-2 leaf (-40 mm).
  Aperture a = closedAperture(-50, 20, -45);
  a.leafNegative_mm[3] = -50, a.leafPositive_mm[3] = -40;
  a.leafNegative_mm[4] = 10, a.leafPositive_mm[4] = 20;
  for (std::size_t i : {0u, 1u, 2u}) a.leafNegative_mm[i] = a.leafPositive_mm[i] = -45;
  for (std::size_t i : {5u, 6u, 7u}) a.leafNegative_mm[i] = a.leafPositive_mm[i] = 15;
  EXPECT_TRUE(machineLimitViolations(a, millennium120Limits()).empty());
  MachineLimits noInterdigitation = millennium120Limits();
  noInterdigitation.name = "an MLC without interdigitation";
  noInterdigitation.interdigitation = false;
  const std::vector<std::string> v = machineLimitViolations(a, noInterdigitation);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v.front().find("Leaf pairs 4 and 5 pass each other"), std::string::npos) << v.front();
  EXPECT_THROW(applyMachineLimits(a, noInterdigitation), Error);
}

TEST(MachineLimits, ConformalApertureOfAnOffAxisSphereHoldsTheX1Jaw) {
  // A 10 mm radius sphere 60 mm off the axis along Xb (gantry 0, HFS: Xb is +x LPS): its
  // projection starts at about 50 mm, so the X1 jaw is held at the 20 mm limit with a warning.
  ImageGeometry grid;
  grid.size = {100, 40, 40};
  grid.spacing_mm = Vec3::Ones();
  grid.origin_lps = Vec3(20.5, -19.5, -19.5);
  std::vector<std::uint8_t> inside(grid.voxelCount(), 0);
  const Vec3 centre(60, 0, 0);
  for (std::int64_t k = 0; k < 40; ++k)
    for (std::int64_t j = 0; j < 40; ++j)
      for (std::int64_t i = 0; i < 100; ++i)
        if ((grid.indexToLps(Vec3(i, j, k)) - centre).norm() <= 10.0)
          inside[grid.linearIndex(i, j, k)] = 1;
  const BeamGeometry g = beamGeometry(0, 0, 0, Vec3::Zero(), 1000.0, PatientPosition::HFS);
  const ConformalAperture r = conformalAperture(g, grid, inside);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_EQ(r.aperture.x1_mm, 20.0);
  EXPECT_NEAR(r.projectionX1_mm, 50.0, 1.0);
  ConformalApertureOptions unchecked;
  unchecked.machine.reset();
  const ConformalAperture free = conformalAperture(g, grid, inside, unchecked);
  EXPECT_TRUE(free.warnings.empty());
  EXPECT_GT(free.aperture.x1_mm, 45.0);
  EXPECT_NEAR(r.aperture.openFraction(-200, 200, -200, 200),
              free.aperture.openFraction(-200, 200, -200, 200), 1e-12);
}

}  // namespace
}  // namespace twinplan::radiotherapy
