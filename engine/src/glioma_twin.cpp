// The glioma twin of a case (glioma_twin.h): the case's follow-up scans on the model grid, the
// calibration and the predictions as undoable edits. (Moved here from the CLI so that the RT
// panel runs the same code.)
#include "twinplan/engine/glioma_twin.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "twinplan/core/error.h"
#include "twinplan/core/simulation_outputs_edit.h"
#include "twinplan/engine/followup.h"
#include "twinplan/glioma/prediction.h"
#include "twinplan/radiotherapy/radiobiology.h"

namespace twinplan::engine {
namespace {

using nlohmann::json;

const LabelMap& labelMapNamed(const Case& twin, const std::string& name) {
  for (const LabelMap& map : twin.labelMaps)
    if (map.name == name) return map;
  throw Error(ErrorKind::NotFound, "The case has no label map '" + name + "'.", name);
}

// The label map of the case that holds the brain (grey and white matter segments).
const LabelMap& brainLabels(const Case& twin) {
  for (const LabelMap& map : twin.labelMaps)
    for (const Segment& s : map.segments())
      if (s.tissueType == "white-matter" || s.tissueType == "grey-matter") return map;
  throw Error(ErrorKind::NotFound,
              "The case has no segment of tissue type grey-matter or white-matter: segment the "
              "brain first (the glioma twin grows the tumour in it).");
}

// One scan of the case: its label maps and the transform from baseline LPS to its own LPS.
struct CaseScan {
  std::string studyDate;
  int day = 0;
  std::string volume, enhancingMap, oedemaMap;
  SpatialTransform baselineToScan;
};

std::vector<CaseScan> caseScans(const Case& twin, const GliomaTwinOptions& options,
                                std::string& baseline) {
  const engine::GrowthTable table = engine::growthTable(twin, options.baseline);
  baseline = table.baselineVolume;
  const auto rowOf = [&](const std::string& segment) -> const engine::SegmentGrowth& {
    for (const auto& row : table.segments)
      if (row.segment == segment) return row;
    throw Error(ErrorKind::NotFound,
                "Segment '" + segment +
                    "' is not segmented at two or more time points of the case; the glioma "
                    "twin needs it at each scan it calibrates on.",
                segment);
  };
  const engine::SegmentGrowth& enhancing = rowOf(options.segment);
  std::vector<CaseScan> scans;
  for (const engine::SegmentVolume& point : enhancing.points) {
    if (point.labelMap.empty()) continue;
    CaseScan scan;
    scan.studyDate = point.studyDate;
    scan.day = point.day;
    scan.enhancingMap = point.labelMap;
    for (const engine::TimePoint& t : table.timePoints)
      if (t.studyDate == point.studyDate && !t.volumes.empty()) scan.volume = t.volumes.front();
    if (!options.oedema.empty()) {
      for (const engine::SegmentVolume& o : rowOf(options.oedema).points)
        if (o.studyDate == point.studyDate) scan.oedemaMap = o.labelMap;
      if (scan.oedemaMap.empty())
        throw Error(ErrorKind::NotFound,
                    "Segment '" + options.oedema + "' is missing on " + point.studyDate +
                        "; segment it at every scan or leave --oedema out.",
                    options.oedema);
    }
    const auto transform = transformBetween(twin, baseline, scan.volume);
    if (!transform)
      throw Error(ErrorKind::InvalidInput,
                  "Series '" + scan.volume + "' is not registered to the baseline '" + baseline +
                      "': register the follow-ups first (twinplan-cli growth CASE --register).",
                  scan.volume);
    scan.baselineToScan = *transform;
    scans.push_back(scan);
  }
  if (scans.size() < 2)
    throw Error(ErrorKind::InvalidInput, "Segment '" + options.segment + "' is segmented at " +
                                             std::to_string(scans.size()) +
                                             " time point(s); the glioma twin needs at least two.");
  return scans;
}

// Whether baseline point p lies in `segment` of `map` (scan frame, nearest voxel).
bool inSegment(const LabelMap& map, std::size_t segment, const SpatialTransform& toScan,
               const Vec3& p_baseline) {
  const Vec3 ijk = map.geometry().lpsToIndex(toScan.apply(p_baseline));
  if (!map.geometry().contains(ijk)) return false;
  return map.contains(segment, std::llround(ijk[0]), std::llround(ijk[1]), std::llround(ijk[2]));
}

std::size_t segmentIndex(const LabelMap& map, const std::string& name) {
  const auto index = map.findSegment(name);
  if (!index)
    throw Error(ErrorKind::NotFound, "Label map '" + map.name + "' has no segment '" + name + "'.",
                name);
  return *index;
}

// The LPS box (baseline frame) of every scan's tumour masks.
std::pair<Vec3, Vec3> tumourBox(const Case& twin, const std::vector<CaseScan>& scans,
                                const GliomaTwinOptions& options, const std::string& baseline) {
  Vec3 low = Vec3::Constant(std::numeric_limits<double>::infinity()), high = -low;
  for (const CaseScan& scan : scans) {
    const auto toBaseline = transformBetween(twin, scan.volume, baseline);
    for (const std::string& mapName : {scan.enhancingMap, scan.oedemaMap}) {
      if (mapName.empty()) continue;
      const LabelMap& map = labelMapNamed(twin, mapName);
      const std::string& name = mapName == scan.enhancingMap ? options.segment : options.oedema;
      const std::size_t s = segmentIndex(map, name);
      const auto& g = map.geometry();
      for (std::int64_t k = 0; k < g.size[2]; ++k)
        for (std::int64_t j = 0; j < g.size[1]; ++j)
          for (std::int64_t i = 0; i < g.size[0]; ++i) {
            if (!map.contains(s, i, j, k)) continue;
            Vec3 p = g.indexToLps(
                Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)));
            if (toBaseline) p = toBaseline->apply(p);
            low = low.cwiseMin(p);
            high = high.cwiseMax(p);
          }
    }
  }
  return {low - Vec3::Constant(options.margin_mm), high + Vec3::Constant(options.margin_mm)};
}

