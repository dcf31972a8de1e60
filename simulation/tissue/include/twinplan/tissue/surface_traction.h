#pragma once
// Surface traction (issue #18 item 2): a uniform traction vector on a patch of the tissue's
// surface - a segment's boundary faces within a region, or faces named by element and face
// number - as a load of the model (FaceTraction, fe_model.h), and the same load as consistent
// nodal forces for a deck CalculiX reads (*CLOAD: ccx 2.20 has no traction vector in *DLOAD).
// Tractions are given in Pa at this edge and stored in the model's MPa (N/mm^2).
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

// A face of an element on the boundary of a set of elements: the element, its face number
// (1..4, FacePressure's numbering) and corner nodes in the element's order for that face (their
// right-hand normal points into the element).
struct BoundaryFace {
  std::size_t element = 0;
  int face = 1;
  std::array<std::size_t, 3> nodes{};
};

// Where on the surface a load goes: true for a point (LPS mm) inside the patch.
using SurfaceRegion = std::function<bool(const std::array<double, 3>& p_mm)>;

// The faces of `elements` (indices into model.elements; empty = every element) that no other
// of them shares: the outer surface of a segment's tissue and its interfaces with the rest. With
// a region, only the faces whose centroid lies in it.
std::vector<BoundaryFace> boundaryFaces(const FeModel& model,
                                        const std::vector<std::size_t>& elements = {},
                                        const SurfaceRegion& region = {});

// Faces named as a deck names them: (element id, face number 1..4). Error(InvalidInput) naming
// an element id the model lacks or a face number out of range.
std::vector<BoundaryFace> facesById(const FeModel& model,
                                    const std::vector<std::pair<int, int>>& elementIdAndFace);

// The undeformed area of the faces, mm^2.
double faceArea_mm2(const FeModel& model, const std::vector<BoundaryFace>& faces);

// A uniform traction (Pa, the model's axes: LPS for patient meshes) on every face.
// Error(InvalidInput) when there is no face or a component is not finite; `where` names the
// patch in the message.
std::vector<FaceTraction> surfaceTraction(const std::vector<BoundaryFace>& faces,
                                          const std::array<double, 3>& traction_Pa,
                                          const std::string& where);

// The consistent nodal forces of face tractions (f_a = t integral N_a dA0 on the undeformed
// face), one per node and axis, summed over the faces.
std::vector<NodalForce> consistentNodalForces(const FeModel& model,
                                              const std::vector<FaceTraction>& tractions);

// The same forces as a *CLOAD block (node ids, dof 1..3, N), the traction in a form both
// TwinPlan's reader and CalculiX read.
std::string tractionAsCload(const FeModel& model, const std::vector<FaceTraction>& tractions);

}  // namespace twinplan::tissue
