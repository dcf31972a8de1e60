// `twinplan-cli convert` to NIfTI (.nii and .nii.gz, io/nifti_file.h) on real series of
// ../shared/data, checked by two independent readers against an independent writer:
// nibabel (tests/integration/nifti_compare.py, /usr/bin/python3) compares our file with
// dcm2niix's output of the same series voxel by voxel at the same world position, and ITK's
// NiftiImageIO (io::readImageFile) reads back exactly the volume that loadVolume produced.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/io/image_file.h"
#include "twinplan/io/nifti_file.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::runCommand;
using test::TempDir;

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

json compareWithNibabel(const fs::path& ours, const fs::path& reference) {
  const fs::path script = fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/nifti_compare.py";
  const auto result = runCommand("/usr/bin/python3 " + quoted(script) + " " + quoted(ours) + " " +
                                 quoted(reference));
  EXPECT_EQ(result.status, 0) << result.output;
  return json::parse(result.output, nullptr, /*allow_exceptions=*/false);
}

struct ExportCase {
  std::string name;
  std::string input;  // series folder, relative to the corpus
  std::string dtype;  // numpy name of the voxel type we write
  bool exact;         // false: float values, dcm2niix keeps integers with a float32 slope
};

class NiftiExport : public ::testing::TestWithParam<ExportCase> {};

TEST_P(NiftiExport, MatchesDcm2niixVoxelByVoxelAndItkReadsTheLoadedVolume) {
  const ExportCase& c = GetParam();
  const fs::path input = test::sharedData(c.input);
  TempDir dir;
  const auto reference = runCommand("dcm2niix -z n -b n -f ref -o " + quoted(dir.path()) + " " +
                                    quoted(input) + " 2>&1");
  ASSERT_EQ(reference.status, 0) << reference.output;
  ASSERT_TRUE(fs::exists(dir / "ref.nii")) << reference.output;

  for (const std::string name : {"ours.nii", "ours.nii.gz"}) {
    SCOPED_TRACE(name);
    const auto convert = runCommand(test::cliPath().string() + " convert " + quoted(input) +
                                    " --out " + quoted(dir / name) + " 2>&1");
    ASSERT_EQ(convert.status, 0) << convert.output;
    const json r = compareWithNibabel(dir / name, dir / "ref.nii");
    ASSERT_TRUE(r.is_object());
    EXPECT_EQ(r["dtype"], c.dtype);
    EXPECT_EQ(r["scl_slope"], 1.0);
    EXPECT_EQ(r["scl_inter"], 0.0);
    EXPECT_EQ(r["qform_code"], 1);
    EXPECT_EQ(r["sform_code"], 1);
    EXPECT_EQ(r["vox_offset"], 352);
    EXPECT_LT(r["qform_sform_max_diff"].get<double>(), 1e-4);
    // Same world position for every voxel: the two index spaces differ by a signed axis
    // permutation, to float32 precision of the affines.
    ASSERT_EQ(r["axes_match"], true) << r.dump();
    EXPECT_EQ(r["offsets_match"], true) << r.dump();
    EXPECT_LT(r["max_index_error"].get<double>(), 1e-3) << r.dump();
    ASSERT_EQ(r["same_shape"], true) << r.dump();
    if (c.exact) {
      EXPECT_EQ(r["max_abs_diff"], 0.0) << r.dump();
    } else {
      // One float32 rounding step of the largest value (2^-23 relative), with a factor 2.
      EXPECT_LE(r["max_abs_diff"].get<double>(), r["max_abs_value"].get<double>() * 0x1p-22)
          << r.dump();
    }
  }

  // ITK's reader gets back exactly what loadVolume produced.
  const io::DicomIndex index = io::scanDicom(input);
  const auto series = index.allSeries();
  ASSERT_EQ(series.size(), 1u);
  const ImageVolume loaded = io::loadVolume(*series.front());
  const ImageVolume back = io::readImageFile(dir / "ours.nii");
  EXPECT_EQ(back.pixelType(), loaded.pixelType());
  EXPECT_TRUE(back.geometry().sameGridAs(loaded.geometry(), 1e-3));
  ASSERT_EQ(back.bytes().size(), loaded.bytes().size());
  EXPECT_TRUE(std::equal(back.bytes().begin(), back.bytes().end(), loaded.bytes().begin()));
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, NiftiExport,
    ::testing::Values(
        ExportCase{"HeadPhantomCT", "ct-head-phantom-dcpt/CT", "int16", true},
        ExportCase{"SarcomaMR", "sarcoma-ct-mr-pet/dicom/STS_001/MR_T1/image", "int16", true},
        ExportCase{"SarcomaPET", "sarcoma-ct-mr-pet/dicom/STS_001/PET/image", "float32", false},
        ExportCase{"SagittalMrHFP", "mr-hfs-hfp/HFP", "uint16", true}),
    [](const auto& info) { return info.param.name; });

