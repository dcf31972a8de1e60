#pragma once
// Private to the DICOM volume loader: what stored pixel values mean physically, beyond Rescale
// Slope/Intercept. The Modality LUT (a table instead of a line, PS3.3 C.11.1) and the unit of
// the output values (Rescale Type, Real World Value Mapping, PET Units and SUV Type, Dose Units).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

class DcmItem;

namespace twinplan::io::detail {

struct FileHeader;
struct FrameHeader;

// One item of the Modality LUT Sequence (0028,3000), PS3.3 C.11.1.1.1: stored value v maps to
// entries[v - firstMapped]; values below the first entry take the first entry, values above
// the last take the last (PS3.3 C.11.1.1.1: "... shall be mapped to the first/last entry").
struct ModalityLut {
  std::int64_t firstMapped = 0;        // LUT Descriptor value 2
  std::vector<std::uint16_t> entries;  // LUT Data, one output value per entry
  std::string type;                    // Modality LUT Type (0028,3004): HU, OD, US, ...

  double operator()(std::int64_t stored) const;
  std::uint16_t lowest() const;
  std::uint16_t highest() const;
};

// The Modality LUT of a data set, or nullopt when it has no Modality LUT Sequence. A sequence
// that is present but unusable (bad descriptor, too little data) is Error(Corrupt) naming
// `where`, never silently ignored: the values would be wrong.
std::optional<ModalityLut> readModalityLut(DcmItem& dataset, bool signedPixels,
                                           const std::string& where);

// First item of a Real World Value Mapping Sequence (0040,9096), PS3.3 C.7.6.16.2.11.
struct RealWorldMapping {
  double slope = 1.0, intercept = 0.0;
  std::string unitCode;    // Measurement Units Code Sequence: Code Value (UCUM, PS3.16 CID 7181)
  std::string unitScheme;  // its Coding Scheme Designator
};

// Reads the first item of (0040,9096) in `item`, or nullopt. Items mapping through a LUT
// (Real World Value LUT Data) instead of a slope/intercept are ignored (nullopt).
std::optional<RealWorldMapping> readRealWorldMapping(DcmItem& item);

// What a PET file says about its injection and scan, for body-weight SUV (PS3.3 C.8.9.1 PET
// Series and PET Isotope modules; C.7.1.3 Patient Study module for the weight).
struct PetSuvHeader {
  std::string seriesDate, seriesTime;            // DA, TM (0008,0021/0031)
  std::string acquisitionDate, acquisitionTime;  // DA, TM (0008,0022/0032)
  std::string injectionDateTime, injectionTime;  // DT (0018,1078) or TM (0018,1072)
  std::string decayCorrection;                   // (0054,1102): START, ADMIN or NONE
  std::optional<double> weight_kg, totalDose_Bq, halfLife_s;
};

PetSuvHeader readPetSuvHeader(DcmItem& dataset);

// Seconds since 1970-01-01 (a day count and a time of day; no time zone, as DICOM DA/TM/DT
// values are local times) of a DA + TM pair or a DT value; nullopt when malformed.
std::optional<double> dicomSeconds(const std::string& date, const std::string& time);
std::optional<double> dicomDateTimeSeconds(const std::string& dateTime);

// Factor from Bq/ml to body-weight SUV (g/ml) for the chosen PET frames, following the QIBA
// SUV pseudocode (QIBA FDG-PET/CT profile; Kinahan & Fletcher, Semin Ultrasound CT MR 2010):
// SUVbw = C[Bq/ml] x weight[g] / injected dose decayed to the decay-correction reference time.
// DecayCorrection START: the reference is the scan start, Series Date/Time, or the earliest
// Acquisition Date/Time when a scanner wrote a series time after it (reported); ADMIN: the
// injection time (no decay). Missing weight, dose, half-life or times, Units other than BQML
// or DecayCorrection NONE are Error(InvalidInput / Unsupported) naming the attribute.
double bodyWeightSuvPerBqMl(const std::vector<FileHeader>& files,
                            const std::vector<const FrameHeader*>& slices,
                            std::vector<std::string>& assumptions);

// The unit of the loaded voxel values (ImageVolume::unit), from the modality and the chosen
// frames' headers: CT -> "HU"; RTDOSE -> Dose Units; PT -> Units (GML with its SUV Type);
// others -> the Real World Value Mapping's UCUM unit when that mapping is the rescale the
// loader applied, else a defined Rescale Type / Modality LUT Type, else "" (unknown). Adds a
// sentence to `assumptions` where it had to decide between differing frames.
std::string voxelUnit(const std::vector<FileHeader>& files,
                      const std::vector<const FrameHeader*>& slices,
                      std::vector<std::string>& assumptions);

// Pixel Padding Value (0028,0120) and Pixel Padding Range Limit (0028,0121) of a data set as a
// closed range of stored values, low <= high (PS3.3 C.7.5.1.1.2: without a range limit only
// the value itself is padding; the limit may lie on either side of the value). Both are US or
// SS like the pixels (Pixel Representation), so an unsigned word in a signed image is read as
// two's complement. nullopt without a Pixel Padding Value.
std::optional<std::pair<std::int64_t, std::int64_t>> readPixelPadding(DcmItem& dataset,
                                                                      bool signedPixels);

// The padding range of the loaded voxels, in output units: each chosen frame's stored padding
// range through its Modality LUT (lowest to highest entry over the range) or its rescale line
// (slope, intercept; a negative slope swaps the ends), joined over the frames. nullopt when no
// chosen frame's file has padding.
std::optional<std::pair<double, double>> paddingRange(
    const std::vector<FileHeader>& files, const std::vector<const FrameHeader*>& slices);

}  // namespace twinplan::io::detail
