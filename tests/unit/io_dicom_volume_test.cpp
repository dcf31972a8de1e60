// loadVolume on small synthetic series written with DCMTK: ordering, geometry, rescale,
// photometric handling, and every irregular case the loader must resample, report or refuse.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrol.h>
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "test_support.h"
#include "twinplan/io/dicom_volume.h"

namespace twinplan {
namespace {

using twinplan::test::RecordingProgress;
using twinplan::test::TempDir;

struct SliceSpec {
  Vec3 ipp = Vec3::Zero();
  std::array<double, 6> iop{1, 0, 0, 0, 1, 0};
  int rows = 4, columns = 5;
  int instance = 1;
  std::string modality = "CT";
  int bitsAllocated = 16, bitsStored = 16;
  bool isSigned = true;
  std::string photometric = "MONOCHROME2";
  double slope = 1.0, intercept = 0.0;
  std::string units;
  int echo = 0;
  // Classic attributes that tell volumes at the same positions apart; empty: absent.
  std::string temporalPosition, triggerTime, acquisition;
  std::optional<double> bValue;
  bool bare = false;                       // no preamble and no file meta header
  std::string pixelSpacing = "0.5\\0.75";  // between rows, between columns
  bool pixelDataAsOL = false;              // a damaged file: Pixel Data with VR OL
  E_TransferSyntax xfer = EXS_LittleEndianExplicit;
  std::function<int(int i, int j)> stored = [](int i, int j) { return i + 10 * j; };
};

std::string ds(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

void writeSlice(const SliceSpec& spec, const std::filesystem::path& path) {
  DcmFileFormat file;
  DcmDataset* d = file.getDataset();
  char uid[100];
  const bool ct = spec.modality == "CT";
  d->putAndInsertString(DCM_SOPClassUID,
                        ct ? UID_CTImageStorage
                           : (spec.modality == "PT" ? UID_PositronEmissionTomographyImageStorage
                                                    : UID_MRImageStorage));
  d->putAndInsertString(DCM_SOPInstanceUID,
                        dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
  d->putAndInsertString(DCM_StudyInstanceUID, "1.2.826.0.1.3680043.2.1125.1.1");
  d->putAndInsertString(DCM_SeriesInstanceUID, "1.2.826.0.1.3680043.2.1125.1.2");
  d->putAndInsertString(DCM_FrameOfReferenceUID, "1.2.826.0.1.3680043.2.1125.1.3");
  d->putAndInsertString(DCM_Modality, spec.modality.c_str());
  d->putAndInsertString(DCM_PatientName, "Synthetic^Phantom");
  d->putAndInsertString(DCM_PatientID, "TP-0001");
  d->putAndInsertString(DCM_PatientPosition, "HFS");
  d->putAndInsertString(DCM_InstanceNumber, std::to_string(spec.instance).c_str());
  const std::string ipp = ds(spec.ipp[0]) + "\\" + ds(spec.ipp[1]) + "\\" + ds(spec.ipp[2]);
  d->putAndInsertString(DCM_ImagePositionPatient, ipp.c_str());
  std::string iop;
  for (int a = 0; a < 6; ++a) iop += (a ? "\\" : "") + ds(spec.iop[a]);
  d->putAndInsertString(DCM_ImageOrientationPatient, iop.c_str());
  d->putAndInsertString(DCM_PixelSpacing, spec.pixelSpacing.c_str());
  d->putAndInsertString(DCM_SliceThickness, "2");
  d->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(spec.rows));
  d->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(spec.columns));
  d->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  d->putAndInsertString(DCM_PhotometricInterpretation, spec.photometric.c_str());
  d->putAndInsertUint16(DCM_BitsAllocated, static_cast<Uint16>(spec.bitsAllocated));
  d->putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(spec.bitsStored));
  d->putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(spec.bitsStored - 1));
  d->putAndInsertUint16(DCM_PixelRepresentation, spec.isSigned ? 1 : 0);
  if (spec.slope != 1.0 || spec.intercept != 0.0 || ct) {
    d->putAndInsertString(DCM_RescaleSlope, ds(spec.slope).c_str());
    d->putAndInsertString(DCM_RescaleIntercept, ds(spec.intercept).c_str());
  }
  if (!spec.units.empty()) d->putAndInsertString(DCM_Units, spec.units.c_str());
  if (spec.echo > 0) d->putAndInsertString(DCM_EchoNumbers, std::to_string(spec.echo).c_str());
  if (!spec.temporalPosition.empty())
    d->putAndInsertString(DCM_TemporalPositionIdentifier, spec.temporalPosition.c_str());
  if (!spec.triggerTime.empty()) d->putAndInsertString(DCM_TriggerTime, spec.triggerTime.c_str());
  if (!spec.acquisition.empty())
    d->putAndInsertString(DCM_AcquisitionNumber, spec.acquisition.c_str());
  if (spec.bValue) d->putAndInsertFloat64(DCM_DiffusionBValue, *spec.bValue);
  const std::size_t n = static_cast<std::size_t>(spec.rows) * spec.columns;
  if (spec.bitsAllocated == 8) {
    std::vector<Uint8> pixels(n);
    for (int j = 0; j < spec.rows; ++j)
      for (int i = 0; i < spec.columns; ++i)
        pixels[static_cast<std::size_t>(j) * spec.columns + i] =
            static_cast<Uint8>(spec.stored(i, j));
    d->putAndInsertUint8Array(DCM_PixelData, pixels.data(), static_cast<unsigned long>(n));
  } else if (spec.bitsAllocated == 32) {
    // DCMTK holds Pixel Data as 16-bit words and writes each in the transfer syntax's byte
    // order. A 32-bit value is written as its two halves in the file's order (high half first
    // in big endian), so that the file holds each value as one 32-bit integer of that order
    // (PS3.5 7.3), bytes 01 02 03 04 for 0x01020304 in big endian.
    const bool bigEndian = spec.xfer == EXS_BigEndianExplicit;
    std::vector<Uint16> halves(2 * n);
    for (int j = 0; j < spec.rows; ++j) {
      for (int i = 0; i < spec.columns; ++i) {
        const auto value = static_cast<std::uint32_t>(spec.stored(i, j));
        const std::size_t k = 2 * (static_cast<std::size_t>(j) * spec.columns + i);
        halves[k + (bigEndian ? 0 : 1)] = static_cast<Uint16>(value >> 16);
        halves[k + (bigEndian ? 1 : 0)] = static_cast<Uint16>(value & 0xFFFFu);
      }
    }
    d->putAndInsertUint16Array(DCM_PixelData, halves.data(), static_cast<unsigned long>(2 * n));
  } else {
    std::vector<Uint16> pixels(n);
    for (int j = 0; j < spec.rows; ++j)
      for (int i = 0; i < spec.columns; ++i)
        pixels[static_cast<std::size_t>(j) * spec.columns + i] =
            static_cast<Uint16>(spec.stored(i, j));
    d->putAndInsertUint16Array(DCM_PixelData, pixels.data(), static_cast<unsigned long>(n));
  }
  if (spec.pixelDataAsOL) {
    std::vector<Uint32> longs((n * 2 + 3) / 4, 0);
    auto* ol = new DcmOtherLong(DcmTag(DCM_PixelData, EVR_OL));
    ol->putUint32Array(longs.data(), static_cast<unsigned long>(longs.size()));
    ASSERT_TRUE(d->insert(ol, /*replaceOld=*/true).good());
  }
  ASSERT_TRUE(file.saveFile(path.c_str(), spec.xfer, EET_ExplicitLength, EGL_recalcGL, EPD_noChange,
                            0, 0, spec.bare ? EWM_dataset : EWM_fileformat)
                  .good())
      << path;
}

