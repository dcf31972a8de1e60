// Plans stored in a case, through the real binary (issue #19 items 1 and 8): a conformal plan
// made on the head phantom's case (`plan-conformal CASE`, CT at half resolution, 2 x 2 x 4 mm)
// is recomputed by name and by RT Plan SOP Instance UID (`dose CASE --plan NAME`), and exported
// as an RT Structure Set + RT Plan + RT Dose that reference each other (`export-plan`), read back
// with pydicom (case_plan_export_probe.py) and dcmdump.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "rt_case_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::quoted;

constexpr const char* kPlanName = "Left frontal";

json runJson(const std::string& arguments) {
  const test::CommandResult r =
      test::runCommand(test::cliPath().string() + " --json " + arguments + " 2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.output;
  return json::parse(r.output);
}

// The head phantom written once (DICOM CT + case), planned once in the case: three 6 MV beams on
// the tumour, 60 Gy in 30 fractions, pencil beam on a 3 mm grid.
class CasePlanCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-case-plan-cli");
    phantom::writePhantom(test::headPhantom(0.5), dir_->path());
    plan_ = new json(runJson("plan-conformal " + quoted(dir_->path() / "head.twinplan") +
                             " --ptv Tumour --beams G0,G90,G270 --grid 3 --label '" + kPlanName +
                             "' --out " + quoted(planned())));
  }
  static void TearDownTestSuite() {
    delete plan_;
    delete dir_;
  }
  static fs::path planned() { return dir_->path() / "planned.twinplan"; }
  static const json& plan() { return *plan_; }
  static test::TempDir* dir_;
  static json* plan_;
};
test::TempDir* CasePlanCli::dir_ = nullptr;
json* CasePlanCli::plan_ = nullptr;

const ScalarField& storedDose(const Case& twin, const std::string& name) {
  const auto f = std::find_if(twin.fields.begin(), twin.fields.end(),
                              [&](const ScalarField& s) { return s.name == name; });
  EXPECT_NE(f, twin.fields.end()) << name;
  return *f;
}

TEST_F(CasePlanCli, DoseRecomputesAStoredPlanByNameAndByUid) {
  const std::string uid = plan()["rtplan_sop_instance_uid"].get<std::string>();
  ASSERT_FALSE(uid.empty());
  const json byName = runJson("dose " + quoted(planned()) + " --plan '" + kPlanName + "' --grid 3");
  EXPECT_EQ(byName["plan_source"], "case");
  EXPECT_EQ(byName["plan_label"], kPlanName);
  EXPECT_EQ(byName["referenced_plan_sop_instance_uid"], uid);
  EXPECT_EQ(byName["fractions"], 30);
  // The beams and their MU are the stored plan's (the optimiser's weights, per fraction).
  ASSERT_EQ(byName["beams"].size(), 3u);
  for (std::size_t b = 0; b < 3; ++b)
    EXPECT_NEAR(byName["beams"][b]["mu"].get<double>(),
                plan()["beams"][b]["mu_per_fraction"].get<double>(), 1e-6);
  // Same engine, grid and MU as plan-conformal used: the dose it stored in the case comes back.
  const Case twin = loadCase(planned());
  const ScalarField& stored = storedDose(twin, plan()["field"].get<std::string>());
  EXPECT_EQ(byName["grid"]["size"],
            json({stored.geometry.size[0], stored.geometry.size[1], stored.geometry.size[2]}));
  const float storedMax = *std::max_element(stored.values.begin(), stored.values.end());
  EXPECT_NEAR(byName["max_dose_gy"].get<double>(), storedMax, 1e-4 * storedMax);
  std::printf("stored plan dose max %.4f Gy, recomputed by name %.4f Gy, isocentre %.4f Gy\n",
              storedMax, byName["max_dose_gy"].get<double>(),
              byName["isocentre_dose_gy"].get<double>());

  const json byUid = runJson("dose " + quoted(planned()) + " --plan " + uid + " --grid 3");
  EXPECT_EQ(byUid["plan_label"], kPlanName);
  EXPECT_EQ(byUid["max_dose_gy"], byName["max_dose_gy"]);
}

