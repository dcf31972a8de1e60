#pragma once
// Where a point of one series' patient space lies in another's: the result of an image
// registration, stored in the case and applied on the fly by the views and by resampling.
//
// Convention (ITK's, so that transforms round-trip through .tfm files unchanged): a transform
// maps a point of the FIXED (reference) series to the MOVING series, both in LPS mm. Resampling
// the moving image onto the fixed grid reads the moving image at transform(p_fixed); a view
// showing the moving series fused over the fixed one does the same for every pixel.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"

namespace twinplan {

// A cubic B-spline displacement on a regular control grid, as ITK's BSplineTransform of order 3:
// `grid` places the control points (origin = the first node, spacing, direction, nodes per
// axis); `coefficients` holds one LPS displacement (mm) per node, i fastest. The displacement
// of a point is the tensor-product cubic B-spline sum of the 4x4x4 nodes around it; it is zero
// where the point's support leaves the grid (ITK's convention).
struct BSplineDisplacement {
  ImageGeometry grid;
  std::vector<Vec3> coefficients;
  bool empty() const { return coefficients.empty(); }
  Vec3 displacement(const Vec3& p_lps) const;
  bool operator==(const BSplineDisplacement&) const;
};

struct SpatialTransform {
  enum class Kind { Identity, Rigid, Affine, BSpline };
  Kind kind = Kind::Identity;
  // The linear part: p_moving = matrix * (p - centre) + centre + translation, where p is
  // p_fixed for Rigid/Affine and p_fixed + bspline(p_fixed) for BSpline (ITK's composite
  // transform [affine, B-spline]: the B-spline acts first, the affine - the bulk motion found
  // before it - second). Rigid: matrix is a rotation.
  Mat3 matrix = Mat3::Identity();
  Vec3 centre_lps = Vec3::Zero();
  Vec3 translation_mm = Vec3::Zero();
  BSplineDisplacement bspline;  // BSpline only

  static SpatialTransform identity() { return {}; }
  static SpatialTransform rigid(const Mat3& rotation, const Vec3& translation_mm,
                                const Vec3& centre_lps = Vec3::Zero());
  static SpatialTransform affine(const Mat3& matrix, const Vec3& translation_mm,
                                 const Vec3& centre_lps = Vec3::Zero());

  bool isLinear() const { return kind != Kind::BSpline; }
  // fixed -> moving.
  Vec3 apply(const Vec3& p_fixed) const;
  // moving -> fixed. Exact for linear transforms; for a B-spline, solved by fixed-point
  // iteration to 1e-4 mm (valid while the deformation is invertible, i.e. a registration
  // result); returns nullopt when it does not converge.
  std::optional<Vec3> applyInverse(const Vec3& p_moving) const;
  // The inverse of a linear transform (throws Error(InvalidInput) for B-spline or a singular
  // matrix).
  SpatialTransform inverse() const;
  // The rigid/affine part as a 4x4 homogeneous matrix (fixed -> moving), and back.
  Eigen::Matrix4d homogeneous() const;
  // Rotation angles (deg) of a rigid matrix about L, P, S, as ITK's Euler3DTransform (ZXY
  // order); for an affine, of the matrix's closest rotation (polar decomposition).
  Vec3 eulerAngles_deg() const;
  bool operator==(const SpatialTransform&) const;
};

const char* toString(SpatialTransform::Kind kind);  // "identity" | "rigid" | "affine" | "bspline"
SpatialTransform::Kind spatialTransformKindFromString(const std::string& name);  // throws Error

// One registration between two volumes of a case, found by a registration job, placed by
// landmarks or imported from a file.
struct Registration {
  std::string fixedVolume;   // ImageVolume::name of the reference series
  std::string movingVolume;  // ImageVolume::name of the series brought onto it
  // "rigid" | "affine" | "bspline" | "landmark" | "imported" (how it was made, for the user)
  std::string method;
  SpatialTransform transform;  // fixed -> moving
  // How good it is, as the job reported it: {"metric": "mattes-mutual-information",
  // "metric_value": -0.71, "iterations": 84, "tre_mm": 0.4, ...}; free-form.
  nlohmann::json quality = nlohmann::json::object();
  std::string created;  // ISO-8601 UTC
  bool operator==(const Registration&) const;
};

// JSON form (the case file, job results): {"kind", "matrix" (row-major 9), "centre_lps",
// "translation_mm", and for bspline "grid" (geometryJson-like) + "coefficients" (flat 3n)}.
nlohmann::json spatialTransformJson(const SpatialTransform& transform);
SpatialTransform spatialTransformFromJson(const nlohmann::json& j);  // throws Error(InvalidInput)

}  // namespace twinplan
