// The baseline path of dose_exp.h and the pick of the path the simulation takes.
#include "dose_exp.h"

#include "dose_exp_row.h"

namespace twinplan::ablation::detail {

namespace {

bool processorHasAvx2() {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

}  // namespace

DoseExpPath avx2DoseExp() {
  // (TWINPLAN_ABLATION_BASELINE_LOOPS: the baseline alone, as for the solvers' loops,
  // src/stencil_solver.h.) A module built for AVX itself (-march=native, x86-64-v3: __AVX__) has
  // Eigen packets of eight floats or more, and may fuse multiply-adds: the no-FMA AVX2 path would
  // be neither wider than the baseline nor its bits, so it is not offered.
#if defined(TWINPLAN_ABLATION_DOSE_EXP_AVX2) && !defined(TWINPLAN_ABLATION_BASELINE_LOOPS) && \
    !defined(__AVX__)
  return {"avx2", 8, &addDoseRowAvx2, &expRowAvx2};
#else
  return {nullptr, 0, nullptr, nullptr};
#endif
}

DoseExpPath baselineDoseExp() {
  // Eigen's float packet for the module's target (float itself where Eigen does not vectorise:
  // then Eigen's exp is std::exp).
  return {"baseline", kFloatsPerPacket, &addDoseRow, &expRow};
}

std::vector<DoseExpPath> doseExpPaths() {
  std::vector<DoseExpPath> paths{baselineDoseExp()};
  const DoseExpPath avx2 = avx2DoseExp();
  if (avx2.name != nullptr && processorHasAvx2()) paths.push_back(avx2);
  return paths;
}

const DoseExpPath& chosenDoseExp() {
  static const DoseExpPath chosen = doseExpPaths().back();
  return chosen;
}

}  // namespace twinplan::ablation::detail
