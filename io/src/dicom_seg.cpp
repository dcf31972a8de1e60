#include "twinplan/io/dicom_seg.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmiod/cielabutil.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "dicom_attributes.h"
#include "dicom_object_writer.h"
#include "label_packing.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_writer.h"

namespace twinplan::io {
namespace {

namespace fs = std::filesystem;

// Segmentation Storage (PS3.4 B.5).
constexpr const char* kSegSopClass = "1.2.840.10008.5.1.4.1.1.66.4";

CodedConcept readCode(DcmItem& item, const DcmTagKey& sequence) {
  DcmItem* code = nullptr;
  if (item.findAndGetSequenceItem(sequence, code, 0).bad() || !code) return {};
  return {detail::text(*code, DCM_CodeValue), detail::text(*code, DCM_CodingSchemeDesignator),
          detail::text(*code, DCM_CodeMeaning)};
}

Rgb labToRgb(double L, double a, double b) {
  double r = 0, g = 0, bl = 0;
  IODCIELabUtil::dicomLab2RGB(r, g, bl, L, a, b);
  auto byte = [](double v) {
    return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
  };
  return {byte(r), byte(g), byte(bl)};
}

// A functional group macro of frame `frame`: the per-frame one, else the shared one.
DcmItem* functionalGroup(DcmDataset& ds, unsigned long frame, const DcmTagKey& macro) {
  DcmItem* groups = nullptr;
  DcmItem* found = nullptr;
  if (ds.findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, groups,
                                static_cast<signed long>(frame))
          .good() &&
      groups && groups->findAndGetSequenceItem(macro, found, 0).good() && found)
    return found;
  if (ds.findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, groups, 0).good() && groups &&
      groups->findAndGetSequenceItem(macro, found, 0).good() && found)
    return found;
  return nullptr;
}

struct FramePlacement {
  Vec3 origin_ijk, column_step_ijk, row_step_ijk;  // pixel (r, c) -> origin + c*col + r*row
  int segment = 0;
};

[[noreturn]] void corrupt(const fs::path& path, const std::string& what, const char* tag) {
  throw Error(ErrorKind::Corrupt, "The segmentation " + path.string() + " " + what, tag);
}

