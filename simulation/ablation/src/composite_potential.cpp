#include "composite_potential.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::ablation::detail {
namespace {

using namespace potential;
using parallel::IndexRange;

// Two cells' (or voxels') conductance through a face of the given area: the half-widths in
// series (voxel units; the harmonic mean of the two sigmas between voxels).
double cellConductance(double area, double widthA, double sigmaA, double widthB, double sigmaB) {
  return sigmaA > 0.0 && sigmaB > 0.0 ? area / (0.5 * widthA / sigmaA + 0.5 * widthB / sigmaB)
                                      : 0.0;
}

// Adds a row of voxel values onto its row of cells' running sums: each cell's voxels in order,
// the cell's sum held in a register between them (voxel by voxel through the cell index, each
// addition waited on the store of the one before; the same additions in the same order).
void addRowToCells(const CompositeAxis& axis, const float* voxels, float* cells) {
  const std::int64_t count = axis.cells();
  for (std::int64_t c = 0; c < count; ++c) {
    float sum = cells[c];
    for (std::int64_t v = axis.start[c]; v < axis.start[c + 1]; ++v) sum += voxels[v];
    cells[c] = sum;
  }
}

// Whether any of the roles [begin, end) is not Tissue (Tissue is 0: an OR over the bytes, a loop
// without an exit, which GCC vectorises).
bool anyFixed(const NodeRole* begin, const NodeRole* end) {
  static_assert(int(NodeRole::Tissue) == 0);
  unsigned bits = 0;
  for (const NodeRole* role = begin; role < end; ++role) bits |= unsigned(*role);
  return bits != 0;
}

// The unknowns per chunk of the solve's sums and loops.
constexpr std::size_t kChunk = std::size_t(1) << 15;

// Deterministic sum of f(n) over [0, count): fixed chunks, added in order.
template <class F>
double sumOf(std::size_t count, F&& f) {
  return parallel::parallelReduce(
      IndexRange{0, count}, kChunk, 0.0,
      [&](IndexRange r) {
        double sum = 0.0;
        for (std::size_t n = r.begin; n < r.end; ++n) sum += f(n);
        return sum;
      },
      [](double a, double b) { return a + b; });
}

}  // namespace

CompositeAxis::CompositeAxis(std::int64_t voxels) {
  start.push_back(0);
  if (voxels > 2) {
    for (std::int64_t i = 1; i < voxels - 1; i += 2) start.push_back(i);
    start.push_back(voxels - 1);
  } else if (voxels == 2) {
    start.push_back(1);
  }
  start.push_back(voxels);
  cellOf.resize(std::size_t(voxels));
  for (std::int64_t c = 0; c < cells(); ++c)
    for (std::int64_t v = start[c]; v < start[c + 1]; ++v) cellOf[v] = c;
}

void CompositePotential::snapBox(const ImageGeometry& grid, std::array<std::int64_t, 3>& lo,
                                 std::array<std::int64_t, 3>& hi) {
  for (int a = 0; a < 3; ++a) {
    const std::int64_t n = grid.size[a];
    if (n < 3) {
      throw Error(ErrorKind::InvalidInput,
                  "The ablation grid needs at least 3 voxels along each axis for the RF "
                  "potential (a ground layer on each side).",
                  "CompositePotential");
    }
    const CompositeAxis axis(n);
    lo[a] = std::clamp<std::int64_t>(lo[a], 1, n - 2);
    hi[a] = std::clamp<std::int64_t>(hi[a], lo[a] + 1, n - 1);
    lo[a] = axis.start[axis.cellOf[lo[a]]];
    hi[a] = axis.start[axis.cellOf[hi[a] - 1] + 1];
  }
}

