#pragma once
// Topology checks shared by the metrics and the surface builder (private).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace twinplan::segmentation::detail {

// Every edge shared by exactly two triangles running along it in opposite directions, no
// triangle repeating a point, every index below pointCount; false when there are none.
bool isClosedManifold(std::span<const std::array<std::uint32_t, 3>> triangles,
                      std::size_t pointCount);

// For a watertight surface (every directed edge's reverse is there too: no hole, no flipped
// triangle, no triangle repeating a point), how often a directed edge repeats: 2 for each edge
// along four triangles, where two of its sheets touch (0 for a closed 2-manifold). nullopt for
// a surface with a hole or none at all.
std::optional<std::size_t> pinchedEdges(std::span<const std::array<std::uint32_t, 3>> triangles,
                                        std::size_t pointCount);

}  // namespace twinplan::segmentation::detail
