// The result chooser, the background isosurfaces and the RT panel in a real window (issue #19
// item 8): one chooser drives the 2D overlay and the 3D surfaces (analytic isoline and surface
// radii of Gaussian fields), surfaces are built off the GUI thread and stale builds dropped; the
// RT panel lists a written photon plan and the real RayStation ion plan as dcmdump shows them,
// takes the isodose reference from the prescription (or the maximum, or a typed value) with the
// analytic radii following it; the DVH chart plots the DVH module's curve of each segment and the
// QUANTEC table judges them.
#include "twinplan/ui/rt_panel.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QHeaderView>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QTableWidget>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "dose_fixtures.h"
#include "error_of.h"
#include "gui_fixtures.h"
#include "rt_gui_fixture.h"
#include "test_support.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/engine/rt_plan_record.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/ui/beams_eye_view.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/dvh_chart.h"
#include "twinplan/ui/isosurface_builder.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui {
namespace {

using rendering::SliceOrientation;

const Vec3& kIsocentre_lps = fixtures::kRtIsocentre_lps;
constexpr double kSigma_mm = fixtures::kRtDoseSigma_mm;
constexpr const char* kFrame = fixtures::kRtFrame;
// A temperature Gaussian beside the dose: 37 + 60 exp(-r^2 / 2 s^2) degC, s = 12 mm; its 50 and
// 60 degC isotherms are spheres of r = s sqrt(2 ln(60 / (T - 37))).
const Vec3 kHotSpot_lps = kIsocentre_lps + Vec3(15.0, 10.0, 0.0);
constexpr double kHotSigma_mm = 12.0;

double isothermRadius(double t_degC) {
  return kHotSigma_mm * std::sqrt(2 * std::log(60.0 / (t_degC - 37.0)));
}
// The radius where a Gaussian of `peak` falls to `level`.
double isodoseRadius(double peak, double level) {
  return kSigma_mm * std::sqrt(2 * std::log(peak / level));
}

ScalarField doseField(double peak_Gy, const std::string& name = "Dose (plan)") {
  ScalarField dose =
      twinplan::test::gaussianDose(fixtures::rtDoseGrid(), kIsocentre_lps, peak_Gy, kSigma_mm);
  dose.name = name;
  return dose;
}

ScalarField temperatureField() {
  ScalarField t =
      twinplan::test::gaussianDose(fixtures::rtDoseGrid(), kHotSpot_lps, 1.0, kHotSigma_mm);
  for (float& v : t.values) v = 37.0f + 60.0f * v;
  t.name = "Temperature";
  t.quantity = "temperature";
  t.unit = units::kDegreeCelsius;
  return t;
}

std::optional<std::string> colourBarTitle(SliceViewport* view) {
  const VtkViewport::RenderAllNow everyView;
  view->repaint();
  for (const auto& box : view->view().textBoxes())
    if (box.role == "colourBarTitle") return box.text;
  return std::nullopt;
}

// Every isoline point of the axial view lies on one of `radii` about `centre` (within tol_mm),
// and each radius has points; points within 1 mm of the centre (a level at the peak) are left out.
void expectIsolines(const rendering::SliceView& axial, const Vec3& centre,
                    const std::vector<double>& radii, double tol_mm) {
  const auto segments = axial.isolineSegments();
  ASSERT_GT(segments.size(), 20u);
  std::vector<int> near(radii.size(), 0);
  for (const auto& [a, b] : segments)
    for (const Vec3& p : {a, b}) {
      const double r = std::hypot(p[0] - centre[0], p[1] - centre[1]);
      if (r < 1.0) continue;
      std::size_t closest = 0;
      for (std::size_t n = 1; n < radii.size(); ++n)
        if (std::abs(r - radii[n]) < std::abs(r - radii[closest])) closest = n;
      EXPECT_NEAR(r, radii[closest], tol_mm) << "isoline point at r = " << r << " mm";
      ++near[closest];
    }
  for (std::size_t n = 0; n < radii.size(); ++n) EXPECT_GT(near[n], 10) << radii[n] << " mm";
}

// The 3D surfaces are spheres of `radii` about `centre` (within tol_mm), in that order.
void expectSpheres(const std::vector<SurfaceMesh>& surfaces, const Vec3& centre,
                   const std::vector<double>& radii, double tol_mm) {
  ASSERT_EQ(surfaces.size(), radii.size());
  for (std::size_t n = 0; n < radii.size(); ++n) {
    ASSERT_GT(surfaces[n].triangles.size(), 20u) << surfaces[n].name;
    double worst = 0.0;
    for (const auto& p : surfaces[n].points_lps)
      worst = std::max(worst, std::abs((Vec3(p[0], p[1], p[2]) - centre).norm() - radii[n]));
    EXPECT_LT(worst, tol_mm) << surfaces[n].name << " radius " << radii[n];
  }
}

class RtWindowTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    showCase(fixtures::rtPlanningCase(), 0);
    if (HasFatalFailure()) return;
    window_->setCrosshair(kIsocentre_lps);
  }
  void store(ScalarField field) {
    window_->document()->apply(edits::storeResult(window_->currentCase(), std::move(field)));
  }
  void waitForSurfaces() {
    ASSERT_TRUE(QTest::qWaitFor([&] { return !window_->resultSurfacesPending(); }, 20000));
  }
  QComboBox* chooser() const { return window_->findChild<QComboBox*>("resultChooser"); }
  // Picks the result named `name` in the chooser, whose items' data are the results' ids.
  void choose(const QString& name) {
    std::string id;  // "": None
    if (!name.isEmpty()) {
      const Case& twin = window_->currentCase();
      const auto named =
          std::find_if(twin.fields.begin(), twin.fields.end(),
                       [&](const ScalarField& f) { return f.name == name.toStdString(); });
      ASSERT_NE(named, twin.fields.end()) << name.toStdString();
      id = named->id;
    }
    const int index = chooser()->findData(QString::fromStdString(id));
    ASSERT_GE(index, 0) << name.toStdString();
    chooser()->setCurrentIndex(index);
    emit chooser()->activated(index);  // what a user's pick emits
  }
  const rendering::SliceView& axial() const {
    return window_->sliceViewport(SliceOrientation::Axial)->view();
  }
  twinplan::test::TempDir files_{"twinplan-gui-rt"};
};

