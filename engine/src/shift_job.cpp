// Job "shift": tissue shift on a case (issue #18 items 3, 4 and 8). The brain-shift scenario
// (tissue/brain_shift.h) meshes the brain and tumour of the case's labelmap, solves the sag
// after craniotomy and CSF loss, and moves every plan target (tumour centroids, ablation tips)
// with the tissue. The displacement field on the labelmap's grid (magnitude and L, P, S
// components), the brain's tetrahedral mesh and a "tissue-shift" plan with the targets' shifts
// go into the case through undoable edits, saved only after the whole simulation succeeded, so
// a failure leaves the case unchanged.
#include <algorithm>
#include <chrono>
#include <sstream>

#include "job_kinds.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/tissue/brain_shift.h"
#include "twinplan/tissue/displacement_field.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::array<double, 3> parsePoint(const std::string& text, const char* name) {
  std::istringstream in(text);
  std::array<double, 3> p{};
  char comma1 = 0, comma2 = 0;
  if (!(in >> p[0] >> comma1 >> p[1] >> comma2 >> p[2]) || comma1 != ',' || comma2 != ',' ||
      !(in >> std::ws).eof() || !Vec3(p[0], p[1], p[2]).allFinite())
    throw Error(ErrorKind::InvalidInput,
                "The " + std::string(name) + " \"" + text +
                    "\" is not a point; write it as x,y,z in LPS mm, e.g. 30,-60,40.",
                std::string("parameters.") + name);
  return p;
}

json vec(const Vec3& v) { return {v.x(), v.y(), v.z()}; }

struct Target {
  std::string name;
  Vec3 p_lps;
};

// Tumour centroids (every segment of tissue type "tumour") and ablation plans' probe tips.
std::vector<Target> planTargets(const Case& twin) {
  std::vector<Target> targets;
  for (const LabelMap& labels : twin.labelMaps) {
    const ImageGeometry& g = labels.geometry();
    for (std::size_t s = 0; s < labels.segments().size(); ++s) {
      if (labels.segments()[s].tissueType != "tumour") continue;
      Vec3 sum = Vec3::Zero();
      std::size_t count = 0;
      for (std::int64_t k = 0; k < g.size[2]; ++k)
        for (std::int64_t j = 0; j < g.size[1]; ++j)
          for (std::int64_t i = 0; i < g.size[0]; ++i)
            if (labels.contains(s, i, j, k)) {
              sum += Vec3(double(i), double(j), double(k));
              ++count;
            }
      if (count > 0)
        targets.push_back(
            {labels.segments()[s].name + " centroid", g.indexToLps(sum / double(count))});
    }
  }
  for (const Plan& plan : twin.plans) {
    if (plan.kind != "ablation") continue;
    const json& tip = plan.parameters.contains("tip_lps") ? plan.parameters["tip_lps"] : json();
    if (tip.is_array() && tip.size() == 3 && tip[0].is_number())
      targets.push_back({plan.name + " tip", Vec3(tip[0], tip[1], tip[2])});
  }
  return targets;
}

class ShiftJob final : public Job {
 public:
  explicit ShiftJob(const JobParameters& p)
      : case_(p.file("case")),
        output_(p.file("output", case_.string())),
        scenario_(p.text("scenario", "brain-shift")),
        openingText_(p.text("opening", "")),
        patientPosition_(p.text("patientPosition", "")) {
    p.rejectUnknown({"case", "output", "scenario", "opening", "radius_mm", "csfLoss_ml",
                     "fluidLevel_mm", "resolution_mm", "patientPosition", "headRotation_deg"});
    if (scenario_ != "brain-shift")
      throw Error(ErrorKind::Unsupported,
                  "The scenario \"" + scenario_ +
                      "\" is not available; this version simulates \"brain-shift\" (liver-tool "
                      "and resection are planned, issue #18).",
                  "parameters.scenario");
    if (!openingText_.empty()) brain_.openingCentre_lps = parsePoint(openingText_, "opening");
    brain_.openingRadius_mm = p.number("radius_mm", 25.0, -1e9, 1e9);
    if (p.has("csfLoss_ml")) brain_.csfLoss_ml = p.number("csfLoss_ml", 0.0, -1e9, 1e9);
    if (p.has("fluidLevel_mm")) brain_.fluidLevel_mm = p.number("fluidLevel_mm", 0.0, -1e9, 1e9);
    brain_.resolution_mm = p.number("resolution_mm", 6.0, -1e9, 1e9);
    brain_.headRotation_deg = p.number("headRotation_deg", 0.0, -1e9, 1e9);
    if (!patientPosition_.empty()) brain_.patientPosition = patientPosition_;
    brain_.validate();
  }

