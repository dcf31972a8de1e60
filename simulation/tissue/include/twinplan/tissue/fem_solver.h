#pragma once
// The static solver of a tissue model (docs/architecture.md, "Tissue mechanics: FEM solver").
//
// Small-strain steps are one linear solve. NLGEOM steps are total Lagrangian: Newton's method
// on the residual of the internal (second Piola-Kirchhoff) and external forces, the load
// applied in increments, each Newton update scaled by a line search on the energy slope, and
// an increment that does not converge cut in half. Element stiffness and forces are computed
// in parallel (core/parallel.h) and summed in element order, so a result is the same bits on
// any thread count. Linear systems are solved by Eigen's sparse LDL^T (SimplicialLDLT) or,
// for large models, by conjugate gradients preconditioned with our smoothed-aggregation
// multigrid (inexact Newton steps).
#include <Eigen/Core>
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

enum class LinearSolver {
  Automatic,          // direct up to directSolverLimit unknowns, multigrid CG above
  DirectLdlt,         // Eigen::SimplicialLDLT (AMD ordering)
  ConjugateGradient,  // Eigen::ConjugateGradient with the Jacobi (diagonal) preconditioner
  // Conjugate gradients preconditioned by smoothed-aggregation algebraic multigrid with the
  // rigid-body modes (Vanek, Mandel & Brezina 1996); its hierarchy is reused across Newton
  // iterations while it stays effective. A contact tangent made indefinite by the obstacle's
  // curvature is solved by MINRES with the multigrid of its positive part.
  MultigridConjugateGradient,
};

// One Newton iteration as the solver saw it (SolverOptions::trace): the state at the start of
// the iteration (residual, gaps, contact set after its update) and the linear solve that
// followed the previous evaluation. For profiling (twinplan-fem-bench --trace).
struct NewtonTrace {
  int step = 0;            // 1-based
  int attempt = 0;         // increments tried in the step so far, cut-back ones included
  double loadFactor = 0;   // the increment's target
  int iteration = 0;       // 0 = the increment's first evaluation
  double residual_N = 0;   // largest free out-of-balance force
  double tolerance_N = 0;  // what the residual must fall below
  double gapError_mm = 0;  // largest gap of an active contact node
  int contactNodes = 0;    // active-set contact: nodes in the set after this update
  int joined = 0, left = 0;
  int krylovIterations = 0;     // of the previous iteration's linear solve
  bool hierarchyBuilt = false;  // ... and whether it built a new multigrid hierarchy
  // The energy slope along the previous iteration's update (its free part times the
  // out-of-balance force) where it started and after the full step; 0 where no line search ran.
  // A Newton step that overshoots has a slope at its end of the opposite sign and larger; one
  // that starts positive is no descent direction (the tangent is indefinite there).
  double energySlopeStart = 0, energySlopeFullStep = 0;
  // Active-set contact: the nodes of the previous tangent whose curvature block (the obstacle's
  // curvature under the contact force) had a negative eigenvalue: where the obstacle bulges into
  // the tissue and makes the tangent indefinite.
  int indefiniteCurvatureNodes = 0;
  bool converged = false;
};

struct SolverOptions {
  // Newton stops when the largest out-of-balance force is below this fraction of the largest
  // force in the model (external or reaction), or the update is below kRelativeUpdate of the
  // displacement. CalculiX's default criterion is 0.5 % of the average force (ccx 2.20 manual,
  // *CONTROLS); we ask for far less so that the two agree to well under 1 %.
  double relativeResidual = 1e-8;
  int maximumIterations = 30;  // per increment, before the increment is cut back
  int maximumCutbacks = 8;     // halvings of an increment before the solve gives up
  LinearSolver linearSolver = LinearSolver::Automatic;
  // Unknowns (3 per node) up to which Automatic factorises directly; measured on the
  // benchmark block (docs/benchmarks.md, "Tissue mechanics").
  Eigen::Index directSolverLimit = 3000;
  // Relative residual |K du - r| / |r| at which conjugate gradients stop; Newton's own
  // residual check decides convergence, so this only has to keep Newton's steps accurate.
  double iterativeTolerance = 1e-8;
  // The same for the Newton steps of NLGEOM steps solved by multigrid CG: an inexact Newton
  // step (Dembo, Eisenstat & Steihaug 1982) costs far fewer CG iterations and Newton still
  // converges (linearly, at about this rate, once near the solution).
  double newtonStepTolerance = 1e-3;
  // Automatic contact penalty (RigidObstacle::penalty_N_per_mm = 0) as a multiple of the mean
  // diagonal stiffness: large enough that penetration is ~1e-4 of the element strain under
  // the contact force, small enough that the direct factorisation stays accurate (a penalty
  // method's usual compromise; Wriggers, Computational Contact Mechanics, 2nd ed., 2006,
  // section 6.3).
  double contactPenaltyScale = 1e4;
  // Active-set contact (ContactEnforcement::ActiveSet): a node joins the set when it is deeper
  // than this in the obstacle, and the set's gaps are closed to within it; its contact force
  // must be compressive beyond relativeResidual x the largest force to stay in the set.
  double contactGapTolerance_mm = 1e-8;
  // Multigrid set-up reuse (LinearSolver::MultigridConjugateGradient): rebuilds keep the first
  // build's aggregates (Multigrid::update), and a hierarchy is reused with the current tangent
  // as its finest level (Multigrid::refreshFinest) also after an active-set contact change,
  // until its Krylov count more than doubles. Off: a new hierarchy after every set change, as
  // before. Either way the same equilibrium; the Newton path differs, and on the head phantom
  // it was 17-23 % cheaper at 17k and 75k tetrahedra but stalled in contact at 48k and 52.9k
  // (docs/validation.md, "Brain shift: multigrid set-up reuse"): its path met a fold of the
  // load path that the default path jumps over by chance ("Brain shift contact: fewer Newton
  // iterations (session 13)").
  bool multigridSetUpReuse = false;
  // Called once per Newton iteration when set (profiling; not on the GUI thread's clock).
  std::function<void(const NewtonTrace&)> trace;
};

