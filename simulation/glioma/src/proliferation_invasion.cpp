#include "twinplan/glioma/proliferation_invasion.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::glioma {
namespace {

constexpr std::size_t kGrain = 4096;  // voxels per chunk: well under a millisecond each

bool finitePositive(double value) { return std::isfinite(value) && value > 0.0; }

double dot(std::span<const double> a, std::span<const double> b) {
  return parallel::parallelReduce(
      parallel::IndexRange{0, a.size()}, kGrain, 0.0,
      [&](parallel::IndexRange block) {
        double sum = 0.0;
        for (std::size_t n = block.begin; n < block.end; ++n) sum += a[n] * b[n];
        return sum;
      },
      [](double x, double y) { return x + y; });
}

// Face diffusivity between two cells: the harmonic mean, the flux-continuous choice for a
// jump in D (Patankar SV, Numerical Heat Transfer and Fluid Flow, 1980, section 4.2-3); 0 when
// either side is no brain, so no cell leaves the brain.
double faceDiffusivity(double a, double b) { return a > 0 && b > 0 ? 2 * a * b / (a + b) : 0.0; }

}  // namespace

double BrainDomain::voxelVolume_ml() const { return geometry.spacing_mm.prod() / 1000.0; }

std::size_t BrainDomain::brainVoxelCount() const {
  return static_cast<std::size_t>(std::count_if(
      tissue.begin(), tissue.end(), [](BrainTissue t) { return t != BrainTissue::NoBrain; }));
}

BrainDomain brainDomain(const LabelMap& labels, const Vec3& boxMin_lps, const Vec3& boxMax_lps,
                        const DomainOptions& options) {
  if (!finitePositive(options.spacing_mm))
    throw Error(ErrorKind::InvalidInput,
                "The glioma model grid spacing must be a positive number of millimetres.",
                std::to_string(options.spacing_mm));
  if ((boxMax_lps - boxMin_lps).minCoeff() <= 0)
    throw Error(ErrorKind::InvalidInput,
                "The glioma model box is empty: give a region of interest with extent in every "
                "direction.");
  // What each (layer, value) of the label map is, as brain tissue.
  std::vector<std::vector<BrainTissue>> classOf(static_cast<std::size_t>(labels.layerCount()));
  std::vector<std::vector<bool>> tumourOf(classOf.size());
  for (auto& table : classOf) table.assign(65536, BrainTissue::NoBrain);
  for (auto& table : tumourOf) table.assign(65536, false);
  bool hasBrain = false;
  for (const Segment& s : labels.segments()) {
    if (s.layer < 0 || s.layer >= labels.layerCount()) continue;
    const auto layer = static_cast<std::size_t>(s.layer);
    if (s.tissueType == options.greyTissueType) classOf[layer][s.value] = BrainTissue::GreyMatter;
    if (s.tissueType == options.whiteTissueType) classOf[layer][s.value] = BrainTissue::WhiteMatter;
    if (s.tissueType == options.tumourTissueType) tumourOf[layer][s.value] = true;
    hasBrain |= s.tissueType == options.greyTissueType || s.tissueType == options.whiteTissueType;
  }
  if (!hasBrain)
    throw Error(ErrorKind::NotFound,
                "Label map '" + labels.name + "' has no segment of tissue type '" +
                    options.greyTissueType + "' or '" + options.whiteTissueType +
                    "': segment the brain (e.g. the brain preset, or the phantom's truth) first.",
                labels.name);

  BrainDomain domain;
  const Vec3 extent = boxMax_lps - boxMin_lps;
  for (int a = 0; a < 3; ++a)
    domain.geometry.size[a] = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil(extent[a] / options.spacing_mm)));
  domain.geometry.spacing_mm = Vec3::Constant(options.spacing_mm);
  domain.geometry.origin_lps = boxMin_lps + Vec3::Constant(options.spacing_mm / 2);
  domain.tissue.assign(domain.geometry.voxelCount(), BrainTissue::NoBrain);
  const ImageGeometry& source = labels.geometry();
  const auto& g = domain.geometry;
  parallel::parallelFor({0, domain.tissue.size()}, kGrain, [&](parallel::IndexRange chunk) {
    for (std::size_t n = chunk.begin; n < chunk.end; ++n) {
      const auto idx = static_cast<std::int64_t>(n);
      const Vec3 ijk(static_cast<double>(idx % g.size[0]),
                     static_cast<double>((idx / g.size[0]) % g.size[1]),
                     static_cast<double>(idx / (g.size[0] * g.size[1])));
      const Vec3 at = source.lpsToIndex(g.indexToLps(ijk));
      if (!source.contains(at)) continue;
      const std::size_t s =
          source.linearIndex(std::llround(at[0]), std::llround(at[1]), std::llround(at[2]));
      BrainTissue tissue = BrainTissue::NoBrain;
      bool tumour = false;
      for (std::size_t layer = 0; layer < classOf.size(); ++layer) {
        const std::uint16_t value = labels.layer(static_cast<int>(layer))[s];
        if (value == 0) continue;
        if (classOf[layer][value] != BrainTissue::NoBrain) tissue = classOf[layer][value];
        tumour |= tumourOf[layer][value];
      }
      if (tissue == BrainTissue::NoBrain && tumour) tissue = options.tumourTissue;
      domain.tissue[n] = tissue;
    }
  });
  return domain;
}

