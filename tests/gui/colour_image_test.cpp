// A colour secondary capture and a radiograph opened through the UI, in a real window under
// Xvfb: the colour image shows its exact colours on screen (no window/level), 2D images open in
// the 1-up layout, and a volume afterwards brings the previous layout back.
#include <gtest/gtest.h>

#include <QApplication>
#include <QComboBox>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "colour_fixtures.h"
#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/dicom_thumbnails.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

// The colour the axial view shows at an LPS point of its slice.
QColor colourAt(MainWindow& window, const Vec3& p_lps) {
  return fixtures::shownAt(window.sliceViewport(SliceOrientation::Axial), p_lps);
}

const io::DicomSeries* onlySeries(MainWindow& window) {
  const auto all = window.dicomBrowser()->index().allSeries();
  EXPECT_EQ(all.size(), 1u);
  return all.empty() ? nullptr : all.front();
}

TEST(ColourImageInTheUi, ShowsExactColoursInTheOneUpLayout) {
  test::TempDir dir;
  test::ImageSpec card;
  card.rows = card.columns = 32;  // quadrants of 16x16 pixels of 1 mm (no pixel spacing)
  card.pixelBytes = test::rgbBytes(card);
  test::writeImage(card, dir / "card.dcm");

  MainWindow window;
  window.resize(1000, 800);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ASSERT_TRUE(window.importDicom(dir.path()));
  const io::DicomSeries* series = onlySeries(window);
  ASSERT_NE(series, nullptr);
  EXPECT_EQ(series->kind, io::SeriesKind::SecondaryCapture);
  ASSERT_TRUE(window.loadSeries(*series));
  QTest::qWait(200);

  ASSERT_EQ(window.currentCase().volumes.size(), 1u);
  EXPECT_EQ(window.currentCase().volumes[0].pixelType(), PixelType::Rgb8);
  // 1-up: the axial view alone; no coronal/sagittal lines and no 3D view of a flat image.
  EXPECT_TRUE(window.sliceViewport(SliceOrientation::Axial)->isVisible());
  EXPECT_FALSE(window.sliceViewport(SliceOrientation::Coronal)->isVisible());
  EXPECT_FALSE(window.volumeViewport()->isVisible());

  // Pixel (i, j) is at LPS (i, j, 0): the quadrant centres, through the whole display chain.
  const struct {
    Vec3 p_lps;
    QColor colour;
  } expected[] = {{{8, 8, 0}, QColor(255, 0, 0)},
                  {{24, 8, 0}, QColor(0, 255, 0)},
                  {{8, 24, 0}, QColor(0, 0, 255)},
                  {{24, 24, 0}, QColor(255, 255, 0)}};
  for (const auto& [p_lps, colour] : expected) {
    EXPECT_EQ(colourAt(window, p_lps), colour) << p_lps.transpose();
  }
  // Window/level is a greyscale mapping: it must not change a colour image, and its presets are
  // off.
  auto* presets = window.findChild<QComboBox*>("windowPresets");
  ASSERT_NE(presets, nullptr);
  EXPECT_FALSE(presets->isEnabled());
  window.setWindowLevel({50, 500});
  EXPECT_EQ(colourAt(window, {8, 8, 0}), QColor(255, 0, 0));

  const char* shot = std::getenv("TWINPLAN_COLOUR_SCREENSHOT");
  if (shot) window.grab().save(shot);
}

TEST(ColourImageInTheUi, BrowserThumbnailsShowColourAndRadiographs) {
  test::TempDir dir;
  test::ImageSpec card;
  card.rows = card.columns = 32;
  card.pixelBytes = test::rgbBytes(card);
  test::writeImage(card, dir / "card.dcm");
  const io::DicomIndex colour = io::scanDicom(dir.path());
  const QImage thumbnail = seriesThumbnail(*colour.allSeries().at(0), 32);
  ASSERT_FALSE(thumbnail.isNull());
  EXPECT_EQ(QColor(thumbnail.pixel(4, 4)), QColor(255, 0, 0));      // red quadrant
  EXPECT_EQ(QColor(thumbnail.pixel(27, 27)), QColor(255, 255, 0));  // yellow quadrant

  const io::DicomIndex cr = io::scanDicom(test::sharedData("dicomdir/77654033/CR1"));
  EXPECT_FALSE(seriesThumbnail(*cr.allSeries().at(0), 16).isNull());
}

