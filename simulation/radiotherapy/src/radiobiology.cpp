#include "twinplan/radiotherapy/radiobiology.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

#include "radiotherapy_resources.h"
#include "twinplan/core/error.h"

namespace twinplan::radiotherapy {
namespace {

using nlohmann::json;
constexpr const char* kTablePath = "radiotherapy/radiobiology.json";

void require(bool ok, const char* parameter, const std::string& sentence) {
  if (!ok) throw Error(ErrorKind::InvalidInput, sentence, parameter);
}

void requireAlphaBeta(double alphaBeta_Gy) {
  require(std::isfinite(alphaBeta_Gy) && alphaBeta_Gy > 0.0, "alphaBeta_Gy",
          "alpha/beta must be a dose > 0 Gy (about 10 Gy for tumours, 3 Gy for late effects).");
}

// The standard normal distribution function.
double phi(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// ln of the Poisson control probability of one alpha: -sum rho v_i SF_i.
double logControl(const DoseVolumeBins& dose, int fractions, double alpha, double alphaBeta_Gy,
                  double density_per_cm3) {
  double survivors = 0.0;
  for (std::size_t i = 0; i < dose.dose_Gy.size(); ++i) {
    const double d = dose.dose_Gy[i];
    const double perFraction = d / fractions;
    survivors += density_per_cm3 * dose.volume_cm3[i] *
                 std::exp(-alpha * d * (1.0 + perFraction / alphaBeta_Gy));
  }
  return -survivors;
}

[[noreturn]] void corrupt(const std::string& what, const std::string& context) {
  throw Error(ErrorKind::Corrupt, std::string(kTablePath) + ": " + what, context);
}

double citedNumber(const json& owner, const char* field, const json& references,
                   const std::string& who, std::string& source) {
  const std::string context = who + "." + field;
  if (!owner.contains(field) || !owner[field].is_object() || !owner[field].contains("value") ||
      !owner[field]["value"].is_number())
    corrupt(who + " needs \"" + field + "\": {\"value\": number, \"source\": reference}.", context);
  const json& entry = owner[field];
  if (!entry.contains("source") || !entry["source"].is_string() ||
      !references.contains(entry["source"].get<std::string>()))
    corrupt(who + "'s \"" + field + "\" names no source listed under \"references\" (cite it).",
            context);
  const std::string key = entry["source"].get<std::string>();
  if (source.find(key) == std::string::npos) source += (source.empty() ? "" : "; ") + key;
  return entry["value"].get<double>();
}

RadiobiologyTable parseTable() {
  const std::string_view text = resources::radiotherapyResource(kTablePath);
  if (text.empty()) corrupt("the file is missing from the program (re-run cmake).", kTablePath);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    corrupt(std::string("is not valid JSON: ") + e.what(), kTablePath);
  }
  const json& references = root.at("references");
  RadiobiologyTable table;
  for (const json& entry : root.at("alphaBeta")) {
    CitedAlphaBeta a{entry.at("id"), entry.at("name"), "", 0.0};
    a.alphaBeta_Gy = citedNumber(entry, "alphaBeta_Gy", references, a.id, a.source);
    table.alphaBeta.push_back(a);
  }
  for (const json& entry : root.at("tcp")) {
    CitedTcp t{entry.at("id"), entry.at("name"), "", {}};
    t.parameters.alphaMean_perGy =
        citedNumber(entry, "alphaMean_perGy", references, t.id, t.source);
    t.parameters.alphaSigma_perGy =
        citedNumber(entry, "alphaSigma_perGy", references, t.id, t.source);
    t.parameters.clonogenDensity_per_cm3 =
        citedNumber(entry, "clonogenDensity_per_cm3", references, t.id, t.source);
    t.parameters.alphaBeta_Gy = citedNumber(entry, "alphaBeta_Gy", references, t.id, t.source);
    table.tcp.push_back(t);
  }
  for (const json& entry : root.at("ntcp")) {
    CitedLkb l{entry.at("id"), entry.at("name"), "", {}};
    l.parameters.td50_Gy = citedNumber(entry, "td50_Gy", references, l.id, l.source);
    l.parameters.m = citedNumber(entry, "m", references, l.id, l.source);
    l.parameters.n = citedNumber(entry, "n", references, l.id, l.source);
    table.ntcp.push_back(l);
  }
  return table;
}

template <typename Entry>
const Entry& findById(const std::vector<Entry>& entries, const std::string& id, const char* what) {
  for (const Entry& e : entries)
    if (e.id == id) return e;
  std::string known;
  for (const Entry& e : entries) known += (known.empty() ? "" : ", ") + e.id;
  throw Error(ErrorKind::NotFound,
              "No " + std::string(what) + " parameters named '" + id + "'; known: " + known + ".",
              id);
}

}  // namespace

void Regimen::validate() const {
  require(std::isfinite(totalDose_Gy) && totalDose_Gy >= 0.0, "totalDose_Gy",
          "The total dose must be a finite dose >= 0 Gy.");
  require(fractions >= 1, "fractions", "A regimen has at least one fraction.");
}

double biologicallyEffectiveDose_Gy(const Regimen& regimen, double alphaBeta_Gy) {
  regimen.validate();
  requireAlphaBeta(alphaBeta_Gy);
  return regimen.totalDose_Gy * (1.0 + regimen.dosePerFraction_Gy() / alphaBeta_Gy);
}

double equivalentDoseIn2GyFractions_Gy(const Regimen& regimen, double alphaBeta_Gy) {
  return biologicallyEffectiveDose_Gy(regimen, alphaBeta_Gy) / (1.0 + 2.0 / alphaBeta_Gy);
}

double isoeffectiveTotalDose_Gy(const Regimen& regimen, double alphaBeta_Gy,
                                double dosePerFraction_Gy) {
  require(std::isfinite(dosePerFraction_Gy) && dosePerFraction_Gy > 0.0, "dosePerFraction_Gy",
          "The new dose per fraction must be > 0 Gy.");
  return biologicallyEffectiveDose_Gy(regimen, alphaBeta_Gy) /
         (1.0 + dosePerFraction_Gy / alphaBeta_Gy);
}

std::vector<RegimenEffect> compareRegimens(std::span<const Regimen> regimens,
                                           std::span<const TissueAlphaBeta> tissues) {
  std::vector<RegimenEffect> table;
  for (const Regimen& regimen : regimens)
    for (const TissueAlphaBeta& tissue : tissues)
      table.push_back({regimen, tissue.tissue, tissue.alphaBeta_Gy,
                       biologicallyEffectiveDose_Gy(regimen, tissue.alphaBeta_Gy),
                       equivalentDoseIn2GyFractions_Gy(regimen, tissue.alphaBeta_Gy)});
  return table;
}

void DoseVolumeBins::validate() const {
  require(!dose_Gy.empty() && dose_Gy.size() == volume_cm3.size(), "dose",
          "A dose-volume distribution needs one volume per dose and at least one bin.");
  double total = 0.0;
  for (std::size_t i = 0; i < dose_Gy.size(); ++i) {
    require(std::isfinite(dose_Gy[i]) && dose_Gy[i] >= 0.0, "dose",
            "Doses must be finite and >= 0 Gy (bin " + std::to_string(i) + ").");
    require(std::isfinite(volume_cm3[i]) && volume_cm3[i] >= 0.0, "dose",
            "Volumes must be finite and >= 0 cm3 (bin " + std::to_string(i) + ").");
    total += volume_cm3[i];
  }
  require(total > 0.0, "dose", "The structure has no volume.");
}

void TcpParameters::validate() const {
  require(std::isfinite(alphaMean_perGy) && alphaMean_perGy > 0.0, "alphaMean_perGy",
          "The mean alpha must be > 0 per Gy (0.35 in Webb & Nahum 1993).");
  require(std::isfinite(alphaSigma_perGy) && alphaSigma_perGy >= 0.0, "alphaSigma_perGy",
          "The spread of alpha must be >= 0 per Gy.");
  require(std::isfinite(clonogenDensity_per_cm3) && clonogenDensity_per_cm3 > 0.0,
          "clonogenDensity_per_cm3", "The clonogen density must be > 0 per cm3.");
  requireAlphaBeta(alphaBeta_Gy);
}

double tumourControlProbability(const DoseVolumeBins& dose, int fractions,
                                const TcpParameters& parameters) {
  dose.validate();
  parameters.validate();
  require(fractions >= 1, "fractions", "A course has at least one fraction.");
  const double mean = parameters.alphaMean_perGy, sigma = parameters.alphaSigma_perGy;
  auto control = [&](double alpha) {
    return std::exp(logControl(dose, fractions, alpha, parameters.alphaBeta_Gy,
                               parameters.clonogenDensity_per_cm3));
  };
  if (sigma == 0.0) return control(mean);
  // Simpson's rule over the normal density of alpha on mean +- 5 sigma, cut at alpha = 0.
  const double from = std::max(0.0, mean - 5.0 * sigma), to = mean + 5.0 * sigma;
  constexpr int kIntervals = 160;
  const double h = (to - from) / kIntervals;
  double weighted = 0.0, weights = 0.0;
  for (int s = 0; s <= kIntervals; ++s) {
    const double alpha = from + h * s;
    const double simpson = (s == 0 || s == kIntervals) ? 1.0 : (s % 2 ? 4.0 : 2.0);
    const double density = std::exp(-0.5 * std::pow((alpha - mean) / sigma, 2));
    weighted += simpson * density * control(alpha);
    weights += simpson * density;
  }
  return weighted / weights;
}

void LkbParameters::validate() const {
  require(std::isfinite(td50_Gy) && td50_Gy > 0.0, "td50_Gy", "TD50 must be a dose > 0 Gy.");
  require(std::isfinite(m) && m > 0.0, "m", "The LKB slope m must be > 0.");
  require(std::isfinite(n) && n > 0.0, "n", "The LKB volume parameter n must be > 0.");
}

double generalisedEud_Gy(const DoseVolumeBins& dose, double n) {
  dose.validate();
  require(std::isfinite(n) && n > 0.0, "n", "The gEUD volume parameter n must be > 0.");
  double total = 0.0, sum = 0.0;
  const double maxDose = *std::max_element(dose.dose_Gy.begin(), dose.dose_Gy.end());
  if (maxDose == 0.0) return 0.0;
  for (std::size_t i = 0; i < dose.dose_Gy.size(); ++i) {
    total += dose.volume_cm3[i];
    // Scaled by the largest dose so that D^(1/n) stays finite for small n (serial organs).
    sum += dose.volume_cm3[i] * std::pow(dose.dose_Gy[i] / maxDose, 1.0 / n);
  }
  return maxDose * std::pow(sum / total, n);
}

double normalTissueComplicationProbability(const DoseVolumeBins& dose,
                                           const LkbParameters& parameters) {
  parameters.validate();
  const double eud = generalisedEud_Gy(dose, parameters.n);
  return phi((eud - parameters.td50_Gy) / (parameters.m * parameters.td50_Gy));
}

DoseVolumeBins toEqd2(const DoseVolumeBins& dose, int fractions, double alphaBeta_Gy) {
  dose.validate();
  require(fractions >= 1, "fractions", "A course has at least one fraction.");
  DoseVolumeBins converted = dose;
  for (double& d : converted.dose_Gy)
    d = equivalentDoseIn2GyFractions_Gy({d, fractions}, alphaBeta_Gy);
  return converted;
}

const CitedAlphaBeta& RadiobiologyTable::alphaBetaOf(const std::string& id) const {
  return findById(alphaBeta, id, "alpha/beta");
}
const CitedLkb& RadiobiologyTable::ntcpOf(const std::string& id) const {
  return findById(ntcp, id, "NTCP (LKB)");
}
const CitedTcp& RadiobiologyTable::tcpOf(const std::string& id) const {
  return findById(tcp, id, "TCP");
}

const RadiobiologyTable& radiobiologyTable() {
  static const RadiobiologyTable table = parseTable();
  return table;
}

}  // namespace twinplan::radiotherapy
