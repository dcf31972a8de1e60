// `twinplan-cli shift --scenario liver-tool` through the real binary on the abdomen phantom
// (scale 0.4, a 16 mm mesh: seconds): the tool's depth and force in the JSON, each tumour's
// shift, what is stored in the case, and bad input refused with the case left byte-identical.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using test::bytesOf;

class CliShiftLiver : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("twinplan-cli-shift-liver");
    phantom::PhantomOptions options;
    options.kind = phantom::PhantomKind::Abdomen;
    options.scale = 0.4;
    saveCase(phantom::makePhantom(options).twin, casePath());
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path casePath() { return dir_->path() / "abdomen.twinplan"; }
  static std::string shift(const std::string& arguments) {
    return test::cliPath().string() + " shift " + casePath().string() +
           " --scenario liver-tool --resolution 16 " + arguments;
  }
  static test::TempDir* dir_;
};
test::TempDir* CliShiftLiver::dir_ = nullptr;

TEST_F(CliShiftLiver, ToolDepthForceAndTargetsInTheJsonAndTheCase) {
  const fs::path out = dir_->path() / "pressed.twinplan";
  const auto run =
      test::runCommand(shift("--tip-shape ball --tip-radius 10 --indentation 8 --out " +
                             out.string() + " --json 2>/dev/null"));
  ASSERT_EQ(run.status, 0) << run.output;
  const json r = json::parse(run.output);
  EXPECT_EQ(r["tool_shape"], "ball");
  EXPECT_EQ(r["tool_direction"], json({0.0, 1.0, 0.0}));
  EXPECT_DOUBLE_EQ(r["indentation_mm"].get<double>(), 8.0);
  EXPECT_GT(r["tool_force_N"].get<double>(), 0.0);
  EXPECT_NEAR(r["tool_stiffness_N_per_mm"].get<double>(), r["tool_force_N"].get<double>() / 8,
              1e-12);
  // A ball tip pushes its centre node by the whole depth: the maximum is the depth.
  EXPECT_NEAR(r["max_displacement_mm"].get<double>(), 8.0, 0.4);
  ASSERT_EQ(r["targets"].size(), 2u);
  for (const json& t : r["targets"]) {
    EXPECT_TRUE(t["inside_model"].get<bool>()) << t["name"];
    EXPECT_LT(t["magnitude_mm"].get<double>(), 8.0);
  }
  const Case saved = loadCase(out);
  EXPECT_EQ(saved.plans.at(0).name, "Liver tool");
  EXPECT_EQ(saved.tetMeshes.at(0).tets.size(), r["tet_count"].get<std::size_t>());
  bool volume = false, field = false;
  for (const ImageVolume& v : saved.volumes) volume |= v.name == "CT (shifted)";
  for (const ScalarField& f : saved.fields) field |= f.name == "Liver tool |u|";
  EXPECT_TRUE(volume);
  EXPECT_TRUE(field);
}

TEST_F(CliShiftLiver, BadToolIsRefusedAndTheCaseLeftUnchanged) {
  const std::string before = bytesOf(casePath());
  const auto both = test::runCommand(shift("--indentation 5 --force 1 2>&1"));
  EXPECT_NE(both.status, 0);
  EXPECT_NE(both.output.find("not both"), std::string::npos) << both.output;
  const auto off = test::runCommand(shift("--tip 0,-300,0 2>&1"));
  EXPECT_NE(off.status, 0);
  EXPECT_NE(off.output.find("no surface node lies under the tool"), std::string::npos)
      << off.output;
  const auto shape = test::runCommand(shift("--tip-shape spoon 2>&1"));
  EXPECT_NE(shape.status, 0);
  EXPECT_NE(shape.output.find("not flat or ball"), std::string::npos) << shape.output;
  EXPECT_EQ(bytesOf(casePath()), before);
}

// An absurd load for the nonlinear model - the tool pushed 190 mm into an organ about that
// thick - makes Newton fail: the error names the step, the increment and the residual, and the
// case is not touched.
TEST_F(CliShiftLiver, DivergingNewtonIsRefusedNamingTheIncrement) {
  const std::string before = bytesOf(casePath());
  // A 24 mm mesh (a few hundred tets) diverges the same way as the 16 mm one, in a few seconds.
  const auto run = test::runCommand(test::cliPath().string() + " shift " + casePath().string() +
                                    " --scenario liver-tool --resolution 24 --nonlinear "
                                    "--indentation 190 2>&1");
  EXPECT_NE(run.status, 0);
  EXPECT_NE(run.output.find("did not converge"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("increment "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("residual force"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("singular"), std::string::npos) << run.output;
  EXPECT_EQ(bytesOf(casePath()), before);
}

}  // namespace
}  // namespace twinplan
