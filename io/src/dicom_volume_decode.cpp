// Pixel decoding for the DICOM volume loader: native, DCMTK codecs, OpenJPEG for JPEG 2000.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cstring>

#include "dicom_codecs.h"
#include "j2k_decoder.h"
#include "twinplan/core/error.h"
#include "volume_frames.h"

namespace twinplan::io::detail {
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

std::int64_t PixelFormat::storedMin() const {
  return isSigned ? -(std::int64_t{1} << (bitsStored - 1)) : 0;
}
std::int64_t PixelFormat::storedMax() const {
  return isSigned ? (std::int64_t{1} << (bitsStored - 1)) - 1 : (std::int64_t{1} << bitsStored) - 1;
}

FrameDecoder::FrameDecoder() = default;
FrameDecoder::~FrameDecoder() = default;

void FrameDecoder::load(const FileHeader& file, std::size_t fileIndex) {
  if (loaded_ && loadedIndex_ == fileIndex) return;
  loaded_.reset();  // at most one data set in memory
  ensureDicomCodecsRegistered();
  auto format = std::make_unique<DcmFileFormat>();
  const OFCondition status =
      format->loadFile(file.file.c_str(), file.readXfer, EGL_noChange, DCM_MaxReadLength,
                       file.bareDataset ? ERM_dataset : ERM_autoDetect);
  if (status.bad())
    throw corrupt(file, std::string("DCMTK stopped reading it (") + status.text() + ")");
  loaded_ = std::move(format);
  loadedIndex_ = fileIndex;
  nextFragment_ = 0;
  lastFrame_ = -1;
}

void FrameDecoder::decode(const FileHeader& file, std::size_t fileIndex, const FrameHeader& frame,
                          std::span<double> out) {
  load(file, fileIndex);
  DcmDataset* dataset = loaded_->getDataset();
  const PixelFormat& f = file.format;
  const std::size_t pixels = static_cast<std::size_t>(f.rows) * static_cast<std::size_t>(f.columns);
  if (out.size() != pixels) throw Error(ErrorKind::Internal, "Frame buffer size mismatch.");

  DcmElement* element = nullptr;
  if (dataset->findAndGetElement(DCM_PixelData, element).bad() || !element) {
    throw corrupt(file, "it has no Pixel Data (7FE0,0010)");
  }
  auto* pixelData = static_cast<DcmPixelData*>(element);
  const StoredValueReader stored(f);
  const bool invert = f.monochrome1();
  const std::int64_t invertSum = f.storedMin() + f.storedMax();
  const double slope = frame.rescaleSlope, intercept = frame.rescaleIntercept;
  auto emit = [&](std::size_t n, std::int64_t value) {
    if (invert) value = invertSum - value;
    out[n] = static_cast<double>(value) * slope + intercept;
  };

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
    const J2kImage image = decodeJ2k(stream, file.file.string());
    if (image.width != f.columns || image.height != f.rows) {
      throw corrupt(file, "the JPEG 2000 image is " + std::to_string(image.width) + "x" +
                              std::to_string(image.height) + " but the header says " +
                              std::to_string(f.columns) + "x" + std::to_string(f.rows));
    }
    // The DICOM header is trusted over the codestream for signedness (PS3.5 8.2.4).
    const StoredValueReader fromCodestream(
        PixelFormat{f.rows, f.columns, 32, f.bitsStored, f.bitsStored - 1, f.isSigned, 1, {}});
    for (std::size_t n = 0; n < pixels; ++n) {
      emit(n, fromCodestream(static_cast<std::uint32_t>(image.samples[n])));
    }
    return;
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

}  // namespace twinplan::io::detail
