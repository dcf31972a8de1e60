// The exp of the bioheat stage's damage and CEM43 (src/dose_exp.h, called by bioheat.cpp
// FieldAdvance::addDose: Eigen's vectorised float exp, every voxel through a whole packet)
// against the scalar std::exp: the bound and the reproducibility its packets rest on; and its
// paths (the baseline's packets, AVX2's) against each other, bit for bit.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numbers>
#include <span>
#include <vector>

#include "dose_exp.h"

namespace {

// Eigen's float packet for the build's target (four on x86-64's baseline): src/dose_exp.h's
// baseline path.
constexpr std::size_t kPacket = Eigen::internal::packet_traits<float>::Vectorizable
                                    ? Eigen::internal::packet_traits<float>::size
                                    : 1;

std::int32_t bitsOf(float x) {
  std::int32_t i = 0;
  std::memcpy(&i, &x, sizeof i);
  return i;
}

// As bioheat.cpp's FieldAdvance did up to session 20 (the fingerprints' bits): the row padded
// with zeros to whole packets, exponentiated in place.
std::vector<float> paddedRowExp(const std::vector<float>& input) {
  const std::size_t count = input.size();
  std::vector<float, Eigen::aligned_allocator<float>> row(input.begin(), input.end());
  row.resize((count + kPacket - 1) / kPacket * kPacket, 0.0f);
  Eigen::Map<Eigen::ArrayXf> map(row.data(), Eigen::Index(row.size()));
  map = map.exp();
  return std::vector<float>(row.begin(), row.begin() + std::ptrdiff_t(count));
}

// Exponents over float exp's whole normal range, -87 to 88: the damage exponents ln(A) - Ea/(RT)
// (liver: -8.2 at 37 degC, +14.9 at 130 degC) and CEM43's doublings x ln 2 (-31.9 at 20 degC,
// +60.3 at 130 degC) lie within.
std::vector<float> exponents() {
  std::vector<float> x;
  for (int n = 0; n <= 200000; ++n) x.push_back(float(-87.0 + 175.0 * n / 200000.0));
  return x;
}

TEST(DamageExp, TheVectorisedExpIsWithinItsBoundOfTheScalarOne) {
  const std::vector<float> x = exponents();
  const std::vector<float> packet = paddedRowExp(x);
  int largestUlp = 0;
  std::size_t differing = 0;
  double largestRelative = 0.0;
  for (std::size_t n = 0; n < x.size(); ++n) {
    const float scalar = std::exp(x[n]);
    const int ulp = std::abs(bitsOf(packet[n]) - bitsOf(scalar));
    largestUlp = std::max(largestUlp, ulp);
    differing += ulp != 0;
    const double exact = std::exp(double(x[n]));
    largestRelative = std::max(largestRelative, std::abs(double(packet[n]) - exact) / exact);
  }
  std::printf(
      "[   INFO   ] packet vs scalar exp: %zu of %zu differ, at most %d ulp; packet vs "
      "exact %.3g relative\n",
      differing, x.size(), largestUlp, largestRelative);
  // x86-64's baseline (SSE packets, no FMA: what Debian builds and the benchmark's fingerprints
  // are taken on): within one ulp of float, 2^-23. A build for a processor with FMA or AVX-512
  // (-march) gets Eigen's other packet exp: measured at most 4 ulp and 2.95e-7 relative on an
  // AMD EPYC with AVX-512 (session 18), still far below what the damage integral can resolve.
#if defined(__FMA__) || defined(__AVX512F__)
  constexpr int kUlpBound = 4;
  constexpr double kRelativeBound = 4.8e-7;  // 4 x 2^-23
#else
  constexpr int kUlpBound = 1;
  constexpr double kRelativeBound = 1.2e-7;  // 2^-23: one ulp of float
#endif
  EXPECT_LE(largestUlp, kUlpBound);
  EXPECT_LE(largestRelative, kRelativeBound);
  // They do differ (about a quarter of the values): a voxel left to the scalar path would not
  // keep its bits, which is why the rows are padded.
  if (kPacket > 1) {  // (unvectorised, Eigen's exp is std::exp)
    EXPECT_GT(differing, x.size() / 10);
  }
}

TEST(DamageExp, APaddedRowGivesAVoxelTheSameBitsWhereverItSits) {
  // A value whose packet and scalar exps differ, at every place of rows of 1 to 9 voxels.
  const std::vector<float> x = exponents();
  const std::vector<float> packet = paddedRowExp(x);
  float value = 0.0f, alone = 0.0f;
  for (std::size_t n = 0; n < x.size(); ++n)
    if (packet[n] != std::exp(x[n])) {
      value = x[n];
      alone = packet[n];
      break;
    }
  ASSERT_NE(alone, 0.0f);
  for (std::size_t length = 1; length <= 9; ++length)
    for (std::size_t at = 0; at < length; ++at) {
      std::vector<float> row(length, 1.5f);
      row[at] = value;
      EXPECT_EQ(bitsOf(paddedRowExp(row)[at]), bitsOf(alone)) << length << " voxels, at " << at;
    }
  // Unpadded, the last voxel of a 5-voxel row is Eigen's scalar tail: another bit pattern.
  std::vector<float> row(5, 1.5f);
  row[4] = value;
  Eigen::Map<Eigen::ArrayXf> map(row.data(), 5);
  map = map.exp();
  EXPECT_NE(bitsOf(row[4]), bitsOf(alone));
}

}  // namespace

