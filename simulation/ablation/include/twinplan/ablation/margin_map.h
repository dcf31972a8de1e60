#pragma once
// The minimum ablative margin as a map over the tumour's surface (issue #17 item 3): at each
// point of the tumour's surface, the signed distance to the ablation zone's boundary, positive
// where the point lies inside the zone (how much ablated tissue surrounds it) and negative where
// it does not (how far the zone falls short). Its minimum is the minimal ablative margin; where
// it is small shows where to add a probe or move one. Ablative margin as defined by Ahmed M et
// al., Radiology 2014;273:241-260, who ask for it to be reported. Laimer G et al., Eur Radiol
// 2020;30:2463-2472 (doi:10.1007/s00330-019-06609-7) measured it after RF ablation of 176 HCCs:
// each further millimetre cut the risk of local tumour progression by 30 %, and no tumour with a
// minimal margin > 5 mm progressed: hence the classes below.
//
// The zone is a voxel mask on the ablation grid; its boundary is taken half-way between inside
// and outside voxel centres, and the signed distance at a point is interpolated trilinearly
// between voxel centres, so it is accurate to about half a voxel (docs/validation.md,
// "Thermal ablation: margin map").
#include <cstdint>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::ablation {

// The map's classes: >= adequate_mm (5 mm: Laimer 2020, zone_metrics.h
// kDefaultTumourMargin_mm) adequate, shown green; 0 to 5 mm thin, amber; < 0 mm the tumour is
// not ablated there, red.
enum class MarginClass { Uncovered, Thin, Adequate };
MarginClass classifyMargin(double margin_mm, double adequate_mm = 5.0);
// The class's colour on the tumour's surface (3D view, exported PLY) and in the 2D views.
Rgb marginClassColour(MarginClass marginClass);
const char* toString(MarginClass marginClass);  // "not ablated", "thin", "adequate"

// Signed distance (mm) from each voxel centre to the zone's boundary: + inside the zone, -
// outside. A zone with no voxel, or no voxel outside, gives the distance to the grid's most
// distant possible boundary (+-1e6 mm) so the map still orders the points. Throws
// Error(InvalidInput) when the mask does not match the grid; Cancelled on cancel.
ScalarField zoneSignedDistance(const std::vector<std::uint8_t>& zone, const ImageGeometry& grid,
                               Progress& progress = noProgress());

// The signed distance at a point (trilinear between voxel centres; clamped to the grid).
double signedDistanceAt(const ScalarField& signedDistance, const Vec3& p_lps);

struct MarginMap {
  std::vector<float> margin_mm;  // per vertex of the tumour surface
  double min_mm = 0.0;
  // Of the surface's area (each vertex weighted by a third of its triangles' areas): the 5th
  // percentile of the margin, the median and the share in each class.
  double percentile5_mm = 0.0;
  double median_mm = 0.0;
  double area_mm2 = 0.0;
  double uncoveredArea_percent = 0.0;
  double thinArea_percent = 0.0;
  double adequateArea_percent = 0.0;
  double adequate_mm = 5.0;
};

// The map on `tumourSurface` (its points, LPS mm) from the zone's signed distance. Throws
// Error(InvalidInput) for a surface with no triangles.
MarginMap marginMap(const ScalarField& signedDistance, const SurfaceMesh& tumourSurface,
                    double adequate_mm = 5.0);

}  // namespace twinplan::ablation
