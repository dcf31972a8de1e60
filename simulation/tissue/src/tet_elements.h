#pragma once
// Shape functions, quadrature and faces of the C3D4 and C3D10 tetrahedra (internal).
#include <Eigen/Core>
#include <array>
#include <span>
#include <vector>

#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue::detail {

// Up to 10 nodes; a fixed capacity keeps element matrices off the heap.
using ShapeGradients = Eigen::Matrix<double, Eigen::Dynamic, 3, 0, 10, 3>;

struct QuadraturePoint {
  std::array<double, 4> barycentric;  // L1..L4 (L2, L3, L4 = r, s, t)
  double weight;                      // on the reference tetrahedron (volume 1/6)
};

// 1 point for C3D4 (exact for its constant strain), 4 points for C3D10 (degree 2, exact for
// the linear stiffness; Zienkiewicz, Taylor & Zhu, The Finite Element Method, 7th ed., table
// 6.4; the rule CalculiX uses for C3D10, ccx 2.20 manual section 6.2.9).
std::span<const QuadraturePoint> quadrature(ElementType type);

// dN/d(r, s, t) for every node at the point.
ShapeGradients naturalGradients(ElementType type, const std::array<double, 4>& barycentric);

// Shape function values at the point.
Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 10, 1> shapeValues(
    ElementType type, const std::array<double, 4>& barycentric);

// Local node indices of face 1..4 (Abaqus numbering, fe_model.h): 3 corners whose right-hand
// normal points into the element, then for C3D10 the mid-side nodes of edges 01, 12, 20.
std::span<const int> faceNodes(ElementType type, int face);

// One point of a face's integration rule: the face's shape values (3 corners, then for a
// 6-node face the mid-sides of edges 01, 12, 20) and the area vector n dA it stands for
// (weight included), n the right-hand normal of the face's node order.
struct FacePoint {
  std::array<double, 6> shape{};
  Eigen::Vector3d areaVector = Eigen::Vector3d::Zero();
};

// The 3-point triangle rule (degree 2, Strang & Fix 1973) on a face whose nodes (3 or 6, in
// faceNodes' order) stand at `x`: integral N_a n dA = sum over points of shape[a] areaVector,
// exact on flat faces for the quadratic shape functions.
std::array<FacePoint, 3> faceQuadrature(std::span<const Eigen::Vector3d> x);

// A face's nodes (3 or 6, faceNodes' order): their indices in the model and positions, the
// undeformed ones plus `u` (3 displacements per node) when given.
struct FaceGeometry {
  std::vector<Eigen::Vector3d> x;
  std::vector<std::size_t> nodes;
};
FaceGeometry faceGeometry(const FeModel& model, std::size_t element, int face,
                          const Eigen::VectorXd* u = nullptr);

// Greedy colouring: no two elements of a colour share a node, so a colour's elements add into
// global arrays in parallel without races, and every entry is summed in colour order.
std::vector<std::vector<std::size_t>> colourElements(const FeModel& model);

}  // namespace twinplan::tissue::detail
