#include "twinplan/rendering/slice_sampler.h"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::rendering {

const char* toString(SliceOrientation orientation) {
  switch (orientation) {
    case SliceOrientation::Axial:
      return "axial";
    case SliceOrientation::Coronal:
      return "coronal";
    case SliceOrientation::Sagittal:
      return "sagittal";
  }
  return "unknown";
}

void screenAxes(SliceOrientation orientation, Vec3& right, Vec3& down) {
  // LPS: +x patient left, +y posterior, +z superior.
  switch (orientation) {
    case SliceOrientation::Axial:
      right = Vec3(1, 0, 0);  // towards patient left
      down = Vec3(0, 1, 0);   // towards posterior
      break;
    case SliceOrientation::Coronal:
      right = Vec3(1, 0, 0);
      down = Vec3(0, 0, -1);  // towards inferior
      break;
    case SliceOrientation::Sagittal:
      right = Vec3(0, 1, 0);  // towards posterior: anterior on the left
      down = Vec3(0, 0, -1);
      break;
  }
}

namespace {

// The eight corner voxel centres of a grid, in LPS.
std::array<Vec3, 8> corners(const ImageGeometry& g) {
  std::array<Vec3, 8> out;
  for (int c = 0; c < 8; ++c) {
    out[c] = g.indexToLps(Vec3((c & 1) ? g.size[0] - 1 : 0, (c & 2) ? g.size[1] - 1 : 0,
                               (c & 4) ? g.size[2] - 1 : 0));
  }
  return out;
}

// One grid axis of a sample: the two neighbouring voxels (as offsets into the voxel array,
// index * stride) and the weight of the upper one, exactly as the general path computes them.
struct AxisSample {
  std::int64_t lo = 0, hi = 0;
  double f = 0.0;
  bool inside = false;
};

AxisSample axisSample(double position, std::int64_t n, std::int64_t stride) {
  AxisSample a;
  // Clamp to the edge voxels within half a voxel, so the first and last slices show.
  const double x = std::clamp(position, 0.0, double(n - 1));
  a.inside = std::abs(x - position) <= 0.5;
  const std::int64_t x0 = std::min<std::int64_t>(static_cast<std::int64_t>(x), n - 1);
  const std::int64_t x1 = std::min(x0 + 1, n - 1);
  a.f = x - x0;
  a.lo = x0 * stride;
  a.hi = x1 * stride;
  return a;
}

// Trilinear interpolation in the order of the general path (x, then y, then z), so both paths
// give the same numbers. A zero weight skips its neighbours: v * 1 + w * 0 == v.
template <class T>
inline float trilinear(const T* voxels, const AxisSample& x, const AxisSample& y,
                       const AxisSample& z) {
  auto line = [&](std::int64_t yz) {
    const double a = static_cast<double>(voxels[x.lo + yz]);
    if (x.f == 0.0) return a;
    return a * (1 - x.f) + static_cast<double>(voxels[x.hi + yz]) * x.f;
  };
  auto plane = [&](std::int64_t zOffset) {
    const double c0 = line(y.lo + zOffset);
    if (y.f == 0.0) return c0;
    return c0 * (1 - y.f) + line(y.hi + zOffset) * y.f;
  };
  const double c0 = plane(z.lo);
  if (z.f == 0.0) return static_cast<float>(c0);
  return static_cast<float>(c0 * (1 - z.f) + plane(z.hi) * z.f);
}

// The index axis a step vector moves along, or -1 when it moves along more than one.
int singleAxis(const Vec3& step) {
  int axis = -1;
  for (int a = 0; a < 3; ++a) {
    if (step[a] == 0.0) continue;
    if (axis >= 0) return -1;
    axis = a;
  }
  return axis;
}

// Runs rows(first, last) over [0, height) on the parallel layer (core/parallel.h), in chunks
// of about 16k pixels (32 rows of a 512-pixel slice, some 50 us of work): enough chunks to
// balance the cores on a large slice, few enough that a small one stays on the calling
// thread. Rows are independent, so the pixels do not depend on the split.
template <class Rows>
void parallelRows(int width, int height, const Rows& rows) {
  constexpr std::size_t kPixelsPerChunk = 16384;
  const std::size_t rowsPerChunk =
      std::max<std::size_t>(1, kPixelsPerChunk / static_cast<std::size_t>(std::max(width, 1)));
  parallel::parallelFor(parallel::IndexRange{0, static_cast<std::size_t>(height)}, rowsPerChunk,
                        [&rows](parallel::IndexRange chunk) {
                          rows(static_cast<int>(chunk.begin), static_cast<int>(chunk.end));
                        });
}

// Planes whose rows and columns each run along one grid axis (the axial, coronal and sagittal
// views of an unrotated grid): per-column, per-row and per-plane axis samples are computed
// once, and the hot loop only interpolates. Same numbers as the general path. U, V: the grid
// axes of the plane's columns and rows, fixed at compile time so the samples stay in registers.
template <int U, int V, class T>
void sampleAligned(const T* voxels, const ImageGeometry& g, const SlicePlane& plane, float outside,
                   const Vec3& start, const Vec3& du, const Vec3& dv, std::vector<float>& pixels) {
  constexpr int W = 3 - U - V;
  const std::int64_t strides[3] = {1, g.size[0], g.size[0] * g.size[1]};
  // The general path's positions, start + v * dv then += du once per column, where dv has no
  // U component and du none along the other two axes.
  std::vector<AxisSample> columns(static_cast<std::size_t>(plane.width));
  double position = start[U];
  for (int u = 0; u < plane.width; ++u, position += du[U])
    columns[static_cast<std::size_t>(u)] = axisSample(position, g.size[U], strides[U]);
  const AxisSample fixed = axisSample(start[W], g.size[W], strides[W]);
  parallelRows(plane.width, plane.height, [&](int first, int last) {
    for (int v = first; v < last; ++v) {
      float* row = pixels.data() + static_cast<std::size_t>(v) * plane.width;
      const AxisSample rowSample = axisSample(start[V] + v * dv[V], g.size[V], strides[V]);
      if (!fixed.inside || !rowSample.inside) {
        std::fill(row, row + plane.width, outside);
        continue;
      }
      for (int u = 0; u < plane.width; ++u) {
        const AxisSample& column = columns[static_cast<std::size_t>(u)];
        if (!column.inside) {
          row[u] = outside;
          continue;
        }
        const AxisSample& x = U == 0 ? column : V == 0 ? rowSample : fixed;
        const AxisSample& y = U == 1 ? column : V == 1 ? rowSample : fixed;
        const AxisSample& z = U == 2 ? column : V == 2 ? rowSample : fixed;
        row[u] = trilinear(voxels, x, y, z);
      }
    }
  });
}

template <class T>
bool sampleAlignedAny(const T* voxels, const ImageGeometry& g, const SlicePlane& plane,
                      float outside, const Vec3& start, const Vec3& du, const Vec3& dv,
                      std::vector<float>& pixels) {
  const int u = singleAxis(du), v = singleAxis(dv);
  auto run = [&](auto kernel) {
    kernel(voxels, g, plane, outside, start, du, dv, pixels);
    return true;
  };
  if (u == 0 && v == 1) return run(sampleAligned<0, 1, T>);  // axial
  if (u == 0 && v == 2) return run(sampleAligned<0, 2, T>);  // coronal
  if (u == 1 && v == 2) return run(sampleAligned<1, 2, T>);  // sagittal
  if (u == 1 && v == 0) return run(sampleAligned<1, 0, T>);
  if (u == 2 && v == 0) return run(sampleAligned<2, 0, T>);
  if (u == 2 && v == 1) return run(sampleAligned<2, 1, T>);
  return false;
}

template <class T>
void sampleTyped(const T* voxels, const ImageGeometry& g, const SlicePlane& plane, float outside,
                 std::vector<float>& pixels) {
  const Mat3 toIndex = (g.direction * g.spacing_mm.asDiagonal()).inverse();
  const Vec3 du = toIndex * (plane.right * plane.spacing_mm);
  const Vec3 dv = toIndex * (plane.down * plane.spacing_mm);
  const Vec3 start = toIndex * (plane.origin_lps - g.origin_lps);
  const std::int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  const std::int64_t sy = nx, sz = nx * ny;
  pixels.resize(static_cast<std::size_t>(plane.width) * static_cast<std::size_t>(plane.height));
  if (sampleAlignedAny(voxels, g, plane, outside, start, du, dv, pixels)) return;
  // Oblique planes (a tilted grid, a rotated fusion layer): rows in parallel too.
  parallelRows(plane.width, plane.height, [&](int first, int last) {
    for (int v = first; v < last; ++v) {
      Vec3 ijk = start + v * dv;
      float* row = pixels.data() + static_cast<std::size_t>(v) * plane.width;
      for (int u = 0; u < plane.width; ++u, ijk += du) {
        // Clamp to the edge voxels within half a voxel, so the first and last slices show.
        const double x = std::clamp(ijk[0], 0.0, double(nx - 1));
        const double y = std::clamp(ijk[1], 0.0, double(ny - 1));
        const double z = std::clamp(ijk[2], 0.0, double(nz - 1));
        if (std::abs(x - ijk[0]) > 0.5 || std::abs(y - ijk[1]) > 0.5 ||
            std::abs(z - ijk[2]) > 0.5) {
          row[u] = outside;
          continue;
        }
        const std::int64_t x0 = std::min<std::int64_t>(static_cast<std::int64_t>(x), nx - 1);
        const std::int64_t y0 = std::min<std::int64_t>(static_cast<std::int64_t>(y), ny - 1);
        const std::int64_t z0 = std::min<std::int64_t>(static_cast<std::int64_t>(z), nz - 1);
        const std::int64_t x1 = std::min(x0 + 1, nx - 1), y1 = std::min(y0 + 1, ny - 1),
                           z1 = std::min(z0 + 1, nz - 1);
        const double fx = x - x0, fy = y - y0, fz = z - z0;
        auto at = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
          return static_cast<double>(voxels[i + j * sy + k * sz]);
        };
        const double c00 = at(x0, y0, z0) * (1 - fx) + at(x1, y0, z0) * fx;
        const double c10 = at(x0, y1, z0) * (1 - fx) + at(x1, y1, z0) * fx;
        const double c01 = at(x0, y0, z1) * (1 - fx) + at(x1, y0, z1) * fx;
        const double c11 = at(x0, y1, z1) * (1 - fx) + at(x1, y1, z1) * fx;
        const double c0 = c00 * (1 - fy) + c10 * fy;
        const double c1 = c01 * (1 - fy) + c11 * fy;
        row[u] = static_cast<float>(c0 * (1 - fz) + c1 * fz);
      }
    }
  });
}

