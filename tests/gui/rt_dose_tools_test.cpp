// The RT panel's dose tools in a real window (issue #19 items 4 and 5): a dose sum and a signed
// difference made from the panel (values voxel by voxel, the diverging wash, undo); the TCP /
// NTCP table against `twinplan-cli dvh --fractions --target` on the same dose and structures;
// the differential DVH (its steps add up to the structure's volume and are minus the
// cumulative curve's slope); and the regimen and TCP tables fitting the dock at 1200 x 900.
#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QHeaderView>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QTableWidget>
#include <QTest>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "dose_fixtures.h"
#include "error_of.h"
#include "gui_fixtures.h"
#include "rt_gui_fixture.h"
#include "test_support.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/engine/dose_combination.h"
#include "twinplan/io/dicom_reference.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/radiotherapy/dvh.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/dvh_chart.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/rt_panel.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui {
namespace {

using nlohmann::json;
const Vec3& kIsocentre_lps = fixtures::kRtIsocentre_lps;

// A Gaussian dose of `peak_Gy` (sigma 15 mm) about `centre` on the fixture's 2.5 mm grid.
ScalarField gaussian(const std::string& name, double peak_Gy, const Vec3& centre) {
  ScalarField dose = twinplan::test::gaussianDose(fixtures::rtDoseGrid(), centre, peak_Gy,
                                                  fixtures::kRtDoseSigma_mm);
  dose.name = name;
  return dose;
}

// Three boxes of 6 x 6 x 4 CT voxels: "GTV" on the isocentre (the TCP target), "Brainstem"
// 15 mm to its left and "Lung L" 38 mm to its left (organ words with cited LKB models).
LabelMap structures(const ImageGeometry& ct) {
  LabelMap labels(ct);
  labels.name = "Structures";
  const std::pair<const char*, Rgb> named[] = {
      {"GTV", {230, 60, 60}}, {"Brainstem", {240, 200, 40}}, {"Lung L", {40, 160, 240}}};
  const std::int64_t firstI[] = {57, 72, 95};
  for (std::uint16_t n = 0; n < 3; ++n) {
    Segment s;
    s.name = named[n].first;
    s.colour = named[n].second;
    s.value = static_cast<std::uint16_t>(n + 1);
    labels.addSegment(s);
    fixtures::fillBox(labels, {firstI[n], 57, 18}, {firstI[n] + 5, 62, 21}, s.value);
  }
  return labels;
}

class RtDoseToolsTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    Case twin = fixtures::rtPlanningCase();
    twin.labelMaps = {structures(twin.volumes[0].geometry())};
    twin.fields = {gaussian("Dose (plan)", 60.0, kIsocentre_lps),
                   gaussian("Dose (boost)", 20.0, kIsocentre_lps + Vec3(10.0, 0.0, 0.0))};
    showCase(std::move(twin), 0);
    if (HasFatalFailure()) return;
    window_->setCrosshair(kIsocentre_lps);
    window_->findChild<QDockWidget*>("rtPanel")->raise();
  }
  RtPanel* panel() const { return window_->rtPanel(); }
  // Scrolls the panel to `part` (for the screenshots).
  void scrollTo(QWidget* part) {
    panel()->findChild<QScrollArea*>()->ensureWidgetVisible(part, 0, 0);
    QApplication::processEvents();
  }
  // Picks A, B and the operation in the panel and presses Make.
  void makeFromPanel(const QString& a, const QString& b, bool difference) {
    panel()->combineA()->setCurrentText(a);
    panel()->combineB()->setCurrentText(b);
    panel()->combineOperation()->setCurrentIndex(difference ? 1 : 0);
    ASSERT_TRUE(panel()->combineButton()->isEnabled());
    QTest::mouseClick(panel()->combineButton(), Qt::LeftButton);
  }
  // Every 37th voxel of the shown result equals op(A, B) of the case's doses.
  template <class Op>
  void expectShownIs(const std::string& name, Op op) {
    const ScalarField* shown = window_->shownResult();
    ASSERT_NE(shown, nullptr);
    EXPECT_EQ(shown->name, name);
    const Case& twin = window_->currentCase();
    const ScalarField& a = twin.fields[0];
    const ScalarField& b = twin.fields[1];
    ASSERT_EQ(shown->values.size(), a.values.size());
    int sampled = 0;
    for (std::size_t v = 0; v < a.values.size(); v += 37, ++sampled)
      ASSERT_NEAR(shown->values[v], op(a.values[v], b.values[v]), 1e-5) << "voxel " << v;
    EXPECT_GT(sampled, 900);
  }
  twinplan::test::TempDir files_{"twinplan-gui-rt-tools"};
};

