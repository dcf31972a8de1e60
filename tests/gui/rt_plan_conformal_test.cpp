// Conformal planning in the window (issue #19 items 3 and 8) on the head phantom (scale 0.4): "Plan
// conformal" runs the planner in the background and stores the plan and its dose as one undo step;
// the plan appears in the RT panel's plans table and its dose in the Result chooser. Each beam's
// central axis is drawn in the 2D views, projected into the slice: its pixels are checked against
// the analytic projection of the axis (source at 1000 mm from the isocentre, IEC 61217 gantry
// angles for HFS). The beam's-eye view fills each structure's silhouette: the 25 mm tumour at the
// isocentre projects to a disc of radius 12.5 mm.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QDockWidget>
#include <QTableWidget>
#include <QTest>
#include <cmath>
#include <cstdlib>

#include "gui_fixtures.h"
#include "rt_case_fixtures.h"
#include "test_support.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/rendering/beam_overlay.h"
#include "twinplan/ui/beams_eye_view.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/rt_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

const Vec3 kTumourCentre_lps(32.0, -25.0, 20.0);

bool isColour(const QColor& c, int r, int g, int b) {
  return std::abs(c.red() - r) <= 8 && std::abs(c.green() - g) <= 8 && std::abs(c.blue() - b) <= 8;
}

class ConformalPlanWindowTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override { showCase(twinplan::test::headPhantom(0.4).twin, 0); }
  bool plan() {
    return window_->planConformal({{"ptv", "Tumour"},
                                   {"oars", {"Ventricles:mean:10"}},
                                   {"beams", "G0,G90,G270"},
                                   {"grid_mm", 3.0},
                                   {"label", "Left frontal"}});
  }
  QComboBox* chooser() const { return window_->findChild<QComboBox*>("resultChooser"); }
  // Whether a rendered pixel within one pixel of p in a 2D view has one of the colours (the
  // 2-pixel line's centre falls between pixels).
  bool drawnAt(SliceOrientation orientation, const Vec3& p_lps,
               std::initializer_list<Rgb> colours) const {
    SliceViewport* viewport = window_->sliceViewport(orientation);
    const QImage frame = viewport->grabFramebuffer();
    double x, y;
    viewport->view().lpsToDisplay(p_lps, x, y);
    const int cx = static_cast<int>(std::lround(x));
    const int cy = frame.height() - 1 - static_cast<int>(std::lround(y));
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx)
        for (const Rgb& c : colours)
          if (isColour(frame.pixelColor(cx + dx, cy + dy), c.r, c.g, c.b)) return true;
    return false;
  }
};

TEST_F(ConformalPlanWindowTest, PlanAndDoseAppearTogetherAndLeaveWithOneUndo) {
  ASSERT_TRUE(plan());
  RtPanel* panel = window_->rtPanel();
  ASSERT_EQ(panel->plansTable()->rowCount(), 1);
  EXPECT_EQ(panel->plansTable()->item(0, 0)->text(), "Left frontal");
  EXPECT_EQ(panel->plansTable()->item(0, 1)->text(), "3");
  EXPECT_EQ(panel->chosenPlan(), 0);
  ASSERT_EQ(panel->beamsTable()->rowCount(), 3);
  EXPECT_EQ(panel->beamsTable()->item(1, 1)->text().toDouble(), 90.0);
  // The dose is in the Result chooser and shown; the isodoses are % of the 60 Gy prescription.
  const std::string field = window_->currentCase().fields.at(0).name;
  const QString id = QString::fromStdString(window_->currentCase().fields.at(0).id);
  EXPECT_GE(chooser()->findData(id), 0);  // the chooser's items carry result ids
  EXPECT_EQ(window_->shownResultName(), field);
  ASSERT_TRUE(window_->doseReference_Gy());
  EXPECT_EQ(*window_->doseReference_Gy(), 60.0);
  window_->findChild<QDockWidget*>("rtPanel")->raise();
  window_->setCrosshair(kTumourCentre_lps);
  screenshot("rt-plan-conformal.png");
  // One undo takes plan and dose away together.
  window_->document()->undo();
  EXPECT_EQ(panel->plansTable()->rowCount(), 0);
  EXPECT_TRUE(window_->currentCase().fields.empty());
  EXPECT_LT(chooser()->findData(id), 0);
}