TEST_F(RtWindowTest, ChooserSwitchesTheOverlayAndTheSurfacesTogether) {
  ASSERT_NE(chooser(), nullptr);
  store(doseField(2.0));
  store(temperatureField());
  // The newest result is shown: the temperature, isotherms at 50 and 60 degC in 2D and 3D.
  EXPECT_EQ(window_->shownResultName(), "Temperature");
  EXPECT_EQ(chooser()->currentData().toString().toStdString(), window_->shownResultId());
  EXPECT_TRUE(chooser()->currentText().startsWith("Temperature — "))
      << chooser()->currentText().toStdString();
  EXPECT_EQ(colourBarTitle(window_->sliceViewport(SliceOrientation::Axial)), "temperature (degC)");
  expectIsolines(axial(), kHotSpot_lps, {isothermRadius(50), isothermRadius(60)}, 0.5);
  waitForSurfaces();
  expectSpheres(window_->isodoseSurfaces(), kHotSpot_lps, {isothermRadius(50), isothermRadius(60)},
                0.5);

  // View > Shown result lists the same choices, the shown one checked.
  auto* menu = window_->findChild<QMenu*>("resultMenu");
  ASSERT_NE(menu, nullptr);
  ASSERT_EQ(menu->actions().size(), 5);  // None, the dose, the temperature, |, Rename…
  EXPECT_TRUE(menu->actions()[2]->isChecked());
  EXPECT_FALSE(menu->actions()[1]->isChecked());

  // The dose picked in the chooser: both views follow it (50 % and 95 % of its 2 Gy maximum).
  choose("Dose (plan)");
  EXPECT_TRUE(menu->actions()[1]->isChecked());
  EXPECT_EQ(window_->shownResultName(), "Dose (plan)");
  EXPECT_EQ(colourBarTitle(window_->sliceViewport(SliceOrientation::Axial)), "dose (Gy)");
  std::vector<double> radii;
  for (double f : {0.2, 0.5, 0.8, 0.9, 0.95}) radii.push_back(isodoseRadius(1.0, f));
  expectIsolines(axial(), kIsocentre_lps, radii, 0.4);
  waitForSurfaces();
  expectSpheres(window_->isodoseSurfaces(), kIsocentre_lps,
                {isodoseRadius(1.0, 0.5), isodoseRadius(1.0, 0.95)}, 0.4);
  screenshot("result-chooser-dose.png");

  // None (from the menu): nothing in either view.
  menu->actions()[0]->trigger();
  EXPECT_EQ(window_->shownResultName(), "");
  EXPECT_FALSE(colourBarTitle(window_->sliceViewport(SliceOrientation::Axial)));
  EXPECT_TRUE(axial().isolineSegments().empty());
  waitForSurfaces();
  EXPECT_TRUE(window_->isodoseSurfaces().empty());

  // Undoing the temperature while it is shown falls back on the newest result left.
  choose("Temperature");
  window_->document()->undo();
  EXPECT_EQ(window_->shownResultName(), "Dose (plan)");
  waitForSurfaces();
  EXPECT_EQ(window_->isodoseSurfaces().size(), 2u);
  EXPECT_THROW(window_->chooseResult("No such result"), Error);
}

