#pragma once
// Gzip-encoded NRRD (http://teem.sourceforge.net/nrrd/format.html) for case-file volumes,
// label layers and scalar fields: a short text header, a blank line, then the voxels as one
// gzip stream. Users can unzip a case and open these files in 3D Slicer. The reader accepts
// only what the writer produces and checks every header field against the manifest.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "twinplan/core/geometry.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"

namespace twinplan::casefile {

// What a payload must be: voxel type and grid (from the manifest).
struct NrrdGrid {
  PixelType type = PixelType::Int16;
  ImageGeometry geometry;
};

// The header text (ends with the blank line), using '.' decimals whatever the locale.
std::string nrrdHeader(const NrrdGrid& grid);

// The whole NRRD file: header + gzip(voxels). voxels.size() must equal
// voxelCount * bytesPerVoxel (little-endian, i fastest).
std::string encodeNrrd(const NrrdGrid& grid, std::span<const std::byte> voxels, Progress& progress);

// Parses the header, checks it describes `expected` (type, sizes, space, directions and
// origin within 1e-9 relative), and inflates the voxels into `voxels`, whose size must be
// voxelCount * bytesPerVoxel. Throws Error(Corrupt) with a phrase that continues
// "entry 'x.nrrd' ...".
void decodeNrrd(std::string_view file, const NrrdGrid& expected, std::span<std::byte> voxels,
                Progress& progress);

}  // namespace twinplan::casefile
