#include "png_file.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace twinplan::xr_test_runtime {
namespace {

void appendBigEndian(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

// A chunk: length, type, data, CRC-32 over type and data (PNG section 5.3).
void appendChunk(std::vector<uint8_t>& out, const char type[4], const std::vector<uint8_t>& data) {
  appendBigEndian(out, static_cast<uint32_t>(data.size()));
  const size_t typeAt = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  const uLong crc = crc32(0L, out.data() + typeAt, static_cast<uInt>(4 + data.size()));
  appendBigEndian(out, static_cast<uint32_t>(crc));
}

}  // namespace

bool writeRgbaPng(const std::string& path, uint32_t width, uint32_t height,
                  const std::vector<uint8_t>& rgba) {
  if (rgba.size() != static_cast<size_t>(width) * height * 4) return false;
  // Each row starts with filter type 0 (None, PNG section 9.2).
  std::vector<uint8_t> raw;
  raw.reserve(static_cast<size_t>(height) * (width * 4 + 1));
  for (uint32_t y = 0; y < height; ++y) {
    raw.push_back(0);
    const uint8_t* row = rgba.data() + static_cast<size_t>(y) * width * 4;
    raw.insert(raw.end(), row, row + static_cast<size_t>(width) * 4);
  }
  uLongf packedSize = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> packed(packedSize);
  if (compress2(packed.data(), &packedSize, raw.data(), static_cast<uLong>(raw.size()), 6) !=
      Z_OK) {
    return false;
  }
  packed.resize(packedSize);

  std::vector<uint8_t> header;  // IHDR: size, bit depth 8, colour type 6 (RGBA), no interlace
  appendBigEndian(header, width);
  appendBigEndian(header, height);
  header.insert(header.end(), {8, 6, 0, 0, 0});

  std::vector<uint8_t> file = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  appendChunk(file, "IHDR", header);
  appendChunk(file, "IDAT", packed);
  appendChunk(file, "IEND", {});

  const std::string partial = path + ".part";
  {
    std::ofstream out(partial, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()),
              static_cast<std::streamsize>(file.size()));
    if (!out) {
      std::remove(partial.c_str());
      return false;
    }
  }
  return std::rename(partial.c_str(), path.c_str()) == 0;
}

bool writeDepthPfm(const std::string& path, uint32_t width, uint32_t height,
                   const std::vector<float>& depth) {
  static_assert(sizeof(float) == 4);
  if (depth.size() != static_cast<size_t>(width) * height) return false;
  std::vector<uint8_t> bytes;
  bytes.reserve(depth.size() * 4);
  for (float value : depth) {
    uint32_t bits = 0;
    std::memcpy(&bits, &value, 4);
    for (int shift = 0; shift < 32; shift += 8)
      bytes.push_back(static_cast<uint8_t>(bits >> shift));
  }
  const std::string header =
      "Pf\n" + std::to_string(width) + " " + std::to_string(height) + "\n-1.0\n";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (out) return true;
  }
  std::remove(path.c_str());
  return false;
}

}  // namespace twinplan::xr_test_runtime
