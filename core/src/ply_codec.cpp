#include "ply_codec.h"

#include <bit>
#include <cstring>

#include "case_text.h"
#include "twinplan/core/error.h"

namespace twinplan::casefile {
namespace {

static_assert(std::endian::native == std::endian::little,
              "Case-file codecs copy little-endian payloads straight into memory.");

std::string plyHeader(std::size_t pointCount, std::size_t triangleCount, bool hasNormals) {
  std::string h;
  h += "ply\n";
  h += "format binary_little_endian 1.0\n";
  h += "comment TwinPlan surface mesh\n";
  h += "comment SPACE=LPS\n";
  h += "element vertex " + formatInt(static_cast<std::int64_t>(pointCount)) + "\n";
  h += "property float x\nproperty float y\nproperty float z\n";
  if (hasNormals) h += "property float nx\nproperty float ny\nproperty float nz\n";
  h += "element face " + formatInt(static_cast<std::int64_t>(triangleCount)) + "\n";
  h += "property list uchar uint vertex_indices\n";
  h += "end_header\n";
  return h;
}

Error corrupt(const std::string& phrase) { return Error(ErrorKind::Corrupt, phrase); }

}  // namespace

std::optional<std::uint64_t> plyFileSize(std::uint64_t pointCount, std::uint64_t triangleCount,
                                         bool hasNormals) {
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 40;
  if (pointCount > kLimit || triangleCount > kLimit) return std::nullopt;
  return plyHeader(pointCount, triangleCount, hasNormals).size() +
         pointCount * (hasNormals ? 24 : 12) + triangleCount * 13;
}

std::string encodePly(const SurfaceMesh& mesh) {
  const bool hasNormals = !mesh.normals.empty();
  std::string file = plyHeader(mesh.points_lps.size(), mesh.triangles.size(), hasNormals);
  const std::size_t vertexBytes = hasNormals ? 24 : 12;
  file.reserve(file.size() + mesh.points_lps.size() * vertexBytes + mesh.triangles.size() * 13);
  for (std::size_t i = 0; i < mesh.points_lps.size(); ++i) {
    for (float c : mesh.points_lps[i]) appendRaw(file, c);
    if (hasNormals) {
      for (float c : mesh.normals[i]) appendRaw(file, c);
    }
  }
  for (const auto& triangle : mesh.triangles) {
    appendRaw(file, std::uint8_t{3});
    for (std::uint32_t index : triangle) appendRaw(file, index);
  }
  return file;
}

void decodePly(std::string_view file, std::size_t pointCount, std::size_t triangleCount,
               bool hasNormals, SurfaceMesh& mesh) {
  const std::string header = plyHeader(pointCount, triangleCount, hasNormals);
  if (!file.starts_with(header)) {
    throw corrupt("does not have the PLY header the manifest describes (" +
                  formatInt(static_cast<std::int64_t>(pointCount)) + " points, " +
                  formatInt(static_cast<std::int64_t>(triangleCount)) + " triangles).");
  }
  const std::size_t vertexBytes = hasNormals ? 24 : 12;
  // Sizes are bounded by the entry's real size before anything is allocated.
  const std::size_t body = file.size() - header.size();
  if (pointCount > body / vertexBytes || triangleCount > body / 13 ||
      pointCount * vertexBytes + triangleCount * 13 != body) {
    throw corrupt("has " + formatInt(static_cast<std::int64_t>(body)) +
                  " bytes of mesh data, which does not match its header.");
  }
  const char* p = file.data() + header.size();
  mesh.points_lps.resize(pointCount);
  mesh.normals.resize(hasNormals ? pointCount : 0);
  for (std::size_t i = 0; i < pointCount; ++i) {
    std::memcpy(mesh.points_lps[i].data(), p, 12);
    p += 12;
    if (hasNormals) {
      std::memcpy(mesh.normals[i].data(), p, 12);
      p += 12;
    }
  }
  mesh.triangles.resize(triangleCount);
  for (std::size_t t = 0; t < triangleCount; ++t) {
    if (static_cast<unsigned char>(*p) != 3) throw corrupt("has a face that is not a triangle.");
    std::memcpy(mesh.triangles[t].data(), p + 1, 12);
    p += 13;
    for (std::uint32_t index : mesh.triangles[t]) {
      if (index >= pointCount) {
        throw corrupt("has a triangle that refers to point " + formatInt(index) + " of " +
                      formatInt(static_cast<std::int64_t>(pointCount)) + ".");
      }
    }
  }
}

}  // namespace twinplan::casefile
