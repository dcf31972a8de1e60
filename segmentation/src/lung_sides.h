#pragma once
// The lungs preset's right and left lung (presets.cpp): which air space is which lung, and the
// cut between lungs that touch at the anterior or posterior junction line.
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/region_mask.h"

namespace twinplan::segmentation::detail {

// Whether `lung` (one face-connected air space) lies on both sides of the body's mid-sagittal
// plane with at least kJoinedLungSide of it on each side: both lungs joined.
bool holdsBothLungs(const RegionMask& lung, const RegionMask& body);

struct LungSides {
  RegionMask right, left;  // patient right (-x in LPS) and left (+x)
};

// Splits `lungs` (the preset's one or two air spaces, on the body's grid) into the right and the
// left lung. An air space that holds both lungs is eroded (thresholds of its distance map) until
// it falls into two cores of one order of size; every other voxel of it then goes to the core it
// reaches first along paths inside the air space (geodesic distance in mm). Any other air space
// goes, whole, to the side of the body's midline its centroid lies on. One lung in view gives an
// empty other side.
LungSides splitLungSides(const RegionMask& lungs, const RegionMask& body, Progress& progress);

}  // namespace twinplan::segmentation::detail
