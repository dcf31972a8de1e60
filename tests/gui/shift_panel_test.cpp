// The Tissue shift panel in a real window (issue #18 item 8) on the head phantom (scale 0.4, a
// coarse mesh: seconds): brain shift run as a background task, the targets' table showing the
// job's figures, the shift magnitude washed over the 2D views with its legend, the moved 3D
// models beside ghosted originals, and one Undo taking the whole result out again.
#include "twinplan/ui/shift_panel.h"

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QProgressDialog>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QTest>
#include <QTimer>
#include <cmath>

#include "shift_gui_fixture.h"
#include "twinplan/engine/tissue_shift.h"

namespace twinplan::ui {
namespace {

const phantom::Phantom& head() { return test::smallPhantom(phantom::PhantomKind::Head); }

std::optional<rendering::SliceView::TextBox> colourBarTitle(SliceViewport* view) {
  const VtkViewport::RenderAllNow everyView;
  view->repaint();
  for (const auto& box : view->view().textBoxes())
    if (box.role == "colourBarTitle") return box;
  return std::nullopt;
}

const SurfaceMesh* meshNamed(const Case& twin, const std::string& name) {
  for (const SurfaceMesh& m : twin.meshes)
    if (m.name == name) return &m;
  return nullptr;
}

// The window of shift_gui_fixture.h showing the head phantom.
class ShiftPanelTest : public test::ShiftWindowTest {
 protected:
  void SetUp() override { show(head().twin); }
  SliceViewport* axial() const { return view(rendering::SliceOrientation::Axial); }
  engine::TissueShiftParameters brainShift() const {
    engine::TissueShiftParameters p = panel_->parameters();
    p.scenario = "brain-shift";
    p.resolution_mm = 10;
    p.brain.openingRadius_mm = 30;
    return p;
  }
};

TEST_F(ShiftPanelTest, BrainShiftShowsTheJobsFiguresAndUndoRemovesTheResult) {
  panel_->setParameters(brainShift());
  EXPECT_EQ(panel_->findChild<QComboBox*>("shiftScenario")->currentIndex(), 0);
  // The panel's brain-shift options and patient position reach the job: the patient lying on
  // the left side (HFDL), linear elastic (a quicker solve), the ventricles drained too.
  auto* position = panel_->findChild<QComboBox*>("shiftPatientPosition");
  position->setCurrentIndex(position->findText("HFDL"));
  panel_->findChild<QComboBox*>("shiftBrainMaterial")->setCurrentIndex(1);
  panel_->findChild<QCheckBox*>("shiftDrainVentricles")->setChecked(true);
  EXPECT_FALSE(panel_->findChild<QCheckBox*>("shiftSkullContact")->isChecked());
  const engine::TissueShiftParameters chosen = panel_->parameters();
  EXPECT_EQ(chosen.patientPosition, "HFDL");
  EXPECT_FALSE(chosen.brain.neoHookean);
  EXPECT_TRUE(chosen.brain.drainVentricles);
  EXPECT_FALSE(chosen.brain.skullContact);
  ASSERT_TRUE(window_->simulateTissueShift(chosen));
  const Case& after = window_->currentCase();
  ASSERT_EQ(after.plans.size(), 1u);
  EXPECT_EQ(after.plans[0].name, "Brain shift");
  const auto& report = after.plans[0].parameters["result"];
  EXPECT_EQ(report["patient_position"], "HFDL");
  // Left side down: gravity towards the patient's left, +L (PS3.3 C.7.3.1.1.2).
  EXPECT_NEAR(report["gravity_lps"][0].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(report["gravity_lps"][1].get<double>(), 0.0, 1e-12);

  // The table shows each target's shift as the job computed it, to the 0.01 mm shown.
  const auto shown = panel_->shownTargets();
  ASSERT_EQ(shown.size(), report["targets"].size());
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].first, "Tumour centroid");
  const double magnitude = report["targets"][0]["magnitude_mm"].get<double>();
  EXPECT_GT(magnitude, 0.05);
  EXPECT_NEAR(shown[0].second, magnitude, 0.005 + 1e-9);
  EXPECT_TRUE(panel_->reportText().contains("Largest displacement"))
      << panel_->reportText().toStdString();