TEST_F(RtDoseToolsTest, SumAndDifferenceAreMadeFromThePanelAndUndone) {
  // The panel offers the case's two doses, A and B different.
  ASSERT_EQ(panel()->combineA()->count(), 2);
  EXPECT_EQ(panel()->combineA()->currentText(), "Dose (plan)");
  EXPECT_EQ(panel()->combineB()->currentText(), "Dose (boost)");

  makeFromPanel("Dose (plan)", "Dose (boost)", false);
  expectShownIs("Dose (plan) + Dose (boost)", [](float a, float b) { return a + b; });
  EXPECT_EQ(window_->shownResult()->quantity, "dose");
  // The sum is itself a dose: offered for the next sum.
  EXPECT_EQ(panel()->combineA()->count(), 3);

  makeFromPanel("Dose (plan)", "Dose (boost)", true);
  expectShownIs("Dose (plan) - Dose (boost)", [](float a, float b) { return a - b; });
  const ScalarField& difference = *window_->shownResult();
  EXPECT_EQ(difference.quantity, engine::kDoseDifferenceQuantity);
  // Not offered as a dose (a signed difference has no DVH or isodoses).
  EXPECT_EQ(panel()->combineA()->count(), 3);
  // The diverging wash: symmetric about 0 over +-the largest |A - B|, 0 in the neutral
  // white-grey, the hottest excess of A red, of B blue (Moreland's cool-warm anchors).
  float lowest = 0, highest = 0;
  for (float v : difference.values) lowest = std::min(lowest, v), highest = std::max(highest, v);
  EXPECT_GT(highest, 40.0f);  // A's 60 Gy peak over B's shifted 20 Gy
  EXPECT_LT(lowest, -1.0f);   // B's side, 10 mm off: B gives more there
  const double reach = std::max(highest, -lowest);
  const rendering::SliceView& axial =
      window_->sliceViewport(rendering::SliceOrientation::Axial)->view();
  // (The 256-entry table puts 0 between two entries: within 1 level of the anchor.)
  const auto expectColour = [](Rgb shown, Rgb expected) {
    EXPECT_NEAR(shown.r, expected.r, 1);
    EXPECT_NEAR(shown.g, expected.g, 1);
    EXPECT_NEAR(shown.b, expected.b, 1);
  };
  expectColour(axial.fieldColour(0.0), {221, 221, 221});
  expectColour(axial.fieldColour(reach), {180, 4, 38});
  expectColour(axial.fieldColour(-reach), {59, 76, 192});
  const Rgb halfUp = axial.fieldColour(0.5 * reach), halfDown = axial.fieldColour(-0.5 * reach);
  EXPECT_GT(halfUp.r, halfUp.b);
  EXPECT_GT(halfDown.b, halfDown.r);
  EXPECT_TRUE(panel()->referenceText().contains("dose difference"))
      << panel()->referenceText().toStdString();
  scrollTo(panel()->combineButton());
  screenshot("rt-dose-difference.png");

  // Undo removes the difference, then the sum; the case's doses are as before.
  window_->document()->undo();
  EXPECT_EQ(window_->currentCase().fields.size(), 3u);
  window_->document()->undo();
  ASSERT_EQ(window_->currentCase().fields.size(), 2u);
  EXPECT_EQ(panel()->combineA()->count(), 2);
}

