// The tissue FEM solver against analytic answers (docs/validation.md, "Tissue mechanics: FEM
// solver"): patch tests, a cantilever against Timoshenko beam theory, neo-Hookean uniaxial
// compression against the closed-form stress, and the neo-Hookean tangent against finite
// differences of its stress.
#include <gtest/gtest.h>
#include <oneapi/tbb/global_control.h>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <cmath>
#include <cstdio>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/material_law.h"

namespace twinplan::tissue {
namespace {

FeModel boxModel(const BoxMeshSpec& spec, const std::string& material, const std::string& step) {
  return parseInp(boxMeshDeck(spec) + "*MATERIAL, NAME=TISSUE\n" + material +
                      "*SOLID SECTION, ELSET=EALL, MATERIAL=TISSUE\n" + step,
                  "box.inp");
}

bool onBoundary(const Node& n, const BoxMeshSpec& spec) {
  for (int d = 0; d < 3; ++d)
    if (std::abs(n.x_mm[d]) < 1e-9 || std::abs(n.x_mm[d] - spec.size_mm[d]) < 1e-9) return true;
  return false;
}

// Patch test (Zienkiewicz & Taylor, The Finite Element Method vol. 1, 7th ed., chapter 9): a
// linear displacement field prescribed on the boundary of a patch of distorted elements is
// reproduced exactly at every interior node.
void expectPatchTestPasses(ElementType type, const std::string& material, const std::string& step,
                           double strainScale) {
  BoxMeshSpec spec{{10, 10, 10}, {3, 3, 3}, type, 0.9};
  FeModel model = boxModel(spec, material, step);
  const Eigen::Matrix3d A =
      strainScale * (Eigen::Matrix3d() << 1, 2, -1, 0.5, -2, 1, 3, 1, 1).finished();
  const Eigen::Vector3d c(0.1, -0.2, 0.3);
  auto exact = [&](const Node& n) { return (A * Eigen::Vector3d(n.x_mm.data()) + c).eval(); };
  for (std::size_t i = 0; i < model.nodes.size(); ++i)
    if (onBoundary(model.nodes[i], spec))
      for (int d = 0; d < 3; ++d)
        model.steps[0].boundaries.push_back({i, d, exact(model.nodes[i])(d)});
  const SolveResult r = solve(model);
  std::size_t interior = 0;
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    if (!onBoundary(model.nodes[i], spec)) ++interior;
    for (int d = 0; d < 3; ++d)
      EXPECT_NEAR(r.displacement_mm[i][d], exact(model.nodes[i])(d), 1e-9)
          << "node " << model.nodes[i].id;
  }
  EXPECT_GT(interior, 7u);
}

constexpr const char* kLinear = "*ELASTIC\n1000, 0.3\n";
constexpr const char* kBrainNeoHooke = "*HYPERELASTIC, NEO HOOKE\n0.001, 100\n";

TEST(FemSolver, PatchTestLinearC3D4) {
  expectPatchTestPasses(ElementType::C3D4, kLinear, "*STEP\n*STATIC\n*END STEP\n", 1e-3);
}

TEST(FemSolver, PatchTestLinearC3D10) {
  expectPatchTestPasses(ElementType::C3D10, kLinear, "*STEP\n*STATIC\n*END STEP\n", 1e-3);
}

// A homogeneous finite deformation (F = I + A, |A| ~ 0.1) is also reproduced exactly.
TEST(FemSolver, PatchTestNeoHookeanFiniteStrainC3D10) {
  expectPatchTestPasses(ElementType::C3D10, kBrainNeoHooke,
                        "*STEP, NLGEOM\n*STATIC\n0.5, 1\n*END STEP\n", 0.03);
}

// Tip deflection of a cantilever (length 100, section 10 x 10, E 1000, nu 0.3, tip load 1 N
// as a uniform shear traction on the end face, root fully clamped). Timoshenko:
// PL^3/(3EI) + PL/(kappa G A), kappa = 10 (1 + nu) / (12 + 11 nu) (Cowper 1966).
double cantileverTipDeflection(ElementType type, std::array<int, 3> divisions) {
  const BoxMeshSpec spec{{100, 10, 10}, divisions, type, 0};
  std::string step = "*BOUNDARY\nX0, 1, 3\n*STEP\n*STATIC\n*CLOAD\n";
  char line[64];
  for (const auto& [id, share] : endFaceLoadShares(spec)) {
    std::snprintf(line, sizeof line, "%d, 2, %.17g\n", id, -share);
    step += line;
  }
  const FeModel model = boxModel(spec, kLinear, step + "*END STEP\n");
  const SolveResult r = solve(model);
  double sum = 0;
  int count = 0;
  for (std::size_t i = 0; i < model.nodes.size(); ++i)
    if (std::abs(model.nodes[i].x_mm[0] - 100) < 1e-9) sum += r.displacement_mm[i][1], ++count;
  return -sum / count;
}

double timoshenkoTipDeflection() {
  const double E = 1000, nu = 0.3, L = 100, b = 10, h = 10, P = 1;
  const double I = b * h * h * h / 12, G = E / (2 * (1 + nu)),
               kappa = 10 * (1 + nu) / (12 + 11 * nu);
  return P * L * L * L / (3 * E * I) + P * L / (kappa * G * b * h);
}

TEST(FemSolver, CantileverC3D10ConvergesToTimoshenko) {
  const double exact = timoshenkoTipDeflection();  // 0.40306 mm
  const double coarse = cantileverTipDeflection(ElementType::C3D10, {10, 1, 1});
  const double medium = cantileverTipDeflection(ElementType::C3D10, {20, 2, 2});
  const double fine = cantileverTipDeflection(ElementType::C3D10, {40, 4, 4});
  std::printf("cantilever C3D10 tip / Timoshenko: %.5f %.5f %.5f (exact %.5f mm)\n", coarse / exact,
              medium / exact, fine / exact, exact);
  EXPECT_LT(std::abs(fine - exact), 0.02 * exact);
  EXPECT_LT(std::abs(fine - exact), std::abs(coarse - exact));
  EXPECT_LE(std::abs(fine - exact), std::abs(medium - exact) + 1e-4 * exact);
}

// Linear tetrahedra lock in bending: far stiffer than the beam on the same cells (why the
// validation and the solver prefer C3D10).
TEST(FemSolver, CantileverC3D4IsStiffButConverges) {
  const double exact = timoshenkoTipDeflection();
  const double coarse = cantileverTipDeflection(ElementType::C3D4, {10, 1, 1});
  const double fine = cantileverTipDeflection(ElementType::C3D4, {40, 4, 4});
  std::printf("cantilever C3D4 tip / Timoshenko: %.5f %.5f\n", coarse / exact, fine / exact);
  EXPECT_LT(coarse, 0.5 * exact);
  EXPECT_GT(fine, coarse);
  EXPECT_LT(fine, exact);
}

// Uniaxial stress of the compressible neo-Hookean law (Abaqus form, Abaqus Theory Manual
// 4.6.1): sigma = (2 C10 / J) dev(bbar) + (2 / D1)(J - 1) I with b = diag(l1^2, l2^2, l2^2);
// the lateral stretch l2 makes sigma_22 = 0; solved here by bisection.
struct UniaxialAnswer {
  double lateralStretch, nominalStress_MPa;
};

UniaxialAnswer neoHookeanUniaxial(double c10, double d1, double l1) {
  auto sigma = [&](double l2, int component) {
    const double J = l1 * l2 * l2, scale = std::pow(J, -2.0 / 3.0);
    const double b1 = scale * l1 * l1, b2 = scale * l2 * l2, mean = (b1 + 2 * b2) / 3;
    return 2 * c10 / J * ((component == 0 ? b1 : b2) - mean) + 2 / d1 * (J - 1);
  };
  double lo = 0.5, hi = 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (sigma(mid, 1) > 0 ? hi : lo) = mid;
  }
  const double l2 = (lo + hi) / 2;
  return {l2, sigma(l2, 0) * l2 * l2};  // force per reference area: sigma_11 * l2^2
}

