// The bioheat step's system and the solver's workspace are kept from step to step while the box
// shrinks and grows (simulation/ablation/src/stencil_solver.h: UnzeroedFloats, whose entries are
// left as the memory held them), so the builder and the solver must write every slot they read,
// the colours' padding included. Here every reused array is first filled with NaN, then a smaller
// and a larger box are built into the same system and workspace: the arrays, the warm start and
// the red-black solve must be a fresh build's and a fresh solve's bit for bit (a padding slot left
// unwritten shows as NaN, and NaN spreads through the solve). Fresh allocations usually come back
// zeroed, which is why the colour-packing test (ablation_box_faces_test) cannot see such a slot.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "ablation_heated_step.h"
#include "bioheat_step.h"
#include "stencil_solver.h"
#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/ablation/tissue_properties.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation::detail {
namespace {

constexpr std::array<std::int64_t, 3> kGridSize{9, 8, 7};

// The step's inputs on that grid (ablation_heated_step.h: two tissues and the heating at random,
// so that a value in the wrong slot shows), the last step's change at random and one voxel held
// inside every box below (its row's inverse diagonal is 0).
struct HeatedGrid : HeatedStepGrid {
  explicit HeatedGrid(bool byColour) : HeatedStepGrid(kGridSize, 21, 0.1f, 0.0f) {
    parameters.redBlackSolver = byColour;
    held.push_back({voxel({4, 3, 3}), float(parameters.arterialTemperature_degC + 60.0)});
  }
};

// The step on `box`: the system built into `system` and solved with `work`.
struct Step {
  std::vector<float> deviation;
  SolveStatistics solve;
};

Step buildAndSolve(const HeatedGrid& g, const Box& box, StencilSystem& system,
                   SolverWorkspace& work) {
  Step step;
  std::vector<BoxFace> faces;
  HaloProperties halo;
  buildStepSystem(g.inputs(), box, lagFor(box), system, step.deviation, faces, halo);
  step.solve = solveRedBlack(system, step.deviation, 1e-4, 500, noProgress(), work);
  return step;
}

// NaN in every entry of the arrays a reused system or workspace carries into the next box.
void poison(ColourArrays& colour) {
  for (UnzeroedFloats* v : colour.arrays())
    v->assign(v->size(), std::numeric_limits<float>::quiet_NaN());
}
void poison(StencilSystem& system, SolverWorkspace& work) {
  poison(system.red);
  poison(system.black);
  poison(work.red);
  poison(work.black);
  for (UnzeroedFloats* v : {&work.redValue, &work.blackValue})
    v->assign(v->size(), std::numeric_limits<float>::quiet_NaN());
}

bool sameBits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Every slot of each colour array: the reused system's against the fresh one's, bit for bit.
void expectSameColours(ColourArrays& reused, ColourArrays& fresh, const char* what) {
  const auto r = reused.arrays(), f = fresh.arrays();
  for (std::size_t a = 0; a < r.size(); ++a)
    EXPECT_TRUE(sameBits(*r[a], *f[a])) << what << " array " << a;
}

void checkReuse(bool byColour) {
  const HeatedGrid g(byColour);
  StencilSystem system;
  SolverWorkspace work;
  // The first box, then every array poisoned; a smaller box, then a larger one than that (within
  // the first box's capacity, so the arrays grow over poisoned memory, not over fresh pages).
  buildAndSolve(g, Box{{0, 0, 0}, {9, 8, 7}}, system, work);
  for (const Box& box : {Box{{2, 1, 1}, {7, 6, 5}}, Box{{1, 0, 1}, {9, 8, 6}}}) {
    poison(system, work);
    const Step reused = buildAndSolve(g, box, system, work);
    StencilSystem freshSystem;
    SolverWorkspace freshWork;
    const Step fresh = buildAndSolve(g, box, freshSystem, freshWork);
    EXPECT_GT(fresh.solve.iterations, 0);
    EXPECT_EQ(reused.solve.iterations, fresh.solve.iterations) << box.extent(0);
    EXPECT_TRUE(sameBits(reused.deviation, fresh.deviation)) << box.extent(0);
    for (float d : reused.deviation) ASSERT_TRUE(std::isfinite(d));
    if (byColour) {
      expectSameColours(system.red, freshSystem.red, "system red");
      expectSameColours(system.black, freshSystem.black, "system black");
    } else {
      expectSameColours(work.red, freshWork.red, "workspace red");
      expectSameColours(work.black, freshWork.black, "workspace black");
    }
    EXPECT_TRUE(sameBits(work.redValue, freshWork.redValue));
    EXPECT_TRUE(sameBits(work.blackValue, freshWork.blackValue));
  }
}

TEST(AblationStepSystemReuse, ASystemBuiltByColourReusedForASmallerThenALargerBox) {
  checkReuse(true);
}

TEST(AblationStepSystemReuse, ASystemPackedByTheSolverReusedForASmallerThenALargerBox) {
  checkReuse(false);
}

}  // namespace
}  // namespace twinplan::ablation::detail
