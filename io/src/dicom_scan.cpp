// scanDicom: the patient / study / series tree of a folder, a file or a DICOMDIR, from headers
// only. Reading one header is in dicom_scan_header.cpp, naming a series' kind in
// dicom_scan_classify.cpp.
#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <exception>
#include <map>
#include <string>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "dicom_scan_classify.h"
#include "dicom_scan_header.h"
#include "parallel_blocks.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_index.h"

namespace fs = std::filesystem;

namespace twinplan::io {
namespace {

using detail::HeaderReadResult;
using detail::ScannedHeader;

// Files handed to the worker threads at a time; cancel is checked between blocks.
constexpr std::size_t kFilesPerBlock = 64;

// Regular files under `folder`, sorted so that the index does not depend on directory order,
// plus entries that are not files worth opening.
struct FolderListing {
  std::vector<fs::path> files;
  std::vector<SkippedFile> skipped;
};

FolderListing listFolder(const fs::path& folder, Progress& progress) {
  FolderListing listing;
  std::error_code error;
  // Directory symlinks are not followed: a link back up the tree would never end.
  fs::recursive_directory_iterator entry(folder, fs::directory_options::skip_permission_denied,
                                         error);
  if (error) {
    throw Error(ErrorKind::Io,
                "The folder cannot be listed (" + error.message() + "); check its permissions.",
                folder.string());
  }
  std::size_t seen = 0;
  for (const fs::recursive_directory_iterator end; entry != end; entry.increment(error)) {
    if (error) break;
    if (++seen % 256 == 0) progress.check();
    std::error_code statusError;
    if (entry->is_directory(statusError)) continue;
    if (entry->is_regular_file(statusError)) {
      listing.files.push_back(entry->path());
    } else if (entry->is_symlink(statusError)) {
      listing.skipped.push_back({entry->path(), "A symbolic link whose target is missing."});
    } else {
      // Opening a FIFO would block the scan forever.
      listing.skipped.push_back(
          {entry->path(), "Not a regular file (a device, pipe or socket); it was not opened."});
    }
  }
  if (error) {
    listing.skipped.push_back({folder, "The folder could not be listed completely (" +
                                           error.message() +
                                           "); files after the failure were not scanned."});
  }
  std::sort(listing.files.begin(), listing.files.end());
  return listing;
}

// Groups headers into patients (keyed by PatientID + name), studies (StudyInstanceUID) and
// series (SeriesInstanceUID), then sorts and classifies.
class IndexBuilder {
 public:
  void add(ScannedHeader header) {
    DicomInstance& instance = header.instance;
    const auto [firstCopy, isNew] =
        fileOfSopInstance_.try_emplace(instance.sopInstanceUid, instance.file);
    if (!isNew) {
      // A second copy would put two identical slices into one volume.
      skip(instance.file, "Same SOPInstanceUID (" + instance.sopInstanceUid + ") as " +
                              firstCopy->second.string() +
                              ": a second copy of that object; only the first copy is indexed.");
      return;
    }
    PatientDraft& patient = patientFor(header);
    StudyDraft& study = studyFor(patient, header);
    SeriesDraft& series = seriesFor(study, header);
    series.series.instances.push_back(std::move(instance));
  }

  void skip(fs::path file, std::string reason) {
    skipped_.push_back({std::move(file), std::move(reason)});
  }

  DicomIndex finish(std::size_t filesScanned) {
    DicomIndex index;
    index.filesScanned = filesScanned;
    for (PatientDraft& patientDraft : patients_) {
      DicomPatient& patient = patientDraft.patient;
      for (StudyDraft& studyDraft : patientDraft.studies) {
        DicomStudy& study = studyDraft.study;
        for (SeriesDraft& seriesDraft : studyDraft.series) {
          DicomSeries& series = seriesDraft.series;
          std::sort(series.instances.begin(), series.instances.end(),
                    [](const DicomInstance& a, const DicomInstance& b) {
                      return std::tie(a.instanceNumber, a.file) <
                             std::tie(b.instanceNumber, b.file);
                    });
          detail::classifySeries(series, seriesDraft.protocolName);
          study.series.push_back(std::move(series));
        }
        std::sort(study.series.begin(), study.series.end(),
                  [](const DicomSeries& a, const DicomSeries& b) {
                    return std::tie(a.seriesNumber, a.seriesInstanceUid) <
                           std::tie(b.seriesNumber, b.seriesInstanceUid);
                  });
        patient.studies.push_back(std::move(study));
      }
      std::sort(patient.studies.begin(), patient.studies.end(),
                [](const DicomStudy& a, const DicomStudy& b) {
                  return std::tie(a.date, a.time, a.studyInstanceUid) <
                         std::tie(b.date, b.time, b.studyInstanceUid);
                });
      index.patients.push_back(std::move(patient));
    }
    std::sort(index.patients.begin(), index.patients.end(),
              [](const DicomPatient& a, const DicomPatient& b) {
                return std::tie(a.name, a.id) < std::tie(b.name, b.id);
              });
    std::stable_sort(skipped_.begin(), skipped_.end(),
                     [](const SkippedFile& a, const SkippedFile& b) { return a.file < b.file; });
    index.skipped = std::move(skipped_);
    return index;
  }

