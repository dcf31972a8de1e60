// The ablation device catalogue and the voxels a placed device occupies
// (simulation/ablation/devices.h, probe_geometry.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "ablation_test_tissue.h"
#include "ablation_withdrawn_devices.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/device_source.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/probe_geometry.h"
#include "twinplan/ablation/rf_source.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

TEST(AblationDevices, EveryCatalogueEntryLoadsWithItsSources) {
  // Five since branch ablwithdraw took out the 4 cm multi-tine (its zone never came within +-5 mm
  // of the published one; tests/data/ablation/withdrawn_devices.json).
  const auto& catalogue = deviceCatalogue();
  ASSERT_EQ(catalogue.size(), 5u);
  int rf = 0, microwave = 0;
  for (const AblationDevice& d : catalogue) {
    SCOPED_TRACE(d.id);
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.activeTipLength_mm, 0.0);
    EXPECT_GT(d.power_W, 0.0);
    EXPECT_GT(d.duration_s, 0.0);
    EXPECT_FALSE(d.geometrySource.empty());
    EXPECT_FALSE(d.coolingSource.empty());
    EXPECT_FALSE(d.generatorSource.empty());
    EXPECT_FALSE(d.publishedZone.source.empty());
    // Along the probe the zone is the longer, except an umbrella array's, flat across the tines
    // (the LeVeen 2 cm array's published zone: 26.2 mm along, 29.3 mm across; PubMed 17380011).
    if (d.type != DeviceType::RfMultiTine) {
      EXPECT_GE(d.publishedZone.longAxis_mm, d.publishedZone.shortAxis_mm);
    }
    (d.isRf() ? rf : microwave)++;
  }
  EXPECT_EQ(rf, 3);
  EXPECT_EQ(microwave, 2);
}

// findDevice's error for an id the catalogue does not hold (NotFound), or "" when it holds it.
std::string unknownDeviceError(std::string_view id) {
  try {
    findDevice(id);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    return e.what();
  }
  return {};
}

// Branch ablwithdraw: the 4 cm multi-tine array left the catalogue; nothing that looks a device
// up by its id finds it, and the error lists the ids there are.
TEST(AblationDevices, TheWithdrawnFourCentimetreArrayIsNotInTheCatalogue) {
  EXPECT_EQ(catalogueDevice("rf-multitine-4cm"), nullptr);
  // Branch ablmend: the error says why it went and where the evidence is (devices.json
  // "withdrawn"), then the ids there are.
  EXPECT_EQ(unknownDeviceError("rf-multitine-4cm"),
            "'rf-multitine-4cm' was withdrawn from the catalogue (its simulated zone, 28 x 54 mm "
            "after contraction, was never matched to the 43 mm published for a LeVeen 4.0 array "
            "in vivo (Denys et al. 2003); docs/validation.md, 'Thermal ablation: the 4 cm "
            "multi-tine withdrawn from the catalogue (branch ablwithdraw, session 21; issue #17 "
            "items 1 and 4)'); the known devices are rf-cooled-3cm, rf-cluster-3x25mm, "
            "rf-multitine-2cm, mw-915mhz-45w, mw-2450mhz-100w.");
  const WithdrawnDevice* record = withdrawnDevice("rf-multitine-4cm");
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(withdrawnDevice("rf-cooled-3cm"), nullptr);  // in the catalogue, not withdrawn
  EXPECT_EQ(withdrawnDevice("rf-cooled-9cm"), nullptr);
  // The record names the fixture's device as the fixture does.
  EXPECT_EQ(record->name, testing::withdrawnFourCentimetreArray().name);
  // Its entry, unchanged, is the tests' fixture: one device, read by the catalogue's reader.
  ASSERT_EQ(testing::withdrawnDevices().size(), 1u);
  const AblationDevice& tines = testing::withdrawnFourCentimetreArray();
  EXPECT_EQ(tines.type, DeviceType::RfMultiTine);
  // Its setting: the RITA protocol's temperature control.
  EXPECT_EQ(tines.control, PowerControl::TemperatureControlled);
  EXPECT_DOUBLE_EQ(tines.targetTemperature_degC, 95.0);  // below the boiling plateau
  EXPECT_DOUBLE_EQ(tines.tineDeployedDiameter_mm, 40.0);
  // Its published zone since branch abltine: a LeVeen 4.0 needle in living pig liver, 42 cm3 of
  // spherical shape (Denys et al., Eur Radiol 2003, abstract), a sphere of 43 mm; in vivo, so
  // the zone-sizes check runs it in perfused liver.
  EXPECT_DOUBLE_EQ(tines.publishedZone.longAxis_mm, 43.0);
  EXPECT_DOUBLE_EQ(tines.publishedZone.shortAxis_mm, 43.0);
  EXPECT_EQ(tines.publishedZone.evidence, "abstract");
  EXPECT_EQ(tines.publishedZone.tissue, "in vivo porcine liver");
  EXPECT_NE(tines.publishedZone.source.find("Eur Radiol 2003;13(10):2346-2352"), std::string::npos);
}

