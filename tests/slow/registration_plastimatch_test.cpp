// Registration validation against truth and against `plastimatch register` (Debian 1.9.4) in
// the same run (issue #15, items 7 and 8). Label "slow": minutes on 2 cores.
//
// Pairs (head phantom, scale 0.5: 112x112x48 voxels of 2x2x4 mm):
//  - "moved CT": the phantom CT against a copy of itself repositioned by a known rigid
//    transform (io::writeRepositionedSeries rewrites Image Position/Orientation (Patient); the
//    voxels are the same), target 0.5 mm and 0.5 deg;
//  - "CT-MR": the phantom CT against its MR T1 (different contrast, same anatomy) repositioned
//    by another known rigid transform, target 1 mm mean target registration error (TRE).
// Truth is exact: the moving series is fixed -> moving = truth by construction.
//
// plastimatch: both series exported as NRRD (LPS, with their direction cosines), registered by
// a command file (plastimatchCommandFile below), its ITK .tfm read with readItkTransformFile.
// plastimatch works in DICOM patient coordinates (LPS) and writes ITK's fixed -> moving
// convention; this test checks both by the size of the error (an inverted or RAS transform
// would be off by twice the truth, centimetres).
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_reposition.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/io/image_file.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/registration/register.h"
#include "twinplan/registration/transform_file.h"

namespace twinplan::registration {
namespace {

constexpr double kPi = 3.14159265358979323846;

Mat3 rotationZXY_deg(double x, double y, double z) {
  using Eigen::AngleAxisd;
  const double r = kPi / 180.0;
  return (AngleAxisd(z * r, Vec3::UnitZ()) * AngleAxisd(x * r, Vec3::UnitX()) *
          AngleAxisd(y * r, Vec3::UnitY()))
      .toRotationMatrix();
}

struct RegistrationError {
  double rotation_deg = 0.0;  // angle of R_found^T R_true
  double centre_mm = 0.0;     // |found(c) - true(c)| at the fixed image's centre
  double meanTre_mm = 0.0;    // over 27 points spanning the head
  double maxTre_mm = 0.0;
};

RegistrationError errorOf(const SpatialTransform& found, const SpatialTransform& truth,
                          const Vec3& centre) {
  RegistrationError e;
  const Mat3 delta = found.matrix.transpose() * truth.matrix;
  e.rotation_deg = std::acos(std::clamp((delta.trace() - 1.0) / 2.0, -1.0, 1.0)) * 180.0 / kPi;
  e.centre_mm = (found.apply(centre) - truth.apply(centre)).norm();
  int n = 0;
  // The head phantom spans about +-70 mm (L, P) and +-60 mm (S) around its centre.
  for (int k = -1; k <= 1; ++k)
    for (int j = -1; j <= 1; ++j)
      for (int i = -1; i <= 1; ++i) {
        const Vec3 p = centre + Vec3(50.0 * i, 60.0 * j, 40.0 * k);
        const double tre = (found.apply(p) - truth.apply(p)).norm();
        e.meanTre_mm += tre;
        e.maxTre_mm = std::max(e.maxTre_mm, tre);
        ++n;
      }
  e.meanTre_mm /= n;
  return e;
}

// plastimatch's registration command file (plastimatch 1.9 "register" documentation, command
// file reference): [GLOBAL] images and output; one [STAGE] aligning the image centres, then a
// rigid ITK stage: versor optimizer (ITK VersorRigid3DTransformOptimizer, a regular step
// gradient descent on the versor), Mattes mutual information (metric=mi, impl=itk), two
// resolutions (4x4x2 then 2x2x1 voxels of subsampling), at most 200 iterations each.
std::string plastimatchCommandFile(const std::filesystem::path& fixed,
                                   const std::filesystem::path& moving,
                                   const std::filesystem::path& transform) {
  return "[GLOBAL]\nfixed=" + fixed.string() + "\nmoving=" + moving.string() +
         "\nxform_out=" + transform.string() +
         "\n\n[STAGE]\nxform=align_center\n"
         "\n[STAGE]\nxform=rigid\noptim=versor\nimpl=itk\nmetric=mi\nmax_its=200\n"
         "res=4 4 2\n"
         "\n[STAGE]\nmax_its=200\nres=2 2 1\n";
}

class RegistrationValidation : public test::HeadPhantomSeriesSuite<RegistrationValidation> {
 protected:
  static void SetUpTestSuite() { writeHeadPhantomSeries("twinplan-regval", 0.5); }

  static io::DicomSeries onlySeries(const std::filesystem::path& folder) {
    return io::scanDicom(folder).patients.at(0).studies.at(0).series.at(0);
  }
  static std::filesystem::path exportNrrd(const std::filesystem::path& folder,
                                          const std::string& name) {
    const auto file = *dir_ / (name + ".nrrd");
    io::writeImageFile(io::loadVolume(onlySeries(folder)), file);
    return file;
  }

