#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QThread>
#include <QTime>
#include <QTimer>
#include <QUrl>

#include "twinplan/core/error.h"
#include "twinplan/engine/case_import.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/io/dicom_image2d.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/case_file_name.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/dicom_thumbnails.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

// Files, import, autosave and recovery of the main window (the rest is in main_window.cpp).

namespace {

// Beside the autosave, the file the autosaved case belongs to (empty: never saved), so that a
// recovered case keeps its name and Save writes to it (the core's Autosaver stores cases only).
std::filesystem::path originFileOf(const Autosaver& autosaver) {
  return autosaver.file().string() + ".origin";
}

void writeOrigin(const Autosaver& autosaver, const std::filesystem::path& caseFile) {
  QSaveFile origin(QString::fromStdString(originFileOf(autosaver).string()));
  if (!origin.open(QIODevice::WriteOnly) ||
      origin.write(QByteArray::fromStdString(caseFile.string())) < 0 || !origin.commit()) {
    throw Error(
        ErrorKind::Io,
        "Cannot write the autosave's case name: " + origin.errorString().toStdString() + ".",
        originFileOf(autosaver).string());
  }
}

std::filesystem::path readOrigin(const Autosaver& autosaver) {
  QFile origin(QString::fromStdString(originFileOf(autosaver).string()));
  if (!origin.open(QIODevice::ReadOnly)) return {};  // an autosave of an older version
  return origin.readAll().toStdString();
}

}  // namespace

void MainWindow::openCase(const std::filesystem::path& file) {
  if (!confirmDiscard()) return;
  auto twin = runInBackground<Case>(
      this, tr("Opening case…"), [file](Progress& progress) { return loadCase(file, progress); });
  if (!twin) return;
  document_->reset(std::move(*twin), file);
  listCaseSeriesInBrowser();
  QTimer::singleShot(0, this, [this, file] { rememberRecent(file); });
}

void MainWindow::listCaseSeriesInBrowser() {
  // The case records each series' files (Case::series, absolute paths when saved); in a fresh
  // session the browser lists nothing, so the files still there are scanned - as links in one
  // folder, like dropped files - and the series selected. Moved files are only reported.
  std::vector<std::filesystem::path> present;
  QStringList moved;
  std::size_t missingFiles = 0;
  for (const SeriesReference& reference : currentCase().series) {
    if (browser_->index().findSeries(reference.seriesInstanceUid)) continue;
    std::size_t missing = 0;
    for (const std::string& file : reference.files) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(file, ec))
        present.emplace_back(file);
      else
        ++missing;
    }
    missingFiles += missing;
    if (missing > 0)
      moved << tr("%1 (%2 of %3 files)")
                   .arg(QString::fromStdString(reference.description.empty()
                                                   ? reference.seriesInstanceUid
                                                   : reference.description))
                   .arg(missing)
                   .arg(reference.files.size());
  }
  if (!present.empty()) {
    auto links = std::make_unique<QTemporaryDir>();
    if (!links->isValid()) {  // the case is open all the same; only the browser stays empty
      statusBar()->showMessage(tr("The case's series are not listed in the DICOM browser: no "
                                  "temporary folder (%1). Import their folder to list them.")
                                   .arg(links->errorString()),
                               30000);
      return;
    }
    const std::filesystem::path folder = links->path().toStdString();
    std::size_t n = 0;
    for (const auto& file : present) {
      std::error_code ec;
      std::filesystem::create_symlink(
          file, folder / (std::to_string(n++) + "-" + file.filename().string()), ec);
    }
    dropFolders_.push_back(std::move(links));
    auto index = runInBackground<io::DicomIndex>(
        this, tr("Listing the case's DICOM series…"),
        [folder](Progress& progress) { return io::scanDicom(folder, progress); });
    if (index) {
      browser_->addIndex(std::move(*index));
      showSeriesLists();  // marks and selects the case's series
    }
  }
  if (!moved.isEmpty())
    statusBar()->showMessage(
        tr("%n file(s) of the case's series are no longer where the case was saved: %1. Import "
           "their new folder to list them in the DICOM browser.",
           nullptr, static_cast<int>(missingFiles))
            .arg(moved.join(", ")),
        30000);
}

void MainWindow::rememberRecent(const std::filesystem::path& file) {
  QSettings settings;
  QStringList recent = settings.value("recentCases").toStringList();
  const QString path = QString::fromStdString(std::filesystem::absolute(file).string());
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > 8) recent.removeLast();
  settings.setValue("recentCases", recent);
  updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
  recentMenu_->clear();
  const QStringList recent = QSettings().value("recentCases").toStringList();
  for (const QString& path : recent) {
    recentMenu_
        ->addAction(QFileInfo(path).fileName(), this,
                    [this, path] {
                      try {
                        openCase(path.toStdString());
                      } catch (const std::exception& e) {
                        showError(tr("Cannot open case"), e);
                      }
                    })
        ->setToolTip(path);
  }
  recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::newCase() {
  if (!confirmDiscard()) return;
  document_->reset(Case{});
}

