#pragma once
// Multi-material tetrahedral meshes of a patient's segments, for the tissue solver (issue #18
// item 1). Our own mesher (the project is Apache-2.0; TetGen is AGPL and CGAL Mesh_3 GPL, so
// neither may be linked), after isosurface stuffing (Labelle & Shewchuk, "Isosurface
// stuffing: fast tetrahedral meshes with good dihedral angles", SIGGRAPH 2007):
//
//  1. a body-centred cubic (BCC) lattice of cube edge `resolution_mm` over the segments;
//  2. each lattice vertex takes the material that dominates the trilinearly interpolated
//     material indicators of the eight nearest voxels (partial volumes);
//  3. every lattice edge whose ends differ is cut where the two materials' indicators are
//     equal; a vertex closer to a cut point than alpha times its edge length is warped onto
//     it (alpha 0.24999 on the long, 0.41189 on the short edges, the paper's values), and the
//     cut points on that vertex's edges are dropped;
//  4. each lattice tetrahedron is split along the cut points into one convex part per
//     material (the hull of its vertices of that material, its cut points and its warped
//     vertices), each part tetrahedralised by coning from its first point; tetrahedra with
//     three or more materials are coned from their centroid, with a point at the centre of
//     each three-material face (a multi-material marching-tetrahedra split).
//
// Every face is split by a rule that sees only that face (its vertices, materials, warps and
// cut points; a quadrilateral is cut along the diagonal from its first point in one global
// order), so the two tetrahedra on either side of any face, inside a material or across a
// tissue interface, split it the same way: the mesh is conforming, with no gaps or hanging
// nodes. The stencils of the paper, and hence its proven angle bounds, are not used: the
// angles reached are measured (meshQuality) and stated in docs/validation.md.
//
// Deterministic (the same mesh on any thread count), cancellable, parallel over lattice slabs.
#include <cstddef>
#include <string>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"
#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

// One material of the mesh: the union of some segments of the labelmap. Where materials
// overlap (a tumour, in its own layer, inside the brain) the later one wins.
struct MeshMaterial {
  std::string name;                   // the element set's name (upper-cased in the deck)
  std::vector<std::size_t> segments;  // indices into LabelMap::segments()
};

struct LabelMeshParameters {
  std::vector<MeshMaterial> materials;
  // The BCC lattice's cube edge (its long edges); short edges are sqrt(3)/2 of it. A uniform
  // BCC lattice makes about 12 tetrahedra per cube: the head phantom's brain (1.3 l) gets ~48k
  // tetrahedra at 7 mm, ~76k at 6 mm, ~260k at 4 mm (docs/validation.md).
  double resolution_mm = 6.0;
  ElementType elementType = ElementType::C3D4;  // C3D10: straight mid-side nodes added
  // Labelle & Shewchuk 2007, section 3 (warp parameters for the uniform BCC lattice).
  double warpLongEdge = 0.24999;
  double warpShortEdge = 0.41189;
  // Throws Error(InvalidInput) naming the parameter: no materials, an empty or unknown
  // segment list, a resolution not in (0, 1000] mm, warp fractions outside [0, 0.5).
  void validate(const LabelMap& labels) const;
};

struct MaterialMeshSummary {
  std::string name;
  std::size_t elements = 0;
  double meshVolume_mm3 = 0;
  double labelVolume_mm3 = 0;  // voxels of the material times the voxel volume
};

// Shape measures of linear tetrahedra (corner nodes of C3D10 elements).
struct MeshQuality {
  std::size_t elements = 0, nodes = 0;
  double minDihedral_deg = 0, maxDihedral_deg = 0;
  // 3 r_in / R_circumscribed: 1 for a regular tetrahedron, 0 for a flat one.
  double minRadiusRatio = 0, meanRadiusRatio = 0;
  std::size_t invertedElements = 0;  // signed volume <= 0 in the deck's node order
  // How many elements have a dihedral angle below 10 / 20 degrees.
  std::size_t dihedralBelow10 = 0, dihedralBelow20 = 0;
};

struct LabelMesh {
  FeModel model;  // nodes, elements (material = index in `materials`), sets below
  MeshQuality quality;
  std::vector<MaterialMeshSummary> materials;
  std::size_t latticeTetrahedra = 0;  // lattice tetrahedra that touched a material
  std::size_t warpedVertices = 0;
  std::size_t multiMaterialTetrahedra = 0;  // coned from their centroid (3+ materials)
};

// The mesh of the chosen segments. The model has one Material per MeshMaterial (name only:
// no law, a deck adds *MATERIAL), element sets EALL and one per material (its upper-cased
// name), node sets NALL and SURFACE (the nodes on the outer boundary of the meshed region).
// Nodes and elements are numbered from 1. Throws Error(InvalidInput) for bad parameters or
// when the segments are empty, Cancelled on cancel.
LabelMesh meshLabelMap(const LabelMap& labels, const LabelMeshParameters& parameters,
                       Progress& progress = noProgress());

// The mesh as a case keeps one (core/mesh.h TetMesh, Case::tetMeshes): the corner nodes in LPS
// mm, one material index per tetrahedron into the materials' names (as given, not upper-cased).
TetMesh caseTetMesh(const LabelMesh& mesh, std::string name);

// Dihedral angles, radius ratios and inverted elements of a tetrahedral model.
MeshQuality meshQuality(const FeModel& model);

// The mesh part of an Abaqus/CalculiX deck: *NODE (NSET=NALL), *ELEMENT per material (ELSET
// the material's upper-cased name; C3D4 or C3D10), *ELSET EALL and the other node sets; a
// model is completed by *MATERIAL, *SOLID SECTION and *STEP lines (inp_reader.h reads it).
std::string meshDeck(const FeModel& model);

}  // namespace twinplan::tissue
