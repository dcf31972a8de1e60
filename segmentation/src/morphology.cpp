// Distance-map morphology, hole filling, smoothing and slice interpolation (morphology.h).
#include "twinplan/segmentation/morphology.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "components.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation {
namespace {

// "No site on this line": larger than any squared distance on a real grid, finite so that the
// parabola intersections below stay finite.
constexpr double kFar2_mm2 = 1e20;
// Voxels at exactly the radius count as within it; float squared distances are exact to about
// 1e-7 relative, so the comparison allows a relative 1e-6.
constexpr double kRadiusTolerance = 1e-6;
// Smoothing removes steps of a few voxels (3D Slicer's Smoothing effect offers kernels of a few
// mm); its cost grows with the kernel (6 sigma / spacing taps a voxel and axis), so a sigma far
// beyond that is refused rather than left to run for minutes.
constexpr double kMaxSmoothingSigma_mm = 20.0;

struct Box {
  Index3 begin{0, 0, 0}, end{0, 0, 0};
  bool empty() const { return end[0] <= begin[0]; }
  std::int64_t size(int a) const { return end[a] - begin[a]; }
};

Box boundingBox(const BinaryMask& mask) {
  const ImageGeometry& g = mask.geometry;
  struct Bounds {
    Index3 lo{std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max(),
              std::numeric_limits<std::int64_t>::max()};
    Index3 hi{-1, -1, -1};
  };
  const Bounds b = parallel::parallelReduce(
      {0, static_cast<std::size_t>(g.size[2])}, 4, Bounds{},
      [&](parallel::IndexRange r) {
        Bounds out;
        for (auto k = static_cast<std::int64_t>(r.begin); k < static_cast<std::int64_t>(r.end); ++k)
          for (std::int64_t j = 0; j < g.size[1]; ++j) {
            const std::uint8_t* line = &mask.voxels[g.linearIndex(0, j, k)];
            for (std::int64_t i = 0; i < g.size[0]; ++i) {
              if (!line[i]) continue;
              const Index3 ijk{i, j, k};
              for (int a = 0; a < 3; ++a) {
                out.lo[a] = std::min(out.lo[a], ijk[a]);
                out.hi[a] = std::max(out.hi[a], ijk[a]);
              }
            }
          }
        return out;
      },
      [](Bounds x, const Bounds& y) {
        for (int a = 0; a < 3; ++a) {
          x.lo[a] = std::min(x.lo[a], y.lo[a]);
          x.hi[a] = std::max(x.hi[a], y.hi[a]);
        }
        return x;
      });
  Box box;
  if (b.hi[0] < 0) return box;
  for (int a = 0; a < 3; ++a) {
    box.begin[a] = b.lo[a];
    box.end[a] = b.hi[a] + 1;
  }
  return box;
}

Box padded(const Box& box, const Index3& pad, const ImageGeometry& g) {
  Box out;
  for (int a = 0; a < 3; ++a) {
    out.begin[a] = std::max<std::int64_t>(0, box.begin[a] - pad[a]);
    out.end[a] = std::min<std::int64_t>(g.size[a], box.end[a] + pad[a]);
  }
  return out;
}

// Voxels a ball of radius_mm reaches along each axis, plus one.
Index3 ballReach(const ImageGeometry& g, double radius_mm) {
  Index3 reach;
  for (int a = 0; a < 3; ++a)
    reach[a] = static_cast<std::int64_t>(std::ceil(radius_mm / g.spacing_mm[a])) + 1;
  return reach;
}

// The part of `mask` in `box` as its own mask (same spacing; origin and direction do not matter
// to distances).
BinaryMask crop(const BinaryMask& mask, const Box& box) {
  ImageGeometry g = mask.geometry;
  for (int a = 0; a < 3; ++a) g.size[a] = box.size(a);
  g.origin_lps = mask.geometry.indexToLps(Vec3(static_cast<double>(box.begin[0]),
                                               static_cast<double>(box.begin[1]),
                                               static_cast<double>(box.begin[2])));
  BinaryMask out(g);
  parallel::parallelFor({0, static_cast<std::size_t>(g.size[2])}, 4, [&](parallel::IndexRange r) {
    for (auto k = static_cast<std::int64_t>(r.begin); k < static_cast<std::int64_t>(r.end); ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        std::copy_n(&mask.voxels[mask.geometry.linearIndex(box.begin[0], box.begin[1] + j,
                                                           box.begin[2] + k)],
                    g.size[0], &out.voxels[g.linearIndex(0, j, k)]);
  });
  return out;
}

// `part` (a crop at `box`) pasted into an empty mask on `full`.
BinaryMask uncrop(const BinaryMask& part, const Box& box, const ImageGeometry& full) {
  BinaryMask out(full);
  const ImageGeometry& g = part.geometry;
  parallel::parallelFor({0, static_cast<std::size_t>(g.size[2])}, 4, [&](parallel::IndexRange r) {
    for (auto k = static_cast<std::int64_t>(r.begin); k < static_cast<std::int64_t>(r.end); ++k)
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        std::copy_n(
            &part.voxels[g.linearIndex(0, j, k)], g.size[0],
            &out.voxels[full.linearIndex(box.begin[0], box.begin[1] + j, box.begin[2] + k)]);
  });
  return out;
}

// One line of the separable transform: d[p] = min_q f[q] + w (p - q)^2, the lower envelope of
// parabolas rooted at the sites (Felzenszwalb & Huttenlocher 2012, algorithm DT(f)). Sites
// with f >= kFar2_mm2 are skipped. v, z are scratch of n and n + 1 entries.
void envelope1d(const double* f, double* d, std::int64_t n, double w, std::vector<std::int64_t>& v,
                std::vector<double>& z) {
  std::int64_t k = -1;
  for (std::int64_t q = 0; q < n; ++q) {
    if (f[q] >= kFar2_mm2) continue;
    double s = -std::numeric_limits<double>::infinity();
    while (k >= 0) {
      const std::int64_t p = v[static_cast<std::size_t>(k)];
      s = ((f[q] + w * static_cast<double>(q * q)) - (f[p] + w * static_cast<double>(p * p))) /
          (2.0 * w * static_cast<double>(q - p));
      if (s > z[static_cast<std::size_t>(k)]) break;
      --k;
    }
    ++k;
    v[static_cast<std::size_t>(k)] = q;
    z[static_cast<std::size_t>(k)] = k == 0 ? -std::numeric_limits<double>::infinity() : s;
    z[static_cast<std::size_t>(k) + 1] = std::numeric_limits<double>::infinity();
  }
  if (k < 0) {
    std::fill(d, d + n, kFar2_mm2);
    return;
  }
  std::int64_t e = 0;
  for (std::int64_t p = 0; p < n; ++p) {
    while (z[static_cast<std::size_t>(e) + 1] < static_cast<double>(p)) ++e;
    const std::int64_t q = v[static_cast<std::size_t>(e)];
    d[p] = w * static_cast<double>((p - q) * (p - q)) + f[q];
  }
}

// Squared distances (mm2) to the nearest voxel equal to `target`, one axis after the other.
// The j and k passes take kLinesPerBlock neighbouring lines (consecutive i) at once, so that
// every step along the line reads and writes a run of contiguous floats instead of one float
// per cache line.
std::vector<float> squaredDistance_mm2(const BinaryMask& mask, bool target, Progress& progress) {
  constexpr std::int64_t kLinesPerBlock = 16;
  const ImageGeometry& g = mask.geometry;
  std::vector<float> d2(g.voxelCount());
  const std::int64_t n[3] = {g.size[0], g.size[1], g.size[2]};
  const std::int64_t stride[3] = {1, n[0], n[0] * n[1]};
  static const char* kSteps[3] = {"Distance map (i)", "Distance map (j)", "Distance map (k)"};
  for (int axis = 0; axis < 3; ++axis) {
    const int u = axis == 0 ? 1 : 0;  // the two other axes index the lines
    const int w = axis == 2 ? 1 : 2;
    const std::int64_t width = axis == 0 ? 1 : kLinesPerBlock;  // lines per block along u
    const std::int64_t blocksAlongU = (n[u] + width - 1) / width;
    const double weight = g.spacing_mm[axis] * g.spacing_mm[axis];
    const auto blockCount = static_cast<std::size_t>(blocksAlongU * n[w]);
    const auto blockVoxels = static_cast<std::size_t>(n[axis] * width);
    auto sub = subRange(progress, axis / 3.0, (axis + 1) / 3.0);
    parallel::parallelFor(
        {0, blockCount}, std::max<std::size_t>(1, 65536 / blockVoxels),
        [&](parallel::IndexRange r) {
          const auto length = static_cast<std::size_t>(n[axis]);
          std::vector<double> f(length * static_cast<std::size_t>(width)), out(length),
              z(length + 1);
          std::vector<std::int64_t> v(length);
          const auto step = static_cast<std::size_t>(stride[axis]);
          for (std::size_t block = r.begin; block < r.end; ++block) {
            const std::int64_t a0 = static_cast<std::int64_t>(block) % blocksAlongU * width;
            const std::int64_t b = static_cast<std::int64_t>(block) / blocksAlongU;
            const std::int64_t lines = std::min(width, n[u] - a0);
            const auto start = static_cast<std::size_t>(a0 * stride[u] + b * stride[w]);
            const auto across = static_cast<std::size_t>(stride[u]);
            // Gather: f[l * length + p] is line l's value at p.
            for (std::size_t p = 0; p < length; ++p)
              for (std::int64_t l = 0; l < lines; ++l) {
                const std::size_t at = start + static_cast<std::size_t>(l) * across + p * step;
                f[static_cast<std::size_t>(l) * length + p] =
                    axis == 0 ? ((mask.voxels[at] != 0) == target ? 0.0 : kFar2_mm2)
                              : static_cast<double>(d2[at]);
              }
            for (std::int64_t l = 0; l < lines; ++l) {
              double* line = f.data() + static_cast<std::size_t>(l) * length;
              envelope1d(line, out.data(), n[axis], weight, v, z);
              std::copy(out.begin(), out.end(), line);
            }
            for (std::size_t p = 0; p < length; ++p)
              for (std::int64_t l = 0; l < lines; ++l)
                d2[start + static_cast<std::size_t>(l) * across + p * step] =
                    static_cast<float>(f[static_cast<std::size_t>(l) * length + p]);
          }
        },
        *sub, kSteps[axis]);
  }
  return d2;
}

void requireRadius(double radius_mm, const char* what) {
  if (!(radius_mm >= 0.0) || !std::isfinite(radius_mm)) {
    throw Error(ErrorKind::InvalidInput, std::string("The ") + what +
                                             " must be a finite length of 0 mm or more (got " +
                                             std::to_string(radius_mm) + " mm).");
  }
}

}  // namespace

std::vector<float> distance_mm(const BinaryMask& mask, bool target, Progress& progress) {
  std::vector<float> d = squaredDistance_mm2(mask, target, progress);
  parallel::parallelFor({0, d.size()}, 1 << 18, [&](parallel::IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v) d[v] = std::sqrt(d[v]);
  });
  return d;
}

