#include "twinplan/ablation/devices.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "twinplan/ablation/resources.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

using Json = nlohmann::json;

// Issue #17 item 4: published zone sizes within +-5 mm.
constexpr double kZoneCheckTolerance_mm = 5.0;

// "48", "31.5": whole millimetres unless the figure has a tenth.
std::string millimetres(double value_mm) {
  const double tenths = std::round(value_mm * 10.0);
  std::ostringstream out;
  out << std::fixed << std::setprecision(std::fmod(tenths, 10.0) == 0.0 ? 0 : 1) << tenths / 10.0;
  return out.str();
}

constexpr std::string_view kCataloguePath = "ablation/devices.json";

// Reads the fields of one device, naming it and the field in every error.
class EntryReader {
 public:
  EntryReader(const Json& entry, std::string origin, std::string deviceId)
      : entry_(entry), origin_(std::move(origin)), id_(std::move(deviceId)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw Error(ErrorKind::Corrupt,
                "Device '" + id_ + "' in " + origin_ + ": field '" + field + "' " + problem +
                    "; fix the entry (resources/ablation/devices.json documents the format).",
                origin_ + ":" + id_ + "." + field);
  }

  const Json& group(const std::string& name) const {
    if (!entry_.contains(name) || !entry_[name].is_object())
      fail(name, "is missing or not an object");
    return entry_[name];
  }

  double number(const std::string& groupName, const std::string& field, double min, double max,
                bool required = true, double fallback = 0.0) const {
    const Json& g = group(groupName);
    const std::string path = groupName + "." + field;
    if (!g.contains(field)) {
      if (required) fail(path, "is missing");
      return fallback;
    }
    // A null is given but is no number, as has() sees it: refused rather than read as absent.
    if (!g[field].is_number()) fail(path, "must be a number (got " + g[field].dump() + ")");
    const double value = g[field].get<double>();
    if (!(value >= min && value <= max)) {
      fail(path, "must lie in [" + Json(min).dump() + ", " + Json(max).dump() + "] (got " +
                     g[field].dump() + ")");
    }
    return value;
  }

  std::string text(const std::string& groupName, const std::string& field,
                   bool required = true) const {
    const Json& g = groupName.empty() ? entry_ : group(groupName);
    const std::string path = groupName.empty() ? field : groupName + "." + field;
    if (!g.contains(field)) {
      if (required) fail(path, "is missing");
      return {};
    }
    if (!g[field].is_string()) fail(path, "must be a string (got " + g[field].dump() + ")");
    std::string value = g[field].get<std::string>();
    if (required && value.empty()) fail(path, "is empty");
    return value;
  }

  // Whether the entry gives the field at all (null counts as given: it is not the default).
  bool has(const std::string& groupName, const std::string& field) const {
    return group(groupName).contains(field);
  }

  bool flag(const std::string& groupName, const std::string& field) const {
    const Json& g = group(groupName);
    if (!g.contains(field) || !g[field].is_boolean()) {
      fail(groupName + "." + field, "must be true or false");
    }
    return g[field].get<bool>();
  }

 private:
  const Json& entry_;
  std::string origin_;
  std::string id_;
};

DeviceType parseType(const EntryReader& reader, const std::string& name) {
  if (name == "rf-single") return DeviceType::RfSingle;
  if (name == "rf-cluster") return DeviceType::RfCluster;
  if (name == "rf-multitine") return DeviceType::RfMultiTine;
  if (name == "microwave") return DeviceType::Microwave;
  reader.fail("type",
              "must be rf-single, rf-cluster, rf-multitine or microwave (got '" + name + "')");
}

// Absent: the tissue at a tine boiling, the ramp's rule since branch abldevice.
RollOffRule parseRollOff(const EntryReader& reader, const std::string& name) {
  if (name.empty() || name == "boiling") return RollOffRule::Boiling;
  if (name == "impedance") return RollOffRule::Impedance;
  reader.fail("generator.rollOff", "must be boiling or impedance (got '" + name + "')");
}

PowerControl parseControl(const EntryReader& reader, const std::string& name) {
  if (name == "power") return PowerControl::ConstantPower;
  if (name == "temperature") return PowerControl::TemperatureControlled;
  if (name == "impedance") return PowerControl::ImpedanceControlled;
  if (name == "ramp") return PowerControl::RampUntilRollOff;
  reader.fail("generator.control",
              "must be power, temperature, impedance or ramp (got '" + name + "')");
}

