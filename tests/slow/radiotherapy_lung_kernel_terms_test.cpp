// Why the collapsed cone misses the 10 MV build-down in the lung slab (issue #19 item 7;
// docs/validation.md "Slab heterogeneity vs published measurements (session 13)"). Against the
// EGSnrc tables of tests/data/radiotherapy (water 0-30 mm / lung 0.25 30-130 mm / water, and
// lung 0.25 from the surface to 130 mm; 10 MV, 5 x 5 cm), the engine runs its 10 MV kernel as
// shipped (two exponentials per cone; worst cumulative misfit 20 %) and the same monoenergetic
// kernels (EDKnrc to 6 MeV, Mackie et al. 1988 at 8 and 10 MeV, Mohan 10 MV weights) fitted with
// three exponentials by scripts/radiotherapy/fit_ccc_kernel.py hybrid ... --components 3
// (tests/data/radiotherapy/ccc_kernel_10mv_3terms.json; misfit 13 %, the forward cones within
// 2.5 %; the same script without --components reproduces the shipped block to 3e-5). The
// engine carries the three terms natively (the opt-in model "10MV-3terms" of
// resources/radiotherapy/collapsed_cone_kernels.json, the same numbers); the test checks it
// against the same kernel run as two engines of two terms whose raw doses add. What it shows: the
// better kernel brings lung's own build-up (no interface) onto the Monte Carlo, while the slab's
// build-down past the water / lung interface stays 5 % high with either kernel: that miss comes
// with the interface, not with the fit, grid, margin, tilt or cone count (validation.md gives those
// runs; most likely the kernel's straight-line density scaling across the interface: electrons set
// moving in water spread in lung at lung's scale, while the scaled kernel prices their path at the
// chord's mean density).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "egsnrc_reference.h"
#include "photon_water_phantom.h"
#include "twinplan/radiotherapy/collapsed_cone.h"

