// Registration and DICOM files in the workstation (issue #15 items 1, 3, 4, GUI): a head CT and
// the same CT moved by a known rigid motion, written as two DICOM series in two frames of
// reference and imported through the browser. Series > Export registration as DICOM writes a
// Spatial Registration object that our importer and pydicom read back as the known motion, and
// refuses a B-spline saying why; a case reopened in a fresh window lists and selects its series
// in the DICOM browser, and reports files that moved without failing; the Follow-up panel's
// "Register follow-up" button stores the known motion of a later study.
#include <gtest/gtest.h>

#include <QDockWidget>
#include <QPushButton>
#include <QStatusBar>
#include <QTest>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dicom_sro_reader.h"
#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_registration.h"
#include "twinplan/io/dicom_writer.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/followup_panel.h"
#include "twinplan/ui/main_window.h"

namespace twinplan::ui {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class RegistrationFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-registration-dicom");
    const phantom::Phantom head = test::headPhantom(0.25);
    const ImageVolume& ct = test::volumeOf(head, "CT");
    ctFrame_ = new std::string(io::makeDicomUid(io::UidKind::FrameOfReference));
    movedFrame_ = new std::string(io::makeDicomUid(io::UidKind::FrameOfReference));
    io::DicomWriteOptions fixed, moved;
    fixed.frameOfReferenceUid = *ctFrame_;
    fixed.seriesDescription = "Head CT";
    fixed.seriesInstanceUid = io::makeDicomUid(io::UidKind::Series);
    moved.frameOfReferenceUid = *movedFrame_;
    moved.seriesDescription = "Head CT moved";
    moved.seriesNumber = 2;
    moved.seriesInstanceUid = io::makeDicomUid(io::UidKind::Series);
    io::writeDicomSeries(ct, dir_->path() / "ct", fixed);
    io::writeDicomSeries(test::movedRigidly(ct, test::knownRigidMotion(), "CT moved"),
                         dir_->path() / "moved", moved);
    std::ofstream(dir_->path() / "read_sro.py") << test::kPydicomSroReader;
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete ctFrame_;
    delete movedFrame_;
  }

  void SetUp() override {
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->resize(1400, 900);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    openBothSeries(*window_);
  }
  void TearDown() override { window_->document()->markClean(); }

  // Imports both folders into the browser, opens the CT and adds the moved CT to its case.
  static void openBothSeries(MainWindow& window) {
    ASSERT_TRUE(window.importDicom(dir_->path() / "ct"));
    ASSERT_TRUE(window.importDicom(dir_->path() / "moved"));
    const io::DicomSeries* ct = seriesInFrame(window, *ctFrame_);
    const io::DicomSeries* moved = seriesInFrame(window, *movedFrame_);
    ASSERT_TRUE(ct && moved);
    ASSERT_TRUE(window.loadSeries(*ct));
    ASSERT_TRUE(window.addSeriesToCase(*moved, false));
    ASSERT_EQ(window.currentCase().volumes.size(), 2u);
  }
  static const io::DicomSeries* seriesInFrame(const MainWindow& window, const std::string& uid) {
    for (const io::DicomSeries* series : window.dicomBrowser()->index().allSeries())
      if (series->frameOfReferenceUid == uid) return series;
    return nullptr;
  }
  const std::string& fixedName() const { return window_->currentCase().volumes[0].name; }
  const std::string& movingName() const { return window_->currentCase().volumes[1].name; }

  void storeRegistration(const SpatialTransform& transform, const std::string& method) {
    Registration known;
    known.fixedVolume = fixedName();
    known.movingVolume = movingName();
    known.method = method;
    known.transform = transform;
    window_->document()->apply(edits::setRegistration(window_->currentCase(), known));
  }

  static test::TempDir* dir_;
  static std::string* ctFrame_;
  static std::string* movedFrame_;
  const SpatialTransform truth_ = test::knownRigidMotion();
  test::TempDir autosave_{"twinplan-registration-dicom-autosave"};
  std::unique_ptr<MainWindow> window_;
};
test::TempDir* RegistrationFiles::dir_ = nullptr;
std::string* RegistrationFiles::ctFrame_ = nullptr;
std::string* RegistrationFiles::movedFrame_ = nullptr;

