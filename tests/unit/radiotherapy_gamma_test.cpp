// 3D gamma (Low 1998) with the exact search on the piecewise-linear evaluated dose (Ju 2008),
// against closed forms: a uniform offset, a shifted linear ramp (gamma = G d / sqrt(dD^2 +
// DTA^2 G^2)), a scaled ramp with a known pass rate, and a steep shifted edge against a dense
// one-dimensional search written out here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/radiotherapy/gamma.h"

namespace twinplan::radiotherapy {
namespace {

// A dose on an axis-aligned grid whose value depends on the LPS point.
ScalarField doseOnGrid(std::array<std::int64_t, 3> size, const Vec3& spacing_mm,
                       const Vec3& origin_lps, const std::function<double(const Vec3&)>& dose) {
  ScalarField field;
  field.name = "dose";
  field.quantity = "dose";
  field.unit = units::kGray;
  field.geometry.size = size;
  field.geometry.spacing_mm = spacing_mm;
  field.geometry.origin_lps = origin_lps;
  field.values.resize(field.geometry.voxelCount());
  for (std::int64_t k = 0; k < size[2]; ++k)
    for (std::int64_t j = 0; j < size[1]; ++j)
      for (std::int64_t i = 0; i < size[0]; ++i)
        field.values[field.geometry.linearIndex(i, j, k)] = static_cast<float>(
            dose(field.geometry.indexToLps(Vec3(double(i), double(j), double(k)))));
  return field;
}

const std::array<std::int64_t, 3> kRampSize = {101, 6, 5};
const Vec3 kOneMillimetre(1.0, 1.0, 1.0);
const Vec3 kRampOrigin(0.25, -3.0, 10.0);

TEST(Gamma, UniformOffsetGivesOffsetOverDoseCriterion) {
  // 2 Gy everywhere against 2.03 Gy (+1.5 %): global 3 % of 2 Gy = 0.06 Gy, gamma = 0.5; a
  // +4.5 % offset gives 1.5, clipped at nothing (maxGamma 2).
  const ScalarField reference =
      doseOnGrid({7, 6, 5}, kOneMillimetre, Vec3::Zero(), [](const Vec3&) { return 2.0; });
  for (const double offset_percent : {1.5, 4.5}) {
    const ScalarField evaluated =
        doseOnGrid({7, 6, 5}, kOneMillimetre, Vec3::Zero(),
                   [&](const Vec3&) { return 2.0 * (1 + offset_percent / 100); });
    const GammaResult result = gammaIndex(reference, evaluated, {});
    EXPECT_EQ(result.evaluatedPoints, 210u);
    EXPECT_NEAR(result.mean, offset_percent / 3.0, 1e-5);
    EXPECT_NEAR(result.max, offset_percent / 3.0, 1e-5);
    EXPECT_DOUBLE_EQ(result.passRate_percent, offset_percent < 3.0 ? 100.0 : 0.0);
  }
}

TEST(Gamma, ShiftedLinearRampMatchesTheClosedForm) {
  // D(x) = 0.02 Gy/mm * x shifted by d = 1.2 mm towards -x (so that the nearest points stay
  // inside the grid). The evaluated dose is linear, so the
  // nearest point of its surface to (x, D_r) gives gamma = G d / sqrt(dD^2 + DTA^2 G^2)
  // everywhere (Ju 2008, eq. 7); a grid search would find a larger value.
  const double gradient = 0.02, shift_mm = 1.2;
  auto ramp = [&](double offset_mm) {
    return doseOnGrid(kRampSize, kOneMillimetre, kRampOrigin,
                      [=](const Vec3& p) { return gradient * (p.x() - offset_mm); });
  };
  const ScalarField reference = ramp(0.0), evaluated = ramp(-shift_mm);
  GammaCriteria criteria;
  criteria.normalisationDose_Gy = 2.0;  // dD = 0.06 Gy
  const GammaResult result = gammaIndex(reference, evaluated, criteria);
  const double expected = gradient * shift_mm / std::hypot(0.06, 3.0 * gradient);
  EXPECT_NEAR(expected, 0.2828, 1e-4);
  EXPECT_EQ(result.evaluatedPoints, 91u * 30u);  // x >= 10 mm: 0.2 Gy = 10 % of 2 Gy
  EXPECT_NEAR(result.mean, expected, 1e-5);
  EXPECT_NEAR(result.max, expected, 1e-5);
  EXPECT_NEAR(result.p99, expected, 1e-5);
  EXPECT_DOUBLE_EQ(result.passRate_percent, 100.0);
}

TEST(Gamma, ScaledRampHasTheKnownPassRate) {
  // Evaluated = 1.10 x reference on the ramp D = 0.02 x: gamma = 0.1 D / sqrt(0.06^2 + (3 *
  // 1.1 * 0.02)^2) <= 1 for D <= 0.892 Gy, x <= 44.6 mm: of the 91 x-positions x = 10.25 ..
  // 100.25 mm above the 0.2 Gy threshold, the 35 up to 44.25 mm pass: 38.46 %.
  auto ramp = [&](double scale) {
    return doseOnGrid(kRampSize, kOneMillimetre, kRampOrigin,
                      [=](const Vec3& p) { return scale * 0.02 * p.x(); });
  };
  const ScalarField reference = ramp(1.0), evaluated = ramp(1.1);
  GammaCriteria criteria;
  criteria.normalisationDose_Gy = 2.0;
  const GammaResult result = gammaIndex(reference, evaluated, criteria);
  EXPECT_EQ(result.evaluatedPoints, 91u * 30u);
  EXPECT_EQ(result.passedPoints, 35u * 30u);
  EXPECT_NEAR(result.passRate_percent, 100.0 * 35.0 / 91.0, 1e-9);
  const double denominator = std::hypot(0.06, 3.0 * 1.1 * 0.02);
  const std::size_t at60mm = reference.geometry.linearIndex(60, 2, 2);
  EXPECT_NEAR(result.gamma.values[at60mm], 0.1 * 0.02 * 60.25 / denominator, 1e-5);
  EXPECT_TRUE(std::isnan(result.gamma.values[reference.geometry.linearIndex(9, 2, 2)]));

  // Pass/fail only: the same verdicts, values only bounded.
  criteria.passFailOnly = true;
  const GammaResult quick = gammaIndex(reference, evaluated, criteria);
  EXPECT_EQ(quick.passedPoints, result.passedPoints);
}

// The exact 1D gamma of a dose that varies along x only: its piecewise-linear interpolant is
// the linear interpolation of the samples along x, searched here on a 1 um raster.
double denseOneDimensionalGamma(const std::vector<double>& x_mm, const std::vector<double>& dose,
                                double atX_mm, double referenceDose, double dD_Gy, double dta_mm) {
  double best = 4.0;
  for (std::size_t s = 0; s + 1 < x_mm.size(); ++s)
    for (int t = 0; t <= 1000; ++t) {
      const double w = t / 1000.0;
      const double x = x_mm[s] + w * (x_mm[s + 1] - x_mm[s]);
      const double d = dose[s] + w * (dose[s + 1] - dose[s]);
      best = std::min(
          best, std::pow((x - atX_mm) / dta_mm, 2) + std::pow((d - referenceDose) / dD_Gy, 2));
    }
  return std::sqrt(best);
}

TEST(Gamma, ShiftedSteepEdgeMatchesADenseSearch) {
  // A penumbra rising 0.2 -> 2 Gy over 2 mm, evaluated 1.5 mm further along x on a 0.5 mm grid.
  // Where the dose part vanishes (mid-edge) gamma -> d / DTA = 0.5; at the knees the nearest
  // point lies on a tetrahedron's boundary.
  auto edge = [](double x, double at) { return 0.2 + 1.8 * std::clamp((x - at) / 2.0, 0.0, 1.0); };
  const std::array<std::int64_t, 3> size = {41, 3, 3};
  const Vec3 spacing(0.5, 0.5, 0.5);
  const ScalarField reference =
      doseOnGrid(size, spacing, Vec3::Zero(), [&](const Vec3& p) { return edge(p.x(), 8.0); });
  const ScalarField evaluated =
      doseOnGrid(size, spacing, Vec3::Zero(), [&](const Vec3& p) { return edge(p.x(), 9.5); });
  GammaCriteria criteria;
  criteria.lowDoseThreshold_percent = 0.0;
  const GammaResult result = gammaIndex(reference, evaluated, criteria);
  std::vector<double> x_mm, evaluatedDose;
  for (std::int64_t i = 0; i < size[0]; ++i) {
    x_mm.push_back(0.5 * double(i));
    evaluatedDose.push_back(evaluated.values[evaluated.geometry.linearIndex(i, 1, 1)]);
  }
  double largestError = 0.0;
  for (std::int64_t i = 0; i < size[0]; ++i) {
    const double referenceDose = reference.values[reference.geometry.linearIndex(i, 1, 1)];
    const double expected =
        denseOneDimensionalGamma(x_mm, evaluatedDose, x_mm[i], referenceDose, 0.06, 3.0);
    largestError =
        std::max(largestError,
                 std::abs(result.gamma.values[reference.geometry.linearIndex(i, 1, 1)] - expected));
  }
  EXPECT_LT(largestError, 2e-4);  // the raster's 1 um step bounds the dense search's error
  const double midEdge = result.gamma.values[reference.geometry.linearIndex(18, 1, 1)];
  EXPECT_NEAR(midEdge, 0.5, 0.01);  // x = 9 mm: G d = 1.35 Gy >> dD
}

TEST(Gamma, DifferentGridsInOneFrameOfReferenceAreMapped) {
  // The evaluated ramp on a 0.7 mm grid offset by 0.35 mm: a linear dose is interpolated
  // exactly, so gamma is the closed form of the shifted ramp.
  const ScalarField reference = doseOnGrid(kRampSize, kOneMillimetre, kRampOrigin,
                                           [](const Vec3& p) { return 0.02 * p.x(); });
  const ScalarField evaluated =
      doseOnGrid({150, 12, 10}, Vec3(0.7, 0.7, 0.7), Vec3(-0.35, -4.0, 9.0),
                 [](const Vec3& p) { return 0.02 * (p.x() - 1.2); });
  GammaCriteria criteria;
  criteria.normalisationDose_Gy = 2.0;
  const GammaResult result =
      gammaIndex(reference, evaluated, criteria, noProgress(), {"1.2.3", "1.2.3"});
  EXPECT_FALSE(result.sameGrid);
  EXPECT_NEAR(result.max, 0.02 * 1.2 / std::hypot(0.06, 0.06), 1e-5);
  EXPECT_NEAR(result.mean, 0.02 * 1.2 / std::hypot(0.06, 0.06), 1e-5);

  for (const DoseFrames& frames : {DoseFrames{"1.2.3", ""}, DoseFrames{"1.2.3", "1.2.4"}}) {
    try {
      gammaIndex(reference, evaluated, criteria, noProgress(), frames);
      ADD_FAILURE() << "grids in unknown or different frames were compared";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_EQ(e.context(), "FrameOfReferenceUID");
      EXPECT_NE(std::string(e.what()).find("frame of reference"), std::string::npos) << e.what();
    }
  }
}

TEST(Gamma, LocalGammaUsesTheReferenceDoseAtThePoint) {
  // +2 % everywhere on a ramp: local dD = 3 % of D_r(x), the dose part 2/3 at every point,
  // lowered by the DTA along the gradient: gamma = 0.02 D / sqrt((0.03 D)^2 + (3 * 1.02 G)^2).
  const ScalarField reference = doseOnGrid(kRampSize, kOneMillimetre, kRampOrigin,
                                           [](const Vec3& p) { return 0.02 * p.x(); });
  const ScalarField evaluated = doseOnGrid(kRampSize, kOneMillimetre, kRampOrigin,
                                           [](const Vec3& p) { return 1.02 * 0.02 * p.x(); });
  GammaCriteria criteria;
  criteria.local = true;
  const GammaResult result = gammaIndex(reference, evaluated, criteria);
  const std::size_t at = reference.geometry.linearIndex(50, 2, 2);
  const double d = 0.02 * 50.25;
  EXPECT_NEAR(result.gamma.values[at], 0.02 * d / std::hypot(0.03 * d, 3 * 1.02 * 0.02), 1e-5);
  EXPECT_DOUBLE_EQ(result.passRate_percent, 100.0);
}

TEST(Gamma, SameResultOnOneThreadAndCancellable) {
  const ScalarField reference = doseOnGrid(
      {40, 30, 20}, kOneMillimetre, Vec3::Zero(),
      [](const Vec3& p) { return 2.0 * std::exp(-(p - Vec3(20, 15, 10)).squaredNorm() / 60.0); });
  const ScalarField evaluated = doseOnGrid(
      {40, 30, 20}, kOneMillimetre, Vec3::Zero(),
      [](const Vec3& p) { return 2.06 * std::exp(-(p - Vec3(21, 15, 10)).squaredNorm() / 60.0); });
  const GammaResult many = gammaIndex(reference, evaluated, {});
  GammaResult one;
  {
    const parallel::ThreadLimit limit(1);
    one = gammaIndex(reference, evaluated, {});
  }
  ASSERT_EQ(many.gamma.values.size(), one.gamma.values.size());
  for (std::size_t v = 0; v < one.gamma.values.size(); ++v)
    if (!std::isnan(one.gamma.values[v])) {
      ASSERT_EQ(one.gamma.values[v], many.gamma.values[v]);
    }
  test::RecordingProgress cancelling(0);
  EXPECT_THROW(gammaIndex(reference, evaluated, {}, cancelling), Cancelled);
}

TEST(Gamma, BadInputIsRefusedWithTheParameterNamed) {
  const ScalarField dose =
      doseOnGrid({4, 4, 4}, kOneMillimetre, Vec3::Zero(), [](const Vec3&) { return 1.0; });
  GammaCriteria criteria;
  criteria.distanceToAgreement_mm = 0.0;
  try {
    gammaIndex(dose, dose, criteria);
    ADD_FAILURE() << "DTA 0 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.context(), "distanceToAgreement_mm");
  }
  ScalarField temperature = dose;
  temperature.unit = units::kDegreeCelsius;
  EXPECT_THROW(gammaIndex(temperature, dose, {}), Error);
  ScalarField hole = dose;
  hole.values[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(gammaIndex(dose, hole, {}), Error);
  ScalarField zero = dose;
  std::fill(zero.values.begin(), zero.values.end(), 0.0f);
  EXPECT_THROW(gammaIndex(zero, dose, {}), Error);
}

}  // namespace
}  // namespace twinplan::radiotherapy