FramePlacement placeFrame(DcmDataset& ds, unsigned long frame, const ImageGeometry& grid,
                          const fs::path& path) {
  const std::string where = "frame " + std::to_string(frame + 1);
  DcmItem* position = functionalGroup(ds, frame, DCM_PlanePositionSequence);
  DcmItem* orientation = functionalGroup(ds, frame, DCM_PlaneOrientationSequence);
  DcmItem* measures = functionalGroup(ds, frame, DCM_PixelMeasuresSequence);
  DcmItem* identification = functionalGroup(ds, frame, DCM_SegmentIdentificationSequence);
  if (!position || !orientation || !measures || !identification)
    corrupt(path,
            "has no Plane Position, Plane Orientation, Pixel Measures or Segment Identification "
            "functional group for " +
                where + " (PS3.3 C.8.20.3).",
            "(5200,9230)");
  Vec3 ipp;
  double iop[6];
  for (int n = 0; n < 3; ++n) {
    auto v = detail::number(*position, DCM_ImagePositionPatient, static_cast<unsigned long>(n));
    if (!v) corrupt(path, "has no Image Position (Patient) for " + where + ".", "(0020,0032)");
    ipp[n] = *v;
  }
  for (int n = 0; n < 6; ++n) {
    auto v =
        detail::number(*orientation, DCM_ImageOrientationPatient, static_cast<unsigned long>(n));
    if (!v) corrupt(path, "has no Image Orientation (Patient) for " + where + ".", "(0020,0037)");
    iop[n] = *v;
  }
  const auto rowSpacing = detail::number(*measures, DCM_PixelSpacing, 0);
  const auto columnSpacing = detail::number(*measures, DCM_PixelSpacing, 1);
  if (!rowSpacing || !columnSpacing)
    corrupt(path, "has no Pixel Spacing for " + where + ".", "(0028,0030)");
  const Vec3 rowDirection(iop[0], iop[1], iop[2]), columnDirection(iop[3], iop[4], iop[5]);
  FramePlacement placement;
  placement.origin_ijk = grid.lpsToIndex(ipp);
  placement.column_step_ijk =
      grid.lpsToIndex(ipp + rowDirection * *columnSpacing) - placement.origin_ijk;
  placement.row_step_ijk =
      grid.lpsToIndex(ipp + columnDirection * *rowSpacing) - placement.origin_ijk;
  placement.segment = detail::integer(*identification, DCM_ReferencedSegmentNumber, -1);
  // On the grid: whole-voxel origin (within 1 % of a voxel: FFS files carry float noise such
  // as -235.199997 for -235.2) and unit in-plane steps along grid axes.
  auto whole = [](const Vec3& v, double tolerance) {
    return (v - v.array().round().matrix()).cwiseAbs().maxCoeff() <= tolerance;
  };
  if (!whole(placement.origin_ijk, 0.01) || !whole(placement.column_step_ijk, 1e-3) ||
      !whole(placement.row_step_ijk, 1e-3) ||
      std::abs(placement.column_step_ijk.norm() - 1.0) > 1e-3 ||
      std::abs(placement.row_step_ijk.norm() - 1.0) > 1e-3)
    throw Error(ErrorKind::Unsupported,
                "Frame " + std::to_string(frame + 1) + " of the segmentation " + path.string() +
                    " does not lie on the reference series' voxel grid (another orientation, "
                    "spacing or a sub-voxel offset); resampling a SEG onto another grid is not "
                    "supported. Give the series the SEG was made on as the reference.",
                path.string());
  placement.origin_ijk = placement.origin_ijk.array().round().matrix();
  placement.column_step_ijk = placement.column_step_ijk.array().round().matrix();
  placement.row_step_ijk = placement.row_step_ijk.array().round().matrix();
  return placement;
}

// The frames' pixel bytes; BINARY frames are bit-packed across frame boundaries (PS3.5 8.1.1).
std::vector<Uint8> pixelBytes(DcmDataset& ds, const fs::path& path) {
  if (ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad() ||
      !ds.canWriteXfer(EXS_LittleEndianExplicit))
    throw Error(ErrorKind::Unsupported,
                "The pixel data of the segmentation " + path.string() +
                    " is compressed in a transfer syntax that cannot be decoded here.",
                "(7FE0,0010)");
  DcmElement* pixels = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, pixels).bad() || !pixels)
    corrupt(path, "has no Pixel Data (7FE0,0010).", "(7FE0,0010)");
  const Uint32 length = pixels->getLength();
  std::vector<Uint8> bytes(length);
  if (length == 0) return bytes;
  if (pixels->getVR() == EVR_OW) {
    Uint16* words = nullptr;
    if (pixels->getUint16Array(words).bad() || !words)
      corrupt(path, "has Pixel Data that cannot be read.", "(7FE0,0010)");
    for (Uint32 n = 0; n < length; ++n)
      bytes[n] = static_cast<Uint8>(words[n / 2] >> (8 * (n % 2)));  // little-endian bytes
  } else {
    Uint8* data = nullptr;
    if (pixels->getUint8Array(data).bad() || !data)
      corrupt(path, "has Pixel Data that cannot be read.", "(7FE0,0010)");
    std::copy(data, data + length, bytes.begin());
  }
  return bytes;
}

}  // namespace

