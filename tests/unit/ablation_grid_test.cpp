// The ablation grid built by hand (simulation/ablation/ablation_grid.h).
#include "twinplan/ablation/ablation_grid.h"

#include <gtest/gtest.h>

#include "twinplan/ablation/resources.h"

namespace twinplan::ablation {
namespace {

TEST(AblationGrid, UniformGridIsCentredOnTheTipWithIsotropicVoxels) {
  TissueProperties liver;
  liver.id = "liver";
  const AblationGrid grid = uniformGrid(liver, {11, 21, 31}, 2.0, Vec3(10.0, -5.0, 100.0));
  EXPECT_EQ(grid.tissue.size(), 11u * 21u * 31u);
  EXPECT_DOUBLE_EQ(grid.voxelSize_m(), 0.002);
  // The middle voxel (5, 10, 15) lies on the centre; the first one 10, 20 and 30 mm before it.
  EXPECT_TRUE(grid.geometry.indexToLps(Vec3(5, 10, 15)).isApprox(Vec3(10.0, -5.0, 100.0)));
  EXPECT_TRUE(grid.geometry.origin_lps.isApprox(Vec3(0.0, -25.0, 70.0)));
  EXPECT_EQ(grid.tissueAt(grid.geometry.linearIndex(10, 20, 30)).id, "liver");
  EXPECT_TRUE(grid.bloodSpeed_m_s.empty());
}

TEST(AblationResources, TheTissueTableIsCompiledIn) {
  EXPECT_NE(resources::ablationResource("tissues/tissues.json").find("\"tissues\""),
            std::string_view::npos);
  EXPECT_TRUE(resources::ablationResource("tissues/no_such_file.json").empty());
}

}  // namespace
}  // namespace twinplan::ablation
