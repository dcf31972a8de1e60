// The Ablation panel in a real window (issue #17 item 5): a probe placed by clicks on the abdomen
// phantom's 15 mm tumour, a short microwave run on a small box, its zone segment, fields,
// overlays and margin report; Cancel leaves the case unchanged; undo removes the result; save
// and reopen bring back the fields, the zone, the probe, the display choices and the simulated
// margin map. The tests that compare with the CLI and choose the zone criterion run the physics
// again: ablation_physics_slow_test (label slow).
#include "twinplan/ui/ablation_panel.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QProgressDialog>
#include <QPushButton>
#include <QRegularExpression>
#include <QStyle>
#include <QStyleOptionComboBox>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <iostream>

#include "ablation_gui_fixture.h"
#include "ablation_withdrawn_devices.h"
#include "gui_fixtures.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/core/case_file.h"
#include "twinplan/segmentation/mesh_metrics.h"
#include "twinplan/ui/ablation_margin_map.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

using fixtures::saveScreenshot;

float maximumOf(const ScalarField& field) {
  return *std::max_element(field.values.begin(), field.values.end());
}

// The axial view's colour-bar title as laid out for the last render, or nullopt when none.
std::optional<rendering::SliceView::TextBox> colourBarTitle(SliceViewport* view) {
  const VtkViewport::RenderAllNow everyView;
  view->repaint();
  for (const auto& box : view->view().textBoxes())
    if (box.role == "colourBarTitle") return box;
  return std::nullopt;
}

class AblationPanelTest : public fixtures::AblationWindowTest {
 protected:
  AblationSetup shortMicrowave() const { return microwave(100.0, 120.0); }
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
  // Without a probe the live zone asks for one, and Simulate waits for it.
  EXPECT_TRUE(panel_->liveText().contains("Place the tip")) << panel_->liveText().toStdString();
  EXPECT_FALSE(panel_->findChild<QPushButton*>("ablationSimulate")->isEnabled());
}

TEST_F(AblationPanelTest, EveryCatalogueDeviceIsValidatedAndTheWithdrawnArrayIsNotOffered) {
  // Since branch ablwithdraw every device the window's panel offers matches its published zone
  // within +-5 mm (devices.json zoneCheck): no note under any (the cooled 3 cm tip, the cluster ex
  // vivo 15 min, 51.1 x 49.2 mm vs 47 mm, the 2 cm multi-tine, 23.2 x 30.8 mm vs 26.2 x 29.3,
  // both antennas). The 4 cm multi-tine, whose zone did not match, is not offered.
  auto* combo = panel_->findChild<QComboBox*>("ablationDevice");
  auto* note = panel_->findChild<QLabel*>("ablationZoneNote");
  ASSERT_TRUE(combo && note);
  window_->findChild<QDockWidget*>("ablationDock")->raise();
  ASSERT_EQ(combo->count(), int(ablation::deviceCatalogue().size()));
  EXPECT_EQ(combo->findData(QString("rf-multitine-4cm")), -1);
  for (const ablation::AblationDevice& d : ablation::deviceCatalogue()) {
    combo->setCurrentIndex(combo->findData(QString::fromStdString(d.id)));
    QApplication::processEvents();
    EXPECT_EQ(panel_->setup().deviceId, d.id);
    EXPECT_TRUE(note->isHidden()) << d.id;
    EXPECT_TRUE(note->text().isEmpty()) << d.id;
  }
  // The 2 cm multi-tine chosen: its full name, its protocol (a ramp from 30 W, half the roll-off
  // power held to a second roll-off: its power_W is the ramp's start, not a power held) and
  // time, and its published zone, along then across the probe, in the line under the chooser.
  combo->setCurrentIndex(combo->findData(QString("rf-multitine-2cm")));
  QApplication::processEvents();
  const QString info = panel_->findChild<QLabel*>("ablationDeviceInfo")->text();
  EXPECT_TRUE(
      info.startsWith("Expandable multi-tine RF electrode, 2 cm deployed (LeVeen Super "
                      "Slim type): default 30 W rising 10 W/min to a roll-off, then 50 % "
                      "of that power held to a second roll-off for 10 min. Published zone "
                      "26.2 x 29.3 mm"))
      << info.toStdString();
  EXPECT_EQ(panel_->setup().deviceId, "rf-multitine-2cm");
  saveScreenshot(*window_, "ablation-multitine-2cm.png");
  // A set-up naming the withdrawn array (a case saved before branch ablwithdraw) falls back to
  // the first device offered.
  AblationSetup saved = shortMicrowave();
  saved.deviceId = "rf-multitine-4cm";
  panel_->setSetup(saved);
  EXPECT_EQ(panel_->setup().deviceId, ablation::deviceCatalogue().front().id);
  EXPECT_TRUE(note->isHidden());
  // ... and says so (branch ablmend); a set-up with an offered device hides the note again.
  auto* fallback = panel_->findChild<QLabel*>("ablationDeviceFallbackNote");
  ASSERT_NE(fallback, nullptr);
  EXPECT_FALSE(fallback->isHidden());
  EXPECT_TRUE(fallback->text().startsWith("This plan's device 'rf-multitine-4cm' was withdrawn"))
      << fallback->text().toStdString();
  // An id neither offered nor withdrawn (a hand-edited case): not in the catalogue.
  saved.deviceId = "rf-cooled-9cm";
  panel_->setSetup(saved);
  EXPECT_FALSE(fallback->isHidden());
  EXPECT_EQ(fallback->text().toStdString(),
            "This plan's device 'rf-cooled-9cm' is not in the catalogue. Showing " +
                ablation::deviceCatalogue().front().name + "; choose a device and simulate again.");
  panel_->setSetup(shortMicrowave());
  EXPECT_TRUE(fallback->isHidden());
}

