// 2D images for viewing (dicom_image2d.h): projection radiographs, secondary captures and
// colour images, stacked as frames of a planar ImageVolume.
#include "twinplan/io/dicom_image2d.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include "colour_decode.h"
#include "dicom_attributes.h"
#include "dicom_codecs.h"
#include "j2k_decoder.h"
#include "twinplan/io/dicom_volume.h"
#include "volume_frames.h"

namespace twinplan::io {
namespace {

namespace fs = std::filesystem;
using detail::integer;
using detail::number;
using detail::text;

// The header of one image file, read without its pixel data.
struct ImageHeader {
  fs::path file;
  int instanceNumber = 0;
  int frames = 1;
  detail::PixelFormat format;
  bool planar = false;
  double slope = 1.0, intercept = 0.0;
  std::optional<std::pair<std::int64_t, std::int64_t>> paddingStored;  // PS3.3 C.7.5.1.1.2
  std::optional<std::array<double, 2>> spacing;  // between rows, between columns (mm)
  std::string spacingSource;                     // the attribute the spacing came from
  DicomInfo info;
  bool placed = false;  // has ImagePositionPatient (a localizer, a colour slice)
  bool colour() const { return detail::isColourPhotometric(format.photometric); }
};

Error corrupt(const fs::path& file, const std::string& what) {
  return Error(ErrorKind::Corrupt,
               "The image " + file.string() + " cannot be read: " + what +
                   ". The file is truncated or damaged; copy it again from the source.",
               file.string());
}

std::unique_ptr<DcmFileFormat> loadFile(const fs::path& path, bool headerOnly) {
  if (!fs::is_regular_file(path)) {
    throw Error(ErrorKind::NotFound, "The DICOM file " + path.string() + " does not exist.",
                path.string());
  }
  auto format = std::make_unique<DcmFileFormat>();
  OFCondition status;
  try {
    status = headerOnly ? format->loadFileUntilTag(path.c_str(), EXS_Unknown, EGL_noChange,
                                                   DCM_MaxReadLength, ERM_autoDetect, DCM_PixelData)
                        : format->loadFile(path.c_str());
  } catch (const std::exception& e) {
    throw corrupt(path, std::string("DCMTK failed on it (") + e.what() + ")");
  }
  if (status.bad())
    throw corrupt(path, std::string("DCMTK stopped reading it (") + status.text() + ")");
  return format;
}

// Pixels cannot be larger than their file (compressed: 65536 times, as the volume loader):
// checked before any buffer is allocated, so a tiny damaged file claiming 65535 x 65535 pixels
// in thousands of frames is refused instead of costing gigabytes.
void requirePixelsFitFile(const ImageHeader& h, E_TransferSyntax xfer) {
  const DcmXfer syntax(xfer);
  const bool compressed = syntax.isEncapsulated() || syntax.getStreamCompression() != ESC_none;
  const std::uintmax_t expansion = compressed ? 65536 : 1;
  const std::uintmax_t needed = static_cast<std::uintmax_t>(h.format.rows) *
                                static_cast<std::uintmax_t>(h.format.columns) *
                                static_cast<std::uintmax_t>(h.format.samplesPerPixel) *
                                static_cast<std::uintmax_t>(h.frames) *
                                static_cast<std::uintmax_t>(h.format.bitsAllocated) / 8;
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(h.file, ec);
  if (!ec && needed > size * expansion) {
    throw corrupt(h.file, "it declares " + std::to_string(h.format.columns) + "x" +
                              std::to_string(h.format.rows) + " pixels in " +
                              std::to_string(h.frames) + " frame(s) (" + std::to_string(needed) +
                              " bytes) but has only " + std::to_string(size) + " bytes");
  }
}

ImageHeader readHeader(const fs::path& path) {
  const auto format = loadFile(path, true);
  DcmDataset& ds = *format->getDataset();
  ImageHeader h;
  h.file = path;
  h.instanceNumber = integer(ds, DCM_InstanceNumber, 0);
  auto& f = h.format;
  f.rows = integer(ds, DCM_Rows, 0);
  f.columns = integer(ds, DCM_Columns, 0);
  f.bitsAllocated = integer(ds, DCM_BitsAllocated, 8);
  f.bitsStored = integer(ds, DCM_BitsStored, f.bitsAllocated);
  f.highBit = integer(ds, DCM_HighBit, f.bitsStored - 1);
  f.isSigned = integer(ds, DCM_PixelRepresentation, 0) == 1;
  f.samplesPerPixel = integer(ds, DCM_SamplesPerPixel, 1);
  f.photometric = text(ds, DCM_PhotometricInterpretation);
  if (f.photometric.empty()) f.photometric = f.samplesPerPixel == 3 ? "RGB" : "MONOCHROME2";
  h.planar = integer(ds, DCM_PlanarConfiguration, 0) == 1;
  if (f.rows <= 0 || f.columns <= 0) throw corrupt(path, "it has no Rows/Columns (no image)");
  if (f.bitsStored < 1 || f.bitsStored > f.bitsAllocated || f.highBit >= f.bitsAllocated ||
      f.highBit < f.bitsStored - 1) {
    throw corrupt(path, "its Bits Allocated/Stored/High Bit are inconsistent");
  }
  const bool grey = f.photometric == "MONOCHROME1" || f.photometric == "MONOCHROME2";
  if (!grey && !h.colour()) {
    throw Error(ErrorKind::Unsupported,
                path.string() + " has the colour model " + f.photometric +
                    ", which TwinPlan cannot show (MONOCHROME1/2, RGB, YBR_FULL, YBR_FULL_422 "
                    "and PALETTE COLOR are supported).",
                path.string());
  }
  if (grey && f.samplesPerPixel != 1) {
    throw corrupt(
        path, f.photometric + " with " + std::to_string(f.samplesPerPixel) + " samples per pixel");
  }
  Sint32 frames = 1;
  if (ds.tagExists(DCM_NumberOfFrames) &&
      (ds.findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1)) {
    throw corrupt(path, "its Number of Frames is invalid");
  }
  h.frames = frames;
  requirePixelsFitFile(h, ds.getOriginalXfer());
  h.slope = number(ds, DCM_RescaleSlope).value_or(1.0);
  h.intercept = number(ds, DCM_RescaleIntercept).value_or(0.0);
  if (h.slope == 0.0) h.slope = 1.0;
  if (grey) h.paddingStored = detail::readPixelPadding(ds, f.isSigned);
  // PS3.3 10.7.1.3: Pixel Spacing is in the patient; Imager Pixel Spacing at the detector (not
  // corrected for the projection's magnification); Nominal Scanned Pixel Spacing (C.8.6.1) of a
  // digitised film.
  for (const auto& [tag, name] :
       {std::pair{DCM_PixelSpacing, "Pixel Spacing (0028,0030)"},
        std::pair{DCM_ImagerPixelSpacing, "Imager Pixel Spacing (0018,1164)"},
        std::pair{DCM_NominalScannedPixelSpacing, "Nominal Scanned Pixel Spacing (0018,2010)"}}) {
    const auto rowSpacing = number(ds, tag, 0), columnSpacing = number(ds, tag, 1);
    if (rowSpacing && columnSpacing && *rowSpacing > 0 && *columnSpacing > 0) {
      h.spacing = std::array<double, 2>{*rowSpacing, *columnSpacing};
      h.spacingSource = name;
      break;
    }
  }
  h.placed = ds.tagExists(DCM_ImagePositionPatient);
  ds.convertToUTF8();  // names and descriptions in UTF-8; a failure keeps the raw text
  h.info = detail::readDicomInfo(ds);
  return h;
}

// The pixel type that holds every rescaled value of a greyscale image exactly, or float32.
PixelType greyPixelType(const ImageHeader& h) {
  const double lo = static_cast<double>(h.format.storedMin()) * h.slope + h.intercept;
  const double hi = static_cast<double>(h.format.storedMax()) * h.slope + h.intercept;
  const bool integral = h.slope == 1.0 && h.intercept == std::round(h.intercept);
  if (!integral || h.format.bitsStored > 16) return PixelType::Float32;
  if (lo >= 0 && hi <= 255) return PixelType::UInt8;
  if (lo >= -32768 && hi <= 32767) return PixelType::Int16;
  if (lo >= 0 && hi <= 65535) return PixelType::UInt16;
  return PixelType::Float32;
}

void storeGrey(ImageVolume& volume, std::size_t offset, std::span<const double> values) {
  auto store = [&]<class T>(std::span<T> voxels) {
    for (std::size_t n = 0; n < values.size(); ++n) voxels[offset + n] = static_cast<T>(values[n]);
  };
  switch (volume.pixelType()) {
    case PixelType::UInt8:
      return store(volume.voxels<std::uint8_t>());
    case PixelType::Int16:
      return store(volume.voxels<std::int16_t>());
    case PixelType::UInt16:
      return store(volume.voxels<std::uint16_t>());
    case PixelType::Float32:
      return store(volume.voxels<float>());
    case PixelType::Int32:
    case PixelType::Rgb8:
      break;
  }
  throw Error(ErrorKind::Internal, "storeGrey called for a volume that is not greyscale.");
}

// The fragments of frame `frame` of an encapsulated JPEG 2000 pixel sequence: every fragment
// for a single-frame file, one fragment per frame otherwise (PS3.5 A.4).
std::vector<std::uint8_t> j2kFrame(const ImageHeader& h, DcmPixelSequence& sequence, int frame) {
  const unsigned long items = sequence.card();
  if (items < 2) throw corrupt(h.file, "its encapsulated pixel data has no fragments");
  const auto fragments = static_cast<int>(items - 1);
  if (h.frames > 1 && fragments != h.frames) {
    throw Error(ErrorKind::Unsupported,
                h.file.string() +
                    " splits its JPEG 2000 frames over several fragments each, "
                    "which TwinPlan cannot show yet for colour images.",
                h.file.string());
  }
  const unsigned long first = h.frames == 1 ? 1 : static_cast<unsigned long>(frame) + 1;
  const unsigned long last = h.frames == 1 ? items : first + 1;
  std::vector<std::uint8_t> stream;
  for (unsigned long i = first; i < last; ++i) {
    DcmPixelItem* item = nullptr;
    Uint8* bytes = nullptr;
    if (sequence.getItem(item, i).bad() || !item || item->getUint8Array(bytes).bad() || !bytes) {
      throw corrupt(h.file, "fragment " + std::to_string(i) + " cannot be read");
    }
    stream.insert(stream.end(), bytes, bytes + item->getLength());
  }
  return stream;
}

// Decodes every frame of one colour file into `out` (frames * rows * columns pixels).
void decodeColourFile(const ImageHeader& h, std::span<RgbColour> out, Progress& progress) {
  detail::ensureDicomCodecsRegistered();
  const auto format = loadFile(h.file, false);
  DcmDataset& ds = *format->getDataset();
  const std::string where = h.file.string();
  detail::ColourLayout layout{h.format.photometric,   h.format.samplesPerPixel, h.planar,
                              h.format.bitsAllocated, h.format.bitsStored,      h.format.isSigned};
  std::optional<detail::PaletteLut> palette;
  if (layout.photometric == "PALETTE COLOR") {
    palette = detail::readPalette(ds, h.format.isSigned, where);
  }
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || !element ||
      element->ident() != EVR_PixelData) {
    throw corrupt(h.file, "it has no Pixel Data (7FE0,0010) of VR OB/OW");
  }
  auto* pixelData = static_cast<DcmPixelData*>(element);
  const std::size_t pixels = static_cast<std::size_t>(h.format.rows) * h.format.columns;
  const E_TransferSyntax xfer = ds.getOriginalXfer();
  const bool encapsulated = DcmXfer(xfer).isEncapsulated();
  std::vector<std::uint8_t> raw;
  Uint32 startFragment = 0;
  for (int frame = 0; frame < h.frames; ++frame) {
    progress.check();
    std::span<RgbColour> target = out.subspan(static_cast<std::size_t>(frame) * pixels, pixels);
    if (xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000) {
      E_TransferSyntax repType = EXS_Unknown;
      const DcmRepresentationParameter* repParam = nullptr;
      pixelData->getOriginalRepresentationKey(repType, repParam);
      DcmPixelSequence* sequence = nullptr;
      if (pixelData->getEncapsulatedRepresentation(repType, repParam, sequence).bad() ||
          !sequence) {
        throw corrupt(h.file, "its JPEG 2000 pixel data is not encapsulated");
      }
      const detail::J2kImage image = detail::decodeJ2k(j2kFrame(h, *sequence, frame), where);
      if (image.width != h.format.columns || image.height != h.format.rows ||
          image.samples1.size() != pixels || layout.photometric == "PALETTE COLOR") {
        throw corrupt(h.file, "its JPEG 2000 image is not a full-size 3-component image of " +
                                  std::to_string(h.format.columns) + "x" +
                                  std::to_string(h.format.rows) + " pixels");
      }
      detail::planesToRgb(image.samples, image.samples1, image.samples2, layout, target);
      continue;
    }
    if (!encapsulated) {
      // Native: frames follow each other; YBR_FULL_422 stores 2 bytes a pixel (C.7.6.3.1.2).
      const std::size_t frameBytes =
          layout.photometric == "YBR_FULL_422"
              ? pixels * 2
              : pixels * static_cast<std::size_t>(layout.samplesPerPixel) *
                    static_cast<std::size_t>(layout.bitsAllocated <= 8 ? 1 : 2);
      Uint8* bytes = nullptr;
      if (pixelData->getUint8Array(bytes).bad() || !bytes ||
          pixelData->getLength() < frameBytes * static_cast<std::size_t>(frame + 1)) {
        throw corrupt(h.file, "its Pixel Data is shorter than " + std::to_string(h.frames) +
                                  " frames of its size");
      }
      detail::frameToRgb({bytes + frameBytes * static_cast<std::size_t>(frame), frameBytes}, layout,
                         h.format.columns, palette ? &*palette : nullptr, target, where);
      continue;
    }
    Uint32 frameSize = 0;
    if (pixelData->getUncompressedFrameSize(&ds, frameSize).bad()) {
      throw corrupt(h.file, "its frame size cannot be determined");
    }
    raw.resize(frameSize + (frameSize & 1u));
    OFString decodedModel;
    if (frame == 0) startFragment = 0;
    const OFCondition status =
        pixelData->getUncompressedFrame(&ds, static_cast<Uint32>(frame), startFragment, raw.data(),
                                        static_cast<Uint32>(raw.size()), decodedModel);
    if (status.bad()) {
      throw corrupt(h.file, "frame " + std::to_string(frame + 1) + " could not be decoded (" +
                                status.text() + ")");
    }
    detail::ColourLayout decoded = layout;
    if (!decodedModel.empty()) decoded.photometric = decodedModel.c_str();
    // Codecs return every pixel's chroma: JPEG's 4:2:2 subsampling is undone on decoding
    // (PS3.5 8.2.1), so YBR_FULL_422 comes back as full-resolution YBR_FULL.
    if (decoded.photometric == "YBR_FULL_422") decoded.photometric = "YBR_FULL";
    // The decoder writes the Planar Configuration of what it returns (RLE: 1, JPEG: 0).
    decoded.planar = integer(ds, DCM_PlanarConfiguration, 0) == 1;
    detail::frameToRgb(raw, decoded, h.format.columns, palette ? &*palette : nullptr, target,
                       where);
  }
}

std::string formatMm(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

ImageGeometry planarGeometry(const ImageHeader& first, std::int64_t frames,
                             std::vector<std::string>& assumptions) {
  ImageGeometry g;
  g.size = {first.format.columns, first.format.rows, frames};
  if (first.spacing) {
    g.spacing_mm = Vec3((*first.spacing)[1], (*first.spacing)[0], 1.0);
    if (first.spacingSource.starts_with("Imager")) {
      assumptions.push_back("Pixel size " + formatMm((*first.spacing)[1]) + " x " +
                            formatMm((*first.spacing)[0]) + " mm is " + first.spacingSource +
                            ", measured at the detector: distances in the patient are smaller by "
                            "the projection's magnification.");
    } else if (first.spacingSource.starts_with("Nominal")) {
      assumptions.push_back("Pixel size " + formatMm((*first.spacing)[1]) + " x " +
                            formatMm((*first.spacing)[0]) + " mm is " + first.spacingSource +
                            " of a digitised film.");
    }
  } else {
    assumptions.push_back(
        "The image has no pixel spacing: one pixel is shown as 1 mm, so "
        "measurements are in pixels, not millimetres.");
  }
  const std::string modality =
      first.info.modality.empty() ? std::string("no modality") : first.info.modality;
  assumptions.push_back(
      first.placed
          ? "These images (" + modality +
                ") are shown as 2D frames in their stored order; their positions in the patient "
                "are not used, because they do not form one volume (NIfTI export, "
                "segmentation and simulation need one)."
          : "This is a 2D image without a patient plane (" + modality +
                "): it is shown as an image, and cannot be used where a patient-space volume is "
                "needed (NIfTI export, segmentation, simulation).");
  if (frames > 1) {
    assumptions.push_back(std::to_string(frames) +
                          " frames are stacked 1 mm apart for viewing; that distance has no "
                          "meaning in the patient.");
  }
  return g;
}

std::vector<ImageHeader> readHeadersInOrder(const std::vector<fs::path>& files,
                                            Progress& progress) {
  std::vector<ImageHeader> headers;
  for (std::size_t i = 0; i < files.size(); ++i) {
    progress.check();
    headers.push_back(readHeader(files[i]));
    progress.report(0.1 * static_cast<double>(i + 1) / static_cast<double>(files.size()),
                    "Reading headers");
  }
  std::stable_sort(headers.begin(), headers.end(), [](const ImageHeader& a, const ImageHeader& b) {
    return a.instanceNumber < b.instanceNumber;
  });
  return headers;
}

// Keeps the images that match the first one's size and colour; says which were left out.
std::vector<ImageHeader> matchingFirst(std::vector<ImageHeader> headers,
                                       std::vector<std::string>& assumptions) {
  // Copies, not a reference: the first header is moved into `kept` below.
  const int rows = headers.front().format.rows, columns = headers.front().format.columns;
  const bool colour = headers.front().colour();
  std::vector<ImageHeader> kept;
  std::size_t dropped = 0;
  for (ImageHeader& h : headers) {
    if (h.format.rows == rows && h.format.columns == columns && h.colour() == colour) {
      kept.push_back(std::move(h));
    } else {
      ++dropped;
    }
  }
  if (dropped > 0) {
    assumptions.push_back(std::to_string(dropped) +
                          " image(s) of another size or colour model "
                          "than the first (" +
                          std::to_string(columns) + "x" + std::to_string(rows) +
                          (colour ? ", colour" : ", greyscale") + ") were left out.");
  }
  return kept;
}

}  // namespace

ImageVolume loadImage2D(const std::vector<fs::path>& files, Progress& progress) {
  if (files.empty()) {
    throw Error(ErrorKind::InvalidInput, "No DICOM files were given to open as images.");
  }
  std::vector<std::string> assumptions;
  const std::vector<ImageHeader> images =
      matchingFirst(readHeadersInOrder(files, progress), assumptions);
  const ImageHeader& first = images.front();
  std::int64_t frames = 0;
  for (const ImageHeader& h : images) frames += h.frames;
  const ImageGeometry geometry = planarGeometry(first, frames, assumptions);
  const std::size_t pixels = static_cast<std::size_t>(first.format.rows) * first.format.columns;

  ImageVolume volume(geometry, first.colour() ? PixelType::Rgb8 : greyPixelType(first));
  std::size_t frameOffset = 0;
  detail::FrameDecoder greyDecoder;
  std::vector<double> values(pixels);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const ImageHeader& h = images[i];
    if (first.colour()) {
      auto rgb = volume.voxels<RgbColour>();
      decodeColourFile(h, rgb.subspan(frameOffset * pixels, pixels * h.frames), progress);
    } else {
      if (greyPixelType(h) != volume.pixelType() && volume.pixelType() != PixelType::Float32) {
        throw Error(ErrorKind::Unsupported,
                    h.file.string() +
                        " has another rescale than the first image of the series; "
                        "open it on its own.",
                    h.file.string());
      }
      detail::FileHeader file;
      file.file = h.file;
      file.format = h.format;
      file.frames = h.frames;
      for (int f = 0; f < h.frames; ++f) {
        progress.check();
        detail::FrameHeader frame;
        frame.fileIndex = i;
        frame.frameIndex = f;
        frame.rescaleSlope = h.slope;
        frame.rescaleIntercept = h.intercept;
        greyDecoder.decode(file, i, frame, values);
        storeGrey(volume, (frameOffset + static_cast<std::size_t>(f)) * pixels, values);
      }
    }
    frameOffset += static_cast<std::size_t>(h.frames);
    progress.report(0.1 + 0.9 * static_cast<double>(i + 1) / static_cast<double>(images.size()),
                    "Decoding images");
  }
  volume.dicom = first.info;
  // MONOCHROME1 (PS3.3 C.7.6.3.1.2: minimum shown white) is a display matter: the values and
  // the file's window stay as they are, the default display inverts the grey ramp.
  volume.dicom.displayInverted = first.format.monochrome1();
  if (first.paddingStored) {
    const double a =
        static_cast<double>(first.paddingStored->first) * first.slope + first.intercept;
    const double b =
        static_cast<double>(first.paddingStored->second) * first.slope + first.intercept;
    volume.paddingRange = std::pair{std::min(a, b), std::max(a, b)};
  }
  volume.name = first.info.modality.empty() ? "Image" : first.info.modality;
  volume.planar2D = true;
  volume.assumptions = std::move(assumptions);
  return volume;
}

