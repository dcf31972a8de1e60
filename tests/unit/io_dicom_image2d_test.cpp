// loadImage2D on small 2D images written with DCMTK, with colours known exactly: RGB in both
// planar configurations, YBR_FULL, YBR_FULL_422, palette colour with 8- and 16-bit entries,
// greyscale projection images, and the refusals where a volume is needed.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "colour_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case.h"
#include "twinplan/core/case_file.h"
#include "twinplan/io/dicom_image2d.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/image_file.h"

namespace twinplan {
namespace {

using Files = std::vector<std::filesystem::path>;
using twinplan::test::card;
using twinplan::test::ImageSpec;
using twinplan::test::rgbBytes;
using twinplan::test::TempDir;
using twinplan::test::toYbr;
using twinplan::test::writeImage;

void expectCard(const ImageVolume& v, int frames, int tolerance) {
  const auto& g = v.geometry();
  ASSERT_EQ(v.pixelType(), PixelType::Rgb8);
  ASSERT_EQ(g.size[2], frames);
  const auto rgb = v.voxels<RgbColour>();
  for (int f = 0; f < frames; ++f) {
    for (int j = 0; j < g.size[1]; ++j) {
      for (int i = 0; i < g.size[0]; ++i) {
        const RgbColour want =
            card(i, j, f, static_cast<int>(g.size[0]), static_cast<int>(g.size[1]));
        const RgbColour got = rgb[g.linearIndex(i, j, f)];
        EXPECT_NEAR(got.r, want.r, tolerance) << "pixel " << i << "," << j << " frame " << f;
        EXPECT_NEAR(got.g, want.g, tolerance) << "pixel " << i << "," << j << " frame " << f;
        EXPECT_NEAR(got.b, want.b, tolerance) << "pixel " << i << "," << j << " frame " << f;
      }
    }
  }
}

TEST(Image2D, RgbInterleavedIsExactWithHonestGeometry) {
  TempDir dir;
  ImageSpec s;
  s.pixelBytes = rgbBytes(s);
  writeImage(s, dir / "rgb.dcm");
  const ImageVolume v = io::loadImage2D(Files{dir / "rgb.dcm"});
  expectCard(v, 1, 0);
  EXPECT_TRUE(v.planar2D);
  EXPECT_EQ(v.geometry().size, (std::array<std::int64_t, 3>{6, 4, 1}));
  EXPECT_EQ(v.geometry().origin_lps, Vec3::Zero());
  EXPECT_EQ(v.geometry().direction, Mat3::Identity());
  EXPECT_EQ(v.geometry().spacing_mm, Vec3(1, 1, 1));
  // No pixel spacing: said so.
  bool saidPixels = false;
  for (const auto& a : v.assumptions) saidPixels |= a.find("no pixel spacing") != std::string::npos;
  EXPECT_TRUE(saidPixels);
  EXPECT_EQ(v.dicom.seriesDescription, "Test card");
  EXPECT_EQ(v.dicom.modality, "OT");
}

TEST(Image2D, RgbPlanarConfigurationOneIsExact) {
  TempDir dir;
  ImageSpec s;
  s.planar = true;
  s.frames = 2;
  s.pixelBytes = rgbBytes(s);
  writeImage(s, dir / "planar.dcm");
  expectCard(io::loadImage2D(Files{dir / "planar.dcm"}), 2, 0);
}

TEST(Image2D, YbrFullConvertsToTheOriginalColoursWithinRounding) {
  TempDir dir;
  ImageSpec s;
  s.photometric = "YBR_FULL";
  for (int j = 0; j < s.rows; ++j)
    for (int i = 0; i < s.columns; ++i)
      for (Uint8 b : toYbr(card(i, j, 0, s.columns, s.rows))) s.pixelBytes.push_back(b);
  writeImage(s, dir / "ybr.dcm");
  // The forward and inverse transforms each round once: at most 1 off (PS3.3 equations have
  // 4-digit coefficients; measured here: the worst channel is 1 off).
  expectCard(io::loadImage2D(Files{dir / "ybr.dcm"}), 1, 1);
}

TEST(Image2D, YbrFull422SharesChromaBetweenPixelPairs) {
  TempDir dir;
  ImageSpec s;
  s.photometric = "YBR_FULL_422";
  // Pairs of pixels along a row share Cb/Cr: the card's quadrants are 3 pixels wide, so use a
  // card with even boundaries: 8 columns (quadrants of 4).
  s.columns = 8;
  for (int j = 0; j < s.rows; ++j) {
    for (int i = 0; i < s.columns; i += 2) {
      const auto a = toYbr(card(i, j, 0, s.columns, s.rows));
      const auto b = toYbr(card(i + 1, j, 0, s.columns, s.rows));
      // Y1 Y2 Cb Cr (C.7.6.3.1.2), chroma of the pair averaged.
      s.pixelBytes.insert(s.pixelBytes.end(),
                          {a[0], b[0], static_cast<Uint8>((a[1] + b[1] + 1) / 2),
                           static_cast<Uint8>((a[2] + b[2] + 1) / 2)});
    }
  }
  writeImage(s, dir / "ybr422.dcm");
  const ImageVolume v = io::loadImage2D(Files{dir / "ybr422.dcm"});
  ASSERT_EQ(v.pixelType(), PixelType::Rgb8);
  const auto rgb = v.voxels<RgbColour>();
  // Quadrant colours are exact within 1 (their pairs share one colour).
  for (int j = 0; j + 1 < s.rows; ++j) {
    for (int i = 0; i < s.columns; ++i) {
      const RgbColour want = card(i, j, 0, s.columns, s.rows),
                      got = rgb[v.geometry().linearIndex(i, j, 0)];
      EXPECT_NEAR(got.r, want.r, 1);
      EXPECT_NEAR(got.g, want.g, 1);
      EXPECT_NEAR(got.b, want.b, 1);
    }
  }
  // Grey ramp: chroma 128, so each pixel keeps its own Y exactly.
  const int last = s.rows - 1;
  for (int i = 0; i < s.columns; ++i) {
    const RgbColour got = rgb[v.geometry().linearIndex(i, last, 0)];
    const auto want = static_cast<std::uint8_t>(i * 255 / (s.columns - 1));
    EXPECT_EQ(got, (RgbColour{want, want, want})) << i;
  }
}

TEST(Image2D, PaletteColourWith8And16BitEntries) {
  for (int bits : {8, 16}) {
    TempDir dir;
    ImageSpec s;
    s.photometric = "PALETTE COLOR";
    s.columns = 5;
    s.rows = 1;
    s.firstMapped = 10;
    // Indices 10..13 map to entries 0..3; 9 is below the first mapped value (takes entry 0),
    // 200 above the last (takes entry 3): PS3.3 C.7.6.3.1.5.
    s.pixelBytes = {10, 11, 13, 9, 200};
    const Uint16 scale = bits == 16 ? 257 : 1;  // 0xFF -> 0xFFFF
    s.paletteBits = bits;
    s.red = {Uint16(255 * scale), 0, Uint16(128 * scale), 7};
    s.green = {0, Uint16(255 * scale), Uint16(64 * scale), 7};
    s.blue = {0, 0, Uint16(32 * scale), Uint16(255 * scale)};
    writeImage(s, dir / "palette.dcm");
    const ImageVolume v = io::loadImage2D(Files{dir / "palette.dcm"});
    ASSERT_EQ(v.pixelType(), PixelType::Rgb8);
    const auto rgb = v.voxels<RgbColour>();
    const std::uint8_t seven = bits == 16 ? 0 : 7;  // 16-bit 7/65535 of full scale is 0
    EXPECT_EQ(rgb[0], (RgbColour{255, 0, 0})) << bits;
    EXPECT_EQ(rgb[1], (RgbColour{0, 255, 0})) << bits;
    EXPECT_EQ(rgb[2], (RgbColour{seven, seven, 255})) << bits;
    EXPECT_EQ(rgb[3], (RgbColour{255, 0, 0})) << bits;
    EXPECT_EQ(rgb[4], (RgbColour{seven, seven, 255})) << bits;
  }
}

ImageSpec projection(int instance, int rows = 3, int columns = 4) {
  ImageSpec s;
  s.modality = "CR";
  s.sopClass = UID_ComputedRadiographyImageStorage;
  s.photometric = "MONOCHROME1";
  s.rows = rows;
  s.columns = columns;
  s.instance = instance;
  s.imagerPixelSpacing = "0.1\\0.2";  // between rows, between columns
  s.window = "1000\\2000";
  for (int n = 0; n < rows * columns; ++n)
    s.greyWords.push_back(static_cast<Uint16>(100 * n + instance));
  return s;
}

TEST(Image2D, PaletteColourWith16BitIndices) {
  // 16-bit stored indices (Bits Allocated 16, OW Pixel Data): the words are the indices.
  TempDir dir;
  ImageSpec s;
  s.photometric = "PALETTE COLOR";
  s.columns = 3;
  s.rows = 1;
  s.firstMapped = 1000;
  s.paletteBits = 16;
  s.red = {65535, 0};
  s.green = {0, 65535};
  s.blue = {0, 0};
  s.greyWords = {1000, 1001, 5000};  // written as OW with Bits Allocated/Stored 16
  writeImage(s, dir / "palette16.dcm");
  const ImageVolume v = io::loadImage2D(Files{dir / "palette16.dcm"});
  const auto rgb = v.voxels<RgbColour>();
  EXPECT_EQ(rgb[0], (RgbColour{255, 0, 0}));
  EXPECT_EQ(rgb[1], (RgbColour{0, 255, 0}));
  EXPECT_EQ(rgb[2], (RgbColour{0, 255, 0}));  // above the table: its last entry
}

TEST(Image2D, ProjectionImageIsRescaledPlanarAndShownInverted) {
  TempDir dir;
  ImageSpec s = projection(1);
  s.slope = 2.0;
  s.intercept = -5.0;
  writeImage(s, dir / "cr.dcm");
  const ImageVolume v = io::loadImage2D(Files{dir / "cr.dcm"});
  EXPECT_TRUE(v.planar2D);
  EXPECT_EQ(v.pixelType(), PixelType::Float32);  // slope 2 is not an integer shift
  // Imager Pixel Spacing: 0.1 mm between rows (j), 0.2 mm between columns (i).
  EXPECT_DOUBLE_EQ(v.geometry().spacing_mm[0], 0.2);
  EXPECT_DOUBLE_EQ(v.geometry().spacing_mm[1], 0.1);
  // MONOCHROME1 (PS3.3 C.7.6.3.1.2) is a display matter: stored s is rescaled, not inverted
  // (formerly (4095 - s) * 2 - 5), and the display inverts its ramp.
  for (int n = 0; n < 12; ++n) {
    const double stored = 100 * n + 1;
    EXPECT_DOUBLE_EQ(v.valueAt(n % 4, n / 4, 0), stored * 2.0 - 5.0) << n;
  }
  EXPECT_TRUE(v.dicom.displayInverted);
  // The file's window applies to these values as it is (formerly mirrored to 7180).
  EXPECT_DOUBLE_EQ(v.dicom.windowCenter, 1000.0);
  EXPECT_DOUBLE_EQ(v.dicom.windowWidth, 2000.0);
  bool saidMagnification = false;
  for (const auto& a : v.assumptions)
    saidMagnification |= a.find("magnification") != std::string::npos;
  EXPECT_TRUE(saidMagnification);
}

TEST(Image2D, SeveralImagesAreFramesInInstanceOrderAndOtherSizesAreLeftOut) {
  TempDir dir;
  writeImage(projection(2), dir / "a.dcm");
  writeImage(projection(1), dir / "b.dcm");
  writeImage(projection(3, 5, 5), dir / "c.dcm");
  const ImageVolume v = io::loadImage2D(Files{dir / "a.dcm", dir / "b.dcm", dir / "c.dcm"});
  ASSERT_EQ(v.geometry().size[2], 2);
  EXPECT_EQ(v.pixelType(), PixelType::Int16);  // 12-bit stored, no rescale
  EXPECT_EQ(v.valueAt(0, 0, 0), 1);            // instance 1 first (MONOCHROME1, not inverted)
  EXPECT_EQ(v.valueAt(0, 0, 1), 2);
  bool saidLeftOut = false;
  for (const auto& a : v.assumptions) saidLeftOut |= a.find("1 image(s)") != std::string::npos;
  EXPECT_TRUE(saidLeftOut);
}

TEST(Image2D, CancelStopsTheLoadAndProgressRisesToOne) {
  TempDir dir;
  const Files files = {dir / "1.dcm", dir / "2.dcm", dir / "3.dcm"};
  for (int n = 0; n < 3; ++n) writeImage(projection(n + 1), files[static_cast<std::size_t>(n)]);
  test::RecordingProgress cancelling(/*cancelAtReport=*/2);
  EXPECT_THROW(io::loadImage2D(files, cancelling), Cancelled);
  test::RecordingProgress recording;
  const ImageVolume v = io::loadImage2D(files, recording);
  EXPECT_EQ(v.geometry().size[2], 3);
  ASSERT_FALSE(recording.fractions.empty());
  EXPECT_DOUBLE_EQ(recording.fractions.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(recording.fractions.begin(), recording.fractions.end()));
}

TEST(Image2D, VolumeOnlyWorkRefusesWithTheReason) {
  TempDir dir;
  writeImage(projection(1), dir / "cr.dcm");
  const ImageVolume cr = io::loadImage2D(Files{dir / "cr.dcm"});
  try {
    io::writeImageFile(cr, dir / "out.nii.gz");
    FAIL() << "NIfTI export of a projection image must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("is a 2D projection image (CR)"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("NIfTI export needs a volume"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out.nii.gz"));

