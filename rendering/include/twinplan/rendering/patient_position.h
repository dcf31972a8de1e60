#pragma once
// Patient positions as radiologists read them: a direction letter and a distance, never a
// signed number. In DICOM's patient coordinate system (LPS, PS3.3 C.7.6.2.1.1) +x points to
// the patient's left, +y posterior and +z superior, so x = -3 mm reads "R 3.0 mm".
#include <string>

#include "twinplan/core/geometry.h"

namespace twinplan::rendering {

// `value_mm` along LPS axis `axis` (0: x, 1: y, 2: z) with one decimal: "L 3.0 mm",
// "R 3.0 mm", "A 12.5 mm", "S 40.0 mm". A value that rounds to zero at one decimal reads
// "0.0 mm" without a letter (it is on neither side), so "-0.0 mm" and "R 0.0 mm" never appear.
std::string formatPatientPosition(int axis, double value_mm);

// All three coordinates of a point, x, y, z in that order: "R 3.0 mm, A 12.5 mm, S 40.0 mm".
std::string formatPatientPoint(const Vec3& p_lps);

}  // namespace twinplan::rendering
