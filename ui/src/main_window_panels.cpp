#include <QDockWidget>
#include <QInputDialog>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QShortcut>
#include <QStatusBar>
#include <QVBoxLayout>
#include <tuple>

#include "twinplan/core/measurement.h"
#include "twinplan/engine/models.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/display_list_panel.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

// The panels of the main window: DICOM browser, measurements, 3D models and segments (the
// views and the window's frame are in main_window.cpp, files in main_window_files.cpp).

namespace {

DisplayItem displayItem(const SurfaceMesh& mesh) {
  const std::string details = mesh.name + ": " + std::to_string(mesh.triangles.size()) +
                              " triangles" +
                              (mesh.segmentName.empty() ? "" : ", from " + mesh.segmentName);
  return {mesh.name, details, mesh.colour, mesh.opacity, mesh.visible};
}

DisplayItem displayItem(const Segment& segment) {
  const std::string details =
      segment.name + (segment.tissueType.empty() ? "" : " (" + segment.tissueType + ")");
  return {segment.name, details, segment.colour, std::nullopt, segment.visible};
}

template <class T>
std::vector<DisplayItem> displayItems(const std::vector<T>& things) {
  std::vector<DisplayItem> items;
  for (const T& thing : things) items.push_back(displayItem(thing));
  return items;
}

}  // namespace

void MainWindow::buildDocks() {
  browser_ = new DicomBrowser(this);
  auto* dicomDock = new QDockWidget(tr("DICOM"), this);
  dicomDock->setObjectName("dicomDock");
  dicomDock->setWidget(browser_);
  dicomDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::LeftDockWidgetArea, dicomDock);
  connect(browser_, &DicomBrowser::importRequested, this, &MainWindow::importDialog);
  connect(browser_, &DicomBrowser::skippedFilesRequested, this, &MainWindow::showSkippedFiles);
  connect(browser_, &DicomBrowser::seriesActivated, this, [this](const io::DicomSeries& series) {
    try {
      // The keys go to the image just opened (Up/Down scroll it), not on down the list.
      if (loadSeries(series)) slices_[0]->setFocus(Qt::OtherFocusReason);
    } catch (const std::exception& e) {
      showError(tr("Cannot load series"), e);
    }
  });

  measurementList_ = new QListWidget(this);
  measurementList_->setToolTip(tr("Double-click to rename · Delete to remove · Click to go to it"));
  measurementList_->setWordWrap(true);  // ROI statistics are a long line
  auto* measurementDock = new QDockWidget(tr("Measurements"), this);
  measurementDock->setObjectName("measurementDock");
  measurementDock->setWidget(measurementList_);
  measurementDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::LeftDockWidgetArea, measurementDock);
  resizeDocks({dicomDock, measurementDock}, {420, 420}, Qt::Horizontal);
  connect(measurementList_, &QListWidget::itemDoubleClicked, this,
          [this](QListWidgetItem* item) { renameMeasurement(measurementList_->row(item)); });
  connect(measurementList_, &QListWidget::currentRowChanged, this, [this](int row) {
    const auto& measurements = document_->twin().measurements;
    if (row >= 0 && row < static_cast<int>(measurements.size()) &&
        !measurements[row].points_lps.empty())
      setCrosshair(measurements[row].points_lps.front());
  });
  auto* remove = new QShortcut(QKeySequence::Delete, measurementList_);
  connect(remove, &QShortcut::activated, this, &MainWindow::deleteSelectedMeasurement);
  buildDisplayDocks();
  buildSegmentDocks();
  buildSeriesDock();
  buildLandmarkDock();
  buildAblationDock();
  buildHeadsetDock();
  buildShiftDock();
  buildRtDock();
}

void MainWindow::buildDisplayDocks() {
  // Models and segments share one place, as tabs: each list is short.
  models_ = new DisplayListPanel(tr("Model"), this);
  models_->setObjectName("modelList");
  segments_ = new DisplayListPanel(tr("Segment"), this);
  segments_->setObjectName("segmentList");
  QDockWidget* docks[2];
  const std::tuple<DisplayListPanel*, QString, const char*, CaseDocument::Shown> lists[] = {
      {models_, tr("3D models"), "modelsDock", CaseDocument::Shown::Mesh},
      {segments_, tr("Segments"), "segmentsDock", CaseDocument::Shown::Segment}};
  int d = 0;
  for (const auto& [panel, title, name, what] : lists) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(name);
    dock->setWidget(panel == segments_ ? withBuildButton(segments_) : panel);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    connect(panel, &DisplayListPanel::displayEdited, this,
            [this, what = what](std::size_t index, const DisplayItem& item, bool continuing) {
              document_->setDisplay(what, index,
                                    {item.colour, item.opacity.value_or(1.0f), item.visible},
                                    continuing);
            });
    docks[d++] = dock;
  }
  tabifyDockWidget(docks[0], docks[1]);
  docks[0]->raise();
  // The browser gets most of the column.
  resizeDocks(
      {findChild<QDockWidget*>("dicomDock"), findChild<QDockWidget*>("measurementDock"), docks[0]},
      {420, 130, 260}, Qt::Vertical);
  connect(document_, &CaseDocument::displayChanged, this, &MainWindow::showDisplay);
  connect(document_, &CaseDocument::meshesChanged, this, [this] {
    models_->setItems(displayItems(document_->twin().meshes));
    showMeshesIn3D();
    volume_->update();
  });
}

