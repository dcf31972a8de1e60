#include "twinplan/tissue/contact.h"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::tissue {
namespace {

std::array<double, 3> unit(const std::array<double, 3>& v) {
  const double length = std::hypot(v[0], v[1], v[2]);
  if (!(length > 0)) return {0, 0, 0};
  return {v[0] / length, v[1] / length, v[2] / length};
}

double trilinear(const DistanceMap& map, const std::array<double, 3>& x) {
  const ImageGeometry& g = map.geometry;
  const Vec3 ijk = g.lpsToIndex(Vec3(x[0], x[1], x[2]));
  std::array<std::int64_t, 3> i0{};
  std::array<double, 3> t{};
  for (int d = 0; d < 3; ++d) {
    const double last = static_cast<double>(g.size[d] - 1);
    const double c = std::clamp(ijk[d], 0.0, last);
    i0[d] = std::min(static_cast<std::int64_t>(c), std::max<std::int64_t>(g.size[d] - 2, 0));
    t[d] = g.size[d] > 1 ? c - static_cast<double>(i0[d]) : 0;
  }
  double value = 0;
  for (int corner = 0; corner < 8; ++corner) {
    double weight = 1;
    std::array<std::int64_t, 3> i = i0;
    for (int d = 0; d < 3; ++d) {
      const bool upper = (corner >> d) & 1;
      if (upper && g.size[d] > 1) ++i[d];
      weight *= upper ? t[d] : 1 - t[d];
    }
    if (weight == 0) continue;
    value += weight * map.distance_mm[g.linearIndex(i[0], i[1], i[2])];
  }
  return value;
}

// The uniform cubic B-spline with the map's values as coefficients (Unser, "Splines: a perfect
// fit for signal and image processing", IEEE Signal Process Mag 16(6):22-38, 1999, eq. 7 with
// the B-spline of degree 3): a C2 function, so its gradient - the contact normal - is continuous
// where trilinear interpolation's jumps from voxel to voxel. It reproduces a distance linear in
// position exactly (linear precision) and smooths a corner of the skull over about one voxel.
// Returns the value and its gradient in LPS (1/mm).
struct SmoothSample {
  double value = 0;
  Vec3 gradient_lps = Vec3::Zero();
};

SmoothSample cubicBSpline(const DistanceMap& map, const std::array<double, 3>& x) {
  const ImageGeometry& g = map.geometry;
  const Vec3 ijk = g.lpsToIndex(Vec3(x[0], x[1], x[2]));
  std::array<std::int64_t, 3> first{};
  std::array<std::array<double, 4>, 3> w{}, dw{};
  for (int d = 0; d < 3; ++d) {
    const double c = std::clamp(ijk[d], 0.0, static_cast<double>(g.size[d] - 1));
    const double base = std::floor(c);
    const double f = c - base, h = 1 - f;
    first[d] = static_cast<std::int64_t>(base) - 1;
    w[d] = {h * h * h / 6, (3 * f * f * f - 6 * f * f + 4) / 6,
            (-3 * f * f * f + 3 * f * f + 3 * f + 1) / 6, f * f * f / 6};
    dw[d] = {-h * h / 2, 1.5 * f * f - 2 * f, (-3 * f * f + 2 * f + 1) / 2, f * f / 2};
  }
  auto clampIndex = [&](std::int64_t i, int d) {
    return std::clamp<std::int64_t>(i, 0, g.size[d] - 1);
  };
  SmoothSample out;
  Vec3 gradientIndex = Vec3::Zero();
  for (int c = 0; c < 4; ++c) {
    const std::int64_t k = clampIndex(first[2] + c, 2);
    for (int b = 0; b < 4; ++b) {
      const std::int64_t j = clampIndex(first[1] + b, 1);
      for (int a = 0; a < 4; ++a) {
        const std::int64_t i = clampIndex(first[0] + a, 0);
        const double v = map.distance_mm[g.linearIndex(i, j, k)];
        out.value += w[0][a] * w[1][b] * w[2][c] * v;
        gradientIndex += v * Vec3(dw[0][a] * w[1][b] * w[2][c], w[0][a] * dw[1][b] * w[2][c],
                                  w[0][a] * w[1][b] * dw[2][c]);
      }
    }
  }
  // index = (direction * diag(spacing))^-1 (x - origin): d/dx = (that inverse)^T d/dindex.
  const Mat3 indexToLps = g.direction * g.spacing_mm.asDiagonal();
  const Mat3 toIndex = indexToLps.inverse();
  out.gradient_lps = toIndex.transpose() * gradientIndex;
  return out;
}

constexpr double kFar = 1e30;

// One line of the squared-distance transform (Felzenszwalb & Huttenlocher 2012, algorithm
// DT(f)): f[q] is 0 at feature voxels and kFar elsewhere on input, the squared distance to the
// nearest one (in mm^2, voxels `step` mm apart) on output; the lower envelope of parabolas.
void distanceLine(std::vector<double>& f, double step, std::vector<double>& out,
                  std::vector<std::size_t>& v, std::vector<double>& z) {
  const std::size_t n = f.size();
  out.resize(n);
  v.assign(n, 0);
  z.assign(n + 1, 0);
  auto pos = [step](std::size_t q) { return step * static_cast<double>(q); };
  auto meet = [&](std::size_t q, std::size_t p) {  // where the parabolas of q and p cross
    return ((f[q] + pos(q) * pos(q)) - (f[p] + pos(p) * pos(p))) / (2 * pos(q) - 2 * pos(p));
  };
  int k = -1;  // the envelope's last parabola; none yet
  for (std::size_t q = 0; q < n; ++q) {
    if (f[q] >= kFar) continue;  // no feature reaches this voxel along the earlier axes
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -kFar;
      z[1] = kFar;
      continue;
    }
    double s = meet(q, v[static_cast<std::size_t>(k)]);
    while (s <= z[static_cast<std::size_t>(k)]) {  // z[0] = -infinity ends this at k = 0
      --k;
      s = meet(q, v[static_cast<std::size_t>(k)]);
    }
    ++k;
    v[static_cast<std::size_t>(k)] = q;
    z[static_cast<std::size_t>(k)] = s;
    z[static_cast<std::size_t>(k) + 1] = kFar;
  }
  if (k < 0) return;  // the whole line stays far
  std::size_t e = 0;
  for (std::size_t q = 0; q < n; ++q) {
    while (z[e + 1] < pos(q)) ++e;
    const double d = pos(q) - pos(v[e]);
    out[q] = d * d + f[v[e]];
  }
  f = out;
}

