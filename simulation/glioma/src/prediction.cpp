#include "twinplan/glioma/prediction.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>

#include "glioma_resources.h"
#include "twinplan/core/error.h"

namespace twinplan::glioma {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

std::vector<RegimenOption> readRegimens() {
  const std::string_view text = resources::gliomaResource("glioma/regimens.json");
  try {
    const nlohmann::json table = nlohmann::json::parse(text);
    std::vector<RegimenOption> regimens;
    for (const auto& entry : table.at("regimens")) {
      RegimenOption r;
      r.id = entry.at("id").get<std::string>();
      r.name = entry.at("name").get<std::string>();
      r.source =
          table.at("references").at(entry.at("source").get<std::string>()).get<std::string>();
      r.regimen = {entry.at("totalDose_Gy").get<double>(), entry.at("fractions").get<int>()};
      r.fractionsPerWeek = entry.at("fractionsPerWeek").get<int>();
      r.regimen.validate();
      regimens.push_back(r);
    }
    return regimens;
  } catch (const nlohmann::json::exception& e) {
    throw Error(
        ErrorKind::Corrupt,
        std::string("The built-in regimen table glioma/regimens.json is damaged: ") + e.what(),
        "glioma/regimens.json");
  }
}

// The q-quantile (0..1) of values, linear between order statistics; infinity stays infinity.
double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const auto above = std::min(below + 1, values.size() - 1);
  if (std::isinf(values[above]) || std::isinf(values[below]))
    return std::isinf(values[below]) || at > static_cast<double>(below) ? kNever : values[below];
  return values[below] + (at - static_cast<double>(below)) * (values[above] - values[below]);
}

struct FollowUp {
  std::vector<double> enhancing_ml, oedema_ml;
  double ttp_days = kNever;
  std::vector<double> finalDensity;
};

std::vector<double> reportDays(const PredictionOptions& options) {
  std::vector<double> days;
  for (double day = 0; day <= options.horizon_days + 1e-9; day += options.reportEvery_days)
    days.push_back(day);
  return days;
}

// Treats `density` (at the first fraction) with `regimen` and follows it to the horizon.
FollowUp follow(const ProliferationInvasion& model, std::vector<double> density,
                const radiotherapy::Regimen& regimen, int fractionsPerWeek,
                std::span<const double> relativeDose, const PredictionOptions& options,
                double preTreatment_ml) {
  TreatmentCourse course{0.0, regimen, fractionsPerWeek, {}};
  const std::vector<double> fractions = fractionDays(course);
  std::vector<double> dose(relativeDose.size());
  for (std::size_t n = 0; n < dose.size(); ++n)
    dose[n] = relativeDose[n] * regimen.dosePerFraction_Gy();
  FollowUp result;
  std::size_t nextFraction = 0;
  double now = 0.0, previousDay = 0.0, previous_ml = preTreatment_ml;
  for (double day : reportDays(options)) {
    while (nextFraction < fractions.size() && fractions[nextFraction] < day) {
      model.advance(density, fractions[nextFraction] - now);
      now = fractions[nextFraction++];
      model.irradiate(density, dose);
    }
    model.advance(density, day - now);
    now = day;
    const double enhancing = model.visibleVolume_ml(density, kT1GadoliniumThreshold);
    result.enhancing_ml.push_back(enhancing);
    result.oedema_ml.push_back(model.visibleVolume_ml(density, kT2FlairThreshold));
    // Progression: back to the pre-treatment size after the last fraction (linear in between).
    if (std::isinf(result.ttp_days) && day > fractions.back() && enhancing >= preTreatment_ml) {
      const double f = enhancing > previous_ml && previousDay > fractions.back()
                           ? (preTreatment_ml - previous_ml) / (enhancing - previous_ml)
                           : 1.0;
      result.ttp_days =
          previousDay > fractions.back() ? previousDay + f * (day - previousDay) : day;
    }
    previousDay = day;
    previous_ml = enhancing;
  }
  result.finalDensity = std::move(density);
  return result;
}

