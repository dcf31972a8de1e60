#include "twinplan/rendering/patient_position.h"

#include <cmath>
#include <cstdio>

#include "twinplan/core/error.h"

namespace twinplan::rendering {

std::string formatPatientPosition(int axis, double value_mm) {
  if (axis < 0 || axis > 2)
    throw Error(ErrorKind::Internal, "A patient axis is 0 (x), 1 (y) or 2 (z).",
                std::to_string(axis));
  // Round the distance first, then choose the letter: -0.04 mm is "0.0 mm", not "R 0.0 mm".
  if (!std::isfinite(value_mm)) return "— mm";
  const long tenths = std::lround(std::abs(value_mm) * 10.0);
  if (tenths == 0) return "0.0 mm";
  char text[48];
  // PS3.3 C.7.6.2.1.1: +x towards the patient's left, +y posterior, +z superior (head).
  static const char kPositive[] = {'L', 'P', 'S'};
  static const char kNegative[] = {'R', 'A', 'I'};
  const char letter = value_mm > 0 ? kPositive[axis] : kNegative[axis];
  std::snprintf(text, sizeof text, "%c %ld.%ld mm", letter, tenths / 10, tenths % 10);
  return text;
}

std::string formatPatientPoint(const Vec3& p_lps) {
  return formatPatientPosition(0, p_lps[0]) + ", " + formatPatientPosition(1, p_lps[1]) + ", " +
         formatPatientPosition(2, p_lps[2]);
}

}  // namespace twinplan::rendering
