// Energy audit of the zone-size runs (issue #17 item 4, tests/slow/ablation_zone_sizes_test.cpp):
// where the energy a device delivers goes. A source wrapper integrates the power the source
// actually deposits in the grid (sum of W/m3 x h^3 x dt) and, from the temperatures each step
// ends with (backward Euler: the fluxes of a step are those at its end), the heat carried off
// by perfusion, through the box faces (held at arterial temperature half a voxel beyond the last
// voxel) and into the voxels the cooled probe holds. What is left in the tissue is
// rho c (T_end - T_start) plus the latent heat of the water boiled off. Deposited energy must equal
// stored + lost within 2 %; docs/validation.md ("Zone sizes: energy audit") reports the figures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/thermal_damage.h"
#include "twinplan/ablation/tissue_library.h"

namespace twinplan::ablation {
namespace {

struct EnergyLedger {
  double deposited_J = 0.0;        // sum of the source's power field x h^3 x dt
  double perfusion_J = 0.0;        // w rho_b c_b (T - T_a) h^3 dt
  double faces_J = 0.0;            // through the six faces of the grid
  double cooledProbe_J = 0.0;      // into the voxels the probe holds
  double depositedInHeld_J = 0.0;  // power the source put in held voxels (the solver drops it)
};

// k(T) as the solver takes it (bioheat_step.cpp TissueCoefficients::conductivityAt).
double conductivity(const TissueProperties& t, double temperature_degC) {
  const double k = t.thermalConductivity_W_mK *
                   (1.0 + t.thermalConductivityCoefficient_per_K * (temperature_degC - 37.0));
  return std::max(k, 0.1 * t.thermalConductivity_W_mK);
}

class AuditingSource : public HeatSource {
 public:
  AuditingSource(HeatSource& inner, const BioheatParameters& p, double bloodSink_W_m3K)
      : inner_(inner), p_(p), bloodSink_W_m3K_(bloodSink_W_m3K) {}

  void depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                      std::vector<float>& power_W_m3) override {
    if (lastStep_s_ > 0.0) bookLosses(grid, state.temperature_degC);
    inner_.depositedPower(grid, state, step_s, power_W_m3);
    held_ = inner_.heldTemperatures(grid, state);
    isHeld_.assign(grid.geometry.voxelCount(), 0);
    for (const HeldTemperature& h : held_) isHeld_[h.voxel] = 1;
    const double h_m = grid.voxelSize_m();
    double total = 0.0, inHeld = 0.0;
    for (std::size_t v = 0; v < power_W_m3.size(); ++v) {
      total += power_W_m3[v];
      if (isHeld_[v]) inHeld += power_W_m3[v];
    }
    ledger.deposited_J += (total - inHeld) * h_m * h_m * h_m * step_s;
    ledger.depositedInHeld_J += inHeld * h_m * h_m * h_m * step_s;
    damageOfStep_ = state.damage;
    lastStep_s_ = step_s;
  }
  std::vector<HeldTemperature> heldTemperatures(const AblationGrid& grid,
                                                const ThermalState& state) override {
    return inner_.heldTemperatures(grid, state);
  }
  double deliveredPower_W() const override { return inner_.deliveredPower_W(); }

  // The losses of the step that ended with `temperature` (the last step: after the run).
  void bookLosses(const AblationGrid& grid, const std::vector<float>& temperature) {
    const ImageGeometry& g = grid.geometry;
    const double h_m = grid.voxelSize_m(), dt = lastStep_s_;
    const double Ta = p_.arterialTemperature_degC;
    for (std::int64_t k = 0; k < g.size[2]; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          const std::size_t v = g.linearIndex(i, j, k);
          if (isHeld_[v]) continue;
          const TissueProperties& t = grid.tissueAt(v);
          const double T = temperature[v];
          const double kv = conductivity(t, T);
          ledger.perfusion_J += t.perfusion_per_s * bloodSink_W_m3K_ *
                                perfusionFactor(p_.perfusionShutdown, damageOfStep_[v]) * (T - Ta) *
                                h_m * h_m * h_m * dt;
          for (int a = 0; a < 3; ++a)
            for (int side = -1; side <= 1; side += 2) {
              std::int64_t n[3] = {i, j, k};
              n[a] += side;
              if (n[a] < 0 || n[a] >= g.size[a]) {
                // Beyond the grid: arterial temperature half a voxel away.
                ledger.faces_J += 2.0 * kv * h_m * (T - Ta) * dt;
                continue;
              }
              const std::size_t nv = g.linearIndex(n[0], n[1], n[2]);
              if (!isHeld_[nv]) continue;
              const double kn = conductivity(grid.tissueAt(nv), temperature[nv]);
              ledger.cooledProbe_J += 2.0 * kv * kn / (kv + kn) * h_m * (T - temperature[nv]) * dt;
            }
        }
  }

  EnergyLedger ledger;

