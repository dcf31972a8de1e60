#pragma once
// The DICOM writer tests' grid (unit/io_dicom_writer_test, integration/io_dicom_writer_dcm2niix):
// anisotropic voxels on an oblique grid, so that a swapped, flipped or unturned axis shows in
// what is read back.
#include <cmath>

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

}  // namespace twinplan::test