// Branch ablmend: a saved case whose ablation plan names the withdrawn 4 cm multi-tine opens
// unchanged (it was rewritten to the first device at its default power and time, an undo entry
// and a modified case nobody asked for); the panel shows the first device with a note saying
// why, and the old report marked as simulated for an earlier set-up. The plan changes only when
// the user changes something.
TEST_F(AblationPanelTest, ACaseNamingTheWithdrawnDeviceOpensUnchangedWithANote) {
  AblationSetup saved = shortMicrowave();
  saved.deviceId = "rf-multitine-4cm";
  saved.power_W = 150.0;  // the RITA generator's setting, not the fallback device's default
  saved.duration_s = 420.0;
  saved.probes[0].tip_lps = tumour().centre_lps;
  saved.probes[0].entry_lps = tumour().centre_lps + Vec3(0.0, -60.0, 0.0);
  nlohmann::json parameters = saved.toJson();
  parameters["simulated"] = saved.toJson();
  // The report as the window stores it (ablate job JSON), without the tumour's coverage.
  parameters["report"] = nlohmann::json::parse(
      R"({"zone_volume_ml": 30.5, "axes_mm": [54.2, 54.0, 27.5], "max_temperature_degC": 99.0,
          "structures_damaged": {}})");
  Case twin = fixtures::abdomenWithoutModels().twin;
  twin.plans.push_back(Plan{"ablation", "Ablation", parameters});
  test::TempDir dir;
  saveCase(twin, dir / "withdrawn.twinplan");

  // Opened in a window of its own, as a user opens a saved case.
  MainWindow window(autosave_.path());
  window.resize(1500, 950);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  window.openCase(dir / "withdrawn.twinplan");
  QApplication::processEvents();
  AblationPanel* panel = window.ablationPanel();
  // The case as saved: no edit, nothing to undo, not modified.
  ASSERT_EQ(window.currentCase().plans.size(), 1u);
  EXPECT_EQ(window.currentCase().plans[0], twin.plans[0]);
  EXPECT_FALSE(window.document()->editor().canUndo());
  EXPECT_FALSE(window.document()->isModified());
  // The panel shows the first device offered and says why.
  const ablation::AblationDevice& first = ablation::deviceCatalogue().front();
  EXPECT_EQ(panel->setup().deviceId, first.id);
  auto* fallback = panel->findChild<QLabel*>("ablationDeviceFallbackNote");
  ASSERT_NE(fallback, nullptr);
  EXPECT_FALSE(fallback->isHidden());
  EXPECT_EQ(fallback->text().toStdString(),
            "This plan's device 'rf-multitine-4cm' was withdrawn from the catalogue: its zone was "
            "never validated against a published one. Showing " +
                first.name + "; choose a device and simulate again.");
  // The old report is kept, marked as another set-up's.
  EXPECT_TRUE(panel->reportText().startsWith(
      "Simulated for an earlier set-up (Simulate again):\nZone 30.5 ml, 54.2 x 54.0 x 27.5 mm"))
      << panel->reportText().toStdString() << "\n"
      << parameters.dump();
  window.findChild<QDockWidget*>("ablationDock")->raise();
  QTest::qWait(50);
  saveScreenshot(window, "ablation-withdrawn-device-note.png");

  // The user chooses a device: now the plan changes (one undo step), and the note goes.
  auto* combo = panel->findChild<QComboBox*>("ablationDevice");
  ASSERT_NE(combo, nullptr);
  combo->setCurrentIndex(combo->findData(QString("mw-2450mhz-100w")));
  QApplication::processEvents();
  EXPECT_TRUE(fallback->isHidden());
  EXPECT_EQ(window.currentCase().plans[0].parameters["device"], "mw-2450mhz-100w");
  EXPECT_TRUE(window.document()->isModified());
  window.document()->undo();
  EXPECT_EQ(window.currentCase().plans[0], twin.plans[0]);
  EXPECT_FALSE(window.document()->editor().canUndo());
}

