#include "twinplan/tissue/brain_shift.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>

#include "twinplan/core/error.h"
#include "twinplan/tissue/tissue_mechanics.h"

namespace twinplan::tissue {
namespace {

// Ventricles are meshed with the brain they lie in (their CSF is not drained in this model).
bool isBrain(const Segment& s) { return isBrainSegment(s) || s.name == "Ventricles"; }
bool isTumour(const Segment& s) { return s.tissueType == "tumour"; }
bool isCsfSpace(const Segment& s) { return s.tissueType == "csf" && !isBrain(s); }

Vec3 nodePosition(const FeModel& model, std::size_t n) {
  const auto& x = model.nodes[n].x_mm;
  return {x[0], x[1], x[2]};
}

// The CSF drained from the top down: the height (along -gravity) above which `loss_ml` of the
// CSF segments' voxels lie.
double levelOfCsfLoss(const LabelMap& labels, const Vec3& up, double loss_ml) {
  std::vector<double> heights;
  const ImageGeometry& g = labels.geometry();
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    if (!isCsfSpace(labels.segments()[s])) continue;
    for (std::int64_t k = 0; k < g.size[2]; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i)
          if (labels.contains(s, i, j, k))
            heights.push_back(up.dot(g.indexToLps(Vec3(double(i), double(j), double(k)))));
  }
  const double voxel_ml = g.spacing_mm.prod() / 1000.0;
  const double available_ml = double(heights.size()) * voxel_ml;
  if (heights.empty() || loss_ml > available_ml)
    throw Error(ErrorKind::InvalidInput,
                "The CSF loss of " + std::to_string(loss_ml) + " ml exceeds the " +
                    std::to_string(available_ml) +
                    " ml of CSF segmented outside the brain; give a smaller --csf-loss-ml or a "
                    "--fluid-level.",
                "parameters.csfLoss_ml");
  const std::size_t drained = std::min(heights.size() - 1, std::size_t(loss_ml / voxel_ml));
  std::nth_element(heights.begin(), heights.begin() + std::ptrdiff_t(drained), heights.end(),
                   std::greater<double>());
  return heights[drained];
}

// The given centre, else the surface node nearest to the point it should face, else the top.
Vec3 openingCentre(const FeModel& model, const std::vector<std::size_t>& surface,
                   const BrainShiftParameters& p, const Vec3& up) {
  if (p.openingCentre_lps) {
    const auto& c = *p.openingCentre_lps;
    return {c[0], c[1], c[2]};
  }
  Vec3 best = Vec3::Zero();
  double bestScore = -1e300;
  for (std::size_t n : surface) {
    const Vec3 x = nodePosition(model, n);
    const double score = p.openingToward_lps
                             ? -(x - Vec3((*p.openingToward_lps)[0], (*p.openingToward_lps)[1],
                                          (*p.openingToward_lps)[2]))
                                    .norm()
                             : up.dot(x);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return best;
}

}  // namespace

BrainTissue citedBrainTissue() {
  BrainTissue t;
  // E = 2 mu (1 + nu), mu in kPa -> Pa.
  t.youngsModulus_Pa = 2e3 * tissueMechanics("brain").shearModulus_kPa * (1 + t.poissonsRatio);
  t.tumourYoungsModulus_Pa =
      2e3 * tissueMechanics("glioma").shearModulus_kPa * (1 + t.poissonsRatio);
  return t;
}

bool isBrainSegment(const Segment& s) {
  return s.tissueType == "grey-matter" || s.tissueType == "white-matter" ||
         s.tissueType == "brain" || s.name == "Brain";
}

void BrainShiftParameters::validate() const {
  auto fail = [](const std::string& what, const char* name) {
    throw Error(ErrorKind::InvalidInput, what, std::string("parameters.") + name);
  };
  if (!(openingRadius_mm > 0 && openingRadius_mm <= 100))
    fail("The craniotomy radius must be in (0, 100] mm.", "openingRadius_mm");
  if (fluidLevel_mm && csfLoss_ml)
    fail("Give either a fluid level or a CSF loss, not both.", "fluidLevel_mm");
  if (fluidLevel_mm && !(*fluidLevel_mm >= 0 && *fluidLevel_mm <= 300))
    fail("The fluid level must be in [0, 300] mm above the brain's lowest point.", "fluidLevel_mm");
  if (csfLoss_ml && !(*csfLoss_ml > 0 && *csfLoss_ml <= 1000))
    fail("The CSF loss must be in (0, 1000] ml.", "csfLoss_ml");
  if (!(resolution_mm >= 2 && resolution_mm <= 20))
    fail("The mesh resolution must be in [2, 20] mm.", "resolution_mm");
  if (!(tissue.youngsModulus_Pa > 0 && tissue.tumourYoungsModulus_Pa > 0 &&
        tissue.poissonsRatio > 0 && tissue.poissonsRatio < 0.5))
    fail("The brain's moduli must be positive and Poisson's ratio in (0, 0.5).", "tissue");
  for (const auto* point : {&openingCentre_lps, &openingToward_lps})
    if (*point)
      for (double c : **point)
        if (!std::isfinite(c)) fail("The craniotomy centre is not a finite point.", "opening");
}

Vec3 gravityDirection(const std::string& position, double headRotation_deg) {
  Vec3 down;
  if (position == "HFS" || position == "FFS")
    down = Vec3(0, 1, 0);
  else if (position == "HFP" || position == "FFP")
    down = Vec3(0, -1, 0);
  else if (position == "HFDL" || position == "FFDL")
    down = Vec3(1, 0, 0);
  else if (position == "HFDR" || position == "FFDR")
    down = Vec3(-1, 0, 0);
  else
    throw Error(ErrorKind::InvalidInput,
                "The patient position \"" + position +
                    "\" is not one of HFS, HFP, HFDL, HFDR, FFS, FFP, FFDL, FFDR (DICOM "
                    "(0018,5100), PS3.3 C.7.3.1.1.2).",
                "parameters.patientPosition");
  if (!std::isfinite(headRotation_deg) || std::abs(headRotation_deg) > 180)
    throw Error(ErrorKind::InvalidInput, "The head rotation must be in [-180, 180] degrees.",
                "parameters.headRotation_deg");
  // Rotation about S (+z) by the angle, positive from +P (y) towards +L (x).
  const double a = headRotation_deg * std::numbers::pi / 180.0;
  const double x = down.x() * std::cos(a) + down.y() * std::sin(a);
  const double y = -down.x() * std::sin(a) + down.y() * std::cos(a);
  return Vec3(x, y, 0).normalized();
}

BrainShiftResult simulateBrainShift(const LabelMap& labels, const BrainShiftParameters& p,
                                    Progress& progress) {
  p.validate();
  BrainShiftResult result;
  result.gravity_lps = gravityDirection(p.patientPosition, p.headRotation_deg);
  const Vec3 up = -result.gravity_lps;

  LabelMeshParameters meshing;
  meshing.resolution_mm = p.resolution_mm;
  MeshMaterial brain{"brain", {}}, tumour{"tumour", {}};
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    if (isBrain(labels.segments()[s])) brain.segments.push_back(s);
    if (isTumour(labels.segments()[s])) tumour.segments.push_back(s);
  }
  if (std::none_of(labels.segments().begin(), labels.segments().end(), isBrainSegment))
    throw Error(ErrorKind::InvalidInput,
                "The labelmap \"" + labels.name +
                    "\" has no brain segment (tissue type grey-matter, white-matter or brain, or "
                    "a segment named Brain); segment the brain first (twinplan-cli segment "
                    "--preset brain).",
                labels.name);
  meshing.materials.push_back(brain);
  if (!tumour.segments.empty()) meshing.materials.push_back(tumour);
  auto meshingProgress = subRange(progress, 0.0, 0.3);
  result.mesh = meshLabelMap(labels, meshing, *meshingProgress);
  FeModel& model = result.mesh.model;
  if (result.mesh.quality.invertedElements > 0)
    throw Error(ErrorKind::InvalidInput,
                "The brain mesh has " + std::to_string(result.mesh.quality.invertedElements) +
                    " inverted elements at " + std::to_string(p.resolution_mm) +
                    " mm; try another --resolution.",
                "parameters.resolution_mm");

