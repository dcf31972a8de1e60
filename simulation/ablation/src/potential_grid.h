#pragma once
// The finite-volume potential operator of rf_source.h on a voxel grid (private to the module):
// face conductivities, the operator and its sums, the Dirichlet pull, the faces' Joule heating.
// Shared by the 1 mm grid's solve (rf_source.cpp) and the composite grid's
// (composite_potential.cpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "twinplan/ablation/rf_source.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation::detail::potential {

using parallel::IndexRange;

// The face conductivities of the grid (harmonic means, S/m): faceX[p] joins p and p+x, 0 on the
// last column (no face to the outside); likewise Y and Z.
struct FaceConductivity {
  std::vector<float> x, y, z;
  std::vector<double> diagonal;  // sum of a voxel's six faces
};

struct Strides {
  std::int64_t nx, ny, nz;
  std::size_t sx = 1, sy, sz;
  explicit Strides(const ImageGeometry& g)
      : nx(g.size[0]),
        ny(g.size[1]),
        nz(g.size[2]),
        sy(std::size_t(g.size[0])),
        sz(std::size_t(g.size[0] * g.size[1])) {}
};

inline float harmonicMean(float a, float b) {
  const float sum = a + b;
  return sum > 0.0f ? 2.0f * a * b / sum : 0.0f;
}

// Runs body(k) for every slice k of the grid, in parallel.
template <class Body>
inline void forEachSlice(const Strides& s, Body&& body) {
  parallel::parallelFor(IndexRange{0, std::size_t(s.nz)}, 1, [&](IndexRange r) {
    for (std::size_t k = r.begin; k < r.end; ++k) body(std::int64_t(k));
  });
}

// Deterministic sum over slices of f(k).
template <class F>
inline double sumOverSlices(const Strides& s, F&& f) {
  return parallel::parallelReduce(
      IndexRange{0, std::size_t(s.nz)}, 1, 0.0,
      [&](IndexRange r) {
        double sum = 0.0;
        for (std::size_t k = r.begin; k < r.end; ++k) sum += f(std::int64_t(k));
        return sum;
      },
      [](double a, double b) { return a + b; });
}

// Fills f (its arrays reused: every entry is written).
inline void faceConductivity(const Strides& s, std::span<const float> sigma, FaceConductivity& f) {
  const std::size_t n = sigma.size();
  for (std::vector<float>* faces : {&f.x, &f.y, &f.z}) faces->resize(n);
  f.diagonal.resize(n);
  forEachSlice(s, [&](std::int64_t k) {
    for (std::int64_t j = 0; j < s.ny; ++j)
      for (std::int64_t i = 0; i < s.nx; ++i) {
        const std::size_t p = std::size_t(i) + s.sy * std::size_t(j) + s.sz * std::size_t(k);
        f.x[p] = i + 1 < s.nx ? harmonicMean(sigma[p], sigma[p + s.sx]) : 0.0f;
        f.y[p] = j + 1 < s.ny ? harmonicMean(sigma[p], sigma[p + s.sy]) : 0.0f;
        f.z[p] = k + 1 < s.nz ? harmonicMean(sigma[p], sigma[p + s.sz]) : 0.0f;
      }
  });
  forEachSlice(s, [&](std::int64_t k) {
    for (std::int64_t j = 0; j < s.ny; ++j)
      for (std::int64_t i = 0; i < s.nx; ++i) {
        const std::size_t p = std::size_t(i) + s.sy * std::size_t(j) + s.sz * std::size_t(k);
        double d = double(f.x[p]) + f.y[p] + f.z[p];
        if (i > 0) d += f.x[p - s.sx];
        if (j > 0) d += f.y[p - s.sy];
        if (k > 0) d += f.z[p - s.sz];
        f.diagonal[p] = d;
      }
  });
}

