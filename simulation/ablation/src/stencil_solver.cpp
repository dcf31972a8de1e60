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

// y = A x on one row (j, k): the inner voxels in one pass per neighbour direction, each a plain
// loop the compiler vectorises (the sums keep the row ends' order: x-, x+, y-, y+, z-, z+).
void stencilRow(const StencilSystem& s, const float* x, float* y, std::int64_t row) {
  const std::int64_t j = row % s.ny, k = row / s.ny, plane = s.nx * s.ny;
  const std::int64_t base = s.nx * row, inner = s.nx - 2;
  float* __restrict out = y + base + 1;
  const float* __restrict xc = x + base + 1;
  const float* __restrict d = s.diagonal.data() + base + 1;
  const float* __restrict fx = s.faceX.data() + base + 1;
  for (std::int64_t i = 0; i < inner; ++i)
    out[i] = d[i] * xc[i] - fx[i - 1] * xc[i - 1] - fx[i] * xc[i + 1];
  // Neighbours at -offset use the neighbour's face; at +offset the voxel's own.
  auto subtract = [&](const float* faces, std::int64_t offset) {
    const float* __restrict f = faces + base + 1 + std::min<std::int64_t>(offset, 0);
    const float* __restrict xn = xc + offset;
    for (std::int64_t i = 0; i < inner; ++i) out[i] -= f[i] * xn[i];
  };
  if (j > 0) subtract(s.faceY.data(), -s.nx);
  if (j + 1 < s.ny) subtract(s.faceY.data(), s.nx);
  if (k > 0) subtract(s.faceZ.data(), -plane);
  if (k + 1 < s.nz) subtract(s.faceZ.data(), plane);
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

// sum a[n] b[n] and max |b[n]| over n < count, in eight interleaved lanes added in lane order:
// independent chains the compiler vectorises, with the same bits for the same range on any
// thread (the chunks are fixed by the box, not by the threads).
constexpr int kLanes = 8;

ResidualNorms dotAndLargest(const float* __restrict a, const float* __restrict b,
                            std::size_t count) {
  double dot[kLanes] = {};
  float largest[kLanes] = {};
  std::size_t n = 0;
  for (; n + kLanes <= count; n += kLanes)
    for (int lane = 0; lane < kLanes; ++lane) {
      dot[lane] += double(a[n + lane]) * double(b[n + lane]);
      largest[lane] = std::max(largest[lane], std::abs(b[n + lane]));
    }
  for (int lane = 0; n < count; ++n, ++lane) {
    dot[lane] += double(a[n]) * double(b[n]);
    largest[lane] = std::max(largest[lane], std::abs(b[n]));
  }
  ResidualNorms norms;
  for (int lane = 0; lane < kLanes; ++lane) {
    norms.residualDotCorrection += dot[lane];
    norms.largestCorrection_K = std::max(norms.largestCorrection_K, double(largest[lane]));
  }
  return norms;
}

// z = r / diag over n < count.
void jacobi(const float* __restrict r, const float* __restrict inverseDiagonal, float* __restrict z,
            std::size_t count) {
  for (std::size_t n = 0; n < count; ++n) z[n] = r[n] * inverseDiagonal[n];
}

// x += alpha p; r -= alpha q over n < count.
void step(float alpha, const float* __restrict p, const float* __restrict q, float* __restrict x,
          float* __restrict r, std::size_t count) {
  for (std::size_t n = 0; n < count; ++n) {
    x[n] += alpha * p[n];
    r[n] -= alpha * q[n];
  }
}

// z = r / diag on the free voxels (0 on the others), with the norms of r.z and z.
ResidualNorms precondition(const StencilSystem& s, const std::vector<float>& inverseDiagonal,
                           const std::vector<float>& r, std::vector<float>& z) {
  return parallel::parallelReduce(
      allRows(s), rowsPerChunk(s), ResidualNorms{},
      [&](parallel::IndexRange rows) {
        const std::size_t first = rows.begin * s.nx, count = rows.size() * s.nx;
        jacobi(r.data() + first, inverseDiagonal.data() + first, z.data() + first, count);
        return dotAndLargest(r.data() + first, z.data() + first, count);
      },
      combine);
}

// q = A p, returning p.q. On Dirichlet voxels p is 0 and q is left unmasked: what it adds to
// their residual is never read, since their inverse diagonal (so z and p) stays 0.
double applyMasked(const StencilSystem& s, const std::vector<float>& p, std::vector<float>& q) {
  return parallel::parallelReduce(
      allRows(s), rowsPerChunk(s), 0.0,
      [&](parallel::IndexRange rows) {
        for (std::size_t row = rows.begin; row < rows.end; ++row)
          stencilRow(s, p.data(), q.data(), static_cast<std::int64_t>(row));
        const std::size_t first = rows.begin * s.nx;
        return dotAndLargest(p.data() + first, q.data() + first, rows.size() * s.nx)
            .residualDotCorrection;
      },
      [](double a, double b) { return a + b; });
}

// x += alpha p; r -= alpha q; z = r / diag, with the new residual's norms.
ResidualNorms updateAndPrecondition(const StencilSystem& s, float alpha,
                                    const std::vector<float>& inverseDiagonal,
                                    const std::vector<float>& p, const std::vector<float>& q,
                                    std::vector<float>& x, std::vector<float>& r,
                                    std::vector<float>& z) {
  return parallel::parallelReduce(
      allRows(s), rowsPerChunk(s), ResidualNorms{},
      [&](parallel::IndexRange rows) {
        const std::size_t first = rows.begin * s.nx, count = rows.size() * s.nx;
        step(alpha, p.data() + first, q.data() + first, x.data() + first, r.data() + first, count);
        jacobi(r.data() + first, inverseDiagonal.data() + first, z.data() + first, count);
        return dotAndLargest(r.data() + first, z.data() + first, count);
      },
      combine);
}

// p = z + beta p.
void updateDirection(const StencilSystem& s, float beta, const std::vector<float>& z,
                     std::vector<float>& p) {
  parallel::parallelFor(allRows(s), rowsPerChunk(s), [&](parallel::IndexRange rows) {
    for (std::size_t n = rows.begin * s.nx; n < rows.end * s.nx; ++n) p[n] = z[n] + beta * p[n];
  });
}

// r = b - A x (A x carries the Dirichlet voxels' values into their neighbours' residuals; their
// own residual is never read, their inverse diagonal being 0).
void initialResidual(const StencilSystem& s, const std::vector<float>& x, std::vector<float>& r) {
  applyStencil(s, x, r);
  parallel::parallelFor(allRows(s), rowsPerChunk(s), [&](parallel::IndexRange rows) {
    for (std::size_t n = rows.begin * s.nx; n < rows.end * s.nx; ++n)
      r[n] = s.rightHandSide[n] - r[n];
  });
}

}  // namespace

