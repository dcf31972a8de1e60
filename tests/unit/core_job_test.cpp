// Jobs: status JSON, stable error codes, identities and checkpoints kept in a case file
// (issue #14, deliverable 3).
#include <gtest/gtest.h>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/job.h"

namespace twinplan {
namespace {

// A job that sums 1..n in steps, checkpointing its partial sum, and fails or diverges on request.
class CountingJob final : public Job {
 public:
  explicit CountingJob(int n, std::string failWith = {}) : n_(n), failWith_(std::move(failWith)) {}
  std::string kind() const override { return "count"; }
  nlohmann::json parameters() const override { return {{"n", n_}}; }
  nlohmann::json run(Progress& progress, CheckpointStore* checkpoints) override {
    const std::string id = jobIdentity(kind(), parameters());
    int next = 1;
    long long sum = 0;
    if (checkpoints) {
      if (auto resumed = checkpoints->load(id)) {
        next = resumed->state["next"];
        sum = resumed->state["sum"];
        resumedAt = next;
      }
    }
    for (; next <= n_; ++next) {
      progress.check();
      if (failWith_ == "diverge" && next == 3)
        throw JobError(ErrorKind::InvalidInput, "solver-diverged",
                       "The solver diverged at step 3; reduce the time step.",
                       {{"step", 3}, {"residual", 4.5e4}}, "timeStep_s");
      if (failWith_ == "missing")
        throw Error(ErrorKind::NotFound, "No such case.", "case.twinplan");
      sum += next;
      if (checkpoints) {
        JobCheckpoint checkpoint{id, kind(), {{"next", next + 1}, {"sum", sum}}, {}, {}};
        checkpoints->save(std::move(checkpoint));
      }
      progress.report(static_cast<double>(next) / n_, "counting");
    }
    if (checkpoints) checkpoints->clear(id);
    return {{"sum", sum}};
  }
  int resumedAt = 0;

