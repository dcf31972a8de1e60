#pragma once
// DICOM 2D image fixtures with exactly known colours, written with DCMTK (header-only: used by
// the unit and integration tests of io/dicom_image2d).
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "twinplan/core/image_volume.h"

namespace twinplan::test {

// A colour test card: four quadrants of pure colours plus a grey ramp in the last row.
inline RgbColour card(int i, int j, int frame, int columns, int rows) {
  if (j == rows - 1) {
    const auto grey = static_cast<std::uint8_t>(i * 255 / (columns - 1));
    return {grey, grey, grey};
  }
  const bool right = i >= columns / 2, bottom = j >= rows / 2;
  RgbColour c = !right && !bottom  ? RgbColour{255, 0, 0}     // red
                : right && !bottom ? RgbColour{0, 255, 0}     // green
                : !right && bottom ? RgbColour{0, 0, 255}     // blue
                                   : RgbColour{255, 255, 0};  // yellow
  if (frame == 1) c = RgbColour{c.b, c.r, c.g};               // frame 2 rotates the channels
  return c;
}

struct ImageSpec {
  int rows = 4, columns = 6, frames = 1;
  std::string photometric = "RGB";
  bool planar = false;
  std::string modality = "OT";
  std::string sopClass = UID_SecondaryCaptureImageStorage;
  int instance = 1;
  std::string imagerPixelSpacing, pixelSpacing;
  bool placed = false;            // write ImagePositionPatient / ImageOrientationPatient
  std::vector<Uint8> pixelBytes;  // written as Pixel Data (OB)
  std::vector<Uint16> greyWords;  // or this (OW, 16-bit greyscale or palette indices)
  int bitsStored = 12;
  double slope = 1.0, intercept = 0.0;
  std::string window;  // "centre\\width"
  // Palette colour: entries per channel, descriptor bits.
  std::vector<Uint16> red, green, blue;
  int paletteBits = 8, firstMapped = 0;
};

inline void put(DcmDataset* d, const DcmTagKey& tag, const std::string& value) {
  ASSERT_TRUE(d->putAndInsertString(tag, value.c_str()).good());
}

inline void writeImage(const ImageSpec& s, const std::filesystem::path& path) {
  DcmFileFormat file;
  DcmDataset* d = file.getDataset();
  char uid[100];
  put(d, DCM_SOPClassUID, s.sopClass);
  put(d, DCM_SOPInstanceUID, dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
  put(d, DCM_StudyInstanceUID, "1.2.826.0.1.3680043.2.1125.7.1");
  put(d, DCM_SeriesInstanceUID, "1.2.826.0.1.3680043.2.1125.7.2");
  put(d, DCM_Modality, s.modality);
  put(d, DCM_SeriesDescription, "Test card");
  put(d, DCM_PatientName, "Card^Test");
  put(d, DCM_InstanceNumber, std::to_string(s.instance));
  if (!s.imagerPixelSpacing.empty()) put(d, DCM_ImagerPixelSpacing, s.imagerPixelSpacing);
  if (!s.pixelSpacing.empty()) put(d, DCM_PixelSpacing, s.pixelSpacing);
  if (s.placed) {
    put(d, DCM_ImagePositionPatient, "0\\0\\" + std::to_string(s.instance));
    put(d, DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
    put(d, DCM_FrameOfReferenceUID, "1.2.826.0.1.3680043.2.1125.7.3");
  }
  d->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(s.rows));
  d->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(s.columns));
  if (s.frames > 1) put(d, DCM_NumberOfFrames, std::to_string(s.frames));
  put(d, DCM_PhotometricInterpretation, s.photometric);
  const bool grey = s.photometric.starts_with("MONOCHROME");
  const bool palette = s.photometric == "PALETTE COLOR";
  d->putAndInsertUint16(DCM_SamplesPerPixel, grey || palette ? 1 : 3);
  if (!grey && !palette) d->putAndInsertUint16(DCM_PlanarConfiguration, s.planar ? 1 : 0);
  const bool words = !s.greyWords.empty();  // 16-bit samples (OW), else 8-bit (OB)
  const int stored = grey ? s.bitsStored : words ? 16 : 8;
  d->putAndInsertUint16(DCM_BitsAllocated, static_cast<Uint16>(words ? 16 : 8));
  d->putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(stored));
  d->putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(stored - 1));
  d->putAndInsertUint16(DCM_PixelRepresentation, 0);
  if (grey && (s.slope != 1.0 || s.intercept != 0.0)) {
    put(d, DCM_RescaleSlope, std::to_string(s.slope));
    put(d, DCM_RescaleIntercept, std::to_string(s.intercept));
  }
  if (!s.window.empty()) {
    const auto slash = s.window.find('\\');
    put(d, DCM_WindowCenter, s.window.substr(0, slash));
    put(d, DCM_WindowWidth, s.window.substr(slash + 1));
  }
  if (palette) {
    const auto n = static_cast<Uint16>(s.red.size());
    const Uint16 descriptor[3] = {n, static_cast<Uint16>(s.firstMapped),
                                  static_cast<Uint16>(s.paletteBits)};
    const DcmTagKey descriptors[3] = {DCM_RedPaletteColorLookupTableDescriptor,
                                      DCM_GreenPaletteColorLookupTableDescriptor,
                                      DCM_BluePaletteColorLookupTableDescriptor};
    const DcmTagKey data[3] = {DCM_RedPaletteColorLookupTableData,
                               DCM_GreenPaletteColorLookupTableData,
                               DCM_BluePaletteColorLookupTableData};
    const std::vector<Uint16>* tables[3] = {&s.red, &s.green, &s.blue};
    for (int c = 0; c < 3; ++c) {
      d->putAndInsertUint16Array(descriptors[c], descriptor, 3);
      std::vector<Uint16> words;
      if (s.paletteBits == 16) {
        words = *tables[c];
      } else {  // 8-bit entries packed two per word, first entry in the low byte
        for (std::size_t e = 0; e < tables[c]->size(); e += 2) {
          const Uint16 lo = (*tables[c])[e];
          const Uint16 hi = e + 1 < tables[c]->size() ? (*tables[c])[e + 1] : 0;
          words.push_back(static_cast<Uint16>(lo | (hi << 8)));
        }
      }
      d->putAndInsertUint16Array(data[c], words.data(), static_cast<unsigned long>(words.size()));
    }
  }
  if (words) {
    d->putAndInsertUint16Array(DCM_PixelData, s.greyWords.data(),
                               static_cast<unsigned long>(s.greyWords.size()));
  } else {
    d->putAndInsertUint8Array(DCM_PixelData, s.pixelBytes.data(),
                              static_cast<unsigned long>(s.pixelBytes.size()));
  }
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
}

