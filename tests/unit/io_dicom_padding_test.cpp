// Pixel padding (PS3.3 C.7.5.1.1.2) and MONOCHROME1 (PS3.3 C.7.6.3.1.2) on constructed CT
// files with known values: the padding range in HU, ROI statistics of the non-padded voxels
// only, and both facts kept through a case file.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <string>

#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/measurement.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/io/dicom_writer.h"

namespace twinplan {
namespace {

using twinplan::test::TempDir;

// 5 columns x 4 rows, 1 mm pixels, signed 16-bit CT, intercept -1024; slices at z = 0 and 2 mm.
struct PaddedCt {
  std::function<int(int i, int j, int k)> stored;
  // Pixel Padding Value / Range Limit, nullopt: absent. unsignedTag writes the value as US.
  std::optional<int> paddingValue, paddingLimit;
  bool unsignedTag = false;
  std::string photometric = "MONOCHROME2";
};

void putPadding(DcmDataset& d, const DcmTagKey& tag, int value, bool asUnsigned) {
  if (asUnsigned) {
    d.putAndInsertUint16(tag, static_cast<Uint16>(value));  // two's complement word
  } else {
    d.putAndInsertSint16(tag, static_cast<Sint16>(value));
  }
}

std::vector<std::filesystem::path> writePaddedCt(const TempDir& dir, const PaddedCt& spec) {
  std::vector<std::filesystem::path> files;
  for (int k = 0; k < 2; ++k) {
    DcmFileFormat file;
    DcmDataset* d = file.getDataset();
    char uid[100];
    d->putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage);
    d->putAndInsertString(DCM_SOPInstanceUID,
                          dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
    d->putAndInsertString(DCM_StudyInstanceUID, "1.2.826.0.1.3680043.2.1125.7.1");
    d->putAndInsertString(DCM_SeriesInstanceUID, "1.2.826.0.1.3680043.2.1125.7.2");
    d->putAndInsertString(DCM_FrameOfReferenceUID, "1.2.826.0.1.3680043.2.1125.7.3");
    d->putAndInsertString(DCM_Modality, "CT");
    d->putAndInsertString(DCM_InstanceNumber, std::to_string(k + 1).c_str());
    d->putAndInsertString(DCM_ImagePositionPatient, ("0\\0\\" + std::to_string(2 * k)).c_str());
    d->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
    d->putAndInsertString(DCM_PixelSpacing, "1\\1");
    d->putAndInsertString(DCM_SliceThickness, "2");
    d->putAndInsertUint16(DCM_Rows, 4);
    d->putAndInsertUint16(DCM_Columns, 5);
    d->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    d->putAndInsertString(DCM_PhotometricInterpretation, spec.photometric.c_str());
    d->putAndInsertUint16(DCM_BitsAllocated, 16);
    d->putAndInsertUint16(DCM_BitsStored, 16);
    d->putAndInsertUint16(DCM_HighBit, 15);
    d->putAndInsertUint16(DCM_PixelRepresentation, 1);
    d->putAndInsertString(DCM_RescaleSlope, "1");
    d->putAndInsertString(DCM_RescaleIntercept, "-1024");
    if (spec.paddingValue)
      putPadding(*d, DCM_PixelPaddingValue, *spec.paddingValue, spec.unsignedTag);
    if (spec.paddingLimit)
      putPadding(*d, DCM_PixelPaddingRangeLimit, *spec.paddingLimit, spec.unsignedTag);
    std::vector<Uint16> pixels(20);
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 5; ++i) pixels[j * 5 + i] = static_cast<Uint16>(spec.stored(i, j, k));
    d->putAndInsertUint16Array(DCM_PixelData, pixels.data(), 20);
    files.push_back(dir / ("slice" + std::to_string(k) + ".dcm"));
    EXPECT_TRUE(file.saveFile(files.back().c_str(), EXS_LittleEndianExplicit).good());
  }
  return files;
}

// Stored -2000 (-3024 HU) in the 2x2 corner i, j < 2 of every slice; elsewhere stored
// 1024 + 10 i + j + 100 k, i.e. 10 i + j + 100 k HU.
int cornerPadded(int i, int j, int k) {
  return i < 2 && j < 2 ? -2000 : 1024 + 10 * i + j + 100 * k;
}

Measurement box(Vec3 a, Vec3 b) {
  Measurement m;
  m.kind = Measurement::Kind::RoiBox;
  m.name = "corner";
  m.points_lps = {a, b};
  return m;
}

TEST(PixelPadding, ValueIsReportedInHuAfterRescale) {
  TempDir dir;
  const ImageVolume v =
      io::loadVolume(writePaddedCt(dir, {.stored = cornerPadded, .paddingValue = -2000}));
  ASSERT_TRUE(v.paddingRange.has_value());
  // PS3.3 C.7.5.1.1.2: the padding value is a stored value; -2000 * 1 - 1024 = -3024 HU.
  EXPECT_EQ(*v.paddingRange, (std::pair{-3024.0, -3024.0}));
  EXPECT_EQ(v.valueAt(0, 0, 0), -3024);  // the voxel keeps its value; it is marked, not changed
  EXPECT_TRUE(v.isPadding(v.valueAt(1, 1, 1)));
  EXPECT_FALSE(v.isPadding(v.valueAt(2, 1, 1)));
  EXPECT_FALSE(v.isPadding(-3023.0));
  EXPECT_TRUE(v.assumptions.empty());  // a fact of the file, not an assumption (no dialog)
}

TEST(PixelPadding, RoiOverAPaddedCornerCountsOnlyTheScannedVoxels) {
  TempDir dir;
  const ImageVolume v =
      io::loadVolume(writePaddedCt(dir, {.stored = cornerPadded, .paddingValue = -2000}));
  // Voxel centres i = 0..2, j = 0..1 of slice k = 0: four padded, two scanned (20 and 21 HU).
  const RoiStatistics s = roiStatistics(v, box(Vec3(0, 0, -0.5), Vec3(2, 1, 0.5)));
  EXPECT_EQ(s.voxelCount, 2u);
  EXPECT_DOUBLE_EQ(s.mean, 20.5);
  EXPECT_DOUBLE_EQ(s.min, 20.0);
  EXPECT_DOUBLE_EQ(s.max, 21.0);
  EXPECT_NEAR(s.sd, std::sqrt(0.5), 1e-12);               // sample SD of {20, 21}
  EXPECT_DOUBLE_EQ(s.volume_ml, 2 * 1 * 1 * 2 / 1000.0);  // two 1 x 1 x 2 mm voxels

  // Without the padding tag the same voxels all count: (4 x -3024 + 20 + 21) / 6.
  TempDir plain;
  const ImageVolume u = io::loadVolume(writePaddedCt(plain, {.stored = cornerPadded}));
  EXPECT_FALSE(u.paddingRange.has_value());
  const RoiStatistics all = roiStatistics(u, box(Vec3(0, 0, -0.5), Vec3(2, 1, 0.5)));
  EXPECT_EQ(all.voxelCount, 6u);
  EXPECT_DOUBLE_EQ(all.mean, (4 * -3024.0 + 41.0) / 6.0);
}

TEST(PixelPadding, AnRoiOfPaddingOnlyIsAnErrorThatSaysWhy) {
  TempDir dir;
  const ImageVolume v =
      io::loadVolume(writePaddedCt(dir, {.stored = cornerPadded, .paddingValue = -2000}));
  try {
    roiStatistics(v, box(Vec3(0, 0, -0.5), Vec3(1, 1, 0.5)));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("padding"), std::string::npos) << e.what();
  }
}

