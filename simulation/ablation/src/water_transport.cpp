#include "water_transport.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

using parallel::IndexRange;

// A voxel below this saturation has lost water (float round-off of a full store is far below).
constexpr double kFull = 1.0 - 1e-6;

struct Bounds {
  std::array<std::int64_t, 3> lo{std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::max()};
  std::array<std::int64_t, 3> hi{-1, -1, -1};  // inclusive
  bool empty() const { return hi[0] < lo[0]; }
  void add(std::int64_t i, std::int64_t j, std::int64_t k) {
    const std::int64_t ijk[3] = {i, j, k};
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], ijk[a]);
      hi[a] = std::max(hi[a], ijk[a]);
    }
  }
  void merge(const Bounds& o) {
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], o.lo[a]);
      hi[a] = std::max(hi[a], o.hi[a]);
    }
  }
};

// The voxels that have lost water.
Bounds driedVoxels(const AblationGrid& grid, std::span<const double> full,
                   const std::vector<float>& left) {
  const ImageGeometry& g = grid.geometry;
  const auto nx = std::size_t(g.size[0]), nxy = nx * std::size_t(g.size[1]);
  return parallel::parallelReduce(
      IndexRange{0, std::size_t(g.size[2])}, 1, Bounds{},
      [&](IndexRange slices) {
        Bounds b;
        for (std::size_t k = slices.begin; k < slices.end; ++k)
          for (std::size_t v = k * nxy; v < (k + 1) * nxy; ++v) {
            const double w0 = full[grid.tissue[v]];
            if (w0 > 0.0 && double(left[v]) < kFull * w0)
              b.add(std::int64_t(v % nx), std::int64_t((v % nxy) / nx), std::int64_t(k));
          }
        return b;
      },
      [](Bounds a, const Bounds& b) {
        a.merge(b);
        return a;
      });
}

double harmonicMean(double a, double b) { return a + b > 0.0 ? 2.0 * a * b / (a + b) : 0.0; }

constexpr double kZeroCelsius_K = 273.15;

}  // namespace

double waterViscosity_Pa_s(double temperature_degC) {
  const double t_K = std::clamp(temperature_degC, 0.0, 100.0) + kZeroCelsius_K;
  return 2.414e-5 * std::pow(10.0, 247.8 / (t_K - 140.0));
}

double waterDiffusivityFactor(double temperature_degC) {
  const double body_K = kBodyTemperature_degC + kZeroCelsius_K;
  const double t_K = std::clamp(temperature_degC, 0.0, 100.0) + kZeroCelsius_K;
  return t_K / body_K * waterViscosity_Pa_s(kBodyTemperature_degC) /
         waterViscosity_Pa_s(temperature_degC);
}

