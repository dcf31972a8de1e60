#pragma once
// From nodal displacements to the image (issue #18 item 4): the finite-element displacement
// interpolated at any point and on an image grid, and the image, labelmap, meshes and plan
// targets moved by it.
//
// Interpolation is the element's own: barycentric (linear) for C3D4, the ten quadratic shape
// functions N = L(2L - 1) at corners and 4 Li Lj at mid-side nodes for C3D10 (Zienkiewicz &
// Taylor, The Finite Element Method, vol. 1, 7th ed., section 8.8), with the barycentric
// coordinates L of the straight-sided reference tetrahedron. The containing element is found
// through a uniform grid of buckets over the elements' bounding boxes. Points outside the mesh
// get a zero displacement: the scenarios fix the tissue around the mesh (the skull), so the
// tissue outside does not move.
//
// Warping an image is a pull-back: the deformed image at y is the original at X with
// X + u(X) = y. X is found by the fixed-point iteration X <- y - u(X), started at X = y; it
// converges where |grad u| < 1 (a contraction; every non-inverted, small-strain field), and
// stops at 1e-3 voxel or after 30 iterations.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/mesh.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"
#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

// The displacement of a solved model at any point of its reference (undeformed) configuration.
class DisplacementInterpolator {
 public:
  // `displacement_mm` holds one vector per node of `model`. Throws Error(InvalidInput) when the
  // counts differ or the model has no elements.
  DisplacementInterpolator(const FeModel& model,
                           std::vector<std::array<double, 3>> displacement_mm);
  // The displacement at reference point p (LPS mm), or nullopt outside every element.
  std::optional<Vec3> at(const Vec3& p_lps) const;
  // at(p) or zero outside the mesh.
  Vec3 atOrZero(const Vec3& p_lps) const;

 private:
  const FeModel* model_;
  std::vector<std::array<double, 3>> displacement_mm_;
  std::vector<Eigen::Matrix<double, 4, 4>> toBarycentric_;  // per element: [x;1] -> L
  Vec3 bucketOrigin_ = Vec3::Zero();
  double bucketSize_mm_ = 1;
  std::array<std::int64_t, 3> buckets_{0, 0, 0};
  std::vector<std::vector<std::uint32_t>> bucketElements_;
};

// A dense displacement field on an image grid: u(voxel) in LPS mm, i fastest.
struct DisplacementField {
  ImageGeometry geometry;
  std::vector<std::array<float, 3>> u_mm;
  // Trilinear interpolation of the voxel vectors (zero outside the grid).
  Vec3 sample(const Vec3& p_lps) const;
  double maxMagnitude_mm() const;
};

// The field on `grid` (voxel centres); zero outside the mesh. Parallel, cancellable.
DisplacementField rasterizeDisplacement(const DisplacementInterpolator& interpolator,
                                        const ImageGeometry& grid,
                                        Progress& progress = noProgress());

// As ScalarFields for a case: the magnitude ("displacement", mm) first, then the L, P and S
// components, named "<name> |u|", "<name> uL", "<name> uP", "<name> uS".
std::vector<ScalarField> displacementFields(const DisplacementField& field,
                                            const std::string& name);

// Where the tissue at deformed point y came from: X with X + u(X) = y (fixed point, above).
Vec3 pullBack(const DisplacementField& field, const Vec3& y_lps);

// A grey image (values on `field.geometry`, i fastest) moved by the field: trilinear
// interpolation of the original at pullBack(y); `outside` where X leaves the grid.
std::vector<float> warpImage(const std::vector<float>& values, const DisplacementField& field,
                             float outside, Progress& progress = noProgress());

// A labelmap on the field's grid moved by the field, every layer by nearest neighbour at
// pullBack(y) (labels are not interpolated). Throws Error(InvalidInput) for another grid.
LabelMap warpLabelMap(const LabelMap& labels, const DisplacementField& field,
                      Progress& progress = noProgress());

// A surface mesh moved by the interpolated displacement at each vertex (zero outside the
// mesh); normals are dropped (they no longer hold).
SurfaceMesh warpSurfaceMesh(const SurfaceMesh& mesh, const DisplacementInterpolator& u);

// One plan target (tumour centroid, ablation tip) and where the tissue takes it.
struct TargetShift {
  std::string name;
  Vec3 before_lps = Vec3::Zero();
  Vec3 after_lps = Vec3::Zero();
  Vec3 shift_mm = Vec3::Zero();
  double magnitude_mm = 0;
  bool insideMesh = false;  // false: outside the model, not moved
};
TargetShift shiftTarget(const DisplacementInterpolator& u, std::string name, const Vec3& p_lps);

}  // namespace twinplan::tissue
