// Radiotherapy in the window (issue #19 item 8): RT plans added to the case, the RT panel
// (plans, beams, isodose reference, DVH chart, constraint table).
#include <vtkRenderer.h>

#include <QDockWidget>
#include <QFileDialog>
#include <QStatusBar>
#include <algorithm>

#include "dose_display.h"
#include "result_scene.h"
#include "rt_beams.h"
#include "rt_plan_record.h"
#include "rt_structures.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/dose_constraints.h"
#include "twinplan/rendering/line_actor.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/rt_panel.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

namespace {

// The case's images' frames of reference, for a mismatch message.
std::string imageFrames(const Case& twin) {
  std::string text;
  for (const ImageVolume& v : twin.volumes)
    if (!v.dicom.frameOfReferenceUid.empty())
      text += (text.empty() ? "" : "; ") + v.name + " in " + v.dicom.frameOfReferenceUid;
  return text;
}

// A plan is placed by its isocentres in the patient coordinates of the CT it was made on
// (PS3.3 C.8.8.14.1 Isocenter Position, C.7.4.1 Frame of Reference): it must share a frame of
// reference with one of the case's images.
void requireSameFrame(const Case& twin, const io::RtPlan& plan, const std::string& file) {
  const std::string frames = imageFrames(twin);
  if (plan.frameOfReferenceUid.empty() || frames.empty()) return;
  const bool shared =
      std::any_of(twin.volumes.begin(), twin.volumes.end(), [&](const ImageVolume& v) {
        return v.dicom.frameOfReferenceUid == plan.frameOfReferenceUid;
      });
  if (!shared)
    throw Error(ErrorKind::InvalidInput,
                "The RT Plan " + file + " is in frame of reference '" + plan.frameOfReferenceUid +
                    "', but the case's images are not (" + frames +
                    "); add the plan to the case of its planning CT.",
                file);
}

std::string uniquePlanName(const Case& twin, const std::string& label) {
  const std::string base = label.empty() ? "RT plan" : label;
  auto taken = [&](const std::string& name) {
    return std::any_of(twin.plans.begin(), twin.plans.end(),
                       [&](const Plan& p) { return p.name == name; });
  };
  std::string name = base;
  for (int n = 2; taken(name); ++n) name = base + " " + std::to_string(n);
  return name;
}

}  // namespace

