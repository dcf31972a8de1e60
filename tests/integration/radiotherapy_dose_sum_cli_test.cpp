// `twinplan-cli dose-sum` and `dose-diff` (issue #19 items 4 and 8) on the real RayStation RT
// Doses: every output is read back with pydicom and compared with the same weighted sum computed
// by numpy from the inputs (tests/integration/dose_sum_pydicom.py), within the rounding of the
// stored steps (half a Dose Grid Scaling step of the output and of each weighted input); the
// beam sum also against RayStation's own plan sum. Doses on another grid, in another frame of
// reference or of another Dose Type are refused with the reason, and nothing is written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kFolder = fs::path(TWINPLAN_SHARED_DATA) / "rt-plan-raystation";
const fs::path kScript = fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/dose_sum_pydicom.py";

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

test::CommandResult cli(const std::string& arguments) {
  return test::runCommand(quoted(test::cliPath()) + " --json " + arguments + " 2>/dev/null");
}

json expectation(const std::string& arguments) {
  const auto r = test::runCommand("/usr/bin/python3 " + quoted(kScript) + " expect " + arguments);
  EXPECT_EQ(r.status, 0) << r.output;
  return json::parse(r.output);
}

// Runs `command --out OUT`, then compares pydicom's view of OUT with numpy's sum of `terms`
// ("W1 FILE1 W2 FILE2 ..."): they must agree within the stored steps.
json runAndCompare(const std::string& command, const fs::path& out, const std::string& terms) {
  const auto r = cli(command + " --out " + quoted(out));
  EXPECT_EQ(r.status, 0) << r.output;
  const json e = expectation(quoted(out) + " " + terms);
  EXPECT_LE(e["max_abs_diff_gy"].get<double>(), e["step_gy"].get<double>()) << e.dump();
  return e;
}

const std::string kBeams =
    quoted(kFolder / "RD_beam1.dcm") + " " + quoted(kFolder / "RD_beam2.dcm");

TEST(DoseSumCli, TwoBeamsSumToThePlanDoseOfTheirPlan) {
  test::TempDir dir;
  const fs::path out = dir / "sum.dcm";
  const json e = runAndCompare(
      "dose-sum " + kBeams, out,
      "1 " + quoted(kFolder / "RD_beam1.dcm") + " 1 " + quoted(kFolder / "RD_beam2.dcm"));
  // Both beams reference one plan: a PLAN dose of it, same frame and grid, still RBE-weighted.
  EXPECT_EQ(e["summation"], "PLAN");
  EXPECT_EQ(e["dose_type"], "EFFECTIVE");
  EXPECT_EQ(e["plan_uid"], e["first_plan_uid"]);
  EXPECT_TRUE(e["same_frame_as_first"].get<bool>());
  EXPECT_TRUE(e["same_grid_as_first"].get<bool>());
  EXPECT_NEAR(e["max_gy"].get<double>(), 2.2102, 1e-4);  // the plan's peak (pydicom)
  // RayStation's own plan sum: measured 4.6e-5 Gy apart at most (its rounding and ours).
  const json raystation = expectation(quoted(out) + " 1 " + quoted(kFolder / "RD_plan_sum.dcm"));
  EXPECT_LE(raystation["max_abs_diff_gy"].get<double>(), 1e-4);
}

TEST(DoseSumCli, WeightsScaleEachDose) {
  test::TempDir dir;
  const json e = runAndCompare(
      "dose-sum " + kBeams + " --weights 2 0.5", dir / "weighted.dcm",
      "2 " + quoted(kFolder / "RD_beam1.dcm") + " 0.5 " + quoted(kFolder / "RD_beam2.dcm"));
  EXPECT_GT(e["max_gy"].get<double>(), 4.0);  // beam 1's 1.95 Gy peak doubled, plus beam 2
}

TEST(DoseSumCli, DifferenceIsASignedErrorDose) {
  test::TempDir dir;
  const json e = runAndCompare(
      "dose-diff " + kBeams, dir / "difference.dcm",
      "1 " + quoted(kFolder / "RD_beam1.dcm") + " -1 " + quoted(kFolder / "RD_beam2.dcm"));
  EXPECT_EQ(e["dose_type"], "ERROR");
  EXPECT_EQ(e["pixel_representation"], 1);     // two's complement: PS3.3 C.8.8.3.4
  EXPECT_LT(e["min_gy"].get<double>(), -1.0);  // beam 2's high-dose region
  EXPECT_GT(e["max_gy"].get<double>(), 1.0);   // and beam 1's
  EXPECT_NEAR(e["min_gy"].get<double>(), e["expected_min_gy"].get<double>(),
              e["step_gy"].get<double>());
}

TEST(DoseSumCli, AnotherGridFrameOrDoseTypeIsRefusedAndNothingIsWritten) {
  test::TempDir dir;
  const auto made =
      test::runCommand("/usr/bin/python3 " + quoted(kScript) + " fixtures " +
                       quoted(kFolder / "RD_beam1.dcm") + " " + quoted(dir.path()) + " 2>&1");
  ASSERT_EQ(made.status, 0) << made.output;
  const std::string beam2 = quoted(kFolder / "RD_beam2.dcm");
  const fs::path out = dir / "out.dcm";
  const std::pair<const char*, const char*> cases[] = {{"shifted.dcm", "different grids"},
                                                       {"other_frame.dcm", "frame of reference"},
                                                       {"physical.dcm", "Dose Type"}};
  for (const auto& [file, reason] : cases) {
    for (const char* command : {"dose-sum ", "dose-diff "}) {
      const auto r = cli(command + beam2 + " " + quoted(dir / file) + " --out " + quoted(out));
      EXPECT_EQ(r.status, 3) << command << file << r.output;  // invalid input
      const json error = json::parse(r.output)["error"];
      EXPECT_NE(error["message"].get<std::string>().find(reason), std::string::npos)
          << error.dump();
      EXPECT_NE(error["message"].get<std::string>().find(file), std::string::npos) << error.dump();
      EXPECT_FALSE(fs::exists(out)) << command << file;
    }
  }
  auto r = cli("dose-sum " + beam2 + " " + beam2 + " --weights 1 --out " + quoted(out));
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.output.find("one --weights value per dose"), std::string::npos) << r.output;
  r = cli("dose-diff " + beam2 + " --out " + quoted(out));
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.output.find("exactly two doses"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace twinplan
