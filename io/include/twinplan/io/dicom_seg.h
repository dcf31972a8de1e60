#pragma once
// DICOM Segmentation (SEG, PS3.3 A.51 and C.8.20) <-> labelmap segments, with DCMTK (dcmdata;
// colours through dcmiod's IODCIELabUtil).
//
// Import: BINARY (and FRACTIONAL, inside where the value is >= half of Maximum Fractional
// Value) frames are placed on the reference grid by their Plane Position/Orientation and Pixel
// Measures; a frame must lie on the grid (same in-plane axes and spacing, whole-voxel offset),
// else Error(Unsupported). Each segment of the Segment Sequence becomes one segment: name =
// Segment Label, terminology = Segmented Property Category / Type / Anatomic Region, colour =
// Recommended Display CIELab Value converted to sRGB. Overlapping segments are packed into
// layers (first layer where they overlap nothing).
//
// Export: BINARY, one frame per reference slice that holds voxels of a segment (empty frames
// are left out, as dcmqi and highdicom do), bit-packed (PS3.5 8.1.1), with Derivation Image /
// Source Image (each frame's reference slice), Referenced Series, the Frame of Reference and the
// study of the reference, new Series and SOP Instance UIDs, the segment's terminology (a
// segment without one is written as category SCT 91723000 "Anatomical Structure", type SCT
// 85756007 "Tissue") and its colour as CIELab.
#include <filesystem>
#include <string>

#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/io/dicom_reference.h"

namespace twinplan::io {

// Error(Corrupt) naming the attribute for a damaged object, Error(InvalidInput) when it is not
// a SEG or its frame of reference is not the reference's, Error(Unsupported) for frames off the
// reference grid or compressed pixel data DCMTK cannot decode.
ImportedSegments readSegmentation(const std::filesystem::path& file,
                                  const ReferenceSeries& reference,
                                  Progress& progress = noProgress());

struct SegmentationWriteOptions {
  std::string seriesDescription = "TwinPlan segmentation";
  std::string contentLabel = "SEGMENTATION";  // (0070,0080), CS: upper case, no spaces
};

// Error(InvalidInput) for a reference not from DICOM, labels on another grid or no segment
// voxels at all; a DCMTK failure names the attribute and its reason; Error(Io) for the file.
void writeSegmentation(const LabelMap& labels, const ReferenceSeries& reference,
                       const std::filesystem::path& file,
                       const SegmentationWriteOptions& options = {},
                       Progress& progress = noProgress());

}  // namespace twinplan::io
