// Stacks the slices or frames of one DICOM series into an ImageVolume (dicom_volume.h).
//
// Two passes: the headers of every file are read (without pixel data) to plan the grid, then
// the frames are decoded one at a time, in slice order, straight into the volume's buffer.
// At most one file's data set is held in memory at any time.
#include "twinplan/io/dicom_volume.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvrat.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <tbb/enumerable_thread_specific.h>

#include <Eigen/Geometry>
#include <Eigen/SVD>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <iomanip>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "dicom_attributes.h"
#include "dicom_codecs.h"
#include "dicom_scan_header.h"
#include "parallel_blocks.h"
#include "volume_frames.h"

namespace twinplan::io {
namespace {

using detail::integer;
using detail::number;
using detail::readDicomInfo;
using detail::text;

using detail::FileHeader;
using detail::FrameHeader;

// Tolerances, in mm unless stated. DS values carry ~6 significant digits.
constexpr double kSamePosition_mm = 0.01;  // two slices closer than this are duplicates
constexpr double kTiltShift_mm = 0.05;     // in-plane drift of positions beyond this is a tilt
constexpr double kOrientationTol = 1e-3;   // direction cosines
// Image Orientation (Patient) (PS3.3 C.7.6.2.1.1) must hold two orthogonal unit vectors.
// Below kCosineNoise (norm error, and cosine of the angle between row and column) the
// deviation is rounding: DS holds at most 16 characters (PS3.5 6.2) and vendors write 5 or
// 6 decimals (error <= 5e-6 per component); 1e-4 rad moves a voxel centre 0.05 mm at
// 500 mm from the origin. It is corrected silently. Beyond kCosineNormLimit (1 %) or
// kOffOrthogonalLimit_deg the file is damaged: 1 degree tilts the edge of a 500 mm field of
// view by 4 mm, far more than any rounding can explain, so it is refused.
constexpr double kCosineNoise = 1e-4;
constexpr double kCosineNormLimit = 0.01;
constexpr double kOffOrthogonalLimit_deg = 1.0;
constexpr double kSpacingRelTol = 0.01;  // 1% of the slice step
constexpr double kSpacingAbsTol_mm = 0.01;
// Files (or slices) handed to the worker threads at a time; progress and cancel are checked
// between blocks.
constexpr std::size_t kFilesPerBlock = 32;

template <std::size_t N>
std::optional<std::array<double, N>> numbers(DcmItem& item, const DcmTagKey& tag) {
  std::array<double, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    auto v = number(item, tag, i);
    if (!v) return std::nullopt;
    out[i] = *v;
  }
  return out;
}

// An IS value (DCMTK reads IS as Sint32, not Float64); nullopt when absent or unreadable.
std::optional<double> integerValue(DcmItem& item, const DcmTagKey& tag) {
  Sint32 v = 0;
  if (item.findAndGetSint32(tag, v).bad()) return std::nullopt;
  return v;
}

std::string formatMm(double v) {
  std::ostringstream s;
  s << std::setprecision(4) << v;
  return s.str();
}

// First item of a functional group macro: per-frame first, then shared (PS3.3 C.7.6.16).
DcmItem* functionalGroup(DcmItem* perFrame, DcmItem* shared, const DcmTagKey& sequence) {
  DcmItem* item = nullptr;
  if (perFrame && perFrame->findAndGetSequenceItem(sequence, item, 0).good() && item) return item;
  item = nullptr;
  if (shared && shared->findAndGetSequenceItem(sequence, item, 0).good() && item) return item;
  return nullptr;
}


struct HeaderPass {
  std::vector<FileHeader> files;
  std::vector<FrameHeader> frames;
  DicomInfo info;
  std::vector<std::string> notes;  // assumptions found while reading headers
};

// Uncompressed pixel data cannot be larger than its file. Checked before any voxel buffer is
// allocated: a few-kilobyte file claiming 65535 x 65535 pixels and thousands of frames
// (found by fuzzing) must be refused, not cost gigabytes of memory first.
void requirePixelBytesInFile(const FileHeader& file) {
  const DcmXfer xfer(file.transferSyntaxUid.c_str());
  // Compressed frames (and deflated data sets) can be far smaller than their pixels, but not
  // without bound: even a blank 512x512 slice needs a few hundred bytes of JPEG-LS or RLE. 65536:1
  // is beyond any real image and still stops a tiny file from claiming gigabytes.
  const bool compressed = xfer.isEncapsulated() || xfer.getStreamCompression() != ESC_none;
  const std::uintmax_t expansion = compressed ? 65536 : 1;
  const std::uintmax_t needed = static_cast<std::uintmax_t>(file.format.rows) *
                                static_cast<std::uintmax_t>(file.format.columns) *
                                static_cast<std::uintmax_t>(file.format.samplesPerPixel) *
                                static_cast<std::uintmax_t>(file.frames) *
                                static_cast<std::uintmax_t>(file.format.bitsAllocated) / 8;
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file.file, ec);
  if (!ec && needed > size * expansion) {
    throw Error(ErrorKind::Corrupt,
                file.file.string() + " declares " + std::to_string(file.format.columns) + "x" +
                    std::to_string(file.format.rows) + " pixels in " + std::to_string(file.frames) +
                    " frame(s) (" + std::to_string(needed) + " bytes) but the file has only " +
                    std::to_string(size) + " bytes: it is truncated or damaged.",
                file.file.string());
  }
}

