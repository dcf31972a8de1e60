#pragma once
// `twinplan-cli dvh --dose RD.dcm --structures RS.dcm [--structure NAME]... [--supersampling N]
// [--json]`: dose-volume histograms of an RTSTRUCT's ROIs on an RTDOSE grid
// (radiotherapy/dvh.h). Kept apart from main.cpp so that the other radiotherapy commands merge
// cleanly beside it.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct DvhArguments {
  std::filesystem::path dose, structures;
  std::vector<std::string> names;  // empty: every ROI with closed contours
  int supersampling = 4;
  // "quantec" (the built-in QUANTEC/ICRU table) or a constraint table JSON file; empty: none.
  std::string constraints;
  std::optional<double> prescription_Gy;  // for limits in %Rx
};

// {"dose", "structures_file", "frame_of_reference_uid", "dose_type", "summation_type",
//  "supersampling", "bin_width_gy", "structures": [{"name", "volume_cm3",
//  "volume_outside_dose_cm3", "dmin_gy", "dmean_gy", "dmax_gy", "d95_gy", "d2_gy",
//  "uncertainty": {same keys}, "cumulative": {"dose_gy": [...], "volume_cm3": [...]}}],
//  "notes"}; with --constraints also "constraints": {"protocol", "prescription_gy", "failed",
//  "results": [{"structure", "roi", "metric", "limit", "value", "unit", "limit_value", "pass",
//  "borderline", "uncertainty", "endpoint", "source"}], "not_evaluated": [...]}.
//  Error(InvalidInput) when the dose is not in Gy or the two files are in different
// frames of reference; Error(NotFound) for a --structure the file does not have.
nlohmann::json runDvh(const DvhArguments& arguments, Progress& progress);

}  // namespace twinplan::cli
