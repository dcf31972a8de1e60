// `twinplan-cli metrics` against an independent numpy/scipy implementation of the same
// measures (tests/integration/segment_metrics.py) on label images written by nibabel.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace twinplan {
namespace {

using nlohmann::json;

TEST(MetricsCli, AgreesWithScipyOnTwoEllipsoids) {
  test::TempDir dir;
  const std::string script =
      (std::filesystem::path(TWINPLAN_SOURCE_DIR) / "tests/integration/segment_metrics.py")
          .string();
  const auto reference =
      test::runCommand("/usr/bin/python3 '" + script + "' '" + dir.path().string() + "'");
  ASSERT_EQ(reference.status, 0) << reference.output;
  const json expected = json::parse(reference.output);

  const auto ours =
      test::runCommand(test::cliPath().string() + " --json metrics " + (dir / "a.nii.gz").string() +
                       " " + (dir / "b.nii.gz").string() + " --label 3 --label-b 5 2>&1");
  ASSERT_EQ(ours.status, 0) << ours.output;
  const json got = json::parse(ours.output);
  // Same definitions, independent code: voxel counts agree exactly; volumes and distances to
  // the float32 rounding of the NIfTI voxel size (0.8 mm is 0.800000012 in the file).
  for (const char* key : {"dice", "jaccard"})
    EXPECT_NEAR(got[key].get<double>(), expected[key].get<double>(), 1e-12) << key;
  for (const char* key : {"volume_a_ml", "volume_b_ml"})
    EXPECT_NEAR(got[key].get<double>(), expected[key].get<double>(),
                1e-6 * expected[key].get<double>())
        << key;
  for (const char* key : {"hausdorff_mm", "hausdorff95_mm", "mean_surface_distance_mm"})
    EXPECT_NEAR(got[key].get<double>(), expected[key].get<double>(), 1e-6) << key;
  EXPECT_GT(got["hausdorff_mm"].get<double>(), 1.0);  // the two really differ
}

TEST(MetricsCli, MissingLabelIsAClearError) {
  test::TempDir dir;
  const std::string script =
      (std::filesystem::path(TWINPLAN_SOURCE_DIR) / "tests/integration/segment_metrics.py")
          .string();
  ASSERT_EQ(
      test::runCommand("/usr/bin/python3 '" + script + "' '" + dir.path().string() + "'").status,
      0);
  const auto result =
      test::runCommand(test::cliPath().string() + " metrics " + (dir / "a.nii.gz").string() + " " +
                       (dir / "b.nii.gz").string() + " --label 7 2>&1");
  EXPECT_EQ(result.status, 3) << result.output;
  EXPECT_NE(result.output.find("is empty"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace twinplan