// visit(q, sigma_f) for the faces of voxel p (at i, j, k) inside the grid, in the order every
// sum over them keeps: +x, -x, +y, -y, +z, -z.
template <class Visit>
inline void forEachFace(const Strides& s, const FaceConductivity& f, std::size_t p, std::int64_t i,
                        std::int64_t j, std::int64_t k, Visit&& visit) {
  if (i + 1 < s.nx) visit(p + s.sx, f.x[p]);
  if (i > 0) visit(p - s.sx, f.x[p - s.sx]);
  if (j + 1 < s.ny) visit(p + s.sy, f.y[p]);
  if (j > 0) visit(p - s.sy, f.y[p - s.sy]);
  if (k + 1 < s.nz) visit(p + s.sz, f.z[p]);
  if (k > 0) visit(p - s.sz, f.z[p - s.sz]);
}

// Walks row j of slice k: general(i) on every voxel of a row on the grid's boundary; inside,
// general(i) at the row's two ends and interior(first voxel of the row) for the voxels between,
// whose six neighbours all exist (a loop without bounds checks).
template <class General, class Interior>
inline void walkRow(const Strides& s, std::int64_t j, std::int64_t k, General&& general,
                    Interior&& interior) {
  if (j == 0 || k == 0 || j + 1 == s.ny || k + 1 == s.nz || s.nx < 3) {
    for (std::int64_t i = 0; i < s.nx; ++i) general(i);
    return;
  }
  general(0);
  interior(s.sy * std::size_t(j) + s.sz * std::size_t(k));
  general(s.nx - 1);
}

// The voxels 1 .. nx - 2 of a row inside the grid (every neighbour exists), from the row's
// first voxel: the flux in double in the order general() sums it, kept on Tissue voxels by a
// factor of 1 or 0 (exact; -0 where it is 0, which no sum tells from 0), so the loop has no
// branch and GCC vectorises it (2 or 4 doubles at a time, SSE2 or AVX2; it did not with the
// select); o is a restrict parameter, as GCC takes restrict from parameters only.
static_assert(int(NodeRole::Tissue) == 0 && int(NodeRole::Electrode) > 0 &&
              int(NodeRole::Ground) > 0 && int(NodeRole::Ground) < 256);
// 0 on Tissue, 1 on Electrode and Ground, in integer arithmetic: a comparison in the wide loops
// is a branch, and GCC does not vectorise them with it.
[[gnu::always_inline]] constexpr int isFixed(NodeRole role) { return (int(role) + 255) >> 8; }
template <class In, class Out>
[[gnu::always_inline]] inline void applyOperatorInside(Out* __restrict o, const NodeRole* role,
                                                       const In* xr, const double* d,
                                                       const float* fx, const float* fy,
                                                       const float* fz, std::int64_t nx,
                                                       std::int64_t sy, std::int64_t sz,
                                                       double sign) {
  for (std::int64_t q = 1; q + 1 < nx; ++q) {
    const double flux = d[q] * xr[q] - double(fx[q]) * xr[q + 1] - double(fx[q - 1]) * xr[q - 1] -
                        double(fy[q]) * xr[q + sy] - double(fy[q - sy]) * xr[q - sy] -
                        double(fz[q]) * xr[q + sz] - double(fz[q - sz]) * xr[q - sz];
    o[q] = Out(sign * flux * double(1 - isFixed(role[q])));  // kept on Tissue voxels
  }
}

// The fixed chunks the conjugate gradients sum and loop over (their order fixes the sums' bits):
// chunk c holds the unknowns range(c), c < count(); forEach(f) runs f(begin, end) on each.
// A voxel grid's slices:
struct SliceChunks {
  const Strides& s;
  std::size_t count() const { return std::size_t(s.nz); }
  IndexRange range(std::size_t c) const { return {s.sz * c, s.sz * (c + 1)}; }
  template <class F>
  void forEach(F&& f) const {
    forEachSlice(s, [&](std::int64_t k) { f(s.sz * std::size_t(k), s.sz * std::size_t(k + 1)); });
  }
};
// `unknowns` unknowns in chunks of `size`:
struct FixedChunks {
  std::size_t unknowns, size;
  std::size_t count() const { return (unknowns + size - 1) / size; }
  IndexRange range(std::size_t c) const { return {c * size, std::min(unknowns, (c + 1) * size)}; }
  template <class F>
  void forEach(F&& f) const {
    parallel::parallelFor(IndexRange{0, unknowns}, size, [&](IndexRange r) { f(r.begin, r.end); });
  }
};

