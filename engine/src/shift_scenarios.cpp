#include "shift_scenarios.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "twinplan/core/error.h"
#include "twinplan/core/geometry.h"
#include "twinplan/tissue/brain_shift.h"
#include "twinplan/tissue/labelmap_mesher.h"
#include "twinplan/tissue/liver_tool.h"
#include "twinplan/tissue/resection.h"
#include "twinplan/tissue/tissue_mechanics.h"

namespace twinplan::engine {
namespace {

using nlohmann::json;
using tissue::FeModel;

// nu for the linear tetrahedra the scenarios mesh: the table's 0.49 locks them (mechanics.json
// note), so, as brain_shift.h (Miga 1999, Dumpuri 2007), 0.45 with the cited shear modulus.
constexpr double kLinearTetPoissonsRatio = 0.45;
// Brain on quadratic tetrahedra: grey and white matter's 0.49 (tissue_shift.cpp's constant).
constexpr double kQuadraticTetPoissonsRatio = 0.49;

Vec3 nodeAt(const FeModel& model, std::size_t n) {
  const auto& x = model.nodes[n].x_mm;
  return Vec3(x[0], x[1], x[2]);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Segments called `key` or of tissue type `key` (case-insensitive).
std::vector<std::size_t> segmentsOf(const LabelMap& labels, const std::string& key) {
  std::vector<std::size_t> out;
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    const Segment& segment = labels.segments()[s];
    if (lower(segment.name) == lower(key) || lower(segment.tissueType) == lower(key))
      out.push_back(s);
  }
  return out;
}

// The voxel centroid of a segment (index space), nullopt when it is empty.
std::optional<Vec3> centroidIndex(const LabelMap& labels, std::size_t segment) {
  const ImageGeometry& g = labels.geometry();
  Vec3 sum = Vec3::Zero();
  std::size_t count = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if (labels.contains(segment, i, j, k)) {
          sum += Vec3(double(i), double(j), double(k));
          ++count;
        }
  if (count == 0) return std::nullopt;
  return Vec3(sum / double(count));
}

// Tumour segments whose centroid voxel lies in one of `organ`'s segments: meshed with the organ.
std::vector<std::size_t> tumoursInside(const LabelMap& labels,
                                       const std::vector<std::size_t>& organ) {
  std::vector<std::size_t> out;
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    if (labels.segments()[s].tissueType != "tumour") continue;
    const auto c = centroidIndex(labels, s);
    if (!c) continue;
    const auto i = std::llround(c->x()), j = std::llround(c->y()), k = std::llround(c->z());
    if (std::any_of(organ.begin(), organ.end(),
                    [&](std::size_t o) { return labels.contains(o, i, j, k); }))
      out.push_back(s);
  }
  return out;
}

// Names the first inverted or flat element and its signed volume: the solver cannot use it,
// and the user can try another resolution.
void refuseInvertedElements(const tissue::LabelMesh& mesh, double resolution_mm) {
  const tissue::InvertedElements inverted = tissue::invertedElements(mesh.model);
  if (inverted.count == 0) return;
  throw Error(ErrorKind::InvalidInput,
              "The tissue mesh at " + std::to_string(resolution_mm) + " mm has " +
                  std::to_string(inverted.count) + " inverted or flat elements: " +
                  tissue::describeInvertedElement(inverted) + "; mesh at another resolution.",
              "parameters.resolution_mm");
}

double largestNorm(const std::vector<std::array<double, 3>>& u) {
  double out = 0;
  for (const auto& v : u) out = std::max(out, std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]));
  return out;
}

// The cited tissue on the scenario's tetrahedra: linear ones at kLinearTetPoissonsRatio,
// quadratic ones at the table's own (nearly incompressible) ratio, which they carry unlocked.
tissue::Material tetMaterial(const tissue::TissueMechanics& cited, bool neoHooke, bool quadratic) {
  tissue::TissueMechanics t = cited;
  if (!quadratic) t.poissonsRatio = kLinearTetPoissonsRatio;
  return neoHooke ? t.neoHooke() : t.linearElastic();
}

tissue::ElementType tetType(bool quadratic) {
  return quadratic ? tissue::ElementType::C3D10 : tissue::ElementType::C3D4;
}

