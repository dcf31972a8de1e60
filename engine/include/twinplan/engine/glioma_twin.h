#pragma once
// The glioma twin of a case (issue #19 items 6 and 8), for every front end: the CLI's
// `glioma calibrate|predict` and the RT panel. The model and its inverse problem live in
// simulation/glioma; here a case becomes the model's input and the outcome an undoable edit.
//
// calibrate: the case's follow-up time points (followup.h growth table) that carry the enhancing
// tumour segment (and the T2/FLAIR segment, when named) become the scans; the brain is the case's
// grey- and white-matter segments; the posterior is stored as a plan of kind "glioma-twin" named
// "Glioma twin: <segment>".
// predict: reads that plan, predicts each regimen, stores the posterior mode's density at the
// horizon as a field per regimen and the predictions in the plan.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/progress.h"

namespace twinplan::engine {

inline constexpr const char* kGliomaTwinPlanKind = "glioma-twin";

struct GliomaTwinOptions {
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
  int isoFractions = 0;  // > 0: the dose in that many fractions equal to the first regimen
  // A case field in Gy to shape each regimen's dose (scaled from `prescription_Gy` to the
  // regimen's total); empty: uniform to the last T2/FLAIR mask + 2 cm.
  std::string doseField;
  double prescription_Gy = 60.0;
};

// What was computed (JSON for the CLI and the panel) and the edit that stores it in the case.
struct GliomaTwinOutcome {
  nlohmann::json report;
  std::unique_ptr<CaseEdit> edit;
};

std::string gliomaTwinPlanName(const std::string& segment);

// {"segment", "oedema", "scans": [{"study_date", "day", "series", "label_map", "enhancing_ml",
// "oedema_ml"}], "grid": {"spacing_mm", "size", "origin_lps", "brain_voxels"}, "posterior":
// {... Posterior::toJson without its samples}, "plan"}. Cancellable; InvalidInput / NotFound for
// a case that cannot be calibrated (see followup.h and glioma/calibration.h).
GliomaTwinOutcome calibrateGliomaTwin(const Case& twin, const GliomaTwinOptions& options,
                                      Progress& progress = noProgress());

// {"plan", "regimens": [{"id", "name", "source", "total_dose_gy", "fractions", "alpha_beta_gy",
// "bed_gy", "eqd2_gy", "pre_treatment_enhancing_ml", "ttp_days": {"median", "p05", "p95"},
// "progressed_samples", "samples", "curve": {"day", "enhancing_ml": {"median", "p05", "p95"},
// "oedema_ml": {...}}, "field"}], "iso_effect"}. The plan and the model settings are the stored
// calibration's (options.segment names it); options.samples > 0 uses at most that many samples.
GliomaTwinOutcome predictGliomaTwin(const Case& twin, const GliomaTwinOptions& options,
                                    Progress& progress = noProgress());

}  // namespace twinplan::engine
