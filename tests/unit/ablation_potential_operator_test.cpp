// The RF potential's operator on a voxel grid (simulation/ablation/src/potential_grid.h):
// applyOperatorSlice's wide loops (the rows' inner voxels, built for SSE2 and AVX2) and its
// voxel-by-voxel boundary against a plain operator written here, bit for bit; and the drying
// cap's pre-checked blocks (drying_cap.h) against a plain cap, bit for bit.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "ablation_test_tissue.h"
#include "drying_cap.h"
#include "potential_grid.h"
#include "twinplan/ablation/ablation_grid.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

using potential::FaceConductivity;
using potential::Strides;

// A 9 x 7 x 6 grid (rows of inner voxels long enough for a wide vector and a remainder) with
// sigma from 0.01 to 1 S/m, a 1e6 S/m electrode line, Ground voxels on two of the grid's faces
// and inside it, and Tissue everywhere else, the grid's other faces included (the general path
// then meets Tissue voxels on boundary rows and at rows' ends, as the nested box's faces do).
struct MixedGrid {
  ImageGeometry geometry;
  std::vector<float> sigma;
  std::vector<NodeRole> roles;
  FaceConductivity faces;

  MixedGrid() {
    geometry.size = {9, 7, 6};
    geometry.spacing_mm = Vec3(1.0, 1.0, 1.0);
    const std::size_t n = geometry.voxelCount();
    std::mt19937 random(17);
    std::uniform_real_distribution<float> conductivity(0.01f, 1.0f);
    sigma.resize(n);
    roles.assign(n, NodeRole::Tissue);
    for (std::int64_t k = 0; k < 6; ++k)
      for (std::int64_t j = 0; j < 7; ++j)
        for (std::int64_t i = 0; i < 9; ++i) {
          const std::size_t v = geometry.linearIndex(i, j, k);
          sigma[v] = conductivity(random);
          if (i == 4 && j == 3 && k >= 2 && k <= 3) {
            roles[v] = NodeRole::Electrode;
            sigma[v] = 1e6f;
          }
          if (i == 0 || k == 5 || (i == 6 && j == 2 && k == 2)) roles[v] = NodeRole::Ground;
        }
    potential::faceConductivity(Strides(geometry), sigma, faces);
  }
};

// The operator as rf_source.h defines it, one voxel at a time: on a Tissue voxel the flux
// diagonal * x minus each face's sigma_f x_q, in the order +x, -x, +y, -y, +z, -z, every product
// and the sum in double, times the sign, rounded to float once; 0 on other voxels.
template <class In>
std::vector<float> plainOperator(const MixedGrid& grid, const std::vector<In>& x, double sign) {
  const Strides s(grid.geometry);
  const FaceConductivity& f = grid.faces;
  std::vector<float> out(x.size());
  for (std::int64_t k = 0; k < s.nz; ++k)
    for (std::int64_t j = 0; j < s.ny; ++j)
      for (std::int64_t i = 0; i < s.nx; ++i) {
        const std::size_t p = grid.geometry.linearIndex(i, j, k);
        if (grid.roles[p] != NodeRole::Tissue) {
          out[p] = 0.0f;
          continue;
        }
        double flux = f.diagonal[p] * double(x[p]);
        if (i + 1 < s.nx) flux -= double(f.x[p]) * double(x[p + s.sx]);
        if (i > 0) flux -= double(f.x[p - s.sx]) * double(x[p - s.sx]);
        if (j + 1 < s.ny) flux -= double(f.y[p]) * double(x[p + s.sy]);
        if (j > 0) flux -= double(f.y[p - s.sy]) * double(x[p - s.sy]);
        if (k + 1 < s.nz) flux -= double(f.z[p]) * double(x[p + s.sz]);
        if (k > 0) flux -= double(f.z[p - s.sz]) * double(x[p - s.sz]);
        out[p] = float(sign * flux);
      }
  return out;
}

template <class In>
std::vector<In> randomPotential(std::size_t n, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> volts(0.0, 1.0);
  std::vector<In> x(n);
  for (In& value : x) value = In(volts(random));
  return x;
}

