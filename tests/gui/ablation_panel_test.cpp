// The Ablation panel in a real window (issue #17 item 5): a probe placed by clicks on the abdomen
// phantom's 15 mm tumour, a short microwave run on a small box, its zone segment, fields and
// margin report; Cancel leaves the case unchanged; undo removes the result; save and reopen
// bring back the fields, the zone and the probe.
#include "twinplan/ui/ablation_panel.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QDockWidget>
#include <QLabel>
#include <QProgressDialog>
#include <QPushButton>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <cstdlib>

#include "test_support.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/segmentation/mesh_metrics.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

namespace fs = std::filesystem;

const phantom::Phantom& abdomen() {
  static const phantom::Phantom p = [] {
    phantom::PhantomOptions options;
    options.surfaceModels = false;
    return phantom::makePhantom(options);
  }();
  return p;
}

void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((fs::path(dir) / name).string()), "PNG");
}

float maximumOf(const ScalarField& field) {
  return *std::max_element(field.values.begin(), field.values.end());
}

class AblationPanelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->setCase(abdomen().twin);
    window_->resize(1500, 950);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    // A small box and a coarse grid, so the run takes seconds (the physics is tested in
    // tests/unit/ablation_*; here the panel's wiring and what it stores).
    window_->setAblationRunOptions({.boxSize_mm = 50.0, .spacing_mm = 2.0, .timeStep_s = 10.0});
    panel_ = window_->ablationPanel();
    ASSERT_NE(panel_, nullptr);
  }

  SliceViewport* axial() const {
    return window_->sliceViewport(rendering::SliceOrientation::Axial);
  }
  QPoint widgetPoint(const Vec3& p_lps) const {
    double x, y;
    axial()->view().lpsToDisplay(p_lps, x, y);
    const double ratio = axial()->devicePixelRatioF();
    return QPoint(int(std::lround(x / ratio)), int(std::lround(axial()->height() - y / ratio)));
  }
  double pixelsPerMm() const {
    double x0, y0, x1, y1;
    axial()->view().lpsToDisplay(Vec3(0, 0, 0), x0, y0);
    axial()->view().lpsToDisplay(Vec3(10, 0, 0), x1, y1);
    return std::abs(x1 - x0) / 10.0 / axial()->devicePixelRatioF();
  }

  // Tip at the small tumour's centre, entry 60 mm anterior (a straight anterior approach),
  // placed as a user does: "Place" beside Tip, then two clicks in the axial view.
  void placeProbe() {
    const Vec3 tip = tumour().centre_lps;
    window_->setCrosshair(tip);
    QTest::mouseClick(panel_->findChild<QPushButton*>("placeTip"), Qt::LeftButton);
    ASSERT_EQ(panel_->placing(), AblationPanel::Point::Tip);
    QTest::mouseClick(axial(), Qt::LeftButton, Qt::NoModifier, widgetPoint(tip));
    ASSERT_EQ(panel_->placing(), AblationPanel::Point::Entry);  // the entry comes next
    QTest::mouseClick(axial(), Qt::LeftButton, Qt::NoModifier,
                      widgetPoint(tip + Vec3(0.0, -60.0, 0.0)));
    EXPECT_FALSE(panel_->placing());
    ASSERT_TRUE(panel_->setup().complete());
    // A click lands on the slice through the tip, within a screen pixel of where it aimed.
    const double pixel_mm = 1.0 / pixelsPerMm();
    EXPECT_LT((*panel_->setup().tip_lps - tip).norm(), pixel_mm + 1e-6);
    EXPECT_LT((*panel_->setup().entry_lps - (tip + Vec3(0, -60, 0))).norm(), pixel_mm + 1e-6);
    EXPECT_TRUE(panel_->findChild<QPushButton*>("ablationSimulate")->isEnabled());
  }
  AblationSetup shortMicrowave() {
    AblationSetup s = panel_->setup();
    s.deviceId = "mw-2450mhz-100w";
    s.power_W = 100.0;
    s.duration_s = 120.0;
    s.tumour = tumour().name;
    s.margin_mm = 5.0;
    return s;
  }
  const phantom::TumourTruth& tumour() const { return abdomen().tumours.at(0); }  // 15 mm

  test::TempDir autosave_;
  std::unique_ptr<MainWindow> window_;
  AblationPanel* panel_ = nullptr;
};

