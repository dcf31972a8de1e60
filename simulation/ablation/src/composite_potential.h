#pragma once
// The RF potential on a composite grid (private to the module; RfSettings::compositePotential):
// the nested box at the ablation grid's 1 mm voxels inside 2 mm cells over the rest of the grid.
// The current that matters for the heating flows within the box (it holds the electrode and 20
// mm of tissue around it); outside it the potential is smooth and carries a few per cent of the
// power, so cells of twice the size there cut a full solve's unknowns about fourfold.
//
// The cells: along each axis the ground layer (the grid's first and last voxel, 0 V) is a cell of
// one voxel, the voxels between pair up into 2 mm cells from the first on (the last alone when
// their count is odd); the box is snapped to whole cells inside the ground layer. A cell's sigma
// is the mean of its voxels'. Finite volumes on cells of any width: the conductance between two
// cells is the face's area over the two half-widths in series, A / (w_a / 2 sigma_a + w_b / 2
// sigma_b) (voxel units, as the 1 mm operator's harmonic mean, which it equals on voxels); a box
// voxel on the box's face couples to the cell across through its own face (area 1), 1 / (1 / 2
// sigma_v + w / 2 sigma_cell): conservative (the current leaving the box is the current entering
// the cells), first order at the box's faces (the cell's centre is off the voxel's axis by half
// a voxel), as in the cell-centred composite grids of McCormick & Thomas (Math Comp
// 1986;46:439-456). docs/validation.md ("a composite grid for the full potential solves") gives
// its error against the 1 mm solve.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "conduction_multigrid.h"
#include "potential_grid.h"
#include "twinplan/ablation/rf_source.h"

namespace twinplan::ablation::detail {

// One axis of the coarse cells.
struct CompositeAxis {
  std::vector<std::int64_t> start;   // each cell's first voxel, then the axis' voxel count
  std::vector<std::int64_t> cellOf;  // each voxel's cell
  explicit CompositeAxis(std::int64_t voxels);
  std::int64_t cells() const { return std::int64_t(start.size()) - 1; }
  std::int64_t width(std::int64_t cell) const { return start[cell + 1] - start[cell]; }
};

// A box voxel's face to the cell across: the nested solve's face (rf_source.cpp).
struct CompositeFace {
  std::size_t inner = 0, outer = 0;  // grid voxels: in the box, across the face
  double outerResistance = 0.0;      // w / (2 sigma_cell) of the cell across (voxel units)
};

struct CompositeSolution {
  std::vector<double> potential_V;  // per grid voxel: the box's, outside each cell's value
  std::vector<float> heating_W_m3;  // per grid voxel: outside, each cell's mean
  double power_W = 0.0;
  int iterations = 0;
};

class CompositePotential {
 public:
  // The box [lo, hi) grown to whole cells inside the ground layer.
  static void snapBox(const ImageGeometry& grid, std::array<std::int64_t, 3>& lo,
                      std::array<std::int64_t, 3>& hi);
  // Solves div(sigma grad V) = 0 with Electrode voxels at electrode_V (all inside the box) and
  // the ground layer at 0 (Ground voxels elsewhere, or an electrode outside the box, are an
  // Error(Internal)), from warmStart (per grid voxel, may be empty: a cell's first voxel
  // gives the cell's, times warmOutsideScale). Throws Error(Internal) when CG does not converge,
  // Cancelled when progress asks. RfSource uses solveInto; this fresh-arrays form is kept for
  // the tests (ablation_conduction_multigrid_test), which call the solver on its own.
  CompositeSolution solve(const ImageGeometry& grid, std::span<const float> sigma_S_m,
                          std::span<const NodeRole> roles, const std::array<std::int64_t, 3>& lo,
                          const std::array<std::int64_t, 3>& hi, double electrode_V,
                          std::span<const double> warmStart, double warmOutsideScale,
                          const PotentialSolverOptions& options, Progress& progress = noProgress());
  // The same into solution, whose arrays are reused (a treatment's full solves write 12 MB each;
  // warmStart may be another solution's potential, not this one's).
  void solveInto(CompositeSolution& solution, const ImageGeometry& grid,
                 std::span<const float> sigma_S_m, std::span<const NodeRole> roles,
                 const std::array<std::int64_t, 3>& lo, const std::array<std::int64_t, 3>& hi,
                 double electrode_V, std::span<const double> warmStart, double warmOutsideScale,
                 const PotentialSolverOptions& options, Progress& progress = noProgress());
  // The box voxels' faces to the cells across (the nested solve's faces), in a fixed order for a
  // box; their resistances those of the last solve.
  const std::vector<CompositeFace>& faces() const { return faces_; }

 private:
  void setUp(const ImageGeometry& grid, std::span<const float> sigma_S_m,
             std::span<const NodeRole> roles, const std::array<std::int64_t, 3>& lo,
             const std::array<std::int64_t, 3>& hi);
  void setUpCells(const ImageGeometry& grid, std::span<const float> sigma_S_m,
                  std::span<const NodeRole> roles);
  void setUpCouplings(const ImageGeometry& grid, std::span<const float> sigma_S_m);
  // out = A x (negate: -A x) on the box's voxels and the cells, couplings included.
  template <class In>
  void applyComposite(std::span<const In> x, std::span<float> out, bool negate) const;
  void fillGridFields(const ImageGeometry& grid, std::span<const double> x,
                      CompositeSolution& solution);

  std::array<CompositeAxis, 3> axes_{CompositeAxis(1), CompositeAxis(1), CompositeAxis(1)};
  std::array<std::int64_t, 3> lo_{}, hi_{}, boxCell_{};
  ImageGeometry boxGeometry_, cellGeometry_;
  std::vector<float> boxSigma_, cellSigma_;
  std::vector<NodeRole> boxRoles_, cellRoles_;
  potential::FaceConductivity boxFaces_, cellFaces_;
  // (Grouped by box voxel and by cell in multigrid_, which is built on them at every setUp.)
  std::vector<CompositeCoupling> couplings_;
  std::vector<CompositeFace> faces_;
  std::vector<float> r_, z_, p_, ap_;
  // Kept from solve to solve (written in full by each): the unknowns, the box voxels' SAR, the
  // cells' power, SAR and volume (fresh zeroed arrays cost their allocation, page faults and a
  // serial memset every solve).
  std::vector<double> x_, cellPower_, cellVolume_;
  std::vector<float> boxHeating_, cellHeating_;
  std::vector<std::uint8_t> boxFree_, cellFree_;
  CompositeMultigrid multigrid_;
};

}  // namespace twinplan::ablation::detail