BinaryMask grow(const BinaryMask& mask, double margin_mm, Progress& progress) {
  requireRadius(margin_mm, "margin");
  const Box box = boundingBox(mask);
  if (box.empty() || margin_mm == 0.0) return mask;
  // Only voxels within the margin of the mask's box can change.
  const Box work = padded(box, ballReach(mask.geometry, margin_mm), mask.geometry);
  BinaryMask part = crop(mask, work);
  const std::vector<float> d2 = squaredDistance_mm2(part, true, progress);
  const double limit = margin_mm * margin_mm * (1.0 + kRadiusTolerance);
  for (std::size_t v = 0; v < d2.size(); ++v) part.voxels[v] = d2[v] <= limit;
  return uncrop(part, work, mask.geometry);
}

BinaryMask shrink(const BinaryMask& mask, double margin_mm, Progress& progress) {
  requireRadius(margin_mm, "margin");
  const Box box = boundingBox(mask);
  if (box.empty() || margin_mm == 0.0) return mask;
  // The nearest background voxel of any mask voxel lies in the box grown by one voxel (the
  // ring around the box is background, and reaching past it means crossing it).
  const Box work = padded(box, {1, 1, 1}, mask.geometry);
  BinaryMask part = crop(mask, work);
  const std::vector<float> d2 = squaredDistance_mm2(part, false, progress);
  // The dual of grow: a voxel stays when no background voxel is within the margin.
  const double limit = margin_mm * margin_mm * (1.0 + kRadiusTolerance);
  for (std::size_t v = 0; v < d2.size(); ++v) part.voxels[v] = part.voxels[v] && d2[v] > limit;
  return uncrop(part, work, mask.geometry);
}

