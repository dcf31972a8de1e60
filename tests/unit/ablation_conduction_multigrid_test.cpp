// The multigrid cycle (a W-cycle by default) that preconditions the RF potential
// (simulation/ablation/src/ conduction_multigrid.h): conjugate gradients need it to be a symmetric
// positive definite operator, the project needs it bitwise the same on any thread count, and it
// must make the solve converge in a few iterations on a grid whose conductivity jumps by orders of
// magnitude.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <random>
#include <span>
#include <vector>

#include "composite_potential.h"
#include "conduction_multigrid.h"
#include "potential_grid.h"
#include "test_support.h"
#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

// A 29 x 27 x 25 grid (odd and even extents: coarse blocks of one and two voxels): sigma 0.33 S/m
// with a dried shell (x 1e-2) around an electrode line (fixed voxels) along z, an insulated
// shaft (1e-6 S/m) behind it, and the box faces fixed (ground). Faces are harmonic means.
// Other extents keep the electrode's and the shell's z range proportional.
struct JumpyGrid {
  std::int64_t nx = 29, ny = 27, nz = 25;
  std::vector<float> sigma, faceX, faceY, faceZ;
  std::vector<double> diagonal;
  std::vector<std::uint8_t> free;

  std::int64_t index(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return i + nx * (j + ny * k);
  }
  JumpyGrid(std::int64_t sizeX = 29, std::int64_t sizeY = 27, std::int64_t sizeZ = 25)
      : nx(sizeX), ny(sizeY), nz(sizeZ) {
    const auto n = std::size_t(nx * ny * nz);
    sigma.assign(n, 0.33f);
    free.assign(n, 1);
    const std::int64_t ci = nx / 2, cj = ny / 2;
    const std::int64_t tipLo = 8 * nz / 25, tipHi = 16 * nz / 25;
    const std::int64_t shellLo = 6 * nz / 25, shellHi = 18 * nz / 25;
    for (std::int64_t k = 0; k < nz; ++k)
      for (std::int64_t j = 0; j < ny; ++j)
        for (std::int64_t i = 0; i < nx; ++i) {
          const std::size_t v = std::size_t(index(i, j, k));
          const double r = std::hypot(double(i - ci), double(j - cj));
          if (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1) free[v] = 0;
          if (r < 0.5 && k >= tipLo && k <= tipHi) {
            free[v] = 0;  // electrode
            sigma[v] = 1e6f;
          } else if (r < 0.5 && k > tipHi) {
            sigma[v] = 1e-6f;  // shaft
          } else if (r < 2.5 && k >= shellLo && k <= shellHi) {
            sigma[v] = 0.0033f;  // dried tissue
          }
        }
    faceX.assign(n, 0.0f);
    faceY.assign(n, 0.0f);
    faceZ.assign(n, 0.0f);
    diagonal.assign(n, 0.0);
    auto mean = [](float a, float b) { return 2.0f * a * b / (a + b); };
    for (std::int64_t k = 0; k < nz; ++k)
      for (std::int64_t j = 0; j < ny; ++j)
        for (std::int64_t i = 0; i < nx; ++i) {
          const std::size_t v = std::size_t(index(i, j, k));
          if (i + 1 < nx) faceX[v] = mean(sigma[v], sigma[v + 1]);
          if (j + 1 < ny) faceY[v] = mean(sigma[v], sigma[v + std::size_t(nx)]);
          if (k + 1 < nz) faceZ[v] = mean(sigma[v], sigma[v + std::size_t(nx * ny)]);
        }
    for (std::int64_t k = 0; k < nz; ++k)
      for (std::int64_t j = 0; j < ny; ++j)
        for (std::int64_t i = 0; i < nx; ++i) {
          const std::size_t v = std::size_t(index(i, j, k));
          double d = double(faceX[v]) + faceY[v] + faceZ[v];
          if (i > 0) d += faceX[v - 1];
          if (j > 0) d += faceY[v - std::size_t(nx)];
          if (k > 0) d += faceZ[v - std::size_t(nx * ny)];
          diagonal[v] = d;
        }
  }
  ConductionMultigrid multigrid() const {
    ConductionMultigrid m;
    m.build(nx, ny, nz, faceX, faceY, faceZ, diagonal, free);
    return m;
  }
  // A r on free voxels, 0 elsewhere (r is 0 on fixed voxels).
  std::vector<double> apply(const std::vector<double>& x) const {
    std::vector<double> y(x.size(), 0.0);
    for (std::int64_t k = 1; k + 1 < nz; ++k)
      for (std::int64_t j = 1; j + 1 < ny; ++j)
        for (std::int64_t i = 1; i + 1 < nx; ++i) {
          const std::size_t v = std::size_t(index(i, j, k)), sy = std::size_t(nx),
                            sz = std::size_t(nx * ny);
          if (!free[v]) continue;
          y[v] = diagonal[v] * x[v] - faceX[v] * x[v + 1] - faceX[v - 1] * x[v - 1] -
                 faceY[v] * x[v + sy] - faceY[v - sy] * x[v - sy] - faceZ[v] * x[v + sz] -
                 faceZ[v - sz] * x[v - sz];
        }
    return y;
  }
  std::vector<double> randomOnFree(unsigned seed) const {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    std::vector<double> r(free.size(), 0.0);
    for (std::size_t v = 0; v < r.size(); ++v)
      if (free[v]) r[v] = uniform(generator);
    return r;
  }
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0.0;
  for (std::size_t v = 0; v < a.size(); ++v) sum += a[v] * b[v];
  return sum;
}

TEST(ConductionMultigrid, TheCycleIsSymmetricPositiveDefinite) {
  const JumpyGrid grid;
  for (int coarseCycles : {2, 1}) {  // the W-cycle (default), the V-cycle
    SCOPED_TRACE(coarseCycles);
    ConductionMultigrid m = grid.multigrid();
    m.setCoarseCycles(coarseCycles);
    EXPECT_EQ(m.levels(), 3u);  // 29 x 27 x 25 -> 15 x 14 x 13 -> 8 x 7 x 7
    const std::vector<double> a = grid.randomOnFree(1), b = grid.randomOnFree(2);
    std::vector<double> ma(a.size()), mb(b.size());
    m.apply(a, ma);
    m.apply(b, mb);
    // b.M a = a.M b: symmetric up to the cycle's float arithmetic.
    const double ab = dot(b, ma), ba = dot(a, mb);
    EXPECT_NEAR(ab / ba, 1.0, 1e-4);
    EXPECT_GT(dot(a, ma), 0.0);
    EXPECT_GT(dot(b, mb), 0.0);
    // Fixed voxels get no correction.
    for (std::size_t v = 0; v < ma.size(); ++v) {
      if (!grid.free[v]) {
        ASSERT_EQ(ma[v], 0.0) << v;
      }
    }
  }
}