 private:
  struct SeriesDraft {
    DicomSeries series;
    std::string protocolName;
  };
  struct StudyDraft {
    DicomStudy study;
    std::vector<SeriesDraft> series;
    std::map<std::string, std::size_t> seriesByUid;
  };
  struct PatientDraft {
    DicomPatient patient;
    std::vector<StudyDraft> studies;
    std::map<std::string, std::size_t> studyByUid;
  };

  static void fillIfEmpty(std::string& field, const std::string& value) {
    if (field.empty()) field = value;
  }

  PatientDraft& patientFor(const ScannedHeader& header) {
    const std::string key = header.patientId + '\x1f' + header.patientName;
    const auto [found, isNew] = patientByKey_.try_emplace(key, patients_.size());
    if (isNew) {
      PatientDraft& draft = patients_.emplace_back();
      draft.patient.id = header.patientId;
      draft.patient.name = header.patientName;
    }
    DicomPatient& patient = patients_[found->second].patient;
    fillIfEmpty(patient.birthDate, header.patientBirthDate);
    fillIfEmpty(patient.sex, header.patientSex);
    return patients_[found->second];
  }

  static StudyDraft& studyFor(PatientDraft& patient, const ScannedHeader& header) {
    const auto [found, isNew] =
        patient.studyByUid.try_emplace(header.studyInstanceUid, patient.studies.size());
    if (isNew) patient.studies.emplace_back().study.studyInstanceUid = header.studyInstanceUid;
    DicomStudy& study = patient.studies[found->second].study;
    fillIfEmpty(study.date, header.studyDate);
    fillIfEmpty(study.time, header.studyTime);
    fillIfEmpty(study.description, header.studyDescription);
    fillIfEmpty(study.accessionNumber, header.accessionNumber);
    return patient.studies[found->second];
  }

  static SeriesDraft& seriesFor(StudyDraft& study, const ScannedHeader& header) {
    const auto [found, isNew] =
        study.seriesByUid.try_emplace(header.seriesInstanceUid, study.series.size());
    if (isNew) {
      SeriesDraft& draft = study.series.emplace_back();
      draft.series.seriesInstanceUid = header.seriesInstanceUid;
      draft.series.seriesNumber = header.seriesNumber;
      draft.series.sopClassUid = header.instance.sopClassUid;
    }
    SeriesDraft& draft = study.series[found->second];
    DicomSeries& series = draft.series;
    fillIfEmpty(series.modality, header.modality);
    fillIfEmpty(series.description, header.seriesDescription);
    // SeriesDate is optional (type 3); the study date is the best date to show without it.
    fillIfEmpty(series.date, header.seriesDate.empty() ? header.studyDate : header.seriesDate);
    fillIfEmpty(series.time, header.seriesTime.empty() ? header.studyTime : header.seriesTime);
    fillIfEmpty(series.frameOfReferenceUid, header.frameOfReferenceUid);
    fillIfEmpty(draft.protocolName, header.protocolName);
    return draft;
  }