TEST(AblationDevices, TheCatalogueHoldsThePublishedSettings) {
  // Cooled RF: 3 cm tip, 12 min, impedance control (Goldberg et al. 1998; Cool-tip IFU).
  const AblationDevice& cooled = findDevice("rf-cooled-3cm");
  EXPECT_EQ(cooled.type, DeviceType::RfSingle);
  EXPECT_DOUBLE_EQ(cooled.activeTipLength_mm, 30.0);
  EXPECT_DOUBLE_EQ(cooled.duration_s, 720.0);
  EXPECT_EQ(cooled.control, PowerControl::ImpedanceControlled);
  EXPECT_TRUE(cooled.internallyCooled);
  // Cluster: three electrodes 5 mm apart, 12 min by default; its zone is checked against
  // Goldberg et al. 1998's ex vivo 15 min figure, 4.7 cm (the published setting's own time).
  const AblationDevice& cluster = findDevice("rf-cluster-3x25mm");
  EXPECT_EQ(cluster.electrodeCount, 3);
  EXPECT_DOUBLE_EQ(cluster.electrodeSpacing_mm, 5.0);
  EXPECT_DOUBLE_EQ(cluster.duration_s, 720.0);
  EXPECT_DOUBLE_EQ(cluster.publishedZone.shortAxis_mm, 47.0);
  EXPECT_DOUBLE_EQ(cluster.publishedZone.duration_s, 900.0);
  EXPECT_EQ(cluster.publishedZone.tissue, "ex vivo liver");
  // Since branch ablleveen2 a LeVeen Super Slim 2 cm type array: Go-Smart's 8 tines and its RF 3000
  // restart (30 s off, half the roll-off power held to a second roll-off), the unverified 30 W +
  // 10 W/min ramp, 200 W, 600 s; its published zone the second roll-off's of PubMed 17380011.
  const AblationDevice& small = findDevice("rf-multitine-2cm");
  EXPECT_EQ(small.type, DeviceType::RfMultiTine);
  EXPECT_EQ(small.tineCount, 8);
  EXPECT_DOUBLE_EQ(small.tineDeployedDiameter_mm, 20.0);
  EXPECT_DOUBLE_EQ(small.activeTipLength_mm, 10.0);
  EXPECT_FALSE(small.internallyCooled);
  EXPECT_EQ(small.control, PowerControl::RampUntilRollOff);
  EXPECT_DOUBLE_EQ(small.power_W, 30.0);
  EXPECT_DOUBLE_EQ(small.rampRate_W_per_min, 10.0);
  EXPECT_DOUBLE_EQ(small.maxPower_W, 200.0);
  EXPECT_EQ(small.rampApplications, 2);
  EXPECT_DOUBLE_EQ(small.rampPause_s, 30.0);
  EXPECT_DOUBLE_EQ(small.rampRestartFraction, 0.5);
  EXPECT_EQ(small.rampRollOff, RollOffRule::Boiling);
  EXPECT_DOUBLE_EQ(small.duration_s, 600.0);
  EXPECT_DOUBLE_EQ(small.publishedZone.longAxis_mm, 26.2);
  EXPECT_DOUBLE_EQ(small.publishedZone.shortAxis_mm, 29.3);
  EXPECT_EQ(small.publishedZone.evidence, "abstract");
  EXPECT_EQ(small.publishedZone.tissue.find("ex vivo"), std::string::npos);  // simulated in vivo
  EXPECT_NE(small.publishedZone.source.find("PubMed 17380011"), std::string::npos);
  const RfSettings held = rfSettingsFor(small);
  EXPECT_DOUBLE_EQ(held.rollOffPause_s, 30.0);
  EXPECT_DOUBLE_EQ(held.rampRestartFraction, 0.5);
  EXPECT_DOUBLE_EQ(findDevice("mw-915mhz-45w").frequency_Hz, 915e6);
  EXPECT_DOUBLE_EQ(findDevice("mw-915mhz-45w").power_W, 45.0);
  EXPECT_DOUBLE_EQ(findDevice("mw-2450mhz-100w").frequency_Hz, 2.45e9);
  EXPECT_DOUBLE_EQ(findDevice("mw-2450mhz-100w").duration_s, 300.0);
}