void validate(const PredictionOptions& options) {
  if (!(options.startDelay_days >= 0) || !(options.horizon_days > 0) ||
      !(options.reportEvery_days > 0) || !(options.ptvMargin_mm >= 0) || options.maxSamples < 0)
    throw Error(ErrorKind::InvalidInput,
                "Glioma prediction needs a start delay >= 0, a positive horizon and report "
                "interval, a margin >= 0 and a sample limit >= 0.");
}

struct StartState {
  GrowthParameters parameters;
  std::vector<double> density;  // at the first fraction
  double enhancing_ml = 0.0;
};

std::optional<StartState> startOfTreatment(const BrainDomain& domain,
                                           std::span<const ObservedScan> scans,
                                           const std::optional<TreatmentCourse>& pastCourse,
                                           const Posterior& posterior,
                                           const GrowthParameters& parameters,
                                           const CalibrationOptions& model,
                                           const PredictionOptions& options) {
  const auto simulated =
      simulateScans(domain, parameters, posterior.seed_lps, scans, pastCourse, model);
  if (!simulated) return std::nullopt;
  StartState state{parameters, simulated->back(), 0.0};
  const ProliferationInvasion pi(domain, parameters, model.solver);
  pi.advance(state.density, options.startDelay_days);
  state.enhancing_ml = pi.visibleVolume_ml(state.density, kT1GadoliniumThreshold);
  return state;
}

}  // namespace

const std::vector<RegimenOption>& standardRegimens() {
  static const std::vector<RegimenOption> regimens = readRegimens();
  return regimens;
}

RegimenOption regimenFromText(const std::string& text) {
  for (const RegimenOption& r : standardRegimens())
    if (r.id == text) return r;
  static const std::regex pattern(R"(^\s*([0-9]+(?:\.[0-9]+)?)\s*Gy\s*/\s*([0-9]+)\s*$)",
                                  std::regex::icase);
  std::smatch match;
  if (!std::regex_match(text, match, pattern))
    throw Error(ErrorKind::InvalidInput,
                "Regimen '" + text +
                    "' is not understood: write the total dose and the number of fractions, "
                    "e.g. 60Gy/30 or 40Gy/15.",
                text);
  RegimenOption r;
  r.id = text;
  r.name = text;
  r.regimen = {std::stod(match[1].str()), std::stoi(match[2].str())};
  r.regimen.validate();
  return r;
}

std::vector<double> uniformPtvDose(const BrainDomain& domain, const ObservedScan& scan,
                                   double margin_mm) {
  const std::vector<std::uint8_t>& target = scan.oedema.empty() ? scan.enhancing : scan.oedema;
  const auto& g = domain.geometry;
  const double h = g.spacing_mm[0];
  const auto reach = static_cast<std::int64_t>(std::floor(margin_mm / h));
  std::vector<double> dose(domain.tissue.size(), 0.0);
  for (std::size_t n = 0; n < target.size(); ++n) {
    if (!target[n]) continue;
    const auto idx = static_cast<std::int64_t>(n);
    const std::int64_t i = idx % g.size[0], j = (idx / g.size[0]) % g.size[1],
                       k = idx / (g.size[0] * g.size[1]);
    for (std::int64_t dk = -reach; dk <= reach; ++dk)
      for (std::int64_t dj = -reach; dj <= reach; ++dj)
        for (std::int64_t di = -reach; di <= reach; ++di) {
          if (static_cast<double>(di * di + dj * dj + dk * dk) * h * h > margin_mm * margin_mm)
            continue;
          const std::int64_t a = i + di, b = j + dj, c = k + dk;
          if (a < 0 || b < 0 || c < 0 || a >= g.size[0] || b >= g.size[1] || c >= g.size[2])
            continue;
          const std::size_t m = g.linearIndex(a, b, c);
          if (domain.tissue[m] != BrainTissue::NoBrain) dose[m] = 1.0;
        }
  }
  return dose;
}

