#include "far_field.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cmath>
#include <iterator>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

// The conductances (W/K) of faces 0 .. n - 1 between cells of conductivities kA[i] and kB[i]
// (W/(m K)): their harmonic mean (rounded to float) times the face's area over distance_m(i);
// 0 where kA + kB is not positive (both 0). Two loops, so that both vectorise: the first divides
// every face's 2 kA kB by its sum (by 1 where that is not positive); the second writes the
// zeros. A divisor chosen in the division's own expression, or the zero chosen in the first
// loop, would be folded into a branch around the division, which -ftrapping-math keeps from
// vectorising; std::isgreater is > without the invalid-operand signal. Each face's value is the
// single-loop one.
template <class Distance>
inline void harmonicFaces(const double* kA, const double* kB, double area_m2, Distance&& distance_m,
                          std::size_t n, float* faces) {
  for (std::size_t i = 0; i < n; ++i) {
    const double a = kA[i], b = kB[i], sum = a + b;
    const double divisor = std::isgreater(sum, 0.0) ? sum : 1.0;
    const auto mean = float(2.0 * a * b / divisor);
    faces[i] = float(double(mean) * area_m2 / distance_m(i));
  }
  for (std::size_t i = 0; i < n; ++i)
    faces[i] = std::isgreater(kA[i] + kB[i], 0.0) ? faces[i] : 0.0f;
}

// heat_J_K[c] plus voxelHeat_J_K[2 c] and then voxelHeat_J_K[2 c + 1] for c < pairs: the two
// additions in the voxels' order, so the bits of adding them one by one at any width.
TWINPLAN_ABLATION_WIDE_LOOPS void addPairs(const double* __restrict voxelHeat_J_K,
                                           double* __restrict heat_J_K, std::size_t pairs) {
  for (std::size_t c = 0; c < pairs; ++c)
    heat_J_K[c] = (heat_J_K[c] + voxelHeat_J_K[2 * c]) + voxelHeat_J_K[2 * c + 1];
}

// row[2 c] and row[2 c + 1] plus shift_K[c] for c < pairs (cells two voxels wide): each voxel's
// own addition, so the bits of adding them one by one.
TWINPLAN_ABLATION_WIDE_LOOPS void addPairShifts(const float* __restrict shift_K,
                                                float* __restrict row, std::size_t pairs) {
  for (std::size_t c = 0; c < pairs; ++c) {
    row[2 * c] += shift_K[c];
    row[2 * c + 1] += shift_K[c];
  }
}

// The cells two voxels wide of a row (addRowPower): sum_W_m3[c] plus row[2 c] and then
// row[2 c + 1], peak[c] the larger of them, for c < pairs: the operations and order of adding
// the voxels one by one, in a loop with a fixed stride, which widens.
TWINPLAN_ABLATION_WIDE_LOOPS void addPairPowers(const float* __restrict row,
                                                double* __restrict sum_W_m3, float* __restrict peak,
                                                std::size_t pairs) {
  for (std::size_t c = 0; c < pairs; ++c) {
    const float first = row[2 * c], second = row[2 * c + 1];
    sum_W_m3[c] = (sum_W_m3[c] + double(first)) + double(second);
    peak[c] = std::max(std::max(peak[c], first), second);
  }
}

// FarFieldGeneralRowsForTesting's setting.
std::atomic<bool> generalRowsForTesting{false};

}  // namespace

FarFieldGeneralRowsForTesting::FarFieldGeneralRowsForTesting() { generalRowsForTesting = true; }
FarFieldGeneralRowsForTesting::~FarFieldGeneralRowsForTesting() { generalRowsForTesting = false; }

FarField::FarField(const AblationGrid& grid, const std::vector<TissueCoefficients>& tissues,
                   int coarsening)
    : grid_(&grid), tissues_(&tissues), coarsening_(coarsening) {
  const ImageGeometry& g = grid.geometry;
  // An axis the coarsening does not divide ends in one wider cell, not in a sliver: a cell one
  // voxel wide would hold the grid's outermost voxel alone (on an RF grid the ground, whose
  // neighbour takes the face's Joule heating), and the cells' power would miss that heating.
  for (int a = 0; a < 3; ++a) {
    cells_[a] = std::max<std::int64_t>(1, g.size[a] / coarsening_);
    for (std::int64_t i = 0; i < g.size[a]; ++i)
      cellOfVoxel_[a].push_back(std::min(i / coarsening_, cells_[a] - 1));
  }
  const double h_m = grid.voxelSize_m(), volume_m3 = h_m * h_m * h_m;
  for (int a = 0; a < 3; ++a) {
    // The coarse step's distances between cell centres and from a cell's centre to its face.
    for (std::int64_t c = 0; c < cells_[a]; ++c) {
      const double w = double(width(a, c));
      edgeDistance_m_[a].push_back(0.5 * w * h_m);
      centreDistance_m_[a].push_back(c + 1 < cells_[a] ? 0.5 * (w + double(width(a, c + 1))) * h_m
                                                       : 0.0);
    }
  }
  for (int a = 0; a < 3; ++a) {
    weights_[a] = axisWeights(a);
    cellWeightSums_[a].assign(std::size_t(cells_[a]), {0.0, 0.0, 0.0});
    for (std::int64_t i = 0; i < g.size[a]; ++i) {
      const std::int64_t c = cellOf(a, i), n = weights_[a].node[std::size_t(i)];
      const double w = weights_[a].weight[std::size_t(i)];
      cellWeightSums_[a][std::size_t(c)][std::size_t(n - (c - 1))] += 1.0 - w;
      cellWeightSums_[a][std::size_t(c)][std::size_t(n + 1 - (c - 1))] += w;
    }
  }
  // Along x with coarsening 2, voxel i reads nodes (i + 1) / 2 - 1 and the next (the cell
  // centres lie between voxel pairs): the voxels from 0 for which the table says so.
  pairedRows_ = coarsening_ == 2 && !generalRowsForTesting;
  oneTissueRows_ = !generalRowsForTesting;
  while (pairedRows_ && pairedNodesEnd_ < g.size[0] &&
         weights_[0].node[std::size_t(pairedNodesEnd_)] == (pairedNodesEnd_ + 1) / 2 - 1)
    ++pairedNodesEnd_;
  smallestHeatCapacity_J_m3K_ = std::numeric_limits<double>::infinity();
  for (const TissueCoefficients& t : tissues)
    smallestHeatCapacity_J_m3K_ =
        std::min(smallestHeatCapacity_J_m3K_, t.heatCapacityPerVolume_J_m3K);
  heatCapacity_J_K_.assign(std::size_t(cells_[0] * cells_[1] * cells_[2]), 0.0);
  for (const TissueCoefficients& t : tissues) {
    voxelHeatCapacity_J_K_.push_back(t.heatCapacityPerVolume_J_m3K * volume_m3);
    heatCapacity_J_m3K_.push_back(t.heatCapacityPerVolume_J_m3K);
    perfusionSink_W_m3K_.push_back(t.perfusionSink_W_m3K);
  }
  cellTissue_.assign(heatCapacity_J_K_.size(), -1);
  // Each cell's heat capacity (its voxels in order) and its one tissue, if any; planes of cells
  // in parallel.
  forEachCellPlane([&](std::int64_t ck) {
    for (std::int64_t cj = 0; cj < cells_[1]; ++cj)
      for (std::int64_t ci = 0; ci < cells_[0]; ++ci) {
        const std::size_t c = cellIndex(ci, cj, ck);
        const int first =
            grid.tissue[g.linearIndex(ci * coarsening_, cj * coarsening_, ck * coarsening_)];
        bool one = true;
        forEachVoxel(ci, cj, ck, [&](std::size_t v) {
          heatCapacity_J_K_[c] += tissues[grid.tissue[v]].heatCapacityPerVolume_J_m3K * volume_m3;
          one = one && grid.tissue[v] == first;
        });
        if (one) cellTissue_[c] = first;
      }
  });
  perfusionSum_.assign(heatCapacity_J_K_.size(), 0.0);
  damageChanged_.assign(std::size_t(cells_[2]), 1);
  deviation_.assign(heatCapacity_J_K_.size(), 0.0f);
  previousChange_K_.assign(heatCapacity_J_K_.size(), 0.0f);
  interpolated_.assign(g.voxelCount(), 0.0f);
  misplacedHeating_K_.assign(heatCapacity_J_K_.size(), 0.0f);
  writtenFrom_.assign(3 * heatCapacity_J_K_.size(), 0.0f);
  planeWritten_.assign(std::size_t(cells_[2]), 0);
}

double FarField::conductivitySum(std::size_t c, std::int64_t ci, std::int64_t cj, std::int64_t ck,
                                 double temperature_degC) const {
  double sum = 0.0;
  if (cellTissue_[c] >= 0) {
    // One tissue: the same sum, term by term, without reading the voxels.
    const double k = (*tissues_)[std::size_t(cellTissue_[c])].conductivityAt(temperature_degC);
    for (std::int64_t n = width(0, ci) * width(1, cj) * width(2, ck); n > 0; --n) sum += k;
    return sum;
  }
  // k per tissue run (most cells hold one or two tissues).
  int lastTissue = -1;
  double k = 0.0;
  forEachVoxel(ci, cj, ck, [&](std::size_t v) {
    if (grid_->tissue[v] != lastTissue) {
      lastTissue = grid_->tissue[v];
      k = (*tissues_)[grid_->tissue[v]].conductivityAt(temperature_degC);
    }
    sum += k;
  });
  return sum;
}

