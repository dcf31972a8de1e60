#include "twinplan/ablation/rf_source.h"

#include <algorithm>
#include <cmath>
#include <experimental/simd>
#include <iterator>
#include <limits>
#include <optional>

#include "composite_potential.h"
#include "conduction_multigrid.h"
#include "drying_cap.h"
#include "potential_grid.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation {

using namespace detail::potential;
namespace stdx = std::experimental;

namespace detail {
struct PotentialWorkspace {
  FaceConductivity faces;
  // The CG vectors in float (half the memory traffic; sums and the solution in double).
  std::vector<float> r, z, p, ap;
  std::vector<std::uint8_t> unknown;
  // A solution's potential and SAR lent back by a caller that is done with them (the nested
  // solves): solvePotentialIn writes every voxel of both, so reusing them spares a fresh zeroed
  // pair per solve (its allocation, page faults and serial memsets).
  std::vector<double> keptPotential;
  std::vector<float> keptHeating;
  ConductionMultigrid multigrid;
  // The nested box's copies of sigma, roles and the first guess, and its Robin conductances.
  struct Box {
    std::vector<float> sigma;
    std::vector<NodeRole> roles;
    std::vector<double> warm, robin;
    // Per nested face at this solve's sigma: its conductance and Robin conductance,
    // sigma_f (1 - beta) (S/m: times the voxel side, S), and after the solve its current
    // (A/m: times the voxel side, A; fullFaceCurrent_A_'s units, against which it is scaled).
    std::vector<double> faceConductance, faceRobin_S_m, faceCurrent_A_m;
  } box;
};
}  // namespace detail

namespace {

// robinConductance (S/m per voxel, may be empty): conductance from each voxel to a voxel
// outside the grid whose potential the caller models as proportional to the voxel's own (the
// nested box's faces, RfSettings::nestedPotential): sigma_f (1 - beta), added to the diagonal.
// The solution's heating and power leave those faces out. Without totals the solution's power_W
// and current_A are left 0 (the nested solves take their power from the box's SAR and their
// scale from the faces' currents: two passes over the box per solve that nothing read).
PotentialSolution solvePotentialIn(const ImageGeometry& geometry, std::span<const float> sigma_S_m,
                                   std::span<const NodeRole> roles, double electrode_V,
                                   std::span<const double> warmStart,
                                   const PotentialSolverOptions& options, Progress& progress,
                                   detail::PotentialWorkspace& work,
                                   std::span<const double> robinConductance = {},
                                   bool totals = true) {
  checkSizes(geometry, sigma_S_m.size(), roles.size());
  const Strides s(geometry);
  const std::size_t n = geometry.voxelCount();
  faceConductivity(s, sigma_S_m, work.faces);
  const FaceConductivity& f = work.faces;

  PotentialSolution solution;
  solution.potential_V.swap(work.keptPotential);
  solution.heating_W_m3.swap(work.keptHeating);
  std::vector<double>& x = solution.potential_V;
  x.resize(n);  // written in full below
  // r, z and ap are written in full before they are read; p is copied from z.
  std::vector<float>&r = work.r, &z = work.z, &p = work.p, &ap = work.ap;
  for (std::vector<float>* v : {&r, &z, &p, &ap}) v->resize(n);
  std::vector<std::uint8_t>& unknown = work.unknown;
  unknown.resize(n);
  // The first guess (the Dirichlet values, the warm start on Tissue voxels), the unknowns and
  // the nested box's Robin conductances, in one pass.
  const bool warm = warmStart.size() == n;
  forEachSlice(s, [&](std::int64_t k) {
    for (std::size_t v = s.sz * std::size_t(k); v < s.sz * std::size_t(k + 1); ++v) {
      const NodeRole role = roles[v];
      x[v] = role == NodeRole::Electrode        ? electrode_V
             : role == NodeRole::Tissue && warm ? warmStart[v]
                                                : 0.0;
      unknown[v] = role == NodeRole::Tissue;
      if (!robinConductance.empty()) work.faces.diagonal[v] += robinConductance[v];
    }
  });
  // b = the Dirichlet values' pull on the Tissue voxels: -A applied to the boundary values.
  const double rhsNorm = dirichletPullNorm(s, f, roles, electrode_V);
  applyOperator<double, float>(s, f, roles, x, r, /*negate=*/true);  // r = b - A x
  // Preconditioned by a multigrid W-cycle (conduction_multigrid.h): a few iterations per solve
  // where Jacobi took about a hundred.
  detail::ConductionMultigrid& multigrid = work.multigrid;
  multigrid.build(s.nx, s.ny, s.nz, f.x, f.y, f.z, f.diagonal, unknown);
  const ConjugateGradientResult cg = conjugateGradients(
      SliceChunks{s},
      [&](const std::vector<float>& in, std::vector<float>& out) {
        return applyOperator<float, float>(s, f, roles, in, out);
      },
      [&] { multigrid.applyInPlace(r, z); }, x, r, z, p, ap, rhsNorm, options, progress, "",
      "solvePotential");
  solution.iterations = cg.iterations;
  solution.relativeResidual = cg.relativeResidual;

  // Power of every face, and the current leaving the electrode (W = S/m * m * V^2).
  const double h_m = geometry.spacing_mm.x() * 1e-3;
  jouleHeatingOfFacesInto(solution.heating_W_m3, geometry, s, f, roles, x);
  if (!totals) return solution;
  const std::vector<float>& heating = solution.heating_W_m3;
  const double voxelVolume_m3 = h_m * h_m * h_m;
  solution.power_W = sumOverSlices(s, [&](std::int64_t k) {
    double sum = 0.0;
    for (std::size_t v = s.sz * std::size_t(k); v < s.sz * std::size_t(k + 1); ++v) {
      sum += heating[v];
    }
    return sum * voxelVolume_m3;
  });
  solution.current_A = sumOverSlices(s, [&](std::int64_t k) {
    double current = 0.0;
    for (std::int64_t j = 0; j < s.ny; ++j)
      for (std::int64_t i = 0; i < s.nx; ++i) {
        const std::size_t v = std::size_t(i) + s.sy * std::size_t(j) + s.sz * std::size_t(k);
        if (roles[v] != NodeRole::Electrode) continue;
        forEachFace(s, f, v, i, j, k, [&](std::size_t q, float sigmaFace) {
          if (roles[q] != NodeRole::Electrode) current += double(sigmaFace) * (x[v] - x[q]);
        });
      }
    return current * h_m;  // face conductance sigma_f * h^2 / h
  });
  return solution;
}

}  // namespace

PotentialSolution solvePotential(const ImageGeometry& geometry, std::span<const float> sigma_S_m,
                                 std::span<const NodeRole> roles, double electrode_V,
                                 std::span<const double> warmStart,
                                 const PotentialSolverOptions& options, Progress& progress) {
  detail::PotentialWorkspace work;
  return solvePotentialIn(geometry, sigma_S_m, roles, electrode_V, warmStart, options, progress,
                          work);
}

std::vector<float> jouleHeating(const ImageGeometry& geometry, std::span<const float> sigma_S_m,
                                std::span<const NodeRole> roles,
                                std::span<const double> potential_V) {
  checkSizes(geometry, sigma_S_m.size(), roles.size());
  const Strides s(geometry);
  const double h_m = geometry.spacing_mm.x() * 1e-3;
  // A face's power sigma_f h dV^2 (W) over the voxel volume h^3.
  const double perVolume = h_m / (h_m * h_m * h_m);
  std::vector<float> heating(geometry.voxelCount(), 0.0f);
  forEachSlice(s, [&](std::int64_t k) {
    for (std::int64_t j = 0; j < s.ny; ++j)
      for (std::int64_t i = 0; i < s.nx; ++i) {
        const std::size_t v = std::size_t(i) + s.sy * std::size_t(j) + s.sz * std::size_t(k);
        if (roles[v] != NodeRole::Tissue) continue;
        double power = 0.0;
        auto face = [&](std::size_t q) {
          const double dv = potential_V[v] - potential_V[q];
          power += faceShare(roles[v], roles[q]) *
                   double(harmonicMean(sigma_S_m[v], sigma_S_m[q])) * dv * dv;
        };
        if (i + 1 < s.nx) face(v + s.sx);
        if (i > 0) face(v - s.sx);
        if (j + 1 < s.ny) face(v + s.sy);
        if (j > 0) face(v - s.sy);
        if (k + 1 < s.nz) face(v + s.sz);
        if (k > 0) face(v - s.sz);
        heating[v] = float(power * perVolume);
      }
  });
  return heating;
}

