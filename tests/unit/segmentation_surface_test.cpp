// Segment -> closed surface: a voxelised sphere on an oblique, anisotropic grid gives a closed
// mesh with the analytic volume, area and centre in LPS and outward normals; the phantom's
// tumours give their true volumes; border, empty, multi-layer, cancel and decimation cases.
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/segmentation/mesh_metrics.h"
#include "twinplan/segmentation/segment_surface.h"

namespace twinplan::segmentation {
namespace {

constexpr double kRadius_mm = 15.0;

Vec3 toVec(const std::array<float, 3>& p) { return {p[0], p[1], p[2]}; }

// 0.8 x 0.8 x 1.5 mm voxels, tilted 10 degrees about L-R, away from the LPS origin.
ImageGeometry obliqueGrid(const Mat3& extraAxes = Mat3::Identity()) {
  ImageGeometry g;
  g.size = {48, 48, 30};
  g.spacing_mm = Vec3(0.8, 0.8, 1.5);
  const double a = 10.0 * M_PI / 180.0;
  g.direction << 1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a);
  g.direction = g.direction * extraAxes;
  g.origin_lps = Vec3(-42.5, 17.25, 103.0);
  return g;
}

// Off the voxel centres, so the test does not rely on a symmetric voxelisation.
Vec3 centreOf(const ImageGeometry& g) { return g.indexToLps(Vec3(23.8, 23.35, 14.6)); }

// Labels every voxel whose centre is within radius_mm of centre_lps with `segment`.
void paintSphere(LabelMap& labels, std::size_t segment, const Vec3& centre_lps, double radius_mm) {
  const ImageGeometry& g = labels.geometry();
  const Segment& s = labels.segments()[segment];
  auto& layer = labels.layer(s.layer);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(
            Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)));
        if ((p - centre_lps).norm() <= radius_mm) layer[g.linearIndex(i, j, k)] = s.value;
      }
}

LabelMap sphereLabels(const ImageGeometry& g) {
  LabelMap labels(g);
  labels.name = "Test labels";
  const std::size_t ball = labels.addSegment({"Ball", "tumour", Rgb{255, 128, 0}});
  paintSphere(labels, ball, centreOf(g), kRadius_mm);
  return labels;
}

double sphereVolume_ml(double r_mm) { return 4.0 / 3.0 * M_PI * std::pow(r_mm, 3) / 1000.0; }

// Fraction of points whose normal points away from `centre_lps`.
double outwardFraction(const SurfaceMesh& mesh, const Vec3& centre_lps) {
  std::size_t outward = 0;
  for (std::size_t n = 0; n < mesh.points_lps.size(); ++n)
    outward += toVec(mesh.normals[n]).dot(toVec(mesh.points_lps[n]) - centre_lps) > 0.0;
  return static_cast<double>(outward) / static_cast<double>(mesh.points_lps.size());
}

Vec3 pointCentroid(const SurfaceMesh& mesh) {
  Vec3 sum = Vec3::Zero();
  for (const auto& p : mesh.points_lps) sum += toVec(p);
  return sum / static_cast<double>(mesh.points_lps.size());
}

