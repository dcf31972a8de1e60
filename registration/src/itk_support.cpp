#include "itk_support.h"

#include <algorithm>
#include <cstdint>

#include "twinplan/core/itk_view.h"
#include "twinplan/core/parallel.h"

namespace twinplan::registration::detail {

namespace {

template <class T>
void copyAsFloat(std::span<const T> voxels, float* out) {
  parallel::parallelFor({0, voxels.size()}, 1 << 16, [&](parallel::IndexRange chunk) {
    for (std::size_t n = chunk.begin; n < chunk.end; ++n) out[n] = static_cast<float>(voxels[n]);
  });
}

}  // namespace

FloatImage::Pointer toFloatImage(const ImageVolume& volume) {
  requirePatientVolume(volume, "image registration");  // colour is refused with the reason
  // Oblique grids keep their cosines: the metric works in LPS.
  auto image = newItkImage<float>(volume.geometry());
  float* out = image->GetBufferPointer();
  visitGreyVoxels(volume, [&](auto voxels) { copyAsFloat(voxels, out); });
  return image;
}

void StageObserver::setup(Progress* progress, int levels, int iterationsPerLevel,
                          std::string step) {
  progress_ = progress;
  levels_ = std::max(1, levels);
  iterationsPerLevel_ = std::max(1, iterationsPerLevel);
  step_ = std::move(step);
}

void StageObserver::Execute(itk::Object* /*caller*/, const itk::EventObject& event) {
  if (itk::MultiResolutionIterationEvent().CheckEvent(&event)) {
    ++level_;
    levelIterations_ = 0;
    if (progress_) progress_->check();
    return;
  }
  if (!itk::IterationEvent().CheckEvent(&event)) return;
  ++iterations_;
  ++levelIterations_;
  if (!progress_) return;
  // Cancel from inside the optimiser's loop: the exception unwinds through ITK's Update()
  // (ProcessObject rethrows what it does not know), and nothing of the stage is kept.
  progress_->check();
  const double withinLevel = std::min(1.0, double(levelIterations_) / double(iterationsPerLevel_));
  progress_->report((std::max(0, level_) + withinLevel) / levels_, step_);
}

void StageObserver::Execute(const itk::Object* caller, const itk::EventObject& event) {
  Execute(const_cast<itk::Object*>(caller), event);
}

}  // namespace twinplan::registration::detail