namespace twinplan::radiotherapy {
namespace {

using namespace water_phantom;

// The kernel file's cones as engine models of two terms each (a third term goes into a second
// model, with an empty second term).
std::vector<CollapsedConeBeamModel> twoTermModels(const std::string& file) {
  const std::filesystem::path path =
      std::filesystem::path(TWINPLAN_SOURCE_DIR) / "tests/data/radiotherapy" / file;
  std::ifstream in(path);
  const nlohmann::json root = nlohmann::json::parse(in);
  const int terms = root.at("components").get<int>();
  const char* eta[] = {"etaA", "etaB", "etaC"};
  const char* mu[] = {"a_per_mm", "b_per_mm", "c_per_mm"};
  std::vector<CollapsedConeBeamModel> models;
  for (int first = 0; first < terms; first += 2) {
    CollapsedConeBeamModel m = collapsedConeBeamModel(10.0);  // the spectrum and attenuation
    m.id = file + "#" + std::to_string(first);                // its own calibration
    m.kernel.clear();
    for (const nlohmann::json& cone : root.at("cones")) {
      KernelZenithBin b{cone["theta_deg"][0].get<double>(), cone["theta_deg"][1].get<double>(), {}};
      b.terms[0] = {cone[eta[first]].get<double>(), cone[mu[first]].get<double>()};
      b.terms[1] = {0.0, 1e-3};
      if (first + 1 < terms)
        b.terms[1] = {cone[eta[first + 1]].get<double>(), cone[mu[first + 1]].get<double>()};
      m.kernel.push_back(b);
    }
    models.push_back(std::move(m));
  }
  return models;
}

// The raw (uncalibrated) dose of a kernel run as several engines on `phantom` (kept here: the
// engines read it for the dose).
struct KernelDose {
  DensityGrid phantom;
  std::vector<std::unique_ptr<CollapsedConeCalculator>> parts;
  KernelDose(DensityGrid p, const io::Beam& beam, const std::vector<CollapsedConeBeamModel>& models)
      : phantom(std::move(p)) {
    for (const CollapsedConeBeamModel& m : models)
      parts.push_back(std::make_unique<CollapsedConeCalculator>(phantom, beam, PatientPosition::HFS,
                                                                m, CollapsedConeParameters{}));
  }
  double dose_Gy(const Vec3& p) const {
    double sum = 0;
    for (const auto& c : parts) sum += c->dose_Gy(p) / c->calibration();
    return sum;
  }
};

// Mean over the axis voxels in [from, to] mm of (engine lung / water) / (MC lung / water).
struct Zones {
  double lungBuildUp, slabBuildDown, deepLung;  // surface 10-60, slab 40-60, surface 70-125
};

double meanIcfRatio(const std::string& phantom, const KernelDose& inLung, const KernelDose& inWater,
                    double from, double to) {
  const auto lung = egsnrc::region(egsnrc::readTable(phantom + "_10mv_5x5"), "axis");
  const auto water = egsnrc::region(egsnrc::readTable("water_10mv_5x5"), "axis");
  double sum = 0;
  int n = 0;
  for (std::size_t i = 0; i < lung.size() && i < water.size(); ++i)
    if (lung[i].depth_mm() >= from && lung[i].depth_mm() <= to) {
      const double engine =
          egsnrc::voxelMean(inLung, lung[i]) / egsnrc::voxelMean(inWater, water[i]);
      sum += engine / (lung[i].dose / water[i].dose), ++n;
    }
  EXPECT_GT(n, 3) << phantom << " " << from << "-" << to << " mm";
  return n ? sum / n : 0.0;
}

Zones zones(const std::string& modelId) {
  const std::vector<CollapsedConeBeamModel> models = {collapsedConeBeamModelById(modelId)};
  const io::Beam beam = jawBeam(-25, 25, -25, 25, 10.0);
  const KernelDose water(waterPhantom(2.5), beam, models);
  const KernelDose slab(waterPhantom(2.5, 30, 130, 0.25f), beam, models);
  const KernelDose surface(waterPhantom(2.5, 0, 130, 0.25f), beam, models);
  const Zones z{meanIcfRatio("lungsurface", surface, water, 10, 60),
                meanIcfRatio("lungslab", slab, water, 40, 60),
                meanIcfRatio("lungsurface", surface, water, 70, 125)};
  std::printf(
      "%s: mean CCC/MC of the correction factor: lung from the surface, build-up 10-60 mm "
      "%.4f, 70-125 mm %.4f; slab build-down 40-60 mm %.4f\n",
      modelId.c_str(), z.lungBuildUp, z.deepLung, z.slabBuildDown);
  return z;
}

TEST(CollapsedConeLungKernelTerms, NativeThreeTermsEqualTwoEnginesSummed) {
  // The engine's own three-term transport against the fit file's kernel split over two
  // two-term engines (an empty second term in the second), in uniform lung from the surface:
  // the raw dose on the axis agrees to float rounding (the box stores floats; the sums of the
  // two runs add in another order).
  const io::Beam beam = jawBeam(-25, 25, -25, 25, 10.0);
  const KernelDose native(waterPhantom(2.5, 0, 130, 0.25f), beam,
                          {collapsedConeBeamModelById("10MV-3terms")});
  const KernelDose split(waterPhantom(2.5, 0, 130, 0.25f), beam,
                         twoTermModels("ccc_kernel_10mv_3terms.json"));
  double worst = 0;
  for (double depth = 2.5; depth <= 250; depth += 2.5) {
    const Vec3 p(0, depth, 0);
    worst = std::max(worst, std::abs(native.dose_Gy(p) / split.dose_Gy(p) - 1.0));
  }
  std::printf("native three terms / two engines summed, axis 2.5-250 mm: worst |ratio - 1| %.2g\n",
              worst);
  EXPECT_LT(worst, 1e-5);
}

TEST(CollapsedConeLungKernelTerms, BetterKernelFixesLungBuildUpButNotTheSlabsBuildDown) {
  const Zones two = zones("10MV");
  const Zones three = zones("10MV-3terms");
  // Zone means of 4-20 voxels of 1.5-2 % (1 sigma) each: about 0.5-0.8 % of noise.
  // Lung's own build-up: two terms high by more than 3 %, three terms within 2 %.
  EXPECT_GT(two.lungBuildUp, 1.03);
  EXPECT_NEAR(three.lungBuildUp, 1.0, 0.02);
  // Deep in uniform lung both within delta_2 (3 %).
  EXPECT_NEAR(two.deepLung, 1.0, 0.03);
  EXPECT_NEAR(three.deepLung, 1.0, 0.03);
  // The slab's build-down stays more than 4 % high with either kernel (the interface).
  EXPECT_GT(two.slabBuildDown, 1.04);
  EXPECT_GT(three.slabBuildDown, 1.04);
}

}  // namespace
}  // namespace twinplan::radiotherapy
