#pragma once
// A geometric multigrid cycle (W by default, or V) for the symmetric 7-point conduction
// operator of a voxel grid
//   (A x)_p = d_p x_p - sum over faces f of p of c_f x_q,
// with some voxels fixed (Dirichlet; their rows and columns left out): the preconditioner of the
// conjugate gradients of the RF potential (rf_source.h). Cell-centred, 2x2x2 cells make a coarse
// cell; the coarse operator is Galerkin with piecewise-constant prolongation P, A_c = P^T A P,
// halved: summing four fine faces gives a coarse face twice the conductance the equation has on
// cells of twice the size, and halving it is the rescaling of aggregation multigrid (Braess,
// Appl Numer Math 1995;19:1-12, "Towards algebraic multigrid for elliptic problems of second
// order"), which turns a constant-interpolation V-cycle into an effective one. The smoother is
// red-black Gauss-Seidel: red then black before the coarse correction, black then red after, so
// the cycle is a symmetric positive definite operator (Trottenberg, Oosterlee & Schueller,
// Multigrid, 2001, sec. 2.5 and 7.4). Jumps in conductivity (electrode metal, dried tissue, the
// insulating shaft) stay in the coarse faces, since those are sums of the fine ones.
//
// Every level is stored by colour (ColourSplitLevel); each but the coarsest is cycled in two
// passes over its planes (a wavefront: the smoothing, the residual and the transfers of a plane
// while it is in the cache), the coarsest (a few hundred voxels) solved by its sweeps. (A grid too
// small to coarsen is swept in grid order.)
//
// Deterministic on any thread count: a colour's voxels are independent, each stage of a pass
// reads what it would read with the stages run one after the other whatever the chunks, and a
// coarse voxel sums its children in one fixed order; there are no reductions.
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {

// One grid level. Voxel n = i + nx (j + ny k). faceX[n] couples n and n + 1 (0 on the last
// column and wherever either voxel is fixed on a coarse level); likewise Y and Z. Empty on a
// finest level that is cycled by colour (and on the composite grid's box): its faces are read
// from the caller's arrays at build, not copied.
struct MultigridLevel {
  std::int64_t nx = 0, ny = 0, nz = 0;
  std::vector<float> diagonal, faceX, faceY, faceZ;
  std::vector<float> inverseDiagonal;  // 0 on fixed voxels
  // The cycle's right-hand side (restricted into it) and correction (prolonged from it), in grid
  // order; empty on a level whose split copy takes them from and gives them to the caller.
  std::vector<float> correction, rightHandSide;
  std::size_t size() const { return diagonal.size(); }
};

// A level stored by colour (red: (i + j + k) even, black: odd), each colour's voxels of
// a row packed side by side with a frame of empty voxels around the grid: a half-sweep, the
// residual, the restriction and the prolongation then run along contiguous arrays without bounds
// checks, which the compiler vectorises (in the voxel order a half-sweep reads every other voxel
// and none of those loops vectorised: the sweeps were about 30 % of a solve). Row (j, k) of colour
// c holds its voxels i = 2 m + f, f = (c + j + k) % 2, at m = 0, 1, ...: the other colour's
// voxels beside voxel m sit at m - 1 + f and m + f of its own row (j, k), those in the rows
// j +- 1 and k +- 1 at m. A plane stores its even rows (j = 0, 2, ...) side by side, then its odd
// rows (j = -1, 1, 3, ..., the first the frame's): within each half f is the same on every row and
// the rows j - 1 and j + 1 lie at the same offsets from every row, so a half-sweep of a plane runs
// as two loops over whole halves (the empty voxels between their rows have zero faces and inverse
// diagonal, and stay zero) instead of a short loop per row (rows of 21 voxels a colour on the
// nested box, where the loops' set-up and remainders cost as much as their vectors). Each colour
// keeps its voxels' inverse diagonal (0 on fixed voxels and the frame); red also its six face
// conductances (0 towards the frame) and diagonal. Every face joins a red voxel and a black one,
// so black's half-sweeps read red's faces (a black voxel's face to -x is its red neighbour's to
// +x, at the offset its correction is read at): the faces are stored once, which halved the
// split's face writes and the passes' face traffic. The residual that is restricted is the red
// voxels' only: after the black half-sweep that ends the smoothing the black residuals are zero
// in exact arithmetic (the grid-ordered cycle restricted their float rounding), which halves the
// residual's work; the cycle is the same operator.
struct ColourSplitLevel {
  std::int64_t nx = 0, ny = 0, nz = 0;
  std::int64_t rowLength = 0;  // (nx + 1) / 2 + 2: one frame voxel at each end
  std::int64_t half = 0;       // rowLength (ny / 2 + 2): the even rows, then the odd ones
  std::int64_t plane = 0;      // 2 half
  struct Colour {
    // Faces to -x, +x, -y, +y, -z, +z: red only (black's are its red neighbours'); empty for black.
    std::vector<float> west, east, south, north, down, up;
    std::vector<float> inverseDiagonal, correction, rightHandSide;
    std::vector<float> diagonal;  // red only (its residual); empty for black
  };
  std::array<Colour, 2> colours;
  // The offset of voxel m = 0 of row (j, k) in either colour's arrays (j from -1 to ny).
  std::int64_t rowStart(std::int64_t j, std::int64_t k) const {
    const std::int64_t inPlane =
        (j & 1) != 0 ? half + rowLength * ((j + 1) / 2) : rowLength * (j / 2);
    return 1 + plane * (k + 1) + inPlane;
  }
  // From a voxel of row j to its neighbour in row j - 1 and in row j + 1.
  std::int64_t southOffset(std::int64_t j) const { return (j & 1) != 0 ? -half - rowLength : half; }
  std::int64_t northOffset(std::int64_t j) const { return (j & 1) != 0 ? -half : half + rowLength; }
  // How many voxels of colour c row (j, k) holds.
  std::int64_t rowCount(int c, std::int64_t j, std::int64_t k) const {
    return (nx - ((c + j + k) & 1) + 1) / 2;
  }
};

// For tests (ablation_conduction_multigrid_test) only: while one lives, every fused pass of the
// multigrid cycles (ConductionMultigrid's and CompositeMultigrid's levels stored by colour) runs
// in `chunks` chunks of planes, as many as the level has room for (at least 2 (depth + 1) planes
// a chunk), whatever the thread count and the level's size (chunks > 0; 0 keeps the production
// choice), or, with stageByStage, stage after stage over the whole level (the passes unfused).
// Either must give the production cycle's bits. One at a time; not for concurrent cycles.
class FusedPassScheduleForTesting {
 public:
  explicit FusedPassScheduleForTesting(int chunks, bool stageByStage = false);
  ~FusedPassScheduleForTesting();
  FusedPassScheduleForTesting(const FusedPassScheduleForTesting&) = delete;
  FusedPassScheduleForTesting& operator=(const FusedPassScheduleForTesting&) = delete;
};

class ConductionMultigrid {
 public:
  // The finest level's operator: faces (their conductances, float), the diagonal (sum of a
  // voxel's six faces, faces to fixed neighbours included) and which voxels are free.
  // Builds the coarse levels down to a few voxels per axis.
  void build(std::int64_t nx, std::int64_t ny, std::int64_t nz, std::span<const float> faceX,
             std::span<const float> faceY, std::span<const float> faceZ,
             std::span<const double> diagonal, std::span<const std::uint8_t> free);

  // z = M^-1 r: one cycle from zero on the free voxels (z is 0 on fixed ones).
  void apply(std::span<const double> residual, std::span<double> z);
  void apply(std::span<const float> residual, std::span<float> z);
  // The same as apply(residual, z) on the conjugate gradients' float vectors: residual comes
  // back unchanged, z is resized to the level. (The arrays were lent to the finest level until
  // it was stored by colour, ColourSplitLevel: now they are copied in and out by colour.)
  void applyInPlace(std::vector<float>& residual, std::vector<float>& z);

  std::size_t levels() const { return levels_.size(); }
  // Cycles of each coarser level per cycle of the finer one: 2, a W-cycle (the default), or 1,
  // a V-cycle. On the 10-minute RF run (100^3) the W-cycle takes 381 CG iterations in 82
  // solves where the V-cycle took 552: aggregation with piecewise-constant prolongation
  // leaves the coarse correction too weak for a V-cycle, and visiting each coarse level twice
  // restores a rate that does not degrade with the number of levels (Notay, "An
  // aggregation-based algebraic multigrid method", ETNA 2010;37:123-146, on V-, W- and K-cycles
  // with aggregation). Level d holds 1/8^d of the voxels and is visited 2^d times, so a W-cycle
  // does 4/3 of the finest level's work where a V-cycle does 8/7 (1/6 more).
  void setCoarseCycles(int cycles) { coarseCycles_ = cycles; }

 private:
  std::vector<MultigridLevel> levels_;
  // Every level by colour, which the cycle smooths (levels_ coarsen, and carry the right-hand
  // sides and corrections of the levels below the finest in grid order); empty when the finest
  // level does not coarsen.
  std::vector<ColourSplitLevel> split_;
  int coarseCycles_ = 2;
};

// One coupling of the composite grid (composite_potential.h): box voxel `box` (index in the box)
// and coarse cell `cell` (index in the coarse grid), conductance g (the operator's rows hold
// g (x_box - x_cell) and g (x_cell - x_box)).
struct CompositeCoupling {
  std::uint32_t box = 0, cell = 0;
  float conductance = 0.0f;
};

// Where a run may start in a sequence grouped by target (each target's items side by side), at
// or after position p (at most count): p moved on while its item has the previous one's target
// (sameTarget(p - 1, p)), so no target's items are split between two runs and a loop that adds
// each item onto its target keeps the serial order per target. CouplingRuns and the RF source's
// nested faces (RfSource::forEachFaceRun) cut their runs with it.
template <class SameTarget>
std::size_t runBoundaryFrom(std::size_t p, std::size_t count, SameTarget&& sameTarget) {
  p = std::min(p, count);
  while (p > 0 && p < count && sameTarget(p - 1, p)) ++p;
  return p;
}

// The couplings in runs that share no target (box voxel or cell), for loops that add each
// coupling's term onto its target in parallel with the bits of the serial loop: `order` holds the
// couplings' indices stably sorted by target (so a target's terms keep the couplings' order),
// `starts` each run's first position in it (runs of about 4096 couplings).
struct CouplingRuns {
  std::vector<std::uint32_t> order;
  std::vector<std::size_t> starts;
  std::vector<std::uint32_t> targets;  // the targets it was made for (kept to skip a rebuild)
  // Regroups for these couplings' box voxels (byCell false) or cells, unless they have the
  // targets of the last call (the composite grid's couplings are the same every full solve).
  void group(std::span<const CompositeCoupling> couplings, bool byCell);
  // body(c) for every coupling index c, a run's in order, runs in parallel.
  template <class Body>
  void forEach(Body&& body) const;
};

// The preconditioner of the composite grid's potential (composite_potential.h): a fine box (1 mm
// voxels) inside a coarse grid (2 mm cells) that covers the whole domain, the box's own cells
// excluded, coupled through face conductances. One cycle: red-black sweeps on the box; the
// coarse grid's correction, on which the cells under the box carry the box's operator coarsened
// as ConductionMultigrid's levels coarsen theirs (halved Galerkin) and the cells outside it their
// own rows (the coarse grid is their finest level), solved by a ConductionMultigrid cycle over
// the whole coarse grid; the sweeps again in the reverse order. Symmetric (the composite of a
// smoother, an SPD coarse cycle and the smoother's adjoint), so a CG preconditioner; the fast
// adaptive composite scheme of McCormick & Thomas (Math Comp 1986;46:439-456) with a
// piecewise-constant transfer.
class CompositeMultigrid {
 public:
  // The box's operator (faces, diagonal with the couplings' conductances included, free voxels);
  // the coarse grid's (cells under the box: any values, replaced; the diagonal with the
  // couplings included); boxCell: the coarse index of the box's first voxel's cell, whose
  // 2x2x2 blocks of box voxels are the cells under the box.
  void build(std::int64_t bx, std::int64_t by, std::int64_t bz, std::span<const float> boxFaceX,
             std::span<const float> boxFaceY, std::span<const float> boxFaceZ,
             std::span<const double> boxDiagonal, std::span<const std::uint8_t> boxFree,
             std::int64_t cx, std::int64_t cy, std::int64_t cz, std::span<const float> cellFaceX,
             std::span<const float> cellFaceY, std::span<const float> cellFaceZ,
             std::span<const double> cellDiagonal, std::span<const std::uint8_t> cellFree,
             const std::array<std::int64_t, 3>& boxCell,
             std::span<const CompositeCoupling> couplings);
  // (zBox, zCell) = M^-1 (rBox, rCell); z is 0 on fixed voxels and on the cells under the box.
  void apply(std::span<const float> rBox, std::span<const float> rCell, std::span<float> zBox,
             std::span<float> zCell);
  // The last build's couplings grouped by box voxel and by cell, for the caller's loops over
  // the same couplings (CompositePotential's operator and power).
  const CouplingRuns& couplingsByBox() const { return byBox_; }
  const CouplingRuns& couplingsByCell() const { return byCell_; }

 private:
  // The cycle's coarse correction: the coarse grid's residual from rCell, the box's restricted
  // one and the couplings; its cycle; the cells' correction into zCell and under_.correction,
  // and the couplings' pull of zCell onto the box's right-hand side.
  void correctByCells(std::span<const float> rCell, std::span<float> zCell);
  MultigridLevel box_, under_;  // box_ coarsens into under_; the cycle smooths boxSplit_
  ColourSplitLevel boxSplit_;
  struct SplitVoxel {
    std::uint8_t colour = 0;
    std::uint32_t slot = 0;
  };
  // Places each coupling's box voxel in boxSplit_ (couplingVoxels_) and its parent cell
  // (couplingParents_), unless the couplings' box voxels and the grids are the last build's.
  void placeCouplings(std::int64_t bx, std::int64_t by, std::int64_t cx, std::int64_t cy);
  std::vector<SplitVoxel> couplingVoxels_;    // each coupling's box voxel in boxSplit_
  std::vector<std::size_t> couplingParents_;  // the cell under the box that holds it
  // What they were placed for: the couplings' box voxels; the box's extents, the coarse grid's
  // and the box's first cell.
  std::vector<std::uint32_t> placedBoxVoxels_;
  std::array<std::int64_t, 8> placedGrids_{};
  std::vector<std::uint8_t> cellFree_;
  std::vector<CompositeCoupling> couplings_;
  CouplingRuns byBox_, byCell_;  // couplings_ grouped by box voxel and by cell
  std::array<std::int64_t, 3> boxCell_{}, cells_{};
  std::vector<float> cellRhs_, cellCorrection_;
  // build()'s work arrays, kept from build to build: the couplings' conductance per box voxel
  // (zero between builds), the coarse grid's operator with the coarsened box under it.
  std::vector<double> coupled_, cellDiagonal_;
  std::vector<float> cellFaceX_, cellFaceY_, cellFaceZ_;
  ConductionMultigrid cellMultigrid_;
};

template <class Body>
void CouplingRuns::forEach(Body&& body) const {
  parallel::parallelFor({0, starts.size()}, 1, [&](parallel::IndexRange runs) {
    const std::size_t last = runs.end < starts.size() ? starts[runs.end] : order.size();
    for (std::size_t p = starts[runs.begin]; p < last; ++p) body(std::size_t(order[p]));
  });
}

}  // namespace twinplan::ablation::detail
