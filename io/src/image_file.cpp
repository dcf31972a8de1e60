// NIfTI / NRRD / MetaImage through ITK (image_file.h). All ITK IO templates live in this one
// translation unit. The ImageIO objects are created explicitly: nothing relies on ITK's IO
// factory registration.
//
// ITK's headers come first: ITK's bundled Eigen 3.3 (itkeigen) breaks when the system Eigen 3.4
// (pulled in by twinplan/core/geometry.h) was included before it; the other way round works.
// clang-format off
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkMetaImageIO.h>
#include <itkNiftiImageIO.h>
#include <itkNrrdImageIO.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <span>

#include "twinplan/core/itk_view.h"
#include "twinplan/io/image_file.h"
#include "twinplan/io/nifti_file.h"
// clang-format on

namespace twinplan::io {
namespace {

enum class Format { Nifti, Nrrd, Meta };

std::string lowerName(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return name;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Format formatOf(const std::filesystem::path& path) {
  const std::string name = lowerName(path);
  if (endsWith(name, ".nii") || endsWith(name, ".nii.gz")) return Format::Nifti;
  if (endsWith(name, ".nrrd") || endsWith(name, ".nhdr")) return Format::Nrrd;
  if (endsWith(name, ".mha") || endsWith(name, ".mhd")) return Format::Meta;
  throw Error(ErrorKind::Unsupported,
              "Unknown image file type '" + path.filename().string() +
                  "': use .nii, .nii.gz, .nrrd, .nhdr, .mha or .mhd.",
              path.string());
}

itk::ImageIOBase::Pointer makeImageIo(Format format) {
  switch (format) {
    case Format::Nifti:
      return itk::NiftiImageIO::New().GetPointer();
    case Format::Nrrd:
      return itk::NrrdImageIO::New().GetPointer();
    case Format::Meta:
      return itk::MetaImageIO::New().GetPointer();
  }
  return nullptr;
}

// The index->LPS grid of a NIfTI-1 file from its own header (sform when set, else qform),
// with NIfTI's RAS x and y negated. ITK 5.2 gets the direction of 4-D NIfTI files wrong
// (the y axis of dcm2niix's row-flipped volumes came out unflipped), so for those the header
// is read here. Returns nothing for NIfTI-2, byte-swapped or unreadable headers.
std::optional<ImageGeometry> niftiHeaderGeometry(const std::filesystem::path& path,
                                                 const std::array<std::int64_t, 3>& size) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return std::nullopt;
  std::array<unsigned char, 348> header{};
  const int got = gzread(file, header.data(), static_cast<unsigned>(header.size()));
  gzclose(file);
  if (got != 348) return std::nullopt;
  auto i32 = [&](std::size_t at) {
    std::int32_t v;
    std::memcpy(&v, &header[at], 4);
    return v;
  };
  auto i16 = [&](std::size_t at) {
    std::int16_t v;
    std::memcpy(&v, &header[at], 2);
    return v;
  };
  auto f32 = [&](std::size_t at) {
    float v;
    std::memcpy(&v, &header[at], 4);
    return static_cast<double>(v);
  };
  if (i32(0) != 348) return std::nullopt;
  Eigen::Matrix4d ras = Eigen::Matrix4d::Identity();
  if (i16(254) > 0) {  // sform_code
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) ras(r, c) = f32(280 + 16 * r + 4 * c);
  } else if (i16(252) > 0) {  // qform_code
    const double b = f32(256), c = f32(260), d = f32(264);
    const double a = std::sqrt(std::max(0.0, 1.0 - (b * b + c * c + d * d)));
    Mat3 rotation;
    rotation << a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
        2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
        2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b;
    const double qfac = f32(76) < 0 ? -1.0 : 1.0;
    const Vec3 pixdim(f32(80), f32(84), f32(88) * qfac);
    ras.topLeftCorner<3, 3>() = rotation * pixdim.asDiagonal();
    ras.topRightCorner<3, 1>() = Vec3(f32(268), f32(272), f32(276));
  } else {
    return std::nullopt;
  }
  Eigen::Matrix4d lps = ras;
  lps.row(0) *= -1.0;
  lps.row(1) *= -1.0;
  ImageGeometry g;
  g.size = size;
  g.origin_lps = lps.topRightCorner<3, 1>();
  for (int a = 0; a < 3; ++a) {
    const Vec3 axis = lps.block<3, 1>(0, a);
    if (!(axis.norm() > 0)) return std::nullopt;
    g.spacing_mm[a] = axis.norm();
    g.direction.col(a) = axis / axis.norm();
  }
  return g;
}

template <class T>
ImageVolume readAs(const std::filesystem::path& path, itk::ImageIOBase* io, PixelType type) {
  using ImageType = itk::Image<T, 3>;
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetImageIO(io);
  reader->SetFileName(path.string());
  reader->Update();
  typename ImageType::Pointer image = reader->GetOutput();
  ImageGeometry g;
  const auto region = image->GetLargestPossibleRegion();
  for (unsigned a = 0; a < 3; ++a) {
    g.size[a] = static_cast<std::int64_t>(region.GetSize(a));
    g.spacing_mm[a] = image->GetSpacing()[a];
    // ITK images are LPS: NiftiImageIO has already flipped NIfTI's RAS x and y.
    g.origin_lps[a] = image->GetOrigin()[a];
    for (unsigned b = 0; b < 3; ++b) g.direction(a, b) = image->GetDirection()(a, b);
  }
  ImageVolume volume(g, type);
  const T* source = image->GetBufferPointer();
  std::copy(source, source + g.voxelCount(), volume.voxels<T>().begin());
  return volume;
}

// NIfTI goes through our own writer (nifti_file.h: one header, one write, parallel gzip).
// The other formats go through ITK: written into a fresh folder beside the target, then each
// file is renamed into place, so a reader never sees a half-written image (detached headers
// and data files included). An export is not fsynced (as dcm2niix's and ITK's own are not);
// case files, which must survive a power cut, are (case_file.h, DESIGN.md section 6).
template <class T>
void writeView(const T* buffer, const ImageGeometry& geometry, const std::filesystem::path& path,
               const NiftiWriteOptions& nifti = {}) {
  const Format format = formatOf(path);
  if (format == Format::Nifti) {
    const std::span<const T> voxels(buffer, geometry.voxelCount());
    return writeNiftiFile(std::as_bytes(voxels), pixelTypeOf<T>(), geometry, path, nifti);
  }
  const std::filesystem::path folder =
      path.parent_path().empty() ? std::filesystem::current_path() : path.parent_path();
  if (!std::filesystem::is_directory(folder)) {
    throw Error(ErrorKind::NotFound, "The folder " + folder.string() + " does not exist.",
                path.string());
  }
  std::random_device random;
  const std::filesystem::path staging =
      folder / (".twinplan-write-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
  std::error_code ec;
  std::filesystem::create_directory(staging, ec);
  if (ec) {
    throw Error(ErrorKind::Io, "Cannot write into " + folder.string() + ": " + ec.message() + ".",
                path.string());
  }
  try {
    auto image = makeItkView<T>(const_cast<T*>(buffer), geometry);
    auto writer = itk::ImageFileWriter<itk::Image<T, 3>>::New();
    writer->SetImageIO(makeImageIo(format));
    writer->SetFileName((staging / path.filename()).string());
    writer->SetInput(image);
    writer->SetUseCompression(true);
    writer->Update();
    std::vector<std::filesystem::path> written;
    for (const auto& entry : std::filesystem::directory_iterator(staging)) {
      written.push_back(entry.path());
    }
    for (const auto& file : written) std::filesystem::rename(file, folder / file.filename());
  } catch (const itk::ExceptionObject& e) {
    std::filesystem::remove_all(staging, ec);
    throw Error(ErrorKind::Io, "Writing " + path.string() + " failed: " + e.GetDescription(),
                path.string());
  } catch (const std::filesystem::filesystem_error& e) {
    std::filesystem::remove_all(staging, ec);
    throw Error(ErrorKind::Io, "Writing " + path.string() + " failed: " + e.what(), path.string());
  }
  std::filesystem::remove_all(staging, ec);
}

}  // namespace

ImageVolume readImageFile(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw Error(ErrorKind::NotFound, "The image file " + path.string() + " does not exist.",
                path.string());
  }
  itk::ImageIOBase::Pointer io = makeImageIo(formatOf(path));
  std::vector<std::string> assumptions;
  try {
    io->SetFileName(path.string());
    io->ReadImageInformation();
    if (io->GetNumberOfComponents() != 1) {
      throw Error(ErrorKind::Unsupported,
                  path.string() + " has " + std::to_string(io->GetNumberOfComponents()) +
                      " components per voxel; only scalar images can be loaded.",
                  path.string());
    }
    if (io->GetNumberOfDimensions() > 3) {
      std::size_t extra = 1;
      for (unsigned d = 3; d < io->GetNumberOfDimensions(); ++d) extra *= io->GetDimensions(d);
      if (extra > 1) {
        assumptions.push_back("The file holds " + std::to_string(extra) +
                              " volumes (4-D); the first one was read.");
      }
    }
    using IOComponent = itk::IOComponentEnum;
    PixelType type = PixelType::Float32;
    switch (io->GetComponentType()) {
      case IOComponent::UCHAR:
        type = PixelType::UInt8;
        break;
      case IOComponent::CHAR:
      case IOComponent::SHORT:
        type = PixelType::Int16;
        break;
      case IOComponent::USHORT:
        type = PixelType::UInt16;
        break;
      case IOComponent::INT:
        type = PixelType::Int32;
        break;
      case IOComponent::FLOAT:
        type = PixelType::Float32;
        break;
      default:
        type = PixelType::Float32;
        assumptions.push_back("Voxels of type " +
                              itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType()) +
                              " were converted to float32.");
        break;
    }
    ImageVolume volume;
    switch (type) {
      case PixelType::UInt8:
        volume = readAs<std::uint8_t>(path, io, type);
        break;
      case PixelType::Int16:
        volume = readAs<std::int16_t>(path, io, type);
        break;
      case PixelType::UInt16:
        volume = readAs<std::uint16_t>(path, io, type);
        break;
      case PixelType::Int32:
        volume = readAs<std::int32_t>(path, io, type);
        break;
      case PixelType::Float32:
      case PixelType::Rgb8:  // never chosen above: components are read as scalars
        volume = readAs<float>(path, io, PixelType::Float32);
        break;
    }
    if (io->GetNumberOfDimensions() > 3 && formatOf(path) == Format::Nifti) {
      if (auto g = niftiHeaderGeometry(path, volume.geometry().size)) volume.setGeometry(*g);
    }
    volume.name = path.filename().string();
    volume.assumptions = std::move(assumptions);
    return volume;
  } catch (const itk::ExceptionObject& e) {
    throw Error(ErrorKind::Corrupt,
                "The image file " + path.string() + " cannot be read: " + e.GetDescription(),
                path.string());
  }
}