  // The magnitude over the 2D views, with its legend: displacement in mm.
  const auto title = colourBarTitle(axial());
  ASSERT_TRUE(title);
  EXPECT_EQ(title->text, "displacement (mm)");
  // Over the image the one-line title reached a third of the way across the view, onto the
  // anatomy: its unit now goes on a second line, keeping the title in the view's right quarter
  // (the bar's strip) as long as the fitted slice reaches the view's sides.
  const rendering::SlicePlane& plane = axial()->view().slicePlane();
  double imageLeft, imageTop, imageRight, imageBottom;
  axial()->view().lpsToDisplay(plane.pixelToLps(-0.5, -0.5), imageLeft, imageTop);
  axial()->view().lpsToDisplay(plane.pixelToLps(plane.width - 0.5, plane.height - 0.5),
                               imageRight, imageBottom);
  const double viewWidth_px = axial()->width() * axial()->devicePixelRatioF();
  EXPECT_LT(title->xMin, imageRight);  // the case this guards: the title over the image
  EXPECT_GE(title->xMin, 0.75 * viewWidth_px)
      << "title x " << title->xMin << ".." << title->xMax << " of " << viewWidth_px;
  panel_->findChild<QCheckBox*>("shiftWash")->setChecked(false);
  EXPECT_FALSE(colourBarTitle(axial()));
  panel_->findChild<QCheckBox*>("shiftWash")->setChecked(true);
  EXPECT_TRUE(colourBarTitle(axial()));

  // 3D: the tumour's moved model beside its original, now a ghost.
  ASSERT_NE(meshNamed(after, "Tumour (shifted)"), nullptr);
  ASSERT_NE(meshNamed(after, "Tumour"), nullptr);
  EXPECT_LE(meshNamed(after, "Tumour")->opacity, 0.3f);
  EXPECT_EQ(after.volumes.size(), head().twin.volumes.size() + 2);
  // At the default window size (1200 x 900) the report's last line is not cut off: the label
  // has the height its wrapped text needs, and the panel scrolls to show it.
  window_->resize(1200, 900);
  QApplication::processEvents();
  auto* reportLabel = panel_->findChild<QLabel*>("shiftReport");
  ASSERT_NE(reportLabel, nullptr);
  EXPECT_GE(reportLabel->height(), reportLabel->heightForWidth(reportLabel->width()))
      << reportLabel->height() << " px shown of " << reportLabel->text().toStdString();
  if (auto* scroll = panel_->findChild<QScrollArea*>()) scroll->ensureWidgetVisible(reportLabel);
  QApplication::processEvents();
  const QRect reportBox(reportLabel->mapTo(panel_, QPoint(0, 0)), reportLabel->size());
  const auto* panelScroll = panel_->findChild<QScrollArea*>();
  ASSERT_NE(panelScroll, nullptr);
  EXPECT_FALSE(panelScroll->horizontalScrollBar()->isVisible());  // nothing cut at the right
  EXPECT_TRUE(panel_->rect().contains(reportBox)) << "report at y " << reportBox.top() << ".."
                                              << reportBox.bottom() << " of " << panel_->height();
  test::saveScreenshot(*window_, "shift_panel.png");

