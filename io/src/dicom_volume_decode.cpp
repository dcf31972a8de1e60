// Pixel decoding for the DICOM volume loader: native, DCMTK codecs, OpenJPEG for JPEG 2000.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "dicom_codecs.h"
#include "j2k_decoder.h"
#include "twinplan/core/error.h"
#include "volume_frames.h"

namespace twinplan::io::detail {

static_assert(std::endian::native == std::endian::little,
              "FrameDecoder::localOrder32 assumes DCMTK hands out little-endian 16-bit words");

namespace {

Error corrupt(const FileHeader& file, const std::string& what) {
  return Error(ErrorKind::Corrupt,
               "The pixel data of " + file.file.string() + " cannot be read: " + what +
                   ". The file is truncated or damaged; copy it again from the source.",
               file.file.string());
}

// Stored word -> stored value: drop the bits above HighBit and below the stored range,
// sign-extend when PixelRepresentation is 1.
struct StoredValueReader {
  explicit StoredValueReader(const PixelFormat& f)
      : shift(f.highBit + 1 - f.bitsStored),
        mask(f.bitsStored >= 32 ? 0xFFFFFFFFu : ((1u << f.bitsStored) - 1u)),
        signBit(f.bitsStored >= 32 ? 0x80000000u : (1u << (f.bitsStored - 1))),
        isSigned(f.isSigned) {}
  std::int64_t operator()(std::uint32_t word) const {
    const std::uint32_t v = (word >> shift) & mask;
    if (isSigned && (v & signBit))
      return static_cast<std::int64_t>(v) - 2 * static_cast<std::int64_t>(signBit);
    return static_cast<std::int64_t>(v);
  }
  int shift;
  std::uint32_t mask, signBit;
  bool isSigned;
};

// Largest intercept magnitude the integer path takes: stored values (at most 16 bits) plus
// or minus it stay far inside int32.
constexpr double kMaxIntegerIntercept = 1 << 30;

// Stored word -> output value in int32 for the integer path: the same value as
// StoredValueReader and "* 1 + intercept", without branches so that the frame loop vectorizes.
// MONOCHROME1 is not inverted: it is a display matter (PS3.3 C.7.6.3.1.2), the values stay the
// Modality LUT result.
struct IntegerRescaler {
  IntegerRescaler(const PixelFormat& f, int shift, std::int32_t intercept)
      : shift(static_cast<unsigned>(shift)),
        mask((1u << f.bitsStored) - 1u),
        signBit(f.isSigned ? 1u << (f.bitsStored - 1) : 0u),
        intercept(intercept) {}
  std::int32_t operator()(std::uint32_t word) const {
    const std::uint32_t v = (word >> shift) & mask;
    // Sign extension: (v ^ signBit) - signBit is v - 2 * signBit when the sign bit is set.
    const auto value = static_cast<std::int32_t>((v ^ signBit) - signBit);
    return value + intercept;
  }
  unsigned shift;
  std::uint32_t mask, signBit;
  std::int32_t intercept;
};

// Rescales the words word(0) .. word(pixels - 1) into `out`. Checked: false when a value falls
// outside T, i.e. when narrowing it to T and back does not give it again (accumulated without
// branches).
template <bool Checked, class WordAt, class T>
bool rescaleFrame(const WordAt& word, std::size_t pixels, const IntegerRescaler& rescale, T* out) {
  std::uint32_t outside = 0;
  for (std::size_t n = 0; n < pixels; ++n) {
    const std::int32_t value = rescale(word(n));
    const T narrowed = static_cast<T>(value);
    if constexpr (Checked) {
      outside |= static_cast<std::uint32_t>(value ^ static_cast<std::int32_t>(narrowed));
    }
    out[n] = narrowed;
  }
  return outside == 0;
}

// The fragments (items after the offset table) that hold frame `frame` of an encapsulated
// JPEG 2000 pixel sequence.
std::vector<std::uint8_t> j2kFrameStream(const FileHeader& file, DcmPixelSequence& sequence,
                                         int frame) {
  const unsigned long items = sequence.card();
  if (items < 2) throw corrupt(file, "the encapsulated pixel data has no fragments");
  std::vector<std::pair<const std::uint8_t*, std::size_t>> fragments;
  for (unsigned long i = 1; i < items; ++i) {
    DcmPixelItem* item = nullptr;
    Uint8* bytes = nullptr;
    if (sequence.getItem(item, i).bad() || !item || item->getUint8Array(bytes).bad()) {
      throw corrupt(file, "fragment " + std::to_string(i) + " cannot be read");
    }
    fragments.emplace_back(bytes, bytes ? item->getLength() : 0);
  }
  // Frame starts: fragments that begin with a J2K start-of-codestream marker or a JP2 box.
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    const auto [p, n] = fragments[i];
    const bool soc = n >= 2 && p[0] == 0xFF && p[1] == 0x4F;
    const bool jp2 = n >= 8 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0x0C && p[4] == 0x6A;
    if (soc || jp2) starts.push_back(i);
  }
  if (file.frames == 1)
    starts = {0};
  else if (static_cast<int>(fragments.size()) == file.frames) {
    starts.clear();
    for (std::size_t i = 0; i < fragments.size(); ++i) starts.push_back(i);
  }
  if (static_cast<int>(starts.size()) <= frame) {
    throw corrupt(file, "frame " + std::to_string(frame + 1) + " of " +
                            std::to_string(file.frames) +
                            " is missing from the encapsulated pixel data");
  }
  const std::size_t first = starts[static_cast<std::size_t>(frame)];
  const std::size_t last = static_cast<std::size_t>(frame) + 1 < starts.size()
                               ? starts[static_cast<std::size_t>(frame) + 1]
                               : fragments.size();
  std::vector<std::uint8_t> stream;
  for (std::size_t i = first; i < last; ++i) {
    stream.insert(stream.end(), fragments[i].first, fragments[i].first + fragments[i].second);
  }
  return stream;
}

}  // namespace