BinaryMask open(const BinaryMask& mask, double radius_mm, Progress& progress) {
  auto first = subRange(progress, 0.0, 0.5);
  const BinaryMask eroded = shrink(mask, radius_mm, *first);
  auto second = subRange(progress, 0.5, 1.0);
  return grow(eroded, radius_mm, *second);
}

BinaryMask close(const BinaryMask& mask, double radius_mm, Progress& progress) {
  auto first = subRange(progress, 0.0, 0.5);
  const BinaryMask dilated = grow(mask, radius_mm, *first);
  auto second = subRange(progress, 0.5, 1.0);
  return shrink(dilated, radius_mm, *second);
}

BinaryMask hollow(const BinaryMask& mask, double thickness_mm, ShellPlacement placement,
                  Progress& progress) {
  requireRadius(thickness_mm, "shell thickness");
  const double outward = placement == ShellPlacement::Outside   ? thickness_mm
                         : placement == ShellPlacement::Centred ? thickness_mm / 2.0
                                                                : 0.0;
  const double inward = thickness_mm - outward;
  auto first = subRange(progress, 0.0, 0.5);
  const BinaryMask outer = grow(mask, outward, *first);
  auto second = subRange(progress, 0.5, 1.0);
  BinaryMask shell = shrink(mask, inward, *second);  // the core that is not shell
  for (std::size_t v = 0; v < shell.voxels.size(); ++v)
    shell.voxels[v] = outer.voxels[v] && !shell.voxels[v];
  return shell;
}

