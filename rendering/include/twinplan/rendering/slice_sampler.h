#pragma once
// Sampling a 2D slice of a volume in patient space (multi-planar reformatting). Views show
// the patient's axial, coronal and sagittal planes whatever the acquisition grid's tilt, as
// radiologists expect; the sampler maps each screen pixel to LPS and then to the volume.
#include <Eigen/Geometry>
#include <cstdint>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::rendering {

enum class SliceOrientation { Axial, Coronal, Sagittal };
const char* toString(SliceOrientation orientation);

// A planar grid in LPS: pixel (u,v) is at origin + u*spacing*right + v*spacing*down.
struct SlicePlane {
  Vec3 origin_lps;  // centre of pixel (0,0), the top-left of the view
  Vec3 right;       // unit vector of increasing u (screen right)
  Vec3 down;        // unit vector of increasing v (screen down)
  double spacing_mm = 1.0;
  int width = 0, height = 0;
  Vec3 normal() const { return right.cross(down); }
  Vec3 pixelToLps(double u, double v) const {
    return origin_lps + spacing_mm * (u * right + v * down);
  }
};

// The radiological convention: axial seen from the feet (patient left on screen right,
// anterior up), coronal seen from the front (left on the right, superior up), sagittal seen
// from the patient's left (anterior on the left, superior up).
void screenAxes(SliceOrientation orientation, Vec3& right, Vec3& down);

// The plane through `centre_lps` that covers the whole volume in `orientation`, with square
// pixels no larger than the finest in-plane voxel spacing.
SlicePlane planeCovering(const ImageGeometry& geometry, SliceOrientation orientation,
                         const Vec3& centre_lps);

// Trilinear samples of `volume` on `plane` (row-major, v rows of u); `outside` where the
// plane leaves the volume.
void sampleSlice(const ImageVolume& volume, const SlicePlane& plane, float outside,
                 std::vector<float>& pixels);

// Nearest-neighbour colours of an Rgb8 volume on `plane` (row-major), `outside` where the plane
// leaves the volume. Colours are not interpolated: a blend of two colours is a colour the image
// does not have. (sampleSlice of an Rgb8 volume gives the luma of these colours.)
void sampleColourSlice(const ImageVolume& volume, const SlicePlane& plane, RgbColour outside,
                       std::vector<RgbColour>& pixels);

// Trilinear samples of a scalar field (dose, temperature ...) on `plane`.
void sampleField(const ScalarField& field, const SlicePlane& plane, float outside,
                 std::vector<float>& pixels);

// Nearest-neighbour samples of one label layer on `plane` (0 outside the grid): labels are
// categories, never interpolated.
void sampleLabels(const std::vector<std::uint16_t>& layer, const ImageGeometry& geometry,
                  const SlicePlane& plane, std::vector<std::uint16_t>& labels);

// The range of positions along `normal` (mm, dot product with LPS) that the volume covers.
void extentAlong(const ImageGeometry& geometry, const Vec3& normal, double& min_mm, double& max_mm);

}  // namespace twinplan::rendering
