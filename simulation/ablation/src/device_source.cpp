#include "twinplan/ablation/device_source.h"

#include <sstream>

#include "twinplan/ablation/microwave_source.h"
#include "twinplan/ablation/rf_source.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {

std::unique_ptr<HeatSource> makeHeatSource(const AblationGrid& grid, const AblationDevice& device,
                                           const ProbePlacement& placement,
                                           std::optional<double> power_W) {
  if (power_W && !(*power_W > 0.0 && *power_W <= device.maxPower_W)) {
    std::ostringstream message;
    message << "The power for device '" << device.id << "' must be above 0 W and at most its "
            << "generator's " << device.maxPower_W << " W (got " << *power_W << " W).";
    throw Error(ErrorKind::InvalidInput, message.str(), "power_W");
  }
  if (device.isRf()) {
    RfSettings settings = rfSettingsFor(device);
    if (power_W) {
      if (device.control == PowerControl::TemperatureControlled) {
        settings.maxPower_W = *power_W;
      } else {
        settings.power_W = *power_W;
      }
    }
    return std::make_unique<RfSource>(grid, device, placement, settings);
  }
  MicrowaveSettings settings = microwaveSettingsFor(device);
  if (power_W) settings.power_W = *power_W;
  return std::make_unique<MicrowaveSource>(grid, device, placement, settings);
}

}  // namespace twinplan::ablation