// Writes one slice per spec, in a shuffled file order; returns the file list.
std::vector<std::filesystem::path> writeSeries(const TempDir& dir,
                                               const std::vector<SliceSpec>& specs) {
  std::vector<std::filesystem::path> files;
  for (std::size_t s = 0; s < specs.size(); ++s) {
    files.push_back(dir / ("IM" + std::to_string(1000 + s * 7919 % 997) + ".dcm"));
    writeSlice(specs[s], files.back());
  }
  std::mt19937 shuffle(42);
  std::shuffle(files.begin(), files.end(), shuffle);
  return files;
}

bool mentions(const ImageVolume& v, const std::string& word) {
  return std::any_of(v.assumptions.begin(), v.assumptions.end(),
                     [&](const std::string& a) { return a.find(word) != std::string::npos; });
}

template <class Fn>
Error expectError(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an Error";
  return Error(ErrorKind::Internal, "none");
}

// Five axial slices 2 mm apart, instance numbers deliberately out of step with position.
std::vector<SliceSpec> axialStack(const std::vector<double>& z, const std::vector<int>& instances) {
  std::vector<SliceSpec> specs;
  for (std::size_t k = 0; k < z.size(); ++k) {
    SliceSpec s;
    s.ipp = Vec3(-10.0, 20.0, z[k]);
    s.instance = instances[k];
    s.intercept = -1024;
    const int zi = static_cast<int>(std::lround(z[k] * 10));
    s.stored = [zi](int i, int j) { return 1000 + i + 10 * j + zi; };
    specs.push_back(s);
  }
  return specs;
}

TEST(LoadVolume, SortsSlicesAlongTheNormalNotByInstanceNumber) {
  TempDir dir;
  const auto files = writeSeries(dir, axialStack({4, 0, 8, 2, 6}, {1, 2, 3, 4, 5}));
  RecordingProgress progress;
  const ImageVolume v = io::loadVolume(files, {}, progress);
  const ImageGeometry& g = v.geometry();
  EXPECT_EQ(g.size, (std::array<std::int64_t, 3>{5, 4, 5}));
  EXPECT_NEAR((g.origin_lps - Vec3(-10, 20, 0)).norm(), 0.0, 1e-9);
  EXPECT_NEAR((g.spacing_mm - Vec3(0.75, 0.5, 2.0)).norm(), 0.0, 1e-9);
  EXPECT_TRUE(g.direction.isApprox(Mat3::Identity(), 1e-12));
  ASSERT_EQ(v.pixelType(), PixelType::Int16);
  EXPECT_EQ(v.unit, "HU");
  EXPECT_EQ(v.dicom.modality, "CT");
  EXPECT_EQ(v.dicom.patientName, "Synthetic^Phantom");
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(v.valueAt(3, 2, k), 1000 + 3 + 20 + 20 * k - 1024) << k;
  }
  EXPECT_TRUE(v.assumptions.empty());
  ASSERT_FALSE(progress.fractions.empty());
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(progress.fractions.begin(), progress.fractions.end()));
}

TEST(LoadVolume, NormalPointingFeetwardsKeepsARightHandedGrid) {
  // Row +x, column -y: the normal is -z, so k runs from head to feet.
  TempDir dir;
  auto specs = axialStack({0, 2, 4}, {1, 2, 3});
  for (auto& s : specs) s.iop = {1, 0, 0, 0, -1, 0};
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  const Mat3& d = v.geometry().direction;
  EXPECT_TRUE(d.col(2).isApprox(Vec3(0, 0, -1), 1e-12));
  EXPECT_NEAR(d.determinant(), 1.0, 1e-12);
  EXPECT_NEAR(v.geometry().origin_lps[2], 4.0, 1e-9);
  EXPECT_EQ(v.valueAt(0, 0, 0), 1000 + 40 - 1024);  // the z = 4 slice comes first
}

TEST(LoadVolume, ObliqueSlicesUseTheCrossProductNormal) {
  TempDir dir;
  const double a = 20.0 * M_PI / 180.0;
  const Vec3 r(std::cos(a), std::sin(a), 0), c(0, 0, -1);
  const Vec3 n = r.cross(c);
  std::vector<SliceSpec> specs;
  for (int k : {2, 0, 1}) {
    SliceSpec s;
    s.iop = {r[0], r[1], r[2], c[0], c[1], c[2]};
    s.ipp = Vec3(5, 6, 7) + 3.0 * k * n;
    s.instance = 10 - k;
    s.stored = [k](int i, int j) { return 100 * k + i + j; };
    specs.push_back(s);
  }
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  EXPECT_NEAR(v.geometry().spacing_mm[2], 3.0, 1e-6);
  EXPECT_TRUE(v.geometry().direction.col(2).isApprox(n, 1e-6));
  EXPECT_NEAR((v.geometry().origin_lps - Vec3(5, 6, 7)).norm(), 0.0, 1e-6);
  EXPECT_EQ(v.valueAt(1, 1, 2), 202);
}

