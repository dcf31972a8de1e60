#include "twinplan/ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QFileDialog>
#include <QGridLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QToolBar>
#include <cmath>

#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

using rendering::SliceOrientation;
using rendering::WindowLevel;

Layout layoutFromString(const std::string& name) {
  if (name == "4up") return Layout::FourUp;
  if (name == "1up") return Layout::OneUp;
  if (name == "1+3") return Layout::OnePlusThree;
  throw Error(ErrorKind::InvalidInput, "Unknown layout '" + name + "': use 4up, 1up or 1+3.", "--layout");
}

namespace {

struct WindowPreset {
  const char* name;
  WindowLevel wl;
};
// Common CT display windows (width/level in HU), e.g. Hoang et al., "Window settings in CT",
// and radiology teaching references: brain 80/40, soft tissue 400/40, lung 1500/-600,
// bone 1800/400, liver 150/30.
const WindowPreset kCtPresets[] = {
    {"CT brain", {80, 40}},   {"CT soft tissue", {400, 40}}, {"CT lung", {1500, -600}},
    {"CT bone", {1800, 400}}, {"CT liver", {150, 30}},
};

// MR has no calibrated units: start from the 1st..99th percentile of the voxel values.
WindowLevel autoWindow(const ImageVolume& volume) {
  std::vector<double> values;
  const std::size_t n = volume.voxelCount();
  const std::size_t step = std::max<std::size_t>(1, n / 20000);
  const auto& g = volume.geometry();
  for (std::size_t index = 0; index < n; index += step) {
    const auto i = static_cast<std::int64_t>(index % g.size[0]);
    const auto j = static_cast<std::int64_t>((index / g.size[0]) % g.size[1]);
    const auto k = static_cast<std::int64_t>(index / (g.size[0] * g.size[1]));
    values.push_back(volume.valueAt(i, j, k));
  }
  std::sort(values.begin(), values.end());
  const double lo = values[values.size() / 100], hi = values[values.size() * 99 / 100];
  return {std::max(hi - lo, 1.0), (hi + lo) / 2.0};
}

}  // namespace

MainWindow::MainWindow() {
  setWindowTitle("TwinPlan");
  viewArea_ = new QWidget(this);
  grid_ = new QGridLayout(viewArea_);
  grid_->setContentsMargins(2, 2, 2, 2);
  grid_->setSpacing(2);
  const SliceOrientation orientations[3] = {SliceOrientation::Axial, SliceOrientation::Sagittal,
                                            SliceOrientation::Coronal};
  for (int v = 0; v < 3; ++v) {
    slices_[v] = new SliceViewport(orientations[v], viewArea_);
    connect(slices_[v], &SliceViewport::crosshairMoved, this, &MainWindow::setCrosshair);
    connect(slices_[v], &SliceViewport::windowLevelChanged, this, &MainWindow::setWindowLevel);
    connect(slices_[v], &SliceViewport::cursorMoved, this, &MainWindow::showCursor);
  }
  volume_ = new VolumeViewport(viewArea_);
  setCentralWidget(viewArea_);
  readout_ = new QLabel(this);
  statusBar()->addPermanentWidget(readout_);
  browser_ = new DicomBrowser(this);
  auto* dock = new QDockWidget(tr("DICOM"), this);
  dock->setObjectName("dicomDock");
  dock->setWidget(browser_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::LeftDockWidgetArea, dock);
  resizeDocks({dock}, {420}, Qt::Horizontal);
  connect(browser_, &DicomBrowser::importRequested, this, &MainWindow::importDialog);
  connect(browser_, &DicomBrowser::seriesActivated, this, [this](const io::DicomSeries& series) {
    try {
      loadSeries(series);
    } catch (const std::exception& e) {
      showError(tr("Cannot load series"), e);
    }
  });
  setAcceptDrops(true);
  buildMenus();
  buildToolbar();
  setLayout(Layout::FourUp);
  resize(1400, 900);
}

MainWindow::~MainWindow() = default;

SliceViewport* MainWindow::sliceViewport(SliceOrientation orientation) const {
  for (auto* viewport : slices_)
    if (viewport->view().orientation() == orientation) return viewport;
  return nullptr;
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open case…"), QKeySequence::Open, this, &MainWindow::openCaseDialog);
  file->addAction(tr("&Import DICOM…"), QKeySequence(tr("Ctrl+I")), this, &MainWindow::importDialog);
  file->addAction(tr("&Save case"), QKeySequence::Save, this, &MainWindow::saveCase);
  file->addAction(tr("Save case &as…"), QKeySequence::SaveAs, this, &MainWindow::saveCaseAsDialog);
  file->addAction(tr("Save &screenshot…"), QKeySequence(tr("Ctrl+Shift+S")), this,
                  &MainWindow::saveScreenshotDialog);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
  QMenu* view = menuBar()->addMenu(tr("&View"));
  auto* group = new QActionGroup(this);
  const std::pair<const char*, Layout> layouts[] = {
      {"Four views (4-up)", Layout::FourUp}, {"One view (1-up)", Layout::OneUp}, {"One large + three (1+3)", Layout::OnePlusThree}};
  int key = 1;
  for (const auto& [name, layout] : layouts) {
    QAction* action = view->addAction(tr(name));
    action->setCheckable(true);
    action->setChecked(layout == Layout::FourUp);
    action->setShortcut(QKeySequence(QString("Ctrl+%1").arg(key++)));
    group->addAction(action);
    connect(action, &QAction::triggered, this, [this, layout = layout] { setLayout(layout); });
  }
}