// The distance in mm from every voxel to the nearest voxel where `feature` is true.
std::vector<double> distanceTransform(const ImageGeometry& g, const std::vector<char>& feature) {
  std::vector<double> d(feature.size());
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = feature[i] ? 0 : kFar;
  const std::array<std::size_t, 3> size{static_cast<std::size_t>(g.size[0]),
                                        static_cast<std::size_t>(g.size[1]),
                                        static_cast<std::size_t>(g.size[2])};
  const std::array<std::size_t, 3> stride{1, size[0], size[0] * size[1]};
  for (int axis = 0; axis < 3; ++axis) {
    const int a = (axis + 1) % 3, b = (axis + 2) % 3;
    // Lines along `axis` are independent: one chunk of lines per task (core/parallel.h).
    parallel::parallelFor({0, size[a] * size[b]}, 64, [&](parallel::IndexRange r) {
      std::vector<double> line(size[axis]), out, z;
      std::vector<std::size_t> v;
      for (std::size_t l = r.begin; l < r.end; ++l) {
        const std::size_t base = (l % size[a]) * stride[a] + (l / size[a]) * stride[b];
        for (std::size_t q = 0; q < size[axis]; ++q) line[q] = d[base + q * stride[axis]];
        distanceLine(line, g.spacing_mm[axis], out, v, z);
        for (std::size_t q = 0; q < size[axis]; ++q) d[base + q * stride[axis]] = line[q];
      }
    });
  }
  for (double& x : d) x = x >= kFar ? kFar : std::sqrt(x);
  return d;
}

