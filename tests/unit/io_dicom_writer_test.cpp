// io::writeDicomSeries: written files read back with DCMTK (tags, geometry, pixels). The
// comparison with an independent converter (dcm2niix) is in
// tests/integration/io_dicom_writer_dcm2niix_test.cpp.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <regex>
#include <set>

#include "oblique_grid.h"
#include "test_support.h"
#include "twinplan/io/dicom_writer.h"

namespace twinplan {
namespace {
namespace fs = std::filesystem;

// 7 columns x 5 rows x 4 slices, anisotropic, oblique (30 deg about L-R then 10 deg about S).
ImageGeometry smallObliqueGrid() { return test::obliqueWriterGrid({7, 5, 4}); }

std::int16_t ctValue(std::int64_t i, std::int64_t j, std::int64_t k) {
  if (i == 0 && j == 0) return static_cast<std::int16_t>(k == 0 ? -1024 : 3071);
  return static_cast<std::int16_t>(i + 10 * j + 100 * k - 250);
}

ImageVolume smallCt() {
  ImageVolume v(smallObliqueGrid(), PixelType::Int16);
  v.name = "CT";
  v.unit = "HU";
  v.dicom.modality = "CT";
  v.dicom.patientName = "Test^Writer";
  v.dicom.patientId = "W-1";
  v.dicom.seriesDescription = "writer test";
  v.dicom.seriesNumber = 7;
  const auto& g = v.geometry();
  auto voxels = v.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        voxels[g.linearIndex(i, j, k)] = ctValue(i, j, k);
  return v;
}

struct ReadBack {
  DcmFileFormat file;
  DcmDataset* dataset() { return file.getDataset(); }
  std::string text(const DcmTagKey& tag) {
    OFString value;
    dataset()->findAndGetOFStringArray(tag, value);
    return value.c_str();
  }
  double number(const DcmTagKey& tag, unsigned long index = 0) {
    Float64 value = std::nan("");
    dataset()->findAndGetFloat64(tag, value, index);
    return value;
  }
  long integer(const DcmTagKey& tag) {  // IS attributes
    Sint32 value = -1;
    dataset()->findAndGetSint32(tag, value);
    return value;
  }
  Uint16 u16(const DcmTagKey& tag) {
    Uint16 value = 0;
    dataset()->findAndGetUint16(tag, value);
    return value;
  }
};

std::unique_ptr<ReadBack> readBack(const fs::path& file) {
  auto r = std::make_unique<ReadBack>();
  const OFCondition status = r->file.loadFile(file.c_str());
  EXPECT_TRUE(status.good()) << file << ": " << status.text();
  return r;
}

Vec3 position(ReadBack& r) {
  return Vec3(r.number(DCM_ImagePositionPatient, 0), r.number(DCM_ImagePositionPatient, 1),
              r.number(DCM_ImagePositionPatient, 2));
}

bool isValidUid(const std::string& uid) {
  static const std::regex kUid(R"((0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*)");
  return !uid.empty() && uid.size() <= 64 && std::regex_match(uid, kUid);
}

TEST(DicomWriter, WritesOneCtFilePerSliceWithGeometryAndPixels) {
  test::TempDir dir("dicom-writer");
  const ImageVolume volume = smallCt();
  const auto& g = volume.geometry();
  test::RecordingProgress progress;
  const io::DicomWriteResult result = io::writeDicomSeries(volume, dir.path(), {}, progress);
  ASSERT_EQ(result.files.size(), 4u);
  EXPECT_EQ(result.sopClassUid, UID_CTImageStorage);
  EXPECT_TRUE(isValidUid(result.studyInstanceUid)) << result.studyInstanceUid;
  EXPECT_TRUE(isValidUid(result.seriesInstanceUid)) << result.seriesInstanceUid;
  EXPECT_TRUE(isValidUid(result.frameOfReferenceUid)) << result.frameOfReferenceUid;
  EXPECT_EQ(result.studyInstanceUid.rfind(OFFIS_UID_ROOT, 0), 0u) << "UIDs use DCMTK's root";
  ASSERT_EQ(progress.fractions.size(), 4u);
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);

