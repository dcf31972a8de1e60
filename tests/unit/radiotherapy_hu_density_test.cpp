// HU -> relative electron density (simulation/radiotherapy/hu_density.h): the default is the
// published Gammex 467 calibration of a Siemens SOMATOM Definition Flash (matRad,
// SIEMENS-SOMATOM Definition Flash-ConvolutionKernel-B40f.hlut); the expected values below are
// that table's points and their linear interpolation, worked by hand.
#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/hu_density.h"

namespace twinplan::radiotherapy {
namespace {

TEST(HuDensity, DefaultIsThePublishedGammexCalibration) {
  const HuDensityCalibration& c = defaultHuDensityCalibration();
  ASSERT_EQ(c.points.size(), 15u);
  EXPECT_NE(c.source.find("matRad"), std::string::npos);
  // Insert values at their measured CT numbers: water, LN-450 lung, SB3 cortical bone.
  EXPECT_DOUBLE_EQ(c.relativeElectronDensity(3.5), 1.0);
  EXPECT_DOUBLE_EQ(c.relativeElectronDensity(-533.88), 0.444);
  EXPECT_DOUBLE_EQ(c.relativeElectronDensity(1310.13), 1.695);
  // Halfway between LN-450 (-533.88, 0.444) and AP6 adipose (-99.13, 0.925).
  EXPECT_NEAR(c.relativeElectronDensity(-316.505), 0.6845, 1e-9);
  // 0 HU lies between BR-12 (-44.5, 0.965) and water (3.5, 1.0): 0.965 + 44.5 / 48 x 0.035.
  EXPECT_NEAR(c.relativeElectronDensity(0.0), 0.99745, 1e-5);
}

TEST(HuDensity, ClampsOutsideTheCalibratedRange) {
  const HuDensityCalibration& c = defaultHuDensityCalibration();
  EXPECT_DOUBLE_EQ(c.relativeElectronDensity(-3024.0), 0.00324);  // padding-like values
  EXPECT_DOUBLE_EQ(c.relativeElectronDensity(12000.0), 2.575);    // metal: no extrapolation
}

TEST(HuDensity, CustomTableFromJsonAndItsErrors) {
  const HuDensityCalibration c = parseHuDensityCalibration(
      R"({"scanner": "test", "points": [{"hu": -1000, "red": 0}, {"hu": 1000, "red": 2}]})",
      "inline");
  EXPECT_DOUBLE_EQ(c.relativeElectronDensity(0.0), 1.0);
  EXPECT_DOUBLE_EQ(c.relativeElectronDensity(500.0), 1.5);
  try {
    parseHuDensityCalibration(R"({"points": [{"hu": 0, "red": 1}, {"hu": 0, "red": 1.1}]})", "x");
    FAIL() << "repeated HU accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("do not increase"), std::string::npos) << e.what();
  }
  try {
    parseHuDensityCalibration(R"({"points": [{"hu": 0, "red": -1}, {"hu": 10, "red": 1}]})", "x");
    FAIL() << "negative density accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
  try {
    parseHuDensityCalibration("{points: oops", "broken.json");
    FAIL() << "bad JSON accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_EQ(e.context(), "broken.json");
  }
  try {
    readHuDensityCalibration("/nonexistent/hu.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  test::TempDir dir;
  std::ofstream(dir / "hu.json")
      << R"({"points": [{"hu": -1000, "red": 0.001}, {"hu": 0, "red": 1}]})";
  EXPECT_NEAR(readHuDensityCalibration(dir / "hu.json").relativeElectronDensity(-500), 0.5005,
              1e-12);
}

TEST(HuDensity, CtVoxelsBecomeDensitiesAndPaddingVacuum) {
  ImageGeometry g;
  g.size = {4, 1, 1};
  ImageVolume ct(g, PixelType::Int16);
  ct.unit = "HU";
  ct.paddingRange = std::make_pair(-3024.0, -2000.0);
  auto v = ct.voxels<std::int16_t>();
  v[0] = -3024, v[1] = -1000, v[2] = 4, v[3] = 1310;
  const DensityGrid grid = densityGridFromCt(ct, defaultHuDensityCalibration());
  ASSERT_EQ(grid.relativeElectronDensity.size(), 4u);
  EXPECT_FLOAT_EQ(grid.relativeElectronDensity[0], 0.0f);  // padding: outside the scan
  EXPECT_FLOAT_EQ(grid.relativeElectronDensity[1], 0.00324f);
  // 4 HU between water (3.5, 1.0) and brain (38.75, 1.02).
  EXPECT_NEAR(grid.relativeElectronDensity[2], 1.0 + 0.5 / 35.25 * 0.02, 1e-6);
  // 1310 HU, just below SB3 cortical bone (1310.13, 1.695), from CB2-50 % (881.5, 1.47).
  EXPECT_NEAR(grid.relativeElectronDensity[3], 1.47 + 428.5 / 428.63 * 0.225, 1e-6);
  ct.unit = "SUV";
  EXPECT_THROW(densityGridFromCt(ct, defaultHuDensityCalibration()), Error);
}

}  // namespace
}  // namespace twinplan::radiotherapy
