#pragma once
// `twinplan-cli dvh --dose RD.dcm --structures RS.dcm [--structure NAME]... [--supersampling N]
// [--json]`: dose-volume histograms of an RTSTRUCT's ROIs on an RTDOSE grid
// (radiotherapy/dvh.h). Kept apart from main.cpp so that the other radiotherapy commands merge
// cleanly beside it.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct DvhArguments {
  std::filesystem::path dose, structures;
  std::vector<std::string> names;  // empty: every ROI with closed contours
  int supersampling = 4;
};

// {"dose", "structures_file", "frame_of_reference_uid", "dose_type", "summation_type",
//  "supersampling", "bin_width_gy", "structures": [{"name", "volume_cm3",
//  "volume_outside_dose_cm3", "dmin_gy", "dmean_gy", "dmax_gy", "d95_gy", "d2_gy",
//  "uncertainty": {same keys}, "cumulative": {"dose_gy": [...], "volume_cm3": [...]}}],
//  "notes"}. Error(InvalidInput) when the dose is not in Gy or the two files are in different
// frames of reference; Error(NotFound) for a --structure the file does not have.
nlohmann::json runDvh(const DvhArguments& arguments, Progress& progress);

}  // namespace twinplan::cli