// Reads one file's headers (stops before Pixel Data) and appends its frames.
void readHeaders(const std::filesystem::path& path, std::size_t fileIndex, HeaderPass& pass) {
  const std::string where = path.string();
  if (!std::filesystem::is_regular_file(path)) {
    throw Error(ErrorKind::NotFound, "The DICOM file " + where + " does not exist.", where);
  }
  // The scan's check of the first bytes: DCMTK parses some non-DICOM starts from a wrong
  // offset and resynchronises, which would give a garbled header (malformed/no_meta.dcm).
  const detail::FileStart start = detail::inspectFileStart(path);
  if (start.kind == detail::FileStart::Kind::Unreadable) {
    throw Error(ErrorKind::Io, where + ": " + start.whyNot, where);
  }
  if (start.kind == detail::FileStart::Kind::NotDicom) {
    throw Error(ErrorKind::InvalidInput, where + ": " + start.whyNot, where);
  }
  DcmFileFormat format;
  FileHeader file;
  OFCondition status = format.loadFileUntilTag(path.c_str(), EXS_Unknown, EGL_noChange,
                                               DCM_MaxReadLength, ERM_autoDetect, DCM_PixelData);
  if (status.bad()) {
    // No preamble / meta header: try a bare data set in each little/big endian syntax.
    for (E_TransferSyntax xfer :
         {EXS_LittleEndianExplicit, EXS_LittleEndianImplicit, EXS_BigEndianExplicit}) {
      DcmFileFormat retry;
      if (retry
              .loadFileUntilTag(path.c_str(), xfer, EGL_noChange, DCM_MaxReadLength, ERM_dataset,
                                DCM_PixelData)
              .good() &&
          retry.getDataset()->tagExists(DCM_Rows)) {
        format = retry;
        file.readXfer = xfer;
        file.bareDataset = true;
        pass.notes.push_back(path.filename().string() +
                             " has no DICOM file meta header; it was read as a bare data set "
                             "in " +
                             DcmXfer(xfer).getXferName() + ".");
        status = EC_Normal;
        break;
      }
    }
  }
  if (status.bad()) {
    throw Error(ErrorKind::Corrupt,
                "The DICOM header of " + where + " cannot be read (" + status.text() +
                    "); the file is damaged or not DICOM.",
                where);
  }
  DcmDataset& ds = *format.getDataset();
  file.file = path;
  file.transferSyntaxUid =
      DcmXfer(file.bareDataset ? file.readXfer : ds.getOriginalXfer()).getXferID();
  file.sopClassUid = text(ds, DCM_SOPClassUID);
  file.modality = text(ds, DCM_Modality);
  file.units = text(ds, DCM_Units);
  file.doseUnits = text(ds, DCM_DoseUnits);
  file.suvType = text(ds, DCM_SUVType);
  if (file.modality == "PT") file.pet = detail::readPetSuvHeader(ds);
  auto& f = file.format;
  f.rows = integer(ds, DCM_Rows, 0);
  f.columns = integer(ds, DCM_Columns, 0);
  f.bitsAllocated = integer(ds, DCM_BitsAllocated, 16);
  f.bitsStored = integer(ds, DCM_BitsStored, f.bitsAllocated);
  f.highBit = integer(ds, DCM_HighBit, f.bitsStored - 1);
  f.isSigned = integer(ds, DCM_PixelRepresentation, 0) == 1;
  f.samplesPerPixel = integer(ds, DCM_SamplesPerPixel, 1);
  f.photometric = text(ds, DCM_PhotometricInterpretation);
  if (f.photometric.empty()) f.photometric = "MONOCHROME2";
  if (f.rows <= 0 || f.columns <= 0) {
    throw Error(ErrorKind::InvalidInput, where + " is not an image (no Rows/Columns).", where);
  }
  if (f.samplesPerPixel != 1 ||
      (f.photometric != "MONOCHROME1" && f.photometric != "MONOCHROME2")) {
    throw Error(ErrorKind::Unsupported,
                where + " is a colour image (" + f.photometric + ", " +
                    std::to_string(f.samplesPerPixel) +
                    " samples per pixel); only greyscale images can be stacked into a volume.",
                where);
  }
  if (f.bitsStored < 1 || f.bitsStored > 32 || f.bitsStored > f.bitsAllocated ||
      f.highBit < f.bitsStored - 1 || f.highBit >= f.bitsAllocated) {
    throw Error(ErrorKind::Corrupt,
                where + " has inconsistent Bits Allocated/Stored/High Bit (" +
                    std::to_string(f.bitsAllocated) + "/" + std::to_string(f.bitsStored) + "/" +
                    std::to_string(f.highBit) + ").",
                where);
  }
  if (const std::string framesText = text(ds, DCM_NumberOfFrames); !framesText.empty()) {
    // IS is a whole number (PS3.5 6.2). DCMTK's own parse stops at the first bad character,
    // so "1A" (malformed/badVR.dcm, whose Pixel Data holds 15 frames) read as 1 frame.
    const std::string_view digits =
        framesText.front() == '+' ? std::string_view(framesText).substr(1) : framesText;
    int frames = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), frames);
    if (error != std::errc() || end != digits.data() + digits.size() || frames < 1) {
      throw Error(ErrorKind::Corrupt,
                  where + " has an invalid Number of Frames (0028,0008) '" + framesText +
                      "', so its frames cannot be counted; the file is damaged.",
                  where);
    }
    file.frames = frames;
  }
  if (auto lut = detail::readModalityLut(ds, f.isSigned, where)) {
    file.modalityLut = std::make_shared<const detail::ModalityLut>(std::move(*lut));
    if (ds.tagExists(DCM_RescaleSlope) || ds.tagExists(DCM_RescaleIntercept)) {
      // PS3.3 C.11.1: one or the other, never both. The table is the more specific of the two.
      pass.notes.push_back(path.filename().string() +
                           " has both a Modality LUT and Rescale Slope/Intercept; the Modality "
                           "LUT was applied.");
    }
  }
  file.paddingStored = detail::readPixelPadding(ds, f.isSigned);
  file.sliceThickness_mm = number(ds, DCM_SliceThickness).value_or(0.0);
  file.spacingBetweenSlices_mm = number(ds, DCM_SpacingBetweenSlices).value_or(0.0);

  if (fileIndex == 0) {
    if (ds.convertToUTF8().bad()) {
      pass.notes.push_back("The character set of " + where +
                           " could not be converted to UTF-8; names are shown as stored.");
    }
    pass.info = readDicomInfo(ds);
  }

  const int instanceNumber = integer(ds, DCM_InstanceNumber, 0);
  DcmSequenceOfItems* perFrameSeq = nullptr;
  ds.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrameSeq);
  DcmItem* shared = nullptr;
  if (ds.findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0).bad())
    shared = nullptr;
  file.enhanced = perFrameSeq != nullptr;

  // Which dimension index values are the position within a stack (PS3.3 C.7.6.17).
  std::vector<bool> positionDimension;
  if (DcmSequenceOfItems* dims = nullptr;
      ds.findAndGetSequence(DCM_DimensionIndexSequence, dims).good() && dims) {
    for (unsigned long i = 0; i < dims->card(); ++i) {
      DcmTagKey pointer;
      DcmElement* at = nullptr;
      if (dims->getItem(i)->findAndGetElement(DCM_DimensionIndexPointer, at).good() && at &&
          at->ident() == EVR_AT) {
        static_cast<DcmAttributeTag*>(at)->getTagVal(pointer, 0);
      }
      positionDimension.push_back(pointer == DCM_InStackPositionNumber ||
                                  pointer == DCM_ImagePositionPatient);
    }
  }

  auto classicRescale = [&](FrameHeader& fr) {
    fr.rescaleSlope = number(ds, DCM_RescaleSlope).value_or(1.0);
    fr.rescaleIntercept = number(ds, DCM_RescaleIntercept).value_or(0.0);
    if (fr.rescaleSlope == 0.0) fr.rescaleSlope = 1.0;
    fr.rescaleType = text(ds, DCM_RescaleType);
    fr.realWorld = detail::readRealWorldMapping(ds);
    // RT Dose: stored value * Dose Grid Scaling = dose in Dose Units (PS3.3 C.8.8.3).
    if (file.modality == "RTDOSE") {
      if (auto scaling = number(ds, DCM_DoseGridScaling); scaling && *scaling > 0) {
        fr.rescaleSlope = *scaling;
      }
    }
  };

  if (file.enhanced) {
    if (static_cast<int>(perFrameSeq->card()) < file.frames) {
      throw Error(ErrorKind::Corrupt,
                  where + " has " + std::to_string(file.frames) + " frames but only " +
                      std::to_string(perFrameSeq->card()) + " per-frame functional group items.",
                  where);
    }
    for (int k = 0; k < file.frames; ++k) {
      DcmItem* perFrame = perFrameSeq->getItem(static_cast<unsigned long>(k));
      FrameHeader fr;
      fr.fileIndex = fileIndex;
      fr.frameIndex = k;
      fr.instanceNumber = instanceNumber;
      DcmItem* position = functionalGroup(perFrame, shared, DCM_PlanePositionSequence);
      DcmItem* orientation = functionalGroup(perFrame, shared, DCM_PlaneOrientationSequence);
      auto ipp = position ? numbers<3>(*position, DCM_ImagePositionPatient) : std::nullopt;
      auto iop = orientation ? numbers<6>(*orientation, DCM_ImageOrientationPatient) : std::nullopt;
      if (!ipp || !iop) {
        throw Error(ErrorKind::Unsupported,
                    "Frame " + std::to_string(k + 1) + " of " + where +
                        " has no Plane Position / Plane Orientation functional group, so it "
                        "cannot be placed in patient space; this enhanced image cannot be "
                        "loaded as a volume.",
                    where);
      }
      fr.position_lps = Vec3((*ipp)[0], (*ipp)[1], (*ipp)[2]);
      fr.orientation = *iop;
      if (DcmItem* measures = functionalGroup(perFrame, shared, DCM_PixelMeasuresSequence)) {
        if (auto ps = numbers<2>(*measures, DCM_PixelSpacing)) {
          fr.pixelSpacing = *ps;
          fr.hasPixelSpacing = true;
        }
        if (file.sliceThickness_mm == 0.0) {
          file.sliceThickness_mm = number(*measures, DCM_SliceThickness).value_or(0.0);
        }
        if (file.spacingBetweenSlices_mm == 0.0) {
          file.spacingBetweenSlices_mm = number(*measures, DCM_SpacingBetweenSlices).value_or(0.0);
        }
      }
      if (DcmItem* pvt = functionalGroup(perFrame, shared, DCM_PixelValueTransformationSequence)) {
        fr.rescaleSlope = number(*pvt, DCM_RescaleSlope).value_or(1.0);
        fr.rescaleIntercept = number(*pvt, DCM_RescaleIntercept).value_or(0.0);
        if (fr.rescaleSlope == 0.0) fr.rescaleSlope = 1.0;
        fr.rescaleType = text(*pvt, DCM_RescaleType);
      } else {
        classicRescale(fr);
      }
      // Real World Value Mapping functional group (PS3.3 C.7.6.16.2.11): per-frame, else shared.
      if (auto rw = perFrame ? detail::readRealWorldMapping(*perFrame) : std::nullopt) {
        fr.realWorld = rw;
      } else if (shared) {
        if (auto sharedRw = detail::readRealWorldMapping(*shared)) fr.realWorld = sharedRw;
      }
      if (DcmItem* content = functionalGroup(perFrame, nullptr, DCM_FrameContentSequence)) {
        DcmElement* values = nullptr;
        if (content->findAndGetElement(DCM_DimensionIndexValues, values).good() && values) {
          for (unsigned long v = 0; v < values->getVM(); ++v) {
            Uint32 value = 0;
            values->getUint32(value, v);
            if (v < positionDimension.size() && positionDimension[v]) continue;
            fr.volumeKey.push_back(value);
          }
        }
      }
      if (k == 0 && fileIndex == 0) {
        if (DcmItem* voi = functionalGroup(perFrame, shared, DCM_FrameVOILUTSequence)) {
          pass.info.windowCenter = number(*voi, DCM_WindowCenter).value_or(pass.info.windowCenter);
          pass.info.windowWidth = number(*voi, DCM_WindowWidth).value_or(pass.info.windowWidth);
        }
      }
      pass.frames.push_back(std::move(fr));
    }
  } else {
    auto ipp = numbers<3>(ds, DCM_ImagePositionPatient);
    auto iop = numbers<6>(ds, DCM_ImageOrientationPatient);
    if ((!ipp || !iop) && file.frames > 1) {
      throw Error(ErrorKind::Unsupported,
                  where + " holds " + std::to_string(file.frames) +
                      " frames but no per-frame functional groups and no Image Position / "
                      "Orientation (Patient), so its frames cannot be placed in patient space; "
                      "it cannot be loaded as a volume.",
                  where);
    }
    if (!ipp || !iop) {
      throw Error(ErrorKind::InvalidInput,
                  where +
                      " has no Image Position / Image Orientation (Patient), so it cannot be "
                      "placed in a volume; it is probably a screenshot or a localizer.",
                  where);
    }
    FrameHeader base;
    base.fileIndex = fileIndex;
    base.instanceNumber = instanceNumber;
    base.orientation = *iop;
    if (auto ps = numbers<2>(ds, DCM_PixelSpacing)) {
      base.pixelSpacing = *ps;
      base.hasPixelSpacing = true;
    }
    classicRescale(base);
    base.classicVolumeKey = {integerValue(ds, DCM_EchoNumbers),
                             integerValue(ds, DCM_TemporalPositionIdentifier),
                             number(ds, DCM_TriggerTime), number(ds, DCM_DiffusionBValue),
                             integerValue(ds, DCM_AcquisitionNumber)};
    const Vec3 origin((*ipp)[0], (*ipp)[1], (*ipp)[2]);
    if (file.frames == 1) {
      base.position_lps = origin;
      pass.frames.push_back(base);
    } else {
      // Classic multi-frame (RT Dose, NM ...): frames are offset along the normal.
      DcmElement* offsets = nullptr;
      if (ds.findAndGetElement(DCM_GridFrameOffsetVector, offsets).bad() || !offsets ||
          static_cast<int>(offsets->getVM()) < file.frames) {
        throw Error(ErrorKind::Unsupported,
                    where + " holds " + std::to_string(file.frames) +
                        " frames without per-frame positions (no functional groups or Grid "
                        "Frame Offset Vector); its frames cannot be placed in space.",
                    where);
      }
      const Vec3 r(base.orientation[0], base.orientation[1], base.orientation[2]);
      const Vec3 c(base.orientation[3], base.orientation[4], base.orientation[5]);
      const Vec3 n = r.cross(c).normalized();
      // Offsets are relative to the first frame when the first is 0; otherwise they are
      // absolute positions along the normal whose first value is the first frame's. Either
      // way frame k lies (offset_k - offset_0) from Image Position (PS3.3 C.8.8.3.2).
      Float64 first = 0;
      offsets->getFloat64(first, 0);
      for (int k = 0; k < file.frames; ++k) {
        Float64 offset = 0;
        offsets->getFloat64(offset, static_cast<unsigned long>(k));
        FrameHeader fr = base;
        fr.frameIndex = k;
        fr.position_lps = origin + (offset - first) * n;
        pass.frames.push_back(fr);
      }
    }
  }
  requirePixelBytesInFile(file);
  pass.files.push_back(std::move(file));
}