  // Materials: linear elastic; the density is CSF's, since the load is the lost buoyancy.
  const double csfDensity_t_mm3 = kCsfDensity_kg_m3 * 1e-12;
  for (Material& m : model.materials) {
    m.law = MaterialLaw::LinearElastic;
    m.hasLaw = true;
    m.youngsModulus_MPa =
        (m.name == "tumour" ? p.tissue.tumourYoungsModulus_Pa : p.tissue.youngsModulus_Pa) * 1e-6;
    m.poissonsRatio = p.tissue.poissonsRatio;
    m.density_t_per_mm3 = csfDensity_t_mm3;
  }

  // Boundary: the surface is held except in the craniotomy.
  const std::vector<std::size_t>& surface = model.nodeSets.at("SURFACE");
  const Vec3 centre = openingCentre(model, surface, p, up);
  result.openingCentre_lps = centre;
  double nearest_mm = 1e300;
  for (std::size_t n : surface) {
    const double d = (nodePosition(model, n) - centre).norm();
    nearest_mm = std::min(nearest_mm, d);
    if (d <= p.openingRadius_mm) {
      ++result.openingNodes;
      continue;
    }
    ++result.fixedNodes;
    for (int dof = 0; dof < 3; ++dof) model.fixedBoundaries.push_back({n, dof, 0.0});
  }
  if (result.openingNodes == 0)
    throw Error(ErrorKind::InvalidInput,
                "The craniotomy at (" + std::to_string(centre.x()) + ", " +
                    std::to_string(centre.y()) + ", " + std::to_string(centre.z()) +
                    ") is off the brain surface: its nearest surface point is " +
                    std::to_string(nearest_mm) + " mm away, beyond the " +
                    std::to_string(p.openingRadius_mm) +
                    " mm radius; place the opening on the brain surface.",
                "parameters.opening");