TEST_F(RegistrationFiles, ExportAsDicomIsReadBackByTheImporterAndPydicomAsTheKnownMotion) {
  storeRegistration(truth_, "rigid");
  test::TempDir out("twinplan-sro-out");
  const fs::path file = out / "registration.dcm";
  QString filter;
  window_->setPathChooser([&](const QString&, const QString& asked, bool save) {
    EXPECT_TRUE(save);
    filter = asked;
    return file;
  });
  ASSERT_TRUE(window_->exportRegistrationAsDicom(movingName()));
  EXPECT_TRUE(filter.contains("*.dcm"));
  const std::vector<Vec3> corners = test::boxCorners(window_->currentCase().volumes[0].geometry());

  // Our importer: the frames of the two series and the known motion.
  const io::SpatialRegistrationRead read = io::readSpatialRegistration(file);
  EXPECT_EQ(read.fixedFrameOfReferenceUid, *ctFrame_);
  EXPECT_EQ(read.movingFrameOfReferenceUid, *movedFrame_);
  EXPECT_EQ(read.matrixType, "RIGID");
  EXPECT_LT(test::maxDisagreement_mm(read.fixedToMoving, truth_, corners), 1e-6);

  // pydicom: the matrix written maps the moving frame into the fixed one (the inverse of our
  // fixed -> moving), every image of both series referenced.
  const auto result = test::readSroWithPydicom(dir_->path() / "read_sro.py", file);
  ASSERT_EQ(result.status, 0) << result.output;
  const json sro = json::parse(result.output);
  EXPECT_EQ(sro["sopClass"], "1.2.840.10008.5.1.4.1.1.66.1");  // Spatial Registration Storage
  EXPECT_EQ(sro["for"], *ctFrame_);
  ASSERT_EQ(sro["items"].size(), 2u);
  const json& moving = sro["items"][1];
  EXPECT_EQ(moving["for"], *movedFrame_);
  EXPECT_EQ(moving["type"], "RIGID");
  const Eigen::Matrix4d expected = truth_.inverse().homogeneous();
  double worst = 0.0;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      worst = std::max(worst, std::abs(moving["matrix"][4 * r + c].get<double>() - expected(r, c)));
  EXPECT_LT(worst, 1e-6);
  const auto slices = window_->currentCase().volumes[1].geometry().size[2];
  EXPECT_EQ(moving["images"].get<std::int64_t>(), slices);

  // Imported back through the GUI's own action, after removing the registration.
  window_->removeRegistrationOf(movingName());
  window_->setPathChooser([&](const QString&, const QString&, bool) { return file; });
  ASSERT_TRUE(window_->importRegistration(fixedName(), movingName()));
  ASSERT_EQ(window_->currentCase().registrations.size(), 1u);
  EXPECT_LT(
      test::maxDisagreement_mm(window_->currentCase().registrations[0].transform, truth_, corners),
      1e-6);
}

TEST_F(RegistrationFiles, ABSplineIsRefusedSayingWhyAndNothingIsWritten) {
  SpatialTransform deformable = truth_;
  deformable.kind = SpatialTransform::Kind::BSpline;
  deformable.bspline.grid.size = {4, 4, 4};
  deformable.bspline.grid.spacing_mm = Vec3(80, 80, 80);
  deformable.bspline.grid.origin_lps = Vec3(-120, -120, -120);
  deformable.bspline.coefficients.assign(64, Vec3(1.0, 0.0, 0.0));
  storeRegistration(deformable, "bspline");
  bool asked = false;
  window_->setPathChooser([&](const QString&, const QString&, bool) {
    asked = true;
    return fs::path();
  });
  try {
    window_->exportRegistrationAsDicom(movingName());
    FAIL() << "a B-spline was exported as a Spatial Registration";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    const std::string why = e.what();
    EXPECT_NE(why.find("Deformable Spatial Registration"), std::string::npos) << why;
    EXPECT_NE(why.find("ITK transform file"), std::string::npos) << why;
  }
  EXPECT_FALSE(asked) << "refused before asking where to write";
  // And a series without a registration.
  EXPECT_THROW(window_->exportRegistrationAsDicom(fixedName()), Error);
}

