// Isosurfaces off the GUI thread (isosurface_builder.h).
#include "twinplan/ui/isosurface_builder.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QThreadPool>

#include "dose_display.h"
#include "twinplan/rendering/isosurface.h"

namespace twinplan::ui {

struct IsosurfaceBuilder::Job {
  int request = 0;
  std::shared_ptr<const ScalarField> field;
  std::vector<SurfaceLevel> levels;
};

IsosurfaceBuilder::IsosurfaceBuilder(QObject* parent)
    : QObject(parent), alive_(std::make_shared<bool>(true)) {}

IsosurfaceBuilder::~IsosurfaceBuilder() { *alive_ = false; }

int IsosurfaceBuilder::request(std::shared_ptr<const ScalarField> field,
                               std::vector<SurfaceLevel> levels) {
  auto job = std::make_shared<Job>();
  job->request = ++latest_;
  job->field = std::move(field);
  job->levels = std::move(levels);
  pending_ = std::move(job);
  if (!running_) startNext();
  return latest_;
}

void IsosurfaceBuilder::clear() {
  ++latest_;  // a running build is now stale
  pending_ = nullptr;
}

void IsosurfaceBuilder::startNext() {
  if (!pending_) return;
  running_ = true;
  std::shared_ptr<Job> job = std::exchange(pending_, nullptr);
  std::weak_ptr<bool> alive = alive_;
  QThreadPool::globalInstance()->start([this, alive, job] {
    std::vector<SurfaceMesh> surfaces;
    QString failure;
    try {
      for (const SurfaceLevel& level : job->levels) {
        SurfaceMesh surface = rendering::isosurface(*job->field, level.level, level.name,
                                                    level.colour, level.opacity);
        if (!surface.triangles.empty()) surfaces.push_back(std::move(surface));
      }
    } catch (const std::exception& e) {
      failure = QString::fromUtf8(e.what());
      surfaces.clear();
    }
    // Back on the GUI thread (qApp outlives every window); the builder may be gone by then.
    QMetaObject::invokeMethod(
        qApp,
        [this, alive, request = job->request, surfaces = std::move(surfaces), failure]() mutable {
          const auto living = alive.lock();
          if (!living || !*living) return;
          running_ = false;
          if (request == latest_)
            emit ready(request, std::move(surfaces), failure);
          else
            ++dropped_;
          startNext();
        },
        Qt::QueuedConnection);
  });
}

}  // namespace twinplan::ui
