// Parallel gzip (parallel_gzip.h). The one place in io that runs its own parallel loop: a
// oneTBB pipeline used directly until the project-wide parallel facility (branch
// parallel-boundaries) exists; it moves onto that facility at merge.
#include "parallel_gzip.h"

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "twinplan/core/error.h"

namespace twinplan::io::detail {
namespace {

struct Piece {
  std::span<const std::byte> input;
  bool last = false;
  uLong crc = 0;
  std::vector<unsigned char> deflated;
};

// Raw deflate (RFC 1951, no zlib wrapper: windowBits -15) of one piece. A piece that is not
// the last ends with Z_SYNC_FLUSH, i.e. on a byte boundary after an empty stored block, so
// that the next piece's blocks can follow it directly.
void deflatePiece(Piece& piece, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error(ErrorKind::Internal, "zlib could not start a deflate stream (out of memory?).");
  }
  const uLong length = static_cast<uLong>(piece.input.size());
  // deflateBound covers the data and the end of stream; a sync flush adds at most 5 bytes.
  piece.deflated.resize(deflateBound(&z, length) + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(piece.input.data()));
  z.avail_in = static_cast<uInt>(length);
  z.next_out = piece.deflated.data();
  z.avail_out = static_cast<uInt>(piece.deflated.size());
  const int status = deflate(&z, piece.last ? Z_FINISH : Z_SYNC_FLUSH);
  const bool complete = piece.last ? status == Z_STREAM_END : (status == Z_OK && z.avail_in == 0);
  const bool roomLeft = z.avail_out > 0;
  piece.deflated.resize(z.total_out);
  deflateEnd(&z);
  if (!complete || !roomLeft) {
    throw Error(ErrorKind::Internal, "zlib could not deflate a piece of the image in one call.");
  }
  piece.crc =
      crc32(0L, reinterpret_cast<const Bytef*>(piece.input.data()), static_cast<uInt>(length));
}

std::vector<Piece> cutIntoPieces(std::span<const std::span<const std::byte>> parts,
                                 std::size_t pieceBytes) {
  // zlib counts in uInt: keep pieces well under 4 GiB.
  pieceBytes = std::clamp<std::size_t>(pieceBytes, 4096, std::size_t{1} << 30);
  std::vector<Piece> pieces;
  for (std::span<const std::byte> part : parts) {
    for (std::size_t at = 0; at < part.size(); at += pieceBytes) {
      pieces.push_back({part.subspan(at, std::min(pieceBytes, part.size() - at)), false, 0, {}});
    }
  }
  if (pieces.empty()) pieces.push_back({});
  pieces.back().last = true;
  return pieces;
}

void putLittleEndian32(unsigned char* at, std::uint32_t value) {
  for (int b = 0; b < 4; ++b) at[b] = static_cast<unsigned char>(value >> (8 * b));
}

}  // namespace

void writeParallelGzip(std::span<const std::span<const std::byte>> parts, int level,
                       std::size_t pieceBytes,
                       const std::function<void(std::span<const unsigned char>)>& sink) {
  if (level < 0 || level > 9) {
    throw Error(
        ErrorKind::InvalidInput,
        "The gzip level must be 0 (store) to 9 (smallest), not " + std::to_string(level) + ".",
        "gzipLevel");
  }
  std::vector<Piece> pieces = cutIntoPieces(parts, pieceBytes);

  // RFC 1952 2.3: ID1 ID2, CM = 8 (deflate), FLG = 0, MTIME = 0 (none), XFL = 0, OS = 3 (Unix).
  const std::array<unsigned char, 10> member{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
  sink(member);

  uLong crc = crc32(0L, Z_NULL, 0);
  std::uint64_t total = 0;
  std::size_t next = 0;
  const auto tokens = static_cast<std::size_t>(2 * tbb::this_task_arena::max_concurrency());
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, Piece*>(tbb::filter_mode::serial_in_order,
                                     [&](tbb::flow_control& control) -> Piece* {
                                       if (next == pieces.size()) {
                                         control.stop();
                                         return nullptr;
                                       }
                                       return &pieces[next++];
                                     }) &
          tbb::make_filter<Piece*, Piece*>(tbb::filter_mode::parallel,
                                           [level](Piece* piece) {
                                             deflatePiece(*piece, level);
                                             return piece;
                                           }) &
          tbb::make_filter<Piece*, void>(tbb::filter_mode::serial_in_order, [&](Piece* piece) {
            sink(piece->deflated);
            crc = crc32_combine(crc, piece->crc, static_cast<z_off_t>(piece->input.size()));
            total += piece->input.size();
            std::vector<unsigned char>().swap(piece->deflated);  // free as we go
          }));

  // RFC 1952 2.3.1: CRC32 and ISIZE (the input size modulo 2^32), little-endian.
  std::array<unsigned char, 8> trailer{};
  putLittleEndian32(trailer.data(), static_cast<std::uint32_t>(crc));
  putLittleEndian32(trailer.data() + 4, static_cast<std::uint32_t>(total & 0xffffffffu));
  sink(trailer);
}

}  // namespace twinplan::io::detail
