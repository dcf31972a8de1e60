// scanDicom on the real corpus in ../shared/data. Expected values come from
// ../shared/data/README.md, INVENTORY.tsv, malformed/MANIFEST.tsv, charset/FileInfo.txt and
// dcmdump (DCMTK 3.6.7): counts, kinds, first-frame geometry and decoded names.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_index.h"

namespace fs = std::filesystem;
using namespace twinplan;
using twinplan::io::DicomIndex;
using twinplan::io::DicomInstance;
using twinplan::io::DicomSeries;
using twinplan::io::SeriesKind;

namespace {

std::map<fs::path, const DicomInstance*> indexedFiles(const DicomIndex& index) {
  std::map<fs::path, const DicomInstance*> files;
  for (const DicomSeries* series : index.allSeries())
    for (const auto& instance : series->instances) files[instance.file] = &instance;
  return files;
}

std::map<fs::path, std::string> skippedFiles(const DicomIndex& index) {
  std::map<fs::path, std::string> files;
  for (const auto& skipped : index.skipped) files[skipped.file] = skipped.reason;
  return files;
}

std::vector<const DicomSeries*> seriesOfModality(const DicomIndex& index,
                                                 const std::string& modality) {
  std::vector<const DicomSeries*> found;
  for (const DicomSeries* series : index.allSeries())
    if (series->modality == modality) found.push_back(series);
  return found;
}

const DicomSeries* seriesHolding(const DicomIndex& index, const fs::path& file) {
  for (const DicomSeries* series : index.allSeries())
    for (const auto& instance : series->instances)
      if (instance.file == file) return series;
  return nullptr;
}

std::size_t instanceCount(const DicomIndex& index) {
  std::size_t count = 0;
  for (const DicomSeries* series : index.allSeries()) count += series->instances.size();
  return count;
}

std::size_t studyCount(const DicomIndex& index) {
  std::size_t count = 0;
  for (const auto& patient : index.patients) count += patient.studies.size();
  return count;
}

std::vector<fs::path> regularFilesUnder(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file()) files.push_back(entry.path());
  return files;
}

// Every file under `folder` is either indexed or skipped with a reason, never both.
void expectEveryFileAccountedFor(const DicomIndex& index, const fs::path& folder) {
  const auto indexed = indexedFiles(index);
  const auto skipped = skippedFiles(index);
  const auto files = regularFilesUnder(folder);
  EXPECT_EQ(index.filesScanned, files.size());
  for (const fs::path& file : files) {
    const bool isIndexed = indexed.count(file) > 0;
    const auto skip = skipped.find(file);
    EXPECT_NE(isIndexed, skip != skipped.end()) << file << " must be indexed or skipped, once";
    if (skip != skipped.end()) {
      EXPECT_FALSE(skip->second.empty()) << file;
    }
  }
}

