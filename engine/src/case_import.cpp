#include "twinplan/engine/case_import.h"

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
