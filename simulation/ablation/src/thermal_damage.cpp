#include "twinplan/ablation/thermal_damage.h"

#include <cmath>

namespace twinplan::ablation {

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
