#include "twinplan/tissue/contact.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "twinplan/core/error.h"

namespace twinplan::tissue {
namespace {

std::array<double, 3> unit(const std::array<double, 3>& v) {
  const double length = std::hypot(v[0], v[1], v[2]);
  if (!(length > 0)) return {0, 0, 0};
  return {v[0] / length, v[1] / length, v[2] / length};
}

double trilinear(const DistanceMap& map, const std::array<double, 3>& x) {
  std::array<std::size_t, 3> i0{};
  std::array<double, 3> t{};
  for (int d = 0; d < 3; ++d) {
    const double last = static_cast<double>(map.size[d] - 1);
    const double g = std::clamp((x[d] - map.origin_mm[d]) / map.spacing_mm[d], 0.0, last);
    i0[d] = std::min(static_cast<std::size_t>(g), map.size[d] > 1 ? map.size[d] - 2 : 0);
    t[d] = map.size[d] > 1 ? g - static_cast<double>(i0[d]) : 0;
  }
  double value = 0;
  for (int corner = 0; corner < 8; ++corner) {
    double weight = 1;
    std::array<std::size_t, 3> i = i0;
    for (int d = 0; d < 3; ++d) {
      const bool upper = (corner >> d) & 1;
      if (upper && map.size[d] > 1) ++i[d];
      weight *= upper ? t[d] : 1 - t[d];
    }
    if (weight == 0) continue;
    value += weight * map.distance_mm[i[0] + map.size[0] * (i[1] + map.size[1] * i[2])];
  }
  return value;
}

}  // namespace

RigidObstacle rigidPlane(const std::array<double, 3>& point, const std::array<double, 3>& normal,
                         std::vector<std::size_t> nodes) {
  const std::array<double, 3> n = unit(normal);
  RigidObstacle o;
  o.name = "plane";
  o.signedDistance_mm = [point, n](const std::array<double, 3>& x) {
    return (x[0] - point[0]) * n[0] + (x[1] - point[1]) * n[1] + (x[2] - point[2]) * n[2];
  };
  o.outwardNormal = [n](const std::array<double, 3>&) { return n; };
  o.nodes = std::move(nodes);
  return o;
}

RigidObstacle rigidSphericalShell(const std::array<double, 3>& centre, double radius_mm,
                                  std::vector<std::size_t> nodes) {
  RigidObstacle o;
  o.name = "spherical shell";
  o.signedDistance_mm = [centre, radius_mm](const std::array<double, 3>& x) {
    return radius_mm - std::hypot(x[0] - centre[0], x[1] - centre[1], x[2] - centre[2]);
  };
  // Out of the shell's wall is towards the centre.
  o.outwardNormal = [centre](const std::array<double, 3>& x) {
    return unit({centre[0] - x[0], centre[1] - x[1], centre[2] - x[2]});
  };
  o.nodes = std::move(nodes);
  return o;
}

RigidObstacle obstacleFromDistanceMap(DistanceMap map, std::vector<std::size_t> nodes,
                                      std::string name) {
  const std::size_t voxels = map.size[0] * map.size[1] * map.size[2];
  if (voxels == 0 || map.distance_mm.size() != voxels)
    throw Error(ErrorKind::InvalidInput,
                "The distance map of obstacle \"" + name + "\" has " +
                    std::to_string(map.distance_mm.size()) + " values for a grid of " +
                    std::to_string(voxels) + " voxels; give one value per voxel, x fastest.",
                name);
  for (double s : map.spacing_mm)
    if (!(s > 0))
      throw Error(ErrorKind::InvalidInput,
                  "The distance map of obstacle \"" + name +
                      "\" has a spacing that is not "
                      "positive; give the voxel size in mm.",
                  name);
  auto shared = std::make_shared<const DistanceMap>(std::move(map));
  RigidObstacle o;
  o.name = std::move(name);
  o.signedDistance_mm = [shared](const std::array<double, 3>& x) { return trilinear(*shared, x); };
  o.outwardNormal = [shared](const std::array<double, 3>& x) {
    std::array<double, 3> gradient{};
    for (int d = 0; d < 3; ++d) {
      std::array<double, 3> plus = x, minus = x;
      plus[d] += shared->spacing_mm[d];
      minus[d] -= shared->spacing_mm[d];
      gradient[d] = trilinear(*shared, plus) - trilinear(*shared, minus);
    }
    return unit(gradient);
  };
  o.nodes = std::move(nodes);
  return o;
}

}  // namespace twinplan::tissue
