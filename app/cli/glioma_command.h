#pragma once
// `twinplan-cli glioma calibrate|predict CASE ...`: the glioma twin of issue #19 item 6
// (engine/glioma_twin.h on simulation/glioma), run on a case file that is then saved. Kept apart
// from main.cpp like fem_command.*.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"
#include "twinplan/engine/glioma_twin.h"

namespace twinplan::cli {

// The twin's settings (engine/glioma_twin.h) and where to save the case.
struct GliomaOptions : engine::GliomaTwinOptions {
  std::filesystem::path out;  // where to save the case (default: over CASE)
};

// calibrateGliomaTwin's report with "case", "saved" and "time_s"; the case is saved.
nlohmann::json runGliomaCalibrate(const std::filesystem::path& casePath,
                                  const GliomaOptions& options, Progress& progress);

// predictGliomaTwin's report with "case", "saved" and "time_s"; the case is saved.
nlohmann::json runGliomaPredict(const std::filesystem::path& casePath, const GliomaOptions& options,
                                Progress& progress);

// The `glioma calibrate` and `glioma predict` subcommands of `app`, and running whichever was
// chosen: JSON on stdout with `json`, else a short summary. runGliomaCommand returns false when
// neither was chosen.
struct GliomaCommands {
  CLI::App* calibrate = nullptr;
  CLI::App* predict = nullptr;
  std::filesystem::path casePath;
  GliomaOptions options;
};
void addGliomaCommands(CLI::App& app, GliomaCommands& commands);
bool runGliomaCommand(const GliomaCommands& commands, bool json, Progress& progress);

}  // namespace twinplan::cli
