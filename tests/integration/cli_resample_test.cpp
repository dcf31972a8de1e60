// `twinplan-cli resample` end to end (issue #15, deliverable 5): the real binary on DICOM series
// written by the head phantom (CT and MR T1 on one grid), with transform files written by hand.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/io/image_file.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan {
namespace {

using nlohmann::json;

// One head phantom for the file, at 0.4 scale (fewer, larger voxels; same field of view).
class CliResample : public test::HeadPhantomSeriesSuite<CliResample> {
 protected:
  static void SetUpTestSuite() { writeHeadPhantomSeries("twinplan-resample", 0.4); }
  static ImageVolume loadDicom(const std::filesystem::path& folder) {
    const io::DicomIndex index = io::scanDicom(folder);
    return io::loadVolume(index.patients.at(0).studies.at(0).series.at(0));
  }
  static std::filesystem::path writeTransform(const std::string& name, const std::string& body) {
    const auto file = *dir_ / name;
    std::ofstream(file) << "#Insight Transform File V1.0\n#Transform 0\n" << body;
    return file;
  }
  static test::CommandResult resample(const std::string& args) {
    return test::runCommand(test::cliPath().string() + " resample " + args + " 2>&1");
  }
};

TEST_F(CliResample, WholeVoxelShiftOfTheMrOntoTheCtCopiesItsVoxels) {
  const ImageVolume ct = loadDicom(*ct_);
  const ImageVolume mr = loadDicom(*mr_);
  ASSERT_TRUE(ct.geometry().sameGridAs(mr.geometry()));
  const ImageGeometry& g = mr.geometry();
  // Reference voxel ijk reads moving voxel ijk + (3, -2, 1).
  const Vec3 shift_mm = g.direction * Vec3(3, -2, 1).cwiseProduct(g.spacing_mm);
  const auto tfm = writeTransform(
      "shift.tfm", "Transform: TranslationTransform_double_3_3\nParameters: " +
                       std::to_string(shift_mm[0]) + " " + std::to_string(shift_mm[1]) + " " +
                       std::to_string(shift_mm[2]) + "\nFixedParameters:\n");
  const auto out = *dir_ / "mr_on_ct.nii.gz";
  const auto result =
      test::runCommand(test::cliPath().string() + " --json resample " + mr_->string() +
                       " --reference " + ct_->string() + " --transform " + tfm.string() +
                       " --out " + out.string() + " --outside 4321 2>/dev/null");
  ASSERT_EQ(result.status, 0) << result.output;
  const json summary = json::parse(result.output);
  EXPECT_EQ(summary["transformKind"], "rigid");
  EXPECT_EQ(summary["interpolation"], "linear");
  EXPECT_GT(summary["overlapFraction"].get<double>(), 0.9);
  EXPECT_EQ(summary["referenceSeriesInstanceUid"], ct.dicom.seriesInstanceUid);

  const ImageVolume written = io::readImageFile(out);
  ASSERT_TRUE(written.geometry().sameGridAs(ct.geometry()));
  std::size_t copied = 0, outside = 0, wrong = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const std::int64_t mi = i + 3, mj = j - 2, mk = k + 1;
        const bool in = mi < g.size[0] && mj >= 0 && mk < g.size[2];
        // std::to_string keeps 6 decimals: the shift is whole voxels to 1e-6 mm.
        const double expected = in ? mr.valueAt(mi, mj, mk) : 4321.0;
        if (written.valueAt(i, j, k) != expected && ++wrong < 5)
          ADD_FAILURE() << i << "," << j << "," << k << ": " << written.valueAt(i, j, k)
                        << " != " << expected << " size " << g.size[0] << "x" << g.size[1] << "x"
                        << g.size[2] << " spacing " << g.spacing_mm.transpose();
        (in ? copied : outside) += 1;
      }
  EXPECT_EQ(wrong, 0u);
  EXPECT_GT(copied, outside);
}

