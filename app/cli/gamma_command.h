#pragma once
// `twinplan-cli gamma --reference A --evaluated B [--dose-diff 3] [--dta 3] [--local]
// [--threshold 10] [--max-gamma 2] [--normalisation-dose GY] [--same-frame] [--pass-fail-only]
// [--output MAP]`:
// the 3D gamma index (simulation/radiotherapy/gamma.h) of two doses, each an RTDOSE file or an
// image file (NRRD, MetaImage, NIfTI) in Gy. Kept apart from main.cpp so that other
// radiotherapy commands merge cleanly beside it.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct GammaArguments {
  std::filesystem::path reference, evaluated, output;
  double doseDifference_percent = 3.0;
  double distanceToAgreement_mm = 3.0;
  double threshold_percent = 10.0;
  double maxGamma = 2.0;
  std::optional<double> normalisationDose_Gy;
  bool local = false;
  // Stop each point's search once gamma <= 1 is proven: the same pass rate, faster; the gamma
  // values of passing points are then upper bounds.
  bool passFailOnly = false;
  // Image files carry no frame of reference: the user states that both are in one patient
  // space, so that doses on different grids may be compared.
  bool sameFrame = false;
};

// {"pass_rate_percent", "evaluated_voxels", "passed_voxels", "gamma": {"mean", "max", "median",
// "p95", "p99"}, "normalisation_dose_gy", "threshold_dose_gy", "same_grid", "criteria": {...},
// "reference": {...}, "evaluated": {...}, "time_s", "output"}.
nlohmann::json runGamma(const GammaArguments& arguments, Progress& progress);

}  // namespace twinplan::cli
