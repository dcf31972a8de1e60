// The Tissue shift dock of the main window (issue #18 item 8): the scenario runs in the
// background (engine/tissue_shift.h) with progress and Cancel, and its whole result goes into
// the case as one undoable step (edits::storeSimulationOutputs): the displacement field (its
// magnitude washed over the 2D views with a legend and isolines), the deformed labelmap and
// volumes, the moved 3D models beside the originals (shown as ghosts), the tetrahedral mesh and
// the tissue-shift plan whose report the panel lists.
#include <QDockWidget>
#include <algorithm>
#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/core/simulation_outputs_edit.h"
#include "twinplan/engine/tissue_shift.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/shift_panel.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui {

void MainWindow::buildShiftDock() {
  shift_ = new ShiftPanel(this);
  shift_->setObjectName("shiftPanel");
  auto* dock = new QDockWidget(tr("Tissue shift"), this);
  dock->setObjectName("shiftDock");
  dock->setWidget(shift_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  if (auto* ablation = findChild<QDockWidget*>("ablationDock")) {
    tabifyDockWidget(ablation, dock);
    if (auto* series = findChild<QDockWidget*>("seriesDock")) series->raise();
  }
  connect(shift_, &ShiftPanel::simulateRequested, this, [this] {
    try {
      simulateTissueShift(shift_->parameters());
    } catch (const std::exception& e) {
      shift_->showFailure(tr("Not simulated: %1").arg(QString::fromUtf8(e.what())));
      showError(tr("Cannot simulate the tissue shift"), e);
    }
  });
  connect(shift_, &ShiftPanel::displayChanged, this, &MainWindow::showShiftOverlay);
  connect(document_, &CaseDocument::caseReplaced, this, [this] {
    shift_->showCase(currentCase());
    showShiftOverlay();
  });
  // Connected after the ablation dock's: this runs after its showFieldOverlay.
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::LabelMaps || part == CasePart::Plans) shift_->showCase(currentCase());
    if (part == CasePart::Fields) showShiftOverlay();
  });
}

bool MainWindow::simulateTissueShift(const engine::TissueShiftParameters& parameters) {
  parameters.validate();
  const Case twin = currentCase();  // voxels shared copy-on-write; read on the worker thread
  auto shift = runInBackground<engine::TissueShift>(
      this, tr("Simulating the tissue shift"),
      [&](Progress& progress) { return engine::simulateTissueShift(twin, parameters, progress); });
  if (!shift) return false;
  document_->apply(edits::storeSimulationOutputs(currentCase(), std::move(shift->outputs),
                                                 "Simulate " + shift->name));
  shift_->showResult(shift->report);
  showShiftOverlay();
  return true;
}

void MainWindow::showShiftOverlay() {
  const Case& twin = currentCase();
  // The last tissue-shift result's magnitude field, "<name> |u|".
  const ScalarField* field = nullptr;
  for (const Plan& plan : twin.plans)
    if (plan.kind == "tissue-shift")
      for (const ScalarField& f : twin.fields)
        if (f.name == plan.name + " |u|") field = &f;
  if (!field) return;  // the ablation's overlay (showFieldOverlay) stays
  if (!shift_->washShown()) {
    // What the views show without the shift: the ablation's overlay, unless that would fall
    // back on a displacement field.
    showFieldOverlay();
    const bool otherFields =
        std::any_of(twin.fields.begin(), twin.fields.end(),
                    [](const ScalarField& f) { return f.quantity != "displacement"; });
    if (!otherFields)
      for (auto* viewport : slices_) {
        viewport->view().setScalarField(nullptr, {});
        viewport->update();
      }
    return;
  }
  rendering::SliceView::FieldDisplay display;
  float largest = 0.0f;
  for (float v : field->values)
    if (std::isfinite(v)) largest = std::max(largest, v);
  display.max = largest > 0.0f ? largest : 1.0;
  // Washed from a tenth of the largest shift, so the tissue that barely moved stays clear;
  // isolines at 1, 2 and 5 mm (below, about and above image-guidance accuracy) where they fall
  // inside the range, else at fractions of the largest.
  display.min = 0.1 * display.max;
  display.opacity = 0.5;
  for (double level : {1.0, 2.0, 5.0, 10.0})
    if (level > display.min && level < display.max) display.isolevels.push_back(level);
  if (display.isolevels.empty()) display.isolevels = {0.5 * display.max, 0.9 * display.max};
  for (auto* viewport : slices_) {
    viewport->view().setScalarField(field, display);
    viewport->update();
  }
}

}  // namespace twinplan::ui
