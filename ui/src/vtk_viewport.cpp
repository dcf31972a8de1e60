#include "twinplan/ui/vtk_viewport.h"

#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>
#include <vtkRendererCollection.h>

#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QSurfaceFormat>

namespace twinplan::ui {

void VtkViewport::setDefaultSurfaceFormat() {
  QSurfaceFormat format;
  format.setRenderableType(QSurfaceFormat::OpenGL);
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setDepthBufferSize(24);
  format.setStencilBufferSize(8);
  format.setSamples(0);  // VTK manages its own multisampling
  QSurfaceFormat::setDefaultFormat(format);
}

VtkViewport::VtkViewport(QWidget* parent) : QOpenGLWidget(parent) {
  renderWindow_ = vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New();
  renderWindow_->SetOwnContext(false);
  renderWindow_->SetMultiSamples(0);
  // VTK renders only inside paintGL, where the widget's context is current.
  renderWindow_->SetReadyForRendering(false);
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
}

VtkViewport::~VtkViewport() {
  makeCurrent();
  renderWindow_->Finalize();
  doneCurrent();
}

vtkGenericOpenGLRenderWindow* VtkViewport::renderWindow() const { return renderWindow_; }

void VtkViewport::addRenderer(vtkRenderer* renderer) { renderWindow_->AddRenderer(renderer); }

QPoint VtkViewport::toVtkDisplay(const QPointF& logical) const {
  const double ratio = devicePixelRatioF();
  return QPoint(static_cast<int>(logical.x() * ratio),
                static_cast<int>((height() - logical.y()) * ratio));
}

void VtkViewport::initializeGL() {
  renderWindow_->SetIsCurrent(true);
  renderWindow_->InitializeFromCurrentContext();
  // QOpenGLWidget draws into its own framebuffer object; VTK blits into whatever is bound.
  renderWindow_->SetFrameBlitModeToBlitToCurrent();
  const auto* renderer =
      reinterpret_cast<const char*>(context()->functions()->glGetString(GL_RENDERER));
  const QString name = renderer ? QString::fromLatin1(renderer) : QString();
  softwareRenderer_ =
      name.contains("llvmpipe") || name.contains("softpipe") || name.contains("SWR");
  glInitialized();
}

void VtkViewport::resizeGL(int w, int h) {
  const double ratio = devicePixelRatioF();
  renderWindow_->SetSize(static_cast<int>(w * ratio), static_cast<int>(h * ratio));
}

void VtkViewport::paintGL() {
  beforeRender();
  renderWindow_->SetIsCurrent(true);
  renderWindow_->SetReadyForRendering(true);
  // Qt leaves GL state VTK caches as its own; without reset + push/pop the view stays black.
  vtkOpenGLState* state = renderWindow_->GetState();
  state->Reset();
  state->Push();
  renderWindow_->Render();
  state->Pop();
  renderWindow_->SetReadyForRendering(false);
}

}  // namespace twinplan::ui