void FarField::perfusionRowSums(const StepInputs& in, std::int64_t cj, std::int64_t ck,
                                std::int64_t ci0, std::int64_t ci1, double* sum) const {
  if (ci0 >= ci1) return;
  const ImageGeometry& g = grid_->geometry;
  const PerfusionShutdown rule = in.parameters->perfusionShutdown;
  const std::int64_t i0 = ci0 * coarsening_, i1 = (ci1 - 1) * coarsening_ + width(0, ci1 - 1);
  // Cells ci0 .. ci1 - 1 two voxels wide, summed by pairs (addPairs); the grid's last, if wider,
  // voxel by voxel. Every cell adds its voxels in the order k, j, i.
  const std::int64_t pairs = pairedRows_ ? std::min(ci1, cells_[0] - 1) - ci0 : std::int64_t(0);
  thread_local std::vector<double> term;
  term.resize(std::size_t(g.size[0]));
  std::fill(sum + ci0, sum + ci1, 0.0);
  for (std::int64_t k = firstPlane(ck); k < firstPlane(ck) + planesOf(ck); ++k)
    for (std::int64_t j = cj * coarsening_; j < cj * coarsening_ + width(1, cj); ++j) {
      const std::size_t v0 = g.linearIndex(0, j, k);
      const TissueIndex* tissue = grid_->tissue.data() + v0;
      const float* damage = in.damage->data() + v0;
      // Each voxel's shutdown factor (perfusionFactorOf; the default rule's as a select on a
      // quiet comparison), then times its sink: two loops, so that both widen in a row of one
      // tissue (GCC turns the product of a select into a branch). In place in `term`.
      double* factor = term.data();
      if (rule == PerfusionShutdown::AtOmegaOne) {
        for (std::int64_t i = i0; i < i1; ++i)
          factor[i] = std::isgreaterequal(double(damage[i]), 1.0) ? 0.0 : 1.0;
      } else {
        for (std::int64_t i = i0; i < i1; ++i)
          factor[i] = perfusionFactorOf(rule, double(damage[i]));
      }
      if (oneTissue(tissue + i0, tissue + i1)) {
        const double sink_W_m3K = perfusionSink_W_m3K_[tissue[i0]];
        for (std::int64_t i = i0; i < i1; ++i) factor[i] = sink_W_m3K * factor[i];
      } else {
        for (std::int64_t i = i0; i < i1; ++i)
          factor[i] = perfusionSink_W_m3K_[tissue[i]] * factor[i];
      }
      addPairs(term.data() + i0, sum + ci0, std::size_t(std::max<std::int64_t>(0, pairs)));
      for (std::int64_t i = i0 + 2 * std::max<std::int64_t>(0, pairs); i < i1; ++i)
        sum[cellOf(0, i)] += term[std::size_t(i)];
    }
}

std::int64_t FarField::width(int axis, std::int64_t cell) const {
  return cell + 1 < cells_[axis] ? coarsening_ : grid_->geometry.size[axis] - cell * coarsening_;
}

FarField::AxisWeights FarField::axisWeights(int axis) const {
  const std::int64_t size = grid_->geometry.size[axis];
  // Node positions in voxel index units: the face at -0.5, the cell centres, the face at n - 0.5.
  auto position = [&](std::int64_t node) {
    if (node < 0) return -0.5;
    if (node >= cells_[axis]) return double(size) - 0.5;
    return double(node * coarsening_) + 0.5 * double(width(axis, node) - 1);
  };
  AxisWeights w;
  for (std::int64_t i = 0; i < size; ++i) {
    std::int64_t node = cellOf(axis, i);
    if (position(node) > double(i)) --node;
    w.node.push_back(node);
    w.weight.push_back(float((double(i) - position(node)) / (position(node + 1) - position(node))));
  }
  return w;
}

FarField::CellRanges FarField::insideCells(const Box& box) const {
  CellRanges ranges;
  for (int a = 0; a < 3; ++a) {
    CellRange& r = ranges[std::size_t(a)];
    r.first = r.end = 0;
    for (std::int64_t c = 0; c < cells_[a]; ++c) {
      if (c * coarsening_ < box.lo[a] || c * coarsening_ + width(a, c) > box.hi[a]) continue;
      if (r.end == r.first) r.first = c;
      r.end = c + 1;
    }
  }
  return ranges;
}

Box FarField::wholeCells(const Box& box) const {
  Box cells;
  for (int a = 0; a < 3; ++a) {
    const std::int64_t last = cellOf(a, box.hi[a] - 1);
    cells.lo[a] = cellOf(a, box.lo[a]) * coarsening_;
    cells.hi[a] = last * coarsening_ + width(a, last);
  }
  return cells;
}

void FarField::pad(const std::vector<float>& cellValue, bool replicateEdges,
                   PaddedCells& padded) const {
  padded.sx = cells_[0] + 2;
  padded.sy = cells_[1] + 2;
  padded.value.resize(std::size_t(padded.sx * padded.sy * (cells_[2] + 2)));  // all written
  // Row by row of cells, the planes in four chunks in parallel (a plane is a microsecond or
  // two; four chunks tuned on the shared 2-vCPU VM); a halo row or plane holds 0 or, with
  // replicateEdges, the nearest row.
  const std::int64_t sx = padded.sx, sy = padded.sy;
  const auto planeCount = std::size_t(cells_[2] + 2);
  parallel::parallelFor({0, planeCount}, (planeCount + 3) / 4, [&](parallel::IndexRange planes) {
    for (auto pk = std::int64_t(planes.begin); pk < std::int64_t(planes.end); ++pk)
      for (std::int64_t cj = -1; cj <= cells_[1]; ++cj) {
        const std::int64_t ck = pk - 1;
        float* to = padded.value.data() + std::size_t(sx * ((cj + 1) + sy * pk));
        const bool halo = cj < 0 || ck < 0 || cj == cells_[1] || ck == cells_[2];
        if (halo && !replicateEdges) {
          std::fill_n(to, sx, 0.0f);
          continue;
        }
        const float* from =
            cellValue.data() + cellIndex(0, std::clamp<std::int64_t>(cj, 0, cells_[1] - 1),
                                         std::clamp<std::int64_t>(ck, 0, cells_[2] - 1));
        std::copy_n(from, cells_[0], to + 1);
        to[0] = replicateEdges ? from[0] : 0.0f;
        to[cells_[0] + 1] = replicateEdges ? from[cells_[0] - 1] : 0.0f;
      }
  });
}

void FarField::interpolateAlongX(const float* combined, std::int64_t first, std::int64_t i0,
                                 std::int64_t i1, float* out) const {
  const std::int64_t* node = weights_[0].node.data();
  const float* weight = weights_[0].weight.data();
  // Voxel i between its nodes, combined[n] at node first + n: the same expression whichever
  // loop forms it, so the same bits.
  auto voxel = [&](std::int64_t i) {
    const auto n = std::size_t(node[i] - first);
    out[i] = (1.0f - weight[i]) * combined[n] + weight[i] * combined[n + 1];
  };
  // Two voxels a node (pairedNodesEnd_: voxels 2 m + 1 and 2 m + 2 read nodes m and m + 1):
  // the pairs in a loop without the node table, which widens (the table's reads are a gather).
  std::int64_t i = i0;
  const std::int64_t pairedEnd = std::min(i1, pairedNodesEnd_);
  if (i < pairedEnd && i % 2 == 0) voxel(i++);
  const std::int64_t pairs = std::max<std::int64_t>(0, (pairedEnd - i) / 2);
  if (pairs > 0) {
    const float* __restrict at = combined + (node[i] - first);
    const float* __restrict w = weight + i;
    float* __restrict o = out + i;
    for (std::int64_t m = 0; m < pairs; ++m) {
      const float lo = at[m], hi = at[m + 1];
      o[2 * m] = (1.0f - w[2 * m]) * lo + w[2 * m] * hi;
      o[2 * m + 1] = (1.0f - w[2 * m + 1]) * lo + w[2 * m + 1] * hi;
    }
    i += 2 * pairs;
  }
  for (; i < i1; ++i) voxel(i);
}

void FarField::interpolateRow(const PaddedCells& padded, std::int64_t j, std::int64_t k,
                              std::int64_t i0, std::int64_t i1, float* out) const {
  const std::int64_t nj = weights_[1].node[std::size_t(j)], nk = weights_[2].node[std::size_t(k)];
  const float wj = weights_[1].weight[std::size_t(j)], wk = weights_[2].weight[std::size_t(k)];
  // The four rows of cells around the voxel row (node -1 is the halo: padded index 0).
  const float* row[2][2];
  for (int dj = 0; dj < 2; ++dj)
    for (int dk = 0; dk < 2; ++dk)
      row[dj][dk] = padded.value.data() +
                    std::size_t(1 + padded.sx * ((nj + dj + 1) + padded.sy * (nk + dk + 1)));
  const float w00 = (1.0f - wj) * (1.0f - wk), w10 = wj * (1.0f - wk), w01 = (1.0f - wj) * wk,
              w11 = wj * wk;
  const std::int64_t* node = weights_[0].node.data();
  // The four rows combined first at the nodes the voxels read (about half as many nodes as
  // voxels), then along x: a node's value does not depend on i0 and i1, so neither does a
  // voxel's, and the chunks keep the combined nodes on the stack.
  constexpr std::int64_t kChunkNodes = 256;
  std::array<float, kChunkNodes> combined;
  for (std::int64_t start = i0; start < i1;) {
    const std::int64_t first = node[start];
    // The chunk: the voxels whose two nodes lie within kChunkNodes of the first (nodes rise
    // with i).
    const std::int64_t end =
        std::upper_bound(node + start, node + i1, first + kChunkNodes - 2) - node;
    for (std::int64_t n = first; n <= node[end - 1] + 1; ++n)
      combined[std::size_t(n - first)] =
          w00 * row[0][0][n] + w10 * row[1][0][n] + w01 * row[0][1][n] + w11 * row[1][1][n];
    interpolateAlongX(combined.data(), first, start, end, out);
    start = end;
  }
}

