#pragma once
// The ITK side of transform files, kept in its own translation unit: ITK's transform headers
// bring ITK's bundled Eigen 3.3, which cannot share a translation unit with the system Eigen 3.4
// that core's geometry uses. The two sides meet in these plain structs.
#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace twinplan::registration::detail {

// One ITK transform that is not a composite.
struct ItkPiece {
  enum class Type { Identity, Rigid, Affine, BSpline };
  Type type = Type::Identity;
  // Rigid/Affine: p' = matrix (p - centre) + centre + translation; matrix row-major.
  std::array<double, 9> matrix{1, 0, 0, 0, 1, 0, 0, 0, 1};
  std::array<double, 3> centre{0, 0, 0};
  std::array<double, 3> translation{0, 0, 0};
  // BSpline: the control grid and one LPS displacement per node, (x, y, z) per node, i fastest.
  std::array<std::int64_t, 3> gridSize{0, 0, 0};
  std::array<double, 3> gridOrigin{0, 0, 0};
  std::array<double, 3> gridSpacing{1, 1, 1};
  std::array<double, 9> gridDirection{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major
  std::vector<double> nodeDisplacements;
};

// Writes one transform (one piece) or a CompositeTransform (several), listed in the order in
// which they act on a point. Throws twinplan::Error.
void writeItkPieces(const std::vector<ItkPiece>& actingFirstToLast,
                    const std::filesystem::path& file);

// The file's transform, flattened into the pieces in the order in which they act. Throws
// twinplan::Error (NotFound, Corrupt, Unsupported naming the ITK class).
std::vector<ItkPiece> readItkPieces(const std::filesystem::path& file);

}  // namespace twinplan::registration::detail
