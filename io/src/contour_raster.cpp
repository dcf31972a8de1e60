#include "twinplan/io/contour_raster.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::io {
namespace {

struct IndexContour {
  std::vector<std::pair<double, double>> ij;
  double k = 0.0;
};

struct ContourPlane {
  double k = 0.0;
  std::vector<const IndexContour*> contours;
};

IndexContour toIndexSpace(const LpsContour& contour, const ImageGeometry& grid) {
  IndexContour out;
  out.ij.reserve(contour.points_lps.size());
  double kMin = INFINITY, kMax = -INFINITY, kSum = 0.0;
  for (const Vec3& p : contour.points_lps) {
    const Vec3 ijk = grid.lpsToIndex(p);
    out.ij.emplace_back(ijk.x(), ijk.y());
    kMin = std::min(kMin, ijk.z());
    kMax = std::max(kMax, ijk.z());
    kSum += ijk.z();
  }
  if (kMax - kMin > kPlaneTolerance_slices) {
    std::ostringstream what;
    what << contour.label << " is not parallel to the image slices: its points span "
         << (kMax - kMin) << " slice spacings (at most " << kPlaneTolerance_slices
         << "). Rasterise it on an image series whose slices contain the contours.";
    throw Error(ErrorKind::Unsupported, what.str(), contour.label);
  }
  out.k = kSum / static_cast<double>(contour.points_lps.size());
  return out;
}

// Contours sorted by k, grouped into planes (neighbours within the tolerance).
std::vector<ContourPlane> groupPlanes(const std::vector<IndexContour>& contours) {
  std::vector<const IndexContour*> sorted;
  for (const IndexContour& c : contours) sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const IndexContour* a, const IndexContour* b) { return a->k < b->k; });
  std::vector<ContourPlane> planes;
  for (const IndexContour* c : sorted) {
    if (planes.empty() || c->k - planes.back().contours.back()->k > kPlaneTolerance_slices)
      planes.push_back({c->k, {}});
    planes.back().contours.push_back(c);
  }
  for (ContourPlane& plane : planes) {
    double sum = 0.0;
    for (const IndexContour* c : plane.contours) sum += c->k;
    plane.k = sum / static_cast<double>(plane.contours.size());
  }
  return planes;
}

// Even-odd scanline fill of one plane's contours into slice k of the mask.
void fillSlice(const ContourPlane& plane, const ImageGeometry& grid, std::int64_t k,
               std::vector<std::uint8_t>& mask) {
  const std::int64_t nx = grid.size[0], ny = grid.size[1];
  std::vector<double> crossings;
  for (std::int64_t j = 0; j < ny; ++j) {
    const double y = static_cast<double>(j);
    crossings.clear();
    for (const IndexContour* c : plane.contours) {
      const auto& pts = c->ij;
      for (std::size_t n = 0, prev = pts.size() - 1; n < pts.size(); prev = n++) {
        const auto [x0, y0] = pts[prev];
        const auto [x1, y1] = pts[n];
        // Half-open rule: an edge counts when it has one end at or below y and one above, so
        // a vertex exactly on the scanline is counted once.
        if ((y0 <= y) == (y1 <= y)) continue;
        crossings.push_back(x0 + (y - y0) * (x1 - x0) / (y1 - y0));
      }
    }
    std::sort(crossings.begin(), crossings.end());
    std::uint8_t* row = mask.data() + grid.linearIndex(0, j, k);
    for (std::size_t n = 0; n + 1 < crossings.size(); n += 2) {
      // Centres i with crossings[n] < i <= crossings[n+1] are inside.
      const double first = std::max(std::floor(crossings[n]) + 1.0, 0.0);
      const double last = std::min(std::floor(crossings[n + 1]), static_cast<double>(nx - 1));
      for (auto i = static_cast<std::int64_t>(first); i <= static_cast<std::int64_t>(last); ++i)
        row[i] = 1;
    }
  }
}

}  // namespace

std::vector<std::uint8_t> rasteriseContours(const std::vector<LpsContour>& contours,
                                            const ImageGeometry& grid, ContourPlaneUse& use,
                                            Progress& progress) {
  std::vector<IndexContour> indexed;
  indexed.reserve(contours.size());
  for (const LpsContour& c : contours)
    if (!c.points_lps.empty()) indexed.push_back(toIndexSpace(c, grid));
  const std::vector<ContourPlane> planes = groupPlanes(indexed);

  // Plane p can only serve slice floor(k_p + 0.5) (-0.5 <= k_p - k < 0.5); of several planes
  // for one slice the nearest wins.
  const std::int64_t nz = grid.size[2];
  std::vector<int> planeOfSlice(static_cast<std::size_t>(std::max<std::int64_t>(nz, 0)), -1);
  std::vector<bool> onGrid(planes.size(), false);
  for (std::size_t p = 0; p < planes.size(); ++p) {
    const double kp = planes[p].k;
    const auto slice = static_cast<std::int64_t>(std::floor(kp + 0.5));
    {
      if (slice < 0 || slice >= nz) continue;
      onGrid[p] = true;
      int& current = planeOfSlice[static_cast<std::size_t>(slice)];
      if (current < 0 ||
          std::abs(kp - static_cast<double>(slice)) <
              std::abs(planes[static_cast<std::size_t>(current)].k - static_cast<double>(slice)) -
                  1e-9)
        current = static_cast<int>(p);
    }
  }
  use = {};
  use.planes = static_cast<int>(planes.size());
  std::vector<bool> used(planes.size(), false);
  for (int p : planeOfSlice)
    if (p >= 0) used[static_cast<std::size_t>(p)] = true;
  for (std::size_t p = 0; p < planes.size(); ++p) {
    if (used[p])
      ++use.planesUsed;
    else if (onGrid[p])
      ++use.planesShadowed;
    else
      ++use.planesOffGrid;
  }

  std::vector<std::uint8_t> mask(grid.voxelCount(), 0);
  parallel::parallelFor(
      {0, static_cast<std::size_t>(std::max<std::int64_t>(nz, 0))}, 1,
      [&](parallel::IndexRange slices) {
        for (std::size_t k = slices.begin; k < slices.end; ++k)
          if (planeOfSlice[k] >= 0)
            fillSlice(planes[static_cast<std::size_t>(planeOfSlice[k])], grid,
                      static_cast<std::int64_t>(k), mask);
      },
      progress, "Rasterising contours");
  return mask;
}