  struct Pair {
    std::string name;
    std::filesystem::path fixedDir, movingDir;
    SpatialTransform truth;
    Vec3 centre;
  };
  // The fixed series and `source` repositioned by `truth` (about the fixed image's centre).
  static Pair makePair(const std::string& name, const std::filesystem::path& source,
                       const Vec3& angles_deg, const Vec3& translation_mm) {
    const ImageVolume fixed = io::loadVolume(onlySeries(*ct_));
    const auto& g = fixed.geometry();
    const Vec3 centre =
        g.indexToLps(Vec3(double(g.size[0] - 1), double(g.size[1] - 1), double(g.size[2] - 1)) / 2);
    Pair pair{name, *ct_, *dir_ / (name + "-moved"),
              SpatialTransform::rigid(rotationZXY_deg(angles_deg[0], angles_deg[1], angles_deg[2]),
                                      translation_mm, centre),
              centre};
    io::writeRepositionedSeries(onlySeries(source), pair.truth, pair.movingDir);
    return pair;
  }

  static SpatialTransform runPlastimatch(const Pair& pair, double& seconds) {
    const auto fixed = exportNrrd(pair.fixedDir, pair.name + "-fixed");
    const auto moving = exportNrrd(pair.movingDir, pair.name + "-moving");
    const auto transform = *dir_ / (pair.name + "-plastimatch.tfm");
    const auto commands = *dir_ / (pair.name + "-plastimatch.txt");
    std::ofstream(commands) << plastimatchCommandFile(fixed, moving, transform);
    const auto start = std::chrono::steady_clock::now();
    const auto run = test::runCommand("plastimatch register " + commands.string() + " 2>&1");
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(run.status, 0) << run.output;
    return readItkTransformFile(transform);
  }

  // Ours: registerVolumes with its defaults (rigid, Mattes MI, 3 levels), in process.
  static SpatialTransform runOurs(const Pair& pair, double& seconds) {
    const ImageVolume fixed = io::loadVolume(onlySeries(pair.fixedDir));
    const ImageVolume moving = io::loadVolume(onlySeries(pair.movingDir));
    const auto start = std::chrono::steady_clock::now();
    const RegistrationResult result = registerVolumes(fixed, moving, RegistrationOptions{});
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result.transform;
  }

  static void report(const std::string& pair, const std::string& tool, const RegistrationError& e,
                     double seconds) {
    std::printf(
        "%-10s %-12s rotation %.3f deg, centre %.3f mm, TRE mean %.3f / max %.3f mm, "
        "%.1f s\n",
        pair.c_str(), tool.c_str(), e.rotation_deg, e.centre_mm, e.meanTre_mm, e.maxTre_mm,
        seconds);
  }
};

TEST_F(RegistrationValidation, RepositionedSeriesKeepsItsVoxelsAndMovesByTheTransform) {
  const Pair pair = makePair("check", *ct_, Vec3(3, -2, 4), Vec3(5, -3, 6));
  const ImageVolume original = io::loadVolume(onlySeries(*ct_));
  const io::DicomSeries movedSeries = onlySeries(pair.movingDir);
  const ImageVolume moved = io::loadVolume(movedSeries);
  EXPECT_NE(movedSeries.frameOfReferenceUid, onlySeries(*ct_).frameOfReferenceUid);
  ASSERT_EQ(moved.geometry().size, original.geometry().size);
  EXPECT_TRUE(std::equal(moved.bytes().begin(), moved.bytes().end(), original.bytes().begin()));
  // Every voxel centre moved by the truth (DS values keep ~13 digits).
  for (const Vec3& ijk : {Vec3(0, 0, 0), Vec3(111, 0, 47), Vec3(50, 80, 20)})
    EXPECT_LT(
        (moved.geometry().indexToLps(ijk) - pair.truth.apply(original.geometry().indexToLps(ijk)))
            .norm(),
        1e-6);
}

TEST_F(RegistrationValidation, MovedCtIsRegisteredBackWithinHalfAMillimetreAndHalfADegree) {
  const Pair pair = makePair("moved-ct", *ct_, Vec3(3, -2, 4), Vec3(5, -3, 6));
  double seconds = 0.0;
  const RegistrationError ours = errorOf(runOurs(pair, seconds), pair.truth, pair.centre);
  report(pair.name, "TwinPlan", ours, seconds);
  const RegistrationError peer = errorOf(runPlastimatch(pair, seconds), pair.truth, pair.centre);
  report(pair.name, "plastimatch", peer, seconds);
  for (const RegistrationError& e : {ours, peer}) {
    EXPECT_LT(e.rotation_deg, 0.5);
    EXPECT_LT(e.centre_mm, 0.5);
  }
}

TEST_F(RegistrationValidation, CtToMrIsRegisteredWithinOneMillimetreTre) {
  const Pair pair = makePair("ct-mr", *mr_, Vec3(-4, 2, 3), Vec3(-4, 6, 2));
  double seconds = 0.0;
  const RegistrationError ours = errorOf(runOurs(pair, seconds), pair.truth, pair.centre);
  report(pair.name, "TwinPlan", ours, seconds);
  const RegistrationError peer = errorOf(runPlastimatch(pair, seconds), pair.truth, pair.centre);
  report(pair.name, "plastimatch", peer, seconds);
  EXPECT_LT(ours.meanTre_mm, 1.0);
  EXPECT_LT(peer.meanTre_mm, 1.0);
}

}  // namespace
}  // namespace twinplan::registration
