// Distance-map morphology against analytic answers: the distance map against brute force on an
// anisotropic grid; a grown sphere between the two analytic balls the voxel size allows and at
// the analytic volume, on an anisotropic and an oblique grid; opening a cube gives the Steiner
// volume of the rounded cube, closing gives the cube back; shell volumes; holes; Gaussian
// smoothing; fill between slices against the true sphere; cancel.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/segmentation/morphology.h"

namespace twinplan::segmentation {
namespace {

// The grid the brief names: 0.7 x 0.7 x 2.5 mm (a thin-slice CT reconstructed at 2.5 mm).
ImageGeometry anisotropicGrid(std::int64_t n_ij = 64, std::int64_t n_k = 24) {
  ImageGeometry g;
  g.size = {n_ij, n_ij, n_k};
  g.spacing_mm = Vec3(0.7, 0.7, 2.5);
  g.origin_lps = Vec3(-20.0, 13.0, 101.0);
  return g;
}

// The same voxels tilted 17 degrees about L-R and 9 about A-P (an oblique MR acquisition).
ImageGeometry obliqueGrid() {
  ImageGeometry g = anisotropicGrid();
  const double a = 17.0 * M_PI / 180.0, b = 9.0 * M_PI / 180.0;
  Mat3 rx, ry;
  rx << 1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a);
  ry << std::cos(b), 0, std::sin(b), 0, 1, 0, -std::sin(b), 0, std::cos(b);
  g.direction = ry * rx;
  return g;
}

Vec3 voxelCentre(const ImageGeometry& g, std::int64_t i, std::int64_t j, std::int64_t k) {
  return g.indexToLps(Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)));
}

// Off the voxel centres, so that nothing relies on a symmetric voxelisation.
Vec3 centreOf(const ImageGeometry& g) {
  return g.indexToLps(Vec3(0.5 * static_cast<double>(g.size[0]) - 0.3,
                           0.5 * static_cast<double>(g.size[1]) + 0.2,
                           0.5 * static_cast<double>(g.size[2]) - 0.4));
}

BinaryMask ball(const ImageGeometry& g, const Vec3& centre_lps, double radius_mm) {
  BinaryMask mask(g);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        mask.voxels[g.linearIndex(i, j, k)] =
            (voxelCentre(g, i, j, k) - centre_lps).norm() <= radius_mm;
  return mask;
}

double ballVolume_mm3(double r_mm) { return 4.0 / 3.0 * M_PI * r_mm * r_mm * r_mm; }
double voxelDiagonal_mm(const ImageGeometry& g) { return g.spacing_mm.norm(); }

TEST(SegmentationMorphology, DistanceMapEqualsBruteForceOnAnAnisotropicObliqueGrid) {
  const ImageGeometry g = obliqueGrid();
  BinaryMask sites(g);
  std::mt19937 random(7);
  std::vector<Index3> placed;
  for (int n = 0; n < 12; ++n) {
    const Index3 ijk{static_cast<std::int64_t>(random() % 64),
                     static_cast<std::int64_t>(random() % 64),
                     static_cast<std::int64_t>(random() % 24)};
    sites.voxels[g.linearIndex(ijk[0], ijk[1], ijk[2])] = 1;
    placed.push_back(ijk);
  }
  const std::vector<float> d = distance_mm(sites, true);
  double worst = 0.0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; j += 3)
      for (std::int64_t i = 0; i < g.size[0]; i += 5) {
        double nearest = 1e9;
        for (const Index3& s : placed)  // in patient space: the direction cosines included
          nearest = std::min(nearest,
                             (voxelCentre(g, i, j, k) - voxelCentre(g, s[0], s[1], s[2])).norm());
        worst = std::max(worst, std::abs(nearest - d[g.linearIndex(i, j, k)]));
      }
  EXPECT_LT(worst, 1e-4);  // exact up to float rounding
}

// Sphere answers within the voxelisation error. The tools are exact lattice morphology (the
// voxel centres of the mask dilated by a ball of m mm), so with d the voxel diagonal (every
// point has a voxel centre within d/2):
//   ball(r + m - d) <= grow(ball(r), m) <= ball(r + m),  ball(r - m) <= shrink(ball(r), m) <=
//   ball(r - m + d)
// voxel for voxel, and the volumes lie between those of the bounding balls' voxelisations.
struct Sandwich {
  std::size_t aboveOuter = 0, belowInner = 0;
};
Sandwich sandwich(const BinaryMask& result, const Vec3& c, double inner_mm, double outer_mm) {
  const ImageGeometry& g = result.geometry;
  Sandwich s;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const double rho = (voxelCentre(g, i, j, k) - c).norm();
        const bool in = result.at(i, j, k);
        s.aboveOuter += in && rho > outer_mm + 1e-6;
        s.belowInner += !in && rho <= inner_mm;
      }
  return s;
}

