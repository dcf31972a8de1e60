// What loaded voxel values mean, on the real corpus (../shared/data): the unit of every real
// volume series, the Philips B0 field map in Hz against dcm2niix's field map, and choosing one
// volume of a multi-volume enhanced series.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "test_support.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/io/image_file.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using twinplan::test::sharedData;

std::vector<fs::path> dicomFilesIn(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.is_regular_file() && e.path().extension() == ".dcm") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

ImageVolume load(const std::string& relative, std::size_t volume = 0) {
  const fs::path input = sharedData(relative);
  io::VolumeLoadOptions options;
  options.volume = volume;
  return io::loadVolume(fs::is_directory(input) ? dicomFilesIn(input) : std::vector{input},
                        options);
}

bool mentions(const ImageVolume& v, const std::string& words) {
  return std::any_of(v.assumptions.begin(), v.assumptions.end(),
                     [&](const std::string& a) { return a.find(words) != std::string::npos; });
}

TEST(RealUnits, EverySeriesNamesTheUnitItsHeadersGive) {
  struct Expected {
    std::string input, unit;
  };
  // CT: HU by the CT Image module. PET (GE): Units GML, SUV Type BW. RT Dose: Dose Units GY.
  // MR magnitudes: no Real World Value unit, Rescale Type absent or US: unknown ("").
  for (const Expected& e : {
           Expected{"sarcoma-ct-mr-pet/dicom/STS_001/CT/image", "HU"},
           Expected{"sarcoma-ct-mr-pet/dicom/STS_001/PET/image", "SUVbw"},
           Expected{"sarcoma-ct-mr-pet/dicom/STS_001/MR_T1/image", ""},
           Expected{"ct-head-phantom-dcpt/CT", "HU"},
           Expected{"mr-hfs-hfp/HFS", ""},
           Expected{"rt-plan-raystation/RD_plan_sum.dcm", "Gy"},
           Expected{"enhanced-multiframe/siemens_xa10_enh_mr", ""},
           Expected{"enhanced-multiframe/pydicom/eCT_Supplemental.dcm", "HU"},
       }) {
    const ImageVolume v = load(e.input);
    EXPECT_EQ(v.unit, e.unit) << e.input;
    EXPECT_FALSE(mentions(v, "SUV Type")) << e.input;  // the GE PET names its SUV Type
  }
}

