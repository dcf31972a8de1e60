#pragma once
// Thermal damage of tissue (issue #17 items 2 and 4): the Arrhenius damage integral and the
// cumulative equivalent minutes at 43 degC. Both are integrated per time step for the step's
// mean temperature, which is exact when the temperature is constant over the step.
#include <cstddef>

namespace twinplan::ablation {

// Universal gas constant (J/(mol K)) rounded to 8.314 as ablation models use it; it gives the
// 61.4 s to Omega = 1 at 50 degC of issue #17. Ea/(R T) is about 96 at 50 degC, so the CODATA
// value 8.314462618 would shorten that time by 0.5 % (61.05 s instead of 61.38 s).
inline constexpr double kGasConstant_J_molK = 8.314;
// 0 degC in kelvin.
inline constexpr double kZeroCelsius_K = 273.15;

// The Arrhenius rate dOmega/dt = A exp(-Ea / (R T)) (1/s) at temperature_degC
// (Henriques & Moritz 1947; as in Chang & Nguyen 2004, BioMed Eng OnLine 3:27).
double arrheniusRate_per_s(double frequencyFactor_per_s, double activationEnergy_J_mol,
                           double temperature_degC);

// The damage added by a step of step_s at the mean of the step's start and end temperatures.
double arrheniusIncrement(double frequencyFactor_per_s, double activationEnergy_J_mol,
                          double startTemperature_degC, double endTemperature_degC, double step_s);

// The time (s) at which Omega reaches `damage` at a constant temperature: damage / rate.
double timeToDamage_s(double frequencyFactor_per_s, double activationEnergy_J_mol,
                      double temperature_degC, double damage = 1.0);

// Cumulative equivalent minutes at 43 degC added by step_s at a constant temperature:
// step_s / 60 * R^(43 - T), R = 0.5 at or above 43 degC and 0.25 below (Sapareto & Dewey 1984,
// Int J Radiat Oncol Biol Phys 10(6):787-800, eq. 7).
double cem43Increment_min(double temperature_degC, double step_s);
// The same for a step whose temperature runs from start to end: evaluated at the step's mean.
double cem43Increment_min(double startTemperature_degC, double endTemperature_degC, double step_s);

// Pennes perfusion as damage grows (the rule BioheatParameters::perfusionShutdown names):
// the factor multiplying a tissue's perfusion for damage Omega.
enum class PerfusionShutdown {
  None,         // perfusion unchanged
  AtOmegaOne,   // stops where Omega >= 1 (Chang & Nguyen 2004; Schutt & Haemmerich 2008)
  Exponential,  // scales by exp(-Omega), the fraction of live cells (Chang & Nguyen 2004)
};
double perfusionFactor(PerfusionShutdown rule, double damage);

}  // namespace twinplan::ablation
