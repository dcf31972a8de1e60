#pragma once
// A DICOM series placed elsewhere in patient space with its voxels untouched: the fixture for
// registration validation ("a series moved by a known rigid transform", issue #15 item 7) and a
// way to hand a peer tool a series whose true registration is known exactly.
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/spatial_transform.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan::io {

struct RepositionedSeries {
  std::vector<std::filesystem::path> files;
  std::string seriesInstanceUid, frameOfReferenceUid;
};

// Writes every file of `series` into `folder` with Image Position (Patient) (0020,0032) mapped
// by `rigid` and Image Orientation (Patient) (0020,0037) rotated by its matrix (PS3.3
// C.7.6.2.1.1), so that the voxel that was at p now lies at rigid(p): the anatomy moves by
// `rigid`. Registering the original (fixed) to the result (moving) must then find exactly
// `rigid` as the fixed -> moving transform. New Series, SOP Instance and Frame of Reference UIDs
// (the moved series no longer shares the original's patient space); Slice Location (0020,1041),
// which would be stale, is removed; pixel data and everything else are copied unchanged.
// Throws Error(InvalidInput) for a transform that is not rigid (a rotation and a translation),
// Error(Unsupported) for multi-frame images (per-frame positions are not rewritten) or files
// without a position, Error(Io) when a file cannot be read or written.
RepositionedSeries writeRepositionedSeries(const DicomSeries& series, const SpatialTransform& rigid,
                                           const std::filesystem::path& folder);

}  // namespace twinplan::io
