#include "twinplan/io/dicom_reference.h"

#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_volume.h"

namespace twinplan::io {

ReferenceSeries referenceFromVolume(const ImageVolume& volume) {
  ReferenceSeries reference;
  reference.geometry = volume.geometry();
  reference.dicom = volume.dicom;
  return reference;
}

ReferenceSeries referenceFromSeries(const DicomSeries& series, Progress& progress) {
  const ImageVolume volume = loadVolume(series, {}, progress);
  ReferenceSeries reference = referenceFromVolume(volume);
  reference.sopClassUid = series.sopClassUid;
  const ImageGeometry& g = volume.geometry();
  reference.sliceSopInstanceUids.assign(static_cast<std::size_t>(g.size[2]), {});
  if (series.instances.size() < 2 && g.size[2] > 1) {  // one multi-frame file: no slice UIDs
    reference.sliceSopInstanceUids.clear();
    return reference;
  }
  for (const DicomInstance& instance : series.instances) {
    if (!instance.imagePosition_lps) continue;
    const Vec3 ijk = g.lpsToIndex(*instance.imagePosition_lps);
    const double k = std::round(ijk.z());
    if (std::abs(ijk.z() - k) > 0.1 || k < 0 || k >= static_cast<double>(g.size[2])) continue;
    std::string& uid = reference.sliceSopInstanceUids[static_cast<std::size_t>(k)];
    if (uid.empty()) uid = instance.sopInstanceUid;
  }
  return reference;
}

void requireDicomSlices(const ReferenceSeries& reference, std::string_view purpose) {
  const std::string what(purpose);
  const DicomInfo& d = reference.dicom;
  if (d.studyInstanceUid.empty() || d.seriesInstanceUid.empty() || d.frameOfReferenceUid.empty())
    throw Error(ErrorKind::InvalidInput,
                what +
                    " cannot be written: its reference image did not come from DICOM (it has "
                    "no Study, Series or Frame of Reference UID), so the object could not "
                    "say which images it belongs to. Give the DICOM series as the reference.",
                "reference");
  if (reference.sliceSopInstanceUids.empty())
    throw Error(ErrorKind::InvalidInput,
                what + " cannot be written: the reference series " + d.seriesInstanceUid +
                    " was not loaded from single-frame DICOM slices, so its slices have no "
                    "SOP Instance UIDs to reference.",
                d.seriesInstanceUid);
  for (std::size_t k = 0; k < reference.sliceSopInstanceUids.size(); ++k)
    if (reference.sliceSopInstanceUids[k].empty())
      throw Error(ErrorKind::InvalidInput,
                  what + " cannot be written: slice " + std::to_string(k) +
                      " of the reference series " + d.seriesInstanceUid +
                      " has no DICOM file (it was made by resampling a gap), so it cannot be "
                      "referenced.",
                  d.seriesInstanceUid);
}

void requireExportableOnto(const LabelMap& labels, const ReferenceSeries& reference,
                           std::string_view purpose) {
  requireDicomSlices(reference, purpose);
  if (!labels.geometry().sameGridAs(reference.geometry, 1e-3))
    throw Error(ErrorKind::InvalidInput,
                std::string(purpose) +
                    " cannot be written: the labelmap is not on the reference series' grid. "
                    "Resample it onto the reference first.",
                "labels");
}

}  // namespace twinplan::io
