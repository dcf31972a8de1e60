#include "conduction_multigrid.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "stencil_solver.h"  // TWINPLAN_ABLATION_WIDE_LOOPS
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

using parallel::IndexRange;

// Coarsen while every axis keeps at least this many voxels: the coarsest level (a few hundred
// voxels) is then solved by sweeps alone.
constexpr std::int64_t kCoarsestExtent = 4;
// Whether a level of nx x ny x nz voxels has a coarser level below it.
bool coarsens(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  return std::min({nx, ny, nz}) > 2 * kCoarsestExtent - 1;
}
// Symmetric red-black sweeps on the coarsest level (each way): enough to reduce its error by
// orders of magnitude on a few voxels per axis, and negligible work there.
constexpr int kCoarsestSweeps = 12;
// Red-black sweeps before and after each coarse correction.
constexpr int kSmoothingSweeps = 2;
// The prolongation writes the red voxels only and leaves the black ones to the black half-sweep
// that starts the smoothing after it (prolongationAndSmoothing): without one, the black voxels
// would keep stale values. The coarsest level is solved by its sweeps alone.
static_assert(kSmoothingSweeps > 0 && kCoarsestSweeps > 0);
// Voxels per chunk of a parallel loop (see stencil_solver.cpp).
constexpr std::int64_t kVoxelsPerChunk = 16384;

// The loops over rows below take a MultigridLevel or a ColourSplitLevel (a row of the latter
// holds both colours' voxels of row (j, k)): they read only nx, ny and nz.
template <class Level>
IndexRange allRows(const Level& l) {
  return {0, static_cast<std::size_t>(l.ny * l.nz)};
}

// The fewest voxels of work a loop over rows is split for (into two chunks or more); below, the
// calling thread runs it alone. Splitting the nested box's first coarse level (21 x 21 x 36 =
// 15 876 voxels on the 100^3 RF run) too was measured slower on two threads (a limit of 8 192:
// source stage wall median 1.60 against 1.57 s, ten pairs; 2 048, the second level split as
// well: 1.76 against 1.55 s): the helper thread's joins cost more than they save there. (The
// fused passes, two joins each, have their own limit: kSmallestParallelPass.)
constexpr std::int64_t kSmallestParallelLoop = kVoxelsPerChunk;

// Rows per chunk of a loop over `rows` rows whose each costs about `rowVoxels` voxels of work:
// voxels / kVoxelsPerChunk chunks rounded up, at least two once the loop has
// kSmallestParallelLoop voxels, of whole rows as even as the rows allow: about kVoxelsPerChunk
// voxels each (more where a few long rows do not divide evenly: 3 rows of 10 000 voxels make
// chunks of 20 000 and 10 000).
inline std::size_t rowsPerChunk(std::size_t rows, std::int64_t rowVoxels) {
  const auto voxels = std::int64_t(rows) * rowVoxels;
  if (voxels < kSmallestParallelLoop) return std::max<std::size_t>(rows, 1);
  const std::int64_t chunks =
      std::max<std::int64_t>(2, (voxels + kVoxelsPerChunk - 1) / kVoxelsPerChunk);
  return std::max<std::size_t>(1, (rows + std::size_t(chunks) - 1) / std::size_t(chunks));
}

template <class Level>
std::size_t rowsPerChunk(const Level& l) {
  return rowsPerChunk(allRows(l).end, l.nx);
}

// body(n) for n in [0, count), in rowsPerChunk's chunks on core/parallel.h (plain indices, not
// rows: each index is a "row" of one voxel), or on the calling thread below
// kSmallestParallelLoop: element-wise passes, so the same bits on any thread count.
template <class Body>
void forEachIndex(std::size_t count, Body&& body) {
  const std::size_t perChunk = rowsPerChunk(count, 1);
  auto run = [&](IndexRange r) {
    for (std::size_t n = r.begin; n < r.end; ++n) body(n);
  };
  if (count <= perChunk) {
    run({0, count});
    return;
  }
  parallel::parallelFor({0, count}, perChunk, run);
}

// rowVoxels for a loop whose rows cost the level's row, l.nx voxels, of work.
constexpr std::int64_t kLevelRow = 0;

// body(rows) over the level's rows in rowsPerChunk's chunks, rows of `rowVoxels` voxels' work
// (kLevelRow: the level's row; a restriction reads four finer rows per row). A loop of one
// chunk runs on the calling thread without the parallel loop's set-up: a W-cycle visits its
// coarsest levels (a few hundred to a few thousand voxels) hundreds of times a cycle.
template <class Level, class Body>
void forEachRowChunk(const Level& l, Body&& body, std::int64_t rowVoxels = kLevelRow) {
  const IndexRange rows = allRows(l);
  const std::size_t perChunk = rowsPerChunk(rows.end, rowVoxels == kLevelRow ? l.nx : rowVoxels);
  if (rows.end <= perChunk) {
    body(rows);
    return;
  }
  parallel::parallelFor(rows, perChunk, body);
}

// body(row, j, k) for every row of the level, in forEachRowChunk's chunks, j and k counted along
// rather than divided out of the row's index: a coarse level's rows hold a few voxels each,
// where two divisions per row cost about as much as the row's updates.
template <class Level, class Body>
void forEachRow(const Level& l, Body&& body, std::int64_t rowVoxels = kLevelRow) {
  forEachRowChunk(
      l,
      [&](IndexRange rows) {
        std::int64_t j = std::int64_t(rows.begin) % l.ny, k = std::int64_t(rows.begin) / l.ny;
        for (std::size_t row = rows.begin; row < rows.end; ++row) {
          body(std::int64_t(row), j, k);
          if (++j == l.ny) {
            j = 0;
            ++k;
          }
        }
      },
      rowVoxels);
}

// sum over the six neighbours q of voxel n (at i, j, k) of c_nq x_q.
// Inlined into its callers (a coarse level's boundary rows call it on every voxel).
[[gnu::always_inline]] inline float neighbourSum(const MultigridLevel& l, const float* x,
                                                 std::int64_t n, std::int64_t i, std::int64_t j,
                                                 std::int64_t k) {
  const std::int64_t plane = l.nx * l.ny;
  float sum = 0.0f;
  if (i > 0) sum += l.faceX[n - 1] * x[n - 1];
  if (i + 1 < l.nx) sum += l.faceX[n] * x[n + 1];
  if (j > 0) sum += l.faceY[n - l.nx] * x[n - l.nx];
  if (j + 1 < l.ny) sum += l.faceY[n] * x[n + l.nx];
  if (k > 0) sum += l.faceZ[n - plane] * x[n - plane];
  if (k + 1 < l.nz) sum += l.faceZ[n] * x[n + plane];
  return sum;
}

bool interiorRow(const MultigridLevel& l, std::int64_t j, std::int64_t k) {
  return j > 0 && k > 0 && j + 1 < l.ny && k + 1 < l.nz;
}

// One Gauss-Seidel half-sweep over the voxels of one row (j, k) with (i + j + k) % 2 == colour.
void sweepRow(MultigridLevel& l, int colour, std::int64_t row, std::int64_t j, std::int64_t k) {
  float* x = l.correction.data();
  const std::int64_t base = row * l.nx, first = (colour + j + k) & 1;
  if (!interiorRow(l, j, k)) {
    for (std::int64_t i = first; i < l.nx; i += 2) {
      const std::int64_t n = base + i;
      x[n] = (l.rightHandSide[n] + neighbourSum(l, x, n, i, j, k)) * l.inverseDiagonal[n];
    }
    return;
  }
  // Inside the grid every neighbour exists: no bounds checks.
  const std::int64_t plane = l.nx * l.ny;
  const float *fx = l.faceX.data(), *fy = l.faceY.data(), *fz = l.faceZ.data();
  const float *b = l.rightHandSide.data(), *inverse = l.inverseDiagonal.data();
  std::int64_t i = first;
  if (i == 0) {
    x[base] = (b[base] + neighbourSum(l, x, base, 0, j, k)) * inverse[base];
    i += 2;
  }
  for (; i + 1 < l.nx; i += 2) {
    const std::int64_t n = base + i;
    x[n] = (b[n] + fx[n - 1] * x[n - 1] + fx[n] * x[n + 1] + fy[n - l.nx] * x[n - l.nx] +
            fy[n] * x[n + l.nx] + fz[n - plane] * x[n - plane] + fz[n] * x[n + plane]) *
           inverse[n];
  }
  if (i == l.nx - 1) {
    const std::int64_t n = base + i;
    x[n] = (b[n] + neighbourSum(l, x, n, i, j, k)) * inverse[n];
  }
}

// One Gauss-Seidel half-sweep over the voxels with (i + j + k) % 2 == colour.
void sweepColour(MultigridLevel& l, int colour) {
  forEachRow(
      l, [&](std::int64_t row, std::int64_t j, std::int64_t k) { sweepRow(l, colour, row, j, k); });
}

// The first red half-sweep of a cycle that starts from a zero correction: every neighbour of a
// red voxel is black and still zero, so x = b / d there (the same value the general sweep
// computes, without reading the neighbours). The black half-sweep that follows reads only red
// neighbours and overwrites every black voxel, so the correction need not be cleared first.
void firstRedSweepFromZero(MultigridLevel& l) {
  float* x = l.correction.data();
  const float *b = l.rightHandSide.data(), *inverse = l.inverseDiagonal.data();
  forEachRow(l, [&](std::int64_t row, std::int64_t j, std::int64_t k) {
    const std::int64_t base = row * l.nx;
    for (std::int64_t i = (j + k) & 1; i < l.nx; i += 2)
      x[base + i] = b[base + i] * inverse[base + i];
  });
}

// The same half-sweeps on a level stored by colour (ColourSplitLevel in the header): every level
// of a grid that coarsens.

// A voxel run's six faces (to -x, +x, -y, +y, -z, +z), each from the run's first voxel on.
struct RunFaces {
  const float *west, *east, *south, *north, *down, *up;
};