TEST_F(ConformalPlanWindowTest, BeamAxesAreDrawnWhereTheyProjectIntoEachSlice) {
  ASSERT_TRUE(plan());
  const std::vector<BeamDrawing> beams = window_->shownBeams();
  ASSERT_EQ(beams.size(), 3u);
  // HFS: gantry 0 from anterior (-y), 90 from the patient's left (+x), 270 from the right.
  const Vec3 iso = beams[0].geometry.isocentre_lps;
  EXPECT_NEAR((iso - kTumourCentre_lps).norm(), 0.0, 1.0);
  EXPECT_NEAR((beams[0].geometry.source_lps - (iso + Vec3(0, -1000, 0))).norm(), 0.0, 1e-6);
  EXPECT_NEAR((beams[1].geometry.source_lps - (iso + Vec3(1000, 0, 0))).norm(), 0.0, 1e-6);
  EXPECT_NEAR((beams[2].geometry.source_lps - (iso + Vec3(-1000, 0, 0))).norm(), 0.0, 1e-6);

  // An axial slice 10 mm above the isocentre: each coplanar axis projects to itself moved
  // 10 mm along S (the projection drops the normal component).
  window_->setCrosshair(iso + Vec3(0, 0, 10));
  const auto axes = window_->beamOverlay(SliceOrientation::Axial).projectedAxes();
  ASSERT_EQ(axes.size(), 3u);
  const Vec3 up(0, 0, 10);
  EXPECT_NEAR((axes[0].from_lps - (iso + Vec3(0, -1000, 0) + up)).norm(), 0.0, 1e-6);
  EXPECT_NEAR((axes[0].to_lps - (iso + Vec3(0, 300, 0) + up)).norm(), 0.0, 1e-6);
  EXPECT_NEAR((axes[1].to_lps - (iso + Vec3(-300, 0, 0) + up)).norm(), 0.0, 1e-6);
  EXPECT_NEAR((axes[0].isocentre_lps - (iso + up)).norm(), 0.0, 1e-6);
  // The pixels (the crosshair moved off the axes): on the G0 axis 40 mm anterior of the
  // isocentre the beam's yellow, 6 mm beside it not; on the G90 axis 25 mm to the left the cyan
  // of beam 2 (or the magenta of the opposed G270, whose axis is the same line); 40 mm to the
  // left lies under the dose legend's bar in this narrow view.
  window_->setCrosshair(iso + up + Vec3(-25, 25, 0));
  constexpr Rgb kYellow{255, 220, 0}, kCyan{0, 230, 230}, kMagenta{255, 120, 255};
  EXPECT_TRUE(drawnAt(SliceOrientation::Axial, iso + up + Vec3(0, -40, 0), {kYellow}));
  EXPECT_FALSE(drawnAt(SliceOrientation::Axial, iso + up + Vec3(6, -40, 0), {kYellow}));
  EXPECT_TRUE(drawnAt(SliceOrientation::Axial, iso + up + Vec3(25, 0, 0), {kCyan, kMagenta}));
  EXPECT_FALSE(drawnAt(SliceOrientation::Axial, iso + up + Vec3(25, 6, 0), {kCyan, kMagenta}));
  // The coronal view (at the crosshair's y): the AP axis runs along its normal (edge-on: only
  // the isocentre's cross); the lateral axes project to the L-R line at the isocentre's height.
  const auto coronal = window_->beamOverlay(SliceOrientation::Coronal).projectedAxes();
  ASSERT_EQ(coronal.size(), 3u);
  EXPECT_TRUE(coronal[0].edgeOn);
  EXPECT_FALSE(coronal[2].edgeOn);
  const Vec3 coronalPoint = Vec3(iso.x() - 40, iso.y() + 25, iso.z());
  EXPECT_TRUE(drawnAt(SliceOrientation::Coronal, coronalPoint, {kCyan, kMagenta}));
  EXPECT_FALSE(drawnAt(SliceOrientation::Coronal, coronalPoint + Vec3(0, 0, 6), {kCyan, kMagenta}));
  screenshot("rt-beam-axes-2d.png");
}

TEST_F(ConformalPlanWindowTest, BeamsEyeViewFillsEachStructuresSilhouette) {
  ASSERT_TRUE(plan());
  RtPanel* panel = window_->rtPanel();
  panel->beamsTable()->setCurrentCell(0, 0);
  BeamsEyeView* bev = panel->beamsEyeView();
  ASSERT_EQ(bev->beamName(), "G0");
  const auto tumour = std::find_if(bev->structures().begin(), bev->structures().end(),
                                   [](const ProjectedStructure& s) { return s.name == "Tumour"; });
  ASSERT_NE(tumour, bev->structures().end());
  ASSERT_FALSE(tumour->polygons_mm.empty());
  // The 25 mm sphere at the isocentre seen from 1000 mm: a disc of radius 12.5 mm (x 1.0001),
  // to the voxelised contours (2 mm in-plane, 4 mm slices).
  const QPainterPath silhouette = bev->silhouette(*tumour);
  for (double angle = 0; angle < 2 * M_PI; angle += M_PI / 6) {
    const double c = std::cos(angle), s = std::sin(angle);
    EXPECT_TRUE(silhouette.contains(bev->toWidget(8.0 * c, 8.0 * s))) << angle;
    EXPECT_FALSE(silhouette.contains(bev->toWidget(17.0 * c, 17.0 * s))) << angle;
  }
  // Drawn filled, and outlined where the fill ends: the mask is opaque inside the disc and
  // transparent beyond it, and its outline crosses the X axis at about 12.5 mm.
  const QImage mask = bev->silhouetteMask(*tumour, Qt::yellow);
  const auto opaque = [&](const QImage& image, double x_mm, double y_mm) {
    const QPoint p = bev->toWidget(x_mm, y_mm).toPoint();
    return qAlpha(image.pixel(p)) > 0;
  };
  EXPECT_TRUE(opaque(mask, 5.0, 5.0));
  EXPECT_FALSE(opaque(mask, 15.0, 15.0));
  const QImage outline = BeamsEyeView::outlineOf(mask);
  EXPECT_FALSE(opaque(outline, 5.0, 5.0));
  bool edge = false;
  for (double x = 10.5; x <= 14.5; x += 0.25) edge = edge || opaque(outline, x, 0.5);
  EXPECT_TRUE(edge);
  window_->findChild<QDockWidget*>("rtPanel")->raise();
  screenshot("rt-beams-eye-filled.png");
}

TEST_F(ConformalPlanWindowTest, AnUnknownOrganAtRiskIsAClearErrorAndNothingChanges) {
  EXPECT_THROW(window_->planConformal({{"ptv", "Tumour"}, {"oars", {"Brainstem:max:54"}}}), Error);
  EXPECT_TRUE(window_->currentCase().plans.empty());
  EXPECT_TRUE(window_->currentCase().fields.empty());
  EXPECT_EQ(window_->rtPanel()->plansTable()->rowCount(), 0);
}

}  // namespace
}  // namespace twinplan::ui
