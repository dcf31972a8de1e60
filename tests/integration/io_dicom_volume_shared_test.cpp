// loadVolume on the real corpus (../shared/data): voxels and geometry against dcm2niix, every
// transfer syntax of one MR slice, enhanced multi-frame files, HFS vs HFP, and malformed files.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "test_support.h"
#include "twinplan/io/dicom_volume.h"
#include "twinplan/io/image_file.h"

namespace twinplan {
namespace {

namespace fs = std::filesystem;
using twinplan::test::runCommand;
using twinplan::test::sharedData;
using twinplan::test::TempDir;

std::vector<fs::path> dicomFilesIn(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.is_regular_file() && e.path().extension() == ".dcm") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct Comparison {
  double cornerMax_mm = 1e9;  // our grid corners vs the reference's, in LPS
  double valueMaxAbs = 1e9;   // over voxels whose centres coincide
  double indexOffMax = 1e9;   // how far our voxel centres fall from reference centres (voxels)
  std::size_t compared = 0;
  // ref = scale * ours + offset, fitted when the reference uses another intensity scaling.
  double scale = 1, offset = 0, linearResidualMax = 1e9, range = 0;
};

// Maps each of our voxel centres into the reference grid through both affines (they may differ
// by flips and permutations) and compares the values there.
Comparison compare(const ImageVolume& ours, const ImageVolume& ref, bool fitLinear = false) {
  Comparison c;
  const ImageGeometry& g = ours.geometry();
  const ImageGeometry& r = ref.geometry();
  c.cornerMax_mm = 0;
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 ijk((corner & 1) ? g.size[0] - 1 : 0, (corner & 2) ? g.size[1] - 1 : 0,
                   (corner & 4) ? g.size[2] - 1 : 0);
    const Vec3 p = g.indexToLps(ijk);
    double best = 1e9;
    for (int other = 0; other < 8; ++other) {
      const Vec3 q((other & 1) ? r.size[0] - 1 : 0, (other & 2) ? r.size[1] - 1 : 0,
                   (other & 4) ? r.size[2] - 1 : 0);
      best = std::min(best, (r.indexToLps(q) - p).norm());
    }
    c.cornerMax_mm = std::max(c.cornerMax_mm, best);
  }
  if (g.voxelCount() != r.voxelCount()) return c;
  c.valueMaxAbs = 0;
  c.indexOffMax = 0;
  std::vector<std::pair<double, double>> pairs;
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    for (std::int64_t j = 0; j < g.size[1]; ++j) {
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 x = r.lpsToIndex(g.indexToLps(Vec3(i, j, k)));
        const Vec3 rounded = x.array().round();
        c.indexOffMax = std::max(c.indexOffMax, (x - rounded).cwiseAbs().maxCoeff());
        if (!r.contains(rounded)) {
          c.valueMaxAbs = 1e9;
          continue;
        }
        const auto ri = static_cast<std::int64_t>(rounded[0]);
        const auto rj = static_cast<std::int64_t>(rounded[1]);
        const auto rk = static_cast<std::int64_t>(rounded[2]);
        const double a = ours.valueAt(i, j, k), b = ref.valueAt(ri, rj, rk);
        c.valueMaxAbs = std::max(c.valueMaxAbs, std::abs(a - b));
        c.range = std::max(c.range, std::abs(b));
        if (fitLinear) pairs.emplace_back(a, b);
        ++c.compared;
      }
    }
  }
  if (fitLinear && pairs.size() > 1) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const auto& [x, y] : pairs) {
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const double n = static_cast<double>(pairs.size());
    c.scale = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    c.offset = (sy - c.scale * sx) / n;
    c.linearResidualMax = 0;
    for (const auto& [x, y] : pairs) {
      c.linearResidualMax = std::max(c.linearResidualMax, std::abs(c.scale * x + c.offset - y));
    }
  }
  return c;
}

