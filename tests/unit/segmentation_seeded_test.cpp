// The interactive tools of segmentation/seeded.h on a constructed volume with known components:
// two spheres of 100 on 0, on an oblique, anisotropic grid, so every answer is a set of voxels
// known exactly from the geometry.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/segmentation/seeded.h"

using namespace twinplan;
using namespace twinplan::segmentation;

namespace {

const Vec3 kCentreA(-6.0, 2.0, 1.0), kCentreB(14.0, -4.0, 3.0);
constexpr double kRadiusA_mm = 8.0, kRadiusB_mm = 5.0;

ImageGeometry obliqueGrid() {
  ImageGeometry g;
  g.size = {48, 40, 24};
  g.spacing_mm = Vec3(0.8, 1.0, 2.0);
  g.direction = (Eigen::AngleAxisd(0.35, Vec3::UnitZ()) * Eigen::AngleAxisd(0.2, Vec3::UnitX()))
                    .toRotationMatrix();
  // Centre the grid on (4, -1, 2) mm.
  const Vec3 half = 0.5 * g.spacing_mm.cwiseProduct(Vec3(47, 39, 23));
  g.origin_lps = Vec3(4.0, -1.0, 2.0) - g.direction * half;
  return g;
}

struct Fixture {
  ImageVolume ct;
  RegionMask sphereA, sphereB;
};

Fixture twoSpheres() {
  Fixture f{ImageVolume(obliqueGrid(), PixelType::Int16), {}, {}};
  f.ct.dicom.modality = "CT";
  f.ct.unit = "HU";
  const ImageGeometry& g = f.ct.geometry();
  f.sphereA = {g, std::vector<std::uint8_t>(g.voxelCount())};
  f.sphereB = f.sphereA;
  auto voxels = f.ct.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        const std::size_t v = g.linearIndex(i, j, k);
        f.sphereA.inside[v] = (p - kCentreA).norm() <= kRadiusA_mm;
        f.sphereB.inside[v] = (p - kCentreB).norm() <= kRadiusB_mm;
        voxels[v] = (f.sphereA.inside[v] || f.sphereB.inside[v]) ? 100 : 0;
      }
  return f;
}

}  // namespace

TEST(SegmentationSeeded, FixtureSpheresHaveTheirAnalyticVolume) {
  const Fixture f = twoSpheres();
  // Voxel counts of a sphere sampled at voxel centres: within 3% of 4/3 pi r^3.
  const double a_ml = 4.0 / 3.0 * M_PI * std::pow(kRadiusA_mm, 3) / 1000.0;
  const double b_ml = 4.0 / 3.0 * M_PI * std::pow(kRadiusB_mm, 3) / 1000.0;
  EXPECT_NEAR(f.sphereA.volume_ml(), a_ml, 0.03 * a_ml);
  EXPECT_NEAR(f.sphereB.volume_ml(), b_ml, 0.06 * b_ml);
}

TEST(SegmentationSeeded, ThresholdTakesBothSpheresAndLeavesPaddingOut) {
  Fixture f = twoSpheres();
  const RegionMask both = threshold(f.ct, {50, 150});
  EXPECT_EQ(both.count(), f.sphereA.count() + f.sphereB.count());
  // Background declared padding: a range that covers it still leaves it out.
  f.ct.paddingRange = std::pair<double, double>(-10.0, 0.0);
  EXPECT_EQ(threshold(f.ct, {-50, 150}).count(), f.sphereA.count() + f.sphereB.count());
}

TEST(SegmentationSeeded, SlicePreviewEqualsThatSliceOfTheFullRun) {
  const Fixture f = twoSpheres();
  const RegionMask full = threshold(f.ct, {50, 150});
  const std::int64_t k = 12;
  const RegionMask slice = threshold(f.ct, {50, 150}, sliceBox(f.ct.geometry(), k));
  ASSERT_EQ(slice.geometry.size[2], 1);
  EXPECT_GT(slice.count(), 0u);
  const RegionMask pasted = onGrid(slice, f.ct.geometry());
  for (std::size_t v = 0; v < full.inside.size(); ++v) {
    const bool inSlice = v / std::size_t(48 * 40) == std::size_t(k);
    ASSERT_EQ(pasted.inside[v], inSlice ? full.inside[v] : 0) << v;
  }
}

