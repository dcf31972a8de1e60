// The RF electrode source (simulation/ablation/rf_source.h): the potential solver against
// analytic conduction problems, the power it deposits, and the generator's control modes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "ablation_cooled_rf_run.h"
#include "ablation_test_tissue.h"
#include "ablation_withdrawn_devices.h"
#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/rf_source.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {
namespace {

using testing::testLiver;

std::size_t voxelOf(const ImageGeometry& g, std::int64_t i, std::int64_t j, std::int64_t k) {
  return g.linearIndex(i, j, k);
}

// A spherical electrode of radius a inside a grounded spherical shell of radius R, in a uniform
// medium: V(r) = V0 (1/r - 1/R) / (1/a - 1/R), resistance (1/a - 1/R) / (4 pi sigma). The
// voxels whose centres lie within a are the electrode, those at R or beyond the ground.
constexpr double kSphereA_mm = 4.0, kSphereR_mm = 20.0, kSphereSigma_S_m = 0.333;

struct SphericalCapacitor {
  double h_mm;
  ImageGeometry geometry;
  std::vector<float> sigma;
  std::vector<NodeRole> roles;
  PotentialSolution solution;  // at 1 V

  explicit SphericalCapacitor(double spacing_mm) : h_mm(spacing_mm) {
    const std::int64_t n = 2 * std::int64_t(kSphereR_mm / h_mm) + 5;
    geometry = uniformGrid(testLiver(), {n, n, n}, h_mm).geometry;
    sigma.assign(geometry.voxelCount(), float(kSphereSigma_S_m));
    roles.assign(geometry.voxelCount(), NodeRole::Tissue);
    for (std::int64_t k = 0; k < n; ++k)
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t i = 0; i < n; ++i) {
          const double r = geometry.indexToLps(Vec3(double(i), double(j), double(k))).norm();
          const std::size_t v = voxelOf(geometry, i, j, k);
          if (r <= kSphereA_mm) roles[v] = NodeRole::Electrode;
          if (r >= kSphereR_mm) roles[v] = NodeRole::Ground;
        }
    solution = solvePotential(geometry, sigma, roles, 1.0, {}, {1e-8, 5000});
  }
  // The potential at (x, 0, 0) mm; x a multiple of h.
  double potentialOnX(double x_mm) const {
    const std::int64_t centre = geometry.size[0] / 2;
    return solution
        .potential_V[geometry.linearIndex(centre + std::llround(x_mm / h_mm), centre, centre)];
  }
  double resistance_ohm() const { return 1.0 / solution.power_W; }
};

double analyticPotential(double r_mm) {
  return (1.0 / r_mm - 1.0 / kSphereR_mm) / (1.0 / kSphereA_mm - 1.0 / kSphereR_mm);
}
double analyticResistance_ohm() {
  return (1.0 / (kSphereA_mm * 1e-3) - 1.0 / (kSphereR_mm * 1e-3)) /
         (4.0 * std::numbers::pi * kSphereSigma_S_m);  // 47.79 ohm
}

// Solved once for the tests below: 1 mm and 0.5 mm grids.
const SphericalCapacitor& sphere(double h_mm) {
  if (h_mm > 0.75) {
    static const SphericalCapacitor coarse(1.0);
    return coarse;
  }
  static const SphericalCapacitor fine(0.5);
  return fine;
}

TEST(AblationRfPotential, SphericalElectrodeConvergesToTheAnalyticResistanceAndPotential) {
  const SphericalCapacitor& coarse = sphere(1.0);
  const SphericalCapacitor& fine = sphere(0.5);
  EXPECT_LT(fine.solution.relativeResidual, 1e-8);
  // The staircase electrode and ground make the discrete resistance first-order accurate in h:
  // measured +12.8 % at 1 mm and +6.0 % at 0.5 mm (the Dirichlet surfaces lie about h/3 inside
  // the electrode and outside the ground sphere).
  const double errorCoarse = coarse.resistance_ohm() / analyticResistance_ohm() - 1.0;
  const double errorFine = fine.resistance_ohm() / analyticResistance_ohm() - 1.0;
  EXPECT_GT(errorCoarse, 0.0);
  EXPECT_LT(errorCoarse, 0.15);
  EXPECT_LT(errorFine, 0.07);
  EXPECT_NEAR(errorCoarse / errorFine, 2.0, 0.4);
  // Richardson extrapolation of the first-order sequence, 2 R(h/2) - R(h), recovers the analytic
  // resistance within 1.5 %, and the potential between the spheres within 1 % of V0.
  const double extrapolated = 2.0 * fine.resistance_ohm() - coarse.resistance_ohm();
  EXPECT_NEAR(extrapolated / analyticResistance_ohm(), 1.0, 0.015);
  for (double r_mm : {6.0, 8.0, 10.0, 12.0, 15.0}) {
    const double v = 2.0 * fine.potentialOnX(r_mm) - coarse.potentialOnX(r_mm);
    EXPECT_NEAR(v, analyticPotential(r_mm), 0.01) << "r = " << r_mm << " mm";
    // Each grid alone is within 4 % of V0.
    EXPECT_NEAR(fine.potentialOnX(r_mm), analyticPotential(r_mm), 0.04) << "r = " << r_mm;
  }
  // Energy balance: the Joule power of the faces equals current x voltage at the electrode.
  EXPECT_NEAR(fine.solution.power_W / fine.solution.current_A, 1.0, 1e-5);
}

TEST(AblationRfPotential, TheSolveStopsWhereItsTrueResidualMeetsTheTolerance) {
  // The solve's |b| (from the electrode's neighbours only) and its residual recurrence against
  // b - A x computed here from scratch (harmonic-mean faces, double): a dried shell around the
  // spherical electrode (sigma x 1e-2 to 7 mm), warm started from the analytic potential.
  const SphericalCapacitor& c = sphere(1.0);
  const ImageGeometry& g = c.geometry;
  std::vector<float> sigma = c.sigma;
  std::vector<double> warm(g.voxelCount(), 0.0);
  const std::int64_t n = g.size[0];
  for (std::int64_t k = 0; k < n; ++k)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t i = 0; i < n; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        const double r = g.indexToLps(Vec3(double(i), double(j), double(k))).norm();
        if (r < 7.0 && c.roles[v] == NodeRole::Tissue) sigma[v] *= 0.01f;
        if (c.roles[v] == NodeRole::Tissue) warm[v] = analyticPotential(std::max(r, kSphereA_mm));
      }
  const double tolerance = 1e-5;
  const PotentialSolution s = solvePotential(g, sigma, c.roles, 1.0, warm, {tolerance, 5000});
  auto mean = [](double a, double b) { return 2.0 * a * b / (a + b); };
  double bb = 0.0, rr = 0.0;
  for (std::int64_t k = 1; k + 1 < n; ++k)
    for (std::int64_t j = 1; j + 1 < n; ++j)
      for (std::int64_t i = 1; i + 1 < n; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        if (c.roles[v] != NodeRole::Tissue) continue;
        double b = 0.0, flux = 0.0;
        for (const std::size_t q :
             {g.linearIndex(i + 1, j, k), g.linearIndex(i - 1, j, k), g.linearIndex(i, j + 1, k),
              g.linearIndex(i, j - 1, k), g.linearIndex(i, j, k + 1), g.linearIndex(i, j, k - 1)}) {
          const double face = mean(double(sigma[v]), double(sigma[q]));
          flux += face * (s.potential_V[v] - s.potential_V[q]);
          if (c.roles[q] == NodeRole::Electrode) b += face * 1.0;
        }
        bb += b * b;
        rr += flux * flux;  // b - A x, with the Dirichlet values inside A x
      }
  const double trueRelative = std::sqrt(rr / bb);
  std::printf("iterations %d, reported relative residual %.3g, recomputed %.3g\n", s.iterations,
              s.relativeResidual, trueRelative);
  EXPECT_GT(s.iterations, 0);
  EXPECT_LE(s.relativeResidual, tolerance);
  EXPECT_LT(trueRelative, 1.2 * tolerance);
  // The float recurrence follows the true residual to a few per cent at this level.
  EXPECT_NEAR(s.relativeResidual / trueRelative, 1.0, 0.1);
}

