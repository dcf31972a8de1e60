#include "twinplan/ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QSignalBlocker>
#include <QSlider>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <algorithm>
#include <cmath>

#include "dose_display.h"
#include "twinplan/core/error.h"
#include "twinplan/core/measurement.h"
#include "twinplan/rendering/initial_window.h"
#include "twinplan/rendering/patient_position.h"
#include "twinplan/ui/ablation_panel.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/help.h"
#include "twinplan/ui/landmark_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/teaching_dialog.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

using rendering::SliceOrientation;
using rendering::WindowLevel;

Layout layoutFromString(const std::string& name) {
  if (name == "4up") return Layout::FourUp;
  if (name == "1up") return Layout::OneUp;
  if (name == "1+3") return Layout::OnePlusThree;
  throw Error(ErrorKind::InvalidInput, "Unknown layout '" + name + "': use 4up, 1up or 1+3.",
              "--layout");
}

namespace {

constexpr int kAutosaveInterval_ms = 60 * 1000;  // the issue asks for every minute

struct WindowPreset {
  const char* name;
  WindowLevel wl;
};
// Common CT display windows (width/level in HU) as taught in radiology references (e.g.
// Radiopaedia, "Windowing (CT)"): brain 80/40, soft tissue 400/40, lung 1500/-600,
// bone 1800/400, liver 150/30.
const WindowPreset kCtPresets[] = {
    {"CT brain", rendering::kCtBrainWindow},
    {"CT soft tissue", rendering::kCtSoftTissueWindow},
    {"CT lung", {1500, -600}},
    {"CT bone", {1800, 400}},
    {"CT liver", {150, 30}},
};

// The items of the window combo after the CT presets.
constexpr int kAutoItem = static_cast<int>(std::size(kCtPresets));
constexpr int kCustomItem = kAutoItem + 1;

// The position of a 2D view's slice as a patient direction: the view's normal is along one
// LPS axis (rendering::screenAxes), so the slice lies at that coordinate, e.g. "R 3.0 mm" for
// a sagittal slice 3 mm right of the origin (the status bar uses the same words).
std::string slicePositionText(const rendering::SliceView& view) {
  Vec3 right, down;
  rendering::screenAxes(view.orientation(), right, down);
  const Vec3 normal = right.cross(down);
  int axis = 0;
  normal.cwiseAbs().maxCoeff(&axis);
  return rendering::formatPatientPosition(axis, view.slicePosition_mm() * normal[axis]);
}

Measurement::Kind measurementKind(Tool tool) {
  switch (tool) {
    case Tool::Ruler:
      return Measurement::Kind::Ruler;
    case Tool::Angle:
      return Measurement::Kind::Angle;
    case Tool::RoiBox:
      return Measurement::Kind::RoiBox;
    case Tool::RoiEllipse:
      return Measurement::Kind::RoiEllipsoid;
    default:
      return Measurement::Kind::Point;
  }
}

// The combo's item that shows `wl`: the preset (or the automatic window) with exactly these
// values, else "Custom" (a window dragged by hand).
void showWindowChoice(QComboBox* presets, const WindowLevel& wl) {
  int index = kCustomItem;
  for (int item = 0; item <= kAutoItem; ++item) {
    const QVariant data = presets->itemData(item);
    if (data.isValid() && data.toPointF() == QPointF(wl.window, wl.level)) index = item;
  }
  const QSignalBlocker blocker(presets);
  presets->setCurrentIndex(index);
}

std::size_t pointsNeeded(Tool tool) {
  switch (tool) {
    case Tool::Navigate:
      return 0;
    case Tool::Point:
      return 1;
    case Tool::Angle:
      return 3;
    default:
      return 2;
  }
}

}  // namespace

