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

// Trilinear dose at a continuous index, clamped to the grid's outermost voxel centres.
class DoseSampler {
 public:
  explicit DoseSampler(const ScalarField& dose) : d_(dose) {}
  double at(double x, double y, double z) const {
    const auto& s = d_.geometry.size;
    auto split = [](double v, std::int64_t n, std::int64_t& i0, double& f) {
      v = std::clamp(v, 0.0, static_cast<double>(n - 1));
      i0 = std::min<std::int64_t>(static_cast<std::int64_t>(v), std::max<std::int64_t>(n - 2, 0));
      f = n > 1 ? v - static_cast<double>(i0) : 0.0;
    };
    std::int64_t i, j, k;
    double fx, fy, fz;
    split(x, s[0], i, fx);
    split(y, s[1], j, fy);
    split(z, s[2], k, fz);
    const std::int64_t di = s[0] > 1 ? 1 : 0, dj = s[1] > 1 ? s[0] : 0,
                       dk = s[2] > 1 ? s[0] * s[1] : 0;
    const float* v = d_.values.data() + d_.geometry.linearIndex(i, j, k);
    auto lerp = [](double a, double b, double f) { return a + (b - a) * f; };
    const double c00 = lerp(v[0], v[di], fx), c10 = lerp(v[dj], v[dj + di], fx);
    const double c01 = lerp(v[dk], v[dk + di], fx), c11 = lerp(v[dk + dj], v[dk + dj + di], fx);
    return lerp(lerp(c00, c10, fy), lerp(c01, c11, fy), fz);
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
  void deposit(double w, double a, double b) {
    add(0, w);
    add(1, -w);
    if (b - a < 1e-9) {
      if (a < 0) {
        add(0, -w);
        add(1, w);
        return;
      }
      const auto m = static_cast<std::size_t>(a);
      add(m + 1, -w);
      add(m + 2, w);
      return;
    }
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

struct Pass {
  const ScalarField& dose;
  int s;          // supersampling
  double bin_Gy;  // lattice step
  std::size_t bins;
  double voxel_cm3;

  // One sample: a box of extents (hx, hy, hz) in index units centred at (x, y, z).
  void sample(Accumulator& acc, const DoseSampler& d, double x, double y, double z, double hx,
              double hy, double hz) const {
    const double w = hx * hy * hz * voxel_cm3;
    const double centre = d.at(x, y, z);
    const double ex = d.at(x + 0.5 * hx, y, z) - d.at(x - 0.5 * hx, y, z);
    const double ey = d.at(x, y + 0.5 * hy, z) - d.at(x, y - 0.5 * hy, z);
    const double ez = d.at(x, y, z + 0.5 * hz) - d.at(x, y, z - 0.5 * hz);
    // A uniform spread with the variance of the sum of the three uniform spreads.
    const double width = std::sqrt(ex * ex + ey * ey + ez * ez);
    acc.deposit(w, (centre - 0.5 * width) / bin_Gy, (centre + 0.5 * width) / bin_Gy);
    acc.volume_cm3 += w;
    acc.doseVolume += w * centre;
    acc.dmin = std::min(acc.dmin, centre);
    acc.dmax = std::max(acc.dmax, centre);
  }

  Accumulator plane(const Plane& p) const {
    Accumulator acc(bins);
    const ImageGeometry& g = dose.geometry;
    const DoseSampler sampler(dose);
    double xMin = std::numeric_limits<double>::max(), xMax = -xMin, yMin = xMin, yMax = -xMin;
    for (const Polygon2& poly : p.polygons)
      for (const Point2& q : poly) {
        xMin = std::min(xMin, q.x), xMax = std::max(xMax, q.x);
        yMin = std::min(yMin, q.y), yMax = std::max(yMax, q.y);
      }
    // Voxel columns that the polygons' box touches; sub-point m of the row lies at
    // -0.5 + (m + 0.5) / s.
    const auto i0 = static_cast<std::int64_t>(std::floor(xMin + 0.5));
    const auto i1 = static_cast<std::int64_t>(std::floor(xMax + 0.5));
    const auto j0 = static_cast<std::int64_t>(std::floor(yMin + 0.5));
    const auto j1 = static_cast<std::int64_t>(std::floor(yMax + 0.5));
    const std::int64_t nx = (i1 - i0 + 1) * s, ny = (j1 - j0 + 1) * s;
    std::vector<std::uint8_t> inside(static_cast<std::size_t>(nx * ny), 0);
    std::vector<double> crossings;
    for (std::int64_t r = 0; r < ny; ++r) {
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
      // Even-odd: inside between crossings 0-1, 2-3 ...; a sub-point is in when its centre is.
      for (std::size_t c = 0; c + 1 < crossings.size(); c += 2) {
        auto column = [&](double x) {
          const double m = std::ceil((x - static_cast<double>(i0) + 0.5) * s - 0.5);
          return std::clamp<std::int64_t>(static_cast<std::int64_t>(m), 0, nx);
        };
        for (std::int64_t m = column(crossings[c]); m < column(crossings[c + 1]); ++m)
          inside[static_cast<std::size_t>(r * nx + m)] = 1;
      }
    }
    // The slab, clipped to the grid along k; what lies beyond has no dose.
    const double kLow = std::max(p.kLow, -0.5);
    const double kHigh = std::min(p.kHigh, static_cast<double>(g.size[2]) - 0.5);
    const double thick = std::max(0.0, kHigh - kLow);
    const double subArea = 1.0 / (static_cast<double>(s) * s);
    auto layers = [&](int perSlice) {
      const int n = std::max(1, static_cast<int>(std::ceil(thick * perSlice - 1e-9)));
      return std::pair<int, double>{n, thick / n};
    };
    const auto [nFull, tFull] = layers(1);
    const auto [nPart, tPart] = layers(s);
    for (std::int64_t jv = j0; jv <= j1; ++jv)
      for (std::int64_t iv = i0; iv <= i1; ++iv) {
        int count = 0;
        for (int b = 0; b < s; ++b)
          for (int a = 0; a < s; ++a)
            count += inside[static_cast<std::size_t>(((jv - j0) * s + b) * nx + (iv - i0) * s + a)];
        if (!count) continue;
        const double inPlane = count * subArea;
        const bool onGrid = iv >= 0 && jv >= 0 && iv < g.size[0] && jv < g.size[1];
        acc.outside_cm3 +=
            inPlane * voxel_cm3 * (onGrid ? (p.kHigh - p.kLow) - thick : (p.kHigh - p.kLow));
        if (!onGrid || thick <= 0) continue;
        const auto x = static_cast<double>(iv), y = static_cast<double>(jv);
        if (count == s * s) {
          for (int l = 0; l < nFull; ++l)
            sample(acc, sampler, x, y, kLow + (l + 0.5) * tFull, 1.0, 1.0, tFull);
          continue;
        }
        for (int b = 0; b < s; ++b)
          for (int a = 0; a < s; ++a) {
            if (!inside[static_cast<std::size_t>(((jv - j0) * s + b) * nx + (iv - i0) * s + a)])
              continue;
            const double xs = x - 0.5 + (a + 0.5) / s, ys = y - 0.5 + (b + 0.5) / s;
            for (int l = 0; l < nPart; ++l)
              sample(acc, sampler, xs, ys, kLow + (l + 0.5) * tPart, 1.0 / s, 1.0 / s, tPart);
          }
      }
    return acc;
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

Histogram runPass(const ScalarField& dose, const std::vector<Plane>& planes, int s, double bin_Gy,
                  std::size_t bins, Progress& progress) {
  const Vec3& sp = dose.geometry.spacing_mm;
  const Pass pass{dose, s, bin_Gy, bins, sp.x() * sp.y() * sp.z() / 1000.0};
  Accumulator acc = parallel::parallelReduce(
      parallel::IndexRange{0, planes.size()}, 1, Accumulator(bins),
      [&](parallel::IndexRange r) {
        Accumulator a(bins);
        for (std::size_t p = r.begin; p < r.end; ++p) a += pass.plane(planes[p]);
        return a;
      },
      [](Accumulator a, const Accumulator& b) { return std::move(a += b); }, progress,
      "Dose-volume histogram");
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

DoseVolumeHistogram computeDvh(const ScalarField& dose, const StructureContours& structure,
                               const DvhOptions& options, Progress& progress) {
  requireDose(dose, "The dose");
  options.validate();
  if (dose.values.size() != dose.geometry.voxelCount() || dose.values.empty())
    throw Error(ErrorKind::InvalidInput, "The dose has no values on its grid.", "dose");
  if (structure.polygons_lps.empty())
    throw Error(ErrorKind::InvalidInput,
                "Structure '" + structure.name + "' has no closed contours, so it has no volume.",
                structure.name);
  const std::vector<Plane> planes = contourPlanes(dose.geometry, structure);
  const float maxDose = *std::max_element(dose.values.begin(), dose.values.end());
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
  auto fine = subRange(progress, 0.0, twoLevels ? 0.8 : 1.0);
  Histogram h = runPass(dose, planes, options.supersampling, bin_Gy, bins, *fine);
  dvh.figures = h.figures;
  dvh.volumeOutsideDose_cm3 = h.outside_cm3;
  dvh.cumulative_cm3 = std::move(h.cumulative_cm3);
  dvh.differential_cm3.resize(dvh.cumulative_cm3.size() - 1);
  for (std::size_t n = 0; n + 1 < dvh.cumulative_cm3.size(); ++n)
    dvh.differential_cm3[n] = std::max(0.0, dvh.cumulative_cm3[n] - dvh.cumulative_cm3[n + 1]);
  if (twoLevels) {
    auto sub = subRange(progress, 0.8, 1.0);
    const DvhFigures c = runPass(dose, planes, coarse, bin_Gy, bins, *sub).figures;
    const DvhFigures& f = dvh.figures;
    dvh.uncertainty = {std::abs(f.volume_cm3 - c.volume_cm3), std::abs(f.dmin_Gy - c.dmin_Gy),
                       std::abs(f.dmean_Gy - c.dmean_Gy),     std::abs(f.dmax_Gy - c.dmax_Gy),
                       std::abs(f.d95_Gy - c.d95_Gy),         std::abs(f.d2_Gy - c.d2_Gy)};
  }
  progress.report(1.0, "Dose-volume histogram");
  return dvh;
}

std::vector<DoseVolumeHistogram> computeDvhs(const ScalarField& dose,
                                             const std::vector<StructureContours>& structures,
                                             const DvhOptions& options, Progress& progress) {
  std::vector<DoseVolumeHistogram> result;
  for (std::size_t n = 0; n < structures.size(); ++n) {
    auto sub = subRange(progress, static_cast<double>(n) / structures.size(),
                        static_cast<double>(n + 1) / structures.size());
    result.push_back(computeDvh(dose, structures[n], options, *sub));
  }
  return result;
}

}  // namespace twinplan::radiotherapy
