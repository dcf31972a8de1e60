#pragma once
// Writing an ImageVolume as a DICOM series (one classic single-frame file per slice) with
// DCMTK: CT Image Storage for CT, MR Image Storage for MR, explicit VR little endian.
//
// Pixel encoding (BitsAllocated = BitsStored = 16, MONOCHROME2):
//  - int16 volumes (CT in HU) are stored signed (PixelRepresentation 1) with RescaleSlope 1
//    and RescaleIntercept 0, so stored value == HU and every int16 is lossless. (The other
//    common convention, unsigned with intercept -1024, clips values below -1024 HU.)
//  - uint16 and uint8 volumes are stored unsigned (PixelRepresentation 0), values unchanged.
//  - int32 and float32 volumes are quantised linearly onto int16 (signed), with the slope and
//    intercept that map the volume's range onto [-32767, 32767]; the result then carries
//    RescaleSlope/Intercept (also for MR, which most readers honour). This is lossy.
// CT always carries RescaleSlope/Intercept/Type; MR carries them only when quantised.
//
// UIDs are made with DCMTK's dcmGenerateUniqueIdentifier under DCMTK's registered root
// (1.2.276.0.7230010.3, SITE_*_UID_ROOT in dcmtk/dcmdata/dcuid.h).
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"
#include "twinplan/core/progress.h"

namespace twinplan::io {

// What kind of UID to make; only changes the sub-root DCMTK puts after its root.
enum class UidKind { Study, Series, Instance, FrameOfReference };

// A new, globally unique DICOM UID (<= 64 characters).
std::string makeDicomUid(UidKind kind = UidKind::Instance);

// Acquisition parameters written into the MR Image module (all type 1/2 there). Defaults
// describe a 3D T1-weighted MPRAGE at 3 T (Mugler & Brookeman, Magn Reson Med 1990;15:152-7,
// typical ADNI protocol: TR 2300 ms, TI 900 ms, TE 2.98 ms, flip 9 deg).
struct MrAcquisition {
  std::string scanningSequence = "GR\\IR";  // (0018,0020)
  std::string sequenceVariant = "SP\\MP";   // (0018,0021)
  std::string scanOptions = "IR";           // (0018,0022)
  std::string acquisitionType = "3D";       // (0018,0023)
  double repetitionTime_ms = 2300.0;
  double echoTime_ms = 2.98;
  double inversionTime_ms = 900.0;
  double flipAngle_deg = 9.0;
  double fieldStrength_T = 3.0;
};

struct DicomWriteOptions {
  // UIDs: empty means "take the volume's own (ImageVolume::dicom), else make a new one".
  // Pass the same study and frame-of-reference UIDs to put several series (a head CT and
  // an MR on the same grid) into one study and one patient coordinate system.
  std::string studyInstanceUid;
  std::string seriesInstanceUid;
  std::string frameOfReferenceUid;
  // "CT" or "MR"; empty means the volume's dicom.modality, else "CT" when its unit is HU.
  std::string modality;
  int seriesNumber = 0;           // 0: the volume's, else 1
  std::string seriesDescription;  // empty: the volume's, else its name
  std::string patientPosition;    // empty: the volume's, else "HFS" (head first supine)
  // Display window; width <= 0 means the volume's, else a default per modality
  // (CT: soft-tissue window C 40 / W 400; MR: the centre/width of the stored range).
  double windowCenter = 0.0;
  double windowWidth = 0.0;
  double kvp = 120.0;  // CT (0018,0060)
  MrAcquisition mr;    // MR only
  std::string manufacturer = "TwinPlan";
  std::string filePrefix = "IM";  // files are <prefix>00001.dcm, <prefix>00002.dcm ...
  // Refuse to write into a folder that already holds files (true), or add to it (false).
  bool requireEmptyFolder = false;
};

struct DicomWriteResult {
  std::vector<std::filesystem::path> files;  // in slice order (k = 0 first)
  std::string studyInstanceUid, seriesInstanceUid, frameOfReferenceUid;
  std::string sopClassUid;
};

// Writes one file per slice k of `volume` into `folder` (created when missing). Slice k has
// ImagePositionPatient = origin + direction * (0, 0, k * spacing_z) and the orientation of
// the direction matrix's first two columns (oblique grids are written as they are). A
// sheared (non-orthonormal) direction matrix is refused with Error(Unsupported).
// Each file is written under a temporary name and renamed into place. Throws Error(Io) with
// the path on failure, Error(InvalidInput/Unsupported) for what DICOM cannot hold,
// Cancelled on cancel (files already renamed stay; no temporary file is left behind).
DicomWriteResult writeDicomSeries(const ImageVolume& volume, const std::filesystem::path& folder,
                                  const DicomWriteOptions& options = {},
                                  Progress& progress = noProgress());

}  // namespace twinplan::io
