// The collapsed-cone engine (issue #19 items 2 and 7) in water against the same published 6 MV
// data as the pencil beam (BJR Suppl. 25: PDD; JACMP 2011;12(3):142: penumbra) and 10 MV data
// (dmax and PDD of a 10 x 10 cm field, photon_beams.json "medphys-notes"), against the
// pencil beam itself in water, and in a water / lung / water slab phantom against the analytic
// expectation of lateral electron disequilibrium (docs/validation.md). Tolerances: Venselaar et
// al., Radiother Oncol 2001;60:191 Table 1 (2 % on the axis beyond dmax for simple fields in
// water, 2 mm in the build-up and penumbra; 3 % beyond inhomogeneities).
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "photon_water_phantom.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/radiotherapy/collapsed_cone.h"

namespace twinplan::radiotherapy {
namespace {

using namespace water_phantom;

// The cones of `m` keep each kernel term's energy, the faster term first in every cone; the
// share of the energy within 90 deg.
double conesKeepEachTermsEnergy(const CollapsedConeBeamModel& m) {
  std::array<double, kMaxKernelTerms> kernel{}, inCones{};
  double forward = 0, total = 0;
  for (const KernelZenithBin& b : m.kernel)
    for (int t = 0; t < m.kernelTerms; ++t) kernel[t] += b.terms[t].eta;
  const std::vector<CollapsedCone> cones = collapsedCones(m);
  EXPECT_EQ(cones.size(), 42u);
  for (const CollapsedCone& c : cones) {
    for (int t = 0; t < m.kernelTerms; ++t) {
      inCones[t] += c.terms[t].eta, total += c.terms[t].eta;
      if (c.zenith_deg < 90) forward += c.terms[t].eta;
    }
    // Fastest first: the primary term is the short-ranged one.
    for (int t = 1; t < m.kernelTerms; ++t)
      EXPECT_GT(c.terms[t - 1].mu_per_mm, c.terms[t].mu_per_mm) << m.id;
  }
  for (int t = 0; t < m.kernelTerms; ++t)
    EXPECT_NEAR(inCones[t], kernel[t], 1e-9 * kernel[t]) << m.id << " term " << t;
  for (int t = m.kernelTerms; t < kMaxKernelTerms; ++t) EXPECT_EQ(kernel[t], 0.0) << m.id;
  return forward / total;
}

TEST(CollapsedCone, ConesKeepTheKernelsEnergy) {
  const CollapsedConeBeamModel& m = collapsedConeBeamModel(6.0);
  EXPECT_EQ(m.kernelTerms, 2);
  // At 6 MV most energy goes forward (EDKnrc: 90 % within 90 deg for the fitted kernel).
  EXPECT_GT(conesKeepEachTermsEnergy(m), 0.8);
  // The spectrum hardens: the released energy falls slower than exp(-mu_mean d) at depth.
  const double r100 = m.releasedEnergy(100) / m.releasedEnergy(0);
  const double r200 = m.releasedEnergy(200) / m.releasedEnergy(100);
  EXPECT_GT(r200, r100);
}

TEST(CollapsedCone, CalibrationIsTheReferenceFieldsDosePerMu) {
  // The pencil beam's calibration (TG-51 reference field, SSD 100 cm, 1 cGy/MU at 15 mm).
  const DensityGrid water = waterPhantom();
  const CollapsedConeCalculator c =
      collapsedCone(water, jawBeam(-50, 50, -50, 50, 6.0, 0.0, 100.0));
  EXPECT_NEAR(axisDose(c, 15), 1.0, 0.005);
  const CollapsedConeCalculator twice =
      collapsedCone(water, jawBeam(-50, 50, -50, 50, 6.0, 0.0, 200.0));
  EXPECT_NEAR(axisDose(twice, 80) / axisDose(c, 80), 2.0, 1e-6);
  EXPECT_EQ(c.dose_Gy(Vec3(0, -5, 0)), 0.0);  // vacuum upstream
  // 6 and 10 MV have kernels; 18 MV has none: refused, naming the energies there are.
  EXPECT_EQ(collapsedConeBeamModel(10.0).id, "10MV");
  try {
    collapsedConeBeamModel(18.0);
    ADD_FAILURE() << "18 MV accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("6MV, 10MV"), std::string::npos) << e.what();
  }
}

TEST(CollapsedCone, TenMvKernelIsHarderThanSixMv) {
  // The 10 MV kernel (EDKnrc to 6 MeV, Mackie et al. 1988 at 8 and 10 MeV, Mohan 10 MV
  // weighting): its 42 cones keep its energy, and more of it goes forward than at 6 MV (Mackie's
  // own Mohan-spectrum arrays: 94.1 % vs 92.4 % within 90 deg).
  const CollapsedConeBeamModel& six = collapsedConeBeamModel(6.0);
  const CollapsedConeBeamModel& ten = collapsedConeBeamModel(10.0);
  auto forwardShare = [](const CollapsedConeBeamModel& m) {
    double forward = 0, total = 0;
    for (const KernelZenithBin& b : m.kernel)
      for (int t = 0; t < m.kernelTerms; ++t) {
        total += b.terms[t].eta;
        if (b.thetaTo_deg <= 90) forward += b.terms[t].eta;
      }
    conesKeepEachTermsEnergy(m);
    return forward / total;
  };
  const double f6 = forwardShare(six), f10 = forwardShare(ten);
  std::printf("kernel forward of 90 deg: 6 MV %.4f, 10 MV %.4f\n", f6, f10);
  EXPECT_GT(f10, f6 + 0.01);
  // The primary beam attenuates less: the released energy at 10 cm relative to the surface's.
  const double r6 = six.releasedEnergy(100) / six.releasedEnergy(0);
  const double r10 = ten.releasedEnergy(100) / ten.releasedEnergy(0);
  std::printf("released energy at 10 cm / surface: 6 MV %.4f, 10 MV %.4f\n", r6, r10);
  EXPECT_GT(r10, r6 + 0.03);
}

TEST(CollapsedCone, Water6MvDepthDoseMatchesBjr25AndThePencilBeam) {
  // BJR Suppl. 25, 6 MV, SSD 100 cm: PDD(10 cm) / PDD(20 cm) 67.5 / 39.3 (10x10); dmax 15 mm
  // (6x6 and 7x7 and the penumbra: tests/slow/radiotherapy_collapsed_cone_slow_test.cpp). The
  // engine was not fitted to these (only its MU calibration point).
  const DensityGrid water = waterPhantom();
  struct Case {
    double side_mm, pdd10, pdd20;
  };
  for (const Case& k : {Case{100, 67.5, 39.3}}) {
    const double h = k.side_mm / 2;
    const io::Beam beam = jawBeam(-h, h, -h, h);
    const CollapsedConeCalculator c = collapsedCone(water, beam);
    double doseMax = 0;
    const double dmax = dmax_mm(c, &doseMax);
    const double pdd10 = 100 * axisDose(c, 100) / doseMax;
    const double pdd20 = 100 * axisDose(c, 200) / doseMax;
    SCOPED_TRACE(std::to_string(static_cast<int>(k.side_mm)) + " mm square");
    EXPECT_NEAR(dmax, 15.0, 2.0);      // delta_2: 2 mm
    EXPECT_NEAR(pdd10, k.pdd10, 2.0);  // delta_1: 2 %
    EXPECT_NEAR(pdd20, k.pdd20, 2.0);
    std::printf("CCC 6 MV %gx%g mm: dmax %.2f mm, PDD10 %.2f (pub %.1f), PDD20 %.2f (pub %.1f)\n",
                k.side_mm, k.side_mm, dmax, pdd10, k.pdd10, pdd20, k.pdd20);
    // The pencil beam, fitted to the same tables, agrees on the axis beyond dmax within 5 %.
    const PencilBeamCalculator pb(water, beam, PatientPosition::HFS, photonBeamModel(6.0), {});
    for (double d : {50.0, 100.0, 150.0, 200.0}) {
      EXPECT_NEAR(axisDose(c, d) / axisDose(pb, d), 1.0, 0.05) << d;
      std::printf("  depth %g mm: CCC / pencil beam %.4f\n", d, axisDose(c, d) / axisDose(pb, d));
    }
  }
}

TEST(CollapsedCone, Water10MvDepthDoseMatchesPublishedData) {
  // 10 MV, 10 x 10 cm, SSD 100 cm: dmax 24 mm, PDD 74 % at 10 cm and 46 % at 20 cm (the teaching
  // summary the pencil beam's 10 MV model was fitted to, photon_beams.json "medphys-notes";
  // within the 73-74 % and 23-25 mm of clinical 10 MV beams). Neither the kernel nor the
  // spectrum was fitted to these; the MU calibration is the pencil beam's (1 cGy/MU at 24 mm).
  const DensityGrid water = waterPhantom();
  const io::Beam beam = jawBeam(-50, 50, -50, 50, 10.0);
  const CollapsedConeCalculator c = collapsedCone(water, beam);
  double doseMax = 0;
  const double dmax = dmax_mm(c, &doseMax);
  const double pdd10 = 100 * axisDose(c, 100) / doseMax;
  const double pdd20 = 100 * axisDose(c, 200) / doseMax;
  std::printf(
      "CCC 10 MV 100x100 mm: dmax %.2f mm, PDD5 %.2f (pub 91), PDD10 %.2f (pub 74), "
      "PDD20 %.2f (pub 46), dose/MU at 24 mm %.4f cGy\n",
      dmax, 100 * axisDose(c, 50) / doseMax, pdd10, pdd20, axisDose(c, 24));
  for (double d : {10.0, 15.0, 18.0, 21.0, 24.0, 27.0, 30.0, 35.0})
    std::printf("  PDD(%g mm) %.2f\n", d, 100 * axisDose(c, d) / doseMax);
  // The maximum is a plateau (within 1 % from about 19 to 28 mm on this 2.5 mm grid, with a
  // voxel-scale ripple of the cone lattice), so its position (21.25 mm, 2.75 mm shallower than
  // published; 23.25 mm on a 1.25 mm grid, tests/slow) is not a well-posed check here; the dose
  // at the published dmax is: within 1 % of the maximum. A build-up peaking 5 mm shallower or
  // deeper would fail it (PDD(15 mm) is 96 %).
  EXPECT_NEAR(100 * axisDose(c, 24) / doseMax, 100.0, 1.0);
  EXPECT_GT(dmax, 18.0);          // deeper than any 6 MV build-up (BJR 25: 15 mm)
  EXPECT_NEAR(pdd10, 74.0, 2.0);  // delta_1: 2 %
  EXPECT_NEAR(pdd20, 46.0, 2.0);
  EXPECT_NEAR(axisDose(c, 24), 1.0, 0.005);  // the calibration point
  // The pencil beam's 10 MV model, fitted to those numbers, agrees beyond dmax within 5 %.
  const PencilBeamCalculator pb(water, beam, PatientPosition::HFS, photonBeamModel(10.0), {});
  for (double d : {50.0, 100.0, 150.0, 200.0}) {
    EXPECT_NEAR(axisDose(c, d) / axisDose(pb, d), 1.0, 0.05) << d;
    std::printf("  depth %g mm: CCC / pencil beam %.4f\n", d, axisDose(c, d) / axisDose(pb, d));
  }
}

TEST(CollapsedCone, ThreeTermKernelsAreOptInAndKeepTheirEnergy) {
  // The three-exponential fits (docs/validation.md "Collapsed cone: three-term kernels"): picked
  // by id only; each energy's default is the shipped two-term kernel.
  EXPECT_EQ(collapsedConeBeamModel(10.0).kernelTerms, 2);
  for (const char* id : {"6MV-3terms", "10MV-3terms"}) {
    const CollapsedConeBeamModel& m = collapsedConeBeamModelById(id);
    EXPECT_EQ(m.kernelTerms, 3) << id;
    EXPECT_TRUE(m.optIn) << id;
    conesKeepEachTermsEnergy(m);
    // The same spectrum as the default model of its energy, and nearly the same energy within
    // the monoenergetic kernels' outer sphere, 60 cm (both fits follow the same data there; the
    // three terms' long tail extrapolates 5-6 % more beyond it, in sum eta).
    const CollapsedConeBeamModel& same = collapsedConeBeamModel(m.nominalEnergy_MV);
    EXPECT_EQ(m.fluenceWeight, same.fluenceWeight) << id;
    auto within600mm = [](const CollapsedConeBeamModel& k) {
      double sum = 0;
      for (const KernelZenithBin& b : k.kernel)
        for (int t = 0; t < k.kernelTerms; ++t)
          sum += b.terms[t].eta * (1 - std::exp(-b.terms[t].mu_per_mm * 600));
      return sum;
    };
    EXPECT_NEAR(within600mm(m) / within600mm(same), 1.0, 0.02) << id;
  }
  CollapsedConeParameters tenThree;
  tenThree.kernelId = "10MV-3terms";
  EXPECT_EQ(collapsedConeBeamModel(10.0, tenThree).id, "10MV-3terms");
  // A kernel of another energy, or one there is not, is refused naming the parameter.
  try {
    collapsedConeBeamModel(6.0, tenThree);
    ADD_FAILURE() << "10 MV kernel accepted for a 6 MV beam";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(e.context(), "kernelId");
  }
  try {
    collapsedConeBeamModelById("18MV-3terms");
    ADD_FAILURE() << "unknown kernel accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("10MV-3terms"), std::string::npos) << e.what();
  }
}

// A water / lung / water slab on a 5 mm grid and an asymmetric 6 MV field: fast engine checks.
struct CoarseSlab {
  DensityGrid slab = waterPhantom(5.0, 30, 130, 0.25f);
  CollapsedConeParameters coarse = [] {
    CollapsedConeParameters p;
    p.doseGridSpacing_mm = 5.0;
    return p;
  }();
  io::Beam beam = jawBeam(-40, 30, -50, 50);
};

TEST(CollapsedCone, AThirdTermOfNoEnergyChangesNoBit) {
  // The engine's N-term transport: the shipped two-term 6 MV kernel carried as three terms,
  // the third empty, gives the same dose bit for bit (5 mm grid, a lung slab, tilted kernels).
  const CoarseSlab slab;
  const CollapsedConeBeamModel& two = collapsedConeBeamModel(6.0);
  CollapsedConeBeamModel three = two;
  three.id = "6MV as three terms";  // its own calibration, computed the same way
  three.kernelTerms = 3;
  for (KernelZenithBin& b : three.kernel) b.terms[2] = {0.0, 0.01};
  const CollapsedConeCalculator a(slab.slab, slab.beam, PatientPosition::HFS, two, slab.coarse);
  const CollapsedConeCalculator b(slab.slab, slab.beam, PatientPosition::HFS, three, slab.coarse);
  EXPECT_EQ(a.calibration(), b.calibration());
  const std::vector<float> doseA = a.doseOn(slab.slab.geometry).values;
  const std::vector<float> doseB = b.doseOn(slab.slab.geometry).values;
  EXPECT_TRUE(doseA == doseB);
  EXPECT_GT(*std::max_element(doseA.begin(), doseA.end()), 0.5f);
}

TEST(CollapsedCone, SameBitsOnAnyThreadCountAndCancellable) {
  // Each voxel lies on one line per direction and the directions run in a fixed order, so the
  // dose does not depend on the thread count (a 5 mm grid keeps this fast).
  const CoarseSlab setup;
  const DensityGrid& slab = setup.slab;
  const CollapsedConeParameters& coarse = setup.coarse;
  const io::Beam& beam = setup.beam;
  const CollapsedConeBeamModel& m = collapsedConeBeamModel(6.0);
  ImageGeometry grid = slab.geometry;
  std::vector<float> one, four;
  {
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = CollapsedConeCalculator(slab, beam, PatientPosition::HFS, m, coarse).doseOn(grid).values;
  }
  {
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 4);
    four = CollapsedConeCalculator(slab, beam, PatientPosition::HFS, m, coarse).doseOn(grid).values;
  }
  ASSERT_EQ(one.size(), four.size());
  EXPECT_TRUE(one == four);
  EXPECT_GT(*std::max_element(one.begin(), one.end()), 0.5f);
  // Cancelled from the progress sink: throws Cancelled, nothing returned.
  test::RecordingProgress cancelling(3);
  EXPECT_THROW(CollapsedConeCalculator(slab, beam, PatientPosition::HFS, m, coarse, cancelling),
               Cancelled);
  // Bad parameters are refused before any work, naming the parameter.
  CollapsedConeParameters bad;
  bad.doseGridSpacing_mm = 0;
  EXPECT_THROW(bad.validate(), Error);
}

TEST(CollapsedCone, LungSlabShowsElectronDisequilibriumThatThePencilBeamMisses) {
  // Water 0-30 mm, lung (0.25) 30-130 mm, water beyond (the slab geometry of Carrasco et al.,
  // Med Phys 2004;31:2899). Expected from transport physics (TG-65 section IV, Knoos et al. Phys
  // Med Biol 2006;51:5785): in lung the secondary electrons range 4x further sideways, so a
  // small field loses lateral equilibrium and its axis dose falls below the radiological-depth
  // (pencil-beam) estimate, more for 5x5 than 10x10 cm; past the slab the dose builds up again
  // in water (the pencil beam, depth-scaled only, shows neither effect).
  double deficit5 = 0, deficit10 = 0;
  for (double side : {50.0, 100.0}) {
    const double h = side / 2;
    const io::Beam beam = jawBeam(-h, h, -h, h);
    const DensityGrid slab = waterPhantom(2.5, 30, 130, 0.25f);
    const DensityGrid water = waterPhantom();
    const CollapsedConeCalculator c = collapsedCone(slab, beam);
    const CollapsedConeCalculator cWater = collapsedCone(water, beam);
    const PencilBeamCalculator pb(slab, beam, PatientPosition::HFS, photonBeamModel(6.0), {});
    const PencilBeamCalculator pbWater(water, beam, PatientPosition::HFS, photonBeamModel(6.0), {});
    const double inLung = axisDose(c, 110) / axisDose(pb, 110);
    (side == 50 ? deficit5 : deficit10) = 1.0 - inLung;
    // The slab's dose relative to water's at the same depth, 135 mm (5 mm past the slab) and
    // 150 mm: a rise is the rebuild-up.
    auto relative = [](const auto& inSlab, const auto& inWater, double d) {
      return axisDose(inSlab, d) / axisDose(inWater, d);
    };
    const double rebuild = relative(c, cWater, 150) / relative(c, cWater, 135);
    const double rebuildPb = relative(pb, pbWater, 150) / relative(pb, pbWater, 135);
    std::printf(
        "slab %gx%g: CCC/PB in lung (110 mm) %.4f; slab/water 135->150 mm CCC x%.4f, "
        "PB x%.4f\n",
        side, side, inLung, rebuild, rebuildPb);
    for (double d : {20.0, 60.0, 100.0, 120.0, 135.0, 150.0, 180.0})
      std::printf("  depth %g mm: slab/water CCC %.4f PB %.4f\n", d, relative(c, cWater, d),
                  relative(pb, pbWater, d));
    SCOPED_TRACE(side);
    EXPECT_LT(inLung, 0.97);
    // Rebuild-up: water at 135 mm follows 100 mm of lung; 15 mm later the dose relative to
    // water has risen in the collapsed cone, while the pencil beam's stays flat.
    EXPECT_GT(rebuild, 1.015);
    EXPECT_LT(rebuildPb, 1.005);
    // Upstream of the slab (water, 20 mm) the engines agree within 2 % (less backscatter from
    // lung lowers the collapsed cone's by about 1 %).
    EXPECT_NEAR(axisDose(c, 20) / axisDose(pb, 20), 1.0, 0.02);
  }
  EXPECT_GT(deficit5, deficit10);  // the smaller field is further from equilibrium
}

}  // namespace
}  // namespace twinplan::radiotherapy
