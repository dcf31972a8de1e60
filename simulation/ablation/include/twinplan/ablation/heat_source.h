#pragma once
// What deposits power in tissue during an ablation (issue #17 item 2): an RF electrode's Joule
// heating (rf_source.h), a microwave antenna's absorbed power (microwave_source.h). The bioheat
// solver (bioheat.h) asks its source once per time step; a source may keep state between calls
// (a power controller, an impedance roll-off timer), so it sees time and temperature as they are.
#include <cstddef>
#include <limits>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"

namespace twinplan::ablation {

// Where a probe lies, in LPS millimetres: the active end (tip) and where it enters the skin.
// Its axis runs from entry to tip.
struct ProbePlacement {
  Vec3 tip_lps = Vec3::Zero();
  Vec3 entry_lps = Vec3(0.0, 0.0, 100.0);
  Vec3 axis() const { return (tip_lps - entry_lps).normalized(); }  // entry -> tip
};

// The state of the tissue the solver shares with its source after each step.
struct ThermalState {
  double time_s = 0.0;
  std::vector<float> temperature_degC;  // per voxel
  std::vector<float> damage;            // Arrhenius Omega per voxel (dimensionless)
  // Latent heat each voxel's water still absorbs before it has boiled off (J/m3); empty when
  // the solver models no vaporisation (BioheatParameters::waterVaporisation).
  std::vector<float> latentHeatLeft_J_m3;
};

// A voxel whose temperature the device holds: the internally cooled shaft of a cooled RF
// electrode or microwave antenna (Dirichlet condition).
struct HeldTemperature {
  std::size_t voxel = 0;
  float temperature_degC = 37.0f;
};

class HeatSource {
 public:
  virtual ~HeatSource() = default;
  // Fills power_W_m3 (resized to the grid's voxel count) with the power the device deposits in
  // each voxel during the step that starts at state.time_s and lasts step_s.
  virtual void depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                              std::vector<float>& power_W_m3) = 0;
  // Voxels held at a temperature by the device's cooling, for the same step (none by default).
  virtual std::vector<HeldTemperature> heldTemperatures(const AblationGrid& /*grid*/,
                                                        const ThermalState& /*state*/) {
    return {};
  }
  // Electrical power delivered during the last step (W), for the treatment log.
  virtual double deliveredPower_W() const = 0;
  // The time (s) until which the power the last depositedPower() call returned stays what the
  // device delivers, whatever the tissue does: a generator's pause after an impedance roll-off
  // (no power until it ends). The adaptive stepper (BioheatParameters::adaptiveTimeSteps) may
  // run one step up to it. The default, minus infinity, promises nothing: the source wants to
  // be asked again after every base step (its power reacts to temperature, its events are
  // found at step starts).
  virtual double powerUnchangedUntil_s() const { return -std::numeric_limits<double>::infinity(); }
};

}  // namespace twinplan::ablation