TEST(DicomScanShared, SarcomaCtMrPetIsOnePatientWithThreeImagesAndThreeStructureSets) {
  const fs::path root = test::sharedData("sarcoma-ct-mr-pet");
  const DicomIndex index = io::scanDicom(root);
  ASSERT_EQ(index.patients.size(), 1u);
  EXPECT_EQ(index.patients[0].id, "STS_001");
  EXPECT_EQ(index.filesScanned, 188u);  // 180 DICOM + 6 NIfTI + LICENSE + README

  const std::map<std::string, std::array<int, 2>> rowsColumns = {
      {"CT", {202, 198}}, {"MR", {158, 174}}, {"PT", {43, 41}}};
  for (const auto& [modality, size] : rowsColumns) {
    const auto series = seriesOfModality(index, modality);
    ASSERT_EQ(series.size(), 1u) << modality;
    EXPECT_EQ(series[0]->kind, SeriesKind::Volume) << modality;
    EXPECT_EQ(series[0]->instances.size(), 59u) << modality;
    EXPECT_EQ(series[0]->frameCount(), 59u) << modality;
    EXPECT_EQ(series[0]->instances[0].rows, size[0]) << modality;
    EXPECT_EQ(series[0]->instances[0].columns, size[1]) << modality;
  }
  const auto structureSets = seriesOfModality(index, "RTSTRUCT");
  ASSERT_EQ(structureSets.size(), 3u);
  for (const DicomSeries* series : structureSets) {
    EXPECT_EQ(series->kind, SeriesKind::RtStruct);
    EXPECT_EQ(series->instances.size(), 1u);
    EXPECT_EQ(series->instances[0].file.filename(), "RS.dcm");
  }

  // Slices sorted by InstanceNumber (0..58); README: the CT's first IPP is (-23.44, -86.91,
  // -881.32).
  const DicomSeries& ct = *seriesOfModality(index, "CT")[0];
  EXPECT_EQ(ct.instances.front().instanceNumber, 0);
  EXPECT_EQ(ct.instances.back().instanceNumber, 58);
  EXPECT_EQ(ct.instances.front().file.filename(), "000000.dcm");
  ASSERT_TRUE(ct.instances.front().imagePosition_lps.has_value());
  EXPECT_NEAR(ct.instances.front().imagePosition_lps->x(), -23.437616, 1e-6);
  EXPECT_NEAR(ct.instances.front().imagePosition_lps->y(), -86.914146, 1e-6);
  EXPECT_NEAR(ct.instances.front().imagePosition_lps->z(), -881.32, 1e-6);
  EXPECT_EQ(ct.instances.front().transferSyntaxUid, "1.2.840.10008.1.2");  // implicit VR LE

  ASSERT_EQ(index.skipped.size(), 8u);
  for (const auto& skipped : index.skipped)
    EXPECT_NE(skipped.reason.find("Not a DICOM file"), std::string::npos) << skipped.file;
}

TEST(DicomScanShared, SegDcmqiHasCtAndTwoSegmentations) {
  const DicomIndex index = io::scanDicom(test::sharedData("seg-dcmqi"));
  const auto ct = seriesOfModality(index, "CT");
  ASSERT_EQ(ct.size(), 1u);
  EXPECT_EQ(ct[0]->instances.size(), 3u);
  EXPECT_EQ(ct[0]->kind, SeriesKind::Volume);
  const auto segmentations = seriesOfModality(index, "SEG");
  ASSERT_EQ(segmentations.size(), 2u);
  std::multiset<std::size_t> frames;
  for (const DicomSeries* series : segmentations) {
    EXPECT_EQ(series->kind, SeriesKind::Segmentation);
    EXPECT_NE(series->kindReason.find("Segmentation"), std::string::npos);
    frames.insert(series->frameCount());
  }
  EXPECT_EQ(frames, (std::multiset<std::size_t>{3, 7}));  // liver_seg, partial_overlaps_seg
}

// dcmdump: 2 PATIENT, 6 STUDY, 13 SERIES and 31 IMAGE records, the same in every variant.
TEST(DicomScanShared, DicomDirVariantsListTheSameFileSet) {
  for (const char* variant : {"DICOMDIR", "DICOMDIR-bigEnd", "DICOMDIR-implicit",
                              "DICOMDIR-nooffset", "DICOMDIR-reordered", "DICOMDIR-nopatient"}) {
    SCOPED_TRACE(variant);
    const fs::path dicomDir = test::sharedData(std::string("dicomdir/") + variant);
    const DicomIndex index = io::scanDicom(dicomDir);
    EXPECT_EQ(index.filesScanned, 32u);  // the DICOMDIR and the 31 files it lists
    ASSERT_EQ(index.patients.size(), 2u);
    EXPECT_EQ(index.patients[0].name, "Doe^Archibald");
    EXPECT_EQ(index.patients[0].id, "77654033");
    EXPECT_EQ(index.patients[1].name, "Doe^Peter");
    EXPECT_EQ(index.patients[1].id, "98890234");
    EXPECT_EQ(studyCount(index), 6u);
    EXPECT_EQ(index.allSeries().size(), 13u);
    EXPECT_EQ(instanceCount(index), 31u);
    ASSERT_EQ(index.skipped.size(), 1u);
    EXPECT_EQ(index.skipped[0].file, dicomDir);
    EXPECT_NE(index.skipped[0].reason.find("lists 31"), std::string::npos)
        << index.skipped[0].reason;
  }
  const DicomIndex empty = io::scanDicom(test::sharedData("dicomdir/DICOMDIR-empty.dcm"));
  EXPECT_TRUE(empty.patients.empty());
  EXPECT_EQ(empty.filesScanned, 1u);
  ASSERT_EQ(empty.skipped.size(), 1u);
  EXPECT_NE(empty.skipped[0].reason.find("lists 0"), std::string::npos);
}