TEST(LoadVolume, GapIsResampledLinearlyAndReported) {
  TempDir dir;
  const auto files = writeSeries(dir, axialStack({0, 2, 4, 8, 10}, {1, 2, 3, 5, 6}));
  const ImageVolume v = io::loadVolume(files);
  EXPECT_EQ(v.geometry().size[2], 6);
  EXPECT_NEAR(v.geometry().spacing_mm[2], 2.0, 1e-9);
  EXPECT_TRUE(mentions(v, "missing slice")) << v.assumptions.front();
  EXPECT_TRUE(mentions(v, "linear interpolation"));
  // z = 6 is halfway between the z = 4 and z = 8 slices.
  EXPECT_EQ(v.valueAt(0, 0, 3), (1040 + 1080) / 2 - 1024);
  EXPECT_EQ(v.valueAt(0, 0, 4), 1080 - 1024);

  const Error e = expectError([&] { io::loadVolume(files, {.allowResampling = false}); });
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_NE(std::string(e.what()).find("missing slice"), std::string::npos) << e.what();
}

TEST(LoadVolume, UnevenStepsAreResampledOrRefused) {
  TempDir dir;
  // Steps 2, 2, 3, 2 mm: not a whole number of missing slices.
  const auto files = writeSeries(dir, axialStack({0, 2, 4, 7, 9}, {1, 2, 3, 4, 5}));
  const ImageVolume v = io::loadVolume(files);
  EXPECT_TRUE(mentions(v, "not evenly spaced"));
  // Extent 9 mm at the smallest step (2 mm): round(4.5) + 1 = 6 slices, 1.8 mm apart.
  EXPECT_EQ(v.geometry().size[2], 6);
  EXPECT_NEAR(v.geometry().spacing_mm[2], 1.8, 1e-9);
  // Slice 2 lies at z = 3.6: 0.8 of the way from z = 2 to z = 4 (stored offsets 20 and 40).
  EXPECT_EQ(v.valueAt(0, 0, 2), 1000 + 36 - 1024);
  const Error e = expectError([&] { io::loadVolume(files, {.allowResampling = false}); });
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);

  // One stray slice 0.1 mm from another would need a grid of ~100 slices: refused.
  TempDir stray;
  const Error tooFine = expectError([&] {
    io::loadVolume(writeSeries(stray, axialStack({0, 5, 5.1, 10}, {1, 2, 3, 4})));
  });
  EXPECT_NE(std::string(tooFine.what()).find("overlapping"), std::string::npos) << tooFine.what();
}

TEST(LoadVolume, DuplicatePositionsKeepTheLowestInstanceNumber) {
  TempDir dir;
  auto specs = axialStack({0, 2, 4, 6}, {1, 2, 3, 4});
  SliceSpec duplicate = specs[2];
  duplicate.instance = 9;
  duplicate.stored = [](int, int) { return 7; };
  specs.push_back(duplicate);
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  EXPECT_EQ(v.geometry().size[2], 4);
  EXPECT_EQ(v.valueAt(0, 0, 2), 1040 - 1024);
  EXPECT_TRUE(mentions(v, "same position"));
}

TEST(LoadVolume, MixedSizesAreRefusedNamingTheSizes) {
  TempDir dir;
  auto specs = axialStack({0, 2, 4}, {1, 2, 3});
  specs[1].rows = 8;
  specs[1].columns = 8;
  const Error e = expectError([&] { io::loadVolume(writeSeries(dir, specs)); });
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  const std::string what = e.what();
  EXPECT_NE(what.find("5x4"), std::string::npos) << what;
  EXPECT_NE(what.find("8x8"), std::string::npos) << what;
}

TEST(LoadVolume, ClassicMultiEchoLoadsTheFirstEcho) {
  TempDir dir;
  auto echo1 = axialStack({0, 2, 4}, {1, 2, 3});
  auto echo2 = axialStack({0, 2, 4}, {4, 5, 6});
  for (auto& s : echo1) s.echo = 1;
  for (auto& s : echo2) {
    s.echo = 2;
    s.stored = [](int, int) { return 5; };
  }
  echo2.insert(echo2.end(), echo1.begin(), echo1.end());
  const ImageVolume v = io::loadVolume(writeSeries(dir, echo2));
  EXPECT_EQ(v.geometry().size[2], 3);
  EXPECT_EQ(v.valueAt(1, 0, 2), 1000 + 1 + 40 - 1024);
  EXPECT_TRUE(mentions(v, "echo 1"));
}

TEST(LoadVolume, MixedOrientationsAreRefused) {
  TempDir dir;
  auto specs = axialStack({0, 2, 4}, {1, 2, 3});
  specs[2].iop = {0, 1, 0, 0, 0, -1};
  const Error e = expectError([&] { io::loadVolume(writeSeries(dir, specs)); });
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_NE(std::string(e.what()).find("orientation"), std::string::npos) << e.what();
}

TEST(LoadVolume, GantryTiltIsResampledOntoAnOrthogonalGrid) {
  // Each slice is 2 mm further along z and 1 mm further along the column direction (+y):
  // a tilt of atan(1/2) = 26.6 degrees. Values grow linearly with the row index j, so the
  // bilinear in-plane shift (1 mm = 2 rows of 0.5 mm) is exact.
  TempDir dir;
  std::vector<SliceSpec> specs;
  for (int k = 0; k < 4; ++k) {
    SliceSpec s;
    s.rows = 10;
    s.ipp = Vec3(0, 1.0 * k, 2.0 * k);
    s.instance = k + 1;
    s.stored = [](int, int j) { return 100 + 10 * j; };
    specs.push_back(s);
  }
  const auto files = writeSeries(dir, specs);
  const ImageVolume v = io::loadVolume(files);
  EXPECT_TRUE(mentions(v, "tilt"));
  EXPECT_TRUE(v.geometry().direction.isApprox(Mat3::Identity(), 1e-12));
  EXPECT_NEAR(v.geometry().spacing_mm[2], 2.0, 1e-9);
  // Output voxel (i, j, k) lies at y = 0.5 j; slice k was acquired from y = k, so it shows
  // source row j - 2k there.
  EXPECT_EQ(v.valueAt(2, 8, 3), 100 + 10 * (8 - 6));
  EXPECT_EQ(v.valueAt(2, 5, 1), 100 + 10 * (5 - 2));
  EXPECT_EQ(v.valueAt(2, 0, 2), 100);  // shifted in from outside: the slice's lowest value

  const Error e = expectError([&] { io::loadVolume(files, {.allowResampling = false}); });
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_NE(std::string(e.what()).find("tilt"), std::string::npos);
}