MainWindow::MainWindow(std::filesystem::path autosaveDirectory)
    : autosaver_(autosaveDirectory.empty() ? Autosaver::defaultDirectory() : autosaveDirectory) {
  document_ = new CaseDocument(this);
  connect(document_, &CaseDocument::caseReplaced, this, &MainWindow::showCase);
  connect(document_, &CaseDocument::measurementsChanged, this, &MainWindow::showMeasurements);
  connect(document_, &CaseDocument::modifiedChanged, this, &MainWindow::updateTitle);

  viewArea_ = new QWidget(this);
  grid_ = new QGridLayout(viewArea_);
  grid_->setContentsMargins(2, 2, 2, 2);
  grid_->setSpacing(2);
  const SliceOrientation orientations[3] = {SliceOrientation::Axial, SliceOrientation::Sagittal,
                                            SliceOrientation::Coronal};
  for (int v = 0; v < 3; ++v) {
    // Each 2D view sits in a panel with a slider for its slice position.
    auto* panel = new QWidget(viewArea_);
    auto* row = new QHBoxLayout(panel);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(0);
    SliceViewport* viewport = new SliceViewport(orientations[v], panel);
    auto* slider = new QSlider(Qt::Vertical, panel);
    slider->setToolTip(tr("Slice position (wheel or Up/Down in the view)"));
    slider->setFixedWidth(16);
    slider->setFocusPolicy(Qt::NoFocus);  // the view beside it keeps the keys
    slider->setObjectName(QString("%1Slider").arg(rendering::toString(orientations[v])));
    row->addWidget(viewport, 1);
    row->addWidget(slider);
    slices_[v] = viewport;
    slicePanels_[v] = panel;
    sliceSliders_[v] = slider;
    connect(slider, &QSlider::valueChanged, this, [this, viewport](int slice) {
      // Slider value = slice number from the lowest position along the view's normal.
      const int current = static_cast<int>(std::lround(
          (viewport->view().slicePosition_mm() - viewport->view().sliceRange_mm().first) /
          viewport->view().sliceStep_mm()));
      if (slice == current) return;
      viewport->view().scrollSlices(slice - current);
      setCrosshair(viewport->view().crosshair());
    });
    connect(viewport, &SliceViewport::crosshairMoved, this, &MainWindow::setCrosshair);
    connect(viewport, &SliceViewport::windowLevelChanged, this, &MainWindow::setWindowLevel);
    connect(viewport, &SliceViewport::cursorMoved, this, &MainWindow::showCursor);
    // The Point tool's mouse is the presenter's pointer for a headset and participants.
    connect(viewport, &SliceViewport::cursorMoved, this, [this, v](const Vec3& p_lps, bool inside) {
      sharePointer(std::size_t(v), p_lps, inside);
    });
    connect(viewport, &SliceViewport::mouseLeft, this,
            [this, v] { sharePointer(std::size_t(v), Vec3::Zero(), false); });
    // A ruler or angle being placed: a line from its last point follows the mouse.
    connect(viewport, &SliceViewport::cursorMoved, this,
            [this, viewport](const Vec3& p_lps, bool inside) {
              const bool joined = tool_ == Tool::Ruler || tool_ == Tool::Angle;
              if (!joined || pendingPoints_.empty()) return;
              std::vector<Vec3> points = pendingPoints_;
              if (inside) points.push_back(p_lps);
              viewport->view().setPendingPoints(points, true);
              viewport->update();
            });
    connect(viewport, &SliceViewport::resized, this, &MainWindow::updateOverlays);
    connect(
        viewport, &SliceViewport::measurementPointMoved, this,
        [this](std::size_t m, std::size_t p, const Vec3& p_lps, bool final) {
          // While dragging, a marker follows the mouse; the release is one undoable edit.
          for (auto* view : slices_) {
            view->view().setPendingPoints(final ? std::vector<Vec3>{} : std::vector<Vec3>{p_lps});
            view->update();
          }
          if (!final || m >= currentCase().measurements.size()) return;
          Measurement moved = currentCase().measurements[m];
          if (p < moved.points_lps.size()) moved.points_lps[p] = p_lps;
          document_->replaceMeasurement(m, std::move(moved));
        });
    connect(viewport, &SliceViewport::pointPicked, this,
            [this, viewport](const Vec3& p_lps) { pickPoint(*viewport, p_lps); });
  }
  volume_ = new VolumeViewport(viewArea_);
  connect(volume_, &VolumeViewport::surfaceHovered, this, &MainWindow::sharePointerIn3D);
  setCentralWidget(viewArea_);
  // The "active view" for per-view screenshots is the one that last had keyboard focus.
  connect(qApp, &QApplication::focusChanged, this, [this](QWidget*, QWidget* now) {
    if (auto* viewport = qobject_cast<VtkViewport*>(now)) activeViewport_ = viewport;
  });
  readout_ = new QLabel(this);
  readout_->setObjectName("cursorReadout");
  statusBar()->addPermanentWidget(readout_);
  buildDocks();
  buildMenus();
  buildToolbar();
  buildEditorDock();  // after the toolbar: it takes over the P and E keys while shown
  arrangeWorkflowDocks();
  connectResultDisplay();
  setLayout(Layout::FourUp);
  setAcceptDrops(true);
  resize(1400, 900);
  updateTitle();

  autosaveTimer_ = new QTimer(this);
  autosaveTimer_->setInterval(kAutosaveInterval_ms);
  connect(autosaveTimer_, &QTimer::timeout, this, &MainWindow::autosaveNow);
  autosaveTimer_->start();
}