template <class VoxelValue>
void FarField::addRowHeat(std::int64_t cj, std::int64_t ck, std::int64_t i0, std::int64_t i1,
                          VoxelValue&& voxelValue, double* heat_J_K) const {
  const ImageGeometry& g = grid_->geometry;
  const std::int64_t firstCell = cellOf(0, i0);
  for (std::int64_t k = firstPlane(ck); k < firstPlane(ck) + planesOf(ck); ++k)
    for (std::int64_t j = cj * coarsening_; j < cj * coarsening_ + width(1, cj); ++j) {
      const std::size_t v0 = g.linearIndex(0, j, k);
      if (addPairedRowHeat(v0, i0, i1, j, k, voxelValue, heat_J_K)) continue;
      for (std::int64_t i = i0; i < i1; ++i) {
        const std::size_t v = v0 + std::size_t(i);
        heat_J_K[cellOf(0, i) - firstCell] +=
            voxelHeatCapacity_J_K_[grid_->tissue[v]] * double(voxelValue(v, i, j, k));
      }
    }
}

template <class VoxelValue>
bool FarField::addPairedRowHeat(std::size_t v0, std::int64_t i0, std::int64_t i1, std::int64_t j,
                                std::int64_t k, VoxelValue&& voxelValue, double* heat_J_K) const {
  if (!pairedRows_ || i0 % 2 != 0) return false;
  const TissueIndex* tissue = grid_->tissue.data() + v0;
  if (!oneTissue(tissue + i0, tissue + i1)) return false;
  const TissueIndex first = tissue[i0];
  // Each voxel's heat (the product addRowHeat adds), then the cells two voxels wide by pairs;
  // the grid's last cell, if wider, voxel by voxel after them.
  thread_local std::vector<double> voxelHeat_J_K;
  voxelHeat_J_K.resize(std::size_t(i1 - i0));
  const double capacity_J_K = voxelHeatCapacity_J_K_[first];
  for (std::int64_t i = i0; i < i1; ++i)
    voxelHeat_J_K[std::size_t(i - i0)] =
        capacity_J_K * double(voxelValue(v0 + std::size_t(i), i, j, k));
  const std::int64_t pairs = std::min(i1 - i0, 2 * (cells_[0] - 1 - i0 / 2)) / 2;
  addPairs(voxelHeat_J_K.data(), heat_J_K, std::size_t(pairs));
  for (std::int64_t i = i0 + 2 * pairs; i < i1; ++i)
    heat_J_K[pairs] += voxelHeat_J_K[std::size_t(i - i0)];
  return true;
}

template <class VoxelAt>
void FarField::interpolatePlane(std::int64_t ck, const Box& region, const Box& excluded,
                                VoxelAt&& voxelAt) const {
  for (std::int64_t k = firstPlane(ck); k < firstPlane(ck) + planesOf(ck); ++k)
    for (std::int64_t j = region.lo[1]; j < region.hi[1]; ++j) {
      float* out = &voxelAt(0, j, k);
      if (!contains(excluded, excluded.lo[0], j, k)) {
        interpolateRow(padded_, j, k, region.lo[0], region.hi[0], out);
        continue;
      }
      interpolateRow(padded_, j, k, region.lo[0], excluded.lo[0], out);
      interpolateRow(padded_, j, k, excluded.hi[0], region.hi[0], out);
    }
  // The interpolant's heat in a cell is the cell's only to second order; each cell's voxels are
  // shifted by the difference, so that the voxels hold exactly the far field's heat.
  const CellRanges skip = insideCells(excluded);
  for (std::int64_t cj = cellOf(1, region.lo[1]); cj <= cellOf(1, region.hi[1] - 1); ++cj)
    shiftCellRow(ck, cj, region, skip,
                 [&](std::int64_t j, std::int64_t k) { return &voxelAt(0, j, k); });
}

template <class RowAt>
void FarField::shiftCellRow(std::int64_t ck, std::int64_t cj, const Box& region,
                            const CellRanges& skip, RowAt&& rowAt, double offset_K) const {
  // The cells of the row in `region` (aligned to cells) and not inside the excluded box (`skip`,
  // its insideCells): one run, or two around the excluded cells.
  const std::int64_t first = cellOf(0, region.lo[0]), end = cellOf(0, region.hi[0] - 1) + 1;
  std::array<CellRange, 2> runs{CellRange{first, end}, CellRange{}};
  if (skip[2].holds(ck) && skip[1].holds(cj) && skip[0].end > skip[0].first) {
    runs[0] = {first, std::max(first, std::min(end, skip[0].first))};
    runs[1] = {std::min(end, std::max(first, skip[0].end)), end};
  }
  auto forEachVoxelRun = [&](auto&& body) {
    for (const CellRange& r : runs)
      if (r.end > r.first)
        body(r.first * coarsening_, (r.end - 1) * coarsening_ + width(0, r.end - 1));
  };
  thread_local std::vector<double> heat_J_K;
  thread_local std::vector<float> shift_K;
  heat_J_K.assign(std::size_t(cells_[0]), 0.0);
  shift_K.resize(std::size_t(cells_[0]));
  forEachVoxelRun([&](std::int64_t i0, std::int64_t i1) {
    addRowHeat(
        cj, ck, i0, i1,
        [&](std::size_t, std::int64_t i, std::int64_t j, std::int64_t k) {
          return double(rowAt(j, k)[i]) - offset_K;
        },
        heat_J_K.data() + cellOf(0, i0));
  });
  for (const CellRange& r : runs)
    for (std::int64_t ci = r.first; ci < r.end; ++ci) {
      const std::size_t c = cellIndex(ci, cj, ck);
      shift_K[std::size_t(ci)] =
          float(deviation_[c] - heat_J_K[std::size_t(ci)] / heatCapacity_J_K_[c]);
    }
  for (std::int64_t k = firstPlane(ck); k < firstPlane(ck) + planesOf(ck); ++k)
    for (std::int64_t j = cj * coarsening_; j < cj * coarsening_ + width(1, cj); ++j) {
      float* row = rowAt(j, k);
      forEachVoxelRun(
          [&](std::int64_t i0, std::int64_t i1) { addRowShifts(i0, i1, shift_K.data(), row); });
    }
}

void FarField::addRowShifts(std::int64_t i0, std::int64_t i1, const float* shift_K,
                            float* row) const {
  std::int64_t i = i0;
  if (pairedRows_ && i0 % 2 == 0) {
    // The cells two voxels wide (all but the grid's last) by pairs, in a widened loop.
    const std::int64_t pairs = std::min(i1 - i0, 2 * (cells_[0] - 1 - i0 / 2)) / 2;
    addPairShifts(shift_K + i0 / 2, row + i0, std::size_t(pairs));
    i += 2 * pairs;
  }
  for (; i < i1; ++i) row[i] += shift_K[std::size_t(cellOf(0, i))];
}

void FarField::interpolateOutside(const Box& box, const Box& region) {
  const ImageGeometry& g = grid_->geometry;
  pad(deviation_, false, padded_);
  // One plane of cells per task, interpolated and then shifted while its voxels are in cache.
  parallel::parallelFor(
      {std::size_t(cellOf(2, region.lo[2])), std::size_t(cellOf(2, region.hi[2] - 1) + 1)}, 1,
      [&](parallel::IndexRange planes) {
        for (auto ck = std::int64_t(planes.begin); ck < std::int64_t(planes.end); ++ck)
          interpolatePlane(ck, region, box,
                           [&](std::int64_t i, std::int64_t j, std::int64_t k) -> float& {
                             return interpolated_[g.linearIndex(i, j, k)];
                           });
      });
}

Box FarField::nearRegion(const Box& fine) const {
  const ImageGeometry& g = grid_->geometry;
  if (fine.voxelCount() == 0) return Box{{0, 0, 0}, {g.size[0], g.size[1], g.size[2]}};
  return wholeCells(grownBox(fine, g, 3 * coarsening_));
}

void FarField::farPlanes(std::int64_t ck, const Box& near, std::vector<float>& planes) const {
  const ImageGeometry& g = grid_->geometry;
  const std::int64_t nx = g.size[0], ny = g.size[1], first = firstPlane(ck);
  planes.resize(std::size_t(nx * ny * planesOf(ck)));
  interpolatePlane(ck, Box{{0, 0, 0}, {g.size[0], g.size[1], g.size[2]}}, near,
                   [&](std::int64_t i, std::int64_t j, std::int64_t k) -> float& {
                     return planes[std::size_t(i + nx * (j + ny * (k - first)))];
                   });
}

