#include "twinplan/ui/volume_viewport.h"

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellPicker.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkNew.h>
#include <vtkProp.h>
#include <vtkPropCollection.h>
#include <vtkRenderer.h>

#include <Eigen/Dense>
#include <QKeyEvent>
#include <QLineF>
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
         "Ablation: drag a probe's tip or entry to move it; while placing, click to place\n"
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
  pressPosition_ = event->position();
  if (event->button() != Qt::LeftButton) return;
  grabbed_.reset();
  if (scissors_) {
    lasso_ = {event->position()};
    drawingLasso_ = true;
    return;
  }
  // The nearest handle within reach is grabbed (a drag then moves it, not the camera).
  double best = kHandleReach_px;
  for (std::size_t n = 0; n < handles_.size(); ++n) {
    const double distance = QLineF(widgetPosition(handles_[n]), event->position()).length();
    if (distance <= best) {
      best = distance;
      grabbed_ = n;
    }
  }
}

void VolumeViewport::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  // A click that stays put (a few pixels of hand jitter) places; a drag has rotated or moved
  // a handle.
  const bool stayedPut = (event->position() - pressPosition_).manhattanLength() <= 3.0;
  if (grabbed_) {
    const std::size_t handle = *grabbed_;
    grabbed_.reset();
    if (handle < handles_.size() && !(stayedPut && placing_))
      // A handle clicked without a drag stays where it was (no edit).
      emit handleDragged(
          handle, stayedPut ? handles_[handle] : atDepthOf(handles_[handle], event->position()),
          true);
    if (!(stayedPut && placing_)) return;
  }
  if (placing_ && !drawingLasso_ && stayedPut) {
    if (const auto pick = pickSurface(event->position(), true)) emit surfaceClicked(*pick);
    return;
  }
  if (!drawingLasso_) return;
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

void VolumeViewport::pointAt(const QPointF& position) {
  if (const auto pick = pickSurface(position))
    emit surfaceHovered(pick->p_lps, pick->direction, true);
  else
    emit surfaceHovered(Vec3::Zero(), Vec3(0, 0, 1), false);
}

namespace {

Vec3 vec(const double* v) { return Vec3(v[0], v[1], v[2]); }

// A pick's reach around the ray, a fraction of the window (vtkPicker::Tolerance).
constexpr double kPickTolerance = 0.0005;

// vtkCellPicker keeps, of the triangles of one model that the ray crosses, the one crossed
// nearest its middle (parametric distance) among those not farther than the nearest found so
// far, in cell order (vtkCellPicker::IntersectActorWithLine). A ray along an edge or through a
// vertex of a model's near side crosses its triangles a rounding error outside them, so it can
// lose to a triangle of the far side crossed squarely and visited first: the pick then lands
// behind the surface seen. Whether a ray lies on an edge depends on the view's size in pixels
// (the centre's ray goes through the focal point when the height is even), which made the pick
// seem to depend on the view's place in the window (session 13). Picking again along the ray
// up to the hit finds a nearer crossing; repeated while one is found.
void keepNearestAlongRay(vtkRenderer* renderer, const Vec3& near_lps, Vec3& hit_lps,
                         vtkProp*& prop) {
  constexpr int kMostSurfaces = 8;        // layers of models in front of one another
  constexpr double kBeforeHit_mm = 0.01;  // the hit's own triangles are not found again
  for (int n = 0; n < kMostSurfaces; ++n) {
    const Vec3 toHit = hit_lps - near_lps;
    if (toHit.norm() <= kBeforeHit_mm) return;
    Vec3 from = near_lps;
    Vec3 to = hit_lps - kBeforeHit_mm * toHit.normalized();
    vtkNew<vtkCellPicker> picker;
    picker->SetTolerance(kPickTolerance);
    if (picker->Pick3DPoint(from.data(), to.data(), renderer) == 0) return;
    hit_lps = vec(picker->GetPickPosition());
    prop = picker->GetViewProp();
  }
}

// Where a display point lies in the world at display depth `z` (0: the near clipping plane).
Vec3 displayToWorld(vtkRenderer* renderer, double x, double y, double z) {
  renderer->SetDisplayPoint(x, y, z);
  renderer->DisplayToWorld();
  const double* w = renderer->GetWorldPoint();
  return Vec3(w[0], w[1], w[2]) / w[3];
}

}  // namespace

