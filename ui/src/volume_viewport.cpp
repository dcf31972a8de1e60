#include "twinplan/ui/volume_viewport.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>
#include <cmath>

namespace twinplan::ui {

VolumeViewport::VolumeViewport(QWidget* parent)
    : VtkViewport(parent), view_(std::make_unique<rendering::VolumeView>()) {
  addRenderer(view_->renderer());
  setToolTip(tr("Left drag: rotate · Wheel: zoom · R: reset view"));
}

VolumeViewport::~VolumeViewport() = default;

void VolumeViewport::mousePressEvent(QMouseEvent* event) { lastPosition_ = event->position(); }

void VolumeViewport::mouseMoveEvent(QMouseEvent* event) {
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
  if (event->key() == Qt::Key_R) {
    view_->resetCamera();
    update();
    return;
  }
  VtkViewport::keyPressEvent(event);
}

}  // namespace twinplan::ui
