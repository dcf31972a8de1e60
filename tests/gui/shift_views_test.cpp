// Tissue shift in the 2D views (issue #18 items 4 and 8), in a real window: the displacement as
// arrows and the original and deformed contours together (rendering/shift_overlay.h) on a
// result whose shift is known exactly (a uniform translation), and the panel's patient position
// and resection sphere. (The live tool dragged in 2D: shift_drag_test.cpp.)
#include <gtest/gtest.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QPushButton>
#include <QTest>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "test_support.h"
#include "twinplan/engine/tissue_shift.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/rendering/shift_overlay.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/shift_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

const phantom::Phantom& head() {
  static const phantom::Phantom p = [] {
    phantom::PhantomOptions o;
    o.kind = phantom::PhantomKind::Head;
    o.scale = 0.4;
    return phantom::makePhantom(o);
  }();
  return p;
}

void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((std::filesystem::path(dir) / name).string()), "PNG");
}

// Widget coordinates of an LPS point in a slice view (its projection on the slice).
QPointF widgetPoint(SliceViewport* view, const Vec3& p_lps) {
  double x, y;
  view->view().lpsToDisplay(p_lps, x, y);
  const double ratio = view->devicePixelRatioF();
  return QPointF(x / ratio, view->height() - y / ratio);
}

Vec3 centroid(const std::vector<std::pair<Vec3, Vec3>>& edges) {
  Vec3 sum = Vec3::Zero();
  for (const auto& [a, b] : edges) sum += (a + b) / 2;
  return sum / double(std::max<std::size_t>(edges.size(), 1));
}

// The head phantom with a tissue-shift result whose displacement is a translation by
// `shift_voxels` voxels along the grid's first axis (L): its component fields and its deformed
// labelmap (the original's voxels moved by as many voxels), as edits::storeSimulationOutputs
// names them.
Case translatedShift(int shift_voxels, double& shift_mm) {
  Case twin = head().twin;
  const LabelMap labels = twin.labelMaps.at(0);  // a copy: push_back below moves the vector
  const ImageGeometry g = labels.geometry();
  const Vec3 step = g.indexToLps(Vec3(1, 0, 0)) - g.indexToLps(Vec3(0, 0, 0));
  EXPECT_GT(step.x(), 0.99 * step.norm());  // the first axis is L
  shift_mm = shift_voxels * step.norm();
  LabelMap moved = labels;
  moved.name = labels.name + " (shifted)";
  for (int layer = 0; layer < moved.layerCount(); ++layer) {
    std::vector<std::uint16_t>& out = moved.layer(layer);
    const std::vector<std::uint16_t>& in = labels.layer(layer);
    for (std::int64_t k = 0; k < g.size[2]; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const std::int64_t from = i - shift_voxels;
          out[std::size_t((k * g.size[1] + j) * g.size[0] + i)] =
              from < 0 ? 0 : in[std::size_t((k * g.size[1] + j) * g.size[0] + from)];
        }
  }
  twin.labelMaps.push_back(std::move(moved));
  auto component = [&](const std::string& name, float value) {
    ScalarField f;
    f.name = "Brain shift " + name;
    f.quantity = "displacement";
    f.unit = units::kMillimetre;
    f.geometry = g;
    f.values.assign(g.voxelCount(), value);
    twin.fields.push_back(std::move(f));
  };
  component("|u|", float(shift_mm));
  component("uL", float(shift_mm));
  component("uP", 0.0f);
  component("uS", 0.0f);
  Plan plan;
  plan.name = "Brain shift";
  plan.kind = "tissue-shift";
  plan.parameters["result"] = {{"labelmap", labels.name},
                               {"max_displacement_mm", shift_mm},
                               {"targets", nlohmann::json::array()}};
  twin.plans.push_back(plan);
  return twin;
}

class ShiftViewsTest : public ::testing::Test {
 protected:
  void show(const Case& twin) {
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->setCase(twin);
    window_->resize(1500, 950);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    panel_ = window_->shiftPanel();
    window_->findChild<QDockWidget*>("shiftDock")->raise();
  }
  void TearDown() override {
    if (!window_) return;
    window_->document()->editor().markClean();
    window_->close();
    window_.reset();
  }
  SliceViewport* view(SliceOrientation o) const { return window_->sliceViewport(o); }

