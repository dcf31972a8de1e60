// Fixes from the radiologist's first-use trial (issue #15 item 6) in files, import, recovery
// and Help: the real dialogs of the main window, driven as a user would (Xvfb). Each test
// failed before its fix.
#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QDialog>
#include <QFileDialog>
#include <QRegularExpression>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>
#include <fstream>
#include <functional>
#include <sstream>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/ui/case_file_name.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/main_window.h"

namespace twinplan::ui {
namespace {

Case smallCase(const std::string& patient, const std::string& date, const std::string& study) {
  ImageGeometry g;
  g.size = {16, 16, 8};
  ImageVolume ct = fixtures::ctVolume(g);
  ct.dicom.patientName = patient;
  ct.dicom.studyDate = date;
  ct.dicom.studyDescription = study;
  return fixtures::caseWith(std::move(ct), "Small");
}

QAction* action(MainWindow& window, const char* name) {
  auto* found = window.findChild<QAction*>(name);
  EXPECT_NE(found, nullptr) << name;
  return found;
}

// Runs `user` on the modal file dialog the action opens (the event loop of exec() runs it). A
// dialog that does not come is reported; one left open is closed, so a failure never hangs.
void withFileDialog(QAction* trigger, const std::function<void(QFileDialog&)>& user) {
  bool seen = false;
  QTimer poll;
  poll.setInterval(50);
  QObject::connect(&poll, &QTimer::timeout, [&] {
    auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget());
    if (!dialog || !dialog->isVisible()) return;
    poll.stop();
    seen = true;
    user(*dialog);
    if (dialog->isVisible()) dialog->reject();
  });
  poll.start();
  QTimer::singleShot(10000, [] {
    if (auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget())) dialog->reject();
  });
  trigger->trigger();
  poll.stop();
  EXPECT_TRUE(seen) << "no file dialog";
}

class TrialFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
  }
  void TearDown() override { window_->document()->markClean(); }
  test::TempDir autosave_{"twinplan-trial-files"};
  std::unique_ptr<MainWindow> window_;
};

// 10. The import dialog chose folders only: a DICOMDIR could not be picked.
TEST_F(TrialFilesTest, ADicomdirCanBeChosenInTheImportDialog) {
  const auto dicomdir = std::filesystem::canonical(test::sharedData("dicomdir/DICOMDIR"));
  withFileDialog(action(*window_, "importFiles"), [&](QFileDialog& dialog) {
    EXPECT_TRUE(dialog.nameFilters().front().contains("DICOMDIR"));
    EXPECT_EQ(dialog.fileMode(), QFileDialog::ExistingFiles);
  });
  // What the dialog's Open button does with the chosen DICOMDIR (the non-native dialog lists
  // folders in a background thread, so driving its selection is at the mercy of the load).
  window_->importFiles({QString::fromStdString(dicomdir.string())});
  // dcmdump lists 13 SERIES records (0004,1430) of 2 patients in this DICOMDIR.
  EXPECT_EQ(window_->dicomBrowser()->index().allSeries().size(), 13u);
  EXPECT_EQ(window_->dicomBrowser()->index().patients.size(), 2u);
}

// 11. Save suggested "case.twinplan" in the current folder.
TEST_F(TrialFilesTest, SaveSuggestsPatientAndStudyInTheDocumentsFolder) {
  test::TempDir home("twinplan-trial-home");
  const QByteArray oldHome = qgetenv("HOME");
  qputenv("HOME", QByteArray::fromStdString(home.path().string()));
  window_->setCase(smallCase("DOE^JOHN", "20240131", "CT Abdomen"));
  QString suggested;
  withFileDialog(action(*window_, "saveCaseAs"), [&](QFileDialog& dialog) {
    suggested = dialog.selectedFiles().value(0);
    dialog.reject();
  });
  qputenv("HOME", oldHome);
  // Qt's documents folder without an XDG user-dirs file: $HOME/Documents.
  EXPECT_EQ(suggested.toStdString(),
            (home.path() / "Documents" / "DOE_JOHN 2024-01-31 CT Abdomen.twinplan").string());
}

