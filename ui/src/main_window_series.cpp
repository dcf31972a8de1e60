// Several series in a case, fusion and the view state of the main window (issue #15 items 1, 2
// and 6): the Series dock, adding and removing series, background and foreground, and saving
// and restoring how the views were left (the rest of the window is in main_window*.cpp).
#include <vtkCamera.h>
#include <vtkNew.h>
#include <vtkRenderer.h>

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSignalBlocker>
#include <QStatusBar>
#include <QTimer>
#include <algorithm>
#include <set>

#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/case_import.h"
#include "twinplan/engine/series_alignment.h"
#include "twinplan/io/dicom_image2d.h"
#include "twinplan/rendering/colour_maps.h"
#include "twinplan/rendering/initial_window.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/followup_panel.h"
#include "twinplan/ui/landmark_panel.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/series_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

using rendering::WindowLevel;

namespace {

// Flicker shows each series for half a second: slow enough to fix the eye on an edge, fast
// enough that a misalignment reads as a jump (the blink-comparator way of comparing images).
constexpr int kFlickerHalfPeriod_ms = 500;
// Restored zoom and pan are applied again when the views get their final size (the layout
// settles in the next event-loop turns; each resize refits a view).
constexpr int kCameraSettle_ms = 400;

const char* layoutName(Layout layout) {
  switch (layout) {
    case Layout::OneUp:
      return "1up";
    case Layout::OnePlusThree:
      return "1+3";
    default:
      return "4up";
  }
}

// The view fitted to its image (what R resets to), without changing the view.
void fittedCamera(rendering::SliceView& view, double focal[3], double& scale) {
  vtkCamera* camera = view.renderer()->GetActiveCamera();
  vtkNew<vtkCamera> now;
  now->DeepCopy(camera);
  view.resetCamera();
  camera->GetFocalPoint(focal);
  scale = camera->GetParallelScale();
  camera->DeepCopy(now);
}

ViewCamera cameraOf(rendering::SliceView& view) {
  double fitted[3], fittedScale = 1.0, focal[3];
  fittedCamera(view, fitted, fittedScale);
  vtkCamera* camera = view.renderer()->GetActiveCamera();
  camera->GetFocalPoint(focal);
  return {fittedScale / std::max(camera->GetParallelScale(), 1e-9), focal[0] - fitted[0],
          focal[1] - fitted[1]};
}

void setCamera(rendering::SliceView& view, const ViewCamera& wanted) {
  view.resetCamera();
  view.zoom(wanted.zoom);
  vtkCamera* camera = view.renderer()->GetActiveCamera();
  double f[3], p[3];
  camera->GetFocalPoint(f);
  camera->GetPosition(p);
  f[0] += wanted.panRight_mm;
  p[0] += wanted.panRight_mm;
  f[1] += wanted.panUp_mm;
  p[1] += wanted.panUp_mm;
  camera->SetFocalPoint(f);
  camera->SetPosition(p);
}

// Lighter than the whole case: what importSeriesInto reads (voxels are shared, not copied).
Case seriesOnly(const Case& twin) {
  Case light;
  light.patientId = twin.patientId;
  light.patientName = twin.patientName;
  light.series = twin.series;
  light.volumes = twin.volumes;
  return light;
}

// The patient a series of `index` belongs to (the index knows it from the headers).
const io::DicomPatient* patientOf(const io::DicomIndex& index, const std::string& seriesUid) {
  for (const auto& patient : index.patients)
    for (const auto& study : patient.studies)
      for (const auto& series : study.series)
        if (series.seriesInstanceUid == seriesUid) return &patient;
  return nullptr;
}

bool showsIn3D(const ImageVolume* volume) {
  return volume && !volume->planar2D && volume->pixelType() != PixelType::Rgb8;
}

}  // namespace

