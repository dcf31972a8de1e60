// Element removal for resection and the resection-cavity scenario (docs/validation.md,
// "Tissue mechanics: resection"): the bookkeeping of a removed region against counts known
// from the mesh, and the volume change of a spherical cavity under hydrostatic pressure
// against Lame's closed form.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "twinplan/core/error.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/resection.h"

namespace twinplan::tissue {
namespace {

FeModel boxModel(const BoxMeshSpec& spec, const std::string& material, const std::string& step) {
  return parseInp(boxMeshDeck(spec) + "*MATERIAL, NAME=TISSUE\n" + material +
                      "*SOLID SECTION, ELSET=EALL, MATERIAL=TISSUE\n" + step,
                  "box.inp");
}

bool insideBox(const std::array<double, 3>& x, double from, double to) {
  for (double c : x)
    if (c < from || c > to) return false;
  return true;
}

// A 4 x 4 x 4 cube of unit cells; the 2 x 2 x 2 cells in its middle (48 tetrahedra) are
// resected. Only the centre node belongs to them alone; the wall is the closed surface of a
// 2 mm cube, volume 8 mm^3.
TEST(Resection, InteriorCubeLeavesAClosedWallAndDropsTheOrphanNode) {
  FeModel model = boxModel({{4, 4, 4}, {4, 4, 4}}, "*ELASTIC\n1000, 0.3\n",
                           "*BOUNDARY\nZ0, 1, 3\n*STEP\n*STATIC\n*CLOAD\n1, 3, -1\n*END STEP\n");
  model.elementSets["TUMOUR"] = elementsWithCentroidIn(
      model, [](const std::array<double, 3>& x) { return insideBox(x, 1, 3); });
  ASSERT_EQ(model.elementSets["TUMOUR"].size(), 48u);
  const Resection r = removeElementSet(model, "tumour");
  EXPECT_EQ(r.removedElements, 48u);
  EXPECT_EQ(r.model.elements.size(), 6u * 64 - 48);
  EXPECT_EQ(r.model.nodes.size(), 125u - 1);
  EXPECT_EQ(r.model.elementSets.count("TUMOUR"), 0u);
  EXPECT_EQ(r.model.nodeSets.at("Z0").size(), 25u);
  EXPECT_EQ(r.model.steps[0].nodalForces.size(), 1u);
  EXPECT_EQ(r.cavityWall.size(), 6u * 4 * 2);  // 6 faces of 2 x 2 squares, 2 triangles each
  EXPECT_TRUE(r.wallClosed);
  EXPECT_NEAR(cavityVolume_mm3(r.model, r.cavityWall), 8.0, 1e-12);
  for (std::size_t n = 0; n < r.model.nodes.size(); ++n)
    EXPECT_EQ(r.model.nodes[n].id, model.nodes[r.originalNode[n]].id);
  // A rigid translation leaves the enclosed volume unchanged.
  const std::vector<std::array<double, 3>> shift(r.model.nodes.size(), {3, -2, 7});
  EXPECT_NEAR(cavityVolume_mm3(r.model, r.cavityWall, shift), 8.0, 1e-9);
}

TEST(Resection, RefusesUnknownSetsAndRemovingEverything) {
  FeModel model = boxModel({{4, 4, 4}, {2, 2, 2}}, "*ELASTIC\n1000, 0.3\n",
                           "*BOUNDARY\nZ0, 1, 3\n*STEP\n*STATIC\n*END STEP\n");
  EXPECT_THROW(removeElementSet(model, "NOPE"), Error);
  EXPECT_THROW(removeElementSet(model, "EALL"), Error);
  EXPECT_THROW(removeElements(model, {model.elements.size()}), Error);
}

// A spherical cavity of radius a at the corner of an octant of a cube (side 12 mm, symmetry
// rollers on x = 0, y = 0, z = 0; hydrostatic pressure p on the three outer faces). Lame's
// solution for a thick sphere (inner radius a, outer b) under external pressure p gives the
// cavity wall displacement u(a) = -p a b^3 / (b^3 - a^3) (1/(3K) + 1/(4G)) (Timoshenko &
// Goodier, Theory of Elasticity, 3rd ed., 1970, section 141); the volume change is 3 u(a) / a.
// The cube is replaced by the sphere of the same volume; the cavity is the staircase of
// tetrahedra whose centroids lie within a.
struct CavityCase {
  double relativeChange = 0, analytic = 0, volumeBefore_mm3 = 0;
};

CavityCase pressurisedOctantWithCavity(const std::string& material, const std::string& stepHead,
                                       double pressure_MPa, double E_MPa, double nu) {
  const double side = 12, a = 4;
  BoxMeshSpec spec{{side, side, side}, {12, 12, 12}, ElementType::C3D4};
  FeModel model = boxModel(spec, material,
                           "*BOUNDARY\nX0, 1, 1\nY0, 2, 2\nZ0, 3, 3\n" + stepHead + "*END STEP\n");
  model.elementSets["CAVITY"] = elementsWithCentroidIn(
      model, [&](const std::array<double, 3>& x) { return std::hypot(x[0], x[1], x[2]) < a; });
  // Pressure on every element face lying on x, y or z = side.
  for (std::size_t e = 0; e < model.elements.size(); ++e)
    for (int face = 1; face <= 4; ++face) {
      static constexpr int kCorners[4][3] = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}, {2, 3, 0}};
      for (int d = 0; d < 3; ++d) {
        bool onFace = true;
        for (int c : kCorners[face - 1])
          onFace =
              onFace &&
              std::abs(model.nodes[model.elements[e].nodes[static_cast<std::size_t>(c)]].x_mm[d] -
                       side) < 1e-9;
        if (onFace) model.steps[0].pressures.push_back({e, face, pressure_MPa});
      }
    }
  const ResectionOutcome out = simulateResection(model, "cavity");
  EXPECT_FALSE(out.resection.wallClosed);  // open on the symmetry planes, which pass the origin
  const double G = E_MPa / (2 * (1 + nu)), K = E_MPa / (3 * (1 - 2 * nu));
  const double b3 = 8 * side * side * side * 3 / (4 * std::numbers::pi);  // the same volume
  const double a3 = a * a * a;
  const double wall = -pressure_MPa * b3 / (b3 - a3) * (1 / (3 * K) + 1 / (4 * G));
  std::printf("cavity: before %.3f mm^3, relative change %.5f, Lame %.5f\n",
              out.cavityVolumeBefore_mm3, out.relativeVolumeChange(), 3 * wall);
  return {out.relativeVolumeChange(), 3 * wall, out.cavityVolumeBefore_mm3};
}

