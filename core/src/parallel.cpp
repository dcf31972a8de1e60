// Parallel loops on oneTBB. Chunks are handed out in index order from one atomic counter to
// "participants": the calling thread and up to maxThreads() - 1 tbb::task_group tasks. The
// calling thread works like the others, but between chunks, and every 50 ms while it waits for
// the last ones, it reports progress and asks the caller's sink about cancelling; workers only
// read an atomic stop flag. The caller never blocks inside TBB before the work is done, so
// progress and cancel stay live while a long chunk (a whole segment surface) runs elsewhere,
// and with a single thread (no TBB worker at all) it simply does every chunk itself.
#include "twinplan/core/parallel.h"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>

#include "twinplan/core/error.h"

namespace twinplan::parallel {
namespace {

// STYLE.md: long work polls for cancel about every 50 ms.
constexpr auto kPollInterval = std::chrono::milliseconds(50);
// How long the caller watches for the last chunks before it sleeps on the condition variable.
constexpr auto kWatchBeforeSleep = std::chrono::microseconds(30);

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// What one participant is working on, for the caller's progress estimate.
struct Slot {
  std::atomic<double> share{0.0};     // the running chunk's share of the whole loop
  std::atomic<double> fraction{0.0};  // how far the chunk says it is, 0..1
};

class Loop;

// A chunk's sink. Any thread may use it; only on the calling thread does it reach the caller.
class ChunkProgress final : public Progress {
 public:
  ChunkProgress(Loop& loop, Slot& slot) : loop_(loop), slot_(slot) {}
  void report(double fraction, std::string_view) override;
  bool cancelRequested() const override;

 private:
  Loop& loop_;
  Slot& slot_;
};

class Loop {
 public:
  Loop(IndexRange range, const LoopOptions& options, const ChunkBody& body, Progress& progress)
      : range_(range),
        grain_(options.grain),
        step_(options.step),
        body_(body),
        progress_(progress),
        chunks_(chunkCount(range, options.grain)),
        shares_(chunkShares(options.costs)),
        slots_(std::max<std::size_t>(1, std::min(maxThreads(), chunks_))) {}

  void run() {
    progress_.check();
    if (chunks_ == 0) return progress_.report(1.0, step_);
    tbb::task_group helpers;
    for (std::size_t p = 1; p < slots_.size(); ++p) helpers.run([this, p] { work(p); });
    try {
      work(0);
      waitForHelpers();
    } catch (...) {
      // Only a failure to lock or wait gets here; the helpers must still be joined.
      stop_ = true;
      helpers.wait();
      throw;
    }
    helpers.wait();  // every chunk has stopped from here on
    if (failure_) std::rethrow_exception(failure_);
    if (sinkFailure_) std::rethrow_exception(sinkFailure_);
    if (cancelled_ || chunkCancelled_) throw Cancelled{};
    progress_.report(1.0, step_);
  }

  // Slot 0 is worked by the calling thread alone (run() calls work(0) itself), so a chunk's
  // sink knows it is on the caller by its slot, without asking the thread for its identity.
  bool isCallerSlot(const Slot& slot) const { return &slot == &slots_.front(); }
  bool stopping() const { return stop_; }

  // Calling thread only: report the estimate and ask the sink whether to cancel. A sink that
  // throws stops the loop; its exception reaches the caller once every chunk has stopped.
  void reportAndPoll() {
    callSink([this] {
      lastReported_ = std::max(lastReported_, std::min(1.0, estimate()));
      progress_.report(lastReported_, step_);
    });
    pollCancel();
  }

  // Calling thread only: ask the sink whether to cancel.
  void pollCancel() {
    callSink([this] {
      if (progress_.cancelRequested()) {
        cancelled_ = true;
        stop_ = true;
      }
    });
  }

 private:
  // Each chunk's share of the loop's cost, from the costs; empty when every index costs the
  // same (shareOf() then divides evenly, and the loop allocates nothing for it).
  std::vector<double> chunkShares(std::span<const double> costs) const {
    if (costs.empty()) return {};
    if (costs.size() != range_.size())
      throw Error(ErrorKind::Internal,
                  "A parallel loop over " + std::to_string(range_.size()) + " indices was given " +
                      std::to_string(costs.size()) + " costs; give one per index or none.",
                  "costs");
    double total = 0.0;
    for (double cost : costs) total += std::max(cost, 0.0);
    if (total <= 0.0) return {};
    std::vector<double> shares(chunks_);
    for (std::size_t c = 0; c < chunks_; ++c) {
      double chunkCost = 0.0;
      const IndexRange chunk = chunkAt(c);
      for (std::size_t i = chunk.begin; i < chunk.end; ++i)
        chunkCost += std::max(costs[i - range_.begin], 0.0);
      shares[c] = chunkCost / total;
    }
    return shares;
  }

  double shareOf(std::size_t chunk) const {
    return shares_.empty() ? 1.0 / static_cast<double>(chunks_) : shares_[chunk];
  }

  template <class Call>
  void callSink(const Call& call) {
    if (sinkFailure_) return;
    try {
      call();
    } catch (...) {
      sinkFailure_ = std::current_exception();
      stop_ = true;
    }
  }

  IndexRange chunkAt(std::size_t c) const {
    const std::size_t begin = range_.begin + c * grain_;
    return {begin, std::min(range_.end, begin + grain_)};
  }

  // Finished chunks plus the running ones' own fractions. Slots are cleared before their
  // chunk is counted as finished, so the estimate may lag but never runs ahead.
  double estimate() const {
    double done = finishedShare_.load();
    for (const Slot& slot : slots_) done += slot.share.load() * slot.fraction.load();
    return done;
  }

