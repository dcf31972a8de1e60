// Landmark (paired point) registration and target registration error (issue #15, deliverable 3):
// exact on noiseless points, analytic TRE, refusals of degenerate point sets, the file format.
#include <gtest/gtest.h>

#include <fstream>

#include "registration_fixture.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/registration/landmarks.h"

namespace twinplan {
namespace {

using registration::LandmarkModel;
using registration::LandmarkPair;

// Five anatomical-scale points spread over a head (mm, LPS), mapped by `truth`.
std::vector<LandmarkPair> pairsThrough(const SpatialTransform& truth) {
  const std::vector<Vec3> fixed = {
      {-60, 10, 20}, {60, 5, 25}, {0, -80, 10}, {5, 70, -30}, {10, 0, 70}};
  std::vector<LandmarkPair> pairs;
  for (std::size_t n = 0; n < fixed.size(); ++n)
    pairs.push_back({"P" + std::to_string(n), fixed[n], truth.apply(fixed[n])});
  return pairs;
}

TEST(LandmarkRegistration, RigidIsExactOnNoiselessPoints) {
  const SpatialTransform truth = test::knownRigidMotion();
  const auto pairs = pairsThrough(truth);
  const SpatialTransform found = registration::landmarkTransform(pairs, LandmarkModel::Rigid);
  EXPECT_EQ(found.kind, SpatialTransform::Kind::Rigid);
  EXPECT_NEAR((found.matrix.transpose() * found.matrix - Mat3::Identity()).norm(), 0.0, 1e-12);
  EXPECT_NEAR(found.matrix.determinant(), 1.0, 1e-12);
  // The same map everywhere, not only at the points: compare at far-away points too.
  const std::vector<Vec3> probes = {{200, -150, 90}, {-120, 300, -40}, {0, 0, 0}};
  EXPECT_LT(test::maxDisagreement_mm(found, truth, probes), 1e-9);
  const auto tre = registration::targetRegistrationError(found, pairs);
  EXPECT_LT(tre.max_mm, 1e-9);
  EXPECT_EQ(tre.perPoint_mm.size(), pairs.size());
}

TEST(LandmarkRegistration, AffineIsExactOnNoiselessPoints) {
  Mat3 a;
  a << 1.05, 0.02, 0.0, -0.01, 0.97, 0.03, 0.0, 0.015, 1.10;
  const SpatialTransform truth = SpatialTransform::affine(a, Vec3(3, -7, 12), Vec3(1, 2, 3));
  const auto pairs = pairsThrough(truth);
  const SpatialTransform found = registration::landmarkTransform(pairs, LandmarkModel::Affine);
  EXPECT_EQ(found.kind, SpatialTransform::Kind::Affine);
  EXPECT_LT(test::maxDisagreement_mm(found, truth, {{200, -150, 90}, {-120, 300, -40}}), 1e-9);
}

TEST(LandmarkRegistration, RigidFitOfNoisyPointsIsTheLeastSquaresOne) {
  // Two pairs displaced by +d and -d along x about a symmetric set: the best rigid fit is the
  // identity, and every point keeps its own displacement as its error.
  std::vector<LandmarkPair> pairs = {{"a", {-50, 0, 0}, {-50, 0, 0}},
                                     {"b", {50, 0, 0}, {50, 0, 0}},
                                     {"c", {0, -50, 0}, {1, -50, 0}},
                                     {"d", {0, 50, 0}, {-1, 50, 0}}};
  // c and d alone would rotate the set about S by atan(1/50); maximising sum q . R(theta) p =
  // 10000 cos(theta) + 100 sin(theta) gives theta = atan(0.01) for the four, which leaves
  // every point 50 * 2 sin(theta / 2) ~ 0.5 mm from its partner (Umeyama's least squares).
  const SpatialTransform found = registration::landmarkTransform(pairs, LandmarkModel::Rigid);
  const auto fre = registration::targetRegistrationError(found, pairs);
  EXPECT_NEAR(fre.mean_mm, 0.5, 0.01);
  EXPECT_NEAR(found.eulerAngles_deg()[2], std::atan(0.01) * 180 / M_PI, 1e-9);
}

TEST(LandmarkRegistration, TargetErrorIsTheMeanAndMaxDistance) {
  const std::vector<LandmarkPair> pairs = {{"a", {0, 0, 0}, {3, 4, 0}},
                                           {"b", {10, 0, 0}, {10, 0, 1}}};
  const auto tre = registration::targetRegistrationError(SpatialTransform::identity(), pairs);
  EXPECT_DOUBLE_EQ(tre.mean_mm, 3.0);
  EXPECT_DOUBLE_EQ(tre.max_mm, 5.0);
}

TEST(LandmarkRegistration, RefusesTooFewCollinearOrCoplanarPoints) {
  const SpatialTransform truth = test::knownRigidMotion();
  auto pairs = pairsThrough(truth);
  const std::vector<LandmarkPair> two(pairs.begin(), pairs.begin() + 2);
  EXPECT_THROW(registration::landmarkTransform(two, LandmarkModel::Rigid), Error);
  std::vector<LandmarkPair> line;
  for (int n = 0; n < 4; ++n) {
    const Vec3 p(10.0 * n, 5.0 * n, 0.0);
    line.push_back({"L", p, truth.apply(p)});
  }
  try {
    registration::landmarkTransform(line, LandmarkModel::Rigid);
    FAIL() << "collinear points were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not on one line"), std::string::npos) << e.what();
  }
  std::vector<LandmarkPair> plane;
  for (const Vec3& p : {Vec3(0, 0, 5), Vec3(40, 0, 5), Vec3(0, 40, 5), Vec3(40, 40, 5)})
    plane.push_back({"F", p, truth.apply(p)});
  EXPECT_NO_THROW(registration::landmarkTransform(plane, LandmarkModel::Rigid));
  EXPECT_THROW(registration::landmarkTransform(plane, LandmarkModel::Affine), Error);
}