// The number of voxels whose float differs from the reference's in any bit (+0 and -0 apart).
std::size_t bitDifferences(const std::vector<float>& a, const std::vector<float>& b) {
  std::size_t differ = 0;
  for (std::size_t v = 0; v < a.size(); ++v)
    differ += std::bit_cast<std::uint32_t>(a[v]) != std::bit_cast<std::uint32_t>(b[v]) &&
              !(a[v] == 0.0f && b[v] == 0.0f);
  return differ;
}

template <class In>
void expectSlicesMatchThePlainOperator(unsigned seed) {
  const MixedGrid grid;
  const Strides s(grid.geometry);
  const std::vector<In> x = randomPotential<In>(grid.sigma.size(), seed);
  for (double sign : {1.0, -1.0}) {
    std::vector<float> out(x.size(), std::nanf(""));
    for (std::int64_t k = 0; k < s.nz; ++k)
      potential::applyOperatorSlice(s, grid.faces, grid.roles.data(), x.data(), out.data(), k,
                                    sign);
    const std::vector<float> expected = plainOperator(grid, x, sign);
    EXPECT_EQ(bitDifferences(out, expected), 0u) << "sign " << sign;
    // Spot values: a Tissue voxel inside the grid and one on a boundary row (not 0: the test
    // reads real fluxes), the electrode and an inner ground (0; -0 inside rows, which no sum
    // tells from 0).
    for (std::size_t v : {grid.geometry.linearIndex(3, 3, 2), grid.geometry.linearIndex(5, 0, 1)}) {
      EXPECT_NE(out[v], 0.0f) << "voxel " << v;
      EXPECT_EQ(std::bit_cast<std::uint32_t>(out[v]), std::bit_cast<std::uint32_t>(expected[v]))
          << "voxel " << v;
    }
    for (std::size_t v : {grid.geometry.linearIndex(4, 3, 2), grid.geometry.linearIndex(6, 2, 2)})
      EXPECT_EQ(out[v], 0.0f) << "voxel " << v;
    // The operator's x.out: per slice in voxel order from 0, the slices in order.
    std::vector<float> applied(x.size());
    const double dot = potential::applyOperator<In, float>(s, grid.faces, grid.roles, x, applied,
                                                           /*negate=*/sign < 0.0);
    double slices = 0.0;
    for (std::int64_t k = 0; k < s.nz; ++k) {
      double slice = 0.0;
      for (std::size_t v = s.sz * std::size_t(k); v < s.sz * std::size_t(k + 1); ++v)
        slice += double(x[v]) * double(expected[v]);
      slices += slice;
    }
    EXPECT_EQ(std::bit_cast<std::uint64_t>(dot), std::bit_cast<std::uint64_t>(slices));
  }
}

TEST(PotentialOperator, TheSliceOnTheSolutionMatchesThePlainOperatorBitForBit) {
  expectSlicesMatchThePlainOperator<double>(3);
}

TEST(PotentialOperator, TheSliceOnTheConjugateGradientsVectorsMatchesThePlainOperatorBitForBit) {
  expectSlicesMatchThePlainOperator<float>(5);
}

// The operator of a uniform conductor is 0 on a uniform potential (every face's flux vanishes)
// and, for x = the x index, sigma times the two faces' difference: 0 inside, -sigma at i = 0 on
// a Tissue voxel of the first column (its -x face is missing) and +sigma at the last.
TEST(PotentialOperator, AUniformConductorGivesTheFiniteVolumeFluxes) {
  ImageGeometry g;
  g.size = {12, 3, 3};
  g.spacing_mm = Vec3(1.0, 1.0, 1.0);
  const std::vector<float> sigma(g.voxelCount(), 0.5f);
  const std::vector<NodeRole> roles(g.voxelCount(), NodeRole::Tissue);
  FaceConductivity f;
  const Strides s(g);
  potential::faceConductivity(s, sigma, f);
  std::vector<double> x(g.voxelCount());
  for (std::int64_t k = 0; k < 3; ++k)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t i = 0; i < 12; ++i) x[g.linearIndex(i, j, k)] = double(i);
  std::vector<float> out(g.voxelCount());
  for (std::int64_t k = 0; k < 3; ++k)
    potential::applyOperatorSlice(s, f, roles.data(), x.data(), out.data(), k, 1.0);
  for (std::int64_t i = 0; i < 12; ++i) {
    const float expected = i == 0 ? -0.5f : i == 11 ? 0.5f : 0.0f;
    EXPECT_EQ(out[g.linearIndex(i, 1, 1)], expected) << "i " << i;
  }
}

