// scanDicom / toJson on small DICOM files written here with DCMTK: the tree, the order, the
// series kinds, the geometry read from headers, character sets and the reason for each skip.
#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_index.h"

namespace fs = std::filesystem;
using namespace twinplan;
using twinplan::io::DicomIndex;
using twinplan::io::DicomSeries;
using twinplan::io::SeriesKind;

namespace {

// One object to write: the attributes the scanner reads, with values that tell files apart.
struct TestObject {
  std::string patientId = "TP-001", patientName = "Doe^Jane", charset;
  std::string studyUid = "1.2.826.0.1.3680043.9.7433.1";
  std::string seriesUid = "1.2.826.0.1.3680043.9.7433.1.1", sopUid;
  std::string sopClass = UID_CTImageStorage, modality = "CT",
              imageType = "ORIGINAL\\PRIMARY\\AXIAL";
  std::string description = "Abdomen", numberOfFrames;
  int seriesNumber = 2, instanceNumber = 1;
  double z_mm = 0.0;
  std::string orientation = "1\\0\\0\\0\\1\\0";
  bool image = true;     // false: no pixel module (RT structure set, SR ...)
  bool geometry = true;  // false: no plane position / orientation (projection radiograph)
};

void writeObject(const fs::path& file, const TestObject& object,
                 E_TransferSyntax syntax = EXS_LittleEndianExplicit,
                 E_FileWriteMode mode = EWM_fileformat) {
  DcmFileFormat fileFormat;
  DcmDataset& data = *fileFormat.getDataset();
  const auto put = [&](const DcmTagKey& tag, const std::string& value) {
    ASSERT_TRUE(data.putAndInsertString(tag, value.c_str()).good());
  };
  if (!object.charset.empty()) put(DCM_SpecificCharacterSet, object.charset);
  put(DCM_SOPClassUID, object.sopClass);
  put(DCM_SOPInstanceUID, object.sopUid);
  put(DCM_Modality, object.modality);
  put(DCM_PatientName, object.patientName);
  put(DCM_PatientID, object.patientId);
  put(DCM_StudyInstanceUID, object.studyUid);
  put(DCM_StudyDate, "20240102");
  if (!object.seriesUid.empty()) put(DCM_SeriesInstanceUID, object.seriesUid);
  put(DCM_SeriesNumber, std::to_string(object.seriesNumber));
  put(DCM_SeriesDescription, object.description);
  put(DCM_InstanceNumber, std::to_string(object.instanceNumber));
  if (object.image) {
    put(DCM_ImageType, object.imageType);
    if (object.geometry) {
      put(DCM_ImagePositionPatient, "-10\\-20\\" + std::to_string(object.z_mm));
      put(DCM_ImageOrientationPatient, object.orientation);
    }
    if (!object.numberOfFrames.empty()) put(DCM_NumberOfFrames, object.numberOfFrames);
    ASSERT_TRUE(data.putAndInsertUint16(DCM_Rows, 4).good());
    ASSERT_TRUE(data.putAndInsertUint16(DCM_Columns, 3).good());
    ASSERT_TRUE(data.putAndInsertUint16(DCM_BitsAllocated, 16).good());
    ASSERT_TRUE(data.putAndInsertUint16(DCM_BitsStored, 16).good());
    ASSERT_TRUE(data.putAndInsertUint16(DCM_HighBit, 15).good());
    ASSERT_TRUE(data.putAndInsertUint16(DCM_PixelRepresentation, 1).good());
    ASSERT_TRUE(data.putAndInsertUint16(DCM_SamplesPerPixel, 1).good());
    put(DCM_PhotometricInterpretation, "MONOCHROME2");
    const std::vector<Uint16> pixels(4 * 3, 100);
    ASSERT_TRUE(data.putAndInsertUint16Array(DCM_PixelData, pixels.data(),
                                             static_cast<unsigned long>(pixels.size()))
                    .good());
  }
  const OFCondition saved = fileFormat.saveFile(
      OFFilename(file.c_str()), syntax, EET_ExplicitLength, EGL_recalcGL, EPD_noChange, 0, 0, mode);
  ASSERT_TRUE(saved.good()) << saved.text();
}

void writeBytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out << bytes;
}

