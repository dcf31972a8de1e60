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

// Writes a depth image as a greyscale Portable Float Map ("Pf", width height, scale -1.0 for
// little-endian 32-bit floats, rows bottom first: the netpbm PFM convention, which is also
// OpenGL's row order). `depth` is width*height values, bottom row first.
bool writeDepthPfm(const std::string& path, uint32_t width, uint32_t height,
                   const std::vector<float>& depth);

}  // namespace twinplan::xr_test_runtime