TEST(LandmarkRegistration, ReadsTheLandmarkFileAndNamesTheFaultyPair) {
  test::TempDir dir;
  {
    std::ofstream(dir / "ok.json") << R"({"pairs": [
      {"name": "tumour", "fixed_lps": [1, 2, 3], "moving_lps": [4.5, 5, 6]},
      {"name": "nasion", "fixed_lps": [0, -90, 10], "moving_lps": [0, -88, 11]}]})";
    std::ofstream(dir / "bad.json")
        << R"({"pairs": [{"name": "a", "fixed_lps": [1, 2, 3], "moving_lps": [4, 5, 6]},
                         {"name": "b", "fixed_lps": [1, 2], "moving_lps": [4, 5, 6]}]})";
  }
  const auto pairs = registration::readLandmarkFile(dir / "ok.json");
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].name, "tumour");
  EXPECT_EQ(pairs[0].moving_lps, Vec3(4.5, 5, 6));
  EXPECT_EQ(pairs[1].fixed_lps, Vec3(0, -90, 10));
  try {
    registration::readLandmarkFile(dir / "bad.json");
    FAIL() << "a 2-component point was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pair 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fixed_lps"), std::string::npos) << e.what();
  }
  try {
    registration::readLandmarkFile(dir / "missing.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
}

// Leave-one-out TRE, analytic: four pairs follow the motion exactly and the fifth's moving point
// is displaced by d. The fit without the fifth pair is the motion itself, so the fifth pair's
// leave-one-out error is |d| exactly; every fit without one of the exact pairs still contains the
// displaced one, so those errors are > 0; without any displacement all of them are 0.
TEST(LandmarkRegistration, LeaveOneOutErrorOfADisplacedPairIsItsDisplacement) {
  const SpatialTransform truth = test::knownRigidMotion();
  auto pairs = pairsThrough(truth);
  const registration::LandmarkFit exact = registration::rigidLandmarkFit(pairs);
  ASSERT_EQ(exact.leaveOneOut_mm.size(), 5u);
  for (const auto& error : exact.leaveOneOut_mm) {
    ASSERT_TRUE(error.has_value());
    EXPECT_LT(*error, 1e-9);
  }
  EXPECT_LT(exact.fiducial.max_mm, 1e-9);

  const Vec3 d(3.0, 0.0, 4.0);  // |d| = 5 mm
  pairs[4].moving_lps += d;
  const registration::LandmarkFit fit = registration::rigidLandmarkFit(pairs);
  ASSERT_TRUE(fit.leaveOneOut_mm[4].has_value());
  EXPECT_NEAR(*fit.leaveOneOut_mm[4], 5.0, 1e-9);
  for (std::size_t n = 0; n < 4; ++n) EXPECT_GT(*fit.leaveOneOut_mm[n], 1e-3) << "pair " << n;
  // The least-squares fit spreads the displacement: the outlier's own residual is below |d|, its
  // leave-one-out error (what a target there would suffer) is not.
  EXPECT_LT(fit.fiducial.perPoint_mm[4], 5.0);
  EXPECT_GT(fit.fiducial.perPoint_mm[4], 0.5);
  double sum = 0.0, worst = 0.0;
  for (const auto& error : fit.leaveOneOut_mm) {
    sum += *error;
    worst = std::max(worst, *error);
  }
  EXPECT_NEAR(*fit.leaveOneOutMean_mm, sum / 5.0, 1e-12);
  EXPECT_EQ(*fit.leaveOneOutMax_mm, worst);
  EXPECT_LT(test::maxDisagreement_mm(fit.transform,
                                     registration::landmarkTransform(pairs, LandmarkModel::Rigid),
                                     {Vec3(0, 0, 0), Vec3(100, 100, 100)}),
            1e-12);
}

TEST(LandmarkRegistration, LeaveOneOutIsEmptyWhereTheOtherPairsCannotMakeAFit) {
  const SpatialTransform truth = test::knownRigidMotion();
  // Three pairs: two left after leaving one out - no rigid fit, no leave-one-out error.
  auto three = pairsThrough(truth);
  three.resize(3);
  const auto fit3 = registration::rigidLandmarkFit(three);
  for (const auto& error : fit3.leaveOneOut_mm) EXPECT_FALSE(error.has_value());
  EXPECT_FALSE(fit3.leaveOneOutMean_mm.has_value());
  // Three on a line and one off it: leaving out the one off the line leaves a line.
  std::vector<LandmarkPair> lineAndOne;
  for (const Vec3& p : {Vec3(0, 0, 0), Vec3(10, 0, 0), Vec3(20, 0, 0), Vec3(5, 30, 0)})
    lineAndOne.push_back({"", p, truth.apply(p)});
  const auto fit4 = registration::rigidLandmarkFit(lineAndOne);
  EXPECT_TRUE(fit4.leaveOneOut_mm[0].has_value());
  EXPECT_FALSE(fit4.leaveOneOut_mm[3].has_value());
  EXPECT_THROW(registration::rigidLandmarkFit({lineAndOne[0], lineAndOne[1], lineAndOne[2]}),
               Error);
}

TEST(LandmarkRegistration, LandmarkFileWrittenIsReadBackBitForBitAndABadFolderLeavesNothing) {
  test::TempDir dir;
  auto pairs = pairsThrough(test::knownRigidMotion());
  pairs[0].name = "nasion \"left\"";
  pairs[1].fixed_lps = Vec3(1.0 / 3.0, -1e-17, 123456.789012345678);
  registration::writeLandmarkFile(dir / "pairs.json", pairs);
  const auto read = registration::readLandmarkFile(dir / "pairs.json");
  ASSERT_EQ(read.size(), pairs.size());
  for (std::size_t n = 0; n < pairs.size(); ++n) {
    EXPECT_EQ(read[n].name, pairs[n].name);
    EXPECT_EQ(read[n].fixed_lps, pairs[n].fixed_lps);
    EXPECT_EQ(read[n].moving_lps, pairs[n].moving_lps);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "pairs.json.partial"));
  try {
    registration::writeLandmarkFile(dir / "no-such-folder" / "pairs.json", pairs);
    FAIL() << "a file in a missing folder was written";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("no-such-folder"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "no-such-folder"));
}

}  // namespace
}  // namespace twinplan
