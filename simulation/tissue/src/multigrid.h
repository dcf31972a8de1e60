#pragma once
// Smoothed-aggregation algebraic multigrid for elasticity, used as the preconditioner of
// conjugate gradients (internal; docs/architecture.md, "Tissue mechanics: linear solves").
//
// Vanek, Mandel & Brezina, "Algebraic multigrid by smoothed aggregation for second and fourth
// order elliptic problems", Computing 56 (1996) 179-196: nodes are grouped into aggregates of
// strongly coupled neighbours; the tentative prolongator interpolates the six rigid-body modes
// (three translations, three rotations: the near-null space of elasticity) exactly on every
// aggregate; one damped Jacobi step smooths it; coarse operators are Galerkin products P^T A P.
// The cycle is a symmetric V-cycle with damped Jacobi smoothing, so it is a symmetric positive
// definite preconditioner for a symmetric positive definite matrix. Every loop is a parallel
// loop over rows or a serial one, so the result is the same bits on any thread count.
#include <Eigen/Core>
#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <array>
#include <utility>
#include <vector>

namespace twinplan::tissue::detail {

using RowMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, int>;

// y = A x, rows in parallel.
void multiply(const RowMatrix& a, const Eigen::VectorXd& x, Eigen::VectorXd& y);

class Multigrid {
 public:
  // `a`: the full symmetric stiffness with 3 dofs per node in node order; `nodes_mm`: the node
  // positions (for the rotation modes); `constrained`: dofs whose rows and columns are identity
  // rows (prescribed displacements), which take no part in the coarse spaces; `rotatedNodes`:
  // nodes whose dofs are in a local frame (columns: the frame's axes in x, y, z; active-set
  // contact), where the rigid-body modes are expressed in that frame.
  using NodeFrame = std::pair<std::size_t, Eigen::Matrix3d>;
  void build(const RowMatrix& a, const std::vector<std::array<double, 3>>& nodes_mm,
             const std::vector<char>& constrained, const std::vector<NodeFrame>& rotatedNodes = {});
  // The same for a matrix of the same mesh with other values (the next Newton tangent, a
  // changed contact set): each level keeps the aggregates of the last build() - the strength
  // graph and the aggregation are the part of a build that depends only on the mesh - and
  // only the prolongators (their rigid-body modes follow `constrained` and the frames) and the
  // Galerkin products are recomputed. A level whose node count no longer matches (an aggregate
  // left with prescribed dofs only) and every level below it are aggregated afresh.
  void update(const RowMatrix& a, const std::vector<std::array<double, 3>>& nodes_mm,
              const std::vector<char>& constrained,
              const std::vector<NodeFrame>& rotatedNodes = {});

  // Keeps the coarse levels and prolongators and takes `a` (same size, same pattern or not) as
  // the finest level's matrix: its smoother then works on the current tangent.
  void refreshFinest(const RowMatrix& a);

  // One V-cycle from a zero guess: an approximation of A^-1 r.
  Eigen::VectorXd apply(const Eigen::VectorXd& r) const;

  int levelCount() const { return static_cast<int>(levels_.size()); }
  Eigen::Index coarsestSize() const { return coarse_.rows(); }

 private:
  struct Level {
    RowMatrix a;
    Eigen::VectorXd inverseDiagonal;
    double jacobiWeight = 0;  // 4 / (3 rho(D^-1 A))
    RowMatrix prolongator, restriction;
  };
  struct Aggregation {
    std::vector<int> aggregateOf;  // per node of the level
    int count = 0;
  };
  void setUp(const RowMatrix& a, const std::vector<std::array<double, 3>>& nodes_mm,
             const std::vector<char>& constrained, const std::vector<NodeFrame>& rotatedNodes,
             bool keepAggregates);
  void cycle(std::size_t level, const Eigen::VectorXd& b, Eigen::VectorXd& x) const;

  std::vector<Level> levels_;              // the last one is solved directly
  std::vector<Aggregation> aggregations_;  // of every level but the last
  Eigen::MatrixXd coarse_;
  Eigen::LDLT<Eigen::MatrixXd> coarseFactor_;
};

struct IterativeSolve {
  int iterations = 0;
  double relativeResidual = 0;  // |b - A x| / |b|
  bool converged = false;       // false also when A was found not positive definite
};

// Conjugate gradients on A x = b from the given x, preconditioned by one V-cycle per
// iteration, until |b - A x| <= tolerance |b| (Saad, Iterative Methods for Sparse Linear
// Systems, 2nd ed., 2003, algorithm 9.1).
IterativeSolve conjugateGradient(const RowMatrix& a, const Multigrid& preconditioner,
                                 const Eigen::VectorXd& b, Eigen::VectorXd& x, double tolerance,
                                 int maximumIterations);

// MINRES (Paige & Saunders, "Solution of sparse indefinite systems of linear equations", SIAM J
// Numer Anal 12 (1975) 617-629) on a symmetric, possibly indefinite A, preconditioned by one
// V-cycle of a symmetric positive definite hierarchy (built from a positive definite part of
// A): the tangent of active-set contact on a curved obstacle is indefinite where the obstacle
// bulges into the tissue (fem_solver.cpp, curvature term), where conjugate gradients break
// down. It minimises the preconditioned residual over the Krylov space; stops when that norm
// |r|_{M^-1} has fallen below tolerance times its start value. Converged false also when the
// preconditioner is found not positive definite.
IterativeSolve minimalResidual(const RowMatrix& a, const Multigrid& preconditioner,
                               const Eigen::VectorXd& b, Eigen::VectorXd& x, double tolerance,
                               int maximumIterations);

}  // namespace twinplan::tissue::detail
