#include "dicom_attributes.h"

#include <dcmtk/dcmdata/dcdeftag.h>

#include <cmath>

namespace twinplan::io::detail {

std::string text(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  std::string s = value.c_str();
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  return s;
}

std::optional<double> number(DcmItem& item, const DcmTagKey& tag, unsigned long pos) {
  Float64 v = 0;
  if (item.findAndGetFloat64(tag, v, pos).bad() || !std::isfinite(v)) return std::nullopt;
  return v;
}

int integer(DcmItem& item, const DcmTagKey& tag, int fallback) {
  Sint32 v = 0;
  if (item.findAndGetSint32(tag, v).good()) return v;
  Uint16 u = 0;
  if (item.findAndGetUint16(tag, u).good()) return u;
  return fallback;
}

DicomInfo readDicomInfo(DcmDataset& ds) {
  DicomInfo info;
  info.patientName = text(ds, DCM_PatientName);
  info.patientId = text(ds, DCM_PatientID);
  info.patientBirthDate = text(ds, DCM_PatientBirthDate);
  info.patientSex = text(ds, DCM_PatientSex);
  info.studyInstanceUid = text(ds, DCM_StudyInstanceUID);
  info.studyDate = text(ds, DCM_StudyDate);
  info.studyTime = text(ds, DCM_StudyTime);
  info.studyDescription = text(ds, DCM_StudyDescription);
  info.accessionNumber = text(ds, DCM_AccessionNumber);
  info.seriesInstanceUid = text(ds, DCM_SeriesInstanceUID);
  info.seriesDate = text(ds, DCM_SeriesDate);
  info.seriesTime = text(ds, DCM_SeriesTime);
  info.seriesDescription = text(ds, DCM_SeriesDescription);
  info.seriesNumber = integer(ds, DCM_SeriesNumber, 0);
  info.modality = text(ds, DCM_Modality);
  info.frameOfReferenceUid = text(ds, DCM_FrameOfReferenceUID);
  info.patientPosition = text(ds, DCM_PatientPosition);
  info.acquisitionTime = text(ds, DCM_AcquisitionTime);
  if (info.acquisitionTime.empty()) info.acquisitionTime = text(ds, DCM_AcquisitionDateTime);
  info.manufacturer = text(ds, DCM_Manufacturer);
  info.manufacturerModel = text(ds, DCM_ManufacturerModelName);
  info.institutionName = text(ds, DCM_InstitutionName);
  info.bodyPartExamined = text(ds, DCM_BodyPartExamined);
  info.imageType = text(ds, DCM_ImageType);
  info.windowCenter = number(ds, DCM_WindowCenter).value_or(0.0);
  info.windowWidth = number(ds, DCM_WindowWidth).value_or(0.0);
  return info;
}

}  // namespace twinplan::io::detail
