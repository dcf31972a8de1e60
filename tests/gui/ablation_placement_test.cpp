// Probe placement beyond one line in 2D (issue #17 item 5): every probe's needle drawn in the 2D
// views (the current one emphasised, the others calmer), and the tip placed and the entry dragged
// in the 3D view, on the abdomen phantom in a real window under Xvfb.
#include <gtest/gtest.h>
#include <vtkCamera.h>
#include <vtkRenderer.h>

#include <QDockWidget>
#include <QImage>
#include <QPushButton>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>

#include "ablation_gui_fixture.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

// The colours main_window_ablation.cpp gives the needles: the current probe's (the markers'
// yellow) and the others'.
constexpr Rgb kCurrent{255, 217, 51};
constexpr Rgb kOther{235, 230, 195};

bool near(const QColor& c, const Rgb& rgb) {
  return std::abs(c.red() - rgb.r) <= 12 && std::abs(c.green() - rgb.g) <= 12 &&
         std::abs(c.blue() - rgb.b) <= 12;
}

class AblationPlacementTest : public fixtures::AblationWindowTest {
 protected:
  // How many pixels of `colour` a walk across the line from `a` to `b` (display pixels, origin
  // bottom-left), 4 pixels either side of it at fraction `t` along it, meets: its drawn width
  // there (in pixels the walk passes through, each counted once).
  static int widthAcross(const QImage& frame, const Eigen::Vector2d& a, const Eigen::Vector2d& b,
                         double t, const Rgb& colour) {
    const Eigen::Vector2d at = a + t * (b - a);
    const Eigen::Vector2d across = Eigen::Vector2d(a.y() - b.y(), b.x() - a.x()).normalized();
    std::set<std::pair<int, int>> met;
    for (double step = -4.0; step <= 4.0; step += 0.25) {
      const Eigen::Vector2d p = at + step * across;
      const int x = int(std::floor(p.x())), y = frame.height() - 1 - int(std::floor(p.y()));
      if (x >= 0 && y >= 0 && x < frame.width() && y < frame.height() &&
          near(frame.pixelColor(x, y), colour))
        met.insert({x, y});
    }
    return int(met.size());
  }

  Eigen::Vector2d display(const Vec3& p_lps) const {
    double x, y;
    axial()->view().lpsToDisplay(p_lps, x, y);
    return {x, y};
  }
};

// Three probes fanned over the 15 mm tumour (on its axial slice, entries 80-90 mm away and
// apart, so their lines neither cross each other, the crosshair nor the T/E rings between 30 %
// and 70 % of their length): in the axial view the pixels along each line are its colour - the
// current probe's yellow band, 3 pixels wide, the others thin, calmer lines - and choosing another
// probe moves the emphasis.
TEST_F(AblationPlacementTest, EveryProbesNeedleIsDrawnTheCurrentOneEmphasised) {
  const Vec3 c = tumour().centre_lps;
  window_->setLayout(Layout::OneUp);  // the axial view alone, large
  window_->setCrosshair(c);
  AblationSetup s = panel_->setup();
  s.livePreview = false;  // the lines alone (the hatched zone lies under them anyway)
  s.probes = {{c + Vec3(-10, 0, 0), c + Vec3(-60, -65, 0)},
              {c + Vec3(5, 0, 0), c + Vec3(30, -80, 0)},
              {c + Vec3(20, 5, 0), c + Vec3(95, -35, 0)}};
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
      for (double t : {0.3, 0.4, 0.5, 0.6, 0.7}) {
        const int width = widthAcross(frame, entry, tip, t, colour);
        // A 3-pixel band (the walk passes 3-5 of its pixels) for the current probe, a 1-pixel
        // line (1-2) for the others.
        EXPECT_GE(width, n == current ? 3 : 1) << "probe " << n + 1 << " at " << t;
        EXPECT_LE(width, n == current ? 5 : 2) << "probe " << n + 1 << " at " << t;
        // Never the other colour: the emphasis follows the current probe.
        EXPECT_EQ(widthAcross(frame, entry, tip, t, n == current ? kOther : kCurrent), 0)
            << "probe " << n + 1 << " at " << t;
      }
    }
  }
  window_->findChild<QDockWidget*>("ablationDock")->raise();
  window_->resize(1200, 900);  // the screenshots' size (docs/user-guide.md)
  QTest::qWait(50);
  fixtures::saveScreenshot(*window_, "ablation-every-probe-2d.png");
}

// The tip clicked in the 3D view on the tumour's model goes to the tumour's middle along the
// line of sight (for this sphere clicked over its centre: the centre), not to its near surface;
// the entry, placed in 2D, is then dragged in 3D: it follows the mouse at its own depth, the
// panel, the 2D lines and the live zone follow, and the drag is one undo step.
TEST_F(AblationPlacementTest, TipPickedIn3DAndEntryDraggedThereAsOneUndoStep) {
  // The phantom with its 3D models, only the tumour's shown: nothing in front of it (the
  // liver around it), as a user aims at it.
  static const phantom::Phantom withModels = phantom::makePhantom({});
  Case twin = withModels.twin;
  for (SurfaceMesh& mesh : twin.meshes) mesh.visible = mesh.segmentName == tumour().name;
  window_->setCase(twin);
  VolumeViewport* volume = window_->volumeViewport();
  rendering::VolumeView& view = volume->view();
  // The 3D scene is built in a later event-loop turn (MainWindow::showCase).
  ASSERT_TRUE(QTest::qWaitFor([&] { return view.meshCount() == twin.meshes.size(); }, 10000));
  std::optional<std::size_t> tumourMesh;
  for (std::size_t i = 0; i < twin.meshes.size(); ++i)
    if (twin.meshes[i].segmentName == tumour().name) tumourMesh = i;
  ASSERT_TRUE(tumourMesh);
  view.setVolumeVisible(false);
  // The anterior view (head up), centred between the tumour and where the entry goes, from
  // 300 mm: about 160 mm of the patient in sight (30 degree view angle).
  view.resetCamera();
  vtkCamera* camera = view.renderer()->GetActiveCamera();
  const Vec3 aim = tumour().centre_lps + Vec3(-20, 0, 0);
  camera->SetFocalPoint(aim.x(), aim.y(), aim.z());
  camera->SetPosition(aim.x(), aim.y() - 300.0, aim.z());
  view.zoom(1.0);  // the clipping range for the new position
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
  // The drag stays in the view.
  ASSERT_TRUE(volume->rect().contains(from) && volume->rect().contains(from + QPoint(30, 12)))
      << from.x() << ", " << from.y() << " in " << volume->width() << " x " << volume->height();
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
  double dop[3], position[3];
  camera->GetDirectionOfProjection(dop);
  camera->GetPosition(position);
  const Vec3 depth(dop[0], dop[1], dop[2]), eyeAt(position[0], position[1], position[2]);
  EXPECT_NEAR((moved - eyeAt).dot(depth), (before - eyeAt).dot(depth), 1e-6);
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
  window_->findChild<QDockWidget*>("ablationDock")->raise();
  window_->resize(1200, 900);
  QTest::qWait(50);
  fixtures::saveScreenshot(*window_, "ablation-3d-placement.png");
}

}  // namespace
}  // namespace twinplan::ui
