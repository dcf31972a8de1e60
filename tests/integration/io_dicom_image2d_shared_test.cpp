// 2D and colour images against independent decoders and real files: the compressed transfer
// syntaxes written by dcmtk (dcmcrle, dcmcjpeg) and GDCM (gdcmconv --j2k) from a test card of
// known colours, pydicom's colour conversion and palette lookup, and the real CR images of
// ../shared/data/dicomdir.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "colour_fixtures.h"
#include "test_support.h"
#include "twinplan/io/dicom_image2d.h"
#include "twinplan/io/dicom_index.h"

namespace twinplan {
namespace {

using Files = std::vector<std::filesystem::path>;
using twinplan::test::card;
using twinplan::test::ImageSpec;
using twinplan::test::rgbBytes;
using twinplan::test::runCommand;
using twinplan::test::TempDir;
using twinplan::test::toYbr;
using twinplan::test::writeImage;

// 32x32: quadrants of 16x16 pixels, so JPEG's 16x16 (4:2:0) or 16x8 (4:2:2) blocks are flat.
ImageSpec bigCard() {
  ImageSpec s;
  s.rows = s.columns = 32;
  s.pixelBytes = rgbBytes(s);
  return s;
}

std::string transferSyntaxOf(const std::filesystem::path& file) {
  return runCommand("dcmdump -s +P 0002,0010 '" + file.string() + "'").output;
}

// Numbers printed by a Python one-liner, one per whitespace-separated word.
std::vector<double> pythonNumbers(const std::string& script) {
  const auto result = runCommand("/usr/bin/python3 -c \"" + script + "\"");
  EXPECT_EQ(result.status, 0) << result.output;
  std::istringstream in(result.output);
  std::vector<double> values;
  for (double v; in >> v;) values.push_back(v);
  return values;
}

struct Codec {
  std::string name, command, syntaxWord;
  int tolerance;  // per channel, in the flat quadrants
};

TEST(Image2DShared, CompressedColourDecodesToTheKnownColours) {
  TempDir dir;
  writeImage(bigCard(), dir / "card.dcm");
  // Lossless codecs must give the card back exactly. Baseline JPEG (lossy: quality 90,
  // YBR_FULL_422 inside) is checked against dcmdjpeg's own decoding below; against the card its
  // error in the flat quadrants was measured at 8 (saturated primaries), bounded here by 10.
  const std::vector<Codec> codecs = {
      {"RLE", "dcmcrle", "RLELossless", 0},
      {"JPEG lossless SV1", "dcmcjpeg +e1", "JPEGLossless", 0},
      {"JPEG 2000 lossless", "gdcmconv --j2k", "JPEG2000", 0},
      {"JPEG-LS lossless", "dcmcjpls", "JPEGLSLossless", 0},
      {"JPEG baseline", "dcmcjpeg +eb", "JPEGBaseline", 10},
      // Photometric RGB inside the JPEG (no colour transform): must not be "converted".
      {"JPEG baseline RGB", "dcmcjpeg +eb +cr", "JPEGBaseline", 10},
  };
  for (const Codec& codec : codecs) {
    const auto out = dir / (codec.name + ".dcm");
    const auto made =
        runCommand(codec.command + " '" + (dir / "card.dcm").string() + "' '" + out.string() + "'");
    ASSERT_EQ(made.status, 0) << codec.name << ": " << made.output;
    ASSERT_NE(transferSyntaxOf(out).find(codec.syntaxWord), std::string::npos)
        << codec.name << " wrote " << transferSyntaxOf(out);
    const ImageVolume v = io::loadImage2D(Files{out});
    ASSERT_EQ(v.pixelType(), PixelType::Rgb8) << codec.name;
    const auto rgb = v.voxels<RgbColour>();
    int worst = 0;
    for (int j = 0; j < 30; ++j) {  // the quadrants (the last row is a grey ramp)
      for (int i = 0; i < 32; ++i) {
        const bool interior =
            codec.tolerance == 0 || (i % 16 > 1 && i % 16 < 14 && j % 16 > 1 && j % 16 < 14);
        if (!interior) continue;
        const RgbColour want = card(i, j, 0, 32, 32), got = rgb[v.geometry().linearIndex(i, j, 0)];
        worst = std::max(
            {worst, std::abs(got.r - want.r), std::abs(got.g - want.g), std::abs(got.b - want.b)});
      }
    }
    EXPECT_LE(worst, codec.tolerance) << codec.name;
    std::cout << "[ figure ] " << codec.name << ": largest channel error " << worst << "\n";
  }
  // Baseline JPEG against an independent decoder: dcmdjpeg decodes with libjpeg's own YCbCr ->
  // RGB conversion (fixed point) into an uncompressed RGB file; TwinPlan decodes without
  // conversion and converts by PS3.3 C.7.6.3.1.2. The two agree within 1 per channel.
  for (const std::string name : {"JPEG baseline", "JPEG baseline RGB"}) {
    const auto lossy = dir / (name + ".dcm"), reference = dir / (name + " dcmdjpeg.dcm");
    ASSERT_EQ(runCommand("dcmdjpeg '" + lossy.string() + "' '" + reference.string() + "'").status,
              0);
    ASSERT_NE(runCommand("dcmdump '" + reference.string() + "'").output.find("[RGB]"),
              std::string::npos);
    const ImageVolume oursVolume = io::loadImage2D(Files{lossy});
    const ImageVolume theirsVolume = io::loadImage2D(Files{reference});
    const auto ours = oursVolume.voxels<RgbColour>(), theirs = theirsVolume.voxels<RgbColour>();
    ASSERT_EQ(ours.size(), theirs.size());
    int worst = 0;
    for (std::size_t n = 0; n < ours.size(); ++n) {
      worst = std::max({worst, std::abs(ours[n].r - theirs[n].r), std::abs(ours[n].g - theirs[n].g),
                        std::abs(ours[n].b - theirs[n].b)});
    }
    EXPECT_LE(worst, 1) << name;
    std::cout << "[ figure ] " << name << " vs dcmdjpeg: largest channel difference " << worst
              << "\n";
  }
}

TEST(Image2DShared, YbrFullAndPaletteMatchPydicom) {
  TempDir dir;
  ImageSpec ybr;
  ybr.rows = ybr.columns = 16;
  for (int j = 0; j < ybr.rows; ++j) {
    for (int i = 0; i < ybr.columns; ++i) {
      // Colours all over the cube, not just the card's corners.
      const RgbColour c{static_cast<std::uint8_t>(17 * i), static_cast<std::uint8_t>(255 - 13 * j),
                        static_cast<std::uint8_t>((37 * i + 53 * j) % 256)};
      for (Uint8 b : toYbr(c)) ybr.pixelBytes.push_back(b);
    }
  }
  ybr.photometric = "YBR_FULL";
  writeImage(ybr, dir / "ybr.dcm");
  const auto reference = pythonNumbers(
      "import pydicom; from pydicom.pixel_data_handlers.util import convert_color_space as c; "
      "d = pydicom.dcmread('" +
      (dir / "ybr.dcm").string() +
      "'); "
      "print(*c(d.pixel_array, 'YBR_FULL', 'RGB').ravel())");
  const ImageVolume v = io::loadImage2D(Files{dir / "ybr.dcm"});
  const auto rgb = v.voxels<RgbColour>();
  ASSERT_EQ(reference.size(), rgb.size() * 3);
  int differing = 0;
  for (std::size_t n = 0; n < rgb.size(); ++n) {
    differing += rgb[n].r != reference[3 * n] || rgb[n].g != reference[3 * n + 1] ||
                 rgb[n].b != reference[3 * n + 2];
  }
  EXPECT_EQ(differing, 0) << "of " << rgb.size() << " pixels";

  for (int bits : {8, 16}) {
    ImageSpec palette;
    palette.photometric = "PALETTE COLOR";
    palette.rows = 4;
    palette.columns = 64;
    palette.paletteBits = bits;
    palette.firstMapped = 0;
    for (int e = 0; e < 256; ++e) {
      const int scale = bits == 16 ? 257 : 1;
      palette.red.push_back(static_cast<Uint16>(e * scale));
      palette.green.push_back(static_cast<Uint16>((255 - e) * scale));
      palette.blue.push_back(static_cast<Uint16>(((e * 7) % 256) * scale + (bits == 16 ? e : 0)));
    }
    for (int n = 0; n < palette.rows * palette.columns; ++n)
      palette.pixelBytes.push_back(static_cast<Uint8>(n * 5 % 256));
    const auto file = dir / ("palette" + std::to_string(bits) + ".dcm");
    writeImage(palette, file);
    // pydicom returns the table's own values (16-bit when the entries are 16-bit); TwinPlan
    // shows 8 bits: round(entry * 255 / 65535) (io/src/colour_decode.cpp).
    const auto table = pythonNumbers(
        "import pydicom; from pydicom.pixel_data_handlers.util import apply_color_lut as a; "
        "d = pydicom.dcmread('" +
        file.string() + "'); print(*a(d.pixel_array, d).ravel())");
    const ImageVolume p = io::loadImage2D(Files{file});
    const auto colours = p.voxels<RgbColour>();
    ASSERT_EQ(table.size(), colours.size() * 3) << bits;
    int wrong = 0;
    for (std::size_t n = 0; n < colours.size(); ++n) {
      for (int c = 0; c < 3; ++c) {
        const double entry = table[3 * n + static_cast<std::size_t>(c)];
        const double want = bits == 16 ? std::floor(entry * 255.0 / 65535.0 + 0.5) : entry;
        const std::uint8_t got = c == 0 ? colours[n].r : c == 1 ? colours[n].g : colours[n].b;
        wrong += got != want;
      }
    }
    EXPECT_EQ(wrong, 0) << bits << "-bit palette";
  }
}

TEST(Image2DShared, RealComputedRadiographMatchesPydicom) {
  const auto file = test::sharedData("dicomdir/77654033/CR1/6154");
  // MONOCHROME1 12-bit: stored value * slope 0.684 + intercept 200 (its Modality LUT); the
  // inversion is the display's (PS3.3 C.7.6.3.1.2), not the values'.
  const auto reference =
      pythonNumbers("import pydicom; d = pydicom.dcmread('" + file.string() +
                    "'); "
                    "print(*(d.pixel_array.astype(float) * 0.684 + 200).ravel())");
  const ImageVolume v = io::loadImage2D(Files{file});
  EXPECT_TRUE(v.dicom.displayInverted);
  EXPECT_DOUBLE_EQ(v.dicom.windowCenter, 1600.0);  // the file's window, as it is
  EXPECT_DOUBLE_EQ(v.dicom.windowWidth, 2800.0);
  ASSERT_EQ(reference.size(), 256u);
  EXPECT_TRUE(v.planar2D);
  EXPECT_EQ(v.dicom.modality, "CR");
  EXPECT_EQ(v.geometry().size, (std::array<std::int64_t, 3>{16, 16, 1}));
  EXPECT_DOUBLE_EQ(v.geometry().spacing_mm[0], 0.1);  // Imager Pixel Spacing 0.1\0.1
  for (std::size_t n = 0; n < reference.size(); ++n) {
    EXPECT_NEAR(v.valueAt(static_cast<std::int64_t>(n % 16), static_cast<std::int64_t>(n / 16), 0),
                reference[n], 1e-3)
        << n;
  }
}

TEST(Image2DShared, EveryImageSeriesOfTheDicomdirOpensForViewing) {
  const io::DicomIndex index = io::scanDicom(test::sharedData("dicomdir/DICOMDIR"));
  int projections = 0, localizers = 0, volumes = 0;
  for (const io::DicomSeries* series : index.allSeries()) {
    if (!io::hasViewableImages(*series)) continue;
    if (series->kind == io::SeriesKind::Volume) {
      ++volumes;  // loadVolume's business (this CT has gaps it refuses to fill)
      continue;
    }
    const ImageVolume v = io::loadForViewing(*series);
    EXPECT_FALSE(v.empty()) << series->description;
    EXPECT_TRUE(v.planar2D) << series->description;
    projections += series->modality == "CR";
    localizers += series->kind == io::SeriesKind::Localizer;
  }
  // `twinplan-cli info`: 3 CR radiographs, 8 CT/MR localizer series (one scout, multi-plane
  // pilots) and 2 CT volumes.
  EXPECT_EQ(projections, 3);
  EXPECT_EQ(localizers, 8);
  EXPECT_EQ(volumes, 2);
}

TEST(Image2DShared, CliConvertRefusesAProjectionImageWithTheReason) {
  TempDir dir;
  const auto cr = test::sharedData("dicomdir/77654033/CR1");
  const io::DicomIndex index = io::scanDicom(cr);
  ASSERT_EQ(index.allSeries().size(), 1u);
  const std::string uid = index.allSeries().front()->seriesInstanceUid;
  const auto result =
      runCommand("'" + test::cliPath().string() + "' convert '" + cr.string() + "' --out '" +
                 (dir / "cr.nii.gz").string() + "' --series " + uid + " 2>&1");
  EXPECT_NE(result.status, 0);
  EXPECT_NE(result.output.find("is a 2D projection image (CR)"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("NIfTI export needs a volume"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "cr.nii.gz"));
}

TEST(Image2DShared, EveryTransferSyntaxGivesTheReferenceImageWithinItsManifestDifference) {
  // MANIFEST.tsv: max abs difference after rescale against MR_small.dcm (0 for lossless).
  const auto folder = test::sharedData("transfer-syntaxes-mr");
  const ImageVolume reference = io::loadImage2D(Files{folder / "MR_small.dcm"});
  std::ifstream manifest(folder / "MANIFEST.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  int files = 0;
  while (std::getline(manifest, line)) {
    std::istringstream fields(line);
    std::string file, uid, name, lossy, maxDiff;
    std::getline(fields, file, '\t');
    std::getline(fields, uid, '\t');
    std::getline(fields, name, '\t');
    std::getline(fields, lossy, '\t');
    std::getline(fields, maxDiff, '\t');
    const ImageVolume v = io::loadImage2D(Files{folder / file});
    ASSERT_EQ(v.geometry().size, reference.geometry().size) << file;
    double worst = 0;
    for (std::int64_t j = 0; j < 64; ++j)
      for (std::int64_t i = 0; i < 64; ++i)
        worst = std::max(worst, std::abs(v.valueAt(i, j, 0) - reference.valueAt(i, j, 0)));
    EXPECT_LE(worst, std::stod(maxDiff) + 0.01) << file;
    ++files;
  }
  EXPECT_EQ(files, 15);
}

TEST(Image2DShared, MalformedFilesGiveAnErrorNeverACrash) {
  int refused = 0, opened = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(test::sharedData("malformed"))) {
    if (!entry.is_regular_file() || entry.path().extension() != ".dcm") continue;
    try {
      const ImageVolume v = io::loadImage2D(Files{entry.path()});
      EXPECT_FALSE(v.empty()) << entry.path();
      ++opened;
    } catch (const Error& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
      ++refused;
    }
  }
  std::cout << "[ figure ] malformed/: " << opened << " opened, " << refused << " refused\n";
  EXPECT_GT(opened + refused, 30);
}

}  // namespace
}  // namespace twinplan
