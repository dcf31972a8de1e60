#pragma once
// The inputs of one bioheat step on a small grid (simulation/ablation/src/bioheat_step.h,
// StepInputs) for the step system's unit tests: two tissues at random, so that the faces' harmonic
// means differ from voxel to voxel (liver-like and fat-like conductivities, IT'IS v4.1: 0.52 and
// 0.21 W/(m K), with a temperature coefficient of 0.3 %/K, chosen so that the lagged deviation
// inside a box changes k; liver's rho c, IT'IS v4.1: 1079 kg/m3 x 3540 J/(kg K)), heated at
// random. Include after the module's src/ headers (the tests add that directory).
#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "bioheat_step.h"
#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/heat_source.h"
#include "twinplan/ablation/tissue_properties.h"

namespace twinplan::ablation::detail {

struct HeatedStepGrid {
  AblationGrid grid;
  BioheatParameters parameters;
  std::vector<TissueCoefficients> tissues;
  std::vector<float> noWalls, temperature_degC, damage, power_W_m3, previousChange_K, beyond_K;
  std::vector<HeldTemperature> held;
  std::array<std::int64_t, 3> size;

  // Every voxel 10-15 K above arterial, 1-2 MW/m3; the last step's change and the far field's
  // deviation beyond the box (beyond_K) drawn at random up to the given scales (K), or 0 (no
  // draw) where a scale is 0.
  HeatedStepGrid(std::array<std::int64_t, 3> gridSize, unsigned seed, float lastChangeScale_K,
                 float beyondScale_K)
      : size(gridSize) {
    grid.geometry.size = {size[0], size[1], size[2]};
    grid.geometry.spacing_mm = Vec3(1.0, 1.0, 1.0);
    const auto count = std::size_t(size[0] * size[1] * size[2]);
    grid.tissues.resize(2);
    grid.tissue.resize(count);
    tissues.resize(2);
    const double k37[2] = {0.52, 0.21};
    for (std::size_t t = 0; t < 2; ++t) {
      tissues[t].heatCapacityPerVolume_J_m3K = 1079.0 * 3540.0;
      tissues[t].conductivity_W_mK = k37[t];
      tissues[t].conductivityCoefficient_per_K = 0.003;
    }
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (auto& t : grid.tissue) t = TissueIndex(uniform(generator) > 0.0f ? 1 : 0);
    for (std::size_t v = 0; v < count; ++v) {
      temperature_degC.push_back(
          float(parameters.arterialTemperature_degC + 10.0 + 5.0 * uniform(generator)));
      damage.push_back(0.0f);
      power_W_m3.push_back(1e6f * (1.0f + uniform(generator)));
      previousChange_K.push_back(lastChangeScale_K > 0.0f ? lastChangeScale_K * uniform(generator)
                                                          : 0.0f);
      if (beyondScale_K > 0.0f) beyond_K.push_back(beyondScale_K * uniform(generator));
    }
  }

  // The step's inputs (5 s), with the far field beyond the box where farField.
  StepInputs inputs(bool farField = false) const {
    StepInputs in;
    in.grid = &grid;
    in.parameters = &parameters;
    in.tissues = &tissues;
    in.wallCoefficient_W_m2K = &noWalls;
    in.temperature_degC = &temperature_degC;
    in.damage = &damage;
    in.power_W_m3 = &power_W_m3;
    in.held = &held;
    in.previousChange_K = &previousChange_K;
    in.step_s = 5.0;
    in.beyondBox_K = farField ? &beyond_K : nullptr;
    return in;
  }

  std::size_t voxel(const std::array<std::int64_t, 3>& ijk) const {
    return std::size_t(ijk[0] + size[0] * (ijk[1] + size[1] * ijk[2]));
  }
};

// The box's lagged deviations (K): 0-15 K at random, so that k inside the box differs from k
// beyond it.
inline std::vector<float> lagFor(const Box& box) {
  std::mt19937 generator(5);
  std::uniform_real_distribution<float> uniform(0.0f, 15.0f);
  std::vector<float> lag(box.voxelCount());
  for (auto& d : lag) d = uniform(generator);
  return lag;
}

}  // namespace twinplan::ablation::detail
