// The microwave antenna source (simulation/ablation/microwave_source.h): attenuation from the
// dielectric properties, the absorbed power, and the shape of the SAR pattern.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdio>
#include <numbers>

#include "ablation_test_tissue.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/microwave_source.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

using testing::testLiver;

// The propagation constant gamma = sqrt(j omega mu0 (sigma + j omega eps0 eps_r)) in complex
// arithmetic, independently of the closed form; alpha = Re(gamma), beta = Im(gamma).
std::complex<double> propagationConstant(double epsR, double sigma, double f) {
  const double omega = 2.0 * std::numbers::pi * f;
  const double mu0 = 1.25663706212e-6, eps0 = 8.8541878128e-12;  // CODATA 2018
  const std::complex<double> j(0.0, 1.0);
  return std::sqrt(j * omega * mu0 * (sigma + j * omega * eps0 * epsR));
}

TEST(AblationMicrowave, AttenuationConstantMatchesTheComplexPropagationConstant) {
  // Liver (Gabriel 1996 via IT'IS): 2.45 GHz eps_r 43.0, sigma 1.69 S/m; 915 MHz 46.8, 0.86 S/m.
  for (auto [epsR, sigma, f] : {std::tuple{43.0, 1.69, 2.45e9}, std::tuple{46.8, 0.86, 915e6}}) {
    const std::complex<double> gamma = propagationConstant(epsR, sigma, f);
    EXPECT_NEAR(attenuationConstant_per_m(epsR, sigma, f) / gamma.real(), 1.0, 1e-6);
    EXPECT_NEAR(tissueWavelength_m(epsR, sigma, f) * gamma.imag() / (2.0 * std::numbers::pi), 1.0,
                1e-6);
  }
  // Orders of magnitude: ~48 Np/m (field penetration 2.1 cm) at 2.45 GHz, ~23 Np/m (4.3 cm) at
  // 915 MHz; the wavelength in liver ~1.8 cm and ~4.8 cm.
  EXPECT_NEAR(attenuationConstant_per_m(43.0, 1.69, 2.45e9), 48.0, 1.0);
  EXPECT_NEAR(attenuationConstant_per_m(46.8, 0.86, 915e6), 23.3, 0.5);
  EXPECT_NEAR(tissueWavelength_m(43.0, 1.69, 2.45e9) * 1e3, 18.5, 0.5);
}

// The 2.45 GHz antenna along +z with its feed gap (10 mm behind the tip) at the origin.
struct AntennaInLiver {
  AblationGrid grid = uniformGrid(testLiver(), {81, 81, 81}, 1.0);
  ProbePlacement placement;
  const AblationDevice& device = findDevice("mw-2450mhz-100w");
  AntennaInLiver() {
    placement.tip_lps = Vec3(0.0, 0.0, 10.0);
    placement.entry_lps = Vec3(0.0, 0.0, -200.0);
  }
  float sarAt(const std::vector<float>& sar, double x_mm, double z_mm) const {
    const Vec3 ijk = grid.geometry.lpsToIndex(Vec3(x_mm, 0.0, z_mm));
    return sar[grid.geometry.linearIndex(std::llround(ijk.x()), std::llround(ijk.y()),
                                         std::llround(ijk.z()))];
  }
};

TEST(AblationMicrowave, AbsorbedPowerIsTheSetPowerTimesTheEfficiency) {
  AntennaInLiver setup;
  MicrowaveSource source(setup.grid, setup.device, setup.placement,
                         microwaveSettingsFor(setup.device));
  std::vector<float> power;
  source.depositedPower(setup.grid, ThermalState{}, 1.0, power);
  const double h = setup.grid.voxelSize_m();
  double total = 0.0;
  for (float p : power) total += p;
  EXPECT_NEAR(total * h * h * h, 100.0 * 0.75, 75.0 * 1e-5);
  EXPECT_DOUBLE_EQ(source.deliveredPower_W(), 100.0);
  // The antenna's own voxels absorb nothing; the cooled antenna (radiating section and shaft)
  // is held at the coolant's 20 degC.
  for (std::size_t v : source.voxels().active) EXPECT_EQ(power[v], 0.0f);
  const auto held = source.heldTemperatures(setup.grid, ThermalState{});
  EXPECT_EQ(held.size(), source.voxels().active.size() + source.voxels().shaft.size());
  for (const HeldTemperature& t : held) EXPECT_FLOAT_EQ(t.temperature_degC, 20.0f);
}

