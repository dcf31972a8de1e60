// The tissue FEM solver against CalculiX (Debian's calculix-ccx, an independent solver of the
// same input format): the same .inp solved by both, the largest nodal difference under 1 % of
// the largest displacement (issue #18 item 6), for linear and NLGEOM neo-Hookean models; and
// `twinplan-cli fem solve` on those decks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "calculix_run.h"
#include "test_support.h"
#include "twinplan/tissue/box_mesh.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/surface_traction.h"

namespace twinplan::tissue {
namespace {

using Displacements = test::CalculixDisplacements;
using test::magnitude;
using test::runCalculix;

// Solves `deck` with both; returns our largest displacement and expects the largest nodal
// difference under 1 % of it.
double expectSameAsCalculix(const std::string& deck, const char* what) {
  const FeModel model = parseInp(deck, std::string(what) + ".inp");
  const SolveResult ours = solve(model);
  test::TempDir dir("twinplan-ccx");
  const Displacements theirs = runCalculix(dir, deck);
  EXPECT_EQ(theirs.size(), model.nodes.size());
  double largest = 0, difference = 0;
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    largest = std::max(largest, magnitude(ours.displacement_mm[i]));
    const auto it = theirs.find(model.nodes[i].id);
    if (it == theirs.end()) continue;
    const auto& a = ours.displacement_mm[i];
    difference = std::max(
        difference, magnitude({a[0] - it->second[0], a[1] - it->second[1], a[2] - it->second[2]}));
  }
  std::printf(
      "%s: largest displacement %.6g mm, largest difference from ccx %.3g mm (%.2g %%), "
      "%d iterations\n",
      what, largest, difference, 100 * difference / largest, ours.totalIterations);
  EXPECT_GT(largest, 0);
  EXPECT_LT(difference, 0.01 * largest) << what;
  return largest;
}

std::string cantileverDeck() {
  const BoxMeshSpec spec{{100, 10, 10}, {20, 2, 2}, ElementType::C3D10, 0};
  std::ostringstream deck;
  deck.precision(17);
  deck << boxMeshDeck(spec)
       << "*MATERIAL, NAME=STEELISH\n*ELASTIC\n1000, 0.3\n"
          "*SOLID SECTION, ELSET=EALL, MATERIAL=STEELISH\n*BOUNDARY\nX0, 1, 3\n*STEP\n*STATIC\n"
          "*CLOAD\n";
  for (const auto& [id, share] : endFaceLoadShares(spec)) deck << id << ", 2, " << -share << '\n';
  deck << "*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
  return deck.str();
}

// A brain-like block (neo-Hooke C10 1 kPa, D1 100 /MPa: mu 2 kPa, K 20 kPa) on a fixed base,
// its side pushed in 4 mm (10 %) while gravity pulls sideways: large strain, NLGEOM.
std::string brainBlockDeck() {
  const BoxMeshSpec spec{{40, 40, 20}, {4, 4, 2}, ElementType::C3D10, 0};
  return boxMeshDeck(spec) +
         "*MATERIAL, NAME=BRAIN\n*HYPERELASTIC, NEO HOOKE\n0.001, 100\n*DENSITY\n1.04e-9\n"
         "*SOLID SECTION, ELSET=EALL, MATERIAL=BRAIN\n*BOUNDARY\nZ0, 1, 3\n*STEP, NLGEOM\n"
         "*STATIC\n0.25, 1\n*BOUNDARY\nX1, 1, 1, -4\n*DLOAD\nEALL, GRAV, 9810, 0, 1, 0\n"
         "*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
}

// Linear tetrahedra, St Venant-Kirchhoff under NLGEOM, and a follower pressure on the top
// faces (P1..P4 chosen per element): checks the face numbering against CalculiX.
std::string pressedSlabDeck() {
  const BoxMeshSpec spec{{30, 30, 10}, {6, 6, 2}, ElementType::C3D4, 0};
  const std::string mesh = boxMeshDeck(spec);
  const FeModel m = parseInp(mesh, "slab.inp");
  std::string loads = "*DLOAD\n";
  static constexpr int kCorners[4][3] = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}, {2, 3, 0}};
  for (const Element& e : m.elements)
    for (int f = 0; f < 4; ++f) {
      bool top = true, nearSide = true;
      for (int c : kCorners[f]) {
        top = top && m.nodes[e.nodes[c]].x_mm[2] > 10 - 1e-9;
        nearSide = nearSide && m.nodes[e.nodes[c]].x_mm[0] < 15 + 1e-9;
      }
      if (top && nearSide)
        loads += std::to_string(e.id) + ", P" + std::to_string(f + 1) + ", 0.3\n";
    }
  return mesh +
         "*MATERIAL, NAME=LIVER\n*ELASTIC\n5, 0.45\n*SOLID SECTION, ELSET=EALL, "
         "MATERIAL=LIVER\n*BOUNDARY\nZ0, 1, 3\n*STEP, NLGEOM\n*STATIC\n0.5, 1\n" +
         loads + "*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
}

TEST(FemCalculix, LinearCantileverC3D10) { expectSameAsCalculix(cantileverDeck(), "cantilever"); }