  std::string kind() const override { return "shift"; }
  json parameters() const override {
    json j = {{"case", case_.string()},
              {"output", output_.string()},
              {"scenario", scenario_},
              {"opening", openingText_},
              {"radius_mm", brain_.openingRadius_mm},
              {"resolution_mm", brain_.resolution_mm},
              {"patientPosition", patientPosition_},
              {"headRotation_deg", brain_.headRotation_deg}};
    if (brain_.csfLoss_ml) j["csfLoss_ml"] = *brain_.csfLoss_ml;
    if (brain_.fluidLevel_mm) j["fluidLevel_mm"] = *brain_.fluidLevel_mm;
    return j;
  }

  json run(Progress& progress, CheckpointStore*) override {
    auto loading = subRange(progress, 0.0, 0.05);
    Case twin = loadCase(case_, *loading);
    const std::size_t labelMap = brainLabelMap(twin);
    const LabelMap& labels = twin.labelMaps[labelMap];
    tissue::BrainShiftParameters brain = brain_;
    if (patientPosition_.empty()) brain.patientPosition = casePatientPosition(twin);
    const std::vector<Target> targets = planTargets(twin);
    if (!brain.openingCentre_lps && !targets.empty())
      brain.openingToward_lps = {targets[0].p_lps.x(), targets[0].p_lps.y(), targets[0].p_lps.z()};

    auto simulating = subRange(progress, 0.05, 0.8);
    const tissue::BrainShiftResult shift = tissue::simulateBrainShift(labels, brain, *simulating);
    const tissue::DisplacementInterpolator u(shift.mesh.model, shift.solution.displacement_mm);
    auto rasterising = subRange(progress, 0.8, 0.92);
    const tissue::DisplacementField field =
        tissue::rasterizeDisplacement(u, labels.geometry(), *rasterising);

    json targetsJson = json::array();
    for (const Target& t : targets) {
      const tissue::TargetShift s = tissue::shiftTarget(u, t.name, t.p_lps);
      targetsJson.push_back({{"name", s.name},
                             {"before_lps", vec(s.before_lps)},
                             {"after_lps", vec(s.after_lps)},
                             {"displacement_mm", vec(s.shift_mm)},
                             {"magnitude_mm", s.magnitude_mm},
                             {"inside_model", s.insideMesh}});
    }
    json report = {{"scenario", scenario_},
                   {"labelmap", labels.name},
                   {"patient_position", brain.patientPosition},
                   {"gravity_lps", vec(shift.gravity_lps)},
                   {"opening_lps", vec(shift.openingCentre_lps)},
                   {"opening_radius_mm", brain.openingRadius_mm},
                   {"fluid_level_mm", shift.fluidLevel_mm},
                   {"drained_elements", shift.drainedElements},
                   {"opening_nodes", shift.openingNodes},
                   {"fixed_nodes", shift.fixedNodes},
                   {"tet_count", shift.mesh.model.elements.size()},
                   {"node_count", shift.mesh.model.nodes.size()},
                   {"resolution_mm", brain.resolution_mm},
                   {"min_dihedral_deg", shift.mesh.quality.minDihedral_deg},
                   {"max_displacement_mm", shift.maxDisplacement_mm},
                   {"field_max_displacement_mm", field.maxMagnitude_mm()},
                   {"solve_time_s", shift.solution.solveTime_s},
                   {"targets", targetsJson}};

    // Into the case, one undoable edit each, only now that everything succeeded.
    CaseEditor editor(std::move(twin));
    for (ScalarField& f : tissue::displacementFields(field, "Brain shift"))
      editor.apply(edits::storeResult(editor.twin(), std::move(f)));
    Plan plan;
    plan.kind = "tissue-shift";
    plan.name = "Brain shift";
    plan.parameters = {{"job", parameters()}, {"result", report}};
    const Case& current = editor.twin();
    std::optional<std::size_t> existing;
    for (std::size_t i = 0; i < current.plans.size(); ++i)
      if (current.plans[i].kind == plan.kind && current.plans[i].name == plan.name) existing = i;
    editor.apply(existing ? edits::replacePlan(current, *existing, plan)
                          : edits::addPlan(current, plan));
    twin = editor.reset({});
    twin.tetMeshes.erase(std::remove_if(twin.tetMeshes.begin(), twin.tetMeshes.end(),
                                        [](const TetMesh& m) { return m.name == "Brain shift"; }),
                         twin.tetMeshes.end());
    twin.tetMeshes.push_back(tissue::caseTetMesh(shift.mesh, "Brain shift"));
    report["shifted_models"] = addShiftedModels(twin, labelMap, u);
    json record = {{"step", "shift"}, {"time", utcNowIso8601()}, {"parameters", parameters()}};
    twin.provenance.push_back(record);
    auto saving = subRange(progress, 0.92, 1.0);
    saveCase(twin, output_, *saving);
    report["output"] = output_.string();
    progress.report(1.0, "Tissue shift");
    return report;
  }