TEST_F(RtWindowTest, SurfacesAreBuiltOffTheGuiThreadAndStaleBuildsAreDropped) {
  store(temperatureField());
  waitForSurfaces();
  // A 200 x 200 x 160 dose at 1 mm: its two isodose surfaces take far longer than a 5 ms timer
  // period to build, during which the GUI thread keeps running events.
  ImageGeometry big;
  big.size = {200, 200, 160};
  big.spacing_mm = Vec3(1.0, 1.0, 1.0);
  big.origin_lps = kIsocentre_lps - Vec3(99.5, 99.5, 79.5);
  ScalarField large = twinplan::test::gaussianDose(big, kIsocentre_lps, 2.0, 30.0);
  large.name = "Dose (large)";
  std::vector<std::string> delivered;
  QObject::connect(window_->isosurfaceBuilder(), &IsosurfaceBuilder::ready, window_.get(),
                   [&](int, const std::vector<SurfaceMesh>& surfaces, const QString&) {
                     delivered.push_back(surfaces.empty() ? "" : surfaces.front().name);
                   });
  const int droppedBefore = window_->isosurfaceBuilder()->droppedBuilds();
  store(std::move(large));  // chosen as the newest result; its build starts
  EXPECT_EQ(window_->shownResultName(), "Dose (large)");
  EXPECT_TRUE(window_->resultSurfacesPending());
  // The 2D overlay is there at once; the 3D still shows the temperature's surfaces.
  EXPECT_EQ(colourBarTitle(window_->sliceViewport(SliceOrientation::Axial)), "dose (Gy)");
  int ticks = 0;
  QTimer timer;
  QObject::connect(&timer, &QTimer::timeout, [&] { ++ticks; });
  timer.start(5);
  waitForSurfaces();
  timer.stop();
  EXPECT_GE(ticks, 1) << "the GUI thread ran no timer while the surfaces were built";
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(window_->isosurfaceBuilder()->droppedBuilds(), droppedBefore);
  expectSpheres(window_->isodoseSurfaces(), kIsocentre_lps,
                {30.0 * std::sqrt(2 * std::log(2.0)), 30.0 * std::sqrt(2 * std::log(1 / 0.95))},
                0.3);

  // Switching away while the large dose is being built: its build is dropped, the temperature's
  // surfaces are the only ones delivered.
  delivered.clear();
  choose("");
  choose("Dose (large)");  // starts a build (the surfaces were cleared)
  ASSERT_TRUE(window_->resultSurfacesPending());
  choose("Temperature");
  waitForSurfaces();
  EXPECT_EQ(window_->isosurfaceBuilder()->droppedBuilds(), droppedBefore + 1);
  ASSERT_EQ(delivered.size(), 1u);  // None clears the 3D at once; then only the temperature's
  EXPECT_EQ(delivered.back().rfind("Temperature", 0), 0u) << delivered.back();
  expectSpheres(window_->isodoseSurfaces(), kHotSpot_lps, {isothermRadius(50), isothermRadius(60)},
                0.5);
}

// A 6 MV photon plan on the CT, 5 fractions prescribed to 2.5 Gy: beam "AP" at gantry 30,
// collimator 10, couch 0, 123.4 MU, jaws only; beam "MLC" at gantry 0, collimator 0, couch 0,
// 80 MU, jaws X [-30, 40] Y [-20, 25] mm and two MLCX leaf pairs (boundaries -20, 0, 20 mm) open
// from -10 to 15 and from -5 to 30 mm.
std::filesystem::path writePhotonPlan(const std::filesystem::path& folder, const DicomInfo& ct,
                                      const std::string& frame) {
  io::RtPlan plan;
  plan.label = "Prostate 5x";
  plan.name = "Prostate";
  plan.geometry = "PATIENT";
  plan.frameOfReferenceUid = frame;
  plan.patientPosition = "HFS";
  plan.prescriptionDose_Gy = 2.5;
  plan.fractionGroups = {{1, 5, {1, 2}}};
  io::Beam beam;
  beam.number = 1;
  beam.name = "AP";
  beam.type = "STATIC";
  beam.radiationType = "PHOTON";
  beam.machine = "Linac";
  beam.sourceAxisDistance_mm = 1000.0;
  beam.meterset = 123.4;
  beam.beamDose_Gy = 0.5;
  beam.devices = {{"ASYMX", 1, {}}, {"ASYMY", 1, {}}};
  for (int n = 0; n < 2; ++n) {
    io::ControlPoint cp;
    cp.index = n;
    cp.cumulativeMetersetWeight = n;
    cp.nominalEnergy = 6.0;
    cp.gantryAngle_deg = 30.0;
    cp.collimatorAngle_deg = 10.0;
    cp.couchAngle_deg = 0.0;
    cp.isocentre_lps = kIsocentre_lps;
    cp.devices = {{"ASYMX", {-30.0, 40.0}}, {"ASYMY", {-20.0, 25.0}}};
    beam.controlPoints.push_back(cp);
  }
  plan.beams.push_back(beam);
  io::Beam mlc = beam;
  mlc.number = 2;
  mlc.name = "MLC";
  mlc.meterset = 80.0;
  mlc.devices = {{"ASYMX", 1, {}}, {"ASYMY", 1, {}}, {"MLCX", 2, {-20.0, 0.0, 20.0}}};
  for (io::ControlPoint& cp : mlc.controlPoints) {
    cp.gantryAngle_deg = 0.0;
    cp.collimatorAngle_deg = 0.0;
    cp.devices = {
        {"ASYMX", {-30.0, 40.0}}, {"ASYMY", {-20.0, 25.0}}, {"MLCX", {-10.0, -5.0, 15.0, 30.0}}};
  }
  plan.beams.push_back(mlc);
  io::RtPlanWriteOptions options;
  options.dicom = ct;
  options.dicom.frameOfReferenceUid = frame;
  options.referencedStructureSetSopInstanceUid = "1.2.826.0.1.3680043.8.498.81";
  const std::filesystem::path file = folder / ("RP_" + frame + ".dcm");
  io::writeRtPlan(plan, file, options);
  return file;
}