// The chunks' sums of a group of up to kSumGroup chunks, each summed from 0 in its own order.
inline constexpr std::size_t kSumGroup = 4;
struct GroupSums {
  double total = 0.0;  // the running sum, in the combined value
  std::array<double, kSumGroup> chunk{};
  std::size_t chunks = 0;
  // total + chunk 0 + chunk 1 + ... in chunk order: the order a chunk-by-chunk reduction adds.
  // A left fold from GroupSums{} only (parallelReduce's order): it reads b's chunks, not b's
  // total, and keeps a's total, not a's chunks.
  static GroupSums combine(GroupSums a, const GroupSums& b) {
    for (std::size_t c = 0; c < b.chunks; ++c) a.total += b.chunk[c];
    return a;
  }
};

// sum over chunks in order of (sum over the chunk's unknowns v in order of term(v)), each
// chunk's sum from 0, after work(begin, end) has run on the chunk: the bits of a reduction with
// one double sum per chunk. Four chunks' sums run side by side: one double sum is a chain of
// dependent additions bound by their latency (3-4 cycles each), four are independent chains, so
// the conjugate gradients' sums (three per iteration, over every unknown) cost about a quarter.
// Grouped only where every thread still gets a group of its own: on many cores a short range
// keeps one chunk a task (the same bits either way).
template <class Chunks, class Work, class Term>
double groupedSum(const Chunks& chunks, Work&& work, Term&& term) {
  const std::size_t group = chunks.count() >= kSumGroup * parallel::maxThreads() ? kSumGroup : 1;
  const GroupSums sums = parallel::parallelReduce(
      IndexRange{0, chunks.count()}, group, GroupSums{},
      [&](IndexRange group) {
        GroupSums g;
        g.chunks = group.size();
        std::array<IndexRange, kSumGroup> r{};
        for (std::size_t c = 0; c < g.chunks; ++c) {
          r[c] = chunks.range(group.begin + c);
          work(r[c].begin, r[c].end);
        }
        std::size_t done = 0;  // the unknowns of each chunk summed side by side
        if (g.chunks == kSumGroup) {
          done = std::min({r[0].size(), r[1].size(), r[2].size(), r[3].size()});
          double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
          for (std::size_t i = 0; i < done; ++i) {
            s0 += term(r[0].begin + i);
            s1 += term(r[1].begin + i);
            s2 += term(r[2].begin + i);
            s3 += term(r[3].begin + i);
          }
          g.chunk = {s0, s1, s2, s3};
        }
        for (std::size_t c = 0; c < g.chunks; ++c) {
          double sum = g.chunk[c];
          for (std::size_t v = r[c].begin + done; v < r[c].end; ++v) sum += term(v);
          g.chunk[c] = sum;
        }
        return g;
      },
      GroupSums::combine);
  return sums.total;
}

struct ConjugateGradientResult {
  int iterations = 0;
  double relativeResidual = 0.0;  // |r| / |b| at the end
};

// sum a[v] b[v] in double, per chunk in order, then over chunks in order (groupedSum).
template <class Chunks>
double chunkedDot(const Chunks& chunks, const std::vector<float>& a, const std::vector<float>& b) {
  return groupedSum(
      chunks, [](std::size_t, std::size_t) {},
      [&](std::size_t v) { return double(a[v]) * double(b[v]); });
}

