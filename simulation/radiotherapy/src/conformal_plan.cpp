#include "twinplan/radiotherapy/conformal_plan.h"

#include <algorithm>
#include <regex>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/radiotherapy/collapsed_cone.h"
#include "twinplan/radiotherapy/hu_density.h"
#include "twinplan/radiotherapy/pencil_beam.h"

namespace twinplan::radiotherapy {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& sentence, const std::string& context) {
  throw Error(ErrorKind::InvalidInput, sentence, context);
}

std::string trimmed(const std::string& s) {
  const std::size_t a = s.find_first_not_of(' ');
  if (a == std::string::npos) return {};
  return s.substr(a, s.find_last_not_of(' ') - a + 1);
}

Vec3 centroid(const PlanStructureMask& mask) {
  Vec3 sum = Vec3::Zero();
  std::size_t n = 0;
  const ImageGeometry& g = mask.geometry;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if (mask.inside[g.linearIndex(i, j, k)]) sum += Vec3(i, j, k), ++n;
  return g.indexToLps(sum / static_cast<double>(n));
}

// The dose-grid voxels whose centres lie in a voxel of `mask` (nearest CT voxel).
PlanningStructure onDoseGrid(const PlanStructureMask& mask, const ImageGeometry& dose) {
  PlanningStructure s{mask.name, {}};
  const auto r = [](double x) { return static_cast<std::int64_t>(std::lround(x)); };
  for (std::int64_t k = 0; k < dose.size[2]; ++k)
    for (std::int64_t j = 0; j < dose.size[1]; ++j)
      for (std::int64_t i = 0; i < dose.size[0]; ++i) {
        const Vec3 ijk = mask.geometry.lpsToIndex(dose.indexToLps(Vec3(i, j, k)));
        if (!mask.geometry.contains(ijk)) continue;
        if (mask.inside[mask.geometry.linearIndex(r(ijk.x()), r(ijk.y()), r(ijk.z()))])
          s.voxels.push_back(dose.linearIndex(i, j, k));
      }
  if (s.voxels.empty())
    invalid("The structure \"" + mask.name +
                "\" covers no voxel centre of the dose grid; use a finer dose grid.",
            mask.name);
  return s;
}

std::size_t voxelCount(const PlanStructureMask& m) {
  return static_cast<std::size_t>(
      std::count_if(m.inside.begin(), m.inside.end(), [](std::uint8_t v) { return v != 0; }));
}

void requireOnCt(const PlanStructureMask& m, const ImageVolume& ct) {
  if (m.inside.size() != m.geometry.voxelCount() || m.geometry.size != ct.geometry().size)
    invalid("The structure \"" + m.name + "\" is not on the planning CT's grid.", m.name);
  if (voxelCount(m) == 0) invalid("The structure \"" + m.name + "\" is empty.", m.name);
}

// A static beam with two control points (PS3.3 C.8.8.14: weight 0 and 1, same aperture).
io::Beam conformalBeam(int number, const PlanBeamSpec& spec, const Aperture& a,
                       const Vec3& isocentre, double energy_MV, double meterset_MU) {
  io::Beam beam;
  beam.number = number;
  beam.name = spec.name;
  beam.type = "STATIC";
  beam.radiationType = "PHOTON";
  beam.machine = "TwinPlan";
  beam.sourceAxisDistance_mm = kConformalSourceAxisDistance_mm;
  const int pairs = static_cast<int>(a.leafBoundaries_mm.size()) - 1;
  beam.devices = {{"ASYMX", 1, {}}, {"ASYMY", 1, {}}, {"MLCX", pairs, a.leafBoundaries_mm}};
  beam.meterset = meterset_MU;
  std::vector<double> leaves = a.leafNegative_mm;
  leaves.insert(leaves.end(), a.leafPositive_mm.begin(), a.leafPositive_mm.end());
  for (int i = 0; i < 2; ++i) {
    io::ControlPoint cp;
    cp.index = i;
    cp.cumulativeMetersetWeight = i;
    cp.nominalEnergy = energy_MV;
    cp.gantryAngle_deg = spec.gantry_deg;
    cp.collimatorAngle_deg = spec.collimator_deg;
    cp.couchAngle_deg = spec.couch_deg;
    cp.isocentre_lps = isocentre;
    cp.devices = {{"ASYMX", {a.x1_mm, a.x2_mm}}, {"ASYMY", {a.y1_mm, a.y2_mm}}, {"MLCX", leaves}};
    beam.controlPoints.push_back(cp);
  }
  return beam;
}