BinaryMask fillHoles(const BinaryMask& mask, bool perSlice, Progress& progress) {
  const ImageGeometry& g = mask.geometry;
  BinaryMask filled = mask;
  auto fillBox = [&](const std::uint8_t* voxels, std::uint8_t* out, std::int64_t nz, Progress& p) {
    const detail::RunComponents background =
        detail::findRunComponents(voxels, g.size[0], g.size[1], nz, 0, /*faceOnly=*/true, p);
    for (std::size_t row = 0; row < background.rows.size(); ++row)
      for (const detail::Run& run : background.rows[row])
        if (!background.touchesBorder[run.component - 1])
          std::fill(
              out + row * static_cast<std::size_t>(g.size[0]) + static_cast<std::size_t>(run.begin),
              out + row * static_cast<std::size_t>(g.size[0]) + static_cast<std::size_t>(run.end),
              std::uint8_t{1});
  };
  if (!perSlice) {
    fillBox(mask.voxels.data(), filled.voxels.data(), g.size[2], progress);
    return filled;
  }
  const auto sliceVoxels = static_cast<std::size_t>(g.size[0] * g.size[1]);
  parallel::parallelFor(
      {0, static_cast<std::size_t>(g.size[2])}, 1,
      [&](parallel::IndexRange r) {
        for (std::size_t k = r.begin; k < r.end; ++k)
          fillBox(mask.voxels.data() + k * sliceVoxels, filled.voxels.data() + k * sliceVoxels, 1,
                  noProgress());
      },
      progress, "Filling holes per slice");
  return filled;
}

