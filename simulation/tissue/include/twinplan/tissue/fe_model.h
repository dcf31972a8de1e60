#pragma once
// A static finite-element model of soft tissue: nodes, tetrahedra, materials, boundary
// conditions and loads, in the terms of an Abaqus/CalculiX input deck (inp_reader.h).
//
// Units are those of the deck; TwinPlan's models use mm, N, MPa (N/mm^2) and tonne/mm^3, so
// displacements are in mm. Node and element numbers are the deck's ("ids"); the model keeps
// them for messages and output and addresses nodes by their index in `nodes` internally.
#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace twinplan::tissue {

enum class ElementType {
  C3D4,   // linear tetrahedron, 4 nodes
  C3D10,  // quadratic tetrahedron, 10 nodes in Abaqus order: corners 1-4, then mid-side
          // nodes of edges 1-2, 2-3, 3-1, 1-4, 2-4, 3-4 (Abaqus Analysis User's Guide 28.1.1)
};

std::size_t nodesPerElement(ElementType type);

struct Node {
  int id = 0;
  std::array<double, 3> x_mm{};  // reference (undeformed) position
};

struct Element {
  int id = 0;
  ElementType type = ElementType::C3D4;
  std::vector<std::size_t> nodes;  // indices into FeModel::nodes, deck order
  int material = -1;               // index into FeModel::materials (set by *SOLID SECTION)
};

enum class MaterialLaw {
  LinearElastic,  // *ELASTIC: small strain; St Venant-Kirchhoff under NLGEOM (as CalculiX)
  NeoHooke,       // *HYPERELASTIC, NEO HOOKE: W = C10 (I1bar - 3) + (1/D1) (J - 1)^2
};

struct Material {
  std::string name;
  MaterialLaw law = MaterialLaw::LinearElastic;
  double youngsModulus_MPa = 0, poissonsRatio = 0;  // *ELASTIC
  double c10_MPa = 0, d1_perMPa = 0;                // *HYPERELASTIC, NEO HOOKE
  double density_t_per_mm3 = 0;                     // *DENSITY (for GRAV loads)
  bool hasLaw = false;
  // Lame parameters of the small-strain (initial) response: mu = 2 C10, K = 2 / D1 for
  // neo-Hooke (Abaqus Theory Manual 4.6.1).
  double shearModulus() const;
  double bulkModulus() const;
};

// A prescribed displacement of one degree of freedom (0, 1, 2 = x, y, z).
struct PrescribedDisplacement {
  std::size_t node = 0;
  int dof = 0;
  double value_mm = 0;
};

// A concentrated nodal force (a dead load).
struct NodalForce {
  std::size_t node = 0;
  int dof = 0;
  double force_N = 0;
};

// Gravity on the elements of a set: body force density * g * direction (a dead load).
struct GravityLoad {
  std::vector<std::size_t> elements;  // indices into FeModel::elements
  double acceleration_mm_s2 = 0;
  std::array<double, 3> direction{};
};

// A uniform pressure on one face of an element, pushing into the element; a follower load
// under NLGEOM. Faces are numbered as Abaqus' P1..P4: 1 = nodes 1-2-3, 2 = 1-4-2, 3 = 2-4-3,
// 4 = 3-4-1 (Abaqus Analysis User's Guide 28.1.4, "Distributed loads").
struct FacePressure {
  std::size_t element = 0;
  int face = 1;
  double pressure_MPa = 0;
};

// A uniform traction (force per undeformed area, a vector in the model's axes, MPa = N/mm^2) on
// one face of an element, faces numbered as FacePressure's: a dead load, fixed in direction and
// size as the body deforms (a retractor or a glued patch pulling one way), integrated
// consistently on the face (f_a = t integral N_a dA0: a third of the area at each corner of a
// C3D4 face, at each mid-side node of a C3D10 face). CalculiX 2.20 reads no traction vector
// (*DLOAD TRVEC is refused, checked with Debian's ccx): decks carry it as the same consistent
// nodal forces in *CLOAD (surface_traction.h).
struct FaceTraction {
  std::size_t element = 0;
  int face = 1;
  std::array<double, 3> traction_MPa{};
};