// src/dose_exp.h: the paths the bioheat stage picks among (the baseline, Eigen's packets for the
// build's target; AVX2's eight-float packets where the processor has them) against each other
// and against the padded rows above, bit for bit.
namespace {

using twinplan::ablation::detail::DoseExpPath;

// A dense sweep: every 509th float bit pattern of either sign (so every binade, the subnormals,
// the infinities and NaNs), every float exponent from -110 to 90 in steps of 2^-12 (float's exp is
// subnormal below -87.3 and Eigen's clamps its argument at +-88.723, so both ends and the
// subnormal results are in), and the exponents the bioheat stage forms: liver's Arrhenius exponent
// ln A - Ea / (R T) (A = 7.39e39 /s, Ea = 2.577e5 J/mol: -8.2 at 37 degC, +14.9 at 130 degC;
// the RF bench's hottest voxel reaches 122 degC) and CEM43's doublings times ln 2 (-31.9 at
// 20 degC, +60.3 at 130 degC).
std::vector<float> denseSweep() {
  std::vector<float> x;
  for (std::uint64_t bits = 0; bits < (std::uint64_t(1) << 32); bits += 509) {
    const auto pattern = std::uint32_t(bits);
    float value = 0.0f;
    std::memcpy(&value, &pattern, sizeof value);
    x.push_back(value);
  }
  for (int n = -110 * 4096; n <= 90 * 4096; ++n) x.push_back(float(n) / 4096.0f);
  for (double t_degC = 20.0; t_degC <= 130.0; t_degC += 0.001) {
    const double arrhenius = std::log(7.39e39) - 2.577e5 / (8.314 * (t_degC + 273.15));
    const double doublings = (t_degC >= 43.0 ? 1.0 : 2.0) * (t_degC - 43.0);
    x.push_back(float(arrhenius));
    x.push_back(float(doublings * std::numbers::ln2));
  }
  // Around the clamp, float exp's overflow, its smallest normal and smallest subnormal results.
  for (float edge : {88.723f, -88.723f, 88.72283f, -87.33654f, -103.97208f}) {
    float v = std::nextafter(std::nextafter(edge, -1e30f), -1e30f);
    for (int n = 0; n < 5; ++n, v = std::nextafter(v, 1e30f)) x.push_back(v);
  }
  x.insert(x.end(), {0.0f, -0.0f, std::numeric_limits<float>::denorm_min(),
                     -std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(),
                     std::numeric_limits<float>::lowest(), std::numeric_limits<float>::infinity(),
                     -std::numeric_limits<float>::infinity()});
  return x;
}

std::vector<float> expBy(const DoseExpPath& path, const std::vector<float>& x) {
  std::vector<float> out(x.size());
  path.exp(x.data(), x.size(), out.data());
  return out;
}

TEST(DoseExp, TheBaselinePathIsThePaddedRowsExp) {
  // The baseline's bits are those of Eigen's exp over padded rows (the bench's fingerprints
  // before the paths, session 20), voxel for voxel.
  const std::vector<float> x = denseSweep();
  const std::vector<float> padded = paddedRowExp(x);
  const std::vector<float> baseline = expBy(twinplan::ablation::detail::baselineDoseExp(), x);
  std::size_t differing = 0;
  for (std::size_t n = 0; n < x.size(); ++n) differing += bitsOf(baseline[n]) != bitsOf(padded[n]);
  EXPECT_EQ(differing, 0u) << "of " << x.size();
  EXPECT_EQ(twinplan::ablation::detail::baselineDoseExp().packet, kPacket);
}

TEST(DoseExp, EveryPathThisProcessorRunsGivesTheBaselinesBits) {
  const std::vector<DoseExpPath> paths = twinplan::ablation::detail::doseExpPaths();
  ASSERT_FALSE(paths.empty());
  EXPECT_STREQ(paths.front().name, "baseline");
  EXPECT_STREQ(twinplan::ablation::detail::chosenDoseExp().name, paths.back().name);
#if defined(__x86_64__) && defined(__GNUC__) && defined(TWINPLAN_ABLATION_DOSE_EXP_AVX2) && \
    !defined(TWINPLAN_ABLATION_BASELINE_LOOPS) && !defined(__AVX__)
  // (tests/CMakeLists.txt defines it where the module builds the AVX2 path; a build for AVX, as
  // this test is built like the module, offers the baseline alone: dose_exp.cpp)
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_EQ(paths.size(), 2u);
  }
#endif
  // With the baseline alone (no AVX2 path in this build, or a processor without AVX2) there is
  // nothing to compare it with: TheBaselinePathIsThePaddedRowsExp checks its bits.
  if (paths.size() == 1) GTEST_SKIP() << "only the baseline path here: no other path to compare";
  const std::vector<float> x = denseSweep();
  const std::vector<float> baseline = expBy(paths.front(), x);
  // Subnormal results (exponents below -87.3): Eigen's exp never gives 0 (its argument is clamped
  // at -88.723, about 2.9e-39), and a path that flushed them would differ here.
  std::size_t subnormal = 0;
  for (float e : baseline) subnormal += e > 0.0f && e < std::numeric_limits<float>::min();
  EXPECT_GT(subnormal, 1000u);
  for (const DoseExpPath& path : std::span(paths).subspan(1)) {
    const std::vector<float> wide = expBy(path, x);
    std::size_t differing = 0;
    for (std::size_t n = 0; n < x.size(); ++n) differing += bitsOf(wide[n]) != bitsOf(baseline[n]);
    std::printf("[   INFO   ] dose exp path %s (%zu floats a packet): %zu of %zu differ\n",
                path.name, path.packet, differing, x.size());
    EXPECT_EQ(differing, 0u) << path.name;
  }
}

