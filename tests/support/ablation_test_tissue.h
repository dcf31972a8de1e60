#pragma once
// Liver as the ablation tests use it: the tissue table's liver (resources/tissues/tissues.json:
// IT'IS v4.1 thermal values, sigma 0.333 S/m +1.5 %/K, Gabriel 1996 dielectric values, water
// 0.72 kg/kg), with the two departures the tests' closed forms and recorded figures rest on.
#include "twinplan/ablation/tissue_library.h"
#include "twinplan/ablation/tissue_properties.h"

namespace twinplan::ablation::testing {

inline TissueProperties testLiver() {
  TissueProperties liver = tissueLibrary().at("liver");
  // Constant thermal conductivity: the analytic Pennes and conduction solutions assume it.
  liver.thermalConductivityCoefficient_per_K = 0.0;
  // Pennes perfusion 6.4e-3 1/s (Tungjitkusolmun et al., IEEE Trans Biomed Eng 2002;49:3-9), the
  // value the tests' expected figures were derived with, instead of IT'IS's 0.0155 1/s.
  liver.perfusion_per_s = 6.4e-3;
  return liver;
}

}  // namespace twinplan::ablation::testing
