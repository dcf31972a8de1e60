// Every file of ../shared/data/malformed (MANIFEST.tsv says what is wrong with each) has a stated
// outcome here: the scan indexes it or skips it with a reason, and loading it as a volume either
// gives known values or fails with a given ErrorKind and message. A file that appears in the
// folder without a row fails the test, so the table stays complete.
//
// Expected values of the files that load come from independent decoders, not from TwinPlan:
//   bad_sequence.dcm        dcmdjpeg (DCMTK 3.6.7) then pydicom 2.3.1 pixel_array x Rescale
//   explicit_VR-UN.dcm      gdcmconv --raw (GDCM 3.0.21) then pydicom
//   J2K_pixelrep_mismatch   gdcmconv --raw then pydicom, the 13 stored bits read as signed
//                           because the header says Pixel Representation 1 (PS3.5 8.1.1,
//                           pydicom #1149: the header, not the codestream, defines the sign)
// (i, j) below is column i, row j of the first frame, as pydicom's pixel_array[j, i].
//
// When a change in io/ changes an outcome, update its row and say why in `why`.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_volume.h"

namespace twinplan {
namespace {
namespace fs = std::filesystem;

struct Probe {
  std::int64_t i, j;
  double value;
};

// What a successfully loaded single-slice volume must hold.
struct Loaded {
  std::array<std::int64_t, 3> size;
  Vec3 origin_lps;
  double spacing_mm;  // in-plane (square pixels in every file here)
  double min, max, sum;
  std::vector<Probe> probes;
};

struct Failure {
  ErrorKind kind;
  const char* messageFragment;
};

struct Row {
  std::string file;  // relative to malformed/
  // Scan: nullptr = indexed as an instance, else a fragment of its skip reason.
  const char* scanSkipReason;
  // Load: exactly one of these.
  std::optional<Loaded> loads;
  std::optional<Failure> fails;
  const char* why;  // why this outcome is the right one
};

constexpr const char* kNotDicom = "Not a DICOM file";
constexpr const char* kNoGeometry = "has no Image Position / Image Orientation (Patient)";
constexpr const char* kNoSeries = "No SeriesInstanceUID";
constexpr const char* kNotAnImage = "is not an image (no Rows/Columns)";

Failure fails(ErrorKind kind, const char* fragment) { return {kind, fragment}; }

// The corpus table. Rows in the order of MANIFEST.tsv, then charset/, then the documentation.
std::vector<Row> corpus() {
  std::vector<Row> rows = {
      {"no_meta.dcm", kNotDicom, std::nullopt, fails(ErrorKind::InvalidInput, kNotDicom),
       "Its first byte is missing (it starts 20 08 00 05 ... inside tag (0008,0005)); DCMTK "
       "resynchronises and keeps garbled values, so both scan and load refuse it by its first "
       "bytes (the load used to say 'no Image Position', which was misleading)."},
      {"ExplVR_LitEndNoMeta.dcm", "Same SOPInstanceUID", std::nullopt,
       fails(ErrorKind::InvalidInput, kNotAnImage),
       "An RT Ion Plan without preamble or meta: read as a bare data set, it has no image. The "
       "scan lists its big-endian twin first and skips this duplicate SOP instance."},
      {"ExplVR_BigEndNoMeta.dcm", nullptr, std::nullopt,
       fails(ErrorKind::InvalidInput, kNotAnImage),
       "The same RT Ion Plan in explicit VR big endian: indexed (syntax guessed from its first "
       "bytes), and not an image."},
      {"meta_missing_tsyntax.dcm", kNoSeries, std::nullopt,
       fails(ErrorKind::InvalidInput, kNotAnImage),
       "Meta without Transfer Syntax UID, body implicit VR: DCMTK detects the syntax; the data "
       "set has no Pixel Data, so there is no volume."},
      {"no_meta_group_length.dcm", kNoSeries, std::nullopt,
       fails(ErrorKind::InvalidInput, kNotAnImage),
       "A missing (0002,0000) group length is harmless; the object holds no image."},
      {"MR_truncated.dcm", "Truncated pixel data", std::nullopt,
       fails(ErrorKind::Corrupt, "truncated or damaged"),
       "Pixel Data declares 8192 bytes and 8130 are present: refused, never half-loaded."},
      {"rtplan_truncated.dcm", "header ends early", std::nullopt,
       fails(ErrorKind::Corrupt, "cannot be read"),
       "The header itself is cut inside IsocenterPosition: nothing after it can be trusted."},
      {"badVR.dcm", "\"1A\"", std::nullopt,
       fails(ErrorKind::Corrupt, "invalid Number of Frames (0028,0008) '1A'"),
       "NumberOfFrames is the non-integer \"1A\" while Pixel Data holds 15 frames of 10x10x32 "
       "bit: the frame count is unknown, so refuse (DCMTK's own parse read it as 1 frame and "
       "the loader silently dropped 14 frames before this was fixed)."},
      {"UN_sequence.dcm", kNoSeries, std::nullopt, fails(ErrorKind::InvalidInput, kNotAnImage),
       "The VR UN private sequence is parsed; its SeriesInstanceUID is inside that sequence, "
       "none at the top level, and there is no Pixel Data."},
      {"priv_SQ.dcm", "No SeriesInstanceUID", std::nullopt,
       fails(ErrorKind::InvalidInput, kNotAnImage),
       "The undefined-length private sequence is skipped in sync; there is no image."},
      {"nested_priv_SQ.dcm", kNoSeries, std::nullopt, fails(ErrorKind::InvalidInput, kNotAnImage),
       "Nested private sequences are parsed; no pixel module."},
      {"bad_sequence.dcm", nullptr,
       Loaded{{512, 512, 1},
              Vec3(-65.3564453125, -154.3564453125, 1687.5),
              0.287109375,
              -1011.0,
              1243.0,
              -20086954.0,
              {{0, 0, 58.0}, {100, 256, 49.0}}},
       std::nullopt,
       "The invalid UN-encoded sequence does not stop the header; the JPEG lossless (.70) "
       "pixels decode exactly as dcmdjpeg decodes them."},
      {"explicit_VR-UN.dcm", nullptr,
       Loaded{{512, 512, 1},
              Vec3(0.0, 0.0, -121.0),
              0.859375,
              -1024.0,
              1186.0,
              -175887460.0,
              {{0, 0, -1024.0}, {100, 256, -123.0}}},
       std::nullopt,
       "Image Position, Orientation and Pixel Spacing are VR UN and are read with their "
       "dictionary VR (before the fix this worked only if a scan had run earlier in the "
       "process); the JPEG 2000 pixels match GDCM's decode exactly."},
      {"empty_charset_LEI.dcm", kNoSeries, std::nullopt,
       fails(ErrorKind::InvalidInput, kNotAnImage),
       "An empty Specific Character Set means the default repertoire; the object has no image."},
      {"reportsi_with_empty_number_tags.dcm", nullptr, std::nullopt,
       fails(ErrorKind::InvalidInput, kNotAnImage),
       "An SR document: empty IS/DS values are treated as absent; it is listed, not an image."},
      {"JPEG-lossy.dcm", nullptr, std::nullopt, fails(ErrorKind::InvalidInput, kNoGeometry),
       "An NM image without patient geometry: it cannot be placed in a volume (its pixels "
       "decode, see Malformed.OddButValidCodestreamsDecode)."},
      {"JPEG2000-embedded-sequence-delimiter.dcm", nullptr, std::nullopt,
       fails(ErrorKind::InvalidInput, kNoGeometry),
       "No patient geometry, refused before decoding; with geometry added the damaged "
       "codestream is Error(Corrupt) (Malformed.BadJpeg2000StreamIsCorrupt)."},
      {"emri_small_jpeg_2k_lossless_too_short.dcm", "Truncated pixel data", std::nullopt,
       fails(ErrorKind::Unsupported, "no per-frame functional groups"),
       "10 frames without functional groups or Image Position cannot be placed in patient "
       "space, which is decided before the pixels are read; the scan reports the truncation."},
      {"J2K_pixelrep_mismatch.dcm", nullptr,
       Loaded{{512, 512, 1},
              Vec3(-110.2153, -98.1898, 72.1446),
              0.431,
              -2000.0,
              1896.0,
              -172605258.0,
              {{0, 0, -2000.0}, {100, 256, 345.0}}},
       std::nullopt,
       "The codestream is unsigned but the header says signed 13-bit: the header wins, so the "
       "padding outside the field of view is -2000 (not 6192) as on the scanner."},
  };
  // charset/: 32x32 secondary captures (and two objects without pixels) whose interest is
  // their text; io_dicom_scan_shared_test checks the decoded names.
  for (const char* file :
       {"chrArab.dcm", "chrFren.dcm", "chrGerm.dcm", "chrGreek.dcm", "chrH31.dcm", "chrH32.dcm",
        "chrHbrw.dcm", "chrI2.dcm", "chrJapMulti.dcm", "chrKoreanMulti.dcm", "chrRuss.dcm",
        "chrX1.dcm", "chrX2.dcm"}) {
    rows.push_back({std::string("charset/") + file, nullptr, std::nullopt,
                    fails(ErrorKind::InvalidInput, kNoGeometry),
                    "A secondary capture has no patient geometry, so it is not a volume."});
  }
  // Two files repeat another's SOP instance in another encoding: the scan keeps the first.
  for (const char* file : {"chrFrenMulti.dcm", "chrJapMultiExplicitIR6.dcm"}) {
    rows.push_back({std::string("charset/") + file, "Same SOPInstanceUID", std::nullopt,
                    fails(ErrorKind::InvalidInput, kNoGeometry),
                    "A second copy of chrFren / chrJapMulti; as a volume, no patient geometry."});
  }
  for (const char* file : {"chrSQEncoding.dcm", "chrSQEncoding1.dcm"}) {
    rows.push_back({std::string("charset/") + file, kNoSeries, std::nullopt,
                    fails(ErrorKind::InvalidInput, kNotAnImage),
                    "Names in a sequence, without pixels or a series: nothing to list or load."});
  }
  // Documentation beside the data: refused by their first bytes.
  for (const char* file :
       {"MANIFEST.tsv", "README_pydicom_test_files.txt", "LICENSE_pydicom_MIT.txt",
        "LICENSE_pydicom-data_MIT.txt", "charset/FileInfo.txt"}) {
    rows.push_back({file, kNotDicom, std::nullopt, fails(ErrorKind::InvalidInput, kNotDicom),
                    "Not DICOM; refused by its first bytes without asking DCMTK."});
  }
  return rows;
}

std::set<std::string> filesInCorpus(const fs::path& root) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), root).string());
  return files;
}

