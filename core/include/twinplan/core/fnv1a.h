#pragma once
// FNV-1a 64 (Fowler, Noll, Vo; IETF draft-eastlake-fnv-17: offset basis 14695981039346656037,
// prime 1099511628211): a fast fingerprint of bytes that is the same on every machine, for
// identities (job checkpoints, a shared case) and "the same bits" checks (tests, benchmarks).
// Not a security measure.
//
//   Fnv1a64 hash;
//   hash.add(std::as_bytes(std::span(field.values)));  // as many pieces as wanted, in order
//   hash.hex();                                        // "08f44b07b5901a25" for the bytes "{}"
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace twinplan {

class Fnv1a64 {
 public:
  static constexpr std::uint64_t kOffsetBasis = 14695981039346656037ull;
  static constexpr std::uint64_t kPrime = 1099511628211ull;

  // The pieces' bytes in order: one piece or several give the same hash for the same bytes.
  Fnv1a64& add(std::span<const std::byte> bytes) {
    for (const std::byte b : bytes) hash_ = (hash_ ^ std::uint64_t(b)) * kPrime;
    return *this;
  }
  Fnv1a64& add(std::string_view text) { return add(std::as_bytes(std::span(text))); }

  std::uint64_t value() const { return hash_; }
  std::string hex() const;  // 16 lower-case hex digits

 private:
  std::uint64_t hash_ = kOffsetBasis;
};

}  // namespace twinplan
