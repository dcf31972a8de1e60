// Follow-up scans (issue #15 item 4): the growth table of engine/followup.h on constructed cases
// with known answers - two series on the head phantom's grid, 90 days apart (2026-01-01 ->
// 2026-04-01), tumours drawn as voxel boxes of known voxel counts, so every volume is
// count x voxel volume and the doubling time is exactly 90 ln2 / ln(V2/V1) (Schwartz 1961).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/followup.h"
#include "twinplan/engine/jobs.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

constexpr int kDays = 90;  // 2026-01-01 -> 2026-04-01: 31 + 28 + 31 days

class EngineFollowUp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    phantom::PhantomOptions options;
    options.kind = phantom::PhantomKind::Head;
    options.scale = 0.25;
    options.surfaceModels = false;
    head_ = new phantom::Phantom(phantom::makePhantom(options));
  }
  static void TearDownTestSuite() { delete head_; }

  static const ImageGeometry& grid() { return head_->twin.volumes.front().geometry(); }
  static double voxel_ml() {
    const Vec3& s = grid().spacing_mm;
    return s[0] * s[1] * s[2] / 1000.0;
  }
  // The phantom's CT as the baseline (2026-01-01) and a copy as the follow-up (2026-04-01).
  static Case twoStudies() {
    Case twin;
    ImageVolume baseline = head_->twin.volumes.front();
    baseline.name = "CT";
    baseline.dicom.patientId = "TP-0001";
    baseline.dicom.studyDate = "20260101";
    baseline.dicom.frameOfReferenceUid = "1.2.3.1";
    ImageVolume later = baseline;
    later.name = "CT 2026-04-01";
    later.dicom.studyDate = "20260401";
    twin.volumes = {baseline, later};
    return twin;
  }
  struct Box {
    std::string segment;
    int nx, ny, nz;  // voxels from (10, 10, 5)
    Rgb colour{230, 60, 40};
  };
  // A label map named after its series, one segment per box (distinct values in layer 0).
  static LabelMap labelsOf(const std::string& series, const std::vector<Box>& boxes) {
    LabelMap labels(grid());
    labels.name = "Segmentation of " + series;
    std::uint16_t value = 1;
    int offset = 0;
    for (const Box& b : boxes) {
      Segment s;
      s.name = b.segment;
      s.colour = b.colour;
      s.value = value++;
      const std::size_t index = labels.addSegment(s);
      const Segment& added = labels.segments()[index];
      auto& layer = labels.layer(added.layer);
      for (int k = 0; k < b.nz; ++k)
        for (int j = 0; j < b.ny; ++j)
          for (int i = 0; i < b.nx; ++i)
            layer[grid().linearIndex(2 + offset + i, 10 + j, 5 + k)] = added.value;
      offset += b.nx + 1;
    }
    return labels;
  }

  static phantom::Phantom* head_;
};
phantom::Phantom* EngineFollowUp::head_ = nullptr;

TEST_F(EngineFollowUp, ExactVolumesChangeGrowthRateAndDoublingTime) {
  Case twin = twoStudies();
  twin.labelMaps = {labelsOf("CT", {{"Tumour", 4, 4, 2}}),              // 32 voxels
                    labelsOf("CT 2026-04-01", {{"Tumour", 6, 4, 2}})};  // 48 voxels
  const engine::GrowthTable table = engine::growthTable(twin);
  EXPECT_EQ(table.baselineVolume, "CT");
  ASSERT_EQ(table.timePoints.size(), 2u);
  EXPECT_EQ(table.timePoints[0].studyDate, "2026-01-01");
  EXPECT_EQ(table.timePoints[1].studyDate, "2026-04-01");
  EXPECT_EQ(table.timePoints[1].day, kDays);
  EXPECT_EQ(table.timePoints[1].labelMaps,
            std::vector<std::string>{"Segmentation of CT 2026-04-01"});
  ASSERT_EQ(table.segments.size(), 1u);
  const engine::SegmentGrowth& tumour = table.segments[0];
  EXPECT_EQ(tumour.segment, "Tumour");
  EXPECT_EQ(tumour.colour, (Rgb{230, 60, 40}));
  ASSERT_EQ(tumour.points.size(), 2u);
  const double v1 = 32 * voxel_ml(), v2 = 48 * voxel_ml();
  EXPECT_NEAR(tumour.points[0].volume_ml, v1, 1e-12);
  EXPECT_NEAR(tumour.points[1].volume_ml, v2, 1e-12);
  EXPECT_NEAR(tumour.change_ml, 16 * voxel_ml(), 1e-12);
  ASSERT_TRUE(tumour.change_percent);
  EXPECT_NEAR(*tumour.change_percent, 50.0, 1e-9);
  ASSERT_TRUE(tumour.doublingTime_days && tumour.growthRate_perDay);
  EXPECT_NEAR(*tumour.doublingTime_days, kDays * std::numbers::ln2 / std::log(1.5), 1e-9);
  EXPECT_NEAR(*tumour.doublingTime_days, 153.86, 0.01);  // 90 x 0.693147 / 0.405465
  EXPECT_NEAR(*tumour.growthRate_perDay, std::log(1.5) / kDays, 1e-12);
  EXPECT_FALSE(tumour.isNew);
  EXPECT_FALSE(tumour.disappeared);
}

