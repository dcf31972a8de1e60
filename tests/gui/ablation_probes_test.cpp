// Several probes in the Ablation panel (issue #17 items 3 and 5): a second probe added and placed
// by clicks beside the first on the abdomen phantom's 15 mm tumour; the live zone of both is the
// library's multi-probe zone (zone_surrogate.h predictCombinedZone: superposed heat shares),
// larger than either probe's alone, and stays so while a probe is dragged; the full physics
// runs both probes on one grid; the plan keeps both; Remove takes one away.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QDockWidget>
#include <QPushButton>
#include <QTest>
#include <algorithm>
#include <iostream>

#include "ablation_gui_fixture.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/zone_surrogate.h"
#include "twinplan/ui/ablation_preview.h"

namespace twinplan::ui {
namespace {

class AblationProbesTest : public fixtures::AblationWindowTest {
 protected:
  // The second probe's tip 15 mm to the patient's left of the first (on the tumour's slice),
  // its entry 60 mm anterior: two parallel antennas 15 mm apart, as a 2-antenna plan places them
  // for a tumour of 2-3 cm.
  Vec3 secondTip() const { return tumour().centre_lps + Vec3(15.0, 0.0, 0.0); }

  void addSecondProbeByClicks() {
    QTest::mouseClick(panel_->findChild<QPushButton*>("addProbe"), Qt::LeftButton);
    ASSERT_EQ(panel_->setup().probes.size(), 2u);
    ASSERT_EQ(panel_->currentProbe(), 1u);
    ASSERT_EQ(panel_->placing(), AblationPanel::Point::Tip);  // the new tip is the next click
    QTest::mouseClick(axial(), Qt::LeftButton, Qt::NoModifier, widgetPoint(secondTip()));
    ASSERT_EQ(panel_->placing(), AblationPanel::Point::Entry);
    QTest::mouseClick(axial(), Qt::LeftButton, Qt::NoModifier,
                      widgetPoint(secondTip() + Vec3(0.0, -60.0, 0.0)));
    ASSERT_TRUE(panel_->setup().complete());
    // The first probe stays where it was placed.
    EXPECT_LT((*panel_->setup().probes[0].tip_lps - tumour().centre_lps).norm(),
              1.0 / pixelsPerMm() + 1e-6);
    EXPECT_LT((*panel_->setup().probes[1].tip_lps - secondTip()).norm(),
              1.0 / pixelsPerMm() + 1e-6);
  }

  // The library's zone of the preview's probes on the preview's own grid.
  static ablation::PredictedZone libraryZone(const ablation::ZoneSurrogate& s,
                                             const ZonePreview& p) {
    return ablation::predictCombinedZone(s, *p.grid, p.placements,
                                         ablation::heatSinkMask(*p.grid, s.options.sinkDistance_mm),
                                         ablation::probeInteraction(s));
  }