void readGeometry(const EntryReader& r, AblationDevice& d) {
  d.activeTipLength_mm = r.number("geometry", "activeTipLength_mm", 1.0, 200.0);
  d.shaftDiameter_mm = r.number("geometry", "shaftDiameter_mm", 0.2, 10.0);
  if (d.type == DeviceType::RfCluster) {
    d.electrodeCount = int(r.number("geometry", "electrodeCount", 2, 8));
    d.electrodeSpacing_mm = r.number("geometry", "electrodeSpacing_mm", 1.0, 50.0);
  }
  if (d.type == DeviceType::RfMultiTine) {
    d.tineCount = int(r.number("geometry", "tineCount", 2, 32));
    d.tineDeployedDiameter_mm = r.number("geometry", "tineDeployedDiameter_mm", 5.0, 100.0);
  }
  if (d.type == DeviceType::Microwave) {
    d.feedGapFromTip_mm = r.number("geometry", "feedGapFromTip_mm", 0.0, 100.0);
  }
  d.geometrySource = r.text("geometry", "source");
}

void readCooling(const EntryReader& r, AblationDevice& d) {
  d.internallyCooled = r.flag("cooling", "internallyCooled");
  d.coolantTemperature_degC = r.number("cooling", "coolantTemperature_degC", -20.0, 60.0);
  d.coolingSource = r.text("cooling", "source");
}

// The "ramp" control's fields. The impedance rise belongs to the impedance rule alone: with the
// boiling rule it would be read and never used, so it is refused naming the device and field.
void readRamp(const EntryReader& r, AblationDevice& d) {
  d.rampRate_W_per_min = r.number("generator", "rampRate_W_per_min", 0.0, 1000.0);
  d.rampApplications = int(r.number("generator", "rampApplications", 1, 10, false, 1.0));
  d.rampPause_s = r.number("generator", "rampPause_s", 0.0, 600.0, false, d.rampPause_s);
  d.rampRestartFraction =
      r.number("generator", "rampRestartFraction", 0.0, 1.0, false, d.rampRestartFraction);
  if (d.rampApplications == 1) {  // no application after the first: nothing pauses or restarts
    for (const char* field : {"rampPause_s", "rampRestartFraction"})
      if (r.has("generator", field))
        r.fail(std::string("generator.") + field,
               "applies only with generator.rampApplications above 1 (this ramp ends at its "
               "first roll-off); remove it or add an application");
  }
  d.rampRollOff = parseRollOff(r, r.text("generator", "rollOff", false));
  if (d.rampRollOff == RollOffRule::Impedance) {
    d.rollOffImpedanceRise_ohm = r.number("generator", "rollOffImpedanceRise_ohm", 1.0, 1000.0,
                                          false, d.rollOffImpedanceRise_ohm);  // default if absent
  } else if (r.has("generator", "rollOffImpedanceRise_ohm")) {
    r.fail("generator.rollOffImpedanceRise_ohm",
           "applies only with generator.rollOff 'impedance' (this ramp ends by the 'boiling' "
           "rule, which does not read it); remove it or set rollOff to 'impedance'");
  }
}

void readGenerator(const EntryReader& r, AblationDevice& d) {
  d.frequency_Hz = r.number("generator", "frequency_Hz", 1e4, 1e11);
  d.power_W = r.number("generator", "power_W", 0.1, 1000.0);
  d.maxPower_W = r.number("generator", "maxPower_W", d.power_W, 1000.0);
  d.duration_s = r.number("generator", "duration_s", 1.0, 7200.0);
  d.control = parseControl(r, r.text("generator", "control"));
  if (d.control == PowerControl::TemperatureControlled) {
    d.targetTemperature_degC = r.number("generator", "targetTemperature_degC", 45.0, 120.0);
  }
  if (d.control == PowerControl::RampUntilRollOff) {
    readRamp(r, d);
  } else {
    // The catalogue reads the ramp's fields for the ramp alone (the 'impedance' control keeps
    // the Cool-tip rule's fixed 30 ohm rise and 15 s pause, rf_source.h): refuse them rather
    // than ignore them.
    for (const char* field : {"rampRate_W_per_min", "rampApplications", "rampPause_s",
                              "rampRestartFraction", "rollOff", "rollOffImpedanceRise_ohm"}) {
      if (r.has("generator", field))
        r.fail(std::string("generator.") + field,
               "is read only with control 'ramp' (this device's control is '" +
                   std::string(toString(d.control)) + "'); remove it");
    }
  }
  if (d.type == DeviceType::Microwave) {
    d.efficiency = r.number("generator", "efficiency", 0.05, 1.0);
    if (d.control != PowerControl::ConstantPower) {
      r.fail("generator.control", "must be 'power' for a microwave antenna");
    }
  } else if (d.frequency_Hz > 1e7) {
    r.fail("generator.frequency_Hz", "is a microwave frequency for an RF electrode");
  }
  d.generatorSource = r.text("generator", "source");
}