TEST_F(EngineFollowUp, DoublingVolumeInNinetyDaysHasANinetyDayDoublingTime) {
  Case twin = twoStudies();
  twin.labelMaps = {labelsOf("CT", {{"Tumour", 4, 4, 2}}),
                    labelsOf("CT 2026-04-01", {{"Tumour", 8, 4, 2}})};
  const auto table = engine::growthTable(twin);
  ASSERT_EQ(table.segments.size(), 1u);
  EXPECT_NEAR(*table.segments[0].doublingTime_days, 90.0, 1e-9);
  EXPECT_NEAR(*table.segments[0].change_percent, 100.0, 1e-9);
}

// Three scans: 32 -> 64 voxels in 90 days, then -> 96 in the 91 days to 2026-07-01 (30 + 31 + 30).
// The last interval's doubling time is 91 ln2 / ln(1.5) = 155.57 days, slower than the first
// interval's 90 days; baseline -> latest is 181 ln2 / ln 3 = 114.20 days.
TEST_F(EngineFollowUp, EachIntervalHasItsOwnFiguresBesideBaselineToLatest) {
  Case twin = twoStudies();
  ImageVolume third = twin.volumes.back();
  third.name = "CT 2026-07-01";
  third.dicom.studyDate = "20260701";
  twin.volumes.push_back(third);
  twin.labelMaps = {labelsOf("CT", {{"Tumour", 4, 4, 2}}),
                    labelsOf("CT 2026-04-01", {{"Tumour", 8, 4, 2}}),
                    labelsOf("CT 2026-07-01", {{"Tumour", 12, 4, 2}})};
  const auto table = engine::growthTable(twin);
  ASSERT_EQ(table.segments.size(), 1u);
  const auto& points = table.segments[0].points;
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[2].day, 181);
  EXPECT_FALSE(points[0].sincePrevious);
  ASSERT_TRUE(points[1].sincePrevious && points[2].sincePrevious);
  EXPECT_NEAR(*points[1].sincePrevious->doublingTime_days, 90.0, 1e-9);
  EXPECT_NEAR(*points[2].sincePrevious->doublingTime_days, 91 * std::numbers::ln2 / std::log(1.5),
              1e-9);
  EXPECT_NEAR(*points[2].sincePrevious->doublingTime_days, 155.57, 0.01);
  EXPECT_NEAR(*points[2].sincePrevious->change_percent, 50.0, 1e-9);
  EXPECT_NEAR(points[2].sincePrevious->change_ml, 32 * voxel_ml(), 1e-12);
  EXPECT_NEAR(*table.segments[0].doublingTime_days, 181 * std::numbers::ln2 / std::log(3.0), 1e-9);
  EXPECT_NEAR(*table.segments[0].doublingTime_days, 114.20, 0.01);
  const auto json = engine::growthTableJson(table);
  const auto& last = json["segments"][0]["volumes"][2]["since_previous"];
  EXPECT_NEAR(last["doubling_time_days"].get<double>(), 155.57, 0.01);
  EXPECT_TRUE(json["segments"][0]["volumes"][0]["since_previous"].is_null());
}

TEST_F(EngineFollowUp, NewAndDisappearedSegmentsAreFlaggedAndCountZeroWhereAbsent) {
  Case twin = twoStudies();
  twin.labelMaps = {labelsOf("CT", {{"Tumour", 4, 4, 2}, {"Node", 2, 2, 2}}),
                    labelsOf("CT 2026-04-01", {{"Tumour", 4, 4, 2}, {"Metastasis", 3, 3, 3}})};
  const auto table = engine::growthTable(twin);
  ASSERT_EQ(table.segments.size(), 3u);
  const auto& tumour = table.segments[0];
  const auto& node = table.segments[1];
  const auto& metastasis = table.segments[2];
  EXPECT_EQ(node.segment, "Node");
  EXPECT_TRUE(node.disappeared);
  EXPECT_FALSE(node.isNew);
  EXPECT_NEAR(node.points[1].volume_ml, 0.0, 0.0);
  EXPECT_EQ(node.points[1].labelMap, "");
  EXPECT_NEAR(*node.change_percent, -100.0, 1e-9);
  EXPECT_FALSE(node.doublingTime_days);
  EXPECT_EQ(metastasis.segment, "Metastasis");
  EXPECT_TRUE(metastasis.isNew);
  EXPECT_FALSE(metastasis.change_percent);  // from 0 ml: no percentage
  EXPECT_NEAR(metastasis.points[1].volume_ml, 27 * voxel_ml(), 1e-12);
  // Unchanged: 0 % and no doubling time (ln(V2/V1) = 0).
  EXPECT_NEAR(*tumour.change_percent, 0.0, 0.0);
  EXPECT_FALSE(tumour.doublingTime_days);
}

