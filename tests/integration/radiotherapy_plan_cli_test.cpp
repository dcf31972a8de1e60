// `twinplan-cli plan-conformal` through the real binary (issue #19 item 3) on the head phantom
// (CT at half resolution, 2 x 2 x 4 mm) with an RT Structure Set of its true labels: the plan's
// isocentre and apertures against the phantom's tumour truth (a 25 mm sphere at (32, -25, 20)
// LPS), the written RT Plan read back with pydicom (conformal_plan_probe.py), and the plan's
// dose recomputed from that file by `twinplan-cli dose` and judged by `twinplan-cli dvh` (its
// own sub-voxel rasterisation of the structure set): the tumour's mean dose is the prescription.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_reference.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const Vec3 kTumourCentre(32.0, -25.0, 20.0);
constexpr double kTumourRadius_mm = 12.5;

// dir/dicom/CT and dir/RS.dcm (every true segment as an ROI; the tumour is "Tumour").
void writeFixture(const fs::path& dir) {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.5;
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  phantom::writePhantom(head, dir);
  const io::DicomIndex index = io::scanDicom(dir / "dicom/CT");
  const io::ReferenceSeries reference = io::referenceFromSeries(*index.allSeries().front());
  io::writeRtStruct(head.twin.labelMaps.front(), reference, dir / "RS.dcm");
}