QWidget* MainWindow::withBuildButton(QWidget* segmentList) {
  auto* box = new QWidget(this);
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(segmentList);
  auto* build = new QPushButton(tr("Build 3D models"), box);
  build->setObjectName("buildModels");
  build->setToolTip(
      tr("Closed surface models of the ticked segments, shown in 3D and saved "
         "with the case (undoable)"));
  connect(build, &QPushButton::clicked, this, [this] {
    try {
      buildModels();
    } catch (const std::exception& e) {
      showError(tr("Cannot build 3D models"), e);
    }
  });
  layout->addWidget(build);
  return box;
}

bool MainWindow::buildModels() {
  const Case& twin = document_->twin();
  std::vector<std::size_t> ticked;
  if (!twin.labelMaps.empty()) {
    const auto& segments = twin.labelMaps.front().segments();
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (segments[i].visible) ticked.push_back(i);
  }
  if (ticked.empty()) {
    statusBar()->showMessage(tr("Tick the segments to build 3D models of."), 8000);
    return false;
  }
  const LabelMap labels = twin.labelMaps.front();  // the copy shares the voxels
  auto built = runInBackground<std::vector<SurfaceMesh>>(
      this, tr("Building 3D models…"), [labels, ticked](Progress& progress) {
        return engine::buildModels(labels, ticked, engine::anatomyModelOptions(), progress);
      });
  if (!built) return false;
  if (built->empty()) {
    statusBar()->showMessage(tr("The ticked segments have no voxels."), 8000);
    return false;
  }
  const auto count = built->size();
  document_->updateSegmentMeshes(std::move(*built));
  statusBar()->showMessage(tr("Built %n 3D model(s).", nullptr, static_cast<int>(count)), 8000);
  return true;
}

void MainWindow::showDisplayLists() {
  const Case& twin = document_->twin();
  models_->setItems(displayItems(twin.meshes));
  segments_->setItems(twin.labelMaps.empty() ? std::vector<DisplayItem>{}
                                             : displayItems(twin.labelMaps.front().segments()));
}

void MainWindow::showDisplay(CaseDocument::Shown what, std::size_t index) {
  const Case& twin = document_->twin();
  if (what == CaseDocument::Shown::Segment) {
    segments_->showItem(index, displayItem(twin.labelMaps.front().segments()[index]));
    for (auto* viewport : slices_) {
      viewport->view().setLabelMaps(shownLabelMaps());  // re-blends
      viewport->update();
    }
    return;
  }
  const SurfaceMesh& mesh = twin.meshes[index];
  models_->showItem(index, displayItem(mesh));
  rendering::VolumeView& view = volume_->view();
  if (index >= view.meshCount()) return;  // the 3D scene is not built yet: it will read the case
  view.setMeshVisible(index, mesh.visible);
  view.setMeshOpacity(index, mesh.opacity);
  view.setMeshColour(index, mesh.colour);
  volume_->update();
}

void MainWindow::showMeasurements() {
  const Case& twin = document_->twin();
  const ImageVolume* image = twin.volumes.empty() ? nullptr : &twin.volumes.front();
  measurementList_->clear();
  for (const Measurement& m : twin.measurements) {
    QString text;
    try {
      text = QString::fromStdString(describe(m, image));
    } catch (const std::exception& e) {
      text = QString::fromStdString(m.name + ": " + e.what());
    }
    measurementList_->addItem(text);
  }
  for (auto* viewport : slices_) {
    viewport->view().setMeasurements(&twin.measurements);
    viewport->update();
  }
  shareAnnotations();  // a headset and participants see them as the presenter's notes
}

void MainWindow::deleteSelectedMeasurement() {
  const int row = measurementList_->currentRow();
  if (row >= 0) document_->removeMeasurement(static_cast<std::size_t>(row));
}

void MainWindow::renameMeasurement(int row) {
  const auto& measurements = document_->twin().measurements;
  if (row < 0 || row >= static_cast<int>(measurements.size())) return;
  bool ok = false;
  const QString name =
      QInputDialog::getText(this, tr("Rename measurement"), tr("Name:"), QLineEdit::Normal,
                            QString::fromStdString(measurements[row].name), &ok);
  if (!ok || name.trimmed().isEmpty()) return;
  Measurement renamed = measurements[row];
  renamed.name = name.trimmed().toStdString();
  document_->replaceMeasurement(static_cast<std::size_t>(row), std::move(renamed));
}

// ---- views -------------------------------------------------------------------------------

}  // namespace twinplan::ui
