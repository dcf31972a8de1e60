#pragma once
// Helpers of the RTSTRUCT / SEG tests (tests/integration/io_rtstruct_seg_shared_test.cpp,
// tests/slow/io_rtstruct_seg_slow_test.cpp): reference series, masks, Dice, plastimatch and
// the pydicom reader (tests/integration/rtstruct_seg_pydicom.py).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_reference.h"

namespace twinplan::io::test_segments {

namespace fs = std::filesystem;
using nlohmann::json;

inline ReferenceSeries referenceAt(const fs::path& folder) {
  const DicomIndex index = scanDicom(folder);
  for (const DicomSeries* series : index.allSeries())
    if (series->kind == SeriesKind::Volume) return referenceFromSeries(*series);
  throw std::runtime_error("no volume under " + folder.string());
}

inline std::vector<std::uint8_t> maskOf(const LabelMap& labels, std::size_t segment) {
  const Segment& s = labels.segments().at(segment);
  const auto& layer = labels.layer(s.layer);
  std::vector<std::uint8_t> mask(layer.size());
  for (std::size_t n = 0; n < layer.size(); ++n) mask[n] = layer[n] == s.value;
  return mask;
}

// Nearest-neighbour look-up of `image` (value == `value`, or > 0 when value < 0) at every voxel
// centre of `grid`: the reference masks may store the same grid in another axis order.
inline std::vector<std::uint8_t> onGrid(const ImageVolume& image, const ImageGeometry& grid,
                                        double value = -1) {
  std::vector<std::uint8_t> mask(grid.voxelCount(), 0);
  const ImageGeometry& g = image.geometry();
  // grid index -> image index, one affine for all voxels.
  const Eigen::Matrix4d toImage = g.indexToLpsAffine().inverse() * grid.indexToLpsAffine();
  for (std::int64_t k = 0; k < grid.size[2]; ++k)
    for (std::int64_t j = 0; j < grid.size[1]; ++j)
      for (std::int64_t i = 0; i < grid.size[0]; ++i) {
        const Vec3 ijk = (toImage * Eigen::Vector4d(i, j, k, 1)).head<3>().array().round();
        if (!g.contains(ijk)) continue;
        const double v =
            image.valueAt(static_cast<std::int64_t>(ijk.x()), static_cast<std::int64_t>(ijk.y()),
                          static_cast<std::int64_t>(ijk.z()));
        mask[grid.linearIndex(i, j, k)] = value < 0 ? v > 0 : v == value;
      }
  return mask;
}

inline double dice(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  std::size_t both = 0, na = 0, nb = 0;
  for (std::size_t n = 0; n < a.size(); ++n) {
    both += a[n] && b[n];
    na += a[n] != 0;
    nb += b[n] != 0;
  }
  return na + nb == 0 ? 1.0 : 2.0 * static_cast<double>(both) / static_cast<double>(na + nb);
}

inline std::size_t count(const std::vector<std::uint8_t>& mask) {
  std::size_t n = 0;
  for (auto v : mask) n += v != 0;
  return n;
}

inline double voxelVolume_mm3(const ImageGeometry& g) { return g.spacing_mm.prod(); }

// plastimatch convert --input OBJECT --referenced-ct SERIES --output-prefix OUT: one NRRD
// per structure, named after it.
inline fs::path plastimatchRasterise(const fs::path& object, const fs::path& series,
                                     const fs::path& out) {
  const auto r = twinplan::test::runCommand(
      "plastimatch convert --input '" + object.string() + "' --referenced-ct '" + series.string() +
      "' --output-prefix '" + out.string() + "' --prefix-format nrrd > /dev/null 2>&1");
  EXPECT_EQ(r.status, 0) << "plastimatch failed on " << object;
  return out;
}

inline json pydicomMeasure(const fs::path& object, const fs::path& series) {
  const auto r = twinplan::test::runCommand("/usr/bin/python3 " + std::string(TWINPLAN_SOURCE_DIR) +
                                            "/tests/integration/rtstruct_seg_pydicom.py '" +
                                            object.string() + "' '" + series.string() + "'");
  EXPECT_EQ(r.status, 0) << r.output;
  return json::parse(r.output, nullptr, false);
}

}  // namespace twinplan::io::test_segments
