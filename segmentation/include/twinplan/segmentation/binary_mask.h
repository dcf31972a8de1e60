#pragma once
// One segment as a binary mask on its label map's grid, and the rule by which an edited mask
// goes back into the label map (masking, locks, layers).
//
// The editing tools (morphology.h, label_ops.h) work on masks; segment_edit.h turns a tool's
// result into an undoable edit of the case.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"

namespace twinplan::segmentation {

// One byte per voxel (1 inside, 0 outside) on `geometry`, i fastest like every TwinPlan image.
struct BinaryMask {
  ImageGeometry geometry;
  std::vector<std::uint8_t> voxels;

  BinaryMask() = default;
  explicit BinaryMask(const ImageGeometry& g) : geometry(g), voxels(g.voxelCount(), 0) {}
  bool at(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return voxels[geometry.linearIndex(i, j, k)] != 0;
  }
  std::size_t count() const;
  // Voxel count times the voxel volume (mm3).
  double volume_mm3() const;
  double voxelVolume_mm3() const {
    return geometry.spacing_mm[0] * geometry.spacing_mm[1] * geometry.spacing_mm[2];
  }
  bool operator==(const BinaryMask& other) const { return voxels == other.voxels; }
};

// The voxels of segment `segment` (its value in its layer).
BinaryMask extractSegment(const LabelMap& labels, std::size_t segment);

// Which voxels an edit may change, as in 3D Slicer's Segment Editor "Masking" section: only
// inside one segment ("editable area") and/or where the source image lies in an intensity
// range. Voxels of locked segments are never changed, whatever this says.
struct EditableArea {
  std::optional<std::size_t> insideSegment;  // segment index in the same label map
  struct IntensityRange {
    std::string volume;           // name of a case volume on the label map's grid
    double min = 0.0, max = 0.0;  // closed range, in the volume's unit (HU for CT); the
                                  // volume's pixel padding is never in it
  };
  std::optional<IntensityRange> intensity;
  bool restricts() const { return insideSegment || intensity; }
};

// Per voxel: 1 where an edit of `segment` may change the voxel, 0 where it may not - outside
// the editable area, or held by a locked segment of the same layer (a voxel can hold one
// segment per layer, so writing `segment` there would take it from the locked one).
// `intensitySource` is the volume `area.intensity` names (nullptr when it names none).
// Throws Error(InvalidInput) when `segment` itself is locked, when the area's segment does not
// exist, or when the intensity volume is missing or not on the label map's grid.
BinaryMask editableVoxels(const LabelMap& labels, std::size_t segment, const EditableArea& area,
                          const ImageVolume* intensitySource);

// Writes `edited` into `segment` of `labels` where `editable` is 1: edited voxels get the
// segment's value in its layer (taking them from any unlocked segment of that layer), voxels
// the segment held that `edited` lacks become 0. Elsewhere nothing changes. Returns the number
// of voxels changed. Throws Error(InvalidInput) when a mask is not on the label map's grid.
std::size_t writeSegment(LabelMap& labels, std::size_t segment, const BinaryMask& edited,
                         const BinaryMask& editable);

// The one rule by which every segment edit (writeSegment, the brushes' paintVoxels) writes an
// editable voxel `held` of a segment's layer, as 3D Slicer's Segment Editor paints and erases:
// a voxel meant to be in the segment takes its value, taking it from whatever segment of the
// layer held it; a voxel meant to be out is cleared only when it held the segment (another
// segment's voxel stays). Returns true when the voxel changed.
inline bool writeMembership(std::uint16_t& held, std::uint16_t segmentValue, bool inSegment) {
  const std::uint16_t before = held;
  if (inSegment) {
    held = segmentValue;
  } else if (before == segmentValue) {
    held = 0;
  }
  return held != before;
}

}  // namespace twinplan::segmentation
