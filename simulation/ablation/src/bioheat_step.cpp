#include "bioheat_step.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

// The bounding box of a set of voxels, built up by include().
struct Bounds {
  std::array<std::int64_t, 3> lo{std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::max()};
  std::array<std::int64_t, 3> hi{-1, -1, -1};  // inclusive
  bool empty() const { return hi[0] < 0; }
  void include(std::int64_t i, std::int64_t j, std::int64_t k) {
    const std::int64_t ijk[3] = {i, j, k};
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], ijk[a]);
      hi[a] = std::max(hi[a], ijk[a]);
    }
  }
  static Bounds merge(Bounds a, const Bounds& b) {
    if (b.empty()) return a;
    a.include(b.lo[0], b.lo[1], b.lo[2]);
    a.include(b.hi[0], b.hi[1], b.hi[2]);
    return a;
  }
};

bool inside(const Box& box, std::int64_t i, std::int64_t j, std::int64_t k) {
  return i >= box.lo[0] && i < box.hi[0] && j >= box.lo[1] && j < box.hi[1] && k >= box.lo[2] &&
         k < box.hi[2];
}

// Voxels of plane k that are heated, or inside `previous` and away from arterial temperature.
Bounds planeBounds(const StepInputs& in, const Box& previous, double threshold_K, std::int64_t k) {
  const ImageGeometry& g = in.grid->geometry;
  const double arterial = in.parameters->arterialTemperature_degC;
  Bounds bounds;
  for (std::int64_t j = 0; j < g.size[1]; ++j)
    for (std::int64_t i = 0; i < g.size[0]; ++i) {
      const std::size_t v = g.linearIndex(i, j, k);
      const bool heated = (*in.power_W_m3)[v] != 0.0f;
      const bool warm =
          inside(previous, i, j, k) && std::abs((*in.temperature_degC)[v] - arterial) > threshold_K;
      if (heated || warm) bounds.include(i, j, k);
    }
  return bounds;
}

// The conductance (W/(m3 K)) between two face neighbours A and B of voxel size h_m, one of
// which may be flowing blood with wall coefficient h (W/(m2 K)) > 0: tissue to tissue through
// the harmonic mean of k (the series conductance of two half cells); tissue to blood through
// the tissue's half cell in series with the wall's convective film.
double faceConductance(double kA, double wallA, double kB, double wallB, double h_m) {
  if (wallA > 0.0 && wallB > 0.0) return 0.0;  // blood to blood: both held
  if (wallA > 0.0) return 1.0 / (h_m * (0.5 * h_m / kB + 1.0 / wallA));
  if (wallB > 0.0) return 1.0 / (h_m * (0.5 * h_m / kA + 1.0 / wallB));
  return 2.0 * kA * kB / ((kA + kB) * h_m * h_m);
}

constexpr std::int64_t kNeighbour[6][3] = {{1, 0, 0},  {0, 1, 0},  {0, 0, 1},
                                           {-1, 0, 0}, {0, -1, 0}, {0, 0, -1}};

// Fills row (j, k) of the box's system.
void buildRow(const StepInputs& in, const Box& box, const std::vector<float>& lagDeviation_K,
              std::int64_t j, std::int64_t k, StencilSystem& s, std::vector<float>& deviation) {
  const AblationGrid& grid = *in.grid;
  const ImageGeometry& g = grid.geometry;
  const BioheatParameters& p = *in.parameters;
  const double arterial = p.arterialTemperature_degC, h_m = grid.voxelSize_m();
  const bool hasVessels = !in.wallCoefficient_W_m2K->empty();
  auto wallAt = [&](std::size_t v) { return hasVessels ? (*in.wallCoefficient_W_m2K)[v] : 0.0f; };
  auto localIndex = [&](std::int64_t i, std::int64_t jj, std::int64_t kk) {
    return std::size_t(i + s.nx * (jj + s.ny * kk));
  };
  // k of a voxel at its lagged temperature (arterial temperature outside the box).
  auto conductivity = [&](std::int64_t I, std::int64_t J, std::int64_t K) {
    const std::size_t v = g.linearIndex(I, J, K);
    const double deviation_K =
        inside(box, I, J, K)
            ? lagDeviation_K[localIndex(I - box.lo[0], J - box.lo[1], K - box.lo[2])]
            : 0.0;
    return (*in.tissues)[grid.tissue[v]].conductivityAt(arterial + deviation_K);
  };
  std::vector<float>* faces[3] = {&s.faceX, &s.faceY, &s.faceZ};
  for (std::int64_t i = 0; i < s.nx; ++i) {
    const std::int64_t I = box.lo[0] + i, J = box.lo[1] + j, K = box.lo[2] + k;
    const std::size_t v = g.linearIndex(I, J, K), n = localIndex(i, j, k);
    const TissueCoefficients& t = (*in.tissues)[grid.tissue[v]];
    const double kV = conductivity(I, J, K), wallV = wallAt(v);
    double conductances = 0.0;
    for (int d = 0; d < 6; ++d) {
      const std::int64_t a = I + kNeighbour[d][0], b = J + kNeighbour[d][1],
                         c = K + kNeighbour[d][2];
      double conductance;
      if (a < 0 || b < 0 || c < 0 || a >= g.size[0] || b >= g.size[1] || c >= g.size[2]) {
        // A box face held at arterial temperature, half a voxel away.
        conductance = 2.0 * kV / (h_m * h_m);
      } else {
        conductance =
            faceConductance(kV, wallV, conductivity(a, b, c), wallAt(g.linearIndex(a, b, c)), h_m);
        const std::int64_t local[3] = {i, j, k}, extent[3] = {s.nx, s.ny, s.nz};
        if (d < 3 && local[d] + 1 < extent[d]) (*faces[d])[n] = static_cast<float>(conductance);
      }
      conductances += conductance;
    }
    const bool flowing = wallV > 0.0;
    const double perfusion =
        flowing ? 0.0
                : t.perfusionSink_W_m3K * perfusionFactor(p.perfusionShutdown, (*in.damage)[v]);
    const double storage = t.heatCapacityPerVolume_J_m3K / in.step_s;
    const double start_K = (*in.temperature_degC)[v] - arterial;
    s.diagonal[n] = static_cast<float>(storage + perfusion + conductances);
    s.rightHandSide[n] = static_cast<float>(storage * start_K + (*in.power_W_m3)[v]);
    s.isFree[n] = flowing ? 0.0f : 1.0f;
    deviation[n] = flowing ? 0.0f : static_cast<float>(start_K);
  }
}

}  // namespace