struct Model {
  glioma::BrainDomain domain;
  std::vector<glioma::ObservedScan> scans;
  std::vector<CaseScan> caseScans;
  std::optional<glioma::TreatmentCourse> pastCourse;
  glioma::CalibrationOptions calibration;
};

Model buildModel(const Case& twin, const GliomaTwinOptions& options, const Vec3* boxLow,
                 const Vec3* boxHigh) {
  if (!(options.spacing_mm > 0) || !(options.margin_mm >= 0) || !(options.step_days > 0) ||
      options.samples < 1)
    throw Error(ErrorKind::InvalidInput,
                "--spacing, --step-days and --samples must be positive and --margin >= 0.");
  Model model;
  std::string baseline;
  model.caseScans = caseScans(twin, options, baseline);
  const auto [low, high] =
      boxLow ? std::pair{*boxLow, *boxHigh} : tumourBox(twin, model.caseScans, options, baseline);
  model.domain = glioma::brainDomain(brainLabels(twin), low, high, {options.spacing_mm});
  const auto& g = model.domain.geometry;
  for (const CaseScan& scan : model.caseScans) {
    glioma::ObservedScan observed;
    observed.day = scan.day - model.caseScans.front().day;
    const LabelMap& enhancing = labelMapNamed(twin, scan.enhancingMap);
    const std::size_t e = segmentIndex(enhancing, options.segment);
    const LabelMap* oedema =
        scan.oedemaMap.empty() ? nullptr : &labelMapNamed(twin, scan.oedemaMap);
    const std::size_t o = oedema ? segmentIndex(*oedema, options.oedema) : 0;
    observed.enhancing.resize(g.voxelCount());
    if (oedema) observed.oedema.resize(g.voxelCount());
    for (std::size_t n = 0; n < g.voxelCount(); ++n) {
      const auto idx = static_cast<std::int64_t>(n);
      const Vec3 p = g.indexToLps(Vec3(static_cast<double>(idx % g.size[0]),
                                       static_cast<double>((idx / g.size[0]) % g.size[1]),
                                       static_cast<double>(idx / (g.size[0] * g.size[1]))));
      observed.enhancing[n] = inSegment(enhancing, e, scan.baselineToScan, p) ? 1 : 0;
      if (oedema) observed.oedema[n] = inSegment(*oedema, o, scan.baselineToScan, p) ? 1 : 0;
    }
    model.scans.push_back(std::move(observed));
  }
  if (!options.pastRegimen.empty()) {
    const glioma::RegimenOption past = glioma::regimenFromText(options.pastRegimen);
    model.pastCourse =
        glioma::TreatmentCourse{options.pastStartDay, past.regimen, past.fractionsPerWeek, {}};
  }
  model.calibration.solver.step_days = options.step_days;
  model.calibration.posteriorSamples = options.samples;
  return model;
}

std::optional<std::size_t> planIndex(const Case& twin, const std::string& name) {
  for (std::size_t p = 0; p < twin.plans.size(); ++p)
    if (twin.plans[p].kind == kGliomaTwinPlanKind && twin.plans[p].name == name) return p;
  return std::nullopt;
}

json vec(const Vec3& v) { return json::array({v[0], v[1], v[2]}); }

