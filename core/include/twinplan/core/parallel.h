#pragma once
// Parallel loops for TwinPlan's own kernels, on oneTBB (DESIGN.md sections 5 and 10).
//
// A loop splits an index range into fixed chunks of `grain` indices. The chunks do not depend
// on the thread count, so a reduction that combines per-chunk results in chunk order gives the
// same bits on 1 or 64 threads. The calling thread takes part in the work and is the only one
// that touches the caller's Progress (sinks are not thread-safe): it reports between its own
// chunks and every 50 ms while others finish theirs, and polls for cancel. A chunk sees its own
// Progress, safe on any thread: report() records the chunk's fraction, cancelRequested() says
// the caller cancelled or another chunk failed. After every chunk has stopped, the first
// failing chunk's exception is rethrown to the caller, or Cancelled.
//
// The header carries no oneTBB type, so users need not compile against it.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::parallel {

// Indices begin..end-1.
struct IndexRange {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end > begin ? end - begin : 0; }
  bool operator==(const IndexRange&) const = default;
};

struct LoopOptions {
  // Indices per chunk: the unit of scheduling, of progress and of cancel polling. Pick it so
  // that a chunk takes well under 50 ms, or poll the chunk's Progress inside it.
  std::size_t grain = 1;
  // The step name given with the caller's progress reports.
  std::string_view step;
  // Optional relative cost of each index (one per index of the range), so that progress moves
  // with the work rather than the index count; empty means every index costs the same.
  std::span<const double> costs;
};

// Called once per chunk, on any thread; `chunkProgress` is the chunk's own sink (see above).
using ChunkBody = std::function<void(IndexRange chunk, Progress& chunkProgress)>;

// Runs `body` over `range` in chunks of `options.grain` on up to maxThreads() threads and
// returns when every chunk has run. Throws Cancelled when the caller cancels (also before any
// work), or the exception of the first (lowest) failing chunk; nothing runs after either.
void forEachChunk(IndexRange range, const LoopOptions& options, const ChunkBody& body,
                  Progress& progress = noProgress());

// The number of chunks `range` is split into with `grain` indices per chunk.
std::size_t chunkCount(IndexRange range, std::size_t grain);

// body(IndexRange chunk) over `range`, chunks of `grain` indices.
template <class Body>
void parallelFor(IndexRange range, std::size_t grain, Body&& body,
                 Progress& progress = noProgress(), std::string_view step = {}) {
  forEachChunk(
      range, {grain, step, {}}, [&body](IndexRange chunk, Progress&) { body(chunk); }, progress);
}

// Deterministic reduction: reduceBlock(IndexRange) -> T for each block of `blockSize`
// indices, then result = combine(...combine(combine(identity, block0), block1)..., blockN) on
// the calling thread, in block order. The blocks are fixed by blockSize alone, so a
// floating-point sum is bitwise the same for any thread count (only blockSize changes it).
template <class T, class ReduceBlock, class Combine>
T parallelReduce(IndexRange range, std::size_t blockSize, T identity, ReduceBlock&& reduceBlock,
                 Combine&& combine, Progress& progress = noProgress(), std::string_view step = {}) {
  std::vector<std::optional<T>> blocks(chunkCount(range, blockSize));
  forEachChunk(
      range, {blockSize, step, {}},
      [&](IndexRange block, Progress&) {
        blocks[(block.begin - range.begin) / blockSize].emplace(reduceBlock(block));
      },
      progress);
  T result = std::move(identity);
  for (std::optional<T>& block : blocks) result = combine(std::move(result), std::move(*block));
  return result;
}

// The threads a loop started from here may use: the current oneTBB arena's concurrency,
// capped by any ThreadLimit alive in the process.
std::size_t maxThreads();

// Caps every loop in the process at `threads` threads while it lives (tbb::global_control);
// for tests (1 against N threads) and a user's "use N cores" setting. The lowest live cap wins.
class ThreadLimit {
 public:
  explicit ThreadLimit(std::size_t threads);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  struct Control;
  std::unique_ptr<Control> control_;
};

}  // namespace twinplan::parallel