// applyOperator()'s slice k on the conjugate gradients' float vectors: built for SSE2 and AVX2
// and picked at load (potential_grid.cpp; the same bits at either width).
void applyOperatorSlice(const Strides& s, const FaceConductivity& f, const NodeRole* roles,
                        const float* x, float* out, std::int64_t k, double sign);
// The same on the solution (double), for the residual b - A x at a solve's start.
void applyOperatorSlice(const Strides& s, const FaceConductivity& f, const NodeRole* roles,
                        const double* x, float* out, std::int64_t k, double sign);

// out_p = sum over faces sigma_f (x_p - x_q) on Tissue voxels, 0 elsewhere (the operator of
// the finite-volume equations divided by the voxel size h); with negate, its negative (the
// residual b - A x of b = 0 on Tissue voxels).
// Returns sum_p x_p out_p, summed per slice in voxel order and over slices in order: the same
// bits as chunkedDot(SliceChunks, x, out) afterwards, without reading the arrays again.
template <class In, class Out>
inline double applyOperator(const Strides& s, const FaceConductivity& f,
                            std::span<const NodeRole> roles, std::span<const In> x,
                            std::span<Out> out, bool negate = false) {
  const double sign = negate ? -1.0 : 1.0;  // exact: x and -x round to floats of equal size
  if constexpr (std::is_same_v<In, float> && std::is_same_v<Out, float>) {
    // The conjugate gradients' product: x.out summed four slices side by side (groupedSum).
    return groupedSum(
        SliceChunks{s},
        [&](std::size_t begin, std::size_t) {
          applyOperatorSlice(s, f, roles.data(), x.data(), out.data(), std::int64_t(begin / s.sz),
                             sign);
        },
        [&](std::size_t v) { return double(x[v]) * double(out[v]); });
  } else if constexpr (std::is_same_v<In, double> && std::is_same_v<Out, float>) {
    return sumOverSlices(s, [&](std::int64_t k) {
      applyOperatorSlice(s, f, roles.data(), x.data(), out.data(), k, sign);
      const std::size_t begin = s.sz * std::size_t(k), end = begin + s.sz;
      double sum = 0.0;
      for (std::size_t p = begin; p < end; ++p) sum += double(x[p]) * double(out[p]);
      return sum;
    });
  } else {
    static_assert(sizeof(In) == 0, "applyOperator: float or double in, float out");
  }
}

// |b| of the potential equations: b = -A applied to the Dirichlet values (electrode_V on
// Electrode voxels, 0 on Ground ones), which is non-zero only on Tissue voxels next to an
// electrode. Each of those is computed as applyOperator() computes it (the same face order;
// the terms of zero values left out change no bit), and the squares are summed per slice in
// voxel order: the same bits as dot(b, b) of the whole grid, from one pass over the roles.
inline double dirichletPullNorm(const Strides& s, const FaceConductivity& f,
                                std::span<const NodeRole> roles, double electrode_V) {
  // Rows with an electrode voxel: only they and their four neighbouring rows can be pulled.
  const std::size_t rows = std::size_t(s.ny * s.nz);
  std::vector<std::uint8_t> electrodeRow(rows);
  parallel::parallelFor(IndexRange{0, rows}, 64, [&](IndexRange r) {
    for (std::size_t row = r.begin; row < r.end; ++row) {
      const NodeRole* begin = roles.data() + row * s.sy;
      electrodeRow[row] = std::find(begin, begin + s.nx, NodeRole::Electrode) != begin + s.nx;
    }
  });
  auto pulledRow = [&](std::int64_t j, std::int64_t k) {
    auto has = [&](std::int64_t jj, std::int64_t kk) {
      return jj >= 0 && kk >= 0 && jj < s.ny && kk < s.nz &&
             electrodeRow[std::size_t(jj + s.ny * kk)] != 0;
    };
    return has(j, k) || has(j - 1, k) || has(j + 1, k) || has(j, k - 1) || has(j, k + 1);
  };
  const double squares = sumOverSlices(s, [&](std::int64_t k) {
    double sum = 0.0;
    for (std::int64_t j = 0; j < s.ny; ++j) {
      if (!pulledRow(j, k)) continue;
      for (std::int64_t i = 0; i < s.nx; ++i) {
        const std::size_t p = std::size_t(i) + s.sy * std::size_t(j) + s.sz * std::size_t(k);
        if (roles[p] != NodeRole::Tissue) continue;
        double flux = 0.0;
        bool pulled = false;
        forEachFace(s, f, p, i, j, k, [&](std::size_t q, float conductance) {
          if (roles[q] != NodeRole::Electrode) return;
          flux -= double(conductance) * electrode_V;
          pulled = true;
        });
        if (!pulled) continue;
        const auto b = double(float(-flux));
        sum += b * b;
      }
    }
    return sum;
  });
  return std::sqrt(squares);
}

