// The Abaqus/CalculiX .inp reader (simulation/tissue/inp_reader.h) and the solver's answers to
// bad input: unsupported keywords by name and line, missing nodes, inverted elements; gravity
// and face pressure read from a deck against their closed-form answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"

namespace twinplan::tissue {
namespace {

// Two C3D10 elements sharing a face, written the way Abaqus/CalculiX decks often are: mixed
// case, comments, a continuation line, GENERATE sets.
constexpr const char* kDeck = R"(** two quadratic tetrahedra
*Heading
 test deck
*node, nset=Nall
1, 0, 0, 0
2, 1, 0, 0
3, 0, 1, 0
4, 0, 0, 1
5, 0.5, 0, 0
6, 0.5, 0.5, 0
7, 0, 0.5, 0
8, 0, 0, 0.5
9, 0.5, 0, 0.5
10, 0, 0.5, 0.5
*Element, Type=c3d10, Elset=Brain
1, 1, 2, 3, 4, 5, 6, 7, 8,
9, 10
*NSET, NSET=base, GENERATE
1, 3, 1
*Elset, elset=all
brain
*Material, Name=Grey
*Hyperelastic, Neo Hooke
0.001, 100.
*Density
1.04e-9
*Solid Section, Elset=ALL, Material=grey
*Boundary
BASE, 1, 3
*Step, NLGEOM
*Static
0.1, 1., 1e-6, 50
*Dload
all, GRAV, 9810., 0., 0., -1.
*Cload
4, 3, -1.E-4
*Node print, nset=NALL
U
*End Step
)";

TEST(InpReader, ReadsTheSupportedSubset) {
  const FeModel m = parseInp(kDeck, "two.inp");
  ASSERT_EQ(m.nodes.size(), 10u);
  ASSERT_EQ(m.elements.size(), 1u);
  EXPECT_EQ(m.elements[0].type, ElementType::C3D10);
  EXPECT_EQ(m.elements[0].nodes.size(), 10u);
  EXPECT_EQ(m.nodeSets.at("BASE"), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(m.elementSets.at("ALL"), (std::vector<std::size_t>{0}));
  ASSERT_EQ(m.materials.size(), 1u);
  EXPECT_EQ(m.materials[0].law, MaterialLaw::NeoHooke);
  EXPECT_DOUBLE_EQ(m.materials[0].c10_MPa, 0.001);
  EXPECT_DOUBLE_EQ(m.materials[0].d1_perMPa, 100);
  EXPECT_DOUBLE_EQ(m.materials[0].density_t_per_mm3, 1.04e-9);
  EXPECT_EQ(m.elements[0].material, 0);
  EXPECT_EQ(m.fixedBoundaries.size(), 9u);
  ASSERT_EQ(m.steps.size(), 1u);
  const Step& s = m.steps[0];
  EXPECT_TRUE(s.nlgeom);
  EXPECT_DOUBLE_EQ(s.initialIncrement, 0.1);
  EXPECT_DOUBLE_EQ(s.minimumIncrement, 1e-6);
  EXPECT_EQ(s.maximumIncrements, 50);
  ASSERT_EQ(s.gravity.size(), 1u);
  EXPECT_DOUBLE_EQ(s.gravity[0].direction[2], -1);
  ASSERT_EQ(s.nodalForces.size(), 1u);
  EXPECT_EQ(s.nodalForces[0].dof, 2);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_NE(m.notes[0].find("*NODE PRINT ignored"), std::string::npos);
}

void expectError(const std::string& deck, ErrorKind kind, const std::string& words) {
  try {
    solve(parseInp(deck, "bad.inp"));
    ADD_FAILURE() << "no error; expected: " << words;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

std::string withLine(const std::string& deck, int line, const std::string& text) {
  std::size_t at = 0;
  for (int i = 1; i < line; ++i) at = deck.find('\n', at) + 1;
  return deck.substr(0, at) + text + "\n" + deck.substr(at);
}

TEST(InpReader, RefusesAnUnsupportedKeywordByNameAndLine) {
  expectError(withLine(kDeck, 21, "*AMPLITUDE, NAME=RAMP"), ErrorKind::Unsupported,
              "bad.inp line 21: *AMPLITUDE is not supported; supported: *HEADING");
  expectError(withLine(kDeck, 35, "*Dload\nall, BX, 3."), ErrorKind::Unsupported,
              "line 36: *DLOAD type BX is not supported");
}

TEST(InpReader, RefusesAnUnsupportedElementType) {
  expectError("*NODE\n1, 0, 0, 0\n*ELEMENT, TYPE=C3D20\n1, 1, 1, 1, 1, 1, 1, 1, 1\n",
              ErrorKind::Unsupported, "line 3: *ELEMENT TYPE=C3D20 is not supported");
  // Bricks are read only as the rigid part under a contact's master surface.
  expectError("*NODE\n1, 0, 0, 0\n*ELEMENT, TYPE=C3D8\n1, 1, 1, 1, 1, 1, 1, 1, 1\n",
              ErrorKind::Unsupported,
              "line 4: element 1 (C3D8) is under no master surface of a *CONTACT PAIR");
}

TEST(InpReader, NamesAMissingNode) {
  std::string deck = kDeck;
  deck.replace(deck.find("9, 10\n*NSET"), 5, "9, 99");
  expectError(deck, ErrorKind::InvalidInput,
              "bad.inp line 16: element 1 refers to node 99, which no *NODE defines");
}

TEST(InpReader, NamesAnUndefinedSetAndMaterial) {
  std::string deck = kDeck;
  deck.replace(deck.find("BASE, 1, 3"), 4, "FOOT");
  expectError(deck, ErrorKind::InvalidInput, "node set FOOT is not defined");
  deck = kDeck;
  deck.replace(deck.find("Material=grey"), 13, "Material=white");
  expectError(deck, ErrorKind::InvalidInput, "names material WHITE, which no *MATERIAL defines");
}

TEST(FemSolverInput, NamesAnInvertedElementOfTheMesh) {
  std::string deck = kDeck;
  deck.replace(deck.find("1, 1, 2, 3, 4, 5, 6, 7, 8,\n9, 10"), 32,
               "1, 1, 3, 2, 4, 7, 6, 5, 8,\n10, 9");
  expectError(deck, ErrorKind::InvalidInput,
              "element 1 is inverted or flat in the undeformed mesh");
  // Its corners (0,0,0), (0,1,0), (1,0,0), (0,0,1) enclose -1/6 mm^3, centred at (0.25, 0.25,
  // 0.25).
  expectError(deck, ErrorKind::InvalidInput,
              "signed volume of -0.1667 mm^3 (centre (0.2, 0.2, 0.2) mm)");
}

TEST(FemSolverInput, NamesTheStepAndElementWhenALoadInvertsTheMesh) {
  // Pushing the top of a 1 mm cube 1.5 mm down, through its fixed base, turns every element
  // inside out: the increments are cut back until the solver gives up, naming the step (and
  // its line), the increment and the element.
  const std::string mesh = boxMeshDeck({{1, 1, 1}, {1, 1, 1}, ElementType::C3D4, 0}) +
                           "*MATERIAL, NAME=TUMOUR\n*HYPERELASTIC, NEO HOOKE\n0.005, 20\n"
                           "*SOLID SECTION, ELSET=EALL, MATERIAL=TUMOUR\n*BOUNDARY\nZ0, 1, 3\n";
  const auto stepLine = std::count(mesh.begin(), mesh.end(), '\n') + 1;
  const std::string deck =
      mesh + "*STEP, NLGEOM\n*STATIC\n1, 1, 0.01\n*BOUNDARY\nZ1, 3, 3, -1.5\n*END STEP\n";
  expectError(deck, ErrorKind::InvalidInput,
              "step 1 (line " + std::to_string(stepLine) + ") did not converge: increment ");
  // The element the line search found inverted (along the whole search, or while Newton made
  // no progress).
  expectError(deck, ErrorKind::InvalidInput, " inverted along the ");
  expectError(deck, ErrorKind::InvalidInput, "element ");
}

TEST(FemSolverInput, RefusesAFreeBody) {
  std::string deck = kDeck;
  deck.replace(deck.find("*Boundary\nBASE, 1, 3\n"), 21, "");
  expectError(deck, ErrorKind::InvalidInput, "step 1 has no *BOUNDARY");
}

TEST(FemSolverInput, RefusesGravityWithoutDensity) {
  std::string deck = kDeck;
  deck.replace(deck.find("*Density\n1.04e-9\n"), 17, "");
  expectError(deck, ErrorKind::InvalidInput, "whose material GREY has no *DENSITY");
}

// A column hanging under its own weight (nu = 0): u_x = rho g (L x - x^2 / 2) / E, quadratic,
// so C3D10 reproduce it exactly; the tip moves rho g L^2 / (2 E).
TEST(FemSolverInput, GravityOnAHangingColumnIsExact) {
  const BoxMeshSpec spec{{100, 10, 10}, {4, 1, 1}, ElementType::C3D10, 0};
  const FeModel m = parseInp(boxMeshDeck(spec) +
                                 "*MATERIAL, NAME=SOFT\n*ELASTIC\n0.01, 0\n*DENSITY\n1e-9\n"
                                 "*SOLID SECTION, ELSET=EALL, MATERIAL=SOFT\n*BOUNDARY\nX0, 1\n"
                                 "Y0, 2\nZ0, 3\n*STEP\n*STATIC\n*DLOAD\nEALL, GRAV, 9810, 1, 0, "
                                 "0\n*END STEP\n",
                             "column.inp");
  const SolveResult r = solve(m);
  const double rhoG = 1e-9 * 9810, E = 0.01, L = 100;
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    const double x = m.nodes[i].x_mm[0];
    EXPECT_NEAR(r.displacement_mm[i][0], rhoG * (L * x - x * x / 2) / E, 1e-9);
  }
}

// Uniform pressure p on the end face of a bar on rollers: uniaxial stress -p, so the end
// moves -p L / E.
TEST(FemSolverInput, FacePressureOnABarIsExact) {
  const BoxMeshSpec spec{{20, 10, 10}, {2, 2, 2}, ElementType::C3D10, 0};
  std::string deck = boxMeshDeck(spec) +
                     "*MATERIAL, NAME=LIVER\n*ELASTIC\n0.005, 0.45\n"
                     "*SOLID SECTION, ELSET=EALL, MATERIAL=LIVER\n*BOUNDARY\nX0, 1\nY0, 2\nZ0, "
                     "3\n*STEP\n*STATIC\n*DLOAD\n";
  const FeModel mesh = parseInp(deck + "*END STEP\n", "bar.inp");
  static constexpr int kCorners[4][3] = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}, {2, 3, 0}};
  int faces = 0;
  for (const Element& e : mesh.elements)
    for (int f = 0; f < 4; ++f) {
      bool onEnd = true;
      for (int c : kCorners[f]) onEnd = onEnd && mesh.nodes[e.nodes[c]].x_mm[0] > 20 - 1e-9;
      if (!onEnd) continue;
      deck += std::to_string(e.id) + ", P" + std::to_string(f + 1) + ", 0.0002\n";
      ++faces;
    }
  EXPECT_EQ(faces, 8);
  const FeModel m = parseInp(deck + "*END STEP\n", "bar.inp");
  const SolveResult r = solve(m);
  for (std::size_t i = 0; i < m.nodes.size(); ++i)
    EXPECT_NEAR(r.displacement_mm[i][0], -0.0002 * m.nodes[i].x_mm[0] / 0.005, 1e-9);
}

}  // namespace
}  // namespace twinplan::tissue
