#pragma once
// The thermal and electrical properties of one tissue, as the ablation physics reads them
// (issue #17 item 1). SI units throughout (kg, m, s, K, W, S): the solvers work in metres even
// though the grid's geometry is in LPS millimetres. The values and their citations live in
// resources/tissues (loaded by tissue_library.h); this struct is what a solver sees.
#include <string>

namespace twinplan::ablation {

// Body temperature, the reference of every temperature coefficient below (degC).
inline constexpr double kBodyTemperature_degC = 37.0;

struct TissueProperties {
  std::string id;    // the key a segment's tissueType names: "liver", "tumour", "blood", "fat" ...
  std::string name;  // for reports: "Liver"

  double density_kg_m3 = 1000.0;
  double heatCapacity_J_kgK = 3600.0;
  double thermalConductivity_W_mK = 0.5;
  // k(T) = k37 * (1 + thermalConductivityCoefficient_per_K * (T - 37)), linear, as most RFA
  // models use it (e.g. Haemmerich et al. 2003).
  double thermalConductivityCoefficient_per_K = 0.0;

  // Pennes blood perfusion: volumetric flow of blood per volume of tissue (1/s), multiplied by
  // the blood's density and heat capacity in the heat sink term w * rho_b * c_b * (T_a - T).
  double perfusion_per_s = 0.0;

  // Electrical conductivity at RF ablation frequencies (about 460-500 kHz),
  // sigma(T) = sigma37 * (1 + electricalConductivityCoefficient_per_K * (T - 37)) below 100 degC.
  double electricalConductivity_S_m = 0.3;
  double electricalConductivityCoefficient_per_K = 0.0;

  // Dielectric properties at the microwave frequencies of the devices (915 MHz and 2.45 GHz).
  double relativePermittivity_915MHz = 50.0;
  double electricalConductivity_915MHz_S_m = 1.0;
  double relativePermittivity_2450MHz = 45.0;
  double electricalConductivity_2450MHz_S_m = 1.7;

  // Arrhenius damage: dOmega/dt = A exp(-Ea / (R T)); Omega = 1 is 63 % of cells dead, the
  // usual edge of the ablation zone.
  double arrheniusFrequencyFactor_per_s = 7.39e39;  // liver, Jacques et al. / Chang & Nguyen 2004
  double arrheniusActivationEnergy_J_mol = 2.577e5;

  // Mass fraction of water (kg water per kg tissue). Its latent heat of vaporisation bounds the
  // temperature near 100 degC until it has boiled off (bioheat.h, BioheatParameters
  // ::waterVaporisation), and microwave absorption falls as it goes (microwave_source.h). The
  // tissue table gives it per tissue (resources/tissues/tissues.json, waterContent_kg_kg); 0.75,
  // for a hand-built tissue, is the middle of the 0.70-0.80 range of soft tissues (Duck,
  // Physical Properties of Tissue, 1990, ch. 7). 0 disables the latent heat of this tissue.
  double waterContent_kg_kg = 0.75;
  // Diffusivity of the tissue's liquid water (m2/s): how fast water moves back into tissue that
  // has boiled dry once it is below boiling again (BioheatParameters::waterRehydration). The
  // tissue table gives the median apparent diffusion coefficient of diffusion-weighted MRI
  // where one was found (resources/tissues/tissues.json, waterDiffusivity_m2_s, optional);
  // 0: dried tissue of this type takes no water back.
  double waterDiffusivity_m2_s = 0.0;

  // What is a vessel for the heat-sink model: voxels of this tissue carry flowing blood.
  bool isBlood = false;
};

}  // namespace twinplan::ablation