TEST(CaseFileName, PatientDateModalityStudyFileSystemSafe) {
  EXPECT_EQ(defaultCaseFileName(smallCase("DOE^JOHN", "20240131", "Abdomen")),
            "DOE_JOHN 2024-01-31 CT Abdomen.twinplan");
  EXPECT_EQ(defaultCaseFileName(smallCase("DOE^JANE^^^", "20240131", "Liver 3/4: *arterial?*")),
            "DOE_JANE 2024-01-31 CT Liver 3_4_ _arterial__.twinplan");
  EXPECT_EQ(defaultCaseFileName(smallCase("", "", "")), "CT.twinplan");
  Case empty;
  empty.name = " ..";
  EXPECT_EQ(defaultCaseFileName(empty), "case.twinplan");
  const std::string longName = defaultCaseFileName(smallCase(std::string(200, 'A'), "", ""));
  EXPECT_EQ(longName, std::string(120, 'A') + ".twinplan");
  // Cut on a whole UTF-8 character: "é" is two bytes, the 120th byte would split one.
  std::string accents = "X";
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
  const std::string cut = defaultCaseFileName(smallCase(accents, "", ""));
  EXPECT_EQ(cut.size(), 119u + std::string(".twinplan").size());
}

// 12. A recovered case became "Untitled": Save then asked for a new file.
TEST_F(TrialFilesTest, ARecoveredCaseKeepsItsFileName) {
  test::TempDir dir;
  window_->setCase(smallCase("DOE^JOHN", "20240131", "Abdomen"));
  ASSERT_TRUE(window_->saveCaseAs(dir / "john.twinplan"));
  Measurement ruler;
  ruler.kind = Measurement::Kind::Ruler;
  ruler.name = "After the save";
  ruler.points_lps = {Vec3(1, 2, 3), Vec3(4, 6, 3)};
  window_->document()->addMeasurement(ruler);
  ASSERT_TRUE(window_->autosaveNow());
  // The next start (the first never closed: as after a crash).
  MainWindow restarted(autosave_.path());
  ASSERT_TRUE(restarted.recoverAutosave(/*ask=*/false));
  EXPECT_EQ(restarted.document()->file(), dir / "john.twinplan");
  EXPECT_TRUE(restarted.windowTitle().contains("john.twinplan"))
      << restarted.windowTitle().toStdString();
  EXPECT_TRUE(restarted.document()->isModified());
  // Save (Ctrl+S) writes the original file, without a dialog.
  action(restarted, "saveCase")->trigger();
  EXPECT_FALSE(restarted.document()->isModified());
  EXPECT_EQ(loadCase(dir / "john.twinplan").measurements.size(), 1u);
  restarted.document()->markClean();
}

// 13. There was no Help menu.
TEST_F(TrialFilesTest, HelpShowsTheUserGuideAndAbout) {
  action(*window_, "userGuide")->trigger();
  auto* guide = window_->findChild<QDialog*>("userGuide");
  ASSERT_NE(guide, nullptr);
  const QString guideText = guide->findChild<QTextBrowser*>()->toPlainText();
  EXPECT_TRUE(guideText.startsWith("TwinPlan user guide")) << guideText.left(80).toStdString();
  EXPECT_TRUE(guideText.contains("Keyboard shortcuts"));
  guide->close();

  action(*window_, "aboutTwinPlan")->trigger();
  auto* about = window_->findChild<QDialog*>("aboutTwinPlan");
  ASSERT_NE(about, nullptr);
  const QString text = about->findChild<QTextBrowser*>()->toPlainText();
  // The version the build was configured with: project(TwinPlan VERSION x.y.z).
  std::ifstream cmake(std::string(TWINPLAN_SOURCE_DIR) + "/CMakeLists.txt");
  std::stringstream lists;
  lists << cmake.rdbuf();
  const auto version = QRegularExpression("project\\(TwinPlan VERSION ([0-9.]+)")
                           .match(QString::fromStdString(lists.str()))
                           .captured(1);
  ASSERT_FALSE(version.isEmpty());
  EXPECT_TRUE(text.contains("TwinPlan " + version)) << text.left(80).toStdString();
  for (const char* licence :
       {"Apache License, Version 2.0", "Qt 6", "LGPL-3.0", "VTK", "BSD-3-Clause", "ITK", "DCMTK",
        "Eigen", "MPL-2.0", "oneTBB", "nlohmann/json", "MIT", "libzip", "zlib", "Zlib"})
    EXPECT_TRUE(text.contains(licence)) << licence;
  about->close();
}

}  // namespace
}  // namespace twinplan::ui
