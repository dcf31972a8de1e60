// Beam-weight optimisation (simulation/radiotherapy/beam_weights.h) on cases with closed-form
// optima. Two opposed beams along x whose doses per unit weight fall linearly through the PTV,
// D1 = a (1 - g x) and D2 = a (1 + g x) at the voxels x_i (symmetric about 0, mean square
// m2): the PTV penalty with min = max = Rx is mean (D_i - Rx)^2 = (a s - Rx)^2 + a^2 g^2 m2 t^2
// with s = w1 + w2, t = w2 - w1. Alone, it is 0 at w1 = w2 = Rx / (2a): a flat dose. An organ at
// risk reached by beam 1 only (c Gy per unit weight) with a max dose of 0 at importance L adds
// L c^2 w1^2; setting the gradient to 0 gives, with k = g^2 m2 and beta = L c^2 / (2 a^2 k),
//   w1 = Rx / (a (2 + beta (1 + k))),  w2 = w1 (1 + beta).
#include <gtest/gtest.h>

#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/core/progress.h"
#include "twinplan/radiotherapy/beam_weights.h"

namespace twinplan::radiotherapy {
namespace {

constexpr double kA = 0.01, kG = 0.004, kRx = 60.0;  // Gy per unit weight, per mm, Gy
constexpr int kPtvVoxels = 81;                       // x = -40 ... 40 mm, 1 mm apart
constexpr double kOarDose = 0.006;                   // c: beam 1's dose per unit weight there

// Voxels 0..80: the PTV at x = i - 40; voxels 81..90: the organ at risk.
std::vector<ScalarField> opposedBeams() {
  std::vector<ScalarField> beams(2);
  for (int b = 0; b < 2; ++b) {
    beams[b].name = b == 0 ? "beam 1" : "beam 2";
    beams[b].geometry.size = {91, 1, 1};
    beams[b].values.resize(91);
    for (int i = 0; i < kPtvVoxels; ++i) {
      const double x = i - 40.0;
      beams[b].values[i] = static_cast<float>(kA * (1.0 + (b == 0 ? -kG : kG) * x));
    }
    for (int i = kPtvVoxels; i < 91; ++i) beams[b].values[i] = b == 0 ? kOarDose : 0.0f;
  }
  return beams;
}

std::vector<PlanningStructure> structures() {
  PlanningStructure ptv{"PTV", {}}, oar{"Cord", {}};
  for (std::size_t i = 0; i < kPtvVoxels; ++i) ptv.voxels.push_back(i);
  for (std::size_t i = kPtvVoxels; i < 91; ++i) oar.voxels.push_back(i);
  return {ptv, oar};
}

double meanSquareX() {
  double m2 = 0.0;
  for (int i = 0; i < kPtvVoxels; ++i) m2 += (i - 40.0) * (i - 40.0);
  return m2 / kPtvVoxels;
}

// The float dose per unit weight, as the optimiser sees it.
double a1(int i) { return static_cast<float>(kA * (1.0 - kG * (i - 40.0))); }

std::vector<DoseObjective> uniformPtv() {
  return {{"PTV", ObjectiveKind::MinDose, kRx, 0.0, 1.0},
          {"PTV", ObjectiveKind::MaxDose, kRx, 0.0, 1.0}};
}

TEST(BeamWeights, OpposedBeamsGetEqualWeightsAndAFlatTargetDose) {
  const auto beams = opposedBeams();
  const auto s = structures();
  const auto objectives = uniformPtv();
  const BeamWeightResult r = optimiseBeamWeights(beams, s, objectives);
  const double expected = kRx / (2.0 * kA);
  EXPECT_NEAR(r.weights[0], expected, 1e-6 * expected);
  EXPECT_NEAR(r.weights[1], expected, 1e-6 * expected);
  EXPECT_LT(r.objective, 1e-8);
  EXPECT_NEAR(r.values[0].achieved, kRx, 1e-3);  // min dose
  EXPECT_NEAR(r.values[1].achieved, kRx, 1e-3);  // max dose
}

TEST(BeamWeights, AnOrganAtRiskPushesWeightToTheOtherBeamByTheComputedAmount) {
  const auto beams = opposedBeams();
  const auto s = structures();
  auto objectives = uniformPtv();
  const double importance = 0.5;
  objectives.push_back({"Cord", ObjectiveKind::MaxDose, 0.0, 0.0, importance});
  const BeamWeightResult r = optimiseBeamWeights(beams, s, objectives);
  // Closed form (header), with the float doses' own a and g: the beams are linear in x, so a
  // and a g are the mean and slope of beam 1 over the PTV.
  double mean = 0.0, slope = 0.0;
  for (int i = 0; i < kPtvVoxels; ++i) mean += a1(i), slope += a1(i) * (i - 40.0);
  mean /= kPtvVoxels, slope /= kPtvVoxels * meanSquareX();
  const double a = mean, g = -slope / mean, k = g * g * meanSquareX();
  const double c = static_cast<float>(kOarDose);
  const double beta = importance * c * c / (2.0 * a * a * k);
  const double w1 = kRx / (a * (2.0 + beta * (1.0 + k)));
  const double w2 = w1 * (1.0 + beta);
  EXPECT_NEAR(r.weights[0], w1, 1e-5 * w1);
  EXPECT_NEAR(r.weights[1], w2, 1e-5 * w2);
  EXPECT_GT(r.weights[1], 1.5 * r.weights[0]);  // beta = 1.07 here: a real shift
  EXPECT_NEAR(r.values[2].achieved, c * w1, 1e-6 * c * w1);
  EXPECT_FALSE(r.values[2].met);
}

TEST(BeamWeights, AnOrganAtRiskOutOfReachOfOneBeamStopsItAtZero) {
  // A max-mean objective of 0 on an organ that only beam 1 reaches, with a large importance,
  // and no target to cover: the optimum is w1 = 0 (the bound), whatever w2.
  const auto beams = opposedBeams();
  const auto s = structures();
  const std::vector<DoseObjective> objectives{{"Cord", ObjectiveKind::MaxMeanDose, 0.0, 0.0, 10.0},
                                              {"PTV", ObjectiveKind::MinMeanDose, 10.0, 0.0, 1.0}};
  const BeamWeightResult r = optimiseBeamWeights(beams, s, objectives);
  EXPECT_EQ(r.weights[0], 0.0);
  // Then beam 2 alone gives the PTV a mean of 10 Gy: w2 = 10 / mean(D2).
  double mean2 = 0.0;
  for (int i = 0; i < kPtvVoxels; ++i) mean2 += beams[1].values[i];
  mean2 /= kPtvVoxels;
  EXPECT_NEAR(r.weights[1], 10.0 / mean2, 1e-6 * 10.0 / mean2);
  EXPECT_TRUE(r.values[0].met);
}

TEST(BeamWeights, MinDvhObjectiveRaisesTheDoseAtThatVolumeToItsGoal) {
  // Beam 2 alone: D = a (1 + g x) rises with x; D90 >= 60 Gy is met first by the voxel with
  // the 73rd highest dose (ceil(0.9 x 81)), x = -32: w = 60 / D2(-32).
  const auto beams = opposedBeams();
  const std::vector<ScalarField> one{beams[1]};
  const auto s = structures();
  const std::vector<DoseObjective> objectives{{"PTV", ObjectiveKind::MinDvh, kRx, 90.0, 1.0}};
  const BeamWeightResult r = optimiseBeamWeights(one, s, objectives);
  const double d = beams[1].values[8];  // x = -32
  EXPECT_NEAR(r.weights[0], kRx / d, 0.002 * kRx / d);
  EXPECT_NEAR(r.values[0].achieved, kRx, 0.002 * kRx);
}

TEST(BeamWeights, MaxDvhObjectiveLowersTheDoseAboveItsVolume) {
  // V(60 Gy) <= 25 %: the 20 hottest voxels (floor(0.25 x 81)) may exceed 60 Gy, the 21st
  // (the 21st highest dose, x = 20) must not: starting from a weight twice too high, the
  // optimiser brings the dose there to 60 Gy.
  const auto beams = opposedBeams();
  const std::vector<ScalarField> one{beams[1]};
  const auto s = structures();
  const std::vector<DoseObjective> objectives{{"PTV", ObjectiveKind::MaxDvh, kRx, 25.0, 1.0}};
  BeamWeightOptions options;
  options.initialWeights = {2.0 * kRx / kA};
  const BeamWeightResult r = optimiseBeamWeights(one, s, objectives, options);
  const double d = beams[1].values[60];  // x = 20, ceil(0.25 x 81) = 21st highest
  EXPECT_NEAR(r.weights[0], kRx / d, 0.002 * kRx / d);
  EXPECT_LE(r.values[0].achieved, 25.0 + 100.0 / kPtvVoxels);
}

TEST(BeamWeights, NormalisationIsExact) {
  const auto beams = opposedBeams();
  const auto s = structures();
  const std::vector<double> w{1234.0, 4321.0};
  for (const auto& [metric, volume] :
       {std::pair{NormalisationMetric::Mean, 0.0}, std::pair{NormalisationMetric::Dv, 50.0},
        std::pair{NormalisationMetric::Dv, 95.0}}) {
    const Normalisation nm{"PTV", metric, volume, 0, 60.0};
    const std::vector<double> scaled = normaliseWeights(beams, s, nm, w);
    EXPECT_NEAR(normalisationMetric(beams, s, nm, scaled), 60.0, 1e-9);
    EXPECT_NEAR(scaled[1] / scaled[0], w[1] / w[0], 1e-12);
  }
  // The mean by hand: mean(D1) w1 + mean(D2) w2.
  double m1 = 0.0, m2 = 0.0;
  for (int i = 0; i < kPtvVoxels; ++i) m1 += beams[0].values[i], m2 += beams[1].values[i];
  const double mean = (m1 * w[0] + m2 * w[1]) / kPtvVoxels;
  EXPECT_NEAR(normalisationMetric(beams, s, {"PTV", NormalisationMetric::Mean, 0, 0, 60.0}, w),
              mean, 1e-9 * mean);
  const Normalisation point{"", NormalisationMetric::Point, 0, 40, 2.0};  // x = 0
  const std::vector<double> atPoint = normaliseWeights(beams, s, point, w);
  EXPECT_NEAR(atPoint[0] * beams[0].values[40] + atPoint[1] * beams[1].values[40], 2.0, 1e-12);
}

TEST(BeamWeights, DoseAtVolumeIsTheNearestRank) {
  EXPECT_EQ(doseAtVolume({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95.0), 1.0);  // ceil(9.5) = 10th
  EXPECT_EQ(doseAtVolume({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50.0), 6.0);  // 5th highest
  EXPECT_EQ(doseAtVolume({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10.0), 10.0);
}

TEST(BeamWeights, BadInputGetsAClearError) {
  const auto beams = opposedBeams();
  const auto s = structures();
  auto expectInvalid = [&](std::vector<DoseObjective> objectives, const std::string& phrase) {
    try {
      optimiseBeamWeights(beams, s, objectives);
      ADD_FAILURE() << "no error for " << phrase;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    }
  };
  expectInvalid({{"Liver", ObjectiveKind::MaxDose, 10, 0, 1}}, "No structure is named");
  expectInvalid({{"PTV", ObjectiveKind::MaxDose, 10, 0, -1}}, "negative importance");
  expectInvalid({{"PTV", ObjectiveKind::MinDvh, 10, 100, 1}}, "(0, 100)");
  std::vector<ScalarField> mismatched = beams;
  mismatched[1].geometry.size = {90, 1, 1};
  EXPECT_THROW(optimiseBeamWeights(mismatched, s, uniformPtv()), Error);
  EXPECT_THROW(objectiveKindFromString("minimum"), Error);
  EXPECT_EQ(objectiveKindFromString("max_dvh"), ObjectiveKind::MaxDvh);
}

TEST(BeamWeights, CancelsBetweenIterations) {
  struct CancelNow : Progress {
    void report(double, std::string_view) override {}
    bool cancelRequested() const override { return true; }
  } cancel;
  const auto beams = opposedBeams();
  const auto s = structures();
  const auto objectives = uniformPtv();
  EXPECT_THROW(optimiseBeamWeights(beams, s, objectives, {}, cancel), Cancelled);
}

}  // namespace
}  // namespace twinplan::radiotherapy
