#pragma once
// The far field of the bioheat step (BioheatParameters::farField): a coarse grid over the
// whole ablation grid, farFieldCoarsening^3 voxels per cell (more in the last cell of an axis
// whose size the coarsening does not divide), stepped by the same backward-Euler Pennes
// equation, while the 1 mm grid is solved only on a fine box around the probe.
//
// One step (bioheat.cpp drives it):
//  1. fineBox(): the box grows to hold every voxel the coarse grid cannot represent (a voxel's
//     temperature, or its heating in the step, differs from the trilinear interpolant of the
//     cell averages by more than the tolerance), every cell where the heat that interpolant
//     missed, summed over the steps, passes the tolerance (a slow, spread source: no single
//     step's error shows it), every held voxel, every voxel of flowing blood
//     (the cells model no vessel wall) and a margin; cells it takes in
//     get the fine voxels' heat content; cells inside it hold the fine voxels' average.
//  2. solveCoarse(): the coarse step, cells inside the fine box held at their averages (the
//     start of the step), the others solved; interpolated() is its end temperature per voxel.
//  3. the fine box is solved with interpolated() held beyond its faces (StepInputs::beyondBox_K).
//  4. absorbFine(): refluxing - the heat the fine solve sent through each face of the box goes
//     to the coarse cell beyond it, in place of what the coarse step sent (Berger & Colella,
//     J Comput Phys 1989;82:64-84, the flux correction at a coarse-fine interface), so no heat is
//     lost or made there; the cells inside take the fine solution's averages; interpolated() is
//     recomputed for the voxels of nearRegion() outside the box.
//  5. farPlanes(): the voxels beyond nearRegion(), one plane of cells at a time, as the stepper
//     writes them into the grid (interpolated() holds only the near region: the far voxels are
//     interpolated once, where they are used) - with BioheatParameters::farFieldStaleness_K only
//     when planeStaleness_K() says the cells have moved them by more than it since the last write.
// fineBox() examines the voxels' heating only in cells where the power could be misrepresented
// (markQuietCells).
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "bioheat_step.h"
#include "stencil_solver.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {

// For tests (ablation_far_field_test) only: while one lives, far fields constructed take their
// row loops' general forms (no pairs of voxels for coarsening 2, no one-tissue row of
// conductivities), which must give the same bits. One at a time.
class FarFieldGeneralRowsForTesting {
 public:
  FarFieldGeneralRowsForTesting();
  ~FarFieldGeneralRowsForTesting();
  FarFieldGeneralRowsForTesting(const FarFieldGeneralRowsForTesting&) = delete;
  FarFieldGeneralRowsForTesting& operator=(const FarFieldGeneralRowsForTesting&) = delete;
};

class FarField {
 public:
  FarField(const AblationGrid& grid, const std::vector<TissueCoefficients>& tissues,
           int coarsening);

  // Step 1. `previous` is the last step's fine box (empty before the first); margin in voxels.
  // Adjusts `temperature_degC` of the voxels of cells the box takes in, so that their heat
  // content is the cell's (the interpolant they held is not conservative).
  Box fineBox(const StepInputs& in, const Box& previous, std::int64_t margin, double tolerance_K,
              std::vector<float>& temperature_degC);
  // Step 2 (after fineBox, whose cell powers it uses); returns the CG iterations.
  long long solveCoarse(const StepInputs& in, const Box& fine, Progress& progress);
  // Step 4; fineDeviation_K: the fine solve on `fine` (local voxels), faces: boxFaces() of it.
  void absorbFine(const StepInputs& in, const Box& fine, const std::vector<BoxFace>& faces,
                  const std::vector<float>& fineDeviation_K);