// A copy of the file-set with one patient folder missing and one folder renamed to lower case,
// as FAT / ISO 9660 media often show it.
TEST(DicomScanShared, DicomDirListsMissingFilesAndMatchesNamesIgnoringCase) {
  const fs::path source = test::sharedData("dicomdir");
  test::TempDir copy("twinplan-dicomdir");
  fs::copy_file(source / "DICOMDIR", copy / "DICOMDIR");
  fs::copy(source / "77654033", copy / "77654033", fs::copy_options::recursive);
  // The corpus is read-only; the copy must be writable to rename in it and to be removed.
  for (const auto& entry : fs::recursive_directory_iterator(copy.path()))
    fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add);
  fs::rename(copy / "77654033" / "CR1", copy / "77654033" / "cr1");

  const DicomIndex index = io::scanDicom(copy / "DICOMDIR");
  ASSERT_EQ(index.patients.size(), 1u);
  EXPECT_EQ(index.patients[0].id, "77654033");
  EXPECT_EQ(instanceCount(index), 7u);  // 3 CR + 4 CT, cr1/6154 found as CR1/6154
  EXPECT_EQ(index.filesScanned, 8u);
  EXPECT_EQ(indexedFiles(index).count(copy / "77654033" / "cr1" / "6154"), 1u);
  std::size_t missing = 0;
  for (const auto& skipped : index.skipped)
    if (skipped.reason.find("Referenced by the DICOMDIR but missing") != std::string::npos)
      ++missing;
  EXPECT_EQ(missing, 24u);               // the 24 files of patient 98890234
  EXPECT_EQ(index.skipped.size(), 25u);  // and the DICOMDIR itself
}

TEST(DicomScanShared, DicomDirFolderNamesScoutsAndRadiographs) {
  const fs::path root = test::sharedData("dicomdir");
  const DicomIndex index = io::scanDicom(root);
  expectEveryFileAccountedFor(index, root);
  EXPECT_EQ(instanceCount(index), 31u);
  std::size_t dicomDirs = 0;
  for (const auto& skipped : index.skipped)
    if (skipped.reason.find("DICOMDIR") != std::string::npos) ++dicomDirs;
  EXPECT_EQ(dicomDirs, 7u);

  std::size_t radiographs = 0;
  for (const DicomSeries* series : index.allSeries()) {
    if (series->modality == "CR") {
      ++radiographs;
      EXPECT_EQ(series->kind, SeriesKind::Other) << series->description;
    }
    if (series->description == "Scout") {
      EXPECT_EQ(series->kind, SeriesKind::Localizer);
    }
    if (series->description == "FAST LOCALIZER") {
      EXPECT_EQ(series->kind, SeriesKind::Localizer);
    }
    if (series->description == "Routine Brain") {
      EXPECT_EQ(series->kind, SeriesKind::Volume);
    }
  }
  EXPECT_EQ(radiographs, 3u);
}

