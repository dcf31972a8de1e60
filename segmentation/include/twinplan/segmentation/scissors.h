#pragma once
// Scissors in 3D (issue #16 item 4), as 3D Slicer's Segment Editor "Scissors" effect: the user
// draws a lasso over the 3D view; every voxel of the segment whose centre projects inside it
// through the current camera - at any depth - is erased (or every voxel outside it).
//
// Headless: the view hands over its projection as one 4x4 matrix (LPS mm -> display pixels,
// homogeneous, as VTK's composite projection followed by the viewport transform), so the cut is
// testable without a window and the GUI only draws the lasso.
#include <Eigen/Core>
#include <cstddef>
#include <memory>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/geometry.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/segmentation/binary_mask.h"

namespace twinplan::segmentation {

enum class ScissorsSide {
  EraseInside,   // cut away what the lasso covers
  EraseOutside,  // keep only what the lasso covers
};

struct ScissorsCut {
  // p_display = lpsToDisplay * (p_lps, 1), then x/w, y/w in pixels (any origin, as long as the
  // lasso uses the same one). A point with w <= 0 lies behind a perspective camera: it is never
  // inside the lasso.
  Eigen::Matrix4d lpsToDisplay = Eigen::Matrix4d::Identity();
  std::vector<Eigen::Vector2d> lasso_px;  // a closed polygon: the last point joins the first
  ScissorsSide side = ScissorsSide::EraseInside;
  // Throws Error(InvalidInput) for fewer than 3 points, a non-finite value, or a lasso that
  // encloses no area (all points on one line).
  void validate() const;
};

// Even-odd rule (a self-crossing freehand lasso cuts what it encloses an odd number of times,
// as a scanline fill does).
bool insidePolygon(const std::vector<Eigen::Vector2d>& polygon, const Eigen::Vector2d& point);

// 1 where the centre of a voxel of `geometry` projects inside the lasso (all depths).
BinaryMask voxelsInsideLasso(const ImageGeometry& geometry, const ScissorsCut& cut,
                             Progress& progress = noProgress());

struct ScissorsResult {
  LabelMap labels;            // the label map after the cut
  std::size_t voxelsCut = 0;  // how many voxels the segment lost
};

// Segment `segment` of label map `labelMap` after the cut. The other segments never change; a
// locked segment is refused (Error(InvalidInput), binary_mask.h editableVoxels), as are a
// missing label map or segment and an invalid cut. Cancelled.
ScissorsResult cutSegment(const Case& twin, std::size_t labelMap, std::size_t segment,
                          const ScissorsCut& cut, Progress& progress = noProgress());

// The cut as one undoable edit ("Scissors on Liver").
std::unique_ptr<CaseEdit> applyScissors(const Case& twin, std::size_t labelMap, std::size_t segment,
                                        const ScissorsCut& cut, Progress& progress = noProgress());

}  // namespace twinplan::segmentation