// A retractor-like pull: an oblique traction (20 Pa along x, -15 Pa along y, 7.5 Pa along z)
// on the free end of a 30 mm C3D10 bar of liver (E 5 kPa), written as the consistent nodal forces
// CalculiX reads (*CLOAD); the traction solved as a load of the model gives the same answer.
TEST(FemCalculix, ObliqueEndTractionC3D10) {
  const BoxMeshSpec spec{{30, 10, 10}, {6, 2, 2}, ElementType::C3D10, 0};
  const std::string head = boxMeshDeck(spec) +
                           "*MATERIAL, NAME=LIVER\n*ELASTIC\n0.005, 0.45\n*SOLID SECTION, "
                           "ELSET=EALL, MATERIAL=LIVER\n*BOUNDARY\nX0, 1, 3\n*STEP\n*STATIC\n";
  FeModel model = parseInp(head + "*END STEP\n", "traction.inp");
  const std::vector<BoundaryFace> end =
      boundaryFaces(model, {}, [](const std::array<double, 3>& p) { return p[0] > 30 - 1e-9; });
  model.steps[0].tractions = surfaceTraction(end, {20, -15, 7.5}, "the bar's end");
  const std::string deck = head + tractionAsCload(model, model.steps[0].tractions) +
                           "*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
  const double largest = expectSameAsCalculix(deck, "oblique end traction");
  const SolveResult asTraction = solve(model);
  const SolveResult asForces = solve(parseInp(deck, "traction.inp"));
  double difference = 0;
  for (std::size_t i = 0; i < model.nodes.size(); ++i)
    for (int d = 0; d < 3; ++d)
      difference = std::max(
          difference, std::abs(asTraction.displacement_mm[i][d] - asForces.displacement_mm[i][d]));
  EXPECT_LT(difference, 1e-9 * largest);
  // Bending under the shear part: P L^3 / (3 E I) = 1.5e-3 N (30 mm)^3 / (3 x 5e-3 MPa x
  // 833 mm^4) = 3.2 mm for the Euler-Bernoulli beam; shear and the pull add a little.
  EXPECT_GT(largest, 3.2);
  EXPECT_LT(largest, 4.5);
}

TEST(FemCalculix, NeoHookeanBrainBlockNlgeom) {
  const double largest = expectSameAsCalculix(brainBlockDeck(), "brain block");
  EXPECT_GT(largest, 4);  // the pushed side moves 4 mm, gravity adds to it
}

TEST(FemCalculix, FollowerPressureOnASlabNlgeomC3D4) {
  expectSameAsCalculix(pressedSlabDeck(), "pressed slab");
}

TEST(FemCli, SolvesADeckAndWritesVtu) {
  test::TempDir dir("twinplan-fem-cli");
  std::ofstream(dir / "block.inp") << brainBlockDeck();
  const test::CommandResult r = test::runCommand("'" + test::cliPath().string() + "' fem solve '" +
                                                 (dir / "block.inp").string() + "' --out '" +
                                                 (dir / "block.vtu").string() + "' --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["nodes"], 405);
  EXPECT_EQ(j["elements"], 192);
  // Independent figure: CalculiX's largest nodal displacement on the same deck.
  test::TempDir ccxDir("twinplan-ccx");
  double ccxLargest = 0;
  for (const auto& [id, u] : runCalculix(ccxDir, brainBlockDeck()))
    ccxLargest = std::max(ccxLargest, magnitude(u));
  EXPECT_NEAR(j["max_displacement_mm"].get<double>(), ccxLargest, 0.01 * ccxLargest);
  EXPECT_EQ(j["max_displacement_node"], 405);  // the top corner of the pushed side
  EXPECT_GT(j["iterations"].get<int>(), 3);
  EXPECT_LT(j["residual_N"].get<double>(), 1e-6);
  EXPECT_EQ(j["notes"].size(), 1u);  // *NODE PRINT ignored
  std::ifstream vtu(dir / "block.vtu");
  const std::string text((std::istreambuf_iterator<char>(vtu)), {});
  EXPECT_NE(text.find("NumberOfPoints=\"405\" NumberOfCells=\"192\""), std::string::npos);
  EXPECT_NE(text.find("Name=\"displacement_mm\""), std::string::npos);
}

TEST(FemCli, RefusesAnUnsupportedKeywordWithItsLine) {
  test::TempDir dir("twinplan-fem-cli");
  std::ofstream(dir / "contact.inp") << "*NODE\n1, 0, 0, 0\n** skull\n*AMPLITUDE, NAME=RAMP\n";
  const test::CommandResult r = test::runCommand(
      "'" + test::cliPath().string() + "' fem solve '" + (dir / "contact.inp").string() +
      "' --json --out '" + (dir / "x.vtu").string() + "' 2>/dev/null");
  EXPECT_EQ(r.status, 5) << r.output;  // exit code 5: unsupported
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_NE(j["error"]["message"].get<std::string>().find(
                "contact.inp line 4: *AMPLITUDE is not supported"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.vtu"));
}

}  // namespace
}  // namespace twinplan::tissue
