#pragma once
// The Qt 6 <-> VTK bridge: a QOpenGLWidget owns the GL context and drives a
// vtkGenericOpenGLRenderWindow (Debian's VTK Qt module is Qt 5 only; DESIGN.md section 4).
// Input events are not forwarded to VTK interactor styles: subclasses map them to TwinPlan's
// own interaction.
#include <vtkSmartPointer.h>

#include <QOpenGLWidget>

class vtkGenericOpenGLRenderWindow;
class vtkRenderer;

namespace twinplan::ui {

class VtkViewport : public QOpenGLWidget {
  Q_OBJECT
 public:
  explicit VtkViewport(QWidget* parent = nullptr);
  ~VtkViewport() override;

  vtkGenericOpenGLRenderWindow* renderWindow() const;
  void addRenderer(vtkRenderer* renderer);
  // Device pixels of a logical widget position, VTK's display coordinates (origin bottom-left).
  QPoint toVtkDisplay(const QPointF& logical) const;

  // True when the GL context is a software rasteriser (Mesa llvmpipe/softpipe): views then
  // trade quality for speed. Known after the first initializeGL.
  bool softwareRenderer() const { return softwareRenderer_; }

  // Call before the QApplication exists: a 3.2 core profile with a 24-bit depth buffer.
  static void setDefaultSurfaceFormat();

 protected:
  void initializeGL() override;
  void resizeGL(int w, int h) override;
  void paintGL() override;
  // Called in paintGL before VTK renders, for subclasses that adjust cameras.
  virtual void beforeRender() {}
  // Called at the end of initializeGL.
  virtual void glInitialized() {}

 private:
  vtkSmartPointer<vtkGenericOpenGLRenderWindow> renderWindow_;
  bool softwareRenderer_ = false;
};

}  // namespace twinplan::ui
