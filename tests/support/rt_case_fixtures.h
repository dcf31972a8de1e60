#pragma once
// What the radiotherapy tests on a planned case share, in the window (gui/rt_*_test) and through
// the CLI (integration/radiotherapy_case_plan_cli_test, cli_add_dose_test): the head phantom
// they plan on (head_phantom.h) and the pydicom probe of an exported plan
// (integration/case_plan_export_probe.py) with the references its three files must hold. A case
// file's bytes: test::bytesOf (test_support.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "head_phantom.h"  // the head phantom they plan on: test::headPhantom
#include "test_support.h"

namespace twinplan::test {

// A path in single quotes, for a shell command.
inline std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// pydicom's reading of an export's RS.dcm, RP.dcm and RD.dcm in `folder`; `dose16`, when given,
// is where the probe also writes the RT Dose with 16-bit pixels (for dciodvfy). An empty object
// (and a failure) when the probe fails.
inline nlohmann::json probePlanExport(const std::filesystem::path& folder,
                                      const std::filesystem::path& dose16 = {}) {
  namespace fs = std::filesystem;
  const CommandResult r = runCommand(
      "/usr/bin/python3 " +
      quoted(fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/case_plan_export_probe.py") + " " +
      quoted(folder / "RS.dcm") + " " + quoted(folder / "RP.dcm") + " " +
      quoted(folder / "RD.dcm") + (dose16.empty() ? "" : " " + quoted(dose16)) + " 2>&1");
  EXPECT_EQ(r.status, 0) << r.output;
  return r.status == 0 ? nlohmann::json::parse(r.output) : nlohmann::json::object();
}

// The three files' SOP classes (PS3.4 B.5: RT Structure Set, RT Plan, RT Dose Storage) and their
// chain: RT Plan -> RT Structure Set (C.8.8.9), RT Dose -> RT Plan (C.8.8.3).
inline void expectExportReferencesEachOther(const nlohmann::json& probe) {
  const nlohmann::json &rs = probe["rtstruct"], &rp = probe["rtplan"], &rd = probe["rtdose"];
  EXPECT_EQ(rs["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.481.3");
  EXPECT_EQ(rp["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.481.5");
  EXPECT_EQ(rd["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.481.2");
  EXPECT_EQ(rp["referenced_structure_set"], rs["sop_instance_uid"]);
  EXPECT_EQ(rd["referenced_plan"], rp["sop_instance_uid"]);
  EXPECT_EQ(rd["referenced_plan_class"], rp["sop_class_uid"]);
}

}  // namespace twinplan::test