TEST(FemSolver, NeoHookeanUniaxialCompressionMatchesAnalyticStress) {
  const double c10 = 0.001, d1 = 100, L = 10;  // brain-like: mu 2 kPa, K 20 kPa
  const BoxMeshSpec spec{{L, L, L}, {2, 2, 2}, ElementType::C3D10, 0};
  const FeModel model = boxModel(
      spec, kBrainNeoHooke,
      "*BOUNDARY\nX0, 1\nY0, 2\nZ0, 3\n*STEP, NLGEOM\n*STATIC\n0.25, 1\n*BOUNDARY\nX1, 1, 1, "
      "-2\n*END STEP\n");
  const SolveResult r = solve(model);
  const UniaxialAnswer exact = neoHookeanUniaxial(c10, d1, 0.8);
  double force = 0, lateral = 0;
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    const auto& x = model.nodes[i].x_mm;
    if (std::abs(x[0] - L) < 1e-9) force += r.reaction_N[i][0];
    if (std::abs(x[0] - L) < 1e-9 && std::abs(x[1] - L) < 1e-9 && std::abs(x[2] - L) < 1e-9)
      lateral = 1 + r.displacement_mm[i][1] / L;
  }
  std::printf(
      "uniaxial 20%%: lateral stretch %.6f (exact %.6f), nominal stress %.6g MPa (exact "
      "%.6g), %d iterations\n",
      lateral, exact.lateralStretch, force / (L * L), exact.nominalStress_MPa, r.totalIterations);
  EXPECT_NEAR(lateral, exact.lateralStretch, 1e-8);
  EXPECT_NEAR(force / (L * L), exact.nominalStress_MPa, 1e-8 * std::abs(exact.nominalStress_MPa));
  EXPECT_LT(exact.nominalStress_MPa, 0);
}

