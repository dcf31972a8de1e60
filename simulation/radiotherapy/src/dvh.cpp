#include "twinplan/radiotherapy/dvh.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/radiotherapy/dose_grid.h"

namespace twinplan::radiotherapy {
namespace {

// Contour points may spread this much along the dose grid's k axis and still be one plane, and
// planes this close are one plane (in dose slices; as io/contour_raster.h).
constexpr double kPlaneTolerance_slices = 0.05;
// No patient structure is larger than this; a contour that is, is damaged or in other units.
constexpr double kLargestStructure_mm = 3000.0;

struct Point2 {
  double x, y;
};
using Polygon2 = std::vector<Point2>;

// One contour plane of a structure and the slab of the normal axis it stands for, in the dose
// grid's continuous index (k).
struct Plane {
  double k = 0, kLow = 0, kHigh = 0;
  std::vector<Polygon2> polygons;
};

std::vector<Plane> contourPlanes(const ImageGeometry& g, const StructureContours& structure) {
  struct Flat {
    double k;
    Polygon2 polygon;
  };
  std::vector<Flat> flats;
  for (std::size_t n = 0; n < structure.polygons_lps.size(); ++n) {
    const std::vector<Vec3>& points = structure.polygons_lps[n];
    const std::string label =
        "Structure '" + structure.name + "', contour " + std::to_string(n + 1);
    if (points.size() < 3)
      throw Error(ErrorKind::InvalidInput,
                  label + " has " + std::to_string(points.size()) +
                      " point(s); a closed contour needs at least 3.",
                  structure.name);
    Flat flat{0.0, {}};
    double kMin = std::numeric_limits<double>::max(), kMax = -kMin;
    for (const Vec3& p : points) {
      const Vec3 ijk = g.lpsToIndex(p);
      flat.polygon.push_back({ijk.x(), ijk.y()});
      flat.k += ijk.z() / static_cast<double>(points.size());
      kMin = std::min(kMin, ijk.z());
      kMax = std::max(kMax, ijk.z());
    }
    if (kMax - kMin > kPlaneTolerance_slices)
      throw Error(ErrorKind::Unsupported,
                  label + " is not parallel to the dose grid's slices (its points span " +
                      std::to_string((kMax - kMin) * g.spacing_mm.z()) +
                      " mm along the slice normal). Give a dose grid in the contours' plane.",
                  structure.name);
    for (const Vec3& p : points)
      if (!p.allFinite() || (p - points.front()).norm() > kLargestStructure_mm)
        throw Error(ErrorKind::InvalidInput,
                    label + " spans more than " + std::to_string(kLargestStructure_mm) +
                        " mm (or has a point that is not a number): not a patient structure.",
                    structure.name);
    flats.push_back(std::move(flat));
  }
  std::sort(flats.begin(), flats.end(), [](const Flat& a, const Flat& b) { return a.k < b.k; });
  std::vector<Plane> planes;
  for (Flat& f : flats) {
    if (planes.empty() || f.k - planes.back().k > kPlaneTolerance_slices) planes.push_back({f.k});
    planes.back().polygons.push_back(std::move(f.polygon));
  }
  // Slabs reach half-way to the neighbours; end caps half the spacing to the one neighbour; a
  // single plane is one dose slice thick.
  for (std::size_t p = 0; p < planes.size(); ++p) {
    const double below = p > 0 ? planes[p].k - planes[p - 1].k
                               : (planes.size() > 1 ? planes[1].k - planes[0].k : 1.0);
    const double above = p + 1 < planes.size() ? planes[p + 1].k - planes[p].k : below;
    planes[p].kLow = planes[p].k - 0.5 * below;
    planes[p].kHigh = planes[p].k + 0.5 * above;
  }
  return planes;
}

// Trilinear dose at a continuous index, clamped to the grid's outermost voxel centres, with its
// gradient (per index unit; 0 along an axis where the point is clamped).
class DoseSampler {
 public:
  explicit DoseSampler(const ScalarField& dose) : d_(dose) {}
  double at(double x, double y, double z, Vec3& gradient) const {
    const auto& s = d_.geometry.size;
    // Index of the lower corner, fraction within the cell, and whether the axis is clamped.
    auto split = [](double v, std::int64_t n, std::int64_t& i0, double& f) {
      const bool inside = v > 0.0 && v < static_cast<double>(n - 1);
      v = std::clamp(v, 0.0, static_cast<double>(n - 1));
      i0 = std::min<std::int64_t>(static_cast<std::int64_t>(v), std::max<std::int64_t>(n - 2, 0));
      f = n > 1 ? v - static_cast<double>(i0) : 0.0;
      return inside ? 1.0 : 0.0;
    };
    std::int64_t i, j, k;
    double fx, fy, fz;
    const double inX = split(x, s[0], i, fx), inY = split(y, s[1], j, fy),
                 inZ = split(z, s[2], k, fz);
    const std::int64_t di = s[0] > 1 ? 1 : 0, dj = s[1] > 1 ? s[0] : 0,
                       dk = s[2] > 1 ? s[0] * s[1] : 0;
    const float* v = d_.values.data() + d_.geometry.linearIndex(i, j, k);
    const double c000 = v[0], c100 = v[di], c010 = v[dj], c110 = v[dj + di];
    const double c001 = v[dk], c101 = v[dk + di], c011 = v[dk + dj], c111 = v[dk + dj + di];
    const double gx = fx, hx = 1 - fx, gy = fy, hy = 1 - fy, gz = fz, hz = 1 - fz;
    gradient.x() = inX * (hy * hz * (c100 - c000) + gy * hz * (c110 - c010) +
                          hy * gz * (c101 - c001) + gy * gz * (c111 - c011));
    gradient.y() = inY * (hx * hz * (c010 - c000) + gx * hz * (c110 - c100) +
                          hx * gz * (c011 - c001) + gx * gz * (c111 - c101));
    gradient.z() = inZ * (hx * hy * (c001 - c000) + gx * hy * (c101 - c100) +
                          hx * gy * (c011 - c010) + gx * gy * (c111 - c110));
    return hz * (hy * (hx * c000 + gx * c100) + gy * (hx * c010 + gx * c110)) +
           gz * (hy * (hx * c001 + gx * c101) + gy * (hx * c011 + gx * c111));
  }

