// What stored DICOM pixel values mean physically: Modality LUT and the unit of the output
// values (dicom_values.h).
#include "dicom_values.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "dicom_attributes.h"
#include "twinplan/core/error.h"
#include "volume_frames.h"

namespace twinplan::io::detail {
namespace {

std::string trimmed(DcmItem& item, const DcmTagKey& tag) { return text(item, tag); }

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
  // Only UCUM codes are units; other schemes' code values are not names of units.
  if (const auto& rw = frame.realWorld; rw && !rw->unitCode.empty() && rw->unitScheme == "UCUM") {
    const bool ours =
        sameLine(rw->slope, rw->intercept, frame.rescaleSlope, frame.rescaleIntercept);
    if (ours) return rw->unitCode == "1" ? std::string() : rw->unitCode;
    if (rw->unitCode != "1") otherRealWorldUnits.insert(rw->unitCode);
  }
  return unitOfRescaleType(frame.rescaleType);
}

// Digits of a DA/TM/DT value from `pos`, `count` of them; nullopt when not all digits.
std::optional<int> digits(const std::string& s, std::size_t pos, std::size_t count) {
  if (s.size() < pos + count) return std::nullopt;
  int value = 0;
  for (std::size_t n = pos; n < pos + count; ++n) {
    if (s[n] < '0' || s[n] > '9') return std::nullopt;
    value = value * 10 + (s[n] - '0');
  }
  return value;
}

// Days since 1970-01-01 of a DA value YYYYMMDD (PS3.5 6.2).
std::optional<double> dayNumber(const std::string& date) {
  const auto y = digits(date, 0, 4), m = digits(date, 4, 2), d = digits(date, 6, 2);
  if (!y || !m || !d) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*y),
                                        std::chrono::month(static_cast<unsigned>(*m)),
                                        std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<double>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

// Seconds since midnight of a TM value HH[MM[SS[.F{1,6}]]] (PS3.5 6.2); the retired
// HH:MM:SS form (ACR-NEMA) is accepted too.
std::optional<double> secondOfDay(std::string time) {
  time.erase(std::remove(time.begin(), time.end(), ':'), time.end());
  while (!time.empty() && time.back() == ' ') time.pop_back();
  const auto h = digits(time, 0, 2);
  if (!h || *h > 23) return std::nullopt;
  const int m = time.size() >= 4 ? digits(time, 2, 2).value_or(-1) : 0;
  double s = time.size() >= 6 ? digits(time, 4, 2).value_or(-1) : 0;
  if (m < 0 || m > 59 || s < 0 || s > 60) return std::nullopt;
  if (time.size() > 7 && time[6] == '.') {
    double scale = 0.1;
    for (std::size_t n = 7; n < time.size() && time[n] >= '0' && time[n] <= '9'; ++n) {
      s += (time[n] - '0') * scale;
      scale /= 10;
    }
  } else if (time.size() > 6) {
    return std::nullopt;
  }
  return *h * 3600.0 + m * 60.0 + s;
}

Error cannotComputeSuv(const FileHeader& file, const std::string& why) {
  return Error(ErrorKind::InvalidInput,
               "Body-weight SUV cannot be computed for " + file.file.string() + ": " + why +
                   ". Load the PET in Bq/ml (without SUV conversion) or complete the header.",
               file.file.string());
}

}  // namespace

