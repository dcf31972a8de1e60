// Radiotherapy in the window (issue #19 item 8): RT plans added to the case, the RT panel
// (plans, beams, isodose reference, DVH chart, constraint table).
#include <vtkRenderer.h>

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <algorithm>

#include "dose_display.h"
#include "result_scene.h"
#include "rt_beams.h"
#include "rt_plan_record.h"
#include "rt_structures.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/conformal_planning.h"
#include "twinplan/engine/dose_combination.h"
#include "twinplan/engine/rt_plan_export.h"
#include "twinplan/radiotherapy/dose_constraints.h"
#include "twinplan/rendering/beam_overlay.h"
#include "twinplan/rendering/line_actor.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/rt_panel.h"
#include "twinplan/ui/slice_viewport.h"
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

// A structure seen from the source: each contour stands for a slab of the label map's slice
// thickness (a prism), and the projection of a polyhedron is the union of its faces'
// projections, so the silhouette is the union of the projected caps and side quads. (A contour
// alone, seen edge-on by a coplanar beam, would project to a line.) Faces reaching behind the
// source are left out.
std::vector<std::vector<std::array<double, 2>>> projectedSlabs(
    const radiotherapy::BeamGeometry& beam, const radiotherapy::StructureContours& contours,
    const Vec3& normal, double thickness_mm) {
  std::vector<std::vector<std::array<double, 2>>> faces;
  const Vec3 half = 0.5 * thickness_mm * normal;
  const auto face = [&](std::initializer_list<Vec3> corners) {
    std::vector<std::array<double, 2>> f;
    for (const Vec3& p : corners) {
      const Vec3 bev = beam.toBeamsEye(p);
      if (!(bev[2] > 0)) return;
      f.push_back({bev[0], bev[1]});
    }
    faces.push_back(std::move(f));
  };
  for (const std::vector<Vec3>& polygon : contours.polygons_lps) {
    if (polygon.size() < 3) continue;
    for (const Vec3& offset : {Vec3(-half), half}) {
      std::vector<std::array<double, 2>> cap;
      bool seen = true;
      for (const Vec3& p : polygon) {
        const Vec3 bev = beam.toBeamsEye(p + offset);
        seen = seen && bev[2] > 0;
        cap.push_back({bev[0], bev[1]});
      }
      if (seen) faces.push_back(std::move(cap));
    }
    if (thickness_mm <= 0.0) continue;
    for (std::size_t n = 0; n < polygon.size(); ++n) {
      const Vec3& a = polygon[n];
      const Vec3& b = polygon[(n + 1) % polygon.size()];
      face({Vec3(a - half), Vec3(b - half), Vec3(b + half), Vec3(a + half)});
    }
  }
  return faces;
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
  connect(rt_, &RtPanel::planConformalRequested, this, &MainWindow::planConformalDialog);
  for (SliceViewport* viewport : slices_)
    results_->beamOverlays.push_back(std::make_unique<rendering::BeamOverlay>(viewport->view()));
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
      if (plannedFractions(plan) > 0) rt_->setOutcomeFractions(plannedFractions(plan));
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
  connect(rt_, &RtPanel::combineDosesRequested, this,
          [this](const QString& aId, const QString& bId, bool difference) {
            try {
              combineDoses(aId.toStdString(), bId.toStdString(), difference);
            } catch (const std::exception& e) {
              showError(difference ? tr("Cannot subtract the doses") : tr("Cannot add the doses"),
                        e);
            }
          });
  connect(rt_, &RtPanel::exportPlanRequested, this, &MainWindow::exportPlanDialog);
  // The doses offered for a sum or difference: the case's results that are doses, by id; a
  // name two doses share is shown with each one's id.
  const auto showDoses = [this] {
    const Case& twin = currentCase();
    QList<RtPanel::DoseChoice> doses;
    for (const ScalarField& f : twin.fields) {
      if (f.quantity != "dose") continue;
      const bool shared = std::count_if(twin.fields.begin(), twin.fields.end(), [&](const auto& g) {
                            return g.quantity == "dose" && g.name == f.name;
                          }) > 1;
      doses.push_back({QString::fromStdString(f.id),
                       QString::fromStdString(shared ? f.name + " [" + f.id + "]" : f.name)});
    }
    rt_->showDoses(doses);
  };
  const auto showPlans = [this] {
    std::vector<std::string> failures;
    rt_->showPlans(casePlans(currentCase(), &failures));
    if (!failures.empty())
      statusBar()->showMessage(QString::fromStdString(failures.front()), 10000);
  };
  connect(document_, &CaseDocument::caseReplaced, this,
          [this, showPlans, showChosenPlan, showDoses] {
            showDoses();
            showPlans();
            showChosenPlan();
            rt_->showDvhs({}, {}, {});
          });
  connect(document_, &CaseDocument::partChanged, this,
          [this, showPlans, showChosenPlan, showDoses](CasePart part) {
            if (part == CasePart::Fields) showDoses();
            if (part == CasePart::Plans) {
              showPlans();
              showChosenPlan();
            }
            if (part == CasePart::LabelMaps) showBeamsEye();
          });
  connectGliomaTwin();
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
  } else if (field && field->quantity == engine::kDoseDifferenceQuantity) {
    rt_->showReference(1.0, tr("A dose difference is shown: red where A gives more, blue where "
                               "B does (no isodoses)"));
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
  // The central axes in the 2D views, in the same colours.
  std::vector<rendering::BeamAxis> axes;
  for (std::size_t n = 0; n < results_->beams.size(); ++n) {
    const Rgb c = kBeamColours[n % std::size(kBeamColours)];
    const radiotherapy::BeamGeometry& g = results_->beams[n].geometry;
    axes.push_back({g.source_lps, g.isocentre_lps, {c.r, c.g, c.b}});
  }
  for (std::size_t v = 0; v < results_->beamOverlays.size(); ++v) {
    results_->beamOverlays[v]->setBeams(axes);
    slices_[v]->update();
  }
  showBeamsEye();
}

