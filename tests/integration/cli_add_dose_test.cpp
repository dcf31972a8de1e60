// `twinplan-cli case add-dose` end to end (issue #19 item 1): an RT Dose written by io::writeRtDose
// in the head phantom's frame of reference joins the case as a result field with its values and
// grid; a second one gets its own name; a dose from another frame of reference (the RayStation
// plan sum) is refused with both frames named and the case file left byte for byte as it was.
// Job "combine-doses": two doses of a case summed and subtracted.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dose_fixtures.h"
#include "rt_case_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using test::bytesOf;

// 60 Gy x a Gaussian (sigma 15 mm) about the tumour, on a 3 mm grid over the head.
ScalarField blobDose(const Vec3& centre) {
  ImageGeometry grid;
  grid.size = {40, 48, 30};
  grid.spacing_mm = Vec3(3, 3, 3);
  grid.origin_lps = centre - Vec3(58.5, 70.5, 43.5);
  return test::gaussianDose(grid, centre, 60.0, 15.0);
}

// The head phantom (scale 0.4) with two doses on one grid: the plan, blobDose about the tumour,
// and a boost of 15 Gy peak (sigma 15 mm) 9 mm to the patient's left of it; saved with the
// doses named `planName` and `boostName` as head.twinplan in a temporary folder named `tag`. The
// doses as saved are kept for comparison.
struct HeadCaseWithTwoDoses {
  HeadCaseWithTwoDoses(const char* tag, const std::string& planName, const std::string& boostName)
      : dir(tag), file(dir / "head.twinplan") {
    phantom::Phantom head = test::headPhantom(0.4);
    const Vec3 centre = head.tumours.at(0).centre_lps;
    plan = blobDose(centre);
    boost = test::gaussianDose(plan.geometry, centre + Vec3(9, 0, 0), 15.0, 15.0);
    plan.name = planName;
    boost.name = boostName;
    head.twin.fields = {plan, boost};
    saveCase(head.twin, file);
  }
  test::TempDir dir;
  fs::path file;
  ScalarField plan, boost;
};

// Job "combine-doses" on a case file through the CLI (the job file written beside the case).
// `refused`: the error's sentence (stderr) is wanted, else the JSON (stdout) alone.
test::CommandResult combineDoses(const fs::path& casePath, const std::string& a,
                                 const std::string& b, const std::string& operation,
                                 bool refused = false) {
  const fs::path job = casePath.parent_path() / "job.json";
  std::ofstream(job) << json(
      {{"job", "combine-doses"},
       {"parameters",
        {{"case", casePath.string()}, {"a", a}, {"b", b}, {"operation", operation}}}});
  return test::runCommand(test::quoted(test::cliPath()) + " --json run " + test::quoted(job) +
                          " 2>" + (refused ? "&1" : "/dev/null"));
}

