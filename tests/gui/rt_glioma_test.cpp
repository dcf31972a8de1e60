// The glioma twin in the RT panel (issue #19 items 6 and 8), in a real window: a patient of two
// MR studies 60 days apart whose tumour was grown from known parameters (glioma_fixtures.h).
// Calibrate, pressed in the panel, runs in the background and recovers the parameters within
// 10 %; Predict compares two regimens: the table's BED and EQD2 are the LQ formulas, its times
// to progression and the chart's median curves and 5th-95th percentile bands are the stored
// prediction's, the higher biological dose holds the tumour back longer; Cancel leaves the case
// as it was; Undo takes the predictions, then the calibration, away.
#include <gtest/gtest.h>

#include <QApplication>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QTableWidget>
#include <QTest>
#include <QTimer>

#include "glioma_fixtures.h"
#include "gui_fixtures.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/glioma_twin_box.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/rt_panel.h"

namespace twinplan::ui {
namespace {

class RtGliomaTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override { showCase(twinplan::test::gliomaFollowUpCase(), 0); }
  GliomaTwinBox* box() const { return window_->rtPanel()->gliomaTwin(); }
  // The twin's record in the case (the plan "Glioma twin: Enhancing"), or null.
  const Plan* record() const {
    for (const Plan& p : window_->currentCase().plans)
      if (p.kind == engine::kGliomaTwinPlanKind) return &p;
    return nullptr;
  }
  // A small, fast model, as a user would set it in the box: the 4 mm grid and 4-day steps of
  // the CLI test, 4 posterior samples, a box 8 mm around the tumour.
  void chooseFastModel() {
    engine::GliomaTwinOptions o;
    o.segment = "Enhancing";
    o.oedema = "Oedema";
    o.spacing_mm = 4.0;
    o.step_days = 4.0;
    o.samples = 4;
    o.margin_mm = 8.0;
    o.horizon_days = 240.0;
    box()->setOptions(o);
  }
  void showPanel() {
    if (auto* dock = window_->findChild<QDockWidget*>("rtPanel")) dock->raise();
    // The chart and the regimen table below it in view, the panel's left edge too.
    if (auto* scroll = window_->rtPanel()->findChild<QScrollArea*>()) {
      scroll->ensureWidgetVisible(box()->regimenTable(), 0, 40);
      scroll->horizontalScrollBar()->setValue(0);
    }
  }
};

TEST_F(RtGliomaTest, CalibratesInThePanelAndComparesRegimensWithBands) {
  EXPECT_TRUE(box()->statusText().startsWith("Not calibrated"))
      << box()->statusText().toStdString();
  EXPECT_FALSE(box()->predictButton()->isEnabled());
  chooseFastModel();
  const engine::GliomaTwinOptions chosen = box()->options();
  EXPECT_EQ(chosen.segment, "Enhancing");
  EXPECT_EQ(chosen.oedema, "Oedema");
  EXPECT_EQ(chosen.margin_mm, 8.0);

  box()->calibrateButton()->click();  // as a press of the button does
  const Plan* twin = record();
  ASSERT_NE(twin, nullptr);
  EXPECT_EQ(twin->name, "Glioma twin: Enhancing");
  const nlohmann::json& parameters = twin->parameters["posterior"]["parameters"];
  const double D = parameters["greyDiffusivity_mm2_per_day"]["mode"].get<double>();
  const double rho = parameters["proliferation_per_day"]["mode"].get<double>();
  EXPECT_NEAR(D, twinplan::test::kGliomaKnownDiffusivity,
              0.1 * twinplan::test::kGliomaKnownDiffusivity);
  EXPECT_NEAR(rho, twinplan::test::kGliomaKnownProliferation,
              0.1 * twinplan::test::kGliomaKnownProliferation);
  // The panel says what was fitted, with its 90 % interval, on which scans.
  const QString status = box()->statusText();
  EXPECT_TRUE(status.startsWith("Calibrated on 2 scans (days 0, 60)")) << status.toStdString();
  EXPECT_TRUE(status.contains(
      QString("D grey %1 mm²/day (90 %: %2–%3)")
          .arg(D, 0, 'g', 3)
          .arg(parameters["greyDiffusivity_mm2_per_day"]["p05"].get<double>(), 0, 'g', 3)
          .arg(parameters["greyDiffusivity_mm2_per_day"]["p95"].get<double>(), 0, 'g', 3)))
      << status.toStdString();
  EXPECT_TRUE(status.contains(QString("ρ %1 /day").arg(rho, 0, 'g', 3))) << status.toStdString();
  EXPECT_TRUE(box()->predictButton()->isEnabled());
  EXPECT_EQ(box()->regimenTable()->rowCount(), 0);

  // Cancel while predicting: nothing is stored.
  box()->findChild<QLineEdit*>("gliomaRegimens")->setText("60Gy/30, 25Gy/5");
  const std::vector<Plan> plansBefore = window_->currentCase().plans;
  {
    QTimer canceller;
    QObject::connect(&canceller, &QTimer::timeout, [&] {
      if (auto* dialog = window_->findChild<QProgressDialog*>())
        emit dialog->canceled();  // as Cancel does
    });
    canceller.start(50);
    EXPECT_FALSE(window_->predictGliomaTwin(box()->options()));
  }
  EXPECT_EQ(window_->currentCase().plans, plansBefore);
  EXPECT_EQ(window_->currentCase().fields.size(), 0u);

  box()->predictButton()->click();
  twin = record();
  ASSERT_NE(twin, nullptr);
  const nlohmann::json& predictions = twin->parameters["predictions"];
  ASSERT_EQ(predictions.size(), 2u);
  EXPECT_EQ(window_->currentCase().fields.size(), 2u);  // the mode's density at day 240, each
  QTableWidget* table = box()->regimenTable();
  ASSERT_EQ(table->rowCount(), 2);
  EXPECT_EQ(table->item(0, 0)->text(), "60Gy/30");
  EXPECT_EQ(table->item(1, 0)->text(), "25Gy/5");
  EXPECT_EQ(table->item(0, 1)->text(), "60 Gy in 30 × 2.00 Gy");
  // LQ with the tumour's alpha/beta = 10 Gy (Rockne 2010): BED = D (1 + d / (a/b)),
  // EQD2 = BED / (1 + 2 / (a/b)) (Fowler 1989): 72 and 60 Gy; 37.5 and 31.25 Gy.
  EXPECT_NEAR(table->item(0, 2)->text().toDouble(), 72.0, 0.05);
  EXPECT_NEAR(table->item(0, 3)->text().toDouble(), 60.0, 0.05);
  EXPECT_NEAR(table->item(1, 2)->text().toDouble(), 37.5, 0.05);
  EXPECT_NEAR(table->item(1, 3)->text().toDouble(), 31.25, 0.051);
  // Times to progression as stored: the short course progresses within 240 days; the
  // standard course later, or not by the horizon.
  const nlohmann::json& shortTtp = predictions[1]["ttp_days"];
  ASSERT_TRUE(shortTtp["median"].is_number());
  EXPECT_EQ(table->item(1, 4)->text(), QString::number(shortTtp["median"].get<double>(), 'f', 0));
  const nlohmann::json& standardTtp = predictions[0]["ttp_days"];
  if (standardTtp["median"].is_number()) {
    EXPECT_GT(standardTtp["median"].get<double>(), shortTtp["median"].get<double>());
    EXPECT_EQ(table->item(0, 4)->text(),
              QString::number(standardTtp["median"].get<double>(), 'f', 0));
  } else {
    EXPECT_EQ(table->item(0, 4)->text(), "> 238");  // the last weekly report day
  }
  EXPECT_EQ(table->item(1, 6)->text(),
            QString("%1 of 4").arg(predictions[1]["progressed_samples"].get<int>()));

  // The chart: each regimen's median and band as stored, the band around the median, the
  // progression level at the pre-treatment volume.
  TumourBurdenChart* chart = box()->chart();
  ASSERT_EQ(chart->curves().size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) {
    const BurdenCurve& curve = chart->curves()[r];
    const nlohmann::json& stored = predictions[r]["curve"];
    EXPECT_EQ(curve.day, stored["day"].get<std::vector<double>>());
    EXPECT_EQ(curve.day.size(), 35u);  // weekly, day 0..238
    EXPECT_EQ(curve.median_ml, stored["enhancing_ml"]["median"].get<std::vector<double>>());
    EXPECT_EQ(curve.low_ml, stored["enhancing_ml"]["p05"].get<std::vector<double>>());
    EXPECT_EQ(curve.high_ml, stored["enhancing_ml"]["p95"].get<std::vector<double>>());
    for (std::size_t n = 0; n < curve.day.size(); ++n) {
      EXPECT_LE(curve.low_ml[n], curve.median_ml[n] + 1e-12);
      EXPECT_LE(curve.median_ml[n], curve.high_ml[n] + 1e-12);
    }
  }
  const double preTreatment_ml = predictions[0]["pre_treatment_enhancing_ml"].get<double>();
  ASSERT_TRUE(chart->progressionLevel_ml());
  EXPECT_DOUBLE_EQ(*chart->progressionLevel_ml(), preTreatment_ml);
  EXPECT_NEAR(chart->curves()[0].median_ml.front(), preTreatment_ml, 0.05 * preTreatment_ml);
  EXPECT_GE(chart->volumeAxisMax_ml(), chart->curves()[0].high_ml.front());
  EXPECT_GE(chart->dayAxisMax(), 238.0);
  // The readout at day 119 interpolates the weekly points (days 119 = 17 weeks exactly).
  const QPointF at119 = chart->toWidget({119.0, 1.0});
  const QString readout = chart->readoutAt(at119);
  EXPECT_TRUE(readout.startsWith("day 119:")) << readout.toStdString();
  EXPECT_TRUE(
      readout.contains(QString("25Gy/5 %1 ml").arg(chart->curves()[1].median_ml[17], 0, 'f', 1)))
      << readout.toStdString();
  showPanel();
  screenshot("rt-glioma-twin.png");

  // Undo: first the predictions (plan and fields together), then the calibration.
  window_->document()->undo();
  EXPECT_EQ(box()->regimenTable()->rowCount(), 0);
  EXPECT_TRUE(box()->chart()->curves().empty());
  EXPECT_TRUE(box()->statusText().startsWith("Calibrated")) << box()->statusText().toStdString();
  EXPECT_EQ(window_->currentCase().fields.size(), 0u);
  window_->document()->undo();
  EXPECT_TRUE(box()->statusText().startsWith("Not calibrated"));
}

// At the default window size (1200 x 900) the panel fits its dock's width: no horizontal
// scrollbar, so the right end of the twin's status line (and of every other line) is in view.
TEST_F(RtGliomaTest, PanelFitsItsDockWidthSoNoLineIsCutOff) {
  showPanel();
  QApplication::processEvents();
  auto* scroll = window_->rtPanel()->findChild<QScrollArea*>();
  ASSERT_NE(scroll, nullptr);
  const int available = scroll->viewport()->width();
  // The widest parts, named in the failure message: what to narrow.
  std::string widest;
  for (QWidget* w : scroll->widget()->findChildren<QWidget*>())
    if (w->isVisibleTo(scroll) && w->minimumSizeHint().width() > available - 40)
      widest += w->metaObject()->className() + std::string(" ") +
                w->objectName().toStdString() + " " +
                std::to_string(w->minimumSizeHint().width()) + "; ";
  EXPECT_LE(scroll->widget()->minimumSizeHint().width(), available) << widest;
  EXPECT_FALSE(scroll->horizontalScrollBar()->isVisible()) << widest;
  // The status line wraps inside the box instead of running past the dock's right edge.
  auto* status = box()->findChild<QLabel*>("gliomaStatus");
  ASSERT_NE(status, nullptr);
  const QRect shown(status->mapTo(scroll->viewport(), QPoint(0, 0)), status->size());
  EXPECT_LE(shown.right(), scroll->viewport()->rect().right());
  EXPECT_GE(status->height(), status->heightForWidth(status->width()));
}

TEST_F(RtGliomaTest, PredictingWithoutACalibratedTwinSaysWhatToDo) {
  engine::GliomaTwinOptions o;
  o.segment = "Enhancing";
  try {
    window_->predictGliomaTwin(o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("calibrate it first"), std::string::npos) << e.what();
  }
  // A segment at one time point only: the growth table cannot give two scans.
  o.segment = "Tumour";
  try {
    window_->calibrateGliomaTwin(o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Tumour"), std::string::npos) << e.what();
  }
  EXPECT_EQ(record(), nullptr);
}

}  // namespace
}  // namespace twinplan::ui