std::string readBytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const io::SkippedFile* skippedEntry(const DicomIndex& index, const std::string& fileName) {
  for (const auto& skipped : index.skipped)
    if (skipped.file.filename() == fileName) return &skipped;
  return nullptr;
}

const DicomSeries* seriesNumbered(const DicomIndex& index, int number) {
  for (const DicomSeries* series : index.allSeries())
    if (series->seriesNumber == number) return series;
  return nullptr;
}

// A folder with two patients: a CT of 3 slices written out of order, a CT scout, a secondary
// capture and an RT structure set for the first; an MR of 2 slices (in a sub-folder) for the
// second; plus files that must be skipped.
class DicomScanFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    TestObject ct;
    const int instanceOfFile[3] = {3, 1, 2};
    for (int i = 0; i < 3; ++i) {
      ct.instanceNumber = instanceOfFile[i];
      ct.z_mm = 2.5 * instanceOfFile[i];
      ct.sopUid = "1.2.826.0.1.3680043.9.7433.1.1." + std::to_string(ct.instanceNumber);
      writeObject(dir_ / ("ct_" + std::string(1, static_cast<char>('a' + i)) + ".dcm"), ct);
    }
    TestObject scout = ct;
    scout.seriesUid = "1.2.826.0.1.3680043.9.7433.1.9";
    scout.sopUid = scout.seriesUid + ".1";
    scout.seriesNumber = 1;
    scout.imageType = "ORIGINAL\\PRIMARY\\LOCALIZER";
    scout.description = "Topo";
    writeObject(dir_ / "scout.dcm", scout);

    TestObject capture = ct;
    capture.seriesUid = "1.2.826.0.1.3680043.9.7433.1.3";
    capture.sopUid = capture.seriesUid + ".1";
    capture.seriesNumber = 3;
    capture.sopClass = UID_SecondaryCaptureImageStorage;
    capture.modality = "OT";
    writeObject(dir_ / "capture.dcm", capture);

    TestObject structures = ct;
    structures.seriesUid = "1.2.826.0.1.3680043.9.7433.1.4";
    structures.sopUid = structures.seriesUid + ".1";
    structures.seriesNumber = 4;
    structures.sopClass = UID_RTStructureSetStorage;
    structures.modality = "RTSTRUCT";
    structures.image = false;
    writeObject(dir_ / "rs.dcm", structures);

    fs::create_directories(dir_ / "second");
    TestObject mr;
    mr.patientId = "TP-002";
    mr.patientName = "Roe^Richard";
    mr.studyUid = "1.2.826.0.1.3680043.9.7433.2";
    mr.seriesUid = "1.2.826.0.1.3680043.9.7433.2.1";
    mr.sopClass = UID_MRImageStorage;
    mr.modality = "MR";
    mr.seriesNumber = 7;
    for (int i = 1; i <= 2; ++i) {
      mr.instanceNumber = i;
      mr.sopUid = mr.seriesUid + "." + std::to_string(i);
      // A preamble-less data set in implicit VR, as old archives and some exporters write.
      writeObject(dir_ / "second" / ("mr" + std::to_string(i)), mr, EXS_LittleEndianImplicit,
                  EWM_dataset);
    }

    writeBytes(dir_ / "notes.txt", "Patient arrived late; scan repeated.\n");
    const std::string slice = readBytes(dir_ / "ct_a.dcm");
    // Cut inside the value of PatientName, well before the pixel data.
    writeBytes(dir_ / "header_cut.dcm", slice.substr(0, slice.find("Doe^Jane") + 3));
    writeBytes(dir_ / "pixels_cut.dcm", slice.substr(0, slice.size() - 6));
    fs::copy_file(dir_ / "ct_b.dcm", dir_ / "ct_b_copy.dcm");

    TestObject orphan = ct;
    orphan.seriesUid.clear();
    orphan.sopUid = "1.2.826.0.1.3680043.9.7433.1.99";
    writeObject(dir_ / "no_series.dcm", orphan);

    TestObject badFrames = ct;
    badFrames.seriesUid = "1.2.826.0.1.3680043.9.7433.1.5";
    badFrames.sopUid = badFrames.seriesUid + ".1";
    badFrames.numberOfFrames = "1A";
    writeObject(dir_ / "bad_frames.dcm", badFrames);
  }

  test::TempDir dir_{"twinplan-scan"};
};