void FarField::markPlaneWritten(std::int64_t ck) {
  const auto plane = std::size_t(cells_[0] * cells_[1]);
  for (std::int64_t d = 0; d < 3; ++d) {
    const std::int64_t c = ck - 1 + d;
    if (c < 0 || c >= cells_[2]) continue;
    std::copy_n(deviation_.data() + std::size_t(c) * plane, plane,
                writtenFrom_.data() + std::size_t(3 * ck + d) * plane);
  }
  planeWritten_[std::size_t(ck)] = 1;
}

float FarField::planeStaleness_K(std::int64_t ck, const Box& near) const {
  if (planeWritten_[std::size_t(ck)] == 0) return std::numeric_limits<float>::infinity();
  // The cells' changes since the write, padded by a halo of 0 (the grid's faces): their range
  // over planes ck - 1 .. ck + 1, then along x, then (at each far cell) along y.
  const std::int64_t px = cells_[0] + 2, py = cells_[1] + 2;
  const auto plane = std::size_t(cells_[0] * cells_[1]), padded = std::size_t(px * py);
  thread_local std::vector<float> high, low, rowHigh, rowLow;
  high.assign(padded, -std::numeric_limits<float>::infinity());
  low.assign(padded, std::numeric_limits<float>::infinity());
  auto include = [&](std::size_t at, float change) {
    high[at] = std::max(high[at], change);
    low[at] = std::min(low[at], change);
  };
  for (std::int64_t d = 0; d < 3; ++d) {
    const std::int64_t c = ck - 1 + d;
    const bool halo = c < 0 || c >= cells_[2];
    for (std::int64_t y = 0; y < py; ++y) {
      const auto at = std::size_t(px * y);
      if (halo || y == 0 || y == py - 1) {
        for (std::int64_t x = 0; x < px; ++x) include(at + std::size_t(x), 0.0f);
        continue;
      }
      include(at, 0.0f);
      include(at + std::size_t(px - 1), 0.0f);
      const std::size_t row = std::size_t(c) * plane + cellIndex(0, y - 1, 0);
      const float* now = deviation_.data() + row;
      const float* then =
          writtenFrom_.data() + std::size_t(3 * ck + d) * plane + cellIndex(0, y - 1, 0);
      for (std::int64_t x = 0; x < cells_[0]; ++x)
        include(at + std::size_t(x + 1), now[x] - then[x]);
    }
  }
  rowHigh = high;
  rowLow = low;
  for (std::size_t n = 1; n + 1 < padded; ++n) {
    rowHigh[n] = std::max(std::max(high[n - 1], high[n]), high[n + 1]);
    rowLow[n] = std::min(std::min(low[n - 1], low[n]), low[n + 1]);
  }
  // Each far cell of plane ck: its neighbours' range plus its own change.
  const CellRanges inNear = insideCells(near);
  const bool nearPlane = inNear[2].holds(ck);
  float bound = 0.0f;
  for (std::int64_t cj = 0; cj < cells_[1]; ++cj) {
    const bool nearRow = nearPlane && inNear[1].holds(cj);
    const auto at0 = std::size_t(1 + px * (cj + 1)), row = std::size_t(px);
    const float* own = deviation_.data() + cellIndex(0, cj, ck);
    const float* ownThen =
        writtenFrom_.data() + std::size_t(3 * ck + 1) * plane + cellIndex(0, cj, 0);
    for (std::int64_t ci = 0; ci < cells_[0]; ++ci) {
      if (nearRow && inNear[0].holds(ci)) continue;
      const std::size_t at = at0 + std::size_t(ci);
      const float up = std::max(std::max(rowHigh[at - row], rowHigh[at]), rowHigh[at + row]);
      const float down = std::min(std::min(rowLow[at - row], rowLow[at]), rowLow[at + row]);
      bound = std::max(bound, (up - down) + std::abs(own[ci] - ownThen[ci]));
    }
  }
  return bound;
}

template <class VoxelDeviation>
void FarField::restrictInside(const Box& box, VoxelDeviation&& voxelDeviation) {
  if (box.voxelCount() == 0) return;
  const CellRanges inside = insideCells(box);
  for (const CellRange& r : inside)
    if (r.end <= r.first) return;
  // A row of cells at a time (addRowHeat).
  const std::int64_t i0 = inside[0].first * coarsening_;
  const std::int64_t i1 = (inside[0].end - 1) * coarsening_ + width(0, inside[0].end - 1);
  parallel::parallelFor(
      {std::size_t(inside[2].first), std::size_t(inside[2].end)}, 1,
      [&](parallel::IndexRange planes) {
        std::vector<double> heat_J_K(static_cast<std::size_t>(cells_[0]));
        for (auto ck = std::int64_t(planes.begin); ck < std::int64_t(planes.end); ++ck)
          for (std::int64_t cj = inside[1].first; cj < inside[1].end; ++cj) {
            std::fill(heat_J_K.begin(), heat_J_K.end(), 0.0);
            addRowHeat(cj, ck, i0, i1, voxelDeviation, heat_J_K.data() + inside[0].first);
            for (std::int64_t ci = inside[0].first; ci < inside[0].end; ++ci) {
              const std::size_t c = cellIndex(ci, cj, ck);
              deviation_[c] = float(heat_J_K[std::size_t(ci)] / heatCapacity_J_K_[c]);
            }
          }
      });
}

float FarField::sumCellPowers(const StepInputs& in) {
  const ImageGeometry& g = grid_->geometry;
  const std::vector<float>& power = *in.power_W_m3;
  cellPower_W_m3_.resize(deviation_.size());
  cellPowerSum_W_m3_.resize(deviation_.size());
  cellPowerPeak_W_m3_.resize(deviation_.size());
  const auto nx = std::size_t(g.size[0]);
  return parallel::parallelReduce(
      parallel::IndexRange{0, std::size_t(cells_[2])}, 1, 0.0f,
      [&](parallel::IndexRange planes) {
        std::vector<float> lowest(nx, 0.0f);  // per voxel column of the row, for vectorising
        for (auto ck = std::int64_t(planes.begin); ck < std::int64_t(planes.end); ++ck)
          for (std::int64_t cj = 0; cj < cells_[1]; ++cj) {
            // A row of cells at a time, each cell adding its voxels in the order k, j, i.
            const std::size_t c0 = cellIndex(0, cj, ck);
            double* sum_W_m3 = cellPowerSum_W_m3_.data() + c0;
            float* peak = cellPowerPeak_W_m3_.data() + c0;
            std::fill_n(sum_W_m3, cells_[0], 0.0);
            std::fill_n(peak, cells_[0], 0.0f);
            for (std::int64_t k = firstPlane(ck); k < firstPlane(ck) + planesOf(ck); ++k)
              for (std::int64_t j = cj * coarsening_; j < cj * coarsening_ + width(1, cj); ++j)
                addRowPower(power.data() + g.linearIndex(0, j, k), sum_W_m3, peak, lowest.data());
            finishCellPowers(in, cj, ck);
          }
        return *std::min_element(lowest.begin(), lowest.end());
      },
      [](float a, float b) { return std::min(a, b); });
}

void FarField::addRowPower(const float* row, double* sum_W_m3, float* peak, float* lowest) const {
  // Offset d of every cell but the last (coarsening_ wide), then the last cell's voxels: each
  // cell still adds its voxels in the order i, and the loops over cells vectorise.
  const std::int64_t nx = grid_->geometry.size[0], regular = cells_[0] - 1;
  if (pairedRows_) {
    addPairPowers(row, sum_W_m3, peak, std::size_t(regular));
  } else {
    for (std::int64_t d = 0; d < coarsening_; ++d)
      for (std::int64_t ci = 0; ci < regular; ++ci) {
        const float p = row[ci * coarsening_ + d];
        sum_W_m3[ci] += double(p);
        peak[ci] = std::max(peak[ci], p);
      }
  }
  for (std::int64_t i = regular * coarsening_; i < nx; ++i) {
    sum_W_m3[regular] += double(row[i]);
    peak[regular] = std::max(peak[regular], row[i]);
  }
  for (std::int64_t i = 0; i < nx; ++i) lowest[i] = std::min(lowest[i], row[i]);
}

void FarField::finishCellPowers(const StepInputs& in, std::int64_t cj, std::int64_t ck) {
  const std::size_t c0 = cellIndex(0, cj, ck);
  const double* sum_W_m3 = cellPowerSum_W_m3_.data() + c0;
  float* mean_W_m3 = cellPower_W_m3_.data() + c0;
  const std::int64_t rowVoxels = width(1, cj) * width(2, ck);
  bool finite = true;
  for (std::int64_t ci = 0; ci < cells_[0]; ++ci) {
    finite = finite && std::isfinite(sum_W_m3[ci]);
    mean_W_m3[ci] = float(sum_W_m3[ci] / double(width(0, ci) * rowVoxels));
  }
  if (finite) return;
  // A power that is not a number is caught before it spreads (as planeBounds does).
  for (std::int64_t ci = 0; ci < cells_[0]; ++ci)
    forEachVoxel(ci, cj, ck, [&](std::size_t v) {
      if (!std::isfinite((*in.power_W_m3)[v])) throwPowerNotANumber(v);
    });
}