// The composite grid's preconditioner (CompositeMultigrid): the jumpy grid's interior as the
// box (its faces free, coupled to the cells across), inside 13 x 14 x 15 cells of two voxels
// (uniform cellSigma, 0.33 S/m by default; the outer layer fixed: ground) that leave the box's
// voxels (14 x 12 x 18 by default, even extents) out from cell (3, 4, 5) on.
struct CompositeGrid {
  JumpyGrid box;
  std::int64_t cx = 13, cy = 14, cz = 15;
  std::array<std::int64_t, 3> boxCell{3, 4, 5};
  std::vector<float> cellFaceX, cellFaceY, cellFaceZ;
  std::vector<double> cellDiagonal;
  std::vector<std::uint8_t> cellFree;
  std::vector<CompositeCoupling> couplings;

  bool under(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return i >= boxCell[0] && i < boxCell[0] + box.nx / 2 && j >= boxCell[1] &&
           j < boxCell[1] + box.ny / 2 && k >= boxCell[2] && k < boxCell[2] + box.nz / 2;
  }
  explicit CompositeGrid(std::array<std::int64_t, 3> boxSize = {14, 12, 18},
                         float cellSigma = 0.33f)
      : box(boxSize[0], boxSize[1], boxSize[2]) {
    const auto cells = std::size_t(cx * cy * cz);
    cellFaceX.assign(cells, 0.0f);
    cellFaceY.assign(cells, 0.0f);
    cellFaceZ.assign(cells, 0.0f);
    cellDiagonal.assign(cells, 0.0);
    cellFree.assign(cells, 0);
    const float face = 2.0f * cellSigma;  // two half-cells of 2 mm in series through 4 mm^2
    for (std::int64_t k = 0; k < cz; ++k)
      for (std::int64_t j = 0; j < cy; ++j)
        for (std::int64_t i = 0; i < cx; ++i) {
          const auto c = std::size_t(i + cx * (j + cy * k));
          const bool ground =
              i == 0 || j == 0 || k == 0 || i + 1 == cx || j + 1 == cy || k + 1 == cz;
          cellFree[c] = !ground && !under(i, j, k);
          if (under(i, j, k)) continue;
          if (i + 1 < cx && !under(i + 1, j, k)) cellFaceX[c] = face;
          if (j + 1 < cy && !under(i, j + 1, k)) cellFaceY[c] = face;
          if (k + 1 < cz && !under(i, j, k + 1)) cellFaceZ[c] = face;
        }
    for (std::int64_t k = 0; k < cz; ++k)
      for (std::int64_t j = 0; j < cy; ++j)
        for (std::int64_t i = 0; i < cx; ++i) {
          const auto c = std::size_t(i + cx * (j + cy * k));
          double d = double(cellFaceX[c]) + cellFaceY[c] + cellFaceZ[c];
          if (i > 0) d += cellFaceX[c - 1];
          if (j > 0) d += cellFaceY[c - std::size_t(cx)];
          if (k > 0) d += cellFaceZ[c - std::size_t(cx * cy)];
          cellDiagonal[c] = d;
        }
    // The box's faces are tissue here, each coupled to the cell across (half a voxel and a
    // cell in series through 1 mm^2).
    for (std::int64_t k = 0; k < box.nz; ++k)
      for (std::int64_t j = 0; j < box.ny; ++j)
        for (std::int64_t i = 0; i < box.nx; ++i) {
          const auto v = std::size_t(box.index(i, j, k));
          box.free[v] = box.sigma[v] < 1e5f;
          const std::int64_t at[3] = {i, j, k}, extent[3] = {box.nx, box.ny, box.nz};
          for (int a = 0; a < 3; ++a)
            for (int side : {-1, 1}) {
              if (side < 0 ? at[a] != 0 : at[a] + 1 != extent[a]) continue;
              std::int64_t cell[3] = {boxCell[0] + i / 2, boxCell[1] + j / 2, boxCell[2] + k / 2};
              cell[a] += side;
              const auto c = std::uint32_t(cell[0] + cx * (cell[1] + cy * cell[2]));
              const double g = 1.0 / (0.5 / box.sigma[v] + 1.0 / double(cellSigma));
              couplings.push_back({std::uint32_t(v), c, float(g)});
              box.diagonal[v] += g;
              cellDiagonal[c] += g;
            }
        }
  }
  void buildInto(CompositeMultigrid& m) const {
    m.build(box.nx, box.ny, box.nz, box.faceX, box.faceY, box.faceZ, box.diagonal, box.free, cx, cy,
            cz, cellFaceX, cellFaceY, cellFaceZ, cellDiagonal, cellFree, boxCell, couplings);
  }
  CompositeMultigrid multigrid() const {
    CompositeMultigrid m;
    buildInto(m);
    return m;
  }
  // M^-1 r for r = random(seed), box voxels then cells.
  std::vector<float> applyTo(CompositeMultigrid& m, unsigned seed) const {
    const std::vector<float> r = random(seed);
    std::vector<float> z(r.size());
    const std::size_t boxSize = box.free.size();
    m.apply(std::span<const float>(r).first(boxSize), std::span<const float>(r).subspan(boxSize),
            std::span<float>(z).first(boxSize), std::span<float>(z).subspan(boxSize));
    return z;
  }
  // A random vector on the unknowns (box voxels and cells outside the box), in float.
  std::vector<float> random(unsigned seed) const {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> r(box.free.size() + cellFree.size(), 0.0f);
    for (std::size_t v = 0; v < box.free.size(); ++v)
      if (box.free[v]) r[v] = uniform(generator);
    for (std::size_t c = 0; c < cellFree.size(); ++c)
      if (cellFree[c]) r[box.free.size() + c] = uniform(generator);
    return r;
  }
};

// The composite cycle on `grid` is a symmetric positive definite M^-1 that leaves fixed voxels,
// ground cells and the cells under the box uncorrected.
void expectSymmetricPositiveDefinite(const CompositeGrid& grid) {
  CompositeMultigrid m = grid.multigrid();
  const std::size_t boxSize = grid.box.free.size();
  auto apply = [&](const std::vector<float>& r) {
    std::vector<float> z(r.size());
    m.apply(std::span<const float>(r).first(boxSize), std::span<const float>(r).subspan(boxSize),
            std::span<float>(z).first(boxSize), std::span<float>(z).subspan(boxSize));
    return z;
  };
  auto dotOf = [](const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0.0;
    for (std::size_t v = 0; v < a.size(); ++v) sum += double(a[v]) * double(b[v]);
    return sum;
  };
  const std::vector<float> a = grid.random(1), b = grid.random(2);
  const std::vector<float> ma = apply(a), mb = apply(b);
  const double ab = dotOf(b, ma), ba = dotOf(a, mb);
  std::printf("composite cycle: b.Ma %.8g, a.Mb %.8g, a.Ma %.6g\n", ab, ba, dotOf(a, ma));
  EXPECT_NEAR(ab / ba, 1.0, 1e-4);
  EXPECT_GT(dotOf(a, ma), 0.0);
  EXPECT_GT(dotOf(b, mb), 0.0);
  // No correction on fixed voxels (the electrode), ground cells or the cells under the box.
  for (std::size_t v = 0; v < boxSize; ++v)
    if (!grid.box.free[v]) {
      ASSERT_EQ(ma[v], 0.0f) << v;
    }
  for (std::size_t c = 0; c < grid.cellFree.size(); ++c)
    if (!grid.cellFree[c]) {
      ASSERT_EQ(ma[boxSize + c], 0.0f) << c;
    }
}

