#pragma once
// Closed surface meshes of labelmap segments, for the 3D view, XR and printing.
//
// Each segment's voxels are turned into a watertight triangle surface in patient LPS mm
// (flying edges on the segment's 0/1 mask, windowed-sinc smoothing, optional quadric
// decimation, outward normals). See docs/architecture.md, "Segmentation".
#include <cstddef>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"

namespace twinplan::segmentation {

struct SurfaceOptions {
  // Windowed-sinc smoothing (Taubin, Zhang & Golub, ECCV 1996) removes the voxel staircase
  // without shrinking the surface. 0 iterations: the raw flying-edges surface.
  int smoothingIterations = 20;  // 0..1000
  // (0, 2]; lower smooths more, and shrinks structures a few voxels across (a 15 mm tumour on
  // 1.5 x 1.5 x 2.5 mm voxels: -1.2 % volume at 0.05, -8.5 % at 3D Slicer's usual 0.01).
  double passBand = 0.05;
  // Quadric decimation (Garland & Heckbert, SIGGRAPH 1997): fraction of triangles removed.
  double targetReduction = 0.0;  // 0..0.95
  // When more triangles than this remain, decimate harder (up to 99 % removed); 0: no limit.
  std::size_t maxTriangles = 0;
  // Smoothing that follows the voxel size h (cube root of the voxel volume): the pass band
  // becomes passBand * h / 1 mm and the iterations smoothingIterations * sqrt(1 mm / h), so the
  // values above are those of a 1 mm grid. A fixed pass band leaves the staircase's long
  // terraces (about sqrt(2 r h) across on a surface of radius r) on fine grids, and the area of
  // a voxelised sphere then stops converging at +0.4 %; following h it converges as h^2
  // (docs/validation.md, "Sphere convergence").
  bool smoothingFollowsVoxelSize = false;
  // Moves the finished surface along its normals by one uniform distance so that it encloses
  // the segment's voxel volume (count x voxel volume): flying edges cuts voxel corners and
  // windowed sinc inflates or shrinks slightly, which costs thin structures (cortical bone)
  // several %. The volume-restoring step of Desbrun et al., SIGGRAPH 1999 ("Implicit fairing
  // of irregular meshes"), as an offset rather than a scale so that several components and
  // shells keep their places. The offset is at most a quarter of the smallest voxel spacing.
  bool keepVoxelVolume = false;
};

// The closed surface of one segment of `labels` (its voxels of `segment.value` in layer
// `segment.layer`), in LPS mm, named and coloured after the segment; triangles are
// counter-clockwise seen from outside and every point has an outward unit normal. Voxels on
// the grid's border are closed off half a voxel outside it. Throws Error(InvalidInput) for
// bad options, a missing layer or a segment without voxels; Cancelled on cancel.
SurfaceMesh buildSurface(const LabelMap& labels, const Segment& segment,
                         const SurfaceOptions& options = {}, Progress& progress = noProgress());

// One mesh per segment of `labels` that has voxels, in segment order; empty segments are
// skipped. The labelmap is scanned once per layer, not once per segment.
std::vector<SurfaceMesh> buildSurfaces(const LabelMap& labels, const SurfaceOptions& options = {},
                                       Progress& progress = noProgress());

// The same for the segments at `segmentIndices` (indices into labels.segments()), in that
// order. Throws Error(InvalidInput) for an index out of range.
std::vector<SurfaceMesh> buildSurfaces(const LabelMap& labels,
                                       const std::vector<std::size_t>& segmentIndices,
                                       const SurfaceOptions& options = {},
                                       Progress& progress = noProgress());

}  // namespace twinplan::segmentation