// The mid-side node of each edge of the model's C3D10 elements, keyed by its corner pair.
std::map<std::pair<std::size_t, std::size_t>, std::size_t> midSideNodes(const FeModel& model) {
  constexpr int kEdges[6][2] = {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {1, 3}, {2, 3}};  // Abaqus order
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> out;
  for (const tissue::Element& e : model.elements) {
    if (e.type != tissue::ElementType::C3D10) continue;
    for (int m = 0; m < 6; ++m)
      out[std::minmax(e.nodes[std::size_t(kEdges[m][0])], e.nodes[std::size_t(kEdges[m][1])])] =
          e.nodes[std::size_t(4 + m)];
  }
  return out;
}

void setMaterials(FeModel& model, const tissue::Material& law) {
  for (tissue::Material& m : model.materials) {
    const std::string name = m.name;
    m = law;
    m.name = name;
  }
}

std::array<double, 3> normalised(const std::array<double, 3>& d, const char* parameter) {
  const double length = std::hypot(d[0], d[1], d[2]);
  if (!(length > 0) || !std::isfinite(length))
    throw Error(ErrorKind::InvalidInput,
                std::string("The ") + parameter + " needs a non-zero direction x,y,z.",
                std::string("parameters.") + parameter);
  return {d[0] / length, d[1] / length, d[2] / length};
}

void requirePositive(double value, double upper, const char* name) {
  if (!(value > 0) || !(value <= upper))
    throw Error(ErrorKind::InvalidInput,
                std::string("The ") + name + " must be in (0, " + std::to_string(upper) +
                    "]; it is " + std::to_string(value) + ".",
                std::string("parameters.") + name);
}

}  // namespace

void validateLiverTool(const LiverToolSettings& p) {
  normalised(p.direction, "direction");
  requirePositive(p.tipRadius_mm, 100, "tipRadius_mm");
  if (p.indentation_mm && p.force_N)
    throw Error(ErrorKind::InvalidInput, "Give the tool an indentation or a force, not both.",
                "parameters.force_N");
  if (p.indentation_mm) requirePositive(*p.indentation_mm, 200, "indentation_mm");
  if (p.force_N) requirePositive(*p.force_N, 1000, "force_N");
  if (p.force_N && p.nonlinear)
    throw Error(ErrorKind::Unsupported,
                "A tool force needs the linear model (its depth is force / stiffness); give the "
                "nonlinear model an indentation instead.",
                "parameters.force_N");
}

PreparedOrgan prepareOrganUnderTool(const LabelMap& labels, const LiverToolSettings& p,
                                    double resolution_mm, Progress& progress, bool quadratic) {
  validateLiverTool(p);
  const std::vector<std::size_t> organ = segmentsOf(labels, p.organ);
  if (organ.empty())
    throw Error(ErrorKind::InvalidInput,
                "The labelmap \"" + labels.name + "\" has no segment named or of tissue type \"" +
                    p.organ +
                    "\"; segment the liver first (twinplan-cli segment --preset liver) or name "
                    "the organ with --organ.",
                "parameters.organ");
  PreparedOrgan out;
  out.meshedSegments = organ;
  for (std::size_t t : tumoursInside(labels, organ)) out.meshedSegments.push_back(t);
  tissue::LabelMeshParameters meshing;
  meshing.resolution_mm = resolution_mm;
  meshing.materials.push_back({"liver", out.meshedSegments});
  meshing.elementType = tetType(quadratic);
  out.mesh = tissue::meshLabelMap(labels, meshing, progress);
  refuseInvertedElements(out.mesh, resolution_mm);
  FeModel& model = out.mesh.model;
  setMaterials(model, tetMaterial(tissue::tissueMechanics("liver"), p.nonlinear, quadratic));

  // The organ rests on what lies behind it: the half of its surface beyond its middle along
  // the tool's direction is held.
  const auto d = normalised(p.direction, "direction");
  const Vec3 dir(d[0], d[1], d[2]);
  const std::vector<std::size_t>& surface = model.nodeSets.at("SURFACE");
  double middle = 0;
  for (std::size_t n = 0; n < model.nodes.size(); ++n) middle += dir.dot(nodeAt(model, n));
  middle /= double(model.nodes.size());
  for (std::size_t n : surface) {
    if (dir.dot(nodeAt(model, n)) <= middle) continue;
    out.heldNodes.push_back(n);
    for (int dof = 0; dof < 3; ++dof) model.fixedBoundaries.push_back({n, dof, 0.0});
  }
  if (p.tip_lps) {
    out.tip_lps = Vec3((*p.tip_lps)[0], (*p.tip_lps)[1], (*p.tip_lps)[2]);
  } else {
    double first = 1e300;
    for (std::size_t n : surface)
      if (dir.dot(nodeAt(model, n)) < first) {
        first = dir.dot(nodeAt(model, n));
        out.tip_lps = nodeAt(model, n);
      }
  }
  return out;
}

