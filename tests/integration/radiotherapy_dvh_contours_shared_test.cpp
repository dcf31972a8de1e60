// The DVH's structure model on clinical contours: the DCPT head phantom's RTSTRUCT (Varian ARIA,
// 11 ROIs, ../shared/data/ct-head-phantom-dcpt) read as raw contours and histogrammed on a
// uniform 2 Gy dose of 2.5 mm voxels. Reference volumes were computed with pydicom's Contour
// Data and numpy: per plane the even-odd area (the CTV has planes of several overlapping
// contours; rasterised at 0.05 mm) times the slab the plane stands for (half-way to its
// neighbours, end caps half the 1.5 mm spacing).
#include <gtest/gtest.h>

#include "test_support.h"
#include "twinplan/io/dicom_rtstruct.h"
#include "twinplan/radiotherapy/dvh.h"

namespace twinplan {
namespace {

ScalarField uniformDose(double dose_Gy) {
  ScalarField dose;
  dose.quantity = "dose";
  dose.unit = units::kGray;
  // Covers the CTV and brain stem (x -26..52, y -236..-146, z -23.5..50 mm) with margin; the
  // grid's corners fall off the contour planes.
  dose.geometry.size = {48, 48, 40};
  dose.geometry.spacing_mm = Vec3(2.5, 2.5, 2.5);
  dose.geometry.origin_lps = Vec3(-40.3, -250.7, -35.1);
  dose.values.assign(dose.geometry.voxelCount(), static_cast<float>(dose_Gy));
  return dose;
}

TEST(DvhOnClinicalContours, DcptCtvAndBrainStemVolumes) {
  io::RtStructContours rs =
      io::readRtStructContours(test::sharedData("ct-head-phantom-dcpt/RS.dcm"));
  ASSERT_EQ(rs.rois.size(), 11u);
  EXPECT_EQ(rs.rois[0].name, "BODY");
  EXPECT_EQ(rs.rois[0].contours.size(), 177u);  // on all 177 slices, most not in this corpus
  const std::map<std::string, double> reference_cm3{{"CTV", 121.186}, {"BrainStem", 33.889}};
  const ScalarField dose = uniformDose(2.0);
  for (io::RtStructRoiContours& roi : rs.rois) {
    if (!reference_cm3.count(roi.name)) continue;
    radiotherapy::StructureContours s{roi.name, {}};
    for (io::LpsContour& c : roi.contours) s.polygons_lps.push_back(c.points_lps);
    const radiotherapy::DoseVolumeHistogram dvh = radiotherapy::computeDvh(dose, s);
    std::cout << "[dvh-dcpt] " << roi.name << ": " << dvh.figures.volume_cm3 << " cm3 (pydicom "
              << reference_cm3.at(roi.name) << "), spread " << dvh.uncertainty.volume_cm3
              << " cm3\n";
    EXPECT_NEAR(dvh.figures.volume_cm3, reference_cm3.at(roi.name),
                0.003 * reference_cm3.at(roi.name))
        << roi.name;
    EXPECT_NEAR(dvh.volumeOutsideDose_cm3, 0.0, 1e-12);
    EXPECT_NEAR(dvh.figures.dmean_Gy, 2.0, 1e-6);
    EXPECT_NEAR(dvh.doseToVolumePercent(95), 2.0, 1e-3);
  }
}

}  // namespace
}  // namespace twinplan
