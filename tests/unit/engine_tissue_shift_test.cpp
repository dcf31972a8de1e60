// Tissue-shift scenarios on phantom cases (engine/tissue_shift.h; issue #18 items 3, 4, 8):
// the liver under a tool (linearity of the force mode, the tool's prescribed depth), the
// resection cavity (the meshed cavity against the phantom's true tumour volume, the released
// support against Archimedes), and the whole result stored as one undoable step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "test_support.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/plan_targets.h"
#include "twinplan/engine/tissue_shift.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/tissue/brain_shift.h"

namespace twinplan::engine {
namespace {

using nlohmann::json;

Vec3 vec(const json& j) { return Vec3(j[0].get<double>(), j[1].get<double>(), j[2].get<double>()); }

// The phantoms at scale 0.4. Each test runs in its own process (gtest_discover_tests), so
// each builds what it uses: without the 3D models unless it checks the moved models (building
// them is most of a phantom's time; the scenarios read the labels).
phantom::Phantom smallPhantom(phantom::PhantomKind kind, bool models) {
  phantom::PhantomOptions o;
  o.kind = kind;
  o.scale = 0.4;
  o.surfaceModels = models;
  return phantom::makePhantom(o);
}

const phantom::Phantom& abdomen() {
  static const phantom::Phantom p = smallPhantom(phantom::PhantomKind::Abdomen, false);
  return p;
}

const phantom::Phantom& head() {
  static const phantom::Phantom p = smallPhantom(phantom::PhantomKind::Head, false);
  return p;
}

const phantom::Phantom& headWithModels() {
  static const phantom::Phantom p = smallPhantom(phantom::PhantomKind::Head, true);
  return p;
}

TissueShiftParameters liverTool() {
  TissueShiftParameters p;
  p.scenario = "liver-tool";
  p.resolution_mm = 16;
  p.liverTool.indentation_mm = 10;
  return p;
}

const json& target(const json& report, const std::string& name) {
  for (const json& t : report["targets"])
    if (t["name"] == name) return t;
  throw std::runtime_error("no target " + name);
}

// The flat tip pushes the nodes under it by exactly the depth, along its direction; the organ
// only yields, so nothing moves further than the tool (measured: max = depth); the tumour
// nearest the tool (Tumour 1, 33 mm behind the anterior surface) moves with it, by less.
TEST(TissueShift, LiverToolPushesTheLiverAlongTheTool) {
  const TissueShift r = simulateTissueShift(abdomen().twin, liverTool());
  const json& j = r.report;
  EXPECT_EQ(r.name, "Liver tool");
  EXPECT_GT(j["tool_nodes"].get<int>(), 0);
  EXPECT_NEAR(j["max_displacement_mm"].get<double>(), 10.0, 0.5);
  EXPECT_GT(j["tool_force_N"].get<double>(), 0.0);
  const json& t1 = target(j, "Tumour 1 centroid");
  EXPECT_TRUE(t1["inside_model"].get<bool>());
  const Vec3 d = vec(t1["displacement_mm"]);
  EXPECT_GT(d.y(), 0.1);  // posterior, with the tool
  EXPECT_LT(d.norm(), 10.0);
  EXPECT_NEAR(t1["magnitude_mm"].get<double>(), d.norm(), 1e-12);
  EXPECT_LT((vec(t1["before_lps"]) - abdomen().tumours[0].centre_lps).norm(), 2.0);
}

// Every probe of a multi-probe ablation plan is a target (engine/plan_targets.h), named by its
// number, in probe order; one not yet placed is left out. A tip placed on the tumour's centroid
// moves exactly as the centroid does (the same point of the same field); the others, 10 mm and
// 20 mm to its left, each by its own amount.
TEST(TissueShift, EveryProbeOfAMultiProbePlanIsATarget) {
  Case twin = abdomen().twin;
  const std::vector<PlanTarget> tumours = planTargets(twin);  // no plan yet: the centroids
  ASSERT_FALSE(tumours.empty());
  ASSERT_EQ(tumours[0].name, "Tumour 1 centroid");
  const Vec3 centroid = tumours[0].p_lps;
  const auto point = [](const Vec3& p) { return json::array({p.x(), p.y(), p.z()}); };
  json probes = json::array();
  for (double left : {0.0, 10.0, 20.0})
    probes.push_back({{"tip_lps", point(centroid + Vec3(left, 0, 0))},
                      {"entry_lps", point(centroid + Vec3(left, -60, 0))}});
  probes.push_back({{"entry_lps", point(centroid + Vec3(30, -60, 0))}});  // its tip not placed
  twin.plans.push_back(Plan{"ablation",
                            "Ablation",
                            {{"probes", probes},
                             {"tip_lps", probes[0]["tip_lps"]},
                             {"entry_lps", probes[0]["entry_lps"]}}});
  const json r = simulateTissueShift(twin, liverTool()).report;
  std::vector<std::string> names;
  for (const json& t : r["targets"]) names.push_back(t["name"].get<std::string>());
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(names.end() - 3, names.end()),
            (std::vector<std::string>{"Ablation probe 1 tip", "Ablation probe 2 tip",
                                      "Ablation probe 3 tip"}));
  for (int n = 0; n < 3; ++n)
    EXPECT_LT((vec(target(r, "Ablation probe " + std::to_string(n + 1) + " tip")["before_lps"]) -
               (centroid + Vec3(10.0 * n, 0, 0)))
                  .norm(),
              1e-9);
  const json& onCentroid = target(r, "Ablation probe 1 tip");
  const json& first = target(r, "Tumour 1 centroid");
  EXPECT_LT((vec(onCentroid["displacement_mm"]) - vec(first["displacement_mm"])).norm(), 1e-9);
  EXPECT_NE(target(r, "Ablation probe 3 tip")["magnitude_mm"], onCentroid["magnitude_mm"]);
  // A plan of one probe saved before several probes (tip_lps alone): "<plan> tip".
  twin.plans.back().parameters.erase("probes");
  const json one = simulateTissueShift(twin, liverTool()).report;
  EXPECT_LT((vec(target(one, "Ablation tip")["before_lps"]) - centroid).norm(), 1e-9);
}

// Linear elasticity: a force twice the one the 10 mm indentation needed gives a 20 mm
// indentation and every target's displacement doubled (to the solver's tolerance).
TEST(TissueShift, ToolForceModeIsTheLinearIndentationScaled) {
  const TissueShift byDepth = simulateTissueShift(abdomen().twin, liverTool());
  TissueShiftParameters p = liverTool();
  p.liverTool.indentation_mm.reset();
  p.liverTool.force_N = 2 * byDepth.report["tool_force_N"].get<double>();
  const TissueShift byForce = simulateTissueShift(abdomen().twin, p);
  EXPECT_NEAR(byForce.report["indentation_mm"].get<double>(), 20.0, 1e-6);
  const Vec3 a = vec(target(byDepth.report, "Tumour 1 centroid")["displacement_mm"]);
  const Vec3 b = vec(target(byForce.report, "Tumour 1 centroid")["displacement_mm"]);
  EXPECT_LT((b - 2 * a).norm(), 1e-6 * b.norm()) << a.transpose() << " / " << b.transpose();
}

TissueShiftParameters resection() {
  TissueShiftParameters p;
  p.scenario = "resection";
  p.resolution_mm = 8;  // 10 mm undersamples the 25 mm tumour (6.76 ml cavity, -17 %)
  p.resection.segment = "Tumour";
  return p;
}

// The head phantom's tumour (a 25 mm sphere, 8.18 ml true) resected from the brain: the cavity
// the mesh leaves is the tumour to the mesh's resolution (measured 7.21 ml, -12 % at 8 mm);
// the support released on its wall is the weight of the tissue removed (Archimedes: the
// hydrostatic pressure of a closed cavity sums to rho g V along gravity, exactly for flat
// faces and a linear pressure), and the cavity closes (measured -9.0 %).
TEST(TissueShift, ResectionCavityClosesUnderTheReleasedWeight) {
  const TissueShift r = simulateTissueShift(head().twin, resection());
  const json& j = r.report;
  const double truth_ml = head().tumours[0].diameter_mm * head().tumours[0].diameter_mm *
                          head().tumours[0].diameter_mm * 3.14159265358979 / 6 / 1000;
  const double before_ml = j["cavity_volume_before_ml"].get<double>();
  const LabelMap& labels = head().twin.labelMaps[0];
  std::printf("cavity %.3f ml, tumour voxels %.3f ml, sphere %.3f ml\n", before_ml,
              labels.volume_ml(*labels.findSegment("Tumour")), truth_ml);
  EXPECT_NEAR(before_ml / truth_ml, 1.0, 0.15);
  const Vec3 weight = vec(j["released_weight_N"]);
  const double rhoGV_N = j["resected_density_kg_m3"].get<double>() * 1e-12 * 9810 * before_ml * 1e3;
  EXPECT_NEAR(weight.norm(), rhoGV_N, 1e-9 * rhoGV_N);
  EXPECT_GT(weight.normalized().dot(vec(j["gravity_lps"])), 1 - 1e-9);  // along gravity
  const double change = j["cavity_volume_change_percent"].get<double>();
  EXPECT_LT(change, -1.0);
  EXPECT_GT(change, -30.0);
  EXPECT_FALSE(target(j, "Tumour centroid")["inside_model"].get<bool>());  // resected
  // The deformed labelmap has no tumour left.
  const LabelMap& warped = r.outputs.labelMaps.at(0);
  EXPECT_EQ(warped.voxelCount(*warped.findSegment("Tumour")), 0u);
}

// Everything the shift makes goes in as ONE step, and one Undo takes it all out again.
TEST(TissueShift, WholeResultIsOneUndoStep) {
  const Case& original = headWithModels().twin;
  TissueShiftParameters p = resection();
  p.resolution_mm = 10;  // what is stored, not the cavity's accuracy, is checked here
  TissueShift r = simulateTissueShift(original, p);
  CaseEditor editor(original);
  const std::size_t volumes = original.volumes.size(), labelMaps = original.labelMaps.size(),
                    meshes = original.meshes.size(), fields = original.fields.size();
  const std::size_t shiftedMeshes =
      std::count_if(r.outputs.meshes.begin(), r.outputs.meshes.end(),
                    [](const SurfaceMesh& m) { return m.name.ends_with(" (shifted)"); });
  ASSERT_GT(shiftedMeshes, 0u);
  SimulationOutputs again = r.outputs;
  editor.apply(edits::storeSimulationOutputs(editor.twin(), std::move(r.outputs), r.name));
  EXPECT_EQ(editor.historySize(), 1u);
  EXPECT_EQ(editor.undoText(), "Resection");
  const Case& after = editor.twin();
  EXPECT_EQ(after.volumes.size(), volumes + 2);  // CT and MR T1, shifted
  EXPECT_EQ(after.labelMaps.size(), labelMaps + 1);
  EXPECT_EQ(after.meshes.size(), meshes + shiftedMeshes);
  EXPECT_EQ(after.fields.size(), fields + 4);  // |u|, uL, uP, uS
  EXPECT_EQ(after.tetMeshes.size(), 1u);
  ASSERT_EQ(after.plans.size(), 1u);
  EXPECT_EQ(after.plans[0].kind, "tissue-shift");
  EXPECT_TRUE(findVolume(after, "MR T1 (shifted)"));
  editor.undo();
  EXPECT_EQ(editor.twin().volumes.size(), volumes);
  EXPECT_EQ(editor.twin().labelMaps.size(), labelMaps);
  EXPECT_EQ(editor.twin().meshes.size(), meshes);
  EXPECT_EQ(editor.twin().fields.size(), fields);
  EXPECT_TRUE(editor.twin().tetMeshes.empty());
  EXPECT_TRUE(editor.twin().plans.empty());
  for (std::size_t m = 0; m < meshes; ++m) {
    EXPECT_EQ(editor.twin().meshes[m].points_lps, original.meshes[m].points_lps);
    EXPECT_EQ(editor.twin().meshes[m].opacity, original.meshes[m].opacity);  // ghosts undone
  }
  editor.redo();
  EXPECT_EQ(editor.twin().fields.size(), fields + 4);
  EXPECT_EQ(editor.twin().tetMeshes.size(), 1u);
  // Storing the same result again replaces it (same names) instead of adding a second copy.
  editor.apply(edits::storeSimulationOutputs(editor.twin(), std::move(again), "Resection"));
  EXPECT_EQ(editor.twin().fields.size(), fields + 4);
  EXPECT_EQ(editor.twin().volumes.size(), volumes + 2);
  EXPECT_EQ(editor.twin().plans.size(), 1u);
}

// The retractor scenario on the head phantom: a 20 x 20 mm blade pushed 5 mm into the brain at
// the craniotomy over the tumour, the skull contact around (the job's default for it): the
// blade's surface nodes move by the push, nothing moves further (the brain only yields), and the
// tumour beneath moves the way the blade pushes, by less.
TEST(TissueShift, RetractorPushesTheBrainUnderItsBlade) {
  TissueShiftParameters p;
  p.scenario = "retractor";
  p.resolution_mm = 14;  // coarse: the checks hold on any mesh (8 mm: 33k tets, 17 s of CPU)
  p.brain.skullContact = true;
  p.brain.neoHookean = false;
  const TissueShift shift = simulateTissueShift(head().twin, p);
  const json& r = shift.report;
  std::printf(
      "retractor on the head phantom: %d tets, %d blade nodes, %.3f N, max %.3f mm, "
      "tumour %.3f mm, %.1f s\n",
      r["tet_count"].get<int>(), r["retractor_nodes"].get<int>(),
      r["retractor_force_N"].get<double>(), r["max_displacement_mm"].get<double>(),
      r["targets"][0]["magnitude_mm"].get<double>(), r["solve_time_s"].get<double>());
  EXPECT_EQ(shift.name, "Retractor");
  EXPECT_GT(r["retractor_nodes"].get<int>(), 2);
  EXPECT_NEAR(r["max_displacement_mm"].get<double>(), 5, 0.25);
  EXPECT_GT(r["retractor_force_N"].get<double>(), 0);
  EXPECT_LT(r["max_skull_penetration_mm"].get<double>(), 1e-3);
  const Vec3 normal = vec(r["retractor_normal_lps"]);
  EXPECT_NEAR(normal.norm(), 1, 1e-9);
  const json& tumour = r["targets"][0];
  const Vec3 moved = vec(tumour["displacement_mm"]);
  EXPECT_LT(moved.dot(normal), 0) << tumour.dump();  // pushed away from the blade
  EXPECT_LT(tumour["magnitude_mm"].get<double>(), 5);
}

// Quadratic tetrahedra (issue #18 item 2): the same 16 mm lattice promoted to C3D10, brain and
// tumour at the cited nu 0.49, linear elastic, CSF all drained, surface held outside the opening
// over the tumour. The C3D10 run is finite; its tumour moves less than the C3D4 run's at nu 0.45,
// by a ratio in [0.4, 0.9] (measured 0.57; 0.71 at 12 mm): a brain held all round but for the
// opening can only sag by flowing out of it, which a less compressible brain does less. That this
// is the material and not the element: at nu 0.45 C3D10 and C3D4 agree within 10 % (measured
// C3D4 6 % larger). The locking check: at nu 0.49 C3D4 sags less than 0.85 of C3D10 (measured
// 0.77). Figures: docs/validation.md, "Quadratic tetrahedra in the shift scenarios (session 12)".
constexpr double kCoarse_mm = 16;

TissueShiftParameters coarseBrainShift(const std::string& elements) {
  TissueShiftParameters p;
  p.resolution_mm = kCoarse_mm;
  p.brain.neoHookean = false;
  p.elementOrder = elements;
  return p;
}

// The largest sag with the brain's Poisson's ratio `nu` on `type` elements, the same opening.
double largestSag(tissue::ElementType type, double nu, const Vec3& opening) {
  tissue::BrainShiftParameters p;
  p.openingCentre_lps = {opening.x(), opening.y(), opening.z()};
  p.resolution_mm = kCoarse_mm;
  p.neoHookean = false;
  p.elementType = type;
  p.tissue = tissue::citedBrainTissue(nu);
  const LabelMap& labels = head().twin.labelMaps.at(0);
  return tissue::simulateBrainShift(labels, p).maxDisplacement_mm;
}

TEST(TissueShift, QuadraticTetsCarryTheCitedPoissonsRatioWithoutLocking) {
  const TissueShift linear = simulateTissueShift(head().twin, coarseBrainShift("linear"));
  const TissueShift quadratic = simulateTissueShift(head().twin, coarseBrainShift("quadratic"));
  const json& l = linear.report;
  const json& q = quadratic.report;
  const double tumourLinear = l["targets"][0]["magnitude_mm"].get<double>();
  const double tumourQuadratic = q["targets"][0]["magnitude_mm"].get<double>();
  const double linearMax = l["max_displacement_mm"].get<double>();
  const double quadraticMax = q["max_displacement_mm"].get<double>();
  const Vec3 opening = vec(l["opening_lps"]);
  const double lockedMax = largestSag(tissue::ElementType::C3D4, 0.49, opening);
  const double quadratic045Max = largestSag(tissue::ElementType::C3D10, 0.45, opening);
  std::printf(
      "brain shift, 16 mm: %d tets; C3D4 nu 0.45 %d nodes, max %.3f mm, tumour %.3f mm; C3D10 "
      "nu 0.49 %d nodes, max %.3f mm, tumour %.3f mm, solve %.2f s; C3D4 nu 0.49 max %.3f mm; "
      "C3D10 nu 0.45 max %.3f mm\n",
      l["tet_count"].get<int>(), l["node_count"].get<int>(), linearMax, tumourLinear,
      q["node_count"].get<int>(), quadraticMax, tumourQuadratic, q["solve_time_s"].get<double>(),
      lockedMax, quadratic045Max);
  EXPECT_EQ(q["element_order"], "quadratic");
  EXPECT_EQ(q["poissons_ratio"].get<double>(), 0.49);
  EXPECT_EQ(l["poissons_ratio"].get<double>(), 0.45);
  EXPECT_EQ(q["tet_count"], l["tet_count"]);                              // the same lattice
  EXPECT_GT(q["node_count"].get<int>(), 4 * l["node_count"].get<int>());  // + shared mid-sides
  ASSERT_TRUE(std::isfinite(quadraticMax));
  EXPECT_GT(tumourQuadratic, 0.1);
  EXPECT_GT(tumourQuadratic / tumourLinear, 0.4);
  EXPECT_LT(tumourQuadratic / tumourLinear, 0.9);
  EXPECT_NEAR(quadratic045Max / linearMax, 1.0, 0.1);
  EXPECT_LT(lockedMax, 0.85 * quadraticMax);
}

// The liver tool and the resection on quadratic tetrahedra: the same lattice with shared
// mid-side nodes and the table's nu 0.49. The flat tip still pushes every node under it (mid-side
// ones too) by exactly the depth; the resection's wall carries the same released weight (the
// same corners, its pressure moved onto the mid-side nodes) and the cavity still closes.
TEST(TissueShift, LiverToolAndResectionRunOnQuadraticTets) {
  TissueShiftParameters tool = liverTool();
  const TissueShift linearTool = simulateTissueShift(abdomen().twin, tool);
  tool.elementOrder = "quadratic";
  const TissueShift quadraticTool = simulateTissueShift(abdomen().twin, tool);
  const json& lt = linearTool.report;
  const json& qt = quadraticTool.report;
  TissueShiftParameters cut = resection();
  cut.resolution_mm = 12;  // coarse: the quadratic solve is the test's cost
  const TissueShift linearCut = simulateTissueShift(head().twin, cut);
  cut.elementOrder = "quadratic";
  const TissueShift quadraticCut = simulateTissueShift(head().twin, cut);
  const json& lc = linearCut.report;
  const json& qc = quadraticCut.report;
  std::printf(
      "liver tool 10 mm: C3D4 nu 0.45 %d nodes under the tool, %.4f N; C3D10 nu 0.49 %d, %.4f "
      "N, max %.3f mm\nresection: C3D4 %.3f ml %.2f %%; C3D10 %.3f ml %.2f %%, weight %.6g / "
      "%.6g N; solves %.2f %.2f %.2f %.2f s\n",
      lt["tool_nodes"].get<int>(), lt["tool_force_N"].get<double>(), qt["tool_nodes"].get<int>(),
      qt["tool_force_N"].get<double>(), qt["max_displacement_mm"].get<double>(),
      lc["cavity_volume_before_ml"].get<double>(), lc["cavity_volume_change_percent"].get<double>(),
      qc["cavity_volume_before_ml"].get<double>(), qc["cavity_volume_change_percent"].get<double>(),
      vec(lc["released_weight_N"]).norm(), vec(qc["released_weight_N"]).norm(),
      lt["solve_time_s"].get<double>(), qt["solve_time_s"].get<double>(),
      lc["solve_time_s"].get<double>(), qc["solve_time_s"].get<double>());
  EXPECT_EQ(qt["element_order"], "quadratic");
  EXPECT_EQ(qt["poissons_ratio"].get<double>(), 0.49);
  EXPECT_EQ(lt["poissons_ratio"].get<double>(), 0.45);
  EXPECT_GT(qt["tool_nodes"].get<int>(), lt["tool_nodes"].get<int>());  // + mid-side nodes
  EXPECT_NEAR(qt["max_displacement_mm"].get<double>(), 10.0, 0.5);
  const double forceRatio = qt["tool_force_N"].get<double>() / lt["tool_force_N"].get<double>();
  EXPECT_GT(forceRatio, 0.3);
  EXPECT_LT(forceRatio, 1.1);
  EXPECT_EQ(qc["element_order"], "quadratic");
  EXPECT_EQ(qc["poissons_ratio"].get<double>(), 0.49);
  EXPECT_DOUBLE_EQ(qc["cavity_volume_before_ml"].get<double>(),
                   lc["cavity_volume_before_ml"].get<double>());
  EXPECT_LT((vec(qc["released_weight_N"]) - vec(lc["released_weight_N"])).norm(),
            1e-9 * vec(lc["released_weight_N"]).norm());
  const double change = qc["cavity_volume_change_percent"].get<double>();
  EXPECT_LT(change, -0.5);
  EXPECT_GT(change, -30.0);
}

TEST(TissueShift, BadInputIsRefusedByName) {
  auto message = [](const Case& twin, const TissueShiftParameters& p) -> std::string {
    try {
      simulateTissueShift(twin, p);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  TissueShiftParameters both = liverTool();
  both.liverTool.force_N = 1;
  EXPECT_NE(message(abdomen().twin, both).find("not both"), std::string::npos);
  TissueShiftParameters unknown;
  unknown.scenario = "retraction";
  EXPECT_NE(
      message(abdomen().twin, unknown).find("brain-shift, liver-tool, resection or retractor"),
      std::string::npos);
  TissueShiftParameters noLiver = liverTool();
  EXPECT_NE(message(head().twin, noLiver).find("segment the liver first"), std::string::npos);
  TissueShiftParameters neither = resection();
  neither.resection.segment.clear();
  EXPECT_NE(message(head().twin, neither).find("one of the two"), std::string::npos);
  // A sphere reaching the brain's outer surface leaves an open cavity: no volume.
  TissueShiftParameters open = resection();
  open.resection.segment.clear();
  open.resection.sphere = std::array<double, 4>{0, 0, 200, 150};
  open.resolution_mm = 16;  // any mesh shows it open
  EXPECT_NE(message(head().twin, open).find("reaches the tissue's outer surface"),
            std::string::npos)
      << message(head().twin, open);
  TissueShiftParameters cubic;
  cubic.elementOrder = "cubic";
  EXPECT_NE(message(head().twin, cubic).find("\"cubic\" is not linear or quadratic"),
            std::string::npos);
  TissueShiftParameters farTool = liverTool();
  farTool.liverTool.tip_lps = std::array<double, 3>{0, -300, 0};
  EXPECT_NE(message(abdomen().twin, farTool).find("no surface node lies under the tool"),
            std::string::npos);
}

TEST(TissueShift, CancelStopsTheSimulation) {
  test::RecordingProgress cancel(3);
  EXPECT_THROW(simulateTissueShift(head().twin, resection(), cancel), Cancelled);
}

}  // namespace
}  // namespace twinplan::engine