// The exact definition, by brute force in patient space (direction cosines included): a voxel
// is in the dilation when a mask voxel centre lies within m mm of its centre.
BinaryMask bruteForceDilation(const BinaryMask& mask, double m) {
  const ImageGeometry& g = mask.geometry;
  std::vector<Vec3> sites;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if (mask.at(i, j, k)) sites.push_back(voxelCentre(g, i, j, k));
  BinaryMask out(g);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = voxelCentre(g, i, j, k);
        for (const Vec3& s : sites)
          if ((p - s).squaredNorm() <= m * m * (1.0 + 1e-6)) {
            out.voxels[g.linearIndex(i, j, k)] = 1;
            break;
          }
      }
  return out;
}

void expectGrownSphere(const ImageGeometry& g) {
  const double r = 9.0, m = 5.0;
  const Vec3 c = centreOf(g);
  const BinaryMask grown = grow(ball(g, c, r), m);
  const double d = voxelDiagonal_mm(g);
  const Sandwich s = sandwich(grown, c, r + m - d, r + m);
  EXPECT_EQ(s.aboveOuter, 0u);
  EXPECT_EQ(s.belowInner, 0u);
  EXPECT_GE(grown.count(), ball(g, c, r + m - d).count());
  EXPECT_LE(grown.count(), ball(g, c, r + m).count());
  ::testing::Test::RecordProperty("volumeRatio",
                                  std::to_string(grown.volume_mm3() / ballVolume_mm3(r + m)));
}

TEST(SegmentationMorphology, GrownSphereLiesBetweenTheAnalyticBallsOnAnAnisotropicGrid) {
  expectGrownSphere(anisotropicGrid());
}

TEST(SegmentationMorphology, GrownSphereLiesBetweenTheAnalyticBallsOnAnObliqueGrid) {
  expectGrownSphere(obliqueGrid());
}

TEST(SegmentationMorphology, GrowIsTheExactDilationByABallInMillimetres) {
  ImageGeometry g = obliqueGrid();
  g.size = {40, 36, 14};
  BinaryMask blob(g);  // an L-shaped bar and a lone voxel
  for (std::int64_t i = 8; i < 30; ++i) blob.voxels[g.linearIndex(i, 10, 6)] = 1;
  for (std::int64_t j = 10; j < 25; ++j) blob.voxels[g.linearIndex(8, j, 6)] = 1;
  blob.voxels[g.linearIndex(30, 28, 9)] = 1;
  for (const double m : {0.7, 2.5, 3.1, 6.0})
    EXPECT_EQ(grow(blob, m), bruteForceDilation(blob, m)) << m;
}

TEST(SegmentationMorphology, ShrunkSphereLiesBetweenTheAnalyticBalls) {
  const ImageGeometry g = anisotropicGrid();
  const double r = 14.0, m = 5.0;
  const Vec3 c = centreOf(g);
  const BinaryMask shrunk = shrink(ball(g, c, r), m);
  const Sandwich s = sandwich(shrunk, c, r - m, r - m + voxelDiagonal_mm(g));
  EXPECT_EQ(s.aboveOuter, 0u);
  EXPECT_EQ(s.belowInner, 0u);
  // Erosion is the dual of dilation: shrink(M) == NOT grow(NOT M) away from the image border.
  BinaryMask outside = ball(g, c, r);
  for (auto& v : outside.voxels) v = !v;
  BinaryMask dual = grow(outside, m);
  for (auto& v : dual.voxels) v = !v;
  EXPECT_EQ(dual, shrunk);
}

