#pragma once
// `twinplan-cli gamma --reference A --evaluated B [--dose-diff 3] [--dta 3] [--local]
// [--threshold 10] [--max-gamma 2] [--normalisation-dose GY] [--same-frame] [--pass-fail-only]
// [--output MAP]`:
// the 3D gamma index (simulation/radiotherapy/gamma.h) of two doses, each an RTDOSE file or an
// image file (NRRD, MetaImage, NIfTI) in Gy. Kept apart from main.cpp so that other
// radiotherapy commands merge cleanly beside it.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "twinplan/core/progress.h"
#include "twinplan/radiotherapy/gamma.h"

namespace twinplan::cli {

struct GammaArguments {
  std::filesystem::path reference, evaluated, output;
  // The options set the criteria directly (--dose-diff, --dta, --local, --threshold,
  // --max-gamma, --normalisation-dose, --pass-fail-only), with the library's defaults.
  radiotherapy::GammaCriteria criteria;
  // Image files carry no frame of reference: the user states that both are in one patient
  // space, so that doses on different grids may be compared.
  bool sameFrame = false;
};

// {"pass_rate_percent", "evaluated_voxels", "passed_voxels", "gamma": {"mean", "max", "median",
// "p95", "p99"}, "normalisation_dose_gy", "threshold_dose_gy", "same_grid", "criteria": {...},
// "reference": {...}, "evaluated": {...}, "time_s", "output"}.
nlohmann::json runGamma(const GammaArguments& arguments, Progress& progress);

}  // namespace twinplan::cli
