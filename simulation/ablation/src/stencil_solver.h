#pragma once
// The linear system of one backward-Euler step on a box of the grid, and its solver:
// a symmetric 7-point stencil applied matrix-free, solved by conjugate gradients with the Jacobi
// preconditioner. Dirichlet voxels (held, blood) are masked out of the Krylov space, so the
// operator stays symmetric positive definite on the free voxels.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "twinplan/core/progress.h"

// The solvers' inner loops are built twice, for x86-64's baseline (SSE2: four floats a vector)
// and for AVX2 (eight), and the processor picks one when the program loads (GCC's function
// multi-versioning). The AVX2 target has no FMA, so nothing is fused into a multiply-add and the
// same operations round the same way at either width; the loops keep their sums' order: both
// give the same bits (docs/validation.md, branch ablbox; checked by building with
// -DTWINPLAN_ABLATION_BASELINE_LOOPS, the baseline alone, as on every other compiler or
// architecture). simulation/ablation/CMakeLists.txt builds the module with -ffp-contract=off, so
// in a build for a processor with FMA (-march) our plain loops fuse nothing either (Eigen's packet
// math calls its fused intrinsics itself: the damage exp, dose_exp.cpp, differs there).
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__) && \
    !defined(TWINPLAN_ABLATION_BASELINE_LOOPS)
#define TWINPLAN_ABLATION_WIDE_LOOPS __attribute__((target_clones("avx2", "default")))
#else
#define TWINPLAN_ABLATION_WIDE_LOOPS
#endif

