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
  // "ramp": the multi-tine (LeVeen) protocol: power starts at power_W and rises by
  // rampRate_W_per_min up to maxPower_W; the application ends at the impedance roll-off, and
  // after rampApplications roll-offs the treatment ends (rf_source.h).
  RampUntilRollOff,
};

// What ends a "ramp" application, the generator's roll-off (rf_source.h RfSettings):
// "boiling" (the default): the tissue next to a tine reaches the vaporisation start, the 1 mm
// grid's stand-in for the thin dried shell around a 0.5 mm wire that raises a real generator's
// impedance; "impedance": the impedance of the potential solve itself rises by
// rollOffImpedanceRise_ohm over its value at the start, with the tissue's conductivity following
// the water it has boiled off so that dried tissue stays dry (docs/validation.md, "Thermal
// ablation: the multi-tine's roll-off by the generator's impedance (branch abltine2)").
enum class RollOffRule { Boiling, Impedance };

std::string_view toString(DeviceType type);
std::string_view toString(PowerControl control);
std::string_view toString(RollOffRule rule);

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
  // The published setting's treatment time (s) where it differs from the generator's default
  // (Goldberg et al.'s ex vivo cluster zone was made in 15 min, the device's default is 12);
  // 0: the generator's duration_s.
  double duration_s = 0.0;
};

// How the simulated zone of the device at its catalogue setting compares with its published
// zone: devices.json "zoneCheck", the figures of slow/ablation_zone_sizes_test's last run, which
// checks this record against what it measures. The zone is compared as the published one was
// measured, after the heated tissue contracted (docs/validation.md, "Microwave zone length
// (session 13)"), by the published zone's criterion.
struct ZoneCheck {
  bool recorded = false;              // the catalogue entry has a zoneCheck
  bool within5mm = false;             // both contracted axes within +-5 mm of the published ones
  double simulatedLongAxis_mm = 0.0;  // the heated tissue (what the planner and panel show)
  double simulatedShortAxis_mm = 0.0;
  double contractedLongAxis_mm = 0.0;  // the same as measured after contraction
  double contractedShortAxis_mm = 0.0;
  std::string reference;  // the published zone's source in short: "Goldberg et al. 1998"
  std::string section;    // where docs/validation.md reports the run
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
  double rampRate_W_per_min = 0.0;      // "ramp" control only: the power's rise
  int rampApplications = 1;             // "ramp" control only: roll-offs before the end
  double efficiency = 1.0;              // microwave: share of the set power absorbed in tissue
  // "ramp" control only: what ends an application (generator.rollOff), and for "impedance"
  // the rise over the start that does (generator.rollOffImpedanceRise_ohm).
  RollOffRule rampRollOff = RollOffRule::Boiling;
  double rollOffImpedanceRise_ohm = 30.0;
  // "ramp" control only: the pause after a roll-off before the next application
  // (generator.rampPause_s; rf_source.h RfSettings::rollOffPause_s) and what that application
  // delivers (generator.rampRestartFraction; RfSettings::rampRestartFraction: 0, the ramp again;
  // above 0, that fraction of the power at the roll-off, held).
  double rampPause_s = 15.0;
  double rampRestartFraction = 0.0;
  std::string generatorSource;

  PublishedZone publishedZone;
  ZoneCheck zoneCheck;

  bool isRf() const { return type != DeviceType::Microwave; }
};

// Reads a catalogue (the format of resources/ablation/devices.json). `origin` names the text in
// errors. Throws Error(Corrupt) naming the device and field of a bad entry.
std::vector<AblationDevice> loadDevices(std::string_view json, std::string_view origin);

// Whether the device's simulated zone is known to match its published zone within +-5 mm
// (a recorded zone check that says so).
bool zoneValidated(const AblationDevice& device);

// Empty for a validated device; otherwise one sentence for the Ablation panel and the planner's
// reasons: "Zone not validated: simulated 48 x 44 mm vs published 31 mm (Goldberg et al. 1998)"
// (the contracted axes, rounded to the millimetre; one published figure when both axes are
// equal), or "Zone not validated: no check against a published zone" without a record.
std::string zoneValidationNote(const AblationDevice& device);

// The compiled-in catalogue, read once.
const std::vector<AblationDevice>& deviceCatalogue();

// A device taken out of the catalogue (devices.json "withdrawn"): a saved case or a command may
// still name it, and is told why rather than only that the id is unknown.
struct WithdrawnDevice {
  std::string id;
  std::string name;
  std::string reason;   // finishes "'<id>' was withdrawn from the catalogue (<reason>)"
  std::string section;  // where the evidence is (docs/validation.md section)
};

// Reads the "withdrawn" array of a catalogue text (none: empty). Throws Error(Corrupt) naming
// the entry and field that is missing.
std::vector<WithdrawnDevice> loadWithdrawnDevices(std::string_view json, std::string_view origin);

// The compiled-in catalogue's withdrawn device with this id, or nullptr.
const WithdrawnDevice* withdrawnDevice(std::string_view id);

// The catalogue entry with this id; Error(NotFound) listing the known ids otherwise, saying why
// first when the id is a withdrawn device's.
const AblationDevice& findDevice(std::string_view id);
// The same entry, or nullptr where an id may lawfully be unknown (a surrogate made by hand, a
// case saved with a device since removed).
const AblationDevice* catalogueDevice(std::string_view id);

}  // namespace twinplan::ablation
