// The live liver tool in a real window (issue #18 item 8) on the abdomen phantom (scale 0.4, a
// 16 mm mesh: seconds): grabbed, dragged with the mouse in the axial view and pushed with the
// slider; each move one co-rotational update off the GUI thread, the organ's 3D model and the
// targets' table following.
#include <gtest/gtest.h>

#include <QApplication>
#include <QDockWidget>
#include <QMouseEvent>
#include <QTest>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "test_support.h"
#include "twinplan/engine/live_tool.h"
#include "twinplan/engine/plan_targets.h"
#include "twinplan/engine/tissue_shift.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/rendering/shift_overlay.h"
#include "twinplan/ui/live_tool_driver.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/shift_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((std::filesystem::path(dir) / name).string()), "PNG");
}

// Widget coordinates of an LPS point in a slice view (its projection on the slice).
QPointF widgetPoint(SliceViewport* view, const Vec3& p_lps) {
  double x, y;
  view->view().lpsToDisplay(p_lps, x, y);
  const double ratio = view->devicePixelRatioF();
  return QPointF(x / ratio, view->height() - y / ratio);
}

void sendMouse(QWidget* widget, QEvent::Type type, const QPointF& at, Qt::MouseButtons buttons) {
  QMouseEvent event(type, at, widget->mapToGlobal(at),
                    type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, buttons,
                    Qt::NoModifier);
  QApplication::sendEvent(widget, &event);
}

