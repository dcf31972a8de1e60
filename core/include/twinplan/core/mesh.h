#pragma once
// Surface and volume meshes in LPS mm.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "twinplan/core/label_map.h"

namespace twinplan {

// A triangulated surface, usually the boundary of one segment.
struct SurfaceMesh {
  std::string name;
  std::string segmentName;  // segment it was built from, if any
  Rgb colour{200, 200, 200};
  float opacity = 1.0f;
  bool visible = true;  // shown in 3D (a display choice saved with the case)
  std::vector<std::array<float, 3>> points_lps;
  std::vector<std::array<std::uint32_t, 3>> triangles;  // counter-clockwise seen from outside
  std::vector<std::array<float, 3>> normals;            // per point, or empty
};

// A tetrahedral mesh with one material index per element (into materialNames, which are
// tissue keys).
struct TetMesh {
  std::string name;
  std::vector<std::array<double, 3>> points_lps;
  std::vector<std::array<std::uint32_t, 4>> tets;
  std::vector<std::int32_t> materials;  // one per tet
  std::vector<std::string> materialNames;
};

}  // namespace twinplan