void readZone(const EntryReader& r, AblationDevice& d) {
  PublishedZone& z = d.publishedZone;
  z.longAxis_mm = r.number("publishedZone", "longAxis_mm", 1.0, 200.0);
  z.shortAxis_mm = r.number("publishedZone", "shortAxis_mm", 1.0, 200.0);
  z.tissue = r.text("publishedZone", "tissue");
  z.setting = r.text("publishedZone", "setting");
  z.evidence = r.text("publishedZone", "evidence");
  if (z.evidence != "full text" && z.evidence != "abstract" && z.evidence != "unverified") {
    r.fail("publishedZone.evidence",
           "must be 'full text', 'abstract' or 'unverified' (got '" + z.evidence + "')");
  }
  z.source = r.text("publishedZone", "source");
  z.measurement = r.text("publishedZone", "measurement", false);
  z.duration_s = r.number("publishedZone", "duration_s", 1.0, 7200.0, false, 0.0);
  const std::string criterion = r.text("publishedZone", "zoneCriterion", false);
  if (!criterion.empty()) {
    try {
      z.zoneCriterion = toString(parseZoneCriterion(criterion));
    } catch (const Error& e) {
      r.fail("publishedZone.zoneCriterion", "is not a zone criterion: " + std::string(e.what()));
    }
  }
}

// The optional zoneCheck group. Its verdict must follow from its own figures, so a record edited
// by hand cannot call a device validated that its contracted axes put more than 5 mm off.
void readZoneCheck(const Json& entry, const EntryReader& r, AblationDevice& d) {
  if (!entry.contains("zoneCheck")) return;
  ZoneCheck& c = d.zoneCheck;
  c.recorded = true;
  c.within5mm = r.flag("zoneCheck", "within5mm");
  c.simulatedLongAxis_mm = r.number("zoneCheck", "simulatedLongAxis_mm", 1.0, 300.0);
  c.simulatedShortAxis_mm = r.number("zoneCheck", "simulatedShortAxis_mm", 1.0, 300.0);
  c.contractedLongAxis_mm = r.number("zoneCheck", "contractedLongAxis_mm", 1.0, 300.0);
  c.contractedShortAxis_mm = r.number("zoneCheck", "contractedShortAxis_mm", 1.0, 300.0);
  c.reference = r.text("zoneCheck", "reference");
  c.section = r.text("zoneCheck", "section");
  const double off_mm = std::max(std::abs(c.contractedLongAxis_mm - d.publishedZone.longAxis_mm),
                                 std::abs(c.contractedShortAxis_mm - d.publishedZone.shortAxis_mm));
  if (c.within5mm != (off_mm <= kZoneCheckTolerance_mm)) {
    r.fail("zoneCheck.within5mm", std::string("is ") + (c.within5mm ? "true" : "false") +
                                      " but the contracted axes are " + millimetres(off_mm) +
                                      " mm from the published zone");
  }
}

AblationDevice readDevice(const Json& entry, const std::string& origin, std::size_t index) {
  std::string id = "#" + std::to_string(index + 1);
  if (!entry.is_object()) EntryReader(Json::object(), origin, id).fail("", "is not an object");
  if (entry.contains("id") && entry["id"].is_string() && !entry["id"].get<std::string>().empty()) {
    id = entry["id"].get<std::string>();
  }
  const EntryReader r(entry, origin, id);
  AblationDevice d;
  d.id = r.text("", "id");
  d.name = r.text("", "name");
  d.type = parseType(r, r.text("", "type"));
  readGeometry(r, d);
  readCooling(r, d);
  readGenerator(r, d);
  readZone(r, d);
  readZoneCheck(entry, r, d);
  return d;
}

}  // namespace

std::string_view toString(DeviceType type) {
  switch (type) {
    case DeviceType::RfSingle:
      return "rf-single";
    case DeviceType::RfCluster:
      return "rf-cluster";
    case DeviceType::RfMultiTine:
      return "rf-multitine";
    case DeviceType::Microwave:
      return "microwave";
  }
  return "unknown";
}

std::string_view toString(PowerControl control) {
  switch (control) {
    case PowerControl::ConstantPower:
      return "power";
    case PowerControl::TemperatureControlled:
      return "temperature";
    case PowerControl::ImpedanceControlled:
      return "impedance";
    case PowerControl::RampUntilRollOff:
      return "ramp";
  }
  return "unknown";
}

std::string_view toString(RollOffRule rule) {
  return rule == RollOffRule::Impedance ? "impedance" : "boiling";
}