TEST(AblationMicrowave, RadialDecayFollowsTheAttenuationConstant) {
  AntennaInLiver setup;
  MicrowaveSource source(setup.grid, setup.device, setup.placement,
                         microwaveSettingsFor(setup.device));
  const std::vector<float>& sar = source.absorbedPower_W_m3();
  const double alpha_per_mm = attenuationConstant_per_m(43.0, 1.69, 2.45e9) * 1e-3;
  EXPECT_NEAR(source.attenuation_per_m() * 1e-3, alpha_per_mm, 1e-12);
  // In the feed gap's plane, SAR r ~ exp(-2 alpha r): the least-squares slope of ln(SAR r)
  // over r = 5..30 mm is -2 alpha (a decay length 1/(2 alpha) = 10.4 mm).
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  for (double r = 5.0; r <= 30.0; r += 1.0, ++n) {
    const double y = std::log(double(setup.sarAt(sar, r, 0.0)) * r);
    sx += r, sy += y, sxx += r * r, sxy += r * y;
  }
  const double slope_per_mm = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  EXPECT_NEAR(-slope_per_mm / (2.0 * alpha_per_mm), 1.0, 1e-3);
  // Along the antenna, 5 mm from its axis: the peak is level with the feed gap, and the axial
  // profile is a Gaussian of half the radiating section (20 mm / 2 = 10 mm).
  EXPECT_DOUBLE_EQ(source.axialWidth_mm(), 10.0);
  float peak = 0.0f;
  double peakZ = 1e9;
  for (double z = -20.0; z <= 20.0; z += 1.0) {
    if (setup.sarAt(sar, 5.0, z) > peak) peak = setup.sarAt(sar, 5.0, z), peakZ = z;
  }
  EXPECT_DOUBLE_EQ(peakZ, 0.0);
  const double w = source.axialWidth_mm();
  const double expected = std::exp(-0.5 * 4.0 * 4.0 / (w * w));  // at z = 4 mm
  EXPECT_NEAR(setup.sarAt(sar, 5.0, 4.0) / peak, expected, 1e-4);
  // A bare dipole (no width given): a quarter of the wavelength in liver, 4.6 mm.
  MicrowaveSettings dipole = microwaveSettingsFor(setup.device);
  dipole.axialWidth_mm = 0.0;
  const MicrowaveSource bare(setup.grid, setup.device, setup.placement, dipole);
  EXPECT_NEAR(bare.axialWidth_mm(), 0.25 * tissueWavelength_m(43.0, 1.69, 2.45e9) * 1e3, 1e-9);
}

// Beyond the radiating section (tip at z = +10 mm, choke end at z = -10 mm) the line-source law
// is taken from the section's nearest end, with that end's axial weight: in one liver, between
// two points beyond the same end, SAR(d1) / SAR(d2) = [e^(-2 alpha d1) / d1] / [e^(-2 alpha d2)
// / d2], d = |(r, z - z_end)| (r at least the shaft's 0.9 mm radius, as alongside). The old
// model (distance to the infinite axis, 1/r) kept the axis in front of the tip nearly as hot as
// the tissue beside the feed, down only by the Gaussian.
TEST(AblationMicrowave, BeyondTheTipAndBehindTheChokeTheSarFallsWithTheDistanceToTheSectionsEnd) {
  AntennaInLiver setup;
  MicrowaveSource source(setup.grid, setup.device, setup.placement,
                         microwaveSettingsFor(setup.device));
  const std::vector<float>& sar = source.absorbedPower_W_m3();
  const double alpha_per_mm = attenuationConstant_per_m(43.0, 1.69, 2.45e9) * 1e-3;
  auto law = [&](double r_mm, double beyond_mm) {
    const double d = std::hypot(std::max(r_mm, 0.9), beyond_mm);
    return std::exp(-2.0 * alpha_per_mm * d) / d;
  };
  for (const double end : {10.0, -10.0}) {        // the tip, the choke's end of the section
    const double outward = end > 0 ? 1.0 : -1.0;  // away from the section
    const float reference = setup.sarAt(sar, 4.0, end + outward * 3.0);
    // Behind the choke the shaft's own voxels (r = 0) absorb nothing.
    const double axis = end > 0 ? 0.0 : 2.0;
    for (auto [r, beyond] : {std::pair{axis, 6.0}, {8.0, 8.0}, {2.0, 12.0}, {12.0, 1.0}}) {
      const double measured = setup.sarAt(sar, r, end + outward * beyond) / reference;
      EXPECT_NEAR(measured / (law(r, beyond) / law(4.0, 3.0)), 1.0, 1e-4)
          << "end " << end << ", r " << r << ", " << beyond << " mm beyond";
    }
  }
  // 6 mm in front of the tip on the axis against the feed plane 1 mm from the axis (next to the
  // antenna, no tissue in between): the tip's Gaussian weight exp(-10^2 / (2 10^2)) times the
  // law from the tip; 0.056. The old model gave exp(-16^2 / 200) exp(-2 alpha 0.9) / 0.9 = 0.28.
  const double ratio = setup.sarAt(sar, 0.0, 16.0) / setup.sarAt(sar, 1.0, 0.0);
  EXPECT_NEAR(ratio / (std::exp(-0.5) * law(0.0, 6.0)), 1.0, 1e-4);
  EXPECT_LT(ratio, 0.1);
}

