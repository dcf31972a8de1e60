#include "twinplan/io/dicom_rtdose.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "dicom_attributes.h"
#include "dicom_object_writer.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_volume.h"

namespace twinplan::io {
namespace {

namespace fs = std::filesystem;

DcmDataset& loadDoseHeader(DcmFileFormat& file, const fs::path& path) {
  if (!fs::is_regular_file(path))
    throw Error(ErrorKind::NotFound, "The dose file " + path.string() + " does not exist.",
                path.string());
  // Pixel data is read by loadVolume; the header pass stops before it.
  const OFCondition loaded =
      file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
  if (loaded.bad())
    throw Error(ErrorKind::Corrupt,
                "The dose file " + path.string() + " cannot be read: " + loaded.text() +
                    " (a truncated or damaged file?). Export the dose again.",
                path.string());
  DcmDataset& ds = *file.getDataset();
  const std::string sopClass = detail::text(ds, DCM_SOPClassUID);
  if (sopClass != kRtDoseSopClass)
    throw Error(ErrorKind::InvalidInput,
                path.string() + " is not an RT Dose (its SOP Class UID is '" + sopClass +
                    "', modality '" + detail::text(ds, DCM_Modality) + "').",
                path.string());
  return ds;
}

void readPlanReference(DcmDataset& ds, RtDose& dose) {
  DcmItem* plan = nullptr;
  if (ds.findAndGetSequenceItem(DCM_ReferencedRTPlanSequence, plan, 0).bad() || !plan) return;
  dose.referencedPlanSopClassUid = detail::text(*plan, DCM_ReferencedSOPClassUID);
  dose.referencedPlanSopInstanceUid = detail::text(*plan, DCM_ReferencedSOPInstanceUID);
  DcmItem* fraction = nullptr;
  if (plan->findAndGetSequenceItem(DCM_ReferencedFractionGroupSequence, fraction, 0).bad() ||
      !fraction)
    return;
  const int group = detail::integer(*fraction, DCM_ReferencedFractionGroupNumber, -1);
  if (group >= 0) dose.referencedFractionGroupNumber = group;
  DcmSequenceOfItems* beams = nullptr;
  if (fraction->findAndGetSequence(DCM_ReferencedBeamSequence, beams).bad() || !beams) return;
  for (unsigned long n = 0; n < beams->card(); ++n) {
    const int beam = detail::integer(*beams->getItem(n), DCM_ReferencedBeamNumber, -1);
    if (beam >= 0) dose.referencedBeamNumbers.push_back(beam);
  }
}

ScalarField toField(const ImageVolume& volume, const std::string& unit) {
  ScalarField field;
  field.quantity = "dose";
  field.unit = unit;
  field.geometry = volume.geometry();
  field.values.resize(volume.voxelCount());
  visitGreyVoxels(volume, [&](auto voxels) {
    std::transform(voxels.begin(), voxels.end(), field.values.begin(),
                   [](auto v) { return static_cast<float>(v); });
  });
  return field;
}

}  // namespace

RtDose readRtDose(const fs::path& path, Progress& progress) {
  DcmFileFormat file;
  DcmDataset& ds = loadDoseHeader(file, path);
  RtDose dose;
  dose.doseUnits = detail::text(ds, DCM_DoseUnits);
  dose.doseType = detail::text(ds, DCM_DoseType);
  dose.summationType = detail::text(ds, DCM_DoseSummationType);
  dose.frameOfReferenceUid = detail::text(ds, DCM_FrameOfReferenceUID);
  dose.sopInstanceUid = detail::text(ds, DCM_SOPInstanceUID);
  dose.dicom = detail::readDicomInfo(ds);
  readPlanReference(ds, dose);
  DcmItem* structures = nullptr;
  if (ds.findAndGetSequenceItem(DCM_ReferencedStructureSetSequence, structures, 0).good() &&
      structures)
    dose.referencedStructureSetSopInstanceUid =
        detail::text(*structures, DCM_ReferencedSOPInstanceUID);

  if (!ds.tagExists(DCM_PixelData))
    throw Error(ErrorKind::Unsupported,
                "The RT Dose " + path.string() +
                    " has no Pixel Data: it holds a DVH or dose points only, not a dose grid.",
                "(7FE0,0010)");
  if (dose.doseUnits != "GY" && dose.doseUnits != "RELATIVE")
    throw Error(ErrorKind::Corrupt,
                "The RT Dose " + path.string() + " has Dose Units (3004,0002) '" + dose.doseUnits +
                    "'; PS3.3 C.8.8.3 allows GY or RELATIVE only.",
                "(3004,0002)");
  const std::optional<double> scaling = detail::number(ds, DCM_DoseGridScaling);
  if (!scaling || *scaling <= 0.0)
    throw Error(ErrorKind::Corrupt,
                "The RT Dose " + path.string() +
                    " has no positive Dose Grid Scaling (3004,000E), so its stored values "
                    "cannot be turned into dose (PS3.3 C.8.8.3, type 1C).",
                "(3004,000E)");
  dose.doseGridScaling = *scaling;
  if (dose.frameOfReferenceUid.empty())
    throw Error(ErrorKind::Corrupt,
                "The RT Dose " + path.string() +
                    " has no Frame of Reference UID (0020,0052): its grid cannot be placed on "
                    "any image or structure set.",
                "(0020,0052)");

  const ImageVolume volume = loadVolume(std::vector<fs::path>{path}, VolumeLoadOptions{}, progress);
  dose.dose = toField(volume, dose.doseUnits == "GY" ? units::kGray : units::kDimensionless);
  dose.dose.name = "Dose (" + (dose.summationType.empty() ? "RTDOSE" : dose.summationType) + ")";
  dose.notes = volume.assumptions;
  return dose;
}

namespace {

void requireWritable(const ScalarField& dose, const RtDoseWriteOptions& o, const fs::path& path) {
  const std::string what = "The RT Dose " + path.string();
  if (dose.quantity != "dose" || dose.unit != units::kGray)
    throw Error(ErrorKind::InvalidInput,
                what + " cannot be written: the field '" + dose.name + "' is " + dose.quantity +
                    " in '" + dose.unit + "', not a dose in Gy.",
                "dose");
  if (dose.values.size() != dose.geometry.voxelCount() || dose.values.empty())
    throw Error(ErrorKind::InvalidInput,
                what + " cannot be written: the field has " + std::to_string(dose.values.size()) +
                    " values for " + std::to_string(dose.geometry.voxelCount()) + " voxels.",
                "dose");
  if (o.dicom.studyInstanceUid.empty() || o.dicom.frameOfReferenceUid.empty())
    throw Error(ErrorKind::InvalidInput,
                what +
                    " cannot be written without the planning image's Study Instance UID and "
                    "Frame of Reference UID: the dose would not be placed on any image.",
                "dicom");
  const bool needsPlan =
      o.summationType == "PLAN" || o.summationType == "FRACTION" || o.summationType == "BEAM";
  if (needsPlan && o.referencedPlanSopInstanceUid.empty())
    throw Error(ErrorKind::InvalidInput,
                what + " with Dose Summation Type " + o.summationType +
                    " needs the SOP Instance UID of its RT Plan (Referenced RT Plan Sequence is "
                    "type 1C for it, PS3.3 C.8.8.3).",
                "referencedPlanSopInstanceUid");
  if (o.summationType == "BEAM" && o.referencedBeamNumbers.empty())
    throw Error(ErrorKind::InvalidInput, what + " is a BEAM dose but names no beam number.",
                "referencedBeamNumbers");
  for (float v : dose.values)
    if (!std::isfinite(v))
      throw Error(ErrorKind::InvalidInput,
                  what +
                      " cannot be written: the dose has a value "
                      "that is not a finite number.",
                  "dose");
}

}  // namespace

std::string writeRtDose(const ScalarField& dose, const fs::path& path, const RtDoseWriteOptions& o,
                        Progress& progress) {
  requireWritable(dose, o, path);
  const ImageGeometry& g = dose.geometry;
  const Vec3 row = g.direction.col(0), column = g.direction.col(1);
  const Vec3 normal = row.cross(column);
  const double sense = normal.dot(g.direction.col(2));
  if (std::abs(std::abs(sense) - 1.0) > 1e-4)
    throw Error(ErrorKind::InvalidInput,
                "The RT Dose " + path.string() +
                    " cannot be written: its grid's slice axis is not normal to its rows and "
                    "columns, which Grid Frame Offset Vector cannot describe (PS3.3 C.8.8.3.2).",
                "geometry");
  const auto [lowest, highest] = std::minmax_element(dose.values.begin(), dose.values.end());
  const bool signedValues = *lowest < 0.0f;
  if (signedValues && o.doseType != "ERROR")
    throw Error(ErrorKind::InvalidInput,
                "The RT Dose " + path.string() + " has negative doses (down to " +
                    std::to_string(*lowest) +
                    " Gy); only Dose Type ERROR may be signed (PS3.3 C.8.8.3.4).",
                "doseType");
  const double largest = std::max(std::abs(double{*lowest}), std::abs(double{*highest}));
  const double maxStored = signedValues ? 2147483647.0 : 4294967295.0;
  // DS holds 16 characters; the scaling is rounded to what is written and used from there.
  double scaling = largest > 0 ? largest / 2147483647.0 : 1.0;
  const std::string scalingText = detail::decimalString(scaling);
  scaling = std::stod(scalingText);

  DcmFileFormat file;
  detail::ItemWriter w(*file.getDataset(), "RTDOSE " + path.string());
  const std::string sopInstanceUid =
      detail::writeRtObjectHeader(w, o.dicom, kRtDoseSopClass, "RTDOSE", o.seriesDescription);
  w.text(DCM_InstanceNumber, "1");
  // Image Plane (C.7.6.2): Pixel Spacing is row spacing (between rows, along j) \ column.
  auto ds3 = [](const Vec3& v) {
    return detail::decimalString(v[0]) + "\\" + detail::decimalString(v[1]) + "\\" +
           detail::decimalString(v[2]);
  };
  w.text(DCM_ImagePositionPatient, ds3(g.origin_lps));
  w.text(DCM_ImageOrientationPatient, ds3(row) + "\\" + ds3(column));
  w.text(DCM_PixelSpacing,
         detail::decimalString(g.spacing_mm[1]) + "\\" + detail::decimalString(g.spacing_mm[0]));
  w.text(DCM_SliceThickness, "");
  // Image Pixel (C.7.6.3) and Multi-frame (C.7.6.6).
  w.u16(DCM_SamplesPerPixel, 1);
  w.text(DCM_PhotometricInterpretation, "MONOCHROME2");
  w.u16(DCM_Rows, static_cast<Uint16>(g.size[1]));
  w.u16(DCM_Columns, static_cast<Uint16>(g.size[0]));
  w.u16(DCM_BitsAllocated, 32);
  w.u16(DCM_BitsStored, 32);
  w.u16(DCM_HighBit, 31);
  w.u16(DCM_PixelRepresentation, signedValues ? 1 : 0);
  w.text(DCM_NumberOfFrames, std::to_string(g.size[2]));
  w.tagKey(DCM_FrameIncrementPointer, DCM_GridFrameOffsetVector);
  // RT Dose (C.8.8.3): relative offsets from the first frame, signed by the k axis' sense.
  std::string offsets;
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    if (k) offsets += '\\';
    offsets += detail::decimalString(sense * g.spacing_mm[2] * static_cast<double>(k));
  }
  w.text(DCM_GridFrameOffsetVector, offsets);
  w.text(DCM_DoseUnits, "GY");
  w.text(DCM_DoseType, o.doseType);
  w.text(DCM_DoseSummationType, o.summationType);
  w.text(DCM_DoseGridScaling, scalingText);
  if (!o.referencedPlanSopInstanceUid.empty()) {
    detail::ItemWriter plan = w.append(DCM_ReferencedRTPlanSequence);
    plan.text(DCM_ReferencedSOPClassUID, o.referencedPlanSopClassUid);
    plan.text(DCM_ReferencedSOPInstanceUID, o.referencedPlanSopInstanceUid);
    // Referenced Fraction Group Sequence is type 1C: present for a dose of part of the plan
    // (FRACTION, BEAM, BRACHY, their _SESSION forms, CONTROL_POINT) and "shall not be present
    // otherwise" (PS3.3 C.8.8.3; dciodvfy flags it on a PLAN dose).
    const std::string& s = o.summationType;
    const bool partOfPlan = s == "FRACTION" || s == "BEAM" || s == "BRACHY" ||
                            s == "CONTROL_POINT" || s.ends_with("_SESSION");
    if (o.referencedFractionGroupNumber && partOfPlan) {
      detail::ItemWriter fraction = plan.append(DCM_ReferencedFractionGroupSequence);
      fraction.text(DCM_ReferencedFractionGroupNumber,
                    std::to_string(*o.referencedFractionGroupNumber));
      for (int beam : o.referencedBeamNumbers)
        fraction.append(DCM_ReferencedBeamSequence)
            .text(DCM_ReferencedBeamNumber, std::to_string(beam));
    }
  }
  // No Referenced Structure Set Sequence: in an RT Dose it belongs to the RT DVH module
  // (C.8.8.4), whose DVH Sequence (type 1) TwinPlan does not write; the dose reaches the
  // structure set through its plan.
  progress.check();
  // Stored value = round(dose / scaling), 32-bit, little-endian words of OW.
  std::vector<Uint16> words(dose.values.size() * 2);
  for (std::size_t n = 0; n < dose.values.size(); ++n) {
    const double stored = std::clamp(std::round(dose.values[n] / scaling),
                                     signedValues ? -2147483648.0 : 0.0, maxStored);
    const std::uint32_t bits = signedValues
                                   ? static_cast<std::uint32_t>(static_cast<std::int32_t>(stored))
                                   : static_cast<std::uint32_t>(stored);
    words[2 * n] = static_cast<Uint16>(bits & 0xFFFFu);
    words[2 * n + 1] = static_cast<Uint16>(bits >> 16);
  }
  const OFCondition put = file.getDataset()->putAndInsertUint16Array(
      DCM_PixelData, words.data(), static_cast<unsigned long>(words.size()));
  if (put.bad())
    throw Error(
        ErrorKind::Io,
        "The RT Dose " + path.string() + " pixel data could not be set: " + put.text() + ".",
        path.string());
  progress.report(0.5, "Writing the dose");
  detail::saveAtomically(file, path, EXS_LittleEndianExplicit);
  progress.report(1.0, "Dose written");
  return sopInstanceUid;
}

}  // namespace twinplan::io
