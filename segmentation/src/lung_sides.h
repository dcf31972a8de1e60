#pragma once
// The lungs preset's right and left lung (presets.cpp): which air space is which lung, and the
// cut between lungs that touch at the anterior or posterior junction line.
#include <vector>

#include "preset_steps.h"
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/region_mask.h"

namespace twinplan::segmentation::detail {

struct LungSides {
  RegionMask right, left;  // patient right (-x in LPS) and left (+x)
};

// The right and the left lung from the chest's air spaces `spaces` (largest first), of which
// `lungSized[n - 1]` says which are large enough for a lung (at most the two largest).
//
// When the largest lies on both sides of the body's mid-sagittal plane (the body outline's
// centroid) with at least 25 % of it on each, it holds both lungs joined, and the next air space
// (bowel or stomach gas) is not a lung. The joined air space is eroded (thresholds of its
// distance map) until it falls into two cores of one order of size; every other voxel of it
// then goes to the core it reaches first along paths inside it (geodesic distance in mm); the
// core further to the patient's left (+x) is the left lung. Any other kept air space goes,
// whole, to the side of the midline its centroid lies on. One lung in view gives an empty other
// side.
LungSides findLungSides(const Components& spaces, const std::vector<bool>& lungSized,
                        const RegionMask& body, Progress& progress);

}  // namespace twinplan::segmentation::detail
