// 3D gamma (Low 1998) with the exact search on the piecewise-linear evaluated dose (Ju 2008),
// against closed forms: a uniform offset, a shifted linear ramp (gamma = G d / sqrt(dD^2 +
// DTA^2 G^2)), a scaled ramp with a known pass rate, and a steep shifted edge against a dense
// one-dimensional search written out here, and the pruned 3-D search against an exhaustive one.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

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

// An independent exhaustive search, to hold the pruned search in gamma.cpp to the exact
// minimum: every Kuhn tetrahedron of every evaluated cell within maxGamma * DTA, and on each the
// nearest point of the dose surface in (x/DTA, y/DTA, z/DTA, D/dD) found by projecting onto the
// affine hull of each of its 15 faces (4 vertices, 6 edges ... ) and keeping the projections
// that fall inside their face: the nearest point of a simplex lies inside one of its faces. Cells
// are skipped only by the elementary bound of their box and dose range.
using GammaSpacePoint = Eigen::Vector4d;

double squaredDistanceToSimplex(const std::array<GammaSpacePoint, 4>& vertex,
                                const GammaSpacePoint& p) {
  double best = std::numeric_limits<double>::infinity();
  for (int subset = 1; subset < 16; ++subset) {
    std::array<GammaSpacePoint, 4> face;
    Eigen::Index count = 0;
    for (int v = 0; v < 4; ++v)
      if (subset & (1 << v))
        face[static_cast<std::size_t>(count++)] = vertex[static_cast<std::size_t>(v)];
    const Eigen::Index m = count - 1;  // edges from face[0]; no heap: at most 3
    Eigen::Matrix<double, 4, Eigen::Dynamic, 0, 4, 3> edges(4, m);
    for (Eigen::Index e = 0; e < m; ++e)
      edges.col(e) = face[static_cast<std::size_t>(e) + 1] - face[0];
    Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 3, 1> t(m);
    if (m > 0) {
      const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, 3, 3> gram =
          edges.transpose() * edges;
      const Eigen::FullPivLU<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, 3, 3>> lu(
          gram);
      if (lu.rank() < m) continue;  // a degenerate face: its lower faces cover it
      t = lu.solve(edges.transpose() * (p - face[0]));
      if ((t.array() < 0.0).any() || t.sum() > 1.0) continue;
    }
    const GammaSpacePoint nearest = m > 0 ? GammaSpacePoint(face[0] + edges * t) : face[0];
    best = std::min(best, (nearest - p).squaredNorm());
  }
  return best;
}

std::vector<double> exhaustiveGamma(const ScalarField& reference, const ScalarField& evaluated,
                                    const GammaCriteria& criteria) {
  const double normalisation =
      criteria.normalisationDose_Gy > 0.0
          ? criteria.normalisationDose_Gy
          : *std::max_element(reference.values.begin(), reference.values.end());
  const double threshold = criteria.lowDoseThreshold_percent / 100.0 * normalisation;
  const double fraction = criteria.doseDifference_percent / 100.0;
  const double dta = criteria.distanceToAgreement_mm;
  const ImageGeometry& e = evaluated.geometry;
  const double maxGamma2 = criteria.maxGamma * criteria.maxGamma;
  std::vector<double> gamma(reference.values.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t index = 0; index < reference.values.size(); ++index) {
    const double dose = reference.values[index];
    if (dose < threshold || (criteria.local && !(dose > 0.0))) continue;
    const std::int64_t n0 = reference.geometry.size[0], n1 = reference.geometry.size[1];
    const auto v = static_cast<std::int64_t>(index);
    const Vec3 ijk(double(v % n0), double((v / n0) % n1), double(v / (n0 * n1)));
    const Vec3 q = e.lpsToIndex(reference.geometry.indexToLps(ijk));
    const double doseScale = 1.0 / (fraction * (criteria.local ? dose : normalisation));
    const GammaSpacePoint point(q[0] * e.spacing_mm[0] / dta, q[1] * e.spacing_mm[1] / dta,
                                q[2] * e.spacing_mm[2] / dta, dose * doseScale);
    double best = maxGamma2;
    for (std::int64_t k = 0; k + 1 < e.size[2]; ++k)
      for (std::int64_t j = 0; j + 1 < e.size[1]; ++j)
        for (std::int64_t i = 0; i + 1 < e.size[0]; ++i) {
          const std::array<std::int64_t, 3> cell = {i, j, k};
          double box2 = 0.0;
          for (int a = 0; a < 3; ++a) {
            const double outside =
                std::max({0.0, double(cell[a]) - q[a], q[a] - double(cell[a] + 1)});
            box2 += std::pow(outside * e.spacing_mm[a] / dta, 2);
          }
          if (box2 >= best) continue;
          std::array<GammaSpacePoint, 8> corner;
          double low = std::numeric_limits<double>::infinity(), high = -low;
          for (int bits = 0; bits < 8; ++bits) {
            const std::array<std::int64_t, 3> c = {i + (bits & 1), j + ((bits >> 1) & 1),
                                                   k + (bits >> 2)};
            const double d = evaluated.values[e.linearIndex(c[0], c[1], c[2])] * doseScale;
            corner[static_cast<std::size_t>(bits)] = GammaSpacePoint(
                double(c[0]) * e.spacing_mm[0] / dta, double(c[1]) * e.spacing_mm[1] / dta,
                double(c[2]) * e.spacing_mm[2] / dta, d);
            low = std::min(low, d);
            high = std::max(high, d);
          }
          const double doseGap = std::max({0.0, low - point[3], point[3] - high});
          if (box2 + doseGap * doseGap >= best) continue;
          // Kuhn's six tetrahedra: 0, e(a), e(a) + e(b), 7 for each order (a, b, c) of the axes.
          std::array<int, 3> axes = {0, 1, 2};
          do {
            const int w1 = 1 << axes[0], w2 = w1 | (1 << axes[1]);
            best = std::min(
                best, squaredDistanceToSimplex({corner[0], corner[static_cast<std::size_t>(w1)],
                                                corner[static_cast<std::size_t>(w2)], corner[7]},
                                               point));
          } while (std::next_permutation(axes.begin(), axes.end()));
        }
    gamma[index] = std::sqrt(best);
  }
  return gamma;
}

