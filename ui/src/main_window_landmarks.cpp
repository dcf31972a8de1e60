// Landmark registration in the workstation (issue #15 item 3): the Landmarks panel's pairs are
// placed by clicking in the 2D views - which show the series being placed on meanwhile - drawn
// there as numbered rings that can be dragged, kept in the case's view state, and registered
// rigidly (closed form) into an undoable Registration with its residuals and leave-one-out TRE.
#include <QDockWidget>
#include <QStatusBar>

#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/registration/landmarks.h"
#include "twinplan/ui/landmark_panel.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/registration_dialog.h"
#include "twinplan/ui/slice_viewport.h"

namespace twinplan::ui {

namespace {

nlohmann::json vec3Json(const Vec3& v) { return {v[0], v[1], v[2]}; }

nlohmann::json optionalList(const std::vector<std::optional<double>>& values) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& value : values)
    if (value) list.push_back(*value);
  return list;
}

std::vector<registration::LandmarkPair> completePairs(const LandmarkSession& session) {
  std::vector<registration::LandmarkPair> pairs;
  for (const auto& pair : session.pairs)
    if (pair.fixed_lps && pair.moving_lps)
      pairs.push_back({pair.name, *pair.fixed_lps, *pair.moving_lps});
  return pairs;
}

}  // namespace

void MainWindow::buildLandmarkDock() {
  landmarks_ = new LandmarkPanel(this);
  landmarks_->setObjectName("landmarkPanel");
  auto* dock = new QDockWidget(tr("Landmarks"), this);
  dock->setObjectName("landmarkDock");
  dock->setWidget(landmarks_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  if (auto* series = findChild<QDockWidget*>("seriesDock")) {
    tabifyDockWidget(series, dock);
    series->raise();
  }
  connect(landmarks_, &LandmarkPanel::placingChanged, this, &MainWindow::showLandmarkPlacing);
  connect(landmarks_, &LandmarkPanel::sessionChanged, this, [this] {
    showLandmarkMarkers();
    document_->markModified();  // saved in the view state: a change is worth saving
  });
  connect(landmarks_, &LandmarkPanel::registerRequested, this, [this] {
    try {
      registerByLandmarks(landmarks_->session());
    } catch (const std::exception& e) {
      showError(tr("Cannot register by landmarks"), e);
    }
  });
  connect(landmarks_, &LandmarkPanel::saveRequested, this, [this] {
    try {
      saveLandmarks();
    } catch (const std::exception& e) {
      showError(tr("Cannot save the landmarks"), e);
    }
  });
  connect(landmarks_, &LandmarkPanel::loadRequested, this, [this] {
    try {
      loadLandmarks();
    } catch (const std::exception& e) {
      showError(tr("Cannot load the landmarks"), e);
    }
  });
  connect(document_, &CaseDocument::caseReplaced, this, &MainWindow::restoreLandmarks);
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::Volumes) landmarks_->showVolumes(currentCase());
  });
  // A ring dragged in a view moves its point; while dragging, the ring follows the mouse.
  for (auto* viewport : slices_)
    connect(viewport, &SliceViewport::landmarkMoved, this,
            [this](std::size_t marker, const Vec3& p_lps, bool final) {
              const ImageVolume* background = backgroundVolume();
              auto shown = landmarks_->markersOn(background ? background->name : std::string());
              // Rings after the landmarks' are the ablation probe's tip and entry.
              if (marker >= shown.markers.size())
                return moveProbeMarker(marker - shown.markers.size(), p_lps, final);
              if (!shown.side) return;
              if (final)
                return landmarks_->movePoint(*shown.side, shown.pairOfMarker[marker], p_lps);
              shown.markers[marker].p_lps = p_lps;
              for (auto* view : slices_) {
                view->view().setLandmarks(shown.markers);
                view->update();
              }
            });
}

void MainWindow::restoreLandmarks() {
  beforePlacing_.reset();
  LandmarkSession session;
  if (!currentCase().viewState.empty()) {
    try {
      session = viewStateFromJson(currentCase().viewState).landmarks;
    } catch (const std::exception&) {
      // A bad view state is reported by finishShowingSeries; the panel starts empty.
    }
  }
  landmarks_->setSession(std::move(session));
  landmarks_->showVolumes(currentCase());
  showLandmarkMarkers();
}

void MainWindow::showLandmarkPlacing() {
  const auto side = landmarks_->placing();
  if (side) {
    // The series being placed on, alone, as every view's background.
    if (!beforePlacing_) beforePlacing_.emplace(background_, fusion_.foreground);
    const std::string target = landmarks_->volumeOf(*side);
    fusion_.foreground.clear();
    if (background_ != target && findVolume(currentCase(), target)) {
      setBackgroundSeries(target);
    } else {
      applyFusion();
      showSeriesLists();
      showLandmarkMarkers();
    }
  } else if (beforePlacing_) {
    const auto [background, foreground] = *beforePlacing_;
    beforePlacing_.reset();
    if (findVolume(currentCase(), background)) setBackgroundSeries(background);
    if (findVolume(currentCase(), foreground) && foreground != background_)
      setForegroundSeries(foreground);
    showLandmarkMarkers();
  }
  for (auto* viewport : slices_) viewport->setPickMode(side.has_value() || tool_ != Tool::Navigate);
  if (side)
    statusBar()->showMessage(tr("Click the landmark on %1 in a 2D view")
                                 .arg(QString::fromStdString(landmarks_->volumeOf(*side))));
}