BinaryMask gaussianSmooth(const BinaryMask& mask, double sigma_mm, Progress& progress) {
  if (!(sigma_mm > 0.0) || !std::isfinite(sigma_mm)) {
    throw Error(ErrorKind::InvalidInput, "The smoothing sigma must be a length above 0 mm (got " +
                                             std::to_string(sigma_mm) + " mm).");
  }
  if (sigma_mm > kMaxSmoothingSigma_mm) {
    throw Error(ErrorKind::InvalidInput,
                "Gaussian smoothing takes a sigma of at most " +
                    std::to_string(static_cast<int>(kMaxSmoothingSigma_mm)) + " mm (got " +
                    std::to_string(sigma_mm) +
                    " mm); to remove larger features use open or close, whose cost does not "
                    "grow with the radius.");
  }
  const Box box = boundingBox(mask);
  if (box.empty()) return mask;
  const ImageGeometry& full = mask.geometry;
  Index3 reach;
  std::vector<double> kernels[3];
  for (int a = 0; a < 3; ++a) {
    const double sigma_vox = sigma_mm / full.spacing_mm[a];
    reach[a] = static_cast<std::int64_t>(std::ceil(3.0 * sigma_vox));
    double sum = 0.0;
    for (std::int64_t t = -reach[a]; t <= reach[a]; ++t) {
      kernels[a].push_back(std::exp(-0.5 * static_cast<double>(t * t) / (sigma_vox * sigma_vox)));
      sum += kernels[a].back();
    }
    for (double& c : kernels[a]) c /= sum;
  }
  const Box work = padded(box, {reach[0] + 1, reach[1] + 1, reach[2] + 1}, full);
  BinaryMask part = crop(mask, work);
  const ImageGeometry& g = part.geometry;
  std::vector<float> field(part.voxels.begin(), part.voxels.end());
  const std::int64_t n[3] = {g.size[0], g.size[1], g.size[2]};
  const std::int64_t stride[3] = {1, n[0], n[0] * n[1]};
  // Lines are taken in blocks of neighbouring i, as in squaredDistance_mm2.
  constexpr std::int64_t kLinesPerBlock = 16;
  for (int axis = 0; axis < 3; ++axis) {
    const int u = axis == 0 ? 1 : 0;
    const int w = axis == 2 ? 1 : 2;
    const std::int64_t width = axis == 0 ? 1 : kLinesPerBlock;
    const std::int64_t blocksAlongU = (n[u] + width - 1) / width;
    const auto blockCount = static_cast<std::size_t>(blocksAlongU * n[w]);
    const auto length = static_cast<std::size_t>(n[axis]);
    auto sub = subRange(progress, axis / 3.0, (axis + 1) / 3.0);
    parallel::parallelFor(
        {0, blockCount},
        std::max<std::size_t>(1, 65536 / (length * static_cast<std::size_t>(width))),
        [&](parallel::IndexRange r) {
          // Each line is stored with `half` copies of its end values before and after it:
          // edge voxels repeat past the box. Inside the image they are 0 (the box reaches a
          // kernel beyond the mask); at the image border this leaves outside "unknown" rather
          // than background, as grow and shrink do.
          const std::vector<double>& kernel = kernels[axis];
          const auto half = static_cast<std::size_t>(reach[axis]);
          const std::size_t padded = length + 2 * half;
          std::vector<float> lines(padded * static_cast<std::size_t>(width));
          std::vector<float> taps(kernel.begin(), kernel.end());
          const auto step = static_cast<std::size_t>(stride[axis]);
          const auto across = static_cast<std::size_t>(stride[u]);
          for (std::size_t block = r.begin; block < r.end; ++block) {
            const std::int64_t a0 = static_cast<std::int64_t>(block) % blocksAlongU * width;
            const std::int64_t b = static_cast<std::int64_t>(block) / blocksAlongU;
            const auto count = static_cast<std::size_t>(std::min(width, n[u] - a0));
            const auto start = static_cast<std::size_t>(a0 * stride[u] + b * stride[w]);
            for (std::size_t p = 0; p < length; ++p)
              for (std::size_t l = 0; l < count; ++l)
                lines[l * padded + half + p] = field[start + l * across + p * step];
            for (std::size_t l = 0; l < count; ++l) {
              float* line = lines.data() + l * padded;
              std::fill(line, line + half, line[half]);
              std::fill(line + half + length, line + padded, line[half + length - 1]);
            }
            for (std::size_t p = 0; p < length; ++p)
              for (std::size_t l = 0; l < count; ++l) {
                const float* window = lines.data() + l * padded + p;  // taps p-half .. p+half
                float sum = 0.0f;
                for (std::size_t t = 0; t < taps.size(); ++t) sum += taps[t] * window[t];
                field[start + l * across + p * step] = sum;
              }
          }
        },
        *sub, "Gaussian smoothing");
  }
  for (std::size_t v = 0; v < field.size(); ++v) part.voxels[v] = field[v] >= 0.5f;
  return uncrop(part, work, full);
}