TEST_F(EngineFollowUp, AnotherPatientIsRefusedWithTheReason) {
  Case twin = twoStudies();
  twin.volumes[1].dicom.patientId = "TP-0002";
  try {
    engine::growthTable(twin);
    FAIL() << "another patient's study was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("is of patient ID TP-0002"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("TP-0001"), std::string::npos) << e.what();
  }
  EXPECT_THROW(engine::registerFollowUps(twin), Error);
}

TEST_F(EngineFollowUp, AStudyWithoutDateOrBeforeTheBaselineIsRefused) {
  Case undated = twoStudies();
  undated.volumes[1].dicom.studyDate = "";
  EXPECT_THROW(engine::growthTable(undated), Error);
  Case twin = twoStudies();
  EXPECT_THROW(engine::growthTable(twin, "CT 2026-04-01"), Error);  // CT is 90 days earlier
  EXPECT_THROW(engine::growthTable(twin, "MR"), Error);             // no such series
}

TEST_F(EngineFollowUp, ALabelMapOnAGridSharedByTwoDatesWithoutASeriesNameIsLeftOutWithANote) {
  Case twin = twoStudies();
  twin.labelMaps = {labelsOf("CT", {{"Tumour", 4, 4, 2}}),
                    labelsOf("CT 2026-04-01", {{"Tumour", 8, 4, 2}})};
  twin.labelMaps[1].name = "Tumour drawn later";  // names no series; both series share the grid
  const auto table = engine::growthTable(twin);
  EXPECT_TRUE(table.segments.empty());
  ASSERT_EQ(table.notes.size(), 2u);
  EXPECT_NE(table.notes[0].find("several study dates"), std::string::npos) << table.notes[0];
}

TEST_F(EngineFollowUp, FollowUpInTheBaselinesFrameIsNotRegisteredAndSaysSo) {
  const Case twin = twoStudies();
  const auto results = engine::registerFollowUps(twin);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].baseline, "CT");
  EXPECT_EQ(results[0].followUp, "CT 2026-04-01");
  EXPECT_FALSE(results[0].registered);
  EXPECT_FALSE(results[0].record);
  EXPECT_NE(results[0].reason.find("same frame of reference"), std::string::npos);
}

TEST_F(EngineFollowUp, RegistrationIsCancellableBeforeAnyWork) {
  Case twin = twoStudies();
  twin.volumes[1].dicom.frameOfReferenceUid = "1.2.3.2";  // would be registered
  test::RecordingProgress cancelled(0);
  EXPECT_THROW(engine::registerFollowUps(twin, {}, "rigid", cancelled), Cancelled);
  EXPECT_THROW(engine::registerFollowUps(twin, {}, "landmark"), Error);  // needs a landmark file
}

TEST_F(EngineFollowUp, GrowthJobReturnsTheTableAsJson) {
  test::TempDir dir("followup");
  Case twin = twoStudies();
  twin.name = "Follow-up";
  twin.labelMaps = {labelsOf("CT", {{"Tumour", 4, 4, 2}}),
                    labelsOf("CT 2026-04-01", {{"Tumour", 8, 4, 2}})};
  saveCase(twin, dir / "case.twinplan");
  const auto job = engine::makeJob(
      {{"job", "growth"}, {"parameters", {{"case", (dir / "case.twinplan").string()}}}});
  const JobStatus status = runJob(*job, noProgress());
  ASSERT_EQ(status.state, JobState::Succeeded) << status.error.dump();
  const nlohmann::json& r = status.result;
  EXPECT_EQ(r["schema"], "twinplan.growth-table/1");
  EXPECT_EQ(r["baseline"], "CT");
  EXPECT_EQ(r["time_points"][1]["day"], kDays);
  EXPECT_EQ(r["segments"][0]["name"], "Tumour");
  EXPECT_NEAR(r["segments"][0]["volumes"][1]["volume_ml"].get<double>(), 64 * voxel_ml(), 1e-12);
  EXPECT_NEAR(r["segments"][0]["doubling_time_days"].get<double>(), 90.0, 1e-9);
  EXPECT_EQ(r["segments"][0]["colour"], nlohmann::json({230, 60, 40}));
  EXPECT_THROW(engine::makeJob({{"job", "growth"}, {"parameters", {{"cse", "x"}}}}), Error);
}

}  // namespace
}  // namespace twinplan
