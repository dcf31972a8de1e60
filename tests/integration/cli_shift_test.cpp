// `twinplan-cli shift` end to end (issue #18 items 3, 4, 8) through the real binary on the head
// phantom (scale 0.4, a coarse 10 mm mesh: seconds): the JSON report, the tumour centroid
// against the phantom's truth, what is stored in the case, and bad input refused with the case
// left unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string cli() { return test::cliPath().string(); }

using test::bytesOf;

class CliShift : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-cli-shift");
    phantom::PhantomOptions options;
    options.kind = phantom::PhantomKind::Head;
    options.scale = 0.4;
    phantom::Phantom head = phantom::makePhantom(options);
    tumour_ = head.tumours.at(0).centre_lps;
    saveCase(head.twin, casePath());
    for (LabelMap& labels : head.twin.labelMaps)
      for (Segment& s : labels.segments()) s.tissueType = "soft-tissue";
    saveCase(head.twin, dir_->path() / "no-brain.twinplan");
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path casePath() { return dir_->path() / "head.twinplan"; }

  static test::TempDir* dir_;
  static Vec3 tumour_;
};
test::TempDir* CliShift::dir_ = nullptr;
Vec3 CliShift::tumour_ = Vec3::Zero();

TEST_F(CliShift, BrainShiftReportsTargetsAndStoresFieldMeshAndPlan) {
  const fs::path out = dir_->path() / "shifted.twinplan";
  const auto run = test::runCommand(cli() + " shift " + casePath().string() +
                                    " --scenario brain-shift --resolution 10 --radius 30 --out " +
                                    out.string() + " --json 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  EXPECT_EQ(r["patient_position"], "HFS");
  EXPECT_EQ(r["gravity_lps"], json({0.0, 1.0, 0.0}));  // supine: the floor is posterior
  EXPECT_GT(r["tet_count"].get<std::size_t>(), 5000u);
  const double maxShift = r["max_displacement_mm"].get<double>();
  // Gravity sag of brain after CSF loss: millimetres (case means 2.5-21.3 mm in Miga et al. 2016;
  // Reinges 2004 0.8-15.2 mm; docs/validation.md "Brain shift: literature checks").
  EXPECT_GT(maxShift, 0.5);
  EXPECT_LT(maxShift, 25.0);
  // Linear tetrahedra interpolate between nodes: the field never exceeds the nodal maximum.
  EXPECT_LE(r["field_max_displacement_mm"].get<double>(), maxShift + 1e-4);
  EXPECT_GT(r["field_max_displacement_mm"].get<double>(), 0.5 * maxShift);
  ASSERT_EQ(r["targets"].size(), 1u);
  const json& t = r["targets"][0];
  EXPECT_EQ(t["name"], "Tumour centroid");
  const Vec3 before(t["before_lps"][0], t["before_lps"][1], t["before_lps"][2]);
  EXPECT_LT((before - tumour_).norm(), 1.5);  // the truth's centre, to the voxel
  const Vec3 d(t["displacement_mm"][0], t["displacement_mm"][1], t["displacement_mm"][2]);
  EXPECT_NEAR(t["magnitude_mm"].get<double>(), d.norm(), 1e-12);
  EXPECT_TRUE(t["inside_model"].get<bool>());
  EXPECT_GT(d.norm(), 0.05);
  EXPECT_LE(d.norm(), maxShift);
  EXPECT_GT(d.y(), 0.0);  // towards the floor

  const Case saved = loadCase(out);
  const auto field = std::find_if(saved.fields.begin(), saved.fields.end(),
                                  [](const ScalarField& f) { return f.name == "Brain shift |u|"; });
  ASSERT_NE(field, saved.fields.end());
  EXPECT_EQ(field->unit, "mm");
  EXPECT_TRUE(field->geometry.sameGridAs(saved.labelMaps[0].geometry()));
  EXPECT_NEAR(*std::max_element(field->values.begin(), field->values.end()),
              r["field_max_displacement_mm"].get<double>(), 1e-4);
  // The magnitude at the voxel nearest the tumour centroid is the target's, to interpolation.
  const Vec3 ijk = field->geometry.lpsToIndex(before);
  const float atTumour = field->values[field->geometry.linearIndex(
      std::llround(ijk[0]), std::llround(ijk[1]), std::llround(ijk[2]))];
  EXPECT_NEAR(atTumour, d.norm(), 0.25 * d.norm() + 0.05);
  EXPECT_EQ(std::count_if(saved.fields.begin(), saved.fields.end(),
                          [](const ScalarField& f) { return f.quantity == "displacement"; }),
            4);
  ASSERT_EQ(saved.tetMeshes.size(), 1u);
  EXPECT_EQ(saved.tetMeshes[0].tets.size(), r["tet_count"].get<std::size_t>());
  // The tumour's 3D model moved with the tissue: its vertices' centroid (the sphere's centre)
  // by the target's shift, to the interpolation across the tumour (rigid-like, mm-scale).
  const auto centroidOf = [](const SurfaceMesh& m) {
    Vec3 c = Vec3::Zero();
    for (const auto& p : m.points_lps) c += Vec3(p[0], p[1], p[2]);
    return Vec3(c / double(m.points_lps.size()));
  };
  const auto named = [&](const std::string& name) {
    return std::find_if(saved.meshes.begin(), saved.meshes.end(),
                        [&](const SurfaceMesh& m) { return m.name == name; });
  };
  ASSERT_NE(named("Tumour"), saved.meshes.end());
  ASSERT_NE(named("Tumour (shifted)"), saved.meshes.end());
  EXPECT_EQ(named("Tumour (shifted)")->points_lps.size(), named("Tumour")->points_lps.size());
  const Vec3 meshShift = centroidOf(*named("Tumour (shifted)")) - centroidOf(*named("Tumour"));
  EXPECT_LT((meshShift - d).norm(), 0.3 * d.norm() + 0.1) << meshShift.transpose();
  EXPECT_TRUE(named("Tumour (shifted)")->segmentName.empty());
  ASSERT_EQ(saved.plans.size(), 1u);
  EXPECT_EQ(saved.plans[0].kind, "tissue-shift");
  EXPECT_EQ(saved.plans[0].parameters["result"]["targets"][0]["magnitude_mm"], t["magnitude_mm"]);
}

TEST_F(CliShift, BadInputIsRefusedAndTheCaseLeftUnchanged) {
  const std::string before = bytesOf(casePath());
  const fs::path out = dir_->path() / "never.twinplan";
  const auto off =
      test::runCommand(cli() + " shift " + casePath().string() +
                       " --resolution 10 --opening 0,0,300 --out " + out.string() + " 2>&1");
  EXPECT_NE(off.status, 0);
  EXPECT_NE(off.output.find("off the brain surface"), std::string::npos) << off.output;
  const auto noBrain =
      test::runCommand(cli() + " shift " + (dir_->path() / "no-brain.twinplan").string() +
                       " --out " + out.string() + " 2>&1");
  EXPECT_NE(noBrain.status, 0);
  EXPECT_NE(noBrain.output.find("no brain segment"), std::string::npos) << noBrain.output;
  const auto scenario =
      test::runCommand(cli() + " shift " + casePath().string() + " --scenario retraction 2>&1");
  EXPECT_NE(scenario.status, 0);
  EXPECT_NE(scenario.output.find("brain-shift, liver-tool, resection or retractor"),
            std::string::npos)
      << scenario.output;
  const auto noLiver =
      test::runCommand(cli() + " shift " + casePath().string() + " --scenario liver-tool 2>&1");
  EXPECT_NE(noLiver.status, 0);
  EXPECT_NE(noLiver.output.find("segment the liver first"), std::string::npos) << noLiver.output;
  const auto openCavity = test::runCommand(cli() + " shift " + casePath().string() +
                                           " --scenario resection --sphere 0,0,200,150 --out " +
                                           out.string() + " 2>&1");
  EXPECT_NE(openCavity.status, 0);
  EXPECT_NE(openCavity.output.find("outer surface"), std::string::npos) << openCavity.output;
  const auto both = test::runCommand(cli() + " shift " + casePath().string() +
                                     " --fluid-level 10 --csf-loss-ml 20 2>&1");
  EXPECT_NE(both.status, 0);
  EXPECT_NE(both.output.find("not both"), std::string::npos) << both.output;
  const auto notAPoint =
      test::runCommand(cli() + " shift " + casePath().string() + " --opening 1,2 2>&1");
  EXPECT_NE(notAPoint.status, 0);
  EXPECT_NE(notAPoint.output.find("is not a point"), std::string::npos) << notAPoint.output;
  const auto material =
      test::runCommand(cli() + " shift " + casePath().string() + " --material rubber 2>&1");
  EXPECT_NE(material.status, 0);
  EXPECT_NE(material.output.find("is not neo-hookean"), std::string::npos) << material.output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(bytesOf(casePath()), before);
}

// --material linear and --drain-ventricles reach the model: the report says so, and the drained
// ventricles' walls carry the lost CSF pressure (the phantom's ventricles: about 14 ml).
TEST_F(CliShift, BrainOptionsReachTheModel) {
  const fs::path out = dir_->path() / "drained.twinplan";
  const auto run = test::runCommand(cli() + " shift " + casePath().string() +
                                    " --resolution 10 --material linear --drain-ventricles --out " +
                                    out.string() + " --json 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  EXPECT_EQ(r["material"], "linear");
  EXPECT_EQ(r["element_order"], "linear");  // the default: C3D4, nu 0.45
  EXPECT_EQ(r["drain_ventricles"], true);
  EXPECT_EQ(r["skull_contact"], false);
  EXPECT_EQ(r["increments"], 1);  // linear: one solve
  EXPECT_GT(r["ventricle_wall_faces"].get<int>(), 50);
  // The walls move into the ventricles: they lose volume, a fraction of their 14 ml.
  EXPECT_GT(r["ventricle_volume_loss_ml"].get<double>(), 0.1);
  EXPECT_LT(r["ventricle_volume_loss_ml"].get<double>(), 14.0);
}

// --quadratic reaches the model: C3D10 (6,404 lattice tets, 9,961 nodes with the shared mid-side
// ones) at the cited nu 0.49, and the drained ventricles' walls, mid-side nodes included, are
// free to move in (measured: max 3.14 mm, the ventricles lose 0.72 ml).
TEST_F(CliShift, QuadraticTetsReachTheModel) {
  const fs::path out = dir_->path() / "quadratic.twinplan";
  const auto run = test::runCommand(cli() + " shift " + casePath().string() +
                                    " --resolution 14 --material linear --drain-ventricles "
                                    "--quadratic --out " +
                                    out.string() + " --json 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  std::printf("quadratic: %d tets, %d nodes, max %.3f mm, ventricles -%.3f ml\n",
              r["tet_count"].get<int>(), r["node_count"].get<int>(),
              r["max_displacement_mm"].get<double>(), r["ventricle_volume_loss_ml"].get<double>());
  EXPECT_EQ(r["element_order"], "quadratic");
  EXPECT_EQ(r["poissons_ratio"], 0.49);
  EXPECT_GT(r["node_count"].get<int>(), 5 * r["tet_count"].get<int>() / 4);
  EXPECT_GT(r["ventricle_volume_loss_ml"].get<double>(), 0.1);
  EXPECT_LT(r["ventricle_volume_loss_ml"].get<double>(), 14.0);
  EXPECT_GT(r["max_displacement_mm"].get<double>(), 0.5);
  EXPECT_LT(r["max_displacement_mm"].get<double>(), 20.0);
}

// The retractor scenario through the CLI: the blade options reach the model (a wider blade
// covers more surface nodes; the push is what the blade's nodes move), the skull contact is on
// by default, and the result is stored as "Retractor".
TEST_F(CliShift, RetractorOptionsReachTheModel) {
  const fs::path out = dir_->path() / "retracted.twinplan";
  const auto run = test::runCommand(
      cli() + " shift " + casePath().string() +
      " --scenario retractor --resolution 12 --material linear --blade-width 30 --blade-depth 25 "
      "--push 4 --out " +
      out.string() + " --json 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  EXPECT_EQ(r["scenario"], "retractor");
  EXPECT_EQ(r["skull_contact"], true);
  EXPECT_EQ(r["retractor_width_mm"], 30.0);
  EXPECT_EQ(r["retractor_depth_mm"], 25.0);
  EXPECT_EQ(r["retractor_push_mm"], 4.0);
  EXPECT_GT(r["retractor_nodes"].get<int>(), 2);
  EXPECT_NEAR(r["max_displacement_mm"].get<double>(), 4, 0.2);
  const Case shifted = loadCase(out);
  EXPECT_TRUE(std::any_of(shifted.tetMeshes.begin(), shifted.tetMeshes.end(),
                          [](const TetMesh& m) { return m.name == "Retractor"; }));
  const auto bad = test::runCommand(cli() + " shift " + casePath().string() +
                                    " --scenario retractor --push 50 2>&1");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.output.find("push must be in (0, 30] mm"), std::string::npos) << bad.output;
}

// Resection of the head phantom's tumour: the JSON the issue asks for (cavity before/after, the
// change, tet count, solve time), the cavity against the tumour's true volume, and the result
// in the case, the tumour gone from the deformed labelmap.
TEST_F(CliShift, ResectionReportsTheCavityChange) {
  const fs::path out = dir_->path() / "resected.twinplan";
  const auto run = test::runCommand(cli() + " shift " + casePath().string() +
                                    " --scenario resection --segment Tumour --resolution 8 --out " +
                                    out.string() + " --json 2>/dev/null");
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  EXPECT_EQ(r["scenario"], "resection");
  EXPECT_GT(r["tet_count"].get<std::size_t>(), 1000u);
  EXPECT_GT(r["solve_time_s"].get<double>(), 0.0);
  const double before = r["cavity_volume_before_ml"], after = r["cavity_volume_after_ml"];
  EXPECT_NEAR(before, 8.18, 0.15 * 8.18);  // the 25 mm sphere, to the 8 mm mesh
  EXPECT_NEAR(r["cavity_volume_change_percent"].get<double>(), 100 * (after / before - 1), 1e-9);
  EXPECT_LT(after, before);
  const Case saved = loadCase(out);
  const auto shifted =
      std::find_if(saved.labelMaps.begin(), saved.labelMaps.end(),
                   [](const LabelMap& l) { return l.name == "Ground truth (shifted)"; });
  ASSERT_NE(shifted, saved.labelMaps.end());
  EXPECT_EQ(shifted->voxelCount(*shifted->findSegment("Tumour")), 0u);
  ASSERT_EQ(saved.plans.size(), 1u);
  EXPECT_EQ(saved.plans[0].name, "Resection");
  EXPECT_EQ(saved.tetMeshes.at(0).tets.size(), r["tet_count"].get<std::size_t>());
}

}  // namespace
}  // namespace twinplan
