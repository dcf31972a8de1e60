#pragma once
// Liver as the ablation tests use it, until the tissue table (resources/tissues) is filled by
// its owner; each value with its source.
#include "twinplan/ablation/tissue_properties.h"

namespace twinplan::ablation::testing {

inline TissueProperties testLiver() {
  TissueProperties liver;
  liver.id = "liver";
  liver.name = "Liver";
  // IT'IS Tissue Properties Database v4.1 (Hasgall et al. 2022), liver: density, heat capacity,
  // thermal conductivity.
  liver.density_kg_m3 = 1079.0;
  liver.heatCapacity_J_kgK = 3540.0;
  liver.thermalConductivity_W_mK = 0.52;
  // Pennes perfusion of liver, 6.4e-3 1/s (Tungjitkusolmun et al., IEEE Trans Biomed Eng
  // 2002;49:3-9).
  liver.perfusion_per_s = 6.4e-3;
  // sigma at 500 kHz 0.333 S/m (Tungjitkusolmun et al. 2002), +1.5 %/K (Trujillo & Berjano,
  // Int J Hyperthermia 2013;29:590-597).
  liver.electricalConductivity_S_m = 0.333;
  liver.electricalConductivityCoefficient_per_K = 0.015;
  // Gabriel et al. 1996 parametric model via the IT'IS database: liver at 915 MHz and 2.45 GHz.
  liver.relativePermittivity_915MHz = 46.8;
  liver.electricalConductivity_915MHz_S_m = 0.86;
  liver.relativePermittivity_2450MHz = 43.0;
  liver.electricalConductivity_2450MHz_S_m = 1.69;
  return liver;
}

}  // namespace twinplan::ablation::testing
