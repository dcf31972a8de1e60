// Fixes from the radiologist's first-use trial (issue #15 item 6) in the views, with real
// events on the real widgets of the main window (Xvfb, Mesa llvmpipe). Each test failed before
// its fix.
#include <gtest/gtest.h>
#include <vtkCamera.h>
#include <vtkRenderer.h>

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QMouseEvent>
#include <QTest>
#include <QTreeWidget>
#include <cmath>

#include "test_support.h"
#include "twinplan/core/measurement.h"
#include "twinplan/rendering/patient_position.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;
using TextBox = rendering::SliceView::TextBox;

// Air (-1000 HU) with a soft-tissue ball (+40 HU) in the middle, 2 mm voxels, axis-aligned,
// centred on the origin: 128 x 120 x 80 mm.
Case ballCase() {
  ImageGeometry g;
  g.size = {64, 60, 40};
  g.spacing_mm = Vec3(2.0, 2.0, 2.0);
  g.origin_lps = -g.spacing_mm.cwiseProduct(Vec3(31.5, 29.5, 19.5));
  ImageVolume ct(g, PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  ct.dicom.modality = "CT";
  ct.dicom.patientName = "Trial^Ball";
  ct.dicom.seriesDescription = "Abdomen";
  auto voxels = ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        voxels[g.linearIndex(i, j, k)] = g.indexToLps(Vec3(i, j, k)).norm() <= 20.0 ? 40 : -1000;
  Case twin;
  twin.name = "Ball";
  twin.patientName = "Trial^Ball";
  twin.volumes.push_back(std::move(ct));
  return twin;
}

class TrialViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->setCase(ballCase());
    window_->resize(1200, 900);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    // Keyboard focus needs the active window (Xvfb has no window manager to give it).
    window_->activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(window_.get()));
    window_->setCrosshair(Vec3(1.0, 1.0, 1.0));  // voxel centres on every axis
    QTest::qWait(100);
  }
  void TearDown() override { window_->document()->markClean(); }

  SliceViewport* view(SliceOrientation orientation) { return window_->sliceViewport(orientation); }
  // Widget (logical) position of an LPS point in a view.
  QPoint widgetPoint(SliceViewport* viewport, const Vec3& p_lps) {
    double x, y;
    viewport->view().lpsToDisplay(p_lps, x, y);
    const double ratio = viewport->devicePixelRatioF();
    return QPoint(static_cast<int>(std::lround(x / ratio)),
                  static_cast<int>(std::lround(viewport->height() - y / ratio)));
  }
  void hover(SliceViewport* viewport, QPoint at) {
    QMouseEvent move(QEvent::MouseMove, at, viewport->mapToGlobal(at), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(viewport, &move);
  }
  QString readout() { return window_->findChild<QLabel*>("cursorReadout")->text(); }
  // The LPS point the readout names ("R 3.0 mm, A 12.5 mm, S 40.0 mm, ..."), read back by its
  // letters: R, A, I negative.
  Vec3 readoutPoint() {
    const QStringList parts = readout().split(", ");
    Vec3 p_lps = Vec3::Constant(std::nan(""));
    for (int axis = 0; axis < 3 && axis < parts.size(); ++axis) {
      const QStringList words = parts[axis].split(' ');
      if (words.size() == 2 && words[0] == "0.0") {
        p_lps[axis] = 0.0;
      } else if (words.size() >= 3) {
        const double sign = QString("RAI").contains(words[0]) ? -1.0 : 1.0;
        EXPECT_TRUE(QString("LR PA SI").split(' ')[axis].contains(words[0]))
            << parts[axis].toStdString();
        p_lps[axis] = sign * words[1].toDouble();
      }
    }
    return p_lps;
  }
  // The view's texts as laid out for a fresh render.
  std::vector<TextBox> textsOf(SliceViewport* viewport, const std::string& role) {
    viewport->grabFramebuffer();
    std::vector<TextBox> boxes;
    for (const auto& box : viewport->view().textBoxes())
      if (box.role == role) boxes.push_back(box);
    return boxes;
  }
  QTreeWidget* browserTree() { return window_->dicomBrowser()->findChild<QTreeWidget*>(); }

  test::TempDir autosave_{"twinplan-trial-autosave"};
  std::unique_ptr<MainWindow> window_;
};