std::vector<double> relativeDoseFromField(const BrainDomain& domain, const ScalarField& dose,
                                          double prescription_Gy) {
  if (dose.unit != units::kGray || dose.values.empty() ||
      dose.values.size() != dose.geometry.voxelCount())
    throw Error(
        ErrorKind::InvalidInput,
        "Field '" + dose.name + "' is not a dose grid in Gy: pick a dose field of the case.",
        dose.name);
  if (!(prescription_Gy > 0))
    throw Error(ErrorKind::InvalidInput, "The prescription must be a positive dose in Gy.",
                std::to_string(prescription_Gy));
  const auto& g = domain.geometry;
  std::vector<double> relative(domain.tissue.size(), 0.0);
  for (std::size_t n = 0; n < relative.size(); ++n) {
    const auto idx = static_cast<std::int64_t>(n);
    const Vec3 p = g.indexToLps(Vec3(static_cast<double>(idx % g.size[0]),
                                     static_cast<double>((idx / g.size[0]) % g.size[1]),
                                     static_cast<double>(idx / (g.size[0] * g.size[1]))));
    const Vec3 at = dose.geometry.lpsToIndex(p);
    if (!dose.geometry.contains(at)) continue;
    relative[n] = dose.values[dose.geometry.linearIndex(std::llround(at[0]), std::llround(at[1]),
                                                        std::llround(at[2]))] /
                  prescription_Gy;
  }
  return relative;
}

std::vector<RegimenPrediction> predict(const BrainDomain& domain,
                                       std::span<const ObservedScan> scans,
                                       const std::optional<TreatmentCourse>& pastCourse,
                                       const Posterior& posterior,
                                       std::span<const RegimenOption> regimens,
                                       const CalibrationOptions& model,
                                       const PredictionOptions& options, Progress& progress) {
  validate(options);
  if (regimens.empty())
    throw Error(ErrorKind::InvalidInput, "Name at least one regimen to predict.");
  if (posterior.samples.empty())
    throw Error(ErrorKind::InvalidInput,
                "The posterior has no samples: calibrate with at least one sample.");
  const std::vector<double> relativeDose =
      options.relativeDose.empty() ? uniformPtvDose(domain, scans.back(), options.ptvMargin_mm)
                                   : options.relativeDose;
  if (relativeDose.size() != domain.tissue.size())
    throw Error(ErrorKind::InvalidInput,
                "The dose map is not on the glioma model grid; sample it onto it first.");
  std::size_t sampleCount = posterior.samples.size();
  if (options.maxSamples > 0)
    sampleCount = std::min(sampleCount, static_cast<std::size_t>(options.maxSamples));
  // Runs: the mode (for its density map) and then each sample.
  std::vector<std::vector<FollowUp>> runs(regimens.size());
  std::vector<double> preTreatment;
  std::vector<std::vector<double>> modeDensity(regimens.size());
  for (std::size_t s = 0; s <= sampleCount; ++s) {
    auto part = subRange(progress, static_cast<double>(s) / static_cast<double>(sampleCount + 1),
                         static_cast<double>(s + 1) / static_cast<double>(sampleCount + 1));
    part->check();
    const GrowthParameters& parameters = s == 0 ? posterior.mode : posterior.samples[s - 1];
    const auto start =
        startOfTreatment(domain, scans, pastCourse, posterior, parameters, model, options);
    if (!start) continue;  // a sample whose seed never reaches the first scan: left out
    const ProliferationInvasion pi(domain, parameters, model.solver);
    for (std::size_t r = 0; r < regimens.size(); ++r) {
      part->check();
      FollowUp run = follow(pi, start->density, regimens[r].regimen, regimens[r].fractionsPerWeek,
                            relativeDose, options, start->enhancing_ml);
      if (s == 0) {
        modeDensity[r] = std::move(run.finalDensity);
      } else {
        run.finalDensity.clear();
        runs[r].push_back(std::move(run));
      }
    }
    if (s > 0) preTreatment.push_back(start->enhancing_ml);
  }
  if (preTreatment.empty())
    throw Error(ErrorKind::InvalidInput,
                "No posterior sample grows to the first scan's tumour; calibrate again.");
  const std::vector<double> days = reportDays(options);
  std::vector<RegimenPrediction> predictions;
  for (std::size_t r = 0; r < regimens.size(); ++r) {
    RegimenPrediction p;
    p.regimen = regimens[r];
    p.bed_Gy = radiotherapy::biologicallyEffectiveDose_Gy(regimens[r].regimen,
                                                          posterior.mode.alphaBeta_Gy);
    p.preTreatmentEnhancing_ml = quantile(preTreatment, 0.5);
    p.samples = static_cast<int>(runs[r].size());
    for (VolumeBand* band : {&p.enhancing, &p.oedema}) band->day = days;
    for (std::size_t d = 0; d < days.size(); ++d) {
      std::vector<double> enhancing, oedema;
      for (const FollowUp& run : runs[r]) {
        enhancing.push_back(run.enhancing_ml[d]);
        oedema.push_back(run.oedema_ml[d]);
      }
      p.enhancing.median_ml.push_back(quantile(enhancing, 0.5));
      p.enhancing.low_ml.push_back(quantile(enhancing, 0.05));
      p.enhancing.high_ml.push_back(quantile(enhancing, 0.95));
      p.oedema.median_ml.push_back(quantile(oedema, 0.5));
      p.oedema.low_ml.push_back(quantile(oedema, 0.05));
      p.oedema.high_ml.push_back(quantile(oedema, 0.95));
    }
    std::vector<double> ttp;
    for (const FollowUp& run : runs[r]) {
      ttp.push_back(run.ttp_days);
      p.progressedSamples += std::isinf(run.ttp_days) ? 0 : 1;
    }
    const auto finite = [](double v) { return std::isinf(v) ? std::nullopt : std::optional(v); };
    p.ttpMedian_days = finite(quantile(ttp, 0.5));
    p.ttpLow_days = finite(quantile(ttp, 0.05));
    p.ttpHigh_days = finite(quantile(ttp, 0.95));
    p.modeDensityAtHorizon = std::move(modeDensity[r]);
    predictions.push_back(std::move(p));
  }
  progress.report(1.0, "Predicted");
  return predictions;
}