// A cube of side a opened by a ball of radius m is the cube of side s = a - 2m grown by m, of
// volume s^3 + 6 s^2 m + 3 pi s m^2 + 4/3 pi m^3 (Steiner's formula). The lattice result can
// only lose volume at the rounded edges and corners (area 3 pi s m + 4 pi m^2), by at most a
// layer of the voxel diagonal d.
TEST(SegmentationMorphology, ShrinkThenGrowOfACubeGivesTheRoundedCube) {
  ImageGeometry g;
  g.size = {80, 80, 50};
  g.spacing_mm = Vec3(0.5, 0.5, 1.0);
  BinaryMask cube(g);
  // 50 x 50 x 25 voxels = 25 mm on every side, more than the radius from the image border
  // (outside the image neither grows nor erodes a mask).
  for (std::int64_t k = 12; k < 37; ++k)
    for (std::int64_t j = 15; j < 65; ++j)
      for (std::int64_t i = 15; i < 65; ++i) cube.voxels[g.linearIndex(i, j, k)] = 1;
  const double a = 25.0, m = 4.0, s = a - 2.0 * m;
  const BinaryMask opened = grow(shrink(cube, m), m);
  const double steiner =
      s * s * s + 6 * s * s * m + 3 * M_PI * s * m * m + 4.0 / 3.0 * M_PI * m * m * m;
  const double roundedArea = 3 * M_PI * s * m + 4 * M_PI * m * m;
  EXPECT_LE(opened.volume_mm3(), steiner * 1.0 + 1e-9);
  EXPECT_GE(opened.volume_mm3(), steiner - roundedArea * voxelDiagonal_mm(g));
  ::testing::Test::RecordProperty("volumeRatio", std::to_string(opened.volume_mm3() / steiner));
  EXPECT_EQ(opened, open(cube, m));
  // Faces come back exactly; only the edges and corners are rounded.
  EXPECT_TRUE(opened.at(40, 15, 25) && opened.at(15, 40, 25) && opened.at(40, 40, 12));
  EXPECT_FALSE(opened.at(15, 15, 12));
  // Growing then shrinking (closing) a convex shape gives it back.
  EXPECT_EQ(close(cube, m), cube);
}

// Shell volumes between the bounds the sphere sandwiches give: outer part between balls of
// r + t_out - d and r + t_out, the removed core between r - t_in and r - t_in + d.
TEST(SegmentationMorphology, HollowShellVolumesLieWithinTheSphericalShellBounds) {
  const ImageGeometry g = anisotropicGrid(80, 30);
  const double r = 16.0, t = 5.0, d = voxelDiagonal_mm(g);
  const Vec3 c = centreOf(g);
  const BinaryMask solid = ball(g, c, r);
  struct Case {
    ShellPlacement placement;
    double out, in;
  };
  for (const Case& shell :
       {Case{ShellPlacement::Inside, 0.0, t}, Case{ShellPlacement::Outside, t, 0.0},
        Case{ShellPlacement::Centred, t / 2, t / 2}}) {
    const BinaryMask result = hollow(solid, t, shell.placement);
    const double outerMax = shell.out > 0 ? r + shell.out : r;
    const double outerMin = shell.out > 0 ? r + shell.out - d : r;
    const double coreMin = shell.in > 0 ? r - shell.in : r;
    const double coreMax = shell.in > 0 ? r - shell.in + d : r;
    const auto count = [&](double radius) {
      return static_cast<double>(ball(g, c, radius).count());
    };
    const double most = count(outerMax) - count(coreMin);
    // Vacuous (negative) for a shell thinner than about 2 d, as the centred one here.
    const double least = count(outerMin) - count(coreMax);
    EXPECT_LE(static_cast<double>(result.count()), most);
    EXPECT_GE(static_cast<double>(result.count()), least) << static_cast<int>(shell.placement);
    // The shell and what it was cut from share no voxel with the core.
    const BinaryMask core = shrink(solid, shell.in);
    for (std::size_t v = 0; v < result.voxels.size(); ++v)
      ASSERT_FALSE(result.voxels[v] && core.voxels[v] && shell.in > 0);
  }
  // An inside shell of the full radius is the whole sphere.
  EXPECT_EQ(hollow(solid, r + d, ShellPlacement::Inside), solid);
}

TEST(SegmentationMorphology, FillHolesFillsAHollowSphereButNotAnOpenTube) {
  const ImageGeometry g = anisotropicGrid();
  const BinaryMask solid = ball(g, centreOf(g), 12.0);
  const BinaryMask shell = hollow(solid, 3.0, ShellPlacement::Inside);
  ASSERT_LT(shell.count(), solid.count());
  EXPECT_EQ(fillHoles(shell, false), solid);
  // A tube along k, open at both ends (it stops two slices short of each image face): its
  // inside reaches the border in 3D, but each slice's ring encloses a hole.
  BinaryMask tube(g);
  BinaryMask disk(g);
  const Vec3 axis = g.indexToLps(Vec3(32, 32, 0));
  for (std::int64_t k = 2; k < g.size[2] - 2; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = voxelCentre(g, i, j, k) - axis;
        const double rho = std::hypot(p.x(), p.y());
        tube.voxels[g.linearIndex(i, j, k)] = rho <= 15.0 && rho > 12.0;
        disk.voxels[g.linearIndex(i, j, k)] = rho <= 15.0;
      }
  EXPECT_EQ(fillHoles(tube, false), tube);
  EXPECT_EQ(fillHoles(tube, true), disk);
}

