#include "twinplan/registration/transform_file.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "itk_transform_io.h"
#include "twinplan/core/error.h"

namespace twinplan::registration {

namespace {

using detail::ItkPiece;

void requireKnownExtension(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> known{".tfm", ".txt", ".h5", ".hdf5"};
  if (!known.count(ext))
    throw Error(ErrorKind::InvalidInput,
                "\"" + file.string() +
                    "\" is not an ITK transform file name; use .tfm or .txt (ITK's text format) "
                    "or .h5 (ITK's HDF5 format).",
                file.string());
}

ItkPiece linearPiece(const SpatialTransform& transform, ItkPiece::Type type) {
  ItkPiece piece;
  piece.type = type;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) piece.matrix[std::size_t(3 * r + c)] = transform.matrix(r, c);
    piece.centre[std::size_t(r)] = transform.centre_lps[r];
    piece.translation[std::size_t(r)] = transform.translation_mm[r];
  }
  return piece;
}

ItkPiece bsplinePiece(const BSplineDisplacement& displacement) {
  ItkPiece piece;
  piece.type = ItkPiece::Type::BSpline;
  const ImageGeometry& grid = displacement.grid;
  for (std::size_t a = 0; a < 3; ++a) {
    piece.gridSize[a] = grid.size[a];
    piece.gridOrigin[a] = grid.origin_lps[int(a)];
    piece.gridSpacing[a] = grid.spacing_mm[int(a)];
    for (std::size_t c = 0; c < 3; ++c)
      piece.gridDirection[3 * a + c] = grid.direction(int(a), int(c));
  }
  piece.nodeDisplacements.reserve(3 * displacement.coefficients.size());
  for (const Vec3& d : displacement.coefficients)
    piece.nodeDisplacements.insert(piece.nodeDisplacements.end(), {d.x(), d.y(), d.z()});
  return piece;
}

std::vector<ItkPiece> piecesOf(const SpatialTransform& transform) {
  switch (transform.kind) {
    case SpatialTransform::Kind::Identity:
      return {ItkPiece{}};
    case SpatialTransform::Kind::Rigid:
      return {linearPiece(transform, ItkPiece::Type::Rigid)};
    case SpatialTransform::Kind::Affine:
      return {linearPiece(transform, ItkPiece::Type::Affine)};
    case SpatialTransform::Kind::BSpline:
      // The B-spline acts first, the bulk affine second (spatial_transform.h).
      return {bsplinePiece(transform.bspline), linearPiece(transform, ItkPiece::Type::Affine)};
  }
  throw Error(ErrorKind::Internal, "Unknown SpatialTransform kind.");
}

SpatialTransform linearOf(const ItkPiece& piece) {
  Mat3 matrix;
  Vec3 centre, translation;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) matrix(r, c) = piece.matrix[std::size_t(3 * r + c)];
    centre[r] = piece.centre[std::size_t(r)];
    translation[r] = piece.translation[std::size_t(r)];
  }
  switch (piece.type) {
    case ItkPiece::Type::Rigid:
      return SpatialTransform::rigid(matrix, translation, centre);
    case ItkPiece::Type::Affine:
      return SpatialTransform::affine(matrix, translation, centre);
    default:
      return SpatialTransform::identity();
  }
}

BSplineDisplacement bsplineOf(const ItkPiece& piece, const std::filesystem::path& file) {
  BSplineDisplacement displacement;
  ImageGeometry& grid = displacement.grid;
  for (std::size_t a = 0; a < 3; ++a) {
    grid.size[a] = piece.gridSize[a];
    grid.origin_lps[int(a)] = piece.gridOrigin[a];
    grid.spacing_mm[int(a)] = piece.gridSpacing[a];
    for (std::size_t c = 0; c < 3; ++c)
      grid.direction(int(a), int(c)) = piece.gridDirection[3 * a + c];
  }
  if (piece.nodeDisplacements.size() != 3 * grid.voxelCount())
    throw Error(ErrorKind::Corrupt,
                "The B-spline in \"" + file.string() + "\" has " +
                    std::to_string(piece.nodeDisplacements.size()) + " parameters for a grid of " +
                    std::to_string(grid.voxelCount()) + " nodes (3 per node expected).",
                file.string());
  displacement.coefficients.resize(grid.voxelCount());
  for (std::size_t n = 0; n < displacement.coefficients.size(); ++n)
    displacement.coefficients[n] =
        Vec3(piece.nodeDisplacements[3 * n], piece.nodeDisplacements[3 * n + 1],
             piece.nodeDisplacements[3 * n + 2]);
  return displacement;
}

// a after b (b acts first), linear parts; keeps b's centre.
SpatialTransform compose(const SpatialTransform& a, const SpatialTransform& b) {
  const Eigen::Matrix4d h = a.homogeneous() * b.homogeneous();
  const Mat3 matrix = h.topLeftCorner<3, 3>();
  const Vec3 centre = b.centre_lps;
  // p' = M p + o = M (p - c) + c + t, so t = o + M c - c.
  const Vec3 translation = h.topRightCorner<3, 1>() + matrix * centre - centre;
  const bool rigid =
      a.kind != SpatialTransform::Kind::Affine && b.kind != SpatialTransform::Kind::Affine;
  return rigid ? SpatialTransform::rigid(matrix, translation, centre)
               : SpatialTransform::affine(matrix, translation, centre);
}

SpatialTransform fromPieces(const std::vector<ItkPiece>& actingFirstToLast,
                            const std::filesystem::path& file) {
  SpatialTransform result;
  std::optional<BSplineDisplacement> bspline;
  for (std::size_t i = 0; i < actingFirstToLast.size(); ++i) {
    const ItkPiece& piece = actingFirstToLast[i];
    if (piece.type == ItkPiece::Type::BSpline) {
      if (i != 0)
        throw Error(ErrorKind::Unsupported,
                    "The transform file \"" + file.string() +
                        "\" holds a composite whose B-spline acts after another transform; "
                        "TwinPlan's B-spline transforms act first, before the bulk affine.",
                    file.string());
      bspline = bsplineOf(piece, file);
      continue;
    }
    if (piece.type == ItkPiece::Type::Identity) continue;
    const SpatialTransform linear = linearOf(piece);
    result = result.kind == SpatialTransform::Kind::Identity ? linear : compose(linear, result);
  }
  if (bspline) {
    result.kind = SpatialTransform::Kind::BSpline;
    result.bspline = std::move(*bspline);
  }
  return result;
}

}  // namespace

void writeItkTransformFile(const SpatialTransform& transform, const std::filesystem::path& file) {
  requireKnownExtension(file);
  detail::writeItkPieces(piecesOf(transform), file);
}

SpatialTransform readItkTransformFile(const std::filesystem::path& file) {
  requireKnownExtension(file);
  return fromPieces(detail::readItkPieces(file), file);
}

}  // namespace twinplan::registration
