// The Qt <-> VTK bridge as the main window uses it: views render offscreen and paint images,
// so the window is never composited by OpenGL; a paint pass that runs out of time leaves views
// for the next turn, but none stays stale; whole-window captures render every view.
#include <gtest/gtest.h>

#include <QApplication>
#include <QImage>
#include <QOpenGLWidget>
#include <QTest>
#include <cmath>

#include "twinplan/phantom/phantom.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;
constexpr SliceOrientation kOrientations[] = {SliceOrientation::Axial, SliceOrientation::Coronal,
                                              SliceOrientation::Sagittal};

// Processes events until every visible view has painted a frame (first renders of a case
// are spread over several event-loop turns), then a little longer for deferred repaints.
void settle(QWidget* window) {
  const auto allPainted = [window] {
    for (VtkViewport* viewport : window->findChildren<VtkViewport*>())
      if (viewport->isVisible() && viewport->lastFrame().isNull()) return false;
    return true;
  };
  for (int waited = 0; !allPainted() && waited < 10000; waited += 20) QTest::qWait(20);
  EXPECT_TRUE(allPainted()) << "a view has not painted after 10 s";
  QTest::qWait(200);
}

class ViewportBridge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { phantom_ = new phantom::Phantom(phantom::makePhantom({})); }
  static void TearDownTestSuite() {
    delete phantom_;
    phantom_ = nullptr;
  }
  void SetUp() override {
    window_ = std::make_unique<MainWindow>();
    window_->resize(1400, 900);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    window_->setCase(phantom_->twin);
    settle(window_.get());
  }

  // The grey level the whole-window capture shows at an LPS point of a slice view.
  static int greyInCapture(const QImage& capture, QWidget* window, SliceViewport* viewport,
                           const Vec3& p_lps) {
    double x, y;
    viewport->view().lpsToDisplay(p_lps, x, y);
    const double ratio = viewport->devicePixelRatioF();
    const QPoint inView(static_cast<int>(std::lround(x / ratio)),
                        viewport->height() - 1 - static_cast<int>(std::lround(y / ratio)));
    const QPoint inWindow = viewport->mapTo(window, inView) * capture.devicePixelRatio();
    return qGray(capture.pixel(inWindow));
  }

  static phantom::Phantom* phantom_;
  std::unique_ptr<MainWindow> window_;
};

phantom::Phantom* ViewportBridge::phantom_ = nullptr;

TEST_F(ViewportBridge, TheWindowHoldsNoOpenGLWidget) {
  // One QOpenGLWidget anywhere would make Qt composite the whole window with OpenGL on every
  // update (tens of milliseconds a frame on a software renderer).
  EXPECT_TRUE(window_->findChildren<QOpenGLWidget*>().isEmpty());
  EXPECT_FALSE(window_->sliceViewport(SliceOrientation::Axial)->glRenderer().isEmpty());
}

TEST_F(ViewportBridge, FramesAreInDevicePixels) {
  // Sharp on high-DPI screens (the hidpi variant of this test runs at a ratio of 2).
  for (VtkViewport* viewport : window_->findChildren<VtkViewport*>()) {
    if (!viewport->isVisible()) continue;
    const QSize expected = viewport->size() * viewport->devicePixelRatioF();
    EXPECT_EQ(viewport->lastFrame().size(), expected);
    EXPECT_EQ(viewport->grabFramebuffer().size(), expected);
  }
}

TEST_F(ViewportBridge, NoViewIsLeftWithADeferredFrame) {
  // A new case: several views are due at once; with a budget this small every pass renders
  // one view and defers the others. Once the event loop is idle, what each view painted
  // last must be what it renders now.
  VtkViewport::setPaintPassBudget(0.001);
  window_->setCase(phantom_->twin);
  window_->setWindowLevel({350, 50});
  settle(window_.get());
  VtkViewport::setPaintPassBudget(40.0);
  for (auto orientation : kOrientations) {
    SCOPED_TRACE(rendering::toString(orientation));
    SliceViewport* viewport = window_->sliceViewport(orientation);
    const QImage painted = viewport->lastFrame();
    ASSERT_FALSE(painted.isNull());
    EXPECT_TRUE(painted.convertToFormat(QImage::Format_RGB32) ==
                viewport->grabFramebuffer().convertToFormat(QImage::Format_RGB32))
        << "the view still shows a frame from before the last change";
  }
}

