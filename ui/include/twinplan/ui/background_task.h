#pragma once
// Long work off the GUI thread, with a progress dialog and a Cancel button. The GUI thread
// keeps processing events while it waits (DESIGN.md section 5).
#include <QString>
#include <functional>
#include <optional>

#include "twinplan/core/job.h"
#include "twinplan/core/progress.h"

class QWidget;

namespace twinplan::ui {

// Runs `work` on a worker thread; returns false when the user cancelled. Errors thrown by
// `work` are rethrown here, on the GUI thread.
bool runInBackground(QWidget* parent, const QString& title,
                     const std::function<void(Progress&)>& work);

template <class Result>
std::optional<Result> runInBackground(QWidget* parent, const QString& title,
                                      const std::function<Result(Progress&)>& work) {
  std::optional<Result> result;
  const bool finished =
      runInBackground(parent, title, [&](Progress& progress) { result = work(progress); });
  if (!finished) return std::nullopt;
  return result;
}

// Runs a job (core/job.h) in the background behind the same progress dialog; Cancel stops it.
// Every ending is in the returned status (the job's own errors are not rethrown).
JobStatus runJobInBackground(QWidget* parent, const QString& title, Job& job,
                             CheckpointStore* checkpoints = nullptr);

}  // namespace twinplan::ui
