// The main window in a real X window (Xvfb, Mesa llvmpipe): what each view shows is checked
// against the known anatomy of a synthetic case, pixel by pixel.
#include "twinplan/ui/main_window.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QImage>
#include <QMouseEvent>
#include <QSlider>
#include <QTest>
#include <cmath>

#include "gui_fixtures.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/theme.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

const Vec3 kBallCentre_lps(5.0, -8.0, 12.0);
const double kBallRadius_mm = 15.0;
const Vec3 kLeftMarker_lps(45.0, -8.0, 12.0);  // on the patient's left (+x)
// Probe points sit off the crosshair lines, which are drawn over the image.
const Vec3 kOffCrosshair(3.0, 3.0, 3.0);

// Air (-1000 HU) with a bone-dense ball (+1000 HU) and a small soft-tissue (+40 HU) cube on
// the patient's left, on a tilted grid, so that position, orientation and window/level can
// all be read back from the screen.
Case syntheticCase() {
  const ImageGeometry g = fixtures::tiltedGrid(kBallCentre_lps);
  ImageVolume ct = fixtures::ctVolume(g);
  ct.dicom.patientName = "Phantom^Ball";
  auto voxels = ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(i, j, k));
        std::int16_t hu = -1000;
        if ((p - kBallCentre_lps).norm() <= kBallRadius_mm) hu = 1000;
        if ((p - kLeftMarker_lps).cwiseAbs().maxCoeff() <= 8.0) hu = 40;
        voxels[g.linearIndex(i, j, k)] = hu;
      }
  Case twin = fixtures::caseWith(std::move(ct), "Ball");
  twin.patientName = "Phantom^Ball";
  return twin;
}

class MainWindowTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override { showCase(syntheticCase()); }

  // Grey value (0..255) that `orientation`'s view shows at an LPS point on its slice.
  int greyAt(SliceOrientation orientation, const Vec3& p_lps) {
    return qGray(fixtures::shownAt(window_->sliceViewport(orientation), p_lps).rgb());
  }
};

TEST_F(MainWindowTest, EachViewShowsTheBallWhereItIs) {
  window_->setWindowLevel({2000, 0});  // -1000 HU -> black, +1000 HU -> white
  window_->setCrosshair(kBallCentre_lps);
  for (auto orientation :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    SCOPED_TRACE(rendering::toString(orientation));
    EXPECT_GT(greyAt(orientation, kBallCentre_lps + kOffCrosshair), 230);
    // 10 mm outside the ball's surface, in the view's plane: air.
    const double away = kBallRadius_mm + 10.0;
    const Vec3 outside =
        kBallCentre_lps +
        (orientation == SliceOrientation::Axial ? Vec3(0, away, 0) : Vec3(0, 0, away));
    EXPECT_LT(greyAt(orientation, outside + kOffCrosshair), 25);
  }
}

TEST_F(MainWindowTest, PatientLeftIsOnScreenRightInAxialAndCoronal) {
  window_->setWindowLevel({400, 40});
  window_->setCrosshair(kLeftMarker_lps);
  for (auto orientation : {SliceOrientation::Axial, SliceOrientation::Coronal}) {
    SliceViewport* viewport = window_->sliceViewport(orientation);
    double ballX, ballY, markerX, markerY;
    viewport->view().lpsToDisplay(kBallCentre_lps, ballX, ballY);
    viewport->view().lpsToDisplay(kLeftMarker_lps, markerX, markerY);
    EXPECT_GT(markerX, ballX + 50) << rendering::toString(orientation);
    // Window 400 / level 40: the +40 HU cube shows mid-grey (DICOM linear VOI: 128).
    EXPECT_NEAR(greyAt(orientation, kLeftMarker_lps + kOffCrosshair), 128, 3);
  }
}

