#include "twinplan/ablation/tissue_library.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "twinplan/ablation/resources.h"
#include "twinplan/core/error.h"

namespace twinplan::ablation {

namespace {

using nlohmann::json;

[[noreturn]] void corrupt(std::string_view source, const std::string& what,
                          const std::string& context) {
  throw Error(ErrorKind::Corrupt, std::string(source) + ": " + what, context);
}

json parseJson(std::string_view text, std::string_view source) {
  if (text.empty())
    corrupt(source, "the file is missing from the program (re-run cmake to embed it).",
            std::string(source));
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    corrupt(source, std::string("is not valid JSON: ") + e.what(), std::string(source));
  }
}

// A {"value": number, "source": reference key} member; the source must be one of the file's
// references, so a value without a citation cannot slip in.
double citedNumber(const json& owner, const char* field, const json& references,
                   std::string_view source, const std::string& who) {
  const std::string context = who + "." + field;
  if (!owner.contains(field))
    corrupt(source, who + " has no \"" + field + "\"; every value is required, with its source.",
            context);
  const json& entry = owner[field];
  if (!entry.is_object() || !entry.contains("value") || !entry["value"].is_number())
    corrupt(source,
            who + "'s \"" + field + "\" must be {\"value\": number, \"source\": reference}.",
            context);
  if (!entry.contains("source") || !entry["source"].is_string() ||
      !references.contains(entry["source"].get<std::string>()))
    corrupt(source,
            who + "'s \"" + field + "\" names no source listed under \"references\" (cite it).",
            context);
  const double value = entry["value"].get<double>();
  if (!std::isfinite(value) || value < 0.0)
    corrupt(source, who + "'s \"" + field + "\" must be a finite number >= 0.", context);
  return value;
}

// Pennes' perfusion w (1/s) from the IT'IS database's unit: ml of blood per minute per kg of
// tissue, times the tissue's density (kg/m3), 1e-6 m3 per ml and 1/60 min per s.
double perfusionPerSecond(double perfusion_ml_min_kg, double density_kg_m3) {
  return perfusion_ml_min_kg * 1e-6 * density_kg_m3 / 60.0;
}

TissueProperties parseTissue(const json& t, const json& references, std::string_view source,
                             std::size_t index) {
  if (!t.is_object() || !t.contains("id") || !t["id"].is_string() ||
      t["id"].get<std::string>().empty())
    corrupt(source, "tissue #" + std::to_string(index + 1) + " has no \"id\" text.",
            "tissues[" + std::to_string(index) + "]");
  TissueProperties p;
  p.id = t["id"].get<std::string>();
  const std::string who = "tissue \"" + p.id + "\"";
  p.name = t.value("name", p.id);
  auto number = [&](const char* field) { return citedNumber(t, field, references, source, who); };
  p.density_kg_m3 = number("density_kg_m3");
  p.heatCapacity_J_kgK = number("heatCapacity_J_kgK");
  p.thermalConductivity_W_mK = number("thermalConductivity_W_mK");
  p.thermalConductivityCoefficient_per_K = number("thermalConductivityCoefficient_per_K");
  p.perfusion_per_s = perfusionPerSecond(number("bloodPerfusion_ml_min_kg"), p.density_kg_m3);
  p.electricalConductivity_S_m = number("electricalConductivity_S_m");
  p.electricalConductivityCoefficient_per_K = number("electricalConductivityCoefficient_per_K");
  p.relativePermittivity_915MHz = number("relativePermittivity_915MHz");
  p.electricalConductivity_915MHz_S_m = number("electricalConductivity_915MHz_S_m");
  p.relativePermittivity_2450MHz = number("relativePermittivity_2450MHz");
  p.electricalConductivity_2450MHz_S_m = number("electricalConductivity_2450MHz_S_m");
  p.arrheniusFrequencyFactor_per_s = number("arrheniusFrequencyFactor_per_s");
  p.arrheniusActivationEnergy_J_mol = number("arrheniusActivationEnergy_J_mol");
  p.waterContent_kg_kg = number("waterContent_kg_kg");
  if (p.waterContent_kg_kg > 1.0)
    corrupt(source, who + "'s \"waterContent_kg_kg\" is a mass fraction: at most 1.",
            who + ".waterContent_kg_kg");
  // Optional: tissues without a cited value take no water back (tissue_properties.h).
  if (t.contains("waterDiffusivity_m2_s")) {
    p.waterDiffusivity_m2_s = number("waterDiffusivity_m2_s");
    if (p.waterDiffusivity_m2_s > 1e-8)
      corrupt(source,
              who +
                  "'s \"waterDiffusivity_m2_s\" is in m2/s: free water self-diffuses at "
                  "2.3e-9 m2/s at 25 degC (Holz et al. 2000) and a few times that near "
                  "boiling, so a value above 1e-8 is a unit slip (mm2/s?).",
              who + ".waterDiffusivity_m2_s");
  }
  if (!t.contains("isBlood") || !t["isBlood"].is_boolean())
    corrupt(source, who + " has no \"isBlood\" (true or false).", who + ".isBlood");
  p.isBlood = t["isBlood"].get<bool>();
  if (p.density_kg_m3 <= 0.0 || p.heatCapacity_J_kgK <= 0.0 || p.thermalConductivity_W_mK <= 0.0)
    corrupt(source, who + " needs a density, heat capacity and thermal conductivity above 0.", who);
  return p;
}

double rangeEnd(const json& value, double infinity, std::string_view source,
                const std::string& who) {
  if (value.is_null()) return infinity;
  if (!value.is_number()) corrupt(source, who + ": a bound is a number or null (open).", who);
  return value.get<double>();
}

}  // namespace

