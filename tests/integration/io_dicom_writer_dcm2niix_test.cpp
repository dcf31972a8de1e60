// io::writeDicomSeries checked by an independent tool: dcm2niix converts what the writer wrote,
// and every NIfTI voxel is compared with the volume at the same patient position. The NIfTI is
// read here from its bytes (NIfTI-1 header: dim, datatype, vox_offset, scl_slope/inter,
// sform; nifti1.h), so neither the values nor the affine pass through TwinPlan's own readers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "oblique_grid.h"
#include "test_support.h"
#include "twinplan/io/dicom_writer.h"
#include "twinplan/io/image_file.h"

namespace twinplan {
namespace {
namespace fs = std::filesystem;

// What the comparison needs of a NIfTI-1 file, straight from its header (nifti1.h offsets).
struct Nifti {
  std::array<std::int64_t, 3> size{};
  std::int16_t datatype = 0;
  std::int16_t sformCode = 0;
  Eigen::Matrix4d rasAffine = Eigen::Matrix4d::Identity();  // srow_x/y/z: index -> RAS mm
  std::vector<double> values;                               // scaled by scl_slope/inter
};

template <class T>
T field(const std::vector<char>& bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

Nifti readNifti(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  Nifti n;
  EXPECT_GE(bytes.size(), 352u) << file;
  if (bytes.size() < 352) return n;
  EXPECT_EQ(field<std::int32_t>(bytes, 0), 348) << "sizeof_hdr, little endian";
  EXPECT_EQ(field<std::int16_t>(bytes, 40), 3) << "dim[0]";
  for (int a = 0; a < 3; ++a) n.size[a] = field<std::int16_t>(bytes, 42 + 2 * a);
  n.datatype = field<std::int16_t>(bytes, 70);
  const auto offset = static_cast<std::size_t>(field<float>(bytes, 108));
  float slope = field<float>(bytes, 112);
  const float intercept = field<float>(bytes, 116);
  if (slope == 0.0f) slope = 1.0f;  // nifti1.h: scl_slope 0 means unscaled
  n.sformCode = field<std::int16_t>(bytes, 254);
  for (int row = 0; row < 3; ++row)
    for (int c = 0; c < 4; ++c) n.rasAffine(row, c) = field<float>(bytes, 280 + 16 * row + 4 * c);
  const std::size_t count = static_cast<std::size_t>(n.size[0] * n.size[1] * n.size[2]);
  const std::size_t width = n.datatype == 4 || n.datatype == 512 ? 2 : 0;  // INT16, UINT16
  EXPECT_NE(width, 0u) << "datatype " << n.datatype;
  if (width == 0 || bytes.size() < offset + width * count) return n;
  n.values.resize(count);
  for (std::size_t v = 0; v < count; ++v) {
    const std::size_t at = offset + 2 * v;
    const double stored = n.datatype == 4 ? field<std::int16_t>(bytes, at)
                                          : static_cast<double>(field<std::uint16_t>(bytes, at));
    n.values[v] = stored * slope + intercept;
  }
  return n;
}

// NIfTI's sform maps to RAS; LPS negates x and y (DICOM PS3.3 C.7.6.2.1.1 vs nifti1.h).
Eigen::Matrix4d rasToLps(const Eigen::Matrix4d& ras) {
  Eigen::Matrix4d flip = Eigen::Matrix4d::Identity();
  flip(0, 0) = flip(1, 1) = -1.0;
  return flip * ras;
}

struct Agreement {
  std::size_t compared = 0, distinctTargets = 0;
  double indexOffMax = 1e9;  // NIfTI voxel centres off our voxel centres (voxels)
  double valueOffMax = 1e9;  // |NIfTI value - ours| at the same position
};

// Every NIfTI voxel centre, placed in LPS by the sform, must land on one of our voxel centres
// and hold its value: this checks the affine and every voxel together, whatever flips or
// permutations dcm2niix chose.
Agreement compareVoxelByVoxel(const Nifti& n, const ImageVolume& ours) {
  Agreement a;
  const ImageGeometry& g = ours.geometry();
  const Eigen::Matrix4d toLps = rasToLps(n.rasAffine);
  std::set<std::size_t> targets;
  a.indexOffMax = a.valueOffMax = 0.0;
  for (std::int64_t c = 0; c < n.size[2]; ++c)
    for (std::int64_t b = 0; b < n.size[1]; ++b)
      for (std::int64_t i = 0; i < n.size[0]; ++i) {
        const Eigen::Vector4d p = toLps * Eigen::Vector4d(double(i), double(b), double(c), 1.0);
        const Vec3 ijk = g.lpsToIndex(p.head<3>());
        const Vec3 nearest = ijk.array().round();
        a.indexOffMax = std::max(a.indexOffMax, (ijk - nearest).cwiseAbs().maxCoeff());
        if (!g.contains(nearest)) {
          a.valueOffMax = 1e9;
          continue;
        }
        const auto x = static_cast<std::int64_t>(nearest[0]);
        const auto y = static_cast<std::int64_t>(nearest[1]);
        const auto z = static_cast<std::int64_t>(nearest[2]);
        targets.insert(g.linearIndex(x, y, z));
        const double theirs =
            n.values[static_cast<std::size_t>(i + n.size[0] * (b + n.size[1] * c))];
        a.valueOffMax = std::max(a.valueOffMax, std::abs(theirs - ours.valueAt(x, y, z)));
        ++a.compared;
      }
  a.distinctTargets = targets.size();
  return a;
}

Nifti convertWithDcm2niix(const ImageVolume& volume, const test::TempDir& dir) {
  const io::DicomWriteOptions defaults;  // named: GCC 12 misreads a defaulted temporary here
  io::writeDicomSeries(volume, dir / "dicom", defaults);
  fs::create_directories(dir / "nifti");
  const test::CommandResult run =
      test::runCommand("/usr/bin/dcm2niix -z n -b n -f converted -o '" + (dir / "nifti").string() +
                       "' '" + (dir / "dicom").string() + "' 2>&1");
  EXPECT_EQ(run.status, 0) << run.output;
  const fs::path file = dir / "nifti" / "converted.nii";
  EXPECT_TRUE(fs::exists(file)) << run.output;
  return fs::exists(file) ? readNifti(file) : Nifti{};
}

// Converts `volume` and requires exact values (or within `valueTolerance` for quantised
// volumes) at positions within 1e-3 voxel: srow is float32, so ~1e-5 mm off at 100 mm.
void expectDcm2niixAgrees(const ImageVolume& volume, std::int16_t datatype,
                          double valueTolerance = 0.0) {
  test::TempDir dir("dicom-writer-dcm2niix");
  const Nifti n = convertWithDcm2niix(volume, dir);
  ASSERT_EQ(n.values.size(), volume.voxelCount());
  EXPECT_EQ(n.datatype, datatype);
  EXPECT_GT(n.sformCode, 0) << "dcm2niix writes a scanner-anatomical sform";
  const Agreement a = compareVoxelByVoxel(n, volume);
  std::cout << "[dcm2niix] " << volume.name << ": " << a.compared << " voxels, max index offset "
            << a.indexOffMax << " voxel, max |value difference| " << a.valueOffMax << "\n";
  EXPECT_EQ(a.compared, volume.voxelCount());
  EXPECT_EQ(a.distinctTargets, volume.voxelCount()) << "one NIfTI voxel per voxel of ours";
  EXPECT_LE(a.indexOffMax, 1e-3);
  EXPECT_LE(a.valueOffMax, valueTolerance);

  // The voxel spacing dcm2niix derived from the files (column norms of the sform).
  std::multiset<double> theirs, expected;
  for (int c = 0; c < 3; ++c) {
    theirs.insert(std::round(n.rasAffine.block<3, 1>(0, c).norm() * 1e4) / 1e4);
    expected.insert(std::round(volume.geometry().spacing_mm[c] * 1e4) / 1e4);
  }
  EXPECT_EQ(theirs, expected);
}

// 32 columns x 24 rows x 6 slices, anisotropic, oblique (30 deg about L-R then 10 deg about S).
ImageGeometry obliqueGrid() { return test::obliqueWriterGrid({32, 24, 6}); }

// Values that differ between neighbours along every axis, so a flip or a swap of axes shows.
ImageVolume ct(const ImageGeometry& g, const std::string& name) {
  ImageVolume v(g, PixelType::Int16);
  v.name = name;
  v.unit = "HU";
  v.dicom.modality = "CT";
  auto voxels = v.voxels<std::int16_t>();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        voxels[g.linearIndex(i, j, k)] =
            static_cast<std::int16_t>(3 * i + 101 * j + 2909 * k - 1024);
  voxels[0] = -32768;  // the int16 extremes survive (stored signed, slope 1, intercept 0)
  voxels[1] = 32767;
  return v;
}

TEST(DicomWriterDcm2niix, AxialCtVoxelByVoxel) {
  ImageGeometry g;
  g.size = {32, 24, 6};
  g.spacing_mm = Vec3(0.8, 0.8, 3.0);
  g.origin_lps = Vec3(-12.4, -9.2, -7.5);
  expectDcm2niixAgrees(ct(g, "axial CT"), 4);
}

TEST(DicomWriterDcm2niix, ObliqueCtVoxelByVoxel) {
  expectDcm2niixAgrees(ct(obliqueGrid(), "oblique CT"), 4);
}

TEST(DicomWriterDcm2niix, MrUint16VoxelByVoxel) {
  ImageVolume mr(obliqueGrid(), PixelType::UInt16);
  mr.name = "MR";
  mr.dicom.modality = "MR";
  auto voxels = mr.voxels<std::uint16_t>();
  for (std::size_t n = 0; n < voxels.size(); ++n)
    voxels[n] = static_cast<std::uint16_t>(n * 13 % 65536);
  voxels[5] = 65535;
  expectDcm2niixAgrees(mr, 512);
}

// A float volume is quantised onto int16 with RescaleSlope/Intercept (dicom_writer.h), which
// dcm2niix carries into scl_slope/scl_inter: values agree within half a quantisation step.
TEST(DicomWriterDcm2niix, QuantisedFloatVolumeWithinHalfAStep) {
  ImageGeometry g = obliqueGrid();
  g.size = {16, 12, 4};
  ImageVolume dose(g, PixelType::Float32);
  dose.name = "float";
  dose.dicom.modality = "CT";
  auto values = dose.voxels<float>();
  for (std::size_t n = 0; n < values.size(); ++n)
    values[n] = -3.25f + 0.731f * static_cast<float>(n);
  const double range = values.back() - values.front();
  const double step = range / 65534.0;  // [-32767, 32767] spans the range
  expectDcm2niixAgrees(dose, 4, step * 0.5 + 1e-4);
}

// ITK's NIfTI reader behind io::readImageFile gives the same LPS grid as the raw sform.
TEST(DicomWriterDcm2niix, ReadImageFileAgreesWithTheRawSform) {
  test::TempDir dir("dicom-writer-dcm2niix");
  const ImageVolume volume = ct(obliqueGrid(), "oblique CT");
  const Nifti n = convertWithDcm2niix(volume, dir);
  const ImageVolume itk = io::readImageFile(dir / "nifti" / "converted.nii");
  const Eigen::Matrix4d raw = rasToLps(n.rasAffine);
  EXPECT_LE((itk.geometry().indexToLpsAffine() - raw).cwiseAbs().maxCoeff(), 1e-4)
      << itk.geometry().indexToLpsAffine() << "\nvs sform (LPS)\n"
      << raw;
  ASSERT_EQ(itk.voxelCount(), n.values.size());
  const ImageGeometry& g = itk.geometry();
  double maxDiff = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        maxDiff =
            std::max(maxDiff, std::abs(itk.valueAt(i, j, k) - n.values[g.linearIndex(i, j, k)]));
  EXPECT_EQ(maxDiff, 0.0);
}

}  // namespace
}  // namespace twinplan
