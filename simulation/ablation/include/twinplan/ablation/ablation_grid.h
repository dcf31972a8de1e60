#pragma once
// The box of tissue an ablation is simulated on (issue #17 item 2): a regular grid with
// isotropic voxels (1 mm by default) around the probe tip, each voxel naming the tissue it is
// made of. Built from a case's segments and CT (grid_builder.h); built by hand in tests.
#include <cstdint>
#include <vector>

#include "twinplan/ablation/tissue_properties.h"
#include "twinplan/core/geometry.h"

namespace twinplan::ablation {

// Index into AblationGrid::tissues; 255 at most tissues per grid.
using TissueIndex = std::uint8_t;

struct AblationGrid {
  // LPS millimetres; spacing_mm is the same on the three axes (the solvers assume it).
  ImageGeometry geometry;
  // One entry per voxel, i fastest (geometry.linearIndex), indexing `tissues`.
  std::vector<TissueIndex> tissue;
  std::vector<TissueProperties> tissues;
  // Large vessels for the heat-sink model: mean blood flow speed (m/s) in the voxels of a
  // vessel segment, 0 elsewhere. Empty when the case has no vessel segments.
  std::vector<float> bloodSpeed_m_s;

  double voxelSize_m() const { return geometry.spacing_mm.x() * 1e-3; }
  const TissueProperties& tissueAt(std::size_t voxel) const { return tissues[tissue[voxel]]; }
};

// A grid of one tissue everywhere: the analytic validation cases and unit tests.
AblationGrid uniformGrid(const TissueProperties& tissue, std::array<std::int64_t, 3> size,
                         double spacing_mm, const Vec3& centre_lps = Vec3::Zero());

}  // namespace twinplan::ablation