TEST_F(DicomScanFolder, BuildsTreeWithCountsKindsAndOrder) {
  const DicomIndex index = io::scanDicom(dir_.path());
  EXPECT_EQ(index.filesScanned, 14u);
  ASSERT_EQ(index.patients.size(), 2u);
  // Patients sorted by name: Doe before Roe.
  const io::DicomPatient& doe = index.patients[0];
  EXPECT_EQ(doe.name, "Doe^Jane");
  EXPECT_EQ(doe.id, "TP-001");
  ASSERT_EQ(doe.studies.size(), 1u);
  const auto& series = doe.studies[0].series;
  ASSERT_EQ(series.size(), 4u);
  // Series sorted by number: scout 1, CT 2, capture 3, structures 4.
  EXPECT_EQ(series[0].kind, SeriesKind::Localizer);
  EXPECT_NE(series[0].kindReason.find("LOCALIZER"), std::string::npos) << series[0].kindReason;
  EXPECT_EQ(series[1].kind, SeriesKind::Volume);
  EXPECT_TRUE(series[1].kindReason.empty());
  EXPECT_EQ(series[2].kind, SeriesKind::SecondaryCapture);
  EXPECT_EQ(series[3].kind, SeriesKind::RtStruct);
  EXPECT_EQ(series[3].frameCount(), 0u);  // no image in a structure set

  const DicomSeries& ct = series[1];
  EXPECT_EQ(ct.modality, "CT");
  EXPECT_EQ(ct.description, "Abdomen");
  EXPECT_EQ(ct.date, "20240102");  // no SeriesDate: the study date stands in
  ASSERT_EQ(ct.instances.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const io::DicomInstance& slice = ct.instances[static_cast<std::size_t>(i)];
    EXPECT_EQ(slice.instanceNumber, i + 1);
    EXPECT_EQ(slice.rows, 4);
    EXPECT_EQ(slice.columns, 3);
    EXPECT_EQ(slice.frames, 1);
    EXPECT_EQ(slice.sopClassUid, UID_CTImageStorage);
    EXPECT_EQ(slice.transferSyntaxUid, UID_LittleEndianExplicitTransferSyntax);
    EXPECT_EQ(slice.imageType, "ORIGINAL\\PRIMARY\\AXIAL");
    ASSERT_TRUE(slice.imagePosition_lps.has_value());
    EXPECT_DOUBLE_EQ(slice.imagePosition_lps->x(), -10.0);
    EXPECT_DOUBLE_EQ(slice.imagePosition_lps->z(), 2.5 * (i + 1));
    ASSERT_TRUE(slice.imageOrientation.has_value());
    EXPECT_DOUBLE_EQ((*slice.imageOrientation)[4], 1.0);
  }
  EXPECT_EQ(ct.instances[0].file.filename(), "ct_b.dcm");  // instance 1 was written second

  const io::DicomPatient& roe = index.patients[1];
  EXPECT_EQ(roe.name, "Roe^Richard");
  ASSERT_EQ(roe.studies.size(), 1u);
  ASSERT_EQ(roe.studies[0].series.size(), 1u);
  const DicomSeries& mr = roe.studies[0].series[0];
  EXPECT_EQ(mr.kind, SeriesKind::Volume);
  EXPECT_EQ(mr.instances.size(), 2u);
  EXPECT_EQ(mr.instances[0].transferSyntaxUid, UID_LittleEndianImplicitTransferSyntax);
}

TEST_F(DicomScanFolder, ListsEveryUnusableFileWithItsReason) {
  const DicomIndex index = io::scanDicom(dir_.path());
  ASSERT_EQ(index.skipped.size(), 6u);
  const auto expectReason = [&](const std::string& file, const std::string& words) {
    const io::SkippedFile* entry = skippedEntry(index, file);
    ASSERT_NE(entry, nullptr) << file << " is not listed as skipped";
    EXPECT_NE(entry->reason.find(words), std::string::npos) << file << ": " << entry->reason;
  };
  expectReason("notes.txt", "Not a DICOM file");
  expectReason("header_cut.dcm", "header ends early");
  expectReason("pixels_cut.dcm", "Truncated pixel data");
  expectReason("ct_b_copy.dcm", "Same SOPInstanceUID");
  expectReason("no_series.dcm", "No SeriesInstanceUID");
  expectReason("bad_frames.dcm", "NumberOfFrames");
  // The skipped list is sorted by path.
  EXPECT_TRUE(std::is_sorted(index.skipped.begin(), index.skipped.end(),
                             [](const auto& a, const auto& b) { return a.file < b.file; }));
}