  std::vector<PatientDraft> patients_;
  std::map<std::string, std::size_t> patientByKey_;
  std::unordered_map<std::string, fs::path> fileOfSopInstance_;
  std::vector<SkippedFile> skipped_;
};

// Reads one header; an exception out of DCMTK (e.g. std::bad_alloc on an absurd length) makes
// the file a skipped one instead of ending the scan.
HeaderReadResult readHeader(detail::HeaderReader& reader, const fs::path& file) {
  try {
    return reader.read(file);
  } catch (const std::exception& failure) {
    HeaderReadResult result;
    result.skipReason = std::string("The file could not be read: ") + failure.what() + ".";
    return result;
  }
}

constexpr const char* kDicomDirInFolderReason =
    "A DICOMDIR (the directory of a DICOM file-set) holds no image; a folder scan reads the "
    "files themselves. Scan the DICOMDIR instead to use only the files it lists.";

void addResult(IndexBuilder& builder, const fs::path& file, HeaderReadResult result,
               const char* dicomDirReason) {
  switch (result.outcome) {
    case HeaderReadResult::Outcome::Indexed:
      builder.add(std::move(result.header));
      break;
    case HeaderReadResult::Outcome::DicomDir:
      builder.skip(file, dicomDirReason);
      break;
    case HeaderReadResult::Outcome::Skipped:
      builder.skip(file, std::move(result.skipReason));
      break;
  }
}

}  // namespace

DicomIndex scanDicom(const fs::path& path, Progress& progress) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory &&
      error != std::errc::not_a_directory) {
    throw Error(
        ErrorKind::Io,
        path.string() + " cannot be accessed (" + error.message() + "); check its permissions.",
        path.string());
  }
  if (!fs::exists(status)) {
    throw Error(ErrorKind::NotFound,
                "There is no file or folder at " + path.string() + "; check the path.",
                path.string());
  }
  if (!fs::is_directory(status) && !fs::is_regular_file(status)) {
    throw Error(ErrorKind::InvalidInput,
                path.string() + " is neither a folder nor a regular file, so it cannot be scanned.",
                path.string());
  }
  progress.report(0.0, "Listing files");
  detail::HeaderReader reader;
  IndexBuilder builder;
  std::vector<fs::path> files;
  std::size_t filesScanned = 0;
  const char* dicomDirReason = kDicomDirInFolderReason;

  if (fs::is_directory(status)) {
    FolderListing listing = listFolder(path, progress);
    files = std::move(listing.files);
    for (SkippedFile& entry : listing.skipped)
      builder.skip(std::move(entry.file), std::move(entry.reason));
  } else {
    HeaderReadResult first = readHeader(reader, path);
    ++filesScanned;
    if (first.outcome == HeaderReadResult::Outcome::DicomDir) {
      try {
        detail::DicomDirContents contents = detail::readDicomDir(path);
        files = std::move(contents.files);
        std::sort(files.begin(), files.end());
        for (SkippedFile& problem : contents.problems)
          builder.skip(std::move(problem.file), std::move(problem.reason));
        builder.skip(path, "The DICOMDIR that was scanned: it holds no image and lists " +
                               std::to_string(files.size()) +
                               " existing file(s), which were read in its place.");
      } catch (const Error& unreadable) {
        builder.skip(path, unreadable.what());
      }
      // A DICOMDIR that lists another DICOMDIR is not followed further.
      dicomDirReason = "A DICOMDIR listed by another DICOMDIR; nested file-sets are not read.";
    } else {
      addResult(builder, path, std::move(first), dicomDirReason);
    }
  }

  const std::size_t total = files.size();
  // Headers are read on worker threads (one HeaderReader each) in blocks and added to the
  // index in file order, so the index is the same as from one thread. About a hundred
  // reports are enough for any progress bar; cancellation is checked between blocks.
  const std::size_t reportEvery = std::max<std::size_t>(1, total / 100);
  tbb::enumerable_thread_specific<detail::HeaderReader> readers;
  std::vector<HeaderReadResult> results(total);
  auto readOne = [&](std::size_t i) { results[i] = readHeader(readers.local(), files[i]); };
  auto addBlock = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      progress.check();  // per file, as before: no report follows a cancel
      if (i % reportEvery == 0) {
        progress.report(static_cast<double>(i) / static_cast<double>(total),
                        "Reading DICOM headers (" + std::to_string(i + 1) + " of " +
                            std::to_string(total) + ")");
      }
      addResult(builder, files[i], std::move(results[i]), dicomDirReason);
      ++filesScanned;
    }
  };
  detail::forEachInBlocks(total, kFilesPerBlock, progress, readOne, addBlock);
  progress.check();
  DicomIndex index = builder.finish(filesScanned);
  std::size_t indexedFiles = 0;
  for (const DicomSeries* series : index.allSeries()) indexedFiles += series->instances.size();
  progress.report(1.0, "Indexed " + std::to_string(indexedFiles) + " DICOM files");
  return index;
}

}  // namespace twinplan::io