PetSuvHeader readPetSuvHeader(DcmItem& dataset) {
  PetSuvHeader pet;
  pet.seriesDate = trimmed(dataset, DCM_SeriesDate);
  pet.seriesTime = trimmed(dataset, DCM_SeriesTime);
  pet.acquisitionDate = trimmed(dataset, DCM_AcquisitionDate);
  pet.acquisitionTime = trimmed(dataset, DCM_AcquisitionTime);
  pet.decayCorrection = trimmed(dataset, DCM_DecayCorrection);
  auto positive = [](DcmItem& item, const DcmTagKey& tag) -> std::optional<double> {
    Float64 v = 0;
    if (item.findAndGetFloat64(tag, v).bad() || !std::isfinite(v) || v <= 0) return std::nullopt;
    return v;
  };
  pet.weight_kg = positive(dataset, DCM_PatientWeight);
  DcmItem* isotope = nullptr;
  if (dataset.findAndGetSequenceItem(DCM_RadiopharmaceuticalInformationSequence, isotope, 0)
          .good() &&
      isotope) {
    pet.injectionDateTime = trimmed(*isotope, DCM_RadiopharmaceuticalStartDateTime);
    pet.injectionTime = trimmed(*isotope, DCM_RadiopharmaceuticalStartTime);
    pet.totalDose_Bq = positive(*isotope, DCM_RadionuclideTotalDose);
    pet.halfLife_s = positive(*isotope, DCM_RadionuclideHalfLife);
  }
  return pet;
}

std::optional<double> dicomSeconds(const std::string& date, const std::string& time) {
  const auto day = dayNumber(date);
  const auto second = secondOfDay(time);
  if (!day || !second) return std::nullopt;
  return *day * 86400.0 + *second;
}

std::optional<double> dicomDateTimeSeconds(const std::string& dateTime) {
  // YYYYMMDDHHMMSS.FFFFFF&ZZXX (PS3.5 6.2): the offset from UTC is dropped, as for DA/TM.
  std::string value = dateTime;
  if (const auto zone = value.find_first_of("+-"); zone != std::string::npos) value.resize(zone);
  if (value.size() < 10) return std::nullopt;  // a DT needs at least the hour here
  return dicomSeconds(value.substr(0, 8), value.substr(8));
}

double bodyWeightSuvPerBqMl(const std::vector<FileHeader>& files,
                            const std::vector<const FrameHeader*>& slices,
                            std::vector<std::string>& assumptions) {
  const FileHeader& file = files[slices.front()->fileIndex];
  const PetSuvHeader& pet = file.pet;
  if (file.units != "BQML") {
    throw cannotComputeSuv(file, "its Units (0054,1001) are '" + file.units +
                                     "', not BQML (activity concentration in Bq/ml)");
  }
  if (!pet.weight_kg) throw cannotComputeSuv(file, "Patient's Weight (0010,1030) is missing");
  if (!pet.totalDose_Bq) {
    throw cannotComputeSuv(file, "Radionuclide Total Dose (0018,1074) is missing");
  }
  const double grams = *pet.weight_kg * 1000.0;
  if (pet.decayCorrection == "ADMIN") return grams / *pet.totalDose_Bq;
  if (pet.decayCorrection != "START") {
    throw Error(ErrorKind::Unsupported,
                file.file.string() + " has Decay Correction (0054,1102) '" + pet.decayCorrection +
                    "': its slices are not decay corrected to one time, so one SUV factor does "
                    "not fit them. Load the PET in Bq/ml.",
                file.file.string());
  }
  if (!pet.halfLife_s)
    throw cannotComputeSuv(file, "Radionuclide Half Life (0018,1075) is missing");
  auto injection = dicomDateTimeSeconds(pet.injectionDateTime);
  if (!injection) injection = dicomSeconds(pet.seriesDate, pet.injectionTime);
  if (!injection) {
    throw cannotComputeSuv(file,
                           "the injection time (Radiopharmaceutical Start DateTime "
                           "(0018,1078) or Start Time (0018,1072)) is missing or malformed");
  }
  auto scanStart = dicomSeconds(pet.seriesDate, pet.seriesTime);
  if (!scanStart) {
    throw cannotComputeSuv(file, "Series Date/Time (0008,0021/0031) is missing or malformed");
  }
  // QIBA: a series time after the earliest acquisition time was rewritten by post-processing
  // (seen on GE scanners); the earliest acquisition time is then the scan start.
  std::optional<double> earliestAcquisition;
  for (const FrameHeader* frame : slices) {
    const PetSuvHeader& p = files[frame->fileIndex].pet;
    if (const auto t = dicomSeconds(p.acquisitionDate, p.acquisitionTime)) {
      earliestAcquisition = std::min(earliestAcquisition.value_or(*t), *t);
    }
  }
  if (earliestAcquisition && *earliestAcquisition < *scanStart) {
    assumptions.push_back(
        "The PET Series Time is after its earliest Acquisition Time; the "
        "acquisition time was taken as the scan start for SUV decay "
        "correction (QIBA).");
    scanStart = earliestAcquisition;
  }
  const double decay_s = *scanStart - *injection;
  if (decay_s < 0) {
    throw cannotComputeSuv(file, "the injection time is after the scan start");
  }
  const double decayedDose_Bq = *pet.totalDose_Bq * std::exp2(-decay_s / *pet.halfLife_s);
  return grams / decayedDose_Bq;
}

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