double rehydrate(const AblationGrid& grid, std::span<const double> fullLatent_J_m3,
                 std::span<const HeldTemperature> held, std::span<const float> temperature_degC,
                 double step_s, std::vector<float>& latentLeft_J_m3) {
  const ImageGeometry& g = grid.geometry;
  double fastest_per_s = 0.0;  // the largest D / h^2 of a tissue with water, at 100 degC
  const double h_m = grid.voxelSize_m();
  for (std::size_t t = 0; t < grid.tissues.size(); ++t)
    if (fullLatent_J_m3[t] > 0.0)
      fastest_per_s = std::max(fastest_per_s, grid.tissues[t].waterDiffusivity_m2_s *
                                                  waterDiffusivityFactor(100.0) / (h_m * h_m));
  if (!(fastest_per_s > 0.0) || !(step_s > 0.0)) return 0.0;
  Bounds dried = driedVoxels(grid, fullLatent_J_m3, latentLeft_J_m3);
  if (dried.empty()) return 0.0;
  // Explicit sub-steps with 6 D dt / h^2 <= 1/2: each voxel's new water is a convex
  // combination of its own and its neighbours' saturations (times its full store).
  const int substeps = std::max(1, int(std::ceil(12.0 * fastest_per_s * step_s)));
  const double dt_s = step_s / substeps;
  // The box: the dried voxels grown by one voxel per sub-step (how far water can come from).
  std::array<std::int64_t, 3> lo{}, size{};
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::max<std::int64_t>(0, dried.lo[a] - substeps);
    size[a] = std::min<std::int64_t>(g.size[a] - 1, dried.hi[a] + substeps) - lo[a] + 1;
  }
  const auto bx = std::size_t(size[0]), bxy = bx * std::size_t(size[1]);
  const std::size_t boxVoxels = bxy * std::size_t(size[2]);
  auto gridIndex = [&](std::size_t n) {
    return g.linearIndex(lo[0] + std::int64_t(n % bx), lo[1] + std::int64_t((n % bxy) / bx),
                         lo[2] + std::int64_t(n / bxy));
  };
  // Per box voxel: its full store (0: takes no part) and diffusivity.
  std::vector<double> full(boxVoxels), diffusivity(boxVoxels);
  parallel::parallelFor(IndexRange{0, boxVoxels}, 1 << 14, [&](IndexRange r) {
    for (std::size_t n = r.begin; n < r.end; ++n) {
      const std::size_t v = gridIndex(n);
      const TissueIndex t = grid.tissue[v];
      full[n] = fullLatent_J_m3[t];
      diffusivity[n] =
          grid.tissues[t].waterDiffusivity_m2_s *
          (temperature_degC.empty() ? 1.0 : waterDiffusivityFactor(temperature_degC[v]));
    }
  });
  for (const HeldTemperature& h : held) {
    const std::int64_t i = std::int64_t(h.voxel % std::size_t(g.size[0]));
    const std::int64_t j =
        std::int64_t((h.voxel / std::size_t(g.size[0])) % std::size_t(g.size[1]));
    const std::int64_t k = std::int64_t(h.voxel / std::size_t(g.size[0] * g.size[1]));
    if (i < lo[0] || j < lo[1] || k < lo[2] || i >= lo[0] + size[0] || j >= lo[1] + size[1] ||
        k >= lo[2] + size[2])
      continue;
    full[std::size_t(i - lo[0]) + bx * std::size_t(j - lo[1]) + bxy * std::size_t(k - lo[2])] = 0.0;
  }
  std::vector<double> saturation(boxVoxels);
  const double perArea = dt_s / (h_m * h_m);
  double gained = 0.0;
  for (int sub = 0; sub < substeps; ++sub) {
    parallel::parallelFor(IndexRange{0, boxVoxels}, 1 << 14, [&](IndexRange r) {
      for (std::size_t n = r.begin; n < r.end; ++n)
        saturation[n] = full[n] > 0.0 ? double(latentLeft_J_m3[gridIndex(n)]) / full[n] : 0.0;
    });
    gained += parallel::parallelReduce(
        IndexRange{0, std::size_t(size[2])}, 1, 0.0,
        [&](IndexRange slices) {
          double sliceGain = 0.0;
          for (std::size_t k = slices.begin; k < slices.end; ++k)
            for (std::size_t n = k * bxy; n < (k + 1) * bxy; ++n) {
              if (full[n] <= 0.0) continue;
              const std::size_t i = n % bx, j = (n % bxy) / bx;
              double change = 0.0;
              auto face = [&](std::size_t q) {
                if (full[q] <= 0.0) return;
                change += harmonicMean(diffusivity[n], diffusivity[q]) *
                          std::min(full[n], full[q]) * (saturation[q] - saturation[n]);
              };
              if (i > 0) face(n - 1);
              if (i + 1 < bx) face(n + 1);
              if (j > 0) face(n - bx);
              if (j + 1 < std::size_t(size[1])) face(n + bx);
              if (k > 0) face(n - bxy);
              if (k + 1 < std::size_t(size[2])) face(n + bxy);
              if (change == 0.0) continue;
              change *= perArea;
              float& left = latentLeft_J_m3[gridIndex(n)];
              left = float(std::clamp(double(left) + change, 0.0, full[n]));
              sliceGain += std::max(0.0, change);
            }
          return sliceGain;
        },
        [](double a, double b) { return a + b; });
  }
  return gained;
}

}  // namespace twinplan::ablation::detail