TEST_F(AblationPanelTest, ADeviceWhoseZoneIsNotValidatedSaysSoAndAValidatedOneDoesNot) {
  // No catalogue device lacks a validated zone since branch ablwithdraw, so a panel offering the
  // catalogue and the withdrawn 4 cm multi-tine (the tests' fixture, its record unchanged), as
  // wide as the window's dock: that array's simulated zone, measured as the published one was,
  // is 27.5 x 54.2 mm against 43 mm for a LeVeen 4.0 array in vivo (zoneCheck, branch abltine):
  // a note under the device.
  std::vector<ablation::AblationDevice> devices = ablation::deviceCatalogue();
  devices.push_back(ablation::testing::withdrawnFourCentimetreArray());
  AblationPanel panel(devices);
  panel.resize(panel_->size());
  panel.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&panel));
  auto* combo = panel.findChild<QComboBox*>("ablationDevice");
  auto* note = panel.findChild<QLabel*>("ablationZoneNote");
  ASSERT_TRUE(combo && note);
  combo->setCurrentIndex(combo->findData(QString("rf-multitine-4cm")));
  QApplication::processEvents();
  EXPECT_EQ(panel.setup().deviceId, "rf-multitine-4cm");
  EXPECT_FALSE(note->isHidden());
  EXPECT_EQ(note->text().toStdString(),
            "Zone not validated: simulated 28 x 54 mm vs published 43 mm (Denys et al. 2003, "
            "LeVeen 4.0 in vivo).");
  EXPECT_TRUE(note->toolTip().contains("31 x 63 mm")) << note->toolTip().toStdString();
  EXPECT_TRUE(note->toolTip().contains("abltine")) << note->toolTip().toStdString();
  // The note fits the panel: wrapped, not cut (the label is as tall as its text at its width).
  ASSERT_TRUE(note->isVisible());
  EXPECT_GE(note->height(), note->heightForWidth(note->width()));
  saveScreenshot(panel, "ablation-zone-not-validated.png");
  // A validated device has none; the withdrawn array has one again; the 2.45 GHz antenna, set
  // through the panel's setup (as a reopened case does), has none.
  combo->setCurrentIndex(combo->findData(QString("rf-cooled-3cm")));
  QApplication::processEvents();
  EXPECT_TRUE(note->isHidden());
  EXPECT_TRUE(note->text().isEmpty());
  combo->setCurrentIndex(combo->findData(QString("rf-multitine-4cm")));
  QApplication::processEvents();
  EXPECT_FALSE(note->isHidden());
  EXPECT_TRUE(note->text().contains("published 43 mm")) << note->text().toStdString();
  panel.setSetup(shortMicrowave());
  EXPECT_TRUE(note->isHidden());
}