std::vector<IndexPolygon> sliceContours(const std::vector<std::uint8_t>& mask,
                                        const ImageGeometry& grid, std::int64_t k) {
  const std::int64_t nx = grid.size[0], ny = grid.size[1];
  auto inside = [&](std::int64_t i, std::int64_t j) {
    return i >= 0 && j >= 0 && i < nx && j < ny && mask[grid.linearIndex(i, j, k)] != 0;
  };
  // Crossing points live on cell edges of the grid padded by one outside voxel each side.
  // H(i, j): between centres (i, j) and (i+1, j); V(i, j): between (i, j) and (i, j+1).
  const std::int64_t stride = nx + 2;
  auto horizontal = [&](std::int64_t i, std::int64_t j) { return 2 * ((j + 1) * stride + i + 1); };
  auto vertical = [&](std::int64_t i, std::int64_t j) {
    return 2 * ((j + 1) * stride + i + 1) + 1;
  };
  auto position = [&](std::int64_t id) -> std::pair<double, double> {
    const std::int64_t cell = id / 2;
    const double i = static_cast<double>(cell % stride - 1);
    const double j = static_cast<double>(cell / stride - 1);
    return (id % 2 == 0) ? std::pair{i + 0.5, j} : std::pair{i, j + 0.5};
  };
  std::unordered_map<std::int64_t, std::array<std::int64_t, 2>> links;
  auto link = [&](std::int64_t a, std::int64_t b) {
    for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
      auto [it, fresh] = links.try_emplace(from, std::array<std::int64_t, 2>{to, -1});
      if (!fresh) it->second[1] = to;
    }
  };
  for (std::int64_t j = -1; j < ny; ++j) {
    for (std::int64_t i = -1; i < nx; ++i) {
      // Corners a=(i,j) b=(i+1,j) c=(i+1,j+1) d=(i,j+1); edges e0=ab e1=bc e2=cd e3=da.
      const bool a = inside(i, j), b = inside(i + 1, j), c = inside(i + 1, j + 1),
                 d = inside(i, j + 1);
      if (a == b && b == c && c == d) continue;
      const std::int64_t e[4] = {horizontal(i, j), vertical(i + 1, j), horizontal(i, j + 1),
                                 vertical(i, j)};
      const bool crosses[4] = {a != b, b != c, c != d, d != a};
      if (crosses[0] && crosses[1] && crosses[2] && crosses[3]) {
        // Saddle: cut off the two inside corners, so diagonal inside voxels stay apart.
        if (a) {
          link(e[3], e[0]);
          link(e[1], e[2]);
        } else {
          link(e[0], e[1]);
          link(e[2], e[3]);
        }
        continue;
      }
      std::int64_t ends[2], n = 0;
      for (int edge = 0; edge < 4; ++edge)
        if (crosses[edge]) ends[n++] = e[edge];
      link(ends[0], ends[1]);
    }
  }
  // Every crossing point has exactly two neighbours: walk the closed loops (in id order, so the
  // output does not depend on hashing).
  std::vector<std::int64_t> starts;
  starts.reserve(links.size());
  for (const auto& entry : links) starts.push_back(entry.first);
  std::sort(starts.begin(), starts.end());
  std::unordered_map<std::int64_t, bool> visited;
  std::vector<IndexPolygon> polygons;
  for (std::int64_t start : starts) {
    if (visited[start]) continue;
    IndexPolygon loop;
    std::int64_t previous = -1, current = start;
    while (!visited[current]) {
      visited[current] = true;
      loop.push_back(position(current));
      const auto& next = links.at(current);
      const std::int64_t step = next[0] != previous ? next[0] : next[1];
      previous = current;
      current = step;
    }
    // Drop collinear vertices (exactly collinear: the vertices are on a half-voxel lattice).
    IndexPolygon simplified;
    for (std::size_t n = 0; n < loop.size(); ++n) {
      const auto& p = loop[(n + loop.size() - 1) % loop.size()];
      const auto& q = loop[n];
      const auto& r = loop[(n + 1) % loop.size()];
      const double cross =
          (q.first - p.first) * (r.second - q.second) - (q.second - p.second) * (r.first - q.first);
      if (std::abs(cross) > 1e-12) simplified.push_back(q);
    }
    if (simplified.size() >= 3) polygons.push_back(std::move(simplified));
  }
  return polygons;
}

}  // namespace twinplan::io
