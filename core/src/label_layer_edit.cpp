#include "twinplan/core/label_layer_edit.h"

#include <algorithm>
#include <utility>

#include "twinplan/core/error.h"

namespace twinplan {

LabelLayerEdit::LabelLayerEdit(const LabelMap& labels, int layer)
    : original_(labels), layer_(layer) {
  if (layer < 0 || layer >= original_.layerCount()) {
    throw Error(ErrorKind::Internal, "Label layer " + std::to_string(layer) +
                                         " does not exist in label map '" + labels.name + "'.");
  }
  base_ = &std::as_const(original_).layer(layer);  // const: shares, copies nothing
  const auto& size = original_.geometry().size;
  sliceVoxels_ = std::max<std::size_t>(1, static_cast<std::size_t>(size[0] * size[1]));
  slices_.resize(static_cast<std::size_t>(std::max<std::int64_t>(size[2], 0)));
}

std::vector<std::uint16_t>& LabelLayerEdit::sliceFor(std::size_t k) {
  auto& copy = slices_.at(k);
  if (!copy) {
    const auto first = base_->begin() + static_cast<std::ptrdiff_t>(k * sliceVoxels_);
    copy = std::make_unique<std::vector<std::uint16_t>>(
        first, first + static_cast<std::ptrdiff_t>(sliceVoxels_));
  }
  return *copy;
}

void LabelLayerEdit::prepare(std::span<const std::size_t> voxels) {
  for (std::size_t v : voxels) sliceFor(v / sliceVoxels_);
}

const std::uint16_t* LabelLayerEdit::slice(std::int64_t k) const {
  const auto& copy = slices_.at(static_cast<std::size_t>(k));
  return copy ? copy->data() : base_->data() + static_cast<std::size_t>(k) * sliceVoxels_;
}

std::size_t LabelLayerEdit::copiedSlices() const {
  return static_cast<std::size_t>(
      std::count_if(slices_.begin(), slices_.end(), [](const auto& s) { return s != nullptr; }));
}

}  // namespace twinplan
