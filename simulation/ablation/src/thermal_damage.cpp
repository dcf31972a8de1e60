#include "twinplan/ablation/thermal_damage.h"

#include <Eigen/Core>
#include <cmath>

namespace twinplan::ablation {

// The bioheat stage takes each step's damage and CEM43 (the exponents of arrheniusIncrement and
// cem43Increment_min) through Eigen's vectorised float exp (bioheat.cpp, FieldAdvance::addDose),
// in rows padded to whole packets of FieldAdvance::kPacket = 4 floats so that every voxel takes
// the packet path: its bits then depend neither on where its row ends nor on the threads. That
// assumes Eigen's float packet is SSE's four floats (x86-64's baseline, which Debian builds for)
// and rows 16-byte aligned (operator new's alignment), so no voxel falls to the scalar std::exp
// of Eigen's unaligned head or short tail. The scalar exp differs from the packet's by at most
// 1 ulp (2^-23 relative; tests/unit/ablation_damage_exp_test): results would stay within the
// documented bounds, but no longer reproducible to the bit (the benchmark's fingerprints). Built
// with AVX (eight floats) or on another architecture, change kPacket with these assertions.
static_assert(Eigen::internal::packet_traits<float>::Vectorizable &&
                  Eigen::internal::packet_traits<float>::size == 4,
              "bioheat.cpp pads the damage rows to packets of 4 floats (SSE); match kPacket");
static_assert(__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= 16,
              "bioheat.cpp's damage rows must start on a packet boundary");

double arrheniusRate_per_s(double frequencyFactor_per_s, double activationEnergy_J_mol,
                           double temperature_degC) {
  const double temperature_K = temperature_degC + kZeroCelsius_K;
  // A is ~1e40: take the exponent of log(A) - Ea/(RT) so neither factor overflows.
  return std::exp(std::log(frequencyFactor_per_s) -
                  activationEnergy_J_mol / (kGasConstant_J_molK * temperature_K));
}

double arrheniusIncrement(double frequencyFactor_per_s, double activationEnergy_J_mol,
                          double startTemperature_degC, double endTemperature_degC, double step_s) {
  const double mean_degC = 0.5 * (startTemperature_degC + endTemperature_degC);
  return step_s * arrheniusRate_per_s(frequencyFactor_per_s, activationEnergy_J_mol, mean_degC);
}

double timeToDamage_s(double frequencyFactor_per_s, double activationEnergy_J_mol,
                      double temperature_degC, double damage) {
  return damage /
         arrheniusRate_per_s(frequencyFactor_per_s, activationEnergy_J_mol, temperature_degC);
}

double cem43Increment_min(double temperature_degC, double step_s) {
  // Sapareto & Dewey 1984: R = 0.5 above the breakpoint at 43 degC, 0.25 below.
  // R^(43 - T) = 2^(T - 43) for R = 0.5 and 2^(2 (T - 43)) for R = 0.25.
  const double doublings =
      temperature_degC >= 43.0 ? temperature_degC - 43.0 : 2.0 * (temperature_degC - 43.0);
  return step_s / 60.0 * std::exp2(doublings);
}

double cem43Increment_min(double startTemperature_degC, double endTemperature_degC, double step_s) {
  return cem43Increment_min(0.5 * (startTemperature_degC + endTemperature_degC), step_s);
}

double perfusionFactor(PerfusionShutdown rule, double damage) {
  switch (rule) {
    case PerfusionShutdown::None:
      return 1.0;
    case PerfusionShutdown::AtOmegaOne:
      return damage >= 1.0 ? 0.0 : 1.0;
    case PerfusionShutdown::Exponential:
      return std::exp(-damage);
  }
  return 1.0;
}

}  // namespace twinplan::ablation
