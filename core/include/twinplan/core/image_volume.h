#pragma once
// An image volume on a regular grid in LPS mm: CT in HU (int16), MR/PET (uint16, float), colour
// images (RGB, 8 bits a channel), with the DICOM metadata a planner needs to know where it came
// from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "twinplan/core/error.h"
#include "twinplan/core/geometry.h"

namespace twinplan {

// Rgb8: three interleaved bytes per voxel (R, G, B), for colour images (photographs, secondary
// captures, ultrasound); shown as they are, without window/level.
enum class PixelType { UInt8, Int16, UInt16, Int32, Float32, Rgb8 };

// One voxel of a PixelType::Rgb8 volume (3 bytes, no padding).
struct RgbColour {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const RgbColour&, const RgbColour&) = default;
};
static_assert(sizeof(RgbColour) == 3);

std::size_t bytesPerVoxel(PixelType type);
std::string_view toString(PixelType type);
PixelType pixelTypeFromString(std::string_view name);  // throws Error(InvalidInput)

template <class T>
constexpr PixelType pixelTypeOf();
template <>
constexpr PixelType pixelTypeOf<std::uint8_t>() {
  return PixelType::UInt8;
}
template <>
constexpr PixelType pixelTypeOf<std::int16_t>() {
  return PixelType::Int16;
}
template <>
constexpr PixelType pixelTypeOf<std::uint16_t>() {
  return PixelType::UInt16;
}
template <>
constexpr PixelType pixelTypeOf<std::int32_t>() {
  return PixelType::Int32;
}
template <>
constexpr PixelType pixelTypeOf<float>() {
  return PixelType::Float32;
}
template <>
constexpr PixelType pixelTypeOf<RgbColour>() {
  return PixelType::Rgb8;
}

namespace detail {
// The allocator of voxel buffers: calloc, and no per-element construction. Large buffers come
// zero-filled from the kernel (glibc's calloc skips the memset of fresh mmap'ed memory), so a
// 300 MB volume is not written twice, and its pages are first touched by whoever fills them
// (e.g. the DICOM loader's worker threads) instead of by one memset.
template <class T>
struct ZeroedAllocator {
  using value_type = T;
  ZeroedAllocator() = default;
  template <class U>
  ZeroedAllocator(const ZeroedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    void* p = std::calloc(n, sizeof(T));
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // calloc already zeroed it
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const ZeroedAllocator<U>&) const noexcept {
    return true;
  }
};
}  // namespace detail

// Key DICOM attributes of the source series (empty when not from DICOM).
struct DicomInfo {
  std::string patientName, patientId, patientBirthDate, patientSex;
  std::string studyInstanceUid, studyDate, studyTime, studyDescription, accessionNumber;
  std::string seriesInstanceUid, seriesDate, seriesTime, seriesDescription;
  int seriesNumber = 0;
  std::string modality, frameOfReferenceUid, patientPosition, acquisitionTime;
  std::string manufacturer, manufacturerModel, institutionName, bodyPartExamined, imageType;
  double windowCenter = 0.0, windowWidth = 0.0;  // first value of the series, 0 when absent
  // MONOCHROME1 (PS3.3 C.7.6.3.1.2): the minimum value is meant to be shown white. The voxels
  // keep the Modality LUT / rescale result (HU, SUV ...); only the default display inverts its
  // grey ramp.
  bool displayInverted = false;
};

class ImageVolume {
 public:
  ImageVolume() = default;
  // Allocates size.voxelCount() voxels of `type`, zero-filled.
  ImageVolume(ImageGeometry geometry, PixelType type);

  const ImageGeometry& geometry() const { return geometry_; }
  // Changes origin/spacing/direction; the size must stay the same.
  void setGeometry(const ImageGeometry& geometry);
  PixelType pixelType() const { return type_; }
  std::size_t voxelCount() const { return geometry_.voxelCount(); }
  bool empty() const { return !data_ || data_->empty(); }

