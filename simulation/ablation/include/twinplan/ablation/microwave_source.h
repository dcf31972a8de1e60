#pragma once
// The microwave antenna as a heat source (issue #17 item 2): an axially symmetric SAR pattern
// around the antenna,
//   SAR(r, z) ~ sigma_f(voxel) * exp(-2 alpha r) / r^n * exp(-(z - z_feed)^2 / (2 w^2)),
// r the distance from the antenna axis, z the position along it. The radial factor is the power
// density of a cylindrical wave from a line source, |E|^2 ~ exp(-2 alpha r) / r (n = 1), in a
// lossy medium with the attenuation constant alpha of the tissue at the feed gap (King, Trembly
// & Strohbehn, IEEE Trans Microw Theory Tech 1983;31:574-583; the same form is used for
// interstitial antennas by Strohbehn et al. 1979). The axial factor is centred on the feed gap,
// where the SAR of a coaxial slot/dipole antenna peaks. Its width w: for a bare dipole a quarter
// of the wavelength in the tissue (the half-wave dipole's current distribution); for a catalogue
// antenna half its radiating section (activeTipLength_mm), our assumption: the SAR of clinical
// antennas spreads along the radiating section and back along the shaft (Bertram et al., BioMed
// Eng Online 2006;5:15), which is why their zones are longer than wide. Multiplying by each voxel's
// conductivity at the frequency lets air, fat and water-rich tissue absorb in proportion.
// The pattern is scaled so that the power absorbed in the grid is efficiency x P.
//
// Not modelled: the change of the dielectric properties with temperature (water loss above
// ~100 degC shortens the wavelength and lowers sigma: Ji & Brace, Phys Med Biol
// 2011;56:5249-5264); the pattern is fixed for the whole treatment.
#include <vector>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/ablation/probe_geometry.h"

namespace twinplan::ablation {

// The attenuation constant (Np/m) of a plane wave in a lossy dielectric:
// alpha = omega sqrt(mu eps / 2) sqrt(sqrt(1 + (sigma / (omega eps))^2) - 1), mu = mu0.
double attenuationConstant_per_m(double relativePermittivity, double conductivity_S_m,
                                 double frequency_Hz);

// The wavelength in the tissue (m): 2 pi / beta, beta the phase constant.
double tissueWavelength_m(double relativePermittivity, double conductivity_S_m,
                          double frequency_Hz);

// A tissue's dielectric properties at the device's frequency: the 915 MHz or 2.45 GHz values of
// the tissue table, whichever is nearer.
struct Dielectric {
  double relativePermittivity = 1.0;
  double conductivity_S_m = 0.0;
};
Dielectric dielectricAt(const TissueProperties& tissue, double frequency_Hz);

struct MicrowaveSettings {
  double power_W = 60.0;    // forward power set on the generator
  double efficiency = 1.0;  // share absorbed in tissue
  double frequency_Hz = 2.45e9;
  double radialExponent = 1.0;  // n above
  double axialWidth_mm = 0.0;   // w above; 0 = a quarter of the tissue wavelength
};
MicrowaveSettings microwaveSettingsFor(const AblationDevice& device);

class MicrowaveSource : public HeatSource {
 public:
  MicrowaveSource(const AblationGrid& grid, const AblationDevice& device,
                  const ProbePlacement& placement, MicrowaveSettings settings);

  void depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                      std::vector<float>& power_W_m3) override;
  std::vector<HeldTemperature> heldTemperatures(const AblationGrid& grid,
                                                const ThermalState& state) override;
  double deliveredPower_W() const override { return settings_.power_W; }

  // The absorbed power pattern (W/m3) and the constants it was built with.
  const std::vector<float>& absorbedPower_W_m3() const { return pattern_W_m3_; }
  double attenuation_per_m() const { return alpha_per_m_; }
  double axialWidth_mm() const { return axialWidth_mm_; }
  Vec3 feedGap_lps() const { return feedGap_lps_; }
  const ProbeVoxels& voxels() const { return voxels_; }

 private:
  MicrowaveSettings settings_;
  bool cooled_ = false;
  double coolant_degC_ = 37.0;
  ProbeVoxels voxels_;
  Vec3 feedGap_lps_;
  double alpha_per_m_ = 0.0;
  double axialWidth_mm_ = 0.0;
  std::vector<float> pattern_W_m3_;
};

}  // namespace twinplan::ablation
