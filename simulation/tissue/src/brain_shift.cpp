#include "twinplan/tissue/brain_shift.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numbers>

#include "tet_elements.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/tissue/contact.h"
#include "twinplan/tissue/surface_traction.h"
#include "twinplan/tissue/tissue_mechanics.h"

namespace twinplan::tissue {
namespace {

// Ventricles are meshed with the brain they lie in unless their CSF drains.
bool isVentricle(const Segment& s) { return s.name == "Ventricles"; }
bool isBrain(const Segment& s) { return isBrainSegment(s) || isVentricle(s); }
bool isTumour(const Segment& s) { return s.tissueType == "tumour"; }
bool isCsfSpace(const Segment& s) { return s.tissueType == "csf" && !isBrain(s); }

// The label region a face's outward side (out of its element) looks into, one voxel away.
bool facesSegment(const LabelMap& labels, const FeModel& model, const BoundaryFace& f,
                  const std::vector<std::size_t>& segments) {
  Vec3 x[3];
  for (int c = 0; c < 3; ++c) {
    const auto& p = model.nodes[f.nodes[std::size_t(c)]].x_mm;
    x[c] = Vec3(p[0], p[1], p[2]);
  }
  const Vec3 intoElement = (x[1] - x[0]).cross(x[2] - x[0]).normalized();
  const ImageGeometry& g = labels.geometry();
  const Vec3 probe = (x[0] + x[1] + x[2]) / 3 - g.spacing_mm.maxCoeff() * intoElement;
  const Vec3 ijk = g.lpsToIndex(probe);
  const std::int64_t i = std::llround(ijk.x()), j = std::llround(ijk.y()),
                     k = std::llround(ijk.z());
  if (i < 0 || j < 0 || k < 0 || i >= g.size[0] || j >= g.size[1] || k >= g.size[2]) return false;
  for (std::size_t s : segments)
    if (labels.contains(s, i, j, k)) return true;
  return false;
}

// The volume a closed set of faces oriented into the tissue encloses on its other side
// (divergence theorem), at the nodes moved by u.
double cavityVolume_mm3(const FeModel& model, const std::vector<BoundaryFace>& faces,
                        const std::vector<std::array<double, 3>>* u) {
  double volume = 0;
  for (const BoundaryFace& f : faces) {
    Vec3 x[3];
    for (int c = 0; c < 3; ++c) {
      const std::size_t n = f.nodes[std::size_t(c)];
      const auto& p = model.nodes[n].x_mm;
      x[c] = Vec3(p[0], p[1], p[2]);
      if (u) x[c] += Vec3((*u)[n][0], (*u)[n][1], (*u)[n][2]);
    }
    volume += x[0].dot(x[1].cross(x[2])) / 6;
  }
  return volume;
}

// Connected pieces of the mesh (elements sharing a node), one label per node.
std::vector<std::size_t> meshPieces(const FeModel& model) {
  std::vector<std::size_t> parent(model.nodes.size());
  for (std::size_t n = 0; n < parent.size(); ++n) parent[n] = n;
  auto root = [&](std::size_t n) {
    while (parent[n] != n) n = parent[n] = parent[parent[n]];
    return n;
  };
  for (const Element& e : model.elements)
    for (std::size_t c = 1; c < e.nodes.size(); ++c) parent[root(e.nodes[c])] = root(e.nodes[0]);
  for (std::size_t n = 0; n < parent.size(); ++n) parent[n] = root(n);
  return parent;
}

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

// Every voxel outside the cranial cavity (brain, tumour and CSF): the skull, as a region.
std::vector<char> outsideCranialCavity(const LabelMap& labels) {
  const ImageGeometry& g = labels.geometry();
  std::vector<char> skull(g.voxelCount(), 1);
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    const Segment& segment = labels.segments()[s];
    if (!(isBrain(segment) || isTumour(segment) || segment.tissueType == "csf")) continue;
    parallel::parallelFor({0, static_cast<std::size_t>(g.size[2])}, 1, [&](parallel::IndexRange r) {
      for (std::size_t k = r.begin; k < r.end; ++k)
        for (std::int64_t j = 0; j < g.size[1]; ++j)
          for (std::int64_t i = 0; i < g.size[0]; ++i)
            if (labels.contains(s, i, j, std::int64_t(k)))
              skull[g.linearIndex(i, j, std::int64_t(k))] = 0;
    });
  }
  return skull;
}

// The skull's smoothed distance map read as a C2 cubic B-spline (no nodes yet).
RigidObstacle skullObstacle(const LabelMap& labels, const BrainShiftParameters& p,
                            const std::vector<char>& skull) {
  const ImageGeometry& g = labels.geometry();
  DistanceMap skullMap = regionDistanceMap(g, skull, "skull (outside the cranial cavity)");
  smoothDistanceMap(skullMap, skullSmoothingSigma_mm(p, g));
  return obstacleFromDistanceMap(std::move(skullMap), {}, "skull",
                                 DistanceInterpolation::CubicBSpline);
}

// The first increment's contact set: the sliding surface nodes in the lower 60 % of the brain's
// height along gravity. With the CSF gap ramped every node touches the skull at load factor 0;
// started all in contact, the first solve pulls the upper surface onto the skull and Newton
// spends 5-7 iterations shedding and refinding it. The level was measured, not derived: on the
// head phantom, whole brain drained (the default; a partial fluid level was not measured),
// 96-98 % of the first increment's converged set lies below it (docs/validation.md, shiftstart).
constexpr double kRestingFraction = 0.6;

// The cranial cavity's wall as a rigid obstacle for the brain surface outside the opening;
// the foramen held; pieces of the mesh not joined to it held at their surface; the surface
// nodes below the resting level start in contact (the brain rests on them once CSF drains).
template <class Hold>
void addSkullContact(const LabelMap& labels, const BrainShiftParameters& p,
                     const std::vector<std::size_t>& surface, const std::vector<char>& inOpening,
                     const Vec3& up, Hold& hold, BrainShiftResult& result) {
  FeModel& model = result.mesh.model;
  // The foramen: the lowest surface node (along -S) next to the brain's axis (its mean L, P).
  Vec3 mean = Vec3::Zero();
  double lowestS = 1e300;
  for (std::size_t n : surface) {
    mean += nodePosition(model, n) / double(surface.size());
    lowestS = std::min(lowestS, nodePosition(model, n).z());
  }
  std::size_t foramen = surface.front();
  double best = 1e300;
  for (std::size_t n : surface) {
    const Vec3 x = nodePosition(model, n);
    const double score = (x.z() - lowestS) + std::hypot(x.x() - mean.x(), x.y() - mean.y());
    if (score < best) best = score, foramen = n;
  }
  const std::vector<std::size_t> piece = meshPieces(model);
  std::vector<std::size_t> sliding;
  double lowest = 1e300, highest = -1e300;
  for (std::size_t n : surface) {
    lowest = std::min(lowest, up.dot(nodePosition(model, n)));
    highest = std::max(highest, up.dot(nodePosition(model, n)));
  }
  const double restingLevel = lowest + kRestingFraction * (highest - lowest);
  RigidObstacle obstacle;
  for (std::size_t n : surface) {
    if (inOpening[n]) continue;
    if ((nodePosition(model, n) - nodePosition(model, foramen)).norm() <= p.foramenRadius_mm) {
      ++result.foramenNodes;
      hold(n);
    } else if (piece[n] != piece[foramen]) {
      ++result.detachedNodes;
      hold(n);
    } else {
      sliding.push_back(n);
      // Below the resting level: the nodes the drained brain's weight presses on the skull.
      if (up.dot(nodePosition(model, n)) < restingLevel)
        obstacle.initiallyActive.push_back(n);
    }
  }
  result.slidingNodes = sliding.size();
  RigidObstacle skullWall = skullObstacle(labels, p, outsideCranialCavity(labels));
  skullWall.nodes = std::move(sliding);
  skullWall.enforcement = ContactEnforcement::ActiveSet;
  skullWall.initiallyActive = std::move(obstacle.initiallyActive);
  skullWall.rampStartGaps = true;
  model.obstacles.push_back(std::move(skullWall));
}

// The outward normal of the brain surface around `centre`: the area-weighted normals of the
// boundary faces within `radius_mm` (faces' node order turns their normal into the element).
Vec3 outwardNormalNear(const FeModel& model, const std::vector<BoundaryFace>& faces,
                       const Vec3& centre, double radius_mm) {
  Vec3 sum = Vec3::Zero();
  for (const BoundaryFace& f : faces) {
    const Vec3 a = nodePosition(model, f.nodes[0]), b = nodePosition(model, f.nodes[1]),
               c = nodePosition(model, f.nodes[2]);
    if (((a + b + c) / 3 - centre).norm() <= radius_mm) sum -= 0.5 * (b - a).cross(c - a);
  }
  if (!(sum.norm() > 0))
    throw Error(ErrorKind::InvalidInput,
                "The retractor blade at the craniotomy centre touches no brain surface; place "
                "the opening on the brain surface.",
                "parameters.retractor");
  return sum.normalized();
}

// The blade's nodes: surface nodes in the opening inside its rectangle (width along `across`,
// depth along normal x across) and within a lattice edge of its plane; each prescribed the
// push along -normal. Error(InvalidInput) when there is none or the blade reaches beyond the
// opening (its nodes there are held or on the skull).
std::vector<std::size_t> placeRetractor(FeModel& model, const std::vector<std::size_t>& surface,
                                        const std::vector<char>& inOpening,
                                        const RetractorBlade& blade, const Vec3& centre,
                                        const Vec3& normal, double resolution_mm, Step& step) {
  Vec3 across = Vec3(0, 0, 1).cross(normal);
  if (blade.widthAxis_lps) {
    const Vec3 w((*blade.widthAxis_lps)[0], (*blade.widthAxis_lps)[1], (*blade.widthAxis_lps)[2]);
    across = w - w.dot(normal) * normal;
  } else if (across.norm() < 0.1) {
    across = Vec3(1, 0, 0).cross(normal);
  }
  if (!(across.norm() > 1e-6))
    throw Error(ErrorKind::InvalidInput,
                "The retractor's width axis is along the surface normal; give an axis that "
                "lies in the brain surface.",
                "parameters.retractor.widthAxis_lps");
  across.normalize();
  const Vec3 along = normal.cross(across);
  std::vector<std::size_t> nodes;
  for (std::size_t n : surface) {
    const Vec3 d = nodePosition(model, n) - centre;
    if (std::abs(d.dot(across)) > blade.width_mm / 2 ||
        std::abs(d.dot(along)) > blade.depth_mm / 2 || std::abs(d.dot(normal)) > resolution_mm)
      continue;
    if (!inOpening[n])
      throw Error(ErrorKind::InvalidInput,
                  "The retractor blade (" + std::to_string(blade.width_mm) + " x " +
                      std::to_string(blade.depth_mm) +
                      " mm) reaches beyond the craniotomy; make it smaller or the opening wider.",
                  "parameters.retractor");
    nodes.push_back(n);
    for (int dof = 0; dof < 3; ++dof)
      step.boundaries.push_back({n, dof, -blade.push_mm * normal[dof]});
  }
  if (nodes.empty())
    throw Error(ErrorKind::InvalidInput,
                "No brain surface node lies under the retractor blade (" +
                    std::to_string(blade.width_mm) + " x " + std::to_string(blade.depth_mm) +
                    " mm); make the blade larger than the mesh's " + std::to_string(resolution_mm) +
                    " mm lattice or mesh finer.",
                "parameters.retractor");
  return nodes;
}

}  // namespace

