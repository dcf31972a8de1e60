#pragma once
// Importing a DICOM series as a new case: the one implementation the GUI, the CLI and jobs use.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// ---- a series added to an open case (issue #15 item 1) --------------------------------------

// Why a series of patient (`patientId`, `patientName`) does not belong in `twin`, in a sentence,
// or nullopt when it does. Patient ID (0010,0020) is the patient's primary identifier (PS3.3
// C.7.1.1); when the case or the series has none (anonymised data), Patient's Name (0010,0010)
// decides; when neither can be compared (a case not made from DICOM, or an empty case), the
// series belongs. Different studies of one patient belong (follow-up scans).
std::optional<std::string> otherPatientReason(const Case& twin, const std::string& patientId,
                                              const std::string& patientName);

struct SeriesImportOptions {
  // Add a series of another patient anyway (the user said so after reading the reason).
  bool allowOtherPatient = false;
};

// A series loaded to join an open case (for edits::addSeries).
struct ImportedSeries {
  ImageVolume volume;         // named by modality ("MR"), a follow-up by modality and study date
  SeriesReference reference;  // its files by their real paths
  bool followUp = false;      // from another study than the case's first series
  // Set when allowOtherPatient let a series of another patient in: the reason it was allowed
  // over. Empty otherwise.
  std::string otherPatient;
};

// Loads `series` (io::loadForViewing) for adding to `twin`. Throws Error(InvalidInput) when
// the case already holds that series, or when it is of another patient (otherPatientReason)
// and options.allowOtherPatient is false (a front end that knows the patient from the DICOM
// index asks otherPatientReason first, before any voxel is read); Error(Unsupported) for a series
// without images; Cancelled on cancel. `twin` is only read: the caller applies
// edits::addSeries(twin, volume, reference).
ImportedSeries importSeriesInto(const Case& twin, const io::DicomSeries& series,
                                Progress& progress = noProgress(),
                                const SeriesImportOptions& options = {});

// The name of a series' volume in a case: its modality ("CT", "MR", "PT"; "Image" without one)
// and, for a series of another study than the case's first volume (a follow-up), that study's
// date as YYYY-MM-DD ("CT 2019-03-14"; "CT follow-up" when the study has no date).
std::string seriesVolumeName(const Case& twin, const DicomInfo& dicom);

}  // namespace twinplan::engine