// The trilinear value at a continuous index, as the general path computes it (same clamping
// within half a voxel of the edge); `outside` beyond that.
template <class T>
float trilinearAtIndex(const T* voxels, const ImageGeometry& g, const Vec3& ijk, float outside) {
  const AxisSample x = axisSample(ijk[0], g.size[0], 1);
  const AxisSample y = axisSample(ijk[1], g.size[1], g.size[0]);
  const AxisSample z = axisSample(ijk[2], g.size[2], g.size[0] * g.size[1]);
  if (!x.inside || !y.inside || !z.inside) return outside;
  return trilinear(voxels, x, y, z);
}

// Calls f(voxels) with the typed voxel pointer of a greyscale volume; false for Rgb8.
template <class F>
bool withGreyVoxels(const ImageVolume& volume, const F& f) {
  switch (volume.pixelType()) {
    case PixelType::UInt8:
      f(volume.voxels<std::uint8_t>().data());
      return true;
    case PixelType::Int16:
      f(volume.voxels<std::int16_t>().data());
      return true;
    case PixelType::UInt16:
      f(volume.voxels<std::uint16_t>().data());
      return true;
    case PixelType::Int32:
      f(volume.voxels<std::int32_t>().data());
      return true;
    case PixelType::Float32:
      f(volume.voxels<float>().data());
      return true;
    case PixelType::Rgb8:
      return false;
  }
  return false;
}

