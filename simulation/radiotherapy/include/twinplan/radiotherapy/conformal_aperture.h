#pragma once
// Conformal beam apertures (issue #19 item 3): the jaws and MLC leaves of a static photon beam
// set to the outline of the planning target volume in the beam's-eye view.
//
// The PTV (ICRU Report 50, 1993, section 2.3: the CTV plus a margin for set-up and motion) is
// projected divergently from the source onto the isocentre plane (beam_geometry.h: DICOM
// PS3.3 C.8.8.14 states jaw and leaf positions there). A ray from the source through (x, y) of
// that plane belongs to the projection when it passes through the PTV: where the trilinear
// interpolation of the mask's indicator reaches 0.5 (the outline half-way between inside and
// outside voxel centres). Each leaf pair is opened from the smallest to the largest x of the
// projection over its width (Outer: no part of the PTV is under a leaf, the usual conformal
// rule), or at its centre line (Centre: the leaf tip crosses the outline at the leaf's middle,
// Webb S, "The Physics of Conformal Radiotherapy", IOP 1997, ch. 3), plus `margin_mm` in the
// isocentre plane all around (a true disc dilation of the projection). The margin beyond the PTV
// is a planning choice left to the user: ICRU 62 (1999) leaves the beam penumbra out of the PTV
// margin, and planners add it to the aperture (typically 5-8 mm for 6 MV); the default is 0.
// The jaws (ASYMX, ASYMY) follow the opening (its bounding box); pairs with nothing to open
// are closed under the X1 jaw.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/progress.h"
#include "twinplan/radiotherapy/beam_geometry.h"
#include "twinplan/radiotherapy/machine_limits.h"

namespace twinplan::radiotherapy {

// Leaf pair boundaries of the Varian Millennium 120 MLC at the isocentre (mm, along Yb): 10
// pairs of 10 mm, 40 of 5 mm, 10 of 10 mm, 40 cm in all (Varian "Millennium MLC" product data;
// the same boundaries as the LeafPositionBoundaries of Varian's RT Plans).
std::vector<double> millennium120LeafBoundaries();
// `pairs` leaf pairs of `width_mm` centred on the beam axis.
std::vector<double> uniformLeafBoundaries(int pairs, double width_mm);

enum class LeafFit { Outer, Centre };

struct ConformalApertureOptions {
  double margin_mm = 0.0;  // beyond the PTV's projection, in the isocentre plane
  LeafFit fit = LeafFit::Outer;
  std::vector<double> leafBoundaries_mm = millennium120LeafBoundaries();
  double raySpacing_mm = 0.5;  // along the leaf motion, before each end is bisected to 0.01 mm
  double rowSpacing_mm = 0.5;  // lines across each leaf's width (Outer)
  // The machine the aperture must be deliverable on (machine_limits.h: jaws held at their
  // travel, closed pairs parked within the leaf span, or a clear error); none: not checked.
  std::optional<MachineLimits> machine = millennium120Limits();
  // Error(InvalidInput, context = the parameter) for a negative margin, spacings outside
  // (0, 5] mm or leaf boundaries that are not increasing.
  void validate() const;
};

struct ConformalAperture {
  Aperture aperture;  // ASYMX and ASYMY jaws, MLCX leaves
  int openLeafPairs = 0;
  // The projection's bounding box in the isocentre plane (mm, before the margin).
  double projectionX1_mm = 0, projectionX2_mm = 0, projectionY1_mm = 0, projectionY2_mm = 0;
  std::vector<std::string> warnings;  // what the machine limits changed
};

// The aperture of the beam `geometry` conformed to the PTV `inside` (one byte per voxel of
// `grid`, non-zero inside). Error(InvalidInput) for an empty PTV, a mask that does not match
// the grid, a PTV reaching behind the source, a projection wider than the leaf bank, or an
// opening the machine cannot deliver (applyMachineLimits).
ConformalAperture conformalAperture(const BeamGeometry& geometry, const ImageGeometry& grid,
                                    std::span<const std::uint8_t> inside,
                                    const ConformalApertureOptions& options = {},
                                    Progress& progress = noProgress());

}  // namespace twinplan::radiotherapy
