// The pencil-beam engine in a water phantom against published 6 MV data (issue #19 item 7),
// with the tolerances of Venselaar J, Welleweerd H, Mijnheer B, Radiother Oncol 2001;60:191
// (Table 1; the criteria IAEA TRS-430 adopts): 2 % on the central axis beyond dmax in a
// homogeneous simple field (delta_1), 2 mm in the build-up and penumbra (delta_2, RW50 and
// the 80-20 % penumbra).
//
// FIT marks data the beam model was fitted to (scripts/radiotherapy/fit_pencil_beam.py): those
// tests check that the engine reproduces its commissioning. CHECK marks published data the
// fit did not use: the validation proper.
//   BJR Suppl. 25 (1996) 6 MV, SSD 100 cm: PDD(10 cm) / PDD(20 cm) for 6x6 cm 64.9 / 36.4 (FIT),
//     7x7 cm 65.7 / 37.2 (CHECK), 10x10 cm 67.5 / 39.3 (FIT); dmax 1.5 cm (FIT).
//   JACMP 2011;12(3):142 Table 2: 80-20 % penumbra of a 1 x 20 cm field, 6 MV: on axis 1.7 mm at
//     1.5 cm and 3.7 mm at 10 cm (FIT); 4, 8, 12 cm off axis 1.6 / 1.6 / 1.6 mm and
//     3.9 / 3.8 / 3.8 mm (CHECK).
#include <gtest/gtest.h>

#include <cmath>

#include "photon_water_phantom.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/radiotherapy/pencil_beam.h"