TEST_F(AblationPanelTest, AnElidedDeviceNameIsReadableInFullAsTheChoosersToolTip) {
  auto* combo = panel_->findChild<QComboBox*>("ablationDevice");
  ASSERT_TRUE(combo);
  for (const ablation::AblationDevice& d : ablation::deviceCatalogue()) {
    combo->setCurrentIndex(combo->findData(QString::fromStdString(d.id)));
    QApplication::processEvents();
    EXPECT_EQ(combo->toolTip().toStdString(), d.name) << d.id;
    EXPECT_EQ(combo->itemData(combo->currentIndex(), Qt::ToolTipRole).toString().toStdString(),
              d.name)
        << d.id;
  }
}

TEST_F(AblationPanelTest, SimulateStoresResultThatSurvivesSaveAndReopenAndUndoRemovesIt) {
  placeProbe();
  panel_->setSetup([&] {
    AblationSetup s = shortMicrowave();
    s.probes[0].tip_lps = panel_->setup().probes[0].tip_lps;
    s.probes[0].entry_lps = panel_->setup().probes[0].entry_lps;
    return s;
  }());
  const Case before = window_->currentCase();
  ASSERT_TRUE(window_->simulateAblation(panel_->setup()));
  const Case& after = window_->currentCase();

  // Fields: the maximum temperature (first: it is the one washed over the views), damage, and
  // the zone's signed distance the margin map is built from (mm, + inside the zone).
  ASSERT_EQ(after.fields.size(), 3u);
  EXPECT_EQ(after.fields[0].quantity, "temperature");
  EXPECT_EQ(after.fields[1].quantity, "damage");
  EXPECT_EQ(after.fields[2].quantity, "distance");
  EXPECT_EQ(after.fields[2].unit, "mm");
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
  // Where the minimal margin is: a voxel of the tumour's surface, so its centre lies within a
  // 2 mm voxel's half-diagonal (1.7 mm) of the true 7.5 mm radius (phantom truth).
  ASSERT_TRUE(report.contains("min_margin_at_lps"));
  const Vec3 at(report["min_margin_at_lps"][0].get<double>(),
                report["min_margin_at_lps"][1].get<double>(),
                report["min_margin_at_lps"][2].get<double>());
  // A surface voxel's centre lies inside the sphere and its outside neighbour's, one 2 mm
  // voxel further, outside it; the CT-grid labels sampled onto it add up to half a CT voxel
  // (1.25 mm in z).
  const double atRadius_mm = (at - tumour().centre_lps).norm();
  EXPECT_GT(atRadius_mm, tumour().diameter_mm / 2.0 - 2.0 - 1.25);
  EXPECT_LT(atRadius_mm, tumour().diameter_mm / 2.0 + 1.25);
  // One minimal margin, to a tenth of a millimetre as the live line and the CLI's text print it
  // (it was "-0.871 mm" beside the live "1.9 mm"), under the report's own heading, so the
  // simulated figures are not read as the live prediction's.
  const QString expectedMargin = QStringLiteral("Minimal ablative margin %1 mm")
                                     .arg(report["min_margin_mm"].get<double>(), 0, 'f', 1);
  EXPECT_TRUE(panel_->reportText().contains(expectedMargin + " at ") ||
              panel_->reportText().contains(expectedMargin + " ("))
      << expectedMargin.toStdString() << "\n"
      << panel_->reportText().toStdString();
  const auto* heading = panel_->findChild<QLabel*>("ablationReportHeading");
  ASSERT_NE(heading, nullptr);
  EXPECT_FALSE(heading->isHidden());
  EXPECT_EQ(heading->text(), "<b>Simulated zone (full physics)</b>");

  // The overlay switch: temperature (the default), damage, off; the colour bar's title whole
  // inside the view (it ran off the right edge before).
  auto* overlay = panel_->findChild<QComboBox*>("ablationOverlay");
  ASSERT_NE(overlay, nullptr);
  auto title = colourBarTitle(axial());
  ASSERT_TRUE(title);
  EXPECT_EQ(title->text, "temperature (degC)");
  const double viewWidth_px = axial()->width() * axial()->devicePixelRatioF();
  EXPECT_GE(title->xMin, 0.0);
  EXPECT_LE(title->xMax, viewWidth_px);
  // Read 6 mm beside the tip, to the patient's right: in the heated tissue, clear of the
  // needle's band, the T ring and its label (drawn to the screen's right).
  const Vec3 besideTip = *panel_->setup().probes[0].tip_lps + Vec3(-6.0, 0.0, 0.0);
  const QColor hot = fixtures::shownAt(axial(), besideTip);
  overlay->setCurrentIndex(overlay->findData(int(AblationSetup::Overlay::Damage)));
  title = colourBarTitle(axial());
  ASSERT_TRUE(title);
  EXPECT_EQ(title->text.rfind("damage", 0), 0u) << title->text;
  EXPECT_LE(title->xMax, viewWidth_px);
  EXPECT_EQ(window_->currentCase().plans[0].parameters["overlay"], "damage");  // kept in the case
  overlay->setCurrentIndex(overlay->findData(int(AblationSetup::Overlay::Off)));
  EXPECT_FALSE(colourBarTitle(axial()));
  EXPECT_NE(fixtures::shownAt(axial(), besideTip).rgb(), hot.rgb());
  overlay->setCurrentIndex(overlay->findData(int(AblationSetup::Overlay::Temperature)));
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

  // Saved and reopened in a new window (one physics run for both checks: the file's time is
  // mostly window set-ups and runs): the fields, the zone, the probe, the display choices and
  // the simulated margin map come back.
  AblationSetup s = panel_->setup();
  // Display choices made reopenedMap the run are kept too.
  s.overlay = AblationSetup::Overlay::Damage;
  s.livePreview = false;
  panel_->setSetup(s);
  const double zone_ml = window_->currentCase().labelMaps.front().volume_ml(
      *window_->currentCase().labelMaps.front().findSegment("Ablation zone"));
  test::TempDir dir;
  ASSERT_TRUE(window_->saveCaseAs(dir / "ablation.twinplan"));
  MainWindow reopened(autosave_.path());
  reopened.openCase(dir / "ablation.twinplan");
  QTest::qWait(50);
  const Case& twin = reopened.currentCase();
  ASSERT_EQ(twin.fields.size(), 3u);
  EXPECT_EQ(twin.fields[0].values, window_->currentCase().fields[0].values);
  const auto reopenedZone = twin.labelMaps.front().findSegment("Ablation zone");
  ASSERT_TRUE(reopenedZone);
  EXPECT_DOUBLE_EQ(twin.labelMaps.front().volume_ml(*reopenedZone), zone_ml);
  // The panel shows the stored probe and report again.
  const AblationSetup& restored = reopened.ablationPanel()->setup();
  EXPECT_EQ(restored.deviceId, "mw-2450mhz-100w");
  ASSERT_TRUE(restored.probes[0].tip_lps && restored.probes[0].entry_lps);
  EXPECT_EQ(restored, s);
  EXPECT_EQ(restored.tumour, tumour().name);
  EXPECT_TRUE(reopened.ablationPanel()->reportText().contains("coverage"));
  EXPECT_FALSE(reopened.ablationPanel()->reportText().contains("earlier set-up"));
  // The damage overlay is what the reopened views wash, and no live zone is drawn.
  reopened.resize(1500, 950);
  reopened.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&reopened));
  const auto reopenedTitle =
      colourBarTitle(reopened.sliceViewport(rendering::SliceOrientation::Axial));
  ASSERT_TRUE(reopenedTitle);
  EXPECT_EQ(reopenedTitle->text.rfind("damage", 0), 0u) << reopenedTitle->text;
  EXPECT_EQ(reopened.ablationPreview(), nullptr);
  // The simulated margin map is back (issue #17 item 3): the same figures as when it was made
  // and as the stored report, in 3D and 2D and in the panel.
  const auto madeMap = window_->shownMarginMap();
  const auto reopenedMap = reopened.shownMarginMap();
  ASSERT_TRUE(madeMap && reopenedMap);
  EXPECT_TRUE(reopenedMap->simulated);
  EXPECT_DOUBLE_EQ(reopenedMap->map.map.min_mm, madeMap->map.map.min_mm);
  EXPECT_DOUBLE_EQ(reopenedMap->map.map.percentile5_mm, madeMap->map.map.percentile5_mm);
  EXPECT_DOUBLE_EQ(reopenedMap->map.map.median_mm, madeMap->map.map.median_mm);
  EXPECT_DOUBLE_EQ(reopenedMap->map.map.adequateArea_percent,
                   madeMap->map.map.adequateArea_percent);
  EXPECT_EQ(reopenedMap->map.map.margin_mm, madeMap->map.map.margin_mm);
  const auto& stored = twin.plans.at(0).parameters["report"]["margin_map"];
  EXPECT_DOUBLE_EQ(stored["min_mm"].get<double>(), reopenedMap->map.map.min_mm);
  EXPECT_DOUBLE_EQ(stored["percentile5_mm"].get<double>(), reopenedMap->map.map.percentile5_mm);
  EXPECT_EQ(reopened.ablationPanel()->marginMapText(), panel_->marginMapText());
  EXPECT_TRUE(reopened.ablationPanel()->marginMapText().contains("simulated"));
  // Its 2D outline is drawn over the case's label maps (the Segment editor's redraw when its
  // dock's visibility changed on showing this window dropped it before).
  QTest::qWait(20);
  const auto& reopenedMaps =
      reopened.sliceViewport(rendering::SliceOrientation::Axial)->view().labelMaps();
  EXPECT_TRUE(std::any_of(reopenedMaps.begin(), reopenedMaps.end(),
                          [&](const auto& m) { return m.labels == &reopenedMap->outline; }));
  std::size_t outlineVoxels = 0;
  for (std::uint16_t v : reopenedMap->outline.layer(0)) outlineVoxels += v != 0;
  EXPECT_GT(outlineVoxels, 50u);
  // Undo the overlay changes and the run: back to the placed probe's set-up.
  while (window_->currentCase().fields.size() > 0) window_->document()->undo();
  const Case& undone = window_->currentCase();
  EXPECT_TRUE(undone.fields.empty());
  EXPECT_EQ(undone.plans, before.plans);
  EXPECT_TRUE(undone.meshes.empty());
  EXPECT_FALSE(undone.labelMaps.front().findSegment("Ablation zone"));
  EXPECT_EQ(undone.labelMaps.front().segments(), before.labelMaps.front().segments());
  EXPECT_EQ(undone.labelMaps.front().layer(0), before.labelMaps.front().layer(0));
  EXPECT_FALSE(window_->shownMarginMap() && window_->shownMarginMap()->simulated);
  // Redo brings the result back, its margin map rebuilt from the restored distance field.
  window_->document()->redo();
  ASSERT_EQ(window_->currentCase().fields.size(), 3u);
  const auto redone = window_->shownMarginMap();
  ASSERT_TRUE(redone);
  EXPECT_TRUE(redone->simulated);
  EXPECT_NE(redone, madeMap);  // rebuilt, not kept
  EXPECT_DOUBLE_EQ(redone->map.map.min_mm, madeMap->map.map.min_mm);
  EXPECT_EQ(redone->map.map.margin_mm, madeMap->map.map.margin_mm);
}

