#pragma once
// Private to the DICOM volume loader: what the header pass learns about each file and frame,
// and the decoder that turns one frame's stored pixels into rescaled values.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dicom_values.h"
#include "twinplan/core/geometry.h"

class DcmFileFormat;

namespace twinplan::io::detail {

// Image Pixel module of one file (all frames of a file share it).
struct PixelFormat {
  int rows = 0, columns = 0;
  int bitsAllocated = 16, bitsStored = 16, highBit = 15;
  bool isSigned = false;  // PixelRepresentation 1
  int samplesPerPixel = 1;
  std::string photometric = "MONOCHROME2";
  bool monochrome1() const { return photometric == "MONOCHROME1"; }
  // Range of the stored values (before rescale).
  std::int64_t storedMin() const;
  std::int64_t storedMax() const;
};

struct FrameHeader {
  std::size_t fileIndex = 0;
  int frameIndex = 0;  // 0-based within its file
  Vec3 position_lps = Vec3::Zero();
  std::array<double, 6> orientation{1, 0, 0, 0, 1, 0};
  std::array<double, 2> pixelSpacing{1.0, 1.0};  // (0028,0030): between rows, between columns
  bool hasPixelSpacing = false;
  double rescaleSlope = 1.0, rescaleIntercept = 0.0;
  std::string rescaleType;                    // (0028,1054), classic or Pixel Value Transformation
  std::optional<RealWorldMapping> realWorld;  // (0040,9096), classic or functional group
  int instanceNumber = 0;
  std::vector<std::uint32_t> volumeKey;  // dimension index values that are not the position
  // Classic images: what tells several volumes at the same positions apart, in the order of
  // kClassicVolumeAttributes (absent: nullopt).
  std::array<std::optional<double>, 5> classicVolumeKey{};
  double along_mm = 0.0;  // position along the slice normal
};

// The classic attributes that tell apart several volumes sharing slice positions, with the
// unit their values are shown in.
struct ClassicVolumeAttribute {
  const char* name;
  const char* unit;
};
inline constexpr std::array<ClassicVolumeAttribute, 5> kClassicVolumeAttributes{{
    {"echo", ""},               // Echo Numbers (0018,0086)
    {"temporal position", ""},  // Temporal Position Identifier (0020,0100)
    {"trigger time", " ms"},    // Trigger Time (0018,1060): cardiac phase
    {"b-value", " s/mm2"},      // Diffusion b-value (0018,9087)
    {"acquisition", ""},        // Acquisition Number (0020,0012)
}};

struct FileHeader {
  std::filesystem::path file;
  PixelFormat format;
  std::string transferSyntaxUid, sopClassUid, modality, units, doseUnits, suvType;
  // Modality LUT Sequence (PS3.3 C.11.1): replaces Rescale Slope/Intercept when present.
  std::shared_ptr<const ModalityLut> modalityLut;
  // Pixel Padding Value (0028,0120) to Pixel Padding Range Limit (0028,0121), ordered low-high,
  // in stored values (PS3.3 C.7.5.1.1.2); without a range limit both ends are the value.
  std::optional<std::pair<std::int64_t, std::int64_t>> paddingStored;
  PetSuvHeader pet;  // read for PT only
  int frames = 1;
  bool enhanced = false;
  double sliceThickness_mm = 0.0, spacingBetweenSlices_mm = 0.0;
  // How the file was read: files without preamble and meta header are read as bare data sets
  // in the transfer syntax that parsed (PS3.10 7.1 requires the meta header; some exporters
  // omit it).
  E_TransferSyntax readXfer = EXS_Unknown;
  bool bareDataset = false;
};

// Whether a frame can take FrameDecoder::decodeInteger: integer stored words of 8 or 16 bits,
// rescale slope exactly 1 and an integer intercept, so that every output value is
// stored + intercept, computed exactly in int32.
bool integerRescale(const FileHeader& file, const FrameHeader& frame);

// Decodes frames one at a time, keeping at most one file's data set in memory.
class FrameDecoder {
 public:
  FrameDecoder();
  ~FrameDecoder();
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Writes rows*columns values (stored value through the Modality LUT or rescale; MONOCHROME1
  // is not inverted, PS3.3 C.7.6.3.1.2) to `out`.
  // Throws Error(Corrupt / Unsupported) naming the file.
  void decode(const FileHeader& file, std::size_t fileIndex, const FrameHeader& frame,
              std::span<double> out);

  // The same values as decode() for a frame where integerRescale() holds, computed in int32
  // and written straight into `out` (T: uint8, int16, uint16 or int32). Returns false when a
  // value does not fit T; `out` then holds unspecified values.
  template <class T>
  bool decodeInteger(const FileHeader& file, std::size_t fileIndex, const FrameHeader& frame,
                     std::span<T> out);

 private:
  enum class Samples { Words, J2k };  // where fetch() left the frame: raw_ or j2k_
  Samples fetch(const FileHeader& file, std::size_t fileIndex, const FrameHeader& frame);
  void load(const FileHeader& file, std::size_t fileIndex);
  // Puts the 32-bit words of a big-endian frame in raw_ into the machine's byte order.
  void localOrder32(bool swappedAsWords, std::size_t pixels);
  std::unique_ptr<DcmFileFormat> loaded_;
  std::size_t loadedIndex_ = static_cast<std::size_t>(-1);
  std::uint32_t nextFragment_ = 0;  // DCMTK's start fragment of frame lastFrame_ + 1
  int lastFrame_ = -1;
  std::vector<std::uint8_t> raw_;  // stored words of the last native/DCMTK-decoded frame
  std::vector<std::int32_t> j2k_;  // samples of the last JPEG 2000 frame
};

}  // namespace twinplan::io::detail
