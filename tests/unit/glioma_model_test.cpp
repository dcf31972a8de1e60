// The proliferation-invasion model (simulation/glioma) against analytic answers: Fisher's wave
// speed, conservation of cells by the no-flux diffusion, the LQ surviving fraction, and the brain
// domain against the head phantom's labels.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/glioma/proliferation_invasion.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/radiotherapy/radiobiology.h"

namespace twinplan::glioma {
namespace {

BrainDomain homogeneousDomain(std::array<std::int64_t, 3> size, double spacing_mm,
                              BrainTissue tissue) {
  BrainDomain domain;
  domain.geometry.size = size;
  domain.geometry.spacing_mm = Vec3::Constant(spacing_mm);
  domain.tissue.assign(domain.geometry.voxelCount(), tissue);
  return domain;
}

// Where c falls through 0.5 along axis `axis` (the first crossing from the seeded end), mm,
// linear between voxel centres.
double frontPosition_mm(const BrainDomain& domain, const std::vector<double>& c, int axis) {
  const auto& g = domain.geometry;
  const std::int64_t stride = axis == 0 ? 1 : axis == 1 ? g.size[0] : g.size[0] * g.size[1];
  for (std::int64_t n = 0; n + 1 < g.size[axis]; ++n) {
    const double a = c[static_cast<std::size_t>(n * stride)];
    const double b = c[static_cast<std::size_t>((n + 1) * stride)];
    if (a >= 0.5 && b < 0.5)
      return (static_cast<double>(n) + (a - 0.5) / (a - b)) * g.spacing_mm[0];
  }
  return -1;
}

// A front started from a step at one end reaches Fisher's speed 2 sqrt(D rho) slowly: its
// position lags c* t by (3 / (2 lambda)) ln t, lambda = sqrt(rho / D) (Bramson M, Mem Am Math
// Soc 1983;44(285)), so the speed measured between t1 and t2 is
// c* - 3 / (2 lambda) ln(t2 / t1) / (t2 - t1).
double bramsonSpeed(double D, double rho, double t1, double t2) {
  const double lambda = std::sqrt(rho / D);
  return 2 * std::sqrt(D * rho) - 3 / (2 * lambda) * std::log(t2 / t1) / (t2 - t1);
}

void expectFisherSpeed(std::array<std::int64_t, 3> size, int axis, double step_days) {
  const GrowthParameters parameters;  // Swanson 2000: white matter D 0.65 mm^2/day, rho 0.012/day
  const BrainDomain domain = homogeneousDomain(size, 1.0, BrainTissue::WhiteMatter);
  const ProliferationInvasion model(domain, parameters, {step_days, 1e-10, 500});
  std::vector<double> c(domain.tissue.size(), 0.0);
  const auto& g = domain.geometry;
  for (std::size_t n = 0; n < c.size(); ++n) {
    const auto idx = static_cast<std::int64_t>(n);
    const std::int64_t ijk[3] = {idx % g.size[0], (idx / g.size[0]) % g.size[1],
                                 idx / (g.size[0] * g.size[1])};
    if (ijk[axis] < 5) c[n] = 1.0;
  }
  const double t1 = 2000, t2 = 4000;
  model.advance(c, t1);
  const double x1 = frontPosition_mm(domain, c, axis);
  model.advance(c, t2 - t1);
  const double x2 = frontPosition_mm(domain, c, axis);
  const double D = parameters.whiteDiffusivity_mm2_per_day(),
               rho = parameters.proliferation_per_day;
  const double measured = (x2 - x1) / (t2 - t1);
  const double fisher = parameters.whiteMatterWaveSpeed_mm_per_day();
  EXPECT_NEAR(fisher, 2 * std::sqrt(0.65 * 0.012), 1e-12);
  EXPECT_NEAR(measured, fisher, 0.02 * fisher);
  EXPECT_NEAR(measured, bramsonSpeed(D, rho, t1, t2), 0.01 * fisher);
}

TEST(GliomaModel, FisherWaveSpeedIn1D) { expectFisherSpeed({900, 1, 1}, 0, 2.0); }

// The same plane front along the slice axis of a 3D block: every face of the 3D stencil is used
// (the transverse faces carry no net flux).
TEST(GliomaModel, FisherWaveSpeedIn3D) { expectFisherSpeed({2, 2, 800}, 2, 2.0); }

TEST(GliomaModel, DiffusionConservesCellsAndNeverLeavesTheBrain) {
  // A brain with a CSF wall across it and grey/white halves: cells spread, none cross the wall,
  // and the total count stays what it was (no-flux boundary, symmetric finite volumes).
  BrainDomain domain = homogeneousDomain({20, 16, 12}, 2.0, BrainTissue::GreyMatter);
  const auto& g = domain.geometry;
  for (std::size_t n = 0; n < domain.tissue.size(); ++n) {
    const auto i = static_cast<std::int64_t>(n) % g.size[0];
    if (i >= 10) domain.tissue[n] = BrainTissue::WhiteMatter;
    if (i == 14) domain.tissue[n] = BrainTissue::NoBrain;
  }
  const ProliferationInvasion model(domain, GrowthParameters{}, {1.0, 1e-13, 500});
  std::vector<double> c = seedDensity(domain, g.indexToLps(Vec3(12, 8, 6)), 1.0, 1.5);
  const double before = model.cellBurden_ml(c);
  model.diffuse(c, 200.0);
  const double after = model.cellBurden_ml(c);
  EXPECT_NEAR(after, before, 1e-10 * before);
  double beyondWall = 0, wall = 0;
  for (std::size_t n = 0; n < c.size(); ++n) {
    const auto i = static_cast<std::int64_t>(n) % g.size[0];
    if (i == 14) wall += c[n];
    if (i > 14) beyondWall += c[n];
  }
  EXPECT_EQ(wall, 0.0);
  EXPECT_EQ(beyondWall, 0.0);
  // It did spread: the seed's peak fell and grey matter (i < 10) received cells.
  double grey = 0;
  for (std::size_t n = 0; n < c.size(); ++n)
    if (static_cast<std::int64_t>(n) % g.size[0] < 10) grey += c[n];
  EXPECT_GT(grey, 0.01 * before / domain.voxelVolume_ml());
}

TEST(GliomaModel, SameBitsOnOneThreadAndOnMany) {
  BrainDomain domain = homogeneousDomain({40, 30, 20}, 2.0, BrainTissue::WhiteMatter);
  for (std::size_t n = 0; n < domain.tissue.size(); n += 3)
    domain.tissue[n] = BrainTissue::GreyMatter;
  const ProliferationInvasion model(domain, GrowthParameters{}, {2.0, 1e-10, 500});
  const std::vector<double> seed =
      seedDensity(domain, domain.geometry.indexToLps(Vec3(20, 15, 10)), 1.0, 4.0);
  std::vector<double> many = seed, one = seed;
  model.advance(many, 20.0);
  {
    parallel::ThreadLimit single(1);
    model.advance(one, 20.0);
  }
  EXPECT_EQ(one, many);
}

TEST(GliomaModel, LinearQuadraticSurvivalPerFraction) {
  GrowthParameters parameters;
  parameters.alpha_perGy = 0.05;  // beta = alpha / (alpha/beta) = 0.005 /Gy^2
  const ProliferationInvasion model(homogeneousDomain({4, 4, 4}, 2.0, BrainTissue::WhiteMatter),
                                    parameters);
  // exp(-0.05 * 2 - 0.005 * 4) = exp(-0.12)
  EXPECT_NEAR(model.survivingFraction(2.0), 0.88692043671715748, 1e-15);
  std::vector<double> c(64, 0.5);
  std::vector<double> dose(64, 2.0);
  dose[0] = 0.0;
  for (int f = 0; f < 30; ++f) model.irradiate(c, dose);
  // 30 x 2 Gy: ln S = -alpha BED (Fowler 1989), BED = 72 Gy for alpha/beta = 10 Gy.
  const double bed = radiotherapy::biologicallyEffectiveDose_Gy({60.0, 30}, 10.0);
  EXPECT_NEAR(bed, 72.0, 1e-12);
  EXPECT_NEAR(c[1], 0.5 * std::exp(-0.05 * 72.0), 1e-14);
  EXPECT_EQ(c[0], 0.5);  // no dose, no kill
}

TEST(GliomaModel, ImagingThresholdsOfSwansonAndHarpold) {
  const std::vector<double> c{0.0, 0.159, 0.16, 0.5, 0.799, 0.8, 1.0};
  const std::vector<std::uint8_t> t1{0, 0, 0, 0, 0, 1, 1}, t2{0, 0, 1, 1, 1, 1, 1};
  EXPECT_EQ(visibleMask(c, kT1GadoliniumThreshold), t1);
  EXPECT_EQ(visibleMask(c, kT2FlairThreshold), t2);
}

TEST(GliomaModel, BrainDomainSamplesThePhantomsGreyAndWhiteMatter) {
  phantom::PhantomOptions options;
  options.kind = phantom::PhantomKind::Head;
  options.scale = 0.5;
  options.surfaceModels = false;
  const phantom::Phantom head = phantom::makePhantom(options);
  const LabelMap& labels = head.twin.labelMaps.front();
  const Vec3 centre = head.tumours.front().centre_lps;
  const BrainDomain domain =
      brainDomain(labels, centre - Vec3::Constant(30), centre + Vec3::Constant(30), {4.0});
  EXPECT_EQ(domain.geometry.size, (std::array<std::int64_t, 3>{15, 15, 15}));
  // The sampled tissue is the label under each model voxel centre.
  std::size_t checked = 0;
  const auto grey = *labels.findSegment("Grey matter"), white = *labels.findSegment("White matter");
  for (std::size_t n = 0; n < domain.tissue.size(); n += 7) {
    const auto idx = static_cast<std::int64_t>(n);
    const auto& g = domain.geometry;
    const Vec3 at = labels.geometry().lpsToIndex(g.indexToLps(Vec3(
        static_cast<double>(idx % g.size[0]), static_cast<double>((idx / g.size[0]) % g.size[1]),
        static_cast<double>(idx / (g.size[0] * g.size[1])))));
    const auto i = std::llround(at[0]), j = std::llround(at[1]), k = std::llround(at[2]);
    if (labels.contains(grey, i, j, k)) {
      EXPECT_EQ(domain.tissue[n], BrainTissue::GreyMatter);
    }
    if (labels.contains(white, i, j, k)) {
      EXPECT_EQ(domain.tissue[n], BrainTissue::WhiteMatter);
    }
    ++checked;
  }
  EXPECT_GT(checked, 400u);
  // The tumour sits in the brain: both tissues are present around it.
  const auto count = [&](BrainTissue t) {
    return std::count(domain.tissue.begin(), domain.tissue.end(), t);
  };
  EXPECT_GT(count(BrainTissue::GreyMatter), 50);
  EXPECT_GT(count(BrainTissue::WhiteMatter), 50);
  EXPECT_THROW(brainDomain(labels, centre, centre, {4.0}), Error);
}

}  // namespace
}  // namespace twinplan::glioma
