// `twinplan-cli dvh` end to end (issue #19, item 8) through the real binary on the RayStation
// RTDOSE + RTSTRUCT: the JSON per structure (volumes against each ROI's contour area x 5 mm
// spacing, computed from pydicom's Contour Data), the cumulative and differential curves,
// --structure, and the clear errors for a dose in another frame of reference, a relative dose
// and an unknown ROI.
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

test::CommandResult dvh(const std::string& arguments) {
  return test::runCommand("'" + test::cliPath().string() + "' dvh --json " + arguments +
                          " 2>/dev/null");
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

TEST(CliDvh, EveryRoiOfThePlanSumWithItsCurve) {
  const auto r = dvh("--dose " + quoted(kFolder / "RD_plan_sum.dcm") + " --structures " +
                     quoted(kFolder / "RS.dcm"));
  ASSERT_EQ(r.status, 0) << r.output;
  const json out = json::parse(r.output);
  EXPECT_EQ(out["summation_type"], "PLAN");
  ASSERT_EQ(out["structures"].size(), 4u);  // LoPo is a POINT ROI: named in the notes
  EXPECT_NE(out["notes"].dump().find("LoPo"), std::string::npos);
  const std::map<std::string, double> contourVolume_cm3{
      {"Cube101010", 1050.0}, {"Slope101004", 735.0}, {"External", 8615.125}, {"PMMA", 205.0}};
  for (const json& s : out["structures"]) {
    const std::string name = s["name"];
    EXPECT_NEAR(s["volume_cm3"].get<double>(), contourVolume_cm3.at(name),
                1e-3 * contourVolume_cm3.at(name))
        << name;
    for (const char* key : {"dmin_gy", "dmean_gy", "dmax_gy", "d95_gy", "d2_gy"}) {
      ASSERT_TRUE(s.contains(key)) << key;
      ASSERT_TRUE(s["uncertainty"].contains(key)) << key;
    }
    // The plan's largest dose is 2.2102 Gy (pydicom: stored max x Dose Grid Scaling).
    EXPECT_LE(s["dmax_gy"].get<double>(), 2.2103);
    EXPECT_LE(s["dmin_gy"].get<double>(), s["d95_gy"].get<double>() + 1e-9);
    EXPECT_LE(s["d95_gy"].get<double>(), s["dmean_gy"].get<double>());
    EXPECT_LE(s["dmean_gy"].get<double>(), s["d2_gy"].get<double>());
    const json& dose = s["cumulative"]["dose_gy"];
    const json& volume = s["cumulative"]["volume_cm3"];
    ASSERT_EQ(dose.size(), volume.size());
    ASSERT_GT(dose.size(), 50u);
    EXPECT_NEAR(volume[0].get<double>(), s["volume_cm3"].get<double>(),
                1e-6 * s["volume_cm3"].get<double>());
    for (std::size_t n = 1; n < volume.size(); ++n) {
      EXPECT_GT(dose[n].get<double>(), dose[n - 1].get<double>());
      EXPECT_LE(volume[n].get<double>(), volume[n - 1].get<double>() + 1e-9);
    }
    EXPECT_NEAR(volume.back().get<double>(), 0.0, 1e-9 * s["volume_cm3"].get<double>());
    // The differential bins: one per interval of the curve's doses, each the curve's fall over
    // it (minus its derivative times the interval), together the structure's volume.
    // A last bin, one DVH bin wide, holds what the curve's last dose still has (here a rounding
    // residue of the DVH's second differences).
    const json& differential = s["differential"];
    const bool residue = volume.back().get<double>() > 0;
    ASSERT_EQ(differential["volume_cm3"].size(), dose.size() - 1 + (residue ? 1 : 0));
    if (residue) {
      EXPECT_EQ(differential["volume_cm3"].back(), volume.back());
    }
    double total_cm3 = residue ? volume.back().get<double>() : 0.0;
    for (std::size_t n = 0; n + 1 < dose.size(); ++n) {
      EXPECT_EQ(differential["dose_from_gy"][n], dose[n]);
      EXPECT_EQ(differential["dose_to_gy"][n], dose[n + 1]);
      const double bin_cm3 = differential["volume_cm3"][n].get<double>();
      EXPECT_NEAR(bin_cm3, volume[n].get<double>() - volume[n + 1].get<double>(), 1e-9);
      EXPECT_GE(bin_cm3, -1e-9);
      total_cm3 += bin_cm3;
    }
    EXPECT_NEAR(total_cm3, s["volume_cm3"].get<double>(), 1e-6 * s["volume_cm3"].get<double>());
  }
  // The PTV (Slope101004) gets 2 Gy (RE) in one fraction: D95 within 2 % of it.
  for (const json& s : out["structures"])
    if (s["name"] == "Slope101004") {
      EXPECT_NEAR(s["d95_gy"].get<double>(), 2.0, 0.04);
    }
}

TEST(CliDvh, OneNamedStructure) {
  const auto r = dvh("--dose " + quoted(kFolder / "RD_beam1.dcm") + " --structures " +
                     quoted(kFolder / "RS.dcm") + " --structure Cube101010");
  ASSERT_EQ(r.status, 0) << r.output;
  const json out = json::parse(r.output);
  ASSERT_EQ(out["structures"].size(), 1u);
  EXPECT_EQ(out["structures"][0]["name"], "Cube101010");
  EXPECT_EQ(out["summation_type"], "BEAM");
}

// A constraint table judged on the plan sum (2 Gy to Slope101004 in one fraction): each result's
// value is the DVH figure printed beside it, pass/fail follows the limit, %Rx uses
// --prescription, and a structure the set lacks is listed, not guessed.
TEST(CliDvh, ConstraintTableOnThePlanSum) {
  test::TempDir dir;
  const fs::path table = dir / "table.json";
  std::ofstream(table) << R"({"id": "test", "constraints": [
    {"structure": "PTV", "names": ["Slope*"], "metric": "D95%", "limit": ">= 95 %Rx"},
    {"structure": "PTV", "names": ["Slope*"], "metric": "Dmax", "limit": "<= 105 %Rx"},
    {"structure": "Cube", "names": ["Cube101010"], "metric": "V2Gy", "limit": "< 10 %"},
    {"structure": "Heart", "metric": "Dmean", "limit": "< 26 Gy"}]})";
  const auto r =
      dvh("--dose " + quoted(kFolder / "RD_plan_sum.dcm") + " --structures " +
          quoted(kFolder / "RS.dcm") + " --constraints " + quoted(table) + " --prescription 2");
  ASSERT_EQ(r.status, 0) << r.output;
  const json out = json::parse(r.output);
  std::map<std::string, json> figures;
  for (const json& s : out["structures"]) figures[s["name"]] = s;
  const json& c = out["constraints"];
  EXPECT_EQ(c["protocol"], "test");
  ASSERT_EQ(c["results"].size(), 3u);
  const json& d95 = c["results"][0];
  EXPECT_EQ(d95["roi"], "Slope101004");
  EXPECT_DOUBLE_EQ(d95["value"].get<double>(), figures["Slope101004"]["d95_gy"].get<double>());
  EXPECT_DOUBLE_EQ(d95["limit_value"].get<double>(), 1.9);
  EXPECT_TRUE(d95["pass"].get<bool>());
  // Dmax 2.2015 Gy > 2.1 Gy: fails.
  EXPECT_DOUBLE_EQ(c["results"][1]["value"].get<double>(),
                   figures["Slope101004"]["dmax_gy"].get<double>());
  EXPECT_FALSE(c["results"][1]["pass"].get<bool>());
  // Most of the cube gets about 2 Gy: far above 10 %.
  EXPECT_EQ(c["results"][2]["unit"], "%");
  EXPECT_GT(c["results"][2]["value"].get<double>(), 10.0);
  EXPECT_FALSE(c["results"][2]["pass"].get<bool>());
  EXPECT_EQ(c["failed"], 2);
  ASSERT_EQ(c["not_evaluated"].size(), 1u);
  EXPECT_NE(c["not_evaluated"][0].get<std::string>().find("no structure named Heart"),
            std::string::npos);
}

