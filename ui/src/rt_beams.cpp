#include "rt_beams.h"

#include <algorithm>

#include "twinplan/core/error.h"

namespace twinplan::ui {

namespace {

constexpr double kOpen_mm = 1e8;  // an Aperture's bound beyond this is "no collimator"

BeamDrawing drawBeam(const io::Beam& beam, radiotherapy::PatientPosition position) {
  BeamDrawing drawing;
  drawing.name = beam.name.empty() ? "Beam " + std::to_string(beam.number) : beam.name;
  drawing.geometry = radiotherapy::beamGeometry(beam, position);
  try {
    drawing.openings_mm = apertureOpenings(radiotherapy::apertureAt(beam, 0));
  } catch (const Error&) {
    // No jaws or leaves in both directions (an ion beam): its axis alone is drawn.
  }
  const radiotherapy::BeamGeometry& g = drawing.geometry;
  const double sad = g.sourceAxisDistance_mm, beyond = sad + kBeamLineBeyondIsocentre_mm;
  drawing.axis_lps.push_back({g.source_lps, g.pointOnRay(0, 0, beyond)});
  double x1 = kOpen_mm, x2 = -kOpen_mm, y1 = kOpen_mm, y2 = -kOpen_mm;
  for (const auto& [a1, a2, b1, b2] : drawing.openings_mm) {
    const Vec3 c[4] = {g.pointOnRay(a1, b1, sad), g.pointOnRay(a2, b1, sad),
                       g.pointOnRay(a2, b2, sad), g.pointOnRay(a1, b2, sad)};
    for (int n = 0; n < 4; ++n) drawing.outline_lps.push_back({c[n], c[(n + 1) % 4]});
    x1 = std::min(x1, a1), x2 = std::max(x2, a2), y1 = std::min(y1, b1), y2 = std::max(y2, b2);
  }
  if (!drawing.openings_mm.empty())
    for (const auto& [x, y] : {std::pair{x1, y1}, {x2, y1}, {x2, y2}, {x1, y2}})
      drawing.edges_lps.push_back({g.source_lps, g.pointOnRay(x, y, beyond)});
  return drawing;
}

}  // namespace

std::vector<std::array<double, 4>> apertureOpenings(const radiotherapy::Aperture& a) {
  std::vector<std::array<double, 4>> openings;
  if (a.leafBoundaries_mm.empty()) {
    if (a.x1_mm > -kOpen_mm && a.x2_mm < kOpen_mm && a.y1_mm > -kOpen_mm && a.y2_mm < kOpen_mm &&
        a.x1_mm < a.x2_mm && a.y1_mm < a.y2_mm)
      openings.push_back({a.x1_mm, a.x2_mm, a.y1_mm, a.y2_mm});
    return openings;
  }
  // Leaves move along `along` (X for MLCX); their pairs are stacked across it, each clipped by
  // the jaws in both directions.
  const double alongLow = a.leavesAlongX ? a.x1_mm : a.y1_mm;
  const double alongHigh = a.leavesAlongX ? a.x2_mm : a.y2_mm;
  const double acrossLow = a.leavesAlongX ? a.y1_mm : a.x1_mm;
  const double acrossHigh = a.leavesAlongX ? a.y2_mm : a.x2_mm;
  for (std::size_t n = 0; n + 1 < a.leafBoundaries_mm.size() && n < a.leafNegative_mm.size(); ++n) {
    const double lo = std::max(a.leafNegative_mm[n], alongLow);
    const double hi = std::min(a.leafPositive_mm[n], alongHigh);
    const double across0 = std::max(a.leafBoundaries_mm[n], acrossLow);
    const double across1 = std::min(a.leafBoundaries_mm[n + 1], acrossHigh);
    if (hi <= lo || across1 <= across0) continue;
    if (a.leavesAlongX)
      openings.push_back({lo, hi, across0, across1});
    else
      openings.push_back({across0, across1, lo, hi});
  }
  return openings;
}

std::vector<BeamDrawing> drawBeams(const io::RtPlan& plan, std::vector<std::string>* skipped) {
  radiotherapy::PatientPosition position = radiotherapy::PatientPosition::HFS;
  if (!plan.patientPosition.empty()) {
    try {
      position = radiotherapy::patientPositionFromString(plan.patientPosition);
    } catch (const Error& e) {
      if (skipped) skipped->push_back(e.what());
      return {};
    }
  }
  std::vector<BeamDrawing> drawings;
  for (const io::Beam& beam : plan.beams) {
    try {
      drawings.push_back(drawBeam(beam, position));
    } catch (const Error& e) {
      if (skipped) skipped->push_back(e.what());
    }
  }
  return drawings;
}

}  // namespace twinplan::ui