// The ray from the eye through the mouse: the camera's position to the picked point (a
// perspective camera), or along its direction of projection (a parallel one).
std::optional<VolumeViewport::SurfacePick> VolumeViewport::pickSurface(const QPointF& position,
                                                                       bool throughSkipped) const {
  // Skipped props are made unpickable for this pick only (vtkPicker has no exclusion list).
  std::vector<vtkProp*> hidden;
  if (throughSkipped && skipped_) {
    vtkPropCollection* props = view_->renderer()->GetViewProps();
    vtkCollectionSimpleIterator it;
    props->InitTraversal(it);
    while (vtkProp* prop = props->GetNextProp(it))
      if (prop->GetPickable() && skipped_(prop)) {
        prop->PickableOff();
        hidden.push_back(prop);
      }
  }
  vtkRenderer* renderer = view_->renderer();
  const QPoint display = toVtkDisplay(position);
  vtkNew<vtkCellPicker> picker;
  picker->SetTolerance(kPickTolerance);
  const bool hit = picker->Pick(display.x(), display.y(), 0.0, renderer) != 0;
  SurfacePick pick;
  if (hit) {
    pick.p_lps = vec(picker->GetPickPosition());
    pick.prop = picker->GetViewProp();
    keepNearestAlongRay(renderer, displayToWorld(renderer, display.x(), display.y(), 0.0),
                        pick.p_lps, pick.prop);
  }
  for (vtkProp* prop : hidden) prop->PickableOn();
  if (!hit) return std::nullopt;
  vtkCamera* camera = renderer->GetActiveCamera();
  Vec3 direction = camera->GetParallelProjection() ? vec(camera->GetDirectionOfProjection())
                                                   : Vec3(pick.p_lps - vec(camera->GetPosition()));
  if (direction.norm() < 1e-9) direction = vec(camera->GetDirectionOfProjection());
  pick.direction = direction.normalized();
  return pick;
}

std::optional<Vec3> VolumeViewport::exitPoint(const SurfacePick& pick, double reach_mm) const {
  auto* actor = vtkActor::SafeDownCast(pick.prop);
  if (!actor) return std::nullopt;  // the volume: no surface to cross again
  vtkNew<vtkCellPicker> picker;
  picker->SetTolerance(0.0);  // the ray itself, not a cone around it
  picker->PickFromListOn();
  picker->AddPickList(actor);
  // Started just past the entry so the entry's own triangle is not found again.
  constexpr double kPastEntry_mm = 0.01;
  Vec3 from = pick.p_lps + kPastEntry_mm * pick.direction;
  Vec3 to = pick.p_lps + reach_mm * pick.direction;
  if (picker->Pick3DPoint(from.data(), to.data(), view_->renderer()) == 0) return std::nullopt;
  double p[3];
  picker->GetPickPosition(p);
  return Vec3(p[0], p[1], p[2]);
}

void VolumeViewport::setPlacing(bool on) {
  placing_ = on;
  setCursor(on ? Qt::CrossCursor : Qt::ArrowCursor);
}

QPointF VolumeViewport::widgetPosition(const Vec3& p_lps) const {
  const double ratio = devicePixelRatioF();
  const QSize size_px = (QSizeF(size()) * ratio).toSize();
  const Eigen::Vector4d d =
      view_->lpsToDisplay(size_px.width(), size_px.height()) * p_lps.homogeneous();
  return {d.x() / d.w() / ratio, height() - d.y() / d.w() / ratio};
}

Vec3 VolumeViewport::atDepthOf(const Vec3& anchor_lps, const QPointF& position) const {
  // The projection keeps depth (normalised z), so the point at the anchor's depth under the
  // mouse is the inverse projection of (mouse x, mouse y, anchor's z).
  const double ratio = devicePixelRatioF();
  const QSize size_px = (QSizeF(size()) * ratio).toSize();
  const Eigen::Matrix4d m = view_->lpsToDisplay(size_px.width(), size_px.height());
  const Eigen::Vector4d anchor = m * anchor_lps.homogeneous();
  const Eigen::Vector4d display(position.x() * ratio, (height() - position.y()) * ratio,
                                anchor.z() / anchor.w(), 1.0);
  const Eigen::Vector4d p = m.inverse() * display;
  return p.head<3>() / p.w();
}

void VolumeViewport::mouseMoveEvent(QMouseEvent* event) {
  if (grabbed_ && (event->buttons() & Qt::LeftButton)) {
    if (*grabbed_ < handles_.size())
      emit handleDragged(*grabbed_, atDepthOf(handles_[*grabbed_], event->position()), false);
    return;
  }
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