// The voxels [0, count) of a run of one colour's rows of the same parity of j (its arrays from
// `start`; S and N: the offsets of the rows j - 1 and j + 1): x = (b + the other colour's
// neighbours y weighted by their faces) / d, summed in the grid-ordered sweep's order
// (-x, +x, -y, +y, -z, +z). x is a restrict parameter: GCC takes restrict from parameters only,
// and without it the loop is not vectorised (it may not prove x apart from the ten arrays read).
[[gnu::always_inline]] inline void relaxRow(float* __restrict x,
                                            const ColourSplitLevel::Colour& self,
                                            const RunFaces& faces, const float* y,
                                            std::int64_t start, std::int64_t count,
                                            std::int64_t shift, std::int64_t S, std::int64_t N,
                                            std::int64_t P) {
  const float *b = self.rightHandSide.data() + start, *w = faces.west, *e = faces.east,
              *so = faces.south, *no = faces.north, *d = faces.down, *u = faces.up,
              *inverse = self.inverseDiagonal.data() + start;
  y += start;
  for (std::int64_t m = 0; m < count; ++m)
    x[m] = (b[m] + w[m] * y[m + shift - 1] + e[m] * y[m + shift] + so[m] * y[m + S] +
            no[m] * y[m + N] + d[m] * y[m - P] + u[m] * y[m + P]) *
           inverse[m];
}

// The (j, k) of the first row of a chunk, then counted along.
struct RowCursor {
  std::int64_t j, k, ny;
  RowCursor(std::size_t row, std::int64_t rowsPerSlice)
      : j(std::int64_t(row) % rowsPerSlice),
        k(std::int64_t(row) / rowsPerSlice),
        ny(rowsPerSlice) {}
  void next() {
    if (++j == ny) {
      j = 0;
      ++k;
    }
  }
};

// Sizes a level, reusing its arrays' capacity. Only the faces are cleared (coarsen() sums into
// them), or sized for a copy, or left empty where the caller's arrays are read in place
// (LevelOperator): the diagonals are written in full by every build, the
// correction by a cycle (a lone level's first sweep, or a split level's unpacking), the
// right-hand side by the restriction or the caller. Without workArrays (a level that is only
// coarsened and split by colour, its right-hand side and correction never in grid order: a finest
// level that coarsens, the composite grid's box) the correction and right-hand side are left
// empty.
enum class Faces { Cleared, Copied, Lent };
void allocate(MultigridLevel& l, std::int64_t nx, std::int64_t ny, std::int64_t nz, Faces faces,
              bool workArrays) {
  l.nx = nx;
  l.ny = ny;
  l.nz = nz;
  const auto n = static_cast<std::size_t>(nx * ny * nz);
  for (std::vector<float>* v : {&l.faceX, &l.faceY, &l.faceZ}) {
    if (faces == Faces::Cleared)
      v->assign(n, 0.0f);
    else if (faces == Faces::Copied)
      v->resize(n);
    else
      v->clear();
  }
  l.diagonal.resize(n);
  l.inverseDiagonal.resize(n);
  for (std::vector<float>* v : {&l.correction, &l.rightHandSide}) {
    if (workArrays)
      v->resize(n);
    else
      v->clear();
  }
}

// A level's operator as coarsen() and splitByColour() read it, in grid order: its faces, diagonal
// and inverse diagonal (0 on fixed voxels). On the finest level the faces are the caller's own
// arrays, read in place (they were copied at every build, five arrays a voxel where two are
// needed: the diagonal and its inverse in float).
struct LevelOperator {
  std::int64_t nx = 0, ny = 0, nz = 0;
  const float *faceX = nullptr, *faceY = nullptr, *faceZ = nullptr;
  const float *diagonal = nullptr, *inverseDiagonal = nullptr;
};

LevelOperator operatorOf(const MultigridLevel& l) {
  return {l.nx,
          l.ny,
          l.nz,
          l.faceX.data(),
          l.faceY.data(),
          l.faceZ.data(),
          l.diagonal.data(),
          l.inverseDiagonal.data()};
}

// The finest level's operator: the caller's faces, l's diagonal and inverse diagonal.
LevelOperator operatorOf(const MultigridLevel& l, std::span<const float> faceX,
                         std::span<const float> faceY, std::span<const float> faceZ) {
  LevelOperator op = operatorOf(l);
  op.faceX = faceX.data();
  op.faceY = faceY.data();
  op.faceZ = faceZ.data();
  return op;
}

// One of the (up to four) fine rows of a coarse row: the offsets of the two rows' first voxels,
// the fine row's j and k, and whether it is the coarse row's first.
struct ChildRow {
  std::int64_t coarse, fine, j, k;
  bool first;
};

// Runs body(ChildRow) for the fine rows of every coarse row (k, then j), one coarse row per
// task: no two tasks touch one coarse voxel. Walking each fine row in i keeps every coarse
// voxel's children in the order k, j, i, so float sums over them do not depend on the walk.
template <class Body>
void forEachChildRow(const LevelOperator& fine, const MultigridLevel& coarse, Body&& body) {
  forEachRow(
      coarse,
      [&](std::int64_t row, std::int64_t J, std::int64_t K) {
        for (std::int64_t k = 2 * K; k < std::min(2 * K + 2, fine.nz); ++k)
          for (std::int64_t j = 2 * J; j < std::min(2 * J + 2, fine.ny); ++j)
            body(ChildRow{row * coarse.nx, (j + fine.ny * k) * fine.nx, j, k,
                          k == 2 * K && j == 2 * J});
      },
      4 * fine.nx);
}

// What a fine row adds to its coarse row (A_c = P^T A P / 2, see the header): each free child's
// diagonal less twice its faces to free + neighbours inside its block (counted from the - side
// only) to the coarse diagonal, and half of its faces to free + neighbours in the next block to
// the coarse faces. The pointers start at the rows' first voxels; whether the row has a + row
// beside it (y) and above it (z), and whether those faces stay inside the blocks (the row's j,
// k even).
struct ChildRowSums {
  const float *inverse, *diagonal, *faceX, *faceY, *faceZ;
  std::int64_t rowStride, planeStride;
  bool hasY, hasZ, innerY, innerZ;
  double* coarseDiagonal;
  float *coarseX, *coarseY, *coarseZ;
};

// Child i of the row by the rule above, one voxel (the row's last pair or odd end voxel, and
// the reference for coarsenPairs).
void coarsenChild(const ChildRowSums& r, std::int64_t i, std::int64_t nx) {
  auto free = [&](std::int64_t offset) { return r.inverse[i + offset] > 0.0f; };
  if (!free(0)) return;
  const std::int64_t C = i / 2;
  double d = r.diagonal[i];
  auto face = [&](float conductance, std::int64_t offset, bool inner, float& outer) {
    if (conductance == 0.0f || !free(offset)) return;
    if (inner)
      d -= 2.0 * conductance;
    else
      outer += 0.5f * conductance;
  };
  if (i + 1 < nx) face(r.faceX[i], 1, (i & 1) == 0, r.coarseX[C]);
  if (r.hasY) face(r.faceY[i], r.rowStride, r.innerY, r.coarseY[C]);
  if (r.hasZ) face(r.faceZ[i], r.planeStride, r.innerZ, r.coarseZ[C]);
  r.coarseDiagonal[C] += d;
}

// x where keep, +0 where not, by a bit mask. A select (keep ? x : 0) lets GCC move the
// arithmetic that computes x under a branch, where it may not speculate it again (a float
// operation may trap, -ftrapping-math), and the loop stays scalar; the mask keeps it whole.
// (Float only: double masks from float comparisons left the loop scalar too.)
[[gnu::always_inline]] inline float kept(bool keep, float x) {
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(x) & (0u - std::uint32_t(keep)));
}

// coarsenChild on the children a = 2 m, b = 2 m + 1 of coarse voxels m in [0, pairs), each with
// a +x neighbour, in one loop that the compiler vectorises (the voxel loop it replaces was
// scalar and branchy, 1.7 % of the RF run's one-thread samples). The same bits: a term the rule
// leaves out is +0 here (kept), x - (+0) = x for every x and x + (+0) = x for every x but -0,
// which no sum of conductances is (a face of -0, which the rule skips as 0, adds -0: x again);
// a fixed child's terms are all +0, its diagonal included, so it adds +0.
// Each coarse voxel still adds its children in the order a, b, and a child's terms in the order
// x, y, z. Every value is read unconditionally (so HasY and HasZ say whether the + rows exist);
// innerY and innerZ (the rows' j and k even) are loop-invariant.
template <bool HasY, bool HasZ>
[[gnu::always_inline]] inline void coarsenPairs(const float* inverse, const float* diagonal,
                                                const float* fx, const float* fy, const float* fz,
                                                double* __restrict coarseDiagonal,
                                                float* __restrict cx, float* __restrict cy,
                                                float* __restrict cz, std::int64_t Y,
                                                std::int64_t Z, bool innerY, bool innerZ,
                                                std::int64_t pairs) {
  for (std::int64_t m = 0; m < pairs; ++m) {
    const std::int64_t a = 2 * m, b = a + 1;
    const bool freeA = inverse[a] > 0.0f, freeB = inverse[b] > 0.0f;
    const bool freeNext = inverse[b + 1] > 0.0f;
    // x: a's face to b lies inside the block, b's to the next block outside it.
    double dA = double(kept(freeA, diagonal[a])) - 2.0 * double(kept(freeA & freeB, fx[a]));
    double dB = double(kept(freeB, diagonal[b]));
    const float xOuter = kept(freeB & freeNext, fx[b]);
    float yA = 0.0f, yB = 0.0f, zA = 0.0f, zB = 0.0f;
    if constexpr (HasY) {
      const bool nA = freeA & (inverse[a + Y] > 0.0f), nB = freeB & (inverse[b + Y] > 0.0f);
      dA -= 2.0 * double(kept(nA & innerY, fy[a]));
      dB -= 2.0 * double(kept(nB & innerY, fy[b]));
      yA = kept(nA & !innerY, fy[a]);
      yB = kept(nB & !innerY, fy[b]);
    }
    if constexpr (HasZ) {
      const bool nA = freeA & (inverse[a + Z] > 0.0f), nB = freeB & (inverse[b + Z] > 0.0f);
      dA -= 2.0 * double(kept(nA & innerZ, fz[a]));
      dB -= 2.0 * double(kept(nB & innerZ, fz[b]));
      zA = kept(nA & !innerZ, fz[a]);
      zB = kept(nB & !innerZ, fz[b]);
    }
    coarseDiagonal[m] = coarseDiagonal[m] + dA + dB;
    cx[m] += 0.5f * xOuter;
    cy[m] = cy[m] + 0.5f * yA + 0.5f * yB;
    cz[m] = cz[m] + 0.5f * zA + 0.5f * zB;
  }
}