TEST(LoadVolume, Monochrome1KeepsStoredValuesAndInvertsTheDisplay) {
  TempDir dir;
  auto specs = axialStack({0, 2}, {1, 2});
  for (auto& s : specs) {
    s.modality = "MR";
    s.photometric = "MONOCHROME1";
    s.isSigned = false;
    s.bitsStored = 12;
    s.intercept = 0;
  }
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::UInt16);
  // PS3.3 C.7.6.3.1.2: a display matter; the value is the stored one (formerly 4095 - it).
  EXPECT_EQ(v.valueAt(1, 1, 1), 1000 + 11 + 20);
  EXPECT_TRUE(v.dicom.displayInverted);
  EXPECT_FALSE(mentions(v, "MONOCHROME1"));  // a fact on the volume, not an assumption
}

TEST(LoadVolume, EightBitUnsignedStaysRaw) {
  TempDir dir;
  auto specs = axialStack({0, 2}, {1, 2});
  for (auto& s : specs) {
    s.modality = "MR";
    s.bitsAllocated = s.bitsStored = 8;
    s.isSigned = false;
    s.intercept = 0;
    s.stored = [](int i, int j) { return 200 + i + j; };
  }
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::UInt8);
  EXPECT_EQ(v.valueAt(4, 3, 1), 207);
  EXPECT_EQ(v.unit, "");
}

TEST(LoadVolume, BigEndianSignedCtDecodesToHu) {
  TempDir dir;
  auto specs = axialStack({0, 2, 4}, {1, 2, 3});
  for (auto& s : specs) {
    s.xfer = EXS_BigEndianExplicit;
    s.stored = [](int i, int j) { return -1000 + 300 * i + j; };
  }
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::Int16);
  EXPECT_EQ(v.valueAt(0, 0, 0), -1000 - 1024);
  EXPECT_EQ(v.valueAt(4, 3, 2), -1000 + 1200 + 3 - 1024);
}

TEST(LoadVolume, ImplicitLittleEndianAndFractionalSlopeGiveFloat) {
  TempDir dir;
  auto specs = axialStack({0, 2}, {1, 2});
  for (auto& s : specs) {
    s.modality = "MR";
    s.xfer = EXS_LittleEndianImplicit;
    s.slope = 0.5;
    s.intercept = 1.25;
  }
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::Float32);
  EXPECT_FLOAT_EQ(static_cast<float>(v.valueAt(2, 1, 1)), 0.5f * (1000 + 2 + 10 + 20) + 1.25f);
}

TEST(LoadVolume, CtValuesBeyondInt16BecomeFloat) {
  TempDir dir;
  auto specs = axialStack({0, 2}, {1, 2});
  for (auto& s : specs) {
    s.isSigned = false;
    s.stored = [](int i, int) { return i == 4 ? 40000 : 0; };
  }
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::Float32);
  EXPECT_EQ(v.valueAt(4, 0, 1), 40000 - 1024);
  EXPECT_EQ(v.valueAt(0, 0, 0), -1024);
  EXPECT_TRUE(mentions(v, "float32"));
}

// Integer voxels are decoded in int32 arithmetic (stored value, MONOCHROME1 inverted, plus
// the intercept) straight into the volume. These pin that path to the values the DICOM rules
// give, at the limits of each output type, and to the promotion to float32 when a value
// does not fit.

// Two CT slices whose stored values are set per slice: stored(k, i, j).
std::vector<SliceSpec> twoCtSlices(std::function<int(int k, int i, int j)> stored, double intercept,
                                   bool isSigned) {
  auto specs = axialStack({0, 2}, {1, 2});
  for (int k = 0; k < 2; ++k) {
    specs[k].intercept = intercept;
    specs[k].isSigned = isSigned;
    specs[k].stored = [stored, k](int i, int j) { return stored(k, i, j); };
  }
  return specs;
}

TEST(LoadVolume, SignedCtAtTheInt16LimitsStaysInt16) {
  TempDir dir;
  // -31744 - 1024 = -32768 (the int16 minimum) and the largest stored value 32767 - 1024.
  const auto specs = twoCtSlices(
      [](int k, int i, int j) { return i == 0 ? -31744 : (i == 1 ? 32767 : 100 * k + i + j); },
      -1024, true);
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::Int16);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(v.valueAt(0, 3, k), -32768) << k;
    EXPECT_EQ(v.valueAt(1, 2, k), 32767 - 1024) << k;
    EXPECT_EQ(v.valueAt(4, 3, k), 100 * k + 7 - 1024) << k;
  }
  EXPECT_FALSE(mentions(v, "float32"));
}

TEST(LoadVolume, SignedCtBelowInt16AfterTheInterceptBecomesFloat) {
  // Stored -32768 (the int16 minimum) - 1024 = -33792 does not fit int16; it appears only in
  // the second slice, so the first one, already decoded as int16, must survive the promotion.
  TempDir dir;
  const auto specs = twoCtSlices(
      [](int k, int i, int j) { return k == 1 && i == 0 && j == 0 ? -32768 : 10 * k + i + j; },
      -1024, true);
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::Float32);
  EXPECT_EQ(v.valueAt(0, 0, 1), -33792);
  EXPECT_EQ(v.valueAt(4, 3, 0), 7 - 1024);
  EXPECT_EQ(v.valueAt(4, 3, 1), 17 - 1024);
  EXPECT_TRUE(mentions(v, "float32"));
}

