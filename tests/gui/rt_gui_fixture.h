#pragma once
// What the radiotherapy window tests share (rt_panel_test, dose_display_test): an air CT about
// an isocentre in a known frame of reference, and the 2.5 mm dose grid about it on which the
// tests lay analytic Gaussian doses (dose_fixtures.h).
#include <algorithm>
#include <string>

#include "gui_fixtures.h"

namespace twinplan::ui::fixtures {

inline const Vec3 kRtIsocentre_lps(6.0, -14.0, 8.0);
inline constexpr double kRtDoseSigma_mm = 15.0;
inline constexpr const char* kRtFrame = "1.2.826.0.1.3680043.8.498.77";

// Air CT, 120 x 120 x 40 voxels of 1 x 1 x 2 mm, in `frame`, centred near the isocentre.
inline Case rtPlanningCase(const std::string& frame = kRtFrame) {
  ImageGeometry g;
  g.size = {120, 120, 40};
  g.spacing_mm = Vec3(1.0, 1.0, 2.0);
  g.origin_lps = kRtIsocentre_lps - Vec3(59.5, 59.5, 40.0);
  ImageVolume ct = ctVolume(g);
  std::fill(ct.voxels<std::int16_t>().begin(), ct.voxels<std::int16_t>().end(), -1000);
  ct.dicom.frameOfReferenceUid = frame;
  ct.dicom.studyInstanceUid = "1.2.826.0.1.3680043.8.498.78";
  ct.dicom.patientName = "Phantom^RT";
  ct.dicom.patientId = "RT-1";
  return caseWith(std::move(ct), "Planning CT");
}

// 41 x 41 x 21 voxels of 2.5 mm with a voxel centre on the isocentre.
inline ImageGeometry rtDoseGrid() {
  ImageGeometry grid;
  grid.size = {41, 41, 21};
  grid.spacing_mm = Vec3(2.5, 2.5, 2.5);
  grid.origin_lps = kRtIsocentre_lps - Vec3(50, 50, 25);
  return grid;
}

}  // namespace twinplan::ui::fixtures