TEST(AblationDevices, AnUnknownIdListsTheKnownOnes) {
  // The lookup without an error: the same entry, or none.
  EXPECT_EQ(catalogueDevice("rf-cooled-3cm"), &findDevice("rf-cooled-3cm"));
  EXPECT_EQ(catalogueDevice("rf-cooled-9cm"), nullptr);
  const std::string what = unknownDeviceError("rf-cooled-9cm");
  EXPECT_NE(what.find("rf-cooled-9cm"), std::string::npos);
  for (const AblationDevice& d : deviceCatalogue()) {
    EXPECT_NE(what.find(d.id), std::string::npos) << what;
  }
}

TEST(AblationDevices, AWithdrawnListIsReadAndABrokenOneIsRefused) {
  const auto withdrawn = loadWithdrawnDevices(
      R"({"devices": [], "withdrawn": [{"id": "a", "name": "A", "reason": "r", "section": "s"}]})",
      "test.json");
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].id, "a");
  EXPECT_EQ(withdrawn[0].name, "A");
  EXPECT_EQ(withdrawn[0].reason, "r");
  EXPECT_EQ(withdrawn[0].section, "s");
  EXPECT_TRUE(loadWithdrawnDevices(R"({"devices": []})", "test.json").empty());
  for (const std::string text :
       {R"({"withdrawn": [{"id": "a", "name": "A", "section": "s"}]})",
        R"({"withdrawn": [{"id": "a", "name": "A", "reason": 3, "section": "s"}]})",
        R"({"withdrawn": {"id": "a"}})", R"({"withdrawn": [)"}) {
    try {
      loadWithdrawnDevices(text, "test.json");
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << text;
      EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos) << e.what();
    }
  }
  try {
    loadWithdrawnDevices(R"({"withdrawn": [{"id": "a", "name": "A", "section": "s"}]})",
                         "test.json");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "Withdrawn device 1 in test.json has no 'reason' text; fix the entry.");
  }
}

// A minimal valid entry, then one field broken at a time.
std::string catalogueWith(const std::string& geometry, const std::string& generator,
                          const std::string& id = "test-rf") {
  return R"({"devices": [{"id": ")" + id +
         R"(", "name": "Test", "type": "rf-single",
    "geometry": )" +
         geometry + R"(,
    "cooling": {"internallyCooled": false, "coolantTemperature_degC": 37, "source": "s"},
    "generator": )" +
         generator + R"(,
    "publishedZone": {"longAxis_mm": 30, "shortAxis_mm": 20, "tissue": "t", "setting": "s",
                      "evidence": "abstract", "source": "s"}}]})";
}
const std::string kGeometry =
    R"({"activeTipLength_mm": 30, "shaftDiameter_mm": 1.5, "source": "s"})";
const std::string kGenerator =
    R"({"frequency_Hz": 480000, "power_W": 50, "maxPower_W": 200, "duration_s": 720, "control": "power", "source": "s"})";