void MainWindow::buildToolbar() {
  QToolBar* bar = addToolBar(tr("Display"));
  bar->setMovable(false);
  bar->addWidget(new QLabel(tr(" Window: "), bar));
  auto* presets = new QComboBox(bar);
  presets->setToolTip(tr("Window/level preset (right-drag in a view to adjust)"));
  for (const auto& preset : kCtPresets) presets->addItem(tr(preset.name));
  presets->addItem(tr("Auto (MR)"));
  presets->setCurrentIndex(1);
  connect(presets, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (index < static_cast<int>(std::size(kCtPresets))) {
      setWindowLevel(kCtPresets[index].wl);
    } else if (!case_.volumes.empty()) {
      setWindowLevel(autoWindow(case_.volumes.front()));
    }
  });
  bar->addWidget(presets);
  bar->addSeparator();
  bar->addWidget(new QLabel(tr(" 3D: "), bar));
  auto* volumePresets = new QComboBox(bar);
  volumePresets->setToolTip(tr("Volume rendering preset"));
  for (auto preset : rendering::allVolumePresets()) volumePresets->addItem(tr(rendering::toString(preset)));
  connect(volumePresets, &QComboBox::currentIndexChanged, this, [this](int index) {
    volume_->view().setPreset(rendering::allVolumePresets()[static_cast<std::size_t>(index)]);
    volume_->update();
  });
  bar->addWidget(volumePresets);
}

