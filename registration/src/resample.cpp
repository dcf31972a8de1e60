#include "twinplan/registration/resample.h"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::registration {

namespace {

// Where the reference grid's voxel (i, j, k) lies in the moving grid's continuous index:
// one 4x4 matrix for a linear transform (so a row is a start and a step), per voxel otherwise.
class IndexMap {
 public:
  IndexMap(const ImageGeometry& reference, const ImageGeometry& moving,
           const SpatialTransform& fixedToMoving)
      : reference_(reference), moving_(moving), transform_(fixedToMoving) {
    if (fixedToMoving.isLinear())
      indexToIndex_ = moving.indexToLpsAffine().inverse() * fixedToMoving.homogeneous() *
                      reference.indexToLpsAffine();
  }
  // Fills `row` with the moving continuous index of voxels i = 0..n-1 of row (j, k).
  void row(std::int64_t j, std::int64_t k, std::vector<Vec3>& row) const {
    const std::int64_t n = reference_.size[0];
    row.resize(static_cast<std::size_t>(n));
    if (transform_.isLinear()) {
      const Vec3 start = indexToIndex_.topLeftCorner<3, 3>() * Vec3(0, double(j), double(k)) +
                         indexToIndex_.topRightCorner<3, 1>();
      const Vec3 step = indexToIndex_.block<3, 1>(0, 0);
      for (std::int64_t i = 0; i < n; ++i) row[std::size_t(i)] = start + double(i) * step;
      return;
    }
    for (std::int64_t i = 0; i < n; ++i)
      row[std::size_t(i)] = moving_.lpsToIndex(
          transform_.apply(reference_.indexToLps(Vec3(double(i), double(j), double(k)))));
  }

 private:
  const ImageGeometry& reference_;
  const ImageGeometry& moving_;
  const SpatialTransform& transform_;
  Eigen::Matrix4d indexToIndex_ = Eigen::Matrix4d::Identity();
};

// Snaps an index within 1e-6 voxel of a centre onto it (whole-voxel shifts copy exactly).
double snapped(double c) {
  const double nearest = std::round(c);
  return std::abs(c - nearest) < 1e-6 ? nearest : c;
}

bool inside(const Vec3& c, const ImageGeometry& g) {
  for (int a = 0; a < 3; ++a)
    if (!(c[a] >= -0.5 && c[a] <= double(g.size[std::size_t(a)]) - 0.5)) return false;
  return true;
}

template <class T>
T toPixel(double value) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(value);
  } else {
    const double lo = double(std::numeric_limits<T>::lowest());
    const double hi = double(std::numeric_limits<T>::max());
    return static_cast<T>(std::clamp(std::round(value), lo, hi));
  }
}

template <class T>
double sampleLinear(const T* voxels, const ImageGeometry& g, const Vec3& c) {
  std::int64_t i0[3], i1[3];
  double f[3];
  for (int a = 0; a < 3; ++a) {
    const std::int64_t size = g.size[std::size_t(a)];
    const double x = std::clamp(snapped(c[a]), 0.0, double(size - 1));  // edge voxels repeat
    i0[a] = std::min(static_cast<std::int64_t>(std::floor(x)), size - 1);
    i1[a] = std::min(i0[a] + 1, size - 1);
    f[a] = x - double(i0[a]);
  }
  auto at = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return double(voxels[g.linearIndex(i, j, k)]);
  };
  double value = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    const double w = ((corner & 1) ? f[0] : 1.0 - f[0]) * ((corner & 2) ? f[1] : 1.0 - f[1]) *
                     ((corner & 4) ? f[2] : 1.0 - f[2]);
    if (w == 0.0) continue;
    value += w * at((corner & 1) ? i1[0] : i0[0], (corner & 2) ? i1[1] : i0[1],
                    (corner & 4) ? i1[2] : i0[2]);
  }
  return value;
}

std::size_t nearestIndex(const ImageGeometry& g, const Vec3& c) {
  std::int64_t ijk[3];
  for (int a = 0; a < 3; ++a)
    ijk[a] = std::clamp(static_cast<std::int64_t>(std::floor(c[a] + 0.5)), std::int64_t{0},
                        g.size[std::size_t(a)] - 1);
  return g.linearIndex(ijk[0], ijk[1], ijk[2]);
}

// Runs `perRow(j, k, movingIndices, outputOffset)` over the reference grid, slices in parallel.
template <class PerRow>
void forEachRow(const ImageGeometry& reference, const IndexMap& map, Progress& progress,
                PerRow&& perRow) {
  const std::int64_t ny = reference.size[1];
  parallel::parallelFor(
      {0, static_cast<std::size_t>(reference.size[2])}, 1,
      [&](parallel::IndexRange slices) {
        std::vector<Vec3> indices;
        for (std::size_t k = slices.begin; k < slices.end; ++k)
          for (std::int64_t j = 0; j < ny; ++j) {
            map.row(j, std::int64_t(k), indices);
            perRow(indices, reference.linearIndex(0, j, std::int64_t(k)));
          }
      },
      progress, "Resampling");
}

template <class T>
void resampleTyped(const ImageVolume& moving, ImageVolume& out, const IndexMap& map,
                   Interpolation interpolation, double outsideValue, Progress& progress) {
  const T* source = moving.voxels<T>().data();
  T* target = out.voxels<T>().data();
  const ImageGeometry& g = moving.geometry();
  const T outside = toPixel<T>(outsideValue);
  forEachRow(out.geometry(), map, progress, [&](const std::vector<Vec3>& row, std::size_t at) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const Vec3& c = row[i];
      if (!inside(c, g)) {
        target[at + i] = outside;
      } else if (interpolation == Interpolation::Nearest) {
        target[at + i] = source[nearestIndex(g, c)];
      } else {
        target[at + i] = toPixel<T>(sampleLinear(source, g, c));
      }
    }
  });
}

