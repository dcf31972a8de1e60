#pragma once
// The 3D view widget: left drag rotates, wheel zooms, R resets the view, C toggles a clipping
// box around the crosshair, [ and ] shrink and grow it. With the scissors on, a left drag draws
// a lasso instead (Esc leaves the scissors).
#include <QPointF>
#include <memory>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/segmentation/scissors.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {

class VolumeViewport : public VtkViewport {
  Q_OBJECT
 public:
  explicit VolumeViewport(QWidget* parent = nullptr);
  ~VolumeViewport() override;
  rendering::VolumeView& view() { return *view_; }

  // The linked crosshair: the clipping box is centred on it and follows it.
  void setCrosshair(const Vec3& p_lps);
  // A box around the crosshair of `clipFraction()` of the scene's extent on each axis,
  // within the scene. Without a volume or meshes there is nothing to clip: stays off.
  void setClipping(bool on);
  bool clipping() const { return view_->hasClippingBox(); }
  void setClipFraction(double fraction);  // 0.1..1
  double clipFraction() const { return clipFraction_; }

  // Scissors in 3D: while on, a left drag draws a freehand lasso; on release lassoDrawn gives
  // the cut through the current camera (segmentation/scissors.h). Whoever owns the case
  // applies it to the current segment.
  void setScissors(bool on);
  bool scissors() const { return scissors_; }
  void setScissorsSide(segmentation::ScissorsSide side) { side_ = side; }
  segmentation::ScissorsSide scissorsSide() const { return side_; }
  // The lasso being drawn, in widget (logical) coordinates.
  const std::vector<QPointF>& lasso() const { return lasso_; }

  // Pointing (the Point tool): while on, a mouse move without a button picks the first visible
  // surface under the mouse (a model, a result surface or the rendered volume; vtkCellPicker,
  // exact on triangles) and emits surfaceHovered; off the view or over nothing, hit is false.
  void setPointing(bool on);
  bool pointing() const { return pointing_; }

 signals:
  void clippingChanged(bool on);
  void scissorsChanged(bool on);
  void lassoDrawn(const twinplan::segmentation::ScissorsCut& cut);
  // The surface point under the mouse while pointing and the direction from the eye through it
  // (unit, LPS); hit false: nothing under the mouse, or the mouse left the view.
  void surfaceHovered(const twinplan::Vec3& p_lps, const twinplan::Vec3& direction, bool hit);

 protected:
  void glInitialized() override { view_->setFastRendering(softwareRenderer()); }
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void paintEvent(QPaintEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  void pointAt(const QPointF& position);
  void placeClippingBox();

  std::unique_ptr<rendering::VolumeView> view_;
  QPointF lastPosition_;
  Vec3 crosshair_lps_ = Vec3::Zero();
  bool hasCrosshair_ = false;
  double clipFraction_ = 0.5;
  bool scissors_ = false;
  segmentation::ScissorsSide side_ = segmentation::ScissorsSide::EraseInside;
  std::vector<QPointF> lasso_;
  bool drawingLasso_ = false;
  bool pointing_ = false;
};

}  // namespace twinplan::ui
