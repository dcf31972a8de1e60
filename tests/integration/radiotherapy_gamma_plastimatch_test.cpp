// 3D gamma on the real RayStation RTDOSE (../shared/data/rt-plan-raystation, a proton plan on
// a water phantom: a 2 Gy cube with steep edges on a 2 mm grid) against a copy scaled by 1.02
// and shifted by 1 mm along x, compared with `plastimatch gamma` (Debian 12, 1.9.4) run in the
// same test (issue #19, items 4 and 7).
//
// Six axial slices through the cube are compared (38,017 points above the 10 % threshold), so
// that plastimatch's slow --interp-search stays within a second or two. The evaluated copy is
// written with its origin moved by 1 mm: our gamma maps each reference point into its grid
// (same frame of reference); plastimatch resamples it onto the reference grid (trilinear).
//
// Why the numbers differ: plastimatch's default search visits grid points only, so on a 2 mm
// grid it cannot see agreement 1 mm away and over-estimates gamma at every edge (83 % pass at
// 3 %/3 mm where the exact answer is 100 %: the grid-search bias issue #19 names). Its
// --interp-search also looks along the segments between a grid point and its neighbours, still
// a subset of the continuous dose, so its gamma is an upper bound of ours up to its resampling:
// its pass rate must not exceed ours, and lies within a few points of it.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/image_file.h"
#include "twinplan/radiotherapy/gamma.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using test::runCommand;

constexpr std::int64_t kFirstSlice = 52, kSlices = 6;

ImageVolume slab(const ScalarField& dose, double scale, double shiftX_mm) {
  ImageGeometry g = dose.geometry;
  g.origin_lps = g.indexToLps(Vec3(0, 0, double(kFirstSlice))) + Vec3(shiftX_mm, 0, 0);
  g.size[2] = kSlices;
  ImageVolume image(g, PixelType::Float32);
  const std::size_t offset = dose.geometry.linearIndex(0, 0, kFirstSlice);
  std::span<float> out = image.voxels<float>();
  for (std::size_t v = 0; v < out.size(); ++v)
    out[v] = static_cast<float>(scale * dose.values[offset + v]);
  return image;
}

ScalarField asDose(const ImageVolume& image) {
  ScalarField dose;
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry = image.geometry();
  const auto voxels = image.voxels<float>();
  dose.values.assign(voxels.begin(), voxels.end());
  return dose;
}

struct PeerGamma {
  double passRate_percent = -1;
  ScalarField gamma;
};

PeerGamma plastimatchGamma(const fs::path& reference, const fs::path& evaluated,
                           const std::string& options, double dd_fraction, double dta_mm,
                           double normalisation_Gy, const fs::path& dir) {
  const fs::path report = dir / "report.txt", map = dir / "gamma.mha";
  std::ostringstream command;
  command << "plastimatch gamma " << options << " --dose-tolerance " << dd_fraction
          << " --dta-tolerance " << dta_mm << " --reference-dose " << normalisation_Gy
          << " --analysis-threshold 0.1 --ref-only-threshold --output-text '" << report.string()
          << "' --output '" << map.string() << "' '" << reference.string() << "' '"
          << evaluated.string() << "' 2>&1";
  const test::CommandResult r = runCommand(command.str());
  EXPECT_EQ(r.status, 0) << r.output;
  PeerGamma peer;
  std::ifstream in(report);
  std::string key;
  while (in >> key)
    if (key == "pass_rate(%)") in >> peer.passRate_percent;
  peer.gamma = asDose(io::readImageFile(map));
  return peer;
}

class GammaAgainstPlastimatch : public ::testing::Test {
 protected:
  void SetUp() override {
    const io::RtDose rd = io::readRtDose(test::sharedData("rt-plan-raystation/RD_plan_sum.dcm"));
    frame_ = rd.frameOfReferenceUid;
    max_Gy_ = *std::max_element(rd.dose.values.begin(), rd.dose.values.end());
    referenceImage_ = slab(rd.dose, 1.0, 0.0);
    evaluatedImage_ = slab(rd.dose, 1.02, 1.0);
    io::writeImageFile(referenceImage_, dir_ / "reference.mha");
    io::writeImageFile(evaluatedImage_, dir_ / "evaluated.mha");
    evaluatedByOneVoxel_ = slab(rd.dose, 1.02, 2.0);
    io::writeImageFile(evaluatedByOneVoxel_, dir_ / "evaluated-one-voxel.mha");
  }

  radiotherapy::GammaResult ours(double dd_percent, double dta_mm) const {
    return ours(dd_percent, dta_mm, evaluatedImage_);
  }
  radiotherapy::GammaResult ours(double dd_percent, double dta_mm,
                                 const ImageVolume& evaluated) const {
    radiotherapy::GammaCriteria criteria;
    criteria.doseDifference_percent = dd_percent;
    criteria.distanceToAgreement_mm = dta_mm;
    criteria.normalisationDose_Gy = max_Gy_;  // the whole plan's maximum, given to both tools
    return radiotherapy::gammaIndex(asDose(referenceImage_), asDose(evaluated), criteria,
                                    noProgress(), {frame_, frame_});
  }

  test::TempDir dir_{"twinplan-gamma-plastimatch"};
  std::string frame_;
  double max_Gy_ = 0;
  ImageVolume referenceImage_, evaluatedImage_, evaluatedByOneVoxel_;
};

