// Flood fills for the region-growing tools (region_growing.h).
#include "region_growing.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace twinplan::segmentation::detail {
namespace {

// Polls for cancel every this many voxels taken (~1 ms of work).
constexpr std::size_t kPollEvery = 1u << 16;

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

GrownRegion floodFill(std::span<const float> values, const std::array<std::int64_t, 3>& size,
                      std::span<const std::size_t> seeds, float low, float high,
                      Progress& progress) {
  const Range range{low, high};
  GrownRegion region;
  region.inside.assign(values.size(), 0);
  const auto ni = static_cast<std::size_t>(size[0]);
  const auto nij = ni * static_cast<std::size_t>(size[1]);
  std::vector<std::size_t> queue;
  auto take = [&](std::size_t v) {
    region.inside[v] = 1;
    queue.push_back(v);
  };
  for (std::size_t seed : seeds)
    if (!region.inside[seed] && range.holds(values[seed])) take(seed);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    if (head % kPollEvery == 0) progress.check();
    const std::size_t v = queue[head];
    const double value = values[v];
    region.sum += value;
    region.sumOfSquares += value * value;
    const std::size_t i = v % ni, j = (v / ni) % static_cast<std::size_t>(size[1]), k = v / nij;
    auto visit = [&](std::size_t w) {
      if (!region.inside[w] && range.holds(values[w])) take(w);
    };
    if (i > 0) visit(v - 1);
    if (i + 1 < ni) visit(v + 1);
    if (j > 0) visit(v - ni);
    if (j + 1 < static_cast<std::size_t>(size[1])) visit(v + ni);
    if (k > 0) visit(v - nij);
    if (k + 1 < static_cast<std::size_t>(size[2])) visit(v + nij);
  }
  region.count = queue.size();
  return region;
}

GrownRegion confidenceFlood(std::span<const float> values, const std::array<std::int64_t, 3>& size,
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
              values[linear(std::clamp(seed[0] + di, std::int64_t{0}, size[0] - 1),
                            std::clamp(seed[1] + dj, std::int64_t{0}, size[1] - 1),
                            std::clamp(seed[2] + dk, std::int64_t{0}, size[2] - 1))];
          neighbourhoodSum += value;
          neighbourhoodSumOfSquares += value * value;
        }
    const double neighbours = double((2 * r + 1) * (2 * r + 1) * (2 * r + 1));
    mean += neighbourhoodSum / neighbours;
    sumOfSquares += neighbourhoodSumOfSquares;
    const std::size_t v = linear(seed[0], seed[1], seed[2]);
    seedVoxels.push_back(v);
    lowestSeed = std::min(lowestSeed, double(values[v]));
    highestSeed = std::max(highestSeed, double(values[v]));
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
  region = floodFill(values, size, seedVoxels, range.low, range.high, progress);
  for (int loop = 0; loop < iterations; ++loop) {
    const double n = double(region.count);
    mean = region.sum / n;
    variance = (region.sumOfSquares - region.sum * region.sum / n) / (n - 1.0);
    // ITK stops when the variance is zero (itk::Math::AlmostEquals with 0: |x| <= 0.1 eps).
    if (std::abs(variance) <= 0.1 * std::numeric_limits<double>::epsilon()) break;
    range = confidenceRange(mean, variance, multiplier, lowestSeed, highestSeed);
    region = floodFill(values, size, seedVoxels, range.low, range.high, progress);
    progress.report(double(loop + 1) / double(iterations), "Confidence connected");
  }
  return region;
}

}  // namespace twinplan::segmentation::detail
