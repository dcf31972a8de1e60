#include "twinplan/segmentation/segment_comparison.h"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation {

namespace {

double voxelVolume_mm3(const ImageGeometry& g) {
  return std::abs(g.direction.determinant()) * g.spacing_mm.prod();
}

template <class T>
void markEqual(std::span<const T> voxels, double label, std::vector<std::uint8_t>& inside) {
  for (std::size_t n = 0; n < voxels.size(); ++n) {
    const double v = static_cast<double>(voxels[n]);
    inside[n] = label == 0.0 ? v != 0.0 : v == label;
  }
}

// Boundary voxel centres of a mask, sorted into cubic cells so that the nearest one to any
// point is found by looking at cells in growing rings around it.
class NearestBoundaryPoint {
 public:
  NearestBoundaryPoint(std::vector<Vec3> points, double cell_mm)
      : points_(std::move(points)), cell_mm_(cell_mm) {
    low_ = Vec3::Constant(std::numeric_limits<double>::max());
    Vec3 high = Vec3::Constant(std::numeric_limits<double>::lowest());
    for (const Vec3& p : points_) {
      low_ = low_.cwiseMin(p);
      high = high.cwiseMax(p);
    }
    for (int a = 0; a < 3; ++a)
      cells_[a] = static_cast<std::int64_t>(std::floor((high[a] - low_[a]) / cell_mm_)) + 1;
    for (std::size_t n = 0; n < points_.size(); ++n) buckets_[key(cellOf(points_[n]))].push_back(n);
  }

  double distance(const Vec3& p) const {
    const std::array<std::int64_t, 3> centre = cellOf(p);
    // Rings beyond the grid's cells hold nothing: stop there at the latest.
    std::int64_t maxRing = 0;
    for (int a = 0; a < 3; ++a)
      maxRing = std::max({maxRing, std::abs(centre[a]), std::abs(cells_[a] - 1 - centre[a])});
    double best2 = std::numeric_limits<double>::max();
    for (std::int64_t ring = 0; ring <= maxRing; ++ring) {
      visitRing(centre, ring, p, best2);
      // Any point in a farther ring is at least ring * cell away (p lies in the centre cell).
      const double reach = double(ring) * cell_mm_;
      if (best2 <= reach * reach) break;
    }
    return std::sqrt(best2);
  }

 private:
  std::array<std::int64_t, 3> cellOf(const Vec3& p) const {
    std::array<std::int64_t, 3> c{};
    for (int a = 0; a < 3; ++a)
      c[a] = static_cast<std::int64_t>(std::floor((p[a] - low_[a]) / cell_mm_));
    return c;
  }
  std::int64_t key(const std::array<std::int64_t, 3>& c) const {
    return (c[2] * (cells_[1] + 2) + c[1]) * (cells_[0] + 2) + c[0];
  }
  bool onGrid(const std::array<std::int64_t, 3>& c) const {
    for (int a = 0; a < 3; ++a)
      if (c[a] < 0 || c[a] >= cells_[a]) return false;
    return true;
  }
  // The cells whose Chebyshev distance from `centre` is exactly `ring`.
  void visitRing(const std::array<std::int64_t, 3>& centre, std::int64_t ring, const Vec3& p,
                 double& best2) const {
    for (std::int64_t dz = -ring; dz <= ring; ++dz)
      for (std::int64_t dy = -ring; dy <= ring; ++dy) {
        const bool face = std::abs(dz) == ring || std::abs(dy) == ring;
        for (std::int64_t dx = -ring; dx <= ring;
             dx += face ? 1 : 2 * std::max<std::int64_t>(ring, 1)) {
          const std::array<std::int64_t, 3> c{centre[0] + dx, centre[1] + dy, centre[2] + dz};
          if (!onGrid(c)) continue;
          const auto bucket = buckets_.find(key(c));
          if (bucket == buckets_.end()) continue;
          for (std::size_t n : bucket->second)
            best2 = std::min(best2, (points_[n] - p).squaredNorm());
        }
      }
  }