TEST(AblationRfPotential, TwoLayersInSeriesGiveTheExactResistance) {
  // A slab: electrode plane at k = 0, ground plane at the last k, tissue of sigma1 then sigma2.
  // The harmonic-mean face conductivity makes the discrete resistance the exact series sum
  // R = (L1 / sigma1 + L2 / sigma2) / A; an arithmetic mean would miss it by ~30 % here.
  const std::int64_t nx = 6, ny = 5, nz = 21, m = 8;
  const double h_mm = 1.0, sigma1 = 0.333, sigma2 = 0.05;
  const ImageGeometry g = uniformGrid(testLiver(), {nx, ny, nz}, h_mm).geometry;
  std::vector<float> sigma(g.voxelCount());
  std::vector<NodeRole> roles(g.voxelCount(), NodeRole::Tissue);
  for (std::int64_t k = 0; k < nz; ++k)
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        sigma[v] = float(k <= m ? sigma1 : sigma2);
        if (k == 0) {
          roles[v] = NodeRole::Electrode;
          sigma[v] = 1e9f;  // metal: its half cell adds nothing
        }
        if (k == nz - 1) roles[v] = NodeRole::Ground;
      }
  const PotentialSolution s = solvePotential(g, sigma, roles, 1.0, {}, {1e-12, 5000});
  // Electrode surface at the face z = h/2, ground at the centre of the last voxel; the layers
  // meet at the face between k = m and m + 1.
  const double h = h_mm * 1e-3, area = double(nx * ny) * h * h;
  const double l1 = double(m) * h, l2 = (double(nz - 1) - 0.5 - double(m)) * h;
  const double analytic_ohm = (l1 / sigma1 + l2 / sigma2) / area;
  EXPECT_NEAR((1.0 / s.power_W) / analytic_ohm, 1.0, 1e-6);
}

TEST(AblationRfPotential, JouleHeatingIntegratesToThePowerAndFallsAsRToTheFourth) {
  const SphericalCapacitor& c = sphere(0.5);
  const std::vector<float> q = jouleHeating(c.geometry, c.sigma, c.roles, c.solution.potential_V);
  const double h = c.h_mm * 1e-3;
  double total = 0.0;
  for (float value : q) total += value;
  EXPECT_NEAR(total * h * h * h / c.solution.power_W, 1.0, 1e-5);
  // The solve computes its SAR from its own face conductances: the same bits.
  EXPECT_EQ(c.solution.heating_W_m3, q);
  // SAR = sigma |grad V|^2 ~ 1/r^4: at 8 mm it is (6/8)^4 = 0.32 of its value at 6 mm.
  const std::int64_t centre = c.geometry.size[0] / 2;
  const auto at = [&](double r_mm) {
    return q[c.geometry.linearIndex(centre + std::llround(r_mm / c.h_mm), centre, centre)];
  };
  EXPECT_NEAR(at(8.0) / at(6.0), std::pow(6.0 / 8.0, 4.0), 0.03);
}

TEST(AblationRfPotential, NoElectrodeMeansNoPower) {
  const SphericalCapacitor& c = sphere(1.0);
  std::vector<NodeRole> roles = c.roles;
  for (NodeRole& role : roles) {
    if (role == NodeRole::Electrode) role = NodeRole::Tissue;
  }
  const PotentialSolution s = solvePotential(c.geometry, c.sigma, roles, 10.0, {}, {});
  EXPECT_EQ(s.power_W, 0.0);
  EXPECT_EQ(s.iterations, 0);
}

// A 3 cm cooled electrode along z through the middle of a 61 mm liver cube.
struct CooledElectrodeInLiver {
  AblationGrid grid = uniformGrid(testLiver(), {61, 61, 61}, 1.0);
  ProbePlacement placement;
  CooledElectrodeInLiver() {
    placement.tip_lps = Vec3(0.0, 0.0, 15.0);
    placement.entry_lps = Vec3(0.0, 0.0, -200.0);
  }
  ThermalState bodyTemperature(double time_s) const {
    ThermalState state;
    state.time_s = time_s;
    state.temperature_degC.assign(grid.geometry.voxelCount(), 37.0f);
    return state;
  }
  // The catalogue's cooled electrode at its 200 W, held on (constant power, no roll-off).
  RfSettings settings = constantPower(rfSettingsFor(findDevice("rf-cooled-3cm")));
  RfSource constantPowerSource() const { return source(settings); }
  RfSource source(const RfSettings& s) const {
    return RfSource(grid, findDevice("rf-cooled-3cm"), placement, s);
  }
  static RfSettings constantPower(RfSettings s) {
    s.control = PowerControl::ConstantPower;
    return s;
  }
};

double integral_W(const AblationGrid& grid, const std::vector<float>& power_W_m3) {
  const double h = grid.voxelSize_m();
  double sum = 0.0;
  for (float p : power_W_m3) sum += p;
  return sum * h * h * h;
}

TEST(AblationRfSource, ConstantPowerDepositsTheSetPower) {
  CooledElectrodeInLiver setup;
  RfSettings settings;
  settings.control = PowerControl::ConstantPower;
  settings.power_W = 60.0;
  RfSource source(setup.grid, findDevice("rf-cooled-3cm"), setup.placement, settings);
  std::vector<float> power;
  source.depositedPower(setup.grid, setup.bodyTemperature(0.0), 1.0, power);
  EXPECT_NEAR(integral_W(setup.grid, power), 60.0, 60.0 * 1e-5);
  EXPECT_DOUBLE_EQ(source.deliveredPower_W(), 60.0);
  ASSERT_EQ(source.log().size(), 1u);
  const RfLogEntry& entry = source.log().front();
  // Impedance = V^2 / P.
  EXPECT_NEAR(entry.voltage_V * entry.voltage_V / entry.power_W, entry.impedance_ohm, 1e-6);
  // A 3 cm x 1.5 mm needle to a ground 3 cm away in 0.333 S/m: tens of ohms. The resistance of
  // a prolate spheroid electrode (length L, radius a) to infinity, ln(L/a) / (2 pi sigma L)
  // (Smythe, Static and Dynamic Electricity), is 47 ohm for L = 30 mm and the voxel line's
  // equivalent radius ~0.5 mm; the grounded box lowers it.
  EXPECT_GT(entry.impedance_ohm, 15.0);
  EXPECT_LT(entry.impedance_ohm, 60.0);
  // The cooled electrode and shaft are held at the coolant temperature (10 degC).
  const auto held = source.heldTemperatures(setup.grid, setup.bodyTemperature(0.0));
  EXPECT_EQ(held.size(), source.voxels().active.size() + source.voxels().shaft.size());
  for (const HeldTemperature& h : held) EXPECT_FLOAT_EQ(h.temperature_degC, 10.0f);
}