double TissueCoefficients::conductivityAt(double temperature_degC) const {
  // A linear fit must not turn k negative far outside its range: keep at least a tenth of k37.
  const double factor =
      1.0 + conductivityCoefficient_per_K * (temperature_degC - kBodyTemperature_degC);
  return conductivity_W_mK * std::max(0.1, factor);
}

Box activeBox(const StepInputs& in, const Box& previous, double threshold_K, std::int64_t margin) {
  const ImageGeometry& g = in.grid->geometry;
  Bounds bounds = parallel::parallelReduce(
      parallel::IndexRange{0, std::size_t(g.size[2])}, 1, Bounds{},
      [&](parallel::IndexRange planes) {
        Bounds b;
        for (std::size_t k = planes.begin; k < planes.end; ++k)
          b = Bounds::merge(b, planeBounds(in, previous, threshold_K, std::int64_t(k)));
        return b;
      },
      Bounds::merge);
  const double arterial = in.parameters->arterialTemperature_degC;
  for (const HeldTemperature& held : *in.held) {
    if (std::abs(held.temperature_degC - arterial) <= threshold_K) continue;
    const std::int64_t i = std::int64_t(held.voxel % g.size[0]);
    const std::int64_t j = std::int64_t((held.voxel / g.size[0]) % g.size[1]);
    const std::int64_t k = std::int64_t(held.voxel / (g.size[0] * g.size[1]));
    bounds.include(i, j, k);
  }
  Box box;
  if (bounds.empty()) return box;
  for (int a = 0; a < 3; ++a) {
    box.lo[a] = std::max<std::int64_t>(0, bounds.lo[a] - margin);
    box.hi[a] = std::min<std::int64_t>(g.size[a], bounds.hi[a] + 1 + margin);
  }
  return box;
}

std::vector<float> gatherDeviation(const StepInputs& in, const Box& box) {
  const ImageGeometry& g = in.grid->geometry;
  const double arterial = in.parameters->arterialTemperature_degC;
  std::vector<float> deviation(box.voxelCount());
  std::size_t n = 0;
  for (std::int64_t k = box.lo[2]; k < box.hi[2]; ++k)
    for (std::int64_t j = box.lo[1]; j < box.hi[1]; ++j)
      for (std::int64_t i = box.lo[0]; i < box.hi[0]; ++i)
        deviation[n++] =
            static_cast<float>((*in.temperature_degC)[g.linearIndex(i, j, k)] - arterial);
  return deviation;
}

void buildStepSystem(const StepInputs& in, const Box& box, const std::vector<float>& lagDeviation_K,
                     StencilSystem& system, std::vector<float>& deviation) {
  system.resize(box.extent(0), box.extent(1), box.extent(2));
  deviation.assign(box.voxelCount(), 0.0f);
  const std::size_t rows = std::size_t(system.ny * system.nz);
  const std::size_t grain = std::max<std::size_t>(1, 4096 / std::size_t(system.nx));
  parallel::parallelFor({0, rows}, grain, [&](parallel::IndexRange chunk) {
    for (std::size_t row = chunk.begin; row < chunk.end; ++row)
      buildRow(in, box, lagDeviation_K, std::int64_t(row) % system.ny,
               std::int64_t(row) / system.ny, system, deviation);
  });
  const ImageGeometry& g = in.grid->geometry;
  const double arterial = in.parameters->arterialTemperature_degC;
  for (const HeldTemperature& held : *in.held) {
    const std::int64_t i = std::int64_t(held.voxel % g.size[0]);
    const std::int64_t j = std::int64_t((held.voxel / g.size[0]) % g.size[1]);
    const std::int64_t k = std::int64_t(held.voxel / (g.size[0] * g.size[1]));
    if (!inside(box, i, j, k)) continue;  // held at arterial temperature: already so
    const std::size_t n =
        std::size_t((i - box.lo[0]) + system.nx * ((j - box.lo[1]) + system.ny * (k - box.lo[2])));
    system.isFree[n] = 0.0f;
    deviation[n] = static_cast<float>(held.temperature_degC - arterial);
  }
}

}  // namespace twinplan::ablation::detail
