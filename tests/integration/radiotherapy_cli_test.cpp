// `twinplan-cli eqd2` and the refusals of `twinplan-cli gamma`, through the real binary
// (issue #19 item 8). Gamma's figures through the CLI are checked against the library and
// plastimatch in radiotherapy_gamma_plastimatch_test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace twinplan {
namespace {

using nlohmann::json;

test::CommandResult cli(const std::string& arguments) {
  return test::runCommand(test::cliPath().string() + " " + arguments + " 2>&1");
}

TEST(RadiotherapyCli, Eqd2OfOneRegimen) {
  const test::CommandResult r = cli("--json eqd2 --dose 60 --fractions 30 --alpha-beta 3");
  ASSERT_EQ(r.status, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_NEAR(j["bed_gy"].get<double>(), 100.0, 1e-9);  // 60 (1 + 2/3)
  EXPECT_NEAR(j["eqd2_gy"].get<double>(), 60.0, 1e-9);
  EXPECT_NEAR(j["regimens"][0]["dose_per_fraction_gy"].get<double>(), 2.0, 1e-12);
}

TEST(RadiotherapyCli, RegimenComparisonWithCitedTissues) {
  const test::CommandResult r =
      cli("--json eqd2 --dose 78 --fractions 39 --dose 60 --fractions 20 --tissue prostate "
          "--alpha-beta 10 --to-fraction-size 3");
  ASSERT_EQ(r.status, 0) << r.output;
  const json j = json::parse(r.output);
  ASSERT_EQ(j["regimens"].size(), 2u);
  const json& hypo = j["regimens"][1]["effects"];
  // Given alpha/beta first, then tissues: 60 Gy / 20 at alpha/beta 10: EQD2 60 * 1.3 / 1.2.
  EXPECT_NEAR(hypo[0]["eqd2_gy"].get<double>(), 65.0, 1e-9);
  EXPECT_EQ(hypo[1]["tissue"], "prostate");
  EXPECT_EQ(hypo[1]["source"], "brenner1999");
  EXPECT_NEAR(hypo[1]["eqd2_gy"].get<double>(), 180.0 / (1 + 2 / 1.5), 1e-9);  // 77.14 Gy
  // The same BED in 3 Gy fractions is the regimen itself.
  EXPECT_NEAR(hypo[1]["isoeffective_total_dose_gy"].get<double>(), 60.0, 1e-9);
  EXPECT_FALSE(j.contains("eqd2_gy"));  // only for one regimen and one tissue
}

TEST(RadiotherapyCli, BadInputGetsItsExitCodeAndReason) {
  test::CommandResult r = cli("eqd2 --dose 60 --fractions 30 --tissue spleen");
  EXPECT_EQ(r.status, 4) << r.output;  // NotFound
  EXPECT_NE(r.output.find("prostate"), std::string::npos) << r.output;
  r = cli("eqd2 --dose 60 --fractions 0 --alpha-beta 3");
  EXPECT_EQ(r.status, 3) << r.output;
  r = cli("eqd2 --dose 60 --alpha-beta 3");
  EXPECT_EQ(r.status, 3) << r.output;
  const std::string dose = test::sharedData("rt-plan-raystation/RD_plan_sum.dcm").string();
  r = cli("gamma --reference '" + dose + "' --evaluated '" + dose + "' --dta 0");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("distanceToAgreement_mm"), std::string::npos) << r.output;
  r = cli("gamma --reference '" + dose + "' --evaluated '" +
          test::sharedData("rt-plan-raystation/RS.dcm").string() + "'");
  EXPECT_NE(r.status, 0) << r.output;
  // A dose compared with itself passes everywhere with gamma 0.
  r = cli("--json gamma --reference '" + dose + "' --evaluated '" + dose + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_DOUBLE_EQ(j["pass_rate_percent"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(j["gamma"]["max"].get<double>(), 0.0);
  EXPECT_EQ(j["evaluated_voxels"].get<std::size_t>(), 381619u);  // >= 10 % of 2.210 Gy
  EXPECT_TRUE(j["same_grid"].get<bool>());
}

}  // namespace
}  // namespace twinplan
