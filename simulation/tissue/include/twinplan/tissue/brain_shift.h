#pragma once
// Brain shift after craniotomy (issue #18 item 3, first version): the brain sags under gravity
// once the dura is opened and CSF drains.
//
// Model (Miga et al., "Model-updated image guidance: initial clinical experiences with
// gravity-induced brain deformation", IEEE TMI 18(10):866-874, 1999; Dumpuri et al., "An
// atlas-based method to compensate for brain shift", Med Image Anal 11(2):128-145, 2007): in the
// preoperative image the brain floats in CSF, its weight balanced by buoyancy, so the imaged
// shape is the equilibrium under the effective body force (rho_brain - rho_CSF) g. Where CSF
// drains (above the fluid level) the brain loses that buoyancy and carries rho_brain g. The
// shift relative to the image is therefore the response to the lost buoyancy alone: a body force
// rho_CSF g on the brain above the fluid level, nothing below it (small strain: superposition).
// Outside the craniotomy (surface nodes within `openingRadius_mm` of the opening centre, free)
// the brain surface either slides on the skull (skullContact: frictionless contact, exact,
// fem_solver.h ContactEnforcement::ActiveSet, with the cranial cavity's wall as the rigid
// obstacle) or is held (all dofs fixed: the first version's model, still the default). The brain is
// neo-Hookean under large deformation by default (load applied in increments), else linear.
// Ventricular CSF can be drained too: the ventricles are then cavities whose walls lose the
// CSF's hydrostatic pressure.
//
// Gravity points to the floor. DICOM Patient Position (PS3.3 C.7.3.1.1.2) gives the patient's
// orientation on the table: supine (HFS, FFS) -> posterior (+P in LPS), prone (HFP, FFP) ->
// anterior, decubitus left (HFDL, FFDL, left side down) -> +L, decubitus right -> -L. The head
// can be turned on the neck: `headRotation_deg` turns gravity about the patient's S axis
// (positive from +P towards +L: a supine head turned to its right has gravity towards its left).
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/tissue/contact.h"
#include "twinplan/tissue/displacement_field.h"
#include "twinplan/tissue/fe_model.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/labelmap_mesher.h"