// 1a. The window combo used to keep the keyboard focus: Up then changed the preset, not the
// slice.
TEST_F(TrialViewsTest, UpScrollsTheViewAfterTheWindowComboWasUsed) {
  SliceViewport* axial = view(SliceOrientation::Axial);
  axial->setFocus();
  auto* presets = window_->findChild<QComboBox*>("windowPresets");
  QTest::mouseClick(presets, Qt::LeftButton);
  QTest::qWait(50);
  if (QWidget* popup = QApplication::activePopupWidget()) QTest::keyClick(popup, Qt::Key_Escape);
  QTest::qWait(50);
  const double before = axial->view().slicePosition_mm();
  const int preset = presets->currentIndex();
  ASSERT_NE(QApplication::focusWidget(), nullptr);
  QTest::keyClick(QApplication::focusWidget(), Qt::Key_Up);
  EXPECT_EQ(QApplication::focusWidget(), axial);
  EXPECT_NEAR(axial->view().slicePosition_mm() - before, 2.0, 1e-9);  // one 2 mm slice
  EXPECT_EQ(presets->currentIndex(), preset);
}

// 1b. R (reset zoom and pan) used to reach only a focused view; in the browser it searched
// the list.
TEST_F(TrialViewsTest, ResetKeyWorksWhileTheBrowserHasTheFocus) {
  SliceViewport* axial = view(SliceOrientation::Axial);
  axial->view().updateScaleBar();
  const double fitted_mm = axial->view().scaleBarLength_mm();
  axial->setFocus();
  axial->view().zoom(8.0);
  axial->view().updateScaleBar();
  ASSERT_LT(axial->view().scaleBarLength_mm(), fitted_mm);
  browserTree()->setFocus();
  QTest::keyClick(browserTree(), Qt::Key_R);
  axial->view().updateScaleBar();
  EXPECT_EQ(axial->view().scaleBarLength_mm(), fitted_mm);
  // In the 3D view R still resets its camera (the window shortcut must not take that away).
  VolumeViewport* volume = window_->volumeViewport();
  volume->setFocus();
  double fitted[3], turned[3], reset[3];
  volume->view().renderer()->GetActiveCamera()->GetPosition(fitted);
  volume->view().rotate(60.0, 20.0);
  volume->view().renderer()->GetActiveCamera()->GetPosition(turned);
  ASSERT_GT(std::hypot(turned[0] - fitted[0], turned[1] - fitted[1], turned[2] - fitted[2]), 1.0);
  QTest::keyClick(volume, Qt::Key_R);
  volume->view().renderer()->GetActiveCamera()->GetPosition(reset);
  EXPECT_NEAR(std::hypot(reset[0] - fitted[0], reset[1] - fitted[1], reset[2] - fitted[2]), 0.0,
              1e-6);
}

// 1c. With a measuring tool, the click that brings the focus back from the browser used to
// place the first point.
TEST_F(TrialViewsTest, FirstClickOnAnUnfocusedViewOnlyFocusesIt) {
  window_->setTool(Tool::Ruler);
  SliceViewport* axial = view(SliceOrientation::Axial);
  browserTree()->setFocus();
  QTest::mouseClick(axial, Qt::LeftButton, Qt::NoModifier,
                    widgetPoint(axial, Vec3(-30, 1, 1)));  // only focuses
  EXPECT_EQ(QApplication::focusWidget(), axial);
  QTest::mouseClick(axial, Qt::LeftButton, Qt::NoModifier, widgetPoint(axial, Vec3(-10, 1, 1)));
  QTest::mouseClick(axial, Qt::LeftButton, Qt::NoModifier, widgetPoint(axial, Vec3(20, 1, 1)));
  const auto& measurements = window_->currentCase().measurements;
  ASSERT_EQ(measurements.size(), 1u);
  EXPECT_NEAR(rulerLength_mm(measurements[0]), 30.0, 0.5);  // not 50 mm from the first click
  // Between 2D views a click picks at once: they are one workspace.
  SliceViewport* coronal = view(SliceOrientation::Coronal);
  window_->setTool(Tool::Point);
  QTest::mouseClick(coronal, Qt::LeftButton, Qt::NoModifier, widgetPoint(coronal, Vec3(5, 1, 5)));
  EXPECT_EQ(window_->currentCase().measurements.size(), 2u);
}

