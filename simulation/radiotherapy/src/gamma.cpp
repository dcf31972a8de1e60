#include "twinplan/radiotherapy/gamma.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/radiotherapy/dose_grid.h"

namespace twinplan::radiotherapy {
namespace {

// A point of the gamma space: (x, y, z) / DTA and dose / dD (Ju 2008, section II.A).
using GammaPoint = std::array<double, 4>;

double squaredDistance(const GammaPoint& a, const GammaPoint& b) {
  double sum = 0.0;
  for (int c = 0; c < 4; ++c) sum += (a[c] - b[c]) * (a[c] - b[c]);
  return sum;
}

double dot(const GammaPoint& a, const GammaPoint& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
}

GammaPoint minus(const GammaPoint& a, const GammaPoint& b) {
  return {a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]};
}

// Squared distance from `p` to the simplex of `count` (1..3) vertices. The point of the
// simplex's affine hull nearest to p is taken when its barycentric coordinates are all >= 0;
// otherwise the nearest point lies on a facet opposite a vertex with a negative coordinate
// (moving from any other boundary point towards the hull's nearest point would enter the
// simplex and come closer), so only those facets are searched (Ju 2008, section II.C).
double simplexSquaredDistance(const GammaPoint* vertex, int count, const GammaPoint& p) {
  if (count == 1) return squaredDistance(vertex[0], p);
  const GammaPoint edge0 = minus(vertex[1], vertex[0]);
  const GammaPoint toPoint = minus(p, vertex[0]);
  std::array<double, 3> barycentric{};
  bool solved = false;
  if (count == 2) {
    const double length2 = dot(edge0, edge0);
    if (length2 > 1e-24) {
      const double t = dot(toPoint, edge0) / length2;
      barycentric = {1.0 - t, t, 0.0};
      solved = true;
    }
  } else {
    const GammaPoint edge1 = minus(vertex[2], vertex[0]);
    const double g00 = dot(edge0, edge0), g01 = dot(edge0, edge1), g11 = dot(edge1, edge1);
    const double r0 = dot(toPoint, edge0), r1 = dot(toPoint, edge1);
    const double determinant = g00 * g11 - g01 * g01;
    if (determinant > 1e-12 * g00 * g11) {
      const double t0 = (r0 * g11 - r1 * g01) / determinant;
      const double t1 = (r1 * g00 - r0 * g01) / determinant;
      barycentric = {1.0 - t0 - t1, t0, t1};
      solved = true;
    }
  }
  if (solved && std::all_of(barycentric.begin(), barycentric.begin() + count,
                            [](double b) { return b >= 0.0; })) {
    GammaPoint nearest{};
    for (int c = 0; c < 4; ++c)
      for (int v = 0; v < count; ++v) nearest[c] += barycentric[v] * vertex[v][c];
    return squaredDistance(nearest, p);
  }
  double best = std::numeric_limits<double>::infinity();
  for (int drop = 0; drop < count; ++drop) {
    if (solved && barycentric[drop] >= 0.0) continue;
    GammaPoint facet[2];
    for (int v = 0, f = 0; v < count; ++v)
      if (v != drop) facet[f++] = vertex[v];
    best = std::min(best, simplexSquaredDistance(facet, count - 1, p));
  }
  return best;
}

// The six tetrahedra of a cell (Kuhn's triangulation): tetrahedron `axes` holds the points whose
// local coordinates satisfy u[axes[0]] >= u[axes[1]] >= u[axes[2]]; its vertices are the corners
// 0, e(axes[0]), e(axes[0]) + e(axes[1]) and 7 (corner bits: 1 = +i, 2 = +j, 4 = +k).
constexpr std::array<std::array<int, 3>, 6> kKuhnAxes = {
    {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}};

// The edge of each tetrahedron along each grid axis, as {from, to} corners: the gradient is read
// in axis order so that its three values are stored in order (written through axes[e] they were
// stored one by one and then loaded as a pair, a store-forwarding stall that cost a quarter
// of the search's time).
constexpr std::array<std::array<std::array<int, 2>, 3>, 6> kKuhnEdges = [] {
  std::array<std::array<std::array<int, 2>, 3>, 6> edges{};
  for (std::size_t t = 0; t < 6; ++t) {
    int from = 0;
    for (int e = 0; e < 3; ++e) {
      const int axis = kKuhnAxes[t][static_cast<std::size_t>(e)];
      edges[t][static_cast<std::size_t>(axis)] = {from, from | (1 << axis)};
      from |= 1 << axis;
    }
  }
  return edges;
}();

// The evaluated dose as a piecewise-linear function on Kuhn tetrahedra, searched for the
// minimum gamma of one reference point at a time.
class EvaluatedDoseSurface {
 public:
  EvaluatedDoseSurface(const ScalarField& dose, double distanceToAgreement_mm, double maxGamma,
                       bool passFailOnly)
      : dose_(dose.values.data()),
        size_(dose.geometry.size),
        maxGamma2_(maxGamma * maxGamma),
        passFailOnly_(passFailOnly) {
    for (int a = 0; a < 3; ++a) {
      step_[a] = dose.geometry.spacing_mm[a] / distanceToAgreement_mm;
      inverseStep_[a] = 1.0 / step_[a];
      inverseStep2_[a] = inverseStep_[a] * inverseStep_[a];
    }
    // 1 / |grad lambda_v|^2 of each tetrahedron's barycentric coordinates (lambda_0 = 1 -
    // u[axes[0]], ..., lambda_3 = u[axes[2]]), for the distance beyond a face.
    for (std::size_t t = 0; t < kKuhnAxes.size(); ++t) {
      const std::array<int, 3>& axes = kKuhnAxes[t];
      inverseFaceGradient2_[t] = {
          1.0 / inverseStep2_[axes[0]], 1.0 / (inverseStep2_[axes[0]] + inverseStep2_[axes[1]]),
          1.0 / (inverseStep2_[axes[1]] + inverseStep2_[axes[2]]), 1.0 / inverseStep2_[axes[2]]};
    }
    measureCellRanges();
    sortOuterCells();
  }

