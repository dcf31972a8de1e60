#pragma once
// A heat source for the water tests: one voxel heated at a given power during the first step
// only (then nothing), no held voxels.
#include <cstddef>
#include <vector>

#include "twinplan/ablation/heat_source.h"

namespace twinplan::ablation::testing {

class PulseSource : public HeatSource {
 public:
  PulseSource(std::size_t voxel, float power_W_m3) : voxel_(voxel), power_W_m3_(power_W_m3) {}
  void depositedPower(const AblationGrid& grid, const ThermalState& state, double,
                      std::vector<float>& power) override {
    power.assign(grid.geometry.voxelCount(), 0.0f);
    if (state.time_s < 1e-9) power[voxel_] = power_W_m3_;
  }
  double deliveredPower_W() const override { return 0.0; }

 private:
  std::size_t voxel_;
  float power_W_m3_;
};

}  // namespace twinplan::ablation::testing