 private:
  const ScalarField& d_;
};

// The cumulative histogram on the lattice of dose bins, built by second differences so that a
// volume spread uniformly over a dose range costs O(1): V(n) = sum_{m<=n} sum_{l<=m} diff2[l].
struct Accumulator {
  std::vector<double> diff2;
  double volume_cm3 = 0, doseVolume = 0, outside_cm3 = 0;
  double dmin = std::numeric_limits<double>::max(), dmax = std::numeric_limits<double>::lowest();

  explicit Accumulator(std::size_t bins = 0) : diff2(bins + 3, 0.0) {}
  void add(std::size_t n, double v) {
    if (n < diff2.size()) diff2[n] += v;
  }
  // Adds c * max(0, n - x) for every lattice point n >= 0.
  void addRamp(double c, double x) {
    if (x < 0) {
      add(0, -c * x);
      add(1, c * (1.0 + x));
      return;
    }
    if (x > static_cast<double>(diff2.size())) return;
    const auto m = static_cast<std::size_t>(x);
    const double f = x - static_cast<double>(m);
    add(m + 1, c * (1.0 - f));
    add(m + 2, c * f);
  }
  // `w` cm3 spread uniformly over doses [a, b] (in bins).
  // Adds c at every lattice point n <= q.
  void addUpTo(double c, double q) {
    if (q < 0) return;
    const auto m = static_cast<std::size_t>(q);
    add(0, c);
    add(1, -c);
    add(m + 1, -c);
    add(m + 2, c);
  }
  // `w` cm3 spread uniformly over doses [a, b] (in bins, a >= 0). A spread narrower than a bin
  // covers at most one lattice point inside it and is added as steps, so that no coefficient
  // exceeds w (a ramp of slope w / (b - a) would lose the small volumes to rounding).
  void deposit(double w, double a, double b) {
    if (b - a < 1.0) {
      addUpTo(w, a);
      const double m = std::floor(a) + 1.0;
      if (m < b) {
        const double v = w * (b - m) / (b - a);
        const auto n = static_cast<std::size_t>(m);
        add(n, v);
        add(n + 1, -2 * v);
        add(n + 2, v);
      }
      return;
    }
    add(0, w);
    add(1, -w);
    addRamp(-w / (b - a), a);
    addRamp(w / (b - a), b);
  }
  Accumulator& operator+=(const Accumulator& o) {
    for (std::size_t n = 0; n < diff2.size(); ++n) diff2[n] += o.diff2[n];
    volume_cm3 += o.volume_cm3;
    doseVolume += o.doseVolume;
    outside_cm3 += o.outside_cm3;
    dmin = std::min(dmin, o.dmin);
    dmax = std::max(dmax, o.dmax);
    return *this;
  }
};

// One sample's volume, dose at its centre and the width of the dose range it spans.
struct Sample {
  double w_cm3, centre_Gy, width_Gy;
};

// The samples of one supersampling level, or of two at once (the second gives the
// discretisation spread): whole voxels inside at both levels are sampled once for both.
struct Pass {
  const ScalarField& dose;
  int fine, coarse;  // sub-points per voxel edge; coarse 0 = one level only
  double bin_Gy;     // lattice step
  std::size_t bins;
  double voxel_cm3;
  double gridMin_Gy, gridMax_Gy;

