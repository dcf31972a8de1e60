// Patient positions read as direction letters (LPS, DICOM PS3.3 C.7.6.2.1.1): +x is the
// patient's left, +y posterior, +z superior.
#include <gtest/gtest.h>

#include "twinplan/core/error.h"
#include "twinplan/rendering/patient_position.h"

namespace twinplan::rendering {
namespace {

TEST(PatientPosition, PositiveAxesReadLeftPosteriorSuperior) {
  EXPECT_EQ(formatPatientPosition(0, 3.0), "L 3.0 mm");
  EXPECT_EQ(formatPatientPosition(1, 7.25), "P 7.3 mm");  // 72.5 tenths rounds away from zero
  EXPECT_EQ(formatPatientPosition(2, 12.5), "S 12.5 mm");
}

TEST(PatientPosition, NegativeAxesReadRightAnteriorInferiorWithoutSign) {
  EXPECT_EQ(formatPatientPosition(0, -3.0), "R 3.0 mm");
  EXPECT_EQ(formatPatientPosition(1, -120.04), "A 120.0 mm");
  EXPECT_EQ(formatPatientPosition(2, -0.06), "I 0.1 mm");
}

TEST(PatientPosition, ZeroHasNoLetterAndNoSign) {
  EXPECT_EQ(formatPatientPosition(0, 0.0), "0.0 mm");
  EXPECT_EQ(formatPatientPosition(0, -0.0), "0.0 mm");
  EXPECT_EQ(formatPatientPosition(1, -0.04), "0.0 mm");  // printf("%.1f") gives "-0.0"
  EXPECT_EQ(formatPatientPosition(2, 0.049), "0.0 mm");
}

TEST(PatientPosition, APointListsXYZ) {
  EXPECT_EQ(formatPatientPoint(Vec3(-3.0, 12.5, -40.0)), "R 3.0 mm, P 12.5 mm, I 40.0 mm");
}

TEST(PatientPosition, ABadAxisIsAnError) { EXPECT_THROW(formatPatientPosition(3, 1.0), Error); }

}  // namespace
}  // namespace twinplan::rendering
