#include "twinplan/radiotherapy/conformal_aperture.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::radiotherapy {
namespace {

[[noreturn]] void invalid(const std::string& sentence, const std::string& context) {
  throw Error(ErrorKind::InvalidInput, sentence, context);
}

// The PTV as the rays see it: the trilinear indicator of the mask, and a sphere bounding it.
class PtvProjector {
 public:
  PtvProjector(const BeamGeometry& beam, const ImageGeometry& grid,
               std::span<const std::uint8_t> inside)
      : beam_(beam), grid_(grid), inside_(inside) {
    std::array<std::int64_t, 3> lo{grid.size[0], grid.size[1], grid.size[2]}, hi{-1, -1, -1};
    for (std::int64_t k = 0; k < grid.size[2]; ++k)
      for (std::int64_t j = 0; j < grid.size[1]; ++j)
        for (std::int64_t i = 0; i < grid.size[0]; ++i)
          if (inside[grid.linearIndex(i, j, k)]) {
            const std::array<std::int64_t, 3> ijk{i, j, k};
            for (int a = 0; a < 3; ++a)
              lo[a] = std::min(lo[a], ijk[a]), hi[a] = std::max(hi[a], ijk[a]);
          }
    if (hi[0] < 0) invalid("The PTV is empty; it has no voxel to conform the beam to.", "ptv");
    for (int a = 0; a < 3; ++a) boxLo_[a] = lo[a] - 1.0, boxHi_[a] = hi[a] + 1.0;
    for (int c = 0; c < 8; ++c) {
      const Vec3 ijk((c & 1) ? hi[0] + 1.0 : lo[0] - 1.0, (c & 2) ? hi[1] + 1.0 : lo[1] - 1.0,
                     (c & 4) ? hi[2] + 1.0 : lo[2] - 1.0);
      corners_[c] = grid.indexToLps(ijk);
    }
    centre_ = 0.5 * (corners_[0] + corners_[7]);
    radius_ = 0.5 * (corners_[7] - corners_[0]).norm();
    step_ = 0.25 * grid.spacing_mm.minCoeff();
    if ((centre_ - beam.source_lps).norm() <= radius_ + 1.0)
      invalid("The PTV reaches the beam's source; check the isocentre and the SAD.", "ptv");
  }

  const std::array<Vec3, 8>& corners() const { return corners_; }

  // Whether the ray through (x, y) of the isocentre plane passes through the PTV.
  bool hits(double x_mm, double y_mm) const {
    const Vec3 d =
        (beam_.pointOnRay(x_mm, y_mm, beam_.sourceAxisDistance_mm) - beam_.source_lps).normalized();
    // The part of the ray inside the PTV's voxel box (slabs in index space; the index map is
    // affine, so t stays the distance from the source in mm).
    const Vec3 s0 = grid_.lpsToIndex(beam_.source_lps);
    const Vec3 e = grid_.lpsToIndex(beam_.source_lps + d) - s0;
    double t0 = 0.0, t1 = std::numeric_limits<double>::max();
    for (int a = 0; a < 3; ++a) {
      if (std::abs(e[a]) < 1e-12) {
        if (s0[a] < boxLo_[a] || s0[a] > boxHi_[a]) return false;
        continue;
      }
      double ta = (boxLo_[a] - s0[a]) / e[a], tb = (boxHi_[a] - s0[a]) / e[a];
      if (ta > tb) std::swap(ta, tb);
      t0 = std::max(t0, ta), t1 = std::min(t1, tb);
    }
    for (double t = t0; t <= t1; t += step_)
      if (indicator(beam_.source_lps + t * d) >= 0.5) return true;
    return false;
  }

 private:
  double indicator(const Vec3& p_lps) const {
    const Vec3 f = grid_.lpsToIndex(p_lps);
    const std::array<double, 3> fl{std::floor(f.x()), std::floor(f.y()), std::floor(f.z())};
    double sum = 0.0;
    for (int c = 0; c < 8; ++c) {
      double w = 1.0;
      std::array<std::int64_t, 3> ijk{};
      for (int a = 0; a < 3; ++a) {
        const bool upper = (c >> a) & 1;
        ijk[a] = static_cast<std::int64_t>(fl[a]) + (upper ? 1 : 0);
        const double frac = f[a] - fl[a];
        w *= upper ? frac : 1.0 - frac;
      }
      if (w <= 0.0) continue;
      bool in = true;
      for (int a = 0; a < 3; ++a) in = in && ijk[a] >= 0 && ijk[a] < grid_.size[a];
      if (in && inside_[grid_.linearIndex(ijk[0], ijk[1], ijk[2])]) sum += w;
    }
    return sum;
  }