  std::set<std::string> sopInstances;
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    auto r = readBack(result.files[static_cast<std::size_t>(k)]);
    DcmMetaInfo* meta = r->file.getMetaInfo();
    OFString transferSyntax;
    meta->findAndGetOFString(DCM_TransferSyntaxUID, transferSyntax);
    EXPECT_EQ(transferSyntax, UID_LittleEndianExplicitTransferSyntax);
    EXPECT_EQ(r->text(DCM_SOPClassUID), UID_CTImageStorage);
    const std::string sop = r->text(DCM_SOPInstanceUID);
    EXPECT_TRUE(isValidUid(sop)) << sop;
    sopInstances.insert(sop);
    EXPECT_EQ(r->text(DCM_Modality), "CT");
    EXPECT_EQ(r->text(DCM_PatientName), "Test^Writer");
    EXPECT_EQ(r->text(DCM_PatientID), "W-1");
    EXPECT_EQ(r->text(DCM_PatientPosition), "HFS");
    EXPECT_EQ(r->text(DCM_SeriesDescription), "writer test");
    EXPECT_EQ(r->integer(DCM_SeriesNumber), 7);
    EXPECT_EQ(r->text(DCM_StudyInstanceUID), result.studyInstanceUid);
    EXPECT_EQ(r->text(DCM_SeriesInstanceUID), result.seriesInstanceUid);
    EXPECT_EQ(r->text(DCM_FrameOfReferenceUID), result.frameOfReferenceUid);
    EXPECT_EQ(r->integer(DCM_InstanceNumber), k + 1);
    EXPECT_EQ(r->u16(DCM_Rows), 5);
    EXPECT_EQ(r->u16(DCM_Columns), 7);
    EXPECT_EQ(r->u16(DCM_BitsAllocated), 16);
    EXPECT_EQ(r->u16(DCM_BitsStored), 16);
    EXPECT_EQ(r->u16(DCM_HighBit), 15);
    EXPECT_EQ(r->u16(DCM_PixelRepresentation), 1);
    EXPECT_EQ(r->u16(DCM_SamplesPerPixel), 1);
    EXPECT_EQ(r->text(DCM_PhotometricInterpretation), "MONOCHROME2");
    EXPECT_EQ(r->number(DCM_RescaleSlope), 1.0);
    EXPECT_EQ(r->number(DCM_RescaleIntercept), 0.0);
    EXPECT_EQ(r->number(DCM_WindowCenter), 40.0);
    EXPECT_EQ(r->number(DCM_WindowWidth), 400.0);
    // PixelSpacing is row spacing (along j) first, then column spacing (along i).
    EXPECT_DOUBLE_EQ(r->number(DCM_PixelSpacing, 0), 0.9);
    EXPECT_DOUBLE_EQ(r->number(DCM_PixelSpacing, 1), 0.7);
    EXPECT_DOUBLE_EQ(r->number(DCM_SliceThickness), 2.5);
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(r->number(DCM_ImageOrientationPatient, c), g.direction(c, 0), 1e-9);
      EXPECT_NEAR(r->number(DCM_ImageOrientationPatient, 3 + c), g.direction(c, 1), 1e-9);
    }
    const Vec3 expected = g.indexToLps(Vec3(0, 0, static_cast<double>(k)));
    EXPECT_NEAR((position(*r) - expected).norm(), 0.0, 1e-6) << "slice " << k;

    const Uint16* words = nullptr;
    ASSERT_TRUE(r->dataset()->findAndGetUint16Array(DCM_PixelData, words).good());
    for (std::int64_t j = 0; j < 5; ++j) {
      for (std::int64_t i = 0; i < 7; ++i) {
        std::int16_t stored;
        std::memcpy(&stored, &words[j * 7 + i], 2);
        ASSERT_EQ(stored, ctValue(i, j, k)) << "voxel " << i << "," << j << "," << k;
      }
    }
  }
  EXPECT_EQ(sopInstances.size(), 4u);

  // First and last slice positions, spelled out: origin, and origin + 3 * 2.5 mm * normal.
  auto first = readBack(result.files.front());
  auto last = readBack(result.files.back());
  EXPECT_NEAR((position(*first) - Vec3(-12.5, 30.25, 101.0)).norm(), 0.0, 1e-6);
  const Vec3 normal = g.direction.col(2);
  EXPECT_NEAR((position(*last) - (Vec3(-12.5, 30.25, 101.0) + 7.5 * normal)).norm(), 0.0, 1e-6);
  EXPECT_NEAR(last->number(DCM_SliceLocation) - first->number(DCM_SliceLocation), 7.5, 1e-6);
}

TEST(DicomWriter, SharesStudyAndFrameOfReferenceBetweenCtAndMr) {
  test::TempDir dir("dicom-writer");
  ImageVolume ct = smallCt();
  ImageVolume mr(ct.geometry(), PixelType::UInt16);
  mr.name = "MR T1";
  mr.dicom.modality = "MR";
  auto mrVoxels = mr.voxels<std::uint16_t>();
  for (std::size_t n = 0; n < mrVoxels.size(); ++n)
    mrVoxels[n] = static_cast<std::uint16_t>(n * 400);

  io::DicomWriteOptions options;
  options.studyInstanceUid = io::makeDicomUid(io::UidKind::Study);
  options.frameOfReferenceUid = io::makeDicomUid(io::UidKind::FrameOfReference);
  const auto ctResult = io::writeDicomSeries(ct, dir / "CT", options);
  options.seriesNumber = 2;
  const auto mrResult = io::writeDicomSeries(mr, dir / "MR", options);
  EXPECT_EQ(ctResult.studyInstanceUid, options.studyInstanceUid);
  EXPECT_EQ(mrResult.studyInstanceUid, options.studyInstanceUid);
  EXPECT_EQ(mrResult.frameOfReferenceUid, options.frameOfReferenceUid);
  EXPECT_NE(ctResult.seriesInstanceUid, mrResult.seriesInstanceUid);

  auto r = readBack(mrResult.files[2]);
  EXPECT_EQ(r->text(DCM_SOPClassUID), UID_MRImageStorage);
  EXPECT_EQ(r->text(DCM_Modality), "MR");
  EXPECT_EQ(r->text(DCM_StudyInstanceUID), options.studyInstanceUid);
  EXPECT_EQ(r->text(DCM_FrameOfReferenceUID), options.frameOfReferenceUid);
  EXPECT_EQ(r->u16(DCM_PixelRepresentation), 0);
  EXPECT_FALSE(r->dataset()->tagExists(DCM_RescaleSlope)) << "MR stores its values unscaled";
  EXPECT_EQ(r->text(DCM_ScanningSequence), "GR\\IR");
  EXPECT_DOUBLE_EQ(r->number(DCM_RepetitionTime), 2300.0);
  EXPECT_EQ(r->integer(DCM_SeriesNumber), 2);
  const Uint16* words = nullptr;
  ASSERT_TRUE(r->dataset()->findAndGetUint16Array(DCM_PixelData, words).good());
  EXPECT_EQ(words[0], static_cast<std::uint16_t>(70 * 400));  // first voxel of slice 2
  EXPECT_EQ(words[34], static_cast<std::uint16_t>(104 * 400));
}