  // One participant: claims chunks in index order until none is left or the loop stops.
  void work(std::size_t participant) {
    while (!stop_) {
      ++busy_;  // before claiming, so that a waiting caller never misses a running chunk
      const std::size_t chunk = nextChunk_++;
      if (chunk >= chunks_ || stop_) {
        chunkFinished(participant);
        break;
      }
      runChunk(chunk, slots_[participant]);
      chunkFinished(participant);
      if (participant == 0) reportAndPoll();
    }
  }

  // Only a helper's last running chunk wakes the caller (who reports and polls every
  // kPollInterval meanwhile); the caller never waits while it runs chunks itself.
  void chunkFinished(std::size_t participant) {
    if (--busy_ != 0 || participant == 0) return;
    { const std::lock_guard lock(mutex_); }  // so that the notification cannot fall between
    finished_.notify_one();                  // the caller's check of busy_ and its wait
  }

  void runChunk(std::size_t chunk, Slot& slot) {
    slot.fraction = 0.0;
    slot.share = shareOf(chunk);
    ChunkProgress chunkProgress(*this, slot);
    try {
      // Isolated: while a chunk waits for its own nested TBB work (VTK's filters run on TBB),
      // its thread must not pick up another participant of this loop and stall the chunk.
      tbb::this_task_arena::isolate([&] { body_(chunkAt(chunk), chunkProgress); });
    } catch (const Cancelled&) {
      if (!stop_) chunkCancelled_ = true;  // the chunk itself decided to cancel
      stop_ = true;
    } catch (...) {
      const std::lock_guard lock(mutex_);
      if (chunk < failedChunk_) {  // the first failing chunk wins, as in a serial loop
        failure_ = std::current_exception();
        failedChunk_ = chunk;
      }
      stop_ = true;
    }
    slot.share = 0.0;
    slot.fraction = 0.0;
    finishedShare_ += shareOf(chunk);
  }

  // Calling thread, after it found no chunk left to claim: waits for the chunks others run,
  // reporting and polling every kPollInterval and when the last one finishes.
  void waitForHelpers() {
    // Most loops here are short kernels whose other chunks end within microseconds: the caller
    // first watches busy_ for a moment on its own core, which has nothing else to do until the
    // loop ends, before it sleeps (waking from the condition variable takes tens of
    // microseconds, as long as many whole loops).
    const auto watchUntil = std::chrono::steady_clock::now() + kWatchBeforeSleep;
    for (int spin = 1; busy_ > 0; ++spin) {
      pause();
      if (spin % 64 == 0 && std::chrono::steady_clock::now() >= watchUntil) break;
    }
    if (busy_ == 0) return;  // run() reports the end
    std::unique_lock lock(mutex_);
    while (busy_ > 0) {
      finished_.wait_for(lock, kPollInterval);
      lock.unlock();
      reportAndPoll();
      lock.lock();
    }
  }

  const IndexRange range_;
  const std::size_t grain_;
  const std::string_view step_;
  const ChunkBody& body_;
  Progress& progress_;
  const std::size_t chunks_;
  const std::vector<double> shares_;
  std::vector<Slot> slots_;  // one per participant; slot 0 is the calling thread's

  std::atomic<std::size_t> nextChunk_{0};
  std::atomic<std::size_t> busy_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> chunkCancelled_{false};
  std::atomic<double> finishedShare_{0.0};
  std::mutex mutex_;  // guards failure_ and failedChunk_; pairs with finished_
  std::condition_variable finished_;
  std::exception_ptr failure_;
  std::size_t failedChunk_ = static_cast<std::size_t>(-1);

  // Calling thread only.
  bool cancelled_ = false;
  std::exception_ptr sinkFailure_;
  double lastReported_ = 0.0;
};

void ChunkProgress::report(double fraction, std::string_view) {
  // Only this chunk's thread writes its slot; kept monotonic so that the estimate is too.
  const double clamped = std::clamp(fraction, 0.0, 1.0);
  if (clamped > slot_.fraction.load()) slot_.fraction = clamped;
  if (loop_.isCallerSlot(slot_)) loop_.reportAndPoll();
}

bool ChunkProgress::cancelRequested() const {
  if (loop_.isCallerSlot(slot_)) loop_.pollCancel();
  return loop_.stopping();
}

}  // namespace

std::size_t chunkCount(IndexRange range, std::size_t grain) {
  if (grain == 0)
    throw Error(ErrorKind::Internal, "A parallel loop needs at least one index per chunk.",
                "grain");
  return (range.size() + grain - 1) / grain;
}

void forEachChunk(IndexRange range, const LoopOptions& options, const ChunkBody& body,
                  Progress& progress) {
  Loop(range, options, body, progress).run();
}

std::size_t maxThreads() {
  const auto arena = static_cast<std::size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
  const std::size_t cap =
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  return std::max<std::size_t>(1, std::min(arena, cap));
}

struct ThreadLimit::Control {
  explicit Control(std::size_t threads)
      : control(tbb::global_control::max_allowed_parallelism, threads) {}
  tbb::global_control control;
};

ThreadLimit::ThreadLimit(std::size_t threads) {
  if (threads == 0)
    throw Error(ErrorKind::InvalidInput, "A thread limit must allow at least one thread.",
                "threads");
  control_ = std::make_unique<Control>(threads);
}

ThreadLimit::~ThreadLimit() = default;

}  // namespace twinplan::parallel
