#include "twinplan/tissue/displacement_field.h"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::tissue {
namespace {

using parallel::IndexRange;
using parallel::parallelFor;

Vec3 position(const FeModel& model, std::size_t node) {
  const auto& x = model.nodes[node].x_mm;
  return {x[0], x[1], x[2]};
}

// Barycentric coordinates within this tolerance of [0, 1] count as inside, so that points on a
// shared face are found in one of the two elements despite rounding.
constexpr double kInsideTolerance = 1e-9;

// Mid-side node k (Abaqus order, fe_model.h) joins corners kEdges[k].
constexpr std::array<std::array<int, 2>, 6> kEdges{
    {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {1, 3}, {2, 3}}};

}  // namespace

DisplacementInterpolator::DisplacementInterpolator(
    const FeModel& model, std::vector<std::array<double, 3>> displacement_mm)
    : model_(&model), displacement_mm_(std::move(displacement_mm)) {
  if (model.elements.empty())
    throw Error(ErrorKind::InvalidInput,
                "The model has no elements; there is no displacement to interpolate.", model.name);
  if (displacement_mm_.size() != model.nodes.size())
    throw Error(ErrorKind::InvalidInput,
                "The displacement has " + std::to_string(displacement_mm_.size()) +
                    " nodes but the model " + std::to_string(model.nodes.size()) +
                    "; give the solver's result for this model.",
                model.name);
  Vec3 lo = Vec3::Constant(1e300), hi = Vec3::Constant(-1e300);
  double meanEdge_mm = 0;
  toBarycentric_.resize(model.elements.size());
  for (std::size_t e = 0; e < model.elements.size(); ++e) {
    const Element& element = model.elements[e];
    Eigen::Matrix4d corners;
    for (int c = 0; c < 4; ++c) {
      const Vec3 x = position(model, element.nodes[c]);
      corners.col(c) << x, 1.0;
      lo = lo.cwiseMin(x);
      hi = hi.cwiseMax(x);
    }
    meanEdge_mm += (corners.col(1) - corners.col(0)).norm();
    // A flat element has no inverse: it then contains no point (its row stays NaN).
    const Eigen::FullPivLU<Eigen::Matrix4d> lu(corners);
    toBarycentric_[e] =
        lu.isInvertible() ? Eigen::Matrix4d(lu.inverse()) : Eigen::Matrix4d::Constant(std::nan(""));
  }
  meanEdge_mm /= double(model.elements.size());
  // Buckets about two element edges wide: few elements per bucket, few buckets per element.
  bucketSize_mm_ = std::max(2.0 * meanEdge_mm, 1e-6);
  bucketOrigin_ = lo;
  for (int a = 0; a < 3; ++a)
    buckets_[a] = std::max<std::int64_t>(1, std::int64_t((hi[a] - lo[a]) / bucketSize_mm_) + 1);
  bucketElements_.assign(std::size_t(buckets_[0] * buckets_[1] * buckets_[2]), {});
  for (std::size_t e = 0; e < model.elements.size(); ++e) {
    Vec3 elo = Vec3::Constant(1e300), ehi = Vec3::Constant(-1e300);
    for (int c = 0; c < 4; ++c) {
      const Vec3 x = position(model, model.elements[e].nodes[c]);
      elo = elo.cwiseMin(x);
      ehi = ehi.cwiseMax(x);
    }
    std::array<std::int64_t, 3> b0{}, b1{};
    for (int a = 0; a < 3; ++a) {
      b0[a] = std::clamp<std::int64_t>(std::int64_t((elo[a] - lo[a]) / bucketSize_mm_), 0,
                                       buckets_[a] - 1);
      b1[a] = std::clamp<std::int64_t>(std::int64_t((ehi[a] - lo[a]) / bucketSize_mm_), 0,
                                       buckets_[a] - 1);
    }
    for (std::int64_t k = b0[2]; k <= b1[2]; ++k)
      for (std::int64_t j = b0[1]; j <= b1[1]; ++j)
        for (std::int64_t i = b0[0]; i <= b1[0]; ++i)
          bucketElements_[std::size_t(i + buckets_[0] * (j + buckets_[1] * k))].push_back(
              std::uint32_t(e));
  }
}

