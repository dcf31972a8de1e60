#pragma once
// The RF benchmark's treatment (bench/ablation_bench.cpp) shortened, for the tests that check a
// solver option against the path without it: the cooled 3 cm electrode at the Cool-tip's 200 W
// under impedance control, along z through a 61 mm cube of the tissue table's liver, for two
// minutes (three roll-offs), temperature recorded 10 and 20 mm from the axis.
#include <algorithm>
#include <functional>

#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/rf_source.h"
#include "twinplan/ablation/tissue_library.h"

namespace twinplan::ablation::testing {

struct CooledRfRun {
  AblationResult result;
  int rollOffs = 0;
  int potentialSolves = 0;
  int nestedWarmStarts = 0;
  long long potentialIterations = 0;
};

// `adjust` sets the options under test on the run's parameters and RF settings.
inline CooledRfRun runCooledRf(const std::function<void(BioheatParameters&, RfSettings&)>& adjust) {
  const AblationDevice& device = findDevice("rf-cooled-3cm");
  const AblationGrid grid = uniformGrid(tissueLibrary().at("liver"), {61, 61, 61}, 1.0);
  const ProbePlacement alongZ{Vec3(0.0, 0.0, 15.0), Vec3(0.0, 0.0, -100.0)};
  RfSettings settings = rfSettingsFor(device);
  BioheatParameters parameters;
  parameters.duration_s = 120.0;
  parameters.recordedPoints_lps = {Vec3(10.0, 0.0, 0.0), Vec3(20.0, 0.0, 0.0)};
  adjust(parameters, settings);
  RfSource source(grid, device, alongZ, settings);
  CooledRfRun run;
  run.result = simulateAblation(grid, source, parameters);
  run.rollOffs = source.rollOffCount();
  run.potentialSolves = source.potentialSolves();
  run.nestedWarmStarts = source.nestedWarmStarts();
  run.potentialIterations = source.potentialIterations();
  return run;
}

inline float largest(const ScalarField& field) {
  return *std::max_element(field.values.begin(), field.values.end());
}

}  // namespace twinplan::ablation::testing
