#include "twinplan/ablation/microwave_source.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "drying_cap.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {
namespace {

constexpr double kSpeedOfLight_m_s = 299792458.0;
constexpr double kVacuumPermittivity_F_m = 8.8541878128e-12;  // CODATA 2018

// beta and alpha of a plane wave: gamma = alpha + j beta, gamma^2 = j omega mu (sigma + j omega
// eps).
std::pair<double, double> propagation(double relativePermittivity, double conductivity_S_m,
                                      double frequency_Hz) {
  const double omega = 2.0 * std::numbers::pi * frequency_Hz;
  const double eps = relativePermittivity * kVacuumPermittivity_F_m;
  const double lossTangent = conductivity_S_m / (omega * eps);
  const double root = std::sqrt(1.0 + lossTangent * lossTangent);
  const double k0 =
      omega * std::sqrt(relativePermittivity) / kSpeedOfLight_m_s;  // omega sqrt(mu eps)
  const double alpha = k0 * std::sqrt(0.5 * (root - 1.0));
  const double beta = k0 * std::sqrt(0.5 * (root + 1.0));
  return {alpha, beta};
}

double sumOf(const std::vector<float>& values) {
  return parallel::parallelReduce(
      parallel::IndexRange{0, values.size()}, 1 << 16, 0.0,
      [&](parallel::IndexRange r) {
        double sum = 0.0;
        for (std::size_t v = r.begin; v < r.end; ++v) sum += values[v];
        return sum;
      },
      [](double a, double b) { return a + b; });
}

}  // namespace

double attenuationConstant_per_m(double relativePermittivity, double conductivity_S_m,
                                 double frequency_Hz) {
  return propagation(relativePermittivity, conductivity_S_m, frequency_Hz).first;
}

double tissueWavelength_m(double relativePermittivity, double conductivity_S_m,
                          double frequency_Hz) {
  return 2.0 * std::numbers::pi /
         propagation(relativePermittivity, conductivity_S_m, frequency_Hz).second;
}

Dielectric dielectricAt(const TissueProperties& tissue, double frequency_Hz) {
  // Nearer on a log scale: 915 MHz up to sqrt(915e6 * 2450e6) ~ 1.5 GHz.
  if (frequency_Hz < std::sqrt(915e6 * 2450e6)) {
    return {tissue.relativePermittivity_915MHz, tissue.electricalConductivity_915MHz_S_m};
  }
  return {tissue.relativePermittivity_2450MHz, tissue.electricalConductivity_2450MHz_S_m};
}

double DielectricSigmoid::at(double temperature_degC) const {
  return s1 * (1.0 - 1.0 / (1.0 + std::exp(s2 - s3 * temperature_degC))) + s4;
}

DielectricChange dielectricChangeWithTemperature(double frequency_Hz, double temperature_degC) {
  const double t = std::min(temperature_degC, kDielectricTemperatureEnd_degC);
  if (frequency_Hz < std::sqrt(915e6 * 2450e6)) {  // the 915 MHz band, as dielectricAt
    return {1.0 + kLiverPermittivityCoefficient915MHz_per_K * (t - kBodyTemperature_degC),
            1.0 + kLiverConductivityCoefficient915MHz_per_K * (t - kBodyTemperature_degC)};
  }
  return {kLiverPermittivity2450MHz.at(t) / kLiverPermittivity2450MHz.at(kBodyTemperature_degC),
          kLiverConductivity2450MHz_S_m.at(t) /
              kLiverConductivity2450MHz_S_m.at(kBodyTemperature_degC)};
}

MicrowaveSettings microwaveSettingsFor(const AblationDevice& device) {
  MicrowaveSettings settings;
  settings.power_W = device.power_W;
  settings.efficiency = device.efficiency;
  settings.frequency_Hz = device.frequency_Hz;
  settings.axialWidth_mm = 0.5 * device.activeTipLength_mm;  // see the header
  return settings;
}