ShiftOutcome simulateLiverTool(const LabelMap& labels, const LiverToolSettings& p,
                               double resolution_mm, Progress& progress, bool quadratic) {
  auto meshingProgress = subRange(progress, 0.0, 0.3);
  PreparedOrgan organ =
      prepareOrganUnderTool(labels, p, resolution_mm, *meshingProgress, quadratic);
  ShiftOutcome out;
  out.meshedSegments = organ.meshedSegments;
  tissue::LabelMesh& mesh = organ.mesh;
  FeModel& model = mesh.model;
  const auto d = normalised(p.direction, "direction");
  const std::vector<std::size_t>& surface = model.nodeSets.at("SURFACE");
  const std::size_t fixedNodes = organ.heldNodes.size();
  const Vec3 tip = organ.tip_lps;

  tissue::ToolIndentation tool;
  tool.shape = p.ballTip ? tissue::ToolIndentation::Shape::Sphere
                         : tissue::ToolIndentation::Shape::FlatCylinder;
  tool.surfacePoint_mm = {tip.x(), tip.y(), tip.z()};
  tool.direction = d;
  tool.radius_mm = p.tipRadius_mm;
  // A curved organ surface: the surface nodes within one lattice cell of the tip along the
  // axis are under the tool (a flat tip pushes them all by the depth).
  tool.surfaceTolerance_mm = resolution_mm;
  tool.surfaceNodes = surface;
  const double requested = p.indentation_mm.value_or(p.force_N ? 1.0 : 10.0);
  tool.depths_mm = {requested};
  auto solving = subRange(progress, 0.3, 1.0);
  tissue::ToolResult pressed = tissue::indentWithTool(model, tool, p.nonlinear, {}, *solving);
  double depth = requested, force = pressed.curve.back().force_N;
  out.displacement_mm = std::move(pressed.deepest.displacement_mm);
  if (p.force_N) {
    // Linear elasticity: displacements and force scale with the prescribed depth.
    if (!(force > 0))
      throw Error(ErrorKind::Internal, "The tool met no resistance at 1 mm.", "parameters.force_N");
    depth = *p.force_N / force;
    for (auto& u : out.displacement_mm)
      for (double& c : u) c *= depth;
    force = *p.force_N;
  }
  out.maxDisplacement_mm = largestNorm(out.displacement_mm);
  out.solveTime_s = pressed.deepest.solveTime_s;
  out.minDihedral_deg = mesh.quality.minDihedral_deg;
  out.tetMesh = tissue::caseTetMesh(mesh, "Liver tool");
  out.report = {{"organ", p.organ},
                {"tool_tip_lps", {tip.x(), tip.y(), tip.z()}},
                {"tool_direction", {d[0], d[1], d[2]}},
                {"tool_shape", std::string(p.ballTip ? "ball" : "flat")},
                {"tool_radius_mm", p.tipRadius_mm},
                {"indentation_mm", depth},
                {"tool_force_N", force},
                {"tool_stiffness_N_per_mm", force / depth},
                {"tool_nodes", pressed.toolNodes.size()},
                {"fixed_nodes", fixedNodes},
                {"nonlinear", p.nonlinear},
                {"element_order", quadratic ? "quadratic" : "linear"},
                {"poissons_ratio", model.materials.at(0).poissonsRatio},
                {"newton_iterations", pressed.deepest.totalIterations}};
  out.model = std::move(model);
  return out;
}

void validateResection(const ResectionSettings& p) {
  if (p.segment.empty() == !p.sphere.has_value())
    throw Error(ErrorKind::InvalidInput,
                "Name the resected segment or give a sphere x,y,z,radius, one of the two.",
                "parameters.resect");
  if (p.sphere) requirePositive((*p.sphere)[3], 200, "sphere radius");
}