TEST_F(CliResample, NearestInterpolationAndTheDefaultOutsideValue) {
  const ImageVolume mr = loadDicom(*mr_);
  const ImageGeometry& g = mr.geometry();
  ASSERT_TRUE(g.direction.isIdentity(1e-9));  // the phantom's axial grid
  ASSERT_DOUBLE_EQ(g.spacing_mm[0], g.spacing_mm[1]);
  // 90 deg about S around the centre of voxel (ci, cj): reference voxel (i, j) offset (a, b)
  // from it reads the moving voxel at offset R (a, b) = (-b, a).
  const std::int64_t ci = g.size[0] / 2, cj = g.size[1] / 2;
  const Vec3 centre = g.indexToLps(Vec3(double(ci), double(cj), 0));
  const auto tfm =
      writeTransform("rot.tfm",
                     "Transform: Euler3DTransform_double_3_3\nParameters: 0 0 1.5707963267948966 0 "
                     "0 0\nFixedParameters: " +
                         std::to_string(centre[0]) + " " + std::to_string(centre[1]) + " 0\n");
  const auto out = *dir_ / "rot.nrrd";
  const auto result =
      test::runCommand(test::cliPath().string() + " --json resample " + mr_->string() +
                       " --reference " + ct_->string() + " --transform " + tfm.string() +
                       " --out " + out.string() + " --interpolation nearest 2>/dev/null");
  ASSERT_EQ(result.status, 0) << result.output;
  const json summary = json::parse(result.output);
  double lowest = 1e300;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) lowest = std::min(lowest, mr.valueAt(i, j, k));
  EXPECT_EQ(summary["outsideValue"].get<double>(), lowest);
  const ImageVolume written = io::readImageFile(out);
  std::size_t compared = 0;
  for (std::int64_t k = 0; k < g.size[2]; k += 5)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const std::int64_t mi = ci - (j - cj), mj = cj + (i - ci);
        const bool in = mi >= 0 && mi < g.size[0] && mj >= 0 && mj < g.size[1];
        ASSERT_EQ(written.valueAt(i, j, k), in ? mr.valueAt(mi, mj, k) : lowest)
            << i << "," << j << "," << k;
        compared += in;
      }
  EXPECT_GT(compared, 10000u);
}

TEST_F(CliResample, ClearErrorsForAMissingTransformNoOverlapAnd2DSeries) {
  auto out = (*dir_ / "x.nii.gz").string();
  auto missing = resample(mr_->string() + " --reference " + ct_->string() + " --transform " +
                          (*dir_ / "absent.tfm").string() + " --out " + out);
  EXPECT_EQ(missing.status, 4) << missing.output;  // not found
  EXPECT_NE(missing.output.find("absent.tfm\" does not exist"), std::string::npos)
      << missing.output;

  const auto far =
      writeTransform("far.tfm",
                     "Transform: TranslationTransform_double_3_3\nParameters: 0 3000 0\n"
                     "FixedParameters:\n");
  auto apart = resample(mr_->string() + " --reference " + ct_->string() + " --transform " +
                        far.string() + " --out " + out);
  EXPECT_EQ(apart.status, 3) << apart.output;  // invalid input
  EXPECT_NE(apart.output.find("does not overlap"), std::string::npos) << apart.output;

  const auto identity = writeTransform("id.tfm",
                                       "Transform: IdentityTransform_double_3_3\nParameters:\n"
                                       "FixedParameters:\n");
  auto radiograph = resample(test::sharedData("dicomdir/77654033/CR1").string() + " --reference " +
                             ct_->string() + " --transform " + identity.string() + " --out " + out);
  EXPECT_NE(radiograph.status, 0);
  EXPECT_NE(radiograph.output.find("cannot be placed in patient space"), std::string::npos)
      << radiograph.output;

  // One slice of the MR on its own: a 2D image in patient space.
  const auto slice = *dir_ / "one-slice";
  std::filesystem::create_directories(slice);
  const auto first = *std::filesystem::directory_iterator(*mr_);
  std::filesystem::copy_file(first.path(), slice / first.path().filename());
  auto single = resample(slice.string() + " --reference " + ct_->string() + " --transform " +
                         identity.string() + " --out " + out);
  EXPECT_EQ(single.status, 5) << single.output;  // unsupported
  EXPECT_NE(single.output.find("single 2D slice"), std::string::npos) << single.output;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace twinplan