TEST(PixelPadding, RangeLimitOnEitherSideGivesTheClosedRange) {
  // Stored -1950 lies between value and limit: padding (C.7.5.1.1.2); -1899 does not.
  auto stored = [](int i, int, int) { return i == 0 ? -1950 : (i == 1 ? -1899 : 1024 + i); };
  for (const auto& [value, limit] : {std::pair{-2000, -1900}, std::pair{-1900, -2000}}) {
    TempDir dir;
    const ImageVolume v = io::loadVolume(
        writePaddedCt(dir, {.stored = stored, .paddingValue = value, .paddingLimit = limit}));
    ASSERT_TRUE(v.paddingRange.has_value());
    EXPECT_EQ(*v.paddingRange, (std::pair{-3024.0, -2924.0})) << value << " " << limit;
    EXPECT_TRUE(v.isPadding(v.valueAt(0, 0, 0)));   // -2974 HU
    EXPECT_FALSE(v.isPadding(v.valueAt(1, 0, 0)));  // -2923 HU
  }
}

TEST(PixelPadding, UnsignedWordInASignedImageIsTwosComplement) {
  // The padding VR follows Pixel Representation (US or SS); 63536 as a 16-bit word is -2000.
  TempDir dir;
  const ImageVolume v = io::loadVolume(
      writePaddedCt(dir, {.stored = cornerPadded, .paddingValue = 63536, .unsignedTag = true}));
  ASSERT_TRUE(v.paddingRange.has_value());
  EXPECT_EQ(*v.paddingRange, (std::pair{-3024.0, -3024.0}));
}