TEST_F(RegistrationFiles, AReopenedCaseListsAndSelectsItsSeriesAndReportsFilesThatMoved) {
  test::TempDir saved("twinplan-reopened-case");
  ASSERT_TRUE(window_->saveCaseAs(saved / "head.twinplan"));
  std::set<std::string> caseSeries;
  std::map<std::string, std::size_t> fileCount;
  for (const auto& reference : window_->currentCase().series) {
    caseSeries.insert(reference.seriesInstanceUid);
    fileCount[reference.seriesInstanceUid] = reference.files.size();
  }
  ASSERT_EQ(caseSeries.size(), 2u);

  {
    MainWindow fresh(autosave_.path());  // a fresh session: the browser lists nothing
    fresh.show();
    ASSERT_TRUE(fresh.dicomBrowser()->index().allSeries().empty());
    fresh.openCase(saved / "head.twinplan");
    for (const std::string& uid : caseSeries) {
      const io::DicomSeries* listed = fresh.dicomBrowser()->index().findSeries(uid);
      ASSERT_NE(listed, nullptr) << uid;
      EXPECT_EQ(listed->instances.size(), fileCount[uid]) << "every file of the series listed";
      EXPECT_GT(fileCount[uid], 1u);
    }
    EXPECT_EQ(fresh.dicomBrowser()->caseSeries(), caseSeries);
    EXPECT_EQ(caseSeries.count(fresh.dicomBrowser()->selectedSeries()), 1u)
        << "opening a case selects its series";
    // The listing is what the SRO export needs: it works in the fresh session.
    Registration known;
    known.fixedVolume = fresh.currentCase().volumes[0].name;
    known.movingVolume = fresh.currentCase().volumes[1].name;
    known.method = "rigid";
    known.transform = truth_;
    fresh.document()->apply(edits::setRegistration(fresh.currentCase(), known));
    test::TempDir out("twinplan-reopened-sro");
    fresh.setPathChooser([&](const QString&, const QString&, bool) { return out / "r.dcm"; });
    EXPECT_TRUE(fresh.exportRegistrationAsDicom(known.movingVolume));
    EXPECT_EQ(io::readSpatialRegistration(out / "r.dcm").movingFrameOfReferenceUid, *movedFrame_);
    fresh.document()->markClean();
  }

  // The moved CT's folder is renamed: the case still opens, the CT is listed, the rest said.
  const fs::path movedFolder = dir_->path() / "moved";
  const fs::path elsewhere = dir_->path() / "moved-elsewhere";
  fs::rename(movedFolder, elsewhere);
  MainWindow fresh(autosave_.path());
  fresh.show();
  EXPECT_NO_THROW(fresh.openCase(saved / "head.twinplan"));
  const std::string message = fresh.statusBar()->currentMessage().toStdString();
  fs::rename(elsewhere, movedFolder);
  EXPECT_EQ(fresh.currentCase().volumes.size(), 2u);
  EXPECT_NE(
      fresh.dicomBrowser()->index().findSeries(fresh.currentCase().series[0].seriesInstanceUid),
      nullptr);
  EXPECT_EQ(
      fresh.dicomBrowser()->index().findSeries(fresh.currentCase().series[1].seriesInstanceUid),
      nullptr);
  EXPECT_NE(message.find("no longer where the case was saved"), std::string::npos) << message;
  EXPECT_NE(message.find("Head CT moved"), std::string::npos) << message;
  fresh.document()->markClean();
}

// "Register follow-up" on a baseline CT and a later study of it moved by the known motion (its
// own frame of reference): the stored registration is the motion.
TEST(FollowUpRegistrationButton, StoresTheKnownMotionOfTheLaterStudy) {
  const phantom::Phantom head = test::headPhantom(0.5);  // rigid MI in about a second
  Case twin;
  twin.name = "Follow-up";
  ImageVolume baseline = test::volumeOf(head, "CT");
  baseline.name = "CT";
  baseline.dicom.patientId = "TP-0001";
  baseline.dicom.studyDate = "20260101";
  baseline.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.3001";
  const SpatialTransform truth = test::knownRigidMotion();
  ImageVolume later = test::movedRigidly(baseline, truth, "CT 2026-04-01");
  later.dicom.studyDate = "20260401";
  later.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.3002";
  twin.volumes = {baseline, later};
  test::TempDir autosave("twinplan-followup-autosave");
  MainWindow window(autosave.path());
  window.resize(1400, 900);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  window.setCase(std::move(twin));
  window.findChild<QDockWidget*>("followUpDock")->raise();
  auto* button = window.findChild<QPushButton*>("registerFollowUp");
  ASSERT_NE(button, nullptr);
  ASSERT_TRUE(button->isEnabled());
  QTest::mouseClick(button, Qt::LeftButton);  // runs until the registration is stored

  const auto& registrations = window.currentCase().registrations;
  ASSERT_EQ(registrations.size(), 1u);
  const Registration& stored = registrations.front();
  EXPECT_EQ(stored.fixedVolume, "CT");
  EXPECT_EQ(stored.movingVolume, "CT 2026-04-01");
  const auto corners = test::boxCorners(baseline.geometry());
  const double cornerError_mm = test::maxDisagreement_mm(stored.transform, truth, corners);
  const double angleError_deg = test::rotationDifference_deg(stored.transform.matrix, truth.matrix);
  EXPECT_LT(cornerError_mm, 0.5);
  EXPECT_LT(angleError_deg, 0.5);
  std::cout << "Register follow-up button: corner error " << cornerError_mm << " mm, "
            << angleError_deg << " deg\n";
  window.document()->markClean();
}

}  // namespace
}  // namespace twinplan::ui