// The plan of the output grid: which source frames, in which order, and where output slices lie.
struct StackPlan {
  std::vector<const FrameHeader*> slices;  // sorted along the normal, duplicates removed
  std::vector<Vec3> inPlaneShift_mm;       // per source slice: (row, column, 0) offset
  std::vector<double> outputAlong_mm;      // per output slice, relative to slices[0]
  bool tilted = false, resampled = false;
  ImageGeometry geometry;
};

// The header pass over every file, in parallel (detail::forEachInBlocks): each file is read
// into its own HeaderPass, and these are joined in file order, so the result is the same as
// reading the files one after the other.
HeaderPass readAllHeaders(const std::vector<std::filesystem::path>& files, Progress& progress) {
  std::vector<HeaderPass> perFile(files.size());
  auto readOne = [&](std::size_t i) {
    try {
      readHeaders(files[i], i, perFile[i]);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      // DCMTK 3.6.7 throws std::out_of_range on some damaged elements (found by fuzzing).
      throw Error(ErrorKind::Corrupt,
                  "The DICOM file " + files[i].string() + " is damaged (DCMTK: " + e.what() + ").",
                  files[i].string());
    }
  };
  HeaderPass pass;
  auto join = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      progress.check();  // per file, as before: no report follows a cancel
      HeaderPass& one = perFile[i];
      if (i == 0) pass.info = std::move(one.info);
      std::move(one.files.begin(), one.files.end(), std::back_inserter(pass.files));
      std::move(one.frames.begin(), one.frames.end(), std::back_inserter(pass.frames));
      std::move(one.notes.begin(), one.notes.end(), std::back_inserter(pass.notes));
      one = HeaderPass();
      progress.report(0.1 * static_cast<double>(i + 1) / static_cast<double>(files.size()),
                      "Reading DICOM headers");
    }
  };
  detail::forEachInBlocks(files.size(), kFilesPerBlock, progress, readOne, join);
  return pass;
}

