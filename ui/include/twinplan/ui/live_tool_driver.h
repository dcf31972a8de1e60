#pragma once
// Drives a live liver tool (engine/live_tool.h) from the GUI: each requested tool offset is one
// co-rotational update on a worker thread (QThreadPool), moves arriving meanwhile are coalesced
// into the newest, and the organ's deformed 3D model comes back on the GUI thread.
#include <QObject>
#include <memory>
#include <optional>

#include "twinplan/core/mesh.h"
#include "twinplan/engine/live_tool.h"

namespace twinplan::ui {

struct LiveToolFrame {
  Vec3 offset_mm = Vec3::Zero();
  engine::LiveToolUpdate update;
  SurfaceMesh organ;  // the organ's model moved (empty when the case has none)
};

class LiveToolDriver : public QObject {
  Q_OBJECT
 public:
  explicit LiveToolDriver(QObject* parent = nullptr);
  ~LiveToolDriver() override;
  // A new session (built by the caller, e.g. behind a progress dialog) and the organ's model.
  void start(std::shared_ptr<engine::LiveToolSession> session, SurfaceMesh organ);
  void stop();
  bool active() const { return session_ != nullptr; }
  bool busy() const { return running_; }
  const engine::LiveToolSession* session() const { return session_.get(); }
  void request(const Vec3& offset_mm);

 signals:
  void ready(std::shared_ptr<const twinplan::ui::LiveToolFrame> frame);

 private:
  void startNext();
  std::shared_ptr<engine::LiveToolSession> session_;
  std::shared_ptr<const SurfaceMesh> organ_;
  std::optional<Vec3> pending_;
  bool running_ = false;
  std::shared_ptr<bool> alive_;
};

}  // namespace twinplan::ui
