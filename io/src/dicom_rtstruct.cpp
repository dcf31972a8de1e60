#include "twinplan/io/dicom_rtstruct.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrds.h>

#include <map>
#include <sstream>

#include "dicom_attributes.h"
#include "dicom_object_writer.h"
#include "label_packing.h"
#include "twinplan/core/error.h"
#include "twinplan/io/contour_raster.h"
#include "twinplan/io/dicom_writer.h"

namespace twinplan::io {
namespace {

namespace fs = std::filesystem;

// RT Structure Set Storage (PS3.4 B.5).
constexpr const char* kRtStructSopClass = "1.2.840.10008.5.1.4.1.1.481.3";

struct Roi {
  int number = 0;
  std::string name, frameOfReferenceUid;
  Rgb colour{255, 0, 0};
  bool hasColour = false;
  std::vector<LpsContour> contours;
  int pointContours = 0, openContours = 0;
  bool listed = false;
  SegmentTerminology terminology;
};

CodedConcept readCode(DcmItem& item) {
  return {detail::text(item, DCM_CodeValue), detail::text(item, DCM_CodingSchemeDesignator),
          detail::text(item, DCM_CodeMeaning)};
}

// RT ROI Observations (PS3.3 C.8.8.8): the RT ROI Identification Code Sequence codes what the
// ROI is (the segment's property type); its item may carry the category (Segmented Property
// Category Code Sequence, as DICOM added for SEG interchange).
void readObservations(DcmDataset& ds, std::map<int, Roi>& rois) {
  DcmSequenceOfItems* list = nullptr;
  if (ds.findAndGetSequence(DCM_RTROIObservationsSequence, list).bad() || !list) return;
  for (unsigned long n = 0; n < list->card(); ++n) {
    DcmItem& item = *list->getItem(n);
    auto roi = rois.find(detail::integer(item, DCM_ReferencedROINumber, -1));
    DcmItem* code = nullptr;
    if (roi == rois.end() ||
        item.findAndGetSequenceItem(DCM_RTROIIdentificationCodeSequence, code, 0).bad() || !code)
      continue;
    roi->second.terminology.type = readCode(*code);
    DcmItem* category = nullptr;
    if (code->findAndGetSequenceItem(DCM_SegmentedPropertyCategoryCodeSequence, category, 0)
            .good() &&
        category)
      roi->second.terminology.category = readCode(*category);
  }
}

std::string roiLabel(const Roi& roi) {
  return "ROI '" + roi.name + "' (number " + std::to_string(roi.number) + ")";
}

DcmDataset& loadStructureSet(DcmFileFormat& file, const fs::path& path) {
  if (!fs::is_regular_file(path))
    throw Error(ErrorKind::NotFound, "The structure set " + path.string() + " does not exist.",
                path.string());
  const OFCondition loaded = file.loadFile(path.c_str());
  if (loaded.bad())
    throw Error(ErrorKind::Corrupt,
                "The structure set " + path.string() + " cannot be read: " + loaded.text() +
                    " (a truncated or damaged file?). Export it again from the planning system.",
                path.string());
  DcmDataset& ds = *file.getDataset();
  const std::string sopClass = detail::text(ds, DCM_SOPClassUID);
  if (sopClass != kRtStructSopClass)
    throw Error(ErrorKind::InvalidInput,
                path.string() + " is not an RT Structure Set (its SOP Class UID is '" + sopClass +
                    "', modality '" + detail::text(ds, DCM_Modality) + "').",
                path.string());
  return ds;
}

std::map<int, Roi> readRoiList(DcmDataset& ds, const fs::path& path) {
  std::map<int, Roi> rois;
  DcmSequenceOfItems* list = nullptr;
  if (ds.findAndGetSequence(DCM_StructureSetROISequence, list).bad() || !list)
    throw Error(ErrorKind::Corrupt,
                "The structure set " + path.string() +
                    " has no Structure Set ROI Sequence (3006,0020), so its ROIs have no names "
                    "or numbers.",
                "(3006,0020)");
  for (unsigned long n = 0; n < list->card(); ++n) {
    DcmItem& item = *list->getItem(n);
    Roi roi;
    roi.number = detail::integer(item, DCM_ROINumber, -1);
    roi.name = detail::text(item, DCM_ROIName);
    if (roi.name.empty()) roi.name = "ROI " + std::to_string(roi.number);
    roi.frameOfReferenceUid = detail::text(item, DCM_ReferencedFrameOfReferenceUID);
    roi.listed = true;
    rois[roi.number] = roi;
  }
  return rois;
}

std::vector<Vec3> readContourPoints(DcmItem& contour, const std::string& label) {
  const int declared = detail::integer(contour, DCM_NumberOfContourPoints, -1);
  DcmElement* element = nullptr;
  auto* data = contour.findAndGetElement(DCM_ContourData, element).good()
                   ? dynamic_cast<DcmDecimalString*>(element)
                   : nullptr;
  if (!data)
    throw Error(ErrorKind::Corrupt, label + " has no Contour Data (3006,0050) (or not as DS).",
                "(3006,0050)");
  // One parse of the whole value: getFloat64(v, n) rescans the string for every n (quadratic
  // in the points; 90 % of the time on a 177-plane BODY).
  OFVector<Float64> values;
  if (data->getFloat64Vector(values).bad())
    throw Error(ErrorKind::Corrupt, label + " has a Contour Data value that is not a number.",
                "(3006,0050)");
  if (values.size() % 3 != 0 ||
      (declared >= 0 && static_cast<std::size_t>(declared) * 3 != values.size()))
    throw Error(ErrorKind::Corrupt,
                label + " has " + std::to_string(values.size()) +
                    " Contour Data (3006,0050) values, which is not 3 x Number of Contour Points "
                    "(3006,0046) = " +
                    std::to_string(declared) + ".",
                "(3006,0050)");
  std::vector<Vec3> points(values.size() / 3);
  for (std::size_t n = 0; n < values.size(); ++n) {
    if (!std::isfinite(values[n]))
      throw Error(ErrorKind::Corrupt, label + " has a Contour Data value that is not a number.",
                  "(3006,0050)");
    points[n / 3][static_cast<int>(n % 3)] = values[n];
  }
  return points;
}

void readContours(DcmDataset& ds, std::map<int, Roi>& rois, const fs::path& path,
                  std::vector<std::string>& notes) {
  DcmSequenceOfItems* list = nullptr;
  if (ds.findAndGetSequence(DCM_ROIContourSequence, list).bad() || !list)
    throw Error(ErrorKind::Corrupt,
                "The structure set " + path.string() +
                    " has no ROI Contour Sequence (3006,0039): none of its ROIs has contours. "
                    "Export it again with its contours.",
                "(3006,0039)");
  for (unsigned long n = 0; n < list->card(); ++n) {
    DcmItem& item = *list->getItem(n);
    const int number = detail::integer(item, DCM_ReferencedROINumber, -1);
    Roi& roi = rois[number];
    if (!roi.listed) {
      roi.number = number;
      roi.name = "ROI " + std::to_string(number);
      notes.push_back("ROI Contour item " + std::to_string(n + 1) + " refers to ROI number " +
                      std::to_string(number) +
                      ", which the Structure Set ROI Sequence does not list; named '" + roi.name +
                      "'.");
    }
    // ROI Display Color is IS, three values 0..255 (PS3.3 C.8.8.6).
    Sint32 rgb[3] = {0, 0, 0};
    bool hasColour = true;
    for (unsigned long n = 0; n < 3; ++n)
      hasColour = hasColour && item.findAndGetSint32(DCM_ROIDisplayColor, rgb[n], n).good();
    if (hasColour) {
      auto channel = [](Sint32 v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); };
      roi.colour = {channel(rgb[0]), channel(rgb[1]), channel(rgb[2])};
      roi.hasColour = true;
    }
    DcmSequenceOfItems* contours = nullptr;
    if (item.findAndGetSequence(DCM_ContourSequence, contours).bad() || !contours) continue;
    for (unsigned long c = 0; c < contours->card(); ++c) {
      DcmItem& contour = *contours->getItem(c);
      const std::string label = roiLabel(roi) + ", contour " + std::to_string(c + 1);
      const std::string type = detail::text(contour, DCM_ContourGeometricType);
      if (type == "POINT") {
        ++roi.pointContours;
        continue;
      }
      if (type == "OPEN_PLANAR" || type == "OPEN_NONPLANAR") {
        ++roi.openContours;
        continue;
      }
      if (type != "CLOSED_PLANAR")
        throw Error(ErrorKind::Corrupt,
                    label + " has Contour Geometric Type (3006,0042) '" + type +
                        "' (expected POINT, OPEN_PLANAR, OPEN_NONPLANAR or CLOSED_PLANAR).",
                    "(3006,0042)");
      std::vector<Vec3> points = readContourPoints(contour, label);
      if (points.size() < 3)
        throw Error(ErrorKind::Corrupt,
                    label + " is CLOSED_PLANAR with " + std::to_string(points.size()) +
                        " point(s); a closed contour needs at least 3 (PS3.3 C.8.8.6.1).",
                    "(3006,0050)");
      roi.contours.push_back({std::move(points), label});
    }
  }
}

}  // namespace

