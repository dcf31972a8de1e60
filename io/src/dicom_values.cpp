// What stored DICOM pixel values mean physically: Modality LUT and the unit of the output
// values (dicom_values.h).
#include "dicom_values.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "twinplan/core/error.h"
#include "volume_frames.h"

namespace twinplan::io::detail {
namespace {

std::string trimmed(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  std::string s = value.c_str();
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  return s;
}

// One value of an element whose VR is US or SS (LUT Descriptor, PS3.3 C.11.1.1.1).
std::optional<long> usOrSs(DcmElement& element, unsigned long pos) {
  Uint16 u = 0;
  if (element.getUint16(u, pos).good()) return u;
  Sint16 s = 0;
  if (element.getSint16(s, pos).good()) return s;
  return std::nullopt;
}

Error corruptLut(const std::string& where, const std::string& what) {
  return Error(ErrorKind::Corrupt,
               "The Modality LUT Sequence (0028,3000) of " + where + " cannot be used: " + what +
                   ". Without it the pixel values cannot be converted to the modality's "
                   "quantity; re-export the image with Rescale Slope/Intercept or a valid LUT.",
               where);
}

// Rescale Type (0028,1054) and Modality LUT Type (0028,3004) defined terms, PS3.3 C.11.1.1.2,
// as unit strings. US ("unspecified") and terms that are not units give "".
std::string unitOfRescaleType(const std::string& type) {
  static const std::map<std::string, std::string> kUnits = {
      {"HU", "HU"},          // Hounsfield units
      {"HU_MOD", "HU"},      // modified Hounsfield units
      {"OD", "OD"},          // optical density
      {"MGML", "mg/ml"},     // milligrams per millilitre
      {"PCT", "%"},          // percentage
      {"Z_EFF", "Zeff"},     // effective atomic number
      {"ED", "10^23 e/ml"},  // electron density, 10^23 electrons per millilitre
      {"EDW", "EDW"},        // electron density relative to water
  };
  const auto it = kUnits.find(type);
  return it == kUnits.end() ? std::string() : it->second;
}

// PET Units (0054,1001), PS3.3 C.8.9.1.1.3, with SUV Type (0054,1006) for the SUV units
// (GML: g/ml, CM2ML: cm2/ml). A GML image without SUV Type is taken as body-weight SUV, the
// usual meaning, and says so.
std::string petUnit(const FileHeader& file, std::vector<std::string>& assumptions) {
  const std::string& units = file.units;
  if (units == "GML" || units == "CM2ML") {
    static const std::map<std::string, std::string> kSuv = {
        {"BW", "SUVbw"}, {"LBM", "SUVlbm"}, {"IBW", "SUVibw"}, {"BSA", "SUVbsa"}};
    if (const auto it = kSuv.find(file.suvType); it != kSuv.end()) return it->second;
    if (units == "CM2ML") return "cm2/ml";
    assumptions.push_back(
        "PET Units GML without SUV Type (0054,1006): voxel values are taken as "
        "body-weight SUV (g/ml).");
    return "SUVbw";
  }
  static const std::map<std::string, std::string> kUnits = {{"BQML", "Bq/ml"},
                                                            {"CNTS", "counts"},
                                                            {"CPS", "counts/s"},
                                                            {"PCNT", "%"},
                                                            {"MLMING", "ml/min/g"},
                                                            {"MLG", "ml/g"},
                                                            {"1CM", "1/cm"},
                                                            {"UMOLML", "umol/ml"},
                                                            {"MGMINML", "mg/min/ml"},
                                                            {"UMOLMINML", "umol/min/ml"},
                                                            {"MLMINML", "ml/min/ml"},
                                                            {"MLML", "ml/ml"},
                                                            {"NONE", ""}};
  const auto it = kUnits.find(units);
  return it == kUnits.end() ? units : it->second;
}

bool sameLine(double slopeA, double interceptA, double slopeB, double interceptB) {
  auto close = [](double a, double b) {
    return std::abs(a - b) <= 1e-6 * std::max({1.0, std::abs(a), std::abs(b)});
  };
  return close(slopeA, slopeB) && close(interceptA, interceptB);
}

// The unit of one frame's output values (not CT, PT or RTDOSE). Real World Value Mapping
// (PS3.3 C.7.6.16.2.11) names its unit in UCUM; it describes our voxels only when its line is
// the rescale the loader applied. UCUM "1" (no units) says nothing physical and gives "".
std::string frameUnit(const FileHeader& file, const FrameHeader& frame,
                      std::set<std::string>& otherRealWorldUnits) {
  if (file.modalityLut) return unitOfRescaleType(file.modalityLut->type);
  if (const auto& rw = frame.realWorld; rw && !rw->unitCode.empty()) {
    const bool ours =
        sameLine(rw->slope, rw->intercept, frame.rescaleSlope, frame.rescaleIntercept);
    if (ours) return rw->unitCode == "1" ? std::string() : rw->unitCode;
    if (rw->unitCode != "1") otherRealWorldUnits.insert(rw->unitCode);
  }
  return unitOfRescaleType(frame.rescaleType);
}

}  // namespace

double ModalityLut::operator()(std::int64_t stored) const {
  const std::int64_t last = static_cast<std::int64_t>(entries.size()) - 1;
  const std::int64_t index = std::clamp(stored - firstMapped, std::int64_t{0}, last);
  return entries[static_cast<std::size_t>(index)];
}

std::uint16_t ModalityLut::lowest() const {
  return *std::min_element(entries.begin(), entries.end());
}

std::uint16_t ModalityLut::highest() const {
  return *std::max_element(entries.begin(), entries.end());
}

std::optional<ModalityLut> readModalityLut(DcmItem& dataset, bool signedPixels,
                                           const std::string& where) {
  DcmItem* item = nullptr;
  if (dataset.findAndGetSequenceItem(DCM_ModalityLUTSequence, item, 0).bad() || !item) {
    return std::nullopt;
  }
  DcmElement* descriptor = nullptr;
  if (item->findAndGetElement(DCM_LUTDescriptor, descriptor).bad() || !descriptor ||
      descriptor->getVM() != 3) {
    throw corruptLut(where, "its LUT Descriptor (0028,3002) is missing or does not have 3 values");
  }
  const auto count = usOrSs(*descriptor, 0), first = usOrSs(*descriptor, 1),
             bits = usOrSs(*descriptor, 2);
  if (!count || !first || !bits || (*bits != 8 && *bits != 16)) {
    throw corruptLut(where,
                     "its LUT Descriptor (0028,3002) must give entries, first value "
                     "mapped and 8 or 16 bits per entry");
  }
  ModalityLut lut;
  // PS3.3 C.11.1.1.1: 0 entries means 2^16; the first value mapped is signed (SS) when Pixel
  // Representation is 1, even where the descriptor was encoded as US.
  const std::size_t entries = *count == 0 ? 65536 : static_cast<std::size_t>(*count & 0xFFFF);
  lut.firstMapped = signedPixels ? static_cast<Sint16>(*first & 0xFFFF) : (*first & 0xFFFF);
  lut.type = trimmed(*item, DCM_ModalityLUTType);

  DcmElement* data = nullptr;
  Uint16* words = nullptr;
  if (item->findAndGetElement(DCM_LUTData, data).bad() || !data ||
      data->getUint16Array(words).bad() || !words) {
    throw corruptLut(where, "it has no LUT Data (0028,3006)");
  }
  const std::size_t wordCount = data->getLength() / 2;
  lut.entries.resize(entries);
  if (wordCount >= entries) {  // one entry per 16-bit word (US, or OW with 16-bit entries)
    const Uint16 mask = *bits == 8 ? 0x00FF : 0xFFFF;
    for (std::size_t n = 0; n < entries; ++n) lut.entries[n] = words[n] & mask;
  } else if (*bits == 8 && 2 * wordCount >= entries) {  // 8-bit entries packed two per word
    for (std::size_t n = 0; n < entries; ++n) {
      lut.entries[n] = (n % 2 == 0) ? (words[n / 2] & 0xFF) : (words[n / 2] >> 8);
    }
  } else {
    throw corruptLut(where, "its LUT Data holds " + std::to_string(wordCount) +
                                " words but the descriptor declares " + std::to_string(entries) +
                                " entries");
  }
  return lut;
}

std::optional<RealWorldMapping> readRealWorldMapping(DcmItem& item) {
  DcmItem* mapping = nullptr;
  if (item.findAndGetSequenceItem(DCM_RealWorldValueMappingSequence, mapping, 0).bad() ||
      !mapping) {
    return std::nullopt;
  }
  Float64 slope = 0, intercept = 0;
  if (mapping->findAndGetFloat64(DCM_RealWorldValueSlope, slope).bad() ||
      mapping->findAndGetFloat64(DCM_RealWorldValueIntercept, intercept).bad() ||
      !std::isfinite(slope) || !std::isfinite(intercept)) {
    return std::nullopt;
  }
  RealWorldMapping rw;
  rw.slope = slope;
  rw.intercept = intercept;
  DcmItem* unit = nullptr;
  if (mapping->findAndGetSequenceItem(DCM_MeasurementUnitsCodeSequence, unit, 0).good() && unit) {
    rw.unitCode = trimmed(*unit, DCM_CodeValue);
    rw.unitScheme = trimmed(*unit, DCM_CodingSchemeDesignator);
  }
  return rw;
}

std::string voxelUnit(const std::vector<FileHeader>& files,
                      const std::vector<const FrameHeader*>& slices,
                      std::vector<std::string>& assumptions) {
  const FileHeader& first = files[slices.front()->fileIndex];
  // CT Image module: rescaled values are Hounsfield units (PS3.3 C.8.2.1.1).
  if (first.modality == "CT") return "HU";
  // RT Dose: stored value x Dose Grid Scaling is in Dose Units (PS3.3 C.8.8.3).
  if (first.modality == "RTDOSE") return first.doseUnits == "GY" ? "Gy" : first.doseUnits;
  if (first.modality == "PT") return petUnit(first, assumptions);

  std::set<std::string> units, otherRealWorldUnits;
  for (const FrameHeader* frame : slices) {
    units.insert(frameUnit(files[frame->fileIndex], *frame, otherRealWorldUnits));
  }
  if (units.size() > 1) {
    std::string list;
    for (const auto& u : units) list += (list.empty() ? "'" : ", '") + u + "'";
    assumptions.push_back("The slices declare different units (" + list +
                          "); the volume's unit is left unknown.");
    return {};
  }
  if (!otherRealWorldUnits.empty()) {
    assumptions.push_back("The Real World Value Mapping (0040,9096) maps stored values to " +
                          *otherRealWorldUnits.begin() +
                          " with another slope/intercept than Rescale Slope/Intercept; the "
                          "voxels hold the rescaled values, not " +
                          *otherRealWorldUnits.begin() + ".");
  }
  return *units.begin();
}

}  // namespace twinplan::io::detail