ImportedSegments readSegmentation(const fs::path& path, const ReferenceSeries& reference,
                                  Progress& progress) {
  if (!fs::is_regular_file(path))
    throw Error(ErrorKind::NotFound, "The segmentation " + path.string() + " does not exist.",
                path.string());
  DcmFileFormat file;
  const OFCondition loaded = file.loadFile(path.c_str());
  if (loaded.bad())
    throw Error(ErrorKind::Corrupt,
                "The segmentation " + path.string() + " cannot be read: " + loaded.text() + ".",
                path.string());
  DcmDataset& ds = *file.getDataset();
  if (detail::text(ds, DCM_SOPClassUID) != kSegSopClass)
    throw Error(ErrorKind::InvalidInput,
                path.string() + " is not a DICOM Segmentation (SOP Class UID '" +
                    detail::text(ds, DCM_SOPClassUID) + "').",
                path.string());
  const std::string frameOfReference = detail::text(ds, DCM_FrameOfReferenceUID);
  if (!frameOfReference.empty() && !reference.dicom.frameOfReferenceUid.empty() &&
      frameOfReference != reference.dicom.frameOfReferenceUid)
    throw Error(ErrorKind::InvalidInput,
                "The segmentation " + path.string() + " is in frame of reference " +
                    frameOfReference + ", not in the reference series' " +
                    reference.dicom.frameOfReferenceUid + ". Give the series it was made on.",
                "(0020,0052)");
  const std::string type = detail::text(ds, DCM_SegmentationType);
  const int rows = detail::integer(ds, DCM_Rows, 0), columns = detail::integer(ds, DCM_Columns, 0);
  const int frames = detail::integer(ds, DCM_NumberOfFrames, 1);
  const int bits = detail::integer(ds, DCM_BitsAllocated, 0);
  if (rows <= 0 || columns <= 0 || frames <= 0)
    corrupt(path, "has no Rows, Columns or Number of Frames.", "(0028,0010)");
  if (!((type == "BINARY" && bits == 1) || (type == "FRACTIONAL" && bits == 8)))
    corrupt(path,
            "has Segmentation Type '" + type + "' with Bits Allocated " + std::to_string(bits) +
                " (BINARY needs 1, FRACTIONAL 8; PS3.3 C.8.20.2).",
            "(0062,0001)");
  const double threshold =
      type == "FRACTIONAL" ? 0.5 * detail::integer(ds, DCM_MaximumFractionalValue, 255) : 0.5;
  const std::vector<Uint8> bytes = pixelBytes(ds, path);
  const std::size_t framePixels =
      static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns);
  const std::size_t needed = bits == 1 ? (framePixels * frames + 7) / 8 : framePixels * frames;
  if (bytes.size() < needed)
    corrupt(path,
            "has " + std::to_string(bytes.size()) + " bytes of Pixel Data; " +
                std::to_string(frames) + " frames of " + std::to_string(rows) + "x" +
                std::to_string(columns) + " need " + std::to_string(needed) + " (truncated?).",
            "(7FE0,0010)");

  // Segments in Segment Number order.
  std::map<int, Segment> segments;
  DcmSequenceOfItems* list = nullptr;
  if (ds.findAndGetSequence(DCM_SegmentSequence, list).bad() || !list || list->card() == 0)
    corrupt(path, "has no Segment Sequence (0062,0002).", "(0062,0002)");
  for (unsigned long n = 0; n < list->card(); ++n) {
    DcmItem& item = *list->getItem(n);
    const int number = detail::integer(item, DCM_SegmentNumber, -1);
    Segment s;
    s.name = detail::text(item, DCM_SegmentLabel);
    if (s.name.empty()) s.name = "Segment " + std::to_string(number);
    s.terminology.category = readCode(item, DCM_SegmentedPropertyCategoryCodeSequence);
    s.terminology.type = readCode(item, DCM_SegmentedPropertyTypeCodeSequence);
    s.terminology.anatomicRegion = readCode(item, DCM_AnatomicRegionSequence);
    // Recommended Display CIELab Value: US x 3, scaled to 0..65535 (PS3.3 C.10.7.1.1).
    Uint16 lab[3] = {0, 0, 0};
    bool hasLab = true;
    for (unsigned long v = 0; v < 3; ++v)
      hasLab = hasLab && item.findAndGetUint16(DCM_RecommendedDisplayCIELabValue, lab[v], v).good();
    s.colour = hasLab ? labToRgb(lab[0], lab[1], lab[2]) : Rgb{255, 0, 0};
    segments[number] = s;
  }

  const ImageGeometry& grid = reference.geometry;
  std::map<int, std::vector<std::uint8_t>> masks;
  std::size_t clipped = 0;
  for (int f = 0; f < frames; ++f) {
    progress.check();
    const FramePlacement at = placeFrame(ds, static_cast<unsigned long>(f), grid, path);
    if (!segments.count(at.segment))
      corrupt(path,
              "frame " + std::to_string(f + 1) + " refers to segment " +
                  std::to_string(at.segment) + ", which the Segment Sequence does not list.",
              "(0062,000B)");
    auto& mask = masks[at.segment];
    if (mask.empty()) mask.assign(grid.voxelCount(), 0);
    const std::size_t first = static_cast<std::size_t>(f) * framePixels;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < columns; ++c) {
        const std::size_t n = first + static_cast<std::size_t>(r) * columns + c;
        const bool inside = bits == 1 ? (bytes[n / 8] >> (n % 8)) & 1 : bytes[n] >= threshold;
        if (!inside) continue;
        const Vec3 ijk = at.origin_ijk + at.column_step_ijk * c + at.row_step_ijk * r;
        if (!grid.contains(ijk)) {
          ++clipped;
          continue;
        }
        mask[grid.linearIndex(std::llround(ijk.x()), std::llround(ijk.y()),
                              std::llround(ijk.z()))] = 1;
      }
    }
    progress.report(static_cast<double>(f + 1) / frames, "Reading segmentation frames");
  }
  ImportedSegments result;
  result.labels = LabelMap(grid);
  result.labels.name = detail::text(ds, DCM_SeriesDescription);
  if (clipped)
    result.notes.push_back(std::to_string(clipped) +
                           " segment pixels lie outside the reference grid and were left out.");
  for (auto& [number, segment] : segments) {
    auto mask = masks.find(number);
    detail::addPackedSegment(
        result.labels, segment,
        mask != masks.end() ? mask->second : std::vector<std::uint8_t>(grid.voxelCount(), 0));
  }
  return result;
}