  // gamma^2 at continuous index `q` of this grid for reference dose `referenceDose`, both
  // doses divided by dD (`doseScale` = 1 / dD); at most maxGamma^2.
  double squaredGamma(const Vec3& q, double referenceDose, double doseScale) const {
    const double reference = referenceDose * doseScale;
    double best = maxGamma2_;
    const bool inside = insideDomain(q);
    double here = 0.0;  // the dose difference at q, in dD
    if (inside) {
      here = interpolate(q) * doseScale - reference;
      best = std::min(best, here * here);
    }
    if (passFailOnly_ && best <= 1.0) return best;
    // The cells that touch q first: they hold the smallest gammas of a passing point, and the
    // smaller `best` then prunes the cells further out by their distance alone.
    std::array<std::int64_t, 3> nearFirst{}, nearLast{};
    for (int a = 0; a < 3; ++a) {
      const double below = std::ceil(q[a]) - 1.0;
      nearFirst[a] = std::clamp<std::int64_t>(static_cast<std::int64_t>(below), 0, size_[a] - 2);
      nearLast[a] =
          std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(q[a])), 0, size_[a] - 2);
    }
    // Of these, the cell downhill first: from q, gamma^2 falls fastest along -here * grad D_e,
    // so the minimum most often lies in the cell on that side of q along every axis. Found
    // first, it lowers `best` enough for the other cells' tetrahedra to be pruned by their
    // planes' distance. The order changes what is pruned, never the minimum.
    std::array<std::int64_t, 3> lead = nearFirst, trail = nearLast;
    Vec3 downhill = Vec3::Zero();
    if (inside) {
      const std::array<std::int64_t, 3> base = cellOf(q);
      const float atBase = at(base[0], base[1], base[2]);
      for (int a = 0; a < 3; ++a) {
        std::array<std::int64_t, 3> next = base;
        ++next[a];
        const double slope = at(next[0], next[1], next[2]) - atBase;  // forward difference
        downhill[a] = -here * slope;
        if (downhill[a] > 0.0) std::swap(lead[a], trail[a]);
      }
    }
    for (int flip = 0; flip < 8; ++flip) {
      std::array<std::int64_t, 3> cell{};
      bool repeated = false;
      for (int a = 0; a < 3; ++a) {
        const bool flipped = (flip >> a) & 1;
        repeated = repeated || (flipped && lead[a] == trail[a]);
        cell[a] = flipped ? trail[a] : lead[a];
      }
      if (repeated) continue;
      searchCell(cell, q, reference, doseScale, best,
                 flip == 0 ? tetrahedronAlong(cell, q, downhill) : kKuhnAxes.size());
      if (passFailOnly_ && best <= 1.0) return best;
    }
    if (!outerCells_.empty() && isGridPoint(q))
      return searchOuterCells(q, reference, doseScale, best);
    std::array<std::int64_t, 3> first{}, last{};
    const double radius = std::sqrt(best);
    for (int a = 0; a < 3; ++a) {
      first[a] = std::max<std::int64_t>(
          0, static_cast<std::int64_t>(std::floor(q[a] - radius / step_[a])));
      last[a] = std::min<std::int64_t>(
          size_[a] - 2, static_cast<std::int64_t>(std::floor(q[a] + radius / step_[a])));
      if (first[a] > last[a]) return best;
    }
    // Whole planes and rows of cells whose box lies beyond `best` are skipped.
    for (std::int64_t k = first[2]; k <= last[2]; ++k) {
      const double planeGap2 = axisGap2(q, 2, k);
      if (planeGap2 >= best) continue;
      for (std::int64_t j = first[1]; j <= last[1]; ++j) {
        if (planeGap2 + axisGap2(q, 1, j) >= best) continue;
        const bool nearRow =
            k >= nearFirst[2] && k <= nearLast[2] && j >= nearFirst[1] && j <= nearLast[1];
        for (std::int64_t i = first[0]; i <= last[0]; ++i) {
          if (nearRow && i >= nearFirst[0] && i <= nearLast[0]) continue;
          searchCell({i, j, k}, q, reference, doseScale, best);
          if (passFailOnly_ && best <= 1.0) return best;
        }
      }
    }
    return best;
  }

 private:
  static bool isGridPoint(const Vec3& q) {
    return q[0] == std::floor(q[0]) && q[1] == std::floor(q[1]) && q[2] == std::floor(q[2]);
  }

  // The cells beyond those touching a grid point q, nearest first: the search stops at the
  // first cell whose box lies beyond `best`, and every cell after it does too.
  double searchOuterCells(const Vec3& q, double reference, double doseScale, double& best) const {
    const std::array<std::int64_t, 3> point = {static_cast<std::int64_t>(q[0]),
                                               static_cast<std::int64_t>(q[1]),
                                               static_cast<std::int64_t>(q[2])};
    for (const CellOffset& offset : outerCells_) {
      if (offset.boxDistance2 >= best) break;
      std::array<std::int64_t, 3> cell{};
      bool inside = true;
      for (int a = 0; a < 3; ++a) {
        cell[a] = point[a] + offset.step[a];
        inside = inside && cell[a] >= 0 && cell[a] <= size_[a] - 2;
      }
      if (!inside) continue;
      searchCell(cell, q, reference, doseScale, best);
      if (passFailOnly_ && best <= 1.0) break;
    }
    return best;
  }

  // The offsets from a grid point of the cells whose box lies within maxGamma, less the eight
  // that touch it, sorted by that distance. Left empty (the search then scans a box of cells)
  // when a fine grid and a large maxGamma would make the table large.
  void sortOuterCells() {
    std::array<std::int32_t, 3> reach{};
    double count = 1.0;
    for (int a = 0; a < 3; ++a) {
      reach[a] = static_cast<std::int32_t>(std::ceil(std::sqrt(maxGamma2_) / step_[a])) + 1;
      count *= 2.0 * reach[a] + 1.0;
    }
    if (count > 1 << 20) return;
    auto gap = [&](int a, std::int32_t d) {
      return std::max({0.0, static_cast<double>(d), static_cast<double>(-d - 1)}) * step_[a];
    };
    for (std::int32_t k = -reach[2]; k <= reach[2]; ++k)
      for (std::int32_t j = -reach[1]; j <= reach[1]; ++j)
        for (std::int32_t i = -reach[0]; i <= reach[0]; ++i) {
          const bool touches = i >= -1 && i <= 0 && j >= -1 && j <= 0 && k >= -1 && k <= 0;
          const double distance2 =
              gap(0, i) * gap(0, i) + gap(1, j) * gap(1, j) + gap(2, k) * gap(2, k);
          if (!touches && distance2 < maxGamma2_) outerCells_.push_back({{i, j, k}, distance2});
        }
    std::sort(outerCells_.begin(), outerCells_.end(), [](const CellOffset& a, const CellOffset& b) {
      return std::tie(a.boxDistance2, a.step[2], a.step[1], a.step[0]) <
             std::tie(b.boxDistance2, b.step[2], b.step[1], b.step[0]);
    });
  }

  // The lowest and highest corner dose of every cell, so that most cells are pruned by the
  // dose they cannot reach without reading their eight corners: of the ~20 cells within reach
  // of a point in the benchmark, ~4 pass this test.
  void measureCellRanges() {
    const std::int64_t cellsI = size_[0] - 1, cellsJ = size_[1] - 1, cellsK = size_[2] - 1;
    cellRange_.resize(static_cast<std::size_t>(cellsI * cellsJ * cellsK));
    parallel::parallelFor(
        {0, static_cast<std::size_t>(cellsK)}, 1, [&](parallel::IndexRange planes) {
          std::array<double, 8> corner{};
          for (auto k = static_cast<std::int64_t>(planes.begin);
               k < static_cast<std::int64_t>(planes.end); ++k)
            for (std::int64_t j = 0; j < cellsJ; ++j)
              for (std::int64_t i = 0; i < cellsI; ++i) {
                loadCorners({i, j, k}, corner);
                const auto [low, high] = std::minmax_element(corner.begin(), corner.end());
                cellRange_[cellIndex({i, j, k})] = {static_cast<float>(*low),
                                                    static_cast<float>(*high)};
              }
        });
  }

  std::size_t cellIndex(const std::array<std::int64_t, 3>& cell) const {
    return static_cast<std::size_t>(cell[0] +
                                    (size_[0] - 1) * (cell[1] + (size_[1] - 1) * cell[2]));
  }

  // Squared distance, in DTA units, from q to the slab of cell `c` along axis `a`.
  double axisGap2(const Vec3& q, int a, std::int64_t c) const {
    const double u = q[a] - static_cast<double>(c);
    const double outside = std::max({0.0, -u, u - 1.0}) * step_[a];
    return outside * outside;
  }

  bool insideDomain(const Vec3& q) const {
    for (int a = 0; a < 3; ++a)
      if (!(q[a] >= 0.0 && q[a] <= static_cast<double>(size_[a] - 1))) return false;
    return true;
  }

  float at(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return dose_[static_cast<std::size_t>(i + size_[0] * (j + size_[1] * k))];
  }

  void loadCorners(const std::array<std::int64_t, 3>& cell, std::array<double, 8>& corner) const {
    for (int bits = 0; bits < 8; ++bits)
      corner[bits] = at(cell[0] + (bits & 1), cell[1] + ((bits >> 1) & 1), cell[2] + (bits >> 2));
  }

  std::array<std::int64_t, 3> cellOf(const Vec3& q) const {
    std::array<std::int64_t, 3> cell{};
    for (int a = 0; a < 3; ++a)
      cell[a] =
          std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(q[a])), 0, size_[a] - 2);
    return cell;
  }

  // The piecewise-linear dose at q (inside the domain): the linear function of the Kuhn
  // tetrahedron that holds q.
  double interpolate(const Vec3& q) const {
    const std::array<std::int64_t, 3> cell = cellOf(q);
    std::array<double, 8> corner{};
    loadCorners(cell, corner);
    std::array<double, 3> u{};
    for (int a = 0; a < 3; ++a) u[a] = q[a] - static_cast<double>(cell[a]);
    std::array<int, 3> axes = {0, 1, 2};
    std::sort(axes.begin(), axes.end(), [&u](int a, int b) { return u[a] > u[b]; });
    const int w1 = 1 << axes[0], w2 = w1 | (1 << axes[1]);
    return corner[0] + (corner[w1] - corner[0]) * u[axes[0]] +
           (corner[w2] - corner[w1]) * u[axes[1]] + (corner[7] - corner[w2]) * u[axes[2]];
  }

  // The tetrahedron of `cell` that holds q + epsilon * direction: Kuhn's tetrahedron of the axes
  // in decreasing order of q's local coordinates, ties broken by the direction.
  static std::size_t tetrahedronAlong(const std::array<std::int64_t, 3>& cell, const Vec3& q,
                                      const Vec3& direction) {
    const Vec3 u = q - Vec3(static_cast<double>(cell[0]), static_cast<double>(cell[1]),
                            static_cast<double>(cell[2]));
    std::array<int, 3> axes = {0, 1, 2};
    std::sort(axes.begin(), axes.end(), [&](int a, int b) {
      return u[a] > u[b] || (u[a] == u[b] && direction[a] > direction[b]);
    });
    return static_cast<std::size_t>(std::find(kKuhnAxes.begin(), kKuhnAxes.end(), axes) -
                                    kKuhnAxes.begin());
  }

  // `leadTetrahedron` (if < 6) is searched first: the one the minimum most likely lies in.
  void searchCell(const std::array<std::int64_t, 3>& cell, const Vec3& q, double reference,
                  double doseScale, double& best,
                  std::size_t leadTetrahedron = kKuhnAxes.size()) const {
    // Lower bound of the cell: its box's distance from q plus how far the reference dose lies
    // outside the cell's dose range (the linear pieces stay within the corner values).
    std::array<double, 3> local{};  // q in the cell's frame, in DTA units
    double boxDistance2 = 0.0;
    for (int a = 0; a < 3; ++a) {
      const double u = q[a] - static_cast<double>(cell[a]);
      local[a] = u * step_[a];
      const double outside = std::max({0.0, -u, u - 1.0}) * step_[a];
      boxDistance2 += outside * outside;
    }
    if (boxDistance2 >= best) return;
    // Scaling by doseScale > 0 keeps the order of the corners (rounding is monotonic), so this
    // is the range of the scaled corners, bit for bit.
    const DoseRange& range = cellRange_[cellIndex(cell)];
    const double doseGap =
        std::max({0.0, range.low * doseScale - reference, reference - range.high * doseScale});
    if (boxDistance2 + doseGap * doseGap >= best) return;
    std::array<double, 8> corner{};
    loadCorners(cell, corner);
    for (double& d : corner) d *= doseScale;
    if (leadTetrahedron < kKuhnAxes.size())
      searchTetrahedron(leadTetrahedron, corner, local, reference, best);
    for (std::size_t t = 0; t < kKuhnAxes.size(); ++t)
      if (t != leadTetrahedron) searchTetrahedron(t, corner, local, reference, best);
  }

  // The nearest point of one tetrahedron's dose plane: the plane f(z) = f0 + G.z in DTA units
  // has its nearest point to (z_q, f_r) at z_q - c G / (1 + |G|^2), c = f(z_q) - f_r, with
  // squared distance c^2 / (1 + |G|^2) (Ju 2008, eq. 7 in three dimensions). If that point
  // lies outside the tetrahedron the minimum is on the tetrahedron's boundary.
  void searchTetrahedron(std::size_t tetrahedron, const std::array<double, 8>& corner,
                         const std::array<double, 3>& local, double reference, double& best) const {
    const std::array<int, 3>& axes = kKuhnAxes[tetrahedron];
    std::array<double, 3> gradient{};  // per DTA, along the axes of the grid
    for (std::size_t a = 0; a < 3; ++a) {
      const std::array<int, 2>& edge = kKuhnEdges[tetrahedron][a];
      gradient[a] =
          (corner[static_cast<std::size_t>(edge[1])] - corner[static_cast<std::size_t>(edge[0])]) *
          inverseStep_[a];
    }
    double planeAtQ = corner[0], gradient2 = 0.0;
    for (int a = 0; a < 3; ++a) {
      planeAtQ += gradient[a] * local[a];
      gradient2 += gradient[a] * gradient[a];
    }
    const double c = planeAtQ - reference;
    const double denominator = 1.0 + gradient2;
    if (c * c >= best * denominator) return;  // the plane's distance c^2 / (1 + |G|^2)
    const double shift = c / denominator;
    const double planeDistance2 = c * shift;
    std::array<double, 3> u{};
    for (int a = 0; a < 3; ++a) u[a] = (local[a] - shift * gradient[a]) * inverseStep_[a];
    const std::array<double, 4> barycentric = {1.0 - u[axes[0]], u[axes[0]] - u[axes[1]],
                                               u[axes[1]] - u[axes[2]], u[axes[2]]};
    // Branch-free: whether z* lies inside is as hard to predict as a coin.
    const double lowest = std::min(std::min(barycentric[0], barycentric[1]),
                                   std::min(barycentric[2], barycentric[3]));
    if (lowest >= 0.0) {
      best = planeDistance2;
      return;
    }
    // F(z) = |z - z_q|^2 + (f(z) - f_r)^2 has Hessian 2 (I + G G^T) >= 2 I, so on the
    // tetrahedron F >= F(z*) + dist(z*, tetrahedron)^2, and that distance is at least z*'s
    // distance from each face plane it lies beyond (|lambda_j| / |grad lambda_j|).
    const std::array<double, 4>& inverseFaceGradient2 = inverseFaceGradient2_[tetrahedron];
    double beyond2 = 0.0;
    for (std::size_t v = 0; v < 4; ++v) {
      const double below = std::min(barycentric[v], 0.0);
      beyond2 = std::max(beyond2, below * below * inverseFaceGradient2[v]);
    }
    if (planeDistance2 + beyond2 >= best) return;
    searchTetrahedronBoundary(tetrahedron, corner, local, reference, gradient, c, barycentric,
                              best);
  }

  // The rare rest of searchTetrahedron (one tetrahedron in twenty in the benchmark), apart so
  // that the common path stays small: the minimum lies on the tetrahedron's boundary.
  [[gnu::noinline]] void searchTetrahedronBoundary(
      std::size_t tetrahedron, const std::array<double, 8>& corner,
      const std::array<double, 3>& local, double reference, const std::array<double, 3>& gradient,
      double c, const std::array<double, 4>& barycentric, double& best) const {
    const std::array<int, 3>& axes = kKuhnAxes[tetrahedron];
    const int w[4] = {0, 1 << axes[0], (1 << axes[0]) | (1 << axes[1]), 7};
    // When q itself lies in the tetrahedron and F grows along every edge leaving it, q is the
    // tetrahedron's minimum (convexity): F(q) = c^2. This is the common case of a reference
    // point on a grid point of the evaluated dose.
    const std::array<double, 3> uq = {local[0] / step_[0], local[1] / step_[1],
                                      local[2] / step_[2]};
    const std::array<double, 4> qBarycentric = {1.0 - uq[axes[0]], uq[axes[0]] - uq[axes[1]],
                                                uq[axes[1]] - uq[axes[2]], uq[axes[2]]};
    if (std::all_of(qBarycentric.begin(), qBarycentric.end(),
                    [](double b) { return b >= -1e-12; })) {
      bool qIsMinimum = true;
      for (int v = 0; v < 4 && qIsMinimum; ++v) {
        const double along = gradient[0] * ((w[v] & 1) * step_[0] - local[0]) +
                             gradient[1] * (((w[v] >> 1) & 1) * step_[1] - local[1]) +
                             gradient[2] * ((w[v] >> 2) * step_[2] - local[2]);
        qIsMinimum = c * along >= 0.0;  // dF/dz . (v - q) = 2 c G . (v - q)
      }
      if (qIsMinimum) {
        best = std::min(best, c * c);
        return;
      }
    }
    GammaPoint vertex[4];
    for (int v = 0; v < 4; ++v)
      vertex[v] = {(w[v] & 1) * step_[0], ((w[v] >> 1) & 1) * step_[1], (w[v] >> 2) * step_[2],
                   corner[w[v]]};
    const GammaPoint point = {local[0], local[1], local[2], reference};
    for (int drop = 0; drop < 4; ++drop) {
      if (barycentric[drop] >= 0.0) continue;
      GammaPoint face[3];
      for (int v = 0, f = 0; v < 4; ++v)
        if (v != drop) face[f++] = vertex[v];
      best = std::min(best, simplexSquaredDistance(face, 3, point));
    }
  }

  const float* dose_;
  std::array<std::int64_t, 3> size_;
  std::array<double, 3> step_{};  // spacing in DTA units
  std::array<double, 3> inverseStep_{}, inverseStep2_{};
  std::array<std::array<double, 4>, 6> inverseFaceGradient2_{};
  double maxGamma2_;
  bool passFailOnly_;
  struct DoseRange {
    float low, high;
  };
  std::vector<DoseRange> cellRange_;  // per cell, i fastest
  struct CellOffset {
    std::array<std::int32_t, 3> step;  // cells from the grid point
    double boxDistance2;               // of the cell's box from the grid point, in DTA^2
  };
  std::vector<CellOffset> outerCells_;
};

