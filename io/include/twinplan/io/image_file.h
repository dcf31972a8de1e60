#pragma once
// NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) and MetaImage (.mha, .mhd) through ITK.
#include <filesystem>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"

namespace twinplan::io {

// Reads a scalar 3D image; geometry is converted to LPS (NIfTI's RAS is flipped). Of a 4-D
// file the first volume is read (said in the result's `assumptions`).
ImageVolume readImageFile(const std::filesystem::path& path);
// Writes by extension; the file is written to a temporary name and renamed into place.
void writeImageFile(const ImageVolume& volume, const std::filesystem::path& path);
// Writes one layer of a labelmap as a uint16 image.
void writeLabelFile(const LabelMap& labels, int layer, const std::filesystem::path& path);

}  // namespace twinplan::io