TEST_F(MainWindowTest, ClickingMovesTheCrosshairInEveryView) {
  SliceViewport* axial = window_->sliceViewport(SliceOrientation::Axial);
  const Vec3 target = kBallCentre_lps + Vec3(10.0, 6.0, 0.0);
  window_->setCrosshair(kBallCentre_lps);
  double x, y;
  axial->view().lpsToDisplay(target, x, y);
  const double ratio = axial->devicePixelRatioF();
  const QPoint click(static_cast<int>(std::lround(x / ratio)),
                     static_cast<int>(std::lround(axial->height() - y / ratio)));
  QTest::mouseClick(axial, Qt::LeftButton, Qt::NoModifier, click);
  QTest::qWait(50);
  // Within one screen pixel (about 0.25 mm here) in the axial plane.
  for (auto orientation :
       {SliceOrientation::Axial, SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    const Vec3 crosshair = window_->sliceViewport(orientation)->view().crosshair();
    EXPECT_NEAR(crosshair[0], target[0], 0.5) << rendering::toString(orientation);
    EXPECT_NEAR(crosshair[1], target[1], 0.5) << rendering::toString(orientation);
  }
  // The sagittal view's slice now passes through the clicked L-R position (its normal is -L).
  EXPECT_NEAR(window_->sliceViewport(SliceOrientation::Sagittal)->view().slicePosition_mm(),
              -target[0], 0.5);
}

TEST_F(MainWindowTest, WheelScrollsOneSliceAlongTheNormal) {
  SliceViewport* axial = window_->sliceViewport(SliceOrientation::Axial);
  window_->setCrosshair(kBallCentre_lps);
  const double before = axial->view().slicePosition_mm();
  QWheelEvent wheel(QPointF(100, 100), axial->mapToGlobal(QPointF(100, 100)), QPoint(),
                    QPoint(0, 120), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(axial, &wheel);
  EXPECT_NEAR(axial->view().slicePosition_mm() - before, axial->view().sliceStep_mm(), 1e-6);
  // The grid is tilted 10 degrees: one slice along S is 2.5 mm * cos(10 deg) = 2.462 mm.
  EXPECT_NEAR(axial->view().sliceStep_mm(), 2.5 * std::cos(10.0 * M_PI / 180.0), 1e-6);
}

TEST_F(MainWindowTest, SliceSliderFollowsAndDrivesTheSlice) {
  window_->setCrosshair(kBallCentre_lps);
  auto* slider = window_->findChild<QSlider*>("axialSlider");
  ASSERT_NE(slider, nullptr);
  SliceViewport* axial = window_->sliceViewport(SliceOrientation::Axial);
  const auto [lo, hi] = axial->view().sliceRange_mm();
  const double step = axial->view().sliceStep_mm();
  EXPECT_EQ(slider->maximum(), static_cast<int>(std::lround((hi - lo) / step)));
  EXPECT_EQ(slider->value(),
            static_cast<int>(std::lround((axial->view().slicePosition_mm() - lo) / step)));
  const double before = axial->view().slicePosition_mm();
  slider->setValue(slider->value() - 3);
  EXPECT_NEAR(axial->view().slicePosition_mm(), before - 3 * step, 1e-6);
  // The other views follow the crosshair to the new slice.
  EXPECT_NEAR(window_->sliceViewport(SliceOrientation::Coronal)->view().crosshair()[2],
              before - 3 * step, 1e-6);
}

TEST_F(MainWindowTest, ScaleBarShowsARoundLengthThatFollowsZoom) {
  SliceViewport* axial = window_->sliceViewport(SliceOrientation::Axial);
  // The bar is laid out before each render; call that step directly (QOpenGLWidget::repaint
  // may skip a paint under load).
  axial->view().updateScaleBar();
  const double before = axial->view().scaleBarLength_mm();
  const double mantissa = before / std::pow(10.0, std::floor(std::log10(before)));
  EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
              std::abs(mantissa - 5) < 1e-9)
      << before;
  axial->view().zoom(4.0);
  axial->view().updateScaleBar();
  EXPECT_LT(axial->view().scaleBarLength_mm(), before);  // zoomed in: a shorter bar
  axial->view().resetCamera();
}

// An MR with pixel padding around its field: the default window comes from the tissue alone
// (values 100..199), not from the padding far below it.
TEST_F(MainWindowTest, DefaultMrWindowLeavesPixelPaddingOut) {
  ImageGeometry g;
  g.size = {40, 40, 10};
  ImageVolume mr(g, PixelType::Int16);
  mr.name = "T1";
  mr.dicom.modality = "MR";
  auto voxels = mr.voxels<std::int16_t>();
  for (std::size_t n = 0; n < voxels.size(); ++n)  // half padding, half a 100..199 ramp
    voxels[n] = n % 2 ? static_cast<std::int16_t>(100 + (n / 2) % 100) : std::int16_t{-3000};
  mr.paddingRange = std::pair{-3000.0, -3000.0};
  Case twin;
  twin.volumes.push_back(std::move(mr));
  window_->setCase(std::move(twin));
  const rendering::WindowLevel wl =
      window_->sliceViewport(SliceOrientation::Axial)->view().windowLevel();
  EXPECT_LT(wl.window, 110.0);  // with the padding counted it would span ~3200
  EXPECT_NEAR(wl.level, 150.0, 5.0);
}

}  // namespace
}  // namespace twinplan::ui
