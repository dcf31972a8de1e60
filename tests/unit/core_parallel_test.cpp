// The parallel loops (core/parallel.h): every index once, the same bits with 1 and N threads,
// real concurrency when threads are allowed, cancel from the caller's sink, worker exceptions
// reaching the caller, and the caller's sink touched only from the calling thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::parallel {
namespace {

// True on the thread that runs the tests (gtest's main thread), false on oneTBB's workers: set
// when a sink is made or a test asks, so tests tell threads apart without thread ids.
thread_local bool tOnTestThread = false;

// A small number of its own for each thread that asks (distinct per thread).
int threadTag() {
  static std::atomic<int> next{1};
  thread_local const int tag = next++;
  return tag;
}

// A sink that fails the test when used from any thread but the one that made it.
class CallerOnlyProgress : public test::RecordingProgress {
 public:
  explicit CallerOnlyProgress(int cancelAtReport = -1) : RecordingProgress(cancelAtReport) {
    tOnTestThread = true;
  }
  void report(double fraction, std::string_view step) override {
    EXPECT_TRUE(tOnTestThread) << "report() from a worker thread";
    RecordingProgress::report(fraction, step);
  }
  bool cancelRequested() const override {
    EXPECT_TRUE(tOnTestThread) << "cancelRequested() from a worker thread";
    return RecordingProgress::cancelRequested() || cancel;
  }
  std::atomic<bool> cancel{false};
};

// Values over 16 orders of magnitude, both signs: their double sum depends on the order of the
// additions, so a reduction whose grouping followed the threads would differ in the last bits.
double term(std::size_t i) {
  return std::sin(static_cast<double>(i)) * std::pow(10.0, static_cast<double>(i % 17) - 8.0);
}

double blockSum(IndexRange block) {
  double sum = 0.0;
  for (std::size_t i = block.begin; i < block.end; ++i) sum += term(i);
  return sum;
}

double parallelSum(IndexRange range, std::size_t blockSize) {
  return parallelReduce(range, blockSize, 0.0, blockSum, [](double a, double b) { return a + b; });
}

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(Parallel, EveryIndexRunsExactlyOnceInChunksOfTheGrain) {
  for (std::size_t threads : {std::size_t{1}, std::size_t{4}}) {
    const ThreadLimit limit(threads);
    const IndexRange range{7, 7 + 1003};  // 1003 = 125 chunks of 8 + one of 3
    std::vector<std::atomic<int>> visits(1003 + 7);
    std::atomic<std::size_t> chunks{0}, shortChunks{0};
    parallelFor(range, 8, [&](IndexRange chunk) {
      ++chunks;
      if (chunk.size() != 8) {
        ++shortChunks;
        EXPECT_EQ(chunk, (IndexRange{1007, 1010}));
      }
      for (std::size_t i = chunk.begin; i < chunk.end; ++i) ++visits[i];
    });
    EXPECT_EQ(chunks, 126u);
    EXPECT_EQ(shortChunks, 1u);
    for (std::size_t i = 0; i < visits.size(); ++i) EXPECT_EQ(visits[i], i < 7 ? 0 : 1) << i;
  }
}

TEST(Parallel, EmptyRangeRunsNothingAndReportsDone) {
  CallerOnlyProgress progress;
  parallelFor(
      IndexRange{5, 5}, 4, [](IndexRange) { ADD_FAILURE() << "body ran"; }, progress);
  ASSERT_EQ(progress.fractions.size(), 1u);
  EXPECT_EQ(progress.fractions.back(), 1.0);
  EXPECT_EQ(parallelSum(IndexRange{3, 3}, 16), 0.0);
}

TEST(Parallel, ReduceGivesTheSameBitsForAnyThreadCount) {
  const IndexRange range{0, 200'000};
  const std::size_t blockSize = 1000;
  // The expected value, computed here without the facility: block sums added in block order.
  double expected = 0.0;
  for (std::size_t b = range.begin; b < range.end; b += blockSize)
    expected += blockSum({b, std::min(range.end, b + blockSize)});
  // And the same numbers added one by one: a different grouping, so different low bits; this
  // shows the data can tell orders apart.
  double oneByOne = 0.0;
  for (std::size_t i = range.begin; i < range.end; ++i) oneByOne += term(i);
  EXPECT_FALSE(sameBits(expected, oneByOne));

  for (std::size_t threads : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{8}}) {
    const ThreadLimit limit(threads);
    for (int repeat = 0; repeat < 3; ++repeat) {
      const double sum = parallelSum(range, blockSize);
      EXPECT_TRUE(sameBits(sum, expected)) << threads << " threads: " << sum << " != " << expected
                                           << " (difference " << sum - expected << ")";
    }
  }
}

TEST(Parallel, ReduceCombinesNonCommutativeResultsInBlockOrder) {
  const ThreadLimit limit(4);
  const std::string digits = parallelReduce(
      IndexRange{0, 26}, 3, std::string{},
      [](IndexRange block) {
        std::string s;
        for (std::size_t i = block.begin; i < block.end; ++i) s += static_cast<char>('a' + i);
        return s;
      },
      [](std::string a, const std::string& b) { return a + b; });
  EXPECT_EQ(digits, "abcdefghijklmnopqrstuvwxyz");
}

TEST(Parallel, ChunksRunConcurrentlyWhenThreadsAreAllowed) {
  const ThreadLimit limit(2);
  if (maxThreads() < 2) GTEST_SKIP() << "one core: no second thread to meet";
  // Chunk 0 waits for chunk 1 to start on another thread; a serial loop would time out.
  std::mutex mutex;
  std::condition_variable started;
  bool secondStarted = false;
  std::set<int> threads;
  bool met = false;
  parallelFor(IndexRange{0, 2}, 1, [&](IndexRange chunk) {
    std::unique_lock lock(mutex);
    threads.insert(threadTag());
    if (chunk.begin == 1) {
      secondStarted = true;
      started.notify_all();
    } else {
      met = started.wait_for(lock, std::chrono::seconds(20), [&] { return secondStarted; });
    }
  });
  EXPECT_TRUE(met);
  EXPECT_EQ(threads.size(), 2u);
}

TEST(Parallel, SingleThreadRunsEveryChunkOnTheCallerInOrder) {
  const ThreadLimit limit(1);
  EXPECT_EQ(maxThreads(), 1u);
  std::vector<std::size_t> order;
  tOnTestThread = true;
  parallelFor(IndexRange{0, 50}, 5, [&](IndexRange chunk) {
    EXPECT_TRUE(tOnTestThread);
    order.push_back(chunk.begin);
  });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 5, 10, 15, 20, 25, 30, 35, 40, 45}));
}

