// Dose grids: sums and differences voxel by voxel, and a clear error, never a resample, when two
// doses are not on the same grid (issue #19, item 8).
#include <gtest/gtest.h>

#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/dose_grid.h"

namespace twinplan::radiotherapy {
namespace {

ScalarField uniformDose(float gy, const std::string& name) {
  ScalarField dose;
  dose.name = name;
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry.size = {4, 3, 2};
  dose.geometry.spacing_mm = Vec3(2.0, 2.0, 2.5);
  dose.geometry.origin_lps = Vec3(-10.0, 5.0, 30.0);
  dose.values.assign(dose.geometry.voxelCount(), gy);
  return dose;
}

TEST(DoseGrid, SumAndDifferenceAreVoxelWise) {
  ScalarField beam1 = uniformDose(1.25f, "beam 1");
  ScalarField beam2 = uniformDose(0.5f, "beam 2");
  beam2.values[7] = 2.0f;
  const ScalarField sum = doseSum(beam1, beam2);
  EXPECT_EQ(sum.unit, units::kGray);
  EXPECT_FLOAT_EQ(sum.values[0], 1.75f);
  EXPECT_FLOAT_EQ(sum.values[7], 3.25f);
  const ScalarField difference = doseDifference(beam1, beam2);
  EXPECT_FLOAT_EQ(difference.values[0], 0.75f);
  EXPECT_FLOAT_EQ(difference.values[7], -0.75f);
  EXPECT_TRUE(sum.geometry.sameGridAs(beam1.geometry));
}

TEST(DoseGrid, WeightedSumScalesEachDose) {
  ScalarField beam1 = uniformDose(1.25f, "beam 1");
  ScalarField beam2 = uniformDose(0.5f, "beam 2");
  beam2.values[7] = 2.0f;
  const ScalarField sum = weightedDoseSum(beam1, 2.0, beam2, -0.5);
  EXPECT_EQ(sum.unit, units::kGray);
  EXPECT_FLOAT_EQ(sum.values[0], 2.25f);  // 2 x 1.25 - 0.5 x 0.5
  EXPECT_FLOAT_EQ(sum.values[7], 1.5f);   // 2 x 1.25 - 0.5 x 2
  ScalarField shifted = beam2;
  shifted.geometry.origin_lps.x() += 0.5;
  EXPECT_THROW(weightedDoseSum(beam1, 1.0, shifted, 1.0), Error);
}

TEST(DoseGrid, ShiftedGridIsRefusedNamingBothGrids) {
  const ScalarField reference = uniformDose(1.0f, "reference");
  ScalarField shifted = uniformDose(1.0f, "shifted");
  shifted.geometry.origin_lps.x() += 0.5;
  try {
    doseSum(reference, shifted);
    FAIL() << "a sum on different grids must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    const std::string message = e.what();
    EXPECT_NE(message.find("(-10, 5, 30)"), std::string::npos) << message;
    EXPECT_NE(message.find("(-9.5, 5, 30)"), std::string::npos) << message;
  }
}

TEST(DoseGrid, DoseNotInGrayIsRefused) {
  ScalarField relative = uniformDose(100.0f, "relative");
  relative.unit = units::kDimensionless;
  EXPECT_THROW(requireDose(relative, "the evaluated dose"), Error);
  ScalarField truncated = uniformDose(1.0f, "truncated");
  truncated.values.pop_back();
  EXPECT_THROW(requireDose(truncated, "the evaluated dose"), Error);
}

}  // namespace
}  // namespace twinplan::radiotherapy