// The CR is MONOCHROME1 (PS3.3 C.7.6.3.1.2): its values are no longer inverted, the display
// is. On screen every pixel must be as grey as it was when the loader inverted the values
// (stored min + max - value) and mirrored the window: dense matter (low stored values) white.
void expectShownAsBeforeMonochrome1WasLeftToTheDisplay(MainWindow& window,
                                                       const ImageVolume& image) {
  ASSERT_TRUE(image.dicom.displayInverted);
  SliceViewport* viewport = window.sliceViewport(SliceOrientation::Axial);
  QTest::qWait(100);
  const QImage frame = viewport->grabFramebuffer();
  const double lo = 200.0, hi = 4095 * 0.684 + 200.0;  // stored 0 and 4095, rescaled
  const rendering::WindowLevel formerWindow{image.dicom.windowWidth,
                                            lo + hi - image.dicom.windowCenter};
  int worst = 0, brightest = -1, darkest = 256;
  double brightestValue = 0, darkestValue = 0;
  // Away from the crosshair lines and the image's outer ring (drawn over or cut by the edge).
  const Vec3 crosshair = image.geometry().lpsToIndex(viewport->view().crosshair());
  const std::int64_t last = image.geometry().size[0] - 1;
  int compared = 0;
  for (std::int64_t j = 1; j < image.geometry().size[1] - 1; ++j)
    for (std::int64_t i = 1; i < last; ++i) {
      if (std::abs(i - crosshair[0]) < 1.0 || std::abs(j - crosshair[1]) < 1.0) continue;
      ++compared;
      const double value = image.valueAt(i, j, 0);
      double x, y;
      viewport->view().lpsToDisplay(image.geometry().indexToLps(Vec3(i, j, 0)), x, y);
      const int column = static_cast<int>(std::lround(x));
      const int row = frame.height() - 1 - static_cast<int>(std::lround(y));
      ASSERT_TRUE(frame.rect().contains(column, row));
      const int shown = qGray(frame.pixel(column, row));
      const int former = rendering::displayGrey(lo + hi - value, formerWindow);
      worst = std::max(worst, std::abs(shown - former));
      if (shown > brightest) std::tie(brightest, brightestValue) = std::pair{shown, value};
      if (shown < darkest) std::tie(darkest, darkestValue) = std::pair{shown, value};
    }
  EXPECT_GE(compared, 100);
  EXPECT_LE(worst, 2);  // rounding of the linear VOI function and of the screen's colour
  EXPECT_LT(brightestValue, darkestValue);  // the lowest values are the white ones
  EXPECT_GT(brightest, darkest + 30);       // measured: 124 and 82
}

TEST(ColourImageInTheUi, ARadiographOpensAndAVolumeBringsTheLayoutBack) {
  MainWindow window;
  window.resize(1000, 800);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  window.setLayout(Layout::FourUp);
  ASSERT_TRUE(window.importDicom(test::sharedData("dicomdir/77654033/CR1")));
  const io::DicomSeries* cr = onlySeries(window);
  ASSERT_NE(cr, nullptr);
  ASSERT_TRUE(window.loadSeries(*cr));
  QTest::qWait(100);
  const ImageVolume& image = window.currentCase().volumes.at(0);
  EXPECT_TRUE(image.planar2D);
  EXPECT_EQ(image.dicom.modality, "CR");
  EXPECT_FALSE(window.sliceViewport(SliceOrientation::Coronal)->isVisible());
  expectShownAsBeforeMonochrome1WasLeftToTheDisplay(window, image);

  ASSERT_TRUE(window.importDicom(test::sharedData("seg-dcmqi/ct")));
  // The browser keeps the radiograph listed beside the CT (every import adds to the list).
  const io::DicomSeries* ct = nullptr;
  for (const io::DicomSeries* series : window.dicomBrowser()->index().allSeries())
    if (series->modality == "CT") ct = series;
  EXPECT_EQ(window.dicomBrowser()->index().allSeries().size(), 2u);
  ASSERT_NE(ct, nullptr);
  ASSERT_TRUE(window.loadSeries(*ct));
  QTest::qWait(100);
  EXPECT_FALSE(window.currentCase().volumes.at(0).planar2D);
  EXPECT_TRUE(window.sliceViewport(SliceOrientation::Coronal)->isVisible());
  EXPECT_TRUE(window.volumeViewport()->isVisible());
  EXPECT_TRUE(window.findChild<QComboBox*>("windowPresets")->isEnabled());
}

}  // namespace
}  // namespace twinplan::ui