// The distance in mm from the point at voxel index `ijk` to the boundary of the union of the
// voxels of `obstacle` (the staircase itself: each voxel a box of its spacing), searched
// `window` voxels around it; the window's reach when no voxel of the other kind lies inside.
double staircaseDistance_mm(const ImageGeometry& g, const std::vector<char>& obstacle,
                            const Vec3& ijk, int window) {
  std::array<std::int64_t, 3> at{};
  for (int d = 0; d < 3; ++d)
    at[d] = std::clamp<std::int64_t>(std::llround(ijk[d]), 0, g.size[d] - 1);
  const char own = obstacle[g.linearIndex(at[0], at[1], at[2])];
  double nearest2 = 1e300;
  for (std::int64_t k = at[2] - window; k <= at[2] + window; ++k)
    for (std::int64_t j = at[1] - window; j <= at[1] + window; ++j)
      for (std::int64_t i = at[0] - window; i <= at[0] + window; ++i) {
        if (i < 0 || j < 0 || k < 0 || i >= g.size[0] || j >= g.size[1] || k >= g.size[2] ||
            obstacle[g.linearIndex(i, j, k)] == own)
          continue;
        const Vec3 voxel{double(i), double(j), double(k)};
        double d2 = 0;
        for (int d = 0; d < 3; ++d) {
          const double outside = std::max(std::abs(ijk[d] - voxel[d]) - 0.5, 0.0);
          d2 += outside * outside * g.spacing_mm[d] * g.spacing_mm[d];
        }
        nearest2 = std::min(nearest2, d2);
      }
  return nearest2 < 1e300 ? std::sqrt(nearest2) : window * g.spacing_mm.minCoeff();
}

}  // namespace

SurfaceDeparture staircaseDeparture(const ImageGeometry& g, const std::vector<char>& obstacle,
                                    const RigidObstacle& smoothed) {
  if (obstacle.size() != g.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                "The obstacle region has " + std::to_string(obstacle.size()) +
                    " voxels for a grid of " + std::to_string(g.voxelCount()) + ".",
                "staircaseDeparture");
  // Every voxel face between the region and free space: its centre, moved onto the smoothed
  // surface along the surface's normal (a signed distance: a few steps x <- x - g n).
  std::vector<Vec3> faces;
  std::vector<char> faceAxis;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const char here = obstacle[g.linearIndex(i, j, k)];
        const std::array<std::int64_t, 3> at{i, j, k};
        for (int d = 0; d < 3; ++d) {
          std::array<std::int64_t, 3> next = at;
          if (++next[d] >= g.size[d] || obstacle[g.linearIndex(next[0], next[1], next[2])] == here)
            continue;
          Vec3 face{double(i), double(j), double(k)};
          face[d] += 0.5;
          faces.push_back(face);
          faceAxis.push_back(static_cast<char>(d));
        }
      }
  constexpr int kWindow = 4;
  struct Sums {
    double largest = 0, squares = 0;
    std::size_t beyondHalfVoxel = 0;
  };
  const Sums sums = parallel::parallelReduce(
      {0, faces.size()}, 1024, Sums{},
      [&](parallel::IndexRange r) {
        Sums s;
        for (std::size_t f = r.begin; f < r.end; ++f) {
          Vec3 x = g.indexToLps(faces[f]);
          for (int step = 0; step < 8; ++step) {
            const std::array<double, 3> p{x.x(), x.y(), x.z()};
            const double gap = smoothed.signedDistance_mm(p);
            const std::array<double, 3> n = smoothed.outwardNormal(p);
            x -= gap * Vec3(n[0], n[1], n[2]);
            if (std::abs(gap) < 1e-6) break;
          }
          const double d = staircaseDistance_mm(g, obstacle, g.lpsToIndex(x), kWindow);
          s.largest = std::max(s.largest, d);
          s.squares += d * d;
          if (d > 0.5 * g.spacing_mm[faceAxis[f]]) ++s.beyondHalfVoxel;
        }
        return s;
      },
      [](Sums a, const Sums& b) {
        a.largest = std::max(a.largest, b.largest);
        a.squares += b.squares;
        a.beyondHalfVoxel += b.beyondHalfVoxel;
        return a;
      });
  SurfaceDeparture out;
  out.faces = faces.size();
  out.largest_mm = sums.largest;
  out.beyondHalfVoxel = sums.beyondHalfVoxel;
  out.rms_mm = faces.empty() ? 0 : std::sqrt(sums.squares / double(faces.size()));
  return out;
}

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