IsoEffect isoEffectiveDose(const BrainDomain& domain, std::span<const ObservedScan> scans,
                           const std::optional<TreatmentCourse>& pastCourse,
                           const Posterior& posterior, const RegimenOption& reference,
                           int fractions, const CalibrationOptions& model,
                           const PredictionOptions& options, Progress& progress) {
  validate(options);
  if (fractions < 1)
    throw Error(ErrorKind::InvalidInput, "An iso-effective regimen needs at least one fraction.");
  IsoEffect result;
  result.reference = reference.id;
  result.fractions = fractions;
  const std::vector<double> relativeDose =
      options.relativeDose.empty() ? uniformPtvDose(domain, scans.back(), options.ptvMargin_mm)
                                   : options.relativeDose;
  const auto start =
      startOfTreatment(domain, scans, pastCourse, posterior, posterior.mode, model, options);
  if (!start) return result;
  const ProliferationInvasion pi(domain, posterior.mode, model.solver);
  const auto ttpOf = [&](const radiotherapy::Regimen& regimen) {
    progress.check();
    return follow(pi, start->density, regimen, reference.fractionsPerWeek, relativeDose, options,
                  start->enhancing_ml)
        .ttp_days;
  };
  const double target = ttpOf(reference.regimen);
  if (std::isinf(target)) return result;
  result.referenceTtp_days = target;
  double low = 0.3 * reference.regimen.totalDose_Gy, high = 1.5 * reference.regimen.totalDose_Gy;
  if (ttpOf({low, fractions}) >= target || ttpOf({high, fractions}) < target) return result;
  for (int step = 0; step < 40 && high - low > 0.1; ++step) {
    const double mid = 0.5 * (low + high);
    (ttpOf({mid, fractions}) >= target ? high : low) = mid;
    progress.report(std::min(1.0, (step + 1) / 12.0), "Iso-effective dose");
  }
  result.totalDose_Gy = high;
  result.doseChange_percent = 100.0 * (high / reference.regimen.totalDose_Gy - 1.0);
  return result;
}

}  // namespace twinplan::glioma