// The preconditioned conjugate gradients of both potential solves (rf_source.cpp's on a voxel
// grid, composite_potential.cpp's on the composite grid): float vectors, the solution and every
// sum in double. On entry r = b - A x; applyDot(p, ap) sets ap = A p and returns p.ap summed as
// groupedSum(chunks) sums; precondition() sets z = M^-1 r. Stops at |r| <= tolerance |b|; throws
// Error(Internal) after options.maxIterations (`grid` names the grid in the message, `context`
// is the error's context) and Cancelled when the progress sink asks.
template <class Chunks, class ApplyDot, class Precondition>
ConjugateGradientResult conjugateGradients(const Chunks& chunks, ApplyDot&& applyDot,
                                           Precondition&& precondition, std::vector<double>& x,
                                           std::vector<float>& r, std::vector<float>& z,
                                           std::vector<float>& p, std::vector<float>& ap,
                                           double rhsNorm, const PotentialSolverOptions& options,
                                           Progress& progress, const std::string& grid,
                                           const char* context) {
  auto dot = [&](const std::vector<float>& a, const std::vector<float>& b) {
    return chunkedDot(chunks, a, b);
  };
  precondition();
  // p = z in the chunks' parallel loop (a serial copy of the whole vector per solve on the
  // calling thread otherwise); sized as z first (a no-op where the caller sized it, as both do).
  p.resize(z.size());
  chunks.forEach([&](std::size_t begin, std::size_t end) {
    std::copy(z.begin() + std::ptrdiff_t(begin), z.begin() + std::ptrdiff_t(end),
              p.begin() + std::ptrdiff_t(begin));
  });
  double rz = dot(r, z);
  double residual = std::sqrt(dot(r, r));
  const double target = options.relativeTolerance * std::max(rhsNorm, 1e-300);
  int iteration = 0;
  while (residual > target && rhsNorm > 0.0) {
    if (iteration >= options.maxIterations) {
      throw Error(ErrorKind::Internal,
                  "The RF potential" + grid + " did not converge in " + std::to_string(iteration) +
                      " conjugate-gradient iterations (relative residual " +
                      std::to_string(residual / rhsNorm) + "); report this grid.",
                  context);
    }
    progress.check();
    const double alpha = rz / applyDot(p, ap);
    // The update, with |r|^2 of the new residual over each group of chunks while they are in
    // cache (summed as dot() sums).
    const double rr = groupedSum(
        chunks,
        [&](std::size_t begin, std::size_t end) {
          for (std::size_t v = begin; v < end; ++v) {
            x[v] += alpha * p[v];
            r[v] = float(r[v] - alpha * ap[v]);
          }
        },
        [&](std::size_t v) { return double(r[v]) * double(r[v]); });
    precondition();
    const double rzNext = dot(r, z);
    const double beta = rzNext / rz;
    rz = rzNext;
    chunks.forEach([&](std::size_t begin, std::size_t end) {
      for (std::size_t v = begin; v < end; ++v) p[v] = float(z[v] + beta * p[v]);
    });
    residual = std::sqrt(rr);
    ++iteration;
  }
  return {iteration, rhsNorm > 0.0 ? residual / rhsNorm : 0.0};
}

