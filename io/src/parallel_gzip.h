#pragma once
// Private to io: gzip (RFC 1952) of a byte stream, deflated in parallel pieces.
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

namespace twinplan::io::detail {

// Compresses the concatenation of `parts` into one gzip member and hands the compressed
// bytes, in order, to `sink` (which must write all of them or throw).
//
// Each piece of `pieceBytes` is raw-deflated on its own (no window shared across pieces) and
// ended with a sync flush (an empty stored block, so it stops on a byte boundary); the last
// one ends the stream. The pieces joined in order are one valid deflate stream (RFC 1951
// 3.2.3/3.2.4), the CRC-32 of the whole is combined from the pieces' CRCs: the scheme of
// pigz. Pieces are compressed on oneTBB workers and written in order by the calling
// pipeline, at most a few pieces per thread in memory; the bytes are the same for any
// thread count.
void writeParallelGzip(std::span<const std::span<const std::byte>> parts, int level,
                       std::size_t pieceBytes,
                       const std::function<void(std::span<const unsigned char>)>& sink);

}  // namespace twinplan::io::detail
