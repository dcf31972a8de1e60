#include "label_packing.h"

#include <algorithm>
#include <utility>

#include "twinplan/core/error.h"

namespace twinplan::io::detail {

std::size_t addPackedSegment(LabelMap& labels, Segment segment,
                             const std::vector<std::uint8_t>& mask) {
  if (mask.size() != labels.geometry().voxelCount())
    throw Error(ErrorKind::Internal, "A segment mask does not match its labelmap's grid.");
  int layer = 0;
  for (; layer < labels.layerCount(); ++layer) {
    const auto& values = std::as_const(labels).layer(layer);
    bool overlaps = false;
    for (std::size_t n = 0; n < mask.size() && !overlaps; ++n) overlaps = mask[n] && values[n];
    if (!overlaps) break;
  }
  if (layer == labels.layerCount()) labels.addLayer();
  std::uint16_t value = 1;
  for (const Segment& s : labels.segments())
    if (s.layer == layer) value = std::max<std::uint16_t>(value, s.value + 1);
  auto& values = labels.layer(layer);
  for (std::size_t n = 0; n < mask.size(); ++n)
    if (mask[n]) values[n] = value;
  segment.layer = layer;
  segment.value = value;
  return labels.addSegment(std::move(segment));
}

std::vector<std::uint8_t> segmentMask(const LabelMap& labels, std::size_t index) {
  const Segment& s = labels.segments().at(index);
  const auto& values = labels.layer(s.layer);
  std::vector<std::uint8_t> mask(values.size());
  std::transform(values.begin(), values.end(), mask.begin(),
                 [&](std::uint16_t v) { return static_cast<std::uint8_t>(v == s.value); });
  return mask;
}

}  // namespace twinplan::io::detail
