// The collapsed cone and the pencil beam against an independent Monte Carlo peer (issue #19
// items 2 and 7): EGSnrc DOSXYZnrc run on the same phantoms with the same Mohan 6 / 10 MV
// spectra from a point source at SSD 100 cm (tests/data/radiotherapy/egsnrc_*.csv, made by
// scripts/radiotherapy/run_egsnrc_reference.sh; EGSnrc is not run here). The engines' doses
// are averaged over the Monte Carlo voxels. Depth doses are normalised over 90-110 mm; the slab
// is read as the inhomogeneity correction factor, slab / water of the same field at the same
// depth, the quantity AAPM TG-65 (section IV) and the slab literature compare.
// Tolerances: Venselaar et al., Radiother Oncol 2001;60:191 Table 1 (adopted by IAEA TRS-430):
// homogeneous water 2 % on the axis beyond dmax (delta_2), 2 mm for the penumbra and the field
// width (RW50); heterogeneous geometry 3 % away from interfaces (delta_2) and 15 % where the
// dose changes fast (delta_1: within 10 mm of a lung interface). Each is widened by twice the
// Monte Carlo's statistical uncertainty (1 sigma, in the tables).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "egsnrc_reference.h"
#include "photon_water_phantom.h"
#include "twinplan/radiotherapy/collapsed_cone.h"
#include "twinplan/radiotherapy/pencil_beam.h"

