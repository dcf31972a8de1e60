// The tumour's margin map for the front ends (ablation_margin_map.h).
#include "twinplan/engine/ablation_margin_map.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <fstream>

#include "twinplan/core/error.h"
#include "twinplan/core/label_map.h"
#include "twinplan/segmentation/segment_surface.h"

namespace twinplan::engine {

static_assert(std::endian::native == std::endian::little,
              "the margin map's PLY is written little-endian straight from memory");

namespace {

// The tumour's bounding box on the grid, one voxel wider on every side (within the grid), so the
// surface is built on a small grid: its points are in LPS and do not depend on the crop.
ImageGeometry tumourBox(const std::vector<std::uint8_t>& tumour, const ImageGeometry& grid,
                        std::array<std::int64_t, 3>& lo) {
  std::array<std::int64_t, 3> hi{-1, -1, -1};
  lo = grid.size;
  for (std::int64_t k = 0; k < grid.size[2]; ++k)
    for (std::int64_t j = 0; j < grid.size[1]; ++j)
      for (std::int64_t i = 0; i < grid.size[0]; ++i)
        if (tumour[grid.linearIndex(i, j, k)]) {
          const std::array<std::int64_t, 3> at{i, j, k};
          for (int a = 0; a < 3; ++a)
            lo[a] = std::min(lo[a], at[a]), hi[a] = std::max(hi[a], at[a]);
        }
  ImageGeometry box = grid;
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::max<std::int64_t>(lo[a] - 1, 0);
    hi[a] = std::min<std::int64_t>(hi[a] + 1, grid.size[a] - 1);
    box.size[a] = hi[a] - lo[a] + 1;
  }
  box.origin_lps = grid.indexToLps(Vec3(double(lo[0]), double(lo[1]), double(lo[2])));
  return box;
}

}  // namespace

TumourMarginMap tumourMarginMap(const std::vector<std::uint8_t>& zone,
                                const std::vector<std::uint8_t>& tumour, const ImageGeometry& grid,
                                double adequate_mm, Progress& progress) {
  auto measuring = subRange(progress, 0.0, 0.5);
  const ScalarField distance = ablation::zoneSignedDistance(zone, grid, *measuring);
  auto mapping = subRange(progress, 0.5, 1.0);
  return tumourMarginMap(distance, tumour, adequate_mm, *mapping);
}

TumourMarginMap tumourMarginMap(const ScalarField& zoneDistance,
                                const std::vector<std::uint8_t>& tumour, double adequate_mm,
                                Progress& progress) {
  const ImageGeometry& grid = zoneDistance.geometry;
  if (tumour.size() != grid.voxelCount() ||
      std::find(tumour.begin(), tumour.end(), 1) == tumour.end())
    throw Error(ErrorKind::InvalidInput,
                "The tumour has no voxel on the simulated grid; place the probe tip at the "
                "tumour or enlarge the box.",
                "tumour");
  std::array<std::int64_t, 3> lo{};
  LabelMap labels(tumourBox(tumour, grid, lo));
  Segment segment;
  segment.name = "Tumour";
  labels.addSegment(segment);
  auto& layer = labels.layer(0);
  const ImageGeometry& box = labels.geometry();
  for (std::int64_t k = 0; k < box.size[2]; ++k)
    for (std::int64_t j = 0; j < box.size[1]; ++j)
      for (std::int64_t i = 0; i < box.size[0]; ++i)
        layer[box.linearIndex(i, j, k)] = tumour[grid.linearIndex(i + lo[0], j + lo[1], k + lo[2])];
  TumourMarginMap out;
  // The segmentation's usual smoothed surface (segment_surface.h), so the map lies on the
  // surface the 3D view shows for the tumour.
  out.surface = segmentation::buildSurface(labels, labels.segments().front(), {}, progress);
  out.map = ablation::marginMap(zoneDistance, out.surface, adequate_mm);
  out.vertexColours.reserve(out.map.margin_mm.size());
  for (float m : out.map.margin_mm)
    out.vertexColours.push_back(
        ablation::marginClassColour(ablation::classifyMargin(m, adequate_mm)));
  progress.report(1.0, "Margin map");
  return out;
}

