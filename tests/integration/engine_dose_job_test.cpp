// The "dose" job (issue #19 item 2): an RT Plan's dose computed on the case's planning CT and
// stored in the case as a dose result, with the same numbers as `twinplan-cli dose` on the same
// CT and plan (one kernel behind both front ends). Input: the pydicom water box and two 6 MV
// beams of tests/integration/dose_water_fixture.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/radiotherapy/pencil_beam.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path caseWithCt(const test::TempDir& dir) {
  const test::CommandResult fixture = test::runCommand(
      "/usr/bin/python3 '" +
      (fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/dose_water_fixture.py").string() + "' '" +
      dir.path().string() + "' --lateral-6mv 2>&1");
  EXPECT_EQ(fixture.status, 0) << fixture.output;
  const io::DicomIndex index = io::scanDicom(dir / "ct");
  Case twin;
  for (const io::DicomSeries* s : index.allSeries())
    if (s->modality == "CT") twin.volumes.push_back(io::loadVolume(*s));
  EXPECT_EQ(twin.volumes.size(), 1u);
  twin.volumes.front().name = "CT";
  const fs::path file = dir / "water.twinplan";
  saveCase(twin, file);
  return file;
}

TEST(DoseJob, StoresTheCollapsedConeDoseAsTheCliComputesIt) {
  test::TempDir dir("twinplan-dose-job");
  const fs::path file = caseWithCt(dir);
  const fs::path plan = dir / "RP.dcm";
  const auto job = engine::makeJob(
      {{"job", "dose"},
       {"parameters",
        {{"case", file.string()}, {"plan", plan.string()}, {"engine", "collapsed-cone"}}}});
  const json r = job->run(noProgress(), nullptr);
  EXPECT_EQ(r["engine"], "collapsed-cone");
  EXPECT_EQ(r["fractions"].get<int>(), 2);

  const test::CommandResult cli =
      test::runCommand(test::cliPath().string() + " --json dose '" + (dir / "ct").string() +
                       "' --plan '" + plan.string() + "' --engine collapsed-cone 2>/dev/null");
  ASSERT_EQ(cli.status, 0) << cli.output;
  const json c = json::parse(cli.output);
  EXPECT_NEAR(r["isocentre_dose_gy"].get<double>(), c["isocentre_dose_gy"].get<double>(),
              1e-9 * c["isocentre_dose_gy"].get<double>());
  EXPECT_NEAR(r["max_dose_gy"].get<double>(), c["max_dose_gy"].get<double>(),
              1e-6 * c["max_dose_gy"].get<double>());

  const Case stored = loadCase(file);
  ASSERT_EQ(stored.fields.size(), 1u);
  const ScalarField& dose = stored.fields.front();
  EXPECT_EQ(dose.name, r["field"].get<std::string>());
  EXPECT_EQ(dose.quantity, "dose");
  EXPECT_EQ(dose.unit, units::kGray);
  EXPECT_TRUE(dose.geometry.sameGridAs(
      radiotherapy::doseGridCovering(stored.volumes.front().geometry(), 2.5)));
  const float maxStored = *std::max_element(dose.values.begin(), dose.values.end());
  EXPECT_NEAR(maxStored, r["max_dose_gy"].get<double>(), 1e-5 * maxStored);
}

TEST(DoseJob, RefusesAnUnknownEngineBeforeAnyWork) {
  test::TempDir dir("twinplan-dose-job-engine");
  EXPECT_THROW(engine::makeJob({{"job", "dose"},
                                {"parameters",
                                 {{"case", (dir / "none.twinplan").string()},
                                  {"plan", (dir / "RP.dcm").string()},
                                  {"engine", "monte-carlo"}}}}),
               Error);
}

}  // namespace
}  // namespace twinplan