MicrowaveSource::MicrowaveSource(const AblationGrid& grid, const AblationDevice& device,
                                 const ProbePlacement& placement, MicrowaveSettings settings)
    : settings_(settings),
      cooled_(device.internallyCooled),
      coolant_degC_(device.coolantTemperature_degC),
      voxels_(probeVoxels(grid, device, placement)) {
  if (device.isRf()) {
    throw Error(ErrorKind::InvalidInput,
                "Device '" + device.id + "' is an RF electrode, not a microwave antenna.",
                device.id);
  }
  if (!(settings_.power_W > 0.0) || !(settings_.efficiency > 0.0 && settings_.efficiency <= 1.0)) {
    throw Error(ErrorKind::InvalidInput,
                "The microwave power must be above 0 W and the efficiency in (0, 1].", device.id);
  }
  const ImageGeometry& g = grid.geometry;
  const Vec3 axis = placement.axis();
  feedGap_lps_ = placement.tip_lps - axis * device.feedGapFromTip_mm;
  const Vec3 feedIjk = g.lpsToIndex(feedGap_lps_);
  if (!g.contains(feedIjk)) {
    throw Error(ErrorKind::InvalidInput,
                "The feed gap of antenna '" + device.id +
                    "' lies outside the simulation grid; place the tip inside the grid.",
                device.id);
  }
  auto nearest = [&](int d) {
    return std::clamp<std::int64_t>(std::int64_t(std::floor(feedIjk[d] + 0.5)), 0, g.size[d] - 1);
  };
  const std::size_t feedVoxel = g.linearIndex(nearest(0), nearest(1), nearest(2));
  const Dielectric atFeed = dielectricAt(grid.tissueAt(feedVoxel), settings_.frequency_Hz);
  alpha_per_m_ = attenuationConstant_per_m(atFeed.relativePermittivity, atFeed.conductivity_S_m,
                                           settings_.frequency_Hz);
  axialWidth_mm_ =
      settings_.axialWidth_mm > 0.0
          ? settings_.axialWidth_mm
          : 0.25e3 * tissueWavelength_m(atFeed.relativePermittivity, atFeed.conductivity_S_m,
                                        settings_.frequency_Hz);

  // The antenna itself absorbs nothing: its voxels (active part and shaft) stay at 0.
  absorbing_.assign(g.voxelCount(), 1);
  for (std::size_t v : voxels_.active) absorbing_[v] = 0;
  for (std::size_t v : voxels_.shaft) absorbing_[v] = 0;
  // Each voxel's ring around the axis (one voxel size in z and r) and its geometric factor.
  voxel_mm_ = g.spacing_mm.x();
  const double minRadius_mm = 0.5 * device.shaftDiameter_mm;
  double zMin = 1e300, zMax = -1e300, rMax = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 ijk((corner & 1) ? double(g.size[0] - 1) : 0.0,
                   (corner & 2) ? double(g.size[1] - 1) : 0.0,
                   (corner & 4) ? double(g.size[2] - 1) : 0.0);
    const Vec3 d = g.indexToLps(ijk) - feedGap_lps_;
    const double z = d.dot(axis);
    zMin = std::min(zMin, z), zMax = std::max(zMax, z);
    rMax = std::max(rMax, (d - z * axis).norm());
  }
  const double zFirst = std::floor(zMin / voxel_mm_) - 1.0;
  axialBins_ = std::size_t(std::ceil(zMax / voxel_mm_) - zFirst) + 2;
  radialBins_ = std::size_t(std::ceil(std::max(rMax, minRadius_mm) / voxel_mm_)) + 2;
  // The radiating section along the axis, from the choke's end of the active part to the tip
  // (z from the feed gap, + towards the tip).
  const double sectionFront_mm = device.feedGapFromTip_mm;
  const double sectionBack_mm = device.feedGapFromTip_mm - device.activeTipLength_mm;
  ring_.assign(g.voxelCount(), 0);
  ringOffset_mm_.assign(g.voxelCount(), 0.0f);
  pathBeyondSection_mm_.assign(g.voxelCount(), 0.0f);
  geometric_.assign(g.voxelCount(), 0.0f);
  parallel::parallelFor(
      parallel::IndexRange{0, std::size_t(g.size[2])}, 1, [&](parallel::IndexRange r) {
        for (std::size_t k = r.begin; k < r.end; ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j)
            for (std::int64_t i = 0; i < g.size[0]; ++i) {
              const std::size_t v = g.linearIndex(i, j, std::int64_t(k));
              const Vec3 d = g.indexToLps(Vec3(double(i), double(j), double(k))) - feedGap_lps_;
              const double z_mm = d.dot(axis);
              const double r_mm = std::max(minRadius_mm, (d - z_mm * axis).norm());
              const auto radialBin = std::size_t(r_mm / voxel_mm_);
              const auto axialBin = std::size_t(std::llround(z_mm / voxel_mm_ - zFirst));
              ring_[v] = std::uint32_t(axialBin * radialBins_ + radialBin);
              ringOffset_mm_[v] = float(r_mm - double(radialBin) * voxel_mm_);
              // Beyond the tip or behind the choke: the distance to the section's end (see the
              // header), the axial weight the end's.
              const double zOnSection = std::clamp(z_mm, sectionBack_mm, sectionFront_mm);
              const double fromSection_mm = std::hypot(r_mm, z_mm - zOnSection);
              pathBeyondSection_mm_[v] = float(fromSection_mm - r_mm);
              geometric_[v] = float(
                  std::exp(-0.5 * zOnSection * zOnSection / (axialWidth_mm_ * axialWidth_mm_)) /
                  std::pow(fromSection_mm, settings_.radialExponent));
            }
      });
  buildPattern(grid, {}, {});
  patternRebuilds_ = 0;
  deliveredPower_W_ = settings_.power_W;
}