ShiftOutcome simulateResectionCavity(const LabelMap& labels, const ResectionSettings& p,
                                     const std::string& patientPosition, double resolution_mm,
                                     Progress& progress, bool quadratic) {
  validateResection(p);
  ShiftOutcome out;
  bool brain = p.organ.empty();
  std::vector<std::size_t> organ;
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    const Segment& segment = labels.segments()[s];
    if (brain && (tissue::isBrainSegment(segment) || segment.name == "Ventricles"))
      organ.push_back(s);
  }
  if (!brain) organ = segmentsOf(labels, p.organ);
  if (organ.empty())
    throw Error(ErrorKind::InvalidInput,
                "The labelmap \"" + labels.name + "\" has no " +
                    (brain ? std::string("brain segment") : "segment \"" + p.organ + "\"") +
                    " around the resection; name the tissue around it with --organ.",
                "parameters.organ");
  std::optional<std::size_t> resected;
  if (!p.segment.empty()) {
    resected = labels.findSegment(p.segment);
    if (!resected)
      throw Error(
          ErrorKind::NotFound,
          "The labelmap \"" + labels.name + "\" has no segment \"" + p.segment + "\" to resect.",
          "parameters.segment");
    std::erase(organ, *resected);
  }
  out.meshedSegments = organ;

  tissue::LabelMeshParameters meshing;
  meshing.resolution_mm = resolution_mm;
  meshing.materials.push_back({"tissue", organ});
  if (resected) meshing.materials.push_back({"resected", {*resected}});
  meshing.elementType = tetType(quadratic);
  auto meshingProgress = subRange(progress, 0.0, 0.3);
  tissue::LabelMesh mesh = tissue::meshLabelMap(labels, meshing, *meshingProgress);
  refuseInvertedElements(mesh, resolution_mm);
  const tissue::TissueMechanics& cited =
      tissue::tissueMechanics(brain ? "brain" : labels.segments()[organ[0]].tissueType);
  tissue::Material law = tetMaterial(cited, false, quadratic);
  if (brain) {  // brain_shift.h's cited brain (Bennion 2022 shear modulus; nu as the tets allow)
    const tissue::BrainTissue b =
        quadratic ? tissue::citedBrainTissue(kQuadraticTetPoissonsRatio) : tissue::citedBrainTissue();
    law.youngsModulus_MPa = b.youngsModulus_Pa * 1e-6;
    law.poissonsRatio = b.poissonsRatio;
  }
  setMaterials(mesh.model, law);

  std::vector<std::size_t> removed;
  if (resected) {
    for (std::size_t e = 0; e < mesh.model.elements.size(); ++e)
      if (mesh.model.elements[e].material == 1) removed.push_back(e);
  } else {
    const Vec3 c((*p.sphere)[0], (*p.sphere)[1], (*p.sphere)[2]);
    const double r = (*p.sphere)[3];
    removed = tissue::elementsWithCentroidIn(mesh.model, [&](const std::array<double, 3>& x) {
      return (Vec3(x[0], x[1], x[2]) - c).norm() <= r;
    });
  }
  if (removed.empty())
    throw Error(ErrorKind::InvalidInput,
                "The resection removes no element of the tissue mesh (" +
                    std::to_string(mesh.model.elements.size()) +
                    " elements); place it inside the tissue or mesh finer.",
                "parameters.resect");
  tissue::Resection cut = tissue::removeElements(mesh.model, removed);
  FeModel& model = cut.model;
  const double before_mm3 = tissue::cavityVolume_mm3(model, cut.cavityWall);
  if (!cut.wallClosed || !(before_mm3 > 0))
    throw Error(ErrorKind::InvalidInput,
                "The resection reaches the tissue's outer surface (its cavity is open), so its "
                "volume is not defined; resect a region inside the tissue.",
                "parameters.resect");

  // The tissue's outer surface is held (skull, capsule and surroundings); the cavity wall is
  // free. Load: the removed tissue no longer supports the wall. In the image it pressed on the
  // wall with the hydrostatic pressure of its own weight (a soft, nearly incompressible tissue
  // under gravity), rho g h below the cavity's top; removing it applies the opposite traction.
  const auto surface = model.nodeSets.find("SURFACE");
  if (surface == model.nodeSets.end())
    throw Error(ErrorKind::Internal, "The resected mesh lost its outer surface.", "SURFACE");
  for (std::size_t n : surface->second)
    for (int dof = 0; dof < 3; ++dof) model.fixedBoundaries.push_back({n, dof, 0.0});
  const Vec3 up = -tissue::gravityDirection(patientPosition, 0);
  double top = -1e300;
  for (const tissue::Triangle& t : cut.cavityWall)
    for (std::size_t n : t) top = std::max(top, up.dot(nodeAt(model, n)));
  const double rho_t_mm3 = cited.density_kg_m3 * 1e-12;
  // A uniform pressure on a flat face loads a third of its area on each corner of a 3-node
  // triangle, but on a 6-node (C3D10) one nothing on the corners and a third on each mid-side
  // node (Zienkiewicz & Taylor: the quadratic triangle's consistent load).
  const auto midSide = midSideNodes(model);
  auto faceNodes = [&](const tissue::Triangle& t) -> std::array<std::size_t, 3> {
    if (midSide.empty()) return t;
    return {midSide.at(std::minmax(t[0], t[1])), midSide.at(std::minmax(t[1], t[2])),
            midSide.at(std::minmax(t[2], t[0]))};
  };
  tissue::Step step;
  double releasedForce_N = 0;
  Vec3 releasedWeight_N = Vec3::Zero();  // Archimedes: rho g V along gravity on a closed wall
  for (const tissue::Triangle& t : cut.cavityWall) {
    const Vec3 a = nodeAt(model, t[0]), b = nodeAt(model, t[1]), c = nodeAt(model, t[2]);
    const Vec3 areaNormal = 0.5 * (b - a).cross(c - a);  // out of the cavity, into the tissue
    const double depth_mm = top - up.dot((a + b + c) / 3);
    const double pressure_MPa = rho_t_mm3 * tissue::kGravity_mm_s2 * depth_mm;
    const Vec3 f = -pressure_MPa * areaNormal / 3;
    releasedForce_N += pressure_MPa * areaNormal.norm();
    releasedWeight_N += pressure_MPa * areaNormal;
    for (std::size_t n : faceNodes(t))
      for (int dof = 0; dof < 3; ++dof) step.nodalForces.push_back({n, dof, f[dof]});
  }
  model.steps = {step};
  auto solving = subRange(progress, 0.3, 1.0);
  tissue::SolveResult solution = tissue::solve(model, {}, *solving);
  const double after_mm3 =
      tissue::cavityVolume_mm3(model, cut.cavityWall, solution.displacement_mm);

  out.displacement_mm = std::move(solution.displacement_mm);
  out.maxDisplacement_mm = largestNorm(out.displacement_mm);
  out.solveTime_s = solution.solveTime_s;
  out.minDihedral_deg = mesh.quality.minDihedral_deg;
  tissue::LabelMesh remaining;
  remaining.model = model;
  remaining.materials = mesh.materials;
  out.tetMesh = tissue::caseTetMesh(remaining, "Resection");
  out.report = {
      {"organ", brain ? std::string("brain") : p.organ},
      {"resected", resected ? p.segment : std::string("sphere")},
      {"removed_elements", cut.removedElements},
      {"gravity_lps", {-up.x(), -up.y(), -up.z()}},
      {"released_support_N", releasedForce_N},
      {"released_weight_N", {releasedWeight_N.x(), releasedWeight_N.y(), releasedWeight_N.z()}},
      {"resected_density_kg_m3", cited.density_kg_m3},
      {"cavity_volume_before_ml", before_mm3 * 1e-3},
      {"cavity_volume_after_ml", after_mm3 * 1e-3},
      {"cavity_volume_change_percent", 100 * (after_mm3 / before_mm3 - 1)},
      {"youngs_modulus_Pa", law.youngsModulus_MPa * 1e6},
      {"element_order", quadratic ? "quadratic" : "linear"},
      {"poissons_ratio", law.poissonsRatio}};
  if (p.sphere)
    out.report["sphere"] = {(*p.sphere)[0], (*p.sphere)[1], (*p.sphere)[2], (*p.sphere)[3]};
  out.model = std::move(model);
  return out;
}

}  // namespace twinplan::engine
