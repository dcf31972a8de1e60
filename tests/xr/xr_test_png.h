#pragma once
// The eye images the XR tests read back: 8-bit RGBA PNGs as the test runtime and vtkPNGWriter
// write them.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace twinplan::xr::test {

struct Png {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgba;
  const uint8_t* at(uint32_t x, uint32_t y) const {
    return rgba.data() + (static_cast<size_t>(y) * width + x) * 4;
  }
};

// 8-bit RGBA PNGs as the runtime and vtkPNGWriter write them: every IDAT chunk inflated, rows
// unfiltered (filter types 0-4, PNG 2nd edition section 9).
inline Png readPng(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), {});
  Png png;
  std::vector<uint8_t> packed;
  const auto be32 = [&](size_t at) {
    return uint32_t(file[at]) << 24 | uint32_t(file[at + 1]) << 16 | uint32_t(file[at + 2]) << 8 |
           file[at + 3];
  };
  uint8_t colourType = 0;
  for (size_t at = 8; at + 12 <= file.size();) {
    const uint32_t length = be32(at);
    const std::string type(file.begin() + at + 4, file.begin() + at + 8);
    if (type == "IHDR") png.width = be32(at + 8), png.height = be32(at + 12);
    if (type == "IHDR") colourType = file[at + 17];
    if (type == "IDAT")
      packed.insert(packed.end(), file.begin() + at + 8, file.begin() + at + 8 + length);
    at += 12 + length;
  }
  if (colourType != 6) return {};  // RGBA only
  const size_t stride = png.width * 4;
  std::vector<uint8_t> raw(static_cast<size_t>(png.height) * (stride + 1));
  uLongf size = raw.size();
  if (uncompress(raw.data(), &size, packed.data(), packed.size()) != Z_OK) return {};
  png.rgba.assign(static_cast<size_t>(png.height) * stride, 0);
  for (uint32_t y = 0; y < png.height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in = raw.data() + y * (stride + 1) + 1;
    uint8_t* out = png.rgba.data() + y * stride;
    const uint8_t* up = y > 0 ? out - stride : nullptr;
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= 4 ? out[i - 4] : 0, b = up ? up[i] : 0, c = (up && i >= 4) ? up[i - 4] : 0;
      int predictor = 0;
      if (filter == 1) predictor = a;
      if (filter == 2) predictor = b;
      if (filter == 3) predictor = (a + b) / 2;
      if (filter == 4) {
        const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
        predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
      }
      out[i] = static_cast<uint8_t>(in[i] + predictor);
    }
  }
  return png;
}

// A greyscale Portable Float Map as the test runtime writes depth images: "Pf", width height,
// scale (negative: little-endian), then floats, rows bottom first. Empty when malformed.
struct DepthImage {
  uint32_t width = 0, height = 0;
  std::vector<float> depth;  // bottom row first
  // Depth at (x, y) with y counted from the top row, as in the PNGs.
  float atTopDown(uint32_t x, uint32_t y) const {
    return depth[static_cast<size_t>(height - 1 - y) * width + x];
  }
};

inline DepthImage readPfm(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  double scale = 0.0;
  DepthImage image;
  if (!(in >> magic >> image.width >> image.height >> scale) || magic != "Pf" || scale >= 0.0)
    return {};
  in.get();  // the single whitespace after the header
  image.depth.resize(static_cast<size_t>(image.width) * image.height);
  in.read(reinterpret_cast<char*>(image.depth.data()),
          static_cast<std::streamsize>(image.depth.size() * sizeof(float)));
  if (!in) return {};
  return image;
}

}  // namespace twinplan::xr::test