// A 32-bit pixel cell in a big-endian transfer syntax is one big-endian 32-bit value
// (PS3.5 7.3: the byte order applies to the whole value; pydicom reads it as '>u4').
// DCMTK holds Pixel Data as OW and byte-swaps it in 16-bit words, which leaves the two
// halves of each value in big-endian order: exchange them. Pixel Data read as OB was not
// swapped at all: reverse all four bytes.
void FrameDecoder::localOrder32(bool swappedAsWords, std::size_t pixels) {
  for (std::size_t n = 0; n < pixels; ++n) {
    std::uint32_t word;
    std::memcpy(&word, raw_.data() + 4 * n, 4);
    word = swappedAsWords ? (word << 16) | (word >> 16) : __builtin_bswap32(word);
    std::memcpy(raw_.data() + 4 * n, &word, 4);
  }
}

std::int64_t PixelFormat::storedMin() const {
  return isSigned ? -(std::int64_t{1} << (bitsStored - 1)) : 0;
}
std::int64_t PixelFormat::storedMax() const {
  return isSigned ? (std::int64_t{1} << (bitsStored - 1)) - 1 : (std::int64_t{1} << bitsStored) - 1;
}

bool integerRescale(const FileHeader& file, const FrameHeader& frame) {
  const PixelFormat& f = file.format;
  return !file.modalityLut && (f.bitsAllocated == 8 || f.bitsAllocated == 16) &&
         f.bitsStored <= 16 && frame.rescaleSlope == 1.0 &&
         frame.rescaleIntercept == std::round(frame.rescaleIntercept) &&
         std::abs(frame.rescaleIntercept) <= kMaxIntegerIntercept;
}

FrameDecoder::FrameDecoder() = default;
FrameDecoder::~FrameDecoder() = default;

void FrameDecoder::load(const FileHeader& file, std::size_t fileIndex) {
  if (loaded_ && loadedIndex_ == fileIndex) return;
  loaded_.reset();  // at most one data set in memory
  ensureDicomCodecsRegistered();
  auto format = std::make_unique<DcmFileFormat>();
  OFCondition status;
  try {
    status = format->loadFile(file.file.c_str(), file.readXfer, EGL_noChange, DCM_MaxReadLength,
                              file.bareDataset ? ERM_dataset : ERM_autoDetect);
  } catch (const std::exception& e) {
    // DCMTK 3.6.7 throws std::out_of_range on some damaged elements (found by fuzzing).
    throw corrupt(file, std::string("DCMTK failed on it (") + e.what() + ")");
  }
  if (status.bad())
    throw corrupt(file, std::string("DCMTK stopped reading it (") + status.text() + ")");
  loaded_ = std::move(format);
  loadedIndex_ = fileIndex;
  nextFragment_ = 0;
  lastFrame_ = -1;
}

