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

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPlanName = "Left frontal";

json runJson(const std::string& arguments) {
  const test::CommandResult r =
      test::runCommand(test::cliPath().string() + " --json " + arguments + " 2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.output;
  return json::parse(r.output);
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// The head phantom written once (DICOM CT + case), planned once in the case: three 6 MV beams on
// the tumour, 60 Gy in 30 fractions, pencil beam on a 3 mm grid.
class CasePlanCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-case-plan-cli");
    phantom::PhantomOptions options;
    options.kind = phantom::PhantomKind::Head;
    options.scale = 0.5;
    options.surfaceModels = false;
    phantom::writePhantom(phantom::makePhantom(options), dir_->path());
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

}  // namespace
}  // namespace twinplan
