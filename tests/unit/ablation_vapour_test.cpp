// Vapour condensation (bioheat.h BioheatParameters::vapourCondensation,
// src/vapour_transport.h): the vapour of boiling tissue flows through the two-phase region to
// its edge and condenses in cooler tissue or on the cooled probe, giving back its latent heat
// and its water. Checked against the closed forms of quasi-steady Darcy flow in one dimension
// and of a symmetric front, and for conservation of water and energy.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "ablation_pulse_source.h"
#include "ablation_test_tissue.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "vapour_transport.h"

namespace twinplan::ablation {
namespace {

// A grid of test liver with its stores, temperatures and the latent and sensible heat per volume.
struct Block {
  explicit Block(std::array<std::int64_t, 3> size)
      : liver(testing::testLiver()), grid(uniformGrid(liver, size, 1.0)) {
    fullLatent = liver.density_kg_m3 * liver.waterContent_kg_kg * parameters.latentHeatOfWater_J_kg;
    rhoC = liver.density_kg_m3 * liver.heatCapacity_J_kgK;
    const std::size_t n = grid.geometry.voxelCount();
    before.assign(n, float(fullLatent));
    after = before;
    temperature.assign(n, 37.0f);
  }
  // The vapour `boiled_J_m3` (latent heat) comes off voxel v in this step.
  void boil(std::size_t v, double boiled_J_m3) {
    after[v] = float(double(before[v]) - boiled_J_m3);
  }
  void condense(const std::vector<HeldTemperature>& held = {}) {
    maximum = temperature;
    const std::vector<double> full{fullLatent}, capacity{rhoC};
    detail::condenseVapour(grid, full, capacity, held, parameters, 5.0, before, after, temperature,
                           maximum, book);
  }
  double sensible_J_m3(const std::vector<float>& start) const {
    double sum = 0.0;
    for (std::size_t v = 0; v < start.size(); ++v) sum += rhoC * (temperature[v] - start[v]);
    return sum;
  }
  double voxel_m3() const { return 1e-9; }