// Results are chosen by id (case format 2): the boost renamed "Dose (plan)" stays the shown
// result, both doses of that name are offered (each with its id) and combine as chosen, and a
// save and reopen keeps the ids.
TEST_F(RtDoseToolsTest, TwoDosesOfOneNameAreChosenAndCombinedByTheirIds) {
  const Case& twin = window_->currentCase();
  ASSERT_EQ(twin.fields[0].id, "result-1");
  ASSERT_EQ(twin.fields[1].id, "result-2");
  window_->chooseResultById("result-2");
  EXPECT_TRUE(window_->findChild<QAction*>("renameResult")->isEnabled());
  window_->renameShownResult("Dose (plan)");  // the Result toolbar's Rename…
  EXPECT_EQ(twin.fields[1].name, "Dose (plan)");
  EXPECT_EQ(window_->shownResultId(), "result-2");  // the rename kept the choice
  EXPECT_EQ(window_->shownResultName(), "Dose (plan)");
  auto* chooser = window_->findChild<QComboBox*>("resultChooser");
  EXPECT_EQ(chooser->currentData().toString(), "result-2");
  EXPECT_EQ(chooser->currentText(), "Dose (plan) [result-2] — dose (Gy)");
  // By id the older one; by a name two results share, the newer.
  window_->chooseResultById("result-1");
  EXPECT_EQ(chooser->currentText(), "Dose (plan) [result-1] — dose (Gy)");
  window_->chooseResult("Dose (plan)");
  EXPECT_EQ(window_->shownResultId(), "result-2");

  ASSERT_EQ(panel()->combineA()->count(), 2);
  EXPECT_EQ(panel()->combineA()->itemText(0), "Dose (plan) [result-1]");
  EXPECT_EQ(panel()->combineA()->itemText(1), "Dose (plan) [result-2]");
  EXPECT_EQ(panel()->combineA()->itemData(1).toString(), "result-2");
  // A = the renamed boost, B = the plan: A - B is boost - plan, voxel for voxel.
  panel()->combineA()->setCurrentIndex(1);
  panel()->combineB()->setCurrentIndex(0);
  makeFromPanel(panel()->combineA()->currentText(), panel()->combineB()->currentText(), true);
  expectShownIs("Dose (plan) - Dose (plan)", [](float plan, float boost) { return boost - plan; });
  EXPECT_EQ(window_->shownResultId(), "result-3");
  screenshot("rt-doses-one-name.png");

  const std::vector<float> boostValues = twin.fields[1].values;  // before the case is reopened
  const std::filesystem::path file = files_ / "two-doses.twinplan";
  ASSERT_TRUE(window_->saveCaseAs(file));
  window_->openCase(file);
  const Case& reopened = window_->currentCase();
  ASSERT_EQ(reopened.fields.size(), 3u);
  for (std::size_t n = 0; n < 3; ++n)
    EXPECT_EQ(reopened.fields[n].id, "result-" + std::to_string(n + 1));
  EXPECT_EQ(reopened.fields[1].name, "Dose (plan)");
  EXPECT_EQ(reopened.fields[1].values, boostValues);
  EXPECT_EQ(panel()->combineA()->itemData(1).toString(), "result-2");
  window_->chooseResultById("result-1");
  EXPECT_EQ(window_->shownResult(), &reopened.fields[0]);
}

TEST_F(RtDoseToolsTest, DosesOnAnotherGridOrNotDosesAreRefusedNamingThem) {
  ScalarField shifted = gaussian("Dose (other grid)", 10.0, kIsocentre_lps);
  shifted.geometry.origin_lps += Vec3(1.0, 0.0, 0.0);
  window_->document()->apply(edits::storeResult(window_->currentCase(), std::move(shifted)));
  const Error grid = twinplan::test::errorOf(
      [&] { window_->combineDoses("Dose (plan)", "Dose (other grid)", false); });
  EXPECT_EQ(grid.kind(), ErrorKind::InvalidInput);
  EXPECT_NE(std::string(grid.what()).find("Dose (other grid)"), std::string::npos) << grid.what();
  const Error missing =
      twinplan::test::errorOf([&] { window_->combineDoses("Dose (plan)", "Dose (none)", true); });
  EXPECT_EQ(missing.kind(), ErrorKind::NotFound);
  EXPECT_NE(std::string(missing.what()).find("'Dose (boost)'"), std::string::npos)
      << missing.what();
  EXPECT_EQ(window_->currentCase().fields.size(), 3u);  // nothing added
}