TEST(AblationRfSource, ATreatmentGivesTheSameBitsOnOneThreadAndOnAll) {
  // The catalogue's cooled electrode under impedance control for 60 s in a 35 mm cube: the
  // potential's W-cycle, its CG sums (fused with the operator and the update) and the
  // bioheat steps must not depend on the thread count.
  if (parallel::maxThreads() < 2) GTEST_SKIP() << "one thread only: nothing to compare";
  const AblationGrid grid = uniformGrid(testLiver(), {35, 35, 35}, 1.0);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 15.0);
  placement.entry_lps = Vec3(0.0, 0.0, -200.0);
  const AblationDevice& device = findDevice("rf-cooled-3cm");
  BioheatParameters p;
  p.duration_s = 60.0;
  auto treat = [&](std::vector<RfLogEntry>& log) {
    RfSource source(grid, device, placement, rfSettingsFor(device));
    AblationResult result = simulateAblation(grid, source, p);
    log = source.log();
    return result;
  };
  std::vector<RfLogEntry> logOne, logAll;
  AblationResult one;
  {
    const parallel::ThreadLimit limit(1);
    one = treat(logOne);
  }
  const AblationResult all = treat(logAll);
  EXPECT_EQ(one.finalTemperature.values, all.finalTemperature.values);
  EXPECT_EQ(one.damage.values, all.damage.values);
  ASSERT_EQ(logOne.size(), logAll.size());
  for (std::size_t s = 0; s < logOne.size(); ++s)
    EXPECT_EQ(logOne[s].impedance_ohm, logAll[s].impedance_ohm) << s;
  EXPECT_GT(
      *std::max_element(all.maximumTemperature.values.begin(), all.maximumTemperature.values.end()),
      60.0f);  // it heated
}

TEST(AblationRfSource, TheWarmStartedPotentialIsSolvedOnlyWhenTemperatureMoves) {
  CooledElectrodeInLiver setup;
  const RfSettings& settings = setup.settings;
  RfSource source = setup.constantPowerSource();
  std::vector<float> power;
  ThermalState state = setup.bodyTemperature(0.0);
  source.depositedPower(setup.grid, state, 1.0, power);
  state.time_s = 1.0;
  source.depositedPower(setup.grid, state, 1.0, power);
  EXPECT_EQ(source.potentialSolves(), 1);
  // Warm tissue conducts better (+1.5 %/K): at 47 degC everywhere the impedance is 1/1.15.
  for (float& t : state.temperature_degC) t = 47.0f;
  source.depositedPower(setup.grid, state, 1.0, power);
  EXPECT_EQ(source.potentialSolves(), 2);
  EXPECT_NEAR(source.log()[2].impedance_ohm / source.log()[0].impedance_ohm, 1.0 / 1.15, 1e-3);
  EXPECT_NEAR(integral_W(setup.grid, power), settings.power_W, settings.power_W * 1e-5);
}

TEST(AblationRfSource, ResolvesWhenConductivityWhereTheCurrentHeatsMovesOnePercent) {
  // resolveConductanceChange (1 %): the SAR-weighted mean |dsigma / sigma|. Liver's sigma rises
  // 1.5 %/K, so warming all tissue by 0.5 K moves it 0.75 % (no solve) and by 1 K 1.5 % (a
  // solve); a corner 30 mm from the electrode at 90 degC (+80 % there) carries almost no
  // current and does not count.
  CooledElectrodeInLiver setup;
  const RfSettings& settings = setup.settings;
  RfSource source = setup.constantPowerSource();
  std::vector<float> power;
  ThermalState state = setup.bodyTemperature(0.0);
  source.depositedPower(setup.grid, state, 1.0, power);
  ASSERT_EQ(source.potentialSolves(), 1);
  const ImageGeometry& g = setup.grid.geometry;
  for (std::int64_t k = 1; k < 6; ++k)
    for (std::int64_t j = 1; j < 6; ++j)
      for (std::int64_t i = 1; i < 6; ++i) state.temperature_degC[g.linearIndex(i, j, k)] = 90.0f;
  source.depositedPower(setup.grid, state, 1.0, power);
  EXPECT_EQ(source.potentialSolves(), 1);
  state = setup.bodyTemperature(2.0);
  for (float& t : state.temperature_degC) t = 37.5f;
  source.depositedPower(setup.grid, state, 1.0, power);
  EXPECT_EQ(source.potentialSolves(), 1);
  for (float& t : state.temperature_degC) t = 38.0f;
  source.depositedPower(setup.grid, state, 1.0, power);
  EXPECT_EQ(source.potentialSolves(), 2);
  // Between solves the set power is still delivered exactly.
  EXPECT_NEAR(integral_W(setup.grid, power), settings.power_W, settings.power_W * 1e-5);
}

// Tissue heated around the electrode's axis (z from -15 to 15 mm): arterial plus peak_K times a
// Gaussian of the distance to the axis segment (width_mm).
ThermalState heatedAroundElectrode(const AblationGrid& grid, double peak_K, double width_mm) {
  ThermalState state;
  state.time_s = 5.0;
  const ImageGeometry& g = grid.geometry;
  state.temperature_degC.resize(g.voxelCount());
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        const double d2 = (p - Vec3(0.0, 0.0, std::clamp(p.z(), -15.0, 15.0))).squaredNorm();
        state.temperature_degC[g.linearIndex(i, j, k)] =
            float(37.0 + peak_K * std::exp(-0.5 * d2 / (width_mm * width_mm)));
      }
  return state;
}