  const BeamGeometry& beam_;
  const ImageGeometry& grid_;
  std::span<const std::uint8_t> inside_;
  std::array<Vec3, 8> corners_;
  std::array<double, 3> boxLo_{}, boxHi_{};  // continuous index
  Vec3 centre_;
  double radius_ = 0.0, step_ = 1.0;
};

struct Extent {
  double low = 0.0, high = 0.0;
};

// The edge between a miss at `miss` and a hit at `hit` along a line, to 0.01 mm.
template <class Hit>
double bisect(double miss, double hit, const Hit& hits) {
  while (std::abs(hit - miss) > 0.01) {
    const double mid = 0.5 * (miss + hit);
    (hits(mid) ? hit : miss) = mid;
  }
  return 0.5 * (miss + hit);
}

class Projection {
 public:
  Projection(const PtvProjector& ptv, const BeamGeometry& beam, double raySpacing_mm)
      : ptv_(ptv), raySpacing_(raySpacing_mm) {
    for (const Vec3& c : ptv.corners()) {
      const Vec3 bev = beam.toBeamsEye(c);
      xLo_ = std::min(xLo_, bev.x()), xHi_ = std::max(xHi_, bev.x());
      yLo_ = std::min(yLo_, bev.y()), yHi_ = std::max(yHi_, bev.y());
    }
  }
  double yLo() const { return yLo_; }
  double yHi() const { return yHi_; }

  // The projection's x extent on the line y (none when the line misses it).
  std::optional<Extent> row(double y) const {
    if (y <= yLo_ || y >= yHi_) return std::nullopt;
    auto hitsAt = [&](double x) { return ptv_.hits(x, y); };
    const int n = static_cast<int>(std::ceil((xHi_ - xLo_) / raySpacing_));
    int first = -1, last = -1;
    for (int i = 1; i < n && first < 0; ++i)
      if (hitsAt(xLo_ + i * raySpacing_)) first = i;
    if (first < 0) return std::nullopt;
    for (int i = n - 1; i >= first && last < 0; --i)
      if (hitsAt(xLo_ + i * raySpacing_)) last = i;
    return Extent{bisect(xLo_ + (first - 1) * raySpacing_, xLo_ + first * raySpacing_, hitsAt),
                  bisect(xLo_ + (last + 1) * raySpacing_, xLo_ + last * raySpacing_, hitsAt)};
  }

  // The projection's y extent: the first and last lines that meet it, bisected.
  std::optional<Extent> yExtent(double rowSpacing) const {
    const int n = static_cast<int>(std::ceil((yHi_ - yLo_) / rowSpacing));
    auto meets = [&](double y) { return row(y).has_value(); };
    int first = -1, last = -1;
    for (int i = 1; i < n && first < 0; ++i)
      if (meets(yLo_ + i * rowSpacing)) first = i;
    if (first < 0) return std::nullopt;
    for (int i = n - 1; i >= first && last < 0; --i)
      if (meets(yLo_ + i * rowSpacing)) last = i;
    return Extent{bisect(yLo_ + (first - 1) * rowSpacing, yLo_ + first * rowSpacing, meets),
                  bisect(yLo_ + (last + 1) * rowSpacing, yLo_ + last * rowSpacing, meets)};
  }

 private:
  const PtvProjector& ptv_;
  double raySpacing_;
  double xLo_ = std::numeric_limits<double>::max(), xHi_ = -std::numeric_limits<double>::max();
  double yLo_ = std::numeric_limits<double>::max(), yHi_ = -std::numeric_limits<double>::max();
};

// The lines whose extents (dilated by the margin disc) decide the opening of the band
// [y0, y1]: its edges, lines `spacing` apart within it and within the margin beyond it.
std::vector<double> linesFor(double y0, double y1, double margin, double spacing) {
  std::vector<double> lines{y0, y1};
  for (double y = y0 - margin; y < y1 + margin; y += spacing) lines.push_back(y);
  if (margin > 0.0) lines.push_back(y1 + margin);
  return lines;
}

std::optional<Extent> bandOpening(const Projection& projection, double y0, double y1, double margin,
                                  double spacing) {
  std::optional<Extent> open;
  for (const double y : linesFor(y0, y1, margin, spacing)) {
    const std::optional<Extent> e = projection.row(y);
    if (!e) continue;
    const double dy = y < y0 ? y0 - y : (y > y1 ? y - y1 : 0.0);
    if (dy > margin) continue;
    const double grow = std::sqrt(std::max(0.0, margin * margin - dy * dy));
    const Extent grown{e->low - grow, e->high + grow};
    open = open ? Extent{std::min(open->low, grown.low), std::max(open->high, grown.high)} : grown;
  }
  return open;
}

}  // namespace

std::vector<double> millennium120LeafBoundaries() {
  std::vector<double> b;
  for (double y = -200.0; y < -100.0; y += 10.0) b.push_back(y);
  for (double y = -100.0; y < 100.0; y += 5.0) b.push_back(y);
  for (double y = 100.0; y <= 200.0; y += 10.0) b.push_back(y);
  return b;
}

