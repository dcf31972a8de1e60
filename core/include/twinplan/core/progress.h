#pragma once
// Progress reporting and cancellation for long work (STYLE.md "Progress and cancellation").
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "twinplan/core/error.h"

namespace twinplan {

class Progress {
 public:
  virtual ~Progress() = default;
  virtual void report(double fraction, std::string_view step) = 0;  // 0..1, monotonic
  virtual bool cancelRequested() const = 0;
  void check() const {
    if (cancelRequested()) throw Cancelled{};
  }
};

// A sink for callers who do not care: never cancels, drops reports.
Progress& noProgress();

// Maps 0..1 of the child onto from..to of the parent; cancellation is the parent's.
std::unique_ptr<Progress> subRange(Progress& parent, double from, double to);

// Forwards reports to a function and asks another whether to cancel. Used by the CLI,
// the GUI bridge and tests.
class CallbackProgress : public Progress {
 public:
  using ReportFn = std::function<void(double, std::string_view)>;
  using CancelFn = std::function<bool()>;
  explicit CallbackProgress(ReportFn report, CancelFn cancel = {});
  void report(double fraction, std::string_view step) override;
  bool cancelRequested() const override;

 private:
  ReportFn report_;
  CancelFn cancel_;
  double last_ = 0.0;
};

}  // namespace twinplan