  // One Undo: every part of the result goes, and the panel forgets the figures.
  EXPECT_EQ(window_->document()->editor().undoText(), "Simulate Brain shift");
  window_->document()->editor().undo();
  const Case& undone = window_->currentCase();
  EXPECT_TRUE(undone.plans.empty());
  EXPECT_TRUE(undone.fields.empty());
  EXPECT_TRUE(undone.tetMeshes.empty());
  EXPECT_EQ(undone.volumes.size(), head().twin.volumes.size());
  EXPECT_EQ(undone.labelMaps.size(), head().twin.labelMaps.size());
  EXPECT_EQ(meshNamed(undone, "Tumour (shifted)"), nullptr);
  EXPECT_EQ(meshNamed(undone, "Tumour")->opacity, meshNamed(head().twin, "Tumour")->opacity);
  EXPECT_TRUE(panel_->shownTargets().empty());
  EXPECT_FALSE(colourBarTitle(axial()));
}

// The live tool's line: the depth along the tool, and for a drag with a sideways part also how
// far the tool moved and how far sideways.
TEST(ShiftPanelLiveText, SaysTheDepthAndHowFarASidewaysDragMovedTheTool) {
  const Vec3 along(0, 1, 0);
  EXPECT_EQ(ShiftPanel::liveToolText(Vec3(0, 12, 0), along, 4.06, 0.089),
            "Tool 12.0 mm in: organ moved up to 4.1 mm (89 ms an update)");
  EXPECT_EQ(ShiftPanel::liveToolText(Vec3(6, 8, 0), along, 3, 0.05),
            "Tool 8.0 mm in, moved 10.0 mm (6.0 mm sideways): organ moved up to 3.0 mm (50 ms "
            "an update)");
  EXPECT_EQ(ShiftPanel::liveToolText(Vec3(0, -3, 0.02), along, 1, 0.01),
            "Tool 3.0 mm out: organ moved up to 1.0 mm (10 ms an update)");
}

// The retractor is a scenario of the list: choosing it shows the blade's rows on the brain page
// and hides the CSF ones, turns the skull contact on (the job's default), and its run reports
// the blade's force beside the targets.
TEST_F(ShiftPanelTest, RetractorShowsTheBladeAndReportsItsForce) {
  auto* scenario = panel_->findChild<QComboBox*>("shiftScenario");
  ASSERT_EQ(scenario->count(), 4);
  scenario->setCurrentIndex(3);
  EXPECT_TRUE(panel_->findChild<QDoubleSpinBox*>("shiftBladeWidth")->isVisibleTo(panel_));
  EXPECT_FALSE(panel_->findChild<QDoubleSpinBox*>("shiftCsfLoss")->isVisibleTo(panel_));
  EXPECT_TRUE(panel_->findChild<QCheckBox*>("shiftSkullContact")->isChecked());
  panel_->findChild<QDoubleSpinBox*>("shiftBladePush")->setValue(4);
  panel_->findChild<QComboBox*>("shiftBrainMaterial")->setCurrentIndex(1);  // linear: seconds
  engine::TissueShiftParameters p = panel_->parameters();
  EXPECT_EQ(p.scenario, "retractor");
  EXPECT_EQ(p.retractor.push_mm, 4);
  EXPECT_EQ(p.retractor.width_mm, 20);
  p.resolution_mm = 14;
  panel_->setParameters(p);
  ASSERT_TRUE(window_->simulateTissueShift(panel_->parameters()));
  EXPECT_TRUE(panel_->reportText().contains("Retractor 20 mm x 20 mm pushed 4.0 mm in"))
      << panel_->reportText().toStdString();
  EXPECT_FALSE(panel_->reportText().contains("CSF level"));
  window_->resize(1200, 900);
  QApplication::processEvents();
  auto* reportLabel = panel_->findChild<QLabel*>("shiftReport");
  ASSERT_NE(reportLabel, nullptr);
  if (auto* scroll = panel_->findChild<QScrollArea*>()) scroll->ensureWidgetVisible(reportLabel);
  QApplication::processEvents();
  EXPECT_GE(reportLabel->height(), reportLabel->heightForWidth(reportLabel->width()))
      << reportLabel->height() << " px shown of " << reportLabel->text().toStdString();
  test::saveScreenshot(*window_, "shift_retractor.png");
  scenario->setCurrentIndex(0);
  EXPECT_FALSE(panel_->findChild<QDoubleSpinBox*>("shiftBladeWidth")->isVisibleTo(panel_));
  EXPECT_TRUE(panel_->findChild<QDoubleSpinBox*>("shiftCsfLoss")->isVisibleTo(panel_));
}

TEST_F(ShiftPanelTest, ResectionReportsTheCavityAndBadInputLeavesTheCaseAlone) {
  engine::TissueShiftParameters p = panel_->parameters();
  p.scenario = "resection";
  p.resolution_mm = 8;
  p.resection.segment = "Tumour";
  panel_->setParameters(p);
  EXPECT_EQ(panel_->parameters().resection.segment, "Tumour");
  ASSERT_TRUE(window_->simulateTissueShift(panel_->parameters()));
  EXPECT_TRUE(panel_->reportText().contains("Cavity")) << panel_->reportText().toStdString();
  const auto shown = panel_->shownTargets();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_TRUE(std::isnan(shown[0].second));  // resected: not in the model
  window_->document()->editor().undo();
  // A liver tool on a head: refused by name, nothing stored.
  p.scenario = "liver-tool";
  EXPECT_THROW(window_->simulateTissueShift(p), Error);
  EXPECT_TRUE(window_->currentCase().plans.empty());
  EXPECT_FALSE(window_->document()->editor().canRedo() && window_->currentCase().fields.size() > 0);
}

// The brain page's rows follow each other with no gap: the scenario pages are stacked, and the
// taller liver page used to leave ~70 px of empty space above "Mesh size".
TEST_F(ShiftPanelTest, ScenarioRowsSitAboveTheMeshSizeWithoutAGap) {
  auto* scenario = panel_->findChild<QComboBox*>("shiftScenario");
  scenario->setCurrentIndex(1);  // the liver page, then back to the brain's
  scenario->setCurrentIndex(0);
  QApplication::processEvents();
  auto* material = panel_->findChild<QComboBox*>("shiftBrainMaterial");
  auto* elements = panel_->findChild<QComboBox*>("shiftElements");  // first of the common rows
  const int materialBottom = material->mapTo(panel_, QPoint(0, material->height())).y();
  const int elementsTop = elements->mapTo(panel_, QPoint(0, 0)).y();
  EXPECT_LT(elementsTop - materialBottom, 20) << "gap between Material and Elements";
}

// Quadratic tetrahedra, a row below the scenario's: the job gets them with the cited nu 0.49
// and the report says so; the resection (another page) keeps the choice.
TEST_F(ShiftPanelTest, QuadraticTetrahedraReachTheJob) {
  engine::TissueShiftParameters p = brainShift();
  p.resolution_mm = 16;
  p.brain.neoHookean = false;  // linear elastic: seconds on the small phantom
  p.elementOrder = "quadratic";
  panel_->setParameters(p);
  auto* elements = panel_->findChild<QComboBox*>("shiftElements");
  EXPECT_EQ(elements->currentIndex(), 1);
  ASSERT_EQ(panel_->parameters().elementOrder, "quadratic");
  ASSERT_TRUE(window_->simulateTissueShift(panel_->parameters()));
  EXPECT_TRUE(panel_->reportText().contains("quadratic tetrahedra"))
      << panel_->reportText().toStdString();
  nlohmann::json result;
  for (const Plan& plan : window_->currentCase().plans)
    if (plan.kind == "tissue-shift") result = plan.parameters.value("result", nlohmann::json());
  EXPECT_EQ(result.value("element_order", ""), "quadratic");
  EXPECT_DOUBLE_EQ(result.value("poissons_ratio", 0.0), 0.49);
  window_->resize(1200, 900);
  test::saveScreenshot(*window_, "shift_quadratic.png");
  auto* scenario = panel_->findChild<QComboBox*>("shiftScenario");
  scenario->setCurrentIndex(2);  // the resection cavity
  EXPECT_TRUE(elements->isVisibleTo(panel_));
  EXPECT_EQ(panel_->parameters().elementOrder, "quadratic");
  elements->setCurrentIndex(0);
  EXPECT_EQ(panel_->parameters().elementOrder, "linear");
}

// Cancel in the progress dialog stops the simulation and leaves the case as it was: no field,
// no mesh, no undo step; the next simulation runs.
TEST_F(ShiftPanelTest, CancelLeavesTheCaseAsItWas) {
  engine::TissueShiftParameters p = brainShift();
  p.resolution_mm = 2;  // ~10^6 tetrahedra: minutes, long enough to be cancelled
  panel_->setParameters(p);
  const Case before = window_->currentCase();
  const bool couldUndo = window_->document()->editor().canUndo();
  QTimer canceller;
  QObject::connect(&canceller, &QTimer::timeout, [&] {
    if (auto* dialog = window_->findChild<QProgressDialog*>())
      emit dialog->canceled();  // as its Cancel button does
  });
  canceller.start(100);
  QTest::mouseClick(panel_->findChild<QPushButton*>("shiftSimulate"), Qt::LeftButton);
  canceller.stop();
  EXPECT_EQ(window_->currentCase().fields.size(), before.fields.size());
  EXPECT_EQ(window_->currentCase().meshes.size(), before.meshes.size());
  EXPECT_EQ(window_->currentCase().plans, before.plans);
  EXPECT_EQ(window_->document()->editor().canUndo(), couldUndo);
  EXPECT_FALSE(panel_->reportText().contains("Largest displacement"));
  panel_->setParameters(brainShift());
  EXPECT_TRUE(window_->simulateTissueShift(panel_->parameters()));
  EXPECT_TRUE(panel_->reportText().contains("Largest displacement"));
}

}  // namespace
}  // namespace twinplan::ui
