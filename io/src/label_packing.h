#pragma once
// Putting an imported segment's voxels into a LabelMap (RTSTRUCT and SEG import).
#include <cstdint>
#include <vector>

#include "twinplan/core/label_map.h"

namespace twinplan::io::detail {

// Adds `segment` with the voxels where mask != 0, in the first layer where it overlaps no
// other segment (a new layer when none), with the lowest label value unused in that layer.
// Returns the segment's index.
std::size_t addPackedSegment(LabelMap& labels, Segment segment,
                             const std::vector<std::uint8_t>& mask);

// The voxels of segment `index` as a 0/1 mask.
std::vector<std::uint8_t> segmentMask(const LabelMap& labels, std::size_t index);

}  // namespace twinplan::io::detail
