// Jobs from the desktop: a job file runs in the background behind the progress dialog, and the
// case it wrote opens in the window; a failed job says why and leaves the open case alone.
#include <gtest/gtest.h>

#include <QTest>
#include <fstream>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/segmentation/mesh_metrics.h"
#include "twinplan/ui/main_window.h"

namespace twinplan::ui {
namespace {

// A 20 mm cube segment on a 2 mm grid.
Case cubeCase() {
  ImageGeometry g;
  g.size = {20, 20, 20};
  g.spacing_mm = Vec3(2.0, 2.0, 2.0);
  Case twin = fixtures::caseWith(fixtures::ctVolume(g), "Cube");
  LabelMap labels(g);
  labels.name = "Segments";
  labels.segments() = {{"Cube", "tumour", {240, 200, 40}, 0, 1, true, false}};
  fixtures::fillBox(labels, {5, 5, 5}, {14, 14, 14}, 1);
  twin.labelMaps.push_back(std::move(labels));
  return twin;
}

TEST(GuiJobs, AJobFileBuildsModelsAndTheWindowOpensTheResult) {
  test::TempDir dir;
  test::TempDir autosave;
  saveCase(cubeCase(), dir / "cube.twinplan");
  std::ofstream(dir / "models.json")
      << R"({"job": "build-models", "parameters": {"case": "cube.twinplan", "output": "out.twinplan",
            "targetReduction": 0, "maxTriangles": 0}})";
  MainWindow window(autosave.path());
  window.resize(1000, 700);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));

  const JobStatus status = window.runJobFile(dir / "models.json", /*ask=*/false);
  ASSERT_EQ(status.state, JobState::Succeeded) << status.error.dump();
  ASSERT_EQ(window.currentCase().meshes.size(), 1u);
  const SurfaceMesh& cube = window.currentCase().meshes[0];
  EXPECT_EQ(cube.segmentName, "Cube");
  EXPECT_TRUE(segmentation::isClosedManifold(cube));
  // 1000 voxels of 8 mm^3 = 8 ml; the smoothed surface rounds the edges off a little.
  EXPECT_NEAR(segmentation::enclosedVolume_ml(cube), 8.0, 0.8);
  EXPECT_EQ(window.document()->file(), dir / "out.twinplan");
  EXPECT_FALSE(window.document()->isModified());
}

TEST(GuiJobs, AFailedJobKeepsTheOpenCase) {
  test::TempDir dir;
  test::TempDir autosave;
  std::ofstream(dir / "bad.json")
      << R"({"job": "build-models", "parameters": {"case": "missing.twinplan"}})";
  MainWindow window(autosave.path());
  window.setCase(cubeCase());
  const JobStatus status = window.runJobFile(dir / "bad.json", /*ask=*/false);
  EXPECT_EQ(status.state, JobState::Failed);
  EXPECT_EQ(status.error["code"], "not-found");
  EXPECT_EQ(window.currentCase().name, "Cube");
  std::ofstream(dir / "typo.json") << R"({"job": "build-modles"})";
  EXPECT_THROW(window.runJobFile(dir / "typo.json", false), Error);
}

}  // namespace
}  // namespace twinplan::ui