  ImageSpec s;
  s.pixelBytes = rgbBytes(s);
  writeImage(s, dir / "rgb.dcm");
  ImageVolume colour = io::loadImage2D(Files{dir / "rgb.dcm"});
  colour.planar2D = false;  // even a colour image with a plane is not a greyscale volume
  try {
    requirePatientVolume(colour, "Simulation");
    FAIL() << "a colour image must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a colour image (OT)"), std::string::npos) << e.what();
  }
}

TEST(Image2D, AColourSeriesWithPositionsOpensAsColourFramesNotAsAVolume) {
  // Slices placed in patient space, but in colour (e.g. a fused PET/CT exported as RGB): the
  // scan calls the series a Volume; the viewer shows its colours as 2D frames. (Found a bug:
  // every colour image after the first was left out as "another colour model".)
  TempDir dir;
  for (int instance : {1, 2}) {
    ImageSpec s;
    s.sopClass = UID_UltrasoundImageStorage;
    s.modality = "US";
    s.placed = true;
    s.instance = instance;
    s.pixelBytes = rgbBytes(s);
    writeImage(s, dir / ("slice" + std::to_string(instance) + ".dcm"));
  }
  const io::DicomIndex index = io::scanDicom(dir.path());
  ASSERT_EQ(index.allSeries().size(), 1u);
  const io::DicomSeries& series = *index.allSeries().front();
  EXPECT_EQ(series.kind, io::SeriesKind::Volume);
  const ImageVolume v = io::loadForViewing(series);
  EXPECT_TRUE(v.planar2D);
  ASSERT_EQ(v.geometry().size[2], 2);
  const auto rgb = v.voxels<RgbColour>();
  EXPECT_EQ(rgb[v.geometry().linearIndex(0, 0, 1)], (RgbColour{255, 0, 0}));
  EXPECT_EQ(rgb[v.geometry().linearIndex(5, 0, 1)], (RgbColour{0, 255, 0}));
  bool saidPositions = false;
  for (const auto& a : v.assumptions) saidPositions |= a.find("positions") != std::string::npos;
  EXPECT_TRUE(saidPositions);
}

