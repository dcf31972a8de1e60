// The tumour's margin map for the front ends (ablation_margin_map.h).
#include "twinplan/engine/ablation_margin_map.h"

#include <algorithm>
#include <bit>
#include <fstream>

#include "twinplan/core/error.h"
#include "twinplan/core/label_map.h"
#include "twinplan/segmentation/segment_surface.h"

namespace twinplan::engine {

static_assert(std::endian::native == std::endian::little,
              "the margin map's PLY is written little-endian straight from memory");

TumourMarginMap tumourMarginMap(const std::vector<std::uint8_t>& zone,
                                const std::vector<std::uint8_t>& tumour, const ImageGeometry& grid,
                                double adequate_mm, Progress& progress) {
  if (tumour.size() != grid.voxelCount() ||
      std::find(tumour.begin(), tumour.end(), 1) == tumour.end())
    throw Error(ErrorKind::InvalidInput,
                "The tumour has no voxel on the simulated grid; place the probe tip at the "
                "tumour or enlarge the box.",
                "tumour");
  LabelMap labels(grid);
  Segment segment;
  segment.name = "Tumour";
  labels.addSegment(segment);
  std::transform(tumour.begin(), tumour.end(), labels.layer(0).begin(),
                 [](std::uint8_t v) { return std::uint16_t(v); });
  auto surfacing = subRange(progress, 0.0, 0.5);
  TumourMarginMap out;
  // The segmentation's usual smoothed surface (segment_surface.h), so the map lies on the
  // surface the 3D view shows for the tumour.
  out.surface = segmentation::buildSurface(labels, labels.segments().front(), {}, *surfacing);
  auto measuring = subRange(progress, 0.5, 1.0);
  const ScalarField distance = ablation::zoneSignedDistance(zone, grid, *measuring);
  out.map = ablation::marginMap(distance, out.surface, adequate_mm);
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