DistanceMap regionDistanceMap(const ImageGeometry& g, const std::vector<char>& inside,
                              const std::string& name) {
  if (inside.size() != g.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                "The obstacle region \"" + name + "\" has " + std::to_string(inside.size()) +
                    " voxels for a grid of " + std::to_string(g.voxelCount()) +
                    "; give one flag per voxel, i fastest.",
                "regionDistanceMap");
  const std::size_t count = parallel::parallelReduce(
      {0, inside.size()}, 1 << 16, std::size_t{0},
      [&](parallel::IndexRange r) {
        return static_cast<std::size_t>(std::count(inside.begin() + std::ptrdiff_t(r.begin),
                                                   inside.begin() + std::ptrdiff_t(r.end), 1));
      },
      [](std::size_t a, std::size_t b) { return a + b; });
  if (count == 0 || count == inside.size())
    throw Error(ErrorKind::InvalidInput,
                "The obstacle segment " + name +
                    (count == 0 ? " has no voxel" : " fills the whole grid") +
                    ": a rigid obstacle needs both its region and free space; check the segment.",
                "skullDistanceMap");
  std::vector<char> outside(inside.size());
  parallel::parallelFor({0, inside.size()}, 1 << 16, [&](parallel::IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v) outside[v] = !inside[v];
  });
  const std::vector<double> toObstacle = distanceTransform(g, inside);
  const std::vector<double> toFree = distanceTransform(g, outside);
  const double half = g.spacing_mm.minCoeff() / 2;
  DistanceMap map{g, std::vector<float>(inside.size())};
  parallel::parallelFor({0, inside.size()}, 1 << 16, [&](parallel::IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v)
      map.distance_mm[v] =
          static_cast<float>(inside[v] ? -(toFree[v] - half) : toObstacle[v] - half);
  });
  return map;
}

DistanceMap skullDistanceMap(const LabelMap& labels, std::size_t segment) {
  const ImageGeometry& g = labels.geometry();
  std::vector<char> inside(g.voxelCount(), 0);
  // Slices in parallel (core/parallel.h): each writes its own voxels.
  parallel::parallelFor({0, static_cast<std::size_t>(g.size[2])}, 1, [&](parallel::IndexRange r) {
    for (std::size_t k = r.begin; k < r.end; ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i)
          if (labels.contains(segment, i, j, static_cast<std::int64_t>(k)))
            inside[g.linearIndex(i, j, static_cast<std::int64_t>(k))] = 1;
  });
  return regionDistanceMap(g, inside,
                           segment < labels.segments().size()
                               ? "\"" + labels.segments()[segment].name + "\""
                               : std::to_string(segment));
}

void smoothDistanceMap(DistanceMap& map, double sigma_mm) {
  smoothDistanceMap(map, Vec3::Constant(sigma_mm));
}

