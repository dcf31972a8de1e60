#pragma once
// What the ablation GUI tests share (ablation_panel_test, ablation_live_test,
// ablation_physics_slow_test): the abdomen phantom in a real window, the axial view's screen
// mapping, a probe placed by clicks as a user does it, and the wait for the live preview.
#include <gtest/gtest.h>

#include <QPushButton>
#include <QTest>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "test_support.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/ui/ablation_panel.h"
#include "twinplan/ui/ablation_preview.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui::fixtures {

inline const phantom::Phantom& abdomenWithoutModels() {
  static const phantom::Phantom p = [] {
    phantom::PhantomOptions options;
    options.surfaceModels = false;
    return phantom::makePhantom(options);
  }();
  return p;
}

// Saves a capture of `widget` as `name` under $TWINPLAN_SCREENSHOT_DIR, when it is set.
inline void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((std::filesystem::path(dir) / name).string()), "PNG");
}

class AblationWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->setCase(abdomenWithoutModels().twin);
    window_->resize(1500, 950);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    // A small box and a coarse grid, so a run takes seconds (the physics is tested in
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

  const phantom::TumourTruth& tumour() const {
    return abdomenWithoutModels().tumours.at(0);  // 15 mm
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
    EXPECT_LT((*panel_->setup().probes[0].tip_lps - tip).norm(), pixel_mm + 1e-6);
    EXPECT_LT((*panel_->setup().probes[0].entry_lps - (tip + Vec3(0, -60, 0))).norm(),
              pixel_mm + 1e-6);
    EXPECT_TRUE(panel_->findChild<QPushButton*>("ablationSimulate")->isEnabled());
  }

  // Waits for the live preview of `setup` (computed off the GUI thread); nullptr when none came
  // within `timeout_ms`.
  std::shared_ptr<const ZonePreview> waitForPreviewOf(const AblationSetup& setup,
                                                      int timeout_ms = 20000) {
    const bool shown = QTest::qWaitFor(
        [&] {
          const auto p = window_->ablationPreview();
          return p && p->setup == setup;
        },
        timeout_ms);
    return shown ? window_->ablationPreview() : nullptr;
  }

  // The 2.45 GHz antenna at `power_W` for `duration_s`, with the probe as placed, covering the
  // small tumour + 5 mm.
  AblationSetup microwave(double power_W, double duration_s) const {
    AblationSetup s = panel_->setup();
    s.deviceId = "mw-2450mhz-100w";
    s.power_W = power_W;
    s.duration_s = duration_s;
    s.tumour = tumour().name;
    s.margin_mm = 5.0;
    return s;
  }

  test::TempDir autosave_;
  std::unique_ptr<MainWindow> window_;
  AblationPanel* panel_ = nullptr;
};

}  // namespace twinplan::ui::fixtures