RfSettings rfSettingsFor(const AblationDevice& device) {
  RfSettings settings;
  settings.control = device.control;
  settings.power_W = device.power_W;
  settings.maxPower_W = device.maxPower_W;
  if (device.control == PowerControl::TemperatureControlled) {
    settings.targetTemperature_degC = device.targetTemperature_degC;
  }
  if (device.control == PowerControl::RampUntilRollOff) {
    settings.rampRate_W_per_min = device.rampRate_W_per_min;
    settings.rampApplications = device.rampApplications;
    settings.rollOffPause_s = device.rampPause_s;
    settings.rampRestartFraction = device.rampRestartFraction;
    // The generator's impedance rule (devices.h RollOffRule): the impedance rises only where
    // the dried tissue stays dry, so sigma follows the water boiled off.
    const bool byImpedance = device.rampRollOff == RollOffRule::Impedance;
    settings.rollOffAtBoiling = !byImpedance;
    settings.conductivityFollowsWater = byImpedance;
    if (byImpedance) settings.rollOffImpedanceRise_ohm = device.rollOffImpedanceRise_ohm;
  }
  return settings;
}

namespace {

// sigma's floor below vaporisation, as a fraction of sigma at body temperature: the linear
// law's lower end (it keeps sigma positive far below body temperature).
constexpr double kLowestConductivityFactor = 0.05;

// A bound decides a comparison with a threshold only when clear of it by this fraction: the
// bound's sums add in another order than the exact pass's.
constexpr double kDecisionSlack = 1e-9;

// Chunks of the parallel loops (core/parallel.h; fixed chunks, so the bits do not depend on the
// thread count): element-wise loops over the whole grid, loops over the box's planes (voxels per
// chunk, as the multigrid's kVoxelsPerChunk) and loops over the nested faces.
constexpr std::size_t kGridVoxelsPerChunk = std::size_t(1) << 16;
constexpr std::int64_t kBoxVoxelsPerChunk = 16384;
constexpr std::size_t kFacesPerChunk = 4096;

// RfSettings::resolveConductanceChange's sums: q |sigma / sigma_solved - 1| and q, over the
// voxels that carried SAR (q, the stored SAR times factor) and conducted at the last solve.
struct WeightedChange {
  double weighted = 0.0, weights = 0.0;
  void add(std::span<const float> heating_W_m3, std::span<const float> sigma_S_m,
           std::span<const float> solvedSigma_S_m, double factor, std::size_t first,
           std::size_t last) {
    for (std::size_t v = first; v < last; ++v) {
      const double q = factor == 1.0 ? heating_W_m3[v] : heating_W_m3[v] * factor;
      if (q <= 0.0 || !(solvedSigma_S_m[v] > 0.0f)) continue;
      weighted += q * std::abs(double(sigma_S_m[v]) / double(solvedSigma_S_m[v]) - 1.0);
      weights += q;
    }
  }
  static WeightedChange combine(WeightedChange a, const WeightedChange& b) {
    a.weighted += b.weighted;
    a.weights += b.weights;
    return a;
  }
};

// sigma / sigma at body temperature below vaporisation: the linear law max(0.05, 1 + alpha (T -
// 37)), alpha per kelvin. Shared by sigma itself and the bound of its change outside the box.
inline double linearConductivityFactor(double alpha_per_K, double temperature_degC) {
  return std::max(kLowestConductivityFactor,
                  1.0 + alpha_per_K * (temperature_degC - kBodyTemperature_degC));
}

// rfConductivity() of temperature alone, here where the per-step pass over the grid can inline it.
inline double collapsedConductivity(const TissueProperties& tissue, double temperature_degC,
                                    const RfSettings& settings) {
  auto linear = [&](double t) {
    return tissue.electricalConductivity_S_m *
           linearConductivityFactor(tissue.electricalConductivityCoefficient_per_K, t);
  };
  if (temperature_degC <= settings.vaporisationStart_degC) return linear(temperature_degC);
  const double atStart = linear(settings.vaporisationStart_degC);
  const double width = settings.vaporisationEnd_degC - settings.vaporisationStart_degC;
  const double fraction =
      std::clamp((temperature_degC - settings.vaporisationStart_degC) / width, 0.0, 1.0);
  return atStart * (1.0 + (settings.vaporisedConductivityFactor - 1.0) * fraction);
}

}  // namespace

double rfConductivity(const TissueProperties& tissue, double temperature_degC,
                      const RfSettings& settings) {
  return collapsedConductivity(tissue, temperature_degC, settings);
}

double rfConductivity(const TissueProperties& tissue, double temperature_degC, double waterLeft,
                      const RfSettings& settings) {
  const double collapsed = rfConductivity(tissue, temperature_degC, settings);
  if (!settings.conductivityFollowsWater) return collapsed;
  const double boiledOff = 1.0 - std::clamp(waterLeft, 0.0, 1.0);
  const double waterFactor = 1.0 + (settings.vaporisedConductivityFactor - 1.0) * boiledOff;
  const double wet =
      rfConductivity(tissue, std::min(temperature_degC, settings.vaporisationStart_degC), settings);
  return std::min(collapsed, wet * waterFactor);
}

namespace {

// The voxels of several electrodes of one device: their active parts together, their shafts
// less any active voxel (metal that touches another electrode's shaft conducts).
ProbeVoxels electrodeVoxels(const AblationGrid& grid, const AblationDevice& device,
                            std::span<const ProbePlacement> placements) {
  if (placements.empty()) {
    throw Error(ErrorKind::InvalidInput,
                "An RF source needs at least one electrode placement (tip and entry).", device.id);
  }
  ProbeVoxels all;
  std::vector<std::size_t> shaft;
  for (const ProbePlacement& placement : placements) {
    const ProbeVoxels one = probeVoxels(grid, device, placement);
    all.active.insert(all.active.end(), one.active.begin(), one.active.end());
    shaft.insert(shaft.end(), one.shaft.begin(), one.shaft.end());
  }
  for (auto* list : {&all.active, &shaft}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  std::set_difference(shaft.begin(), shaft.end(), all.active.begin(), all.active.end(),
                      std::back_inserter(all.shaft));
  return all;
}

}  // namespace

RfSource::RfSource(const AblationGrid& grid, const AblationDevice& device,
                   const ProbePlacement& placement, RfSettings settings)
    : RfSource(grid, device, std::span<const ProbePlacement>(&placement, 1), settings) {}

RfSource::RfSource(const AblationGrid& grid, const AblationDevice& device,
                   std::span<const ProbePlacement> placements, RfSettings settings)
    : settings_(settings),
      cooled_(device.internallyCooled),
      coolant_degC_(device.coolantTemperature_degC),
      voxels_(electrodeVoxels(grid, device, placements)) {
  if (!device.isRf()) {
    throw Error(ErrorKind::InvalidInput,
                "Device '" + device.id + "' is a microwave antenna, not an RF electrode.",
                device.id);
  }
  if (!(settings_.power_W > 0.0)) {
    throw Error(ErrorKind::InvalidInput, "The RF power must be above 0 W.", device.id);
  }
  if (!(settings_.nestedMargin_mm >= 0.0 && std::isfinite(settings_.nestedMargin_mm)) ||
      settings_.nestedFullSolveInterval < 0 || !(settings_.nestedOuterConductanceChange >= 0.0)) {
    throw Error(ErrorKind::InvalidInput,
                "The nested potential solve needs a margin of 0 mm or more, a full-solve interval "
                "of 0 or more and a conductance-change tolerance of 0 or more.",
                "RfSettings::nestedMargin_mm");
  }
  const ImageGeometry& g = grid.geometry;
  gridSize_ = {g.size[0], g.size[1], g.size[2]};
  voxelSize_mm_ = g.spacing_mm.x();
  roles_.assign(g.voxelCount(), NodeRole::Tissue);
  // The dispersive ground: the box faces (see the header).
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const bool face = i == 0 || j == 0 || k == 0 || i == g.size[0] - 1 || j == g.size[1] - 1 ||
                          k == g.size[2] - 1;
        if (face) roles_[g.linearIndex(i, j, k)] = NodeRole::Ground;
      }
  for (std::size_t v : voxels_.active) {
    if (roles_[v] == NodeRole::Ground) {
      throw Error(ErrorKind::InvalidInput,
                  "The electrode of device '" + device.id +
                      "' reaches the edge of the simulation grid; enlarge the grid or move the "
                      "tip.",
                  device.id);
    }
    roles_[v] = NodeRole::Electrode;
  }
  // The tissue next to the electrode, where temperature control reads its temperature.
  const Strides s(g);
  for (std::size_t v : voxels_.active) {
    for (std::size_t q : {v + s.sx, v - s.sx, v + s.sy, v - s.sy, v + s.sz, v - s.sz}) {
      if (q < roles_.size() && roles_[q] == NodeRole::Tissue) electrodeNeighbours_.push_back(q);
    }
  }
  std::sort(electrodeNeighbours_.begin(), electrodeNeighbours_.end());
  electrodeNeighbours_.erase(std::unique(electrodeNeighbours_.begin(), electrodeNeighbours_.end()),
                             electrodeNeighbours_.end());
}