namespace {
std::optional<std::int64_t> paddingWord(DcmItem& dataset, const DcmTagKey& tag, bool signedPixels) {
  DcmElement* element = nullptr;
  if (dataset.findAndGetElement(tag, element).bad() || !element || element->getVM() < 1)
    return std::nullopt;
  if (element->ident() == EVR_SS) {
    Sint16 value = 0;
    if (element->getSint16(value).bad()) return std::nullopt;
    return value;
  }
  Uint16 word = 0;
  if (element->getUint16(word).bad()) return std::nullopt;
  return signedPixels ? static_cast<std::int64_t>(static_cast<std::int16_t>(word))
                      : static_cast<std::int64_t>(word);
}
}  // namespace

std::optional<std::pair<std::int64_t, std::int64_t>> readPixelPadding(DcmItem& dataset,
                                                                      bool signedPixels) {
  const auto value = paddingWord(dataset, DCM_PixelPaddingValue, signedPixels);
  if (!value) return std::nullopt;
  const std::int64_t limit =
      paddingWord(dataset, DCM_PixelPaddingRangeLimit, signedPixels).value_or(*value);
  return std::pair{std::min(*value, limit), std::max(*value, limit)};
}

std::optional<std::pair<double, double>> paddingRange(
    const std::vector<FileHeader>& files, const std::vector<const FrameHeader*>& slices) {
  std::optional<std::pair<double, double>> joined;
  for (const FrameHeader* frame : slices) {
    const FileHeader& file = files[frame->fileIndex];
    if (!file.paddingStored) continue;
    const auto [storedLow, storedHigh] = *file.paddingStored;
    double low = 0.0, high = 0.0;
    if (file.modalityLut) {
      low = std::numeric_limits<double>::max();
      high = std::numeric_limits<double>::lowest();
      // A Modality LUT is at most 65536 entries, so the walk is short; values beyond the table
      // map to its ends (PS3.3 C.11.1.1.1).
      const std::int64_t from = std::max(storedLow, file.modalityLut->firstMapped - 1);
      const std::int64_t to =
          std::min(storedHigh, file.modalityLut->firstMapped +
                                   static_cast<std::int64_t>(file.modalityLut->entries.size()));
      for (std::int64_t v = std::min(from, storedHigh); v <= std::max(to, storedLow); ++v) {
        low = std::min(low, (*file.modalityLut)(v));
        high = std::max(high, (*file.modalityLut)(v));
      }
    } else {
      const double a =
          static_cast<double>(storedLow) * frame->rescaleSlope + frame->rescaleIntercept;
      const double b =
          static_cast<double>(storedHigh) * frame->rescaleSlope + frame->rescaleIntercept;
      low = std::min(a, b);
      high = std::max(a, b);
    }
    joined = joined ? std::pair{std::min(joined->first, low), std::max(joined->second, high)}
                    : std::pair{low, high};
  }
  return joined;
}

}  // namespace twinplan::io::detail