  // CSF drained above the fluid level: those elements carry rho_CSF g.
  double lowest = 1e300;
  for (std::size_t n = 0; n < model.nodes.size(); ++n)
    lowest = std::min(lowest, up.dot(nodePosition(model, n)));
  double level = lowest;
  if (p.fluidLevel_mm) level = lowest + *p.fluidLevel_mm;
  if (p.csfLoss_ml) level = std::max(lowest, levelOfCsfLoss(labels, up, *p.csfLoss_ml));
  result.fluidLevel_mm = level - lowest;
  GravityLoad lostBuoyancy;
  lostBuoyancy.acceleration_mm_s2 = kGravity_mm_s2;
  lostBuoyancy.direction = {result.gravity_lps.x(), result.gravity_lps.y(), result.gravity_lps.z()};
  for (std::size_t e = 0; e < model.elements.size(); ++e) {
    Vec3 centroid = Vec3::Zero();
    for (int c = 0; c < 4; ++c) centroid += nodePosition(model, model.elements[e].nodes[c]) / 4;
    if (up.dot(centroid) > level) lostBuoyancy.elements.push_back(e);
  }
  result.drainedElements = lostBuoyancy.elements.size();
  Step step;
  step.nlgeom = false;
  step.gravity.push_back(std::move(lostBuoyancy));
  model.steps = {step};

  auto solving = subRange(progress, 0.3, 1.0);
  result.solution = solve(model, {}, *solving);
  for (const auto& u : result.solution.displacement_mm)
    result.maxDisplacement_mm =
        std::max(result.maxDisplacement_mm, std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]));
  return result;
}

}  // namespace twinplan::tissue
