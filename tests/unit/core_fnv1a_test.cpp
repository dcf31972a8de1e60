// FNV-1a 64 (core/fnv1a.h) against the published test vectors.
#include <gtest/gtest.h>

#include <array>
#include <span>

#include "twinplan/core/fnv1a.h"

namespace twinplan {
namespace {

TEST(Fnv1a64, GivesThePublishedValues) {
  // The FNV authors' test vectors for "" (the offset basis), "a" and "foobar"; each also computed
  // independently in Python (h = ((h ^ byte) * prime) mod 2^64 from the offset basis).
  EXPECT_EQ(Fnv1a64().value(), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64().add("a").value(), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64().add("foobar").value(), 0x85944171f73967e8ull);
  EXPECT_EQ(Fnv1a64().add("foobar").hex(), "85944171f73967e8");
  EXPECT_EQ(Fnv1a64().add("{}").hex(), "08f44b07b5901a25");  // leading zero kept
}

TEST(Fnv1a64, PiecesHashAsTheirBytesTogether) {
  Fnv1a64 pieces;
  pieces.add("foo").add("").add("bar");
  EXPECT_EQ(pieces.value(), Fnv1a64().add("foobar").value());
  const std::array<float, 2> values{1.0f, -2.5f};
  Fnv1a64 floats;
  floats.add(std::as_bytes(std::span(values).first(1)))
      .add(std::as_bytes(std::span(values).last(1)));
  EXPECT_EQ(floats.value(), Fnv1a64().add(std::as_bytes(std::span(values))).value());
  EXPECT_NE(floats.value(), Fnv1a64().add("foobar").value());
}

}  // namespace
}  // namespace twinplan