// coarsenPairs on a row's arrays (its restrict pointers as parameters: GCC takes restrict from
// parameters only, and without it the loop stayed scalar).
template <bool HasY, bool HasZ>
[[gnu::always_inline]] inline void coarsenPairsOf(const ChildRowSums& r, std::int64_t pairs) {
  coarsenPairs<HasY, HasZ>(r.inverse, r.diagonal, r.faceX, r.faceY, r.faceZ, r.coarseDiagonal,
                           r.coarseX, r.coarseY, r.coarseZ, r.rowStride, r.planeStride, r.innerY,
                           r.innerZ, pairs);
}

// One fine row into its coarse row: the pairs whose second child has a +x neighbour by
// coarsenPairs, the rest (the last pair of an even row, the odd end voxel) by coarsenChild.
TWINPLAN_ABLATION_WIDE_LOOPS void coarsenRow(const ChildRowSums& r, std::int64_t nx) {
  const std::int64_t pairs = (nx - 1) / 2;
  // (Plain branches, no lambda: a lambda would be a function of its own, built for the baseline.)
  if (r.hasY && r.hasZ)
    coarsenPairsOf<true, true>(r, pairs);
  else if (r.hasY)
    coarsenPairsOf<true, false>(r, pairs);
  else if (r.hasZ)
    coarsenPairsOf<false, true>(r, pairs);
  else
    coarsenPairsOf<false, false>(r, pairs);
  for (std::int64_t i = 2 * pairs; i < nx; ++i) coarsenChild(r, i, nx);
}

// The coarse diagonal (half its children's sums) and its inverse, 0 where the block has no coarse
// equation: where its free voxels only conduct among themselves. The division is done on every
// voxel and its result masked (kept; 1 / 0 is inf there, masked to +0 as before), so the loop is
// vectorised: with the division under a select it stayed scalar (a division may trap).
TWINPLAN_ABLATION_WIDE_LOOPS void coarseDiagonals(const double* sums, const float* fx,
                                                  const float* fy, const float* fz,
                                                  float* __restrict diagonal,
                                                  float* __restrict inverse, std::int64_t count) {
  for (std::int64_t n = 0; n < count; ++n) {
    const double d = 0.5 * sums[n];
    const bool coupled = (d > 1e-6 * (fx[n] + fy[n] + fz[n])) & (d > 0.0);
    diagonal[n] = kept(coupled, float(d));
    inverse[n] = kept(coupled, float(1.0 / d));
  }
}

// A_c = P^T A P / 2 (see the header): a coarse face sums the fine faces between free voxels
// across it; a coarse diagonal sums its free children's diagonals less twice the faces between
// them.
void coarsen(const LevelOperator& fine, MultigridLevel& coarse) {
  allocate(coarse, (fine.nx + 1) / 2, (fine.ny + 1) / 2, (fine.nz + 1) / 2, Faces::Cleared, true);
  const std::int64_t plane = fine.nx * fine.ny;
  // The children of a row of coarse voxels all belong to that row: no two tasks write one voxel.
  std::vector<double> diagonal(coarse.size(), 0.0);
  forEachChildRow(fine, coarse, [&](const ChildRow& row) {
    const std::int64_t f = row.fine, c = row.coarse;
    const ChildRowSums sums{fine.inverseDiagonal + f,
                            fine.diagonal + f,
                            fine.faceX + f,
                            fine.faceY + f,
                            fine.faceZ + f,
                            fine.nx,
                            plane,
                            row.j + 1 < fine.ny,
                            row.k + 1 < fine.nz,
                            (row.j & 1) == 0,
                            (row.k & 1) == 0,
                            diagonal.data() + c,
                            coarse.faceX.data() + c,
                            coarse.faceY.data() + c,
                            coarse.faceZ.data() + c};
    coarsenRow(sums, fine.nx);
  });
  parallel::parallelFor({0, coarse.size()}, std::size_t(kVoxelsPerChunk), [&](IndexRange r) {
    coarseDiagonals(diagonal.data() + r.begin, coarse.faceX.data() + r.begin,
                    coarse.faceY.data() + r.begin, coarse.faceZ.data() + r.begin,
                    coarse.diagonal.data() + r.begin, coarse.inverseDiagonal.data() + r.begin,
                    std::int64_t(r.size()));
  });
  // Faces of coarse voxels without an equation carry nothing.
  forEachRowChunk(coarse, [&](IndexRange rows) {
    const std::int64_t cplane = coarse.nx * coarse.ny;
    for (std::size_t row = rows.begin; row < rows.end; ++row) {
      const std::int64_t J = std::int64_t(row) % coarse.ny, K = std::int64_t(row) / coarse.ny;
      for (std::int64_t I = 0; I < coarse.nx; ++I) {
        const std::int64_t C = I + coarse.nx * std::int64_t(row);
        const bool self = coarse.inverseDiagonal[C] > 0.0f;
        if (!self || I + 1 >= coarse.nx || !(coarse.inverseDiagonal[C + 1] > 0.0f))
          coarse.faceX[C] = 0.0f;
        if (!self || J + 1 >= coarse.ny || !(coarse.inverseDiagonal[C + coarse.nx] > 0.0f))
          coarse.faceY[C] = 0.0f;
        if (!self || K + 1 >= coarse.nz || !(coarse.inverseDiagonal[C + cplane] > 0.0f))
          coarse.faceZ[C] = 0.0f;
      }
    }
  });
}

// A grid too small to coarsen: its correction from zero by sweeps in grid order (and the
// coarsest level's schedule, solveCoarsestSplit, from zero or from its current correction, the
// W-cycle's second visit): its symmetric sweeps, red then black, then black then red (the first
// black half-sweep of the second half is left out: the black voxels already hold what it would
// compute, since the red ones have not changed since the last black half-sweep; the same bits).
void solveCoarsest(MultigridLevel& l, bool fromZero) {
  for (int s = 0; s < kCoarsestSweeps; ++s) {
    if (s == 0 && fromZero)
      firstRedSweepFromZero(l);
    else
      sweepColour(l, 0);
    sweepColour(l, 1);
  }
  for (int s = 0; s < kCoarsestSweeps; ++s) {
    if (s > 0) sweepColour(l, 1);
    sweepColour(l, 0);
  }
}

// ---- The levels by colour (ColourSplitLevel in the header) ----

// Where splitRow writes one colour's values of a row: red's arrays, or, for black's faces and
// diagonal (which nothing reads: runFaces), a sink row that stays in the cache.
struct RowOut {
  float *west, *east, *south, *north, *down, *up, *inverseDiagonal, *diagonal;
};

RowOut rowOut(ColourSplitLevel& s, int c, std::int64_t start, float* sink) {
  ColourSplitLevel::Colour& colour = s.colours[std::size_t(c)];
  float* inverse = colour.inverseDiagonal.data() + start;
  const std::int64_t r = s.rowLength;  // a sink row each (the stores are restrict)
  if (c == 1)
    return {sink,         sink + r,     sink + 2 * r, sink + 3 * r,
            sink + 4 * r, sink + 5 * r, inverse,      sink + 6 * r};
  return {colour.west.data() + start,
          colour.east.data() + start,
          colour.south.data() + start,
          colour.north.data() + start,
          colour.down.data() + start,
          colour.up.data() + start,
          inverse,
          colour.diagonal.data() + start};
}

// Voxel i of the grid-ordered row that starts at `base` into slot `slot` of colour c of the split
// level, one voxel at a time (a row's first voxel pair and its odd end; splitRowPairs has the
// rest): its faces to -x, +x, -y, +y, -z, +z (0 towards the grid's edge: no -y neighbour on the
// grid's first row, `south` false, no -z on its first slice, `down` false; every face 0 on a fixed
// voxel, so its correction and residual are 0 by arithmetic), its inverse diagonal and diagonal (0
// on a fixed voxel).
void splitVoxel(const LevelOperator& l, const RowOut& c, std::int64_t base, std::int64_t m,
                std::int64_t i, bool south, bool down) {
  const std::int64_t n = base + i, plane = l.nx * l.ny;
  const bool free = l.inverseDiagonal[n] > 0.0f;
  c.west[m] = free && i > 0 ? l.faceX[n - 1] : 0.0f;
  c.east[m] = free ? l.faceX[n] : 0.0f;
  c.south[m] = free && south ? l.faceY[n - l.nx] : 0.0f;
  c.north[m] = free ? l.faceY[n] : 0.0f;
  c.down[m] = free && down ? l.faceZ[n - plane] : 0.0f;
  c.up[m] = free ? l.faceZ[n] : 0.0f;
  c.inverseDiagonal[m] = l.inverseDiagonal[n];
  c.diagonal[m] = free ? l.diagonal[n] : 0.0f;
}

// A row's voxel pairs (i = 2 m, 2 m + 1; voxel 2 m is voxel m of one colour, e, voxel 2 m + 1
// voxel m of the other, o) by splitVoxel's rule, for one pair of a voxel's values: low (its face
// to -x, -y or -z, or its inverse diagonal) and high (its face to +x, +y or +z, or its diagonal),
// each kept on a free voxel and 0 on a fixed one; without HasLow, low is 0 (no -y or -z neighbour
// row). One loop reads the row's arrays contiguously and writes both colours, which the compiler
// vectorises; the voxel-by-voxel loop it replaces read every other voxel, once per colour, and
// stayed scalar (3 % of the RF run's one-thread samples). GCC 12 vectorises it only so: every
// value read unconditionally (a select of a load that may not happen is not), each of a pair's
// values selected by its own voxel's flag (a value that crosses between the pair's lanes, such
// as voxel 2 m's face to -x read as voxel 2 m - 1's to +x, or a store to one colour only, kept
// the loop scalar: so black's faces and diagonal, which nothing reads, go to a sink row in the
// cache), the stores through restrict parameters (GCC takes restrict from parameters only), a few
// arrays a loop.
template <bool HasLow>
[[gnu::always_inline]] inline void splitPairs(const float* low, const float* high,
                                              const float* inverse, float* __restrict eLow,
                                              float* __restrict oLow, float* __restrict eHigh,
                                              float* __restrict oHigh, std::int64_t pairs) {
  for (std::int64_t m = 0; m < pairs; ++m) {
    const float inverseA = inverse[2 * m], inverseB = inverse[2 * m + 1];
    const float lowA = HasLow ? low[2 * m] : 0.0f, lowB = HasLow ? low[2 * m + 1] : 0.0f;
    const float highA = high[2 * m], highB = high[2 * m + 1];
    const bool freeA = inverseA > 0.0f, freeB = inverseB > 0.0f;
    eLow[m] = freeA ? lowA : 0.0f;
    oLow[m] = freeB ? lowB : 0.0f;
    eHigh[m] = freeA ? highA : 0.0f;
    oHigh[m] = freeB ? highB : 0.0f;
  }
}