namespace twinplan::radiotherapy {
namespace {

using namespace water_phantom;
using egsnrc::McVoxel;

// Both engines on one phantom and beam (the phantom outlives them: the pencil beam keeps a
// reference to it).
struct Engines {
  Engines(DensityGrid p, const io::Beam& beam, double energy_MV)
      : phantom(std::move(p)),
        collapsedCone(phantom, beam, PatientPosition::HFS, collapsedConeBeamModel(energy_MV), {}),
        pencilBeam(phantom, beam, PatientPosition::HFS, photonBeamModel(energy_MV), {}) {}
  DensityGrid phantom;
  CollapsedConeCalculator collapsedCone;
  PencilBeamCalculator pencilBeam;
};

// The Monte Carlo case `name` ("water_6mv_10x10", "lungslab_10mv_5x5" ...), computed once per
// test program.
const Engines& engines(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Engines>> cache;
  std::unique_ptr<Engines>& slot = cache[name];
  if (!slot) {
    const double energy = name.find("_10mv_") != std::string::npos ? 10.0 : 6.0;
    const double half = name.find("_5x5") != std::string::npos ? 25.0 : 50.0;
    // Lung (water of 0.25 g/cm3) from 30 mm ("lungslab") or from the surface ("lungsurface")
    // to 130 mm, water beyond.
    const bool slab = name.rfind("lungslab", 0) == 0;
    const bool surface = name.rfind("lungsurface", 0) == 0;
    slot = std::make_unique<Engines>(slab      ? waterPhantom(2.5, 30, 130, 0.25f)
                                     : surface ? waterPhantom(2.5, 0, 130, 0.25f)
                                               : waterPhantom(),
                                     jawBeam(-half, half, -half, half, energy), energy);
  }
  return *slot;
}

// One axis voxel: the Monte Carlo dose, its relative 1 sigma, and the two engines' voxel means.
struct AxisPoint {
  double depth_mm, mc, mcSigma, ccc, pb;
};

std::vector<AxisPoint> axisPoints(const std::string& name) {
  std::vector<AxisPoint> points;
  const Engines& e = engines(name);
  for (const McVoxel& v : egsnrc::region(egsnrc::readTable(name), "axis"))
    if (v.depth_mm() <= 250)
      points.push_back({v.depth_mm(), v.dose, v.uncertainty_percent / 100,
                        egsnrc::voxelMean(e.collapsedCone, v), egsnrc::voxelMean(e.pencilBeam, v)});
  return points;
}

// Worst |engine / MC - 1| (%) less twice the MC's sigma, over depths in [from, to].
double worstExcess(const std::vector<AxisPoint>& points, double from, double to,
                   const std::function<double(const AxisPoint&)>& ratio) {
  double worst = -1e9;
  for (const AxisPoint& p : points)
    if (p.depth_mm >= from && p.depth_mm <= to)
      worst = std::max(worst, 100 * std::abs(ratio(p) - 1) - 200 * p.mcSigma);
  return worst;
}

double meanRatio(const std::vector<AxisPoint>& points, double from, double to,
                 const std::function<double(const AxisPoint&)>& ratio) {
  double sum = 0;
  int n = 0;
  for (const AxisPoint& p : points)
    if (p.depth_mm >= from && p.depth_mm <= to) sum += ratio(p), ++n;
  return n ? sum / n : 0;
}

// One table row: depth, MC (sigma %), CCC, PB, CCC/MC-1 %, PB/MC-1 %.
void printRow(const AxisPoint& q) {
  std::printf("  %6.2f  %.4f (%.2f)  %.4f  %.4f  %+6.2f  %+6.2f\n", q.depth_mm, q.mc,
              100 * q.mcSigma, q.ccc, q.pb, 100 * (q.ccc / q.mc - 1), 100 * (q.pb / q.mc - 1));
}

// Depth dose of the 10 x 10 cm field, each normalised to its mean over the five voxels from
// 90 to 110 mm (one voxel's 1 % scatter would otherwise tilt the whole Monte Carlo curve).
std::vector<AxisPoint> waterDepthDose(const char* energy) {
  std::vector<AxisPoint> p = axisPoints(std::string("water_") + energy + "_10x10");
  AxisPoint sum{100, 0, 0, 0, 0};
  int n = 0;
  for (const AxisPoint& q : p)
    if (q.depth_mm >= 90 && q.depth_mm <= 110)
      sum.mc += q.mc, sum.ccc += q.ccc, sum.pb += q.pb, ++n;
  if (n != 5) {
    ADD_FAILURE() << "expected five voxels from 90 to 110 mm, found " << n;
    return {};
  }
  std::printf(
      "water %s 10x10 axis, normalised over 90-110 mm: depth, EGSnrc (sigma %%), CCC, PB, "
      "CCC/MC-1 %%, PB/MC-1 %%\n",
      energy);
  for (AxisPoint& q : p) {
    q.mc /= sum.mc / n, q.ccc /= sum.ccc / n, q.pb /= sum.pb / n;
    printRow(q);
  }
  return p;
}

double cccOverMc(const AxisPoint& p) { return p.ccc / p.mc; }
double pbOverMc(const AxisPoint& p) { return p.pb / p.mc; }

// The collapsed cone shares the Monte Carlo's spectrum: every voxel within delta_2 (2 %) over
// 40-130 mm and within 3 % from 20 to 250 mm, where its kernel, fixed at the surface spectrum,
// does not harden (it falls 1.5-2 % low on average past 150 mm; validation.md). The pencil beam
// was fitted to measured beams harder than the Mohan spectra: within delta_2 over 40-130 mm,
// above the Monte Carlo beyond 150 mm by more than `pbDeepAbove` - 1 (beam data, not engine).
void expectWaterDepthDose(const char* energy, double pbDeepAbove) {
  const std::vector<AxisPoint> p = waterDepthDose(energy);
  ASSERT_FALSE(p.empty());
  const double ccc40to130 = worstExcess(p, 40, 130, cccOverMc);
  const double ccc20to250 = worstExcess(p, 20, 250, cccOverMc);
  const double pb40to130 = worstExcess(p, 40, 130, pbOverMc);
  const double pbDeep = meanRatio(p, 150, 250, pbOverMc);
  std::printf(
      "%s: worst |CCC/MC-1| - 2 sigma %.2f %% (40-130 mm), %.2f %% (20-250 mm); "
      "|PB/MC-1| - 2 sigma %.2f %% (40-130 mm); mean PB/MC 150-250 mm %.4f, "
      "CCC/MC %.4f\n",
      energy, ccc40to130, ccc20to250, pb40to130, pbDeep, meanRatio(p, 150, 250, cccOverMc));
  EXPECT_LE(ccc40to130, 2.0);
  EXPECT_LE(ccc20to250, 3.0);
  EXPECT_NEAR(meanRatio(p, 150, 250, cccOverMc), 1.0, 0.03);
  EXPECT_LE(pb40to130, 2.0);
  EXPECT_GT(pbDeep, pbDeepAbove);
}

TEST(EgsnrcPeer, Water6MvDepthDose) { expectWaterDepthDose("6mv", 1.03); }
TEST(EgsnrcPeer, Water10MvDepthDose) { expectWaterDepthDose("10mv", 1.01); }

// The lateral profile at `depth_mm`: each side's 1 mm voxels folded onto x > 0 (the field is
// symmetric), relative to the central voxel.
struct Edge {
  double penumbra_mm, halfWidth_mm;  // 80-20 % width, 50 % position
};

Edge profileEdge(const std::vector<McVoxel>& profile,
                 const std::function<double(const McVoxel&)>& dose) {
  std::vector<double> x, r;
  double centre = 0;
  for (const McVoxel& v : profile)
    if (v.x0 < 0 && v.x1 > 0) centre = dose(v);
  for (const McVoxel& v : profile) {
    if (v.x0 < 0 || v.x1 - v.x0 > 1.5) continue;  // the 1 mm voxels across the +x edge
    for (const McVoxel& w : profile)
      if (std::abs(w.x0 + v.x1) < 1e-6 && std::abs(w.x1 + v.x0) < 1e-6) {
        x.push_back(v.x_mm());
        r.push_back(0.5 * (dose(v) + dose(w)) / centre);
      }
  }
  return {egsnrc::crossing(x, r, 0.2) - egsnrc::crossing(x, r, 0.8), egsnrc::crossing(x, r, 0.5)};
}

void expectPenumbra(const char* energy, double depth_mm) {
  const std::string name = std::string("water_") + energy + "_10x10";
  const std::vector<McVoxel> profile = egsnrc::region(egsnrc::readTable(name), "profile", depth_mm);
  ASSERT_FALSE(profile.empty());
  const Engines& e = engines(name);
  const Edge mc = profileEdge(profile, [](const McVoxel& v) { return v.dose; });
  const Edge ccc =
      profileEdge(profile, [&](const McVoxel& v) { return egsnrc::voxelMean(e.collapsedCone, v); });
  const Edge pb =
      profileEdge(profile, [&](const McVoxel& v) { return egsnrc::voxelMean(e.pencilBeam, v); });
  std::printf(
      "water %s 10x10 at %g mm: 80-20 %% penumbra MC %.2f, CCC %.2f, PB %.2f mm; 50 %% "
      "at MC %.2f, CCC %.2f, PB %.2f mm\n",
      energy, depth_mm, mc.penumbra_mm, ccc.penumbra_mm, pb.penumbra_mm, mc.halfWidth_mm,
      ccc.halfWidth_mm, pb.halfWidth_mm);
  // A point source, 10 x 10 cm at the surface: the geometric edge is at 50 mm x (1000 + d) / 1000.
  EXPECT_NEAR(mc.halfWidth_mm, 50.0 * (1000 + depth_mm) / 1000, 0.5);
  EXPECT_NEAR(ccc.penumbra_mm, mc.penumbra_mm, 2.0);
  EXPECT_NEAR(pb.penumbra_mm, mc.penumbra_mm, 2.0);
  EXPECT_NEAR(2 * ccc.halfWidth_mm, 2 * mc.halfWidth_mm, 2.0);  // RW50
  EXPECT_NEAR(2 * pb.halfWidth_mm, 2 * mc.halfWidth_mm, 2.0);
}

TEST(EgsnrcPeer, Water6MvPenumbraAndFieldWidthAt10Cm) { expectPenumbra("6mv", 100); }
TEST(EgsnrcPeer, Water10MvPenumbraAndFieldWidthAt10Cm) { expectPenumbra("10mv", 100); }

// The lung slab (water 0-30 mm, water of 0.25 g/cm3 30-130 mm, water beyond; 5 x 5 cm): the
// inhomogeneity correction factor slab / water on the axis. The collapsed cone within delta_2
// (3 %) in lung and downstream water away from the interfaces and within delta_1 (15 %) near
// them. The pencil beam scales depth only and keeps lateral equilibrium, so in lung it must
// overshoot the Monte Carlo (AAPM TG-65 section IV), more at 10 MV where the electrons range
// further: asserted as the known failure it is (mean PB / MC in lung above `pbInLungAbove`).
// The inhomogeneity correction factor of the case `phantom` ("lungslab", "lungsurface"): its
// axis dose over water's of the same field at the same depth, MC sigmas combined; printed.
std::vector<AxisPoint> correctionFactor(const std::string& phantom, const char* energy) {
  const std::vector<AxisPoint> slab = axisPoints(phantom + "_" + energy + "_5x5");
  const std::vector<AxisPoint> water = axisPoints(std::string("water_") + energy + "_5x5");
  EXPECT_EQ(slab.size(), water.size());
  std::vector<AxisPoint> icf;
  std::printf(
      "%s %s 5x5, lung / water on the axis: depth, EGSnrc (sigma %%), CCC, PB, "
      "CCC/MC-1 %%, PB/MC-1 %%\n",
      phantom.c_str(), energy);
  for (std::size_t i = 0; i < std::min(slab.size(), water.size()); ++i) {
    const AxisPoint& s = slab[i];
    const AxisPoint& w = water[i];
    icf.push_back(
        {s.depth_mm, s.mc / w.mc, std::hypot(s.mcSigma, w.mcSigma), s.ccc / w.ccc, s.pb / w.pb});
    printRow(icf.back());
  }
  return icf;
}

void expectLungSlab(const char* energy, double pbInLungAbove) {
  const std::vector<AxisPoint> icf = correctionFactor("lungslab", energy);
  ASSERT_FALSE(icf.empty());
  // Zone means (single 5 mm voxels of the water run scatter by 1.5-2 % at 1 sigma): upstream
  // water, lung and downstream water away from the interfaces within delta_2; each voxel near
  // an interface within delta_1.
  const double upstream = meanRatio(icf, 10, 20, cccOverMc);
  const double lung = meanRatio(icf, 40, 120, cccOverMc);
  const double downstream = meanRatio(icf, 140, 250, cccOverMc);
  const double interfaces =
      std::max(worstExcess(icf, 20, 40, cccOverMc), worstExcess(icf, 120, 140, cccOverMc));
  const double pbLung = meanRatio(icf, 60, 120, pbOverMc);
  // Not asserted, stated in validation.md: at 10 MV the Monte Carlo's build-down 10-30 mm into
  // the lung is deeper than the collapsed cone's (CCC / MC 1.05-1.07 over 40-60 mm): not the
  // grid, margin, tilt, cone count or kernel fit; it comes with the water / lung interface
  // (section "Slab heterogeneity vs published measurements (session 13)").
  std::printf("%s: mean CCC/MC over 40-60 mm (build-down in lung) %.4f\n", energy,
              meanRatio(icf, 40, 60, cccOverMc));
  std::printf(
      "%s: mean CCC/MC upstream (10-20 mm) %.4f, lung (40-120) %.4f, downstream "
      "(140-250) %.4f; worst |CCC/MC-1| - 2 sigma within 10 mm of an interface %.2f %%; "
      "mean PB/MC in lung (60-120 mm) %.4f\n",
      energy, upstream, lung, downstream, interfaces, pbLung);
  EXPECT_NEAR(upstream, 1.0, 0.03);
  EXPECT_NEAR(lung, 1.0, 0.03);
  EXPECT_NEAR(downstream, 1.0, 0.03);
  EXPECT_LE(interfaces, 15.0);
  EXPECT_GT(pbLung, pbInLungAbove);
}

TEST(EgsnrcPeer, LungSlab6MvCorrectionFactor) { expectLungSlab("6mv", 1.06); }
TEST(EgsnrcPeer, LungSlab10MvCorrectionFactor) { expectLungSlab("10mv", 1.09); }

// Lung (0.25) from the surface to 130 mm, 10 MV 5 x 5 cm: no water / lung interface upstream, so
// what the collapsed cone does in lung's own build-up is seen apart from the slab's build-down.
// Homogeneous build-up region (0-60 mm of lung, 15 mm of water-equivalent depth): every voxel
// within delta_1 = 10 % (Venselaar Table 1, simple geometry); deeper lung (70-125 mm) and the
// water past it (140-250 mm) within delta_2 = 3 % as zone means, as for the slab.
TEST(EgsnrcPeer, UniformLung10MvFromTheSurface) {
  const std::vector<AxisPoint> icf = correctionFactor("lungsurface", "10mv");
  ASSERT_FALSE(icf.empty());
  for (const auto& [zone, from, to] : {std::tuple{"build-up", 10.0, 60.0},
                                       std::tuple{"deep lung", 70.0, 125.0},
                                       std::tuple{"water past the lung", 140.0, 250.0}})
    std::printf("10mv lung from the surface, %s (%g-%g mm): mean CCC/MC %.4f, PB/MC %.4f\n",
                zone, from, to, meanRatio(icf, from, to, cccOverMc),
                meanRatio(icf, from, to, pbOverMc));
  const double worstBuildUp = worstExcess(icf, 5, 60, cccOverMc);
  std::printf("worst build-up voxel |CCC/MC-1| - 2 sigma (5-60 mm) %.2f %%\n", worstBuildUp);
  EXPECT_LE(worstBuildUp, 10.0);
  EXPECT_NEAR(meanRatio(icf, 70, 125, cccOverMc), 1.0, 0.03);
  EXPECT_NEAR(meanRatio(icf, 140, 250, cccOverMc), 1.0, 0.03);
}

}  // namespace
}  // namespace twinplan::radiotherapy