TEST(DoseExp, EveryPathAddsTheStepsDoseAsTheScalarSumsWouldFromItsExp) {
  // damage += step_s * exp(a), cem43 += step_min * exp(d), in float, for rows of 1 to 40 voxels
  // (every partial packet of four and eight, the paths' packets, and rows of several packets):
  // each voxel as the scalar expression on the path's own exp, wherever it sits in the row.
  const float step_s = 5.0f, step_min = float(5.0 / 60.0);
  for (const DoseExpPath& path : twinplan::ablation::detail::doseExpPaths())
    for (std::size_t count = 1; count <= 40; ++count) {
      std::vector<float> arrhenius(count), doublings(count), damage(count), cem43(count);
      for (std::size_t n = 0; n < count; ++n) {
        arrhenius[n] = -9.0f + 0.61f * float(n);  // 37 degC to beyond 130 degC
        doublings[n] = -20.0f + 1.7f * float(n);
        damage[n] = 0.25f * float(n);
        cem43[n] = 3.0f * float(n);
      }
      const std::vector<float> rate = expBy(path, arrhenius), dose = expBy(path, doublings);
      std::vector<float> expectedDamage = damage, expectedCem43 = cem43;
      for (std::size_t n = 0; n < count; ++n) {
        expectedDamage[n] += step_s * rate[n];
        expectedCem43[n] += step_min * dose[n];
      }
      path.addDose(arrhenius.data(), doublings.data(), count, step_s, step_min, damage.data(),
                   cem43.data());
      for (std::size_t n = 0; n < count; ++n) {
        EXPECT_EQ(bitsOf(damage[n]), bitsOf(expectedDamage[n])) << path.name << " " << count;
        EXPECT_EQ(bitsOf(cem43[n]), bitsOf(expectedCem43[n])) << path.name << " " << count;
      }
      // and a real value: 37 degC's Arrhenius rate of liver over 5 s (2.9e-4 /s, ablheat's
      // figure) within float's rounding
      if (count == 1) {
        EXPECT_NEAR(damage[0], 5.0 * std::exp(-9.0), 5.0 * std::exp(-9.0) * 1e-6);
      }
    }
}

}  // namespace