namespace twinplan::radiotherapy {
namespace {

// Water (density 1) for y in [0, 300] mm, x and z in [-150, 150] mm, on 2 mm voxels; vacuum
// elsewhere. The beam enters at y = 0 (the isocentre: SSD 100 cm).
DensityGrid waterPhantom(double lungFrom_mm = 0, double lungTo_mm = 0, float lungDensity = 1.0f) {
  DensityGrid grid;
  grid.geometry.size = {150, 150, 150};
  grid.geometry.spacing_mm = Vec3(2, 2, 2);
  grid.geometry.origin_lps = Vec3(-149, 1, -149);
  grid.relativeElectronDensity.assign(grid.geometry.voxelCount(), 1.0f);
  for (std::int64_t k = 0; k < 150; ++k)
    for (std::int64_t j = 0; j < 150; ++j) {
      const double y = 1 + 2.0 * static_cast<double>(j);
      if (y > lungFrom_mm && y < lungTo_mm)
        for (std::int64_t i = 0; i < 150; ++i)
          grid.relativeElectronDensity[grid.geometry.linearIndex(i, j, k)] = lungDensity;
    }
  return grid;
}

using water_phantom::jawBeam;  // open jaw-defined beam, tests/support/photon_water_phantom.h

PencilBeamCalculator calculator(const DensityGrid& water, const io::Beam& beam) {
  return PencilBeamCalculator(water, beam, PatientPosition::HFS,
                              photonBeamModel(*beam.controlPoints[0].nominalEnergy), {});
}

struct DepthDose {
  double dmax_mm = 0, doseMax_Gy = 0;
  double pdd(const PencilBeamCalculator& c, double depth_mm) const {
    return 100.0 * c.dose_Gy(Vec3(0, depth_mm, 0)) / doseMax_Gy;
  }
};

DepthDose depthDose(const PencilBeamCalculator& c) {
  DepthDose dd;
  for (double d = 0.25; d < 60.0; d += 0.25) {
    const double dose = c.dose_Gy(Vec3(0, d, 0));
    if (dose > dd.doseMax_Gy) dd.doseMax_Gy = dose, dd.dmax_mm = d;
  }
  return dd;
}

// The 80-20 % width (mm) of the +x edge of a field centred at `centre_mm` (iso plane) at depth d.
double penumbra80to20(const PencilBeamCalculator& c, double centre_mm, double width_mm, double d) {
  const double scale = (1000.0 + d) / 1000.0;
  const double centreDose = c.dose_Gy(Vec3(centre_mm * scale, d, 0));
  double x80 = 0, x20 = 0, previous = 1.0, previousX = centre_mm * scale;
  for (double x = centre_mm * scale; x < (centre_mm + width_mm) * scale; x += 0.02) {
    const double r = c.dose_Gy(Vec3(x, d, 0)) / centreDose;
    if (previous >= 0.8 && r < 0.8) x80 = previousX + (previous - 0.8) / (previous - r) * 0.02;
    if (previous >= 0.2 && r < 0.2) x20 = previousX + (previous - 0.2) / (previous - r) * 0.02;
    previous = r, previousX = x;
  }
  return x20 - x80;
}

TEST(PencilBeam, CalibrationIsOneCentigrayPerMuAtDmaxFor10x10AtSsd100) {
  // TG-51 reference field and SSD; the dose per MU at dmax (15 mm) is the calibration.
  const DensityGrid water = waterPhantom();
  const PencilBeamCalculator c = calculator(water, jawBeam(-50, 50, -50, 50, 6.0, 0.0, 100.0));
  EXPECT_NEAR(c.dose_Gy(Vec3(0, 15, 0)), 1.0, 0.005);  // 100 MU -> 1 Gy within 0.5 %
  // Twice the MU, twice the dose.
  const PencilBeamCalculator c2 = calculator(water, jawBeam(-50, 50, -50, 50, 6.0, 0.0, 200.0));
  EXPECT_NEAR(c2.dose_Gy(Vec3(0, 80, 0)) / c.dose_Gy(Vec3(0, 80, 0)), 2.0, 1e-6);
  // No dose outside the phantom (vacuum) or upstream of it.
  EXPECT_EQ(c.dose_Gy(Vec3(0, -5, 0)), 0.0);
}

TEST(PencilBeam, Water6MvDepthDoseMatchesBjr25) {
  const DensityGrid water = waterPhantom();
  struct Case {
    double side_mm, pdd10, pdd20;
    const char* use;
  };
  for (const Case& k :
       {Case{100, 67.5, 39.3, "FIT"}, Case{60, 64.9, 36.4, "FIT"}, Case{70, 65.7, 37.2, "CHECK"}}) {
    const double h = k.side_mm / 2;
    const PencilBeamCalculator c = calculator(water, jawBeam(-h, h, -h, h));
    const DepthDose dd = depthDose(c);
    SCOPED_TRACE(std::to_string(static_cast<int>(k.side_mm)) + " mm square, " + k.use);
    if (k.side_mm == 100) {
      EXPECT_NEAR(dd.dmax_mm, 15.0, 2.0);  // delta_2: 2 mm
    }
    EXPECT_NEAR(dd.pdd(c, 100), k.pdd10, 2.0);  // delta_1: 2 %
    EXPECT_NEAR(dd.pdd(c, 200), k.pdd20, 2.0);
    // What the engine gives, for docs/validation.md.
    std::printf("6 MV %gx%g mm: dmax %.2f mm, PDD(100) %.2f (pub %.1f), PDD(200) %.2f (pub %.1f)\n",
                k.side_mm, k.side_mm, dd.dmax_mm, dd.pdd(c, 100), k.pdd10, dd.pdd(c, 200), k.pdd20);
  }
}

TEST(PencilBeam, Water6MvPenumbraMatchesJacmp2011OnAndOffAxis) {
  const DensityGrid water = waterPhantom();
  struct Case {
    double offAxis_mm, at15, at100;
    const char* use;
  };
  for (const Case& k : {Case{0, 1.7, 3.7, "FIT"}, Case{40, 1.6, 3.9, "CHECK"},
                        Case{80, 1.6, 3.8, "CHECK"}, Case{120, 1.6, 3.8, "CHECK"}}) {
    // A 1 x 20 cm field (X 10 mm wide) centred `offAxis_mm` from the axis by asymmetric jaws.
    const PencilBeamCalculator c =
        calculator(water, jawBeam(k.offAxis_mm - 5, k.offAxis_mm + 5, -100, 100));
    const double p15 = penumbra80to20(c, k.offAxis_mm, 10, 15);
    const double p100 = penumbra80to20(c, k.offAxis_mm, 10, 100);
    SCOPED_TRACE(std::to_string(static_cast<int>(k.offAxis_mm)) + " mm off axis, " + k.use);
    EXPECT_NEAR(p15, k.at15, 2.0);  // delta_2: 2 mm
    EXPECT_NEAR(p100, k.at100, 2.0);
    EXPECT_NEAR(p15, k.at15, 0.5);  // and in fact within 0.5 mm
    EXPECT_NEAR(p100, k.at100, 0.5);
    std::printf(
        "6 MV 1x20 cm at %g mm off axis: penumbra 80-20 %.2f mm at 15 mm (pub %.1f), "
        "%.2f mm at 100 mm (pub %.1f)\n",
        k.offAxis_mm, p15, k.at15, p100, k.at100);
  }
}

TEST(PencilBeam, InverseSquareWithSourceDistance) {
  // The same 10x10 field in a phantom 100 mm further from the source (SSD 110 cm): the dose at
  // 100 mm depth falls by the inverse square of the distances to the source, times the small
  // change in phantom scatter (the field at the surface is 10 % wider); within 1 %.
  const DensityGrid water = waterPhantom();
  io::Beam farBeam = jawBeam(-50, 50, -50, 50);
  for (auto& cp : farBeam.controlPoints) cp.isocentre_lps = Vec3(0, -100, 0);
  const PencilBeamCalculator near = calculator(water, jawBeam(-50, 50, -50, 50));
  const PencilBeamCalculator far = calculator(water, farBeam);
  const double expected = std::pow(1100.0 / 1200.0, 2);
  // The iso-plane field is 100 mm at SAD either way; only the distance changes.
  EXPECT_NEAR(far.dose_Gy(Vec3(0, 100, 0)) / near.dose_Gy(Vec3(0, 100, 0)), expected,
              0.01 * expected);
}

TEST(PencilBeam, RadiologicalPathLengthIsExact) {
  const DensityGrid slab = waterPhantom(30, 130, 0.26f);
  // Along the axis from outside: 30 mm water + 100 mm lung x 0.26 + 70 mm water = 126 mm.
  EXPECT_NEAR(radiologicalPathLength(slab, Vec3(0, -50, 0), Vec3(0, 200, 0)), 126.0,
              1e-5);  // float densities
  // Oblique at 45 degrees in the x-y plane: every chord is sqrt(2) longer.
  EXPECT_NEAR(radiologicalPathLength(slab, Vec3(-100, 0, 3), Vec3(100, 200, 3)),
              126.0 * std::sqrt(2.0), 1e-5);
  // A rotated grid (i along -x, j along +y, k along -z) gives the same.
  DensityGrid rotated = slab;
  rotated.geometry.direction = Vec3(-1, 1, -1).asDiagonal();
  rotated.geometry.origin_lps = Vec3(149, 1, 149);
  EXPECT_NEAR(radiologicalPathLength(rotated, Vec3(0, -50, 0), Vec3(0, 200, 0)), 126.0,
              1e-5);  // float densities
}

TEST(PencilBeam, LungSlabScalesDepthRadiologically) {
  // Water 0-30 mm, lung (0.26, ICRU 46 inflated lung) 30-130 mm, water beyond: behind the slab
  // the engine's dose is the water dose at the radiological depth (126 mm at 200 mm), with the
  // geometric inverse square. A pencil beam keeps water's lateral scatter: docs/validation.md
  // says what that misses.
  const DensityGrid water = waterPhantom();
  const DensityGrid slab = waterPhantom(30, 130, 0.26f);
  const io::Beam beam = jawBeam(-50, 50, -50, 50);
  const PencilBeamCalculator inWater = calculator(water, beam);
  const PencilBeamCalculator inSlab = calculator(slab, beam);
  const PhotonBeamModel& m = photonBeamModel(6.0);
  auto bracket = [&](double d) {  // the model at the field centre of a 100 mm field
    const double cp = std::pow(std::erf(50.0 / (std::sqrt(2.0) * m.primarySigma_mm(d))), 2);
    const double cs = std::pow(std::erf(50.0 / (std::sqrt(2.0) * m.scatterSigma_mm)), 2);
    return m.primaryDepthTerm(d) * (cp + m.scatterPerPrimary_per_mm * d * cs);
  };
  const double expectedRatio = bracket(126.0) / bracket(200.0);
  EXPECT_NEAR(inSlab.dose_Gy(Vec3(0, 200, 0)) / inWater.dose_Gy(Vec3(0, 200, 0)), expectedRatio,
              0.005 * expectedRatio);
  std::printf("Behind 100 mm of lung (0.26): dose at 200 mm x %.3f of water\n", expectedRatio);
}

TEST(PencilBeam, Model10MvReproducesItsCommissioningData) {
  // 10 MV 10x10 cm, SSD 100 cm: dmax 2.4 cm, PDD 91 / 74 / 46 % at 5 / 10 / 20 cm (FIT, a
  // rounded teaching summary; no independent 10 MV data was at hand).
  const DensityGrid water = waterPhantom();
  const PencilBeamCalculator c = calculator(water, jawBeam(-50, 50, -50, 50, 10.0));
  const DepthDose dd = depthDose(c);
  EXPECT_NEAR(dd.dmax_mm, 24.0, 2.0);
  EXPECT_NEAR(dd.pdd(c, 50), 91.0, 2.0);
  EXPECT_NEAR(dd.pdd(c, 100), 74.0, 2.0);
  EXPECT_NEAR(dd.pdd(c, 200), 46.0, 2.0);
  EXPECT_NEAR(c.dose_Gy(Vec3(0, 24, 0)), 1.0, 0.005);  // 100 MU at the reference depth
  std::printf("10 MV 100x100 mm: dmax %.2f mm, PDD(50) %.2f, PDD(100) %.2f, PDD(200) %.2f\n",
              dd.dmax_mm, dd.pdd(c, 50), dd.pdd(c, 100), dd.pdd(c, 200));
  EXPECT_THROW(photonBeamModel(18.0), Error);
}

TEST(PencilBeam, OutputFactorsGrowWithFieldSize) {
  // Phantom scatter only (no head scatter in the model): the dose per MU at dmax rises with the
  // field, and by less than the total output factors of a linac (which include Sc).
  const DensityGrid water = waterPhantom();
  double previous = 0.0;
  for (double side : {30.0, 50.0, 100.0, 150.0, 200.0}) {
    const PencilBeamCalculator c =
        calculator(water, jawBeam(-side / 2, side / 2, -side / 2, side / 2));
    const double perMu = c.dose_Gy(Vec3(0, 15, 0)) / 100.0;
    EXPECT_GT(perMu, previous) << side;
    previous = perMu;
    std::printf("6 MV %gx%g mm at SSD 100 cm: %.4f cGy/MU at 15 mm\n", side, side, 100 * perMu);
  }
}

TEST(PencilBeam, PlanDoseIsTheSumOfBeamDosesTimesFractions) {
  const DensityGrid water = waterPhantom();
  io::RtPlan plan;
  plan.label = "two beams";
  plan.beams = {jawBeam(-50, 50, -40, 40, 6.0, 0.0, 100.0),
                jawBeam(-30, 30, -30, 30, 10.0, 90.0, 50.0)};
  plan.beams[1].number = 2;
  for (auto& cp : plan.beams[1].controlPoints) cp.isocentre_lps = Vec3(0, 100, 0);
  plan.fractionGroups = {{1, 3, {1, 2}}};
  const ImageGeometry grid = doseGridCovering(water.geometry, 10.0);
  const PlanDose dose = computePlanDose(water, grid, plan, PatientPosition::HFS, {});
  ASSERT_EQ(dose.beams.size(), 2u);
  EXPECT_EQ(dose.fractions, 3);
  // Each beam on its own calculator, then summed by hand.
  const PencilBeamCalculator ap = calculator(water, plan.beams[0]);
  const PencilBeamCalculator lat = calculator(water, plan.beams[1]);
  const ScalarField apDose = ap.doseOn(grid), latDose = lat.doseOn(grid);
  double maxDose = 0.0;
  for (std::size_t i = 0; i < grid.voxelCount(); ++i) {
    const double expected = 3.0 * (apDose.values[i] + latDose.values[i]);
    ASSERT_NEAR(dose.dose.values[i], expected, 1e-5 * (1.0 + expected)) << i;
    maxDose = std::max(maxDose, expected);
  }
  EXPECT_NEAR(dose.maxDose_Gy, maxDose, 1e-5 * maxDose);
  EXPECT_NEAR(dose.isocentreDose_Gy, 3.0 * (ap.dose_Gy(Vec3::Zero()) + lat.dose_Gy(Vec3::Zero())),
              1e-9);
  EXPECT_GT(lat.dose_Gy(Vec3(0, 100, 0)), 0.0);  // the lateral beam reaches its own isocentre
  // Refusals: an ion plan, a non-photon beam.
  io::RtPlan ion = plan;
  ion.ion = true;
  EXPECT_THROW(computePlanDose(water, grid, ion, PatientPosition::HFS, {}), Error);
  io::RtPlan electrons = plan;
  electrons.beams[0].radiationType = "ELECTRON";
  EXPECT_THROW(computePlanDose(water, grid, electrons, PatientPosition::HFS, {}), Error);
}

TEST(PencilBeam, SameDoseOnOneThreadAsOnMany) {
  const DensityGrid slab = waterPhantom(30, 130, 0.26f);
  const io::Beam beam = jawBeam(-40, 60, -50, 30, 6.0, 20.0);
  const ImageGeometry grid = doseGridCovering(slab.geometry, 6.0);
  const ScalarField many = calculator(slab, beam).doseOn(grid);
  ScalarField one;
  {
    parallel::ThreadLimit limit(1);
    one = calculator(slab, beam).doseOn(grid);
  }
  ASSERT_EQ(one.values.size(), many.values.size());
  EXPECT_EQ(one.values, many.values);  // bitwise
}

TEST(PencilBeam, DoseGridIsCancellable) {
  const DensityGrid water = waterPhantom();
  const PencilBeamCalculator c = calculator(water, jawBeam(-50, 50, -50, 50));
  test::RecordingProgress cancel(1);
  EXPECT_THROW(c.doseOn(doseGridCovering(water.geometry, 2.5), cancel), Cancelled);
  PencilBeamParameters bad;
  bad.doseGridSpacing_mm = 0;
  EXPECT_THROW(bad.validate(), Error);
}

}  // namespace
}  // namespace twinplan::radiotherapy
