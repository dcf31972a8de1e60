// The multigrid-preconditioned conjugate-gradient path of the tissue solver (fem_solver.h,
// LinearSolver::MultigridConjugateGradient) against the direct sparse factorisation on the
// same nonlinear model: an independent linear solver, so both Newton paths must land on the
// same equilibrium.
#include <gtest/gtest.h>

#include <cmath>

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

void expectSameAsDirect(ElementType type, std::array<int, 3> divisions) {
  const FeModel model = brainBlock(type, divisions);
  SolverOptions direct, multigrid;
  direct.linearSolver = LinearSolver::DirectLdlt;
  multigrid.linearSolver = LinearSolver::MultigridConjugateGradient;
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

TEST(FemMultigrid, SameEquilibriumAsDirectC3D10) {
  expectSameAsDirect(ElementType::C3D10, {4, 4, 3});
}

}  // namespace
}  // namespace twinplan::tissue
