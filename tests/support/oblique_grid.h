#pragma once
// Oblique grids of anisotropic voxels, so that a swapped, flipped, transposed or lost axis shows
// in what is read back: the DICOM writer tests' (unit/io_dicom_writer_test,
// integration/io_dicom_writer_dcm2niix) and the case file tests' (unit/core_case_file_test,
// unit/core_case_payload_readers_test).
#include <Eigen/Geometry>
#include <cmath>
#include <numbers>

#include "twinplan/core/geometry.h"

namespace twinplan::test {

// `size` voxels of 0.7 x 0.9 x 2.5 mm at (-12.5, 30.25, 101) LPS mm, turned 30 deg about L-R
// then 10 deg about S.
inline ImageGeometry obliqueWriterGrid(const Index3& size) {
  ImageGeometry g;
  g.size = size;
  g.spacing_mm = Vec3(0.7, 0.9, 2.5);
  g.origin_lps = Vec3(-12.5, 30.25, 101.0);
  const double a = 30.0 * M_PI / 180.0, b = 10.0 * M_PI / 180.0;
  Mat3 aboutLr, aboutS;
  aboutLr << 1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a);
  aboutS << std::cos(b), -std::sin(b), 0, std::sin(b), std::cos(b), 0, 0, 0, 1;
  g.direction = aboutS * aboutLr;
  return g;
}

// `size` voxels of 0.7421875 x 0.81 x 2.5 mm at (-112.3046875, 87.65, -301.125) LPS mm, turned
// 12 deg about L-R, then 7 deg about A-P, as an oblique acquisition.
inline ImageGeometry obliqueCaseGrid(const Index3& size) {
  ImageGeometry g;
  g.size = size;
  g.origin_lps = Vec3(-112.3046875, 87.65, -301.125);
  g.spacing_mm = Vec3(0.7421875, 0.81, 2.5);
  g.direction = (Eigen::AngleAxisd(12.0 * std::numbers::pi / 180.0, Vec3::UnitX()) *
                 Eigen::AngleAxisd(7.0 * std::numbers::pi / 180.0, Vec3::UnitY()))
                    .toRotationMatrix();
  return g;
}

}  // namespace twinplan::test