Box FarField::fineBox(const StepInputs& in, const Box& previous, std::int64_t margin,
                      double tolerance_K, std::vector<float>& temperature_degC) {
  const ImageGeometry& g = grid_->geometry;
  const double arterial = in.parameters->arterialTemperature_degC;
  auto deviationOf = [&](std::size_t v, std::int64_t, std::int64_t, std::int64_t) {
    return double(temperature_degC[v]) - arterial;
  };
  // The cells inside the box hold the voxels' state (after whatever changed it since the
  // last step: rehydration, for one).
  restrictInside(previous, deviationOf);
  // The cell averages of the step's power, for the heating's representation error; at the
  // grid's faces the power does not vanish, so the interpolant takes the outermost cell there.
  const float lowest = sumCellPowers(in);
  PaddedCells& paddedPower = paddedPower_;
  pad(cellPower_W_m3_, true, paddedPower);
  markQuietCells(in, previous, tolerance_K, paddedPower, lowest >= 0.0f);
  pad(deviation_, false, padded_);
  // A mark deeper than the margin inside the last box cannot grow it: only the voxels outside
  // that core are examined.
  Box core;
  if (previous.voxelCount() > 0) {
    for (int a = 0; a < 3; ++a) {
      core.lo[a] = std::min(previous.lo[a] + margin, previous.hi[a]);
      core.hi[a] = std::max(core.lo[a], previous.hi[a] - margin);
    }
  }
  Bounds marks = misrepresented(in, previous, core, tolerance_K, temperature_degC, paddedPower);
  for (const HeldTemperature& held : *in.held) {
    const auto v = std::int64_t(held.voxel);
    marks.include(v % g.size[0], (v / g.size[0]) % g.size[1], v / (g.size[0] * g.size[1]));
  }
  // The coarse cells model no vessel wall: every voxel of flowing blood is in the fine box, and
  // the margin takes in the tissue at its wall, so the heat sink is the 1 mm grid's.
  const Bounds& vessels = vesselBounds(in);
  if (!vessels.empty()) {
    marks.include(vessels.lo[0], vessels.lo[1], vessels.lo[2]);
    marks.include(vessels.hi[0], vessels.hi[1], vessels.hi[2]);
  }
  Box box = previous;
  if (!marks.empty()) {
    // Grown by the margin and out to whole cells; never smaller than before.
    Box marked;
    for (int a = 0; a < 3; ++a) {
      marked.lo[a] = std::max<std::int64_t>(0, marks.lo[a] - margin);
      marked.hi[a] = std::min<std::int64_t>(g.size[a], marks.hi[a] + 1 + margin);
    }
    box = wholeCells(marked);
    if (previous.voxelCount() > 0) {
      for (int a = 0; a < 3; ++a) {
        box.lo[a] = std::min(box.lo[a], previous.lo[a]);
        box.hi[a] = std::max(box.hi[a], previous.hi[a]);
      }
    }
  }
  if (box == previous) return box;
  // Cells the box takes in: their voxels held the interpolant, whose heat content is not the
  // cell's; shift them by the difference so the heat is the cell's (the interpolant's own shift,
  // a row of cells at a time, the planes of cells in parallel). An empty box holds no cell.
  const CellRanges inPrevious = insideCells(previous);
  parallel::parallelFor(
      {std::size_t(cellOf(2, box.lo[2])), std::size_t(cellOf(2, box.hi[2] - 1) + 1)}, 1,
      [&](parallel::IndexRange planes) {
        for (auto ck = std::int64_t(planes.begin); ck < std::int64_t(planes.end); ++ck)
          for (std::int64_t cj = cellOf(1, box.lo[1]); cj <= cellOf(1, box.hi[1] - 1); ++cj)
            shiftCellRow(
                ck, cj, box, inPrevious,
                [&](std::int64_t j, std::int64_t k) {
                  return temperature_degC.data() + g.linearIndex(0, j, k);
                },
                arterial);
      });
  return box;
}

Bounds FarField::misrepresented(const StepInputs& in, const Box& previous, const Box& core,
                                double tolerance_K, const std::vector<float>& temperature_degC,
                                const PaddedCells& paddedPower) {
  const ImageGeometry& g = grid_->geometry;
  const double h_m = grid_->voxelSize_m();
  const double stepVolume_m3s = h_m * h_m * h_m * in.step_s;
  const auto nx = std::size_t(g.size[0]);
  const CellRanges inPrevious = insideCells(previous);
  // One plane of cells per task, so that each cell's sum is one task's.
  return parallel::parallelReduce(
      parallel::IndexRange{0, std::size_t(cells_[2])}, 1, Bounds{},
      [&](parallel::IndexRange cellPlanes) {
        Bounds m;
        std::vector<float> power(nx), deviation(nx);
        std::vector<double> missed_W_m3(nx);
        std::vector<unsigned char> marked(nx);
        std::vector<double> missed_J(std::size_t(cells_[0] * cells_[1]));
        PowerSums interpolated;
        std::vector<char> quietRow(static_cast<std::size_t>(cells_[1]));
        for (auto ck = std::int64_t(cellPlanes.begin); ck < std::int64_t(cellPlanes.end); ++ck) {
          std::fill(missed_J.begin(), missed_J.end(), 0.0);
          // Rows of cells whose cells are all quiet have no voxel to examine.
          for (std::int64_t cj = 0; cj < cells_[1]; ++cj) {
            const char* row = quietCell_.data() + cellIndex(0, cj, ck);
            quietRow[std::size_t(cj)] =
                std::all_of(row, row + cells_[0], [](char q) { return q != 0; });
          }
          for (std::int64_t k = ck * coarsening_; k < ck * coarsening_ + width(2, ck); ++k)
            for (std::int64_t j = 0; j < g.size[1]; ++j) {
              if (quietRow[std::size_t(cellOf(1, j))]) continue;
              const std::size_t v0 = g.linearIndex(0, j, k);
              const bool rowInside = contains(previous, previous.lo[0], j, k);
              double* missedRow = missed_J.data() + cells_[0] * cellOf(1, j);
              // Voxels i0 .. i1 - 1 of the row: the heating's and the temperature's errors.
              auto examine = [&](std::int64_t i0, std::int64_t i1) {
                interpolateRow(paddedPower, j, k, i0, i1, power.data());
                const std::int64_t t0 = std::max(i0, previous.lo[0]);
                const std::int64_t t1 = std::min(i1, previous.hi[0]);
                const bool anyInside = rowInside && t0 < t1;
                if (anyInside) interpolateRow(padded_, j, k, t0, t1, deviation.data());
                markRun(in, v0, i0, i1, anyInside ? t0 : i1, anyInside ? t1 : i1, tolerance_K,
                        power.data(), deviation.data(), temperature_degC, missed_W_m3.data(),
                        marked.data());
                // The missed heat of the voxels outside the last box.
                if (anyInside) {
                  addMissedRowHeat(i0, std::min(i1, t0), missed_W_m3.data(), stepVolume_m3s,
                                   missedRow);
                  addMissedRowHeat(std::max(i0, t1), i1, missed_W_m3.data(), stepVolume_m3s,
                                   missedRow);
                } else {
                  addMissedRowHeat(i0, i1, missed_W_m3.data(), stepVolume_m3s, missedRow);
                }
                // The marks' bounds: the run's first and last marked voxel.
                const unsigned char* first = std::find(marked.data() + i0, marked.data() + i1, 1);
                if (first == marked.data() + i1) return;
                m.include(first - marked.data(), j, k);
                const unsigned char* from = marked.data() + i1;
                const auto last = std::find(std::make_reverse_iterator(from),
                                            std::make_reverse_iterator(first), 1);
                m.include(last.base() - 1 - marked.data(), j, k);
              };
              if (core.voxelCount() > 0 && contains(core, core.lo[0], j, k)) {
                forEachLoudRun(j, ck, 0, core.lo[0], examine);
                forEachLoudRun(j, ck, core.hi[0], g.size[0], examine);
              } else {
                forEachLoudRun(j, ck, 0, g.size[0], examine);
              }
            }
          addMissedHeat(ck, inPrevious, tolerance_K, paddedPower, stepVolume_m3s, missed_J,
                        interpolated, m);
        }
        return m;
      },
      Bounds::merge);
}

void FarField::addMissedRowHeat(std::int64_t i0, std::int64_t i1, const double* missed_W_m3,
                                double stepVolume_m3s, double* missedRow_J) const {
  for (std::int64_t i = i0; i < i1;) {
    const std::int64_t c = cellOf(0, i);
    const std::int64_t end = std::min(i1, c * coarsening_ + width(0, c));
    // The cell's sum in a register, in the voxels' order (the bits of adding them one by one).
    double sum_J = missedRow_J[c];
    for (; i < end; ++i) sum_J += missed_W_m3[i] * stepVolume_m3s;
    missedRow_J[c] = sum_J;
  }
}