TEST_F(DicomScanFolder, ScansASingleFile) {
  const DicomIndex index = io::scanDicom(dir_ / "ct_c.dcm");
  EXPECT_EQ(index.filesScanned, 1u);
  EXPECT_TRUE(index.skipped.empty());
  ASSERT_EQ(index.allSeries().size(), 1u);
  EXPECT_EQ(index.allSeries()[0]->instances.at(0).instanceNumber, 2);

  const DicomIndex notDicom = io::scanDicom(dir_ / "notes.txt");
  EXPECT_TRUE(notDicom.patients.empty());
  ASSERT_EQ(notDicom.skipped.size(), 1u);
}

TEST_F(DicomScanFolder, ReportsProgressAndCancels) {
  test::RecordingProgress progress;
  io::scanDicom(dir_.path(), progress);
  ASSERT_GE(progress.fractions.size(), 3u);
  EXPECT_TRUE(std::is_sorted(progress.fractions.begin(), progress.fractions.end()));
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);

  test::RecordingProgress cancelling(2);
  EXPECT_THROW(io::scanDicom(dir_.path(), cancelling), Cancelled);
  EXPECT_LT(cancelling.fractions.size(), progress.fractions.size());
}

TEST_F(DicomScanFolder, JsonHasTheTreeInStableOrder) {
  const nlohmann::json json = io::toJson(io::scanDicom(dir_.path()));
  EXPECT_EQ(json.at("filesScanned"), 14);
  ASSERT_EQ(json.at("patients").size(), 2u);
  const auto& series = json.at("patients")[0].at("studies")[0].at("series");
  ASSERT_EQ(series.size(), 4u);
  EXPECT_EQ(series[0].at("kind"), "localizer");
  EXPECT_EQ(series[1].at("kind"), "volume");
  EXPECT_EQ(series[1].at("number"), 2);
  EXPECT_EQ(series[1].at("files"), 3);
  EXPECT_EQ(series[1].at("frames"), 3);
  EXPECT_EQ(series[1].at("rows"), 4);
  EXPECT_EQ(series[1].at("columns"), 3);
  EXPECT_EQ(series[1].at("modality"), "CT");
  EXPECT_EQ(series[1].at("uid"), "1.2.826.0.1.3680043.9.7433.1.1");
  EXPECT_EQ(series[3].at("kind"), "rtstruct");
  EXPECT_FALSE(series[3].at("kindReason").get<std::string>().empty());
  ASSERT_EQ(json.at("skipped").size(), 6u);
  for (const auto& skipped : json.at("skipped")) {
    EXPECT_FALSE(skipped.at("file").get<std::string>().empty());
    EXPECT_FALSE(skipped.at("reason").get<std::string>().empty());
  }
  // Scanning again gives the same document.
  EXPECT_EQ(json.dump(), io::toJson(io::scanDicom(dir_.path())).dump());
}

// A FIFO would block a reader forever; a broken link and a file name that is not UTF-8 must
// still give a listing that dumps as JSON.
TEST(DicomScan, SkipsSpecialFilesWithoutOpeningThem) {
  test::TempDir dir("twinplan-scan-special");
  ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
  fs::create_symlink(dir / "gone.dcm", dir / "dangling.dcm");
  writeBytes(dir / "r\xE9sum\xE9.txt", "not an image");  // Latin-1 bytes in the name
  const DicomIndex index = io::scanDicom(dir.path());
  EXPECT_EQ(index.filesScanned, 1u);
  ASSERT_EQ(index.skipped.size(), 3u);
  EXPECT_NE(skippedEntry(index, "pipe")->reason.find("Not a regular file"), std::string::npos);
  EXPECT_NE(skippedEntry(index, "dangling.dcm")->reason.find("symbolic link"), std::string::npos);
  std::string json;
  ASSERT_NO_THROW(json = io::toJson(index).dump());
  EXPECT_NE(json.find("r\u00e9sum\u00e9.txt"), std::string::npos);  // read as Latin-1
}