MainWindow::~MainWindow() = default;

namespace {

// The right-hand panels by workflow, in tab order. Seven tabs side by side along the top of a
// 300-400 px dock were cut to "S...", "Follo..."; running down the window's right edge they
// have its height (about 700 px at 1280 x 800), and each workflow's panels sit together.
// A new right-hand panel is added to its workflow here (or calls addWorkflowDock).
struct WorkflowDock {
  Workflow workflow;
  const char* objectName;
};
constexpr WorkflowDock kWorkflowDocks[] = {
    {Workflow::Images, "seriesDock"},   {Workflow::Images, "followUpDock"},
    {Workflow::Images, "landmarkDock"}, {Workflow::Segment, "segmentEditorDock"},
    {Workflow::Plan, "ablationDock"},   {Workflow::Plan, "shiftDock"},
    {Workflow::Plan, "rtPanel"},        {Workflow::Present, "headsetDock"},
};

}  // namespace

void MainWindow::arrangeWorkflowDocks() {
  setTabPosition(Qt::RightDockWidgetArea, QTabWidget::East);
  for (const WorkflowDock& entry : kWorkflowDocks)
    if (auto* dock = findChild<QDockWidget*>(entry.objectName))
      addWorkflowDock(dock, entry.workflow);
  // Any other right-hand dock joins the group after them rather than splitting the area.
  for (QDockWidget* dock : findChildren<QDockWidget*>())
    if (dockWidgetArea(dock) == Qt::RightDockWidgetArea &&
        std::none_of(workflowDocks_.begin(), workflowDocks_.end(),
                     [dock](const auto& entry) { return entry.second == dock; }))
      addWorkflowDock(dock, Workflow::Present);
  if (!workflowDocks_.empty()) workflowDocks_.front().second->raise();  // Series first
}

void MainWindow::addWorkflowDock(QDockWidget* dock, Workflow workflow) {
  std::erase_if(workflowDocks_, [dock](const auto& entry) { return entry.second == dock; });
  if (dockWidgetArea(dock) != Qt::RightDockWidgetArea) addDockWidget(Qt::RightDockWidgetArea, dock);
  // After the last dock of its workflow or an earlier one.
  const auto after = std::find_if(workflowDocks_.begin(), workflowDocks_.end(),
                                  [workflow](const auto& entry) { return entry.first > workflow; });
  workflowDocks_.insert(after, {workflow, dock});
  // tabifyDockWidget(a, b) puts b's tab right after a's: in list order, the tabs follow it.
  for (std::size_t i = 1; i < workflowDocks_.size(); ++i)
    tabifyDockWidget(workflowDocks_[i - 1].second, workflowDocks_[i].second);
}

const Case& MainWindow::currentCase() const { return document_->twin(); }

SliceViewport* MainWindow::sliceViewport(SliceOrientation orientation) const {
  for (auto* viewport : slices_)
    if (viewport->view().orientation() == orientation) return viewport;
  return nullptr;
}

