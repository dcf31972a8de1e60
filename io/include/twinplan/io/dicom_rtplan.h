#pragma once
// DICOM RT Plan and RT Ion Plan (PS3.3 A.20, A.49) <-> the plan model: fraction groups, beams
// and control points with their machine geometry, read and (photon plans) written with DCMTK.
//
// The model is plain data in LPS mm and degrees (IEC 61217 angles, as DICOM states them). It
// lives here, beside its reader, and not in simulation/radiotherapy: io may not include the
// simulation modules (DESIGN.md section 1), while the radiotherapy module may use io's types.
//
// Rules (PS3.3 C.8.8.14 RT Beams and C.8.8.25 RT Ion Beams, Control Point Sequence): the first
// control point of a beam states every machine setting; a later one states only what changes, so
// each control point here carries the values in force at it (inherited from the previous one when
// absent). Beam Limiting Device Positions are inherited per device type. A beam's meterset at
// control point n is Beam Meterset x Cumulative Meterset Weight(n) / Final Cumulative Meterset
// Weight (C.8.8.14).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/geometry.h"
#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"

namespace twinplan::io {

// A jaw or MLC bank: ASYMX, ASYMY, X, Y (jaws) or MLCX, MLCY (leaves), PS3.3 C.8.8.14.
struct BeamLimitingDevice {
  std::string type;
  int leafJawPairs = 1;
  std::vector<double> leafBoundaries_mm;  // MLC: pairs + 1 boundaries at isocentre, C.8.8.14
};

// Positions of one device at a control point: jaws [x1, x2]; MLC [bank A..., bank B...]
// (2 x pairs values), in mm projected to the isocentre plane (C.8.8.14, C.8.8.25).
struct DevicePositions {
  std::string type;
  std::vector<double> positions_mm;
};

struct ControlPoint {
  int index = 0;
  double cumulativeMetersetWeight = 0.0;
  std::optional<double> nominalEnergy;  // MV (photons, electrons) or MeV/u (ions)
  double gantryAngle_deg = 0.0;
  double collimatorAngle_deg = 0.0;  // Beam Limiting Device Angle (300A,0120)
  double couchAngle_deg = 0.0;       // Patient Support Angle (300A,0122)
  std::string gantryRotationDirection = "NONE";
  std::optional<Vec3> isocentre_lps;  // Isocenter Position (300A,012C), mm
  std::vector<DevicePositions> devices;
  int scanSpots = 0;  // ion PBS: Number of Scan Spot Positions (300A,0392) at this point
};

struct Beam {
  int number = 0;
  std::string name, description;
  std::string type;           // STATIC | DYNAMIC
  std::string radiationType;  // PHOTON | ELECTRON | PROTON | ION | NEUTRON
  std::string machine;        // Treatment Machine Name
  std::string primaryDosimeterUnit = "MU";
  bool ion = false;
  std::optional<double> sourceAxisDistance_mm;  // photons: SAD; ions: virtual SAD (mean of X, Y)
  std::vector<BeamLimitingDevice> devices;
  double finalCumulativeMetersetWeight = 1.0;
  // From the fraction group: Beam Meterset (MU, or NP for ions) and Beam Dose per fraction.
  std::optional<double> meterset;
  std::optional<double> beamDose_Gy;
  std::vector<ControlPoint> controlPoints;

  // The meterset delivered up to control point n (Beam Meterset x weight / final weight).
  std::optional<double> metersetAt(std::size_t n) const;
  const DevicePositions* devicePositions(std::size_t controlPoint, const std::string& type) const;
};

struct FractionGroup {
  int number = 0;
  int fractionsPlanned = 0;
  std::vector<int> beamNumbers;
};

struct RtPlan {
  std::string sopClassUid, sopInstanceUid;
  bool ion = false;                   // RT Ion Plan Storage
  std::string label, name, geometry;  // RT Plan Label, Name, Geometry (PATIENT | TREATMENT_DEVICE)
  std::string frameOfReferenceUid;
  // Patient Position (0018,5100) of the first Patient Setup (C.8.8.12), e.g. HFS; empty when the
  // plan has none (then the planning image's Patient Position applies).
  std::string patientPosition;
  DicomInfo dicom;
  std::string referencedStructureSetSopInstanceUid;
  std::optional<double> prescriptionDose_Gy;  // first Target Prescription Dose (300A,0026)
  std::vector<FractionGroup> fractionGroups;
  std::vector<Beam> beams;
  std::vector<std::string> notes;  // what the reader skipped or assumed

  const Beam* beam(int number) const;
};

// Throws Error(NotFound) for a missing file, Error(Corrupt) naming the file or attribute for an
// unreadable or truncated file, a beam without control points, or a control point count that
// disagrees with Number of Control Points; Error(InvalidInput) when it is not an RT (Ion) Plan.
RtPlan readRtPlan(const std::filesystem::path& file, Progress& progress = noProgress());

struct RtPlanWriteOptions {
  // Patient, study and frame of reference of the planning image (required: the plan's beams are
  // placed in that frame). A new series is made for the plan.
  DicomInfo dicom;
  std::string seriesDescription = "TwinPlan plan";
  // The RT Structure Set the plan was made on: Referenced Structure Set Sequence (300C,0060) is
  // type 1C, required when RT Plan Geometry is PATIENT (PS3.3 C.8.8.9).
  std::string referencedStructureSetSopInstanceUid;
  // The plan's own SOP Instance UID, kept when it has one (a plan made in a case is referenced
  // by its dose before it is exported); empty: a new UID.
  std::string sopInstanceUid;
};

// Writes a photon or electron plan (RT Plan Storage) to `file` atomically and returns its SOP
// Instance UID (options.sopInstanceUid, else a new one). Modules: Patient, General Study, RT
// Series, Frame of Reference, General Equipment, RT General Plan, RT Prescription (when the plan
// has a prescription dose), RT Patient Setup, RT Fraction Scheme, RT Beams, SOP Common (PS3.3
// A.20.3). Each control point after the first states only what changed since the one before (the 1C
// rule of C.8.8.14.5, the reverse of what readRtPlan inherits), so readRtPlan(writeRtPlan(plan))
// gives the plan back. Error(Unsupported) for an ion plan; Error(InvalidInput) naming the beam or
// attribute for a plan without a label, study or frame of reference, a PATIENT plan without its
// structure set, a beam without control points or a device whose positions do not match its
// leaf/jaw pairs; Error(Io) naming the file and DCMTK's reason.
std::string writeRtPlan(const RtPlan& plan, const std::filesystem::path& file,
                        const RtPlanWriteOptions& options, Progress& progress = noProgress());

}  // namespace twinplan::io
