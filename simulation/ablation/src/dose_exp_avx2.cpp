// The AVX2 path of dose_exp.h: Eigen's float exp in eight-float packets. simulation/ablation/
// CMakeLists.txt builds this file alone with -mavx2 -mno-fma -mno-avx512f on x86-64 (GCC, Clang)
// and defines TWINPLAN_ABLATION_DOSE_EXP_AVX2; dose_exp.cpp (the module's target) calls these two
// functions only after asking the processor for AVX2. Nothing else may live here: any code of this
// file may hold AVX instructions.
//
// Same bits as the baseline's four-float packets: Eigen 3.4 takes both float exps from one generic
// routine (pexp_float: the clamp to +-88.723, m = floor(x log2(e) + 1/2), r = x - m C1 - m C2, the
// degree-5 polynomial, 2^m by pldexp_generic's four factors, the max with x), and every step is
// an IEEE operation on each lane alone (min, max, floor, +, x, integer shifts). Without FMA each
// of its multiply-adds is a multiply then an add at both widths (with FMA Eigen fuses them, and
// its AVX-512 exp is another routine: neither is built here).
#ifdef TWINPLAN_ABLATION_DOSE_EXP_AVX2
#if !defined(__AVX2__) || defined(__FMA__) || defined(__AVX512F__)
#error "dose_exp_avx2.cpp must be built for AVX2 without FMA or AVX-512 (-mavx2 -mno-fma)"
#endif

#include "dose_exp.h"
#include "dose_exp_row.h"

namespace twinplan::ablation::detail {

static_assert(kFloatsPerPacket == 8);
static_assert(sizeof(FloatPacket) == 32);  // Packet8f, __m256

void addDoseRowAvx2(const float* arrhenius, const float* doublings, std::size_t count, float step_s,
                    float step_min, float* damage, float* cem43_min) {
  addDoseRow(arrhenius, doublings, count, step_s, step_min, damage, cem43_min);
}

void expRowAvx2(const float* x, std::size_t count, float* out) { expRow(x, count, out); }

}  // namespace twinplan::ablation::detail
#endif
