// The bioheat box's linear solvers (simulation/ablation/src/stencil_solver.h): the red-black
// reduction (solveRedBlack, the box's default) must solve the backward-Euler system that the
// conjugate gradients on every voxel solve, to the same stopping rule (no free voxel's Jacobi
// correction above the tolerance, checked here on the true residual b - A x), keep held voxels,
// take fewer iterations, and give the same bits on any thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "stencil_solver.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation::detail {
namespace {

// A backward-Euler step of 5 s on a box of 1 mm liver-like tissue: storage rho c / dt =
// 3.6e6 / 5 W/(m3 K), faces k / h^2 with k from 0.5 W/(m K) to ten times that in a hot core
// (harmonic means), the faces beyond the box held at zero deviation, a heated core, a few held
// voxels (a cooled electrode at -20 K and one at +60 K) and a warm start off by up to 1 K.
struct StepSystem {
  StencilSystem system;
  std::vector<float> warmStart;
  std::vector<std::size_t> held;

  StepSystem(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
    system.resize(nx, ny, nz);
    const auto n = system.size();
    std::vector<float> k(n);
    std::mt19937 generator(7);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    auto index = [&](std::int64_t i, std::int64_t j, std::int64_t l) {
      return std::size_t(i + nx * (j + ny * l));
    };
    for (std::int64_t l = 0; l < nz; ++l)
      for (std::int64_t j = 0; j < ny; ++j)
        for (std::int64_t i = 0; i < nx; ++i) {
          const double r = std::hypot(i - nx / 2.0, j - ny / 2.0, l - nz / 2.0);
          k[index(i, j, l)] = r < 3.0 ? 5.0f : 0.5f + 0.1f * uniform(generator);
        }
    constexpr double kH2 = 1e-6, kStorage = 3.6e6 / 5.0;
    auto face = [&](std::size_t a, std::size_t b) {
      return static_cast<float>(2.0 * k[a] * k[b] / ((k[a] + k[b]) * kH2));
    };
    for (std::int64_t l = 0; l < nz; ++l)
      for (std::int64_t j = 0; j < ny; ++j)
        for (std::int64_t i = 0; i < nx; ++i) {
          const std::size_t v = index(i, j, l);
          const float beyond = static_cast<float>(2.0 * k[v] / kH2);  // held, half a voxel away
          system.faceX[v] = i + 1 < nx ? face(v, index(i + 1, j, l)) : beyond;
          system.faceY[v] = j + 1 < ny ? face(v, index(i, j + 1, l)) : beyond;
          system.faceZ[v] = l + 1 < nz ? face(v, index(i, j, l + 1)) : beyond;
        }
    warmStart.assign(n, 0.0f);
    for (std::int64_t l = 0; l < nz; ++l)
      for (std::int64_t j = 0; j < ny; ++j)
        for (std::int64_t i = 0; i < nx; ++i) {
          const std::size_t v = index(i, j, l);
          double d = double(system.faceX[v]) + system.faceY[v] + system.faceZ[v];
          d += i > 0 ? system.faceX[v - 1] : 2.0 * k[v] / kH2;
          d += j > 0 ? system.faceY[v - std::size_t(nx)] : 2.0 * k[v] / kH2;
          d += l > 0 ? system.faceZ[v - std::size_t(nx * ny)] : 2.0 * k[v] / kH2;
          system.diagonal[v] = static_cast<float>(kStorage + d);
          system.inverseDiagonal[v] = 1.0f / system.diagonal[v];
          const double start_K = 10.0 * uniform(generator);
          const double power_W_m3 = k[v] > 1.0f ? 5e7 : 0.0;
          system.rightHandSide[v] = static_cast<float>(kStorage * start_K + power_W_m3);
          warmStart[v] = static_cast<float>(start_K + uniform(generator));
        }
    for (std::int64_t l = nz / 2 - 1; l <= nz / 2 + 1 && nx > 2; ++l) {
      const std::size_t v = index(nx / 2, ny / 2, l);
      held.push_back(v);
      system.inverseDiagonal[v] = 0.0f;
      warmStart[v] = -20.0f;
    }
    const std::size_t corner = index(nx - 1, 0, nz - 1);
    held.push_back(corner);
    system.inverseDiagonal[corner] = 0.0f;
    warmStart[corner] = 60.0f;
  }