QString cell(QTableWidget* table, int row, int column) {
  auto* item = table->item(row, column);
  return item ? item->text() : QString();
}

// Two plans in the case, each naming its own dose (as `plan-conformal` stores them): showing a
// plan's dose chooses that plan, so the beams drawn in 2D and 3D are the ones that gave it.
TEST_F(RtWindowTest, ShowingAPlansDoseDrawsThatPlansBeams) {
  const std::filesystem::path file =
      writePhotonPlan(files_.path(), window_->currentCase().volumes[0].dicom, kFrame);
  ASSERT_TRUE(window_->addRtPlan(file));
  // The first plan names "Dose (plan)"; a boost plan (both beams at gantry 90) names "Dose
  // (boost)".
  Plan first = window_->currentCase().plans[0];
  first.parameters[engine::kPlanDoseFieldKey] = "Dose (plan)";
  window_->document()->apply(edits::replacePlan(window_->currentCase(), 0, first));
  io::RtPlan boost = io::readRtPlan(file);
  boost.label = "Boost";
  for (io::Beam& beam : boost.beams)
    for (io::ControlPoint& cp : beam.controlPoints) cp.gantryAngle_deg = 90.0;
  Plan boostRecord{engine::kRadiotherapyPlanKind, "Boost", engine::rtPlanToJson(boost)};
  boostRecord.parameters[engine::kPlanDoseFieldKey] = "Dose (boost)";
  window_->document()->apply(edits::addPlan(window_->currentCase(), boostRecord));
  RtPanel* panel = window_->rtPanel();
  ASSERT_EQ(panel->plansTable()->rowCount(), 2);
  const auto gantryOfShownBeams = [&] {
    std::vector<double> gantry;
    for (const BeamDrawing& b : window_->shownBeams()) {
      // Gantry angle from the source direction (HFS, IEC 61217: gantry 0 is anterior, -y in
      // LPS; 90 is the patient's left, +x).
      const Vec3 d = (b.geometry.source_lps - b.geometry.isocentre_lps).normalized();
      gantry.push_back(std::round(std::atan2(d[0], -d[1]) * 180.0 / M_PI));
    }
    return gantry;
  };

  panel->plansTable()->setCurrentCell(0, 0);
  store(doseField(1.0, "Dose (boost)"));  // arrives, is shown: the boost plan is chosen
  EXPECT_EQ(window_->shownResultName(), "Dose (boost)");
  EXPECT_EQ(panel->chosenPlan(), 1);
  EXPECT_EQ(gantryOfShownBeams(), (std::vector<double>{90.0, 90.0}));
  EXPECT_EQ(cell(panel->beamsTable(), 0, 1), "90.0");
  store(doseField(2.0, "Dose (plan)"));
  EXPECT_EQ(panel->chosenPlan(), 0);
  EXPECT_EQ(gantryOfShownBeams(), (std::vector<double>{30.0, 0.0}));
  choose("Dose (boost)");
  EXPECT_EQ(panel->chosenPlan(), 1);
  EXPECT_EQ(gantryOfShownBeams(), (std::vector<double>{90.0, 90.0}));
  // A result that is no plan's dose leaves the choice as it is.
  store(temperatureField());
  EXPECT_EQ(window_->shownResultName(), "Temperature");
  EXPECT_EQ(panel->chosenPlan(), 1);
}

