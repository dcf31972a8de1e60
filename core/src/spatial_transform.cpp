#include "twinplan/core/spatial_transform.h"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>

#include "twinplan/core/error.h"

namespace twinplan {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The cubic B-spline kernel (order 3), as in ITK's BSplineKernelFunction<3>.
double cubicBSpline(double u) {
  const double a = std::abs(u);
  if (a < 1.0) return (4.0 - 6.0 * a * a + 3.0 * a * a * a) / 6.0;
  if (a < 2.0) return (2.0 - a) * (2.0 - a) * (2.0 - a) / 6.0;
  return 0.0;
}

[[noreturn]] void invalid(const std::string& what, const std::string& why) {
  throw Error(ErrorKind::InvalidInput, "The transform's " + what + " " + why + ".", what);
}

Vec3 vecFrom(const nlohmann::json& j, const std::string& name) {
  if (!j.contains(name) || !j.at(name).is_array() || j.at(name).size() != 3)
    invalid(name, "is not a list of 3 numbers");
  Vec3 v;
  for (int a = 0; a < 3; ++a) {
    if (!j.at(name)[a].is_number()) invalid(name, "is not a list of 3 numbers");
    v[a] = j.at(name)[a].get<double>();
    if (!std::isfinite(v[a])) invalid(name, "is not finite");
  }
  return v;
}

nlohmann::json vecJson(const Vec3& v) { return nlohmann::json::array({v[0], v[1], v[2]}); }

nlohmann::json matrixJson(const Mat3& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) rows.push_back(m(r, c));
  return rows;
}

Mat3 matrixFrom(const nlohmann::json& j, const std::string& name) {
  if (!j.contains(name) || !j.at(name).is_array() || j.at(name).size() != 9)
    invalid(name, "is not a list of 9 numbers (row-major 3x3)");
  Mat3 m;
  for (int i = 0; i < 9; ++i) {
    if (!j.at(name)[i].is_number()) invalid(name, "is not a list of 9 numbers (row-major 3x3)");
    m(i / 3, i % 3) = j.at(name)[i].get<double>();
    if (!std::isfinite(m(i / 3, i % 3))) invalid(name, "is not finite");
  }
  return m;
}

}  // namespace

Vec3 BSplineDisplacement::displacement(const Vec3& p_lps) const {
  if (coefficients.empty()) return Vec3::Zero();
  const Vec3 cidx = grid.lpsToIndex(p_lps);
  std::array<std::int64_t, 3> start{};
  std::array<std::array<double, 4>, 3> weights{};
  for (int a = 0; a < 3; ++a) {
    if (!std::isfinite(cidx[a])) return Vec3::Zero();
    start[a] = static_cast<std::int64_t>(std::floor(cidx[a])) - 1;
    // The 4 nodes of the support must all be on the grid (ITK: zero outside the valid region).
    if (start[a] < 0 || start[a] + 3 > grid.size[a] - 1) return Vec3::Zero();
    for (int k = 0; k < 4; ++k) weights[a][k] = cubicBSpline(cidx[a] - double(start[a] + k));
  }
  Vec3 d = Vec3::Zero();
  for (int k = 0; k < 4; ++k) {
    for (int j = 0; j < 4; ++j) {
      const double wjk = weights[2][k] * weights[1][j];
      const std::int64_t row = ((start[2] + k) * grid.size[1] + (start[1] + j)) * grid.size[0];
      for (int i = 0; i < 4; ++i)
        d += wjk * weights[0][i] * coefficients[static_cast<std::size_t>(row + start[0] + i)];
    }
  }
  return d;
}

bool BSplineDisplacement::operator==(const BSplineDisplacement& o) const {
  return coefficients == o.coefficients && grid.size == o.grid.size &&
         grid.origin_lps == o.grid.origin_lps && grid.spacing_mm == o.grid.spacing_mm &&
         grid.direction == o.grid.direction;
}

SpatialTransform SpatialTransform::rigid(const Mat3& rotation, const Vec3& translation,
                                         const Vec3& centre) {
  SpatialTransform t;
  t.kind = Kind::Rigid;
  t.matrix = rotation;
  t.translation_mm = translation;
  t.centre_lps = centre;
  return t;
}

