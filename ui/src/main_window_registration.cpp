// Registration in the workstation (issue #15 item 3): "Register…" runs the registration module
// on two series of the open case in the background and stores the transform as an undoable
// edit, so that the views fuse the moving series at once; "Remove registration" takes it out.
#include <QFileDialog>
#include <QMessageBox>
#include <QStatusBar>
#include <limits>

#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/io/dicom_registration.h"
#include "twinplan/registration/register.h"
#include "twinplan/registration/resample.h"
#include "twinplan/registration/transform_file.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/landmark_panel.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/registration_dialog.h"
#include "twinplan/ui/series_panel.h"

namespace twinplan::ui {

namespace {

nlohmann::json vec3Json(const Vec3& v) { return {v[0], v[1], v[2]}; }

// The quality record, with the same keys as the register job's summary (engine/src/
// register_job.cpp) so that a case registered in the GUI reads like one registered by the CLI.
nlohmann::json qualityJson(const registration::RegistrationResult& result) {
  nlohmann::json q;
  q["method"] = registration::toString(result.method);
  q["metric"] = "mattes-mutual-information";
  q["metric_value"] = result.metricValue;
  q["iterations"] = result.iterations;
  q["levels"] = result.levels;
  if (result.transform.isLinear()) {
    q["rotation_deg"] = vec3Json(result.transform.eulerAngles_deg());
    q["translation_mm"] = vec3Json(result.transform.translation_mm);
  }
  q["time_s"] = result.time_s;
  if (!result.stopReason.empty()) q["stop_reason"] = result.stopReason;
  return q;
}

const ImageVolume& volumeNamed(const Case& twin, const std::string& name) {
  if (const ImageVolume* volume = findVolume(twin, name)) return *volume;
  throw Error(ErrorKind::NotFound,
              "The case has no series named \"" + name + "\": choose one from the Series panel.",
              name);
}

const ImageVolume* volumeInFrame(const Case& twin, const std::string& frameUid) {
  for (const ImageVolume& volume : twin.volumes)
    if (!frameUid.empty() && volume.dicom.frameOfReferenceUid == frameUid) return &volume;
  return nullptr;
}

}  // namespace

bool MainWindow::registerSeries(const std::string& fixed, const std::string& moving,
                                const std::string& method) {
  if (fixed == moving)
    throw Error(ErrorKind::InvalidInput,
                "A series cannot be registered to itself: choose two different series.", fixed);
  registration::RegistrationOptions options;
  options.method = registration::methodFromString(method);
  if (options.method == registration::Method::Landmark) {
    // The pairs are the Landmarks panel's, placed for this very pair of series.
    const LandmarkSession& session = landmarks_->session();
    if (session.fixed != fixed || session.moving != moving)
      throw Error(ErrorKind::InvalidInput,
                  "Place the landmarks of " + moving + " onto " + fixed +
                      " in the Landmarks panel first (it holds pairs for " + session.moving +
                      " onto " + session.fixed + ").",
                  method);
    registerByLandmarks(session);
    return true;
  }
  // Copies share the voxels: the case may change while the worker runs (it cannot: the
  // progress dialog is modal), and the worker never reads the document.
  const ImageVolume fixedVolume = volumeNamed(currentCase(), fixed);
  const ImageVolume movingVolume = volumeNamed(currentCase(), moving);
  auto result = runInBackground<registration::RegistrationResult>(
      this,
      tr("Registering %1 onto %2…")
          .arg(QString::fromStdString(moving), QString::fromStdString(fixed)),
      [&](Progress& progress) {
        return registration::registerVolumes(fixedVolume, movingVolume, options, progress);
      });
  if (!result) return false;

  Registration record;
  record.fixedVolume = fixed;
  record.movingVolume = moving;
  record.method = registration::toString(result->method);
  record.transform = result->transform;
  record.quality = qualityJson(*result);
  record.created = utcNowIso8601();
  // Fused at once: the fixed series in the background, the moving one over it.
  if (background_ != fixed) setBackgroundSeries(fixed);
  fusion_.foreground = moving;
  document_->apply(edits::setRegistration(currentCase(), record));
  statusBar()->showMessage(
      tr("Registered %1 onto %2 (%3): %4 - Undo removes it")
          .arg(QString::fromStdString(moving), QString::fromStdString(fixed),
               QString::fromStdString(record.method), registrationQualityText(record)),
      15000);
  return true;
}

bool MainWindow::registerDialog() {
  const Case& twin = currentCase();
  if (twin.volumes.size() < 2) {
    QMessageBox::information(this, tr("Register"),
                             tr("Registration needs two series in the case: add one from the "
                                "DICOM browser first."));
    return false;
  }
  const ImageVolume* background = backgroundVolume();
  RegistrationDialog dialog(twin, background ? background->name : std::string(), fusion_.foreground,
                            this);
  if (dialog.exec() != QDialog::Accepted) return false;
  try {
    return registerSeries(dialog.fixedVolume(), dialog.movingVolume(), dialog.method());
  } catch (const std::exception& e) {
    showError(tr("Cannot register"), e);
    return false;
  }
}

void MainWindow::removeRegistrationOf(const std::string& moving) {
  const auto& registrations = currentCase().registrations;
  for (std::size_t r = 0; r < registrations.size(); ++r) {
    if (registrations[r].movingVolume != moving) continue;
    try {
      document_->apply(edits::removeRegistration(currentCase(), r));
      statusBar()->showMessage(
          tr("Registration of %1 removed (Undo restores it)").arg(QString::fromStdString(moving)),
          10000);
    } catch (const std::exception& e) {
      showError(tr("Cannot remove the registration"), e);
    }
    return;
  }
}

namespace {

std::filesystem::path chooseWithDialog(QWidget* parent, const QString& title, const QString& filter,
                                       bool save) {
  const QString file = save ? QFileDialog::getSaveFileName(parent, title, QString(), filter)
                            : QFileDialog::getOpenFileName(parent, title, QString(), filter);
  return file.toStdString();
}

}  // namespace

std::filesystem::path MainWindow::choosePath(const QString& title, const QString& filter,
                                             bool save) {
  return pathChooser_ ? pathChooser_(title, filter, save)
                      : chooseWithDialog(this, title, filter, save);
}

namespace {
const char* const kNothingToExport =
    "has no registration to export: select a registered series in the Series panel.";
}  // namespace

// The registration that brings `moving` onto another series; Error(NotFound) ending in `what`
// ("select a registered series ...") when it has none.
const Registration& MainWindow::registrationOf(const std::string& moving,
                                               const std::string& what) const {
  for (const Registration& registration : currentCase().registrations)
    if (registration.movingVolume == moving) return registration;
  throw Error(ErrorKind::NotFound, "\"" + moving + "\" " + what, moving);
}

bool MainWindow::exportRegistration(const std::string& moving) {
  const Registration* found = &registrationOf(moving, kNothingToExport);
  const QString title = tr("Export registration of %1").arg(QString::fromStdString(moving));
  const QString filter = tr("ITK transform (*.tfm *.txt)");
  const std::filesystem::path file = choosePath(title, filter, true);
  if (file.empty()) return false;
  registration::writeItkTransformFile(found->transform, file);
  statusBar()->showMessage(
      tr("Registration of %1 written to %2")
          .arg(QString::fromStdString(moving), QString::fromStdString(file.string())),
      10000);
  return true;
}

bool MainWindow::importRegistration(const std::string& fixed, const std::string& moving) {
  const QString title = tr("Import registration");
  const QString filter =
      tr("ITK transform or DICOM Spatial Registration (*.tfm *.txt *.dcm);;All files (*)");
  const std::filesystem::path file = pathChooser_ ? pathChooser_(title, filter, false)
                                                  : chooseWithDialog(this, title, filter, false);
  if (file.empty()) return false;
  Registration record;
  record.method = "imported";
  record.created = utcNowIso8601();
  record.quality = {{"source", file.string()}};
  if (file.extension() == ".dcm") {
    // A Spatial Registration object names frames, not series (PS3.3 C.20.2): the series of the
    // case in those frames are the pair.
    const io::SpatialRegistrationRead read = io::readSpatialRegistration(file);
    const ImageVolume* fixedVolume = volumeInFrame(currentCase(), read.fixedFrameOfReferenceUid);
    const ImageVolume* movingVolume = volumeInFrame(currentCase(), read.movingFrameOfReferenceUid);
    if (!fixedVolume || !movingVolume)
      throw Error(ErrorKind::NotFound,
                  "The Spatial Registration " + file.string() +
                      " relates frames of reference that are not both in the case (fixed " +
                      read.fixedFrameOfReferenceUid + ", moving " + read.movingFrameOfReferenceUid +
                      "): add those series first.",
                  file.string());
    record.fixedVolume = fixedVolume->name;
    record.movingVolume = movingVolume->name;
    record.transform = read.fixedToMoving;
  } else {
    volumeNamed(currentCase(), fixed);
    volumeNamed(currentCase(), moving);
    if (fixed == moving)
      throw Error(ErrorKind::InvalidInput,
                  "Select the series the transform moves in the Series panel (not the "
                  "background itself), then import again.",
                  moving);
    record.fixedVolume = fixed;
    record.movingVolume = moving;
    record.transform = registration::readItkTransformFile(file);
  }
  if (background_ != record.fixedVolume) setBackgroundSeries(record.fixedVolume);
  fusion_.foreground = record.movingVolume;
  document_->apply(edits::setRegistration(currentCase(), record));
  statusBar()->showMessage(
      tr("Registration of %1 onto %2 imported from %3 (Undo removes it)")
          .arg(QString::fromStdString(record.movingVolume),
               QString::fromStdString(record.fixedVolume), QString::fromStdString(file.string())),
      10000);
  return true;
}

void MainWindow::exportSelectedRegistration() {
  try {
    exportRegistration(seriesPanel_->selectedVolume());
  } catch (const std::exception& e) {
    showError(tr("Cannot export the registration"), e);
  }
}

void MainWindow::importSelectedRegistration() {
  try {
    const ImageVolume* background = backgroundVolume();
    importRegistration(background ? background->name : std::string(),
                       seriesPanel_->selectedVolume());
  } catch (const std::exception& e) {
    showError(tr("Cannot import the registration"), e);
  }
}

bool MainWindow::resampleRegistered(const std::string& moving) {
  const Registration* found =
      &registrationOf(moving,
                      "is not registered to another series: register it first, then "
                      "resample.");
  const ImageVolume movingVolume = volumeNamed(currentCase(), moving);
  const ImageVolume fixedVolume = volumeNamed(currentCase(), found->fixedVolume);
  const SpatialTransform fixedToMoving = found->transform;
  auto resampled = runInBackground<ImageVolume>(
      this, tr("Resampling %1…").arg(QString::fromStdString(moving)), [&](Progress& progress) {
        return registration::resampleOnto(movingVolume, fixedVolume, fixedToMoving,
                                          registration::Interpolation::Linear,
                                          registration::backgroundValue(movingVolume), progress);
      });
  if (!resampled) return false;
  document_->apply(edits::addSeries(currentCase(), std::move(*resampled)));
  statusBar()->showMessage(tr("Added %1 (Undo removes it)")
                               .arg(QString::fromStdString(currentCase().volumes.back().name)),
                           10000);
  return true;
}

const io::DicomSeries& MainWindow::dicomSeriesOf(const std::string& volumeName) const {
  const ImageVolume& volume = volumeNamed(currentCase(), volumeName);
  if (volume.dicom.seriesInstanceUid.empty())
    throw Error(ErrorKind::InvalidInput,
                "\"" + volumeName +
                    "\" was not read from DICOM files: a DICOM Spatial Registration can only "
                    "reference DICOM series (PS3.3 C.20.2).",
                volumeName);
  const io::DicomSeries* series = browser_->index().findSeries(volume.dicom.seriesInstanceUid);
  if (!series)
    throw Error(ErrorKind::NotFound,
                "The DICOM files of \"" + volumeName +
                    "\" are not listed in the DICOM browser: import their folder (File > "
                    "Import DICOM), then export again.",
                volume.dicom.seriesInstanceUid);
  return *series;
}

bool MainWindow::exportRegistrationAsDicom(const std::string& moving) {
  const Registration* found = &registrationOf(moving, kNothingToExport);
  // Spatial Registration holds matrices only (PS3.3 C.20.2.1.2: RIGID, RIGID_SCALE, AFFINE); a
  // deformation needs Deformable Spatial Registration (PS3.3 A.45), which is not written.
  if (!found->transform.isLinear())
    throw Error(ErrorKind::Unsupported,
                "The registration of \"" + moving +
                    "\" is deformable (B-spline): a DICOM Spatial Registration holds only a rigid "
                    "or affine matrix, and TwinPlan does not write Deformable Spatial "
                    "Registration objects. Export it as an ITK transform file instead (Series > "
                    "Export registration…).",
                moving);
  const io::DicomSeries& fixedSeries = dicomSeriesOf(found->fixedVolume);
  const io::DicomSeries& movingSeries = dicomSeriesOf(moving);
  const std::filesystem::path file =
      choosePath(tr("Export registration of %1 as DICOM").arg(QString::fromStdString(moving)),
                 tr("DICOM Spatial Registration (*.dcm)"), true);
  if (file.empty()) return false;
  io::writeSpatialRegistration(found->transform, fixedSeries, movingSeries, file);
  statusBar()->showMessage(
      tr("Registration of %1 written as DICOM Spatial Registration to %2")
          .arg(QString::fromStdString(moving), QString::fromStdString(file.string())),
      10000);
  return true;
}

void MainWindow::exportSelectedRegistrationAsDicom() {
  try {
    exportRegistrationAsDicom(seriesPanel_->selectedVolume());
  } catch (const std::exception& e) {
    showError(tr("Cannot export the registration as DICOM"), e);
  }
}

void MainWindow::resampleSelectedSeries() {
  try {
    resampleRegistered(seriesPanel_->selectedVolume());
  } catch (const std::exception& e) {
    showError(tr("Cannot resample"), e);
  }
}

}  // namespace twinplan::ui