TEST(CompositeMultigrid, TheCycleIsSymmetricPositiveDefinite) {
  expectSymmetricPositiveDefinite(CompositeGrid());
}

// A composite box one voxel wide (a composite axis of one-voxel cells can give one): each row
// holds one voxel, of one colour; the other colour's slot of that row is frame and stays empty.
TEST(CompositeMultigrid, ABoxOneVoxelWideGivesASymmetricPositiveDefiniteCycle) {
  expectSymmetricPositiveDefinite(CompositeGrid({1, 12, 18}));
}

TEST(ConductionMultigrid, OneThreadAndAllGiveTheSameBits) {
  if (parallel::maxThreads() == 1) GTEST_SKIP() << "one thread only: nothing to compare";
  const JumpyGrid grid;
  const std::vector<double> r = grid.randomOnFree(3);
  std::vector<double> one(r.size()), all(r.size());
  {
    const parallel::ThreadLimit limit(1);
    ConductionMultigrid m = grid.multigrid();
    m.apply(r, one);
  }
  ConductionMultigrid m = grid.multigrid();
  m.apply(r, all);
  EXPECT_EQ(one, all);
}

TEST(ConductionMultigrid, ARebuiltPreconditionerEqualsAFreshOne) {
  // The RF source rebuilds one preconditioner at every potential solve, reusing its levels'
  // arrays: a rebuild on another grid (here with more levels, then fewer) must leave nothing
  // of the earlier one behind.
  const JumpyGrid small, large(37, 35, 33);
  const std::vector<double> rSmall = small.randomOnFree(5), rLarge = large.randomOnFree(6);
  ConductionMultigrid fresh = small.multigrid();
  std::vector<double> expected(rSmall.size()), reused(rSmall.size());
  fresh.apply(rSmall, expected);
  ConductionMultigrid m = small.multigrid();
  m.build(large.nx, large.ny, large.nz, large.faceX, large.faceY, large.faceZ, large.diagonal,
          large.free);
  EXPECT_EQ(m.levels(), 4u);  // 37 x 35 x 33 -> 19 x 18 x 17 -> 10 x 9 x 9 -> 5 x 5 x 5
  std::vector<double> largeReused(rLarge.size()), largeFresh(rLarge.size());
  m.apply(rLarge, largeReused);
  ConductionMultigrid freshLarge = large.multigrid();
  freshLarge.apply(rLarge, largeFresh);
  EXPECT_EQ(largeReused, largeFresh);
  m.build(small.nx, small.ny, small.nz, small.faceX, small.faceY, small.faceZ, small.diagonal,
          small.free);
  EXPECT_EQ(m.levels(), 3u);
  m.apply(rSmall, reused);
  EXPECT_EQ(reused, expected);
  // A rebuild on a grid of the same size (the RF source's every solve of the nested box) keeps
  // the finest level's colour-split arrays and writes only their voxels: here the fixed
  // electrode line moved one voxel along x (its old voxels free again, the new ones fixed).
  JumpyGrid moved = small;
  for (std::int64_t k = 1; k + 1 < moved.nz; ++k) {
    const std::size_t line = std::size_t(moved.index(moved.nx / 2, moved.ny / 2, k));
    std::swap(moved.free[line], moved.free[line + 1]);
  }
  const std::vector<double> rMoved = moved.randomOnFree(9);
  std::vector<double> movedReused(rMoved.size()), movedFresh(rMoved.size());
  m.build(moved.nx, moved.ny, moved.nz, moved.faceX, moved.faceY, moved.faceZ, moved.diagonal,
          moved.free);
  m.apply(rMoved, movedReused);
  moved.multigrid().apply(rMoved, movedFresh);
  EXPECT_EQ(movedReused, movedFresh);
  for (std::size_t v = 0; v < movedReused.size(); ++v) {
    if (!moved.free[v]) {
      ASSERT_EQ(movedReused[v], 0.0) << v;  // the new electrode voxels too
    }
  }
  EXPECT_NE(movedReused, reused);
}

TEST(CompositeMultigrid, ARebuiltPreconditionerEqualsAFreshOne) {
  // The composite solve rebuilds one preconditioner at every solve, reusing its arrays (the
  // couplings and their runs, the coarse grid's operator, the box's levels): a rebuild on
  // another box (fewer couplings, other targets) and other conductances, then on the first
  // again, must leave nothing of the one before.
  const CompositeGrid first, other({10, 12, 14}, 0.8f);
  CompositeMultigrid freshFirst = first.multigrid(), freshOther = other.multigrid();
  const std::vector<float> expectedFirst = first.applyTo(freshFirst, 11);
  const std::vector<float> expectedOther = other.applyTo(freshOther, 12);
  CompositeMultigrid m = first.multigrid();
  other.buildInto(m);
  EXPECT_EQ(other.applyTo(m, 12), expectedOther);
  first.buildInto(m);
  const std::vector<float> reused = first.applyTo(m, 11);
  EXPECT_EQ(reused, expectedFirst);
  EXPECT_GT(std::count_if(reused.begin(), reused.end(), [](float z) { return z != 0.0f; }),
            std::ptrdiff_t(reused.size() / 2));
}

TEST(CompositeMultigrid, ARebuildWithOtherCouplingsOnTheSameGridsPlacesThemAgain) {
  // A build places each coupling's box voxel and parent cell once and keeps them while the
  // couplings' box voxels and the grids stay the same (every solve of an RF run): the same grids
  // with the couplings in another order, and with every third one left out, must not reuse them.
  const CompositeGrid first;
  CompositeGrid reversed = first, fewer = first;
  std::reverse(reversed.couplings.begin(), reversed.couplings.end());
  fewer.couplings.clear();
  for (std::size_t c = 0; c < first.couplings.size(); ++c)
    if (c % 3 != 0) fewer.couplings.push_back(first.couplings[c]);
  for (const CompositeGrid* changed : {&reversed, &fewer}) {
    CompositeMultigrid fresh = changed->multigrid();
    const std::vector<float> expected = changed->applyTo(fresh, 13);
    CompositeMultigrid m = first.multigrid();
    changed->buildInto(m);
    EXPECT_EQ(changed->applyTo(m, 13), expected);
  }
}