ImportedSegments readRtStruct(const fs::path& path, const ReferenceSeries& reference,
                              Progress& progress) {
  DcmFileFormat file;
  DcmDataset& ds = loadStructureSet(file, path);
  ImportedSegments result;
  std::map<int, Roi> rois = readRoiList(ds, path);
  readContours(ds, rois, path, result.notes);
  readObservations(ds, rois);
  result.labels = LabelMap(reference.geometry);
  result.labels.name = detail::text(ds, DCM_StructureSetLabel);

  std::size_t done = 0;
  for (auto& [number, roi] : rois) {
    progress.check();
    if (!roi.frameOfReferenceUid.empty() && !reference.dicom.frameOfReferenceUid.empty() &&
        roi.frameOfReferenceUid != reference.dicom.frameOfReferenceUid)
      throw Error(ErrorKind::InvalidInput,
                  roiLabel(roi) + " is drawn in frame of reference " + roi.frameOfReferenceUid +
                      ", not in the reference series' " + reference.dicom.frameOfReferenceUid +
                      ": its coordinates would not match. Give the series it was drawn on.",
                  "(3006,0024)");
    if (roi.pointContours || roi.openContours)
      result.notes.push_back(roiLabel(roi) + ": " + std::to_string(roi.pointContours) +
                             " POINT and " + std::to_string(roi.openContours) +
                             " open contour(s) have no inside and were not rasterised.");
    if (roi.contours.empty()) {
      result.notes.push_back(roiLabel(roi) + " has no closed contours; no segment was made.");
      continue;
    }
    ContourPlaneUse use;
    auto sub = subRange(progress, static_cast<double>(done) / rois.size(),
                        static_cast<double>(done + 1) / rois.size());
    const std::vector<std::uint8_t> mask =
        rasteriseContours(roi.contours, reference.geometry, use, *sub);
    ++done;
    if (use.planesOffGrid)
      result.notes.push_back(roiLabel(roi) + ": " + std::to_string(use.planesOffGrid) + " of " +
                             std::to_string(use.planes) +
                             " contour planes lie outside the reference slices (more than half "
                             "a slice away) and were left out.");
    if (use.planesShadowed)
      result.notes.push_back(roiLabel(roi) + ": " + std::to_string(use.planesShadowed) +
                             " contour planes were not used because another plane lies nearer "
                             "to the same slice.");
    Segment segment;
    segment.name = roi.name;
    segment.colour = roi.colour;
    segment.terminology = roi.terminology;
    detail::addPackedSegment(result.labels, std::move(segment), mask);
  }
  progress.report(1.0, "Structures rasterised");
  return result;
}

