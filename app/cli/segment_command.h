#pragma once
// `twinplan-cli segment CASE --op TOOL --segment NAME ... --out CASE`: one editing tool of
// segmentation/segment_edit.h on one segment of a case file, through the same undoable edit
// the GUI uses. Kept apart from main.cpp so that other segment options (--preset) merge
// cleanly beside it.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct SegmentToolArguments {
  std::filesystem::path input, output;
  std::string tool, segment, labelMap, other, shell = "inside", logical, insideSegment;
  std::string preset, volume;  // --preset NAME [--volume V]: an automatic preset instead of --op
  std::string intensityVolume;
  std::vector<double> intensityRange;  // MIN,MAX
  std::vector<double> seed_lps;        // x,y,z mm
  std::optional<double> margin_mm;
  double minIslandVolume_mm3 = 0.0;
  int connectivity = 26;
  bool perSlice = false;
};

// Adds the tool and preset options to `command` (the `segment` subcommand). Exactly one of
// --op (with --segment) and --preset is given; runSegmentTool checks.
void addSegmentToolOptions(CLI::App& command, SegmentToolArguments& arguments);

// Loads the case, applies the tool, saves the result to `output`; returns what was done:
// {"operation", "segment", "labelMap", "volumeBefore_ml", "volumeAfter_ml", "output",
// "segments": [{"name", "volume_ml"}]}. Throws Error naming what is wrong; Cancelled.
nlohmann::json runSegmentTool(const SegmentToolArguments& arguments, Progress& progress);

}  // namespace twinplan::cli