 private:
  std::size_t brainLabelMap(const Case& twin) const {
    for (std::size_t m = 0; m < twin.labelMaps.size(); ++m)
      for (const Segment& s : twin.labelMaps[m].segments())
        if (tissue::isBrainSegment(s)) return m;
    throw Error(ErrorKind::InvalidInput,
                "The case " + case_.string() +
                    " has no brain segment (tissue type grey-matter, white-matter or brain); "
                    "segment the brain first (twinplan-cli segment --preset brain).",
                "parameters.case");
  }

  // Each 3D model of a meshed segment (brain, ventricles, tumour), moved with the tissue, beside
  // the original: "<name> (shifted)", not tied to a segment (so a rebuild leaves it alone).
  static json addShiftedModels(Case& twin, std::size_t labelMap,
                               const tissue::DisplacementInterpolator& u) {
    const std::string suffix = " (shifted)";
    std::erase_if(twin.meshes, [&](const SurfaceMesh& m) {
      return m.name.size() > suffix.size() &&
             m.name.compare(m.name.size() - suffix.size(), suffix.size(), suffix) == 0;
    });
    json names = json::array();
    const LabelMap& labels = twin.labelMaps[labelMap];
    std::vector<SurfaceMesh> shifted;
    for (const SurfaceMesh& mesh : twin.meshes) {
      const auto s = labels.findSegment(mesh.segmentName);
      if (mesh.segmentName.empty() || !s) continue;
      const Segment& segment = labels.segments()[*s];
      if (!tissue::isBrainSegment(segment) && segment.name != "Ventricles" &&
          segment.tissueType != "tumour")
        continue;
      SurfaceMesh moved = tissue::warpSurfaceMesh(mesh, u);
      moved.name = mesh.name + suffix;
      moved.segmentName.clear();
      names.push_back(moved.name);
      shifted.push_back(std::move(moved));
    }
    twin.meshes.insert(twin.meshes.end(), shifted.begin(), shifted.end());
    return names;
  }

  // The first volume's DICOM Patient Position (0018,5100); head-first supine when unknown.
  static std::string casePatientPosition(const Case& twin) {
    for (const ImageVolume& v : twin.volumes)
      if (!v.dicom.patientPosition.empty()) return v.dicom.patientPosition;
    return "HFS";
  }

  fs::path case_, output_;
  std::string scenario_, openingText_, patientPosition_;
  tissue::BrainShiftParameters brain_;
};

}  // namespace

std::unique_ptr<Job> makeShiftJob(const JobParameters& parameters) {
  return std::make_unique<ShiftJob>(parameters);
}

}  // namespace twinplan::engine
