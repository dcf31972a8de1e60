#include "twinplan/tissue/box_mesh.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "twinplan/core/error.h"

namespace twinplan::tissue {
namespace {

// Lattice at half the cell size: corners at even indices, mid-side nodes where needed.
struct Lattice {
  std::array<int, 3> n;  // points per axis
  int id(std::array<int, 3> p) const { return 1 + p[0] + n[0] * (p[1] + n[1] * p[2]); }
};

struct BoxTets {
  Lattice lattice;
  std::vector<std::array<std::array<int, 3>, 10>> tets;  // lattice points, Abaqus order
};

std::array<int, 3> midpoint(const std::array<int, 3>& a, const std::array<int, 3>& b) {
  return {(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2};
}

int orientation(const std::array<std::array<int, 3>, 10>& t) {
  int e[3][3];
  for (int a = 0; a < 3; ++a)
    for (int d = 0; d < 3; ++d) e[a][d] = t[a + 1][d] - t[0][d];
  return e[0][0] * (e[1][1] * e[2][2] - e[1][2] * e[2][1]) -
         e[0][1] * (e[1][0] * e[2][2] - e[1][2] * e[2][0]) +
         e[0][2] * (e[1][0] * e[2][1] - e[1][1] * e[2][0]);
}

BoxTets boxTets(const BoxMeshSpec& spec) {
  for (int d = 0; d < 3; ++d)
    if (spec.divisions[d] < 1 || !(spec.size_mm[d] > 0))
      throw Error(ErrorKind::InvalidInput, "A box mesh needs positive sizes and divisions.",
                  "box mesh");
  BoxTets box;
  for (int d = 0; d < 3; ++d) box.lattice.n[d] = 2 * spec.divisions[d] + 1;
  static constexpr int kPermutations[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                              {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  static constexpr int kEdges[6][2] = {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {1, 3}, {2, 3}};
  for (int k = 0; k < spec.divisions[2]; ++k)
    for (int j = 0; j < spec.divisions[1]; ++j)
      for (int i = 0; i < spec.divisions[0]; ++i)
        for (const auto& perm : kPermutations) {
          std::array<std::array<int, 3>, 10> t{};
          t[0] = {2 * i, 2 * j, 2 * k};
          t[1] = t[0];
          t[1][perm[0]] += 2;
          t[2] = t[1];
          t[2][perm[1]] += 2;
          t[3] = t[2];
          t[3][perm[2]] += 2;
          // det[v1 - v0, v2 - v0, v3 - v0] is the permutation's sign: swap two corners of an
          // odd one so that every tetrahedron is right-handed (positive volume in Abaqus order).
          if (orientation(t) < 0) std::swap(t[1], t[2]);
          for (int e = 0; e < 6; ++e) t[4 + e] = midpoint(t[kEdges[e][0]], t[kEdges[e][1]]);
          box.tets.push_back(t);
        }
  return box;
}

std::array<double, 3> position(const BoxMeshSpec& spec, const std::array<int, 3>& p) {
  std::array<double, 3> x{};
  for (int d = 0; d < 3; ++d) x[d] = spec.size_mm[d] * p[d] / (2.0 * spec.divisions[d]);
  return x;
}

// A deterministic jitter in [-1, 1] per lattice point and axis (an integer hash).
double jitter(int id, int axis) {
  std::uint32_t h =
      static_cast<std::uint32_t>(id) * 2654435761u + static_cast<std::uint32_t>(axis) * 40503u;
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return (h % 20001u) / 10000.0 - 1.0;
}

bool interior(const Lattice& l, const std::array<int, 3>& p) {
  for (int d = 0; d < 3; ++d)
    if (p[d] == 0 || p[d] == l.n[d] - 1) return false;
  return true;
}

std::array<double, 3> jittered(const BoxMeshSpec& spec, const Lattice& l,
                               const std::array<int, 3>& p) {
  std::array<double, 3> x = position(spec, p);
  if (spec.interiorJitter_mm > 0 && interior(l, p))
    for (int d = 0; d < 3; ++d) x[d] += spec.interiorJitter_mm * jitter(l.id(p), d);
  return x;
}

}  // namespace

std::string boxMeshDeck(const BoxMeshSpec& spec) {
  const BoxTets box = boxTets(spec);
  const Lattice& l = box.lattice;
  const std::size_t used = nodesPerElement(spec.type);
  std::map<int, std::array<double, 3>> nodes;
  for (const auto& t : box.tets) {
    for (std::size_t a = 0; a < 4; ++a) nodes[l.id(t[a])] = jittered(spec, l, t[a]);
    for (std::size_t e = 4; e < used; ++e) {
      static constexpr int kEdges[6][2] = {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {1, 3}, {2, 3}};
      const auto a = jittered(spec, l, t[kEdges[e - 4][0]]),
                 b = jittered(spec, l, t[kEdges[e - 4][1]]);
      nodes[l.id(t[e])] = {(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2};
    }
  }
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.precision(17);
  out << "*NODE, NSET=NALL\n";
  for (const auto& [id, x] : nodes)
    out << id << ", " << x[0] << ", " << x[1] << ", " << x[2] << '\n';
  out << "*ELEMENT, TYPE=" << (spec.type == ElementType::C3D4 ? "C3D4" : "C3D10")
      << ", ELSET=EALL\n";
  int number = 0;
  for (const auto& t : box.tets) {
    out << ++number;
    for (std::size_t a = 0; a < used; ++a) out << ", " << l.id(t[a]);
    out << '\n';
  }
  static constexpr const char* kFaces[3][2] = {{"X0", "X1"}, {"Y0", "Y1"}, {"Z0", "Z1"}};
  for (int d = 0; d < 3; ++d)
    for (int side = 0; side < 2; ++side) {
      out << "*NSET, NSET=" << kFaces[d][side] << '\n';
      int count = 0;
      for (const auto& [id, x] : nodes) {
        const int p = ((id - 1) / (d == 0 ? 1 : d == 1 ? l.n[0] : l.n[0] * l.n[1])) % l.n[d];
        if (p != (side == 0 ? 0 : l.n[d] - 1)) continue;
        out << id << (++count % 16 == 0 ? ",\n" : ", ");
      }
      out << '\n';
    }
  return out.str();
}

std::map<int, double> endFaceLoadShares(const BoxMeshSpec& spec) {
  const BoxTets box = boxTets(spec);
  const Lattice& l = box.lattice;
  static constexpr int kFaces[4][6] = {
      {0, 1, 2, 4, 5, 6}, {0, 3, 1, 7, 8, 4}, {1, 3, 2, 8, 9, 5}, {2, 3, 0, 9, 7, 6}};
  std::map<int, double> shares;
  double total = 0;
  for (const auto& t : box.tets)
    for (const auto& f : kFaces) {
      if (t[f[0]][0] != l.n[0] - 1 || t[f[1]][0] != l.n[0] - 1 || t[f[2]][0] != l.n[0] - 1)
        continue;
      // The face lies in the plane x = size_x: its area from the (y, z) coordinates.
      const auto a = position(spec, t[f[0]]), b = position(spec, t[f[1]]),
                 c = position(spec, t[f[2]]);
      const double area =
          0.5 * std::abs((b[1] - a[1]) * (c[2] - a[2]) - (b[2] - a[2]) * (c[1] - a[1]));
      total += area;
      for (int m = 0; m < 3; ++m)
        shares[l.id(t[f[spec.type == ElementType::C3D4 ? m : 3 + m]])] += area / 3;
    }
  for (auto& [id, share] : shares) share /= total;
  return shares;
}

}  // namespace twinplan::tissue
