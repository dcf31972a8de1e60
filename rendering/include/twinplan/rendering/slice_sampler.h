#pragma once
// Sampling a 2D slice of a volume in patient space (multi-planar reformatting). Views show
// the patient's axial, coronal and sagittal planes whatever the acquisition grid's tilt, as
// radiologists expect; the sampler maps each screen pixel to LPS and then to the volume.
#include <Eigen/Geometry>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/scalar_field.h"
#include "twinplan/core/spatial_transform.h"

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
// The same from a layer given slice by slice: `slices[k]` points at slice k's voxels (i fastest,
// then j), as a brush stroke's per-slice copies (core/label_layer_edit.h) hold them.
void sampleLabelSlices(std::span<const std::uint16_t* const> slices, const ImageGeometry& geometry,
                       const SlicePlane& plane, std::vector<std::uint16_t>& labels);

// 1 where the nearest voxel of `volume` to a pixel of `plane` has a value in [min, max] (in the
// volume's unit) and is not pixel padding (ImageVolume::isPadding), 0 elsewhere and outside the
// grid: the voxels threshold paint would take (segmentation::EditableRule asks the same of each
// voxel), for the shown slice only. A colour volume has none in range.
void sampleInRange(const ImageVolume& volume, const SlicePlane& plane, double min, double max,
                   std::vector<std::uint8_t>& inRange);

// The range of positions along `normal` (mm, dot product with LPS) that the volume covers.
void extentAlong(const ImageGeometry& geometry, const Vec3& normal, double& min_mm, double& max_mm);

// Trilinear samples of `layer` on `plane`, where the plane lies in another series' patient
// space (the background's) and `backgroundToLayer` maps its points into the layer's (fixed ->
// moving, ITK's convention, as a registration stores it): pixel (u,v) shows the layer at
// backgroundToLayer.apply(plane.pixelToLps(u,v)); `outside` where that leaves the layer's grid.
// A linear transform maps the plane once (origin and axes) and samples as sampleSlice does; a
// B-spline is applied exactly at nodes at most 3 mm apart on the plane and interpolated
// bilinearly between them (the deformation is smooth on that scale: 0.01 mm worst deviation
// for a 30 mm control grid with displacements up to 5 mm, tested). Rows run in parallel
// (core/parallel.h).
void sampleSliceThrough(const ImageVolume& layer, const SlicePlane& plane,
                        const SpatialTransform& backgroundToLayer, float outside,
                        std::vector<float>& pixels);

// Thick-slab projections along the plane's normal, as radiology workstations offer them:
// maximum (MIP), minimum (MinIP) or mean intensity of the samples through the slab.
enum class SlabMode { None, Mip, MinIp, Mean };
const char* toString(SlabMode mode);                   // "none" | "mip" | "minip" | "mean"
SlabMode slabModeFromString(const std::string& name);  // throws Error(InvalidInput)

// sampleSliceThrough over a slab `thickness_mm` thick centred on `plane`: planes at
// k * step_mm along the normal for |k * step_mm| <= thickness_mm / 2 (at least the centre
// plane), combined per pixel by `mode` over the planes that hit the layer; `outside` where none
// does. SlabMode::None (or a thickness below step_mm) is the centre plane alone.
void sampleSlabThrough(const ImageVolume& layer, const SlicePlane& plane,
                       const SpatialTransform& backgroundToLayer, SlabMode mode,
                       double thickness_mm, double step_mm, float outside,
                       std::vector<float>& pixels);

// The value of `layer` at a point of the background's space (trilinear, through the
// transform); nullopt outside the layer's grid.
std::optional<double> sampleThrough(const ImageVolume& layer,
                                    const SpatialTransform& backgroundToLayer, const Vec3& p_lps);

// The step between slices of `volume` along `normal` (mm): its grid spacing projected on the
// normal, the distance between acquired slices when the plane is parallel to them.
double sliceStepAlong(const ImageGeometry& geometry, const Vec3& normal);

}  // namespace twinplan::rendering
