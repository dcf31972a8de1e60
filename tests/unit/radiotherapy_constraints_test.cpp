// Constraint table (issue #19 item 4): metrics judged on DVHs of a 20 mm cube in a linear dose
// gradient, whose figures are known in closed form, and the built-in QUANTEC/ICRU table.
#include <gtest/gtest.h>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/dose_constraints.h"

namespace twinplan::radiotherapy {
namespace {

// Dose = 2 Gy/mm x (x + 10) on 1 mm voxels, so over the cube x in [-10, 10] mm the dose runs
// uniformly from 0 to 40 Gy: Dmean 20 Gy, V20Gy 50 %, Dx% = 40 (1 - x/100) Gy,
// D1cc (1 of 8 cm3 = 12.5 %) = 35 Gy.
ScalarField gradientDose() {
  ScalarField dose;
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry.size = {40, 40, 40};
  dose.geometry.spacing_mm = Vec3(1, 1, 1);
  dose.geometry.origin_lps = Vec3(-19.5, -19.5, -19.5);
  dose.values.resize(dose.geometry.voxelCount());
  for (std::int64_t k = 0; k < 40; ++k)
    for (std::int64_t j = 0; j < 40; ++j)
      for (std::int64_t i = 0; i < 40; ++i) {
        const Vec3 p = dose.geometry.indexToLps(Vec3(i, j, k));
        dose.values[dose.geometry.linearIndex(i, j, k)] = static_cast<float>(2.0 * (p.x() + 10));
      }
  return dose;
}

DoseVolumeHistogram cubeInGradient(const std::string& name) {
  const ScalarField dose = gradientDose();
  StructureContours cube{name, {}};
  for (int p = 0; p < 20; ++p) {
    const double z = -9.5 + p;
    cube.polygons_lps.push_back(
        {Vec3(-10, -10, z), Vec3(10, -10, z), Vec3(10, 10, z), Vec3(-10, 10, z)});
  }
  return computeDvh(dose, cube);
}

ConstraintProtocol protocol(const std::string& constraints) {
  return parseConstraintProtocol(R"({"id": "t", "constraints": [)" + constraints + "]}", "test");
}

TEST(DoseConstraints, MetricsOnAKnownDvh) {
  const std::vector<DoseVolumeHistogram> dvhs{cubeInGradient("Brain Stem")};
  const ConstraintTable table = evaluateConstraints(dvhs, protocol(R"(
    {"structure": "Brainstem", "metric": "Dmean", "limit": "< 21 Gy"},
    {"structure": "Brainstem", "metric": "Dmean", "limit": "< 19 Gy"},
    {"structure": "Brainstem", "metric": "V20Gy", "limit": "<= 50.5 %"},
    {"structure": "Brainstem", "metric": "V20Gy", "limit": "< 3.9 cc"},
    {"structure": "Brainstem", "metric": "D1cc", "limit": "< 36 Gy"},
    {"structure": "Brainstem", "metric": "D50%", "limit": ">= 50 %Rx"},
    {"structure": "Brainstem", "metric": "Dmax", "limit": "< 54 Gy"})"),
                                                    40.0);
  ASSERT_EQ(table.results.size(), 7u);
  ASSERT_TRUE(table.notEvaluated.empty());
  const auto& r = table.results;
  EXPECT_EQ(r[0].roi, "Brain Stem");  // TG-263 "Brainstem" matches "Brain Stem"
  EXPECT_NEAR(r[0].value, 20.0, 0.05);
  EXPECT_TRUE(r[0].pass);
  EXPECT_FALSE(r[1].pass);
  EXPECT_EQ(r[2].unit, "%");
  EXPECT_NEAR(r[2].value, 50.0, 0.3);
  EXPECT_TRUE(r[2].pass);
  EXPECT_EQ(r[3].unit, "cc");
  EXPECT_NEAR(r[3].value, 4.0, 0.03);
  EXPECT_FALSE(r[3].pass);  // 4 cc receive >= 20 Gy
  EXPECT_NEAR(r[4].value, 35.0, 0.2);
  EXPECT_TRUE(r[4].pass);
  EXPECT_NEAR(r[5].value, 20.0, 0.1);  // D50% against 50 % of 40 Gy = 20 Gy
  EXPECT_NEAR(r[5].limitValue, 20.0, 1e-12);
  EXPECT_NEAR(r[6].value, 40.0, 0.5);
  EXPECT_TRUE(r[6].pass);
  EXPECT_EQ(table.failed(), 2);
}

TEST(DoseConstraints, MissingStructuresAndPrescriptionAreListedNotGuessed) {
  const std::vector<DoseVolumeHistogram> dvhs{cubeInGradient("PTV_60")};
  const ConstraintTable table = evaluateConstraints(dvhs, protocol(R"(
    {"structure": "PTV", "names": ["PTV*"], "metric": "D98%", "limit": ">= 95 %Rx"},
    {"structure": "PTV", "names": ["PTV*"], "metric": "D20cc", "limit": "< 60 Gy"},
    {"structure": "SpinalCord", "names": ["SpinalCord", "Cord"], "metric": "Dmax", "limit": "<= 50 Gy"})"));
  EXPECT_TRUE(table.results.empty());
  ASSERT_EQ(table.notEvaluated.size(), 3u);
  EXPECT_NE(table.notEvaluated[0].find("no prescription"), std::string::npos);
  EXPECT_NE(table.notEvaluated[1].find("larger than the structure"), std::string::npos);
  EXPECT_NE(table.notEvaluated[2].find("no structure named SpinalCord (or an alias)"),
            std::string::npos);
}

TEST(DoseConstraints, NameMatching) {
  EXPECT_TRUE(constraintNameMatches("OpticNrv_L", "opticnrv l"));
  EXPECT_TRUE(constraintNameMatches("PTV*", "PTV_60"));
  EXPECT_TRUE(constraintNameMatches("PTV*", "ptv"));
  EXPECT_FALSE(constraintNameMatches("PTV*", "CTV"));
  EXPECT_FALSE(constraintNameMatches("Brain", "Brainstem"));
}

TEST(DoseConstraints, BadTablesAreRefusedByName) {
  auto message = [](const std::string& c) {
    try {
      protocol(c);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(R"({"structure": "Heart", "metric": "D-5%", "limit": "< 2 Gy"})")
                .find("'Heart D-5% < 2 Gy' in test has an unknown metric"),
            std::string::npos);
  EXPECT_NE(message(R"({"structure": "Heart", "metric": "V25Gy", "limit": "< 10 Gy"})")
                .find("limits a volume"),
            std::string::npos);
  EXPECT_NE(message(R"({"structure": "Heart", "metric": "Dmax", "limit": "about 10 Gy"})")
                .find("unreadable limit"),
            std::string::npos);
  EXPECT_NE(message(R"({"metric": "Dmax", "limit": "< 10 Gy"})").find("lacks a field"),
            std::string::npos);
}

TEST(DoseConstraints, BuiltInQuantecTableLoadsWithSources) {
  const ConstraintProtocol& q = quantecProtocol();
  EXPECT_EQ(q.id, "quantec-conventional");
  EXPECT_GE(q.constraints.size(), 20u);
  for (const DoseConstraint& c : q.constraints) {
    bool cited = false;
    for (const auto& [key, citation] : q.references) cited = cited || key == c.source;
    EXPECT_TRUE(cited) << c.structure << " " << c.metric << " cites '" << c.source << "'";
  }
  // Spot values of the QUANTEC summary (Marks et al. 2010, Table 1).
  auto limitOf = [&](const std::string& s, const std::string& m) {
    for (const DoseConstraint& c : q.constraints)
      if (c.structure == s && c.metric == m) return c.limit;
    return std::string();
  };
  EXPECT_EQ(limitOf("Brainstem", "Dmax"), "< 54 Gy");
  EXPECT_EQ(limitOf("Heart", "V25Gy"), "< 10 %");
  // Lungs: QUANTEC's lung paper (Marks et al. 2010, S70-S76), V20 <= 30-35 % and mean lung
  // dose <= 20-23 Gy for <= 20 % symptomatic pneumonitis; the stricter ends.
  EXPECT_EQ(limitOf("Lungs", "V20Gy"), "<= 30 %");
  EXPECT_EQ(limitOf("Lungs", "Dmean"), "<= 20 Gy");
}

}  // namespace
}  // namespace twinplan::radiotherapy