void MainWindow::showLandmarkMarkers() {
  if (!landmarks_) return;  // during construction
  const ImageVolume* background = backgroundVolume();
  auto shown = landmarks_->markersOn(background ? background->name : std::string());
  for (auto& probe : probeMarkers()) shown.markers.push_back(std::move(probe));
  for (auto* viewport : slices_) {
    viewport->view().setLandmarks(shown.markers);
    viewport->update();
  }
}

void MainWindow::registerByLandmarks(const LandmarkSession& session) {
  if (session.fixed.empty() || session.fixed == session.moving)
    throw Error(ErrorKind::InvalidInput,
                "Choose two different series as fixed and moving in the Landmarks panel.",
                session.fixed);
  for (const std::string& name : {session.fixed, session.moving})
    if (!findVolume(currentCase(), name))
      throw Error(ErrorKind::NotFound, "The case has no series named \"" + name + "\".", name);
  const auto pairs = completePairs(session);
  const LandmarkQuality quality = landmarkQuality(session);
  if (!quality.valid)
    throw Error(ErrorKind::InvalidInput,
                "Registration by landmarks needs at least 3 pairs placed on both series and not "
                "on one line (" +
                    std::to_string(pairs.size()) +
                    " complete pair(s) now): place more landmarks, spread over the anatomy.",
                "landmarks");
  Registration record;
  record.fixedVolume = session.fixed;
  record.movingVolume = session.moving;
  record.method = "landmark";
  record.transform = quality.transform;
  record.created = utcNowIso8601();
  nlohmann::json q;
  q["method"] = "landmark";
  q["landmarks"] = pairs.size();
  q["fre_mean_mm"] = quality.residualMean_mm;
  q["fre_max_mm"] = quality.residualMax_mm;
  q["fre_per_pair_mm"] = optionalList(quality.residual_mm);
  // The TRE the Series panel shows: leave-one-out over the pairs (registration/landmarks.h).
  if (quality.leaveOneOutMean_mm) {
    q["tre_mm"] = *quality.leaveOneOutMean_mm;
    q["tre_max_mm"] = *quality.leaveOneOutMax_mm;
    q["tre_per_pair_mm"] = optionalList(quality.leaveOneOut_mm);
    q["tre_kind"] = "leave-one-out";
  }
  q["rotation_deg"] = vec3Json(record.transform.eulerAngles_deg());
  q["translation_mm"] = vec3Json(record.transform.translation_mm);
  q["pairs"] = registration::landmarkFileJson(pairs)["pairs"];
  record.quality = q;
  landmarks_->setPlacing({});
  if (background_ != record.fixedVolume) setBackgroundSeries(record.fixedVolume);
  fusion_.foreground = record.movingVolume;
  document_->apply(edits::setRegistration(currentCase(), record));
  statusBar()->showMessage(tr("Registered %1 onto %2 by %3 landmarks: %4 - Undo removes it")
                               .arg(QString::fromStdString(record.movingVolume),
                                    QString::fromStdString(record.fixedVolume))
                               .arg(pairs.size())
                               .arg(registrationQualityText(record)),
                           15000);
}

bool MainWindow::saveLandmarks() {
  const auto pairs = completePairs(landmarks_->session());
  if (pairs.empty())
    throw Error(ErrorKind::InvalidInput,
                "No landmark is placed on both series yet: place pairs first, then save.",
                "landmarks");
  const std::filesystem::path file =
      choosePath(tr("Save landmarks"), tr("Landmark files (*.json)"), true);
  if (file.empty()) return false;
  registration::writeLandmarkFile(file, pairs);
  const std::size_t incomplete = landmarks_->session().pairs.size() - pairs.size();
  statusBar()->showMessage(
      tr("%1 landmark pairs written to %2%3")
          .arg(pairs.size())
          .arg(QString::fromStdString(file.string()))
          .arg(incomplete ? tr(" (%1 incomplete pair(s) not written)").arg(incomplete) : QString()),
      10000);
  return true;
}

bool MainWindow::loadLandmarks() {
  const std::filesystem::path file =
      choosePath(tr("Load landmarks"), tr("Landmark files (*.json);;All files (*)"), false);
  if (file.empty()) return false;
  const auto pairs = registration::readLandmarkFile(file);
  LandmarkSession session = landmarks_->session();
  session.pairs.clear();
  for (const auto& pair : pairs)
    session.pairs.push_back({pair.name, pair.fixed_lps, pair.moving_lps});
  landmarks_->setSession(std::move(session));
  showLandmarkMarkers();
  document_->markModified();
  statusBar()->showMessage(tr("%1 landmark pairs read from %2")
                               .arg(pairs.size())
                               .arg(QString::fromStdString(file.string())),
                           10000);
  return true;
}

}  // namespace twinplan::ui
