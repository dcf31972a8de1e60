// Probe placement beyond one line in 2D (issue #17 item 5): every probe's needle drawn in the 2D
// views (the current one emphasised, the others calmer), and the tip placed and the entry dragged
// in the 3D view, on the abdomen phantom in a real window under Xvfb.
#include <gtest/gtest.h>
#include <vtkCamera.h>
#include <vtkRenderer.h>

#include <QImage>
#include <QPushButton>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <iostream>

#include "ablation_gui_fixture.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

// The colours main_window_ablation.cpp gives the needles: the current probe's (the markers'
// yellow) and the others'.
constexpr Rgb kCurrent{255, 217, 51};
constexpr Rgb kOther{165, 155, 120};

bool near(const QColor& c, const Rgb& rgb) {
  return std::abs(c.red() - rgb.r) <= 12 && std::abs(c.green() - rgb.g) <= 12 &&
         std::abs(c.blue() - rgb.b) <= 12;
}

class AblationPlacementTest : public fixtures::AblationWindowTest {
 protected:
  // How many pixels of `colour` a 9-pixel walk across the line from `a` to `b` (display
  // pixels, origin bottom-left) meets at fraction `t` along it: the line's drawn width there.
  static int widthAcross(const QImage& frame, const Eigen::Vector2d& a, const Eigen::Vector2d& b,
                         double t, const Rgb& colour) {
    const Eigen::Vector2d at = a + t * (b - a);
    const Eigen::Vector2d across = Eigen::Vector2d(a.y() - b.y(), b.x() - a.x()).normalized();
    int count = 0;
    for (int step = -4; step <= 4; ++step) {
      const Eigen::Vector2d p = at + step * across;
      const int x = int(std::floor(p.x())), y = frame.height() - 1 - int(std::floor(p.y()));
      if (x >= 0 && y >= 0 && x < frame.width() && y < frame.height())
        count += near(frame.pixelColor(x, y), colour);
    }
    return count;
  }

  Eigen::Vector2d display(const Vec3& p_lps) const {
    double x, y;
    axial()->view().lpsToDisplay(p_lps, x, y);
    return {x, y};
  }
};

// Three probes fanned over the 15 mm tumour (on its axial slice, entries anterior and apart, so
// their lines neither cross each other nor the crosshair between 20 % and 80 % of their length):
// in the axial view the pixels along each line are its colour - the current probe's yellow and
// wider, the others calmer and thinner - and choosing another probe moves the emphasis.
TEST_F(AblationPlacementTest, EveryProbesNeedleIsDrawnTheCurrentOneEmphasised) {
  const Vec3 c = tumour().centre_lps;
  window_->setCrosshair(c);
  AblationSetup s = panel_->setup();
  s.livePreview = false;  // the lines alone (the hatched zone lies under them anyway)
  s.probes = {{c + Vec3(-10, 0, 0), c + Vec3(-50, -45, 0)},
              {c + Vec3(5, 0, 0), c + Vec3(25, -55, 0)},
              {c + Vec3(20, 5, 0), c + Vec3(70, -30, 0)}};
  panel_->setSetup(s);
  panel_->setCurrentProbe(1);
  ASSERT_EQ(axial()->view().needles().size(), 3u);

  for (std::size_t current : {std::size_t(1), std::size_t(0)}) {
    panel_->setCurrentProbe(current);
    const QImage frame = axial()->grabFramebuffer();
    for (std::size_t n = 0; n < 3; ++n) {
      const Eigen::Vector2d entry = display(*s.probes[n].entry_lps);
      const Eigen::Vector2d tip = display(*s.probes[n].tip_lps);
      const Rgb colour = n == current ? kCurrent : kOther;
      for (double t : {0.2, 0.35, 0.5, 0.65, 0.8}) {
        const int width = widthAcross(frame, entry, tip, t, colour);
        // Drawn 3 px wide (current) and 1.5 px (rasterised as 1 or 2) for the others.
        if (n == current)
          EXPECT_GE(width, 2) << "probe " << n + 1 << " at " << t;
        else
          EXPECT_GE(width, 1) << "probe " << n + 1 << " at " << t;
        EXPECT_LE(width, n == current ? 5 : 2) << "probe " << n + 1 << " at " << t;
        // Never the other colour: the emphasis follows the current probe.
        EXPECT_EQ(widthAcross(frame, entry, tip, t, n == current ? kOther : kCurrent), 0)
            << "probe " << n + 1 << " at " << t;
      }
    }
  }
  window_->resize(1200, 900);
  QTest::qWait(50);
  fixtures::saveScreenshot(*window_, "ablation-every-probe-2d.png");
}

