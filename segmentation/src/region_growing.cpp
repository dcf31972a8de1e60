// Flood fills for the region-growing tools (region_growing.h).
#include "region_growing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace twinplan::segmentation::detail {
namespace {

struct Range {
  float low, high;
  bool holds(float value) const { return low <= value && value <= high; }
};

// ITK's thresholds: mean -+ multiplier SD, widened to the seeds' values, clamped to float's
// range and rounded to float (BinaryThresholdImageFunction<float> compares in float).
Range confidenceRange(double mean, double variance, double multiplier, double lowestSeed,
                      double highestSeed) {
  double lower = mean - multiplier * std::sqrt(variance);
  double upper = mean + multiplier * std::sqrt(variance);
  if (lower > lowestSeed) lower = lowestSeed;
  if (upper < highestSeed) upper = highestSeed;
  const double floatMax = std::numeric_limits<float>::max();
  if (lower < -floatMax) lower = -floatMax;
  if (upper > floatMax) upper = floatMax;
  return {static_cast<float>(lower), static_cast<float>(upper)};
}

}  // namespace

namespace {

// A scan-line flood fill (Smith, "Tint fill", SIGGRAPH 1979; Heckbert, "A seed fill algorithm",
// Graphics Gems 1990, extended to 3D): each voxel taken grows into the whole run of voxels in
// range along its row (i), marked in one sequential pass, and each neighbouring row (j +- 1,
// k +- 1) under that run is searched for the runs that start there. The region is the same as
// a voxel-by-voxel queue's (face-connected voxels in range), at a fraction of the cost: one
// i, j, k decomposition per run instead of per voxel, and rows read in order. The buffer is
// kept between floods and only the previous region's runs are cleared.
template <class T>
class ScanlineFlood {
 public:
  ScanlineFlood(std::span<const T> values, const std::array<std::int64_t, 3>& size)
      : values_(values),
        ni_(static_cast<std::size_t>(size[0])),
        nj_(static_cast<std::size_t>(size[1])),
        nk_(static_cast<std::size_t>(size[2])),
        inside_(values.size(), 0) {}

  // Floods from `seeds` (linear indices) over the voxels in `range`; the previous flood's
  // region is forgotten first.
  void run(std::span<const std::size_t> seeds, Range range, Progress& progress) {
    for (const auto& [first, last] : runs_)
      std::fill(inside_.begin() + std::ptrdiff_t(first), inside_.begin() + std::ptrdiff_t(last),
                std::uint8_t{0});
    runs_.clear();
    count_ = 0;
    sum_ = sumOfSquares_ = 0.0;
    range_ = range;
    pending_.assign(seeds.begin(), seeds.end());
    std::reverse(pending_.begin(), pending_.end());  // the first seed first, as ITK
    while (!pending_.empty()) {
      const std::size_t v = pending_.back();
      pending_.pop_back();
      if (inside_[v] || !takes(v)) continue;
      if (runs_.size() % kPollEveryRuns == 0) progress.check();
      fillRun(v);
    }
  }

  std::size_t count() const { return count_; }
  double sum() const { return sum_; }
  double sumOfSquares() const { return sumOfSquares_; }
  std::vector<std::uint8_t> release() { return std::move(inside_); }

 private:
  // Polls for cancel every this many runs (a run is up to a row: ~1 ms for 4096).
  static constexpr std::size_t kPollEveryRuns = 4096;

  bool takes(std::size_t v) const { return !inside_[v] && range_.holds(float(values_[v])); }

  void fillRun(std::size_t v) {
    const std::size_t i = v % ni_, row = v - i;
    std::size_t first = i, last = i;
    while (first > 0 && takes(row + first - 1)) --first;
    while (last + 1 < ni_ && takes(row + last + 1)) ++last;
    for (std::size_t w = row + first; w <= row + last; ++w) {
      inside_[w] = 1;
      const double value = float(values_[w]);
      sum_ += value;
      sumOfSquares_ += value * value;
    }
    count_ += last - first + 1;
    runs_.push_back({row + first, row + last + 1});
    const std::size_t j = (v / ni_) % nj_, k = v / (ni_ * nj_), slice = ni_ * nj_;
    if (j > 0) seedRuns(row - ni_, first, last);
    if (j + 1 < nj_) seedRuns(row + ni_, first, last);
    if (k > 0) seedRuns(row - slice, first, last);
    if (k + 1 < nk_) seedRuns(row + slice, first, last);
  }

  // The first voxel of each run in range of `row` within [first, last] waits to be filled.
  void seedRuns(std::size_t row, std::size_t first, std::size_t last) {
    bool inRun = false;
    for (std::size_t x = first; x <= last; ++x) {
      const bool taken = takes(row + x);
      if (taken && !inRun) pending_.push_back(row + x);
      inRun = taken;
    }
  }

  std::span<const T> values_;
  std::size_t ni_, nj_, nk_;
  std::vector<std::uint8_t> inside_;
  std::vector<std::pair<std::size_t, std::size_t>> runs_;  // [first, end) of each run filled
  std::vector<std::size_t> pending_;
  Range range_{0.0f, 0.0f};
  std::size_t count_ = 0;
  double sum_ = 0.0, sumOfSquares_ = 0.0;
};

}  // namespace