TEST_F(RtWindowTest, PanelListsThePlanAndTheIsodosesFollowItsPrescription) {
  auto* dock = window_->findChild<QDockWidget*>("rtPanel");
  ASSERT_NE(dock, nullptr);
  RtPanel* panel = window_->rtPanel();
  const DicomInfo ct = window_->currentCase().volumes[0].dicom;
  ASSERT_TRUE(window_->addRtPlan(writePhotonPlan(files_.path(), ct, kFrame)));
  ASSERT_EQ(panel->plansTable()->rowCount(), 1);
  EXPECT_EQ(cell(panel->plansTable(), 0, 0), "Prostate 5x");
  EXPECT_EQ(cell(panel->plansTable(), 0, 1), "2");
  EXPECT_EQ(cell(panel->plansTable(), 0, 2), "5");
  EXPECT_EQ(cell(panel->plansTable(), 0, 3), "2.50 Gy");
  ASSERT_EQ(panel->beamsTable()->rowCount(), 2);
  EXPECT_EQ(cell(panel->beamsTable(), 0, 0), "AP");
  EXPECT_EQ(cell(panel->beamsTable(), 0, 1), "30.0");
  EXPECT_EQ(cell(panel->beamsTable(), 0, 2), "10.0");
  EXPECT_EQ(cell(panel->beamsTable(), 0, 3), "0.0");
  EXPECT_EQ(cell(panel->beamsTable(), 0, 4), "123.4");
  EXPECT_EQ(cell(panel->beamsTable(), 0, 5), "6 MV");
  // At 1200 x 900 the beams table fits the dock: no horizontal scrollbar, every column shows
  // its whole text (the energy was cut before, then the type: "P… S…", now in the tooltip).
  window_->resize(1200, 900);
  QApplication::processEvents();
  QTableWidget* beams = panel->beamsTable();
  QTRY_VERIFY_WITH_TIMEOUT(!beams->horizontalScrollBar()->isVisible(), 3000);  // laid out lazily
  const QFontMetrics metrics(beams->font());
  // ... its headers too (the beam's "Beam" was cut once a type column took the width).
  const QFontMetrics headerMetrics(beams->horizontalHeader()->font());
  for (int c = 0; c < beams->columnCount(); ++c)
    for (const QString& line : beams->horizontalHeaderItem(c)->text().split('\n'))
      EXPECT_GE(beams->horizontalHeader()->sectionSize(c), headerMetrics.horizontalAdvance(line))
          << "header " << line.toStdString();
  for (int c = 0; c < beams->columnCount(); ++c)
    for (int row = 0; row < beams->rowCount(); ++row)
      EXPECT_GE(beams->horizontalHeader()->sectionSize(c),
                metrics.horizontalAdvance(beams->item(row, c)->text()))
          << "row " << row << " column " << c;

  // A 2 Gy dose: isodoses at 20/50 % of the 2.5 Gy prescription (0.5 and 1.25 Gy; 80 % = 2 Gy
  // is the peak itself, 90 and 95 % are above it).
  store(doseField(2.0));
  ASSERT_EQ(window_->doseReference_Gy(), 2.5);
  EXPECT_TRUE(panel->referenceText().contains("prescription"))
      << panel->referenceText().toStdString();
  EXPECT_DOUBLE_EQ(panel->reference_Gy(), 2.5);
  expectIsolines(axial(), kIsocentre_lps, {isodoseRadius(2.0, 0.5), isodoseRadius(2.0, 1.25)}, 0.4);
  waitForSurfaces();
  expectSpheres(window_->isodoseSurfaces(), kIsocentre_lps, {isodoseRadius(2.0, 1.25)}, 0.4);
  window_->findChild<QDockWidget*>("rtPanel")->raise();
  screenshot("rt-panel-plan.png");

  // A reference typed in: 1.6 Gy; the 50 % isodose (0.8 Gy) and 95 % (1.52 Gy) move with it.
  panel->findChild<QDoubleSpinBox*>("rtReference")->setValue(1.6);
  EXPECT_EQ(window_->doseReference_Gy(), 1.6);
  EXPECT_TRUE(panel->referenceText().contains("typed")) << panel->referenceText().toStdString();
  waitForSurfaces();
  expectSpheres(window_->isodoseSurfaces(), kIsocentre_lps,
                {isodoseRadius(2.0, 0.8), isodoseRadius(2.0, 1.52)}, 0.4);
  panel->findChild<QPushButton*>("rtReferenceReset")->click();
  EXPECT_EQ(window_->doseReference_Gy(), 2.5);

  // Regimen comparison: A is the plan's 2.5 Gy in 5 fractions, B the default 40.05 Gy in 15.
  // LQ: BED = D (1 + d / (a/b)), EQD2 = BED / (1 + 2 / (a/b)) (Fowler, Br J Radiol 1989;62:679).
  QTableWidget* regimens = panel->regimenTable();
  ASSERT_GE(regimens->rowCount(), 2);
  for (int row = 0; row < regimens->rowCount(); ++row) {
    const double ab = cell(regimens, row, 1).toDouble();
    ASSERT_GT(ab, 0.0);
    const double bedA = 2.5 * (1 + 0.5 / ab), bedB = 40.05 * (1 + 2.67 / ab);
    EXPECT_NEAR(cell(regimens, row, 2).toDouble(), bedA, 0.005);
    EXPECT_NEAR(cell(regimens, row, 3).toDouble(), bedA / (1 + 2 / ab), 0.005);
    EXPECT_NEAR(cell(regimens, row, 4).toDouble(), bedB, 0.005);
    EXPECT_NEAR(cell(regimens, row, 5).toDouble(), bedB / (1 + 2 / ab), 0.005);
  }

  // Undo removes the dose, then the plan: the reference is the maximum of nothing.
  window_->document()->undo();
  window_->document()->undo();
  EXPECT_EQ(panel->plansTable()->rowCount(), 0);
  EXPECT_FALSE(window_->doseReference_Gy());

  // A plan of another frame of reference is refused and the case keeps no plan.
  const Error e = twinplan::test::errorOf([&] {
    window_->addRtPlan(writePhotonPlan(files_.path(), ct, "1.2.826.0.1.3680043.8.498.99"));
  });
  EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  EXPECT_NE(std::string(e.what()).find(kFrame), std::string::npos) << e.what();
  EXPECT_TRUE(window_->currentCase().plans.empty());
}

