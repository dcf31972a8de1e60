#include "twinplan/ui/background_task.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QPointer>
#include <QProgressDialog>
#include <QThread>
#include <atomic>
#include <exception>
#include <mutex>

namespace twinplan::ui {
namespace {

// Reports from the worker are stored and picked up by the GUI thread's timer-free updates
// (queued calls), so the worker never waits on the GUI.
class ThreadProgress final : public Progress {
 public:
  explicit ThreadProgress(QProgressDialog* dialog) : dialog_(dialog) {}
  void report(double fraction, std::string_view step) override {
    const int value = static_cast<int>(fraction * 1000.0);
    if (value == lastValue_ && step == lastStep_) return;
    lastValue_ = value;
    lastStep_ = step;
    QPointer<QProgressDialog> dialog = dialog_;
    const QString text = QString::fromUtf8(step.data(), static_cast<int>(step.size()));
    QMetaObject::invokeMethod(
        dialog_,
        [dialog, value, text] {
          if (!dialog) return;
          dialog->setValue(value);
          if (!text.isEmpty()) dialog->setLabelText(text);
        },
        Qt::QueuedConnection);
  }
  bool cancelRequested() const override { return cancelled.load(); }
  std::atomic<bool> cancelled{false};

 private:
  QProgressDialog* dialog_;
  int lastValue_ = -1;
  std::string lastStep_;
};

}  // namespace

bool runInBackground(QWidget* parent, const QString& title,
                     const std::function<void(Progress&)>& work) {
  QProgressDialog dialog(title, QObject::tr("Cancel"), 0, 1000, parent);
  dialog.setWindowTitle(title);
  dialog.setWindowModality(Qt::WindowModal);
  dialog.setMinimumDuration(300);  // quick work finishes without a flashing dialog
  dialog.setAutoClose(false);
  dialog.setAutoReset(false);
  ThreadProgress progress(&dialog);
  QObject::connect(&dialog, &QProgressDialog::canceled, [&progress] { progress.cancelled = true; });

  std::exception_ptr failure;
  bool cancelled = false;
  QEventLoop loop;
  QThread* worker = QThread::create([&] {
    try {
      work(progress);
    } catch (const Cancelled&) {
      cancelled = true;
    } catch (...) {
      failure = std::current_exception();
    }
  });
  QObject::connect(worker, &QThread::finished, &loop, &QEventLoop::quit);
  worker->start();
  loop.exec();
  worker->wait();
  delete worker;
  dialog.reset();
  if (failure) std::rethrow_exception(failure);
  return !cancelled;
}

JobStatus runJobInBackground(QWidget* parent, const QString& title, Job& job,
                             CheckpointStore* checkpoints) {
  JobStatus status;
  runInBackground(parent, title,
                  [&](Progress& progress) { status = runJob(job, progress, checkpoints); });
  return status;
}

}  // namespace twinplan::ui