 private:
  int n_;
  std::string failWith_;
};

TEST(Job, SucceededStatusCarriesResultAndParameters) {
  CountingJob job(10);
  const JobStatus status = runJob(job, noProgress());
  EXPECT_EQ(status.state, JobState::Succeeded);
  const nlohmann::json json = status.toJson(job);
  EXPECT_EQ(json["job"], "count");
  EXPECT_EQ(json["state"], "succeeded");
  EXPECT_EQ(json["parameters"]["n"], 10);
  EXPECT_EQ(json["result"]["sum"], 55);
  EXPECT_FALSE(json.contains("error"));
}

TEST(Job, DivergedSolverHasAStableCodeAndDetails) {
  CountingJob job(10, "diverge");
  const nlohmann::json json = runJob(job, noProgress()).toJson(job);
  EXPECT_EQ(json["state"], "failed");
  EXPECT_EQ(json["error"]["code"], "solver-diverged");
  EXPECT_EQ(json["error"]["kind"], "invalid input");
  EXPECT_EQ(json["error"]["details"]["step"], 3);
  EXPECT_DOUBLE_EQ(json["error"]["details"]["residual"].get<double>(), 4.5e4);
  EXPECT_EQ(json["error"]["context"], "timeStep_s");
}

TEST(Job, PlainErrorsGetTheCodeOfTheirKind) {
  CountingJob job(10, "missing");
  const nlohmann::json json = runJob(job, noProgress()).toJson(job);
  EXPECT_EQ(json["error"]["code"], "not-found");
  EXPECT_EQ(json["error"]["message"], "No such case.");
  EXPECT_EQ(errorCode(ErrorKind::InvalidInput), "invalid-input");
  EXPECT_EQ(errorCode(ErrorKind::Corrupt), "corrupt");
}

TEST(Job, IdentityFollowsTheParameters) {
  const std::string a = jobIdentity("count", {{"n", 10}});
  EXPECT_EQ(a, jobIdentity("count", {{"n", 10}}));
  EXPECT_NE(a, jobIdentity("count", {{"n", 11}}));
  EXPECT_EQ(a.rfind("count-", 0), 0u);
  EXPECT_EQ(a.size(), std::string("count-").size() + 16);
  // FNV-1a 64 of "{}" (0x7b 0x7d), computed independently in Python: a fixed value, so
  // identities survive a rebuild and a move to another machine.
  EXPECT_EQ(jobIdentity("x", nlohmann::json::object()), "x-08f44b07b5901a25");
}

TEST(Job, CancelledJobResumesFromItsCheckpointInTheCaseFile) {
  test::TempDir dir;
  const auto file = dir / "case.twinplan";
  Case twin;
  twin.name = "resume";
  int saves = 0;
  CaseCheckpoints store(twin, [&](const Case& c) {
    saveCase(c, file);
    ++saves;
  });
  // Cancel once 4 of 10 steps have been counted and checkpointed.
  CallbackProgress stopAfterFour([](double, std::string_view) {}, [&] { return saves >= 4; });
  CountingJob first(10);
  EXPECT_EQ(runJob(first, stopAfterFour, &store).state, JobState::Cancelled);

  Case reopened = loadCase(file);
  ASSERT_EQ(reopened.checkpoints.size(), 1u);
  EXPECT_EQ(reopened.checkpoints[0].kind, "count");
  EXPECT_EQ(reopened.checkpoints[0].state["next"], 5);
  CaseCheckpoints resumedStore(reopened, [&](const Case& c) { saveCase(c, file); });
  CountingJob second(10);
  const JobStatus status = runJob(second, noProgress(), &resumedStore);
  EXPECT_EQ(status.state, JobState::Succeeded);
  EXPECT_EQ(second.resumedAt, 5);
  EXPECT_EQ(status.result["sum"], 55);              // the same answer as an uninterrupted run
  EXPECT_TRUE(loadCase(file).checkpoints.empty());  // a finished job leaves none behind
}

TEST(Job, CheckpointMeshesAndFieldsRoundTripApartFromTheCaseParts) {
  test::TempDir dir;
  Case twin;
  SurfaceMesh own = test::icosphere(Vec3(0, 0, 0), 10, 1, false);
  own.name = "Liver";
  twin.meshes.push_back(own);
  JobCheckpoint checkpoint;
  checkpoint.jobId = "build-models-0123456789abcdef";
  checkpoint.kind = "build-models";
  checkpoint.state = {{"done", {"Tumour"}}};
  SurfaceMesh partial = test::icosphere(Vec3(5, 0, 0), 3, 2, true);
  partial.name = "Tumour";
  checkpoint.meshes.push_back(partial);
  ScalarField temperature;
  temperature.name = "Temperature at 60 s";
  temperature.unit = units::kDegreeCelsius;
  temperature.geometry.size = {2, 1, 1};
  temperature.values = {37.0f, 61.5f};
  checkpoint.fields.push_back(temperature);
  twin.checkpoints.push_back(checkpoint);
  saveCase(twin, dir / "c.twinplan");

  const Case back = loadCase(dir / "c.twinplan");
  ASSERT_EQ(back.meshes.size(), 1u);
  EXPECT_EQ(back.meshes[0].name, "Liver");
  EXPECT_TRUE(back.fields.empty());
  ASSERT_EQ(back.checkpoints.size(), 1u);
  const JobCheckpoint& c = back.checkpoints[0];
  EXPECT_EQ(c.jobId, checkpoint.jobId);
  EXPECT_EQ(c.state, checkpoint.state);
  ASSERT_EQ(c.meshes.size(), 1u);
  EXPECT_EQ(c.meshes[0].points_lps, partial.points_lps);
  EXPECT_EQ(c.meshes[0].triangles, partial.triangles);
  ASSERT_EQ(c.fields.size(), 1u);
  EXPECT_EQ(c.fields[0].values, temperature.values);

  twin.checkpoints.push_back(checkpoint);  // the same job twice cannot be saved
  EXPECT_THROW(saveCase(twin, dir / "d.twinplan"), Error);
}

}  // namespace
}  // namespace twinplan
