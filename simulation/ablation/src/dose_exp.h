#pragma once
// The bioheat stage's damage and CEM43 increments of a row of voxels (bioheat.cpp
// FieldAdvance::addDose): each voxel's Arrhenius and CEM43 exponents through Eigen's vectorised
// float exp, times the step, added to the voxel's running Omega and CEM43, in one pass.
//
// Every voxel takes the packet exp, the row's last, partial packet too (from a zero-padded copy):
// Eigen's scalar path is std::exp, up to 1 ulp away (tests/unit/ablation_damage_exp_test), so a
// voxel's bits depend neither on where its row ends nor on how the rows are split among threads.
//
// The path is picked once, when first used: on x86-64 where the processor has AVX2, a build of the
// same Eigen exp in eight-float packets (dose_exp_avx2.cpp: Eigen 3.4's pexp_float, the one
// generic routine behind both its SSE and its AVX float exp, built without FMA so each
// multiply-add is a multiply and an add, as on the baseline), which gives the baseline's bits
// (checked over every float exponent, docs/validation.md, branch abldose); otherwise the
// baseline, Eigen's packets for the target this module is built for (SSE's four on x86-64's
// baseline). Eigen's AVX-512 exp is another routine (fused, other constants) and Eigen does not
// build AVX-512 without FMA, so there is no sixteen-float path.
#include <cstddef>
#include <vector>

namespace twinplan::ablation::detail {

// damage[n] += step_s * exp(arrhenius[n]) and cem43_min[n] += step_min * exp(doublings[n]) for
// n < count, in float (the product rounded, then the sum).
using AddDoseRow = void (*)(const float* arrhenius, const float* doublings, std::size_t count,
                            float step_s, float step_min, float* damage, float* cem43_min);
// out[n] = exp(x[n]) for n < count, the same packet exp (for the tests).
using ExpRow = void (*)(const float* x, std::size_t count, float* out);

struct DoseExpPath {
  const char* name;    // "baseline", "avx2"
  std::size_t packet;  // floats a packet
  AddDoseRow addDose;
  ExpRow exp;
};

// The baseline path, built for the module's target.
DoseExpPath baselineDoseExp();
// The eight-float AVX2 path where this build has it (x86-64 with GCC or Clang:
// TWINPLAN_ABLATION_DOSE_EXP_AVX2, set by simulation/ablation/CMakeLists.txt; not in a build
// with TWINPLAN_ABLATION_BASELINE_LOOPS, the baseline alone, nor where the module itself is built
// for AVX, whose baseline is as wide); name nullptr otherwise. Run it only where the processor
// has AVX2.
DoseExpPath avx2DoseExp();

#ifdef TWINPLAN_ABLATION_DOSE_EXP_AVX2
// dose_exp_avx2.cpp's rows (AVX2 instructions: call them only through avx2DoseExp()).
void addDoseRowAvx2(const float* arrhenius, const float* doublings, std::size_t count, float step_s,
                    float step_min, float* damage, float* cem43_min);
void expRowAvx2(const float* x, std::size_t count, float* out);
#endif
// Every path this build has and this processor can run, the baseline first.
std::vector<DoseExpPath> doseExpPaths();
// The path the simulation takes: the widest of doseExpPaths(), picked at the first call.
const DoseExpPath& chosenDoseExp();

}  // namespace twinplan::ablation::detail