// 2. The readout kept the value of a position no longer under the still mouse after a scroll.
TEST_F(TrialViewsTest, ReadoutFollowsTheSliceUnderAStillMouse) {
  SliceViewport* axial = view(SliceOrientation::Axial);
  hover(axial, widgetPoint(axial, Vec3(10, 1, 1)));
  // Within a screen pixel in the view's plane (about 0.25-0.3 mm here, as wide as the views are
  // beside the docks) plus the readout's 0.05 mm rounding, exact along its normal.
  double x0, y0, x1, y1;
  axial->view().lpsToDisplay(Vec3(0, 1, 1), x0, y0);
  axial->view().lpsToDisplay(Vec3(10, 1, 1), x1, y1);
  const double pixel_mm = 10.0 * axial->devicePixelRatioF() / std::abs(x1 - x0);
  EXPECT_NEAR(readoutPoint()[0], 10.0, pixel_mm + 0.05) << readout().toStdString();
  EXPECT_NEAR(readoutPoint()[1], 1.0, pixel_mm + 0.05) << readout().toStdString();
  EXPECT_TRUE(readout().contains("S 1.0 mm")) << readout().toStdString();
  const QPoint centre = axial->rect().center();
  QWheelEvent wheel(centre, axial->mapToGlobal(centre), QPoint(), QPoint(0, 3 * 120), Qt::NoButton,
                    Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(axial, &wheel);  // three slices up: S 7 mm
  EXPECT_TRUE(readout().contains("S 7.0 mm")) << readout().toStdString();
  // Another case under the still mouse: its value, nothing of the old one.
  Case other = ballCase();
  for (auto& v : other.volumes.front().voxels<std::int16_t>()) v = 777;
  other.volumes.front().unit = "a.u.";
  window_->setCase(std::move(other));
  EXPECT_TRUE(readout().endsWith("777 a.u.")) << readout().toStdString();
}

// 3. The sagittal label said "-20.0 mm" where the status bar said "L 20.0"; zero read "-0.0".
TEST_F(TrialViewsTest, SagittalLabelAgreesWithTheStatusBar) {
  SliceViewport* sagittal = view(SliceOrientation::Sagittal);
  window_->setCrosshair(Vec3(20.0, 1.0, 1.0));
  auto label = textsOf(sagittal, "topRight");
  ASSERT_EQ(label.size(), 1u);
  EXPECT_NE(label[0].text.find("L 20.0 mm"), std::string::npos) << label[0].text;
  hover(sagittal, widgetPoint(sagittal, Vec3(20.0, 5.0, 9.0)));
  EXPECT_TRUE(readout().startsWith("L 20.0 mm, ")) << readout().toStdString();
  EXPECT_NEAR(readoutPoint()[1], 5.0, 0.3) << readout().toStdString();
  EXPECT_NEAR(readoutPoint()[2], 9.0, 0.3) << readout().toStdString();
  window_->setCrosshair(Vec3(-0.0, 1.0, 1.0));
  label = textsOf(sagittal, "topRight");
  EXPECT_NE(label[0].text.find("sagittal  0.0 mm"), std::string::npos) << label[0].text;
  EXPECT_EQ(label[0].text.find('-'), std::string::npos) << label[0].text;
  window_->setCrosshair(Vec3(-12.0, -3.0, -5.0));
  EXPECT_NE(textsOf(sagittal, "topRight")[0].text.find("R 12.0 mm"), std::string::npos);
  EXPECT_NE(textsOf(view(SliceOrientation::Coronal), "topRight")[0].text.find("A 3.0 mm"),
            std::string::npos);
  EXPECT_NE(textsOf(view(SliceOrientation::Axial), "topRight")[0].text.find("I 5.0 mm"),
            std::string::npos);
}

// 4. A label beside a point near the view's edge ran off the screen.
TEST_F(TrialViewsTest, MeasurementLabelStaysInsideTheView) {
  SliceViewport* axial = view(SliceOrientation::Axial);
  axial->view().zoom(3.0);
  axial->grabFramebuffer();
  const int width_px = axial->lastFrame().width(), height_px = axial->lastFrame().height();
  // A ruler whose end lies 6 px inside the right edge, 6 px below the top.
  Vec3 end;
  ASSERT_TRUE(axial->view().displayToLps(width_px - 6, height_px - 6, end));
  Measurement ruler;
  ruler.kind = Measurement::Kind::Ruler;
  ruler.name = "Ruler 1";
  ruler.points_lps = {Vec3(0, 1, 1), end};
  window_->document()->addMeasurement(std::move(ruler));
  const auto labels = textsOf(axial, "measurement");
  ASSERT_EQ(labels.size(), 1u);
  // Beside its point, it would start past the top right corner: it is moved in just enough,
  // to 4 px from both edges.
  EXPECT_NEAR(labels[0].xMax, width_px - 4.0, 1.0);
  EXPECT_NEAR(labels[0].yMax, height_px - 4.0, 1.0);
  EXPECT_GE(labels[0].xMin, 0.0);
  EXPECT_GE(labels[0].yMin, 0.0);
  EXPECT_GT(labels[0].xMax - labels[0].xMin, 40.0);  // the text "… mm" itself
}

// 5. In 1+3 the top letter of a small view printed over its view name and position.
TEST_F(TrialViewsTest, OrientationLetterClearsTheViewNameIn1Plus3) {
  window_->setLayout(Layout::OnePlusThree);
  QTest::qWait(100);
  for (auto orientation : {SliceOrientation::Coronal, SliceOrientation::Sagittal}) {
    SCOPED_TRACE(rendering::toString(orientation));
    SliceViewport* small = view(orientation);
    ASSERT_LT(small->width(), 400);  // a small view
    const auto letters = textsOf(small, "orientation");
    ASSERT_EQ(letters.size(), 4u);
    const TextBox top = *std::max_element(letters.begin(), letters.end(),
                                          [](auto& a, auto& b) { return a.yMax < b.yMax; });
    for (const auto& corner : textsOf(small, "topRight")) {
      // Apart by at least 10 px across, or not on the same line.
      const bool overlap = top.xMin < corner.xMax + 10 && corner.xMin < top.xMax + 10 &&
                           top.yMin < corner.yMax && corner.yMin < top.yMax;
      EXPECT_FALSE(overlap) << top.text << " over \"" << corner.text << "\"";
    }
  }
}

// 6. The "(why?)" link was Qt's default blue on the dark panel: 1.7:1.
double luminance(const QColor& c) {  // WCAG 2.1 relative luminance
  auto channel = [](double v) {
    return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}
TEST_F(TrialViewsTest, BrowserLinkIsReadableOnTheDarkTheme) {
  const auto labels = window_->dicomBrowser()->findChildren<QLabel*>();
  ASSERT_FALSE(labels.empty());
  for (QLabel* label : labels) {
    const double link = luminance(label->palette().color(QPalette::Link));
    const double background = luminance(label->palette().color(QPalette::Window));
    // WCAG 2.1 success criterion 1.4.3: text contrast at least 4.5:1.
    EXPECT_GE((std::max(link, background) + 0.05) / (std::min(link, background) + 0.05), 4.5);
  }
}

// 7. After a right-drag the combo still named the preset the window no longer was.
TEST_F(TrialViewsTest, WindowComboShowsCustomAfterADrag) {
  auto* presets = window_->findChild<QComboBox*>("windowPresets");
  EXPECT_EQ(presets->currentText(), "CT soft tissue");  // a CT that is not a head
  SliceViewport* axial = view(SliceOrientation::Axial);
  const QPoint from = axial->rect().center(), to = from + QPoint(40, -25);
  QTest::mousePress(axial, Qt::RightButton, Qt::NoModifier, from);
  QMouseEvent drag(QEvent::MouseMove, to, axial->mapToGlobal(to), Qt::NoButton, Qt::RightButton,
                   Qt::NoModifier);
  QApplication::sendEvent(axial, &drag);
  QTest::mouseRelease(axial, Qt::RightButton, Qt::NoModifier, to);
  EXPECT_NE(axial->view().windowLevel().window, 400.0);
  EXPECT_EQ(presets->currentText(), "Custom");
  presets->setCurrentIndex(0);  // choosing a preset again names it
  EXPECT_EQ(presets->currentText(), "CT brain");
  EXPECT_EQ(axial->view().windowLevel().window, 80.0);
}

// 8. The scale bar's light text vanished on a bright image.
TEST_F(TrialViewsTest, ScaleBarTextIsLegibleOnAWhiteImage) {
  window_->setWindowLevel({1.0, -3000.0});  // every voxel white
  SliceViewport* axial = view(SliceOrientation::Axial);
  const auto boxes = textsOf(axial, "scaleBar");
  ASSERT_EQ(boxes.size(), 1u);
  const QImage frame = axial->lastFrame();
  int dark = 0, total = 0;
  for (int y = static_cast<int>(boxes[0].yMin); y < boxes[0].yMax; ++y)
    for (int x = static_cast<int>(boxes[0].xMin); x < boxes[0].xMax; ++x, ++total)
      if (qGray(frame.pixel(x, frame.height() - 1 - y)) < 110) ++dark;
  ASSERT_GT(total, 100);
  EXPECT_GT(dark, total / 3) << dark << " of " << total;  // a dark backing behind the text
}

// 9. While placing a ruler nothing joined the first point to the mouse.
TEST_F(TrialViewsTest, RubberBandFollowsTheMouseWhilePlacingARuler) {
  window_->setWindowLevel({400, 40});  // air black
  window_->setTool(Tool::Ruler);
  SliceViewport* axial = view(SliceOrientation::Axial);
  axial->setFocus();
  const Vec3 first(-50, -40, 1), cursor(50, -40, 1);  // in air, off the crosshair lines
  QTest::mouseClick(axial, Qt::LeftButton, Qt::NoModifier, widgetPoint(axial, first));
  hover(axial, widgetPoint(axial, cursor));
  const QImage frame = axial->grabFramebuffer();
  for (double t : {0.25, 0.5, 0.75}) {
    double x, y;
    axial->view().lpsToDisplay(first + t * (cursor - first), x, y);
    // The line is 2 px wide: the brightest of the pixels around the point.
    int red = 0, blue = 255;
    for (int dy = -1; dy <= 1; ++dy) {
      const QRgb pixel = frame.pixel(static_cast<int>(std::lround(x)),
                                     frame.height() - 1 - static_cast<int>(std::lround(y)) + dy);
      if (qRed(pixel) > red) {
        red = qRed(pixel);
        blue = qBlue(pixel);
      }
    }
    EXPECT_GT(red, 200) << "t = " << t;  // the measurement yellow (1.0, 0.85, 0.2)
    EXPECT_LT(blue, 120) << "t = " << t;
  }
  EXPECT_TRUE(window_->currentCase().measurements.empty());  // still being placed
}

}  // namespace
}  // namespace twinplan::ui
