#pragma once
// DICOM RT Structure Set (RTSTRUCT, PS3.3 A.19) <-> labelmap segments, with DCMTK (dcmdata).
//
// Import: each ROI with CLOSED_PLANAR contours becomes one segment (name = ROI Name, colour =
// ROI Display Color, terminology type (and category) = the RT ROI Identification Code Sequence
// of its RT ROI Observations item when present, PS3.3 C.8.8.8; tissue type empty). Contours are
// rasterised on the reference grid by the rule in io/src/contour_raster.h (nearest contour plane
// within half a slice, even-odd for holes and keyhole contours per PS3.3 C.8.8.6, voxel centres,
// clipped to the grid, no extrapolation past the last contour). ROIs overlap freely, so segments
// are packed into layers greedily: a segment goes into the first layer where it overlaps nothing.
//
// Export: each segment becomes one ROI (its terminology type, with the category inside, as the
// RT ROI Identification Code Sequence); each slice k of the segment gives closed polygons by
// marching squares (iso 0.5, vertices half-way between voxel centres) on the plane of slice k,
// so importing the export gives back the same voxels. The object references the source series
// (Referenced Frame of Reference, RT Referenced Study/Series, Contour Image Sequence with the
// SOP Instance UID of each contour's slice); a reference that is not from DICOM is refused.
#include <filesystem>
#include <string>

#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/io/contour_raster.h"
#include "twinplan/io/dicom_reference.h"

namespace twinplan::io {

// Throws Error(Corrupt) naming the attribute and ROI for a damaged structure set (unreadable
// or truncated file, no ROI Contour Sequence, a closed contour of fewer than 3 points, Contour
// Data that disagrees with Number of Contour Points), Error(InvalidInput) when it is not an
// RTSTRUCT or its frame of reference is not the reference's, Error(Unsupported) for contours
// not parallel to the reference slices. Cancelled on cancel.
ImportedSegments readRtStruct(const std::filesystem::path& file, const ReferenceSeries& reference,
                              Progress& progress = noProgress());

// The ROIs of a structure set as drawn: closed planar contours in LPS mm, not rasterised
// (for sub-voxel work on another grid, such as a DVH on the dose grid). POINT and open contours
// are counted, not kept (they have no inside).
struct RtStructRoiContours {
  int number = 0;
  std::string name;
  std::string frameOfReferenceUid;  // Referenced Frame of Reference UID (3006,0024)
  Rgb colour{255, 0, 0};
  std::vector<LpsContour> contours;  // CLOSED_PLANAR only
  int pointContours = 0, openContours = 0;
};
struct RtStructContours {
  std::string structureSetLabel;
  std::string sopInstanceUid;
  std::string frameOfReferenceUid;        // of the first ROI that names one
  std::vector<RtStructRoiContours> rois;  // in ROI number order
  std::vector<std::string> notes;
};

// Reads the structure set's contours with the same checks as readRtStruct (Error(Corrupt) for
// a damaged file or contour, Error(InvalidInput) when it is not an RTSTRUCT).
RtStructContours readRtStructContours(const std::filesystem::path& file);

struct RtStructWriteOptions {
  std::string structureSetLabel = "TwinPlan";  // (3006,0002), type 1
  std::string seriesDescription = "TwinPlan structures";
};

// Writes every non-empty segment of `labels` (which must lie on reference.geometry) as one ROI
// and returns the structure set's new SOP Instance UID. Written to a temporary name and renamed.
// Error(InvalidInput) for a reference not from DICOM or labels on another grid; Error(Io) naming
// the file and DCMTK's reason.
std::string writeRtStruct(const LabelMap& labels, const ReferenceSeries& reference,
                          const std::filesystem::path& file,
                          const RtStructWriteOptions& options = {},
                          Progress& progress = noProgress());

}  // namespace twinplan::io