double GrowthParameters::whiteMatterWaveSpeed_mm_per_day() const {
  return 2.0 * std::sqrt(whiteDiffusivity_mm2_per_day() * proliferation_per_day);
}

void GrowthParameters::validate() const {
  const std::pair<const char*, double> values[] = {
      {"grey-matter diffusivity (mm^2/day)", greyDiffusivity_mm2_per_day},
      {"white/grey diffusivity ratio", whiteToGreyRatio},
      {"proliferation rate (/day)", proliferation_per_day},
      {"alpha (/Gy)", alpha_perGy},
      {"alpha/beta (Gy)", alphaBeta_Gy}};
  for (const auto& [name, value] : values)
    if (!finitePositive(value))
      throw Error(ErrorKind::InvalidInput,
                  std::string("The glioma model's ") + name + " must be a positive number.",
                  std::to_string(value));
}

ProliferationInvasion::ProliferationInvasion(const BrainDomain& domain,
                                             const GrowthParameters& parameters,
                                             const SolverOptions& solver)
    : domain_(domain), parameters_(parameters), solver_(solver) {
  parameters_.validate();
  if (!finitePositive(solver_.step_days) || !finitePositive(solver_.tolerance) ||
      solver_.maxIterations < 1)
    throw Error(ErrorKind::InvalidInput,
                "The glioma solver needs a positive time step, tolerance and iteration limit.");
  if (domain_.tissue.size() != domain_.geometry.voxelCount())
    throw Error(ErrorKind::InvalidInput, "The glioma domain's tissue map does not fit its grid.");
  diffusivity_.resize(domain_.tissue.size());
  for (std::size_t n = 0; n < diffusivity_.size(); ++n) {
    switch (domain_.tissue[n]) {
      case BrainTissue::GreyMatter:
        diffusivity_[n] = parameters_.greyDiffusivity_mm2_per_day;
        break;
      case BrainTissue::WhiteMatter:
        diffusivity_[n] = parameters_.whiteDiffusivity_mm2_per_day();
        break;
      default:
        diffusivity_[n] = 0.0;
    }
  }
  // Face diffusivities towards the +i, +j and +k neighbour, and each voxel's sum over its faces.
  const auto& g = domain_.geometry;
  const std::int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  const std::size_t count = diffusivity_.size();
  faceX_.assign(count, 0.0);
  faceY_.assign(count, 0.0);
  faceZ_.assign(count, 0.0);
  faceSum_.assign(count, 0.0);
  for (std::int64_t k = 0; k < nz; ++k)
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) {
        const std::size_t n = g.linearIndex(i, j, k);
        const auto link = [&](std::vector<double>& face, std::size_t m) {
          face[n] = faceDiffusivity(diffusivity_[n], diffusivity_[m]);
          faceSum_[n] += face[n];
          faceSum_[m] += face[n];
        };
        if (i + 1 < nx) link(faceX_, n + 1);
        if (j + 1 < ny) link(faceY_, n + static_cast<std::size_t>(nx));
        if (k + 1 < nz) link(faceZ_, n + static_cast<std::size_t>(nx * ny));
      }
}

void ProliferationInvasion::reactionStep(std::vector<double>& c, double step_days) const {
  // The logistic ODE dc/dt = rho c (1 - c) solved exactly: c e / (1 - c + c e), e = exp(rho t).
  const double growth = std::exp(parameters_.proliferation_per_day * step_days);
  parallel::parallelFor({0, c.size()}, kGrain, [&](parallel::IndexRange chunk) {
    for (std::size_t n = chunk.begin; n < chunk.end; ++n)
      if (diffusivity_[n] > 0) c[n] = c[n] * growth / (1.0 - c[n] + c[n] * growth);
  });
}