// The panel's TCP / NTCP against the CLI on the same dose and structures: the case's dose
// written as an RT Dose and its label map as an RT Structure Set, `twinplan-cli dvh
// --fractions 30 --target GTV`. The panel showing the DVHs of those two files gives the CLI's
// numbers (to 1e-12); the window's own DVHs (each segment's voxels as rectangles) differ from
// them only by the structure set's contours, which cut each box's corners (marching squares
// through the voxel edges' midpoints, io/contour_raster.h).
TEST_F(RtDoseToolsTest, TcpAndNtcpEqualTheCommandLinesForTheSameCase) {
  const Case& twin = window_->currentCase();
  io::ReferenceSeries reference = io::referenceFromVolume(twin.volumes[0]);
  reference.dicom.seriesInstanceUid = "1.2.826.0.1.3680043.8.498.79";
  reference.sopClassUid = "1.2.840.10008.5.1.4.1.1.2";  // CT Image Storage
  for (int k = 0; k < 40; ++k)
    reference.sliceSopInstanceUids.push_back("1.2.826.0.1.3680043.8.498.80." +
                                             std::to_string(k + 1));
  io::writeRtStruct(twin.labelMaps[0], reference, files_ / "RS.dcm");
  io::RtDoseWriteOptions options;
  options.dicom = twin.volumes[0].dicom;
  options.referencedPlanSopInstanceUid = "1.2.826.0.1.3680043.8.498.81";
  io::writeRtDose(twin.fields[0], files_ / "RD.dcm", options);
  const twinplan::test::CommandResult run = twinplan::test::runCommand(
      "'" + twinplan::test::cliPath().string() + "' dvh --json --dose '" +
      (files_ / "RD.dcm").string() + "' --structures '" + (files_ / "RS.dcm").string() +
      "' --fractions 30 --target GTV 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json cli = json::parse(run.output);

  // The DVHs of the two files, as the CLI computes them, shown in the panel.
  const io::RtDose written = io::readRtDose(files_ / "RD.dcm");
  std::vector<radiotherapy::StructureContours> contours;
  for (io::RtStructRoiContours& roi : io::readRtStructContours(files_ / "RS.dcm").rois) {
    contours.push_back({roi.name, {}});
    for (io::LpsContour& c : roi.contours) contours.back().polygons_lps.push_back(c.points_lps);
  }
  std::vector<DvhCurve> fileCurves;
  for (radiotherapy::DoseVolumeHistogram& dvh : radiotherapy::computeDvhs(written.dose, contours))
    fileCurves.push_back({std::move(dvh), {200, 200, 200}});
  panel()->setOutcomeFractions(30);
  panel()->showDvhs(fileCurves, {}, {});
  EXPECT_EQ(panel()->findChild<QComboBox*>("rtOutcomeTarget")->currentText(), "GTV");

  QTableWidget* table = panel()->outcomeTable();
  const auto rowOf = [&](const QString& structure, const QString& model) {
    for (int row = 0; row < table->rowCount(); ++row)
      if (table->item(row, 0)->text() == structure && table->item(row, 1)->text() == model)
        return row;
    return -1;
  };
  const auto valueOf = [&](const QString& structure, const QString& model) {
    const int row = rowOf(structure, model);
    return row < 0 ? -1.0 : table->item(row, 2)->data(Qt::UserRole).toDouble();
  };
  // What the CLI said, by (structure, model).
  std::map<std::pair<QString, QString>, double> cliValues;
  int checked = 0;
  for (const json& s : cli["structures"]) {
    const QString name = QString::fromStdString(s["name"].get<std::string>());
    if (s.contains("tcp")) {
      const int row = rowOf(name, "Poisson TCP");
      ASSERT_GE(row, 0) << name.toStdString();
      const double tcp = s["tcp"]["tcp"].get<double>();
      cliValues[{name, "Poisson TCP"}] = tcp;
      EXPECT_NEAR(valueOf(name, "Poisson TCP"), tcp, 1e-12);
      EXPECT_EQ(table->item(row, 2)->text(), QString("TCP %1 %").arg(100 * tcp, 0, 'f', 1));
      // The model's parameters on the row below, across the table.
      EXPECT_EQ(table->columnSpan(row + 1, 0), table->columnCount());
      EXPECT_TRUE(table->item(row + 1, 0)->text().contains("α 0.35 ± 0.08 /Gy, α/β 10 Gy"))
          << table->item(row + 1, 0)->text().toStdString();
      ++checked;
    }
    if (s.contains("ntcp")) {
      const int row = rowOf(name, "LKB NTCP");
      ASSERT_GE(row, 0) << name.toStdString();
      const json& ntcp = s["ntcp"];
      cliValues[{name, "LKB NTCP"}] = ntcp["ntcp"].get<double>();
      EXPECT_NEAR(valueOf(name, "LKB NTCP"), ntcp["ntcp"].get<double>(), 1e-12);
      const QString parameters = table->item(row + 1, 0)->text();
      EXPECT_TRUE(parameters.contains(QString("TD50 %1 Gy, m %2, n %3")
                                          .arg(ntcp["td50_gy"].get<double>())
                                          .arg(ntcp["m"].get<double>())
                                          .arg(ntcp["n"].get<double>())))
          << parameters.toStdString();
      EXPECT_TRUE(
          parameters.contains(QString("gEUD %1 Gy").arg(ntcp["geud_gy"].get<double>(), 0, 'f', 2)))
          << parameters.toStdString();
      // Two significant digits below 0.1 % (the brainstem's 0.011 %), else one decimal.
      const double percent = 100 * ntcp["ntcp"].get<double>();
      EXPECT_EQ(table->item(row, 2)->text(),
                "NTCP " +
                    (percent < 0.1 ? QString::number(percent, 'g', 2)
                                   : QString::number(percent, 'f', 1)) +
                    " %");
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);            // GTV's TCP, the brainstem's and the lung's NTCP
  EXPECT_EQ(table->rowCount(), 6);  // each with its parameters' row

  // Fewer, larger fractions: the same physical dose is worth more (EQD2), so the GTV's TCP
  // and the brainstem's NTCP rise.
  panel()->setOutcomeFractions(10);
  EXPECT_GT(valueOf("GTV", "Poisson TCP"), cliValues.at({"GTV", "Poisson TCP"}));
  EXPECT_GT(valueOf("Brainstem", "LKB NTCP"), cliValues.at({"Brainstem", "LKB NTCP"}));
  panel()->setOutcomeFractions(30);

  // The window's own DVHs of the segments: the same models, near the CLI's.
  ASSERT_TRUE(window_->computeDvhs());
  for (const auto& [key, expected] : cliValues) {
    const double shown = valueOf(key.first, key.second);
    std::printf("window %s %s: %.6g (CLI on RS %.6g)\n", key.first.toUtf8().constData(),
                key.second.toUtf8().constData(), shown, expected);
    EXPECT_NEAR(shown, expected, 0.02 * expected + 1e-4) << key.first.toStdString();
  }
  scrollTo(table);
  screenshot("rt-panel-tcp-ntcp.png");
}

TEST_F(RtDoseToolsTest, DifferentialDvhAddsUpToTheVolumeAndIsTheCumulativesSlope) {
  ASSERT_TRUE(window_->computeDvhs());
  DvhChart* chart = panel()->dvhChart();
  ASSERT_EQ(chart->curves().size(), 3u);
  EXPECT_FALSE(chart->differential());
  QTest::mouseClick(panel()->findChild<QRadioButton*>("rtDvhDifferential"), Qt::LeftButton);
  ASSERT_TRUE(chart->differential());
  for (std::size_t c = 0; c < chart->curves().size(); ++c) {
    const radiotherapy::DoseVolumeHistogram& dvh = chart->curves()[c].dvh;
    const std::vector<DifferentialBin> bins = chart->differentialBins(c);
    ASSERT_GT(bins.size(), 5u);
    double total_percent = 0.0;
    for (const DifferentialBin& bin : bins) {
      const double width_Gy = bin.to_Gy - bin.from_Gy;
      total_percent += bin.percentPerGy * width_Gy;
      // Minus the cumulative curve's slope over the bin (from dvh.h's own volumeAtDose).
      const double fall_percent =
          volumePercentAtDose(dvh, bin.from_Gy + 1e-9) - volumePercentAtDose(dvh, bin.to_Gy + 1e-9);
      EXPECT_NEAR(bin.percentPerGy, fall_percent / width_Gy, 1e-6)
          << dvh.name << " at " << bin.from_Gy << " Gy";
    }
    // All of the structure: 100 % of its volume.
    EXPECT_NEAR(total_percent, 100.0, 1e-6) << dvh.name;
    // The bins share one width: the dose axis in DvhChart::kDifferentialSteps or fewer.
    EXPECT_LE(bins.front().to_Gy,
              chart->doseAxisMax_Gy() / DvhChart::kDifferentialSteps * 1.0001 + dvh.binWidth_Gy);
  }
  // The readout says % per Gy.
  const QString readout = chart->readoutAt(chart->toWidget({30.0, 1.0}));
  EXPECT_TRUE(readout.contains("%/Gy")) << readout.toStdString();
  scrollTo(chart);
  screenshot("rt-dvh-differential.png");
  QTest::mouseClick(panel()->findChild<QRadioButton*>("rtDvhCumulative"), Qt::LeftButton);
  EXPECT_FALSE(chart->differential());
}

// At 1200 x 900 (the brief's screenshots) the regimen and TCP / NTCP tables fit the dock: no
// horizontal scrollbar, every column inside the viewport (the EQD2 column was cut before).
TEST_F(RtDoseToolsTest, RegimenAndOutcomeTablesFitTheDockAt1200x900) {
  window_->resize(1200, 900);
  QTest::qWait(50);
  ASSERT_TRUE(window_->computeDvhs());
  QApplication::processEvents();
  for (QTableWidget* table : {panel()->regimenTable(), panel()->outcomeTable()}) {
    ASSERT_GE(table->columnCount(), 3);
    const int last = table->columnCount() - 1;
    const int right = table->horizontalHeader()->sectionViewportPosition(last) +
                      table->horizontalHeader()->sectionSize(last);
    EXPECT_LE(right, table->viewport()->width()) << table->objectName().toStdString();
    EXPECT_FALSE(table->horizontalScrollBar()->isVisible()) << table->objectName().toStdString();
    // Every cell of the fitted columns shows its whole text.
    const QFontMetrics metrics(table->font());
    for (int c = 0; c <= last; ++c) {
      if (table->horizontalHeader()->sectionResizeMode(c) == QHeaderView::Stretch) continue;
      for (int row = 0; row < table->rowCount(); ++row) {
        if (table->columnSpan(row, c) > 1 || !table->item(row, c)) continue;
        EXPECT_GE(table->horizontalHeader()->sectionSize(c),
                  metrics.horizontalAdvance(table->item(row, c)->text()))
            << table->objectName().toStdString() << " row " << row << " column " << c;
      }
    }
  }
  scrollTo(panel()->regimenTable());
  screenshot("rt-panel-regimens-1200.png");
}

}  // namespace
}  // namespace twinplan::ui
