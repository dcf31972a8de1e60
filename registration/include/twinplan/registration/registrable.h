#pragma once
// Whether two series can be registered at all, checked before any optimisation starts so that
// the user gets the reason instead of a meaningless result.
#include <string_view>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/spatial_transform.h"

namespace twinplan::registration {

// The fraction of the fixed image's bounding box (in LPS) that the moving image's box covers
// once mapped by `initial` (fixed -> moving), 0..1. Boxes span voxel edges; corners are mapped,
// so an oblique moving box is over-estimated by its axis-aligned hull (a check, not a metric).
double boxOverlapFraction(const ImageVolume& fixed, const ImageVolume& moving,
                          const SpatialTransform& initial = SpatialTransform::identity());

// Throws Error naming the series and the reason when they cannot be registered (Unsupported for
// a 2D image, as requirePatientVolume; InvalidInput otherwise):
// either is not a 3D patient volume (a 2D image, a colour picture), has fewer than 4 voxels
// along an axis (no gradient for a metric), or the two do not overlap under `initial`
// (boxOverlapFraction below `minOverlap`). `purpose` words the message ("rigid registration").
void requireRegistrable(const ImageVolume& fixed, const ImageVolume& moving,
                        const SpatialTransform& initial, std::string_view purpose,
                        double minOverlap = 0.01);

}  // namespace twinplan::registration
