#pragma once
// The ablation devices withdrawn from the catalogue (tests/data/ablation/withdrawn_devices.json,
// whose "about" says why): documented negative results the tests still run, read with the
// catalogue's own reader (devices.h loadDevices). No front end lists or accepts them.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/ablation/devices.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation::testing {

inline const std::vector<AblationDevice>& withdrawnDevices() {
  static const std::vector<AblationDevice> devices = [] {
    const std::filesystem::path file =
        std::filesystem::path(TWINPLAN_SOURCE_DIR) / "tests/data/ablation/withdrawn_devices.json";
    std::ifstream in(file);
    if (!in)
      throw Error(ErrorKind::Io, "Cannot read the withdrawn devices' fixture " + file.string(),
                  file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return loadDevices(text.str(), file.string());
  }();
  return devices;
}

// The withdrawn device with this id; Error(NotFound) when the fixture has none.
inline const AblationDevice& withdrawnDevice(std::string_view id) {
  for (const AblationDevice& d : withdrawnDevices())
    if (d.id == id) return d;
  throw Error(
      ErrorKind::NotFound,
      "No withdrawn device '" + std::string(id) + "' in tests/data/ablation/withdrawn_devices.json",
      std::string(id));
}

// The LeVeen 4.0 type array (rf-multitine-4cm), withdrawn on branch ablwithdraw.
inline const AblationDevice& withdrawnFourCentimetreArray() {
  return withdrawnDevice("rf-multitine-4cm");
}

}  // namespace twinplan::ablation::testing