// The largest spacing (mm) of the nodes where a non-linear transform is evaluated exactly on
// a slice; pixels between them interpolate the mapped positions bilinearly. A registration's
// B-spline is smooth on the scale of its control points (typically 10 to 50 mm apart), so the
// bilinear error, h^2/8 times the displacement's second derivative, stays far below 0.1 mm for
// h = 3 mm (0.01 mm measured in rendering_fusion_test: BSplineNodesAgreeWithEveryPixel), inside
// a PET or MR voxel, while the transform runs ~20x less often on a 0.7 mm CT plane.
constexpr double kDeformedNodeSpacing_mm = 3.0;

// A B-spline (or any non-linear) transform: the transform at nodes every `stride` pixels (and
// on the last row and column), continuous layer indices interpolated between them.
template <class T>
void sampleDeformed(const T* voxels, const ImageGeometry& g, const SlicePlane& plane,
                    const SpatialTransform& transform, float outside, std::vector<float>& pixels) {
  const Mat3 toIndex = (g.direction * g.spacing_mm.asDiagonal()).inverse();
  const int stride =
      std::max(1, static_cast<int>(std::floor(kDeformedNodeSpacing_mm / plane.spacing_mm)));
  auto nodeCount = [stride](int pixels) { return (pixels - 1 + stride - 1) / stride + 1; };
  const int nu = nodeCount(plane.width), nv = nodeCount(plane.height);
  auto nodePixel = [stride](int node, int pixels) { return std::min(node * stride, pixels - 1); };
  std::vector<Vec3> nodes(static_cast<std::size_t>(nu) * static_cast<std::size_t>(nv));
  parallelRows(nu, nv, [&](int first, int last) {
    for (int b = first; b < last; ++b)
      for (int a = 0; a < nu; ++a) {
        const Vec3 p = plane.pixelToLps(nodePixel(a, plane.width), nodePixel(b, plane.height));
        nodes[static_cast<std::size_t>(b) * nu + a] = toIndex * (transform.apply(p) - g.origin_lps);
      }
  });
  parallelRows(plane.width, plane.height, [&](int first, int last) {
    for (int v = first; v < last; ++v) {
      const int b = std::min(v / stride, nv - 2 < 0 ? 0 : nv - 2);
      const int v0 = nodePixel(b, plane.height),
                v1 = nodePixel(b + 1 < nv ? b + 1 : b, plane.height);
      const double fv = v1 > v0 ? double(v - v0) / (v1 - v0) : 0.0;
      const std::size_t rowB = static_cast<std::size_t>(b) * nu;
      const std::size_t rowB1 = static_cast<std::size_t>(b + 1 < nv ? b + 1 : b) * nu;
      float* row = pixels.data() + static_cast<std::size_t>(v) * plane.width;
      for (int u = 0; u < plane.width; ++u) {
        const int a = std::min(u / stride, nu - 2 < 0 ? 0 : nu - 2);
        const int a1 = a + 1 < nu ? a + 1 : a;
        const int u0 = nodePixel(a, plane.width), u1 = nodePixel(a1, plane.width);
        const double fu = u1 > u0 ? double(u - u0) / (u1 - u0) : 0.0;
        const Vec3 top = (1 - fu) * nodes[rowB + a] + fu * nodes[rowB + a1];
        const Vec3 bottom = (1 - fu) * nodes[rowB1 + a] + fu * nodes[rowB1 + a1];
        row[u] = trilinearAtIndex(voxels, g, (1 - fv) * top + fv * bottom, outside);
      }
    }
  });
}

}  // namespace

