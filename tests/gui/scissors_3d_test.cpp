// Scissors in the 3D view of the main window (issue #16 item 4), driven by mouse events: a
// lasso over the left half of the anterior view cuts, at every depth, the voxels of the current
// segment that lie on the patient's right (x < 0 in LPS: the left of the screen when the
// patient faces the viewer), as one undoable edit that the 2D views show.
#include <gtest/gtest.h>
#include <vtkRenderer.h>

#include <QDockWidget>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>
#include <QToolButton>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/segment_table.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

// A CT of 40 x 40 x 20 voxels (2 x 2 x 3 mm) centred on the origin, and a segment "Cube" of
// i, j 15..24 and k 8..11: x = -39 + 2i runs -9..9 mm, five columns each side of x = 0.
Case cubeCase() {
  const ImageGeometry g = fixtures::centredGrid({40, 40, 20}, Vec3(2.0, 2.0, 3.0));
  Case twin = fixtures::caseWith(fixtures::ctVolume(g), "Scissors");
  LabelMap labels(g);
  Segment cube;
  cube.name = "Cube";
  cube.colour = {200, 120, 90};
  labels.addSegment(cube);
  fixtures::fillBox(labels, {15, 15, 8}, {24, 24, 11}, 1);
  twin.labelMaps.push_back(std::move(labels));
  return twin;
}

class Scissors3dTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    showCase(cubeCase());
    if (HasFatalFailure()) return;
    volume_ = window_->volumeViewport();
    volume_->view().resetCamera();  // anterior view, head up
  }

  const LabelMap& labels() { return window_->currentCase().labelMaps[0]; }
  // Drags a lasso through `corners` (widget coordinates) with the left button.
  void drawLasso(const std::vector<QPoint>& corners) {
    QTest::mousePress(volume_, Qt::LeftButton, {}, corners.front());
    for (std::size_t n = 1; n < corners.size(); ++n) QTest::mouseMove(volume_, corners[n]);
    QTest::mouseRelease(volume_, Qt::LeftButton, {}, corners.back());
  }
  std::vector<QPoint> leftHalf() {
    const int w = volume_->width(), h = volume_->height();
    return {{2, 2}, {w / 2, 2}, {w / 2, h - 2}, {2, h - 2}};
  }

  VolumeViewport* volume_ = nullptr;
};

TEST_F(Scissors3dTest, LassoOverTheLeftHalfCutsThePatientsRightAtEveryDepth) {
  window_->segmentTable()->setCurrentSegment({0, 0});
  ASSERT_TRUE(window_->segmentTable()->currentSegment());
  window_->findChild<QToolButton*>("scissors3d")->click();
  ASSERT_TRUE(volume_->scissors());
  drawLasso(leftHalf());
  // Five of ten columns along x, all 10 x 4 voxels in y and z: 200 of 400.
  EXPECT_EQ(labels().voxelCount(0), 200u);
  EXPECT_FALSE(labels().contains(0, 15, 15, 8));   // x = -9, the front bottom corner
  EXPECT_FALSE(labels().contains(0, 19, 24, 11));  // x = -1, the back top corner
  EXPECT_TRUE(labels().contains(0, 20, 15, 8));    // x = +1
  EXPECT_TRUE(labels().contains(0, 24, 24, 11));   // x = +9
  EXPECT_EQ(window_->document()->editor().undoText(), "Scissors on Cube");
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR")) {
    window_->findChild<QDockWidget*>("segmentTableDock")->raise();
    const VtkViewport::RenderAllNow everyView;
    window_->grab().save(QString(dir) + "/scissors-window.png", "PNG");
  }
  // The 2D views show the new voxels (they are pointed at the case's new label maps).
  EXPECT_EQ(window_->sliceViewport(rendering::SliceOrientation::Axial)->view().labelMap(),
            &window_->currentCase().labelMaps.front());
  window_->document()->undo();
  EXPECT_EQ(labels().voxelCount(0), 400u);
}

