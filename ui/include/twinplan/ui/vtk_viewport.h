#pragma once
// The Qt 6 <-> VTK bridge (Debian's VTK Qt module is Qt 5 only; DESIGN.md section 4).
//
// VTK renders into an offscreen framebuffer of a Qt OpenGL context; the frame is read back
// and painted as an image by an ordinary (raster) widget. A QOpenGLWidget would be simpler,
// but once a window holds one, Qt composites the whole window with OpenGL on every update;
// on a clinic PC without a GPU driver (Mesa llvmpipe) that alone cost ~40 ms a frame at
// 1400x900, which made 30 fps slice scrolling impossible. The read-back costs ~1 ms.
//
// Input events are not forwarded to VTK interactor styles: subclasses map them to TwinPlan's
// own interaction.
#include <vtkSmartPointer.h>

#include <QImage>
#include <QWidget>
#include <memory>

class vtkGenericOpenGLRenderWindow;
class vtkRenderer;
class QOpenGLContext;
class QOffscreenSurface;
class QOpenGLFramebufferObject;

namespace twinplan::ui {

class VtkViewport : public QWidget {
  Q_OBJECT
 public:
  explicit VtkViewport(QWidget* parent = nullptr);
  ~VtkViewport() override;

  vtkGenericOpenGLRenderWindow* renderWindow() const;
  void addRenderer(vtkRenderer* renderer);
  // Device pixels of a logical widget position, VTK's display coordinates (origin bottom-left).
  QPoint toVtkDisplay(const QPointF& logical) const;

  // True when the GL context is a software rasteriser (Mesa llvmpipe/softpipe): views then
  // trade quality for speed. Known after the first render.
  bool softwareRenderer() const { return softwareRenderer_; }
  // The OpenGL renderer's name (glGetString(GL_RENDERER)), empty before the first render.
  const QString& glRenderer() const { return glRenderer_; }

  // Renders now and returns the frame in device pixels (for captures and tests).
  QImage grabFramebuffer();
  // The frame painted last (device pixels): what the screen shows.
  const QImage& lastFrame() const { return frame_; }
  // Forgets the last frame, so that a view deferred to the next turn shows black rather than
  // what it showed before (another patient's images, after the case changes).
  void discardFrame() { frame_ = QImage(); }

  // While one exists, every paint renders (captures of the whole window): otherwise a paint
  // pass that has spent its time budget leaves the remaining views for the next turn.
  struct RenderAllNow {
    RenderAllNow();
    ~RenderAllNow();
    RenderAllNow(const RenderAllNow&) = delete;
    RenderAllNow& operator=(const RenderAllNow&) = delete;
  };

  // Render time one paint pass may spend before the views left wait for the next event-loop
  // turn (default 40 ms; the first view of a pass always renders).
  static void setPaintPassBudget(double budget_ms);

  // Call before the QApplication exists: a 3.2 core profile with a 24-bit depth buffer.
  static void setDefaultSurfaceFormat();

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  // Called when the size in device pixels changes, before the next render.
  virtual void viewportResized(int /*width_px*/, int /*height_px*/) {}
  // Called before VTK renders, for subclasses that adjust cameras.
  virtual void beforeRender() {}
  // Called once the GL context exists (softwareRenderer() is then known).
  virtual void glInitialized() {}

 private:
  bool fitsInThisPass() const;
  bool ensureContext();
  void syncSize();
  void makeContextCurrent();
  void renderFrame();

  vtkSmartPointer<vtkGenericOpenGLRenderWindow> renderWindow_;
  std::unique_ptr<QOffscreenSurface> surface_;
  std::unique_ptr<QOpenGLContext> context_;
  std::unique_ptr<QOpenGLFramebufferObject> framebuffer_;
  QImage frame_;
  QSize size_px_;  // the render window's size, in device pixels
  QString glRenderer_;
  double lastRender_ms_ = 0.0;
  bool softwareRenderer_ = false;
  bool contextFailed_ = false;
};

}  // namespace twinplan::ui