PlannedStructureDose structureDose(const PlanningStructure& s, const ScalarField& dose) {
  PlannedStructureDose d{s.name, s.voxels.size()};
  std::vector<double> values;
  values.reserve(s.voxels.size());
  double sum = 0.0;
  for (std::size_t v : s.voxels) {
    const double x = dose.values[v];
    values.push_back(x);
    sum += x;
    d.max_Gy = std::max(d.max_Gy, x);
  }
  d.mean_Gy = sum / static_cast<double>(values.size());
  d.d95_Gy = doseAtVolume(values, 95.0);
  d.d2_Gy = doseAtVolume(std::move(values), 2.0);
  return d;
}

PlanDose beamDosesPerMu(const ImageVolume& ct, const io::RtPlan& plan, PatientPosition position,
                        const ConformalPlanSettings& s, Progress& progress) {
  const DensityGrid density =
      densityGridFromCt(ct, defaultHuDensityCalibration(), *subRange(progress, 0.0, 0.1));
  const ImageGeometry doseGrid = doseGridCovering(ct.geometry(), s.grid_mm);
  const auto computing = subRange(progress, 0.1, 1.0);
  if (s.engine == "collapsed-cone") {
    CollapsedConeParameters parameters;
    parameters.doseGridSpacing_mm = s.grid_mm;
    return computeCollapsedConePlanDose(density, doseGrid, plan, position, parameters, *computing);
  }
  PencilBeamParameters parameters;
  parameters.doseGridSpacing_mm = s.grid_mm;
  parameters.validate();
  return computePlanDose(density, doseGrid, plan, position, parameters, *computing);
}

}  // namespace

std::vector<PlanBeamSpec> parseBeamSpecs(const std::string& text) {
  static const std::regex kBeam(R"(\s*G(-?[0-9.]+)(?:C(-?[0-9.]+))?(?:T(-?[0-9.]+))?\s*)",
                                std::regex::icase);
  std::vector<PlanBeamSpec> beams;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    std::smatch m;
    if (!std::regex_match(item, m, kBeam))
      invalid("The beam \"" + item +
                  "\" is not G<gantry>[C<collimator>][T<couch>] in degrees, e.g. G0 or G90C15; "
                  "give the beams as \"G0,G90,...\".",
              "beams");
    PlanBeamSpec b;
    b.gantry_deg = std::stod(m[1]);
    if (m[2].matched) b.collimator_deg = std::stod(m[2]);
    if (m[3].matched) b.couch_deg = std::stod(m[3]);
    b.name = trimmed(item);
    beams.push_back(b);
    start = comma + 1;
  }
  return beams;
}

DoseObjective parseStructureObjective(const std::string& text) {
  static const std::regex kObjective(
      R"((.+):(max|mean|min|[dv][0-9]+(?:\.[0-9]+)?):([0-9]+(?:\.[0-9]+)?)(?::([0-9]+(?:\.[0-9]+)?))?)",
      std::regex::icase);
  std::smatch m;
  if (!std::regex_match(text, m, kObjective) || trimmed(m[1]).empty())
    invalid("The objective \"" + text +
                "\" is not NAME:KIND:VALUE[:IMPORTANCE] with KIND max, mean, min (Gy), dNN "
                "(D_NN% <= Gy) or vNN (V_NN Gy <= %), e.g. Brainstem:max:54 or Lung:v20:30.",
            "oar");
  DoseObjective o;
  o.structure = trimmed(m[1]);
  std::string kind = m[2];
  std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
  const double value = std::stod(m[3]);
  if (m[4].matched) o.importance = std::stod(m[4]);
  if (kind == "max") {
    o.kind = ObjectiveKind::MaxDose, o.dose_Gy = value;
  } else if (kind == "mean") {
    o.kind = ObjectiveKind::MaxMeanDose, o.dose_Gy = value;
  } else if (kind == "min") {
    o.kind = ObjectiveKind::MinDose, o.dose_Gy = value;
  } else if (kind[0] == 'd') {  // D_v <= value Gy: at most v % above the dose
    o.kind = ObjectiveKind::MaxDvh, o.dose_Gy = value, o.volume_percent = std::stod(kind.substr(1));
  } else {  // V_d <= value %: at most value % above d Gy
    o.kind = ObjectiveKind::MaxDvh, o.dose_Gy = std::stod(kind.substr(1)), o.volume_percent = value;
  }
  if (o.kind == ObjectiveKind::MaxDvh && !(o.volume_percent > 0.0 && o.volume_percent < 100.0))
    invalid("The objective \"" + text + "\" needs a volume between 0 and 100 %.", "oar");
  return o;
}