TEST(CompositeMultigrid, ABuildOnArraysOfTheWrongSizeThrowsAndTheNextBuildIsRight) {
  // The build copies the coarse grid's five arrays over one count: arrays of other sizes are an
  // Error(Internal), not a write past an array's end.
  const CompositeGrid grid;
  CompositeGrid shortFaces;
  shortFaces.cellFaceY.pop_back();
  CompositeMultigrid m = grid.multigrid();
  EXPECT_THROW(shortFaces.buildInto(m), Error);
  CompositeMultigrid fresh = grid.multigrid();
  grid.buildInto(m);
  EXPECT_EQ(grid.applyTo(m, 13), grid.applyTo(fresh, 13));
}

// The cycle as the header describes it, written plainly in double (no parallel loops, no
// shortcuts): Galerkin levels P^T A P / 2 with piecewise-constant P down to a level with an
// extent under 8, 2 red-black sweeps before and after each coarse correction (red then black,
// then black then red), the coarse level cycled `coarseCycles` times from zero, 12 + 12 sweeps
// on the coarsest level. The production cycle (float, parallel, cycles started from zero
// without clearing, row-wise transfers, arrays reused) must give the same correction.
struct TextbookLevel {
  std::int64_t nx, ny, nz;
  std::vector<double> diagonal, faceX, faceY, faceZ;
  std::vector<std::uint8_t> free;
  std::int64_t index(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return i + nx * (j + ny * k);
  }
};

TextbookLevel textbookCoarse(const TextbookLevel& f) {
  TextbookLevel c{(f.nx + 1) / 2, (f.ny + 1) / 2, (f.nz + 1) / 2, {}, {}, {}, {}, {}};
  const auto n = std::size_t(c.nx * c.ny * c.nz);
  c.diagonal.assign(n, 0.0);
  c.faceX.assign(n, 0.0);
  c.faceY.assign(n, 0.0);
  c.faceZ.assign(n, 0.0);
  c.free.assign(n, 0);
  for (std::int64_t k = 0; k < f.nz; ++k)
    for (std::int64_t j = 0; j < f.ny; ++j)
      for (std::int64_t i = 0; i < f.nx; ++i) {
        const std::int64_t v = f.index(i, j, k), C = c.index(i / 2, j / 2, k / 2);
        if (!f.free[std::size_t(v)]) continue;
        c.diagonal[std::size_t(C)] += 0.5 * f.diagonal[std::size_t(v)];
        // A face between two free voxels: inside the block it leaves the diagonal (twice: from
        // each side's row), across the block boundary it is half a coarse face.
        auto face = [&](double conductance, std::int64_t q, bool inside, double& coarseFace) {
          if (conductance == 0.0 || !f.free[std::size_t(q)]) return;
          if (inside)
            c.diagonal[std::size_t(C)] -= conductance;  // 0.5 x 2
          else
            coarseFace += 0.5 * conductance;
        };
        if (i + 1 < f.nx) face(f.faceX[std::size_t(v)], v + 1, i % 2 == 0, c.faceX[std::size_t(C)]);
        if (j + 1 < f.ny)
          face(f.faceY[std::size_t(v)], v + f.nx, j % 2 == 0, c.faceY[std::size_t(C)]);
        if (k + 1 < f.nz)
          face(f.faceZ[std::size_t(v)], v + f.nx * f.ny, k % 2 == 0, c.faceZ[std::size_t(C)]);
      }
  for (std::size_t C = 0; C < n; ++C)
    c.free[C] =
        c.diagonal[C] > 1e-6 * (c.faceX[C] + c.faceY[C] + c.faceZ[C]) && c.diagonal[C] > 0.0;
  for (std::int64_t K = 0; K < c.nz; ++K)
    for (std::int64_t J = 0; J < c.ny; ++J)
      for (std::int64_t I = 0; I < c.nx; ++I) {
        const auto C = std::size_t(c.index(I, J, K));
        if (!c.free[C] || I + 1 >= c.nx || !c.free[C + 1]) c.faceX[C] = 0.0;
        if (!c.free[C] || J + 1 >= c.ny || !c.free[C + std::size_t(c.nx)]) c.faceY[C] = 0.0;
        if (!c.free[C] || K + 1 >= c.nz || !c.free[C + std::size_t(c.nx * c.ny)]) c.faceZ[C] = 0.0;
        if (!c.free[C]) c.diagonal[C] = 0.0;
      }
  return c;
}

// sum over the faces of voxel v of c x_q.
double textbookNeighbours(const TextbookLevel& l, const std::vector<double>& x, std::int64_t i,
                          std::int64_t j, std::int64_t k) {
  const std::int64_t v = l.index(i, j, k), plane = l.nx * l.ny;
  auto at = [&](std::int64_t q) { return x[std::size_t(q)]; };
  auto face = [&](const std::vector<double>& f, std::int64_t q) { return f[std::size_t(q)]; };
  double sum = 0.0;
  if (i > 0) sum += face(l.faceX, v - 1) * at(v - 1);
  if (i + 1 < l.nx) sum += face(l.faceX, v) * at(v + 1);
  if (j > 0) sum += face(l.faceY, v - l.nx) * at(v - l.nx);
  if (j + 1 < l.ny) sum += face(l.faceY, v) * at(v + l.nx);
  if (k > 0) sum += face(l.faceZ, v - plane) * at(v - plane);
  if (k + 1 < l.nz) sum += face(l.faceZ, v) * at(v + plane);
  return sum;
}

void textbookHalfSweep(const TextbookLevel& l, const std::vector<double>& b, std::vector<double>& x,
                       int colour) {
  for (std::int64_t k = 0; k < l.nz; ++k)
    for (std::int64_t j = 0; j < l.ny; ++j)
      for (std::int64_t i = 0; i < l.nx; ++i) {
        const auto v = std::size_t(l.index(i, j, k));
        if ((i + j + k) % 2 != colour) continue;
        x[v] = l.free[v] && l.diagonal[v] > 0.0
                   ? (b[v] + textbookNeighbours(l, x, i, j, k)) / l.diagonal[v]
                   : 0.0;
      }
}