bool samePoint(const Vec3& a, const Vec3& b) { return (a - b).norm() < 1e-6; }

// HFS, gantry 0, collimator 0 (IEC 61217, beam_geometry.h): the source is 1000 mm anterior of the
// isocentre (LPS -y), Xb is the patient's left (+x) and Yb superior (+z); so a point (x, y) of
// the beam's-eye view at the isocentre plane is the isocentre + (x, 0, y) in LPS.
TEST_F(RtWindowTest, BeamsAreDrawnFromTheSourceThroughTheIsocentreWithTheirLeafOpenings) {
  // One voxel segment whose corner (69.5, 59.5, 20) index lies at the isocentre + (10, 0, 0).
  Case twin = window_->currentCase();
  LabelMap labels(twin.volumes[0].geometry());
  Segment target;
  target.name = "Target";
  target.colour = {255, 0, 0};
  labels.addSegment(target);
  fixtures::fillBox(labels, {69, 59, 20}, {69, 59, 20}, 1);
  twin.labelMaps = {labels};
  window_->setCase(std::move(twin));
  ASSERT_TRUE(window_->addRtPlan(
      writePhotonPlan(files_.path(), window_->currentCase().volumes[0].dicom, kFrame)));
  const std::vector<BeamDrawing> beams = window_->shownBeams();
  ASSERT_EQ(beams.size(), 2u);
  const BeamDrawing& mlc = beams[1];
  EXPECT_EQ(mlc.name, "MLC");
  const Vec3 source = kIsocentre_lps + Vec3(0, -1000, 0);
  EXPECT_TRUE(samePoint(mlc.geometry.source_lps, source));
  ASSERT_EQ(mlc.axis_lps.size(), 1u);
  EXPECT_TRUE(samePoint(mlc.axis_lps[0].first, source));
  EXPECT_TRUE(samePoint(mlc.axis_lps[0].second, kIsocentre_lps + Vec3(0, 150, 0)));
  // Two leaf-pair openings: x [-10, 15] for y [-20, 0], x [-5, 30] for y [0, 20] (the Y jaw at
  // 25 mm is beyond the leaves' 20 mm).
  ASSERT_EQ(mlc.openings_mm.size(), 2u);
  EXPECT_EQ(mlc.openings_mm[0], (std::array<double, 4>{-10, 15, -20, 0}));
  EXPECT_EQ(mlc.openings_mm[1], (std::array<double, 4>{-5, 30, 0, 20}));
  ASSERT_EQ(mlc.outline_lps.size(), 8u);
  const Vec3 corners[8] = {{-10, 0, -20}, {15, 0, -20}, {15, 0, 0},  {-10, 0, 0},
                           {-5, 0, 0},    {30, 0, 0},   {30, 0, 20}, {-5, 0, 20}};
  for (int n = 0; n < 8; ++n) {
    const int next = n % 4 == 3 ? n - 3 : n + 1;
    EXPECT_TRUE(samePoint(mlc.outline_lps[n].first, kIsocentre_lps + corners[n])) << n;
    EXPECT_TRUE(samePoint(mlc.outline_lps[n].second, kIsocentre_lps + corners[next])) << n;
  }
  // The divergent edges: from the source through the field's corners (x -10..30, y -20..20),
  // 150 mm beyond the isocentre plane, i.e. scaled by 1150 / 1000.
  ASSERT_EQ(mlc.edges_lps.size(), 4u);
  EXPECT_TRUE(samePoint(mlc.edges_lps[0].first, source));
  EXPECT_TRUE(
      samePoint(mlc.edges_lps[0].second, kIsocentre_lps + Vec3(-10 * 1.15, 150, -20 * 1.15)));
  EXPECT_TRUE(samePoint(mlc.edges_lps[2].second, kIsocentre_lps + Vec3(30 * 1.15, 150, 20 * 1.15)));

  // The beam's-eye view of the MLC beam: its openings, the isocentre at (0, 0), and the target
  // voxel's corner at the isocentre + (10, 0, 0) seen at (10, 0).
  RtPanel* panel = window_->rtPanel();
  panel->beamsTable()->setCurrentCell(1, 0);
  BeamsEyeView* bev = panel->beamsEyeView();
  EXPECT_EQ(bev->beamName(), "MLC");
  EXPECT_EQ(bev->openings_mm(), mlc.openings_mm);
  const Vec3 isocentre = mlc.geometry.toBeamsEye(kIsocentre_lps);
  EXPECT_NEAR(isocentre[0], 0.0, 1e-9);
  EXPECT_NEAR(isocentre[1], 0.0, 1e-9);
  EXPECT_NEAR(isocentre[2], 1000.0, 1e-9);
  ASSERT_EQ(bev->structures().size(), 1u);
  bool corner = false;
  // The contour stands for its 2 mm slab: the corner's edge seen from the source spans
  // (10, -1)..(10, 1) (the slab's faces at z -+ 1 mm, at the isocentre's distance).
  for (const auto& polygon : bev->structures()[0].polygons_mm)
    for (const auto& [x, y] : polygon)
      corner = corner || (std::abs(x - 10.0) < 1e-6 && std::abs(std::abs(y) - 1.0) < 1e-6);
  EXPECT_TRUE(corner);
  // The first beam (gantry 30) drawn too: its source 1000 mm from the isocentre.
  EXPECT_NEAR((beams[0].geometry.source_lps - kIsocentre_lps).norm(), 1000.0, 1e-9);
  window_->findChild<QDockWidget*>("rtPanel")->raise();
  screenshot("rt-beams.png");
}