void expectCorrupt(const std::string& json, const std::string& mentions) {
  try {
    loadDevices(json, "test.json");
    FAIL() << "no error for " << mentions;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

// A ramp names what ends its applications (devices.h RollOffRule): absent, the tissue at a
// tine boiling (the rule since branch abldevice); "impedance", the generator's impedance rising by
// rollOffImpedanceRise_ohm (30 ohm unless given), which rfSettingsFor turns into the impedance
// rule alone with sigma following the water boiled off. A misspelt rule or a rise out of range
// is refused naming the field.
TEST(AblationDevices, ARampNamesTheRuleThatEndsItsApplications) {
  std::string generator = kGenerator;
  generator.replace(generator.find("\"power\""), 7, "\"ramp\"");
  generator.insert(generator.find("\"source\""), "\"rampRate_W_per_min\": 10, ");
  const AblationDevice byBoiling = loadDevices(catalogueWith(kGeometry, generator), "t.json")[0];
  EXPECT_EQ(byBoiling.rampRollOff, RollOffRule::Boiling);
  EXPECT_EQ(toString(byBoiling.rampRollOff), "boiling");
  const RfSettings boilingSettings = rfSettingsFor(byBoiling);
  EXPECT_TRUE(boilingSettings.rollOffAtBoiling);
  EXPECT_FALSE(boilingSettings.conductivityFollowsWater);
  EXPECT_DOUBLE_EQ(boilingSettings.rollOffImpedanceRise_ohm, 30.0);

  std::string impedance = generator;
  impedance.insert(impedance.find("\"source\""), "\"rollOff\": \"impedance\", ");
  const AblationDevice byImpedance = loadDevices(catalogueWith(kGeometry, impedance), "t.json")[0];
  EXPECT_EQ(byImpedance.rampRollOff, RollOffRule::Impedance);
  EXPECT_EQ(toString(byImpedance.rampRollOff), "impedance");
  EXPECT_DOUBLE_EQ(byImpedance.rollOffImpedanceRise_ohm, 30.0);
  const RfSettings impedanceSettings = rfSettingsFor(byImpedance);
  EXPECT_FALSE(impedanceSettings.rollOffAtBoiling);
  EXPECT_TRUE(impedanceSettings.conductivityFollowsWater);

  std::string risen = impedance;
  risen.insert(risen.find("\"source\""), "\"rollOffImpedanceRise_ohm\": 45, ");
  const AblationDevice byRise = loadDevices(catalogueWith(kGeometry, risen), "t.json")[0];
  EXPECT_DOUBLE_EQ(rfSettingsFor(byRise).rollOffImpedanceRise_ohm, 45.0);

  std::string misspelt = generator;
  misspelt.insert(misspelt.find("\"source\""), "\"rollOff\": \"pressure\", ");
  expectCorrupt(catalogueWith(kGeometry, misspelt),
                "field 'generator.rollOff' must be boiling or impedance (got 'pressure')");
  std::string tooLow = impedance;
  tooLow.insert(tooLow.find("\"source\""), "\"rollOffImpedanceRise_ohm\": 0, ");
  expectCorrupt(catalogueWith(kGeometry, tooLow),
                "'generator.rollOffImpedanceRise_ohm' must lie in");
}

// A field the generator would read and never use is refused, naming the device and the field
// (review of branch abltine2): the impedance rise with a ramp ended by the boiling rule (given
// or by default), and any of the ramp's fields with another control.
TEST(AblationDevices, ARollOffFieldThatWouldBeIgnoredIsRefused) {
  std::string ramp = kGenerator;
  ramp.replace(ramp.find("\"power\""), 7, "\"ramp\"");
  ramp.insert(ramp.find("\"source\""), "\"rampRate_W_per_min\": 10, ");
  std::string risenByDefault = ramp;
  risenByDefault.insert(risenByDefault.find("\"source\""), "\"rollOffImpedanceRise_ohm\": 45, ");
  expectCorrupt(catalogueWith(kGeometry, risenByDefault, "boiling-ramp"),
                "Device 'boiling-ramp' in test.json: field 'generator.rollOffImpedanceRise_ohm' "
                "applies only with generator.rollOff 'impedance'");
  std::string risenByBoiling = risenByDefault;
  risenByBoiling.insert(risenByBoiling.find("\"source\""), "\"rollOff\": \"boiling\", ");
  expectCorrupt(catalogueWith(kGeometry, risenByBoiling, "boiling-ramp"),
                "field 'generator.rollOffImpedanceRise_ohm' applies only with generator.rollOff "
                "'impedance' (this ramp ends by the 'boiling' rule");
  // The same rise with the impedance rule is read (ARampNamesTheRuleThatEndsItsApplications).
  std::string risenByImpedance = risenByDefault;
  risenByImpedance.insert(risenByImpedance.find("\"source\""), "\"rollOff\": \"impedance\", ");
  EXPECT_DOUBLE_EQ(
      loadDevices(catalogueWith(kGeometry, risenByImpedance), "t.json")[0].rollOffImpedanceRise_ohm,
      45.0);

  // kGenerator is constant power: none of the ramp's fields belongs there.
  for (const char* given : {"\"rampRate_W_per_min\": 10, ", "\"rampApplications\": 2, ",
                            "\"rollOff\": \"impedance\", ", "\"rollOffImpedanceRise_ohm\": 30, ",
                            "\"rampPause_s\": 30, ", "\"rampRestartFraction\": 0.5, "}) {
    const std::string field(given);
    std::string constant = kGenerator;
    constant.insert(constant.find("\"source\""), field);
    const std::string name = field.substr(1, field.find('"', 1) - 1);
    expectCorrupt(catalogueWith(kGeometry, constant, "constant-power"),
                  "Device 'constant-power' in test.json: field 'generator." + name +
                      "' is read only with control 'ramp' (this device's control is 'power')");
  }
}

// The pause and the next application of a ramp (generator.rampPause_s, rampRestartFraction):
// by default 15 s and the ramp again, as since branch abldevice; the Go-Smart project's RF 3000
// algorithm pauses 30 s and holds half the roll-off power (rf_source.h
// RfSettings::rampRestartFraction). rfSettingsFor passes both on; a fraction above 1 is refused.
TEST(AblationDevices, ARampNamesItsPauseAndWhatTheNextApplicationDelivers) {
  std::string ramp = kGenerator;
  ramp.replace(ramp.find("\"power\""), 7, "\"ramp\"");
  ramp.insert(ramp.find("\"source\""), "\"rampRate_W_per_min\": 10, \"rampApplications\": 2, ");
  const RfSettings byDefault = rfSettingsFor(loadDevices(catalogueWith(kGeometry, ramp), "t")[0]);
  EXPECT_DOUBLE_EQ(byDefault.rollOffPause_s, 15.0);
  EXPECT_DOUBLE_EQ(byDefault.rampRestartFraction, 0.0);
  std::string goSmart = ramp;
  goSmart.insert(goSmart.find("\"source\""), "\"rampPause_s\": 30, \"rampRestartFraction\": 0.5, ");
  const AblationDevice held = loadDevices(catalogueWith(kGeometry, goSmart), "t")[0];
  EXPECT_DOUBLE_EQ(held.rampPause_s, 30.0);
  EXPECT_DOUBLE_EQ(held.rampRestartFraction, 0.5);
  const RfSettings heldSettings = rfSettingsFor(held);
  EXPECT_DOUBLE_EQ(heldSettings.rollOffPause_s, 30.0);
  EXPECT_DOUBLE_EQ(heldSettings.rampRestartFraction, 0.5);
  EXPECT_EQ(heldSettings.rampApplications, 2);
  std::string tooMuch = ramp;
  tooMuch.insert(tooMuch.find("\"source\""), "\"rampRestartFraction\": 1.5, ");
  expectCorrupt(catalogueWith(kGeometry, tooMuch), "'generator.rampRestartFraction' must lie in");
  // With one application nothing pauses or restarts: the two fields would be ignored, so refused.
  std::string once = goSmart;
  const std::string twice = "\"rampApplications\": 2";
  once.replace(once.find(twice), twice.size(), "\"rampApplications\": 1");
  expectCorrupt(catalogueWith(kGeometry, once),
                "'generator.rampPause_s' applies only with generator.rampApplications above 1");
}

TEST(AblationDevices, BadEntriesNameTheDeviceAndTheField) {
  EXPECT_EQ(loadDevices(catalogueWith(kGeometry, kGenerator), "test.json").size(), 1u);
  expectCorrupt(
      catalogueWith(R"({"activeTipLength_mm": -3, "shaftDiameter_mm": 1.5, "source": "s"})",
                    kGenerator),
      "Device 'test-rf' in test.json: field 'geometry.activeTipLength_mm' must lie in");
  expectCorrupt(catalogueWith(R"({"shaftDiameter_mm": 1.5, "source": "s"})", kGenerator),
                "'geometry.activeTipLength_mm' is missing");
  expectCorrupt(
      catalogueWith(R"({"activeTipLength_mm": "30", "shaftDiameter_mm": 1.5, "source": "s"})",
                    kGenerator),
      "must be a number");
  // A null is not read as an absent optional field (has() counts it as given): refused.
  std::string nulled = catalogueWith(kGeometry, kGenerator);
  nulled.insert(nulled.find("\"source\": \"s\"}}]"), "\"duration_s\": null, ");
  expectCorrupt(nulled, "'publishedZone.duration_s' must be a number (got null)");
  expectCorrupt(catalogueWith(R"({"activeTipLength_mm": 30, "shaftDiameter_mm": 1.5})", kGenerator),
                "'geometry.source' is missing");
  std::string generator = kGenerator;
  generator.replace(generator.find("\"power\""), 7, "\"pulsed\"");
  expectCorrupt(catalogueWith(kGeometry, generator), "'generator.control' must be power");
  // The ramp protocol needs its rate; the number of applications defaults to one.
  generator = kGenerator;
  generator.replace(generator.find("\"power\""), 7, "\"ramp\"");
  expectCorrupt(catalogueWith(kGeometry, generator), "'generator.rampRate_W_per_min' is missing");
  generator.insert(generator.find("\"source\""), "\"rampRate_W_per_min\": 10, ");
  const AblationDevice ramped = loadDevices(catalogueWith(kGeometry, generator), "t.json")[0];
  EXPECT_EQ(ramped.control, PowerControl::RampUntilRollOff);
  EXPECT_EQ(toString(ramped.control), "ramp");
  EXPECT_DOUBLE_EQ(ramped.rampRate_W_per_min, 10.0);
  EXPECT_EQ(ramped.rampApplications, 1);
  generator.insert(generator.find("\"source\""), "\"rampApplications\": 0, ");
  expectCorrupt(catalogueWith(kGeometry, generator), "'generator.rampApplications' must lie in");
  generator = kGenerator;
  generator.replace(generator.find("\"power_W\": 50"), 13, "\"power_W\": 0");
  expectCorrupt(catalogueWith(kGeometry, generator), "'generator.power_W' must lie in");
  expectCorrupt("{\"devices\": [", "is not valid JSON");
  expectCorrupt("{\"tissues\": []}", "has no 'devices' array");
  std::string twice = catalogueWith(kGeometry, kGenerator);
  const std::string entry = twice.substr(twice.find('{', 1), twice.rfind(']') - twice.find('{', 1));
  twice.insert(twice.rfind(']'), "," + entry);
  expectCorrupt(twice, "appears twice");
  // The published zone's criterion must be one zone_metrics.h knows.
  std::string zone = catalogueWith(kGeometry, kGenerator);
  zone.insert(zone.find("\"source\": \"s\"}}]"), "\"zoneCriterion\": \"tmax>60\", ");
  expectCorrupt(zone, "'publishedZone.zoneCriterion' is not a zone criterion");
}

TEST(AblationDevices, EachPublishedZoneSaysHowItWasMeasuredAndWhichZoneMatchesIt) {
  // Without the optional fields: no measurement given, the default criterion.
  const AblationDevice plain = loadDevices(catalogueWith(kGeometry, kGenerator), "t.json")[0];
  EXPECT_TRUE(plain.publishedZone.measurement.empty());
  EXPECT_EQ(plain.publishedZone.zoneCriterion, "omega>=1");
  EXPECT_EQ(plain.publishedZone.duration_s, 0.0);  // the generator's time
  std::string json = catalogueWith(kGeometry, kGenerator);
  json.replace(json.find("\"evidence\": \"abstract\""), 22, "\"evidence\": \"full text\"");
  json.insert(json.find("\"source\": \"s\"}}]"),
              "\"measurement\": \"TTC stain\", \"zoneCriterion\": \"omega>=4.60\", ");
  const AblationDevice stained = loadDevices(json, "t.json")[0];
  EXPECT_EQ(stained.publishedZone.evidence, "full text");
  EXPECT_EQ(stained.publishedZone.measurement, "TTC stain");
  EXPECT_EQ(stained.publishedZone.zoneCriterion, "omega>=4.6");  // normalised
  // The catalogue: every published zone names its measurement and a valid criterion.
  for (const AblationDevice& d : deviceCatalogue()) {
    EXPECT_FALSE(d.publishedZone.measurement.empty()) << d.id;
    EXPECT_NO_THROW((void)parseZoneCriterion(d.publishedZone.zoneCriterion)) << d.id;
  }
}

// A zone check for the minimal entry (published 30 x 20 mm).
std::string withZoneCheck(bool within5mm, double contractedLong_mm, double contractedShort_mm) {
  std::string json = catalogueWith(kGeometry, kGenerator);
  json.insert(json.rfind("}]}"),
              ", \"zoneCheck\": {\"within5mm\": " + std::string(within5mm ? "true" : "false") +
                  ", \"simulatedLongAxis_mm\": 40, \"simulatedShortAxis_mm\": 30, "
                  "\"contractedLongAxis_mm\": " +
                  std::to_string(contractedLong_mm) +
                  ", \"contractedShortAxis_mm\": " + std::to_string(contractedShort_mm) +
                  ", \"reference\": \"Test et al. 2020\", \"section\": \"docs\"}");
  return json;
}

TEST(AblationDevices, EachCatalogueDeviceRecordsWhetherItsZoneMatchesThePublishedOne) {
  // The catalogue's record (slow/ablation_zone_sizes_test's figures, branches ablcluster and
  // abldevice): the cooled 3 cm tip, the cluster (ex vivo 15 min: 51.1 x 49.2 mm vs 47 mm) and
  // both antennas match within +-5 mm after contraction, and the 2 cm array does (23.2 x 30.8 mm
  // vs 26.2 x 29.3, PubMed 17380011; branch ablleveen2). Since branch ablwithdraw every catalogue
  // device does: the 4 cm multi-tine, which did not, was withdrawn.
  for (const AblationDevice& d : deviceCatalogue()) {
    EXPECT_TRUE(d.zoneCheck.recorded) << d.id;
    EXPECT_TRUE(zoneValidated(d)) << d.id;
    EXPECT_EQ(zoneValidationNote(d), "") << d.id;
  }
  const AblationDevice& cluster = findDevice("rf-cluster-3x25mm");
  EXPECT_TRUE(cluster.zoneCheck.within5mm);
  EXPECT_DOUBLE_EQ(cluster.zoneCheck.contractedLongAxis_mm, 51.1);
  EXPECT_DOUBLE_EQ(cluster.zoneCheck.contractedShortAxis_mm, 49.2);
  const AblationDevice& small = findDevice("rf-multitine-2cm");
  EXPECT_DOUBLE_EQ(small.zoneCheck.contractedLongAxis_mm, 23.2);
  EXPECT_DOUBLE_EQ(small.zoneCheck.contractedShortAxis_mm, 30.8);
  // The withdrawn 4 cm array's record (fixture): 27.5 x 54.2 mm vs the 43 mm of a LeVeen 4.0
  // array in vivo (Denys et al. 2003, since branch abltine), not validated.
  const AblationDevice& withdrawn = testing::withdrawnFourCentimetreArray();
  EXPECT_FALSE(zoneValidated(withdrawn));
  EXPECT_EQ(zoneValidationNote(withdrawn),
            "Zone not validated: simulated 28 x 54 mm vs published 43 mm (Denys et al. 2003, "
            "LeVeen 4.0 in vivo)");

  // Read from a catalogue text: absent, off, within; the verdict must follow from the figures.
  const AblationDevice none = loadDevices(catalogueWith(kGeometry, kGenerator), "t.json")[0];
  EXPECT_FALSE(none.zoneCheck.recorded);
  EXPECT_FALSE(zoneValidated(none));
  EXPECT_EQ(zoneValidationNote(none), "Zone not validated: no check against a published zone");
  const AblationDevice off = loadDevices(withZoneCheck(false, 40.0, 26.0), "t.json")[0];
  EXPECT_TRUE(off.zoneCheck.recorded);
  EXPECT_EQ(off.zoneCheck.reference, "Test et al. 2020");
  EXPECT_EQ(zoneValidationNote(off),
            "Zone not validated: simulated 40 x 26 mm vs published 30 x 20 mm (Test et al. 2020)");
  const AblationDevice within = loadDevices(withZoneCheck(true, 34.0, 16.0), "t.json")[0];
  EXPECT_TRUE(zoneValidated(within));
  expectCorrupt(withZoneCheck(true, 40.0, 26.0),
                "field 'zoneCheck.within5mm' is true but the contracted axes are 10 mm from "
                "the published zone");
  expectCorrupt(withZoneCheck(false, 34.0, 16.0), "'zoneCheck.within5mm' is false");
  std::string noReference = withZoneCheck(false, 40.0, 26.0);
  noReference.replace(noReference.find("\"reference\""), 11, "\"ref\"");
  expectCorrupt(noReference, "'zoneCheck.reference' is missing");
}

AblationGrid liverGrid(std::int64_t n) { return uniformGrid(testing::testLiver(), {n, n, n}, 1.0); }

// The extent (mm) of voxels along a direction through the origin.
std::pair<double, double> extentAlong(const AblationGrid& grid,
                                      const std::vector<std::size_t>& voxels,
                                      const Vec3& direction) {
  double lo = 1e9, hi = -1e9;
  const auto& g = grid.geometry;
  for (std::size_t v : voxels) {
    const std::int64_t i = std::int64_t(v) % g.size[0];
    const std::int64_t j = (std::int64_t(v) / g.size[0]) % g.size[1];
    const std::int64_t k = std::int64_t(v) / (g.size[0] * g.size[1]);
    const double t = g.indexToLps(Vec3(double(i), double(j), double(k))).dot(direction);
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  return {lo, hi};
}

TEST(AblationProbeVoxels, ACooledElectrodeIsItsActiveTipWithTheShaftBehindIt) {
  const AblationGrid grid = liverGrid(61);  // centred on 0
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 15.0);
  placement.entry_lps = Vec3(0.0, 0.0, -200.0);  // axis +z: the active tip runs back to -z
  const ProbeVoxels voxels = probeVoxels(grid, findDevice("rf-cooled-3cm"), placement);
  // 17 G (1.47 mm): the voxel centres within 0.735 mm of the axis are the axis line itself, 31
  // voxels from z = 15 to z = -15 mm.
  EXPECT_EQ(voxels.active.size(), 31u);
  const auto [lo, hi] = extentAlong(grid, voxels.active, Vec3::UnitZ());
  EXPECT_DOUBLE_EQ(lo, -15.0);
  EXPECT_DOUBLE_EQ(hi, 15.0);
  // The shaft runs from the active end out of the grid (z = -16 .. -30), active voxels excluded.
  const auto [shaftLo, shaftHi] = extentAlong(grid, voxels.shaft, Vec3::UnitZ());
  EXPECT_EQ(voxels.shaft.size(), 15u);
  EXPECT_DOUBLE_EQ(shaftHi, -16.0);
  EXPECT_DOUBLE_EQ(shaftLo, -30.0);
}

TEST(AblationProbeVoxels, AClusterHasThreeParallelElectrodesFiveMillimetresApart) {
  const AblationGrid grid = liverGrid(41);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 0.0);
  placement.entry_lps = Vec3(0.0, 0.0, -100.0);
  const ProbeLayout layout = probeLayout(findDevice("rf-cluster-3x25mm"), placement);
  ASSERT_EQ(layout.active.size(), 3u);
  for (int a = 0; a < 3; ++a) {
    const Vec3 tipA = layout.active[a].from_lps, tipB = layout.active[(a + 1) % 3].from_lps;
    EXPECT_NEAR((tipA - tipB).norm(), 5.0, 1e-9);
    EXPECT_NEAR(tipA.z(), 0.0, 1e-9);
    EXPECT_NEAR((layout.active[a].from_lps - layout.active[a].to_lps).norm(), 25.0, 1e-9);
  }
  const ProbeVoxels voxels = probeVoxels(grid, findDevice("rf-cluster-3x25mm"), placement);
  // Three lines of 26 voxels (z = -25 .. 0), none shared.
  EXPECT_GE(voxels.active.size(), 3u * 26u);
  EXPECT_LE(voxels.active.size(), 3u * 26u * 2u);
}

// A multi-tine array's active voxels on a 1 mm grid, its cannula tip at the origin and its axis
// +z: their extents across the probe (x, y) and along it (z).
struct UmbrellaExtent {
  double x_mm, y_mm, zLo_mm, zHi_mm;
};
UmbrellaExtent umbrellaExtent(const AblationDevice& device) {
  const AblationGrid grid = liverGrid(61);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 0.0);
  placement.entry_lps = Vec3(0.0, 0.0, -100.0);
  const ProbeVoxels voxels = probeVoxels(grid, device, placement);
  const auto [xLo, xHi] = extentAlong(grid, voxels.active, Vec3::UnitX());
  const auto [yLo, yHi] = extentAlong(grid, voxels.active, Vec3::UnitY());
  const auto [zLo, zHi] = extentAlong(grid, voxels.active, Vec3::UnitZ());
  return {xHi - xLo, yHi - yLo, zLo, zHi};
}