void requireOrthonormal(const ScalarField& dose, std::string_view what) {
  const Mat3& d = dose.geometry.direction;
  if ((d.transpose() * d - Mat3::Identity()).cwiseAbs().maxCoeff() > 1e-4)
    throw Error(ErrorKind::InvalidInput,
                std::string(what) +
                    " has a grid whose axes are not orthonormal; distances in its index space "
                    "would not be millimetres. Resample it onto an orthogonal grid first.");
}

void requireComparableFrames(const DoseFrames& frames, bool sameGrid) {
  const std::string& a = frames.referenceFrameOfReferenceUid;
  const std::string& b = frames.evaluatedFrameOfReferenceUid;
  if (!a.empty() && !b.empty() && a != b)
    throw Error(ErrorKind::InvalidInput,
                "The reference dose (frame of reference " + a + ") and the evaluated dose (" + b +
                    ") are in different patient coordinate systems; register them and resample "
                    "the evaluated dose onto the reference first.",
                "FrameOfReferenceUID");
  if (sameGrid) return;
  if (a.empty() || b.empty())
    throw Error(ErrorKind::InvalidInput,
                "The reference and evaluated doses are on different grids and the frame of "
                "reference of " +
                    std::string(a.empty() ? "the reference" : "the evaluated") +
                    " dose is unknown: gamma maps one grid into the other only within one frame "
                    "of reference. Read both doses from RTDOSE files (which carry it) or "
                    "resample one onto the other's grid first.",
                "FrameOfReferenceUID");
}

