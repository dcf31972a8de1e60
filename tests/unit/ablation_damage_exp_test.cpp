// The exp of the bioheat stage's damage and CEM43 (bioheat.cpp FieldAdvance::addDose: Eigen's
// vectorised float exp over rows padded to whole packets) against the scalar std::exp: the
// bound and the reproducibility that bioheat.cpp's packet assertions (FieldAdvance::kPacket) rest
// on.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

// bioheat.cpp FieldAdvance::kPacket: Eigen's float packet for the build's target (four on
// x86-64's baseline).
constexpr std::size_t kPacket = Eigen::internal::packet_traits<float>::Vectorizable
                                    ? Eigen::internal::packet_traits<float>::size
                                    : 1;

std::int32_t bitsOf(float x) {
  std::int32_t i = 0;
  std::memcpy(&i, &x, sizeof i);
  return i;
}

// As FieldAdvance: the row padded with zeros to whole packets, exponentiated in place.
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