void requireGrid(const ImageGeometry& reference) {
  for (std::size_t a = 0; a < 3; ++a)
    if (reference.size[a] < 1)
      throw Error(ErrorKind::InvalidInput, "The reference grid for resampling is empty (size " +
                                               std::to_string(reference.size[0]) + "x" +
                                               std::to_string(reference.size[1]) + "x" +
                                               std::to_string(reference.size[2]) + ").");
}

}  // namespace

const char* toString(Interpolation interpolation) {
  return interpolation == Interpolation::Nearest ? "nearest" : "linear";
}

Interpolation interpolationFromString(std::string_view name) {
  if (name == "nearest") return Interpolation::Nearest;
  if (name == "linear") return Interpolation::Linear;
  throw Error(ErrorKind::InvalidInput,
              "Unknown interpolation \"" + std::string(name) + "\"; use nearest or linear.",
              "interpolation");
}

ImageVolume resampleOnto(const ImageVolume& moving, const ImageGeometry& reference,
                         const SpatialTransform& fixedToMoving, Interpolation interpolation,
                         double outsideValue, Progress& progress) {
  requirePatientVolume(moving, "Resampling");
  requireGrid(reference);
  ImageVolume out(reference, moving.pixelType());
  const IndexMap map(reference, moving.geometry(), fixedToMoving);
  switch (moving.pixelType()) {
    case PixelType::UInt8:
      resampleTyped<std::uint8_t>(moving, out, map, interpolation, outsideValue, progress);
      break;
    case PixelType::Int16:
      resampleTyped<std::int16_t>(moving, out, map, interpolation, outsideValue, progress);
      break;
    case PixelType::UInt16:
      resampleTyped<std::uint16_t>(moving, out, map, interpolation, outsideValue, progress);
      break;
    case PixelType::Int32:
      resampleTyped<std::int32_t>(moving, out, map, interpolation, outsideValue, progress);
      break;
    case PixelType::Float32:
      resampleTyped<float>(moving, out, map, interpolation, outsideValue, progress);
      break;
    case PixelType::Rgb8:
      break;  // refused by requirePatientVolume
  }
  out.name = moving.name + " (resampled)";
  out.unit = moving.unit;
  out.dicom = moving.dicom;
  out.dicom.frameOfReferenceUid.clear();
  out.assumptions = moving.assumptions;
  out.paddingRange = moving.paddingRange;
  return out;
}

ImageVolume resampleOnto(const ImageVolume& moving, const ImageVolume& reference,
                         const SpatialTransform& fixedToMoving, Interpolation interpolation,
                         double outsideValue, Progress& progress) {
  ImageVolume out = resampleOnto(moving, reference.geometry(), fixedToMoving, interpolation,
                                 outsideValue, progress);
  out.name = moving.name + " (resampled onto " + reference.name + ")";
  out.dicom.frameOfReferenceUid = reference.dicom.frameOfReferenceUid;
  std::ostringstream how;
  how << "Resampled onto the grid of \"" << reference.name << "\" (" << toString(interpolation)
      << " interpolation, " << toString(fixedToMoving.kind) << " transform, " << outsideValue
      << " outside the original image).";
  out.assumptions.push_back(how.str());
  return out;
}

LabelMap resampleLabels(const LabelMap& moving, const ImageGeometry& reference,
                        const SpatialTransform& fixedToMoving, Progress& progress) {
  requireGrid(reference);
  LabelMap out(reference);
  while (out.layerCount() < moving.layerCount()) out.addLayer();
  for (const Segment& segment : moving.segments()) out.addSegment(segment);
  out.name = moving.name;
  const IndexMap map(reference, moving.geometry(), fixedToMoving);
  const ImageGeometry& g = moving.geometry();
  std::vector<const std::uint16_t*> sources;
  std::vector<std::uint16_t*> targets;
  for (int layer = 0; layer < moving.layerCount(); ++layer) {
    sources.push_back(moving.layer(layer).data());
    targets.push_back(out.layer(layer).data());
  }
  forEachRow(reference, map, progress, [&](const std::vector<Vec3>& row, std::size_t at) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (!inside(row[i], g)) continue;  // layers start at 0
      const std::size_t from = nearestIndex(g, row[i]);
      for (std::size_t layer = 0; layer < sources.size(); ++layer)
        targets[layer][at + i] = sources[layer][from];
    }
  });
  return out;
}

template <class T>
double lowestOf(std::span<const T> voxels) {
  return parallel::parallelReduce(
      {0, voxels.size()}, std::size_t{1} << 20, std::numeric_limits<double>::infinity(),
      [&](parallel::IndexRange block) {
        double lowest = std::numeric_limits<double>::infinity();
        for (std::size_t n = block.begin; n < block.end; ++n)
          lowest = std::min(lowest, double(voxels[n]));
        return lowest;
      },
      [](double a, double b) { return std::min(a, b); });
}

double backgroundValue(const ImageVolume& volume) {
  if (volume.pixelType() == PixelType::Rgb8) return 0.0;
  return visitGreyVoxels(volume, [](auto voxels) { return lowestOf(voxels); });
}

}  // namespace twinplan::registration