GrownRegion floodFill(std::span<const float> values, const std::array<std::int64_t, 3>& size,
                      std::span<const std::size_t> seeds, float low, float high,
                      Progress& progress) {
  ScanlineFlood<float> flood(values, size);
  flood.run(seeds, {low, high}, progress);
  GrownRegion region;
  region.count = flood.count();
  region.sum = flood.sum();
  region.sumOfSquares = flood.sumOfSquares();
  region.inside = flood.release();
  return region;
}

template <class T>
GrownRegion confidenceFlood(std::span<const T> values, const std::array<std::int64_t, 3>& size,
                            std::span<const std::array<std::int64_t, 3>> seeds, double multiplier,
                            int iterations, int initialRadius_voxels, Progress& progress) {
  auto linear = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return static_cast<std::size_t>(i + size[0] * (j + size[1] * k));
  };
  std::vector<std::size_t> seedVoxels;
  double lowestSeed = std::numeric_limits<float>::max();
  double highestSeed = -std::numeric_limits<float>::max();  // ITK's NonpositiveMin
  // Initial statistics: the mean of the neighbourhood means and the pooled sum of squares
  // (ITK's formula, edge voxels repeated as its zero-flux Neumann boundary does).
  const std::int64_t r = initialRadius_voxels;
  double mean = 0.0, sumOfSquares = 0.0;
  for (const auto& seed : seeds) {
    double neighbourhoodSum = 0.0, neighbourhoodSumOfSquares = 0.0;
    for (std::int64_t dk = -r; dk <= r; ++dk)
      for (std::int64_t dj = -r; dj <= r; ++dj)
        for (std::int64_t di = -r; di <= r; ++di) {
          const double value =
              float(values[linear(std::clamp(seed[0] + di, std::int64_t{0}, size[0] - 1),
                                  std::clamp(seed[1] + dj, std::int64_t{0}, size[1] - 1),
                                  std::clamp(seed[2] + dk, std::int64_t{0}, size[2] - 1))]);
          neighbourhoodSum += value;
          neighbourhoodSumOfSquares += value * value;
        }
    const double neighbours = double((2 * r + 1) * (2 * r + 1) * (2 * r + 1));
    mean += neighbourhoodSum / neighbours;
    sumOfSquares += neighbourhoodSumOfSquares;
    const std::size_t v = linear(seed[0], seed[1], seed[2]);
    seedVoxels.push_back(v);
    lowestSeed = std::min(lowestSeed, double(float(values[v])));
    highestSeed = std::max(highestSeed, double(float(values[v])));
  }
  GrownRegion region;
  if (seeds.empty()) {
    region.inside.assign(values.size(), 0);
    return region;
  }
  const double total = double(seeds.size()) * double((2 * r + 1) * (2 * r + 1) * (2 * r + 1));
  mean /= double(seeds.size());
  double variance = (sumOfSquares - mean * mean * total) / (total - 1.0);
  Range range = confidenceRange(mean, variance, multiplier, lowestSeed, highestSeed);
  ScanlineFlood<T> flood(values, size);
  flood.run(seedVoxels, range, progress);
  for (int loop = 0; loop < iterations; ++loop) {
    const double n = double(flood.count());
    mean = flood.sum() / n;
    variance = (flood.sumOfSquares() - flood.sum() * flood.sum() / n) / (n - 1.0);
    // ITK stops when the variance is zero (itk::Math::AlmostEquals with 0: |x| <= 0.1 eps).
    if (std::abs(variance) <= 0.1 * std::numeric_limits<double>::epsilon()) break;
    const Range next = confidenceRange(mean, variance, multiplier, lowestSeed, highestSeed);
    // The same thresholds grow the same region: no need to flood again.
    if (next.low != range.low || next.high != range.high) flood.run(seedVoxels, next, progress);
    range = next;
    progress.report(double(loop + 1) / double(iterations), "Confidence connected");
  }
  region.count = flood.count();
  region.sum = flood.sum();
  region.sumOfSquares = flood.sumOfSquares();
  region.inside = flood.release();
  return region;
}

// The pixel types of ImageVolume's greyscale voxels (visitGreyVoxels).
#define TWINPLAN_CONFIDENCE_FLOOD(T)                                                              \
  template GrownRegion confidenceFlood<T>(std::span<const T>, const std::array<std::int64_t, 3>&, \
                                          std::span<const std::array<std::int64_t, 3>>, double,   \
                                          int, int, Progress&);
TWINPLAN_CONFIDENCE_FLOOD(std::uint8_t)
TWINPLAN_CONFIDENCE_FLOOD(std::int16_t)
TWINPLAN_CONFIDENCE_FLOOD(std::uint16_t)
TWINPLAN_CONFIDENCE_FLOOD(std::int32_t)
TWINPLAN_CONFIDENCE_FLOOD(float)
#undef TWINPLAN_CONFIDENCE_FLOOD

}  // namespace twinplan::segmentation::detail