TEST(AblationRfSource, NestedPotentialMatchesTheFullSolveInPowerAndSar) {
  // RfSettings::nestedPotential: after a full solve at body temperature, tissue around the
  // electrode heats to 105 degC at the electrode (sigma +100 % at 100 degC, collapsing to 1 %
  // at 105): the nested solve on a box 10 mm around the active tip, its faces extended from
  // the full solve, against the full solve of the same state.
  CooledElectrodeInLiver setup;
  RfSettings nested = setup.settings, full = setup.settings;
  nested.nestedMargin_mm = 10.0;
  full.nestedPotential = false;
  const AblationDevice& device = findDevice("rf-cooled-3cm");
  RfSource approximate(setup.grid, device, setup.placement, nested);
  RfSource exact(setup.grid, device, setup.placement, full);
  std::vector<float> powerApproximate, powerExact;
  for (const ThermalState& state :
       {setup.bodyTemperature(0.0), heatedAroundElectrode(setup.grid, 68.0, 3.0)}) {
    approximate.depositedPower(setup.grid, state, 5.0, powerApproximate);
    exact.depositedPower(setup.grid, state, 5.0, powerExact);
  }
  ASSERT_EQ(approximate.potentialSolves(), 2);
  ASSERT_EQ(approximate.nestedPotentialSolves(), 1);
  ASSERT_EQ(exact.nestedPotentialSolves(), 0);
  const double zApproximate = approximate.log().back().impedance_ohm;
  const double zExact = exact.log().back().impedance_ohm;
  // Heating moved the impedance (warmer tissue conducts better) by far more than the error
  // allowed.
  EXPECT_LT(zExact, 0.8 * exact.log().front().impedance_ohm);
  // Power and SAR: the total within 0.5 % (both deliver the set power, so compare the
  // impedance), the SAR of the box's voxels within 1 % of the peak SAR.
  EXPECT_NEAR(zApproximate / zExact, 1.0, 5e-3);
  const ImageGeometry& g = setup.grid.geometry;
  const float peak = *std::max_element(powerExact.begin(), powerExact.end());
  double largestError = 0.0, energyInBoxApproximate = 0.0, energyInBoxExact = 0.0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        if (std::abs(p.x()) > 10.0 || std::abs(p.y()) > 10.0 || std::abs(p.z()) > 25.0) continue;
        const std::size_t v = g.linearIndex(i, j, k);
        largestError =
            std::max(largestError, double(std::abs(powerApproximate[v] - powerExact[v])));
        energyInBoxApproximate += powerApproximate[v];
        energyInBoxExact += powerExact[v];
      }
  std::printf("nested: impedance %.4f / %.4f ohm, largest SAR error %.3g of peak, box power %.5f\n",
              zApproximate, zExact, largestError / peak, energyInBoxApproximate / energyInBoxExact);
  EXPECT_LT(largestError, 0.01 * peak);
  EXPECT_NEAR(energyInBoxApproximate / energyInBoxExact, 1.0, 5e-3);
  const std::vector<float> nestedPower = powerApproximate;
  // Heat reaching beyond the box (8 mm wide: 60 degC 10 mm from the axis) moves sigma where
  // the full solve put 1/8 of its power: the next solve is a full one again.
  approximate.depositedPower(setup.grid, heatedAroundElectrode(setup.grid, 50.0, 8.0), 5.0,
                             powerApproximate);
  EXPECT_EQ(approximate.potentialSolves(), 3);
  EXPECT_EQ(approximate.nestedPotentialSolves(), 1);
  // The nested solve gives the same bits on one thread as on all.
  if (parallel::maxThreads() > 1) {
    const parallel::ThreadLimit limit(1);
    RfSource oneThread(setup.grid, device, setup.placement, nested);
    std::vector<float> powerOneThread;
    for (const ThermalState& state :
         {setup.bodyTemperature(0.0), heatedAroundElectrode(setup.grid, 68.0, 3.0)})
      oneThread.depositedPower(setup.grid, state, 5.0, powerOneThread);
    EXPECT_EQ(oneThread.nestedPotentialSolves(), 1);
    EXPECT_EQ(oneThread.log().back().impedance_ohm, zApproximate);
    EXPECT_EQ(powerOneThread, nestedPower);
  }
}

// Two sources through six states that take every branch of the exterior's bound (a bounded, b
// not): the expected solves and decisions left open, the same impedance and power bits.
void expectTheSameDecisionsAndBits(const CooledElectrodeInLiver& setup, RfSource& a, RfSource& b) {
  const ImageGeometry& g = setup.grid.geometry;
  auto warmed = [&](ThermalState state, float by_K) {
    for (float& t : state.temperature_degC) t += by_K;
    return state;
  };
  // A corner 25 mm from the box boiling: sigma's law is not linear there, so no bound holds,
  // but it carries almost no current.
  auto boilingCorner = [&](ThermalState state) {
    state.temperature_degC[g.linearIndex(3, 3, 3)] = 101.0f;
    return state;
  };
  const ThermalState heated = heatedAroundElectrode(setup.grid, 68.0, 3.0);
  const ThermalState hotter = heatedAroundElectrode(setup.grid, 69.0, 3.0);
  struct Step {
    ThermalState state;
    int solves, nested, leftOpen;
  };
  const Step steps[] = {
      {setup.bodyTemperature(0.0), 1, 0, 0},  // the first solve: a full one
      {heated, 2, 1, 0},                      // the box moved, the outside hardly: nested
      {warmed(heated, 0.05f), 2, 1, 0},       // +0.05 K everywhere: the bound says no solve
      {boilingCorner(hotter), 3, 2, 1},       // no bound for the nested check; it allows one
      {boilingCorner(hotter), 3, 2, 2},       // no bound for the re-solve check; it says no
      {heatedAroundElectrode(setup.grid, 50.0, 8.0), 4, 2, 3}};  // beyond the box: full
  std::vector<float> powerA, powerB;
  int index = 0;
  for (const Step& step : steps) {
    a.depositedPower(setup.grid, step.state, 5.0, powerA);
    b.depositedPower(setup.grid, step.state, 5.0, powerB);
    EXPECT_EQ(a.potentialSolves(), step.solves) << index;
    EXPECT_EQ(a.nestedPotentialSolves(), step.nested) << index;
    EXPECT_EQ(a.exteriorBoundsLeftOpen(), step.leftOpen) << index;
    EXPECT_EQ(b.potentialSolves(), step.solves) << index;
    EXPECT_EQ(b.nestedPotentialSolves(), step.nested) << index;
    EXPECT_EQ(b.exteriorBoundsLeftOpen(), 0) << index;
    EXPECT_EQ(a.log().back().impedance_ohm, b.log().back().impedance_ohm) << index;
    EXPECT_TRUE(powerA == powerB) << index;
    ++index;
  }
}

TEST(AblationRfSource, TheExteriorsBoundTakesTheDecisionsOfEveryVoxelsSigma) {
  // RfSettings::boundedExteriorConductivity: between full solves sigma outside the nested box is
  // not computed, and the decisions (solve again? nested?) come from the box's sums and a bound
  // of the outside's share; where the bound cannot decide, sigma outside is computed and the
  // sums taken as before. Through states that take every branch, the bounded source and one
  // computing every voxel's sigma every step take the same decisions and give the same bits,
  // with full solves on the composite grid and on the 1 mm grid.
  CooledElectrodeInLiver setup;
  for (const bool composite : {true, false}) {
    SCOPED_TRACE(composite ? "composite full solves" : "1 mm full solves");
    RfSettings bounded = setup.settings;
    bounded.nestedMargin_mm = 10.0;
    bounded.compositePotential = composite;
    RfSettings everyVoxel = bounded;
    everyVoxel.boundedExteriorConductivity = false;
    RfSource a = setup.source(bounded), b = setup.source(everyVoxel);
    expectTheSameDecisionsAndBits(setup, a, b);
  }
}

// The largest |a - b| over the voxels, as a fraction of b's peak.
double largestDifferenceOfPeak(const std::vector<float>& a, const std::vector<float>& b) {
  const float peak = *std::max_element(b.begin(), b.end());
  double largest = 0.0;
  for (std::size_t v = 0; v < b.size(); ++v)
    largest = std::max(largest, double(std::abs(a[v] - b[v])));
  return largest / peak;
}

// Two sources through the pair checks' three states (body temperature; heated to 105 degC at
// the electrode, a 3 mm Gaussian; heated 8 mm wide): check(state, impedance and power of a,
// impedance and power of b) after each.
template <class Check>
void throughThreeStates(const CooledElectrodeInLiver& setup, RfSource& a, RfSource& b,
                        Check&& check) {
  std::vector<float> powerA, powerB;
  int index = 0;
  for (const ThermalState& state :
       {setup.bodyTemperature(0.0), heatedAroundElectrode(setup.grid, 68.0, 3.0),
        heatedAroundElectrode(setup.grid, 50.0, 8.0)}) {
    a.depositedPower(setup.grid, state, 5.0, powerA);
    b.depositedPower(setup.grid, state, 5.0, powerB);
    check(index++, a.log().back().impedance_ohm, powerA, b.log().back().impedance_ohm, powerB);
  }
}

