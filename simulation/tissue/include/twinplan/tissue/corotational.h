#pragma once
// Co-rotational linear elasticity ("warped stiffness"; Mueller & Gross, "Interactive virtual
// materials", Graphics Interface 2004; Nesme, Payan & Faure, "Efficient, physically plausible
// finite elements", Eurographics 2005 short papers): each element's linear stiffness K_e acts
// in a frame that turns with the element, f_e = R_e K_e (R_e^T x_e - X_e), with R_e the
// rotation of the polar decomposition of its deformation gradient at the centroid. A rigid
// motion therefore stores no energy (a linear model would: its strain grows with the square of
// the rotation angle), and small strains behave as linear elasticity.
//
// Built for a dragged tool: the prescribed degrees of freedom are chosen once, the multigrid
// preconditioner of the unrotated stiffness is built once, and each update moves the
// prescribed values, re-rotates the elements and solves the warped stiffness sum R K R^T by
// preconditioned conjugate gradients, warm-started from the last state. Iterated to
// convergence the same update is the static solve (docs/architecture.md, "Tissue mechanics").
#include <Eigen/Core>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

struct CorotationalOptions {
  // Stop when the largest out-of-balance force at a free dof is below this fraction of the
  // largest force (external or internal), as the Newton solver does (fem_solver.h).
  double relativeResidual = 1e-8;
  int maximumIterations = 50;        // warped-stiffness solves per call of solve()
  double iterativeTolerance = 1e-6;  // conjugate gradients: |K du - r| <= this |r|
  // Scale each solve's step on the energy slope (needed for large steps; a dragged tool's
  // small per-frame steps can do without, and then the last solve of a call is not followed
  // by a force evaluation: the report gives the residual that solve started from).
  bool lineSearch = true;
};

struct CorotationalReport {
  int iterations = 0;     // warped-stiffness solves made
  long cgIterations = 0;  // conjugate-gradient iterations over all of them
  double residual_N = 0;  // largest out-of-balance force at a free dof, after the last solve
  double relativeResidual = 0;
  bool converged = false;  // residual below CorotationalOptions::relativeResidual
};

class CorotationalModel {
 public:
  // The elements' linear stiffness from each material's small-strain moduli (fe_model.h), and
  // `prescribedDofs` (3 * node index + 0/1/2) held at given values in every solve. Throws
  // Error(InvalidInput) for an element without material or inverted in the mesh, and for a
  // model not held against rigid motion.
  CorotationalModel(const FeModel& model, std::vector<std::size_t> prescribedDofs,
                    Progress& progress = noProgress());
  ~CorotationalModel();
  CorotationalModel(const CorotationalModel&) = delete;
  CorotationalModel& operator=(const CorotationalModel&) = delete;

  // Sets the prescribed dofs to `prescribed_mm` (in the order given to the constructor) and
  // makes up to options.maximumIterations warped-stiffness solves from the current state
  // against the nodal forces `externalForce_N` (3 per node; empty = none). One iteration is
  // the interactive update of a dragged tool; the default iterates to equilibrium. Throws
  // Cancelled when `progress` asks (the state is then that of the last finished iteration).
  CorotationalReport solve(std::span<const double> prescribed_mm,
                           const Eigen::VectorXd& externalForce_N = {},
                           const CorotationalOptions& options = {},
                           Progress& progress = noProgress());

  const Eigen::VectorXd& displacement() const;  // 3 per node, mm
  void setDisplacement(const Eigen::VectorXd& u_mm);

  // The co-rotated internal forces and strain energy at u (rotations taken from u), and the
  // strain energy of the plain linear model (no rotation), for comparison.
  Eigen::VectorXd internalForce(const Eigen::VectorXd& u_mm) const;
  double strainEnergy_mJ(const Eigen::VectorXd& u_mm) const;  // N mm = mJ
  double linearStrainEnergy_mJ(const Eigen::VectorXd& u_mm) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twinplan::tissue
