#pragma once
// Isosurfaces of the shown result (isodoses, isotherms) built off the GUI thread (issue #19
// item 8: a 256^3 dose took the window away while its surfaces were built). One build runs at a
// time on Qt's thread pool; a request that arrives meanwhile replaces any waiting one, and a
// build whose request was superseded is dropped when it ends, so only the newest request's
// surfaces are ever delivered.
#include <QObject>
#include <memory>
#include <vector>

#include "twinplan/core/mesh.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::ui {

struct SurfaceLevel;

class IsosurfaceBuilder : public QObject {
  Q_OBJECT
 public:
  explicit IsosurfaceBuilder(QObject* parent = nullptr);
  ~IsosurfaceBuilder() override;

  // Builds `levels` of `field` (a copy the worker owns); returns the request's number.
  int request(std::shared_ptr<const ScalarField> field, std::vector<SurfaceLevel> levels);
  // Drops every build asked for so far (nothing to show any more).
  void clear();
  bool busy() const { return running_ || pending_ != nullptr; }
  int latestRequest() const { return latest_; }
  // Builds that finished after a newer request, and were thrown away.
  int droppedBuilds() const { return dropped_; }

 signals:
  // On the GUI thread: the newest request's surfaces (empty meshes left out), or its failure.
  void ready(int request, std::vector<twinplan::SurfaceMesh> surfaces, QString failure);

 private:
  struct Job;
  void startNext();
  std::shared_ptr<Job> pending_;
  bool running_ = false;
  int latest_ = 0, dropped_ = 0;
  std::shared_ptr<bool> alive_;
};

}  // namespace twinplan::ui
