// Frictionless contact with a rigid plane against CalculiX (Debian's calculix-ccx, issue #18
// items 5, 6): an elastic block on a frictionless rigid plane, pushed down off-centre so that
// part of its base lifts off and the rest slides outwards. One deck, written once, is solved by
// `twinplan-cli fem solve` and by ccx: the plane is the top face (S2) of a held C3D8 slab,
// `*CONTACT PAIR, TYPE=NODE TO SURFACE` with the block's base nodes as the slave surface and
// `*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=LINEAR` (a stiff spring in ccx; ccx 2.20 manual,
// sections 6.7.1 and 7.122). Our reader maps that master surface to a rigid plane with exact
// (active-set) contact and takes the slab out of the model (inp_reader.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "calculix_run.h"
#include "test_support.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/inp_reader.h"

namespace twinplan::tissue {
namespace {

using test::magnitude;

constexpr double kTotalLoad_N = 20;
// ccx's contact spring per unit area (MPa/mm): the overclosure it leaves under the largest
// contact pressure here (about 1 MPa) is ~1e-7 mm, 1e-4 of the displacements compared.
constexpr double kSpring_MPa_per_mm = 1e7;

// A 10 x 10 x 5 mm C3D10 block (E 1000 MPa, nu 0.3, 4 x 4 x 2 cells) standing on z = 0,
// rollers on x = 0 and y = 0 (symmetry planes), the node at (10, 0, 0) held in z (it stays
// pressed: it is under the load) so that ccx's first iteration has no free rigid motion; 20 N
// down, shared equally by the top nodes with x >= 5. The resultant (x = 7.5 mm) lies outside the
// base's middle third, so the base lifts off near x = 0. Under it a held 16 x 16 x 1 mm C3D8
// slab whose top face is the master surface; the base nodes (set Z0) are the slave surface.
std::string blockOnRigidSlabDeck() {
  const BoxMeshSpec spec{{10, 10, 5}, {4, 4, 2}, ElementType::C3D10, 0};
  const std::string mesh = boxMeshDeck(spec);
  const FeModel geometry =
      parseInp(mesh +
                   "*MATERIAL, NAME=M\n*ELASTIC\n1000, 0.3\n*SOLID SECTION, ELSET=EALL, "
                   "MATERIAL=M\n*BOUNDARY\nX0, 1, 1\n*STEP\n*STATIC\n*END STEP\n",
               "mesh.inp");
  std::vector<int> loaded;
  int heldId = 0;
  for (const Node& node : geometry.nodes) {
    const auto& x = node.x_mm;
    if (std::abs(x[2] - 5) < 1e-9 && x[0] >= 5 - 1e-9) loaded.push_back(node.id);
    if (std::abs(x[0] - 10) < 1e-9 && std::abs(x[1]) < 1e-9 && std::abs(x[2]) < 1e-9)
      heldId = node.id;
  }
  std::ostringstream deck;
  deck.precision(17);
  deck << mesh << "*NODE, NSET=SLABN\n";
  const double corners[4][2] = {{-3, -3}, {13, -3}, {13, 13}, {-3, 13}};
  for (int layer = 0; layer < 2; ++layer)
    for (int c = 0; c < 4; ++c)
      deck << 900001 + 4 * layer + c << ", " << corners[c][0] << ", " << corners[c][1] << ", "
           << (layer == 0 ? -1.0 : 0.0) << '\n';
  deck << "*ELEMENT, TYPE=C3D8, ELSET=SLAB\n900001, 900001, 900002, 900003, 900004, 900005, "
          "900006, 900007, 900008\n"
          "*MATERIAL, NAME=M\n*ELASTIC\n1000, 0.3\n*SOLID SECTION, ELSET=EALL, MATERIAL=M\n"
          "*SOLID SECTION, ELSET=SLAB, MATERIAL=M\n"
          "*BOUNDARY\nX0, 1, 1\nY0, 2, 2\n"
       << heldId
       << ", 3, 3\nSLABN, 1, 3\n"
          "*SURFACE, NAME=BASE, TYPE=NODE\nZ0\n*SURFACE, NAME=PLANE\nSLAB, S2\n"
          "*SURFACE INTERACTION, NAME=FRICTIONLESS\n*SURFACE BEHAVIOR, "
          "PRESSURE-OVERCLOSURE=LINEAR\n"
       << kSpring_MPa_per_mm
       << ", 1e-6\n*CONTACT PAIR, INTERACTION=FRICTIONLESS, TYPE=NODE TO SURFACE\nBASE, PLANE\n"
          "*STEP\n*STATIC\n*CLOAD\n";
  for (int id : loaded) deck << id << ", 3, " << -kTotalLoad_N / double(loaded.size()) << '\n';
  deck << "*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
  return deck.str();
}

// The CLI's --out .json: node id -> displacement.
test::CalculixDisplacements cliDisplacements(const std::filesystem::path& file) {
  std::ifstream in(file);
  const nlohmann::json j = nlohmann::json::parse(in);
  test::CalculixDisplacements out;
  for (const auto& node : j["nodes"])
    out[node["id"].get<int>()] = node["u_mm"].get<std::array<double, 3>>();
  return out;
}

TEST(ContactCalculix, BlockPushedOffCentreOnRigidPlaneMatchesCalculix) {
  test::TempDir dir("twinplan-ccx-contact");
  const std::string deck = blockOnRigidSlabDeck();
  std::ofstream(dir / "block-on-slab.inp") << deck;
  const test::CommandResult run = test::runCliFemSolve(dir, "block-on-slab.inp");
  ASSERT_EQ(run.status, 0) << run.output;
  const nlohmann::json report = nlohmann::json::parse(run.output);
  const test::CalculixDisplacements ours = cliDisplacements(dir / "u.json");
  const test::CalculixDisplacements theirs = test::runCalculix(dir, deck);

  // The slab is the obstacle, not part of the model: the block's 405 nodes and 192 elements.
  EXPECT_EQ(report["nodes"], 405);
  EXPECT_EQ(report["elements"], 192);
  ASSERT_EQ(ours.size(), 405u);
  ASSERT_GE(theirs.size(), ours.size());
  const FeModel model = parseInp(deck, "block-on-slab.inp");
  ASSERT_EQ(model.obstacles.size(), 1u);
  EXPECT_EQ(model.obstacles[0].nodes.size(), 81u);  // the base's nodes, set Z0

  double largest = 0, difference = 0, lift = 0, liftTheirs = 0, penetration = 0;
  std::size_t liftedOurs = 0, liftedTheirs = 0, base = 0;
  for (const Node& node : model.nodes) {
    const auto& a = ours.at(node.id);
    largest = std::max(largest, magnitude(a));
    const auto it = theirs.find(node.id);
    ASSERT_NE(it, theirs.end()) << "node " << node.id;
    const auto& b = it->second;
    difference = std::max(difference, magnitude({a[0] - b[0], a[1] - b[1], a[2] - b[2]}));
    if (node.x_mm[2] > 1e-9) continue;
    ++base;
    penetration = std::max(penetration, -a[2]);
    lift = std::max(lift, a[2]);
    liftTheirs = std::max(liftTheirs, b[2]);
  }
  // Lifted off: a gap above 5 % of the largest lift-off (nodes in contact have u_z = 0 here,
  // ccx's a spring overclosure of ~1e-8 mm; nearer 0 the count depends on the threshold at the
  // edge of the contact patch).
  for (const Node& node : model.nodes) {
    if (node.x_mm[2] > 1e-9) continue;
    if (ours.at(node.id)[2] > 0.05 * lift) ++liftedOurs;
    if (theirs.at(node.id)[2] > 0.05 * lift) ++liftedTheirs;
  }
  const double plateForce = report["contact"]["force_N"][2].get<double>();
  std::printf(
      "block on slab (one deck, twinplan-cli and ccx): largest displacement %.6g mm, largest "
      "lift-off %.4g mm (ccx %.4g mm), largest nodal difference from ccx %.3g mm (%.2g %%); base "
      "nodes lifted %zu (ccx %zu) of %zu; plane carries %.9f N; penetration %.3g mm\n",
      largest, lift, liftTheirs, difference, 100 * difference / largest, liftedOurs, liftedTheirs,
      base, plateForce, penetration);
  // The base partly lifts off (the load is outside its middle third) and partly stays; the
  // largest lift-off (small beside the displacement under the point loads) agrees to 2 %.
  EXPECT_GT(lift, 1e-6);
  EXPECT_NEAR(liftTheirs, lift, 0.02 * lift);
  EXPECT_GT(liftedOurs, base / 10);
  EXPECT_LT(liftedOurs, base);
  EXPECT_EQ(liftedOurs, liftedTheirs);
  // The criterion for the same model in ccx: under 1 % of the largest displacement.
  EXPECT_LT(difference, 0.01 * largest);
  // No penetration (the report's and the written displacements'); the plane pushes up and,
  // with the held node, carries the load.
  EXPECT_LT(penetration, 1e-6);
  EXPECT_LT(report["contact"]["max_penetration_mm"].get<double>(), 1e-6);
  EXPECT_GT(report["contact"]["nodes_in_contact"].get<int>(), 0);
  EXPECT_LE(plateForce, kTotalLoad_N * (1 + 1e-9));
  EXPECT_GT(plateForce, 0.5 * kTotalLoad_N);
}

}  // namespace
}  // namespace twinplan::tissue
