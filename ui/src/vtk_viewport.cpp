#include "twinplan/ui/vtk_viewport.h"

#include <vtkCallbackCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>

#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>
#include <QOpenGLFunctions>
#include <QPaintEvent>
#include <QPainter>
#include <QSurfaceFormat>
#include <QTimer>
#include <chrono>

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

VtkViewport::VtkViewport(QWidget* parent) : QWidget(parent) {
  renderWindow_ = vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New();
  renderWindow_->SetOwnContext(false);
  renderWindow_->SetMultiSamples(0);
  // VTK renders only inside renderFrame(), where the context is current.
  renderWindow_->SetReadyForRendering(false);
  // The whole widget is painted from the frame: Qt need not clear it first.
  setAttribute(Qt::WA_OpaquePaintEvent);
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  // VTK asks for its context outside renders too, e.g. when a mapper frees GL resources.
  auto onMakeCurrent = vtkSmartPointer<vtkCallbackCommand>::New();
  onMakeCurrent->SetClientData(this);
  onMakeCurrent->SetCallback([](vtkObject*, unsigned long, void* viewport, void*) {
    static_cast<VtkViewport*>(viewport)->makeContextCurrent();
  });
  renderWindow_->AddObserver(vtkCommand::WindowMakeCurrentEvent, onMakeCurrent);
}

VtkViewport::~VtkViewport() {
  if (context_ && context_->makeCurrent(surface_.get())) {
    renderWindow_->Finalize();
    framebuffer_.reset();
    context_->doneCurrent();
  }
  renderWindow_->RemoveAllObservers();  // they point at this widget
}

vtkGenericOpenGLRenderWindow* VtkViewport::renderWindow() const { return renderWindow_; }

void VtkViewport::addRenderer(vtkRenderer* renderer) { renderWindow_->AddRenderer(renderer); }

QPoint VtkViewport::toVtkDisplay(const QPointF& logical) const {
  const double ratio = devicePixelRatioF();
  return QPoint(static_cast<int>(logical.x() * ratio),
                static_cast<int>((height() - logical.y()) * ratio));
}

void VtkViewport::makeContextCurrent() {
  if (context_) context_->makeCurrent(surface_.get());
}

bool VtkViewport::ensureContext() {
  if (context_) return context_->makeCurrent(surface_.get());
  if (contextFailed_) return false;
  surface_ = std::make_unique<QOffscreenSurface>();
  surface_->setFormat(QSurfaceFormat::defaultFormat());
  surface_->create();
  context_ = std::make_unique<QOpenGLContext>();
  context_->setFormat(QSurfaceFormat::defaultFormat());
  if (!surface_->isValid() || !context_->create() || !context_->makeCurrent(surface_.get())) {
    qWarning("TwinPlan: no OpenGL context for a view; it stays empty");
    context_.reset();
    contextFailed_ = true;
    return false;
  }
  renderWindow_->SetIsCurrent(true);
  renderWindow_->InitializeFromCurrentContext();
  // VTK renders into its own framebuffer and blits into the one bound: ours, read back later.
  renderWindow_->SetFrameBlitModeToBlitToCurrent();
  const auto* name = reinterpret_cast<const char*>(context_->functions()->glGetString(GL_RENDERER));
  glRenderer_ = name ? QString::fromLatin1(name) : QString();
  softwareRenderer_ = glRenderer_.contains("llvmpipe") || glRenderer_.contains("softpipe") ||
                      glRenderer_.contains("SWR");
  glInitialized();
  return true;
}

void VtkViewport::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  if (ensureContext()) syncSize();
}

void VtkViewport::syncSize() {
  // Also called before each render: moving the window to a screen with another pixel ratio
  // changes the size in device pixels without a resize event.
  const double ratio = devicePixelRatioF();
  const int w = std::max(1, static_cast<int>(width() * ratio));
  const int h = std::max(1, static_cast<int>(height() * ratio));
  if (size_px_ == QSize(w, h)) return;
  size_px_ = QSize(w, h);
  renderWindow_->SetSize(w, h);
  viewportResized(w, h);
}