void ProliferationInvasion::diffusionStep(std::vector<double>& c, double step_days) const {
  // Backward Euler: (I - dt L) c_new = c_old, with L the finite-volume Laplacian
  // (L c)_n = sum_faces D_face (c_m - c_n) / h^2. Symmetric positive definite: CG applies.
  const auto& g = domain_.geometry;
  const std::int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  const double scale = step_days / (g.spacing_mm[0] * g.spacing_mm[0]);
  const std::size_t count = c.size();
  const std::size_t lines = static_cast<std::size_t>(ny * nz);
  const std::size_t grainLines = std::max<std::size_t>(1, kGrain / static_cast<std::size_t>(nx));
  std::vector<double> diagonal(count);
  for (std::size_t n = 0; n < count; ++n) diagonal[n] = 1.0 + scale * faceSum_[n];
  // y = (I - dt L) x, line by line (i fastest) so that neighbours are plain offsets.
  auto apply = [&](std::span<const double> x, std::vector<double>& y) {
    parallel::parallelFor({0, lines}, grainLines, [&](parallel::IndexRange chunk) {
      for (std::size_t line = chunk.begin; line < chunk.end; ++line) {
        const auto j = static_cast<std::int64_t>(line) % ny,
                   k = static_cast<std::int64_t>(line) / ny;
        const std::size_t first = line * static_cast<std::size_t>(nx);
        for (std::int64_t i = 0; i < nx; ++i) {
          const std::size_t n = first + static_cast<std::size_t>(i);
          double coupled = 0.0;
          if (i > 0) coupled += faceX_[n - 1] * x[n - 1];
          if (i + 1 < nx) coupled += faceX_[n] * x[n + 1];
          if (j > 0) coupled += faceY_[n - nx] * x[n - nx];
          if (j + 1 < ny) coupled += faceY_[n] * x[n + nx];
          if (k > 0) coupled += faceZ_[n - nx * ny] * x[n - nx * ny];
          if (k + 1 < nz) coupled += faceZ_[n] * x[n + nx * ny];
          y[n] = diagonal[n] * x[n] - scale * coupled;
        }
      }
    });
  };
  const double rhsNorm = std::sqrt(dot(c, c));
  if (rhsNorm == 0.0) return;
  std::vector<double> residual(count), z(count), direction(count), product(count);
  apply(c, product);
  for (std::size_t n = 0; n < count; ++n) {
    residual[n] = c[n] - product[n];
    z[n] = residual[n] / diagonal[n];
  }
  direction = z;
  double rz = dot(residual, z);
  for (int iteration = 0; iteration < solver_.maxIterations; ++iteration) {
    if (std::sqrt(dot(residual, residual)) <= solver_.tolerance * rhsNorm) return;
    apply(direction, product);
    const double step = rz / dot(direction, product);
    parallel::parallelFor({0, count}, kGrain, [&](parallel::IndexRange chunk) {
      for (std::size_t n = chunk.begin; n < chunk.end; ++n) {
        c[n] += step * direction[n];
        residual[n] -= step * product[n];
        z[n] = residual[n] / diagonal[n];
      }
    });
    const double rzNext = dot(residual, z);
    const double beta = rzNext / rz;
    rz = rzNext;
    parallel::parallelFor({0, count}, kGrain, [&](parallel::IndexRange chunk) {
      for (std::size_t n = chunk.begin; n < chunk.end; ++n)
        direction[n] = z[n] + beta * direction[n];
    });
  }
  if (std::sqrt(dot(residual, residual)) > solver_.tolerance * rhsNorm)
    throw Error(ErrorKind::Internal,
                "The glioma diffusion solve did not converge in " +
                    std::to_string(solver_.maxIterations) +
                    " iterations; shorten the time step or coarsen the tolerance.");
}