// Image Orientation (Patient) -> the nearest orthonormal (row, column) pair. Each vector is
// normalised, then the pair is replaced by the polar factor U V^T of its thin SVD, the
// closest orthonormal pair in the Frobenius norm (Higham, "Computing the polar decomposition",
// SIAM J. Sci. Stat. Comput. 7(4), 1986). For two unit vectors this turns row and column by
// half the deviation each, within their own plane: the slice normal, and so the slice order,
// stay exactly as written. Gram-Schmidt would put the whole error on the column, and neither
// vector is more trustworthy than the other.
std::pair<Vec3, Vec3> orthonormalCosines(const std::array<double, 6>& iop,
                                         const std::filesystem::path& file,
                                         std::vector<std::string>& assumptions) {
  const Vec3 row(iop[0], iop[1], iop[2]), column(iop[3], iop[4], iop[5]);
  const double normError = std::max(std::abs(row.norm() - 1.0), std::abs(column.norm() - 1.0));
  const bool finite = row.allFinite() && column.allFinite();
  const double cosine = finite && row.norm() > 0 && column.norm() > 0
                            ? row.normalized().dot(column.normalized())
                            : 1.0;
  const double offOrthogonal_deg =
      std::abs(std::asin(std::clamp(cosine, -1.0, 1.0))) * 180.0 / M_PI;
  const std::string figures = "its row and column vectors are " + formatMm(offOrthogonal_deg) +
                              " degrees off perpendicular and their "
                              "lengths differ from 1 by up to " +
                              formatMm(100.0 * normError) + " %";
  if (!finite || normError > kCosineNormLimit || offOrthogonal_deg > kOffOrthogonalLimit_deg) {
    throw Error(ErrorKind::Corrupt,
                "Image Orientation (Patient) (0020,0037) of " + file.string() +
                    " is not two perpendicular unit vectors: " + figures + " (limits " +
                    formatMm(kOffOrthogonalLimit_deg) + " degree and " +
                    formatMm(100.0 * kCosineNormLimit) +
                    " %). The header is damaged; export the series again from the source.",
                file.string());
  }
  Eigen::Matrix<double, 3, 2> pair;
  pair.col(0) = row.normalized();
  pair.col(1) = column.normalized();
  const Eigen::JacobiSVD<Eigen::Matrix<double, 3, 2>> svd(
      pair, Eigen::ComputeFullU | Eigen::ComputeFullV);
  const Eigen::Matrix<double, 3, 2> orthonormal =
      svd.matrixU().leftCols<2>() * svd.matrixV().transpose();
  if (normError > kCosineNoise || std::abs(cosine) > kCosineNoise) {
    assumptions.push_back("Image Orientation (Patient) is not orthonormal: " + figures +
                          ". Both were made unit length and turned by half the deviation each "
                          "(nearest orthonormal pair); the slice normal is unchanged.");
  }
  return {orthonormal.col(0), orthonormal.col(1)};
}

void requireVolumeIndex(std::size_t asked, std::size_t count, const std::string& series) {
  if (asked < count) return;
  throw Error(ErrorKind::InvalidInput,
              "Volume " + std::to_string(asked) + " was asked for, but the files hold " +
                  std::to_string(count) + " volume(s); choose 0 to " + std::to_string(count - 1) +
                  ".",
              series);
}

// Whether two of the frames lie at the same position (a sort along each axis would be
// faster; series with several volumes have at most a few thousand frames).
bool sharePositions(const std::vector<FrameHeader*>& frames) {
  for (std::size_t a = 0; a < frames.size(); ++a)
    for (std::size_t b = a + 1; b < frames.size(); ++b)
      if ((frames[a]->position_lps - frames[b]->position_lps).norm() <= kSamePosition_mm)
        return true;
  return false;
}

using ClassicKey = std::array<std::optional<double>, detail::kClassicVolumeAttributes.size()>;

// The key of `frame` restricted to the attributes in `mask` (bit a: attribute a).
ClassicKey maskedKey(const FrameHeader& frame, unsigned mask) {
  ClassicKey key{};
  for (std::size_t a = 0; a < key.size(); ++a)
    if (mask & (1u << a)) key[a] = frame.classicVolumeKey[a];
  return key;
}

std::string describeKey(const ClassicKey& key, unsigned mask) {
  std::string out;
  for (std::size_t a = 0; a < key.size(); ++a) {
    if (!(mask & (1u << a))) continue;
    std::ostringstream value;
    value << std::setprecision(8);
    if (key[a])
      value << *key[a] << detail::kClassicVolumeAttributes[a].unit;
    else
      value << "absent";
    out += (out.empty() ? "" : ", ") + std::string(detail::kClassicVolumeAttributes[a].name) + " " +
           value.str();
  }
  return out;
}