namespace twinplan::tissue {

// Brain tissue: the shear modulus of tissue_mechanics.h's "brain" (0.67 kPa, Bennion 2022) and
// of its "glioma" for the tumour (twice brain's, Wittek 2010), both with nu = 0.45 as in Miga
// 1999 (section II) and Dumpuri 2007: the table's nu 0.4977 locks the linear tetrahedra this
// scenario meshes (mechanics.json note). E = 2 mu (1 + nu): 1943 Pa brain, 3886 Pa tumour
// (Miga's 2100 Pa brain is within 8%). Density of CSF 1000.6 kg/m^3 (Lui, Polis & Cicutti,
// "Densities of cerebrospinal fluid and spinal anaesthetic solutions in surgical patients at 37 C",
// Can J Anaesth 45(4):297-303, 1998: 1.00059 g/ml). The brain's own density does not enter: its
// weight less buoyancy is already balanced in the image.
struct BrainTissue {
  double youngsModulus_Pa = 0;
  double poissonsRatio = 0.45;
  double tumourYoungsModulus_Pa = 0;
};
// Brain and tumour moduli from tissueMechanics("brain") and ("glioma") with nu 0.45, or with
// the given nu and the same cited shear moduli (0.49 for quadratic tetrahedra, which do not lock
// there: mechanics.json grey/white matter note, docs/validation.md "Quadratic tetrahedra in the
// shift scenarios (session 12)").
BrainTissue citedBrainTissue(double poissonsRatio = 0.45);

// Lame's parameters of an isotropic elastic material: mu = E / (2 (1 + nu)) (the shear
// modulus), lambda = E nu / ((1 + nu) (1 - 2 nu)); the bulk modulus K = lambda + 2 mu / 3.
struct LameParameters {
  double lambda_Pa = 0;
  double mu_Pa = 0;
  double bulkModulus_Pa() const { return lambda_Pa + 2 * mu_Pa / 3; }
};
// Lame's parameters of a material of Young's modulus E and Poisson's ratio nu. Throws
// Error(InvalidInput) naming `material` (and its segments) when it could not store strain
// energy under every strain: mu or K zero, negative or not finite - E > 0 and -1 < nu < 1/2
// (Abaqus Analysis User's Guide, "Linear elastic behavior", stability of isotropic elasticity).
// Brain shift checks every material it meshes so, ventricles drained or not.
LameParameters lameParameters(double youngsModulus_Pa, double poissonsRatio,
                              const std::string& material);
inline constexpr double kCsfDensity_kg_m3 = 1000.6;
inline constexpr double kGravity_mm_s2 = 9810;  // standard gravity 9.80665 m/s^2, rounded

// A brain retractor (issue #18 item 2, "prescribed displacements (retractor)"): a flat blade,
// a rectangle width x depth lying on the brain surface at the craniotomy centre, pushed into the
// brain by push_mm along the surface's inward normal there (spatula retraction as modelled by
// Griffiths, Jayamohan & Budday, "A comparison of brain retraction mechanisms using finite
// element analysis...", Biomech Model Mechanobiol 23:793-808, 2024). The surface nodes under
// the blade (inside the rectangle, within a lattice edge of its plane) move with it, bonded
// (all three components prescribed, as the liver tool); the rest of the opening is free;
// outside it the brain slides on the skull (skullContact) or is held. With a retractor the CSF
// loss is not applied: the result is the retraction's own displacement on the brain as imaged
// (drain the CSF in the brain-shift scenario; small strain superposes the two). The sizes are
// this model's defaults, a blade of 20 x 20 mm pushed 5 mm (assumptions, not cited figures).
struct RetractorBlade {
  double width_mm = 20;  // across the blade, along widthAxis_lps
  double depth_mm = 20;  // along the blade, across widthAxis_lps in the surface plane
  double push_mm = 5;    // into the brain, normal to the surface
  // The direction of the blade's width (projected onto the surface plane); not given: normal x S
  // (across the head's long axis), or normal x L where the normal is along S.
  std::optional<std::array<double, 3>> widthAxis_lps;
};

struct BrainShiftParameters {
  // The craniotomy centre, on the brain surface. Not given: the brain surface node nearest to
  // `openingToward_lps` (the tumour, for a craniotomy over it), else the highest surface node.
  std::optional<std::array<double, 3>> openingCentre_lps;
  std::optional<std::array<double, 3>> openingToward_lps;
  double openingRadius_mm = 25;         // a typical craniotomy, 40-60 mm across
  std::string patientPosition = "HFS";  // DICOM (0018,5100)
  double headRotation_deg = 0;
  // CSF drained: a fluid level (mm above the brain's lowest point along gravity) or a volume
  // drained from the top of the CSF segments (ml); give at most one. Neither: all drained
  // (fluid level at the brain's lowest point: the upper bound of the sag).
  std::optional<double> fluidLevel_mm;
  std::optional<double> csfLoss_ml;
  double resolution_mm = 6;  // mesher lattice edge
  // C3D4, or C3D10: the same lattice tetrahedra with straight mid-side nodes shared between
  // neighbours (LabelMeshParameters::elementType); the surface's mid-side nodes are held,
  // opened, slide on the skull or carry the blade like its corners.
  ElementType elementType = ElementType::C3D4;
  BrainTissue tissue = citedBrainTissue();
  // The brain surface outside the opening slides on the skull's inner surface without friction
  // and may leave it but not enter it (true), or is held (false). The skull is the wall of the
  // cranial cavity: every voxel that is not brain, tumour or CSF (tissue type csf) is rigid
  // (skullDistanceMap's distance transform of that region), so the brain can sink through the
  // CSF layer around it until it rests on bone.
  // The skull is sampled as a C2 cubic B-spline of the distance map, its curvature enters
  // Newton's tangent and the CSF gap closes along the load (RigidObstacle::rampStartGaps): on
  // the head phantom the full load converges (docs/validation.md, "Brain shift: skull contact
  // convergence"); with the skull smoothed by 2 mm (skullSmoothing_mm), the load in halves
  // (loadIncrement) and the multigrid set-up reused, in 2 increments and 15 Newton iterations,
  // ~3 s of CPU at 17,405 tets, 17 iterations and ~18 s at 75,830 (branch shiftfold); with the
  // first increment started from the nodes below a resting level, 16 and 13 iterations, ~14 s
  // at 75,830 (branch shiftstart): not interactive, so it is off by default.
  bool skullContact = false;
  // With skullContact, the rigid motions the skull leaves (sliding round a closed cavity) are
  // removed by holding the brain surface within this radius of its most inferior point next
  // to the midline: where the brainstem leaves through the foramen magnum (roughly 30-35 mm
  // across from general anatomy, not checked against a source: an assumption of this model).
  double foramenRadius_mm = 15;
  // With skullContact, the skull's distance map is smoothed by a Gaussian of this standard
  // deviation before it is read as a cubic B-spline (contact.h smoothDistanceMap): the
  // labelmap's voxel staircase is a segmentation artefact that the sliding brain feels as
  // detents - folds of the load path where Newton stalls (docs/validation.md, "Brain shift
  // contact: fewer Newton iterations (session 13)"). 2 mm (branch shiftfold): on the head
  // phantom's 1 x 1 x 2 mm grid the smoothed wall lies 0.23 mm (RMS) from the voxel faces,
  // 99 % of them within half a voxel (skullSurfaceDeparture); Newton needs 2-4 x fewer
  // iterations than with 1 mm, and the answer moves by less than the spread between meshes
  // (docs/validation.md, "Brain shift: a smoother skull (branch shiftfold)"). 0: as sampled.
  double skullSmoothing_mm = 2;
  // Per grid axis at least this many voxels (sigma = max(skullSmoothing_mm, this x spacing)),
  // for grids with thick slices; 0 by default (one voxel on 1 x 1 x 2 mm: 61 iterations at
  // 75k tetrahedra against 26 for 2 mm isotropic, same validation section).
  double skullSmoothing_voxels = 0;
  // The neo-Hookean solve's first load increment (a fraction of the load; later ones grow while
  // Newton converges in <= 4 iterations, and are halved when it fails). None: 0.5 with
  // skullContact (on the 2 mm skull the load path has no fold left and each increment costs
  // 6-9 iterations whatever its length: 2 increments, 16-17 iterations instead of 4 and 25-33
  // on the head phantom's meshes; docs/validation.md, branch shiftfold), else 0.25.
  std::optional<double> loadIncrement;
  // Neo-Hookean brain and tumour (C10 = mu / 2, D1 = 2 / K of the same E and nu: Abaqus Theory
  // Manual 4.6.1), total Lagrangian with the load in increments (issue #18 item 7's model);
  // false: linear elastic, small strain.
  bool neoHookean = true;
  // Ventricular CSF drained (e.g. a ventricular drain or an opened ventricle): the ventricles
  // (segments named Ventricles) are meshed as cavities and their walls lose the hydrostatic
  // pressure of the CSF column, rho_CSF g (h_top - h), the pressure a full ventricle exerted
  // beyond that at its top. false: they are meshed with the brain (trapped, incompressible
  // fluid) and carry no extra load.
  bool drainVentricles = false;
  // A retractor blade at the opening centre instead of the CSF loss (RetractorBlade).
  std::optional<RetractorBlade> retractor;
  // Called for every Newton iteration of the solve (SolverOptions::trace; profiling).
  std::function<void(const NewtonTrace&)> solverTrace;
  // SolverOptions::multigridSetUpReuse (twinplan-fem-bench --multigrid-reuse on|off). None: on
  // with skullContact (on the 2 mm skull, in halves, the same fields to 2.6e-5 mm on the head
  // phantom's four meshes with 15-20 % less CPU: docs/validation.md, branch shiftfold), else off.
  std::optional<bool> multigridSetUpReuse;
  // Throws Error(InvalidInput) naming the parameter.
  void validate() const;
};

// The skull's smoothing along each axis of the labelmap's grid `g`, in mm.
Vec3 skullSmoothingSigma_mm(const BrainShiftParameters& p, const ImageGeometry& g);

// How far the skull that skullContact slides on (the cranial cavity's wall, smoothed as
// BrainShiftParameters say) lies from the labelmap's voxel faces (contact.h
// staircaseDeparture). Error(InvalidInput) for parameters validate() refuses.
SurfaceDeparture skullSurfaceDeparture(const LabelMap& labels, const BrainShiftParameters& p);

// Gravity's direction (unit, LPS) for a patient position and head rotation; throws
// Error(InvalidInput) for an unknown position.
Vec3 gravityDirection(const std::string& patientPosition, double headRotation_deg);

// A material of the brain-shift mesh as solved: its name, the segments it covers and its
// Lame parameters (checked: lameParameters).
struct BrainShiftMaterial {
  std::string name;
  std::vector<std::string> segments;
  LameParameters lame;
};

struct BrainShiftResult {
  LabelMesh mesh;
  // Brain and tumour. Drained ventricles are no material: they are cavities (not meshed), so
  // no element takes a drained fluid's vanishing stiffness; undrained, they are brain.
  std::vector<BrainShiftMaterial> materials;
  SolveResult solution;
  Vec3 gravity_lps = Vec3::Zero();
  double fluidLevel_mm = 0;         // above the brain's lowest point, along -gravity
  std::size_t drainedElements = 0;  // carrying rho_CSF g
  std::size_t openingNodes = 0;     // free surface nodes
  std::size_t fixedNodes = 0;       // held surface nodes (all of them without skull contact)
  // With skull contact: the surface nodes that may touch the skull, those touching it at the
  // end, the held foramen nodes, and the nodes of mesh pieces not joined to the foramen
  // (a lattice can cut a thin bridge; their surface is held so they cannot float).
  std::size_t slidingNodes = 0, skullContactNodes = 0, foramenNodes = 0, detachedNodes = 0;
  double maxPenetration_mm = 0;        // of the skull, at the end
  std::size_t ventricleWallFaces = 0;  // faces carrying the lost ventricular pressure
  double ventricleVolumeLoss_ml = 0;   // by the walls' displacement (divergence theorem)
  double maxDisplacement_mm = 0;
  Vec3 openingCentre_lps = Vec3::Zero();
  // With a retractor: the nodes under its blade, the surface's outward normal there (the blade
  // moves along its opposite) and the force the blade pushes with, along its motion (the
  // reactions at its nodes).
  std::vector<std::size_t> retractorNodes;
  Vec3 retractorNormal_lps = Vec3::Zero();
  double retractorForce_N = 0;
};

// A brain segment: tissue type grey-matter, white-matter or brain, or named Brain. A segment
// named Ventricles is meshed with them unless drainVentricles.
bool isBrainSegment(const Segment& segment);

// The brain = the segments of `labels` whose tissue type is grey-matter, white-matter, brain or
// csf inside it (ventricles), or named "Brain"; tumours (tissue type "tumour") become their own
// material. CSF segments (tissue type csf, outside the brain) give csfLoss_ml its level.
// Throws Error(InvalidInput) when there is no brain segment, the opening is off the brain
// surface (no surface node within its radius), or the solve fails (inverted element, Newton);
// Cancelled on cancel.
BrainShiftResult simulateBrainShift(const LabelMap& labels, const BrainShiftParameters& parameters,
                                    Progress& progress = noProgress());

}  // namespace twinplan::tissue
