#pragma once
// The ablation device catalogue (issue #17 item 1): generic RF electrodes and microwave
// antennas with their geometry, cooling, generator setting and the zone published for that
// setting, each group with its source. The catalogue is resources/ablation/devices.json,
// compiled in (resources.h); loadDevices() reads any text in the same format.
#include <string>
#include <string_view>
#include <vector>

namespace twinplan::ablation {

enum class DeviceType {
  RfSingle,     // one straight electrode ("rf-single")
  RfCluster,    // parallel electrodes on a regular polygon ("rf-cluster")
  RfMultiTine,  // an expandable umbrella of tines from a cannula ("rf-multitine")
  Microwave,    // an interstitial antenna ("microwave")
};

// How the generator sets its power (rf_source.h).
enum class PowerControl {
  ConstantPower,          // "power"
  TemperatureControlled,  // "temperature": a controller on the hottest electrode temperature
  ImpedanceControlled,    // "impedance": power off for a while when the impedance rises
};

std::string_view toString(DeviceType type);
std::string_view toString(PowerControl control);

// The ablation zone a paper or manufacturer reports for the device at its stated setting.
struct PublishedZone {
  double longAxis_mm = 0.0;   // along the probe
  double shortAxis_mm = 0.0;  // across it
  std::string tissue;         // "in vivo porcine liver"
  std::string setting;        // "Cool-tip needle, 12 min"
  // How the zone was checked against its source: "full text" or "abstract" (read there) or
  // "unverified" (not checked).
  std::string evidence;
  std::string source;
  // How the paper measured the zone ("gross pathology, white coagulation zone at sectioning")
  // and the simulated zone that corresponds to it (zone_metrics.h parseZoneCriterion:
  // "omega>=1" unless the measurement calls for another).
  std::string measurement;
  std::string zoneCriterion = "omega>=1";
};

struct AblationDevice {
  std::string id;    // "rf-cooled-3cm"
  std::string name;  // for menus and reports
  DeviceType type = DeviceType::RfSingle;

  // Geometry. activeTipLength_mm: the exposed (RF) or radiating (microwave) length from the
  // tip back along the shaft; for a multi-tine electrode the tines' reach ahead of the cannula.
  double activeTipLength_mm = 0.0;
  double shaftDiameter_mm = 0.0;
  int electrodeCount = 1;            // cluster
  double electrodeSpacing_mm = 0.0;  // cluster: centre to centre of neighbouring electrodes
  int tineCount = 0;                 // multi-tine
  double tineDeployedDiameter_mm = 0.0;
  double feedGapFromTip_mm = 0.0;  // microwave: where the antenna's feed gap lies
  std::string geometrySource;

  bool internallyCooled = false;
  double coolantTemperature_degC = 37.0;
  std::string coolingSource;

  // The generator's default setting.
  double frequency_Hz = 0.0;
  double power_W = 0.0;
  double maxPower_W = 0.0;
  double duration_s = 0.0;
  PowerControl control = PowerControl::ConstantPower;
  double targetTemperature_degC = 0.0;  // temperature control only
  double efficiency = 1.0;              // microwave: share of the set power absorbed in tissue
  std::string generatorSource;

  PublishedZone publishedZone;

  bool isRf() const { return type != DeviceType::Microwave; }
};

// Reads a catalogue (the format of resources/ablation/devices.json). `origin` names the text in
// errors. Throws Error(Corrupt) naming the device and field of a bad entry.
std::vector<AblationDevice> loadDevices(std::string_view json, std::string_view origin);

// The compiled-in catalogue, read once.
const std::vector<AblationDevice>& deviceCatalogue();

// The catalogue entry with this id; Error(NotFound) listing the known ids otherwise.
const AblationDevice& findDevice(std::string_view id);

}  // namespace twinplan::ablation