FrameDecoder::Samples FrameDecoder::fetch(const FileHeader& file, std::size_t fileIndex,
                                          const FrameHeader& frame) {
  load(file, fileIndex);
  DcmDataset* dataset = loaded_->getDataset();
  const PixelFormat& f = file.format;
  const std::size_t pixels = static_cast<std::size_t>(f.rows) * static_cast<std::size_t>(f.columns);

  DcmElement* element = nullptr;
  if (dataset->findAndGetElement(DCM_PixelData, element).bad() || !element) {
    throw corrupt(file, "it has no Pixel Data (7FE0,0010)");
  }
  // A Pixel Data element with another VR (e.g. OL, found by fuzzing) is not a DcmPixelData:
  // casting it would be undefined behaviour.
  if (element->ident() != EVR_PixelData) {
    throw corrupt(file, std::string("its Pixel Data (7FE0,0010) has VR ") +
                            DcmVR(element->getVR()).getVRName() + " instead of OB or OW");
  }
  auto* pixelData = static_cast<DcmPixelData*>(element);

  const E_TransferSyntax xfer = dataset->getOriginalXfer();
  if (xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000) {
    E_TransferSyntax repType = EXS_Unknown;
    const DcmRepresentationParameter* repParam = nullptr;
    pixelData->getOriginalRepresentationKey(repType, repParam);
    DcmPixelSequence* sequence = nullptr;
    if (pixelData->getEncapsulatedRepresentation(repType, repParam, sequence).bad() || !sequence) {
      throw corrupt(file, "the JPEG 2000 pixel data is not encapsulated");
    }
    const std::vector<std::uint8_t> stream = j2kFrameStream(file, *sequence, frame.frameIndex);
    J2kImage image = decodeJ2k(stream, file.file.string());
    if (image.width != f.columns || image.height != f.rows) {
      throw corrupt(file, "the JPEG 2000 image is " + std::to_string(image.width) + "x" +
                              std::to_string(image.height) + " but the header says " +
                              std::to_string(f.columns) + "x" + std::to_string(f.rows));
    }
    j2k_ = std::move(image.samples);
    if (j2k_.size() < pixels) throw corrupt(file, "the JPEG 2000 image has too few samples");
    return Samples::J2k;
  }

  if (f.bitsAllocated != 8 && f.bitsAllocated != 16 && f.bitsAllocated != 32) {
    throw Error(ErrorKind::Unsupported,
                file.file.string() + " has " + std::to_string(f.bitsAllocated) +
                    " bits allocated per pixel; only 8, 16 and 32 are supported.",
                file.file.string());
  }
  Uint32 frameSize = 0;
  if (pixelData->getUncompressedFrameSize(dataset, frameSize).bad() ||
      frameSize < pixels * static_cast<std::size_t>(f.bitsAllocated / 8)) {
    throw corrupt(file, "the pixel data does not match Rows, Columns and Bits Allocated");
  }
  if (!DcmXfer(xfer).isEncapsulated()) {
    const std::size_t needed = static_cast<std::size_t>(frameSize) * (frame.frameIndex + 1);
    if (pixelData->getLength() < needed) {
      throw corrupt(file, "Pixel Data holds " + std::to_string(pixelData->getLength()) +
                              " bytes but frame " + std::to_string(frame.frameIndex + 1) +
                              " needs " + std::to_string(needed));
    }
  }
  // Reused from frame to frame: no allocation per slice once the first frame is read.
  raw_.resize(frameSize + (frameSize & 1u));
  OFString colourModel;
  Uint32 startFragment = frame.frameIndex == lastFrame_ + 1 ? nextFragment_ : 0;
  const OFCondition status =
      pixelData->getUncompressedFrame(dataset, static_cast<Uint32>(frame.frameIndex), startFragment,
                                      raw_.data(), static_cast<Uint32>(raw_.size()), colourModel);
  if (status.bad()) {
    throw corrupt(file, "frame " + std::to_string(frame.frameIndex + 1) +
                            " could not be decoded (" + status.text() + ")");
  }
  nextFragment_ = startFragment;
  lastFrame_ = frame.frameIndex;
  if (f.bitsAllocated == 32 && DcmXfer(xfer).isBigEndian()) {
    localOrder32(element->getVR() == EVR_OW, pixels);
  }
  return Samples::Words;
}