RtStructContours readRtStructContours(const fs::path& path) {
  DcmFileFormat file;
  DcmDataset& ds = loadStructureSet(file, path);
  RtStructContours result;
  result.structureSetLabel = detail::text(ds, DCM_StructureSetLabel);
  result.sopInstanceUid = detail::text(ds, DCM_SOPInstanceUID);
  std::map<int, Roi> rois = readRoiList(ds, path);
  readContours(ds, rois, path, result.notes);
  for (auto& [number, roi] : rois) {
    if (result.frameOfReferenceUid.empty()) result.frameOfReferenceUid = roi.frameOfReferenceUid;
    result.rois.push_back({roi.number, roi.name, roi.frameOfReferenceUid, roi.colour,
                           std::move(roi.contours), roi.pointContours, roi.openContours});
  }
  return result;
}

std::string writeRtStruct(const LabelMap& labels, const ReferenceSeries& reference,
                          const fs::path& path, const RtStructWriteOptions& options,
                          Progress& progress) {
  requireExportableOnto(labels, reference, "The RTSTRUCT " + path.string());
  const ImageGeometry& g = reference.geometry;
  const DicomInfo& d = reference.dicom;
  DcmFileFormat file;
  detail::ItemWriter w(*file.getDataset(), "RTSTRUCT " + path.string());
  writePatientAndStudy(w, d);
  // RT Series (PS3.3 C.8.8.1), General Equipment, SOP Common.
  w.text(DCM_SOPClassUID, kRtStructSopClass);
  const std::string sopInstanceUid = makeDicomUid(UidKind::Instance);
  w.text(DCM_SOPInstanceUID, sopInstanceUid);
  w.text(DCM_Modality, "RTSTRUCT");
  w.text(DCM_SeriesInstanceUID, makeDicomUid(UidKind::Series));
  w.text(DCM_SeriesNumber, "1");
  w.text(DCM_SeriesDescription, options.seriesDescription);
  w.text(DCM_OperatorsName, "");
  w.text(DCM_Manufacturer, "TwinPlan");
  w.text(DCM_InstanceCreationDate, detail::dicomDate());
  w.text(DCM_InstanceCreationTime, detail::dicomTime());
  // Frame of Reference (C.7.4.1), which dciodvfy requires of a structure set whose ROIs lie in
  // one frame of reference.
  w.text(DCM_FrameOfReferenceUID, d.frameOfReferenceUid);
  w.text(DCM_PositionReferenceIndicator, "");
  // Structure Set (PS3.3 C.8.8.5).
  w.text(DCM_StructureSetLabel, options.structureSetLabel);
  w.text(DCM_StructureSetDate, detail::dicomDate());
  w.text(DCM_StructureSetTime, detail::dicomTime());
  {
    detail::ItemWriter frame = w.append(DCM_ReferencedFrameOfReferenceSequence);
    frame.text(DCM_FrameOfReferenceUID, d.frameOfReferenceUid);
    detail::ItemWriter study = frame.append(DCM_RTReferencedStudySequence);
    // Detached Study Management SOP Class, as the standard's examples and Eclipse write it.
    study.text(DCM_ReferencedSOPClassUID, "1.2.840.10008.3.1.2.3.1");
    study.text(DCM_ReferencedSOPInstanceUID, d.studyInstanceUid);
    detail::ItemWriter series = study.append(DCM_RTReferencedSeriesSequence);
    series.text(DCM_SeriesInstanceUID, d.seriesInstanceUid);
    for (const std::string& uid : reference.sliceSopInstanceUids) {
      detail::ItemWriter image = series.append(DCM_ContourImageSequence);
      image.text(DCM_ReferencedSOPClassUID, reference.sopClassUid);
      image.text(DCM_ReferencedSOPInstanceUID, uid);
    }
  }
  const auto& segments = labels.segments();
  int roiNumber = 0;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    progress.check();
    const std::vector<std::uint8_t> mask = detail::segmentMask(labels, s);
    ++roiNumber;
    detail::ItemWriter roi = w.append(DCM_StructureSetROISequence);
    roi.text(DCM_ROINumber, std::to_string(roiNumber));
    roi.text(DCM_ReferencedFrameOfReferenceUID, d.frameOfReferenceUid);
    roi.text(DCM_ROIName, segments[s].name);
    roi.text(DCM_ROIGenerationAlgorithm, "MANUAL");

    detail::ItemWriter contours = w.append(DCM_ROIContourSequence);
    const Rgb c = segments[s].colour;
    contours.text(DCM_ROIDisplayColor,
                  std::to_string(c.r) + "\\" + std::to_string(c.g) + "\\" + std::to_string(c.b));
    contours.text(DCM_ReferencedROINumber, std::to_string(roiNumber));
    bool any = false;
    for (std::int64_t k = 0; k < g.size[2]; ++k) {
      for (const IndexPolygon& polygon : sliceContours(mask, g, k)) {
        any = true;
        detail::ItemWriter contour = contours.append(DCM_ContourSequence);
        detail::ItemWriter image = contour.append(DCM_ContourImageSequence);
        image.text(DCM_ReferencedSOPClassUID, reference.sopClassUid);
        image.text(DCM_ReferencedSOPInstanceUID,
                   reference.sliceSopInstanceUids[static_cast<std::size_t>(k)]);
        contour.text(DCM_ContourGeometricType, "CLOSED_PLANAR");
        contour.text(DCM_NumberOfContourPoints, std::to_string(polygon.size()));
        std::string data;
        for (const auto& [i, j] : polygon) {
          const Vec3 p = g.indexToLps(Vec3(i, j, static_cast<double>(k)));
          for (int axis = 0; axis < 3; ++axis) {
            if (!data.empty()) data += '\\';
            data += detail::decimalString(p[axis]);
          }
        }
        contour.text(DCM_ContourData, data);
      }
    }
    if (!any) contours.item().findAndDeleteElement(DCM_ContourSequence);
    detail::ItemWriter observation = w.append(DCM_RTROIObservationsSequence);
    observation.text(DCM_ObservationNumber, std::to_string(roiNumber));
    observation.text(DCM_ReferencedROINumber, std::to_string(roiNumber));
    // Empty RT ROI Interpreted Type (type 2): a segment's clinical role is not known here.
    observation.text(DCM_RTROIInterpretedType, "");
    observation.text(DCM_ROIInterpreter, "");
    const SegmentTerminology& t = segments[s].terminology;
    if (!t.type.empty()) {
      detail::ItemWriter code = observation.append(DCM_RTROIIdentificationCodeSequence);
      code.text(DCM_CodeValue, t.type.value);
      code.text(DCM_CodingSchemeDesignator, t.type.scheme);
      code.text(DCM_CodeMeaning, t.type.meaning);
      if (!t.category.empty()) code.code(DCM_SegmentedPropertyCategoryCodeSequence, t.category);
    }
    progress.report(static_cast<double>(s + 1) / static_cast<double>(segments.size()),
                    "Writing contours");
  }
  detail::saveAtomically(file, path, EXS_LittleEndianImplicit);
  return sopInstanceUid;
}

}  // namespace twinplan::io
