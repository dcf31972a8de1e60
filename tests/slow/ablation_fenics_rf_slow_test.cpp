// The coupled RF ablation (rf_source.h driving bioheat.h) against FEniCSx on the same problem
// (issue #17 items 4 and 7): an RF electrode at constant power in a liver cube, the
// quasi-static potential re-solved with sigma(T) every step, SAR = sigma |grad V|^2 heating
// transient Pennes with k(T). FEniCSx solves the same equations with the same backward-Euler
// steps (coefficients and source at the step's start temperature) on a tetrahedral mesh whose
// vertices lie on our voxel faces (tests/slow/ablation_fenics_rf.py, /usr/bin/python3 with
// python3-dolfinx 0.5). Prints both solvers' times: bench/ablation_fenics_bench.sh runs it.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/rf_source.h"
#include "twinplan/ablation/tissue_library.h"

namespace twinplan::ablation {
namespace {

using nlohmann::json;

// The grid: 41^3 voxels of 1 mm, centres at -20..20 mm.
constexpr std::int64_t kSize = 41;
// 6 W for 120 s at constant power: the tissue next to the electrode peaks below 100 degC, so
// neither vaporisation nor the drying cap (which FEniCSx is not given) comes into play.
constexpr double kPower_W = 6.0;
constexpr double kDuration_s = 120.0;
constexpr double kIsotherm_degC = 50.0;

// The cooled 3 cm electrode's type with a 10 mm active part 3 mm thick and no cooling: the
// grid's faces (the ground) stay 15 mm from it, no voxel is held at the coolant temperature,
// and the electrode is several voxels across (a one-voxel line leaves the discrete impedance to
// the discretisation: 118 ohm by our finite volumes, 91 ohm by FEniCSx's P1 on the same grid).
AblationDevice shortUncooledElectrode() {
  AblationDevice device = findDevice("rf-cooled-3cm");
  device.activeTipLength_mm = 10.0;
  device.shaftDiameter_mm = 3.0;
  device.internallyCooled = false;
  return device;
}

json voxelCentres_m(const ImageGeometry& g, const std::vector<std::size_t>& voxels) {
  json centres = json::array();
  for (std::size_t v : voxels) {
    const std::int64_t i = std::int64_t(v) % g.size[0],
                       j = (std::int64_t(v) / g.size[0]) % g.size[1],
                       k = std::int64_t(v) / (g.size[0] * g.size[1]);
    const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
    centres.push_back({p.x() * 1e-3, p.y() * 1e-3, p.z() * 1e-3});
  }
  return centres;
}

// Where the final temperature along the line from the origin in direction (axis, sign) first
// falls below threshold (mm), linear between voxel centres.
double isothermExtent_mm(const AblationResult& r, int axis, int sign, double threshold) {
  const ImageGeometry& g = r.finalTemperature.geometry;
  const std::int64_t c = kSize / 2;
  auto at = [&](std::int64_t step) {
    std::int64_t ijk[3] = {c, c, c};
    ijk[axis] += sign * step;
    return double(r.finalTemperature.values[g.linearIndex(ijk[0], ijk[1], ijk[2])]);
  };
  for (std::int64_t s = 1; s <= c; ++s) {
    if (at(s) < threshold) {
      const double t = (at(s - 1) - threshold) / (at(s - 1) - at(s));
      return double(s - 1) + t;
    }
  }
  return double(c);
}

TEST(RfFenics, CoupledRfAblationAgreesWithFenicsx) {
  const TissueProperties& liver = tissueLibrary().at("liver");
  const AblationGrid grid = uniformGrid(liver, {kSize, kSize, kSize}, 1.0);
  const ImageGeometry& g = grid.geometry;
  const AblationDevice device = shortUncooledElectrode();
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 5.0);
  placement.entry_lps = Vec3(0.0, 0.0, -100.0);
  RfSettings settings = rfSettingsFor(device);
  settings.control = PowerControl::ConstantPower;
  settings.power_W = kPower_W;
  settings.resolveConductanceChange = 0.0;  // FEniCSx re-solves every step too
  BioheatParameters p;
  p.duration_s = kDuration_s;
  p.timeStep_s = 5.0;
  p.perfusionShutdown = PerfusionShutdown::None;
  p.waterVaporisation = false;
  const std::vector<Vec3> points_mm = {{2, 0, 0}, {3, 0, 0},  {4, 0, 0}, {5, 0, 0}, {6, 0, 0},
                                       {8, 0, 0}, {10, 0, 0}, {0, 0, 7}, {0, 0, 9}, {0, 0, -9}};
  p.recordedPoints_lps = points_mm;

