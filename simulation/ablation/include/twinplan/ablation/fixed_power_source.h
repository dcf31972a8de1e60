#pragma once
// A heat source that deposits the same power density in every step: the analytic validation
// cases (a uniformly heated sphere, a Gaussian source) and the benchmark, before and besides the
// RF and microwave device models.
#include <vector>

#include "twinplan/ablation/heat_source.h"

namespace twinplan::ablation {

class FixedPowerSource : public HeatSource {
 public:
  // power_W_m3: one value per voxel of `grid`; held: voxels held at a temperature (optional).
  FixedPowerSource(const AblationGrid& grid, std::vector<float> power_W_m3,
                   std::vector<HeldTemperature> held = {});

  void depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                      std::vector<float>& power_W_m3) override;
  std::vector<HeldTemperature> heldTemperatures(const AblationGrid& grid,
                                                const ThermalState& state) override;
  // The power density summed over the voxels times their volume.
  double deliveredPower_W() const override { return totalPower_W_; }

 private:
  std::vector<float> power_W_m3_;
  std::vector<HeldTemperature> held_;
  double totalPower_W_ = 0.0;
};

// power_W deposited uniformly in the sphere of radius_mm around centre_lps: each voxel gets the
// fraction of its volume inside the sphere (sampled on subsamples^3 points), and the field is
// scaled so that it sums to exactly power_W.
std::vector<float> uniformSpherePower(const AblationGrid& grid, const Vec3& centre_lps,
                                      double radius_mm, double power_W, int subsamples = 8);

// power_W deposited as an isotropic Gaussian of standard deviation sigma_mm around centre_lps,
// sampled at the voxel centres and scaled to sum to exactly power_W.
std::vector<float> gaussianPower(const AblationGrid& grid, const Vec3& centre_lps, double sigma_mm,
                                 double power_W);

}  // namespace twinplan::ablation
