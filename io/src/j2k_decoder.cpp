#include "j2k_decoder.h"

// ITK ships its own (mangled, older) openjpeg.h, and its include folder comes first: name
// the system OpenJPEG 2.5 header explicitly.
#include <openjpeg-2.5/openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "twinplan/core/error.h"

namespace twinplan::io::detail {
namespace {

struct MemoryStream {
  std::span<const std::uint8_t> data;
  std::size_t offset = 0;
};

OPJ_SIZE_T readStream(void* buffer, OPJ_SIZE_T bytes, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  if (s->offset >= s->data.size()) return static_cast<OPJ_SIZE_T>(-1);
  const std::size_t n = std::min<std::size_t>(bytes, s->data.size() - s->offset);
  std::memcpy(buffer, s->data.data() + s->offset, n);
  s->offset += n;
  return n;
}

OPJ_OFF_T skipStream(OPJ_OFF_T bytes, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  const auto target = static_cast<OPJ_OFF_T>(s->offset) + bytes;
  const auto clamped = std::clamp<OPJ_OFF_T>(target, 0, static_cast<OPJ_OFF_T>(s->data.size()));
  const OPJ_OFF_T moved = clamped - static_cast<OPJ_OFF_T>(s->offset);
  s->offset = static_cast<std::size_t>(clamped);
  return moved;
}

OPJ_BOOL seekStream(OPJ_OFF_T position, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  if (position < 0 || static_cast<std::size_t>(position) > s->data.size()) return OPJ_FALSE;
  s->offset = static_cast<std::size_t>(position);
  return OPJ_TRUE;
}

void quietHandler(const char*, void*) {}

struct CodecDeleter {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct ImageDeleter {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};

}  // namespace

J2kImage decodeJ2k(std::span<const std::uint8_t> stream, const std::string& context) {
  auto fail = [&](const std::string& what) {
    return Error(ErrorKind::Corrupt,
                 "The JPEG 2000 pixel data of " + context + " cannot be decoded (" + what +
                     "); the file is damaged or was written by a faulty encoder.",
                 context);
  };
  static const std::uint8_t kJp2Signature[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20};
  OPJ_CODEC_FORMAT format = OPJ_CODEC_J2K;
  if (stream.size() >= 8 && std::equal(kJp2Signature, kJp2Signature + 8, stream.begin())) {
    format = OPJ_CODEC_JP2;
  } else if (stream.size() < 2 || stream[0] != 0xFF || stream[1] != 0x4F) {
    throw fail("no JPEG 2000 start-of-codestream marker");
  }

  std::unique_ptr<opj_codec_t, CodecDeleter> codec(opj_create_decompress(format));
  if (!codec) throw fail("OpenJPEG could not create a decoder");
  opj_set_info_handler(codec.get(), quietHandler, nullptr);
  opj_set_warning_handler(codec.get(), quietHandler, nullptr);
  opj_set_error_handler(codec.get(), quietHandler, nullptr);
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  if (!opj_setup_decoder(codec.get(), &parameters)) throw fail("decoder setup failed");

  MemoryStream memory{stream, 0};
  std::unique_ptr<opj_stream_t, StreamDeleter> input(opj_stream_default_create(OPJ_TRUE));
  if (!input) throw fail("OpenJPEG could not create a stream");
  opj_stream_set_user_data(input.get(), &memory, nullptr);
  opj_stream_set_user_data_length(input.get(), stream.size());
  opj_stream_set_read_function(input.get(), readStream);
  opj_stream_set_skip_function(input.get(), skipStream);
  opj_stream_set_seek_function(input.get(), seekStream);

  opj_image_t* raw = nullptr;
  if (!opj_read_header(input.get(), codec.get(), &raw)) {
    if (raw) opj_image_destroy(raw);
    throw fail("invalid codestream header");
  }
  std::unique_ptr<opj_image_t, ImageDeleter> image(raw);
  if (image->numcomps < 1 || image->x1 <= image->x0 || image->y1 <= image->y0 ||
      image->x1 - image->x0 > 65535 || image->y1 - image->y0 > 65535) {
    throw fail("implausible image size in the codestream header");
  }
  if (!opj_decode(codec.get(), input.get(), image.get()) ||
      !opj_end_decompress(codec.get(), input.get())) {
    throw fail("the codestream is truncated or invalid");
  }
  const opj_image_comp_t& comp = image->comps[0];
  if (!comp.data || comp.w == 0 || comp.h == 0 || comp.dx != 1 || comp.dy != 1) {
    throw fail("no decoded samples for the first component");
  }
  J2kImage out;
  out.width = static_cast<int>(comp.w);
  out.height = static_cast<int>(comp.h);
  out.components = static_cast<int>(image->numcomps);
  out.precision = static_cast<int>(comp.prec);
  out.isSigned = comp.sgnd != 0;
  const std::size_t count = static_cast<std::size_t>(comp.w) * comp.h;
  out.samples.assign(comp.data, comp.data + count);
  if (image->numcomps >= 3) {
    const opj_image_comp_t& c1 = image->comps[1];
    const opj_image_comp_t& c2 = image->comps[2];
    const bool fullSize =
        c1.data && c2.data && c1.w == comp.w && c1.h == comp.h && c2.w == comp.w && c2.h == comp.h;
    if (fullSize) {
      out.samples1.assign(c1.data, c1.data + count);
      out.samples2.assign(c2.data, c2.data + count);
    }
  }
  return out;
}

}  // namespace twinplan::io::detail
