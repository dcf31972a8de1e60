#include "inp_contact.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace twinplan::tissue::inp {
namespace {

using Vec = std::array<double, 3>;

Vec minus(const Vec& a, const Vec& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double dot(const Vec& a, const Vec& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec cross(const Vec& a, const Vec& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

// The unit normal of a planar polygon by Newell's method (robust for a slightly warped quad),
// turned to point away from `inside`.
Vec outwardNormal(const MasterFace& f) {
  Vec n{0, 0, 0};
  for (std::size_t i = 0; i < f.corners.size(); ++i) {
    const Vec& a = f.corners[i];
    const Vec& b = f.corners[(i + 1) % f.corners.size()];
    n[0] += (a[1] - b[1]) * (a[2] + b[2]);
    n[1] += (a[2] - b[2]) * (a[0] + b[0]);
    n[2] += (a[0] - b[0]) * (a[1] + b[1]);
  }
  const double length = std::sqrt(dot(n, n));
  if (!(length > 0)) return {0, 0, 0};
  for (double& c : n) c /= length;
  if (dot(minus(f.elementCentroid, f.corners[0]), n) > 0)
    for (double& c : n) c = -c;
  return n;
}

// Whether q (in the triangle's plane) lies in triangle abc, with a margin of tolerance_mm.
bool inTriangle(const Vec& q, const Vec& a, const Vec& b, const Vec& c, const Vec& normal,
                double tolerance_mm) {
  const Vec corners[3] = {a, b, c};
  for (int i = 0; i < 3; ++i) {
    const Vec& p0 = corners[i];
    const Vec& p1 = corners[(i + 1) % 3];
    const Vec edge = minus(p1, p0);
    const double length = std::sqrt(dot(edge, edge));
    if (!(length > 0)) return false;
    // Signed distance of q from the edge's line, positive inside (the edge turns about normal).
    const double inside = dot(cross(edge, minus(q, p0)), normal) / length;
    const double orientation = dot(cross(edge, minus(corners[(i + 2) % 3], p0)), normal);
    if ((orientation >= 0 ? inside : -inside) < -tolerance_mm) return false;
  }
  return true;
}

}  // namespace

std::span<const int> brickFaceCorners(int face) {
  static constexpr int kFaces[6][4] = {{0, 1, 2, 3}, {4, 7, 6, 5}, {0, 4, 5, 1},
                                       {1, 5, 6, 2}, {2, 6, 7, 3}, {3, 7, 4, 0}};
  if (face < 1 || face > 6) return {};
  return kFaces[face - 1];
}

MasterPlane fitMasterPlane(const std::vector<MasterFace>& faces) {
  MasterPlane plane;
  if (faces.empty()) return plane;
  plane.point = faces.front().corners.front();
  plane.normal = outwardNormal(faces.front());
  Vec low{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
          std::numeric_limits<double>::max()};
  Vec high{-low[0], -low[1], -low[2]};
  for (const MasterFace& f : faces) {
    // Faces of one plane may still face opposite ways (a part on both sides of it).
    if (dot(outwardNormal(f), plane.normal) < 0.5) plane.sameSide = false;
    for (const Vec& x : f.corners) {
      plane.worstOffPlane_mm =
          std::max(plane.worstOffPlane_mm, std::abs(dot(minus(x, plane.point), plane.normal)));
      for (int a = 0; a < 3; ++a)
        low[a] = std::min(low[a], x[a]), high[a] = std::max(high[a], x[a]);
    }
  }
  const Vec diagonal = minus(high, low);
  plane.size_mm = std::sqrt(dot(diagonal, diagonal));
  return plane;
}

bool liesOverFaces(const Vec& p, const std::vector<MasterFace>& faces, const MasterPlane& plane,
                   double tolerance_mm) {
  const double height = dot(minus(p, plane.point), plane.normal);
  const Vec q{p[0] - height * plane.normal[0], p[1] - height * plane.normal[1],
              p[2] - height * plane.normal[2]};
  for (const MasterFace& f : faces)
    for (std::size_t i = 1; i + 1 < f.corners.size(); ++i)  // a fan of triangles
      if (inTriangle(q, f.corners[0], f.corners[i], f.corners[i + 1], plane.normal, tolerance_mm))
        return true;
  return false;
}

void removeNodes(FeModel& model, const std::vector<char>& remove) {
  constexpr std::size_t kGone = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> index(model.nodes.size(), kGone);
  std::vector<Node> kept;
  for (std::size_t n = 0; n < model.nodes.size(); ++n)
    if (!remove[n]) index[n] = kept.size(), kept.push_back(model.nodes[n]);
  model.nodes = std::move(kept);
  for (Element& e : model.elements)
    for (std::size_t& n : e.nodes) n = index[n];
  for (auto it = model.nodeSets.begin(); it != model.nodeSets.end();) {
    std::vector<std::size_t> members;
    for (std::size_t n : it->second)
      if (index[n] != kGone) members.push_back(index[n]);
    it->second = std::move(members);
    it = it->second.empty() ? model.nodeSets.erase(it) : std::next(it);
  }
  auto renumber = [&](std::vector<PrescribedDisplacement>& list) {
    std::vector<PrescribedDisplacement> out;
    for (PrescribedDisplacement p : list)
      if (index[p.node] != kGone) p.node = index[p.node], out.push_back(p);
    list = std::move(out);
  };
  renumber(model.fixedBoundaries);
  for (Step& s : model.steps) {
    renumber(s.boundaries);
    for (NodalForce& f : s.nodalForces) f.node = index[f.node];
  }
  for (RigidObstacle& o : model.obstacles) {
    for (std::size_t& n : o.nodes) n = index[n];
    for (std::size_t& n : o.initiallyActive) n = index[n];
  }
}

}  // namespace twinplan::tissue::inp