  // The coarse temperature's deviation from arterial (K) interpolated to the voxels of
  // nearRegion(fine) outside the fine box (after solveCoarse and after absorbFine).
  const std::vector<float>& interpolated() const { return interpolated_; }
  // The box's cells and those within three cells of it (whole cells; the grid without a box):
  // every cell refluxing or restriction changes and every voxel whose interpolant reads one.
  Box nearRegion(const Box& fine) const;
  // Step 5, after absorbFine: the deviations (K) of the voxels of cell plane ck outside `near`
  // (nearRegion of the fine box) into `planes` (the cell plane's voxel planes, the grid's rows
  // in order: index i + nx (j + ny (k - first plane))); the other entries are left as they are.
  // The same values interpolated() would hold there.
  void farPlanes(std::int64_t ck, const Box& near, std::vector<float>& planes) const;
  std::int64_t cellPlanes() const { return cells_[2]; }
  // BioheatParameters::farFieldStaleness_K: farPlanes' voxels of cell plane ck were written
  // into the grid (from the cells as they are now). Distinct planes from parallel tasks.
  void markPlaneWritten(std::int64_t ck);
  // A bound (K) on how far farPlanes(ck, near) would move any of its voxels from the values
  // written at the last markPlaneWritten(ck); infinite before the first. A voxel's value is the
  // cells' trilinear interpolant plus its cell's value less the interpolant's cell average, all
  // linear in the cells it reads (those of planes ck - 1 .. ck + 1 within one cell of a cell
  // outside `near`, and the grid's faces, fixed at 0): with the cells' changes since the write in
  // [down, up] (0 included), the interpolant and its average move within that range, so the
  // voxel by at most (up - down) + max(up, -down).
  float planeStaleness_K(std::int64_t ck, const Box& near) const;
  // The damage of voxels in cell plane ck changed since the last coarse step (the fields'
  // update says so: every plane every step, or the planes whose deferred dose windows closed):
  // its cells' perfusion is summed again. Distinct planes may be marked from parallel tasks.
  void markDamageChanged(std::int64_t ck) { damageChanged_[std::size_t(ck)] = 1; }
  // The first voxel plane of cell plane ck and the number of its voxel planes.
  std::int64_t firstPlane(std::int64_t ck) const { return ck * coarsening_; }
  std::int64_t planesOf(std::int64_t ck) const { return width(2, ck); }
  std::size_t cellCount() const { return heatCapacity_J_K_.size(); }

