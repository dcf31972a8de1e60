#include "stencil_solver.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

// About 16 k voxels per chunk: a few tens of microseconds of work, far more than a chunk's
// scheduling cost, and small enough to spread a 40^3 box over both cores.
constexpr std::int64_t kVoxelsPerChunk = 16384;

std::size_t rowsPerChunk(const StencilSystem& system) {
  return static_cast<std::size_t>(std::max<std::int64_t>(1, kVoxelsPerChunk / system.nx));
}

parallel::IndexRange allRows(const StencilSystem& system) {
  return {0, static_cast<std::size_t>(system.ny * system.nz)};
}

// (A x)[n] for a voxel at either end of its row, every neighbour checked.
float stencilAtRowEnd(const StencilSystem& s, const float* x, std::int64_t i, std::int64_t j,
                      std::int64_t k) {
  const std::int64_t n = i + s.nx * (j + s.ny * k), plane = s.nx * s.ny;
  float v = s.diagonal[n] * x[n];
  if (i > 0) v -= s.faceX[n - 1] * x[n - 1];
  if (i + 1 < s.nx) v -= s.faceX[n] * x[n + 1];
  if (j > 0) v -= s.faceY[n - s.nx] * x[n - s.nx];
  if (j + 1 < s.ny) v -= s.faceY[n] * x[n + s.nx];
  if (k > 0) v -= s.faceZ[n - plane] * x[n - plane];
  if (k + 1 < s.nz) v -= s.faceZ[n] * x[n + plane];
  return v;
}

// y = A x on one row (j, k); the x neighbours of the row's inner voxels need no check.
void stencilRow(const StencilSystem& s, const float* x, float* y, std::int64_t row) {
  const std::int64_t j = row % s.ny, k = row / s.ny, plane = s.nx * s.ny;
  const std::int64_t base = s.nx * row;
  const bool hasBelowY = j > 0, hasAboveY = j + 1 < s.ny;
  const bool hasBelowZ = k > 0, hasAboveZ = k + 1 < s.nz;
  const float* d = s.diagonal.data();
  const float* fx = s.faceX.data();
  const float* fy = s.faceY.data();
  const float* fz = s.faceZ.data();
  for (std::int64_t n = base + 1; n < base + s.nx - 1; ++n) {
    float v = d[n] * x[n] - fx[n - 1] * x[n - 1] - fx[n] * x[n + 1];
    if (hasBelowY) v -= fy[n - s.nx] * x[n - s.nx];
    if (hasAboveY) v -= fy[n] * x[n + s.nx];
    if (hasBelowZ) v -= fz[n - plane] * x[n - plane];
    if (hasAboveZ) v -= fz[n] * x[n + plane];
    y[n] = v;
  }
  y[base] = stencilAtRowEnd(s, x, 0, j, k);
  if (s.nx > 1) y[base + s.nx - 1] = stencilAtRowEnd(s, x, s.nx - 1, j, k);
}

// Largest |z| and the sum r.z over a chunk of rows, combined in chunk order.
struct ResidualNorms {
  double residualDotCorrection = 0.0;
  double largestCorrection_K = 0.0;
};

ResidualNorms combine(ResidualNorms a, ResidualNorms b) {
  return {a.residualDotCorrection + b.residualDotCorrection,
          std::max(a.largestCorrection_K, b.largestCorrection_K)};
}

// z = r / diag on the free voxels, with its norms.
ResidualNorms precondition(const StencilSystem& s, const std::vector<float>& inverseDiagonal,
                           const std::vector<float>& r, std::vector<float>& z) {
  return parallel::parallelReduce(
      allRows(s), rowsPerChunk(s), ResidualNorms{},
      [&](parallel::IndexRange rows) {
        ResidualNorms norms;
        for (std::size_t n = rows.begin * s.nx; n < rows.end * s.nx; ++n) {
          z[n] = r[n] * inverseDiagonal[n];
          norms.residualDotCorrection += double(r[n]) * double(z[n]);
          norms.largestCorrection_K = std::max(norms.largestCorrection_K, double(std::abs(z[n])));
        }
        return norms;
      },
      combine);
}

