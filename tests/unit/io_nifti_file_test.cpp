// NIfTI-1 export (io/nifti_file.h): header fields against values worked out by hand from the
// NIfTI-1 standard (nifti1.h), the voxel bytes, and the parallel gzip read back by zlib and by
// the gzip program. The same files against dcm2niix, nibabel and ITK on real series are in
// tests/integration/nifti_export_shared_test.cpp.
#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "test_support.h"
#include "twinplan/io/nifti_file.h"

namespace twinplan {
namespace {

using test::TempDir;

template <class T>
T field(const std::array<std::byte, io::kNiftiHeaderBytes>& header, std::size_t offset) {
  T value;
  std::memcpy(&value, header.data() + offset, sizeof value);
  return value;
}

// A grid turned 90 degrees about the patient's z axis: i runs posterior, j runs right.
ImageGeometry turnedGrid(bool leftHanded) {
  ImageGeometry g;
  g.size = {3, 4, 5};
  g.spacing_mm = Vec3(0.5, 0.75, 2.0);
  g.origin_lps = Vec3(10.0, -20.0, 30.0);
  g.direction << 0, -1, 0,  //
      1, 0, 0,              //
      0, 0, leftHanded ? -1 : 1;
  return g;
}

std::vector<char> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<char> gunzipWithZlib(const std::filesystem::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  EXPECT_NE(file, nullptr);
  std::vector<char> bytes;
  std::array<char, 65536> buffer{};
  int n = 0;
  while ((n = gzread(file, buffer.data(), buffer.size())) > 0)
    bytes.insert(bytes.end(), buffer.begin(), buffer.begin() + n);
  EXPECT_EQ(n, 0) << "gzread error";
  gzclose(file);
  return bytes;
}

ImageVolume ramp(const ImageGeometry& g) {
  ImageVolume volume(g, PixelType::Int16);
  auto voxels = volume.voxels<std::int16_t>();
  for (std::size_t n = 0; n < voxels.size(); ++n)
    voxels[n] = static_cast<std::int16_t>(static_cast<int>(n % 4000) - 1024);
  return volume;
}

TEST(NiftiHeader, FieldsOfATurnedGridAreTheWorkedOutValues) {
  const auto h = io::niftiHeader(turnedGrid(false), PixelType::Int16);
  EXPECT_EQ(field<std::int32_t>(h, 0), 348);  // sizeof_hdr
  const std::int16_t dims[8] = {3, 3, 4, 5, 1, 1, 1, 1};
  for (int d = 0; d < 8; ++d) EXPECT_EQ(field<std::int16_t>(h, 40 + 2 * d), dims[d]) << d;
  EXPECT_EQ(field<std::int16_t>(h, 70), 4);   // DT_INT16
  EXPECT_EQ(field<std::int16_t>(h, 72), 16);  // bitpix
  EXPECT_EQ(field<float>(h, 76), 1.0f);       // qfac: right-handed
  EXPECT_EQ(field<float>(h, 80), 0.5f);
  EXPECT_EQ(field<float>(h, 84), 0.75f);
  EXPECT_EQ(field<float>(h, 88), 2.0f);
  EXPECT_EQ(field<float>(h, 108), 352.0f);    // vox_offset
  EXPECT_EQ(field<float>(h, 112), 1.0f);      // scl_slope
  EXPECT_EQ(field<float>(h, 116), 0.0f);      // scl_inter
  EXPECT_EQ(field<char>(h, 123), 10);         // mm and s
  EXPECT_EQ(field<std::int16_t>(h, 252), 1);  // qform_code scanner
  EXPECT_EQ(field<std::int16_t>(h, 254), 1);  // sform_code scanner
  // In RAS the direction is [[0,1,0],[-1,0,0],[0,0,1]]: -90 degrees about z, so the
  // quaternion is (cos 45, 0, 0, -sin 45).
  EXPECT_NEAR(field<float>(h, 256), 0.0f, 1e-7);
  EXPECT_NEAR(field<float>(h, 260), 0.0f, 1e-7);
  EXPECT_NEAR(field<float>(h, 264), -std::sqrt(0.5f), 1e-7);
  // qoffset and srow: the origin in RAS is (-10, 20, 30).
  const float srow[3][4] = {{0, 0.75f, 0, -10}, {-0.5f, 0, 0, 20}, {0, 0, 2, 30}};
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(field<float>(h, 268 + 4 * r), srow[r][3]);
    for (int c = 0; c < 4; ++c) EXPECT_EQ(field<float>(h, 280 + 16 * r + 4 * c), srow[r][c]);
  }
  EXPECT_EQ(std::memcmp(h.data() + 344, "n+1\0", 4), 0);
  EXPECT_EQ(std::memcmp(h.data() + 348, "\0\0\0\0", 4), 0);  // no extensions
}

TEST(NiftiHeader, LeftHandedGridHasQfacMinusOneAndTheSameQuaternion) {
  const auto h = io::niftiHeader(turnedGrid(true), PixelType::Int16);
  EXPECT_EQ(field<float>(h, 76), -1.0f);
  EXPECT_NEAR(field<float>(h, 264), -std::sqrt(0.5f), 1e-7);
  EXPECT_EQ(field<float>(h, 280 + 32 + 8), -2.0f);  // srow_z[2]: k runs inferior
}

TEST(NiftiHeader, DatatypeCodesFollowNifti1) {
  const std::pair<PixelType, std::int16_t> codes[] = {{PixelType::UInt8, 2},
                                                      {PixelType::Int16, 4},
                                                      {PixelType::Int32, 8},
                                                      {PixelType::Float32, 16},
                                                      {PixelType::UInt16, 512}};
  for (const auto& [type, code] : codes) {
    const auto h = io::niftiHeader(turnedGrid(false), type);
    EXPECT_EQ(field<std::int16_t>(h, 70), code) << toString(type);
    EXPECT_EQ(field<std::int16_t>(h, 72), static_cast<std::int16_t>(8 * bytesPerVoxel(type)));
  }
}

TEST(NiftiHeader, AxesBeyondInt16AreRefused) {
  ImageGeometry g = turnedGrid(false);
  g.size = {40000, 1, 1};
  try {
    io::niftiHeader(g, PixelType::UInt8);
    ADD_FAILURE() << "40000 voxels along i accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("NRRD"), std::string::npos) << e.what();
  }
}

TEST(NiftiFile, UncompressedIsTheHeaderThenTheVoxelsAsTheyAre) {
  TempDir dir;
  const ImageVolume volume = ramp(turnedGrid(false));
  io::writeNiftiFile(volume.bytes(), volume.pixelType(), volume.geometry(), dir / "x.nii");
  const std::vector<char> bytes = readFile(dir / "x.nii");
  ASSERT_EQ(bytes.size(), 352u + 3 * 4 * 5 * 2);
  const auto header = io::niftiHeader(volume.geometry(), volume.pixelType());
  EXPECT_EQ(std::memcmp(bytes.data(), header.data(), header.size()), 0);
  EXPECT_EQ(std::memcmp(bytes.data() + 352, volume.bytes().data(), volume.bytes().size()), 0);
  // Little-endian int16 at voxel 1 (value 1 - 1024 = -1023 = 0xfc01).
  EXPECT_EQ(static_cast<unsigned char>(bytes[354]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>(bytes[355]), 0xfc);
}

TEST(NiftiFile, GzipIsOneMemberThatZlibAndGzipReadBack) {
  TempDir dir;
  ImageGeometry g = turnedGrid(false);
  g.size = {64, 64, 30};  // 240 KiB: 60 pieces of 4 KiB
  const ImageVolume volume = ramp(g);
  io::NiftiWriteOptions options;
  options.gzipPieceBytes = 4096;
  io::writeNiftiFile(volume.bytes(), volume.pixelType(), g, dir / "x.nii.gz", options);
  io::writeNiftiFile(volume.bytes(), volume.pixelType(), g, dir / "x.nii");
  const std::vector<char> plain = readFile(dir / "x.nii");
  EXPECT_EQ(gunzipWithZlib(dir / "x.nii.gz"), plain);
  // The gzip program: integrity of the one member, and the same bytes.
  const auto check = test::runCommand("gzip -t " + (dir / "x.nii.gz").string() + " 2>&1");
  EXPECT_EQ(check.status, 0) << check.output;
  const auto same = test::runCommand("gzip -dc " + (dir / "x.nii.gz").string() + " | cmp - " +
                                     (dir / "x.nii").string() + " 2>&1");
  EXPECT_EQ(same.status, 0) << same.output;
  // RFC 1952: magic, deflate, and ISIZE = the uncompressed size.
  const std::vector<char> gz = readFile(dir / "x.nii.gz");
  ASSERT_GT(gz.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(gz[2], 8);
  std::uint32_t isize;
  std::memcpy(&isize, gz.data() + gz.size() - 4, 4);
  EXPECT_EQ(isize, plain.size());
}

TEST(NiftiFile, GzipBytesDoNotDependOnTheThreadCount) {
  TempDir dir;
  ImageGeometry g = turnedGrid(false);
  g.size = {64, 64, 20};
  const ImageVolume volume = ramp(g);
  io::NiftiWriteOptions options;
  options.gzipPieceBytes = 8192;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    io::writeNiftiFile(volume.bytes(), volume.pixelType(), g, dir / "one.nii.gz", options);
  }
  {
    tbb::global_control four(tbb::global_control::max_allowed_parallelism, 4);
    io::writeNiftiFile(volume.bytes(), volume.pixelType(), g, dir / "four.nii.gz", options);
  }
  EXPECT_EQ(readFile(dir / "one.nii.gz"), readFile(dir / "four.nii.gz"));
}

TEST(NiftiFile, FailuresLeaveNothingBehind) {
  TempDir dir;
  const ImageVolume volume = ramp(turnedGrid(false));
  try {
    io::writeNiftiFile(volume.bytes(), volume.pixelType(), volume.geometry(),
                       dir / "absent" / "x.nii");
    ADD_FAILURE() << "missing folder accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  io::NiftiWriteOptions badLevel;
  badLevel.gzipLevel = 12;
  try {
    io::writeNiftiFile(volume.bytes(), volume.pixelType(), volume.geometry(), dir / "x.nii.gz",
                       badLevel);
    ADD_FAILURE() << "gzip level 12 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
  try {
    io::writeNiftiFile(volume.bytes().first(10), volume.pixelType(), volume.geometry(),
                       dir / "x.nii");
    ADD_FAILURE() << "short buffer accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(NiftiFile, AnExistingFileIsReplacedWhole) {
  TempDir dir;
  {
    std::ofstream old(dir / "x.nii");
    old << std::string(100000, 'x');
  }
  const ImageVolume volume = ramp(turnedGrid(false));
  io::writeNiftiFile(volume.bytes(), volume.pixelType(), volume.geometry(), dir / "x.nii");
  EXPECT_EQ(std::filesystem::file_size(dir / "x.nii"), 352u + volume.bytes().size());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

}  // namespace
}  // namespace twinplan
