// The multigrid-preconditioned conjugate-gradient path of the tissue solver (fem_solver.h,
// LinearSolver::MultigridConjugateGradient) against the direct sparse factorisation on the
// same nonlinear model: an independent linear solver, so both Newton paths must land on the
// same equilibrium.
#include <gtest/gtest.h>

#include <Eigen/SparseLU>
#include <cmath>
#include <cstdio>
#include <vector>

#include "multigrid.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"

namespace twinplan::tissue {
namespace {

// A brain block (C10 1 kPa, D1 100 /MPa) on a fixed base under sideways gravity, NLGEOM: the
// benchmark's model (bench/fem_bench.cpp) at a size the direct solver handles quickly.
FeModel brainBlock(ElementType type, std::array<int, 3> divisions) {
  const BoxMeshSpec spec{{120, 120, 75}, divisions, type, 0};
  return parseInp(boxMeshDeck(spec) +
                      "*MATERIAL, NAME=BRAIN\n*HYPERELASTIC, NEO HOOKE\n0.001, 100\n*DENSITY\n"
                      "1.04e-9\n*SOLID SECTION, ELSET=EALL, MATERIAL=BRAIN\n*BOUNDARY\nZ0, 1, 3\n"
                      "*STEP, NLGEOM\n*STATIC\n0.25, 1\n*DLOAD\nEALL, GRAV, 9810, 0, 1, 0\n"
                      "*END STEP\n",
                  "brain.inp");
}

void expectSameAsDirect(ElementType type, std::array<int, 3> divisions, bool setUpReuse = false) {
  const FeModel model = brainBlock(type, divisions);
  SolverOptions direct, multigrid;
  direct.linearSolver = LinearSolver::DirectLdlt;
  multigrid.linearSolver = LinearSolver::MultigridConjugateGradient;
  multigrid.multigridSetUpReuse = setUpReuse;
  const SolveResult a = solve(model, direct), b = solve(model, multigrid);
  EXPECT_GE(b.multigridBuilds, 1);
  EXPECT_GT(b.linearIterations, 0);
  double largest = 0, difference = 0;
  for (std::size_t n = 0; n < model.nodes.size(); ++n) {
    double squared = 0, size = 0;
    for (int d = 0; d < 3; ++d) {
      squared += std::pow(a.displacement_mm[n][d] - b.displacement_mm[n][d], 2);
      size += std::pow(a.displacement_mm[n][d], 2);
    }
    difference = std::max(difference, std::sqrt(squared));
    largest = std::max(largest, std::sqrt(size));
  }
  EXPECT_GT(largest, 5.0);  // a large deformation (about 20 mm on this block)
  EXPECT_LT(difference, 1e-6 * largest) << "largest " << largest;
}

TEST(FemMultigrid, SameEquilibriumAsDirectC3D4) {
  expectSameAsDirect(ElementType::C3D4, {8, 8, 5});
}

// With the set-up reuse (kept aggregates, the finest level refreshed between builds).
TEST(FemMultigrid, SameEquilibriumAsDirectWithSetUpReuseC3D4) {
  expectSameAsDirect(ElementType::C3D4, {8, 8, 5}, true);
}

TEST(FemMultigrid, SameEquilibriumAsDirectC3D10) {
  expectSameAsDirect(ElementType::C3D10, {4, 4, 3});
}

// MINRES (multigrid.h minimalResidual, the solver of contact tangents that are indefinite on a
// curved obstacle) on a symmetric indefinite matrix: the graph Laplacian of an 8 x 8 x 8 node
// lattice on 3 dofs per node (eigenvalues 0 to 12) plus 0.01, shifted down by 0.5 so that
// some eigenvalues are negative, preconditioned by the multigrid of the unshifted (positive
// definite) matrix. Against Eigen's sparse LU; conjugate gradients break down on it.
TEST(FemMultigrid, MinimalResidualSolvesAnIndefiniteSystem) {
  constexpr int kSide = 8;
  const int nodes = kSide * kSide * kSide;
  auto index = [](int i, int j, int k) { return (k * kSide + j) * kSide + i; };
  std::vector<Eigen::Triplet<double>> definite, indefinite;
  std::vector<std::array<double, 3>> positions(static_cast<std::size_t>(nodes));
  for (int k = 0; k < kSide; ++k)
    for (int j = 0; j < kSide; ++j)
      for (int i = 0; i < kSide; ++i) {
        const int n = index(i, j, k);
        positions[static_cast<std::size_t>(n)] = {double(i), double(j), double(k)};
        int degree = 0;
        const int neighbours[6][3] = {{i - 1, j, k}, {i + 1, j, k}, {i, j - 1, k},
                                      {i, j + 1, k}, {i, j, k - 1}, {i, j, k + 1}};
        for (const auto& m : neighbours) {
          if (m[0] < 0 || m[1] < 0 || m[2] < 0 || m[0] >= kSide || m[1] >= kSide || m[2] >= kSide)
            continue;
          ++degree;
          for (int d = 0; d < 3; ++d) {
            definite.emplace_back(3 * n + d, 3 * index(m[0], m[1], m[2]) + d, -1.0);
            indefinite.emplace_back(3 * n + d, 3 * index(m[0], m[1], m[2]) + d, -1.0);
          }
        }
        for (int d = 0; d < 3; ++d) {
          definite.emplace_back(3 * n + d, 3 * n + d, degree + 0.01);
          indefinite.emplace_back(3 * n + d, 3 * n + d, degree + 0.01 - 0.5);
        }
      }
  detail::RowMatrix a(3 * nodes, 3 * nodes), shifted(3 * nodes, 3 * nodes);
  a.setFromTriplets(definite.begin(), definite.end());
  shifted.setFromTriplets(indefinite.begin(), indefinite.end());
  detail::Multigrid multigrid;
  multigrid.build(a, positions, std::vector<char>(std::size_t(3 * nodes), 0));
  Eigen::VectorXd b(3 * nodes);
  for (Eigen::Index i = 0; i < b.size(); ++i) b(i) = std::sin(0.37 * double(i)) + 0.1;

  Eigen::VectorXd cgSolution = Eigen::VectorXd::Zero(b.size());
  const detail::IterativeSolve cg =
      detail::conjugateGradient(shifted, multigrid, b, cgSolution, 1e-10, 500);
  EXPECT_FALSE(cg.converged);

  Eigen::VectorXd x = Eigen::VectorXd::Zero(b.size());
  const detail::IterativeSolve minres =
      detail::minimalResidual(shifted, multigrid, b, x, 1e-12, 500);
  Eigen::SparseMatrix<double> columns = shifted;
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu(columns);
  ASSERT_EQ(lu.info(), Eigen::Success);
  const Eigen::VectorXd exact = lu.solve(b);
  const double error = (x - exact).norm() / exact.norm();
  const double residual = (b - columns * x).norm() / b.norm();
  std::printf("MINRES: %d iterations, relative error %.3g, residual %.3g (CG: %d iterations)\n",
              minres.iterations, error, residual, cg.iterations);
  EXPECT_TRUE(minres.converged);
  EXPECT_LT(error, 1e-8);
  EXPECT_LT(residual, 1e-9);
}

// The elasticity-like test matrix of the set-up reuse tests: the lattice Laplacian above on
// 3 dofs per node, positive definite (diagonal + 0.01), each node's coupling scaled by `stiffer`
// on the side x > 3 (a deformed tangent: the values change, the pattern does not).
struct Lattice {
  detail::RowMatrix a;
  std::vector<std::array<double, 3>> positions;
};

Lattice lattice(double stiffer) {
  constexpr int kSide = 8;
  auto index = [](int i, int j, int k) { return (k * kSide + j) * kSide + i; };
  Lattice out;
  std::vector<Eigen::Triplet<double>> entries;
  for (int k = 0; k < kSide; ++k)
    for (int j = 0; j < kSide; ++j)
      for (int i = 0; i < kSide; ++i) {
        const int n = index(i, j, k);
        out.positions.push_back({double(i), double(j), double(k)});
        const int neighbours[6][3] = {{i - 1, j, k}, {i + 1, j, k}, {i, j - 1, k},
                                      {i, j + 1, k}, {i, j, k - 1}, {i, j, k + 1}};
        for (const auto& m : neighbours) {
          if (m[0] < 0 || m[1] < 0 || m[2] < 0 || m[0] >= kSide || m[1] >= kSide || m[2] >= kSide)
            continue;
          const double w = (i > 3 || m[0] > 3) ? stiffer : 1.0;
          for (int d = 0; d < 3; ++d) {
            entries.emplace_back(3 * n + d, 3 * index(m[0], m[1], m[2]) + d, -w);
            entries.emplace_back(3 * n + d, 3 * n + d, w);
          }
        }
        for (int d = 0; d < 3; ++d) entries.emplace_back(3 * n + d, 3 * n + d, 0.01);
      }
  const int dofs = 3 * kSide * kSide * kSide;
  out.a.resize(dofs, dofs);
  out.a.setFromTriplets(entries.begin(), entries.end());
  return out;
}

Eigen::VectorXd testLoad(Eigen::Index size) {
  Eigen::VectorXd b(size);
  for (Eigen::Index i = 0; i < size; ++i) b(i) = std::sin(0.37 * double(i)) + 0.1;
  return b;
}

// Held dofs as identity rows and columns (with `diagonal` on the diagonal) and zero load.
void hold(detail::RowMatrix& a, Eigen::VectorXd& b, const std::vector<char>& held,
          double diagonal) {
  for (Eigen::Index row = 0; row < a.outerSize(); ++row)
    for (detail::RowMatrix::InnerIterator it(a, row); it; ++it)
      if (held[std::size_t(row)] || held[std::size_t(it.col())])
        it.valueRef() = it.row() == it.col() ? diagonal : 0.0;
  for (std::size_t d = 0; d < held.size(); ++d)
    if (held[d]) b(Eigen::Index(d)) = 0;
}

// Multigrid::update keeps the aggregates of the last build and recomputes the rest: back on the
// matrix that build aggregated (after an update to another), it is the same hierarchy to the
// bit; on a changed tangent with a changed set of held dofs, conjugate gradients converge
// about as fast as with a new build, to the direct solution.
TEST(FemMultigrid, UpdateKeepsTheAggregatesAndMatchesANewBuild) {
  const Lattice soft = lattice(1.0), stiff = lattice(3.0);
  const std::size_t dofs = soft.positions.size() * 3;
  const std::vector<char> none(dofs, 0);
  detail::Multigrid built, updated;
  built.build(soft.a, soft.positions, none);
  updated.build(soft.a, soft.positions, none);
  updated.update(stiff.a, stiff.positions, none);
  updated.update(soft.a, soft.positions, none);
  ASSERT_GE(built.levelCount(), 2);
  const Eigen::VectorXd b = testLoad(soft.a.rows());
  EXPECT_EQ(updated.levelCount(), built.levelCount());
  EXPECT_EQ(updated.coarsestSize(), built.coarsestSize());
  EXPECT_EQ((updated.apply(b) - built.apply(b)).cwiseAbs().maxCoeff(), 0.0);

  // The stiffer tangent with the dofs of 20 nodes held (identity rows and columns).
  std::vector<char> held(dofs, 0);
  detail::RowMatrix a = stiff.a;
  for (std::size_t d = 0; d < 60; ++d) held[3 * 37 + d] = 1;
  Eigen::VectorXd rhs = b;
  hold(a, rhs, held, 3.0);
  detail::Multigrid fresh;
  fresh.build(a, stiff.positions, held);
  updated.update(a, stiff.positions, held);
  Eigen::VectorXd xFresh, xUpdated;
  const detail::IterativeSolve withFresh =
      detail::conjugateGradient(a, fresh, rhs, xFresh, 1e-10, 200);
  const detail::IterativeSolve withUpdated =
      detail::conjugateGradient(a, updated, rhs, xUpdated, 1e-10, 200);
  ASSERT_TRUE(withFresh.converged);
  ASSERT_TRUE(withUpdated.converged);
  EXPECT_LE(withUpdated.iterations, withFresh.iterations + 2);
  Eigen::SparseMatrix<double> columns = a;
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu(columns);
  ASSERT_EQ(lu.info(), Eigen::Success);
  const Eigen::VectorXd exact = lu.solve(rhs);
  EXPECT_LT((xUpdated - exact).norm(), 1e-8 * exact.norm());
}

// Multigrid::refreshFinest: the hierarchy of an older tangent with the current one as its
// finest level, after a contact set change (the dofs of a face of nodes newly held). It stays
// a symmetric positive definite preconditioner (conjugate gradients converge to the direct
// solution), needs fewer iterations than the old hierarchy left as it was, and a new build
// fewer still.
TEST(FemMultigrid, RefreshedFinestLevelPreconditionsTheChangedTangent) {
  const Lattice before = lattice(1.0);
  const std::size_t dofs = before.positions.size() * 3;
  std::vector<char> held(dofs, 0);
  for (std::size_t n = 0; n < before.positions.size(); ++n)
    if (before.positions[n][0] == 0) held[3 * n] = held[3 * n + 1] = held[3 * n + 2] = 1;
  detail::RowMatrix a = before.a;
  Eigen::VectorXd b = testLoad(a.rows());
  hold(a, b, held, 6.0);
  detail::Multigrid old, refreshed, fresh;
  const std::vector<char> none(dofs, 0);
  old.build(before.a, before.positions, none);
  refreshed.build(before.a, before.positions, none);
  refreshed.refreshFinest(a);
  fresh.build(a, before.positions, held);
  auto iterations = [&](const detail::Multigrid& m, Eigen::VectorXd& x) {
    const detail::IterativeSolve s = detail::conjugateGradient(a, m, b, x, 1e-10, 400);
    EXPECT_TRUE(s.converged);
    return s.iterations;
  };
  Eigen::VectorXd xOld, xRefreshed, xFresh;
  const int withOld = iterations(old, xOld), withRefreshed = iterations(refreshed, xRefreshed),
            withFresh = iterations(fresh, xFresh);
  std::printf("CG iterations: old hierarchy %d, finest level refreshed %d, new build %d\n", withOld,
              withRefreshed, withFresh);
  EXPECT_LT(withRefreshed, withOld);
  EXPECT_LE(withFresh, withRefreshed);
  Eigen::SparseMatrix<double> columns = a;
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu(columns);
  const Eigen::VectorXd exact = lu.solve(b);
  EXPECT_LT((xRefreshed - exact).norm(), 1e-8 * exact.norm());
}

}  // namespace
}  // namespace twinplan::tissue
