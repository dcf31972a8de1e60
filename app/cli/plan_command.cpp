#include "plan_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>

#include "cli_options.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_reference.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/radiotherapy/conformal_plan.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/morphology.h"

namespace twinplan::cli {
namespace {

namespace fs = std::filesystem;
namespace rt = radiotherapy;
using nlohmann::json;

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

rt::PlanStructureMask onCt(std::string name, const segmentation::BinaryMask& mask) {
  return {std::move(name), mask.geometry, mask.voxels};
}

rt::ConformalPlanSettings settingsFrom(const PlanConformalArguments& a) {
  rt::ConformalPlanSettings s;
  s.beams = rt::parseBeamSpecs(a.beams);
  s.apertureMargin_mm = a.apertureMargin_mm;
  s.prescription_Gy = a.prescription_Gy;
  s.fractions = a.fractions;
  s.normalise = a.normalise;
  s.energy_MV = a.energy_MV;
  s.grid_mm = a.grid_mm;
  s.engine = a.engine;
  s.patientPosition = a.position;
  s.label = a.label;
  // An objectives file replaces the PTV's default range (it names the PTV's own objectives).
  if (!a.objectives.empty()) {
    s.targetObjectives = false;
    s.objectives = readObjectives(a.objectives);
  }
  for (const std::string& o : a.oars) s.objectives.push_back(rt::parseStructureObjective(o));
  s.validate();
  return s;
}

// The case form: the engine job on a case file.
json runPlanConformalOnCase(const PlanConformalArguments& a, Progress& progress) {
  json parameters = {{"case", fs::absolute(a.casePath).string()},
                     {"ptv", a.ptv},
                     {"margin_mm", a.margin_mm},
                     {"oars", a.oars},
                     {"beams", a.beams},
                     {"aperture_margin_mm", a.apertureMargin_mm},
                     {"prescription_gy", a.prescription_Gy},
                     {"fractions", a.fractions},
                     {"normalise", a.normalise},
                     {"energy_mv", a.energy_MV},
                     {"grid_mm", a.grid_mm},
                     {"engine", a.engine},
                     {"position", a.position},
                     {"label", a.label}};
  if (!a.out.empty()) parameters["output"] = fs::absolute(a.out).string();
  if (!a.objectives.empty())
    throw Error(ErrorKind::InvalidInput,
                "On a case, give the organs at risk's objectives with --oar NAME:KIND:VALUE; "
                "--objectives is for the RT Structure Set form.",
                "--objectives");
  const auto job = engine::makeJob({{"job", "plan-conformal"}, {"parameters", parameters}});
  return job->run(progress, nullptr);
}

}  // namespace

json runPlanConformal(const PlanConformalArguments& a, Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (a.ptv.empty()) throw Error(ErrorKind::InvalidInput, "Name the target with --ptv.", "--ptv");
  if (a.structures.empty() && fs::is_regular_file(a.casePath))
    return runPlanConformalOnCase(a, progress);
  if (a.structures.empty() || a.out.empty())
    throw Error(ErrorKind::InvalidInput,
                "With a DICOM folder, give the RT Structure Set (--structures RS.dcm) and the RT "
                "Plan to write (--out RP.dcm); with a case file (.twinplan), neither.",
                a.structures.empty() ? "--structures" : "--out");
  const rt::ConformalPlanSettings settings = settingsFrom(a);

  // The CT and the structures on it.
  const io::DicomIndex index = io::scanDicom(a.casePath, *subRange(progress, 0.0, 0.03));
  const io::DicomSeries& ctSeries = planningCt(index, a.casePath);
  const io::ReferenceSeries reference =
      io::referenceFromSeries(ctSeries, *subRange(progress, 0.03, 0.08));
  const ImageVolume ct = io::loadVolume(ctSeries, {}, *subRange(progress, 0.08, 0.13));
  const io::ImportedSegments rois =
      io::readRtStruct(a.structures, reference, *subRange(progress, 0.13, 0.18));
  const std::string structureSetUid = io::readRtStructContours(a.structures).sopInstanceUid;

  segmentation::BinaryMask ptv = roiMask(rois.labels, a.ptv, a.structures);
  if (a.margin_mm > 0.0) ptv = segmentation::grow(ptv, a.margin_mm, *subRange(progress, 0.18, 0.2));
  if (ptv.count() == 0)
    throw Error(ErrorKind::InvalidInput, "The ROI \"" + a.ptv + "\" is empty.", a.ptv);
  std::vector<rt::PlanStructureMask> structures;
  for (const rt::DoseObjective& o : settings.objectives)
    if (o.structure != "PTV" &&
        std::none_of(structures.begin(), structures.end(),
                     [&](const rt::PlanStructureMask& m) { return m.name == o.structure; }))
      structures.push_back(onCt(o.structure, roiMask(rois.labels, o.structure, a.structures)));
  rt::ConformalPlan made =
      rt::planConformal(ct, onCt("PTV", ptv), structures, settings, *subRange(progress, 0.2, 0.97));

  io::RtPlanWriteOptions writeOptions;
  writeOptions.dicom = ct.dicom;
  writeOptions.seriesDescription = "TwinPlan conformal plan";
  writeOptions.referencedStructureSetSopInstanceUid = structureSetUid;
  const std::string planUid = io::writeRtPlan(made.plan, a.out, writeOptions);
  progress.report(1.0, "Plan written");

  json r = rt::conformalPlanJson(made, settings);
  for (const std::string& n : rois.notes) r["notes"].push_back(n);
  r["output"] = a.out.string();
  r["rtplan_sop_instance_uid"] = planUid;
  r["structure_set_sop_instance_uid"] = structureSetUid;
  r["ptv"] = {{"roi", a.ptv}, {"margin_mm", a.margin_mm}, {"volume_cm3", made.ptvVolume_cm3}};
  r["time_s"] = secondsSince(start);
  return r;
}

void addPlanCommands(CLI::App& app, PlanCommands& c) {
  PlanConformalArguments& a = c.arguments;
  c.conformal = app.add_subcommand(
      "plan-conformal",
      "Conformal photon plan: MLC shaped to the PTV, beam weights optimised, RT Plan written");
  c.conformal
      ->add_option("CASE", a.casePath,
                   "Folder with the planning CT (with --structures), or a case file (.twinplan)")
      ->required();
  c.conformal->add_option("--structures", a.structures,
                          "RT Structure Set (RS.dcm) on the CT (DICOM form)");
  c.conformal->add_option("--ptv", a.ptv, "The target ROI or segment (the CTV with --margin)")
      ->required();
  c.conformal->add_option("--oar", a.oars,
                          "Objective NAME:KIND:VALUE[:IMPORTANCE], KIND max|mean|min (Gy), dNN "
                          "(D_NN% <= Gy) or vNN (V_NN Gy <= %); repeat for each");
  c.conformal->add_option("--engine", a.engine, "Dose engine: pencil-beam or collapsed-cone");
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
  c.conformal->add_option("--out", a.out,
                          "Write the RT Plan here (RP.dcm); on a case: the case to write "
                          "(default: in place)");

  PlanExportArguments& e = c.exportArguments;
  c.exportPlan = app.add_subcommand(
      "export-plan",
      "Export a plan stored in a case as RT Structure Set + RT Plan + RT Dose (RS.dcm, RP.dcm, "
      "RD.dcm) that reference each other");
  c.exportPlan->add_option("CASE", e.casePath, "Case file (.twinplan)")->required();
  c.exportPlan
      ->add_option("--plan", e.plan, "The plan's name in the case (or its SOP Instance UID)")
      ->required();
  c.exportPlan->add_option("--out", e.out, "Folder to write RS.dcm, RP.dcm and RD.dcm into")
      ->required();
  c.exportPlan->add_option("--ct", e.ct, "The planning CT's volume name (default: the first CT)");
}

namespace {

json runPlanExport(const PlanExportArguments& a, Progress& progress) {
  const auto job = engine::makeJob({{"job", "export-plan"},
                                    {"parameters",
                                     {{"case", fs::absolute(a.casePath).string()},
                                      {"plan", a.plan},
                                      {"ct", a.ct},
                                      {"output", fs::absolute(a.out).string()}}}});
  return job->run(progress, nullptr);
}

void printPlanExport(const json& r) {
  std::printf("Plan \"%s\": %zu beams, %d fractions, dose max %.2f Gy\n",
              r["plan"].get<std::string>().c_str(), r["beams"].size(), r["fractions"].get<int>(),
              r["dose"]["max_gy"].get<double>());
  for (const char* file : {"rtstruct", "rtplan", "rtdose"})
    std::printf("Wrote %s\n", r["files"][file].get<std::string>().c_str());
  for (const json& n : r["notes"]) std::printf("  note: %s\n", n.get<std::string>().c_str());
}

void printConformalPlan(const json& r) {
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
}

}  // namespace

bool runPlanCommand(const PlanCommands& c, bool asJson, Progress& progress) {
  if (c.exportPlan && *c.exportPlan) {
    printResult(runPlanExport(c.exportArguments, progress), asJson, printPlanExport);
    return true;
  }
  if (!c.conformal || !*c.conformal) return false;
  printResult(runPlanConformal(c.arguments, progress), asJson, printConformalPlan);
  return true;
}

}  // namespace twinplan::cli
