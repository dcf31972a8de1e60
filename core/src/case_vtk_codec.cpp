#include "case_vtk_codec.h"

#include <bit>
#include <cstring>
#include <limits>

#include "case_text.h"
#include "twinplan/core/error.h"

namespace twinplan::casefile {
namespace {

constexpr std::int32_t kVtkTetra = 10;

template <class T>
void appendBigEndian(std::string& out, T value) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  U bits = std::bit_cast<U>(value);
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bytes[sizeof(T) - 1 - i] = static_cast<char>(bits & 0xFFu);
    bits >>= 8;
  }
  out.append(bytes, sizeof(T));
}

template <class T>
T readBigEndian(const char* p) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  U bits = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bits = static_cast<U>((bits << 8) | static_cast<unsigned char>(p[i]));
  }
  return std::bit_cast<T>(bits);
}

std::string n(std::uint64_t value) { return formatInt(static_cast<std::int64_t>(value)); }

std::string pointsHeader(std::size_t pointCount) {
  return "# vtk DataFile Version 3.0\nTwinPlan tetrahedral mesh (LPS mm)\nBINARY\n"
         "DATASET UNSTRUCTURED_GRID\nPOINTS " +
         n(pointCount) + " double\n";
}
std::string cellsHeader(std::size_t tetCount) {
  return "\nCELLS " + n(tetCount) + " " + n(tetCount * 5) + "\n";
}
std::string typesHeader(std::size_t tetCount) { return "\nCELL_TYPES " + n(tetCount) + "\n"; }
std::string dataHeader(std::size_t tetCount) {
  return "\nCELL_DATA " + n(tetCount) + "\nSCALARS material int 1\nLOOKUP_TABLE default\n";
}

Error corrupt(const std::string& phrase) { return Error(ErrorKind::Corrupt, phrase); }

// Consumes `text` from the front of `file` or throws.
void expect(std::string_view& file, const std::string& text, const char* what) {
  if (!file.starts_with(text)) {
    throw corrupt(std::string("does not have the VTK ") + what + " the manifest describes.");
  }
  file.remove_prefix(text.size());
}

}  // namespace

constexpr auto kMaxCount = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max() / 5);

std::optional<std::uint64_t> tetVtkFileSize(std::uint64_t pointCount, std::uint64_t tetCount) {
  if (pointCount > kMaxCount || tetCount > kMaxCount) return std::nullopt;
  return pointsHeader(pointCount).size() + cellsHeader(tetCount).size() +
         typesHeader(tetCount).size() + dataHeader(tetCount).size() + 1 + pointCount * 24 +
         tetCount * 28;
}

std::string encodeTetVtk(const TetMesh& mesh) {
  constexpr std::size_t kMax = kMaxCount;
  if (mesh.points_lps.size() > kMax || mesh.tets.size() > kMax) {
    throw Error(ErrorKind::InvalidInput,
                "Tet mesh '" + mesh.name + "' has too many points or tets for a VTK file.",
                mesh.name);
  }
  std::string file = pointsHeader(mesh.points_lps.size());
  file.reserve(file.size() + mesh.points_lps.size() * 24 + mesh.tets.size() * 28 + 256);
  for (const auto& p : mesh.points_lps) {
    for (double c : p) appendBigEndian(file, c);
  }
  file += cellsHeader(mesh.tets.size());
  for (const auto& tet : mesh.tets) {
    appendBigEndian(file, std::int32_t{4});
    for (std::uint32_t index : tet) appendBigEndian(file, static_cast<std::int32_t>(index));
  }
  file += typesHeader(mesh.tets.size());
  for (std::size_t t = 0; t < mesh.tets.size(); ++t) appendBigEndian(file, kVtkTetra);
  file += dataHeader(mesh.tets.size());
  for (std::int32_t material : mesh.materials) appendBigEndian(file, material);
  file += "\n";
  return file;
}

void decodeTetVtk(std::string_view file, std::size_t pointCount, std::size_t tetCount,
                  TetMesh& mesh) {
  const std::size_t headerBytes = pointsHeader(pointCount).size() + cellsHeader(tetCount).size() +
                                  typesHeader(tetCount).size() + dataHeader(tetCount).size() + 1;
  // Check the total size first, so the counts are bounded by real bytes before allocating.
  if (pointCount > file.size() / 24 || tetCount > file.size() / 28 ||
      headerBytes + pointCount * 24 + tetCount * 28 != file.size()) {
    throw corrupt("has " + n(file.size()) +
                  " bytes, which does not match the point and tet counts in the manifest.");
  }
  expect(file, pointsHeader(pointCount), "points header");
  mesh.points_lps.resize(pointCount);
  for (auto& p : mesh.points_lps) {
    for (double& c : p) {
      c = readBigEndian<double>(file.data());
      file.remove_prefix(8);
    }
  }
  expect(file, cellsHeader(tetCount), "cells header");
  mesh.tets.resize(tetCount);
  for (auto& tet : mesh.tets) {
    if (readBigEndian<std::int32_t>(file.data()) != 4)
      throw corrupt("has a cell that is not a tet.");
    file.remove_prefix(4);
    for (std::uint32_t& index : tet) {
      const auto value = readBigEndian<std::int32_t>(file.data());
      file.remove_prefix(4);
      if (value < 0 || static_cast<std::size_t>(value) >= pointCount) {
        throw corrupt("has a tet that refers to point " + formatInt(value) + " of " +
                      n(pointCount) + ".");
      }
      index = static_cast<std::uint32_t>(value);
    }
  }
  expect(file, typesHeader(tetCount), "cell types header");
  for (std::size_t t = 0; t < tetCount; ++t) {
    if (readBigEndian<std::int32_t>(file.data()) != kVtkTetra) {
      throw corrupt("has a cell type other than VTK_TETRA.");
    }
    file.remove_prefix(4);
  }
  expect(file, dataHeader(tetCount), "material header");
  mesh.materials.resize(tetCount);
  for (auto& material : mesh.materials) {
    material = readBigEndian<std::int32_t>(file.data());
    file.remove_prefix(4);
  }
  expect(file, "\n", "ending");
}

}  // namespace twinplan::casefile
