#include "twinplan/tissue/labelmap_mesher.h"

#include <Eigen/Geometry>
#include <Eigen/LU>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <unordered_map>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::tissue {
namespace {

constexpr std::size_t kMaxMaterials = 31;  // material 0 is "not meshed"

// ---------------------------------------------------------------------------------------------
// The material of every voxel and its trilinear indicators at any point.

class MaterialField {
 public:
  MaterialField(const LabelMap& labels, const LabelMeshParameters& parameters, Progress& progress)
      : geometry_(labels.geometry()), count_(parameters.materials.size() + 1) {
    voxel_.assign(geometry_.voxelCount(), 0);
    const std::size_t sliceSize = static_cast<std::size_t>(geometry_.size[0] * geometry_.size[1]);
    parallel::parallelFor(
        {0, static_cast<std::size_t>(geometry_.size[2])}, 1,
        [&](parallel::IndexRange slices) {
          for (std::size_t m = 0; m < parameters.materials.size(); ++m)
            for (std::size_t s : parameters.materials[m].segments) {
              const Segment& segment = labels.segments()[s];
              const std::vector<std::uint16_t>& layer = labels.layer(segment.layer);
              for (std::size_t v = slices.begin * sliceSize; v < slices.end * sliceSize; ++v)
                if (layer[v] == segment.value) voxel_[v] = static_cast<std::uint8_t>(m + 1);
            }
        },
        progress, "Materials");
  }

  const ImageGeometry& geometry() const { return geometry_; }
  std::size_t materialCount() const { return count_; }
  std::uint8_t voxel(std::size_t v) const { return voxel_[v]; }

  // The trilinear interpolation of each material's indicator (voxels outside the grid are
  // material 0): the fraction of the neighbourhood each material holds.
  std::array<double, kMaxMaterials + 1> weights(const Vec3& p_lps) const {
    std::array<double, kMaxMaterials + 1> w{};
    const Vec3 ijk = geometry_.lpsToIndex(p_lps);
    std::array<std::int64_t, 3> base{};
    std::array<double, 3> f{};
    for (int d = 0; d < 3; ++d) {
      const double lower = std::floor(ijk[d]);
      base[d] = static_cast<std::int64_t>(lower);
      f[d] = ijk[d] - lower;
    }
    for (int corner = 0; corner < 8; ++corner) {
      double weight = 1;
      std::array<std::int64_t, 3> at{};
      for (int d = 0; d < 3; ++d) {
        const int up = (corner >> d) & 1;
        at[d] = base[d] + up;
        weight *= up ? f[d] : 1 - f[d];
      }
      bool inside = true;
      for (int d = 0; d < 3; ++d) inside = inside && at[d] >= 0 && at[d] < geometry_.size[d];
      w[inside ? voxel_[geometry_.linearIndex(at[0], at[1], at[2])] : 0] += weight;
    }
    return w;
  }

  // The dominant material at a point (ties: the lower number).
  std::uint8_t materialAt(const Vec3& p_lps) const {
    const auto w = weights(p_lps);
    std::size_t best = 0;
    for (std::size_t m = 1; m < count_; ++m)
      if (w[m] > w[best]) best = m;
    return static_cast<std::uint8_t>(best);
  }