TEST(AblationMicrowave, TissueThatConductsLessAbsorbsLess) {
  // Fat (Gabriel 1996 via IT'IS, 2.45 GHz: eps_r 5.28, sigma 0.10 S/m) beside the antenna.
  AntennaInLiver setup;
  TissueProperties fat = testLiver();
  fat.id = "fat";
  fat.relativePermittivity_2450MHz = 5.28;
  fat.electricalConductivity_2450MHz_S_m = 0.10;
  setup.grid.tissues.push_back(fat);
  const std::size_t fatVoxel = setup.grid.geometry.linearIndex(40 - 6, 40, 40);  // x = -6 mm
  setup.grid.tissue[fatVoxel] = 1;
  MicrowaveSource source(setup.grid, setup.device, setup.placement,
                         microwaveSettingsFor(setup.device));
  const std::vector<float>& sar = source.absorbedPower_W_m3();
  const std::size_t liverMirror = setup.grid.geometry.linearIndex(40 + 6, 40, 40);  // x = +6 mm
  EXPECT_NEAR(sar[fatVoxel] / sar[liverMirror], 0.10 / 1.69, 1e-5);
}

// A thermal state of the whole grid at one temperature with each voxel's full latent store
// (rho w L, L = 2.257e6 J/kg), as the bioheat solver hands it to its source.
ThermalState wetState(const AblationGrid& grid, float temperature_degC) {
  ThermalState state;
  state.temperature_degC.assign(grid.geometry.voxelCount(), temperature_degC);
  state.latentHeatLeft_J_m3.resize(grid.geometry.voxelCount());
  for (std::size_t v = 0; v < state.latentHeatLeft_J_m3.size(); ++v) {
    const TissueProperties& t = grid.tissueAt(v);
    state.latentHeatLeft_J_m3[v] = float(t.density_kg_m3 * t.waterContent_kg_kg * 2.257e6);
  }
  return state;
}

double radiusOf(const AblationGrid& grid, std::size_t v) {
  const ImageGeometry& g = grid.geometry;
  const std::int64_t i = std::int64_t(v % std::size_t(g.size[0]));
  const std::int64_t j = std::int64_t(v / std::size_t(g.size[0]) % std::size_t(g.size[1]));
  const Vec3 p = g.indexToLps(Vec3(double(i), double(j), 0.0));
  return std::hypot(p.x(), p.y());
}

