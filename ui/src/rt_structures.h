#pragma once
// The case's segments as the planar contours dvh.h reads (issue #19 item 8: DVHs of the case's
// structures in the RT panel). A segment drawn on a label map becomes, on each slice, one
// rectangle per run of its voxels along a row: the rectangles tile exactly the voxels the
// segment holds, never overlap (so dvh.h's even-odd rule adds them), and each slice's plane is
// the label map's slice: dvh.h's slab model then gives the segment's voxel volume, except at the
// end caps (half a dose slice beyond the outer contours) and within its sub-point sampling.
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/radiotherapy/dvh.h"

namespace twinplan::ui {

struct CaseStructure {
  radiotherapy::StructureContours contours;
  Rgb colour;
};

// Every non-empty segment of every label map, in the case's order.
std::vector<CaseStructure> caseStructures(const Case& twin);

// One segment's contours (empty polygons for an empty segment).
radiotherapy::StructureContours segmentContours(const LabelMap& labels, std::size_t segment);

}  // namespace twinplan::ui
