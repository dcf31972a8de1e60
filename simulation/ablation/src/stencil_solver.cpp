#include "stencil_solver.h"

#include <algorithm>
#include <array>
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
[[gnu::always_inline]] inline float stencilAtRowEnd(const StencilSystem& s, const float* x,
                                                    std::int64_t i, std::int64_t j,
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
// Inlined into the wide loops' callers (TWINPLAN_ABLATION_WIDE_LOOPS), as are the helpers below.
[[gnu::always_inline]] inline void stencilRow(const StencilSystem& s, const float* x, float* y,
                                              std::int64_t row) {
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
// thread (the chunks are fixed by the box, not by the threads). Without kLargest only the sum.
constexpr int kLanes = 8;

// pairOf(n) gives entry n's (a, b), and may write what it forms them from: the lanes' sums
// are those of the a and b it returns, however they are made.
template <bool kLargest = true, class PairOf>
[[gnu::always_inline]] inline ResidualNorms dotAndLargestOf(std::size_t count, PairOf&& pairOf) {
  double dot[kLanes] = {};
  float largest[kLanes] = {};
  auto add = [&](int lane, std::size_t n) {
    const auto [a, b] = pairOf(n);
    dot[lane] += double(a) * double(b);
    if constexpr (kLargest) largest[lane] = std::max(largest[lane], std::abs(b));
  };
  std::size_t n = 0;
  for (; n + kLanes <= count; n += kLanes)
    for (int lane = 0; lane < kLanes; ++lane) add(lane, n + std::size_t(lane));
  for (int lane = 0; n < count; ++n, ++lane) add(lane, n);
  ResidualNorms norms;
  for (int lane = 0; lane < kLanes; ++lane) {
    norms.residualDotCorrection += dot[lane];
    norms.largestCorrection_K = std::max(norms.largestCorrection_K, double(largest[lane]));
  }
  return norms;
}

template <bool kLargest = true>
[[gnu::always_inline]] inline ResidualNorms dotAndLargest(const float* __restrict a,
                                                          const float* __restrict b,
                                                          std::size_t count) {
  return dotAndLargestOf<kLargest>(count, [&](std::size_t n) { return std::pair{a[n], b[n]}; });
}

// z = r / diag over n < count.
[[gnu::always_inline]] inline void jacobi(const float* __restrict r,
                                          const float* __restrict inverseDiagonal,
                                          float* __restrict z, std::size_t count) {
  for (std::size_t n = 0; n < count; ++n) z[n] = r[n] * inverseDiagonal[n];
}

// y = A x on a chunk of rows.
TWINPLAN_ABLATION_WIDE_LOOPS void stencilRows(const StencilSystem& s, const float* x, float* y,
                                              parallel::IndexRange rows) {
  for (std::size_t row = rows.begin; row < rows.end; ++row)
    stencilRow(s, x, y, static_cast<std::int64_t>(row));
}

// q = A p on a chunk of rows, returning the chunk's p.q (dotAndLargest's lanes): one dispatch
// of the wide loops a chunk, as reducedBlackRows.
TWINPLAN_ABLATION_WIDE_LOOPS double maskedRows(const StencilSystem& s, const float* p, float* q,
                                               parallel::IndexRange rows) {
  for (std::size_t row = rows.begin; row < rows.end; ++row)
    stencilRow(s, p, q, static_cast<std::int64_t>(row));
  const std::size_t first = rows.begin * std::size_t(s.nx);
  return dotAndLargest<false>(p + first, q + first, rows.size() * std::size_t(s.nx))
      .residualDotCorrection;
}

// q = A p, returning p.q. On Dirichlet voxels p is 0 and q is left unmasked: what it adds to
// their residual is never read, since their inverse diagonal (so z and p) stays 0.
double applyMasked(const StencilSystem& s, const std::vector<float>& p, std::vector<float>& q) {
  return parallel::parallelReduce(
      allRows(s), rowsPerChunk(s), 0.0,
      [&](parallel::IndexRange rows) { return maskedRows(s, p.data(), q.data(), rows); },
      [](double a, double b) { return a + b; });
}

[[noreturn]] void throwNotConverged(int maxIterations, double largestCorrection_K) {
  throw Error(ErrorKind::Internal,
              "The bioheat solver did not converge in " + std::to_string(maxIterations) +
                  " conjugate-gradient iterations (largest correction " +
                  std::to_string(largestCorrection_K) +
                  " K); check the tissue properties or shorten the time step.",
              "maxSolverIterations");
}

// About kVoxelsPerChunk voxels of the box a chunk, fixed by the box (not by the threads).
std::size_t rowsPerChunk(const Packing& pk) {
  return static_cast<std::size_t>(std::max<std::int64_t>(1, kVoxelsPerChunk / pk.nx));
}

parallel::IndexRange allRows(const Packing& pk) { return {0, pk.rows()}; }

// x's voxels of a chunk of rows into the two colours' values, padding zeroed.
TWINPLAN_ABLATION_WIDE_LOOPS void packValues(const Packing& pk, const float* x, float* redValue,
                                             float* blackValue, parallel::IndexRange rows) {
  for (std::size_t row = rows.begin; row < rows.end; ++row) {
    const auto r = static_cast<std::int64_t>(row);
    const std::size_t first = pk.first(r);
    const bool evenIsRed = pk.start(0, r) == 0;
    packRow(pk, x + static_cast<std::size_t>(pk.nx * r),
            (evenIsRed ? redValue : blackValue) + first,
            (evenIsRed ? blackValue : redValue) + first);
  }
}

// The system (natural order) and x packed by colour, a chunk of rows: voxel i of row (j, k) goes
// to slot i / 2 of colour (i + j + k) % 2, so a row's even voxels fill one colour and its odd
// ones the other; then the padding and the faces to beyond the box are zeroed.
TWINPLAN_ABLATION_WIDE_LOOPS void packSystemRows(const StencilSystem& s, const Packing& pk,
                                                 ColourArrays& red, ColourArrays& black,
                                                 parallel::IndexRange rows) {
  for (std::size_t row = rows.begin; row < rows.end; ++row) {
    const std::size_t n = static_cast<std::size_t>(pk.nx) * row;
    packSystemRow(pk, static_cast<std::int64_t>(row),
                  {s.diagonal.data() + n, s.inverseDiagonal.data() + n, s.rightHandSide.data() + n,
                   s.faceX.data() + n, s.faceY.data() + n, s.faceZ.data() + n},
                  red, black);
  }
}

// x by colour into work's values and, when the system was built in natural order, the system
// into work's colour arrays (one pass, a chunk's rows at a time). Returns the colour arrays the
// solve reads: the system's own when it was built by colour.
std::pair<const ColourArrays*, const ColourArrays*> packForSolve(const StencilSystem& s,
                                                                 const std::vector<float>& x,
                                                                 const Packing& pk,
                                                                 SolverWorkspace& work) {
  resizeUnwritten(work.redValue, pk.slots());
  resizeUnwritten(work.blackValue, pk.slots());
  float *redValue = work.redValue.data(), *blackValue = work.blackValue.data();
  if (s.byColour) {
    parallel::parallelFor(allRows(pk), rowsPerChunk(pk), [&](parallel::IndexRange rows) {
      packValues(pk, x.data(), redValue, blackValue, rows);
    });
    return {&s.red, &s.black};
  }
  for (ColourArrays* c : {&work.red, &work.black}) c->resize(pk.slots());
  parallel::parallelFor(allRows(pk), rowsPerChunk(pk), [&](parallel::IndexRange rows) {
    packSystemRows(s, pk, work.red, work.black, rows);
    packValues(pk, x.data(), redValue, blackValue, rows);
  });
  return {&work.red, &work.black};
}

// x's voxels of a chunk of rows from the two colours' values (natural order).
TWINPLAN_ABLATION_WIDE_LOOPS void unpackRows(const Packing& pk, const float* redValue,
                                             const float* blackValue, float* x,
                                             parallel::IndexRange rows) {
  const std::int64_t nx = pk.nx, pairs = nx / 2;
  for (std::size_t row = rows.begin; row < rows.end; ++row) {
    const auto r = static_cast<std::int64_t>(row);
    const std::size_t first = pk.first(r);
    const bool evenIsRed = pk.start(0, r) == 0;
    const float* __restrict even = (evenIsRed ? redValue : blackValue) + first;
    const float* __restrict odd = (evenIsRed ? blackValue : redValue) + first;
    float* __restrict out = x + static_cast<std::size_t>(nx * r);
    for (std::int64_t m = 0; m < pairs; ++m) {
      out[2 * m] = even[m];
      out[2 * m + 1] = odd[m];
    }
    if (nx % 2 == 1) out[nx - 1] = even[pairs];
  }
}

// out[m] = the sum over the six neighbours (all of the other colour) of face conductance x v,
// for the voxels of colour `colour` in one row; own: that colour's arrays, other: the other's,
// v: a vector of the other colour. Terms in a fixed order (x-, x+, y-, y+, z-, z+). A -face is
// the neighbour's +face.
[[gnu::always_inline]] inline void neighbourSum(const Packing& pk, int colour,
                                                const ColourArrays& own, const ColourArrays& other,
                                                const float* v, std::int64_t row, float* out) {
  const std::int64_t j = row % pk.ny, k = row / pk.ny, s0 = pk.start(colour, row);
  const std::size_t first = pk.first(row);
  const auto count = static_cast<std::size_t>(pk.half);
  const std::int64_t rowStride = pk.stride, planeStride = pk.stride * pk.ny;
  // Voxel i = 2 m + s0 has its x neighbours at the other colour's m + s0 - 1 and m + s0, its y
  // and z neighbours at the same m in the rows beside it.
  {
    const float* __restrict fMinus = other.faceX.data() + first + s0 - 1;
    const float* __restrict vMinus = v + first + s0 - 1;
    const float* __restrict fPlus = own.faceX.data() + first;
    const float* __restrict vPlus = v + first + s0;
    float* __restrict o = out;
    for (std::size_t m = 0; m < count; ++m) o[m] = fMinus[m] * vMinus[m] + fPlus[m] * vPlus[m];
  }
  auto add = [&](const float* faces, std::int64_t offset) {
    const float* __restrict f = faces + first + std::min<std::int64_t>(offset, 0);
    const float* __restrict vn = v + first + offset;
    float* __restrict o = out;
    for (std::size_t m = 0; m < count; ++m) o[m] += f[m] * vn[m];
  };
  // Both neighbours along an axis in one loop where both lie in the box: (o + a) + b, the
  // roundings of two loops.
  auto addBoth = [&](const float* otherFaces, const float* ownFaces, std::int64_t offset) {
    const float* __restrict fMinus = otherFaces + first - offset;
    const float* __restrict vMinus = v + first - offset;
    const float* __restrict fPlus = ownFaces + first;
    const float* __restrict vPlus = v + first + offset;
    float* __restrict o = out;
    for (std::size_t m = 0; m < count; ++m)
      o[m] = o[m] + fMinus[m] * vMinus[m] + fPlus[m] * vPlus[m];
  };
  if (j > 0 && j + 1 < pk.ny) {
    addBoth(other.faceY.data(), own.faceY.data(), rowStride);
  } else {
    if (j > 0) add(other.faceY.data(), -rowStride);
    if (j + 1 < pk.ny) add(own.faceY.data(), rowStride);
  }
  if (k > 0 && k + 1 < pk.nz) {
    addBoth(other.faceZ.data(), own.faceZ.data(), planeStride);
  } else {
    if (k > 0) add(other.faceZ.data(), -planeStride);
    if (k + 1 < pk.nz) add(own.faceZ.data(), planeStride);
  }
}

// For each row of `rows`: out = neighbourSum of v (a vector of the other colour) for the
// voxels of `colour`, then finish(first, out) adds the row's own terms (first: its slot 0).
template <class Finish>
[[gnu::always_inline]] inline void neighbourSumRows(const Packing& pk, int colour,
                                                    const ColourArrays& own,
                                                    const ColourArrays& other, const float* v,
                                                    float* out, parallel::IndexRange rows,
                                                    Finish&& finish) {
  for (std::size_t row = rows.begin; row < rows.end; ++row) {
    const auto r = static_cast<std::int64_t>(row);
    const std::size_t first = pk.first(r);
    neighbourSum(pk, colour, own, other, v, r, out + first);
    finish(first, out + first);
  }
}

// The red voxels of a chunk of rows solved exactly for the black ones: x_r = (b_r + F x_b) / D_r;
// held red voxels (inverse diagonal 0) keep their value. `scratch`: a red-sized vector.
TWINPLAN_ABLATION_WIDE_LOOPS void solveRedRows(const Packing& pk, const ColourArrays& red,
                                               const ColourArrays& black, float* redValue,
                                               const float* blackValue, float* scratch,
                                               parallel::IndexRange rows) {
  neighbourSumRows(pk, 0, red, black, blackValue, scratch, rows,
                   [&](std::size_t first, const float* __restrict sum) {
                     const float* __restrict b = red.rightHandSide.data() + first;
                     const float* __restrict inverse = red.inverseDiagonal.data() + first;
                     float* __restrict x = redValue + first;
                     for (std::int64_t m = 0; m < pk.half; ++m)
                       x[m] = inverse[m] > 0.0f ? inverse[m] * (b[m] + sum[m]) : x[m];
                   });
}

void solveRed(const Packing& pk, const ColourArrays& red, const ColourArrays& black,
              SolverWorkspace& work) {
  parallel::parallelFor(allRows(pk), rowsPerChunk(pk), [&](parallel::IndexRange rows) {
    solveRedRows(pk, red, black, work.redValue.data(), work.blackValue.data(), work.w.data(), rows);
  });
}

// r = b_b - D_b x_b + F x_r on the black voxels of a chunk of rows: the full system's residual.
TWINPLAN_ABLATION_WIDE_LOOPS void blackResidualRows(const Packing& pk, const ColourArrays& red,
                                                    const ColourArrays& black,
                                                    const float* redValue, const float* blackValue,
                                                    float* r, parallel::IndexRange rows) {
  neighbourSumRows(pk, 1, black, red, redValue, r, rows,
                   [&](std::size_t first, float* __restrict out) {
                     const float* __restrict b = black.rightHandSide.data() + first;
                     const float* __restrict d = black.diagonal.data() + first;
                     const float* __restrict x = blackValue + first;
                     for (std::int64_t m = 0; m < pk.half; ++m)
                       out[m] = b[m] - d[m] * x[m] + out[m];
                   });
}

// w = D_r^-1 F^T p on the red voxels of a chunk of rows (held red voxels at 0).
TWINPLAN_ABLATION_WIDE_LOOPS void reducedRedRows(const Packing& pk, const ColourArrays& red,
                                                 const ColourArrays& black, const float* p,
                                                 float* w, parallel::IndexRange rows) {
  neighbourSumRows(pk, 0, red, black, p, w, rows, [&](std::size_t first, float* __restrict out) {
    const float* __restrict inverse = red.inverseDiagonal.data() + first;
    for (std::int64_t m = 0; m < pk.half; ++m) out[m] *= inverse[m];
  });
}

// q = D_b p - F w on the black voxels of a chunk of rows, returning their p.q.
TWINPLAN_ABLATION_WIDE_LOOPS double reducedBlackRows(const Packing& pk, const ColourArrays& red,
                                                     const ColourArrays& black, const float* w,
                                                     const float* p, float* q,
                                                     parallel::IndexRange rows) {
  neighbourSumRows(pk, 1, black, red, w, q, rows, [&](std::size_t first, float* __restrict out) {
    const float* __restrict d = black.diagonal.data() + first;
    const float* __restrict pr = p + first;
    for (std::int64_t m = 0; m < pk.half; ++m) out[m] = d[m] * pr[m] - out[m];
  });
  const std::size_t first = rows.begin * pk.stride, count = rows.size() * pk.stride;
  return dotAndLargest<false>(p + first, q + first, count).residualDotCorrection;
}

// q = S p = D_b p - F (D_r^-1 F^T p) on the black voxels (w: D_r^-1 F^T p on the red, held red
// voxels at 0), returning p.q. Two passes: the red rows read black rows beside them.
double applyReduced(const Packing& pk, const ColourArrays& red, const ColourArrays& black,
                    const std::vector<float>& p, std::vector<float>& w, std::vector<float>& q) {
  parallel::parallelFor(allRows(pk), rowsPerChunk(pk), [&](parallel::IndexRange rows) {
    reducedRedRows(pk, red, black, p.data(), w.data(), rows);
  });
  return parallel::parallelReduce(
      allRows(pk), rowsPerChunk(pk), 0.0,
      [&](parallel::IndexRange rows) {
        return reducedBlackRows(pk, red, black, w.data(), p.data(), q.data(), rows);
      },
      [](double a, double b) { return a + b; });
}

// z = r / diag over `count` entries, with the norms of r.z and z: inlined into both wide loops
// below (one target_clones function does not call another).
[[gnu::always_inline]] inline ResidualNorms jacobiAndNorms(const float* inverseDiagonal,
                                                           const float* r, float* z,
                                                           std::size_t count) {
  jacobi(r, inverseDiagonal, z, count);
  return dotAndLargest(r, z, count);
}

// z = r / diag and the first direction p = z over `count` entries, with the norms of r.z and z.
TWINPLAN_ABLATION_WIDE_LOOPS ResidualNorms preconditionRange(const float* inverseDiagonal,
                                                             const float* r, float* z, float* p,
                                                             std::size_t count) {
  const ResidualNorms norms = jacobiAndNorms(inverseDiagonal, r, z, count);
  std::copy_n(z, count, p);
  return norms;
}

// The first residual, then z = r / diag (0 on held voxels) and the first direction p = z, with
// the norms of r.z and z: one pass, a chunk's rows at a time (rowLength entries a row), the
// norms in the blocks the iterations use. residualRows(rows) writes r on those rows only.
template <class ResidualRows>
ResidualNorms firstResidualAndPrecondition(parallel::IndexRange everyRow, std::size_t chunkRows,
                                           std::size_t rowLength, const float* inverseDiagonal,
                                           std::vector<float>& r, std::vector<float>& z,
                                           std::vector<float>& p, ResidualRows&& residualRows) {
  return parallel::parallelReduce(
      everyRow, chunkRows, ResidualNorms{},
      [&](parallel::IndexRange rows) {
        residualRows(rows);
        const std::size_t first = rows.begin * rowLength, count = rows.size() * rowLength;
        return preconditionRange(inverseDiagonal + first, r.data() + first, z.data() + first,
                                 p.data() + first, count);
      },
      combine);
}

// The full system's: r = b - A x (A x carries the Dirichlet voxels' values into their
// neighbours' residuals; their own residual is never read, their inverse diagonal being 0).
ResidualNorms residualAndPrecondition(const StencilSystem& s, const std::vector<float>& x,
                                      std::vector<float>& r, std::vector<float>& z,
                                      std::vector<float>& p) {
  const auto nx = static_cast<std::size_t>(s.nx);
  return firstResidualAndPrecondition(allRows(s), rowsPerChunk(s), nx, s.inverseDiagonal.data(), r,
                                      z, p, [&](parallel::IndexRange rows) {
                                        stencilRows(s, x.data(), r.data(), rows);
                                        const std::size_t first = rows.begin * nx,
                                                          count = rows.size() * nx;
                                        for (std::size_t n = first; n < first + count; ++n)
                                          r[n] = s.rightHandSide[n] - r[n];
                                      });
}

// The reduced system's (the full system's on the black voxels, blackResidualRows). The red
// values are final: a row reads its red neighbours and writes only its own r.
ResidualNorms blackResidualAndPrecondition(const Packing& pk, const ColourArrays& red,
                                           const ColourArrays& black, SolverWorkspace& work) {
  return firstResidualAndPrecondition(
      allRows(pk), rowsPerChunk(pk), static_cast<std::size_t>(pk.stride),
      black.inverseDiagonal.data(), work.r, work.z, work.p, [&](parallel::IndexRange rows) {
        blackResidualRows(pk, red, black, work.redValue.data(), work.blackValue.data(),
                          work.r.data(), rows);
      });
}

// The red voxels for the final black ones (solveRedRows), and x from both colours: a chunk's
// rows at a time (a row's unpacking reads only that row of either colour).
void solveRedAndUnpack(const Packing& pk, const ColourArrays& red, const ColourArrays& black,
                       SolverWorkspace& work, std::vector<float>& x) {
  float *redValue = work.redValue.data(), *blackValue = work.blackValue.data();
  parallel::parallelFor(allRows(pk), rowsPerChunk(pk), [&](parallel::IndexRange rows) {
    solveRedRows(pk, red, black, redValue, blackValue, work.w.data(), rows);
    unpackRows(pk, redValue, blackValue, x.data(), rows);
  });
}

// x += alpha p; r -= alpha q; z = r / diag over `count` entries, with the new residual's norms:
// one pass, each entry's r and z summed as they are formed (the same operations and lanes as a
// pass for each, so the same bits, without reading r and z back).
TWINPLAN_ABLATION_WIDE_LOOPS ResidualNorms updateRange(float alpha,
                                                       const float* __restrict inverseDiagonal,
                                                       const float* __restrict p,
                                                       const float* __restrict q,
                                                       float* __restrict x, float* __restrict r,
                                                       float* __restrict z, std::size_t count) {
  return dotAndLargestOf(count, [&](std::size_t n) {
    x[n] += alpha * p[n];
    const float residual = r[n] - alpha * q[n];
    const float correction = residual * inverseDiagonal[n];
    r[n] = residual;
    z[n] = correction;
    return std::pair{residual, correction};
  });
}

// The update of a conjugate-gradient iteration on `count` entries, chunked by rows of
// `rowLength` entries: x += alpha p; r -= alpha q; z = r / diag, with the new residual's norms.
ResidualNorms updateAndPrecondition(parallel::IndexRange rows, std::size_t rowsPerChunk,
                                    std::size_t rowLength, float alpha,
                                    const float* inverseDiagonal, const std::vector<float>& p,
                                    const std::vector<float>& q, float* x, std::vector<float>& r,
                                    std::vector<float>& z) {
  return parallel::parallelReduce(
      rows, rowsPerChunk, ResidualNorms{},
      [&](parallel::IndexRange chunk) {
        const std::size_t first = chunk.begin * rowLength, count = chunk.size() * rowLength;
        return updateRange(alpha, inverseDiagonal + first, p.data() + first, q.data() + first,
                           x + first, r.data() + first, z.data() + first, count);
      },
      combine);
}

// p = z + beta p over `count` entries.
TWINPLAN_ABLATION_WIDE_LOOPS void directionRange(float beta, const float* __restrict z,
                                                 float* __restrict p, std::size_t count) {
  for (std::size_t n = 0; n < count; ++n) p[n] = z[n] + beta * p[n];
}

// p = z + beta p on the calling thread alone: about 12 us a call. As a parallel loop it took, a
// run, 8.3 ms on one thread but 14-15 ms on two for the fine box (13.6 chunks a call) and 2.2 ms
// against 3.1-3.9 ms for the coarse grid (8 chunks; the per-site table on the idle machine,
// docs/validation.md, branch ablfarser): the hand-over costs more than the loop. Element by
// element, so the same bits.
void updateDirection(parallel::IndexRange rows, std::size_t rowLength, float beta,
                     const std::vector<float>& z, std::vector<float>& p) {
  const std::size_t first = rows.begin * rowLength;
  directionRange(beta, z.data() + first, p.data() + first, rows.size() * rowLength);
}

// Preconditioned conjugate gradients from the first preconditioned residual's norms (p = z
// already): applyOperator() forms q = A p and returns p.q, update(alpha) steps x and r and
// returns the new residual's norms, direction(beta) forms p = z + beta p; until no Jacobi
// correction exceeds tolerance_K.
template <class ApplyOperator, class Update, class Direction>
SolveStatistics iterate(ResidualNorms norms, double tolerance_K, int maxIterations,
                        Progress& progress, ApplyOperator&& applyOperator, Update&& update,
                        Direction&& direction) {
  SolveStatistics statistics;
  while (norms.largestCorrection_K > tolerance_K) {
    if (statistics.iterations == maxIterations)
      throwNotConverged(maxIterations, norms.largestCorrection_K);
    progress.check();
    const auto alpha = static_cast<float>(norms.residualDotCorrection / applyOperator());
    const ResidualNorms next = update(alpha);
    const auto beta = static_cast<float>(next.residualDotCorrection / norms.residualDotCorrection);
    norms = next;
    ++statistics.iterations;
    if (norms.largestCorrection_K > tolerance_K) direction(beta);
  }
  statistics.largestCorrection_K = norms.largestCorrection_K;
  return statistics;
}

}  // namespace

void StencilSystem::resize(std::int64_t sizeX, std::int64_t sizeY, std::int64_t sizeZ) {
  nx = sizeX;
  ny = sizeY;
  nz = sizeZ;
  byColour = false;
  const auto n = static_cast<std::size_t>(nx * ny * nz);
  // Building the system writes every entry: no need to clear them.
  for (std::vector<float>* v :
       {&diagonal, &faceX, &faceY, &faceZ, &rightHandSide, &inverseDiagonal})
    v->resize(n);
}

void StencilSystem::resizeByColour(std::int64_t sizeX, std::int64_t sizeY, std::int64_t sizeZ) {
  nx = sizeX;
  ny = sizeY;
  nz = sizeZ;
  byColour = true;
  const auto n = static_cast<std::size_t>(nx * ny * nz);
  for (std::vector<float>* v : {&faceX, &faceY, &faceZ}) v->resize(n);
  // Not in natural order: empty (their capacity kept for a natural build), so nothing reads
  // stale entries.
  for (std::vector<float>* v : {&diagonal, &rightHandSide, &inverseDiagonal}) v->clear();
  for (ColourArrays* c : {&red, &black}) c->resize(packing().slots());
}

namespace {

// The natural-order solvers need the system in natural order.
void requireNaturalOrder(const StencilSystem& system) {
  if (system.byColour)
    throw Error(ErrorKind::Internal,
                "The bioheat step's system was built by colour, for the red-black solver only; "
                "build it in natural order (BioheatParameters::redBlackSolver false) for this "
                "solver.",
                "StencilSystem::byColour");
}

}  // namespace

void applyStencil(const StencilSystem& system, const std::vector<float>& x, std::vector<float>& y) {
  requireNaturalOrder(system);
  y.resize(system.size());
  parallel::parallelFor(allRows(system), rowsPerChunk(system), [&](parallel::IndexRange rows) {
    stencilRows(system, x.data(), y.data(), rows);
  });
}

SolveStatistics solveConjugateGradient(const StencilSystem& system, std::vector<float>& deviation,
                                       double tolerance_K, int maxIterations, Progress& progress,
                                       SolverWorkspace& work) {
  requireNaturalOrder(system);
  const std::size_t n = system.size();
  for (std::vector<float>* v : {&work.r, &work.z, &work.p, &work.q}) v->resize(n);
  work.packedShape = {0, 0, 0};  // solveRedBlack's padding no longer zero
  const std::vector<float>& inverseDiagonal = system.inverseDiagonal;
  std::vector<float>&r = work.r, &z = work.z, &p = work.p, &q = work.q;
  const std::size_t rowLength = static_cast<std::size_t>(system.nx);
  const ResidualNorms norms = residualAndPrecondition(system, deviation, r, z, p);
  return iterate(
      norms, tolerance_K, maxIterations, progress, [&] { return applyMasked(system, p, q); },
      [&](float alpha) {
        return updateAndPrecondition(allRows(system), rowsPerChunk(system), rowLength, alpha,
                                     inverseDiagonal.data(), p, q, deviation.data(), r, z);
      },
      [&](float beta) { updateDirection(allRows(system), rowLength, beta, z, p); });
}

SolveStatistics solveRedBlack(const StencilSystem& system, std::vector<float>& deviation,
                              double tolerance_K, int maxIterations, Progress& progress,
                              SolverWorkspace& work) {
  const Packing pk = system.packing();
  const auto [redSystem, blackSystem] = packForSolve(system, deviation, pk, work);
  const ColourArrays &red = *redSystem, &black = *blackSystem;
  const std::array<std::int64_t, 3> shape{pk.ny, pk.nz, pk.stride};
  if (work.packedShape != shape) {
    for (std::vector<float>* v : {&work.r, &work.z, &work.p, &work.q, &work.w})
      v->assign(pk.slots(), 0.0f);
    work.packedShape = shape;
  }
  std::vector<float>&r = work.r, &z = work.z, &p = work.p, &q = work.q;
  // The warm start's red voxels solved for its black ones: the red residual is then zero, and
  // the black one is the reduced system's.
  solveRed(pk, red, black, work);
  const ResidualNorms norms = blackResidualAndPrecondition(pk, red, black, work);
  const std::size_t rowLength = static_cast<std::size_t>(pk.stride);
  const SolveStatistics statistics = iterate(
      norms, tolerance_K, maxIterations, progress,
      [&] { return applyReduced(pk, red, black, p, work.w, q); },
      [&](float alpha) {
        return updateAndPrecondition(allRows(pk), rowsPerChunk(pk), rowLength, alpha,
                                     black.inverseDiagonal.data(), p, q, work.blackValue.data(), r,
                                     z);
      },
      [&](float beta) { updateDirection(allRows(pk), rowLength, beta, z, p); });
  // The red voxels for the final black ones: their residual zero again.
  solveRedAndUnpack(pk, red, black, work, deviation);
  return statistics;
}

}  // namespace twinplan::ablation::detail