// malformed/MANIFEST.tsv: each file gets a reason or a correct entry, never a crash or a hang.
TEST(DicomScanShared, EveryMalformedFileIsIndexedOrSkippedWithAReason) {
  const fs::path root = test::sharedData("malformed");
  const DicomIndex index = io::scanDicom(root);
  expectEveryFileAccountedFor(index, root);
  const auto indexed = indexedFiles(index);
  const auto skipped = skippedFiles(index);
  const auto expectSkipped = [&](const std::string& file, const std::string& words) {
    const auto entry = skipped.find(root / file);
    ASSERT_NE(entry, skipped.end()) << file << " should be skipped";
    EXPECT_NE(entry->second.find(words), std::string::npos) << file << ": " << entry->second;
  };
  expectSkipped("MR_truncated.dcm", "Truncated pixel data");
  expectSkipped("emri_small_jpeg_2k_lossless_too_short.dcm", "Truncated pixel data");
  expectSkipped("rtplan_truncated.dcm", "header ends early");
  expectSkipped("badVR.dcm", "\"1A\"");
  expectSkipped("no_meta.dcm", "Not a DICOM file");  // starts one byte off a data element
  expectSkipped("priv_SQ.dcm", "No SeriesInstanceUID");
  expectSkipped("MANIFEST.tsv", "Not a DICOM file");

  for (const char* file : {"ExplVR_BigEndNoMeta.dcm", "J2K_pixelrep_mismatch.dcm", "JPEG-lossy.dcm",
                           "JPEG2000-embedded-sequence-delimiter.dcm", "bad_sequence.dcm",
                           "explicit_VR-UN.dcm", "reportsi_with_empty_number_tags.dcm"})
    EXPECT_EQ(indexed.count(root / file), 1u) << file << " should be indexed";

  // No preamble, no meta, explicit VR big endian: the syntax is guessed from the first bytes.
  const DicomInstance& bigEndian = *indexed.at(root / "ExplVR_BigEndNoMeta.dcm");
  EXPECT_EQ(bigEndian.transferSyntaxUid, "1.2.840.10008.1.2.2");
  EXPECT_EQ(seriesHolding(index, root / "ExplVR_BigEndNoMeta.dcm")->kind, SeriesKind::RtPlan);
  // The same object in little endian has the same SOPInstanceUID: a second copy.
  expectSkipped("ExplVR_LitEndNoMeta.dcm", "Same SOPInstanceUID");

  // Almost every element is VR UN: values are read with their dictionary VR.
  const DicomInstance& unknownVr = *indexed.at(root / "explicit_VR-UN.dcm");
  EXPECT_EQ(unknownVr.sopInstanceUid,
            "1.2.826.0.1.3680043.2.1125.1.8828356712501776637392831168989589");
  EXPECT_EQ(unknownVr.rows, 512);
  const DicomSeries& pancreas = *seriesHolding(index, root / "explicit_VR-UN.dcm");
  EXPECT_EQ(pancreas.modality, "CT");
  EXPECT_EQ(pancreas.description, "Pancreas");

  // An SR whose content items hold empty IS / DS values: listed as a non-image object.
  const DicomSeries& report = *seriesHolding(index, root / "reportsi_with_empty_number_tags.dcm");
  EXPECT_EQ(report.kind, SeriesKind::Other);
  EXPECT_EQ(report.instances[0].instanceNumber, 1);
  EXPECT_EQ(report.instances[0].frames, 0);
}

// Expected names: charset/FileInfo.txt bytes decoded as in pydicom's test_charset.py and
// checked with dcmdump +U8 (DCMTK cannot open the ISO 2022 Japanese sets on glibc).
TEST(DicomScanShared, PatientNamesAreDecodedToUtf8) {
  const fs::path root = test::sharedData("malformed/charset");
  const DicomIndex index = io::scanDicom(root);
  expectEveryFileAccountedFor(index, root);
  std::map<std::string, std::string> nameOfFile;
  for (const auto& patient : index.patients)
    for (const auto& study : patient.studies)
      for (const auto& series : study.series)
        for (const auto& instance : series.instances)
          nameOfFile[instance.file.filename().string()] = patient.name;

  const std::map<std::string, std::string> expected = {
      {"chrFren.dcm", "Buc^J\u00e9r\u00f4me"},
      {"chrGerm.dcm", "\u00c4neas^R\u00fcdiger"},
      {"chrGreek.dcm", "\u0394\u03b9\u03bf\u03bd\u03c5\u03c3\u03b9\u03bf\u03c2"},
      {"chrRuss.dcm",
       "\u041b\u044e\u043a"
       "ce"
       "\u043c\u0431"
       "yp"
       "\u0433"},  // Latin c e y p
      {"chrArab.dcm", "\u0642\u0628\u0627\u0646\u064a^\u0644\u0646\u0632\u0627\u0631"},
      {"chrHbrw.dcm", "\u05e9\u05e8\u05d5\u05df^\u05d3\u05d1\u05d5\u05e8\u05d4"},
      {"chrI2.dcm", "Hong^Gildong=\u6d2a^\u5409\u6d1e=\ud64d^\uae38\ub3d9"},
      {"chrKoreanMulti.dcm", "\uae40\ud76c\uc911"},
      {"chrX1.dcm", "Wang^XiaoDong=\u738b^\u5c0f\u6771="},
      {"chrX2.dcm", "Wang^XiaoDong=\u738b^\u5c0f\u4e1c="},
      {"chrH31.dcm",
       "Yamada^Tarou=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046"},
      {"chrH32.dcm",
       "\uff94\uff8f\uff80\uff9e^\uff80\uff9b\uff73=\u5c71\u7530^\u592a\u90ce="
       "\u3084\u307e\u3060^\u305f\u308d\u3046"},
      {"chrJapMulti.dcm", "\u3084\u307e\u3060^\u305f\u308d\u3046"},
  };
  for (const auto& [file, name] : expected) {
    ASSERT_EQ(nameOfFile.count(file), 1u) << file << " was not indexed";
    EXPECT_EQ(nameOfFile.at(file), name) << file;
  }
}

