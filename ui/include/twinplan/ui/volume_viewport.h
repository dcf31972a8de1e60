#pragma once
// The 3D view widget: left drag rotates, wheel zooms, R resets.
#include <memory>

#include "twinplan/rendering/volume_view.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {

class VolumeViewport : public VtkViewport {
  Q_OBJECT
 public:
  explicit VolumeViewport(QWidget* parent = nullptr);
  ~VolumeViewport() override;
  rendering::VolumeView& view() { return *view_; }

 protected:
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  std::unique_ptr<rendering::VolumeView> view_;
  QPointF lastPosition_;
};

}  // namespace twinplan::ui