std::optional<Vec3> DisplacementInterpolator::at(const Vec3& p) const {
  std::array<std::int64_t, 3> b{};
  for (int a = 0; a < 3; ++a) {
    const double t = (p[a] - bucketOrigin_[a]) / bucketSize_mm_;
    if (!(t >= -1e-9) || t > double(buckets_[a]) + 1e-9) return std::nullopt;
    b[a] = std::clamp<std::int64_t>(std::int64_t(t), 0, buckets_[a] - 1);
  }
  const Eigen::Vector4d ph(p[0], p[1], p[2], 1.0);
  for (std::uint32_t e :
       bucketElements_[std::size_t(b[0] + buckets_[0] * (b[1] + buckets_[1] * b[2]))]) {
    const Eigen::Vector4d L = toBarycentric_[e] * ph;
    if (!(L.minCoeff() >= -kInsideTolerance)) continue;
    const Element& element = model_->elements[e];
    Vec3 u = Vec3::Zero();
    auto add = [&](std::size_t node, double weight) {
      const auto& d = displacement_mm_[node];
      u += weight * Vec3(d[0], d[1], d[2]);
    };
    if (element.type == ElementType::C3D4) {
      for (int c = 0; c < 4; ++c) add(element.nodes[c], L[c]);
    } else {
      for (int c = 0; c < 4; ++c) add(element.nodes[c], L[c] * (2 * L[c] - 1));
      for (int m = 0; m < 6; ++m) add(element.nodes[4 + m], 4 * L[kEdges[m][0]] * L[kEdges[m][1]]);
    }
    return u;
  }
  return std::nullopt;
}

Vec3 DisplacementInterpolator::atOrZero(const Vec3& p) const {
  return at(p).value_or(Vec3::Zero());
}

Vec3 DisplacementField::sample(const Vec3& p_lps) const {
  const Vec3 ijk = geometry.lpsToIndex(p_lps);
  std::array<std::int64_t, 3> i0{};
  std::array<double, 3> f{};
  for (int a = 0; a < 3; ++a) {
    const double fl = std::floor(ijk[a]);
    i0[a] = std::int64_t(fl);
    f[a] = ijk[a] - fl;
  }
  Vec3 u = Vec3::Zero();
  for (int c = 0; c < 8; ++c) {
    const std::int64_t i = i0[0] + (c & 1), j = i0[1] + ((c >> 1) & 1), k = i0[2] + (c >> 2);
    if (i < 0 || j < 0 || k < 0 || i >= geometry.size[0] || j >= geometry.size[1] ||
        k >= geometry.size[2])
      continue;  // zero outside the grid
    const double w = ((c & 1) ? f[0] : 1 - f[0]) * (((c >> 1) & 1) ? f[1] : 1 - f[1]) *
                     ((c >> 2) ? f[2] : 1 - f[2]);
    const auto& v = u_mm[geometry.linearIndex(i, j, k)];
    u += w * Vec3(v[0], v[1], v[2]);
  }
  return u;
}

double DisplacementField::maxMagnitude_mm() const {
  double largest = 0;
  for (const auto& v : u_mm)
    largest = std::max(largest,
                       std::sqrt(double(v[0]) * v[0] + double(v[1]) * v[1] + double(v[2]) * v[2]));
  return largest;
}

DisplacementField rasterizeDisplacement(const DisplacementInterpolator& interpolator,
                                        const ImageGeometry& grid, Progress& progress) {
  DisplacementField field;
  field.geometry = grid;
  field.u_mm.assign(grid.voxelCount(), {0.f, 0.f, 0.f});
  const std::size_t slice = std::size_t(grid.size[0] * grid.size[1]);
  parallelFor(
      {0, std::size_t(grid.size[2])}, 1,
      [&](IndexRange slices) {
        for (std::size_t k = slices.begin; k < slices.end; ++k)
          for (std::int64_t j = 0; j < grid.size[1]; ++j)
            for (std::int64_t i = 0; i < grid.size[0]; ++i) {
              const Vec3 p = grid.indexToLps(Vec3(double(i), double(j), double(k)));
              if (const auto u = interpolator.at(p))
                field.u_mm[k * slice + std::size_t(i + grid.size[0] * j)] = {
                    float((*u)[0]), float((*u)[1]), float((*u)[2])};
            }
      },
      progress, "Displacement field");
  return field;
}

std::vector<ScalarField> displacementFields(const DisplacementField& field,
                                            const std::string& name) {
  static const char* kSuffix[4] = {" |u|", " uL", " uP", " uS"};
  std::vector<ScalarField> fields(4);
  for (int f = 0; f < 4; ++f) {
    fields[f].name = name + kSuffix[f];
    fields[f].quantity = "displacement";
    fields[f].unit = units::kMillimetre;
    fields[f].geometry = field.geometry;
    fields[f].values.resize(field.u_mm.size());
  }
  for (std::size_t v = 0; v < field.u_mm.size(); ++v) {
    const auto& u = field.u_mm[v];
    fields[0].values[v] = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    for (int a = 0; a < 3; ++a) fields[1 + a].values[v] = u[a];
  }
  return fields;
}

Vec3 pullBack(const DisplacementField& field, const Vec3& y) {
  const double tolerance_mm = 1e-3 * field.geometry.spacing_mm.minCoeff();
  Vec3 x = y;
  for (int iteration = 0; iteration < 30; ++iteration) {
    const Vec3 next = y - field.sample(x);
    const double step = (next - x).norm();
    x = next;
    if (step < tolerance_mm) break;
  }
  return x;
}

