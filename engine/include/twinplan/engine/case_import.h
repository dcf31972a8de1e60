#pragma once
// Importing a DICOM series as a new case: the one implementation the GUI, the CLI and jobs use.
#include <filesystem>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/core/progress.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan::engine {

// The series to import from a scan of `scanned`: the one with `seriesUid` when it is given,
// else the only image volume series. Throws Error(NotFound) naming what was found instead (and
// why files were skipped), or Error(InvalidInput) listing the candidates when there are several.
const io::DicomSeries& chooseVolumeSeries(const io::DicomIndex& index, const std::string& seriesUid,
                                          const std::filesystem::path& scanned);

// A new case holding `series` loaded for viewing (io::loadForViewing: a patient-space volume, or
// a 2D/colour image): named after the patient (or `caseName`), with
// a reference to the series' files by their real paths (links resolved, so a case made from
// dropped files stays valid) and a provenance record of the import. Throws Error(Unsupported)
// for a series without images.
Case importSeriesAsCase(const io::DicomSeries& series, Progress& progress = noProgress(),
                        const std::string& caseName = {});

// Scans `dicom` (folder, file or DICOMDIR), chooses the series as above and imports it.
Case importCase(const std::filesystem::path& dicom, const std::string& seriesUid,
                Progress& progress = noProgress(), const std::string& caseName = {});

}  // namespace twinplan::engine
