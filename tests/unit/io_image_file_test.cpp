// NIfTI / NRRD / MetaImage round trips (geometry and voxels). NIfTI's RAS->LPS handling on
// real files is checked in tests/integration/io_dicom_volume_shared_test.cpp.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <fstream>

#include "test_support.h"
#include "twinplan/io/image_file.h"

namespace twinplan {
namespace {

using twinplan::test::TempDir;

ImageGeometry obliqueGeometry() {
  ImageGeometry g;
  g.size = {7, 5, 4};
  g.origin_lps = Vec3(-101.25, 37.5, -880.75);
  g.spacing_mm = Vec3(0.8, 1.1, 2.5);
  g.direction = Eigen::AngleAxisd(0.35, Vec3(0.3, -0.5, 0.8).normalized()).toRotationMatrix();
  return g;
}

template <class T>
ImageVolume pattern(PixelType type) {
  ImageVolume v(obliqueGeometry(), type);
  auto voxels = v.voxels<T>();
  for (std::size_t n = 0; n < voxels.size(); ++n) {
    voxels[n] =
        static_cast<T>(static_cast<double>(n % 97) * (type == PixelType::Float32 ? 0.37 : 1.0) -
                       (type == PixelType::UInt16 || type == PixelType::UInt8 ? 0 : 30));
  }
  return v;
}

void expectSameImage(const ImageVolume& a, const ImageVolume& b, double directionTol) {
  EXPECT_EQ(a.pixelType(), b.pixelType());
  EXPECT_EQ(a.geometry().size, b.geometry().size);
  EXPECT_TRUE(a.geometry().sameGridAs(b.geometry(), 1e-3));
  EXPECT_NEAR((a.geometry().origin_lps - b.geometry().origin_lps).norm(), 0.0, 1e-4);
  EXPECT_NEAR((a.geometry().spacing_mm - b.geometry().spacing_mm).norm(), 0.0, 1e-5);
  EXPECT_TRUE(a.geometry().direction.isApprox(b.geometry().direction, directionTol))
      << a.geometry().direction << "\nvs\n"
      << b.geometry().direction;
  ASSERT_EQ(a.bytes().size(), b.bytes().size());
  EXPECT_TRUE(std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin()));
}

class ImageFileRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(ImageFileRoundTrip, KeepsObliqueGeometryAndVoxels) {
  TempDir dir;
  for (const ImageVolume& original :
       {pattern<std::int16_t>(PixelType::Int16), pattern<float>(PixelType::Float32),
        pattern<std::uint16_t>(PixelType::UInt16), pattern<std::uint8_t>(PixelType::UInt8)}) {
    SCOPED_TRACE(std::string(toString(original.pixelType())));
    const auto path = dir / ("image" + GetParam());
    io::writeImageFile(original, path);
    const ImageVolume back = io::readImageFile(path);
    // NIfTI stores the rotation as a float quaternion: ~1e-7 relative.
    expectSameImage(original, back, 1e-6);
    EXPECT_TRUE(back.assumptions.empty());
  }
  // Written to a temporary name and renamed: nothing else is left in the folder.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  const std::size_t expected = GetParam() == ".mhd" || GetParam() == ".nhdr" ? 2 : 1;
  EXPECT_EQ(names.size(), expected) << names.front();
}

INSTANTIATE_TEST_SUITE_P(Formats, ImageFileRoundTrip,
                         ::testing::Values(".nrrd", ".nii", ".nii.gz", ".mha", ".mhd", ".nhdr"),
                         [](const auto& info) {
                           std::string name = info.param.substr(1);
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

TEST(ImageFile, LabelLayerIsWrittenAsUint16) {
  TempDir dir;
  LabelMap labels(obliqueGeometry());
  labels.layer(0)[3] = 2;
  labels.layer(0)[100] = 513;
  io::writeLabelFile(labels, 0, dir / "labels.nrrd");
  const ImageVolume back = io::readImageFile(dir / "labels.nrrd");
  ASSERT_EQ(back.pixelType(), PixelType::UInt16);
  EXPECT_EQ(back.voxels<std::uint16_t>()[3], 2);
  EXPECT_EQ(back.voxels<std::uint16_t>()[100], 513);
  EXPECT_TRUE(back.geometry().sameGridAs(labels.geometry(), 1e-4));
  EXPECT_THROW(io::writeLabelFile(labels, 1, dir / "labels2.nrrd"), Error);
}

TEST(ImageFile, BadNamesAndMissingFilesAreErrors) {
  TempDir dir;
  try {
    io::writeImageFile(pattern<std::int16_t>(PixelType::Int16), dir / "image.png");
    ADD_FAILURE() << "png accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
  try {
    io::readImageFile(dir / "absent.nrrd");
    ADD_FAILURE() << "missing file read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  {
    std::ofstream junk(dir / "junk.nii");
    junk << "not a nifti file";
  }
  EXPECT_THROW(io::readImageFile(dir / "junk.nii"), Error);
}

}  // namespace
}  // namespace twinplan