TEST(Image2D, ASecondaryCaptureIsA2DImageNotAProjection) {
  TempDir dir;
  ImageSpec s;
  s.pixelBytes = rgbBytes(s);
  writeImage(s, dir / "sc.dcm");
  const ImageVolume sc = io::loadImage2D(Files{dir / "sc.dcm"});
  try {
    requirePatientVolume(sc, "Segmentation");
    FAIL() << "a secondary capture must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a 2D image (OT)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Segmentation needs a volume"), std::string::npos);
  }
}

TEST(Image2D, ColourImageRoundTripsThroughACaseFile) {
  TempDir dir;
  ImageSpec s;
  s.frames = 2;
  s.pixelBytes = rgbBytes(s);
  writeImage(s, dir / "rgb.dcm");
  Case twin;
  twin.name = "colour";
  twin.volumes.push_back(io::loadImage2D(Files{dir / "rgb.dcm"}));
  saveCase(twin, dir / "colour.twinplan");
  const Case back = loadCase(dir / "colour.twinplan");
  ASSERT_EQ(back.volumes.size(), 1u);
  EXPECT_TRUE(back.volumes[0].planar2D);
  expectCard(back.volumes[0], 2, 0);
}

TEST(Image2D, DamagedAndUnknownImagesAreRefusedWithTheFileNamed) {
  TempDir dir;
  ImageSpec s;
  s.pixelBytes = rgbBytes(s);
  s.pixelBytes.resize(s.pixelBytes.size() / 2);  // half the pixels are missing
  writeImage(s, dir / "short.dcm");
  try {
    io::loadImage2D(Files{dir / "short.dcm"});
    FAIL() << "a truncated frame must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("short.dcm"), std::string::npos) << e.what();
  }
  ImageSpec huge;  // a few hundred bytes claiming 60000 x 60000 RGB pixels in 100 frames
  huge.rows = huge.columns = 60000;
  huge.frames = 100;
  huge.pixelBytes.assign(12, 0);
  writeImage(huge, dir / "huge.dcm");
  try {
    io::loadImage2D(Files{dir / "huge.dcm"});
    FAIL() << "a file far smaller than its pixels must be refused before allocating them";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("60000x60000 pixels in 100 frame(s)"), std::string::npos)
        << e.what();
  }
  ImageSpec odd;
  odd.photometric = "HSV";  // retired (PS3.3 C.7.6.3.1.2)
  odd.pixelBytes = rgbBytes(odd);
  writeImage(odd, dir / "hsv.dcm");
  try {
    io::loadImage2D(Files{dir / "hsv.dcm"});
    FAIL() << "an unknown colour model must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("HSV"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace twinplan