// Row (j, k) of l into both colours of s (sink: seven rows of s.rowLength floats, written and
// never read): its first voxel pair and an odd end voxel by splitVoxel, the pairs between by
// splitPairs (its inverse diagonal read as its own "low" value: it is 0 on a fixed voxel, so the
// select keeps it).
TWINPLAN_ABLATION_WIDE_LOOPS void splitRow(const LevelOperator& l, ColourSplitLevel& s,
                                           std::int64_t j, std::int64_t k, float* sink) {
  const std::int64_t base = l.nx * (j + l.ny * k), start = s.rowStart(j, k);
  const int even = int((j + k) & 1);
  const bool south = j > 0, down = k > 0;
  const RowOut e = rowOut(s, even, start, sink), o = rowOut(s, 1 - even, start, sink);
  splitVoxel(l, e, base, 0, 0, south, down);
  // (A row one voxel long, as a composite box one cell wide has, holds no second voxel.)
  if (l.nx > 1) splitVoxel(l, o, base, 0, 1, south, down);
  if (l.nx % 2 == 1) splitVoxel(l, e, base, l.nx / 2, l.nx - 1, south, down);
  // The pairs from m = 1 on: reads from the row's voxel 2, writes from slot 1.
  const std::int64_t from = base + 2, pairs = l.nx / 2 - 1;
  const float* inverse = l.inverseDiagonal + from;
  splitPairs<true>(l.faceX + from - 1, l.faceX + from, inverse, e.west + 1, o.west + 1, e.east + 1,
                   o.east + 1, pairs);
  // (Plain branches, no lambda: a lambda would be a function of its own, built for the baseline.)
  if (south)
    splitPairs<true>(l.faceY + from - l.nx, l.faceY + from, inverse, e.south + 1, o.south + 1,
                     e.north + 1, o.north + 1, pairs);
  else
    splitPairs<false>(nullptr, l.faceY + from, inverse, e.south + 1, o.south + 1, e.north + 1,
                      o.north + 1, pairs);
  if (down)
    splitPairs<true>(l.faceZ + from - l.nx * l.ny, l.faceZ + from, inverse, e.down + 1, o.down + 1,
                     e.up + 1, o.up + 1, pairs);
  else
    splitPairs<false>(nullptr, l.faceZ + from, inverse, e.down + 1, o.down + 1, e.up + 1, o.up + 1,
                      pairs);
  splitPairs<true>(inverse, l.diagonal + from, inverse, e.inverseDiagonal + 1,
                   o.inverseDiagonal + 1, e.diagonal + 1, o.diagonal + 1, pairs);
}

void splitRows(const LevelOperator& l, ColourSplitLevel& s, IndexRange rows) {
  std::vector<float> sink(std::size_t(7 * s.rowLength));
  for (RowCursor at(rows.begin, s.ny); at.k * s.ny + at.j < std::int64_t(rows.end); at.next())
    splitRow(l, s, at.j, at.k, sink.data());
}

// Fills s from the grid-ordered level l: every array sized with its frame, the frame, the unused
// ends of rows and fixed voxels zero (faces and inverse diagonals 0 there keep them out of every
// update; a free voxel's face to a fixed one stays, the fixed correction being 0).
// A rebuild on a grid of the same size writes the voxels only: the frame and the unused ends of
// rows are still zero (clearing 20 arrays per build cost 6 % of a nested box's solve). The
// half-sweeps (relaxPlane, firstRedPlane) run over whole halves and do write those slots, but
// what they write there is (b + faces . y) x inverse with b, faces and inverse zero and every y
// finite: 0 again.
void splitByColour(const LevelOperator& l, ColourSplitLevel& s) {
  const bool sameSize = s.nx == l.nx && s.ny == l.ny && s.nz == l.nz;
  s.nx = l.nx;
  s.ny = l.ny;
  s.nz = l.nz;
  s.rowLength = (l.nx + 1) / 2 + 2;
  s.half = s.rowLength * (l.ny / 2 + 2);
  s.plane = 2 * s.half;
  const auto size = std::size_t(s.plane * (l.nz + 2));
  if (!sameSize) {
    // Black keeps no faces and no diagonal (runFaces: red holds every face).
    ColourSplitLevel::Colour& black = s.colours[1];
    for (std::vector<float>* v : {&black.west, &black.east, &black.south, &black.north, &black.down,
                                  &black.up, &black.diagonal})
      v->clear();
    ColourSplitLevel::Colour& red = s.colours[0];
    std::vector<std::vector<float>*> arrays{&red.west, &red.east, &red.south,   &red.north,
                                            &red.down, &red.up,   &red.diagonal};
    for (ColourSplitLevel::Colour& c : s.colours)
      for (std::vector<float>* v : {&c.inverseDiagonal, &c.correction, &c.rightHandSide})
        arrays.push_back(v);
    // An array a task: a first build's arrays are touched for the first time here (the nested
    // box's thirteen, 4 MB: their page faults took up to 20 ms of the calling thread on the 100^3
    // RF run), now by both threads.
    parallel::parallelFor({0, arrays.size()}, 1, [&](IndexRange r) {
      for (std::size_t a = r.begin; a < r.end; ++a) arrays[a]->assign(size, 0.0f);
    });
  }
  // A coarse level's split, once a build, writes nine arrays a voxel pair: in two chunks from
  // kSmallestSplit voxels (so the nested box's first coarse level, 15 876 voxels, is split by
  // both threads), where one join costs far less than the half it hands over (the cycle's many
  // short loops are another matter: kSmallestParallelLoop).
  constexpr std::int64_t kSmallestSplit = 4096;
  const IndexRange rows = allRows(s);
  const std::size_t perChunk =
      s.nx * s.ny * s.nz < kSmallestParallelLoop && s.nx * s.ny * s.nz >= kSmallestSplit
          ? (rows.end + 1) / 2
          : rowsPerChunk(s);
  if (perChunk >= rows.end) {
    splitRows(l, s, rows);
    return;
  }
  parallel::parallelFor(rows, perChunk, [&](IndexRange chunk) { splitRows(l, s, chunk); });
}

// rhs of both colours of plane k from a grid-ordered vector (0 on fixed voxels), or back: z
// from the correction. A row's voxel pairs (2 m, 2 m + 1) are voxel m of the colour with
// f = 0 and of the other: one loop over the pairs reads (or writes) the row contiguously, which
// the compiler vectorises (two loops, one per colour, each reading every other voxel, did not).
template <class T>
[[gnu::always_inline]] inline void packPlane(ColourSplitLevel& s, const T* r, std::int64_t k) {
  for (std::int64_t j = 0; j < s.ny; ++j) {
    const std::int64_t start = s.rowStart(j, k), even = (j + k) & 1;
    const T* __restrict from = r + s.nx * (j + s.ny * k);
    ColourSplitLevel::Colour &first = s.colours[std::size_t(even)],
                             &second = s.colours[std::size_t(1 - even)];
    float* __restrict b0 = first.rightHandSide.data() + start;
    float* __restrict b1 = second.rightHandSide.data() + start;
    const float* __restrict inverse0 = first.inverseDiagonal.data() + start;
    const float* __restrict inverse1 = second.inverseDiagonal.data() + start;
    const std::int64_t pairs = s.nx / 2;
    for (std::int64_t m = 0; m < pairs; ++m) {
      const float r0 = float(from[2 * m]), r1 = float(from[2 * m + 1]);
      b0[m] = inverse0[m] > 0.0f ? r0 : 0.0f;
      b1[m] = inverse1[m] > 0.0f ? r1 : 0.0f;
    }
    if (s.nx % 2 == 1) b0[pairs] = inverse0[pairs] > 0.0f ? float(from[2 * pairs]) : 0.0f;
  }
}

template <class T>
[[gnu::always_inline]] inline void unpackPlane(const ColourSplitLevel& s, T* z, std::int64_t k) {
  for (std::int64_t j = 0; j < s.ny; ++j) {
    const std::int64_t start = s.rowStart(j, k), even = (j + k) & 1;
    T* __restrict to = z + s.nx * (j + s.ny * k);
    const float* __restrict x0 = s.colours[std::size_t(even)].correction.data() + start;
    const float* __restrict x1 = s.colours[std::size_t(1 - even)].correction.data() + start;
    const std::int64_t pairs = s.nx / 2;
    for (std::int64_t m = 0; m < pairs; ++m) {
      to[2 * m] = T(x0[m]);
      to[2 * m + 1] = T(x1[m]);
    }
    if (s.nx % 2 == 1) to[2 * pairs] = T(x0[pairs]);
  }
}