  test::TempDir autosave_{"twinplan-gui-shift-views"};
  std::unique_ptr<MainWindow> window_;
  ShiftPanel* panel_ = nullptr;
};

// A uniform shift of d mm towards L: the axial and coronal views draw arrows pointing L (screen
// right), each d x scale long, on a 10 mm grid over the image; the sagittal view (whose normal
// is L) draws none; the legend states the scale.
TEST_F(ShiftViewsTest, ArrowsShowAUniformShiftTowardsTheLeft) {
  double d_mm = 0;
  show(translatedShift(2, d_mm));
  ASSERT_GT(d_mm, 1.0);
  const ImageGeometry& g = head().twin.labelMaps[0].geometry();
  window_->setCrosshair(g.indexToLps(Vec3(g.size[0] / 2, g.size[1] / 2, g.size[2] / 2)));
  EXPECT_FALSE(panel_->arrowsShown());  // off by default
  EXPECT_TRUE(window_->shiftOverlay(SliceOrientation::Axial).arrows().empty());
  panel_->setArrowsShown(true);

  rendering::ShiftOverlay& axial = window_->shiftOverlay(SliceOrientation::Axial);
  // The largest 1-2-5 scale that keeps a d mm arrow within 0.8 of the 10 mm grid.
  const double expectedScale = 0.8 * 10.0 / d_mm >= 5 ? 5 : 0.8 * 10.0 / d_mm >= 2 ? 2 : 1;
  EXPECT_DOUBLE_EQ(axial.arrowScale(), expectedScale);
  EXPECT_NE(axial.arrowLegend().find("x" + std::to_string(int(expectedScale))), std::string::npos)
      << axial.arrowLegend();
  const auto arrows = axial.arrows();
  // One arrow per 10 mm grid point over the axial image (L x P extent).
  const double widthL_mm = g.size[0] * g.spacing_mm[0], heightP_mm = g.size[1] * g.spacing_mm[1];
  const double expected = std::floor(widthL_mm / 10) * std::floor(heightP_mm / 10);
  EXPECT_GE(double(arrows.size()), 0.8 * expected);
  EXPECT_LE(double(arrows.size()), 1.3 * expected + 2);
  SliceViewport* axialView = view(SliceOrientation::Axial);
  for (const auto& arrow : arrows) {
    ASSERT_NEAR((arrow.inPlaneShift_mm - Vec3(d_mm, 0, 0)).norm(), 0.0, 1e-4);
    ASSERT_NEAR((arrow.head_lps() - arrow.tail_lps).norm(), d_mm * expectedScale, 1e-4);
  }
  // On screen: to the right (patient left in the radiological convention).
  const QPointF tail = widgetPoint(axialView, arrows[arrows.size() / 2].tail_lps);
  const QPointF head = widgetPoint(axialView, arrows[arrows.size() / 2].head_lps());
  EXPECT_GT(head.x() - tail.x(), 1.0);
  EXPECT_NEAR(head.y(), tail.y(), 0.5);
  EXPECT_FALSE(
      window_->shiftOverlay(SliceOrientation::Coronal).arrows().empty());  // coronal: L is in plane
  EXPECT_TRUE(window_->shiftOverlay(SliceOrientation::Sagittal)
                  .arrows()
                  .empty());  // sagittal: L is its normal
  saveScreenshot(*window_, "shift_arrows.png");
  panel_->setArrowsShown(false);
  EXPECT_TRUE(window_->shiftOverlay(SliceOrientation::Axial).arrows().empty());
}

