#include "plan_command.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_reference.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/radiotherapy/beam_weights.h"
#include "twinplan/radiotherapy/conformal_aperture.h"
#include "twinplan/radiotherapy/pencil_beam.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/morphology.h"

namespace twinplan::cli {
namespace {

namespace fs = std::filesystem;
namespace rt = radiotherapy;
using nlohmann::json;

constexpr double kSourceAxisDistance_mm = 1000.0;  // the isocentric linac standard (IEC 60976)

struct BeamSpec {
  double gantry_deg = 0.0, collimator_deg = 0.0, couch_deg = 0.0;
  std::string name;
};

// "G0,G90C15,G270T10": gantry, then optional collimator (C) and couch (T, table) angles.
std::vector<BeamSpec> parseBeams(const std::string& text) {
  static const std::regex kBeam(R"(\s*G(-?[0-9.]+)(?:C(-?[0-9.]+))?(?:T(-?[0-9.]+))?\s*)",
                                std::regex::icase);
  std::vector<BeamSpec> beams;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    std::smatch m;
    if (!std::regex_match(item, m, kBeam))
      throw Error(ErrorKind::InvalidInput,
                  "The beam \"" + item +
                      "\" is not G<gantry>[C<collimator>][T<couch>] in degrees, e.g. G0 or "
                      "G90C15; give --beams \"G0,G90,...\".",
                  "--beams");
    BeamSpec b;
    b.gantry_deg = std::stod(m[1]);
    if (m[2].matched) b.collimator_deg = std::stod(m[2]);
    if (m[3].matched) b.couch_deg = std::stod(m[3]);
    b.name = item.substr(item.find_first_not_of(' '));
    b.name = b.name.substr(0, b.name.find_last_not_of(' ') + 1);
    beams.push_back(b);
    start = comma + 1;
  }
  return beams;
}

const io::DicomSeries& planningCt(const io::DicomIndex& index, const fs::path& folder) {
  const io::DicomSeries* best = nullptr;
  for (const io::DicomSeries* s : index.allSeries())
    if (s->modality == "CT" && s->kind == io::SeriesKind::Volume &&
        (!best || s->frameCount() > best->frameCount()))
      best = s;
  if (!best)
    throw Error(
        ErrorKind::NotFound,
        "The folder " + folder.string() + " holds no CT series; planning needs the planning CT.",
        folder.string());
  return *best;
}

segmentation::BinaryMask roiMask(const LabelMap& labels, const std::string& name,
                                 const fs::path& structures) {
  const std::optional<std::size_t> s = labels.findSegment(name);
  if (!s) {
    std::string names;
    for (const Segment& seg : labels.segments()) names += (names.empty() ? "" : ", ") + seg.name;
    throw Error(ErrorKind::NotFound,
                "The structure set " + structures.string() + " has no ROI named \"" + name +
                    "\" (it has " + names + ").",
                name);
  }
  return segmentation::extractSegment(labels, *s);
}

Vec3 centroid(const segmentation::BinaryMask& mask) {
  Vec3 sum = Vec3::Zero();
  std::size_t n = 0;
  const ImageGeometry& g = mask.geometry;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if (mask.at(i, j, k)) sum += Vec3(i, j, k), ++n;
  return g.indexToLps(sum / static_cast<double>(n));
}

// The dose-grid voxels whose centres lie in a voxel of `mask` (nearest CT voxel).
rt::PlanningStructure onDoseGrid(const std::string& name, const segmentation::BinaryMask& mask,
                                 const ImageGeometry& dose) {
  rt::PlanningStructure s{name, {}};
  for (std::int64_t k = 0; k < dose.size[2]; ++k)
    for (std::int64_t j = 0; j < dose.size[1]; ++j)
      for (std::int64_t i = 0; i < dose.size[0]; ++i) {
        const Vec3 ijk = mask.geometry.lpsToIndex(dose.indexToLps(Vec3(i, j, k)));
        if (!mask.geometry.contains(ijk)) continue;
        const auto r = [](double x) { return static_cast<std::int64_t>(std::lround(x)); };
        if (mask.at(r(ijk.x()), r(ijk.y()), r(ijk.z())))
          s.voxels.push_back(dose.linearIndex(i, j, k));
      }
  if (s.voxels.empty())
    throw Error(ErrorKind::InvalidInput,
                "The structure \"" + name + "\" covers no voxel centre of the " +
                    "dose grid; use a finer --grid.",
                name);
  return s;
}

// The ICRU 50 (1993) target dose range, 95 % to 107 % of the prescription, as the default
// objectives: a min and a max dose on the PTV of equal importance.
std::vector<rt::DoseObjective> defaultObjectives(double prescription_Gy) {
  return {{"PTV", rt::ObjectiveKind::MinDose, 0.95 * prescription_Gy, 0.0, 1.0},
          {"PTV", rt::ObjectiveKind::MaxDose, 1.07 * prescription_Gy, 0.0, 1.0}};
}

std::vector<rt::DoseObjective> readObjectives(const fs::path& file) {
  std::ifstream in(file);
  if (!in)
    throw Error(ErrorKind::NotFound, "Cannot open the objectives file " + file.string() + ".",
                file.string());
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::InvalidInput,
                "The objectives file " + file.string() + " is not JSON: " + e.what(),
                file.string());
  }
  const json& list = j.is_array() ? j : j.value("objectives", json::array());
  std::vector<rt::DoseObjective> objectives;
  for (const json& o : list) {
    if (!o.contains("structure") || !o.contains("type") || !o.contains("dose_gy"))
      throw Error(ErrorKind::InvalidInput,
                  "Each objective in " + file.string() +
                      " needs \"structure\", \"type\" and \"dose_gy\" (and \"volume_percent\" "
                      "for min_dvh and max_dvh): " +
                      o.dump(),
                  file.string());
    objectives.push_back({o["structure"].get<std::string>(),
                          rt::objectiveKindFromString(o["type"].get<std::string>()),
                          o["dose_gy"].get<double>(), o.value("volume_percent", 0.0),
                          o.value("importance", 1.0)});
  }
  if (objectives.empty())
    throw Error(ErrorKind::InvalidInput, "The objectives file " + file.string() + " lists none.",
                file.string());
  return objectives;
}