void MainWindow::setLayout(Layout layout) {
  layout_ = layout;
  QWidget* views[4] = {slices_[0], slices_[1], slices_[2], volume_};
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

void MainWindow::openCase(const std::filesystem::path& file) {
  setCase(loadCase(file));
  caseFile_ = file;
  setWindowTitle(QString("TwinPlan — %1").arg(QString::fromStdString(case_.name)));
}

void MainWindow::setCase(Case twin) {
  case_ = std::move(twin);
  ImageVolume* image = case_.volumes.empty() ? nullptr : &case_.volumes.front();
  const LabelMap* labels = case_.labelMaps.empty() ? nullptr : &case_.labelMaps.front();
  for (auto* viewport : slices_) {
    viewport->view().setVolume(image);
    viewport->view().setLabelMap(labels);
  }
  volume_->view().setVolume(image);
  if (image) {
    setWindowLevel(image->dicom.modality == "CT" ? kCtPresets[1].wl : autoWindow(*image));
    setCrosshair(slices_[0]->view().crosshair());
  }
  updateOverlays();
  volume_->update();
}

void MainWindow::setWindowLevel(const WindowLevel& wl) {
  for (auto* viewport : slices_) {
    viewport->view().setWindowLevel(wl);
    viewport->update();
  }
  updateOverlays();
}

void MainWindow::setCrosshair(const Vec3& p_lps) {
  for (auto* viewport : slices_) {
    viewport->view().setCrosshair(p_lps);
    viewport->update();
  }
  updateOverlays();
}

void MainWindow::showCursor(const Vec3& p_lps, bool inside) {
  if (!inside || case_.volumes.empty()) {
    readout_->clear();
    return;
  }
  const ImageVolume& image = case_.volumes.front();
  const Vec3 ijk = image.geometry().lpsToIndex(p_lps);
  QString value = "—";
  if (image.geometry().contains(ijk)) {
    const double v = image.valueAt(std::lround(ijk[0]), std::lround(ijk[1]), std::lround(ijk[2]));
    value = QString::number(v, 'f', image.pixelType() == PixelType::Float32 ? 2 : 0) + " " +
            QString::fromStdString(image.unit);
  }
  readout_->setText(QString("L %1  P %2  S %3 mm   voxel (%4, %5, %6)   %7")
                        .arg(p_lps[0], 0, 'f', 1).arg(p_lps[1], 0, 'f', 1).arg(p_lps[2], 0, 'f', 1)
                        .arg(std::lround(ijk[0])).arg(std::lround(ijk[1])).arg(std::lround(ijk[2]))
                        .arg(value));
}

void MainWindow::updateOverlays() {
  if (case_.volumes.empty()) return;
  const ImageVolume& image = case_.volumes.front();
  const std::string patient = case_.patientName.empty() ? image.dicom.patientName : case_.patientName;
  const std::string left = patient + "\n" + image.dicom.modality + "  " + image.dicom.seriesDescription;
  for (auto* viewport : slices_) {
    const auto& view = viewport->view();
    char text[160];
    std::snprintf(text, sizeof text, "%s %.1f mm\nW %.0f  L %.0f", rendering::toString(view.orientation()),
                  view.slicePosition_mm(), view.windowLevel().window, view.windowLevel().level);
    viewport->view().setOverlayText(left, text);
  }
}

void MainWindow::openCaseDialog() {
  const QString file = QFileDialog::getOpenFileName(this, tr("Open case"), {}, tr("TwinPlan cases (*.twinplan)"));
  if (file.isEmpty()) return;
  try {
    openCase(file.toStdString());
  } catch (const std::exception& e) {
    showError(tr("Cannot open case"), e);
  }
}

bool MainWindow::importDicom(const std::filesystem::path& path) {
  auto index = runInBackground<io::DicomIndex>(
      this, tr("Reading DICOM headers…"), [path](Progress& progress) { return io::scanDicom(path, progress); });
  if (!index) {
    statusBar()->showMessage(tr("Import cancelled"), 5000);
    return false;
  }
  const std::size_t skipped = index->skipped.size();
  browser_->setIndex(std::move(*index));
  statusBar()->showMessage(tr("Imported %1: %2 series, %3 files skipped")
                               .arg(QString::fromStdString(path.string()))
                               .arg(browser_->index().allSeries().size())
                               .arg(skipped),
                           10000);
  return true;
}

bool MainWindow::loadSeries(const io::DicomSeries& series) {
  if (series.kind != io::SeriesKind::Volume) {
    throw Error(ErrorKind::Unsupported, "Series \"" + series.description + "\" is a " +
                                            io::toString(series.kind) + ", not an image volume: " + series.kindReason,
                series.seriesInstanceUid);
  }
  auto volume = runInBackground<ImageVolume>(this, tr("Loading series…"), [&series](Progress& progress) {
    return io::loadVolume(series, {}, progress);
  });
  if (!volume) return false;
  Case twin;
  volume->name = volume->dicom.modality.empty() ? "Image" : volume->dicom.modality;
  twin.name = volume->dicom.patientName;
  twin.patientName = volume->dicom.patientName;
  twin.patientId = volume->dicom.patientId;
  SeriesReference reference{series.seriesInstanceUid, series.description, {}};
  for (const auto& instance : series.instances) reference.files.push_back(instance.file.string());
  twin.series.push_back(std::move(reference));
  const std::vector<std::string> assumptions = volume->assumptions;
  twin.volumes.push_back(std::move(*volume));
  setCase(std::move(twin));
  caseFile_.clear();
  if (!assumptions.empty()) {
    QString text;
    for (const auto& a : assumptions) text += "• " + QString::fromStdString(a) + "\n";
    QMessageBox::information(this, tr("Imported with assumptions"), text.trimmed());
  }
  return true;
}

bool MainWindow::saveCaseAs(const std::filesystem::path& file) {
  const Case* twin = &case_;
  const bool saved = runInBackground(this, tr("Saving case…"), [twin, file](Progress& progress) {
    twinplan::saveCase(*twin, file, progress);
  });
  if (saved) {
    caseFile_ = file;
    statusBar()->showMessage(tr("Saved %1").arg(QString::fromStdString(file.string())), 5000);
  }
  return saved;
}

void MainWindow::importDialog() {
  const QString folder = QFileDialog::getExistingDirectory(this, tr("Import DICOM folder"));
  if (folder.isEmpty()) return;
  try {
    importDicom(folder.toStdString());
  } catch (const std::exception& e) {
    showError(tr("Cannot import"), e);
  }
}

void MainWindow::saveCase() {
  if (caseFile_.empty()) return saveCaseAsDialog();
  try {
    saveCaseAs(caseFile_);
  } catch (const std::exception& e) {
    showError(tr("Cannot save case"), e);
  }
}

void MainWindow::saveCaseAsDialog() {
  QString file = QFileDialog::getSaveFileName(this, tr("Save case"), "case.twinplan", tr("TwinPlan cases (*.twinplan)"));
  if (file.isEmpty()) return;
  if (!file.endsWith(".twinplan")) file += ".twinplan";
  try {
    saveCaseAs(file.toStdString());
  } catch (const std::exception& e) {
    showError(tr("Cannot save case"), e);
  }
}

void MainWindow::showError(const QString& title, const std::exception& error) {
  QMessageBox::warning(this, title, QString::fromStdString(error.what()));
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.isEmpty()) return;
  const std::filesystem::path path = urls.front().toLocalFile().toStdString();
  try {
    if (path.extension() == ".twinplan") {
      openCase(path);
    } else {
      importDicom(path);
    }
  } catch (const std::exception& e) {
    showError(tr("Cannot open"), e);
  }
}

void MainWindow::saveScreenshotDialog() {
  const QString file = QFileDialog::getSaveFileName(this, tr("Save screenshot"), "twinplan.png", tr("PNG images (*.png)"));
  if (!file.isEmpty()) grab().save(file, "PNG");
}

}  // namespace twinplan::ui