TEST(DicomScanShared, EnhancedMultiFrameGeometryComesFromFunctionalGroups) {
  const fs::path root = test::sharedData("enhanced-multiframe");
  const DicomIndex index = io::scanDicom(root);
  expectEveryFileAccountedFor(index, root);
  const auto indexed = indexedFiles(index);

  // dcmdump: first Per-frame PlanePositionSequence item and the (shared) orientation.
  const DicomInstance& philips = *indexed.at(root / "philips_enh_mr/IM_0027_fMAP.dcm");
  EXPECT_EQ(philips.frames, 64);
  ASSERT_TRUE(philips.imagePosition_lps.has_value());
  EXPECT_NEAR(philips.imagePosition_lps->x(), -127.24297738075, 1e-9);
  EXPECT_NEAR(philips.imagePosition_lps->y(), -119.77660465240, 1e-9);
  EXPECT_NEAR(philips.imagePosition_lps->z(), -38.354590835260, 1e-9);
  ASSERT_TRUE(philips.imageOrientation.has_value());
  EXPECT_NEAR((*philips.imageOrientation)[2], 2.7425248845e-05, 1e-15);
  EXPECT_EQ(seriesHolding(index, philips.file)->kind, SeriesKind::Volume);

  const DicomInstance& legacy =
      *indexed.at(root / "dcmqi_legacy_converted_ct/mf_legacy_converted.dcm");
  EXPECT_EQ(legacy.frames, 3);
  ASSERT_TRUE(legacy.imagePosition_lps.has_value());
  EXPECT_NEAR(legacy.imagePosition_lps->z(), -177.75, 1e-9);
  ASSERT_TRUE(legacy.imageOrientation.has_value());
  EXPECT_EQ(*legacy.imageOrientation, (std::array<double, 6>{1, 0, 0, 0, 1, 0}));

  const DicomSeries& siemens = *seriesHolding(index, root / "siemens_xa10_enh_mr/6_1.dcm");
  EXPECT_EQ(siemens.instances.size(), 4u);
  EXPECT_EQ(siemens.frameCount(), 24u);  // 4 volumes x 6 frames
  EXPECT_EQ(siemens.kind, SeriesKind::Volume);

  // Enhanced MR without functional groups: no plane to place it by.
  EXPECT_EQ(seriesHolding(index, root / "pydicom/emri_small.dcm")->kind, SeriesKind::Other);
}