void CompositePotential::setUp(const ImageGeometry& grid, std::span<const float> sigma,
                               std::span<const NodeRole> roles,
                               const std::array<std::int64_t, 3>& lo,
                               const std::array<std::int64_t, 3>& hi) {
  for (int a = 0; a < 3; ++a) {
    if (axes_[a].cellOf.size() != std::size_t(grid.size[a])) axes_[a] = CompositeAxis(grid.size[a]);
    const CompositeAxis& axis = axes_[a];
    const bool snapped = lo[a] >= 1 && hi[a] > lo[a] && hi[a] < grid.size[a] &&
                         axis.start[axis.cellOf[lo[a]]] == lo[a] &&
                         axis.start[axis.cellOf[hi[a] - 1] + 1] == hi[a];
    if (!snapped) {
      throw Error(ErrorKind::Internal,
                  "The composite potential's box must be whole cells inside the ground layer "
                  "(CompositePotential::snapBox).",
                  "CompositePotential");
    }
    boxCell_[a] = axis.cellOf[lo[a]];
    boxGeometry_.size[a] = hi[a] - lo[a];
    cellGeometry_.size[a] = axes_[a].cells();
  }
  lo_ = lo;
  hi_ = hi;
  boxGeometry_.spacing_mm = grid.spacing_mm;
  cellGeometry_.spacing_mm = grid.spacing_mm;
  const std::size_t m = boxGeometry_.voxelCount();
  boxSigma_.resize(m);
  boxRoles_.resize(m);
  const Strides sb(boxGeometry_);
  forEachSlice(sb, [&](std::int64_t k) {
    for (std::int64_t j = 0; j < sb.ny; ++j) {
      const std::size_t from = grid.linearIndex(lo[0], lo[1] + j, lo[2] + k);
      const std::size_t to = boxGeometry_.linearIndex(0, j, k);
      std::copy_n(sigma.begin() + std::ptrdiff_t(from), sb.nx,
                  boxSigma_.begin() + std::ptrdiff_t(to));
      std::copy_n(roles.begin() + std::ptrdiff_t(from), sb.nx,
                  boxRoles_.begin() + std::ptrdiff_t(to));
    }
  });
  faceConductivity(sb, boxSigma_, boxFaces_);
  setUpCells(grid, sigma, roles);
  setUpCouplings(grid, sigma);
  boxFree_.resize(m);
  for (std::size_t n = 0; n < m; ++n) boxFree_[n] = boxRoles_[n] == NodeRole::Tissue;
  cellFree_.resize(cellRoles_.size());
  for (std::size_t c = 0; c < cellRoles_.size(); ++c)
    cellFree_[c] = cellRoles_[c] == NodeRole::Tissue;
  multigrid_.build(sb.nx, sb.ny, sb.nz, boxFaces_.x, boxFaces_.y, boxFaces_.z, boxFaces_.diagonal,
                   boxFree_, cellGeometry_.size[0], cellGeometry_.size[1], cellGeometry_.size[2],
                   cellFaces_.x, cellFaces_.y, cellFaces_.z, cellFaces_.diagonal, cellFree_,
                   boxCell_, couplings_);
}