TEST_F(CasePlanCli, UnknownPlanNameListsTheCasesPlans) {
  const test::CommandResult r = test::runCommand(test::cliPath().string() + " dose " +
                                                 quoted(planned()) + " --plan Boost 2>&1");
  EXPECT_EQ(r.status, 4) << r.output;  // NotFound
  EXPECT_NE(r.output.find("no radiotherapy plan named \"Boost\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(std::string("\"") + kPlanName + "\" (UID " +
                          plan()["rtplan_sop_instance_uid"].get<std::string>() + ")"),
            std::string::npos)
      << r.output;
  // A case without plans says how to make one.
  const test::CommandResult none =
      test::runCommand(test::cliPath().string() + " dose " +
                       quoted(dir_->path() / "head.twinplan") + " --plan '" + kPlanName + "' 2>&1");
  EXPECT_EQ(none.status, 4) << none.output;
  EXPECT_NE(none.output.find("it has none (make one with plan-conformal"), std::string::npos)
      << none.output;
}

TEST_F(CasePlanCli, ExportWritesStructuresPlanAndDoseThatReferenceEachOther) {
  const fs::path out = dir_->path() / "export";
  const json e = runJson("export-plan " + quoted(planned()) + " --plan '" + kPlanName + "' --out " +
                         quoted(out));
  // The probe's JSON for the three files; it also writes `dose16`, the RT Dose with 16-bit
  // pixels for dciodvfy.
  const fs::path dose16 = dir_->path() / "RD16.dcm";
  const json p = test::probePlanExport(out, dose16);
  ASSERT_FALSE(p.empty());
  const json &rs = p["rtstruct"], &rp = p["rtplan"], &rd = p["rtdose"];
  // The chain: RT Dose -> RT Plan -> RT Structure Set -> the CT's series and every slice.
  test::expectExportReferencesEachOther(p);
  // The plan keeps the UID it has in the case (what `dose --plan NAME --out` references).
  EXPECT_EQ(rp["sop_instance_uid"], plan()["rtplan_sop_instance_uid"]);
  EXPECT_EQ(e["rtplan_sop_instance_uid"], rp["sop_instance_uid"]);
  EXPECT_EQ(e["structure_set_sop_instance_uid"], rs["sop_instance_uid"]);
  EXPECT_EQ(e["rtdose_sop_instance_uid"], rd["sop_instance_uid"]);
  const Case twin = loadCase(planned());
  const ImageVolume& ct = twin.volumes.front();
  ASSERT_EQ(ct.dicom.modality, "CT");
  EXPECT_EQ(rs["referenced_ct_series"], ct.dicom.seriesInstanceUid);
  EXPECT_EQ(rs["contour_images"], ct.geometry().size[2]);
  for (const json* object : {&rs, &rp, &rd}) {
    EXPECT_EQ((*object)["study"], ct.dicom.studyInstanceUid) << (*object)["modality"];
    EXPECT_EQ((*object)["frame_of_reference"], ct.dicom.frameOfReferenceUid)
        << (*object)["modality"];
    EXPECT_EQ((*object)["patient_id"], ct.dicom.patientId) << (*object)["modality"];
  }
  // The structures are the case's segments (the target among them).
  const auto rois = rs["rois"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(rois.begin(), rois.end(), "Tumour"), rois.end()) << rs["rois"];
  EXPECT_EQ(rois.size(), e["structures"].size());
  // The plan's beams, angles, MU and fractions are the case plan's.
  EXPECT_EQ(rp["label"], kPlanName);
  EXPECT_EQ(rp["fractions"], 30);
  ASSERT_EQ(rp["beams"].size(), 3u);
  for (std::size_t b = 0; b < 3; ++b) {
    const json &written = rp["beams"][b], &made = plan()["beams"][b];
    EXPECT_EQ(written["gantry"].get<double>(), made["gantry_deg"].get<double>());
    // Beam Meterset is a decimal string of at most 16 characters (PS3.5 6.2: DS).
    EXPECT_NEAR(written["meterset"].get<double>(), made["mu_per_fraction"].get<double>(), 1e-6);
    EXPECT_EQ(written["name"], made["name"]);
  }
  // The dose is the plan's dose in the case, on its grid, as a PLAN dose in Gy.
  const ScalarField& stored = storedDose(twin, plan()["field"].get<std::string>());
  EXPECT_EQ(rd["summation"], "PLAN");
  EXPECT_EQ(rd["units"], "GY");
  const ImageGeometry& g = stored.geometry;
  EXPECT_EQ(rd["size"], json({g.size[0], g.size[1], g.size[2]}));
  for (int a = 0; a < 3; ++a) {
    EXPECT_NEAR(rd["spacing"][a].get<double>(), g.spacing_mm[a], 1e-6) << a;
    EXPECT_NEAR(rd["origin"][a].get<double>(), g.origin_lps[a], 1e-6) << a;
  }
  EXPECT_EQ(rd["orientation"], json({1.0, 0.0, 0.0, 0.0, 1.0, 0.0}));
  const float storedMax = *std::max_element(stored.values.begin(), stored.values.end());
  // 32-bit stored values: one step is max / (2^31 - 1).
  EXPECT_NEAR(rd["max_gy"].get<double>(), storedMax, 1e-6 * storedMax);
  std::printf("exported: %zu ROIs, 3 beams, dose %lldx%lldx%lld, max %.4f Gy (case %.4f Gy)\n",
              rois.size(), static_cast<long long>(g.size[0]), static_cast<long long>(g.size[1]),
              static_cast<long long>(g.size[2]), rd["max_gy"].get<double>(), storedMax);
  // DCMTK's own parser reads all three without an error or warning.
  for (const char* file : {"RS.dcm", "RP.dcm", "RD.dcm"}) {
    const test::CommandResult dump =
        test::runCommand("dcmdump " + quoted(out / file) + " 2>&1 >/dev/null");
    EXPECT_EQ(dump.status, 0) << file << ": " << dump.output;
    EXPECT_EQ(dump.output, "") << file;
  }
  // dicom3tools' IOD checker (scripts/setup-deps.sh): no error in any of the three IODs (its
  // warnings, e.g. "Study ID" for a DICOMDIR, are allowed). It aborts on 32-bit OW pixel data,
  // so the RT Dose is checked as the probe's 16-bit copy, every other attribute as written.
  for (const fs::path& file : {out / "RS.dcm", out / "RP.dcm", dose16}) {
    const test::CommandResult check = test::runCommand("dciodvfy " + quoted(file) + " 2>&1");
    ASSERT_NE(check.status, 127) << "dciodvfy is not installed: run scripts/setup-deps.sh";
    EXPECT_EQ(check.output.find("Error"), std::string::npos) << file << ":\n" << check.output;
  }
}

