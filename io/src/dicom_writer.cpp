#include "twinplan/io/dicom_writer.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <unistd.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <system_error>

namespace twinplan::io {
namespace fs = std::filesystem;

std::string makeDicomUid(UidKind kind) {
  const char* root = SITE_INSTANCE_UID_ROOT;
  switch (kind) {
    case UidKind::Study:
      root = SITE_STUDY_UID_ROOT;
      break;
    case UidKind::Series:
      root = SITE_SERIES_UID_ROOT;
      break;
    // DCMTK defines no frame-of-reference sub-root; the instance root is as unique.
    case UidKind::Instance:
    case UidKind::FrameOfReference:
      root = SITE_INSTANCE_UID_ROOT;
      break;
  }
  char uid[100];
  dcmGenerateUniqueIdentifier(uid, root);
  return uid;
}

namespace {

// A decimal string (VR DS) holds at most 16 characters.
std::string decimalString(double value) {
  if (std::abs(value) < 1e-9) value = 0.0;  // -0 and rounding dust of cosines
  char text[32];
  for (int precision = 12; precision >= 4; --precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strlen(text) <= 16) break;
  }
  return text;
}

std::string decimalStrings(std::initializer_list<double> values) {
  std::string out;
  for (double v : values) {
    if (!out.empty()) out += '\\';
    out += decimalString(v);
  }
  return out;
}

bool isAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string today(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, format, &local);
  return text;
}

// How voxels become 16-bit stored values.
struct PixelEncoding {
  bool isSigned = true;
  bool rescaled = false;  // quantised: RescaleSlope/Intercept are needed to read values back
  double slope = 1.0, intercept = 0.0;
  double storedMin = 0.0, storedMax = 0.0;  // range of the stored values (for a window)
};

PixelEncoding chooseEncoding(const ImageVolume& volume) {
  PixelEncoding e;
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
  auto scan = [&]<class T>(std::span<const T> values) {
    for (T v : values) {
      lo = std::min(lo, static_cast<double>(v));
      hi = std::max(hi, static_cast<double>(v));
    }
  };
  switch (volume.pixelType()) {
    case PixelType::Int16:
      scan(volume.voxels<std::int16_t>());
      break;
    case PixelType::UInt16:
      scan(volume.voxels<std::uint16_t>());
      e.isSigned = false;
      break;
    case PixelType::UInt8:
      scan(volume.voxels<std::uint8_t>());
      e.isSigned = false;
      break;
    case PixelType::Int32:
    case PixelType::Float32: {
      if (volume.pixelType() == PixelType::Int32) {
        scan(volume.voxels<std::int32_t>());
      } else {
        for (float v : volume.voxels<float>()) {
          if (!std::isfinite(v)) {
            throw Error(ErrorKind::InvalidInput,
                        "Volume '" + volume.name +
                            "' holds NaN or infinite values, which DICOM images cannot store.",
                        volume.name);
          }
          lo = std::min(lo, static_cast<double>(v));
          hi = std::max(hi, static_cast<double>(v));
        }
      }
      e.rescaled = true;
      e.intercept = 0.5 * (lo + hi);
      e.slope = hi > lo ? (hi - lo) / 65534.0 : 1.0;
      e.storedMin = std::round((lo - e.intercept) / e.slope);
      e.storedMax = std::round((hi - e.intercept) / e.slope);
      return e;
    }
    case PixelType::Rgb8:  // refused by writeDicomSeries
      throw Error(ErrorKind::Internal, "A colour volume reached the DICOM series writer.");
  }
  e.storedMin = lo;
  e.storedMax = hi;
  return e;
}

// Slice k as 16-bit words (the bit pattern of int16 for signed data).
void encodeSlice(const ImageVolume& volume, const PixelEncoding& e, std::int64_t k,
                 std::vector<Uint16>& out) {
  const auto& g = volume.geometry();
  const std::size_t n = static_cast<std::size_t>(g.size[0] * g.size[1]);
  const std::size_t first = n * static_cast<std::size_t>(k);
  out.resize(n);
  switch (volume.pixelType()) {
    case PixelType::Int16:
    case PixelType::UInt16:
      std::memcpy(out.data(), volume.bytes().data() + first * 2, n * 2);
      return;
    case PixelType::UInt8: {
      auto v = volume.voxels<std::uint8_t>().subspan(first, n);
      std::copy(v.begin(), v.end(), out.begin());
      return;
    }
    case PixelType::Int32:
    case PixelType::Float32:
      for (std::size_t i = 0; i < n; ++i) {
        const double value = volume.pixelType() == PixelType::Int32
                                 ? static_cast<double>(volume.voxels<std::int32_t>()[first + i])
                                 : static_cast<double>(volume.voxels<float>()[first + i]);
        const double stored =
            std::clamp(std::round((value - e.intercept) / e.slope), -32767.0, 32767.0);
        out[i] = static_cast<Uint16>(static_cast<std::int16_t>(stored));
      }
      return;
    case PixelType::Rgb8:  // refused by writeDicomSeries
      return;
  }
}

