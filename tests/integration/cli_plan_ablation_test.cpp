// twinplan-cli plan-ablation end to end (issue #17 item 6) on the abdomen phantom at half
// resolution: ranked plans for its 30 mm Tumour 2 with probes on feasible paths, each plan's
// best probe checked against the ablate verb's full physics, and bad input refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "ablation_cli_fixture.h"
#include "test_support.h"

namespace twinplan {
namespace {

using nlohmann::json;
using test::runCommand;
namespace fs = std::filesystem;

std::string cli() { return test::cliPath().string(); }
using test::runCliJson;

struct PhantomCase {
  test::HalfScaleAbdomen abdomen{"twinplan-plan-ablation"};
  fs::path caseFile = abdomen.files.caseFile;
};

const PhantomCase& phantomCase() {
  static const PhantomCase c;
  return c;
}

TEST(CliPlanAblation, RanksPlansForTumourTwoOnThePhantom) {
  const json r = runCliJson("plan-ablation " + phantomCase().caseFile.string() +
                            " --tumour \"Tumour 2\" --margin 5 --probes 2");
  ASSERT_TRUE(r.is_object());
  // The 30 mm tumour: 14.1 ml (as the ablate test measures it), centre (-95, 10, 62) mm.
  EXPECT_NEAR(r["tumour_volume_ml"].get<double>(), 14.1, 1.0);
  const double centre[3] = {-95.0, 10.0, 62.0};
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(r["tumour_centre_lps"][a].get<double>(), centre[a], 1.5);
  EXPECT_GT(r["paths_feasible"].get<int>(), 0);
  EXPECT_LT(r["paths_feasible"].get<int>(), r["paths_tried"].get<int>());
  bool ribs = false;
  for (const json& f : r["refused_paths"]) ribs |= f["reason"] == "refused: crosses Ribs";
  EXPECT_TRUE(ribs) << r["refused_paths"].dump();
  ASSERT_FALSE(r["plans"].empty());
  double previous = 101.0;
  for (const json& plan : r["plans"]) {
    EXPECT_LE(plan["probes"].size(), 2u);
    EXPECT_LE(plan["coverage_percent"].get<double>(), previous + 0.1);
    previous = plan["coverage_percent"].get<double>();
    EXPECT_FALSE(plan["reasons"].get<std::string>().empty());
    // The 2.45 GHz antenna's zone matches its published one: no "not validated" note.
    EXPECT_EQ(plan["reasons"].get<std::string>().find("not validated"), std::string::npos);
    for (const json& p : plan["probes"]) EXPECT_LE(p["depth_mm"].get<double>(), 200.0);
  }
  const json& best = r["plans"][0];
  // A 30 mm tumour + 5 mm in the 2.45 GHz antenna's zone: nearly all of it is covered.
  EXPECT_GT(best["coverage_percent"].get<double>(), 95.0);

  // The best plan's first probe through the ablate verb (full physics, 2 mm grid): its zone
  // covers the tumour too, within 10 % of the planner's coverage.
  const json& probe = best["probes"][0];
  auto xyz = [](const json& p) {
    return std::to_string(p[0].get<double>()) + "," + std::to_string(p[1].get<double>()) + "," +
           std::to_string(p[2].get<double>());
  };
  if (best["probes"].size() == 1) {
    const json full = runCliJson("ablate " + phantomCase().caseFile.string() +
                                 " --device mw-2450mhz-100w --tip " + xyz(probe["tip_lps"]) +
                                 " --entry " + xyz(probe["entry_lps"]) +
                                 " --spacing 2 --box 100 --tumour \"Tumour 2\" --time " +
                                 std::to_string(best["duration_s"].get<double>()) + " --power " +
                                 std::to_string(best["power_W"].get<double>()));
    ASSERT_TRUE(full.is_object());
    EXPECT_NEAR(full["coverage_percent"].get<double>(), best["coverage_percent"].get<double>(),
                10.0);
  }
}

TEST(CliPlanAblation, PlansWithTheClusterSayItsZoneIsNotValidated) {
  // The RF cluster's simulated zone does not match Goldberg et al. 1998's (devices.json
  // zoneCheck, 47.9 x 44.1 mm after contraction vs 31 mm): each plan's reasons say so.
  const json r = runCliJson("plan-ablation " + phantomCase().caseFile.string() +
                            " --tumour \"Tumour 2\" --device rf-cluster-3x25mm --probes 1");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["device"], "rf-cluster-3x25mm");
  ASSERT_FALSE(r["plans"].empty());
  for (const json& plan : r["plans"])
    EXPECT_NE(plan["reasons"].get<std::string>().find(
                  "Zone not validated: simulated 48 x 44 mm vs published 31 mm"),
              std::string::npos)
        << plan["reasons"];
}

TEST(CliPlanAblation, BadInputIsRefused) {
  const std::string c = phantomCase().caseFile.string();
  for (const std::string& args :
       {"plan-ablation " + c + " --tumour Nowhere",
        "plan-ablation " + c + " --tumour \"Tumour 2\" --probes 5",
        "plan-ablation " + c + " --tumour \"Tumour 2\" --device nope",
        "plan-ablation " + c + " --tumour \"Tumour 2\" --max-angle 0 --safety-radius 15"}) {
    const auto result = runCommand(cli() + " " + args + " 2>&1");
    EXPECT_NE(result.status, 0) << args;
    EXPECT_FALSE(result.output.empty()) << args;
  }
  const auto none = runCommand(cli() + " plan-ablation " + c +
                               " --tumour \"Tumour 2\" --max-angle 0 --safety-radius 15 2>&1");
  EXPECT_NE(none.output.find("No feasible needle path"), std::string::npos) << none.output;
}

}  // namespace
}  // namespace twinplan