TEST(SegmentSurface, SphereOnAnObliqueAnisotropicGridMatchesTheAnalyticSphere) {
  const ImageGeometry g = obliqueGrid();
  const LabelMap labels = sphereLabels(g);
  const SurfaceMesh mesh = buildSurface(labels, labels.segments()[0]);
  ASSERT_FALSE(mesh.triangles.empty());
  EXPECT_TRUE(isClosedManifold(mesh));
  const Vec3 centre = centreOf(g);
  const double volumeError = enclosedVolume_ml(mesh) / sphereVolume_ml(kRadius_mm) - 1.0;
  const double areaError = surfaceArea_mm2(mesh) / (4.0 * M_PI * kRadius_mm * kRadius_mm) - 1.0;
  const double centreOff_mm = (pointCentroid(mesh) - centre).norm();
  const double outward = outwardFraction(mesh, centre);
  const double voxelError = static_cast<double>(labels.voxelCount(0)) * g.spacing_mm.prod() /
                                1000.0 / sphereVolume_ml(kRadius_mm) -
                            1.0;
  std::printf(
      "[   INFO   ] sphere r 15 mm: %zu triangles, volume %+.2f %% (voxels %+.2f %%), area "
      "%+.2f %%, centroid off %.3f mm, %.2f %% normals outward\n",
      mesh.triangles.size(), 100.0 * volumeError, 100.0 * voxelError, 100.0 * areaError,
      centreOff_mm, 100.0 * outward);
  EXPECT_LT(std::abs(volumeError), 0.03);
  EXPECT_LT(std::abs(areaError), 0.05);
  EXPECT_LT(centreOff_mm, 0.3);
  EXPECT_GT(outward, 0.99);
  // Every point lies near the sphere (smoothing leaves well under a voxel of error).
  for (const auto& p : mesh.points_lps) ASSERT_NEAR((toVec(p) - centre).norm(), kRadius_mm, 0.8);
  ASSERT_EQ(mesh.normals.size(), mesh.points_lps.size());
  for (const auto& n : mesh.normals) ASSERT_NEAR(toVec(n).norm(), 1.0, 1e-4);
  EXPECT_EQ(mesh.name, "Ball");
  EXPECT_EQ(mesh.segmentName, "Ball");
  EXPECT_EQ(mesh.colour, (Rgb{255, 128, 0}));
}

TEST(SegmentSurface, LeftHandedGridStillGivesOutwardTriangles) {
  // The k axis reversed (determinant -1), as in some DICOM series sorted head first.
  const ImageGeometry g = obliqueGrid(Eigen::Vector3d(1, 1, -1).asDiagonal());
  ASSERT_LT(g.direction.determinant(), 0.0);
  const LabelMap labels = sphereLabels(g);
  const SurfaceMesh mesh = buildSurface(labels, labels.segments()[0]);
  EXPECT_TRUE(isClosedManifold(mesh));
  EXPECT_NEAR(enclosedVolume_ml(mesh) / sphereVolume_ml(kRadius_mm), 1.0, 0.03);
  EXPECT_GT(outwardFraction(mesh, centreOf(g)), 0.99);
  EXPECT_LT((pointCentroid(mesh) - centreOf(g)).norm(), 0.3);
}

TEST(SegmentSurface, EmptySegmentIsRefusedByName) {
  LabelMap labels(obliqueGrid());
  labels.addSegment({"Gallbladder", "gallbladder", Rgb{0, 200, 0}});
  try {
    buildSurface(labels, labels.segments()[0]);
    FAIL() << "expected Error(InvalidInput)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(e.context(), "Gallbladder");
    EXPECT_NE(std::string(e.what()).find("Gallbladder"), std::string::npos) << e.what();
  }
  Segment elsewhere = labels.segments()[0];
  elsewhere.layer = 3;
  EXPECT_THROW(buildSurface(labels, elsewhere), Error);
}

TEST(SegmentSurface, SegmentTouchingTheGridBorderIsClosed) {
  const ImageGeometry g = obliqueGrid();
  LabelMap labels(g);
  const std::size_t body = labels.addSegment({"Body", "skin", Rgb{177, 122, 101}});
  // A ball centred on the grid's corner voxel: cut by three faces of the grid.
  paintSphere(labels, body, g.indexToLps(Vec3(0, 0, 0)), kRadius_mm);
  // and a slab across the whole grid: cut by four faces.
  auto& layer = labels.layer(0);
  for (std::int64_t k = 20; k < 24; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) layer[g.linearIndex(i, j, k)] = 1;
  SurfaceOptions unsmoothed;
  unsmoothed.smoothingIterations = 0;
  for (const SurfaceOptions& options : {SurfaceOptions{}, unsmoothed}) {
    const SurfaceMesh mesh = buildSurface(labels, labels.segments()[body], options);
    EXPECT_TRUE(isClosedManifold(mesh));
    // Unsmoothed, the surface runs half a voxel outside the border voxels' centres, i.e.
    // along the grid's border; the ball's flat cuts then enclose its voxels' volume.
    const double voxels_ml = labels.volume_ml(body);
    std::printf("[   INFO   ] border: %.2f ml enclosed, %.2f ml of voxels (%d iterations)\n",
                enclosedVolume_ml(mesh), voxels_ml, options.smoothingIterations);
    EXPECT_NEAR(enclosedVolume_ml(mesh) / voxels_ml, 1.0, 0.05);
  }
}