RfSource::~RfSource() = default;

float RfSource::tissueConductivity(const AblationGrid& grid, std::size_t v,
                                   float temperature_degC) const {
  return waterLeft_.empty()
             ? float(collapsedConductivity(grid.tissueAt(v), temperature_degC, settings_))
             : float(rfConductivity(grid.tissueAt(v), temperature_degC, double(waterLeft_[v]),
                                    settings_));
}

void RfSource::conductivities(const AblationGrid& grid, std::span<const float> temperature_degC,
                              std::vector<float>& sigma, Region region) const {
  const std::size_t n = grid.geometry.voxelCount();
  sigma.resize(n);
  auto fill = [&](std::size_t first, std::size_t last) {
    for (std::size_t v = first; v < last; ++v)
      sigma[v] = tissueConductivity(grid, v, temperature_degC[v]);
  };
  if (region == Region::Grid) {
    parallel::parallelFor(IndexRange{0, n}, 1 << 14, [&](IndexRange r) { fill(r.begin, r.end); });
  } else if (region == Region::Exterior) {
    forEachExteriorStretch(fill);
  } else {
    forEachBoxStretch(fill);
    for (const NestedFace& face : nestedFaces_)
      if (face.outerResistance < 0.0)
        sigma[face.outer] = tissueConductivity(grid, face.outer, temperature_degC[face.outer]);
  }
  // The metal of the active part conducts; the insulated shaft does not.
  for (std::size_t v : voxels_.active) sigma[v] = 1e6f;
  for (std::size_t v : voxels_.shaft) sigma[v] = float(settings_.insulatorConductivity_S_m);
}

void RfSource::trackWater(const ThermalState& state, std::size_t voxelCount) {
  if (!settings_.conductivityFollowsWater || state.latentHeatLeft_J_m3.size() != voxelCount) return;
  if (initialLatent_J_m3_.empty()) initialLatent_J_m3_ = state.latentHeatLeft_J_m3;
  waterLeft_.resize(voxelCount);
  parallel::parallelFor(IndexRange{0, voxelCount}, kGridVoxelsPerChunk, [&](IndexRange r) {
    for (std::size_t v = r.begin; v < r.end; ++v)
      waterLeft_[v] = initialLatent_J_m3_[v] > 0.0f
                          ? state.latentHeatLeft_J_m3[v] / initialLatent_J_m3_[v]
                          : 1.0f;
  });
}

double RfSource::weightedConductivityChange(std::span<const float> sigma_S_m) const {
  // The SAR outside the nested box is the stored one times outsideScale_^2 (exactly it at 1).
  const double outsideFactor = outsideScale_ * outsideScale_;
  const WeightedChange sums = parallel::parallelReduce(
      IndexRange{0, sigma_S_m.size()}, kGridVoxelsPerChunk, WeightedChange{},
      [&](IndexRange r) {
        WeightedChange s;
        walkBoxMembership(r, [&](std::size_t first, std::size_t last, bool outside) {
          s.add(unitHeating_W_m3_, sigma_S_m, solvedSigma_S_m_, outside ? outsideFactor : 1.0,
                first, last);
        });
        return s;
      },
      WeightedChange::combine);
  return sums.weights > 0.0 ? sums.weighted / sums.weights : 0.0;
}

void RfSource::solveUnitPotential(const AblationGrid& grid, std::vector<float>& sigma) {
  if (settings_.nestedPotential && settings_.compositePotential) {
    solveCompositePotential(grid, sigma);
    return;
  }
  if (!potentialWorkspace_) potentialWorkspace_ = std::make_unique<detail::PotentialWorkspace>();
  // Warm start from a nested solve when the last full solve left its box faces: the box holds
  // the electrode, where sigma changed most, so the full solve starts with a residual only at
  // the box faces and outside (RfSettings::nestedWarmStart).
  if (settings_.nestedPotential && settings_.nestedWarmStart && nestedBoundaryRecorded()) {
    potentialIterations_ += solveNestedBox(grid, sigma, NestedUse::WarmStart);
    ++nestedWarmStarts_;
  }
  PotentialSolution solution =
      solvePotentialIn(grid.geometry, sigma, roles_, 1.0, unitPotential_V_, settings_.solver,
                       noProgress(), *potentialWorkspace_);
  // The solve's own Joule heating: computing it again here cost 3 % of a treatment's run.
  keepSolution(solution.heating_W_m3, solution.potential_V, solution.power_W, solution.iterations,
               sigma);
  if (settings_.nestedPotential) recordNestedBoundary(grid);
}

void RfSource::setNestedBox(const AblationGrid& grid) {
  if (!nestedFaces_.empty()) return;
  const ImageGeometry& g = grid.geometry;
  const Strides s(g);
  // The electrodes' active voxels, grown by the margin.
  const auto margin = std::int64_t(std::ceil(settings_.nestedMargin_mm / g.spacing_mm.x()));
  std::array<std::int64_t, 3> lo{g.size[0], g.size[1], g.size[2]}, hi{0, 0, 0};
  for (std::size_t v : voxels_.active) {
    const std::int64_t ijk[3] = {std::int64_t(v % s.sy),
                                 std::int64_t((v / s.sy) % std::size_t(s.ny)),
                                 std::int64_t(v / s.sz)};
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], ijk[a]);
      hi[a] = std::max(hi[a], ijk[a] + 1);
    }
  }
  for (int a = 0; a < 3; ++a) {
    nestedLo_[a] = std::max<std::int64_t>(0, lo[a] - margin);
    nestedHi_[a] = std::min<std::int64_t>(g.size[a], hi[a] + margin);
  }
  if (settings_.compositePotential) detail::CompositePotential::snapBox(g, nestedLo_, nestedHi_);
}

double RfSource::nestedFaceConductance(const NestedFace& face,
                                       std::span<const float> sigma_S_m) const {
  if (face.outerResistance < 0.0)
    return double(harmonicMean(sigma_S_m[face.inner], sigma_S_m[face.outer]));
  const double inner = sigma_S_m[face.inner];
  return inner > 0.0 ? 1.0 / (0.5 / inner + face.outerResistance) : 0.0;
}

template <class Body>
void RfSource::forEachFaceRun(Body&& body) const {
  // Chunks of about kFacesPerChunk faces, each end moved on to where the inner voxel changes.
  const std::size_t faces = nestedFaces_.size();
  auto runStart = [&](std::size_t f) {
    return detail::runBoundaryFrom(f, faces, [&](std::size_t a, std::size_t b) {
      return nestedFaces_[a].inner == nestedFaces_[b].inner;
    });
  };
  if (!nestedFacesGrouped_) {
    body(std::size_t(0), faces);
    return;
  }
  parallel::parallelFor(
      IndexRange{0, parallel::chunkCount({0, faces}, kFacesPerChunk)}, 1, [&](IndexRange chunks) {
        body(runStart(chunks.begin * kFacesPerChunk), runStart(chunks.end * kFacesPerChunk));
      });
}

