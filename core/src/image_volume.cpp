#include "twinplan/core/image_volume.h"

#include <cstring>

namespace twinplan {

std::size_t bytesPerVoxel(PixelType type) {
  switch (type) {
    case PixelType::UInt8:
      return 1;
    case PixelType::Int16:
    case PixelType::UInt16:
      return 2;
    case PixelType::Int32:
    case PixelType::Float32:
      return 4;
    case PixelType::Rgb8:
      return 3;
  }
  return 0;
}

std::string_view toString(PixelType type) {
  switch (type) {
    case PixelType::UInt8:
      return "uint8";
    case PixelType::Int16:
      return "int16";
    case PixelType::UInt16:
      return "uint16";
    case PixelType::Int32:
      return "int32";
    case PixelType::Float32:
      return "float32";
    case PixelType::Rgb8:
      return "rgb8";
  }
  return "unknown";
}

PixelType pixelTypeFromString(std::string_view name) {
  for (PixelType t : {PixelType::UInt8, PixelType::Int16, PixelType::UInt16, PixelType::Int32,
                      PixelType::Float32, PixelType::Rgb8}) {
    if (toString(t) == name) return t;
  }
  throw Error(ErrorKind::InvalidInput, "Unknown pixel type '" + std::string(name) + "'.");
}

ImageVolume::ImageVolume(ImageGeometry geometry, PixelType type)
    : geometry_(geometry),
      type_(type),
      data_(std::make_shared<Buffer>(geometry.voxelCount() * bytesPerVoxel(type))) {}

void ImageVolume::detach() {
  // use_count() is only a hint across threads, but a wrong "shared" merely costs a copy: a
  // buffer another copy still reads is never written.
  if (data_ && data_.use_count() > 1) data_ = std::make_shared<Buffer>(*data_);
}

void ImageVolume::setGeometry(const ImageGeometry& geometry) {
  if (geometry.size != geometry_.size) {
    throw Error(ErrorKind::Internal, "ImageVolume::setGeometry cannot change the grid size.");
  }
  geometry_ = geometry;
}

void ImageVolume::requireType(PixelType wanted) const {
  if (wanted != type_) {
    throw Error(ErrorKind::Internal, "Volume '" + name + "' holds " + std::string(toString(type_)) +
                                         " voxels, not " + std::string(toString(wanted)) + ".");
  }
}

double ImageVolume::valueAt(std::int64_t i, std::int64_t j, std::int64_t k) const {
  const std::size_t n = geometry_.linearIndex(i, j, k);
  const std::byte* p = bytes().data() + n * bytesPerVoxel(type_);
  auto read = [p]<class T>(T) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return static_cast<double>(v);
  };
  switch (type_) {
    case PixelType::UInt8:
      return read(std::uint8_t{});
    case PixelType::Int16:
      return read(std::int16_t{});
    case PixelType::UInt16:
      return read(std::uint16_t{});
    case PixelType::Int32:
      return read(std::int32_t{});
    case PixelType::Float32:
      return read(float{});
    case PixelType::Rgb8: {
      const auto channel = [p](int c) { return static_cast<double>(std::to_integer<int>(p[c])); };
      return 0.299 * channel(0) + 0.587 * channel(1) + 0.114 * channel(2);
    }
  }
  return 0.0;
}

void requirePatientVolume(const ImageVolume& volume, std::string_view purpose) {
  const std::string what = volume.dicom.seriesDescription.empty()
                               ? "'" + volume.name + "'"
                               : "\"" + volume.dicom.seriesDescription + "\"";
  const std::string modality =
      volume.dicom.modality.empty() ? "" : " (" + volume.dicom.modality + ")";
  if (volume.planar2D) {
    // Projection radiography modalities (PS3.3 C.7.3.1.1.1): their pixels are a shadow of the
    // whole body, not a slice of it.
    const std::string_view m = volume.dicom.modality;
    const bool projection = m == "CR" || m == "DX" || m == "MG" || m == "RF" || m == "XA" ||
                            m == "IO" || m == "PX" || m == "RG";
    throw Error(ErrorKind::Unsupported,
                "Image " + what + " is a 2D " + (projection ? "projection " : "") + "image" +
                    modality + " with no patient plane; " + std::string(purpose) +
                    " needs a volume. Open a CT/MR/PET series instead.",
                volume.dicom.seriesInstanceUid);
  }
  if (volume.pixelType() == PixelType::Rgb8) {
    throw Error(ErrorKind::Unsupported,
                "Image " + what + " is a colour image" + modality + "; " + std::string(purpose) +
                    " needs a greyscale volume. Open a CT/MR/PET series instead.",
                volume.dicom.seriesInstanceUid);
  }
}

}  // namespace twinplan