TEST(Monochrome1, StoredValuesKeepTheRescaleAndOnlyTheDisplayIsInverted) {
  TempDir dir, plain;
  const auto hu = [](int i, int j, int k) { return 1024 + 10 * i + j + 100 * k; };
  const ImageVolume v =
      io::loadVolume(writePaddedCt(dir, {.stored = hu, .photometric = "MONOCHROME1"}));
  EXPECT_EQ(v.valueAt(3, 2, 1), 132);  // 10 * 3 + 2 + 100, not inverted
  EXPECT_TRUE(v.dicom.displayInverted);
  EXPECT_TRUE(v.assumptions.empty());
  const ImageVolume m = io::loadVolume(writePaddedCt(plain, {.stored = hu}));
  EXPECT_EQ(m.valueAt(3, 2, 1), 132);
  EXPECT_FALSE(m.dicom.displayInverted);
}

TEST(Monochrome1, ADicomExportStaysMonochrome1WithTheSameValues) {
  // Written as MONOCHROME2 the un-inverted values would show inverted in other viewers.
  TempDir dir;
  const auto hu = [](int i, int j, int k) { return 1024 + 10 * i + j + 100 * k; };
  const ImageVolume v =
      io::loadVolume(writePaddedCt(dir, {.stored = hu, .photometric = "MONOCHROME1"}));
  const io::DicomWriteOptions options;
  const io::DicomWriteResult written = io::writeDicomSeries(v, dir / "export", options);
  const ImageVolume back = io::loadVolume(written.files);
  EXPECT_TRUE(back.dicom.displayInverted);
  EXPECT_EQ(back.valueAt(3, 2, 1), 132);
}

TEST(PixelPadding, RangeAndInvertedDisplaySurviveACaseFile) {
  TempDir dir;
  ImageVolume v = io::loadVolume(writePaddedCt(dir, {.stored = cornerPadded,
                                                     .paddingValue = -2000,
                                                     .paddingLimit = -1990,
                                                     .photometric = "MONOCHROME1"}));
  ImageVolume plain = v;
  plain.name = "plain";
  plain.paddingRange.reset();
  plain.dicom.displayInverted = false;
  Case twin;
  twin.name = "padding";
  twin.volumes = {v, plain};
  saveCase(twin, dir / "case.twinplan");
  const Case loaded = loadCase(dir / "case.twinplan");
  ASSERT_EQ(loaded.volumes.size(), 2u);
  ASSERT_TRUE(loaded.volumes[0].paddingRange.has_value());
  EXPECT_EQ(*loaded.volumes[0].paddingRange, (std::pair{-3024.0, -3014.0}));
  EXPECT_TRUE(loaded.volumes[0].dicom.displayInverted);
  // Without them (as in cases written before these keys existed): no padding, not inverted.
  EXPECT_FALSE(loaded.volumes[1].paddingRange.has_value());
  EXPECT_FALSE(loaded.volumes[1].dicom.displayInverted);
}

}  // namespace
}  // namespace twinplan