// The blurred indicator of a ball of radius R at distance rho from its centre (the probability
// that a Gaussian point of sigma around it falls in the ball).
double blurredBall(double R, double sigma, double rho) {
  const double a = (R - rho) / (std::sqrt(2.0) * sigma), b = (R + rho) / (std::sqrt(2.0) * sigma);
  return 0.5 * (std::erf(a) + std::erf(b)) -
         sigma / (rho * std::sqrt(2.0 * M_PI)) * (std::exp(-a * a) - std::exp(-b * b));
}

// Smoothing a sphere re-thresholded at 0.5 gives the sphere whose radius R' solves
// blurredBall(R') = 0.5 (a little smaller: mean-curvature shrinkage); a lone voxel vanishes.
TEST(SegmentationMorphology, GaussianSmoothingGivesTheAnalyticBlurredSphereAndRemovesASpeck) {
  const ImageGeometry g = anisotropicGrid();
  const Vec3 c = centreOf(g);
  const double R = 12.0, sigma = 1.5;
  BinaryMask noisy = ball(g, c, R);
  noisy.voxels[g.linearIndex(3, 3, 3)] = 1;  // a lone voxel far from the sphere
  const BinaryMask smooth = gaussianSmooth(noisy, sigma);
  EXPECT_FALSE(smooth.at(3, 3, 3));
  double lo = R - 3 * sigma, hi = R;
  for (int n = 0; n < 60; ++n)
    (blurredBall(R, sigma, 0.5 * (lo + hi)) > 0.5 ? lo : hi) = 0.5 * (lo + hi);
  const double expected_mm = 0.5 * (lo + hi);
  EXPECT_LT(expected_mm, R - 0.1);  // the shrinkage is real at this sigma
  // Both are voxelisations by voxel centre; allow what the 2.5 mm slices make of a sphere of this
  // size: the unsmoothed sphere's own voxelisation error, plus 2% (a sphere of another radius
  // lands differently on the 2.5 mm slices).
  const double ownError = std::abs(ball(g, c, R).volume_mm3() / ballVolume_mm3(R) - 1.0);
  EXPECT_NEAR(smooth.volume_mm3() / ballVolume_mm3(expected_mm), 1.0, ownError + 0.02);
  EXPECT_THROW(gaussianSmooth(noisy, 0.0), Error);
  EXPECT_THROW(gaussianSmooth(noisy, 500.0), Error);  // would take minutes: refused
}

// Median smoothing (3D Slicer's "Median"): the window follows the spacing, a speck and a
// one-voxel pit vanish, a sphere much larger than the window keeps its voxels.
TEST(SegmentationMorphology, MedianSmoothingRemovesSpecksFillsPitsAndKeepsASphere) {
  const ImageGeometry g = anisotropicGrid();  // 0.7 x 0.7 x 2.5 mm
  // round(1.5 / 0.7) = 2, round(1.5 / 2.5) = 1; round(1.0 / 2.5) = 0: no smoothing along k.
  EXPECT_EQ(medianRadius_voxels(g, 1.5), (Index3{2, 2, 1}));
  EXPECT_EQ(medianRadius_voxels(g, 1.0), (Index3{1, 1, 0}));
  const Vec3 c = centreOf(g);
  const BinaryMask sphere = ball(g, c, 12.0);
  BinaryMask noisy = sphere;
  noisy.voxels[g.linearIndex(3, 3, 3)] = 1;  // a lone voxel far from the sphere
  const Vec3 centreIjk = g.lpsToIndex(c);
  const std::int64_t ci = std::llround(centreIjk[0]), cj = std::llround(centreIjk[1]),
                     ck = std::llround(centreIjk[2]);
  noisy.voxels[g.linearIndex(ci, cj, ck)] = 0;  // a pit in the middle
  const BinaryMask smooth = medianSmooth(noisy, 1.5);
  EXPECT_FALSE(smooth.at(3, 3, 3));
  EXPECT_TRUE(smooth.at(ci, cj, ck));
  // A 12 mm sphere under a 5x5x3-voxel window (half widths 1.4, 1.4, 2.5 mm): only its outline
  // moves. A window median shaves a convex outline by about the mean squared half width over
  // 3 R (the parts of the window beyond the curved surface): ~0.1 mm, 2.4% of the volume;
  // measured 3.9% of the voxels removed, the voxel steps of 2.5 mm slices adding the rest.
  std::size_t changed = 0;
  for (std::size_t v = 0; v < sphere.voxels.size(); ++v)
    changed += smooth.voxels[v] != sphere.voxels[v];
  EXPECT_LT(static_cast<double>(changed), 0.05 * static_cast<double>(sphere.count()));
  EXPECT_NEAR(smooth.volume_mm3() / sphere.volume_mm3(), 1.0, 0.05);
  // A bar one voxel thick along i (an extrusion) is removed by a window 5 voxels wide in i.
  BinaryMask bar(g);
  for (std::int64_t j = 10; j < 40; ++j)
    for (std::int64_t k = 5; k < 15; ++k) bar.voxels[g.linearIndex(30, j, k)] = 1;
  EXPECT_EQ(medianSmooth(bar, 1.5).count(), 0u);
  EXPECT_THROW(medianSmooth(noisy, 0.0), Error);
  EXPECT_THROW(medianSmooth(noisy, 0.3), Error);  // under half a voxel on every axis
  EXPECT_THROW(medianSmooth(noisy, 500.0), Error);
}