TEST(AblationMicrowave, DriedTissueAbsorbsLessAndPassesThePowerOutward) {
  // Lopresto et al. 2014: after ablation eps_r falls from 43 to 7 and sigma from 1.8 to 0.3 S/m.
  // Dry every voxel within 5 mm of the axis: the rings inside 5 mm attenuate with the dried
  // alpha_d, the rest with liver's alpha, so in the feed plane
  //   SAR(3 mm) / SAR(10 mm) = [sigma_d e^(-2 3 alpha_d) / 3] / [sigma e^(-2 (5 alpha_d + 5 alpha))
  //   / 10].
  AntennaInLiver setup;
  MicrowaveSource source(setup.grid, setup.device, setup.placement,
                         microwaveSettingsFor(setup.device));
  ThermalState state = wetState(setup.grid, 37.0f);
  std::vector<float> power;
  source.depositedPower(setup.grid, state, 1.0, power);  // all water there: no rebuild
  EXPECT_EQ(source.patternRebuilds(), 0);
  const std::vector<float> wet = source.absorbedPower_W_m3();
  for (std::size_t v = 0; v < wet.size(); ++v)
    if (radiusOf(setup.grid, v) < 5.0) state.latentHeatLeft_J_m3[v] = 0.0f;
  source.depositedPower(setup.grid, state, 1.0, power);
  EXPECT_EQ(source.patternRebuilds(), 1);
  const std::vector<float>& dry = source.absorbedPower_W_m3();

  const double epsD = 43.0 * 7.0 / 43.0, sigmaD = 1.69 * 0.3 / 1.8;
  const double alphaD = attenuationConstant_per_m(epsD, sigmaD, 2.45e9) * 1e-3;
  const double alpha = attenuationConstant_per_m(43.0, 1.69, 2.45e9) * 1e-3;
  const double expected = (sigmaD * std::exp(-2.0 * 3.0 * alphaD) / 3.0) /
                          (1.69 * std::exp(-2.0 * (5.0 * alphaD + 5.0 * alpha)) / 10.0);
  EXPECT_NEAR(setup.sarAt(dry, 3.0, 0.0) / setup.sarAt(dry, 10.0, 0.0) / expected, 1.0, 1e-4);
  // Still efficiency x P in all, but more of it beyond the dried core.
  const double h3 = std::pow(setup.grid.voxelSize_m(), 3);
  double wetOut = 0.0, dryOut = 0.0, dryTotal = 0.0;
  for (std::size_t v = 0; v < wet.size(); ++v) {
    dryTotal += dry[v] * h3;
    if (radiusOf(setup.grid, v) >= 5.0) wetOut += wet[v] * h3, dryOut += dry[v] * h3;
  }
  EXPECT_NEAR(dryTotal, 75.0, 75.0 * 1e-5);
  EXPECT_GT(dryOut, wetOut + 5.0);
  std::printf("absorbed beyond 5 mm: %.1f W wet, %.1f W with the core dried\n", wetOut, dryOut);
}

TEST(AblationMicrowave, DryingTissueTakesNoMoreThanDriesItAndThePowerPassesOn) {
  // Voxels next to the antenna with no water left at 104 degC may take rho c (105 - 104) per
  // step, those at 110 degC nothing; the power they cannot take goes to the wet tissue, so the
  // grid still absorbs efficiency x P.
  AntennaInLiver setup;
  MicrowaveSettings settings = microwaveSettingsFor(setup.device);
  settings.waterLoss = false;  // the cap alone
  MicrowaveSource source(setup.grid, setup.device, setup.placement, settings);
  ThermalState state = wetState(setup.grid, 37.0f);
  std::vector<std::size_t> drying, dried;
  for (std::size_t v = 0; v < state.temperature_degC.size(); ++v) {
    const double r = radiusOf(setup.grid, v);
    if (source.absorbedPower_W_m3()[v] <= 0.0f || r > 4.0) continue;
    state.latentHeatLeft_J_m3[v] = 0.0f;
    state.temperature_degC[v] = r < 2.5 ? 110.0f : 104.0f;
    (r < 2.5 ? dried : drying).push_back(v);
  }
  ASSERT_FALSE(drying.empty());
  ASSERT_FALSE(dried.empty());
  std::vector<float> power;
  const double step_s = 5.0;
  source.depositedPower(setup.grid, state, step_s, power);
  const double capDrying_W_m3 = 1079.0 * 3540.0 * 1.0 / step_s;
  for (std::size_t v : dried) EXPECT_EQ(power[v], 0.0f);
  for (std::size_t v : drying) EXPECT_LE(power[v], capDrying_W_m3 * (1.0 + 1e-5));
  double total = 0.0;
  for (float p : power) total += p;
  EXPECT_NEAR(total * std::pow(setup.grid.voxelSize_m(), 3), 75.0, 75.0 * 1e-4);
  EXPECT_NEAR(source.deliveredPower_W(), 100.0, 1e-3);
}