// Classic slices that share positions hold several volumes (echoes, cardiac phases, b-values,
// acquisitions): they are never stacked together. Of the attributes that differ, the
// grouping with the fewest volumes in which no two slices share a position is taken (fewest,
// so that a trigger time that also varies from slice to slice within a phase does not split
// every slice off); volume `asked` of them, in ascending order of the attribute values, is
// returned. Slices that share positions without any such attribute differing are duplicates
// (planStack keeps one); when the attributes differ but no grouping separates the slices,
// the series is refused: the volumes cannot be told apart.
std::vector<FrameHeader*> chooseClassicVolume(const HeaderPass& pass,
                                              const std::vector<FrameHeader*>& frames,
                                              std::size_t asked,
                                              std::vector<std::string>& assumptions) {
  unsigned differing = 0;
  for (std::size_t a = 0; a < detail::kClassicVolumeAttributes.size(); ++a)
    for (const FrameHeader* f : frames)
      if (f->classicVolumeKey[a] != frames.front()->classicVolumeKey[a]) differing |= 1u << a;
  if (differing == 0 || !sharePositions(frames)) {
    requireVolumeIndex(asked, 1, pass.info.seriesInstanceUid);
    return frames;
  }
  std::optional<std::map<ClassicKey, std::vector<FrameHeader*>>> best;
  unsigned bestMask = 0;
  for (unsigned mask = 1; mask <= differing; ++mask) {
    if ((mask & ~differing) != 0) continue;
    std::map<ClassicKey, std::vector<FrameHeader*>> groups;
    for (FrameHeader* f : frames) groups[maskedKey(*f, mask)].push_back(f);
    const bool separated = std::none_of(groups.begin(), groups.end(),
                                        [](const auto& g) { return sharePositions(g.second); });
    if (separated && (!best || groups.size() < best->size())) {
      best = std::move(groups);
      bestMask = mask;
    }
  }
  std::string names;
  for (std::size_t a = 0; a < detail::kClassicVolumeAttributes.size(); ++a)
    if (differing & (1u << a))
      names += (names.empty() ? "" : ", ") + std::string(detail::kClassicVolumeAttributes[a].name);
  if (!best) {
    throw Error(ErrorKind::Unsupported,
                "The series holds several slices at the same positions, and its " + names +
                    " values do not separate them into volumes with one slice per position (a "
                    "diffusion series with several gradient directions per b-value, or a "
                    "dynamic series without temporal positions); they cannot be stacked. "
                    "Split the series with the scanner's or PACS' tools first.",
                pass.info.seriesInstanceUid);
  }
  requireVolumeIndex(asked, best->size(), pass.info.seriesInstanceUid);
  const auto chosen = std::next(best->begin(), static_cast<std::ptrdiff_t>(asked));
  std::string all;
  for (const auto& [key, group] : *best)
    all += (all.empty() ? "" : "; ") + describeKey(key, bestMask);
  assumptions.push_back("The slices hold " + std::to_string(best->size()) +
                        " volumes at the same positions, told apart by " + names + " (" + all +
                        "); they were not mixed: volume " + std::to_string(asked) + " (" +
                        describeKey(chosen->first, bestMask) + ", " +
                        std::to_string(chosen->second.size()) +
                        " slices) was loaded, choose another with the volume option.");
  return chosen->second;
}

StackPlan planStack(const HeaderPass& pass, const std::vector<FrameHeader*>& frames,
                    const VolumeLoadOptions& options, std::vector<std::string>& assumptions) {
  const FrameHeader& first = *frames.front();
  const FileHeader& firstFile = pass.files[first.fileIndex];
  // Sizes.
  std::map<std::pair<int, int>, int> sizes;
  for (const FrameHeader* f : frames) {
    const auto& fmt = pass.files[f->fileIndex].format;
    ++sizes[{fmt.columns, fmt.rows}];
  }
  if (sizes.size() > 1) {
    std::string list;
    for (const auto& [size, count] : sizes) {
      list += (list.empty() ? "" : ", ") + std::to_string(size.first) + "x" +
              std::to_string(size.second) + " (" + std::to_string(count) + " slices)";
    }
    throw Error(ErrorKind::Unsupported,
                "The series has slices of " + std::to_string(sizes.size()) + " sizes: " + list +
                    ". Import each size as its own series.",
                pass.info.seriesInstanceUid);
  }
  // Orientation and pixel spacing. A zero, negative or non-finite spacing (found by fuzzing)
  // would divide by zero later; it is a damaged file, not something to stack.
  for (const FrameHeader* f : frames) {
    for (int a = 0; a < 2; ++a) {
      if (f->hasPixelSpacing && !(std::isfinite(f->pixelSpacing[a]) && f->pixelSpacing[a] > 0.0)) {
        throw Error(ErrorKind::Corrupt,
                    "Pixel Spacing (0028,0030) of " +
                        pass.files[f->fileIndex].file.filename().string() + " is " +
                        std::to_string(f->pixelSpacing[a]) +
                        ": a pixel spacing must be a positive number of millimetres.",
                    pass.info.seriesInstanceUid);
      }
    }
  }
  for (const FrameHeader* f : frames) {
    for (int a = 0; a < 6; ++a) {
      if (std::abs(f->orientation[a] - first.orientation[a]) > kOrientationTol) {
        throw Error(ErrorKind::Unsupported,
                    "The series mixes slice orientations (" +
                        pass.files[first.fileIndex].file.filename().string() + " and " +
                        pass.files[f->fileIndex].file.filename().string() +
                        " differ); it cannot be stacked into one volume. Import each "
                        "orientation as its own series.",
                    pass.info.seriesInstanceUid);
      }
    }
    for (int a = 0; a < 2; ++a) {
      if (std::abs(f->pixelSpacing[a] - first.pixelSpacing[a]) > 1e-4 * first.pixelSpacing[a]) {
        throw Error(ErrorKind::Unsupported,
                    "The series mixes pixel spacings (" + formatMm(first.pixelSpacing[a]) +
                        " and " + formatMm(f->pixelSpacing[a]) +
                        " mm); import each spacing as its own series.",
                    pass.info.seriesInstanceUid);
      }
    }
  }
  const auto [r, c] = orthonormalCosines(first.orientation, firstFile.file, assumptions);
  const Vec3 n = r.cross(c).normalized();

  // Sort along the normal (a strict order; file order breaks exact ties), then keep one slice
  // per position: slices closer than kSamePosition_mm to the first of a run are duplicates,
  // and the one with the lowest InstanceNumber stays.
  for (FrameHeader* f : frames) f->along_mm = n.dot(f->position_lps);
  std::vector<const FrameHeader*> sorted(frames.begin(), frames.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const FrameHeader* a, const FrameHeader* b) {
    return a->along_mm < b->along_mm;
  });
  StackPlan plan;
  std::size_t duplicates = 0;
  for (std::size_t runStart = 0; runStart < sorted.size();) {
    std::size_t runEnd = runStart + 1;
    const FrameHeader* kept = sorted[runStart];
    while (runEnd < sorted.size() &&
           sorted[runEnd]->along_mm - sorted[runStart]->along_mm <= kSamePosition_mm) {
      if (sorted[runEnd]->instanceNumber < kept->instanceNumber) kept = sorted[runEnd];
      ++runEnd;
    }
    duplicates += runEnd - runStart - 1;
    plan.slices.push_back(kept);
    runStart = runEnd;
  }
  if (duplicates > 0) {
    assumptions.push_back(std::to_string(duplicates) + " of " + std::to_string(sorted.size()) +
                          " slices lie at the same position as another slice; the one with the "
                          "lowest InstanceNumber was kept at each position, the others were "
                          "ignored.");
  }
  const std::size_t count = plan.slices.size();
  const FrameHeader& origin = *plan.slices.front();

  // In-plane drift of the slice positions (gantry tilt).
  double maxShift = 0.0;
  for (const FrameHeader* f : plan.slices) {
    const Vec3 d = f->position_lps - origin.position_lps;
    const Vec3 shift(d.dot(r), d.dot(c), 0.0);
    plan.inPlaneShift_mm.push_back(shift);
    maxShift = std::max(maxShift, shift.norm());
  }
  if (maxShift > kTiltShift_mm) {
    const double span = plan.slices.back()->along_mm - origin.along_mm;
    const double angle_deg = std::atan2(maxShift, span) * 180.0 / M_PI;
    if (!options.allowResampling) {
      throw Error(ErrorKind::Unsupported,
                  "The slice positions are not along the slice normal (gantry tilt of about " +
                      formatMm(angle_deg) +
                      " degrees); our volumes cannot be sheared. Allow resampling to load it on "
                      "an orthogonal grid.",
                  pass.info.seriesInstanceUid);
    }
    plan.tilted = true;
    assumptions.push_back("Gantry tilt of about " + formatMm(angle_deg) +
                          " degrees: each slice was shifted in its plane (bilinear "
                          "interpolation) onto the grid of the first slice, giving an orthogonal "
                          "volume; voxels shifted in from outside the acquired field of view are "
                          "filled with the slice's lowest value.");
  } else {
    for (auto& s : plan.inPlaneShift_mm) s.setZero();
  }

  // Slice spacing from positions.
  double spacing = 0.0;
  if (count == 1) {
    spacing = firstFile.spacingBetweenSlices_mm > 0 ? firstFile.spacingBetweenSlices_mm
                                                    : firstFile.sliceThickness_mm;
    if (!(spacing > 0)) spacing = 1.0;
    assumptions.push_back("Single slice: the slice spacing (" + formatMm(spacing) +
                          " mm) was taken from Spacing Between Slices / Slice Thickness.");
    plan.outputAlong_mm = {0.0};
  } else {
    std::vector<double> steps;
    for (std::size_t k = 1; k < count; ++k) {
      steps.push_back(plan.slices[k]->along_mm - plan.slices[k - 1]->along_mm);
    }
    std::vector<double> ordered = steps;
    std::nth_element(ordered.begin(), ordered.begin() + ordered.size() / 2, ordered.end());
    const double median = ordered[ordered.size() / 2];
    const double minStep = *std::min_element(steps.begin(), steps.end());
    const double maxStep = *std::max_element(steps.begin(), steps.end());
    const double tol = std::max(kSpacingAbsTol_mm, kSpacingRelTol * median);
    const double extent = plan.slices.back()->along_mm - origin.along_mm;
    if (maxStep - minStep <= tol) {
      spacing = extent / static_cast<double>(count - 1);
      for (std::size_t k = 0; k < count; ++k) {
        plan.outputAlong_mm.push_back(plan.slices[k]->along_mm - origin.along_mm);
      }
    } else {
      // Describe the irregularity: missing slices or uneven steps.
      std::size_t missing = 0;
      bool multiples = true;
      for (double s : steps) {
        const double ratio = s / minStep;
        if (std::abs(ratio - std::round(ratio)) * minStep > tol) multiples = false;
        missing += static_cast<std::size_t>(std::max(0.0, std::round(ratio) - 1.0));
      }
      std::string what = multiples
                             ? "has " + std::to_string(missing) + " missing slice(s) (gaps in a " +
                                   formatMm(minStep) + " mm stack)"
                             : "is not evenly spaced (steps from " + formatMm(minStep) + " to " +
                                   formatMm(maxStep) + " mm)";
      if (!options.allowResampling) {
        throw Error(ErrorKind::Unsupported,
                    "The series " + what +
                        "; allow resampling to load it on a uniform grid, or load a complete "
                        "series.",
                    pass.info.seriesInstanceUid);
      }
      const auto outCount = static_cast<std::size_t>(std::llround(extent / minStep)) + 1;
      if (outCount > 2 * count + 16) {
        throw Error(ErrorKind::Unsupported,
                    "The series " + what + "; a uniform grid at the smallest step would need " +
                        std::to_string(outCount) + " slices for " + std::to_string(count) +
                        " acquired ones, so it was not resampled. Check the series for "
                        "overlapping or stray slices.",
                    pass.info.seriesInstanceUid);
      }
      spacing = extent / static_cast<double>(outCount - 1);
      for (std::size_t k = 0; k < outCount; ++k) plan.outputAlong_mm.push_back(k * spacing);
      plan.resampled = true;
      assumptions.push_back("The series " + what + ": it was resampled onto a uniform grid of " +
                            std::to_string(outCount) + " slices " + formatMm(spacing) +
                            " mm apart by linear interpolation along the slice normal between "
                            "the nearest acquired slices (integer voxel values rounded).");
    }
  }
  if (!first.hasPixelSpacing) {
    assumptions.push_back("No Pixel Spacing: 1 mm pixels were assumed.");
  }

  ImageGeometry& g = plan.geometry;
  g.size = {firstFile.format.columns, firstFile.format.rows,
            static_cast<std::int64_t>(plan.outputAlong_mm.size())};
  g.origin_lps = origin.position_lps;
  // Pixel Spacing is (between rows, between columns): i runs along the row direction.
  g.spacing_mm = Vec3(first.pixelSpacing[1], first.pixelSpacing[0], spacing);
  g.direction.col(0) = r;
  g.direction.col(1) = c;
  g.direction.col(2) = n;  // k increases along the normal: right-handed
  return plan;
}