TEST(DicomScanShared, RadiotherapyObjectsAreNamedBySopClass) {
  const DicomIndex phantom = io::scanDicom(test::sharedData("ct-head-phantom-dcpt"));
  const auto ct = seriesOfModality(phantom, "CT");
  ASSERT_EQ(ct.size(), 1u);
  EXPECT_EQ(ct[0]->kind, SeriesKind::Volume);
  EXPECT_EQ(ct[0]->instances.size(), 39u);
  EXPECT_EQ(ct[0]->instances.front().instanceNumber, 90);
  EXPECT_EQ(ct[0]->instances.back().instanceNumber, 128);
  EXPECT_EQ(ct[0]->instances.front().rows, 512);
  const auto plans = seriesOfModality(phantom, "RTPLAN");
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0]->kind, SeriesKind::RtPlan);
  EXPECT_NE(plans[0]->kindReason.find("RT Ion Plan"), std::string::npos) << plans[0]->kindReason;
  ASSERT_EQ(seriesOfModality(phantom, "RTSTRUCT").size(), 1u);
  EXPECT_EQ(seriesOfModality(phantom, "RTSTRUCT")[0]->kind, SeriesKind::RtStruct);

  const fs::path raystation = test::sharedData("rt-plan-raystation");
  const DicomIndex plan = io::scanDicom(raystation);
  std::size_t doseFiles = 0;
  for (const DicomSeries* series : seriesOfModality(plan, "RTDOSE")) {
    EXPECT_EQ(series->kind, SeriesKind::RtDose);
    for (const auto& instance : series->instances) {
      EXPECT_EQ(instance.frames, 110);
      EXPECT_EQ(instance.rows, 107);
      ++doseFiles;
    }
  }
  EXPECT_EQ(doseFiles, 3u);
  const auto* ionPlan = seriesHolding(plan, raystation / "RP_ion.dcm");
  ASSERT_NE(ionPlan, nullptr);
  EXPECT_EQ(ionPlan->kind, SeriesKind::RtPlan);
}

// Every DICOM file of INVENTORY.tsv is indexed or skipped with a reason; the JSON of the whole
// corpus (non-ASCII names, malformed values) dumps.
TEST(DicomScanShared, WholeCorpusIsAccountedForAndDumpsAsJson) {
  const fs::path root = test::sharedData();
  test::RecordingProgress progress;
  const DicomIndex index = io::scanDicom(root, progress);
  expectEveryFileAccountedFor(index, root);
  EXPECT_DOUBLE_EQ(progress.fractions.back(), 1.0);

  std::ifstream inventory(root / "INVENTORY.tsv");
  std::string line;
  std::getline(inventory, line);  // header
  std::size_t listed = 0;
  const auto indexed = indexedFiles(index);
  const auto skipped = skippedFiles(index);
  while (std::getline(inventory, line)) {
    const fs::path file = root / line.substr(0, line.find('\t'));
    EXPECT_TRUE(indexed.count(file) || skipped.count(file)) << file;
    ++listed;
  }
  EXPECT_EQ(listed, 359u);

  const nlohmann::json json = io::toJson(index);
  EXPECT_EQ(json.at("filesScanned").get<std::size_t>(), index.filesScanned);
  EXPECT_EQ(json.at("skipped").size(), index.skipped.size());
  EXPECT_NO_THROW(json.dump());
}

TEST(DicomScanShared, CancelsDuringARealScan) {
  test::RecordingProgress progress(5);
  EXPECT_THROW(io::scanDicom(test::sharedData("sarcoma-ct-mr-pet"), progress), Cancelled);
  EXPECT_EQ(progress.fractions.size(), 5u);
}

// Fuzzing findings F1/F3 (docs/validation.md): a DICOMDIR whose Directory Record Type claims
// more bytes than the file holds makes DCMTK 3.6.7 throw std::out_of_range while parsing it.
// The scan must list the file as damaged (or refuse with an Error), never let a foreign
// exception escape.
TEST(DicomScanShared, DamagedDicomdirRecordTypeIsReportedNotThrown) {
  std::ifstream in(test::sharedData("dicomdir/DICOMDIR"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // (0004,1430) CS, length 6, "SERIES" (explicit VR little endian)
  const std::string seriesRecord("\x04\x00\x30\x14" "CS\x06\x00" "SERIES", 12);
  const std::size_t at = bytes.find(seriesRecord);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 6] = '\xfa';  // now claims 250 bytes
  bytes.resize(2225);       // and the file ends early, as in the fuzzer's input
  test::TempDir dir;
  const fs::path damaged = dir / "DICOMDIR";
  std::ofstream(damaged, std::ios::binary) << bytes;

  DicomIndex index;
  try {
    index = io::scanDicom(damaged);
  } catch (const Error& e) {
    SUCCEED() << "refused with a clear error: " << e.what();
    return;
  }
  ASSERT_EQ(index.skipped.size(), 1u);
  // DCMTK's own message survives inside our sentence, so a user can report it upstream.
  EXPECT_NE(index.skipped[0].reason.find("basic_string"), std::string::npos) << index.skipped[0].reason;
}

}  // namespace
