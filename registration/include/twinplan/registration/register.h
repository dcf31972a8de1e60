#pragma once
// Intensity-based image registration (issue #15): where the moving series lies in the fixed
// series' patient space, found by ITK's v4 registration framework with Mattes mutual
// information (Mattes et al., IEEE TMI 22(1):120-128, 2003), so that CT, MR and PET of one
// patient can be aligned. The result is a SpatialTransform fixed -> moving (ITK's convention,
// core/spatial_transform.h). No ITK type appears here: the templates live in src/.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/spatial_transform.h"

namespace twinplan::registration {

// rigid: rotation + translation (6 parameters, VersorRigid3DTransform); affine: a rigid stage,
// then a full affine (12); bspline: a rigid stage (the bulk motion), then a cubic B-spline
// displacement on top of it (when no initial transform is given, also a B-spline from the
// centred start without the bulk; the lower final metric wins); landmark: paired points only
// (landmarks.h), no image metric.
enum class Method { Rigid, Affine, BSpline, Landmark };
const char* toString(Method method);  // "rigid" | "affine" | "bspline" | "landmark"
// Throws Error(InvalidInput) naming the accepted methods.
Method methodFromString(const std::string& name);

// How the rotation centre and the starting translation are found when no initial transform is
// given (ITK CenteredTransformInitializer): the centres of the two image boxes, or the centres
// of mass of the intensities (better when the fields of view differ).
enum class Centring { Geometry, Moments };

struct RegistrationOptions {
  Method method = Method::Rigid;
  // Mattes MI joint histogram bins. 32: elastix manual's recommended value (section 2.6, "a
  // good value is usually 32"; elastix's parameter-file default); ITK's v4 metric's own
  // default is 20.
  int histogramBins = 32;
  // Most of a level's fixed voxels the metric samples (>0..1); samplesPerLevel caps the count.
  // 1.0: no limit of its own, so a level samples samplesPerLevel voxels (or all it has). A
  // fraction (ITK's ImageRegistration examples use 1-20 %) makes small coarse levels too
  // sparse: at 10 % the 4 mm level of a head CT held about 10 samples of a 12 mm lesion, and the
  // rotation found moved by 2 degrees with the sampling seed (docs/benchmarks.md).
  double samplingFraction = 1.0;
  // Random sampling (fixed seed below, ITK's MetricSamplingStrategy RANDOM) or a regular grid
  // (REGULAR, also seeded: ITK jitters each grid point inside its voxel).
  bool randomSampling = true;
  std::uint32_t samplingSeed = 121212;
  // Multi-resolution levels, coarse to fine: shrink factor and Gaussian smoothing sigma (in
  // voxels of the base grid, finestSpacing_mm below) per level. 4,2,1 and 2,1,0: ITK Software Guide
  // 4, section 3.7 (MultiResImageRegistration), also elastix's 3-4 level pyramids.
  std::vector<int> shrinkFactors = {4, 2, 1};
  // The voxel size (mm) shrink factor 1 stands for: the finer of the two series' finest axis
  // spacings, but no finer than this (0: native). Each level's images are block averages to
  // shrink x this size per axis, built once (thick slices are not averaged further). 1 mm: a
  // rigid or affine result within 0.1 mm needs no finer grid (sub-voxel accuracy of MI with
  // trilinear interpolation; measured on the 0.5 mm benchmark CT, docs/benchmarks.md), and
  // plastimatch's finest level in our comparison is 1 x 1 x 0.7 mm too.
  double finestSpacing_mm = 1.0;
  // Fixed voxels the metric samples per level (at most): a fixed count, so that an iteration
  // costs the same on a 512x512x300 CT as on a 128x128x64 MR. 100000: results within 0.15 deg
  // of each other over sampling seeds on the benchmark pair, where 20000 varied by 2 deg.
  int samplesPerLevel = 100000;
  std::vector<double> smoothingSigmas_vox = {2.0, 1.0, 0.0};
  // Most optimiser iterations per level (rigid/affine: conjugate gradients with line search;
  // B-spline: L-BFGS-B). 200: ITK Software Guide ImageRegistration8 (3D rigid) uses 200.
  int iterations = 200;
  // B-spline control point spacing (mm) of the final grid. 20 mm: within the 10-40 mm range of
  // elastix's FinalGridSpacingInPhysicalUnits in its model-zoo CT/MR parameter files; smooth
  // enough for tissue shift, fine enough for organ-scale deformation.
  double bsplineGridSpacing_mm = 20.0;
  // B-spline stage iterations per level (L-BFGS-B, ITK DeformableRegistration examples: 100-200).
  int bsplineIterations = 100;
  Centring centring = Centring::Geometry;
  // A starting transform (fixed -> moving, linear), e.g. from landmarks; replaces centring.
  std::optional<SpatialTransform> initial;
  // Throws Error(InvalidInput) naming the option when a value is out of range.
  void validate() const;
};

struct RegistrationResult {
  Method method = Method::Rigid;
  SpatialTransform transform;  // fixed -> moving
  // Mattes MI at the end of the last stage as ITK reports it (negative: -MI, lower is better).
  double metricValue = 0.0;
  int iterations = 0;  // over all levels and stages
  int levels = 0;
  double time_s = 0.0;
  std::string stopReason;  // the optimiser's own words for the last stage
};

// Registers `moving` onto `fixed` (both 3D greyscale patient volumes; int16, uint16, float ...).
// Throws Error naming the series when they cannot be registered (registrable.h), for bad
// options, or when ITK fails; Cancelled when `progress` asks (checked every optimiser
// iteration). Deterministic for a given thread count (fixed sampling seed). Uses at most
// parallel::maxThreads() threads. Method::Landmark is refused here (landmarks.h).
RegistrationResult registerVolumes(const ImageVolume& fixed, const ImageVolume& moving,
                                   const RegistrationOptions& options,
                                   Progress& progress = noProgress());

}  // namespace twinplan::registration