TEST_F(AblationPanelTest, DeviceShowsItsDefaultsAndPublishedZone) {
  panel_->setSetup([] {
    AblationSetup s;
    s.deviceId = "mw-2450mhz-100w";
    s.power_W = 100.0;
    s.duration_s = 300.0;
    return s;
  }());
  const QString info = panel_->findChild<QLabel*>("ablationDeviceInfo")->text();
  EXPECT_TRUE(info.contains("100 W")) << info.toStdString();
  EXPECT_TRUE(info.contains("5 min")) << info.toStdString();
  EXPECT_TRUE(info.contains("Published zone")) << info.toStdString();
  // Without a surrogate the panel says so, and Simulate waits for the probe.
  EXPECT_TRUE(panel_->findChild<QLabel*>("ablationLiveNote")->text().contains("not available"));
  EXPECT_FALSE(panel_->findChild<QPushButton*>("ablationSimulate")->isEnabled());
}

TEST_F(AblationPanelTest, SimulateStoresZoneFieldsAndPlanAndUndoRemovesThem) {
  placeProbe();
  panel_->setSetup([&] {
    AblationSetup s = shortMicrowave();
    s.tip_lps = panel_->setup().tip_lps;
    s.entry_lps = panel_->setup().entry_lps;
    return s;
  }());
  const Case before = window_->currentCase();
  ASSERT_TRUE(window_->simulateAblation(panel_->setup()));
  const Case& after = window_->currentCase();

  // Fields: the maximum temperature (first: it is the one washed over the views) and damage.
  ASSERT_EQ(after.fields.size(), 2u);
  EXPECT_EQ(after.fields[0].quantity, "temperature");
  EXPECT_EQ(after.fields[1].quantity, "damage");
  // 100 W for 2 min: above the 60 degC of near-instant coagulation at the antenna (Goldberg
  // SN et al., AJR 2000;174:323-331), while the box's corner, 30 mm from the antenna, stays at
  // body temperature: heat diffuses sqrt(alpha t) = sqrt(1.4e-7 m2/s * 120 s) = 4 mm in 2 min
  // (liver diffusivity k / (rho c) = 0.52 / (1079 * 3540), IT'IS database), and the antenna's
  // SAR there is a few percent of the peak.
  EXPECT_GT(maximumOf(after.fields[0]), 60.0f);
  EXPECT_NEAR(after.fields[0].values.front(), 37.0f, 1.0f);
  EXPECT_GE(*std::min_element(after.fields[0].values.begin(), after.fields[0].values.end()),
            36.9f);                             // nothing colder than the body at 37 degC
  EXPECT_GT(maximumOf(after.fields[1]), 1.0f);  // Omega >= 1: necrosis somewhere

  // The zone as a segment around the tip, its volume as the run reported (resampled from the
  // 2 mm grid onto the 1.5 x 1.5 x 2.5 mm CT grid: within 15 %).
  const LabelMap& labels = after.labelMaps.front();
  const auto zone = labels.findSegment("Ablation zone");
  ASSERT_TRUE(zone);
  ASSERT_EQ(after.plans.size(), 1u);
  const auto& report = after.plans[0].parameters["report"];
  const double reported_ml = report["zone_volume_ml"].get<double>();
  EXPECT_GT(reported_ml, 1.0);
  EXPECT_NEAR(labels.volume_ml(*zone), reported_ml, 0.15 * reported_ml);
  const Vec3 tipIjk = labels.geometry().lpsToIndex(tumour().centre_lps);
  EXPECT_TRUE(labels.contains(*zone, std::llround(tipIjk.x()), std::llround(tipIjk.y()),
                              std::llround(tipIjk.z())));
  // The margin report: the 15 mm tumour + 5 mm is a 25 mm sphere (8.2 ml); the zone of 2 min
  // at 100 W covers some but not all of it, and the report names tumour and margin.
  EXPECT_EQ(report["tumour"], tumour().name);
  EXPECT_GT(report["coverage_percent"].get<double>(), 10.0);
  EXPECT_LE(report["coverage_percent"].get<double>(), 100.0);
  EXPECT_TRUE(panel_->reportText().contains("coverage")) << panel_->reportText().toStdString();
  EXPECT_EQ(after.plans[0].parameters["device"], "mw-2450mhz-100w");
  // The zone's translucent closed surface in 3D, enclosing the reported volume (the marching
  // surface of a voxel set encloses its volume to within a few percent; smoothing trims the
  // corners of the 2 mm voxels).
  ASSERT_EQ(after.meshes.size(), 1u);
  EXPECT_EQ(after.meshes[0].segmentName, "Ablation zone");
  EXPECT_LT(after.meshes[0].opacity, 1.0f);
  EXPECT_TRUE(segmentation::isClosedManifold(after.meshes[0]));
  EXPECT_NEAR(segmentation::enclosedVolume_ml(after.meshes[0]), reported_ml, 0.1 * reported_ml);
  QTest::qWait(50);
  EXPECT_EQ(window_->volumeViewport()->view().meshCount(), 1u);

  window_->setCrosshair(tumour().centre_lps);
  window_->findChild<QDockWidget*>("ablationDock")->raise();
  QTest::qWait(50);
  saveScreenshot(*window_, "ablation-panel.png");

  window_->document()->undo();
  const Case& undone = window_->currentCase();
  EXPECT_TRUE(undone.fields.empty());
  EXPECT_TRUE(undone.plans.empty());
  EXPECT_TRUE(undone.meshes.empty());
  EXPECT_FALSE(undone.labelMaps.front().findSegment("Ablation zone"));
  EXPECT_EQ(undone.labelMaps.front().segments(), before.labelMaps.front().segments());
  EXPECT_EQ(undone.labelMaps.front().layer(0), before.labelMaps.front().layer(0));
}