TissueLibrary::TissueLibrary(std::vector<TissueProperties> tissues,
                             std::map<std::string, std::string> aliases)
    : tissues_(std::move(tissues)), aliases_(std::move(aliases)) {}

const TissueProperties* TissueLibrary::find(std::string_view tissueType) const {
  std::string key(tissueType);
  if (const auto alias = aliases_.find(key); alias != aliases_.end()) key = alias->second;
  for (const TissueProperties& t : tissues_)
    if (t.id == key) return &t;
  return nullptr;
}

const TissueProperties& TissueLibrary::at(std::string_view tissueType) const {
  if (const TissueProperties* t = find(tissueType)) return *t;
  std::string known;
  for (const TissueProperties& t : tissues_) known += (known.empty() ? "" : ", ") + t.id;
  for (const auto& [alias, target] : aliases_) known += ", " + alias;
  throw Error(ErrorKind::NotFound,
              "The tissue table has no tissue \"" + std::string(tissueType) +
                  "\"; set the segment's tissue type to one of: " + known + ".",
              std::string(tissueType));
}

TissueLibrary parseTissueLibrary(std::string_view jsonText, std::string_view source) {
  const json doc = parseJson(jsonText, source);
  if (!doc.is_object() || !doc.contains("tissues") || !doc["tissues"].is_array())
    corrupt(source, "has no \"tissues\" list.", "tissues");
  const json references = doc.value("references", json::object());
  std::vector<TissueProperties> tissues;
  for (std::size_t i = 0; i < doc["tissues"].size(); ++i) {
    TissueProperties t = parseTissue(doc["tissues"][i], references, source, i);
    for (const TissueProperties& other : tissues)
      if (other.id == t.id) corrupt(source, "lists tissue \"" + t.id + "\" twice.", t.id);
    tissues.push_back(std::move(t));
  }
  std::map<std::string, std::string> aliases;
  const json aliasList = doc.value("aliases", json::object());
  for (auto entry = aliasList.begin(); entry != aliasList.end(); ++entry) {
    if (!entry.value().is_string())
      corrupt(source, "alias \"" + entry.key() + "\" must name a tissue.",
              "aliases." + entry.key());
    aliases[entry.key()] = entry.value().get<std::string>();
  }
  TissueLibrary library(std::move(tissues), aliases);
  for (const auto& [alias, target] : aliases) {
    bool known = false;
    for (const TissueProperties& t : library.tissues()) known = known || t.id == target;
    if (!known)
      corrupt(source, "alias \"" + alias + "\" names \"" + target + "\", which is no tissue.",
              "aliases." + alias);
  }
  return library;
}

const TissueLibrary& tissueLibrary() {
  static const TissueLibrary library = parseTissueLibrary(
      resources::ablationResource("tissues/tissues.json"), "tissues/tissues.json");
  return library;
}