void CompositePotential::setUpCells(const ImageGeometry& grid, std::span<const float> sigma,
                                    std::span<const NodeRole> roles) {
  const Strides sc(cellGeometry_);
  const std::size_t cells = cellGeometry_.voxelCount();
  const CompositeAxis &ax = axes_[0], &ay = axes_[1], &az = axes_[2];
  std::array<std::int64_t, 3> boxCellEnd{};
  for (int a = 0; a < 3; ++a) boxCellEnd[a] = axes_[a].cellOf[hi_[a] - 1] + 1;
  auto under = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return i >= boxCell_[0] && i < boxCellEnd[0] && j >= boxCell_[1] && j < boxCellEnd[1] &&
           k >= boxCell_[2] && k < boxCellEnd[2];
  };
  // Each cell's sigma: the mean of its voxels' (a slice of cells reads its own voxel slices).
  cellSigma_.assign(cells, 0.0f);
  cellRoles_.resize(cells);
  std::vector<std::uint8_t> misplaced(std::size_t(sc.nz), 0);
  forEachSlice(sc, [&](std::int64_t K) {
    for (std::int64_t k = az.start[K]; k < az.start[K + 1]; ++k)
      for (std::int64_t j = 0; j < grid.size[1]; ++j) {
        const std::size_t row = grid.linearIndex(0, j, k);
        addRowToCells(ax, sigma.data() + row,
                      cellSigma_.data() + cellGeometry_.linearIndex(0, ay.cellOf[j], K));
        // Cells stand for tissue only: an electrode outside the box or a ground inside the
        // grid would be averaged away.
        const bool groundRow = k == 0 || j == 0 || k + 1 == grid.size[2] || j + 1 == grid.size[1];
        if (groundRow) continue;
        const bool boxRow = k >= lo_[2] && k < hi_[2] && j >= lo_[1] && j < hi_[1];
        const NodeRole* rowRoles = roles.data() + row;
        const std::int64_t last = grid.size[0] - 1;  // the row's inner voxels 1 .. last - 1
        const bool fixedOutsideBox =
            boxRow ? anyFixed(rowRoles + 1, rowRoles + std::max<std::int64_t>(1, lo_[0])) ||
                         anyFixed(rowRoles + std::max<std::int64_t>(hi_[0], 1), rowRoles + last)
                   : anyFixed(rowRoles + 1, rowRoles + last);
        if (fixedOutsideBox) misplaced[K] = 1;
      }
    for (std::int64_t J = 0; J < sc.ny; ++J)
      for (std::int64_t I = 0; I < sc.nx; ++I) {
        const std::size_t c = cellGeometry_.linearIndex(I, J, K);
        cellSigma_[c] /= float(ax.width(I) * ay.width(J) * az.width(K));
        const bool ground =
            I == 0 || J == 0 || K == 0 || I + 1 == sc.nx || J + 1 == sc.ny || K + 1 == sc.nz;
        cellRoles_[c] = ground           ? NodeRole::Ground
                        : under(I, J, K) ? NodeRole::Electrode  // fixed here: the box's voxels
                                         : NodeRole::Tissue;
      }
  });
  if (std::find(misplaced.begin(), misplaced.end(), 1) != misplaced.end()) {
    throw Error(ErrorKind::Internal,
                "The composite potential grid needs every electrode voxel inside its box and the "
                "ground on the grid's faces only.",
                "CompositePotential");
  }
  // The faces between cells outside the box, and each cell's diagonal (the couplings to the
  // box's voxels are added by setUpCouplings()).
  FaceConductivity& f = cellFaces_;
  for (std::vector<float>* faces : {&f.x, &f.y, &f.z}) faces->resize(cells);
  f.diagonal.resize(cells);
  forEachSlice(sc, [&](std::int64_t K) {
    for (std::int64_t J = 0; J < sc.ny; ++J)
      for (std::int64_t I = 0; I < sc.nx; ++I) {
        const std::size_t c = cellGeometry_.linearIndex(I, J, K);
        const bool outside = !under(I, J, K);
        auto face = [&](bool exists, std::size_t d, double area, double widthC, double widthD) {
          return exists && outside && cellRoles_[d] != NodeRole::Electrode
                     ? float(cellConductance(area, widthC, cellSigma_[c], widthD, cellSigma_[d]))
                     : 0.0f;
        };
        f.x[c] = face(I + 1 < sc.nx, c + sc.sx, double(ay.width(J) * az.width(K)),
                      double(ax.width(I)), double(ax.width(std::min(I + 1, sc.nx - 1))));
        f.y[c] = face(J + 1 < sc.ny, c + sc.sy, double(ax.width(I) * az.width(K)),
                      double(ay.width(J)), double(ay.width(std::min(J + 1, sc.ny - 1))));
        f.z[c] = face(K + 1 < sc.nz, c + sc.sz, double(ax.width(I) * ay.width(J)),
                      double(az.width(K)), double(az.width(std::min(K + 1, sc.nz - 1))));
      }
  });
  forEachSlice(sc, [&](std::int64_t K) {
    for (std::int64_t J = 0; J < sc.ny; ++J)
      for (std::int64_t I = 0; I < sc.nx; ++I) {
        const std::size_t c = cellGeometry_.linearIndex(I, J, K);
        double d = 0.0;
        forEachFace(sc, f, c, I, J, K, [&](std::size_t, float conductance) { d += conductance; });
        f.diagonal[c] = d;
      }
  });
}