void MicrowaveSource::buildPattern(const AblationGrid& grid,
                                   std::span<const float> permittivityFactor,
                                   std::span<const float> conductivityFactor) {
  const std::size_t n = grid.geometry.voxelCount();
  // Each voxel's conductivity and attenuation constant at its temperature and remaining water.
  std::vector<float> sigma(n, 0.0f), alpha_per_mm(n, 0.0f);
  parallel::parallelFor(parallel::IndexRange{0, n}, 1 << 14, [&](parallel::IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v) {
      Dielectric d = dielectricAt(grid.tissueAt(v), settings_.frequency_Hz);
      if (!permittivityFactor.empty()) d.relativePermittivity *= permittivityFactor[v];
      if (!conductivityFactor.empty()) d.conductivity_S_m *= conductivityFactor[v];
      sigma[v] = float(d.conductivity_S_m);
      alpha_per_mm[v] =
          float(1e-3 * attenuationConstant_per_m(std::max(1.0, d.relativePermittivity),
                                                 d.conductivity_S_m, settings_.frequency_Hz));
    }
  });
  // The mean attenuation of each ring (over its tissue voxels), then the optical depth at the
  // ring's inner radius: the sum of alpha h over the rings inside it at the same z.
  std::vector<double> ringAlpha(axialBins_ * radialBins_, 0.0);
  std::vector<std::uint32_t> ringCount(ringAlpha.size(), 0);
  for (std::size_t v = 0; v < n; ++v) {
    if (!absorbing_[v]) continue;
    ringAlpha[ring_[v]] += alpha_per_mm[v];
    ++ringCount[ring_[v]];
  }
  std::vector<double> depthInside(ringAlpha.size(), 0.0);
  for (std::size_t z = 0; z < axialBins_; ++z) {
    double depth = 0.0;
    for (std::size_t r = 0; r < radialBins_; ++r) {
      const std::size_t b = z * radialBins_ + r;
      if (ringCount[b] > 0) ringAlpha[b] /= ringCount[b];
      depthInside[b] = depth;
      depth += ringAlpha[b] * voxel_mm_;
    }
  }
  pattern_W_m3_.assign(n, 0.0f);
  parallel::parallelFor(parallel::IndexRange{0, n}, 1 << 14, [&](parallel::IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v) {
      if (!absorbing_[v]) continue;
      const std::size_t b = ring_[v];
      const double depth =
          depthInside[b] + ringAlpha[b] * (ringOffset_mm_[v] + pathBeyondSection_mm_[v]);
      pattern_W_m3_[v] = float(sigma[v] * std::exp(-2.0 * depth) * geometric_[v]);
    }
  });
  // Scale so the grid absorbs efficiency x P (W): sum(SAR) h^3 = eta P.
  const double total = sumOf(pattern_W_m3_);
  if (!(total > 0.0)) {
    throw Error(ErrorKind::InvalidInput,
                "No tissue around the microwave antenna absorbs at its frequency (zero "
                "conductivity there); check the tissue table.",
                "MicrowaveSource");
  }
  const double h_m = grid.voxelSize_m();
  const double scale = settings_.efficiency * settings_.power_W / (total * h_m * h_m * h_m);
  for (float& value : pattern_W_m3_) value = float(value * scale);
  builtPermittivityFactor_.assign(permittivityFactor.begin(), permittivityFactor.end());
  builtConductivityFactor_.assign(conductivityFactor.begin(), conductivityFactor.end());
  ++patternRebuilds_;
}