// A shown 3D model of the cut segment is rebuilt in the background, and one undo takes back the
// cut and the new model together (as after a brush stroke).
TEST_F(Scissors3dTest, ShownModelFollowsTheCutAndItsUndo) {
  window_->segmentTable()->setCurrentSegment({0, 0});
  ASSERT_TRUE(window_->buildModels());
  const auto& meshes = [this]() -> const std::vector<SurfaceMesh>& {
    return window_->currentCase().meshes;
  };
  ASSERT_EQ(meshes().size(), 1u);
  const std::vector<std::array<float, 3>> before = meshes().front().points_lps;
  window_->findChild<QToolButton*>("scissors3d")->click();
  drawLasso(leftHalf());
  ASSERT_EQ(labels().voxelCount(0), 200u);
  ASSERT_TRUE(QTest::qWaitFor([&] { return meshes().front().points_lps != before; }, 10000));
  // The patient-right half (x < 0) is gone: the model now starts near x = 0 (within a voxel).
  float minL = 1e9f;
  for (const auto& p : meshes().front().points_lps) minL = std::min(minL, p[0]);
  EXPECT_NEAR(minL, 0.0f, 2.0f);
  EXPECT_EQ(window_->document()->editor().undoText(), "Scissors on Cube");
  window_->document()->undo();
  EXPECT_EQ(labels().voxelCount(0), 400u);
  EXPECT_EQ(meshes().front().points_lps, before);
}

// The projection the scissors use agrees with VTK's own world -> display mapping of the
// rendered view (vtkRenderer::WorldToDisplay), after a rotation and a zoom.
TEST_F(Scissors3dTest, ProjectionMatchesVtkWorldToDisplay) {
  volume_->view().rotate(35.0, 20.0);
  volume_->view().zoom(1.4);
  const QImage frame = volume_->grabFramebuffer();  // renders: the camera's clipping range is set
  vtkRenderer* renderer = volume_->view().renderer();
  const Eigen::Matrix4d m = volume_->view().lpsToDisplay(frame.width(), frame.height());
  for (const Vec3& p : {Vec3(0, 0, 0), Vec3(-9, 9, 3), Vec3(30, -20, -25), Vec3(-39, -39, 28)}) {
    renderer->SetWorldPoint(p.x(), p.y(), p.z(), 1.0);
    renderer->WorldToDisplay();
    double vtkDisplay[3];
    renderer->GetDisplayPoint(vtkDisplay);
    const Eigen::Vector4d d = m * Eigen::Vector4d(p.x(), p.y(), p.z(), 1.0);
    EXPECT_GT(d.w(), 0.0);
    EXPECT_NEAR(d.x() / d.w(), vtkDisplay[0], 1e-6) << p.transpose();
    EXPECT_NEAR(d.y() / d.w(), vtkDisplay[1], 1e-6) << p.transpose();
  }
}

TEST_F(Scissors3dTest, EraseOutsideAndEscape) {
  window_->segmentTable()->setCurrentSegment({0, 0});
  volume_->setScissors(true);
  volume_->setScissorsSide(segmentation::ScissorsSide::EraseOutside);
  drawLasso(leftHalf());
  EXPECT_EQ(labels().voxelCount(0), 200u);
  EXPECT_TRUE(labels().contains(0, 15, 15, 8));
  EXPECT_FALSE(labels().contains(0, 24, 24, 11));
  QTest::keyClick(volume_, Qt::Key_Escape);
  EXPECT_FALSE(volume_->scissors());
  EXPECT_FALSE(window_->findChild<QToolButton*>("scissors3d")->isChecked());
  // With the scissors off, a drag rotates: the segment keeps its voxels.
  drawLasso(leftHalf());
  EXPECT_EQ(labels().voxelCount(0), 200u);
}

TEST_F(Scissors3dTest, NoCurrentOrALockedSegmentCutsNothing) {
  volume_->setScissors(true);
  drawLasso(leftHalf());
  EXPECT_EQ(labels().voxelCount(0), 400u);
  EXPECT_TRUE(window_->statusBar()->currentMessage().contains("Select a segment"));
  Segment locked = labels().segments()[0];
  locked.locked = true;
  window_->document()->apply(edits::replaceLabelMaps(
      window_->currentCase(),
      [&] {
        auto maps = window_->currentCase().labelMaps;
        maps[0].segments()[0] = locked;
        return maps;
      }(),
      "Lock"));
  window_->segmentTable()->setCurrentSegment({0, 0});
  drawLasso(leftHalf());
  EXPECT_EQ(labels().voxelCount(0), 400u);
  EXPECT_TRUE(window_->statusBar()->currentMessage().contains("locked"));
}

}  // namespace
}  // namespace twinplan::ui