class DatasetWriter {
 public:
  DatasetWriter(DcmDataset& dataset, const fs::path& file) : dataset_(dataset), file_(file) {}
  void text(const DcmTagKey& tag, const std::string& value) {
    check(dataset_.putAndInsertString(DcmTag(tag), value.c_str()), tag);
  }
  void u16(const DcmTagKey& tag, Uint16 value) {
    check(dataset_.putAndInsertUint16(DcmTag(tag), value), tag);
  }
  void check(const OFCondition& condition, const DcmTagKey& tag) const {
    if (condition.bad()) {
      throw Error(ErrorKind::Internal,
                  "Could not set DICOM attribute " + std::string(tag.toString().c_str()) + " for " +
                      file_.string() + ": " + condition.text(),
                  file_.string());
    }
  }

 private:
  DcmDataset& dataset_;
  const fs::path& file_;
};

std::string chooseModality(const ImageVolume& volume, const DicomWriteOptions& options) {
  std::string modality = !options.modality.empty() ? options.modality : volume.dicom.modality;
  if (modality.empty() && volume.unit == "HU") modality = "CT";
  if (modality != "CT" && modality != "MR") {
    throw Error(ErrorKind::Unsupported,
                "Cannot write volume '" + volume.name + "' as DICOM: modality '" + modality +
                    "' is not supported (use CT or MR, or set DicomWriteOptions::modality).",
                volume.name);
  }
  return modality;
}

void checkGeometry(const ImageVolume& volume) {
  const auto& g = volume.geometry();
  if (volume.empty() || g.size[0] < 1 || g.size[1] < 1 || g.size[2] < 1) {
    throw Error(ErrorKind::InvalidInput, "Volume '" + volume.name + "' is empty; nothing to write.",
                volume.name);
  }
  if (g.size[0] > 65535 || g.size[1] > 65535) {
    throw Error(ErrorKind::Unsupported,
                "Volume '" + volume.name +
                    "' has slices larger than 65535 pixels a side, "
                    "which DICOM Rows/Columns cannot hold.",
                volume.name);
  }
  if (!(g.spacing_mm.array() > 0.0).all()) {
    throw Error(ErrorKind::InvalidInput,
                "Volume '" + volume.name + "' has a non-positive voxel spacing.", volume.name);
  }
  const Mat3 gram = g.direction.transpose() * g.direction;
  if ((gram - Mat3::Identity()).cwiseAbs().maxCoeff() > 1e-4) {
    throw Error(ErrorKind::Unsupported,
                "Volume '" + volume.name +
                    "' has a sheared (non-orthonormal) grid, which a "
                    "classic DICOM series cannot describe; resample it first.",
                volume.name);
  }
}

void removeQuietly(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

}  // namespace

