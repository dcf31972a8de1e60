// Job "plan-conformal": a conformal photon plan made on a case (issue #19 item 3). The case's
// planning CT and segments give the PTV (a segment, grown by a CTV -> PTV margin when given) and
// the organs at risk with their objectives ("NAME:max:20", radiotherapy/conformal_plan.h);
// radiotherapy::planConformal conforms the apertures within the machine's limits, computes each
// beam's dose, optimises the weights and normalises them to the prescription. The plan (as the
// RT panel keeps plans, engine/rt_plan_record.h) and its course dose (quantity "dose", Gy) are
// stored as ONE undoable step (edits::storeSimulationOutputs; a plan and dose of the same name
// are replaced), and the case is saved.
#include <algorithm>
#include <chrono>

#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/core/simulation_outputs_edit.h"
#include "twinplan/engine/conformal_planning.h"
#include "twinplan/engine/rt_plan_record.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_writer.h"
#include "twinplan/radiotherapy/conformal_plan.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/morphology.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;
namespace rt = radiotherapy;
using nlohmann::json;

std::string segmentNames(const Case& twin) {
  std::string names;
  for (const LabelMap& l : twin.labelMaps)
    for (const Segment& s : l.segments()) names += (names.empty() ? "" : ", ") + s.name;
  return names.empty() ? "none" : names;
}

// The segment `name` on the CT's grid (nearest label-map voxel when the grids differ).
rt::PlanStructureMask segmentOnCt(const Case& twin, const std::string& name,
                                  const ImageGeometry& ct) {
  for (const LabelMap& labels : twin.labelMaps) {
    const std::optional<std::size_t> s = labels.findSegment(name);
    if (!s) continue;
    const segmentation::BinaryMask mask = segmentation::extractSegment(labels, *s);
    rt::PlanStructureMask out{name, ct, {}};
    if (mask.geometry.size == ct.size && mask.geometry.origin_lps.isApprox(ct.origin_lps) &&
        mask.geometry.spacing_mm.isApprox(ct.spacing_mm) &&
        mask.geometry.direction.isApprox(ct.direction)) {
      out.inside = mask.voxels;
      return out;
    }
    out.inside.assign(ct.voxelCount(), 0);
    const auto r = [](double x) { return static_cast<std::int64_t>(std::lround(x)); };
    for (std::int64_t k = 0; k < ct.size[2]; ++k)
      for (std::int64_t j = 0; j < ct.size[1]; ++j)
        for (std::int64_t i = 0; i < ct.size[0]; ++i) {
          const Vec3 ijk = mask.geometry.lpsToIndex(ct.indexToLps(Vec3(i, j, k)));
          if (mask.geometry.contains(ijk) && mask.at(r(ijk.x()), r(ijk.y()), r(ijk.z())))
            out.inside[ct.linearIndex(i, j, k)] = 1;
        }
    return out;
  }
  throw Error(ErrorKind::NotFound,
              "The case has no segment named \"" + name + "\" (it has " + segmentNames(twin) +
                  "); name the target and organs at risk as the Segments list shows them.",
              name);
}

// The parameters of a plan on a case, checked before any work.
struct ConformalRequest {
  explicit ConformalRequest(const JobParameters& p)
      : ct(p.text("ct", "")),
        ptv(p.text("ptv")),
        ctvMargin_mm(p.number("margin_mm", 0.0, 0.0, 30.0)),
        oars(p.texts("oars")) {
    settings.beams = rt::parseBeamSpecs(p.text("beams", "G0,G120,G240"));
    settings.apertureMargin_mm =
        p.number("aperture_margin_mm", rt::kDefaultApertureMargin_mm, 0.0, 50.0);
    settings.prescription_Gy = p.number("prescription_gy", 60.0, 0.1, 200.0);
    settings.fractions = static_cast<int>(p.integer("fractions", 30, 1, 100));
    settings.normalise = p.text("normalise", "d50");
    settings.energy_MV = p.number("energy_mv", 6.0, 1.0, 25.0);
    settings.grid_mm = p.number("grid_mm", 2.5, 0.5, 20.0);
    settings.engine = p.text("engine", "pencil-beam");
    settings.patientPosition = p.text("position", "");
    settings.label = p.text("label", "Conformal");
    for (const std::string& o : oars) settings.objectives.push_back(rt::parseStructureObjective(o));
    if (ptv.empty()) throw Error(ErrorKind::InvalidInput, "Name the target segment.", "ptv");
    if (settings.label.empty())
      throw Error(ErrorKind::InvalidInput, "Give the plan a label.", "label");
    settings.validate();
  }
  static const std::vector<std::string>& known() {
    static const std::vector<std::string> k{"ct",
                                            "ptv",
                                            "margin_mm",
                                            "oars",
                                            "beams",
                                            "aperture_margin_mm",
                                            "prescription_gy",
                                            "fractions",
                                            "normalise",
                                            "energy_mv",
                                            "grid_mm",
                                            "engine",
                                            "position",
                                            "label"};
    return k;
  }
  json toJson() const {
    std::string beams;
    for (const rt::PlanBeamSpec& b : settings.beams) beams += (beams.empty() ? "" : ",") + b.name;
    return {{"ct", ct},
            {"ptv", ptv},
            {"margin_mm", ctvMargin_mm},
            {"oars", oars},
            {"beams", beams},
            {"aperture_margin_mm", settings.apertureMargin_mm},
            {"prescription_gy", settings.prescription_Gy},
            {"fractions", settings.fractions},
            {"normalise", settings.normalise},
            {"energy_mv", settings.energy_MV},
            {"grid_mm", settings.grid_mm},
            {"engine", settings.engine},
            {"position", settings.patientPosition},
            {"label", settings.label}};
  }

