#include "twinplan/ui/headset_link.h"

#include <sys/stat.h>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>
#include <algorithm>
#include <optional>
#include <variant>

#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/teaching/teaching_session.h"

namespace twinplan::ui {
namespace {

// How often the desktop services the session and looks for a new mirror image: every 10 ms
// keeps the session's heartbeats (0.25 s) and a 30 Hz mirror, at a cost under 0.1 ms a tick.
constexpr int kServiceInterval_ms = 10;

// The exit code twinplan-xr-render gives Error(NotFound) (app/xr/main.cpp): no OpenXR runtime
// or no headset.
constexpr int kNotFoundExit = 4;

QString defaultProgram() {
  const QByteArray fromEnv = qgetenv("TWINPLAN_XR_RENDER");
  if (!fromEnv.isEmpty()) return QString::fromLocal8Bit(fromEnv);
  return QDir(QCoreApplication::applicationDirPath()).filePath("twinplan-xr-render");
}

// The last error sentence the headset program wrote ("twinplan-xr-render: <sentence> [ctx]").
QString lastError(const QString& stderrText) {
  const QStringList lines = stderrText.split('\n', Qt::SkipEmptyParts);
  for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
    if (line->startsWith("twinplan-xr-render: "))
      return line->mid(int(sizeof "twinplan-xr-render: ") - 1);
  }
  return lines.isEmpty() ? QString() : lines.back();
}

}  // namespace

HeadsetLink::HeadsetLink(QObject* parent) : QObject(parent), program_(defaultProgram()) {
  timer_ = new QTimer(this);
  timer_->setInterval(kServiceInterval_ms);
  connect(timer_, &QTimer::timeout, this, &HeadsetLink::service);
}

HeadsetLink::~HeadsetLink() {
  blockSignals(true);  // the window that listens may be half destroyed already
  stop();
}

bool HeadsetLink::running() const { return process_ != nullptr; }
bool HeadsetLink::joined() const { return joined_; }

void HeadsetLink::prepare(const Case& twin, const std::string& sliceVolume, Progress& progress) {
  if (running()) {
    throw Error(ErrorKind::InvalidInput, "The headset view is already running.");
  }
  if (twin.meshes.empty()) {
    throw Error(ErrorKind::InvalidInput,
                "The case has no 3D models to show in the headset: build them first (Segments "
                "panel, Build 3D models).");
  }
  auto work = std::make_unique<QTemporaryDir>();
  if (!work->isValid()) {
    throw Error(ErrorKind::Io,
                "Could not make a temporary folder for the headset view: check the free space "
                "in the temporary folder.",
                QDir::tempPath().toStdString());
  }
  // The models, the one image the slice plane cuts (the headset takes the case's first) and
  // the results; not the other images, label maps or plans, which the headset does not draw.
  Case shown;
  shown.name = twin.name.empty() ? "case" : twin.name;
  shown.meshes = twin.meshes;
  const auto volume = std::find_if(twin.volumes.begin(), twin.volumes.end(),
                                   [&](const ImageVolume& v) { return v.name == sliceVolume; });
  if (volume != twin.volumes.end()) {
    shown.volumes.push_back(*volume);
  } else if (!twin.volumes.empty()) {
    shown.volumes.push_back(twin.volumes.front());
  }
  shown.fields = twin.fields;
  const QString caseFile = work->filePath("headset.twinplan");
  saveCase(shown, caseFile.toStdString(), progress);
  std::vector<std::pair<std::string, bool>> visibility;
  for (const SurfaceMesh& mesh : twin.meshes)
    visibility.emplace_back(mesh.segmentName.empty() ? mesh.name : mesh.segmentName, mesh.visible);
  work_ = std::move(work);
  preparedCase_ = caseFile;
  preparedName_ = shown.name;
  preparedVisibility_ = std::move(visibility);
}

