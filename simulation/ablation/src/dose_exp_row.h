#pragma once
// The row loops of dose_exp.h for one Eigen packet type, included by dose_exp.cpp (the module's
// target) and dose_exp_avx2.cpp (AVX2 without FMA). Only our own functions here have internal
// linkage (each file's are its own, built for its own target). A header's template used with the
// same arguments in both files is a weak (COMDAT) instance the linker may take from either: one
// built with -mavx2 could then run for the baseline's callers on a processor without AVX2. So
// copies are std::memcpy (a library call, not an instance: std::copy_n's instances held VEX code
// in a -O0 build, branch ablmend), and Eigen's packet functions are instantiated for each file's
// own packet type (the baseline's Packet4f, the AVX2 file's Packet8f), which the other never uses.
#include <Eigen/Core>
#include <cstddef>
#include <cstring>

namespace twinplan::ablation::detail {
namespace {

// The row loops take Eigen's packet_traits<float> of the file's target (its packet type as a
// template argument would lose its vector attributes).
using FloatTraits = Eigen::internal::packet_traits<float>;
using FloatPacket = FloatTraits::type;
constexpr std::size_t kFloatsPerPacket = FloatTraits::Vectorizable ? FloatTraits::size : 1;

// One packet of voxels: the two exps, the products with the step and the sums, the same float
// operations in the same order as the scalar `damage += step_s * exp(a)`.
inline void addDosePacket(const float* arrhenius, const float* doublings, FloatPacket step_s,
                          FloatPacket step_min, float* damage, float* cem43_min) {
  using Packet = FloatPacket;
  using namespace Eigen::internal;
  const Packet rate = pexp(ploadu<Packet>(arrhenius));
  const Packet dose = pexp(ploadu<Packet>(doublings));
  pstoreu(damage, padd(ploadu<Packet>(damage), pmul(step_s, rate)));
  pstoreu(cem43_min, padd(ploadu<Packet>(cem43_min), pmul(step_min, dose)));
}

void addDoseRow(const float* arrhenius, const float* doublings, std::size_t count, float step_s,
                float step_min, float* damage, float* cem43_min) {
  using Packet = FloatPacket;
  constexpr std::size_t kSize = kFloatsPerPacket;
  const Packet stepPacket = Eigen::internal::pset1<Packet>(step_s);
  const Packet minutePacket = Eigen::internal::pset1<Packet>(step_min);
  std::size_t n = 0;
  for (; n + kSize <= count; n += kSize)
    addDosePacket(arrhenius + n, doublings + n, stepPacket, minutePacket, damage + n,
                  cem43_min + n);
  if (n == count) return;
  // The last voxels through a whole packet, padded with exponents of 0 (exp 1, finite).
  float a[kSize] = {}, d[kSize] = {}, omega[kSize] = {}, cem[kSize] = {};
  const std::size_t left = count - n;
  const std::size_t bytes = left * sizeof(float);
  std::memcpy(a, arrhenius + n, bytes);
  std::memcpy(d, doublings + n, bytes);
  std::memcpy(omega, damage + n, bytes);
  std::memcpy(cem, cem43_min + n, bytes);
  addDosePacket(a, d, stepPacket, minutePacket, omega, cem);
  std::memcpy(damage + n, omega, bytes);
  std::memcpy(cem43_min + n, cem, bytes);
}

void expRow(const float* x, std::size_t count, float* out) {
  using namespace Eigen::internal;
  using Packet = FloatPacket;
  constexpr std::size_t kSize = kFloatsPerPacket;
  std::size_t n = 0;
  for (; n + kSize <= count; n += kSize) pstoreu(out + n, pexp(ploadu<Packet>(x + n)));
  if (n == count) return;
  float padded[kSize] = {};
  std::memcpy(padded, x + n, (count - n) * sizeof(float));
  pstoreu(padded, pexp(ploadu<Packet>(padded)));
  std::memcpy(out + n, padded, (count - n) * sizeof(float));
}

}  // namespace
}  // namespace twinplan::ablation::detail