void FarField::markRun(const StepInputs& in, std::size_t v0, std::int64_t i0, std::int64_t i1,
                       std::int64_t t0, std::int64_t t1, double tolerance_K, const float* cellPower,
                       const float* cellDeviation, const std::vector<float>& temperature_degC,
                       double* missed_W_m3, unsigned char* marked) const {
  const float* __restrict power = in.power_W_m3->data() + v0;
  const TissueIndex* __restrict tissue = grid_->tissue.data() + v0;
  const double step_s = in.step_s;
  for (std::int64_t i = i0; i < i1; ++i)
    missed_W_m3[i] = power[i] - cellPower[i];  // in float, as the cells' power is
  // A run of one tissue (the common case) divides by its one heat capacity.
  if (oneTissue(tissue + i0, tissue + i1)) {
    const double heatCapacity = heatCapacity_J_m3K_[tissue[i0]];
    for (std::int64_t i = i0; i < i1; ++i)
      marked[i] = std::abs(missed_W_m3[i]) * step_s / heatCapacity > tolerance_K;
  } else {
    for (std::int64_t i = i0; i < i1; ++i)
      marked[i] = std::abs(missed_W_m3[i]) * step_s / heatCapacity_J_m3K_[tissue[i]] > tolerance_K;
  }
  const double arterial = in.parameters->arterialTemperature_degC;
  const float* __restrict temperature = temperature_degC.data() + v0;
  for (std::int64_t i = t0; i < t1; ++i)
    marked[i] |= std::abs(double(temperature[i]) - arterial - cellDeviation[i]) > tolerance_K;
}

void FarField::addMissedHeat(std::int64_t ck, const CellRanges& inPrevious, double tolerance_K,
                             const PaddedCells& paddedPower, double stepVolume_m3s,
                             std::vector<double>& missed_J, PowerSums& interpolated,
                             Bounds& marks) {
  // The interpolant's sums only where a quiet cell needs them (the others' missed heat is their
  // voxels').
  const char* quiet = quietCell_.data() + cellIndex(0, 0, ck);
  if (std::any_of(quiet, quiet + cells_[0] * cells_[1], [](char q) { return q != 0; }))
    interpolatedPowerSums(paddedPower, ck, interpolated);
  const bool previousPlane = inPrevious[2].holds(ck);
  for (std::int64_t cj = 0; cj < cells_[1]; ++cj) {
    const bool previousRow = previousPlane && inPrevious[1].holds(cj);
    for (std::int64_t ci = 0; ci < cells_[0]; ++ci) {
      if (previousRow && inPrevious[0].holds(ci)) continue;
      const std::size_t c = cellIndex(ci, cj, ck), n = std::size_t(ci + cells_[0] * cj);
      if (quietCell_[c] != 0)
        missed_J[n] = (cellPowerSum_W_m3_[c] - interpolated.sums[n]) * stepVolume_m3s;
      misplacedHeating_K_[c] += float(missed_J[n] / heatCapacity_J_K_[c]);
      if (std::abs(double(misplacedHeating_K_[c])) <= tolerance_K) continue;
      marks.include(ci * coarsening_, cj * coarsening_, ck * coarsening_);
      marks.include(ci * coarsening_ + width(0, ci) - 1, cj * coarsening_ + width(1, cj) - 1,
                    ck * coarsening_ + width(2, ck) - 1);
    }
  }
}

namespace {

// markQuietCells' pass along one axis over the padded cells: to[n] = the largest of
// from[n - stride], from[n], from[n + stride]; the first and last `stride` entries keep their own
// value. In parallel chunks (element by element: the same bits).
void neighbourLargest(std::span<const float> from, std::size_t stride, std::span<float> to) {
  if (from.size() != to.size() || from.size() < stride)
    throw Error(ErrorKind::Internal,
                "The neighbour-largest pass needs input and output of one size, at least the "
                "stride.",
                "neighbourLargest");
  const std::size_t size = from.size(), innerEnd = size - stride;
  // Four chunks, tuned on the shared 2-vCPU VM: a pass takes tens of microseconds, a chunk's
  // hand-over about one.
  const std::size_t grain = std::max<std::size_t>(1, (size + 3) / 4);
  parallel::parallelFor({0, size}, grain, [&](parallel::IndexRange chunk) {
    const std::size_t lo = std::clamp(stride, chunk.begin, chunk.end);
    const std::size_t hi = std::clamp(innerEnd, lo, chunk.end);
    std::copy(from.begin() + chunk.begin, from.begin() + lo, to.begin() + chunk.begin);
    for (std::size_t n = lo; n < hi; ++n)
      to[n] = std::max(std::max(from[n - stride], from[n]), from[n + stride]);
    std::copy(from.begin() + hi, from.begin() + chunk.end, to.begin() + hi);
  });
}

}  // namespace

void FarField::markQuietCells(const StepInputs& in, const Box& previous, double tolerance_K,
                              const PaddedCells& paddedPower, bool powerNonNegative) {
  if (!powerNonNegative) {
    quietCell_.assign(deviation_.size(), 0);
    return;
  }
  quietCell_.resize(deviation_.size());  // every entry written below
  // The largest padded power over each cell's 3 x 3 x 3 neighbours, one axis at a time (the
  // outermost entries, halo only, keep their own value): padded -x-> largest -y-> spread -z->
  // largest.
  std::vector<float>& largest = neighbourPeak_[0];
  std::vector<float>& spread = neighbourPeak_[1];
  largest.resize(paddedPower.value.size());
  spread.resize(paddedPower.value.size());
  neighbourLargest(paddedPower.value, 1, largest);
  neighbourLargest(largest, std::size_t(paddedPower.sx), spread);
  neighbourLargest(spread, std::size_t(paddedPower.sx * paddedPower.sy), largest);
  const double bound_W_m3 = tolerance_K * smallestHeatCapacity_J_m3K_ / in.step_s;
  const CellRanges inside = insideCells(previous);
  forEachCellPlane([&](std::int64_t ck) {
    for (std::int64_t cj = 0; cj < cells_[1]; ++cj) {
      const std::size_t c0 = cellIndex(0, cj, ck);
      const float* around =
          largest.data() + std::size_t(1 + paddedPower.sx * ((cj + 1) + paddedPower.sy * (ck + 1)));
      const float* peak = cellPowerPeak_W_m3_.data() + c0;
      char* quiet = quietCell_.data() + c0;
      for (std::int64_t ci = 0; ci < cells_[0]; ++ci)
        quiet[ci] = double(std::max(around[ci], peak[ci])) <= bound_W_m3 ? 1 : 0;
      // The cells inside the last box are never quiet (their voxels are examined).
      if (inside[2].holds(ck) && inside[1].holds(cj))
        std::fill(quiet + inside[0].first, quiet + inside[0].end, 0);
    }
  });
}

void FarField::interpolatedPowerSums(const PaddedCells& paddedPower, std::int64_t ck,
                                     PowerSums& out) const {
  // Node c - 1 + d is padded index c + d. The weights' sums along z, then y, then x.
  const std::int64_t sx = paddedPower.sx, sy = paddedPower.sy;
  const auto& wz = cellWeightSums_[2][std::size_t(ck)];
  std::vector<double>&alongZ = out.alongZ, &alongY = out.alongY, &sums = out.sums;
  alongZ.assign(std::size_t(sx * sy), 0.0);
  alongY.resize(static_cast<std::size_t>(sx));
  for (std::int64_t dz = 0; dz < 3; ++dz) {
    const float* plane = paddedPower.value.data() + std::size_t(sx * sy * (ck + dz));
    for (std::size_t n = 0; n < alongZ.size(); ++n)
      alongZ[n] += wz[std::size_t(dz)] * double(plane[n]);
  }
  sums.resize(std::size_t(cells_[0] * cells_[1]));
  for (std::int64_t cj = 0; cj < cells_[1]; ++cj) {
    const auto& wy = cellWeightSums_[1][std::size_t(cj)];
    for (std::int64_t x = 0; x < sx; ++x)
      alongY[std::size_t(x)] = wy[0] * alongZ[std::size_t(x + sx * cj)] +
                               wy[1] * alongZ[std::size_t(x + sx * (cj + 1))] +
                               wy[2] * alongZ[std::size_t(x + sx * (cj + 2))];
    for (std::int64_t ci = 0; ci < cells_[0]; ++ci) {
      const auto& wx = cellWeightSums_[0][std::size_t(ci)];
      sums[std::size_t(ci + cells_[0] * cj)] = wx[0] * alongY[std::size_t(ci)] +
                                               wx[1] * alongY[std::size_t(ci + 1)] +
                                               wx[2] * alongY[std::size_t(ci + 2)];
    }
  }
}

const Bounds& FarField::vesselBounds(const StepInputs& in) {
  if (vesselsFound_) return vessels_;
  vesselsFound_ = true;
  const std::vector<float>* wall = in.wallCoefficient_W_m2K;
  if (wall == nullptr || wall->empty()) return vessels_;
  const ImageGeometry& g = grid_->geometry;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        if ((*wall)[g.linearIndex(i, j, k)] > 0.0f) vessels_.include(i, j, k);
  return vessels_;
}

