#include "vapour_transport.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

// Saturated steam at 100 degC and 1 atm: density 1 / 1.6729 m3/kg = 0.5978 kg/m3 (IAPWS-IF97
// steam tables) and dynamic viscosity 12.27 uPa s (IAPWS 2008 viscosity formulation), as
// tabulated in the steam tables; used only for the overpressure the flow needs (VapourBook).
constexpr double kSteamDensity_kg_m3 = 0.5978;
constexpr double kSteamViscosity_Pa_s = 12.27e-6;
// Tissue within this of the vaporisation temperature holds vapour (the solver's enthalpy
// correction leaves boiling tissue exactly at it).
constexpr double kTwoPhaseSlack_K = 1e-3;
// The front moves at most this many layers of condensing tissue within one step; vapour still
// moving after them leaves the grid (booked as escaped).
constexpr int kMaxFrontLayers = 64;

using VoxelAmount = std::pair<std::size_t, double>;  // voxel, J/m3 of latent heat

// What a neighbour of a two-phase voxel is to the vapour.
enum class Side { Wall, TwoPhase, Condensing, Probe };

struct Neighbourhood {
  const AblationGrid* grid;
  std::span<const double> full;
  const std::unordered_set<std::size_t>* held;
  const std::vector<float>* temperature;
  double vaporisation_degC;

  // The six face neighbours of v; npos outside the grid.
  std::array<std::size_t, 6> of(std::size_t v) const {
    const ImageGeometry& g = grid->geometry;
    const auto nx = std::size_t(g.size[0]), ny = std::size_t(g.size[1]),
               nz = std::size_t(g.size[2]);
    const std::size_t i = v % nx, j = (v / nx) % ny, k = v / (nx * ny);
    constexpr std::size_t none = std::size_t(-1);
    return {i > 0 ? v - 1 : none,       i + 1 < nx ? v + 1 : none,
            j > 0 ? v - nx : none,      j + 1 < ny ? v + nx : none,
            k > 0 ? v - nx * ny : none, k + 1 < nz ? v + nx * ny : none};
  }
  Side side(std::size_t q) const {
    if (q == std::size_t(-1)) return Side::Wall;
    if (held->count(q)) return Side::Probe;
    if (!(full[grid->tissue[q]] > 0.0)) return Side::Wall;
    return double((*temperature)[q]) >= vaporisation_degC - kTwoPhaseSlack_K ? Side::TwoPhase
                                                                             : Side::Condensing;
  }
};

// The vapour each voxel boiled off in the step (J/m3), in grid order.
std::vector<VoxelAmount> boiledVoxels(const std::vector<float>& before,
                                      const std::vector<float>& after) {
  using List = std::vector<VoxelAmount>;
  return parallel::parallelReduce(
      parallel::IndexRange{0, before.size()}, std::size_t(1) << 16, List{},
      [&](parallel::IndexRange r) {
        List found;
        for (std::size_t v = r.begin; v < r.end; ++v)
          if (after[v] < before[v]) found.emplace_back(v, double(before[v]) - double(after[v]));
        return found;
      },
      [](List a, const List& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
      });
}

// The two-phase region reachable from the vapour's voxels: each voxel's region neighbours
// (local indices, -1 none), its condensing and probe faces, and its connected component.
struct TwoPhaseRegion {
  std::vector<std::size_t> voxels;
  std::unordered_map<std::size_t, int> local;
  std::vector<std::array<int, 6>> links;
  std::vector<int> exits;      // faces to condensing tissue or the probe
  std::vector<int> component;  // per local voxel
  int components = 0;
};

TwoPhaseRegion twoPhaseRegion(const Neighbourhood& nb, const std::vector<VoxelAmount>& sources) {
  TwoPhaseRegion r;
  auto add = [&](std::size_t v, int component) {
    r.local.emplace(v, int(r.voxels.size()));
    r.voxels.push_back(v);
    r.component.push_back(component);
  };
  for (const auto& [source, amount] : sources) {
    if (r.local.count(source)) continue;
    const int component = r.components++;
    std::size_t head = r.voxels.size();
    add(source, component);
    for (; head < r.voxels.size(); ++head)
      for (std::size_t q : nb.of(r.voxels[head]))
        if (nb.side(q) == Side::TwoPhase && !r.local.count(q)) add(q, component);
  }
  r.links.resize(r.voxels.size());
  r.exits.assign(r.voxels.size(), 0);
  for (std::size_t n = 0; n < r.voxels.size(); ++n) {
    const auto around = nb.of(r.voxels[n]);
    for (int d = 0; d < 6; ++d) {
      const auto it = around[d] == std::size_t(-1) ? r.local.end() : r.local.find(around[d]);
      r.links[n][d] = it == r.local.end() ? -1 : it->second;
      const Side s = nb.side(around[d]);
      if (it == r.local.end() && (s == Side::Condensing || s == Side::Probe)) ++r.exits[n];
    }
  }
  return r;
}

