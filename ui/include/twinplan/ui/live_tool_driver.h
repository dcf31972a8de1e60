#pragma once
// Drives a live liver tool (engine/live_tool.h) from the GUI: each requested tool offset is one
// co-rotational update on a worker thread (QThreadPool), moves arriving meanwhile are coalesced
// into the newest, and the organ's deformed 3D model comes back on the GUI thread.
#include <QObject>
#include <memory>
#include <optional>
#include <string>

#include "twinplan/core/mesh.h"
#include "twinplan/engine/live_tool.h"
#include "twinplan/engine/plan_targets.h"

namespace twinplan::ui {

struct LiveToolFrame {
  Vec3 offset_mm = Vec3::Zero();
  engine::LiveToolUpdate update;
  SurfaceMesh organ;  // the organ's model moved (empty when the case has none)
  // Each plan target's displacement now (zero outside the organ's mesh), in start()'s order.
  std::vector<Vec3> targetShifts_mm;
  // Why the frame has no update (the session refused a grab); empty when it has one.
  std::string error;
};

class LiveToolDriver : public QObject {
  Q_OBJECT
 public:
  explicit LiveToolDriver(QObject* parent = nullptr);
  ~LiveToolDriver() override;
  // A new session (built by the caller, e.g. behind a progress dialog), the organ's model and
  // the plan targets whose displacement each frame reports.
  void start(std::shared_ptr<engine::LiveToolSession> session, SurfaceMesh organ,
             std::vector<engine::PlanTarget> targets = {});
  void stop();
  bool active() const { return session_ != nullptr; }
  bool busy() const { return running_; }
  const engine::LiveToolSession* session() const { return session_.get(); }
  const std::vector<engine::PlanTarget>& targets() const { return *targets_; }
  // Moves the tool to `offset_mm` (LPS, from the grab point) with `iterations` warped-stiffness
  // solves (1: a drag frame; more: settle on the static answer, e.g. when the drag ends). A
  // move requested while one runs replaces any waiting one (keeping the most iterations asked).
  void request(const Vec3& offset_mm, int iterations = 1);
  // Grabs the organ anew at `grab_lps` before the next move (engine LiveToolSession::regrab, on
  // the worker: the warped-stiffness model is rebuilt there), and moves the tool to no offset
  // unless a move is already waiting.
  void grabAt(const Vec3& grab_lps);

 signals:
  void ready(std::shared_ptr<const twinplan::ui::LiveToolFrame> frame);

 private:
  void startNext();
  std::shared_ptr<engine::LiveToolSession> session_;
  std::shared_ptr<const SurfaceMesh> organ_;
  std::shared_ptr<const std::vector<engine::PlanTarget>> targets_ =
      std::make_shared<const std::vector<engine::PlanTarget>>();
  std::optional<Vec3> pending_;
  std::optional<Vec3> pendingGrab_;
  int pendingIterations_ = 1;
  bool running_ = false;
  std::shared_ptr<bool> alive_;
};

}  // namespace twinplan::ui
