// Pixel padding on real data: the dcmqi CT (GE LightSpeed Ultra, seg-dcmqi/ct) has Pixel
// Padding Value (0028,0120) SS -2000 (dcmdump), no range limit, intercept -1024: -3024 HU
// around its round field of view.
#include <gtest/gtest.h>

#include "test_support.h"
#include "twinplan/core/measurement.h"
#include "twinplan/io/dicom_volume.h"

namespace twinplan {
namespace {

TEST(PixelPaddingShared, GeCtReportsItsPaddingAndRoiStatisticsLeaveItOut) {
  const ImageVolume v = io::loadVolume(std::vector<std::filesystem::path>{
      test::sharedData("seg-dcmqi/ct/01.dcm"), test::sharedData("seg-dcmqi/ct/02.dcm"),
      test::sharedData("seg-dcmqi/ct/03.dcm")});
  ASSERT_TRUE(v.paddingRange.has_value());
  EXPECT_EQ(*v.paddingRange, (std::pair{-3024.0, -3024.0}));  // -2000 * 1 - 1024
  const ImageGeometry& g = v.geometry();
  ASSERT_EQ(g.voxelCount(), 786432u);  // 512 x 512 x 3
  std::size_t padded = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) padded += v.isPadding(v.valueAt(i, j, k));
  // pydicom (pixel_array * 1 - 1024 == -3024 over the three slices) counts 167,316.
  EXPECT_EQ(padded, 167316u);

  // A box over the whole volume: pydicom gives, over the 619,116 voxels that are not -3024,
  // mean -395.70524102106873 HU, SD (n - 1) 474.6153054358359, min -1024, max 1381.
  Measurement all;
  all.kind = Measurement::Kind::RoiBox;
  all.name = "whole CT";
  all.points_lps = {g.indexToLps(Vec3(0, 0, 0)),
                    g.indexToLps(Vec3(g.size[0] - 1, g.size[1] - 1, g.size[2] - 1))};
  const RoiStatistics s = roiStatistics(v, all);
  EXPECT_EQ(s.voxelCount, 619116u);
  EXPECT_NEAR(s.mean, -395.70524102106873, 1e-9);
  EXPECT_NEAR(s.sd, 474.6153054358359, 1e-6);
  EXPECT_EQ(s.min, -1024.0);
  EXPECT_EQ(s.max, 1381.0);
}

}  // namespace
}  // namespace twinplan
