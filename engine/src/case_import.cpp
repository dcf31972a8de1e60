#include "twinplan/engine/case_import.h"

#include <cctype>
#include <utility>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_image2d.h"

namespace fs = std::filesystem;

namespace twinplan::engine {

namespace {

// Why nothing could be imported: what each series is, and why files were skipped (10 at most).
std::string whyNoVolume(const io::DicomIndex& index) {
  std::string why;
  for (const io::DicomSeries* series : index.allSeries())
    why += "\n  series \"" + series->description + "\" is a " + io::toString(series->kind) +
           (series->kindReason.empty() ? "" : ": " + series->kindReason);
  for (std::size_t i = 0; i < index.skipped.size() && i < 10; ++i)
    why += "\n  skipped " + index.skipped[i].file.string() + ": " + index.skipped[i].reason;
  if (index.skipped.size() > 10)
    why += "\n  ... and " + std::to_string(index.skipped.size() - 10) + " more skipped";
  return why;
}

std::string realPath(const fs::path& file) {
  std::error_code ec;
  const fs::path real = fs::canonical(file, ec);
  return (ec ? fs::absolute(file) : real).string();
}

}  // namespace

const io::DicomSeries& chooseVolumeSeries(const io::DicomIndex& index, const std::string& seriesUid,
                                          const fs::path& scanned) {
  if (!seriesUid.empty()) {
    const io::DicomSeries* series = index.findSeries(seriesUid);
    if (!series)
      throw Error(ErrorKind::NotFound,
                  "No series " + seriesUid + " under " + scanned.string() + ".", seriesUid);
    return *series;
  }
  std::vector<const io::DicomSeries*> volumes;
  for (const io::DicomSeries* series : index.allSeries())
    if (series->kind == io::SeriesKind::Volume) volumes.push_back(series);
  if (volumes.empty())
    throw Error(ErrorKind::NotFound,
                "No image volume series found under " + scanned.string() + "." + whyNoVolume(index),
                scanned.string());
  if (volumes.size() > 1) {
    std::string list;
    for (const auto* series : volumes)
      list += "\n  " + series->seriesInstanceUid + "  " + series->modality + " \"" +
              series->description + "\"";
    throw Error(ErrorKind::InvalidInput,
                std::to_string(volumes.size()) +
                    " volume series found; choose one (--series, or \"seriesInstanceUid\" in a "
                    "job):" +
                    list,
                scanned.string());
  }
  return *volumes.front();
}

Case importSeriesAsCase(const io::DicomSeries& series, Progress& progress,
                        const std::string& caseName) {
  if (!io::hasViewableImages(series))
    throw Error(ErrorKind::Unsupported,
                "Series \"" + series.description + "\" is a " + io::toString(series.kind) +
                    " without images: " + series.kindReason,
                series.seriesInstanceUid);
  // A volume in patient space, or a 2D/colour image to look at (io/dicom_image2d.h): volume-only
  // work refuses the latter later with the reason (requirePatientVolume).
  auto load = subRange(progress, 0.0, 0.95);
  ImageVolume volume = io::loadForViewing(series, *load);
  Case twin;
  volume.name = volume.dicom.modality.empty() ? "Image" : volume.dicom.modality;
  twin.name = caseName.empty() ? volume.dicom.patientName : caseName;
  twin.patientName = volume.dicom.patientName;
  twin.patientId = volume.dicom.patientId;
  SeriesReference reference{series.seriesInstanceUid, series.description, {}};
  for (const auto& instance : series.instances) reference.files.push_back(realPath(instance.file));
  nlohmann::json record = {{"step", "import"},
                           {"time", utcNowIso8601()},
                           {"seriesInstanceUid", series.seriesInstanceUid},
                           {"modality", volume.dicom.modality},
                           {"files", reference.files.size()},
                           {"assumptions", volume.assumptions}};
  if (!reference.files.empty())
    record["source"] = fs::path(reference.files.front()).parent_path().string();
  twin.series.push_back(std::move(reference));
  twin.volumes.push_back(std::move(volume));
  twin.provenance.push_back(std::move(record));
  progress.report(1.0, "Imported");
  return twin;
}

Case importCase(const fs::path& dicom, const std::string& seriesUid, Progress& progress,
                const std::string& caseName) {
  auto scan = subRange(progress, 0.0, 0.2);
  const io::DicomIndex index = io::scanDicom(dicom, *scan);
  const io::DicomSeries& series = chooseVolumeSeries(index, seriesUid, dicom);
  auto load = subRange(progress, 0.2, 1.0);
  return importSeriesAsCase(series, *load, caseName);
}

}  // namespace twinplan::engine

