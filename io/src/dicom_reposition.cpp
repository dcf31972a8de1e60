#include "twinplan/io/dicom_reposition.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>

#include <Eigen/LU>
#include <cmath>
#include <cstdio>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_writer.h"

namespace twinplan::io {

namespace fs = std::filesystem;

namespace {

// PS3.5 6.2: DS values of at most 16 characters.
std::string dsValues(std::initializer_list<double> values) {
  std::string text;
  for (double value : values) {
    char buffer[64] = "0";
    for (int digits = 15; digits > 1 && std::abs(value) > 1e-300; --digits) {
      std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
      if (std::string(buffer).size() <= 16) break;
    }
    text += (text.empty() ? "" : "\\") + std::string(buffer);
  }
  return text;
}

void requireRigid(const SpatialTransform& transform) {
  const Mat3& r = transform.matrix;
  const bool rotation =
      (r.transpose() * r - Mat3::Identity()).cwiseAbs().maxCoeff() < 1e-9 && r.determinant() > 0.0;
  if (!transform.isLinear() || !rotation)
    throw Error(ErrorKind::InvalidInput,
                "A series can only be repositioned by a rigid transform (a rotation and a "
                "translation); this one is " +
                    std::string(toString(transform.kind)) +
                    (rotation ? "." : " with a matrix that is not a rotation."));
}

void rewrite(const DicomInstance& instance, const SpatialTransform& rigid,
             const RepositionedSeries& ids, const fs::path& target) {
  DcmFileFormat file;
  if (file.loadFile(instance.file.c_str()).bad())
    throw Error(ErrorKind::Io, "Cannot read " + instance.file.string() + ".",
                instance.file.string());
  DcmDataset& ds = *file.getDataset();
  if (instance.frames > 1)
    throw Error(ErrorKind::Unsupported,
                instance.file.string() +
                    " is a multi-frame image; its per-frame positions are not rewritten.",
                instance.file.string());
  Float64 position[3], orientation[6];
  for (unsigned long n = 0; n < 3; ++n)
    if (ds.findAndGetFloat64(DCM_ImagePositionPatient, position[n], n).bad())
      throw Error(ErrorKind::Unsupported,
                  instance.file.string() + " has no Image Position (Patient) (0020,0032).",
                  instance.file.string());
  for (unsigned long n = 0; n < 6; ++n)
    if (ds.findAndGetFloat64(DCM_ImageOrientationPatient, orientation[n], n).bad())
      throw Error(ErrorKind::Unsupported,
                  instance.file.string() + " has no Image Orientation (Patient) (0020,0037).",
                  instance.file.string());
  const Vec3 p = rigid.apply(Vec3(position[0], position[1], position[2]));
  const Vec3 row = rigid.matrix * Vec3(orientation[0], orientation[1], orientation[2]);
  const Vec3 column = rigid.matrix * Vec3(orientation[3], orientation[4], orientation[5]);
  const std::string sopInstanceUid = makeDicomUid(UidKind::Instance);
  ds.putAndInsertString(DCM_ImagePositionPatient, dsValues({p[0], p[1], p[2]}).c_str());
  ds.putAndInsertString(
      DCM_ImageOrientationPatient,
      dsValues({row[0], row[1], row[2], column[0], column[1], column[2]}).c_str());
  ds.putAndInsertString(DCM_SeriesInstanceUID, ids.seriesInstanceUid.c_str());
  ds.putAndInsertString(DCM_FrameOfReferenceUID, ids.frameOfReferenceUid.c_str());
  ds.putAndInsertString(DCM_SOPInstanceUID, sopInstanceUid.c_str());
  file.getMetaInfo()->putAndInsertString(DCM_MediaStorageSOPInstanceUID, sopInstanceUid.c_str());
  delete ds.remove(DCM_SliceLocation);
  OFString description;
  ds.findAndGetOFString(DCM_SeriesDescription, description);
  ds.putAndInsertString(DCM_SeriesDescription, (description + " (moved)").c_str());
  const OFCondition saved = file.saveFile(target.c_str(), file.getDataset()->getOriginalXfer());
  if (saved.bad())
    throw Error(ErrorKind::Io, "Cannot write " + target.string() + ": " + saved.text() + ".",
                target.string());
}

}  // namespace

RepositionedSeries writeRepositionedSeries(const DicomSeries& series, const SpatialTransform& rigid,
                                           const fs::path& folder) {
  requireRigid(rigid);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec)
    throw Error(ErrorKind::Io, "Cannot create the folder " + folder.string() + ": " + ec.message(),
                folder.string());
  RepositionedSeries result;
  result.seriesInstanceUid = makeDicomUid(UidKind::Series);
  result.frameOfReferenceUid = makeDicomUid(UidKind::FrameOfReference);
  for (std::size_t n = 0; n < series.instances.size(); ++n) {
    char name[32];
    std::snprintf(name, sizeof name, "moved%05zu.dcm", n);
    result.files.push_back(folder / name);
    try {
      rewrite(series.instances[n], rigid, result, result.files.back());
    } catch (...) {
      for (const fs::path& written : result.files) fs::remove(written, ec);
      throw;
    }
  }
  return result;
}

}  // namespace twinplan::io
