#include "twinplan/ablation/vessel_heat_sink.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numbers>

#include "twinplan/ablation/bioheat.h"

namespace twinplan::ablation {
namespace {

// Laminar Nusselt number of fully developed flow, constant wall temperature (Graetz limit).
constexpr double kFullyDevelopedNusselt = 3.66;

bool isFlowing(const AblationGrid& grid, std::size_t voxel) {
  return grid.bloodSpeed_m_s[voxel] > 0.0f;
}

// The 6-connected vessel voxels reachable from `seed`, labelled `label` in `labels`.
std::vector<std::size_t> floodVessel(const AblationGrid& grid, std::size_t seed, int label,
                                     std::vector<int>& labels) {
  const ImageGeometry& g = grid.geometry;
  std::vector<std::size_t> voxels{seed};
  labels[seed] = label;
  for (std::size_t next = 0; next < voxels.size(); ++next) {
    const std::size_t v = voxels[next];
    const std::int64_t i = std::int64_t(v % g.size[0]);
    const std::int64_t j = std::int64_t((v / g.size[0]) % g.size[1]);
    const std::int64_t k = std::int64_t(v / (g.size[0] * g.size[1]));
    const std::int64_t step[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    for (const auto& s : step)
      for (int sign : {-1, 1}) {
        const std::int64_t a = i + sign * s[0], b = j + sign * s[1], c = k + sign * s[2];
        if (a < 0 || b < 0 || c < 0 || a >= g.size[0] || b >= g.size[1] || c >= g.size[2]) continue;
        const std::size_t n = g.linearIndex(a, b, c);
        if (labels[n] == 0 && isFlowing(grid, n)) {
          labels[n] = label;
          voxels.push_back(n);
        }
      }
  }
  return voxels;
}

// Diameter and length of the cylinder with the vessel's volume and principal extent.
VesselFlow measureVessel(const AblationGrid& grid, const std::vector<std::size_t>& voxels,
                         const BioheatParameters& p) {
  const ImageGeometry& g = grid.geometry;
  const double h_mm = g.spacing_mm.x();
  Vec3 mean = Vec3::Zero();
  double speed = 0.0;
  std::vector<Vec3> points;
  points.reserve(voxels.size());
  for (std::size_t v : voxels) {
    const Vec3 ijk(double(v % g.size[0]), double((v / g.size[0]) % g.size[1]),
                   double(v / (g.size[0] * g.size[1])));
    points.push_back(g.indexToLps(ijk));
    mean += points.back();
    speed += grid.bloodSpeed_m_s[v];
  }
  mean /= double(voxels.size());
  Mat3 covariance = Mat3::Zero();
  for (const Vec3& q : points) covariance += (q - mean) * (q - mean).transpose();
  const Vec3 axis = Eigen::SelfAdjointEigenSolver<Mat3>(covariance).eigenvectors().col(2);
  double lo = 0.0, hi = 0.0;
  for (const Vec3& q : points) {
    lo = std::min(lo, (q - mean).dot(axis));
    hi = std::max(hi, (q - mean).dot(axis));
  }
  VesselFlow flow;
  flow.voxelCount = voxels.size();
  flow.length_mm = hi - lo + h_mm;
  const double volume_mm3 = double(voxels.size()) * h_mm * h_mm * h_mm;
  flow.diameter_mm = std::sqrt(4.0 * volume_mm3 / (std::numbers::pi * flow.length_mm));
  flow.meanSpeed_m_s = speed / double(voxels.size());
  const double diameter_m = flow.diameter_mm * 1e-3;
  flow.reynolds = p.bloodDensity_kg_m3 * flow.meanSpeed_m_s * diameter_m / p.bloodViscosity_Pa_s;
  const double prandtl =
      p.bloodViscosity_Pa_s * p.bloodHeatCapacity_J_kgK / p.bloodThermalConductivity_W_mK;
  flow.nusselt =
      laminarMeanNusselt(flow.reynolds, prandtl, diameter_m, p.vesselHeatedLength_mm * 1e-3);
  flow.wallCoefficient_W_m2K = flow.nusselt * p.bloodThermalConductivity_W_mK / diameter_m;
  return flow;
}

// Calls visit(flow, voxels) once per vessel, in the order of its first voxel.
template <class Visit>
void forEachVessel(const AblationGrid& grid, const BioheatParameters& p, Visit&& visit) {
  if (grid.bloodSpeed_m_s.empty()) return;
  std::vector<int> labels(grid.bloodSpeed_m_s.size(), 0);
  int label = 0;
  for (std::size_t v = 0; v < labels.size(); ++v) {
    if (labels[v] != 0 || !isFlowing(grid, v)) continue;
    const std::vector<std::size_t> voxels = floodVessel(grid, v, ++label, labels);
    visit(measureVessel(grid, voxels, p), voxels);
  }
}

}  // namespace

double laminarMeanNusselt(double reynolds, double prandtl, double diameter_m,
                          double heatedLength_m) {
  const double graetz = reynolds * prandtl * diameter_m / heatedLength_m;
  const double leveque = 1.615 * std::cbrt(graetz);
  return std::cbrt(std::pow(kFullyDevelopedNusselt, 3) + std::pow(0.7, 3) +
                   std::pow(leveque - 0.7, 3));
}

std::vector<VesselFlow> describeVessels(const AblationGrid& grid, const BioheatParameters& p) {
  std::vector<VesselFlow> vessels;
  forEachVessel(grid, p, [&](const VesselFlow& flow, const std::vector<std::size_t>&) {
    vessels.push_back(flow);
  });
  return vessels;
}

std::vector<float> vesselWallCoefficients(const AblationGrid& grid, const BioheatParameters& p) {
  if (grid.bloodSpeed_m_s.empty()) return {};
  std::vector<float> coefficient(grid.bloodSpeed_m_s.size(), 0.0f);
  forEachVessel(grid, p, [&](const VesselFlow& flow, const std::vector<std::size_t>& voxels) {
    for (std::size_t v : voxels) coefficient[v] = static_cast<float>(flow.wallCoefficient_W_m2K);
  });
  return coefficient;
}

}  // namespace twinplan::ablation
