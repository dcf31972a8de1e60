// RTSTRUCT and DICOM SEG import/export on real data, against the IBSI reference masks, the
// dcmqi label maps, plastimatch and pydicom (independent readers), and on the oblique head
// phantom (ground truth). docs/validation.md "DICOM SEG and RTSTRUCT" quotes these figures.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dicom_segments_helpers.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_reference.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/io/dicom_seg.h"
#include "twinplan/io/image_file.h"
#include "twinplan/phantom/phantom.h"

namespace twinplan::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace test_segments;

struct SarcomaCase {
  std::string modality, roi;
};

// IBSI STS_001: each modality's RS.dcm rasterised on its own image grid, against the IBSI
// reference mask (NIfTI, RAS: read through readImageFile into LPS) and plastimatch in the
// same run.
TEST(RtStructImport, SarcomaMatchesIbsiMasksAndPlastimatch) {
  test::TempDir tmp("rtstruct-sarcoma");
  for (const SarcomaCase& c :
       {SarcomaCase{"CT", "GTV_Mass_CT"}, SarcomaCase{"MR_T1", "GTV_Mass_MR_T1"},
        SarcomaCase{"PET", "GTV_Mass_PET"}}) {
    const fs::path base = test::sharedData("sarcoma-ct-mr-pet/dicom/STS_001/" + c.modality);
    const ReferenceSeries reference = referenceAt(base / "image");
    const ImportedSegments imported = readRtStruct(base / "mask/RS.dcm", reference);
    ASSERT_EQ(imported.labels.segments().size(), 1u);
    EXPECT_EQ(imported.labels.segments()[0].name, c.roi);
    const auto ours = maskOf(imported.labels, 0);

    const ImageVolume ibsi = readImageFile(
        test::sharedData("sarcoma-ct-mr-pet/nifti/STS_001/" + c.modality + "_mask.nii.gz"));
    const auto reference_mask = onGrid(ibsi, reference.geometry);
    const double diceIbsi = dice(ours, reference_mask);
    const fs::path out =
        plastimatchRasterise(base / "mask/RS.dcm", base / "image", tmp / c.modality);
    const auto theirs = onGrid(readImageFile(out / (c.roi + ".nrrd")), reference.geometry);
    const double dicePlastimatch = dice(ours, theirs);
    std::cout << c.modality << ": " << count(ours) << " voxels (IBSI " << count(reference_mask)
              << ", plastimatch " << count(theirs) << "), Dice vs IBSI " << diceIbsi
              << ", vs plastimatch " << dicePlastimatch << "\n";
    EXPECT_GE(diceIbsi, 0.99) << c.modality;
    EXPECT_GE(dicePlastimatch, 0.99) << c.modality;
  }
}

TEST(SegImport, MatchesTheDcmqiLabelMapsVoxelForVoxel) {
  const fs::path base = test::sharedData("seg-dcmqi");
  const ReferenceSeries reference = referenceAt(base / "ct");
  {
    const ImportedSegments liver = readSegmentation(base / "liver_seg.dcm", reference);
    ASSERT_EQ(liver.labels.segments().size(), 1u);
    const Segment& s = liver.labels.segments()[0];
    EXPECT_EQ(s.name, "Liver");
    EXPECT_EQ(s.terminology.type, (CodedConcept{"T-62000", "SRT", "Liver"}));
    EXPECT_EQ(s.terminology.category, (CodedConcept{"T-D0050", "SRT", "Tissue"}));
    const auto truth = onGrid(readImageFile(base / "liver_seg.nrrd"), reference.geometry);
    EXPECT_EQ(maskOf(liver.labels, 0), truth);
    EXPECT_EQ(count(truth), 36233u + 35645u + 35220u);
  }
  const ImportedSegments overlaps = readSegmentation(base / "partial_overlaps_seg.dcm", reference);
  ASSERT_EQ(overlaps.labels.segments().size(), 5u);
  EXPECT_GE(overlaps.labels.layerCount(), 2);  // they overlap, so not all in one layer
  const std::vector<std::string> names{"GREEN", "ORANGE", "PURPLE", "LIGHT_BLUE", "DARK_BLUE"};
  for (int number = 1; number <= 5; ++number) {
    std::vector<std::uint8_t> truth(reference.geometry.voxelCount(), 0);
    for (int file = 1; file <= 3; ++file) {
      const auto part =
          onGrid(readImageFile(base / ("partial_overlaps-" + std::to_string(file) + ".nrrd")),
                 reference.geometry, number);
      for (std::size_t n = 0; n < truth.size(); ++n) truth[n] |= part[n];
    }
    const Segment& s = overlaps.labels.segments()[static_cast<std::size_t>(number - 1)];
    EXPECT_EQ(s.name, names[static_cast<std::size_t>(number - 1)]);
    EXPECT_GT(count(truth), 0u);
    EXPECT_EQ(maskOf(overlaps.labels, static_cast<std::size_t>(number - 1)), truth) << s.name;
  }
  // Recommended Display CIELab (43803, 26565, 37722) of GREEN is a green in sRGB.
  const Rgb green = overlaps.labels.segments()[0].colour;
  EXPECT_GT(green.g, green.r);
  EXPECT_GT(green.g, green.b);
}