  TissueProperties liver;
  AblationGrid grid;
  BioheatParameters parameters;
  double fullLatent = 0.0, rhoC = 0.0;
  std::vector<float> before, after, temperature, maximum;
  VapourBook book;
};

// One dimension: a column of voxels 5..15 at 100 degC (two-phase) in 37 degC tissue, vapour
// produced in voxel 8. Quasi-steady Darcy flow makes the pressure linear between the source
// and the condensing tissue on either side (p = 0 at voxels 4 and 16), so the vapour splits as
// the inverse distances: 1/4 : 1/8, two thirds to voxel 4 and one third to voxel 16, whatever
// the permeability. Each side warms by its share over rho c; the water goes into voxel 4's
// store (half dried) and is pushed out of the full voxel 16.
TEST(AblationVapour, VapourSplitsBetweenTheCondensingSidesAsTheInverseDistances) {
  Block b({1, 1, 21});
  for (std::size_t v = 5; v <= 15; ++v) b.temperature[v] = 100.0f;
  b.before[4] = b.after[4] = float(0.5 * b.fullLatent);
  const double boiled = 3e7;  // J/m3: 8 % of the sensible room of a 37 degC voxel
  b.boil(8, boiled);
  const std::vector<float> start = b.temperature;
  b.condense();
  EXPECT_NEAR(b.temperature[4] - 37.0, 2.0 / 3.0 * boiled / b.rhoC, 1e-4);
  EXPECT_NEAR(b.temperature[16] - 37.0, 1.0 / 3.0 * boiled / b.rhoC, 1e-4);
  EXPECT_EQ(b.temperature[3], 37.0f);
  EXPECT_EQ(b.temperature[8], 100.0f);
  EXPECT_NEAR(b.after[4], 0.5 * b.fullLatent + 2.0 / 3.0 * boiled, 256.0);  // float store
  EXPECT_EQ(b.after[16], float(b.fullLatent));
  EXPECT_NEAR(b.maximum[4], b.temperature[4], 1e-6);
  // The book: everything boiled condensed in tissue, a third of it beyond a full store.
  EXPECT_NEAR(b.book.boiled_J, boiled * b.voxel_m3(), 1e-9);
  EXPECT_NEAR(b.book.condensedInTissue_J, b.book.boiled_J, 1e-9 * b.book.boiled_J);
  EXPECT_NEAR(b.book.expelledWater_J, b.book.boiled_J / 3.0, 1e-3 * b.book.boiled_J);
  EXPECT_EQ(b.book.condensedOnProbe_J, 0.0);
  EXPECT_EQ(b.book.escaped_J, 0.0);
  EXPECT_EQ(b.book.frontLayers, 1);
  // Energy: the sensible heat gained is the latent heat boiled off (float temperatures).
  EXPECT_NEAR(b.sensible_J_m3(start), boiled, 1e-4 * boiled);
  // The overpressure: p at voxel 8 is 8/3 of the vapour per face conductance (p8 / 4 + p8 / 8 =
  // boiled), times h^2 mu / (L dt rho_vapour).
  const double expected = 8.0 / 3.0 * boiled * 1e-6 * 12.27e-6 / (2.257e6 * 5.0 * 0.5978);
  EXPECT_NEAR(b.book.peakOverpressureTimesPermeability_Pa_m2, expected, 1e-6 * expected);
}

// A lone boiling voxel in 37 degC tissue: its six neighbours take equal shares. With more vapour
// than they can condense (their latent-heat room, rho c x 63 K each) they stop at exactly
// 100 degC, join the two-phase region and the rest condenses one layer further out.
TEST(AblationVapour, TheFrontMovesOnOnceTheNearestTissueReachesBoiling) {
  for (const double shareOfRoom : {0.5, 1.5}) {
    SCOPED_TRACE(shareOfRoom);
    Block b({9, 9, 9});
    const ImageGeometry& g = b.grid.geometry;
    const std::size_t centre = g.linearIndex(4, 4, 4);
    b.temperature[centre] = 100.0f;
    const double room = b.rhoC * 63.0;
    const double boiled = 6.0 * room * shareOfRoom;
    b.boil(centre, boiled);
    const std::vector<float> start = b.temperature;
    b.condense();
    const std::size_t faceNeighbours[6] = {g.linearIndex(3, 4, 4), g.linearIndex(5, 4, 4),
                                           g.linearIndex(4, 3, 4), g.linearIndex(4, 5, 4),
                                           g.linearIndex(4, 4, 3), g.linearIndex(4, 4, 5)};
    for (std::size_t v : faceNeighbours) {
      if (shareOfRoom < 1.0)
        EXPECT_NEAR(b.temperature[v] - 37.0, boiled / 6.0 / b.rhoC, 1e-4);
      else
        EXPECT_EQ(b.temperature[v], 100.0f);
    }
    // The second layer: warmed only once the first is full.
    const float diagonal = b.temperature[g.linearIndex(5, 5, 4)];
    const float beyondTheFace = b.temperature[g.linearIndex(6, 4, 4)];
    if (shareOfRoom < 1.0) {
      EXPECT_EQ(diagonal, 37.0f);
      EXPECT_EQ(b.book.frontLayers, 1);
    } else {
      EXPECT_GT(diagonal, 37.5f);
      EXPECT_GT(beyondTheFace, 37.5f);
      EXPECT_EQ(b.book.frontLayers, 2);
    }
    EXPECT_NEAR(b.sensible_J_m3(start), boiled, 1e-4 * boiled);
    EXPECT_NEAR(b.book.condensedInTissue_J, b.book.boiled_J, 1e-9 * b.book.boiled_J);
    EXPECT_EQ(b.book.escaped_J, 0.0);
  }
}

// The cooled probe is a condenser: a column with the probe's (held) voxel at one end of the
// two-phase region and cool tissue at the other, the vapour produced midway: half of it
// condenses on the metal, its heat to the coolant (no tissue warms there) and its water into the
// dried tissue touching the probe; the other half warms the tissue beyond.
TEST(AblationVapour, VapourReachingTheCooledProbeWetsTheTissueTouchingIt) {
  Block b({1, 1, 11});
  const std::vector<HeldTemperature> held{{0, 10.0f}};
  b.temperature[0] = 10.0f;
  for (std::size_t v = 1; v <= 5; ++v) b.temperature[v] = 100.0f;
  b.before[1] = b.after[1] = 0.0f;  // boiled dry
  const double boiled = 2e7;
  b.boil(3, boiled);
  b.condense(held);
  EXPECT_NEAR(b.after[1], 0.5 * boiled, 1.0);
  EXPECT_EQ(b.temperature[0], 10.0f);
  EXPECT_EQ(b.temperature[1], 100.0f);
  EXPECT_NEAR(b.temperature[6] - 37.0, 0.5 * boiled / b.rhoC, 1e-4);
  EXPECT_NEAR(b.book.condensedOnProbe_J, 0.5 * boiled * b.voxel_m3(), 1e-9 * boiled * b.voxel_m3());
  EXPECT_NEAR(b.book.condensedInTissue_J, 0.5 * boiled * b.voxel_m3(),
              1e-9 * boiled * b.voxel_m3());
}

// Vapour with no condensing tissue in reach (the whole column boiling) leaves: booked as escaped,
// no temperature or store changes.
TEST(AblationVapour, VapourWithNowhereToCondenseEscapes) {
  Block b({1, 1, 3});
  for (float& t : b.temperature) t = 100.0f;
  b.boil(1, 1e7);
  const std::vector<float> storesBefore = b.after;
  b.condense();
  EXPECT_NEAR(b.book.escaped_J, 1e7 * b.voxel_m3(), 1e-12);
  EXPECT_EQ(b.book.condensedInTissue_J, 0.0);
  EXPECT_EQ(b.after, storesBefore);
  for (float t : b.temperature) EXPECT_EQ(t, 100.0f);
}

// Unperfused liver, 21^3 voxels of 1 mm, 1e9 W/m3 for 5 s into the centre voxel, 30 s in 5 s
// steps: the pulse boils a part of the centre's water.
struct PulseRun {
  PulseRun() : liver(testing::testLiver()) { liver.perfusion_per_s = 0.0; }
  AblationResult run(bool condensation) const {
    const AblationGrid grid = uniformGrid(liver, {21, 21, 21}, 1.0);
    testing::PulseSource source(grid.geometry.linearIndex(10, 10, 10), 1e9f);
    BioheatParameters p;
    p.duration_s = 30.0;
    p.timeStep_s = 5.0;
    p.vapourCondensation = condensation;
    return simulateAblation(grid, source, p);
  }
  double fullWater_J() const {  // one voxel's water as latent heat
    return liver.density_kg_m3 * liver.waterContent_kg_kg * 2.257e6 * 1e-9;
  }
  TissueProperties liver;
};

// Through the solver: with condensation on, every joule boiled is booked as condensed or
// escaped, the water left in the grid is the water at the start less what was pushed out or
// escaped, and the centre's face neighbours get the latent heat (hotter than without
// condensation); with it off nothing is booked.
TEST(AblationVapour, TheSolverCondensesTheVapourItBoilsWhenAsked) {
  const PulseRun pulse;
  const AblationResult off = pulse.run(false), on = pulse.run(true);
  const std::size_t beside = 11 + 21 * (10 + 21 * 10);
  EXPECT_EQ(off.vapour.boiled_J, 0.0);
  const VapourBook& book = on.vapour;
  EXPECT_GT(book.boiled_J, 0.1 * pulse.fullWater_J());  // a tenth of a voxel's water or more
  EXPECT_NEAR(book.condensedInTissue_J + book.condensedOnProbe_J + book.escaped_J, book.boiled_J,
              1e-9 * book.boiled_J);
  // Water left = water at the start - boiled + condensed back into stores.
  double lost_J = 0.0;
  for (float f : on.vaporisedWater.values) lost_J += double(f) * pulse.fullWater_J();
  EXPECT_NEAR(lost_J, book.expelledWater_J + book.escaped_J, 1e-3 * book.boiled_J);
  EXPECT_GT(on.maximumTemperature.values[beside], off.maximumTemperature.values[beside] + 1.0f);
}

// The transport is serial on a region found in grid order and sums its arrivals sorted by
// voxel, so the fields do not depend on the thread count.
TEST(AblationVapour, SameFieldsForAnyThreadCount) {
  const PulseRun pulse;
  AblationResult one;
  {
    const parallel::ThreadLimit limit(1);
    one = pulse.run(true);
  }
  const AblationResult many = pulse.run(true);
  EXPECT_GT(one.vapour.boiled_J, 0.0);
  EXPECT_EQ(one.finalTemperature.values, many.finalTemperature.values);
  EXPECT_EQ(one.vaporisedWater.values, many.vaporisedWater.values);
  EXPECT_EQ(one.vapour.condensedInTissue_J, many.vapour.condensedInTissue_J);
}

TEST(AblationVapour, CondensationNeedsVaporisation) {
  BioheatParameters p;
  p.vapourCondensation = true;
  p.waterVaporisation = false;
  try {
    p.validate();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(e.context(), "vapourCondensation");
  }
}

}  // namespace
}  // namespace twinplan::ablation