// The largest difference between the pruned search and the exhaustive one over the evaluated
// points; both must leave the same points unevaluated.
double largestDifferenceFromExhaustive(const ScalarField& reference, const ScalarField& evaluated,
                                       const GammaCriteria& criteria,
                                       const DoseFrames& frames = {}) {
  const GammaResult result = gammaIndex(reference, evaluated, criteria, noProgress(), frames);
  const std::vector<double> expected = exhaustiveGamma(reference, evaluated, criteria);
  double largest = 0.0;
  std::size_t evaluatedPoints = 0;
  for (std::size_t v = 0; v < expected.size(); ++v) {
    EXPECT_EQ(std::isnan(expected[v]), std::isnan(result.gamma.values[v])) << "voxel " << v;
    if (std::isnan(expected[v])) continue;
    ++evaluatedPoints;
    largest = std::max(largest, std::abs(result.gamma.values[v] - expected[v]));
  }
  EXPECT_GT(evaluatedPoints, 100u);
  return largest;
}

// A deterministic "noisy" dose in [0, 1): a hash of the voxel, so that the minima fall on
// faces, edges and vertices of the tetrahedra as often as inside them.
double hashedNoise(const Vec3& p) {
  auto bits = static_cast<std::uint64_t>(std::llround(p.x() * 64.0) * 73856093LL ^
                                         std::llround(p.y() * 64.0) * 19349663LL ^
                                         std::llround(p.z() * 64.0) * 83492791LL);
  bits = (bits ^ (bits >> 29)) * 0xBF58476D1CE4E5B9ULL;
  bits ^= bits >> 32;
  return double(bits % 100000) / 100000.0;
}

// A box field (erf penumbra 4 mm) centred at `centre_mm` on x and y, like the benchmark's.
double boxField(const Vec3& p, const Vec3& centre_mm, double scale) {
  auto inField = [](double offAxis_mm) {
    return 0.5 * (std::erf((6.0 - std::abs(offAxis_mm)) / 4.0) + 1.0);
  };
  const Vec3 d = p - centre_mm;
  return scale * (2.0 * inField(d.x()) * inField(d.y()) * std::exp(-0.0045 * d.z()) + 0.02);
}

TEST(Gamma, PrunedSearchEqualsTheExhaustiveSearch) {
  // The benchmark's kind of dose (a box field, shifted 2 mm and 1 mm, scaled by 1.02, on a
  // 1.5 mm grid) and a noisy one, global and local, 3 %/3 mm and 2 %/2 mm with maxGamma 3, and
  // an evaluated grid offset from the reference in one frame of reference: the pruned search
  // gives the exhaustive minimum to float rounding (1e-6) at every point.
  const std::array<std::int64_t, 3> size = {14, 13, 9};
  const Vec3 spacing(1.5, 1.5, 1.5), centre(9.75, 9.0, 6.0);
  const ScalarField reference = doseOnGrid(size, spacing, Vec3::Zero(),
                                           [&](const Vec3& p) { return boxField(p, centre, 1.0); });
  const ScalarField shifted = doseOnGrid(size, spacing, Vec3::Zero(), [&](const Vec3& p) {
    return boxField(p, centre + Vec3(2.0, 1.0, 0.0), 1.02);
  });
  GammaCriteria criteria;
  EXPECT_LT(largestDifferenceFromExhaustive(reference, shifted, criteria), 1e-6);
  criteria.local = true;
  EXPECT_LT(largestDifferenceFromExhaustive(reference, shifted, criteria), 1e-6);
  criteria = {};
  criteria.doseDifference_percent = 2.0;
  criteria.distanceToAgreement_mm = 2.0;
  criteria.maxGamma = 3.0;
  EXPECT_LT(largestDifferenceFromExhaustive(reference, shifted, criteria), 1e-6);

  const ScalarField noisy = doseOnGrid(size, spacing, Vec3::Zero(), [&](const Vec3& p) {
    return boxField(p, centre, 1.0) * (1.0 + 0.1 * hashedNoise(p));
  });
  criteria = {};
  EXPECT_LT(largestDifferenceFromExhaustive(reference, noisy, criteria), 1e-6);
  criteria.local = true;
  EXPECT_LT(largestDifferenceFromExhaustive(reference, noisy, criteria), 1e-6);

  const ScalarField offsetGrid =
      doseOnGrid({12, 12, 8}, Vec3(1.7, 1.6, 1.9), Vec3(0.4, -0.3, 0.5), [&](const Vec3& p) {
        return boxField(p, centre + Vec3(2.0, 1.0, 0.0), 1.02) * (1.0 + 0.05 * hashedNoise(p));
      });
  criteria = {};
  EXPECT_LT(largestDifferenceFromExhaustive(reference, offsetGrid, criteria, {"1.2.3", "1.2.3"}),
            1e-6);
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