void HeadsetLink::launch() {
  if (running()) {
    throw Error(ErrorKind::InvalidInput, "The headset view is already running.");
  }
  if (!work_ || preparedCase_.isEmpty()) {
    throw Error(ErrorKind::InvalidInput,
                "The headset view has no prepared case: call prepare() before launch().");
  }
  presenter_ = std::make_unique<teaching::Presenter>();
  presenter_->apply(teaching::ShowData{preparedName_, ""});
  for (const auto& [key, visible] : preparedVisibility_)
    presenter_->apply(teaching::SetSegmentVisible{key, visible});
  teaching::HostOptions host;  // 127.0.0.1, ephemeral port, random code
  host.participantsMayMoveAnatomy = true;  // the headset's grab moves the window's models
  host.participantsMayEdit = true;         // its controllers move the slice, hide segments, measure
  host.dropAfter_s = silence_s_;
  presenter_->start(host);
  movesSeen_ = 0;
  editsSeen_ = 0;
  rulersSeen_ = 0;
  departures_ = 0;

  process_ = new QProcess(this);
  process_->setProcessChannelMode(QProcess::SeparateChannels);
  connect(process_, &QProcess::finished, this, &HeadsetLink::processFinished);
  connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
    if (error != QProcess::FailedToStart) return;
    const QString program = program_;
    stop();
    emit failed(
        tr("Cannot start the headset view"),
        tr("TwinPlan's headset program %1 could not be started; reinstall TwinPlan.").arg(program));
  });
  stopping_ = false;
  joined_ = false;
  mirrorImages_ = 0;
  mirrorInode_ = 0;
  mirror_ = QImage();
  QStringList arguments{preparedCase_, "--frames", "0", "--out", work_->filePath("out"),
                        "--live", QString("127.0.0.1:%1").arg(presenter_->port()), "--code",
                        QString::fromStdString(presenter_->sessionCode()), "--mirror",
                        work_->filePath("mirror.ppm")};
  if (volumeShown_) arguments << "--volume" << "--preset" << rendering::toString(volumePreset_);
  arguments << "--view-commands";  // then follows the 3D view's Volume button and preset
  process_->start(program_, arguments);
  timer_->start();
}

void HeadsetLink::stop() {
  timer_->stop();
  if (presenter_) presenter_->stop();  // says bye: the headset ends its session and exits
  if (process_ != nullptr) {
    stopping_ = true;
    process_->disconnect(this);
    if (!process_->waitForFinished(3000)) {
      process_->kill();
      process_->waitForFinished(1000);
    }
    process_->deleteLater();
    process_ = nullptr;
  }
  const bool wasJoined = joined_;
  joined_ = false;
  presenter_.reset();
  work_.reset();
  preparedCase_.clear();
  if (wasJoined || stopping_) emit stopped();
  stopping_ = false;
}

void HeadsetLink::setSegmentVisible(const std::string& segment, bool visible) {
  if (!presenter_ || !presenter_->running()) return;
  const auto& shown = presenter_->state().segmentVisible;
  const auto known = shown.find(segment);
  if (known != shown.end() && known->second == visible) return;  // the headset's own change
  presenter_->apply(teaching::SetSegmentVisible{segment, visible});
}

void HeadsetLink::setVolumeRendering(bool shown, rendering::VolumePreset preset) {
  if (shown == volumeShown_ && preset == volumePreset_) return;
  volumeShown_ = shown;
  volumePreset_ = preset;
  // While starting, QProcess keeps what is written until the headset's input is open.
  if (process_ == nullptr || process_->state() == QProcess::NotRunning) return;
  const QJsonObject command{{"volume", shown}, {"preset", rendering::toString(preset)}};
  process_->write(QJsonDocument(command).toJson(QJsonDocument::Compact) + '\n');
}

void HeadsetLink::setAnatomyTransform(const std::array<double, 16>& lpsToLps) {
  if (presenter_ && presenter_->running())
    presenter_->apply(teaching::SetAnatomyTransform{lpsToLps});
}