HuClassification::HuClassification(std::vector<HuClass> classes) : classes_(std::move(classes)) {
  const double inf = std::numeric_limits<double>::infinity();
  if (classes_.empty() || classes_.front().low_HU != -inf || classes_.back().high_HU != inf)
    throw Error(ErrorKind::Corrupt,
                "The HU classes must start at -infinity and end at +infinity (null bounds).",
                "classes");
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    if (!(classes_[c].low_HU < classes_[c].high_HU))
      throw Error(ErrorKind::Corrupt,
                  "The HU class of \"" + classes_[c].tissue + "\" is empty (low >= high).",
                  classes_[c].tissue);
    if (c > 0 && classes_[c].low_HU != classes_[c - 1].high_HU)
      throw Error(ErrorKind::Corrupt,
                  "The HU class of \"" + classes_[c].tissue +
                      "\" does not start where the one before ends: the classes must be "
                      "contiguous and in order.",
                  classes_[c].tissue);
  }
}

const HuClass& HuClassification::classify(double ct_HU) const {
  for (const HuClass& c : classes_)
    if (ct_HU < c.high_HU) return c;
  return classes_.back();  // NaN lands here: treat it as the densest class, never crash
}

HuClassification parseHuClassification(std::string_view jsonText, std::string_view source) {
  const json doc = parseJson(jsonText, source);
  if (!doc.is_object() || !doc.contains("classes") || !doc["classes"].is_array())
    corrupt(source, "has no \"classes\" list.", "classes");
  const json references = doc.value("references", json::object());
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<HuClass> classes;
  for (const json& c : doc["classes"]) {
    if (!c.is_object() || !c.contains("tissue") || !c["tissue"].is_string())
      corrupt(source, "every class needs a \"tissue\".", "classes");
    HuClass hu;
    hu.tissue = c["tissue"].get<std::string>();
    const std::string who = "HU class \"" + hu.tissue + "\"";
    if (!c.contains("low_HU") || !c.contains("high_HU"))
      corrupt(source, who + " needs low_HU and high_HU (null for an open end).", who);
    hu.low_HU = rangeEnd(c["low_HU"], -inf, source, who);
    hu.high_HU = rangeEnd(c["high_HU"], inf, source, who);
    if (!c.contains("source") || !c["source"].is_string() ||
        !references.contains(c["source"].get<std::string>()))
      corrupt(source, who + " names no source listed under \"references\".", who);
    classes.push_back(std::move(hu));
  }
  try {
    return HuClassification(std::move(classes));
  } catch (const Error& e) {
    corrupt(source, e.what(), e.context());
  }
}

const HuClassification& huClassification() {
  static const HuClassification classes = parseHuClassification(
      resources::ablationResource("tissues/hu_classes.json"), "tissues/hu_classes.json");
  return classes;
}

double VesselFlowModel::speed_m_s(double radius_mm) const {
  if (!(radius_mm > 0.0)) return 0.0;
  return referenceSpeed_m_s * std::pow(radius_mm / referenceRadius_mm, exponent);
}

VesselFlowModel parseVesselFlowModel(std::string_view jsonText, std::string_view source) {
  const json doc = parseJson(jsonText, source);
  const json references = doc.value("references", json::object());
  VesselFlowModel model;
  model.referenceSpeed_m_s =
      citedNumber(doc, "referenceSpeed_m_s", references, source, "the flow model");
  model.referenceRadius_mm =
      citedNumber(doc, "referenceRadius_mm", references, source, "the flow model");
  if (!doc.contains("scaling") || !doc["scaling"].is_object())
    corrupt(source, "the flow model needs \"scaling\" {\"exponent\", \"source\"}.", "scaling");
  const json& scaling = doc["scaling"];
  if (!scaling.contains("exponent") || !scaling["exponent"].is_number())
    corrupt(source, "\"scaling\" needs a numeric \"exponent\".", "scaling.exponent");
  model.exponent = scaling["exponent"].get<double>();
  if (model.referenceRadius_mm <= 0.0)
    corrupt(source, "the reference radius must be above 0 mm.", "referenceRadius_mm");
  return model;
}

const VesselFlowModel& vesselFlowModel() {
  static const VesselFlowModel model = parseVesselFlowModel(
      resources::ablationResource("tissues/vessel_flow.json"), "tissues/vessel_flow.json");
  return model;
}

}  // namespace twinplan::ablation