TEST(SegmentSurface, BuildSurfacesGivesOneMeshPerNonEmptySegmentAcrossLayers) {
  const ImageGeometry g = obliqueGrid();
  LabelMap labels(g);
  const Vec3 centre = centreOf(g);
  const std::size_t organ = labels.addSegment({"Organ", "liver", Rgb{221, 130, 101}});
  labels.addSegment({"Unused", "fat", Rgb{1, 2, 3}, 0, 2});
  Segment lesion{"Lesion", "tumour", Rgb{255, 255, 0}};
  lesion.layer = 1;
  const std::size_t lesionIndex = labels.addSegment(lesion);
  paintSphere(labels, organ, centre, kRadius_mm);
  paintSphere(labels, lesionIndex, centre + Vec3(3, 0, 2), 5.0);  // inside the organ
  test::RecordingProgress progress;
  const std::vector<SurfaceMesh> meshes = buildSurfaces(labels, {}, progress);
  ASSERT_EQ(meshes.size(), 2u);
  EXPECT_EQ(meshes[0].name, "Organ");
  EXPECT_EQ(meshes[1].name, "Lesion");
  EXPECT_EQ(meshes[1].colour, (Rgb{255, 255, 0}));
  for (const SurfaceMesh& mesh : meshes) EXPECT_TRUE(isClosedManifold(mesh)) << mesh.name;
  // The organ's layer holds it whole, lesion included.
  EXPECT_NEAR(enclosedVolume_ml(meshes[0]) / sphereVolume_ml(kRadius_mm), 1.0, 0.03);
  EXPECT_NEAR(enclosedVolume_ml(meshes[1]) / sphereVolume_ml(5.0), 1.0, 0.08);
  ASSERT_FALSE(progress.fractions.empty());
  EXPECT_TRUE(std::is_sorted(progress.fractions.begin(), progress.fractions.end()));
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);
  // A chosen subset, in the order asked for; an index out of range is refused.
  const auto lesionOnly = buildSurfaces(labels, std::vector<std::size_t>{lesionIndex, 1});
  ASSERT_EQ(lesionOnly.size(), 1u);
  EXPECT_EQ(lesionOnly[0].name, "Lesion");
  EXPECT_THROW(buildSurfaces(labels, std::vector<std::size_t>{7}), Error);
}

// Five balls of different sizes in two layers, and an empty segment between them.
LabelMap severalBalls() {
  const ImageGeometry g = obliqueGrid();
  LabelMap labels(g);
  labels.name = "Balls";
  const Vec3 centre = centreOf(g);
  const std::size_t a = labels.addSegment({"A", "liver", Rgb{200, 0, 0}});
  const std::size_t b = labels.addSegment({"B", "spleen", Rgb{0, 200, 0}, 0, 2});
  labels.addSegment({"Empty", "fat", Rgb{1, 2, 3}, 0, 3});
  const std::size_t c = labels.addSegment({"C", "kidney", Rgb{0, 0, 200}, 0, 4});
  const std::size_t d = labels.addSegment({"D", "aorta", Rgb{200, 200, 0}, 0, 5});
  const std::size_t e = labels.addSegment({"E", "tumour", Rgb{255, 255, 0}, 1, 1});
  paintSphere(labels, a, centre + Vec3(-9, -9, 0), 8.0);
  paintSphere(labels, b, centre + Vec3(9, -9, 0), 6.0);
  paintSphere(labels, c, centre + Vec3(-9, 9, 0), 7.0);
  paintSphere(labels, d, centre + Vec3(9, 9, 0), 5.0);
  paintSphere(labels, e, centre, 10.0);  // across the others, in its own layer
  return labels;
}