// ---- layout ------------------------------------------------------------------------------

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&New case"), QKeySequence::New, this, &MainWindow::newCase);
  file->addAction(tr("&Open case…"), QKeySequence::Open, this, &MainWindow::openCaseDialog);
  recentMenu_ = file->addMenu(tr("Open &recent"));
  updateRecentMenu();
  QAction* importFolder = file->addAction(tr("&Import DICOM folder…"), QKeySequence(tr("Ctrl+I")),
                                          this, &MainWindow::importDialog);
  QAction* importFiles =
      file->addAction(tr("Import DICOMDIR or &files…"), QKeySequence(tr("Ctrl+Shift+I")), this,
                      &MainWindow::importFilesDialog);
  importFiles->setObjectName("importFiles");
  browser_->setImportActions({importFolder, importFiles});
  file->addAction(tr("Run &job file…"), this, &MainWindow::runJobDialog);
  file->addAction(tr("Add RT &dose…"), this, &MainWindow::addDoseDialog);
  file->addAction(tr("Add RT p&lan…"), this, &MainWindow::addRtPlanDialog);
  file->addAction(tr("E&xport RT plan…"), this, &MainWindow::exportPlanDialog)
      ->setObjectName("exportRtPlan");
  file->addAction(tr("&Save case"), QKeySequence::Save, this, &MainWindow::saveCase)
      ->setObjectName("saveCase");
  file->addAction(tr("Save case &as…"), QKeySequence::SaveAs, this, &MainWindow::saveCaseAsDialog)
      ->setObjectName("saveCaseAs");
  file->addAction(tr("Save s&creenshot of the window…"), QKeySequence(tr("Ctrl+Shift+P")), this,
                  &MainWindow::saveScreenshotDialog);
  file->addAction(tr("Save screenshot of the &active view…"), QKeySequence(tr("Ctrl+Alt+P")), this,
                  &MainWindow::saveViewScreenshotDialog);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = document_->createUndoAction(this, tr("&Undo"));
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = document_->createRedoAction(this, tr("&Redo"));
  redo->setShortcut(QKeySequence::Redo);
  edit->addAction(undo);
  edit->addAction(redo);

  QMenu* series = menuBar()->addMenu(tr("&Series"));
  series->addAction(tr("&Register…"), QKeySequence(tr("Ctrl+R")), this,
                    &MainWindow::registerDialog);
  series->addAction(tr("&Export registration…"), this, &MainWindow::exportSelectedRegistration);
  series
      ->addAction(tr("Export registration as &DICOM…"), this,
                  &MainWindow::exportSelectedRegistrationAsDicom)
      ->setObjectName("exportRegistrationDicom");
  series->addAction(tr("&Import registration…"), this, &MainWindow::importSelectedRegistration);
  series->addAction(tr("Re&sample moving onto fixed"), this, &MainWindow::resampleSelectedSeries);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  auto* group = new QActionGroup(this);
  const std::pair<const char*, Layout> layouts[] = {
      {"Four views (4-up)", Layout::FourUp},
      {"One view (1-up)", Layout::OneUp},
      {"One large + three (1+3)", Layout::OnePlusThree}};
  int key = 1;
  for (const auto& [name, layout] : layouts) {
    QAction* action = view->addAction(tr(name));
    action->setCheckable(true);
    action->setChecked(layout == Layout::FourUp);
    action->setShortcut(QKeySequence(QString("Ctrl+%1").arg(key++)));
    group->addAction(action);
    connect(action, &QAction::triggered, this, [this, layout = layout] { setLayout(layout); });
  }
  // A window shortcut, not the view's own key: it works wherever the focus is (the browser, a
  // panel), for the view used last (the 3D view's camera too), or all 2D views.
  view->addSeparator();
  QAction* reset = view->addAction(tr("&Reset zoom and pan"));
  reset->setObjectName("resetView");
  reset->setShortcut(QKeySequence("R"));
  connect(reset, &QAction::triggered, this, [this] {
    if (activeViewport_ == volume_) {  // the 3D view's own R: its camera
      volume_->view().resetCamera();
      volume_->update();
      return;
    }
    auto* active = qobject_cast<SliceViewport*>(activeViewport_);
    for (auto* viewport : slices_) {
      if (active && viewport != active) continue;
      viewport->view().resetCamera();
      viewport->update();
    }
  });
  view->addSeparator();
  view->addAction(headsetAction_);
  // Teaching sessions (issue #20 item 5): one non-modal dialog, kept while the window lives.
  QAction* teaching = view->addAction(tr("&Teaching session…"));
  teaching->setObjectName("teachingSession");
  connect(teaching, &QAction::triggered, this, [this] {
    TeachingDialog* dialog = teachingDialog();
    dialog->show();
    dialog->raise();
  });
  // Closed panels come back from here.
  view->addSeparator();
  for (QDockWidget* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&User guide"), QKeySequence::HelpContents, this,
                  [this] { showUserGuide(this); })
      ->setObjectName("userGuide");
  help->addAction(tr("&About TwinPlan"), this, [this] { showAbout(this); })
      ->setObjectName("aboutTwinPlan");
}

