// The Tissue shift dock of the main window (issue #18 item 8): the scenario runs in the
// background (engine/tissue_shift.h) with progress and Cancel, and its whole result goes into
// the case as one undoable step (edits::storeSimulationOutputs): the displacement field (its
// magnitude washed over the 2D views with a legend and isolines), the deformed labelmap and
// volumes, the moved 3D models beside the originals (shown as ghosts), the tetrahedral mesh and
// the tissue-shift plan whose report the panel lists.
#include <vtkActor.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>

#include <QDockWidget>
#include <algorithm>
#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/core/simulation_outputs_edit.h"
#include "twinplan/engine/tissue_shift.h"
#include "twinplan/rendering/mesh_actor.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/live_tool_driver.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/shift_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

// The live tool's organ, as the last update moved it, in the 3D view (not a case mesh).
struct ShiftScene {
  vtkRenderer* renderer = nullptr;
  vtkSmartPointer<vtkActor> organ;
  SurfaceMesh organSurface;
};

namespace {

// The case's 3D model of the organ: the model of a segment named or of tissue type `organ`.
SurfaceMesh organModel(const Case& twin, const std::string& organ) {
  for (const SurfaceMesh& mesh : twin.meshes)
    for (const LabelMap& labels : twin.labelMaps) {
      const auto s = labels.findSegment(mesh.segmentName);
      if (!mesh.segmentName.empty() && s &&
          (labels.segments()[*s].name == organ || labels.segments()[*s].tissueType == organ))
        return mesh;
    }
  return {};
}

}  // namespace

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
  shiftScene_ = std::make_shared<ShiftScene>();
  shiftScene_->renderer = volume_->view().renderer();
  liveTool_ = new LiveToolDriver(this);
  connect(liveTool_, &LiveToolDriver::ready, this, &MainWindow::showLiveFrame);
  connect(shift_, &ShiftPanel::grabToggled, this, [this](bool on) {
    if (!on) {
      releaseOrgan();
      return;
    }
    try {
      if (!grabOrgan()) shift_->setGrabbing(false);
    } catch (const std::exception& e) {
      shift_->setGrabbing(false);
      shift_->showLive(tr("Not grabbed: %1").arg(QString::fromUtf8(e.what())));
    }
  });
  connect(shift_, &ShiftPanel::toolOffsetChanged, this, [this](double offset_mm) {
    if (!liveTool_->active()) return;
    liveTool_->request(offset_mm * liveTool_->session()->direction());
  });
  connect(document_, &CaseDocument::caseReplaced, this, [this] {
    releaseOrgan();
    shift_->setGrabbing(false);
    shift_->showCase(currentCase());
  });
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::LabelMaps || part == CasePart::Plans) shift_->showCase(currentCase());
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

bool MainWindow::grabOrgan() {
  const engine::TissueShiftParameters p = shift_->parameters();
  const Case& twin = currentCase();
  const LabelMap* labels = nullptr;
  for (const LabelMap& l : twin.labelMaps)
    for (const Segment& s : l.segments())
      if (!labels && (s.name == p.liverTool.organ || s.tissueType == p.liverTool.organ))
        labels = &l;
  if (!labels)
    throw Error(ErrorKind::InvalidInput,
                "The case has no " + p.liverTool.organ + " segment to grab; segment it first.",
                "liverTool.organ");
  const LabelMap copy = *labels;  // layers shared copy-on-write
  auto session = runInBackground<std::shared_ptr<engine::LiveToolSession>>(
      this, tr("Meshing the organ for the live tool"), [&](Progress& progress) {
        return std::make_shared<engine::LiveToolSession>(copy, p.liverTool, std::nullopt,
                                                         p.meshResolution_mm(), progress);
      });
  if (!session) return false;
  liveTool_->start(*session, organModel(twin, p.liverTool.organ));
  shift_->showLive(tr("Grabbed %1 surface nodes of %2 tetrahedra; push with the slider.")
                       .arg((*session)->grabbedNodes())
                       .arg((*session)->tetCount()));
  return true;
}

void MainWindow::releaseOrgan() {
  if (!liveTool_) return;
  liveTool_->stop();
  if (shiftScene_->organ) shiftScene_->renderer->RemoveActor(shiftScene_->organ);
  shiftScene_->organ = nullptr;
  shiftScene_->organSurface = {};
  volume_->update();
}

const SurfaceMesh& MainWindow::liveOrganSurface() const { return shiftScene_->organSurface; }

void MainWindow::showLiveFrame(std::shared_ptr<const LiveToolFrame> frame) {
  if (!liveTool_->active()) return;  // released meanwhile
  shiftScene_->organSurface = frame->organ;
  if (shiftScene_->organ) shiftScene_->renderer->RemoveActor(shiftScene_->organ);
  shiftScene_->organ = nullptr;
  if (!frame->organ.triangles.empty()) {
    SurfaceMesh shown = frame->organ;
    shown.opacity = 1.0f;
    shiftScene_->organ = rendering::makeMeshActor(shown);
    shiftScene_->renderer->AddActor(shiftScene_->organ);
  }
  volume_->update();
  shift_->showLive(tr("Tool %1 mm in: organ moved up to %2 mm (%3 ms an update)")
                       .arg(frame->offset_mm.norm(), 0, 'f', 1)
                       .arg(frame->update.maxDisplacement_mm, 0, 'f', 1)
                       .arg(1000 * frame->update.seconds, 0, 'f', 0));
}

// The panel's wash switch picks the result the views show (main_window_results.cpp): on, the
// last shift's magnitude "<name> |u|"; off, the newest result that is no displacement (or none).
void MainWindow::showShiftOverlay() {
  const Case& twin = currentCase();
  const ScalarField* field = nullptr;
  for (const Plan& plan : twin.plans)
    if (plan.kind == "tissue-shift")
      for (const ScalarField& f : twin.fields)
        if (f.name == plan.name + " |u|") field = &f;
  if (!field) return;
  if (shift_->washShown()) {
    chooseResult(field->name);
    return;
  }
  const ScalarField* shown = shownResult();
  if (shown && shown->quantity != "displacement") return;
  std::string other;
  for (const ScalarField& f : twin.fields)
    if (f.quantity != "displacement") other = f.name;
  chooseResult(other);
}

}  // namespace twinplan::ui