// The neo-Hookean tangent dS/dE against central differences of S.
TEST(FemSolver, NeoHookeanTangentMatchesFiniteDifferences) {
  Material m;
  m.law = MaterialLaw::NeoHooke;
  m.c10_MPa = 0.3;
  m.d1_perMPa = 0.5;
  const Eigen::Matrix3d F =
      Eigen::Matrix3d::Identity() +
      0.2 * (Eigen::Matrix3d() << 1, 0.3, -0.5, 0.2, -0.8, 0.4, -0.1, 0.6, 0.9).finished();
  const Voigt6 tangent = materialResponse(m, F, true).tangent_MPa;
  const int I[6] = {0, 1, 2, 0, 1, 0}, J[6] = {0, 1, 2, 1, 2, 2};
  const double h = 1e-6;
  for (int col = 0; col < 6; ++col) {
    // Perturb C symmetrically: C +- h (e_I e_J^T + e_J e_I^T) / (1 or 2), i.e. dE in Voigt.
    Eigen::Matrix3d dC = Eigen::Matrix3d::Zero();
    dC(I[col], J[col]) += h;
    dC(J[col], I[col]) += h;
    if (I[col] == J[col]) dC(I[col], I[col]) = 2 * h;  // dE_II = h
    const Eigen::Matrix3d C = F.transpose() * F;
    auto stressAt = [&](const Eigen::Matrix3d& Cp) {
      const Eigen::LLT<Eigen::Matrix3d> llt(Cp);  // F' = U with U^T U = C'
      return materialResponse(m, llt.matrixU().toDenseMatrix(), true).secondPiolaKirchhoff_MPa;
    };
    const Eigen::Matrix3d dS = (stressAt(C + dC) - stressAt(C - dC)) / (2 * h);
    for (int row = 0; row < 6; ++row)
      EXPECT_NEAR(tangent(row, col), dS(I[row], J[row]), 1e-5 * tangent.cwiseAbs().maxCoeff())
          << row << ", " << col;
  }
}

// Cancel between Newton iterations: Cancelled, no result.
TEST(FemSolver, CancelsBetweenIterations) {
  const BoxMeshSpec spec{{10, 10, 10}, {2, 2, 2}, ElementType::C3D10, 0};
  const FeModel model = boxModel(
      spec, kBrainNeoHooke,
      "*BOUNDARY\nX0, 1\nY0, 2\nZ0, 3\n*STEP, NLGEOM\n*STATIC\n0.25, 1\n*BOUNDARY\nX1, 1, 1, "
      "-2\n*END STEP\n");
  test::RecordingProgress progress(2);
  EXPECT_THROW(solve(model, {}, progress), Cancelled);
  EXPECT_GE(progress.fractions.size(), 2u);
}

// Parallel assembly sums every entry in a fixed order: the same bits on 1 and 4 threads.
TEST(FemSolver, SameBitsOnAnyThreadCount) {
  const BoxMeshSpec spec{{60, 60, 40}, {12, 12, 8}, ElementType::C3D4, 0};
  const FeModel model =
      boxModel(spec, kBrainNeoHooke,
               "*BOUNDARY\nZ0, 1, 3\n*STEP\n*STATIC\n*BOUNDARY\nZ1, 1, 1, 2\n*END STEP\n");
  auto solveWith = [&](std::size_t threads) {
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    return solve(model).displacement_mm;
  };
  const auto one = solveWith(1), four = solveWith(4);
  ASSERT_EQ(one.size(), four.size());
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_EQ(one[i], four[i]) << i;
  EXPECT_NEAR(one.back()[0], 2, 1e-12);  // the top corner is moved 2 mm
}

}  // namespace
}  // namespace twinplan::tissue
