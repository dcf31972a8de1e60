#pragma once
// ITK transform files: the form in which other tools (3D Slicer, ANTs, elastix's ITK export,
// plastimatch, SimpleITK) exchange a registration. Written and read by ITK's own
// TransformFileWriter/Reader, so what we write is what ITK reads and vice versa.
//
// File kinds, by extension: ".tfm" / ".txt" - ITK's text format ("#Insight Transform File
// V1.0"); ".h5" / ".hdf5" - ITK's HDF5 transform format.
//
// Mapping (SpatialTransform is fixed -> moving, ITK's convention, so nothing is inverted):
//   identity -> IdentityTransform_double_3_3
//   rigid    -> Euler3DTransform_double_3_3 (angles about X, Y, Z in ITK's ZXY order,
//               translation; the centre is ITK's fixed parameters)
//   affine   -> AffineTransform_double_3_3 (matrix, translation; centre as fixed parameters)
//   bspline  -> CompositeTransform_double_3 of [AffineTransform, BSplineTransform order 3]; ITK
//               applies a composite's last transform first, i.e. the B-spline, as SpatialTransform
//               does. The B-spline's fixed parameters are its control grid (size, origin = first
//               node, spacing, direction), its parameters the node displacements (all L, then
//               all P, then all S; i fastest).
// Reading accepts IdentityTransform, TranslationTransform, every matrix-offset transform
// (Euler3D, CenteredEuler3D, VersorRigid3D, Versor, QuaternionRigid, Rigid3D -> rigid;
// Similarity3D, ScaleVersor3D, ScaleSkewVersor3D, Affine, MatrixOffsetTransformBase -> affine),
// BSplineTransform of order 3, and a CompositeTransform of these whose B-spline (at most one)
// acts first. Anything else (a displacement field, a B-spline of another order) is refused,
// naming the ITK class.
#include <filesystem>

#include "twinplan/core/spatial_transform.h"

namespace twinplan::registration {

// Throws Error(InvalidInput) for an unknown extension, Error(Io) when the file cannot be
// written. Nothing is left behind on failure.
void writeItkTransformFile(const SpatialTransform& transform, const std::filesystem::path& file);

// Throws Error(NotFound) for a missing file, Error(Corrupt) for a file ITK cannot parse or one
// without a transform, Error(Unsupported) for a transform class or combination that has no
// SpatialTransform form (the message names the class), Error(InvalidInput) for an unknown
// extension.
SpatialTransform readItkTransformFile(const std::filesystem::path& file);

}  // namespace twinplan::registration
