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
// antennas spreads along the radiating section (Bertram et al., BioMed Eng Online 2006;5:15),
// which is why their zones are longer than wide; unchoked antennas also heat back along the
// shaft, which the choke of the cooled clinical antennas suppresses (below). Multiplying by each
// voxel's conductivity at the frequency lets air, fat and water-rich tissue absorb in proportion.
//
// The radiating section ends (since branch ablzone): the line source is the antenna's active
// part, from its tip back to the choke (activeTipLength_mm). Alongside it r is the distance from
// the axis as above; beyond the tip and behind the choke r is the distance to the section's
// nearest end and the axial weight is that end's, so the SAR there falls with the distance from
// the end (the extra path attenuated at each ring's alpha) instead of continuing along the axis
// as from an infinite line. Before, r was the distance from the axis everywhere: the 1/r factor
// made the axis in front of the tip and the tissue touching the shaft behind the choke as hot as
// the tissue beside the feed, down only by the Gaussian. Why the end: a thin antenna's near field
// comes from the current and charge on it, and nothing carries current beyond the tip; behind
// the radiating section the choke (a quarter-wave sleeve shorted to the outer conductor) stops
// the current that would run back along the outer conductor of the coaxial feed and heat the
// tissue along the shaft (Bertram et al. 2006 above, abstract: a choked double-slot antenna
// designed for "a highly localized SAR pattern"; Fallahi & Prakash's review of ablation antenna
// designs, PMC6391890, abstract). How the SAR falls beyond the ends is our geometric choice (the
// same line-source law from the nearest end), not a solved field.
// The pattern is scaled so that the power absorbed in the grid is efficiency x P.
//
// Water loss (on by default when the bioheat solver models vaporisation): the dielectric
// properties of liver fall as its water boils off, eps_r from 43 to 7 and sigma from 1.8 to
// 0.3 S/m (Lopresto, Pinto & Cavagnaro, "Experimental characterisation of the thermal lesion
// induced by microwave ablation", Int J Hyperthermia 2014, abstract: eps_r 7-43 and sigma
// 0.3-1.8 S/m from the antenna outwards after ablating ex vivo bovine liver). We make each
// voxel's eps_r and sigma fall linearly with its boiled-off water fraction (the bioheat solver's
// latent store, ThermalState::latentHeatLeft_J_m3) from their values at the voxel's temperature
// (below) to those dried fractions of their 37 degC values, at 915 MHz as at 2.45 GHz (an
// assumption: the water's share of the response). The attenuation is then integrated along the
// radius, exp(-2 int_0^r alpha(r') dr'), with alpha(r') the mean over the voxels of each 1 mm
// ring around the axis (the model is axisymmetric), so tissue that absorbs less passes the power
// on and the SAR moves outward as the tissue heats and dries. The same drying-energy cap as the
// RF source (drying_cap.h) keeps the tissue drying within a step from taking more than dries it;
// what it removes goes to the tissue that can still absorb it (the wave passes on), and what none
// can take is reflected (deliveredPower_W falls).
//
// Temperature (on by default whenever the solver hands the source its temperatures): below
// boiling the properties follow the tissue's temperature, as factors on the tissue table's
// 37 degC values (dielectricChangeWithTemperature below):
// - 2.45 GHz: the sigmoid fits eta(T) = s1 (1 - 1 / (1 + exp(s2 - s3 T))) + s4 (T in degC) of
//   Lopresto et al. 2012 (ex vivo bovine liver, 2.45 GHz ablation), as quoted beside Ji & Brace's
//   (Phys Med Biol 2011;56:5249-5264) in the documentation of the MITA model (S. Hall, 2014,
//   github.com/sheldonkhall/MITA-model, section "Dependencies of Dielectric Tissue Properties";
//   the paper itself not read; docs/validation.md, "Microwave dielectric temperature
//   dependence"). Both fall with temperature: water's dipolar loss at 2.45 GHz falls as its
//   relaxation frequency rises.
// - 915 MHz: the reversible linear coefficients of Chin & Sherar (Phys Med Biol 2001;46:197-211,
//   ex vivo bovine liver at 915 MHz, abstract): sigma +1.82 %/K, eps_r -0.130 %/K (ionic
//   conduction, rising with temperature, dominates there). Their irreversible rise above 60 degC
//   (protein denaturation) is not modelled.
// Above 100 degC (the plateau, where the water boils) the factors stay at their 100 degC values
// and the water loss above takes them down to the dried fractions. Not modelled: the detuning of
// the antenna as the wavelength lengthens (the axial width w stays what it was at 37 degC).
#include <cstdint>
#include <span>
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

  // Water loss (see above): the dried fractions of eps_r and sigma, 7/43 and 0.3/1.8 (Lopresto
  // et al. 2014), and the temperature above which dry tissue takes no more power (as the RF
  // source's vaporisationEnd_degC).
  bool waterLoss = true;
  double driedPermittivityFactor = 7.0 / 43.0;
  double driedConductivityFactor = 0.3 / 1.8;
  double vaporisationEnd_degC = 105.0;
  // The change of eps_r and sigma with temperature below boiling (see above).
  bool temperatureDependence = true;
  // The pattern is rebuilt when some voxel's eps_r or sigma factor (water and temperature
  // together) moved by this much since.
  double rebuildWaterChange = 0.02;
};

