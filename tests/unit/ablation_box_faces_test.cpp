// The far field's pull on the bioheat box (simulation/ablation/src/bioheat_step.h,
// buildStepSystem with StepInputs::beyondBox_K): every box face that lies inside the grid must be
// listed once, with the conductance of the step's system, and add conductance x the far field's
// deviation beyond it to the face voxel's right-hand side. Checked on boxes the bench's symmetric
// cases never make: one voxel thick and touching two grid faces, and a corner box on three grid
// faces whose edge and corner voxels have two or three faces beyond. The expected values are
// computed here from the geometry and the conductivity model (harmonic mean of k over the two
// half cells), not recorded from the code under test.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "ablation_heated_step.h"
#include "bioheat_step.h"
#include "stencil_solver.h"
#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/ablation/tissue_properties.h"
#include "twinplan/core/error.h"
#include "twinplan/core/progress.h"

namespace twinplan::ablation::detail {
namespace {

constexpr std::array<std::int64_t, 3> kGridSize{7, 6, 5};  // odd and unequal: strides differ
constexpr double kVoxel_m = 1e-3;

// The step's inputs on that grid (ablation_heated_step.h), the far field beyond the box warmer
// and cooler by up to 20 K.
struct Case : HeatedStepGrid {
  Case() : HeatedStepGrid(kGridSize, 17, 0.0f, 20.0f) {}
};

struct Built {
  StencilSystem system;
  std::vector<float> deviation;
  std::vector<BoxFace> faces;
};

// The step's system in natural order (for the conjugate gradients on every voxel), or by colour
// (for the red-black solver, StencilSystem::byColour).
Built build(const Case& c, const Box& box, const std::vector<float>& lag, bool farField,
            bool byColour = false) {
  Built b;
  HaloProperties halo;
  StepInputs in = c.inputs(farField);
  BioheatParameters parameters = c.parameters;
  parameters.redBlackSolver = byColour;
  in.parameters = &parameters;
  buildStepSystem(in, box, lag, b.system, b.deviation, b.faces, halo);
  EXPECT_EQ(b.system.byColour, byColour);
  return b;
}

// The conductivity model written out: k37 (1 + coefficient (T - 37 degC)), at least k37 / 10,
// held as a float (the halo's type).
float conductivity(const TissueCoefficients& t, double deviation_K, double arterial_degC) {
  const double factor =
      1.0 + t.conductivityCoefficient_per_K * (arterial_degC + deviation_K - kBodyTemperature_degC);
  return float(t.conductivity_W_mK * std::max(0.1, factor));
}

// Every face between a box voxel and a grid voxel outside the box, found by visiting each box
// voxel's six neighbours: (local, beyond) -> the conductance (W/(m3 K)) of the series of the two
// half cells, k inside at the lagged deviation and k beyond at arterial temperature.
std::map<std::pair<std::size_t, std::size_t>, double> expectedFaces(const Case& c, const Box& box,
                                                                    const std::vector<float>& lag) {
  std::map<std::pair<std::size_t, std::size_t>, double> faces;
  const double arterial = c.parameters.arterialTemperature_degC;
  for (std::int64_t k = 0; k < box.extent(2); ++k)
    for (std::int64_t j = 0; j < box.extent(1); ++j)
      for (std::int64_t i = 0; i < box.extent(0); ++i) {
        const auto n = std::size_t(i + box.extent(0) * (j + box.extent(1) * k));
        const std::array<std::int64_t, 3> at{box.lo[0] + i, box.lo[1] + j, box.lo[2] + k};
        const float kIn = conductivity(c.tissues[c.grid.tissue[c.voxel(at)]], lag[n], arterial);
        for (int a = 0; a < 3; ++a)
          for (int step : {-1, 1}) {
            std::array<std::int64_t, 3> next = at;
            next[a] += step;
            if (next[a] < 0 || next[a] >= kGridSize[std::size_t(a)]) continue;  // grid face
            if (next[a] >= box.lo[a] && next[a] < box.hi[a]) continue;          // inside
            const float kOut = conductivity(c.tissues[c.grid.tissue[c.voxel(next)]], 0.0, arterial);
            faces[{n, c.voxel(next)}] =
                2.0 * kIn * kOut / ((double(kIn) + kOut) * kVoxel_m * kVoxel_m);
          }
      }
  return faces;
}

void checkBox(const Box& box) {
  const Case c;
  const std::vector<float> lag = lagFor(box);
  const Built without = build(c, box, lag, false);
  const Built with = build(c, box, lag, true);
  EXPECT_TRUE(without.faces.empty());

  // The faces: each one once, with the conductance of the model.
  const auto expected = expectedFaces(c, box, lag);
  ASSERT_EQ(with.faces.size(), expected.size());
  std::map<std::pair<std::size_t, std::size_t>, int> seen;
  for (const BoxFace& face : with.faces) {
    const auto key = std::make_pair(face.local, face.beyond);
    ASSERT_EQ(expected.count(key), 1u) << "face " << face.local << " -> " << face.beyond;
    EXPECT_EQ(++seen[key], 1) << "listed twice: " << face.local << " -> " << face.beyond;
    EXPECT_NEAR(face.conductance_W_m3K, expected.at(key), 1e-5 * expected.at(key));
  }

  // The system is the same but for the right-hand side of the face voxels, which gains the
  // far field's pull through each of their faces.
  EXPECT_EQ(with.system.diagonal, without.system.diagonal);
  EXPECT_EQ(with.system.inverseDiagonal, without.system.inverseDiagonal);
  EXPECT_EQ(with.deviation, without.deviation);
  std::vector<double> pull(box.voxelCount(), 0.0);
  for (const auto& [key, conductance] : expected)
    pull[key.first] += conductance * c.beyond_K[key.second];
  int pulled = 0;
  for (std::size_t n = 0; n < box.voxelCount(); ++n) {
    const double added = double(with.system.rightHandSide[n]) - without.system.rightHandSide[n];
    const double scale = std::abs(double(without.system.rightHandSide[n])) + std::abs(pull[n]);
    EXPECT_NEAR(added, pull[n], 1e-6 * scale) << "voxel " << n;
    pulled += pull[n] != 0.0;
  }
  EXPECT_GT(pulled, 0);

  // And bit for bit what one pass over the face list in its order adds (the serial code the
  // parallel rows replaced).
  std::vector<float> serial = without.system.rightHandSide;
  for (const BoxFace& face : with.faces)
    serial[face.local] += face.conductance_W_m3K * c.beyond_K[face.beyond];
  EXPECT_EQ(with.system.rightHandSide, serial);
}

// The system built by colour holds the natural build's values bit for bit: voxel (i, j, k) of
// the box in colour (i + j + k) % 2 at slot row * stride + 1 + i / 2 (row j + ny k, stride
// ceil(nx / 2) + 2), zero padding, and zero faces towards beyond the box's far faces (held at
// zero deviation: only the diagonal has them); the warm start and the box's faces the same; and
// the red-black solver gives the same bits from either. A held voxel inside the box too.
void checkByColour(const Box& box) {
  Case c;
  const std::array<std::int64_t, 3> heldAt{box.lo[0], box.hi[1] - 1, box.lo[2]};
  c.held.push_back({c.voxel(heldAt), float(c.parameters.arterialTemperature_degC + 60.0)});
  const std::vector<float> lag = lagFor(box);
  const Built natural = build(c, box, lag, true, false);
  const Built byColour = build(c, box, lag, true, true);
  EXPECT_EQ(byColour.deviation, natural.deviation);
  ASSERT_EQ(byColour.faces.size(), natural.faces.size());
  for (std::size_t f = 0; f < natural.faces.size(); ++f) {
    EXPECT_EQ(byColour.faces[f].local, natural.faces[f].local);
    EXPECT_EQ(byColour.faces[f].conductance_W_m3K, natural.faces[f].conductance_W_m3K);
  }
  const StencilSystem &n = natural.system, &b = byColour.system;
  EXPECT_TRUE(b.diagonal.empty() && b.rightHandSide.empty() && b.inverseDiagonal.empty());
  const std::int64_t nx = box.extent(0), ny = box.extent(1), nz = box.extent(2);
  const std::int64_t stride = (nx + 1) / 2 + 2;
  const auto slots = std::size_t(ny * nz * stride);
  for (const ColourArrays* colour : {&b.red, &b.black})
    for (const UnzeroedFloats* v :
         {&colour->diagonal, &colour->inverseDiagonal, &colour->rightHandSide, &colour->faceX,
          &colour->faceY, &colour->faceZ})
      ASSERT_EQ(v->size(), slots);
  std::vector<int> used(2 * slots, 0);
  int heldSeen = 0;
  for (std::int64_t k = 0; k < nz; ++k)
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) {
        const auto v = std::size_t(i + nx * (j + ny * k));
        const int red = (i + j + k) % 2 == 0 ? 1 : 0;
        const ColourArrays& colour = red ? b.red : b.black;
        const auto slot = std::size_t((j + ny * k) * stride + 1 + i / 2);
        ++used[std::size_t(red) * slots + slot];
        EXPECT_EQ(colour.diagonal[slot], n.diagonal[v]) << v;
        EXPECT_EQ(colour.inverseDiagonal[slot], n.inverseDiagonal[v]) << v;
        EXPECT_EQ(colour.rightHandSide[slot], n.rightHandSide[v]) << v;
        EXPECT_EQ(colour.faceX[slot], i + 1 < nx ? n.faceX[v] : 0.0f) << v;
        EXPECT_EQ(colour.faceY[slot], j + 1 < ny ? n.faceY[v] : 0.0f) << v;
        EXPECT_EQ(colour.faceZ[slot], k + 1 < nz ? n.faceZ[v] : 0.0f) << v;
        heldSeen += n.inverseDiagonal[v] == 0.0f;
      }
  EXPECT_EQ(heldSeen, 1);
  // Every slot no voxel uses is padding: all zero.
  for (int red : {0, 1})
    for (std::size_t slot = 0; slot < slots; ++slot) {
      if (used[std::size_t(red) * slots + slot] != 0) continue;
      const ColourArrays& colour = red ? b.red : b.black;
      for (const UnzeroedFloats* v :
           {&colour.diagonal, &colour.inverseDiagonal, &colour.rightHandSide, &colour.faceX,
            &colour.faceY, &colour.faceZ})
        EXPECT_EQ((*v)[slot], 0.0f) << "padding slot " << slot;
    }
  std::vector<float> fromNatural = natural.deviation, fromColours = byColour.deviation;
  SolverWorkspace work;
  const SolveStatistics fromNaturalSolve =
      solveRedBlack(natural.system, fromNatural, 1e-4, 200, noProgress(), work);
  const SolveStatistics colours =
      solveRedBlack(byColour.system, fromColours, 1e-4, 200, noProgress(), work);
  EXPECT_GT(fromNaturalSolve.iterations, 0);
  EXPECT_EQ(fromNaturalSolve.iterations, colours.iterations);
  EXPECT_EQ(fromNatural, fromColours);
  // Only the red-black solver reads a system by colour.
  EXPECT_THROW(solveConjugateGradient(byColour.system, fromColours, 1e-4, 200, noProgress(), work),
               Error);
}

TEST(AblationBoxFaces, SystemByColourIsTheNaturalSystemPacked) {
  // Odd and even row lengths, boxes on grid faces and inside.
  for (const Box& box : {Box{{1, 1, 1}, {6, 5, 4}}, Box{{0, 0, 2}, {4, 6, 5}},
                         Box{{3, 2, 1}, {4, 3, 3}}, Box{{1, 0, 0}, {7, 6, 5}}})
    checkByColour(box);
}

TEST(AblationBoxFaces, OneVoxelThickBoxTouchingTwoGridFaces) {
  // One voxel thick in x, across the whole grid in y (both y faces on the grid's faces).
  Box box;
  box.lo = {3, 0, 1};
  box.hi = {4, kGridSize[1], 4};
  checkBox(box);
}

TEST(AblationBoxFaces, CornerBoxOnThreeGridFaces) {
  // On the grid's -x, -y and +z faces: its edges and corner inside the grid have two or three
  // faces beyond.
  Box box;
  box.lo = {0, 0, 2};
  box.hi = {3, 4, kGridSize[2]};
  checkBox(box);
}

TEST(AblationBoxFaces, InteriorBoxOfOneVoxel) {
  // A single voxel: six faces beyond, all added by one voxel's first side.
  Box box;
  box.lo = {3, 2, 2};
  box.hi = {4, 3, 3};
  checkBox(box);
}

}  // namespace
}  // namespace twinplan::ablation::detail