TEST(Parallel, ProgressIsMonotonicFromTheCallerAndEndsAtOne) {
  for (std::size_t threads : {std::size_t{1}, std::size_t{4}}) {
    const ThreadLimit limit(threads);
    CallerOnlyProgress progress;
    forEachChunk(
        {0, 40}, {1, "Testing", {}},
        [](IndexRange, Progress& chunkProgress) {
          for (int step = 1; step <= 4; ++step) {
            chunkProgress.report(step / 4.0, "ignored");
            std::this_thread::sleep_for(std::chrono::microseconds(200));
          }
        },
        progress);
    ASSERT_GE(progress.fractions.size(), 2u);
    EXPECT_TRUE(std::is_sorted(progress.fractions.begin(), progress.fractions.end()));
    EXPECT_EQ(progress.fractions.back(), 1.0);
    for (const std::string& step : progress.steps) EXPECT_EQ(step, "Testing");
  }
}

TEST(Parallel, CostsWeightTheProgressOfEachChunk) {
  // With one thread, the report after chunk 0 (cost 3 of 4) is exactly 0.75.
  const ThreadLimit limit(1);
  CallerOnlyProgress progress;
  const std::vector<double> costs{3.0, 1.0};
  forEachChunk(
      {0, 2}, {1, "Weighted", costs}, [](IndexRange, Progress&) {}, progress);
  ASSERT_EQ(progress.fractions.size(), 3u);  // after chunk 0, after chunk 1, done
  EXPECT_DOUBLE_EQ(progress.fractions[0], 0.75);
  EXPECT_DOUBLE_EQ(progress.fractions[1], 1.0);
  const std::vector<double> wrongCount{1.0};
  EXPECT_THROW(forEachChunk({0, 2}, {1, "", wrongCount}, [](IndexRange, Progress&) {}), Error);
}

