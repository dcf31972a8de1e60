#pragma once
// Registration test inputs with known answers: the head phantom (CT and MR T1 on one grid,
// with its true labels), and copies of a series "moved" by a known transform by rewriting the
// geometry alone (origin and direction), i.e. exactly a series acquired after the patient
// moved, with no interpolation.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <array>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "head_phantom.h"
#include "test_support.h"
#include "twinplan/core/spatial_transform.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::test {

inline const ImageVolume& volumeOf(const phantom::Phantom& p, const std::string& name) {
  const ImageVolume* v = findVolume(p.twin, name);
  if (!v) throw std::runtime_error("the phantom has no " + name);
  return *v;
}

// A suite whose tests register the head phantom at scale 0.5 (its CT and MR T1 on one grid),
// made once for the suite. Per suite (Suite is the derived class).
template <class Suite>
class HeadPhantomSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { head_ = std::make_unique<phantom::Phantom>(headPhantom(0.5)); }
  static void TearDownTestSuite() { head_.reset(); }
  static const ImageVolume& ct() { return volumeOf(*head_, "CT"); }
  static const ImageVolume& mr() { return volumeOf(*head_, "MR T1"); }
  static inline std::unique_ptr<phantom::Phantom> head_;
};

// A suite whose tests read the head phantom's DICOM series (CT and MR T1 on one grid), written
// once for the suite into a temporary folder: call writeHeadPhantomSeries from the suite's
// SetUpTestSuite. Per suite (Suite is the derived class), so two suites in one binary do not
// share it.
template <class Suite>
class HeadPhantomSeriesSuite : public ::testing::Test {
 protected:
  static void writeHeadPhantomSeries(const std::string& folderTag, double scale) {
    dir_ = std::make_unique<TempDir>(folderTag);
    const phantom::PhantomFiles files = phantom::writePhantom(headPhantom(scale), dir_->path());
    ct_ = std::make_unique<std::filesystem::path>(files.seriesDirs.at(0));
    mr_ = std::make_unique<std::filesystem::path>(files.seriesDirs.at(1));
  }
  static void TearDownTestSuite() {
    ct_.reset();
    mr_.reset();
    dir_.reset();
  }
  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<std::filesystem::path> ct_, mr_;
};

// A copy of `volume` whose voxels lie where `truth` (fixed -> moving, rigid) maps them: voxel
// ijk, at x in the original, is at truth(x) in the copy. So the anatomy at p in the original
// is at truth(p) in the copy, and a registration of the copy onto the original must return
// `truth`.
inline ImageVolume movedRigidly(const ImageVolume& volume, const SpatialTransform& truth,
                                const std::string& name) {
  ImageVolume moved = volume;  // voxels shared, not copied
  ImageGeometry g = volume.geometry();
  g.origin_lps = truth.apply(g.origin_lps);
  g.direction = truth.matrix * g.direction;
  moved.setGeometry(g);
  moved.name = name;
  return moved;
}

// The 8 outer corners of a grid (voxel centres), in LPS.
inline std::vector<Vec3> boxCorners(const ImageGeometry& g) {
  std::vector<Vec3> corners;
  for (int c = 0; c < 8; ++c)
    corners.push_back(g.indexToLps(Vec3((c & 1) ? double(g.size[0] - 1) : 0.0,
                                        (c & 2) ? double(g.size[1] - 1) : 0.0,
                                        (c & 4) ? double(g.size[2] - 1) : 0.0)));
  return corners;
}

// The largest distance between where two transforms take the given points (mm).
inline double maxDisagreement_mm(const SpatialTransform& a, const SpatialTransform& b,
                                 const std::vector<Vec3>& points) {
  double worst = 0.0;
  for (const Vec3& p : points) worst = std::max(worst, (a.apply(p) - b.apply(p)).norm());
  return worst;
}

// The angle (deg) of the rotation that takes one rotation matrix to the other.
inline double rotationDifference_deg(const Mat3& a, const Mat3& b) {
  const Eigen::AngleAxisd diff(Mat3(a.transpose() * b));
  return std::abs(diff.angle()) * 180.0 / M_PI;
}

// 5 degrees about an oblique axis and 8 mm: a patient who moved between two scans.
inline SpatialTransform knownRigidMotion() {
  const Mat3 rotation =
      Eigen::AngleAxisd(5.0 * M_PI / 180.0, Vec3(0.3, -0.5, 1.0).normalized()).toRotationMatrix();
  return SpatialTransform::rigid(rotation, Vec3(5.0, -4.0, 4.8));  // |t| = 8.0 mm
}

}  // namespace twinplan::test
