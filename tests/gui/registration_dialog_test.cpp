// Registration in the workstation (issue #15 item 3, GUI): the head phantom CT and the same CT
// moved by a known rigid motion (geometry rewritten, another frame of reference) in one case;
// "Register…" driven through its dialog recovers the motion, the result is stored undoably and
// fused at once, its quality is shown in the Series panel, and "Remove registration" and Undo
// take it out. With TWINPLAN_SCREENSHOT_DIR set, the dialog and the fused window are saved there.
#include "twinplan/ui/registration_dialog.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QLabel>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>
#include <cstdlib>
#include <fstream>
#include <functional>

#include "registration_fixture.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/series_alignment.h"
#include "twinplan/registration/transform_file.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

namespace fs = std::filesystem;

void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((fs::path(dir) / name).string()), "PNG");
}

// Runs `act` on the registration dialog once it is up (it is modal: exec() blocks the test).
void whenDialogShows(std::function<void(RegistrationDialog&)> act) {
  auto* poll = new QTimer;
  poll->setInterval(20);
  QObject::connect(poll, &QTimer::timeout, [poll, act] {
    auto* dialog = qobject_cast<RegistrationDialog*>(QApplication::activeModalWidget());
    if (!dialog) return;
    poll->stop();
    poll->deleteLater();
    act(*dialog);
  });
  poll->start();
}

QTreeWidgetItem* rowOf(QTreeWidget& table, const QString& name) {
  for (int r = 0; r < table.topLevelItemCount(); ++r)
    if (table.topLevelItem(r)->text(0) == name) return table.topLevelItem(r);
  return nullptr;
}

bool viewsFuse(const MainWindow& window) {
  for (auto* viewport : window.findChildren<SliceViewport*>())
    if (!viewport->view().hasForeground()) return false;
  return true;
}

class RegistrationInTheUi : public ::testing::Test {
 protected:
  void SetUp() override {
    // Half resolution (112x112x48 at 2x2x4 mm): the rigid registration takes about a second.
    static const phantom::Phantom head = test::headPhantom(0.5);  // made once for all tests
    Case twin = head.twin;
    std::erase_if(twin.volumes, [](const ImageVolume& v) { return v.name != "CT"; });
    ImageVolume& ct = twin.volumes.front();
    ct.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.1001";
    ImageVolume moved = test::movedRigidly(ct, truth_, "CT moved");
    // Another acquisition: its own frame of reference, so it is not fused until registered.
    moved.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.8.498.1002";
    moved.dicom.seriesInstanceUid = "1.2.826.0.1.3680043.8.498.1003";
    twin.volumes.push_back(std::move(moved));
    corners_ = test::boxCorners(ct.geometry());
    window_.resize(1500, 950);
    window_.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window_));
    window_.setCase(std::move(twin));
    table_ = window_.findChild<QTreeWidget*>("seriesTable");
    ASSERT_NE(table_, nullptr);
  }

  // The known motion stored as if registered (tests of what happens after a registration do
  // not need to spend a registration's seconds).
  Registration storeKnownMotion() {
    Registration known;
    known.fixedVolume = "CT";
    known.movingVolume = "CT moved";
    known.method = "rigid";
    known.transform = truth_;
    known.quality = {{"metric_value", -1.0}, {"iterations", 50}};
    window_.document()->apply(edits::setRegistration(window_.currentCase(), known));
    return known;
  }

  const SpatialTransform truth_ = test::knownRigidMotion();
  std::vector<Vec3> corners_;
  MainWindow window_;
  QTreeWidget* table_ = nullptr;
};