rendering::BeamOverlay& MainWindow::beamOverlay(rendering::SliceOrientation orientation) const {
  for (std::size_t v = 0; v < slices_.size(); ++v)
    if (slices_[v]->view().orientation() == orientation) return *results_->beamOverlays.at(v);
  throw Error(ErrorKind::Internal, "No 2D view of that orientation.", "beamOverlay");
}

bool MainWindow::planConformal(const nlohmann::json& parameters) {
  const Case snapshot = currentCase();  // the worker's own copy
  auto outcome = runInBackground<std::shared_ptr<engine::ConformalPlanOutcome>>(
      this, tr("Planning: apertures, beam doses, weights…"), [&](Progress& progress) {
        return std::make_shared<engine::ConformalPlanOutcome>(
            engine::planConformalInCase(snapshot, parameters, progress));
      });
  if (!outcome) return false;
  const nlohmann::json report = (*outcome)->report;
  document_->apply(std::move((*outcome)->edit));
  const std::string plan = report["plan"].get<std::string>();
  const std::vector<io::RtPlan> plans = casePlans(currentCase());
  for (std::size_t n = 0; n < plans.size(); ++n)
    if (plans[n].label == plan) rt_->plansTable()->setCurrentCell(static_cast<int>(n), 0);
  chooseResultById(report["field_id"].get<std::string>());
  double mu = 0.0;
  for (const nlohmann::json& b : report["beams"]) mu += b["mu_per_fraction"].get<double>();
  statusBar()->showMessage(tr("Plan %1: %2 beams, %3 MU a fraction, PTV D95 %4 Gy (Undo "
                              "removes the plan and its dose)")
                               .arg(QString::fromStdString(plan))
                               .arg(report["beams"].size())
                               .arg(mu, 0, 'f', 0)
                               .arg(report["structures"][0]["d95_gy"].get<double>(), 0, 'f', 1),
                           20000);
  return true;
}

namespace {

// The name the case lists the RT panel's chosen plan under (the panel lists readable
// radiotherapy plans only); empty when none is chosen.
std::string chosenPlanName(const Case& twin, int chosen) {
  const std::vector<ReadableRtPlan> plans = readableRtPlans(twin);
  if (chosen < 0 || static_cast<std::size_t>(chosen) >= plans.size()) return {};
  return plans[static_cast<std::size_t>(chosen)].record->name;
}

}  // namespace

std::optional<nlohmann::json> MainWindow::exportPlan(const std::filesystem::path& folder) {
  engine::PlanExportRequest request;
  request.plan = chosenPlanName(currentCase(), rt_->chosenPlan());
  if (request.plan.empty())
    throw Error(ErrorKind::InvalidInput,
                "Choose a plan in the Radiotherapy panel first; the case has " +
                    std::to_string(casePlans(currentCase()).size()) + " plans.",
                "plan");
  request.folder = folder;
  request.where = currentCase().name.empty() ? "(the open case)" : "\"" + currentCase().name + "\"";
  const Case snapshot = currentCase();  // the worker's own copy
  auto report = runInBackground<nlohmann::json>(
      this, tr("Exporting the plan: structure set, plan, dose…"),
      [&](Progress& progress) { return engine::exportCasePlan(snapshot, request, progress); });
  if (!report) return std::nullopt;
  statusBar()->showMessage(tr("Plan %1 written to %2: RS.dcm, RP.dcm (references RS), RD.dcm "
                              "(references RP)")
                               .arg(QString::fromStdString(request.plan))
                               .arg(QString::fromStdString(folder.string())),
                           20000);
  return report;
}

