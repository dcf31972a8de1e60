#pragma once
// The minimum ablative margin map of a tumour for the front ends (issue #17 item 3;
// ablation/margin_map.h): the tumour's surface built from its mask on the ablation grid, each
// vertex carrying its signed distance to the zone's boundary and coloured by class (red: not
// ablated, amber: under 5 mm, green: 5 mm or more), its figures as JSON, and a PLY writer.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "twinplan/ablation/margin_map.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"

namespace twinplan::engine {

struct TumourMarginMap {
  SurfaceMesh surface;  // the tumour's surface (LPS mm)
  std::vector<Rgb> vertexColours;
  ablation::MarginMap map;  // margin per vertex and its figures
};

// Masks on one isotropic grid (1 inside, i fastest). Throws Error(InvalidInput) when the
// tumour has no voxel; Cancelled on cancel.
TumourMarginMap tumourMarginMap(const std::vector<std::uint8_t>& zone,
                                const std::vector<std::uint8_t>& tumour, const ImageGeometry& grid,
                                double adequate_mm = 5.0, Progress& progress = noProgress());
// The same from the zone's signed distance (ablation::zoneSignedDistance) on the tumour's grid,
// for a caller that also needs the distance.
TumourMarginMap tumourMarginMap(const ScalarField& zoneDistance,
                                const std::vector<std::uint8_t>& tumour, double adequate_mm = 5.0,
                                Progress& progress = noProgress());

// {min_mm, percentile5_mm, median_mm, area_mm2, not_ablated_area_percent,
//  thin_area_percent, adequate_area_percent, adequate_mm, vertices}
nlohmann::json marginMapJson(const ablation::MarginMap& map);

// Where the map is smallest: the tumour-surface vertex with the minimal margin (LPS mm).
Vec3 minimalMarginPoint(const TumourMarginMap& map);

// How `min_margin_mm` is measured, for reports and the panel.
inline constexpr const char* kMinMarginMeasure =
    "tumour surface to ablation zone boundary (minimum of the margin map)";

// The tumour's part of an ablation report, the same for `twinplan-cli ablate --json` and the
// Ablation panel (issue #17 item 3), so the two show one minimal margin:
//   tumour_volume_ml, coverage_percent, tumour_coverage_percent (zone_metrics.h),
//   min_margin_mm: THE minimal ablative margin, the margin map's minimum (`map->map.min_mm`:
//     signed distance from the tumour's surface to the zone's boundary, half a voxel accurate);
//     null when there is no zone (no map),
//   min_margin_at_lps: where it is (minimalMarginPoint), min_margin_measure: kMinMarginMeasure,
//   voxel_centre_margin_mm: zone_metrics' cruder voxel-centre estimate (TumourCoverage::
//     minMargin_mm, whole voxels less one), kept for comparison; null when infinite,
//   margin_map: marginMapJson(map->map), or null.
nlohmann::json tumourMarginReport(const ablation::TumourCoverage& coverage,
                                  const TumourMarginMap* map);

// Binary little-endian PLY: x y z (float, LPS mm), red green blue (uchar, the class colour),
// margin_mm (float), faces. Throws Error(Io) when the file cannot be written.
void writeMarginMapPly(const TumourMarginMap& map, const std::filesystem::path& file);

}  // namespace twinplan::engine
