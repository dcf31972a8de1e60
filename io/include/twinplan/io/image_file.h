#pragma once
// NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) and MetaImage (.mha, .mhd) through ITK.
#include <filesystem>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/io/nifti_file.h"

namespace twinplan::io {

// Reads a scalar 3D image; geometry is converted to LPS (NIfTI's RAS is flipped). Of a 4-D
// file the first volume is read (said in the result's `assumptions`).
ImageVolume readImageFile(const std::filesystem::path& path);
// Whether `path` names an image file these functions take, by its extension (any case).
bool isImageFileName(const std::filesystem::path& path);
// Whether it names a gzip-compressed NIfTI file (.nii.gz), the one format with a gzip level.
bool isNiftiGzName(const std::filesystem::path& path);

// Writes by extension; the file is written to a temporary name and renamed into place. NIfTI
// goes through nifti_file.h with `nifti` (gzip level of a .nii.gz). A 2D or colour image is
// refused with the reason (requirePatientVolume).
void writeImageFile(const ImageVolume& volume, const std::filesystem::path& path,
                    const NiftiWriteOptions& nifti = {});
// Writes one layer of a labelmap as a uint16 image.
void writeLabelFile(const LabelMap& labels, int layer, const std::filesystem::path& path);

}  // namespace twinplan::io