  // Voxels are shared between copies of a volume until one of them asks for mutable access
  // (copy-on-write), so copying a case for an autosave snapshot or an undo step costs no voxel
  // copy. Mutable access (the non-const bytes()/voxels()) first makes this copy's buffer its
  // own; pointers taken before that (e.g. a VTK view) keep pointing at the shared buffer.
  std::span<std::byte> bytes() {
    detach();
    return data_ ? std::span<std::byte>(*data_) : std::span<std::byte>();
  }
  std::span<const std::byte> bytes() const {
    return data_ ? std::span<const std::byte>(*data_) : std::span<const std::byte>();
  }

  // Typed access; throws Error(Internal) when T is not the stored type.
  template <class T>
  std::span<T> voxels() {
    requireType(pixelTypeOf<T>());
    return {reinterpret_cast<T*>(bytes().data()), voxelCount()};
  }
  template <class T>
  std::span<const T> voxels() const {
    requireType(pixelTypeOf<T>());
    return {reinterpret_cast<const T*>(bytes().data()), voxelCount()};
  }
  // Whether another copy shares this volume's voxels (for tests).
  bool sharesVoxelsWith(const ImageVolume& other) const { return data_ && data_ == other.data_; }
  // Any voxel as double, for readouts and tests (not for hot loops). Rgb8: the luma
  // 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), a grey value for measurements.
  double valueAt(std::int64_t i, std::int64_t j, std::int64_t k) const;

  std::string name;  // role in the case, e.g. "CT", "T1"
  std::string unit;  // "HU", "SUV", "" for arbitrary MR intensity ...
  DicomInfo dicom;
  // Every assumption the importer made (resampling, gap filling ...), in words.
  std::vector<std::string> assumptions;
  // A 2D image without a patient plane (projection radiograph CR/DX, secondary capture, a
  // colour photograph): its grid (origin 0, identity direction, detector pixel spacing) is an
  // image frame, not patient space. Viewing works; volume-only work refuses it
  // (requirePatientVolume).
  bool planar2D = false;
  // Pixel Padding Value (0028,0120) and Pixel Padding Range Limit (0028,0121) (PS3.3
  // C.7.5.1.1.2): the closed range of voxel values, in the volume's unit (after rescale), that
  // mark voxels outside the scanned field (e.g. -3024 HU around a round CT field of view).
  // Padding is not tissue: it is left out of ROI statistics and drawn as background. Threshold
  // tools must leave it out too (isPadding).
  std::optional<std::pair<double, double>> paddingRange;
  bool isPadding(double value) const {
    return paddingRange && value >= paddingRange->first && value <= paddingRange->second;
  }

 private:
  void requireType(PixelType wanted) const;
  void detach();
  ImageGeometry geometry_;
  PixelType type_ = PixelType::Int16;
  using Buffer = std::vector<std::byte, detail::ZeroedAllocator<std::byte>>;
  std::shared_ptr<Buffer> data_;
};

// Throws Error(Unsupported) when `volume` cannot be used where a greyscale patient-space volume
// is needed: a planar 2D image or a colour image. `purpose` completes "... needs a volume",
// e.g. "NIfTI export".
void requirePatientVolume(const ImageVolume& volume, std::string_view purpose);

// Calls visit(std::span<const T>) with the voxels as their stored grey type T (uint8, int16,
// uint16, int32, float) and returns what it returns: the one switch over pixel types that
// type-generic kernels need. A colour (Rgb8) volume throws Error(Unsupported); callers that
// word their own refusal check first (requirePatientVolume).
template <class Visit>
decltype(auto) visitGreyVoxels(const ImageVolume& volume, Visit&& visit) {
  switch (volume.pixelType()) {
    case PixelType::UInt8:
      return visit(volume.voxels<std::uint8_t>());
    case PixelType::Int16:
      return visit(volume.voxels<std::int16_t>());
    case PixelType::UInt16:
      return visit(volume.voxels<std::uint16_t>());
    case PixelType::Int32:
      return visit(volume.voxels<std::int32_t>());
    case PixelType::Float32:
      return visit(volume.voxels<float>());
    case PixelType::Rgb8:
      break;
  }
  throw Error(ErrorKind::Unsupported,
              "The series \"" + volume.name + "\" is a colour image; this needs grey values.",
              volume.name);
}

}  // namespace twinplan