std::vector<double> textbookCycle(const std::vector<TextbookLevel>& levels, std::size_t depth,
                                  const std::vector<double>& b, int coarseCycles) {
  const TextbookLevel& l = levels[depth];
  std::vector<double> x(b.size(), 0.0);
  const bool coarsest = depth + 1 == levels.size();
  const int sweeps = coarsest ? 12 : 2;
  for (int s = 0; s < sweeps; ++s) {
    textbookHalfSweep(l, b, x, 0);
    textbookHalfSweep(l, b, x, 1);
  }
  if (!coarsest) {
    const TextbookLevel& c = levels[depth + 1];
    std::vector<double> coarseB(c.diagonal.size(), 0.0);
    for (std::int64_t k = 0; k < l.nz; ++k)
      for (std::int64_t j = 0; j < l.ny; ++j)
        for (std::int64_t i = 0; i < l.nx; ++i) {
          const auto v = std::size_t(l.index(i, j, k));
          if (!l.free[v]) continue;
          coarseB[std::size_t(c.index(i / 2, j / 2, k / 2))] +=
              b[v] - l.diagonal[v] * x[v] + textbookNeighbours(l, x, i, j, k);
        }
    std::vector<double> coarseX(coarseB.size(), 0.0);
    for (int cycle = 0; cycle < coarseCycles; ++cycle) {
      // The next cycle from zero on the coarse residual left by the ones before.
      std::vector<double> residual = coarseB;
      for (std::int64_t K = 0; K < c.nz; ++K)
        for (std::int64_t J = 0; J < c.ny; ++J)
          for (std::int64_t I = 0; I < c.nx; ++I) {
            const auto C = std::size_t(c.index(I, J, K));
            residual[C] = c.free[C] ? coarseB[C] - c.diagonal[C] * coarseX[C] +
                                          textbookNeighbours(c, coarseX, I, J, K)
                                    : 0.0;
          }
      const std::vector<double> step = textbookCycle(levels, depth + 1, residual, coarseCycles);
      for (std::size_t C = 0; C < coarseX.size(); ++C) coarseX[C] += step[C];
    }
    for (std::int64_t k = 0; k < l.nz; ++k)
      for (std::int64_t j = 0; j < l.ny; ++j)
        for (std::int64_t i = 0; i < l.nx; ++i) {
          const auto v = std::size_t(l.index(i, j, k));
          if (l.free[v] && l.diagonal[v] > 0.0)
            x[v] += coarseX[std::size_t(c.index(i / 2, j / 2, k / 2))];
        }
  }
  for (int s = 0; s < sweeps; ++s) {
    textbookHalfSweep(l, b, x, 1);
    textbookHalfSweep(l, b, x, 0);
  }
  return x;
}

std::vector<double> textbookApply(const JumpyGrid& grid, const std::vector<double>& r,
                                  int coarseCycles) {
  std::vector<TextbookLevel> levels(1);
  TextbookLevel& finest = levels.front();
  finest = {grid.nx, grid.ny, grid.nz, grid.diagonal, {}, {}, {}, grid.free};
  finest.faceX.assign(grid.faceX.begin(), grid.faceX.end());
  finest.faceY.assign(grid.faceY.begin(), grid.faceY.end());
  finest.faceZ.assign(grid.faceZ.begin(), grid.faceZ.end());
  while (std::min({levels.back().nx, levels.back().ny, levels.back().nz}) > 7)
    levels.push_back(textbookCoarse(levels.back()));
  return textbookCycle(levels, 0, r, coarseCycles);
}

TEST(ConductionMultigrid, TheCycleIsTheTextbookCycle) {
  // Odd and even extents, a second build on a smaller grid reusing the arrays (stale values
  // must not leak), the float arrays lent to the finest level (applyInPlace), W and V.
  const JumpyGrid large(37, 35, 33), grid;
  ConductionMultigrid m = large.multigrid();
  std::vector<double> unused(large.free.size());
  m.apply(large.randomOnFree(8), unused);
  m.build(grid.nx, grid.ny, grid.nz, grid.faceX, grid.faceY, grid.faceZ, grid.diagonal, grid.free);
  const std::vector<double> r = grid.randomOnFree(7);
  for (int coarseCycles : {2, 1}) {
    SCOPED_TRACE(coarseCycles);
    m.setCoarseCycles(coarseCycles);
    const std::vector<double> expected = textbookApply(grid, r, coarseCycles);
    std::vector<double> z(r.size());
    m.apply(r, z);
    std::vector<float> rFloat(r.begin(), r.end()), zSpan(r.size()), zLent;
    m.apply(std::span<const float>(rFloat), std::span<float>(zSpan));
    const std::vector<float> rBefore = rFloat;
    m.applyInPlace(rFloat, zLent);
    EXPECT_EQ(zLent, zSpan);     // the same cycle, bit for bit
    EXPECT_EQ(rFloat, rBefore);  // the residual comes back unchanged
    // In plain tissue (the shaft's corrections, over its 1e-6 S/m, dwarf the rest).
    double largest = 0.0, difference = 0.0;
    for (std::size_t v = 0; v < z.size(); ++v) {
      if (grid.sigma[v] != 0.33f) continue;
      largest = std::max(largest, std::abs(expected[v]));
      difference = std::max(difference, std::abs(z[v] - expected[v]));
    }
    std::printf("cycles %d: largest correction %.4g, largest difference %.3g\n", coarseCycles,
                largest, difference);
    EXPECT_GT(largest, 0.0);
    EXPECT_LT(difference, 1e-4 * largest);  // float against double
  }
}

// The multigrid's correction for r with at most `threads` threads.
std::vector<double> correctionOnThreads(const JumpyGrid& grid, const std::vector<double>& r,
                                        std::size_t threads) {
  const parallel::ThreadLimit limit(threads);
  ConductionMultigrid m = grid.multigrid();
  std::vector<double> z(r.size());
  m.apply(r, z);
  return z;
}

// The one-thread correction for r, after checking that every limit in `threads` gives it bit
// for bit (limits above the machine's threads repeat its largest).
std::vector<double> sameBitsOnEveryThreadCount(const JumpyGrid& grid, const std::vector<double>& r,
                                               std::initializer_list<std::size_t> threads) {
  const std::vector<double> one = correctionOnThreads(grid, r, 1);
  for (std::size_t t : threads) {
    SCOPED_TRACE(t);
    EXPECT_EQ(correctionOnThreads(grid, r, t), one);
  }
  return one;
}

TEST(ConductionMultigrid, EveryThreadCountGivesTheSameBitsOnATallGrid) {
  // The finest level's passes run as wavefronts over z: one chunk of planes per thread (at least
  // ten planes each: up to six on 67 planes) and the wedges between them after a join. Whatever
  // the chunks, every stage must read what it reads with one chunk, so the correction is the
  // same bit for bit, and it is the textbook cycle's up to float rounding. (Limits above the
  // machine's threads repeat its largest.)
  const JumpyGrid grid(23, 21, 67);
  const std::vector<double> r = grid.randomOnFree(11);
  const std::vector<double> one = sameBitsOnEveryThreadCount(grid, r, {2, 3, 4, 6});
  const std::vector<double> expected = textbookApply(grid, r, 2);
  double largest = 0.0, difference = 0.0;
  for (std::size_t v = 0; v < one.size(); ++v) {
    if (grid.sigma[v] != 0.33f) continue;
    largest = std::max(largest, std::abs(expected[v]));
    difference = std::max(difference, std::abs(one[v] - expected[v]));
  }
  std::printf("tall grid: largest correction %.4g, largest difference %.3g\n", largest, difference);
  EXPECT_GT(largest, 0.0);
  EXPECT_LT(difference, 1e-4 * largest);
}