// Solves the region's pressure, sum over faces (p_n - p_q) = source_n with p = 0 beyond its
// exits, by Jacobi-preconditioned conjugate gradients (the region is a few thousand voxels).
// Voxels of a component without exits keep p = 0 (`open` false).
std::vector<double> vapourPressure(const TwoPhaseRegion& r, const std::vector<double>& source,
                                   const std::vector<char>& open) {
  const std::size_t n = r.voxels.size();
  std::vector<double> diagonal(n), p(n, 0.0), residual(n), z(n), direction(n), ap(n);
  for (std::size_t a = 0; a < n; ++a) {
    int faces = r.exits[a];
    for (int q : r.links[a]) faces += q >= 0;
    diagonal[a] = open[a] ? double(faces) : 1.0;
    residual[a] = open[a] ? source[a] : 0.0;
  }
  auto apply = [&](const std::vector<double>& x, std::vector<double>& y) {
    for (std::size_t a = 0; a < n; ++a) {
      double sum = diagonal[a] * x[a];
      if (open[a])
        for (int q : r.links[a])
          if (q >= 0) sum -= x[std::size_t(q)];
      y[a] = sum;
    }
  };
  double norm0 = 0.0;
  for (double v : residual) norm0 += v * v;
  if (!(norm0 > 0.0)) return p;
  for (std::size_t a = 0; a < n; ++a) direction[a] = z[a] = residual[a] / diagonal[a];
  double rz = 0.0;
  for (std::size_t a = 0; a < n; ++a) rz += residual[a] * z[a];
  const std::size_t maxIterations = 10 * n + 100;
  for (std::size_t it = 0; it < maxIterations; ++it) {
    apply(direction, ap);
    double pap = 0.0;
    for (std::size_t a = 0; a < n; ++a) pap += direction[a] * ap[a];
    const double alpha = rz / pap;
    double norm = 0.0;
    for (std::size_t a = 0; a < n; ++a) {
      p[a] += alpha * direction[a];
      residual[a] -= alpha * ap[a];
      norm += residual[a] * residual[a];
    }
    if (norm <= 1e-24 * norm0) break;
    double rzNext = 0.0;
    for (std::size_t a = 0; a < n; ++a) rzNext += residual[a] * (z[a] = residual[a] / diagonal[a]);
    for (std::size_t a = 0; a < n; ++a) direction[a] = z[a] + rzNext / rz * direction[a];
    rz = rzNext;
  }
  return p;
}

// Sums the amounts of each voxel (sorted by voxel, so the order of the sums is fixed).
std::vector<VoxelAmount> merged(std::vector<VoxelAmount> list) {
  std::sort(list.begin(), list.end(),
            [](const VoxelAmount& a, const VoxelAmount& b) { return a.first < b.first; });
  std::vector<VoxelAmount> out;
  for (const VoxelAmount& x : list) {
    if (!out.empty() && out.back().first == x.first)
      out.back().second += x.second;
    else
      out.push_back(x);
  }
  return out;
}

// Where one layer of the front sends the vapour of `sources`: to condensing voxels (arrivals)
// and to the probe (per two-phase voxel touching it). Vapour with no exit escapes.
struct Split {
  std::vector<VoxelAmount> toTissue, toProbe;
  double escaped = 0.0;
  double peakPressure = 0.0;  // J/m3 per face conductance (see VapourBook)
};

Split splitVapour(const Neighbourhood& nb, const std::vector<VoxelAmount>& sources) {
  const TwoPhaseRegion r = twoPhaseRegion(nb, sources);
  std::vector<double> source(r.voxels.size(), 0.0), componentSource(r.components, 0.0);
  for (const auto& [v, amount] : sources) {
    const int n = r.local.at(v);
    source[std::size_t(n)] += amount;
    componentSource[r.component[n]] += amount;
  }
  std::vector<int> componentExits(r.components, 0);
  for (std::size_t n = 0; n < r.voxels.size(); ++n) componentExits[r.component[n]] += r.exits[n];
  std::vector<char> open(r.voxels.size());
  for (std::size_t n = 0; n < r.voxels.size(); ++n) open[n] = componentExits[r.component[n]] > 0;
  const std::vector<double> p = vapourPressure(r, source, open);
  // The flux through each exit is p there (unit face conductance, p = 0 beyond); scaled per
  // component to the vapour it produced, so the split conserves it exactly.
  std::vector<double> componentFlux(r.components, 0.0);
  for (std::size_t n = 0; n < r.voxels.size(); ++n)
    componentFlux[r.component[n]] += r.exits[n] * p[n];
  Split split;
  std::vector<double> scale(r.components, 0.0);
  for (int c = 0; c < r.components; ++c) {
    if (componentFlux[c] > 0.0)
      scale[c] = componentSource[c] / componentFlux[c];
    else
      split.escaped += componentSource[c];
  }
  for (std::size_t n = 0; n < r.voxels.size(); ++n) {
    const double pressure = p[n] * scale[r.component[n]];
    split.peakPressure = std::max(split.peakPressure, pressure);
    if (r.exits[n] == 0 || !(pressure > 0.0)) continue;
    for (std::size_t q : nb.of(r.voxels[n])) {
      const Side s = r.local.count(q) ? Side::TwoPhase : nb.side(q);
      if (s == Side::Condensing) split.toTissue.emplace_back(q, pressure);
      if (s == Side::Probe) split.toProbe.emplace_back(r.voxels[n], pressure);
    }
  }
  split.toTissue = merged(std::move(split.toTissue));
  split.toProbe = merged(std::move(split.toProbe));
  return split;
}

}  // namespace