TEST(AblationRfSource, TheCompositeGridGivesTheFullSolvesImpedanceAndSar) {
  // RfSettings::compositePotential: full solves on the nested box (20 mm around the active tip)
  // at 1 mm inside 2 mm cells, against the whole 1 mm grid, at body temperature and with the
  // tissue heated near the electrode and beyond the box. Every solve is a full one here
  // (interval 0), so each state's solve is the composite grid's.
  CooledElectrodeInLiver setup;
  RfSettings composite = setup.settings, full = setup.settings;
  composite.nestedFullSolveInterval = 0;
  full.nestedPotential = false;
  RfSource approximate = setup.source(composite), exact = setup.source(full);
  throughThreeStates(
      setup, approximate, exact,
      [&](int state, double zApproximate, const std::vector<float>& powerApproximate, double zExact,
          const std::vector<float>& powerExact) {
        const double sarError = largestDifferenceOfPeak(powerApproximate, powerExact);
        std::printf(
            "composite, state %d: impedance %.6f / %.6f ohm (%+.2e), largest SAR error %.3g "
            "of peak\n",
            state, zApproximate, zExact, zApproximate / zExact - 1.0, sarError);
        // Measured: -0.8 to -1.2e-4 and 0.7 to 0.9e-4 of the peak SAR.
        EXPECT_NEAR(zApproximate / zExact, 1.0, 3e-4);
        EXPECT_LT(sarError, 3e-4);
        // Both deposit the set power.
        EXPECT_NEAR(integral_W(setup.grid, powerApproximate), 200.0, 200.0 * 1e-5);
      });
  EXPECT_EQ(approximate.potentialSolves(), 3);
  EXPECT_EQ(approximate.nestedPotentialSolves(), 0);
}

TEST(AblationRfSource, TheCompositeGridHoldsInTissueThatChangesOutsideTheBox) {
  // The cells' sigma is their voxels' mean: outside the box (the active tip grown by 20 mm,
  // |x|, |y| <= 21 mm here) fat from x = 24 mm on (sigma about a tenth of liver's) and blood
  // below y = -25 mm (about twice), on an 80 mm cube, every interface off the cells' pairing.
  AblationGrid grid = uniformGrid(testLiver(), {80, 80, 80}, 1.0);
  grid.tissues.push_back(tissueLibrary().at("fat"));
  grid.tissues.push_back(tissueLibrary().at("blood"));
  const ImageGeometry& g = grid.geometry;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        TissueIndex& t = grid.tissue[g.linearIndex(i, j, k)];
        if (p.x() > 24.0)
          t = 1;
        else if (p.y() < -25.0)
          t = 2;
      }
  const CooledElectrodeInLiver setup;
  RfSettings composite = setup.settings, full = setup.settings;
  full.nestedPotential = false;
  RfSource approximate(grid, findDevice("rf-cooled-3cm"), setup.placement, composite);
  RfSource exact(grid, findDevice("rf-cooled-3cm"), setup.placement, full);
  ThermalState state;
  state.temperature_degC.assign(g.voxelCount(), 37.0f);
  std::vector<float> powerApproximate, powerExact;
  approximate.depositedPower(grid, state, 5.0, powerApproximate);
  exact.depositedPower(grid, state, 5.0, powerExact);
  const double z = approximate.log().back().impedance_ohm;
  const double zExact = exact.log().back().impedance_ohm;
  const double sarError = largestDifferenceOfPeak(powerApproximate, powerExact);
  std::printf(
      "composite, fat and blood outside the box: impedance %.6f / %.6f ohm (%+.2e), "
      "largest SAR error %.3g of peak\n",
      z, zExact, z / zExact - 1.0, sarError);
  EXPECT_NEAR(z / zExact, 1.0, 1e-3);
  EXPECT_LT(sarError, 1e-3);
}

TEST(AblationRfSource, ACompositeBoxOverTheWholeGridIsTheFullSolve) {
  // A margin that takes the box to the ground layer leaves no 2 mm cells but the ground's
  // (one voxel thick): the composite grid is the 1 mm grid, and its solve the full one to
  // within the solver's tolerance. On an odd grid (61) and an even one (48, the electrode
  // off-centre), so every end of the axes' cells is met.
  for (std::int64_t n : {61, 48}) {
    const AblationGrid grid = uniformGrid(testLiver(), {n, n, n}, 1.0);
    ProbePlacement placement;
    placement.tip_lps = Vec3(3.0, -2.0, 12.0);
    placement.entry_lps = Vec3(3.0, -2.0, -200.0);
    RfSettings composite =
        CooledElectrodeInLiver::constantPower(rfSettingsFor(findDevice("rf-cooled-3cm")));
    composite.nestedMargin_mm = 200.0;
    RfSettings full = composite;
    full.nestedPotential = false;
    RfSource approximate(grid, findDevice("rf-cooled-3cm"), placement, composite);
    RfSource exact(grid, findDevice("rf-cooled-3cm"), placement, full);
    ThermalState state;
    state.temperature_degC.assign(grid.geometry.voxelCount(), 37.0f);
    std::vector<float> powerApproximate, powerExact;
    approximate.depositedPower(grid, state, 5.0, powerApproximate);
    exact.depositedPower(grid, state, 5.0, powerExact);
    const double z = approximate.log().back().impedance_ohm;
    const double zExact = exact.log().back().impedance_ohm;
    std::printf("composite box over the grid (%lld^3): impedance %.7f / %.7f ohm\n",
                static_cast<long long>(n), z, zExact);
    EXPECT_NEAR(z / zExact, 1.0, 1e-5);
    EXPECT_LT(largestDifferenceOfPeak(powerApproximate, powerExact), 1e-4);
  }
}

TEST(AblationRfSource, AFullSolveWarmStartedByTheBoxSolveIsTheColdStartedOne) {
  // RfSettings::nestedWarmStart: with no nested steps allowed (interval 0) every solve is a
  // full one, and each after the first starts from a box solve of the new state. It converges
  // to the same tolerance, so power and SAR are those of the full solve started from the last
  // potential (nestedWarmStart off) to within the solver's tolerance.
  CooledElectrodeInLiver setup;
  RfSettings warm = setup.settings;
  warm.nestedFullSolveInterval = 0;
  warm.compositePotential = false;  // the box-started full solves are the 1 mm grid's
  RfSettings cold = warm;
  cold.nestedWarmStart = false;
  RfSource boxStarted = setup.source(warm), lastStarted = setup.source(cold);
  throughThreeStates(
      setup, boxStarted, lastStarted,
      [](int, double zWarm, const std::vector<float>& powerWarm, double zCold,
         const std::vector<float>& powerCold) {
        const double largestError = largestDifferenceOfPeak(powerWarm, powerCold);  // of the peak
        std::printf("warm start: impedance %.6f / %.6f ohm, largest SAR difference %.3g of peak\n",
                    zWarm, zCold, largestError);
        EXPECT_NEAR(zWarm / zCold, 1.0, 1e-5);
        EXPECT_LT(largestError, 1e-3);
      });
  EXPECT_EQ(boxStarted.potentialSolves(), 3);
  EXPECT_EQ(boxStarted.nestedPotentialSolves(), 0);
  EXPECT_EQ(boxStarted.nestedWarmStarts(), 2);
  EXPECT_EQ(lastStarted.nestedWarmStarts(), 0);
}