void smoothDistanceMap(DistanceMap& map, const Vec3& sigma_mm) {
  if (!sigma_mm.allFinite())
    throw Error(ErrorKind::InvalidInput,
                "The smoothing of a distance map must be a finite length in mm.", "sigma_mm");
  const ImageGeometry& g = map.geometry;
  const std::array<std::size_t, 3> size{static_cast<std::size_t>(g.size[0]),
                                        static_cast<std::size_t>(g.size[1]),
                                        static_cast<std::size_t>(g.size[2])};
  const std::array<std::size_t, 3> stride{1, size[0], size[0] * size[1]};
  for (int axis = 0; axis < 3; ++axis) {
    if (!(sigma_mm[axis] > 0)) continue;
    const double sigma = sigma_mm[axis] / g.spacing_mm[axis];  // in voxels along this axis
    const int radius = static_cast<int>(std::ceil(3 * sigma));
    if (radius == 0 || size[axis] < 2) continue;
    std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
    double sum = 0;
    for (int k = -radius; k <= radius; ++k)
      sum += kernel[static_cast<std::size_t>(k + radius)] =
          std::exp(-0.5 * k * k / (sigma * sigma));
    for (double& k : kernel) k /= sum;
    const int a = (axis + 1) % 3, b = (axis + 2) % 3;
    const auto n = static_cast<std::int64_t>(size[axis]);
    // Lines along the axis are independent: one chunk of lines per task (core/parallel.h).
    parallel::parallelFor({0, size[a] * size[b]}, 64, [&](parallel::IndexRange r) {
      std::vector<double> line(size[axis]);
      for (std::size_t l = r.begin; l < r.end; ++l) {
        const std::size_t base = (l % size[a]) * stride[a] + (l / size[a]) * stride[b];
        for (std::size_t q = 0; q < size[axis]; ++q)
          line[q] = map.distance_mm[base + q * stride[axis]];
        for (std::int64_t q = 0; q < n; ++q) {
          double value = 0;
          for (int k = -radius; k <= radius; ++k)
            value += kernel[static_cast<std::size_t>(k + radius)] *
                     line[static_cast<std::size_t>(std::clamp<std::int64_t>(q + k, 0, n - 1))];
          map.distance_mm[base + static_cast<std::size_t>(q) * stride[axis]] =
              static_cast<float>(value);
        }
      }
    });
  }
}

RigidObstacle obstacleFromDistanceMap(DistanceMap map, std::vector<std::size_t> nodes,
                                      std::string name, DistanceInterpolation interpolation) {
  const std::size_t voxels = map.geometry.voxelCount();
  if (voxels == 0 || map.distance_mm.size() != voxels)
    throw Error(ErrorKind::InvalidInput,
                "The distance map of obstacle \"" + name + "\" has " +
                    std::to_string(map.distance_mm.size()) + " values for a grid of " +
                    std::to_string(voxels) + " voxels; give one value per voxel, i fastest.",
                name);
  for (int d = 0; d < 3; ++d)
    if (!(map.geometry.spacing_mm[d] > 0))
      throw Error(ErrorKind::InvalidInput,
                  "The distance map of obstacle \"" + name +
                      "\" has a spacing that is not positive; give the voxel size in mm.",
                  name);
  auto shared = std::make_shared<const DistanceMap>(std::move(map));
  RigidObstacle o;
  o.name = std::move(name);
  o.nodes = std::move(nodes);
  if (interpolation == DistanceInterpolation::CubicBSpline) {
    o.signedDistance_mm = [shared](const std::array<double, 3>& x) {
      return cubicBSpline(*shared, x).value;
    };
    o.outwardNormal = [shared](const std::array<double, 3>& x) {
      const Vec3 n = cubicBSpline(*shared, x).gradient_lps;
      return unit({n.x(), n.y(), n.z()});
    };
    return o;
  }
  o.signedDistance_mm = [shared](const std::array<double, 3>& x) { return trilinear(*shared, x); };
  o.outwardNormal = [shared](const std::array<double, 3>& x) {
    std::array<double, 3> gradient{};
    for (int d = 0; d < 3; ++d) {
      std::array<double, 3> plus = x, minus = x;
      plus[d] += shared->geometry.spacing_mm.minCoeff();
      minus[d] -= shared->geometry.spacing_mm.minCoeff();
      gradient[d] = trilinear(*shared, plus) - trilinear(*shared, minus);
    }
    return unit(gradient);
  };
  return o;
}

}  // namespace twinplan::tissue