std::vector<DoseObjective> defaultTargetObjectives(double prescription_Gy) {
  return {{"PTV", ObjectiveKind::MinDose, 0.95 * prescription_Gy, 0.0, 1.0},
          {"PTV", ObjectiveKind::MaxDose, 1.07 * prescription_Gy, 0.0, 1.0}};
}

Normalisation normalisationFromString(const std::string& text, double dose_Gy) {
  Normalisation n{"PTV", NormalisationMetric::Dv, 50.0, 0, dose_Gy};
  if (text == "mean") {
    n.metric = NormalisationMetric::Mean;
    return n;
  }
  static const std::regex kDv(R"([dD]([0-9.]+))");
  std::smatch m;
  if (!std::regex_match(text, m, kDv) || std::stod(m[1]) <= 0.0 || std::stod(m[1]) > 100.0)
    invalid("The normalisation \"" + text + "\" is not \"mean\" or dNN (e.g. d50, d95).",
            "normalise");
  n.volume_percent = std::stod(m[1]);
  return n;
}

void ConformalPlanSettings::validate() const {
  if (beams.empty()) invalid("A conformal plan needs at least one beam.", "beams");
  if (!(prescription_Gy > 0.0) || prescription_Gy > 200.0)
    invalid("The prescription must be a dose above 0 and up to 200 Gy.", "prescription_gy");
  if (fractions < 1 || fractions > 100)
    invalid("The number of fractions must be 1 to 100.", "fractions");
  if (!(apertureMargin_mm >= 0.0) || apertureMargin_mm > 50.0)
    invalid("The aperture margin must be 0 to 50 mm.", "aperture_margin_mm");
  if (!(coverageD95_percent >= 0.0) || coverageD95_percent > 100.0)
    invalid("The coverage goal must be 0 to 100 % of the prescription.", "coverage_d95_percent");
  if (!(grid_mm >= 0.5) || grid_mm > 20.0)
    invalid("The dose grid spacing must be 0.5 to 20 mm.", "grid_mm");
  if (engine != "pencil-beam" && engine != "collapsed-cone")
    invalid("The dose engine must be pencil-beam or collapsed-cone, not \"" + engine + "\".",
            "engine");
  normalisationFromString(normalise, prescription_Gy);
  photonBeamModel(energy_MV);
  if (!targetObjectives && objectives.empty())
    invalid("Without the PTV's range there must be objectives to optimise.", "objectives");
  for (const DoseObjective& o : objectives)
    if (!(o.importance >= 0.0) || !(o.dose_Gy >= 0.0))
      invalid("The objective on \"" + o.structure + "\" needs a dose and importance >= 0.",
              o.structure);
  aperture.validate();
}

