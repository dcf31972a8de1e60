#include "twinplan/ablation/device_source.h"

#include <sstream>

#include "twinplan/ablation/microwave_source.h"
#include "twinplan/ablation/rf_source.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

void checkPower(const AblationDevice& device, std::optional<double> power_W) {
  if (power_W && !(*power_W > 0.0 && *power_W <= device.maxPower_W)) {
    std::ostringstream message;
    message << "The power for device '" << device.id << "' must be above 0 W and at most its "
            << "generator's " << device.maxPower_W << " W (got " << *power_W << " W).";
    throw Error(ErrorKind::InvalidInput, message.str(), "power_W");
  }
}

RfSettings rfSettingsAt(const AblationDevice& device, std::optional<double> power_W) {
  RfSettings settings = rfSettingsFor(device);
  if (power_W) {
    if (device.control == PowerControl::TemperatureControlled) {
      settings.maxPower_W = *power_W;
    } else {
      settings.power_W = *power_W;
    }
  }
  return settings;
}

// Antennas on separate generator channels: their absorbed powers add.
class AntennaSet final : public HeatSource {
 public:
  explicit AntennaSet(std::vector<std::unique_ptr<HeatSource>> antennas)
      : antennas_(std::move(antennas)) {}
  void depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                      std::vector<float>& power_W_m3) override {
    power_W_m3.assign(grid.tissue.size(), 0.0f);
    std::vector<float> one;
    for (auto& a : antennas_) {
      a->depositedPower(grid, state, step_s, one);
      for (std::size_t v = 0; v < one.size(); ++v) power_W_m3[v] += one[v];
    }
  }
  std::vector<HeldTemperature> heldTemperatures(const AblationGrid& grid,
                                                const ThermalState& state) override {
    std::vector<HeldTemperature> held;
    for (auto& a : antennas_) {
      auto more = a->heldTemperatures(grid, state);
      held.insert(held.end(), more.begin(), more.end());
    }
    return held;
  }
  double deliveredPower_W() const override {
    double total = 0.0;
    for (const auto& a : antennas_) total += a->deliveredPower_W();
    return total;
  }

 private:
  std::vector<std::unique_ptr<HeatSource>> antennas_;
};

}  // namespace

std::unique_ptr<HeatSource> makeHeatSource(const AblationGrid& grid, const AblationDevice& device,
                                           const ProbePlacement& placement,
                                           std::optional<double> power_W) {
  return makeHeatSource(grid, device, std::span<const ProbePlacement>(&placement, 1), power_W);
}

std::unique_ptr<HeatSource> makeHeatSource(const AblationGrid& grid, const AblationDevice& device,
                                           std::span<const ProbePlacement> placements,
                                           std::optional<double> power_W) {
  checkPower(device, power_W);
  if (placements.empty()) {
    throw Error(ErrorKind::InvalidInput,
                "No probe placement was given for device '" + device.id + "'.", device.id);
  }
  requireTipsInTissue(grid, placements);
  if (device.isRf())
    return std::make_unique<RfSource>(grid, device, placements, rfSettingsAt(device, power_W));
  MicrowaveSettings settings = microwaveSettingsFor(device);
  if (power_W) settings.power_W = *power_W;
  if (placements.size() == 1)
    return std::make_unique<MicrowaveSource>(grid, device, placements.front(), settings);
  std::vector<std::unique_ptr<HeatSource>> antennas;
  for (const ProbePlacement& p : placements)
    antennas.push_back(std::make_unique<MicrowaveSource>(grid, device, p, settings));
  return std::make_unique<AntennaSet>(std::move(antennas));
}

// A tip in air (outside the body, or in bowel gas) heats nothing: no current flows there and
// air absorbs no microwave power. Refused before the run, naming the probe and the point, instead
// of an empty zone (RF) or the source's "zero conductivity" (microwave).
void requireTipsInTissue(const AblationGrid& grid, std::span<const ProbePlacement> placements) {
  for (std::size_t n = 0; n < placements.size(); ++n) {
    const Vec3& tip = placements[n].tip_lps;
    const Vec3 ijk = grid.geometry.lpsToIndex(tip).array().round();
    if (!grid.geometry.contains(ijk)) continue;  // the sources refuse a tip off the grid
    const TissueProperties& t = grid.tissueAt(grid.geometry.linearIndex(
        std::int64_t(ijk.x()), std::int64_t(ijk.y()), std::int64_t(ijk.z())));
    if (t.id != "air") continue;
    std::ostringstream message;
    message.setf(std::ios::fixed);
    message.precision(1);
    message << (placements.size() > 1 ? "Probe " + std::to_string(n + 1) + "'s tip"
                                      : "The probe tip")
            << " (" << tip.x() << ", " << tip.y() << ", " << tip.z()
            << ") mm lies in air (outside the body, or in gas), where nothing is heated; place the "
               "tip in tissue.";
    throw Error(ErrorKind::InvalidInput, message.str(),
                placements.size() > 1 ? "probes[" + std::to_string(n) + "].tip" : "tip");
  }
}

}  // namespace twinplan::ablation
