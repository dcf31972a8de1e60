// View in headset (issue #20 item 4): the action, the mirror panel and what the headset follows.
#include <QAction>
#include <QDockWidget>
#include <QLabel>
#include <QMessageBox>
#include <QStatusBar>
#include <array>

#include "twinplan/ui/background_task.h"
#include "twinplan/ui/headset_link.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {
namespace {

// What the headset calls a model or segment (teaching::SetSegmentVisible): the segment a model
// was built from, so hiding a segment hides its model.
std::string headsetKey(const SurfaceMesh& mesh) {
  return mesh.segmentName.empty() ? mesh.name : mesh.segmentName;
}

}  // namespace

void MainWindow::buildHeadsetDock() {
  headset_ = new HeadsetLink(this);
  headsetMirror_ = new QLabel(tr("Choose View > View in headset to show the 3D models, the "
                                 "slice and the shown result in an OpenXR headset; its left eye "
                                 "appears here."),
                              this);
  headsetMirror_->setObjectName("headsetMirror");
  headsetMirror_->setAlignment(Qt::AlignCenter);
  headsetMirror_->setWordWrap(true);
  headsetMirror_->setMinimumSize(240, 270);  // the eye at 3/4 of a 320 x 360 test eye
  auto* dock = new QDockWidget(tr("Headset"), this);
  dock->setObjectName("headsetDock");
  dock->setWidget(headsetMirror_);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable |
                    QDockWidget::DockWidgetFloatable);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  dock->hide();

  headsetAction_ = new QAction(tr("View in &headset"), this);
  headsetAction_->setObjectName("viewInHeadset");
  headsetAction_->setCheckable(true);
  headsetAction_->setToolTip(tr("Show the 3D models in an OpenXR headset (VR or mixed reality)"));
  connect(headsetAction_, &QAction::triggered, this, [this](bool on) {
    if (on) {
      startHeadsetView();
    } else {
      stopHeadsetView();
    }
  });

  connect(headset_, &HeadsetLink::mirrorChanged, this, [this](const QImage& eye) {
    headsetMirror_->setPixmap(QPixmap::fromImage(eye).scaled(
        headsetMirror_->size(), Qt::KeepAspectRatio, Qt::SmoothTransformation));
  });
  connect(headset_, &HeadsetLink::headsetJoined, this,
          [this] { statusBar()->showMessage(tr("The headset shows the 3D models."), 8000); });
  connect(headset_, &HeadsetLink::failed, this, &MainWindow::showHeadsetMessage);
  // A grab in the headset moves the models in the 3D view the same way, and in the teaching
  // session the window presents, if any (issue #20 items 4 and 5).
  connect(headset_, &HeadsetLink::anatomyMoved, this,
          [this](const std::array<double, 16>& lpsToLps) {
            volume_->view().setMeshPlacement(lpsToLps);
            volume_->update();
            for (teaching::Presenter* session : peerSessions())
              if (session->state().anatomyTransform != lpsToLps)
                session->apply(teaching::SetAnatomyTransform{lpsToLps});
          });
  // Its controllers move the slice, show or hide segments and measure (issue #20 item 3).
  connect(headset_, &HeadsetLink::sliceMoved, this,
          [this](const QString& orientation, double position_mm) {
            showSharedSlice(orientation.toStdString(), position_mm);
          });
  connect(headset_, &HeadsetLink::segmentVisibilityChanged, this,
          [this](const QString& segment, bool visible) {
            showSegmentFromHeadset(segment.toStdString(), visible);
          });
  connect(headset_, &HeadsetLink::measured, this, &MainWindow::addHeadsetRuler);
  connect(headset_, &HeadsetLink::stopped, this, [this] {
    headsetAction_->setChecked(false);
    headsetMirror_->setText(tr("The headset view is stopped."));
  });
  // The headset follows the visibility ticks of both lists.
  connect(document_, &CaseDocument::displayChanged, this,
          [this](CaseDocument::Shown what, std::size_t index) {
            if (!headset_->running()) return;
            const Case& twin = document_->twin();
            if (what == CaseDocument::Shown::Segment && !twin.labelMaps.empty()) {
              const Segment& segment = twin.labelMaps.front().segments().at(index);
              headset_->setSegmentVisible(segment.name, segment.visible);
            } else if (what == CaseDocument::Shown::Mesh) {
              const SurfaceMesh& mesh = twin.meshes.at(index);
              headset_->setSegmentVisible(headsetKey(mesh), mesh.visible);
            }
          });
}