TEST(LoadVolume, UnsignedCtWithAPositiveInterceptAtTheInt16Limit) {
  TempDir dir;
  // Unsigned stored values, intercept +1000: 31767 + 1000 = 32767 fits int16, 0 gives 1000.
  const auto fits = twoCtSlices([](int, int i, int) { return i == 0 ? 31767 : i; }, 1000, false);
  const ImageVolume v = io::loadVolume(writeSeries(dir, fits));
  ASSERT_EQ(v.pixelType(), PixelType::Int16);
  EXPECT_EQ(v.valueAt(0, 1, 1), 32767);
  EXPECT_EQ(v.valueAt(1, 1, 0), 1001);
  EXPECT_FALSE(mentions(v, "float32"));

  // One more (31768 + 1000 = 32768) does not fit: float32, every value kept exactly.
  TempDir over;
  const auto beyond =
      twoCtSlices([](int k, int i, int) { return k == 1 && i == 0 ? 31768 : i; }, 1000, false);
  const ImageVolume f = io::loadVolume(writeSeries(over, beyond));
  ASSERT_EQ(f.pixelType(), PixelType::Float32);
  EXPECT_EQ(f.valueAt(0, 2, 1), 32768);
  EXPECT_EQ(f.valueAt(3, 2, 0), 1003);
  EXPECT_TRUE(mentions(f, "float32"));

  // Unsigned with intercept -1024: 0 -> -1024 and 33791 -> 32767, the two ends of int16.
  TempDir low;
  const auto hu =
      twoCtSlices([](int, int i, int) { return i == 0 ? 0 : (i == 1 ? 33791 : i); }, -1024, false);
  const ImageVolume h = io::loadVolume(writeSeries(low, hu));
  ASSERT_EQ(h.pixelType(), PixelType::Int16);
  EXPECT_EQ(h.valueAt(0, 3, 1), -1024);
  EXPECT_EQ(h.valueAt(1, 3, 1), 32767);
}

TEST(LoadVolume, EightBitStoredValuesThroughTheIntegerPath) {
  // CT, unsigned 8-bit, intercept -1024: int16 HU.
  TempDir ct;
  auto specs = twoCtSlices([](int, int i, int) { return i == 0 ? 0 : (i == 1 ? 255 : 100 + i); },
                           -1024, false);
  for (auto& s : specs) s.bitsAllocated = s.bitsStored = 8;
  const ImageVolume v = io::loadVolume(writeSeries(ct, specs));
  ASSERT_EQ(v.pixelType(), PixelType::Int16);
  EXPECT_EQ(v.valueAt(0, 0, 1), -1024);
  EXPECT_EQ(v.valueAt(1, 0, 1), 255 - 1024);
  EXPECT_EQ(v.valueAt(3, 3, 0), 103 - 1024);

  // MR, signed 8-bit, no rescale: int16 raw values, -128 and 127 kept, MONOCHROME1 too (its
  // inversion is left to the display, PS3.3 C.7.6.3.1.2).
  for (const char* photometric : {"MONOCHROME2", "MONOCHROME1"}) {
    TempDir mr;
    auto signedSpecs = axialStack({0, 2}, {1, 2});
    for (auto& s : signedSpecs) {
      s.modality = "MR";
      s.intercept = 0;
      s.bitsAllocated = s.bitsStored = 8;
      s.isSigned = true;
      s.photometric = photometric;
      s.stored = [](int i, int) { return i == 0 ? -128 : (i == 1 ? 127 : i); };
    }
    const ImageVolume m = io::loadVolume(writeSeries(mr, signedSpecs));
    ASSERT_EQ(m.pixelType(), PixelType::Int16) << photometric;
    EXPECT_EQ(m.valueAt(0, 2, 1), -128) << photometric;
    EXPECT_EQ(m.valueAt(1, 2, 1), 127) << photometric;
    EXPECT_EQ(m.valueAt(3, 0, 0), 3) << photometric;
    EXPECT_EQ(m.dicom.displayInverted, std::string(photometric) == "MONOCHROME1") << photometric;
  }
}

TEST(LoadVolume, Monochrome1SignedCtKeepsTheInt16Limits) {
  // Signed 16-bit MONOCHROME1: the values are not inverted (PS3.3 C.7.6.3.1.2; formerly
  // -1 - value, which swapped -32768 and 32767).
  TempDir dir;
  auto specs =
      twoCtSlices([](int, int i, int) { return i == 0 ? -32768 : (i == 1 ? 32767 : i); }, 0, true);
  for (auto& s : specs) s.photometric = "MONOCHROME1";
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::Int16);
  EXPECT_EQ(v.valueAt(0, 1, 0), -32768);
  EXPECT_EQ(v.valueAt(1, 1, 0), 32767);
  EXPECT_EQ(v.valueAt(2, 1, 1), 2);
  EXPECT_TRUE(v.dicom.displayInverted);

  // With intercept -1024 the stored -32768 falls below int16: float32.
  TempDir hu;
  for (auto& s : specs) s.intercept = -1024;
  const ImageVolume f = io::loadVolume(writeSeries(hu, specs));
  ASSERT_EQ(f.pixelType(), PixelType::Float32);
  EXPECT_EQ(f.valueAt(0, 1, 0), -32768 - 1024);
  EXPECT_EQ(f.valueAt(1, 1, 1), 32767 - 1024);
}

TEST(LoadVolume, BitsAboveBitsStoredAreIgnoredAndTheSignExtended) {
  // 12 of 16 bits stored (High Bit 11): the top four bits of each word are not part of the
  // value (PS3.5 8.1.1), and a signed value's sign is its bit 11.
  TempDir unsignedDir, signedDir;
  auto specs = axialStack({0, 2}, {1, 2});
  for (auto& s : specs) {
    s.modality = "MR";
    s.intercept = 0;
    s.bitsStored = 12;
    s.isSigned = false;
    s.stored = [](int i, int) { return i == 0 ? 0xF123 : (i == 1 ? 0x0FFF : i); };
  }
  const ImageVolume u = io::loadVolume(writeSeries(unsignedDir, specs));
  ASSERT_EQ(u.pixelType(), PixelType::UInt16);
  EXPECT_EQ(u.valueAt(0, 0, 1), 0x123);
  EXPECT_EQ(u.valueAt(1, 0, 1), 4095);

  for (auto& s : specs) {
    s.isSigned = true;
    s.stored = [](int i, int) {
      return i == 0 ? 0x0800 : (i == 1 ? 0xF7FF : (i == 2 ? 0xFFFF : i));
    };
  }
  const ImageVolume v = io::loadVolume(writeSeries(signedDir, specs));
  ASSERT_EQ(v.pixelType(), PixelType::Int16);
  EXPECT_EQ(v.valueAt(0, 0, 1), -2048);
  EXPECT_EQ(v.valueAt(1, 0, 1), 2047);
  EXPECT_EQ(v.valueAt(2, 0, 1), -1);
  EXPECT_EQ(v.valueAt(3, 0, 0), 3);
}