TEST(PhilipsB0Map, FieldMapVolumeIsInHertzLikeDcm2niix) {
  const std::string file = "enhanced-multiframe/philips_enh_mr/IM_0027_fMAP.dcm";
  const ImageVolume magnitude = load(file, 0);
  const ImageVolume fieldMap = load(file, 1);
  // The magnitude's Real World Value unit is UCUM "1" (no units) with Rescale Type
  // "normalized"; the field map's is "Hz" with the same line as its rescale (slope 0.2442,
  // intercept -500: stored 0..4095 -> -500..+500 Hz).
  EXPECT_EQ(magnitude.unit, "");
  EXPECT_EQ(fieldMap.unit, "Hz");
  EXPECT_TRUE(mentions(fieldMap, "volume 1 ("));
  EXPECT_TRUE(magnitude.geometry().sameGridAs(fieldMap.geometry(), 1e-9));

  // dcm2niix v1.0.20220720 wrote the field map (JSON "Units": "Hz") from the same file.
  const ImageVolume reference = io::readImageFile(
      sharedData("enhanced-multiframe/ref_dcm2niix/Philips_WIP_B0_NS_801_e2_fieldmaphz.nii.gz"));
  const ImageGeometry& g = fieldMap.geometry();
  const ImageGeometry& r = reference.geometry();
  ASSERT_EQ(g.voxelCount(), r.voxelCount());
  // The NIfTI keeps dcm2niix's int16 stored values with its own float32 scaling (header
  // scl_slope 0.24420166015625, scl_inter -499.99993896484375, read from the file), 1.4e-6
  // relative off the DICOM slope: up to 0.006 Hz apart. So compare stored values exactly: the
  // reference's stored value through the DICOM line must be ours.
  constexpr double kNiftiSlope = 0.24420166015625, kNiftiIntercept = -499.99993896484375;
  constexpr double kDicomSlope = 0.24420024420024, kDicomIntercept = -500.0;
  double maxDiff_Hz = 0, maxStoredDiff_Hz = 0, lowest = 1e9, highest = -1e9, indexOff = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    for (std::int64_t j = 0; j < g.size[1]; ++j) {
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 x = r.lpsToIndex(g.indexToLps(Vec3(i, j, k)));
        const Vec3 rounded = x.array().round();
        indexOff = std::max(indexOff, (x - rounded).cwiseAbs().maxCoeff());
        ASSERT_TRUE(r.contains(rounded)) << i << "," << j << "," << k;
        const double ours = fieldMap.valueAt(i, j, k);
        const double theirs = reference.valueAt(static_cast<std::int64_t>(rounded[0]),
                                                static_cast<std::int64_t>(rounded[1]),
                                                static_cast<std::int64_t>(rounded[2]));
        maxDiff_Hz = std::max(maxDiff_Hz, std::abs(ours - theirs));
        const double stored = std::round((theirs - kNiftiIntercept) / kNiftiSlope);
        maxStoredDiff_Hz =
            std::max(maxStoredDiff_Hz, std::abs(ours - (stored * kDicomSlope + kDicomIntercept)));
        lowest = std::min(lowest, ours);
        highest = std::max(highest, ours);
      }
    }
  }
  std::cout << "[values] Philips B0 field map vs dcm2niix: " << g.voxelCount() << " voxels, range "
            << lowest << ".." << highest << " Hz, max |diff| " << maxDiff_Hz << " Hz ("
            << maxStoredDiff_Hz << " Hz through the stored values), max index offset " << indexOff
            << "\n";
  EXPECT_LT(indexOff, 1e-3);
  EXPECT_LE(maxDiff_Hz, 4095 * (kNiftiSlope - kDicomSlope) + 1e-4);
  EXPECT_LE(maxStoredDiff_Hz, 1e-4);  // float32 voxels of ours: ~3e-5 Hz at 500 Hz
  EXPECT_GE(lowest, -500.0);
  EXPECT_LE(highest, 500.0);
  EXPECT_LT(lowest, -100.0);  // a real field map, not a constant
  EXPECT_GT(highest, 100.0);
}

TEST(PhilipsB0Map, AThirdVolumeIsRefusedNamingTheChoice) {
  try {
    load("enhanced-multiframe/philips_enh_mr/IM_0027_fMAP.dcm", 2);
    FAIL() << "volume 2 of a 2-volume file was loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("hold 2 volume(s); choose 0 to 1"), std::string::npos)
        << e.what();
  }
}

TEST(SiemensTimeSeries, VolumeKIsTimePointKPlusOne) {
  // Four files, one time point each (Temporal Position Index 1..4 in Dimension Index Values).
  const auto files = dicomFilesIn(sharedData("enhanced-multiframe/siemens_xa10_enh_mr"));
  ASSERT_EQ(files.size(), 4u);
  for (std::size_t k = 0; k < files.size(); ++k) {
    io::VolumeLoadOptions options;
    options.volume = k;
    const ImageVolume v = io::loadVolume(files, options);
    const ImageVolume alone = io::loadVolume(std::vector<fs::path>{files[k]});
    ASSERT_EQ(v.bytes().size(), alone.bytes().size());
    EXPECT_TRUE(std::equal(v.bytes().begin(), v.bytes().end(), alone.bytes().begin())) << k;
    // Time points differ (fMRI): loading the wrong one would not pass unnoticed.
    if (k > 0) {
      const ImageVolume first = io::loadVolume(std::vector<fs::path>{files[0]});
      EXPECT_FALSE(std::equal(v.bytes().begin(), v.bytes().end(), first.bytes().begin())) << k;
    }
  }
}

}  // namespace
}  // namespace twinplan