void MainWindow::buildSeriesDock() {
  seriesPanel_ = new SeriesPanel(this);
  seriesPanel_->setObjectName("seriesPanel");
  auto* dock = new QDockWidget(tr("Series"), this);
  dock->setObjectName("seriesDock");
  dock->setWidget(seriesPanel_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  // Follow-up (issue #15 item 4): the growth table and chart, a tab beside Series.
  auto* followUp = new FollowUpPanel(document_, this);
  followUp->setObjectName("followUpPanel");
  auto* followUpDock = new QDockWidget(tr("Follow-up"), this);
  followUpDock->setObjectName("followUpDock");
  followUpDock->setWidget(followUp);
  followUpDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::RightDockWidgetArea, followUpDock);
  tabifyDockWidget(dock, followUpDock);
  dock->raise();

  connect(seriesPanel_, &SeriesPanel::backgroundChosen, this, &MainWindow::setBackgroundSeries);
  connect(seriesPanel_, &SeriesPanel::foregroundChosen, this, &MainWindow::setForegroundSeries);
  connect(seriesPanel_, &SeriesPanel::removeRequested, this, &MainWindow::removeSeriesFromCase);
  connect(seriesPanel_, &SeriesPanel::registerRequested, this, &MainWindow::registerDialog);
  connect(seriesPanel_, &SeriesPanel::removeRegistrationRequested, this,
          &MainWindow::removeRegistrationOf);
  connect(seriesPanel_->fusion(), &FusionPanel::settingsChanged, this, &MainWindow::setFusion);
  connect(seriesPanel_->fusion(), &FusionPanel::foregroundWindowChosen, this,
          &MainWindow::setForegroundWindow);
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::Volumes || part == CasePart::Registrations) showSeries();
  });
  connect(browser_, &DicomBrowser::addToCaseRequested, this, [this](const io::DicomSeries& series) {
    try {
      addSeriesToCase(series);
    } catch (const std::exception& e) {
      showError(tr("Cannot add the series"), e);
    }
  });
  connect(browser_, &DicomBrowser::removeFromCaseRequested, this, [this](const std::string& uid) {
    const auto& volumes = currentCase().volumes;
    for (std::size_t v = 0; v < volumes.size(); ++v)
      if (volumes[v].dicom.seriesInstanceUid == uid) return removeSeriesFromCase(v);
  });
  for (auto* viewport : slices_)
    connect(viewport, &SliceViewport::resized, this, [this, viewport] {
      const auto found = pendingCameras_.find(rendering::toString(viewport->view().orientation()));
      if (found != pendingCameras_.end()) setCamera(viewport->view(), found->second);
    });
  flickerTimer_ = new QTimer(this);
  flickerTimer_->setInterval(kFlickerHalfPeriod_ms);
  connect(flickerTimer_, &QTimer::timeout, this, [this] {
    for (auto* viewport : slices_) {
      viewport->view().setFlickerPhase(!viewport->view().flickerPhase());
      viewport->update();
    }
  });
}

const ImageVolume* MainWindow::backgroundVolume() const {
  const Case& twin = currentCase();
  if (const ImageVolume* chosen = findVolume(twin, background_)) return chosen;
  return twin.volumes.empty() ? nullptr : &twin.volumes.front();
}

// ---- adding and removing series ----------------------------------------------------------