TEST_F(RegistrationInTheUi, RegisterDialogRecoversAKnownRigidMotionFusesItAndUndoRemovesIt) {
  ASSERT_FALSE(engine::seriesAlignment(window_.currentCase(), "CT", "CT moved").fusable());
  auto* registerButton = window_.findChild<QPushButton*>("registerSeries");
  ASSERT_NE(registerButton, nullptr);
  ASSERT_TRUE(registerButton->isEnabled());

  bool offered = false;
  whenDialogShows([&](RegistrationDialog& dialog) {
    offered = dialog.choose("CT", "CT moved", "rigid");
    saveScreenshot(dialog, "registration-dialog.png");
    dialog.accept();
  });
  QTest::mouseClick(registerButton, Qt::LeftButton);  // Register… runs until the job is done
  ASSERT_TRUE(offered);

  const auto& registrations = window_.currentCase().registrations;
  ASSERT_EQ(registrations.size(), 1u);
  const Registration stored = registrations.front();  // a copy: undo empties the list
  EXPECT_EQ(stored.fixedVolume, "CT");
  EXPECT_EQ(stored.movingVolume, "CT moved");
  EXPECT_EQ(stored.method, "rigid");
  const double cornerError_mm = test::maxDisagreement_mm(stored.transform, truth_, corners_);
  const double angleError_deg =
      test::rotationDifference_deg(stored.transform.matrix, truth_.matrix);
  EXPECT_LT(cornerError_mm, 0.5);
  EXPECT_LT(angleError_deg, 0.5);
  EXPECT_LT(stored.quality.at("metric_value").get<double>(), -0.3)
      << "Mattes MI of a well-aligned CT pair is clearly negative";
  EXPECT_GT(stored.quality.at("iterations").get<int>(), 0);
  std::cout << "GUI rigid registration: corner error " << cornerError_mm << " mm, "
            << angleError_deg << " deg, MI " << stored.quality.at("metric_value") << ", "
            << stored.quality.at("iterations") << " iterations, " << stored.quality.at("time_s")
            << " s\n";

  // Fused at once, and the quality beside the registration state.
  EXPECT_TRUE(viewsFuse(window_));
  QTreeWidgetItem* row = rowOf(*table_, "CT moved");
  ASSERT_NE(row, nullptr);
  EXPECT_TRUE(row->text(1).startsWith("registered (rigid)")) << row->text(1).toStdString();
  EXPECT_TRUE(row->text(1).contains(registrationQualityText(stored))) << row->text(1).toStdString();
  EXPECT_TRUE(registrationQualityText(stored).contains("iterations"));
  // A checkerboard of the two CTs in grey: aligned edges run straight across the squares.
  FusionSettings checker;
  checker.mode = "checkerboard";
  checker.colourMap = "grey";
  checker.opacity = 1.0;
  window_.setFusion(checker);
  EXPECT_TRUE(viewsFuse(window_));
  saveScreenshot(window_, "registration-fused.png");

  window_.document()->undo();
  EXPECT_TRUE(window_.currentCase().registrations.empty());
  EXPECT_FALSE(viewsFuse(window_));
  EXPECT_TRUE(rowOf(*table_, "CT moved")->text(1).startsWith("not registered"));
  window_.document()->redo();
  ASSERT_EQ(window_.currentCase().registrations.size(), 1u);
  EXPECT_EQ(window_.currentCase().registrations.front(), stored);
}

TEST_F(RegistrationInTheUi, RemoveRegistrationButtonIsUndoableAndShowsNoQualityAfterwards) {
  const Registration stored = storeKnownMotion();
  table_->setCurrentItem(rowOf(*table_, "CT moved"));
  auto* quality = window_.findChild<QLabel*>("registrationQuality");
  auto* remove = window_.findChild<QPushButton*>("removeRegistration");
  ASSERT_TRUE(quality && remove);
  EXPECT_TRUE(quality->text().contains("CT moved onto CT (rigid)"))
      << quality->text().toStdString();
  ASSERT_TRUE(remove->isEnabled());

  QTest::mouseClick(remove, Qt::LeftButton);
  EXPECT_TRUE(window_.currentCase().registrations.empty());
  EXPECT_TRUE(quality->text().isEmpty());
  EXPECT_FALSE(remove->isEnabled());
  window_.document()->undo();
  ASSERT_EQ(window_.currentCase().registrations.size(), 1u);
  EXPECT_EQ(window_.currentCase().registrations.front(), stored);
}