// Output voxel type (DESIGN.md section 2).
PixelType choosePixelType(const HeaderPass& pass, const std::vector<const FrameHeader*>& slices) {
  bool identity = true, integral = true, anySigned = false, anyUnsigned = false, anyLut = false;
  int bitsAllocated = 0;
  for (const FrameHeader* f : slices) {
    const auto& fmt = pass.files[f->fileIndex].format;
    anyLut = anyLut || pass.files[f->fileIndex].modalityLut != nullptr;
    identity = identity && f->rescaleSlope == 1.0 && f->rescaleIntercept == 0.0;
    integral = integral && f->rescaleSlope == std::round(f->rescaleSlope) &&
               f->rescaleIntercept == std::round(f->rescaleIntercept);
    (fmt.isSigned ? anySigned : anyUnsigned) = true;
    bitsAllocated = std::max(bitsAllocated, fmt.bitsAllocated);
  }
  if (pass.info.modality == "CT") return integral ? PixelType::Int16 : PixelType::Float32;
  // Modality LUT entries are unsigned 8/16-bit (PS3.3 C.11.1.1.1); a series mixing LUT and
  // rescaled slices takes float32 when a value does not fit (storeSlice promotes).
  if (anyLut) return identity ? PixelType::UInt16 : PixelType::Float32;
  if (!identity) return PixelType::Float32;
  if (anySigned && anyUnsigned) return PixelType::Float32;
  if (bitsAllocated <= 8) return anySigned ? PixelType::Int16 : PixelType::UInt8;
  if (bitsAllocated <= 16) return anySigned ? PixelType::Int16 : PixelType::UInt16;
  return anySigned ? PixelType::Int32 : PixelType::Float32;
}

// std::nearbyint in the default rounding mode (to nearest, ties to even), inlined: for
// |v| < 2^52, adding and subtracting 2^52 rounds away the fraction; larger values, infinities
// and NaN are returned as they are, as nearbyint does. libm's nearbyint is a call per voxel.
inline double roundHalfEven(double v) {
  constexpr double kTwo52 = 4503599627370496.0;
  const double magnitude = std::fabs(v);
  if (!(magnitude < kTwo52)) return v;
  return std::copysign((magnitude + kTwo52) - kTwo52, v);
}

