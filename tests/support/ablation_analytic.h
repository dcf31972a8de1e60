#pragma once
// Analytic solutions of Pennes' bioheat equation for the ablation solver's tests
// (tests/unit/ablation_bioheat_test.cpp, tests/slow/ablation_convergence_slow_test.cpp).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "twinplan/ablation/bioheat.h"
#include "twinplan/ablation/fixed_power_source.h"

namespace twinplan::test {

// Steady Pennes around a sphere of radius a heated uniformly by Q (W/m3) in an infinite
// perfused medium: k (1/r^2)(r^2 T')' - w rho_b c_b T + Q = 0 with m^2 = w rho_b c_b / k.
//   inside:  T = Q/(k m^2) [1 - (1 + m a) e^{-m a} sinh(m r)/(m r)]
//   outside: T = Q/(k m^2) [m a cosh(m a) - sinh(m a)] e^{-m r}/(m r)
// (continuous value and flux at r = a; the modified Helmholtz solutions sinh(mr)/r, e^{-mr}/r).
inline double sphereRise_K(double r_m, double a_m, double q_W_m3, double k, double m) {
  const double scale = q_W_m3 / (k * m * m), ma = m * a_m, mr = m * r_m;
  if (r_m < a_m) {
    const double shape = mr < 1e-8 ? 1.0 : std::sinh(mr) / mr;
    return scale * (1.0 - (1.0 + ma) * std::exp(-ma) * shape);
  }
  return scale * (ma * std::cosh(ma) - std::sinh(ma)) * std::exp(-mr) / mr;
}

// Temperature rise at r after power P has been deposited for t as an isotropic Gaussian of
// standard deviation s in an infinite unperfused medium (diffusivity alpha = k / (rho c)).
// Superposing Gaussian kernels of variance s^2 + 2 alpha tau over tau in [0, t] and using
// d/dv erfc(r / sqrt(2 v)) = r (2 pi)^{-1/2} v^{-3/2} exp(-r^2 / 2v):
//   T(r, t) = P / (4 pi k r) [erfc(r / sqrt(2 s^2 + 4 alpha t)) - erfc(r / (sqrt(2) s))],
// whose limit at r = 0 is P / (4 pi k) (2 / sqrt(pi)) (1 / (sqrt(2) s) - 1 / sqrt(2 s^2 + 4 alpha
// t)).
inline double gaussianSourceRise_K(double r_m, double t_s, double s_m, double power_W, double k,
                                   double alpha) {
  const double wide = std::sqrt(2.0 * s_m * s_m + 4.0 * alpha * t_s);
  const double narrow = std::sqrt(2.0) * s_m;
  const double scale = power_W / (4.0 * std::numbers::pi * k);
  if (r_m < 1e-9) return scale * 2.0 / std::sqrt(std::numbers::pi) * (1.0 / narrow - 1.0 / wide);
  return scale / r_m * (std::erfc(r_m / wide) - std::erfc(r_m / narrow));
}

// A perfused soft tissue for the analytic cases (the test's own values, of liver's order:
// Duck 1990 / IT'IS "Liver" k 0.52, rho 1079, c 3540; perfusion 0.01 1/s).
inline ablation::TissueProperties testTissue(double perfusion_per_s) {
  ablation::TissueProperties t;
  t.id = "test";
  t.density_kg_m3 = 1060.0;
  t.heatCapacity_J_kgK = 3600.0;
  t.thermalConductivity_W_mK = 0.5;
  t.perfusion_per_s = perfusion_per_s;
  return t;
}

inline ablation::BioheatParameters steadyParameters() {
  ablation::BioheatParameters p;
  // Steps of 5000 s: backward Euler's fixed point is the steady state, reached to 1e-8 after
  // five steps (each step divides the slowest mode by 1 + dt w rho_b c_b / (rho c) = 51).
  p.duration_s = 25000.0;
  p.timeStep_s = 5000.0;
  p.perfusionShutdown = ablation::PerfusionShutdown::None;
  p.solverTolerance_K = 1e-7;
  return p;
}

struct SphereCase {
  double spacing_mm;
  double radius_mm = 5.0;
  double power_W = 0.5;
  double halfWidth_mm = 30.0;
};

// The solver's steady rise along +x from the sphere's centre against the analytic one: the
// largest error relative to the peak rise for r <= maxRadius_mm.
struct SphereErrors {
  double peakRise_K = 0.0;
  double largestRelativeError = 0.0;  // |error| / peak rise
  double centreRelativeError = 0.0;   // at r = 0, relative to the rise there
};

inline SphereErrors solveSphere(const SphereCase& c, double maxRadius_mm) {
  const auto n = std::int64_t(std::lround(2.0 * c.halfWidth_mm / c.spacing_mm)) + 1;
  const ablation::TissueProperties tissue = testTissue(0.01);
  const ablation::AblationGrid grid = ablation::uniformGrid(tissue, {n, n, n}, c.spacing_mm);
  ablation::FixedPowerSource source(
      grid, ablation::uniformSpherePower(grid, Vec3::Zero(), c.radius_mm, c.power_W));
  const ablation::BioheatParameters p = steadyParameters();
  const ablation::AblationResult result = ablation::simulateAblation(grid, source, p);
  const double a = c.radius_mm * 1e-3;
  const double q = c.power_W / (4.0 / 3.0 * std::numbers::pi * a * a * a);
  const double m = std::sqrt(tissue.perfusion_per_s * p.bloodDensity_kg_m3 *
                             p.bloodHeatCapacity_J_kgK / tissue.thermalConductivity_W_mK);
  SphereErrors e;
  e.peakRise_K = sphereRise_K(0.0, a, q, tissue.thermalConductivity_W_mK, m);
  const std::int64_t centre = (n - 1) / 2;
  for (std::int64_t i = centre; i < n && (i - centre) * c.spacing_mm <= maxRadius_mm; ++i) {
    const double r_m = double(i - centre) * c.spacing_mm * 1e-3;
    const double exact = sphereRise_K(r_m, a, q, tissue.thermalConductivity_W_mK, m);
    const double solved =
        result.finalTemperature.values[grid.geometry.linearIndex(i, centre, centre)] - 37.0;
    e.largestRelativeError =
        std::max(e.largestRelativeError, std::abs(solved - exact) / e.peakRise_K);
    if (i == centre) e.centreRelativeError = std::abs(solved - exact) / exact;
  }
  return e;
}

}  // namespace twinplan::test
