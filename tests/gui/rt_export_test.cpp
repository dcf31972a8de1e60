// Exporting a plan from the window (issue #19 item 1: "export RTDOSE and RTPLAN with correct
// references"): File > Export RT plan and the RT panel's "Export plan…" run the export-plan job's
// function (engine::exportCasePlan) on the open case in the background. The head phantom is
// written as DICOM (the structure set references the CT's slices on disk) and opened, planned
// with "Plan conformal"; the three files are read back by pydicom (the export-plan test's probe,
// tests/integration/case_plan_export_probe.py): RP references RS, RD references RP, all three
// in the CT's study and frame of reference. A folder that cannot be made is refused naming it,
// and a cancelled or refused export leaves the folder as it was.
#include <gtest/gtest.h>

#include <QAction>
#include <QDockWidget>
#include <QProgressDialog>
#include <QPushButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QTimer>
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "error_of.h"
#include "gui_fixtures.h"
#include "rt_case_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/rt_panel.h"

namespace twinplan::ui {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using twinplan::test::bytesOf;

std::vector<std::string> listing(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class RtExportTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    phantom::writePhantom(twinplan::test::headPhantom(0.4), files_.path());
    showCase(loadCase(files_ / "head.twinplan"), 0);
    if (HasFatalFailure()) return;
    window_->findChild<QDockWidget*>("rtPanel")->raise();
  }
  bool plan() {
    return window_->planConformal(
        {{"ptv", "Tumour"}, {"beams", "G0,G90,G270"}, {"grid_mm", 4.0}, {"label", "Left frontal"}});
  }
  twinplan::test::TempDir files_{"twinplan-gui-rt-export"};
};

TEST_F(RtExportTest, ExportWritesStructuresPlanAndDoseThatReferenceEachOther) {
  // Offered in the File menu and the panel, the panel's button only with a plan to export.
  ASSERT_NE(window_->findChild<QAction*>("exportRtPlan"), nullptr);
  QPushButton* button = window_->rtPanel()->exportPlanButton();
  EXPECT_FALSE(button->isEnabled());
  const Error none = twinplan::test::errorOf([&] { window_->exportPlan(files_ / "none"); });
  EXPECT_EQ(none.kind(), ErrorKind::InvalidInput);
  EXPECT_FALSE(fs::exists(files_ / "none"));
  ASSERT_TRUE(plan());
  EXPECT_TRUE(button->isEnabled());
  // The plan's dose renamed: the plan still finds it by its result id.
  const std::string doseId = window_->shownResultId();
  window_->renameShownResult("Left frontal, course");
  window_->rtPanel()->findChild<QScrollArea*>()->ensureWidgetVisible(button, 0, 0);
  screenshot("rt-export-plan.png");

  const fs::path out = files_ / "export";
  const std::optional<json> report = window_->exportPlan(out);
  ASSERT_TRUE(report);
  EXPECT_EQ(listing(out), (std::vector<std::string>{"RD.dcm", "RP.dcm", "RS.dcm"}));
  // pydicom's reading of the three files (the CLI export test's probe).
  const json p = twinplan::test::probePlanExport(out);
  ASSERT_FALSE(p.empty());
  const json &rs = p["rtstruct"], &rp = p["rtplan"], &rd = p["rtdose"];
  twinplan::test::expectExportReferencesEachOther(p);
  EXPECT_EQ(rd["summation"], "PLAN");
  EXPECT_EQ(rp["label"], "Left frontal");
  ASSERT_EQ(rp["beams"].size(), 3u);
  EXPECT_EQ(rp["beams"][1]["gantry"].get<double>(), 90.0);
  // What the window reports is what was written, and the plan keeps its UID in the case.
  EXPECT_EQ((*report)["rtplan_sop_instance_uid"], rp["sop_instance_uid"]);
  EXPECT_EQ((*report)["structure_set_sop_instance_uid"], rs["sop_instance_uid"]);
  EXPECT_EQ((*report)["dose"]["field"], "Left frontal, course");
  const ScalarField* dose = findResult(window_->currentCase(), doseId);
  ASSERT_NE(dose, nullptr);
  EXPECT_NEAR(rd["max_gy"].get<double>(),
              *std::max_element(dose->values.begin(), dose->values.end()), 1e-4);
  const ImageVolume& ct = window_->currentCase().volumes.front();
  for (const json* object : {&rs, &rp, &rd}) {
    EXPECT_EQ((*object)["study"], ct.dicom.studyInstanceUid) << (*object)["modality"];
    EXPECT_EQ((*object)["frame_of_reference"], ct.dicom.frameOfReferenceUid)
        << (*object)["modality"];
  }
  EXPECT_EQ(rs["contour_images"], ct.geometry().size[2]);

  // Cancelled while it runs: the first export's files are as they were, nothing else is left.
  const std::string planBytes = bytesOf(out / "RP.dcm");
  {
    QTimer canceller;
    QObject::connect(&canceller, &QTimer::timeout, [&] {
      if (auto* dialog = window_->findChild<QProgressDialog*>())
        emit dialog->canceled();  // as Cancel does
    });
    canceller.start(5);
    EXPECT_FALSE(window_->exportPlan(out));
  }
  EXPECT_EQ(listing(out), (std::vector<std::string>{"RD.dcm", "RP.dcm", "RS.dcm"}));
  EXPECT_EQ(bytesOf(out / "RP.dcm"), planBytes);

  // A folder that cannot be made (a file stands where its parent should be): Error(Io) naming
  // it, and nothing written.
  std::ofstream(files_ / "notes.txt") << "not a folder";
  const fs::path blocked = files_ / "notes.txt" / "export";
  const Error io = twinplan::test::errorOf([&] { window_->exportPlan(blocked); });
  EXPECT_EQ(io.kind(), ErrorKind::Io);
  EXPECT_NE(std::string(io.what()).find(blocked.string()), std::string::npos) << io.what();
  EXPECT_NE(std::string(io.what()).find("choose a folder you can write to"), std::string::npos)
      << io.what();
  EXPECT_EQ(bytesOf(files_ / "notes.txt"), "not a folder");
}

}  // namespace
}  // namespace twinplan::ui
