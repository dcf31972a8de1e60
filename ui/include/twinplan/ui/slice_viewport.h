#pragma once
// A 2D slice view widget with TwinPlan's interaction:
//   left click/drag: move the crosshair     wheel, Up/Down, PgUp/PgDn: previous/next slice
//   right drag: window (x) / level (y)      middle drag: pan      Ctrl+wheel: zoom
//   R: reset zoom and pan        left drag on a measurement's point: move that point
//   left drag on a registration landmark (SliceView::setLandmarks): move that landmark (also
//   in pick mode)
#include <memory>

#include "twinplan/rendering/slice_view.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {

class SliceViewport : public VtkViewport {
  Q_OBJECT
 public:
  explicit SliceViewport(rendering::SliceOrientation orientation, QWidget* parent = nullptr);
  ~SliceViewport() override;
  rendering::SliceView& view() { return *view_; }
  const rendering::SliceView& view() const { return *view_; }
  // In pick mode a left click emits pointPicked instead of moving the crosshair (measurement
  // tools).
  // A click that only brings the keyboard focus into the 2D views (from the browser, a panel,
  // another window) does not pick: the first click on an unfocused view only focuses it.
  void setPickMode(bool pick) { pickMode_ = pick; }
  // Edit mode (the segment editor): a left press, drag and release are forwarded in LPS
  // (editPressed/editDragged/editReleased) instead of moving the crosshair, the mouse over the
  // view too (editHovered: the brush outline follows it), and Shift+wheel emits editWheel (the
  // brush size) instead of scrolling. Like a pick, the click that only focuses the view does
  // not edit.
  void setEditMode(bool edit) { editMode_ = edit; }
  bool editMode() const { return editMode_; }
  // Emits cursorMoved for the point now under the mouse (after the slice moved under it) and
  // returns true; false, without a signal, when the mouse is not over this view.
  bool reportCursor();

 signals:
  void crosshairMoved(const twinplan::Vec3& p_lps);
  void windowLevelChanged(const twinplan::rendering::WindowLevel& wl);
  void cursorMoved(const twinplan::Vec3& p_lps, bool inside);
  void mouseLeft();  // the mouse left the view
  void pointPicked(const twinplan::Vec3& p_lps);
  void resized();
  void editPressed(const twinplan::Vec3& p_lps, Qt::KeyboardModifiers modifiers);
  void editDragged(const twinplan::Vec3& p_lps);
  void editReleased();
  void editHovered(const twinplan::Vec3& p_lps, bool inside);
  void editWheel(int notches);
  // A measurement point dragged to p_lps (final: the mouse was released).
  void measurementPointMoved(std::size_t measurement, std::size_t point,
                             const twinplan::Vec3& p_lps, bool final);
  // A landmark (index in SliceView::setLandmarks) dragged to p_lps (final: released).
  void landmarkMoved(std::size_t landmark, const twinplan::Vec3& p_lps, bool final);

 protected:
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void focusInEvent(QFocusEvent* event) override;
  void focusOutEvent(QFocusEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void viewportResized(int width_px, int height_px) override;
  void beforeRender() override { view_->updateScaleBar(); }

 private:
  void moveCrosshairTo(const QPointF& position);
  std::unique_ptr<rendering::SliceView> view_;
  Qt::MouseButton dragButton_ = Qt::NoButton;
  QPointF lastPosition_;
  double wheelRemainder_ = 0.0;
  bool pickMode_ = false;
  bool editMode_ = false;
  bool editDrag_ = false;                 // a left drag that the editor owns
  bool focusingClick_ = false;            // the press that comes with this focus-in only focuses
  std::optional<QPointF> hoverPosition_;  // the mouse over the view, widget coordinates
  std::optional<std::pair<std::size_t, std::size_t>> draggedPoint_;
  std::optional<std::size_t> draggedLandmark_;
  QPointF landmarkPress_;
};

}  // namespace twinplan::ui