  static std::size_t zoneVoxels(const ZonePreview& p) {
    std::size_t n = 0;
    for (std::uint16_t v : p.zone.layer(0)) n += v != 0;
    return n;
  }
};

TEST_F(AblationProbesTest, TwoProbesShowTheLibrarysCombinedZoneWhilePlacedAndDragged) {
  placeProbe();
  panel_->setSetup(microwave(100.0, 300.0));  // the antenna's default: a tabulated profile
  const auto one = waitForPreviewOf(panel_->setup());
  ASSERT_NE(one, nullptr);
  ASSERT_TRUE(one->failure.empty()) << one->failure;
  auto* dock = window_->findChild<QDockWidget*>("ablationDock");
  dock->raise();
  QTest::qWait(20);
  const int dockWidth = dock->width();

  addSecondProbeByClicks();
  const auto both = waitForPreviewOf(panel_->setup());
  ASSERT_NE(both, nullptr);
  ASSERT_TRUE(both->failure.empty()) << both->failure;
  ASSERT_EQ(both->placements.size(), 2u);
  const auto& surrogate =
      ablation::cachedSurrogate(ablation::findDevice("mw-2450mhz-100w"), 100.0, 300.0);

  // The library's value on the same grid, voxel for voxel.
  const ablation::PredictedZone expected = libraryZone(surrogate, *both);
  EXPECT_DOUBLE_EQ(both->volume_ml, expected.volume_ml);
  std::size_t expectedVoxels = 0;
  for (std::uint8_t v : expected.zone) expectedVoxels += v;
  EXPECT_EQ(zoneVoxels(*both), expectedVoxels);
  // Larger than either probe's zone alone (same grid, same heat-sink rule).
  for (const ablation::ProbePlacement& p : both->placements) {
    const double single_ml = ablation::predictZone(surrogate, *both->grid, p).volume_ml;
    EXPECT_GT(both->volume_ml, single_ml + 1.0);
    std::cout << "a probe alone on the two-probe grid: " << single_ml << " ml\n";
  }
  EXPECT_GT(both->volume_ml, one->volume_ml + 1.0);
  std::cout << "one probe " << one->volume_ml << " ml, two probes " << both->volume_ml
            << " ml (library " << expected.volume_ml << " ml), update " << 1e3 * both->compute_s
            << " ms\n";
  // A ring at each probe's tip, which a drag takes (below).
  for (const ProbePoints& p : panel_->setup().probes) {
    double x, y;
    axial()->view().lpsToDisplay(*p.tip_lps, x, y);
    EXPECT_TRUE(axial()->view().landmarkAt(x, y, 3.0));
  }

  // Drag the second tip 6 mm further left: the zone follows, still the library's.
  const QPoint from = widgetPoint(*panel_->setup().probes[1].tip_lps);
  const QPoint target = from + QPoint(int(std::lround(6.0 * pixelsPerMm())), 0);
  QTest::mousePress(axial(), Qt::LeftButton, Qt::NoModifier, from);
  QTest::mouseMove(axial(), from + QPoint(3, 0));
  QTest::mouseMove(axial(), target);
  QTest::mouseRelease(axial(), Qt::LeftButton, Qt::NoModifier, target);
  const AblationSetup dragged = panel_->setup();
  EXPECT_NEAR(dragged.probes[1].tip_lps->x() - secondTip().x(), 6.0, 1.5 / pixelsPerMm());
  EXPECT_EQ(dragged.probes[0], panel_->setup().probes[0]);
  const auto moved = waitForPreviewOf(dragged);
  ASSERT_NE(moved, nullptr);
  ASSERT_TRUE(moved->failure.empty()) << moved->failure;
  EXPECT_DOUBLE_EQ(moved->volume_ml, libraryZone(surrogate, *moved).volume_ml);
  EXPECT_NE(moved->volume_ml, both->volume_ml);
  // The grid was kept and only the dragged probe placed again (the first one held).
  EXPECT_FALSE(moved->gridRebuilt);
  std::cout << "after the drag: " << moved->volume_ml << " ml, update " << 1e3 * moved->compute_s
            << " ms (grid " << (moved->gridRebuilt ? "rebuilt" : "reused") << ")\n";

  window_->setCrosshair(tumour().centre_lps);
  // The probe rows fit the dock as it was: the second probe does not widen it (nor narrow the
  // views), and the panel needs no more than the dock gives it.
  EXPECT_EQ(dock->width(), dockWidth);
  EXPECT_LE(panel_->minimumSizeHint().width(), dock->width());
  window_->resize(1200, 900);  // the screenshots' size (docs/user-guide.md)
  QTest::qWait(100);
  EXPECT_LE(panel_->minimumSizeHint().width(), dock->width());
  fixtures::saveScreenshot(*window_, "ablation-two-probes.png");

  // Remove the current (second) probe: one probe's zone again.
  QTest::mouseClick(panel_->findChild<QPushButton*>("removeProbe"), Qt::LeftButton);
  ASSERT_EQ(panel_->setup().probes.size(), 1u);
  const auto single = waitForPreviewOf(panel_->setup());
  ASSERT_NE(single, nullptr);
  EXPECT_NEAR(single->volume_ml, one->volume_ml, 0.05 * one->volume_ml);
  EXPECT_FALSE(panel_->findChild<QPushButton*>("removeProbe")->isEnabled());
}

TEST_F(AblationProbesTest, SimulateRunsBothProbesOnOneGridAndThePlanKeepsThem) {
  placeProbe();
  panel_->setSetup(microwave(100.0, 120.0));
  AblationSetup first = panel_->setup();
  ASSERT_TRUE(window_->simulateAblation(first));
  const double single_ml =
      window_->currentCase().plans.front().parameters["report"]["zone_volume_ml"].get<double>();

  addSecondProbeByClicks();
  const AblationSetup two = panel_->setup();
  ASSERT_TRUE(window_->simulateAblation(two));
  const Case& after = window_->currentCase();
  const auto& plan = after.plans.front();
  const auto& report = plan.parameters["report"];
  EXPECT_EQ(report["probe_count"], 2);
  const double both_ml = report["zone_volume_ml"].get<double>();
  std::cout << "simulated: one probe " << single_ml << " ml, two probes " << both_ml << " ml\n";
  // Two antennas 15 mm apart for 2 min: their zones overlap little and the heat between them
  // adds, so together well beyond one alone.
  EXPECT_GT(both_ml, 1.3 * single_ml);
  EXPECT_TRUE(panel_->reportText().startsWith("2 probes")) << panel_->reportText().toStdString();
  // The box holds both probes: each heats past 60 degC along its active part (within 5 mm of
  // the shaft's last 20 mm; the tip itself lies ahead of the antenna's hot feed gap).
  const ScalarField& hottest = after.fields.front();
  const ImageGeometry& g = hottest.geometry;
  for (const ProbePoints& p : two.probes) {
    ASSERT_TRUE(g.contains(g.lpsToIndex(*p.tip_lps)));
    const Vec3 back = (*p.entry_lps - *p.tip_lps).normalized();
    float nearShaft = 0.0f;
    for (std::int64_t k = 0; k < g.size[2]; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const Vec3 x = g.indexToLps(Vec3(double(i), double(j), double(k))) - *p.tip_lps;
          const double along = std::clamp(x.dot(back), 0.0, 20.0);
          if ((x - along * back).norm() <= 5.0)
            nearShaft = std::max(nearShaft, hottest.values[g.linearIndex(i, j, k)]);
        }
    EXPECT_GT(nearShaft, 60.0f);
  }
  // The plan keeps both probes (and the first one's points for one-probe readers) and reopens.
  ASSERT_EQ(plan.parameters["probes"].size(), 2u);
  EXPECT_EQ(AblationSetup::fromJson(plan.parameters).probes, two.probes);
  EXPECT_EQ(plan.parameters["tip_lps"], plan.parameters["probes"][0]["tip_lps"]);
  // A plan saved before several probes (tip_lps and entry_lps alone) reads as one probe.
  nlohmann::json old = plan.parameters;
  old.erase("probes");
  EXPECT_EQ(AblationSetup::fromJson(old).probes, std::vector<ProbePoints>{two.probes[0]});
  // A damaged list says what and where.
  old["probes"] = nlohmann::json::array();
  try {
    (void)AblationSetup::fromJson(old);
    ADD_FAILURE() << "an empty probe list was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.context(), "plans.parameters.probes");
  }
}

}  // namespace
}  // namespace twinplan::ui