void MainWindow::exportPlanDialog() {
  if (rt_->chosenPlan() < 0) {
    statusBar()->showMessage(
        tr("No plan to export: make one (Plan conformal…) or add an RT plan first."), 10000);
    return;
  }
  const QString folder = QFileDialog::getExistingDirectory(
      this, tr("Export the plan as RT Structure Set, Plan and Dose: choose a folder"));
  if (folder.isEmpty()) return;
  try {
    exportPlan(folder.toStdString());
  } catch (const std::exception& e) {
    showError(tr("Cannot export the plan"), e);
  }
}

// The plan's settings, asked for in one form; OAR objectives one per line.
void MainWindow::planConformalDialog() {
  const Case& twin = currentCase();
  QStringList segments;
  for (const LabelMap& labels : twin.labelMaps)
    for (const Segment& s : labels.segments()) segments << QString::fromStdString(s.name);
  if (twin.volumes.empty() || segments.isEmpty()) {
    statusBar()->showMessage(
        tr("Open a case with its planning CT and segment the target (PTV) first."), 10000);
    return;
  }
  QDialog dialog(this);
  dialog.setObjectName("planConformalDialog");
  dialog.setWindowTitle(tr("Plan conformal"));
  auto* form = new QFormLayout(&dialog);
  auto* ptv = new QComboBox(&dialog);
  ptv->setObjectName("ptv");
  ptv->addItems(segments);
  for (const QString& guess : {QString("PTV"), QString("Tumour"), QString("GTV")})
    if (segments.contains(guess)) ptv->setCurrentText(guess);
  auto* margin = new QDoubleSpinBox(&dialog);
  margin->setRange(0, 30);
  margin->setSuffix(" mm");
  auto* oars = new QPlainTextEdit(&dialog);
  oars->setObjectName("oars");
  oars->setPlaceholderText(
      tr("One per line: NAME:max|mean|min:Gy, NAME:dNN:Gy or NAME:vNN:%\n"
         "e.g. Brainstem:max:54"));
  oars->setMaximumHeight(90);
  auto* beams = new QLineEdit("G0,G120,G240", &dialog);
  auto* prescription = new QDoubleSpinBox(&dialog);
  prescription->setRange(0.1, 200);
  prescription->setValue(60);
  prescription->setSuffix(" Gy");
  auto* fractions = new QSpinBox(&dialog);
  fractions->setRange(1, 100);
  fractions->setValue(30);
  auto* apertureMargin = new QDoubleSpinBox(&dialog);
  apertureMargin->setRange(0, 50);
  apertureMargin->setValue(7);
  apertureMargin->setSuffix(" mm");
  apertureMargin->setToolTip(tr("Beyond the PTV's projection: 7 mm covers the 6 MV penumbra"));
  auto* engineChoice = new QComboBox(&dialog);
  engineChoice->addItems({"pencil-beam", "collapsed-cone"});
  auto* label = new QLineEdit("Conformal", &dialog);
  form->addRow(tr("Target (PTV)"), ptv);
  form->addRow(tr("CTV → PTV margin"), margin);
  form->addRow(tr("Organ-at-risk objectives"), oars);
  form->addRow(tr("Beams"), beams);
  form->addRow(tr("Prescription"), prescription);
  form->addRow(tr("Fractions"), fractions);
  form->addRow(tr("Aperture margin"), apertureMargin);
  form->addRow(tr("Dose engine"), engineChoice);
  form->addRow(tr("Plan label"), label);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  nlohmann::json objectives = nlohmann::json::array();
  for (const QString& line : oars->toPlainText().split('\n', Qt::SkipEmptyParts))
    if (!line.trimmed().isEmpty()) objectives.push_back(line.trimmed().toStdString());
  try {
    planConformal({{"ptv", ptv->currentText().toStdString()},
                   {"margin_mm", margin->value()},
                   {"oars", objectives},
                   {"beams", beams->text().toStdString()},
                   {"prescription_gy", prescription->value()},
                   {"fractions", fractions->value()},
                   {"aperture_margin_mm", apertureMargin->value()},
                   {"engine", engineChoice->currentText().toStdString()},
                   {"label", label->text().toStdString()}});
  } catch (const std::exception& e) {
    showError(tr("Cannot make the plan"), e);
  }
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
  const Case& twin = currentCase();
  for (const CaseStructure& s : caseStructures(twin)) {
    // The slab each contour stands for: the label map's slice spacing along its slice normal.
    Vec3 normal = Vec3::UnitZ();
    double thickness_mm = 0.0;
    for (const LabelMap& labels : twin.labelMaps)
      if (labels.findSegment(s.contours.name)) {
        normal = labels.geometry().direction.col(2).normalized();
        thickness_mm = labels.geometry().spacing_mm[2];
        break;
      }
    projected.push_back({s.contours.name, s.colour,
                         projectedSlabs(drawing.geometry, s.contours, normal, thickness_mm)});
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