// Fuzzing finding F2 (docs/validation.md): Pixel Data with VR OL is refused as corrupt, not
// cast to the wrong DCMTK class.
TEST(LoadVolume, PixelDataWithVrOlIsRefusedAsCorrupt) {
  TempDir dir;
  auto specs = axialStack({0, 2}, {1, 2});
  specs[1].pixelDataAsOL = true;
  const auto files = writeSeries(dir, specs);
  const Error e = expectError([&] { io::loadVolume(files); });
  EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
  EXPECT_NE(std::string(e.what()).find("VR OL"), std::string::npos) << e.what();
}

// Fuzzing finding F4: a pixel spacing of 0 (or negative, or not a number) is refused as
// corrupt instead of dividing by zero later.
TEST(LoadVolume, ZeroOrNegativePixelSpacingIsRefusedAsCorrupt) {
  for (const char* spacing : {"0.7\\0.0", "-0.5\\0.5"}) {
    TempDir dir;
    auto specs = axialStack({0, 2, 4}, {1, 2, 3});
    for (auto& s : specs) s.pixelSpacing = spacing;
    const auto files = writeSeries(dir, specs);
    const Error e = expectError([&] { io::loadVolume(files); });
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << spacing;
    EXPECT_NE(std::string(e.what()).find("Pixel Spacing"), std::string::npos) << e.what();
  }
}

// Fuzzing (second campaign): a small file claiming a huge image is refused before any voxel
// buffer is allocated.
TEST(LoadVolume, HeaderClaimingMorePixelsThanTheFileHoldsIsRefusedFirst) {
  TempDir dir;
  auto specs = axialStack({0, 2}, {1, 2});
  writeSlice(specs[0], dir / "a.dcm");
  // Same slice, but its header now claims 40000 x 40000 pixels (3.2 GB of int16).
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile((dir / "a.dcm").c_str()).good());
  file.getDataset()->putAndInsertUint16(DCM_Rows, 40000);
  file.getDataset()->putAndInsertUint16(DCM_Columns, 40000);
  ASSERT_TRUE(file.saveFile((dir / "b.dcm").c_str(), EXS_LittleEndianExplicit).good());
  const std::vector<std::filesystem::path> claiming = {dir / "b.dcm"};
  const Error e = expectError([&] { io::loadVolume(claiming); });
  EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
  EXPECT_NE(std::string(e.what()).find("40000x40000"), std::string::npos) << e.what();
}

TEST(LoadVolume, PetUnitsComeFromTheUnitsTag) {
  TempDir dir;
  auto specs = axialStack({0, 2}, {1, 2});
  for (auto& s : specs) {
    s.modality = "PT";
    s.units = "GML";
    s.slope = 0.001;
    s.intercept = 0;
  }
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  EXPECT_EQ(v.unit, "SUVbw");
  EXPECT_EQ(v.pixelType(), PixelType::Float32);
}

TEST(LoadVolume, FilesWithoutMetaHeaderAreReadAsBareDataSets) {
  TempDir dir;
  auto specs = axialStack({0, 2}, {1, 2});
  for (auto& s : specs) s.bare = true;
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  EXPECT_EQ(v.valueAt(2, 3, 1), 1000 + 2 + 30 + 20 - 1024);
  // DCMTK's auto-detection reads these; the loader retries explicitly only when it fails.
}

TEST(LoadVolume, ConcurrentLoadsGiveIdenticalVolumes) {
  // Codec registration and DCMTK parsing are shared process state: four threads at once.
  TempDir dir;
  const auto files = writeSeries(dir, axialStack({0, 2, 4, 6, 8, 10}, {1, 2, 3, 4, 5, 6}));
  const ImageVolume reference = io::loadVolume(files);
  std::vector<ImageVolume> results(4);
  std::vector<std::thread> workers;
  for (auto& result : results) {
    workers.emplace_back([&files, &result] { result = io::loadVolume(files); });
  }
  for (auto& w : workers) w.join();
  for (const auto& result : results) {
    ASSERT_EQ(result.bytes().size(), reference.bytes().size());
    EXPECT_TRUE(
        std::equal(result.bytes().begin(), result.bytes().end(), reference.bytes().begin()));
  }
}

TEST(LoadVolume, CancelStopsWithCancelled) {
  TempDir dir;
  const auto files = writeSeries(dir, axialStack({0, 2, 4, 6, 8}, {1, 2, 3, 4, 5}));
  RecordingProgress progress(/*cancelAtReport=*/7);
  EXPECT_THROW(io::loadVolume(files, {}, progress), Cancelled);
}

TEST(LoadVolume, MissingAndNonImageFilesAreErrors) {
  TempDir dir;
  EXPECT_THROW(io::loadVolume(std::vector<std::filesystem::path>{}), Error);
  const Error missing =
      expectError([&] { io::loadVolume(std::vector<std::filesystem::path>{dir / "absent.dcm"}); });
  EXPECT_EQ(missing.kind(), ErrorKind::NotFound);
  {
    std::ofstream junk(dir / "junk.dcm");
    junk << "this is not DICOM";
  }
  const Error junk =
      expectError([&] { io::loadVolume(std::vector<std::filesystem::path>{dir / "junk.dcm"}); });
  EXPECT_NE(std::string(junk.what()).find("junk.dcm"), std::string::npos) << junk.what();
}

// /proc/self/status field in bytes (Linux), or -1.
long long procStatusBytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  return -1;
}

