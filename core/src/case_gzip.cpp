#include "case_gzip.h"

#include <zlib.h>

#include <algorithm>

#include "twinplan/core/error.h"

namespace twinplan::casefile {
namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;  // 1 MiB: ~10-30 ms of deflate level 1
// Level 1: an autosave of a 200 MB CT must take seconds, not a minute; level 6 saves only
// ~10% more space on noisy CT.
constexpr int kLevel = Z_BEST_SPEED;

class Deflater {
 public:
  Deflater() {
    // 15 + 16: a gzip wrapper (RFC 1952), which NRRD's "encoding: gzip" means.
    if (deflateInit2(&stream_, kLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw Error(ErrorKind::Internal, "zlib could not start a gzip stream (out of memory?).");
    }
  }
  ~Deflater() { deflateEnd(&stream_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  z_stream& operator*() { return stream_; }

 private:
  z_stream stream_{};
};

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

void gzipAppend(std::span<const std::byte> data, std::string& out, Progress& progress) {
  Deflater deflater;
  z_stream& z = *deflater;
  const std::size_t start = out.size();
  out.resize(start + deflateBound(&z, static_cast<uLong>(data.size())) + 64);
  std::size_t consumed = 0;
  std::size_t produced = start;
  while (true) {
    const std::size_t inChunk = std::min(kChunk, data.size() - consumed);
    const int flush = consumed + inChunk == data.size() ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(data.data() + consumed));
    z.avail_in = static_cast<uInt>(inChunk);
    int rc = Z_OK;
    do {  // the zlib idiom: call deflate until it leaves output room unused
      if (out.size() - produced < 1024) out.resize(out.size() + kChunk);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      z.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
      const uInt before = z.avail_out;
      rc = deflate(&z, flush);
      if (rc == Z_STREAM_ERROR) {
        throw Error(ErrorKind::Internal, "zlib failed while compressing a case payload.");
      }
      produced += before - z.avail_out;
    } while (z.avail_out == 0);
    consumed += inChunk;
    if (flush == Z_FINISH) {
      if (rc != Z_STREAM_END) {
        throw Error(ErrorKind::Internal, "zlib did not finish a case payload's gzip stream.");
      }
      break;
    }
    progress.report(static_cast<double>(consumed) / static_cast<double>(data.size()), "");
    progress.check();
  }
  out.resize(produced);
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