void MainWindow::showSkippedFiles() {
  const auto& skipped = browser_->index().skipped;
  if (skipped.empty()) return;
  QString details;
  for (const auto& file : skipped)
    details += QString::fromStdString(file.file.string() + "\n    " + file.reason) + "\n";
  QMessageBox box(QMessageBox::Information, tr("Skipped files"),
                  tr("%n file(s) could not be used; see the details for each reason.", nullptr,
                     static_cast<int>(skipped.size())),
                  QMessageBox::Ok, this);
  box.setDetailedText(details);
  box.exec();
}
// ---- files -------------------------------------------------------------------------------

bool MainWindow::importDicom(const std::filesystem::path& path) {
  struct Scan {
    io::DicomIndex index;
    std::map<std::string, QImage> thumbnails;
  };
  auto scan = runInBackground<Scan>(this, tr("Reading DICOM headers…"), [path](Progress& progress) {
    Scan result;
    auto headers = subRange(progress, 0.0, 0.8);
    result.index = io::scanDicom(path, *headers);
    auto pictures = subRange(progress, 0.8, 1.0);
    result.thumbnails = seriesThumbnails(result.index, 48, *pictures);
    return result;
  });
  if (!scan) {
    statusBar()->showMessage(tr("Import cancelled"), 5000);
    return false;
  }
  const std::size_t skipped = scan->index.skipped.size();
  lastImportedSeries_.clear();
  for (const io::DicomSeries* series : scan->index.allSeries())
    lastImportedSeries_.push_back(series->seriesInstanceUid);
  browser_->addIndex(std::move(scan->index));
  browser_->setThumbnails(scan->thumbnails);
  statusBar()->showMessage(tr("Imported %1: %2 series, %3 files skipped")
                               .arg(QString::fromStdString(path.string()))
                               .arg(browser_->index().allSeries().size())
                               .arg(skipped),
                           10000);
  return true;
}

bool MainWindow::loadSeries(const io::DicomSeries& series) {
  // Everything with pixels opens: volumes in patient space, other images (radiographs,
  // secondary captures, colour images) as 2D images (io/dicom_image2d.h).
  if (!io::hasViewableImages(series)) {
    throw Error(ErrorKind::Unsupported,
                "Series \"" + series.description + "\" is a " + io::toString(series.kind) +
                    ", not an image volume: " + series.kindReason,
                series.seriesInstanceUid);
  }
  if (!confirmDiscard()) return false;
  // The whole case is put together on the worker (resolving each file's path is file-system
  // work, too slow for the GUI thread with hundreds of files), by the same import as the CLI's.
  auto twin = runInBackground<Case>(this, tr("Loading series…"), [&series](Progress& progress) {
    return engine::importSeriesAsCase(series, progress);
  });
  if (!twin) return false;
  const std::vector<std::string> assumptions = twin->volumes.front().assumptions;
  const bool planar = twin->volumes.front().planar2D;
  document_->reset(std::move(*twin));
  if (planar) {
    // A 2D image always comes with the same few assumptions (no patient plane, detector pixel
    // size): the status bar says them, without a dialog to click away for every radiograph.
    statusBar()->showMessage(
        tr("2D image: %1")
            .arg(QString::fromStdString(assumptions.empty() ? std::string() : assumptions.front())),
        15000);
  } else if (!assumptions.empty()) {
    QString text;
    for (const auto& a : assumptions) text += "• " + QString::fromStdString(a) + "\n";
    QMessageBox::information(this, tr("Imported with assumptions"), text.trimmed());
  }
  return true;
}

bool MainWindow::saveCaseAs(const std::filesystem::path& file) {
  // The view state goes with the case (a copy: voxels are shared, not copied).
  auto twin = std::make_shared<Case>(document_->twin());
  twin->viewState = viewStateJson(viewState());
  Autosaver* autosaver = &autosaver_;
  const bool saved =
      runInBackground(this, tr("Saving case…"), [twin, file, autosaver](Progress& progress) {
        twinplan::saveCase(*twin, file, progress);
        autosaver->discard();  // the real file now holds everything (deleting it can take a while)
      });
  if (saved) {
    document_->markSaved(file);
    rememberRecent(file);
    document_->markAutosaved();
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(QString::fromStdString(file.string())), 5000);
  }
  return saved;
}

