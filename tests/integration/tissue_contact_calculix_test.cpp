// Frictionless contact with a rigid plane (fem_solver.h, ContactEnforcement::ActiveSet) against
// CalculiX (Debian's calculix-ccx, issue #18 item 6): an elastic block on a frictionless rigid
// plane, pushed down off-centre so that part of its base lifts off and the rest slides
// outwards; ccx solves the same mesh with node-to-surface contact (*CONTACT PAIR, TYPE=NODE TO
// SURFACE, *SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=LINEAR with a stiff spring; ccx 2.20 manual,
// sections 6.7.1 and 7.122) on a fixed slab as the master surface. Our .inp reader does not read
// contact (a RigidObstacle is not part of its subset), so the test writes ccx's deck from ours
// plus the slab and the contact definition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "calculix_run.h"
#include "test_support.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/contact.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"

namespace twinplan::tissue {
namespace {

using test::magnitude;

constexpr double kTotalLoad_N = 20;
// ccx's contact spring per unit area (MPa/mm): the overclosure it leaves under the largest
// contact pressure here (about 1 MPa) is ~1e-7 mm, 1e-4 of the displacements compared.
constexpr double kSpring_MPa_per_mm = 1e7;

struct BlockOnPlane {
  std::string deck;  // the part both solvers read
  std::vector<std::size_t> loaded;
};

// A 10 x 10 x 5 mm C3D10 block (E 1000 MPa, nu 0.3) standing on z = 0, rollers on x = 0 and
// y = 0 (symmetry planes), the node at (10, 0, 0) held in z (it stays pressed: it is under the
// load) so that ccx's first iteration has no free rigid motion; 20 N down, shared equally by the
// top nodes with x >= 5. The resultant (x = 7.5 mm) lies outside the base's middle third, so
// the base lifts off near x = 0.
BlockOnPlane blockOnPlane() {
  const BoxMeshSpec spec{{10, 10, 5}, {4, 4, 2}, ElementType::C3D10, 0};
  const std::string mesh = boxMeshDeck(spec);
  const FeModel geometry =
      parseInp(mesh +
                   "*MATERIAL, NAME=M\n*ELASTIC\n1000, 0.3\n*SOLID SECTION, ELSET=EALL, "
                   "MATERIAL=M\n*BOUNDARY\nX0, 1, 1\n*STEP\n*STATIC\n*END STEP\n",
               "mesh.inp");
  BlockOnPlane out;
  int heldId = 0;
  for (std::size_t n = 0; n < geometry.nodes.size(); ++n) {
    const auto& x = geometry.nodes[n].x_mm;
    if (std::abs(x[2] - 5) < 1e-9 && x[0] >= 5 - 1e-9) out.loaded.push_back(n);
    if (std::abs(x[0] - 10) < 1e-9 && std::abs(x[1]) < 1e-9 && std::abs(x[2]) < 1e-9)
      heldId = geometry.nodes[n].id;
  }
  std::ostringstream deck;
  deck.precision(17);
  deck << mesh
       << "*MATERIAL, NAME=M\n*ELASTIC\n1000, 0.3\n*SOLID SECTION, ELSET=EALL, MATERIAL=M\n"
          "*BOUNDARY\nX0, 1, 1\nY0, 2, 2\n"
       << heldId << ", 3, 3\n*STEP\n*STATIC\n*CLOAD\n";
  for (std::size_t n : out.loaded)
    deck << geometry.nodes[n].id << ", 3, " << -kTotalLoad_N / double(out.loaded.size()) << '\n';
  deck << "*END STEP\n";
  out.deck = deck.str();
  return out;
}

// ccx's deck: ours with a fixed 16 x 16 x 1 mm C3D8 slab under the block (its top face, S2, at
// z = 0 is the master surface) and the base nodes (set Z0) as slave nodes.
std::string calculixDeck(const std::string& ours) {
  const std::size_t step = ours.find("*STEP");
  std::ostringstream slab;
  slab << "*NODE, NSET=SLABN\n";
  const double corners[4][2] = {{-3, -3}, {13, -3}, {13, 13}, {-3, 13}};
  for (int layer = 0; layer < 2; ++layer)
    for (int c = 0; c < 4; ++c)
      slab << 900001 + 4 * layer + c << ", " << corners[c][0] << ", " << corners[c][1] << ", "
           << (layer == 0 ? -1.0 : 0.0) << '\n';
  slab << "*ELEMENT, TYPE=C3D8, ELSET=SLAB\n900001, 900001, 900002, 900003, 900004, 900005, "
          "900006, 900007, 900008\n"
          "*SOLID SECTION, ELSET=SLAB, MATERIAL=M\n*BOUNDARY\nSLABN, 1, 3\n"
          "*SURFACE, NAME=BASE, TYPE=NODE\nZ0\n*SURFACE, NAME=PLANE\nSLAB, S2\n"
          "*SURFACE INTERACTION, NAME=FRICTIONLESS\n*SURFACE BEHAVIOR, "
          "PRESSURE-OVERCLOSURE=LINEAR\n"
       << kSpring_MPa_per_mm
       << ", 1e-6\n*CONTACT PAIR, INTERACTION=FRICTIONLESS, TYPE=NODE TO SURFACE\nBASE, PLANE\n";
  std::string deck = ours.substr(0, step) + slab.str() + ours.substr(step);
  const std::size_t end = deck.rfind("*END STEP");
  deck.insert(end, "*NODE PRINT, NSET=NALL\nU\n");
  return deck;
}

TEST(ContactCalculix, BlockPushedOffCentreOnRigidPlaneMatchesCalculix) {
  const BlockOnPlane block = blockOnPlane();
  FeModel model = parseInp(block.deck, "block-on-plane.inp");
  RigidObstacle plane = rigidPlane({0, 0, 0}, {0, 0, 1}, model.nodeSets.at("Z0"));
  plane.enforcement = ContactEnforcement::ActiveSet;
  model.obstacles.push_back(plane);
  const SolveResult ours = solve(model);

  test::TempDir dir("twinplan-ccx-contact");
  const test::CalculixDisplacements theirs = test::runCalculix(dir, calculixDeck(block.deck));
  ASSERT_GE(theirs.size(), model.nodes.size());

  double largest = 0, difference = 0, lift = 0, liftTheirs = 0, penetration = 0, plateForce = 0;
  std::size_t liftedOurs = 0, liftedTheirs = 0, base = 0;
  for (std::size_t n = 0; n < model.nodes.size(); ++n) {
    const auto& a = ours.displacement_mm[n];
    largest = std::max(largest, magnitude(a));
    const auto it = theirs.find(model.nodes[n].id);
    ASSERT_NE(it, theirs.end()) << "node " << model.nodes[n].id;
    const auto& b = it->second;
    difference = std::max(difference, magnitude({a[0] - b[0], a[1] - b[1], a[2] - b[2]}));
    plateForce += ours.contactForce_N[n][2];
    if (model.nodes[n].x_mm[2] > 1e-9) continue;
    ++base;
    penetration = std::max(penetration, -a[2]);
    lift = std::max(lift, a[2]);
    liftTheirs = std::max(liftTheirs, b[2]);
  }
  // Lifted off: a gap above 5 % of the largest lift-off (nodes in contact have u_z = 0 here,
  // ccx's a spring overclosure of ~1e-8 mm; nearer 0 the count depends on the threshold at the
  // edge of the contact patch).
  for (std::size_t n = 0; n < model.nodes.size(); ++n) {
    if (model.nodes[n].x_mm[2] > 1e-9) continue;
    if (ours.displacement_mm[n][2] > 0.05 * lift) ++liftedOurs;
    if (theirs.at(model.nodes[n].id)[2] > 0.05 * lift) ++liftedTheirs;
  }
  std::printf(
      "block on plane: largest displacement %.6g mm, largest lift-off %.4g mm (ccx %.4g mm), "
      "largest nodal "
      "difference from ccx %.3g mm (%.2g %%); base nodes lifted %zu (ccx %zu) of %zu; plane "
      "carries %.9f N; penetration %.3g mm; %d Newton iterations, %d set changes\n",
      largest, lift, liftTheirs, difference, 100 * difference / largest, liftedOurs, liftedTheirs,
      base, plateForce, penetration, ours.totalIterations, ours.activeSetChanges);
  // The base partly lifts off (the load is outside its middle third) and partly stays; the
  // largest lift-off (small beside the displacement under the point loads) agrees to 2 %.
  EXPECT_GT(lift, 1e-6);
  EXPECT_NEAR(liftTheirs, lift, 0.02 * lift);
  EXPECT_GT(liftedOurs, base / 10);
  EXPECT_LT(liftedOurs, base);
  EXPECT_EQ(liftedOurs, liftedTheirs);
  // The criterion for the same model in ccx: under 1 % of the largest displacement.
  EXPECT_LT(difference, 0.01 * largest);
  // No penetration; the plane and the held node carry the load.
  EXPECT_LT(penetration, 1e-6);
  EXPECT_LE(plateForce, kTotalLoad_N * (1 + 1e-9));
  EXPECT_GT(plateForce, 0.5 * kTotalLoad_N);
}

}  // namespace
}  // namespace twinplan::tissue
