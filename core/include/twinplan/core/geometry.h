#pragma once
// Image grid geometry in patient LPS millimetres (DESIGN.md section 2).
#include <Eigen/Core>
#include <array>
#include <cstddef>
#include <cstdint>

namespace twinplan {

using Vec3 = Eigen::Vector3d;
using Mat3 = Eigen::Matrix3d;
using Index3 = std::array<std::int64_t, 3>;  // i fastest

// A regular grid: voxel (i,j,k) has its centre at origin_lps + direction * (spacing .* ijk).
// The columns of `direction` are the unit vectors of the i, j and k axes in LPS.
struct ImageGeometry {
  std::array<std::int64_t, 3> size{0, 0, 0};
  Vec3 origin_lps = Vec3::Zero();
  Vec3 spacing_mm = Vec3::Ones();
  Mat3 direction = Mat3::Identity();

  std::size_t voxelCount() const {
    return static_cast<std::size_t>(size[0]) * static_cast<std::size_t>(size[1]) *
           static_cast<std::size_t>(size[2]);
  }
  std::size_t linearIndex(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return static_cast<std::size_t>(i + size[0] * (j + size[1] * k));
  }
  bool contains(const Vec3& ijk) const;  // continuous index within [-0.5, size-0.5)
  Vec3 indexToLps(const Vec3& ijk) const;
  Vec3 lpsToIndex(const Vec3& p_lps) const;
  // The 4x4 index->LPS affine (mm).
  Eigen::Matrix4d indexToLpsAffine() const;
  // True when grids match within tol_mm at every corner.
  bool sameGridAs(const ImageGeometry& other, double tol_mm = 1e-4) const;
};

}  // namespace twinplan