// Original and deformed together: both contour sets are drawn, and the deformed tumour's
// contour is the original's moved by the shift (within a slice pixel).
TEST_F(ShiftViewsTest, ContoursOfTheOriginalAndTheDeformedAreOffsetByTheShift) {
  double d_mm = 0;
  show(translatedShift(3, d_mm));
  const phantom::TumourTruth& tumour = head().tumours.at(0);
  window_->setCrosshair(tumour.centre_lps);
  EXPECT_TRUE(panel_->contoursShown());  // on by default
  rendering::ShiftOverlay& axial = window_->shiftOverlay(SliceOrientation::Axial);
  const auto original = axial.contourEdges(false, tumour.name);
  const auto deformed = axial.contourEdges(true, tumour.name);
  ASSERT_GT(original.size(), 8u);
  ASSERT_GT(deformed.size(), 8u);
  const double pixel_mm = view(SliceOrientation::Axial)->view().slicePlane().spacing_mm;
  const Vec3 offset = centroid(deformed) - centroid(original);
  EXPECT_NEAR(offset.x(), d_mm, pixel_mm);
  EXPECT_NEAR(offset.y(), 0.0, pixel_mm);
  EXPECT_NEAR(offset.z(), 0.0, 1e-6);  // both on the slice
  // Every segment's contours, not only the tumour's.
  EXPECT_GT(axial.contourEdges(false).size(), original.size());
  saveScreenshot(*window_, "shift_contours.png");
  panel_->setContoursShown(false);
  EXPECT_TRUE(window_->shiftOverlay(SliceOrientation::Axial).contourEdges(true).empty());
  // Undoing the result takes its layers away with it.
  panel_->setContoursShown(true);
  window_->document()->editor().markClean();
}

// Patient position: the images' (0018,5100) by default, gravity's direction in LPS beside it,
// and the choice goes into the job's parameters; the resection sphere's centre is picked in a
// 2D view.
TEST_F(ShiftViewsTest, PatientPositionSetsGravityAndTheResectionCentreIsPicked) {
  Case twin = head().twin;
  for (ImageVolume& v : twin.volumes) v.dicom.patientPosition = "HFP";
  show(twin);
  auto* position = panel_->findChild<QComboBox*>("shiftPatientPosition");
  ASSERT_NE(position, nullptr);
  EXPECT_EQ(position->currentIndex(), 0);
  EXPECT_TRUE(position->currentText().contains("HFP")) << position->currentText().toStdString();
  EXPECT_TRUE(panel_->parameters().patientPosition.empty());  // the job reads the images'
  // Prone: gravity towards the patient's front (PS3.3 C.7.3.1.1.2; -P in LPS).
  EXPECT_TRUE(panel_->gravityText().contains("anterior (LPS 0, -1, 0)"))
      << panel_->gravityText().toStdString();
  position->setCurrentIndex(position->findText("HFDL"));
  EXPECT_EQ(panel_->parameters().patientPosition, "HFDL");
  EXPECT_TRUE(panel_->gravityText().contains("left (LPS 1, 0, 0)"))
      << panel_->gravityText().toStdString();
  engine::TissueShiftParameters p = panel_->parameters();
  p.patientPosition = "FFDR";
  panel_->setParameters(p);
  EXPECT_EQ(position->currentText(), "FFDR");

  // The sphere: "Pick the centre", one click in the axial view.
  p.scenario = "resection";
  panel_->setParameters(p);
  panel_->findChild<QCheckBox*>("shiftResectSphere")->setChecked(true);
  auto* pick = panel_->findChild<QPushButton*>("shiftPickCentre");
  ASSERT_TRUE(pick->isEnabled());
  pick->click();
  EXPECT_TRUE(panel_->pickingCentre());
  const Vec3 centre = head().tumours.at(0).centre_lps;
  window_->setCrosshair(centre);
  SliceViewport* axial = view(SliceOrientation::Axial);
  axial->setFocus();
  QTest::mouseClick(axial, Qt::LeftButton, Qt::NoModifier, widgetPoint(axial, centre).toPoint());
  EXPECT_FALSE(panel_->pickingCentre());
  const engine::TissueShiftParameters picked = panel_->parameters();
  ASSERT_TRUE(picked.resection.sphere.has_value());
  EXPECT_TRUE(picked.resection.segment.empty());
  double x0, y0, x1, y1;
  axial->view().lpsToDisplay(centre, x0, y0);
  axial->view().lpsToDisplay(centre + Vec3(10, 0, 0), x1, y1);
  const double pixel_mm = 10.0 / std::abs(x1 - x0) * axial->devicePixelRatioF();
  for (int a = 0; a < 3; ++a)
    EXPECT_NEAR((*picked.resection.sphere)[a], centre[a], pixel_mm + 0.05);
  EXPECT_NO_THROW(picked.validate());
}

}  // namespace
}  // namespace twinplan::ui
