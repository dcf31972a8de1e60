// Writes the frames the runtime receives as 8-bit RGBA PNG (ISO/IEC 15948, PNG 2nd edition):
// readable by any image tool, with the alpha channel that alpha-blend mixed reality needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace twinplan::xr_test_runtime {

// `rgba` is width*height*4 bytes, top row first. Returns false (errno set) when the file
// cannot be written; a partial file is removed.
bool writeRgbaPng(const std::string& path, uint32_t width, uint32_t height,
                  const std::vector<uint8_t>& rgba);

}  // namespace twinplan::xr_test_runtime