// RGB bytes of the test card, interleaved or planar.
inline std::vector<Uint8> rgbBytes(const ImageSpec& s) {
  std::vector<Uint8> out;
  const std::size_t pixels = static_cast<std::size_t>(s.rows * s.columns);
  for (int f = 0; f < s.frames; ++f) {
    std::vector<Uint8> frame(pixels * 3);
    for (int j = 0; j < s.rows; ++j) {
      for (int i = 0; i < s.columns; ++i) {
        const RgbColour c = card(i, j, f, s.columns, s.rows);
        const std::size_t n = static_cast<std::size_t>(j * s.columns + i);
        const Uint8 rgb[3] = {c.r, c.g, c.b};
        for (int ch = 0; ch < 3; ++ch) {
          frame[s.planar ? ch * pixels + n : 3 * n + ch] = rgb[ch];
        }
      }
    }
    out.insert(out.end(), frame.begin(), frame.end());
  }
  return out;
}

// PS3.3 C.7.6.3.1.2 forward transform (YBR_FULL), rounded.
inline std::array<Uint8, 3> toYbr(const RgbColour& c) {
  auto round = [](double v) { return static_cast<Uint8>(std::lround(std::clamp(v, 0.0, 255.0))); };
  return {round(0.299 * c.r + 0.587 * c.g + 0.114 * c.b),
          round(-0.1687 * c.r - 0.3313 * c.g + 0.5 * c.b + 128),
          round(0.5 * c.r - 0.4187 * c.g - 0.0813 * c.b + 128)};
}

}  // namespace twinplan::test