void requireFinite(const ScalarField& dose, std::string_view what) {
  const auto bad = std::find_if(dose.values.begin(), dose.values.end(),
                                [](float v) { return !std::isfinite(v); });
  if (bad != dose.values.end())
    throw Error(ErrorKind::InvalidInput, std::string(what) +
                                             " holds a value that is not a number (voxel " +
                                             std::to_string(bad - dose.values.begin()) +
                                             "); gamma needs a dose everywhere.");
}

// Nearest-rank percentile of sorted-on-demand values.
double percentile(std::vector<float>& values, double fraction) {
  if (values.empty()) return 0.0;
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(values.size())));
  const std::size_t index = std::min(values.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index];
}

void summarise(GammaResult& result, double maxGamma) {
  std::vector<float> evaluated;
  evaluated.reserve(result.gamma.values.size() / 4);
  double sum = 0.0;
  for (float g : result.gamma.values) {
    if (std::isnan(g)) continue;
    evaluated.push_back(g);
    sum += g;
    if (g <= 1.0f) ++result.passedPoints;
    result.max = std::max(result.max, static_cast<double>(g));
  }
  result.evaluatedPoints = evaluated.size();
  if (evaluated.empty()) return;
  result.passRate_percent =
      100.0 * static_cast<double>(result.passedPoints) / static_cast<double>(evaluated.size());
  result.mean = sum / static_cast<double>(evaluated.size());
  result.median = percentile(evaluated, 0.5);
  result.p95 = percentile(evaluated, 0.95);
  result.p99 = percentile(evaluated, 0.99);
  result.max = std::min(result.max, maxGamma);
}

}  // namespace