// One *STEP. Boundary conditions given in a step add to (or, for the same node and degree of
// freedom, replace) those in force before it, as Abaqus' default OP=MOD; the model's own
// *BOUNDARY lines (before the first step) hold in every step. Nodal forces and gravity of a
// step add to those of earlier steps (unlike OP=MOD, a load repeated in a later step counts
// twice), and so do face tractions; face pressures on the same element face replace. Within a
// step the loads and prescribed displacements ramp linearly from their values at the end of the
// previous step (Abaqus' default RAMP amplitude for *STATIC).
struct Step {
  int line = 0;  // of *STEP in the deck, for messages
  bool nlgeom = false;
  double initialIncrement = 1, period = 1, minimumIncrement = 1e-5;
  int maximumIncrements = 100;
  std::vector<PrescribedDisplacement> boundaries;
  std::vector<NodalForce> nodalForces;
  std::vector<GravityLoad> gravity;
  std::vector<FacePressure> pressures;
  std::vector<FaceTraction> tractions;
};

// How a rigid obstacle keeps the tissue out (fem_solver.h).
enum class ContactEnforcement {
  // A penalty spring k at every penetrating node: penetration ~ force / k (Wriggers 2006, 6.3).
  Penalty,
  // Exact: an active set of nodes whose normal displacement is prescribed to close the gap
  // (u . n = g) in a node-local frame (normal, two tangents), the tangential displacements free
  // (frictionless sliding); nodes leave the set where the obstacle would have to pull (tensile
  // normal reaction) and join it where they would enter the obstacle (Hintermueller, Ito &
  // Kunisch, SIAM J Optim 13 (2002) 865-888, primal-dual active set; the node rotation of
  // Zienkiewicz & Taylor, The Finite Element Method, 6th ed., vol. 1, section 9.4 "skew
  // boundary conditions"). Penetration is below SolverOptions::contactGapTolerance_mm.
  ActiveSet,
};

// A rigid obstacle the tissue may touch but not enter, frictionless (issue #18: the skull): its
// signed distance in mm (positive where tissue may be, negative inside the obstacle, e.g. a
// distance map of the skull's labelmap region) and the unit normal pointing out of the
// obstacle (the distance's gradient). Contact is enforced at `nodes` in the Newton solve
// (fem_solver.h), by a penalty or an active set; it holds in every step. Not part of the .inp
// subset.
struct RigidObstacle {
  std::string name;
  std::function<double(const std::array<double, 3>&)> signedDistance_mm;
  std::function<std::array<double, 3>(const std::array<double, 3>&)> outwardNormal;
  std::vector<std::size_t> nodes;  // the nodes that may touch it (e.g. the node set SURFACE)
  // Penalty stiffness per node; 0 = automatic: SolverOptions::contactPenaltyScale times the
  // mean diagonal of the
  // tissue stiffness, so a node's penetration is about 1e-4 of what its
  // contact force would compress one element.
  double penalty_N_per_mm = 0;
  ContactEnforcement enforcement = ContactEnforcement::Penalty;
  // ActiveSet only: nodes that start in contact even where a gap is left (e.g. the brain's
  // lowest surface nodes under gravity, so the first Newton iterate is not a floating body's);
  // nodes touching the obstacle (gap <= SolverOptions::contactGapTolerance_mm) always do. With
  // rampStartGaps every node touches at load factor 0; a non-empty list then names the ones that
  // start in contact, the others (with a start gap) start free (brain shift: the nodes the
  // weight presses on the skull, docs/validation.md, branch shiftstart). A
  // node with a prescribed displacement (*BOUNDARY) or already in another active-set obstacle
  // takes no part, unless its prescribed axes lie in the obstacle's tangent plane (a symmetry
  // roller beside the contact). A node that starts inside the obstacle keeps that depth as its
  // contact level (it is not pushed out: a mesh and a sampled obstacle differ by a fraction of a
  // voxel).
  std::vector<std::size_t> initiallyActive;
  // ActiveSet only: the gaps the nodes start with (e.g. the CSF layer between brain and skull)
  // close along the first step instead of being there from its start - a continuation path
  // (homotopy) to the same end state: at load factor lambda the obstacle stands (1 - lambda) g0
  // nearer each node whose start gap is g0 > 0, so every node touches at lambda = 0 and the
  // active set follows the load in small changes rather than being found from a floating body
  // (docs/validation.md, "Brain shift: skull contact convergence").
  bool rampStartGaps = false;
};

struct FeModel {
  std::string name;  // the deck's file name, for messages
  std::vector<Node> nodes;
  std::vector<Element> elements;
  std::vector<Material> materials;
  std::map<std::string, std::vector<std::size_t>> nodeSets;     // upper-case name -> indices
  std::map<std::string, std::vector<std::size_t>> elementSets;  // upper-case name -> indices
  std::vector<PrescribedDisplacement> fixedBoundaries;          // model data, every step
  std::vector<Step> steps;
  std::vector<RigidObstacle> obstacles;  // frictionless contact, every step
  std::vector<std::string> notes;        // what the reader accepted and ignored (output requests)
};

}  // namespace twinplan::tissue
