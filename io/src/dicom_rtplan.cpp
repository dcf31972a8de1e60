#include "twinplan/io/dicom_rtplan.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <algorithm>

#include "dicom_attributes.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_rtdose.h"

namespace twinplan::io {
namespace {

namespace fs = std::filesystem;

// The tags that differ between RT Plan and RT Ion Plan (PS3.3 C.8.8.14 vs C.8.8.25).
struct PlanTags {
  DcmTagKey beams, controlPoints, devices;
};
const PlanTags kPhotonTags{DCM_BeamSequence, DCM_ControlPointSequence,
                           DCM_BeamLimitingDeviceSequence};
const PlanTags kIonTags{DCM_IonBeamSequence, DCM_IonControlPointSequence,
                        DCM_IonBeamLimitingDeviceSequence};

std::vector<double> numbers(DcmItem& item, const DcmTagKey& tag) {
  std::vector<double> values;
  DcmElement* element = nullptr;
  if (item.findAndGetElement(tag, element).bad() || !element) return values;
  for (unsigned long n = 0; n < element->getVM(); ++n) {
    Float64 v = 0;
    if (element->getFloat64(v, n).good()) values.push_back(v);
  }
  return values;
}

DcmDataset& loadPlan(DcmFileFormat& file, const fs::path& path) {
  if (!fs::is_regular_file(path))
    throw Error(ErrorKind::NotFound, "The plan " + path.string() + " does not exist.",
                path.string());
  const OFCondition loaded = file.loadFile(path.c_str());
  if (loaded.bad())
    throw Error(ErrorKind::Corrupt,
                "The plan " + path.string() + " cannot be read: " + loaded.text() +
                    " (a truncated or damaged file?). Export the plan again from the planning "
                    "system.",
                path.string());
  DcmDataset& ds = *file.getDataset();
  const std::string sopClass = detail::text(ds, DCM_SOPClassUID);
  if (sopClass != kRtPlanSopClass && sopClass != kRtIonPlanSopClass)
    throw Error(ErrorKind::InvalidInput,
                path.string() + " is not an RT Plan or RT Ion Plan (its SOP Class UID is '" +
                    sopClass + "', modality '" + detail::text(ds, DCM_Modality) + "').",
                path.string());
  return ds;
}

std::vector<BeamLimitingDevice> readDevices(DcmItem& beam, const PlanTags& tags) {
  std::vector<BeamLimitingDevice> devices;
  DcmSequenceOfItems* list = nullptr;
  if (beam.findAndGetSequence(tags.devices, list).bad() || !list) return devices;
  for (unsigned long n = 0; n < list->card(); ++n) {
    DcmItem& item = *list->getItem(n);
    BeamLimitingDevice device;
    device.type = detail::text(item, DCM_RTBeamLimitingDeviceType);
    device.leafJawPairs = detail::integer(item, DCM_NumberOfLeafJawPairs, 1);
    device.leafBoundaries_mm = numbers(item, DCM_LeafPositionBoundaries);
    devices.push_back(std::move(device));
  }
  return devices;
}

// One control point: what it states, on top of what was in force before it.
ControlPoint readControlPoint(DcmItem& item, const ControlPoint& previous, const Beam& beam,
                              const std::string& label) {
  ControlPoint cp = previous;
  cp.index = detail::integer(item, DCM_ControlPointIndex, previous.index + 1);
  const auto weight = detail::number(item, DCM_CumulativeMetersetWeight);
  if (!weight)
    throw Error(ErrorKind::Corrupt,
                label +
                    " has no Cumulative Meterset Weight (300A,0134), type 2 with a value "
                    "required for a deliverable beam (PS3.3 C.8.8.14).",
                "(300A,0134)");
  cp.cumulativeMetersetWeight = *weight;
  if (auto e = detail::number(item, DCM_NominalBeamEnergy)) cp.nominalEnergy = e;
  if (auto a = detail::number(item, DCM_GantryAngle)) cp.gantryAngle_deg = *a;
  if (auto a = detail::number(item, DCM_BeamLimitingDeviceAngle)) cp.collimatorAngle_deg = *a;
  if (auto a = detail::number(item, DCM_PatientSupportAngle)) cp.couchAngle_deg = *a;
  if (const std::string d = detail::text(item, DCM_GantryRotationDirection); !d.empty())
    cp.gantryRotationDirection = d;
  if (const std::vector<double> iso = numbers(item, DCM_IsocenterPosition); !iso.empty()) {
    if (iso.size() != 3)
      throw Error(ErrorKind::Corrupt,
                  label + " has an Isocenter Position (300A,012C) of " +
                      std::to_string(iso.size()) + " values; it needs x, y and z in mm.",
                  "(300A,012C)");
    cp.isocentre_lps = Vec3(iso[0], iso[1], iso[2]);
  }
  cp.scanSpots = detail::integer(item, DCM_NumberOfScanSpotPositions, 0);
  DcmSequenceOfItems* positions = nullptr;
  if (item.findAndGetSequence(DCM_BeamLimitingDevicePositionSequence, positions).good() &&
      positions) {
    for (unsigned long n = 0; n < positions->card(); ++n) {
      DcmItem& p = *positions->getItem(n);
      DevicePositions device{detail::text(p, DCM_RTBeamLimitingDeviceType),
                             numbers(p, DCM_LeafJawPositions)};
      int pairs = 1;
      for (const BeamLimitingDevice& d : beam.devices)
        if (d.type == device.type) pairs = d.leafJawPairs;
      if (device.positions_mm.size() != static_cast<std::size_t>(2 * pairs))
        throw Error(ErrorKind::Corrupt,
                    label + ", device " + device.type + " has " +
                        std::to_string(device.positions_mm.size()) +
                        " Leaf/Jaw Positions (300A,011C); its " + std::to_string(pairs) +
                        " leaf/jaw pairs need " + std::to_string(2 * pairs) + ".",
                    "(300A,011C)");
      auto same = std::find_if(cp.devices.begin(), cp.devices.end(),
                               [&](const DevicePositions& d) { return d.type == device.type; });
      if (same != cp.devices.end())
        *same = std::move(device);
      else
        cp.devices.push_back(std::move(device));
    }
  }
  return cp;
}

Beam readBeam(DcmItem& item, const PlanTags& tags, bool ion) {
  Beam beam;
  beam.ion = ion;
  beam.number = detail::integer(item, DCM_BeamNumber, -1);
  beam.name = detail::text(item, DCM_BeamName);
  beam.description = detail::text(item, DCM_BeamDescription);
  beam.type = detail::text(item, DCM_BeamType);
  beam.radiationType = detail::text(item, DCM_RadiationType);
  beam.machine = detail::text(item, DCM_TreatmentMachineName);
  if (const std::string unit = detail::text(item, DCM_PrimaryDosimeterUnit); !unit.empty())
    beam.primaryDosimeterUnit = unit;
  if (ion) {
    const std::vector<double> vsad = numbers(item, DCM_VirtualSourceAxisDistances);
    if (vsad.size() == 2) beam.sourceAxisDistance_mm = 0.5 * (vsad[0] + vsad[1]);
  } else if (auto sad = detail::number(item, DCM_SourceAxisDistance)) {
    beam.sourceAxisDistance_mm = sad;
  }
  beam.devices = readDevices(item, tags);
  const std::string label = "Beam " + std::to_string(beam.number) + " '" + beam.name + "'";
  beam.finalCumulativeMetersetWeight =
      detail::number(item, DCM_FinalCumulativeMetersetWeight).value_or(1.0);
  DcmSequenceOfItems* points = nullptr;
  if (item.findAndGetSequence(tags.controlPoints, points).bad() || !points || !points->card())
    throw Error(ErrorKind::Corrupt,
                label + " has no control points (" +
                    std::string(ion ? "Ion Control Point Sequence (300A,03A8)"
                                    : "Control Point Sequence (300A,0111)") +
                    "); a beam has at least two (PS3.3 C.8.8.14).",
                ion ? "(300A,03A8)" : "(300A,0111)");
  const int declared = detail::integer(item, DCM_NumberOfControlPoints, -1);
  if (declared >= 0 && static_cast<unsigned long>(declared) != points->card())
    throw Error(ErrorKind::Corrupt,
                label + " declares " + std::to_string(declared) +
                    " control points (300A,0110) but its sequence holds " +
                    std::to_string(points->card()) + ".",
                "(300A,0110)");
  ControlPoint previous;
  previous.index = -1;
  for (unsigned long n = 0; n < points->card(); ++n) {
    previous = readControlPoint(*points->getItem(n), previous, beam,
                                label + ", control point " + std::to_string(n));
    beam.controlPoints.push_back(previous);
  }
  return beam;
}

void readFractionGroups(DcmDataset& ds, RtPlan& plan) {
  DcmSequenceOfItems* groups = nullptr;
  if (ds.findAndGetSequence(DCM_FractionGroupSequence, groups).bad() || !groups) {
    plan.notes.push_back("The plan has no Fraction Group Sequence: no beam has a meterset.");
    return;
  }
  for (unsigned long n = 0; n < groups->card(); ++n) {
    DcmItem& item = *groups->getItem(n);
    FractionGroup group;
    group.number = detail::integer(item, DCM_FractionGroupNumber, static_cast<int>(n + 1));
    group.fractionsPlanned = detail::integer(item, DCM_NumberOfFractionsPlanned, 0);
    DcmSequenceOfItems* beams = nullptr;
    if (item.findAndGetSequence(DCM_ReferencedBeamSequence, beams).good() && beams) {
      for (unsigned long b = 0; b < beams->card(); ++b) {
        DcmItem& ref = *beams->getItem(b);
        const int number = detail::integer(ref, DCM_ReferencedBeamNumber, -1);
        group.beamNumbers.push_back(number);
        for (Beam& beam : plan.beams) {
          if (beam.number != number) continue;
          beam.meterset = detail::number(ref, DCM_BeamMeterset);
          beam.beamDose_Gy = detail::number(ref, DCM_BeamDose);
        }
      }
    }
    plan.fractionGroups.push_back(std::move(group));
  }
}

}  // namespace

std::optional<double> Beam::metersetAt(std::size_t n) const {
  if (!meterset || n >= controlPoints.size() || finalCumulativeMetersetWeight <= 0)
    return std::nullopt;
  return *meterset * controlPoints[n].cumulativeMetersetWeight / finalCumulativeMetersetWeight;
}

const DevicePositions* Beam::devicePositions(std::size_t controlPoint,
                                             const std::string& type) const {
  if (controlPoint >= controlPoints.size()) return nullptr;
  for (const DevicePositions& d : controlPoints[controlPoint].devices)
    if (d.type == type) return &d;
  return nullptr;
}

const Beam* RtPlan::beam(int number) const {
  for (const Beam& b : beams)
    if (b.number == number) return &b;
  return nullptr;
}

RtPlan readRtPlan(const fs::path& path, Progress& progress) {
  DcmFileFormat file;
  DcmDataset& ds = loadPlan(file, path);
  RtPlan plan;
  plan.sopClassUid = detail::text(ds, DCM_SOPClassUID);
  plan.sopInstanceUid = detail::text(ds, DCM_SOPInstanceUID);
  plan.ion = plan.sopClassUid == kRtIonPlanSopClass;
  plan.label = detail::text(ds, DCM_RTPlanLabel);
  plan.name = detail::text(ds, DCM_RTPlanName);
  plan.geometry = detail::text(ds, DCM_RTPlanGeometry);
  plan.frameOfReferenceUid = detail::text(ds, DCM_FrameOfReferenceUID);
  plan.dicom = detail::readDicomInfo(ds);
  DcmItem* setup = nullptr;
  if (ds.findAndGetSequenceItem(DCM_PatientSetupSequence, setup, 0).good() && setup)
    plan.patientPosition = detail::text(*setup, DCM_PatientPosition);
  DcmItem* structures = nullptr;
  if (ds.findAndGetSequenceItem(DCM_ReferencedStructureSetSequence, structures, 0).good() &&
      structures)
    plan.referencedStructureSetSopInstanceUid =
        detail::text(*structures, DCM_ReferencedSOPInstanceUID);
  DcmItem* reference = nullptr;
  if (ds.findAndGetSequenceItem(DCM_DoseReferenceSequence, reference, 0).good() && reference)
    plan.prescriptionDose_Gy = detail::number(*reference, DCM_TargetPrescriptionDose);

  const PlanTags& tags = plan.ion ? kIonTags : kPhotonTags;
  DcmSequenceOfItems* beams = nullptr;
  if (ds.findAndGetSequence(tags.beams, beams).bad() || !beams)
    throw Error(ErrorKind::Corrupt,
                "The plan " + path.string() + " has no " +
                    (plan.ion ? "Ion Beam Sequence (300A,03A2)" : "Beam Sequence (300A,00B0)") +
                    ": it describes no treatment beam.",
                plan.ion ? "(300A,03A2)" : "(300A,00B0)");
  for (unsigned long n = 0; n < beams->card(); ++n) {
    progress.check();
    plan.beams.push_back(readBeam(*beams->getItem(n), tags, plan.ion));
    progress.report(static_cast<double>(n + 1) / static_cast<double>(beams->card()),
                    "Reading beams");
  }
  readFractionGroups(ds, plan);
  for (const Beam& beam : plan.beams)
    if (!beam.meterset)
      plan.notes.push_back("Beam " + std::to_string(beam.number) +
                           " has no Beam Meterset in any fraction group.");
  return plan;
}

}  // namespace twinplan::io
