#include "twinplan/core/measurement.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "twinplan/core/error.h"

namespace twinplan {
namespace {

void requirePoints(const Measurement& m, std::size_t count) {
  if (m.points_lps.size() != count) {
    throw Error(ErrorKind::InvalidInput, "Measurement '" + m.name + "' needs " +
                                             std::to_string(count) + " points, it has " +
                                             std::to_string(m.points_lps.size()) + ".");
  }
}

// The sides of an ROI's LPS box, shortest first.
Vec3 sortedSides(const Measurement& roi) {
  Vec3 sides = (roi.points_lps[1] - roi.points_lps[0]).cwiseAbs();
  std::sort(sides.data(), sides.data() + 3);
  return sides;
}

// An ROI drawn on one 2D slice is one slice deep (ui/main_window.cpp): its shortest side is at
// most a third of the next.
bool isFlat(const Vec3& sortedSides) { return sortedSides[0] * 3.0 <= sortedSides[1]; }

// The LPS axis (0, 1, 2) along which an ROI is thinnest: a flat ROI's slice normal.
int thinnestAxis(const Measurement& roi) {
  const Vec3 sides = (roi.points_lps[1] - roi.points_lps[0]).cwiseAbs();
  int axis = 0;
  for (int a = 1; a < 3; ++a)
    if (sides[a] < sides[axis]) axis = a;
  return axis;
}

void requireRoi(const Measurement& roi) {
  if (roi.kind != Measurement::Kind::RoiBox && roi.kind != Measurement::Kind::RoiEllipsoid) {
    throw Error(ErrorKind::InvalidInput, "Measurement '" + roi.name + "' is not an ROI.");
  }
  requirePoints(roi, 2);
}

}  // namespace

double rulerLength_mm(const Measurement& ruler) {
  requirePoints(ruler, 2);
  return (ruler.points_lps[1] - ruler.points_lps[0]).norm();
}

double angle_deg(const Measurement& angle) {
  requirePoints(angle, 3);
  const Vec3 a = angle.points_lps[0] - angle.points_lps[1];
  const Vec3 b = angle.points_lps[2] - angle.points_lps[1];
  const double denominator = a.norm() * b.norm();
  if (denominator == 0.0) return 0.0;
  // atan2 of |a x b| and a.b stays accurate near 0 and 180 degrees, unlike acos.
  return std::atan2(a.cross(b).norm(), a.dot(b)) * 180.0 / M_PI;
}

RoiStatistics roiStatistics(const ImageVolume& volume, const Measurement& roi) {
  requireRoi(roi);
  const Vec3 lo = roi.points_lps[0].cwiseMin(roi.points_lps[1]);
  const Vec3 hi = roi.points_lps[0].cwiseMax(roi.points_lps[1]);
  const Vec3 centre = (lo + hi) / 2.0, half = (hi - lo) / 2.0;
  const ImageGeometry& g = volume.geometry();
  // Visit only the index box that covers the ROI's LPS box.
  Vec3 ijkLo = Vec3::Constant(std::numeric_limits<double>::max()), ijkHi = -ijkLo;
  for (int c = 0; c < 8; ++c) {
    const Vec3 corner((c & 1) ? hi[0] : lo[0], (c & 2) ? hi[1] : lo[1], (c & 4) ? hi[2] : lo[2]);
    const Vec3 ijk = g.lpsToIndex(corner);
    ijkLo = ijkLo.cwiseMin(ijk);
    ijkHi = ijkHi.cwiseMax(ijk);
  }
  std::int64_t from[3], to[3];
  for (int a = 0; a < 3; ++a) {
    from[a] = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(ijkLo[a])));
    to[a] = std::min<std::int64_t>(g.size[a] - 1, static_cast<std::int64_t>(std::ceil(ijkHi[a])));
  }
  // A flat ellipse is an elliptic cylinder one slice deep, not an ellipsoid: otherwise its
  // outline on the voxels' plane would shrink with the distance between that plane and the
  // drawn slice (an ROI drawn 0.4 slices off the voxel centres kept 36 % of its width).
  const bool flat = isFlat(sortedSides(roi));
  const int thin = thinnestAxis(roi);
  Vec3 inPlane = Vec3::Ones();
  if (flat) inPlane[thin] = 0.0;
  RoiStatistics stats;
  double sum = 0.0, sumSquares = 0.0;
  stats.min = std::numeric_limits<double>::max();
  stats.max = std::numeric_limits<double>::lowest();
  for (std::int64_t k = from[2]; k <= to[2]; ++k)
    for (std::int64_t j = from[1]; j <= to[1]; ++j)
      for (std::int64_t i = from[0]; i <= to[0]; ++i) {
        const Vec3 d = g.indexToLps(Vec3(i, j, k)) - centre;
        const Vec3 scaled = d.cwiseQuotient(half.cwiseMax(1e-9));
        const bool inside = roi.kind == Measurement::Kind::RoiBox
                                ? (d.cwiseAbs() - half).maxCoeff() <= 1e-9
                                : scaled.cwiseProduct(inPlane).squaredNorm() <= 1.0 + 1e-12 &&
                                      (!flat || std::abs(d[thin]) - half[thin] <= 1e-9);
        if (!inside) continue;
        const double v = volume.valueAt(i, j, k);
        // Padding (PS3.3 C.7.5.1.1.2) lies outside the scanned field: not tissue, not counted.
        if (volume.isPadding(v)) continue;
        ++stats.voxelCount;
        sum += v;
        sumSquares += v * v;
        stats.min = std::min(stats.min, v);
        stats.max = std::max(stats.max, v);
      }
  if (stats.voxelCount == 0) {
    throw Error(ErrorKind::InvalidInput,
                "ROI '" + roi.name + "' contains no voxel of '" + volume.name +
                    "' (pixel padding outside the scanned field is not counted); draw it over "
                    "the image.");
  }
  const double n = static_cast<double>(stats.voxelCount);
  stats.mean = sum / n;
  stats.sd = stats.voxelCount > 1
                 ? std::sqrt(std::max(0.0, (sumSquares - n * stats.mean * stats.mean) / (n - 1)))
                 : 0.0;
  const double volume_mm3 = n * g.spacing_mm.prod();
  stats.volume_ml = volume_mm3 / 1000.0;
  // The measured voxels' cross-section: their volume over the ROI's depth (one slice), so that
  // area x slice thickness is the reported volume.
  const double depth_mm = sortedSides(roi)[0];
  if (flat && depth_mm > 0.0) stats.area_mm2 = volume_mm3 / depth_mm;
  return stats;
}