TEST_F(CasePlanCli, ExportRefusesBeforeWritingAnything) {
  const fs::path out = dir_->path() / "refused";
  const test::CommandResult unknown =
      test::runCommand(test::cliPath().string() + " export-plan " + quoted(planned()) +
                       " --plan Boost --out " + quoted(out) + " 2>&1");
  EXPECT_EQ(unknown.status, 4) << unknown.output;
  EXPECT_NE(unknown.output.find("its plans are \"Left frontal\""), std::string::npos)
      << unknown.output;
  // The CT's DICOM files moved away: the structure set could not reference its slices.
  Case moved = loadCase(planned());
  for (SeriesReference& s : moved.series)
    for (std::string& f : s.files) f = (dir_->path() / "gone" / fs::path(f).filename()).string();
  saveCase(moved, dir_->path() / "moved.twinplan");
  const test::CommandResult gone = test::runCommand(
      test::cliPath().string() + " export-plan " + quoted(dir_->path() / "moved.twinplan") +
      " --plan '" + kPlanName + "' --out " + quoted(out) + " 2>&1");
  EXPECT_EQ(gone.status, 4) << gone.output;
  EXPECT_NE(gone.output.find("no longer where the case"), std::string::npos) << gone.output;
  EXPECT_FALSE(fs::exists(out / "RS.dcm"));
  EXPECT_FALSE(fs::exists(out / "RP.dcm"));
  EXPECT_FALSE(fs::exists(out / "RD.dcm"));
}

}  // namespace
}  // namespace twinplan
