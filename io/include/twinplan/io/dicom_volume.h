#pragma once
// Stacking the slices (or frames) of one DICOM series into an ImageVolume in LPS mm.
#include <filesystem>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan::io {

struct VolumeLoadOptions {
  // Series with non-uniform slice spacing are resampled onto a uniform grid (reported in
  // ImageVolume::assumptions) when true, refused with the reason when false.
  bool allowResampling = true;
};

// Loads the image files of one series (classic single-frame slices or one enhanced
// multi-frame file). Slices are ordered by position along the slice normal. Everything the
// loader had to assume is listed in the result's `assumptions`; what it cannot stack
// safely is refused with an Error that says why. Throws Cancelled on cancel.
ImageVolume loadVolume(const std::vector<std::filesystem::path>& files,
                       const VolumeLoadOptions& options = {},
                       Progress& progress = noProgress());

ImageVolume loadVolume(const DicomSeries& series, const VolumeLoadOptions& options = {},
                       Progress& progress = noProgress());

}  // namespace twinplan::io
