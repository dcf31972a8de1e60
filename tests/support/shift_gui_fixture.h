#pragma once
// What the tissue-shift window tests share (gui/shift_drag_test, shift_views_test,
// shift_panel_test): the phantoms at scale 0.4 (built once per process), the main window
// showing a case with the Tissue shift dock raised, LPS points mapped to widget positions, mouse
// events sent there, and screenshots for TWINPLAN_SCREENSHOT_DIR. Header only: GUI tests include it
// (it needs Qt and twinplan_ui, which the other tests do not link).
#include <gtest/gtest.h>

#include <QApplication>
#include <QColor>
#include <QDockWidget>
#include <QImage>
#include <QMouseEvent>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "test_support.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/shift_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::test {

// The head or abdomen phantom at scale 0.4 (a coarse grid: meshes of seconds), built once.
inline const phantom::Phantom& smallPhantom(phantom::PhantomKind kind) {
  static const phantom::Phantom head = [] {
    phantom::PhantomOptions o;
    o.kind = phantom::PhantomKind::Head;
    o.scale = 0.4;
    return phantom::makePhantom(o);
  }();
  if (kind == phantom::PhantomKind::Head) return head;
  static const phantom::Phantom abdomen = [] {
    phantom::PhantomOptions o;
    o.kind = phantom::PhantomKind::Abdomen;
    o.scale = 0.4;
    return phantom::makePhantom(o);
  }();
  return abdomen;
}

// Saves the whole widget, every view rendered, as `name` in TWINPLAN_SCREENSHOT_DIR (if set).
inline void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const ui::VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((std::filesystem::path(dir) / name).string()), "PNG");
}

// Widget (logical) coordinates of an LPS point in a slice view (its projection on the slice).
inline QPointF widgetPoint(ui::SliceViewport* view, const Vec3& p_lps) {
  double x, y;
  view->view().lpsToDisplay(p_lps, x, y);
  const double ratio = view->devicePixelRatioF();
  return QPointF(x / ratio, view->height() - y / ratio);
}

// One mouse event of the left button at a widget position.
inline void sendMouse(QWidget* widget, QEvent::Type type, const QPointF& at,
                      Qt::MouseButtons buttons) {
  QMouseEvent event(type, at, widget->mapToGlobal(at),
                    type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, buttons,
                    Qt::NoModifier);
  QApplication::sendEvent(widget, &event);
}

// A left-button drag in a slice view from `from` by `by_mm` (LPS), in `steps` moves.
inline void dragInView(ui::SliceViewport* view, const Vec3& from, const Vec3& by_mm, int steps) {
  sendMouse(view, QEvent::MouseButtonPress, widgetPoint(view, from), Qt::LeftButton);
  for (int step = 1; step <= steps; ++step)
    sendMouse(view, QEvent::MouseMove, widgetPoint(view, from + by_mm * step / double(steps)),
              Qt::LeftButton);
  sendMouse(view, QEvent::MouseButtonRelease, widgetPoint(view, from + by_mm), Qt::NoButton);
}

// Millimetres per device pixel of a slice view at its current zoom (along its screen's right).
inline double pixel_mm(ui::SliceViewport* view, const Vec3& at_lps) {
  double x0, y0, x1, y1;
  view->view().lpsToDisplay(at_lps, x0, y0);
  view->view().lpsToDisplay(at_lps + 10.0 * view->view().slicePlane().right, x1, y1);
  return 10.0 / std::hypot(x1 - x0, y1 - y0);
}

// The colour a rendered frame shows at a VTK display point (device pixels, origin bottom left):
// the pixel that holds it (pixel i spans display coordinates [i, i + 1)).
inline QColor frameColourAt(const QImage& frame, double x, double y) {
  const int column = int(std::floor(x)), row = frame.height() - 1 - int(std::floor(y));
  EXPECT_TRUE(frame.rect().contains(column, row)) << "point off screen";
  return frame.rect().contains(column, row) ? QColor(frame.pixel(column, row)) : QColor();
}

inline Vec3 centroid(const std::vector<std::pair<Vec3, Vec3>>& edges) {
  Vec3 sum = Vec3::Zero();
  for (const auto& [a, b] : edges) sum += (a + b) / 2;
  return sum / double(std::max<std::size_t>(edges.size(), 1));
}

// The main window (1500 x 950) showing a case, its Tissue shift dock raised; the case is marked
// clean at the end so that closing asks nothing.
class ShiftWindowTest : public ::testing::Test {
 protected:
  void show(const Case& twin) {
    window_ = std::make_unique<ui::MainWindow>(autosave_.path());
    window_->setCase(twin);
    window_->resize(1500, 950);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    panel_ = window_->shiftPanel();
    ASSERT_NE(panel_, nullptr);
    window_->findChild<QDockWidget*>("shiftDock")->raise();
  }
  void TearDown() override {
    if (!window_) return;
    window_->document()->editor().markClean();
    window_->close();
    window_.reset();
  }
  ui::SliceViewport* view(rendering::SliceOrientation o) const { return window_->sliceViewport(o); }

  TempDir autosave_{"twinplan-gui-shift"};
  std::unique_ptr<ui::MainWindow> window_;
  ui::ShiftPanel* panel_ = nullptr;
};

}  // namespace twinplan::test