  std::string ct, ptv;
  double ctvMargin_mm;
  std::vector<std::string> oars;
  rt::ConformalPlanSettings settings;
};

ConformalPlanOutcome planOnCase(const Case& twin, const ConformalRequest& r,
                                const std::string& where, Progress& progress) {
  const ImageVolume& ct = planningCt(twin, r.ct, where);
  const ImageGeometry grid = ct.geometry();
  rt::PlanStructureMask ptv = segmentOnCt(twin, r.ptv, grid);
  if (r.ctvMargin_mm > 0.0) {
    segmentation::BinaryMask ctv(grid);
    ctv.voxels = std::move(ptv.inside);
    ptv.inside = segmentation::grow(ctv, r.ctvMargin_mm, *subRange(progress, 0.0, 0.04)).voxels;
  }
  ptv.name = "PTV";
  std::vector<rt::PlanStructureMask> structures;
  for (const rt::DoseObjective& o : r.settings.objectives)
    if (o.structure != "PTV" &&
        std::none_of(structures.begin(), structures.end(),
                     [&](const rt::PlanStructureMask& m) { return m.name == o.structure; }))
      structures.push_back(segmentOnCt(twin, o.structure, grid));
  rt::ConformalPlan made =
      rt::planConformal(ct, ptv, structures, r.settings, *subRange(progress, 0.04, 1.0));
  // The plan is an RT Plan from the start: a dose computed from it (`dose --plan NAME`) and its
  // export (`export-plan`) reference this one SOP Instance UID (PS3.3 C.8.8.3, C.8.8.9).
  made.plan.sopClassUid = io::kRtPlanSopClass;
  made.plan.sopInstanceUid = io::makeDicomUid(io::UidKind::Instance);
  ConformalPlanOutcome outcome;
  outcome.report = rt::conformalPlanJson(made, r.settings);
  outcome.report["ptv"] = {{"segment", r.ptv}, {"margin_mm", r.ctvMargin_mm}};
  outcome.report["ct"] = ct.name;
  outcome.report["field"] = made.dose.name;
  outcome.report["plan"] = r.settings.label;
  outcome.report["rtplan_sop_instance_uid"] = made.plan.sopInstanceUid;
  SimulationOutputs outputs;
  // The dose's result id, given here so that the plan record can name it: the id of the result
  // it replaces (a plan made again), else a new one.
  const auto same = std::find_if(twin.fields.begin(), twin.fields.end(),
                                 [&](const ScalarField& f) { return f.name == made.dose.name; });
  made.dose.id = same != twin.fields.end() ? same->id : newResultId(twin);
  const std::string doseName = made.dose.name, doseId = made.dose.id;
  outputs.fields.push_back(std::move(made.dose));
  Plan record{kRadiotherapyPlanKind, r.settings.label, rtPlanToJson(made.plan)};
  record.parameters[kPlanDoseFieldKey] = doseName;  // the views draw its beams with it
  record.parameters[kPlanDoseIdKey] = doseId;
  outcome.report["field_id"] = doseId;
  outputs.plans.push_back(std::move(record));
  outcome.edit =
      edits::storeSimulationOutputs(twin, std::move(outputs), "Plan conformal " + r.settings.label);
  return outcome;
}

class PlanConformalJob final : public Job {
 public:
  explicit PlanConformalJob(const JobParameters& p)
      : case_(p.file("case")), output_(p.file("output", "")), request_(p) {
    std::vector<std::string> known = ConformalRequest::known();
    known.insert(known.end(), {"case", "output"});
    p.rejectUnknown(known);
  }
  std::string kind() const override { return "plan-conformal"; }
  json parameters() const override {
    json j = request_.toJson();
    j["case"] = case_.string();
    j["output"] = output_.string();
    return j;
  }

  json run(Progress& progress, CheckpointStore*) override {
    const auto start = std::chrono::steady_clock::now();
    Case twin = loadCase(case_, *subRange(progress, 0.0, 0.05));
    ConformalPlanOutcome outcome =
        planOnCase(twin, request_, case_.string(), *subRange(progress, 0.05, 0.9));
    CaseEditor editor(std::move(twin));
    editor.apply(std::move(outcome.edit));
    twin = editor.reset({});
    const fs::path out = output_.empty() ? case_ : output_;
    saveCase(twin, out, *subRange(progress, 0.9, 1.0));
    json result = std::move(outcome.report);
    result["output"] = out.string();
    result["time_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  fs::path case_, output_;
  ConformalRequest request_;
};

}  // namespace

std::unique_ptr<Job> makePlanConformalJob(const JobParameters& parameters) {
  return std::make_unique<PlanConformalJob>(parameters);
}

ConformalPlanOutcome planConformalInCase(const Case& twin, const json& parameters,
                                         Progress& progress) {
  const JobParameters p(parameters, "plan-conformal", {});
  p.rejectUnknown(ConformalRequest::known());
  const ConformalRequest request(p);
  return planOnCase(twin, request, twin.name.empty() ? "the case" : twin.name, progress);
}

}  // namespace twinplan::engine