TEST(DicomWriter, DeclaresUtf8OnlyForNonAsciiText) {
  test::TempDir dir("dicom-writer");
  ImageVolume ct = smallCt();
  auto plain = readBack(io::writeDicomSeries(ct, dir / "plain").files[0]);
  EXPECT_FALSE(plain->dataset()->tagExists(DCM_SpecificCharacterSet));
  ct.dicom.patientName = "M\xc3\xbcller^J\xc3\xbcrgen";  // Müller^Jürgen in UTF-8
  auto accented = readBack(io::writeDicomSeries(ct, dir / "utf8").files[0]);
  EXPECT_EQ(accented->text(DCM_SpecificCharacterSet), "ISO_IR 192");
  EXPECT_EQ(accented->text(DCM_PatientName), ct.dicom.patientName);
}

TEST(DicomWriter, QuantisesFloatVolumesWithRescale) {
  test::TempDir dir("dicom-writer");
  ImageGeometry g;
  g.size = {4, 3, 2};
  ImageVolume dose(g, PixelType::Float32);
  dose.name = "float";
  dose.dicom.modality = "CT";
  auto v = dose.voxels<float>();
  for (std::size_t n = 0; n < v.size(); ++n) v[n] = -3.25f + 0.731f * static_cast<float>(n);
  const auto result = io::writeDicomSeries(dose, dir.path(), {});
  auto r = readBack(result.files[1]);
  const double slope = r->number(DCM_RescaleSlope), intercept = r->number(DCM_RescaleIntercept);
  EXPECT_GT(slope, 0.0);
  const Uint16* words = nullptr;
  ASSERT_TRUE(r->dataset()->findAndGetUint16Array(DCM_PixelData, words).good());
  for (std::size_t n = 0; n < 12; ++n) {
    std::int16_t stored;
    std::memcpy(&stored, &words[n], 2);
    EXPECT_NEAR(stored * slope + intercept, v[12 + n], slope * 0.5 + 1e-6);
  }
}

TEST(DicomWriter, CancelStopsBetweenSlicesAndLeavesNoTemporaryFiles) {
  test::TempDir dir("dicom-writer");
  test::RecordingProgress progress(2);
  EXPECT_THROW(io::writeDicomSeries(smallCt(), dir.path(), {}, progress), Cancelled);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    ++files;
    EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
  }
  EXPECT_EQ(files, 2);
  // A caller that wants a fresh folder is told this one is not.
  io::DicomWriteOptions fresh;
  fresh.requireEmptyFolder = true;
  try {
    io::writeDicomSeries(smallCt(), dir.path(), fresh);
    FAIL() << "expected Error(InvalidInput)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
}

TEST(DicomWriter, ReportsUnwritableFolderAsIoErrorWithThePath) {
  test::TempDir dir("dicom-writer");
  std::ofstream(dir / "plain-file") << "not a folder";
  const fs::path folder = dir / "plain-file" / "series";
  try {
    io::writeDicomSeries(smallCt(), folder);
    FAIL() << "expected Error(Io)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find(folder.string()), std::string::npos) << e.what();
    EXPECT_EQ(e.context(), folder.string());
  }
}

TEST(DicomWriter, RefusesModalitiesItCannotWrite) {
  test::TempDir dir("dicom-writer");
  ImageVolume pet = smallCt();
  pet.dicom.modality = "PT";
  try {
    io::writeDicomSeries(pet, dir.path());
    FAIL() << "expected Error(Unsupported)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
  ImageVolume sheared = smallCt();
  ImageGeometry g = sheared.geometry();
  g.direction(0, 1) = 0.3;
  sheared.setGeometry(g);
  EXPECT_THROW(io::writeDicomSeries(sheared, dir.path()), Error);
}

}  // namespace
}  // namespace twinplan
