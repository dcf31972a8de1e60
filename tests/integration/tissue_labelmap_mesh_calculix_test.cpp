// Meshes from the labelmap mesher solved by CalculiX (Debian's calculix-ccx, an independent
// solver of the same deck) and by our solver: a two-material ball under gravity, resting on
// its bottom cap, with linear and quadratic tetrahedra (largest nodal difference under 1 % of
// the largest displacement, as the solver's own CalculiX tests); and `twinplan-cli fem mesh`
// on the head phantom's true labelmap (brain, ventricles, tumour), its deck solved by
// `twinplan-cli fem solve` and by CalculiX.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "calculix_run.h"
#include "test_support.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/tissue/fem_solver.h"
#include "twinplan/tissue/inp_reader.h"
#include "twinplan/tissue/labelmap_mesher.h"

namespace twinplan::tissue {
namespace {

using Displacements = test::CalculixDisplacements;
using test::magnitude;
using test::runCalculix;

// The largest nodal difference between `ours` and CalculiX's answer, over the largest of ours.
double relativeDifference(const FeModel& model, const std::vector<std::array<double, 3>>& ours,
                          const Displacements& theirs, double& largest) {
  EXPECT_EQ(theirs.size(), model.nodes.size());
  largest = 0;
  double difference = 0;
  for (std::size_t i = 0; i < model.nodes.size(); ++i) {
    largest = std::max(largest, magnitude(ours[i]));
    const auto it = theirs.find(model.nodes[i].id);
    if (it == theirs.end()) continue;
    const auto& a = ours[i];
    difference = std::max(
        difference, magnitude({a[0] - it->second[0], a[1] - it->second[1], a[2] - it->second[2]}));
  }
  return largest > 0 ? difference / largest : 1;
}

// Nodes of the outer surface below `z_mm`: the cap the body rests on.
std::string bottomCap(const FeModel& model, double z_mm) {
  std::string set = "*NSET, NSET=BASE\n";
  int count = 0;
  for (std::size_t n : model.nodeSets.at("SURFACE"))
    if (model.nodes[n].x_mm[2] < z_mm)
      set += std::to_string(model.nodes[n].id) + (++count % 16 ? ", " : "\n");
  if (set.back() == ' ') set.resize(set.size() - 2), set += '\n';
  EXPECT_GT(count, 3);
  return set;
}

// Linear elastic brain (E 3 kPa, nu 0.45) and a stiffer tumour (E 10 kPa): soft-tissue
// magnitudes (Budday et al. 2017 report brain shear moduli of ~1 kPa), density 1.04 g/cm3,
// gravity 9810 mm/s^2 along -z.
std::string gravityDeck(const std::string& mesh, const std::string& soft, const std::string& stiff,
                        const std::string& base) {
  std::string deck = mesh + base +
                     "*MATERIAL, NAME=SOFT\n*ELASTIC\n0.003, 0.45\n*DENSITY\n1.04e-9\n"
                     "*SOLID SECTION, ELSET=" +
                     soft + ", MATERIAL=SOFT\n";
  if (!stiff.empty())
    deck +=
        "*MATERIAL, NAME=STIFF\n*ELASTIC\n0.01, 0.45\n*DENSITY\n1.04e-9\n"
        "*SOLID SECTION, ELSET=" +
        stiff + ", MATERIAL=STIFF\n";
  return deck +
         "*BOUNDARY\nBASE, 1, 3\n*STEP\n*STATIC\n*DLOAD\nEALL, GRAV, 9810, 0, 0, -1\n"
         "*NODE PRINT, NSET=NALL\nU\n*END STEP\n";
}

LabelMap twoMaterialBall() {
  ImageGeometry g;
  g.size = {40, 40, 40};
  g.origin_lps = Vec3::Constant(-19.5);
  LabelMap labels(g);
  labels.addSegment({.name = "Ball", .value = 1});
  labels.addSegment({.name = "Core", .value = 2});
  for (std::int64_t k = 0; k < 40; ++k)
    for (std::int64_t j = 0; j < 40; ++j)
      for (std::int64_t i = 0; i < 40; ++i) {
        const Vec3 p = g.indexToLps(
            Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)));
        labels.layer(0)[g.linearIndex(i, j, k)] =
            (p - Vec3(0, 3, 4)).norm() < 7 ? 2 : (p.norm() < 16 ? 1 : 0);
      }
  return labels;
}

void expectBallAgreesWithCalculix(ElementType type, double resolution_mm, const char* what) {
  LabelMeshParameters parameters;
  parameters.materials = {{"brain", {0}}, {"tumour", {1}}};
  parameters.resolution_mm = resolution_mm;
  parameters.elementType = type;
  const LabelMesh mesh = meshLabelMap(twoMaterialBall(), parameters);
  const std::string deck =
      gravityDeck(meshDeck(mesh.model), "BRAIN", "TUMOUR", bottomCap(mesh.model, -13));
  const FeModel model = parseInp(deck, "ball.inp");
  const SolveResult ours = solve(model);
  test::TempDir dir("twinplan-mesh-ccx");
  double largest = 0;
  const double relative =
      relativeDifference(model, ours.displacement_mm, runCalculix(dir, deck), largest);
  std::printf("%s: %zu tets, %zu nodes, largest sag %.4g mm, largest difference from ccx %.2g %%\n",
              what, model.elements.size(), model.nodes.size(), largest, 100 * relative);
  EXPECT_GT(largest, 0.1);  // a soft ball sags visibly under its own weight
  EXPECT_LT(relative, 0.01) << what;
}