TEST(SegmentSurface, BuildSurfacesGivesTheMeshesOfBuildSurfaceInSegmentOrder) {
  // On a multi-core machine the segments are built concurrently; the meshes must not show it.
  const LabelMap labels = severalBalls();
  SurfaceOptions options;
  options.targetReduction = 0.3;
  test::RecordingProgress progress;
  const std::vector<SurfaceMesh> meshes = buildSurfaces(labels, options, progress);
  const std::vector<std::string> names{"A", "B", "C", "D", "E"};
  ASSERT_EQ(meshes.size(), names.size());
  for (std::size_t m = 0; m < meshes.size(); ++m) {
    const SurfaceMesh alone =
        buildSurface(labels, labels.segments()[*labels.findSegment(names[m])], options);
    EXPECT_EQ(meshes[m].name, names[m]);
    EXPECT_EQ(meshes[m].colour, alone.colour) << names[m];
    EXPECT_EQ(meshes[m].points_lps, alone.points_lps) << names[m];
    EXPECT_EQ(meshes[m].triangles, alone.triangles) << names[m];
    EXPECT_EQ(meshes[m].normals, alone.normals) << names[m];
  }
  EXPECT_TRUE(std::is_sorted(progress.fractions.begin(), progress.fractions.end()));
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);
}

template <class T>
bool sameBytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

TEST(SegmentSurface, BuildSurfacesGivesTheSameBytesOnOneAndManyThreads) {
  // The thread cap holds for VTK's own TBB loops (flying edges) as well as the segments.
  const LabelMap labels = severalBalls();
  SurfaceOptions options;
  options.targetReduction = 0.3;
  std::vector<SurfaceMesh> serial;
  {
    const parallel::ThreadLimit one(1);
    serial = buildSurfaces(labels, options);
  }
  const parallel::ThreadLimit many(4);
  std::printf("[   INFO   ] 1 thread against %zu\n", parallel::maxThreads());
  const std::vector<SurfaceMesh> concurrent = buildSurfaces(labels, options);
  ASSERT_EQ(serial.size(), 5u);
  ASSERT_EQ(concurrent.size(), serial.size());
  for (std::size_t m = 0; m < serial.size(); ++m) {
    EXPECT_EQ(concurrent[m].name, serial[m].name);
    EXPECT_GT(serial[m].triangles.size(), 100u);
    EXPECT_TRUE(sameBytes(concurrent[m].points_lps, serial[m].points_lps)) << serial[m].name;
    EXPECT_TRUE(sameBytes(concurrent[m].normals, serial[m].normals)) << serial[m].name;
    EXPECT_TRUE(sameBytes(concurrent[m].triangles, serial[m].triangles)) << serial[m].name;
  }
}

TEST(SegmentSurface, BuildSurfacesStopsOnCancelAndOnAFailingProgressSink) {
  const LabelMap labels = severalBalls();
  // Cancelled once the surfaces are under way (the labelmap scan reports up to 0.1).
  bool cancel = false;
  CallbackProgress cancelling([&](double fraction, std::string_view) { cancel = fraction > 0.1; },
                              [&] { return cancel; });
  EXPECT_THROW(buildSurfaces(labels, {}, cancelling), Cancelled);
  // An error from the caller's sink while workers run reaches the caller after they stopped.
  CallbackProgress failing([](double fraction, std::string_view) {
    if (fraction > 0.1) throw Error(ErrorKind::Internal, "The progress bar is gone.");
  });
  EXPECT_THROW(buildSurfaces(labels, {}, failing), Error);
  // Nothing is left half-done: a build afterwards gives every mesh.
  EXPECT_EQ(buildSurfaces(labels).size(), 5u);
}

TEST(SegmentSurface, CancelAtAnyStepThrowsCancelled) {
  const LabelMap labels = sphereLabels(obliqueGrid());
  test::RecordingProgress all;
  buildSurface(labels, labels.segments()[0], {}, all);
  ASSERT_GE(all.fractions.size(), 4u);
  for (int at : {0, 1, 2, static_cast<int>(all.fractions.size()) - 1}) {
    test::RecordingProgress cancelling(at);
    EXPECT_THROW(buildSurface(labels, labels.segments()[0], {}, cancelling), Cancelled)
        << "cancel at report " << at;
  }
}