// Writes one slice of values into the volume; false when a value does not fit the type exactly.
template <class T>
bool storeSlice(ImageVolume& volume, std::size_t offset, std::span<const double> values,
                bool round) {
  T* out = volume.voxels<T>().data() + offset;
  for (std::size_t n = 0; n < values.size(); ++n) {
    double v = values[n];
    if constexpr (std::is_integral_v<T>) {
      if (round) v = roundHalfEven(v);
      if (!(v >= static_cast<double>(std::numeric_limits<T>::lowest()) &&
            v <= static_cast<double>(std::numeric_limits<T>::max()) && v == roundHalfEven(v))) {
        return false;
      }
    }
    out[n] = static_cast<T>(v);
  }
  return true;
}

bool storeSlice(ImageVolume& volume, std::size_t offset, std::span<const double> values,
                bool round) {
  switch (volume.pixelType()) {
    case PixelType::UInt8:
      return storeSlice<std::uint8_t>(volume, offset, values, round);
    case PixelType::Int16:
      return storeSlice<std::int16_t>(volume, offset, values, round);
    case PixelType::UInt16:
      return storeSlice<std::uint16_t>(volume, offset, values, round);
    case PixelType::Int32:
      return storeSlice<std::int32_t>(volume, offset, values, round);
    case PixelType::Float32:
      return storeSlice<float>(volume, offset, values, round);
    case PixelType::Rgb8:  // never chosen: colour images are refused by readHeaders
      break;
  }
  return false;
}

// Decodes one frame straight into output slice `offset` of an integer volume; false when a
// value does not fit the volume's type (the slice then holds unspecified values).
bool decodeIntegerSlice(detail::FrameDecoder& decoder, const FileHeader& file,
                        const FrameHeader& frame, ImageVolume& volume, std::size_t offset) {
  const std::size_t pixels =
      static_cast<std::size_t>(file.format.rows) * static_cast<std::size_t>(file.format.columns);
  auto into = [&]<class T>(std::span<T> voxels) {
    return decoder.decodeInteger<T>(file, frame.fileIndex, frame, voxels.subspan(offset, pixels));
  };
  switch (volume.pixelType()) {
    case PixelType::UInt8:
      return into(volume.voxels<std::uint8_t>());
    case PixelType::Int16:
      return into(volume.voxels<std::int16_t>());
    case PixelType::UInt16:
      return into(volume.voxels<std::uint16_t>());
    case PixelType::Int32:
      return into(volume.voxels<std::int32_t>());
    case PixelType::Float32:
    case PixelType::Rgb8:
      break;
  }
  return false;
}

// The integer fast path on worker threads, for the common series of one frame per file
// (each thread decodes whole files with its own FrameDecoder, so no file is read twice).
// Returns false, with nothing promised about the voxels, when it does not apply or a value
// does not fit the volume's type; the sequential loop then decodes every slice.
bool decodeSingleFrameFilesInParallel(const HeaderPass& pass, const StackPlan& plan,
                                      ImageVolume& volume, Progress& progress) {
  if (volume.pixelType() == PixelType::Float32) return false;
  for (const FrameHeader* frame : plan.slices) {
    const FileHeader& file = pass.files[frame->fileIndex];
    if (file.frames != 1 || !detail::integerRescale(file, *frame)) return false;
  }
  const std::size_t count = plan.slices.size();
  const std::size_t pixels = static_cast<std::size_t>(plan.geometry.size[0]) *
                             static_cast<std::size_t>(plan.geometry.size[1]);
  volume.bytes();  // own the buffer before threads write into it
  tbb::enumerable_thread_specific<detail::FrameDecoder> decoders;
  std::vector<char> fits(count, 0);
  auto decodeOne = [&](std::size_t k) {
    const FrameHeader& frame = *plan.slices[k];
    fits[k] = decodeIntegerSlice(decoders.local(), pass.files[frame.fileIndex], frame, volume,
                                 k * pixels);
  };
  auto report = [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
      progress.check();
      progress.report(0.1 + 0.9 * static_cast<double>(k + 1) / static_cast<double>(count),
                      "Decoding slices");
    }
  };
  detail::forEachInBlocks(count, kFilesPerBlock, progress, decodeOne, report);
  return std::all_of(fits.begin(), fits.end(), [](char fit) { return fit != 0; });
}

ImageVolume promoteToFloat(const ImageVolume& volume) {
  ImageVolume out(volume.geometry(), PixelType::Float32);
  auto dst = out.voxels<float>();
  const auto& g = volume.geometry();
  std::size_t n = 0;
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        dst[n++] = static_cast<float>(volume.valueAt(i, j, k));
  return out;
}

// Shifts a slice in its plane by (du, dv) mm: output pixel (i, j) samples the source at
// (i - du/sx, j - dv/sy) bilinearly; outside the source it takes the slice's lowest value.
void shiftInPlane(std::span<double> values, int columns, int rows, const Vec3& shift_mm, double sx,
                  double sy) {
  const std::vector<double> source(values.begin(), values.end());
  const double fill = *std::min_element(source.begin(), source.end());
  for (int j = 0; j < rows; ++j) {
    for (int i = 0; i < columns; ++i) {
      const double si = i - shift_mm[0] / sx, sj = j - shift_mm[1] / sy;
      const double fi = std::floor(si), fj = std::floor(sj);
      const int i0 = static_cast<int>(fi), j0 = static_cast<int>(fj);
      const double wi = si - fi, wj = sj - fj;
      auto at = [&](int ii, int jj) {
        if (ii < 0 || jj < 0 || ii >= columns || jj >= rows) return fill;
        return source[static_cast<std::size_t>(jj) * columns + ii];
      };
      values[static_cast<std::size_t>(j) * columns + i] =
          (1 - wj) * ((1 - wi) * at(i0, j0) + wi * at(i0 + 1, j0)) +
          wj * ((1 - wi) * at(i0, j0 + 1) + wi * at(i0 + 1, j0 + 1));
    }
  }
}

}  // namespace