void VtkViewport::renderFrame() {
  if (!ensureContext()) {
    frame_ = QImage();
    return;
  }
  syncSize();
  const QSize size_px = size_px_;
  if (!framebuffer_ || framebuffer_->size() != size_px)
    framebuffer_ = std::make_unique<QOpenGLFramebufferObject>(size_px);
  framebuffer_->bind();
  beforeRender();
  renderWindow_->SetIsCurrent(true);
  renderWindow_->SetReadyForRendering(true);
  // Qt leaves GL state VTK caches as its own; without reset + push/pop views stay black.
  vtkOpenGLState* state = renderWindow_->GetState();
  state->Reset();
  state->Push();
  renderWindow_->Render();
  state->Pop();
  renderWindow_->SetReadyForRendering(false);

  // BGRA packed into 32-bit words is QImage's RGB32 (0xffRRGGBB) on any byte order: no
  // conversion. GL rows go bottom-up, so flip in place.
  framebuffer_->bind();
  if (frame_.size() != size_px) frame_ = QImage(size_px, QImage::Format_RGB32);
  QOpenGLFunctions* gl = context_->functions();
  gl->glPixelStorei(GL_PACK_ALIGNMENT, 4);
  gl->glReadPixels(0, 0, size_px.width(), size_px.height(), GL_BGRA,
                   GL_UNSIGNED_INT_8_8_8_8_REV, frame_.bits());
  frame_.mirror(false, true);
  frame_.setDevicePixelRatio(devicePixelRatioF());
  framebuffer_->release();
  context_->doneCurrent();
}

QImage VtkViewport::grabFramebuffer() {
  renderFrame();
  QImage copy = frame_.copy();
  copy.setDevicePixelRatio(1.0);
  return copy;
}

namespace {

// Several views can be due in one paint pass (a new case, a layout change, a window/level
// change in 4-up). On a software renderer a slice view's render takes 5 to 25 ms and the 3D
// view's 35 to 80 ms, so rendering all of them back to back could hold the GUI thread past
// 100 ms. A pass renders views while they fit in this budget (judged by each view's last
// render); the others keep their previous frame and render in the next event-loop turn.
double passBudget_ms = 40.0;
constexpr double kFirstRenderGuess_ms = 25.0;

double passSpent_ms = 0.0;
bool passOpen = false;
int renderAllNow = 0;

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void VtkViewport::setPaintPassBudget(double budget_ms) { passBudget_ms = budget_ms; }

VtkViewport::RenderAllNow::RenderAllNow() { ++renderAllNow; }
VtkViewport::RenderAllNow::~RenderAllNow() { --renderAllNow; }

bool VtkViewport::fitsInThisPass() const {
  if (!passOpen) {
    // The pass ends when control returns to the event loop.
    passOpen = true;
    passSpent_ms = 0.0;
    QTimer::singleShot(0, [] { passOpen = false; });
  }
  const double expected = lastRender_ms_ > 0.0 ? lastRender_ms_ : kFirstRenderGuess_ms;
  return renderAllNow > 0 || passSpent_ms == 0.0 || passSpent_ms + expected <= passBudget_ms;
}

void VtkViewport::paintEvent(QPaintEvent* /*event*/) {
  QPainter painter(this);
  if (fitsInThisPass()) {
    const double start = now_ms();
    renderFrame();
    lastRender_ms_ = now_ms() - start;
    passSpent_ms += lastRender_ms_;
  } else {
    QTimer::singleShot(0, this, qOverload<>(&QWidget::update));
  }
  // A deferred view keeps its previous frame for one turn (stretched if the size changed).
  if (frame_.isNull())
    painter.fillRect(rect(), Qt::black);
  else if (frame_.deviceIndependentSize().toSize() == size())
    painter.drawImage(QPointF(0, 0), frame_);
  else
    painter.drawImage(rect(), frame_);
}

}  // namespace twinplan::ui
