#pragma once
// Planar contours <-> voxel masks on an image grid: the geometry under RTSTRUCT import and
// export (dicom_rtstruct.h). Pure functions, no DICOM.
//
// Rasterisation rule (documented in docs/architecture.md, "DICOM SEG and RTSTRUCT"):
//  - A contour's points are taken to continuous voxel index (i, j, k) of the grid. Its plane
//    must be parallel to the grid's slices (k spread <= kPlaneTolerance_slices), so oblique
//    grids work when the contours lie on their slices (as every TPS draws them).
//  - Contours whose planes lie within kPlaneTolerance_slices of each other form one plane;
//    they are combined even-odd (a point inside an odd number of them is inside), which makes
//    holes, nested islands and the "keyhole" convention of PS3.3 C.8.8.6.3 come out right.
//  - Each image slice k takes the plane nearest to its centre within half a slice spacing
//    (-0.5 <= k_plane - k < 0.5, so a plane exactly half-way goes to the upper slice), the rule
//    plastimatch and 3D Slicer use.
//    Slices with no plane that near stay empty: no interpolation between planes and no
//    extrapolation beyond the last plane (end caps end at the last contour).
//  - In a slice, voxel (i, j) is inside when its centre is inside (even-odd scanline fill,
//    half-open crossings); no supersampling, so partial voxels count whole or not at all, as
//    in plastimatch and the IBSI reference masks. Points outside the grid are clipped.
#include <cstdint>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/progress.h"

namespace twinplan::io {

// Contour points (a contour's plane) may spread this much along k, in slices.
inline constexpr double kPlaneTolerance_slices = 0.05;

struct ContourPlaneUse {
  int planes = 0;          // distinct contour planes
  int planesUsed = 0;      // planes that some slice took
  int planesOffGrid = 0;   // planes farther than half a slice from every slice of the grid
  int planesShadowed = 0;  // planes on the grid that a nearer plane displaced
};

// One closed polygon in LPS mm. `label` names it in errors ("ROI 'GTV', contour 3").
struct LpsContour {
  std::vector<Vec3> points_lps;
  std::string label;
};

// Rasterises closed planar contours onto `grid`: a mask of grid.voxelCount() bytes (1 inside).
// Throws Error(Unsupported) naming the contour when its plane is not parallel to the slices.
std::vector<std::uint8_t> rasteriseContours(const std::vector<LpsContour>& contours,
                                            const ImageGeometry& grid, ContourPlaneUse& use,
                                            Progress& progress = noProgress());

// A closed polygon in the (i, j) index plane of one slice.
using IndexPolygon = std::vector<std::pair<double, double>>;

// Marching squares at iso-level 0.5 on slice k of a mask (1 = inside): closed polygons whose
// vertices lie half-way between an inside and an outside voxel centre, holes included.
// Inside voxels that touch only diagonally are kept apart (the inside is 4-connected), so the
// polygons never cross and the even-odd rule above gives back exactly the mask's voxels.
// Collinear vertices are dropped.
std::vector<IndexPolygon> sliceContours(const std::vector<std::uint8_t>& mask,
                                        const ImageGeometry& grid, std::int64_t k);

}  // namespace twinplan::io