void extentAlong(const ImageGeometry& geometry, const Vec3& normal, double& min_mm,
                 double& max_mm) {
  min_mm = std::numeric_limits<double>::max();
  max_mm = std::numeric_limits<double>::lowest();
  for (const Vec3& c : corners(geometry)) {
    min_mm = std::min(min_mm, c.dot(normal));
    max_mm = std::max(max_mm, c.dot(normal));
  }
}

SlicePlane planeCovering(const ImageGeometry& geometry, SliceOrientation orientation,
                         const Vec3& centre_lps) {
  SlicePlane plane;
  screenAxes(orientation, plane.right, plane.down);
  plane.spacing_mm = std::min(geometry.spacing_mm[0], geometry.spacing_mm[1]);
  plane.spacing_mm = std::min(plane.spacing_mm, geometry.spacing_mm[2]);
  double uMin, uMax, vMin, vMax;
  extentAlong(geometry, plane.right, uMin, uMax);
  extentAlong(geometry, plane.down, vMin, vMax);
  plane.width = static_cast<int>(std::ceil((uMax - uMin) / plane.spacing_mm)) + 1;
  plane.height = static_cast<int>(std::ceil((vMax - vMin) / plane.spacing_mm)) + 1;
  const Vec3 normal = plane.normal();
  plane.origin_lps = uMin * plane.right + vMin * plane.down + centre_lps.dot(normal) * normal;
  return plane;
}