TEST(SegExport, RoundTripsWithOverlapsAndLoadsInPydicomAndPlastimatch) {
  test::TempDir tmp("seg-export");
  const fs::path base = test::sharedData("seg-dcmqi");
  const ReferenceSeries reference = referenceAt(base / "ct");
  const ImportedSegments original = readSegmentation(base / "partial_overlaps_seg.dcm", reference);
  writeSegmentation(original.labels, reference, tmp / "seg.dcm");
  const ImportedSegments back = readSegmentation(tmp / "seg.dcm", reference);
  ASSERT_EQ(back.labels.segments().size(), 5u);
  {  // DCMTK's own SEG IOD reader (dcmseg) accepts it: 5 segments, one frame per slice each
     // holds (GREEN 1, ORANGE 1, PURPLE 3, LIGHT_BLUE 1, DARK_BLUE 1 = 7 frames, as dcmqi).
    DcmSegmentation* dcmseg = nullptr;
    const OFCondition loaded = DcmSegmentation::loadFile((tmp / "seg.dcm").c_str(), dcmseg);
    std::unique_ptr<DcmSegmentation> owned(dcmseg);
    ASSERT_TRUE(loaded.good()) << loaded.text();
    EXPECT_EQ(dcmseg->getNumberOfSegments(), 5u);
    EXPECT_EQ(dcmseg->getNumberOfFrames(), 7u);
    OFString label;
    dcmseg->getSegment(2)->getSegmentLabel(label);
    EXPECT_EQ(std::string(label.c_str()), "ORANGE");
  }
  const json py = pydicomMeasure(tmp / "seg.dcm", base / "ct");
  EXPECT_TRUE(py["all_references_known"].get<bool>());
  for (std::size_t s = 0; s < 5; ++s) {
    const Segment& a = original.labels.segments()[s];
    const Segment& b = back.labels.segments()[s];
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.terminology, a.terminology);
    EXPECT_NEAR(b.colour.r, a.colour.r, 1);  // CIELab <-> sRGB in 16 bits
    EXPECT_NEAR(b.colour.g, a.colour.g, 1);
    EXPECT_NEAR(b.colour.b, a.colour.b, 1);
    EXPECT_EQ(maskOf(back.labels, s), maskOf(original.labels, s)) << a.name;
    const double volume_mm3 = static_cast<double>(count(maskOf(original.labels, s))) *
                              voxelVolume_mm3(reference.geometry);
    EXPECT_NEAR(py["segments"][a.name]["volume_mm3"].get<double>() / volume_mm3, 1.0, 1e-6)
        << a.name;
  }
  // The same overlapping segments through an RTSTRUCT: voxels and terminology (RT ROI
  // Identification Code Sequence) come back; colours exactly (ROI Display Color is RGB).
  writeRtStruct(original.labels, reference, tmp / "rs.dcm");
  const ImportedSegments viaRs = readRtStruct(tmp / "rs.dcm", reference);
  ASSERT_EQ(viaRs.labels.segments().size(), 5u);
  for (std::size_t s = 0; s < 5; ++s) {
    const Segment& a = original.labels.segments()[s];
    EXPECT_EQ(viaRs.labels.segments()[s].name, a.name);
    EXPECT_EQ(viaRs.labels.segments()[s].terminology.type, a.terminology.type) << a.name;
    EXPECT_EQ(viaRs.labels.segments()[s].terminology.category, a.terminology.category);
    EXPECT_EQ(viaRs.labels.segments()[s].colour, a.colour);
    EXPECT_EQ(maskOf(viaRs.labels, s), maskOf(original.labels, s)) << a.name;
  }
  // plastimatch reads a one-segment SEG as an image through ITK/GDCM.
  const ImportedSegments liver = readSegmentation(base / "liver_seg.dcm", reference);
  writeSegmentation(liver.labels, reference, tmp / "liver.dcm");
  const auto r =
      test::runCommand("plastimatch convert --input '" + (tmp / "liver.dcm").string() +
                       "' --output-img '" + (tmp / "liver.nrrd").string() + "' > /dev/null 2>&1");
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(onGrid(readImageFile(tmp / "liver.nrrd"), reference.geometry), maskOf(liver.labels, 0));
}

