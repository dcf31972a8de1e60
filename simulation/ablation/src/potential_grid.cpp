#include "potential_grid.h"

#include "stencil_solver.h"  // TWINPLAN_ABLATION_WIDE_LOOPS

namespace twinplan::ablation::detail::potential {

// One voxel of a row on the grid's boundary or at a row's end: applyOperator()'s general case
// (bounds-checked faces, in forEachFace's order).
[[gnu::always_inline]] inline void applyOperatorAt(const Strides& s, const FaceConductivity& f,
                                                   const NodeRole* roles, const float* x,
                                                   float* out, std::int64_t i, std::int64_t j,
                                                   std::int64_t k, double sign) {
  const std::size_t p = std::size_t(i) + s.sy * std::size_t(j) + s.sz * std::size_t(k);
  if (roles[p] != NodeRole::Tissue) {
    out[p] = 0.0f;
    return;
  }
  double flux = f.diagonal[p] * x[p];
  forEachFace(s, f, p, i, j, k, [&](std::size_t q, float conductance) { flux -= conductance * x[q]; });
  out[p] = float(sign * flux);
}

// The wide loops' two builds (stencil_solver.h: no FMA, so the double-precision flux rounds as
// the baseline's does): the rows' inner voxels four doubles a vector with AVX2, two with SSE2.
TWINPLAN_ABLATION_WIDE_LOOPS void applyOperatorSlice(const Strides& s, const FaceConductivity& f,
                                                       const NodeRole* roles, const float* x,
                                                       float* out, std::int64_t k, double sign) {
  for (std::int64_t j = 0; j < s.ny; ++j) {
    if (j == 0 || k == 0 || j + 1 == s.ny || k + 1 == s.nz || s.nx < 3) {
      for (std::int64_t i = 0; i < s.nx; ++i) applyOperatorAt(s, f, roles, x, out, i, j, k, sign);
      continue;
    }
    applyOperatorAt(s, f, roles, x, out, 0, j, k, sign);
    const std::size_t row = s.sy * std::size_t(j) + s.sz * std::size_t(k);
    applyOperatorInside(out + row, roles + row, x + row, f.diagonal.data() + row,
                        f.x.data() + row, f.y.data() + row, f.z.data() + row, s.nx,
                        std::int64_t(s.sy), std::int64_t(s.sz), sign);
    applyOperatorAt(s, f, roles, x, out, s.nx - 1, j, k, sign);
  }
}

}  // namespace twinplan::ablation::detail::potential