// eta(T) = s1 (1 - 1 / (1 + exp(s2 - s3 T))) + s4, T in degC: a dielectric property against
// temperature as Lopresto et al. 2012 and Ji & Brace 2011 fit it.
struct DielectricSigmoid {
  double s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
  double at(double temperature_degC) const;
};
// Liver at 2.45 GHz (Lopresto et al. 2012, as quoted in the MITA model's documentation).
inline constexpr DielectricSigmoid kLiverPermittivity2450MHz{45.57, 5.223, 0.05243, 0.0};
inline constexpr DielectricSigmoid kLiverConductivity2450MHz_S_m{1.803, 6.538, 0.05984, 0.0};
// Liver at 915 MHz, reversible (Chin & Sherar 2001), per K from 37 degC.
inline constexpr double kLiverPermittivityCoefficient915MHz_per_K = -0.00130;
inline constexpr double kLiverConductivityCoefficient915MHz_per_K = 0.0182;
// The temperature up to which the properties follow temperature (the water boils above).
inline constexpr double kDielectricTemperatureEnd_degC = 100.0;

// The factors on a tissue's 37 degC eps_r and sigma at this temperature (with all its water),
// at the frequency's band (915 MHz or 2.45 GHz, whichever is nearer, as dielectricAt): the
// 2.45 GHz sigmoids divided by their 37 degC values, or the 915 MHz linear coefficients;
// temperatures above kDielectricTemperatureEnd_degC count as that temperature.
struct DielectricChange {
  double permittivityFactor = 1.0;
  double conductivityFactor = 1.0;
};
DielectricChange dielectricChangeWithTemperature(double frequency_Hz, double temperature_degC);
MicrowaveSettings microwaveSettingsFor(const AblationDevice& device);

class MicrowaveSource : public HeatSource {
 public:
  MicrowaveSource(const AblationGrid& grid, const AblationDevice& device,
                  const ProbePlacement& placement, MicrowaveSettings settings);

  void depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                      std::vector<float>& power_W_m3) override;
  std::vector<HeldTemperature> heldTemperatures(const AblationGrid& grid,
                                                const ThermalState& state) override;
  // The forward power, less what no tissue could absorb in the last step (reflected).
  double deliveredPower_W() const override { return deliveredPower_W_; }

  // The absorbed power pattern (W/m3) of the last step before the drying cap (at construction:
  // all water present) and the constants it was built with. attenuation_per_m: of the tissue
  // at the feed gap with all its water.
  const std::vector<float>& absorbedPower_W_m3() const { return pattern_W_m3_; }
  double attenuation_per_m() const { return alpha_per_m_; }
  int patternRebuilds() const { return patternRebuilds_; }
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

  // Builds pattern_W_m3_ for these per-voxel factors on eps_r and sigma (empty: 1, the tissue
  // at 37 degC with all its water).
  void buildPattern(const AblationGrid& grid, std::span<const float> permittivityFactor,
                    std::span<const float> conductivityFactor);
  // Each voxel's factors on eps_r and sigma for its temperature and the water left in it.
  void propertyFactors(const AblationGrid& grid, const ThermalState& state,
                       std::vector<float>& permittivityFactor,
                       std::vector<float>& conductivityFactor);
  // Per voxel: its ring (z, r bins of one voxel size) and the geometric factor
  // exp(-(z - z_feed)^2 / (2 w^2)) / r^n; absorbing[v] = 0 for the antenna's own voxels.
  std::vector<std::uint32_t> ring_;
  std::vector<float> ringOffset_mm_;  // r - (ring's inner radius)
  // Beyond the radiating section: the distance to its end less r (0 alongside it).
  std::vector<float> pathBeyondSection_mm_;
  std::vector<float> geometric_;
  std::vector<std::uint8_t> absorbing_;
  std::size_t radialBins_ = 0, axialBins_ = 0;
  double voxel_mm_ = 1.0;
  std::vector<float> initialLatent_J_m3_;  // the solver's latent store at the first step
  // The factors pattern_W_m3_ was built with (empty: all 1).
  std::vector<float> builtPermittivityFactor_, builtConductivityFactor_;
  double deliveredPower_W_ = 0.0;
  int patternRebuilds_ = 0;
};

}  // namespace twinplan::ablation
