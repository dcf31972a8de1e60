#pragma once
// DCMTK decoders for compressed transfer syntaxes, registered once per process.
namespace twinplan::io::detail {

// Registers DCMTK's JPEG (dcmjpeg), JPEG-LS (dcmjpls) and RLE (dcmrle) decoders exactly once,
// thread-safely. JPEG 2000 is not a DCMTK codec: it is decoded with OpenJPEG (j2k_decoder.h).
void ensureDicomCodecsRegistered();

}  // namespace twinplan::io::detail
