#include "dicom_scan_classify.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcuid.h>

#include <Eigen/Geometry>  // cross product
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

namespace twinplan::io::detail {
namespace {

struct SopClassKind {
  const char* uid;
  SeriesKind kind;
  const char* name;
};

// Objects whose SOP class alone says what they are (PS3.4 B.5).
constexpr std::array<SopClassKind, 10> kKindBySopClass = {{
    {UID_RTStructureSetStorage, SeriesKind::RtStruct, "RT Structure Set"},
    {UID_RTPlanStorage, SeriesKind::RtPlan, "RT Plan"},
    {UID_RTIonPlanStorage, SeriesKind::RtPlan, "RT Ion Plan"},
    {UID_RTDoseStorage, SeriesKind::RtDose, "RT Dose"},
    {UID_SegmentationStorage, SeriesKind::Segmentation, "Segmentation (DICOM SEG)"},
    {UID_SecondaryCaptureImageStorage, SeriesKind::SecondaryCapture, "Secondary Capture Image"},
    {UID_MultiframeSingleBitSecondaryCaptureImageStorage, SeriesKind::SecondaryCapture,
     "Multi-frame Single Bit Secondary Capture Image"},
    {UID_MultiframeGrayscaleByteSecondaryCaptureImageStorage, SeriesKind::SecondaryCapture,
     "Multi-frame Grayscale Byte Secondary Capture Image"},
    {UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage, SeriesKind::SecondaryCapture,
     "Multi-frame Grayscale Word Secondary Capture Image"},
    {UID_MultiframeTrueColorSecondaryCaptureImageStorage, SeriesKind::SecondaryCapture,
     "Multi-frame True Color Secondary Capture Image"},
}};

// When the SOP class is missing, the modality of a non-image object says the same.
struct ModalityKind {
  const char* modality;
  SeriesKind kind;
};
constexpr std::array<ModalityKind, 4> kKindByModality = {{
    {"RTSTRUCT", SeriesKind::RtStruct},
    {"RTPLAN", SeriesKind::RtPlan},
    {"RTDOSE", SeriesKind::RtDose},
    {"SEG", SeriesKind::Segmentation},
}};

// ImageType (0008,0008) values that mark scout views: LOCALIZER is a defined term of the CT
// Image Type (PS3.3 C.8.2.1.1.1); the others are vendor words for the same.
constexpr std::array<const char*, 5> kLocalizerImageTypes = {"LOCALIZER", "SCOUT", "TOPOGRAM",
                                                             "SURVIEW", "SCANOGRAM"};

// Words scanners put in series descriptions / protocol names of scouts: Siemens "Topogram",
// "localizer"; GE "Scout", "3-Plane Loc"; Philips "Survey", "SurView"; Toshiba "Scanogram".
constexpr std::array<const char*, 11> kLocalizerWords = {
    "localizer", "localiser",   "scout",       "topogram",   "surview",  "survey",
    "scanogram", "3-plane loc", "3 plane loc", "3plane loc", "tri-pilot"};

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

std::vector<std::string> imageTypeValues(const std::string& imageType) {
  std::vector<std::string> values;
  std::size_t begin = 0;
  while (true) {
    const auto end = imageType.find('\\', begin);
    std::string value = imageType.substr(begin, end - begin);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of(' ') + 1);
    values.push_back(value);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return values;
}

std::string sopClassName(const std::string& uid) {
  for (const auto& known : kKindBySopClass)
    if (uid == known.uid) return known.name;
  const char* name = dcmFindNameOfUID(uid.c_str(), nullptr);
  return name != nullptr ? std::string(name) : std::string("an unknown SOP class");
}

// The number of distinct slice planes (by normal direction) among single-frame instances.
std::size_t distinctPlaneCount(const DicomSeries& series) {
  std::vector<Vec3> normals;
  for (const auto& instance : series.instances) {
    if (!instance.imageOrientation || instance.frames > 1) continue;
    const auto& cosines = *instance.imageOrientation;
    const Vec3 row(cosines[0], cosines[1], cosines[2]);
    const Vec3 column(cosines[3], cosines[4], cosines[5]);
    const Vec3 normal = row.cross(column);
    if (normal.norm() < 0.5) continue;  // degenerate orientation: no plane to compare
    const Vec3 unit = normal.normalized();
    // 0.9999 = about 0.8 degrees: slices of one stack share one normal to far better than that.
    const bool known = std::any_of(normals.begin(), normals.end(), [&](const Vec3& seen) {
      return std::abs(seen.dot(unit)) > 0.9999;
    });
    if (!known) normals.push_back(unit);
  }
  return normals.size();
}

void setKind(DicomSeries& series, SeriesKind kind, std::string reason) {
  series.kind = kind;
  series.kindReason = std::move(reason);
}

}  // namespace

void classifySeries(DicomSeries& series, std::string_view protocolName) {
  const std::string& sopClass = series.sopClassUid;
  for (const auto& known : kKindBySopClass) {
    if (sopClass == known.uid) {
      setKind(series, known.kind,
              std::string("SOP class is ") + known.name + " (" + sopClass + ").");
      return;
    }
  }
  if (sopClass.empty()) {
    for (const auto& known : kKindByModality) {
      if (series.modality == known.modality) {
        setKind(series, known.kind, "Modality is " + series.modality + " (no SOP class given).");
        return;
      }
    }
  }

  const bool hasImage =
      std::any_of(series.instances.begin(), series.instances.end(),
                  [](const DicomInstance& i) { return i.rows > 0 && i.columns > 0; });
  if (!hasImage) {
    setKind(series, SeriesKind::Other,
            "No image: SOP class is " + sopClassName(sopClass) + " (" + sopClass +
                "), e.g. a report, presentation state or raw data.");
    return;
  }

  for (const auto& instance : series.instances) {
    for (const auto& value : imageTypeValues(instance.imageType)) {
      if (value == "SCREEN SAVE") {
        setKind(series, SeriesKind::SecondaryCapture,
                "ImageType contains SCREEN SAVE (a screenshot stored as an image).");
        return;
      }
      for (const char* marker : kLocalizerImageTypes) {
        if (value == marker) {
          setKind(series, SeriesKind::Localizer,
                  std::string("ImageType contains ") + marker + " (a scout / localizer view).");
          return;
        }
      }
    }
  }
  const std::pair<std::string_view, const char*> namings[] = {
      {series.description, "Series description"}, {protocolName, "Protocol name"}};
  for (const auto& [naming, what] : namings) {
    const std::string lower = lowercase(naming);
    for (const char* word : kLocalizerWords) {
      if (lower.find(word) != std::string::npos) {
        setKind(series, SeriesKind::Localizer,
                std::string(what) + " \"" + std::string(naming) + "\" names a scout / localizer.");
        return;
      }
    }
  }
  if (series.instances.size() >= 2) {
    if (const std::size_t planes = distinctPlaneCount(series); planes >= 2) {
      setKind(series, SeriesKind::Localizer,
              "Its slices lie in " + std::to_string(planes) +
                  " different planes (a multi-plane localizer), so they do not form one volume.");
      return;
    }
  }
  const bool placed =
      std::all_of(series.instances.begin(), series.instances.end(),
                  [](const DicomInstance& i) { return i.imagePosition_lps && i.imageOrientation; });
  if (!placed) {
    setKind(series, SeriesKind::Other,
            "Its images have no ImagePositionPatient / ImageOrientationPatient (modality " +
                (series.modality.empty() ? std::string("unknown") : series.modality) +
                "; e.g. a projection radiograph), so they cannot be placed in patient space as "
                "a volume.");
    return;
  }
  setKind(series, SeriesKind::Volume, {});
}

}  // namespace twinplan::io::detail