// Runs dcm2niix on a folder (or one file in single-file mode) and reads every NIfTI it wrote.
std::vector<std::pair<std::string, ImageVolume>> runDcm2niix(const fs::path& input,
                                                             const TempDir& out) {
  const std::string single = fs::is_regular_file(input) ? "-s y " : "";
  const auto result = runCommand("dcm2niix -b n -z n " + single + "-f %s_%e_%p -o '" +
                                 out.path().string() + "' '" + input.string() + "' 2>&1");
  EXPECT_EQ(result.status, 0) << result.output;
  std::vector<std::pair<std::string, ImageVolume>> images;
  for (const auto& e : fs::directory_iterator(out.path())) {
    if (e.path().extension() == ".nii") {
      images.emplace_back(e.path().filename().string(), io::readImageFile(e.path()));
    }
  }
  std::sort(images.begin(), images.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return images;
}

struct SharedSeries {
  std::string name;
  std::string input;             // folder of slices or a single file, relative to the corpus
  bool valuesComparable = true;  // false where dcm2niix applies vendor scaling we do not
};

class AgainstDcm2niix : public ::testing::TestWithParam<SharedSeries> {};

TEST_P(AgainstDcm2niix, VoxelsAndAffineMatch) {
  const SharedSeries& s = GetParam();
  const fs::path input = sharedData(s.input);
  const std::vector<fs::path> files =
      fs::is_directory(input) ? dicomFilesIn(input) : std::vector<fs::path>{input};
  const ImageVolume ours = io::loadVolume(files);
  TempDir out("twinplan-dcm2niix");
  const auto references = runDcm2niix(input, out);
  ASSERT_FALSE(references.empty());
  // Several outputs (echoes): the one whose grid and values agree best is ours.
  Comparison best;
  std::string bestName;
  const ImageVolume* bestRef = nullptr;
  for (const auto& [name, ref] : references) {
    const Comparison c = compare(ours, ref, !s.valuesComparable);
    auto score = [&](const Comparison& x) {
      const double values = s.valuesComparable ? x.valueMaxAbs : x.linearResidualMax;
      return x.cornerMax_mm < 1e-3 ? values : 1e12 + x.cornerMax_mm;
    };
    if (!bestRef || score(c) < score(best)) {
      best = c;
      bestName = name;
      bestRef = &ref;
    }
  }
  std::ostringstream figures;
  figures << s.name << ": size " << ours.geometry().size[0] << "x" << ours.geometry().size[1] << "x"
          << ours.geometry().size[2] << " " << toString(ours.pixelType()) << ", vs " << bestName
          << ": max corner diff " << best.cornerMax_mm << " mm, max index offset "
          << best.indexOffMax << " voxel, max |value diff| " << best.valueMaxAbs << " over "
          << best.compared << " voxels";
  if (!s.valuesComparable) {
    figures << "; linear fit ref = " << best.scale << " * ours + " << best.offset
            << ", max residual " << best.linearResidualMax << " (range " << best.range << ")";
  }
  std::cout << "[dcm2niix] " << figures.str() << "\n";
  RecordProperty("figures", figures.str());
  ASSERT_NE(bestRef, nullptr);
  EXPECT_LT(best.cornerMax_mm, 1e-3) << figures.str() << "\nours:\n"
                                     << ours.geometry().indexToLpsAffine() << "\ndcm2niix:\n"
                                     << bestRef->geometry().indexToLpsAffine();
  EXPECT_LT(best.indexOffMax, 1e-3) << figures.str();
  EXPECT_EQ(best.compared, ours.voxelCount()) << figures.str();
  if (s.valuesComparable) {
    // dcm2niix keeps stored integers with scl_slope/scl_inter (applied by ITK's reader), or
    // float32 where slopes differ per slice: allow float32 rounding of the reference.
    EXPECT_LE(best.valueMaxAbs, 1e-6 * std::max(best.range, 1.0)) << figures.str();
  } else {
    // Same voxels up to a linear intensity scaling (float32 rounding of the reference).
    EXPECT_LE(best.linearResidualMax, 1e-5 * std::max(best.range, 1.0)) << figures.str();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, AgainstDcm2niix,
    ::testing::Values(
        SharedSeries{"SarcomaCT", "sarcoma-ct-mr-pet/dicom/STS_001/CT/image"},
        SharedSeries{"SarcomaMR", "sarcoma-ct-mr-pet/dicom/STS_001/MR_T1/image"},
        SharedSeries{"SarcomaPET", "sarcoma-ct-mr-pet/dicom/STS_001/PET/image"},
        SharedSeries{"HeadPhantomCT", "ct-head-phantom-dcpt/CT"},
        SharedSeries{"MrHFS", "mr-hfs-hfp/HFS"}, SharedSeries{"MrHFP", "mr-hfs-hfp/HFP"},
        SharedSeries{"SegSourceCtFFS", "seg-dcmqi/ct"},
        SharedSeries{"LegacyConvertedCT",
                     "enhanced-multiframe/dcmqi_legacy_converted_ct/mf_legacy_converted.dcm"},
        SharedSeries{"SiemensXA10EnhancedMR", "enhanced-multiframe/siemens_xa10_enh_mr"},
        // dcm2niix writes Philips magnitudes with Philips' private scale slope; we apply Rescale.
        SharedSeries{"PhilipsEnhancedMR", "enhanced-multiframe/philips_enh_mr/IM_0027_fMAP.dcm",
                     false},
        SharedSeries{"EnhancedCT", "enhanced-multiframe/pydicom/eCT_Supplemental.dcm"}),
    [](const auto& info) { return info.param.name; });

struct ManifestRow {
  std::string file;
  bool lossy = false;
  double maxAbsDiff = 0;
};

std::vector<ManifestRow> transferSyntaxManifest() {
  std::ifstream in(sharedData("transfer-syntaxes-mr/MANIFEST.tsv"));
  std::vector<ManifestRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    for (std::string cell; std::getline(s, cell, '\t');) cells.push_back(cell);
    if (cells.size() < 5) continue;
    rows.push_back({cells[0], cells[3] == "yes", std::stod(cells[4])});
  }
  return rows;
}

TEST(TransferSyntaxes, EveryFileDecodesLikeTheReference) {
  const fs::path folder = sharedData("transfer-syntaxes-mr");
  const ImageVolume reference = io::loadVolume(std::vector<fs::path>{folder / "MR_small.dcm"});
  ASSERT_EQ(reference.geometry().size, (std::array<std::int64_t, 3>{64, 64, 1}));
  ASSERT_EQ(reference.pixelType(), PixelType::Int16);
  const auto rows = transferSyntaxManifest();
  ASSERT_EQ(rows.size(), 15u);
  for (const ManifestRow& row : rows) {
    SCOPED_TRACE(row.file);
    ImageVolume v;
    try {
      v = io::loadVolume(std::vector<fs::path>{folder / row.file});
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_TRUE(v.geometry().sameGridAs(reference.geometry(), 1e-6));
    double maxDiff = 0;
    for (int j = 0; j < 64; ++j)
      for (int i = 0; i < 64; ++i)
        maxDiff = std::max(maxDiff, std::abs(v.valueAt(i, j, 0) - reference.valueAt(i, j, 0)));
    std::cout << "[transfer-syntax] " << row.file << ": " << toString(v.pixelType())
              << ", max |diff| " << maxDiff << " (manifest " << row.maxAbsDiff << ")\n";
    if (row.lossy) {
      EXPECT_LE(maxDiff, row.maxAbsDiff + 0.01);
    } else {
      EXPECT_EQ(maxDiff, 0.0);
      EXPECT_EQ(v.pixelType(), PixelType::Int16);
    }
  }
}

TEST(EnhancedMultiframe, LegacyConvertedCtEqualsItsClassicSlices) {
  const fs::path folder = sharedData("enhanced-multiframe/dcmqi_legacy_converted_ct");
  const ImageVolume enhanced =
      io::loadVolume(std::vector<fs::path>{folder / "mf_legacy_converted.dcm"});
  const ImageVolume classic = io::loadVolume(dicomFilesIn(folder / "classic"));
  EXPECT_EQ(enhanced.geometry().size, (std::array<std::int64_t, 3>{23, 38, 3}));
  EXPECT_TRUE(enhanced.geometry().sameGridAs(classic.geometry(), 1e-6));
  EXPECT_TRUE(enhanced.geometry().direction.isApprox(classic.geometry().direction, 1e-9));
  ASSERT_EQ(enhanced.pixelType(), classic.pixelType());
  EXPECT_TRUE(
      std::equal(enhanced.bytes().begin(), enhanced.bytes().end(), classic.bytes().begin()));
  EXPECT_EQ(enhanced.unit, "HU");
}

TEST(EnhancedMultiframe, SiemensTimeSeriesLoadsTheFirstVolumeAndSaysSo) {
  const auto files = dicomFilesIn(sharedData("enhanced-multiframe/siemens_xa10_enh_mr"));
  auto shuffled = files;
  std::reverse(shuffled.begin(), shuffled.end());
  const ImageVolume v = io::loadVolume(shuffled);
  EXPECT_EQ(v.geometry().size, (std::array<std::int64_t, 3>{64, 64, 6}));
  ASSERT_FALSE(v.assumptions.empty());
  EXPECT_NE(v.assumptions.front().find("4 volumes"), std::string::npos) << v.assumptions.front();
  // The same as loading the first time point's file alone.
  const ImageVolume first = io::loadVolume(std::vector<fs::path>{files.front()});
  EXPECT_TRUE(std::equal(v.bytes().begin(), v.bytes().end(), first.bytes().begin()));
}

TEST(EnhancedMultiframe, FramesWithoutFunctionalGroupsAreRefused) {
  for (const char* name : {"emri_small.dcm", "emri_small_big_endian.dcm", "emri_small_RLE.dcm",
                           "emri_small_jpeg_2k_lossless.dcm", "emri_small_jpeg_ls_lossless.dcm"}) {
    const fs::path file = sharedData("enhanced-multiframe/pydicom") / name;
    try {
      io::loadVolume(std::vector<fs::path>{file});
      ADD_FAILURE() << name << " was loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

// Best normalised cross-correlation of slice k of two volumes over in-plane shifts (on a 2x
// downsampled grid, shifts up to 64 original pixels); `mirrorI` mirrors b along i first.
double bestShiftedCorrelation(const ImageVolume& a, const ImageVolume& b, std::int64_t k,
                              bool mirrorI) {
  const auto& g = a.geometry();
  const int w = static_cast<int>(g.size[0] / 2), h = static_cast<int>(g.size[1] / 2);
  auto downsample = [&](const ImageVolume& v, bool mirror) {
    std::vector<double> out(static_cast<std::size_t>(w) * h);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        double sum = 0;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx) {
            const std::int64_t i = 2 * x + dx;
            sum += v.valueAt(mirror ? g.size[0] - 1 - i : i, 2 * y + dy, k);
          }
        out[static_cast<std::size_t>(y) * w + x] = sum;
      }
    return out;
  };
  const auto pa = downsample(a, false), pb = downsample(b, mirrorI);
  double best = -1;
  for (int sy = -32; sy <= 32; ++sy) {
    for (int sx = -32; sx <= 32; ++sx) {
      double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
      for (int y = std::max(0, -sy); y < std::min(h, h - sy); ++y) {
        for (int x = std::max(0, -sx); x < std::min(w, w - sx); ++x) {
          const double va = pa[static_cast<std::size_t>(y) * w + x];
          const double vb = pb[static_cast<std::size_t>(y + sy) * w + x + sx];
          sa += va;
          sb += vb;
          saa += va * va;
          sbb += vb * vb;
          sab += va * vb;
          ++n;
        }
      }
      const double cov = sab - sa * sb / n;
      const double var = (saa - sa * sa / n) * (sbb - sb * sb / n);
      if (var > 0) best = std::max(best, cov / std::sqrt(var));
    }
  }
  return best;
}

TEST(PatientPosition, HfsAndHfpGiveTheSameLpsGeometry) {
  const ImageVolume hfs = io::loadVolume(dicomFilesIn(sharedData("mr-hfs-hfp/HFS")));
  const ImageVolume hfp = io::loadVolume(dicomFilesIn(sharedData("mr-hfs-hfp/HFP")));
  EXPECT_EQ(hfs.dicom.patientPosition, "HFS");
  EXPECT_EQ(hfp.dicom.patientPosition, "HFP");
  // DICOM geometry is in patient coordinates: the table position must not change it.
  EXPECT_TRUE(hfs.geometry().sameGridAs(hfp.geometry(), 1e-4));
  EXPECT_TRUE(hfs.geometry().direction.isApprox(hfp.geometry().direction, 1e-9));
  // Sagittal slices (IOP [0,1,0, 0,0,-1] in both): i runs anterior->posterior (+P), j head->feet
  // (-S), k along the normal (0,1,0) x (0,0,-1) = -L. Viewed with i to the right, the face is
  // on the left in both series (checked by eye with dcmj2pnm).
  const Mat3& d = hfs.geometry().direction;
  EXPECT_NEAR(d(1, 0), 1.0, 1e-6);   // i -> +P
  EXPECT_NEAR(d(2, 1), -1.0, 1e-6);  // j -> -S (feet)
  EXPECT_NEAR(d(0, 2), -1.0, 1e-6);  // k -> -L (right)
  // Anatomy: the head lies elsewhere in the field of view (prone vs supine), but in LPS both
  // volumes must show it the same way round. The mid slices match after a shift only; with
  // one of them mirrored anterior<->posterior (the error a reader that "corrected" for HFP
  // would make) they do not.
  const std::int64_t mid = hfs.geometry().size[2] / 2;
  const double same = bestShiftedCorrelation(hfs, hfp, mid, false);
  const double mirrored = bestShiftedCorrelation(hfs, hfp, mid, true);
  std::cout << "[hfs-hfp] best shifted correlation " << same << ", with HFP mirrored A-P "
            << mirrored << "\n";
  EXPECT_GT(same, 0.6);
  EXPECT_GT(same, mirrored + 0.15);
}

TEST(RtDose, ClassicMultiFrameDoseGridsAddUp) {
  // RayStation RTDOSE: 110 frames placed by Grid Frame Offset Vector, stored integers times
  // Dose Grid Scaling. README: plan sum = beam 1 + beam 2 within 4.6e-5 Gy.
  const fs::path folder = sharedData("rt-plan-raystation");
  const ImageVolume sum = io::loadVolume(std::vector<fs::path>{folder / "RD_plan_sum.dcm"});
  const ImageVolume beam1 = io::loadVolume(std::vector<fs::path>{folder / "RD_beam1.dcm"});
  const ImageVolume beam2 = io::loadVolume(std::vector<fs::path>{folder / "RD_beam2.dcm"});
  const ImageGeometry& g = sum.geometry();
  EXPECT_EQ(g.size, (std::array<std::int64_t, 3>{107, 107, 110}));
  EXPECT_NEAR((g.spacing_mm - Vec3(2, 2, 2)).norm(), 0.0, 1e-9);
  EXPECT_NEAR((g.origin_lps - Vec3(-104.5, -105.5, -108.5)).norm(), 0.0, 1e-9);
  EXPECT_EQ(sum.unit, "Gy");
  EXPECT_EQ(sum.pixelType(), PixelType::Float32);
  EXPECT_TRUE(g.sameGridAs(beam1.geometry()) && g.sameGridAs(beam2.geometry()));
  double maxDiff = 0, maxDose = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        maxDose = std::max(maxDose, sum.valueAt(i, j, k));
        maxDiff = std::max(maxDiff, std::abs(sum.valueAt(i, j, k) - beam1.valueAt(i, j, k) -
                                             beam2.valueAt(i, j, k)));
      }
  std::cout << "[rtdose] max dose " << maxDose << " Gy, max |sum - beam1 - beam2| " << maxDiff
            << " Gy\n";
  EXPECT_GT(maxDose, 0.5);
  EXPECT_LE(maxDiff, 4.7e-5);
}

// Largest |a - b| over the voxels of two volumes on the same grid.
double maxAbsDifference(const ImageVolume& a, const ImageVolume& b) {
  const ImageGeometry& g = a.geometry();
  EXPECT_TRUE(g.sameGridAs(b.geometry()));
  double maxDiff = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        maxDiff = std::max(maxDiff, std::abs(a.valueAt(i, j, k) - b.valueAt(i, j, k)));
  return maxDiff;
}

TEST(RtDose, BigEndianCopiesGiveTheSameDose) {
  // RD_beam1.dcm (implicit VR LE, 16-bit) converted at test time: by dcmconv +tb to Explicit
  // VR Big Endian (same 16-bit values: identical dose), and by pydicom to 32-bit big-endian
  // cells holding 257x the stored value with Dose Grid Scaling / 257 (DS rounding: relative
  // error < 1e-9; the float32 output rounds to 6e-8 relative).
  TempDir dir;
  const fs::path source = sharedData("rt-plan-raystation/RD_beam1.dcm");
  const ImageVolume reference = io::loadVolume(std::vector<fs::path>{source});
  const fs::path be16 = dir / "RD_beam1_be16.dcm", be32 = dir / "RD_beam1_be32.dcm";
  auto result = runCommand("dcmconv +tb '" + source.string() + "' '" + be16.string() + "' 2>&1");
  ASSERT_EQ(result.status, 0) << result.output;
  const fs::path script =
      fs::path(TWINPLAN_SOURCE_DIR) / "tests/integration/rtdose_big_endian_32bit.py";
  result = runCommand("/usr/bin/python3 '" + script.string() + "' '" + source.string() + "' '" +
                      be32.string() + "' 2>&1");
  ASSERT_EQ(result.status, 0) << result.output;
  const ImageVolume dose16 = io::loadVolume(std::vector<fs::path>{be16});
  const ImageVolume dose32 = io::loadVolume(std::vector<fs::path>{be32});
  const double diff16 = maxAbsDifference(dose16, reference);
  const double diff32 = maxAbsDifference(dose32, reference);
  std::cout << "[rtdose big endian] max |BE16 - LE| " << diff16 << " Gy, max |BE32 - LE| " << diff32
            << " Gy\n";
  EXPECT_EQ(diff16, 0.0);
  EXPECT_LE(diff32, 2.5e-7);  // 2 float32 ulps at the 1.95 Gy maximum
  EXPECT_EQ(dose32.unit, "Gy");
}

TEST(Malformed, TruncatedPixelDataIsCorruptAndNamesTheFile) {
  const fs::path file = sharedData("malformed/MR_truncated.dcm");
  try {
    io::loadVolume(std::vector<fs::path>{file});
    ADD_FAILURE() << "truncated file loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
    EXPECT_NE(std::string(e.what()).find("MR_truncated.dcm"), std::string::npos) << e.what();
  }
}

// Copies a file that has no patient geometry (secondary captures) and gives it one, so that
// the loader reaches its pixel data.
fs::path withGeometry(const fs::path& source, const TempDir& dir) {
  const fs::path file = dir / source.filename();
  DcmFileFormat format;
  EXPECT_TRUE(format.loadFile(source.c_str()).good()) << source;
  DcmDataset* ds = format.getDataset();
  ds->putAndInsertString(DCM_ImagePositionPatient, "0\\0\\0");
  ds->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
  EXPECT_TRUE(format.saveFile(file.c_str(), EXS_Unknown).good()) << file;
  return file;
}

TEST(Malformed, BadJpeg2000StreamIsCorrupt) {
  TempDir dir;
  const fs::path file =
      withGeometry(sharedData("malformed/JPEG2000-embedded-sequence-delimiter.dcm"), dir);
  try {
    io::loadVolume(std::vector<fs::path>{file});
    ADD_FAILURE() << "bad J2K stream loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
    EXPECT_NE(std::string(e.what()).find("JPEG2000-embedded-sequence-delimiter.dcm"),
              std::string::npos)
        << e.what();
  }
}

TEST(Malformed, OddButValidCodestreamsDecode) {
  // explicit_VR-UN.dcm: a TCIA CT re-encoded as JPEG 2000 with VR UN almost everywhere.
  // JPEG-lossy.dcm: NEMA NM1_JPLY, 12-bit JPEG extended with odd SOS parameters.
  TempDir dir;
  for (const char* name : {"explicit_VR-UN.dcm", "JPEG-lossy.dcm"}) {
    SCOPED_TRACE(name);
    const fs::path file = withGeometry(sharedData("malformed") / name, dir);
    try {
      const ImageVolume v = io::loadVolume(std::vector<fs::path>{file});
      const auto voxels = v.voxelCount();
      double lo = 1e30, hi = -1e30;
      const auto& g = v.geometry();
      for (std::int64_t j = 0; j < g.size[1]; ++j)
        for (std::int64_t i = 0; i < g.size[0]; ++i) {
          lo = std::min(lo, v.valueAt(i, j, 0));
          hi = std::max(hi, v.valueAt(i, j, 0));
        }
      std::cout << "[malformed] " << name << " with geometry: " << g.size[0] << "x" << g.size[1]
                << "x" << g.size[2] << " " << toString(v.pixelType()) << ", values " << lo << ".."
                << hi << "\n";
      EXPECT_GT(voxels, 0u);
      EXPECT_LT(lo, hi);  // an image, not a constant
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

// Every malformed file's load outcome is in io_malformed_corpus_test.cpp.

// The IBSI NIfTI of the sarcoma CT was made from the same DICOM series. Its affine is RAS
// (README: x/y origin opposite in sign to ImagePositionPatient); read as LPS it must give the
// DICOM grid.
TEST(ImageFileShared, NiftiRasIsConvertedToLpsLikeTheDicomSeries) {
  const auto folder = sharedData("sarcoma-ct-mr-pet/dicom/STS_001/CT/image");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(folder)) files.push_back(e.path());
  const ImageVolume dicom = io::loadVolume(files);
  const ImageVolume nifti =
      io::readImageFile(sharedData("sarcoma-ct-mr-pet/nifti/STS_001/CT_image.nii.gz"));
  // README: NIfTI origin (23.44, 86.91, -881.32) RAS = IPP (-23.44, -86.91, -881.32) LPS.
  EXPECT_NEAR(nifti.geometry().origin_lps[0], -23.44, 0.01);
  EXPECT_NEAR(nifti.geometry().origin_lps[1], -86.91, 0.01);
  EXPECT_NEAR(nifti.geometry().origin_lps[2], -881.32, 0.01);
  EXPECT_EQ(nifti.geometry().size, dicom.geometry().size);
  EXPECT_TRUE(nifti.geometry().sameGridAs(dicom.geometry(), 1e-3))
      << nifti.geometry().indexToLpsAffine() << "\nvs DICOM\n"
      << dicom.geometry().indexToLpsAffine();
  double maxDiff = 0;
  const auto& g = dicom.geometry();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        maxDiff = std::max(maxDiff, std::abs(dicom.valueAt(i, j, k) - nifti.valueAt(i, j, k)));
  EXPECT_EQ(maxDiff, 0.0);
}

TEST(ImageFileShared, FourDimensionalNiftiGivesItsFirstVolume) {
  const ImageVolume v = io::readImageFile(
      sharedData("enhanced-multiframe/ref_dcm2niix/Siemens_REST1_w_SMS_PF7-8_6.nii.gz"));
  EXPECT_EQ(v.geometry().size, (std::array<std::int64_t, 3>{64, 64, 6}));
  // srow (RAS) x = (-3.375, ~0, ~0), y = (~0, 3.375, ~0), origin (109.79, -154.1477, -5.4033):
  // in LPS the i axis is +L, the j axis -P (dcm2niix flips rows) and the origin's x/y negate.
  const ImageGeometry& g = v.geometry();
  EXPECT_NEAR((g.origin_lps - Vec3(-109.79, 154.147705, -5.403347)).norm(), 0.0, 1e-4);
  EXPECT_NEAR((g.spacing_mm - Vec3(3.375, 3.375, 2.4)).norm(), 0.0, 1e-5);
  EXPECT_NEAR(g.direction(0, 0), 1.0, 1e-6);
  EXPECT_NEAR(g.direction(1, 1), -1.0, 1e-6);
  EXPECT_NEAR(g.direction(2, 2), 1.0, 1e-6);
  ASSERT_EQ(v.assumptions.size(), 1u);
  EXPECT_NE(v.assumptions.front().find("4 volumes"), std::string::npos) << v.assumptions.front();
}

}  // namespace
}  // namespace twinplan