bool MainWindow::autosaveNow() {
  if (autosaving_ || !document_->needsAutosave()) return false;
  autosaving_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{autosaving_};
  // A snapshot keeps the copy consistent while the user goes on editing; the write itself runs
  // on a worker thread so the GUI never waits for the disk.
  auto snapshot = std::make_shared<Case>(document_->twin());
  const std::filesystem::path caseFile = document_->file();
  snapshot->viewState = viewStateJson(viewState());
  document_->markAutosaved();
  std::exception_ptr failure;
  QThread* writer = QThread::create([this, snapshot, caseFile, &failure] {
    try {
      std::filesystem::create_directories(autosaver_.file().parent_path());
      writeOrigin(autosaver_, caseFile);
      autosaver_.save(*snapshot);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  QEventLoop loop;
  connect(writer, &QThread::finished, &loop, &QEventLoop::quit);
  writer->start();
  loop.exec();
  writer->wait();
  delete writer;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      statusBar()->showMessage(tr("Autosave failed: %1").arg(e.what()), 10000);
    }
    return false;
  }
  statusBar()->showMessage(tr("Autosaved at %1").arg(QTime::currentTime().toString("HH:mm")), 3000);
  return true;
}

bool MainWindow::recoverAutosave(bool ask) {
  const auto file = autosaver_.recoverable();
  if (!file) return false;
  if (ask) {
    const QDateTime when = QFileInfo(QString::fromStdString(file->string())).lastModified();
    const auto answer = QMessageBox::question(
        this, tr("Recover unsaved work?"),
        tr("TwinPlan did not close normally. An autosaved copy of your work from %1 exists.\n\n"
           "Recover it?")
            .arg(QLocale().toString(when, QLocale::ShortFormat)),
        QMessageBox::Yes | QMessageBox::Discard, QMessageBox::Yes);
    if (answer != QMessageBox::Yes) {
      autosaver_.discard();
      return false;
    }
  }
  try {
    Case twin = loadCase(*file);
    // The case keeps the file it was saved as (title, Save); a never-saved case stays untitled.
    document_->reset(std::move(twin), readOrigin(autosaver_));
    // Recovered work is not saved anywhere but the autosave: mark it modified.
    document_->markModified();
    updateTitle();
    return true;
  } catch (const std::exception& e) {
    showError(tr("Cannot recover the autosave"), e);
    return false;
  }
}

bool MainWindow::confirmDiscard() {
  if (!document_->isModified()) return true;
  const auto answer = QMessageBox::warning(
      this, tr("Unsaved changes"), tr("The case has changes that are not saved. Save them first?"),
      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
  if (answer == QMessageBox::Cancel) return false;
  if (answer == QMessageBox::Save) {
    saveCase();
    return !document_->isModified();
  }
  return true;
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (autosaving_) {
    // The autosave's writer is still busy with the file: close once it has finished.
    event->ignore();
    QTimer::singleShot(100, this, &QWidget::close);
    return;
  }
  if (!confirmDiscard()) {
    event->ignore();
    return;
  }
  autosaver_.discard();  // a clean close: nothing to recover next time
  event->accept();
}

void MainWindow::openCaseDialog() {
  const QString file =
      QFileDialog::getOpenFileName(this, tr("Open case"), {}, tr("TwinPlan cases (*.twinplan)"));
  if (file.isEmpty()) return;
  try {
    openCase(file.toStdString());
  } catch (const std::exception& e) {
    showError(tr("Cannot open case"), e);
  }
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

// A DICOMDIR (PS3.10 8.6: the file is named DICOMDIR, without extension) or DICOM files, which
// often have no extension either (PS3.10 8.2 file IDs): the first filter lists both.
void MainWindow::importFilesDialog() {
  QFileDialog dialog(this, tr("Import a DICOMDIR or DICOM files"));
  dialog.setObjectName("importFilesDialog");
  dialog.setFileMode(QFileDialog::ExistingFiles);
  dialog.setNameFilters({tr("DICOMDIR and DICOM files (DICOMDIR dicomdir *.dcm *.DCM *.dicom "
                            "*.ima *.IMA *)"),
                         tr("DICOMDIR (DICOMDIR dicomdir)"), tr("All files (*)")});
  if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
  importFiles(dialog.selectedFiles());
}

void MainWindow::importFiles(const QStringList& files) {
  if (files.isEmpty()) return;
  try {
    if (files.size() == 1) {
      importDicom(files.front().toStdString());
    } else {
      std::vector<std::filesystem::path> paths;
      for (const QString& file : files) paths.emplace_back(file.toStdString());
      importDroppedFiles(paths);
    }
  } catch (const std::exception& e) {
    showError(tr("Cannot import"), e);
  }
}

void MainWindow::saveCase() {
  if (document_->file().empty()) return saveCaseAsDialog();
  try {
    saveCaseAs(document_->file());
  } catch (const std::exception& e) {
    showError(tr("Cannot save case"), e);
  }
}

void MainWindow::saveCaseAsDialog() {
  QString suggestion = QString::fromStdString(document_->file().string());
  if (suggestion.isEmpty()) {
    // A new case: named after its patient and study, in the user's documents folder.
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (folder.isEmpty() || !QDir().mkpath(folder)) folder = QDir::homePath();
    suggestion =
        QDir(folder).filePath(QString::fromStdString(defaultCaseFileName(document_->twin())));
  }
  QString file = QFileDialog::getSaveFileName(this, tr("Save case"), suggestion,
                                              tr("TwinPlan cases (*.twinplan)"));
  if (file.isEmpty()) return;
  if (!file.endsWith(".twinplan")) file += ".twinplan";
  try {
    saveCaseAs(file.toStdString());
  } catch (const std::exception& e) {
    showError(tr("Cannot save case"), e);
  }
}

void MainWindow::saveScreenshotDialog() {
  const QString file = QFileDialog::getSaveFileName(this, tr("Save screenshot"), "twinplan.png",
                                                    tr("PNG images (*.png)"));
  if (file.isEmpty()) return;
  const VtkViewport::RenderAllNow everyView;
  grab().save(file, "PNG");
}

void MainWindow::saveViewScreenshotDialog() {
  VtkViewport* view = activeViewport_ ? activeViewport_ : slices_[0];
  const QString file = QFileDialog::getSaveFileName(this, tr("Save view screenshot"), "view.png",
                                                    tr("PNG images (*.png)"));
  if (!file.isEmpty()) view->grabFramebuffer().save(file, "PNG");
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
    if (urls.size() == 1 && path.extension() == ".twinplan") {
      openCase(path);
    } else if (urls.size() == 1) {
      if (importDicom(path)) addDroppedSeriesToCase();
    } else {
      std::vector<std::filesystem::path> paths;
      for (const QUrl& url : urls) paths.emplace_back(url.toLocalFile().toStdString());
      importDroppedFiles(paths);
      addDroppedSeriesToCase();
    }
  } catch (const std::exception& e) {
    showError(tr("Cannot open"), e);
  }
}

void MainWindow::importDroppedFiles(const std::vector<std::filesystem::path>& paths) {
  // Several dropped files or folders are scanned as one folder of links to them; the links
  // live as long as the window, and cases record the files' real paths.
  auto dropFolder = std::make_unique<QTemporaryDir>();
  if (!dropFolder->isValid()) {
    throw Error(ErrorKind::Io, "Cannot create a temporary folder for the dropped files.",
                dropFolder->errorString().toStdString());
  }
  const std::filesystem::path folder = dropFolder->path().toStdString();
  dropFolders_.push_back(std::move(dropFolder));
  int n = 0;
  for (const auto& path : paths) {
    std::error_code ec;
    std::filesystem::create_symlink(std::filesystem::absolute(path),
                                    folder / (std::to_string(n++) + "-" + path.filename().string()),
                                    ec);
    if (ec)
      throw Error(ErrorKind::Io, "Cannot link the dropped file: " + ec.message(), path.string());
  }
  importDicom(folder);
}

JobStatus MainWindow::runJobFile(const std::filesystem::path& file, bool ask) {
  const auto job =
      engine::makeJob(engine::readJobFile(file), std::filesystem::absolute(file).parent_path());
  const JobStatus status = runJobInBackground(
      this, tr("Running job %1…").arg(QString::fromStdString(job->kind())), *job);
  const QString name = QString::fromStdString(file.filename().string());
  if (status.state == JobState::Cancelled) {
    statusBar()->showMessage(
        tr("Job %1 cancelled; a job that saves checkpoints resumes when run again.").arg(name),
        10000);
    return status;
  }
  if (status.state == JobState::Failed) {
    if (ask)
      QMessageBox::warning(
          this, tr("Job failed"),
          tr("%1 failed: %2").arg(name, QString::fromStdString(status.error["message"])));
    statusBar()->showMessage(tr("Job %1 failed").arg(name), 10000);
    return status;
  }
  statusBar()->showMessage(tr("Job %1 finished in %2 s").arg(name).arg(status.elapsed_s, 0, 'f', 1),
                           10000);
  const std::string output = status.result.value("output", std::string());
  if (std::filesystem::path(output).extension() != ".twinplan") return status;
  const bool open = !ask || QMessageBox::question(
                                this, tr("Job finished"),
                                tr("%1 finished and wrote %2.\n\nOpen that case now?")
                                    .arg(name, QString::fromStdString(output))) == QMessageBox::Yes;
  if (open) openCase(output);
  return status;
}

void MainWindow::runJobDialog() {
  const QString file =
      QFileDialog::getOpenFileName(this, tr("Run job file"), {}, tr("Job files (*.json)"));
  if (file.isEmpty()) return;
  try {
    runJobFile(file.toStdString());
  } catch (const std::exception& e) {
    showError(tr("Cannot run the job"), e);
  }
}

}  // namespace twinplan::ui