void writeSegmentation(const LabelMap& labels, const ReferenceSeries& reference,
                       const fs::path& path, const SegmentationWriteOptions& options,
                       Progress& progress) {
  requireExportableOnto(labels, reference, "The DICOM SEG " + path.string());
  const ImageGeometry& g = reference.geometry;
  const DicomInfo& d = reference.dicom;
  DcmFileFormat file;
  detail::ItemWriter w(*file.getDataset(), "DICOM SEG " + path.string());
  detail::writePatientAndStudy(w, d);
  // SOP Common, General/Segmentation Series, Frame of Reference, (Enhanced) General Equipment,
  // General Image, Segmentation Image (PS3.3 A.51.3).
  w.text(DCM_SOPClassUID, kSegSopClass);
  w.text(DCM_SOPInstanceUID, makeDicomUid(UidKind::Instance));
  w.text(DCM_Modality, "SEG");
  w.text(DCM_SeriesInstanceUID, makeDicomUid(UidKind::Series));
  w.text(DCM_SeriesNumber, "1");
  w.text(DCM_SeriesDescription, options.seriesDescription);
  w.text(DCM_FrameOfReferenceUID, d.frameOfReferenceUid);
  w.text(DCM_PositionReferenceIndicator, "");
  w.text(DCM_Manufacturer, "TwinPlan");
  w.text(DCM_ManufacturerModelName, "TwinPlan");
  w.text(DCM_DeviceSerialNumber, "0");
  w.text(DCM_SoftwareVersions, "TwinPlan");
  w.text(DCM_InstanceNumber, "1");
  w.text(DCM_ContentDate, detail::dicomDate());
  w.text(DCM_ContentTime, detail::dicomTime());
  w.text(DCM_ImageType, "DERIVED\\PRIMARY");
  w.text(DCM_ContentLabel, options.contentLabel);
  w.text(DCM_ContentDescription, options.seriesDescription);
  w.text(DCM_ContentCreatorName, "");
  w.text(DCM_SegmentationType, "BINARY");
  w.text(DCM_LossyImageCompression, "00");
  w.u16(DCM_SamplesPerPixel, 1);
  w.text(DCM_PhotometricInterpretation, "MONOCHROME2");
  w.u16(DCM_Rows, static_cast<Uint16>(g.size[1]));
  w.u16(DCM_Columns, static_cast<Uint16>(g.size[0]));
  w.u16(DCM_BitsAllocated, 1);
  w.u16(DCM_BitsStored, 1);
  w.u16(DCM_HighBit, 0);
  w.u16(DCM_PixelRepresentation, 0);

  // Multi-frame Dimension (C.7.6.17): frames are indexed by segment, then slice position.
  const std::string dimensions = makeDicomUid(UidKind::Instance);
  w.append(DCM_DimensionOrganizationSequence).text(DCM_DimensionOrganizationUID, dimensions);
  {
    detail::ItemWriter bySegment = w.append(DCM_DimensionIndexSequence);
    bySegment.text(DCM_DimensionOrganizationUID, dimensions);
    bySegment.tagKey(DCM_DimensionIndexPointer, DCM_ReferencedSegmentNumber);
    bySegment.tagKey(DCM_FunctionalGroupPointer, DCM_SegmentIdentificationSequence);
    detail::ItemWriter byPosition = w.append(DCM_DimensionIndexSequence);
    byPosition.text(DCM_DimensionOrganizationUID, dimensions);
    byPosition.tagKey(DCM_DimensionIndexPointer, DCM_ImagePositionPatient);
    byPosition.tagKey(DCM_FunctionalGroupPointer, DCM_PlanePositionSequence);
  }
  // Shared functional groups: pixel measures and orientation of the reference grid.
  {
    detail::ItemWriter shared = w.append(DCM_SharedFunctionalGroupsSequence);
    detail::ItemWriter measures = shared.append(DCM_PixelMeasuresSequence);
    // Pixel Spacing is row spacing (along j) then column spacing (along i) (PS3.3 10.7.1.3).
    measures.text(DCM_PixelSpacing, detail::decimalString(g.spacing_mm.y()) + "\\" +
                                        detail::decimalString(g.spacing_mm.x()));
    measures.text(DCM_SliceThickness, detail::decimalString(g.spacing_mm.z()));
    measures.text(DCM_SpacingBetweenSlices, detail::decimalString(g.spacing_mm.z()));
    std::string iop;
    for (int column = 0; column < 2; ++column)
      for (int axis = 0; axis < 3; ++axis)
        iop += (iop.empty() ? "" : "\\") + detail::decimalString(g.direction(axis, column));
    shared.append(DCM_PlaneOrientationSequence).text(DCM_ImageOrientationPatient, iop);
  }
  // Common Instance Reference (C.12.2): every slice of the reference series.
  {
    detail::ItemWriter series = w.append(DCM_ReferencedSeriesSequence);
    series.text(DCM_SeriesInstanceUID, d.seriesInstanceUid);
    for (const std::string& uid : reference.sliceSopInstanceUids) {
      detail::ItemWriter instance = series.append(DCM_ReferencedInstanceSequence);
      instance.text(DCM_ReferencedSOPClassUID, reference.sopClassUid);
      instance.text(DCM_ReferencedSOPInstanceUID, uid);
    }
  }

  const std::size_t slicePixels = static_cast<std::size_t>(g.size[0] * g.size[1]);
  std::vector<Uint8> packed;
  std::size_t frameCount = 0;
  const auto& segments = labels.segments();
  for (std::size_t s = 0; s < segments.size(); ++s) {
    progress.check();
    const Segment& segment = segments[s];
    const auto number = static_cast<Uint16>(s + 1);
    detail::ItemWriter item = w.append(DCM_SegmentSequence);
    item.u16(DCM_SegmentNumber, number);
    item.text(DCM_SegmentLabel, segment.name);
    const SegmentTerminology& t = segment.terminology;
    item.code(
        DCM_SegmentedPropertyCategoryCodeSequence,
        t.category.empty() ? CodedConcept{"91723000", "SCT", "Anatomical Structure"} : t.category);
    item.code(DCM_SegmentedPropertyTypeCodeSequence,
              t.type.empty() ? CodedConcept{"85756007", "SCT", "Tissue"} : t.type);
    if (!t.anatomicRegion.empty()) item.code(DCM_AnatomicRegionSequence, t.anatomicRegion);
    item.text(DCM_SegmentAlgorithmType, "MANUAL");
    double L = 0, a = 0, b = 0;
    IODCIELabUtil::rgb2DicomLab(L, a, b, segment.colour.r / 255.0, segment.colour.g / 255.0,
                                segment.colour.b / 255.0);
    item.u16s(DCM_RecommendedDisplayCIELabValue,
              {static_cast<Uint16>(std::lround(L)), static_cast<Uint16>(std::lround(a)),
               static_cast<Uint16>(std::lround(b))});

    const auto& values = labels.layer(segment.layer);
    for (std::int64_t k = 0; k < g.size[2]; ++k) {
      const std::size_t first = g.linearIndex(0, 0, k);
      if (std::none_of(values.begin() + first, values.begin() + first + slicePixels,
                       [&](std::uint16_t v) { return v == segment.value; }))
        continue;
      const std::size_t bit0 = frameCount * slicePixels;
      packed.resize((bit0 + slicePixels + 7) / 8, 0);
      for (std::size_t n = 0; n < slicePixels; ++n)
        if (values[first + n] == segment.value)
          packed[(bit0 + n) / 8] |= static_cast<Uint8>(1u << ((bit0 + n) % 8));
      ++frameCount;
      detail::ItemWriter frame = w.append(DCM_PerFrameFunctionalGroupsSequence);
      {
        detail::ItemWriter derivation = frame.append(DCM_DerivationImageSequence);
        derivation.code(DCM_DerivationCodeSequence, {"113076", "DCM", "Segmentation"});
        detail::ItemWriter source = derivation.append(DCM_SourceImageSequence);
        source.text(DCM_ReferencedSOPClassUID, reference.sopClassUid);
        source.text(DCM_ReferencedSOPInstanceUID,
                    reference.sliceSopInstanceUids[static_cast<std::size_t>(k)]);
        source.code(DCM_PurposeOfReferenceCodeSequence,
                    {"121322", "DCM", "Source image for image processing operation"});
      }
      frame.append(DCM_FrameContentSequence)
          .u32s(DCM_DimensionIndexValues, {number, static_cast<Uint32>(k + 1)});
      const Vec3 p = g.indexToLps(Vec3(0, 0, static_cast<double>(k)));
      frame.append(DCM_PlanePositionSequence)
          .text(DCM_ImagePositionPatient, detail::decimalString(p.x()) + "\\" +
                                              detail::decimalString(p.y()) + "\\" +
                                              detail::decimalString(p.z()));
      frame.append(DCM_SegmentIdentificationSequence).u16(DCM_ReferencedSegmentNumber, number);
    }
    progress.report(static_cast<double>(s + 1) / static_cast<double>(segments.size()),
                    "Writing segmentation frames");
  }
  if (frameCount == 0)
    throw Error(ErrorKind::InvalidInput,
                "The DICOM SEG " + path.string() +
                    " cannot be written: no segment has any voxel, and a segmentation needs at "
                    "least one frame (PS3.3 C.7.6.6: Number of Frames >= 1).",
                "labels");
  if (packed.size() % 2) packed.push_back(0);  // even value length (PS3.5 7.1.1)
  w.text(DCM_NumberOfFrames, std::to_string(frameCount));
  w.bytes(DCM_PixelData, packed);
  detail::saveAtomically(file, path, EXS_LittleEndianExplicit);
}

}  // namespace twinplan::io
