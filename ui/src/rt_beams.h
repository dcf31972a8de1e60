#pragma once
// A plan's beams drawn in the views (issue #19 items 1 and 8): BeamDrawing (beams_eye_view.h)
// of each beam at its first control point.
#include <array>
#include <string>
#include <vector>

#include "twinplan/io/dicom_rtplan.h"
#include "twinplan/radiotherapy/beam_geometry.h"
#include "twinplan/ui/beams_eye_view.h"

namespace twinplan::ui {

// The openings of an aperture (see BeamDrawing::openings_mm).
std::vector<std::array<double, 4>> apertureOpenings(const radiotherapy::Aperture& aperture);

// Every beam of `plan` that can be drawn; the others are named with the reason in `skipped`
// (an arc, a beam without an isocentre). A plan without Patient Position is taken as HFS.
std::vector<BeamDrawing> drawBeams(const io::RtPlan& plan, std::vector<std::string>* skipped);

}  // namespace twinplan::ui
