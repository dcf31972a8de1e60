#pragma once
// A label layer being edited slice by slice: the layer of a label map as it was, with the slices
// an edit wrote to replaced by copies of their own (copy-on-write per slice). A brush stroke
// paints into one of these, so its first mouse move copies the one or few slices it touches
// (0.5 MB for a 512x512 slice) instead of the whole layer (157 MB at 512x512x300,
// docs/benchmarks.md "Segment editor"); the views draw it in place of the layer it edits, and
// the stroke's undoable edit reads its new values from it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "twinplan/core/label_map.h"

namespace twinplan {

class LabelLayerEdit {
 public:
  LabelLayerEdit() = default;
  // Layer `layer` of `labels` (a copy of the map is kept: it shares the voxels, copy-on-write,
  // so the original stays untouched). Throws Error(Internal) for an absent layer.
  LabelLayerEdit(const LabelMap& labels, int layer);

  const LabelMap& original() const { return original_; }
  int layer() const { return layer_; }
  // The layer as it was when the edit began (the voxels the original label map holds).
  const std::vector<std::uint16_t>& originalLayer() const { return original_.layer(layer_); }

  // The value of voxel `v` (linear index) now.
  std::uint16_t operator[](std::size_t v) const {
    const auto& copy = slices_[v / sliceVoxels_];
    return copy ? (*copy)[v % sliceVoxels_] : (*base_)[v];
  }
  // Voxel `v` for writing: its slice is copied on the first write to it. Not thread-safe for
  // slices not yet copied: call prepare() first when writing from several threads.
  std::uint16_t& writable(std::size_t v) { return sliceFor(v / sliceVoxels_)[v % sliceVoxels_]; }
  // Copies the slices of `voxels` that are not yet the edit's own; afterwards writable() on
  // them touches disjoint memory and may run in parallel.
  void prepare(std::span<const std::size_t> voxels);
  // Slice k's voxels now (i fastest, then j): the edit's copy or the original's.
  const std::uint16_t* slice(std::int64_t k) const;
  std::size_t copiedSlices() const;
  std::size_t sliceVoxels() const { return sliceVoxels_; }

 private:
  std::vector<std::uint16_t>& sliceFor(std::size_t k);
  LabelMap original_;
  int layer_ = 0;
  const std::vector<std::uint16_t>* base_ = nullptr;
  std::size_t sliceVoxels_ = 1;
  std::vector<std::unique_ptr<std::vector<std::uint16_t>>> slices_;  // per k; null: not copied
};

}  // namespace twinplan