TEST(Resection, SphericalCavityUnderHydrostaticPressureShrinksAsLame) {
  const CavityCase c =
      pressurisedOctantWithCavity("*ELASTIC\n1000, 0.3\n", "*STEP\n*STATIC\n", 1.0, 1000, 0.3);
  // The staircase cavity holds about the octant of the sphere.
  EXPECT_NEAR(c.volumeBefore_mm3, std::numbers::pi / 6 * 64, 0.15 * std::numbers::pi / 6 * 64);
  EXPECT_LT(c.relativeChange, 0);
  // Measured: -0.00318 against -0.00321 (the staircase wall and the cube's corners).
  EXPECT_NEAR(c.relativeChange / c.analytic, 1.0, 0.05);
}

// The same cavity with the neo-Hookean law of the same initial moduli (C10 = G / 2, D1 = 2 / K)
// under NLGEOM: at 0.3 % volume change it follows the linear answer.
TEST(Resection, NeoHookeanCavityAtSmallStrainFollowsLame) {
  const double E = 1000, nu = 0.3, G = E / (2 * (1 + nu)), K = E / (3 * (1 - 2 * nu));
  const CavityCase c = pressurisedOctantWithCavity(
      "*HYPERELASTIC, NEO HOOKE\n" + std::to_string(G / 2) + ", " + std::to_string(2 / K) + "\n",
      "*STEP, NLGEOM\n*STATIC\n", 1.0, E, nu);
  EXPECT_LT(c.relativeChange, 0);
  EXPECT_NEAR(c.relativeChange / c.analytic, 1.0, 0.05);
}

}  // namespace
}  // namespace twinplan::tissue
