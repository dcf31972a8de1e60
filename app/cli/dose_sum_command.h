#pragma once
// `twinplan-cli dose-sum A.dcm B.dcm [C.dcm ...] [--weights wA wB ...] --out SUM.dcm` and
// `twinplan-cli dose-diff A.dcm B.dcm --out DIFF.dcm` (issue #19 item 4): voxel-wise sum or
// difference (A - B) of RT Doses on one grid in one frame of reference
// (radiotherapy/dose_grid.h), written as an RT Dose. Doses on different grids or in different
// frames of reference are refused, never resampled.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct DoseSumArguments {
  std::vector<std::filesystem::path> doses;  // sum: two or more; difference: exactly two
  std::vector<double> weights;               // sum only: one per dose; empty: all 1
  std::filesystem::path out;
  bool difference = false;
};

// {"operation": "sum" | "difference", "inputs": [{"file", "weight", "summation_type",
// "dose_type", "max_gy"}], "frame_of_reference_uid", "size", "spacing_mm", "origin_lps_mm",
// "min_gy", "max_gy", "dose_type", "summation_type", "output", "rtdose_sop_instance_uid"}.
// The sum is written as a PLAN dose when every input references the same RT Plan, else
// MULTI_PLAN; the difference as Dose Type ERROR (signed, PS3.3 C.8.8.3.4) with A's plan
// reference. Error(InvalidInput) for a wrong number of doses or weights, a dose not in Gy,
// another Dose Type (PHYSICAL with EFFECTIVE), another frame of reference or another grid
// (both named); NotFound/Corrupt from the reader.
nlohmann::json runDoseSum(const DoseSumArguments& arguments, Progress& progress);

}  // namespace twinplan::cli
