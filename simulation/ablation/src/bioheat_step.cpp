#include "bioheat_step.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {

void throwPowerNotANumber(std::size_t v) {
  throw Error(
      ErrorKind::Internal,
      "The heat source deposited a power that is not a number in voxel " + std::to_string(v) + ".",
      "HeatSource::depositedPower");
}

std::vector<BoxSide> boxSides(const ImageGeometry& g, const Box& box, std::size_t& faceCount) {
  std::vector<BoxSide> sides;
  faceCount = 0;
  for (int a = 0; a < 3; ++a)
    for (int side = 0; side < 2; ++side) {
      const std::int64_t outside = side == 0 ? box.lo[a] - 1 : box.hi[a];
      if (outside < 0 || outside >= g.size[a]) continue;
      const int b = (a + 1) % 3, c = (a + 2) % 3;
      sides.push_back(
          {a, b, c, side == 0 ? 0 : box.extent(a) - 1, outside, faceCount, side == 0 ? -1 : 1});
      faceCount += std::size_t(box.extent(b) * box.extent(c));
    }
  return sides;
}

namespace {

// body(f, n, v, beyond, local) for the faces of row u of a side: f the face's number among all
// the box's faces, between box voxel n (local; grid voxel v; `local` its i, j, k in the box) and
// the grid voxel `beyond`.
template <class Body>
void forEachFaceOfRow(const ImageGeometry& g, const Box& box, const BoxSide& side, std::int64_t u,
                      Body&& body) {
  const std::array<std::int64_t, 3> extent{box.extent(0), box.extent(1), box.extent(2)};
  for (std::int64_t w = 0; w < extent[side.c]; ++w) {
    std::array<std::int64_t, 3> local{}, global{};
    local[side.a] = side.layer;
    local[side.b] = u;
    local[side.c] = w;
    for (int d = 0; d < 3; ++d) global[d] = box.lo[d] + local[d];
    const std::size_t v = g.linearIndex(global[0], global[1], global[2]);
    global[side.a] = side.outside;
    body(side.firstFace + std::size_t(u * extent[side.c] + w),
         std::size_t(local[0] + extent[0] * (local[1] + extent[1] * local[2])), v,
         g.linearIndex(global[0], global[1], global[2]), local);
  }
}

// body(n, v, beyond) for every face between a box voxel (local n, grid voxel v) and the grid
// voxel `beyond` outside the box, in boxSides' order.
template <class Body>
void forEachBoxFace(const ImageGeometry& g, const Box& box, Body&& body) {
  std::size_t faceCount = 0;
  for (const BoxSide& side : boxSides(g, box, faceCount))
    for (std::int64_t u = 0; u < box.extent(side.b); ++u)
      forEachFaceOfRow(g, box, side, u,
                       [&](std::size_t, std::size_t n, std::size_t v, std::size_t beyond,
                           const std::array<std::int64_t, 3>&) { body(n, v, beyond); });
}

// Voxels of plane k that are heated, or inside `previous` and away from arterial temperature.
Bounds planeBounds(const StepInputs& in, const Box& previous, double threshold_K, std::int64_t k) {
  const ImageGeometry& g = in.grid->geometry;
  const double arterial = in.parameters->arterialTemperature_degC;
  // Power (W/m3) that warms tissue t by threshold_K in the step: below it a voxel is not heated
  // (skipNegligibleHeating); 0 keeps every voxel with any power.
  std::vector<float> negligible_W_m3;
  for (const TissueCoefficients& t : *in.tissues)
    negligible_W_m3.push_back(
        in.parameters->skipNegligibleHeating
            ? static_cast<float>(threshold_K * t.heatCapacityPerVolume_J_m3K / in.step_s)
            : 0.0f);
  Bounds bounds;
  for (std::int64_t j = 0; j < g.size[1]; ++j)
    for (std::int64_t i = 0; i < g.size[0]; ++i) {
      const std::size_t v = g.linearIndex(i, j, k);
      const float power = (*in.power_W_m3)[v];
      if (!std::isfinite(power)) throwPowerNotANumber(v);
      bounds.power_W_m3 += double(power);
      const bool heated = std::abs(power) > negligible_W_m3[in.grid->tissue[v]];
      const bool warm = contains(previous, i, j, k) &&
                        std::abs((*in.temperature_degC)[v] - arterial) > threshold_K;
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

// k at the lagged temperature inside the box, at arterial temperature in the halo (which the
// step does not solve), -1 (and no wall) beyond the grid: every entry written, row by row in
// parallel, so that the kept halo needs no clearing pass on the calling thread.
void fillHalo(const StepInputs& in, const Box& box, const std::vector<float>& lagDeviation_K,
              HaloProperties& halo) {
  const AblationGrid& grid = *in.grid;
  const ImageGeometry& g = grid.geometry;
  const double arterial = in.parameters->arterialTemperature_degC;
  const bool hasVessels = !in.wallCoefficient_W_m2K->empty();
  halo.sx = box.extent(0) + 2;
  halo.sy = box.extent(1) + 2;
  halo.sz = box.extent(2) + 2;
  const auto count = std::size_t(halo.sx * halo.sy * halo.sz);
  halo.conductivity_W_mK.resize(count);
  halo.wall_W_m2K.resize(hasVessels ? count : 0);
  const std::size_t rows = std::size_t(halo.sy * halo.sz);
  parallel::parallelFor(
      {0, rows}, std::max<std::size_t>(1, 4096 / std::size_t(halo.sx)),
      [&](parallel::IndexRange chunk) {
        for (std::size_t row = chunk.begin; row < chunk.end; ++row) {
          const std::int64_t j = std::int64_t(row) % halo.sy - 1,
                             k = std::int64_t(row) / halo.sy - 1;
          const std::int64_t J = box.lo[1] + j, K = box.lo[2] + k;
          const auto h0 = std::int64_t(halo.index(0, j, k));
          float* conductivity = halo.conductivity_W_mK.data() + (h0 - 1);
          float* wall = hasVessels ? halo.wall_W_m2K.data() + (h0 - 1) : nullptr;
          // Beyond the grid first (the whole row, or its ends), then the voxels inside it.
          auto beyondGrid = [&](std::int64_t from, std::int64_t to) {  // halo i = from .. to - 1
            std::fill(conductivity + (from + 1), conductivity + (to + 1), -1.0f);
            if (wall) std::fill(wall + (from + 1), wall + (to + 1), 0.0f);
          };
          if (J < 0 || K < 0 || J >= g.size[1] || K >= g.size[2]) {
            beyondGrid(-1, halo.sx - 1);
            continue;
          }
          const bool rowInBox = j >= 0 && k >= 0 && j < box.extent(1) && k < box.extent(2);
          // The row's halo voxels -1 .. extent inside the grid, addressed from i = 0.
          const std::int64_t first = std::max<std::int64_t>(-1, -box.lo[0]);
          const std::int64_t last =
              std::min<std::int64_t>(box.extent(0), g.size[0] - 1 - box.lo[0]);
          beyondGrid(-1, first);
          beyondGrid(last + 1, halo.sx - 1);
          const auto v0 = std::int64_t(g.linearIndex(box.lo[0], J, K));
          const float* lag =
              rowInBox ? lagDeviation_K.data() + box.extent(0) * (j + box.extent(1) * k) : nullptr;
          for (std::int64_t i = first; i <= last; ++i) {
            const auto v = std::size_t(v0 + i), h = std::size_t(h0 + i);
            const bool inBox = rowInBox && i >= 0 && i < box.extent(0);
            const double deviation = inBox ? lag[i] : 0.0;
            halo.conductivity_W_mK[h] = static_cast<float>(
                (*in.tissues)[grid.tissue[v]].conductivityAt(arterial + deviation));
            if (hasVessels) halo.wall_W_m2K[h] = (*in.wallCoefficient_W_m2K)[v];
          }
        }
      });
}

// The conductance (W/(m3 K)) of the face between halo voxel h and the one `offset` away.
float conductanceTo(const HaloProperties& halo, std::size_t h, std::int64_t offset, double h_m) {
  const auto nb = std::size_t(std::int64_t(h) + offset);
  const double kV = halo.conductivity_W_mK[h], kN = halo.conductivity_W_mK[nb];
  // Beyond the grid: a box face held at arterial temperature, half a voxel away.
  if (kN < 0.0) return static_cast<float>(2.0 * kV / (h_m * h_m));
  if (halo.wall_W_m2K.empty()) return static_cast<float>(faceConductance(kV, 0.0, kN, 0.0, h_m));
  return static_cast<float>(faceConductance(kV, halo.wall_W_m2K[h], kN, halo.wall_W_m2K[nb], h_m));
}

// The faces of `count` halo voxels from k[0] to those `offset` further, without vessels: as
// conductanceTo computes them (the same bits), in a loop the compiler vectorises.
[[gnu::always_inline]] inline void tissueFaces(const float* k, std::int64_t offset, double h_m,
                                               std::int64_t count, float* __restrict out) {
  const float* __restrict kV = k;
  const float* __restrict kN = k + offset;
  for (std::int64_t i = 0; i < count; ++i) {
    const double a = kV[i], b = kN[i];
    out[i] = static_cast<float>(2.0 * a * b / ((a + b) * h_m * h_m));
  }
  // Beyond the grid (k < 0: the grid's own faces) after the loop, so that the loop divides once
  // a face, not twice. Only the last x neighbour of a row can lie there, or the whole row of y
  // or z neighbours: the row's last neighbour tells.
  if (count == 0 || kN[count - 1] >= 0.0f) return;
  for (std::int64_t i = 0; i < count; ++i)
    if (kN[i] < 0.0f) out[i] = static_cast<float>(2.0 * double(kV[i]) / (h_m * h_m));
}

// The faces towards +x, +y and +z of row (j, k), the box's far faces included: the stencil never
// reads those (what lies beyond is held at zero deviation), but the diagonal needs them.
TWINPLAN_ABLATION_WIDE_LOOPS void buildRowFaces(const HaloProperties& halo, double h_m,
                                                std::int64_t j, std::int64_t k, StencilSystem& s) {
  const std::int64_t strideY = halo.sx, strideZ = halo.sx * halo.sy;
  if (halo.wall_W_m2K.empty()) {
    const float* kRow = halo.conductivity_W_mK.data() + halo.index(0, j, k);
    const std::size_t n = std::size_t(s.nx * (j + s.ny * k));
    tissueFaces(kRow, 1, h_m, s.nx, s.faceX.data() + n);
    tissueFaces(kRow, strideY, h_m, s.nx, s.faceY.data() + n);
    tissueFaces(kRow, strideZ, h_m, s.nx, s.faceZ.data() + n);
    return;
  }
  for (std::int64_t i = 0; i < s.nx; ++i) {
    const std::size_t n = std::size_t(i + s.nx * (j + s.ny * k)), h = halo.index(i, j, k);
    s.faceX[n] = conductanceTo(halo, h, 1, h_m);
    s.faceY[n] = conductanceTo(halo, h, strideY, h_m);
    s.faceZ[n] = conductanceTo(halo, h, strideZ, h_m);
  }
}

// The step's per-tissue terms, so that a row's voxels only look them up: storage rho c / dt
// (W/(m3 K)) and the perfusion sink w rho_b c_b (W/(m3 K)).
struct StepTissueTerms {
  std::vector<double> storage_W_m3K, perfusion_W_m3K;
};

StepTissueTerms stepTissueTerms(const StepInputs& in) {
  StepTissueTerms terms;
  for (const TissueCoefficients& t : *in.tissues) {
    terms.storage_W_m3K.push_back(t.heatCapacityPerVolume_J_m3K / in.step_s);
    terms.perfusion_W_m3K.push_back(t.perfusionSink_W_m3K);
  }
  return terms;
}

// The sum of the six faces' conductances of row (j, k) into `sum` (W/(m3 K), double): the three
// towards +x, +y, +z and those towards -x, -y, -z, which are the neighbours' + faces inside the
// box and computed here on its near faces. The order of the terms is fixed (x+, y+, z+, x-, y-,
// z-), so the sums are the same bits however the rows are split.
[[gnu::always_inline]] inline void rowConductances(const HaloProperties& halo, double h_m,
                                                   std::int64_t j, std::int64_t k,
                                                   const StencilSystem& s,
                                                   std::vector<double>& sum) {
  const std::int64_t plane = s.nx * s.ny, strideY = halo.sx, strideZ = halo.sx * halo.sy;
  const std::size_t base = std::size_t(s.nx * (j + s.ny * k));
  const float* fx = s.faceX.data() + base;
  const float* fy = s.faceY.data() + base;
  const float* fz = s.faceZ.data() + base;
  sum.resize(std::size_t(s.nx));
  if (j > 0 && k > 0) {
    // Inside the box's near faces: every - face is a neighbour's + face; a plain loop.
    const float* fyBack = fy - s.nx;
    const float* fzBack = fz - plane;
    sum[0] = double(fx[0]) + fy[0] + fz[0] + conductanceTo(halo, halo.index(0, j, k), -1, h_m) +
             fyBack[0] + fzBack[0];
    for (std::int64_t i = 1; i < s.nx; ++i)
      sum[std::size_t(i)] = double(fx[i]) + fy[i] + fz[i] + fx[i - 1] + fyBack[i] + fzBack[i];
    return;
  }
  for (std::int64_t i = 0; i < s.nx; ++i) {
    const std::size_t n = base + std::size_t(i), h = halo.index(i, j, k);
    sum[std::size_t(i)] =
        double(s.faceX[n]) + s.faceY[n] + s.faceZ[n] +
        (i > 0 ? s.faceX[n - 1] : conductanceTo(halo, h, -1, h_m)) +
        (j > 0 ? s.faceY[n - std::size_t(s.nx)] : conductanceTo(halo, h, -strideY, h_m)) +
        (k > 0 ? s.faceZ[n - std::size_t(plane)] : conductanceTo(halo, h, -strideZ, h_m));
  }
}

// A row's scratch (one per chunk of rows): the six faces' conductance sums, and storage and
// perfusion looked up by tissue (W/(m3 K)); for a system built by colour, the row's diagonal,
// inverse diagonal and right-hand side in natural order, split into the colours from there.
struct RowScratch {
  std::vector<double> conductances, storage, perfusion;
  std::vector<float> diagonal, inverseDiagonal, rightHandSide;
};

// The row's storage and perfusion (0 in flowing blood) by tissue: the lookups the vector loop of
// buildRow cannot do. wall: the row's vessel wall coefficients (> 0 in flowing blood), null
// without vessels.
void gatherTissueTerms(const StepInputs& in, const StepTissueTerms& terms,
                       const TissueIndex* tissue, const float* damage, const float* wall,
                       std::int64_t nx, RowScratch& scratch) {
  const PerfusionShutdown rule = in.parameters->perfusionShutdown;
  scratch.storage.resize(std::size_t(nx));
  scratch.perfusion.resize(std::size_t(nx));
  double* __restrict storage = scratch.storage.data();
  double* __restrict perfusion = scratch.perfusion.data();
  const double* storageOf = terms.storage_W_m3K.data();
  const double* perfusionOf = terms.perfusion_W_m3K.data();
  for (std::int64_t i = 0; i < nx; ++i) {
    storage[i] = storageOf[tissue[i]];
    perfusion[i] = perfusionOf[tissue[i]] * perfusionFactorOf(rule, damage[i]);
  }
  if (wall == nullptr) return;
  for (std::int64_t i = 0; i < nx; ++i)
    if (wall[i] > 0.0f) perfusion[i] = 0.0;
}

// What a row's diagonal, right-hand side and warm start are formed from, per voxel of the row.
struct RowTerms {
  const double *storage, *perfusion, *conductances;  // W/(m3 K)
  const float *temperature_degC, *power_W_m3, *previousChange_K;
};

// diagonal = storage + perfusion + conductances, its inverse, right-hand side = storage x start
// deviation + power, warm start = start + extrapolation x previous change: one vectorised loop.
[[gnu::always_inline]] inline void rowDiagonal(const RowTerms& t, double arterial,
                                               double extrapolation, std::int64_t count,
                                               float* __restrict diagonal,
                                               float* __restrict inverseDiagonal,
                                               float* __restrict rightHandSide,
                                               float* __restrict warm) {
  const double* __restrict storage = t.storage;
  const double* __restrict perfusion = t.perfusion;
  const double* __restrict conductances = t.conductances;
  const float* __restrict temperature = t.temperature_degC;
  const float* __restrict power = t.power_W_m3;
  const float* __restrict previousChange = t.previousChange_K;
  for (std::int64_t i = 0; i < count; ++i) {
    const double start_K = temperature[i] - arterial;
    diagonal[i] = static_cast<float>(storage[i] + perfusion[i] + conductances[i]);
    inverseDiagonal[i] = 1.0f / diagonal[i];
    rightHandSide[i] = static_cast<float>(storage[i] * start_K + power[i]);
    warm[i] = static_cast<float>(start_K + extrapolation * previousChange[i]);
  }
}

// The far field's pull (Dirichlet, StepInputs::beyondBox_K) on the voxels of row (j, k) that lie
// on the box's sides inside the grid (`sides`, boxSides' order): conductance x deviation beyond
// for each of a voxel's faces there, added to its right-hand side one face at a time in the
// sides' order: the operations, conductances (conductanceTo's, as the face list's) and order of
// a pass over the face list, so the same bits, while the row is in the cache.
void pullRow(const StepInputs& in, const Box& box, const HaloProperties& halo,
             const std::vector<BoxSide>& sides, double h_m, std::int64_t j, std::int64_t k,
             float* rightHandSide) {
  const ImageGeometry& g = in.grid->geometry;
  const std::vector<float>& beyond_K = *in.beyondBox_K;
  const std::array<std::int64_t, 3> haloStride{1, halo.sx, halo.sx * halo.sy};
  const std::array<std::int64_t, 3> gridStride{1, g.size[0], g.size[0] * g.size[1]};
  auto pullVoxel = [&](std::int64_t i) {
    const std::array<std::int64_t, 3> local{i, j, k};
    const auto v = std::int64_t(g.linearIndex(box.lo[0] + i, box.lo[1] + j, box.lo[2] + k));
    const std::size_t h = halo.index(i, j, k);
    for (const BoxSide& side : sides) {
      if (local[side.a] != side.layer) continue;
      const float conductance = conductanceTo(halo, h, side.towards * haloStride[side.a], h_m);
      rightHandSide[i] +=
          conductance * beyond_K[std::size_t(v + side.towards * gridStride[side.a])];
    }
  };
  // A row on a y or z side has every voxel there; any other only its two ends (the x sides).
  const bool wholeRow = std::any_of(sides.begin(), sides.end(), [&](const BoxSide& side) {
    return side.a != 0 && (side.a == 1 ? j : k) == side.layer;
  });
  const std::int64_t nx = box.extent(0);
  if (wholeRow) {
    for (std::int64_t i = 0; i < nx; ++i) pullVoxel(i);
    return;
  }
  pullVoxel(0);
  if (nx > 1) pullVoxel(nx - 1);
}

// The diagonal, right-hand side, Dirichlet mask and warm start of row (j, k): storage,
// perfusion and the six faces' conductances (rowConductances); flowing blood held at arterial
// temperature. The tissues' terms gathered first, then one loop the compiler vectorises. By
// colour (StencilSystem::byColour), the row is formed in `scratch` and split into the colours
// with its faces while it is in the cache: the same values in other places.
TWINPLAN_ABLATION_WIDE_LOOPS void buildRow(const StepInputs& in, const Box& box,
                                           const HaloProperties& halo, const StepTissueTerms& terms,
                                           std::int64_t j, std::int64_t k, StencilSystem& s,
                                           RowScratch& scratch, std::vector<float>& deviation,
                                           const std::vector<BoxSide>* farFieldSides) {
  const AblationGrid& grid = *in.grid;
  const double arterial = in.parameters->arterialTemperature_degC, h_m = grid.voxelSize_m();
  rowConductances(halo, h_m, j, k, s, scratch.conductances);
  const std::size_t firstVoxel = grid.geometry.linearIndex(box.lo[0], box.lo[1] + j, box.lo[2] + k);
  const std::size_t n0 = std::size_t(s.nx * (j + s.ny * k));
  // The row's vessel walls, read by both loops that hold flowing blood (buildRowFaces reads
  // its conductivities the same way).
  const float* wall =
      halo.wall_W_m2K.empty() ? nullptr : halo.wall_W_m2K.data() + halo.index(0, j, k);
  gatherTissueTerms(in, terms, grid.tissue.data() + firstVoxel, in.damage->data() + firstVoxel,
                    wall, s.nx, scratch);
  float *diagonal = nullptr, *inverseDiagonal = nullptr, *rightHandSide = nullptr;
  if (s.byColour) {
    for (std::vector<float>* v :
         {&scratch.diagonal, &scratch.inverseDiagonal, &scratch.rightHandSide})
      v->resize(std::size_t(s.nx));
    diagonal = scratch.diagonal.data();
    inverseDiagonal = scratch.inverseDiagonal.data();
    rightHandSide = scratch.rightHandSide.data();
  } else {
    diagonal = s.diagonal.data() + n0;
    inverseDiagonal = s.inverseDiagonal.data() + n0;
    rightHandSide = s.rightHandSide.data() + n0;
  }
  float* warm = deviation.data() + n0;
  rowDiagonal(
      RowTerms{scratch.storage.data(), scratch.perfusion.data(), scratch.conductances.data(),
               in.temperature_degC->data() + firstVoxel, in.power_W_m3->data() + firstVoxel,
               in.previousChange_K->data() + firstVoxel},
      arterial, in.extrapolation, s.nx, diagonal, inverseDiagonal, rightHandSide, warm);
  if (farFieldSides != nullptr) pullRow(in, box, halo, *farFieldSides, h_m, j, k, rightHandSide);
  if (wall != nullptr)
    for (std::int64_t i = 0; i < s.nx; ++i)
      if (wall[i] > 0.0f) inverseDiagonal[i] = warm[i] = 0.0f;
  if (!s.byColour) return;
  packSystemRow(s.packing(), j + s.ny * k,
                {diagonal, inverseDiagonal, rightHandSide, s.faceX.data() + n0, s.faceY.data() + n0,
                 s.faceZ.data() + n0},
                s.red, s.black);
}

}  // namespace

Box activeBox(const StepInputs& in, const Box& previous, double threshold_K, std::int64_t margin,
              double& totalPower_W) {
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
  const double h_m = in.grid->voxelSize_m();
  totalPower_W = bounds.power_W_m3 * h_m * h_m * h_m;
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

Box grownBox(const Box& box, const ImageGeometry& g, std::int64_t voxels) {
  Box grown;
  for (int a = 0; a < 3; ++a) {
    grown.lo[a] = std::max<std::int64_t>(0, box.lo[a] - voxels);
    grown.hi[a] = std::min<std::int64_t>(g.size[a], box.hi[a] + voxels);
  }
  return grown;
}

double boxFaceHeatFlow_W(const StepInputs& in, const Box& box,
                         const std::vector<float>& deviation) {
  const AblationGrid& grid = *in.grid;
  const ImageGeometry& g = grid.geometry;
  const double arterial = in.parameters->arterialTemperature_degC, h_m = grid.voxelSize_m();
  // Each box voxel next to the grid voxel beyond it at arterial temperature: the series
  // conductance of the two half cells, times the area h^2.
  double flow_W = 0.0;
  forEachBoxFace(g, box, [&](std::size_t n, std::size_t v, std::size_t beyond) {
    const double kV = (*in.tissues)[grid.tissue[v]].conductivityAt(arterial + deviation[n]);
    const double kN = (*in.tissues)[grid.tissue[beyond]].conductivity_W_mK;
    flow_W += std::abs(2.0 * kV * kN / (kV + kN) * h_m * double(deviation[n]));
  });
  return flow_W;
}

namespace {

// Every face of the box that lies inside the grid, in boxSides' order, into `faces` (the far
// field's pull through them is buildRow's, pullRow): the rows of faces in parallel, each face at
// its fixed place, its conductance conductanceTo's from the halo (the step system's own, bit for
// bit).
void boxFaces(const ImageGeometry& g, const Box& box, const HaloProperties& halo, double h_m,
              std::vector<BoxFace>& faces) {
  std::size_t faceCount = 0;
  const std::vector<BoxSide> sides = boxSides(g, box, faceCount);
  faces.resize(faceCount);  // every entry written below
  // Row r of all the sides' rows: side s holds rows firstRow[s] .. firstRow[s + 1] - 1.
  std::vector<std::size_t> firstRow{0};
  for (const BoxSide& side : sides) firstRow.push_back(firstRow.back() + box.extent(side.b));
  const std::array<std::int64_t, 3> haloStride{1, halo.sx, halo.sx * halo.sy};
  parallel::parallelFor({0, firstRow.back()}, 16, [&](parallel::IndexRange rows) {
    for (std::size_t row = rows.begin; row < rows.end; ++row) {
      const auto s = std::size_t(std::upper_bound(firstRow.begin(), firstRow.end(), row) -
                                 firstRow.begin() - 1);
      const BoxSide& side = sides[s];
      forEachFaceOfRow(g, box, side, std::int64_t(row - firstRow[s]),
                       [&](std::size_t f, std::size_t n, std::size_t, std::size_t beyond,
                           const std::array<std::int64_t, 3>& local) {
                         const std::size_t h = halo.index(local[0], local[1], local[2]);
                         const float conductance =
                             conductanceTo(halo, h, side.towards * haloStride[side.a], h_m);
                         faces[f] = {n, beyond, conductance};
                       });
    }
  });
}

}  // namespace

double powerOutsideBox_W(const StepInputs& in, const Box& box, double totalPower_W) {
  const ImageGeometry& g = in.grid->geometry;
  const double h_m = in.grid->voxelSize_m();
  const double inside_W_m3 = parallel::parallelReduce(
      parallel::IndexRange{0, std::size_t(box.extent(1) * box.extent(2))}, 16, 0.0,
      [&](parallel::IndexRange rows) {
        double sum = 0.0;
        for (std::size_t row = rows.begin; row < rows.end; ++row) {
          const std::int64_t j = box.lo[1] + std::int64_t(row) % box.extent(1);
          const std::int64_t k = box.lo[2] + std::int64_t(row) / box.extent(1);
          const float* power = in.power_W_m3->data() + g.linearIndex(box.lo[0], j, k);
          for (std::int64_t i = 0; i < box.extent(0); ++i) sum += power[i];
        }
        return sum;
      },
      [](double a, double b) { return a + b; });
  return totalPower_W - inside_W_m3 * h_m * h_m * h_m;
}

void gatherDeviation(const StepInputs& in, const Box& box, std::vector<float>& deviation) {
  const ImageGeometry& g = in.grid->geometry;
  const double arterial = in.parameters->arterialTemperature_degC;
  deviation.resize(box.voxelCount());  // every entry written below
  const auto nx = std::size_t(box.extent(0)), rows = std::size_t(box.extent(1) * box.extent(2));
  parallel::parallelFor(
      {0, rows}, std::max<std::size_t>(1, 4096 / nx), [&](parallel::IndexRange chunk) {
        for (std::size_t row = chunk.begin; row < chunk.end; ++row) {
          const std::int64_t j = box.lo[1] + std::int64_t(row) % box.extent(1);
          const std::int64_t k = box.lo[2] + std::int64_t(row) / box.extent(1);
          const float* start = in.temperature_degC->data() + g.linearIndex(box.lo[0], j, k);
          for (std::size_t i = 0; i < nx; ++i)
            deviation[row * nx + i] = static_cast<float>(start[i] - arterial);
        }
      });
}

void buildStepSystem(const StepInputs& in, const Box& box, const std::vector<float>& lagDeviation_K,
                     StencilSystem& system, std::vector<float>& deviation,
                     std::vector<BoxFace>& faces, HaloProperties& halo) {
  // For the red-black solver straight into its colours (StencilSystem::byColour).
  if (in.parameters->redBlackSolver)
    system.resizeByColour(box.extent(0), box.extent(1), box.extent(2));
  else
    system.resize(box.extent(0), box.extent(1), box.extent(2));
  deviation.resize(box.voxelCount());  // every entry written below
  fillHalo(in, box, lagDeviation_K, halo);
  const std::size_t rows = std::size_t(system.ny * system.nz);
  const std::size_t grain = std::max<std::size_t>(1, 4096 / std::size_t(system.nx));
  const double h_m = in.grid->voxelSize_m();
  parallel::parallelFor({0, rows}, grain, [&](parallel::IndexRange chunk) {
    for (std::size_t row = chunk.begin; row < chunk.end; ++row)
      buildRowFaces(halo, h_m, std::int64_t(row) % system.ny, std::int64_t(row) / system.ny,
                    system);
  });
  const StepTissueTerms terms = stepTissueTerms(in);
  // With a far field beyond the box: the sides its pull comes through (pullRow).
  std::size_t faceCount = 0;
  const std::vector<BoxSide> sides =
      in.beyondBox_K ? boxSides(in.grid->geometry, box, faceCount) : std::vector<BoxSide>{};
  const std::vector<BoxSide>* farFieldSides = in.beyondBox_K ? &sides : nullptr;
  parallel::parallelFor({0, rows}, grain, [&](parallel::IndexRange chunk) {
    RowScratch scratch;
    for (std::size_t row = chunk.begin; row < chunk.end; ++row)
      buildRow(in, box, halo, terms, std::int64_t(row) % system.ny, std::int64_t(row) / system.ny,
               system, scratch, deviation, farFieldSides);
  });
  const ImageGeometry& g = in.grid->geometry;
  const double arterial = in.parameters->arterialTemperature_degC;
  for (const HeldTemperature& held : *in.held) {
    const std::int64_t i = std::int64_t(held.voxel % g.size[0]);
    const std::int64_t j = std::int64_t((held.voxel / g.size[0]) % g.size[1]);
    const std::int64_t k = std::int64_t(held.voxel / (g.size[0] * g.size[1]));
    if (!contains(box, i, j, k)) continue;  // held at arterial temperature: already so
    const std::int64_t li = i - box.lo[0], lj = j - box.lo[1], lk = k - box.lo[2];
    system.inverseDiagonalAt(li, lj, lk) = 0.0f;
    deviation[std::size_t(li + system.nx * (lj + system.ny * lk))] =
        static_cast<float>(held.temperature_degC - arterial);
  }
  // The far field beyond the box's faces: the faces, which refluxing needs after the solve (their
  // pull on the face voxels is in the right-hand side already: pullRow).
  if (!in.beyondBox_K) {
    faces.clear();
    return;
  }
  boxFaces(in.grid->geometry, box, halo, h_m, faces);
}

}  // namespace twinplan::ablation::detail