// The power of each face shared onto its voxels; see jouleHeating().
inline double faceShare(NodeRole self, NodeRole other) {
  (void)self;
  return other == NodeRole::Tissue ? 0.5 : 1.0;
}

inline void checkSizes(const ImageGeometry& g, std::size_t sigma, std::size_t roles) {
  if (sigma != g.voxelCount() || roles != g.voxelCount()) {
    throw Error(ErrorKind::Internal,
                "The conductivity and role arrays do not match the ablation grid's voxel count.",
                "solvePotential");
  }
}

// The voxels 1 .. nx - 2 of a row inside the grid (every face exists), from the row's first
// voxel: each Tissue voxel's Joule power per volume, its faces' sigma_f dV^2 summed in the order
// +x, -x, +y, -y, +z, -z, half of a face to another Tissue voxel (faceShare); the other voxels
// 0. Built for SSE2 and AVX2 and picked at load (potential_grid.cpp; the same bits at either
// width and as the voxel-by-voxel loop it replaced, with the share and the role's keep in
// integer arithmetic so that the loop has no branch).
void jouleHeatingInside(float* heating, const NodeRole* role, const double* potential_V,
                        const float* fx, const float* fy, const float* fz, std::int64_t nx,
                        std::int64_t sy, std::int64_t sz, double perVolume);

// jouleHeating() from the solve's face conductivities: the same harmonic means (2ab/(a+b) is
// symmetric in float), so the same bits, without six divisions per voxel.
// Into `heating` (resized; every voxel written, so a kept array of the right size is not cleared
// first: a fresh zeroed one per solve cost its allocation, page faults and a serial memset).
inline void jouleHeatingOfFacesInto(std::vector<float>& heating, const ImageGeometry& geometry,
                                    const Strides& s, const FaceConductivity& f,
                                    std::span<const NodeRole> roles,
                                    std::span<const double> potential_V) {
  const double h_m = geometry.spacing_mm.x() * 1e-3;
  const double perVolume = h_m / (h_m * h_m * h_m);
  heating.resize(geometry.voxelCount());
  forEachSlice(s, [&](std::int64_t k) {
    for (std::int64_t j = 0; j < s.ny; ++j) {
      auto general = [&](std::int64_t i) {
        const std::size_t v = std::size_t(i) + s.sy * std::size_t(j) + s.sz * std::size_t(k);
        if (roles[v] != NodeRole::Tissue) {
          heating[v] = 0.0f;
          return;
        }
        double power = 0.0;
        forEachFace(s, f, v, i, j, k, [&](std::size_t q, float conductance) {
          const double dv = potential_V[v] - potential_V[q];
          power += faceShare(roles[v], roles[q]) * double(conductance) * dv * dv;
        });
        heating[v] = float(power * perVolume);
      };
      // Inside the grid every face exists: the same sums in the same order (jouleHeatingInside).
      walkRow(s, j, k, general, [&](std::size_t row) {
        jouleHeatingInside(heating.data() + row, roles.data() + row, potential_V.data() + row,
                           f.x.data() + row, f.y.data() + row, f.z.data() + row, s.nx,
                           std::int64_t(s.sy), std::int64_t(s.sz), perVolume);
      });
    }
  });
}

inline std::vector<float> jouleHeatingOfFaces(const ImageGeometry& geometry, const Strides& s,
                                              const FaceConductivity& f,
                                              std::span<const NodeRole> roles,
                                              std::span<const double> potential_V) {
  std::vector<float> heating;
  jouleHeatingOfFacesInto(heating, geometry, s, f, roles, potential_V);
  return heating;
}

}  // namespace twinplan::ablation::detail::potential
