#pragma once
// The image series that a DICOM structure set (RTSTRUCT) or segmentation (SEG) is drawn on,
// and what importing one gives back.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/label_map.h"
#include "twinplan/core/progress.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan::io {

struct ReferenceSeries {
  ImageGeometry geometry;  // the loaded volume's grid (LPS mm)
  DicomInfo dicom;         // patient, study, series and frame-of-reference UIDs
  std::string sopClassUid;
  // SOP Instance UID of the file holding slice k (empty for a slice made by resampling);
  // empty when the volume did not come from classic single-frame DICOM slices.
  std::vector<std::string> sliceSopInstanceUids;
};

// Loads `series` (loadVolume) and maps each slice k to its file's SOP Instance UID by
// position along the slice normal (within a tenth of a slice).
ReferenceSeries referenceFromSeries(const DicomSeries& series, Progress& progress = noProgress());
// A reference made from a volume alone (e.g. read from NIfTI): import works on its grid;
// export refuses it (requireDicomSlices), because the object could not reference any image.
ReferenceSeries referenceFromVolume(const ImageVolume& volume);

// Throws Error(InvalidInput) saying why when `reference` cannot be referenced by an exported
// object: no Study/Series/Frame of Reference UID, or slices without SOP Instance UIDs.
// `purpose` completes "... cannot be written", e.g. "The RTSTRUCT".
void requireDicomSlices(const ReferenceSeries& reference, std::string_view purpose);
// requireDicomSlices, and Error(InvalidInput) when `labels` is not on the reference's grid
// (within 1e-3 mm): an exported object's frames and contours refer to the reference's slices.
void requireExportableOnto(const LabelMap& labels, const ReferenceSeries& reference,
                           std::string_view purpose);

// The result of importing structures or segments onto a reference grid.
struct ImportedSegments {
  LabelMap labels;  // on the reference grid; overlapping segments in separate layers
  // What the importer skipped or assumed, in words (POINT markers, contours off the grid ...).
  std::vector<std::string> notes;
};

}  // namespace twinplan::io