std::vector<double> uniformLeafBoundaries(int pairs, double width_mm) {
  std::vector<double> b;
  for (int i = 0; i <= pairs; ++i) b.push_back((i - 0.5 * pairs) * width_mm);
  return b;
}

void ConformalApertureOptions::validate() const {
  if (!(margin_mm >= 0.0) || margin_mm > 100.0)
    invalid("The aperture margin must be between 0 and 100 mm.", "margin_mm");
  if (!(raySpacing_mm > 0.0) || raySpacing_mm > 5.0)
    invalid("The ray spacing must be in (0, 5] mm.", "raySpacing_mm");
  if (!(rowSpacing_mm > 0.0) || rowSpacing_mm > 5.0)
    invalid("The row spacing must be in (0, 5] mm.", "rowSpacing_mm");
  if (leafBoundaries_mm.size() < 2 ||
      std::adjacent_find(leafBoundaries_mm.begin(), leafBoundaries_mm.end(),
                         [](double a, double b) { return !(b > a); }) != leafBoundaries_mm.end())
    invalid("The MLC needs at least one leaf pair and increasing leaf boundaries.",
            "leafBoundaries_mm");
  if (machine) machine->validate();
}

ConformalAperture conformalAperture(const BeamGeometry& geometry, const ImageGeometry& grid,
                                    std::span<const std::uint8_t> inside,
                                    const ConformalApertureOptions& options, Progress& progress) {
  options.validate();
  if (inside.size() != grid.voxelCount())
    invalid("The PTV mask has " + std::to_string(inside.size()) + " voxels but its grid has " +
                std::to_string(grid.voxelCount()) + ".",
            "ptv");
  const PtvProjector ptv(geometry, grid, inside);
  const Projection projection(ptv, geometry, options.raySpacing_mm);
  const std::optional<Extent> yExtent = projection.yExtent(options.rowSpacing_mm);
  if (!yExtent) invalid("The PTV's projection in the beam's-eye view is empty.", "ptv");
  const double m = options.margin_mm;
  const std::vector<double>& b = options.leafBoundaries_mm;
  if (yExtent->low - m < b.front() || yExtent->high + m > b.back())
    invalid("The PTV's projection (" + std::to_string(yExtent->low - m) + " to " +
                std::to_string(yExtent->high + m) + " mm across the leaves, margin included) " +
                "is wider than the leaf bank (" + std::to_string(b.front()) + " to " +
                std::to_string(b.back()) + " mm); split the target or turn the collimator.",
            "ptv");
  const std::size_t pairs = b.size() - 1;
  std::vector<std::optional<Extent>> openings(pairs);
  parallel::parallelFor(
      {0, pairs}, 1,
      [&](parallel::IndexRange range) {
        for (std::size_t i = range.begin; i < range.end; ++i) {
          if (b[i + 1] < yExtent->low - m || b[i] > yExtent->high + m) continue;
          const double centre = 0.5 * (b[i] + b[i + 1]);
          openings[i] = options.fit == LeafFit::Outer
                            ? bandOpening(projection, b[i], b[i + 1], m, options.rowSpacing_mm)
                            : bandOpening(projection, centre, centre, m, options.rowSpacing_mm);
        }
      },
      progress, "Conforming the leaves");

  ConformalAperture result;
  Aperture& a = result.aperture;
  a.leavesAlongX = true;
  a.leafBoundaries_mm = b;
  double x1 = std::numeric_limits<double>::max(), x2 = -x1;
  for (const std::optional<Extent>& o : openings)
    if (o) x1 = std::min(x1, o->low), x2 = std::max(x2, o->high), ++result.openLeafPairs;
  if (result.openLeafPairs == 0)
    invalid("No leaf pair meets the PTV's projection; the leaves are wider than the target.",
            "ptv");
  a.x1_mm = x1, a.x2_mm = x2;
  a.y1_mm = yExtent->low - m, a.y2_mm = yExtent->high + m;
  for (const std::optional<Extent>& o : openings) {
    a.leafNegative_mm.push_back(o ? o->low : x1);
    a.leafPositive_mm.push_back(o ? o->high : x1);
  }
  // The projection's own box, without the margin.
  result.projectionY1_mm = yExtent->low, result.projectionY2_mm = yExtent->high;
  result.projectionX1_mm = std::numeric_limits<double>::max();
  result.projectionX2_mm = -result.projectionX1_mm;
  for (std::size_t i = 0; i < pairs; ++i) {
    if (!openings[i]) continue;
    const std::optional<Extent> e =
        bandOpening(projection, b[i], b[i + 1], 0.0, options.rowSpacing_mm);
    if (!e) continue;
    result.projectionX1_mm = std::min(result.projectionX1_mm, e->low);
    result.projectionX2_mm = std::max(result.projectionX2_mm, e->high);
  }
  if (options.machine) result.warnings = applyMachineLimits(a, *options.machine).warnings;
  return result;
}

}  // namespace twinplan::radiotherapy
