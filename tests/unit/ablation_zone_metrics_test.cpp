// Tumour coverage, minimal ablative margin and damage to structures on the ablation grid
// (simulation/ablation/zone_metrics.h), against concentric and offset spheres with known answers.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

ImageGeometry cube(double spacing_mm) {
  ImageGeometry g;
  const std::int64_t n = std::llround(80.0 / spacing_mm) + 1;
  g.size = {n, n, n};
  g.spacing_mm = Vec3::Constant(spacing_mm);
  g.origin_lps = Vec3::Constant(-40.0);
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

double sphere_ml(double radius_mm) {
  return 4.0 / 3.0 * std::numbers::pi * std::pow(radius_mm, 3) * 1e-3;
}

TEST(ZoneMetrics, ConcentricZoneCoversTumourWithItsMargin) {
  for (const double h : {1.0, 0.5}) {
    SCOPED_TRACE(std::to_string(h) + " mm grid");
    const ImageGeometry g = cube(h);
    // A 20 mm tumour inside a 40 mm zone: 10 mm margin all round, the 5 mm target covered.
    const TumourCoverage c =
        tumourCoverage(ball(g, Vec3::Zero(), 20.0), ball(g, Vec3::Zero(), 10.0), g, 5.0);
    EXPECT_NEAR(c.tumour_ml, sphere_ml(10.0), 0.03 * sphere_ml(10.0));
    // The discrete dilation lies inside the continuous one and converges as O(h): -4.2 % at
    // 1 mm, -1.9 % at 0.5 mm.
    EXPECT_NEAR(c.target_ml, sphere_ml(15.0), 0.05 * h * sphere_ml(15.0));
    EXPECT_LT(c.target_ml, sphere_ml(15.0));
    EXPECT_DOUBLE_EQ(c.coverage_percent, 100.0);
    EXPECT_DOUBLE_EQ(c.tumourCoverage_percent, 100.0);
    EXPECT_NEAR(c.minMargin_mm, 10.0, h);
  }
}

TEST(ZoneMetrics, OffsetZoneHasTheSmallerMarginOnItsShortSide) {
  const ImageGeometry g = cube(1.0);
  // Zone radius 18 mm centred 6 mm to the left of a 10 mm-radius tumour: 2 mm margin on the
  // right, 14 mm on the left.
  const TumourCoverage c =
      tumourCoverage(ball(g, Vec3(6, 0, 0), 18.0), ball(g, Vec3::Zero(), 10.0), g, 5.0);
  EXPECT_NEAR(c.minMargin_mm, 2.0, 1.0);
  EXPECT_DOUBLE_EQ(c.tumourCoverage_percent, 100.0);
  EXPECT_LT(c.coverage_percent, 100.0);
}

TEST(ZoneMetrics, UncoveredTumourHasANegativeMargin) {
  const ImageGeometry g = cube(1.0);
  // A 10 mm-radius tumour against a zone of radius 8 mm at its centre: 2 mm of it stick out.
  const TumourCoverage c =
      tumourCoverage(ball(g, Vec3::Zero(), 8.0), ball(g, Vec3::Zero(), 10.0), g, 5.0);
  EXPECT_NEAR(c.minMargin_mm, -2.0, 1.0);
  EXPECT_NEAR(c.tumourCoverage_percent, 100.0 * std::pow(0.8, 3), 3.0);
}

TEST(ZoneMetrics, StructureDamageCountsTheAblatedShareAndItsHottestVoxel) {
  const ImageGeometry g = cube(1.0);
  // Half of a 10 mm ball (x < 0) inside the zone; the structure's hottest voxel is 70 degC.
  std::vector<std::uint8_t> zone(g.voxelCount(), 0), structure = ball(g, Vec3::Zero(), 10.0);
  std::vector<float> maxT(g.voxelCount(), 37.0f);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if (g.indexToLps(Vec3(double(i), double(j), double(k))).x() < -0.1)
          zone[g.linearIndex(i, j, k)] = 1;
  maxT[g.linearIndex(35, 40, 40)] = 70.0f;  // x = -5 mm, inside the structure
  maxT[g.linearIndex(0, 0, 0)] = 95.0f;     // outside it
  const StructureDamage d = structureDamage(zone, structure, maxT, g);
  EXPECT_NEAR(d.inGrid_ml, sphere_ml(10.0), 0.03 * sphere_ml(10.0));
  // The x = 0 plane of voxels is outside the zone: a little under half.
  EXPECT_NEAR(d.ablated_percent, 50.0, 4.0);
  EXPECT_LT(d.ablated_percent, 50.0);
  EXPECT_DOUBLE_EQ(d.maxTemperature_degC, 70.0);
}

TEST(ZoneMetrics, ATumourOffTheGridIsAnError) {
  const ImageGeometry g = cube(2.0);
  const std::vector<std::uint8_t> none(g.voxelCount(), 0);
  EXPECT_THROW((void)tumourCoverage(none, none, g), Error);
  EXPECT_THROW((void)tumourCoverage(none, std::vector<std::uint8_t>(3, 1), g), Error);
}

TEST(ZoneMetrics, ZoneCriteriaParseAndThresholdTheirOwnField) {
  const ZoneCriterion omega = parseZoneCriterion("omega>=4.6");
  EXPECT_EQ(omega.field, AblationCriterion::ArrheniusDamage);
  EXPECT_DOUBLE_EQ(omega.threshold, 4.6);
  EXPECT_EQ(toString(omega), "omega>=4.6");
  EXPECT_EQ(parseZoneCriterion("tmax>=60").field, AblationCriterion::MaximumTemperature);
  EXPECT_EQ(toString(parseZoneCriterion("cem43>=240")), "cem43>=240");
  EXPECT_EQ(toString(ZoneCriterion{}), "omega>=1");  // the default
  for (const char* bad : {"", "omega", "omega>=", "omega>=0", "omega>=-1", "omega>=1x", "tmax>60",
                          "Tmax>=60", "dose>=240", "tmax>=nan"}) {
    try {
      (void)parseZoneCriterion(bad);
      ADD_FAILURE() << "no error for '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_NE(std::string(e.what()).find("omega>=N"), std::string::npos) << e.what();
    }
  }
  // Four voxels where damage, peak temperature and thermal dose disagree: each criterion
  // thresholds its own field (Omega 4.6 = 99 % of cells dead, exp(-4.6) = 0.010).
  AblationResult result;
  result.damage.values = {0.5f, 1.0f, 5.0f, 4.5f};
  result.maximumTemperature.values = {61.0f, 55.0f, 70.0f, 49.9f};
  result.cem43.values = {300.0f, 100.0f, 1e6f, 240.0f};
  using Zone = std::vector<std::uint8_t>;
  EXPECT_EQ(ablationZone(result, parseZoneCriterion("omega>=1")), (Zone{0, 1, 1, 1}));
  EXPECT_EQ(ablationZone(result, parseZoneCriterion("omega>=4.6")), (Zone{0, 0, 1, 0}));
  EXPECT_EQ(ablationZone(result, parseZoneCriterion("tmax>=60")), (Zone{1, 0, 1, 0}));
  EXPECT_EQ(ablationZone(result, parseZoneCriterion("tmax>=50")), (Zone{1, 1, 1, 0}));
  EXPECT_EQ(ablationZone(result, parseZoneCriterion("cem43>=240")), (Zone{1, 0, 1, 1}));
}

// The criteria offered by name (CLI --zone-criterion, the panel's combo box): the five of
// docs/validation.md in order, omega1 first (the default), each naming a parseable rule; a bad
// name is refused listing the valid ones; applyZoneCriterion makes the solver's zone that rule's.
TEST(ZoneMetrics, NamedZoneCriteriaMapToTheirRules) {
  std::vector<std::pair<std::string, std::string>> names;
  std::vector<std::string> labels;
  for (const ZoneCriterionChoice& c : zoneCriterionChoices()) {
    names.emplace_back(c.name, c.criterion);
    EXPECT_EQ(toString(parseZoneCriterion(c.criterion)), c.criterion);
    EXPECT_FALSE(c.description.empty()) << c.name;
    labels.push_back(c.label);
    EXPECT_EQ(&zoneCriterionChoice(c.name), &c);
  }
  EXPECT_EQ(names, (std::vector<std::pair<std::string, std::string>>{{"omega1", "omega>=1"},
                                                                     {"omega4.6", "omega>=4.6"},
                                                                     {"t50", "tmax>=50"},
                                                                     {"t60", "tmax>=60"},
                                                                     {"cem43", "cem43>=240"}}));
  // In words: Omega = -ln(surviving fraction), so 1 - e^-1 = 63 % and 1 - e^-4.6 = 99 % dead.
  EXPECT_EQ(labels, (std::vector<std::string>{
                        "Cell death >= 63 % (Omega >= 1)", "Cell death >= 99 % (Omega >= 4.6)",
                        "Peak temperature >= 50 degC", "Peak temperature >= 60 degC",
                        "Thermal dose CEM43 >= 240 min"}));
  for (const char* bad : {"", "omega>=1", "Omega1", "t55"}) {
    try {
      (void)zoneCriterionChoice(bad);
      ADD_FAILURE() << "no error for '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_EQ(e.context(), "zone_criterion");
      EXPECT_NE(std::string(e.what()).find("omega1, omega4.6, t50, t60, cem43"), std::string::npos)
          << e.what();
    }
  }
  // The solver's zone (ablationZone(result, BioheatParameters)) follows the applied criterion;
  // the thresholds of the other fields keep their defaults.
  AblationResult result;
  result.damage.values = {0.5f, 1.0f, 5.0f, 4.5f};
  result.maximumTemperature.values = {61.0f, 55.0f, 70.0f, 49.9f};
  result.cem43.values = {300.0f, 100.0f, 1e6f, 240.0f};
  BioheatParameters p;
  applyZoneCriterion(p, parseZoneCriterion("tmax>=50"));
  EXPECT_EQ(p.zoneCriterion, AblationCriterion::MaximumTemperature);
  EXPECT_DOUBLE_EQ(p.maximumTemperatureThreshold_degC, 50.0);
  EXPECT_DOUBLE_EQ(p.damageThreshold, 1.0);
  EXPECT_EQ(ablationZone(result, p), (std::vector<std::uint8_t>{1, 1, 1, 0}));
  applyZoneCriterion(p, parseZoneCriterion("omega>=4.6"));
  EXPECT_EQ(ablationZone(result, p), (std::vector<std::uint8_t>{0, 0, 1, 0}));
}

}  // namespace
}  // namespace twinplan::ablation
