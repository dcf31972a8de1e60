#include "twinplan/tissue/surface_traction.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "tet_elements.h"
#include "twinplan/core/error.h"

namespace twinplan::tissue {
namespace {

// 1 Pa = 1 N/m^2 = 1e-6 N/mm^2 (MPa), the model's stress unit.
constexpr double kMPaPerPa = 1e-6;

BoundaryFace faceOf(const FeModel& model, std::size_t element, int face) {
  const Element& el = model.elements[element];
  const auto local = detail::faceNodes(el.type, face);
  BoundaryFace f{element, face, {}};
  for (std::size_t c = 0; c < 3; ++c) f.nodes[c] = el.nodes[static_cast<std::size_t>(local[c])];
  return f;
}

std::array<double, 3> centroid(const FeModel& model, const BoundaryFace& f) {
  std::array<double, 3> c{};
  for (std::size_t node : f.nodes)
    for (int i = 0; i < 3; ++i) c[i] += model.nodes[node].x_mm[i] / 3;
  return c;
}

}  // namespace

std::vector<BoundaryFace> boundaryFaces(const FeModel& model,
                                        const std::vector<std::size_t>& elements,
                                        const SurfaceRegion& region) {
  std::vector<std::size_t> chosen = elements;
  if (chosen.empty())
    for (std::size_t e = 0; e < model.elements.size(); ++e) chosen.push_back(e);
  // Every face under its sorted corners; a key met once is on the set's boundary.
  std::vector<std::pair<std::array<std::size_t, 3>, BoundaryFace>> faces;
  faces.reserve(4 * chosen.size());
  for (std::size_t e : chosen)
    for (int f = 1; f <= 4; ++f) {
      const BoundaryFace face = faceOf(model, e, f);
      std::array<std::size_t, 3> key = face.nodes;
      std::sort(key.begin(), key.end());
      faces.emplace_back(key, face);
    }
  std::sort(faces.begin(), faces.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<BoundaryFace> boundary;
  for (std::size_t i = 0; i < faces.size();) {
    std::size_t j = i;
    while (j < faces.size() && faces[j].first == faces[i].first) ++j;
    if (j - i == 1 && (!region || region(centroid(model, faces[i].second))))
      boundary.push_back(faces[i].second);
    i = j;
  }
  return boundary;
}

std::vector<BoundaryFace> facesById(const FeModel& model,
                                    const std::vector<std::pair<int, int>>& elementIdAndFace) {
  std::map<int, std::size_t> index;
  for (std::size_t e = 0; e < model.elements.size(); ++e) index[model.elements[e].id] = e;
  std::vector<BoundaryFace> faces;
  for (const auto& [id, face] : elementIdAndFace) {
    const auto it = index.find(id);
    if (it == index.end())
      throw Error(ErrorKind::InvalidInput,
                  model.name + ": element " + std::to_string(id) +
                      " of the traction patch is not in the model.",
                  "element " + std::to_string(id));
    if (face < 1 || face > 4)
      throw Error(ErrorKind::InvalidInput,
                  model.name + ": face " + std::to_string(face) + " of element " +
                      std::to_string(id) + " is not a tetrahedron's face; faces are 1 to 4.",
                  "element " + std::to_string(id));
    faces.push_back(faceOf(model, it->second, face));
  }
  return faces;
}

double faceArea_mm2(const FeModel& model, const std::vector<BoundaryFace>& faces) {
  double area = 0;
  for (const BoundaryFace& f : faces)
    for (const detail::FacePoint& q :
         detail::faceQuadrature(detail::faceGeometry(model, f.element, f.face).x))
      area += q.areaVector.norm();
  return area;
}

std::vector<FaceTraction> surfaceTraction(const std::vector<BoundaryFace>& faces,
                                          const std::array<double, 3>& traction_Pa,
                                          const std::string& where) {
  if (faces.empty())
    throw Error(ErrorKind::InvalidInput,
                "No surface face lies in " + where +
                    ", so the traction acts nowhere; move or "
                    "enlarge the patch.",
                where);
  for (double t : traction_Pa)
    if (!std::isfinite(t))
      throw Error(ErrorKind::InvalidInput,
                  "The traction on " + where + " has a component that is not a number.", where);
  std::vector<FaceTraction> tractions;
  for (const BoundaryFace& f : faces)
    tractions.push_back(
        {f.element,
         f.face,
         {traction_Pa[0] * kMPaPerPa, traction_Pa[1] * kMPaPerPa, traction_Pa[2] * kMPaPerPa}});
  return tractions;
}

std::vector<NodalForce> consistentNodalForces(const FeModel& model,
                                              const std::vector<FaceTraction>& tractions) {
  std::map<std::size_t, Eigen::Vector3d> force;
  for (const FaceTraction& t : tractions) {
    const Eigen::Vector3d traction(t.traction_MPa.data());
    const detail::FaceGeometry face = detail::faceGeometry(model, t.element, t.face);
    for (const detail::FacePoint& q : detail::faceQuadrature(face.x))
      for (std::size_t a = 0; a < face.nodes.size(); ++a) {
        auto [it, added] = force.try_emplace(face.nodes[a], Eigen::Vector3d::Zero());
        it->second += q.shape[a] * q.areaVector.norm() * traction;
      }
  }
  // Components that cancel to rounding (a C3D10 face's corners: integral N_a dA = 0) are left
  // out rather than written as 1e-21 N.
  double largest = 0;
  for (const auto& [node, f] : force) largest = std::max(largest, f.cwiseAbs().maxCoeff());
  std::vector<NodalForce> out;
  for (const auto& [node, f] : force)
    for (int i = 0; i < 3; ++i)
      if (std::abs(f[i]) > 1e-14 * largest) out.push_back({node, i, f[i]});
  return out;
}

std::string tractionAsCload(const FeModel& model, const std::vector<FaceTraction>& tractions) {
  // ccx reads a number in at most 20 characters ("*ERROR reading *CLOAD" for
  // -8.3333333333333344E-05): 14 significant digits fit with sign and exponent.
  std::ostringstream deck;
  deck.precision(14);
  deck << "*CLOAD\n";
  for (const NodalForce& f : consistentNodalForces(model, tractions))
    deck << model.nodes[f.node].id << ", " << f.dof + 1 << ", " << f.force_N << '\n';
  return deck.str();
}

}  // namespace twinplan::tissue
