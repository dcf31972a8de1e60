#pragma once
// Surface meshes to and from the files 3D printers, CAD tools and XR engines read (issue #16
// item 5): binary STL, OBJ + MTL, binary PLY and glTF 2.0 binary (.glb).
//
// Coordinates: STL, OBJ and PLY are written in the case's patient LPS millimetres, unchanged
// (what 3D Slicer writes as "LPS" and slicers for 3D printing take as mm). glTF 2.0 fixes its
// own frame (metres, +Y up, right-handed; Khronos glTF 2.0 spec, section 3.4 "Coordinate
// System and Units"): a .glb holds x = L, y = S, z = A (= -P), in metres, so that a patient
// stands upright in an XR scene and faces the viewer, who looks along -Z.
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/mesh.h"

namespace twinplan::io {

enum class MeshFormat { Stl, Obj, Ply, Glb };
// By extension (any case): .stl, .obj, .ply, .glb. Throws Error(InvalidInput) for others.
MeshFormat meshFormatOf(const std::filesystem::path& path);
bool isMeshFileName(const std::filesystem::path& path);

// Writes `meshes` into one file, through a temporary name renamed into place (nothing half
// written on failure). STL: all triangles in one solid, no colour (binary STL has no portable
// colour); OBJ: one object ("o") per mesh with its material in a .mtl file of the same stem,
// written beside it (Kd = colour, d = opacity); PLY: all meshes merged, with per-vertex colour;
// GLB: one node and mesh per SurfaceMesh, named after it, with a PBR material of its colour
// and opacity. Throws Error(InvalidInput) for an empty list or a mesh with an out-of-range
// index, Error(Io) when the file cannot be written.
void writeMeshFile(const std::vector<SurfaceMesh>& meshes, const std::filesystem::path& path);

// Reads an STL (binary or ASCII), OBJ or PLY file into one SurfaceMesh per object (OBJ "o"/"g"
// groups; one for STL and PLY), named after the group or the file, coordinates as they are in
// the file (taken as LPS mm). Polygons are triangulated. Throws Error(Corrupt) naming the file
// when it cannot be parsed, Error(Unsupported) for .glb (export only).
std::vector<SurfaceMesh> readMeshFile(const std::filesystem::path& path);

}  // namespace twinplan::io
