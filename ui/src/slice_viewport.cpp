#include "twinplan/ui/slice_viewport.h"

#include <QApplication>
#include <QFocusEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <utility>

namespace twinplan::ui {

namespace {
// Set when the keyboard focus leaves a 2D view for another 2D view: moving between the views
// is one workspace, and a click there picks at once.
bool focusMovedBetweenViews = false;
}  // namespace

SliceViewport::SliceViewport(rendering::SliceOrientation orientation, QWidget* parent)
    : VtkViewport(parent), view_(std::make_unique<rendering::SliceView>(orientation)) {
  addRenderer(view_->renderer());
  setToolTip(
      tr("Left: crosshair · Wheel: slice · Right drag: window/level · Middle drag: pan · "
         "Ctrl+wheel: zoom · R: reset view"));
}

SliceViewport::~SliceViewport() = default;

void SliceViewport::viewportResized(int /*width_px*/, int /*height_px*/) {
  view_->resetCamera();
  emit resized();
}

void SliceViewport::moveCrosshairTo(const QPointF& position) {
  const QPoint display = toVtkDisplay(position);
  Vec3 p_lps;
  if (view_->displayToLps(display.x(), display.y(), p_lps)) emit crosshairMoved(p_lps);
}

void SliceViewport::mousePressEvent(QMouseEvent* event) {
  dragButton_ = event->button();
  lastPosition_ = event->position();
  // Only the press that came with the focus may be swallowed, whatever its button.
  const bool focusingClick = std::exchange(focusingClick_, false);
  if (dragButton_ != Qt::LeftButton) return;
  if (editMode_) {
    dragButton_ = Qt::NoButton;  // the editor owns the left button
    const QPoint display = toVtkDisplay(event->position());
    Vec3 p_lps;
    if (!focusingClick && view_->displayToLps(display.x(), display.y(), p_lps)) {
      editDrag_ = true;
      emit editPressed(p_lps, event->modifiers());
    }
    return;
  }
  if (pickMode_ && focusingClick) {
    dragButton_ = Qt::NoButton;
    return;
  }
  // A press on a landmark ring drags it, also while placing (pick mode).
  const QPoint at = toVtkDisplay(event->position());
  draggedLandmark_ = view_->landmarkAt(at.x(), at.y(), 6.0 * devicePixelRatioF());
  if (draggedLandmark_) {
    landmarkPress_ = event->position();
    return;
  }
  if (pickMode_) {
    Vec3 p_lps;
    if (view_->displayToLps(at.x(), at.y(), p_lps)) emit pointPicked(p_lps);
    dragButton_ = Qt::NoButton;  // a pick is a click, not a drag
    return;
  }
  draggedPoint_ = view_->measurementPointAt(at.x(), at.y(), 6.0 * devicePixelRatioF());
  if (!draggedPoint_) moveCrosshairTo(event->position());
}

void SliceViewport::mouseMoveEvent(QMouseEvent* event) {
  const QPointF delta = event->position() - lastPosition_;
  lastPosition_ = event->position();
  hoverPosition_ = event->position();
  const QPoint display = toVtkDisplay(event->position());
  Vec3 p_lps;
  const bool inside = view_->displayToLps(display.x(), display.y(), p_lps);
  emit cursorMoved(p_lps, inside);
  if (editMode_) {
    emit editHovered(p_lps, inside);
    if (editDrag_ && inside) emit editDragged(p_lps);
  }
  switch (dragButton_) {
    case Qt::LeftButton:
      if (draggedLandmark_) {
        if (inside) emit landmarkMoved(*draggedLandmark_, p_lps, false);
      } else if (draggedPoint_) {
        if (inside)
          emit measurementPointMoved(draggedPoint_->first, draggedPoint_->second, p_lps, false);
      } else {
        moveCrosshairTo(event->position());
      }
      break;
    case Qt::RightButton: {
      // One screen height of drag changes the window by its own size (like most viewers).
      rendering::WindowLevel wl = view_->windowLevel();
      const double perPixel = std::max(wl.window, 10.0) / std::max(height(), 1);
      wl.window = std::max(1.0, wl.window + delta.x() * perPixel);
      wl.level -= delta.y() * perPixel;
      emit windowLevelChanged(wl);
      break;
    }
    case Qt::MiddleButton:
      view_->pan(delta.x() * devicePixelRatioF(), delta.y() * devicePixelRatioF(),
                 static_cast<int>(height() * devicePixelRatioF()));
      update();
      break;
    default:
      break;
  }
}

void SliceViewport::mouseReleaseEvent(QMouseEvent* event) {
  if (draggedPoint_ && dragButton_ == Qt::LeftButton) {
    const QPoint display = toVtkDisplay(event->position());
    Vec3 p_lps;
    if (view_->displayToLps(display.x(), display.y(), p_lps))
      emit measurementPointMoved(draggedPoint_->first, draggedPoint_->second, p_lps, true);
  }
  // A click on a ring without a drag leaves the landmark where it is.
  if (draggedLandmark_ && dragButton_ == Qt::LeftButton && event->position() != landmarkPress_) {
    const QPoint display = toVtkDisplay(event->position());
    Vec3 p_lps;
    if (view_->displayToLps(display.x(), display.y(), p_lps))
      emit landmarkMoved(*draggedLandmark_, p_lps, true);
  }
  draggedPoint_.reset();
  draggedLandmark_.reset();
  dragButton_ = Qt::NoButton;
  if (std::exchange(editDrag_, false)) emit editReleased();
}

void SliceViewport::wheelEvent(QWheelEvent* event) {
  // Touchpads send many small deltas: accumulate to whole notches (120 units each). Some
  // platforms turn Shift+wheel into a horizontal wheel.
  const bool brushSize = editMode_ && (event->modifiers() & Qt::ShiftModifier);
  const QPoint delta = event->angleDelta();
  wheelRemainder_ += (brushSize && delta.y() == 0 ? delta.x() : delta.y()) / 120.0;
  const int notches = static_cast<int>(std::trunc(wheelRemainder_));
  if (notches == 0) return;
  wheelRemainder_ -= notches;
  if (brushSize) {
    emit editWheel(notches);
    return;
  }
  if (event->modifiers() & Qt::ControlModifier) {
    view_->zoom(std::pow(1.15, notches));
    update();
    return;
  }
  view_->scrollSlices(notches);
  emit crosshairMoved(view_->crosshair());
}

void SliceViewport::keyPressEvent(QKeyEvent* event) {
  int steps = 0;
  switch (event->key()) {
    case Qt::Key_Up:
      steps = 1;
      break;
    case Qt::Key_Down:
      steps = -1;
      break;
    case Qt::Key_PageUp:
      steps = 10;
      break;
    case Qt::Key_PageDown:
      steps = -10;
      break;
    case Qt::Key_R:
      view_->resetCamera();
      update();
      return;
    default:
      VtkViewport::keyPressEvent(event);
      return;
  }
  view_->scrollSlices(steps);
  emit crosshairMoved(view_->crosshair());
}

void SliceViewport::focusInEvent(QFocusEvent* event) {
  // Qt gives the focus before it delivers the press that caused it.
  focusingClick_ = event->reason() == Qt::MouseFocusReason && !focusMovedBetweenViews;
  focusMovedBetweenViews = false;
  VtkViewport::focusInEvent(event);
}

void SliceViewport::focusOutEvent(QFocusEvent* event) {
  // The application's focus widget is already the one that takes the focus.
  focusMovedBetweenViews = qobject_cast<SliceViewport*>(QApplication::focusWidget()) != nullptr;
  focusingClick_ = false;
  VtkViewport::focusOutEvent(event);
}

void SliceViewport::leaveEvent(QEvent* event) {
  hoverPosition_.reset();
  emit mouseLeft();
  if (editMode_) emit editHovered(Vec3::Zero(), false);
  VtkViewport::leaveEvent(event);
}

bool SliceViewport::reportCursor() {
  if (!hoverPosition_ || !rect().contains(hoverPosition_->toPoint())) return false;
  const QPoint display = toVtkDisplay(*hoverPosition_);
  Vec3 p_lps;
  const bool inside = view_->displayToLps(display.x(), display.y(), p_lps);
  emit cursorMoved(p_lps, inside);
  return true;
}

}  // namespace twinplan::ui
