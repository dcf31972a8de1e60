// NIfTI-1 export without ITK (nifti_file.h). Field offsets and codes are those of the NIfTI-1
// standard's nifti1.h (NIfTI Data Format Working Group, 2004), which ITK's and dcm2niix's
// writers follow too.
#include "twinplan/io/nifti_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <Eigen/Geometry>
#include <Eigen/SVD>
#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <system_error>

#include "parallel_gzip.h"

namespace twinplan::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the NIfTI writer stores the header and voxels in the machine's (little-endian) "
              "byte order");

// nifti1.h datatype codes and units.
constexpr std::int16_t kDtUint8 = 2, kDtInt16 = 4, kDtInt32 = 8, kDtFloat32 = 16, kDtUint16 = 512;
constexpr char kUnitsMmAndSeconds = 2 | 8;     // NIFTI_UNITS_MM | NIFTI_UNITS_SEC
constexpr std::int16_t kXformScannerAnat = 1;  // NIFTI_XFORM_SCANNER_ANAT
constexpr std::int64_t kMaxDim = 32767;        // dim[] is int16

std::int16_t datatypeCode(PixelType type) {
  switch (type) {
    case PixelType::UInt8:
      return kDtUint8;
    case PixelType::Int16:
      return kDtInt16;
    case PixelType::UInt16:
      return kDtUint16;
    case PixelType::Int32:
      return kDtInt32;
    case PixelType::Float32:
      return kDtFloat32;
    case PixelType::Rgb8:  // colour images are 2D images to look at, never exported
      throw Error(ErrorKind::Unsupported, "A colour image cannot be written as NIfTI.", "NIfTI");
  }
  return 0;
}

class HeaderBytes {
 public:
  template <class T>
  void put(std::size_t offset, T value) {
    std::memcpy(bytes.data() + offset, &value, sizeof value);
  }
  void putText(std::size_t offset, std::string_view text) {
    std::memcpy(bytes.data() + offset, text.data(), text.size());
  }
  std::array<std::byte, kNiftiHeaderBytes> bytes{};
};

// NIfTI's qform (nifti1.h "METHOD 2"): a proper rotation as the quaternion (b, c, d) with
// a = sqrt(1 - b^2 - c^2 - d^2) >= 0, and qfac = -1 when the k axis is mirrored.
void putQform(HeaderBytes& h, const Mat3& direction_ras, const Vec3& origin_ras) {
  // The nearest orthonormal matrix (DICOM cosines carry ~6 digits and may be a hair off).
  Eigen::JacobiSVD<Mat3> svd(direction_ras, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Mat3 rotation = svd.matrixU() * svd.matrixV().transpose();
  const float qfac = rotation.determinant() < 0 ? -1.0f : 1.0f;
  if (qfac < 0) rotation.col(2) *= -1.0;
  Eigen::Quaterniond q(rotation);
  if (q.w() < 0) q.coeffs() *= -1.0;
  h.put<float>(76, qfac);  // pixdim[0]
  h.put<std::int16_t>(252, kXformScannerAnat);
  h.put<float>(256, static_cast<float>(q.x()));
  h.put<float>(260, static_cast<float>(q.y()));
  h.put<float>(264, static_cast<float>(q.z()));
  for (int a = 0; a < 3; ++a) h.put<float>(268 + 4 * a, static_cast<float>(origin_ras[a] + 0.0));
}

std::string describe(const std::filesystem::path& path) { return path.string(); }

// A file named `final` is only ever complete: bytes go to a temporary file beside it that is
// renamed over it at the end, and removed on any failure.
class StagedFile {
 public:
  explicit StagedFile(const std::filesystem::path& final) : final_(final) {
    const std::filesystem::path folder =
        final.parent_path().empty() ? std::filesystem::path(".") : final.parent_path();
    if (!std::filesystem::is_directory(folder)) {
      throw Error(ErrorKind::NotFound,
                  "The folder " + folder.string() + " does not exist; create it first.",
                  describe(final));
    }
    std::random_device random;
    for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
      staging_ = folder / ("." + final.filename().string() + ".twinplan-" +
                           std::to_string(::getpid()) + "-" + std::to_string(random()));
      // 0666 less the umask, like any file a program creates (mkstemp would force 0600).
      fd_ = ::open(staging_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ < 0 && errno != EEXIST) break;
    }
    if (fd_ < 0) fail("cannot create a file in " + folder.string());
  }
  ~StagedFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(staging_.c_str());
  }
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  void write(std::span<const std::byte> bytes) {
    // One system call per GiB at most (Linux moves at most 0x7ffff000 bytes a call).
    while (!bytes.empty()) {
      const std::size_t chunk = std::min<std::size_t>(bytes.size(), std::size_t{1} << 30);
      const ssize_t written = ::write(fd_, bytes.data(), chunk);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) fail("writing failed");
      bytes = bytes.subspan(static_cast<std::size_t>(written));
    }
  }
  void commit() {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("writing failed");
    if (::rename(staging_.c_str(), final_.c_str()) != 0) fail("it cannot be put in place");
    committed_ = true;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    const std::string reason = std::generic_category().message(errno);
    throw Error(ErrorKind::Io,
                "Writing " + final_.string() + " failed: " + what + " (" + reason +
                    "). Check that the folder is writable and the disk has room.",
                describe(final_));
  }
  std::filesystem::path final_, staging_;
  int fd_ = -1;
  bool committed_ = false;
};