// A sphere drawn on every 5th slice (and on its first and last slice, as a clinician closes a
// structure) is filled in with a Dice coefficient of at least 0.95 against the true sphere.
TEST(SegmentationMorphology, FillBetweenSlicesOfASphereDrawnEveryFifthSlice) {
  ImageGeometry g;
  g.size = {64, 64, 60};
  g.spacing_mm = Vec3(0.8, 0.8, 1.0);
  const Vec3 c = voxelCentre(g, 32, 31, 29) + Vec3(0.3, -0.2, 0.4);
  const BinaryMask truth = ball(g, c, 20.0);
  std::int64_t first = -1, last = -1;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::size_t v = 0; v < static_cast<std::size_t>(64 * 64); ++v)
      if (truth.voxels[static_cast<std::size_t>(k) * 64 * 64 + v]) {
        if (first < 0) first = k;
        last = k;
      }
  BinaryMask sparse(g);
  for (std::int64_t k = first; k <= last; ++k) {
    if ((k - first) % 5 != 0 && k != last) continue;
    for (std::size_t v = 0; v < static_cast<std::size_t>(64 * 64); ++v) {
      const std::size_t at = static_cast<std::size_t>(k) * 64 * 64 + v;
      sparse.voxels[at] = truth.voxels[at];
    }
  }
  ASSERT_LT(sparse.count(), truth.count() / 3);
  const BinaryMask filled = fillBetweenSlices(sparse);
  std::size_t both = 0;
  for (std::size_t v = 0; v < filled.voxels.size(); ++v)
    both += filled.voxels[v] && truth.voxels[v];
  const double dice =
      2.0 * static_cast<double>(both) / static_cast<double>(filled.count() + truth.count());
  EXPECT_GE(dice, 0.95);
  ::testing::Test::RecordProperty("dice", std::to_string(dice));
  // Drawn slices stay as drawn.
  for (std::size_t v = 0; v < static_cast<std::size_t>(64 * 64); ++v) {
    const std::size_t at = static_cast<std::size_t>(first + 5) * 64 * 64 + v;
    ASSERT_EQ(filled.voxels[at], truth.voxels[at]);
  }
}

TEST(SegmentationMorphology, NegativeMarginIsRefusedAndEmptyMasksStayEmpty) {
  const ImageGeometry g = anisotropicGrid();
  const BinaryMask empty(g);
  EXPECT_THROW(grow(empty, -1.0), Error);
  EXPECT_THROW(shrink(empty, std::nan("")), Error);
  EXPECT_EQ(grow(empty, 5.0).count(), 0u);
  EXPECT_EQ(fillHoles(empty, false).count(), 0u);
}

TEST(SegmentationMorphology, SameVoxelsOnOneThreadAndOnMany) {
  const ImageGeometry g = obliqueGrid();
  const BinaryMask m = ball(g, centreOf(g), 11.0);
  const BinaryMask grownMany = grow(m, 3.3), smoothMany = gaussianSmooth(m, 1.2),
                   hollowMany = hollow(m, 2.0, ShellPlacement::Centred);
  parallel::ThreadLimit one(1);
  EXPECT_EQ(grow(m, 3.3), grownMany);
  EXPECT_EQ(gaussianSmooth(m, 1.2), smoothMany);
  EXPECT_EQ(hollow(m, 2.0, ShellPlacement::Centred), hollowMany);
}

TEST(SegmentationMorphology, CancelStopsTheDistanceMap) {
  const ImageGeometry g = anisotropicGrid();
  test::RecordingProgress cancelling(0);
  EXPECT_THROW(grow(ball(g, centreOf(g), 8.0), 4.0, cancelling), Cancelled);
}

}  // namespace
}  // namespace twinplan::segmentation