TEST(LoadVolume, PeakMemoryStaysNearTheVoxelData) {
  // 120 CT slices of 512x512 (60 MiB of int16 voxels). Frames are decoded one at a time
  // straight into the volume, so the loader's peak must stay below 1.3x the voxel data.
  TempDir dir;
  std::vector<SliceSpec> specs;
  for (int k = 0; k < 120; ++k) {
    SliceSpec s;
    s.rows = s.columns = 512;
    s.ipp = Vec3(0, 0, 1.5 * k);
    s.instance = k + 1;
    s.stored = [k](int i, int j) { return (i + j + k) % 3000; };
    specs.push_back(s);
  }
  const auto files = writeSeries(dir, specs);
  {
    std::ofstream reset("/proc/self/clear_refs");
    reset << "5";  // resets VmHWM (peak RSS) to the current RSS
  }
  const long long before = procStatusBytes("VmRSS");
  const long long peakBefore = procStatusBytes("VmHWM");
  if (before < 0 || peakBefore < 0 || peakBefore > before + (4 << 20)) {
    GTEST_SKIP() << "peak RSS cannot be reset here";
  }
  const ImageVolume v = io::loadVolume(files);
  const double voxelBytes = static_cast<double>(v.bytes().size());
  const double peakGrowth = static_cast<double>(procStatusBytes("VmHWM") - before);
  RecordProperty("peak_over_voxels", std::to_string(peakGrowth / voxelBytes));
  EXPECT_EQ(voxelBytes, 512.0 * 512 * 120 * 2);
  EXPECT_LT(peakGrowth, 1.3 * voxelBytes) << "peak grew by " << peakGrowth / voxelBytes << "x";
  EXPECT_EQ(v.valueAt(7, 9, 100), (7 + 9 + 100) % 3000);
  std::cout << "[memory] peak growth " << peakGrowth / voxelBytes << "x the voxel data\n";
}

TEST(LoadVolume, SeriesOverloadUsesTheInstanceFiles) {
  TempDir dir;
  const auto files = writeSeries(dir, axialStack({0, 2, 4}, {1, 2, 3}));
  io::DicomSeries series;
  for (const auto& f : files) series.instances.push_back(io::DicomInstance{.file = f});
  const ImageVolume v = io::loadVolume(series);
  EXPECT_EQ(v.geometry().size[2], 3);
}

// --- Big-endian pixel cells (PS3.5 7.3): each value is one integer in the syntax's order. ---

std::vector<SliceSpec> mrStack(int bitsAllocated, bool isSigned, E_TransferSyntax xfer,
                               std::function<int(int, int)> stored) {
  auto specs = axialStack({0, 2, 4}, {1, 2, 3});
  for (auto& s : specs) {
    s.modality = "MR";
    s.intercept = 0;
    s.bitsAllocated = s.bitsStored = bitsAllocated;
    s.isSigned = isSigned;
    s.xfer = xfer;
    s.stored = stored;
  }
  return specs;
}

TEST(LoadVolume, BigEndianSigned32BitValuesKeepTheirByteOrder) {
  // 0x01020304 + i + 256 j: with the 16-bit halves swapped it would read 0x03040102 + ...
  auto value = [](int i, int j) { return (j % 2 ? -1 : 1) * (0x01020304 + i + 256 * j); };
  for (E_TransferSyntax xfer : {EXS_BigEndianExplicit, EXS_LittleEndianExplicit}) {
    TempDir dir;
    const ImageVolume v = io::loadVolume(writeSeries(dir, mrStack(32, true, xfer, value)));
    ASSERT_EQ(v.pixelType(), PixelType::Int32);
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 5; ++i) EXPECT_EQ(v.valueAt(i, j, 1), value(i, j)) << i << "," << j;
    EXPECT_EQ(v.valueAt(4, 3, 2), -(0x01020304 + 4 + 768));
  }
}

TEST(LoadVolume, BigEndianUnsigned32BitValuesKeepTheirByteOrder) {
  // Both halves differ from pixel to pixel; every value is exact in float32 (< 2^24).
  auto value = [](int i, int j) { return ((0x10 + i) << 16) | (0x0102 + j); };
  TempDir dir;
  const ImageVolume v =
      io::loadVolume(writeSeries(dir, mrStack(32, false, EXS_BigEndianExplicit, value)));
  ASSERT_EQ(v.pixelType(), PixelType::Float32);
  EXPECT_EQ(v.valueAt(0, 0, 0), 0x00100102);
  EXPECT_EQ(v.valueAt(4, 3, 2), 0x00140105);
}

TEST(LoadVolume, BigEndianEightBitValuesAreNotSwapped) {
  auto value = [](int i, int j) { return 3 * i + 50 * j + 1; };
  TempDir dir;
  const ImageVolume v =
      io::loadVolume(writeSeries(dir, mrStack(8, false, EXS_BigEndianExplicit, value)));
  ASSERT_EQ(v.pixelType(), PixelType::UInt8);
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 5; ++i) EXPECT_EQ(v.valueAt(i, j, 2), value(i, j)) << i << "," << j;
}

// --- Image Orientation (Patient) that is not orthonormal. ---

std::vector<SliceSpec> stackWithOrientation(const std::array<double, 6>& iop) {
  auto specs = axialStack({0, 2, 4}, {1, 2, 3});
  for (auto& s : specs) s.iop = iop;
  return specs;
}

constexpr double kDeg = M_PI / 180.0;

TEST(LoadVolume, RoundingNoiseInTheCosinesIsCorrectedSilently) {
  // Column 5e-5 rad off perpendicular, row 5e-5 longer than 1: below the 1e-4 noise level.
  TempDir dir;
  const ImageVolume v = io::loadVolume(
      writeSeries(dir, stackWithOrientation({1.00005, 0, 0, std::sin(5e-5), std::cos(5e-5), 0})));
  EXPECT_FALSE(mentions(v, "orthonormal"));
  const Mat3& d = v.geometry().direction;
  EXPECT_NEAR((d.transpose() * d - Mat3::Identity()).norm(), 0.0, 1e-14);
  EXPECT_NEAR(d(0, 0), std::cos(2.5e-5), 1e-14);
  EXPECT_NEAR(d(1, 0), -std::sin(2.5e-5), 1e-14);
}