rt::Normalisation normalisationFrom(const std::string& text, double dose_Gy) {
  rt::Normalisation n{"PTV", rt::NormalisationMetric::Dv, 50.0, 0, dose_Gy};
  if (text == "mean") {
    n.metric = rt::NormalisationMetric::Mean;
    return n;
  }
  static const std::regex kDv(R"([dD]([0-9.]+))");
  std::smatch m;
  if (!std::regex_match(text, m, kDv) || std::stod(m[1]) <= 0.0 || std::stod(m[1]) > 100.0)
    throw Error(ErrorKind::InvalidInput,
                "--normalise \"" + text + "\" is not \"mean\" or dNN (e.g. d50, d95).",
                "--normalise");
  n.volume_percent = std::stod(m[1]);
  return n;
}

// A static beam with two control points (PS3.3 C.8.8.14: weight 0 and 1, same aperture).
io::Beam conformalBeam(int number, const BeamSpec& spec, const rt::Aperture& a,
                       const Vec3& isocentre, double energy_MV, double meterset_MU) {
  io::Beam beam;
  beam.number = number;
  beam.name = spec.name;
  beam.type = "STATIC";
  beam.radiationType = "PHOTON";
  beam.machine = "TwinPlan";
  beam.sourceAxisDistance_mm = kSourceAxisDistance_mm;
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

}  // namespace