void RfSource::indexNestedFaces() {
  const auto nx = std::size_t(gridSize_[0]), ny = std::size_t(gridSize_[1]);
  const auto bx = std::size_t(nestedHi_[0] - nestedLo_[0]);
  const auto by = std::size_t(nestedHi_[1] - nestedLo_[1]);
  for (NestedFace& face : nestedFaces_) {
    const std::size_t i = face.inner % nx, j = (face.inner / nx) % ny, k = face.inner / (nx * ny);
    face.boxInner = (i - std::size_t(nestedLo_[0])) +
                    bx * ((j - std::size_t(nestedLo_[1])) + by * (k - std::size_t(nestedLo_[2])));
  }
  // Both listings (listNestedFaces, the composite grid's couplings) walk the box's voxels in
  // order, so the faces are sorted by inner voxel: forEachFaceRun relies on it.
  nestedFacesGrouped_ =
      std::is_sorted(nestedFaces_.begin(), nestedFaces_.end(),
                     [](const NestedFace& a, const NestedFace& b) { return a.inner < b.inner; });
}

void RfSource::keepFullSolve() {
  const std::vector<double>& u = unitPotential_V_;
  // Each face's beta and current in parallel, the currents summed in the faces' order.
  nestedFaceCurrents_.resize(nestedFaces_.size());
  parallel::parallelFor(IndexRange{0, nestedFaces_.size()}, kFacesPerChunk, [&](IndexRange r) {
    for (std::size_t f = r.begin; f < r.end; ++f) {
      NestedFace& face = nestedFaces_[f];
      // 0 <= V <= 1 by the maximum principle; where V vanishes the face carries nothing.
      face.beta =
          u[face.inner] > 1e-12 ? float(std::clamp(u[face.outer] / u[face.inner], 0.0, 1.0)) : 0.0f;
      nestedFaceCurrents_[f] =
          nestedFaceConductance(face, solvedSigma_S_m_) * (u[face.inner] - u[face.outer]);
    }
  });
  fullFaceCurrent_A_ = 0.0;
  for (double current : nestedFaceCurrents_) fullFaceCurrent_A_ += current;
  // The nested steps leave the outside's potential and SAR as they are and read them scaled
  // (outsideScale_): no copies.
  if (!exteriorBounded()) fullSigma_S_m_ = solvedSigma_S_m_;
  fullHeatingSum_ = heatingSum(unitHeating_W_m3_);
  solvesSinceFull_ = 0;
  outsideScale_ = 1.0;
  // The full solve's power outside the box (the nested steps scale it by outsideScale_^2).
  fullOutsidePower_W_ = unitPower_W_ - boxPower_W();
}

double RfSource::boxPower_W() const {
  double sum = 0.0;
  forEachBoxRow([&](std::size_t v0, std::size_t, std::int64_t count) {
    for (std::size_t v = v0; v < v0 + std::size_t(count); ++v) sum += unitHeating_W_m3_[v];
  });
  return voxelsPower_W(sum);
}

double RfSource::voxelsPower_W(double heatingSum_W_m3) const {
  const double h_m = voxelSize_mm_ * 1e-3;
  return heatingSum_W_m3 * h_m * h_m * h_m;
}

template <class Visit>
void RfSource::walkBoxMembership(parallel::IndexRange voxels, Visit&& visit) const {
  if (outsideScale_ == 1.0) {  // nothing to tell apart (and no box before the first solve)
    visit(voxels.begin, voxels.end, false);
    return;
  }
  splitByBox(voxels, visit);
}

template <class Visit>
void RfSource::forEachExteriorStretch(Visit&& visit) const {
  const auto plane = std::size_t(gridSize_[0] * gridSize_[1]);
  parallel::parallelFor(IndexRange{0, std::size_t(gridSize_[2])}, 1, [&](IndexRange planes) {
    splitByBox({planes.begin * plane, planes.end * plane},
               [&](std::size_t first, std::size_t last, bool outside) {
                 if (outside) visit(first, last);
               });
  });
}

template <class T, class Stretch, class Combine>
T RfSource::reduceOutsideBox(T identity, Stretch&& stretch, Combine&& combine) const {
  const auto plane = std::size_t(gridSize_[0] * gridSize_[1]);
  return parallel::parallelReduce(
      IndexRange{0, std::size_t(gridSize_[2])}, 1, identity,
      [&](IndexRange planes) {
        T sum = identity;
        splitByBox({planes.begin * plane, planes.end * plane},
                   [&](std::size_t first, std::size_t last, bool outside) {
                     if (outside) stretch(first, last, sum);
                   });
        return sum;
      },
      combine);
}

template <class Visit>
void RfSource::forEachBoxStretch(Visit&& visit) const {
  const auto planes = std::size_t(nestedHi_[2] - nestedLo_[2]);
  parallel::parallelFor(IndexRange{0, planes}, 1, [&](IndexRange r) {
    forEachBoxRowOf(nestedLo_[2] + std::int64_t(r.begin), nestedLo_[2] + std::int64_t(r.end),
                    [&](std::size_t v0, std::size_t, std::int64_t count) {
                      visit(v0, v0 + std::size_t(count));
                    });
  });
}

template <class T, class Stretch, class Combine>
T RfSource::reduceInsideBox(T identity, Stretch&& stretch, Combine&& combine) const {
  const auto planes = std::size_t(nestedHi_[2] - nestedLo_[2]);
  return parallel::parallelReduce(
      IndexRange{0, planes}, 1, identity,
      [&](IndexRange r) {
        T sum = identity;
        forEachBoxRowOf(nestedLo_[2] + std::int64_t(r.begin), nestedLo_[2] + std::int64_t(r.end),
                        [&](std::size_t v0, std::size_t, std::int64_t count) {
                          stretch(v0, v0 + std::size_t(count), sum);
                        });
        return sum;
      },
      combine);
}

template <class Visit>
void RfSource::splitByBox(parallel::IndexRange voxels, Visit&& visit) const {
  // Row by row: the row's stretch before the box, in it, after it (one division per row).
  const auto nx = std::size_t(gridSize_[0]), ny = std::size_t(gridSize_[1]);
  std::size_t v = voxels.begin;
  while (v < voxels.end) {
    const std::size_t row = v / nx, rowStart = row * nx;
    const std::size_t rowEnd = std::min(voxels.end, rowStart + nx);
    const auto j = std::int64_t(row % ny), k = std::int64_t(row / ny);
    const bool rowIn =
        j >= nestedLo_[1] && j < nestedHi_[1] && k >= nestedLo_[2] && k < nestedHi_[2];
    const std::size_t boxBegin = std::clamp(rowStart + std::size_t(nestedLo_[0]), v, rowEnd);
    const std::size_t boxEnd = std::clamp(rowStart + std::size_t(nestedHi_[0]), v, rowEnd);
    if (!rowIn) {
      visit(v, rowEnd, true);
    } else {
      if (v < boxBegin) visit(v, boxBegin, true);
      if (boxBegin < boxEnd) visit(boxBegin, boxEnd, false);
      if (boxEnd < rowEnd) visit(boxEnd, rowEnd, true);
    }
    v = rowEnd;
  }
}

double RfSource::heatingSum(std::span<const float> heating_W_m3) const {
  // Plane by plane in voxel order, the planes in order.
  const auto plane = std::size_t(gridSize_[0] * gridSize_[1]);
  return parallel::parallelReduce(
      IndexRange{0, heating_W_m3.size() / plane}, 1, 0.0,
      [&](IndexRange planes) {
        double sum = 0.0;
        for (std::size_t v = planes.begin * plane; v < planes.end * plane; ++v)
          if (heating_W_m3[v] > 0.0f) sum += heating_W_m3[v];
        return sum;
      },
      [](double a, double b) { return a + b; });
}

template <class Row>
void RfSource::forEachBoxRow(Row&& row) const {
  forEachBoxRowOf(nestedLo_[2], nestedHi_[2], row);
}

template <class Row, class Task>
void RfSource::forEachBoxRowInParallel(Row&& row, Task&& beside) const {
  // Runs of planes of about kBoxVoxelsPerChunk voxels (a box plane holds a few thousand), after
  // task 0, beside().
  const std::int64_t plane = (nestedHi_[0] - nestedLo_[0]) * (nestedHi_[1] - nestedLo_[1]);
  const auto planesPerChunk =
      std::size_t(std::max<std::int64_t>(1, kBoxVoxelsPerChunk / std::max<std::int64_t>(plane, 1)));
  const auto planes = std::size_t(nestedHi_[2] - nestedLo_[2]);
  const std::size_t runs = parallel::chunkCount({0, planes}, planesPerChunk);
  parallel::parallelFor(IndexRange{0, runs + 1}, 1, [&](IndexRange tasks) {
    for (std::size_t task = tasks.begin; task < tasks.end; ++task) {
      if (task == 0) {
        beside();
        continue;
      }
      const std::size_t first = (task - 1) * planesPerChunk;
      const std::size_t last = std::min(planes, first + planesPerChunk);
      forEachBoxRowOf(nestedLo_[2] + std::int64_t(first), nestedLo_[2] + std::int64_t(last), row);
    }
  });
}