void MainWindow::buildToolbar() {
  QToolBar* tools = addToolBar(tr("Tools"));
  tools->setObjectName("tools");
  tools->setMovable(false);
  toolActions_ = new QActionGroup(this);
  const std::tuple<const char*, const char*, Tool, const char*> kTools[] = {
      {"Navigate", "N", Tool::Navigate, "Click to move the crosshair"},
      {"Point", "P", Tool::Point, "Click to place a markup point"},
      {"Ruler", "M", Tool::Ruler, "Click two points to measure a distance"},
      {"Angle", "A", Tool::Angle, "Click three points; the angle is at the second"},
      {"Box ROI", "B", Tool::RoiBox,
       "Click two corners: statistics of the voxels inside (one slice deep)"},
      {"Ellipse ROI", "E", Tool::RoiEllipse,
       "Click two corners: statistics of the voxels inside (one slice deep)"},
  };
  for (const auto& [name, key, tool, tip] : kTools) {
    QAction* action = tools->addAction(tr(name));
    action->setCheckable(true);
    action->setChecked(tool == Tool::Navigate);
    action->setShortcut(QKeySequence(key));
    action->setToolTip(QString("%1 (%2)").arg(tr(tip), key));
    toolActions_->addAction(action);
    connect(action, &QAction::triggered, this, [this, tool = tool] { setTool(tool); });
  }

  QToolBar* bar = addToolBar(tr("Display"));
  bar->setObjectName("display");
  bar->setMovable(false);
  bar->addWidget(new QLabel(tr(" Window: "), bar));
  auto* presets = new QComboBox(bar);
  presets->setObjectName("windowPresets");
  presets->setToolTip(tr("Window/level preset (right-drag in a view to adjust)"));
  for (const auto& preset : kCtPresets)
    presets->addItem(tr(preset.name), QPointF(preset.wl.window, preset.wl.level));
  presets->addItem(tr("Auto (MR)"));  // its data: the automatic window of the open image
  presets->addItem(tr("Custom"));     // shown after a window/level drag; choosing it keeps it
  presets->setCurrentIndex(1);
  // Mouse controls in the toolbars never take the keyboard focus: it stays in the view, so the
  // view's keys (Up/Down, PgUp/PgDn) keep scrolling after a preset is chosen.
  presets->setFocusPolicy(Qt::NoFocus);
  connect(presets, &QComboBox::currentIndexChanged, this, [this, presets](int index) {
    if (index < kAutoItem) {
      setWindowLevel(kCtPresets[index].wl);
    } else if (index == kAutoItem && !currentCase().volumes.empty()) {
      const WindowLevel wl = rendering::percentileWindow(currentCase().volumes.front());
      presets->setItemData(kAutoItem, QPointF(wl.window, wl.level));
      setWindowLevel(wl);
    }
  });
  bar->addWidget(presets);
  bar->addSeparator();
  bar->addWidget(new QLabel(tr(" 3D: "), bar));
  auto* volumePresets = new QComboBox(bar);
  volumePresets->setObjectName("volumePresets");
  volumePresets->setToolTip(tr("Volume rendering preset"));
  volumePresets->setFocusPolicy(Qt::NoFocus);
  for (auto preset : rendering::allVolumePresets())
    volumePresets->addItem(tr(rendering::toString(preset)));
  connect(volumePresets, &QComboBox::currentIndexChanged, this, [this](int index) {
    volume_->view().setPreset(rendering::allVolumePresets()[static_cast<std::size_t>(index)]);
    volumeDisplayChanged();
  });
  bar->addWidget(volumePresets);
  // Hiding the volume leaves the 3D models alone in the view (a surgeon's usual 3D picture).
  QAction* showVolume = bar->addAction(tr("Volume"));
  showVolume->setObjectName("volumeVisible");
  showVolume->setCheckable(true);
  showVolume->setChecked(true);
  showVolume->setToolTip(tr("Show the volume rendering in the 3D view (V); models stay"));
  showVolume->setShortcut(QKeySequence("V"));
  connect(showVolume, &QAction::toggled, this, [this](bool on) {
    volume_->view().setVolumeVisible(on);
    volumeDisplayChanged();
  });
  bar->addSeparator();
  bar->addWidget(new QLabel(tr(" Segments: "), bar));
  auto* fill = new QSlider(Qt::Horizontal, bar);
  fill->setObjectName("segmentFill");
  fill->setRange(0, 100);
  fill->setValue(35);
  fill->setFixedWidth(110);
  fill->setToolTip(tr("Fill opacity of the segments in the 2D views"));
  fill->setFocusPolicy(Qt::NoFocus);
  bar->addWidget(fill);
  QAction* outline = bar->addAction(tr("Outline"));
  outline->setCheckable(true);
  outline->setChecked(true);
  outline->setToolTip(tr("Draw segment outlines in the 2D views (O)"));
  outline->setShortcut(QKeySequence("O"));
  auto apply = [this, fill, outline] {
    for (auto* viewport : slices_) {
      viewport->view().setSegmentDisplay(fill->value() / 100.0, outline->isChecked());
      viewport->update();
    }
  };
  connect(fill, &QSlider::valueChanged, this, apply);
  connect(outline, &QAction::toggled, this, apply);
}

