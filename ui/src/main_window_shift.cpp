// The Tissue shift dock of the main window (issue #18 item 8): the scenario runs in the
// background (engine/tissue_shift.h) with progress and Cancel, and its whole result goes into
// the case as one undoable step (edits::storeSimulationOutputs): the displacement field (its
// magnitude washed over the 2D views with a legend and isolines), the deformed labelmap and
// volumes, the moved 3D models beside the originals (shown as ghosts), the tetrahedral mesh and
// the tissue-shift plan whose report the panel lists. The 2D views add the displacement as
// arrows and the original and deformed contours together (rendering/shift_overlay.h), and the
// live liver tool can be dragged in them.
#include <vtkActor.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>

#include <QAction>
#include <QDockWidget>
#include <QMouseEvent>
#include <QStatusBar>
#include <algorithm>
#include <cmath>
#include <functional>

#include "twinplan/core/error.h"
#include "twinplan/core/simulation_outputs_edit.h"
#include "twinplan/engine/plan_targets.h"
#include "twinplan/engine/tissue_shift.h"
#include "twinplan/rendering/mesh_actor.h"
#include "twinplan/rendering/shift_overlay.h"
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
  // The 2D views' tissue-shift layers, one per slice view (slices_ order).
  std::vector<std::unique_ptr<rendering::ShiftOverlay>> overlays;
  // The live tool: the grabbed organ's labels (a press on it starts a drag), where it is
  // grabbed and the tool's offset from there (LPS mm), and a drag in progress.
  LabelMap organLabels;
  std::size_t organSegment = 0;
  double tipRadius_mm = 0;
  Vec3 grab_lps = Vec3::Zero();
  Vec3 toolOffset_mm = Vec3::Zero();
  SliceViewport* dragView = nullptr;
  Vec3 dragStart_lps = Vec3::Zero(), offsetAtPress_mm = Vec3::Zero();
  // A shift result is shown (the case has a tissue-shift plan), and the volume rendering was
  // hidden for it (and comes back when the result goes).
  bool resultShown = false;
  bool volumeHiddenForResult = false;
  bool changingVolume = false, watchingVolumeButton = false;
};

namespace {

// Warped-stiffness solves when a drag ends: the organ settles on the static co-rotational
// answer for the tool's final position (the drag frames make one each, corotational.h; ten
// bring the targets within 0.01 mm of a fresh 30-iteration solve, gui/shift_drag_test).
constexpr int kSettleIterations = 10;

// Hands a slice view's left-button mouse events to the live tool's drag first.
class ToolDragFilter : public QObject {
 public:
  using Handler = std::function<bool(SliceViewport*, QMouseEvent*)>;
  ToolDragFilter(QObject* parent, Handler handler)
      : QObject(parent), handler_(std::move(handler)) {}
  bool eventFilter(QObject* watched, QEvent* event) override {
    const QEvent::Type type = event->type();
    if (type != QEvent::MouseButtonPress && type != QEvent::MouseMove &&
        type != QEvent::MouseButtonRelease)
      return false;
    return handler_(static_cast<SliceViewport*>(watched), static_cast<QMouseEvent*>(event));
  }

