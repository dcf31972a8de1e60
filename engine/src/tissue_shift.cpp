// simulateTissueShift (engine/tissue_shift.h): runs a scenario and turns its nodal
// displacements into what the case keeps - the same way for every scenario.
#include "twinplan/engine/tissue_shift.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "shift_scenarios.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/plan_targets.h"
#include "twinplan/tissue/brain_shift.h"
#include "twinplan/tissue/displacement_field.h"

namespace twinplan::engine {
namespace {

using nlohmann::json;

// How see-through the original 3D models are once their moved copies are shown.
constexpr float kOriginalModelOpacity = 0.3f;

// nu of brain and tumour on quadratic tetrahedra: mechanics.json's grey and white matter (and
// glioma, "as brain"), nearly incompressible at K/mu = 50, which C3D10 handles without locking
// (docs/validation.md "Quadratic tetrahedra in the shift scenarios (session 12)").
constexpr double kQuadraticTetPoissonsRatio = 0.49;

json vec(const Vec3& v) { return {v.x(), v.y(), v.z()}; }

// The first volume's DICOM Patient Position (0018,5100); head-first supine when unknown.
std::string casePatientPosition(const Case& twin) {
  for (const ImageVolume& v : twin.volumes)
    if (!v.dicom.patientPosition.empty()) return v.dicom.patientPosition;
  return "HFS";
}

// The labelmap that has the scenario's tissue: brain segments, the organ, the resected
// segment. Error(InvalidInput) naming what is missing.
tissue::BrainShiftParameters brainShiftParameters(const TissueShiftParameters& p,
                                                  const std::string& imagesPosition);

std::size_t scenarioLabelMap(const Case& twin, const TissueShiftParameters& p) {
  for (std::size_t m = 0; m < twin.labelMaps.size(); ++m)
    for (const Segment& s : twin.labelMaps[m].segments()) {
      if ((p.scenario == "brain-shift" || p.scenario == "retractor") && tissue::isBrainSegment(s))
        return m;
      if (p.scenario == "liver-tool" &&
          (s.name == p.liverTool.organ || s.tissueType == p.liverTool.organ))
        return m;
      if (p.scenario == "resection" &&
          (p.resection.segment.empty() ? tissue::isBrainSegment(s) || s.name == p.resection.organ ||
                                             s.tissueType == p.resection.organ
                                       : s.name == p.resection.segment))
        return m;
    }
  const std::string what = p.scenario == "brain-shift" || p.scenario == "retractor"
                               ? "no brain segment (tissue type grey-matter, white-matter or "
                                 "brain); segment the brain first (twinplan-cli segment "
                                 "--preset brain)"
                           : p.scenario == "liver-tool"
                               ? "no segment named or of tissue type \"" + p.liverTool.organ +
                                     "\"; segment the liver first (twinplan-cli segment "
                                     "--preset liver) or name the organ"
                               : "no segment \"" + p.resection.segment + p.resection.organ +
                                     "\" to resect in; name a segment of the case";
  throw Error(ErrorKind::InvalidInput, "The case \"" + twin.name + "\" has " + what + ".",
              "parameters.case");
}

tissue::BrainShiftParameters brainShiftParameters(const TissueShiftParameters& p,
                                                  const std::string& imagesPosition) {
  tissue::BrainShiftParameters brain;
  if (p.brain.opening_lps) brain.openingCentre_lps = *p.brain.opening_lps;
  brain.openingRadius_mm = p.brain.openingRadius_mm;
  brain.csfLoss_ml = p.brain.csfLoss_ml;
  brain.fluidLevel_mm = p.brain.fluidLevel_mm;
  brain.headRotation_deg = p.brain.headRotation_deg;
  brain.skullContact = p.brain.skullContact;
  brain.drainVentricles = p.brain.drainVentricles;
  brain.neoHookean = p.brain.neoHookean;
  brain.resolution_mm = p.meshResolution_mm();
  if (p.elementOrder == "quadratic") {
    brain.elementType = tissue::ElementType::C3D10;
    brain.tissue = tissue::citedBrainTissue(kQuadraticTetPoissonsRatio);
  }
  brain.patientPosition = p.patientPosition.empty() ? imagesPosition : p.patientPosition;
  if (p.scenario == "retractor")
    brain.retractor = tissue::RetractorBlade{p.retractor.width_mm, p.retractor.depth_mm,
                                             p.retractor.push_mm, p.retractor.widthAxis_lps};
  return brain;
}

ShiftOutcome brainShift(const Case& twin, const LabelMap& labels, const TissueShiftParameters& p,
                        const std::vector<PlanTarget>& targets, Progress& progress) {
  tissue::BrainShiftParameters brain = brainShiftParameters(p, casePatientPosition(twin));
  if (!brain.openingCentre_lps && !targets.empty())
    brain.openingToward_lps = {targets[0].p_lps.x(), targets[0].p_lps.y(), targets[0].p_lps.z()};
  tissue::BrainShiftResult shift = tissue::simulateBrainShift(labels, brain, progress);
  ShiftOutcome out;
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    const Segment& segment = labels.segments()[s];
    if (tissue::isBrainSegment(segment) || segment.name == "Ventricles" ||
        segment.tissueType == "tumour")
      out.meshedSegments.push_back(s);
  }
  out.tetMesh = tissue::caseTetMesh(shift.mesh, shiftResultName(p.scenario));
  out.maxDisplacement_mm = shift.maxDisplacement_mm;
  out.solveTime_s = shift.solution.solveTime_s;
  out.minDihedral_deg = shift.mesh.quality.minDihedral_deg;
  out.displacement_mm = std::move(shift.solution.displacement_mm);
  out.report = {
      {"patient_position", brain.patientPosition},
      {"gravity_lps", vec(shift.gravity_lps)},
      {"opening_lps", vec(shift.openingCentre_lps)},
      {"opening_radius_mm", brain.openingRadius_mm},
      {"fluid_level_mm", shift.fluidLevel_mm},
      {"drained_elements", shift.drainedElements},
      {"opening_nodes", shift.openingNodes},
      {"fixed_nodes", shift.fixedNodes},
      {"skull_contact", brain.skullContact},
      {"drain_ventricles", brain.drainVentricles},
      {"material", brain.neoHookean ? "neo-hookean" : "linear"},
      {"element_order", p.elementOrder},
      {"poissons_ratio", brain.tissue.poissonsRatio},
      {"newton_iterations", shift.solution.totalIterations},
      {"increments", shift.solution.steps.empty() ? 0 : shift.solution.steps[0].increments}};
  if (brain.skullContact)
    out.report.update({{"sliding_nodes", shift.slidingNodes},
                       {"skull_contact_nodes", shift.skullContactNodes},
                       {"foramen_nodes", shift.foramenNodes},
                       {"max_skull_penetration_mm", shift.maxPenetration_mm},
                       {"active_set_changes", shift.solution.activeSetChanges}});
  if (brain.retractor)
    out.report.update({{"retractor_width_mm", brain.retractor->width_mm},
                       {"retractor_depth_mm", brain.retractor->depth_mm},
                       {"retractor_push_mm", brain.retractor->push_mm},
                       {"retractor_nodes", shift.retractorNodes.size()},
                       {"retractor_normal_lps", vec(shift.retractorNormal_lps)},
                       {"retractor_force_N", shift.retractorForce_N}});
  if (brain.drainVentricles)
    out.report.update({{"ventricle_wall_faces", shift.ventricleWallFaces},
                       {"ventricle_volume_loss_ml", shift.ventricleVolumeLoss_ml}});
  out.model = std::move(shift.mesh.model);
  return out;
}

// A grey volume moved by the field: same grid and pixel type (rounded, clamped to the type's
// range), "<name> (shifted)", no longer the DICOM series it came from.
ImageVolume warpVolume(const ImageVolume& volume, const tissue::DisplacementField& field,
                       Progress& progress) {
  std::vector<float> grey(volume.voxelCount());
  float lowest = 0;
  visitGreyVoxels(volume, [&](auto voxels) {
    for (std::size_t v = 0; v < voxels.size(); ++v) grey[v] = static_cast<float>(voxels[v]);
    if (!voxels.empty())
      lowest = static_cast<float>(*std::min_element(voxels.begin(), voxels.end()));
  });
  const std::vector<float> warped = tissue::warpImage(grey, field, lowest, progress);
  ImageVolume out = volume;
  out.name = volume.name + " (shifted)";
  out.dicom.seriesInstanceUid.clear();
  out.dicom.seriesDescription = volume.dicom.seriesDescription + " (shifted)";
  out.assumptions.push_back("Moved by a tissue-shift displacement field (twinplan shift).");
  switch (out.pixelType()) {
    case PixelType::Float32: {
      auto v = out.voxels<float>();
      std::copy(warped.begin(), warped.end(), v.begin());
      break;
    }
    default:
      visitGreyVoxels(volume, [&](auto voxels) {
        using T = typename decltype(voxels)::value_type;
        using V = std::remove_cv_t<T>;
        auto target = out.voxels<V>();
        const double lo = double(std::numeric_limits<V>::lowest());
        const double hi = double(std::numeric_limits<V>::max());
        for (std::size_t i = 0; i < warped.size(); ++i)
          target[i] = static_cast<V>(std::clamp(std::round(double(warped[i])), lo, hi));
      });
  }
  return out;
}

// "<name> (shifted)" for each 3D model of a meshed segment, moved with the tissue, not tied
// to a segment (so that rebuilding the segment's model leaves it alone).
std::vector<SurfaceMesh> shiftedModels(const Case& twin, const LabelMap& labels,
                                       const std::vector<std::size_t>& meshed,
                                       const tissue::DisplacementInterpolator& u) {
  std::vector<SurfaceMesh> out;
  for (const SurfaceMesh& mesh : twin.meshes) {
    if (mesh.segmentName.empty()) continue;
    const auto s = labels.findSegment(mesh.segmentName);
    if (!s || std::find(meshed.begin(), meshed.end(), *s) == meshed.end()) continue;
    SurfaceMesh moved = tissue::warpSurfaceMesh(mesh, u);
    moved.name = mesh.name + " (shifted)";
    moved.segmentName.clear();
    out.push_back(std::move(moved));
  }
  return out;
}

// The resected segment's voxels cleared: it is no longer there after the operation.
void clearSegment(LabelMap& labels, const std::string& name) {
  const auto s = labels.findSegment(name);
  if (!s) return;
  const Segment segment = labels.segments()[*s];
  for (std::uint16_t& v : labels.layer(segment.layer))
    if (v == segment.value) v = 0;
}

}  // namespace