TEST(AblationProbeVoxels, MultiTineUmbrellaSpansTheDeployedDiameter) {
  // The catalogue's 2 cm array: eight tines 45 degrees apart, the first along y
  // (perpendicularBasis of +z), the third along x: 20 mm across along both (voxel centres:
  // within a voxel); 5 mm (D/4) ahead of the cannula tip.
  const UmbrellaExtent small = umbrellaExtent(findDevice("rf-multitine-2cm"));
  EXPECT_NEAR(small.y_mm, 20.0, 1.0);
  EXPECT_NEAR(small.x_mm, 20.0, 1.0);
  EXPECT_NEAR(small.zHi_mm, 5.0, 0.5);
  EXPECT_NEAR(small.zLo_mm, 0.0, 0.5);
  // The withdrawn 4 cm array (fixture), where no tine lies along x: ten tines 36 degrees apart, 40
  // mm across along y, 2 x 20 sin(72 deg) = 38.0 mm along x; 10 mm ahead of the cannula tip.
  const UmbrellaExtent large = umbrellaExtent(testing::withdrawnFourCentimetreArray());
  EXPECT_NEAR(large.y_mm, 40.0, 1.0);
  EXPECT_NEAR(large.x_mm, 40.0 * std::sin(72.0 * M_PI / 180.0), 1.0);
  EXPECT_NEAR(large.zHi_mm, 10.0, 0.5);
  EXPECT_NEAR(large.zLo_mm, 0.0, 0.5);
}