ConformalPlan planConformal(const ImageVolume& ct, const PlanStructureMask& ptvMask,
                            const std::vector<PlanStructureMask>& masks,
                            const ConformalPlanSettings& s, Progress& progress) {
  s.validate();
  requireOnCt(ptvMask, ct);
  std::vector<DoseObjective> objectives = s.targetObjectives
                                              ? defaultTargetObjectives(s.prescription_Gy)
                                              : std::vector<DoseObjective>{};
  objectives.insert(objectives.end(), s.objectives.begin(), s.objectives.end());
  // The structures the objectives name, besides the PTV.
  std::vector<const PlanStructureMask*> named;
  for (const DoseObjective& o : objectives) {
    if (o.structure == "PTV") continue;
    const auto found = std::find_if(masks.begin(), masks.end(), [&](const PlanStructureMask& m) {
      return m.name == o.structure;
    });
    if (found == masks.end()) {
      std::string names;
      for (const PlanStructureMask& m : masks) names += (names.empty() ? "" : ", ") + m.name;
      throw Error(ErrorKind::NotFound,
                  "An objective names the structure \"" + o.structure +
                      "\", which the case does not have (it has " + names + ").",
                  o.structure);
    }
    requireOnCt(*found, ct);
    if (std::find(named.begin(), named.end(), &*found) == named.end()) named.push_back(&*found);
  }

  ConformalPlan result;
  std::string positionCode =
      s.patientPosition.empty() ? ct.dicom.patientPosition : s.patientPosition;
  if (positionCode.empty()) {
    positionCode = "HFS";
    result.notes.push_back(
        "The CT states no Patient Position; head first supine (HFS) was assumed.");
  }
  const PatientPosition position = patientPositionFromString(positionCode);
  result.patientPosition = positionCode;
  result.isocentre_lps = centroid(ptvMask);
  result.ptvVolume_cm3 =
      static_cast<double>(voxelCount(ptvMask)) * ptvMask.geometry.spacing_mm.prod() / 1000.0;

  io::RtPlan& plan = result.plan;
  plan.label = s.label;
  plan.name = s.label;
  plan.geometry = "PATIENT";
  plan.frameOfReferenceUid = ct.dicom.frameOfReferenceUid;
  plan.patientPosition = positionCode;
  plan.prescriptionDose_Gy = s.prescription_Gy;
  plan.sopClassUid = io::kRtPlanSopClass;
  ConformalApertureOptions apertureOptions = s.aperture;
  apertureOptions.margin_mm = s.apertureMargin_mm;
  io::FractionGroup group{1, 1, {}};
  for (std::size_t b = 0; b < s.beams.size(); ++b) {
    progress.check();
    const PlanBeamSpec& spec = s.beams[b];
    const BeamGeometry g =
        beamGeometry(spec.gantry_deg, spec.collimator_deg, spec.couch_deg, result.isocentre_lps,
                     kConformalSourceAxisDistance_mm, position);
    result.apertures.push_back(
        conformalAperture(g, ptvMask.geometry, ptvMask.inside, apertureOptions));
    for (const std::string& w : result.apertures.back().warnings)
      result.notes.push_back("Beam " + spec.name + ": " + w);
    const int number = static_cast<int>(b) + 1;
    plan.beams.push_back(conformalBeam(number, spec, result.apertures.back().aperture,
                                       result.isocentre_lps, s.energy_MV, 1.0));
    group.beamNumbers.push_back(number);
  }
  plan.fractionGroups = {group};
  progress.report(0.1, "Conformal apertures");

  // Each beam's course dose per MU per fraction (the weights are MU per fraction).
  PlanDose perMu = beamDosesPerMu(ct, plan, position, s, *subRange(progress, 0.1, 0.85));
  for (const std::string& n : perMu.notes) result.notes.push_back(n);
  std::vector<ScalarField> beamDoses;
  for (BeamDose& b : perMu.beams) {
    for (float& v : b.dose.values) v *= static_cast<float>(s.fractions);
    b.dose.name = b.beamName;
    beamDoses.push_back(std::move(b.dose));
  }
  const ImageGeometry& doseGrid = beamDoses.front().geometry;

  std::vector<PlanningStructure> structures{
      onDoseGrid(PlanStructureMask{"PTV", ptvMask.geometry, ptvMask.inside}, doseGrid)};
  for (const PlanStructureMask* m : named) structures.push_back(onDoseGrid(*m, doseGrid));
  const Normalisation normalisation = normalisationFromString(s.normalise, s.prescription_Gy);
  // Start from equal weights at the prescription: one-sided penalties have flat optima, and the
  // optimiser then moves only as far from the classic equally weighted plan as the objectives
  // ask.
  BeamWeightOptions optimiserOptions;
  optimiserOptions.initialWeights = normaliseWeights(beamDoses, structures, normalisation,
                                                     std::vector<double>(beamDoses.size(), 1.0));
  const auto ptvD95 = [&](const std::vector<double>& w) {
    std::vector<double> doses;
    doses.reserve(structures.front().voxels.size());
    for (std::size_t v : structures.front().voxels) {
      double d = 0.0;
      for (std::size_t b = 0; b < beamDoses.size(); ++b) d += w[b] * beamDoses[b].values[v];
      doses.push_back(d);
    }
    return doseAtVolume(std::move(doses), 95.0);
  };
  constexpr int kCoverageRounds = 8;
  for (int round = 0;; ++round) {
    result.optimised = optimiseBeamWeights(beamDoses, structures, objectives, optimiserOptions,
                                           *subRange(progress, 0.85 + 0.012 * std::min(round, 9),
                                                     0.85 + 0.012 * std::min(round + 1, 10)));
    result.weights =
        normaliseWeights(beamDoses, structures, normalisation, result.optimised.weights);
    const double d95 = ptvD95(result.weights);
    const double goal = s.coverageD95_percent / 100.0 * s.prescription_Gy;
    if (d95 >= goal || round == kCoverageRounds) {
      if (d95 < goal)
        result.notes.push_back("The PTV's D95 is " + std::to_string(d95) + " Gy, below " +
                               std::to_string(goal) +
                               " Gy even with the target objectives weighted " +
                               std::to_string(result.targetImportance) +
                               "x; add beams or relax the organ-at-risk objectives.");
      break;
    }
    result.targetImportance *= 4.0;
    for (DoseObjective& o : objectives)
      if (o.structure == "PTV") o.importance *= 4.0;
    optimiserOptions.initialWeights = result.weights;
  }
  if (result.targetImportance > 1.0)
    result.notes.push_back("The PTV objectives were weighted " +
                           std::to_string(result.targetImportance) +
                           "x to keep the PTV's D95 at the coverage goal.");
  result.values = evaluateObjectives(beamDoses, structures, objectives, result.weights);
  result.normalisationDose_Gy =
      normalisationMetric(beamDoses, structures, normalisation, result.weights);

  plan.fractionGroups.front().fractionsPlanned = s.fractions;
  for (std::size_t b = 0; b < plan.beams.size(); ++b) plan.beams[b].meterset = result.weights[b];
  // The course dose: sum of the beams' doses at their weights.
  ScalarField& dose = result.dose;
  dose.geometry = doseGrid;
  dose.quantity = "dose";
  dose.unit = beamDoses.front().unit;
  dose.name = "Dose (" + s.engine + ", " + s.label + ")";
  dose.values.assign(doseGrid.voxelCount(), 0.0f);
  for (std::size_t b = 0; b < beamDoses.size(); ++b) {
    const float w = static_cast<float>(result.weights[b]);
    const std::vector<float>& d = beamDoses[b].values;
    for (std::size_t v = 0; v < d.size(); ++v) dose.values[v] += w * d[v];
  }
  for (const PlanningStructure& st : structures)
    result.structures.push_back(structureDose(st, dose));
  progress.report(1.0, "Plan optimised");
  return result;
}