void MicrowaveSource::propertyFactors(const AblationGrid& grid, const ThermalState& state,
                                      std::vector<float>& permittivityFactor,
                                      std::vector<float>& conductivityFactor) {
  const std::size_t n = grid.geometry.voxelCount();
  const bool heated = settings_.temperatureDependence && state.temperature_degC.size() == n;
  const bool drying = settings_.waterLoss && state.latentHeatLeft_J_m3.size() == n;
  if (drying && initialLatent_J_m3_.empty()) initialLatent_J_m3_ = state.latentHeatLeft_J_m3;
  permittivityFactor.assign(n, 1.0f);
  conductivityFactor.assign(n, 1.0f);
  parallel::parallelFor(parallel::IndexRange{0, n}, 1 << 14, [&](parallel::IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v) {
      DielectricChange wet;
      if (heated)
        wet = dielectricChangeWithTemperature(settings_.frequency_Hz, state.temperature_degC[v]);
      // The water fraction left: the latent store against the first step's (1 where none).
      double water = 1.0;
      if (drying && initialLatent_J_m3_[v] > 0.0f)
        water = std::clamp(double(state.latentHeatLeft_J_m3[v] / initialLatent_J_m3_[v]), 0.0, 1.0);
      // From the wet tissue's value at its temperature down to the dried fraction of 37 degC's.
      const double epsDried = settings_.driedPermittivityFactor;
      const double sigmaDried = settings_.driedConductivityFactor;
      permittivityFactor[v] = float(epsDried + (wet.permittivityFactor - epsDried) * water);
      conductivityFactor[v] = float(sigmaDried + (wet.conductivityFactor - sigmaDried) * water);
    }
  });
}

void MicrowaveSource::depositedPower(const AblationGrid& grid, const ThermalState& state,
                                     double step_s, std::vector<float>& power_W_m3) {
  const std::size_t n = grid.geometry.voxelCount();
  const bool vaporising =
      state.latentHeatLeft_J_m3.size() == n && state.temperature_degC.size() == n;
  // Rebuild the pattern when some voxel's properties moved (temperature, water) since it was built.
  std::vector<float> epsFactor, sigmaFactor;
  propertyFactors(grid, state, epsFactor, sigmaFactor);
  float moved = 0.0f;
  for (std::size_t v = 0; v < n; ++v) {
    const float eps0 = builtPermittivityFactor_.empty() ? 1.0f : builtPermittivityFactor_[v];
    const float sigma0 = builtConductivityFactor_.empty() ? 1.0f : builtConductivityFactor_[v];
    moved = std::max({moved, std::abs(epsFactor[v] - eps0), std::abs(sigmaFactor[v] - sigma0)});
  }
  if (moved > settings_.rebuildWaterChange) buildPattern(grid, epsFactor, sigmaFactor);
  power_W_m3 = pattern_W_m3_;
  deliveredPower_W_ = settings_.power_W;
  if (!vaporising) return;
  // The drying cap; the power it removes passes on to the tissue that can still absorb it (in
  // proportion to its SAR), for a few rounds; what is left is reflected.
  const double h_m = grid.voxelSize_m();
  const double voxel_m3 = h_m * h_m * h_m;
  std::vector<std::uint8_t> capped(n, 0);
  double unabsorbed_W = 0.0;
  for (int round = 0; round < 4; ++round) {
    const std::vector<float> before = power_W_m3;
    unabsorbed_W +=
        detail::limitToDryingEnergy(grid, state.temperature_degC, state.latentHeatLeft_J_m3,
                                    settings_.vaporisationEnd_degC, step_s, power_W_m3);
    if (unabsorbed_W <= 1e-9 * settings_.power_W) break;
    double open_W = 0.0;
    for (std::size_t v = 0; v < n; ++v) {
      if (power_W_m3[v] < before[v]) capped[v] = 1;
      if (!capped[v]) open_W += power_W_m3[v];
    }
    open_W *= voxel_m3;
    if (!(open_W > 0.0)) break;
    const double gain = 1.0 + unabsorbed_W / open_W;
    for (std::size_t v = 0; v < n; ++v)
      if (!capped[v]) power_W_m3[v] = float(power_W_m3[v] * gain);
    unabsorbed_W = 0.0;
  }
  deliveredPower_W_ =
      settings_.power_W * (1.0 - unabsorbed_W / (settings_.efficiency * settings_.power_W));
}

std::vector<HeldTemperature> MicrowaveSource::heldTemperatures(const AblationGrid& /*grid*/,
                                                               const ThermalState& /*state*/) {
  std::vector<HeldTemperature> held;
  if (!cooled_) return held;
  // The coolant runs down the shaft to the tip of cooled antennas (Emprint and NeuWave IFUs:
  // the whole applicator is cooled), so the radiating section is held too.
  for (std::size_t v : voxels_.active) held.push_back({v, float(coolant_degC_)});
  for (std::size_t v : voxels_.shaft) held.push_back({v, float(coolant_degC_)});
  return held;
}

}  // namespace twinplan::ablation