TEST(LoadVolume, CosinesHalfADegreeOffAreSplitEvenlyAndReported) {
  // Column turned 0.5 degree towards the row, and 0.5 % long. The nearest orthonormal pair
  // turns the row by -0.25 degree and the column by +0.25 degree about the unchanged normal.
  TempDir dir;
  const double a = 0.5 * kDeg;
  const ImageVolume v = io::loadVolume(writeSeries(
      dir, stackWithOrientation({1, 0, 0, 1.005 * std::sin(a), 1.005 * std::cos(a), 0})));
  const Mat3& d = v.geometry().direction;
  const double h = a / 2;
  EXPECT_NEAR((d.col(0) - Vec3(std::cos(h), -std::sin(h), 0)).norm(), 0.0, 1e-9);
  EXPECT_NEAR((d.col(1) - Vec3(std::sin(h), std::cos(h), 0)).norm(), 0.0, 1e-9);
  EXPECT_NEAR((d.col(2) - Vec3(0, 0, 1)).norm(), 0.0, 1e-12);
  EXPECT_EQ(v.geometry().size[2], 3);
  EXPECT_TRUE(mentions(v, "0.5 degrees off perpendicular")) << v.assumptions.front();
  EXPECT_TRUE(mentions(v, "0.5 %"));
}

TEST(LoadVolume, CosinesBeyondTheLimitsAreRefusedAsCorrupt) {
  for (const std::array<double, 6>& iop :
       {std::array<double, 6>{1, 0, 0, std::sin(1.5 * kDeg), std::cos(1.5 * kDeg), 0},
        std::array<double, 6>{1.02, 0, 0, 0, 1, 0}, std::array<double, 6>{0, 0, 0, 0, 1, 0}}) {
    TempDir dir;
    const Error e =
        expectError([&] { io::loadVolume(writeSeries(dir, stackWithOrientation(iop))); });
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("not two perpendicular unit vectors"), std::string::npos)
        << e.what();
  }
}

// --- Volumes at the same positions: cardiac phases, b-values, acquisitions. ---

// Three slices per group at z = 0, 2, 4; group g stores 100 * g + i + 10 * j.
std::vector<SliceSpec> groupsAtSamePositions(int groups,
                                             const std::function<void(SliceSpec&, int)>& tag) {
  std::vector<SliceSpec> specs;
  for (int g = 0; g < groups; ++g) {
    auto stack = axialStack({0, 2, 4}, {3 * g + 1, 3 * g + 2, 3 * g + 3});
    for (auto& s : stack) {
      s.modality = "MR";
      s.intercept = 0;
      s.stored = [g](int i, int j) { return 100 * g + i + 10 * j; };
      tag(s, g);
    }
    specs.insert(specs.end(), stack.begin(), stack.end());
  }
  return specs;
}

TEST(LoadVolume, CardiacPhasesAreSplitByTriggerTime) {
  TempDir dir;
  // Trigger times 0, 350.5, 701 ms: the order of the values, not of the files, numbers them.
  const auto files = writeSeries(dir, groupsAtSamePositions(3, [](SliceSpec& s, int g) {
                                   s.triggerTime = ds(350.5 * ((g + 1) % 3));
                                 }));
  io::VolumeLoadOptions options;
  options.volume = 1;  // 350.5 ms: group 0
  const ImageVolume v = io::loadVolume(files, options);
  EXPECT_EQ(v.geometry().size[2], 3);
  EXPECT_EQ(v.valueAt(4, 3, 2), 0 + 4 + 30);
  EXPECT_TRUE(mentions(v, "3 volumes at the same positions, told apart by trigger time"));
  EXPECT_TRUE(mentions(v, "volume 1 (trigger time 350.5 ms, 3 slices)"));
  options.volume = 0;  // 0 ms: group 2
  EXPECT_EQ(io::loadVolume(files, options).valueAt(4, 3, 2), 200 + 4 + 30);
  options.volume = 3;
  EXPECT_EQ(expectError([&] { io::loadVolume(files, options); }).kind(), ErrorKind::InvalidInput);
}

TEST(LoadVolume, DiffusionBValuesAreSplit) {
  TempDir dir;
  const auto files = writeSeries(
      dir, groupsAtSamePositions(2, [](SliceSpec& s, int g) { s.bValue = g == 0 ? 1000.0 : 0.0; }));
  const ImageVolume v = io::loadVolume(files);  // b = 0 first
  EXPECT_EQ(v.valueAt(1, 2, 0), 100 + 1 + 20);
  EXPECT_TRUE(mentions(v, "b-value 0 s/mm2; b-value 1000 s/mm2"));
}

TEST(LoadVolume, AcquisitionsAreSplit) {
  TempDir dir;
  const auto files = writeSeries(dir, groupsAtSamePositions(2, [](SliceSpec& s, int g) {
                                   s.acquisition = std::to_string(g + 1);
                                 }));
  io::VolumeLoadOptions options;
  options.volume = 1;
  const ImageVolume v = io::loadVolume(files, options);
  EXPECT_EQ(v.geometry().size[2], 3);
  EXPECT_EQ(v.valueAt(1, 2, 0), 100 + 1 + 20);
  EXPECT_TRUE(mentions(v, "acquisition 2, 3 slices"));
}

TEST(LoadVolume, PhasesWithSliceByTriggerTimesAreSplitByTemporalPosition) {
  // Each slice has its own trigger time (as when the phase is a fraction of the R-R interval);
  // the temporal position gives 2 volumes of 3 slices, not 6 of one.
  TempDir dir;
  const auto specs = groupsAtSamePositions(2, [](SliceSpec& s, int g) {
    s.temporalPosition = std::to_string(g + 1);
    s.triggerTime = ds(400.0 * g + s.ipp[2]);
  });
  const ImageVolume v = io::loadVolume(writeSeries(dir, specs));
  EXPECT_EQ(v.geometry().size[2], 3);
  EXPECT_EQ(v.valueAt(4, 0, 1), 4);
  EXPECT_TRUE(mentions(v, "2 volumes at the same positions"));
  EXPECT_TRUE(mentions(v, "temporal position 1, 3 slices"));
}

TEST(LoadVolume, VolumesThatCannotBeToldApartAreRefused) {
  // b = 0 once and b = 1000 twice (two gradient directions) at every position.
  TempDir dir;
  const auto specs =
      groupsAtSamePositions(3, [](SliceSpec& s, int g) { s.bValue = g == 0 ? 0.0 : 1000.0; });
  const Error e = expectError([&] { io::loadVolume(writeSeries(dir, specs)); });
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_NE(std::string(e.what()).find("b-value values do not separate them"), std::string::npos)
      << e.what();
}

}  // namespace
}  // namespace twinplan