void MainWindow::setLayout(Layout layout) {
  layout_ = layout;
  QWidget* views[4] = {slicePanels_[0], slicePanels_[1], slicePanels_[2], volume_};
  for (QWidget* view : views) {
    grid_->removeWidget(view);
    view->hide();
  }
  for (int r = 0; r < 3; ++r) grid_->setRowStretch(r, 0);
  for (int c = 0; c < 3; ++c) grid_->setColumnStretch(c, 0);
  switch (layout) {
    case Layout::FourUp:
      grid_->addWidget(views[0], 0, 0);
      grid_->addWidget(views[3], 0, 1);
      grid_->addWidget(views[2], 1, 0);
      grid_->addWidget(views[1], 1, 1);
      grid_->setRowStretch(0, 1);
      grid_->setRowStretch(1, 1);
      grid_->setColumnStretch(0, 1);
      grid_->setColumnStretch(1, 1);
      for (QWidget* view : views) view->show();
      break;
    case Layout::OneUp:
      grid_->addWidget(views[0], 0, 0);
      grid_->setRowStretch(0, 1);
      grid_->setColumnStretch(0, 1);
      views[0]->show();
      break;
    case Layout::OnePlusThree:
      grid_->addWidget(views[0], 0, 0, 3, 1);
      grid_->addWidget(views[2], 0, 1);
      grid_->addWidget(views[1], 1, 1);
      grid_->addWidget(views[3], 2, 1);
      for (int r = 0; r < 3; ++r) grid_->setRowStretch(r, 1);
      grid_->setColumnStretch(0, 3);
      grid_->setColumnStretch(1, 1);
      for (QWidget* view : views) view->show();
      break;
  }
}

// ---- the case ----------------------------------------------------------------------------

void MainWindow::setCase(Case twin) { document_->reset(std::move(twin)); }

void MainWindow::showCase() {
  const Case& twin = document_->twin();
  readout_->clear();  // it described the previous image
  // Views borrow the document's volume and labels; reset() replaced them, so re-point.
  const ImageVolume* image = beginShowingSeries();
  volume_->discardFrame();
  for (auto* viewport : slices_) {
    viewport->discardFrame();
    viewport->view().setVolume(image);
    viewport->view().setLabelMaps(shownLabelMaps());
    viewport->view().setMeasurements(&twin.measurements);
    viewport->view().setScalarField(nullptr, {});  // the result chooser shows one (showResult)
  }
  // The 3D scene is built in a later event-loop turn (its preview copy and first render are
  // the slowest steps), so the 2D views appear first and the GUI thread is never held by all
  // of it at once. Until then it shows nothing rather than the previous case.
  volume_->view().setVolume(nullptr);
  volume_->view().setMeshes(nullptr);
  showDisplayLists();
  showLayoutFor(image);
  const int shown = ++casesShown_;
  QTimer::singleShot(0, volume_, [this, shown] {
    if (shown == casesShown_) showCaseIn3D();
  });
  if (image) {
    const WindowLevel wl = rendering::initialWindow(*image);
    if (auto* presets = findChild<QComboBox*>("windowPresets")) {
      presets->setEnabled(image->pixelType() != PixelType::Rgb8);  // colour has no window
      // A window that is no CT preset is the image's automatic one: "Auto" shows it.
      bool preset = false;
      for (const auto& p : kCtPresets)
        preset = preset || (p.wl.window == wl.window && p.wl.level == wl.level);
      presets->setItemData(kAutoItem, preset ? QVariant() : QVariant(QPointF(wl.window, wl.level)));
    }
    setWindowLevel(wl);  // the combo shows the matching item without re-applying it
    setCrosshair(slices_[0]->view().crosshair());
  }
  pendingPoints_.clear();
  updateOverlays();
  updateTitle();
  finishShowingSeries();
}

// A 2D image (radiograph, secondary capture, colour photograph) opens in the 1-up layout: the
// other planes of a single image are lines. The previous layout returns with the next volume.
void MainWindow::showLayoutFor(const ImageVolume* image) {
  const bool flat = image && (image->planar2D || image->pixelType() == PixelType::Rgb8);
  if (flat && !layoutBefore2D_) {
    layoutBefore2D_ = layout_;
    setLayout(Layout::OneUp);
  } else if (!flat && layoutBefore2D_) {
    setLayout(*layoutBefore2D_);
    layoutBefore2D_.reset();
  }
}

