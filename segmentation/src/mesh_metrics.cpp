#include "twinplan/segmentation/mesh_metrics.h"

#include <Eigen/Geometry>  // cross products
#include <algorithm>
#include <cstdint>
#include <vector>

#include "mesh_topology.h"
#include "twinplan/core/geometry.h"

namespace twinplan::segmentation {
namespace {

Vec3 pointOf(const SurfaceMesh& mesh, std::uint32_t index) {
  const auto& p = mesh.points_lps[index];
  return {p[0], p[1], p[2]};
}

}  // namespace

double enclosedVolume_ml(const SurfaceMesh& mesh) {
  if (mesh.points_lps.empty()) return 0.0;
  // Tetrahedra from a point of the mesh, not the LPS origin: a surface far from the origin
  // would otherwise lose digits to cancellation.
  const Vec3 apex = pointOf(mesh, 0);
  double sixTimesVolume_mm3 = 0.0;
  for (const auto& t : mesh.triangles) {
    const Vec3 a = pointOf(mesh, t[0]) - apex, b = pointOf(mesh, t[1]) - apex,
               c = pointOf(mesh, t[2]) - apex;
    sixTimesVolume_mm3 += a.dot(b.cross(c));
  }
  return sixTimesVolume_mm3 / 6.0 / 1000.0;
}

double surfaceArea_mm2(const SurfaceMesh& mesh) {
  double twiceArea = 0.0;
  for (const auto& t : mesh.triangles) {
    const Vec3 a = pointOf(mesh, t[0]);
    twiceArea += (pointOf(mesh, t[1]) - a).cross(pointOf(mesh, t[2]) - a).norm();
  }
  return twiceArea / 2.0;
}

bool isClosedManifold(const SurfaceMesh& mesh) {
  return detail::isClosedManifold(mesh.triangles, mesh.points_lps.size());
}

namespace detail {

bool isClosedManifold(std::span<const std::array<std::uint32_t, 3>> triangles,
                      std::size_t pointCount) {
  if (triangles.empty()) return false;
  // Each directed edge (from << 32 | to) must occur once, and its reverse once.
  std::vector<std::uint64_t> edges;
  edges.reserve(3 * triangles.size());
  for (const auto& t : triangles) {
    for (std::size_t e = 0; e < 3; ++e) {
      const std::uint32_t from = t[e], to = t[(e + 1) % 3];
      if (from >= pointCount || from == to) return false;
      edges.push_back(static_cast<std::uint64_t>(from) << 32 | to);
    }
  }
  std::sort(edges.begin(), edges.end());
  if (std::adjacent_find(edges.begin(), edges.end()) != edges.end()) return false;
  return std::all_of(edges.begin(), edges.end(), [&](std::uint64_t edge) {
    const std::uint64_t reverse = (edge << 32) | (edge >> 32);
    return std::binary_search(edges.begin(), edges.end(), reverse);
  });
}

std::optional<std::size_t> pinchedEdges(std::span<const std::array<std::uint32_t, 3>> triangles,
                                        std::size_t pointCount) {
  if (triangles.empty()) return std::nullopt;
  std::vector<std::uint64_t> edges;
  edges.reserve(3 * triangles.size());
  for (const auto& t : triangles) {
    for (std::size_t e = 0; e < 3; ++e) {
      const std::uint32_t from = t[e], to = t[(e + 1) % 3];
      if (from >= pointCount || from == to) return std::nullopt;
      edges.push_back(static_cast<std::uint64_t>(from) << 32 | to);
    }
  }
  std::sort(edges.begin(), edges.end());
  for (std::uint64_t edge : edges)
    if (!std::binary_search(edges.begin(), edges.end(), (edge << 32) | (edge >> 32)))
      return std::nullopt;
  std::size_t repeated = 0;
  for (std::size_t e = 1; e < edges.size(); ++e) repeated += edges[e] == edges[e - 1];
  return repeated;
}

}  // namespace detail

}  // namespace twinplan::segmentation
