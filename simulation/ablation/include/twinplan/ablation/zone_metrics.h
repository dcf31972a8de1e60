#pragma once
// What a predicted ablation zone means for the patient (issue #17 items 3 and 6): how much of
// the tumour plus its safety margin it covers, the minimal ablative margin, and how much of each
// other structure it destroys. Inputs are masks on the ablation grid (1 inside, 0 outside; one
// per voxel, i fastest), e.g. AblationResult::ablationZone and segmentOnGrid().
#include <cstdint>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation {

// The usual safety margin around a liver tumour: 5 mm (issue #17 item 3; Ahmed M et al.,
// "Image-guided tumor ablation: standardization of terminology and reporting criteria - a
// 10-year update", Radiology 2014;273:241-260, recommends reporting the margin; 5-10 mm is the
// common goal).
inline constexpr double kDefaultTumourMargin_mm = 5.0;

struct TumourCoverage {
  double tumour_ml = 0.0;
  // The tumour grown by the margin: voxels whose centre lies within the margin of a tumour
  // voxel's centre (the discrete dilation; it converges to the continuous one as O(h)).
  double target_ml = 0.0;
  double coverage_percent = 0.0;        // of the target inside the zone
  double tumourCoverage_percent = 0.0;  // of the tumour itself inside the zone
  // Minimal ablative margin: the smallest distance from the tumour's surface to the zone's,
  // measured between voxel centres less one voxel (the two half-voxel surfaces). Negative when
  // the tumour is not covered: minus how far its farthest uncovered voxel lies from the zone.
  double minMargin_mm = 0.0;
};

// Throws Error(InvalidInput) when the tumour has no voxel on the grid or the masks do not
// match the grid.
TumourCoverage tumourCoverage(const std::vector<std::uint8_t>& zone,
                              const std::vector<std::uint8_t>& tumour, const ImageGeometry& grid,
                              double margin_mm = kDefaultTumourMargin_mm,
                              Progress& progress = noProgress());

struct StructureDamage {
  double inGrid_ml = 0.0;        // of the structure on the simulated grid
  double ablated_ml = 0.0;       // of that inside the zone
  double ablated_percent = 0.0;  // of inGrid_ml
  double maxTemperature_degC = 0.0;
};

// The damage to one structure; maximumTemperature_degC: the result's maximum-temperature field
// (empty: left at 0).
StructureDamage structureDamage(const std::vector<std::uint8_t>& zone,
                                const std::vector<std::uint8_t>& structure,
                                const std::vector<float>& maximumTemperature_degC,
                                const ImageGeometry& grid);

}  // namespace twinplan::ablation
