#include "itk_support.h"

#include <itkCommand.h>
#include <itkMultiThreaderBase.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/core/itk_view.h"
#include "twinplan/core/parallel.h"

namespace twinplan::segmentation::detail {
namespace {

template <class Image>
typename Image::Pointer allocate(const ImageGeometry& g) {
  return newItkImage<typename Image::PixelType>(g);
}

template <class T>
void copyBox(const ImageVolume& volume, std::span<const T> voxels, const VoxelBox& box,
             bool paddingAsNaN, float* out, Progress& progress) {
  const auto width = static_cast<std::size_t>(box.extent(0));
  forEachBoxRow(
      volume.geometry(), box, progress, "Reading voxels", [&](std::size_t row, std::size_t first) {
        const T* from = &voxels[first];
        float* to = out + row * width;
        for (std::size_t i = 0; i < width; ++i) {
          const auto value = static_cast<double>(from[i]);
          to[i] = paddingAsNaN && volume.isPadding(value) ? std::numeric_limits<float>::quiet_NaN()
                                                          : static_cast<float>(value);
        }
      });
}

// Forwards a filter's progress; asks it to abort when the user cancels. Filters may report from
// worker threads, so reports are serialised.
class ProgressBridge final : public itk::Command {
 public:
  using Self = ProgressBridge;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self) void setSink(Progress* sink, std::string step) {
    sink_ = sink;
    step_ = std::move(step);
  }
  void Execute(itk::Object* caller, const itk::EventObject& event) override {
    Execute(static_cast<const itk::Object*>(caller), event);
    if (sink_->cancelRequested()) {
      auto* filter = dynamic_cast<itk::ProcessObject*>(caller);
      if (filter) filter->AbortGenerateDataOn();
    }
  }
  void Execute(const itk::Object* caller, const itk::EventObject& event) override {
    const auto* filter = dynamic_cast<const itk::ProcessObject*>(caller);
    if (!filter || !itk::ProgressEvent().CheckEvent(&event)) return;
    const std::lock_guard lock(mutex_);
    const double fraction = std::clamp(static_cast<double>(filter->GetProgress()), 0.0, 1.0);
    if (fraction >= last_) {
      last_ = fraction;
      sink_->report(fraction, step_);
    }
  }

 private:
  Progress* sink_ = nullptr;
  std::string step_;
  std::mutex mutex_;
  double last_ = 0.0;
};

}  // namespace

FloatImage::Pointer floatImage(const ImageVolume& volume, const VoxelBox& box, bool paddingAsNaN,
                               Progress& progress) {
  requireGreyscale(volume, "Segmentation");
  auto image = allocate<FloatImage>(boxGeometry(volume.geometry(), box));
  float* out = image->GetBufferPointer();
  visitGreyVoxels(volume,
                  [&](auto voxels) { copyBox(volume, voxels, box, paddingAsNaN, out, progress); });
  return image;
}

MaskImage::Pointer newMaskImage(const ImageGeometry& grid) { return allocate<MaskImage>(grid); }
LabelImage::Pointer newLabelImage(const ImageGeometry& grid) { return allocate<LabelImage>(grid); }
FloatImage::Pointer newFloatImage(const ImageGeometry& grid) { return allocate<FloatImage>(grid); }

MaskImage::Pointer maskImage(const RegionMask& mask) {
  auto image = allocate<MaskImage>(mask.geometry);
  std::copy(mask.inside.begin(), mask.inside.end(), image->GetBufferPointer());
  return image;
}

RegionMask regionMask(const MaskImage& image, const ImageGeometry& grid) {
  RegionMask mask{grid, std::vector<std::uint8_t>(grid.voxelCount())};
  const std::uint8_t* from = image.GetBufferPointer();
  for (std::size_t v = 0; v < mask.inside.size(); ++v) mask.inside[v] = from[v] != 0 ? 1 : 0;
  return mask;
}

std::vector<itk::Index<3>> seedIndices(const ImageGeometry& volumeGrid, const VoxelBox& box,
                                       std::span<const Vec3> seeds_lps) {
  std::vector<itk::Index<3>> indices;
  for (const Vec3& seed : seeds_lps) {
    const Vec3 ijk = volumeGrid.lpsToIndex(seed);
    std::ostringstream where;
    where.precision(6);
    where << "(" << seed[0] << ", " << seed[1] << ", " << seed[2] << ") mm LPS";
    if (!volumeGrid.contains(ijk))
      throw Error(
          ErrorKind::InvalidInput,
          "The seed " + where.str() + " lies outside the image (" +
              std::to_string(volumeGrid.size[0]) + "x" + std::to_string(volumeGrid.size[1]) + "x" +
              std::to_string(volumeGrid.size[2]) + " voxels); place the seed inside the volume.",
          "seed");
    itk::Index<3> index;
    for (int a = 0; a < 3; ++a) {
      const std::int64_t voxel =
          std::clamp<std::int64_t>(std::llround(ijk[a]), 0, volumeGrid.size[a] - 1);
      if (voxel < box.begin[a] || voxel >= box.end[a])
        throw Error(ErrorKind::InvalidInput,
                    "The seed " + where.str() +
                        " lies outside the preview region; move the region over the seed.",
                    "seed");
      index[static_cast<unsigned>(a)] = voxel - box.begin[a];
    }
    indices.push_back(index);
  }
  return indices;
}

void requireSeeds(std::span<const Vec3> seeds_lps, std::string_view tool) {
  if (seeds_lps.empty())
    throw Error(ErrorKind::InvalidInput,
                std::string(tool) + " needs at least one seed point; place one on the structure.",
                "seed");
}

void requireGreyscale(const ImageVolume& volume, std::string_view tool) {
  requirePatientVolume(volume, tool);
  if (volume.empty())
    throw Error(ErrorKind::InvalidInput, std::string(tool) + " needs an image; this one is empty.",
                volume.name);
}

void runFilter(itk::ProcessObject* filter, Progress& progress, std::string_view step) {
  progress.check();
  const auto threads =
      static_cast<itk::ThreadIdType>(std::max<std::size_t>(1, parallel::maxThreads()));
  filter->SetNumberOfWorkUnits(threads);
  filter->GetMultiThreader()->SetMaximumNumberOfThreads(threads);
  auto bridge = ProgressBridge::New();
  bridge->setSink(&progress, std::string(step));
  const unsigned long tag = filter->AddObserver(itk::ProgressEvent(), bridge);
  try {
    filter->Update();
  } catch (const itk::ProcessAborted&) {
    filter->RemoveObserver(tag);
    throw Cancelled{};
  } catch (const itk::ExceptionObject& e) {
    filter->RemoveObserver(tag);
    throw Error(ErrorKind::Internal,
                std::string(step) + " failed inside ITK: " + e.GetDescription(), std::string(step));
  }
  filter->RemoveObserver(tag);
  progress.check();
}

}  // namespace twinplan::segmentation::detail