TissueShift simulateTissueShift(const Case& twin, const TissueShiftParameters& p,
                                Progress& progress) {
  p.validate();
  const std::size_t m = scenarioLabelMap(twin, p);
  const LabelMap& labels = twin.labelMaps[m];
  const std::vector<PlanTarget> targets = planTargets(twin);
  TissueShift result;
  result.name = shiftResultName(p.scenario);
  auto simulating = subRange(progress, 0.0, 0.7);
  ShiftOutcome outcome;
  if (p.scenario == "brain-shift" || p.scenario == "retractor")
    outcome = brainShift(twin, labels, p, targets, *simulating);
  else if (p.scenario == "liver-tool")
    outcome = simulateLiverTool(labels, p.liverTool, p.meshResolution_mm(), *simulating,
                                p.elementOrder == "quadratic");
  else
    outcome = simulateResectionCavity(
        labels, p.resection,
        p.patientPosition.empty() ? casePatientPosition(twin) : p.patientPosition,
        p.meshResolution_mm(), *simulating, p.elementOrder == "quadratic");

  const tissue::DisplacementInterpolator u(outcome.model, outcome.displacement_mm);
  auto rasterising = subRange(progress, 0.7, 0.8);
  const tissue::DisplacementField field =
      tissue::rasterizeDisplacement(u, labels.geometry(), *rasterising);
  json targetsJson = json::array();
  for (const PlanTarget& t : targets) {
    const tissue::TargetShift s = tissue::shiftTarget(u, t.name, t.p_lps);
    targetsJson.push_back({{"name", s.name},
                           {"before_lps", vec(s.before_lps)},
                           {"after_lps", vec(s.after_lps)},
                           {"displacement_mm", vec(s.shift_mm)},
                           {"magnitude_mm", s.magnitude_mm},
                           {"inside_model", s.insideMesh}});
  }
  json report = {{"scenario", p.scenario},
                 {"labelmap", labels.name},
                 {"tet_count", outcome.model.elements.size()},
                 {"node_count", outcome.model.nodes.size()},
                 {"resolution_mm", p.meshResolution_mm()},
                 {"min_dihedral_deg", outcome.minDihedral_deg},
                 {"max_displacement_mm", outcome.maxDisplacement_mm},
                 {"field_max_displacement_mm", field.maxMagnitude_mm()},
                 {"solve_time_s", outcome.solveTime_s},
                 {"targets", targetsJson}};
  report.update(outcome.report);

  // The deformed labelmap and volumes on the field's grid.
  auto warping = subRange(progress, 0.8, 1.0);
  LabelMap warpedLabels = tissue::warpLabelMap(labels, field, *warping);
  if (p.scenario == "resection" && !p.resection.segment.empty())
    clearSegment(warpedLabels, p.resection.segment);
  warpedLabels.name = labels.name + " (shifted)";
  SimulationOutputs& out = result.outputs;
  out.labelMaps.push_back(std::move(warpedLabels));
  json names = json::array();
  for (const ImageVolume& volume : twin.volumes) {
    if (volume.planar2D || volume.pixelType() == PixelType::Rgb8 ||
        !volume.geometry().sameGridAs(labels.geometry()))
      continue;  // another grid: not warped (the field is on the labelmap's grid)
    out.volumes.push_back(warpVolume(volume, field, noProgress()));
    names.push_back(out.volumes.back().name);
  }
  report["shifted_volumes"] = names;
  out.meshes = shiftedModels(twin, labels, outcome.meshedSegments, u);
  names = json::array();
  for (const SurfaceMesh& mesh : out.meshes) names.push_back(mesh.name);
  // The originals stay, as ghosts behind the moved models (undone with them).
  for (const SurfaceMesh& mesh : twin.meshes)
    if (std::any_of(out.meshes.begin(), out.meshes.end(),
                    [&](const SurfaceMesh& m) { return m.name == mesh.name + " (shifted)"; })) {
      SurfaceMesh ghost = mesh;
      ghost.opacity = std::min(ghost.opacity, kOriginalModelOpacity);
      out.meshes.push_back(std::move(ghost));
    }
  report["shifted_models"] = names;
  report["shifted_labelmap"] = out.labelMaps[0].name;
  out.fields = tissue::displacementFields(field, result.name);
  outcome.tetMesh.name = result.name;
  out.tetMeshes.push_back(std::move(outcome.tetMesh));
  Plan plan;
  plan.kind = "tissue-shift";
  plan.name = result.name;
  plan.parameters = {{"result", report}};
  out.plans.push_back(std::move(plan));
  result.report = std::move(report);
  progress.report(1.0, "Tissue shift");
  return result;
}

