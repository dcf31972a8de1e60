#pragma once
// DICOM Spatial Registration Storage (PS3.3 A.39, the Spatial Registration Module C.20.2):
// how a registration is handed to a treatment planning system, PACS or another workstation.
//
// Direction (PS3.3 C.20.2, Table C.20.2-1 and C.20.2.1.1): each item of the Registration
// Sequence (0070,0308) names a source Frame of Reference (0020,0052) and a Frame of Reference
// Transformation Matrix (3006,00C6) "A M B" that maps a point of the source frame B into the
// *Registered RCS* A, the frame of reference of the registration object itself (its top-level
// Frame of Reference UID). We write the fixed (reference) series' frame as the Registered RCS
// with two items, as registration systems commonly do: the fixed frame with the identity
// matrix, and the moving frame with the matrix moving -> fixed. Our SpatialTransform is fixed ->
// moving (ITK's convention), so the matrix written is its INVERSE, and the one read is inverted
// back.
//
// Matrix types (C.20.2.1.2, (0070,030C)): a rigid transform is written as RIGID, an affine as
// AFFINE (the standard allows both in Spatial Registration). A B-spline has no matrix form (it
// would need Deformable Spatial Registration, A.45) and is refused. Matrices are 4x4, row-major,
// last row (0, 0, 0, 1).
#include <filesystem>
#include <string>

#include "twinplan/core/spatial_transform.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan::io {

struct SpatialRegistrationWriteOptions {
  std::string contentLabel = "TWINPLAN_REG";  // (0070,0080), a CS: upper case, <= 16 chars
  std::string contentDescription;             // (0070,0081); empty: "<moving> on <fixed>"
  std::string creatorName;                    // (0070,0084), a PN
  std::string seriesDescription = "TwinPlan registration";
  int seriesNumber = 900;
  std::string manufacturer = "TwinPlan";
};

struct SpatialRegistrationWriteResult {
  std::string sopInstanceUid, seriesInstanceUid;
};

// Writes `fixedToMoving` between two image series as a Spatial Registration object in the fixed
// series' study, its Patient and General Study modules copied from the fixed series' first file,
// referencing every image of both series (Referenced Image Sequence, Common Instance Reference
// module) with new series and instance UIDs. Throws Error(Unsupported) for a B-spline,
// Error(InvalidInput) for a series without a Frame of Reference UID or images, or a "rigid"
// transform whose matrix is not a rotation, Error(Io) when the file cannot be written (nothing
// is left behind).
SpatialRegistrationWriteResult writeSpatialRegistration(
    const SpatialTransform& fixedToMoving, const DicomSeries& fixed, const DicomSeries& moving,
    const std::filesystem::path& file, const SpatialRegistrationWriteOptions& options = {});

struct SpatialRegistrationRead {
  SpatialTransform fixedToMoving;         // Rigid when every matrix is RIGID, else Affine
  std::string fixedFrameOfReferenceUid;   // the Registered RCS
  std::string movingFrameOfReferenceUid;  // the other item's source frame
  std::string matrixType;                 // of the moving item: RIGID | RIGID_SCALE | AFFINE
  std::string sopInstanceUid;
};

// Reads a Spatial Registration object with one registered frame besides the Registered RCS
// (an item for the Registered RCS itself may be present). Throws Error(NotFound) for a missing
// file, Error(Corrupt) naming the attribute for a damaged object (no Registration Sequence, no
// matrix, a matrix of the wrong size or last row, RIGID that is not orthonormal),
// Error(Unsupported) for another SOP class, several registered frames or a Matrix Sequence of
// more than one matrix.
SpatialRegistrationRead readSpatialRegistration(const std::filesystem::path& file);

}  // namespace twinplan::io