TEST_F(AblationPanelTest, TipRingDragsInTheAxialView) {
  placeProbe();
  const Vec3 tip = *panel_->setup().probes[0].tip_lps, entry = *panel_->setup().probes[0].entry_lps;
  // Drag the tip's "T" ring about 8 mm to the patient's left (screen right in axial).
  const QPoint from = widgetPoint(tip);
  const QPoint target = from + QPoint(int(std::lround(8.0 * pixelsPerMm())), 0);
  QTest::mousePress(axial(), Qt::LeftButton, Qt::NoModifier, from);
  QTest::mouseMove(axial(), from + QPoint(3, 0));
  QTest::mouseMove(axial(), target);
  QTest::mouseRelease(axial(), Qt::LeftButton, Qt::NoModifier, target);
  const Vec3 dragged = *panel_->setup().probes[0].tip_lps;
  EXPECT_NEAR(dragged.x() - tip.x(), 8.0, 1.5 / pixelsPerMm());
  EXPECT_NEAR(dragged.y(), tip.y(), 1.5 / pixelsPerMm());
  EXPECT_NEAR(dragged.z(), tip.z(), 1e-6) << "a drag stays on the slice";
  EXPECT_EQ(*panel_->setup().probes[0].entry_lps, entry) << "the entry stays";
}

