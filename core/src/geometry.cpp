#include "twinplan/core/geometry.h"

#include <Eigen/LU>

namespace twinplan {

bool ImageGeometry::contains(const Vec3& ijk) const {
  for (int a = 0; a < 3; ++a) {
    if (ijk[a] < -0.5 || ijk[a] >= static_cast<double>(size[a]) - 0.5) return false;
  }
  return true;
}

Vec3 ImageGeometry::indexToLps(const Vec3& ijk) const {
  return origin_lps + direction * spacing_mm.cwiseProduct(ijk);
}

Vec3 ImageGeometry::lpsToIndex(const Vec3& p_lps) const {
  return (direction.inverse() * (p_lps - origin_lps)).cwiseQuotient(spacing_mm);
}

Eigen::Matrix4d ImageGeometry::indexToLpsAffine() const {
  Eigen::Matrix4d affine = Eigen::Matrix4d::Identity();
  affine.topLeftCorner<3, 3>() = direction * spacing_mm.asDiagonal();
  affine.topRightCorner<3, 1>() = origin_lps;
  return affine;
}

bool ImageGeometry::sameGridAs(const ImageGeometry& other, double tol_mm) const {
  if (size != other.size) return false;
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 ijk((corner & 1) ? size[0] - 1 : 0, (corner & 2) ? size[1] - 1 : 0,
             (corner & 4) ? size[2] - 1 : 0);
    if ((indexToLps(ijk) - other.indexToLps(ijk)).norm() > tol_mm) return false;
  }
  return true;
}

}  // namespace twinplan
