#include "colour_decode.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "twinplan/core/error.h"

namespace twinplan::io::detail {
namespace {

Error corrupt(const std::string& where, const std::string& what) {
  return Error(ErrorKind::Corrupt,
               "The colour pixel data of " + where + " cannot be read: " + what +
                   ". The file is damaged; copy it again from the source.",
               where);
}

// A 16-bit palette entry to 8 bits, in proportion: 0xFFFF is full intensity (C.7.6.3.1.6).
std::uint8_t entryToByte(std::uint32_t entry, int bits) {
  if (bits == 8) return static_cast<std::uint8_t>(entry);
  return static_cast<std::uint8_t>((entry * 255u + 32767u) / 65535u);
}

// One colour's table (tag pair: descriptor, data) as 8-bit values.
std::vector<std::uint8_t> readTable(DcmItem& ds, const DcmTagKey& descriptorTag,
                                    const DcmTagKey& dataTag, std::size_t& entries,
                                    std::int32_t& firstMapped, bool signedIndices,
                                    const std::string& where) {
  const Uint16* descriptor = nullptr;
  unsigned long count = 0;
  if (ds.findAndGetUint16Array(descriptorTag, descriptor, &count).bad() || count < 3) {
    const Sint16* signedDescriptor = nullptr;
    if (ds.findAndGetSint16Array(descriptorTag, signedDescriptor, &count).bad() || count < 3) {
      throw corrupt(where, "its palette colour lookup table descriptor is missing");
    }
    descriptor = reinterpret_cast<const Uint16*>(signedDescriptor);
  }
  // C.7.6.3.1.5: 0 entries means 65536; the first mapped value has the pixels' signedness.
  entries = descriptor[0] == 0 ? 65536 : descriptor[0];
  firstMapped = signedIndices ? static_cast<std::int16_t>(descriptor[1]) : descriptor[1];
  const int bits = descriptor[2];
  if (bits != 8 && bits != 16) {
    throw corrupt(where, "its palette entries have " + std::to_string(bits) +
                             " bits (8 or 16 are allowed, PS3.3 C.7.6.3.1.5)");
  }
  const Uint16* words = nullptr;
  unsigned long wordCount = 0;
  if (ds.findAndGetUint16Array(dataTag, words, &wordCount).bad() || !words) {
    throw corrupt(where, "its palette colour lookup table data is missing");
  }
  std::vector<std::uint8_t> table(entries);
  if (bits == 16 || wordCount >= entries) {
    // 16-bit entries, or 8-bit entries written one per 16-bit word (a common deviation).
    if (wordCount < entries) throw corrupt(where, "its palette lookup table is too short");
    for (std::size_t n = 0; n < entries; ++n) {
      const std::uint32_t w = words[n];
      table[n] = bits == 16 ? entryToByte(w, 16) : static_cast<std::uint8_t>(w > 255 ? w >> 8 : w);
    }
    return table;
  }
  // 8-bit entries packed two to a word, in byte order (C.7.6.3.1.6: "8 bits allocated").
  if (wordCount * 2 < entries) throw corrupt(where, "its palette lookup table is too short");
  for (std::size_t n = 0; n < entries; ++n) {
    const std::uint16_t w = words[n / 2];
    table[n] = static_cast<std::uint8_t>(n % 2 == 0 ? w & 0xFF : w >> 8);
  }
  return table;
}

// Sample `s` of pixel `n` of a frame with `spp` samples per pixel, as an unsigned integer.
struct SampleReader {
  std::span<const std::uint8_t> frame;
  std::size_t pixels;
  int spp;
  bool planar;
  int bytes;  // 1 or 2
  std::uint32_t operator()(std::size_t n, int s) const {
    const std::size_t index = planar
                                  ? static_cast<std::size_t>(s) * pixels + n
                                  : n * static_cast<std::size_t>(spp) + static_cast<std::size_t>(s);
    if (bytes == 1) return frame[index];
    std::uint16_t w;
    std::memcpy(&w, frame.data() + 2 * index, 2);
    return w;
  }
};

}  // namespace

bool isColourPhotometric(const std::string& p) {
  return p == "RGB" || p == "YBR_FULL" || p == "YBR_FULL_422" || p == "YBR_ICT" || p == "YBR_RCT" ||
         p == "PALETTE COLOR";
}

PaletteLut readPalette(DcmItem& ds, bool signedIndices, const std::string& where) {
  if (ds.tagExists(DCM_SegmentedRedPaletteColorLookupTableData)) {
    throw Error(ErrorKind::Unsupported,
                where +
                    " uses a segmented palette colour lookup table (PS3.3 C.7.9.2), which "
                    "TwinPlan cannot show yet; convert it to RGB (e.g. dcmj2pnm) first.",
                where);
  }
  std::size_t entries[3];
  std::int32_t first[3];
  const std::vector<std::uint8_t> red =
      readTable(ds, DCM_RedPaletteColorLookupTableDescriptor, DCM_RedPaletteColorLookupTableData,
                entries[0], first[0], signedIndices, where);
  const std::vector<std::uint8_t> green =
      readTable(ds, DCM_GreenPaletteColorLookupTableDescriptor,
                DCM_GreenPaletteColorLookupTableData, entries[1], first[1], signedIndices, where);
  const std::vector<std::uint8_t> blue =
      readTable(ds, DCM_BluePaletteColorLookupTableDescriptor, DCM_BluePaletteColorLookupTableData,
                entries[2], first[2], signedIndices, where);
  if (entries[0] != entries[1] || entries[0] != entries[2] || first[0] != first[1] ||
      first[0] != first[2]) {
    throw corrupt(where, "its red, green and blue palette descriptors differ");
  }
  PaletteLut lut;
  lut.firstMapped = first[0];
  lut.entries.resize(entries[0]);
  for (std::size_t n = 0; n < entries[0]; ++n) lut.entries[n] = {red[n], green[n], blue[n]};
  return lut;
}

namespace {

// The chroma terms of the inverse transform for every 8-bit Cb and Cr, computed once: a whole
// frame then costs table look-ups and additions (same doubles, same results as computing them).
struct ChromaTerms {
  std::array<double, 256> redFromCr, greenFromCb, greenFromCr, blueFromCb;
  ChromaTerms() {
    for (int v = 0; v < 256; ++v) {
      const double c = v - 128.0;
      redFromCr[v] = 1.402 * c;
      greenFromCb[v] = 0.344136 * c;
      greenFromCr[v] = 0.714136 * c;
      blueFromCb[v] = 1.772 * c;
    }
  }
};

// Round half up (the rule pydicom and PS3.3's examples use) and clamp to 0..255.
std::uint8_t toByte(double v) {
  return v <= 0.0 ? 0 : v >= 254.5 ? 255 : static_cast<std::uint8_t>(v + 0.5);
}

const ChromaTerms& chromaTerms() {
  static const ChromaTerms terms;
  return terms;
}

// Y, Cb, Cr in 0..255.
inline RgbColour ybrToRgb(const ChromaTerms& t, int y, int cb, int cr) {
  return {toByte(y + t.redFromCr[cr]), toByte(y - t.greenFromCb[cb] - t.greenFromCr[cr]),
          toByte(y + t.blueFromCb[cb])};
}

}  // namespace

RgbColour ybrFullToRgb(int y, int cb, int cr) {
  return ybrToRgb(chromaTerms(), std::clamp(y, 0, 255), std::clamp(cb, 0, 255),
                  std::clamp(cr, 0, 255));
}

void frameToRgb(std::span<const std::uint8_t> frame, const ColourLayout& layout, int columns,
                const PaletteLut* palette, std::span<RgbColour> out, const std::string& where) {
  const std::size_t pixels = out.size();
  const int bytes = layout.bitsAllocated <= 8 ? 1 : 2;
  if (layout.bitsAllocated != 8 && layout.bitsAllocated != 16) {
    throw Error(ErrorKind::Unsupported,
                where + " has " + std::to_string(layout.bitsAllocated) +
                    " bits allocated per colour sample; only 8 and 16 are supported.",
                where);
  }
  const std::string& p = layout.photometric;
  if (p == "YBR_FULL_422") {
    // C.7.6.3.1.2: each pair of pixels in a row is stored as Y1 Y2 Cb Cr (8 bits only).
    if (bytes != 1 || columns % 2 != 0) {
      throw corrupt(where, "YBR_FULL_422 needs 8-bit samples and an even number of columns");
    }
    if (frame.size() < pixels * 2) throw corrupt(where, "the frame is shorter than its size");
    const ChromaTerms& t = chromaTerms();
    for (std::size_t n = 0; n + 1 < pixels; n += 2) {
      const std::uint8_t* q = frame.data() + n * 2;
      out[n] = ybrToRgb(t, q[0], q[2], q[3]);
      out[n + 1] = ybrToRgb(t, q[1], q[2], q[3]);
    }
    return;
  }
  const int spp = p == "PALETTE COLOR" ? 1 : 3;
  if (layout.samplesPerPixel != spp) {
    throw corrupt(where, p + " needs " + std::to_string(spp) + " samples per pixel, not " +
                             std::to_string(layout.samplesPerPixel));
  }
  if (frame.size() < pixels * static_cast<std::size_t>(spp * bytes)) {
    throw corrupt(where, "the frame is shorter than its rows, columns and samples");
  }
  const SampleReader sample{frame, pixels, spp, layout.planar && spp == 3, bytes};
  if (p == "PALETTE COLOR") {
    if (!palette || palette->entries.empty()) throw corrupt(where, "it has no palette");
    const auto last = static_cast<std::int64_t>(palette->entries.size()) - 1;
    for (std::size_t n = 0; n < pixels; ++n) {
      std::int64_t index = sample(n, 0) & ((1u << layout.bitsStored) - 1u);
      if (layout.isSigned && (index >> (layout.bitsStored - 1)) != 0)
        index -= std::int64_t{1} << layout.bitsStored;
      // C.7.6.3.1.5: values below the first mapped one take the first entry, above the last
      // one the last entry.
      index = std::clamp<std::int64_t>(index - palette->firstMapped, 0, last);
      out[n] = palette->entries[static_cast<std::size_t>(index)];
    }
    return;
  }
  if (bytes == 1 && !sample.planar && (p == "RGB" || p == "YBR_ICT" || p == "YBR_RCT")) {
    std::memcpy(out.data(), frame.data(), pixels * 3);  // already the layout of RgbColour
    return;
  }
  if (bytes == 1 && !sample.planar && p == "YBR_FULL") {
    const ChromaTerms& t = chromaTerms();
    const std::uint8_t* q = frame.data();
    for (std::size_t n = 0; n < pixels; ++n, q += 3) out[n] = ybrToRgb(t, q[0], q[1], q[2]);
    return;
  }
  // 16-bit samples keep their top 8 stored bits for display.
  const int shift = std::max(0, layout.bitsStored - 8);
  auto channel = [&](std::size_t n, int s) { return static_cast<int>(sample(n, s) >> shift); };
  if (p == "RGB" || p == "YBR_ICT" || p == "YBR_RCT") {
    // YBR_ICT/RCT here means an encoder's colour transform was already undone by the codec.
    for (std::size_t n = 0; n < pixels; ++n) {
      out[n] = {static_cast<std::uint8_t>(channel(n, 0)), static_cast<std::uint8_t>(channel(n, 1)),
                static_cast<std::uint8_t>(channel(n, 2))};
    }
    return;
  }
  if (p == "YBR_FULL") {
    for (std::size_t n = 0; n < pixels; ++n)
      out[n] = ybrFullToRgb(channel(n, 0), channel(n, 1), channel(n, 2));
    return;
  }
  throw Error(ErrorKind::Unsupported,
              where + " has the colour model " + p +
                  ", which TwinPlan cannot show (RGB, YBR_FULL, YBR_FULL_422 and PALETTE COLOR "
                  "are supported).",
              where);
}

void planesToRgb(std::span<const std::int32_t> c0, std::span<const std::int32_t> c1,
                 std::span<const std::int32_t> c2, const ColourLayout& layout,
                 std::span<RgbColour> out) {
  const int shift = std::max(0, layout.bitsStored - 8);
  auto byte = [shift](std::int32_t v) {
    return static_cast<std::uint8_t>(std::clamp(v >> shift, 0, 255));
  };
  const bool ybr = layout.photometric == "YBR_FULL" || layout.photometric == "YBR_FULL_422";
  for (std::size_t n = 0; n < out.size(); ++n) {
    out[n] = ybr ? ybrFullToRgb(byte(c0[n]), byte(c1[n]), byte(c2[n]))
                 : RgbColour{byte(c0[n]), byte(c1[n]), byte(c2[n])};
  }
}

}  // namespace twinplan::io::detail