 private:
  HeatSource& inner_;
  const BioheatParameters& p_;
  double bloodSink_W_m3K_;
  std::vector<HeldTemperature> held_;
  std::vector<std::uint8_t> isHeld_;
  std::vector<float> damageOfStep_;
  double lastStep_s_ = 0.0;
};

struct Audit {
  EnergyLedger ledger;
  double reported_J = 0.0;                  // AblationResult::deliveredEnergy_J (generator side)
  double protocol_J = 0.0;                  // power x time x efficiency
  double sensible_J = 0.0, latent_J = 0.0;  // left in the tissue (held voxels excluded)
  ZoneAxes axes;
  ZoneAxes axes60;  // of the 60 degC maximum-temperature isotherm, for comparison
};

// The zone-size test's set-up (ablation_zone_sizes_test.cpp simulateDevice) on an 80 mm box.
Audit audit(const std::string& id, bool perfused, double start_degC) {
  const AblationDevice& device = findDevice(id);
  TissueProperties liver = tissueLibrary().at("liver");
  if (!perfused) liver.perfusion_per_s = 0.0;
  const AblationGrid grid = uniformGrid(liver, {81, 81, 81}, 1.0);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, -10.0);
  if (device.isRf()) placement.tip_lps.z() = 0.5 * device.activeTipLength_mm;
  if (device.type == DeviceType::Microwave) placement.tip_lps.z() = device.feedGapFromTip_mm;
  placement.entry_lps = placement.tip_lps - Vec3(0.0, 0.0, 200.0);
  std::unique_ptr<HeatSource> source = makeHeatSource(grid, device, placement);
  BioheatParameters p;
  p.duration_s = device.duration_s;
  p.timeStep_s = 5.0;
  p.arterialTemperature_degC = start_degC;
  AuditingSource auditing(*source, p, p.bloodDensity_kg_m3 * p.bloodHeatCapacity_J_kgK);
  const AblationResult result = simulateAblation(grid, auditing, p);
  auditing.bookLosses(grid, result.finalTemperature.values);
  Audit a;
  a.ledger = auditing.ledger;
  a.reported_J = result.deliveredEnergy_J;
  a.protocol_J = device.power_W * device.duration_s * device.efficiency;
  const double h_m = grid.voxelSize_m(), voxel_m3 = h_m * h_m * h_m;
  const double C = liver.density_kg_m3 * liver.heatCapacity_J_kgK;
  const double latent0 = liver.density_kg_m3 * liver.waterContent_kg_kg * p.latentHeatOfWater_J_kg;
  const std::vector<HeldTemperature> held = source->heldTemperatures(grid, {});
  std::vector<std::uint8_t> isHeld(grid.geometry.voxelCount(), 0);
  for (const HeldTemperature& h : held) isHeld[h.voxel] = 1;
  for (std::size_t v = 0; v < isHeld.size(); ++v) {
    if (isHeld[v]) continue;
    a.sensible_J += C * (result.finalTemperature.values[v] - start_degC) * voxel_m3;
    a.latent_J += latent0 * result.vaporisedWater.values[v] * voxel_m3;
  }
  a.axes = measureZoneAxes(result.ablationZone, grid.geometry, Vec3::UnitZ());
  BioheatParameters isotherm = p;
  isotherm.zoneCriterion = AblationCriterion::MaximumTemperature;
  a.axes60 = measureZoneAxes(ablationZone(result, isotherm), grid.geometry, Vec3::UnitZ());
  const EnergyLedger& l = a.ledger;
  std::printf(
      "%-16s start %4.1f degC: protocol (P t eta) %6.2f kJ, reported %6.2f kJ, deposited %6.2f kJ "
      "(+%.2f kJ in held voxels) | stored %6.2f kJ (sensible %6.2f, latent %6.2f) + perfusion "
      "%6.2f + faces %6.2f + cooled probe %6.2f = %6.2f kJ (%+.2f %%) | zone (Omega >= 1) %.0f x "
      "%.0f mm, Tmax >= 60 degC %.0f x %.0f mm\n",
      id.c_str(), start_degC, a.protocol_J * 1e-3, a.reported_J * 1e-3, l.deposited_J * 1e-3,
      l.depositedInHeld_J * 1e-3, (a.sensible_J + a.latent_J) * 1e-3, a.sensible_J * 1e-3,
      a.latent_J * 1e-3, l.perfusion_J * 1e-3, l.faces_J * 1e-3, l.cooledProbe_J * 1e-3,
      (a.sensible_J + a.latent_J + l.perfusion_J + l.faces_J + l.cooledProbe_J) * 1e-3,
      100.0 * ((a.sensible_J + a.latent_J + l.perfusion_J + l.faces_J + l.cooledProbe_J) /
                   l.deposited_J -
               1.0),
      a.axes.long_mm, a.axes.short_mm[0], a.axes60.long_mm, a.axes60.short_mm[0]);
  std::fflush(stdout);
  return a;
}

void expectBalanced(const Audit& a) {
  const EnergyLedger& l = a.ledger;
  const double accounted = a.sensible_J + a.latent_J + l.perfusion_J + l.faces_J + l.cooledProbe_J;
  EXPECT_NEAR(accounted, l.deposited_J, 0.02 * l.deposited_J);
}

// Ex vivo: unperfused liver from room temperature (as ablation_zone_sizes_test.cpp).
TEST(AblationEnergyAudit, Microwave2450MHzExVivo) {
  const Audit a = audit("mw-2450mhz-100w", false, 20.0);
  expectBalanced(a);
  // A microwave source puts exactly eta P t into the tissue unless the drying cap reflects some.
  EXPECT_LE(a.ledger.deposited_J, a.protocol_J * 1.001);
}

TEST(AblationEnergyAudit, CooledRfInVivo) {
  const Audit a = audit("rf-cooled-3cm", true, 37.0);
  expectBalanced(a);
  // The generator's log and the Joule heat in the tissue are the same energy.
  EXPECT_NEAR(a.reported_J, a.ledger.deposited_J + a.ledger.depositedInHeld_J, 0.02 * a.reported_J);
}

}  // namespace
}  // namespace twinplan::ablation
