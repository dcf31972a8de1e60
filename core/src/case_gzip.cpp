#include "case_gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"

namespace twinplan::casefile {
namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;  // 1 MiB: ~10-30 ms of deflate level 1
// Level 1: an autosave of a 200 MB CT must take seconds, not a minute; level 6 saves only
// ~10% more space on noisy CT.
constexpr int kLevel = Z_BEST_SPEED;

class Inflater {
 public:
  Inflater() {
    if (inflateInit2(&stream_, 15 + 16) != Z_OK) {
      throw Error(ErrorKind::Internal, "zlib could not start a gzip decoder (out of memory?).");
    }
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& operator*() { return stream_; }

 private:
  z_stream stream_{};
};

}  // namespace

namespace {

// Raw deflate (RFC 1951) of one piece of a payload, ended on a byte boundary: Z_SYNC_FLUSH for
// every piece but the last, whose Z_FINISH sets the final-block bit. Such pieces concatenated
// are one valid deflate stream (the technique of pigz, Adler 2007; zlib manual, deflate() and
// Z_SYNC_FLUSH).
std::string deflatePiece(std::span<const std::byte> piece, bool last) {
  z_stream z{};
  // -15: raw deflate, 32 KiB window; the gzip wrapper is written around all pieces below.
  if (deflateInit2(&z, kLevel, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error(ErrorKind::Internal, "zlib could not start a gzip stream (out of memory?).");
  std::string out(deflateBound(&z, static_cast<uLong>(piece.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(piece.data()));
  z.avail_in = static_cast<uInt>(piece.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
  const bool complete = last ? rc == Z_STREAM_END : rc == Z_OK && z.avail_in == 0;
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  if (!complete) throw Error(ErrorKind::Internal, "zlib failed while compressing a case payload.");
  return out;
}

void appendLittleEndian32(std::uint32_t value, std::string& out) {
  for (int byte = 0; byte < 4; ++byte) out += static_cast<char>((value >> (8 * byte)) & 0xffu);
}

}  // namespace

void gzipAppend(std::span<const std::byte> data, std::string& out, Progress& progress) {
  // Pieces of kChunk bytes deflated in parallel (core/parallel.h), each on its own: the pieces
  // and so the bytes written do not depend on the thread count. A piece starts without the
  // previous one's 32 KiB history, which costs well under 1 % of the size at 1 MiB pieces.
  const std::size_t count = std::max<std::size_t>(1, (data.size() + kChunk - 1) / kChunk);
  std::vector<std::string> pieces(count);
  std::vector<uLong> crcs(count);
  parallel::forEachChunk(
      {0, count}, {1, {}, {}},
      [&](parallel::IndexRange chunk, Progress&) {
        for (std::size_t n = chunk.begin; n < chunk.end; ++n) {
          const std::size_t from = n * kChunk;
          const std::span<const std::byte> piece =
              data.subspan(from, std::min(kChunk, data.size() - from));
          pieces[n] = deflatePiece(piece, n + 1 == count);
          crcs[n] = crc32_z(0L, reinterpret_cast<const Bytef*>(piece.data()), piece.size());
        }
      },
      progress);
  // The gzip member (RFC 1952): header (deflate, no flags, no time, fastest, OS unknown), the
  // pieces, CRC-32 of the data and its size modulo 2^32.
  static constexpr char kHeader[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 4, '\xff'};
  std::size_t total = sizeof kHeader + 8;
  for (const std::string& piece : pieces) total += piece.size();
  out.reserve(out.size() + total);
  out.append(kHeader, sizeof kHeader);
  uLong crc = crc32_z(0L, nullptr, 0);
  for (std::size_t n = 0; n < count; ++n) {
    out += pieces[n];
    const std::size_t length = std::min(kChunk, data.size() - n * kChunk);
    crc = crc32_combine(crc, crcs[n], static_cast<z_off_t>(length));
  }
  appendLittleEndian32(static_cast<std::uint32_t>(crc), out);
  appendLittleEndian32(static_cast<std::uint32_t>(data.size() & 0xffffffffu), out);
  progress.report(1.0, "");
}

void gunzipExact(std::string_view in, std::span<std::byte> out, Progress& progress) {
  Inflater inflater;
  z_stream& z = *inflater;
  std::size_t consumed = 0;
  std::size_t produced = 0;
  while (true) {
    const std::size_t inChunk = std::min(kChunk, in.size() - consumed);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
    z.avail_in = static_cast<uInt>(inChunk);
    // One extra byte of room so that a stream holding more than expected is noticed.
    std::byte spare{};
    const bool room = produced < out.size();
    z.next_out = reinterpret_cast<Bytef*>(room ? out.data() + produced : &spare);
    z.avail_out = static_cast<uInt>(room ? std::min(out.size() - produced, kChunk * 4) : 1);
    const uInt outBefore = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (!room && z.avail_out == 0) {
      throw Error(ErrorKind::Corrupt, "holds more voxel data than its header declares.");
    }
    produced += outBefore - z.avail_out;
    consumed += inChunk - z.avail_in;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      throw Error(ErrorKind::Corrupt, std::string("has damaged gzip data (") +
                                          (z.msg ? z.msg : "invalid stream") + ").");
    }
    if (rc == Z_MEM_ERROR) {
      throw Error(ErrorKind::Internal, "zlib ran out of memory while reading a case payload.");
    }
    if (rc == Z_BUF_ERROR && consumed == in.size()) {
      throw Error(ErrorKind::Corrupt, "ends before its gzip data is complete (truncated).");
    }
    if (out.size() > 0) {
      progress.report(static_cast<double>(produced) / static_cast<double>(out.size()), "");
    }
    progress.check();
  }
  if (produced != out.size()) {
    throw Error(ErrorKind::Corrupt, "holds fewer voxels than its header declares.");
  }
  if (consumed != in.size()) {
    throw Error(ErrorKind::Corrupt, "has unexpected bytes after its gzip data.");
  }
  progress.report(1.0, "");
}

bool inflatedSizePlausible(std::size_t compressedBytes, std::size_t inflatedBytes) {
  return inflatedBytes / 1032 <= compressedBytes + 64;
}

}  // namespace twinplan::casefile
