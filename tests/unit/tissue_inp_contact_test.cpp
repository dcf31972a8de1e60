// The .inp reader's contact subset (inp_reader.h; issue #18 item 5): *SURFACE, *SURFACE
// INTERACTION, *SURFACE BEHAVIOR and *CONTACT PAIR, TYPE=NODE TO SURFACE with the master surface
// on a held C3D8 slab, read as exact frictionless contact with a rigid plane. A block pressed
// onto the slab against its exact (uniaxial, linear) answer; everything outside the subset
// refused by name and line. The same kind of deck runs in ccx in
// tests/integration/tissue_contact_calculix_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "error_of.h"
#include "twinplan/core/error.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"

namespace twinplan::tissue {
namespace {

constexpr double kE_MPa = 1000, kNu = 0.3, kSquash_mm = 0.001;

// A 2 x 2 x 1 mm C3D4 block on a held 4 x 4 x 1 mm C3D8 slab (its top face S2 at z = 0 the
// master surface), symmetry rollers on x = 0 and y = 0, the top pushed down 0.001 mm. Only
// the slab holds the base up, so the block is in uniaxial stress.
std::string blockOnSlab() {
  return boxMeshDeck({{2, 2, 1}, {2, 2, 1}, ElementType::C3D4, 0}) +
         "*NODE, NSET=SLABN\n"
         "901, -1, -1, -1\n902, 3, -1, -1\n903, 3, 3, -1\n904, -1, 3, -1\n"
         "905, -1, -1, 0\n906, 3, -1, 0\n907, 3, 3, 0\n908, -1, 3, 0\n"
         "*ELEMENT, TYPE=C3D8, ELSET=SLAB\n901, 901, 902, 903, 904, 905, 906, 907, 908\n"
         "*MATERIAL, NAME=M\n*ELASTIC\n1000, 0.3\n"
         "*SOLID SECTION, ELSET=EALL, MATERIAL=M\n*SOLID SECTION, ELSET=SLAB, MATERIAL=M\n"
         "*BOUNDARY\nX0, 1, 1\nY0, 2, 2\nSLABN, 1, 3\n"
         "*SURFACE, NAME=BASE, TYPE=NODE\nZ0\n"
         "*SURFACE, NAME=PLANE\nSLAB, S2\n"
         "*SURFACE INTERACTION, NAME=SLIDE\n"
         "*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=LINEAR\n1e7, 1e-6\n"
         "*CONTACT PAIR, INTERACTION=SLIDE, TYPE=NODE TO SURFACE\nBASE, PLANE\n"
         "*STEP\n*STATIC\n*BOUNDARY\nZ1, 3, 3, -0.001\n*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
}

std::string replaced(std::string deck, const std::string& from, const std::string& to) {
  const std::size_t at = deck.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? deck : deck.replace(at, from.size(), to);
}

int lineOf(const std::string& deck, const std::string& text) {
  const std::size_t at = deck.find(text);
  return static_cast<int>(std::count(deck.begin(), deck.begin() + static_cast<long>(at), '\n')) + 1;
}

void expectRefused(const std::string& deck, ErrorKind kind, const std::string& words) {
  const Error e = test::errorOf([&] { solve(parseInp(deck, "contact.inp")); });
  EXPECT_EQ(e.kind(), kind) << e.what();
  EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
}

TEST(InpContact, MasterOnAHeldSlabIsARigidPlaneAndTheSlabLeavesTheModel) {
  const FeModel m = parseInp(blockOnSlab(), "contact.inp");
  EXPECT_EQ(m.nodes.size(), 18u);  // the block's 3 x 3 x 2 nodes; the slab's 8 are gone
  EXPECT_EQ(m.elements.size(), 24u);
  EXPECT_FALSE(m.nodeSets.count("SLABN"));
  EXPECT_EQ(m.fixedBoundaries.size(), 12u);  // the rollers: 6 nodes on x = 0, 6 on y = 0
  ASSERT_EQ(m.obstacles.size(), 1u);
  const RigidObstacle& plane = m.obstacles[0];
  EXPECT_EQ(plane.name, "PLANE");
  EXPECT_EQ(plane.enforcement, ContactEnforcement::ActiveSet);
  EXPECT_EQ(plane.nodes, m.nodeSets.at("Z0"));
  // The slab's top face, its normal away from the slab: distance = z.
  EXPECT_NEAR(plane.signedDistance_mm({0.3, 1.7, 0.25}), 0.25, 1e-15);
  EXPECT_NEAR(plane.outwardNormal({0, 0, 0})[2], 1, 1e-15);
  EXPECT_TRUE(std::any_of(m.notes.begin(), m.notes.end(), [](const std::string& n) {
    return n.find("*CONTACT PAIR BASE on PLANE read as exact frictionless contact") !=
           std::string::npos;
  }));
}

// Uniaxial stress: u = (nu e x, nu e y, -e z) with e = 0.001 (linear, so C3D4 is exact), the
// base resting on the plane (u_z = 0, sliding outwards), the plane carrying E e A = 4 N.
TEST(InpContact, BlockPressedOnTheSlabIsInUniaxialStress) {
  const FeModel m = parseInp(blockOnSlab(), "contact.inp");
  const SolveResult r = solve(m);
  const double strain = kSquash_mm / 1.0;
  double force = 0;
  for (std::size_t n = 0; n < m.nodes.size(); ++n) {
    const auto& x = m.nodes[n].x_mm;
    EXPECT_NEAR(r.displacement_mm[n][0], kNu * strain * x[0], 1e-12) << "node " << m.nodes[n].id;
    EXPECT_NEAR(r.displacement_mm[n][1], kNu * strain * x[1], 1e-12) << "node " << m.nodes[n].id;
    EXPECT_NEAR(r.displacement_mm[n][2], -strain * x[2], 1e-12) << "node " << m.nodes[n].id;
    force += r.contactForce_N[n][2];
  }
  EXPECT_NEAR(force, kE_MPa * strain * 4, 1e-9);
  EXPECT_EQ(r.contactNodes, 9);
  EXPECT_LT(r.maxPenetration_mm, 1e-9);
}

TEST(InpContact, HardContactReadsTheSame) {
  const FeModel m = parseInp(replaced(blockOnSlab(), "PRESSURE-OVERCLOSURE=LINEAR\n1e7, 1e-6\n",
                                      "PRESSURE-OVERCLOSURE=HARD\n"),
                             "contact.inp");
  ASSERT_EQ(m.obstacles.size(), 1u);
  EXPECT_EQ(m.obstacles[0].enforcement, ContactEnforcement::ActiveSet);
}

TEST(InpContact, RefusesWhatIsOutsideTheSubsetByNameAndLine) {
  const std::string deck = blockOnSlab();
  const std::string pair = "*CONTACT PAIR, INTERACTION=SLIDE, TYPE=NODE TO SURFACE";
  expectRefused(replaced(deck, "TYPE=NODE TO SURFACE", "TYPE=SURFACE TO SURFACE"),
                ErrorKind::Unsupported,
                "contact.inp line " + std::to_string(lineOf(deck, pair)) +
                    ": *CONTACT PAIR, TYPE=SURFACE TO SURFACE is not supported; supported: NODE "
                    "TO SURFACE");
  expectRefused(replaced(deck, "TYPE=NODE TO SURFACE", "TYPE=NODE TO SURFACE, ADJUST=0.1"),
                ErrorKind::Unsupported, "*CONTACT PAIR parameter ADJUST is not supported");
  expectRefused(replaced(deck, "1e7, 1e-6\n", "1e7, 1e-6\n*FRICTION\n0.2, 1e4\n"),
                ErrorKind::Unsupported,
                "line " + std::to_string(lineOf(deck, "1e7, 1e-6") + 1) +
                    ": *FRICTION is not supported: contact with a rigid obstacle is frictionless");
  expectRefused(replaced(deck, "=LINEAR\n1e7, 1e-6", "=EXPONENTIAL\n1e-3, 0.1"),
                ErrorKind::Unsupported,
                "PRESSURE-OVERCLOSURE=EXPONENTIAL is not supported; supported: LINEAR, HARD");
  expectRefused(replaced(deck, "1e7, 1e-6", "-5, 1e-6"), ErrorKind::InvalidInput,
                "slope K must be positive");
  expectRefused(replaced(deck, "*ELEMENT, TYPE=C3D8", "*ELEMENT, TYPE=C3D20"),
                ErrorKind::Unsupported, "*ELEMENT TYPE=C3D20 is not supported");
  expectRefused(replaced(deck, "INTERACTION=SLIDE, TYPE", "INTERACTION=GLUE, TYPE"),
                ErrorKind::InvalidInput,
                "names interaction GLUE, which no *SURFACE INTERACTION defines");
  expectRefused(replaced(deck, "BASE, PLANE\n", "BASE, FLOOR\n"), ErrorKind::InvalidInput,
                "names surface FLOOR, which no *SURFACE defines");
  expectRefused(replaced(deck, "SLAB, S2\n", "SLAB, SPOS\n"), ErrorKind::Unsupported,
                "face label 'SPOS' is not supported");
  expectRefused(replaced(deck, "*STEP\n*STATIC\n", "*STEP\n*STATIC\n" + pair + "\nBASE, PLANE\n"),
                ErrorKind::InvalidInput, "*CONTACT PAIR is model data");
}

TEST(InpContact, RefusesAMasterThatIsNotARigidPlaneUnderTheSlave) {
  const std::string deck = blockOnSlab();
  // The slab not held: not a rigid part.
  expectRefused(replaced(deck, "SLABN, 1, 3\n", "SLABN, 1, 2\n"), ErrorKind::InvalidInput,
                "the master surface PLANE is not on a rigid part: node 901");
  // One corner of the top face lifted: not a plane.
  expectRefused(replaced(deck, "907, 3, 3, 0\n", "907, 3, 3, 0.5\n"), ErrorKind::Unsupported,
                "the master surface PLANE is not planar");
  // A slab that does not reach under the block's far corner.
  std::string small = replaced(deck, "902, 3, -1, -1\n903, 3, 3, -1\n904, -1, 3, -1\n",
                               "902, 1.5, -1, -1\n903, 1.5, 3, -1\n904, -1, 3, -1\n");
  small = replaced(small, "906, 3, -1, 0\n907, 3, 3, 0\n", "906, 1.5, -1, 0\n907, 1.5, 3, 0\n");
  expectRefused(small, ErrorKind::InvalidInput, "does not lie over the master surface PLANE");
  // A block sunk 0.1 mm into the slab.
  expectRefused(replaced(deck, "905, -1, -1, 0\n906, 3, -1, 0\n907, 3, 3, 0\n908, -1, 3, 0\n",
                         "905, -1, -1, 0.1\n906, 3, -1, 0.1\n907, 3, 3, 0.1\n908, -1, 3, 0.1\n"),
                ErrorKind::InvalidInput, "mm inside the master surface PLANE");
  // A brick that is not under a master surface is not read as tissue.
  expectRefused(replaced(deck, "BASE, PLANE\n",
                         "BASE, PLANE\n*ELEMENT, TYPE=C3D8, ELSET=LID\n"
                         "902, 901, 902, 903, 904, 905, 906, 907, 908\n"),
                ErrorKind::Unsupported, "element 902 (C3D8) is under no master surface");
  // Tissue sets may not take in the rigid part.
  expectRefused(
      replaced(deck, "*MATERIAL, NAME=M", "*ELSET, ELSET=BOTH\nEALL, SLAB\n*MATERIAL, NAME=M"),
      ErrorKind::InvalidInput, "element set SLAB holds bricks of a rigid part");
}

}  // namespace
}  // namespace twinplan::tissue
