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
  }
  return "unknown";
}

PixelType pixelTypeFromString(std::string_view name) {
  for (PixelType t : {PixelType::UInt8, PixelType::Int16, PixelType::UInt16, PixelType::Int32,
                      PixelType::Float32}) {
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
  }
  return 0.0;
}

}  // namespace twinplan