// The live liver tool dragged in the axial view: a press on the liver and a drag of 8 mm
// towards posterior moves the tool 8 mm (within a screen pixel), the tip marker follows, and
// once the drag ends the targets' table shows what the engine computes for that tool offset
// from scratch (a fresh session, solved to its static answer).
TEST(ShiftToolDrag, DraggingTheLiverInTheAxialViewMovesTheToolAndTheTargets) {
  test::TempDir autosave("twinplan-gui-tool-drag");
  phantom::PhantomOptions o;
  o.scale = 0.4;
  const phantom::Phantom abdomen = phantom::makePhantom(o);
  MainWindow window(autosave.path());
  window.setCase(abdomen.twin);
  window.resize(1500, 950);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ShiftPanel* panel = window.shiftPanel();
  engine::TissueShiftParameters p = panel->parameters();
  p.scenario = "liver-tool";
  p.resolution_mm = 16;
  panel->setParameters(p);
  window.findChild<QDockWidget*>("shiftDock")->raise();
  ASSERT_TRUE(window.grabOrgan());
  panel->setGrabbing(true);
  const engine::LiveToolSession& session = *window.liveTool()->session();
  const Vec3 grab = session.grabPoint();

  // Press 5 mm inside the liver below the grab point, on the axial slice through it.
  const Vec3 press = grab + 5.0 * session.direction();
  window.setCrosshair(press);
  SliceViewport* axial = window.sliceViewport(SliceOrientation::Axial);
  {
    const VtkViewport::RenderAllNow everyView;
    axial->repaint();
  }
  const Vec3 drag_mm(0, 8, 0);
  sendMouse(axial, QEvent::MouseButtonPress, widgetPoint(axial, press), Qt::LeftButton);
  for (int step = 1; step <= 8; ++step)
    sendMouse(axial, QEvent::MouseMove, widgetPoint(axial, press + drag_mm * step / 8.0),
              Qt::LeftButton);
  sendMouse(axial, QEvent::MouseButtonRelease, widgetPoint(axial, press + drag_mm), Qt::NoButton);
  QTRY_VERIFY_WITH_TIMEOUT(!window.liveTool()->busy(), 20000);

  // The tool moved with the mouse, within a screen pixel (the press and release are rounded to
  // whole pixels), and the crosshair stayed (the drag was the tool's).
  double x0, y0, x1, y1;
  axial->view().lpsToDisplay(press, x0, y0);
  axial->view().lpsToDisplay(press + Vec3(10, 0, 0), x1, y1);
  const double pixel_mm = 10.0 / std::abs(x1 - x0);
  const Vec3 offset = window.liveToolOffset_mm();
  EXPECT_LT((offset - drag_mm).norm(), 2 * pixel_mm) << offset.transpose();
  const LabelMap* labels = nullptr;
  for (const LabelMap& l : abdomen.twin.labelMaps)
    if (l.findSegment("Liver")) labels = &l;
  ASSERT_NE(labels, nullptr);
  EXPECT_LT((offset - drag_mm).norm(), labels->geometry().spacing_mm.maxCoeff());  // a voxel
  EXPECT_LT((axial->view().crosshair() - press).norm(), 1e-6);
  ASSERT_TRUE(window.shiftOverlay(SliceOrientation::Axial).toolTip().has_value());
  EXPECT_LT((*window.shiftOverlay(SliceOrientation::Axial).toolTip() - (grab + offset)).norm(),
            1e-9);
  EXPECT_TRUE(panel->liveText().startsWith("Tool")) << panel->liveText().toStdString();
  // The organ deforms in 2D too: where the moved liver model cuts the axial slice, the line
  // passes by the tip, 8 mm behind where the surface was.
  const auto cut = window.shiftOverlay(SliceOrientation::Axial).liveSurfaceEdges();
  ASSERT_GT(cut.size(), 10u);
  double tipToCut = 1e9;
  for (const auto& [a, b] : cut)
    tipToCut = std::min({tipToCut, (a - (grab + offset)).norm(), (b - (grab + offset)).norm()});
  EXPECT_LT(tipToCut, 4.0);

  // The table: each target's shift as a fresh session computes it for the same offset.
  const std::vector<engine::PlanTarget> targets = engine::planTargets(abdomen.twin);
  const auto shown = panel->shownTargets();
  ASSERT_EQ(shown.size(), targets.size());
  ASSERT_GE(shown.size(), 1u);
  engine::LiveToolSession fresh(*labels, p.liverTool, std::nullopt, 16);
  fresh.update(offset, 30);
  double largest = 0;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    EXPECT_EQ(shown[t].first, targets[t].name);
    const double engine_mm = fresh.displacementAt(targets[t].p_lps).norm();
    EXPECT_NEAR(shown[t].second, engine_mm, 0.005 + 0.01) << targets[t].name;
    largest = std::max(largest, engine_mm);
  }
  EXPECT_GT(largest, 0.05);  // the drag moved a target
  saveScreenshot(window, "shift_tool_drag.png");

  // The liver's 3D model moved with the tool, posteriorly near it; the held side stays.
  const SurfaceMesh* liver = nullptr;
  for (const SurfaceMesh& m : abdomen.twin.meshes)
    if (m.name == "Liver") liver = &m;
  ASSERT_NE(liver, nullptr);
  const SurfaceMesh& moved = window.liveOrganSurface();
  ASSERT_EQ(moved.points_lps.size(), liver->points_lps.size());
  double nearest = 0, held = 0;
  for (std::size_t v = 0; v < moved.points_lps.size(); ++v) {
    const Vec3 x(liver->points_lps[v][0], liver->points_lps[v][1], liver->points_lps[v][2]);
    const Vec3 u = Vec3(moved.points_lps[v][0], moved.points_lps[v][1], moved.points_lps[v][2]) - x;
    if ((x - grab).norm() < 25) nearest = std::max(nearest, u.y());
    if (x.y() > grab.y() + 150) held = std::max(held, u.norm());
  }
  EXPECT_GT(nearest, 2.0);  // towards posterior, with the tool
  EXPECT_LT(held, 0.5);     // the held side stays

  // The Push slider then sets the push along the tool's direction (the drag's sideways part,
  // here about none, stays).
  panel->setToolOffset_mm(12);
  QTRY_VERIFY_WITH_TIMEOUT(!window.liveTool()->busy() && panel->liveText().startsWith("Tool 12."),
                           20000);
  EXPECT_NEAR(window.liveToolOffset_mm().dot(session.direction()), 12.0, 1e-9);

  // A press off the organ navigates as before: the crosshair moves, the tool does not.
  const Vec3 pushed = window.liveToolOffset_mm();
  const Vec3 outside = grab - 30.0 * session.direction();
  sendMouse(axial, QEvent::MouseButtonPress, widgetPoint(axial, outside), Qt::LeftButton);
  sendMouse(axial, QEvent::MouseButtonRelease, widgetPoint(axial, outside), Qt::NoButton);
  EXPECT_LT((window.liveToolOffset_mm() - pushed).norm(), 1e-12);
  EXPECT_GT((axial->view().crosshair() - press).norm(), 10.0);
  panel->setGrabbing(false);
  window.releaseOrgan();
  EXPECT_FALSE(window.shiftOverlay(SliceOrientation::Axial).toolTip().has_value());
  EXPECT_TRUE(window.shiftOverlay(SliceOrientation::Axial).liveSurfaceEdges().empty());
  window.document()->editor().markClean();
}

}  // namespace
}  // namespace twinplan::ui