 private:
  Handler handler_;
};

// Whether the organ's labels hold the voxel nearest p.
bool onOrgan(const ShiftScene& scene, const Vec3& p_lps) {
  const ImageGeometry& g = scene.organLabels.geometry();
  const Vec3 x = g.lpsToIndex(p_lps);
  const std::int64_t i = std::llround(x[0]), j = std::llround(x[1]), k = std::llround(x[2]);
  return i >= 0 && j >= 0 && k >= 0 && i < g.size[0] && j < g.size[1] && k < g.size[2] &&
         scene.organLabels.contains(scene.organSegment, i, j, k);
}

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
  for (auto* viewport : slices_) {
    shiftScene_->overlays.push_back(std::make_unique<rendering::ShiftOverlay>(viewport->view()));
    viewport->installEventFilter(new ToolDragFilter(
        viewport,
        [this](SliceViewport* view, QMouseEvent* event) { return dragToolIn(*view, *event); }));
    connect(viewport, &SliceViewport::pointPicked, this, [this](const Vec3& p_lps) {
      if (!shift_->pickingCentre()) return;
      shift_->setResectionCentre(p_lps);
      for (auto* view : slices_) view->setPickMode(tool_ != Tool::Navigate);
    });
  }
  connect(shift_, &ShiftPanel::resectionSphereChanged, this, [this] {
    const auto sphere = shift_->resectionSphere();
    for (std::size_t v = 0; v < slices_.size(); ++v) {
      if (sphere)
        shiftScene_->overlays[v]->setResectionSphere(Vec3((*sphere)[0], (*sphere)[1], (*sphere)[2]),
                                                     (*sphere)[3]);
      else
        shiftScene_->overlays[v]->setResectionSphere(std::nullopt);
      slices_[v]->update();
    }
  });
  connect(shift_, &ShiftPanel::pickCentreToggled, this, [this](bool on) {
    for (auto* view : slices_) view->setPickMode(on || tool_ != Tool::Navigate);
  });
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
    // Along the tool's direction; a sideways offset from a drag in 2D stays.
    const Vec3 along = liveTool_->session()->direction();
    const Vec3 now = shiftScene_->toolOffset_mm;
    moveLiveTool(now - now.dot(along) * along + offset_mm * along, 1);
  });
  connect(document_, &CaseDocument::caseReplaced, this, [this] {
    releaseOrgan();
    shift_->setGrabbing(false);
    shift_->showCase(currentCase());
    showShiftLayers();
  });
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::LabelMaps || part == CasePart::Plans) shift_->showCase(currentCase());
    // The arrow and contour layers borrow fields and labelmaps and find them through the shift's
    // plan: re-point them whenever any of these changes (the wash follows the result chooser).
    if (part == CasePart::Fields || part == CasePart::LabelMaps || part == CasePart::Plans)
      showShiftLayers();
  });
}

bool MainWindow::dragToolIn(SliceViewport& view, QMouseEvent& event) {
  if (!shiftScene_) return false;  // the window is being torn down
  ShiftScene& scene = *shiftScene_;
  if (!liveTool_ || !liveTool_->active()) {
    scene.dragView = nullptr;
    return false;
  }
  const QPoint at = view.toVtkDisplay(event.position());
  Vec3 p_lps;
  const bool inside = view.view().displayToLps(at.x(), at.y(), p_lps);
  switch (event.type()) {
    case QEvent::MouseButtonPress:
      // Only a press on the organ drags the tool: elsewhere the view navigates as usual.
      if (event.button() != Qt::LeftButton || !inside || !onOrgan(scene, p_lps)) return false;
      scene.dragView = &view;
      scene.dragStart_lps = p_lps;
      // On the tool's tip the drag goes on from where the tool is; elsewhere on the organ the
      // tool lets go and grabs the tissue under the mouse, so the organ moves from where it was
      // taken hold of (the tissue under the press follows the mouse).
      if ((p_lps - (scene.grab_lps + scene.toolOffset_mm)).norm() > scene.tipRadius_mm) {
        scene.grab_lps = p_lps;
        scene.toolOffset_mm = Vec3::Zero();
        liveTool_->grabAt(p_lps);
        showToolTip();
        shift_->showToolOffset_mm(0);
      }
      scene.offsetAtPress_mm = scene.toolOffset_mm;
      return true;
    case QEvent::MouseMove:
      if (scene.dragView != &view) return false;
      // The mouse's path in the slice plane (mm) is the tool's.
      moveLiveTool(scene.offsetAtPress_mm + (p_lps - scene.dragStart_lps), 1);
      return true;
    case QEvent::MouseButtonRelease:
      if (scene.dragView != &view || event.button() != Qt::LeftButton) return false;
      scene.dragView = nullptr;
      moveLiveTool(scene.offsetAtPress_mm + (p_lps - scene.dragStart_lps), kSettleIterations);
      shift_->showToolOffset_mm(scene.toolOffset_mm.dot(liveTool_->session()->direction()));
      return true;
    default:
      return false;
  }
}