TEST(LabelmapMeshCalculix, TwoMaterialBallUnderGravityC3D4) {
  expectBallAgreesWithCalculix(ElementType::C3D4, 4, "ball, C3D4, 4 mm");
}

TEST(LabelmapMeshCalculix, TwoMaterialBallUnderGravityC3D10) {
  expectBallAgreesWithCalculix(ElementType::C3D10, 6, "ball, C3D10, 6 mm");
}

TEST(FemMeshCli, MeshesTheHeadPhantomBrainAndBothSolversAgree) {
  test::TempDir dir("twinplan-fem-mesh");
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.5;  // 2 x 2 x 4 mm voxels keep the test quick
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  const auto files = phantom::writePhantom(head, dir / "head");
  const test::CommandResult r = test::runCommand(
      "'" + test::cliPath().string() + "' fem mesh '" + files.caseFile.string() +
      "' --segments 'brain=Grey matter+White matter,Ventricles,Tumour' --resolution 10 --out '" +
      (dir / "brain.inp").string() + "' --vtu '" + (dir / "brain.vtu").string() + "' --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["element_type"], "C3D4");
  EXPECT_GT(j["elements"].get<int>(), 5000);
  EXPECT_EQ(j["quality"]["inverted_elements"], 0);
  EXPECT_GT(j["quality"]["min_dihedral_deg"].get<double>(), 5);
  ASSERT_EQ(j["materials"].size(), 3u);
  EXPECT_EQ(j["materials"][0]["elset"], "BRAIN");
  // The brain's volume against its voxels (the phantom's truth), within 1 %.
  EXPECT_NEAR(j["materials"][0]["volume_ml"].get<double>(),
              j["materials"][0]["labelmap_volume_ml"].get<double>(),
              0.01 * j["materials"][0]["labelmap_volume_ml"].get<double>());
  // The tumour, a sphere (25 mm: 8.18 ml) 2.5 cells wide at 10 mm, loses up to a quarter of
  // its volume to the inscribed polyhedron; the unit tests bound this at finer cells.
  const double r_mm = head.tumours.at(0).diameter_mm / 2;
  const double tumour_ml = 4.0 / 3.0 * 3.14159265358979 * r_mm * r_mm * r_mm / 1000;
  EXPECT_LT(j["materials"][2]["volume_ml"].get<double>(), tumour_ml);
  EXPECT_GT(j["materials"][2]["volume_ml"].get<double>(), 0.75 * tumour_ml);

  // A segment the case lacks, or a malformed list: refused by name, nothing written.
  for (const auto& [segments, status] :
       std::vector<std::pair<std::string, int>>{{"Brain", 4}, {"brain=,Tumour", 3}}) {
    const test::CommandResult refused =
        test::runCommand("'" + test::cliPath().string() + "' fem mesh '" + files.caseFile.string() +
                         "' --segments '" + segments + "' --out '" +
                         (dir / "refused.inp").string() + "' --json 2>/dev/null");
    EXPECT_EQ(refused.status, status) << refused.output;
    EXPECT_NE(nlohmann::json::parse(refused.output)["error"]["message"].get<std::string>().find(
                  status == 4 ? "\"Brain\" is missing" : "NAME=SEGMENT+SEGMENT"),
              std::string::npos)
        << refused.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "refused.inp"));
  }

  // The deck, completed with materials, a fixed skull base and gravity, in both solvers.
  std::ifstream in(dir / "brain.inp");
  const std::string mesh((std::istreambuf_iterator<char>(in)), {});
  const FeModel meshOnly = parseInp(mesh, "brain.inp");
  double lowest = 1e300;
  for (const Node& n : meshOnly.nodes) lowest = std::min(lowest, n.x_mm[2]);
  const std::string deck = gravityDeck(mesh + "*ELSET, ELSET=SOFT_PARTS\nBRAIN, VENTRICLES\n",
                                       "SOFT_PARTS", "TUMOUR", bottomCap(meshOnly, lowest + 15));
  std::ofstream(dir / "brain-gravity.inp") << deck;
  const test::CommandResult solved = test::runCliFemSolve(dir, "brain-gravity.inp");
  ASSERT_EQ(solved.status, 0) << solved.output;
  const nlohmann::json s = nlohmann::json::parse(solved.output);
  const FeModel model = parseInp(deck, "brain-gravity.inp");
  std::vector<std::array<double, 3>> ours(model.nodes.size());
  std::ifstream uFile(dir / "u.json");
  const nlohmann::json u = nlohmann::json::parse(uFile);
  ASSERT_EQ(u["nodes"].size(), model.nodes.size());
  for (std::size_t n = 0; n < model.nodes.size(); ++n)
    ours[n] = u["nodes"][n]["u_mm"].get<std::array<double, 3>>();
  test::TempDir ccxDir("twinplan-mesh-ccx");
  double largest = 0;
  const double relative = relativeDifference(model, ours, runCalculix(ccxDir, deck), largest);
  std::printf("head phantom brain, 10 mm: largest sag %.4g mm, difference from ccx %.2g %%\n",
              largest, 100 * relative);
  EXPECT_NEAR(s["max_displacement_mm"].get<double>(), largest, 1e-4 * largest);
  EXPECT_LT(relative, 0.01);
}

}  // namespace
}  // namespace twinplan::tissue