json conformalPlanJson(const ConformalPlan& r, const ConformalPlanSettings& s) {
  json beams = json::array();
  for (std::size_t b = 0; b < r.plan.beams.size(); ++b) {
    const Aperture& ap = r.apertures[b].aperture;
    const PlanBeamSpec& spec = s.beams[b];
    beams.push_back({{"number", b + 1},
                     {"name", spec.name},
                     {"gantry_deg", spec.gantry_deg},
                     {"collimator_deg", spec.collimator_deg},
                     {"couch_deg", spec.couch_deg},
                     {"energy_mv", s.energy_MV},
                     {"mu_per_fraction", r.weights[b]},
                     {"open_leaf_pairs", r.apertures[b].openLeafPairs},
                     {"jaws_mm", {ap.x1_mm, ap.x2_mm, ap.y1_mm, ap.y2_mm}},
                     {"machine_warnings", r.apertures[b].warnings}});
  }
  json objectives = json::array();
  for (const ObjectiveValue& v : r.values)
    objectives.push_back({{"structure", v.objective.structure},
                          {"type", toString(v.objective.kind)},
                          {"dose_gy", v.objective.dose_Gy},
                          {"volume_percent", v.objective.volume_percent},
                          {"importance", v.objective.importance},
                          {"achieved", v.achieved},
                          {"met", v.met},
                          {"penalty", v.penalty}});
  json structures = json::array();
  for (const PlannedStructureDose& d : r.structures)
    structures.push_back({{"name", d.name},
                          {"dose_grid_voxels", d.voxels},
                          {"mean_gy", d.mean_Gy},
                          {"max_gy", d.max_Gy},
                          {"d95_gy", d.d95_Gy},
                          {"d2_gy", d.d2_Gy}});
  const ImageGeometry& g = r.dose.geometry;
  const std::string machine = s.aperture.machine ? s.aperture.machine->name : "none";
  return {
      {"plan_label", r.plan.label},
      {"frame_of_reference_uid", r.plan.frameOfReferenceUid},
      {"patient_position", r.patientPosition},
      {"ptv_volume_cm3", r.ptvVolume_cm3},
      {"aperture_margin_mm", s.apertureMargin_mm},
      {"machine", machine},
      {"isocentre_lps_mm", {r.isocentre_lps.x(), r.isocentre_lps.y(), r.isocentre_lps.z()}},
      {"prescription_gy", s.prescription_Gy},
      {"fractions", s.fractions},
      {"normalisation", {{"metric", s.normalise}, {"dose_gy", r.normalisationDose_Gy}}},
      {"beams", beams},
      {"objectives", objectives},
      {"structures", structures},
      {"optimiser", {{"iterations", r.optimised.iterations}, {"objective", r.optimised.objective}}},
      {"grid", {{"spacing_mm", s.grid_mm}, {"size", {g.size[0], g.size[1], g.size[2]}}}},
      {"engine", s.engine + ", " + photonBeamModel(s.energy_MV).id},
      {"max_dose_gy", *std::max_element(r.dose.values.begin(), r.dose.values.end())},
      {"notes", r.notes}};
}

}  // namespace twinplan::radiotherapy
