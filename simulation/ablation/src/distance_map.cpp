#include "distance_map.h"

#include <cmath>
#include <limits>

#include "twinplan/core/parallel.h"

namespace twinplan::ablation {

namespace {

// Lower envelope of parabolas (Felzenszwalb & Huttenlocher, Theory of Computing 2012;8:415):
// d[q] = min_p (q - p)^2 + f[p], exact squared Euclidean distance one axis at a time.
void distance1d(const std::vector<double>& f, std::vector<double>& d, std::vector<int>& v,
                std::vector<double>& z) {
  const int n = int(f.size());
  constexpr double kInf = std::numeric_limits<double>::infinity();
  int k = -1;
  for (int q = 0; q < n; ++q) {
    if (!std::isfinite(f[q])) continue;
    while (k >= 0) {
      const double s =
          ((f[q] + double(q) * q) - (f[v[k]] + double(v[k]) * v[k])) / (2.0 * q - 2.0 * v[k]);
      if (s <= z[k]) {
        --k;
      } else {
        break;
      }
    }
    ++k;
    v[k] = q;
    z[k] = k == 0 ? -kInf
                  : ((f[q] + double(q) * q) - (f[v[k - 1]] + double(v[k - 1]) * v[k - 1])) /
                        (2.0 * q - 2.0 * v[k - 1]);
    z[k + 1] = kInf;
  }
  if (k < 0) {
    std::fill(d.begin(), d.end(), kInf);
    return;
  }
  int j = 0;
  for (int q = 0; q < n; ++q) {
    while (z[j + 1] < q) ++j;
    d[q] = double(q - v[j]) * double(q - v[j]) + f[v[j]];
  }
}

}  // namespace

// Squared distance (in voxels) from each voxel to the nearest voxel with inside == 0.
std::vector<double> squaredDistanceToOutside_vox(const std::vector<std::uint8_t>& inside,
                                                 const ImageGeometry& grid, Progress& progress) {
  std::vector<double> d2(inside.size());
  for (std::size_t v = 0; v < inside.size(); ++v)
    d2[v] = inside[v] ? std::numeric_limits<double>::infinity() : 0.0;
  const std::int64_t n[3] = {grid.size[0], grid.size[1], grid.size[2]};
  const std::int64_t stride[3] = {1, n[0], n[0] * n[1]};
  for (int axis = 0; axis < 3; ++axis) {
    const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    const std::size_t rows = std::size_t(n[a1] * n[a2]);
    parallel::parallelFor(
        {0, rows}, 256,
        [&](parallel::IndexRange chunk) {
          const std::size_t len = std::size_t(n[axis]);
          std::vector<double> f(len), d(len), z(len + 1);
          std::vector<int> v(len);
          for (std::size_t r = chunk.begin; r < chunk.end; ++r) {
            const std::int64_t u1 = std::int64_t(r) % n[a1], u2 = std::int64_t(r) / n[a1];
            const std::int64_t start = u1 * stride[a1] + u2 * stride[a2];
            for (std::size_t q = 0; q < len; ++q) f[q] = d2[start + std::int64_t(q) * stride[axis]];
            distance1d(f, d, v, z);
            for (std::size_t q = 0; q < len; ++q) d2[start + std::int64_t(q) * stride[axis]] = d[q];
          }
        },
        progress, "Distance map");
  }
  return d2;
}

}  // namespace twinplan::ablation