double TissueShiftParameters::meshResolution_mm() const {
  if (resolution_mm) return *resolution_mm;
  return scenario == "liver-tool" ? 8.0 : 6.0;
}

void TissueShiftParameters::validate() const {
  if (scenario != "brain-shift" && scenario != "liver-tool" && scenario != "resection" &&
      scenario != "retractor")
    throw Error(ErrorKind::Unsupported,
                "The scenario \"" + scenario +
                    "\" is not one TwinPlan simulates; choose brain-shift, liver-tool, "
                    "resection or retractor.",
                "parameters.scenario");
  const double r = meshResolution_mm();
  if (!(r >= 1 && r <= 40))
    throw Error(ErrorKind::InvalidInput,
                "The mesh resolution must be in [1, 40] mm; it is " + std::to_string(r) + ".",
                "parameters.resolution_mm");
  if (!patientPosition.empty()) tissue::gravityDirection(patientPosition, 0);
  if (elementOrder != "linear" && elementOrder != "quadratic")
    throw Error(ErrorKind::InvalidInput,
                "The element order \"" + elementOrder + "\" is not linear or quadratic.",
                "parameters.elementOrder");
  if (scenario == "liver-tool") validateLiverTool(liverTool);
  if (scenario == "resection") validateResection(resection);
  if (scenario == "brain-shift" || scenario == "retractor")
    brainShiftParameters(*this, "HFS").validate();
}

std::string shiftResultName(const std::string& scenario) {
  if (scenario == "liver-tool") return "Liver tool";
  if (scenario == "resection") return "Resection";
  if (scenario == "retractor") return "Retractor";
  return "Brain shift";
}

}  // namespace twinplan::engine