TEST_F(RegistrationInTheUi, ExportAndImportOfAnItkTransformFileRoundTripThroughTheGuiActions) {
  const Registration stored = storeKnownMotion();
  QTemporaryDir dir;
  const fs::path tfm = fs::path(dir.path().toStdString()) / "ct-moved.tfm";
  QString askedFilter;
  window_.setPathChooser([&](const QString&, const QString& filter, bool save) {
    askedFilter = filter;
    EXPECT_EQ(save, !fs::exists(tfm));
    return tfm;
  });
  ASSERT_TRUE(window_.exportRegistration("CT moved"));
  EXPECT_TRUE(askedFilter.contains("*.tfm"));
  // The file as ITK's own reader sees it (registration/transform_file.h reads through
  // itk::TransformFileReader): the stored transform to within the file's printed precision.
  const SpatialTransform written = registration::readItkTransformFile(tfm);
  EXPECT_LT(test::maxDisagreement_mm(written, stored.transform, corners_), 1e-6);

  window_.removeRegistrationOf("CT moved");
  ASSERT_TRUE(window_.currentCase().registrations.empty());
  EXPECT_FALSE(viewsFuse(window_));
  ASSERT_TRUE(window_.importRegistration("CT", "CT moved"));
  ASSERT_EQ(window_.currentCase().registrations.size(), 1u);
  const Registration& imported = window_.currentCase().registrations.front();
  EXPECT_EQ(imported.method, "imported");
  EXPECT_EQ(imported.fixedVolume, "CT");
  EXPECT_EQ(imported.movingVolume, "CT moved");
  EXPECT_LT(test::maxDisagreement_mm(imported.transform, stored.transform, corners_), 1e-6);
  EXPECT_TRUE(viewsFuse(window_));
  window_.document()->undo();
  EXPECT_TRUE(window_.currentCase().registrations.empty());

  // Not a transform file: a clear error, nothing stored.
  const fs::path junk = fs::path(dir.path().toStdString()) / "notes.tfm";
  std::ofstream(junk) << "this is not an ITK transform\n";
  window_.setPathChooser([&](const QString&, const QString&, bool) { return junk; });
  EXPECT_THROW(window_.importRegistration("CT", "CT moved"), Error);
  EXPECT_TRUE(window_.currentCase().registrations.empty());
  // A .dcm is read as a DICOM Spatial Registration: one that is not DICOM is refused too.
  const fs::path notDicom = fs::path(dir.path().toStdString()) / "registration.dcm";
  std::ofstream(notDicom) << "not DICOM\n";
  window_.setPathChooser([&](const QString&, const QString&, bool) { return notDicom; });
  EXPECT_THROW(window_.importRegistration("CT", "CT moved"), Error);
  EXPECT_TRUE(window_.currentCase().registrations.empty());
  // Cancelled chooser: nothing happens.
  window_.setPathChooser([](const QString&, const QString&, bool) { return fs::path(); });
  EXPECT_FALSE(window_.importRegistration("CT", "CT moved"));
  EXPECT_THROW(window_.exportRegistration("CT"), Error) << "CT itself has no registration";
}

TEST_F(RegistrationInTheUi, ResampleMovingOntoFixedAddsTheCtBackOnItsOwnGridUndoably) {
  EXPECT_THROW(window_.resampleRegistered("CT moved"), Error) << "not registered yet";
  storeKnownMotion();
  ASSERT_TRUE(window_.resampleRegistered("CT moved"));
  const Case& twin = window_.currentCase();
  ASSERT_EQ(twin.volumes.size(), 3u);
  const ImageVolume& ct = twin.volumes[0];
  const ImageVolume& resampled = twin.volumes[2];
  EXPECT_EQ(resampled.name, "CT moved (resampled onto CT)");
  EXPECT_EQ(resampled.dicom.frameOfReferenceUid, ct.dicom.frameOfReferenceUid);
  EXPECT_EQ(resampled.geometry().size, ct.geometry().size);
  EXPECT_LT((resampled.geometry().origin_lps - ct.geometry().origin_lps).norm(), 1e-9);
  // "CT moved" is the CT's voxels placed by the known motion: brought back through that motion,
  // every voxel centre lands on its own voxel centre (within 1e-6 voxel), which resampleOnto
  // reads exactly - so the resampled series is the CT, voxel for voxel.
  const auto& size = ct.geometry().size;
  std::size_t compared = 0, equal = 0;
  for (std::int64_t k = 0; k < size[2]; k += 7)
    for (std::int64_t j = 0; j < size[1]; j += 5)
      for (std::int64_t i = 0; i < size[0]; i += 5) {
        ++compared;
        equal += resampled.valueAt(i, j, k) == ct.valueAt(i, j, k);
      }
  EXPECT_EQ(equal, compared);
  EXPECT_EQ(engine::seriesAlignment(twin, "CT", resampled.name).text, "same frame as CT");
  window_.document()->undo();
  EXPECT_EQ(window_.currentCase().volumes.size(), 2u);
}

TEST_F(RegistrationInTheUi, ASeriesOntoItselfOrAnUnknownMethodIsRefusedWithAClearError) {
  try {
    window_.registerSeries("CT", "CT", "rigid");
    FAIL() << "registering a series to itself was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("two different series"), std::string::npos) << e.what();
  }
  EXPECT_THROW(window_.registerSeries("CT", "CT moved", "elastic"), Error);
  EXPECT_THROW(window_.registerSeries("CT", "PET", "rigid"), Error);
  EXPECT_TRUE(window_.currentCase().registrations.empty());
}

}  // namespace
}  // namespace twinplan::ui