TEST(NiftiExport, GzipLevelIsHonouredAndRefusedForOtherFormats) {
  const fs::path input = test::sharedData("ct-head-phantom-dcpt/CT");
  TempDir dir;
  const std::string cli = test::cliPath().string() + " convert " + quoted(input) + " --out ";
  ASSERT_EQ(runCommand(cli + quoted(dir / "fast.nii.gz") + " --gzip-level 1").status, 0);
  ASSERT_EQ(runCommand(cli + quoted(dir / "small.nii.gz") + " --gzip-level 9").status, 0);
  // Level 1 (zlib's fastest) makes a larger file than level 9 from the same voxels.
  EXPECT_GT(fs::file_size(dir / "fast.nii.gz"), fs::file_size(dir / "small.nii.gz"));
  const json r = compareWithNibabel(dir / "fast.nii.gz", dir / "small.nii.gz");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["max_abs_diff"], 0.0) << r.dump();
  const auto refused = runCommand(cli + quoted(dir / "x.nrrd") + " --gzip-level 1 2>&1");
  EXPECT_EQ(refused.status, 3) << refused.output;  // invalid input
  EXPECT_NE(refused.output.find(".nii.gz output only"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(dir / "x.nrrd"));
}

// An oblique, left-handed grid: nibabel's reading of our qform (a float quaternion) and of
// our sform agree, and both give the grid we wrote.
TEST(NiftiExport, ObliqueLeftHandedGridReadsBackTheSameThroughQformAndSform) {
  TempDir dir;
  ImageGeometry g;
  g.size = {7, 5, 4};
  g.origin_lps = Vec3(-101.25, 37.5, -880.75);
  g.spacing_mm = Vec3(0.8, 1.1, 2.5);
  g.direction = Eigen::AngleAxisd(0.35, Vec3(0.3, -0.5, 0.8).normalized()).toRotationMatrix();
  g.direction.col(2) *= -1.0;
  ImageVolume volume(g, PixelType::Int16);
  auto voxels = volume.voxels<std::int16_t>();
  for (std::size_t n = 0; n < voxels.size(); ++n) voxels[n] = static_cast<std::int16_t>(n * 7 - 50);
  io::writeNiftiFile(volume.bytes(), volume.pixelType(), g, dir / "oblique.nii");
  const json r = compareWithNibabel(dir / "oblique.nii", dir / "oblique.nii");
  ASSERT_TRUE(r.is_object());
  EXPECT_LT(r["qform_sform_max_diff"].get<double>(), 1e-4) << r.dump();
  // ITK (which prefers the sform here) gives back the grid.
  const ImageVolume back = io::readImageFile(dir / "oblique.nii");
  EXPECT_TRUE(back.geometry().sameGridAs(g, 1e-4));
  EXPECT_TRUE(std::equal(back.bytes().begin(), back.bytes().end(), volume.bytes().begin()));
}

}  // namespace
}  // namespace twinplan
