// Job "shift": tissue shift on a case (issue #18 items 3, 4 and 8): brain shift after
// craniotomy, the liver under a tool, a resection cavity (engine/tissue_shift.h). Everything the
// simulation makes goes into the case as one undoable step (edits::storeSimulationOutputs),
// and the case is saved only after the whole simulation succeeded, so a failure leaves it
// unchanged.
#include <sstream>

#include "job_kinds.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/engine/tissue_shift.h"

namespace twinplan::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "x,y,z" (or n numbers) in LPS mm.
template <std::size_t N>
std::array<double, N> parseNumbers(const std::string& text, const char* name, const char* example) {
  std::istringstream in(text);
  std::array<double, N> p{};
  for (std::size_t i = 0; i < N; ++i) {
    char comma = ',';
    if (i > 0) in >> comma;
    if (!(in >> p[i]) || comma != ',' || !std::isfinite(p[i]))
      throw Error(ErrorKind::InvalidInput,
                  "The " + std::string(name) + " \"" + text + "\" is not " +
                      (N == 3 ? std::string("a point") : std::to_string(N) + " numbers") +
                      "; write it as " + example + ".",
                  std::string("parameters.") + name);
  }
  if (!(in >> std::ws).eof())
    throw Error(ErrorKind::InvalidInput,
                "The " + std::string(name) + " \"" + text + "\" is not " +
                    (N == 3 ? std::string("a point") : std::to_string(N) + " numbers") +
                    "; write it as " + example + ".",
                std::string("parameters.") + name);
  return p;
}

class ShiftJob final : public Job {
 public:
  explicit ShiftJob(const JobParameters& p)
      : case_(p.file("case")), output_(p.file("output", case_.string())) {
    p.rejectUnknown({"case",
                     "output",
                     "scenario",
                     "opening",
                     "radius_mm",
                     "csfLoss_ml",
                     "fluidLevel_mm",
                     "resolution_mm",
                     "patientPosition",
                     "headRotation_deg",
                     "organ",
                     "tip",
                     "direction",
                     "tip_shape",
                     "tip_radius_mm",
                     "indentation_mm",
                     "force_N",
                     "nonlinear",
                     "segment",
                     "sphere",
                     "skullContact",
                     "drainVentricles",
                     "material",
                     "blade_width_mm",
                     "blade_depth_mm",
                     "push_mm",
                     "blade_axis",
                     "elements"});
    s_.scenario = p.text("scenario", "brain-shift");
    s_.patientPosition = p.text("patientPosition", "");
    if (p.has("resolution_mm")) s_.resolution_mm = p.number("resolution_mm", 6.0, -1e9, 1e9);
    s_.elementOrder = p.text("elements", "linear");  // or quadratic (C3D10, nu 0.49)
    // brain-shift
    const std::string opening = p.text("opening", "");
    if (!opening.empty())
      s_.brain.opening_lps = parseNumbers<3>(opening, "opening", "x,y,z in LPS mm, e.g. 30,-60,40");
    s_.brain.openingRadius_mm = p.number("radius_mm", 25.0, -1e9, 1e9);
    if (p.has("csfLoss_ml")) s_.brain.csfLoss_ml = p.number("csfLoss_ml", 0.0, -1e9, 1e9);
    if (p.has("fluidLevel_mm")) s_.brain.fluidLevel_mm = p.number("fluidLevel_mm", 0.0, -1e9, 1e9);
    s_.brain.headRotation_deg = p.number("headRotation_deg", 0.0, -1e9, 1e9);
    // The retractor pushes the brain against the skull around the opening: contact on by default.
    s_.brain.skullContact = p.boolean("skullContact", s_.scenario == "retractor");
    s_.brain.drainVentricles = p.boolean("drainVentricles", false);
    const std::string material = p.text("material", "neo-hookean");
    if (material != "neo-hookean" && material != "linear")
      throw Error(ErrorKind::InvalidInput,
                  "The brain material \"" + material +
                      "\" is not neo-hookean (large deformation) or linear (small strain).",
                  "parameters.material");
    s_.brain.neoHookean = material == "neo-hookean";
    // liver-tool and resection
    const std::string organ = p.text("organ", "");
    if (!organ.empty()) s_.liverTool.organ = s_.resection.organ = organ;
    const std::string tip = p.text("tip", "");
    if (!tip.empty()) s_.liverTool.tip_lps = parseNumbers<3>(tip, "tip", "x,y,z in LPS mm");
    const std::string direction = p.text("direction", "");
    if (!direction.empty())
      s_.liverTool.direction = parseNumbers<3>(direction, "direction", "x,y,z, e.g. 0,1,0");
    const std::string shape = p.text("tip_shape", "flat");
    if (shape != "flat" && shape != "ball")
      throw Error(ErrorKind::InvalidInput, "The tip shape \"" + shape + "\" is not flat or ball.",
                  "parameters.tip_shape");
    s_.liverTool.ballTip = shape == "ball";
    s_.liverTool.tipRadius_mm = p.number("tip_radius_mm", 5.0, -1e9, 1e9);
    if (p.has("indentation_mm"))
      s_.liverTool.indentation_mm = p.number("indentation_mm", 10.0, -1e9, 1e9);
    if (p.has("force_N")) s_.liverTool.force_N = p.number("force_N", 1.0, -1e9, 1e9);
    s_.liverTool.nonlinear = p.boolean("nonlinear", false);
    s_.resection.segment = p.text("segment", "");
    const std::string sphere = p.text("sphere", "");
    if (!sphere.empty())
      s_.resection.sphere = parseNumbers<4>(sphere, "sphere", "x,y,z,radius in LPS mm");
    s_.retractor.width_mm = p.number("blade_width_mm", 20.0, -1e9, 1e9);
    s_.retractor.depth_mm = p.number("blade_depth_mm", 20.0, -1e9, 1e9);
    s_.retractor.push_mm = p.number("push_mm", 5.0, -1e9, 1e9);
    const std::string axis = p.text("blade_axis", "");
    if (!axis.empty())
      s_.retractor.widthAxis_lps = parseNumbers<3>(axis, "blade_axis", "x,y,z, e.g. 1,0,0");
    s_.validate();
  }