void FrameDecoder::decode(const FileHeader& file, std::size_t fileIndex, const FrameHeader& frame,
                          std::span<double> out) {
  const PixelFormat& f = file.format;
  const std::size_t pixels = static_cast<std::size_t>(f.rows) * static_cast<std::size_t>(f.columns);
  if (out.size() != pixels) throw Error(ErrorKind::Internal, "Frame buffer size mismatch.");
  const Samples samples = fetch(file, fileIndex, frame);

  const StoredValueReader stored(f);
  const double slope = frame.rescaleSlope, intercept = frame.rescaleIntercept;
  // With a Modality LUT the table takes the stored value as it is (PS3.3 C.11.1). MONOCHROME1
  // is left to the display (PS3.3 C.7.6.3.1.2).
  const ModalityLut* lut = file.modalityLut.get();
  auto emit = [&](std::size_t n, std::int64_t value) {
    out[n] = lut ? (*lut)(value) : static_cast<double>(value) * slope + intercept;
  };

  if (samples == Samples::J2k) {
    // The DICOM header is trusted over the codestream for signedness (PS3.5 8.2.4).
    const StoredValueReader fromCodestream(
        PixelFormat{f.rows, f.columns, 32, f.bitsStored, f.bitsStored - 1, f.isSigned, 1, {}});
    for (std::size_t n = 0; n < pixels; ++n) {
      emit(n, fromCodestream(static_cast<std::uint32_t>(j2k_[n])));
    }
    return;
  }
  switch (f.bitsAllocated) {
    case 8:
      for (std::size_t n = 0; n < pixels; ++n) emit(n, stored(raw_[n]));
      break;
    case 16:
      for (std::size_t n = 0; n < pixels; ++n) {
        std::uint16_t word;
        std::memcpy(&word, raw_.data() + 2 * n, 2);
        emit(n, stored(word));
      }
      break;
    default:
      for (std::size_t n = 0; n < pixels; ++n) {
        std::uint32_t word;
        std::memcpy(&word, raw_.data() + 4 * n, 4);
        emit(n, stored(word));
      }
      break;
  }
}

template <class T>
bool FrameDecoder::decodeInteger(const FileHeader& file, std::size_t fileIndex,
                                 const FrameHeader& frame, std::span<T> out) {
  const PixelFormat& f = file.format;
  const std::size_t pixels = static_cast<std::size_t>(f.rows) * static_cast<std::size_t>(f.columns);
  if (out.size() != pixels || !integerRescale(file, frame)) {
    throw Error(ErrorKind::Internal, "Integer frame decoding called for a frame it cannot take.");
  }
  const Samples samples = fetch(file, fileIndex, frame);
  const auto intercept = static_cast<std::int32_t>(frame.rescaleIntercept);
  // Every stored value lies in [storedMin, storedMax]: when that range plus the intercept fits
  // T, no value needs checking.
  const bool fits = f.storedMin() + intercept >= std::numeric_limits<T>::lowest() &&
                    f.storedMax() + intercept <= std::numeric_limits<T>::max();
  T* const dst = out.data();
  if (samples == Samples::J2k) {
    const IntegerRescaler rescale(f, /*shift=*/0, intercept);
    const std::int32_t* src = j2k_.data();
    auto word = [src](std::size_t n) { return static_cast<std::uint32_t>(src[n]); };
    return fits ? rescaleFrame<false>(word, pixels, rescale, dst)
                : rescaleFrame<true>(word, pixels, rescale, dst);
  }
  const IntegerRescaler rescale(f, f.highBit + 1 - f.bitsStored, intercept);
  const std::uint8_t* src = raw_.data();
  if (f.bitsAllocated == 8) {
    auto word = [src](std::size_t n) { return static_cast<std::uint32_t>(src[n]); };
    return fits ? rescaleFrame<false>(word, pixels, rescale, dst)
                : rescaleFrame<true>(word, pixels, rescale, dst);
  }
  auto word = [src](std::size_t n) {
    std::uint16_t w;
    std::memcpy(&w, src + 2 * n, 2);
    return static_cast<std::uint32_t>(w);
  };
  return fits ? rescaleFrame<false>(word, pixels, rescale, dst)
              : rescaleFrame<true>(word, pixels, rescale, dst);
}

template bool FrameDecoder::decodeInteger<std::uint8_t>(const FileHeader&, std::size_t,
                                                        const FrameHeader&,
                                                        std::span<std::uint8_t>);
template bool FrameDecoder::decodeInteger<std::int16_t>(const FileHeader&, std::size_t,
                                                        const FrameHeader&,
                                                        std::span<std::int16_t>);
template bool FrameDecoder::decodeInteger<std::uint16_t>(const FileHeader&, std::size_t,
                                                         const FrameHeader&,
                                                         std::span<std::uint16_t>);
template bool FrameDecoder::decodeInteger<std::int32_t>(const FileHeader&, std::size_t,
                                                        const FrameHeader&,
                                                        std::span<std::int32_t>);

}  // namespace twinplan::io::detail