void FarField::cellCoefficients(const StepInputs& in, std::int64_t cj, std::int64_t ck,
                                bool damageChanged, const CellRanges& held) {
  const double arterial = in.parameters->arterialTemperature_degC;
  const double h_m = grid_->voxelSize_m(), volume_m3 = h_m * h_m * h_m;
  const std::int64_t rowVoxels = width(1, cj) * width(2, ck);
  const std::size_t c0 = cellIndex(0, cj, ck);
  const std::int64_t regular = cells_[0] - 1;  // cells coarsening_ wide
  // A one-tissue cell's conductivity sum is its k at the cell's temperature added once per
  // voxel (conductivitySum's terms); the cells of a row add theirs side by side.
  thread_local std::vector<double> k, sum;
  k.resize(std::size_t(cells_[0]));
  sum.assign(std::size_t(cells_[0]), 0.0);
  const int* cellTissue = cellTissue_.data() + c0;
  const float* deviation = deviation_.data() + c0;
  if (oneTissueRows_ && std::all_of(cellTissue, cellTissue + cells_[0],
                                    [&](int t) { return t == cellTissue[0] && t >= 0; })) {
    // A row of one tissue (most of the grid): its coefficients copied out, so that the loop
    // widens; the same k per cell.
    const TissueCoefficients tissue = (*tissues_)[std::size_t(cellTissue[0])];
    for (std::int64_t ci = 0; ci < cells_[0]; ++ci)
      k[std::size_t(ci)] = tissue.conductivityAt(arterial + deviation[ci]);
  } else {
    for (std::int64_t ci = 0; ci < cells_[0]; ++ci) {
      const int t = cellTissue[ci];
      k[std::size_t(ci)] =
          t >= 0 ? (*tissues_)[std::size_t(t)].conductivityAt(arterial + deviation[ci]) : 0.0;
    }
  }
  for (std::int64_t n = coarsening_ * rowVoxels; n > 0; --n)
    for (std::int64_t ci = 0; ci < regular; ++ci) sum[std::size_t(ci)] += k[std::size_t(ci)];
  for (std::int64_t n = width(0, regular) * rowVoxels; n > 0; --n)
    sum[std::size_t(regular)] += k[std::size_t(regular)];
  for (std::int64_t ci = 0; ci < cells_[0]; ++ci) {
    const std::size_t c = c0 + std::size_t(ci);
    if (cellTissue_[c] < 0)
      sum[std::size_t(ci)] = conductivitySum(c, ci, cj, ck, arterial + deviation_[c]);
  }
  // The means and powers; the cells but the last share their voxel count, so that loop has no
  // branch and widens (a division a cell).
  double* conductivity_W_mK = coarseConductivity_W_mK_.data() + c0;
  double* power_W = coarsePower_W_.data() + c0;
  const float* power_W_m3 = cellPower_W_m3_.data() + c0;
  const double regularVoxels = double(coarsening_ * rowVoxels);
  for (std::int64_t ci = 0; ci < regular; ++ci) {
    conductivity_W_mK[ci] = sum[std::size_t(ci)] / regularVoxels;
    power_W[ci] = double(power_W_m3[ci]) * regularVoxels * volume_m3;
  }
  const double lastVoxels = double(width(0, regular) * rowVoxels);
  conductivity_W_mK[regular] = sum[std::size_t(regular)] / lastVoxels;
  power_W[regular] = double(power_W_m3[regular]) * lastVoxels * volume_m3;
  // A cell inside the fine box is held: only its conductivity (for its faces) counts. The
  // others' perfusion is summed again where their damage changed.
  const bool heldRow = held[1].holds(cj) && held[2].holds(ck);
  const std::int64_t heldFirst = heldRow ? held[0].first : 0, heldEnd = heldRow ? held[0].end : 0;
  if (damageChanged) {
    perfusionRowSums(in, cj, ck, 0, heldFirst, perfusionSum_.data() + c0);
    perfusionRowSums(in, cj, ck, heldEnd, cells_[0], perfusionSum_.data() + c0);
  }
  for (std::int64_t ci = 0; ci < cells_[0]; ++ci) {
    const std::size_t c = c0 + std::size_t(ci);
    coarsePerfusion_W_K_[c] = ci >= heldFirst && ci < heldEnd ? 0.0 : perfusionSum_[c] * volume_m3;
  }
}

double FarField::faceArea_m2(int axis, std::int64_t ci, std::int64_t cj, std::int64_t ck) const {
  const double h_m = grid_->voxelSize_m();
  const double w[3] = {double(width(0, ci)), double(width(1, cj)), double(width(2, ck))};
  return w[(axis + 1) % 3] * w[(axis + 2) % 3] * h_m * h_m;
}

void FarField::coarseFaces(std::int64_t cj, std::int64_t ck) {
  const std::size_t c0 = cellIndex(0, cj, ck);
  const double* k = coarseConductivity_W_mK_.data() + c0;
  StencilSystem& s = system_;
  // Each cell's faces towards +x, +y, +z (harmonic mean of the two cells' k over the distance
  // between their centres); at the grid's far faces, to arterial temperature half a cell away.
  // The row's cells but the last share their widths, so the loops over them vectorise.
  const std::int64_t last = cells_[0] - 1;
  const auto n = std::size_t(last);
  auto edge = [](double kA, double area_m2, double distance_m) {
    return float(kA * area_m2 / distance_m);
  };
  float* faceX = s.faceX.data() + c0;
  const double areaX_m2 = faceArea_m2(0, 0, cj, ck);
  const double* centreX_m = centreDistance_m_[0].data();
  harmonicFaces(
      k, k + 1, areaX_m2, [&](std::size_t ci) { return centreX_m[ci]; }, n, faceX);
  faceX[n] = edge(k[n], areaX_m2, edgeDistance_m_[0][n]);
  const std::int64_t index[3] = {0, cj, ck};
  for (int a = 1; a < 3; ++a) {
    float* faces = (a == 1 ? s.faceY.data() : s.faceZ.data()) + c0;
    const std::int64_t along = index[a];
    const double regularArea_m2 = faceArea_m2(a, 0, cj, ck),
                 lastArea_m2 = faceArea_m2(a, last, cj, ck);
    if (along + 1 < cells_[a]) {
      const double* next =
          k + (a == 1 ? std::size_t(cells_[0]) : std::size_t(cells_[0] * cells_[1]));
      const double distance_m = centreDistance_m_[a][std::size_t(along)];
      auto centre = [&](std::size_t) { return distance_m; };
      harmonicFaces(k, next, regularArea_m2, centre, n, faces);
      harmonicFaces(k + n, next + n, lastArea_m2, centre, 1, faces + n);
    } else {
      const double distance_m = edgeDistance_m_[a][std::size_t(along)];
      for (std::size_t ci = 0; ci < n; ++ci) faces[ci] = edge(k[ci], regularArea_m2, distance_m);
      faces[n] = edge(k[n], lastArea_m2, distance_m);
    }
  }
}

void FarField::coarseRow(const StepInputs& in, std::int64_t cj, std::int64_t ck,
                         const CellRanges& held) {
  const StencilSystem& s = system_;
  const std::size_t c0 = cellIndex(0, cj, ck), n = std::size_t(cells_[0]);
  const std::size_t stride[3] = {1, n, n * std::size_t(cells_[1])};
  const double* k = coarseConductivity_W_mK_.data() + c0;
  // Per axis, each cell's two faces (W/K): towards +, and towards - its neighbour's + face or,
  // at the grid's near faces, to arterial temperature half a cell away. Summed per axis first,
  // so that the loop over the row's cells (coarseRowTerms) has no branch and vectorises; the
  // diagonal's sum as before, term by term.
  thread_local std::array<std::vector<double>, 3> axisFaces;
  const std::int64_t index[3] = {0, cj, ck};
  for (int a = 0; a < 3; ++a) {
    axisFaces[std::size_t(a)].resize(n);
    double* d = axisFaces[std::size_t(a)].data();
    const float* up = (a == 0 ? s.faceX : a == 1 ? s.faceY : s.faceZ).data() + c0;
    // The cells at the grid's near face: the row's first along x, the whole row along y or z
    // when it lies on that face.
    const std::size_t nearCells = a == 0 ? 1 : index[a] == 0 ? n : 0;
    for (std::size_t ci = 0; ci < nearCells; ++ci)
      d[ci] =
          double(up[ci]) + k[ci] * faceArea_m2(a, std::int64_t(ci), cj, ck) / edgeDistance_m_[a][0];
    const float* below = up - std::ptrdiff_t(stride[a]);
    for (std::size_t ci = nearCells; ci < n; ++ci) d[ci] = double(up[ci]) + double(below[ci]);
  }
  coarseRowTerms(in, c0, axisFaces);
  // The cells held inside the fine box: out of the Krylov space, at their averages.
  if (!(held[1].holds(cj) && held[2].holds(ck))) return;
  for (std::int64_t ci = held[0].first; ci < held[0].end; ++ci) {
    const std::size_t c = c0 + std::size_t(ci);
    system_.inverseDiagonal[c] = 0.0f;
    coarseSolution_K_[c] = deviation_[c];
  }
}

void FarField::coarseRowTerms(const StepInputs& in, std::size_t c0,
                              const std::array<std::vector<double>, 3>& faces) {
  const std::size_t n = std::size_t(cells_[0]);
  const double *facesX = faces[0].data(), *facesY = faces[1].data(), *facesZ = faces[2].data();
  const double* heatCapacity_J_K = heatCapacity_J_K_.data() + c0;
  const double* perfusion_W_K = coarsePerfusion_W_K_.data() + c0;
  const double* power_W = coarsePower_W_.data() + c0;
  const float* deviation = deviation_.data() + c0;
  const float* previousChange = previousChange_K_.data() + c0;
  float* diagonal = system_.diagonal.data() + c0;
  float* rightHandSide = system_.rightHandSide.data() + c0;
  float* inverseDiagonal = system_.inverseDiagonal.data() + c0;
  float* solution = coarseSolution_K_.data() + c0;
  const double step_s = in.step_s, extrapolation = in.extrapolation;
  // The rows: storage, perfusion and the six faces; then the inverses and the first guesses,
  // which extrapolate the last change (two loops: GCC 12 vectorises neither as one).
  for (std::size_t ci = 0; ci < n; ++ci) {
    double sum = 0.0;
    sum += facesX[ci];
    sum += facesY[ci];
    sum += facesZ[ci];
    const double storage_W_K = heatCapacity_J_K[ci] / step_s;
    diagonal[ci] = float(storage_W_K + perfusion_W_K[ci] + sum);
    rightHandSide[ci] = float(storage_W_K * deviation[ci] + power_W[ci]);
  }
  for (std::size_t ci = 0; ci < n; ++ci) {
    inverseDiagonal[ci] = 1.0f / diagonal[ci];
    solution[ci] = float(deviation[ci] + extrapolation * previousChange[ci]);
  }
}