// The segment of that name in the segment table and every model built from it (or the model of
// that name), ticked or not as the headset says; the ticks then tell the other peers.
void MainWindow::showSegmentFromHeadset(const std::string& segment, bool visible) {
  const Case& twin = document_->twin();
  const auto show = [&](CaseDocument::Shown what, std::size_t index) {
    CaseDocument::Display display = document_->display(what, index);
    if (display.visible == visible) return;
    display.visible = visible;
    document_->setDisplay(what, index, display);
  };
  if (!twin.labelMaps.empty()) {
    const auto& segments = twin.labelMaps.front().segments();
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (segments[i].name == segment) show(CaseDocument::Shown::Segment, i);
  }
  for (std::size_t i = 0; i < twin.meshes.size(); ++i)
    if (headsetKey(twin.meshes[i]) == segment) show(CaseDocument::Shown::Mesh, i);
}

void MainWindow::addHeadsetRuler(const Vec3& from_lps, const Vec3& to_lps) {
  Measurement ruler;
  ruler.kind = Measurement::Kind::Ruler;
  ruler.name = document_->nextMeasurementName(ruler.kind);
  ruler.points_lps = {from_lps, to_lps};
  if (backgroundVolume()) ruler.volumeName = backgroundVolume()->name;
  document_->addMeasurement(std::move(ruler));
  statusBar()->showMessage(
      tr("The headset measured %1 mm.").arg((to_lps - from_lps).norm(), 0, 'f', 1), 8000);
}

bool MainWindow::startHeadsetView() {
  if (headset_->running()) return true;
  try {
    // The image and results make the headset's copy of the case seconds to write for a large
    // case: off the GUI thread.
    const Case& twin = document_->twin();
    const std::string sliceVolume = background_;
    if (!runInBackground(this, tr("Preparing the headset view"), [&](Progress& progress) {
          headset_->prepare(twin, sliceVolume, progress);
        })) {
      headsetAction_->setChecked(false);
      return false;
    }
    // The headset shows what the 3D view shows: its volume rendering too, in its preset, and
    // follows it while it runs.
    volumeDisplayChanged();
    headset_->launch();
    // Its snapshot then holds the window's slice, annotations and result.
    shareEverythingWith(*headset_->session());
  } catch (const std::exception& e) {
    headsetAction_->setChecked(false);
    showError(tr("Cannot show the case in the headset"), e);
    return false;
  }
  headsetAction_->setChecked(true);
  headsetMirror_->setText(tr("Starting the headset…"));
  auto* dock = findChild<QDockWidget*>("headsetDock");
  dock->show();
  dock->raise();  // its tab, among the right-hand panels' (MainWindow::addWorkflowDock)
  return true;
}

void MainWindow::stopHeadsetView() {
  headset_->stop();
  headsetAction_->setChecked(false);
}

void MainWindow::volumeDisplayChanged() {
  volume_->update();
  // The headset shows what the 3D view shows (its volume rendering, in its preset); a view
  // without an image has nothing to volume-render.
  const rendering::VolumeView& view = volume_->view();
  headset_->setVolumeRendering(view.volumeVisible() && view.volume() != nullptr, view.preset());
}

// Not modal: the desktop keeps working (and a test sees the box without a nested event loop).
void MainWindow::showHeadsetMessage(const QString& title, const QString& message) {
  headsetAction_->setChecked(false);
  headsetMirror_->setText(title);
  auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
  box->setObjectName("headsetMessage");
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

}  // namespace twinplan::ui