// The cap as written before its blocks were pre-checked: every voxel tested in turn.
double plainCap(const AblationGrid& grid, std::span<const float> temperature,
                std::span<const float> latent, double vaporisationEnd_degC, double step_s,
                std::vector<float>& power) {
  const double h_m = grid.voxelSize_m();
  const double voxel_m3 = h_m * h_m * h_m;
  double removed_W = 0.0, chunk_W = 0.0;  // summed per chunk of the pass, the chunks in order
  for (std::size_t v = 0; v < power.size(); ++v) {
    if (v % kDryingCapChunk == 0) {
      removed_W += chunk_W;
      chunk_W = 0.0;
    }
    if (power[v] <= 0.0f) continue;
    const TissueProperties& t = grid.tissueAt(v);
    const double limit = (t.density_kg_m3 * t.heatCapacity_J_kgK *
                              std::max(0.0, vaporisationEnd_degC - double(temperature[v])) +
                          double(latent[v])) /
                         step_s;
    if (power[v] > limit) {
      chunk_W += (power[v] - limit) * voxel_m3;
      power[v] = float(limit);
    }
  }
  return removed_W + chunk_W;
}

// Capped voxels alone in a block, at a block's first and last voxel, at the chunk's end, a run
// across a block boundary, and a voxel just under the pre-check's margin: the pre-checked cap
// removes the same power (bit for bit) and leaves the same field as the plain one.
TEST(DryingCap, ThePreCheckedBlocksCapExactlyThePlainCapsVoxels) {
  const AblationGrid grid = uniformGrid(testing::testLiver(), {40, 40, 45}, 1.0);
  const std::size_t n = grid.geometry.voxelCount();
  ASSERT_GT(n, kDryingCapChunk + 3 * kDryingCapBlock);
  const double step_s = 5.0;
  std::vector<float> temperature(n, 60.0f), latent(n, 2.0e8f), power(n, 1.0e5f);
  std::mt19937 random(11);
  std::uniform_real_distribution<float> spread(0.5f, 1.5f);
  for (float& q : power) q *= spread(random);
  // 2e8 J/m3 over 5 s is 4e7 W/m3 of latent heat alone, plus the sensible heat to 105 degC.
  for (std::size_t v : {std::size_t(0), kDryingCapBlock - 1, kDryingCapBlock * 7,
                        kDryingCapChunk - 1, kDryingCapChunk, n - 1})
    power[v] = 9.0e7f;
  for (std::size_t v = 3 * kDryingCapBlock - 5; v < 3 * kDryingCapBlock + 5; ++v) power[v] = 2.0e8f;
  power[kDryingCapBlock * 9 + 3] = 0.0f;
  power[kDryingCapBlock * 11] = -1.0f;  // (no power is negative; the cap leaves it)
  // Just at the margin: 0.999 L / step, neither skipped by the pre-check nor capped.
  power[kDryingCapBlock * 13 + 17] = float(0.999 * 2.0e8 / step_s);
  std::vector<float> expected = power;
  const double expectedRemoved = plainCap(grid, temperature, latent, 105.0, step_s, expected);
  ASSERT_GT(expectedRemoved, 0.0);
  const double removed = limitToDryingEnergy(grid, temperature, latent, 105.0, step_s, power);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(removed), std::bit_cast<std::uint64_t>(expectedRemoved));
  EXPECT_EQ(bitDifferences(power, expected), 0u);
  EXPECT_LT(power[0], 9.0e7f);
  EXPECT_EQ(power[kDryingCapBlock * 13 + 17], float(0.999 * 2.0e8 / step_s));
}

}  // namespace
}  // namespace twinplan::ablation::detail
