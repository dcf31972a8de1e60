// Scalar-field overlays (dose, temperature) on the 2D views: colour wash, isolines and legend
// against an analytic field, in a real window.
#include <gtest/gtest.h>

#include <QApplication>
#include <QTest>
#include <cmath>

#include "gui_fixtures.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

const Vec3 kHotSpot_lps(4.0, -6.0, 10.0);

// Air CT (black in any soft-tissue window) and, on its own coarser grid, a cone-shaped
// "temperature" 100 - r degC around the hot spot: its isotherm at T lies at r = 100 - T.
Case heatedCase() {
  ImageGeometry g;
  g.size = {100, 100, 40};
  g.spacing_mm = Vec3(1.0, 1.0, 2.0);
  g.origin_lps = kHotSpot_lps - Vec3(49.5, 49.5, 39.0);
  ImageVolume ct = fixtures::ctVolume(g);
  std::fill(ct.voxels<std::int16_t>().begin(), ct.voxels<std::int16_t>().end(), -1000);

  ScalarField field;
  field.name = "Temperature";
  field.quantity = "temperature";
  field.unit = units::kDegreeCelsius;
  field.geometry.size = {50, 50, 20};
  field.geometry.spacing_mm = Vec3(2.0, 2.0, 4.0);
  field.geometry.origin_lps = kHotSpot_lps - Vec3(49.0, 49.0, 38.0);
  field.values.resize(field.geometry.voxelCount());
  for (std::int64_t k = 0; k < 20; ++k)
    for (std::int64_t j = 0; j < 50; ++j)
      for (std::int64_t i = 0; i < 50; ++i) {
        const double r = (field.geometry.indexToLps(Vec3(i, j, k)) - kHotSpot_lps).norm();
        field.values[field.geometry.linearIndex(i, j, k)] = static_cast<float>(100.0 - r);
      }
  Case twin;
  twin.volumes.push_back(std::move(ct));
  twin.fields.push_back(std::move(field));
  return twin;
}

class FieldOverlayTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    showCase(heatedCase(), 0);
    if (HasFatalFailure()) return;
    window_->setCrosshair(kHotSpot_lps);
  }
};

TEST_F(FieldOverlayTest, IsothermsAreCirclesAtTheAnalyticRadius) {
  rendering::SliceView& axial = window_->sliceViewport(SliceOrientation::Axial)->view();
  axial.setScalarField(&window_->currentCase().fields[0],
                       {.min = 10, .max = 100, .opacity = 0.5, .isolevels = {80.0, 60.0}});
  const auto segments = axial.isolineSegments();
  ASSERT_GT(segments.size(), 40u);
  int near20 = 0, near40 = 0;
  for (const auto& [a, b] : segments) {
    for (const Vec3& p : {a, b}) {
      EXPECT_NEAR(p[2], kHotSpot_lps[2], 1e-6);  // on the axial plane through the hot spot
      const double r = std::hypot(p[0] - kHotSpot_lps[0], p[1] - kHotSpot_lps[1]);
      // Trilinear interpolation of the cone on a 2 mm grid: within 0.3 mm of the true circle.
      if (std::abs(r - 20.0) < 0.3)
        ++near20;
      else if (std::abs(r - 40.0) < 0.3)
        ++near40;
      else
        ADD_FAILURE() << "isoline point at r = " << r << " mm";
    }
  }
  EXPECT_GT(near20, 20);
  EXPECT_GT(near40, 40);
}

TEST_F(FieldOverlayTest, ColourWashShowsTheFieldColourWhereTheFieldIs) {
  SliceViewport* viewport = window_->sliceViewport(SliceOrientation::Axial);
  rendering::SliceView& axial = viewport->view();
  // Opacity 1 over black air: the pixel is the colour map's colour itself.
  axial.setScalarField(&window_->currentCase().fields[0],
                       {.min = 10, .max = 100, .opacity = 1.0, .isolevels = {}});
  viewport->repaint();
  const QImage frame = viewport->grabFramebuffer();
  for (double r : {5.0, 25.0, 40.0}) {
    const Vec3 p = kHotSpot_lps + Vec3(r * std::cos(0.7), r * std::sin(0.7), 0);
    double x, y;
    axial.lpsToDisplay(p, x, y);
    const QColor shown = frame.pixelColor(static_cast<int>(std::lround(x)),
                                          frame.height() - 1 - static_cast<int>(std::lround(y)));
    const Rgb expected = axial.fieldColour(100.0 - r);
    EXPECT_NEAR(shown.red(), expected.r, 12) << "r = " << r;
    EXPECT_NEAR(shown.green(), expected.g, 12) << "r = " << r;
    EXPECT_NEAR(shown.blue(), expected.b, 12) << "r = " << r;
  }
  EXPECT_EQ(axial.fieldColour(100.0).r, 255);  // the top of the scale is red
  EXPECT_EQ(axial.fieldColour(10.0).b, 255);   // the bottom is blue
}

// The legend's tick labels stand at a fixed font size beside the bar; in a narrow view (the
// small views of 2 x 2 at 1200 x 900) a bar placed at a fixed fraction of the width had "0.516"
// cut to "0.51" at the right edge. The labels now fit inside: no white glyph pixel in the
// view's last columns beside the bar, and all of them drawn left of those.
TEST_F(FieldOverlayTest, LegendLabelsStayInsideANarrowView) {
  SliceViewport* viewport = window_->sliceViewport(SliceOrientation::Axial);
  viewport->setFixedWidth(220);
  QTRY_COMPARE_WITH_TIMEOUT(viewport->width(), 220, 5000);
  rendering::SliceView& axial = viewport->view();
  axial.setScalarField(&window_->currentCase().fields[0],
                       {.min = 0.516, .max = 5.16, .opacity = 0.5, .isolevels = {}});
  viewport->repaint();
  const QImage frame = viewport->grabFramebuffer();
  auto whiteIn = [&](int firstColumn, int lastColumn) {
    int white = 0;
    for (int row = int(0.35 * frame.height()); row < int(0.75 * frame.height()); ++row)
      for (int column = firstColumn; column <= lastColumn; ++column) {
        const QColor c = frame.pixelColor(column, row);
        white += c.red() > 200 && c.green() > 200 && c.blue() > 200;
      }
    return white;
  };
  EXPECT_GT(whiteIn(frame.width() - 50, frame.width() - 4), 40) << "the labels are drawn";
  EXPECT_EQ(whiteIn(frame.width() - 3, frame.width() - 1), 0) << "a label is cut at the edge";
}

TEST_F(FieldOverlayTest, TheWindowShowsTheCasesFirstFieldByDefault) {
  rendering::SliceView& axial = window_->sliceViewport(SliceOrientation::Axial)->view();
  // Default isolines at 20/40/60/80/95 % of the maximum (100 degC at the hot spot).
  EXPECT_FALSE(axial.isolineSegments().empty());
}

}  // namespace
}  // namespace twinplan::ui