TEST(AblationMicrowave, DielectricPropertiesFollowTheCitedFitsWithTemperature) {
  // Lopresto et al. 2012's sigmoids for liver at 2.45 GHz (s1..s4 as quoted in the MITA model's
  // documentation), evaluated by hand: eps_r 43.92, 40.50, 33.57, 22.56 and sigma 1.779, 1.713,
  // 1.536, 1.145 S/m at 37, 60, 80, 100 degC.
  const double temperatures[] = {37.0, 60.0, 80.0, 100.0};
  const double eps[] = {43.9224, 40.4966, 33.5689, 22.5572};
  const double sigma[] = {1.77943, 1.71312, 1.53625, 1.14502};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(kLiverPermittivity2450MHz.at(temperatures[i]), eps[i], 1e-3);
    EXPECT_NEAR(kLiverConductivity2450MHz_S_m.at(temperatures[i]), sigma[i], 1e-4);
    const DielectricChange at2450 = dielectricChangeWithTemperature(2.45e9, temperatures[i]);
    EXPECT_NEAR(at2450.permittivityFactor, eps[i] / eps[0], 1e-4);
    EXPECT_NEAR(at2450.conductivityFactor, sigma[i] / sigma[0], 1e-4);
    // 915 MHz: Chin & Sherar 2001's reversible -0.130 %/K and +1.82 %/K from 37 degC.
    const DielectricChange at915 = dielectricChangeWithTemperature(915e6, temperatures[i]);
    EXPECT_NEAR(at915.permittivityFactor, 1.0 - 0.0013 * (temperatures[i] - 37.0), 1e-12);
    EXPECT_NEAR(at915.conductivityFactor, 1.0 + 0.0182 * (temperatures[i] - 37.0), 1e-12);
  }
  // Above boiling the 100 degC values hold (the water loss takes over); 37 degC is exactly 1.
  EXPECT_DOUBLE_EQ(dielectricChangeWithTemperature(2.45e9, 130.0).conductivityFactor,
                   dielectricChangeWithTemperature(2.45e9, 100.0).conductivityFactor);
  EXPECT_DOUBLE_EQ(dielectricChangeWithTemperature(915e6, 130.0).conductivityFactor,
                   1.0 + 0.0182 * 63);
  EXPECT_DOUBLE_EQ(dielectricChangeWithTemperature(2.45e9, 37.0).permittivityFactor, 1.0);
}

// The absorbed power beyond `radius_mm` of the axis (W) and SAR(3 mm) / SAR(10 mm) in the feed
// plane, with every voxel within 5 mm of the axis at 90 degC and the rest at 37 degC.
struct HeatedCore {
  double outside_W = 0.0, ratio = 0.0;
};
HeatedCore withAHeatedCore(const AblationDevice& device, bool temperatureDependence) {
  AntennaInLiver setup;
  MicrowaveSettings settings = microwaveSettingsFor(device);
  settings.temperatureDependence = temperatureDependence;
  MicrowaveSource source(setup.grid, device, setup.placement, settings);
  ThermalState state = wetState(setup.grid, 37.0f);
  for (std::size_t v = 0; v < state.temperature_degC.size(); ++v)
    if (radiusOf(setup.grid, v) < 5.0) state.temperature_degC[v] = 90.0f;
  std::vector<float> power;
  source.depositedPower(setup.grid, state, 1.0, power);
  EXPECT_EQ(source.patternRebuilds(), temperatureDependence ? 1 : 0);
  HeatedCore core;
  const double h3 = std::pow(setup.grid.voxelSize_m(), 3);
  for (std::size_t v = 0; v < power.size(); ++v)
    if (radiusOf(setup.grid, v) >= 5.0) core.outside_W += power[v] * h3;
  const std::vector<float>& sar = source.absorbedPower_W_m3();
  core.ratio = setup.sarAt(sar, 3.0, 0.0) / setup.sarAt(sar, 10.0, 0.0);
  return core;
}