// The voxels of plane k's rows of the parity of j `odd` as one run: from the first row's first
// voxel to the last row's last, the empty voxels between rows included (ColourSplitLevel).
struct HalfRun {
  std::int64_t start = 0, count = 0;
};
// The run is lengthened to a whole number of kRunMultiple voxels where the frame after it allows
// (up to the odd half's first row, the frame's, after the even half; up to the plane's last slot
// after the odd half: frameRow + half is the next plane's first): the slots added are frame
// voxels, whose faces, inverse diagonal and right-hand side are zero, so a half-sweep writes 0
// there again (splitByColour), and the run's loops end without a scalar remainder. On the coarse
// levels, where a half holds a few dozen voxels (13 on the nested box's coarsest, 6 x 6 x 9,
// visited eight times a cycle with 48 half-sweeps a visit on the calling thread), that remainder
// was a large part of each loop.
constexpr std::int64_t kRunMultiple = 8;  // floats in an AVX2 vector (two SSE2 ones)
inline HalfRun halfRun(const ColourSplitLevel& s, int c, std::int64_t k, std::int64_t odd) {
  const std::int64_t last = s.ny - 1 - ((s.ny - 1 - odd) & 1);
  if (last < odd) return {};
  const std::int64_t start = s.rowStart(odd, k), frameRow = s.rowStart(-1, k);
  const std::int64_t count = s.rowStart(last, k) + s.rowCount(c, last, k) - start;
  const std::int64_t limit = odd != 0 ? frameRow + s.half - 1 : frameRow + s.rowLength;
  const std::int64_t padded = (count + kRunMultiple - 1) / kRunMultiple * kRunMultiple;
  return {start, std::min(padded, limit - start)};
}

// The faces of colour c's run from `start` (shift, S, N: relaxRow's). Every face joins a red and
// a black voxel, so only red stores them (ColourSplitLevel): a black voxel's face to -x is the
// east face of its red neighbour to -x, read where relaxRow reads that neighbour's correction,
// and so on. The values are the same as with black's own faces but where a face joins a fixed
// voxel: red keeps 0 on its fixed voxels, black kept the face on its free ones. Such a face
// multiplies a fixed voxel's correction, ±0, and f x ±0 and 0 x ±0 are the same zero; a fixed
// black voxel's correction (its sum times a zero inverse diagonal) may now be -0 where it was +0,
// and a signed zero changes no sum it is added to but one of zeros: the fingerprints stayed.
[[gnu::always_inline]] inline RunFaces runFaces(const ColourSplitLevel& s, int c,
                                                std::int64_t start, std::int64_t shift,
                                                std::int64_t S, std::int64_t N) {
  const ColourSplitLevel::Colour& red = s.colours[0];
  if (c == 0)
    return {red.west.data() + start,  red.east.data() + start, red.south.data() + start,
            red.north.data() + start, red.down.data() + start, red.up.data() + start};
  return {red.east.data() + start + shift - 1, red.west.data() + start + shift,
          red.north.data() + start + S,        red.south.data() + start + N,
          red.up.data() + start - s.plane,     red.down.data() + start + s.plane};
}

// One Gauss-Seidel half-sweep over the voxels of colour c in plane k, a half at a time.
[[gnu::always_inline]] inline void relaxPlane(ColourSplitLevel& s, int c, std::int64_t k) {
  ColourSplitLevel::Colour& self = s.colours[std::size_t(c)];
  const float* y = s.colours[std::size_t(1 - c)].correction.data();
  for (std::int64_t odd = 0; odd < 2; ++odd) {
    const HalfRun run = halfRun(s, c, k, odd);
    const std::int64_t shift = (c + odd + k) & 1, S = s.southOffset(odd), N = s.northOffset(odd);
    relaxRow(self.correction.data() + run.start, self, runFaces(s, c, run.start, shift, S, N), y,
             run.start, run.count, shift, S, N, s.plane);
  }
}

// The first red half-sweep of a cycle over plane k: from a zero correction, x = b / d (as on a
// MultigridLevel, firstRedSweepFromZero).
[[gnu::always_inline]] inline void firstRedPlane(ColourSplitLevel& s, std::int64_t k) {
  ColourSplitLevel::Colour& red = s.colours[0];
  for (std::int64_t odd = 0; odd < 2; ++odd) {
    const HalfRun run = halfRun(s, 0, k, odd);
    const float* __restrict b = red.rightHandSide.data() + run.start;
    const float* __restrict inverse = red.inverseDiagonal.data() + run.start;
    float* __restrict x = red.correction.data() + run.start;
    for (std::int64_t m = 0; m < run.count; ++m) x[m] = b[m] * inverse[m];
  }
}

// rhs_C = the sum of the children's residuals, of the red ones only: after a half-sweep of the
// black voxels their residuals are zero (up to the float rounding of that sweep, which the
// grid-ordered cycle restricted). In row (j, k) the red voxel of the pair i = 2I, 2I + 1 is red
// voxel m = I, so a coarse row sums its (up to four) fine rows' red residuals element by element;
// a row without a red voxel in its last pair reads the slot after its last voxel, which stays
// zero (splitByColour).
// rhs = (First) or += the red residuals of row (j, k), m in [0, count) (see relaxRow for the
// restrict). Fixed voxels' arrays are all zero (splitByColour), so their residual is 0 without
// a select, which GCC would not vectorise here.
template <bool First>
[[gnu::always_inline]] inline void addRedResidualRow(float* __restrict rhs,
                                                     const ColourSplitLevel::Colour& red,
                                                     const float* x, const float* y,
                                                     std::int64_t start, std::int64_t count,
                                                     std::int64_t shift, std::int64_t S,
                                                     std::int64_t N, std::int64_t P) {
  const float *b = red.rightHandSide.data() + start, *w = red.west.data() + start,
              *e = red.east.data() + start, *so = red.south.data() + start,
              *no = red.north.data() + start, *d = red.down.data() + start,
              *u = red.up.data() + start, *diagonal = red.diagonal.data() + start;
  x += start;
  y += start;
  for (std::int64_t m = 0; m < count; ++m) {
    const float r = b[m] - diagonal[m] * x[m] + w[m] * y[m + shift - 1] + e[m] * y[m + shift] +
                    so[m] * y[m + S] + no[m] * y[m + N] + d[m] * y[m - P] + u[m] * y[m + P];
    if constexpr (First)
      rhs[m] = r;
    else
      rhs[m] += r;
  }
}

// Plane k's red residuals into the coarse rows of plane K = k / 2: written by fine row
// (2 J, 2 K), added by the others, so each coarse voxel sums its children in the order k, j.
[[gnu::always_inline]] inline void restrictPlane(const ColourSplitLevel& s, MultigridLevel& coarse,
                                                 std::int64_t k) {
  const ColourSplitLevel::Colour& red = s.colours[0];
  const float *x = red.correction.data(), *y = s.colours[1].correction.data();
  for (std::int64_t j = 0; j < s.ny; ++j) {
    float* rhs = coarse.rightHandSide.data() + (j / 2 + coarse.ny * (k / 2)) * coarse.nx;
    const std::int64_t start = s.rowStart(j, k), shift = (j + k) & 1;
    const std::int64_t S = s.southOffset(j), N = s.northOffset(j);
    if (k % 2 == 0 && j % 2 == 0)
      addRedResidualRow<true>(rhs, red, x, y, start, coarse.nx, shift, S, N, s.plane);
    else
      addRedResidualRow<false>(rhs, red, x, y, start, coarse.nx, shift, S, N, s.plane);
  }
}

// correction += the coarse correction of each free voxel's block (i / 2 = m in either colour).
[[gnu::always_inline]] inline void prolongRow(float* __restrict x, const float* from,
                                              const float* inverse, std::int64_t count) {
  for (std::int64_t m = 0; m < count; ++m) {
    const float add = from[m];  // read unconditionally, so the loop vectorises
    x[m] += inverse[m] > 0.0f ? add : 0.0f;
  }
}

// Plane k's prolongation: to the red voxels only, as prolongCorrection (the black half-sweep
// after it overwrites the black ones).
[[gnu::always_inline]] inline void prolongPlane(const MultigridLevel& coarse, ColourSplitLevel& s,
                                                std::int64_t k) {
  ColourSplitLevel::Colour& red = s.colours[0];
  for (std::int64_t j = 0; j < s.ny; ++j) {
    const float* from = coarse.correction.data() + coarse.nx * (j / 2 + coarse.ny * (k / 2));
    const std::int64_t start = s.rowStart(j, k);
    prolongRow(red.correction.data() + start, from, red.inverseDiagonal.data() + start,
               s.rowCount(0, j, k));
  }
}

// ---- The split level's passes fused plane by plane ----
//
// A cycle on the split level is two passes over it: the right-hand side packed, the smoothing
// (first red from zero, black, red, black) and the red residual restricted; then, after the
// coarse correction, the prolongation, the smoothing (black, red, black, red) and the correction
// unpacked. Run one after the other, each stage streams the level's arrays (about 5 MB on the
// nested box, beyond the L2 cache) from memory again. A FusedPass runs them as a wavefront over
// the planes k instead: at each step, stage 0 on plane t, then each later stage on a plane
// behind the one before it, so every plane is handled by every stage while it is still in the
// cache. A stage that reads the planes k - 1 .. k + 1 of what the stage before it wrote (a
// half-sweep reads the other colour's neighbours) runs one plane behind it (reach 1); one that
// reads only its own plane (a half-sweep after the packing, the unpacking after the last one)
// runs beside it (reach 0). Then a stage reads, in every plane, just what it read when the
// stages ran one after the other (its predecessor's values already, its successor's not yet),
// and does the same arithmetic in the same order voxel by voxel: the same bits. (Measured, branch
// ablwave: the cache reuse alone saved nothing on one thread, the half-sweeps being bound by their
// loops rather than by memory; a pass is also two parallel loops where the stages were one each,
// fewer hand-overs between the threads.)
//
// In parallel, the planes are cut into one chunk per thread (even bounds, so a coarse plane's two
// fine planes stay together). Each chunk runs the wavefront on what it can without its
// neighbours: stage s on the chunk's planes less lag(s) at each inner edge (a trapezoid); after
// they join, the wedges left at each inner edge b (stage s on planes b - lag(s) .. b + lag(s) - 1)
// run as a wavefront of their own. Neither reads a plane another is writing, and no chunking
// changes what any stage reads: the bits do not depend on the thread count.

enum class PlaneStage : std::uint8_t { Pack, FirstRed, Red, Black, RestrictRed, Prolong, Unpack };

struct FusedPass {
  static constexpr int kMaxStages = 2 * kSmoothingSweeps + 2;
  std::array<PlaneStage, kMaxStages> stages{};
  std::array<std::int64_t, kMaxStages> lag{};  // planes behind stage 0
  int count = 0;
  void add(PlaneStage stage, std::int64_t reach) {
    lag[std::size_t(count)] = count == 0 ? 0 : lag[std::size_t(count) - 1] + reach;
    stages[std::size_t(count++)] = stage;
  }
  std::int64_t depth() const { return lag[std::size_t(count) - 1]; }
};