TEST(ConductionMultigrid, EveryThreadCountGivesTheSameBitsWhenACoarseLevelIsSplit) {
  // A coarse level of 8 192 voxels or more runs its passes in chunks of planes as the finest
  // does (the nested box's first coarse level on the RF run): on a 28 x 28 x 84 grid the first
  // coarse level is 14 x 14 x 42 = 8 232 voxels (up to four chunks of at least ten planes), so
  // both its passes and the finest level's have wedges, and every thread limit must give the
  // one-thread correction bit for bit.
  const JumpyGrid grid(28, 28, 84);
  const std::vector<double> r = grid.randomOnFree(12);
  const std::vector<double> one = sameBitsOnEveryThreadCount(grid, r, {2, 3, 4});
  EXPECT_GT(*std::max_element(one.begin(), one.end()), 0.0);
}

// The multigrid's correction for r with every fused pass run as `schedule` says.
std::vector<double> correctionWithPasses(const JumpyGrid& grid, const std::vector<double>& r,
                                         int chunks, bool stageByStage = false) {
  const FusedPassScheduleForTesting schedule(chunks, stageByStage);
  ConductionMultigrid m = grid.multigrid();
  std::vector<double> z(r.size());
  m.apply(r, z);
  return z;
}

TEST(ConductionMultigrid, AnyChunkCountOfTheFusedPassesGivesTheOneChunkBits) {
  // A thread limit gives at most the machine's threads, so on a two-core machine the tests above
  // cut a pass into two chunks at most. Forced chunk counts reach further: on a 23 x 21 x 150
  // grid (passes four planes deep: chunks of at least ten planes) the finest level (150 planes)
  // and the first coarse level (75 planes) run in 3, 4 and 7 chunks, the second (38 planes) in
  // 3, with the wedges between them, and each must give the one-chunk correction bit for bit.
  const JumpyGrid grid(23, 21, 150);
  const std::vector<double> r = grid.randomOnFree(13);
  const std::vector<double> one = correctionWithPasses(grid, r, 1);
  EXPECT_GT(*std::max_element(one.begin(), one.end()), 0.0);
  for (int chunks : {3, 4, 7}) {
    SCOPED_TRACE(chunks);
    EXPECT_EQ(correctionWithPasses(grid, r, chunks), one);
  }
  // And the production schedule (by the thread count) gives it too.
  EXPECT_EQ(correctionWithPasses(grid, r, 0), one);
}

TEST(ConductionMultigrid, TwoNarrowChunksOfAFusedPassGiveTheOneChunkBits) {
  // Two chunks of planes have one wedge between them, whose stages reach depth (four) planes to
  // either side of the bound: each chunk needs only four planes, where three chunks or more need
  // 2 (depth + 1) = 10 each. Levels of 8, 9 and 18 planes (the 100^3 RF run's nested box's second
  // coarse level, 11 x 11 x 18) then run in two chunks, 8 planes as exactly four and four (the
  // wedge reaching from the grid's first plane to its last); the 36-plane grid's finest level runs
  // in three chunks and its 18-plane coarse level in two. Each must give the one-chunk bits and
  // those of the stages run one after another.
  for (const std::int64_t nz : {8, 9, 18, 36}) {
    SCOPED_TRACE(nz);
    const JumpyGrid grid(23, 21, nz);
    const std::vector<double> r = grid.randomOnFree(15);
    const std::vector<double> one = correctionWithPasses(grid, r, 1);
    EXPECT_GT(*std::max_element(one.begin(), one.end()), 0.0);
    EXPECT_EQ(correctionWithPasses(grid, r, 2), one);
    EXPECT_EQ(correctionWithPasses(grid, r, 3), one);
    EXPECT_EQ(correctionWithPasses(grid, r, 0, /*stageByStage=*/true), one);
  }
}

TEST(ConductionMultigrid, AFusedPassGivesTheBitsOfItsStagesRunOneAfterAnother) {
  // A fused pass runs its stages (packing, half-sweeps, restriction; prolongation, half-sweeps,
  // unpacking) as a wavefront over the planes, each stage a plane or two behind the one before
  // it, so that every stage reads just what it read when the stages ran one after the other over
  // the whole level. Run that way (the passes unfused), the cycle must give the same bits, on a
  // grid of odd and even extents and on a tall one whose passes run in chunks.
  for (const JumpyGrid& grid : {JumpyGrid(), JumpyGrid(23, 21, 67)}) {
    SCOPED_TRACE(grid.nz);
    const std::vector<double> r = grid.randomOnFree(14);
    const std::vector<double> fused = correctionWithPasses(grid, r, 0);
    EXPECT_GT(*std::max_element(fused.begin(), fused.end()), 0.0);
    EXPECT_EQ(correctionWithPasses(grid, r, 0, /*stageByStage=*/true), fused);
    EXPECT_EQ(correctionWithPasses(grid, r, 3), fused);
  }
}