// The head phantom on an oblique grid: its true labels (anatomy + an overlapping tumour layer)
// exported and imported again, both ways, voxel for voxel.
TEST(DicomSegmentsRoundTrip, ObliqueHeadPhantomTruthSurvivesRtstructAndSeg) {
  test::TempDir tmp("phantom-roundtrip");
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.oblique = true;
  options.scale = 0.5;
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  const phantom::PhantomFiles files = phantom::writePhantom(head, tmp / "head");
  const ReferenceSeries reference = referenceAt(files.seriesDirs.at(0));
  const LabelMap& truth = head.twin.labelMaps.at(0);
  ASSERT_TRUE(truth.geometry().sameGridAs(reference.geometry, 1e-3));
  ASSERT_GT(std::abs(reference.geometry.direction(2, 2) - 1.0), 1e-3);  // really oblique
  writeRtStruct(truth, reference, tmp / "rs.dcm");
  writeSegmentation(truth, reference, tmp / "seg.dcm");
  {  // Cancelling leaves nothing behind.
    test::RecordingProgress cancelSoon(1);
    EXPECT_THROW(readRtStruct(tmp / "rs.dcm", reference, cancelSoon), Cancelled);
    test::RecordingProgress cancelWrite(1);
    EXPECT_THROW(writeSegmentation(truth, reference, tmp / "cancelled.dcm", {}, cancelWrite),
                 Cancelled);
    EXPECT_FALSE(fs::exists(tmp / "cancelled.dcm"));
  }
  const ImportedSegments fromRs = readRtStruct(tmp / "rs.dcm", reference);
  const ImportedSegments fromSeg = readSegmentation(tmp / "seg.dcm", reference);
  std::size_t nonEmpty = 0;
  for (std::size_t s = 0; s < truth.segments().size(); ++s) {
    const auto expected = maskOf(truth, s);
    if (count(expected) == 0) continue;
    ++nonEmpty;
    const std::string& name = truth.segments()[s].name;
    const auto rs = fromRs.labels.findSegment(name);
    const auto sg = fromSeg.labels.findSegment(name);
    ASSERT_TRUE(rs && sg) << name;
    EXPECT_EQ(maskOf(fromRs.labels, *rs), expected) << name;
    EXPECT_EQ(maskOf(fromSeg.labels, *sg), expected) << name;
  }
  EXPECT_GE(nonEmpty, 4u);
}

// ---- damaged input and refusals ------------------------------------------------------------

fs::path damaged(const fs::path& source, const fs::path& out,
                 const std::function<void(DcmDataset&)>& damage) {
  DcmFileFormat file;
  EXPECT_TRUE(file.loadFile(source.c_str()).good());
  damage(*file.getDataset());
  EXPECT_TRUE(file.saveFile(out.c_str(), EXS_LittleEndianExplicit).good());
  return out;
}

void expectError(const std::function<void()>& call, ErrorKind kind,
                 const std::vector<std::string>& phrases) {
  try {
    call();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    for (const std::string& phrase : phrases)
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos)
          << "'" << phrase << "' not in: " << e.what();
  }
}

