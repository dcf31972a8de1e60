// Writes resources/ablation/zone_profiles.json: the zone surrogate (zone_surrogate.h) of every
// catalogue device at each planner setting, calibrated by the full physics in uniform liver: one
// run per device and power, whose zones at every planner time give that time's profile
// (calibrateSurrogateTimes).
//   build/bench/twinplan-ablation-surrogate-table > resources/ablation/zone_profiles.json
#include <iostream>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/zone_surrogate.h"

int main() {
  using namespace twinplan::ablation;
  std::vector<ZoneSurrogate> surrogates;
  for (const AblationDevice& device : deviceCatalogue()) {
    const std::vector<double> durations = plannerDurations_s(device);
    for (double power : plannerPowers_W(device)) {
      const std::vector<ZoneSurrogate> run = calibrateSurrogateTimes(device, power, durations);
      surrogates.insert(surrogates.end(), run.begin(), run.end());
      std::cerr << device.id << " " << power << " W, " << durations.size() << " times up to "
                << durations.back() << " s: " << run.back().calibration_s << " s\n";
    }
  }
  std::cout << surrogateTableJson(surrogates) << '\n';
}