 private:
  // Trilinear interpolation along one axis: voxel i lies between nodes `node` and node + 1 with
  // weight `weight` on the second. Nodes are the cell centres and, at either end, the grid's
  // face (held at arterial temperature: deviation 0), numbered -1 and cells.
  struct AxisWeights {
    std::vector<std::int64_t> node;
    std::vector<float> weight;
  };
  AxisWeights axisWeights(int axis) const;
  std::int64_t cellOf(int axis, std::int64_t voxel) const {
    return cellOfVoxel_[std::size_t(axis)][std::size_t(voxel)];
  }
  std::int64_t width(int axis, std::int64_t cell) const;
  // The sum of k (W/(m K)) over the voxels of cell c (ci, cj, ck) at the cell's temperature.
  double conductivitySum(std::size_t c, std::int64_t ci, std::int64_t cj, std::int64_t ck,
                         double temperature_degC) const;
  // sum[ci] for the cells ci0 .. ci1 - 1 of the row of cells (cj, ck): the perfusion sink
  // w rho_b c_b (W/(m3 K)) with each voxel's damage shutdown, summed over the cell's voxels in
  // the order k, j, i.
  TWINPLAN_ABLATION_WIDE_LOOPS void perfusionRowSums(const StepInputs& in, std::int64_t cj,
                                                     std::int64_t ck, std::int64_t ci0,
                                                     std::int64_t ci1, double* sum) const;
  std::size_t cellIndex(std::int64_t ci, std::int64_t cj, std::int64_t ck) const {
    return std::size_t(ci + cells_[0] * (cj + cells_[1] * ck));
  }
  // Per axis, the cells first .. end - 1 that lie inside `box` along that axis: a cell is inside
  // the box when it is inside along all three (none for an empty box).
  struct CellRange {
    std::int64_t first = 0, end = 0;
    bool holds(std::int64_t c) const { return c >= first && c < end; }
  };
  using CellRanges = std::array<CellRange, 3>;
  CellRanges insideCells(const Box& box) const;
  // The row loops marked TWINPLAN_ABLATION_WIDE_LOOPS are built for SSE2 and AVX2 and picked at
  // load, as the fine box's (stencil_solver.h: no FMA, the same bits at either width). Only
  // private members called from far_field.cpp: a caller in another file would emit a resolver for
  // clones it cannot see (the link fails).
  // solveCoarse's row of cells (cj, ck), in three passes: each cell's mean conductivity at its
  // temperature, power and perfusion (coarseConductivity_W_mK_, coarsePower_W_,
  // coarsePerfusion_W_K_; summed again where damageChanged; none for the cells `held` inside the
  // fine box); the faces towards +x, +y, +z; the stencil rows and first guesses.
  TWINPLAN_ABLATION_WIDE_LOOPS void cellCoefficients(const StepInputs& in, std::int64_t cj,
                                                     std::int64_t ck, bool damageChanged,
                                                     const CellRanges& held);
  TWINPLAN_ABLATION_WIDE_LOOPS void coarseFaces(std::int64_t cj, std::int64_t ck);
  void coarseRow(const StepInputs& in, std::int64_t cj, std::int64_t ck, const CellRanges& held);
  // coarseRow's loop over the row's cells (from c0), given per axis each cell's two faces summed
  // (W/K): diagonal, right-hand side, inverse diagonal and first guess of every cell.
  TWINPLAN_ABLATION_WIDE_LOOPS void coarseRowTerms(const StepInputs& in, std::size_t c0,
                                                   const std::array<std::vector<double>, 3>& faces);
  // The area (m2) of cell (ci, cj, ck)'s faces across `axis`.
  double faceArea_m2(int axis, std::int64_t ci, std::int64_t cj, std::int64_t ck) const;
  // The smallest box of whole cells that holds `box` (not empty along any axis).
  Box wholeCells(const Box& box) const;
  // The bounds of the grid's flowing-blood voxels (StepInputs::wallCoefficient_W_m2K > 0),
  // found at the first call; empty without vessels.
  const Bounds& vesselBounds(const StepInputs& in);
  // Cell values with a layer of halo cells around them, so that interpolation never branches:
  // the halo holds 0 (the grid's faces, at arterial temperature) or, with replicateEdges, the
  // outermost cell's value (the power, which does not vanish at the faces).
  struct PaddedCells {
    std::int64_t sx = 0, sy = 0;  // strides of the padded array
    std::vector<float> value;
  };
  void pad(const std::vector<float>& cellValue, bool replicateEdges, PaddedCells& padded) const;
  // The padded cell values interpolated at voxels i0 .. i1 - 1 of row (j, k), into out[i].
  TWINPLAN_ABLATION_WIDE_LOOPS void interpolateRow(const PaddedCells& padded, std::int64_t j,
                                                   std::int64_t k, std::int64_t i0, std::int64_t i1,
                                                   float* out) const;
  // interpolateRow's pass along x over voxels i0 .. i1 - 1, combined[n] the four rows at node
  // first + n. Inlined into interpolateRow's clones.
  [[gnu::always_inline]] inline void interpolateAlongX(const float* combined, std::int64_t first,
                                                       std::int64_t i0, std::int64_t i1,
                                                       float* out) const;
  // fineBox's marks: the voxels outside `core` whose temperature (inside `previous`) or step's
  // heating the cells misrepresent, and the far-field cells whose missed heat passed the
  // tolerance; also adds the step's missed heat to misplacedHeating_K_. The voxels of quiet
  // cells (markQuietCells) are not examined: none can be marked, and their cell's missed heat is
  // its power less interpolatedPowerSum().
  Bounds misrepresented(const StepInputs& in, const Box& previous, const Box& core,
                        double tolerance_K, const std::vector<float>& temperature_degC,
                        const PaddedCells& paddedPower);
  // misrepresented's test of voxels i0 .. i1 - 1 of the row that starts at voxel v0: marked[i]
  // where the cells' power (cellPower[i]) misses the voxel's heating of the step by more than
  // tolerance_K or, for i in t0 .. t1 - 1 (inside the last box), where the interpolant of the
  // cells (cellDeviation[i]) misses its temperature by more than that; missed_W_m3[i]: its power
  // less the cells'. Its loops hold no calls or branches, so that they widen.
  TWINPLAN_ABLATION_WIDE_LOOPS void markRun(const StepInputs& in, std::size_t v0, std::int64_t i0,
                                            std::int64_t i1, std::int64_t t0, std::int64_t t1,
                                            double tolerance_K, const float* cellPower,
                                            const float* cellDeviation,
                                            const std::vector<float>& temperature_degC,
                                            double* missed_W_m3, unsigned char* marked) const;
  // Adds the missed heat of voxels i0 .. i1 - 1 of a row (missed_W_m3[i] over the step and a
  // voxel's volume) to their cells in missedRow_J (one row of cells), voxel by voxel.
  void addMissedRowHeat(std::int64_t i0, std::int64_t i1, const double* missed_W_m3,
                        double stepVolume_m3s, double* missedRow_J) const;
  // body(i0, i1) for the runs of voxels i0 .. i1 - 1 of row (j, plane of cells ck) outside the
  // quiet cells.
  template <class Body>
  void forEachLoudRun(std::int64_t j, std::int64_t ck, std::int64_t i0, std::int64_t i1,
                      Body&& body) const {
    if (i0 >= i1) return;
    const char* quiet = quietCell_.data() + cellIndex(0, cellOf(1, j), ck);
    // The row's cells scanned as bytes: each run of loud cells, clipped to i0 .. i1 - 1.
    const std::int64_t last = cellOf(0, i1 - 1);
    for (std::int64_t c = cellOf(0, i0); c <= last;) {
      while (c <= last && quiet[c] != 0) ++c;
      const std::int64_t first = c;
      while (c <= last && quiet[c] == 0) ++c;
      if (c == first) continue;
      const std::int64_t end = (c - 1) * coarsening_ + width(0, c - 1);  // the run's last cell's
      body(std::max(i0, first * coarsening_), std::min(i1, end));
    }
  }
  // The interpolated power summed over each cell of a plane (sums, ci + cells x cj), and the
  // weighted planes and rows it is formed from (interpolatedPowerSums).
  struct PowerSums {
    std::vector<double> alongZ, alongY, sums;
  };
  // misrepresented's far cells of plane ck (outside the cells inPrevious): the heat their
  // interpolated power missed (missed_J per cell of the plane from the voxels, or for quiet cells
  // from the cell sums), summed over the steps (misplacedHeating_K_); marks the cells where it
  // passed the tolerance.
  TWINPLAN_ABLATION_WIDE_LOOPS void addMissedHeat(std::int64_t ck, const CellRanges& inPrevious,
                                                  double tolerance_K,
                                                  const PaddedCells& paddedPower,
                                                  double stepVolume_m3s,
                                                  std::vector<double>& missed_J,
                                                  PowerSums& interpolated, Bounds& marks);
  // cellPower_W_m3_, cellPowerSum_W_m3_ and cellPowerPeak_W_m3_ from the step's power (a power
  // that is not a number throws); returns the lowest voxel power (at most 0).
  float sumCellPowers(const StepInputs& in);
  // One row of voxel powers into its row of cells' sums and peaks; lowest[i]: the lowest power
  // seen at column i.
  TWINPLAN_ABLATION_WIDE_LOOPS void addRowPower(const float* row, double* sum_W_m3, float* peak,
                                                float* lowest) const;
  // cellPower_W_m3_ of the row of cells (cj, ck) from their sums; throws for a power that is not
  // a number.
  void finishCellPowers(const StepInputs& in, std::int64_t cj, std::int64_t ck);
  // quietCell_: the cells outside `previous` none of whose voxels' heating the interpolated power
  // can misrepresent by more than tolerance_K. With every power >= 0 a voxel's power and its
  // interpolant (a convex combination of the 3 x 3 x 3 cells' mean powers around its cell) both
  // lie in [0, largest of the voxel powers and those means], so the error is at most that largest
  // value times the step over the smallest heat capacity per volume.
  void markQuietCells(const StepInputs& in, const Box& previous, double tolerance_K,
                      const PaddedCells& paddedPower, bool powerNonNegative);
  // Per cell of plane ck (ci + cells x cj): the interpolated power summed over its voxels
  // (W/m3), from the 27 padded cells around it and the per-axis sums of the interpolation
  // weights (cellWeightSums_), one axis at a time.
  void interpolatedPowerSums(const PaddedCells& paddedPower, std::int64_t ck, PowerSums& out) const;
  // body(v) for every voxel of cell (ci, cj, ck).
  template <class Body>
  void forEachVoxel(std::int64_t ci, std::int64_t cj, std::int64_t ck, Body&& body) const {
    const ImageGeometry& g = grid_->geometry;
    for (std::int64_t k = ck * coarsening_; k < ck * coarsening_ + width(2, ck); ++k)
      for (std::int64_t j = cj * coarsening_; j < cj * coarsening_ + width(1, cj); ++j)
        for (std::int64_t i = ci * coarsening_; i < ci * coarsening_ + width(0, ci); ++i)
          body(g.linearIndex(i, j, k));
  }
  // body(ck) for every plane of cells, in parallel.
  template <class Body>
  void forEachCellPlane(Body&& body) const {
    parallel::parallelFor({0, std::size_t(cells_[2])}, 1, [&](parallel::IndexRange planes) {
      for (auto ck = std::int64_t(planes.begin); ck < std::int64_t(planes.end); ++ck) body(ck);
    });
  }
  // Adds each voxel's heat capacity times voxelValue(v, i, j, k) (K) over voxels i0 .. i1 - 1
  // (whole cells) of the rows of the row of cells (cj, ck) into heat_J_K[cell - the first cell],
  // each cell its voxels in the order k, j, i: restriction and the interpolant's shift sum a
  // cell's heat alike, so that heatCapacity_J_K_ conserves it.
  template <class VoxelValue>
  void addRowHeat(std::int64_t cj, std::int64_t ck, std::int64_t i0, std::int64_t i1,
                  VoxelValue&& voxelValue, double* heat_J_K) const;
  // addRowHeat's row (j, k) (starting at voxel v0) where the cells are two voxels wide and the
  // voxels i0 .. i1 - 1 of one tissue: the same sums, the cells side by side in a widened loop.
  // Returns false (nothing added) otherwise.
  template <class VoxelValue>
  bool addPairedRowHeat(std::size_t v0, std::int64_t i0, std::int64_t i1, std::int64_t j,
                        std::int64_t k, VoxelValue&& voxelValue, double* heat_J_K) const;
  // The interpolant of deviation_ (padded_), shifted per cell to the cell's heat, at the voxels
  // of cell plane ck inside `region` (aligned to cells) and outside `excluded`, into
  // voxelAt(i, j, k) (a float&; a row's voxels contiguous).
  template <class VoxelAt>
  void interpolatePlane(std::int64_t ck, const Box& region, const Box& excluded,
                        VoxelAt&& voxelAt) const;
  // interpolatePlane's shift for the row of cells (cj, ck) in `region` outside the cells `skip`
  // (insideCells of the excluded box): rowAt(j, k) gives the float* of voxel row (j, k) (index i),
  // whose values less offset_K are the voxels' deviations (fineBox shifts temperatures, offset
  // the arterial temperature); each cell's voxels move by one shift so that their heat is the
  // cell's.
  template <class RowAt>
  void shiftCellRow(std::int64_t ck, std::int64_t cj, const Box& region, const CellRanges& skip,
                    RowAt&& rowAt, double offset_K = 0.0) const;
  // absorbFine's refluxing of the row of cells beyond `side` of the fine box at cell cellAlongB
  // along the side's axis b: the heat its faces carried in the fine solve less the coarse step's,
  // into deviation_. Reads startDeviation_ and interpolated_; writes only the row's cells.
  void refluxRow(const StepInputs& in, const Box& fine, const BoxSide& side,
                 std::int64_t cellAlongB, const std::vector<BoxFace>& faces,
                 const std::vector<float>& fineDeviation_K);
  // shiftCellRow's shift of voxels i0 .. i1 - 1 (whole cells) of a row: row[i] plus its cell's
  // shift_K (indexed by cell along x).
  void addRowShifts(std::int64_t i0, std::int64_t i1, const float* shift_K, float* row) const;
  // interpolated_ from deviation_ for the voxels of `region` (aligned to cells) outside `box`.
  void interpolateOutside(const Box& box, const Box& region);
  // deviation_ of the cells inside `box` from the voxels' deviations, heat-content weighted;
  // voxelDeviation(v) gives a voxel's deviation (K).
  template <class VoxelDeviation>
  void restrictInside(const Box& box, VoxelDeviation&& voxelDeviation);

