// Radiotherapy dose in the workstation: an RT Dose file added to the case as a result and shown
// over the images with isodose lines (issue #19 items 1 and 4).
#include <QFileDialog>
#include <QStatusBar>

#include "dose_display.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/engine/dose_combination.h"
#include "twinplan/engine/dose_import.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"

namespace twinplan::ui {

bool MainWindow::addDose(const std::filesystem::path& rtdose) {
  const Case& twin = currentCase();
  auto imported = runInBackground<engine::ImportedDose>(
      this, tr("Reading the dose…"),
      [&twin, &rtdose](Progress& progress) { return engine::importDose(twin, rtdose, progress); });
  if (!imported) return false;
  const QString name = QString::fromStdString(imported->field.name);
  const double max_Gy = imported->max_Gy;
  document_->apply(edits::storeResult(currentCase(), std::move(imported->field)));
  // The new dose (a free name: added last) is shown in 2D and 3D, whichever result the case
  // showed before.
  chooseResultById(currentCase().fields.back().id);
  QStringList levels;
  for (double percent : kIsodosePercents) levels << QString::number(percent);
  const std::optional<double> reference = doseReference_Gy();
  statusBar()->showMessage(tr("Added %1: maximum %2 Gy; isodoses at %3 % of %4 (Undo removes it)")
                               .arg(name)
                               .arg(max_Gy, 0, 'f', 2)
                               .arg(levels.join(", "))
                               .arg(reference ? tr("%1 Gy").arg(*reference, 0, 'f', 2) : tr("it")),
                           15000);
  return true;
}

bool MainWindow::combineDoses(const std::string& a, const std::string& b, bool difference) {
  const Case& twin = currentCase();
  const engine::DoseOperation operation =
      difference ? engine::DoseOperation::Difference : engine::DoseOperation::Sum;
  auto combined = runInBackground<engine::CombinedDose>(
      this, difference ? tr("Subtracting the doses…") : tr("Adding the doses…"),
      [&](Progress&) { return engine::combineDoses(twin, a, b, operation); });
  if (!combined) return false;
  const std::string name = combined->field.name;
  document_->apply(edits::storeResult(currentCase(), std::move(combined->field)));
  chooseResultById(currentCase().fields.back().id);  // a free name: added last
  statusBar()->showMessage(tr("Added %1: %2 to %3 Gy (Undo removes it)")
                               .arg(QString::fromStdString(name))
                               .arg(combined->min_Gy, 0, 'f', 2)
                               .arg(combined->max_Gy, 0, 'f', 2),
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