// b's zone against a's (a real zone): the volume within `fraction`, each axis within 0.1 mm.
void expectTheSameZone(const AblationResult& b, const AblationResult& a, double fraction) {
  ASSERT_GT(a.zoneVolume_ml, 5.0);
  EXPECT_NEAR(b.zoneVolume_ml, a.zoneVolume_ml, fraction * a.zoneVolume_ml);
  EXPECT_NEAR(b.zoneAxes.long_mm, a.zoneAxes.long_mm, 0.1);
  EXPECT_NEAR(b.zoneAxes.short_mm[0], a.zoneAxes.short_mm[0], 0.1);
  EXPECT_NEAR(b.zoneAxes.short_mm[1], a.zoneAxes.short_mm[1], 0.1);
}

TEST(AblationRfSource, TheBoxStartedFullSolvesGiveTheColdStartedZone) {
  // Two minutes of the benchmark's treatment (61^3, three roll-offs) with full solves started
  // from a box solve (the default) and from the last potential: the zone, the roll-offs and the
  // temperatures are the same to within the solver's tolerance, far inside the bars of the
  // approximations (1 % volume, 0.5 mm per axis).
  // (Full solves on the 1 mm grid: with the composite grid they are not box-started.)
  const testing::CooledRfRun boxStarted = testing::runCooledRf(
      [](BioheatParameters&, RfSettings& settings) { settings.compositePotential = false; });
  const testing::CooledRfRun lastStarted =
      testing::runCooledRf([](BioheatParameters&, RfSettings& settings) {
        settings.compositePotential = false;
        settings.nestedWarmStart = false;
      });
  const AblationResult& a = lastStarted.result;
  const AblationResult& b = boxStarted.result;
  std::printf(
      "box-started full solves: zone %.4f / %.4f ml, axes %.2f x %.2f x %.2f / %.2f x "
      "%.2f x %.2f mm, energy %.2f / %.2f J, roll-offs %d / %d, potential iterations "
      "%lld / %lld, warm starts %d\n",
      b.zoneVolume_ml, a.zoneVolume_ml, b.zoneAxes.long_mm, b.zoneAxes.short_mm[0],
      b.zoneAxes.short_mm[1], a.zoneAxes.long_mm, a.zoneAxes.short_mm[0], a.zoneAxes.short_mm[1],
      b.deliveredEnergy_J, a.deliveredEnergy_J, boxStarted.rollOffs, lastStarted.rollOffs,
      boxStarted.potentialIterations, lastStarted.potentialIterations, boxStarted.nestedWarmStarts);
  EXPECT_GT(boxStarted.nestedWarmStarts, 0);
  EXPECT_EQ(lastStarted.nestedWarmStarts, 0);
  expectTheSameZone(b, a, 1e-3);
  EXPECT_EQ(boxStarted.rollOffs, lastStarted.rollOffs);
  EXPECT_NEAR(b.deliveredEnergy_J, a.deliveredEnergy_J, 1e-3 * a.deliveredEnergy_J);
  EXPECT_NEAR(testing::largest(b.maximumTemperature), testing::largest(a.maximumTemperature), 0.1);
  for (std::size_t point = 0; point < 2; ++point)
    EXPECT_NEAR(b.recorded[point].temperature_degC.back(),
                a.recorded[point].temperature_degC.back(), 0.05);
}

TEST(AblationRfSource, TheCompositeGridGivesTheZoneOfTheFullSolves) {
  // Two minutes of the benchmark's treatment (61^3, three roll-offs) with the full solves on the
  // composite grid (the default) and on the 1 mm grid: the same roll-offs at the same times,
  // the zone within 0.5 % and 0.1 mm per axis, energy within 0.1 %.
  const testing::CooledRfRun composite =
      testing::runCooledRf([](BioheatParameters&, RfSettings&) {});
  const testing::CooledRfRun fine = testing::runCooledRf(
      [](BioheatParameters&, RfSettings& settings) { settings.compositePotential = false; });
  const AblationResult& a = fine.result;
  const AblationResult& b = composite.result;
  std::printf(
      "composite full solves: zone %.4f / %.4f ml, axes %.2f x %.2f x %.2f / %.2f x %.2f x "
      "%.2f mm, energy %.2f / %.2f J, roll-offs %d / %d, potential iterations %lld / %lld\n",
      b.zoneVolume_ml, a.zoneVolume_ml, b.zoneAxes.long_mm, b.zoneAxes.short_mm[0],
      b.zoneAxes.short_mm[1], a.zoneAxes.long_mm, a.zoneAxes.short_mm[0], a.zoneAxes.short_mm[1],
      b.deliveredEnergy_J, a.deliveredEnergy_J, composite.rollOffs, fine.rollOffs,
      composite.potentialIterations, fine.potentialIterations);
  expectTheSameZone(b, a, 5e-3);
  EXPECT_EQ(composite.rollOffs, fine.rollOffs);
  // The roll-offs' times: the starts of the steps whose power went off after a step with power.
  auto rollOffTimes = [](const AblationResult& r) {
    std::vector<double> times;
    for (std::size_t step = 1; step < r.deliveredPower_W.size(); ++step)
      if (r.deliveredPower_W[step] == 0.0 && r.deliveredPower_W[step - 1] > 0.0)
        times.push_back(r.time_s[step - 1]);
    return times;
  };
  EXPECT_EQ(rollOffTimes(b), rollOffTimes(a));
  EXPECT_NEAR(b.deliveredEnergy_J, a.deliveredEnergy_J, 1e-3 * a.deliveredEnergy_J);
}

TEST(AblationRfSource, NoVoxelTakesMoreInAStepThanDriesIt) {
  // With the solver's latent heat in the state, a voxel's power over a step is capped at
  // (rho c (105 - T) + latent heat left) / dt; dry tissue above 105 degC gets none. The source
  // reports the power it really deposited.
  CooledElectrodeInLiver setup;
  const RfSettings& settings = setup.settings;
  RfSource source = setup.constantPowerSource();
  const TissueProperties liver = testLiver();
  const double rhoC = liver.density_kg_m3 * liver.heatCapacity_J_kgK;
  const double latent_J_m3 = liver.density_kg_m3 * liver.waterContent_kg_kg * 2.257e6;
  ThermalState state = setup.bodyTemperature(0.0);
  state.latentHeatLeft_J_m3.assign(state.temperature_degC.size(), float(latent_J_m3));
  std::vector<float> power;
  const double step_s = 5.0;
  source.depositedPower(setup.grid, state, step_s, power);
  const double cap_W_m3 = (rhoC * (105.0 - 37.0) + latent_J_m3) / step_s;  // 4.2e8 W/m3
  const float hottest = *std::max_element(power.begin(), power.end());
  EXPECT_LE(hottest, float(cap_W_m3) * 1.000001f);
  EXPECT_GE(hottest, float(cap_W_m3) * 0.999999f);  // 200 W does reach it at the edges
  EXPECT_LT(source.deliveredPower_W(), settings.power_W);
  EXPECT_NEAR(integral_W(setup.grid, power), source.deliveredPower_W(), 1e-3);
  // The voxels that were capped, now dry and at 110 degC, take no power at all.
  std::vector<std::size_t> capped;
  for (std::size_t v = 0; v < power.size(); ++v)
    if (power[v] >= float(cap_W_m3) * 0.999999f) capped.push_back(v);
  ASSERT_FALSE(capped.empty());
  for (std::size_t v : capped) {
    state.temperature_degC[v] = 110.0f;
    state.latentHeatLeft_J_m3[v] = 0.0f;
  }
  source.depositedPower(setup.grid, state, step_s, power);
  for (std::size_t v : capped) EXPECT_EQ(power[v], 0.0f);
}

