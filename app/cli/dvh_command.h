#pragma once
// `twinplan-cli dvh --dose RD.dcm --structures RS.dcm [--structure NAME]... [--supersampling N]
// [--fractions N] [--target NAME]... [--ntcp ROI=MODEL]... [--json]`: dose-volume histograms of an
// RTSTRUCT's ROIs on an RTDOSE grid (radiotherapy/dvh.h). Kept apart from main.cpp so that the
// other radiotherapy commands merge cleanly beside it.
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
  // Radiobiology (issue #19 item 5) on each DVH's differential bins:
  std::optional<int> fractions;         // the course's fraction count; needed for TCP
  std::vector<std::string> targets;     // ROIs that get a TCP (Poisson LQ, Webb & Nahum 1993)
  std::vector<std::string> ntcpModels;  // "ROI=MODEL_ID": an NTCP model beyond the name mapping
};

// {"dose", "structures_file", "frame_of_reference_uid", "dose_type", "summation_type",
//  "supersampling", "bin_width_gy", "structures": [{"name", "volume_cm3",
//  "volume_outside_dose_cm3", "dmin_gy", "dmean_gy", "dmax_gy", "d95_gy", "d2_gy",
//  "uncertainty": {same keys}, "cumulative": {"dose_gy": [...], "volume_cm3": [...]}}],
//  "notes"}; with --constraints also "constraints": {"protocol", "prescription_gy", "failed",
//  "results": [{"structure", "roi", "metric", "limit", "value", "unit", "limit_value", "pass",
//  "borderline", "uncertainty", "endpoint", "source"}], "not_evaluated": [...]}.
//  A structure with an LKB model (its name contains lung, rectum, liver, heart, brainstem or
//  parotid, or --ntcp names it) gets "ntcp": {"model", "name", "source", "mapped_by", "td50_gy",
//  "m", "n", "dose", "geud_gy", "ntcp"}; a --target gets "tcp": {"model", "source", "fractions",
//  "alpha_mean_per_gy", "alpha_sigma_per_gy", "clonogens_per_cm3", "alpha_beta_gy", "tcp"}.
//  Error(InvalidInput) when the dose is not in Gy or the two files are in different
// frames of reference or a --target without --fractions; Error(NotFound) for a --structure,
// --target or --ntcp ROI the file does not have, or an unknown model id.
nlohmann::json runDvh(const DvhArguments& arguments, Progress& progress);

}  // namespace twinplan::cli