template <class Row>
void RfSource::forEachBoxRowOf(std::int64_t kFirst, std::int64_t kLast, Row&& row) const {
  const std::int64_t nx = gridSize_[0], ny = gridSize_[1];
  const std::int64_t count = nestedHi_[0] - nestedLo_[0];
  const std::int64_t by = nestedHi_[1] - nestedLo_[1];
  for (std::int64_t k = kFirst; k < kLast; ++k)
    for (std::int64_t j = nestedLo_[1]; j < nestedHi_[1]; ++j)
      row(std::size_t(nestedLo_[0] + nx * (j + ny * k)),
          std::size_t(count * ((j - nestedLo_[1]) + by * (k - nestedLo_[2]))), count);
}

void RfSource::keepSolution(std::vector<float>& heating_W_m3, std::vector<double>& potential_V,
                            double power_W, int iterations, std::vector<float>& sigma) {
  unitHeating_W_m3_.swap(heating_W_m3);  // the caller may reuse the old arrays
  unitPotential_V_.swap(potential_V);
  unitPower_W_ = power_W;
  solvedSigma_S_m_.swap(sigma);  // the caller reuses the old array
  ++potentialSolves_;
  potentialIterations_ += iterations;
  if (!(unitPower_W_ > 0.0)) {
    throw Error(ErrorKind::InvalidInput,
                "No current flows from the electrode: the tissue around it does not conduct "
                "(check the tissue table's electrical conductivity).",
                "RfSource");
  }
}

void RfSource::recordNestedBoundary(const AblationGrid& grid) {
  if (nestedFaces_.empty()) listNestedFaces(grid);
  keepFullSolve();
}

void RfSource::listNestedFaces(const AblationGrid& grid) {
  const ImageGeometry& g = grid.geometry;
  setNestedBox(grid);
  auto inBox = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return i >= nestedLo_[0] && i < nestedHi_[0] && j >= nestedLo_[1] && j < nestedHi_[1] &&
           k >= nestedLo_[2] && k < nestedHi_[2];
  };
  // Every face between a box voxel and a grid voxel outside the box, in a fixed order.
  for (std::int64_t k = nestedLo_[2]; k < nestedHi_[2]; ++k)
    for (std::int64_t j = nestedLo_[1]; j < nestedHi_[1]; ++j)
      for (std::int64_t i = nestedLo_[0]; i < nestedHi_[0]; ++i) {
        const std::size_t v = g.linearIndex(i, j, k);
        if (roles_[v] != NodeRole::Tissue) continue;
        const std::int64_t neighbours[6][3] = {{i - 1, j, k}, {i + 1, j, k}, {i, j - 1, k},
                                               {i, j + 1, k}, {i, j, k - 1}, {i, j, k + 1}};
        for (const auto& q : neighbours) {
          if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= g.size[0] || q[1] >= g.size[1] ||
              q[2] >= g.size[2] || inBox(q[0], q[1], q[2]))
            continue;
          nestedFaces_.push_back({v, g.linearIndex(q[0], q[1], q[2])});
        }
      }
  indexNestedFaces();
}

void RfSource::solveCompositePotential(const AblationGrid& grid, std::vector<float>& sigma) {
  setNestedBox(grid);
  if (!composite_) composite_ = std::make_unique<detail::CompositePotential>();
  if (!compositeFields_) compositeFields_ = std::make_unique<detail::CompositeSolution>();
  detail::CompositeSolution& solution = *compositeFields_;
  composite_->solveInto(solution, grid.geometry, sigma, roles_, nestedLo_, nestedHi_, 1.0,
                        unitPotential_V_, outsideScale_, settings_.solver);
  keepSolution(solution.heating_W_m3, solution.potential_V, solution.power_W, solution.iterations,
               sigma);
  // The box's faces are listed once (the box is fixed); their cells' resistances change.
  const std::vector<detail::CompositeFace>& faces = composite_->faces();
  if (nestedFaces_.empty()) {
    for (const detail::CompositeFace& face : faces)
      nestedFaces_.push_back({face.inner, face.outer});
    indexNestedFaces();
  }
  for (std::size_t f = 0; f < faces.size(); ++f)
    nestedFaces_[f].outerResistance = faces[f].outerResistance;
  keepFullSolve();
}

bool RfSource::nestedSolvePossible() const {
  return settings_.nestedPotential && solvesSinceFull_ < settings_.nestedFullSolveInterval &&
         fullFaceCurrent_A_ > 0.0 && fullHeatingSum_ > 0.0;
}

bool RfSource::nestedSolveAllowed(std::span<const float> sigma_S_m) const {
  if (!nestedSolvePossible()) return false;
  // The change of sigma outside the box since the full solve, weighted by its SAR, as a
  // fraction of the whole grid's Joule power (RfSettings::nestedOuterConductanceChange). The
  // nested steps leave the full solve's SAR outside the box as it was.
  const std::vector<float>& fullHeating = unitHeating_W_m3_;
  const std::vector<float>& fullSigma_S_m = fullSigma_S_m_;
  const double outside = reduceOutsideBox(
      0.0,
      [&](std::size_t first, std::size_t last, double& sum) {
        for (std::size_t v = first; v < last; ++v) {
          const double q = fullHeating[v];
          if (q > 0.0 && fullSigma_S_m[v] > 0.0f)
            sum += q * std::abs(double(sigma_S_m[v]) / double(fullSigma_S_m[v]) - 1.0);
        }
      },
      [](double a, double b) { return a + b; });
  return outside / fullHeatingSum_ <= settings_.nestedOuterConductanceChange;
}

namespace {

// scanExterior()'s sums: sum q |T - T_full| (each stretch's in float SIMD lanes, at most a row's
// voxels per lane's sum, then added in double; a single double sum cannot be vectorised),
// the lowest and highest temperature.
struct ExteriorSums {
  double heatWeighted = 0.0;
  float lowest = std::numeric_limits<float>::infinity();
  float highest = -std::numeric_limits<float>::infinity();
  void take(const float* t, const float* reference, const float* q, std::size_t count) {
    using Pack = stdx::native_simd<float>;
    Pack sum = 0.0f, low = lowest, high = highest;
    std::size_t v = 0;
    for (; v + Pack::size() <= count; v += Pack::size()) {
      const Pack tv(t + v, stdx::element_aligned), rv(reference + v, stdx::element_aligned),
          qv(q + v, stdx::element_aligned);
      sum += qv * stdx::abs(tv - rv);
      low = stdx::min(low, tv);
      high = stdx::max(high, tv);
    }
    double stretch = stdx::reduce(sum);
    lowest = stdx::hmin(low);
    highest = stdx::hmax(high);
    for (; v < count; ++v) {
      stretch += double(q[v] * std::abs(t[v] - reference[v]));
      lowest = std::min(lowest, t[v]);
      highest = std::max(highest, t[v]);
    }
    heatWeighted += stretch;
  }
  static ExteriorSums combine(ExteriorSums a, const ExteriorSums& b) {
    a.heatWeighted += b.heatWeighted;
    a.lowest = std::min(a.lowest, b.lowest);
    a.highest = std::max(a.highest, b.highest);
    return a;
  }
};

// The bound of sum q |sigma / sigma_reference - 1| outside the box: perKelvin times the
// SAR-weighted temperature change, with room for the roundings (sigma in float: each ratio off
// by up to 1.2e-7; the lanes' float sums of a row's terms: under 1e-5 of the sum).
double exteriorChangeBound(double perKelvin, double heatWeighted_K, double heatSum) {
  return perKelvin * heatWeighted_K * (1.0 + 1e-4) + 1e-6 * heatSum;
}

}  // namespace

RfSource::ExteriorChange RfSource::scanExterior(std::span<const float> temperature) const {
  const std::vector<float>& reference = temperatureAtFull_;
  const std::vector<float>& q = unitHeating_W_m3_;  // outside the box: the full solve's
  const ExteriorSums sums = reduceOutsideBox(
      ExteriorSums{},
      [&](std::size_t first, std::size_t last, ExteriorSums& x) {
        x.take(&temperature[first], &reference[first], &q[first], last - first);
      },
      ExteriorSums::combine);
  // A NaN temperature makes the sum NaN, and no bound then decides.
  return {sums.heatWeighted, double(sums.lowest), double(sums.highest)};
}