bool isImageFileName(const std::filesystem::path& path) {
  const std::string name = lowerName(path);
  for (const char* suffix : {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd"})
    if (name.size() > std::string(suffix).size() && endsWith(name, suffix)) return true;
  return false;
}

bool isNiftiGzName(const std::filesystem::path& path) {
  const std::string name = lowerName(path);
  return name.size() > 7 && endsWith(name, ".nii.gz");
}

void writeImageFile(const ImageVolume& volume, const std::filesystem::path& path,
                    const NiftiWriteOptions& nifti) {
  const std::string ext = path.extension().string();
  requirePatientVolume(volume, ext == ".nrrd"                   ? "NRRD export"
                               : ext == ".mha" || ext == ".mhd" ? "MetaImage export"
                                                                : "NIfTI export");
  const ImageGeometry& g = volume.geometry();
  switch (volume.pixelType()) {
    case PixelType::UInt8:
      return writeView(volume.voxels<std::uint8_t>().data(), g, path, nifti);
    case PixelType::Int16:
      return writeView(volume.voxels<std::int16_t>().data(), g, path, nifti);
    case PixelType::UInt16:
      return writeView(volume.voxels<std::uint16_t>().data(), g, path, nifti);
    case PixelType::Int32:
      return writeView(volume.voxels<std::int32_t>().data(), g, path, nifti);
    case PixelType::Float32:
      return writeView(volume.voxels<float>().data(), g, path, nifti);
    case PixelType::Rgb8:  // refused above
      break;
  }
}

void writeLabelFile(const LabelMap& labels, int layer, const std::filesystem::path& path) {
  if (layer < 0 || layer >= labels.layerCount()) {
    throw Error(ErrorKind::InvalidInput,
                "Label map '" + labels.name + "' has no layer " + std::to_string(layer) + ".",
                path.string());
  }
  writeView(labels.layer(layer).data(), labels.geometry(), path);
}

}  // namespace twinplan::io
