#pragma once
// Reading one file's DICOM header for the scanner (dicom_scan.cpp): everything up to, never
// including, the pixel data.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dicom_scan_text.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan::io::detail {

// What one file's header says about the file and about its patient, study and series. Text is
// UTF-8; dates (DA) and times (TM) are kept as DICOM writes them (YYYYMMDD, HHMMSS.FFFFFF).
struct ScannedHeader {
  DicomInstance instance;
  std::string patientName, patientId, patientBirthDate, patientSex;
  std::string studyInstanceUid, studyDate, studyTime, studyDescription, accessionNumber;
  std::string seriesInstanceUid, modality, seriesDescription, seriesDate, seriesTime;
  std::string frameOfReferenceUid, protocolName;
  int seriesNumber = 0;
};

struct HeaderReadResult {
  enum class Outcome {
    Indexed,   // `header` is filled
    DicomDir,  // a DICOMDIR (media directory): no image of its own
    Skipped    // `skipReason` says why
  };
  Outcome outcome = Outcome::Skipped;
  ScannedHeader header;
  std::string skipReason;
};

// Reads headers one file after another. Never throws for a bad file (that is a Skipped
// outcome); throws Error(Internal) when DCMTK is unusable (no data dictionary).
class HeaderReader {
 public:
  HeaderReader();
  HeaderReadResult read(const std::filesystem::path& file);

 private:
  TextDecoder text_;
};

// The files a DICOMDIR references through the ReferencedFileID (0004,1500) of its directory
// records. Records are read as a flat list, not through the record offsets, so that DICOMDIRs
// with missing or reordered offsets or with unknown record types still list every file.
struct DicomDirContents {
  std::vector<std::filesystem::path> files;  // existing files, in record order, no duplicates
  std::vector<SkippedFile> problems;         // references to absent or unsafe paths
};

// Throws Error(Corrupt) when the DICOMDIR itself cannot be read.
DicomDirContents readDicomDir(const std::filesystem::path& dicomDir);

// How a file starts, decided from its first 132 bytes before DCMTK is asked to parse it, so
// that non-DICOM files are refused quickly and preamble-less data sets get the right transfer
// syntax (DCMTK's own guess fails on some, e.g. malformed/no_meta.dcm, which it misreads from
// one byte off and then resynchronises on, keeping garbled values).
struct FileStart {
  enum class Kind { Part10, MetaWithoutPreamble, BareDataSet, NotDicom, Unreadable };
  Kind kind = Kind::NotDicom;
  E_TransferSyntax bareDataSetSyntax = EXS_Unknown;
  std::uintmax_t size = 0;
  std::string whyNot;  // for NotDicom and Unreadable: a sentence for the user
};
FileStart inspectFileStart(const std::filesystem::path& file);

// Once per process: turns DCMTK's console logging (oflog) off, so that reading malformed
// files leaves the CLI's output clean (each problem is reported as a skip reason instead),
// and makes DCMTK re-read explicit-VR "UN" elements with their dictionary VR (some exporters,
// e.g. gdcmconv on a VR-less source, write nearly every element as UN).
void configureDcmtkForReading();

}  // namespace twinplan::io::detail