TEST(Parallel, CancelBeforeTheLoopRunsNothing) {
  CallerOnlyProgress progress;
  progress.cancel = true;
  std::atomic<int> ran{0};
  EXPECT_THROW(parallelFor(
                   IndexRange{0, 100}, 1, [&](IndexRange) { ++ran; }, progress),
               Cancelled);
  EXPECT_EQ(ran, 0);
}

TEST(Parallel, CancelStopsTheLoopAfterTheRunningChunks) {
  for (std::size_t threads : {std::size_t{1}, std::size_t{4}}) {
    const ThreadLimit limit(threads);
    CallerOnlyProgress progress;
    std::atomic<std::size_t> ran{0};
    const std::size_t chunks = 100'000;
    auto body = [&](IndexRange chunk) {
      ++ran;
      if (chunk.begin == 10) progress.cancel = true;  // the user presses Cancel
    };
    EXPECT_THROW(parallelFor(IndexRange{0, chunks}, 1, body, progress), Cancelled);
    if (threads == 1)
      EXPECT_EQ(ran, 11u);  // chunks 0..10, then the caller polls
    else
      EXPECT_LT(ran, chunks);
  }
}

TEST(Parallel, LongChunksOnAnyThreadSeeTheCancel) {
  // Each chunk runs until its own sink says stop; the caller's cancel must reach chunks on
  // worker threads (through the stop flag) and on the calling thread (polled directly).
  for (std::size_t threads : {std::size_t{1}, std::size_t{3}}) {
    const ThreadLimit limit(threads);
    std::atomic<int> started{0};
    CallbackProgress progress({}, [&] { return started > 0; });
    const auto begin = std::chrono::steady_clock::now();
    EXPECT_THROW(forEachChunk(
                     {0, 6}, {},
                     [&](IndexRange, Progress& chunkProgress) {
                       ++started;
                       const auto deadline =
                           std::chrono::steady_clock::now() + std::chrono::seconds(30);
                       while (!chunkProgress.cancelRequested()) {
                         ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no cancel";
                         std::this_thread::sleep_for(std::chrono::milliseconds(1));
                       }
                       chunkProgress.check();
                     },
                     progress),
                 Cancelled);
    EXPECT_LE(started, static_cast<int>(threads)) << "chunks started after the cancel";
    EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(30));
  }
}

TEST(Parallel, TheFirstFailingChunksExceptionReachesTheCaller) {
  for (std::size_t threads : {std::size_t{1}, std::size_t{4}}) {
    const ThreadLimit limit(threads);
    std::atomic<std::size_t> ranAfterFailure{0};
    std::atomic<bool> failed{false};
    try {
      parallelFor(IndexRange{0, 1000}, 1, [&](IndexRange chunk) {
        if (failed) ++ranAfterFailure;
        if (chunk.begin == 37 || chunk.begin == 38) {
          failed = true;
          throw Error(ErrorKind::InvalidInput, "Voxel " + std::to_string(chunk.begin) + " is bad.",
                      "voxel");
        }
      });
      ADD_FAILURE() << "no exception";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::InvalidInput);
      EXPECT_EQ(error.context(), "voxel");
      if (threads == 1)
        EXPECT_STREQ(error.what(), "Voxel 37 is bad.");
      else
        EXPECT_TRUE(std::string(error.what()) == "Voxel 37 is bad." ||
                    std::string(error.what()) == "Voxel 38 is bad.")
            << error.what();
    }
    // Only chunks already claimed when the failure came may still run: at most one a thread.
    EXPECT_LE(ranAfterFailure, threads);
  }
  // Any exception type passes through unchanged.
  EXPECT_THROW(parallelFor(IndexRange{0, 8}, 2,
                           [](IndexRange chunk) {
                             if (chunk.begin == 4) throw std::out_of_range("chunk 4");
                           }),
               std::out_of_range);
}

