// `twinplan-cli dvh --fractions N --target NAME --ntcp ROI=MODEL` (issue #19 items 5 and 8):
// TCP and NTCP on the real RayStation RTDOSE + RTSTRUCT, scaled to a 30-fraction course (x 30:
// about 60 Gy to the PTV), checked against radiobiology_from_dvh.py, which recomputes gEUD, LKB
// NTCP and population Poisson TCP with numpy from the cumulative DVH the CLI printed. Tolerances:
// the printed curve has ~200 of the DVH's ~3,700 bins, so the script's midpoint bins move gEUD
// by up to 0.3 % (External, steep low-dose tail) and NTCP/TCP by up to 5e-4: gEUD within 0.5 %,
// probabilities within 2e-3.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kFolder = fs::path(TWINPLAN_SHARED_DATA) / "rt-plan-raystation";
const fs::path kScript =
    fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/radiobiology_from_dvh.py";

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

test::CommandResult dvh(const std::string& arguments) {
  return test::runCommand(quoted(test::cliPath()) + " dvh --json " + arguments + " 2>/dev/null");
}

class CliRadiobiology : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto made = test::runCommand(
        "/usr/bin/python3 " + quoted(kScript) + " fixtures " + quoted(kFolder / "RD_plan_sum.dcm") +
        " " + quoted(kFolder / "RS.dcm") + " " + quoted(dir.path()) + " 2>&1");
    ASSERT_EQ(made.status, 0) << made.output;
  }
  std::string course() const {
    return "--dose " + quoted(dir / "RD_x30.dcm") + " --structures " + quoted(kFolder / "RS.dcm");
  }
  test::TempDir dir;
};

TEST_F(CliRadiobiology, TcpAndNtcpMatchAnIndependentComputationFromThePrintedDvh) {
  const auto r = dvh(course() +
                     " --fractions 30 --target Slope101004 --target Cube101010"
                     " --ntcp External=lung-quantec --ntcp Cube101010=rectum-burman1991");
  ASSERT_EQ(r.status, 0) << r.output;
  const json out = json::parse(r.output);
  const fs::path printed = dir / "dvh.json";
  std::ofstream(printed) << r.output;
  const auto checked =
      test::runCommand("/usr/bin/python3 " + quoted(kScript) + " check 30 < " + quoted(printed));
  ASSERT_EQ(checked.status, 0) << checked.output;
  const json expected = json::parse(checked.output);

  std::map<std::string, json> byName;
  for (const json& s : out["structures"]) byName[s["name"]] = s;
  const json& cube = byName["Cube101010"];
  EXPECT_EQ(cube["ntcp"]["model"], "rectum-burman1991");
  EXPECT_EQ(cube["ntcp"]["source"], "burman1991");
  EXPECT_EQ(cube["ntcp"]["mapped_by"], "option");
  EXPECT_DOUBLE_EQ(cube["ntcp"]["td50_gy"].get<double>(), 80.0);
  EXPECT_NE(cube["ntcp"]["dose"].get<std::string>().find("EQD2"), std::string::npos);
  for (const std::string name : {"Cube101010", "External"}) {
    const json& ntcp = byName[name]["ntcp"];
    const double geud = expected[name]["geud_gy"].get<double>();
    EXPECT_NEAR(ntcp["geud_gy"].get<double>(), geud, 5e-3 * geud) << name;
    EXPECT_NEAR(ntcp["ntcp"].get<double>(), expected[name]["ntcp"].get<double>(), 2e-3) << name;
  }
  for (const std::string name : {"Cube101010", "Slope101004"}) {
    const json& tcp = byName[name]["tcp"];
    EXPECT_EQ(tcp["model"], "webb-nahum-1993");
    EXPECT_EQ(tcp["fractions"], 30);
    EXPECT_NEAR(tcp["tcp"].get<double>(), expected[name]["tcp"].get<double>(), 2e-3) << name;
  }
  // Not trivial values: about 60 Gy in 30 fractions to 0.7-1 litre of clonogens at 1e7/cm3
  // controls roughly 60 %; the cube's gEUD (62 Gy EQD2) gives the rectum model a 7 % NTCP.
  EXPECT_GT(byName["Slope101004"]["tcp"]["tcp"].get<double>(), 0.5);
  EXPECT_LT(byName["Slope101004"]["tcp"]["tcp"].get<double>(), 0.8);
  EXPECT_GT(cube["ntcp"]["ntcp"].get<double>(), 0.03);
  EXPECT_FALSE(byName["PMMA"].contains("ntcp"));  // no organ word, no --ntcp
  EXPECT_FALSE(byName["External"].contains("tcp"));
}

TEST_F(CliRadiobiology, AnOrganNameChoosesItsModelAndNoFractionsKeepsPhysicalDose) {
  const auto r = dvh("--dose " + quoted(dir / "RD_x30.dcm") + " --structures " +
                     quoted(dir / "RS_heart.dcm") + " --structure Heart");
  ASSERT_EQ(r.status, 0) << r.output;
  const json ntcp = json::parse(r.output)["structures"][0]["ntcp"];
  EXPECT_EQ(ntcp["model"], "heart-burman1991");
  EXPECT_EQ(ntcp["mapped_by"], "name");
  EXPECT_NE(ntcp["dose"].get<std::string>().find("physical"), std::string::npos);
  const fs::path printed = dir / "heart.json";
  std::ofstream(printed) << r.output;
  const auto checked =
      test::runCommand("/usr/bin/python3 " + quoted(kScript) + " check 1 < " + quoted(printed));
  ASSERT_EQ(checked.status, 0) << checked.output;
  const json expected = json::parse(checked.output)["Heart"];
  EXPECT_NEAR(ntcp["geud_gy"].get<double>(), expected["geud_gy"].get<double>(),
              5e-3 * expected["geud_gy"].get<double>());
  EXPECT_NEAR(ntcp["ntcp"].get<double>(), expected["ntcp"].get<double>(), 2e-3);
}

TEST_F(CliRadiobiology, MissingFractionsUnknownModelAndUnknownTargetAreClearErrors) {
  auto r = dvh(course() + " --target Slope101004");
  EXPECT_EQ(r.status, 3);  // invalid input
  json error = json::parse(r.output)["error"];
  EXPECT_NE(error["message"].get<std::string>().find("--fractions"), std::string::npos)
      << error.dump();

  r = dvh(course() + " --ntcp Cube101010=spleen");
  EXPECT_EQ(r.status, 4);  // not found
  error = json::parse(r.output)["error"];
  EXPECT_NE(error["message"].get<std::string>().find("lung-quantec"), std::string::npos)
      << error.dump();

  r = dvh(course() + " --fractions 30 --target GTV");
  EXPECT_EQ(r.status, 4);
  error = json::parse(r.output)["error"];
  EXPECT_NE(error["message"].get<std::string>().find("'Slope101004'"), std::string::npos)
      << error.dump();

  r = dvh(course() + " --ntcp Cube101010");
  EXPECT_EQ(r.status, 3);
  error = json::parse(r.output)["error"];
  EXPECT_NE(error["message"].get<std::string>().find("ROI=MODEL"), std::string::npos)
      << error.dump();
}

}  // namespace
}  // namespace twinplan