TEST(SegmentSurface, DecimationKeepsTheSurfaceClosedAndItsVolume) {
  const ImageGeometry g = obliqueGrid();
  const LabelMap labels = sphereLabels(g);
  const SurfaceMesh full = buildSurface(labels, labels.segments()[0]);
  SurfaceOptions halved;
  halved.targetReduction = 0.5;
  SurfaceOptions capped;
  capped.maxTriangles = 1000;
  for (const SurfaceOptions& options : {halved, capped}) {
    const SurfaceMesh mesh = buildSurface(labels, labels.segments()[0], options);
    const double kept =
        static_cast<double>(mesh.triangles.size()) / static_cast<double>(full.triangles.size());
    std::printf("[   INFO   ] decimated %zu -> %zu triangles, volume %+.2f %%\n",
                full.triangles.size(), mesh.triangles.size(),
                100.0 * (enclosedVolume_ml(mesh) / sphereVolume_ml(kRadius_mm) - 1.0));
    EXPECT_TRUE(isClosedManifold(mesh));
    EXPECT_NEAR(enclosedVolume_ml(mesh) / sphereVolume_ml(kRadius_mm), 1.0, 0.03);
    EXPECT_GT(outwardFraction(mesh, centreOf(g)), 0.99);
    if (options.maxTriangles > 0)
      EXPECT_LE(mesh.triangles.size(), static_cast<std::size_t>(1.05 * options.maxTriangles));
    else
      EXPECT_NEAR(kept, 0.5, 0.05);
  }
}

TEST(SegmentSurface, DecimationNeverOpensAThinShell) {
  // A shell one to two voxels thick, like skin: quadric decimation at 95 % collapses its
  // walls into non-manifold edges, so the builder must back off.
  const ImageGeometry g = obliqueGrid();
  LabelMap labels(g);
  const std::size_t shell = labels.addSegment({"Shell", "skin", Rgb{177, 122, 101}});
  paintSphere(labels, shell, centreOf(g), kRadius_mm);
  auto& layer = labels.layer(0);
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(
            Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)));
        if ((p - centreOf(g)).norm() < kRadius_mm - 1.5) layer[g.linearIndex(i, j, k)] = 0;
      }
  SurfaceOptions options;
  options.targetReduction = 0.95;
  const SurfaceMesh mesh = buildSurface(labels, labels.segments()[shell], options);
  EXPECT_TRUE(isClosedManifold(mesh));
  EXPECT_NEAR(enclosedVolume_ml(mesh) / labels.volume_ml(shell), 1.0, 0.1);
}

TEST(SegmentSurface, SameLabelsGiveTheSameMesh) {
  const LabelMap labels = sphereLabels(obliqueGrid());
  SurfaceOptions options;
  options.targetReduction = 0.3;
  const SurfaceMesh a = buildSurface(labels, labels.segments()[0], options);
  const SurfaceMesh b = buildSurface(labels, labels.segments()[0], options);
  EXPECT_EQ(a.points_lps, b.points_lps);
  EXPECT_EQ(a.triangles, b.triangles);
  EXPECT_EQ(a.normals, b.normals);
}

TEST(SegmentSurface, RejectsBadOptions) {
  const LabelMap labels = sphereLabels(obliqueGrid());
  auto contextOf = [&](const SurfaceOptions& options) -> std::string {
    try {
      buildSurface(labels, labels.segments()[0], options);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      return e.context();
    }
    return "accepted";
  };
  SurfaceOptions o;
  o.targetReduction = 0.99;
  EXPECT_EQ(contextOf(o), "targetReduction");
  o = {};
  o.passBand = 0.0;
  EXPECT_EQ(contextOf(o), "passBand");
  o = {};
  o.smoothingIterations = -1;
  EXPECT_EQ(contextOf(o), "smoothingIterations");
}

