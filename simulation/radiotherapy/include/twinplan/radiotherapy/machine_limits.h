#pragma once
// Mechanical limits of the treatment machine that a conformal aperture must respect (issue #19
// item 3): how far jaws and MLC leaves travel, how far apart the leaves of one bank may be, and
// whether the leaves of neighbouring pairs may pass each other (interdigitation).
//
// Default: a Varian C-arm linac (Clinac / TrueBeam) with the Millennium 120 MLC, from Varian's
// published specifications ("Millennium MLC" product data sheet; "TrueBeam Technical
// Specifications", Varian Medical Systems): all positions in the isocentre plane (PS3.3
// C.8.8.14.11 Leaf/Jaw Positions), IEC 61217 beam limiting device axes.
//   - maximum field 40 x 40 cm: no jaw or leaf beyond 200 mm from the central axis;
//   - X jaws cross the central axis by up to 2 cm, Y jaws by up to 10 cm;
//   - the leaves of one bank lie within a 15 cm span of each other (the carriage's reach:
//     "maximum leaf span 15 cm");
//   - a leaf extends up to 20 cm beyond the central axis;
//   - interdigitation is allowed (a leaf may pass the opposing leaves of the neighbouring
//     pairs); machines without it (e.g. Elekta MLCi) set `interdigitation = false`.
#include <string>
#include <vector>

#include "twinplan/radiotherapy/beam_geometry.h"

namespace twinplan::radiotherapy {

struct MachineLimits {
  std::string name;
  double maxFieldHalfWidth_mm = 200.0;  // no jaw or leaf further out than this
  double xJawOverCentre_mm = 20.0;      // how far X1 may go to +x (X2 to -x)
  double yJawOverCentre_mm = 100.0;     // how far Y1 may go to +y (Y2 to -y)
  double maxLeafSpan_mm = 150.0;        // within one bank
  double leafOverCentre_mm = 200.0;     // a leaf past the central axis into the other half
  bool interdigitation = true;
  // Error(InvalidInput, context = the member) for negative or non-finite limits.
  void validate() const;
};

MachineLimits millennium120Limits();

// What was changed to respect the limits: one sentence each.
struct MachineLimitReport {
  std::vector<std::string> warnings;
};

// Makes a conformal aperture (MLCX, ASYMX/ASYMY jaws) deliverable on `limits`:
//   - a jaw past its travel across the axis is held at its limit (the field then opens more at
//     that jaw, and the leaves, which already follow the target, shape the field): a warning;
//   - closed leaf pairs, parked under the X1 jaw, are moved to the centre of the nearest open
//     pair when parking them under the jaw would break the bank span or, without
//     interdigitation, pass a neighbour's leaf: a warning;
// and throws Error(InvalidInput, context "mlc" or "jaws") naming the leaf pair, the bank and
// what to do when the target itself needs more: a field wider than the machine's, leaves of
// one bank further apart than the span, a leaf beyond its travel, or (without interdigitation)
// neighbouring open pairs that pass each other. The aperture is not changed when it throws.
MachineLimitReport applyMachineLimits(Aperture& aperture, const MachineLimits& limits);

// The limits the aperture breaks, one sentence each (empty: deliverable); nothing is changed.
std::vector<std::string> machineLimitViolations(const Aperture& aperture,
                                                const MachineLimits& limits);

}  // namespace twinplan::radiotherapy