void sampleSlice(const ImageVolume& volume, const SlicePlane& plane, float outside,
                 std::vector<float>& pixels) {
  const ImageGeometry& g = volume.geometry();
  switch (volume.pixelType()) {
    case PixelType::UInt8:
      return sampleTyped(volume.voxels<std::uint8_t>().data(), g, plane, outside, pixels);
    case PixelType::Int16:
      return sampleTyped(volume.voxels<std::int16_t>().data(), g, plane, outside, pixels);
    case PixelType::UInt16:
      return sampleTyped(volume.voxels<std::uint16_t>().data(), g, plane, outside, pixels);
    case PixelType::Int32:
      return sampleTyped(volume.voxels<std::int32_t>().data(), g, plane, outside, pixels);
    case PixelType::Float32:
      return sampleTyped(volume.voxels<float>().data(), g, plane, outside, pixels);
    case PixelType::Rgb8: {
      std::vector<RgbColour> colours;
      sampleColourSlice(volume, plane, RgbColour{}, colours);
      pixels.resize(colours.size());
      for (std::size_t n = 0; n < colours.size(); ++n) {
        // ITU-R BT.601 luma, as ImageVolume::valueAt.
        pixels[n] =
            static_cast<float>(0.299 * colours[n].r + 0.587 * colours[n].g + 0.114 * colours[n].b);
      }
      return;
    }
  }
}

void sampleColourSlice(const ImageVolume& volume, const SlicePlane& plane, RgbColour outside,
                       std::vector<RgbColour>& pixels) {
  const ImageGeometry& g = volume.geometry();
  const std::span<const RgbColour> voxels = volume.voxels<RgbColour>();
  const Mat3 toIndex = (g.direction * g.spacing_mm.asDiagonal()).inverse();
  const Vec3 du = toIndex * (plane.right * plane.spacing_mm);
  const Vec3 dv = toIndex * (plane.down * plane.spacing_mm);
  const Vec3 start = toIndex * (plane.origin_lps - g.origin_lps);
  pixels.assign(static_cast<std::size_t>(plane.width) * static_cast<std::size_t>(plane.height),
                outside);
  for (int v = 0; v < plane.height; ++v) {
    Vec3 ijk = start + v * dv;
    RgbColour* row = pixels.data() + static_cast<std::size_t>(v) * plane.width;
    for (int u = 0; u < plane.width; ++u, ijk += du) {
      const auto i = static_cast<std::int64_t>(std::floor(ijk[0] + 0.5));
      const auto j = static_cast<std::int64_t>(std::floor(ijk[1] + 0.5));
      const auto k = static_cast<std::int64_t>(std::floor(ijk[2] + 0.5));
      if (i < 0 || j < 0 || k < 0 || i >= g.size[0] || j >= g.size[1] || k >= g.size[2]) continue;
      row[u] = voxels[g.linearIndex(i, j, k)];
    }
  }
}

void sampleField(const ScalarField& field, const SlicePlane& plane, float outside,
                 std::vector<float>& pixels) {
  sampleTyped(field.values.data(), field.geometry, plane, outside, pixels);
}

namespace {

// Calls at(u, v, voxelIndex) for every pixel of `plane` whose nearest voxel centre lies on the
// grid `g`, rows in parallel; (i, j, k) is that voxel.
template <class At>
void forEachNearestVoxel(const ImageGeometry& g, const SlicePlane& plane, const At& at) {
  const Mat3 toIndex = (g.direction * g.spacing_mm.asDiagonal()).inverse();
  const Vec3 du = toIndex * (plane.right * plane.spacing_mm);
  const Vec3 dv = toIndex * (plane.down * plane.spacing_mm);
  const Vec3 start = toIndex * (plane.origin_lps - g.origin_lps);
  parallel::parallelFor(
      {0, static_cast<std::size_t>(std::max(plane.height, 0))}, 16, [&](parallel::IndexRange rows) {
        for (std::size_t v = rows.begin; v < rows.end; ++v) {
          Vec3 ijk = start + static_cast<double>(v) * dv;
          for (int u = 0; u < plane.width; ++u, ijk += du) {
            const auto i = static_cast<std::int64_t>(std::floor(ijk[0] + 0.5));
            const auto j = static_cast<std::int64_t>(std::floor(ijk[1] + 0.5));
            const auto k = static_cast<std::int64_t>(std::floor(ijk[2] + 0.5));
            if (i < 0 || j < 0 || k < 0 || i >= g.size[0] || j >= g.size[1] || k >= g.size[2])
              continue;
            at(static_cast<std::size_t>(u), v, i, j, k);
          }
        }
      });
}

}  // namespace

