#pragma once
// Resampling a series onto another's grid through a registration: what "show the MR on the CT
// grid", "export the fused MR" and label transfer need. For every voxel centre p of the
// reference grid the moving image is read at fixedToMoving(p) (ITK's ResampleImageFilter
// convention: the transform maps output - fixed - points to input - moving - points).
#include <string_view>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/spatial_transform.h"

namespace twinplan::registration {

enum class Interpolation {
  Nearest,  // the voxel whose centre is nearest (labels, masks, exact voxel copies)
  Linear,   // trilinear between the 8 surrounding centres (ITK LinearInterpolateImageFunction)
};
const char* toString(Interpolation interpolation);             // "nearest" | "linear"
Interpolation interpolationFromString(std::string_view name);  // throws Error(InvalidInput)

// The moving volume on `reference`'s grid. A point is inside the moving image when its
// continuous index lies within [-0.5, size - 0.5] on every axis (voxel edges, as ITK); at the
// border the edge voxels are repeated for interpolation; outside, `outsideValue` (clamped to the
// pixel type). The result keeps the moving pixel type (integer types rounded to nearest and
// clamped), unit, padding range and DICOM info, except the frame of reference UID, which is
// cleared: the voxels now lie in the reference's patient space (the overload below sets it).
// A continuous index within 1e-6 voxel of a voxel centre reads that voxel exactly, so a shift
// by whole voxels copies voxel values bit for bit. Parallel over slices (core/parallel.h),
// cancellable. Throws Error(Unsupported) for a 2D or colour image (requirePatientVolume).
ImageVolume resampleOnto(const ImageVolume& moving, const ImageGeometry& reference,
                         const SpatialTransform& fixedToMoving,
                         Interpolation interpolation = Interpolation::Linear,
                         double outsideValue = 0.0, Progress& progress = noProgress());

// As above onto `reference`'s grid, named "<moving> (resampled onto <reference>)", with the
// reference's frame of reference UID and an assumption line saying how it was made.
ImageVolume resampleOnto(const ImageVolume& moving, const ImageVolume& reference,
                         const SpatialTransform& fixedToMoving, Interpolation interpolation,
                         double outsideValue, Progress& progress = noProgress());

// Every layer of `moving` by nearest neighbour onto `reference` (0 outside); segments,
// their layers and values are kept.
LabelMap resampleLabels(const LabelMap& moving, const ImageGeometry& reference,
                        const SpatialTransform& fixedToMoving, Progress& progress = noProgress());

// The value a resampled image takes where the moving image has no data, by default: its lowest
// voxel value, so that outside reads as its background (air in CT, no signal in MR) rather than
// 0 (water in CT). 0 for a colour image.
double backgroundValue(const ImageVolume& moving);

}  // namespace twinplan::registration