  RfSource source(grid, device, placement, settings);
  const auto start = std::chrono::steady_clock::now();
  const AblationResult ours = simulateAblation(grid, source, p);
  const double ours_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const double bloodSink = p.bloodDensity_kg_m3 * p.bloodHeatCapacity_J_kgK;
  json problem = {{"half_width_m", 0.0205},
                  {"cells", kSize},
                  {"refinements", 0},
                  {"degree", 1},
                  {"voxel_m", 1e-3},
                  {"electrode_voxels_m", voxelCentres_m(g, source.voxels().active)},
                  {"shaft_voxels_m", voxelCentres_m(g, source.voxels().shaft)},
                  {"shaft_sigma_S_m", settings.insulatorConductivity_S_m},
                  {"arterial_degC", p.arterialTemperature_degC},
                  {"tissue",
                   {{"sigma_S_m", liver.electricalConductivity_S_m},
                    {"sigma_per_K", liver.electricalConductivityCoefficient_per_K},
                    {"k_W_mK", liver.thermalConductivity_W_mK},
                    {"k_per_K", liver.thermalConductivityCoefficient_per_K},
                    {"rho_c_J_m3K", liver.density_kg_m3 * liver.heatCapacity_J_kgK},
                    {"perfusion_W_m3K", liver.perfusion_per_s * bloodSink}}},
                  {"power_W", kPower_W},
                  {"step_s", p.timeStep_s},
                  {"duration_s", kDuration_s},
                  {"isotherm_degC", kIsotherm_degC}};
  if (const char* refinements = std::getenv("FENICS_REFINEMENTS"))
    problem["refinements"] = std::atoi(refinements);
  if (const char* degree = std::getenv("FENICS_DEGREE")) problem["degree"] = std::atoi(degree);
  for (const Vec3& q : points_mm)
    problem["points_m"].push_back({q.x() * 1e-3, q.y() * 1e-3, q.z() * 1e-3});
  const test::TempDir dir("twinplan-fenics-rf");
  std::ofstream(dir / "problem.json") << problem.dump();
  const test::CommandResult fenics =
      test::runCommand("OMP_NUM_THREADS=1 /usr/bin/python3 " TWINPLAN_SOURCE_DIR
                       "/tests/slow/ablation_fenics_rf.py " +
                       (dir / "problem.json").string() + " 2> " + (dir / "fenics.log").string());
  ASSERT_EQ(fenics.status, 0) << "FEniCSx failed; see python3-dolfinx (scripts/setup-deps.sh)";
  const json answer = json::parse(fenics.output);

  // Temperatures at the points over the whole treatment: the largest difference, and the
  // largest at the points 3 mm or more from the electrode's surface (x >= 5 mm; 4 mm beyond the
  // tip and behind the active part), where neither solver's error at the electrode's edges
  // reaches.
  double largest_K = 0.0, largestAway_K = 0.0, peakRise_K = 0.0;
  std::size_t largestPoint = 0, largestStep = 0;
  const auto& theirs = answer["temperature_degC"];
  ASSERT_EQ(theirs.size(), std::size_t(ours.steps));
  for (std::size_t s = 0; s < theirs.size(); ++s)
    for (std::size_t q = 0; q < points_mm.size(); ++q) {
      const double t = theirs[s][q].get<double>(), mine = ours.recorded[q].temperature_degC[s];
      peakRise_K = std::max(peakRise_K, t - p.arterialTemperature_degC);
      const bool away = points_mm[q].x() >= 5.0 || std::abs(points_mm[q].z()) >= 9.0;
      if (away) largestAway_K = std::max(largestAway_K, std::abs(mine - t));
      if (std::abs(mine - t) > largest_K) {
        largest_K = std::abs(mine - t);
        largestPoint = q;
        largestStep = s;
      }
    }
  std::printf("final temperatures (degC), ours / FEniCSx:\n");
  for (std::size_t q = 0; q < points_mm.size(); ++q)
    std::printf("  (%4.0f %4.0f %4.0f) mm: %.2f / %.2f\n", points_mm[q].x(), points_mm[q].y(),
                points_mm[q].z(), ours.recorded[q].temperature_degC.back(),
                theirs.back()[q].get<double>());
  // The 50 degC isotherm of the final temperature across (x) and along (z) the electrode.
  const json& extent = answer["isotherm_m"];
  const double oursX = isothermExtent_mm(ours, 0, 1, kIsotherm_degC),
               oursZp = isothermExtent_mm(ours, 2, 1, kIsotherm_degC),
               oursZm = isothermExtent_mm(ours, 2, -1, kIsotherm_degC);
  const double theirX = 1e3 * extent["x"].get<double>(),
               theirZp = 1e3 * extent["z_plus"].get<double>(),
               theirZm = 1e3 * extent["z_minus"].get<double>();
  std::printf(
      "50 degC isotherm (mm) across +x / along +z / along -z: ours %.2f / %.2f / %.2f, FEniCSx "
      "%.2f / %.2f / %.2f\n",
      oursX, oursZp, oursZm, theirX, theirZp, theirZm);
  const double theirUnit_W = answer["unit_power_W"][0].get<double>();
  std::printf("impedance at the start: ours %.2f ohm, FEniCSx %.2f ohm\n",
              source.log().front().impedance_ohm, 1.0 / theirUnit_W);
  std::printf(
      "largest point difference %.2f K (%.1f %% of the largest rise %.1f K) at point %zu after "
      "%.0f s; ours %.2f s (%d potential solves, %lld CG iterations), FEniCSx %.1f s (%.1f s "
      "solving) with %d dofs\n",
      largest_K, 100.0 * largest_K / peakRise_K, peakRise_K, largestPoint, ours.time_s[largestStep],
      ours_s, source.potentialSolves(), source.potentialIterations(),
      answer["seconds"].get<double>(), answer["solve_seconds"].get<double>(),
      answer["dofs"].get<int>());
  std::printf("largest difference 3 mm or more from the electrode: %.2f K\n", largestAway_K);
  // Measured (2026-12-05): impedance 61.9 vs 53.9 ohm; 3 mm or more from the electrode within
  // 3.1 K (behind the active part, z = -9 mm); isotherm within 0.8 mm. Both solvers discretise
  // the staircase electrode on the same 1 mm cells, ours with 7-point finite volumes, FEniCSx
  // with linear tetrahedra, and differ most at its edges and corners, where the field is
  // singular: up to 9 K two millimetres beyond the tip (where both heat most).
  EXPECT_NEAR(source.log().front().impedance_ohm * theirUnit_W, 1.0, 0.20);
  EXPECT_LT(largestAway_K, 4.0);
  EXPECT_NEAR(oursX, theirX, 1.0);
  EXPECT_NEAR(oursZp, theirZp, 1.0);
  EXPECT_NEAR(oursZm, theirZm, 1.0);
}

}  // namespace
}  // namespace twinplan::ablation