double RfSource::conductivityChangePerKelvin(const AblationGrid& grid,
                                             const ExteriorChange& reference,
                                             const ExteriorChange& now) const {
  const double start = settings_.vaporisationStart_degC;
  if (!(reference.highest_degC <= start) || !(now.highest_degC <= start))
    return std::numeric_limits<double>::infinity();  // the collapse is not linear
  // |g(a) - g(b)| <= |alpha| |a - b| for g(T) = max(0.05, 1 + alpha (T - 37)), and g(b) is
  // smallest at the reference's coldest (alpha > 0) or hottest (alpha < 0) voxel. The metal's
  // sigma does not change.
  double perKelvin = 0.0;
  for (const TissueProperties& tissue : grid.tissues) {
    const double alpha = tissue.electricalConductivityCoefficient_per_K;
    if (!(tissue.electricalConductivity_S_m > 0.0) || alpha == 0.0) continue;
    const double b = alpha > 0.0 ? reference.lowest_degC : reference.highest_degC;
    const double floor = linearConductivityFactor(alpha, b);
    perKelvin = std::max(perKelvin, std::abs(alpha) / floor);
  }
  return perKelvin;
}

template <class Scan>
RfSource::Verdict RfSource::boundedResolve(const AblationGrid& grid,
                                           std::span<const float> sigma_S_m,
                                           Scan&& exterior) const {
  // The box's share of weightedConductivityChange(), exact (outside the box q is the stored SAR
  // times outsideScale_^2, and its sum over the voxels that conduct was taken at the full solve).
  const WeightedChange inside = reduceInsideBox(
      WeightedChange{},
      [&](std::size_t first, std::size_t last, WeightedChange& sums) {
        sums.add(unitHeating_W_m3_, sigma_S_m, solvedSigma_S_m_, 1.0, first, last);
      },
      WeightedChange::combine);
  const double outsideFactor = outsideScale_ * outsideScale_;
  const double tolerance = settings_.resolveConductanceChange;
  // At least the box's share: the outside adds to the weighted sum, and its weights are at most
  // the SAR of every voxel there.
  const double mostWeights = inside.weights + outsideFactor * exteriorHeatingAll_;
  if (inside.weighted / mostWeights > tolerance * (1.0 + kDecisionSlack)) return Verdict::Yes;
  // At most the box's share plus the bound. The weights outside are exactly those of the voxels
  // that conducted at the full solve while no voxel there was above vaporisation then (sigma > 0
  // wherever sigma37 > 0, also at the last solve, which conductivityChangePerKelvin checks).
  const double outsideWeights = outsideFactor * exteriorHeatingSum_;
  const double weights = inside.weights + outsideWeights;
  if (!(weights > 0.0) || !(exteriorAtFull_.highest_degC <= settings_.vaporisationStart_degC))
    return Verdict::Open;
  // The last solve's outside sigma is that of its temperatures: |T - T_solve| <= |T - T_full| +
  // |T_solve - T_full| voxel by voxel.
  const ExteriorChange& now = exterior();
  const double outsideBound =
      outsideFactor * exteriorChangeBound(conductivityChangePerKelvin(grid, exteriorAtSolve_, now),
                                          now.heatWeighted_K + exteriorAtSolve_.heatWeighted_K,
                                          exteriorHeatingSum_);
  if ((inside.weighted + outsideBound) / weights <= tolerance * (1.0 - kDecisionSlack))
    return Verdict::No;
  return Verdict::Open;
}

RfSource::Verdict RfSource::boundedNestedSolve(const AblationGrid& grid,
                                               const ExteriorChange& now) const {
  const double bound = exteriorChangeBound(conductivityChangePerKelvin(grid, exteriorAtFull_, now),
                                           now.heatWeighted_K, exteriorHeatingSum_);
  return bound / fullHeatingSum_ <= settings_.nestedOuterConductanceChange * (1.0 - kDecisionSlack)
             ? Verdict::Yes
             : Verdict::Open;
}

void RfSource::updatePotential(const AblationGrid& grid, std::span<const float> temperature) {
  const std::size_t n = grid.geometry.voxelCount();
  if (exteriorBounded() && temperatureAtFull_.size() == n) {
    updateBoundedPotential(grid, temperature);
    return;
  }
  std::vector<float>& sigma = sigmaScratch_;
  conductivities(grid, temperature, sigma);
  if (solvedSigma_S_m_.size() == n &&
      !(weightedConductivityChange(sigma) > settings_.resolveConductanceChange))
    return;
  if (nestedSolveAllowed(sigma))
    solveNestedPotential(grid, sigma);
  else
    solveFull(grid, temperature, sigma);
}

void RfSource::updateBoundedPotential(const AblationGrid& grid,
                                      std::span<const float> temperature) {
  std::vector<float>& sigma = sigmaScratch_;
  conductivities(grid, temperature, sigma, Region::Box);
  // The outside's temperatures are read only for a decision the box's sums leave open.
  std::optional<ExteriorChange> scanned;
  auto exterior = [&]() -> const ExteriorChange& {
    if (!scanned) scanned = scanExterior(temperature);
    return *scanned;
  };
  bool exteriorComputed = false;
  auto computeExterior = [&] {
    if (!exteriorComputed) conductivities(grid, temperature, sigma, Region::Exterior);
    exteriorComputed = true;
  };
  Verdict resolve = boundedResolve(grid, sigma, exterior);
  if (resolve == Verdict::Open) {
    ++exteriorBoundsOpen_;
    // The sums as they were: sigma outside of this step's temperatures against the last solve's.
    computeExterior();
    conductivities(grid, solvesSinceFull_ == 0 ? temperatureAtFull_ : temperatureAtSolve_,
                   solvedSigma_S_m_, Region::Exterior);
    resolve = weightedConductivityChange(sigma) > settings_.resolveConductanceChange ? Verdict::Yes
                                                                                     : Verdict::No;
  }
  if (resolve == Verdict::No) return;
  Verdict nested = nestedSolvePossible() ? boundedNestedSolve(grid, exterior()) : Verdict::No;
  if (nested == Verdict::Open) {
    ++exteriorBoundsOpen_;
    computeExterior();
    conductivities(grid, temperatureAtFull_, fullSigma_S_m_, Region::Exterior);
    nested = nestedSolveAllowed(sigma) ? Verdict::Yes : Verdict::No;
  }
  if (nested == Verdict::Yes) {
    solveNestedPotential(grid, sigma);
    exteriorAtSolve_ = exterior();
    // The outside's temperatures, which its sigma now follows (the box's are not read).
    temperatureAtSolve_.resize(temperature.size());
    forEachExteriorStretch([&](std::size_t first, std::size_t last) {
      std::copy(temperature.begin() + std::ptrdiff_t(first),
                temperature.begin() + std::ptrdiff_t(last),
                temperatureAtSolve_.begin() + std::ptrdiff_t(first));
    });
    return;
  }
  computeExterior();
  solveFull(grid, temperature, sigma);
}

void RfSource::solveFull(const AblationGrid& grid, std::span<const float> temperature,
                         std::vector<float>& sigma) {
  solveUnitPotential(grid, sigma);
  if (exteriorBounded()) keepExterior(temperature);
}

bool RfSource::exteriorBounded() const {
  return settings_.nestedPotential && settings_.boundedExteriorConductivity &&
         !settings_.conductivityFollowsWater;
}