SpatialTransform SpatialTransform::affine(const Mat3& matrix, const Vec3& translation,
                                          const Vec3& centre) {
  SpatialTransform t = rigid(matrix, translation, centre);
  t.kind = Kind::Affine;
  return t;
}

Vec3 SpatialTransform::apply(const Vec3& p_fixed) const {
  if (kind == Kind::Identity) return p_fixed;
  Vec3 p = p_fixed;
  if (kind == Kind::BSpline) p += bspline.displacement(p_fixed);
  return matrix * (p - centre_lps) + centre_lps + translation_mm;
}

std::optional<Vec3> SpatialTransform::applyInverse(const Vec3& p_moving) const {
  if (kind == Kind::Identity) return p_moving;
  const Eigen::FullPivLU<Mat3> lu(matrix);
  if (!lu.isInvertible()) return std::nullopt;
  // Undo the linear part exactly: q = p_fixed + d(p_fixed).
  const Vec3 q = lu.solve(p_moving - centre_lps - translation_mm) + centre_lps;
  if (kind != Kind::BSpline) return q;
  // p = q - d(p): converges while the displacement's Lipschitz constant is below 1, which
  // holds for the smooth, invertible fields registrations produce.
  Vec3 p = q;
  for (int iteration = 0; iteration < 50; ++iteration) {
    const Vec3 next = q - bspline.displacement(p);
    if ((next - p).norm() < 1e-4) return next;
    p = next;
  }
  return std::nullopt;
}

SpatialTransform SpatialTransform::inverse() const {
  if (kind == Kind::Identity) return *this;
  if (kind == Kind::BSpline)
    throw Error(ErrorKind::InvalidInput,
                "A B-spline registration has no closed-form inverse; register the other way "
                "round instead.",
                "bspline");
  const Eigen::FullPivLU<Mat3> lu(matrix);
  if (!lu.isInvertible())
    throw Error(ErrorKind::InvalidInput, "The transform's matrix is singular.", "matrix");
  // p_fixed = M^-1 (p_moving - c - t) + c: the same centre, matrix M^-1, translation -M^-1 t.
  SpatialTransform inv = *this;
  inv.matrix = lu.inverse();
  inv.translation_mm = -(inv.matrix * translation_mm);
  return inv;
}

Eigen::Matrix4d SpatialTransform::homogeneous() const {
  Eigen::Matrix4d h = Eigen::Matrix4d::Identity();
  if (kind == Kind::Identity) return h;
  h.topLeftCorner<3, 3>() = matrix;
  h.topRightCorner<3, 1>() = centre_lps + translation_mm - matrix * centre_lps;
  return h;
}

Vec3 SpatialTransform::eulerAngles_deg() const {
  Mat3 r = matrix;
  if (kind == Kind::Affine) {
    // The closest rotation: U V^T of the SVD (polar decomposition).
    const Eigen::JacobiSVD<Mat3> svd(matrix, Eigen::ComputeFullU | Eigen::ComputeFullV);
    r = svd.matrixU() * svd.matrixV().transpose();
  }
  // ITK's Euler3DTransform (ComputeZYX off): R = Rz * Rx * Ry.
  const double x = std::asin(std::clamp(r(2, 1), -1.0, 1.0));
  double y = 0.0, z = 0.0;
  if (std::abs(std::cos(x)) > 1e-12) {
    y = std::atan2(-r(2, 0), r(2, 2));
    z = std::atan2(-r(0, 1), r(1, 1));
  } else {
    z = std::atan2(r(1, 0), r(0, 0));
  }
  return Vec3(x, y, z) * (180.0 / kPi);
}

bool SpatialTransform::operator==(const SpatialTransform& o) const {
  return kind == o.kind && matrix == o.matrix && centre_lps == o.centre_lps &&
         translation_mm == o.translation_mm && bspline == o.bspline;
}

bool Registration::operator==(const Registration& o) const {
  return fixedVolume == o.fixedVolume && movingVolume == o.movingVolume && method == o.method &&
         transform == o.transform && quality == o.quality && created == o.created;
}

const char* toString(SpatialTransform::Kind kind) {
  switch (kind) {
    case SpatialTransform::Kind::Identity:
      return "identity";
    case SpatialTransform::Kind::Rigid:
      return "rigid";
    case SpatialTransform::Kind::Affine:
      return "affine";
    case SpatialTransform::Kind::BSpline:
      return "bspline";
  }
  return "identity";
}

