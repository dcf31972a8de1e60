#pragma once
// Prediction of a calibrated glioma twin under alternative radiotherapy regimens (issue #19
// item 6): every posterior sample is grown to the last scan, treated with each regimen, and
// followed to a horizon; the enhancing (T1-Gd) and T2/FLAIR volumes are reported as the median
// and the 5th-95th percentile band over the samples, with the time to progression: the first
// day after the last fraction at which the enhancing volume is back to its size at the start of
// radiotherapy (a volumetric analogue of RANO progression, Wen PY et al., J Clin Oncol
// 2010;28:1963, which counts from the smallest size; here from the pre-treatment size).
#include <optional>
#include <string>
#include <vector>

#include "twinplan/glioma/calibration.h"

namespace twinplan::glioma {

struct RegimenOption {
  std::string id, name, source;
  radiotherapy::Regimen regimen;
  int fractionsPerWeek = 5;
};
// The cited regimens of resources/glioma/regimens.json (60 Gy/30, 40 Gy/15, 34 Gy/10, 25 Gy/5).
const std::vector<RegimenOption>& standardRegimens();
// An id of that table, or any "<dose>Gy/<fractions>" ("45Gy/15"); InvalidInput otherwise.
RegimenOption regimenFromText(const std::string& text);

struct PredictionOptions {
  double startDelay_days = 14.0;  // from the last scan to the first fraction
  double horizon_days = 540.0;    // followed from the first fraction
  double reportEvery_days = 7.0;  // volume curve sampling (and the time-to-progression step)
  // Each model voxel's dose as a fraction of the prescription; empty: 1 in the PTV, the last
  // scan's T2/FLAIR tumour (else its enhancing tumour) grown by ptvMargin_mm, and 0 outside.
  std::vector<double> relativeDose;
  // CTV = T2/FLAIR abnormality + 2 cm (ESTRO-ACROP: Niyazi M et al., Radiother Oncol
  // 2016;118:35-42, which allows 2 cm around the resection cavity/enhancing tumour); no PTV
  // margin on top here.
  double ptvMargin_mm = 20.0;
  int maxSamples = 0;  // 0: every posterior sample
};

struct VolumeBand {
  std::vector<double> day;                         // from the first fraction
  std::vector<double> median_ml, low_ml, high_ml;  // 50th, 5th, 95th percentile over samples
};

struct RegimenPrediction {
  RegimenOption regimen;
  double bed_Gy = 0.0;                    // BED of the tumour (alpha/beta of the twin)
  double preTreatmentEnhancing_ml = 0.0;  // median over samples
  VolumeBand enhancing, oedema;
  // Time to progression from the first fraction, days: median and 5th-95th percentile over the
  // samples; none when more than that share of samples has not progressed by the horizon.
  std::optional<double> ttpMedian_days, ttpLow_days, ttpHigh_days;
  int progressedSamples = 0, samples = 0;
  std::vector<double> modeDensityAtHorizon;  // the posterior mode's density at the horizon
};

// Predicts every regimen. `pastCourse` is radiotherapy already given between the scans (as in
// calibration). InvalidInput for no regimen or a bad option; cancellable.
std::vector<RegimenPrediction> predict(
    const BrainDomain& domain, std::span<const ObservedScan> scans,
    const std::optional<TreatmentCourse>& pastCourse, const Posterior& posterior,
    std::span<const RegimenOption> regimens, const CalibrationOptions& model,
    const PredictionOptions& options = {}, Progress& progress = noProgress());

// The default dose map: 1 within `margin_mm` of the scan's T2/FLAIR (else enhancing) tumour,
// inside the brain; 0 elsewhere.
std::vector<double> uniformPtvDose(const BrainDomain& domain, const ObservedScan& scan,
                                   double margin_mm);

// A dose grid (a case field in Gy, e.g. a plan's dose for `prescription_Gy`) on the model grid:
// each model voxel centre takes the dose of the nearest field voxel (0 outside the field),
// divided by the prescription. InvalidInput for a field that is not in Gy, is empty or whose
// values do not fit its grid, or a prescription <= 0.
std::vector<double> relativeDoseFromField(const BrainDomain& domain, const ScalarField& dose,
                                          double prescription_Gy);

// The iso-effective dose of the kind Chaudhuri et al. (2023) report: the total dose, given in
// `fractions` fractions, at which the posterior mode's time to progression equals that of
// `reference` (bisection to 0.1 Gy between 30 % and 150 % of the reference dose). none when the
// reference does not progress by the horizon or the range does not bracket it.
struct IsoEffect {
  std::string reference;
  int fractions = 0;
  double referenceTtp_days = 0.0;
  std::optional<double> totalDose_Gy;
  std::optional<double> doseChange_percent;  // relative to the reference total dose
};
IsoEffect isoEffectiveDose(const BrainDomain& domain, std::span<const ObservedScan> scans,
                           const std::optional<TreatmentCourse>& pastCourse,
                           const Posterior& posterior, const RegimenOption& reference,
                           int fractions, const CalibrationOptions& model,
                           const PredictionOptions& options = {},
                           Progress& progress = noProgress());

}  // namespace twinplan::glioma