TEST_F(RtWindowTest, DvhChartPlotsTheDvhModulesCurvesAndTheConstraintsAreJudged) {
  // Two boxes on the CT grid: "Brainstem" about the isocentre (6 x 6 x 4 voxels of 2 mm3, Dmax
  // near the 60 Gy peak: fails Dmax < 54 Gy) and "SpinalCord" 38 mm to the left (about 2.4 Gy:
  // passes Dmax <= 50 Gy).
  Case twin = window_->currentCase();
  LabelMap labels(twin.volumes[0].geometry());
  labels.name = "Structures";
  Segment brainstem;
  brainstem.name = "Brainstem";
  brainstem.colour = {240, 200, 40};
  brainstem.value = 1;
  Segment cord = brainstem;
  cord.name = "SpinalCord";
  cord.colour = {40, 160, 240};
  cord.value = 2;
  labels.addSegment(brainstem);
  labels.addSegment(cord);
  fixtures::fillBox(labels, {57, 57, 18}, {62, 62, 21}, 1);
  fixtures::fillBox(labels, {95, 57, 18}, {100, 62, 21}, 2);
  twin.labelMaps = {labels};
  twin.fields = {doseField(60.0)};
  window_->setCase(std::move(twin));
  ASSERT_EQ(window_->shownResultName(), "Dose (plan)");
  ASSERT_TRUE(window_->computeDvhs());

  RtPanel* panel = window_->rtPanel();
  DvhChart* chart = panel->dvhChart();
  ASSERT_EQ(chart->curves().size(), 2u);
  // The DVH module on each box drawn as one rectangle per slice (contours built here, apart
  // from the window's run-by-run ones): the chart plots its cumulative curve, in % of volume.
  const ImageGeometry& g = window_->currentCase().volumes[0].geometry();
  const auto boxContours = [&](const std::string& name, double i0, double i1) {
    radiotherapy::StructureContours s{name, {}};
    for (int k = 18; k <= 21; ++k)
      s.polygons_lps.push_back(
          {g.indexToLps(Vec3(i0 - 0.5, 56.5, k)), g.indexToLps(Vec3(i1 + 0.5, 56.5, k)),
           g.indexToLps(Vec3(i1 + 0.5, 62.5, k)), g.indexToLps(Vec3(i0 - 0.5, 62.5, k))});
    return s;
  };
  const ScalarField& dose = window_->currentCase().fields[0];
  const radiotherapy::DoseVolumeHistogram expected[] = {
      radiotherapy::computeDvh(dose, boxContours("Brainstem", 57, 62)),
      radiotherapy::computeDvh(dose, boxContours("SpinalCord", 95, 100))};
  for (std::size_t c = 0; c < 2; ++c) {
    const radiotherapy::DoseVolumeHistogram& dvh = expected[c];
    EXPECT_EQ(chart->curves()[c].dvh.name, dvh.name);
    // 144 voxels of 1 x 1 x 2 mm = 0.288 cm3, as dvh.h samples them: the end caps reach half a
    // dose slice (2.5 mm) beyond the outer contours, and the sub-points are 0.625 mm apart.
    EXPECT_NEAR(dvh.figures.volume_cm3, 0.288, 0.1 * 0.288);
    EXPECT_NEAR(chart->curves()[c].dvh.figures.volume_cm3, dvh.figures.volume_cm3, 1e-9);
    const double volume_cm3 = dvh.figures.volume_cm3;
    const std::vector<QPointF> points = chart->plottedPoints(c);
    ASSERT_GT(points.size(), 10u);
    ASSERT_LE(points.size(), dvh.cumulative_cm3.size());
    for (std::size_t n = 0; n < points.size(); ++n) {
      EXPECT_NEAR(points[n].x(), static_cast<double>(n) * dvh.binWidth_Gy, 1e-9);
      EXPECT_NEAR(points[n].y(), 100.0 * dvh.cumulative_cm3[n] / volume_cm3, 1e-6) << n;
    }
    EXPECT_NEAR(points.front().y(), 100.0, 1e-6);
    // Past the plotted points the curve is zero.
    for (std::size_t n = points.size(); n < dvh.cumulative_cm3.size(); ++n)
      EXPECT_EQ(dvh.cumulative_cm3[n], 0.0);
    const Rgb colour = c == 0 ? Rgb{240, 200, 40} : Rgb{40, 160, 240};
    EXPECT_EQ(chart->curves()[c].colour, colour);
  }
  // The hover readout at 30 Gy, half-way up: each structure's V30Gy.
  const QPointF at = chart->toWidget({30.0, 50.0});
  const double dose_Gy = chart->fromWidget(at).x();
  EXPECT_NEAR(dose_Gy, 30.0, 1e-9);
  const QString readout = chart->readoutAt(at);
  EXPECT_TRUE(readout.contains(
      QString("Brainstem %1 %").arg(volumePercentAtDose(expected[0], dose_Gy), 0, 'f', 1)))
      << readout.toStdString();
  EXPECT_TRUE(readout.contains("SpinalCord 0.0 %")) << readout.toStdString();
  // Dx / Vx figures: D95 and V30Gy as the DVH module gives them.
  panel->setVx(30.0);
  QTableWidget* figures = panel->figuresTable();
  ASSERT_EQ(figures->rowCount(), 2);
  EXPECT_EQ(cell(figures, 0, 4), QString::number(expected[0].doseToVolumePercent(95), 'f', 2));
  EXPECT_EQ(cell(figures, 0, 5), QString::number(volumePercentAtDose(expected[0], 30.0), 'f', 1));

  // QUANTEC: the brainstem fails Dmax < 54 Gy (red), the cord passes Dmax <= 50 Gy (green).
  QTableWidget* table = panel->constraintsTable();
  int brainstemDmax = -1, cordDmax = -1;
  for (int row = 0; row < table->rowCount(); ++row) {
    if (cell(table, row, 1) != "Dmax") continue;
    if (cell(table, row, 0) == "Brainstem") brainstemDmax = row;
    if (cell(table, row, 0) == "SpinalCord") cordDmax = row;
  }
  ASSERT_GE(brainstemDmax, 0);
  ASSERT_GE(cordDmax, 0);
  EXPECT_EQ(cell(table, brainstemDmax, 4), "FAIL");
  EXPECT_EQ(cell(table, cordDmax, 4), "pass");
  EXPECT_NEAR(cell(table, brainstemDmax, 3).split(' ')[0].toDouble(), expected[0].figures.dmax_Gy,
              0.01);
  EXPECT_GT(expected[0].figures.dmax_Gy, 54.0);
  EXPECT_LT(expected[1].figures.dmax_Gy, 50.0);
  const QColor failColour = table->item(brainstemDmax, 4)->background().color();
  const QColor passColour = table->item(cordDmax, 4)->background().color();
  EXPECT_GT(failColour.red(), failColour.green());
  EXPECT_GT(passColour.green(), passColour.red());
  window_->findChild<QDockWidget*>("rtPanel")->raise();
  screenshot("rt-panel-dvh.png");
}

