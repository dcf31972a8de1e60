#pragma once
// What the ITK registration stages share: images as itk::Image<float, 3> and the optimiser
// observer that reports progress and cancels. Private to the module (ITK types stay out of its
// public headers).
#include <itkCommand.h>
#include <itkImage.h>

#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/spatial_transform.h"
#include "twinplan/registration/register.h"

namespace twinplan::registration::detail {

using FloatImage = itk::Image<float, 3>;

// A float copy of a greyscale volume with its origin, spacing and direction cosines (the
// metric interpolates floats whatever the stored type: int16 HU, uint16 MR ...).
FloatImage::Pointer toFloatImage(const ImageVolume& volume);

// What one optimisation stage (one ITK registration over all levels) ends with.
struct StageOutcome {
  double metricValue = 0.0;
  int iterations = 0;
  std::string stopReason;
};

// Observes an ITK optimiser (IterationEvent) and its registration (MultiResolutionIterationEvent):
// counts iterations, reports progress through the levels, and throws Cancelled out of the
// optimiser's loop when the user cancels (the registration and its output are then dropped).
class StageObserver final : public itk::Command {
 public:
  using Self = StageObserver;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(StageObserver) void setup(Progress* progress, int levels, int iterationsPerLevel,
                                        std::string step);
  int iterations() const { return iterations_; }
  void Execute(itk::Object* caller, const itk::EventObject& event) override;
  void Execute(const itk::Object* caller, const itk::EventObject& event) override;

 private:
  Progress* progress_ = nullptr;
  int levels_ = 1, iterationsPerLevel_ = 1, level_ = -1, levelIterations_ = 0, iterations_ = 0;
  std::string step_;
};

// The multi-resolution schedule and sampling, shared by every stage.
struct PyramidLevel;
struct Schedule {
  int threads = 1;  // parallel::maxThreads()
  const RegistrationOptions* options = nullptr;
  const std::vector<PyramidLevel>* levels = nullptr;  // coarse to fine (pyramid.h)
  ImageGeometry fixedGrid;  // the full-resolution fixed grid (B-spline domain, scale probes)
  const ImageVolume* fixedVolume = nullptr;  // the source series
  const ImageVolume* movingVolume = nullptr;
  // Full-resolution float copies for a stage on ITK's own pyramid (the B-spline); null else.
  FloatImage::Pointer fullFixed, fullMoving;
};

// Stages (register_linear.cpp, register_bspline.cpp). `initial` is fixed -> moving.
SpatialTransform rigidStage(const SpatialTransform& initial, const Schedule& schedule,
                            Progress& progress, StageOutcome& outcome);
SpatialTransform affineStage(const SpatialTransform& initial, const Schedule& schedule,
                             Progress& progress, StageOutcome& outcome);
// The centred starting transform (geometry or moments) when the user gave none.
SpatialTransform centredInitialTransform(FloatImage* fixed, FloatImage* moving, Centring centring);
SpatialTransform bsplineStage(const SpatialTransform& bulk, const Schedule& schedule,
                              Progress& progress, StageOutcome& outcome);

}  // namespace twinplan::registration::detail
