// Radiotherapy dose in the workstation: an RT Dose file added to the case as a result and shown
// over the images with isodose lines (issue #19 items 1 and 4).
#include <vtkActor.h>
#include <vtkRenderer.h>

#include <QFileDialog>
#include <QStatusBar>

#include "dose_display.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/engine/dose_import.h"
#include "twinplan/rendering/isosurface.h"
#include "twinplan/rendering/mesh_actor.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

// The isodose surfaces in the 3D view and the meshes they draw.
struct DoseScene {
  std::vector<SurfaceMesh> surfaces;
  std::vector<vtkSmartPointer<vtkActor>> actors;
};

namespace {

// The dose the views show: the case's first dose result (the 2D views show its first result).
const ScalarField* shownDose(const Case& twin) {
  for (const ScalarField& field : twin.fields)
    if (field.quantity == "dose") return &field;
  return nullptr;
}

}  // namespace

void MainWindow::connectDoseDisplay() {
  doseScene_ = std::make_shared<DoseScene>();
  connect(document_, &CaseDocument::caseReplaced, this, &MainWindow::showDoseIn3D);
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::Fields) showDoseIn3D();
  });
}

// Two isodose surfaces in 3D, few enough to see through: the high-dose region (95 %, ICRU 50's
// lower target limit) and the 50 % fall-off, translucent, in the colours of their 2D isolines.
void MainWindow::showDoseIn3D() {
  vtkRenderer* renderer = volume_->view().renderer();
  for (const auto& actor : doseScene_->actors) renderer->RemoveActor(actor);
  doseScene_->actors.clear();
  doseScene_->surfaces.clear();
  if (const ScalarField* dose = shownDose(currentCase())) {
    const rendering::SliceView::FieldDisplay display = isodoseDisplay(*dose);
    const rendering::SliceView& axial = slices_[0]->view();
    for (double percent : {50.0, 95.0}) {
      const double level = percent / 100.0 * display.max;
      SurfaceMesh surface =
          rendering::isosurface(*dose, level, QString("%1 % isodose").arg(percent).toStdString(),
                                axial.fieldColour(level), percent > 90 ? 0.6f : 0.25f);
      if (surface.triangles.empty()) continue;
      doseScene_->actors.push_back(rendering::makeMeshActor(surface));
      renderer->AddActor(doseScene_->actors.back());
      doseScene_->surfaces.push_back(std::move(surface));
    }
  }
  volume_->update();
}

std::vector<SurfaceMesh> MainWindow::isodoseSurfaces() const {
  return doseScene_ ? doseScene_->surfaces : std::vector<SurfaceMesh>{};
}

bool MainWindow::addDose(const std::filesystem::path& rtdose) {
  const Case& twin = currentCase();
  auto imported = runInBackground<engine::ImportedDose>(
      this, tr("Reading the dose…"),
      [&twin, &rtdose](Progress& progress) { return engine::importDose(twin, rtdose, progress); });
  if (!imported) return false;
  const QString name = QString::fromStdString(imported->field.name);
  const double max_Gy = imported->max_Gy;
  document_->apply(edits::storeResult(currentCase(), std::move(imported->field)));
  // The new dose is shown, whichever result the case showed before.
  for (const ScalarField& field : currentCase().fields)
    if (QString::fromStdString(field.name) == name)
      for (auto* viewport : slices_) {
        viewport->view().setScalarField(&field, isodoseDisplay(field));
        viewport->update();
      }
  QStringList levels;
  for (double percent : kIsodosePercents) levels << QString::number(percent);
  statusBar()->showMessage(tr("Added %1: maximum %2 Gy; isodoses at %3 % of it (Undo removes it)")
                               .arg(name)
                               .arg(max_Gy, 0, 'f', 2)
                               .arg(levels.join(", ")),
                           15000);
  return true;
}

void MainWindow::addDoseDialog() {
  if (currentCase().volumes.empty()) {
    statusBar()->showMessage(tr("Open the planning CT's case first: a dose is shown over it."),
                             10000);
    return;
  }
  const QString file = QFileDialog::getOpenFileName(this, tr("Add an RT Dose"), QString(),
                                                    tr("DICOM files (*.dcm);;All files (*)"));
  if (file.isEmpty()) return;
  try {
    addDose(file.toStdString());
  } catch (const std::exception& e) {
    showError(tr("Cannot add the dose"), e);
  }
}

}  // namespace twinplan::ui
