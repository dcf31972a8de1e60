#include "twinplan/core/progress.h"

#include <algorithm>

namespace twinplan {
namespace {

class NoProgress final : public Progress {
 public:
  void report(double, std::string_view) override {}
  bool cancelRequested() const override { return false; }
};

class SubRange final : public Progress {
 public:
  SubRange(Progress& parent, double from, double to) : parent_(parent), from_(from), to_(to) {}
  void report(double fraction, std::string_view step) override {
    parent_.report(from_ + (to_ - from_) * std::clamp(fraction, 0.0, 1.0), step);
  }
  bool cancelRequested() const override { return parent_.cancelRequested(); }

 private:
  Progress& parent_;
  double from_, to_;
};

}  // namespace

Progress& noProgress() {
  static NoProgress instance;
  return instance;
}

std::unique_ptr<Progress> subRange(Progress& parent, double from, double to) {
  return std::make_unique<SubRange>(parent, from, to);
}

CallbackProgress::CallbackProgress(ReportFn report, CancelFn cancel)
    : report_(std::move(report)), cancel_(std::move(cancel)) {}

void CallbackProgress::report(double fraction, std::string_view step) {
  // Reports are monotonic: a nested step that restarts at 0 must not move the bar back.
  last_ = std::max(last_, std::clamp(fraction, 0.0, 1.0));
  if (report_) report_(last_, step);
}

bool CallbackProgress::cancelRequested() const { return cancel_ && cancel_(); }

}  // namespace twinplan