void ProliferationInvasion::advance(std::vector<double>& c, double duration_days,
                                    Progress& progress) const {
  if (c.size() != domain_.tissue.size())
    throw Error(ErrorKind::InvalidInput, "The tumour density does not fit the glioma domain.");
  if (!(duration_days >= 0.0) || !std::isfinite(duration_days))
    throw Error(ErrorKind::InvalidInput, "The glioma model can only advance by a duration >= 0.",
                std::to_string(duration_days));
  if (duration_days == 0.0) return;
  const int steps =
      std::max(1, static_cast<int>(std::ceil(duration_days / solver_.step_days - 1e-9)));
  const double dt = duration_days / steps;
  for (int s = 0; s < steps; ++s) {
    progress.check();
    // Strang splitting: half reaction, full diffusion, half reaction (second order in dt).
    reactionStep(c, dt / 2);
    diffusionStep(c, dt);
    reactionStep(c, dt / 2);
    progress.report(static_cast<double>(s + 1) / steps, "Growing the tumour");
  }
}

void ProliferationInvasion::diffuse(std::vector<double>& c, double duration_days) const {
  if (c.size() != domain_.tissue.size())
    throw Error(ErrorKind::InvalidInput, "The tumour density does not fit the glioma domain.");
  const int steps =
      std::max(1, static_cast<int>(std::ceil(duration_days / solver_.step_days - 1e-9)));
  for (int s = 0; s < steps; ++s) diffusionStep(c, duration_days / steps);
}

double ProliferationInvasion::survivingFraction(double dose_Gy) const {
  const double beta = parameters_.alpha_perGy / parameters_.alphaBeta_Gy;
  return std::exp(-parameters_.alpha_perGy * dose_Gy - beta * dose_Gy * dose_Gy);
}

void ProliferationInvasion::irradiate(std::vector<double>& c,
                                      std::span<const double> fractionDose_Gy) const {
  if (c.size() != domain_.tissue.size() || fractionDose_Gy.size() != c.size())
    throw Error(ErrorKind::InvalidInput,
                "The fraction dose map does not fit the glioma domain: sample the dose onto the "
                "model grid first.");
  parallel::parallelFor({0, c.size()}, kGrain, [&](parallel::IndexRange chunk) {
    for (std::size_t n = chunk.begin; n < chunk.end; ++n)
      if (fractionDose_Gy[n] > 0) c[n] *= survivingFraction(fractionDose_Gy[n]);
  });
}

void ProliferationInvasion::irradiate(std::vector<double>& c, double fractionDose_Gy) const {
  const double survival = survivingFraction(fractionDose_Gy);
  for (double& value : c) value *= survival;
}

double ProliferationInvasion::cellBurden_ml(std::span<const double> c) const {
  return dot(c, std::vector<double>(c.size(), 1.0)) * domain_.voxelVolume_ml();
}

double ProliferationInvasion::visibleVolume_ml(std::span<const double> c, double threshold) const {
  const auto count = std::count_if(c.begin(), c.end(), [&](double v) { return v >= threshold; });
  return static_cast<double>(count) * domain_.voxelVolume_ml();
}

std::vector<double> seedDensity(const BrainDomain& domain, const Vec3& centre_lps, double peak,
                                double sigma_mm) {
  const auto& g = domain.geometry;
  std::vector<double> c(domain.tissue.size(), 0.0);
  bool any = false;
  for (std::size_t n = 0; n < c.size(); ++n) {
    if (domain.tissue[n] == BrainTissue::NoBrain) continue;
    const auto idx = static_cast<std::int64_t>(n);
    const Vec3 p = g.indexToLps(Vec3(static_cast<double>(idx % g.size[0]),
                                     static_cast<double>((idx / g.size[0]) % g.size[1]),
                                     static_cast<double>(idx / (g.size[0] * g.size[1]))));
    const double r2 = (p - centre_lps).squaredNorm();
    if (r2 > 9 * sigma_mm * sigma_mm) continue;
    c[n] = peak * std::exp(-r2 / (2 * sigma_mm * sigma_mm));
    any = true;
  }
  if (!any)
    throw Error(ErrorKind::InvalidInput,
                "No brain lies within 3 sigma of the tumour seed; put the seed inside the "
                "segmented brain.");
  return c;
}

std::vector<std::uint8_t> visibleMask(std::span<const double> density, double threshold) {
  std::vector<std::uint8_t> mask(density.size());
  for (std::size_t n = 0; n < mask.size(); ++n) mask[n] = density[n] >= threshold ? 1 : 0;
  return mask;
}

ScalarField densityField(const BrainDomain& domain, std::span<const double> density,
                         const std::string& name) {
  ScalarField field;
  field.name = name;
  field.quantity = "tumour cell density";
  field.unit = units::kDimensionless;
  field.geometry = domain.geometry;
  field.values.assign(density.begin(), density.end());
  return field;
}

}  // namespace twinplan::glioma