// A cube of side 10 mm far from the LPS origin: exact volume and area.
SurfaceMesh cube() {
  SurfaceMesh mesh;
  for (int n = 0; n < 8; ++n)
    mesh.points_lps.push_back({1000.0f + 10.0f * static_cast<float>(n & 1),
                               -2000.0f + 10.0f * static_cast<float>((n >> 1) & 1),
                               500.0f + 10.0f * static_cast<float>((n >> 2) & 1)});
  // Counter-clockwise seen from outside (corner n has x = bit 0, y = bit 1, z = bit 2).
  mesh.triangles = {{0, 2, 3}, {0, 3, 1}, {4, 5, 7}, {4, 7, 6}, {0, 1, 5}, {0, 5, 4},
                    {2, 6, 7}, {2, 7, 3}, {0, 4, 6}, {0, 6, 2}, {1, 3, 7}, {1, 7, 5}};
  return mesh;
}

TEST(MeshMetrics, CubeHasExactVolumeAndArea) {
  SurfaceMesh box = cube();
  EXPECT_TRUE(isClosedManifold(box));
  EXPECT_NEAR(enclosedVolume_ml(box), 1.0, 1e-9);
  EXPECT_NEAR(surfaceArea_mm2(box), 600.0, 1e-9);
  for (auto& t : box.triangles) std::swap(t[1], t[2]);  // inside out
  EXPECT_TRUE(isClosedManifold(box));
  EXPECT_NEAR(enclosedVolume_ml(box), -1.0, 1e-9);
}

TEST(MeshMetrics, OpenOrInconsistentSurfacesAreNotClosed) {
  SurfaceMesh open = cube();
  open.triangles.pop_back();
  EXPECT_FALSE(isClosedManifold(open));
  SurfaceMesh flipped = cube();
  std::swap(flipped.triangles[3][1], flipped.triangles[3][2]);
  EXPECT_FALSE(isClosedManifold(flipped));
  SurfaceMesh doubled = cube();
  doubled.triangles.push_back(doubled.triangles.front());
  EXPECT_FALSE(isClosedManifold(doubled));
  SurfaceMesh outOfRange = cube();
  outOfRange.triangles[0][0] = 99;
  EXPECT_FALSE(isClosedManifold(outOfRange));
  EXPECT_FALSE(isClosedManifold(SurfaceMesh{}));
  // An icosphere is closed and close to its sphere.
  const SurfaceMesh ball = test::icosphere(Vec3(5, 6, 7), 20.0, 4, false);
  EXPECT_TRUE(isClosedManifold(ball));
  EXPECT_NEAR(enclosedVolume_ml(ball) / sphereVolume_ml(20.0), 1.0, 0.01);
}

TEST(SegmentSurface, PhantomTumoursEncloseTheirTrueVolumes) {
  phantom::PhantomOptions options;
  options.surfaceModels = false;  // the meshes are built here, from the truth
  const phantom::Phantom p = phantom::makePhantom(options);
  const LabelMap& truth = p.twin.labelMaps.front();
  for (const phantom::TumourTruth& tumour : p.tumours) {
    const Segment& segment = truth.segments()[*truth.findSegment(tumour.name)];
    const SurfaceMesh mesh = buildSurface(truth, segment);
    const double expected_ml = M_PI * std::pow(tumour.diameter_mm, 3) / 6.0 / 1000.0;
    const double error = enclosedVolume_ml(mesh) / expected_ml - 1.0;
    const double centreOff_mm = (pointCentroid(mesh) - tumour.centre_lps).norm();
    std::printf("[   INFO   ] %s (%.0f mm): volume %+.2f %%, centroid off %.3f mm\n",
                tumour.name.c_str(), tumour.diameter_mm, 100.0 * error, centreOff_mm);
    EXPECT_TRUE(isClosedManifold(mesh)) << tumour.name;
    EXPECT_LT(std::abs(error), 0.03) << tumour.name;
    EXPECT_LT(centreOff_mm, 0.5) << tumour.name;
  }
}

}  // namespace
}  // namespace twinplan::segmentation