TEST(MalformedCorpus, TheTableListsEveryFileOnce) {
  const fs::path root = test::sharedData("malformed");
  std::set<std::string> listed;
  for (const Row& row : corpus()) {
    EXPECT_TRUE(listed.insert(row.file).second) << row.file << " is listed twice";
    EXPECT_NE(row.loads.has_value(), row.fails.has_value()) << row.file;
  }
  const std::set<std::string> present = filesInCorpus(root);
  for (const std::string& file : present)
    EXPECT_EQ(listed.count(file), 1u) << file << " is in " << root << " but not in the table";
  for (const std::string& file : listed)
    EXPECT_EQ(present.count(file), 1u) << file << " is in the table but not in " << root;
  EXPECT_EQ(present.size(), 41u);  // 20 MANIFEST files + 17 charset files + 4 documents
}

void expectLoaded(const ImageVolume& v, const Loaded& expected) {
  const ImageGeometry& g = v.geometry();
  EXPECT_EQ(g.size, expected.size);
  EXPECT_NEAR((g.origin_lps - expected.origin_lps).norm(), 0.0, 1e-4);
  EXPECT_NEAR(g.spacing_mm[0], expected.spacing_mm, 1e-6);
  EXPECT_NEAR(g.spacing_mm[1], expected.spacing_mm, 1e-6);
  double lo = 1e300, hi = -1e300, sum = 0;
  for (std::int64_t j = 0; j < g.size[1]; ++j)
    for (std::int64_t i = 0; i < g.size[0]; ++i) {
      const double value = v.valueAt(i, j, 0);
      lo = std::min(lo, value);
      hi = std::max(hi, value);
      sum += value;
    }
  EXPECT_EQ(lo, expected.min);
  EXPECT_EQ(hi, expected.max);
  EXPECT_EQ(sum, expected.sum);
  for (const Probe& p : expected.probes)
    EXPECT_EQ(v.valueAt(p.i, p.j, 0), p.value) << "pixel " << p.i << "," << p.j;
}