long long FarField::solveCoarse(const StepInputs& in, const Box& fine, Progress& progress) {
  const BioheatParameters& p = *in.parameters;
  const std::size_t count = deviation_.size(), plane = std::size_t(cells_[0] * cells_[1]);
  // Per cell: perfusion (W/K), power (W) and the mean conductivity at the cell's temperature.
  // The perfusion of a plane whose damage did not change is the last step's. The start of the
  // step's state kept for refluxing, plane by plane.
  // (Kept from step to step, so that they are not cleared each step: every entry is written.)
  coarsePerfusion_W_K_.resize(count);
  coarsePower_W_.resize(count);
  coarseConductivity_W_mK_.resize(count);
  startDeviation_.resize(count);
  const CellRanges held = insideCells(fine);
  forEachCellPlane([&](std::int64_t ck) {
    const bool changed = damageChanged_[std::size_t(ck)] != 0;
    damageChanged_[std::size_t(ck)] = 0;
    for (std::int64_t cj = 0; cj < cells_[1]; ++cj) cellCoefficients(in, cj, ck, changed, held);
    const std::size_t c0 = std::size_t(ck) * plane;
    std::copy_n(deviation_.data() + c0, plane, startDeviation_.data() + c0);
  });
  // The face conductances (W/K): harmonic mean of the cells' conductivities over the distance
  // between their centres; at the grid's faces, to arterial temperature half a cell away.
  StencilSystem& s = system_;
  s.resize(cells_[0], cells_[1], cells_[2]);
  std::vector<float>& x = coarseSolution_K_;
  x.resize(count);
  forEachCellPlane([&](std::int64_t ck) {
    for (std::int64_t cj = 0; cj < cells_[1]; ++cj) coarseFaces(cj, ck);
  });
  forEachCellPlane([&](std::int64_t ck) {
    for (std::int64_t cj = 0; cj < cells_[1]; ++cj) coarseRow(in, cj, ck, held);
  });
  const SolveStatistics statistics =
      solveConjugateGradient(s, x, p.solverTolerance_K, p.maxSolverIterations, progress, work_);
  // The solved cells take the solution; a few microseconds a plane, so eight planes a chunk.
  parallel::parallelFor({0, std::size_t(cells_[2])}, 8, [&](parallel::IndexRange planes) {
    for (std::size_t c = planes.begin * plane; c < planes.end * plane; ++c) {
      if (s.inverseDiagonal[c] == 0.0f) continue;
      previousChange_K_[c] = x[c] - deviation_[c];
      deviation_[c] = x[c];
    }
  });
  // The fine solve and refluxing read only the voxels beyond the box's faces: the layer of
  // cells around the box (whole cells, for their shift) is interpolated; absorbFine does the
  // near region again and farPlanes the rest. Without a box, every voxel.
  const ImageGeometry& g = grid_->geometry;
  interpolateOutside(fine,
                     fine.voxelCount() == 0 ? nearRegion(fine) : wholeCells(grownBox(fine, g, 1)));
  return statistics.iterations;
}

void FarField::refluxRow(const StepInputs& in, const Box& fine, const BoxSide& side,
                         std::int64_t cellAlongB, const std::vector<BoxFace>& faces,
                         const std::vector<float>& fineDeviation_K) {
  const double h_m = grid_->voxelSize_m(), volume_m3 = h_m * h_m * h_m;
  const int a = side.a, b = side.b, c = side.c;
  const std::int64_t firstCell = cellOf(c, fine.lo[c]), endCell = cellOf(c, fine.hi[c] - 1) + 1;
  // Per thread, kept from row to row and step to step, so that refluxing does not allocate.
  thread_local std::vector<double> correction_J;
  correction_J.assign(std::size_t(endCell - firstCell), 0.0);
  // The heat (J) each cell beyond got from the fine solve: its faces in the list's order.
  const std::int64_t extentC = fine.extent(c);
  const std::int64_t firstBoxRow = cellAlongB * coarsening_ - fine.lo[b];  // along b, in the box
  for (std::int64_t u = firstBoxRow; u < firstBoxRow + width(b, cellAlongB); ++u)
    for (std::int64_t w = 0; w < extentC; ++w) {
      const BoxFace& face = faces[side.firstFace + std::size_t(u * extentC + w)];
      const double flow_W = double(face.conductance_W_m3K) * volume_m3 *
                            (double(fineDeviation_K[face.local]) - interpolated_[face.beyond]);
      correction_J[std::size_t(cellOf(c, fine.lo[c] + w) - firstCell)] += flow_W * in.step_s;
    }
  // Less what the coarse step sent it from the cell inside, across the same faces.
  const std::vector<float>* facesAlong[3] = {&system_.faceX, &system_.faceY, &system_.faceZ};
  const std::vector<float>& coarseFaces = *facesAlong[a];
  const bool below = side.towards < 0;
  std::int64_t beyondCell[3], insideCell[3];
  beyondCell[a] = cellOf(a, side.outside);
  insideCell[a] = beyondCell[a] - side.towards;
  beyondCell[b] = insideCell[b] = cellAlongB;
  for (std::int64_t cellAlongC = firstCell; cellAlongC < endCell; ++cellAlongC) {
    beyondCell[c] = insideCell[c] = cellAlongC;
    const std::size_t beyond = cellIndex(beyondCell[0], beyondCell[1], beyondCell[2]);
    const std::size_t inside = cellIndex(insideCell[0], insideCell[1], insideCell[2]);
    double& correction = correction_J[std::size_t(cellAlongC - firstCell)];
    correction -= double(coarseFaces[below ? beyond : inside]) *
                  (double(startDeviation_[inside]) - deviation_[beyond]) * in.step_s;
    if (correction != 0.0) deviation_[beyond] += float(correction / heatCapacity_J_K_[beyond]);
  }
}

void FarField::listRefluxRows(const Box& fine) {
  refluxSides_ = boxSides(grid_->geometry, fine, refluxFaceCount_);
  refluxRows_.clear();
  for (std::size_t s = 0; fine.voxelCount() > 0 && s < refluxSides_.size(); ++s) {
    const int b = refluxSides_[s].b;
    for (std::int64_t cb = cellOf(b, fine.lo[b]); cb <= cellOf(b, fine.hi[b] - 1); ++cb)
      refluxRows_.push_back({s, cb});
  }
  refluxBox_ = fine;
  refluxRowsValid_ = true;
}

void FarField::absorbFine(const StepInputs& in, const Box& fine, const std::vector<BoxFace>& faces,
                          const std::vector<float>& fineDeviation_K) {
  // Refluxing: each cell beyond the box takes the heat the fine solve sent it, less what the
  // coarse step sent across the same faces. The box is made of whole cells (fineBox), so every
  // cell beyond lies on one side and takes the faces of whole rows of it: a row of cells beyond a
  // side at a time, in parallel, each cell summing its faces in the list's order (the same bits
  // as one pass over the list).
  // The sides and their rows of cells are kept while the box stays (it grows now and then).
  if (!refluxRowsValid_ || refluxBox_ != fine) listRefluxRows(fine);
  // By construction: fineBox returns whole cells, and buildStepSystem the box's faces.
  assert(fine.voxelCount() == 0 || (wholeCells(fine) == fine && refluxFaceCount_ == faces.size()));
  const std::vector<BoxSide>& sides = refluxSides_;
  const std::vector<CellRow>& rows = refluxRows_;
  parallel::parallelFor({0, rows.size()}, 8, [&](parallel::IndexRange chunk) {
    for (std::size_t r = chunk.begin; r < chunk.end; ++r)
      refluxRow(in, fine, sides[rows[r].side], rows[r].cellAlongB, faces, fineDeviation_K);
  });
  // The cells inside take the fine solution's heat content, and the voxels outside the
  // interpolant of the corrected cells.
  const std::int64_t nx = fine.extent(0), ny = fine.extent(1);
  restrictInside(fine, [&](std::size_t, std::int64_t i, std::int64_t j, std::int64_t k) {
    return fineDeviation_K[std::size_t((i - fine.lo[0]) +
                                       nx * ((j - fine.lo[1]) + ny * (k - fine.lo[2])))];
  });
  // Only the cells next to the box changed (refluxing, restriction), so only the voxels within
  // two cells of them (the interpolant's reach, and the cell shift's) are interpolated again;
  // farPlanes() gives the others, from cells neither step changed.
  interpolateOutside(fine, nearRegion(fine));
}

}  // namespace twinplan::ablation::detail