  // The largest Jacobi correction |b - A x| / diag over the free voxels of x.
  double largestCorrection_K(const std::vector<float>& x) const {
    std::vector<float> ax;
    applyStencil(system, x, ax);
    double largest = 0.0;
    for (std::size_t v = 0; v < x.size(); ++v)
      if (system.inverseDiagonal[v] > 0.0f)
        largest = std::max(largest,
                           std::abs(double(system.rightHandSide[v]) - ax[v]) / system.diagonal[v]);
    return largest;
  }
};

TEST(RedBlackSolver, SolvesTheStepToTheStoppingRuleWithFewerIterations) {
  // Odd and even extents: rows of either colour one voxel longer, padding at either end.
  for (const auto& [nx, ny, nz] :
       {std::array<std::int64_t, 3>{23, 20, 17}, std::array<std::int64_t, 3>{24, 19, 18},
        std::array<std::int64_t, 3>{1, 6, 5}}) {
    const StepSystem step(nx, ny, nz);
    SolverWorkspace work;
    constexpr double kTolerance_K = 1e-3;
    std::vector<float> redBlack = step.warmStart, everyVoxel = step.warmStart;
    const SolveStatistics reduced =
        solveRedBlack(step.system, redBlack, kTolerance_K, 500, noProgress(), work);
    const SolveStatistics full =
        solveConjugateGradient(step.system, everyVoxel, kTolerance_K, 500, noProgress(), work);
    // The stopping rule on the true residual (the solver tracks it by recurrence, in float).
    const double trueCorrection_K = step.largestCorrection_K(redBlack);
    std::printf(
        "%lld x %lld x %lld: red-black %d iterations, every voxel %d; largest Jacobi "
        "correction of the answers %.3g / %.3g K\n",
        static_cast<long long>(nx), static_cast<long long>(ny), static_cast<long long>(nz),
        reduced.iterations, full.iterations, trueCorrection_K,
        step.largestCorrection_K(everyVoxel));
    EXPECT_LE(trueCorrection_K, 1.05 * kTolerance_K) << nx;
    EXPECT_LE(reduced.largestCorrection_K, kTolerance_K);
    for (std::size_t v : step.held) EXPECT_EQ(redBlack[v], step.warmStart[v]);
    // Both solve the same system: within the two solves' tolerances of each other.
    double largestDifference_K = 0.0;
    for (std::size_t v = 0; v < redBlack.size(); ++v)
      largestDifference_K =
          std::max(largestDifference_K, double(std::abs(redBlack[v] - everyVoxel[v])));
    EXPECT_LT(largestDifference_K, 2e-2) << nx;
    if (nx > 1) {
      EXPECT_GT(full.iterations, 8);
      EXPECT_LE(reduced.iterations, full.iterations * 2 / 3)
          << reduced.iterations << " against " << full.iterations;
    }
    // A tighter tolerance: the two answers converge to each other.
    std::vector<float> tight = step.warmStart, tightFull = step.warmStart;
    solveRedBlack(step.system, tight, 1e-6, 500, noProgress(), work);
    solveConjugateGradient(step.system, tightFull, 1e-6, 500, noProgress(), work);
    for (std::size_t v = 0; v < tight.size(); ++v) ASSERT_NEAR(tight[v], tightFull[v], 1e-4) << v;
  }
}

TEST(RedBlackSolver, SameBitsForAnyThreadCountAndAfterAnotherBox) {
  const StepSystem step(31, 30, 29);
  std::vector<float> one = step.warmStart, all = step.warmStart;
  SolverWorkspace work;
  {
    const parallel::ThreadLimit limit(1);
    solveRedBlack(step.system, one, 1e-4, 500, noProgress(), work);
  }
  // The workspace kept from a box of another shape must not change the answer.
  const StepSystem other(12, 40, 9);
  std::vector<float> x = other.warmStart;
  solveRedBlack(other.system, x, 1e-4, 500, noProgress(), work);
  solveRedBlack(step.system, all, 1e-4, 500, noProgress(), work);
  EXPECT_EQ(one, all);
}

TEST(RedBlackSolver, NoConvergenceWithinTheIterationsIsAnError) {
  const StepSystem step(15, 14, 13);
  std::vector<float> x = step.warmStart;
  SolverWorkspace work;
  try {
    solveRedBlack(step.system, x, 1e-9, 2, noProgress(), work);
    FAIL() << "expected Error(Internal)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_EQ(e.context(), "maxSolverIterations");
    EXPECT_NE(std::string(e.what()).find("did not converge in 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace twinplan::ablation::detail
