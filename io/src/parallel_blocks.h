#pragma once
// Private to io: a parallel loop over independent items (files, slices) in blocks, for the
// DICOM loader, on the project's parallel layer (core/parallel.h).
//
// Between blocks the calling thread, and only it, polls the Progress (cancel) and reports,
// because Progress implementations are not thread-safe. An exception thrown by an item is
// kept and the one of the lowest index is rethrown after its block, so the error a user sees
// does not depend on thread timing.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <vector>

#include "twinplan/core/parallel.h"
#include "twinplan/core/progress.h"

namespace twinplan::io::detail {

// item(i) for every i in [0, count), in parallel within blocks of at most `maxBlock` items;
// afterBlock(begin, end) on the calling thread once each block is done, in order. A block is
// at most 1/16 of the items, so that a small series still polls for cancel as often.
template <class Item, class AfterBlock>
void forEachInBlocks(std::size_t count, std::size_t maxBlock, Progress& progress, Item&& item,
                     AfterBlock&& afterBlock) {
  const std::size_t block =
      std::clamp<std::size_t>(count / 16, 1, std::max<std::size_t>(maxBlock, 1));
  std::vector<std::exception_ptr> failures(std::min(block, count));
  for (std::size_t begin = 0; begin < count; begin += block) {
    progress.check();
    const std::size_t end = std::min(count, begin + block);
    std::fill(failures.begin(), failures.end(), nullptr);
    parallel::parallelFor({begin, end}, 1, [&](parallel::IndexRange one) {
      for (std::size_t i = one.begin; i < one.end; ++i) {
        try {
          item(i);
        } catch (...) {
          failures[i - begin] = std::current_exception();
        }
      }
    });
    for (const std::exception_ptr& failure : failures) {
      if (failure) std::rethrow_exception(failure);
    }
    afterBlock(begin, end);
  }
}

}  // namespace twinplan::io::detail