ImageVolume loadVolume(const std::vector<std::filesystem::path>& files,
                       const VolumeLoadOptions& options, Progress& progress) {
  if (files.empty()) {
    throw Error(ErrorKind::InvalidInput, "No DICOM files were given to load as a volume.");
  }
  detail::ensureDicomCodecsRegistered();
  // Read VR UN elements with their dictionary VR as the scan does; without this a CT written
  // with VR UN everywhere (malformed/explicit_VR-UN.dcm) lost its Image Position whenever no
  // scan had run before in the process.
  detail::configureDcmtkForReading();
  progress.report(0.0, "Reading DICOM headers");
  HeaderPass pass = readAllHeaders(files, progress);
  std::vector<std::string> assumptions = pass.notes;

  // Several volumes at the same positions: enhanced stacks, echoes, time points (Dimension
  // Index Values), else classic echoes, phases, b-values, acquisitions. Load the one asked for.
  std::map<std::vector<std::uint32_t>, std::vector<FrameHeader*>> volumes;
  for (FrameHeader& f : pass.frames) volumes[f.volumeKey].push_back(&f);
  std::vector<FrameHeader*> selected;
  if (volumes.size() > 1) {
    requireVolumeIndex(options.volume, volumes.size(), pass.info.seriesInstanceUid);
    const auto chosen = std::next(volumes.begin(), static_cast<std::ptrdiff_t>(options.volume));
    selected = chosen->second;
    std::string key;
    for (auto v : chosen->first) key += (key.empty() ? "" : "\\") + std::to_string(v);
    assumptions.push_back("The files hold " + std::to_string(volumes.size()) +
                          " volumes (stacks, echoes or time points, told apart by their "
                          "Dimension Index Values); volume " +
                          std::to_string(options.volume) + " (" + key + ", " +
                          std::to_string(selected.size()) + " frames) was loaded, the other " +
                          std::to_string(pass.frames.size() - selected.size()) +
                          " frames were ignored.");
  } else {
    selected = chooseClassicVolume(pass, volumes.begin()->second, options.volume, assumptions);
  }
  const bool suv = options.petBodyWeightSuv && pass.info.modality == "PT" &&
                   pass.files[selected.front()->fileIndex].units == "BQML";
  if (suv) {
    // Bq/ml -> SUVbw is one more factor on the rescale line of every frame.
    const double perBqMl = detail::bodyWeightSuvPerBqMl(
        pass.files, std::vector<const FrameHeader*>(selected.begin(), selected.end()), assumptions);
    for (FrameHeader* f : selected) {
      f->rescaleSlope *= perBqMl;
      f->rescaleIntercept *= perBqMl;
    }
    std::ostringstream factor;
    factor << std::setprecision(6) << perBqMl;
    assumptions.push_back(
        "PET activity concentration (Bq/ml) was converted to body-weight SUV: x " + factor.str() +
        " g/Bq (weight / decay-corrected injected dose).");
  }
  StackPlan plan = planStack(pass, selected, options, assumptions);
  const ImageGeometry& g = plan.geometry;
  ImageVolume volume(g, choosePixelType(pass, plan.slices));
  const bool interpolated = plan.resampled || plan.tilted;

  // Decode source slices in order; each output slice blends the two nearest.
  detail::FrameDecoder decoder;
  const std::size_t pixels =
      static_cast<std::size_t>(g.size[0]) * static_cast<std::size_t>(g.size[1]);
  std::map<std::size_t, std::vector<double>> cache;  // at most two decoded source slices
  std::vector<std::vector<double>> spare;            // buffers of evicted slices, for reuse
  auto sourceSlice = [&](std::size_t s) -> const std::vector<double>& {
    if (auto it = cache.find(s); it != cache.end()) return it->second;
    for (auto it = cache.begin(); it != cache.end();) {
      if (it->first + 1 < s) {
        spare.push_back(std::move(it->second));
        it = cache.erase(it);
      } else {
        ++it;
      }
    }
    std::vector<double> values;
    if (!spare.empty()) {
      values = std::move(spare.back());
      spare.pop_back();
    }
    values.resize(pixels);
    const FrameHeader& frame = *plan.slices[s];
    decoder.decode(pass.files[frame.fileIndex], frame.fileIndex, frame, values);
    if (plan.tilted) {
      shiftInPlane(values, static_cast<int>(g.size[0]), static_cast<int>(g.size[1]),
                   plan.inPlaneShift_mm[s], g.spacing_mm[0], g.spacing_mm[1]);
    }
    return cache.emplace(s, std::move(values)).first->second;
  };
  std::vector<double> blended;
  const std::size_t outCount = plan.outputAlong_mm.size();
  std::size_t source = 0;
  const bool allDecoded =
      !interpolated && decodeSingleFrameFilesInParallel(pass, plan, volume, progress);
  for (std::size_t k = allDecoded ? outCount : 0; k < outCount; ++k) {
    progress.check();
    // Integer fast path: a slice taken as it is, integer stored values, slope 1, integer
    // intercept, integer voxels: decoded straight into the volume in int32 arithmetic.
    if (!interpolated && volume.pixelType() != PixelType::Float32) {
      const FrameHeader& frame = *plan.slices[k];
      const FileHeader& file = pass.files[frame.fileIndex];
      if (detail::integerRescale(file, frame)) {
        if (decodeIntegerSlice(decoder, file, frame, volume, k * pixels)) {
          progress.report(0.1 + 0.9 * static_cast<double>(k + 1) / static_cast<double>(outCount),
                          "Decoding slices");
          continue;
        }
        // A value does not fit the integer type: promote below, as the general path does.
      }
    }
    const double t = plan.outputAlong_mm[k];
    const double originAlong = plan.slices.front()->along_mm;
    while (source + 1 < plan.slices.size() &&
           plan.slices[source + 1]->along_mm - originAlong <= t + 1e-6) {
      ++source;
    }
    std::span<const double> values;
    if (!plan.resampled || source + 1 >= plan.slices.size()) {
      values = sourceSlice(plan.resampled ? source : k);
    } else {
      const double a = plan.slices[source]->along_mm - originAlong;
      const double b = plan.slices[source + 1]->along_mm - originAlong;
      const double w = std::clamp((t - a) / (b - a), 0.0, 1.0);
      if (w < 1e-6) {
        values = sourceSlice(source);
      } else {
        const std::vector<double>& lo = sourceSlice(source);
        const std::vector<double>& hi = sourceSlice(source + 1);
        blended.resize(pixels);
        for (std::size_t n = 0; n < pixels; ++n) blended[n] = (1 - w) * lo[n] + w * hi[n];
        values = blended;
      }
    }
    if (!storeSlice(volume, k * pixels, values, interpolated)) {
      const auto from = volume.pixelType();
      volume = promoteToFloat(volume);
      storeSlice(volume, k * pixels, values, false);
      assumptions.push_back("Voxel values did not fit " + std::string(toString(from)) +
                            " exactly after rescale; the volume is stored as float32.");
    }
    progress.report(0.1 + 0.9 * static_cast<double>(k + 1) / static_cast<double>(outCount),
                    "Decoding slices");
  }

  volume.dicom = pass.info;
  // MONOCHROME1 (PS3.3 C.7.6.3.1.2) is a display matter: the voxels keep the rescaled values,
  // the default display inverts the grey ramp.
  volume.dicom.displayInverted = std::any_of(
      plan.slices.begin(), plan.slices.end(),
      [&](const FrameHeader* f) { return pass.files[f->fileIndex].format.monochrome1(); });
  volume.paddingRange = detail::paddingRange(pass.files, plan.slices);
  volume.unit = suv ? "SUVbw" : detail::voxelUnit(pass.files, plan.slices, assumptions);
  volume.name = pass.info.modality;
  volume.assumptions = std::move(assumptions);
  return volume;
}

ImageVolume loadVolume(const DicomSeries& series, const VolumeLoadOptions& options,
                       Progress& progress) {
  std::vector<std::filesystem::path> files;
  for (const DicomInstance& instance : series.instances) {
    if (std::find(files.begin(), files.end(), instance.file) == files.end()) {
      files.push_back(instance.file);
    }
  }
  if (files.empty()) {
    throw Error(ErrorKind::InvalidInput,
                "Series " + series.seriesInstanceUid + " has no image files to load.",
                series.seriesInstanceUid);
  }
  return loadVolume(files, options, progress);
}

}  // namespace twinplan::io
