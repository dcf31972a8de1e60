#pragma once
// Topology checks shared by the metrics and the surface builder (private).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace twinplan::segmentation::detail {

// Every edge shared by exactly two triangles running along it in opposite directions, no
// triangle repeating a point, every index below pointCount; false when there are none.
bool isClosedManifold(std::span<const std::array<std::uint32_t, 3>> triangles,
                      std::size_t pointCount);

}  // namespace twinplan::segmentation::detail