void MainWindow::showCaseIn3D() {
  const ImageVolume* image = backgroundVolume();
  // The 3D view renders patient-space greyscale volumes; a 2D or colour image has no 3D.
  if (image && (image->planar2D || image->pixelType() == PixelType::Rgb8)) image = nullptr;
  volume_->view().setVolume(image);
  showMeshesIn3D();
  if (auto* volumePresets = findChild<QComboBox*>("volumePresets")) {
    const QSignalBlocker blocker(volumePresets);
    const auto presets = rendering::allVolumePresets();
    volumePresets->setCurrentIndex(static_cast<int>(
        std::find(presets.begin(), presets.end(), volume_->view().preset()) - presets.begin()));
  }
  // The preview copy above and the first render each take tens of milliseconds on a software
  // renderer: not in the same event-loop turn.
  QTimer::singleShot(20, volume_, [this] { volumeDisplayChanged(); });
}

void MainWindow::showMeshesIn3D() {
  try {
    volume_->view().setMeshes(&document_->twin().meshes);
  } catch (const std::exception& e) {
    statusBar()->showMessage(tr("Meshes not shown: %1").arg(e.what()), 10000);
  }
}

void MainWindow::updateTitle() {
  const Case& twin = document_->twin();
  QString title = "TwinPlan";
  if (!twin.name.empty()) title += " — " + QString::fromStdString(twin.name);
  if (!document_->file().empty())
    title += "  [" + QString::fromStdString(document_->file().filename().string()) + "]";
  if (document_->isModified()) title += " *";
  setWindowTitle(title);
}

// ---- tools and measurements --------------------------------------------------------------

void MainWindow::setTool(Tool tool) {
  tool_ = tool;
  pendingPoints_.clear();
  // A measurement tool ends landmark placing (one meaning for a click at a time).
  if (tool != Tool::Navigate && landmarks_ && landmarks_->placing()) landmarks_->setPlacing({});
  for (auto* viewport : slices_) {
    viewport->setPickMode(tool != Tool::Navigate);
    viewport->view().setPendingPoints({});
    viewport->update();
  }
  volume_->setPointing(tool == Tool::Point);  // the 3D view points at surfaces too
  if (tool != Tool::Point) sharePointer(0, Vec3::Zero(), false);  // the pointer goes away
  const auto actions = toolActions_->actions();
  if (static_cast<int>(tool) < actions.size()) actions[static_cast<int>(tool)]->setChecked(true);
}

void MainWindow::pickPoint(const SliceViewport& viewport, const Vec3& p_lps) {
  if (landmarks_ && landmarks_->placing()) return landmarks_->placePoint(p_lps);
  if (ablation_ && ablation_->placing()) return ablation_->placePoint(p_lps);
  if (tool_ == Tool::Navigate) return;
  pendingPoints_.push_back(p_lps);
  if (pendingPoints_.size() < pointsNeeded(tool_)) {
    for (auto* v : slices_) {
      v->view().setPendingPoints(pendingPoints_, tool_ == Tool::Ruler || tool_ == Tool::Angle);
      v->update();
    }
    return;
  }
  Measurement m;
  m.kind = measurementKind(tool_);
  m.name = document_->nextMeasurementName(m.kind);
  m.points_lps = pendingPoints_;
  if (backgroundVolume()) m.volumeName = backgroundVolume()->name;
  if (m.kind == Measurement::Kind::RoiBox || m.kind == Measurement::Kind::RoiEllipsoid) {
    // An ROI drawn on a 2D view is one slice deep: spread its corners half a slice along
    // the view normal.
    const Vec3 normal = [&] {
      Vec3 right, down;
      rendering::screenAxes(viewport.view().orientation(), right, down);
      return Vec3(right.cross(down));
    }();
    const double halfDepth = viewport.view().sliceStep_mm() / 2.0;
    m.points_lps[0] -= halfDepth * normal;
    m.points_lps[1] += halfDepth * normal;
  }
  pendingPoints_.clear();
  for (auto* v : slices_) v->view().setPendingPoints({});
  document_->addMeasurement(std::move(m));
}

void MainWindow::setWindowLevel(const WindowLevel& wl) {
  for (auto* viewport : slices_) {
    viewport->view().setWindowLevel(wl);
    viewport->update();
  }
  if (auto* presets = findChild<QComboBox*>("windowPresets")) showWindowChoice(presets, wl);
  updateOverlays();
  shareLinkedViews();  // participants that follow see the same window
}

