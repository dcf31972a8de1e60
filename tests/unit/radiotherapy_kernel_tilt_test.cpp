// Kernel tilting in the collapsed-cone engine (issue #19 item 2), isolated: an off-axis 6 MV
// field in water whose rays run 11.3 to 14.6 degrees off the central axis (jaws X 200..260 mm,
// Y -30..30 mm at the isocentre, SSD 100 cm), computed with the kernels tilted along each voxel's
// diverging ray and with them kept parallel to the central axis. The expectation is geometric
// symmetry: the field's own oblique axis (the ray through the middle of the jaw opening) is its
// axis of symmetry, so the 50 % edges at a depth d lie equally far either side of it,
// 230 (1 + d / 1000) mm from the central axis. Without tilting the forward-peaked kernel
// deposits the energy released upstream straight down instead of along the diverging ray, so
// the profile slides toward the central axis by (d - d') tan(theta) for energy released at
// depth d' (Liu, Mackie, McCullough, Med Phys 1997;24:1729: correcting kernel tilting for
// divergent beams). No EGSnrc peer table fits (tests/data/radiotherapy/egsnrc_*.csv are
// central-axis fields); the symmetric expectation is the reference. Figures: docs/validation.md
// "Case plans through the CLI and RT export chain (session 12)".
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "photon_water_phantom.h"
#include "twinplan/radiotherapy/collapsed_cone.h"

namespace twinplan::radiotherapy {
namespace {

constexpr double kJawX1_mm = 200.0, kJawX2_mm = 260.0;

// Water for x in [120, 380], y in [0, 200] (surface at y = 0, SSD 100 cm), z in [-50, 50] mm:
// the off-axis field with its scatter margin, 2.5 mm voxels.
DensityGrid offAxisWater() {
  constexpr double s = 2.5;
  DensityGrid grid;
  grid.geometry.size = {104, 80, 40};
  grid.geometry.spacing_mm = Vec3(s, s, s);
  grid.geometry.origin_lps = Vec3(120 + s / 2, s / 2, -50 + s / 2);
  grid.relativeElectronDensity.assign(grid.geometry.voxelCount(), 1.0f);
  return grid;
}

// Where the profile along x at depth d crosses `level` x the dose on the field's oblique axis,
// searched from `from` to `to` (0.02 mm steps, linear between them).
double crossing(const CollapsedConeCalculator& c, double d, double from, double to, double level) {
  const double axisDose = c.dose_Gy(Vec3(0.5 * (kJawX1_mm + kJawX2_mm) * (1 + d / 1000), d, 0));
  const int steps = static_cast<int>(std::abs(to - from) / 0.02);
  const double step = (to - from) / steps;
  double previous = c.dose_Gy(Vec3(from, d, 0)) / axisDose;
  for (int n = 1; n <= steps; ++n) {
    const double r = c.dose_Gy(Vec3(from + n * step, d, 0)) / axisDose;
    if ((previous - level) * (r - level) <= 0 && previous != r)
      return from + (n - 1 + (level - previous) / (r - previous)) * step;
    previous = r;
  }
  ADD_FAILURE() << "no " << level << " crossing between " << from << " and " << to << " mm";
  return 0.0;
}

struct Profile {
  double midpoint_mm;  // of the two 50 % points, minus the oblique axis's x: + is away from
                       // the central axis
  double penumbra_mm;  // 80-20 % width, mean of the inner and outer edge
};

Profile profileAt(const CollapsedConeCalculator& c, double d) {
  const double scale = 1 + d / 1000;
  const double inner = kJawX1_mm * scale, outer = kJawX2_mm * scale;
  const double axis = 0.5 * (inner + outer);
  const double inner50 = crossing(c, d, inner - 20, axis, 0.5);
  const double outer50 = crossing(c, d, axis, outer + 20, 0.5);
  const double innerWidth =
      crossing(c, d, inner - 20, axis, 0.8) - crossing(c, d, inner - 20, axis, 0.2);
  const double outerWidth =
      crossing(c, d, axis, outer + 20, 0.2) - crossing(c, d, axis, outer + 20, 0.8);
  return {0.5 * (inner50 + outer50) - axis, 0.5 * (innerWidth + outerWidth)};
}

CollapsedConeCalculator offAxisField(const DensityGrid& water, bool tilt) {
  CollapsedConeParameters parameters;
  parameters.tiltKernels = tilt;
  return CollapsedConeCalculator(water, water_phantom::jawBeam(kJawX1_mm, kJawX2_mm, -30, 30),
                                 PatientPosition::HFS, collapsedConeBeamModel(6.0), parameters);
}

TEST(KernelTilt, OffAxisFieldStaysSymmetricAboutItsObliqueAxisOnlyWithTilting) {
  const DensityGrid water = offAxisWater();
  const CollapsedConeCalculator tilted = offAxisField(water, true);
  const CollapsedConeCalculator parallel = offAxisField(water, false);
  Profile shallowParallel{};
  for (double d : {50.0, 100.0, 150.0}) {
    const Profile on = profileAt(tilted, d), off = profileAt(parallel, d);
    std::printf(
        "depth %3.0f mm: midpoint - oblique axis %+.2f mm tilted, %+.2f mm parallel; "
        "80-20 penumbra %.2f / %.2f mm\n",
        d, on.midpoint_mm, off.midpoint_mm, on.penumbra_mm, off.penumbra_mm);
    SCOPED_TRACE("depth " + std::to_string(d) + " mm");
    // Tilted: on the oblique axis within a tenth of a voxel (the 2.5 mm box's own asymmetry on
    // a field on the central axis is 0.17 mm, docs/validation.md).
    EXPECT_NEAR(on.midpoint_mm, 0.0, 0.25);
    if (d == 50.0) shallowParallel = off;
    if (d < 100.0) continue;
    // Parallel kernels: the profile slides toward the central axis, more with depth, and the
    // edges smear (energy from upstream lands across the diverging edge).
    EXPECT_LT(off.midpoint_mm, -0.4);
    if (d == 150.0) {
      EXPECT_LT(off.midpoint_mm, shallowParallel.midpoint_mm - 0.2);
      EXPECT_GT(off.penumbra_mm - on.penumbra_mm, 0.6);
    }
  }
}

}  // namespace
}  // namespace twinplan::radiotherapy