void condenseVapour(const AblationGrid& grid, std::span<const double> fullLatent_J_m3,
                    std::span<const double> heatCapacity_J_m3K,
                    std::span<const HeldTemperature> held, const BioheatParameters& parameters,
                    double step_s, const std::vector<float>& latentBefore_J_m3,
                    std::vector<float>& latentLeft_J_m3, std::vector<float>& temperature_degC,
                    std::vector<float>& maximum_degC, VapourBook& book) {
  std::vector<VoxelAmount> sources = boiledVoxels(latentBefore_J_m3, latentLeft_J_m3);
  if (sources.empty()) return;
  const double h_m = grid.voxelSize_m(), voxel_m3 = h_m * h_m * h_m;
  const double vaporisation_degC = parameters.vaporisationTemperature_degC;
  std::unordered_set<std::size_t> heldVoxels;
  for (const HeldTemperature& h : held) heldVoxels.insert(h.voxel);
  const Neighbourhood nb{&grid, fullLatent_J_m3, &heldVoxels, &temperature_degC, vaporisation_degC};
  for (const auto& [v, amount] : sources) book.boiled_J += amount * voxel_m3;
  // Condensed water goes back into the voxel's store, up to the water it held at the start.
  auto storeWater = [&](std::size_t v, double amount) {
    const double room = std::max(0.0, fullLatent_J_m3[grid.tissue[v]] - double(latentLeft_J_m3[v]));
    const double kept = std::min(amount, room);
    latentLeft_J_m3[v] = float(double(latentLeft_J_m3[v]) + kept);
    book.expelledWater_J += (amount - kept) * voxel_m3;
  };
  // The pressure per unit face conductance (J/m3 of vapour per step) in pascal times the
  // permeability: P k = p h^2 mu / (L dt rho_vapour) (Darcy: face mass flow k rho h dP / mu).
  const double overpressureScale =
      h_m * h_m * kSteamViscosity_Pa_s /
      (parameters.latentHeatOfWater_J_kg * step_s * kSteamDensity_kg_m3);
  int layer = 0;
  for (; layer < kMaxFrontLayers && !sources.empty(); ++layer) {
    const Split split = splitVapour(nb, sources);
    book.escaped_J += split.escaped * voxel_m3;
    book.peakOverpressureTimesPermeability_Pa_m2 = std::max(
        book.peakOverpressureTimesPermeability_Pa_m2, split.peakPressure * overpressureScale);
    for (const auto& [v, amount] : split.toProbe) {
      // Condensed on the cooled metal: the heat goes to the coolant, the water wets the tissue.
      book.condensedOnProbe_J += amount * voxel_m3;
      storeWater(v, amount);
    }
    sources.clear();
    for (const auto& [c, amount] : split.toTissue) {
      // Condensing tissue takes vapour until its latent heat brings it to the vaporisation
      // temperature; the rest flows on through it in the next layer.
      const double rhoC = heatCapacity_J_m3K[grid.tissue[c]];
      const double room = rhoC * (vaporisation_degC - double(temperature_degC[c]));
      const double condensed = std::min(amount, room);
      temperature_degC[c] = condensed < room ? float(double(temperature_degC[c]) + condensed / rhoC)
                                             : float(vaporisation_degC);
      maximum_degC[c] = std::max(maximum_degC[c], temperature_degC[c]);
      book.condensedInTissue_J += condensed * voxel_m3;
      storeWater(c, condensed);
      if (amount > condensed) sources.emplace_back(c, amount - condensed);
    }
  }
  for (const auto& [v, amount] : sources) book.escaped_J += amount * voxel_m3;
  book.frontLayers = std::max(book.frontLayers, layer);
}

}  // namespace twinplan::ablation::detail
