#pragma once
// "View in headset" (issue #20 item 4): the headset runs in its own process
// (twinplan-xr-render --live), so the OpenXR frame loop, which waits on the runtime every frame,
// never blocks the desktop's event loop, and a crashing runtime takes only that process down.
// The desktop and the headset share live state over a teaching session on 127.0.0.1: the
// desktop is the presenter (segment visibility, the anatomy transform, the pointer), the
// headset a participant - the same mechanism a teaching session with other headsets uses.
// The headset writes its left eye to a file the desktop shows as a mirror.
#include <QImage>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"
#include "twinplan/rendering/volume_view.h"

class QTimer;

namespace twinplan::teaching {
class Presenter;  // teaching/teaching_session.h (private to the ui module's sources)
}

namespace twinplan::ui {

class HeadsetLink : public QObject {
  Q_OBJECT
 public:
  explicit HeadsetLink(QObject* parent = nullptr);
  ~HeadsetLink() override;  // stops the headset

  // The headset program. Default: $TWINPLAN_XR_RENDER, else twinplan-xr-render beside the
  // running program (where the build and the installation put it).
  void setProgram(const QString& path) { program_ = path; }
  const QString& program() const { return program_; }
  // How long the headset may stay silent before the window drops it and stops the view
  // (default kDefaultSilence_s). Takes effect at the next launch().
  void setSilenceAllowance(double seconds) { silence_s_ = seconds; }
  double silenceAllowance() const { return silence_s_; }
  // The headset's first frames compile VTK's shaders (and volume-render) before it can answer:
  // on a loaded PC with a software renderer one took over 2 s, the teaching default, and the
  // window dropped a working headset. A headset that crashes is noticed at once (its process
  // ends), so the allowance only covers one that hangs.
  static constexpr double kDefaultSilence_s = 10.0;
  // Whether the headset volume-renders the prepared image, and in which preset (what the
  // window's 3D view shows); off by default. A running headset gets the change at once and
  // shows it from its next frame (a line on its standard input: app/xr/view_commands.h);
  // otherwise it takes effect at the next launch().
  void setVolumeRendering(bool shown, rendering::VolumePreset preset);
  bool volumeShown() const { return volumeShown_; }
  rendering::VolumePreset volumePreset() const { return volumePreset_; }

  // Writes what the headset shows to a temporary case: the case's surface models, the image
  // its slice plane cuts (the volume named `sliceVolume`; empty or unknown: the case's first)
  // and the case's result fields (the window's Result chooser picks one during the view,
  // teaching::SetShownResult). Touches nothing but the link's temporary folder, so it may run
  // on a worker thread (runInBackground); the images make it take seconds for a large case.
  // Throws Error(InvalidInput) when the case has no surface models or a view is already
  // running, Error(Io), Cancelled.
  void prepare(const Case& twin, const std::string& sliceVolume, Progress& progress = noProgress());
  // On the GUI thread, after prepare(): opens the session (127.0.0.1, an ephemeral port, a
  // random code) and starts the headset process on the prepared case, then returns; the
  // outcome arrives as headsetJoined() or failed(). Error(InvalidInput) without prepare().
  void launch();
  // prepare() then launch(), on the calling thread.
  void start(const Case& twin, const std::string& sliceVolume = {}) {
    prepare(twin, sliceVolume);
    launch();
  }
  // Ends the session (the headset process then exits by itself) and waits up to 3 s for it.
  void stop();
  bool running() const;
  bool joined() const;  // the headset process follows the session

  // Live state for the headset (sent at once; ignored while not running).
  void setSegmentVisible(const std::string& segment, bool visible);
  void setAnatomyTransform(const std::array<double, 16>& lpsToLps);

  const QImage& mirror() const { return mirror_; }  // the headset's last left eye
  int mirrorImages() const { return mirrorImages_; }
  // The session the headset follows (nullptr while not running).
  teaching::Presenter* session() { return presenter_.get(); }

 signals:
  void headsetJoined();
  void mirrorChanged(const QImage& leftEye);
  // The headset could not start or stopped on its own: a title and a sentence for the user.
  void failed(const QString& title, const QString& message);
  // The headset's grab moved the anatomy: its new transform (4x4 row-major, LPS mm to LPS mm),
  // now the session's; the 3D view shows the models moved the same way.
  void anatomyMoved(const std::array<double, 16>& lpsToLps);
  // The headset's controller dragged the slice plane: its orientation ("axial", "coronal",
  // "sagittal") and LPS coordinate along its axis (S, P, L), now the session's; the window's
  // crosshair follows. The last position of each service tick.
  void sliceMoved(const QString& orientation, double position_mm);
  // The headset showed or hid a segment (or model) by its name, now the session's.
  void segmentVisibilityChanged(const QString& segment, bool visible);
  // The headset measured the distance between two surface points (LPS mm): the window stores it
  // in the case as a ruler.
  void measured(const twinplan::Vec3& from_lps, const twinplan::Vec3& to_lps);
  void stopped();

 private:
  void service();
  void readMirror();
  bool headsetWentSilent();
  void announceEdits();
  void processFinished(int exitCode, QProcess::ExitStatus status);

  QString program_;
  double silence_s_ = kDefaultSilence_s;
  bool volumeShown_ = false;
  rendering::VolumePreset volumePreset_ = rendering::VolumePreset::CtBone;
  std::size_t departures_ = 0;  // the session's departures seen by service()
  std::unique_ptr<teaching::Presenter> presenter_;
  QProcess* process_ = nullptr;
  QTimer* timer_ = nullptr;
  std::unique_ptr<QTemporaryDir> work_;
  QString preparedCase_;      // the case file prepare() wrote
  std::string preparedName_;  // its name (the session's case id)
  std::vector<std::pair<std::string, bool>> preparedVisibility_;  // model key -> shown
  QImage mirror_;
  int mirrorImages_ = 0;
  unsigned long long mirrorInode_ = 0;
  bool stopping_ = false;
  bool joined_ = false;
  std::size_t movesSeen_ = 0;   // the headset's moves already announced (anatomyMoved)
  std::size_t editsSeen_ = 0;   // its other edits (slice, visibility) already announced
  std::size_t rulersSeen_ = 0;  // its measurements already announced
};

}  // namespace twinplan::ui