void HeadsetLink::service() {
  if (!presenter_) return;
  presenter_->service(0);
  if (!joined_ && !presenter_->participants().empty()) {
    joined_ = true;
    emit headsetJoined();
  }
  if (headsetWentSilent()) return;
  if (presenter_->participantMoves() > movesSeen_) {
    movesSeen_ = presenter_->participantMoves();
    emit anatomyMoved(presenter_->state().anatomyTransform);
  }
  announceEdits();
  readMirror();
}

// The headset's slice drags, segment toggles and measurements since the last tick; a drag sends
// a position every frame, of which the window needs the last.
void HeadsetLink::announceEdits() {
  const auto& edits = presenter_->participantEdits();
  std::optional<teaching::SharedSlice> slice;
  for (; editsSeen_ < edits.size(); ++editsSeen_) {
    const teaching::StateChange& change = edits[editsSeen_].change;
    if (const auto* moved = std::get_if<teaching::SetSlice>(&change)) slice = moved->slice;
    if (const auto* shown = std::get_if<teaching::SetSegmentVisible>(&change))
      emit segmentVisibilityChanged(QString::fromStdString(shown->segment), shown->visible);
  }
  if (slice) emit sliceMoved(QString::fromStdString(slice->orientation), slice->position_mm);
  const auto& rulers = presenter_->participantRulers();
  const auto toVec = [](const std::array<double, 3>& p) { return Vec3(p[0], p[1], p[2]); };
  for (; rulersSeen_ < rulers.size(); ++rulersSeen_)
    emit measured(toVec(rulers[rulersSeen_].from_lps), toVec(rulers[rulersSeen_].to_lps));
}

// The session dropped the headset for its silence: it hangs (a headset that crashed or ended
// its session is reported by processFinished). Stops it and says so.
bool HeadsetLink::headsetWentSilent() {
  const std::vector<std::string> departures = presenter_->departures();
  for (; departures_ < departures.size(); ++departures_) {
    const std::string& why = departures[departures_];
    if (why.find("silent for") == std::string::npos) continue;
    process_->kill();  // it hangs: waiting for it to hear the bye would freeze the window
    stop();
    emit failed(tr("The headset stopped answering"),
                tr("The headset program did not answer for %1 s, so TwinPlan stopped it (%2). "
                   "Check the headset and its runtime, then choose View in headset again.")
                    .arg(silence_s_)
                    .arg(QString::fromStdString(why)));
    return true;
  }
  return false;
}

void HeadsetLink::readMirror() {
  // The headset renames each new image over the file: a new inode is a new image.
  const QByteArray path = QFile::encodeName(work_->filePath("mirror.ppm"));
  struct stat info {};
  if (::stat(path.constData(), &info) != 0 || info.st_ino == mirrorInode_) return;
  QImage image;
  if (!image.load(QString::fromLocal8Bit(path), "PPM")) return;  // replaced while reading
  mirrorInode_ = info.st_ino;
  mirror_ = std::move(image);
  ++mirrorImages_;
  emit mirrorChanged(mirror_);
}

void HeadsetLink::processFinished(int exitCode, QProcess::ExitStatus status) {
  const QString why = lastError(QString::fromLocal8Bit(process_->readAllStandardError()));
  const bool noRuntime = status == QProcess::NormalExit && exitCode == kNotFoundExit;
  stop();
  if (noRuntime) {
    emit failed(tr("No headset runtime"),
                tr("TwinPlan found no OpenXR runtime or headset. Install and start the runtime "
                   "for your headset (Monado, SteamVR, Meta Quest Link or Windows Mixed "
                   "Reality), make it the active OpenXR runtime, connect the headset, then choose "
                   "View in headset again.\n\nDetails: %1")
                    .arg(why));
    return;
  }
  emit failed(tr("The headset view stopped"),
              status == QProcess::CrashExit
                  ? tr("The headset program crashed (the headset's runtime may have failed). "
                       "Start the headset view again.")
                  : tr("The headset view ended: %1").arg(why));
}

}  // namespace twinplan::ui