TEST(MalformedCorpus, EveryFileLoadsWithKnownValuesOrFailsWithItsErrorKind) {
  const fs::path root = test::sharedData("malformed");
  for (const Row& row : corpus()) {
    SCOPED_TRACE(row.file + " -- " + row.why);
    try {
      const ImageVolume v = io::loadVolume(std::vector<fs::path>{root / row.file});
      ASSERT_TRUE(row.loads) << "loaded " << v.geometry().size[0] << "x" << v.geometry().size[1]
                             << "x" << v.geometry().size[2] << ", expected "
                             << toString(row.fails->kind) << " '" << row.fails->messageFragment
                             << "'";
      expectLoaded(v, *row.loads);
    } catch (const Error& e) {
      ASSERT_TRUE(row.fails) << "failed: " << toString(e.kind()) << ": " << e.what();
      EXPECT_EQ(e.kind(), row.fails->kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(row.fails->messageFragment), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(fs::path(row.file).filename().string()),
                std::string::npos)
          << "the message names the file: " << e.what();
    }
  }
}

TEST(MalformedCorpus, ScanIndexesOrSkipsEveryFileAsTheTableSays) {
  const fs::path root = test::sharedData("malformed");
  const io::DicomIndex index = io::scanDicom(root);
  std::set<fs::path> indexed;
  for (const io::DicomSeries* series : index.allSeries())
    for (const auto& instance : series->instances) indexed.insert(instance.file);
  std::map<fs::path, std::string> skipped;
  for (const auto& s : index.skipped) skipped[s.file] = s.reason;
  for (const Row& row : corpus()) {
    SCOPED_TRACE(row.file + " -- " + row.why);
    const fs::path file = root / row.file;
    if (!row.scanSkipReason) {
      EXPECT_EQ(indexed.count(file), 1u) << "not indexed; skipped: " << skipped[file];
      continue;
    }
    ASSERT_EQ(skipped.count(file), 1u) << "not skipped";
    EXPECT_NE(skipped[file].find(row.scanSkipReason), std::string::npos) << skipped[file];
  }
}

}  // namespace
}  // namespace twinplan
