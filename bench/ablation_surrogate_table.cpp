// Writes resources/ablation/zone_profiles.json: the zone surrogate (zone_surrogate.h) of every
// catalogue device at each planner setting, calibrated by the full physics in uniform liver.
//   build/bench/twinplan-ablation-surrogate-table > resources/ablation/zone_profiles.json
#include <iostream>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/zone_surrogate.h"

int main() {
  using namespace twinplan::ablation;
  std::vector<ZoneSurrogate> surrogates;
  for (const AblationDevice& device : deviceCatalogue())
    for (const DeviceSetting& setting : plannerSettings(device)) {
      surrogates.push_back(calibrateSurrogate(device, setting.power_W, setting.duration_s));
      std::cerr << device.id << " " << setting.power_W << " W " << setting.duration_s
                << " s: " << surrogates.back().calibration_s << " s\n";
    }
  std::cout << surrogateTableJson(surrogates) << '\n';
}