std::vector<AblationDevice> loadDevices(std::string_view json, std::string_view origin) {
  const std::string where(origin);
  Json root;
  try {
    root = Json::parse(json);
  } catch (const Json::parse_error& e) {
    throw Error(
        ErrorKind::Corrupt,
        "The device catalogue " + where + " is not valid JSON (" + e.what() + "); fix the file.",
        where);
  }
  if (!root.is_object() || !root.contains("devices") || !root["devices"].is_array()) {
    throw Error(ErrorKind::Corrupt,
                "The device catalogue " + where + " has no 'devices' array; fix the file.", where);
  }
  std::vector<AblationDevice> devices;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < root["devices"].size(); ++i) {
    AblationDevice device = readDevice(root["devices"][i], where, i);
    if (!ids.insert(device.id).second) {
      throw Error(ErrorKind::Corrupt,
                  "Device id '" + device.id + "' appears twice in " + where +
                      "; give each device its own id.",
                  where + ":" + device.id);
    }
    devices.push_back(std::move(device));
  }
  return devices;
}

bool zoneValidated(const AblationDevice& device) {
  return device.zoneCheck.recorded && device.zoneCheck.within5mm;
}

std::string zoneValidationNote(const AblationDevice& device) {
  if (zoneValidated(device)) return {};
  const ZoneCheck& c = device.zoneCheck;
  if (!c.recorded) return "Zone not validated: no check against a published zone";
  const PublishedZone& z = device.publishedZone;
  const std::string published =
      z.longAxis_mm == z.shortAxis_mm
          ? millimetres(z.longAxis_mm)
          : millimetres(z.longAxis_mm) + " x " + millimetres(z.shortAxis_mm);
  return "Zone not validated: simulated " + millimetres(std::round(c.contractedLongAxis_mm)) +
         " x " + millimetres(std::round(c.contractedShortAxis_mm)) + " mm vs published " +
         published + " mm (" + c.reference + ")";
}

const std::vector<AblationDevice>& deviceCatalogue() {
  static const std::vector<AblationDevice> catalogue = [] {
    const std::string_view text = resources::ablationResource(kCataloguePath);
    if (text.empty()) {
      throw Error(ErrorKind::Internal,
                  "The device catalogue resources/ablation/devices.json was not compiled in; "
                  "re-run cmake.",
                  std::string(kCataloguePath));
    }
    return loadDevices(text, kCataloguePath);
  }();
  return catalogue;
}

const AblationDevice* catalogueDevice(std::string_view id) {
  for (const AblationDevice& device : deviceCatalogue())
    if (device.id == id) return &device;
  return nullptr;
}

std::vector<WithdrawnDevice> loadWithdrawnDevices(std::string_view json, std::string_view origin) {
  const std::string where(origin);
  const Json root = Json::parse(json, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    throw Error(ErrorKind::Corrupt,
                "The device catalogue " + where + " is not valid JSON; fix the file.", where);
  }
  std::vector<WithdrawnDevice> withdrawn;
  if (!root.contains("withdrawn")) return withdrawn;
  const Json& list = root["withdrawn"];
  if (!list.is_array()) {
    throw Error(
        ErrorKind::Corrupt,
        "The device catalogue " + where + " has a 'withdrawn' that is not an array; fix the file.",
        where);
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    WithdrawnDevice device;
    for (auto [field, value] :
         {std::pair{"id", &device.id}, std::pair{"name", &device.name},
          std::pair{"reason", &device.reason}, std::pair{"section", &device.section}}) {
      if (!list[i].contains(field) || !list[i][field].is_string()) {
        throw Error(ErrorKind::Corrupt,
                    "Withdrawn device " + std::to_string(i + 1) + " in " + where + " has no '" +
                        field + "' text; fix the entry.",
                    where);
      }
      *value = list[i][field].get<std::string>();
    }
    withdrawn.push_back(std::move(device));
  }
  return withdrawn;
}

const WithdrawnDevice* withdrawnDevice(std::string_view id) {
  static const std::vector<WithdrawnDevice> withdrawn =
      loadWithdrawnDevices(resources::ablationResource(kCataloguePath), kCataloguePath);
  for (const WithdrawnDevice& device : withdrawn)
    if (device.id == id) return &device;
  return nullptr;
}

const AblationDevice& findDevice(std::string_view id) {
  if (const AblationDevice* device = catalogueDevice(id)) return *device;
  std::string known;
  for (const AblationDevice& device : deviceCatalogue())
    known += (known.empty() ? "" : ", ") + device.id;
  // A withdrawn device says why it went, so a user with an old plan knows what to do.
  const WithdrawnDevice* withdrawn = withdrawnDevice(id);
  const std::string why = withdrawn
                              ? "'" + std::string(id) + "' was withdrawn from the catalogue (" +
                                    withdrawn->reason + "; " + withdrawn->section + ")"
                              : "There is no ablation device '" + std::string(id) + "'";
  throw Error(ErrorKind::NotFound, why + "; the known devices are " + known + ".", std::string(id));
}

}  // namespace twinplan::ablation