TEST(CliAddDose, DoseJoinsTheCaseAndAnotherFrameIsRefused) {
  test::TempDir dir("twinplan-cli-add-dose");
  phantom::Phantom head = test::headPhantom(0.4);
  DicomInfo& ct = head.twin.volumes.front().dicom;
  if (ct.frameOfReferenceUid.empty()) ct.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.7";
  if (ct.studyInstanceUid.empty()) ct.studyInstanceUid = "1.2.826.0.1.3680043.8.498.8";
  const fs::path casePath = dir / "head.twinplan";
  saveCase(head.twin, casePath);

  const ScalarField blob = blobDose(head.tumours.at(0).centre_lps);
  io::RtDoseWriteOptions write;
  write.dicom = ct;
  write.referencedPlanSopInstanceUid = "1.2.826.0.1.3680043.8.498.9";
  const fs::path rd = dir / "RD.dcm";
  io::writeRtDose(blob, rd, write);

  const std::string cli = "'" + test::cliPath().string() + "'";
  const auto added = test::runCommand(cli + " case add-dose '" + casePath.string() + "' --dose '" +
                                      rd.string() + "' --json 2>&1");
  ASSERT_EQ(added.status, 0) << added.output;
  const json r = json::parse(added.output);
  EXPECT_EQ(r["field"], "Dose (plan)");
  EXPECT_EQ(r["summation_type"], "PLAN");
  EXPECT_EQ(r["frame_of_reference_uid"], ct.frameOfReferenceUid);
  const double written = *std::max_element(blob.values.begin(), blob.values.end());
  EXPECT_NEAR(r["max_gy"].get<double>(), written, 1e-6 * written);
  EXPECT_EQ(r["size"], (std::vector<int>{40, 48, 30}));

  const Case withDose = loadCase(casePath);
  ASSERT_EQ(withDose.fields.size(), 1u);
  const ScalarField& field = withDose.fields.front();
  EXPECT_EQ(field.quantity, "dose");
  EXPECT_EQ(field.unit, units::kGray);
  EXPECT_LT((field.geometry.origin_lps - blob.geometry.origin_lps).norm(), 1e-6);
  ASSERT_EQ(field.values.size(), blob.values.size());
  double worst = 0;
  for (std::size_t n = 0; n < blob.values.size(); ++n)
    worst = std::max(worst, std::abs(double{field.values[n]} - blob.values[n]));
  EXPECT_LT(worst, 1e-6 * written);  // the RT Dose's 32-bit scaling step

  const auto again = test::runCommand(cli + " case add-dose '" + casePath.string() + "' --dose '" +
                                      rd.string() + "' --json 2>&1");
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(json::parse(again.output)["field"], "Dose (plan) 2");

  const std::string before = bytesOf(casePath);
  const fs::path other = fs::path(TWINPLAN_SHARED_DATA) / "rt-plan-raystation/RD_plan_sum.dcm";
  const auto refused = test::runCommand(cli + " case add-dose '" + casePath.string() +
                                        "' --dose '" + other.string() + "' 2>&1");
  EXPECT_EQ(refused.status, 3) << refused.output;
  EXPECT_NE(refused.output.find("frame of reference"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find(ct.frameOfReferenceUid), std::string::npos) << refused.output;
  EXPECT_EQ(bytesOf(casePath), before);
}

// Job "combine-doses" (the RT panel's dose sum / difference) on a case file: A + B and the signed
// A - B join the case voxel for voxel; an unknown operation or dose is refused and the case is
// left byte for byte as it was.
TEST(CliAddDose, CombineDosesJobAddsTheSumAndTheSignedDifference) {
  const HeadCaseWithTwoDoses saved("twinplan-cli-combine-doses", "Dose (plan)", "Dose (boost)");
  const fs::path& casePath = saved.file;
  const ScalarField &plan = saved.plan, &boost = saved.boost;
  const auto sum = combineDoses(casePath, "Dose (plan)", "Dose (boost)", "sum");
  ASSERT_EQ(sum.status, 0) << sum.output;
  EXPECT_EQ(json::parse(sum.output)["result"]["field"], "Dose (plan) + Dose (boost)");
  const auto difference = combineDoses(casePath, "Dose (plan)", "Dose (boost)", "difference");
  ASSERT_EQ(difference.status, 0) << difference.output;
  const json d = json::parse(difference.output)["result"];
  EXPECT_EQ(d["field"], "Dose (plan) - Dose (boost)");
  EXPECT_EQ(d["quantity"], "dose difference");
  EXPECT_LT(d["min_gy"].get<double>(), 0.0);  // the boost's side: B gives more there

  const Case combined = loadCase(casePath);
  ASSERT_EQ(combined.fields.size(), 4u);
  for (std::size_t n = 0; n < plan.values.size(); n += 11) {
    ASSERT_NEAR(combined.fields[2].values[n], plan.values[n] + boost.values[n], 1e-4) << n;
    ASSERT_NEAR(combined.fields[3].values[n], plan.values[n] - boost.values[n], 1e-4) << n;
  }
  EXPECT_EQ(combined.fields[3].quantity, "dose difference");

  const std::string before = bytesOf(casePath);
  const auto product = combineDoses(casePath, "Dose (plan)", "Dose (boost)", "product", true);
  EXPECT_EQ(product.status, 3) << product.output;
  EXPECT_NE(product.output.find("'sum' (A + B) or 'difference' (A - B)"), std::string::npos)
      << product.output;
  const auto unknown = combineDoses(casePath, "Dose (plan)", "Dose (none)", "sum", true);
  EXPECT_NE(unknown.status, 0);
  EXPECT_NE(unknown.output.find("its doses are 'Dose (plan)' (result-1), 'Dose (boost)' "
                                "(result-2), 'Dose (plan) + Dose (boost)' (result-3)"),
            std::string::npos)
      << unknown.output;
  EXPECT_EQ(bytesOf(casePath), before);
}

// Two doses of one name (result ids, case format 2): the job takes them by id, and a name
// they share is refused listing both ids, the case left as it was.
TEST(CliAddDose, CombineDosesTakesTwoDosesOfOneNameByTheirIds) {
  const HeadCaseWithTwoDoses saved("twinplan-cli-combine-ids", "Dose (plan)", "Dose (plan)");
  const fs::path& casePath = saved.file;
  const ScalarField &first = saved.plan, &second = saved.boost;

  const test::CommandResult info =
      test::runCommand(test::quoted(test::cliPath()) + " --json case info " +
                       test::quoted(casePath) + " 2>/dev/null");
  ASSERT_EQ(info.status, 0) << info.output;
  const json results = json::parse(info.output)["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["id"], "result-1");
  EXPECT_EQ(results[1]["id"], "result-2");
  EXPECT_EQ(results[1]["name"], "Dose (plan)");

  const std::string before = bytesOf(casePath);
  const auto shared = combineDoses(casePath, "Dose (plan)", "result-2", "difference", true);
  EXPECT_EQ(shared.status, 3) << shared.output;  // InvalidInput
  EXPECT_NE(shared.output.find("2 results are named 'Dose (plan)' (ids result-1, result-2)"),
            std::string::npos)
      << shared.output;
  EXPECT_EQ(bytesOf(casePath), before);

  const auto byIds = combineDoses(casePath, "result-2", "result-1", "difference");
  ASSERT_EQ(byIds.status, 0) << byIds.output;
  const json r = json::parse(byIds.output)["result"];
  EXPECT_EQ(r["a_id"], "result-2");
  EXPECT_EQ(r["b_id"], "result-1");
  EXPECT_EQ(r["id"], "result-3");
  EXPECT_EQ(r["field"], "Dose (plan) - Dose (plan)");
  const Case combined = loadCase(casePath);
  ASSERT_EQ(combined.fields.size(), 3u);
  EXPECT_EQ(combined.fields[2].id, "result-3");
  for (std::size_t n = 0; n < first.values.size(); n += 11)
    ASSERT_NEAR(combined.fields[2].values[n], second.values[n] - first.values[n], 1e-4) << n;
}

}  // namespace
}  // namespace twinplan
