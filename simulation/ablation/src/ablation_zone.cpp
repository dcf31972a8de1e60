// The ablation zone of a result: its voxels by the chosen criterion, volume and axes.
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "twinplan/ablation/bioheat.h"

namespace twinplan::ablation {
namespace {

// The zone's voxel centres (LPS mm).
std::vector<Vec3> zonePoints(const std::vector<std::uint8_t>& zone, const ImageGeometry& g) {
  std::vector<Vec3> points;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if (zone[g.linearIndex(i, j, k)] != 0)
          points.push_back(g.indexToLps(Vec3(double(i), double(j), double(k))));
  return points;
}

// The extent of the points along `axis` plus one voxel (each voxel centre stands for a cube).
double extentAlong(const std::vector<Vec3>& points, const Vec3& centre, const Vec3& axis,
                   double voxel_mm) {
  double lo = 0.0, hi = 0.0;
  for (const Vec3& p : points) {
    lo = std::min(lo, (p - centre).dot(axis));
    hi = std::max(hi, (p - centre).dot(axis));
  }
  return hi - lo + voxel_mm;
}

Mat3 covarianceAbout(const std::vector<Vec3>& points, const Vec3& centre) {
  Mat3 covariance = Mat3::Zero();
  for (const Vec3& p : points) covariance += (p - centre) * (p - centre).transpose();
  return covariance;
}

}  // namespace

std::vector<std::uint8_t> ablationZone(const std::vector<float>& damage,
                                       const std::vector<float>& maximumTemperature_degC,
                                       const std::vector<float>& cem43_min,
                                       const BioheatParameters& p) {
  const std::vector<float>* values = &damage;
  double threshold = p.damageThreshold;
  if (p.zoneCriterion == AblationCriterion::MaximumTemperature) {
    values = &maximumTemperature_degC;
    threshold = p.maximumTemperatureThreshold_degC;
  } else if (p.zoneCriterion == AblationCriterion::Cem43) {
    values = &cem43_min;
    threshold = p.cem43Threshold_min;
  }
  std::vector<std::uint8_t> zone(values->size());
  for (std::size_t v = 0; v < zone.size(); ++v) zone[v] = (*values)[v] >= threshold ? 1 : 0;
  return zone;
}

std::vector<std::uint8_t> ablationZone(const AblationResult& result, const BioheatParameters& p) {
  return ablationZone(result.damage.values, result.maximumTemperature.values, result.cem43.values,
                      p);
}

double zoneVolume_ml(const std::vector<std::uint8_t>& zone, const ImageGeometry& geometry) {
  const auto voxels = double(std::count_if(zone.begin(), zone.end(), [](auto z) { return z; }));
  return voxels * geometry.spacing_mm.prod() * 1e-3;
}

ZoneAxes measureZoneAxes(const std::vector<std::uint8_t>& zone, const ImageGeometry& geometry,
                         const Vec3& probeAxis) {
  ZoneAxes axes;
  const std::vector<Vec3> points = zonePoints(zone, geometry);
  if (points.empty()) return axes;
  for (const Vec3& p : points) axes.centre_lps += p;
  axes.centre_lps /= double(points.size());
  const double voxel_mm = geometry.spacing_mm.x();
  Mat3 covariance = covarianceAbout(points, axes.centre_lps);
  if (probeAxis.norm() > 0.0) {
    // Along the probe, then the principal axes of the zone's spread across it.
    axes.longAxis = probeAxis.normalized();
    const Mat3 across = Mat3::Identity() - axes.longAxis * axes.longAxis.transpose();
    covariance = across * covariance * across;
  }
  const Eigen::SelfAdjointEigenSolver<Mat3> principal(covariance);
  if (probeAxis.norm() == 0.0) axes.longAxis = principal.eigenvectors().col(2);
  axes.long_mm = extentAlong(points, axes.centre_lps, axes.longAxis, voxel_mm);
  // With a probe axis the largest eigenvector lies across it; without, the next two do.
  const int first = probeAxis.norm() > 0.0 ? 2 : 1;
  const double a =
      extentAlong(points, axes.centre_lps, principal.eigenvectors().col(first), voxel_mm);
  const double b =
      extentAlong(points, axes.centre_lps, principal.eigenvectors().col(first - 1), voxel_mm);
  axes.short_mm = {std::max(a, b), std::min(a, b)};
  return axes;
}

}  // namespace twinplan::ablation