namespace twinplan::engine {

namespace {

// "20190314" -> "2019-03-14" (DA, PS3.5 6.2); other text as it is.
std::string isoDate(const std::string& da) {
  if (da.size() != 8) return da;
  return da.substr(0, 4) + "-" + da.substr(4, 2) + "-" + da.substr(6, 2);
}

// Person names compare without the trailing empty components DICOM allows ("DOE^JOHN^^" is
// "DOE^JOHN", PS3.5 6.2.1) and without case.
std::string comparableName(std::string name) {
  while (!name.empty() && (name.back() == '^' || name.back() == ' ')) name.pop_back();
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// The case's patient: its own fields, else those of its first DICOM volume.
std::pair<std::string, std::string> casePatient(const Case& twin) {
  std::string id = twin.patientId, name = twin.patientName;
  for (const ImageVolume& volume : twin.volumes) {
    if (id.empty()) id = volume.dicom.patientId;
    if (name.empty()) name = volume.dicom.patientName;
  }
  return {id, name};
}

// A series of another study than the case's first DICOM volume: a follow-up (or a prior).
bool isOtherStudy(const Case& twin, const DicomInfo& dicom) {
  for (const ImageVolume& volume : twin.volumes)
    if (!volume.dicom.studyInstanceUid.empty())
      return !dicom.studyInstanceUid.empty() &&
             dicom.studyInstanceUid != volume.dicom.studyInstanceUid;
  return false;
}

std::string who(const std::string& id, const std::string& name) {
  return "\"" + name + "\" (ID " + (id.empty() ? std::string("none") : id) + ")";
}

}  // namespace

std::optional<std::string> otherPatientReason(const Case& twin, const std::string& patientId,
                                              const std::string& patientName) {
  const auto [caseId, caseName] = casePatient(twin);
  bool differs = false;
  if (!caseId.empty() && !patientId.empty()) {
    differs = caseId != patientId;
  } else if (!caseName.empty() && !patientName.empty()) {
    differs = comparableName(caseName) != comparableName(patientName);
  }
  if (!differs) return std::nullopt;
  return "The series is of patient " + who(patientId, patientName) + ", the case of patient " +
         who(caseId, caseName) +
         ". Add it only if both are the same person (e.g. the ID changed between hospitals); "
         "otherwise open it as a case of its own.";
}

std::string seriesVolumeName(const Case& twin, const DicomInfo& dicom) {
  std::string name = dicom.modality.empty() ? "Image" : dicom.modality;
  if (isOtherStudy(twin, dicom))
    name += " " + (dicom.studyDate.empty() ? "follow-up" : isoDate(dicom.studyDate));
  return name;
}

ImportedSeries importSeriesInto(const Case& twin, const io::DicomSeries& series, Progress& progress,
                                const SeriesImportOptions& options) {
  for (const SeriesReference& reference : twin.series)
    if (reference.seriesInstanceUid == series.seriesInstanceUid)
      throw Error(ErrorKind::InvalidInput,
                  "The series \"" + series.description + "\" is already in the case.",
                  series.seriesInstanceUid);
  // One import for both: a case's first series and one added later read the same way.
  Case alone = importSeriesAsCase(series, progress);
  ImportedSeries imported{std::move(alone.volumes.front()), std::move(alone.series.front())};
  const DicomInfo& dicom = imported.volume.dicom;
  if (const auto reason = otherPatientReason(twin, dicom.patientId, dicom.patientName)) {
    if (!options.allowOtherPatient) throw Error(ErrorKind::InvalidInput, *reason, dicom.patientId);
    imported.otherPatient = *reason;
  }
  imported.volume.name = seriesVolumeName(twin, dicom);
  imported.followUp = isOtherStudy(twin, dicom);
  return imported;
}

}  // namespace twinplan::engine