// How many pixels a combo box's field has to spare for `text` as laid out now: negative when the
// text is elided.
int spareWidth(const QComboBox* combo, const QString& text) {
  QStyleOptionComboBox option;
  option.initFrom(combo);
  option.currentText = text;
  const QRect field = combo->style()->subControlRect(QStyle::CC_ComboBox, &option,
                                                     QStyle::SC_ComboBoxEditField, combo);
  // The label is drawn 1 px in from each side of the field (QCommonStyle CE_ComboBoxLabel).
  return field.width() - 2 - combo->fontMetrics().horizontalAdvance(text);
}

// At 1200 x 900 (the user guide's screenshots) the choosers say what they hold in full, in a
// clinician's words: "Probe 2 (not placed)" (cut to "Probe 2 (not pl" beside Add and Remove),
// the zone criteria as "Cell death >= 63 % (Omega >= 1)" (the key "omega>=1" before,
// still what the case keeps), and the device's full name in the line under its elided chooser.
TEST_F(AblationPanelTest, ChoosersSayWhatTheyHoldInFullAt1200x900) {
  window_->resize(1200, 900);
  auto* dock = window_->findChild<QDockWidget*>("ablationDock");
  dock->raise();
  placeProbe();
  QTest::mouseClick(panel_->findChild<QPushButton*>("addProbe"), Qt::LeftButton);
  QTest::qWait(100);
  auto* probe = panel_->findChild<QComboBox*>("ablationProbe");
  ASSERT_NE(probe, nullptr);
  EXPECT_EQ(probe->currentText(), "Probe 2 (not placed)");
  EXPECT_GE(spareWidth(probe, probe->currentText()), 0);
  auto* zone = panel_->findChild<QComboBox*>("ablationZoneCriterion");
  ASSERT_NE(zone, nullptr);
  EXPECT_EQ(zone->currentText(), "Cell death >= 63 % (Omega >= 1)");
  for (int i = 0; i < zone->count(); ++i) {
    std::cout << "\"" << zone->itemText(i).toStdString()
              << "\": " << spareWidth(zone, zone->itemText(i)) << " px to spare\n";
    EXPECT_GE(spareWidth(zone, zone->itemText(i)), 0) << zone->itemText(i).toStdString();
  }
  zone->setCurrentIndex(zone->findData("t60"));
  EXPECT_EQ(panel_->setup().zoneCriterion, "t60");  // the key kept
  EXPECT_EQ(window_->currentCase().plans.at(0).parameters["zone_criterion"], "t60");
  const QString info = panel_->findChild<QLabel*>("ablationDeviceInfo")->text();
  const auto& device = ablation::findDevice(panel_->setup().deviceId);
  EXPECT_TRUE(info.startsWith(QString::fromStdString(device.name) + ": default"))
      << info.toStdString();
  // The panel still fits the dock.
  EXPECT_LE(panel_->minimumSizeHint().width(), dock->width());
  // The live line says which zone it predicts and which Simulate would give.
  ASSERT_NE(waitForPreviewOf(panel_->setup()), nullptr);
  EXPECT_TRUE(panel_->liveText().contains(
      "The prediction shows the zone where cell death >= 63 % (Omega >= 1); Simulate for the "
      "zone where peak temperature >= 60 degC."))
      << panel_->liveText().toStdString();
  window_->setCrosshair(tumour().centre_lps);
  QTest::qWait(50);
  saveScreenshot(*window_, "ablation-panel-1200x900.png");
}