TEST(AblationRfSource, ElectrodesOnOneGeneratorShareOnePotentialAndShieldEachOther) {
  // Two cooled electrodes 10 mm apart on one generator: one potential problem with both at V.
  // Each draws less current than alone (its neighbour raises the potential around it), so the
  // pair's conductance lies between one and two single electrodes'; for long parallel lines
  // with a coaxial ground at R, G_pair / G_single = 2 ln(R/a) / (ln(R/a) + ln(R/d)) (superposed
  // line sources), 1.63 for a = 0.43 mm (the voxel line's equivalent radius), d = 10 mm and
  // R = 25 mm; the finite 3 cm tips and the box ground make it a bound, not a value.
  CooledElectrodeInLiver setup;
  const AblationDevice& device = findDevice("rf-cooled-3cm");
  std::vector<ProbePlacement> pair(2, setup.placement);
  pair[0].tip_lps.x() = pair[0].entry_lps.x() = -5.0;
  pair[1].tip_lps.x() = pair[1].entry_lps.x() = 5.0;
  RfSource both(setup.grid, device, pair, setup.settings);
  RfSource one(setup.grid, device, pair[0], setup.settings);
  std::vector<float> power, single;
  both.depositedPower(setup.grid, setup.bodyTemperature(0.0), 1.0, power);
  one.depositedPower(setup.grid, setup.bodyTemperature(0.0), 1.0, single);
  EXPECT_EQ(both.voxels().active.size(), 2 * one.voxels().active.size());
  const double ratio = one.log()[0].impedance_ohm / both.log()[0].impedance_ohm;
  EXPECT_GT(ratio, 1.2);
  EXPECT_LT(ratio, 1.8);
  std::printf("conductance of the pair / one electrode: %.3f\n", ratio);
  // All 200 W deposited, half on each side of the mid-plane (symmetry).
  EXPECT_NEAR(integral_W(setup.grid, power), 200.0, 200.0 * 1e-5);
  const ImageGeometry& g = setup.grid.geometry;
  double left = 0.0, right = 0.0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const double x = g.indexToLps(Vec3(double(i), 0.0, 0.0)).x();
        (x < 0.0 ? left : right) += x == 0.0 ? 0.0 : power[g.linearIndex(i, j, k)];
      }
  EXPECT_NEAR(left / right, 1.0, 1e-3);
  EXPECT_THROW(RfSource(setup.grid, device, std::vector<ProbePlacement>{}, setup.settings), Error);
}

TEST(AblationRfSource, ConductivityCollapsesAboveOneHundredDegrees) {
  const TissueProperties liver = testLiver();
  const RfSettings settings;
  EXPECT_DOUBLE_EQ(rfConductivity(liver, 37.0, settings), 0.333);
  EXPECT_NEAR(rfConductivity(liver, 100.0, settings), 0.333 * (1.0 + 0.015 * 63.0), 1e-12);
  EXPECT_NEAR(rfConductivity(liver, 105.0, settings) / rfConductivity(liver, 100.0, settings), 1e-2,
              1e-12);
  EXPECT_NEAR(rfConductivity(liver, 102.5, settings) / rfConductivity(liver, 100.0, settings),
              0.5 * (1.0 + 1e-2), 1e-12);
  EXPECT_NEAR(rfConductivity(liver, 130.0, settings) / rfConductivity(liver, 100.0, settings), 1e-2,
              1e-12);
}

TEST(AblationRfSource, ConductivityFollowsTheWaterLeftWhenAsked) {
  const TissueProperties liver = testLiver();
  RfSettings settings;
  settings.conductivityFollowsWater = true;
  // Wet tissue: the temperature law alone.
  EXPECT_NEAR(rfConductivity(liver, 60.0, 1.0, settings), rfConductivity(liver, 60.0, settings),
              1e-12);
  // Half the water gone, cooled to 60 degC: sigma(60) (1 + (1e-2 - 1) 0.5) = 0.505 sigma(60).
  EXPECT_NEAR(rfConductivity(liver, 60.0, 0.5, settings),
              0.333 * (1.0 + 0.015 * 23.0) * (1.0 - 0.99 * 0.5), 1e-12);
  // All of it gone: 1e-2 of the wet value at any temperature below boiling, and above 105 degC
  // the collapse's 1e-2 of sigma(100) (not 1e-4: the lower of the two factors applies).
  EXPECT_NEAR(rfConductivity(liver, 40.0, 0.0, settings),
              1e-2 * rfConductivity(liver, 40.0, settings), 1e-12);
  EXPECT_NEAR(rfConductivity(liver, 110.0, 0.0, settings),
              1e-2 * rfConductivity(liver, 100.0, settings), 1e-12);
  // Off: the water is ignored.
  settings.conductivityFollowsWater = false;
  EXPECT_NEAR(rfConductivity(liver, 60.0, 0.0, settings), rfConductivity(liver, 60.0, settings),
              1e-12);
}

// A 2 mm shell around the electrode whose water has boiled off, cooled back to 60 degC: with
// the conductivity following the water the shell stays resistive (impedance above the roll-off
// threshold, power off); with the temperature law alone it conducts better than at the start
// (+1.5 %/K), the behaviour the zone-size runs showed after every pause.
TEST(AblationRfSource, DriedTissueStaysResistiveAfterItCoolsWhenConductivityFollowsWater) {
  CooledElectrodeInLiver setup;
  const TissueProperties liver = testLiver();
  const float latent_J_m3 = float(liver.density_kg_m3 * liver.waterContent_kg_kg * 2.257e6);
  for (const bool followsWater : {true, false}) {
    RfSettings settings = rfSettingsFor(findDevice("rf-cooled-3cm"));
    settings.conductivityFollowsWater = followsWater;
    RfSource source(setup.grid, findDevice("rf-cooled-3cm"), setup.placement, settings);
    ThermalState state = setup.bodyTemperature(0.0);
    state.latentHeatLeft_J_m3.assign(state.temperature_degC.size(), latent_J_m3);
    std::vector<float> power;
    source.depositedPower(setup.grid, state, 1.0, power);
    const double baseline_ohm = source.baselineImpedance_ohm();
    const ImageGeometry& g = setup.grid.geometry;
    state.time_s = 1.0;
    for (std::int64_t k = 0; k < 61; ++k)
      for (std::int64_t j = 0; j < 61; ++j)
        for (std::int64_t i = 0; i < 61; ++i) {
          const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
          if (std::hypot(p.x(), p.y()) <= 2.0 && p.z() >= -17.0 && p.z() <= 17.0) {
            state.temperature_degC[g.linearIndex(i, j, k)] = 60.0f;
            state.latentHeatLeft_J_m3[g.linearIndex(i, j, k)] = 0.0f;
          }
        }
    source.depositedPower(setup.grid, state, 1.0, power);
    const RfLogEntry& after = source.log().back();
    if (followsWater) {
      EXPECT_GT(after.impedance_ohm, baseline_ohm + settings.rollOffImpedanceRise_ohm);
      EXPECT_EQ(after.power_W, 0.0);
      EXPECT_EQ(source.rollOffCount(), 1);
    } else {
      EXPECT_LT(after.impedance_ohm, baseline_ohm);
      EXPECT_EQ(after.power_W, 200.0);
      EXPECT_EQ(source.rollOffCount(), 0);
    }
  }
}

