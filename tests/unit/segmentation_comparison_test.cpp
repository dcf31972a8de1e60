// Overlap and surface-distance metrics between two segmentations (issue #16, deliverable 6),
// against exact answers on voxel-aligned boxes and analytic ones on spheres.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <numbers>

#include "twinplan/core/error.h"
#include "twinplan/segmentation/segment_comparison.h"

namespace twinplan {
namespace {

using segmentation::SegmentMask;

template <class Inside>
SegmentMask maskOn(const ImageGeometry& g, Inside inside, const std::string& name = "mask") {
  SegmentMask mask{name, g, std::vector<std::uint8_t>(g.voxelCount())};
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        mask.inside[g.linearIndex(i, j, k)] =
            inside(g.indexToLps(Vec3(double(i), double(j), double(k)))) ? 1 : 0;
  return mask;
}

ImageGeometry grid(std::int64_t n, const Vec3& spacing, const Vec3& origin = Vec3::Zero()) {
  ImageGeometry g;
  g.size = {n, n, n};
  g.spacing_mm = spacing;
  g.origin_lps = origin;
  return g;
}

TEST(SegmentComparison, IdenticalSegmentsAgreePerfectly) {
  const ImageGeometry g = grid(20, Vec3(0.8, 0.8, 2.0));
  const SegmentMask a = maskOn(g, [](const Vec3& p) { return (p - Vec3(8, 8, 20)).norm() < 6; });
  const auto c = segmentation::compareSegments(a, a);
  EXPECT_DOUBLE_EQ(c.dice, 1.0);
  EXPECT_DOUBLE_EQ(c.jaccard, 1.0);
  EXPECT_DOUBLE_EQ(c.hausdorff_mm, 0.0);
  EXPECT_DOUBLE_EQ(c.meanSurfaceDistance_mm, 0.0);
  EXPECT_DOUBLE_EQ(c.volumeDifference_ml, 0.0);
}

TEST(SegmentComparison, BoxesShiftedByWholeVoxelsGiveExactAnswers) {
  // Anisotropic voxels: 0.5 x 0.7 x 2.5 mm. Box A is voxels [4, 14) in each axis; box B the same
  // shifted by 2 voxels along i (1.0 mm).
  const ImageGeometry g = grid(24, Vec3(0.5, 0.7, 2.5));
  auto box = [&](int shift) {
    return maskOn(g, [&, shift](const Vec3& p) {
      const Vec3 ijk = g.lpsToIndex(p);
      return ijk[0] >= 4 + shift - 0.1 && ijk[0] < 14 + shift - 0.1 && ijk[1] >= 3.9 &&
             ijk[1] < 13.9 && ijk[2] >= 3.9 && ijk[2] < 13.9;
    });
  };
  const auto c = segmentation::compareSegments(box(0), box(2));
  EXPECT_DOUBLE_EQ(c.dice, 2.0 * 800 / 2000);  // 8 of 10 columns overlap
  EXPECT_DOUBLE_EQ(c.jaccard, 800.0 / 1200.0);
  EXPECT_NEAR(c.hausdorff_mm, 1.0, 1e-12);  // 2 voxels of 0.5 mm
  EXPECT_NEAR(c.volumeA_ml, 1000 * 0.5 * 0.7 * 2.5 / 1000, 1e-12);
  EXPECT_DOUBLE_EQ(c.volumeDifference_ml, 0.0);
}

TEST(SegmentComparison, OverlappingSpheresMatchTheLensVolumeAndTheirOffset) {
  // Two spheres of radius r, centres d apart: their intersection (a lens) has volume
  // pi (4r + d)(2r - d)^2 / 12, so Dice = lens / sphere; the Hausdorff distance is d.
  const double r = 10.0, d = 3.0;
  const ImageGeometry g = grid(64, Vec3(0.5, 0.5, 0.5), Vec3(-16, -16, -16));
  const SegmentMask a = maskOn(g, [&](const Vec3& p) { return p.norm() < r; });
  const SegmentMask b = maskOn(g, [&](const Vec3& p) { return (p - Vec3(d, 0, 0)).norm() < r; });
  const auto c = segmentation::compareSegments(a, b);
  const double lens = std::numbers::pi * (4 * r + d) * (2 * r - d) * (2 * r - d) / 12.0;
  const double sphere = 4.0 / 3.0 * std::numbers::pi * r * r * r;
  EXPECT_NEAR(c.dice, lens / sphere, 0.01);
  EXPECT_NEAR(c.hausdorff_mm, d, 0.5);  // within one voxel of the voxelised surfaces
  EXPECT_LE(c.hausdorff95_mm, c.hausdorff_mm);
  EXPECT_GT(c.meanSurfaceDistance_mm, 0.0);
  EXPECT_LT(c.meanSurfaceDistance_mm, d);
}

TEST(SegmentComparison, DifferentGridsCompareInPatientSpace) {
  // The same sphere on a 0.5 mm grid and on an oblique 1 mm grid agrees to voxel accuracy.
  const ImageGeometry fine = grid(64, Vec3(0.5, 0.5, 0.5), Vec3(-16, -16, -16));
  ImageGeometry coarse = grid(40, Vec3(1, 1, 1));
  coarse.direction = Eigen::AngleAxisd(0.3, Vec3::UnitZ()).toRotationMatrix();
  coarse.origin_lps = -coarse.direction * Vec3(19.5, 19.5, 19.5);
  auto sphere = [](const Vec3& p) { return p.norm() < 10.0; };
  const auto c = segmentation::compareSegments(maskOn(fine, sphere), maskOn(coarse, sphere));
  EXPECT_GT(c.dice, 0.95);
  EXPECT_LT(c.hausdorff_mm, 1.0);
  EXPECT_NEAR(c.volumeB_ml, c.volumeA_ml, 0.05 * c.volumeA_ml);
}

TEST(SegmentComparison, EmptySegmentIsRefusedByName) {
  const ImageGeometry g = grid(8, Vec3(1, 1, 1));
  const SegmentMask full = maskOn(
      g, [](const Vec3&) { return true; }, "Liver");
  const SegmentMask empty = maskOn(
      g, [](const Vec3&) { return false; }, "Tumour");
  try {
    segmentation::compareSegments(full, empty);
    FAIL() << "an empty segment was compared";
  } catch (const Error& e) {
    EXPECT_EQ(e.context(), "Tumour");
  }
}

TEST(SegmentComparison, LabelImagesAndLabelMapsGiveTheirSegments) {
  ImageGeometry g = grid(4, Vec3(1, 1, 1));
  ImageVolume labels(g, PixelType::UInt8);
  auto v = labels.voxels<std::uint8_t>();
  v[0] = 1;
  v[1] = 2;
  v[2] = 2;
  EXPECT_EQ(segmentation::maskOfLabel(labels, 2).count(), 2u);
  EXPECT_EQ(segmentation::maskOfLabel(labels, 0).count(), 3u);  // every non-zero voxel
  LabelMap map(g);
  map.addSegment({"Liver", "liver", {1, 2, 3}, 0, 7});
  map.layer(0)[5] = 7;
  EXPECT_EQ(segmentation::maskOfSegment(map, 0).count(), 1u);
  EXPECT_EQ(segmentation::maskOfSegment(map, 0).name, "Liver");
}

}  // namespace
}  // namespace twinplan