void sampleLabels(const std::vector<std::uint16_t>& layer, const ImageGeometry& g,
                  const SlicePlane& plane, std::vector<std::uint16_t>& labels) {
  labels.assign(static_cast<std::size_t>(plane.width) * static_cast<std::size_t>(plane.height), 0);
  const auto width = static_cast<std::size_t>(plane.width);
  forEachNearestVoxel(g, plane, [&](std::size_t u, std::size_t v, auto i, auto j, auto k) {
    labels[v * width + u] = layer[g.linearIndex(i, j, k)];
  });
}

void sampleLabelSlices(std::span<const std::uint16_t* const> slices, const ImageGeometry& g,
                       const SlicePlane& plane, std::vector<std::uint16_t>& labels) {
  labels.assign(static_cast<std::size_t>(plane.width) * static_cast<std::size_t>(plane.height), 0);
  const auto width = static_cast<std::size_t>(plane.width);
  forEachNearestVoxel(g, plane, [&](std::size_t u, std::size_t v, auto i, auto j, auto k) {
    labels[v * width + u] = slices[static_cast<std::size_t>(k)][j * g.size[0] + i];
  });
}

void sampleInRange(const ImageVolume& volume, const SlicePlane& plane, double min, double max,
                   std::vector<std::uint8_t>& inRange) {
  inRange.assign(static_cast<std::size_t>(plane.width) * static_cast<std::size_t>(plane.height), 0);
  const auto width = static_cast<std::size_t>(plane.width);
  const ImageGeometry& g = volume.geometry();
  withGreyVoxels(volume, [&](const auto* voxels) {
    forEachNearestVoxel(g, plane, [&](std::size_t u, std::size_t v, auto i, auto j, auto k) {
      const double value = static_cast<double>(voxels[g.linearIndex(i, j, k)]);
      inRange[v * width + u] = value >= min && value <= max && !volume.isPadding(value);
    });
  });
}

void sampleSliceThrough(const ImageVolume& layer, const SlicePlane& plane,
                        const SpatialTransform& backgroundToLayer, float outside,
                        std::vector<float>& pixels) {
  if (backgroundToLayer.isLinear()) {
    // p_layer = M (p - c) + c + t is affine in p, so the plane maps to a plane: its origin
    // through the transform, its axes through M (not unit vectors for a scaling affine; the
    // sampler only needs their steps). Same kernels, same numbers as sampleSlice.
    SlicePlane mapped = plane;
    mapped.origin_lps = backgroundToLayer.apply(plane.origin_lps);
    mapped.right = backgroundToLayer.matrix * plane.right;
    mapped.down = backgroundToLayer.matrix * plane.down;
    sampleSlice(layer, mapped, outside, pixels);
    return;
  }
  pixels.resize(static_cast<std::size_t>(plane.width) * static_cast<std::size_t>(plane.height));
  const bool grey = withGreyVoxels(layer, [&](const auto* voxels) {
    sampleDeformed(voxels, layer.geometry(), plane, backgroundToLayer, outside, pixels);
  });
  if (!grey) {
    throw Error(ErrorKind::Unsupported,
                "A colour image cannot be shown through a deformable (B-spline) registration; "
                "fuse a greyscale series instead.",
                layer.name);
  }
}

const char* toString(SlabMode mode) {
  switch (mode) {
    case SlabMode::None:
      return "none";
    case SlabMode::Mip:
      return "mip";
    case SlabMode::MinIp:
      return "minip";
    case SlabMode::Mean:
      return "mean";
  }
  return "none";
}

