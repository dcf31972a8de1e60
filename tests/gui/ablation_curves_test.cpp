// Temperature over time in the Ablation panel (issue #17 items 2 and 5): after Simulate the panel
// plots the temperature at the tumour's centre, at its margin and at a point picked by a click in
// the axial view; the plotted samples are the ablate job's probe_points (twinplan-cli ablate
// --probe-point) for the same case, points and grid, number for number; the curves reopen with
// the case's plan.
#include <gtest/gtest.h>

#include <QDockWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QTest>
#include <cstdio>
#include <iostream>

#include "ablation_gui_fixture.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/ui/temperature_chart.h"

namespace twinplan::ui {
namespace {

// "x,y,z" with every digit a double has, so the job reads the very point back.
std::string exactPointText(const Vec3& p) {
  char text[128];
  std::snprintf(text, sizeof text, "%.17g,%.17g,%.17g", p.x(), p.y(), p.z());
  return text;
}

using AblationCurvesTest = fixtures::AblationWindowTest;

TEST_F(AblationCurvesTest, PlottedTemperaturesAreTheAblateJobsProbePoints) {
  placeProbe();
  AblationSetup s = microwave(100.0, 120.0);
  panel_->setSetup(s);
  // Pick a point 8 mm to the patient's left of the tip, on the tip's slice.
  const Vec3 aimed = tumour().centre_lps + Vec3(8.0, 0.0, 0.0);
  QTest::mouseClick(panel_->findChild<QPushButton*>("pickTemperaturePoint"), Qt::LeftButton);
  ASSERT_EQ(panel_->placing(), AblationPanel::Point::Temperature);
  QTest::mouseClick(axial(), Qt::LeftButton, Qt::NoModifier, widgetPoint(aimed));
  EXPECT_EQ(panel_->placing(), AblationPanel::Point::Temperature) << "picking stays on";
  QTest::mouseClick(panel_->findChild<QPushButton*>("pickTemperaturePoint"), Qt::LeftButton);
  EXPECT_FALSE(panel_->placing());
  ASSERT_EQ(panel_->setup().temperaturePoints_lps.size(), 1u);
  const Vec3 picked = panel_->setup().temperaturePoints_lps[0];
  EXPECT_LT((picked - aimed).norm(), 1.0 / pixelsPerMm() + 1e-6);
  {  // drawn as a ring ("P1") where it was picked
    double x, y;
    axial()->view().lpsToDisplay(picked, x, y);
    EXPECT_TRUE(axial()->view().landmarkAt(x, y, 3.0));
  }
  EXPECT_FALSE(panel_->temperatureChart()->isVisible()) << "no curves before a run";

  test::TempDir dir;
  saveCase(window_->currentCase(), dir / "before.twinplan");  // the case the CLI is given
  ASSERT_TRUE(window_->simulateAblation(panel_->setup()));
  const TemperatureChart* chart = panel_->temperatureChart();
  ASSERT_TRUE(chart->isVisible());
  ASSERT_EQ(chart->curves().size(), 3u);  // tumour centre, margin, the picked point
  EXPECT_EQ(chart->curves()[0].label, "Tumour centre");
  EXPECT_EQ(chart->curves()[1].label, "Margin (5 mm)");
  EXPECT_EQ(chart->curves()[2].label, "Point 1");
  const nlohmann::json& gui = window_->currentCase().plans.at(0).parameters["report"];
  ASSERT_EQ(gui["probe_points"].size(), 3u);
  // The tumour centre: the phantom's true centre within a 2 mm voxel's half-diagonal; the margin
  // point 7.5 + 5 mm from it.
  std::vector<Vec3> positions;
  for (const auto& p : gui["probe_points"])
    positions.emplace_back(p["position_mm"][0].get<double>(), p["position_mm"][1].get<double>(),
                           p["position_mm"][2].get<double>());
  EXPECT_LT((positions[0] - tumour().centre_lps).norm(), 1.8);
  EXPECT_NEAR((positions[1] - positions[0]).norm(), tumour().diameter_mm / 2.0 + 5.0, 1.0);
  EXPECT_EQ(positions[2], picked);

  // The ablate job on the case as it was, at the same points, with the panel's grid options.
  nlohmann::json points = nlohmann::json::array();
  for (const Vec3& p : positions) points.push_back(exactPointText(p));
  const nlohmann::json parameters = {{"case", (dir / "before.twinplan").string()},
                                     {"device", s.deviceId},
                                     {"tip", exactPointText(*s.probes[0].tip_lps)},
                                     {"entry", exactPointText(*s.probes[0].entry_lps)},
                                     {"power_W", s.power_W},
                                     {"duration_s", s.duration_s},
                                     {"spacing_mm", 2.0},
                                     {"boxSize_mm", 50.0},
                                     {"timeStep_s", 10.0},
                                     {"probe_points", points}};
  const auto job = engine::makeJob({{"job", "ablate"}, {"parameters", parameters}});
  const nlohmann::json cli = job->run(noProgress(), nullptr);
  ASSERT_EQ(cli["probe_points"].size(), 3u);
  for (std::size_t c = 0; c < 3; ++c) {
    const std::vector<QPointF> plotted = chart->plottedPoints(c);
    const auto& times = cli["probe_points"][c]["times_s"];
    const auto& temperatures = cli["probe_points"][c]["temperature_degC"];
    ASSERT_EQ(plotted.size(), times.size());
    ASSERT_EQ(times.size(), 12u);  // 120 s in 10 s steps
    for (std::size_t n = 0; n < plotted.size(); ++n) {
      EXPECT_EQ(plotted[n].x(), times[n].get<double>());
      EXPECT_EQ(plotted[n].y(), temperatures[n].get<double>()) << "curve " << c << " sample " << n;
    }
    std::cout << chart->curves()[c].label.toStdString() << ": " << plotted.front().y()
              << " degC after " << plotted.front().x() << " s, " << plotted.back().y()
              << " degC after " << plotted.back().x() << " s\n";
  }
  // The picked point, 8 mm beside the antenna, passes 60 degC; the margin point, 12.5 mm out,
  // is heated by the antenna's field from the first step on (no colder than the body) but less
  // than the picked point at every step. (The tumour's centre is the tip of the internally
  // cooled antenna: its curve reads the cooled wall, below 37 degC at first.)
  EXPECT_GT(chart->plottedPoints(2).back().y(), kCoagulation_degC);
  EXPECT_GE(chart->plottedPoints(1).front().y(), 36.9);
  for (std::size_t n = 0; n < chart->plottedPoints(1).size(); ++n)
    EXPECT_LT(chart->plottedPoints(1)[n].y(), chart->plottedPoints(2)[n].y()) << n;
  EXPECT_GT(chart->plottedPoints(1).back().y(), chart->plottedPoints(1).front().y());
  // The 60 degC line and the hottest sample lie inside the temperature axis.
  EXPECT_GT(chart->temperatureAxisMax_degC(), chart->plottedPoints(2).back().y());
  EXPECT_GE(chart->timeAxisMax_s(), 120.0);

  window_->findChild<QDockWidget*>("ablationDock")->raise();
  window_->resize(1200, 900);  // the screenshots' size (docs/user-guide.md)
  QTest::qWait(100);
  // The dock scrolls vertically (never sideways): the chart brought into view, as a user
  // scrolls to it.
  auto* scroll = qobject_cast<QScrollArea*>(panel_->parentWidget()->parentWidget());
  ASSERT_NE(scroll, nullptr);
  EXPECT_EQ(scroll->horizontalScrollBarPolicy(), Qt::ScrollBarAlwaysOff);
  scroll->ensureWidgetVisible(const_cast<TemperatureChart*>(chart));
  QTest::qWait(50);
  // With a picked point the rows fit the dock's view (inside its vertical scroll bar) at
  // 1200 x 900, so nothing is cut at the left or right: the Probe row's 8-character box made the
  // panel 2 px wider than the view (372 px with the Curves label unwrapped), and a longer Curves
  // label, tried in this session, 25 px - the scroll area then showed the panel shifted, the row
  // labels cut.
  EXPECT_LE(panel_->minimumSizeHint().width(), scroll->viewport()->width());
  EXPECT_EQ(scroll->horizontalScrollBar()->value(), 0);
  fixtures::saveScreenshot(*window_, "ablation-curves.png");
  fixtures::saveScreenshot(*panel_, "ablation-curves-panel.png");

  // Saved and reopened: the curves come back from the case's plan.
  const std::vector<QPointF> pickedCurve = chart->plottedPoints(2);
  saveCase(window_->currentCase(), dir / "after.twinplan");
  window_->setCase(loadCase(dir / "after.twinplan"));
  ASSERT_EQ(panel_->temperatureChart()->curves().size(), 3u);
  EXPECT_EQ(panel_->temperatureChart()->plottedPoints(2), pickedCurve);
  EXPECT_EQ(panel_->setup().temperaturePoints_lps, std::vector<Vec3>{picked});
}

}  // namespace
}  // namespace twinplan::ui