json optionalJson(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json bandJson(const glioma::VolumeBand& b) {
  return json{{"median", b.median_ml}, {"p05", b.low_ml}, {"p95", b.high_ml}};
}

// The model settings a prediction reuses: those the calibration stored in its plan.
GliomaTwinOptions storedOptions(const Plan& plan, const GliomaTwinOptions& options, Vec3& low,
                                Vec3& high) {
  const json& stored = plan.parameters;
  GliomaTwinOptions used = options;
  try {
    used.oedema = stored.at("oedema").get<std::string>();
    used.baseline = stored.at("baseline").get<std::string>();
    used.spacing_mm = stored.at("spacing_mm").get<double>();
    used.step_days = stored.at("step_days").get<double>();
    used.pastRegimen = stored.at("past_regimen").get<std::string>();
    used.pastStartDay = stored.at("past_start_day").get<double>();
    const auto box = stored.at("box_lps").get<std::vector<std::vector<double>>>();
    low = Vec3(box.at(0).at(0), box.at(0).at(1), box.at(0).at(2));
    high = Vec3(box.at(1).at(0), box.at(1).at(1), box.at(1).at(2));
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Corrupt,
                "The glioma twin record '" + plan.name + "' is damaged (" + e.what() +
                    "); calibrate again.",
                plan.name);
  }
  return used;
}

json predictionJson(const glioma::RegimenPrediction& p, double alphaBeta_Gy,
                    const std::string& fieldName) {
  return {
      {"id", p.regimen.id},
      {"name", p.regimen.name},
      {"source", p.regimen.source},
      {"total_dose_gy", p.regimen.regimen.totalDose_Gy},
      {"fractions", p.regimen.regimen.fractions},
      {"alpha_beta_gy", alphaBeta_Gy},
      {"bed_gy", p.bed_Gy},
      {"eqd2_gy", radiotherapy::equivalentDoseIn2GyFractions_Gy(p.regimen.regimen, alphaBeta_Gy)},
      {"pre_treatment_enhancing_ml", p.preTreatmentEnhancing_ml},
      {"ttp_days",
       {{"median", optionalJson(p.ttpMedian_days)},
        {"p05", optionalJson(p.ttpLow_days)},
        {"p95", optionalJson(p.ttpHigh_days)}}},
      {"progressed_samples", p.progressedSamples},
      {"samples", p.samples},
      {"curve",
       {{"day", p.enhancing.day},
        {"enhancing_ml", bandJson(p.enhancing)},
        {"oedema_ml", bandJson(p.oedema)}}},
      {"field", fieldName}};
}

}  // namespace

std::string gliomaTwinPlanName(const std::string& segment) { return "Glioma twin: " + segment; }

GliomaTwinOutcome calibrateGliomaTwin(const Case& twin, const GliomaTwinOptions& options,
                                      Progress& progress) {
  const Model model = buildModel(twin, options, nullptr, nullptr);
  const glioma::Posterior posterior =
      glioma::calibrate(model.domain, model.scans, model.pastCourse, model.calibration, progress);
  json scans = json::array();
  for (std::size_t s = 0; s < model.scans.size(); ++s) {
    const auto count = [&](const std::vector<std::uint8_t>& mask) {
      return static_cast<double>(std::count(mask.begin(), mask.end(), 1)) *
             model.domain.voxelVolume_ml();
    };
    json scan = {{"study_date", model.caseScans[s].studyDate},
                 {"day", model.scans[s].day},
                 {"series", model.caseScans[s].volume},
                 {"label_map", model.caseScans[s].enhancingMap},
                 {"enhancing_ml", count(model.scans[s].enhancing)}};
    if (!model.scans[s].oedema.empty()) scan["oedema_ml"] = count(model.scans[s].oedema);
    scans.push_back(scan);
  }
  const auto& g = model.domain.geometry;
  const Vec3 low = g.origin_lps - 0.5 * g.spacing_mm;
  const Vec3 high = low + Vec3(static_cast<double>(g.size[0]), static_cast<double>(g.size[1]),
                               static_cast<double>(g.size[2])) *
                              options.spacing_mm;
  const std::string planName = gliomaTwinPlanName(options.segment);
  Plan plan{kGliomaTwinPlanKind,
            planName,
            {{"segment", options.segment},
             {"oedema", options.oedema},
             {"baseline", options.baseline},
             {"spacing_mm", options.spacing_mm},
             {"step_days", options.step_days},
             {"box_lps", {vec(low), vec(high)}},
             {"past_regimen", options.pastRegimen},
             {"past_start_day", options.pastStartDay},
             {"scans", scans},
             {"posterior", posterior.toJson()}}};
  GliomaTwinOutcome outcome;
  outcome.report = {{"segment", options.segment},
                    {"oedema", options.oedema},
                    {"scans", scans},
                    {"grid",
                     {{"spacing_mm", options.spacing_mm},
                      {"size", g.size},
                      {"origin_lps", vec(g.origin_lps)},
                      {"brain_voxels", model.domain.brainVoxelCount()}}},
                    {"posterior", posterior.toJson()},
                    {"plan", planName}};
  outcome.report["posterior"].erase("samples");  // in the case; the summary keeps the spread
  SimulationOutputs outputs;
  outputs.plans.push_back(std::move(plan));
  outcome.edit = edits::storeSimulationOutputs(twin, std::move(outputs), "Calibrate " + planName);
  return outcome;
}