BinaryMask medianSmooth(const BinaryMask& mask, double radius_mm, Progress& progress) {
  if (!(radius_mm > 0.0) || !std::isfinite(radius_mm) || radius_mm > kMaxSmoothingSigma_mm) {
    throw Error(ErrorKind::InvalidInput,
                "The median smoothing radius must be a length above 0 and at most " +
                    std::to_string(static_cast<int>(kMaxSmoothingSigma_mm)) + " mm (got " +
                    std::to_string(radius_mm) + " mm).");
  }
  const ImageGeometry& full = mask.geometry;
  const Index3 radius = medianRadius_voxels(full, radius_mm);
  if (radius[0] == 0 && radius[1] == 0 && radius[2] == 0) {
    throw Error(ErrorKind::InvalidInput,
                "A median radius of " + std::to_string(radius_mm) +
                    " mm is under half a voxel along every axis and would change nothing; use at "
                    "least half the smallest voxel spacing.");
  }
  const Box box = boundingBox(mask);
  if (box.empty()) return mask;
  // A voxel farther than the radius from the mask has no mask voxel in its window.
  const Box work = padded(box, radius, full);
  const BinaryMask part = crop(mask, work);
  const ImageGeometry& g = part.geometry;
  // Mask voxels in each voxel's window: running sums along i, then j, then k (the window's count
  // is separable); outside the crop the mask is 0, so clamping the window to the crop is exact.
  std::vector<std::int32_t> count(part.voxels.begin(), part.voxels.end());
  const std::int64_t n[3] = {g.size[0], g.size[1], g.size[2]};
  const std::int64_t stride[3] = {1, n[0], n[0] * n[1]};
  for (int axis = 0; axis < 3; ++axis) {
    const int u = axis == 0 ? 1 : 0, w = axis == 2 ? 1 : 2;
    auto sub = subRange(progress, axis / 3.0, (axis + 1) / 3.0);
    parallel::parallelFor(
        {0, static_cast<std::size_t>(n[u] * n[w])}, 256,
        [&](parallel::IndexRange lines) {
          std::vector<std::int32_t> prefix(static_cast<std::size_t>(n[axis]) + 1);
          for (std::size_t line = lines.begin; line < lines.end; ++line) {
            const std::int64_t start = static_cast<std::int64_t>(line) % n[u] * stride[u] +
                                       static_cast<std::int64_t>(line) / n[u] * stride[w];
            for (std::int64_t p = 0; p < n[axis]; ++p)
              prefix[std::size_t(p) + 1] =
                  prefix[std::size_t(p)] + count[std::size_t(start + p * stride[axis])];
            for (std::int64_t p = 0; p < n[axis]; ++p) {
              const std::int64_t lo = std::max<std::int64_t>(0, p - radius[axis]);
              const std::int64_t hi = std::min<std::int64_t>(n[axis] - 1, p + radius[axis]);
              count[std::size_t(start + p * stride[axis])] =
                  prefix[std::size_t(hi) + 1] - prefix[std::size_t(lo)];
            }
          }
        },
        *sub, "Median smoothing");
  }
  // The window's size counts only voxels inside the image (as vtkImageMedian3D, which 3D
  // Slicer's median smoothing runs, shrinks its kernel at the border).
  auto inImage = [&](int a, std::int64_t at) {
    return std::min(full.size[a] - 1, at + radius[a]) - std::max<std::int64_t>(0, at - radius[a]) +
           1;
  };
  BinaryMask out = part;
  parallel::parallelFor({0, static_cast<std::size_t>(n[2])}, 1, [&](parallel::IndexRange ks) {
    for (auto k = static_cast<std::int64_t>(ks.begin); k < static_cast<std::int64_t>(ks.end); ++k)
      for (std::int64_t j = 0; j < n[1]; ++j)
        for (std::int64_t i = 0; i < n[0]; ++i) {
          const std::int64_t window = inImage(0, work.begin[0] + i) *
                                      inImage(1, work.begin[1] + j) * inImage(2, work.begin[2] + k);
          const std::size_t v = g.linearIndex(i, j, k);
          const std::int64_t twice = 2 * std::int64_t(count[v]);
          if (twice != window) out.voxels[v] = twice > window;  // a tie keeps the voxel
        }
  });
  return uncrop(out, work, full);
}