namespace {
std::vector<fs::path> seriesFiles(const DicomSeries& series) {
  std::vector<fs::path> files;
  for (const DicomInstance& instance : series.instances) {
    if (instance.rows <= 0 || instance.columns <= 0) continue;
    if (std::find(files.begin(), files.end(), instance.file) == files.end())
      files.push_back(instance.file);
  }
  return files;
}
}  // namespace

ImageVolume loadImage2D(const DicomSeries& series, Progress& progress) {
  const std::vector<fs::path> files = seriesFiles(series);
  if (files.empty()) {
    throw Error(ErrorKind::Unsupported,
                "Series \"" + series.description + "\" has no images to show (" +
                    toString(series.kind) + (series.kindReason.empty() ? "" : ": ") +
                    series.kindReason + ").",
                series.seriesInstanceUid);
  }
  return loadImage2D(files, progress);
}

bool hasViewableImages(const DicomSeries& series) { return !seriesFiles(series).empty(); }

ImageVolume loadForViewing(const DicomSeries& series, Progress& progress) {
  return loadForViewing(series, VolumeLoadOptions{}, progress);
}

ImageVolume loadForViewing(const DicomSeries& series, const VolumeLoadOptions& options,
                           Progress& progress) {
  const std::vector<fs::path> files = seriesFiles(series);
  if (series.kind == SeriesKind::Volume && !files.empty()) {
    bool colour = false;
    try {
      colour = readHeader(files.front()).colour();
    } catch (const Error&) {
      // A header this reader cannot take (e.g. a bare data set): the volume loader, which
      // reads more kinds of damaged files, decides and says why if it cannot.
    }
    if (!colour) return loadVolume(series, options, progress);
  }
  return loadImage2D(series, progress);
}

}  // namespace twinplan::io
