#pragma once
// Colour DICOM pixels -> 8-bit RGB (PS3.3 C.7.6.3.1: Samples per Pixel, Photometric
// Interpretation, Planar Configuration, palette colour lookup tables). Private to io.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"

class DcmItem;

namespace twinplan::io::detail {

// How one frame's samples are stored, as the data set says after any decompression.
struct ColourLayout {
  std::string photometric;  // RGB, YBR_FULL, YBR_FULL_422, YBR_ICT, YBR_RCT, PALETTE COLOR
  int samplesPerPixel = 3;
  bool planar = false;  // Planar Configuration 1: all R, then all G, then all B (C.7.6.3.1.3)
  int bitsAllocated = 8, bitsStored = 8;
  bool isSigned = false;  // palette indices only
};

// A palette colour lookup table (PS3.3 C.7.6.3.1.5, C.7.6.3.1.6) as 8-bit display values.
struct PaletteLut {
  std::int32_t firstMapped = 0;  // stored value of the first entry
  std::vector<RgbColour> entries;
};

// Whether a photometric interpretation is one this module decodes.
bool isColourPhotometric(const std::string& photometric);

// Reads the red, green and blue palette descriptors and data of `dataset`. Throws
// Error(Unsupported) for segmented palettes, Error(Corrupt) naming `where` when the tables are
// missing or inconsistent.
PaletteLut readPalette(DcmItem& dataset, bool signedIndices, const std::string& where);

// PS3.3 C.7.6.3.1.2 (YBR_FULL, as JPEG/JFIF): the inverse of
// Y = .299R + .587G + .114B, Cb = -.1687R - .3313G + .5B + 128, Cr = .5R - .4187G - .0813B + 128,
// rounded to the nearest integer and clamped to 0..255.
RgbColour ybrFullToRgb(int y, int cb, int cr);

// Converts one frame of stored bytes (native little-endian layout, `layout`) to RGB.
// `columns` matters for YBR_FULL_422 (pairs of pixels share Cb, Cr). Throws Error(Corrupt)
// naming `where` when `frame` is too short, Error(Unsupported) for layouts it does not decode.
void frameToRgb(std::span<const std::uint8_t> frame, const ColourLayout& layout, int columns,
                const PaletteLut* palette, std::span<RgbColour> out, const std::string& where);

// The same for three decoded component planes (JPEG 2000 via OpenJPEG). YBR_ICT / YBR_RCT
// planes are already RGB: OpenJPEG applies the inverse multi-component transform (PS3.5 A.4.4).
void planesToRgb(std::span<const std::int32_t> c0, std::span<const std::int32_t> c1,
                 std::span<const std::int32_t> c2, const ColourLayout& layout,
                 std::span<RgbColour> out);

}  // namespace twinplan::io::detail