TEST(ConductionMultigrid, PreconditionedCgConvergesInAFewIterationsAcrossConductivityJumps) {
  // A x = b with b = A x_true for a random x_true: CG with the V-cycle reaches a relative
  // residual of 1e-8 in under 30 iterations; with Jacobi it takes hundreds (the dried shell and
  // the shaft span eight orders of magnitude of conductivity).
  const JumpyGrid grid;
  ConductionMultigrid m = grid.multigrid();
  const std::vector<double> truth = grid.randomOnFree(4);
  const std::vector<double> b = grid.apply(truth);
  ConductionMultigrid vCycle = grid.multigrid();
  vCycle.setCoarseCycles(1);
  auto iterationsWith = [&](int preconditioner) {  // 0 Jacobi, 1 V-cycle, 2 W-cycle
    std::vector<double> x(b.size(), 0.0), r = b, z(b.size()), p;
    auto precondition = [&] {
      if (preconditioner > 0) {
        (preconditioner == 1 ? vCycle : m).apply(r, z);
        return;
      }
      for (std::size_t v = 0; v < r.size(); ++v) z[v] = grid.free[v] ? r[v] / grid.diagonal[v] : 0;
    };
    precondition();
    p = z;
    double rz = dot(r, z);
    const double target = 1e-8 * std::sqrt(dot(b, b));
    int iterations = 0;
    while (std::sqrt(dot(r, r)) > target && iterations < 5000) {
      const std::vector<double> q = grid.apply(p);
      const double alpha = rz / dot(p, q);
      for (std::size_t v = 0; v < x.size(); ++v) {
        x[v] += alpha * p[v];
        r[v] -= alpha * q[v];
      }
      precondition();
      const double next = dot(r, z);
      for (std::size_t v = 0; v < p.size(); ++v) p[v] = z[v] + next / rz * p[v];
      rz = next;
      ++iterations;
    }
    double largestError = 0.0;
    // In plain tissue (the shaft's and the dried shell's values move the residual little).
    for (std::size_t v = 0; v < x.size(); ++v)
      if (grid.sigma[v] == 0.33f) largestError = std::max(largestError, std::abs(x[v] - truth[v]));
    return std::pair{iterations, largestError};
  };
  const auto [withMultigrid, errorMultigrid] = iterationsWith(2);
  const auto [withVCycle, errorVCycle] = iterationsWith(1);
  const auto [withJacobi, errorJacobi] = iterationsWith(0);
  std::printf("iterations to 1e-8: W-cycle %d, V-cycle %d, Jacobi %d\n", withMultigrid, withVCycle,
              withJacobi);
  EXPECT_LT(withMultigrid, 30);
  EXPECT_GT(withJacobi, 5 * withMultigrid);
  EXPECT_LT(errorMultigrid, 1e-3);
  EXPECT_LT(errorVCycle, 1e-3);
  // The W-cycle (the default) is the stronger preconditioner: fewer iterations than the V-cycle
  // on the same system (on the 10-minute RF run, 381 against 552).
  EXPECT_LT(withMultigrid, withVCycle);
  (void)errorJacobi;
}

// A cube of n^3 voxels of tissue at sigma_S_m with grounded faces, for the composite solves.
struct GroundedCube {
  ImageGeometry g;
  std::vector<float> sigma;
  std::vector<NodeRole> roles;
};
GroundedCube groundedCube(std::int64_t n, float sigma_S_m) {
  GroundedCube c;
  c.g.size = {n, n, n};
  c.sigma.assign(c.g.voxelCount(), sigma_S_m);
  c.roles.assign(c.g.voxelCount(), NodeRole::Tissue);
  for (std::int64_t k = 0; k < n; ++k)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t i = 0; i < n; ++i)
        if (i == 0 || j == 0 || k == 0 || i == n - 1 || j == n - 1 || k == n - 1)
          c.roles[c.g.linearIndex(i, j, k)] = NodeRole::Ground;
  return c;
}

// The composite grid's solve polls the progress sink like the 1 mm solve (it did not before
// session 16, so a cancel waited for the whole solve) and, left alone, gives the 1 mm solve's
// power: a 25^3 grid of 0.33 S/m, grounded faces, an electrode line of 7 voxels at its centre,
// the box 5 voxels around it (snapped to whole cells).
TEST(CompositePotential, TheSolveCancelsWhenAskedAndOtherwiseGivesTheFullSolvesPower) {
  GroundedCube cube = groundedCube(25, 0.33f);
  const ImageGeometry& g = cube.g;
  const std::vector<float>& sigma = cube.sigma;
  std::vector<NodeRole>& roles = cube.roles;
  for (std::int64_t k = 9; k < 16; ++k) roles[g.linearIndex(12, 12, k)] = NodeRole::Electrode;
  std::array<std::int64_t, 3> lo{7, 7, 4}, hi{18, 18, 21};
  CompositePotential::snapBox(g, lo, hi);
  const PotentialSolverOptions options{1e-8, 500};
  CompositePotential composite;
  test::RecordingProgress cancel(0);  // asks to cancel from the start
  EXPECT_THROW(composite.solve(g, sigma, roles, lo, hi, 1.0, {}, 1.0, options, cancel), Cancelled);
  const CompositeSolution solution =
      composite.solve(g, sigma, roles, lo, hi, 1.0, {}, 1.0, options);
  const PotentialSolution full = solvePotential(g, sigma, roles, 1.0, {}, options);
  std::printf("composite power %.8f W in %d iterations, 1 mm %.8f W\n", solution.power_W,
              solution.iterations, full.power_W);
  EXPECT_GT(solution.iterations, 0);
  EXPECT_NEAR(solution.power_W / full.power_W, 1.0, 5e-4);
}

// runBoundaryFrom, which cuts CouplingRuns' runs and the RF source's nested faces' runs: a
// boundary inside a target's items moves on to its next target's first item, one at a target's
// first item stays, and none passes the end.
TEST(CouplingRuns, ARunBoundaryMovesOnToTheNextTarget) {
  const std::vector<int> targets{4, 4, 4, 7, 9, 9, 9, 9, 12};
  auto sameTarget = [&](std::size_t a, std::size_t b) { return targets[a] == targets[b]; };
  const std::size_t n = targets.size();
  const std::vector<std::size_t> expected{0, 3, 3, 3, 4, 8, 8, 8, 8, 9, 9, 9};
  for (std::size_t p = 0; p < expected.size(); ++p)
    EXPECT_EQ(runBoundaryFrom(p, n, sameTarget), expected[p]) << "from " << p;
}

// The composite grid's couplings are added onto their box voxels and cells in parallel runs
// (CouplingRuns): every coupling once, no target in two runs, a target's couplings in their
// order, so the parallel sums give the serial loop's bits. 20 000 couplings over 3 000 cells in
// a shuffled order (several runs of about 4096), box voxels in order with repeats (as listed).
TEST(CouplingRuns, RunsShareNoTargetAndKeepEachTargetsOrder) {
  std::mt19937 random(5);
  std::uniform_int_distribution<std::uint32_t> cell(0, 2999);
  std::uniform_real_distribution<float> conductance(0.1f, 2.0f);
  std::vector<CompositeCoupling> couplings(20000);
  for (std::size_t c = 0; c < couplings.size(); ++c)
    couplings[c] = {std::uint32_t(c / 3), cell(random), conductance(random)};
  for (bool byCell : {false, true}) {
    CouplingRuns runs;
    runs.group(couplings, byCell);
    auto target = [&](std::size_t c) { return byCell ? couplings[c].cell : couplings[c].box; };
    ASSERT_GT(runs.starts.size(), 3u);
    std::vector<int> seen(couplings.size(), 0);
    std::vector<std::size_t> runOf(3000 + couplings.size(), runs.starts.size());
    std::vector<std::int64_t> lastIndex(3000 + couplings.size(), -1);
    for (std::size_t run = 0; run < runs.starts.size(); ++run) {
      const std::size_t end =
          run + 1 < runs.starts.size() ? runs.starts[run + 1] : runs.order.size();
      for (std::size_t p = runs.starts[run]; p < end; ++p) {
        const std::size_t c = runs.order[p], t = target(c);
        ++seen[c];
        ASSERT_TRUE(runOf[t] == runs.starts.size() || runOf[t] == run) << "target " << t;
        runOf[t] = run;
        ASSERT_GT(std::int64_t(c), lastIndex[t]) << "target " << t;
        lastIndex[t] = std::int64_t(c);
      }
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), std::ptrdiff_t(couplings.size()));
    // The parallel float sums onto the targets against the serial loop's, bit for bit.
    std::vector<float> serial(3000 + couplings.size(), 0.5f), inRuns = serial;
    for (std::size_t c = 0; c < couplings.size(); ++c)
      serial[target(c)] += couplings[c].conductance * float(c % 7);
    runs.forEach(
        [&](std::size_t c) { inRuns[target(c)] += couplings[c].conductance * float(c % 7); });
    EXPECT_EQ(serial, inRuns);
  }
}