// The pass before the coarse correction: pack and presmooth from zero (fromZero), or presmooth
// from the level's correction (the W-cycle's second visit of a coarse level: its right-hand side
// is the one packed by the first); restrict the red residual.
FusedPass smoothingAndRestriction(bool fromZero) {
  FusedPass pass;
  if (fromZero) pass.add(PlaneStage::Pack, 0);
  for (int sweep = 0; sweep < kSmoothingSweeps; ++sweep) {
    const bool first = sweep == 0 && fromZero;
    pass.add(first ? PlaneStage::FirstRed : PlaneStage::Red, first ? 0 : 1);
    pass.add(PlaneStage::Black, 1);
  }
  pass.add(PlaneStage::RestrictRed, 1);
  return pass;
}

// The pass after it: prolong, postsmooth (black first: the prolongation leaves black to it),
// unpack.
FusedPass prolongationAndSmoothing() {
  FusedPass pass;
  pass.add(PlaneStage::Prolong, 0);
  for (int sweep = 0; sweep < kSmoothingSweeps; ++sweep) {
    pass.add(PlaneStage::Black, 1);
    pass.add(PlaneStage::Red, 1);
  }
  pass.add(PlaneStage::Unpack, 0);
  return pass;
}

// What a pass's stages work on: the split level, the coarse level it restricts to and prolongs
// from, the grid-ordered vector it packs from or unpacks to.
template <class T>
struct PassLevels {
  ColourSplitLevel& split;
  MultigridLevel& coarse;
  const T* packFrom;
  T* unpackTo;
};

// The planes [first[s], end[s]) each stage of a pass runs on in one piece of the wavefront.
struct StagePlanes {
  std::array<std::int64_t, FusedPass::kMaxStages> first{}, end{};
};

template <class T>
[[gnu::always_inline]] inline void runStage(PlaneStage stage, const PassLevels<T>& l,
                                            std::int64_t k) {
  switch (stage) {
    case PlaneStage::Pack:
      packPlane(l.split, l.packFrom, k);
      break;
    case PlaneStage::FirstRed:
      firstRedPlane(l.split, k);
      break;
    case PlaneStage::Red:
      relaxPlane(l.split, 0, k);
      break;
    case PlaneStage::Black:
      relaxPlane(l.split, 1, k);
      break;
    case PlaneStage::RestrictRed:
      restrictPlane(l.split, l.coarse, k);
      break;
    case PlaneStage::Prolong:
      prolongPlane(l.coarse, l.split, k);
      break;
    case PlaneStage::Unpack:
      unpackPlane(l.split, l.unpackTo, k);
      break;
  }
}

// The wavefront over one piece: at step t, stage s on plane t - lag(s) where that is its own.
template <class T>
[[gnu::always_inline]] inline void runWavefront(const FusedPass& pass, const PassLevels<T>& l,
                                                const StagePlanes& planes) {
  std::int64_t from = planes.first[0], to = planes.end[0];
  for (int s = 1; s < pass.count; ++s) {
    from = std::min(from, planes.first[std::size_t(s)] + pass.lag[std::size_t(s)]);
    to = std::max(to, planes.end[std::size_t(s)] + pass.lag[std::size_t(s)]);
  }
  for (std::int64_t t = from; t < to; ++t)
    for (int s = 0; s < pass.count; ++s) {
      const std::int64_t k = t - pass.lag[std::size_t(s)];
      if (k >= planes.first[std::size_t(s)] && k < planes.end[std::size_t(s)])
        runStage(pass.stages[std::size_t(s)], l, k);
    }
}

// The wavefront on the CG's float vectors is built for SSE2 and AVX2 and picked when the program
// loads (TWINPLAN_ABLATION_WIDE_LOOPS, stencil_solver.h: no FMA, so the same operations round the
// same way at either width and the bits do not depend on it); its row loops are inlined into it.
TWINPLAN_ABLATION_WIDE_LOOPS void runFloatWavefront(const FusedPass& pass,
                                                    const PassLevels<float>& l,
                                                    const StagePlanes& planes) {
  runWavefront(pass, l, planes);
}

template <class T>
void runPiece(const FusedPass& pass, const PassLevels<T>& l, const StagePlanes& planes) {
  if constexpr (std::is_same_v<T, float>)
    runFloatWavefront(pass, l, planes);
  else
    runWavefront(pass, l, planes);
}

// A chunk's trapezoid: stage s on [a, b) less lag(s) at each edge that is not the grid's.
StagePlanes trapezoid(const FusedPass& pass, std::int64_t a, std::int64_t b, std::int64_t nz) {
  StagePlanes planes;
  for (std::size_t s = 0; s < std::size_t(pass.count); ++s) {
    planes.first[s] = a == 0 ? 0 : a + pass.lag[s];
    planes.end[s] = b == nz ? nz : b - pass.lag[s];
  }
  return planes;
}

// The wedge the trapezoids leave at the inner edge b.
StagePlanes wedge(const FusedPass& pass, std::int64_t b) {
  StagePlanes planes;
  for (std::size_t s = 0; s < std::size_t(pass.count); ++s) {
    planes.first[s] = b - pass.lag[s];
    planes.end[s] = b + pass.lag[s];
  }
  return planes;
}

// The fewest voxels a fused pass is split for. Below kSmallestParallelLoop: a pass is two joins
// (the trapezoids, the wedges) where the unfused stages were one join each, so the nested box's
// first coarse level (21 x 21 x 36 = 15 876 voxels on the 100^3 RF run, visited twice a cycle)
// is now split too, which halved the calling thread's serial samples in the nested solves
// (branch ablwave2; measured only on a loaded host: with the second core taken by other
// processes the joins cost about 5 % more CPU); its second (11 x 11 x 18 = 2 178 voxels) is not:
// its 18 planes make two chunks (twoChunksFit), but split from 2 048 voxels (with the composite
// grid's 13^3 level) it gained nothing on two threads (branch ablwedge: the main thread's
// samples in the coarse cycles unchanged; the joins cost what the halved trapezoids save).
constexpr std::int64_t kSmallestParallelPass = 8192;

// FusedPassScheduleForTesting's settings: chunks forced (0: none), stages run one by one.
std::atomic<int> forcedPassChunks{0};
std::atomic<bool> passStageByStage{false};

// Two chunks of planes [0, b) and [b, nz), b = bound(1) of runPass (even), fit when each side of
// their one wedge holds its widest stage: the wedge's stage s spans b - lag(s) .. b + lag(s) - 1,
// so b >= depth and nz - b >= depth. The trapezoids need no more: chunk 0 writes a stage's planes
// below b - lag(s) and reads at most one plane further, chunk 1 writes from b + lag(s) and reads
// one plane nearer, and lag(s) >= 1 for every stage that reads its neighbour planes, so neither
// reads a plane the other writes; the wedge then finds its stages' predecessors beyond it done.
// (More chunks need 2 (depth + 1) planes each: a middle chunk's two wedges run side by side.)
bool twoChunksFit(const FusedPass& pass, std::int64_t nz) {
  const std::int64_t b = 2 * ((nz / 2) / 2);
  return b >= pass.depth() && nz - b >= pass.depth();
}

// One chunk of planes per thread, each at least 2 (depth + 1) planes wide (so that a wedge
// reads no plane another wedge writes, and a wedge's stages find their predecessors' planes
// beyond it done by the trapezoids), or two narrower ones (twoChunksFit); one chunk below
// kSmallestParallelPass voxels.
std::int64_t passChunks(const FusedPass& pass, const ColourSplitLevel& s) {
  std::int64_t widest = std::max<std::int64_t>(1, (s.nz / 2) / (pass.depth() + 1));
  if (widest < 2 && twoChunksFit(pass, s.nz)) widest = 2;
  if (const int forced = forcedPassChunks.load(std::memory_order_relaxed); forced > 0)
    return std::min<std::int64_t>(forced, widest);
  if (s.nx * s.ny * s.nz < kSmallestParallelPass) return 1;
  return std::min<std::int64_t>(widest, parallel::maxThreads());
}

// A pass's stages one after the other, each over the whole level (FusedPassScheduleForTesting).
template <class T>
void runStageByStage(const FusedPass& pass, const PassLevels<T>& l) {
  for (std::size_t s = 0; s < std::size_t(pass.count); ++s) {
    StagePlanes planes;  // every other stage on no plane
    planes.end[s] = l.split.nz;
    runPiece(pass, l, planes);
  }
}

template <class T>
void runPass(const FusedPass& pass, const PassLevels<T>& l) {
  if (passStageByStage.load(std::memory_order_relaxed)) {
    runStageByStage(pass, l);
    return;
  }
  const std::int64_t nz = l.split.nz, chunks = passChunks(pass, l.split);
  if (chunks == 1) {
    runPiece(pass, l, trapezoid(pass, 0, nz, nz));
    return;
  }
  // Chunk c: planes [bound(c), bound(c + 1)), even bounds.
  auto bound = [&](std::int64_t c) { return c == chunks ? nz : 2 * ((nz / 2) * c / chunks); };
  parallel::parallelFor({0, std::size_t(chunks)}, 1, [&](IndexRange r) {
    for (std::size_t c = r.begin; c < r.end; ++c)
      runPiece(pass, l, trapezoid(pass, bound(std::int64_t(c)), bound(std::int64_t(c) + 1), nz));
  });
  parallel::parallelFor({1, std::size_t(chunks)}, 1, [&](IndexRange r) {
    for (std::size_t c = r.begin; c < r.end; ++c)
      runPiece(pass, l, wedge(pass, bound(std::int64_t(c))));
  });
}