bool MainWindow::addSeriesToCase(const io::DicomSeries& series, bool ask) {
  if (currentCase().volumes.empty()) return loadSeries(series);
  engine::SeriesImportOptions options;
  // The browser knows the patient from the headers: ask before any voxel is read.
  if (const io::DicomPatient* patient = patientOf(browser_->index(), series.seriesInstanceUid)) {
    if (const auto reason = engine::otherPatientReason(currentCase(), patient->id, patient->name)) {
      if (!ask) throw Error(ErrorKind::InvalidInput, *reason, patient->id);
      const auto answer = QMessageBox::warning(
          this, tr("Another patient"),
          QString::fromStdString(*reason) + "\n\n" + tr("Add it to this case anyway?"),
          QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
      if (answer != QMessageBox::Yes) return false;
      options.allowOtherPatient = true;
    }
  }
  const Case light = seriesOnly(currentCase());
  auto imported = runInBackground<engine::ImportedSeries>(
      this, tr("Adding series…"), [&light, &series, options](Progress& progress) {
        return engine::importSeriesInto(light, series, progress, options);
      });
  if (!imported) return false;
  document_->apply(
      edits::addSeries(currentCase(), std::move(imported->volume), std::move(imported->reference)));
  const ImageVolume& added = currentCase().volumes.back();
  const auto alignment = engine::seriesAlignment(currentCase(), background_, added.name);
  statusBar()->showMessage(tr("Added %1%2: %3 (Undo removes it)")
                               .arg(QString::fromStdString(added.name),
                                    imported->followUp ? tr(", a follow-up study") : QString(),
                                    QString::fromStdString(alignment.text)),
                           10000);
  return true;
}

void MainWindow::removeSeriesFromCase(std::size_t index) {
  try {
    document_->apply(edits::removeSeries(currentCase(), index));
  } catch (const std::exception& e) {
    showError(tr("Cannot remove the series"), e);
  }
}

// Dropped on the window while a case is open: the dropped volume series of the case's patient
// join the case (each an undoable step); series of another patient stay in the browser, and
// the status bar says why. Without an open case a drop only lists the series, as before.
void MainWindow::addDroppedSeriesToCase() {
  if (currentCase().volumes.empty()) return;
  std::set<std::string> inCase;
  for (const auto& reference : currentCase().series) inCase.insert(reference.seriesInstanceUid);
  QStringList added, otherPatient;
  const std::vector<std::string> dropped = lastImportedSeries_;
  for (const std::string& uid : dropped) {
    const io::DicomSeries* series = browser_->index().findSeries(uid);
    if (!series || series->kind != io::SeriesKind::Volume || inCase.count(uid)) continue;
    const io::DicomPatient* patient = patientOf(browser_->index(), uid);
    if (patient && engine::otherPatientReason(currentCase(), patient->id, patient->name)) {
      otherPatient << QString::fromStdString(series->description);
      continue;
    }
    if (!addSeriesToCase(*series, false)) break;  // cancelled
    added << QString::fromStdString(currentCase().volumes.back().name);
  }
  if (!otherPatient.isEmpty())
    statusBar()->showMessage(tr("Not added (another patient; open or add them from the DICOM "
                                "browser): %1")
                                 .arg(otherPatient.join(", ")),
                             15000);
  else if (!added.isEmpty())
    statusBar()->showMessage(tr("Added to the case: %1 (Undo removes each)").arg(added.join(", ")),
                             10000);
}

// ---- background, foreground and fusion ---------------------------------------------------

void MainWindow::setBackgroundSeries(const std::string& volumeName) {
  if (!findVolume(currentCase(), volumeName) || volumeName == background_) return;
  if (const ImageVolume* now = backgroundVolume())
    windows_[now->name] = slices_[0]->view().windowLevel();
  background_ = volumeName;
  if (fusion_.foreground == volumeName) fusion_.foreground.clear();
  pointViewsAtBackground();
}

void MainWindow::setForegroundSeries(const std::string& volumeName) {
  fusion_.foreground = volumeName;
  applyFusion();
  showSeriesLists();
}

void MainWindow::setFusion(const FusionSettings& settings) {
  const std::string foreground = fusion_.foreground;
  fusion_ = settings;
  fusion_.foreground = foreground;  // chosen in the series list, not here
  applyFusion();
}

void MainWindow::setForegroundWindow(const WindowLevel& window) {
  if (fusion_.foreground.empty()) return;
  windows_[fusion_.foreground] = window;
  applyFusion();
}

// The views show the background series again (after it changed, or the case's volumes were
// replaced by an edit): same crosshair, the series' own window.
void MainWindow::pointViewsAtBackground() {
  const ImageVolume* image = backgroundVolume();
  const Vec3 crosshair = slices_[0]->view().crosshair();
  // The same series again (another series was added or removed): keep each view's zoom and pan.
  const bool sameSeries = image && image->name == shownBackground_;
  shownBackground_ = image ? image->name : std::string();
  for (auto* viewport : slices_) {
    vtkNew<vtkCamera> camera;
    camera->DeepCopy(viewport->view().renderer()->GetActiveCamera());
    viewport->discardFrame();
    viewport->view().clearForeground();
    viewport->view().setVolume(image);
    if (sameSeries) viewport->view().renderer()->GetActiveCamera()->DeepCopy(camera);
  }
  if (image) {
    if (!windows_.count(image->name)) windows_[image->name] = rendering::initialWindow(*image);
    setWindowLevel(windows_[image->name]);
    setCrosshair(crosshair);
  }
  volume_->discardFrame();
  volume_->view().setVolume(showsIn3D(image) ? image : nullptr);
  if (auto* volumePresets = findChild<QComboBox*>("volumePresets")) {
    const QSignalBlocker blocker(volumePresets);
    const auto presets = rendering::allVolumePresets();
    volumePresets->setCurrentIndex(static_cast<int>(
        std::find(presets.begin(), presets.end(), volume_->view().preset()) - presets.begin()));
  }
  volume_->update();
  applyFusion();
  showSeriesLists();
  showLandmarkMarkers();
  updateOverlays();
}

void MainWindow::showSeries() {
  // The edit replaced the list of volumes: every borrowed pointer is re-pointed.
  if (!findVolume(currentCase(), background_))
    background_ =
        currentCase().volumes.empty() ? std::string() : currentCase().volumes.front().name;
  if (!findVolume(currentCase(), fusion_.foreground)) fusion_.foreground.clear();
  pointViewsAtBackground();
}

void MainWindow::applyFusion() {
  const Case& twin = currentCase();
  const ImageVolume* background = backgroundVolume();
  const ImageVolume* foreground = findVolume(twin, fusion_.foreground);
  std::optional<SpatialTransform> backgroundToForeground;
  if (background && foreground && foreground != background)
    backgroundToForeground =
        engine::seriesAlignment(twin, background->name, foreground->name).backgroundToSeries;
  if (foreground && (!backgroundToForeground || !showsIn3D(foreground))) {
    statusBar()->showMessage(
        tr("%1 is not fused: it is not registered to %2 (register it first)")
            .arg(QString::fromStdString(foreground->name),
                 QString::fromStdString(background ? background->name : std::string())),
        10000);
    fusion_.foreground.clear();
    foreground = nullptr;
  }
  if (foreground && !windows_.count(foreground->name))
    windows_[foreground->name] = rendering::initialWindow(*foreground);
  for (auto* viewport : slices_) {
    rendering::SliceView& view = viewport->view();
    try {
      view.setSlab(rendering::slabModeFromString(fusion_.slab), fusion_.slabThickness_mm);
      view.setColourBarVisible(fusion_.colourBar);
      if (foreground) {
        rendering::FusionLayer layer;
        layer.volume = foreground;
        layer.backgroundToLayer = *backgroundToForeground;
        layer.window = windows_[foreground->name];
        layer.colourMap = rendering::colourMapFromString(fusion_.colourMap);
        layer.opacity = fusion_.opacity;
        view.setForeground(layer);
        view.setFusionMode(rendering::fusionModeFromString(fusion_.mode), fusion_.checker_mm);
        view.setFlickerPhase(true);
      } else {
        view.clearForeground();
      }
    } catch (const std::exception& e) {
      view.clearForeground();
      statusBar()->showMessage(tr("Fusion not shown: %1").arg(e.what()), 10000);
    }
    viewport->update();
  }
  const bool flicker = foreground && fusion_.mode == "flicker";
  if (flicker && !flickerTimer_->isActive()) flickerTimer_->start();
  if (!flicker) flickerTimer_->stop();
  seriesPanel_->fusion()->showSettings(fusion_, foreground,
                                       foreground ? windows_[foreground->name] : WindowLevel{});
}

void MainWindow::showSeriesLists() {
  const Case& twin = currentCase();
  const ImageVolume* background = backgroundVolume();
  seriesPanel_->showSeries(twin, background ? background->name : std::string(), fusion_.foreground);
  std::set<std::string> uids;
  for (const auto& reference : twin.series) uids.insert(reference.seriesInstanceUid);
  browser_->setCaseSeries(std::move(uids), !twin.volumes.empty());
}

// The foreground's value at the cursor, through its transform, for the status bar.
QString MainWindow::foregroundReadout(const Vec3& p_lps) const {
  const rendering::SliceView& view = slices_[0]->view();
  if (!view.hasForeground()) return {};
  const auto value = view.foregroundValueAt(p_lps);
  const ImageVolume& layer = *view.foreground().volume;
  return QString("   %1 %2")
      .arg(QString::fromStdString(layer.name),
           value ? QString::number(*value, 'f', 2) + " " + QString::fromStdString(layer.unit)
                 : QString("—"));
}

// ---- view state --------------------------------------------------------------------------

ViewState MainWindow::viewState() const {
  ViewState state;
  state.layout = layoutName(layoutBefore2D_ ? *layoutBefore2D_ : layout_);
  const ImageVolume* background = backgroundVolume();
  state.windows = windows_;
  if (background) {
    state.background = background->name;
    state.crosshair_lps = slices_[0]->view().crosshair();
    state.windows[background->name] = slices_[0]->view().windowLevel();
    for (auto* viewport : slices_)
      state.cameras[rendering::toString(viewport->view().orientation())] =
          cameraOf(viewport->view());
  }
  state.fusion = fusion_;
  // While placing, the views show the placing side's series: the state saved is the one the
  // user will come back to.
  if (beforePlacing_) {
    state.background = beforePlacing_->first;
    state.fusion.foreground = beforePlacing_->second;
  }
  state.landmarks = landmarks_->session();
  return state;
}

const ImageVolume* MainWindow::beginShowingSeries() {
  background_.clear();
  shownBackground_.clear();
  fusion_ = FusionSettings{};
  windows_.clear();
  pendingCameras_.clear();
  flickerTimer_->stop();
  for (auto* viewport : slices_) viewport->view().clearForeground();
  const Case& twin = currentCase();
  if (!twin.viewState.empty()) {
    try {
      const ViewState state = viewStateFromJson(twin.viewState);
      if (findVolume(twin, state.background)) background_ = state.background;
    } catch (const std::exception&) {
      // finishShowingSeries says so.
    }
  }
  return backgroundVolume();
}

void MainWindow::finishShowingSeries() {
  const Case& twin = currentCase();
  const ImageVolume* background = backgroundVolume();
  shownBackground_ = background ? background->name : std::string();
  background_ = shownBackground_;
  if (background) windows_[background->name] = slices_[0]->view().windowLevel();
  if (!twin.viewState.empty() && background) {
    try {
      const ViewState state = viewStateFromJson(twin.viewState);
      for (const auto& [name, window] : state.windows)
        if (findVolume(twin, name)) windows_[name] = window;
      fusion_ = state.fusion;
      if (!background->planar2D) {
        const Layout layout = layoutFromString(state.layout);
        setLayout(layout);
        // The View menu's layout entries (Ctrl+1..3, in Layout's order) show the restored one.
        const QKeySequence key(QString("Ctrl+%1").arg(static_cast<int>(layout) + 1));
        for (QAction* action : menuBar()->findChildren<QAction*>())
          if (action->isCheckable() && action->shortcut() == key) action->setChecked(true);
      }
      setWindowLevel(windows_[background->name]);
      if (state.crosshair_lps) setCrosshair(*state.crosshair_lps);
      pendingCameras_ = state.cameras;
      applyCameras();
      QTimer::singleShot(kCameraSettle_ms, this, [this] { pendingCameras_.clear(); });
    } catch (const std::exception& e) {
      statusBar()->showMessage(tr("Views not restored: %1").arg(e.what()), 10000);
    }
  }
  applyFusion();
  showSeriesLists();
}

void MainWindow::applyCameras() {
  for (auto* viewport : slices_) {
    const auto found = pendingCameras_.find(rendering::toString(viewport->view().orientation()));
    if (found == pendingCameras_.end()) continue;
    setCamera(viewport->view(), found->second);
    viewport->update();
  }
}

}  // namespace twinplan::ui
