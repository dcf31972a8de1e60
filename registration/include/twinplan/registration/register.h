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
// displacement on top of it; landmark: paired points only (landmarks.h), no image metric.
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
  // Fraction of fixed voxels the metric samples at each level (>0..1). 0.1: 10 % is ample for
  // rigid MI on 3D volumes (ITK Software Guide 4, section 3.5.1 / ImageRegistration examples
  // use 1-20 %); 1.0 uses every voxel.
  double samplingFraction = 0.10;
  // Random sampling (fixed seed below, ITK's MetricSamplingStrategy RANDOM) or a regular grid
  // (REGULAR, also seeded: ITK jitters each grid point inside its voxel).
  bool randomSampling = true;
  std::uint32_t samplingSeed = 121212;
  // Multi-resolution levels, coarse to fine: shrink factor and Gaussian smoothing sigma (in
  // voxels of the full-resolution grid) per level. 4,2,1 and 2,1,0: ITK Software Guide 4,
  // section 3.7 (MultiResImageRegistration), also elastix's 3-4 level pyramids.
  std::vector<int> shrinkFactors = {4, 2, 1};
  std::vector<double> smoothingSigmas_vox = {2.0, 1.0, 0.0};
  // Most optimiser iterations per level (rigid/affine: regular-step gradient descent;
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