// The composite solve, its couplings' loops in parallel runs and its multigrid's loops split by
// their work, gives the same bits on one thread and on all: a 61^3 grid of 0.33 S/m with a
// cylinder of 0.8 S/m, grounded faces, a 31-voxel electrode line, a box of about 41^3 voxels
// (about 10 000 couplings, three runs).
TEST(CompositePotential, OneThreadAndAllGiveTheSameBits) {
  if (parallel::maxThreads() == 1) GTEST_SKIP() << "one thread only: nothing to compare";
  GroundedCube cube = groundedCube(61, 0.33f);
  const ImageGeometry& g = cube.g;
  std::vector<float>& sigma = cube.sigma;
  std::vector<NodeRole>& roles = cube.roles;
  for (std::int64_t k = 1; k < 60; ++k)
    for (std::int64_t j = 1; j < 60; ++j)
      for (std::int64_t i = 1; i < 60; ++i)
        if ((i - 25) * (i - 25) + (j - 33) * (j - 33) < 36) sigma[g.linearIndex(i, j, k)] = 0.8f;
  for (std::int64_t k = 15; k < 46; ++k) roles[g.linearIndex(30, 30, k)] = NodeRole::Electrode;
  std::array<std::int64_t, 3> lo{10, 10, 10}, hi{51, 51, 51};
  CompositePotential::snapBox(g, lo, hi);
  const PotentialSolverOptions options{1e-8, 500};
  CompositeSolution one;
  {
    const parallel::ThreadLimit limit(1);
    CompositePotential composite;
    one = composite.solve(g, sigma, roles, lo, hi, 1.0, {}, 1.0, options);
  }
  CompositePotential composite;
  const CompositeSolution all = composite.solve(g, sigma, roles, lo, hi, 1.0, {}, 1.0, options);
  EXPECT_GT(one.iterations, 0);
  EXPECT_EQ(one.iterations, all.iterations);
  EXPECT_EQ(one.potential_V, all.potential_V);
  EXPECT_EQ(one.heating_W_m3, all.heating_W_m3);
  EXPECT_EQ(one.power_W, all.power_W);
  // The same composite on another box and sigma (the cylinder dried to 0.01 S/m), then on the
  // first again from a cold start: what it keeps from solve to solve (the unknowns, the box's
  // SAR, the cells' power, the couplings' runs, the multigrid's operators) must leave nothing of
  // the solve before, so the first solve's bits come back, iterations included.
  std::vector<float> dried = sigma;
  std::replace(dried.begin(), dried.end(), 0.8f, 0.01f);
  std::array<std::int64_t, 3> otherLo{14, 14, 12}, otherHi{47, 47, 49};
  CompositePotential::snapBox(g, otherLo, otherHi);
  ASSERT_NE(otherLo, lo);
  const CompositeSolution other =
      composite.solve(g, dried, roles, otherLo, otherHi, 1.0, {}, 1.0, options);
  EXPECT_NE(other.power_W, all.power_W);
  const CompositeSolution again = composite.solve(g, sigma, roles, lo, hi, 1.0, {}, 1.0, options);
  EXPECT_EQ(again.iterations, all.iterations);
  EXPECT_EQ(again.potential_V, all.potential_V);
  EXPECT_EQ(again.heating_W_m3, all.heating_W_m3);
  EXPECT_EQ(again.power_W, all.power_W);
}

// The conjugate gradients' sums (potential_grid.h groupedSum) run four chunks' sums side by side
// and must give the bits of one double sum per chunk, the chunks added in order, for any number
// of chunks (groups of four and a shorter last group) and a shorter last chunk.
TEST(PotentialSums, GroupedSumsGiveTheBitsOfTheChunkByChunkSum) {
  std::mt19937 random(17);
  // Terms of mixed sign and magnitude (1e-6 to 1e6): reassociating their sum changes its bits.
  std::uniform_real_distribution<double> exponent(-6.0, 6.0), sign(-1.0, 1.0);
  bool anotherOrderDiffers = false;
  for (std::size_t unknowns : {1u, 7u, 100u, 1000u, 1001u, 4096u, 4099u, 9000u}) {
    std::vector<float> a(unknowns), b(unknowns);
    for (std::size_t v = 0; v < unknowns; ++v) {
      a[v] = float(std::copysign(std::pow(10.0, exponent(random)), sign(random)));
      b[v] = float(std::pow(10.0, exponent(random)));
    }
    for (std::size_t size : {1u, 3u, 64u, 250u, 1000u}) {
      const potential::FixedChunks chunks{unknowns, size};
      double expected = 0.0;  // one double sum per chunk from 0, the chunks added in order
      for (std::size_t begin = 0; begin < unknowns; begin += size) {
        double chunk = 0.0;
        for (std::size_t v = begin; v < std::min(unknowns, begin + size); ++v)
          chunk += double(a[v]) * double(b[v]);
        expected += chunk;
      }
      std::vector<int> worked(unknowns, 0);
      const double grouped = potential::groupedSum(
          chunks,
          [&](std::size_t begin, std::size_t end) {
            for (std::size_t v = begin; v < end; ++v) ++worked[v];
          },
          [&](std::size_t v) { return double(a[v]) * double(b[v]); });
      EXPECT_EQ(grouped, expected) << unknowns << " unknowns in chunks of " << size;
      EXPECT_EQ(potential::chunkedDot(chunks, a, b), expected);
      EXPECT_EQ(std::count(worked.begin(), worked.end(), 1), std::ptrdiff_t(unknowns));
      // Summing the chunks' terms interleaved into one sum would be another order.
      double interleaved = 0.0;
      for (std::size_t v = 0; v < unknowns; ++v) interleaved += double(a[v]) * double(b[v]);
      anotherOrderDiffers = anotherOrderDiffers || interleaved != expected;
    }
  }
  EXPECT_TRUE(anotherOrderDiffers);  // the data tell the orders apart
}

}  // namespace
}  // namespace twinplan::ablation::detail
