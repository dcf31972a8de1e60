// The engine's jobs headless: parameter validation, the build-models job end to end, and resume
// from a checkpoint after a cancel (issue #14, deliverables 2 and 3).
#include <gtest/gtest.h>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/parallel.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/engine/models.h"
#include "twinplan/segmentation/mesh_metrics.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Error kind and message of a job description that must be refused before any work.
std::string refusal(const json& description) {
  try {
    engine::makeJob(description);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << description.dump();
  return {};
}

TEST(EngineJobs, BadDescriptionsAreRefusedNamingTheMember) {
  EXPECT_NE(refusal({{"job", "bake"}}).find("no job \"bake\"; the jobs are import-series"),
            std::string::npos);
  EXPECT_NE(refusal(json::array()).find("\"job\""), std::string::npos);
  EXPECT_NE(refusal({{"job", "convert"}, {"parameters", {{"output", "x.nii"}}}})
                .find("Parameter \"input\" of the convert job is required"),
            std::string::npos);
  EXPECT_NE(refusal({{"job", "build-models"}, {"parameters", {{"case", 3}}}})
                .find("\"case\" of the build-models job must be a string"),
            std::string::npos);
  EXPECT_NE(
      refusal({{"job", "build-models"}, {"parameters", {{"case", "c.twinplan"}, {"passBand", 7}}}})
          .find("\"passBand\" of the build-models job must be between"),
      std::string::npos);
  EXPECT_NE(
      refusal({{"job", "build-models"}, {"parameters", {{"case", "c.twinplan"}, {"smoothing", 7}}}})
          .find("has no parameter \"smoothing\""),
      std::string::npos);
  EXPECT_NE(refusal({{"job", "convert"}, {"parameters", {{"input", "d"}, {"output", "x.png"}}}})
                .find(".nii"),
            std::string::npos);
  EXPECT_NE(refusal({{"job", "convert"}, {"parameters", {}}, {"priority", 1}})
                .find("\"priority\" is not known"),
            std::string::npos);
}

TEST(EngineJobs, DefaultsAreFilledInAndPathsResolveAgainstTheJobFile) {
  const auto job = engine::makeJob(
      {{"job", "build-models"}, {"parameters", {{"case", "cases/a.twinplan"}}}}, "/data/jobs");
  const json p = job->parameters();
  EXPECT_EQ(p["case"], "/data/jobs/cases/a.twinplan");
  EXPECT_EQ(p["output"], "/data/jobs/cases/a.twinplan");  // in place by default
  EXPECT_EQ(p["targetReduction"], 0.5);
  EXPECT_EQ(p["maxTriangles"], 20000);
  EXPECT_EQ(p["segments"], json::array());
  EXPECT_EQ(engine::catalogueJson().size(), engine::jobCatalogue().size());
}

// A case with `count` balls of radius 3 mm on a 1 mm grid, one segment each.
Case ballsCase(int count) {
  ImageGeometry grid;
  grid.size = {12 * count, 12, 12};
  LabelMap labels(grid);
  labels.name = "Balls";
  for (int b = 0; b < count; ++b) {
    Segment s;
    s.name = "Ball " + std::to_string(b + 1);
    s.value = static_cast<std::uint16_t>(b + 1);
    labels.addSegment(s);
    for (int k = 0; k < 12; ++k)
      for (int j = 0; j < 12; ++j)
        for (int i = 0; i < 12; ++i)
          if ((i - 5.5) * (i - 5.5) + (j - 5.5) * (j - 5.5) + (k - 5.5) * (k - 5.5) <= 9.0)
            labels.layer(0)[grid.linearIndex(12 * b + i, j, k)] = s.value;
  }
  Case twin;
  twin.name = "balls";
  twin.labelMaps.push_back(labels);
  return twin;
}

json buildModelsJob(const fs::path& in, const fs::path& out, double interval_s) {
  return {{"job", "build-models"},
          {"parameters",
           {{"case", in.string()},
            {"output", out.string()},
            {"targetReduction", 0.0},
            {"maxTriangles", 0},
            {"checkpointInterval_s", interval_s}}}};
}

TEST(EngineJobs, BuildModelsStoresClosedModelsOfEverySegment) {
  test::TempDir dir;
  saveCase(ballsCase(3), dir / "in.twinplan");
  const auto job = engine::makeJob(buildModelsJob(dir / "in.twinplan", dir / "out.twinplan", 30));
  const JobStatus status = runJob(*job, noProgress());
  ASSERT_EQ(status.state, JobState::Succeeded) << status.error.dump();
  ASSERT_EQ(status.result["models"].size(), 3u);
  const Case out = loadCase(dir / "out.twinplan");
  ASSERT_EQ(out.meshes.size(), 3u);
  // 136 voxel centres of 1 mm^3 lie within 3 mm of the ball's centre (counted independently);
  // the surface halfway between inside and outside centres, smoothed, encloses about the true
  // ball's (4/3) pi 3^3 = 113 mm^3: between the two, with a margin for smoothing.
  for (const SurfaceMesh& mesh : out.meshes) {
    EXPECT_TRUE(segmentation::isClosedManifold(mesh)) << mesh.name;
    EXPECT_GT(segmentation::enclosedVolume_ml(mesh), 0.100) << mesh.name;
    EXPECT_LT(segmentation::enclosedVolume_ml(mesh), 0.140) << mesh.name;
  }
  EXPECT_EQ(out.meshes[2].segmentName, "Ball 3");
  EXPECT_TRUE(out.checkpoints.empty());
  EXPECT_EQ(out.provenance.back()["step"], "surface models");
  EXPECT_TRUE(loadCase(dir / "in.twinplan").meshes.empty());  // the input is untouched
}

TEST(EngineJobs, ACancelledBuildResumesFromItsCheckpointAndBuildsTheSameModels) {
  // Enough segments for at least three batches, whatever the number of cores.
  const int count = 2 * static_cast<int>(parallel::maxThreads()) + 1;
  test::TempDir dir;
  saveCase(ballsCase(count), dir / "in.twinplan");

  const auto whole =
      engine::makeJob(buildModelsJob(dir / "in.twinplan", dir / "whole.twinplan", 0));
  ASSERT_EQ(runJob(*whole, noProgress()).state, JobState::Succeeded);

  // Stop as soon as the first checkpoint has been written into the output file.
  const fs::path out = dir / "out.twinplan";
  CallbackProgress stopAtFirstCheckpoint([](double, std::string_view) {},
                                         [&] { return fs::exists(out); });
  const auto first = engine::makeJob(buildModelsJob(dir / "in.twinplan", out, 0));
  ASSERT_EQ(runJob(*first, stopAtFirstCheckpoint).state, JobState::Cancelled);
  const Case interrupted = loadCase(out);
  ASSERT_EQ(interrupted.checkpoints.size(), 1u);
  const std::size_t done = interrupted.checkpoints[0].meshes.size();
  EXPECT_GT(done, 0u);
  EXPECT_LT(done, static_cast<std::size_t>(count));
  EXPECT_TRUE(interrupted.meshes.empty());  // partial models are not the case's models yet

  // The same job again (another checkpoint interval does not change its identity).
  const auto again = engine::makeJob(buildModelsJob(dir / "in.twinplan", out, 5));
  const JobStatus status = runJob(*again, noProgress());
  ASSERT_EQ(status.state, JobState::Succeeded) << status.error.dump();
  EXPECT_EQ(status.result["resumedModels"], done);
  const Case resumed = loadCase(out);
  const Case reference = loadCase(dir / "whole.twinplan");
  ASSERT_EQ(resumed.meshes.size(), reference.meshes.size());
  for (std::size_t i = 0; i < resumed.meshes.size(); ++i) {
    EXPECT_EQ(resumed.meshes[i].name, reference.meshes[i].name);
    EXPECT_EQ(resumed.meshes[i].points_lps, reference.meshes[i].points_lps) << i;
    EXPECT_EQ(resumed.meshes[i].triangles, reference.meshes[i].triangles) << i;
  }
  EXPECT_TRUE(resumed.checkpoints.empty());
}

TEST(EngineJobs, AMissingSegmentFailsWithNotFound) {
  test::TempDir dir;
  saveCase(ballsCase(1), dir / "in.twinplan");
  json description = buildModelsJob(dir / "in.twinplan", dir / "out.twinplan", 30);
  description["parameters"]["segments"] = {"Liver"};
  const auto job = engine::makeJob(description);
  const JobStatus status = runJob(*job, noProgress());
  EXPECT_EQ(status.state, JobState::Failed);
  EXPECT_EQ(status.error["code"], "not-found");
  EXPECT_EQ(status.error["context"], "Liver");
  EXPECT_FALSE(fs::exists(dir / "out.twinplan"));
}

}  // namespace
}  // namespace twinplan