Index3 medianRadius_voxels(const ImageGeometry& grid, double radius_mm) {
  Index3 radius;
  for (int a = 0; a < 3; ++a)
    radius[a] = static_cast<std::int64_t>(std::lround(radius_mm / grid.spacing_mm[a]));
  return radius;
}

BinaryMask fillBetweenSlices(const BinaryMask& mask, Progress& progress) {
  const ImageGeometry& g = mask.geometry;
  const auto sliceVoxels = static_cast<std::size_t>(g.size[0] * g.size[1]);
  std::vector<std::int64_t> drawn;
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    const auto* begin = mask.voxels.data() + static_cast<std::size_t>(k) * sliceVoxels;
    if (std::any_of(begin, begin + sliceVoxels, [](std::uint8_t v) { return v != 0; }))
      drawn.push_back(k);
  }
  BinaryMask filled = mask;
  ImageGeometry sliceGrid = g;
  sliceGrid.size[2] = 1;
  // In-plane signed distance (mm): negative inside, positive outside, clamped so that a slice
  // that is all mask or all background still interpolates to finite values.
  auto signedDistance = [&](std::int64_t k) {
    BinaryMask slice(sliceGrid);
    std::copy_n(mask.voxels.data() + static_cast<std::size_t>(k) * sliceVoxels, sliceVoxels,
                slice.voxels.data());
    const std::vector<float> toInside = distance_mm(slice, true);
    const std::vector<float> toOutside = distance_mm(slice, false);
    std::vector<float> sd(sliceVoxels);
    for (std::size_t v = 0; v < sliceVoxels; ++v)
      sd[v] = std::clamp(slice.voxels[v] ? -toOutside[v] : toInside[v], -1e6f, 1e6f);
    return sd;
  };
  if (drawn.size() < 2) return filled;
  std::vector<float> below = signedDistance(drawn[0]);
  for (std::size_t n = 1; n < drawn.size(); ++n) {
    progress.report(static_cast<double>(n) / static_cast<double>(drawn.size()),
                    "Filling between slices");
    progress.check();
    const std::int64_t k0 = drawn[n - 1], k1 = drawn[n];
    if (k1 - k0 < 2) {
      below = signedDistance(k1);
      continue;
    }
    std::vector<float> above = signedDistance(k1);
    parallel::parallelFor(
        {static_cast<std::size_t>(k0 + 1), static_cast<std::size_t>(k1)}, 1,
        [&](parallel::IndexRange r) {
          for (std::size_t k = r.begin; k < r.end; ++k) {
            const float t =
                static_cast<float>(static_cast<double>(static_cast<std::int64_t>(k) - k0)) /
                static_cast<float>(k1 - k0);
            std::uint8_t* out = filled.voxels.data() + k * sliceVoxels;
            for (std::size_t v = 0; v < sliceVoxels; ++v)
              out[v] = (1.0f - t) * below[v] + t * above[v] < 0.0f;
          }
        });
    below = std::move(above);
  }
  return filled;
}

}  // namespace twinplan::segmentation