TEST(RtStructImport, DamagedStructureSetsGiveErrorsNamingTheRoiAndAttribute) {
  test::TempDir tmp("rtstruct-damaged");
  const fs::path base = test::sharedData("sarcoma-ct-mr-pet/dicom/STS_001/CT");
  const fs::path rs = base / "mask/RS.dcm";
  const ReferenceSeries reference = referenceAt(base / "image");

  {  // truncated to half its bytes
    std::ifstream in(rs, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(tmp / "truncated.dcm", std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    expectError([&] { readRtStruct(tmp / "truncated.dcm", reference); }, ErrorKind::Corrupt,
                {"cannot be read", "truncated.dcm"});
  }
  expectError(
      [&] {
        readRtStruct(
            damaged(rs, tmp / "no-roi-contour.dcm",
                    [](DcmDataset& ds) { ds.findAndDeleteElement(DCM_ROIContourSequence); }),
            reference);
      },
      ErrorKind::Corrupt, {"ROI Contour Sequence (3006,0039)"});
  expectError(
      [&] {
        readRtStruct(damaged(rs, tmp / "two-points.dcm",
                             [](DcmDataset& ds) {
                               DcmItem* contour = nullptr;
                               ds.findAndGetSequenceItem(DCM_ROIContourSequence, contour, 0);
                               contour->findAndGetSequenceItem(DCM_ContourSequence, contour, 4);
                               contour->putAndInsertString(DCM_ContourData,
                                                           "1\\2\\-832.27\\3\\4\\-832.27");
                               contour->putAndInsertString(DCM_NumberOfContourPoints, "2");
                             }),
                     reference);
      },
      ErrorKind::Corrupt, {"ROI 'GTV_Mass_CT'", "contour 5", "2 point(s)"});
  expectError(
      [&] {
        readRtStruct(damaged(rs, tmp / "miscount.dcm",
                             [](DcmDataset& ds) {
                               DcmItem* contour = nullptr;
                               ds.findAndGetSequenceItem(DCM_ROIContourSequence, contour, 0);
                               contour->findAndGetSequenceItem(DCM_ContourSequence, contour, 0);
                               contour->putAndInsertString(DCM_NumberOfContourPoints, "7");
                             }),
                     reference);
      },
      ErrorKind::Corrupt, {"ROI 'GTV_Mass_CT'", "contour 1", "Number of Contour Points"});
  // Not an RTSTRUCT; drawn in another frame of reference (the DCPT phantom's CT).
  expectError([&] { readRtStruct(base / "image/000001.dcm", reference); }, ErrorKind::InvalidInput,
              {"not an RT Structure Set"});
  const ReferenceSeries other = referenceAt(test::sharedData("seg-dcmqi/ct"));
  expectError([&] { readRtStruct(rs, other); }, ErrorKind::InvalidInput,
              {"ROI 'GTV_Mass_CT'", "frame of reference"});
  expectError([&] { readSegmentation(test::sharedData("seg-dcmqi/liver_seg.dcm"), reference); },
              ErrorKind::InvalidInput, {"frame of reference"});
}

// A value DICOM cannot hold: the error names the attribute and DCMTK's reason; no file.
TEST(DicomSegmentsExport, AFailedExportNamesTheAttributeAndDcmtksReason) {
  test::TempDir tmp("segments-bad-value");
  const fs::path base = test::sharedData("seg-dcmqi");
  const ReferenceSeries reference = referenceAt(base / "ct");
  ImportedSegments liver = readSegmentation(base / "liver_seg.dcm", reference);
  liver.labels.segments()[0].name = std::string(70, 'L');  // LO holds 64 characters
  expectError([&] { writeRtStruct(liver.labels, reference, tmp / "rs.dcm"); },
              ErrorKind::InvalidInput,
              {"ROIName (3006,0026)", "RTSTRUCT", "length violated", "LO holds 64"});
  expectError([&] { writeSegmentation(liver.labels, reference, tmp / "seg.dcm"); },
              ErrorKind::InvalidInput,
              {"SegmentLabel (0062,0005)", "DICOM SEG", "length violated"});
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(DicomSegmentsExport, RefusesAReferenceThatIsNotFromDicom) {
  test::TempDir tmp("segments-refuse");
  const fs::path base = test::sharedData("seg-dcmqi");
  const ReferenceSeries dicom = referenceAt(base / "ct");
  const ImportedSegments gtv = readSegmentation(base / "liver_seg.dcm", dicom);
  ImageVolume nifti(dicom.geometry, PixelType::Int16);  // a volume read from NIfTI: no UIDs
  const ReferenceSeries notDicom = referenceFromVolume(nifti);
  expectError([&] { writeRtStruct(gtv.labels, notDicom, tmp / "rs.dcm"); }, ErrorKind::InvalidInput,
              {"did not come from DICOM"});
  expectError([&] { writeSegmentation(gtv.labels, notDicom, tmp / "seg.dcm"); },
              ErrorKind::InvalidInput, {"did not come from DICOM"});
  // A Legacy Converted Enhanced CT (one file, 3 frames): its slices have no own SOP Instance.
  const ReferenceSeries multiFrame = referenceAt(
      test::sharedData("enhanced-multiframe/dcmqi_legacy_converted_ct/mf_legacy_converted.dcm"));
  LabelMap onMultiFrame(multiFrame.geometry);
  onMultiFrame.layer(0)[0] = 1;
  onMultiFrame.addSegment(Segment{.name = "Dot"});
  expectError([&] { writeSegmentation(onMultiFrame, multiFrame, tmp / "seg.dcm"); },
              ErrorKind::InvalidInput, {"not loaded from single-frame DICOM slices"});
  EXPECT_FALSE(fs::exists(tmp / "rs.dcm"));
  EXPECT_FALSE(fs::exists(tmp / "seg.dcm"));
}

}  // namespace
}  // namespace twinplan::io