json runPlanConformal(const PlanConformalArguments& a, Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (a.ptv.empty()) throw Error(ErrorKind::InvalidInput, "Name the target with --ptv.", "--ptv");
  if (!(a.prescription_Gy > 0.0) || a.fractions < 1)
    throw Error(ErrorKind::InvalidInput,
                "The prescription needs a dose above 0 Gy and at least one fraction.",
                "--prescription");
  const std::vector<BeamSpec> specs = parseBeams(a.beams);
  const rt::Normalisation normalisation = normalisationFrom(a.normalise, a.prescription_Gy);
  const std::vector<rt::DoseObjective> objectives =
      a.objectives.empty() ? defaultObjectives(a.prescription_Gy) : readObjectives(a.objectives);
  const rt::PhotonBeamModel& model = rt::photonBeamModel(a.energy_MV);
  rt::PencilBeamParameters parameters;
  parameters.doseGridSpacing_mm = a.grid_mm;
  parameters.validate();

  // The CT and the structures on it.
  const io::DicomIndex index = io::scanDicom(a.casePath, *subRange(progress, 0.0, 0.03));
  const io::DicomSeries& ctSeries = planningCt(index, a.casePath);
  const io::ReferenceSeries reference =
      io::referenceFromSeries(ctSeries, *subRange(progress, 0.03, 0.08));
  const ImageVolume ct = io::loadVolume(ctSeries, {}, *subRange(progress, 0.08, 0.13));
  const io::ImportedSegments rois =
      io::readRtStruct(a.structures, reference, *subRange(progress, 0.13, 0.18));
  const std::string structureSetUid = io::readRtStructContours(a.structures).sopInstanceUid;
  json notes = json::array();
  for (const std::string& n : rois.notes) notes.push_back(n);

  segmentation::BinaryMask ptv = roiMask(rois.labels, a.ptv, a.structures);
  if (a.margin_mm > 0.0) ptv = segmentation::grow(ptv, a.margin_mm, *subRange(progress, 0.18, 0.2));
  if (ptv.count() == 0)
    throw Error(ErrorKind::InvalidInput, "The ROI \"" + a.ptv + "\" is empty.", a.ptv);
  const Vec3 isocentre = centroid(ptv);

  std::string positionCode = a.position.empty() ? ct.dicom.patientPosition : a.position;
  if (positionCode.empty()) {
    positionCode = "HFS";
    notes.push_back("The CT states no Patient Position; head first supine (HFS) was assumed.");
  }
  const rt::PatientPosition position = rt::patientPositionFromString(positionCode);

  // Conformal apertures, and each beam's dose per MU (one fraction of 1 MU a beam).
  io::RtPlan plan;
  plan.label = a.label;
  plan.name = a.label;
  plan.geometry = "PATIENT";
  plan.frameOfReferenceUid = ct.dicom.frameOfReferenceUid;
  plan.patientPosition = positionCode;
  plan.prescriptionDose_Gy = a.prescription_Gy;
  plan.sopClassUid = io::kRtPlanSopClass;
  rt::ConformalApertureOptions apertureOptions;
  apertureOptions.margin_mm = a.apertureMargin_mm;
  std::vector<rt::ConformalAperture> apertures;
  io::FractionGroup group{1, 1, {}};
  for (std::size_t b = 0; b < specs.size(); ++b) {
    progress.check();
    const rt::BeamGeometry g =
        rt::beamGeometry(specs[b].gantry_deg, specs[b].collimator_deg, specs[b].couch_deg,
                         isocentre, kSourceAxisDistance_mm, position);
    apertures.push_back(rt::conformalAperture(g, ptv.geometry, ptv.voxels, apertureOptions));
    const int number = static_cast<int>(b) + 1;
    plan.beams.push_back(
        conformalBeam(number, specs[b], apertures.back().aperture, isocentre, a.energy_MV, 1.0));
    group.beamNumbers.push_back(number);
  }
  plan.fractionGroups = {group};
  progress.report(0.25, "Conformal apertures");
  const rt::DensityGrid density =
      rt::densityGridFromCt(ct, rt::defaultHuDensityCalibration(), *subRange(progress, 0.25, 0.3));
  const ImageGeometry doseGrid = rt::doseGridCovering(ct.geometry(), a.grid_mm);
  rt::PlanDose perMu = rt::computePlanDose(density, doseGrid, plan, position, parameters,
                                           *subRange(progress, 0.3, 0.85));
  for (const std::string& n : perMu.notes) notes.push_back(n);
  // Course dose per MU per fraction: the weights are MU per fraction.
  std::vector<ScalarField> beamDoses;
  for (rt::BeamDose& b : perMu.beams) {
    for (float& v : b.dose.values) v *= static_cast<float>(a.fractions);
    b.dose.name = b.beamName;
    beamDoses.push_back(std::move(b.dose));
  }

  // The structures the objectives name, on the dose grid.
  std::vector<rt::PlanningStructure> structures{onDoseGrid("PTV", ptv, doseGrid)};
  for (const rt::DoseObjective& o : objectives) {
    bool known = false;
    for (const rt::PlanningStructure& s : structures) known = known || s.name == o.structure;
    if (!known)
      structures.push_back(
          onDoseGrid(o.structure, roiMask(rois.labels, o.structure, a.structures), doseGrid));
  }
  // Start from equal weights at the prescription: one-sided penalties have flat optima, and
  // the optimiser then moves only as far from the classic equally weighted plan as the
  // objectives ask.
  rt::BeamWeightOptions optimiserOptions;
  optimiserOptions.initialWeights = rt::normaliseWeights(
      beamDoses, structures, normalisation, std::vector<double>(beamDoses.size(), 1.0));
  const rt::BeamWeightResult optimised = rt::optimiseBeamWeights(
      beamDoses, structures, objectives, optimiserOptions, *subRange(progress, 0.85, 0.95));
  const std::vector<double> weights =
      rt::normaliseWeights(beamDoses, structures, normalisation, optimised.weights);
  const std::vector<rt::ObjectiveValue> values =
      rt::evaluateObjectives(beamDoses, structures, objectives, weights);

  // The plan with its MU, written.
  plan.fractionGroups.front().fractionsPlanned = a.fractions;
  for (std::size_t b = 0; b < plan.beams.size(); ++b) plan.beams[b].meterset = weights[b];
  io::RtPlanWriteOptions writeOptions;
  writeOptions.dicom = ct.dicom;
  writeOptions.seriesDescription = "TwinPlan conformal plan";
  writeOptions.referencedStructureSetSopInstanceUid = structureSetUid;
  const std::string planUid = io::writeRtPlan(plan, a.out, writeOptions);
  progress.report(1.0, "Plan written");

  json beams = json::array();
  for (std::size_t b = 0; b < specs.size(); ++b) {
    const rt::Aperture& ap = apertures[b].aperture;
    beams.push_back({{"number", b + 1},
                     {"name", specs[b].name},
                     {"gantry_deg", specs[b].gantry_deg},
                     {"collimator_deg", specs[b].collimator_deg},
                     {"couch_deg", specs[b].couch_deg},
                     {"energy_mv", a.energy_MV},
                     {"mu_per_fraction", weights[b]},
                     {"open_leaf_pairs", apertures[b].openLeafPairs},
                     {"jaws_mm", {ap.x1_mm, ap.x2_mm, ap.y1_mm, ap.y2_mm}}});
  }
  json objectiveValues = json::array();
  for (const rt::ObjectiveValue& v : values)
    objectiveValues.push_back({{"structure", v.objective.structure},
                               {"type", rt::toString(v.objective.kind)},
                               {"dose_gy", v.objective.dose_Gy},
                               {"volume_percent", v.objective.volume_percent},
                               {"importance", v.objective.importance},
                               {"achieved", v.achieved},
                               {"met", v.met},
                               {"penalty", v.penalty}});
  return {
      {"plan_label", plan.label},
      {"output", a.out.string()},
      {"rtplan_sop_instance_uid", planUid},
      {"structure_set_sop_instance_uid", structureSetUid},
      {"frame_of_reference_uid", plan.frameOfReferenceUid},
      {"patient_position", positionCode},
      {"ptv",
       {{"roi", a.ptv}, {"margin_mm", a.margin_mm}, {"volume_cm3", ptv.volume_mm3() / 1000.0}}},
      {"aperture_margin_mm", a.apertureMargin_mm},
      {"isocentre_lps_mm", {isocentre.x(), isocentre.y(), isocentre.z()}},
      {"prescription_gy", a.prescription_Gy},
      {"fractions", a.fractions},
      {"normalisation",
       {{"metric", a.normalise},
        {"dose_gy", rt::normalisationMetric(beamDoses, structures, normalisation, weights)}}},
      {"beams", beams},
      {"objectives", objectiveValues},
      {"optimiser", {{"iterations", optimised.iterations}, {"objective", optimised.objective}}},
      {"grid",
       {{"spacing_mm", a.grid_mm},
        {"size", {doseGrid.size[0], doseGrid.size[1], doseGrid.size[2]}}}},
      {"engine", "pencil beam, " + model.id},
      {"notes", notes},
      {"time_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
}

void addPlanCommands(CLI::App& app, PlanCommands& c) {
  PlanConformalArguments& a = c.arguments;
  c.conformal = app.add_subcommand(
      "plan-conformal",
      "Conformal photon plan: MLC shaped to the PTV, beam weights optimised, RT Plan written");
  c.conformal->add_option("CASE", a.casePath, "Folder with the planning CT")->required();
  c.conformal->add_option("--structures", a.structures, "RT Structure Set (RS.dcm) on the CT")
      ->required();
  c.conformal->add_option("--ptv", a.ptv, "The target ROI (the CTV when --margin is given)")
      ->required();
  c.conformal->add_option("--beams", a.beams,
                          "Beams as G<gantry>[C<collimator>][T<couch>], comma separated "
                          "(G0,G120,G240)");
  c.conformal->add_option("--margin", a.margin_mm, "CTV -> PTV margin in mm, 3D (0)");
  c.conformal->add_option(
      "--aperture-margin", a.apertureMargin_mm,
      "Aperture margin beyond the PTV's projection for the penumbra, mm (7: with 6 MV "
      "it keeps the PTV's D95 >= 95 % of the prescription, docs/validation.md)");
  c.conformal->add_option("--objectives", a.objectives,
                          "Objectives JSON (default: PTV within 95-107 % of the prescription)");
  c.conformal->add_option("--prescription", a.prescription_Gy, "Prescription dose, Gy (60)");
  c.conformal->add_option("--fractions", a.fractions, "Number of fractions (30)");
  c.conformal->add_option("--normalise", a.normalise,
                          "PTV metric set to the prescription: d50 (default), dNN or mean");
  c.conformal->add_option("--energy", a.energy_MV, "Nominal energy, MV (6 or 10)");
  c.conformal->add_option("--grid", a.grid_mm, "Dose grid spacing, mm (2.5)");
  c.conformal->add_option("--position", a.position, "Patient position (default: the CT's)");
  c.conformal->add_option("--label", a.label, "RT Plan Label (Conformal)");
  c.conformal->add_option("--out", a.out, "Write the RT Plan here (RP.dcm)")->required();
}

bool runPlanCommand(const PlanCommands& c, bool asJson, Progress& progress) {
  if (!c.conformal || !*c.conformal) return false;
  const json r = runPlanConformal(c.arguments, progress);
  if (asJson) {
    std::cout << r.dump(2) << '\n';
    return true;
  }
  for (const json& b : r["beams"])
    std::printf("Beam %-10s %7.1f MU/fraction, %d leaf pairs open\n",
                b["name"].get<std::string>().c_str(), b["mu_per_fraction"].get<double>(),
                b["open_leaf_pairs"].get<int>());
  for (const json& o : r["objectives"])
    std::printf("  %-12s %-14s goal %6.2f  achieved %6.2f  %s\n",
                o["structure"].get<std::string>().c_str(), o["type"].get<std::string>().c_str(),
                o["dose_gy"].get<double>(), o["achieved"].get<double>(),
                o["met"].get<bool>() ? "met" : "not met");
  std::printf("Wrote %s\n", r["output"].get<std::string>().c_str());
  return true;
}

}  // namespace twinplan::cli
