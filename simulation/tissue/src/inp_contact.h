#pragma once
// The geometry behind the .inp reader's contact subset (inp_reader.h, internal): the faces of
// a rigid part's hexahedra as Abaqus numbers them, the plane of a master surface, whether a
// slave node lies over it, and taking the rigid part's nodes out of the model once its surface
// has become a RigidObstacle.
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue::inp {

// Local corner numbers (0-based, deck order) of face S1..S6 of an 8-node brick (C3D8, C3D8R):
// S1 = 1-2-3-4, S2 = 5-8-7-6, S3 = 1-5-6-2, S4 = 2-6-7-3, S5 = 3-7-8-4, S6 = 4-8-5-1 (Abaqus
// Analysis User's Guide 28.1.4, "Three-dimensional solid element library", face numbering;
// ccx 2.20 manual section 6.2.1). Empty for any other face number.
std::span<const int> brickFaceCorners(int face);

// One face of a master surface: its corners and the centroid of the element it bounds (the
// side the rigid part is on).
struct MasterFace {
  std::vector<std::array<double, 3>> corners;
  std::array<double, 3> elementCentroid{};
};

// The plane of a master surface: a point on it and the unit normal pointing away from the
// rigid part (towards the tissue); how far the farthest corner lies off it, whether every face
// faces the same way, and the surface's size (bounding-box diagonal), for tolerances.
struct MasterPlane {
  std::array<double, 3> point{}, normal{};
  double worstOffPlane_mm = 0;
  bool sameSide = true;
  double size_mm = 0;
};
MasterPlane fitMasterPlane(const std::vector<MasterFace>& faces);

// Whether p projected onto the plane falls on one of the faces (within tolerance_mm).
bool liesOverFaces(const std::array<double, 3>& p, const std::vector<MasterFace>& faces,
                   const MasterPlane& plane, double tolerance_mm);

// Takes the flagged nodes out of the model and renumbers the rest: node sets (emptied ones
// removed) and prescribed displacements follow; elements, nodal forces and obstacles must not
// name a removed node (the reader checks that before).
void removeNodes(FeModel& model, const std::vector<char>& remove);

}  // namespace twinplan::tissue::inp
