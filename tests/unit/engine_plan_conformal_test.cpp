// Job "plan-conformal" (engine/src/plan_conformal_job.cpp) on the head phantom (half resolution,
// 2 x 2 x 4 mm): the 25 mm tumour at (32, -25, 20) LPS is the PTV, the ventricles the organ at
// risk. Beams G0, G90, G270 (HFS): the lateral beams cross the ventricles' frontal horns (the
// right one on its way in, the left one on its way out) and the anterior beam barely does, so a
// mean-dose objective on the ventricles must move weight to the anterior beam and measurably
// lower their dose, while the PTV keeps D95 >= 95 % of the prescription (the 7 mm aperture
// margin). The stored dose is read back from the saved case and judged on the phantom's TRUE
// ventricle and tumour voxels (not the job's own structure sampling).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/core/case_editor.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/conformal_planning.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/engine/rt_plan_record.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/radiotherapy/beam_weights.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kPrescription_Gy = 60.0;

struct HeadCase {
  test::TempDir dir{"plan-conformal-job"};
  fs::path file;
  LabelMap truth;
};

const HeadCase& headCase() {
  static HeadCase* c = [] {
    auto* h = new HeadCase;
    phantom::PhantomOptions options;
    options.kind = phantom::PhantomKind::Head;
    options.scale = 0.5;
    options.surfaceModels = false;
    phantom::Phantom head = phantom::makePhantom(options);
    h->truth = head.twin.labelMaps.front();
    h->file = h->dir.path() / "head.twinplan";
    saveCase(head.twin, h->file);
    return h;
  }();
  return *c;
}

json planJob(const fs::path& out, const json& oars) {
  return {{"job", "plan-conformal"},
          {"parameters",
           {{"case", headCase().file.string()},
            {"output", out.string()},
            {"ptv", "Tumour"},
            {"oars", oars},
            {"beams", "G0,G90,G270"},
            {"prescription_gy", kPrescription_Gy},
            {"fractions", 30},
            {"grid_mm", 3.0}}}};
}

JobStatus run(const json& description) {
  const auto job = engine::makeJob(description);
  return runJob(*job, noProgress());
}

// The stored course dose at the centres of the true segment's voxels (nearest dose voxel).
std::vector<double> doseInTruth(const ScalarField& dose, const LabelMap& truth,
                                const std::string& segment) {
  const std::size_t s = *truth.findSegment(segment);
  const ImageGeometry& g = truth.geometry();
  std::vector<double> values;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        if (!truth.contains(s, i, j, k)) continue;
        const Vec3 d = dose.geometry.lpsToIndex(g.indexToLps(Vec3(i, j, k)));
        const auto r = [](double x) { return static_cast<std::int64_t>(std::lround(x)); };
        if (!dose.geometry.contains(d)) continue;
        values.push_back(dose.values[dose.geometry.linearIndex(r(d.x()), r(d.y()), r(d.z()))]);
      }
  return values;
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

struct StoredPlan {
  std::vector<double> tumour, ventricles;
  io::RtPlan plan;
  std::size_t fields = 0;
};

StoredPlan stored(const fs::path& file) {
  const Case twin = loadCase(file);
  StoredPlan p;
  const std::vector<io::RtPlan> plans = engine::casePlans(twin);
  EXPECT_EQ(plans.size(), 1u);
  if (!plans.empty()) p.plan = plans.front();
  p.fields = twin.fields.size();
  const auto dose = std::find_if(twin.fields.begin(), twin.fields.end(),
                                 [](const ScalarField& f) { return f.quantity == "dose"; });
  if (dose == twin.fields.end()) return p;
  p.tumour = doseInTruth(*dose, headCase().truth, "Tumour");
  p.ventricles = doseInTruth(*dose, headCase().truth, "Ventricles");
  return p;
}