// The tip clicked in the 3D view on the tumour's model goes to the tumour's middle along the
// line of sight (for this sphere clicked over its centre: the centre), not to its near surface;
// the entry, placed in 2D, is then dragged in 3D: it follows the mouse at its own depth, the
// panel, the 2D lines and the live zone follow, and the drag is one undo step.
TEST_F(AblationPlacementTest, TipPickedIn3DAndEntryDraggedThereAsOneUndoStep) {
  static const phantom::Phantom withModels = phantom::makePhantom({});
  window_->setCase(withModels.twin);
  VolumeViewport* volume = window_->volumeViewport();
  rendering::VolumeView& view = volume->view();
  // Only the tumour's model shown: nothing in front of it (the skin, the liver around it).
  std::optional<std::size_t> tumourMesh;
  const auto& meshes = window_->currentCase().meshes;
  for (std::size_t i = 0; i < meshes.size(); ++i) {
    const bool isTumour = meshes[i].segmentName == tumour().name;
    view.setMeshVisible(i, isTumour);
    if (isTumour) tumourMesh = i;
  }
  ASSERT_TRUE(tumourMesh);
  view.setVolumeVisible(false);
  view.resetCamera();  // anterior view
  view.renderer()->ResetCamera();  // fitted to what is shown: the tumour fills the view
  view.zoom(0.3);                  // ... with room around it for the entry
  (void)volume->grabFramebuffer();  // rendered once: the camera's clipping range is set

  const Vec3 c = tumour().centre_lps;
  QTest::mouseClick(panel_->findChild<QPushButton*>("placeTip"), Qt::LeftButton);
  ASSERT_EQ(panel_->placing(), AblationPanel::Point::Tip);
  ASSERT_TRUE(volume->placing());
  const QPoint atCentre = volume->widgetPosition(c).toPoint();
  QTest::mouseClick(volume, Qt::LeftButton, Qt::NoModifier, atCentre);
  ASSERT_TRUE(panel_->setup().probes[0].tip_lps);
  const Vec3 tip = *panel_->setup().probes[0].tip_lps;
  std::cout << "tip picked in 3D " << (tip - c).norm() << " mm from the tumour's centre ("
            << (tip - c).transpose() << ")\n";
  // Within 1 mm (the click's pixel rounding and the model's facets); a surface pick would
  // stop 7.5 mm in front of it (the tumour's radius, along -y from the anterior view).
  EXPECT_LT((tip - c).norm(), 1.0);
  EXPECT_EQ(panel_->placing(), AblationPanel::Point::Entry);  // the entry comes next

  // The entry in the axial view, anterior and to the patient's right (apart from the tip on
  // the screen of the anterior 3D view).
  window_->setCrosshair(tip);
  const Vec3 entry = tip + Vec3(-40, -45, 0);
  QTest::mouseClick(axial(), Qt::LeftButton, Qt::NoModifier, widgetPoint(entry));
  ASSERT_TRUE(panel_->setup().complete());
  const AblationSetup placed = panel_->setup();
  ASSERT_EQ(volume->handles().size(), 2u);  // tip, entry
  ASSERT_TRUE(waitForPreviewOf(placed));
  (void)volume->grabFramebuffer();
  // The live zone and the probe are drawn in 3D but a placing click sees through them: the
  // pick over the tumour's centre still lands on its model.
  const auto through = volume->pickSurface(QPointF(atCentre), true);
  ASSERT_TRUE(through);
  EXPECT_EQ(view.meshIndexOf(through->prop), tumourMesh);

  // Drag the entry handle in 3D 30 px right and 12 px down.
  const Vec3 before = *placed.probes[0].entry_lps;
  const QPoint from = volume->widgetPosition(before).toPoint();
  const QPoint to = from + QPoint(30, 12);
  const std::size_t undoSteps = window_->document()->editor().historySize();
  QTest::mousePress(volume, Qt::LeftButton, Qt::NoModifier, from);
  QTest::mouseMove(volume, from + QPoint(10, 4));
  QTest::mouseMove(volume, to);
  QTest::mouseRelease(volume, Qt::LeftButton, Qt::NoModifier, to);
  const AblationSetup dragged = panel_->setup();
  const Vec3 moved = *dragged.probes[0].entry_lps;
  EXPECT_EQ(*dragged.probes[0].tip_lps, tip);  // the tip stays
  // Under the mouse where it was released, at the depth it had (the plane facing the camera).
  const QPointF shown = volume->widgetPosition(moved);
  EXPECT_NEAR(shown.x(), to.x(), 0.5);
  EXPECT_NEAR(shown.y(), to.y(), 0.5);
  double dop[3];
  view.renderer()->GetActiveCamera()->GetDirectionOfProjection(dop);
  const Vec3 depth(dop[0], dop[1], dop[2]);
  double eye[3];
  view.renderer()->GetActiveCamera()->GetPosition(eye);
  const Vec3 camera(eye[0], eye[1], eye[2]);
  EXPECT_NEAR((moved - camera).dot(depth), (before - camera).dot(depth), 1e-6);
  EXPECT_GT((moved - before).norm(), 5.0);
  std::cout << "entry dragged " << (moved - before).norm() << " mm: " << before.transpose()
            << " -> " << moved.transpose() << "\n";
  // The 2D views draw the moved needle and the live zone is asked for it.
  ASSERT_EQ(axial()->view().needles().size(), 1u);
  EXPECT_EQ(axial()->view().needles()[0].entry_lps, moved);
  EXPECT_TRUE(waitForPreviewOf(dragged));
  // One undo step takes the whole drag back.
  EXPECT_EQ(window_->document()->editor().historySize(), undoSteps + 1);
  EXPECT_EQ(window_->document()->editor().undoText(), "Edit the ablation plan");
  window_->document()->undo();
  EXPECT_EQ(*panel_->setup().probes[0].entry_lps, before);

  window_->document()->redo();
  window_->resize(1200, 900);
  QTest::qWait(50);
  fixtures::saveScreenshot(*window_, "ablation-3d-placement.png");
}

}  // namespace
}  // namespace twinplan::ui