void CompositePotential::setUpCouplings(const ImageGeometry& grid, std::span<const float> sigma) {
  const Strides sb(boxGeometry_);
  // Every face between a box voxel and a cell outside the box, in a fixed order: the box's voxels
  // in order, a voxel's faces -x, +x, -y, +y, -z, +z. A row inside the box has its two end
  // voxels on the faces, so the walk steps over the rest rather than testing every voxel.
  // visit(n, local, a, side) for each face of the box's slices [kFirst, kLast) (n: the box voxel,
  // local: its (i, j, k) in the box, a: the axis, side: -1 or +1).
  auto walkFaces = [&](std::int64_t kFirst, std::int64_t kLast, auto&& visit) {
    for (std::int64_t k = kFirst; k < kLast; ++k)
      for (std::int64_t j = 0; j < sb.ny; ++j) {
        const bool faceRow = j == 0 || k == 0 || j + 1 == sb.ny || k + 1 == sb.nz;
        const std::int64_t step = faceRow ? 1 : std::max<std::int64_t>(1, sb.nx - 1);
        for (std::int64_t i = 0; i < sb.nx; i += step) {
          const std::size_t n = boxGeometry_.linearIndex(i, j, k);
          if (boxRoles_[n] != NodeRole::Tissue) continue;
          const std::int64_t local[3] = {i, j, k}, extent[3] = {sb.nx, sb.ny, sb.nz};
          for (int a = 0; a < 3; ++a)
            for (int side : {-1, 1})
              if (side < 0 ? local[a] == 0 : local[a] + 1 == extent[a]) visit(n, local, a, side);
        }
      }
  };
  // In parallel by the box's layers of cells: a cell outside the box meets the box's voxels of
  // one layer only (across -z or +z the first or last slice, sideways its own layer), so each
  // cell's and each box voxel's conductances add in the faces' order whatever the thread.
  const CompositeAxis& az = axes_[2];
  const std::int64_t layers = az.cellOf[hi_[2] - 1] + 1 - boxCell_[2];
  auto layerSlices = [&](std::int64_t layer) {
    const std::int64_t K = boxCell_[2] + layer;
    return std::array<std::int64_t, 2>{az.start[K] - lo_[2], az.start[K + 1] - lo_[2]};
  };
  // The faces per layer, then each layer's first face: the listing's order.
  std::vector<std::size_t> first(std::size_t(layers) + 1, 0);
  parallel::parallelFor(IndexRange{0, std::size_t(layers)}, 1, [&](IndexRange r) {
    for (std::size_t layer = r.begin; layer < r.end; ++layer) {
      const auto [kFirst, kLast] = layerSlices(std::int64_t(layer));
      std::size_t count = 0;
      walkFaces(kFirst, kLast, [&](std::size_t, const std::int64_t*, int, int) { ++count; });
      first[layer + 1] = count;
    }
  });
  for (std::size_t layer = 0; layer < std::size_t(layers); ++layer)
    first[layer + 1] += first[layer];
  couplings_.resize(first.back());
  faces_.resize(first.back());
  parallel::parallelFor(IndexRange{0, std::size_t(layers)}, 1, [&](IndexRange r) {
    for (std::size_t layer = r.begin; layer < r.end; ++layer) {
      const auto [kFirst, kLast] = layerSlices(std::int64_t(layer));
      std::size_t f = first[layer];
      walkFaces(kFirst, kLast, [&](std::size_t n, const std::int64_t* local, int a, int side) {
        const std::int64_t g[3] = {lo_[0] + local[0], lo_[1] + local[1], lo_[2] + local[2]};
        std::int64_t q[3] = {g[0], g[1], g[2]};
        q[a] += side;
        std::int64_t cell[3];
        for (int b = 0; b < 3; ++b) cell[b] = axes_[b].cellOf[q[b]];
        const std::size_t c = cellGeometry_.linearIndex(cell[0], cell[1], cell[2]);
        // Across into the ground layer, the ground voxel itself (a cell one voxel thick): the
        // 1 mm grid's face there.
        const std::size_t outer = grid.linearIndex(q[0], q[1], q[2]);
        const bool ground = cellRoles_[c] == NodeRole::Ground;
        const double width = double(axes_[a].width(cell[a]));
        const double outerSigma = ground ? double(sigma[outer]) : double(cellSigma_[c]);
        const auto conductance = float(cellConductance(1.0, 1.0, boxSigma_[n], width, outerSigma));
        couplings_[f] = {std::uint32_t(n), std::uint32_t(c), conductance};
        faces_[f] = {
            grid.linearIndex(g[0], g[1], g[2]), outer,
            outerSigma > 0.0 ? 0.5 * width / outerSigma : std::numeric_limits<double>::infinity()};
        ++f;
        boxFaces_.diagonal[n] += double(conductance);
        if (cellRoles_[c] == NodeRole::Tissue) cellFaces_.diagonal[c] += double(conductance);
      });
    }
  });
}