namespace {

template <class VoxelAt>
void forEachVoxel(const ImageGeometry& grid, Progress& progress, const char* step,
                  VoxelAt&& voxelAt) {
  parallelFor(
      {0, std::size_t(grid.size[2])}, 1,
      [&](IndexRange slices) {
        for (std::size_t k = slices.begin; k < slices.end; ++k)
          for (std::int64_t j = 0; j < grid.size[1]; ++j)
            for (std::int64_t i = 0; i < grid.size[0]; ++i)
              voxelAt(grid.linearIndex(i, j, std::int64_t(k)),
                      grid.indexToLps(Vec3(double(i), double(j), double(k))));
      },
      progress, step);
}

float trilinear(const std::vector<float>& values, const ImageGeometry& grid, const Vec3& ijk,
                float outside) {
  std::array<std::int64_t, 3> i0{};
  std::array<double, 3> f{};
  for (int a = 0; a < 3; ++a) {
    // Clamp to the voxel centres at the edges; beyond half a voxel is outside.
    if (!(ijk[a] >= -0.5) || ijk[a] > double(grid.size[a]) - 0.5) return outside;
    const double t = std::clamp(ijk[a], 0.0, double(grid.size[a] - 1));
    i0[a] = std::min<std::int64_t>(std::int64_t(t), grid.size[a] - 2 < 0 ? 0 : grid.size[a] - 2);
    f[a] = t - double(i0[a]);
  }
  double sum = 0;
  for (int c = 0; c < 8; ++c) {
    const std::int64_t i = std::min(i0[0] + (c & 1), grid.size[0] - 1);
    const std::int64_t j = std::min(i0[1] + ((c >> 1) & 1), grid.size[1] - 1);
    const std::int64_t k = std::min(i0[2] + (c >> 2), grid.size[2] - 1);
    const double w = ((c & 1) ? f[0] : 1 - f[0]) * (((c >> 1) & 1) ? f[1] : 1 - f[1]) *
                     ((c >> 2) ? f[2] : 1 - f[2]);
    sum += w * values[grid.linearIndex(i, j, k)];
  }
  return float(sum);
}

}  // namespace

std::vector<float> warpImage(const std::vector<float>& values, const DisplacementField& field,
                             float outside, Progress& progress) {
  const ImageGeometry& grid = field.geometry;
  if (values.size() != grid.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                "The image has " + std::to_string(values.size()) + " voxels but the field's grid " +
                    std::to_string(grid.voxelCount()) +
                    "; rasterise the field on the image's grid.",
                "image");
  std::vector<float> warped(values.size(), outside);
  forEachVoxel(grid, progress, "Warp image", [&](std::size_t v, const Vec3& y) {
    warped[v] = trilinear(values, grid, grid.lpsToIndex(pullBack(field, y)), outside);
  });
  return warped;
}

LabelMap warpLabelMap(const LabelMap& labels, const DisplacementField& field, Progress& progress) {
  const ImageGeometry& grid = field.geometry;
  if (!labels.geometry().sameGridAs(grid))
    throw Error(ErrorKind::InvalidInput,
                "The labelmap \"" + labels.name +
                    "\" is not on the displacement field's grid; rasterise the field on it.",
                labels.name);
  // The pulled-back voxel of every output voxel, once for all layers.
  std::vector<std::int64_t> source(grid.voxelCount(), -1);
  forEachVoxel(grid, progress, "Warp labelmap", [&](std::size_t v, const Vec3& y) {
    const Vec3 ijk = grid.lpsToIndex(pullBack(field, y));
    std::array<std::int64_t, 3> n{};
    for (int a = 0; a < 3; ++a) {
      n[a] = std::llround(ijk[a]);
      if (n[a] < 0 || n[a] >= grid.size[a]) return;
    }
    source[v] = std::int64_t(grid.linearIndex(n[0], n[1], n[2]));
  });
  LabelMap warped = labels;
  for (int l = 0; l < labels.layerCount(); ++l) {
    const std::vector<std::uint16_t>& in = labels.layer(l);
    std::vector<std::uint16_t>& out = warped.layer(l);
    for (std::size_t v = 0; v < out.size(); ++v)
      out[v] = source[v] < 0 ? std::uint16_t(0) : in[std::size_t(source[v])];
  }
  return warped;
}

SurfaceMesh warpSurfaceMesh(const SurfaceMesh& mesh, const DisplacementInterpolator& u) {
  SurfaceMesh warped = mesh;
  warped.normals.clear();
  for (auto& p : warped.points_lps) {
    const Vec3 d = u.atOrZero(Vec3(p[0], p[1], p[2]));
    for (int a = 0; a < 3; ++a) p[a] = float(p[a] + d[a]);
  }
  return warped;
}

TargetShift shiftTarget(const DisplacementInterpolator& u, std::string name, const Vec3& p) {
  TargetShift t;
  t.name = std::move(name);
  t.before_lps = p;
  const std::optional<Vec3> d = u.at(p);
  t.insideMesh = d.has_value();
  t.shift_mm = d.value_or(Vec3::Zero());
  t.after_lps = p + t.shift_mm;
  t.magnitude_mm = t.shift_mm.norm();
  return t;
}

}  // namespace twinplan::tissue