double roiArea_mm2(const Measurement& roi) {
  requireRoi(roi);
  const Vec3 sides = sortedSides(roi);
  if (!isFlat(sides)) return 0.0;
  const double rectangle = sides[1] * sides[2];
  return roi.kind == Measurement::Kind::RoiBox ? rectangle : M_PI / 4.0 * rectangle;
}

std::string describe(const Measurement& m, const ImageVolume* volume) {
  char text[256];
  switch (m.kind) {
    case Measurement::Kind::Point:
      if (m.points_lps.empty()) return m.name;
      std::snprintf(text, sizeof text, "%s: (%.1f, %.1f, %.1f) mm LPS", m.name.c_str(),
                    m.points_lps[0][0], m.points_lps[0][1], m.points_lps[0][2]);
      return text;
    case Measurement::Kind::Ruler:
      std::snprintf(text, sizeof text, "%s: %.1f mm", m.name.c_str(), rulerLength_mm(m));
      return text;
    case Measurement::Kind::Angle:
      std::snprintf(text, sizeof text, "%s: %.1f°", m.name.c_str(), angle_deg(m));
      return text;
    case Measurement::Kind::RoiBox:
    case Measurement::Kind::RoiEllipsoid: {
      if (!volume) return m.name;
      const RoiStatistics s = roiStatistics(*volume, m);
      char area[48] = "";
      if (s.area_mm2 > 0.0) std::snprintf(area, sizeof area, ", area %.2f cm²", s.area_mm2 / 100.0);
      std::snprintf(text, sizeof text, "%s: mean %.1f ± %.1f %s [%.0f, %.0f]%s, %.2f ml",
                    m.name.c_str(), s.mean, s.sd, volume->unit.c_str(), s.min, s.max, area,
                    s.volume_ml);
      return text;
    }
  }
  return m.name;
}

}  // namespace twinplan