  std::string kind() const override { return "shift"; }
  json parameters() const override {
    json j = {{"case", case_.string()},
              {"output", output_.string()},
              {"scenario", s_.scenario},
              {"patientPosition", s_.patientPosition},
              {"resolution_mm", s_.meshResolution_mm()}};
    if (s_.scenario == "brain-shift" || s_.scenario == "retractor") {
      if (s_.brain.opening_lps) j["opening"] = *s_.brain.opening_lps;
      j["radius_mm"] = s_.brain.openingRadius_mm;
      j["headRotation_deg"] = s_.brain.headRotation_deg;
      if (s_.brain.csfLoss_ml) j["csfLoss_ml"] = *s_.brain.csfLoss_ml;
      if (s_.brain.fluidLevel_mm) j["fluidLevel_mm"] = *s_.brain.fluidLevel_mm;
      j["skullContact"] = s_.brain.skullContact;
      j["drainVentricles"] = s_.brain.drainVentricles;
      j["material"] = s_.brain.neoHookean ? "neo-hookean" : "linear";
      j["elements"] = s_.elementOrder;
      if (s_.scenario == "retractor") {
        j["blade_width_mm"] = s_.retractor.width_mm;
        j["blade_depth_mm"] = s_.retractor.depth_mm;
        j["push_mm"] = s_.retractor.push_mm;
        if (s_.retractor.widthAxis_lps) j["blade_axis"] = *s_.retractor.widthAxis_lps;
      }
    } else if (s_.scenario == "liver-tool") {
      const LiverToolSettings& t = s_.liverTool;
      j["organ"] = t.organ;
      if (t.tip_lps) j["tip"] = *t.tip_lps;
      j["direction"] = t.direction;
      j["tip_shape"] = t.ballTip ? "ball" : "flat";
      j["tip_radius_mm"] = t.tipRadius_mm;
      if (t.indentation_mm) j["indentation_mm"] = *t.indentation_mm;
      if (t.force_N) j["force_N"] = *t.force_N;
      j["nonlinear"] = t.nonlinear;
    } else {
      j["organ"] = s_.resection.organ;
      j["segment"] = s_.resection.segment;
      if (s_.resection.sphere) j["sphere"] = *s_.resection.sphere;
    }
    return j;
  }

  json run(Progress& progress, CheckpointStore*) override {
    auto loading = subRange(progress, 0.0, 0.05);
    Case twin = loadCase(case_, *loading);
    auto simulating = subRange(progress, 0.05, 0.92);
    TissueShift shift = simulateTissueShift(twin, s_, *simulating);
    shift.outputs.plans.at(0).parameters["job"] = parameters();
    // Into the case as one undoable step, only now that everything succeeded.
    CaseEditor editor(std::move(twin));
    editor.apply(
        edits::storeSimulationOutputs(editor.twin(), std::move(shift.outputs), shift.name));
    twin = editor.reset({});
    twin.provenance.push_back(
        {{"step", "shift"}, {"time", utcNowIso8601()}, {"parameters", parameters()}});
    auto saving = subRange(progress, 0.92, 1.0);
    saveCase(twin, output_, *saving);
    json report = std::move(shift.report);
    report["output"] = output_.string();
    progress.report(1.0, "Tissue shift");
    return report;
  }

 private:
  fs::path case_, output_;
  TissueShiftParameters s_;
};

}  // namespace

std::unique_ptr<Job> makeShiftJob(const JobParameters& parameters) {
  return std::make_unique<ShiftJob>(parameters);
}

}  // namespace twinplan::engine
