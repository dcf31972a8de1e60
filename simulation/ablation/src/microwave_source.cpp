#include "twinplan/ablation/microwave_source.h"

#include <algorithm>
#include <cmath>
#include <numbers>

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
  std::vector<std::uint8_t> antenna(g.voxelCount(), 0);
  for (std::size_t v : voxels_.active) antenna[v] = 1;
  for (std::size_t v : voxels_.shaft) antenna[v] = 1;
  const double minRadius_mm = 0.5 * device.shaftDiameter_mm;
  pattern_W_m3_.assign(g.voxelCount(), 0.0f);
  const double alpha_per_mm = alpha_per_m_ * 1e-3;
  parallel::parallelFor(
      parallel::IndexRange{0, std::size_t(g.size[2])}, 1, [&](parallel::IndexRange r) {
        for (std::size_t k = r.begin; k < r.end; ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j)
            for (std::int64_t i = 0; i < g.size[0]; ++i) {
              const std::size_t v = g.linearIndex(i, j, std::int64_t(k));
              if (antenna[v]) continue;
              const Vec3 d = g.indexToLps(Vec3(double(i), double(j), double(k))) - feedGap_lps_;
              const double z_mm = d.dot(axis);
              const double r_mm = std::max(minRadius_mm, (d - z_mm * axis).norm());
              const double sigma =
                  dielectricAt(grid.tissueAt(v), settings_.frequency_Hz).conductivity_S_m;
              const double radial =
                  std::exp(-2.0 * alpha_per_mm * r_mm) / std::pow(r_mm, settings_.radialExponent);
              const double axial = std::exp(-0.5 * z_mm * z_mm / (axialWidth_mm_ * axialWidth_mm_));
              pattern_W_m3_[v] = float(sigma * radial * axial);
            }
      });
  // Scale so the grid absorbs efficiency x P (W): sum(SAR) h^3 = eta P.
  const double h_m = grid.voxelSize_m();
  const double total = parallel::parallelReduce(
      parallel::IndexRange{0, g.voxelCount()}, 1 << 16, 0.0,
      [&](parallel::IndexRange r) {
        double sum = 0.0;
        for (std::size_t v = r.begin; v < r.end; ++v) sum += pattern_W_m3_[v];
        return sum;
      },
      [](double a, double b) { return a + b; });
  if (!(total > 0.0)) {
    throw Error(ErrorKind::InvalidInput,
                "No tissue around antenna '" + device.id +
                    "' absorbs microwaves (zero conductivity at the frequency).",
                device.id);
  }
  const double scale = settings_.efficiency * settings_.power_W / (total * h_m * h_m * h_m);
  for (float& value : pattern_W_m3_) value = float(value * scale);
}

void MicrowaveSource::depositedPower(const AblationGrid& grid, const ThermalState& /*state*/,
                                     double /*step_s*/, std::vector<float>& power_W_m3) {
  (void)grid;
  power_W_m3 = pattern_W_m3_;
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
