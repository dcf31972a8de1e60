#pragma once
// The editing tools as undoable edits of a case: each runs a tool of morphology.h/label_ops.h on
// one segment and stores the result with edits::replaceLabelMaps, so Undo restores the exact
// voxels. Like 3D Slicer's Segment Editor effects, an edit only changes the editable area
// (binary_mask.h) and never a locked segment.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/label_ops.h"
#include "twinplan/segmentation/morphology.h"

namespace twinplan::segmentation {

enum class SegmentTool {
  Grow,       // margin_mm
  Shrink,     // margin_mm
  Open,       // margin_mm: the ball radius
  Close,      // margin_mm
  Hollow,     // margin_mm: the shell thickness; shell
  FillHoles,  // perSlice
  Smooth,     // margin_mm: Gaussian sigma
  FillBetweenSlices,
  KeepLargestIsland,   // connectivity
  KeepIslandAtSeed,    // seed_lps, connectivity
  RemoveSmallIslands,  // minIslandVolume_mm3, connectivity
  SplitIslands,        // connectivity: islands after the largest become new segments
  Logical,             // logical, otherSegment (not for Invert)
  Median,              // margin_mm: the window radius (morphology.h medianSmooth)
};
const char* toString(SegmentTool tool);  // "grow", "fill-holes" ... (the CLI's --op names)
SegmentTool segmentToolFromString(const std::string& name);  // throws Error(InvalidInput)

struct SegmentOperation {
  SegmentTool tool = SegmentTool::Grow;
  double margin_mm = 0.0;
  ShellPlacement shell = ShellPlacement::Inside;
  bool perSlice = false;
  double minIslandVolume_mm3 = 0.0;
  Vec3 seed_lps = Vec3::Zero();
  Connectivity connectivity = Connectivity::Full26;
  LogicalOperation logical = LogicalOperation::Union;
  std::size_t otherSegment = 0;  // index in the same label map
};

// The result of `operation` on segment `segmentIndex` of label map `labelMapIndex` as one
// undoable edit, named for the Undo menu ("Grow Liver by 5 mm"). Splitting adds segments
// "<name> 2", "<name> 3" ... in the segment's layer. Throws Error(InvalidInput) naming what is
// wrong (no such label map or segment, a locked segment, a negative or zero radius, a seed
// outside the image, a masking volume on another grid) before anything changes; Cancelled.
std::unique_ptr<CaseEdit> applyToSegment(const Case& twin, std::size_t labelMapIndex,
                                         std::size_t segmentIndex,
                                         const SegmentOperation& operation,
                                         const EditableArea& area = {},
                                         Progress& progress = noProgress());

// The edited label map alone (what applyToSegment stores), for previews and tests.
LabelMap applyToLabelMap(const Case& twin, std::size_t labelMapIndex, std::size_t segmentIndex,
                         const SegmentOperation& operation, const EditableArea& area = {},
                         Progress& progress = noProgress());

// "Grow Liver by 5 mm", "Fill holes in Liver" ...
std::string describe(const SegmentOperation& operation, const std::string& segmentName,
                     const std::string& otherSegmentName = {});

}  // namespace twinplan::segmentation