template <class In>
void CompositePotential::applyComposite(std::span<const In> x, std::span<float> out,
                                        bool negate) const {
  const std::size_t m = boxSigma_.size();
  applyOperator<In, float>(Strides(boxGeometry_), boxFaces_, boxRoles_, x.first(m), out.first(m),
                           negate);
  applyOperator<In, float>(Strides(cellGeometry_), cellFaces_, cellRoles_, x.subspan(m),
                           out.subspan(m), negate);
  // The couplings' terms onto the box voxels, then onto the cells, each in parallel runs that
  // keep a target's terms in the couplings' order (the box's rows and the cells' never meet).
  const double sign = negate ? -1.0 : 1.0;
  multigrid_.couplingsByBox().forEach([&](std::size_t i) {
    const CompositeCoupling& c = couplings_[i];
    out[c.box] = float(out[c.box] - sign * double(c.conductance) * double(x[m + c.cell]));
  });
  multigrid_.couplingsByCell().forEach([&](std::size_t i) {
    const CompositeCoupling& c = couplings_[i];
    if (cellRoles_[c.cell] == NodeRole::Tissue)
      out[m + c.cell] = float(out[m + c.cell] - sign * double(c.conductance) * double(x[c.box]));
  });
}

CompositeSolution CompositePotential::solve(
    const ImageGeometry& grid, std::span<const float> sigma_S_m, std::span<const NodeRole> roles,
    const std::array<std::int64_t, 3>& lo, const std::array<std::int64_t, 3>& hi,
    double electrode_V, std::span<const double> warmStart, double warmOutsideScale,
    const PotentialSolverOptions& options, Progress& progress) {
  CompositeSolution solution;
  solveInto(solution, grid, sigma_S_m, roles, lo, hi, electrode_V, warmStart, warmOutsideScale,
            options, progress);
  return solution;
}