void RfSource::keepExterior(std::span<const float> temperature) {
  // Copied in parallel (4 MB on the 100^3 grid, a serial memcpy per full solve).
  temperatureAtFull_.resize(temperature.size());
  parallel::parallelFor(IndexRange{0, temperature.size()}, kGridVoxelsPerChunk, [&](IndexRange r) {
    std::copy(temperature.begin() + std::ptrdiff_t(r.begin),
              temperature.begin() + std::ptrdiff_t(r.end),
              temperatureAtFull_.begin() + std::ptrdiff_t(r.begin));
  });
  // The full solve's SAR outside the box, all of it and where sigma conducts: the weights the
  // sums count there while the outside stays below vaporisation (sigma > 0 wherever sigma37 > 0);
  // and the outside's temperature range (its change since this solve is 0).
  struct Sums {
    double all = 0.0, conducting = 0.0;
    float lowest = std::numeric_limits<float>::infinity();
    float highest = -std::numeric_limits<float>::infinity();
  };
  const Sums sums = reduceOutsideBox(
      Sums{},
      [&](std::size_t first, std::size_t last, Sums& sum) {
        for (std::size_t v = first; v < last; ++v) {
          sum.lowest = std::min(sum.lowest, temperature[v]);
          sum.highest = std::max(sum.highest, temperature[v]);
          if (!(unitHeating_W_m3_[v] > 0.0f)) continue;
          sum.all += unitHeating_W_m3_[v];
          if (solvedSigma_S_m_[v] > 0.0f) sum.conducting += unitHeating_W_m3_[v];
        }
      },
      [](Sums a, const Sums& b) {
        return Sums{a.all + b.all, a.conducting + b.conducting, std::min(a.lowest, b.lowest),
                    std::max(a.highest, b.highest)};
      });
  exteriorAtFull_ = {0.0, double(sums.lowest), double(sums.highest)};
  exteriorAtSolve_ = exteriorAtFull_;
  exteriorHeatingAll_ = sums.all;
  exteriorHeatingSum_ = sums.conducting;
}

void RfSource::solveNestedPotential(const AblationGrid& grid, std::vector<float>& sigma) {
  potentialIterations_ += solveNestedBox(grid, sigma, NestedUse::Step);
  solvedSigma_S_m_.swap(sigma);  // the caller reuses the old array
  ++potentialSolves_;
  ++nestedSolves_;
  ++solvesSinceFull_;
}

int RfSource::solveNestedBox(const AblationGrid& grid, std::span<const float> sigma,
                             NestedUse use) {
  const ImageGeometry& g = grid.geometry;
  ImageGeometry box;
  for (int a = 0; a < 3; ++a) box.size[a] = nestedHi_[a] - nestedLo_[a];
  box.spacing_mm = g.spacing_mm;
  const std::size_t m = box.voxelCount();
  if (!nestedWorkspace_) nestedWorkspace_ = std::make_unique<detail::PotentialWorkspace>();
  // The box's sigma, roles and first guess, slice by slice into arrays kept from solve to solve.
  detail::PotentialWorkspace::Box& b = nestedWorkspace_->box;
  b.sigma.resize(m);
  b.roles.resize(m);
  b.warm.resize(m);
  forEachSlice(Strides(box), [&](std::int64_t k) {
    for (std::int64_t j = 0; j < box.size[1]; ++j) {
      const std::size_t v0 = g.linearIndex(nestedLo_[0], nestedLo_[1] + j, nestedLo_[2] + k);
      const std::size_t n0 = box.linearIndex(0, j, k);
      for (std::int64_t i = 0; i < box.size[0]; ++i) {
        b.sigma[n0 + i] = sigma[v0 + i];
        b.roles[n0 + i] = roles_[v0 + i];
        b.warm[n0 + i] = unitPotential_V_[v0 + i];
      }
    }
  });
  nestedRobinConductances(sigma, m);
  PotentialSolution solution =
      solvePotentialIn(box, b.sigma, b.roles, 1.0, b.warm, settings_.solver, noProgress(),
                       *nestedWorkspace_, b.robin, /*totals=*/false);
  // The current through the box's faces against the full solve's: the scale of the potential
  // outside (and its square that of the SAR there).
  const double scale = nestedFaceCurrent_A(solution.potential_V) / fullFaceCurrent_A_;
  // The solution's arrays back to the workspace for the next nested solve, once copied out.
  auto lendBack = [&](PotentialSolution& done) {
    nestedWorkspace_->keptPotential.swap(done.potential_V);
    nestedWorkspace_->keptHeating.swap(done.heating_W_m3);
  };
  const double h_m = g.spacing_mm.x() * 1e-3, perVolume = 1.0 / (h_m * h_m);
  const bool withHeating = use == NestedUse::Step;  // a warm start needs the potential only
  // A step's faces' own power onto the box's SAR first: the copies below then write the final
  // SAR, and the box's power (its voxels' SAR summed in order, boxPower_W()'s sum: a chain of
  // dependent additions on one thread) is summed beside them, a task of the same loop.
  if (withHeating) addNestedFacePower(solution.heating_W_m3, solution.potential_V, perVolume);
  double boxHeatingSum_W_m3 = 0.0;
  // The outside keeps the full solve's fields, scaled where they are read (outsideScale_): a
  // nested step writes the box only. A warm start (the full solve's first guess, on the 1 mm
  // grid) scales the outside's potential in place; the full solve then writes every voxel.
  forEachBoxRowInParallel(
      [&](std::size_t v0, std::size_t n0, std::int64_t count) {
        if (withHeating)
          std::copy_n(solution.heating_W_m3.begin() + std::ptrdiff_t(n0), count,
                      unitHeating_W_m3_.begin() + std::ptrdiff_t(v0));
        std::copy_n(solution.potential_V.begin() + std::ptrdiff_t(n0), count,
                    unitPotential_V_.begin() + std::ptrdiff_t(v0));
      },
      [&] {
        if (!withHeating) return;
        double sum = 0.0;  // the box's voxels in boxPower_W()'s order (box index = its row order)
        for (float heating : solution.heating_W_m3) sum += heating;
        boxHeatingSum_W_m3 = sum;
      });
  if (!withHeating) {
    forEachExteriorStretch([&](std::size_t first, std::size_t last) {
      for (std::size_t v = first; v < last; ++v) unitPotential_V_[v] *= scale;
    });
    lendBack(solution);
    return solution.iterations;
  }
  lendBack(solution);
  outsideScale_ = scale;
  unitPower_W_ = voxelsPower_W(boxHeatingSum_W_m3) + scale * scale * fullOutsidePower_W_;
  return solution.iterations;
}

void RfSource::nestedRobinConductances(std::span<const float> sigma_S_m, std::size_t boxVoxels) {
  // Each face's conductance (read again for the faces' power) and Robin conductance, and each
  // face voxel's, its faces' summed in their order, in runs of faces in parallel. The Robin
  // conductances are zero off the face voxels, which are the same every solve (the box and its
  // faces are fixed): only theirs are cleared, not the whole box's array.
  detail::PotentialWorkspace::Box& b = nestedWorkspace_->box;
  const std::size_t faces = nestedFaces_.size();
  b.faceConductance.resize(faces);
  b.faceRobin_S_m.resize(faces);
  if (b.robin.size() != boxVoxels) b.robin.assign(boxVoxels, 0.0);
  forEachFaceRun([&](std::size_t first, std::size_t last) {
    for (std::size_t f = first; f < last; ++f) {
      const NestedFace& face = nestedFaces_[f];
      b.faceConductance[f] = nestedFaceConductance(face, sigma_S_m);
      b.faceRobin_S_m[f] = b.faceConductance[f] * (1.0 - double(face.beta));
      b.robin[face.boxInner] = 0.0;
    }
    for (std::size_t f = first; f < last; ++f)
      b.robin[nestedFaces_[f].boxInner] += b.faceRobin_S_m[f];
  });
}

double RfSource::nestedFaceCurrent_A(std::span<const double> boxPotential_V) {
  // Each face's current in parallel, summed in the faces' order.
  detail::PotentialWorkspace::Box& b = nestedWorkspace_->box;
  const std::size_t faces = nestedFaces_.size();
  b.faceCurrent_A_m.resize(faces);
  parallel::parallelFor(IndexRange{0, faces}, kFacesPerChunk, [&](IndexRange r) {
    for (std::size_t f = r.begin; f < r.end; ++f)
      b.faceCurrent_A_m[f] = b.faceRobin_S_m[f] * boxPotential_V[nestedFaces_[f].boxInner];
  });
  double current_A = 0.0;
  for (std::size_t f = 0; f < faces; ++f) current_A += b.faceCurrent_A_m[f];
  return current_A;
}

