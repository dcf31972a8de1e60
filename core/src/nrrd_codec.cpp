#include "nrrd_codec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "case_gzip.h"
#include "case_text.h"
#include "twinplan/core/error.h"

namespace twinplan::casefile {
namespace {

std::string_view nrrdTypeName(PixelType type) {
  switch (type) {
    case PixelType::UInt8:
      return "uchar";
    case PixelType::Int16:
      return "short";
    case PixelType::UInt16:
      return "ushort";
    case PixelType::Int32:
      return "int";
    case PixelType::Float32:
      return "float";
    case PixelType::Rgb8:
      return "uchar";  // with a leading RGB-color axis of 3 samples
  }
  return "unknown";
}

// Colour voxels are an NRRD with a first, non-spatial axis of kind RGB-color (3 samples, no
// space direction: "none"), which 3D Slicer reads as a colour image.
bool isColour(PixelType type) { return type == PixelType::Rgb8; }

std::string vectorText(const Vec3& v) {
  return concat("(", formatDouble(v[0]), ",", formatDouble(v[1]), ",", formatDouble(v[2]), ")");
}

Error corrupt(const std::string& phrase) { return Error(ErrorKind::Corrupt, phrase); }

// "(a,b,c)" -> the three numbers.
std::optional<Vec3> parseVector(std::string_view text) {
  text = trim(text);
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return std::nullopt;
  text = text.substr(1, text.size() - 2);
  Vec3 v;
  for (int axis = 0; axis < 3; ++axis) {
    const std::size_t comma = text.find(',');
    if ((axis < 2) != (comma != std::string_view::npos)) return std::nullopt;
    const auto number = parseDouble(trim(text.substr(0, comma)));
    if (!number) return std::nullopt;
    v[axis] = *number;
    text = axis < 2 ? text.substr(comma + 1) : std::string_view{};
  }
  return v;
}

bool closeEnough(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
}

bool closeEnough(const Vec3& a, const Vec3& b) {
  return closeEnough(a[0], b[0]) && closeEnough(a[1], b[1]) && closeEnough(a[2], b[2]);
}

Vec3 axisVector(const ImageGeometry& g, int axis) {
  return g.direction.col(axis) * g.spacing_mm[axis];
}

}  // namespace

std::string nrrdHeader(const NrrdGrid& grid) {
  const ImageGeometry& g = grid.geometry;
  std::string h;
  h += "NRRD0004\n";
  h += "# Complete NRRD file format specification at:\n";
  h += "# http://teem.sourceforge.net/nrrd/format.html\n";
  h += "# Written by TwinPlan; patient coordinates are LPS millimetres.\n";
  const bool colour = isColour(grid.type);
  h += "type: " + std::string(nrrdTypeName(grid.type)) + "\n";
  h += colour ? "dimension: 4\n" : "dimension: 3\n";
  h += "space: left-posterior-superior\n";
  h += std::string("sizes: ") + (colour ? "3 " : "") + formatInt(g.size[0]) + " " +
       formatInt(g.size[1]) + " " + formatInt(g.size[2]) + "\n";
  h += std::string("space directions: ") + (colour ? "none " : "") + vectorText(axisVector(g, 0)) +
       " " + vectorText(axisVector(g, 1)) + " " + vectorText(axisVector(g, 2)) + "\n";
  h += colour ? "kinds: RGB-color domain domain domain\n" : "kinds: domain domain domain\n";
  if (bytesPerVoxel(grid.type) > 1 && !colour) h += "endian: little\n";
  h += "encoding: gzip\n";
  h += "space origin: " + vectorText(g.origin_lps) + "\n";
  h += "\n";
  return h;
}

std::string encodeNrrd(const NrrdGrid& grid, std::span<const std::byte> voxels,
                       Progress& progress) {
  std::string file = nrrdHeader(grid);
  gzipAppend(voxels, file, progress);
  return file;
}

void decodeNrrd(std::string_view file, const NrrdGrid& expected, std::span<std::byte> voxels,
                Progress& progress) {
  const std::size_t headerEnd = file.find("\n\n");
  if (!file.starts_with("NRRD000") || headerEnd == std::string_view::npos || headerEnd > 65536) {
    throw corrupt("is not an NRRD file (its header is missing or damaged).");
  }
  std::map<std::string, std::string, std::less<>> fields;
  std::string_view header = file.substr(0, headerEnd);
  bool first = true;
  while (!header.empty()) {
    const std::size_t eol = header.find('\n');
    const std::string_view line = header.substr(0, eol);
    header = eol == std::string_view::npos ? std::string_view{} : header.substr(eol + 1);
    if (first) {
      first = false;
      if (line != "NRRD0004") throw corrupt("has an NRRD version other than NRRD0004.");
      continue;
    }
    if (line.starts_with("#")) continue;
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) {
      throw corrupt("has an NRRD header line that is not 'field: value'.");
    }
    const std::string key(line.substr(0, colon));
    if (!fields.emplace(key, std::string(line.substr(colon + 2))).second) {
      throw corrupt("has the NRRD field '" + key + "' twice.");
    }
  }
  const bool colour = isColour(expected.type);
  const bool multiByte = bytesPerVoxel(expected.type) > 1 && !colour;
  static constexpr std::array<std::string_view, 9> kKnown = {
      "type",  "dimension", "space",    "sizes",       "space directions",
      "kinds", "endian",    "encoding", "space origin"};
  for (const auto& [key, value] : fields) {
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      throw corrupt("has an NRRD field TwinPlan does not write ('" + key + "').");
    }
  }
  auto field = [&](std::string_view key) -> const std::string& {
    auto it = fields.find(key);
    if (it == fields.end()) throw corrupt("lacks the NRRD field '" + std::string(key) + "'.");
    return it->second;
  };
  const ImageGeometry& g = expected.geometry;
  if (field("type") != nrrdTypeName(expected.type)) {
    throw corrupt("holds NRRD type '" + field("type") + "' but the manifest says '" +
                  std::string(nrrdTypeName(expected.type)) + "'.");
  }
  if (field("dimension") != (colour ? "4" : "3")) {
    throw corrupt(colour ? "is not a 4-D (RGB-color) NRRD image." : "is not a 3-D NRRD image.");
  }
  if (field("space") != "left-posterior-superior") {
    throw corrupt("is in NRRD space '" + field("space") + "', not left-posterior-superior.");
  }
  if (field("encoding") != "gzip") throw corrupt("is not gzip-encoded.");
  if (field("kinds") != (colour ? "RGB-color domain domain domain" : "domain domain domain")) {
    throw corrupt("has unexpected NRRD kinds.");
  }
  if (multiByte) {
    if (field("endian") != "little") throw corrupt("is not little-endian.");
  } else if (fields.count("endian") != 0) {
    throw corrupt("has an endian field for single-byte voxels.");
  }
  auto sizes = splitWhitespace(field("sizes"));
  if (colour) {
    if (sizes.empty() || sizes.front() != "3") throw corrupt("has no RGB-color axis of 3 samples.");
    sizes.erase(sizes.begin());
  }
  if (sizes.size() != 3) throw corrupt("has NRRD sizes that are not three numbers.");
  for (int axis = 0; axis < 3; ++axis) {
    const auto n = parseInt(sizes[static_cast<std::size_t>(axis)]);
    if (!n || *n != g.size[static_cast<std::size_t>(axis)]) {
      throw corrupt("has NRRD sizes '" + field("sizes") + "' that differ from the manifest (" +
                    formatInt(g.size[0]) + " " + formatInt(g.size[1]) + " " + formatInt(g.size[2]) +
                    ").");
    }
  }
  auto directions = splitWhitespace(field("space directions"));
  if (colour) {
    if (directions.empty() || directions.front() != "none") {
      throw corrupt("has a space direction on its RGB-color axis.");
    }
    directions.erase(directions.begin());
  }
  if (directions.size() != 3) throw corrupt("has NRRD space directions that are not 3 vectors.");
  for (int axis = 0; axis < 3; ++axis) {
    const auto v = parseVector(directions[static_cast<std::size_t>(axis)]);
    if (!v || !closeEnough(*v, axisVector(g, axis))) {
      throw corrupt("has NRRD space directions that differ from the manifest's geometry.");
    }
  }
  const auto origin = parseVector(field("space origin"));
  if (!origin || !closeEnough(*origin, g.origin_lps)) {
    throw corrupt("has an NRRD space origin that differs from the manifest's geometry.");
  }
  const std::size_t expectedBytes = g.voxelCount() * bytesPerVoxel(expected.type);
  if (voxels.size() != expectedBytes) {
    throw Error(ErrorKind::Internal, "decodeNrrd was given a buffer of the wrong size.");
  }
  const std::string_view data = file.substr(headerEnd + 2);
  if (!inflatedSizePlausible(data.size(), expectedBytes)) {
    throw corrupt("is far too short for the voxels its header declares.");
  }
  gunzipExact(data, voxels, progress);
}

}  // namespace twinplan::casefile