SpatialTransform::Kind spatialTransformKindFromString(const std::string& name) {
  for (auto kind : {SpatialTransform::Kind::Identity, SpatialTransform::Kind::Rigid,
                    SpatialTransform::Kind::Affine, SpatialTransform::Kind::BSpline})
    if (name == toString(kind)) return kind;
  throw Error(ErrorKind::InvalidInput,
              "Unknown transform kind \"" + name + "\" (identity, rigid, affine or bspline).",
              "kind");
}

nlohmann::json spatialTransformJson(const SpatialTransform& t) {
  nlohmann::json j = {{"kind", toString(t.kind)},
                      {"matrix", matrixJson(t.matrix)},
                      {"centre_lps", vecJson(t.centre_lps)},
                      {"translation_mm", vecJson(t.translation_mm)}};
  if (t.kind == SpatialTransform::Kind::BSpline) {
    const ImageGeometry& g = t.bspline.grid;
    j["grid"] = {{"size", {g.size[0], g.size[1], g.size[2]}},
                 {"origin_lps", vecJson(g.origin_lps)},
                 {"spacing_mm", vecJson(g.spacing_mm)},
                 {"direction", matrixJson(g.direction)}};
    nlohmann::json flat = nlohmann::json::array();
    for (const Vec3& c : t.bspline.coefficients)
      for (int a = 0; a < 3; ++a) flat.push_back(c[a]);
    j["coefficients"] = std::move(flat);
  }
  return j;
}

SpatialTransform spatialTransformFromJson(const nlohmann::json& j) {
  if (!j.is_object()) invalid("description", "is not a JSON object");
  if (!j.contains("kind") || !j.at("kind").is_string()) invalid("kind", "is missing");
  SpatialTransform t;
  t.kind = spatialTransformKindFromString(j.at("kind").get<std::string>());
  t.matrix = matrixFrom(j, "matrix");
  t.centre_lps = vecFrom(j, "centre_lps");
  t.translation_mm = vecFrom(j, "translation_mm");
  if (t.kind == SpatialTransform::Kind::Rigid &&
      ((t.matrix * t.matrix.transpose() - Mat3::Identity()).norm() > 1e-6 ||
       t.matrix.determinant() < 0))
    invalid("matrix", "is not a rotation, as a rigid transform needs");
  if (t.kind != SpatialTransform::Kind::BSpline) return t;
  if (!j.contains("grid") || !j.at("grid").is_object()) invalid("grid", "is missing");
  const nlohmann::json& g = j.at("grid");
  if (!g.contains("size") || !g.at("size").is_array() || g.at("size").size() != 3)
    invalid("grid size", "is not 3 node counts");
  for (int a = 0; a < 3; ++a) {
    if (!g.at("size")[a].is_number_integer() || g.at("size")[a].get<std::int64_t>() < 4)
      invalid("grid size", "needs at least 4 nodes per axis (a cubic B-spline's support)");
    t.bspline.grid.size[a] = g.at("size")[a].get<std::int64_t>();
  }
  t.bspline.grid.origin_lps = vecFrom(g, "origin_lps");
  t.bspline.grid.spacing_mm = vecFrom(g, "spacing_mm");
  t.bspline.grid.direction = matrixFrom(g, "direction");
  if ((t.bspline.grid.spacing_mm.array() <= 0).any()) invalid("grid spacing", "is not positive");
  const std::size_t nodes = t.bspline.grid.voxelCount();
  if (!j.contains("coefficients") || !j.at("coefficients").is_array() ||
      j.at("coefficients").size() != 3 * nodes)
    invalid("coefficients", "are not 3 numbers per grid node (" + std::to_string(nodes) + ")");
  t.bspline.coefficients.resize(nodes);
  const nlohmann::json& flat = j.at("coefficients");
  for (std::size_t n = 0; n < nodes; ++n) {
    for (int a = 0; a < 3; ++a) {
      const nlohmann::json& v = flat[3 * n + static_cast<std::size_t>(a)];
      if (!v.is_number() || !std::isfinite(v.get<double>()))
        invalid("coefficients", "hold a value that is not a finite number");
      t.bspline.coefficients[n][a] = v.get<double>();
    }
  }
  return t;
}

}  // namespace twinplan
