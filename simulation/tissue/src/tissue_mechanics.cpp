#include "twinplan/tissue/tissue_mechanics.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "twinplan/core/error.h"

namespace twinplan::tissue {
namespace {

using json = nlohmann::json;
constexpr const char* kFile = "tissues/mechanics.json";

[[noreturn]] void corrupt(const std::string& what) {
  throw Error(ErrorKind::Corrupt, std::string(kFile) + ": " + what, kFile);
}

// A {"value": number, "source": reference key} member whose source is listed in the file.
double cited(const json& tissue, const char* field, const json& references, std::string* source) {
  const std::string who = tissue.value("id", std::string("?")) + "." + field;
  if (!tissue.contains(field) || !tissue[field].is_object() || !tissue[field].contains("value") ||
      !tissue[field]["value"].is_number())
    corrupt(who + " must be {\"value\": number, \"source\": reference}.");
  const json& entry = tissue[field];
  if (!entry.contains("source") || !entry["source"].is_string() ||
      !references.contains(entry["source"].get<std::string>()))
    corrupt(who + " names no source listed under \"references\" (cite it).");
  if (source) *source = references[entry["source"].get<std::string>()].get<std::string>();
  const double value = entry["value"].get<double>();
  if (!std::isfinite(value) || value < 0) corrupt(who + " must be a finite number >= 0.");
  return value;
}

std::vector<TissueMechanics> loadTable() {
  const std::string_view text = resources::tissueResource(kFile);
  if (text.empty()) corrupt("the file is missing from the program (re-run cmake to embed it).");
  json file;
  try {
    file = json::parse(text);
  } catch (const json::parse_error& e) {
    corrupt(std::string("is not valid JSON: ") + e.what());
  }
  const json& references = file.at("references");
  std::vector<TissueMechanics> table;
  for (const json& t : file.at("tissues")) {
    TissueMechanics m;
    m.id = t.at("id").get<std::string>();
    m.name = t.at("name").get<std::string>();
    m.shearModulus_kPa = cited(t, "shearModulus_kPa", references, &m.shearModulusSource);
    m.poissonsRatio = cited(t, "poissonsRatio", references, &m.poissonsRatioSource);
    m.density_kg_m3 = cited(t, "density_kg_m3", references, nullptr);
    if (!(m.shearModulus_kPa > 0) || !(m.poissonsRatio < 0.5))
      corrupt(m.id + " needs a positive shear modulus and a Poisson's ratio below 0.5.");
    table.push_back(std::move(m));
  }
  return table;
}

}  // namespace

double TissueMechanics::bulkModulus_kPa() const {
  return 2 * shearModulus_kPa * (1 + poissonsRatio) / (3 * (1 - 2 * poissonsRatio));
}

Material TissueMechanics::linearElastic() const {
  Material m;
  m.name = id;
  m.law = MaterialLaw::LinearElastic;
  m.youngsModulus_MPa = 2e-3 * shearModulus_kPa * (1 + poissonsRatio);
  m.poissonsRatio = poissonsRatio;
  m.density_t_per_mm3 = density_kg_m3 * 1e-12;  // 1 kg/m^3 = 1e-3 t / 1e9 mm^3
  m.hasLaw = true;
  return m;
}

Material TissueMechanics::neoHooke() const {
  Material m = linearElastic();
  m.law = MaterialLaw::NeoHooke;
  m.c10_MPa = 1e-3 * shearModulus_kPa / 2;
  m.d1_perMPa = 2 / (1e-3 * bulkModulus_kPa());
  m.youngsModulus_MPa = m.poissonsRatio = 0;
  return m;
}

const std::vector<TissueMechanics>& tissueMechanicsTable() {
  static const std::vector<TissueMechanics> table = loadTable();
  return table;
}

const TissueMechanics& tissueMechanics(std::string_view id) {
  std::string known;
  for (const TissueMechanics& t : tissueMechanicsTable()) {
    if (t.id == id) return t;
    known += (known.empty() ? "" : ", ") + t.id;
  }
  throw Error(ErrorKind::NotFound,
              "No mechanical properties for tissue \"" + std::string(id) + "\"; known: " + known +
                  " (resources/tissues/mechanics.json).",
              std::string(id));
}

}  // namespace twinplan::tissue