BrainTissue citedBrainTissue(double poissonsRatio) {
  BrainTissue t;
  t.poissonsRatio = poissonsRatio;
  // E = 2 mu (1 + nu), mu in kPa -> Pa.
  t.youngsModulus_Pa = 2e3 * tissueMechanics("brain").shearModulus_kPa * (1 + t.poissonsRatio);
  t.tumourYoungsModulus_Pa =
      2e3 * tissueMechanics("glioma").shearModulus_kPa * (1 + t.poissonsRatio);
  return t;
}

LameParameters lameParameters(double e_Pa, double nu, const std::string& material) {
  LameParameters lame;
  lame.mu_Pa = e_Pa / (2 * (1 + nu));
  lame.lambda_Pa = e_Pa * nu / ((1 + nu) * (1 - 2 * nu));
  const double k_Pa = lame.bulkModulus_Pa();
  auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", v);
    return std::string(text);
  };
  if (!(std::isfinite(lame.mu_Pa) && lame.mu_Pa > 0 && std::isfinite(k_Pa) && k_Pa > 0))
    throw Error(ErrorKind::InvalidInput,
                "The " + material + " material (E " + number(e_Pa) + " Pa, Poisson's ratio " +
                    number(nu) + ") has a shear modulus mu of " + number(lame.mu_Pa) +
                    " Pa and a bulk modulus of " + number(k_Pa) +
                    " Pa: both must be positive and finite (E > 0 and -1 < nu < 0.5); give "
                    "the tissue a positive Young's modulus and a Poisson's ratio below 0.5.",
                "parameters.tissue");
  return lame;
}