void CompositePotential::solveInto(CompositeSolution& solution, const ImageGeometry& grid,
                                   std::span<const float> sigma_S_m,
                                   std::span<const NodeRole> roles,
                                   const std::array<std::int64_t, 3>& lo,
                                   const std::array<std::int64_t, 3>& hi, double electrode_V,
                                   std::span<const double> warmStart, double warmOutsideScale,
                                   const PotentialSolverOptions& options, Progress& progress) {
  setUp(grid, sigma_S_m, roles, lo, hi);
  const std::size_t m = boxSigma_.size(), cells = cellSigma_.size(), n = m + cells;
  // The first guess: the Dirichlet values, the warm start on the unknowns (a cell's first voxel).
  const bool warm = warmStart.size() == grid.voxelCount();
  // Every unknown is written below: a kept array, not a fresh zeroed one per solve.
  std::vector<double>& x = x_;
  x.resize(n);
  // Row by row: no divisions to find an unknown's voxel.
  const Strides sb(boxGeometry_), sc(cellGeometry_);
  forEachSlice(sb, [&](std::int64_t k) {
    for (std::int64_t j = 0; j < sb.ny; ++j) {
      const std::size_t row = boxGeometry_.linearIndex(0, j, k);
      const std::size_t from = grid.linearIndex(lo_[0], lo_[1] + j, lo_[2] + k);
      for (std::int64_t i = 0; i < sb.nx; ++i) {
        const NodeRole role = boxRoles_[row + i];
        x[row + i] = role == NodeRole::Electrode        ? electrode_V
                     : role == NodeRole::Tissue && warm ? warmStart[from + i]
                                                        : 0.0;
      }
    }
  });
  forEachSlice(sc, [&](std::int64_t K) {
    for (std::int64_t J = 0; J < sc.ny; ++J)
      for (std::int64_t I = 0; I < sc.nx; ++I) {
        const std::size_t c = cellGeometry_.linearIndex(I, J, K);
        x[m + c] = cellRoles_[c] == NodeRole::Tissue && warm
                       ? warmStart[grid.linearIndex(axes_[0].start[I], axes_[1].start[J],
                                                    axes_[2].start[K])] *
                             warmOutsideScale
                       : 0.0;
      }
  });
  for (std::vector<float>* v : {&r_, &z_, &p_, &ap_}) v->resize(n);
  const double rhsNorm =
      dirichletPullNorm(Strides(boxGeometry_), boxFaces_, boxRoles_, electrode_V);
  applyComposite<double>(x, r_, /*negate=*/true);  // r = b - A x
  const FixedChunks chunks{n, kChunk};
  const ConjugateGradientResult cg = conjugateGradients(
      chunks,
      [&](const std::vector<float>& in, std::vector<float>& out) {
        applyComposite<float>(in, out, false);
        return chunkedDot(chunks, in, out);
      },
      [&] {
        multigrid_.apply(std::span<const float>(r_).first(m), std::span<const float>(r_).subspan(m),
                         std::span<float>(z_).first(m), std::span<float>(z_).subspan(m));
      },
      x, r_, z_, p_, ap_, rhsNorm, options, progress, " on the composite grid",
      "CompositePotential");
  solution.iterations = cg.iterations;
  fillGridFields(grid, x, solution);
}

