#include "twinplan/io/dicom_index.h"

#include "dicom_scan_text.h"

namespace twinplan::io {
namespace {

// nlohmann::json refuses to dump invalid UTF-8; decoded DICOM text is already UTF-8, but file
// names and undecoded values (UIDs, codes) of a malformed file need not be.
std::string jsonText(const std::string& text) { return detail::utf8OrLatin1(text); }

nlohmann::json seriesJson(const DicomSeries& series) {
  int rows = 0, columns = 0;
  for (const auto& instance : series.instances) {
    if (instance.rows > 0 && instance.columns > 0) {
      rows = instance.rows;
      columns = instance.columns;
      break;
    }
  }
  return {{"uid", jsonText(series.seriesInstanceUid)},
          {"number", series.seriesNumber},
          {"modality", jsonText(series.modality)},
          {"description", jsonText(series.description)},
          {"date", jsonText(series.date)},
          {"time", jsonText(series.time)},
          {"kind", toString(series.kind)},
          {"kindReason", series.kindReason},
          {"sopClassUid", jsonText(series.sopClassUid)},
          {"frameOfReferenceUid", jsonText(series.frameOfReferenceUid)},
          {"files", series.instances.size()},
          {"frames", series.frameCount()},
          {"rows", rows},
          {"columns", columns}};
}

}  // namespace

const char* toString(SeriesKind kind) {
  switch (kind) {
    case SeriesKind::Volume:
      return "volume";
    case SeriesKind::Localizer:
      return "localizer";
    case SeriesKind::SecondaryCapture:
      return "secondary-capture";
    case SeriesKind::RtStruct:
      return "rtstruct";
    case SeriesKind::RtPlan:
      return "rtplan";
    case SeriesKind::RtDose:
      return "rtdose";
    case SeriesKind::Segmentation:
      return "seg";
    case SeriesKind::Other:
      return "other";
  }
  return "unknown";
}

std::size_t DicomSeries::frameCount() const {
  std::size_t frames = 0;
  for (const auto& instance : instances) frames += static_cast<std::size_t>(instance.frames);
  return frames;
}

std::vector<const DicomSeries*> DicomIndex::allSeries() const {
  std::vector<const DicomSeries*> out;
  for (const auto& patient : patients)
    for (const auto& study : patient.studies)
      for (const auto& series : study.series) out.push_back(&series);
  return out;
}

const DicomSeries* DicomIndex::findSeries(const std::string& seriesInstanceUid) const {
  for (const DicomSeries* series : allSeries())
    if (series->seriesInstanceUid == seriesInstanceUid) return series;
  return nullptr;
}

nlohmann::json toJson(const DicomIndex& index) {
  nlohmann::json patients = nlohmann::json::array();
  for (const auto& patient : index.patients) {
    nlohmann::json studies = nlohmann::json::array();
    for (const auto& study : patient.studies) {
      nlohmann::json series = nlohmann::json::array();
      for (const auto& one : study.series) series.push_back(seriesJson(one));
      studies.push_back({{"uid", jsonText(study.studyInstanceUid)},
                         {"date", jsonText(study.date)},
                         {"time", jsonText(study.time)},
                         {"description", jsonText(study.description)},
                         {"accessionNumber", jsonText(study.accessionNumber)},
                         {"series", std::move(series)}});
    }
    patients.push_back({{"name", jsonText(patient.name)},
                        {"id", jsonText(patient.id)},
                        {"birthDate", jsonText(patient.birthDate)},
                        {"sex", jsonText(patient.sex)},
                        {"studies", std::move(studies)}});
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& file : index.skipped)
    skipped.push_back({{"file", jsonText(file.file.string())}, {"reason", jsonText(file.reason)}});
  return {{"filesScanned", index.filesScanned},
          {"patients", std::move(patients)},
          {"skipped", std::move(skipped)}};
}

}  // namespace twinplan::io