TEST(CliDvh, MismatchedFrameRelativeDoseAndUnknownRoiAreClearErrors) {
  test::TempDir dir;
  const auto made = test::runCommand(
      "/usr/bin/python3 '" +
      (fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/rtdose_pydicom.py").string() +
      "' variants " + quoted(kFolder / "RD_beam1.dcm") + " " + quoted(dir.path()) + " 2>&1");
  ASSERT_EQ(made.status, 0) << made.output;
  const std::string rs = " --structures " + quoted(kFolder / "RS.dcm");

  auto r = dvh("--dose " + quoted(dir / "other_frame.dcm") + rs);
  EXPECT_EQ(r.status, 3);  // invalid input (docs/user-guide.md, exit codes)
  json error = json::parse(r.output)["error"];
  EXPECT_EQ(error["kind"], "invalid input");
  EXPECT_NE(error["message"].get<std::string>().find("frame of reference"), std::string::npos)
      << error.dump();

  r = dvh("--dose " + quoted(dir / "relative_units.dcm") + rs);
  EXPECT_EQ(r.status, 3);
  error = json::parse(r.output)["error"];
  EXPECT_EQ(error["kind"], "invalid input");
  EXPECT_NE(error["message"].get<std::string>().find("not Gy"), std::string::npos) << error.dump();

  r = dvh("--dose " + quoted(kFolder / "RD_beam1.dcm") + rs + " --structure GTV");
  EXPECT_EQ(r.status, 4);  // not found
  error = json::parse(r.output)["error"];
  EXPECT_EQ(error["kind"], "not found");
  EXPECT_NE(error["message"].get<std::string>().find("'Slope101004'"), std::string::npos)
      << error.dump();
}

}  // namespace
}  // namespace twinplan