TEST(SegmentationSeeded, RegionGrowingFromASeedInLpsTakesExactlyItsComponent) {
  const Fixture f = twoSpheres();
  const std::vector<Vec3> seedA{kCentreA};
  const RegionMask grown = connectedThreshold(f.ct, seedA, {50, 150});
  EXPECT_EQ(dice(grown, f.sphereA), 1.0);
  const std::vector<Vec3> seedB{kCentreB + Vec3(1.0, 0.5, -1.0)};
  EXPECT_EQ(dice(connectedThreshold(f.ct, seedB, {50, 150}), f.sphereB), 1.0);
  const std::vector<Vec3> both{kCentreA, kCentreB};
  EXPECT_EQ(connectedThreshold(f.ct, both, {50, 150}).count(),
            f.sphereA.count() + f.sphereB.count());
}

TEST(SegmentationSeeded, RegionGrowingPreviewInABoxMatchesTheFullRun) {
  const Fixture f = twoSpheres();
  const std::vector<Vec3> seed{kCentreA};
  const VoxelBox box = boxAround(f.ct.geometry(), kCentreA, kRadiusA_mm + 3.0);
  const RegionMask preview = connectedThreshold(f.ct, seed, {50, 150}, box);
  EXPECT_LT(preview.geometry.voxelCount(), f.ct.geometry().voxelCount() / 2);
  EXPECT_EQ(dice(onGrid(preview, f.ct.geometry()), f.sphereA), 1.0);
}

TEST(SegmentationSeeded, SeedOutsideTheImageIsAClearError) {
  const Fixture f = twoSpheres();
  const std::vector<Vec3> outside{Vec3(500.0, 0.0, 0.0)};
  try {
    connectedThreshold(f.ct, outside, {50, 150});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("outside the image"), std::string::npos) << e.what();
  }
  EXPECT_THROW(connectedThreshold(f.ct, {}, {50, 150}), Error);
  EXPECT_THROW(threshold(f.ct, {150, 50}), Error);
}

TEST(SegmentationSeeded, ConfidenceConnectedGrowsTheSeedsTissue) {
  const Fixture f = twoSpheres();
  const std::vector<Vec3> seed{kCentreA};
  // A homogeneous sphere: mean 100, SD 0 -> the range is [100, 100], exactly sphere A.
  EXPECT_EQ(dice(confidenceConnected(f.ct, seed), f.sphereA), 1.0);
}

TEST(SegmentationSeeded, FastMarchingStopsAtTheSpheresEdge) {
  const Fixture f = twoSpheres();
  const std::vector<Vec3> seed{kCentreA};
  FastMarchingOptions options;
  // Beyond the radius: the edge (speed ~0) must stop the front. The step of 100 over a 1 mm
  // Gaussian peaks at 100 / (sqrt(2 pi) 1 mm) = 40 per mm: the edge gradient.
  options.arrivalTime = 20.0;
  options.speed.edgeGradient_per_mm = 40.0;
  const RegionMask front = fastMarching(f.ct, seed, options);
  // The front slows down inside the blurred edge, a voxel short of it on this coarse grid
  // (2 mm slices through an 8 mm sphere): measured Dice 0.85.
  EXPECT_GT(dice(front, f.sphereA), 0.8);
  EXPECT_EQ(dice(front, f.sphereB), 0.0);
}

