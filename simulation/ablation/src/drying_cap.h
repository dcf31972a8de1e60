#pragma once
// The drying-energy cap shared by the RF and microwave sources (private to the module).
//
// A source's power is explicit over a time step while the tissue next to the probe dries out
// within it: tissue whose water has boiled off stops conducting (RF: sigma collapses by
// vaporisationEnd_degC, Trujillo & Berjano 2013) or absorbs a fraction of what it did
// (microwave: eps_r and sigma fall to about a sixth, Lopresto et al. 2012). So no voxel may take
// more energy in a step than brings it to vaporisationEnd_degC with its remaining latent heat;
// dry tissue above vaporisationEnd_degC takes none. Without it the SAR at a probe's edge (1e9 to
// 1e10 W/m3 on 1 mm voxels) heats dry tissue to several hundred degC within one 5 s step.
#include <algorithm>
#include <span>
#include <vector>

#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {

// Caps power_W_m3 in place and returns the power removed (W). latentHeatLeft_J_m3 is the bioheat
// solver's latent store per voxel (ThermalState); an empty span means the solver models no
// vaporisation and nothing is capped.
double limitToDryingEnergy(const AblationGrid& grid, std::span<const float> temperature_degC,
                           std::span<const float> latentHeatLeft_J_m3, double vaporisationEnd_degC,
                           double step_s, std::vector<float>& power_W_m3);

// Voxels per chunk of the cap's pass: its sum of the power removed is added chunk by chunk in
// this order, so a caller that fills and caps in one pass keeps the bits of fill-then-cap.
inline constexpr std::size_t kDryingCapChunk = std::size_t(1) << 16;

// Whether any of `count` voxels may need the cap: power > 0 and not far below the latent heat
// left alone (capChunk's own tests, in the same double arithmetic, so exactly the voxels it
// looks at further). A loop without branches or an exit, built for SSE2 and AVX2 (drying_cap.cpp).
bool mayReachDrying(const float* power_W_m3, const float* latentHeatLeft_J_m3, std::size_t count,
                    double step_s);

// Voxels per block of capChunk's pre-check: most blocks hold no voxel near drying and are passed
// by the vectorised test alone.
inline constexpr std::size_t kDryingCapBlock = 256;

// The cap on the voxels of one chunk; returns the power removed there (W).
inline double capChunk(const AblationGrid& grid, std::span<const float> temperature_degC,
                       std::span<const float> latentHeatLeft_J_m3, double vaporisationEnd_degC,
                       double step_s, parallel::IndexRange voxels, std::span<float> power_W_m3) {
  const double h_m = grid.voxelSize_m();
  const double voxel_m3 = h_m * h_m * h_m;
  double removed_W = 0.0;
  std::size_t blockEnd = voxels.begin;  // the voxels before it are known not to need the cap
  for (std::size_t v = voxels.begin; v < voxels.end; ++v) {
    if (v >= blockEnd) {
      // Skip the blocks without a candidate (they add nothing to removed_W: the same sum).
      std::size_t count = std::min(kDryingCapBlock, voxels.end - v);
      while (!mayReachDrying(&power_W_m3[v], &latentHeatLeft_J_m3[v], count, step_s)) {
        v += count;
        if (v == voxels.end) return removed_W;
        count = std::min(kDryingCapBlock, voxels.end - v);
      }
      blockEnd = v + count;
    }
    if (power_W_m3[v] <= 0.0f) continue;
    // Far below the latent heat left alone (the sensible part is >= 0): no cap, without the
    // tissue's look-up and a division (the margin covers the limit's rounding).
    if (double(power_W_m3[v]) * step_s < 0.999 * double(latentHeatLeft_J_m3[v])) continue;
    const TissueProperties& t = grid.tissueAt(v);
    const double sensible_J_m3 = t.density_kg_m3 * t.heatCapacity_J_kgK *
                                 std::max(0.0, vaporisationEnd_degC - double(temperature_degC[v]));
    const double limit_W_m3 = (sensible_J_m3 + double(latentHeatLeft_J_m3[v])) / step_s;
    if (power_W_m3[v] > limit_W_m3) {
      removed_W += (power_W_m3[v] - limit_W_m3) * voxel_m3;
      power_W_m3[v] = float(limit_W_m3);
    }
  }
  return removed_W;
}

// fill(voxels) writes power_W_m3 on a chunk's voxels, then the cap runs on them while they are
// in cache: one pass where fill-then-limitToDryingEnergy takes two, with the same bits.
// latentHeatLeft_J_m3 empty: fill only, nothing removed.
template <class Fill>
double fillAndLimitToDryingEnergy(const AblationGrid& grid, std::span<const float> temperature_degC,
                                  std::span<const float> latentHeatLeft_J_m3,
                                  double vaporisationEnd_degC, double step_s,
                                  std::vector<float>& power_W_m3, Fill&& fill) {
  return parallel::parallelReduce(
      parallel::IndexRange{0, power_W_m3.size()}, kDryingCapChunk, 0.0,
      [&](parallel::IndexRange r) {
        fill(r);
        return latentHeatLeft_J_m3.empty() ? 0.0
                                           : capChunk(grid, temperature_degC, latentHeatLeft_J_m3,
                                                      vaporisationEnd_degC, step_s, r, power_W_m3);
      },
      [](double a, double b) { return a + b; });
}

}  // namespace twinplan::ablation::detail
