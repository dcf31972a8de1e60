#pragma once
// Rigid obstacles for frictionless contact (fe_model.h RigidObstacle; issue #18: the skull):
// analytic ones for validation, and one sampled from a signed-distance map on an image grid,
// the form the skull takes when it comes from a labelmap (a distance map of the skull or
// outside region, positive in the brain).
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/label_map.h"
#include "twinplan/tissue/fe_model.h"

namespace twinplan::tissue {

// The half-space on the side of `point` that `normal` points away from is rigid: tissue stays
// where (x - point) . normal >= 0.
RigidObstacle rigidPlane(const std::array<double, 3>& point, const std::array<double, 3>& normal,
                         std::vector<std::size_t> nodes);

// Tissue inside a sphere (a rigid spherical shell, the skull's simplest form): distance
// radius - |x - centre|.
RigidObstacle rigidSphericalShell(const std::array<double, 3>& centre, double radius_mm,
                                  std::vector<std::size_t> nodes);

// A signed distance sampled on an image grid (any orientation), e.g. skullDistanceMap's: values
// at the voxel centres in mm, positive where tissue may be. It is interpolated trilinearly in
// voxel index (exact for a distance linear in position) and clamped at the grid's border; the
// normal is its normalised gradient by central differences one voxel apart.
struct DistanceMap {
  ImageGeometry geometry;
  std::vector<float> distance_mm;  // per voxel, i fastest
};

// The signed distance to the region of `segment` in `labels` (the skull, or everything outside
// the brain): negative inside it, positive outside, by the exact Euclidean distance transform of
// voxel centres (Felzenszwalb & Huttenlocher, Theory of Computing 8 (2012) 415-428) on both
// sides, each less half the smallest voxel spacing so that the zero level lies on the region's
// voxel faces (exact across a face, within half a voxel elsewhere). Error(InvalidInput) when the
// segment has no voxel or fills the grid.
DistanceMap skullDistanceMap(const LabelMap& labels, std::size_t segment);

// The same for a region given voxel by voxel (`obstacle`: one flag per voxel, i fastest), e.g.
// everything outside the cranial cavity; `name` for messages. Error(InvalidInput) when the
// region is empty or fills the grid, or its size is not the grid's.
DistanceMap regionDistanceMap(const ImageGeometry& geometry, const std::vector<char>& obstacle,
                              const std::string& name);

// The map convolved with a Gaussian of standard deviation sigma_mm along each axis (separable;
// the grid's border values extended outwards). For a skull sampled from a labelmap: its voxel
// staircase - steps of a voxel, which a frictionless contact feels as detents and Newton as
// bumps of a voxel's radius - becomes the smooth surface it samples. A distance linear in
// position is unchanged (the kernel is symmetric); a surface of radius R moves by about
// sigma^2 / R towards its concave side (E|x + s| = r + sigma^2 / r for an isotropic Gaussian s).
// sigma_mm <= 0 leaves the map as it is; Error(InvalidInput) for a sigma that is not finite.
void smoothDistanceMap(DistanceMap& map, double sigma_mm);
// The same with a standard deviation per grid axis (i, j, k; e.g. one voxel along each, for a
// grid whose slices are thicker than its pixels); an axis whose sigma is <= 0 is left alone.
void smoothDistanceMap(DistanceMap& map, const Vec3& sigma_mm);

// How far a smoothed obstacle surface lies from the voxel staircase it was sampled from: the
// centre of every voxel face between `obstacle` (one flag per voxel of `geometry`, i fastest)
// and free space is moved onto `smoothed`'s zero level along its normal, and its exact distance
// to the staircase (the union of the region's voxels as boxes) taken. A labelmap only says
// that the true surface passes within half a voxel of its faces, so a smoothing whose largest
// departure stays below that is as true to the image as the staircase. Error(InvalidInput)
// when the flags do not match the grid.
struct SurfaceDeparture {
  std::size_t faces = 0;
  double largest_mm = 0;
  double rms_mm = 0;
  // Faces moved by more than half the voxel's spacing across them.
  std::size_t beyondHalfVoxel = 0;
};
SurfaceDeparture staircaseDeparture(const ImageGeometry& geometry,
                                    const std::vector<char>& obstacle,
                                    const RigidObstacle& smoothed);

// How a DistanceMap is read between voxel centres. Trilinear: the values interpolated (exact
// for a distance linear in position), the normal its gradient by central differences one voxel
// apart (smooth, but not the interpolant's own gradient, which jumps between voxels).
// CubicBSpline: the values as the coefficients of a uniform cubic B-spline (C2; also exact for a
// linear distance, a skull corner rounded over about a voxel), the normal its analytic gradient -
// consistent with the distance, so a node sliding along the surface keeps its gap to first
// order and Newton closes active-set gaps quadratically (docs/validation.md, "Brain shift:
// skull contact convergence").
enum class DistanceInterpolation { Trilinear, CubicBSpline };

// Error(InvalidInput) when the map's values do not match its size or a spacing is not positive.
RigidObstacle obstacleFromDistanceMap(
    DistanceMap map, std::vector<std::size_t> nodes, std::string name = "skull",
    DistanceInterpolation interpolation = DistanceInterpolation::Trilinear);

}  // namespace twinplan::tissue