TEST(DicomScan, MissingPathIsNotFound) {
  try {
    io::scanDicom("/nonexistent/twinplan/dicom");
    FAIL() << "expected Error(NotFound)";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::NotFound);
    EXPECT_EQ(error.context(), "/nonexistent/twinplan/dicom");
  }
}

TEST(DicomScan, DecodesPatientNamesWithTheirCharacterSet) {
  test::TempDir dir("twinplan-scan-charset");
  TestObject latin1;
  latin1.charset = "ISO_IR 100";
  latin1.patientName = "Buc^J\xE9r\xF4me";  // ISO 8859-1 bytes
  latin1.sopUid = "1.2.826.0.1.3680043.9.7433.3.1";
  writeObject(dir / "latin1.dcm", latin1);

  TestObject japanese;
  japanese.charset = "\\ISO 2022 IR 87";
  japanese.patientId = "TP-JP";
  // "Yamada^Tarou=" then JIS X 0208 in ISO 2022 escapes (PS3.5 H.3.1).
  japanese.patientName = "Yamada^Tarou=\x1B$B;3ED\x1B(B^\x1B$BB@O:\x1B(B";
  japanese.sopUid = "1.2.826.0.1.3680043.9.7433.3.2";
  writeObject(dir / "japanese.dcm", japanese);

  TestObject undeclared;
  undeclared.patientId = "TP-UNDECLARED";
  undeclared.patientName = "M\xFCller^Hans";  // Latin-1 without (0008,0005): kept readable
  undeclared.sopUid = "1.2.826.0.1.3680043.9.7433.3.3";
  writeObject(dir / "undeclared.dcm", undeclared);

  const DicomIndex index = io::scanDicom(dir.path());
  std::vector<std::string> names;
  for (const auto& patient : index.patients) names.push_back(patient.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "Buc^J\u00E9r\u00F4me"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "Yamada^Tarou=\u5C71\u7530^\u592A\u90CE"),
            names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "M\u00FCller^Hans"), names.end());
  EXPECT_NO_THROW(io::toJson(index).dump());
}

TEST(DicomScan, ReadsEnhancedGeometryFromFunctionalGroups) {
  test::TempDir dir("twinplan-scan-enhanced");
  DcmFileFormat fileFormat;
  DcmDataset& data = *fileFormat.getDataset();
  ASSERT_TRUE(data.putAndInsertString(DCM_SOPClassUID, UID_EnhancedMRImageStorage).good());
  ASSERT_TRUE(
      data.putAndInsertString(DCM_SOPInstanceUID, "1.2.826.0.1.3680043.9.7433.4.1.1").good());
  ASSERT_TRUE(
      data.putAndInsertString(DCM_SeriesInstanceUID, "1.2.826.0.1.3680043.9.7433.4.1").good());
  ASSERT_TRUE(data.putAndInsertString(DCM_Modality, "MR").good());
  ASSERT_TRUE(data.putAndInsertString(DCM_NumberOfFrames, "2").good());
  ASSERT_TRUE(data.putAndInsertUint16(DCM_Rows, 8).good());
  ASSERT_TRUE(data.putAndInsertUint16(DCM_Columns, 8).good());
  for (int frame = 0; frame < 2; ++frame) {
    DcmItem* groups = nullptr;
    ASSERT_TRUE(
        data.findOrCreateSequenceItem(DCM_PerFrameFunctionalGroupsSequence, groups, frame).good());
    DcmItem* position = nullptr;
    ASSERT_TRUE(groups->findOrCreateSequenceItem(DCM_PlanePositionSequence, position, 0).good());
    const std::string ipp = "1.5\\-2.5\\" + std::to_string(10 + 4 * frame);
    ASSERT_TRUE(position->putAndInsertString(DCM_ImagePositionPatient, ipp.c_str()).good());
  }
  DcmItem* shared = nullptr;
  ASSERT_TRUE(data.findOrCreateSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0).good());
  DcmItem* orientation = nullptr;
  ASSERT_TRUE(
      shared->findOrCreateSequenceItem(DCM_PlaneOrientationSequence, orientation, 0).good());
  ASSERT_TRUE(
      orientation->putAndInsertString(DCM_ImageOrientationPatient, "0\\1\\0\\0\\0\\-1").good());
  ASSERT_TRUE(
      fileFormat.saveFile(OFFilename((dir / "enhanced.dcm").c_str()), EXS_LittleEndianExplicit)
          .good());

  const DicomIndex index = io::scanDicom(dir / "enhanced.dcm");
  ASSERT_EQ(index.allSeries().size(), 1u);
  const DicomSeries& series = *index.allSeries()[0];
  EXPECT_EQ(series.kind, SeriesKind::Volume);
  EXPECT_EQ(series.frameCount(), 2u);
  const io::DicomInstance& instance = series.instances.at(0);
  ASSERT_TRUE(instance.imagePosition_lps.has_value());
  EXPECT_DOUBLE_EQ(instance.imagePosition_lps->x(), 1.5);
  EXPECT_DOUBLE_EQ(instance.imagePosition_lps->y(), -2.5);
  EXPECT_DOUBLE_EQ(instance.imagePosition_lps->z(), 10.0);  // the first frame's
  ASSERT_TRUE(instance.imageOrientation.has_value());
  EXPECT_DOUBLE_EQ((*instance.imageOrientation)[1], 1.0);
  EXPECT_DOUBLE_EQ((*instance.imageOrientation)[5], -1.0);
}