  void record(Accumulator& acc, const Sample& s) const {
    // The histogram starts at 0 Gy: a spread reaching below it (near-zero doses) is counted
    // from 0, so that V(0) is the whole volume.
    // The spread stays within the grid's own dose range.
    const double low = std::max({0.0, gridMin_Gy, s.centre_Gy - 0.5 * s.width_Gy});
    const double high = std::max(0.0, std::min(gridMax_Gy, s.centre_Gy + 0.5 * s.width_Gy));
    acc.deposit(s.w_cm3, low / bin_Gy, high / bin_Gy);
    acc.volume_cm3 += s.w_cm3;
    acc.doseVolume += s.w_cm3 * s.centre_Gy;
    acc.dmin = std::min(acc.dmin, low);
    acc.dmax = std::max(acc.dmax, high);
  }

  // A box of extents (hx, hy, hz) in index units centred at (x, y, z); the spread is a uniform
  // one with the variance of the three uniform spreads along i, j and k (the dose's change
  // across the box along each axis, from the trilinear gradient at its centre).
  Sample box(const DoseSampler& d, double x, double y, double z, double hx, double hy,
             double hz) const {
    Vec3 gradient;
    const double centre = d.at(x, y, z, gradient);
    const Vec3 change = gradient.cwiseProduct(Vec3(hx, hy, hz));
    return {hx * hy * hz * voxel_cm3, centre, change.norm()};
  }

  // The dose along the voxel column (i, j) at continuous k (linear between slices).
  double column(std::int64_t i, std::int64_t j, double z) const {
    const auto& n = dose.geometry.size;
    z = std::clamp(z, 0.0, static_cast<double>(n[2] - 1));
    const auto k =
        std::min<std::int64_t>(static_cast<std::int64_t>(z), std::max<std::int64_t>(n[2] - 2, 0));
    const double f = n[2] > 1 ? z - static_cast<double>(k) : 0.0;
    const float* v = dose.values.data() + dose.geometry.linearIndex(i, j, k);
    return n[2] > 1 ? v[0] + (v[n[0] * n[1]] - v[0]) * f : v[0];
  }

  // A whole voxel (i, j) from z - hz/2 to z + hz/2: the same as box() with hx = hy = 1 (the
  // trilinear dose half a voxel away is the mean of two columns), without its 56 loads.
  Sample wholeVoxel(std::int64_t i, std::int64_t j, double z, double hz) const {
    const auto& n = dose.geometry.size;
    const double ex = 0.5 * (column(std::min(i + 1, n[0] - 1), j, z) -
                             column(std::max<std::int64_t>(i - 1, 0), j, z));
    const double ey = 0.5 * (column(i, std::min(j + 1, n[1] - 1), z) -
                             column(i, std::max<std::int64_t>(j - 1, 0), z));
    const double ez = column(i, j, z + 0.5 * hz) - column(i, j, z - 0.5 * hz);
    return {hz * voxel_cm3, column(i, j, z), std::sqrt(ex * ex + ey * ey + ez * ez)};
  }

