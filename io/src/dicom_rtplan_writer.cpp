// RT Plan export (PS3.3 A.20): the plan model -> one RT Plan Storage object.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>

#include "dicom_object_writer.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"
#include "twinplan/io/dicom_rtplan.h"

namespace twinplan::io {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRtStructureSetSopClass = "1.2.840.10008.5.1.4.1.1.481.3";

std::string decimals(const std::vector<double>& values) {
  std::string text;
  for (std::size_t n = 0; n < values.size(); ++n) {
    if (n) text += '\\';
    text += detail::decimalString(values[n]);
  }
  return text;
}

std::string number(double value) { return detail::decimalString(value); }
std::string integer(int value) { return std::to_string(value); }

[[noreturn]] void refuse(const fs::path& path, const std::string& why, const std::string& where) {
  throw Error(ErrorKind::InvalidInput,
              "The RT Plan " + path.string() + " cannot be written: " + why, where);
}

int leafJawPairs(const Beam& beam, const std::string& type) {
  for (const BeamLimitingDevice& d : beam.devices)
    if (d.type == type) return d.leafJawPairs;
  return -1;
}

void requireWritable(const RtPlan& plan, const RtPlanWriteOptions& o, const fs::path& path) {
  if (plan.ion)
    throw Error(ErrorKind::Unsupported,
                "The RT Plan " + path.string() +
                    " cannot be written: exporting RT Ion Plans is not supported (TwinPlan plans "
                    "photon and electron beams).",
                "ion");
  if (plan.label.empty()) refuse(path, "the plan has no label (RT Plan Label is type 1).", "label");
  if (o.dicom.studyInstanceUid.empty() || o.dicom.frameOfReferenceUid.empty())
    refuse(path,
           "it needs the planning image's Study Instance UID and Frame of Reference UID, or "
           "its beams would not be placed on any image.",
           "dicom");
  const std::string geometry = plan.geometry.empty() ? "PATIENT" : plan.geometry;
  if (geometry == "PATIENT" && o.referencedStructureSetSopInstanceUid.empty())
    refuse(path,
           "a PATIENT plan references the RT Structure Set it was made on (Referenced Structure "
           "Set Sequence is type 1C, PS3.3 C.8.8.9); export the structures first.",
           "referencedStructureSetSopInstanceUid");
  for (const Beam& beam : plan.beams) {
    const std::string label = "beam " + integer(beam.number) + " '" + beam.name + "'";
    if (beam.controlPoints.size() < 2)
      refuse(path,
             label + " has " + integer(static_cast<int>(beam.controlPoints.size())) +
                 " control points; a beam has at least two (PS3.3 C.8.8.14).",
             "controlPoints");
    for (const ControlPoint& cp : beam.controlPoints)
      for (const DevicePositions& d : cp.devices) {
        const int pairs = leafJawPairs(beam, d.type);
        if (pairs < 0 || d.positions_mm.size() != static_cast<std::size_t>(2 * pairs))
          refuse(path,
                 label + ", control point " + integer(cp.index) + ": device " + d.type + " has " +
                     integer(static_cast<int>(d.positions_mm.size())) +
                     " positions, which does not match the beam's limiting devices.",
                 d.type);
      }
  }
}

void writeGeneralPlan(detail::ItemWriter& w, const RtPlan& plan, const RtPlanWriteOptions& o) {
  w.text(DCM_RTPlanLabel, plan.label);
  w.text(DCM_RTPlanName, plan.name);
  w.text(DCM_RTPlanDate, detail::dicomDate());
  w.text(DCM_RTPlanTime, detail::dicomTime());
  w.text(DCM_RTPlanGeometry, plan.geometry.empty() ? "PATIENT" : plan.geometry);
  if (!o.referencedStructureSetSopInstanceUid.empty()) {
    detail::ItemWriter rs = w.append(DCM_ReferencedStructureSetSequence);
    rs.text(DCM_ReferencedSOPClassUID, kRtStructureSetSopClass);
    rs.text(DCM_ReferencedSOPInstanceUID, o.referencedStructureSetSopInstanceUid);
  }
  // RT Prescription (C.8.8.10): one target site carrying the prescription dose.
  if (plan.prescriptionDose_Gy) {
    detail::ItemWriter reference = w.append(DCM_DoseReferenceSequence);
    reference.text(DCM_DoseReferenceNumber, "1");
    reference.text(DCM_DoseReferenceStructureType, "SITE");
    reference.text(DCM_DoseReferenceType, "TARGET");
    reference.text(DCM_TargetPrescriptionDose, number(*plan.prescriptionDose_Gy));
  }
  // RT Patient Setup (C.8.8.12): every beam refers to setup 1.
  detail::ItemWriter setup = w.append(DCM_PatientSetupSequence);
  setup.text(DCM_PatientSetupNumber, "1");
  setup.text(DCM_PatientPosition, plan.patientPosition.empty() ? "HFS" : plan.patientPosition);
}

void writeFractionScheme(detail::ItemWriter& w, const RtPlan& plan) {
  for (const FractionGroup& group : plan.fractionGroups) {
    detail::ItemWriter g = w.append(DCM_FractionGroupSequence);
    g.text(DCM_FractionGroupNumber, integer(group.number));
    g.text(DCM_NumberOfFractionsPlanned, integer(group.fractionsPlanned));
    g.text(DCM_NumberOfBeams, integer(static_cast<int>(group.beamNumbers.size())));
    g.text(DCM_NumberOfBrachyApplicationSetups, "0");
    for (int number : group.beamNumbers) {
      detail::ItemWriter ref = g.append(DCM_ReferencedBeamSequence);
      ref.text(DCM_ReferencedBeamNumber, integer(number));
      const Beam* beam = plan.beam(number);
      if (beam && beam->meterset)
        ref.text(DCM_BeamMeterset, detail::decimalString(*beam->meterset));
      if (beam && beam->beamDose_Gy)
        ref.text(DCM_BeamDose, detail::decimalString(*beam->beamDose_Gy));
    }
  }
}

// One control point: the first states every setting; a later one only what changed (C.8.8.14.5).
void writeControlPoint(detail::ItemWriter& item, const ControlPoint& cp,
                       const ControlPoint* previous) {
  item.text(DCM_ControlPointIndex, integer(cp.index));
  const bool first = previous == nullptr;
  if (cp.nominalEnergy && (first || previous->nominalEnergy != cp.nominalEnergy))
    item.text(DCM_NominalBeamEnergy, number(*cp.nominalEnergy));
  for (const DevicePositions& d : cp.devices) {
    const DevicePositions* before = nullptr;
    if (!first)
      for (const DevicePositions& p : previous->devices)
        if (p.type == d.type) before = &p;
    if (before && before->positions_mm == d.positions_mm) continue;
    detail::ItemWriter p = item.append(DCM_BeamLimitingDevicePositionSequence);
    p.text(DCM_RTBeamLimitingDeviceType, d.type);
    p.text(DCM_LeafJawPositions, decimals(d.positions_mm));
  }
  if (first || previous->gantryAngle_deg != cp.gantryAngle_deg ||
      previous->gantryRotationDirection != cp.gantryRotationDirection) {
    item.text(DCM_GantryAngle, number(cp.gantryAngle_deg));
    item.text(DCM_GantryRotationDirection, cp.gantryRotationDirection);
  }
  if (first || previous->collimatorAngle_deg != cp.collimatorAngle_deg) {
    item.text(DCM_BeamLimitingDeviceAngle, number(cp.collimatorAngle_deg));
    item.text(DCM_BeamLimitingDeviceRotationDirection, "NONE");
  }
  if (first || previous->couchAngle_deg != cp.couchAngle_deg) {
    item.text(DCM_PatientSupportAngle, number(cp.couchAngle_deg));
    item.text(DCM_PatientSupportRotationDirection, "NONE");
  }
  if (first) {
    // Table top eccentric angle and positions: type 1C/2C on the first point (C.8.8.14.5);
    // TwinPlan does not model the table top, so the angle is 0 and the positions are empty.
    item.text(DCM_TableTopEccentricAngle, "0");
    item.text(DCM_TableTopEccentricRotationDirection, "NONE");
    item.text(DCM_TableTopVerticalPosition, "");
    item.text(DCM_TableTopLongitudinalPosition, "");
    item.text(DCM_TableTopLateralPosition, "");
  }
  if (cp.isocentre_lps && (first || previous->isocentre_lps != cp.isocentre_lps)) {
    const Vec3& iso = *cp.isocentre_lps;
    item.text(DCM_IsocenterPosition, decimals({iso[0], iso[1], iso[2]}));
  }
  item.text(DCM_CumulativeMetersetWeight, detail::decimalString(cp.cumulativeMetersetWeight));
}

void writeBeam(detail::ItemWriter& w, const Beam& beam) {
  detail::ItemWriter b = w.append(DCM_BeamSequence);
  b.text(DCM_BeamNumber, integer(beam.number));
  b.text(DCM_BeamName, beam.name);
  if (!beam.description.empty()) b.text(DCM_BeamDescription, beam.description);
  b.text(DCM_BeamType, beam.type.empty() ? "STATIC" : beam.type);
  b.text(DCM_RadiationType, beam.radiationType.empty() ? "PHOTON" : beam.radiationType);
  b.text(DCM_TreatmentMachineName, beam.machine);
  b.text(DCM_PrimaryDosimeterUnit, beam.primaryDosimeterUnit);
  if (beam.sourceAxisDistance_mm)
    b.text(DCM_SourceAxisDistance, number(*beam.sourceAxisDistance_mm));
  for (const BeamLimitingDevice& d : beam.devices) {
    detail::ItemWriter device = b.append(DCM_BeamLimitingDeviceSequence);
    device.text(DCM_RTBeamLimitingDeviceType, d.type);
    device.text(DCM_NumberOfLeafJawPairs, integer(d.leafJawPairs));
    if (!d.leafBoundaries_mm.empty())
      device.text(DCM_LeafPositionBoundaries, decimals(d.leafBoundaries_mm));
  }
  b.text(DCM_ReferencedPatientSetupNumber, "1");
  b.text(DCM_TreatmentDeliveryType, "TREATMENT");
  for (const DcmTagKey& none :
       {DCM_NumberOfWedges, DCM_NumberOfCompensators, DCM_NumberOfBoli, DCM_NumberOfBlocks})
    b.text(none, "0");
  b.text(DCM_FinalCumulativeMetersetWeight, number(beam.finalCumulativeMetersetWeight));
  b.text(DCM_NumberOfControlPoints, integer(static_cast<int>(beam.controlPoints.size())));
  for (std::size_t n = 0; n < beam.controlPoints.size(); ++n) {
    detail::ItemWriter cp = b.append(DCM_ControlPointSequence);
    writeControlPoint(cp, beam.controlPoints[n], n ? &beam.controlPoints[n - 1] : nullptr);
  }
}

}  // namespace

std::string writeRtPlan(const RtPlan& plan, const fs::path& path, const RtPlanWriteOptions& o,
                        Progress& progress) {
  requireWritable(plan, o, path);
  DcmFileFormat file;
  detail::ItemWriter w(*file.getDataset(), "RTPLAN " + path.string());
  const std::string sopInstanceUid = detail::writeRtObjectHeader(
      w, o.dicom, kRtPlanSopClass, "RTPLAN", o.seriesDescription, o.sopInstanceUid);
  writeGeneralPlan(w, plan, o);
  writeFractionScheme(w, plan);
  for (std::size_t n = 0; n < plan.beams.size(); ++n) {
    progress.check();
    writeBeam(w, plan.beams[n]);
    progress.report(0.9 * static_cast<double>(n + 1) / static_cast<double>(plan.beams.size()),
                    "Writing beams");
  }
  detail::saveAtomically(file, path, EXS_LittleEndianExplicit);
  progress.report(1.0, "Plan written");
  return sopInstanceUid;
}

}  // namespace twinplan::io
