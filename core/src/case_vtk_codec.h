#pragma once
// Tetrahedral meshes in a case file as VTK legacy binary unstructured grids (readable by
// ParaView and 3D Slicer):
//   # vtk DataFile Version 3.0 / <title> / BINARY / DATASET UNSTRUCTURED_GRID
//   POINTS n double            n*3 big-endian float64, LPS mm
//   CELLS m 5m                 m * (int32 4, a, b, c, d), big-endian
//   CELL_TYPES m               m * int32 10 (VTK_TETRA)
//   CELL_DATA m / SCALARS material int 1 / LOOKUP_TABLE default
//                              m * int32 material index (names are in the manifest)
// Each binary block is followed by one '\n'. VTK legacy binary is big-endian by definition.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "twinplan/core/mesh.h"

namespace twinplan::casefile {

// Throws Error(InvalidInput) when the mesh is too large for VTK's int32 indices.
std::string encodeTetVtk(const TetMesh& mesh);

// The exact size of the file encodeTetVtk writes for these counts; nullopt when they are too
// large for a VTK file (a damaged manifest).
std::optional<std::uint64_t> tetVtkFileSize(std::uint64_t pointCount, std::uint64_t tetCount);

// Fills mesh.points_lps, tets and materials; the file must be exactly what encodeTetVtk
// writes for `pointCount` points and `tetCount` tets. Throws Error(Corrupt).
void decodeTetVtk(std::string_view file, std::size_t pointCount, std::size_t tetCount,
                  TetMesh& mesh);

}  // namespace twinplan::casefile
