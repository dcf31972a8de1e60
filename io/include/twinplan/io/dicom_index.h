#pragma once
// The patient / study / series tree of a folder of DICOM files, built from headers only
// (no pixel data is read), with the reason each file that could not be used was skipped.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "twinplan/core/geometry.h"
#include "twinplan/core/progress.h"

namespace twinplan::io {

// What a series is for a planner; only Volume series are stacked into image volumes.
enum class SeriesKind {
  Volume,            // CT/MR/PET/... slices or an enhanced multi-frame image
  Localizer,         // scout / localizer / topogram: listed, never stacked
  SecondaryCapture,  // screenshots, reports as images: listed, never stacked
  RtStruct,
  RtPlan,            // RT Plan and RT Ion Plan
  RtDose,
  Segmentation,      // DICOM SEG
  Other              // presentation states, SR, raw data ...
};
const char* toString(SeriesKind kind);

struct DicomInstance {
  std::filesystem::path file;
  std::string sopClassUid, sopInstanceUid, transferSyntaxUid;
  int instanceNumber = 0;
  int rows = 0, columns = 0, frames = 1;
  std::optional<Vec3> imagePosition_lps;                  // (0020,0032), first frame
  std::optional<std::array<double, 6>> imageOrientation;  // (0020,0037) row then column cosines
  std::string imageType;                                  // (0008,0008), values joined by '\'
};

struct DicomSeries {
  std::string seriesInstanceUid;
  int seriesNumber = 0;
  std::string modality, description, date, time, frameOfReferenceUid, sopClassUid;
  SeriesKind kind = SeriesKind::Other;
  std::string kindReason;  // why it is not a Volume, in words (empty for volumes)
  std::vector<DicomInstance> instances;
  std::size_t frameCount() const;
};

struct DicomStudy {
  std::string studyInstanceUid, date, time, description, accessionNumber;
  std::vector<DicomSeries> series;
};

struct DicomPatient {
  std::string name, id, birthDate, sex;  // name in UTF-8, DICOM '^' separators kept
  std::vector<DicomStudy> studies;
};

struct SkippedFile {
  std::filesystem::path file;
  std::string reason;  // a sentence: what is wrong with the file
};

struct DicomIndex {
  std::vector<DicomPatient> patients;
  std::vector<SkippedFile> skipped;
  std::size_t filesScanned = 0;

  std::vector<const DicomSeries*> allSeries() const;
  const DicomSeries* findSeries(const std::string& seriesInstanceUid) const;
};

// Scans a folder (recursively), a single file, or a DICOMDIR (then only the files it
// references). Reads headers only. Never throws for a bad file: it lands in `skipped`.
// Throws Error(NotFound) when `path` does not exist, Cancelled on cancel.
DicomIndex scanDicom(const std::filesystem::path& path, Progress& progress = noProgress());

nlohmann::json toJson(const DicomIndex& index);

}  // namespace twinplan::io
