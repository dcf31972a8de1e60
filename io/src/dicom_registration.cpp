#include "twinplan/io/dicom_registration.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <Eigen/LU>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <system_error>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_writer.h"

namespace twinplan::io {

namespace fs = std::filesystem;

namespace {

// PS3.5 6.2: a DS value is at most 16 characters; keep as many significant digits as fit.
std::string dsValue(double value) {
  if (std::abs(value) < 1e-300) return "0";
  char text[64];
  for (int digits = 15; digits > 1; --digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::string(text).size() <= 16) return text;
  }
  return "0";
}

std::string tagName(const DcmTagKey& key) {
  DcmTag tag(key);
  return std::string(tag.getTagName()) + " " + tag.toString().c_str();
}

std::string now(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

class Writer {
 public:
  Writer(DcmItem& item, const fs::path& file) : item_(item), file_(file) {}
  Writer in(const DcmTagKey& sequence) {
    DcmItem* child = nullptr;
    check(item_.findOrCreateSequenceItem(sequence, child, -2), sequence);
    return Writer(*child, file_);
  }
  void text(const DcmTagKey& tag, const std::string& value) {
    check(item_.putAndInsertString(tag, value.c_str()), tag);
  }
  void emptySequence(const DcmTagKey& tag) { check(item_.insertEmptyElement(tag), tag); }
  DcmItem& item() { return item_; }

 private:
  void check(const OFCondition& condition, const DcmTagKey& tag) const {
    if (condition.bad())
      throw Error(
          ErrorKind::Internal,
          "Could not set " + tagName(tag) + " in " + file_.string() + ": " + condition.text(),
          file_.string());
  }
  DcmItem& item_;
  const fs::path& file_;
};

// The first file's dataset of a series, for the attributes an index does not keep.
std::unique_ptr<DcmFileFormat> loadFirst(const DicomSeries& series, const char* role) {
  if (series.instances.empty())
    throw Error(ErrorKind::InvalidInput,
                "The " + std::string(role) + " series " + series.seriesInstanceUid +
                    " has no images to register.",
                series.seriesInstanceUid);
  auto file = std::make_unique<DcmFileFormat>();
  const fs::path& path = series.instances.front().file;
  if (file->loadFile(path.c_str()).bad())
    throw Error(ErrorKind::Io, "Cannot read " + path.string() + " again to copy its patient data.",
                path.string());
  return file;
}

std::string stringOf(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  item.findAndGetOFStringArray(tag, value);
  return value.c_str();
}

void requireFrameOfReference(const DicomSeries& series, const char* role) {
  if (series.frameOfReferenceUid.empty())
    throw Error(ErrorKind::InvalidInput,
                "The " + std::string(role) + " series " + series.seriesInstanceUid +
                    " has no Frame of Reference UID (0020,0052), so a Spatial Registration "
                    "cannot say which patient space it registers.",
                series.seriesInstanceUid);
}

// PS3.3 C.20.2.1.2: RIGID needs an orthonormal rotation part.
bool isRotation(const Mat3& m) {
  return (m.transpose() * m - Mat3::Identity()).cwiseAbs().maxCoeff() < 1e-6 &&
         m.determinant() > 0.0;
}

void writeMatrixItem(Writer registration, const std::string& frameOfReferenceUid,
                     const DicomSeries& series, const Eigen::Matrix4d& toRegistered,
                     const std::string& type) {
  registration.text(DCM_FrameOfReferenceUID, frameOfReferenceUid);
  for (const DicomInstance& image : series.instances) {
    Writer reference = registration.in(DCM_ReferencedImageSequence);
    reference.text(DCM_ReferencedSOPClassUID, image.sopClassUid);
    reference.text(DCM_ReferencedSOPInstanceUID, image.sopInstanceUid);
  }
  Writer matrixRegistration = registration.in(DCM_MatrixRegistrationSequence);
  matrixRegistration.emptySequence(DCM_RegistrationTypeCodeSequence);  // type 2
  Writer matrix = matrixRegistration.in(DCM_MatrixSequence);
  std::string values;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      values += (values.empty() ? "" : "\\") + dsValue(toRegistered(r, c));
  matrix.text(DCM_FrameOfReferenceTransformationMatrix, values);
  matrix.text(DCM_FrameOfReferenceTransformationMatrixType, type);
}

// Common Instance Reference module (PS3.3 C.12.2): series of the SRO's own study directly,
// series of other studies under their study.
void writeCommonInstanceReference(
    Writer& root, const std::string& ownStudy,
    const std::vector<std::pair<std::string, const DicomSeries*>>& seriesWithStudy) {
  for (const auto& [study, series] : seriesWithStudy) {
    Writer seriesItem = study == ownStudy ? root.in(DCM_ReferencedSeriesSequence) : [&] {
      Writer studyItem = root.in(DCM_StudiesContainingOtherReferencedInstancesSequence);
      studyItem.text(DCM_StudyInstanceUID, study);
      return studyItem.in(DCM_ReferencedSeriesSequence);
    }();
    seriesItem.text(DCM_SeriesInstanceUID, series->seriesInstanceUid);
    for (const DicomInstance& image : series->instances) {
      Writer instance = seriesItem.in(DCM_ReferencedInstanceSequence);
      instance.text(DCM_ReferencedSOPClassUID, image.sopClassUid);
      instance.text(DCM_ReferencedSOPInstanceUID, image.sopInstanceUid);
    }
  }
}

void copyAttributes(DcmItem& from, DcmItem& to, std::initializer_list<DcmTagKey> tags) {
  for (const DcmTagKey& tag : tags) {
    DcmElement* element = nullptr;
    if (from.findAndGetElement(tag, element).good() && element) {
      to.insert(static_cast<DcmElement*>(element->clone()), /*replaceOld=*/true);
    } else {
      to.insertEmptyElement(tag);  // type 2 in the Patient and General Study modules
    }
  }
}

}  // namespace

SpatialRegistrationWriteResult writeSpatialRegistration(
    const SpatialTransform& fixedToMoving, const DicomSeries& fixed, const DicomSeries& moving,
    const fs::path& file, const SpatialRegistrationWriteOptions& options) {
  if (fixedToMoving.kind == SpatialTransform::Kind::BSpline)
    throw Error(ErrorKind::Unsupported,
                "A B-spline (deformable) registration has no matrix form; DICOM Spatial "
                "Registration holds rigid and affine matrices only (PS3.3 C.20.2.1.2). Export it "
                "as an ITK transform file instead.",
                file.string());
  if (fixedToMoving.kind == SpatialTransform::Kind::Rigid && !isRotation(fixedToMoving.matrix))
    throw Error(ErrorKind::InvalidInput,
                "The rigid transform's matrix is not a rotation, so it cannot be written as a "
                "RIGID registration.",
                file.string());
  requireFrameOfReference(fixed, "fixed");
  requireFrameOfReference(moving, "moving");
  const auto fixedFile = loadFirst(fixed, "fixed");
  const auto movingFile = loadFirst(moving, "moving");
  DcmDataset& source = *fixedFile->getDataset();
  const std::string fixedStudy = stringOf(source, DCM_StudyInstanceUID);
  const std::string movingStudy = stringOf(*movingFile->getDataset(), DCM_StudyInstanceUID);

  DcmFileFormat out;
  DcmDataset& ds = *out.getDataset();
  Writer root(ds, file);
  SpatialRegistrationWriteResult result{makeDicomUid(UidKind::Instance),
                                        makeDicomUid(UidKind::Series)};
  // SOP Common, Patient, General Study (copied from the fixed series: same patient, same study).
  copyAttributes(
      source, ds,
      {DCM_SpecificCharacterSet, DCM_PatientName, DCM_PatientID, DCM_PatientBirthDate,
       DCM_PatientSex, DCM_StudyInstanceUID, DCM_StudyDate, DCM_StudyTime,
       DCM_ReferringPhysicianName, DCM_StudyID, DCM_AccessionNumber, DCM_StudyDescription});
  root.text(DCM_SOPClassUID, UID_SpatialRegistrationStorage);
  root.text(DCM_SOPInstanceUID, result.sopInstanceUid);
  // Spatial Registration Series (C.20.1) and General Series.
  root.text(DCM_Modality, "REG");
  root.text(DCM_SeriesInstanceUID, result.seriesInstanceUid);
  root.text(DCM_SeriesNumber, std::to_string(options.seriesNumber));
  root.text(DCM_SeriesDescription, options.seriesDescription);
  // Frame of Reference: the Registered RCS is the fixed series' frame.
  root.text(DCM_FrameOfReferenceUID, fixed.frameOfReferenceUid);
  root.text(DCM_PositionReferenceIndicator, "");
  // General and Enhanced General Equipment (C.7.5.1, C.7.5.2).
  root.text(DCM_Manufacturer, options.manufacturer);
  root.text(DCM_ManufacturerModelName, "TwinPlan");
  root.text(DCM_DeviceSerialNumber, "0");
  root.text(DCM_SoftwareVersions, "TwinPlan");
  // Spatial Registration (C.20.2) with the Content Identification macro.
  root.text(DCM_ContentDate, now("%Y%m%d"));
  root.text(DCM_ContentTime, now("%H%M%S"));
  root.text(DCM_InstanceNumber, "1");
  root.text(DCM_ContentLabel, options.contentLabel);
  root.text(DCM_ContentDescription,
            !options.contentDescription.empty()
                ? options.contentDescription
                : moving.description + " registered to " + fixed.description);
  root.text(DCM_ContentCreatorName, options.creatorName);
  const std::string type =
      fixedToMoving.kind == SpatialTransform::Kind::Affine ? "AFFINE" : "RIGID";
  // Item 1: the fixed frame onto itself; item 2: moving -> fixed, the inverse of ours.
  writeMatrixItem(root.in(DCM_RegistrationSequence), fixed.frameOfReferenceUid, fixed,
                  Eigen::Matrix4d::Identity(), "RIGID");
  writeMatrixItem(root.in(DCM_RegistrationSequence), moving.frameOfReferenceUid, moving,
                  fixedToMoving.homogeneous().inverse(), type);
  writeCommonInstanceReference(root, fixedStudy, {{fixedStudy, &fixed}, {movingStudy, &moving}});

  const fs::path temporary = file.string() + ".part";
  const OFCondition saved = out.saveFile(temporary.c_str(), EXS_LittleEndianExplicit);
  std::error_code ec;
  if (saved.good()) fs::rename(temporary, file, ec);
  if (saved.bad() || ec) {
    fs::remove(temporary, ec);
    throw Error(ErrorKind::Io,
                "Could not write the Spatial Registration file " + file.string() + " (" +
                    (saved.bad() ? std::string(saved.text()) : ec.message()) +
                    "); check that the folder exists and is writable.",
                file.string());
  }
  return result;
}

// ---- reading ------------------------------------------------------------------------------

namespace {

[[noreturn]] void damaged(const fs::path& file, const std::string& what, const DcmTagKey& tag) {
  throw Error(ErrorKind::Corrupt,
              "The Spatial Registration " + file.string() + " is damaged: " + what + " (" +
                  tagName(tag) + ").",
              tagName(tag));
}

struct RegisteredFrame {
  std::string frameOfReferenceUid;
  Eigen::Matrix4d toRegistered = Eigen::Matrix4d::Identity();
  std::string type;
};

RegisteredFrame readItem(DcmItem& item, int number, const fs::path& file) {
  RegisteredFrame frame;
  frame.frameOfReferenceUid = stringOf(item, DCM_FrameOfReferenceUID);
  const std::string where = "item " + std::to_string(number) + " of the Registration Sequence";
  if (frame.frameOfReferenceUid.empty())
    damaged(file, where + " has no Frame of Reference UID", DCM_FrameOfReferenceUID);
  DcmItem* matrixRegistration = nullptr;
  if (item.findAndGetSequenceItem(DCM_MatrixRegistrationSequence, matrixRegistration, 0).bad())
    damaged(file, where + " has no Matrix Registration Sequence", DCM_MatrixRegistrationSequence);
  DcmSequenceOfItems* matrices = nullptr;
  if (matrixRegistration->findAndGetSequence(DCM_MatrixSequence, matrices).bad() || !matrices ||
      matrices->card() == 0)
    damaged(file, where + " has no Matrix Sequence", DCM_MatrixSequence);
  if (matrices->card() > 1)
    throw Error(ErrorKind::Unsupported,
                "The Spatial Registration " + file.string() + " gives " + where + " as " +
                    std::to_string(matrices->card()) +
                    " matrices to be multiplied; TwinPlan reads one matrix per frame.",
                file.string());
  DcmItem* matrix = matrices->getItem(0);
  DcmElement* values = nullptr;
  if (matrix->findAndGetElement(DCM_FrameOfReferenceTransformationMatrix, values).bad() ||
      !values || values->getVM() == 0)
    damaged(file, where + " has no Frame of Reference Transformation Matrix",
            DCM_FrameOfReferenceTransformationMatrix);
  if (values->getVM() != 16)
    damaged(file,
            where + " has a matrix of " + std::to_string(values->getVM()) + " values instead of 16",
            DCM_FrameOfReferenceTransformationMatrix);
  for (unsigned long n = 0; n < 16; ++n) {
    Float64 v = 0;
    if (matrix->findAndGetFloat64(DCM_FrameOfReferenceTransformationMatrix, v, n).bad())
      damaged(file, where + " has a matrix value that is not a number",
              DCM_FrameOfReferenceTransformationMatrix);
    frame.toRegistered(int(n / 4), int(n % 4)) = v;
  }
  if ((frame.toRegistered.row(3) - Eigen::RowVector4d(0, 0, 0, 1)).cwiseAbs().maxCoeff() > 1e-9)
    damaged(file, where + " has a matrix whose last row is not (0, 0, 0, 1)",
            DCM_FrameOfReferenceTransformationMatrix);
  frame.type = stringOf(*matrix, DCM_FrameOfReferenceTransformationMatrixType);
  if (frame.type != "RIGID" && frame.type != "RIGID_SCALE" && frame.type != "AFFINE")
    damaged(file,
            where + " has the matrix type \"" + frame.type +
                "\" (RIGID, RIGID_SCALE or AFFINE expected)",
            DCM_FrameOfReferenceTransformationMatrixType);
  if (frame.type == "RIGID" && !isRotation(frame.toRegistered.topLeftCorner<3, 3>()))
    damaged(file, where + " is typed RIGID but its matrix is not a rotation",
            DCM_FrameOfReferenceTransformationMatrix);
  return frame;
}

}  // namespace

SpatialRegistrationRead readSpatialRegistration(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw Error(ErrorKind::NotFound,
                "The Spatial Registration file " + file.string() + " does not exist.",
                file.string());
  DcmFileFormat dicom;
  if (dicom.loadFile(file.c_str()).bad())
    throw Error(ErrorKind::Corrupt, file.string() + " is not a readable DICOM file.",
                file.string());
  DcmDataset& ds = *dicom.getDataset();
  const std::string sopClass = stringOf(ds, DCM_SOPClassUID);
  if (sopClass != UID_SpatialRegistrationStorage)
    throw Error(ErrorKind::Unsupported,
                file.string() + " is not a Spatial Registration object (SOP Class " + sopClass +
                    "; 1.2.840.10008.5.1.4.1.1.66.1 expected).",
                file.string());
  SpatialRegistrationRead read;
  read.sopInstanceUid = stringOf(ds, DCM_SOPInstanceUID);
  read.fixedFrameOfReferenceUid = stringOf(ds, DCM_FrameOfReferenceUID);
  if (read.fixedFrameOfReferenceUid.empty())
    damaged(file, "it has no Frame of Reference UID naming the Registered RCS",
            DCM_FrameOfReferenceUID);
  DcmSequenceOfItems* items = nullptr;
  if (ds.findAndGetSequence(DCM_RegistrationSequence, items).bad() || !items || items->card() == 0)
    damaged(file, "it has no Registration Sequence", DCM_RegistrationSequence);
  RegisteredFrame fixedFrame;  // identity unless an item registers the Registered RCS itself
  std::vector<RegisteredFrame> others;
  for (unsigned long n = 0; n < items->card(); ++n) {
    RegisteredFrame frame = readItem(*items->getItem(n), int(n + 1), file);
    if (frame.frameOfReferenceUid == read.fixedFrameOfReferenceUid) {
      fixedFrame = frame;
    } else {
      others.push_back(std::move(frame));
    }
  }
  if (others.empty())
    damaged(file, "it registers no frame of reference other than its own",
            DCM_RegistrationSequence);
  if (others.size() > 1)
    throw Error(ErrorKind::Unsupported,
                "The Spatial Registration " + file.string() + " registers " +
                    std::to_string(others.size()) +
                    " frames of reference; TwinPlan reads one registration (two series) at a time.",
                file.string());
  const RegisteredFrame& moving = others.front();
  read.movingFrameOfReferenceUid = moving.frameOfReferenceUid;
  read.matrixType = moving.type;
  // moving -> Registered RCS -> fixed, then inverted to our fixed -> moving.
  const Eigen::Matrix4d movingToFixed = fixedFrame.toRegistered.inverse() * moving.toRegistered;
  const Eigen::Matrix4d fixedToMoving = movingToFixed.inverse();
  const Mat3 linear = fixedToMoving.topLeftCorner<3, 3>();
  const Vec3 translation = fixedToMoving.topRightCorner<3, 1>();
  const bool rigid =
      moving.type == "RIGID" && (fixedFrame.type.empty() || fixedFrame.type == "RIGID");
  read.fixedToMoving = rigid ? SpatialTransform::rigid(linear, translation)
                             : SpatialTransform::affine(linear, translation);
  return read;
}

}  // namespace twinplan::io
