#pragma once
// How well two segmentations of the same structure agree: the overlap and surface-distance
// measures radiologists and papers report (issue #16 item 6). Definitions follow Taha & Hanbury,
// "Metrics for evaluating 3D medical image segmentation", BMC Medical Imaging 15:29 (2015).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"

namespace twinplan::segmentation {

// One structure's voxels on its own grid (1 inside, 0 outside), i fastest.
struct SegmentMask {
  std::string name;
  ImageGeometry geometry;
  std::vector<std::uint8_t> inside;
  std::size_t count() const;
  double volume_ml() const;  // voxel count x voxel volume
};

// Segment `segment` of `labels` (its layer and value).
SegmentMask maskOfSegment(const LabelMap& labels, std::size_t segment);
// The voxels of a label image (NIfTI/NRRD read with io::readImageFile) equal to `label`, or all
// non-zero voxels when `label` is 0. Throws Error(InvalidInput) for a colour or 2D image.
SegmentMask maskOfLabel(const ImageVolume& labels, double label, const std::string& name = {});

struct SegmentComparison {
  // Overlap, counted on the finer of the two grids (the other mask sampled at its voxel
  // centres, nearest neighbour): Dice = 2|A∩B| / (|A|+|B|), Jaccard = |A∩B| / |A∪B|.
  double dice = 0.0, jaccard = 0.0;
  // Surface distances between the boundary voxels of each mask (a voxel inside with a face
  // neighbour outside or off the grid), at their LPS centres, each mask on its own grid; exact
  // nearest-point distances. Hausdorff: the larger directed maximum; hausdorff95: the 95th
  // percentile of both directed distance sets together (linear interpolation, as numpy's
  // default); mean: the mean of both sets together (average symmetric surface distance).
  double hausdorff_mm = 0.0, hausdorff95_mm = 0.0, meanSurfaceDistance_mm = 0.0;
  // Volumes on each mask's own grid, and B - A (ml and percent of A).
  double volumeA_ml = 0.0, volumeB_ml = 0.0;
  double volumeDifference_ml = 0.0, volumeDifference_percent = 0.0;
};

// Throws Error(InvalidInput) when either mask is empty (no surface to measure) naming it.
SegmentComparison compareSegments(const SegmentMask& a, const SegmentMask& b,
                                  Progress& progress = noProgress());

// {"dice", "jaccard", "hausdorff_mm", "hausdorff95_mm", "mean_surface_distance_mm",
//  "volume_a_ml", "volume_b_ml", "volume_difference_ml", "volume_difference_percent"}
nlohmann::json comparisonJson(const SegmentComparison& comparison);

// The LPS centres of a mask's boundary voxels (see SegmentComparison), in index order.
std::vector<Vec3> boundaryPoints(const SegmentMask& mask);

}  // namespace twinplan::segmentation
