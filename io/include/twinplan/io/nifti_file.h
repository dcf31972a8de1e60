#pragma once
// NIfTI-1 single-file export (.nii, .nii.gz) without ITK: one 352-byte header and the voxel
// buffer as it is, uncompressed in one write or gzip-compressed in parallel.
// writeImageFile (image_file.h) uses this for every NIfTI name; reading stays with ITK.
#include <array>
#include <cstddef>
#include <filesystem>
#include <span>

#include "twinplan/core/image_volume.h"

namespace twinplan::io {

// sizeof_hdr (348) plus the 4-byte extension flag (all zero: no extensions), so the voxels
// start at vox_offset 352 (NIfTI-1, nifti1.h "vox_offset").
constexpr std::size_t kNiftiHeaderBytes = 352;

struct NiftiWriteOptions {
  // zlib level for .nii.gz; 6 is gzip's and dcm2niix's default.
  int gzipLevel = 6;
  // The voxels are deflated in independent pieces of this size, in parallel, and joined
  // into one gzip member (as pigz does); the output does not depend on the thread count.
  std::size_t gzipPieceBytes = std::size_t{1} << 20;
};

// The NIfTI-1 header of a volume: datatype and bitpix of `type`, dim = size, pixdim =
// spacing, scl_slope 1 / scl_inter 0 (voxels are stored as final values), qform and sform
// (code 1, scanner anatomical) both holding the grid in NIfTI's RAS, units mm and s.
// Throws Error(Unsupported) when an axis has more than 32767 voxels (NIfTI-1's int16 dim).
std::array<std::byte, kNiftiHeaderBytes> niftiHeader(const ImageGeometry& geometry, PixelType type);

// Writes `voxels` (i fastest, geometry.voxelCount() values of `type`) to `path` (.nii or
// .nii.gz by its name). The file is written under a temporary name in the same folder and
// renamed into place, so no half-written file ever carries the name. It is not fsynced: this
// is an export, like dcm2niix's or ITK's (case files keep their fsync, case_file.h).
// Throws Error(Io / NotFound / Unsupported / InvalidInput) naming the file.
void writeNiftiFile(std::span<const std::byte> voxels, PixelType type,
                    const ImageGeometry& geometry, const std::filesystem::path& path,
                    const NiftiWriteOptions& options = {});

}  // namespace twinplan::io