TEST(SegmentationSeeded, SmoothingToolsPreviewOnOneSlice) {
  // The Gaussian filters need 4 voxels along each axis: a one-slice preview runs on a widened
  // box and is cut back to the slice, equal to that slice of a run on the widened box itself.
  const Fixture f = twoSpheres();
  const ImageGeometry& g = f.ct.geometry();
  const Vec3 seedIjk = g.lpsToIndex(kCentreA);
  const std::int64_t k = std::llround(seedIjk[2]);
  const std::vector<Vec3> seed{kCentreA};
  FastMarchingOptions options;
  options.arrivalTime = 20.0;
  options.speed.edgeGradient_per_mm = 40.0;
  const RegionMask slice = fastMarching(f.ct, seed, options, sliceBox(g, k));
  ASSERT_EQ(slice.geometry.size[2], 1);
  const VoxelBox four{{0, 0, k - 2}, {g.size[0], g.size[1], k + 2}};
  const RegionMask wide = onGrid(fastMarching(f.ct, seed, options, four), g);
  const RegionMask pasted = onGrid(slice, g);
  std::size_t inSlice = 0;
  for (std::int64_t j = 0; j < g.size[1]; ++j)
    for (std::int64_t i = 0; i < g.size[0]; ++i) {
      const std::size_t v = g.linearIndex(i, j, k);
      ASSERT_EQ(pasted.inside[v], wide.inside[v]) << i << "," << j;
      inSlice += pasted.inside[v];
    }
  EXPECT_GT(inSlice, 50u);
  const std::vector<std::vector<Vec3>> markers{{kCentreA}, {g.indexToLps(Vec3(1, 1, double(k)))}};
  const WatershedResult labels = watershed(f.ct, markers, 1.0, sliceBox(g, k));
  EXPECT_EQ(labels.geometry.size[2], 1);
  EXPECT_GT(labels.mask(1).count(), 50u);
}

TEST(SegmentationSeeded, GeodesicActiveContourFindsTheSphere) {
  const Fixture f = twoSpheres();
  const std::vector<Vec3> seed{kCentreA};
  GeodesicOptions options;
  options.speed.edgeGradient_per_mm = 40.0;  // as for fast marching
  const RegionMask contour = geodesicActiveContour(f.ct, seed, options);
  // From a 5 mm sphere out to the 8 mm sphere's edge: measured Dice 0.968.
  EXPECT_GT(dice(contour, f.sphereA), 0.95);
  // A start sphere of 1 mm is widened to two voxels along the coarsest axis (4 mm) instead of
  // collapsing under its own curvature.
  options.initialRadius_mm = 1.0;
  EXPECT_GT(dice(geodesicActiveContour(f.ct, seed, options), f.sphereA), 0.9);
}

TEST(SegmentationSeeded, WatershedSplitsAtTheEdges) {
  const Fixture f = twoSpheres();
  const ImageGeometry& g = f.ct.geometry();
  const std::vector<std::vector<Vec3>> seeds{
      {kCentreA}, {kCentreB}, {g.indexToLps(Vec3(1, 1, 1)), g.indexToLps(Vec3(46, 38, 22))}};
  const WatershedResult result = watershed(f.ct, seeds);
  EXPECT_GT(dice(result.mask(1), f.sphereA), 0.9);
  EXPECT_GT(dice(result.mask(2), f.sphereB), 0.85);
}

TEST(SegmentationSeeded, CancelStopsATool) {
  const Fixture f = twoSpheres();
  const std::vector<Vec3> seed{kCentreA};
  test::RecordingProgress cancelAtOnce(0);
  EXPECT_THROW(connectedThreshold(f.ct, seed, {50, 150}, std::nullopt, cancelAtOnce), Cancelled);
  test::RecordingProgress cancelLater(1);
  EXPECT_THROW(fastMarching(f.ct, seed, {}, std::nullopt, cancelLater), Cancelled);
}

TEST(SegmentationSeeded, HuPresetsAreTheCitedRanges) {
  EXPECT_EQ(huRange(HuPreset::Bone).low_HU, 200.0);
  EXPECT_EQ(huRange(HuPreset::Fat).low_HU, -190.0);
  EXPECT_EQ(huRange(HuPreset::Fat).high_HU, -30.0);
  EXPECT_EQ(huPresetFromString("lung"), HuPreset::Lung);
  EXPECT_THROW(huPresetFromString("metal"), Error);
}