// The coarsest level's correction on its split copy, as solveCoarsest() on a grid-ordered one:
// r packed (fromZero; the W-cycle's second visit keeps the right-hand side of the first), the
// symmetric sweeps stage after stage over the whole level (a few hundred voxels, in the cache:
// nothing to fuse), the correction unpacked to z. Built for SSE2 and AVX2 as the passes are.
TWINPLAN_ABLATION_WIDE_LOOPS void solveCoarsestSplit(ColourSplitLevel& s, const float* r, float* z,
                                                     bool fromZero) {
  // (Plain loops, no lambdas: a lambda would be a function of its own, built for the baseline.)
  const std::int64_t nz = s.nz;
  if (fromZero)
    for (std::int64_t k = 0; k < nz; ++k) packPlane(s, r, k);
  for (int sweep = 0; sweep < kCoarsestSweeps; ++sweep) {
    for (std::int64_t k = 0; k < nz; ++k) {
      if (sweep == 0 && fromZero)
        firstRedPlane(s, k);
      else
        relaxPlane(s, 0, k);
    }
    for (std::int64_t k = 0; k < nz; ++k) relaxPlane(s, 1, k);
  }
  for (int sweep = 0; sweep < kCoarsestSweeps; ++sweep) {
    if (sweep > 0)
      for (std::int64_t k = 0; k < nz; ++k) relaxPlane(s, 1, k);
    for (std::int64_t k = 0; k < nz; ++k) relaxPlane(s, 0, k);
  }
  for (std::int64_t k = 0; k < nz; ++k) unpackPlane(s, z, k);
}

// A cycle on a split level from zero (or, not fromZero, from its correction, with the right-hand
// side of the last cycle): r packed, smoothing, the red residual restricted to `coarse`,
// correct() (which leaves the coarse correction in coarse.correction, and may add to s's
// right-hand side what the smoothing after it must see), the correction prolonged, smoothing in
// the reverse colour order, unpacked to z. ConductionMultigrid's correct() cycles its next level;
// CompositeMultigrid's solves the coarse grid.
template <class T, class CoarseCorrection>
void splitCycle(ColourSplitLevel& s, MultigridLevel& coarse, const T* r, T* z,
                CoarseCorrection&& correct, bool fromZero = true) {
  static const FusedPass beforeFromZero = smoothingAndRestriction(true),
                         beforeAgain = smoothingAndRestriction(false),
                         after = prolongationAndSmoothing();
  runPass(fromZero ? beforeFromZero : beforeAgain, PassLevels<T>{s, coarse, r, nullptr});
  correct();
  runPass(after, PassLevels<T>{s, coarse, nullptr, z});
}

}  // namespace

FusedPassScheduleForTesting::FusedPassScheduleForTesting(int chunks, bool stageByStage) {
  forcedPassChunks = std::max(chunks, 0);
  passStageByStage = stageByStage;
}

FusedPassScheduleForTesting::~FusedPassScheduleForTesting() {
  forcedPassChunks = 0;
  passStageByStage = false;
}

void ConductionMultigrid::build(std::int64_t nx, std::int64_t ny, std::int64_t nz,
                                std::span<const float> faceX, std::span<const float> faceY,
                                std::span<const float> faceZ, std::span<const double> diagonal,
                                std::span<const std::uint8_t> free) {
  // The levels of an earlier build keep their arrays (allocate() reuses their capacity).
  // A finest level that coarsens is cycled by colour (split_): it needs no work arrays, and its
  // faces are read where the caller keeps them (LevelOperator); one that does not is swept in
  // grid order on its own copy.
  const bool coarse = coarsens(nx, ny, nz);
  if (levels_.size() < (coarse ? 2u : 1u)) levels_.resize(coarse ? 2 : 1);
  MultigridLevel& finest = levels_.front();
  allocate(finest, nx, ny, nz, coarse ? Faces::Lent : Faces::Copied, !coarse);
  parallel::parallelFor(allRows(finest), rowsPerChunk(finest), [&](IndexRange rows) {
    for (std::size_t n = rows.begin * std::size_t(nx); n < rows.end * std::size_t(nx); ++n) {
      const bool unknown = free[n] != 0 && diagonal[n] > 0.0;
      finest.diagonal[n] = float(diagonal[n]);
      finest.inverseDiagonal[n] = unknown ? float(1.0 / diagonal[n]) : 0.0f;
    }
    if (coarse) return;
    for (std::size_t n = rows.begin * std::size_t(nx); n < rows.end * std::size_t(nx); ++n) {
      finest.faceX[n] = faceX[n];
      finest.faceY[n] = faceY[n];
      finest.faceZ[n] = faceZ[n];
    }
  });
  if (!coarse) {
    levels_.resize(1);
    split_.clear();
    return;
  }
  coarsen(operatorOf(finest, faceX, faceY, faceZ), levels_[1]);
  std::size_t depth = 1;
  while (coarsens(levels_[depth].nx, levels_[depth].ny, levels_[depth].nz)) {
    if (levels_.size() < depth + 2) levels_.emplace_back();
    coarsen(operatorOf(levels_[depth]), levels_[depth + 1]);
    ++depth;
  }
  levels_.resize(depth + 1);
  // Every level by colour (after the loop: levels_ may have moved).
  split_.resize(levels_.size());
  splitByColour(operatorOf(levels_.front(), faceX, faceY, faceZ), split_.front());
  for (std::size_t d = 1; d < split_.size(); ++d) splitByColour(operatorOf(levels_[d]), split_[d]);
}

namespace {

// One cycle on level d >= 1 (1: a V-cycle, 2: a W-cycle; the first from zero) on its split copy,
// the coarsest level solved by its sweeps: from the right-hand side the finer level restricted
// into levels[d], the correction back into levels[d].correction, where the finer level's
// prolongation reads it.
void coarseCycle(std::vector<MultigridLevel>& levels, std::vector<ColourSplitLevel>& split,
                 std::size_t d, int coarseCycles, bool fromZero) {
  if (d + 1 == levels.size()) {
    solveCoarsestSplit(split[d], levels[d].rightHandSide.data(), levels[d].correction.data(),
                       fromZero);
    return;
  }
  splitCycle(
      split[d], levels[d + 1], levels[d].rightHandSide.data(), levels[d].correction.data(),
      [&] {
        for (int c = 0; c < coarseCycles; ++c)
          coarseCycle(levels, split, d + 1, coarseCycles, c == 0);
      },
      fromZero);
}

template <class T>
void applyCycle(std::vector<MultigridLevel>& levels, std::vector<ColourSplitLevel>& split,
                int coarseCycles, std::span<const T> residual, std::span<T> z) {
  if (levels.size() > 1) {
    splitCycle(split[0], levels[1], residual.data(), z.data(), [&] {
      for (int c = 0; c < coarseCycles; ++c) coarseCycle(levels, split, 1, coarseCycles, c == 0);
    });
    return;
  }
  MultigridLevel& finest = levels.front();
  parallel::parallelFor({0, finest.size()}, std::size_t(kVoxelsPerChunk), [&](IndexRange r) {
    for (std::size_t n = r.begin; n < r.end; ++n)
      finest.rightHandSide[n] = finest.inverseDiagonal[n] > 0.0f ? float(residual[n]) : 0.0f;
  });
  solveCoarsest(finest, true);
  parallel::parallelFor({0, finest.size()}, std::size_t(kVoxelsPerChunk), [&](IndexRange r) {
    for (std::size_t n = r.begin; n < r.end; ++n) z[n] = finest.correction[n];
  });
}

}  // namespace

void ConductionMultigrid::apply(std::span<const double> residual, std::span<double> z) {
  applyCycle(levels_, split_, coarseCycles_, residual, z);
}

void ConductionMultigrid::apply(std::span<const float> residual, std::span<float> z) {
  applyCycle(levels_, split_, coarseCycles_, residual, z);
}

void ConductionMultigrid::applyInPlace(std::vector<float>& residual, std::vector<float>& z) {
  z.resize(levels_.front().size());
  applyCycle(levels_, split_, coarseCycles_, std::span<const float>(residual), std::span<float>(z));
}

}  // namespace twinplan::ablation::detail

namespace twinplan::ablation::detail {

void CouplingRuns::group(std::span<const CompositeCoupling> couplings, bool byCell) {
  auto target = [&](const CompositeCoupling& c) { return byCell ? c.cell : c.box; };
  const bool same =
      targets.size() == couplings.size() &&
      std::equal(couplings.begin(), couplings.end(), targets.begin(),
                 [&](const CompositeCoupling& c, std::uint32_t t) { return target(c) == t; });
  if (same) return;
  targets.resize(couplings.size());
  order.resize(couplings.size());
  for (std::size_t c = 0; c < couplings.size(); ++c) {
    targets[c] = target(couplings[c]);
    order[c] = std::uint32_t(c);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return targets[a] < targets[b]; });
  // Runs of about 4096 couplings, each start moved on to where the target changes.
  constexpr std::size_t kCouplingsPerRun = 4096;
  auto sameTarget = [&](std::size_t a, std::size_t b) {
    return targets[order[a]] == targets[order[b]];
  };
  starts.clear();
  for (std::size_t p = 0; p < order.size();) {
    starts.push_back(p);
    p = runBoundaryFrom(p + kCouplingsPerRun, order.size(), sameTarget);
  }
}

namespace {
// Every array of a grid's operator holds its `voxels` voxels: the copies below write each over
// one count.
void checkOperatorSizes(std::int64_t voxels, std::initializer_list<std::size_t> sizes) {
  for (std::size_t size : sizes) {
    if (size != std::size_t(voxels)) {
      throw Error(ErrorKind::Internal,
                  "The composite grid's preconditioner was given an operator whose arrays do not "
                  "match its grid's size.",
                  "CompositeMultigrid::build");
    }
  }
}

// Every cell of the coarse grid `cells`, row by row in parallel chunks: outside(c) for a cell
// outside the box, underBody(c, u) for one under it (u its index in `under`, the coarsened box
// whose first cell is boxCell). One pass over the grid and no list of the cells under the box:
// the pass over every cell and the pass over those under the box that it replaces ran the
// second on the calling thread, scattered through a list of indices (the 100^3 RF run's 15 876
// cells under the box are below kSmallestParallelLoop). Each cell is written once, with the
// value the second pass left, so the bits are the same.
template <class Outside, class Under>
void forEachCellAroundBox(const std::array<std::int64_t, 3>& cells,
                          const std::array<std::int64_t, 3>& boxCell, const MultigridLevel& under,
                          Outside&& outside, Under&& underBody) {
  const auto rows = std::size_t(cells[1] * cells[2]);
  parallel::parallelFor({0, rows}, rowsPerChunk(rows, cells[0]), [&](IndexRange chunk) {
    for (std::size_t row = chunk.begin; row < chunk.end; ++row) {
      const auto first = std::int64_t(row) * cells[0], end = first + cells[0];
      const std::int64_t b = std::int64_t(row) % cells[1] - boxCell[1],
                         c = std::int64_t(row) / cells[1] - boxCell[2];
      if (b < 0 || b >= under.ny || c < 0 || c >= under.nz) {
        for (std::int64_t n = first; n < end; ++n) outside(std::size_t(n));
        continue;
      }
      const std::int64_t boxFirst = first + boxCell[0], boxEnd = boxFirst + under.nx;
      const std::int64_t u = under.nx * (b + under.ny * c) - boxFirst;
      for (std::int64_t n = first; n < boxFirst; ++n) outside(std::size_t(n));
      for (std::int64_t n = boxFirst; n < boxEnd; ++n)
        underBody(std::size_t(n), std::size_t(n + u));
      for (std::int64_t n = boxEnd; n < end; ++n) outside(std::size_t(n));
    }
  });
}
}  // namespace

