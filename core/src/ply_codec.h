#pragma once
// Binary little-endian PLY for case-file surface meshes: vertex x y z [nx ny nz] as float,
// faces as "list uchar uint vertex_indices" (always 3). Colour and opacity live in the
// manifest. Coordinates are LPS mm ("comment SPACE=LPS", as 3D Slicer writes).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "twinplan/core/mesh.h"

namespace twinplan::casefile {

std::string encodePly(const SurfaceMesh& mesh);

// The exact size of the file encodePly writes for these counts; nullopt when the counts
// are so large that it would overflow (a damaged manifest).
std::optional<std::uint64_t> plyFileSize(std::uint64_t pointCount, std::uint64_t triangleCount,
                                         bool hasNormals);

// Fills mesh.points_lps, triangles and normals from `file`, which must be exactly what
// encodePly writes for `pointCount` points and `triangleCount` triangles (from the
// manifest). Throws Error(Corrupt) with a phrase that continues "entry 'x.ply' ...".
void decodePly(std::string_view file, std::size_t pointCount, std::size_t triangleCount,
               bool hasNormals, SurfaceMesh& mesh);

}  // namespace twinplan::casefile
