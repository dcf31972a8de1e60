#include "potential_grid.h"

#include "stencil_solver.h"  // TWINPLAN_ABLATION_WIDE_LOOPS

namespace twinplan::ablation::detail::potential {

// One voxel of a row on the grid's boundary or at a row's end: applyOperator()'s general case
// (bounds-checked faces, in forEachFace's order).
template <class In>
[[gnu::always_inline]] inline void applyOperatorAt(const Strides& s, const FaceConductivity& f,
                                                   const NodeRole* roles, const In* x, float* out,
                                                   std::int64_t i, std::int64_t j, std::int64_t k,
                                                   double sign) {
  const std::size_t p = std::size_t(i) + s.sy * std::size_t(j) + s.sz * std::size_t(k);
  if (roles[p] != NodeRole::Tissue) {
    out[p] = 0.0f;
    return;
  }
  // Every product in double, as applyOperatorInside() forms them (on the conjugate gradients'
  // float vectors a float product here rounded the boundary's terms otherwise).
  double flux = f.diagonal[p] * double(x[p]);
  forEachFace(s, f, p, i, j, k, [&](std::size_t q, float conductance) {
    flux -= double(conductance) * double(x[q]);
  });
  out[p] = float(sign * flux);
}

// Slice k of applyOperator(): its boundary rows and rows' ends voxel by voxel, the rows' inner
// voxels by applyOperatorInside().
template <class In>
[[gnu::always_inline]] inline void operatorSlice(const Strides& s, const FaceConductivity& f,
                                                 const NodeRole* roles, const In* x, float* out,
                                                 std::int64_t k, double sign) {
  for (std::int64_t j = 0; j < s.ny; ++j) {
    if (j == 0 || k == 0 || j + 1 == s.ny || k + 1 == s.nz || s.nx < 3) {
      for (std::int64_t i = 0; i < s.nx; ++i) applyOperatorAt(s, f, roles, x, out, i, j, k, sign);
      continue;
    }
    applyOperatorAt(s, f, roles, x, out, 0, j, k, sign);
    const std::size_t row = s.sy * std::size_t(j) + s.sz * std::size_t(k);
    applyOperatorInside(out + row, roles + row, x + row, f.diagonal.data() + row, f.x.data() + row,
                        f.y.data() + row, f.z.data() + row, s.nx, std::int64_t(s.sy),
                        std::int64_t(s.sz), sign);
    applyOperatorAt(s, f, roles, x, out, s.nx - 1, j, k, sign);
  }
}

// The wide loops' two builds (stencil_solver.h: no FMA, so the double-precision flux rounds as
// the baseline's does): the rows' inner voxels four doubles a vector with AVX2, two with SSE2.
TWINPLAN_ABLATION_WIDE_LOOPS void applyOperatorSlice(const Strides& s, const FaceConductivity& f,
                                                     const NodeRole* roles, const float* x,
                                                     float* out, std::int64_t k, double sign) {
  operatorSlice(s, f, roles, x, out, k, sign);
}

TWINPLAN_ABLATION_WIDE_LOOPS void applyOperatorSlice(const Strides& s, const FaceConductivity& f,
                                                     const NodeRole* roles, const double* x,
                                                     float* out, std::int64_t k, double sign) {
  operatorSlice(s, f, roles, x, out, k, sign);
}

// A neighbour's share of a face's power: 0.5 towards a Tissue voxel, 1 towards the electrode or
// the ground (faceShare's values for a Tissue voxel, without its comparison).
[[gnu::always_inline]] inline double shareOf(NodeRole neighbour) {
  return 0.5 + 0.5 * double(isFixed(neighbour));
}

TWINPLAN_ABLATION_WIDE_LOOPS void jouleHeatingInside(float* __restrict heating,
                                                     const NodeRole* role,
                                                     const double* potential_V, const float* fx,
                                                     const float* fy, const float* fz,
                                                     std::int64_t nx, std::int64_t sy,
                                                     std::int64_t sz, double perVolume) {
  const double* u = potential_V;
  for (std::int64_t v = 1; v + 1 < nx; ++v) {
    const double x = u[v];
    auto term = [&](std::int64_t q, float conductance) {
      const double dv = x - u[q];
      return shareOf(role[q]) * double(conductance) * dv * dv;
    };
    double power = 0.0;
    power += term(v + 1, fx[v]);
    power += term(v - 1, fx[v - 1]);
    power += term(v + sy, fy[v]);
    power += term(v - sy, fy[v - sy]);
    power += term(v + sz, fz[v]);
    power += term(v - sz, fz[v - sz]);
    // Kept on Tissue voxels by a factor of 1 or 0 (the power is finite and >= 0, so 0 stays
    // +0): a select here is a branch, and the loop is not vectorised.
    heating[v] = float(power * perVolume) * float(1 - isFixed(role[v]));
  }
}

}  // namespace twinplan::ablation::detail::potential