  std::vector<Vec3> points_;
  double cell_mm_;
  Vec3 low_;
  std::array<std::int64_t, 3> cells_{};
  std::unordered_map<std::int64_t, std::vector<std::size_t>> buckets_;
};

// Distance from every point of `from` to the nearest point of `to`.
std::vector<double> directedDistances(const std::vector<Vec3>& from, std::vector<Vec3> to,
                                      double cell_mm, Progress& progress) {
  const NearestBoundaryPoint nearest(std::move(to), cell_mm);
  std::vector<double> distances(from.size());
  parallel::parallelFor(
      {0, from.size()}, 2048,
      [&](parallel::IndexRange chunk) {
        for (std::size_t n = chunk.begin; n < chunk.end; ++n)
          distances[n] = nearest.distance(from[n]);
      },
      progress, "Surface distances");
  return distances;
}

// Whether a mask holds a voxel at an LPS point (nearest voxel; false off its grid).
bool insideAt(const SegmentMask& mask, const Vec3& p_lps) {
  const Vec3 ijk = mask.geometry.lpsToIndex(p_lps);
  std::array<std::int64_t, 3> n{};
  for (int a = 0; a < 3; ++a) {
    n[a] = static_cast<std::int64_t>(std::llround(ijk[a]));
    if (n[a] < 0 || n[a] >= mask.geometry.size[a]) return false;
  }
  return mask.inside[mask.geometry.linearIndex(n[0], n[1], n[2])] != 0;
}

struct Overlap {
  std::size_t a = 0, b = 0, both = 0;
};

// Voxel counts on the grid of `reference`, `other` sampled at its voxel centres.
Overlap overlapOn(const SegmentMask& reference, const SegmentMask& other, bool referenceIsA) {
  const ImageGeometry& g = reference.geometry;
  const bool sameGrid = g.sameGridAs(other.geometry);
  return parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 1, Overlap{},
      [&](parallel::IndexRange slices) {
        Overlap o;
        for (auto k = static_cast<std::int64_t>(slices.begin);
             k < static_cast<std::int64_t>(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j)
            for (std::int64_t i = 0; i < g.size[0]; ++i) {
              const std::size_t n = g.linearIndex(i, j, k);
              const bool r = reference.inside[n] != 0;
              const bool s =
                  sameGrid ? other.inside[n] != 0
                           : insideAt(other, g.indexToLps(Vec3(double(i), double(j), double(k))));
              (referenceIsA ? o.a : o.b) += r;
              (referenceIsA ? o.b : o.a) += s;
              o.both += r && s;
            }
        return o;
      },
      [](Overlap x, Overlap y) {
        return Overlap{x.a + y.a, x.b + y.b, x.both + y.both};
      });
}

double percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double position = q * double(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - double(below)) * (values[above] - values[below]);
}

void requireMask(const SegmentMask& mask, const char* which) {
  if (mask.inside.size() != mask.geometry.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                std::string("Segment ") + which + " \"" + mask.name + "\" does not match its grid.",
                mask.name);
  if (mask.count() == 0)
    throw Error(ErrorKind::InvalidInput,
                std::string("Segment ") + which + " \"" + mask.name +
                    "\" is empty: there is no surface to compare.",
                mask.name);
}

}  // namespace

std::size_t SegmentMask::count() const {
  return static_cast<std::size_t>(
      std::count_if(inside.begin(), inside.end(), [](std::uint8_t v) { return v != 0; }));
}

double SegmentMask::volume_ml() const {
  return double(count()) * voxelVolume_mm3(geometry) / 1000.0;
}

SegmentMask maskOfSegment(const LabelMap& labels, std::size_t segment) {
  if (segment >= labels.segments().size())
    throw Error(ErrorKind::InvalidInput,
                "There is no segment number " + std::to_string(segment + 1) + ".", labels.name);
  const Segment& s = labels.segments()[segment];
  const std::vector<std::uint16_t>& layer = labels.layer(s.layer);
  SegmentMask mask{s.name, labels.geometry(), std::vector<std::uint8_t>(layer.size())};
  for (std::size_t n = 0; n < layer.size(); ++n) mask.inside[n] = layer[n] == s.value;
  return mask;
}