TEST_F(AblationPanelTest, TipRingDragsInTheAxialView) {
  placeProbe();
  const Vec3 tip = *panel_->setup().tip_lps, entry = *panel_->setup().entry_lps;
  // Drag the tip's "T" ring about 8 mm to the patient's left (screen right in axial).
  const QPoint from = widgetPoint(tip);
  const QPoint target = from + QPoint(int(std::lround(8.0 * pixelsPerMm())), 0);
  QTest::mousePress(axial(), Qt::LeftButton, Qt::NoModifier, from);
  QTest::mouseMove(axial(), from + QPoint(3, 0));
  QTest::mouseMove(axial(), target);
  QTest::mouseRelease(axial(), Qt::LeftButton, Qt::NoModifier, target);
  const Vec3 dragged = *panel_->setup().tip_lps;
  EXPECT_NEAR(dragged.x() - tip.x(), 8.0, 1.5 / pixelsPerMm());
  EXPECT_NEAR(dragged.y(), tip.y(), 1.5 / pixelsPerMm());
  EXPECT_NEAR(dragged.z(), tip.z(), 1e-6) << "a drag stays on the slice";
  EXPECT_EQ(*panel_->setup().entry_lps, entry) << "the entry stays";
}

TEST_F(AblationPanelTest, CancelLeavesTheCaseUnchanged) {
  placeProbe();
  AblationSetup s = shortMicrowave();
  s.tip_lps = panel_->setup().tip_lps;
  s.entry_lps = panel_->setup().entry_lps;
  s.duration_s = 3600.0;  // long enough to be cancelled
  QTimer canceller;
  QObject::connect(&canceller, &QTimer::timeout, [&] {
    if (auto* dialog = window_->findChild<QProgressDialog*>())
      emit dialog->canceled();  // as Cancel does
  });
  canceller.start(100);
  window_->setAblationRunOptions({.boxSize_mm = 50.0, .spacing_mm = 2.0, .timeStep_s = 1.0});
  EXPECT_FALSE(window_->simulateAblation(s));
  EXPECT_TRUE(window_->currentCase().fields.empty());
  EXPECT_TRUE(window_->currentCase().plans.empty());
  EXPECT_FALSE(window_->currentCase().labelMaps.front().findSegment("Ablation zone"));
  EXPECT_FALSE(window_->document()->isModified());
}

TEST_F(AblationPanelTest, ResultAndProbeSurviveSaveAndReopen) {
  placeProbe();
  AblationSetup s = shortMicrowave();
  s.tip_lps = panel_->setup().tip_lps;
  s.entry_lps = panel_->setup().entry_lps;
  ASSERT_TRUE(window_->simulateAblation(s));
  const double zone_ml = window_->currentCase().labelMaps.front().volume_ml(
      *window_->currentCase().labelMaps.front().findSegment("Ablation zone"));
  test::TempDir dir;
  ASSERT_TRUE(window_->saveCaseAs(dir / "ablation.twinplan"));
  MainWindow reopened(autosave_.path());
  reopened.openCase(dir / "ablation.twinplan");
  QTest::qWait(50);
  const Case& twin = reopened.currentCase();
  ASSERT_EQ(twin.fields.size(), 2u);
  EXPECT_EQ(twin.fields[0].values, window_->currentCase().fields[0].values);
  const auto zone = twin.labelMaps.front().findSegment("Ablation zone");
  ASSERT_TRUE(zone);
  EXPECT_DOUBLE_EQ(twin.labelMaps.front().volume_ml(*zone), zone_ml);
  // The panel shows the stored probe and report again.
  const AblationSetup& restored = reopened.ablationPanel()->setup();
  EXPECT_EQ(restored.deviceId, "mw-2450mhz-100w");
  ASSERT_TRUE(restored.tip_lps && restored.entry_lps);
  EXPECT_EQ(restored, s);
  EXPECT_EQ(restored.tumour, tumour().name);
  EXPECT_TRUE(reopened.ablationPanel()->reportText().contains("coverage"));
}

}  // namespace
}  // namespace twinplan::ui