// The RayStation ion plan and its plan-sum dose (../shared/data/rt-plan-raystation): two beams
// at gantry 90 and 270 degrees, 39294.15 MU each, 149.4 MeV/u at the first control point, one
// fraction and no prescription (dcmdump +P 300a,011e +P 300a,0086 +P 300a,0114 +P 300a,0078
// RP_ion.dcm), so the isodoses are percentages of the dose's maximum.
TEST_F(RtWindowTest, RealRayStationPlanIsListedAsDcmdumpShowsIt) {
  const std::string frame = "1.2.826.0.1.3680043.8.176.20111122133550298.11.1427180504";
  showCase(fixtures::rtPlanningCase(frame), 0);
  ASSERT_TRUE(window_->addRtPlan(twinplan::test::sharedData("rt-plan-raystation/RP_ion.dcm")));
  RtPanel* panel = window_->rtPanel();
  ASSERT_EQ(panel->plansTable()->rowCount(), 1);
  EXPECT_EQ(cell(panel->plansTable(), 0, 0), "Slope101010E_o_1");
  EXPECT_EQ(cell(panel->plansTable(), 0, 1), "2");
  EXPECT_EQ(cell(panel->plansTable(), 0, 2), "1");
  EXPECT_EQ(cell(panel->plansTable(), 0, 3), "—");
  ASSERT_EQ(panel->beamsTable()->rowCount(), 2);
  EXPECT_EQ(cell(panel->beamsTable(), 0, 1), "90.0");
  EXPECT_EQ(cell(panel->beamsTable(), 1, 1), "270.0");
  for (int row = 0; row < 2; ++row) {
    EXPECT_NEAR(cell(panel->beamsTable(), row, 4).toDouble(), 39294.15, 0.06);
    EXPECT_EQ(cell(panel->beamsTable(), row, 5), "149 MeV/u");
  }
  ASSERT_TRUE(window_->addDose(twinplan::test::sharedData("rt-plan-raystation/RD_plan_sum.dcm")));
  EXPECT_FALSE(window_->doseReference_Gy());
  EXPECT_TRUE(panel->referenceText().contains("% of max")) << panel->referenceText().toStdString();
  waitForSurfaces();
  EXPECT_EQ(window_->isodoseSurfaces().size(), 2u);
}

}  // namespace
}  // namespace twinplan::ui
