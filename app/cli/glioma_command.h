#pragma once
// `twinplan-cli glioma calibrate|predict CASE ...`: the glioma twin of issue #19 item 6
// (simulation/glioma). Kept apart from main.cpp like fem_command.*.
//
// calibrate: the case's follow-up time points (engine/followup.h growth table) that carry the
// enhancing-tumour segment (and the T2/FLAIR segment, when named) become the scans; the brain is
// the case's grey- and white-matter segments; the posterior is stored in the case as a plan of
// kind "glioma-twin" (an undoable edit) and the case saved.
// predict: reads that plan, predicts each regimen, stores the posterior mode's predicted density
// at the horizon as a field per regimen and the predictions in the plan, and saves the case.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/progress.h"

namespace twinplan::cli {

struct GliomaOptions {
  std::string segment = "Tumour";  // enhancing tumour on T1-Gd
  std::string oedema;              // T2/FLAIR abnormality; optional
  std::string baseline;            // baseline series (default: the earliest)
  double spacing_mm = 3.0;         // model grid
  double margin_mm = 30.0;         // model box around the tumour masks of every scan
  double step_days = 2.0;
  int samples = 16;
  // Radiotherapy given between the scans: "60Gy/30" starting `pastStartDay` after the first scan.
  std::string pastRegimen;
  double pastStartDay = 0.0;
  // predict
  std::vector<std::string> regimens;  // empty: the cited table (resources/glioma/regimens.json)
  double horizon_days = 540.0;
  double startDelay_days = 14.0;
  int isoFractions = 0;
  // A case field in Gy to shape each regimen's dose (scaled from `prescription_Gy` to the
  // regimen's total); empty: uniform to the last T2/FLAIR mask + 2 cm.
  std::string doseField;
  double prescription_Gy = 60.0;  // > 0: the dose in that many fractions equal to the first regimen
  std::filesystem::path out;      // where to save the case (default: over CASE)
};

// {"case", "segment", "oedema", "scans": [{"study_date", "day", "label_map", "enhancing_ml",
// "oedema_ml"}], "grid": {"spacing_mm", "size", "origin_lps"}, "posterior": {...
// Posterior::toJson}, "plan", "saved", "time_s"}.
nlohmann::json runGliomaCalibrate(const std::filesystem::path& casePath,
                                  const GliomaOptions& options, Progress& progress);

// {"case", "plan", "regimens": [{"id", "name", "source", "total_dose_gy", "fractions",
// "bed_gy", "pre_treatment_enhancing_ml", "ttp_days": {"median", "p05", "p95"},
// "progressed_samples", "samples", "curve": {"day", "enhancing_ml": {"median", "p05", "p95"},
// "oedema_ml": {...}}, "field"}], "iso_effect", "saved", "time_s"}.
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