TEST(Parallel, AFailingProgressSinkStopsTheLoopAndReachesTheCaller) {
  const ThreadLimit limit(2);
  CallbackProgress failing([](double fraction, std::string_view) {
    if (fraction > 0.0) throw Error(ErrorKind::Internal, "The progress bar is gone.");
  });
  std::atomic<std::size_t> ran{0};
  EXPECT_THROW(parallelFor(
                   IndexRange{0, 100'000}, 1, [&](IndexRange) { ++ran; }, failing),
               Error);
  EXPECT_LT(ran, 100'000u);
}

TEST(Parallel, BadLoopsAndLimitsAreRefused) {
  EXPECT_THROW(parallelFor(IndexRange{0, 10}, 0, [](IndexRange) {}), Error);
  EXPECT_THROW(ThreadLimit(0), Error);
}

TEST(Parallel, ThreadLimitCapsAndReleases) {
  const std::size_t unlimited = maxThreads();
  {
    const ThreadLimit one(1);
    EXPECT_EQ(maxThreads(), 1u);
    const ThreadLimit two(2);  // the lowest live cap wins
    EXPECT_EQ(maxThreads(), 1u);
  }
  EXPECT_EQ(maxThreads(), unlimited);
  EXPECT_GE(unlimited, 1u);
}

// Set on the thread that starts the loop below: a chunk knows by it whether the caller runs it.
thread_local bool onCallingThread = false;

TEST(Parallel, TheCallerWakesWhenAHelpersLastChunkEnds) {
  // The caller's chunk ends first and it waits for the helper's; only that chunk's end wakes it
  // (parallel.cpp), so a lost wake-up costs the 50 ms poll: 20 loops take about 20 x 10 ms when
  // woken, at least 20 x 50 ms when not.
  const ThreadLimit limit(2);
  if (maxThreads() < 2) GTEST_SKIP() << "needs two threads";
  onCallingThread = true;
  int helperChunks = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int loop = 0; loop < 20; ++loop) {
    std::atomic<int> onHelper{0};
    forEachChunk({0, 2}, {1, "", {}}, [&](IndexRange, Progress&) {
      if (!onCallingThread) ++onHelper;
      std::this_thread::sleep_for(std::chrono::milliseconds(onCallingThread ? 2 : 10));
    });
    helperChunks += onHelper;
  }
  onCallingThread = false;
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(helperChunks, 0) << "no helper ever took a chunk: nothing was waited for";
  EXPECT_LT(elapsed, std::chrono::milliseconds(700));
}

TEST(Parallel, NestedLoopsFinish) {
  // A chunk that runs its own loop (a kernel calling another kernel) must not deadlock.
  const ThreadLimit limit(3);
  const double total = parallelReduce(
      IndexRange{0, 8}, 1, 0.0,
      [](IndexRange outer) {
        return parallelSum({outer.begin * 1000, outer.end * 1000}, 100);
      },
      [](double a, double b) { return a + b; });
  double expected = 0.0;
  for (std::size_t o = 0; o < 8; ++o) {
    double inner = 0.0;
    for (std::size_t b = o * 1000; b < (o + 1) * 1000; b += 100) inner += blockSum({b, b + 100});
    expected += inner;
  }
  EXPECT_TRUE(sameBits(total, expected));
}

}  // namespace
}  // namespace twinplan::parallel