struct StepReport {
  int increments = 0;
  int iterations = 0;   // Newton iterations over all increments (1 per linear step)
  double residual = 0;  // largest out-of-balance force at the end, in N
};

struct SolveResult {
  std::vector<std::array<double, 3>> displacement_mm;  // per node, FeModel::nodes order
  std::vector<std::array<double, 3>> reaction_N;       // per node: the force at prescribed dofs
  std::vector<StepReport> steps;
  int totalIterations = 0;
  double finalResidual = 0;
  double solveTime_s = 0;
  long linearIterations = 0;  // conjugate-gradient iterations of the multigrid solver
  int multigridBuilds = 0;    // multigrid hierarchies built
  // Frictionless contact with FeModel::obstacles at the end of the last step: the force each
  // obstacle exerts on each node (along its outward normal), and the deepest penetration.
  std::vector<std::array<double, 3>> contactForce_N;
  double maxPenetration_mm = 0;
  int contactNodes = 0;  // nodes in contact at the end
  // Active-set contact: Newton iterations (over all increments) in which the set changed.
  int activeSetChanges = 0;
  // Active-set contact: the largest pull (tensile normal force, N) an obstacle exerts on a node
  // in the set at the end, and the largest force an obstacle is allowed to pull with there (the
  // Newton tolerance). A frictionless contact pushes only: above the allowance a node that was
  // kept in the set after cycling holds the tissue back.
  double maxContactPull_N = 0, contactPullAllowance_N = 0;
  // Where the solve's wall time went (s): element assembly (forces and tangents, line searches
  // included), contact (gaps, set updates, curvature and frame rotations), multigrid hierarchy
  // builds, and the linear solves (Krylov iterations or factorisations).
  struct Times {
    double assembly_s = 0, contact_s = 0, multigridBuild_s = 0, linearSolve_s = 0;
  } times;
  int attemptedIncrements = 0;  // cut-back ones included
};

// The elements whose corner tetrahedron is inverted or flat: signed volume (b - a) x (c - a) .
// (d - a) / 6 <= 0 for corners a, b, c, d in deck order (Abaqus: the 4th corner on the side the
// right-hand normal of corners 1-2-3 points to). `first` is the first in model order.
struct InvertedElements {
  std::size_t count = 0;
  std::size_t first = 0;  // index into FeModel::elements
  int firstId = 0;
  double firstVolume_mm3 = 0;
  std::array<double, 3> firstCentroid_lps{};
};
InvertedElements invertedElements(const FeModel& model);
// "element 12 is inverted or flat in the undeformed mesh: its corners enclose a signed volume of
// -3.2 mm^3 (centre (x, y, z) mm)".
std::string describeInvertedElement(const InvertedElements& inverted);

// Solves every step of `model` in turn. Throws Error(InvalidInput) for a model that cannot be
// solved (an element without a material, an inverted element before or during a step, a
// singular stiffness, e.g. a body not held against rigid motion) and when Newton does not
// converge (step, increment, iteration, residual); Cancelled when `progress` asks.
SolveResult solve(const FeModel& model, const SolverOptions& options = {},
                  Progress& progress = noProgress());

}  // namespace twinplan::tissue
