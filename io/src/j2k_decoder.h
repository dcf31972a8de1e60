#pragma once
// JPEG 2000 (DICOM transfer syntaxes 1.2.840.10008.1.2.4.90/.91) decoding with OpenJPEG.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace twinplan::io::detail {

struct J2kImage {
  int width = 0, height = 0, components = 0;
  int precision = 0;                  // bits per sample of component 0
  bool isSigned = false;              // as the codestream says
  std::vector<std::int32_t> samples;  // component 0, row by row
  // Components 1 and 2 (G and B after OpenJPEG's inverse multi-component transform, or Cb and
  // Cr), row by row, when the image has 3 components of full size; empty otherwise.
  std::vector<std::int32_t> samples1, samples2;
};

// Decodes a J2K codestream or a JP2 file held in memory. Throws Error(Corrupt) naming
// `context` when the stream cannot be decoded.
J2kImage decodeJ2k(std::span<const std::uint8_t> stream, const std::string& context);

}  // namespace twinplan::io::detail
