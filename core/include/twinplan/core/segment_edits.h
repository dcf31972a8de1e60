#pragma once
// Undoable edits of a label map's segment table (issue #16 item 3): what the Segments table of
// the GUI does to a case - rename, recolour, retype, code, lock, add, remove, duplicate - as
// CaseEdits (case_edit.h), so the CLI, an XR session and the tests can do the same headless.
// Like 3D Slicer's segment list, a locked segment keeps its voxels: it cannot be removed.
#include <cstddef>
#include <memory>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/label_map.h"

namespace twinplan::edits {

// Replaces segment `segment`'s properties (name, tissue type, colour, visibility, lock,
// terminology) with those of `properties`; its voxels, layer and value stay. Throws
// Error(InvalidInput) for a missing label map or segment, an empty name, or a name another
// segment of the label map already has (segments are found by name). A renamed segment's
// surface models (SurfaceMesh::segmentName) follow it in the same undo step.
std::unique_ptr<CaseEdit> setSegmentProperties(const Case& twin, std::size_t labelMap,
                                               std::size_t segment, Segment properties);

// Adds an empty segment with `properties` (layer and value are chosen: the first unused value
// of layer 0). Like a property change without models, the edit keeps the segment tables
// only, never a reference to the voxels, so a stroke after it writes its layer in place.
// Throws Error(InvalidInput) for a missing label map, an empty or taken name, or a layer
// already holding every label value.
std::unique_ptr<CaseEdit> addSegment(const Case& twin, std::size_t labelMap, Segment properties);

// Removes segment `segment` and clears its voxels; the other segments keep their indices
// shifted down by one past it. Its surface models (SurfaceMesh::segmentName) are removed in the
// same undo step, unless another label map still has a segment of that name. Throws
// Error(InvalidInput) when it is locked.
std::unique_ptr<CaseEdit> removeSegment(const Case& twin, std::size_t labelMap,
                                        std::size_t segment);

// A copy of segment `segment` ("<name> copy", unlocked, same voxels) at the end of the table, in
// the first layer where none of its voxels is taken (a new layer when every layer overlaps it),
// since segments of one layer are exclusive (label_map.h).
std::unique_ptr<CaseEdit> duplicateSegment(const Case& twin, std::size_t labelMap,
                                           std::size_t segment);

// A name not used by any segment of `labels`: `wanted`, else "wanted 2", "wanted 3" ...
std::string unusedSegmentName(const LabelMap& labels, const std::string& wanted);

}  // namespace twinplan::edits
