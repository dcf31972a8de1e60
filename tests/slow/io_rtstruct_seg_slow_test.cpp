// RTSTRUCT on the larger real series (label slow: seconds each, more on a loaded machine): the
// DCPT head phantom's partial series (512x512x39, 11 ROIs) and an export of the STS_001 GTV
// read back by plastimatch and pydicom. docs/validation.md quotes the figures.
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "dicom_segments_helpers.h"
#include "test_support.h"
#include "twinplan/io/dicom_reference.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/io/image_file.h"

namespace twinplan::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace test_segments;

// The DCPT head phantom's RS (Varian ARIA, 11 ROIs) references 177 slices; only 39 are here.
// Contours on the missing slices are left out and said so; the rest rasterise.
TEST(RtStructImport, ContoursOnSlicesMissingFromTheSeriesAreLeftOutAndReported) {
  const fs::path base = test::sharedData("ct-head-phantom-dcpt");
  const ReferenceSeries reference = referenceAt(base / "CT");
  ASSERT_EQ(reference.geometry.size[2], 39);
  const ImportedSegments imported = readRtStruct(base / "RS.dcm", reference);
  // All 11 ROIs are listed; M2 (z -13..-11.5 mm) has no contour plane on these slices: empty.
  ASSERT_EQ(imported.labels.segments().size(), 11u);
  const auto m2 = imported.labels.findSegment("M2");
  ASSERT_TRUE(m2.has_value());
  EXPECT_EQ(imported.labels.voxelCount(*m2), 0u);
  const auto body = imported.labels.findSegment("BODY");
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(imported.labels.segments()[*body].colour, (Rgb{0, 255, 0}));  // ROI Display Color
  const auto bodyMask = maskOf(imported.labels, *body);
  // BODY covers the head on every one of the 39 slices.
  for (std::int64_t k = 0; k < 39; ++k) {
    std::size_t n = 0;
    for (std::int64_t j = 0; j < 512; ++j)
      for (std::int64_t i = 0; i < 512; ++i) n += bodyMask[reference.geometry.linearIndex(i, j, k)];
    EXPECT_GT(n, 10000u) << "slice " << k;
  }
  // The CTV lies inside BODY, so it went into another layer.
  const auto ctv = imported.labels.findSegment("CTV");
  ASSERT_TRUE(ctv.has_value());
  EXPECT_NE(imported.labels.segments()[*ctv].layer, imported.labels.segments()[*body].layer);
  bool offGridReported = false;
  for (const std::string& note : imported.notes) {
    std::cout << "note: " << note << "\n";
    offGridReported |= note.find("BODY") != std::string::npos &&
                       note.find("138 of 177 contour planes lie outside") != std::string::npos;
  }
  EXPECT_TRUE(offGridReported);
}

// Export then import gives back the same voxels (the contours pass half-way between voxel
// centres); plastimatch and pydicom read what we wrote.
TEST(RtStructExport, RoundTripsAndLoadsInPlastimatchAndPydicom) {
  test::TempDir tmp("rtstruct-export");
  const fs::path base = test::sharedData("sarcoma-ct-mr-pet/dicom/STS_001/CT");
  const ReferenceSeries reference = referenceAt(base / "image");
  const ImportedSegments original = readRtStruct(base / "mask/RS.dcm", reference);
  writeRtStruct(original.labels, reference, tmp / "rs.dcm");
  const ImportedSegments back = readRtStruct(tmp / "rs.dcm", reference);
  ASSERT_EQ(back.labels.segments().size(), 1u);
  EXPECT_EQ(back.labels.segments()[0].name, "GTV_Mass_CT");
  EXPECT_EQ(back.labels.segments()[0].colour, original.labels.segments()[0].colour);
  const auto ours = maskOf(original.labels, 0);
  EXPECT_EQ(maskOf(back.labels, 0), ours);

  const ImageVolume plastimatch = readImageFile(
      plastimatchRasterise(tmp / "rs.dcm", base / "image", tmp / "pm") / "GTV_Mass_CT.nrrd");
  const double dicePlastimatch = dice(ours, onGrid(plastimatch, reference.geometry));
  const json py = pydicomMeasure(tmp / "rs.dcm", base / "image");
  const double volume_mm3 = static_cast<double>(count(ours)) * voxelVolume_mm3(reference.geometry);
  const double pyVolume_mm3 = py["rois"]["GTV_Mass_CT"]["volume_mm3"].get<double>();
  std::cout << "RTSTRUCT export: " << volume_mm3 << " mm3; pydicom " << pyVolume_mm3 << " mm3 in "
            << py["rois"]["GTV_Mass_CT"]["contours"] << " contours; plastimatch Dice "
            << dicePlastimatch << "\n";
  EXPECT_GE(dicePlastimatch, 0.999);
  EXPECT_NEAR(pyVolume_mm3 / volume_mm3, 1.0, 1e-6);
  EXPECT_TRUE(py["all_references_known"].get<bool>());
  EXPECT_EQ(py["frame_of_reference"], reference.dicom.frameOfReferenceUid);
}

}  // namespace
}  // namespace twinplan::io
