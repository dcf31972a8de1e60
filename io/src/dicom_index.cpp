#include "twinplan/io/dicom_index.h"

namespace twinplan::io {

const char* toString(SeriesKind kind) {
  switch (kind) {
    case SeriesKind::Volume: return "volume";
    case SeriesKind::Localizer: return "localizer";
    case SeriesKind::SecondaryCapture: return "secondary-capture";
    case SeriesKind::RtStruct: return "rtstruct";
    case SeriesKind::RtPlan: return "rtplan";
    case SeriesKind::RtDose: return "rtdose";
    case SeriesKind::Segmentation: return "seg";
    case SeriesKind::Other: return "other";
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

}  // namespace twinplan::io