namespace twinplan::ablation::detail {

// A sub-box of the grid: voxels lo..hi-1 on each axis.
struct Box {
  std::array<std::int64_t, 3> lo{0, 0, 0};
  std::array<std::int64_t, 3> hi{0, 0, 0};
  std::int64_t extent(int axis) const { return hi[axis] - lo[axis]; }
  std::size_t voxelCount() const {
    return static_cast<std::size_t>(extent(0) * extent(1) * extent(2));
  }
  bool operator==(const Box&) const = default;
};

// Whether voxel (i, j, k) lies in the box.
inline bool contains(const Box& box, std::int64_t i, std::int64_t j, std::int64_t k) {
  return i >= box.lo[0] && i < box.hi[0] && j >= box.lo[1] && j < box.hi[1] && k >= box.lo[2] &&
         k < box.hi[2];
}

// Whether `outer` holds every voxel of `inner`.
inline bool holds(const Box& outer, const Box& inner) {
  for (int a = 0; a < 3; ++a)
    if (inner.lo[a] < outer.lo[a] || inner.hi[a] > outer.hi[a]) return false;
  return true;
}

// A float vector whose resize leaves new entries unwritten, for the colours' arrays: the parallel
// loops write every entry before anything reads it, so growing them with the box neither zeroes
// them on the calling thread nor takes the fresh pages' first-touch faults there alone (the
// loops' threads take them).
template <class T>
struct UnzeroedAllocator : std::allocator<T> {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = UnzeroedAllocator<U>;
  };
  UnzeroedAllocator() = default;
  template <class U>
  UnzeroedAllocator(const UnzeroedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialised: a float is left as it is
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using UnzeroedFloats = std::vector<float, UnzeroedAllocator<float>>;

// v sized to `count` entries, the new ones unwritten. Growing past its capacity it drops its
// entries first (every entry is rewritten: nothing to copy) and takes twice the old capacity
// when that is more, as std::vector grows.
inline void resizeUnwritten(UnzeroedFloats& v, std::size_t count) {
  if (count > v.capacity()) {
    const std::size_t capacity = std::max(count, 2 * v.capacity());
    v.clear();
    v.reserve(capacity);
  }
  v.resize(count);
}

// One colour's voxels of the box packed by rows (solveRedBlack): colour c holds the voxels with
// (i + j + k) % 2 == c, row (j, k)'s at slots row * stride + 1 + m for i = 2 m + (c + j + k) % 2.
// Slot 0 of a row and the slots past its last voxel are padding: zero values, zero faces and a
// zero inverse diagonal, so the x neighbours are read without a test and padding never moves.
// The faces are those to the +x, +y, +z neighbour (of the other colour), zero where that
// neighbour lies beyond the box.
struct ColourArrays {
  UnzeroedFloats diagonal, inverseDiagonal, rightHandSide, faceX, faceY, faceZ;
  // The six arrays, to size or visit them all.
  std::array<UnzeroedFloats*, 6> arrays() {
    return {&diagonal, &inverseDiagonal, &rightHandSide, &faceX, &faceY, &faceZ};
  }
  void resize(std::size_t slots) {
    for (UnzeroedFloats* v : arrays()) resizeUnwritten(*v, slots);
  }
};

// The red-black packing of a box (ColourArrays): row (j, k) = row index j + ny k, `stride`
// slots a row (its colour's ceil(nx / 2) voxels and a padding slot at each end).
struct Packing {
  std::int64_t nx = 0, ny = 0, nz = 0, half = 0, stride = 0;
  Packing(std::int64_t sizeX, std::int64_t sizeY, std::int64_t sizeZ)
      : nx(sizeX), ny(sizeY), nz(sizeZ), half((sizeX + 1) / 2), stride((sizeX + 1) / 2 + 2) {}
  std::size_t rows() const { return static_cast<std::size_t>(ny * nz); }
  std::size_t slots() const { return rows() * static_cast<std::size_t>(stride); }
  // The slot of the row's voxel m = 0.
  std::size_t first(std::int64_t row) const { return static_cast<std::size_t>(row * stride + 1); }
  // i of the row's voxel m = 0 in colour c: 0 or 1.
  std::int64_t start(int colour, std::int64_t row) const {
    return (colour + row % ny + row / ny) & 1;
  }
  // Voxel (i, j, k)'s colour (red: i + j + k even) and its slot in that colour.
  static bool red(std::int64_t i, std::int64_t j, std::int64_t k) { return ((i + j + k) & 1) == 0; }
  std::size_t slot(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return first(j + ny * k) + static_cast<std::size_t>(i / 2);
  }
};

// A x = b on the box, in deviations from the arterial temperature (K), per unit volume
// (W/(m3 K) and W/m3). Local voxel n = i + nx * (j + ny * k).
//
// Either in natural order (the arrays below) or, for solveRedBlack only, built straight by colour
// (byColour: red and black, ColourArrays; then only the faces are kept in natural order, as the
// builder's scratch, and diagonal, inverseDiagonal and rightHandSide are empty): the builder then
// writes each coefficient once, and the solver does not pack the system every step.
struct StencilSystem {
  std::int64_t nx = 0, ny = 0, nz = 0;
  std::vector<float> diagonal;  // storage + perfusion + every face's conductance
  // The conductance of the face to the +x, +y, +z neighbour. On the box's far faces it is that
  // of the face to the voxel beyond, which the stencil never reads: what lies beyond is held at
  // zero deviation, so it only adds to the diagonal.
  std::vector<float> faceX, faceY, faceZ;
  std::vector<float> rightHandSide;  // storage * previous deviation + source
  // 1 / diagonal for an unknown voxel, 0 for a Dirichlet one: the Jacobi preconditioner, which
  // also keeps Dirichlet voxels out of the Krylov space (their z, hence p, stays 0).
  std::vector<float> inverseDiagonal;
  bool byColour = false;
  ColourArrays red, black;  // byColour: the system packed by colour

  std::size_t size() const { return static_cast<std::size_t>(nx * ny * nz); }
  // Natural order: every array sized to the box (entries not cleared: the builder writes them).
  void resize(std::int64_t nx, std::int64_t ny, std::int64_t nz);
  // By colour: red and black sized to the box's packing, the faces in natural order too;
  // entries not cleared (the builder writes every slot, padding included).
  void resizeByColour(std::int64_t nx, std::int64_t ny, std::int64_t nz);
  Packing packing() const { return Packing(nx, ny, nz); }
  // Voxel (i, j, k)'s inverse diagonal, in either order.
  float& inverseDiagonalAt(std::int64_t i, std::int64_t j, std::int64_t k) {
    if (!byColour) return inverseDiagonal[std::size_t(i + nx * (j + ny * k))];
    return (Packing::red(i, j, k) ? red : black).inverseDiagonal[packing().slot(i, j, k)];
  }
};

// even[m] = row[2 m], odd[m] = row[2 m + 1] for the row's count entries.
[[gnu::always_inline]] inline void splitRow(const float* __restrict row, std::int64_t count,
                                            float* __restrict even, float* __restrict odd) {
  const std::int64_t pairs = count / 2;
  for (std::int64_t m = 0; m < pairs; ++m) {
    even[m] = row[2 * m];
    odd[m] = row[2 * m + 1];
  }
  if (count % 2 == 1) even[count / 2] = row[count - 1];
}

// One row of natural-order values into the two colours' slots, with the row's padding zeroed:
// before the first slot, after the last, and the odd colour's last slot when the row's length
// is odd. `even` and `odd`: the row's slot 0 (Packing::first) in the colour of its even and odd
// voxels.
[[gnu::always_inline]] inline void packRow(const Packing& pk, const float* natural, float* even,
                                           float* odd) {
  splitRow(natural, pk.nx, even, odd);
  even[-1] = odd[-1] = 0.0f;
  even[pk.half] = odd[pk.half] = 0.0f;
  if (pk.nx % 2 == 1) odd[pk.half - 1] = 0.0f;
}

// Row `row`'s system by colour from its natural-order arrays (`natural`: diagonal, inverse
// diagonal, right-hand side, faces x, y, z, each at the row's first voxel), padding zeroed and
// the faces to beyond the box zeroed (what lies there is held at zero deviation: the diagonal
// has it). Inlined into the wide loops that call it (the solver's packing, the step's builder).
[[gnu::always_inline]] inline void packSystemRow(const Packing& pk, std::int64_t row,
                                                 const std::array<const float*, 6>& natural,
                                                 ColourArrays& red, ColourArrays& black) {
  const std::size_t first = pk.first(row);
  // Colour c's voxels start at i = pk.start(c, row): the even ones belong to red or black.
  const bool evenIsRed = pk.start(0, row) == 0;
  ColourArrays& even = evenIsRed ? red : black;
  ColourArrays& odd = evenIsRed ? black : red;
  const auto evenArrays = even.arrays(), oddArrays = odd.arrays();
  for (std::size_t a = 0; a < 6; ++a)
    packRow(pk, natural[a], evenArrays[a]->data() + first, oddArrays[a]->data() + first);
  const std::int64_t lastX = pk.nx - 1;
  (lastX % 2 == 0 ? even : odd).faceX[first + static_cast<std::size_t>(lastX / 2)] = 0.0f;
  const bool lastY = row % pk.ny + 1 == pk.ny, lastZ = row / pk.ny + 1 == pk.nz;
  for (ColourArrays* colour : {&even, &odd}) {
    if (lastY) std::fill_n(colour->faceY.data() + first, pk.half, 0.0f);
    if (lastZ) std::fill_n(colour->faceZ.data() + first, pk.half, 0.0f);
  }
}

struct SolveStatistics {
  int iterations = 0;
  double largestCorrection_K = 0.0;
};

// The solvers' vectors, kept between steps so that a step allocates nothing: those of the
// conjugate gradients and, for solveRedBlack, the two colours and w (scratch on the red voxels).
struct SolverWorkspace {
  std::vector<float> r, z, p, q, w;
  ColourArrays red, black;  // the system packed by colour when it was built in natural order
  UnzeroedFloats redValue, blackValue;  // x by colour (ColourArrays' slots)
  // The packing r, z, p, q and w were zeroed for (ny, nz, slots a row): their padding, never
  // written, stays zero while the packing stays.
  std::array<std::int64_t, 3> packedShape{0, 0, 0};
};

// Solves in place: `deviation` holds the warm start (and the Dirichlet values, which it keeps).
// Stops when no free voxel's Jacobi correction exceeds tolerance_K; throws Error(Internal)
// after maxIterations. Deterministic for any thread count. Polls `progress` for cancel.
SolveStatistics solveConjugateGradient(const StencilSystem& system, std::vector<float>& deviation,
                                       double tolerance_K, int maxIterations, Progress& progress,
                                       SolverWorkspace& work);

// The same system and stopping rule as solveConjugateGradient, solved through its red-black
// reduction: the red voxels (whose neighbours are all black) are eliminated exactly, and
// Jacobi-preconditioned conjugate gradients solve the Schur complement S = D_b - F D_r^-1 F^T
// on the black voxels (symmetric positive definite like A). The full system's residual is then
// zero on the red voxels and the reduced one on the black, so "no free voxel's Jacobi correction
// exceeds tolerance_K" keeps its meaning; Jacobi's spectral radius rho becomes rho^2, about
// half the iterations, each on half the vector entries. Deterministic for any thread count.
SolveStatistics solveRedBlack(const StencilSystem& system, std::vector<float>& deviation,
                              double tolerance_K, int maxIterations, Progress& progress,
                              SolverWorkspace& work);

// y = A x on the box (Dirichlet rows included: used for the initial residual).
void applyStencil(const StencilSystem& system, const std::vector<float>& x, std::vector<float>& y);

}  // namespace twinplan::ablation::detail