// q = A p on the free voxels (0 on Dirichlet ones), returning p.q.
double applyMasked(const StencilSystem& s, const std::vector<float>& p, std::vector<float>& q) {
  return parallel::parallelReduce(
      allRows(s), rowsPerChunk(s), 0.0,
      [&](parallel::IndexRange rows) {
        double pq = 0.0;
        for (std::size_t row = rows.begin; row < rows.end; ++row) {
          stencilRow(s, p.data(), q.data(), static_cast<std::int64_t>(row));
          for (std::size_t n = row * s.nx; n < (row + 1) * s.nx; ++n) {
            q[n] *= s.isFree[n];
            pq += double(p[n]) * double(q[n]);
          }
        }
        return pq;
      },
      [](double a, double b) { return a + b; });
}

// x += alpha p; r -= alpha q.
void updateSolution(const StencilSystem& s, float alpha, const std::vector<float>& p,
                    const std::vector<float>& q, std::vector<float>& x, std::vector<float>& r) {
  parallel::parallelFor(allRows(s), rowsPerChunk(s), [&](parallel::IndexRange rows) {
    for (std::size_t n = rows.begin * s.nx; n < rows.end * s.nx; ++n) {
      x[n] += alpha * p[n];
      r[n] -= alpha * q[n];
    }
  });
}

// p = z + beta p.
void updateDirection(const StencilSystem& s, float beta, const std::vector<float>& z,
                     std::vector<float>& p) {
  parallel::parallelFor(allRows(s), rowsPerChunk(s), [&](parallel::IndexRange rows) {
    for (std::size_t n = rows.begin * s.nx; n < rows.end * s.nx; ++n) p[n] = z[n] + beta * p[n];
  });
}

// r = b - A x on the free voxels, 0 on the Dirichlet ones (whose values A x carries to their
// neighbours' residuals).
void initialResidual(const StencilSystem& s, const std::vector<float>& x, std::vector<float>& r) {
  applyStencil(s, x, r);
  parallel::parallelFor(allRows(s), rowsPerChunk(s), [&](parallel::IndexRange rows) {
    for (std::size_t n = rows.begin * s.nx; n < rows.end * s.nx; ++n)
      r[n] = s.isFree[n] * (s.rightHandSide[n] - r[n]);
  });
}

}  // namespace

void StencilSystem::resize(std::int64_t sizeX, std::int64_t sizeY, std::int64_t sizeZ) {
  nx = sizeX;
  ny = sizeY;
  nz = sizeZ;
  const auto n = static_cast<std::size_t>(nx * ny * nz);
  for (std::vector<float>* v : {&diagonal, &faceX, &faceY, &faceZ, &rightHandSide, &isFree})
    v->assign(n, 0.0f);
}

void applyStencil(const StencilSystem& system, const std::vector<float>& x, std::vector<float>& y) {
  y.resize(system.size());
  parallel::parallelFor(allRows(system), rowsPerChunk(system), [&](parallel::IndexRange rows) {
    for (std::size_t row = rows.begin; row < rows.end; ++row)
      stencilRow(system, x.data(), y.data(), static_cast<std::int64_t>(row));
  });
}

SolveStatistics solveConjugateGradient(const StencilSystem& system, std::vector<float>& deviation,
                                       double tolerance_K, int maxIterations, Progress& progress) {
  const std::size_t n = system.size();
  std::vector<float> inverseDiagonal(n), r(n), z(n), p(n), q(n);
  for (std::size_t v = 0; v < n; ++v)
    inverseDiagonal[v] = system.isFree[v] > 0.0f ? 1.0f / system.diagonal[v] : 0.0f;
  initialResidual(system, deviation, r);
  ResidualNorms norms = precondition(system, inverseDiagonal, r, z);
  p = z;
  SolveStatistics statistics;
  while (norms.largestCorrection_K > tolerance_K) {
    if (statistics.iterations == maxIterations)
      throw Error(ErrorKind::Internal,
                  "The bioheat solver did not converge in " + std::to_string(maxIterations) +
                      " conjugate-gradient iterations (largest correction " +
                      std::to_string(norms.largestCorrection_K) +
                      " K); check the tissue properties or shorten the time step.",
                  "maxSolverIterations");
    progress.check();
    const double pq = applyMasked(system, p, q);
    const auto alpha = static_cast<float>(norms.residualDotCorrection / pq);
    updateSolution(system, alpha, p, q, deviation, r);
    const ResidualNorms next = precondition(system, inverseDiagonal, r, z);
    const auto beta = static_cast<float>(next.residualDotCorrection / norms.residualDotCorrection);
    norms = next;
    ++statistics.iterations;
    if (norms.largestCorrection_K > tolerance_K) updateDirection(system, beta, z, p);
  }
  statistics.largestCorrection_K = norms.largestCorrection_K;
  return statistics;
}

}  // namespace twinplan::ablation::detail