TEST(PlanConformalJob, VentricleObjectiveLowersTheirDoseAndKeepsThePtvCovered) {
  test::TempDir dir("plan-conformal-runs");
  const JobStatus plain = run(planJob(dir / "plain.twinplan", json::array()));
  ASSERT_EQ(plain.state, JobState::Succeeded) << plain.error.dump();
  const JobStatus spared = run(planJob(dir / "spared.twinplan", {"Ventricles:mean:10"}));
  ASSERT_EQ(spared.state, JobState::Succeeded) << spared.error.dump();
  const StoredPlan a = stored(dir / "plain.twinplan");
  const StoredPlan b = stored(dir / "spared.twinplan");
  ASSERT_FALSE(a.tumour.empty());
  ASSERT_FALSE(b.ventricles.empty());
  const double ventriclesPlain = mean(a.ventricles), ventriclesSpared = mean(b.ventricles);
  const double d95Plain = radiotherapy::doseAtVolume(a.tumour, 95.0);
  const double d95Spared = radiotherapy::doseAtVolume(b.tumour, 95.0);
  std::printf("ventricles mean %.3f -> %.3f Gy; tumour D95 %.3f -> %.3f Gy\n", ventriclesPlain,
              ventriclesSpared, d95Plain, d95Spared);
  // Measured: 15.94 -> 11.40 Gy; D95 58.17 -> 57.15 Gy (docs/validation.md).
  EXPECT_LT(ventriclesSpared, 0.8 * ventriclesPlain);
  EXPECT_GT(ventriclesPlain, 10.0);  // the lateral beams do cross them
  // The lateral beams lose weight to the anterior one.
  EXPECT_GT(spared.result["beams"][0]["mu_per_fraction"].get<double>(),
            1.5 * plain.result["beams"][0]["mu_per_fraction"].get<double>());
  EXPECT_GE(d95Plain, 0.95 * kPrescription_Gy);
  EXPECT_GE(d95Spared, 0.95 * kPrescription_Gy);
  // Plan and dose were stored together: one RT plan with the three beams and their MU.
  EXPECT_EQ(b.fields, 1u);
  ASSERT_EQ(b.plan.beams.size(), 3u);
  for (std::size_t n = 0; n < 3; ++n)
    EXPECT_NEAR(*b.plan.beams[n].meterset,
                spared.result["beams"][n]["mu_per_fraction"].get<double>(), 1e-9);
  EXPECT_EQ(b.plan.prescriptionDose_Gy, kPrescription_Gy);
}

// The GUI's path: a plan on the case in memory is ONE undo step that adds the plan and its dose
// and takes both away again.
TEST(PlanConformalJob, PlanAndDoseAreOneUndoStep) {
  Case twin = loadCase(headCase().file);
  engine::ConformalPlanOutcome outcome = engine::planConformalInCase(
      twin, {{"ptv", "Tumour"}, {"beams", "G0"}, {"grid_mm", 5.0}, {"label", "AP"}});
  ASSERT_TRUE(outcome.edit);
  CaseEditor editor(std::move(twin));
  editor.apply(std::move(outcome.edit));
  ASSERT_EQ(editor.twin().plans.size(), 1u);
  EXPECT_EQ(editor.twin().plans[0].name, "AP");
  ASSERT_EQ(editor.twin().fields.size(), 1u);
  EXPECT_EQ(editor.twin().fields[0].name, outcome.report["field"].get<std::string>());
  EXPECT_EQ(editor.undoText(), "Plan conformal AP");
  editor.undo();
  EXPECT_TRUE(editor.twin().plans.empty());
  EXPECT_TRUE(editor.twin().fields.empty());
  EXPECT_THROW(engine::planConformalInCase(editor.twin(), {{"ptv", "Tumour"}, {"case", "x"}}),
               Error);
}

TEST(PlanConformalJob, UnknownSegmentsAndBadObjectivesGetClearErrors) {
  test::TempDir dir("plan-conformal-errors");
  const JobStatus noPtv = [&] {
    json d = planJob(dir / "x.twinplan", json::array());
    d["parameters"]["ptv"] = "Tumor";
    return run(d);
  }();
  ASSERT_EQ(noPtv.state, JobState::Failed);
  EXPECT_NE(noPtv.error["message"].get<std::string>().find("no segment named \"Tumor\""),
            std::string::npos)
      << noPtv.error.dump();
  const JobStatus noOar = run(planJob(dir / "x.twinplan", {"Brainstem:max:54"}));
  ASSERT_EQ(noOar.state, JobState::Failed);
  EXPECT_EQ(noOar.error["context"], "Brainstem");
  EXPECT_FALSE(fs::exists(dir / "x.twinplan"));  // nothing half-written
  EXPECT_THROW(engine::makeJob(planJob(dir / "x.twinplan", {"Ventricles:maximum:20"})), Error);
  EXPECT_THROW(engine::makeJob(planJob(dir / "x.twinplan", {"Ventricles:d120:20"})), Error);
}

}  // namespace
}  // namespace twinplan