SlabMode slabModeFromString(const std::string& name) {
  for (SlabMode mode : {SlabMode::None, SlabMode::Mip, SlabMode::MinIp, SlabMode::Mean})
    if (name == toString(mode)) return mode;
  throw Error(ErrorKind::InvalidInput,
              "There is no slab mode called '" + name + "'; choose none, mip, minip or mean.",
              "slab mode");
}

double sliceStepAlong(const ImageGeometry& geometry, const Vec3& normal) {
  double step = 0.0;
  for (int a = 0; a < 3; ++a)
    step = std::max(step, std::abs(geometry.direction.col(a).dot(normal)) * geometry.spacing_mm[a]);
  return std::max(step, 0.1);
}

void sampleSlabThrough(const ImageVolume& layer, const SlicePlane& plane,
                       const SpatialTransform& backgroundToLayer, SlabMode mode,
                       double thickness_mm, double step_mm, float outside,
                       std::vector<float>& pixels) {
  const double step = std::max(step_mm, 1e-3);
  const int half =
      mode == SlabMode::None
          ? 0
          : static_cast<int>(std::floor(std::max(thickness_mm, 0.0) / 2.0 / step + 1e-9));
  if (half == 0) return sampleSliceThrough(layer, plane, backgroundToLayer, outside, pixels);
  // NaN marks "no sample here" while planes accumulate, whatever `outside` is.
  const float none = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> planeSamples;
  std::vector<int> counts;
  const Vec3 normal = plane.normal();
  for (int k = -half; k <= half; ++k) {
    SlicePlane shifted = plane;
    shifted.origin_lps += (k * step) * normal;
    sampleSliceThrough(layer, shifted, backgroundToLayer, none, planeSamples);
    if (k == -half) {
      pixels = planeSamples;
      counts.assign(pixels.size(), 0);
      for (std::size_t n = 0; n < pixels.size(); ++n) counts[n] = std::isnan(pixels[n]) ? 0 : 1;
      continue;
    }
    parallelRows(plane.width, plane.height, [&](int first, int last) {
      const std::size_t begin = static_cast<std::size_t>(first) * plane.width;
      const std::size_t end = static_cast<std::size_t>(last) * plane.width;
      for (std::size_t n = begin; n < end; ++n) {
        const float s = planeSamples[n];
        if (std::isnan(s)) continue;
        float& acc = pixels[n];
        if (counts[n]++ == 0) {
          acc = s;
        } else if (mode == SlabMode::Mip) {
          acc = std::max(acc, s);
        } else if (mode == SlabMode::MinIp) {
          acc = std::min(acc, s);
        } else {
          acc += s;
        }
      }
    });
  }
  for (std::size_t n = 0; n < pixels.size(); ++n) {
    if (counts[n] == 0) {
      pixels[n] = outside;
    } else if (mode == SlabMode::Mean) {
      pixels[n] /= static_cast<float>(counts[n]);
    }
  }
}

std::optional<double> sampleThrough(const ImageVolume& layer,
                                    const SpatialTransform& backgroundToLayer, const Vec3& p_lps) {
  const ImageGeometry& g = layer.geometry();
  const Mat3 toIndex = (g.direction * g.spacing_mm.asDiagonal()).inverse();
  const Vec3 ijk = toIndex * (backgroundToLayer.apply(p_lps) - g.origin_lps);
  const float none = std::numeric_limits<float>::quiet_NaN();
  float value = none;
  const bool grey = withGreyVoxels(
      layer, [&](const auto* voxels) { value = trilinearAtIndex(voxels, g, ijk, none); });
  if (!grey) {
    const Vec3 nearest = ijk.array().round().matrix();
    if ((nearest.array() < 0).any() || nearest[0] >= g.size[0] || nearest[1] >= g.size[1] ||
        nearest[2] >= g.size[2])
      return std::nullopt;
    return layer.valueAt(static_cast<std::int64_t>(nearest[0]),
                         static_cast<std::int64_t>(nearest[1]),
                         static_cast<std::int64_t>(nearest[2]));
  }
  if (std::isnan(value)) return std::nullopt;
  return static_cast<double>(value);
}

}  // namespace twinplan::rendering
