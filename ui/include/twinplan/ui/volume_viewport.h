#pragma once
// The 3D view widget: left drag rotates, wheel zooms, R resets the view, C toggles a clipping
// box around the crosshair, [ and ] shrink and grow it. With the scissors on, a left drag draws
// a lasso instead (Esc leaves the scissors).
#include <QPointF>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/segmentation/scissors.h"
#include "twinplan/ui/vtk_viewport.h"

class vtkProp;

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

  // What a pick under the mouse found: the first visible surface point (LPS), the direction
  // from the eye through it (unit), and the prop it lies on. nullopt: nothing there.
  struct SurfacePick {
    Vec3 p_lps = Vec3::Zero();
    Vec3 direction = Vec3(0, 0, 1);
    vtkProp* prop = nullptr;
  };
  // `throughSkipped`: the props setPickSkipped names are seen through (a placing click: the
  // ablation probe and its live zone are drawn to be seen, the click goes to the anatomy).
  std::optional<SurfacePick> pickSurface(const QPointF& position,
                                         bool throughSkipped = false) const;
  // Where the pick's ray, continued past the picked point, leaves the prop it hit (its next
  // crossing of that surface within `reach_mm`); nullopt for the rendered volume or an open
  // surface the ray does not cross again.
  std::optional<Vec3> exitPoint(const SurfacePick& pick, double reach_mm = 1000.0) const;
  void setPickSkipped(std::function<bool(const vtkProp*)> skipped) {
    skipped_ = std::move(skipped);
  }

  // Placing (a probe's tip or entry): while on, a left click that does not move (within a few
  // pixels) picks the surface under it and emits surfaceClicked; a drag still rotates.
  void setPlacing(bool on);
  bool placing() const { return placing_; }
  // Handles a left press grabs within kHandleReach_px of where they are drawn (the probes' tips
  // and entries): the drag moves the grabbed one in the plane through it facing the camera
  // (its depth kept), emitting handleDragged at each move and once more, final, on release.
  void setHandles(std::vector<Vec3> handles_lps) { handles_ = std::move(handles_lps); }
  const std::vector<Vec3>& handles() const { return handles_; }
  static constexpr double kHandleReach_px = 8.0;
  // Where the current camera shows an LPS point, in widget (logical) coordinates.
  QPointF widgetPosition(const Vec3& p_lps) const;

 signals:
  void clippingChanged(bool on);
  void scissorsChanged(bool on);
  void lassoDrawn(const twinplan::segmentation::ScissorsCut& cut);
  // The surface point under the mouse while pointing and the direction from the eye through it
  // (unit, LPS); hit false: nothing under the mouse, or the mouse left the view.
  void surfaceHovered(const twinplan::Vec3& p_lps, const twinplan::Vec3& direction, bool hit);
  void surfaceClicked(const twinplan::ui::VolumeViewport::SurfacePick& pick);
  void handleDragged(std::size_t handle, const twinplan::Vec3& p_lps, bool final);

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
  // The point under `position` at the depth of `anchor_lps` (the plane through it facing the
  // camera).
  Vec3 atDepthOf(const Vec3& anchor_lps, const QPointF& position) const;
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
  bool placing_ = false;
  QPointF pressPosition_;
  std::vector<Vec3> handles_;
  std::optional<std::size_t> grabbed_;  // the handle being dragged
  std::function<bool(const vtkProp*)> skipped_;
};

}  // namespace twinplan::ui