void CompositePotential::fillGridFields(const ImageGeometry& grid, std::span<const double> x,
                                        CompositeSolution& solution) {
  const std::size_t m = boxSigma_.size(), cells = cellSigma_.size();
  const Strides sb(boxGeometry_), sc(cellGeometry_);
  const double h_m = grid.spacing_mm.x() * 1e-3;
  const double perVolume = 1.0 / (h_m * h_m);  // a face's power sigma_f h dV^2 over h^3
  std::vector<float>& boxHeating = boxHeating_;
  jouleHeatingOfFacesInto(boxHeating, boxGeometry_, sb, boxFaces_, boxRoles_, x.first(m));
  // Each cell's power (voxel units) from its faces, half of each face between two Tissue cells
  // (all of it next to the ground), then the couplings' halves.
  std::vector<double>& cellPower = cellPower_;  // every cell written (0 off Tissue)
  cellPower.resize(cells);
  const std::span<const double> xc = x.subspan(m);
  forEachSlice(sc, [&](std::int64_t K) {
    for (std::int64_t J = 0; J < sc.ny; ++J)
      for (std::int64_t I = 0; I < sc.nx; ++I) {
        const std::size_t c = cellGeometry_.linearIndex(I, J, K);
        cellPower[c] = 0.0;
        if (cellRoles_[c] != NodeRole::Tissue) continue;
        double power = 0.0;
        forEachFace(sc, cellFaces_, c, I, J, K, [&](std::size_t d, float conductance) {
          const double dv = xc[c] - xc[d];
          power += faceShare(NodeRole::Tissue, cellRoles_[d]) * double(conductance) * dv * dv;
        });
        cellPower[c] = power;
      }
  });
  // (Onto the box voxels, then the cells, in parallel runs: each target's terms in order.)
  auto couplingPower = [&](const CompositeCoupling& c) {
    const double dv = x[c.box] - xc[c.cell];
    return double(c.conductance) * dv * dv;
  };
  multigrid_.couplingsByBox().forEach([&](std::size_t i) {
    const CompositeCoupling& c = couplings_[i];
    boxHeating[c.box] +=
        float(faceShare(NodeRole::Tissue, cellRoles_[c.cell]) * couplingPower(c) * perVolume);
  });
  multigrid_.couplingsByCell().forEach([&](std::size_t i) {
    const CompositeCoupling& c = couplings_[i];
    if (cellRoles_[c.cell] == NodeRole::Tissue) cellPower[c.cell] += 0.5 * couplingPower(c);
  });
  // Each cell's volume (voxels) and SAR, row by row (no divisions to find a cell's widths).
  std::vector<float>& cellHeating = cellHeating_;  // both written in full below
  std::vector<double>& cellVolume = cellVolume_;
  cellHeating.resize(cells);
  cellVolume.resize(cells);
  forEachSlice(sc, [&](std::int64_t K) {
    for (std::int64_t J = 0; J < sc.ny; ++J)
      for (std::int64_t I = 0; I < sc.nx; ++I) {
        const std::size_t c = cellGeometry_.linearIndex(I, J, K);
        cellVolume[c] = double(axes_[0].width(I) * axes_[1].width(J) * axes_[2].width(K));
        cellHeating[c] = float(cellPower[c] * perVolume / cellVolume[c]);
      }
  });
  // The grid's fields: the box's voxels, outside each cell's value on its voxels.
  solution.potential_V.resize(grid.voxelCount());
  solution.heating_W_m3.resize(grid.voxelCount());
  const Strides s(grid);
  // Row by row: the stretches before and after the box from the cells, the box's from its row.
  double* potential = solution.potential_V.data();
  float* heating = solution.heating_W_m3.data();
  const std::int64_t* cellOfX = axes_[0].cellOf.data();
  forEachSlice(s, [&](std::int64_t k) {
    const bool sliceIn = k >= lo_[2] && k < hi_[2];
    const std::int64_t K = axes_[2].cellOf[k];
    for (std::int64_t j = 0; j < s.ny; ++j) {
      const bool rowIn = sliceIn && j >= lo_[1] && j < hi_[1];
      const std::size_t row = grid.linearIndex(0, j, k);
      const std::size_t cellRow = cellGeometry_.linearIndex(0, axes_[1].cellOf[j], K);
      auto fromCells = [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t i = first; i < last; ++i) {
          const std::size_t c = cellRow + std::size_t(cellOfX[i]);
          potential[row + i] = xc[c];
          heating[row + i] = cellHeating[c];
        }
      };
      if (!rowIn) {
        fromCells(0, s.nx);
        continue;
      }
      fromCells(0, lo_[0]);
      const std::size_t b = boxGeometry_.linearIndex(0, j - lo_[1], k - lo_[2]);
      const std::size_t count = std::size_t(hi_[0] - lo_[0]);
      std::copy_n(x.begin() + std::ptrdiff_t(b), count, potential + row + std::size_t(lo_[0]));
      std::copy_n(boxHeating.begin() + std::ptrdiff_t(b), count,
                  heating + row + std::size_t(lo_[0]));
      fromCells(hi_[0], s.nx);
    }
  });
  const double voxelVolume_m3 = h_m * h_m * h_m;
  solution.power_W =
      (sumOf(m, [&](std::size_t b) { return double(boxHeating[b]); }) +
       sumOf(cells, [&](std::size_t c) { return double(cellHeating[c]) * cellVolume[c]; })) *
      voxelVolume_m3;
}

}  // namespace twinplan::ablation::detail