TEST(AblationMicrowave, HeatedTissuePassesPowerOutwardAt2450MHzAndKeepsItAt915MHz) {
  // At 2.45 GHz liver at 90 degC conducts 0.767 x and has 0.649 x the permittivity of 37 degC's
  // (the sigmoids): it absorbs less and the power passes outward. At 915 MHz sigma rises by
  // 1.82 %/K (x 1.96 at 90 degC): the heated core takes more and less reaches beyond it.
  // SAR(3 mm) / SAR(10 mm) as in DriedTissueAbsorbsLessAndPassesThePowerOutward, with the
  // heated alpha_h inside 5 mm.
  for (const char* id : {"mw-2450mhz-100w", "mw-915mhz-45w"}) {
    const AblationDevice& device = findDevice(id);
    const double f = device.frequency_Hz;
    const Dielectric liver = dielectricAt(testLiver(), f);
    const DielectricChange hot = dielectricChangeWithTemperature(f, 90.0);
    const double epsH = liver.relativePermittivity * hot.permittivityFactor;
    const double sigmaH = liver.conductivity_S_m * hot.conductivityFactor;
    const double alphaH = attenuationConstant_per_m(epsH, sigmaH, f) * 1e-3;
    const double alpha =
        attenuationConstant_per_m(liver.relativePermittivity, liver.conductivity_S_m, f) * 1e-3;
    const double expected =
        (sigmaH * std::exp(-2.0 * 3.0 * alphaH) / 3.0) /
        (liver.conductivity_S_m * std::exp(-2.0 * (5.0 * alphaH + 5.0 * alpha)) / 10.0);
    const HeatedCore still = withAHeatedCore(device, false);
    const HeatedCore heated = withAHeatedCore(device, true);
    EXPECT_NEAR(heated.ratio / expected, 1.0, 1e-4) << id;
    if (f > 2e9) {
      EXPECT_GT(heated.outside_W, still.outside_W + 1.0) << id;
    } else {
      EXPECT_LT(heated.outside_W, still.outside_W - 1.0) << id;
    }
    std::printf("%s: absorbed beyond 5 mm %.1f W at 37 degC, %.1f W with the core at 90 degC\n", id,
                still.outside_W, heated.outside_W);
  }
}

// The Omega >= 1 zone of a 2 min ablation at the device's power in a 51 mm liver cube, with and
// without the dielectric properties' temperature dependence.
double zoneVolumeAfterTwoMinutes_ml(const AblationDevice& device, bool temperatureDependence) {
  const AblationGrid grid = uniformGrid(testLiver(), {51, 51, 51}, 1.0);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, device.feedGapFromTip_mm);
  placement.entry_lps = Vec3(0.0, 0.0, -200.0);
  MicrowaveSettings settings = microwaveSettingsFor(device);
  settings.temperatureDependence = temperatureDependence;
  MicrowaveSource source(grid, device, placement, settings);
  BioheatParameters parameters;
  parameters.duration_s = 120.0;
  parameters.timeStep_s = 5.0;
  return simulateAblation(grid, source, parameters).zoneVolume_ml;
}

TEST(AblationMicrowave, FallingPermittivityAndConductivityWidenThe2450MHzZone) {
  // The expected direction follows from the test above: at 2.45 GHz the heated tissue next to
  // the antenna absorbs less and the power heats tissue further out, so more tissue is ablated.
  // (At 915 MHz the heated core keeps more of the power, yet the 2 min zone grows too, 8.55 ->
  // 9.28 ml when measured: the concentrated power lifts more of the near tissue over the damage
  // threshold. No direction is asserted there; docs/validation.md, "Microwave dielectric
  // temperature dependence".)
  const AblationDevice& device = findDevice("mw-2450mhz-100w");
  const double still = zoneVolumeAfterTwoMinutes_ml(device, false);
  const double heated = zoneVolumeAfterTwoMinutes_ml(device, true);
  std::printf("2 min zone at 2.45 GHz: %.2f ml, %.2f ml with the temperature dependence\n", still,
              heated);
  EXPECT_GT(heated, still + 1.0);
}

TEST(AblationMicrowave, BadSettingsAreClearErrors) {
  AntennaInLiver setup;
  MicrowaveSettings settings = microwaveSettingsFor(setup.device);
  settings.power_W = 0.0;
  EXPECT_THROW(MicrowaveSource(setup.grid, setup.device, setup.placement, settings), Error);
  EXPECT_THROW(MicrowaveSource(setup.grid, findDevice("rf-cooled-3cm"), setup.placement,
                               microwaveSettingsFor(setup.device)),
               Error);
  ProbePlacement outside;
  outside.tip_lps = Vec3(0.0, 0.0, 500.0);
  outside.entry_lps = Vec3(0.0, 0.0, 600.0);
  EXPECT_THROW(
      MicrowaveSource(setup.grid, setup.device, outside, microwaveSettingsFor(setup.device)),
      Error);
}

}  // namespace
}  // namespace twinplan::ablation