void MainWindow::setCrosshair(const Vec3& p_lps) {
  for (auto* viewport : slices_) {
    viewport->view().setCrosshair(p_lps);
    viewport->update();
  }
  volume_->setCrosshair(p_lps);  // the clipping box follows the crosshair
  showLandmarkMarkers();         // the ablation probe's crossings of the new slices
  updateOverlays();
  updateSliders();
  refreshCursorReadout();
  shareLinkedViews();     // participants that follow move all three views with it
  shareSliceAfterMove();  // a headset and participants see the slice the user scrolled
}

// The readout describes the point under the mouse: after the slice (or the case) changed under
// a still mouse it is read again there, and cleared when the mouse is over no 2D view.
void MainWindow::refreshCursorReadout() {
  for (auto* viewport : slices_)
    if (viewport->isVisible() && viewport->reportCursor()) return;
  readout_->clear();
}

void MainWindow::updateSliders() {
  for (int v = 0; v < 3; ++v) {
    const auto& view = slices_[v]->view();
    const auto [lo, hi] = view.sliceRange_mm();
    const double step = view.sliceStep_mm();
    const QSignalBlocker blocker(sliceSliders_[v]);
    sliceSliders_[v]->setRange(0, std::max(0, static_cast<int>(std::lround((hi - lo) / step))));
    sliceSliders_[v]->setValue(
        static_cast<int>(std::lround((view.slicePosition_mm() - lo) / step)));
  }
}

void MainWindow::showCursor(const Vec3& p_lps, bool inside) {
  if (!inside || !backgroundVolume()) {
    readout_->clear();
    return;
  }
  const ImageVolume& image = *backgroundVolume();
  const Vec3 ijk = image.geometry().lpsToIndex(p_lps);
  QString value = "—";
  if (image.geometry().contains(ijk) && image.pixelType() == PixelType::Rgb8) {
    const RgbColour c = image.voxels<RgbColour>()[image.geometry().linearIndex(
        std::lround(ijk[0]), std::lround(ijk[1]), std::lround(ijk[2]))];
    value = QString("RGB %1 %2 %3").arg(c.r).arg(c.g).arg(c.b);
  } else if (image.geometry().contains(ijk)) {
    const double v = image.valueAt(std::lround(ijk[0]), std::lround(ijk[1]), std::lround(ijk[2]));
    value = QString::number(v, 'f', image.pixelType() == PixelType::Float32 ? 2 : 0) + " " +
            QString::fromStdString(image.unit);
  }
  readout_->setText(QString("%1   voxel (%2, %3, %4)   %5")
                        .arg(QString::fromStdString(rendering::formatPatientPoint(p_lps)))
                        .arg(std::lround(ijk[0]))
                        .arg(std::lround(ijk[1]))
                        .arg(std::lround(ijk[2]))
                        .arg(value) +
                    foregroundReadout(p_lps));
}

void MainWindow::updateOverlays() {
  const Case& twin = document_->twin();
  if (!backgroundVolume()) return;
  const ImageVolume& image = *backgroundVolume();
  const std::string patient = twin.patientName.empty() ? image.dicom.patientName : twin.patientName;
  // Kept short so that it never runs into the right-hand text in the small views.
  std::string series = image.dicom.seriesDescription;
  if (series.size() > 28) series = series.substr(0, 27) + "…";
  const std::string left = patient + "\n" + image.dicom.modality + "  " + series;
  for (auto* viewport : slices_) {
    const auto& view = viewport->view();
    char text[160];
    if (image.planar2D) {
      // A 2D image has frames, not positions; a colour image has no window.
      const auto frame = std::lround(image.geometry().lpsToIndex(view.crosshair())[2]) + 1;
      if (image.pixelType() == PixelType::Rgb8) {
        std::snprintf(text, sizeof text, "frame %ld/%ld", frame,
                      static_cast<long>(image.geometry().size[2]));
      } else {
        std::snprintf(text, sizeof text, "frame %ld/%ld\nW %.0f  L %.0f", frame,
                      static_cast<long>(image.geometry().size[2]), view.windowLevel().window,
                      view.windowLevel().level);
      }
    } else {
      std::snprintf(text, sizeof text, "%s  %s\nW %.0f  L %.0f",
                    rendering::toString(view.orientation()), slicePositionText(view).c_str(),
                    view.windowLevel().window, view.windowLevel().level);
    }
    // Narrow views keep only the patient's name on the left, and the smallest (the three of
    // 1+3) not even that: it would run into the orientation letter at the top's centre. The
    // large view beside them names the patient.
    const int width = viewport->width();
    viewport->view().setOverlayText(width >= 520 ? left : width >= 330 ? patient : "", text);
  }
}

}  // namespace twinplan::ui
