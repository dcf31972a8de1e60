// The minimum ablative margin map over a tumour's surface (margin_map.h).
#include "twinplan/ablation/margin_map.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "distance_map.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {

namespace {

// Stands in for "no boundary on the grid": far beyond any margin, finite so interpolation works.
constexpr double kNoBoundary_mm = 1e6;

std::vector<std::uint8_t> inverted(const std::vector<std::uint8_t>& mask) {
  std::vector<std::uint8_t> out(mask.size());
  std::transform(mask.begin(), mask.end(), out.begin(),
                 [](std::uint8_t v) { return std::uint8_t(v ? 0 : 1); });
  return out;
}

// The value at the sample nearest to `fraction` of the cumulative weight (values sorted).
double weightedQuantile(const std::vector<std::pair<double, double>>& sortedValueWeight,
                        double totalWeight, double fraction) {
  double cumulative = 0.0;
  for (const auto& [value, weight] : sortedValueWeight) {
    cumulative += weight;
    if (cumulative >= fraction * totalWeight) return value;
  }
  return sortedValueWeight.back().first;
}

}  // namespace

MarginClass classifyMargin(double margin_mm, double adequate_mm) {
  if (margin_mm < 0.0) return MarginClass::Uncovered;
  return margin_mm < adequate_mm ? MarginClass::Thin : MarginClass::Adequate;
}

Rgb marginClassColour(MarginClass marginClass) {
  // Red, amber and green of a traffic light, as the issue asks, at the saturation of the
  // ColorBrewer "RdYlGn" ends (Brewer CA, colorbrewer2.org), so they stay apart on grey CT.
  switch (marginClass) {
    case MarginClass::Uncovered:
      return {215, 48, 39};
    case MarginClass::Thin:
      return {253, 174, 97};
    case MarginClass::Adequate:
      return {26, 152, 80};
  }
  return {215, 48, 39};
}

const char* toString(MarginClass marginClass) {
  switch (marginClass) {
    case MarginClass::Uncovered:
      return "not ablated";
    case MarginClass::Thin:
      return "thin";
    case MarginClass::Adequate:
      return "adequate";
  }
  return "not ablated";
}

ScalarField zoneSignedDistance(const std::vector<std::uint8_t>& zone, const ImageGeometry& grid,
                               Progress& progress) {
  if (zone.size() != grid.voxelCount())
    throw Error(ErrorKind::InvalidInput, "The zone mask does not match the ablation grid.", "zone");
  // Inside: distance to the nearest outside voxel centre; outside: to the nearest inside one.
  // The boundary lies half-way, so half a voxel comes off each (exact for a face-aligned
  // boundary, within half a voxel for a curved one).
  const std::vector<double> toOutside = squaredDistanceToOutside_vox(zone, grid, progress);
  const std::vector<double> toInside = squaredDistanceToOutside_vox(inverted(zone), grid, progress);
  const double h = grid.spacing_mm.x();
  ScalarField field;
  field.name = "Signed distance to the ablation zone's boundary";
  field.quantity = "distance";
  field.unit = units::kMillimetre;
  field.geometry = grid;
  field.values.resize(zone.size());
  parallel::parallelFor({0, zone.size()}, 1 << 16, [&](parallel::IndexRange chunk) {
    for (std::size_t v = chunk.begin; v < chunk.end; ++v) {
      const double d2 = zone[v] ? toOutside[v] : toInside[v];
      const double d_mm = std::isfinite(d2) ? (std::sqrt(d2) - 0.5) * h : kNoBoundary_mm;
      field.values[v] = float(zone[v] ? d_mm : -d_mm);
    }
  });
  return field;
}

double signedDistanceAt(const ScalarField& sd, const Vec3& p_lps) {
  const ImageGeometry& g = sd.geometry;
  const Vec3 x = g.lpsToIndex(p_lps);
  std::array<std::int64_t, 3> lo{};
  std::array<double, 3> f{};
  for (int a = 0; a < 3; ++a) {
    const double c = std::clamp(x[a], 0.0, double(g.size[a] - 1));
    lo[a] = std::min<std::int64_t>(std::int64_t(std::floor(c)),
                                   std::max<std::int64_t>(g.size[a] - 2, 0));
    f[a] = g.size[a] > 1 ? c - double(lo[a]) : 0.0;
  }
  double value = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    double w = 1.0;
    std::array<std::int64_t, 3> at{};
    for (int a = 0; a < 3; ++a) {
      const bool up = (corner >> a) & 1;
      at[a] = std::min(lo[a] + (up ? 1 : 0), g.size[a] - 1);
      w *= up ? f[a] : 1.0 - f[a];
    }
    if (w != 0.0) value += w * double(sd.values[g.linearIndex(at[0], at[1], at[2])]);
  }
  return value;
}

MarginMap marginMap(const ScalarField& signedDistance, const SurfaceMesh& tumourSurface,
                    double adequate_mm) {
  if (tumourSurface.triangles.empty() || tumourSurface.points_lps.empty())
    throw Error(ErrorKind::InvalidInput,
                "The tumour's surface has no triangles; segment the tumour first.",
                tumourSurface.name);
  if (signedDistance.values.size() != signedDistance.geometry.voxelCount())
    throw Error(ErrorKind::InvalidInput, "The zone's signed distance does not match its grid.",
                signedDistance.name);
  const auto& points = tumourSurface.points_lps;
  MarginMap map;
  map.adequate_mm = adequate_mm;
  map.margin_mm.resize(points.size());
  parallel::parallelFor({0, points.size()}, 1024, [&](parallel::IndexRange chunk) {
    for (std::size_t v = chunk.begin; v < chunk.end; ++v)
      map.margin_mm[v] =
          float(signedDistanceAt(signedDistance, Vec3(points[v][0], points[v][1], points[v][2])));
  });
  // Each vertex stands for a third of the area of its triangles.
  std::vector<double> area(points.size(), 0.0);
  for (const auto& t : tumourSurface.triangles) {
    const auto p = [&](int n) {
      const auto& q = points[t[std::size_t(n)]];
      return Vec3(q[0], q[1], q[2]);
    };
    const double a = 0.5 * (p(1) - p(0)).cross(p(2) - p(0)).norm();
    for (std::uint32_t v : t) area[v] += a / 3.0;
  }
  std::vector<std::pair<double, double>> byMargin;
  byMargin.reserve(points.size());
  std::array<double, 3> classArea{};
  for (std::size_t v = 0; v < points.size(); ++v) {
    if (area[v] <= 0.0) continue;  // a point no triangle uses
    byMargin.emplace_back(map.margin_mm[v], area[v]);
    classArea[std::size_t(classifyMargin(map.margin_mm[v], adequate_mm))] += area[v];
  }
  if (byMargin.empty())
    throw Error(ErrorKind::InvalidInput,
                "The tumour's surface has no area; segment the tumour again.", tumourSurface.name);
  std::sort(byMargin.begin(), byMargin.end());
  map.area_mm2 = classArea[0] + classArea[1] + classArea[2];
  map.min_mm = byMargin.front().first;
  map.percentile5_mm = weightedQuantile(byMargin, map.area_mm2, 0.05);
  map.median_mm = weightedQuantile(byMargin, map.area_mm2, 0.5);
  map.uncoveredArea_percent = 100.0 * classArea[0] / map.area_mm2;
  map.thinArea_percent = 100.0 * classArea[1] / map.area_mm2;
  map.adequateArea_percent = 100.0 * classArea[2] / map.area_mm2;
  return map;
}

}  // namespace twinplan::ablation