nlohmann::json marginMapJson(const ablation::MarginMap& map) {
  return {{"min_mm", map.min_mm},
          {"percentile5_mm", map.percentile5_mm},
          {"median_mm", map.median_mm},
          {"area_mm2", map.area_mm2},
          {"not_ablated_area_percent", map.uncoveredArea_percent},
          {"thin_area_percent", map.thinArea_percent},
          {"adequate_area_percent", map.adequateArea_percent},
          {"adequate_mm", map.adequate_mm},
          {"vertices", map.margin_mm.size()}};
}

Vec3 minimalMarginPoint(const TumourMarginMap& map) {
  const auto& margins = map.map.margin_mm;
  if (margins.empty() || margins.size() != map.surface.points_lps.size())
    throw Error(ErrorKind::InvalidInput, "The margin map has no vertex to locate its minimum on.",
                "margin_map");
  const auto v = std::size_t(std::min_element(margins.begin(), margins.end()) - margins.begin());
  const auto& p = map.surface.points_lps[v];
  return Vec3(p[0], p[1], p[2]);
}

nlohmann::json tumourMarginReport(const ablation::TumourCoverage& coverage,
                                  const TumourMarginMap* map) {
  const auto finiteOrNull = [](double v) -> nlohmann::json {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  nlohmann::json r = {{"tumour_volume_ml", coverage.tumour_ml},
                      {"coverage_percent", coverage.coverage_percent},
                      {"tumour_coverage_percent", coverage.tumourCoverage_percent},
                      {"min_margin_mm", nullptr},
                      {"min_margin_measure", kMinMarginMeasure},
                      {"voxel_centre_margin_mm", finiteOrNull(coverage.minMargin_mm)},
                      {"margin_map", nullptr}};
  if (map) {
    r["min_margin_mm"] = map->map.min_mm;
    const Vec3 at = minimalMarginPoint(*map);
    r["min_margin_at_lps"] = {at.x(), at.y(), at.z()};
    r["margin_map"] = marginMapJson(map->map);
  }
  return r;
}

void writeMarginMapPly(const TumourMarginMap& map, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary);
  const auto& points = map.surface.points_lps;
  out << "ply\nformat binary_little_endian 1.0\n"
      << "comment TwinPlan minimum ablative margin map, LPS millimetres; margin_mm: signed "
         "distance to the ablation zone's boundary (+ inside)\n"
      << "element vertex " << points.size()
      << "\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\n"
         "property uchar green\nproperty uchar blue\nproperty float margin_mm\nelement face "
      << map.surface.triangles.size() << "\nproperty list uchar int vertex_indices\nend_header\n";
  for (std::size_t v = 0; v < points.size(); ++v) {
    out.write(reinterpret_cast<const char*>(points[v].data()), 12);
    const Rgb& c = map.vertexColours[v];
    const std::uint8_t rgb[3] = {c.r, c.g, c.b};
    out.write(reinterpret_cast<const char*>(rgb), 3);
    out.write(reinterpret_cast<const char*>(&map.map.margin_mm[v]), 4);
  }
  for (const auto& t : map.surface.triangles) {
    const std::uint8_t three = 3;
    out.write(reinterpret_cast<const char*>(&three), 1);
    const std::int32_t ids[3] = {std::int32_t(t[0]), std::int32_t(t[1]), std::int32_t(t[2])};
    out.write(reinterpret_cast<const char*>(ids), 12);
  }
  out.close();
  if (!out)
    throw Error(ErrorKind::Io, "Cannot write the margin map " + file.string() + ".", file.string());
}

}  // namespace twinplan::engine