  // Calls run(r, x0, x1) for every inside interval [x0, x1) (continuous i) of sub-row r, whose
  // centre lies at j = j0 - 0.5 + (r + 0.5) / s. Even-odd over all the plane's polygons;
  // half-open crossings.
  template <class Run>
  static void scan(const Plane& p, int s, std::int64_t j0, std::int64_t rows, Run&& run) {
    std::vector<double> crossings;
    for (std::int64_t r = 0; r < rows; ++r) {
      const double y = static_cast<double>(j0) - 0.5 + (static_cast<double>(r) + 0.5) / s;
      crossings.clear();
      for (const Polygon2& poly : p.polygons)
        for (std::size_t e = 0; e < poly.size(); ++e) {
          const Point2& a = poly[e];
          const Point2& b = poly[(e + 1) % poly.size()];
          if ((a.y > y) != (b.y > y))
            crossings.push_back(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
        }
      std::sort(crossings.begin(), crossings.end());
      for (std::size_t c = 0; c + 1 < crossings.size(); c += 2)
        run(r, crossings[c], crossings[c + 1]);
    }
  }

  // The first sub-point column (of s per voxel, counted from voxel i0) whose centre is >= x.
  static std::int64_t firstColumn(double x, int s, std::int64_t i0) {
    return static_cast<std::int64_t>(std::ceil((x - static_cast<double>(i0) + 0.5) * s - 0.5));
  }

  // Inside flags on s x s sub-points per voxel of the voxel box [i0, i0 + nx) x [j0, j0 + ny).
  static std::vector<std::uint8_t> rasterise(const Plane& p, int s, std::int64_t i0,
                                             std::int64_t j0, std::int64_t nx, std::int64_t ny) {
    const std::int64_t columns = nx * s;
    std::vector<std::uint8_t> inside(static_cast<std::size_t>(columns * ny * s), 0);
    scan(p, s, j0, ny * s, [&](std::int64_t r, double x0, double x1) {
      const std::int64_t from = std::clamp<std::int64_t>(firstColumn(x0, s, i0), 0, columns);
      const std::int64_t to = std::clamp<std::int64_t>(firstColumn(x1, s, i0), 0, columns);
      for (std::int64_t m = from; m < to; ++m)
        inside[static_cast<std::size_t>(r * columns + m)] = 1;
    });
    return inside;
  }

  // Voxel-centre cells of the plane in rows [j0, j1] (columns counted from i0) that lie off the
  // grid.
  std::int64_t offGridCells(const Plane& p, std::int64_t i0, std::int64_t j0,
                            std::int64_t j1) const {
    const auto& n = dose.geometry.size;
    std::int64_t cells = 0;
    scan(p, 1, j0, j1 - j0 + 1, [&](std::int64_t r, double x0, double x1) {
      const std::int64_t from = firstColumn(x0, 1, i0) + i0, to = firstColumn(x1, 1, i0) + i0;
      if (to <= from) return;
      const std::int64_t j = j0 + r;
      if (j < 0 || j >= n[1]) {
        cells += to - from;
        return;
      }
      cells += std::max<std::int64_t>(0, std::min(to, std::int64_t{0}) - from);
      cells += std::max<std::int64_t>(0, to - std::max(from, n[0]));
    });
    return cells;
  }

  struct Level {
    int s = 0;
    std::vector<std::uint8_t> inside;
    Accumulator acc;
    int count(std::int64_t iv, std::int64_t jv, std::int64_t nx) const {
      int c = 0;
      for (int b = 0; b < s; ++b)
        for (int a = 0; a < s; ++a)
          c += inside[static_cast<std::size_t>((jv * s + b) * nx * s + iv * s + a)];
      return c;
    }
  };

  // The plane's samples: one accumulator per level.
  std::vector<Accumulator> plane(const Plane& p) const {
    const ImageGeometry& g = dose.geometry;
    const DoseSampler sampler(dose);
    double xMin = std::numeric_limits<double>::max(), xMax = -xMin, yMin = xMin, yMax = -xMin;
    for (const Polygon2& poly : p.polygons)
      for (const Point2& q : poly) {
        xMin = std::min(xMin, q.x), xMax = std::max(xMax, q.x);
        yMin = std::min(yMin, q.y), yMax = std::max(yMax, q.y);
      }
    // The voxel columns the polygons' box touches, and those of them on the grid (only they are
    // sampled; the part off the grid is counted at voxel centres).
    const auto i0 = static_cast<std::int64_t>(std::floor(xMin + 0.5));
    const auto j0 = static_cast<std::int64_t>(std::floor(yMin + 0.5));
    const auto i1 = static_cast<std::int64_t>(std::floor(xMax + 0.5));
    const auto j1 = static_cast<std::int64_t>(std::floor(yMax + 0.5));
    const std::int64_t ci0 = std::max<std::int64_t>(i0, 0), ci1 = std::min(i1, g.size[0] - 1);
    const std::int64_t cj0 = std::max<std::int64_t>(j0, 0), cj1 = std::min(j1, g.size[1] - 1);
    const double slab = p.kHigh - p.kLow;
    double offGrid_cm3 = 0;
    if (ci0 != i0 || ci1 != i1 || cj0 != j0 || cj1 != j1)
      offGrid_cm3 = static_cast<double>(offGridCells(p, i0, j0, j1)) * voxel_cm3 * slab;
    std::vector<Level> levels;
    const std::int64_t nx = std::max<std::int64_t>(0, ci1 - ci0 + 1);
    const std::int64_t ny = std::max<std::int64_t>(0, cj1 - cj0 + 1);
    for (int s : {fine, coarse})
      if (s > 0) {
        levels.push_back({s, rasterise(p, s, ci0, cj0, nx, ny), Accumulator(bins)});
        levels.back().acc.outside_cm3 = offGrid_cm3;
      }
    // The slab, clipped to the grid along k (what lies beyond has no dose), in layers of at
    // most one slice: the structure is a prism within its slab, so layers only follow the dose.
    const double kLow = std::max(p.kLow, -0.5);
    const double kHigh = std::min(p.kHigh, static_cast<double>(g.size[2]) - 0.5);
    const double thick = std::max(0.0, kHigh - kLow);
    const int layers = std::max(1, static_cast<int>(std::ceil(thick - 1e-9)));
    const double t = thick / layers;
    std::vector<Sample> whole;
    for (std::int64_t jv = 0; jv < ny; ++jv)
      for (std::int64_t iv = 0; iv < nx; ++iv) {
        const std::int64_t i = ci0 + iv, j = cj0 + jv;
        whole.clear();
        for (Level& level : levels) {
          const int count = level.count(iv, jv, nx);
          if (!count) continue;
          const double inPlane = count / (static_cast<double>(level.s) * level.s);
          level.acc.outside_cm3 += inPlane * voxel_cm3 * (slab - thick);
          if (thick <= 0) continue;
          if (count == level.s * level.s) {
            if (whole.empty())
              for (int l = 0; l < layers; ++l)
                whole.push_back(wholeVoxel(i, j, kLow + (l + 0.5) * t, t));
            for (const Sample& sample : whole) record(level.acc, sample);
            continue;
          }
          const double h = 1.0 / level.s;
          for (int b = 0; b < level.s; ++b)
            for (int a = 0; a < level.s; ++a) {
              if (!level.inside[static_cast<std::size_t>((jv * level.s + b) * nx * level.s +
                                                         iv * level.s + a)])
                continue;
              const double x = static_cast<double>(i) - 0.5 + (a + 0.5) * h;
              const double y = static_cast<double>(j) - 0.5 + (b + 0.5) * h;
              for (int l = 0; l < layers; ++l)
                record(level.acc, box(sampler, x, y, kLow + (l + 0.5) * t, h, h, t));
            }
        }
      }
    std::vector<Accumulator> result;
    for (Level& level : levels) result.push_back(std::move(level.acc));
    return result;
  }
};

struct Histogram {
  DvhFigures figures;
  double outside_cm3 = 0;
  std::vector<double> cumulative_cm3;
};

double doseAtVolume(const std::vector<double>& cumulative, double bin_Gy, double target_cm3) {
  if (cumulative.empty() || cumulative[0] < target_cm3) return 0.0;
  for (std::size_t n = 1; n < cumulative.size(); ++n)
    if (cumulative[n] < target_cm3) {
      const double drop = cumulative[n - 1] - cumulative[n];
      const double f = drop > 0 ? (cumulative[n - 1] - target_cm3) / drop : 0.0;
      return bin_Gy * (static_cast<double>(n - 1) + f);
    }
  return bin_Gy * static_cast<double>(cumulative.size() - 1);
}

Histogram toHistogram(const Accumulator& acc, double bin_Gy, std::size_t bins) {
  Histogram h;
  h.outside_cm3 = acc.outside_cm3;
  h.cumulative_cm3.resize(bins + 1);
  double slope = 0, value = 0;
  for (std::size_t n = 0; n <= bins; ++n) {
    slope += acc.diff2[n];
    value += slope;
    h.cumulative_cm3[n] = std::max(0.0, value);
  }
  DvhFigures& f = h.figures;
  f.volume_cm3 = acc.volume_cm3;
  if (acc.volume_cm3 > 0) {
    f.dmean_Gy = acc.doseVolume / acc.volume_cm3;
    f.dmin_Gy = acc.dmin;
    f.dmax_Gy = acc.dmax;
    f.d95_Gy = doseAtVolume(h.cumulative_cm3, bin_Gy, 0.95 * acc.volume_cm3);
    f.d2_Gy = doseAtVolume(h.cumulative_cm3, bin_Gy, 0.02 * acc.volume_cm3);
  }
  return h;
}

// The histograms at `fine` and (when not 0) `coarse` supersampling, planes in parallel.
std::vector<Histogram> runPasses(const ScalarField& dose, const std::vector<Plane>& planes,
                                 int fine, int coarse, double bin_Gy, std::size_t bins,
                                 std::pair<float, float> range, Progress& progress) {
  const Vec3& sp = dose.geometry.spacing_mm;
  const Pass pass{dose,        fine,        coarse, bin_Gy, bins, sp.x() * sp.y() * sp.z() / 1000.0,
                  range.first, range.second};
  const std::size_t levels = coarse > 0 ? 2 : 1;
  using Accumulators = std::vector<Accumulator>;
  const Accumulators total = parallel::parallelReduce(
      parallel::IndexRange{0, planes.size()}, 1, Accumulators(levels, Accumulator(bins)),
      [&](parallel::IndexRange r) {
        Accumulators a(levels, Accumulator(bins));
        for (std::size_t p = r.begin; p < r.end; ++p) {
          const Accumulators plane = pass.plane(planes[p]);
          for (std::size_t l = 0; l < levels; ++l) a[l] += plane[l];
        }
        return a;
      },
      [&](Accumulators a, const Accumulators& b) {
        for (std::size_t l = 0; l < levels; ++l) a[l] += b[l];
        return a;
      },
      progress, "Dose-volume histogram");
  std::vector<Histogram> result;
  for (const Accumulator& acc : total) result.push_back(toHistogram(acc, bin_Gy, bins));
  return result;
}

}  // namespace

void DvhOptions::validate() const {
  if (supersampling < 1 || supersampling > 16)
    throw Error(ErrorKind::InvalidInput,
                "DVH supersampling must be 1..16 sub-points per dose voxel, not " +
                    std::to_string(supersampling) + ".",
                "supersampling");
  if (!(binWidth_Gy >= 0.0) || !std::isfinite(binWidth_Gy))
    throw Error(ErrorKind::InvalidInput, "The DVH bin width must be 0 (automatic) or positive.",
                "binWidth_Gy");
}

double DoseVolumeHistogram::doseToVolumePercent(double percent) const {
  return doseAtVolume(cumulative_cm3, binWidth_Gy, percent / 100.0 * figures.volume_cm3);
}

double DoseVolumeHistogram::volumeAtDose(double dose_Gy) const {
  if (cumulative_cm3.empty() || binWidth_Gy <= 0) return 0.0;
  const double x = std::max(0.0, dose_Gy / binWidth_Gy);
  const auto n = static_cast<std::size_t>(x);
  if (n + 1 >= cumulative_cm3.size()) return cumulative_cm3.back();
  const double f = x - static_cast<double>(n);
  return cumulative_cm3[n] * (1 - f) + cumulative_cm3[n + 1] * f;
}

namespace {

void requireUsableDose(const ScalarField& dose, const DvhOptions& options) {
  requireDose(dose, "The dose");
  options.validate();
  if (dose.values.size() != dose.geometry.voxelCount() || dose.values.empty())
    throw Error(ErrorKind::InvalidInput, "The dose has no values on its grid.", "dose");
}

// The grid's lowest and highest dose.
std::pair<float, float> doseRange(const ScalarField& dose) {
  const auto [lowest, highest] = std::minmax_element(dose.values.begin(), dose.values.end());
  return {*lowest, *highest};
}

DoseVolumeHistogram dvhOf(const ScalarField& dose, std::pair<float, float> range,
                          const StructureContours& structure, const DvhOptions& options,
                          Progress& progress) {
  if (structure.polygons_lps.empty())
    throw Error(ErrorKind::InvalidInput,
                "Structure '" + structure.name + "' has no closed contours, so it has no volume.",
                structure.name);
  const std::vector<Plane> planes = contourPlanes(dose.geometry, structure);
  const float maxDose = range.second;
  const double bin_Gy =
      options.binWidth_Gy > 0 ? options.binWidth_Gy : std::max(1e-6, maxDose / 4000.0);
  // The lattice reaches past the largest dose (spreads may extend a little beyond it).
  const auto bins =
      static_cast<std::size_t>(std::ceil(std::max(0.0f, maxDose) * 1.05 / bin_Gy)) + 2;

  DoseVolumeHistogram dvh;
  dvh.name = structure.name;
  dvh.supersampling = options.supersampling;
  dvh.binWidth_Gy = bin_Gy;
  const int coarse = std::max(1, options.supersampling / 2);
  const bool twoLevels = options.estimateUncertainty && coarse != options.supersampling;
  std::vector<Histogram> h = runPasses(dose, planes, options.supersampling, twoLevels ? coarse : 0,
                                       bin_Gy, bins, range, progress);
  dvh.figures = h[0].figures;
  dvh.volumeOutsideDose_cm3 = h[0].outside_cm3;
  dvh.cumulative_cm3 = std::move(h[0].cumulative_cm3);
  dvh.differential_cm3.resize(dvh.cumulative_cm3.size() - 1);
  for (std::size_t n = 0; n + 1 < dvh.cumulative_cm3.size(); ++n)
    dvh.differential_cm3[n] = std::max(0.0, dvh.cumulative_cm3[n] - dvh.cumulative_cm3[n + 1]);
  if (twoLevels) {
    const DvhFigures& c = h[1].figures;
    const DvhFigures& f = dvh.figures;
    dvh.uncertainty = {std::abs(f.volume_cm3 - c.volume_cm3), std::abs(f.dmin_Gy - c.dmin_Gy),
                       std::abs(f.dmean_Gy - c.dmean_Gy),     std::abs(f.dmax_Gy - c.dmax_Gy),
                       std::abs(f.d95_Gy - c.d95_Gy),         std::abs(f.d2_Gy - c.d2_Gy)};
  }
  progress.report(1.0, "Dose-volume histogram");
  return dvh;
}

}  // namespace

DoseVolumeHistogram computeDvh(const ScalarField& dose, const StructureContours& structure,
                               const DvhOptions& options, Progress& progress) {
  requireUsableDose(dose, options);
  return dvhOf(dose, doseRange(dose), structure, options, progress);
}

std::vector<DoseVolumeHistogram> computeDvhs(const ScalarField& dose,
                                             const std::vector<StructureContours>& structures,
                                             const DvhOptions& options, Progress& progress) {
  requireUsableDose(dose, options);
  const std::pair<float, float> range = doseRange(dose);
  std::vector<DoseVolumeHistogram> result;
  for (std::size_t n = 0; n < structures.size(); ++n) {
    auto sub = subRange(progress, static_cast<double>(n) / structures.size(),
                        static_cast<double>(n + 1) / structures.size());
    result.push_back(dvhOf(dose, range, structures[n], options, *sub));
  }
  return result;
}

}  // namespace twinplan::radiotherapy
