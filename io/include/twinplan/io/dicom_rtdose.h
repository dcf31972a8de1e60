#pragma once
// DICOM RT Dose (RTDOSE, PS3.3 A.18) <-> a dose ScalarField in Gy, with DCMTK (dcmdata).
//
// Import: the pixels go through loadVolume (dicom_volume.h), which decodes every transfer
// syntax, multiplies by Dose Grid Scaling (3004,000E) and places classic multi-frame frames by
// Grid Frame Offset Vector (3004,000C), relative (first value 0) or absolute (first value the
// first frame's position along the normal), PS3.3 C.8.8.3.2. This reader adds what the RT Dose
// module says about the values: Dose Units (GY or RELATIVE), Dose Type (PHYSICAL, EFFECTIVE,
// ERROR), Dose Summation Type (PLAN, BEAM, FRACTION ...), the referenced RT Plan and its
// fraction group and beams, and the frame of reference the grid lives in (PS3.3 C.8.8.3).
//
// Export: one classic multi-frame RT Dose object (Explicit VR Little Endian), 32-bit unsigned
// stored values (signed only for Dose Type ERROR, C.8.8.3.4) with Dose Grid Scaling =
// max |dose| / (2^31 - 1) (so one stored step is < 1e-9 of the maximum), relative Grid Frame
// Offset Vector, Frame Increment Pointer -> (3004,000C), and the Referenced RT Plan Sequence
// (300C,0002) with fraction group and beams when given (type 1C for PLAN/FRACTION/BEAM sums).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"
#include "twinplan/core/scalar_field.h"

namespace twinplan::io {

// RT Plan Storage and RT Ion Plan Storage (PS3.4 B.5): what a dose may reference.
inline constexpr const char* kRtPlanSopClass = "1.2.840.10008.5.1.4.1.1.481.5";
inline constexpr const char* kRtIonPlanSopClass = "1.2.840.10008.5.1.4.1.1.481.8";
inline constexpr const char* kRtDoseSopClass = "1.2.840.10008.5.1.4.1.1.481.2";

struct RtDose {
  // quantity "dose"; unit "Gy" for Dose Units GY, "1" for RELATIVE (a fraction of some
  // reference dose, which no DVH or gamma may treat as Gy: radiotherapy::requireDose refuses it).
  ScalarField dose;
  std::string doseUnits;         // (3004,0002) GY | RELATIVE
  std::string doseType;          // (3004,0004) PHYSICAL | EFFECTIVE | ERROR
  std::string summationType;     // (3004,000A) PLAN | MULTI_PLAN | FRACTION | BEAM | ...
  double doseGridScaling = 1.0;  // (3004,000E) Gy (or relative) per stored unit
  std::string frameOfReferenceUid;
  std::string sopInstanceUid;
  DicomInfo dicom;  // patient, study and series of the dose object
  // The RT Plan the dose was computed for (Referenced RT Plan Sequence, 300C,0002), and within
  // it the fraction group and beams of a FRACTION or BEAM dose (C.8.8.3).
  std::string referencedPlanSopClassUid, referencedPlanSopInstanceUid;
  std::optional<int> referencedFractionGroupNumber;
  std::vector<int> referencedBeamNumbers;
  std::string referencedStructureSetSopInstanceUid;  // (300C,0060), optional
  std::vector<std::string> notes;  // what the loader assumed (resampled frames ...)
};

// Throws Error(NotFound) for a missing file, Error(Corrupt) for an unreadable or truncated one
// or an RT Dose without Dose Grid Scaling or Dose Units, Error(InvalidInput) when the file is
// not an RT Dose, Error(Unsupported) for a dose without pixel data (a DVH-only object).
RtDose readRtDose(const std::filesystem::path& file, Progress& progress = noProgress());

struct RtDoseWriteOptions {
  // Patient, study and frame of reference the dose belongs to: the planning CT's (required:
  // study, frame of reference). A new series is made for the dose.
  DicomInfo dicom;
  std::string doseType = "PHYSICAL";   // (3004,0004)
  std::string summationType = "PLAN";  // (3004,000A)
  std::string seriesDescription = "TwinPlan dose";
  // The plan the dose belongs to; required when summationType is PLAN, FRACTION or BEAM
  // (C.8.8.3: Referenced RT Plan Sequence is type 1C for those).
  std::string referencedPlanSopClassUid = kRtPlanSopClass;
  std::string referencedPlanSopInstanceUid;
  // FRACTION, BEAM (and BRACHY, *_SESSION, CONTROL_POINT) doses only: a PLAN dose does not
  // reference a fraction group (C.8.8.3), so it is not written for one.
  std::optional<int> referencedFractionGroupNumber;
  std::vector<int> referencedBeamNumbers;  // BEAM doses
};

// Writes `dose` (quantity "dose", unit "Gy"; grid slices along the row x column normal, either
// sense) to `file` atomically and returns the new SOP Instance UID. Error(InvalidInput) naming
// the problem for a field that is not a dose in Gy, negative doses outside Dose Type ERROR,
// missing UIDs or plan reference, or a grid whose k axis is not normal to its slices;
// Error(Io) naming the file and DCMTK's reason.
std::string writeRtDose(const ScalarField& dose, const std::filesystem::path& file,
                        const RtDoseWriteOptions& options, Progress& progress = noProgress());

}  // namespace twinplan::io
