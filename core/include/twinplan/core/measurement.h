#pragma once
// What a measurement measures: lengths, angles, and statistics of the voxels inside an ROI.
#include <cstddef>
#include <string>

#include "twinplan/core/case.h"

namespace twinplan {

// Distance between a ruler's two points (mm).
double rulerLength_mm(const Measurement& ruler);
// Angle at the middle point of an angle measurement (degrees, 0..180).
double angle_deg(const Measurement& angle);

struct RoiStatistics {
  std::size_t voxelCount = 0;
  double mean = 0.0, sd = 0.0, min = 0.0, max = 0.0;  // in the volume's unit
  double volume_ml = 0.0;
  // For a flat ROI (see roiArea_mm2), the area of the measured voxels on its slice: volume over
  // the ROI's depth, so area x slice thickness == volume. 0 for a 3D ROI.
  double area_mm2 = 0.0;
};

// Statistics of the voxels whose centres lie inside a box or ellipsoid ROI (axis-aligned in
// LPS, given by two opposite corners). A flat ellipse ROI (one slice deep) is an elliptic
// cylinder through that slab. SD is the sample standard deviation (n - 1). Voxels that are
// pixel padding (ImageVolume::isPadding) are left out of every figure, volume included.
// Throws Error(InvalidInput) for other kinds or an ROI that contains no voxel centre.
RoiStatistics roiStatistics(const ImageVolume& volume, const Measurement& roi);

// The area of a flat ROI's drawn outline: the box's rectangle, or the ellipse, across its two
// longer sides (mm^2). 0 when the ROI is not flat (its shortest side is longer than a third
// of the next). Throws like roiStatistics. describe() shows RoiStatistics::area_mm2, the area
// of the voxels measured, which tends to this as the voxels shrink.
double roiArea_mm2(const Measurement& roi);

// One line for lists and reports, e.g. "Ruler 1: 42.3 mm".
std::string describe(const Measurement& measurement, const ImageVolume* volume = nullptr);

}  // namespace twinplan