  // The point of segment a-b (materials ma at a, mb at b) where both indicators are equal,
  // by bisection: the interface of partial-volume (0.5) labelling, as a fraction from a.
  double crossing(const Vec3& a, const Vec3& b, std::uint8_t ma, std::uint8_t mb) const {
    double lo = 0, hi = 1;
    for (int iteration = 0; iteration < 24; ++iteration) {
      const double mid = 0.5 * (lo + hi);
      const auto w = weights(a + mid * (b - a));
      (w[ma] > w[mb] ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
  }

 private:
  ImageGeometry geometry_;
  std::size_t count_;
  std::vector<std::uint8_t> voxel_;
};

// ---------------------------------------------------------------------------------------------
// The BCC lattice: cube corners, then cube centres.

struct Lattice {
  Vec3 origin_lps;
  double h = 1;
  std::array<std::int64_t, 3> cubes{};

  std::size_t cornerCount() const {
    return static_cast<std::size_t>((cubes[0] + 1) * (cubes[1] + 1) * (cubes[2] + 1));
  }
  std::size_t vertexCount() const {
    return cornerCount() + static_cast<std::size_t>(cubes[0] * cubes[1] * cubes[2]);
  }
  std::size_t corner(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return static_cast<std::size_t>(i + (cubes[0] + 1) * (j + (cubes[1] + 1) * k));
  }
  std::size_t centre(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return cornerCount() + static_cast<std::size_t>(i + cubes[0] * (j + cubes[1] * k));
  }
  // Lattice coordinates in half cube edges (corners even, centres odd).
  std::array<std::int64_t, 3> halfSteps(std::size_t v) const {
    if (v < cornerCount()) {
      const auto n0 = cubes[0] + 1, n1 = cubes[1] + 1;
      const auto i = static_cast<std::int64_t>(v);
      return {2 * (i % n0), 2 * ((i / n0) % n1), 2 * (i / (n0 * n1))};
    }
    const auto i = static_cast<std::int64_t>(v - cornerCount());
    return {2 * (i % cubes[0]) + 1, 2 * ((i / cubes[0]) % cubes[1]) + 1,
            2 * (i / (cubes[0] * cubes[1])) + 1};
  }
  std::optional<std::size_t> vertexAt(const std::array<std::int64_t, 3>& s) const {
    const bool odd = s[0] & 1;
    for (int d = 0; d < 3; ++d) {
      if (((s[d] & 1) != 0) != odd || s[d] < 0) return std::nullopt;
      if (s[d] > 2 * cubes[d] - (odd ? 1 : 0)) return std::nullopt;
    }
    return odd ? centre(s[0] / 2, s[1] / 2, s[2] / 2) : corner(s[0] / 2, s[1] / 2, s[2] / 2);
  }
  Vec3 position(std::size_t v) const {
    const auto s = halfSteps(v);
    return origin_lps + 0.5 * h *
                            Vec3(static_cast<double>(s[0]), static_cast<double>(s[1]),
                                 static_cast<double>(s[2]));
  }
  // The 14 neighbours: 6 along the axes (long edges, length h), 8 diagonal (short edges).
  template <class Visit>
  void forEachNeighbour(std::size_t v, Visit&& visit) const {
    const auto s = halfSteps(v);
    for (int d = 0; d < 3; ++d)
      for (int sign : {-2, 2}) {
        auto t = s;
        t[d] += sign;
        if (const auto u = vertexAt(t)) visit(*u, true);
      }
    for (int c = 0; c < 8; ++c) {
      auto t = s;
      for (int d = 0; d < 3; ++d) t[d] += ((c >> d) & 1) ? 1 : -1;
      if (const auto u = vertexAt(t)) visit(*u, false);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Points of the mesh, named so that both tetrahedra on a face name them alike.

struct PointKey {
  std::uint8_t kind = 0;  // 0 lattice vertex (a), 1 cut point of edge a<b, 2 face point
                          // a<b<c, 3 centroid of lattice tetrahedron a, 4 centre of the
                          // part of material b of lattice tetrahedron a
  std::uint64_t a = 0, b = 0, c = 0;
  auto operator<=>(const PointKey&) const = default;
};

struct PointKeyHash {
  std::size_t operator()(const PointKey& k) const {
    std::uint64_t h = k.kind;
    for (std::uint64_t x : {k.a, k.b, k.c}) h = (h ^ x) * 0x9E3779B97F4A7C15ull + (h >> 29);
    return static_cast<std::size_t>(h);
  }
};

struct Point {
  PointKey key;
  Vec3 x;
};
using Polygon = std::vector<Point>;

struct SubTet {
  std::array<PointKey, 4> corners;
  std::uint8_t material = 0;
};

struct ChunkMesh {
  std::vector<SubTet> tets;
  std::vector<Point> points;  // the positions of the points that are not lattice vertices
  std::size_t latticeTets = 0, multiMaterial = 0;
};

double signedVolume(const Vec3& a, const Vec3& b, const Vec3& c, const Vec3& d) {
  return (b - a).dot((c - a).cross(d - a)) / 6.0;
}

// The smallest of the six dihedral angles of a tetrahedron.
double smallestDihedral_deg(const std::array<Vec3, 4>& x) {
  static constexpr int kEdges[6][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 1, 2},
                                       {1, 2, 0, 3}, {1, 3, 0, 2}, {2, 3, 0, 1}};
  double smallest = 180;
  for (const auto& edge : kEdges) {
    const Vec3 axis = (x[edge[1]] - x[edge[0]]).normalized();
    Vec3 u = x[edge[2]] - x[edge[0]], v = x[edge[3]] - x[edge[0]];
    u -= u.dot(axis) * axis, v -= v.dot(axis) * axis;
    smallest = std::min(
        smallest, std::acos(std::clamp(u.dot(v) / (u.norm() * v.norm()), -1.0, 1.0)) * 180 / M_PI);
  }
  return smallest;
}

double radiusRatio(const std::array<Vec3, 4>& x) {
  const Vec3 a = x[1] - x[0], b = x[2] - x[0], c = x[3] - x[0];
  double area = 0;
  static constexpr int kFaces[4][3] = {{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}};
  for (const auto& f : kFaces) area += 0.5 * (x[f[1]] - x[f[0]]).cross(x[f[2]] - x[f[0]]).norm();
  const double v6 = std::abs(a.dot(b.cross(c)));
  if (v6 <= 0) return 0;
  const Vec3 centre =
      (a.squaredNorm() * b.cross(c) + b.squaredNorm() * c.cross(a) + c.squaredNorm() * a.cross(b)) /
      (2 * a.dot(b.cross(c)));
  return 3 * (v6 / (2 * area)) / centre.norm();
}

// 1 for a regular tetrahedron, towards 0 for a flat one: the smaller of its radius ratio and
// its smallest dihedral angle over the regular one's (70.53 deg).
double shapeScore(const std::array<Vec3, 4>& x) {
  return std::min(radiusRatio(x), smallestDihedral_deg(x) / 70.528779);
}

// A two-material part whose cone from its first point makes a tetrahedron scoring below this is
// also tried coned from its centre (the better is kept).
constexpr double kSteinerBelow = 0.35;

struct LatticeState {
  const Lattice& lattice;
  const MaterialField& field;
  std::vector<std::uint8_t> material;  // per lattice vertex
  std::vector<std::uint8_t> warped;    // per lattice vertex
  std::vector<Vec3> position;          // per lattice vertex, after warping
};

// One lattice tetrahedron split into material parts (see the header).
class TetSplitter {
 public:
  TetSplitter(const LatticeState& state, std::size_t tetIndex, const std::array<std::size_t, 4>& v)
      : state_(state), tetIndex_(tetIndex), v_(v) {
    for (int i = 0; i < 4; ++i) {
      m_[i] = state.material[v[i]];
      w_[i] = state.warped[v[i]] != 0;
      p_[i] = state.position[v[i]];
    }
  }

  void split(ChunkMesh& out) {
    std::array<bool, kMaxMaterials + 1> present{};
    int kinds = 0;
    for (int i = 0; i < 4; ++i)
      if (!w_[i] && !present[m_[i]]) present[m_[i]] = true, ++kinds;
    if (kinds <= 1) return whole(out);
    if (kinds == 2 && twoMaterials(out)) return;
    ++out.multiMaterial;
    coneFromCentroid(out);
  }

 private:
  // Outward faces of a positively oriented tetrahedron 0123.
  static constexpr int kFaces[4][3] = {{0, 2, 1}, {0, 1, 3}, {1, 2, 3}, {0, 3, 2}};

  bool cut(int a, int b) const { return !w_[a] && !w_[b] && m_[a] != m_[b]; }
  Point vertex(int a) const { return {{0, v_[a], 0, 0}, p_[a]}; }
  Point cutPoint(int a, int b) const {
    if (v_[a] > v_[b]) std::swap(a, b);
    const Vec3 pa = state_.lattice.position(v_[a]), pb = state_.lattice.position(v_[b]);
    const double t = state_.field.crossing(pa, pb, m_[a], m_[b]);
    return {{1, v_[a], v_[b], 0}, pa + t * (pb - pa)};
  }

  void whole(ChunkMesh& out) {
    std::uint8_t material = 0;
    bool found = false;
    for (int i = 0; i < 4; ++i)
      if (!w_[i]) material = m_[i], found = true;
    if (!found) material = state_.field.materialAt(0.25 * (p_[0] + p_[1] + p_[2] + p_[3]));
    if (material == 0) return;
    ++out.latticeTets;
    out.tets.push_back({{vertex(0).key, vertex(1).key, vertex(2).key, vertex(3).key}, material});
  }

  // The part of face f (outward) that material m holds: its vertices of m, its warped vertices
  // and its cut points next to m, in order around the face.
  Polygon facePart(int f, std::uint8_t m) const {
    Polygon polygon;
    for (int i = 0; i < 3; ++i) {
      const int x = kFaces[f][i], y = kFaces[f][(i + 1) % 3];
      if (w_[x] || m_[x] == m) polygon.push_back(vertex(x));
      if (cut(x, y) && (m_[x] == m || m_[y] == m)) polygon.push_back(cutPoint(x, y));
    }
    return polygon;
  }

  // Fan triangles of a polygon from its first point in the global order.
  static std::vector<std::array<Point, 3>> fan(const Polygon& polygon) {
    const auto first =
        std::min_element(polygon.begin(), polygon.end(),
                         [](const Point& a, const Point& b) { return a.key < b.key; });
    const std::size_t s = static_cast<std::size_t>(first - polygon.begin()), n = polygon.size();
    std::vector<std::array<Point, 3>> triangles;
    for (std::size_t i = 1; i + 1 < n; ++i)
      triangles.push_back({polygon[s], polygon[(s + i) % n], polygon[(s + i + 1) % n]});
    return triangles;
  }

  // Tetrahedra of a polyhedron given by its outward faces, coned from `apex`; not valid when
  // one would be flat or inverted (the polyhedron is not convex as seen from the apex).
  struct Coning {
    std::vector<SubTet> tets;
    std::vector<Point> points;
    double worstShape = 1;  // shapeScore of its worst tetrahedron
    bool valid = true;
  };
  static Coning cone(const std::vector<Polygon>& faces, const Point& apex, std::uint8_t material,
                     double minimumVolume) {
    Coning c;
    for (const Polygon& face : faces) {
      for (const Point& q : face)
        if (q.key.kind != 0) c.points.push_back(q);
      if (std::any_of(face.begin(), face.end(), [&](const Point& q) { return q.key == apex.key; }))
        continue;
      for (const auto& t : fan(face)) {
        if (signedVolume(t[0].x, t[2].x, t[1].x, apex.x) <= minimumVolume) c.valid = false;
        c.worstShape = std::min(c.worstShape, shapeScore({t[0].x, t[2].x, t[1].x, apex.x}));
        c.tets.push_back({{t[0].key, t[2].key, t[1].key, apex.key}, material});
      }
    }
    if (apex.key.kind != 0) c.points.push_back(apex);
    return c;
  }

  // Two materials: each part is the hull of its vertices, the cut points and the warped
  // vertices, bounded by its shares of the four faces and by the interface polygon.
  bool twoMaterials(ChunkMesh& out) const {
    std::array<std::uint8_t, 2> materials{};
    int found = 0;
    for (int i = 0; i < 4; ++i)
      if (!w_[i] && (found == 0 || m_[i] != materials[0]) && found < 2) materials[found++] = m_[i];
    const Polygon interfaceA = interfacePolygon(materials[0], materials[1]);
    std::vector<SubTet> tets;
    std::vector<Point> points;
    const double minimumVolume = 1e-9 * std::pow(state_.lattice.h, 3);
    for (int side = 0; side < 2; ++side) {
      const std::uint8_t m = materials[side];
      if (m == 0) continue;
      std::vector<Polygon> faces;
      for (int f = 0; f < 4; ++f) {
        Polygon part = facePart(f, m);
        if (part.size() >= 3) faces.push_back(std::move(part));
      }
      Polygon boundary = interfaceA;
      if (side == 1) std::reverse(boundary.begin(), boundary.end());
      faces.push_back(boundary);
      Point apex = faces.front().front();
      std::vector<PointKey> seen;
      Vec3 centre = Vec3::Zero();
      for (const Polygon& face : faces)
        for (const Point& q : face) {
          if (q.key < apex.key) apex = q;
          if (std::find(seen.begin(), seen.end(), q.key) == seen.end())
            seen.push_back(q.key), centre += q.x;
        }
      // Coned from its first point the part needs no new point; where that makes a poor
      // tetrahedron (the apex nearly in the plane of a face), a point at the part's centre
      // may do better. Both split the part's faces alike, so either keeps the mesh conforming.
      Coning best = cone(faces, apex, m, minimumVolume);
      if (!best.valid || best.worstShape < kSteinerBelow) {
        const Point steiner{{4, tetIndex_, m, 0}, centre / static_cast<double>(seen.size())};
        Coning centred = cone(faces, steiner, m, minimumVolume);
        if (centred.valid && (!best.valid || centred.worstShape > best.worstShape))
          best = std::move(centred);
      }
      if (!best.valid) return false;
      tets.insert(tets.end(), best.tets.begin(), best.tets.end());
      points.insert(points.end(), best.points.begin(), best.points.end());
    }
    ++out.latticeTets;
    out.tets.insert(out.tets.end(), tets.begin(), tets.end());
    out.points.insert(out.points.end(), points.begin(), points.end());
    return true;
  }

  // The cut points and warped vertices between materials a and b, oriented out of a.
  Polygon interfacePolygon(std::uint8_t a, std::uint8_t b) const {
    Polygon polygon;
    std::array<int, 2> ofA{}, ofB{};
    int na = 0, nb = 0;
    for (int i = 0; i < 4; ++i) {
      if (w_[i]) {
        polygon.push_back(vertex(i));
      } else if (m_[i] == a) {
        ofA[std::min(na++, 1)] = i;
      } else {
        ofB[std::min(nb++, 1)] = i;
      }
    }
    if (na == 2 && nb == 2) {  // a quadrilateral, in order around it
      polygon = {cutPoint(ofA[0], ofB[0]), cutPoint(ofA[0], ofB[1]), cutPoint(ofA[1], ofB[1]),
                 cutPoint(ofA[1], ofB[0])};
    } else {
      for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j)
          if (cut(i, j)) polygon.push_back(cutPoint(i, j));
    }
    Vec3 normal = Vec3::Zero(), centre = Vec3::Zero(), towardB = Vec3::Zero();
    for (std::size_t i = 0; i < polygon.size(); ++i) {
      normal += polygon[i].x.cross(polygon[(i + 1) % polygon.size()].x);
      centre += polygon[i].x / static_cast<double>(polygon.size());
    }
    for (int i = 0; i < 4; ++i)
      if (!w_[i] && m_[i] == b) towardB += p_[i] - centre;
    if (normal.dot(towardB) < 0) std::reverse(polygon.begin(), polygon.end());
    return polygon;
  }

  static void append(const Coning& c, ChunkMesh& out) {
    out.tets.insert(out.tets.end(), c.tets.begin(), c.tets.end());
    out.points.insert(out.points.end(), c.points.begin(), c.points.end());
  }

  // Three or more materials (or a two-material part that is not convex): every face split by
  // its own rule, each piece coned to the tetrahedron's centroid with the piece's material.
  void coneFromCentroid(ChunkMesh& out) const {
    ++out.latticeTets;
    const Point centroid{{3, tetIndex_, 0, 0}, 0.25 * (p_[0] + p_[1] + p_[2] + p_[3])};
    const double minimumVolume = -1e300;  // keep every piece; inverted ones are reported
    for (int f = 0; f < 4; ++f) {
      std::vector<std::uint8_t> materials;
      for (int i = 0; i < 3; ++i) {
        const int x = kFaces[f][i];
        if (!w_[x] && std::find(materials.begin(), materials.end(), m_[x]) == materials.end())
          materials.push_back(m_[x]);
      }
      if (materials.size() == 3) {
        std::array<std::size_t, 3> ids{v_[kFaces[f][0]], v_[kFaces[f][1]], v_[kFaces[f][2]]};
        std::sort(ids.begin(), ids.end());
        const Point facePoint{{2, ids[0], ids[1], ids[2]},
                              (p_[kFaces[f][0]] + p_[kFaces[f][1]] + p_[kFaces[f][2]]) / 3.0};
        for (int i = 0; i < 3; ++i) {
          const int x = kFaces[f][i], y = kFaces[f][(i + 1) % 3], z = kFaces[f][(i + 2) % 3];
          if (m_[x] == 0) continue;
          const Polygon corner{vertex(x), cutPoint(x, y), facePoint, cutPoint(z, x)};
          append(cone({corner}, centroid, m_[x], minimumVolume), out);
        }
        continue;
      }
      if (materials.empty())  // three warped vertices: the face is one piece
        materials.push_back(state_.field.materialAt(
            (p_[kFaces[f][0]] + p_[kFaces[f][1]] + p_[kFaces[f][2]]) / 3.0));
      for (std::uint8_t m : materials)
        if (m != 0) append(cone({facePart(f, m)}, centroid, m, minimumVolume), out);
    }
    out.points.push_back(centroid);
  }

  const LatticeState& state_;
  std::size_t tetIndex_;
  std::array<std::size_t, 4> v_;
  std::array<std::uint8_t, 4> m_{};
  std::array<bool, 4> w_{};
  std::array<Vec3, 4> p_;
};

// ---------------------------------------------------------------------------------------------

std::string millimetres(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (char& c : s)
    if (c == ' ' || c == ',' || c == '=') c = '_';
  return s;
}

// The voxel box of the meshed materials in LPS, widened by one lattice cube.
Lattice latticeOver(const MaterialField& field, double h, Progress& progress) {
  const ImageGeometry& g = field.geometry();
  using Box = std::array<std::int64_t, 6>;
  const Box empty{g.size[0], g.size[1], g.size[2], -1, -1, -1};
  const Box box = parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 4, empty,
      [&](parallel::IndexRange slices) {
        Box b = empty;
        for (auto k = static_cast<std::int64_t>(slices.begin);
             k < static_cast<std::int64_t>(slices.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j)
            for (std::int64_t i = 0; i < g.size[0]; ++i)
              if (field.voxel(g.linearIndex(i, j, k)) != 0) {
                const std::array<std::int64_t, 3> at{i, j, k};
                for (int d = 0; d < 3; ++d)
                  b[d] = std::min(b[d], at[d]), b[3 + d] = std::max(b[3 + d], at[d]);
              }
        return b;
      },
      [](Box a, const Box& b) {
        for (int d = 0; d < 3; ++d)
          a[d] = std::min(a[d], b[d]), a[3 + d] = std::max(a[3 + d], b[3 + d]);
        return a;
      },
      progress, "Extent");
  if (box[3] < 0)
    throw Error(ErrorKind::InvalidInput,
                "The segments chosen for the mesh hold no voxels; segment them first.", "segments");
  Vec3 low = Vec3::Constant(1e300), high = Vec3::Constant(-1e300);
  for (int c = 0; c < 8; ++c) {
    Vec3 ijk;
    for (int d = 0; d < 3; ++d)
      ijk[d] =
          static_cast<double>(((c >> d) & 1) ? box[3 + d] : box[d]) + (((c >> d) & 1) ? 0.5 : -0.5);
    const Vec3 p = g.indexToLps(ijk);
    low = low.cwiseMin(p), high = high.cwiseMax(p);
  }
  Lattice lattice;
  lattice.h = h;
  lattice.origin_lps = low - Vec3::Constant(h);
  for (int d = 0; d < 3; ++d)
    lattice.cubes[d] = static_cast<std::int64_t>(std::ceil((high[d] - low[d]) / h)) + 2;
  return lattice;
}

// Vertex materials, then warps (all at once, from the cut points of the unwarped lattice).
LatticeState classifyAndWarp(const Lattice& lattice, const MaterialField& field,
                             const LabelMeshParameters& parameters, Progress& progress) {
  LatticeState state{lattice, field, {}, {}, {}};
  const std::size_t n = lattice.vertexCount();
  state.material.resize(n);
  state.warped.assign(n, 0);
  state.position.resize(n);
  parallel::parallelFor(
      {0, n}, 4096,
      [&](parallel::IndexRange r) {
        for (std::size_t v = r.begin; v < r.end; ++v) {
          state.position[v] = lattice.position(v);
          state.material[v] = field.materialAt(state.position[v]);
        }
      },
      *subRange(progress, 0, 0.5), "Lattice");
  parallel::parallelFor(
      {0, n}, 4096,
      [&](parallel::IndexRange r) {
        for (std::size_t v = r.begin; v < r.end; ++v) {
          double nearest = 1e300;
          Vec3 target = Vec3::Zero();
          lattice.forEachNeighbour(v, [&](std::size_t u, bool longEdge) {
            if (state.material[u] == state.material[v]) return;
            const std::size_t a = std::min(u, v), b = std::max(u, v);
            const Vec3 pa = lattice.position(a), pb = lattice.position(b);
            const double t = field.crossing(pa, pb, state.material[a], state.material[b]);
            const double fromV = v == a ? t : 1 - t;
            const double alpha = longEdge ? parameters.warpLongEdge : parameters.warpShortEdge;
            const double distance = fromV * (pb - pa).norm();
            if (fromV < alpha && distance < nearest)
              nearest = distance, target = pa + t * (pb - pa);
          });
          if (nearest < 1e300) state.warped[v] = 1, state.position[v] = target;
        }
      },
      *subRange(progress, 0.5, 1), "Warping");
  return state;
}

// The lattice tetrahedra of the cubes of one slab: around each face shared by two cube centres,
// four tetrahedra (two centres, two neighbouring corners of the face).
void splitSlab(const LatticeState& state, std::int64_t k, ChunkMesh& out) {
  const Lattice& L = state.lattice;
  for (std::int64_t j = 0; j < L.cubes[1]; ++j)
    for (std::int64_t i = 0; i < L.cubes[0]; ++i)
      for (int d = 0; d < 3; ++d) {
        std::array<std::int64_t, 3> cube{i, j, k}, next = cube;
        if (++next[d] >= L.cubes[d]) continue;
        const int d1 = (d + 1) % 3, d2 = (d + 2) % 3;
        std::array<std::size_t, 4> square{};
        for (int q = 0; q < 4; ++q) {
          std::array<std::int64_t, 3> c = next;
          c[d1] += (q == 1 || q == 2) ? 1 : 0;
          c[d2] += (q >= 2) ? 1 : 0;
          square[q] = L.corner(c[0], c[1], c[2]);
        }
        const std::size_t c0 = L.centre(i, j, k), c1 = L.centre(next[0], next[1], next[2]);
        bool anyMaterial = state.material[c0] || state.material[c1];
        for (std::size_t q : square) anyMaterial = anyMaterial || state.material[q];
        if (!anyMaterial) continue;
        const std::size_t cubeIndex =
            static_cast<std::size_t>(i + L.cubes[0] * (j + L.cubes[1] * k));
        for (int q = 0; q < 4; ++q) {
          std::array<std::size_t, 4> v{c0, c1, square[q], square[(q + 1) % 4]};
          if (signedVolume(L.position(v[0]), L.position(v[1]), L.position(v[2]), L.position(v[3])) <
              0)
            std::swap(v[2], v[3]);
          TetSplitter(
              state,
              (cubeIndex * 3 + static_cast<std::size_t>(d)) * 4 + static_cast<std::size_t>(q), v)
              .split(out);
        }
      }
}

// Numbers the points in order of first use and builds the model.
void assemble(const std::vector<ChunkMesh>& chunks, const LatticeState& state,
              const LabelMeshParameters& parameters, LabelMesh& mesh, Progress& progress) {
  FeModel& model = mesh.model;
  std::unordered_map<PointKey, Vec3, PointKeyHash> positions;
  for (const ChunkMesh& chunk : chunks)
    for (const Point& p : chunk.points) positions.emplace(p.key, p.x);
  std::unordered_map<PointKey, std::size_t, PointKeyHash> index;
  for (const MeshMaterial& m : parameters.materials) {
    Material material;
    material.name = upper(m.name);
    model.materials.push_back(material);
  }
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    if (c % 16 == 0) progress.check();
    for (const SubTet& t : chunks[c].tets) {
      Element e;
      e.id = static_cast<int>(model.elements.size() + 1);
      e.material = t.material - 1;
      for (const PointKey& key : t.corners) {
        auto [it, added] = index.emplace(key, model.nodes.size());
        if (added) {
          const Vec3 x = key.kind == 0 ? state.position[key.a] : positions.at(key);
          model.nodes.push_back({static_cast<int>(model.nodes.size() + 1), {x[0], x[1], x[2]}});
        }
        e.nodes.push_back(it->second);
      }
      model.elements.push_back(std::move(e));
    }
    mesh.latticeTetrahedra += chunks[c].latticeTets;
    mesh.multiMaterialTetrahedra += chunks[c].multiMaterial;
  }
  if (model.elements.empty())
    throw Error(
        ErrorKind::InvalidInput,
        "The segments chosen for the mesh are smaller than one lattice cell; choose a finer "
        "--resolution.",
        "resolution_mm");
}

// Mid-side nodes on straight edges, Abaqus' C3D10 order (fe_model.h).
void addMidsideNodes(FeModel& model) {
  static constexpr int kEdges[6][2] = {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {1, 3}, {2, 3}};
  std::unordered_map<std::uint64_t, std::size_t> midside;
  for (Element& e : model.elements) {
    e.type = ElementType::C3D10;
    std::array<std::size_t, 4> corners{e.nodes[0], e.nodes[1], e.nodes[2], e.nodes[3]};
    for (const auto& edge : kEdges) {
      const std::size_t a = corners[edge[0]], b = corners[edge[1]];
      const std::uint64_t key = (static_cast<std::uint64_t>(std::min(a, b)) << 32) | std::max(a, b);
      auto [it, added] = midside.emplace(key, model.nodes.size());
      if (added) {
        Node n;
        n.id = static_cast<int>(model.nodes.size() + 1);
        for (int d = 0; d < 3; ++d)
          n.x_mm[d] = 0.5 * (model.nodes[a].x_mm[d] + model.nodes[b].x_mm[d]);
        model.nodes.push_back(n);
      }
      e.nodes.push_back(it->second);
    }
  }
}

// Faces used by one element only; their nodes are the outer surface.
void addSets(LabelMesh& mesh) {
  FeModel& model = mesh.model;
  std::vector<std::array<std::size_t, 3>> faces;
  faces.reserve(model.elements.size() * 4);
  static constexpr int kFaceCorners[4][3] = {{0, 1, 2}, {0, 1, 3}, {1, 2, 3}, {0, 2, 3}};
  for (const Element& e : model.elements)
    for (const auto& f : kFaceCorners) {
      std::array<std::size_t, 3> face{e.nodes[f[0]], e.nodes[f[1]], e.nodes[f[2]]};
      std::sort(face.begin(), face.end());
      faces.push_back(face);
    }
  std::sort(faces.begin(), faces.end());
  std::vector<std::size_t> surface;
  for (std::size_t i = 0; i < faces.size();) {
    std::size_t j = i;
    while (j < faces.size() && faces[j] == faces[i]) ++j;
    if (j - i == 1) surface.insert(surface.end(), faces[i].begin(), faces[i].end());
    i = j;
  }
  // C3D10: the mid-side nodes of the surface's edges too.
  if (!model.elements.empty() && model.elements[0].type == ElementType::C3D10) {
    std::vector<std::size_t> corners = surface;
    std::sort(corners.begin(), corners.end());
    for (const Element& e : model.elements) {
      static constexpr int kEdges[6][2] = {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {1, 3}, {2, 3}};
      for (int k = 0; k < 6; ++k)
        if (std::binary_search(corners.begin(), corners.end(), e.nodes[kEdges[k][0]]) &&
            std::binary_search(corners.begin(), corners.end(), e.nodes[kEdges[k][1]]))
          surface.push_back(e.nodes[4 + k]);
    }
  }
  std::sort(surface.begin(), surface.end());
  surface.erase(std::unique(surface.begin(), surface.end()), surface.end());
  model.nodeSets["SURFACE"] = std::move(surface);
  std::vector<std::size_t>& all = model.nodeSets["NALL"];
  for (std::size_t n = 0; n < model.nodes.size(); ++n) all.push_back(n);
  std::vector<std::size_t>& everything = model.elementSets["EALL"];
  for (std::size_t e = 0; e < model.elements.size(); ++e) {
    everything.push_back(e);
    model.elementSets[model.materials[static_cast<std::size_t>(model.elements[e].material)].name]
        .push_back(e);
  }
}

double tetVolume(const FeModel& model, const Element& e) {
  const auto x = [&](int i) {
    const auto& p = model.nodes[e.nodes[static_cast<std::size_t>(i)]].x_mm;
    return Vec3(p[0], p[1], p[2]);
  };
  return signedVolume(x(0), x(1), x(2), x(3));
}

}  // namespace

void LabelMeshParameters::validate(const LabelMap& labels) const {
  if (materials.empty())
    throw Error(ErrorKind::InvalidInput, "Name at least one segment to mesh.", "materials");
  if (materials.size() > kMaxMaterials)
    throw Error(ErrorKind::InvalidInput,
                "A mesh holds at most 31 materials; group segments into fewer materials.",
                "materials");
  for (const MeshMaterial& m : materials) {
    if (m.name.empty() || m.segments.empty())
      throw Error(ErrorKind::InvalidInput,
                  "Every mesh material needs a name and at least one segment.", "materials");
    for (std::size_t s : m.segments)
      if (s >= labels.segments().size())
        throw Error(ErrorKind::InvalidInput,
                    "Material " + m.name + " names segment " + std::to_string(s) +
                        ", but the labelmap has " + std::to_string(labels.segments().size()) +
                        " segments.",
                    "materials");
  }
  if (!(resolution_mm > 0 && resolution_mm <= 1000))
    throw Error(ErrorKind::InvalidInput,
                "The mesh resolution must be a lattice spacing in (0, 1000] mm.", "resolution_mm");
  for (double alpha : {warpLongEdge, warpShortEdge})
    if (!(alpha >= 0 && alpha < 0.5))
      throw Error(ErrorKind::InvalidInput,
                  "Warp fractions must lie in [0, 0.5) of an edge (Labelle & Shewchuk 2007 use "
                  "0.24999 and 0.41189).",
                  "warp");
}

LabelMesh meshLabelMap(const LabelMap& labels, const LabelMeshParameters& parameters,
                       Progress& progress) {
  parameters.validate(labels);
  const MaterialField field(labels, parameters, *subRange(progress, 0, 0.05));
  const Lattice lattice =
      latticeOver(field, parameters.resolution_mm, *subRange(progress, 0.05, 0.1));
  const double cubes = static_cast<double>(lattice.cubes[0]) *
                       static_cast<double>(lattice.cubes[1]) *
                       static_cast<double>(lattice.cubes[2]);
  if (cubes > 5e7)
    throw Error(ErrorKind::InvalidInput,
                "A " + millimetres(parameters.resolution_mm) +
                    " mm lattice over these segments would have " +
                    std::to_string(static_cast<long long>(cubes)) +
                    " cubes (at most 50 million); choose a coarser resolution.",
                "resolution_mm");
  LatticeState state = classifyAndWarp(lattice, field, parameters, *subRange(progress, 0.1, 0.4));

  std::vector<ChunkMesh> chunks(static_cast<std::size_t>(lattice.cubes[2]));
  parallel::forEachChunk(
      {0, chunks.size()}, {1, "Tetrahedra", {}},
      [&](parallel::IndexRange r, Progress&) {
        for (std::size_t k = r.begin; k < r.end; ++k)
          splitSlab(state, static_cast<std::int64_t>(k), chunks[k]);
      },
      *subRange(progress, 0.4, 0.8));

  LabelMesh mesh;
  mesh.model.name = labels.name.empty() ? "labelmap mesh" : labels.name + " mesh";
  for (std::uint8_t w : state.warped) mesh.warpedVertices += w;
  assemble(chunks, state, parameters, mesh, *subRange(progress, 0.8, 0.9));
  chunks.clear();
  if (parameters.elementType == ElementType::C3D10) addMidsideNodes(mesh.model);
  addSets(mesh);
  progress.check();

  const ImageGeometry& g = labels.geometry();
  const double voxel_mm3 = g.spacing_mm.prod() * std::abs(g.direction.determinant());
  std::vector<std::size_t> voxels(parameters.materials.size() + 1, 0);
  for (std::size_t v = 0; v < g.voxelCount(); ++v) ++voxels[field.voxel(v)];
  for (std::size_t m = 0; m < parameters.materials.size(); ++m)
    mesh.materials.push_back(
        {parameters.materials[m].name, 0, 0, static_cast<double>(voxels[m + 1]) * voxel_mm3});
  for (const Element& e : mesh.model.elements) {
    MaterialMeshSummary& s = mesh.materials[static_cast<std::size_t>(e.material)];
    ++s.elements;
    s.meshVolume_mm3 += tetVolume(mesh.model, e);
  }
  mesh.quality = meshQuality(mesh.model);
  progress.report(1, "Mesh");
  return mesh;
}

TetMesh caseTetMesh(const LabelMesh& mesh, std::string name) {
  TetMesh out;
  out.name = std::move(name);
  for (const MaterialMeshSummary& m : mesh.materials) out.materialNames.push_back(m.name);
  std::vector<std::uint32_t> corner(mesh.model.nodes.size(), UINT32_MAX);
  for (const Element& e : mesh.model.elements) {
    std::array<std::uint32_t, 4> tet{};
    for (std::size_t c = 0; c < 4; ++c) {
      std::uint32_t& index = corner[e.nodes[c]];
      if (index == UINT32_MAX) {
        index = static_cast<std::uint32_t>(out.points_lps.size());
        out.points_lps.push_back(mesh.model.nodes[e.nodes[c]].x_mm);
      }
      tet[c] = index;
    }
    out.tets.push_back(tet);
    out.materials.push_back(e.material);
  }
  return out;
}

MeshQuality meshQuality(const FeModel& model) {
  struct Partial {
    double minDihedral = 180, maxDihedral = 0, minRatio = 1e300, sumRatio = 0;
    std::size_t inverted = 0, below10 = 0, below20 = 0;
  };
  static constexpr int kEdges[6][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 1, 2},
                                       {1, 2, 0, 3}, {1, 3, 0, 2}, {2, 3, 0, 1}};
  const Partial total = parallel::parallelReduce(
      {0, model.elements.size()}, 4096, Partial{},
      [&](parallel::IndexRange r) {
        Partial p;
        for (std::size_t e = r.begin; e < r.end; ++e) {
          const Element& el = model.elements[e];
          std::array<Vec3, 4> x;
          for (int i = 0; i < 4; ++i) {
            const auto& q = model.nodes[el.nodes[static_cast<std::size_t>(i)]].x_mm;
            x[static_cast<std::size_t>(i)] = Vec3(q[0], q[1], q[2]);
          }
          const double volume = signedVolume(x[0], x[1], x[2], x[3]);
          if (volume <= 0) ++p.inverted;
          double smallest = 180;
          for (const auto& edge : kEdges) {
            const Vec3 axis = (x[edge[1]] - x[edge[0]]).normalized();
            Vec3 u = x[edge[2]] - x[edge[0]], v = x[edge[3]] - x[edge[0]];
            u -= u.dot(axis) * axis, v -= v.dot(axis) * axis;
            const double angle =
                std::acos(std::clamp(u.dot(v) / (u.norm() * v.norm()), -1.0, 1.0)) * 180 / M_PI;
            smallest = std::min(smallest, angle);
            p.maxDihedral = std::max(p.maxDihedral, angle);
          }
          p.minDihedral = std::min(p.minDihedral, smallest);
          p.below10 += smallest < 10;
          p.below20 += smallest < 20;
          // Inradius 3V / area; circumradius from the edges at x0 (|a|^2 b x c + ...) / 12V.
          const Vec3 a = x[1] - x[0], b = x[2] - x[0], c = x[3] - x[0];
          double area = 0;
          static constexpr int kFaces[4][3] = {{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}};
          for (const auto& f : kFaces)
            area += 0.5 * (x[f[1]] - x[f[0]]).cross(x[f[2]] - x[f[0]]).norm();
          const double v6 = std::abs(6 * volume);
          const double inradius = v6 / (2 * area);
          const Vec3 centre = (a.squaredNorm() * b.cross(c) + b.squaredNorm() * c.cross(a) +
                               c.squaredNorm() * a.cross(b)) /
                              (2 * a.dot(b.cross(c)));
          const double ratio = v6 > 0 ? 3 * inradius / centre.norm() : 0;
          p.minRatio = std::min(p.minRatio, ratio);
          p.sumRatio += ratio;
        }
        return p;
      },
      [](Partial a, const Partial& b) {
        a.minDihedral = std::min(a.minDihedral, b.minDihedral);
        a.maxDihedral = std::max(a.maxDihedral, b.maxDihedral);
        a.minRatio = std::min(a.minRatio, b.minRatio);
        a.sumRatio += b.sumRatio;
        a.inverted += b.inverted, a.below10 += b.below10, a.below20 += b.below20;
        return a;
      });
  MeshQuality q;
  q.elements = model.elements.size();
  q.nodes = model.nodes.size();
  q.minDihedral_deg = total.minDihedral;
  q.maxDihedral_deg = total.maxDihedral;
  q.minRadiusRatio = q.elements ? total.minRatio : 0;
  q.meanRadiusRatio = q.elements ? total.sumRatio / static_cast<double>(q.elements) : 0;
  q.invertedElements = total.inverted;
  q.dihedralBelow10 = total.below10;
  q.dihedralBelow20 = total.below20;
  return q;
}

std::string meshDeck(const FeModel& model) {
  std::string deck = "*NODE, NSET=NALL\n";
  char line[160];
  for (const Node& n : model.nodes) {
    std::snprintf(line, sizeof line, "%d, %.10g, %.10g, %.10g\n", n.id, n.x_mm[0], n.x_mm[1],
                  n.x_mm[2]);
    deck += line;
  }
  const auto writeIds = [&](const std::vector<int>& ids) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      deck += std::to_string(ids[i]);
      deck += (i + 1 == ids.size() || i % 16 == 15) ? "\n" : ", ";
    }
  };
  std::vector<std::string> elsets;
  for (std::size_t m = 0; m < model.materials.size(); ++m) {
    std::string block;
    for (const Element& e : model.elements) {
      if (e.material != static_cast<int>(m)) continue;
      block += std::to_string(e.id);
      for (std::size_t n : e.nodes) block += ", " + std::to_string(model.nodes[n].id);
      block += '\n';
    }
    if (block.empty()) continue;
    const bool quadratic = model.elements.front().type == ElementType::C3D10;
    deck += std::string("*ELEMENT, TYPE=") + (quadratic ? "C3D10" : "C3D4") +
            ", ELSET=" + model.materials[m].name + "\n" + block;
    elsets.push_back(model.materials[m].name);
  }
  deck += "*ELSET, ELSET=EALL\n";
  for (std::size_t i = 0; i < elsets.size(); ++i)
    deck += elsets[i] + (i + 1 == elsets.size() ? "\n" : ", ");
  for (const auto& [name, members] : model.nodeSets) {
    if (name == "NALL") continue;
    deck += "*NSET, NSET=" + name + "\n";
    std::vector<int> ids;
    for (std::size_t n : members) ids.push_back(model.nodes[n].id);
    writeIds(ids);
  }
  return deck;
}

}  // namespace twinplan::tissue