TEST(AblationProbeVoxels, ATipOutsideTheGridIsAClearError) {
  const AblationGrid grid = liverGrid(21);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 200.0);
  placement.entry_lps = Vec3(0.0, 0.0, 300.0);
  try {
    probeVoxels(grid, findDevice("rf-cooled-3cm"), placement);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("place the tip inside the grid"), std::string::npos);
  }
}

}  // namespace
}  // namespace twinplan::ablation

namespace twinplan::ablation {
namespace {

TEST(AblationDeviceSource, EachDeviceGetsItsSourceAtTheChosenPower) {
  const AblationGrid grid = uniformGrid(testing::testLiver(), {61, 61, 61}, 1.0);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 15.0);
  placement.entry_lps = Vec3(0.0, 0.0, -100.0);
  ThermalState body;
  body.temperature_degC.assign(grid.geometry.voxelCount(), 37.0f);
  const double voxel_m3 = std::pow(grid.voxelSize_m(), 3);
  for (const char* id : {"rf-cooled-3cm", "mw-915mhz-45w"}) {
    SCOPED_TRACE(id);
    const AblationDevice& device = findDevice(id);
    std::unique_ptr<HeatSource> source = makeHeatSource(grid, device, placement, 30.0);
    std::vector<float> power;
    source->depositedPower(grid, body, 1.0, power);
    double total_W = 0.0;
    for (float p : power) total_W += p * voxel_m3;
    // RF: all 30 W in the tissue; microwave: 30 W x efficiency 0.75.
    EXPECT_NEAR(total_W, device.isRf() ? 30.0 : 22.5, 1e-3);
    EXPECT_DOUBLE_EQ(source->deliveredPower_W(), 30.0);
  }
  try {
    makeHeatSource(grid, findDevice("mw-2450mhz-100w"), placement, 0.0);
    FAIL() << "no error for 0 W";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("must be above 0 W"), std::string::npos);
  }
  EXPECT_THROW(makeHeatSource(grid, findDevice("mw-2450mhz-100w"), placement, 500.0), Error);
}

}  // namespace
}  // namespace twinplan::ablation