TEST(AblationRfSource, ImpedanceRiseSwitchesPowerOffForFifteenSeconds) {
  CooledElectrodeInLiver setup;
  RfSource source(setup.grid, findDevice("rf-cooled-3cm"), setup.placement,
                  rfSettingsFor(findDevice("rf-cooled-3cm")));
  std::vector<float> power;
  source.depositedPower(setup.grid, setup.bodyTemperature(0.0), 1.0, power);
  const double baseline_ohm = source.baselineImpedance_ohm();
  EXPECT_DOUBLE_EQ(source.deliveredPower_W(), 200.0);
  // Desiccated tissue around the electrode: a 2 mm shell at 105 degC (sigma x 1e-2).
  ThermalState vaporised = setup.bodyTemperature(100.0);
  const ImageGeometry& g = setup.grid.geometry;
  for (std::int64_t k = 0; k < 61; ++k)
    for (std::int64_t j = 0; j < 61; ++j)
      for (std::int64_t i = 0; i < 61; ++i) {
        const Vec3 p = g.indexToLps(Vec3(double(i), double(j), double(k)));
        if (std::hypot(p.x(), p.y()) <= 2.0 && p.z() >= -17.0 && p.z() <= 17.0) {
          vaporised.temperature_degC[g.linearIndex(i, j, k)] = 105.0f;
        }
      }
  source.depositedPower(setup.grid, vaporised, 1.0, power);
  const RfLogEntry& rollOff = source.log().back();
  EXPECT_GT(rollOff.impedance_ohm, baseline_ohm + 30.0);
  EXPECT_EQ(rollOff.power_W, 0.0);
  EXPECT_EQ(source.rollOffCount(), 1);
  EXPECT_EQ(integral_W(setup.grid, power), 0.0);
  // Still off 14 s later, even though the tissue has rehydrated ...
  source.depositedPower(setup.grid, setup.bodyTemperature(114.0), 1.0, power);
  EXPECT_EQ(source.deliveredPower_W(), 0.0);
  // ... and on again at 15 s, at the set power, the impedance back at its baseline.
  source.depositedPower(setup.grid, setup.bodyTemperature(115.0), 1.0, power);
  EXPECT_DOUBLE_EQ(source.deliveredPower_W(), 200.0);
  EXPECT_NEAR(source.log().back().impedance_ohm, baseline_ohm, 1e-3 * baseline_ohm);
  EXPECT_NEAR(integral_W(setup.grid, power), 200.0, 200.0 * 1e-5);
  EXPECT_EQ(source.rollOffCount(), 1);
}

TEST(AblationRfSource, TemperatureControlIsAPiControllerCappedAtTheGeneratorsPower) {
  const AblationGrid grid = uniformGrid(testLiver(), {61, 61, 61}, 1.0);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 0.0);
  placement.entry_lps = Vec3(0.0, 0.0, -100.0);
  // The 4 cm multi-tine array withdrawn from the catalogue (branch ablwithdraw): its RITA
  // protocol is the one temperature-controlled generator setting with a source (95 degC, 150 W).
  const AblationDevice& device = testing::withdrawnFourCentimetreArray();
  RfSource source(grid, device, placement, rfSettingsFor(device));
  ThermalState state;
  state.temperature_degC.assign(grid.geometry.voxelCount(), 37.0f);
  std::vector<float> power;
  // 58 K below the 95 degC target, 1 s step: 1.5 W/K x 58 K + 0.3 W/(K s) x 58 K x 1 s.
  source.depositedPower(grid, state, 1.0, power);
  EXPECT_NEAR(source.deliveredPower_W(), 104.4, 1e-9);
  EXPECT_NEAR(integral_W(grid, power), 104.4, 104.4 * 1e-5);
  EXPECT_FLOAT_EQ(float(source.log().back().controlledTemperature_degC), 37.0f);
  // The tissue at a tine reaches 100 degC: 1.5 x (-5) + the integral so far (17.4 W)
  // + 0.3 x (-5) x 1 = 8.4 W.
  state.time_s = 1.0;
  const std::size_t nextToTine = source.voxels().active.front() + 1;
  ASSERT_EQ(source.roles()[nextToTine], NodeRole::Tissue);
  state.temperature_degC[nextToTine] = 100.0f;
  source.depositedPower(grid, state, 1.0, power);
  EXPECT_FLOAT_EQ(float(source.log().back().controlledTemperature_degC), 100.0f);
  EXPECT_NEAR(source.deliveredPower_W(), 8.4, 1e-9);
  // Far above the target the output saturates at 0 W.
  state.time_s = 2.0;
  state.temperature_degC[nextToTine] = 150.0f;
  source.depositedPower(grid, state, 1.0, power);
  EXPECT_EQ(source.deliveredPower_W(), 0.0);
  // Excised tissue at room temperature: the controller reads 20 degC, not body temperature,
  // and asks for 1.5 x 75 + 0.3 x 75 x 1 = 135 W (a fresh controller).
  RfSource exVivo(grid, device, placement, rfSettingsFor(device));
  ThermalState room;
  room.temperature_degC.assign(grid.geometry.voxelCount(), 20.0f);
  exVivo.depositedPower(grid, room, 1.0, power);
  EXPECT_FLOAT_EQ(float(exVivo.log().back().controlledTemperature_degC), 20.0f);
  EXPECT_NEAR(exVivo.deliveredPower_W(), 135.0, 1e-9);
  // A high target never asks for more than the generator's 150 W.
  RfSettings hot = rfSettingsFor(device);
  hot.targetTemperature_degC = 200.0;  // out of the catalogue's range, for the ceiling only
  RfSource ceiling(grid, device, placement, hot);
  state.temperature_degC.assign(grid.geometry.voxelCount(), 37.0f);
  ceiling.depositedPower(grid, state, 1.0, power);
  EXPECT_DOUBLE_EQ(ceiling.deliveredPower_W(), 150.0);
  // An uncooled electrode holds no temperature.
  EXPECT_TRUE(source.heldTemperatures(grid, state).empty());
}

TEST(AblationRfSource, BadPlacementsAndSettingsAreClearErrors) {
  const AblationGrid grid = uniformGrid(testLiver(), {21, 21, 21}, 1.0);
  ProbePlacement placement;
  placement.tip_lps = Vec3(0.0, 0.0, 0.0);
  placement.entry_lps = Vec3(0.0, 0.0, -100.0);
  // A 3 cm tip does not fit a 2 cm box: it would touch the ground.
  EXPECT_THROW(RfSource(grid, findDevice("rf-cooled-3cm"), placement,
                        rfSettingsFor(findDevice("rf-cooled-3cm"))),
               Error);
  RfSettings zero;
  zero.power_W = 0.0;
  EXPECT_THROW(RfSource(grid, findDevice("rf-cooled-3cm"), placement, zero), Error);
  EXPECT_THROW(RfSource(grid, findDevice("mw-915mhz-45w"), placement, RfSettings{}), Error);
  const AblationDevice& needle = findDevice("rf-cooled-3cm");
  RfSettings negativeMargin = rfSettingsFor(needle);
  negativeMargin.nestedMargin_mm = -1.0;
  const AblationGrid large = uniformGrid(testLiver(), {45, 45, 45}, 1.0);
  placement.tip_lps = Vec3(0.0, 0.0, 15.0);
  EXPECT_NO_THROW(RfSource(large, needle, placement, rfSettingsFor(needle)));
  EXPECT_THROW(RfSource(large, needle, placement, negativeMargin), Error);
}

}  // namespace
}  // namespace twinplan::ablation