void GammaCriteria::validate() const {
  auto require = [](bool ok, const char* parameter, const std::string& sentence) {
    if (!ok) throw Error(ErrorKind::InvalidInput, sentence, parameter);
  };
  require(std::isfinite(doseDifference_percent) && doseDifference_percent > 0.0 &&
              doseDifference_percent <= 100.0,
          "doseDifference_percent",
          "The dose-difference criterion must be a percentage in (0, 100], such as 3.");
  require(std::isfinite(distanceToAgreement_mm) && distanceToAgreement_mm > 0.0 &&
              distanceToAgreement_mm <= 100.0,
          "distanceToAgreement_mm",
          "The distance to agreement must be a length in (0, 100] mm, such as 3.");
  require(std::isfinite(lowDoseThreshold_percent) && lowDoseThreshold_percent >= 0.0 &&
              lowDoseThreshold_percent < 100.0,
          "lowDoseThreshold_percent",
          "The low-dose threshold must be a percentage in [0, 100), such as 10.");
  require(std::isfinite(normalisationDose_Gy) && normalisationDose_Gy >= 0.0,
          "normalisationDose_Gy",
          "The normalisation dose must be >= 0 Gy (0 means the maximum reference dose).");
  require(std::isfinite(maxGamma) && maxGamma >= 1.0 && maxGamma <= 10.0, "maxGamma",
          "The largest gamma searched must lie in [1, 10] (plastimatch uses 2).");
}

