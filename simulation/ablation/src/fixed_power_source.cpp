#include "twinplan/ablation/fixed_power_source.h"

#include <cmath>
#include <numeric>
#include <string>

#include "twinplan/core/error.h"

namespace twinplan::ablation {
namespace {

double voxelVolume_m3(const AblationGrid& grid) { return std::pow(grid.voxelSize_m(), 3); }

// Scales the field so that its voxels deposit power_W together.
void normaliseToPower(const AblationGrid& grid, double power_W, std::vector<double>& weights,
                      std::vector<float>& power_W_m3) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (!(total > 0.0))
    throw Error(ErrorKind::InvalidInput,
                "The heat source lies outside the simulation grid; place it inside the box.",
                "centre_lps");
  const double scale = power_W / (total * voxelVolume_m3(grid));
  power_W_m3.resize(weights.size());
  for (std::size_t v = 0; v < weights.size(); ++v)
    power_W_m3[v] = static_cast<float>(weights[v] * scale);
}

// Fraction of the voxel at ijk inside the sphere, from subsamples^3 points.
double fractionInSphere(const ImageGeometry& g, std::int64_t i, std::int64_t j, std::int64_t k,
                        const Vec3& centre_lps, double radius_mm, int subsamples) {
  int inside = 0;
  for (int c = 0; c < subsamples; ++c)
    for (int b = 0; b < subsamples; ++b)
      for (int a = 0; a < subsamples; ++a) {
        const Vec3 offset((a + 0.5) / subsamples - 0.5, (b + 0.5) / subsamples - 0.5,
                          (c + 0.5) / subsamples - 0.5);
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)) + offset);
        inside += (p - centre_lps).norm() <= radius_mm ? 1 : 0;
      }
  return double(inside) / double(subsamples * subsamples * subsamples);
}

}  // namespace

FixedPowerSource::FixedPowerSource(const AblationGrid& grid, std::vector<float> power_W_m3,
                                   std::vector<HeldTemperature> held)
    : power_W_m3_(std::move(power_W_m3)), held_(std::move(held)) {
  if (power_W_m3_.size() != grid.geometry.voxelCount())
    throw Error(ErrorKind::InvalidInput,
                "The power field has " + std::to_string(power_W_m3_.size()) +
                    " values but the grid has " + std::to_string(grid.geometry.voxelCount()) +
                    " voxels; build it on the same grid.",
                "power_W_m3");
  double sum = 0.0;
  for (float p : power_W_m3_) sum += p;
  totalPower_W_ = sum * voxelVolume_m3(grid);
}

void FixedPowerSource::depositedPower(const AblationGrid& /*grid*/, const ThermalState& /*state*/,
                                      double /*step_s*/, std::vector<float>& power_W_m3) {
  power_W_m3 = power_W_m3_;
}

std::vector<HeldTemperature> FixedPowerSource::heldTemperatures(const AblationGrid& /*grid*/,
                                                                const ThermalState& /*state*/) {
  return held_;
}

std::vector<float> uniformSpherePower(const AblationGrid& grid, const Vec3& centre_lps,
                                      double radius_mm, double power_W, int subsamples) {
  const ImageGeometry& g = grid.geometry;
  std::vector<double> fraction(g.voxelCount(), 0.0);
  // Only the voxels of the sphere's bounding box can be inside it.
  const Vec3 lo = g.lpsToIndex(centre_lps - Vec3::Constant(radius_mm)).array().floor();
  const Vec3 hi = g.lpsToIndex(centre_lps + Vec3::Constant(radius_mm)).array().ceil();
  for (std::int64_t k = std::max<std::int64_t>(0, std::int64_t(lo.z()));
       k <= std::min<std::int64_t>(g.size[2] - 1, std::int64_t(hi.z())); ++k)
    for (std::int64_t j = std::max<std::int64_t>(0, std::int64_t(lo.y()));
         j <= std::min<std::int64_t>(g.size[1] - 1, std::int64_t(hi.y())); ++j)
      for (std::int64_t i = std::max<std::int64_t>(0, std::int64_t(lo.x()));
           i <= std::min<std::int64_t>(g.size[0] - 1, std::int64_t(hi.x())); ++i)
        fraction[g.linearIndex(i, j, k)] =
            fractionInSphere(g, i, j, k, centre_lps, radius_mm, subsamples);
  std::vector<float> power_W_m3;
  normaliseToPower(grid, power_W, fraction, power_W_m3);
  return power_W_m3;
}

std::vector<float> gaussianPower(const AblationGrid& grid, const Vec3& centre_lps, double sigma_mm,
                                 double power_W) {
  const ImageGeometry& g = grid.geometry;
  std::vector<double> weight(g.voxelCount());
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const double r2 =
            (g.indexToLps(Vec3(double(i), double(j), double(k))) - centre_lps).squaredNorm();
        weight[g.linearIndex(i, j, k)] = std::exp(-0.5 * r2 / (sigma_mm * sigma_mm));
      }
  std::vector<float> power_W_m3;
  normaliseToPower(grid, power_W, weight, power_W_m3);
  return power_W_m3;
}

}  // namespace twinplan::ablation
