#include "twinplan/ui/live_tool_driver.h"

#include <QApplication>
#include <QThreadPool>
#include <algorithm>
#include <utility>

namespace twinplan::ui {

LiveToolDriver::LiveToolDriver(QObject* parent)
    : QObject(parent), alive_(std::make_shared<bool>(true)) {}

LiveToolDriver::~LiveToolDriver() { *alive_ = false; }

void LiveToolDriver::start(std::shared_ptr<engine::LiveToolSession> session, SurfaceMesh organ,
                           std::vector<engine::PlanTarget> targets) {
  session_ = std::move(session);
  organ_ = std::make_shared<const SurfaceMesh>(std::move(organ));
  targets_ = std::make_shared<const std::vector<engine::PlanTarget>>(std::move(targets));
  pending_.reset();
  pendingGrab_.reset();
}

void LiveToolDriver::stop() {
  session_.reset();  // a running update keeps its own reference
  pending_.reset();
  pendingGrab_.reset();
}

void LiveToolDriver::grabAt(const Vec3& grab_lps) {
  pendingGrab_ = grab_lps;
  if (!pending_) {
    pending_ = Vec3::Zero();
    pendingIterations_ = 1;
  }
  if (!running_) startNext();
}

void LiveToolDriver::request(const Vec3& offset_mm, int iterations) {
  pendingIterations_ = pending_ ? std::max(pendingIterations_, iterations) : iterations;
  pending_ = offset_mm;
  if (!running_) startNext();
}

void LiveToolDriver::startNext() {
  if (!pending_ || !session_) return;
  running_ = true;
  const Vec3 offset = *std::exchange(pending_, std::nullopt);
  const int iterations = std::exchange(pendingIterations_, 1);
  const std::optional<Vec3> grab = std::exchange(pendingGrab_, std::nullopt);
  std::weak_ptr<bool> alive = alive_;
  QThreadPool::globalInstance()->start([this, alive, offset, iterations, grab, session = session_,
                                        organ = organ_, targets = targets_] {
    auto frame = std::make_shared<LiveToolFrame>();
    frame->offset_mm = offset;
    try {
      if (grab) session->regrab(*grab);
      frame->update = session->update(offset, iterations);
      if (!organ->points_lps.empty()) frame->organ = session->deformed(*organ);
      for (const engine::PlanTarget& target : *targets)
        frame->targetShifts_mm.push_back(session->displacementAt(target.p_lps));
    } catch (const std::exception& e) {  // shown in the panel; the session is unchanged
      frame->error = e.what();
    }
    QMetaObject::invokeMethod(
        qApp,
        [this, alive, frame] {
          const auto living = alive.lock();
          if (!living || !*living) return;
          running_ = false;
          emit ready(frame);
          startNext();  // the newest move that arrived meanwhile
        },
        Qt::QueuedConnection);
  });
}

}  // namespace twinplan::ui