TEST(DicomScan, NamesMultiPlaneScoutsAndProjectionImages) {
  test::TempDir dir("twinplan-scan-kinds");
  TestObject threePlane;
  threePlane.sopClass = UID_MRImageStorage;
  threePlane.modality = "MR";
  threePlane.description = "T1 tse";
  const char* orientations[3] = {"1\\0\\0\\0\\1\\0", "0\\1\\0\\0\\0\\-1", "1\\0\\0\\0\\0\\-1"};
  for (int i = 0; i < 3; ++i) {
    threePlane.instanceNumber = i + 1;
    threePlane.orientation = orientations[i];
    threePlane.sopUid = threePlane.seriesUid + "." + std::to_string(i + 1);
    writeObject(dir / ("plane" + std::to_string(i)), threePlane);
  }
  TestObject scoutByName = threePlane;
  scoutByName.seriesUid = "1.2.826.0.1.3680043.9.7433.1.2";
  scoutByName.sopUid = scoutByName.seriesUid + ".1";
  scoutByName.seriesNumber = 1;
  scoutByName.description = "3-Plane Loc";
  writeObject(dir / "loc", scoutByName);
  TestObject radiograph = threePlane;
  radiograph.seriesUid = "1.2.826.0.1.3680043.9.7433.1.3";
  radiograph.sopUid = radiograph.seriesUid + ".1";
  radiograph.seriesNumber = 3;
  radiograph.sopClass = UID_ComputedRadiographyImageStorage;
  radiograph.modality = "CR";
  radiograph.description = "Chest PA";
  radiograph.geometry = false;
  writeObject(dir / "chest", radiograph);

  const DicomIndex index = io::scanDicom(dir.path());
  const DicomSeries* planes = seriesNumbered(index, 2);
  ASSERT_NE(planes, nullptr);
  EXPECT_EQ(planes->kind, SeriesKind::Localizer);
  EXPECT_NE(planes->kindReason.find("3 different planes"), std::string::npos) << planes->kindReason;
  const DicomSeries* named = seriesNumbered(index, 1);
  ASSERT_NE(named, nullptr);
  EXPECT_EQ(named->kind, SeriesKind::Localizer);
  EXPECT_NE(named->kindReason.find("3-Plane Loc"), std::string::npos) << named->kindReason;
  const DicomSeries* chest = seriesNumbered(index, 3);
  ASSERT_NE(chest, nullptr);
  EXPECT_EQ(chest->kind, SeriesKind::Other);
  EXPECT_NE(chest->kindReason.find("ImagePositionPatient"), std::string::npos) << chest->kindReason;
}

}  // namespace
