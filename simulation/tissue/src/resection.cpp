#include "twinplan/tissue/resection.h"

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <algorithm>
#include <cctype>
#include <map>

#include "tet_elements.h"
#include "twinplan/core/error.h"

namespace twinplan::tissue {
namespace {

constexpr std::size_t kRemoved = static_cast<std::size_t>(-1);

std::string upperCase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A face's corner nodes, sorted: the key under which its two elements meet.
using FaceKey = std::array<std::size_t, 3>;

FaceKey faceKey(const Element& e, int face) {
  const auto local = detail::faceNodes(e.type, face);
  FaceKey key{e.nodes[static_cast<std::size_t>(local[0])],
              e.nodes[static_cast<std::size_t>(local[1])],
              e.nodes[static_cast<std::size_t>(local[2])]};
  std::sort(key.begin(), key.end());
  return key;
}

// The faces between removed and remaining elements, oriented out of the removed element
// (faceNodes' normal points into its element, so the corners are taken in reverse).
std::vector<Triangle> wallBetween(const FeModel& model, const std::vector<char>& removed) {
  std::map<FaceKey, int> remainingFaces;
  for (std::size_t e = 0; e < model.elements.size(); ++e)
    if (!removed[e])
      for (int f = 1; f <= 4; ++f) ++remainingFaces[faceKey(model.elements[e], f)];
  std::vector<Triangle> wall;
  for (std::size_t e = 0; e < model.elements.size(); ++e) {
    if (!removed[e]) continue;
    const Element& el = model.elements[e];
    for (int f = 1; f <= 4; ++f) {
      if (!remainingFaces.count(faceKey(el, f))) continue;
      const auto local = detail::faceNodes(el.type, f);
      wall.push_back({el.nodes[static_cast<std::size_t>(local[0])],
                      el.nodes[static_cast<std::size_t>(local[2])],
                      el.nodes[static_cast<std::size_t>(local[1])]});
    }
  }
  return wall;
}

bool everyEdgeSharedTwice(const std::vector<Triangle>& wall) {
  std::map<std::pair<std::size_t, std::size_t>, int> edges;
  for (const Triangle& t : wall)
    for (int i = 0; i < 3; ++i)
      ++edges[std::minmax(t[static_cast<std::size_t>(i)],
                          t[static_cast<std::size_t>((i + 1) % 3)])];
  return !wall.empty() &&
         std::all_of(edges.begin(), edges.end(), [](const auto& e) { return e.second == 2; });
}

std::vector<std::size_t> remap(const std::vector<std::size_t>& indices,
                               const std::vector<std::size_t>& newIndex) {
  std::vector<std::size_t> out;
  for (std::size_t i : indices)
    if (newIndex[i] != kRemoved) out.push_back(newIndex[i]);
  return out;
}

template <class Item>
std::vector<Item> keepOnNodes(const std::vector<Item>& items,
                              const std::vector<std::size_t>& newNode) {
  std::vector<Item> out;
  for (Item item : items)
    if (newNode[item.node] != kRemoved) {
      item.node = newNode[item.node];
      out.push_back(item);
    }
  return out;
}

std::map<std::string, std::vector<std::size_t>> remapSets(
    const std::map<std::string, std::vector<std::size_t>>& sets,
    const std::vector<std::size_t>& newIndex) {
  std::map<std::string, std::vector<std::size_t>> out;
  for (const auto& [name, members] : sets)
    if (auto kept = remap(members, newIndex); !kept.empty()) out[name] = std::move(kept);
  return out;
}

// Face loads (pressures, tractions) on the elements that remain, renumbered.
template <typename FaceLoad>
std::vector<FaceLoad> keepOnElements(const std::vector<FaceLoad>& loads,
                                     const std::vector<std::size_t>& newElement) {
  std::vector<FaceLoad> kept;
  for (FaceLoad load : loads)
    if (newElement[load.element] != kRemoved) {
      load.element = newElement[load.element];
      kept.push_back(load);
    }
  return kept;
}

Step remapStep(const Step& step, const std::vector<std::size_t>& newNode,
               const std::vector<std::size_t>& newElement) {
  Step out = step;
  out.boundaries = keepOnNodes(step.boundaries, newNode);
  out.nodalForces = keepOnNodes(step.nodalForces, newNode);
  out.gravity.clear();
  for (GravityLoad g : step.gravity) {
    g.elements = remap(g.elements, newElement);
    if (!g.elements.empty()) out.gravity.push_back(std::move(g));
  }
  out.pressures = keepOnElements(step.pressures, newElement);
  out.tractions = keepOnElements(step.tractions, newElement);
  return out;
}

}  // namespace

Resection removeElements(const FeModel& model, const std::vector<std::size_t>& elements) {
  std::vector<char> removed(model.elements.size(), 0);
  for (std::size_t e : elements) {
    if (e >= model.elements.size())
      throw Error(ErrorKind::InvalidInput,
                  model.name + ": element index " + std::to_string(e) +
                      " to remove is out of range (the model has " +
                      std::to_string(model.elements.size()) + " elements).",
                  model.name);
    removed[e] = 1;
  }
  Resection out;
  out.removedElements = static_cast<std::size_t>(std::count(removed.begin(), removed.end(), 1));
  if (out.removedElements == model.elements.size())
    throw Error(ErrorKind::InvalidInput,
                model.name +
                    ": the resection removes every element; nothing would remain to "
                    "solve. Resect a smaller region.",
                model.name);
  std::vector<std::size_t> newNode(model.nodes.size(), kRemoved);
  std::vector<std::size_t> newElement(model.elements.size(), kRemoved);
  for (std::size_t e = 0; e < model.elements.size(); ++e)
    if (!removed[e])
      for (std::size_t n : model.elements[e].nodes) newNode[n] = 0;
  FeModel& m = out.model;
  m.name = model.name;
  m.materials = model.materials;
  m.notes = model.notes;
  for (std::size_t n = 0; n < model.nodes.size(); ++n)
    if (newNode[n] != kRemoved) {
      newNode[n] = m.nodes.size();
      m.nodes.push_back(model.nodes[n]);
      out.originalNode.push_back(n);
    }
  for (std::size_t e = 0; e < model.elements.size(); ++e)
    if (!removed[e]) {
      newElement[e] = m.elements.size();
      Element el = model.elements[e];
      for (std::size_t& n : el.nodes) n = newNode[n];
      m.elements.push_back(std::move(el));
    }
  m.nodeSets = remapSets(model.nodeSets, newNode);
  m.elementSets = remapSets(model.elementSets, newElement);
  m.fixedBoundaries = keepOnNodes(model.fixedBoundaries, newNode);
  for (const Step& step : model.steps) m.steps.push_back(remapStep(step, newNode, newElement));
  for (RigidObstacle obstacle : model.obstacles) {
    obstacle.nodes = remap(obstacle.nodes, newNode);
    m.obstacles.push_back(std::move(obstacle));
  }
  for (Triangle t : wallBetween(model, removed)) {
    for (std::size_t& n : t) n = newNode[n];
    out.cavityWall.push_back(t);
  }
  out.wallClosed = everyEdgeSharedTwice(out.cavityWall);
  return out;
}

Resection removeElementSet(const FeModel& model, const std::string& setName) {
  const auto set = model.elementSets.find(upperCase(setName));
  if (set == model.elementSets.end())
    throw Error(ErrorKind::NotFound,
                model.name + " has no element set \"" + setName +
                    "\" to resect; name the resected elements with *ELSET.",
                model.name);
  return removeElements(model, set->second);
}

std::vector<std::size_t> elementsWithCentroidIn(
    const FeModel& model, const std::function<bool(const std::array<double, 3>&)>& inside) {
  std::vector<std::size_t> out;
  for (std::size_t e = 0; e < model.elements.size(); ++e) {
    std::array<double, 3> centroid{};
    for (std::size_t a = 0; a < 4; ++a)  // the corners: mid-side nodes do not move it
      for (int i = 0; i < 3; ++i)
        centroid[i] += model.nodes[model.elements[e].nodes[a]].x_mm[i] / 4;
    if (inside(centroid)) out.push_back(e);
  }
  return out;
}

double cavityVolume_mm3(const FeModel& model, const std::vector<Triangle>& wall,
                        const std::vector<std::array<double, 3>>& displacement_mm) {
  auto position = [&](std::size_t n) {
    Eigen::Vector3d x(model.nodes[n].x_mm.data());
    if (!displacement_mm.empty()) x += Eigen::Vector3d(displacement_mm[n].data());
    return x;
  };
  double sixTimesVolume = 0;
  for (const Triangle& t : wall)
    sixTimesVolume += position(t[0]).dot(position(t[1]).cross(position(t[2])));
  return sixTimesVolume / 6;
}

ResectionOutcome simulateResection(const FeModel& model, const std::string& resectedSet,
                                   const SolverOptions& options, Progress& progress) {
  ResectionOutcome out;
  out.resection = removeElementSet(model, resectedSet);
  const FeModel& remaining = out.resection.model;
  out.cavityVolumeBefore_mm3 = cavityVolume_mm3(remaining, out.resection.cavityWall);
  if (!(out.cavityVolumeBefore_mm3 > 0))
    throw Error(ErrorKind::InvalidInput,
                model.name + ": the element set \"" + resectedSet +
                    "\" encloses no volume between it and the remaining tissue; resect a "
                    "region inside the tissue.",
                model.name);
  out.solution = solve(remaining, options, progress);
  out.cavityVolumeAfter_mm3 =
      cavityVolume_mm3(remaining, out.resection.cavityWall, out.solution.displacement_mm);
  return out;
}

}  // namespace twinplan::tissue
