#include "tet_elements.h"

#include <Eigen/Geometry>
#include <algorithm>

namespace twinplan::tissue::detail {
namespace {

constexpr double kA = 0.5854101966249685, kB = 0.1381966011250105;  // (5 +- 3 sqrt 5) / 20
constexpr QuadraturePoint kOnePoint[] = {{{0.25, 0.25, 0.25, 0.25}, 1.0 / 6.0}};
constexpr QuadraturePoint kFourPoint[] = {{{kA, kB, kB, kB}, 1.0 / 24.0},
                                          {{kB, kA, kB, kB}, 1.0 / 24.0},
                                          {{kB, kB, kA, kB}, 1.0 / 24.0},
                                          {{kB, kB, kB, kA}, 1.0 / 24.0}};

// d L_i / d(r, s, t) with L1 = 1 - r - s - t, L2 = r, L3 = s, L4 = t.
const Eigen::Matrix<double, 4, 3> kBarycentricGradients =
    (Eigen::Matrix<double, 4, 3>() << -1, -1, -1, 1, 0, 0, 0, 1, 0, 0, 0, 1).finished();

// The corner pair of each mid-side node 5..10 (Abaqus order).
constexpr int kEdges[6][2] = {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {1, 3}, {2, 3}};

constexpr int kFacesC3D4[4][3] = {{0, 1, 2}, {0, 3, 1}, {1, 3, 2}, {2, 3, 0}};
constexpr int kFacesC3D10[4][6] = {
    {0, 1, 2, 4, 5, 6}, {0, 3, 1, 7, 8, 4}, {1, 3, 2, 8, 9, 5}, {2, 3, 0, 9, 7, 6}};

}  // namespace

std::span<const QuadraturePoint> quadrature(ElementType type) {
  if (type == ElementType::C3D4) return kOnePoint;
  return kFourPoint;
}

ShapeGradients naturalGradients(ElementType type, const std::array<double, 4>& L) {
  if (type == ElementType::C3D4) return kBarycentricGradients;
  ShapeGradients g(10, 3);
  for (int i = 0; i < 4; ++i) g.row(i) = (4 * L[i] - 1) * kBarycentricGradients.row(i);
  for (int e = 0; e < 6; ++e) {
    const int a = kEdges[e][0], b = kEdges[e][1];
    g.row(4 + e) = 4 * (L[b] * kBarycentricGradients.row(a) + L[a] * kBarycentricGradients.row(b));
  }
  return g;
}

Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 10, 1> shapeValues(ElementType type,
                                                               const std::array<double, 4>& L) {
  Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 10, 1> n(nodesPerElement(type));
  if (type == ElementType::C3D4) {
    for (int i = 0; i < 4; ++i) n(i) = L[i];
    return n;
  }
  for (int i = 0; i < 4; ++i) n(i) = L[i] * (2 * L[i] - 1);
  for (int e = 0; e < 6; ++e) n(4 + e) = 4 * L[kEdges[e][0]] * L[kEdges[e][1]];
  return n;
}

std::array<FacePoint, 3> faceQuadrature(std::span<const Eigen::Vector3d> x) {
  static constexpr double kPoints[3][2] = {
      {1.0 / 6, 1.0 / 6}, {2.0 / 3, 1.0 / 6}, {1.0 / 6, 2.0 / 3}};
  static constexpr double kCornerGradients[3][2] = {{-1, -1}, {1, 0}, {0, 1}};
  const bool quadratic = x.size() == 6;
  std::array<FacePoint, 3> points;
  for (int q = 0; q < 3; ++q) {
    const auto& [xi, eta] = kPoints[q];
    const double l[3] = {1 - xi - eta, xi, eta};
    std::array<std::array<double, 2>, 6> dn{};
    FacePoint& point = points[static_cast<std::size_t>(q)];
    for (int c = 0; c < 3; ++c) {
      point.shape[c] = quadratic ? l[c] * (2 * l[c] - 1) : l[c];
      const double s = quadratic ? 4 * l[c] - 1 : 1;
      dn[c] = {s * kCornerGradients[c][0], s * kCornerGradients[c][1]};
    }
    for (int m = 0; m < 3 && quadratic; ++m) {
      const int a = m, b = (m + 1) % 3;
      point.shape[3 + m] = 4 * l[a] * l[b];
      dn[3 + m] = {4 * (l[b] * kCornerGradients[a][0] + l[a] * kCornerGradients[b][0]),
                   4 * (l[b] * kCornerGradients[a][1] + l[a] * kCornerGradients[b][1])};
    }
    Eigen::Vector3d dxi = Eigen::Vector3d::Zero(), deta = Eigen::Vector3d::Zero();
    for (std::size_t a = 0; a < x.size(); ++a) {
      dxi += dn[a][0] * x[a];
      deta += dn[a][1] * x[a];
    }
    point.areaVector = dxi.cross(deta) / 6.0;  // weight 1/6 per point
  }
  return points;
}

FaceGeometry faceGeometry(const FeModel& model, std::size_t element, int face,
                          const Eigen::VectorXd* u) {
  const Element& el = model.elements[element];
  FaceGeometry g;
  for (int local : faceNodes(el.type, face)) {
    const std::size_t node = el.nodes[static_cast<std::size_t>(local)];
    g.nodes.push_back(node);
    g.x.emplace_back(model.nodes[node].x_mm.data());
    if (u) g.x.back() += u->segment<3>(static_cast<Eigen::Index>(3 * node));
  }
  return g;
}

// Greedy colouring: no two elements of a colour share a node, so a colour's elements add into
// the global matrix in parallel without races, and every entry is summed in colour order.
std::vector<std::vector<std::size_t>> colourElements(const FeModel& model) {
  std::vector<std::vector<int>> coloursAtNode(model.nodes.size());
  std::vector<std::vector<std::size_t>> colours;
  std::vector<char> used;
  for (std::size_t k = 0; k < model.elements.size(); ++k) {
    used.assign(colours.size() + 1, 0);
    for (std::size_t n : model.elements[k].nodes)
      for (int c : coloursAtNode[n]) used[c] = 1;
    const auto colour =
        static_cast<std::size_t>(std::find(used.begin(), used.end(), 0) - used.begin());
    if (colour == colours.size()) colours.emplace_back();
    colours[colour].push_back(k);
    for (std::size_t n : model.elements[k].nodes)
      coloursAtNode[n].push_back(static_cast<int>(colour));
  }
  return colours;
}

std::span<const int> faceNodes(ElementType type, int face) {
  if (type == ElementType::C3D4) return kFacesC3D4[face - 1];
  return kFacesC3D10[face - 1];
}

}  // namespace twinplan::tissue::detail

namespace twinplan::tissue {
std::size_t nodesPerElement(ElementType type) { return type == ElementType::C3D4 ? 4 : 10; }
}  // namespace twinplan::tissue
