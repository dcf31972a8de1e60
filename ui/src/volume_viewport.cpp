#include "twinplan/ui/volume_viewport.h"

#include <vtkCamera.h>
#include <vtkCellPicker.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkNew.h>
#include <vtkRenderer.h>

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace twinplan::ui {

VolumeViewport::VolumeViewport(QWidget* parent)
    : VtkViewport(parent), view_(std::make_unique<rendering::VolumeView>()) {
  view_->addTo(renderWindow());
  setToolTip(
      tr("Left drag: rotate · Wheel: zoom · R: reset view\n"
         "C: clipping box at the crosshair · [ ]: smaller / larger box\n"
         "Scissors on: drag a lasso to cut the current segment · Esc: scissors off"));
}

VolumeViewport::~VolumeViewport() = default;

void VolumeViewport::setCrosshair(const Vec3& p_lps) {
  crosshair_lps_ = p_lps;
  hasCrosshair_ = true;
  if (clipping()) {
    placeClippingBox();
    update();
  }
}

void VolumeViewport::setClipping(bool on) {
  const bool was = clipping();
  if (on) {
    placeClippingBox();
  } else {
    view_->clearClippingBox();
  }
  update();
  if (clipping() != was) emit clippingChanged(clipping());
}

void VolumeViewport::setClipFraction(double fraction) {
  clipFraction_ = std::clamp(fraction, 0.1, 1.0);
  if (clipping()) {
    placeClippingBox();
    update();
  }
}

void VolumeViewport::placeClippingBox() {
  rendering::BoxLps scene;
  if (!view_->sceneBounds(scene)) {
    view_->clearClippingBox();
    return;
  }
  const Vec3 centre = hasCrosshair_ ? crosshair_lps_ : scene.centre();
  const Vec3 half = 0.5 * clipFraction_ * scene.size_mm();
  // Within the scene, so the outline hugs what is shown; at least 1 mm thick.
  Vec3 lo = (centre - half).cwiseMax(scene.lo_lps);
  Vec3 hi = (centre + half).cwiseMin(scene.hi_lps);
  for (int axis = 0; axis < 3; ++axis) {
    if (hi[axis] - lo[axis] < 1.0) {
      const double mid = std::clamp(centre[axis], scene.lo_lps[axis], scene.hi_lps[axis]);
      lo[axis] = mid - 0.5;
      hi[axis] = mid + 0.5;
    }
  }
  view_->setClippingBox(lo, hi);
}

void VolumeViewport::setScissors(bool on) {
  if (on == scissors_) return;
  scissors_ = on;
  lasso_.clear();
  drawingLasso_ = false;
  setCursor(on ? Qt::CrossCursor : Qt::ArrowCursor);
  update();
  emit scissorsChanged(on);
}

void VolumeViewport::mousePressEvent(QMouseEvent* event) {
  lastPosition_ = event->position();
  if (scissors_ && event->button() == Qt::LeftButton) {
    lasso_ = {event->position()};
    drawingLasso_ = true;
  }
}

void VolumeViewport::mouseReleaseEvent(QMouseEvent* event) {
  if (!drawingLasso_ || event->button() != Qt::LeftButton) return;
  drawingLasso_ = false;
  lasso_.push_back(event->position());
  segmentation::ScissorsCut cut;
  cut.side = side_;
  // The lasso in VTK display pixels, the same space as the camera's projection.
  const QSize size_px = (QSizeF(size()) * devicePixelRatioF()).toSize();
  cut.lpsToDisplay = view_->lpsToDisplay(size_px.width(), size_px.height());
  for (const QPointF& p : lasso_) {
    const QPoint d = toVtkDisplay(p);
    cut.lasso_px.emplace_back(d.x(), d.y());
  }
  lasso_.clear();
  update();
  if (cut.lasso_px.size() >= 3) emit lassoDrawn(cut);
}

void VolumeViewport::paintEvent(QPaintEvent* event) {
  VtkViewport::paintEvent(event);
  if (lasso_.size() < 2) return;
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  QPainterPath path(lasso_.front());
  for (const QPointF& p : lasso_) path.lineTo(p);
  path.closeSubpath();
  painter.fillPath(path, QColor(255, 214, 90, 40));
  painter.setPen(QPen(QColor(255, 214, 90), 1.5, Qt::DashLine));
  painter.drawPath(path);
}

void VolumeViewport::setPointing(bool on) {
  if (pointing_ && !on) emit surfaceHovered(Vec3::Zero(), Vec3(0, 0, 1), false);
  pointing_ = on;
}

void VolumeViewport::leaveEvent(QEvent* event) {
  if (pointing_) emit surfaceHovered(Vec3::Zero(), Vec3(0, 0, 1), false);
  VtkViewport::leaveEvent(event);
}

// The ray from the eye through the mouse: the camera's position to the picked point (a
// perspective camera), or along its direction of projection (a parallel one).
void VolumeViewport::pointAt(const QPointF& position) {
  const QPoint display = toVtkDisplay(position);
  vtkNew<vtkCellPicker> picker;
  picker->SetTolerance(0.0005);
  const bool hit = picker->Pick(display.x(), display.y(), 0.0, view_->renderer()) != 0;
  if (!hit) {
    emit surfaceHovered(Vec3::Zero(), Vec3(0, 0, 1), false);
    return;
  }
  const auto vec = [](const double* v) { return Vec3(v[0], v[1], v[2]); };
  const Vec3 p_lps = vec(picker->GetPickPosition());
  vtkCamera* camera = view_->renderer()->GetActiveCamera();
  Vec3 direction = camera->GetParallelProjection() ? vec(camera->GetDirectionOfProjection())
                                                   : Vec3(p_lps - vec(camera->GetPosition()));
  if (direction.norm() < 1e-9) direction = vec(camera->GetDirectionOfProjection());
  emit surfaceHovered(p_lps, direction.normalized(), true);
}

void VolumeViewport::mouseMoveEvent(QMouseEvent* event) {
  if (pointing_ && event->buttons() == Qt::NoButton && !drawingLasso_) pointAt(event->position());
  if (drawingLasso_) {
    // A point every 2 px is smooth enough for a hand-drawn outline.
    if ((event->position() - lasso_.back()).manhattanLength() >= 2.0) {
      lasso_.push_back(event->position());
      update();
    }
    return;
  }
  if (!(event->buttons() & Qt::LeftButton)) return;
  const QPointF delta = event->position() - lastPosition_;
  lastPosition_ = event->position();
  view_->rotate(-delta.x() * 0.5, delta.y() * 0.5);
  update();
}

void VolumeViewport::wheelEvent(QWheelEvent* event) {
  view_->zoom(std::pow(1.1, event->angleDelta().y() / 120.0));
  update();
}

void VolumeViewport::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_R:
      view_->resetCamera();
      update();
      return;
    case Qt::Key_C:
      setClipping(!clipping());
      return;
    case Qt::Key_BracketLeft:
      setClipFraction(clipFraction_ / 1.25);
      return;
    case Qt::Key_BracketRight:
      setClipFraction(clipFraction_ * 1.25);
      return;
    case Qt::Key_Escape:
      if (scissors_) {
        setScissors(false);
        return;
      }
      VtkViewport::keyPressEvent(event);
      return;
    default:
      VtkViewport::keyPressEvent(event);
  }
}

}  // namespace twinplan::ui
