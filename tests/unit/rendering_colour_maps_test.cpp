// Colour maps: the DICOM well-known palettes (PS3.6 Annex B) entry for entry against the
// palette SOP instances pydicom ships (an independent copy of the standard's tables, read here
// with DCMTK), known entries and endpoints of every map, names, and the LINEAR_EXACT window
// position that indexes them.
#include <dcmtk/dcmdata/dctk.h>
#include <gtest/gtest.h>
#include <vtkLookupTable.h>

#include <filesystem>

#include "twinplan/core/error.h"
#include "twinplan/rendering/colour_maps.h"
#include "twinplan/rendering/slice_view.h"

namespace twinplan::rendering {
namespace {

const std::filesystem::path kPydicomPalettes =
    "/usr/lib/python3/dist-packages/pydicom/data/palettes";

// The 256 RGB entries of a palette Color LUT SOP instance (8-bit entries packed two to an OW
// word, low byte first: PS3.3 C.7.6.3.1.6 with descriptor 256\0\8).
std::vector<RgbColour> readPalette(const std::filesystem::path& file, std::string& uid) {
  DcmFileFormat format;
  const OFCondition loaded = format.loadFile(file.c_str());
  EXPECT_TRUE(loaded.good()) << file << ": " << loaded.text();
  DcmDataset* data = format.getDataset();
  OFString sopInstance;
  data->findAndGetOFString(DCM_SOPInstanceUID, sopInstance);
  uid = sopInstance.c_str();
  std::vector<RgbColour> entries(256);
  const DcmTagKey channels[3] = {DCM_RedPaletteColorLookupTableData,
                                 DCM_GreenPaletteColorLookupTableData,
                                 DCM_BluePaletteColorLookupTableData};
  for (int c = 0; c < 3; ++c) {
    const Uint16* words = nullptr;
    unsigned long count = 0;
    EXPECT_TRUE(data->findAndGetUint16Array(channels[c], words, &count).good());
    EXPECT_EQ(count, 128u);
    for (unsigned long w = 0; w < count && w < 128; ++w) {
      for (int half = 0; half < 2; ++half) {
        const auto value = static_cast<std::uint8_t>((words[w] >> (8 * half)) & 0xff);
        RgbColour& entry = entries[2 * w + half];
        (c == 0 ? entry.r : c == 1 ? entry.g : entry.b) = value;
      }
    }
  }
  return entries;
}

struct WellKnown {
  ColourMap map;
  const char* file;
};

class WellKnownPalette : public ::testing::TestWithParam<WellKnown> {};

TEST_P(WellKnownPalette, EveryEntryIsTheStandardsTable) {
  const std::filesystem::path file = kPydicomPalettes / GetParam().file;
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "python3-pydicom's palettes not installed";
  std::string uid;
  const std::vector<RgbColour> standard = readPalette(file, uid);
  EXPECT_EQ(uid, wellKnownPaletteUid(GetParam().map));
  const auto& table = colourTable(GetParam().map);
  for (int i = 0; i < 256; ++i) {
    const RgbColour& ours = table[static_cast<std::size_t>(i)];
    const RgbColour& theirs = standard[static_cast<std::size_t>(i)];
    EXPECT_TRUE(ours == theirs) << toString(GetParam().map) << " entry " << i << ": ours "
                                << int(ours.r) << "," << int(ours.g) << "," << int(ours.b)
                                << " standard " << int(theirs.r) << "," << int(theirs.g) << ","
                                << int(theirs.b);
  }
}

INSTANTIATE_TEST_SUITE_P(Ps3_6AnnexB, WellKnownPalette,
                         ::testing::Values(WellKnown{ColourMap::HotIron, "hotiron.dcm"},
                                           WellKnown{ColourMap::PetRainbow, "pet.dcm"},
                                           WellKnown{ColourMap::HotMetalBlue, "hotmetalblue.dcm"},
                                           WellKnown{ColourMap::Pet20Step, "pet20step.dcm"}));

bool same(const RgbColour& c, int r, int g, int b) { return c.r == r && c.g == g && c.b == b; }

TEST(ColourMaps, EndpointsAndKnownEntries) {
  for (ColourMap map : allColourMaps()) {
    const auto& t = colourTable(map);
    if (map == ColourMap::InvertedGrey) {
      EXPECT_TRUE(same(t[0], 255, 255, 255));
      EXPECT_TRUE(same(t[255], 0, 0, 0));
    } else if (map == ColourMap::Jet) {
      EXPECT_TRUE(same(t[0], 0, 0, 128));  // dark blue: 1.5 - |0 - 1| = 0.5
      EXPECT_TRUE(same(t[255], 128, 0, 0));
    } else {
      EXPECT_TRUE(same(t[0], 0, 0, 0)) << toString(map);
      EXPECT_TRUE(same(t[255], 255, 255, 255)) << toString(map);
    }
  }
  // Hot iron (PS3.6 B.1.1): red ramps 2 per entry to 254 at 127, green from 128, blue from 192.
  const auto& hot = colourTable(ColourMap::HotIron);
  EXPECT_TRUE(same(hot[64], 128, 0, 0));
  EXPECT_TRUE(same(hot[127], 254, 0, 0));
  EXPECT_TRUE(same(hot[128], 255, 0, 0));
  EXPECT_TRUE(same(hot[192], 255, 128, 4));
  // PET (PS3.6 B.1.2): green peaks at entry 63, blue at 128, then red saturates at 192.
  const auto& pet = colourTable(ColourMap::PetRainbow);
  EXPECT_TRUE(same(pet[63], 0, 128, 125));
  EXPECT_TRUE(same(pet[128], 128, 0, 255));
  EXPECT_TRUE(same(pet[192], 255, 128, 0));
  // Grey is the identity ramp; jet is green at its middle: entry 128, t = 128/255, red
  // 1.5 - |4t - 3| = 0.508 -> 130, green 1 -> 255, blue 1.5 - |4t - 1| = 0.492 -> 126.
  EXPECT_TRUE(same(colourTable(ColourMap::Grey)[100], 100, 100, 100));
  EXPECT_TRUE(same(colourOf(ColourMap::Jet, 0.5), 130, 255, 126));
}

TEST(ColourMaps, ColourOfIsTheNearestEntryAndClamps) {
  const auto& hot = colourTable(ColourMap::HotIron);
  EXPECT_EQ(colourOf(ColourMap::HotIron, 0.0), hot[0]);
  EXPECT_EQ(colourOf(ColourMap::HotIron, 1.0), hot[255]);
  EXPECT_EQ(colourOf(ColourMap::HotIron, 0.5), hot[128]);  // 127.5 rounds up
  EXPECT_EQ(colourOf(ColourMap::HotIron, 100.0 / 255.0), hot[100]);
  EXPECT_EQ(colourOf(ColourMap::HotIron, -3.0), hot[0]);
  EXPECT_EQ(colourOf(ColourMap::HotIron, 7.0), hot[255]);
}

TEST(ColourMaps, NamesRoundTripAndUnknownNamesAreRefused) {
  for (ColourMap map : allColourMaps()) {
    EXPECT_EQ(colourMapFromString(toString(map)), map);
    EXPECT_STRNE(displayName(map), "");
  }
  EXPECT_EQ(colourMapFromString("HOT_IRON"), ColourMap::HotIron);  // DICOM Content Label
  EXPECT_EQ(colourMapFromString("PET"), ColourMap::PetRainbow);
  try {
    colourMapFromString("viridis");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("hot-iron"), std::string::npos) << e.what();
  }
}

TEST(ColourMaps, LookupTableSpansTheWindow) {
  auto lut = makeLookupTable(ColourMap::HotIron, 0.0, 5.0);
  double rgb[3];
  lut->GetColor(0.0, rgb);
  EXPECT_NEAR(rgb[0], 0.0, 1e-9);
  lut->GetColor(5.0, rgb);
  EXPECT_NEAR(rgb[2], 1.0, 1e-9);  // white at the top
  lut->GetColor(2.5, rgb);         // mid-window: entry 127 or 128, red ~1, no blue
  EXPECT_GT(rgb[0], 0.99);
  EXPECT_NEAR(rgb[2], 0.0, 1e-9);
}

TEST(WindowPosition, LinearExactEndsAtTheWindowsEdges) {
  // PS3.3 C.11.2.1.3.2: y = (x - c)/w + 0.5 - an SUV 0-5 window is 0 at SUV 0 and 1 at SUV 5.
  const WindowLevel suv05{5.0, 2.5};
  EXPECT_DOUBLE_EQ(windowPosition(0.0, suv05), 0.0);
  EXPECT_DOUBLE_EQ(windowPosition(5.0, suv05), 1.0);
  EXPECT_DOUBLE_EQ(windowPosition(1.25, suv05), 0.25);
  EXPECT_DOUBLE_EQ(windowPosition(-1.0, suv05), 0.0);
  EXPECT_DOUBLE_EQ(windowPosition(9.0, suv05), 1.0);
}

TEST(SuvWindowPresets, FixedScalesFromSuvZero) {
  const auto presets = suvWindowPresets();
  ASSERT_EQ(presets.size(), 5u);
  const double uppers[] = {5, 7, 10, 15, 20};
  for (std::size_t i = 0; i < presets.size(); ++i) {
    const WindowLevel& wl = presets[i].window;
    EXPECT_DOUBLE_EQ(wl.level - wl.window / 2.0, 0.0) << presets[i].name;
    EXPECT_DOUBLE_EQ(wl.level + wl.window / 2.0, uppers[i]) << presets[i].name;
  }
  EXPECT_EQ(presets[0].name, "SUV 0-5");
}

}  // namespace
}  // namespace twinplan::rendering
