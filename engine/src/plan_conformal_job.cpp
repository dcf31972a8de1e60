// Job "plan-conformal": a conformal photon plan made on a case (issue #19 item 3). The case's
// planning CT and segments give the PTV (a segment, grown by a CTV -> PTV margin when given) and
// the organs at risk with their objectives ("NAME:max:20", radiotherapy/conformal_plan.h);
// radiotherapy::planConformal conforms the apertures within the machine's limits, computes each
// beam's dose, optimises the weights and normalises them to the prescription. The plan (as the
// RT panel keeps plans, engine/rt_plan_record.h) and its course dose (quantity "dose", Gy) are
// stored as ONE undoable step (edits::storeSimulationOutputs; a plan and dose of the same name
// are replaced), and the case is saved.
#include <chrono>

#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/core/simulation_outputs_edit.h"
#include "twinplan/engine/rt_plan_record.h"
#include "twinplan/radiotherapy/conformal_plan.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/morphology.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;
namespace rt = radiotherapy;
using nlohmann::json;

const ImageVolume& planningCt(const Case& twin, const std::string& name, const fs::path& file) {
  for (const ImageVolume& v : twin.volumes)
    if ((name.empty() && (v.dicom.modality == "CT" || v.unit == "HU")) || v.name == name) return v;
  throw Error(ErrorKind::NotFound,
              name.empty() ? "The case " + file.string() +
                                 " has no CT volume (in HU); import the planning CT first."
                           : "The case " + file.string() + " has no volume named \"" + name + "\".",
              name.empty() ? file.string() : name);
}

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

class PlanConformalJob final : public Job {
 public:
  explicit PlanConformalJob(const JobParameters& p)
      : case_(p.file("case")),
        output_(p.file("output", "")),
        ct_(p.text("ct", "")),
        ptv_(p.text("ptv")),
        ctvMargin_mm_(p.number("margin_mm", 0.0, 0.0, 30.0)),
        oars_(p.texts("oars")) {
    p.rejectUnknown({"case", "output", "ct", "ptv", "margin_mm", "oars", "beams",
                     "aperture_margin_mm", "prescription_gy", "fractions", "normalise", "energy_mv",
                     "grid_mm", "engine", "position", "label"});
    settings_.beams = rt::parseBeamSpecs(p.text("beams", "G0,G120,G240"));
    settings_.apertureMargin_mm =
        p.number("aperture_margin_mm", rt::kDefaultApertureMargin_mm, 0.0, 50.0);
    settings_.prescription_Gy = p.number("prescription_gy", 60.0, 0.1, 200.0);
    settings_.fractions = static_cast<int>(p.integer("fractions", 30, 1, 100));
    settings_.normalise = p.text("normalise", "d50");
    settings_.energy_MV = p.number("energy_mv", 6.0, 1.0, 25.0);
    settings_.grid_mm = p.number("grid_mm", 2.5, 0.5, 20.0);
    settings_.engine = p.text("engine", "pencil-beam");
    settings_.patientPosition = p.text("position", "");
    settings_.label = p.text("label", "Conformal");
    for (const std::string& o : oars_)
      settings_.objectives.push_back(rt::parseStructureObjective(o));
    if (ptv_.empty()) throw Error(ErrorKind::InvalidInput, "Name the target segment.", "ptv");
    settings_.validate();
  }
  std::string kind() const override { return "plan-conformal"; }
  json parameters() const override {
    std::string beams;
    for (const rt::PlanBeamSpec& b : settings_.beams) beams += (beams.empty() ? "" : ",") + b.name;
    return {{"case", case_.string()},
            {"output", output_.string()},
            {"ct", ct_},
            {"ptv", ptv_},
            {"margin_mm", ctvMargin_mm_},
            {"oars", oars_},
            {"beams", beams},
            {"aperture_margin_mm", settings_.apertureMargin_mm},
            {"prescription_gy", settings_.prescription_Gy},
            {"fractions", settings_.fractions},
            {"normalise", settings_.normalise},
            {"energy_mv", settings_.energy_MV},
            {"grid_mm", settings_.grid_mm},
            {"engine", settings_.engine},
            {"position", settings_.patientPosition},
            {"label", settings_.label}};
  }

  json run(Progress& progress, CheckpointStore*) override {
    const auto start = std::chrono::steady_clock::now();
    Case twin = loadCase(case_, *subRange(progress, 0.0, 0.05));
    const ImageVolume& ct = planningCt(twin, ct_, case_);
    const ImageGeometry grid = ct.geometry();
    rt::PlanStructureMask ptv = segmentOnCt(twin, ptv_, grid);
    if (ctvMargin_mm_ > 0.0) {
      segmentation::BinaryMask ctv(grid);
      ctv.voxels = std::move(ptv.inside);
      ptv.inside = segmentation::grow(ctv, ctvMargin_mm_, *subRange(progress, 0.05, 0.08)).voxels;
    }
    ptv.name = "PTV";
    std::vector<rt::PlanStructureMask> structures;
    for (const rt::DoseObjective& o : settings_.objectives)
      if (o.structure != "PTV" &&
          std::none_of(structures.begin(), structures.end(),
                       [&](const rt::PlanStructureMask& m) { return m.name == o.structure; }))
        structures.push_back(segmentOnCt(twin, o.structure, grid));
    rt::ConformalPlan made =
        rt::planConformal(ct, ptv, structures, settings_, *subRange(progress, 0.08, 0.9));
    json result = rt::conformalPlanJson(made, settings_);
    result["ptv"] = {{"segment", ptv_}, {"margin_mm", ctvMargin_mm_}};
    result["ct"] = ct.name;
    result["field"] = made.dose.name;
    result["plan"] = settings_.label;

    SimulationOutputs outputs;
    outputs.fields.push_back(std::move(made.dose));
    outputs.plans.push_back(Plan{kRadiotherapyPlanKind, settings_.label, rtPlanToJson(made.plan)});
    CaseEditor editor(std::move(twin));
    editor.apply(edits::storeSimulationOutputs(editor.twin(), std::move(outputs),
                                               "Plan conformal " + settings_.label));
    twin = editor.reset({});
    const fs::path out = output_.empty() ? case_ : output_;
    saveCase(twin, out, *subRange(progress, 0.9, 1.0));
    result["output"] = out.string();
    result["time_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  fs::path case_, output_;
  std::string ct_, ptv_;
  double ctvMargin_mm_;
  std::vector<std::string> oars_;
  rt::ConformalPlanSettings settings_;
};

}  // namespace

std::unique_ptr<Job> makePlanConformalJob(const JobParameters& parameters) {
  return std::make_unique<PlanConformalJob>(parameters);
}

}  // namespace twinplan::engine