TEST_F(AblationPanelTest, CancelLeavesTheCaseUnchanged) {
  placeProbe();
  AblationSetup s = shortMicrowave();
  s.probes[0].tip_lps = panel_->setup().probes[0].tip_lps;
  s.probes[0].entry_lps = panel_->setup().probes[0].entry_lps;
  s.duration_s = 3600.0;  // long enough to be cancelled
  const Case before = window_->currentCase();
  // The dialog says what runs and how far ("Simulating the ablation: 12 of 3600 s"; it said
  // "Bioheat"): Cancel once it does (or after 5 s, so a wrong label fails rather than hangs).
  const QRegularExpression simulating("^Simulating the ablation: \\d+ of 3600 s$");
  QString label;
  QElapsedTimer waited;
  waited.start();
  QTimer canceller;
  QObject::connect(&canceller, &QTimer::timeout, [&] {
    auto* dialog = window_->findChild<QProgressDialog*>();
    if (!dialog) return;
    label = dialog->labelText();
    if (simulating.match(label).hasMatch() || waited.elapsed() > 5000)
      emit dialog->canceled();  // as Cancel does
  });
  canceller.start(50);
  window_->setAblationRunOptions({.boxSize_mm = 50.0, .spacing_mm = 2.0, .timeStep_s = 1.0});
  EXPECT_FALSE(window_->simulateAblation(s));
  EXPECT_TRUE(simulating.match(label).hasMatch()) << label.toStdString();
  EXPECT_TRUE(window_->currentCase().fields.empty());
  EXPECT_EQ(window_->currentCase().plans, before.plans);
  EXPECT_FALSE(window_->currentCase().labelMaps.front().findSegment("Ablation zone"));
}

}  // namespace
}  // namespace twinplan::ui