TEST_F(GammaAgainstPlastimatch, ThreePercentThreeMillimetres) {
  const radiotherapy::GammaResult r = ours(3.0, 3.0);
  EXPECT_EQ(r.evaluatedPoints, 38017u);
  EXPECT_FALSE(r.sameGrid);
  // 2 % of a 2.2 Gy maximum is 0.67 of the 3 % criterion; a 1 mm shift is 1/3 of the DTA:
  // every point passes, the largest gamma lies on the steep edges.
  EXPECT_DOUBLE_EQ(r.passRate_percent, 100.0);
  EXPECT_LT(r.max, 0.8);
  const PeerGamma grid = plastimatchGamma(dir_ / "reference.mha", dir_ / "evaluated.mha", "", 0.03,
                                          3.0, max_Gy_, dir_.path());
  // plastimatch --interp-search gives 99.98 % here but takes 4 s: it runs at 2 %/2 mm below.
  EXPECT_NEAR(grid.passRate_percent, 83.4, 1.0);  // measured 83.41: grid-search bias
  EXPECT_LE(grid.passRate_percent, r.passRate_percent);
}

TEST_F(GammaAgainstPlastimatch, TwoPercentTwoMillimetres) {
  const radiotherapy::GammaResult r = ours(2.0, 2.0);
  const PeerGamma interpolated =
      plastimatchGamma(dir_ / "reference.mha", dir_ / "evaluated.mha", "--interp-search", 0.02, 2.0,
                       max_Gy_, dir_.path());
  // Measured: ours 94.23 %, plastimatch --interp-search 91.04 %. Point by point its gamma is
  // not a strict bound of ours: it interpolates the copy resampled onto the reference grid,
  // along segments that include face anti-diagonals, a different interpolant on the steep
  // edges (lower than ours by > 0.05 at 9 % of the points, higher at 28 %; docs/validation.md).
  EXPECT_NEAR(r.passRate_percent, 94.23, 0.05);
  EXPECT_GE(r.passRate_percent, interpolated.passRate_percent);
  EXPECT_LT(r.passRate_percent - interpolated.passRate_percent, 5.0);
}

TEST_F(GammaAgainstPlastimatch, NeverAboveTheGridSearchOnTheSameSamples) {
  // Shifted by exactly one voxel, plastimatch's resampling copies grid values, so its grid
  // search minimises over a subset of the points our continuous search covers: its gamma bounds
  // ours from above at every point (float rounding aside), and is larger where agreement lies
  // between grid points.
  const radiotherapy::GammaResult r = ours(2.0, 2.0, evaluatedByOneVoxel_);
  const PeerGamma grid = plastimatchGamma(dir_ / "reference.mha", dir_ / "evaluated-one-voxel.mha",
                                          "", 0.02, 2.0, max_Gy_, dir_.path());
  ASSERT_EQ(grid.gamma.values.size(), r.gamma.values.size());
  std::size_t compared = 0, above = 0, lower = 0;
  for (std::size_t v = 0; v < r.gamma.values.size(); ++v) {
    if (std::isnan(r.gamma.values[v])) continue;
    ++compared;
    if (r.gamma.values[v] > grid.gamma.values[v] + 1e-4) ++above;
    if (r.gamma.values[v] < grid.gamma.values[v] - 0.05) ++lower;
  }
  EXPECT_EQ(compared, r.evaluatedPoints);
  EXPECT_EQ(above, 0u) << "of " << compared;
  EXPECT_GT(lower, compared / 10) << "of " << compared;
  EXPECT_GE(r.passRate_percent, grid.passRate_percent);
}

TEST_F(GammaAgainstPlastimatch, CommandLineGivesTheLibrarysFigures) {
  const radiotherapy::GammaResult r = ours(3.0, 1.0);
  std::ostringstream command;
  command << test::cliPath().string() << " gamma --reference '" << (dir_ / "reference.mha").string()
          << "' --evaluated '" << (dir_ / "evaluated.mha").string()
          << "' --same-frame --dose-diff 3 --dta 1"
          << " --normalisation-dose " << std::setprecision(17) << max_Gy_ << " --json";
  const test::CommandResult cli = runCommand(command.str());
  ASSERT_EQ(cli.status, 0) << cli.output;
  const nlohmann::json j = nlohmann::json::parse(cli.output);
  EXPECT_EQ(j["evaluated_voxels"].get<std::size_t>(), r.evaluatedPoints);
  EXPECT_NEAR(j["pass_rate_percent"].get<double>(), r.passRate_percent, 1e-9);
  EXPECT_NEAR(j["gamma"]["mean"].get<double>(), r.mean, 1e-9);
  EXPECT_FALSE(j["same_grid"].get<bool>());
  // Without --same-frame two image files on different grids are refused, naming the reason.
  const test::CommandResult refused = runCommand(
      test::cliPath().string() + " gamma --reference '" + (dir_ / "reference.mha").string() +
      "' --evaluated '" + (dir_ / "evaluated.mha").string() + "' 2>&1");
  EXPECT_EQ(refused.status, 3) << refused.output;  // InvalidInput
  EXPECT_NE(refused.output.find("frame of reference"), std::string::npos) << refused.output;
}

}  // namespace
}  // namespace twinplan
