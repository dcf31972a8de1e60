#pragma once
// The glioma twin's test patient (issue #19 items 6 and 8): two MR studies of the head phantom
// 60 days apart whose enhancing tumour and T2/FLAIR abnormality were grown by the
// proliferation-invasion model from known parameters (D_grey 0.1 mm^2/day, rho 0.03 /day) on a
// 4 mm grid about the phantom tumour's centre, first scanned when 3 ml enhance. Shared by the
// CLI test and the RT panel's GUI test. Also the calibration tests' truth (grownGlioma).
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "registration_fixture.h"
#include "twinplan/core/case.h"
#include "twinplan/glioma/calibration.h"
#include "twinplan/glioma/proliferation_invasion.h"

namespace twinplan::test {

inline constexpr double kGliomaKnownDiffusivity = 0.1, kGliomaKnownProliferation = 0.03;

// A tumour grown from known parameters, as the calibration sees it: the model domain and the
// scans' masks.
struct GrownGlioma {
  glioma::BrainDomain domain;
  std::vector<glioma::ObservedScan> scans;
};

// The truth of the calibration tests: a seed at the head phantom tumour's centre grown with
// `parameters` (hard steps of 1 day, not the calibration's steps and interpolation) until 3 ml
// enhance, scanned then (day 0) and on `laterScanDays`, on a `spacing_mm` grid in a box of
// +-`halfBox_mm` about the centre; `course`'s fractions are given between the scans.
inline GrownGlioma grownGlioma(const glioma::GrowthParameters& parameters, double spacing_mm,
                               double halfBox_mm, const std::vector<double>& laterScanDays,
                               const std::optional<glioma::TreatmentCourse>& course = {}) {
  using namespace glioma;
  const phantom::Phantom head = headPhantom(0.5);
  const Vec3 centre = head.tumours.front().centre_lps;
  GrownGlioma truth;
  truth.domain = brainDomain(head.twin.labelMaps.front(), centre - Vec3::Constant(halfBox_mm),
                             centre + Vec3::Constant(halfBox_mm), {spacing_mm});
  const ProliferationInvasion model(truth.domain, parameters, {1.0, 1e-8, 500});
  std::vector<double> c = seedDensity(truth.domain, centre, 1.0, 3.0);
  while (model.visibleVolume_ml(c, kT1GadoliniumThreshold) < 3.0) model.advance(c, 1.0);
  const auto scan = [&](double day) {
    truth.scans.push_back(
        {day, visibleMask(c, kT1GadoliniumThreshold), visibleMask(c, kT2FlairThreshold)});
  };
  scan(0.0);
  const std::vector<double> fractions = course ? fractionDays(*course) : std::vector<double>{};
  double now = 0;
  std::size_t next = 0;
  for (double day : laterScanDays) {
    for (; next < fractions.size() && fractions[next] < day; ++next) {
      model.advance(c, fractions[next] - now);
      now = fractions[next];
      model.irradiate(c, course->regimen.dosePerFraction_Gy());
    }
    model.advance(c, day - now);
    now = day;
    scan(day);
  }
  return truth;
}

// The model's masks as a label map on `grid` (nearest model voxel): "Enhancing" in layer 0,
// "Oedema" (which contains it) in layer 1.
inline LabelMap gliomaTumourLabels(const ImageGeometry& grid, const glioma::BrainDomain& domain,
                                   const std::vector<double>& density, const std::string& name) {
  LabelMap labels(grid);
  labels.name = name;
  labels.addLayer();
  Segment enhancing{.name = "Enhancing", .tissueType = "tumour", .colour = {255, 255, 0}};
  Segment oedema{.name = "Oedema", .tissueType = "tumour", .colour = {255, 140, 0}, .layer = 1};
  labels.segments() = {enhancing, oedema};
  const auto& g = domain.geometry;
  for (std::int64_t k = 0; k < grid.size[2]; ++k)
    for (std::int64_t j = 0; j < grid.size[1]; ++j)
      for (std::int64_t i = 0; i < grid.size[0]; ++i) {
        const Vec3 m = g.lpsToIndex(grid.indexToLps(
            Vec3(static_cast<double>(i), static_cast<double>(j), static_cast<double>(k))));
        if (!g.contains(m)) continue;
        const double c =
            density[g.linearIndex(std::llround(m[0]), std::llround(m[1]), std::llround(m[2]))];
        const std::size_t n = grid.linearIndex(i, j, k);
        if (c >= glioma::kT1GadoliniumThreshold) labels.layer(0)[n] = 1;
        if (c >= glioma::kT2FlairThreshold) labels.layer(1)[n] = 1;
      }
  return labels;
}

// The case: series "MR" (2026-01-01) and "MR 2026-03-02" (day 60) in one frame of reference (no
// registration needed), the phantom's brain label map "Brain", and the tumour label maps of both
// scans.
inline Case gliomaFollowUpCase() {
  const phantom::Phantom head = headPhantom(0.5);
  ImageVolume baseline = volumeOf(head, "MR T1");
  baseline.name = "MR";
  baseline.dicom.patientId = "TP-GLIOMA";
  baseline.dicom.studyDate = "20260101";
  baseline.dicom.frameOfReferenceUid = "1.2.826.0.1.3680043.10.7";
  ImageVolume later = baseline;
  later.name = "MR 2026-03-02";
  later.dicom.studyDate = "20260302";  // day 60
  later.dicom.seriesInstanceUid = "1.2.826.0.1.3680043.10.8";
  later.dicom.studyInstanceUid = "1.2.826.0.1.3680043.10.9";

  // The truth, grown with 1-day steps from its own seed at the phantom tumour's centre.
  const Vec3 centre = head.tumours.front().centre_lps;
  const glioma::BrainDomain domain = glioma::brainDomain(
      head.twin.labelMaps.front(), centre - Vec3::Constant(40), centre + Vec3::Constant(40), {4.0});
  glioma::GrowthParameters known;
  known.greyDiffusivity_mm2_per_day = kGliomaKnownDiffusivity;
  known.proliferation_per_day = kGliomaKnownProliferation;
  const glioma::ProliferationInvasion model(domain, known, {1.0, 1e-8, 500});
  std::vector<double> c = glioma::seedDensity(domain, centre, 1.0, 3.0);
  while (model.visibleVolume_ml(c, glioma::kT1GadoliniumThreshold) < 3.0) model.advance(c, 1.0);
  const LabelMap first = gliomaTumourLabels(baseline.geometry(), domain, c, "Tumour MR");
  model.advance(c, 60.0);
  const LabelMap second = gliomaTumourLabels(later.geometry(), domain, c, "Tumour MR 2026-03-02");

  Case twin;
  twin.name = "Glioma follow-up";
  twin.patientId = "TP-GLIOMA";
  twin.volumes = {baseline, later};
  // Grey and white matter (and the phantom's own "Tumour", unused here).
  LabelMap brain = head.twin.labelMaps.front();
  brain.name = "Brain";
  twin.labelMaps = {brain, first, second};
  return twin;
}

}  // namespace twinplan::test