GliomaTwinOutcome predictGliomaTwin(const Case& twin, const GliomaTwinOptions& options,
                                    Progress& progress) {
  const std::string planName = gliomaTwinPlanName(options.segment);
  const auto index = planIndex(twin, planName);
  if (!index)
    throw Error(ErrorKind::NotFound,
                "The case has no calibrated glioma twin for segment '" + options.segment +
                    "': calibrate it first (twinplan-cli glioma calibrate, or Calibrate in the "
                    "Radiotherapy panel).",
                planName);
  Plan plan = twin.plans[*index];
  Vec3 low, high;
  GliomaTwinOptions used = storedOptions(plan, options, low, high);
  const glioma::Posterior posterior = glioma::posteriorFromJson(plan.parameters.at("posterior"));
  used.samples = std::max<int>(1, static_cast<int>(posterior.samples.size()));
  const Model model = buildModel(twin, used, &low, &high);
  std::vector<glioma::RegimenOption> regimens;
  for (const std::string& text : options.regimens)
    regimens.push_back(glioma::regimenFromText(text));
  if (regimens.empty()) regimens = glioma::standardRegimens();
  glioma::PredictionOptions prediction;
  prediction.horizon_days = options.horizon_days;
  prediction.startDelay_days = options.startDelay_days;
  if (options.samples > 0) prediction.maxSamples = options.samples;
  if (!options.doseField.empty()) {
    const ScalarField* dose = nullptr;
    for (const ScalarField& field : twin.fields)
      if (field.name == options.doseField) dose = &field;
    if (!dose)
      throw Error(ErrorKind::NotFound, "The case has no field '" + options.doseField + "'.",
                  options.doseField);
    prediction.relativeDose =
        glioma::relativeDoseFromField(model.domain, *dose, options.prescription_Gy);
  }
  auto predicting = subRange(progress, 0.0, options.isoFractions > 0 ? 0.7 : 1.0);
  const auto predictions = glioma::predict(model.domain, model.scans, model.pastCourse, posterior,
                                           regimens, model.calibration, prediction, *predicting);
  json results = json::array();
  SimulationOutputs outputs;
  for (const auto& p : predictions) {
    const std::string fieldName = "Glioma density " + p.regimen.id + " at day " +
                                  std::to_string(static_cast<int>(options.horizon_days));
    outputs.fields.push_back(glioma::densityField(model.domain, p.modeDensityAtHorizon, fieldName));
    results.push_back(predictionJson(p, posterior.mode.alphaBeta_Gy, fieldName));
  }
  GliomaTwinOutcome outcome;
  outcome.report = {{"plan", planName}, {"regimens", results}};
  if (options.isoFractions > 0) {
    auto iso = subRange(progress, 0.7, 1.0);
    const glioma::IsoEffect effect = glioma::isoEffectiveDose(
        model.domain, model.scans, model.pastCourse, posterior, regimens.front(),
        options.isoFractions, model.calibration, prediction, *iso);
    outcome.report["iso_effect"] = {
        {"reference", effect.reference},
        {"reference_ttp_days", effect.referenceTtp_days},
        {"fractions", effect.fractions},
        {"total_dose_gy", optionalJson(effect.totalDose_Gy)},
        {"dose_change_percent", optionalJson(effect.doseChange_percent)}};
  }
  plan.parameters["predictions"] = results;
  plan.parameters["horizon_days"] = options.horizon_days;
  plan.parameters["start_delay_days"] = options.startDelay_days;
  if (outcome.report.contains("iso_effect"))
    plan.parameters["iso_effect"] = outcome.report["iso_effect"];
  else
    plan.parameters.erase("iso_effect");
  // One step: the fields and the plan with its predictions go (and come back) together.
  outputs.plans.push_back(std::move(plan));
  outcome.edit = edits::storeSimulationOutputs(twin, std::move(outputs), "Predict " + planName);
  return outcome;
}

}  // namespace twinplan::engine
