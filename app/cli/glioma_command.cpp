#include "glioma_command.h"

#include <chrono>
#include <cstdio>

#include "cli_options.h"
#include "twinplan/core/case_file.h"

namespace twinplan::cli {

using nlohmann::json;

namespace {

// Loads the case, runs `step` on it, stores its outcome and saves the case.
template <class Step>
json runOnCase(const std::filesystem::path& casePath, const GliomaOptions& options, Step step) {
  const auto start = std::chrono::steady_clock::now();
  Case twin = loadCase(casePath);
  engine::GliomaTwinOutcome outcome = step(twin);
  outcome.edit->apply(twin);
  const std::filesystem::path out = options.out.empty() ? casePath : options.out;
  saveCase(twin, out);
  json result = {{"case", casePath.string()}};
  result.update(outcome.report);
  result["saved"] = out.string();
  result["time_s"] = secondsSince(start);
  return result;
}

void printCalibration(const json& r) {
  std::printf("Calibrated on %zu scans in %.1f s (%d model runs):\n", r["scans"].size(),
              r["time_s"].get<double>(), r["posterior"]["evaluations"].get<int>());
  for (const auto& [name, p] : r["posterior"]["parameters"].items())
    std::printf("  %s = %.4g (90 %%: %.4g..%.4g)\n", name.c_str(), p["mode"].get<double>(),
                p["p05"].get<double>(), p["p95"].get<double>());
  std::printf("Saved %s\n", r["saved"].get<std::string>().c_str());
}

void printPrediction(const json& r) {
  for (const json& p : r["regimens"]) {
    const json& ttp = p["ttp_days"];
    std::printf(
        "%-8s BED %.1f Gy: time to progression %s days (%s..%s), %d/%d progressed\n",
        p["id"].get<std::string>().c_str(), p["bed_gy"].get<double>(),
        ttp["median"].is_null() ? ">horizon" : std::to_string(ttp["median"].get<int>()).c_str(),
        ttp["p05"].is_null() ? "-" : std::to_string(ttp["p05"].get<int>()).c_str(),
        ttp["p95"].is_null() ? ">horizon" : std::to_string(ttp["p95"].get<int>()).c_str(),
        p["progressed_samples"].get<int>(), p["samples"].get<int>());
  }
  std::printf("Saved %s\n", r["saved"].get<std::string>().c_str());
}

}  // namespace

json runGliomaCalibrate(const std::filesystem::path& casePath, const GliomaOptions& options,
                        Progress& progress) {
  return runOnCase(casePath, options, [&](const Case& twin) {
    return engine::calibrateGliomaTwin(twin, options, progress);
  });
}

json runGliomaPredict(const std::filesystem::path& casePath, const GliomaOptions& options,
                      Progress& progress) {
  return runOnCase(casePath, options, [&](const Case& twin) {
    return engine::predictGliomaTwin(twin, options, progress);
  });
}

void addGliomaCommands(CLI::App& app, GliomaCommands& commands) {
  auto* glioma = app.add_subcommand(
      "glioma", "Glioma twin: calibrate growth from follow-up scans, predict regimens");
  glioma->require_subcommand(1);
  GliomaOptions& o = commands.options;
  const auto common = [&](CLI::App* command) {
    command->add_option("CASE", commands.casePath, "Case file (.twinplan)")->required();
    command->add_option("--segment", o.segment,
                        "Enhancing tumour segment (T1-Gd) at every scan (default Tumour)");
    command->add_option("--out", o.out, "Save the case here (default: over CASE)");
  };
  commands.calibrate = glioma->add_subcommand(
      "calibrate", "Fit diffusivity, proliferation (and alpha) with their uncertainty");
  common(commands.calibrate);
  commands.calibrate->add_option("--oedema", o.oedema,
                                 "T2/FLAIR abnormality segment at every scan (optional)");
  commands.calibrate->add_option("--baseline", o.baseline, "Baseline series (default: earliest)");
  commands.calibrate->add_option("--spacing", o.spacing_mm, "Model grid in mm (default 3)");
  commands.calibrate->add_option("--margin", o.margin_mm,
                                 "Model box margin around the tumour in mm (default 30)");
  commands.calibrate->add_option("--step-days", o.step_days, "Time step in days (default 2)");
  commands.calibrate->add_option("--samples", o.samples, "Posterior samples (default 16)");
  commands.calibrate->add_option("--past-regimen", o.pastRegimen,
                                 "Radiotherapy given between the scans, e.g. 60Gy/30");
  commands.calibrate->add_option("--past-start-day", o.pastStartDay,
                                 "Its first fraction, days after the first scan");
  commands.predict = glioma->add_subcommand(
      "predict", "Volume curves with bands, time to progression, per regimen");
  common(commands.predict);
  commands.predict->add_option("--regimen", o.regimens,
                               "60Gy/30, 40Gy/15, ... (repeatable; default: the cited table)");
  commands.predict->add_option("--horizon", o.horizon_days,
                               "Days followed from the first fraction (default 540)");
  commands.predict->add_option("--start-delay", o.startDelay_days,
                               "Days from the last scan to the first fraction (default 14)");
  commands.predict->add_option("--samples", o.samples, "Use at most this many posterior samples");
  commands.predict->add_option("--dose-field", o.doseField,
                               "Shape the dose like this case field (Gy; default: uniform CTV)");
  commands.predict->add_option("--prescription", o.prescription_Gy,
                               "The dose field's prescription in Gy (default 60)");
  commands.predict->add_option("--iso-fractions", o.isoFractions,
                               "Also find the dose in N fractions equal to the first regimen");
}

bool runGliomaCommand(const GliomaCommands& commands, bool asJson, Progress& progress) {
  if (commands.calibrate && *commands.calibrate) {
    printResult(runGliomaCalibrate(commands.casePath, commands.options, progress), asJson,
                printCalibration);
    return true;
  }
  if (commands.predict && *commands.predict) {
    printResult(runGliomaPredict(commands.casePath, commands.options, progress), asJson,
                printPrediction);
    return true;
  }
  return false;
}

}  // namespace twinplan::cli