void MainWindow::moveLiveTool(const Vec3& offset_mm, int iterations) {
  shiftScene_->toolOffset_mm = offset_mm;
  liveTool_->request(offset_mm, iterations);
  showToolTip();
}

void MainWindow::showToolTip() {
  const Vec3 tip = shiftScene_->grab_lps + shiftScene_->toolOffset_mm;
  for (std::size_t v = 0; v < slices_.size(); ++v) {
    shiftScene_->overlays[v]->setToolTip(tip, shiftScene_->tipRadius_mm);
    slices_[v]->update();
  }
}

Vec3 MainWindow::liveToolOffset_mm() const { return shiftScene_->toolOffset_mm; }
Vec3 MainWindow::liveToolGrab_lps() const { return shiftScene_->grab_lps; }

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
  liveTool_->start(*session, organModel(twin, p.liverTool.organ), engine::planTargets(twin));
  shiftScene_->organLabels = copy;
  for (std::size_t s = 0; s < copy.segments().size(); ++s)
    if (copy.segments()[s].name == p.liverTool.organ ||
        copy.segments()[s].tissueType == p.liverTool.organ) {
      shiftScene_->organSegment = s;
      break;
    }
  shiftScene_->tipRadius_mm = p.liverTool.tipRadius_mm;
  shiftScene_->grab_lps = (*session)->grabPoint();
  shiftScene_->toolOffset_mm = Vec3::Zero();
  showToolTip();
  shift_->showLive(tr("Grabbed %1 surface nodes of %2 tetrahedra; push with the slider or "
                      "drag the organ in a 2D view.")
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
  shiftScene_->organLabels = {};
  shiftScene_->dragView = nullptr;
  shiftScene_->grab_lps = shiftScene_->toolOffset_mm = Vec3::Zero();
  for (std::size_t v = 0; v < shiftScene_->overlays.size(); ++v) {
    shiftScene_->overlays[v]->setToolTip(std::nullopt);
    shiftScene_->overlays[v]->setLiveSurface(nullptr);
    slices_[v]->update();
  }
  volume_->update();
}

const SurfaceMesh& MainWindow::liveOrganSurface() const { return shiftScene_->organSurface; }

void MainWindow::showLiveFrame(std::shared_ptr<const LiveToolFrame> frame) {
  if (!liveTool_->active()) return;  // released meanwhile
  if (!frame->error.empty()) {
    shift_->showLive(tr("Not moved: %1").arg(QString::fromStdString(frame->error)));
    return;
  }
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
  for (std::size_t v = 0; v < slices_.size(); ++v) {
    shiftScene_->overlays[v]->setLiveSurface(
        shiftScene_->organSurface.points_lps.empty() ? nullptr : &shiftScene_->organSurface);
    slices_[v]->update();
  }
  std::vector<std::pair<std::string, Vec3>> targets;
  for (std::size_t t = 0; t < frame->targetShifts_mm.size(); ++t)
    targets.emplace_back(liveTool_->targets()[t].name, frame->targetShifts_mm[t]);
  shift_->showLiveTargets(targets);
  shift_->showLive(ShiftPanel::liveToolText(frame->offset_mm, liveTool_->session()->direction(),
                                            frame->update.maxDisplacement_mm,
                                            frame->update.seconds));
}