bool isGzipName(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return name.size() >= 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
}

}  // namespace

std::array<std::byte, kNiftiHeaderBytes> niftiHeader(const ImageGeometry& geometry,
                                                     PixelType type) {
  for (int a = 0; a < 3; ++a) {
    if (geometry.size[a] < 1 || geometry.size[a] > kMaxDim) {
      throw Error(ErrorKind::Unsupported,
                  "NIfTI-1 holds 1 to 32767 voxels per axis; this volume has " +
                      std::to_string(geometry.size[a]) + " along axis " + std::to_string(a) +
                      ". Export it as NRRD (.nrrd) instead.",
                  "size");
    }
  }
  HeaderBytes h;
  h.put<std::int32_t>(0, 348);  // sizeof_hdr
  h.put<char>(38, 'r');         // regular, as nifti1.h's writers set it
  const std::int16_t dims[8] = {3,
                                static_cast<std::int16_t>(geometry.size[0]),
                                static_cast<std::int16_t>(geometry.size[1]),
                                static_cast<std::int16_t>(geometry.size[2]),
                                1,
                                1,
                                1,
                                1};
  for (int d = 0; d < 8; ++d) h.put<std::int16_t>(40 + 2 * d, dims[d]);
  h.put<std::int16_t>(70, datatypeCode(type));
  h.put<std::int16_t>(72, static_cast<std::int16_t>(8 * bytesPerVoxel(type)));  // bitpix
  for (int a = 0; a < 3; ++a) h.put<float>(80 + 4 * a, static_cast<float>(geometry.spacing_mm[a]));
  h.put<float>(108, static_cast<float>(kNiftiHeaderBytes));  // vox_offset
  h.put<float>(112, 1.0f);                                   // scl_slope: values are final
  h.put<float>(116, 0.0f);                                   // scl_inter
  h.put<char>(123, kUnitsMmAndSeconds);
  h.putText(148, "TwinPlan");  // descrip

  // NIfTI's world space is RAS: LPS x and y negate (nifti1.h, "RAS+").
  const Eigen::Matrix4d lps = geometry.indexToLpsAffine();
  Eigen::Matrix4d ras = lps;
  ras.row(0) *= -1.0;
  ras.row(1) *= -1.0;
  Mat3 direction_ras = geometry.direction;
  direction_ras.row(0) *= -1.0;
  direction_ras.row(1) *= -1.0;
  putQform(h, direction_ras, ras.topRightCorner<3, 1>());
  h.put<std::int16_t>(254, kXformScannerAnat);  // sform_code
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c)
      h.put<float>(280 + 16 * r + 4 * c, static_cast<float>(ras(r, c) + 0.0));  // no -0
  h.putText(344, std::string_view("n+1\0", 4));  // magic: header and voxels in one file
  return h.bytes;
}

void writeNiftiFile(std::span<const std::byte> voxels, PixelType type,
                    const ImageGeometry& geometry, const std::filesystem::path& path,
                    const NiftiWriteOptions& options) {
  const auto header = niftiHeader(geometry, type);
  if (voxels.size() != geometry.voxelCount() * bytesPerVoxel(type)) {
    throw Error(ErrorKind::InvalidInput,
                "The voxel buffer has " + std::to_string(voxels.size()) + " bytes, not the " +
                    std::to_string(geometry.voxelCount() * bytesPerVoxel(type)) +
                    " its grid and type need.",
                describe(path));
  }
  StagedFile file(path);
  if (isGzipName(path)) {
    const std::span<const std::byte> parts[2] = {header, voxels};
    detail::writeParallelGzip(
        parts, options.gzipLevel, options.gzipPieceBytes,
        [&](std::span<const unsigned char> bytes) { file.write(std::as_bytes(bytes)); });
  } else {
    file.write(header);
    file.write(voxels);
  }
  file.commit();
}

}  // namespace twinplan::io