DicomWriteResult writeDicomSeries(const ImageVolume& volume, const fs::path& folder,
                                  const DicomWriteOptions& options, Progress& progress) {
  requirePatientVolume(volume, "writing a DICOM CT/MR series");
  checkGeometry(volume);
  const std::string modality = chooseModality(volume, options);
  const auto& g = volume.geometry();
  const DicomInfo& info = volume.dicom;

  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    throw Error(ErrorKind::Io,
                "Cannot create the folder " + folder.string() +
                    " for the DICOM series: " + ec.message() + ".",
                folder.string());
  }
  if (options.requireEmptyFolder && !fs::is_empty(folder, ec)) {
    throw Error(ErrorKind::InvalidInput,
                "The folder " + folder.string() +
                    " is not empty; choose an empty folder for "
                    "the DICOM series.",
                folder.string());
  }

  DicomWriteResult result;
  auto pick = [](const std::string& a, const std::string& b, UidKind kind) {
    return !a.empty() ? a : (!b.empty() ? b : makeDicomUid(kind));
  };
  result.studyInstanceUid = pick(options.studyInstanceUid, info.studyInstanceUid, UidKind::Study);
  result.seriesInstanceUid =
      pick(options.seriesInstanceUid, info.seriesInstanceUid, UidKind::Series);
  result.frameOfReferenceUid =
      pick(options.frameOfReferenceUid, info.frameOfReferenceUid, UidKind::FrameOfReference);
  result.sopClassUid = modality == "CT" ? UID_CTImageStorage : UID_MRImageStorage;

  const PixelEncoding encoding = chooseEncoding(volume);
  const bool writeRescale = modality == "CT" || encoding.rescaled;

  double windowCenter = options.windowCenter, windowWidth = options.windowWidth;
  if (windowWidth <= 0.0) {
    windowCenter = info.windowCenter;
    windowWidth = info.windowWidth;
  }
  if (windowWidth <= 0.0) {
    if (modality == "CT") {
      windowCenter = 40.0;  // abdominal soft-tissue window (C 40 / W 400)
      windowWidth = 400.0;
    } else {
      const double lo = encoding.storedMin * encoding.slope + encoding.intercept;
      const double hi = encoding.storedMax * encoding.slope + encoding.intercept;
      windowCenter = 0.5 * (lo + hi);
      windowWidth = std::max(1.0, hi - lo);
    }
  }

  const std::string studyDate = !info.studyDate.empty() ? info.studyDate : today("%Y%m%d");
  const std::string studyTime = !info.studyTime.empty() ? info.studyTime : today("%H%M%S");
  const std::string seriesDate = !info.seriesDate.empty() ? info.seriesDate : studyDate;
  const std::string seriesTime = !info.seriesTime.empty() ? info.seriesTime : studyTime;
  const int seriesNumber = options.seriesNumber > 0
                               ? options.seriesNumber
                               : (info.seriesNumber > 0 ? info.seriesNumber : 1);
  const std::string description = !options.seriesDescription.empty() ? options.seriesDescription
                                  : !info.seriesDescription.empty()  ? info.seriesDescription
                                                                     : volume.name;
  const std::string patientPosition = !options.patientPosition.empty() ? options.patientPosition
                                      : !info.patientPosition.empty()  ? info.patientPosition
                                                                       : "HFS";
  const std::string imageType = !info.imageType.empty() ? info.imageType
                                : modality == "CT"      ? "ORIGINAL\\PRIMARY\\AXIAL"
                                                        : "ORIGINAL\\PRIMARY\\OTHER";
  // A character set is declared only when some text is not plain ASCII (then it is UTF-8).
  bool allAscii = true;
  for (const std::string* s : {&info.patientName, &info.patientId, &info.studyDescription,
                               &description, &info.institutionName, &info.manufacturer,
                               &info.manufacturerModel, &info.bodyPartExamined}) {
    allAscii = allAscii && isAscii(*s);
  }
  const bool utf8 = !allAscii;

  const Vec3 row = g.direction.col(0), column = g.direction.col(1);
  const Vec3 normal = row.cross(column);
  const std::string orientation =
      decimalStrings({row[0], row[1], row[2], column[0], column[1], column[2]});
  // PixelSpacing is "row spacing\column spacing": the distance between rows (along j) first.
  const std::string pixelSpacing = decimalStrings({g.spacing_mm[1], g.spacing_mm[0]});

  std::vector<Uint16> words;
  const std::int64_t slices = g.size[2];
  result.files.reserve(static_cast<std::size_t>(slices));
  char name[64];
  for (std::int64_t k = 0; k < slices; ++k) {
    progress.check();
    std::snprintf(name, sizeof name, "%s%05lld.dcm", options.filePrefix.c_str(),
                  static_cast<long long>(k + 1));
    const fs::path file = folder / name;
    // Hidden temporary name beside the final one (GCC 12 warns falsely on "." + string).
    std::string temporaryName(1, '.');
    temporaryName.append(name).append(".tmp").append(std::to_string(::getpid()));
    const fs::path temporary = folder / temporaryName;

    DcmFileFormat fileFormat;
    DcmDataset& ds = *fileFormat.getDataset();
    DatasetWriter w(ds, file);
    if (utf8) w.text(DCM_SpecificCharacterSet, "ISO_IR 192");
    w.text(DCM_SOPClassUID, result.sopClassUid);
    w.text(DCM_SOPInstanceUID, makeDicomUid(UidKind::Instance));
    w.text(DCM_ImageType, imageType);
    // Patient
    w.text(DCM_PatientName, info.patientName);
    w.text(DCM_PatientID, info.patientId);
    w.text(DCM_PatientBirthDate, info.patientBirthDate);
    w.text(DCM_PatientSex, info.patientSex);
    // Study
    w.text(DCM_StudyInstanceUID, result.studyInstanceUid);
    w.text(DCM_StudyDate, studyDate);
    w.text(DCM_StudyTime, studyTime);
    w.text(DCM_StudyID, "1");
    w.text(DCM_AccessionNumber, info.accessionNumber);
    w.text(DCM_ReferringPhysicianName, "");
    w.text(DCM_StudyDescription, info.studyDescription);
    // Series, equipment, frame of reference
    w.text(DCM_Modality, modality);
    w.text(DCM_SeriesInstanceUID, result.seriesInstanceUid);
    w.text(DCM_SeriesNumber, std::to_string(seriesNumber));
    w.text(DCM_SeriesDate, seriesDate);
    w.text(DCM_SeriesTime, seriesTime);
    w.text(DCM_SeriesDescription, description);
    w.text(DCM_PatientPosition, patientPosition);
    w.text(DCM_BodyPartExamined, info.bodyPartExamined);
    w.text(DCM_Manufacturer, !info.manufacturer.empty() ? info.manufacturer : options.manufacturer);
    w.text(DCM_ManufacturerModelName, info.manufacturerModel);
    w.text(DCM_InstitutionName, info.institutionName);
    w.text(DCM_FrameOfReferenceUID, result.frameOfReferenceUid);
    w.text(DCM_PositionReferenceIndicator, "");
    // Image
    w.text(DCM_InstanceNumber, std::to_string(k + 1));
    w.text(DCM_AcquisitionNumber, "1");
    w.text(DCM_ContentDate, seriesDate);
    w.text(DCM_ContentTime, seriesTime);
    if (!info.acquisitionTime.empty()) w.text(DCM_AcquisitionTime, info.acquisitionTime);
    const Vec3 position = g.indexToLps(Vec3(0.0, 0.0, static_cast<double>(k)));
    w.text(DCM_ImagePositionPatient, decimalStrings({position[0], position[1], position[2]}));
    w.text(DCM_ImageOrientationPatient, orientation);
    w.text(DCM_SliceLocation, decimalString(position.dot(normal)));
    w.text(DCM_PixelSpacing, pixelSpacing);
    w.text(DCM_SliceThickness, decimalString(g.spacing_mm[2]));
    w.text(DCM_SpacingBetweenSlices, decimalString(g.spacing_mm[2]));
    // Image pixel
    w.u16(DCM_SamplesPerPixel, 1);
    // The values are never inverted; a MONOCHROME1 source stays MONOCHROME1 so that other
    // viewers show it as it was (PS3.3 C.7.6.3.1.2).
    w.text(DCM_PhotometricInterpretation, info.displayInverted ? "MONOCHROME1" : "MONOCHROME2");
    w.u16(DCM_Rows, static_cast<Uint16>(g.size[1]));
    w.u16(DCM_Columns, static_cast<Uint16>(g.size[0]));
    w.u16(DCM_BitsAllocated, 16);
    w.u16(DCM_BitsStored, 16);
    w.u16(DCM_HighBit, 15);
    w.u16(DCM_PixelRepresentation, encoding.isSigned ? 1 : 0);
    if (writeRescale) {
      w.text(DCM_RescaleIntercept, decimalString(encoding.intercept));
      w.text(DCM_RescaleSlope, decimalString(encoding.slope));
      w.text(DCM_RescaleType, modality == "CT" && volume.unit == "HU" ? "HU" : "US");
    }
    w.text(DCM_WindowCenter, decimalString(windowCenter));
    w.text(DCM_WindowWidth, decimalString(windowWidth));
    if (modality == "CT") {
      w.text(DCM_KVP, decimalString(options.kvp));
    } else {
      const MrAcquisition& mr = options.mr;
      w.text(DCM_ScanningSequence, mr.scanningSequence);
      w.text(DCM_SequenceVariant, mr.sequenceVariant);
      w.text(DCM_ScanOptions, mr.scanOptions);
      w.text(DCM_MRAcquisitionType, mr.acquisitionType);
      w.text(DCM_RepetitionTime, decimalString(mr.repetitionTime_ms));
      w.text(DCM_EchoTime, decimalString(mr.echoTime_ms));
      w.text(DCM_InversionTime, decimalString(mr.inversionTime_ms));
      w.text(DCM_FlipAngle, decimalString(mr.flipAngle_deg));
      w.text(DCM_MagneticFieldStrength, decimalString(mr.fieldStrength_T));
      w.text(DCM_EchoTrainLength, "1");
      w.text(DCM_ImagedNucleus, "1H");
    }
    encodeSlice(volume, encoding, k, words);
    w.check(ds.putAndInsertUint16Array(DCM_PixelData, words.data(),
                                       static_cast<unsigned long>(words.size())),
            DCM_PixelData);

    const OFCondition saved = fileFormat.saveFile(temporary.c_str(), EXS_LittleEndianExplicit);
    if (saved.bad()) {
      removeQuietly(temporary);
      throw Error(ErrorKind::Io,
                  "Could not write the DICOM file " + file.string() + ": " + saved.text() +
                      ". Check that the folder is writable and the disk is not full.",
                  file.string());
    }
    fs::rename(temporary, file, ec);
    if (ec) {
      removeQuietly(temporary);
      throw Error(ErrorKind::Io,
                  "Could not move the DICOM file into place at " + file.string() + ": " +
                      ec.message() + ".",
                  file.string());
    }
    result.files.push_back(file);
    progress.report(static_cast<double>(k + 1) / static_cast<double>(slices),
                    "Writing DICOM slices");
  }
  return result;
}

}  // namespace twinplan::io