TEST_F(ViewportBridge, ADeferredViewNeverShowsThePreviousCase) {
  VtkViewport::setPaintPassBudget(0.001);  // one view per pass
  window_->setCase(phantom_->twin);        // "another" case
  window_->repaint();                      // one paint pass, now
  int rendered = 0, blank = 0;
  for (VtkViewport* viewport : window_->findChildren<VtkViewport*>()) {
    if (!viewport->isVisible()) continue;
    (viewport->lastFrame().isNull() ? blank : rendered) += 1;
  }
  VtkViewport::setPaintPassBudget(40.0);
  EXPECT_LE(rendered, 1);
  EXPECT_GE(blank, 3);  // painted black until their turn, not the old frame
  settle(window_.get());
  for (VtkViewport* viewport : window_->findChildren<VtkViewport*>()) {
    if (viewport->isVisible()) {
      EXPECT_FALSE(viewport->lastFrame().isNull());
    }
  }
}

TEST_F(ViewportBridge, WholeWindowCaptureShowsEveryViewCurrent) {
  // Probes inside the large tumour, with no segment overlay over them.
  const phantom::TumourTruth& tumour = phantom_->tumours.back();
  const Vec3 c = tumour.centre_lps;
  for (auto orientation : kOrientations)
    window_->sliceViewport(orientation)->view().setSegmentDisplay(0.0, false);
  window_->setWindowLevel({400, 40});
  window_->setCrosshair(c + Vec3(6, 0, 0));
  // No settling: the capture itself must render each view, deferred or not.
  const VtkViewport::RenderAllNow everyView;
  const QImage capture = window_->grab().toImage();
  double tumourHu = 0.0;
  for (const auto& tissue : phantom_->tissues)
    if (tissue.segment == tumour.name) tumourHu = tissue.ct_HU;
  const int expected = rendering::displayGrey(tumourHu, {400, 40});
  // The crosshair is now at c + (6, 0, 0): the axial plane (S = c.z) and the coronal plane
  // (P = c.y) pass through c; the sagittal one (L = c.x + 6) 6 mm from it. Each probe is 6 mm
  // from both crosshair lines of its view and 6 to 10.4 mm from c, inside the 30 mm tumour.
  const std::pair<SliceOrientation, Vec3> probes[] = {
      {SliceOrientation::Axial, c + Vec3(0, 6, 0)},
      {SliceOrientation::Coronal, c + Vec3(0, 0, 6)},
      {SliceOrientation::Sagittal, c + Vec3(6, 6, 6)}};
  for (const auto& [orientation, probe] : probes) {
    SCOPED_TRACE(rendering::toString(orientation));
    EXPECT_NEAR(greyInCapture(capture, window_.get(), window_->sliceViewport(orientation), probe),
                expected, 12);
  }
  // The 3D view shows the phantom, not an empty (black) frame.
  VolumeViewport* volume = window_->volumeViewport();
  const QRect area(volume->mapTo(window_.get(), QPoint(0, 0)) * capture.devicePixelRatio(),
                   volume->size() * capture.devicePixelRatio());
  const QImage view3d = capture.copy(area);
  int lit = 0;
  for (int y = 0; y < view3d.height(); y += 4)
    for (int x = 0; x < view3d.width(); x += 4) lit += qGray(view3d.pixel(x, y)) > 60;
  EXPECT_GT(lit, 100);
}

}  // namespace
}  // namespace twinplan::ui