void MainWindow::showShiftLayers() {
  const Case& twin = currentCase();
  const Plan* shift = nullptr;
  for (const Plan& plan : twin.plans)
    if (plan.kind == "tissue-shift") shift = &plan;
  auto fieldNamed = [&](const std::string& name) -> const ScalarField* {
    for (const ScalarField& f : twin.fields)
      if (f.name == name) return &f;
    return nullptr;
  };
  auto labelMapNamed = [&](const std::string& name) -> const LabelMap* {
    for (const LabelMap& l : twin.labelMaps)
      if (l.name == name) return &l;
    return nullptr;
  };
  const ScalarField *uL = nullptr, *uP = nullptr, *uS = nullptr;
  const LabelMap *original = nullptr, *deformed = nullptr;
  if (shift && shift_->arrowsShown()) {
    uL = fieldNamed(shift->name + " uL");
    uP = fieldNamed(shift->name + " uP");
    uS = fieldNamed(shift->name + " uS");
  }
  if (shift && shift_->contoursShown() && shift->parameters.contains("result")) {
    const std::string name = shift->parameters["result"].value("labelmap", std::string());
    original = labelMapNamed(name);
    deformed = labelMapNamed(name + " (shifted)");
  }
  for (std::size_t v = 0; v < slices_.size(); ++v) {
    shiftScene_->overlays[v]->setDisplacement(uL, uP, uS);
    shiftScene_->overlays[v]->setContours(original, deformed);
    slices_[v]->update();
  }
  showShiftIn3D(shift != nullptr);
}

// A shift result in 3D is the moved models inside their ghosts (engine/tissue_shift.cpp). The
// default CT bone rendering of a head is a closed skull around them: every ray to the brain
// crosses opaque bone, so neither the ghosts nor the moved models can be seen. What a surgeon
// reads off this picture is how far the brain and the tumour moved against where they were
// planned, so while a result is shown the volume rendering is hidden (the toolbar's Volume
// button, V, brings it back at will). Hidden rather than drawn under ghosts put on top: a ghost
// drawn over everything would hide the depth order between it and the moved model, the very
// thing to read; and rather than clipped, since a clip box would need placing before the
// first look. When the result goes (undo, another case) a volume hidden for it comes back.
void MainWindow::showShiftIn3D(bool resultShown) {
  ShiftScene& scene = *shiftScene_;
  auto* volumeButton = findChild<QAction*>("volumeVisible");
  if (!volumeButton) return;
  if (!scene.watchingVolumeButton) {
    // The surgeon's own use of the button (V) while a result is shown is theirs to keep.
    connect(volumeButton, &QAction::toggled, this, [this] {
      if (!shiftScene_->changingVolume) shiftScene_->volumeHiddenForResult = false;
    });
    scene.watchingVolumeButton = true;
  }
  if (resultShown == scene.resultShown) return;
  scene.resultShown = resultShown;
  scene.changingVolume = true;
  if (resultShown && volumeButton->isChecked()) {
    volumeButton->setChecked(false);  // hides the rendering (buildToolbar)
    scene.volumeHiddenForResult = true;
    statusBar()->showMessage(
        tr("Volume rendering hidden to show the shifted models and their ghosts; V shows it."),
        8000);
  } else if (!resultShown && scene.volumeHiddenForResult) {
    volumeButton->setChecked(true);
    scene.volumeHiddenForResult = false;
  }
  scene.changingVolume = false;
}

rendering::ShiftOverlay& MainWindow::shiftOverlay(rendering::SliceOrientation orientation) const {
  for (std::size_t v = 0; v < slices_.size(); ++v)
    if (slices_[v]->view().orientation() == orientation) return *shiftScene_->overlays.at(v);
  throw Error(ErrorKind::Internal, "No 2D view of that orientation.", "shiftOverlay");
}

// The panel's wash switch picks the result the views show (main_window_results.cpp): on, the
// last shift's magnitude "<name> |u|"; off, the newest result that is no displacement (or none).
void MainWindow::showShiftOverlay() {
  showShiftLayers();
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