GammaResult gammaIndex(const ScalarField& reference, const ScalarField& evaluated,
                       const GammaCriteria& criteria, Progress& progress,
                       const DoseFrames& frames) {
  criteria.validate();
  requireDose(reference, "the reference dose");
  requireDose(evaluated, "the evaluated dose");
  requireOrthonormal(reference, "the reference dose");
  requireOrthonormal(evaluated, "the evaluated dose");
  const bool sameGrid = reference.geometry.sameGridAs(evaluated.geometry, 1e-3);
  requireComparableFrames(frames, sameGrid);
  for (int a = 0; a < 3; ++a)
    if (evaluated.geometry.size[a] < 2)
      throw Error(ErrorKind::Unsupported,
                  std::string("The evaluated dose has a single plane along its ") + "ijk"[a] +
                      " axis; the 3D gamma needs at least two planes along every axis.",
                  "evaluated");

  requireFinite(reference, "the reference dose");
  requireFinite(evaluated, "the evaluated dose");

  GammaResult result;
  result.sameGrid = sameGrid;
  const double referenceMax = *std::max_element(reference.values.begin(), reference.values.end());
  result.normalisationDose_Gy =
      criteria.normalisationDose_Gy > 0.0 ? criteria.normalisationDose_Gy : referenceMax;
  if (!(result.normalisationDose_Gy > 0.0))
    throw Error(ErrorKind::InvalidInput,
                "The reference dose is zero everywhere: there is nothing to compare against.",
                "reference");
  result.thresholdDose_Gy = criteria.lowDoseThreshold_percent / 100.0 * result.normalisationDose_Gy;

  std::ostringstream name;
  name << "Gamma " << criteria.doseDifference_percent << " % / " << criteria.distanceToAgreement_mm
       << " mm" << (criteria.local ? " local" : "");
  result.gamma.name = name.str();
  result.gamma.quantity = "gamma";
  result.gamma.unit = units::kDimensionless;
  result.gamma.geometry = reference.geometry;
  result.gamma.values.assign(reference.values.size(), std::numeric_limits<float>::quiet_NaN());

  const EvaluatedDoseSurface surface(evaluated, criteria.distanceToAgreement_mm, criteria.maxGamma,
                                     criteria.passFailOnly);
  const ImageGeometry& grid = reference.geometry;
  const double fraction = criteria.doseDifference_percent / 100.0;
  const double globalScale = 1.0 / (fraction * result.normalisationDose_Gy);
  const auto rowLength = static_cast<std::size_t>(grid.size[0]);
  const std::size_t rows = static_cast<std::size_t>(grid.size[1] * grid.size[2]);
  // One chunk is a few rows of the reference grid: small enough to poll for cancel often.
  parallel::parallelFor(
      {0, rows}, std::max<std::size_t>(1, 4096 / std::max<std::size_t>(1, rowLength)),
      [&](parallel::IndexRange chunk) {
        for (std::size_t row = chunk.begin; row < chunk.end; ++row) {
          const auto j = static_cast<std::int64_t>(row % static_cast<std::size_t>(grid.size[1]));
          const auto k = static_cast<std::int64_t>(row / static_cast<std::size_t>(grid.size[1]));
          for (std::int64_t i = 0; i < grid.size[0]; ++i) {
            const std::size_t index = grid.linearIndex(i, j, k);
            const double dose = reference.values[index];
            if (dose < result.thresholdDose_Gy || (criteria.local && !(dose > 0.0))) continue;
            const Vec3 ijk(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k));
            const Vec3 q = sameGrid ? ijk : evaluated.geometry.lpsToIndex(grid.indexToLps(ijk));
            const double scale = criteria.local ? 1.0 / (fraction * dose) : globalScale;
            result.gamma.values[index] =
                static_cast<float>(std::sqrt(surface.squaredGamma(q, dose, scale)));
          }
        }
      },
      progress, "Gamma index");
  summarise(result, criteria.maxGamma);
  return result;
}

}  // namespace twinplan::radiotherapy