json runJson(const std::string& arguments) {
  const test::CommandResult r =
      test::runCommand(test::cliPath().string() + " --json " + arguments + " 2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.output;
  return json::parse(r.output);
}

TEST(PlanConformalCli, HeadPhantomPlanConformsAndDeliversThePrescription) {
  test::TempDir dir("twinplan-plan-cli");
  writeFixture(dir.path());
  const std::string ct = "'" + (dir / "dicom/CT").string() + "'";
  const std::string rs = "'" + (dir / "RS.dcm").string() + "'";
  const fs::path rp = dir / "RP.dcm";
  const json plan = runJson(
      "plan-conformal " + ct + " --structures " + rs +
      " --ptv Tumour --beams G0,G90,G270 --aperture-margin 0 --prescription 60 --fractions 30 "
      "--normalise mean --grid 2.5 --out '" +
      rp.string() + "'");

  // The isocentre is the tumour's centroid.
  const json& iso = plan["isocentre_lps_mm"];
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(iso[a].get<double>(), kTumourCentre[a], 0.5);
  // Each beam sees a 25 mm disc (the divergent magnification is 1.0001 here): jaws at +-12.5 mm,
  // to the voxelisation (half a voxel: 1 mm in-plane, 2 mm across slices).
  ASSERT_EQ(plan["beams"].size(), 3u);
  for (const json& b : plan["beams"]) {
    const auto jaws = b["jaws_mm"].get<std::vector<double>>();
    SCOPED_TRACE(b["name"].get<std::string>());
    EXPECT_NEAR(jaws[0], -kTumourRadius_mm, 2.0);
    EXPECT_NEAR(jaws[1], kTumourRadius_mm, 2.0);
    EXPECT_NEAR(jaws[2], -kTumourRadius_mm, 2.0);
    EXPECT_NEAR(jaws[3], kTumourRadius_mm, 2.0);
    // Millennium 120's 5 mm leaves over -12.5..12.5 mm: the pairs from -15 to 15 mm.
    EXPECT_EQ(b["open_leaf_pairs"].get<int>(), 6);
  }
  EXPECT_NEAR(plan["normalisation"]["dose_gy"].get<double>(), 60.0, 1e-6);
  EXPECT_NEAR(plan["ptv"]["volume_cm3"].get<double>(), 4.0 / 3.0 * M_PI * std::pow(1.25, 3), 0.8);

  // The RT Plan as pydicom reads it.
  const test::CommandResult probe = test::runCommand(
      "/usr/bin/python3 '" +
      (fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/conformal_plan_probe.py").string() +
      "' '" + rp.string() + "' 2>&1");
  ASSERT_EQ(probe.status, 0) << probe.output;
  const json p = json::parse(probe.output);
  EXPECT_EQ(p["structure_set"], plan["structure_set_sop_instance_uid"]);
  EXPECT_EQ(p["frame_of_reference"], plan["frame_of_reference_uid"]);
  EXPECT_EQ(p["fractions"].get<int>(), 30);
  EXPECT_EQ(p["prescription"].get<double>(), 60.0);
  ASSERT_EQ(p["beams"].size(), 3u);
  double totalMu = 0.0;
  for (std::size_t b = 0; b < 3; ++b) {
    const json& pb = p["beams"][b];
    const json& jb = plan["beams"][b];
    EXPECT_NEAR(pb["meterset"].get<double>(), jb["mu_per_fraction"].get<double>(), 1e-3);
    EXPECT_EQ(pb["gantry"].get<double>(), jb["gantry_deg"].get<double>());
    EXPECT_EQ(pb["mlcx"].size(), 120u);
    EXPECT_EQ(pb["boundaries"].size(), 61u);
    for (int a = 0; a < 3; ++a)
      EXPECT_NEAR(pb["isocentre"][a].get<double>(), iso[a].get<double>(), 1e-3);
    // The pair at 0..5 mm (index 30) crosses the middle of the disc: open about 25 mm.
    const double open = pb["mlcx"][90].get<double>() - pb["mlcx"][30].get<double>();
    EXPECT_NEAR(open, 2.0 * std::sqrt(kTumourRadius_mm * kTumourRadius_mm - 0.0), 2.0);
    totalMu += pb["meterset"].get<double>();
  }
  // 2 Gy a fraction at about 7 cm depth for 6 MV: of the order of 250 MU in all (TMR ~0.8).
  EXPECT_GT(totalMu, 150.0);
  EXPECT_LT(totalMu, 400.0);

  // The plan's dose recomputed from the written file, judged on the structure set's contours.
  const fs::path rd = dir / "RD.dcm";
  const json dose = runJson("dose " + ct + " --plan '" + rp.string() + "' --grid 2.5 --out '" +
                            rd.string() + "'");
  // References, read back with pydicom: the optimised plan is its own object (a new SOP Instance
  // UID, not the structure set's or the CT's), and the RT Dose's Referenced RT Plan Sequence
  // names exactly that plan (PS3.3 C.8.8.3).
  const std::string planUid = plan["rtplan_sop_instance_uid"].get<std::string>();
  EXPECT_EQ(p["sop_instance_uid"], planUid);
  EXPECT_NE(planUid, plan["structure_set_sop_instance_uid"].get<std::string>());
  const test::CommandResult doseProbe = test::runCommand(
      "/usr/bin/python3 '" +
      (fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/rtdose_probe.py").string() + "' '" +
      rd.string() + "' " + std::to_string(iso[0].get<double>()) + " " +
      std::to_string(iso[1].get<double>()) + " " + std::to_string(iso[2].get<double>()) + " 2>&1");
  ASSERT_EQ(doseProbe.status, 0) << doseProbe.output;
  const json rdRead = json::parse(doseProbe.output);
  EXPECT_EQ(rdRead["referenced_plan"], planUid);
  EXPECT_EQ(dose["referenced_plan_sop_instance_uid"], planUid);
  EXPECT_EQ(rdRead["frame_of_reference"], plan["frame_of_reference_uid"]);
  EXPECT_EQ(rdRead["summation"], "PLAN");
  const json dvh =
      runJson("dvh --dose '" + rd.string() + "' --structures " + rs + " --structure Tumour");
  ASSERT_EQ(dvh["structures"].size(), 1u);
  const double mean = dvh["structures"][0]["dmean_gy"].get<double>();
  // Our voxel-centre mask vs dvh's sub-voxel contours of a 25 mm sphere on a 2.5 mm grid.
  EXPECT_NEAR(mean, 60.0, 0.025 * 60.0);
}

TEST(PlanConformalCli, UnknownRoiGetsAClearErrorAndNoPlan) {
  test::TempDir dir("twinplan-plan-cli-bad");
  writeFixture(dir.path());
  const test::CommandResult r = test::runCommand(
      test::cliPath().string() + " plan-conformal '" + (dir / "dicom/CT").string() +
      "' --structures '" + (dir / "RS.dcm").string() + "' --ptv Liver --out '" +
      (dir / "RP.dcm").string() + "' 2>&1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("no ROI named \"Liver\""), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "RP.dcm"));
  const test::CommandResult beams = test::runCommand(
      test::cliPath().string() + " plan-conformal '" + (dir / "dicom/CT").string() +
      "' --structures '" + (dir / "RS.dcm").string() + "' --ptv Tumour --beams G0,X90 --out '" +
      (dir / "RP.dcm").string() + "' 2>&1");
  EXPECT_NE(beams.status, 0);
  EXPECT_NE(beams.output.find("G<gantry>"), std::string::npos) << beams.output;
}

// The case form: the engine job through the binary, on the phantom's case file. The plan and
// its dose land in the written case; the source case is untouched; the OAR objective is
// reported with the ventricles' mean dose, which the planner's structure read-out gives.
TEST(PlanConformalCli, CaseFormAddsThePlanAndItsDoseToTheCase) {
  test::TempDir dir("twinplan-plan-cli-case");
  writeFixture(dir.path());
  const fs::path source = dir / "head.twinplan", planned = dir / "planned.twinplan";
  ASSERT_TRUE(fs::exists(source));
  const json r = runJson("plan-conformal '" + source.string() +
                         "' --ptv Tumour --oar Ventricles:mean:10 --beams G0,G90,G270 --grid 3 "
                         "--label 'Left frontal' --out '" +
                         planned.string() + "'");
  EXPECT_EQ(r["plan"], "Left frontal");
  EXPECT_EQ(r["machine"], "Varian Millennium 120");
  ASSERT_EQ(r["structures"].size(), 2u);
  EXPECT_EQ(r["structures"][1]["name"], "Ventricles");
  ASSERT_EQ(r["objectives"].size(), 3u);  // PTV min, PTV max, ventricles' mean
  EXPECT_EQ(r["objectives"][2]["type"], "max_mean_dose");
  EXPECT_NEAR(r["objectives"][2]["achieved"].get<double>(),
              r["structures"][1]["mean_gy"].get<double>(), 1e-6);
  EXPECT_GE(r["structures"][0]["d95_gy"].get<double>(), 57.0);
  const Case twin = loadCase(planned);
  ASSERT_EQ(twin.plans.size(), 1u);
  EXPECT_EQ(twin.plans[0].kind, "radiotherapy");
  EXPECT_EQ(twin.plans[0].name, "Left frontal");
  ASSERT_EQ(twin.fields.size(), 1u);
  EXPECT_EQ(twin.fields[0].quantity, "dose");
  EXPECT_EQ(twin.fields[0].name, r["field"].get<std::string>());
  EXPECT_TRUE(loadCase(source).plans.empty());
  // A segment the case does not have: a clear error naming it, nothing written.
  const test::CommandResult bad = test::runCommand(
      test::cliPath().string() + " plan-conformal '" + source.string() +
      "' --ptv Tumour --oar Brainstem:max:54 --out '" + (dir / "bad.twinplan").string() + "' 2>&1");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.output.find("no segment named \"Brainstem\""), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(dir / "bad.twinplan"));
}

}  // namespace
}  // namespace twinplan
