#pragma once
// Which voxels of an ablation grid a placed device occupies (issue #17 item 2): the active
// (current-carrying or radiating) part and the insulated shaft. Straight electrodes are
// cylinders from the tip back along the axis; a cluster puts parallel electrodes on a regular
// polygon around the axis; a multi-tine electrode's tines evert from the cannula tip into an
// umbrella of the deployed diameter. A thin part still marks the voxels its centre line crosses,
// so a 1.5 mm electrode on a 1 mm grid stays one connected line of voxels.
#include <cstddef>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/heat_source.h"

namespace twinplan::ablation {

struct ProbeVoxels {
  std::vector<std::size_t> active;  // sorted, unique
  std::vector<std::size_t> shaft;   // sorted, unique, none of them active
};

// A straight piece of a probe: centre line from `from_lps` to `to_lps` (mm), radius (mm).
struct ProbeSegment {
  Vec3 from_lps;
  Vec3 to_lps;
  double radius_mm = 0.5;
};

// The centre lines of the device's active part and shaft for this placement.
struct ProbeLayout {
  std::vector<ProbeSegment> active;
  std::vector<ProbeSegment> shaft;
};
ProbeLayout probeLayout(const AblationDevice& device, const ProbePlacement& placement);

// The voxels of the layout in the grid. Throws Error(InvalidInput) when the active part has no
// voxel in the grid (the tip lies outside it).
ProbeVoxels probeVoxels(const AblationGrid& grid, const AblationDevice& device,
                        const ProbePlacement& placement);

// The voxels of a set of segments (unsorted input allowed); used by probeVoxels.
std::vector<std::size_t> segmentVoxels(const ImageGeometry& geometry,
                                       const std::vector<ProbeSegment>& segments);

// Two unit vectors perpendicular to `axis` and to each other.
std::pair<Vec3, Vec3> perpendicularBasis(const Vec3& axis);

}  // namespace twinplan::ablation