Vec3 skullSmoothingSigma_mm(const BrainShiftParameters& p, const ImageGeometry& g) {
  return g.spacing_mm.cwiseProduct(Vec3::Constant(p.skullSmoothing_voxels))
      .cwiseMax(Vec3::Constant(p.skullSmoothing_mm));
}

SurfaceDeparture skullSurfaceDeparture(const LabelMap& labels, const BrainShiftParameters& p) {
  p.validate();
  const std::vector<char> skull = outsideCranialCavity(labels);
  return staircaseDeparture(labels.geometry(), skull, skullObstacle(labels, p, skull));
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
  if (!(foramenRadius_mm > 0 && foramenRadius_mm <= 50))
    fail("The foramen radius must be in (0, 50] mm.", "foramenRadius_mm");
  if (!(skullSmoothing_mm >= 0 && skullSmoothing_mm <= 10))
    fail("The skull smoothing must be in [0, 10] mm.", "skullSmoothing_mm");
  if (!(skullSmoothing_voxels >= 0 && skullSmoothing_voxels <= 5))
    fail("The skull smoothing must be in [0, 5] voxels.", "skullSmoothing_voxels");
  if (loadIncrement && !(*loadIncrement >= 0.01 && *loadIncrement <= 1))
    fail("The first load increment must be in [0.01, 1] of the load.", "loadIncrement");
  if (retractor) {
    if (!(retractor->width_mm > 0 && retractor->width_mm <= 100))
      fail("The retractor blade's width must be in (0, 100] mm.", "retractor.width_mm");
    if (!(retractor->depth_mm > 0 && retractor->depth_mm <= 100))
      fail("The retractor blade's depth must be in (0, 100] mm.", "retractor.depth_mm");
    if (!(retractor->push_mm > 0 && retractor->push_mm <= 30))
      fail("The retractor's push must be in (0, 30] mm.", "retractor.push_mm");
    if (retractor->widthAxis_lps)
      for (double c : *retractor->widthAxis_lps)
        if (!std::isfinite(c)) fail("The retractor's width axis is not finite.", "retractor");
  }
  if (!(resolution_mm >= 2 && resolution_mm <= 20))
    fail("The mesh resolution must be in [2, 20] mm.", "resolution_mm");
  lameParameters(tissue.youngsModulus_Pa, tissue.poissonsRatio, "brain");
  lameParameters(tissue.tumourYoungsModulus_Pa, tissue.poissonsRatio, "tumour");
  if (!(tissue.poissonsRatio > 0 && tissue.poissonsRatio < 0.5))
    fail("The brain's Poisson's ratio must be in (0, 0.5).", "tissue");
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
  meshing.elementType = p.elementType;
  MeshMaterial brain{"brain", {}}, tumour{"tumour", {}};
  for (std::size_t s = 0; s < labels.segments().size(); ++s) {
    const Segment& segment = labels.segments()[s];
    if (isBrain(segment) && !(p.drainVentricles && isVentricle(segment)))
      brain.segments.push_back(s);
    if (isTumour(segment)) tumour.segments.push_back(s);
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
  if (const InvertedElements inverted = invertedElements(model); inverted.count > 0)
    throw Error(ErrorKind::InvalidInput,
                "The brain mesh at " + std::to_string(p.resolution_mm) + " mm has " +
                    std::to_string(inverted.count) + " inverted or flat elements: " +
                    describeInvertedElement(inverted) + "; try another --resolution.",
                "parameters.resolution_mm");

  // Materials; the density is CSF's, since the load is the lost buoyancy.
  const double csfDensity_t_mm3 = kCsfDensity_kg_m3 * 1e-12;
  // The mesher makes one material per meshing material, in their order, its name in upper
  // case for Abaqus decks (labelmap_mesher.h): the tumour is found by that order, not by name.
  for (std::size_t i = 0; i < model.materials.size(); ++i) {
    Material& m = model.materials[i];
    const MeshMaterial& meshed = meshing.materials.at(i);
    const bool isTumourMaterial = meshed.name == tumour.name;
    const double e_MPa =
        (isTumourMaterial ? p.tissue.tumourYoungsModulus_Pa : p.tissue.youngsModulus_Pa) * 1e-6;
    const double nu = p.tissue.poissonsRatio;
    m.hasLaw = true;
    m.law = p.neoHookean ? MaterialLaw::NeoHooke : MaterialLaw::LinearElastic;
    m.youngsModulus_MPa = e_MPa;
    m.poissonsRatio = nu;
    // Neo-Hooke of the same small-strain moduli: mu = 2 C10, K = 2 / D1.
    m.c10_MPa = e_MPa / (4 * (1 + nu));
    m.d1_perMPa = 6 * (1 - 2 * nu) / e_MPa;
    m.density_t_per_mm3 = csfDensity_t_mm3;
    // Each material checked with the segments it covers named (drained ventricles are none).
    BrainShiftMaterial solved{meshed.name, {}, {}};
    for (std::size_t s : meshed.segments) solved.segments.push_back(labels.segments()[s].name);
    std::string covers;
    for (const std::string& name : solved.segments) covers += (covers.empty() ? "" : ", ") + name;
    solved.lame = lameParameters(e_MPa * 1e6, nu, meshed.name + " (" + covers + ")");
    result.materials.push_back(std::move(solved));
  }

  // The brain's outer surface and, with drained ventricles, their walls.
  const std::vector<BoundaryFace> faces = boundaryFaces(model);
  std::vector<std::size_t> ventricleSegments;
  for (std::size_t s = 0; s < labels.segments().size(); ++s)
    if (isVentricle(labels.segments()[s])) ventricleSegments.push_back(s);
  std::vector<BoundaryFace> ventricleWalls;
  std::vector<char> onVentricleWall(model.nodes.size(), 0);
  if (p.drainVentricles)
    for (const BoundaryFace& f : faces)
      if (facesSegment(labels, model, f, ventricleSegments)) {
        ventricleWalls.push_back(f);
        // All the face's nodes (with C3D10 its mid-side ones): none of them is held.
        const Element& wall = model.elements[f.element];
        for (int local : detail::faceNodes(wall.type, f.face))
          onVentricleWall[wall.nodes[std::size_t(local)]] = 1;
      }
  std::vector<std::size_t> surface;
  for (std::size_t n : model.nodeSets.at("SURFACE"))
    if (!onVentricleWall[n]) surface.push_back(n);
  const Vec3 centre = openingCentre(model, surface, p, up);
  result.openingCentre_lps = centre;
  std::vector<char> inOpening(model.nodes.size(), 0);
  double nearest_mm = 1e300;
  for (std::size_t n : surface) {
    const double d = (nodePosition(model, n) - centre).norm();
    nearest_mm = std::min(nearest_mm, d);
    if (d <= p.openingRadius_mm) {
      inOpening[n] = 1;
      ++result.openingNodes;
    }
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
  auto hold = [&](std::size_t n) {
    ++result.fixedNodes;
    for (int dof = 0; dof < 3; ++dof) model.fixedBoundaries.push_back({n, dof, 0.0});
  };
  if (p.skullContact)
    addSkullContact(labels, p, surface, inOpening, up, hold, result);
  else
    for (std::size_t n : surface)
      if (!inOpening[n]) hold(n);

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
  for (std::size_t e = 0; e < model.elements.size() && !p.retractor; ++e) {
    Vec3 centroid = Vec3::Zero();
    for (int c = 0; c < 4; ++c) centroid += nodePosition(model, model.elements[e].nodes[c]) / 4;
    if (up.dot(centroid) > level) lostBuoyancy.elements.push_back(e);
  }
  result.drainedElements = lostBuoyancy.elements.size();
  Step step;
  step.nlgeom = p.neoHookean;
  // Large deformation: the load in increments (a quarter first, longer ones while Newton
  // converges easily; fem_solver.h); sliding on the smoothed skull, halves (each increment
  // costs 6-9 Newton iterations whatever its length: docs/validation.md, branch shiftfold).
  step.initialIncrement = p.loadIncrement.value_or(p.skullContact ? 0.5 : 0.25);
  step.gravity.push_back(std::move(lostBuoyancy));
  // Drained ventricles: each wall face loses the CSF's hydrostatic pressure below the
  // ventricles' top, rho g (h_top - h) at its centroid; a lost push into the tissue is a
  // negative pressure.
  double ventricleTop = -1e300;
  for (const BoundaryFace& f : ventricleWalls)
    for (std::size_t n : f.nodes)
      ventricleTop = std::max(ventricleTop, up.dot(nodePosition(model, n)));
  for (const BoundaryFace& f : ventricleWalls) {
    const Vec3 centroid = (nodePosition(model, f.nodes[0]) + nodePosition(model, f.nodes[1]) +
                           nodePosition(model, f.nodes[2])) /
                          3;
    const double depth_mm = ventricleTop - up.dot(centroid);
    step.pressures.push_back({f.element, f.face, -csfDensity_t_mm3 * kGravity_mm_s2 * depth_mm});
  }
  result.ventricleWallFaces = ventricleWalls.size();
  if (p.retractor) {
    std::vector<BoundaryFace> outer;
    for (const BoundaryFace& f : faces)
      if (!onVentricleWall[f.nodes[0]] || !onVentricleWall[f.nodes[1]] ||
          !onVentricleWall[f.nodes[2]])
        outer.push_back(f);
    const double reach_mm =
        std::max({p.retractor->width_mm, p.retractor->depth_mm, p.resolution_mm}) / 2;
    result.retractorNormal_lps = outwardNormalNear(model, outer, centre, reach_mm);
    result.retractorNodes = placeRetractor(model, surface, inOpening, *p.retractor, centre,
                                           result.retractorNormal_lps, p.resolution_mm, step);
  }
  model.steps = {step};

  auto solving = subRange(progress, 0.3, 1.0);
  SolverOptions options;
  if (p.skullContact) {
    // With the curvature term an increment whose active set settles converges in about 10
    // iterations (docs/validation.md); one whose set still cycles after 20 is cut back to a
    // smaller load step at once rather than after many more. Gaps closed to 0.1 micrometre.
    options.maximumIterations = 20;
    options.contactGapTolerance_mm = 1e-4;
  }
  options.trace = p.solverTrace;
  options.multigridSetUpReuse = p.multigridSetUpReuse.value_or(p.skullContact);
  result.solution = solve(model, options, *solving);
  for (const auto& u : result.solution.displacement_mm)
    result.maxDisplacement_mm =
        std::max(result.maxDisplacement_mm, std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]));
  for (std::size_t n : result.retractorNodes)
    for (int dof = 0; dof < 3; ++dof)
      result.retractorForce_N -=
          result.solution.reaction_N[n][dof] * result.retractorNormal_lps[dof];
  result.skullContactNodes = static_cast<std::size_t>(result.solution.contactNodes);
  result.maxPenetration_mm = result.solution.maxPenetration_mm;
  if (!ventricleWalls.empty())
    result.ventricleVolumeLoss_ml =
        (std::abs(cavityVolume_mm3(model, ventricleWalls, nullptr)) -
         std::abs(cavityVolume_mm3(model, ventricleWalls, &result.solution.displacement_mm))) /
        1000;
  return result;
}

}  // namespace twinplan::tissue
