// Measurement tools in a real window: placing points with clicks gives the analytic value;
// undo/redo restore the list exactly; measurements survive save -> reopen.
#include "twinplan/core/measurement.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QMouseEvent>
#include <QTest>
#include <cmath>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

// Water (0 HU) in a 30 mm radius cylinder along S, air around, on 1 x 1 x 2 mm voxels.
Case waterCylinderCase() {
  const ImageGeometry g = fixtures::centredGrid({80, 80, 30}, Vec3(1.0, 1.0, 2.0));
  ImageVolume ct = fixtures::ctVolume(g);
  auto voxels = ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        voxels[g.linearIndex(i, j, k)] = std::hypot(p[0], p[1]) < 30.0 ? 0 : -1000;
      }
  return fixtures::caseWith(std::move(ct), "Water cylinder");
}

class MeasurementTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    showCase(waterCylinderCase(), 0);
    if (HasFatalFailure()) return;
    window_->setCrosshair(Vec3(0, 0, 1.0));  // the slice at S = 1 mm (a voxel centre)
    QTest::qWait(100);
  }

  void clickAt(SliceOrientation orientation, const Vec3& p_lps) {
    SliceViewport* viewport = window_->sliceViewport(orientation);
    double x, y;
    viewport->view().lpsToDisplay(p_lps, x, y);
    const double ratio = viewport->devicePixelRatioF();
    QTest::mouseClick(viewport, Qt::LeftButton, Qt::NoModifier,
                      QPoint(static_cast<int>(std::lround(x / ratio)),
                             static_cast<int>(std::lround(viewport->height() - y / ratio))));
  }
};

TEST_F(MeasurementTest, RulerAngleAndRoiFromClicks) {
  window_->setTool(Tool::Ruler);
  clickAt(SliceOrientation::Axial, Vec3(-20, 0, 1));
  clickAt(SliceOrientation::Axial, Vec3(20, 0, 1));
  window_->setTool(Tool::Angle);
  clickAt(SliceOrientation::Axial, Vec3(20, 0, 1));
  clickAt(SliceOrientation::Axial, Vec3(0, 0, 1));
  clickAt(SliceOrientation::Axial, Vec3(0, 20, 1));
  window_->setTool(Tool::RoiBox);
  clickAt(SliceOrientation::Axial, Vec3(-10, -10, 1));
  clickAt(SliceOrientation::Axial, Vec3(10, 10, 1));

  const auto& measurements = window_->currentCase().measurements;
  ASSERT_EQ(measurements.size(), 3u);
  // A click lands within half a screen pixel (~0.1 mm here) of the intended point.
  EXPECT_NEAR(rulerLength_mm(measurements[0]), 40.0, 0.3);
  EXPECT_NEAR(angle_deg(measurements[1]), 90.0, 1.0);
  const RoiStatistics stats = roiStatistics(window_->currentCase().volumes[0], measurements[2]);
  EXPECT_EQ(stats.mean, 0.0);  // all water
  EXPECT_EQ(stats.sd, 0.0);
  EXPECT_NEAR(static_cast<double>(stats.voxelCount), 20.0 * 20.0, 2 * 21.0 + 1);  // one slice deep
  EXPECT_EQ(measurements[0].name, "Ruler 1");
  EXPECT_TRUE(window_->document()->isModified());
}

TEST_F(MeasurementTest, UndoRedoRestoreTheListExactly) {
  window_->setTool(Tool::Point);
  clickAt(SliceOrientation::Axial, Vec3(5, 5, 1));
  clickAt(SliceOrientation::Axial, Vec3(-5, 5, 1));
  const auto twoPoints = window_->currentCase().measurements;
  ASSERT_EQ(twoPoints.size(), 2u);
  window_->document()->removeMeasurement(0);
  ASSERT_EQ(window_->currentCase().measurements.size(), 1u);
  window_->document()->undo();
  EXPECT_EQ(window_->currentCase().measurements, twoPoints);
  window_->document()->undo();
  window_->document()->undo();
  EXPECT_TRUE(window_->currentCase().measurements.empty());
  EXPECT_FALSE(window_->document()->isModified());
  window_->document()->redo();
  window_->document()->redo();
  EXPECT_EQ(window_->currentCase().measurements, twoPoints);
}

TEST_F(MeasurementTest, DraggingAnEndPointEditsTheRulerUndoably) {
  window_->setTool(Tool::Ruler);
  clickAt(SliceOrientation::Axial, Vec3(-20, 0, 1));
  clickAt(SliceOrientation::Axial, Vec3(20, 0, 1));
  window_->setTool(Tool::Navigate);
  SliceViewport* axial = window_->sliceViewport(SliceOrientation::Axial);
  auto toWidget = [&](const Vec3& p) {
    double x, y;
    axial->view().lpsToDisplay(p, x, y);
    const double ratio = axial->devicePixelRatioF();
    return QPoint(static_cast<int>(std::lround(x / ratio)),
                  static_cast<int>(std::lround(axial->height() - y / ratio)));
  };
  QTest::mousePress(axial, Qt::LeftButton, Qt::NoModifier, toWidget(Vec3(20, 0, 1)));
  QMouseEvent move(QEvent::MouseMove, toWidget(Vec3(20, 15, 1)),
                   axial->mapToGlobal(toWidget(Vec3(20, 15, 1))), Qt::NoButton, Qt::LeftButton,
                   Qt::NoModifier);
  QApplication::sendEvent(axial, &move);
  QTest::mouseRelease(axial, Qt::LeftButton, Qt::NoModifier, toWidget(Vec3(20, 15, 1)));
  const auto& measurements = window_->currentCase().measurements;
  ASSERT_EQ(measurements.size(), 1u);
  EXPECT_NEAR(rulerLength_mm(measurements[0]), std::hypot(40.0, 15.0), 0.4);  // 42.7 mm
  // The crosshair did not move: the drag belonged to the ruler.
  EXPECT_NEAR(axial->view().crosshair()[0], 0.0, 1e-9);
  window_->document()->undo();
  EXPECT_NEAR(rulerLength_mm(window_->currentCase().measurements[0]), 40.0, 0.3);
}

TEST_F(MeasurementTest, SaveAndReopenGiveTheSameCase) {
  window_->setTool(Tool::Ruler);
  clickAt(SliceOrientation::Coronal, Vec3(-10, 0, -10));
  clickAt(SliceOrientation::Coronal, Vec3(10, 0, 10));
  test::TempDir dir;
  ASSERT_TRUE(window_->saveCaseAs(dir / "water.twinplan"));
  EXPECT_FALSE(window_->document()->isModified());
  const Case saved = window_->currentCase();

  MainWindow reopened(autosave_.path());
  reopened.openCase(dir / "water.twinplan");
  const Case& loaded = reopened.currentCase();
  EXPECT_EQ(loaded.name, saved.name);
  EXPECT_EQ(loaded.measurements, saved.measurements);
  ASSERT_EQ(loaded.volumes.size(), 1u);
  EXPECT_TRUE(loaded.volumes[0].geometry().sameGridAs(saved.volumes[0].geometry(), 1e-9));
  EXPECT_TRUE(std::equal(loaded.volumes[0].bytes().begin(), loaded.volumes[0].bytes().end(),
                         saved.volumes[0].bytes().begin()));
  EXPECT_NEAR(rulerLength_mm(loaded.measurements[0]), std::sqrt(800.0), 0.3);
}

}  // namespace
}  // namespace twinplan::ui
