#pragma once
// The voxels a paint brush covers on a label map's grid, and the rule by which a stroke paints
// or erases them (issue #16 item 4), as 3D Slicer's Segment Editor "Paint" and "Erase" effects
// do: a 2D disk in the view's slice plane or a 3D sphere, dragged along the mouse path.
//
// Geometry is in patient LPS mm on any grid (oblique, anisotropic), so a 10 mm brush is 10 mm
// whatever the voxel size. A stroke is the union of capsules between successive mouse points:
// however fast the mouse moves, the painted band has no gaps.
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/geometry.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_layer_edit.h"
#include "twinplan/core/label_map.h"
#include "twinplan/segmentation/binary_mask.h"

namespace twinplan::segmentation {

struct Brush {
  double radius_mm = 5.0;
  // false: a disk in the view's slice plane (the 2D brush); true: a ball (the sphere brush).
  bool sphere = false;
  // The disk's plane: its unit normal (the view's normal, LPS) and its thickness - the view's
  // slice step - so that the disk takes one slice of voxels. Ignored for the sphere.
  Vec3 sliceNormal_lps = Vec3::UnitZ();
  double sliceThickness_mm = 1.0;
  // Throws Error(InvalidInput, context = parameter) for a radius or thickness <= 0 or not
  // finite, or a normal that is not a direction.
  void validate() const;
};

// The voxels of `grid` (linear indices, i fastest, ascending, each once) whose centres the
// brush covers as it moves from `from_lps` to `to_lps` (equal points: one dab):
//  - sphere: the centre is within radius_mm of the segment [from, to] in 3D;
//  - disk: the centre lies within half a slice of the plane through `from_lps` with the
//    brush's normal (-t/2 < distance <= t/2: a plane halfway between two slices takes one of
//    them, not both), and its projection onto that plane is within radius_mm of the segment
//    (the segment projected too) - the disk the view draws, whatever the grid's tilt.
// Voxels outside the grid are left out.
std::vector<std::size_t> brushVoxels(const ImageGeometry& grid, const Vec3& from_lps,
                                     const Vec3& to_lps, const Brush& brush);

// The voxels of a whole stroke through `points_lps` (the union of its capsules; one point is
// one dab, none is nothing). The disk's plane is the one through the first point.
std::vector<std::size_t> strokeVoxels(const ImageGeometry& grid, std::span<const Vec3> points_lps,
                                      const Brush& brush);

enum class BrushAction { Paint, Erase };

// The editable-area rule of editableVoxels (binary_mask.h: masking, and no voxel of a locked
// segment of the same layer), asked voxel by voxel: a brush touches a few thousand voxels per
// mouse move, so a stroke asks only those instead of computing the whole grid's mask on the
// mouse press (1.4 s on a 512x512x300 map with a locked segment, docs/benchmarks.md). Judged
// on the label map as it was when the rule was made (the stroke's start), like editableVoxels.
// Throws what editableVoxels throws, for the same reasons, when made.
class EditableRule {
 public:
  EditableRule(const LabelMap& labels, std::size_t segment, const EditableArea& area,
               const ImageVolume* intensitySource);
  bool allows(std::size_t voxel) const;

 private:
  LabelMap labels_;  // shares the voxels of the map it was made from (copy-on-write)
  const std::vector<std::uint16_t>* layer_ = nullptr;
  std::vector<std::uint16_t> lockedValues_;
  const std::vector<std::uint16_t>* insideLayer_ = nullptr;
  std::uint16_t insideValue_ = 0;
  std::optional<EditableArea::IntensityRange> intensity_;
  const ImageVolume* intensitySource_ = nullptr;
};

// Paints (the voxels take the segment's value in its layer, taking them from any segment of
// that layer) or erases (the segment's own voxels become 0; others stay) `voxels` (distinct, as
// brushVoxels and strokeVoxels give them) of segment `segment` where `editable`
// (segmentation::editableVoxels: masking and locks, the same rule as writeSegment) is 1. Returns
// the number of voxels changed. Throws Error(InvalidInput) for an absent segment, a mask on another
// grid or a voxel index outside the grid.
std::size_t paintVoxels(LabelMap& labels, std::size_t segment, std::span<const std::size_t> voxels,
                        BrushAction action, const BinaryMask& editable);
// The same, asking `rule` for each voxel (what the editor does during a stroke).
std::size_t paintVoxels(LabelMap& labels, std::size_t segment, std::span<const std::size_t> voxels,
                        BrushAction action, const EditableRule& rule);

// The same, painting into a stroke's slice copies (core/label_layer_edit.h) of the segment's
// layer: a stroke's first move copies the slices it touches, not the layer. Throws also when
// `segment` is not in `stroke`'s layer.
std::size_t paintVoxels(LabelLayerEdit& stroke, std::size_t segment,
                        std::span<const std::size_t> voxels, BrushAction action,
                        const EditableRule& rule);

// A stroke as one undoable edit of the case that stores only the voxels it changed: layer
// `layer` of label map `labelMap` becomes `edited`'s at `touched` (the stroke's voxels, any
// order, repeats allowed). edits::replaceLabelMaps would do the same in 1 us (layers are
// copy-on-write) but keep a whole copy of the layer per undo step - 157 MB on a 512x512x300
// map - where this keeps 12 bytes per changed voxel. Throws Error(InvalidInput) when the label
// map or layer is absent, `edited` is on another grid, or a voxel lies off the grid.
std::unique_ptr<CaseEdit> strokeEdit(const Case& twin, std::size_t labelMap, int layer,
                                     const LabelMap& edited, std::vector<std::size_t> touched,
                                     std::string text);
// The same from a stroke painted into slice copies: its layer's values at `touched`. Release
// the LabelLayerEdit before applying the edit, so that the case's layer is not shared and the
// edit writes into it without copying it.
std::unique_ptr<CaseEdit> strokeEdit(const Case& twin, std::size_t labelMap,
                                     const LabelLayerEdit& edited, std::vector<std::size_t> touched,
                                     std::string text);

}  // namespace twinplan::segmentation