void RfSource::addNestedFacePower(std::span<float> boxHeating_W_m3,
                                  std::span<const double> boxPotential_V, double perVolume) {
  // The box faces' own Joule power, sigma_f h (V_inner (1 - beta))^2, on their inner voxels.
  // (In runs of faces in parallel: a voxel's faces add in their order.)
  const std::vector<double>& faceConductance = nestedWorkspace_->box.faceConductance;
  forEachFaceRun([&](std::size_t first, std::size_t last) {
    for (std::size_t f = first; f < last; ++f) {
      const NestedFace& face = nestedFaces_[f];
      const double dv = (1.0 - double(face.beta)) * boxPotential_V[face.boxInner];
      boxHeating_W_m3[face.boxInner] += float(faceShare(roles_[face.inner], roles_[face.outer]) *
                                              faceConductance[f] * dv * dv * perVolume);
    }
  });
}

double RfSource::hottestNextToElectrode(std::span<const float> temperature_degC) const {
  // From the coldest possible reading, not body temperature: excised tissue starts at room
  // temperature, and a floor at 37 degC made the controller see 37 degC there.
  if (electrodeNeighbours_.empty()) return kBodyTemperature_degC;
  double hottest = -std::numeric_limits<double>::infinity();
  for (std::size_t v : electrodeNeighbours_)
    hottest = std::max(hottest, double(temperature_degC[v]));
  return hottest;
}

double RfSource::decidePower(const ThermalState& state, double step_s, double impedance_ohm,
                             double controlled_degC) {
  switch (settings_.control) {
    case PowerControl::ConstantPower:
      return settings_.power_W;
    case PowerControl::ImpedanceControlled: {
      if (powerHeldOff(state.time_s)) return 0.0;
      if (impedanceRolledOff(impedance_ohm)) {
        powerOffUntil_s_ = state.time_s + settings_.rollOffPause_s;
        ++rollOffCount_;
        return 0.0;
      }
      return settings_.power_W;
    }
    case PowerControl::TemperatureControlled: {
      const double error_K = settings_.targetTemperature_degC - controlled_degC;
      const double proposed = settings_.controllerProportional_W_per_K * error_K +
                              controllerIntegral_W_ +
                              settings_.controllerIntegral_W_per_Ks * error_K * step_s;
      // Integrate only while the output is not saturated (anti-windup).
      if (proposed > 0.0 && proposed < settings_.maxPower_W) {
        controllerIntegral_W_ += settings_.controllerIntegral_W_per_Ks * error_K * step_s;
      }
      controllerPower_W_ = std::clamp(proposed, 0.0, settings_.maxPower_W);
      return controllerPower_W_;
    }
    case PowerControl::RampUntilRollOff:
      return rampPower(state, impedance_ohm, controlled_degC);
  }
  return 0.0;
}

double RfSource::rampPower(const ThermalState& state, double impedance_ohm,
                           double controlled_degC) {
  if (powerHeldOff(state.time_s)) return 0.0;
  const bool boiling =
      settings_.rollOffAtBoiling && controlled_degC >= settings_.vaporisationStart_degC;
  if (boiling || impedanceRolledOff(impedance_ohm)) {
    ++rollOffCount_;
    if (rollOffCount_ >= settings_.rampApplications) {
      rampEnded_ = true;
    } else {
      powerOffUntil_s_ = state.time_s + settings_.rollOffPause_s;
      rampStart_s_ = powerOffUntil_s_;
      heldPower_W_ = settings_.rampRestartFraction * rampPower_W_;
    }
    return 0.0;
  }
  // A held application is the one a next held application takes its fraction of.
  if (heldPower_W_ > 0.0) return rampPower_W_ = heldPower_W_;
  const double ramped_W =
      settings_.power_W + settings_.rampRate_W_per_min * (state.time_s - rampStart_s_) / 60.0;
  rampPower_W_ = std::min(ramped_W, settings_.maxPower_W);
  return rampPower_W_;
}

bool RfSource::impedanceRolledOff(double impedance_ohm) const {
  return impedance_ohm > baselineImpedance_ohm_ + settings_.rollOffImpedanceRise_ohm;
}

bool RfSource::powerHeldOff(double time_s) const {
  switch (settings_.control) {
    case PowerControl::ImpedanceControlled:
      return time_s < powerOffUntil_s_;
    case PowerControl::RampUntilRollOff:
      return rampEnded_ || time_s < powerOffUntil_s_;
    default:
      return false;
  }
}

void RfSource::depositedPower(const AblationGrid& grid, const ThermalState& state, double step_s,
                              std::vector<float>& power_W_m3) {
  const std::size_t n = grid.geometry.voxelCount();
  std::vector<float> body;
  std::span<const float> temperature(state.temperature_degC);
  if (temperature.size() != n) {
    body.assign(n, float(kBodyTemperature_degC));
    temperature = body;
  }
  // While the generator pauses after a roll-off no current flows, so the potential is not
  // needed: it is solved again when power returns (the pause's log lines carry the impedance of
  // the last solve).
  const bool paused = powerHeldOff(state.time_s);
  trackWater(state, n);
  if (!paused || solvedSigma_S_m_.size() != n) updatePotential(grid, temperature);

  // The equation is linear in V: at voltage V0 the power is V0^2 times the unit power, so the
  // impedance V0^2 / P is 1 / unitPower.
  const double impedance_ohm = 1.0 / unitPower_W_;
  if (log_.empty()) baselineImpedance_ohm_ = impedance_ohm;
  const double controlled_degC = hottestNextToElectrode(temperature);
  double power_W = decidePower(state, step_s, impedance_ohm, controlled_degC);
  if (settings_.maxCurrent_A > 0.0)
    power_W = std::min(power_W, settings_.maxCurrent_A * settings_.maxCurrent_A * impedance_ohm);
  const double scale = power_W / unitPower_W_;  // V0^2
  power_W_m3.resize(n);
  const double outsideScale = scale * (outsideScale_ * outsideScale_);
  // The SAR at this power and the drying cap in one pass. The cap: within a step, tissue whose
  // water has boiled off stops conducting (sigma collapses by vaporisationEnd_degC), so no voxel
  // can take more energy in a step than brings it to vaporisationEnd_degC with its remaining
  // latent heat; the power is explicit over the step, so without it the SAR at the electrode's
  // edges (~1e10 W/m3 on 1 mm voxels) heats dry tissue to ~1000 degC within one 5 s step (only
  // when the solver models vaporisation). With no power (a roll-off's pause, the end of the last
  // ramp) every voxel's power is 0 and nothing is left to cap.
  const bool off = power_W == 0.0;
  const std::span<const float> latent =
      off ? std::span<const float>() : std::span<const float>(state.latentHeatLeft_J_m3);
  const double removed_W = detail::fillAndLimitToDryingEnergy(
      grid, temperature, latent, settings_.vaporisationEnd_degC, step_s, power_W_m3,
      [&](IndexRange r) {
        if (off) {
          std::fill(power_W_m3.begin() + std::ptrdiff_t(r.begin),
                    power_W_m3.begin() + std::ptrdiff_t(r.end), 0.0f);
          return;
        }
        walkBoxMembership(r, [&](std::size_t first, std::size_t last, bool outside) {
          const double factor = outside ? outsideScale : scale;
          for (std::size_t v = first; v < last; ++v)
            power_W_m3[v] = float(unitHeating_W_m3_[v] * factor);
        });
      });
  deliveredPower_W_ = power_W - removed_W;
  log_.push_back({state.time_s, power_W, impedance_ohm, std::sqrt(power_W * impedance_ohm),
                  controlled_degC, power_W > 0.0});
}

double RfSource::powerUnchangedUntil_s() const {
  // The pause starts at the step whose power decision found the roll-off, so a step that starts
  // before powerOffUntil_s_ with no power delivers none until then. The power is zero whatever
  // the step's length, so the drying cap (which scales with the step) does not come into it.
  if (rampEnded_ && deliveredPower_W_ == 0.0) return std::numeric_limits<double>::infinity();
  const bool paused = !log_.empty() && deliveredPower_W_ == 0.0 && powerHeldOff(log_.back().time_s);
  return paused ? powerOffUntil_s_ : -std::numeric_limits<double>::infinity();
}

std::vector<HeldTemperature> RfSource::heldTemperatures(const AblationGrid& /*grid*/,
                                                        const ThermalState& /*state*/) {
  std::vector<HeldTemperature> held;
  if (!cooled_) return held;
  held.reserve(voxels_.active.size() + voxels_.shaft.size());
  for (std::size_t v : voxels_.active) held.push_back({v, float(coolant_degC_)});
  for (std::size_t v : voxels_.shaft) held.push_back({v, float(coolant_degC_)});
  return held;
}

}  // namespace twinplan::ablation