void MainWindow::buildRtDock() {
  if (!results_) results_ = std::make_shared<ResultScene>();
  rt_ = new RtPanel(this);
  results_->panel = rt_;
  auto* dock = new QDockWidget(tr("Radiotherapy"), this);
  dock->setObjectName("rtPanel");
  dock->setWidget(rt_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  if (auto* shift = findChild<QDockWidget*>("shiftDock")) {
    tabifyDockWidget(shift, dock);
    if (auto* series = findChild<QDockWidget*>("seriesDock")) series->raise();
  }
  connect(rt_, &RtPanel::addPlanRequested, this, &MainWindow::addRtPlanDialog);
  // The chosen plan's prescription (isodose reference), beams and regimen.
  const auto showChosenPlan = [this] {
    if (!results_->referenceByHand_Gy) showResult();
    showBeams();
    // Regimen A of the comparison: the plan's prescription in its fractions, when it has both.
    const std::vector<io::RtPlan> plans = casePlans(currentCase());
    const int chosen = rt_->chosenPlan();
    if (chosen >= 0 && chosen < static_cast<int>(plans.size())) {
      const io::RtPlan& plan = plans[static_cast<std::size_t>(chosen)];
      if (plan.prescriptionDose_Gy && plannedFractions(plan) > 0)
        rt_->setRegimenA({*plan.prescriptionDose_Gy, plannedFractions(plan)});
    }
  };
  connect(rt_, &RtPanel::planChosen, this, showChosenPlan);
  connect(rt_, &RtPanel::beamChosen, this, &MainWindow::showBeamsEye);
  connect(rt_, &RtPanel::referenceEdited, this,
          [this](double reference_Gy) { setDoseReference(reference_Gy); });
  connect(rt_, &RtPanel::referenceReset, this, [this] { setDoseReference(std::nullopt); });
  connect(rt_, &RtPanel::computeDvhRequested, this, [this] {
    try {
      computeDvhs();
    } catch (const std::exception& e) {
      rt_->showDvhMessage(tr("Not computed: %1").arg(QString::fromUtf8(e.what())));
    }
  });
  const auto showPlans = [this] {
    std::vector<std::string> failures;
    rt_->showPlans(casePlans(currentCase(), &failures));
    if (!failures.empty())
      statusBar()->showMessage(QString::fromStdString(failures.front()), 10000);
  };
  connect(document_, &CaseDocument::caseReplaced, this, [this, showPlans, showChosenPlan] {
    showPlans();
    showChosenPlan();
    rt_->showDvhs({}, {}, {});
  });
  connect(document_, &CaseDocument::partChanged, this,
          [this, showPlans, showChosenPlan](CasePart part) {
            if (part == CasePart::Plans) {
              showPlans();
              showChosenPlan();
            }
            if (part == CasePart::LabelMaps) showBeamsEye();
          });
}

std::optional<double> MainWindow::doseReference_Gy() const {
  if (!results_) return std::nullopt;
  if (results_->referenceByHand_Gy) return results_->referenceByHand_Gy;
  const std::vector<io::RtPlan> plans = casePlans(currentCase());
  const int chosen = rt_ ? rt_->chosenPlan() : -1;
  if (chosen >= 0 && chosen < static_cast<int>(plans.size()))
    return plans[static_cast<std::size_t>(chosen)].prescriptionDose_Gy;
  return std::nullopt;
}

void MainWindow::setDoseReference(std::optional<double> reference_Gy) {
  if (reference_Gy && !(*reference_Gy > 0))
    throw Error(ErrorKind::InvalidInput, "An isodose reference must be a dose above 0 Gy.",
                "reference_Gy");
  results_->referenceByHand_Gy = reference_Gy;
  showResult();
}

// The panel's reference line: what the isodose percentages are of, said plainly.
void MainWindow::showRtReference() {
  if (!rt_) return;
  const ScalarField* field = shownResult();
  const bool dose = field && field->quantity == "dose";
  const double maximum = dose ? fieldMaximum(*field) : 0.0;
  if (results_->referenceByHand_Gy) {
    rt_->showReference(
        *results_->referenceByHand_Gy,
        tr("Isodoses in % of %1 Gy (typed in)").arg(*results_->referenceByHand_Gy, 0, 'f', 2));
  } else if (const std::optional<double> rx = doseReference_Gy()) {
    const std::vector<io::RtPlan> plans = casePlans(currentCase());
    const int chosen = rt_->chosenPlan();
    rt_->showReference(
        *rx, tr("Isodoses in % of the prescription of plan %1")
                 .arg(QString::fromStdString(plans[static_cast<std::size_t>(chosen)].label)));
  } else if (dose) {
    rt_->showReference(
        maximum > 0 ? maximum : 1.0,
        tr("Isodoses in % of max (%1 Gy): no plan prescription").arg(maximum, 0, 'f', 2));
  } else {
    rt_->showReference(1.0, tr("No dose shown: choose one in the Result box"));
  }
}

// The chosen plan's beams in 3D: each beam's central axis (white), its field outline in the
// isocentre plane and its divergent edges from the source (one colour per beam).
void MainWindow::showBeams() {
  vtkRenderer* renderer = volume_->view().renderer();
  for (const auto& actor : results_->beamActors) renderer->RemoveActor(actor);
  results_->beamActors.clear();
  results_->beams.clear();
  const std::vector<io::RtPlan> plans = casePlans(currentCase());
  const int chosen = rt_->chosenPlan();
  if (chosen >= 0 && chosen < static_cast<int>(plans.size())) {
    std::vector<std::string> skipped;
    results_->beams = drawBeams(plans[static_cast<std::size_t>(chosen)], &skipped);
    if (!skipped.empty())
      statusBar()->showMessage(tr("Not drawn: %1").arg(QString::fromStdString(skipped.front())),
                               10000);
  }
  // Distinct, saturated colours apart from the isodose scale's blue-to-red wash.
  static constexpr Rgb kBeamColours[] = {
      {255, 220, 0}, {0, 230, 230}, {255, 120, 255}, {160, 255, 80}, {255, 160, 60}};
  for (std::size_t n = 0; n < results_->beams.size(); ++n) {
    const BeamDrawing& beam = results_->beams[n];
    const Rgb colour = kBeamColours[n % std::size(kBeamColours)];
    std::vector<rendering::LineSegment> field = beam.outline_lps;
    field.insert(field.end(), beam.edges_lps.begin(), beam.edges_lps.end());
    results_->beamActors.push_back(rendering::makeLinesActor(beam.axis_lps, {255, 255, 255}, 2, 1));
    results_->beamActors.push_back(rendering::makeLinesActor(field, colour, 1.5, 0.9));
  }
  for (const auto& actor : results_->beamActors) renderer->AddActor(actor);
  volume_->update();
  showBeamsEye();
}

std::vector<BeamDrawing> MainWindow::shownBeams() const {
  return results_ ? results_->beams : std::vector<BeamDrawing>{};
}

// The chosen beam seen from its source: the aperture, and every segment's contour points
// projected onto the isocentre plane.
void MainWindow::showBeamsEye() {
  const int beam = rt_->chosenBeam();
  if (beam < 0 || beam >= static_cast<int>(results_->beams.size())) {
    rt_->beamsEyeView()->clear();
    return;
  }
  const BeamDrawing& drawing = results_->beams[static_cast<std::size_t>(beam)];
  std::vector<ProjectedStructure> projected;
  for (const CaseStructure& s : caseStructures(currentCase())) {
    ProjectedStructure p{s.contours.name, s.colour, {}};
    for (const auto& polygon : s.contours.polygons_lps)
      for (const Vec3& point : polygon) {
        const Vec3 bev = drawing.geometry.toBeamsEye(point);
        if (bev[2] > 0) p.points_mm.push_back({bev[0], bev[1]});
      }
    projected.push_back(std::move(p));
  }
  rt_->beamsEyeView()->showBeam(drawing, std::move(projected));
}

bool MainWindow::addRtPlan(const std::filesystem::path& rtplan) {
  auto plan = runInBackground<io::RtPlan>(
      this, tr("Reading the RT plan…"),
      [&rtplan](Progress& progress) { return io::readRtPlan(rtplan, progress); });
  if (!plan) return false;
  requireSameFrame(currentCase(), *plan, rtplan.string());
  const std::string name = uniquePlanName(currentCase(), plan->label);
  const std::size_t beams = plan->beams.size();
  document_->apply(
      edits::addPlan(currentCase(), Plan{kRadiotherapyPlanKind, name, rtPlanToJson(*plan)}));
  statusBar()->showMessage(
      tr("Added plan %1: %2 beams (Undo removes it)").arg(QString::fromStdString(name)).arg(beams),
      15000);
  return true;
}

void MainWindow::addRtPlanDialog() {
  if (currentCase().volumes.empty()) {
    statusBar()->showMessage(tr("Open the planning CT's case first: a plan is placed on it."),
                             10000);
    return;
  }
  const std::filesystem::path file =
      choosePath(tr("Add an RT Plan"), tr("DICOM files (*.dcm);;All files (*)"), false);
  if (file.empty()) return;
  try {
    addRtPlan(file);
  } catch (const std::exception& e) {
    showError(tr("Cannot add the plan"), e);
  }
}

bool MainWindow::computeDvhs() {
  const ScalarField* shown = shownResult();
  if (!shown || shown->quantity != "dose")
    throw Error(ErrorKind::InvalidInput,
                "The shown result is not a dose; choose a dose in the Result box first.", "result");
  const ScalarField dose = *shown;  // the worker's own copy
  std::vector<CaseStructure> structures = caseStructures(currentCase());
  if (structures.empty())
    throw Error(ErrorKind::InvalidInput,
                "The case has no segments; import the RT Structure Set or segment the structures "
                "first.",
                "structures");
  std::vector<radiotherapy::StructureContours> contours;
  for (const CaseStructure& s : structures) contours.push_back(s.contours);
  auto dvhs = runInBackground<std::vector<radiotherapy::DoseVolumeHistogram>>(
      this, tr("Computing the DVHs…"),
      [&](Progress& progress) { return radiotherapy::computeDvhs(dose, contours, {}, progress); });
  if (!dvhs) return false;
  std::vector<DvhCurve> curves;
  for (std::size_t n = 0; n < dvhs->size(); ++n)
    curves.push_back({(*dvhs)[n], structures[n].colour});
  const radiotherapy::ConstraintProtocol& protocol = radiotherapy::quantecProtocol();
  const radiotherapy::ConstraintTable table =
      radiotherapy::evaluateConstraints(*dvhs, protocol, doseReference_Gy());
  QString about = QString::fromStdString(protocol.name);
  if (!table.notEvaluated.empty())
    about += tr(" — not judged: %1")
                 .arg(QString::fromStdString(table.notEvaluated.front()) +
                      (table.notEvaluated.size() > 1
                           ? tr(" (and %1 more)").arg(table.notEvaluated.size() - 1)
                           : QString()));
  rt_->showDvhs(std::move(curves), table, about);
  rt_->showDvhMessage(
      tr("DVHs of %1 for %2 structures").arg(QString::fromStdString(dose.name)).arg(dvhs->size()));
  return true;
}

}  // namespace twinplan::ui