SegmentMask maskOfLabel(const ImageVolume& labels, double label, const std::string& name) {
  requirePatientVolume(labels, "comparing segmentations");
  SegmentMask mask{name.empty() ? labels.name : name, labels.geometry(),
                   std::vector<std::uint8_t>(labels.voxelCount())};
  visitGreyVoxels(labels, [&](auto voxels) { markEqual(voxels, label, mask.inside); });
  return mask;
}

std::vector<Vec3> boundaryPoints(const SegmentMask& mask) {
  const ImageGeometry& g = mask.geometry;
  auto in = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return i >= 0 && j >= 0 && k >= 0 && i < g.size[0] && j < g.size[1] && k < g.size[2] &&
           mask.inside[g.linearIndex(i, j, k)] != 0;
  };
  std::vector<Vec3> points;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if (in(i, j, k) && !(in(i - 1, j, k) && in(i + 1, j, k) && in(i, j - 1, k) &&
                             in(i, j + 1, k) && in(i, j, k - 1) && in(i, j, k + 1)))
          points.push_back(g.indexToLps(Vec3(double(i), double(j), double(k))));
  return points;
}

SegmentComparison compareSegments(const SegmentMask& a, const SegmentMask& b, Progress& progress) {
  requireMask(a, "A");
  requireMask(b, "B");
  SegmentComparison c;
  c.volumeA_ml = a.volume_ml();
  c.volumeB_ml = b.volume_ml();
  c.volumeDifference_ml = c.volumeB_ml - c.volumeA_ml;
  c.volumeDifference_percent = 100.0 * c.volumeDifference_ml / c.volumeA_ml;

  const bool aIsFiner = voxelVolume_mm3(a.geometry) <= voxelVolume_mm3(b.geometry);
  const Overlap o = aIsFiner ? overlapOn(a, b, true) : overlapOn(b, a, false);
  c.dice = 2.0 * double(o.both) / double(o.a + o.b);
  c.jaccard = double(o.both) / double(o.a + o.b - o.both);
  progress.report(0.2, "Surface distances");

  const std::vector<Vec3> surfaceA = boundaryPoints(a), surfaceB = boundaryPoints(b);
  // Cells of about two voxels keep a few points per cell on a surface.
  const double cell_mm =
      2.0 * std::max(a.geometry.spacing_mm.maxCoeff(), b.geometry.spacing_mm.maxCoeff());
  std::vector<double> distances = directedDistances(surfaceA, surfaceB, cell_mm, progress);
  const std::vector<double> back = directedDistances(surfaceB, surfaceA, cell_mm, progress);
  const double maxAB = *std::max_element(distances.begin(), distances.end());
  const double maxBA = *std::max_element(back.begin(), back.end());
  c.hausdorff_mm = std::max(maxAB, maxBA);
  distances.insert(distances.end(), back.begin(), back.end());
  double sum = 0.0;
  for (double d : distances) sum += d;
  c.meanSurfaceDistance_mm = sum / double(distances.size());
  c.hausdorff95_mm = percentile(std::move(distances), 0.95);
  progress.report(1.0, "Surface distances");
  return c;
}

nlohmann::json comparisonJson(const SegmentComparison& c) {
  return {{"dice", c.dice},
          {"jaccard", c.jaccard},
          {"hausdorff_mm", c.hausdorff_mm},
          {"hausdorff95_mm", c.hausdorff95_mm},
          {"mean_surface_distance_mm", c.meanSurfaceDistance_mm},
          {"volume_a_ml", c.volumeA_ml},
          {"volume_b_ml", c.volumeB_ml},
          {"volume_difference_ml", c.volumeDifference_ml},
          {"volume_difference_percent", c.volumeDifference_percent}};
}

}  // namespace twinplan::segmentation
