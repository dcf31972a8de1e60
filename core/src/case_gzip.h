#pragma once
// gzip streams for the NRRD payloads of a case file (zlib, one gzip member per stream).
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "twinplan/core/progress.h"

namespace twinplan::casefile {

// Appends one gzip member holding `data` to `out`. Reports 0..1 and polls cancellation
// between chunks, so a large volume can be cancelled within ~50 ms.
void gzipAppend(std::span<const std::byte> data, std::string& out, Progress& progress);

// Inflates the single gzip member `in` into exactly out.size() bytes. Throws
// Error(Corrupt) with a phrase ("is not a valid gzip stream ...") when the stream is damaged,
// holds more or fewer bytes, or has trailing data. zlib verifies the gzip CRC-32 and length.
void gunzipExact(std::string_view in, std::span<std::byte> out, Progress& progress);

// Deflate cannot expand more than 1032:1; a payload that claims more is damaged, and
// refusing it up front keeps a crafted file from making us allocate terabytes.
bool inflatedSizePlausible(std::size_t compressedBytes, std::size_t inflatedBytes);

}  // namespace twinplan::casefile
