#include "twinplan/radiotherapy/dose_constraints.h"

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "radiotherapy_resources.h"
#include "twinplan/core/error.h"

namespace twinplan::radiotherapy {
namespace {

using nlohmann::json;

enum class Metric { Max, Mean, Min, DosePercent, DoseCc, VolumeAtDose };

struct ParsedMetric {
  Metric kind = Metric::Max;
  double parameter = 0;  // x of Dx% / Dxcc / VxGy
};

struct ParsedLimit {
  bool below = true, strict = true;  // "<" / "<=" / ">" / ">="
  double value = 0;
  std::string unit;  // Gy, %Rx, %, cc
};

std::string describe(const DoseConstraint& c) {
  return c.structure + " " + c.metric + " " + c.limit;
}

[[noreturn]] void bad(const std::string& origin, const DoseConstraint& c, const std::string& why) {
  throw Error(ErrorKind::InvalidInput,
              "The constraint '" + describe(c) + "' in " + origin + " " + why, c.metric);
}

std::optional<ParsedMetric> parseMetric(const std::string& text) {
  if (text == "Dmax") return ParsedMetric{Metric::Max, 0};
  if (text == "Dmean") return ParsedMetric{Metric::Mean, 0};
  if (text == "Dmin") return ParsedMetric{Metric::Min, 0};
  static const std::regex pattern(R"(^([DV])([0-9]+(?:\.[0-9]+)?)(%|cc|Gy)$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  const double x = std::stod(m[2]);
  if (m[1] == "D" && m[3] == "%" && x > 0 && x <= 100) return ParsedMetric{Metric::DosePercent, x};
  if (m[1] == "D" && m[3] == "cc" && x > 0) return ParsedMetric{Metric::DoseCc, x};
  if (m[1] == "V" && m[3] == "Gy" && x >= 0) return ParsedMetric{Metric::VolumeAtDose, x};
  return std::nullopt;
}

std::optional<ParsedLimit> parseLimit(const std::string& text) {
  static const std::regex pattern(R"(^\s*(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*(Gy|%Rx|%|cc)\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  const std::string op = m[1];
  return ParsedLimit{op[0] == '<', op.size() == 1, std::stod(m[2]), m[3]};
}

bool isDoseMetric(Metric m) { return m != Metric::VolumeAtDose; }

void validate(const DoseConstraint& c, const std::string& origin) {
  const auto metric = parseMetric(c.metric);
  if (!metric)
    bad(origin, c,
        "has an unknown metric: write Dmax, Dmean, Dmin, D<x>% (e.g. D95%), D<x>cc or "
        "V<x>Gy.");
  const auto limit = parseLimit(c.limit);
  if (!limit)
    bad(origin, c, "has an unreadable limit: write e.g. '< 54 Gy', '>= 95 %Rx', '<= 30 %'.");
  const bool doseUnit = limit->unit == "Gy" || limit->unit == "%Rx";
  if (isDoseMetric(metric->kind) != doseUnit)
    bad(origin, c,
        isDoseMetric(metric->kind) ? "limits a dose, so its limit is in Gy or %Rx."
                                   : "limits a volume, so its limit is in % or cc.");
  if (c.names.empty()) bad(origin, c, "names no structure.");
}

std::string normalised(const std::string& name) {
  std::string out;
  for (char ch : name)
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '*')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// The value of a metric on a DVH in the limit's unit, and its discretisation spread.
struct Measured {
  double value = 0, uncertainty = 0;
  std::string unit;
  std::string problem;  // non-empty: cannot be judged
};

Measured measure(const ParsedMetric& m, const ParsedLimit& limit, const DoseVolumeHistogram& dvh) {
  const DvhFigures& f = dvh.figures;
  const DvhFigures& u = dvh.uncertainty;
  const double volume = f.volume_cm3;
  switch (m.kind) {
    case Metric::Max:
      return {f.dmax_Gy, u.dmax_Gy, "Gy", {}};
    case Metric::Mean:
      return {f.dmean_Gy, u.dmean_Gy, "Gy", {}};
    case Metric::Min:
      return {f.dmin_Gy, u.dmin_Gy, "Gy", {}};
    case Metric::DosePercent: {
      const double spread = m.parameter == 95 ? u.d95_Gy : m.parameter == 2 ? u.d2_Gy : 0.0;
      return {dvh.doseToVolumePercent(m.parameter), spread, "Gy", {}};
    }
    case Metric::DoseCc:
      if (m.parameter > volume)
        return {0, 0, "Gy", "is larger than the structure (" + std::to_string(volume) + " cm3)"};
      return {dvh.doseToVolumePercent(100.0 * m.parameter / volume), 0, "Gy", {}};
    case Metric::VolumeAtDose: {
      const double cc = dvh.volumeAtDose(m.parameter);
      if (limit.unit == "cc") return {cc, 0, "cc", {}};
      return {volume > 0 ? 100.0 * cc / volume : 0.0, 0, "%", {}};
    }
  }
  return {};
}

}  // namespace

bool constraintNameMatches(const std::string& pattern, const std::string& roi) {
  const std::string p = normalised(pattern), r = normalised(roi);
  if (!p.empty() && p.back() == '*') return r.rfind(p.substr(0, p.size() - 1), 0) == 0;
  return p == r;
}

int ConstraintTable::failed() const {
  int n = 0;
  for (const ConstraintResult& r : results) n += r.pass ? 0 : 1;
  return n;
}

ConstraintProtocol parseConstraintProtocol(std::string_view text, const std::string& origin) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(ErrorKind::InvalidInput,
                "The constraint table " + origin + " is not valid JSON: " + e.what(), origin);
  }
  ConstraintProtocol protocol;
  try {
    protocol.id = root.value("id", "");
    protocol.name = root.value("name", protocol.id);
    const json references = root.value("references", json::object());
    for (const auto& [key, citation] : references.items())
      protocol.references.emplace_back(key, citation.get<std::string>());
    for (const json& entry : root.at("constraints")) {
      DoseConstraint c;
      c.structure = entry.at("structure").get<std::string>();
      c.names = entry.value("names", std::vector<std::string>{c.structure});
      c.metric = entry.at("metric").get<std::string>();
      c.limit = entry.at("limit").get<std::string>();
      c.endpoint = entry.value("endpoint", "");
      c.source = entry.value("source", "");
      validate(c, origin);
      protocol.constraints.push_back(std::move(c));
    }
  } catch (const json::exception& e) {
    throw Error(ErrorKind::InvalidInput,
                "The constraint table " + origin + " lacks a field or has one of the wrong type: " +
                    e.what() + ". Each constraint needs structure, metric and limit.",
                origin);
  }
  return protocol;
}

const ConstraintProtocol& quantecProtocol() {
  static const ConstraintProtocol protocol = parseConstraintProtocol(
      resources::radiotherapyResource("radiotherapy/constraints_quantec.json"),
      "the built-in table radiotherapy/constraints_quantec.json");
  return protocol;
}

ConstraintTable evaluateConstraints(const std::vector<DoseVolumeHistogram>& dvhs,
                                    const ConstraintProtocol& protocol,
                                    std::optional<double> prescription_Gy) {
  ConstraintTable table;
  for (const DoseConstraint& c : protocol.constraints) {
    // A protocol built in code rather than parsed may hold a constraint no parser accepted.
    const auto parsedMetric = parseMetric(c.metric);
    const auto parsedLimit = parseLimit(c.limit);
    if (!parsedMetric || !parsedLimit) {
      table.notEvaluated.push_back(describe(c) + ": its metric or limit cannot be read.");
      continue;
    }
    const ParsedMetric metric = *parsedMetric;
    const ParsedLimit limit = *parsedLimit;
    bool matched = false;
    for (const DoseVolumeHistogram& dvh : dvhs) {
      bool named = false;
      for (const std::string& name : c.names)
        named = named || constraintNameMatches(name, dvh.name);
      if (!named) continue;
      matched = true;
      double limitValue = limit.value;
      if (limit.unit == "%Rx") {
        if (!prescription_Gy) {
          table.notEvaluated.push_back(describe(c) + " on '" + dvh.name +
                                       "': its limit is relative to the prescription, and no "
                                       "prescription dose was given.");
          continue;
        }
        limitValue = limit.value / 100.0 * *prescription_Gy;
      }
      const Measured m = measure(metric, limit, dvh);
      if (!m.problem.empty()) {
        table.notEvaluated.push_back(describe(c) + " on '" + dvh.name + "': " + c.metric + " " +
                                     m.problem + ".");
        continue;
      }
      ConstraintResult r{c, dvh.name, m.value, m.unit, limitValue, false, false, m.uncertainty};
      r.pass = limit.below ? (limit.strict ? m.value < limitValue : m.value <= limitValue)
                           : (limit.strict ? m.value > limitValue : m.value >= limitValue);
      r.borderline = m.uncertainty > 0 && std::abs(m.value - limitValue) <= m.uncertainty;
      table.results.push_back(std::move(r));
    }
    if (!matched)
      table.notEvaluated.push_back(describe(c) + ": no structure named " + c.names.front() +
                                   (c.names.size() > 1 ? " (or an alias)" : "") + ".");
  }
  return table;
}

}  // namespace twinplan::radiotherapy