void CompositeMultigrid::build(std::int64_t bx, std::int64_t by, std::int64_t bz,
                               std::span<const float> boxFaceX, std::span<const float> boxFaceY,
                               std::span<const float> boxFaceZ, std::span<const double> boxDiagonal,
                               std::span<const std::uint8_t> boxFree, std::int64_t cx,
                               std::int64_t cy, std::int64_t cz, std::span<const float> cellFaceX,
                               std::span<const float> cellFaceY, std::span<const float> cellFaceZ,
                               std::span<const double> cellDiagonal,
                               std::span<const std::uint8_t> cellFree,
                               const std::array<std::int64_t, 3>& boxCell,
                               std::span<const CompositeCoupling> couplings) {
  checkOperatorSizes(bx * by * bz, {boxFaceX.size(), boxFaceY.size(), boxFaceZ.size(),
                                    boxDiagonal.size(), boxFree.size()});
  checkOperatorSizes(cx * cy * cz, {cellFaceX.size(), cellFaceY.size(), cellFaceZ.size(),
                                    cellDiagonal.size(), cellFree.size()});
  boxCell_ = boxCell;
  cells_ = {cx, cy, cz};
  couplings_.assign(couplings.begin(), couplings.end());
  byBox_.group(couplings_, false);
  byCell_.group(couplings_, true);
  // The box's operator without its couplings (their conductances leave the diagonal): what the
  // cells under the box coarsen, as ConductionMultigrid's levels do. coupled_ is zero between
  // builds: cleared on the coupled voxels only (not over the whole box) when this scope ends,
  // also when the allocation or the loop throws (stale conductances would be taken off the next
  // build's diagonal).
  coupled_.resize(boxDiagonal.size(), 0.0);
  struct ClearCoupled {
    std::vector<double>& coupled;
    std::span<const CompositeCoupling> couplings;
    ~ClearCoupled() {
      for (const CompositeCoupling& c : couplings) coupled[c.box] = 0.0;
    }
  };
  {
    const ClearCoupled clear{coupled_, couplings_};
    for (const CompositeCoupling& c : couplings_) coupled_[c.box] += c.conductance;
    // The cycle smooths boxSplit_; the box's faces are read in place (LevelOperator).
    allocate(box_, bx, by, bz, Faces::Lent, false);
    forEachIndex(box_.size(), [&](std::size_t n) {
      box_.diagonal[n] = float(boxDiagonal[n] - coupled_[n]);
      box_.inverseDiagonal[n] = boxFree[n] != 0 && boxDiagonal[n] > 0.0 ? 1.0f : 0.0f;
    });
  }
  coarsen(operatorOf(box_, boxFaceX, boxFaceY, boxFaceZ), under_);
  // Now the box level's own rows, the couplings included.
  forEachIndex(box_.size(), [&](std::size_t n) {
    box_.diagonal[n] = float(boxDiagonal[n]);
    box_.inverseDiagonal[n] = box_.inverseDiagonal[n] > 0.0f ? float(1.0 / boxDiagonal[n]) : 0.0f;
  });
  // The cycle smooths the box by colour (couplingVoxels_ below).
  splitByColour(operatorOf(box_, boxFaceX, boxFaceY, boxFaceZ), boxSplit_);
  // The coarse grid: its own rows outside the box; under it the coarsened box, whose faces to
  // the outside are the sums of the couplings between their voxels and the cell across. (Kept
  // arrays, copied in parallel: fresh ones cost their allocation and page faults every build.)
  std::vector<float>&fx = cellFaceX_, &fy = cellFaceY_, &fz = cellFaceZ_;
  std::vector<double>& diagonal = cellDiagonal_;
  for (std::vector<float>* v : {&fx, &fy, &fz}) v->resize(cellFaceX.size());
  diagonal.resize(cellDiagonal.size());
  cellFree_.resize(cellFree.size());
  forEachCellAroundBox(
      cells_, boxCell_, under_,
      [&](std::size_t c) {
        fx[c] = cellFaceX[c];
        fy[c] = cellFaceY[c];
        fz[c] = cellFaceZ[c];
        diagonal[c] = cellDiagonal[c];
        cellFree_[c] = cellFree[c];
      },
      [&](std::size_t c, std::size_t u) {
        fx[c] = under_.faceX[u];
        fy[c] = under_.faceY[u];
        fz[c] = under_.faceZ[u];
        diagonal[c] = under_.diagonal[u];
        cellFree_[c] = under_.inverseDiagonal[u] > 0.0f;
      });
  // Each coupling: its box voxel in boxSplit_, and its parent cell (the under-box cell holding
  // that voxel), which takes the coupling's conductance. Where they are (three divisions a
  // coupling) depends on the couplings' box voxels and the grids only, the same at every solve
  // of a run: placed again only when those change.
  placeCouplings(bx, by, cx, cy);
  for (std::size_t c = 0; c < couplings_.size(); ++c) {
    const std::size_t from = couplingParents_[c], to = couplings_[c].cell;
    if (!cellFree_[from]) continue;
    diagonal[from] += couplings_[c].conductance;
    const std::size_t low = std::min(from, to), high = std::max(from, to);
    if (!cellFree_[to]) continue;  // a fixed neighbour: the diagonal only
    std::vector<float>& face = high - low == 1 ? fx : high - low == std::size_t(cx) ? fy : fz;
    face[low] += couplings_[c].conductance;
  }
  cellMultigrid_.build(cx, cy, cz, fx, fy, fz, diagonal, cellFree_);
  cellRhs_.resize(fx.size());
  cellCorrection_.resize(fx.size());
}

void CompositeMultigrid::placeCouplings(std::int64_t bx, std::int64_t by, std::int64_t cx,
                                        std::int64_t cy) {
  const std::array<std::int64_t, 8> grids{bx, by,          boxSplit_.nz, cx,
                                          cy, boxCell_[0], boxCell_[1],  boxCell_[2]};
  const bool same =
      grids == placedGrids_ && placedBoxVoxels_.size() == couplings_.size() &&
      std::equal(couplings_.begin(), couplings_.end(), placedBoxVoxels_.begin(),
                 [](const CompositeCoupling& c, std::uint32_t box) { return c.box == box; });
  if (same) return;
  placedGrids_ = {};  // set at the end: a throw between leaves no key claiming a placement
  placedBoxVoxels_.resize(couplings_.size());
  couplingVoxels_.resize(couplings_.size());
  couplingParents_.resize(couplings_.size());
  for (std::size_t c = 0; c < couplings_.size(); ++c) {
    const auto n = std::int64_t(couplings_[c].box);
    const std::int64_t i = n % bx, j = (n / bx) % by, k = n / (bx * by);
    placedBoxVoxels_[c] = couplings_[c].box;
    couplingVoxels_[c] = {std::uint8_t((i + j + k) & 1),
                          std::uint32_t(boxSplit_.rowStart(j, k) + i / 2)};
    couplingParents_[c] = std::size_t((boxCell_[0] + i / 2) +
                                      cx * ((boxCell_[1] + j / 2) + cy * (boxCell_[2] + k / 2)));
  }
  placedGrids_ = grids;
}

void CompositeMultigrid::apply(std::span<const float> rBox, std::span<const float> rCell,
                               std::span<float> zBox, std::span<float> zCell) {
  splitCycle(boxSplit_, under_, rBox.data(), zBox.data(), [&] { correctByCells(rCell, zCell); });
}

void CompositeMultigrid::correctByCells(std::span<const float> rCell, std::span<float> zCell) {
  // The coarse residual: outside the box the cells' own, less what the box's correction pulls
  // through the couplings; under it the box's restricted.
  forEachCellAroundBox(
      cells_, boxCell_, under_, [&](std::size_t c) { cellRhs_[c] = rCell[c]; },
      [&](std::size_t c, std::size_t u) { cellRhs_[c] = under_.rightHandSide[u]; });
  // (By cell in parallel runs: each cell's terms in the couplings' order.)
  byCell_.forEach([&](std::size_t c) {
    const SplitVoxel& v = couplingVoxels_[c];
    cellRhs_[couplings_[c].cell] +=
        couplings_[c].conductance * boxSplit_.colours[v.colour].correction[v.slot];
  });
  cellMultigrid_.apply(std::span<const float>(cellRhs_), std::span<float>(cellCorrection_));
  // The cells under the box: their correction is the box's coarse one (prolonged by the cycle),
  // and zCell's is 0 there.
  forEachCellAroundBox(
      cells_, boxCell_, under_,
      [&](std::size_t c) { zCell[c] = cellFree_[c] ? cellCorrection_[c] : 0.0f; },
      [&](std::size_t c, std::size_t u) {
        under_.correction[u] = cellCorrection_[c];
        zCell[c] = 0.0f;
      });
  // The box's rows see the cells' correction through the couplings (in the smoothing after).
  // (By box voxel in parallel runs: each voxel's terms in the couplings' order.)
  byBox_.forEach([&](std::size_t c) {
    const SplitVoxel& v = couplingVoxels_[c];
    ColourSplitLevel::Colour& colour = boxSplit_.colours[v.colour];
    if (colour.inverseDiagonal[v.slot] > 0.0f)
      colour.rightHandSide[v.slot] += couplings_[c].conductance * zCell[couplings_[c].cell];
  });
}

}  // namespace twinplan::ablation::detail