namespace twinplan::ui {
namespace {

double storedPower_W(const Case& twin) {
  for (const Plan& p : twin.plans)
    if (p.kind == "ablation") return p.parameters["power_W"].get<double>();
  return -1.0;
}

// Undo (issue #17 item 5): five arrow presses in the Power box are one undo step; Enter ends the
// gesture, so the next press is a step of its own, and so is a change of another box.
TEST_F(AblationPanelTest, SpinBoxGesturesAreOneUndoStepEach) {
  placeProbe();
  CaseEditor& editor = window_->document()->editor();
  auto* power = panel_->findChild<QDoubleSpinBox*>("ablationPower");
  auto* time = panel_->findChild<QDoubleSpinBox*>("ablationTime");
  ASSERT_NE(power, nullptr);
  ASSERT_NE(time, nullptr);
  power->setFocus();
  const double start_W = power->value();
  ASSERT_DOUBLE_EQ(storedPower_W(window_->currentCase()), start_W);
  const std::size_t steps = editor.historySize();
  for (int click = 0; click < 5; ++click) QTest::keyClick(power, Qt::Key_Down);
  EXPECT_DOUBLE_EQ(power->value(), start_W - 5.0);
  EXPECT_DOUBLE_EQ(storedPower_W(window_->currentCase()), start_W - 5.0);
  EXPECT_EQ(editor.historySize(), steps + 1);
  EXPECT_EQ(editor.undoText(), "Change the ablation power");

  QTest::keyClick(power, Qt::Key_Return);  // the gesture ends
  QTest::keyClick(power, Qt::Key_Down);
  EXPECT_EQ(editor.historySize(), steps + 2);
  const double start_s = time->value();
  time->setFocus();
  for (int click = 0; click < 3; ++click) QTest::keyClick(time, Qt::Key_Up);
  EXPECT_EQ(editor.historySize(), steps + 3);
  EXPECT_EQ(editor.undoText(), "Change the ablation time");

  window_->document()->undo();  // the three time clicks at once
  EXPECT_DOUBLE_EQ(time->value(), start_s);
  EXPECT_DOUBLE_EQ(panel_->setup().duration_s, start_s);
  window_->document()->undo();  // the lone power click
  EXPECT_DOUBLE_EQ(power->value(), start_W - 5.0);
  window_->document()->undo();  // the five power clicks at once
  EXPECT_DOUBLE_EQ(power->value(), start_W);
  EXPECT_DOUBLE_EQ(panel_->setup().power_W, start_W);
  EXPECT_DOUBLE_EQ(storedPower_W(window_->currentCase()), start_W);
  window_->document()->redo();
  EXPECT_DOUBLE_EQ(power->value(), start_W - 5.0);
}

}  // namespace
}  // namespace twinplan::ui