void StencilSystem::resize(std::int64_t sizeX, std::int64_t sizeY, std::int64_t sizeZ) {
  nx = sizeX;
  ny = sizeY;
  nz = sizeZ;
  const auto n = static_cast<std::size_t>(nx * ny * nz);
  // Building the system writes every entry: no need to clear them.
  for (std::vector<float>* v :
       {&diagonal, &faceX, &faceY, &faceZ, &rightHandSide, &inverseDiagonal})
    v->resize(n);
}

void applyStencil(const StencilSystem& system, const std::vector<float>& x, std::vector<float>& y) {
  y.resize(system.size());
  parallel::parallelFor(allRows(system), rowsPerChunk(system), [&](parallel::IndexRange rows) {
    for (std::size_t row = rows.begin; row < rows.end; ++row)
      stencilRow(system, x.data(), y.data(), static_cast<std::int64_t>(row));
  });
}

SolveStatistics solveConjugateGradient(const StencilSystem& system, std::vector<float>& deviation,
                                       double tolerance_K, int maxIterations, Progress& progress,
                                       SolverWorkspace& work) {
  const std::size_t n = system.size();
  for (std::vector<float>* v : {&work.r, &work.z, &work.p, &work.q}) v->resize(n);
  const std::vector<float>& inverseDiagonal = system.inverseDiagonal;
  std::vector<float>&r = work.r, &z = work.z, &p = work.p, &q = work.q;
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
    const ResidualNorms next =
        updateAndPrecondition(system, alpha, inverseDiagonal, p, q, deviation, r, z);
    const auto beta = static_cast<float>(next.residualDotCorrection / norms.residualDotCorrection);
    norms = next;
    ++statistics.iterations;
    if (norms.largestCorrection_K > tolerance_K) updateDirection(system, beta, z, p);
  }
  statistics.largestCorrection_K = norms.largestCorrection_K;
  return statistics;
}

}  // namespace twinplan::ablation::detail