  const AblationGrid* grid_;
  const std::vector<TissueCoefficients>* tissues_;
  std::int64_t coarsening_;
  std::array<std::int64_t, 3> cells_{};
  std::array<AxisWeights, 3> weights_;
  // Along x, the voxels 0 .. pairedNodesEnd_ - 1 read nodes (i + 1) / 2 - 1 and the next
  // (coarsening 2; 0 otherwise): interpolateRow takes them by pairs.
  std::int64_t pairedNodesEnd_ = 0;
  // Rows of cells two voxels wide taken by pairs (coarsening 2), one-tissue rows of
  // conductivities at once: the fast forms (false under FarFieldGeneralRowsForTesting).
  bool pairedRows_ = false;
  bool oneTissueRows_ = true;
  // Per axis and cell: the distance (m) from its centre to the next cell's and to its own face
  // (the coarse step's conductances).
  std::array<std::vector<double>, 3> centreDistance_m_, edgeDistance_m_;
  // Per axis and voxel index: its cell (the last cell of an axis takes the leftover voxels).
  std::array<std::vector<std::int64_t>, 3> cellOfVoxel_;
  std::vector<double> heatCapacity_J_K_;       // per cell: sum of rho c h^3 of its voxels
  std::vector<double> voxelHeatCapacity_J_K_;  // per tissue: rho c h^3 of one voxel
  std::vector<double> heatCapacity_J_m3K_;     // per tissue: rho c (markRun)
  std::vector<double> perfusionSink_W_m3K_;    // per tissue: w rho_b c_b (perfusionRowSums)
  // Per cell: its voxels' one tissue, or -1 where they hold several (the coarse step's
  // conductivity of a one-tissue cell needs no pass over its voxels).
  std::vector<int> cellTissue_;
  // Per cell: perfusionSum() as of the last coarse step, and per cell plane whether its damage
  // changed since (markDamageChanged; 1 at the start).
  std::vector<double> perfusionSum_;
  std::vector<char> damageChanged_;
  std::vector<float> deviation_;         // per cell (K): the coarse state
  std::vector<float> previousChange_K_;  // per cell: the last step's change (warm start)
  std::vector<float> interpolated_;      // per voxel (outside the fine box)
  // Per cell (K): the heat the cells' interpolated power missed in the cell (the power less
  // its trilinear interpolant, summed over the cell's voxels), summed over the steps the cell
  // spent in the far field (fineBox).
  std::vector<float> misplacedHeating_K_;
  PaddedCells padded_;                 // scratch for the interpolations
  PaddedCells paddedPower_;            // fineBox's scratch: the cells' mean powers, padded
  std::vector<float> cellPower_W_m3_;  // per cell: the step's mean power (fineBox)
  // Per cell: the step's summed power (W/m3, over its voxels) and its largest voxel power; the
  // quiet cells (markQuietCells).
  std::vector<double> cellPowerSum_W_m3_;
  std::vector<float> cellPowerPeak_W_m3_;
  std::vector<char> quietCell_;
  std::array<std::vector<float>, 2> neighbourPeak_;  // markQuietCells' scratch
  // Per axis and cell: the sums over the cell's voxels of the interpolation weights on nodes
  // c - 1, c and c + 1.
  std::array<std::vector<std::array<double, 3>>, 3> cellWeightSums_;
  double smallestHeatCapacity_J_m3K_ = 0.0;  // over the grid's tissues
  StencilSystem system_;                     // the last coarse step's system (W/K), for refluxing
  std::vector<float> startDeviation_;        // per cell: the coarse state at the step's start
  // absorbFine's rows of cells beyond the fine box: a side (boxSides' order) and the row's cell
  // along the side's axis b; listed for refluxBox_ (with its sides and their face count) and
  // kept while the box stays, so that refluxing neither allocates nor lists them each step.
  struct CellRow {
    std::size_t side = 0;
    std::int64_t cellAlongB = 0;
  };
  void listRefluxRows(const Box& fine);
  std::vector<CellRow> refluxRows_;
  std::vector<BoxSide> refluxSides_;
  std::size_t refluxFaceCount_ = 0;
  Box refluxBox_;
  bool refluxRowsValid_ = false;
  // solveCoarse's per-cell perfusion (W/K), power (W), mean conductivity and solution.
  std::vector<double> coarsePerfusion_W_K_, coarsePower_W_, coarseConductivity_W_mK_;
  std::vector<float> coarseSolution_K_;
  // Per cell plane ck: deviation_ of planes ck - 1 .. ck + 1 when ck was last written
  // (markPlaneWritten), and whether it was.
  std::vector<float> writtenFrom_;
  std::vector<char> planeWritten_;
  SolverWorkspace work_;
  Bounds vessels_;
  bool vesselsFound_ = false;
};

}  // namespace twinplan::ablation::detail
