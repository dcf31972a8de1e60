#pragma once
// Structured tetrahedral meshes of a box, written as the mesh part of an .inp deck: the
// fixtures of the solver's validation (patch test, cantilever, compression; docs/validation.md)
// and of its benchmark. Patient meshes come from the labelmap mesher, not from here.
//
// The box [0, size] is cut into divisions[0] x [1] x [2] cells, each cell into the 6
// tetrahedra around its diagonal from (0,0,0) to (1,1,1) (Kuhn's triangulation), which is
// conforming across cells. Nodes are numbered 1.. along x, then y, then z; C3D10 mid-side
// nodes lie on the same lattice at half the spacing.
#include <array>
#include <map>
#include <string>

#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

struct BoxMeshSpec {
  std::array<double, 3> size_mm{10, 10, 10};
  std::array<int, 3> divisions{2, 2, 2};
  ElementType type = ElementType::C3D4;
  // Moves interior corner nodes by up to this much (deterministic), so a patch test sees
  // distorted elements; mid-side nodes stay at the middle of their (straight) edges.
  double interiorJitter_mm = 0;
};

// *NODE (NSET=NALL), *ELEMENT (ELSET=EALL) and the node sets of the six faces X0, X1, Y0, Y1,
// Z0, Z1 (the faces at x = 0, x = size_x ...).
std::string boxMeshDeck(const BoxMeshSpec& spec);

// The share of a uniform traction on the face x = size_x that each of its nodes carries
// (consistent nodal loads: a third of each triangle's area at its corners for C3D4, at its
// mid-side nodes for C3D10); the shares add up to 1. Node id -> share.
std::map<int, double> endFaceLoadShares(const BoxMeshSpec& spec);

}  // namespace twinplan::tissue
