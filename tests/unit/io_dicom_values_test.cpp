// What loaded voxel values mean: the Modality LUT (PS3.3 C.11.1) and the unit of the values
// (Rescale Type, Real World Value Mapping, PET Units and SUV Type), on small series written
// with DCMTK whose answers are known. DCMTK's own image module (dcmimgle), which applies the
// Modality LUT independently of our loader, is a second reference.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrobow.h>
#include <dcmtk/dcmdata/dcvrus.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmimgle/dipixel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <optional>
#include <sstream>

#include "test_support.h"
#include "twinplan/io/dicom_volume.h"

namespace twinplan {
namespace {

using twinplan::test::TempDir;
namespace fs = std::filesystem;

constexpr int kRows = 4, kColumns = 5;

struct Lut {
  std::array<Uint16, 3> descriptor{};  // entries, first value mapped, bits (PS3.3 C.11.1.1.1)
  std::vector<Uint16> data;
  DcmEVR dataVr = EVR_OW;  // LUT Data is US or OW
  std::string type;
};

struct RealWorld {
  double slope = 1.0, intercept = 0.0;
  std::string unit, scheme = "UCUM";
};

struct Slice {
  std::string modality = "MR";
  double z_mm = 0.0;
  bool isSigned = false;
  std::string photometric = "MONOCHROME2";
  std::optional<std::pair<double, double>> rescale;  // slope, intercept
  std::string rescaleType;
  std::optional<Lut> lut;
  std::optional<RealWorld> realWorld;
  std::string petUnits, suvType;
  struct Pet {
    std::string weight_kg = "75", totalDose_Bq = "370000000", halfLife_s = "6586.2";
    std::string injectionTime = "100000", injectionDateTime;
    std::string seriesDate = "20260101", seriesTime = "110000";
    std::string acquisitionTime = "110000", decayCorrection = "START";
  };
  std::optional<Pet> pet;
  std::function<int(int i, int j)> stored = [](int i, int j) { return i + kColumns * j; };
};

std::string ds(double v) {
  std::ostringstream s;
  s.precision(12);
  s << v;
  return s.str();
}

const char* sopClass(const std::string& modality) {
  if (modality == "CT") return UID_CTImageStorage;
  if (modality == "PT") return UID_PositronEmissionTomographyImageStorage;
  return UID_MRImageStorage;
}

void putRealWorld(DcmDataset& d, const RealWorld& rw) {
  DcmItem* item = nullptr;
  ASSERT_TRUE(d.findOrCreateSequenceItem(DCM_RealWorldValueMappingSequence, item, 0).good());
  item->putAndInsertFloat64(DCM_RealWorldValueSlope, rw.slope);
  item->putAndInsertFloat64(DCM_RealWorldValueIntercept, rw.intercept);
  item->putAndInsertUint16(DCM_RealWorldValueFirstValueMapped, 0);
  item->putAndInsertUint16(DCM_RealWorldValueLastValueMapped, 4095);
  item->putAndInsertString(DCM_LUTLabel, "TEST");
  item->putAndInsertString(DCM_LUTExplanation, "test mapping");
  DcmItem* unit = nullptr;
  ASSERT_TRUE(item->findOrCreateSequenceItem(DCM_MeasurementUnitsCodeSequence, unit, 0).good());
  unit->putAndInsertString(DCM_CodeValue, rw.unit.c_str());
  unit->putAndInsertString(DCM_CodingSchemeDesignator, rw.scheme.c_str());
  unit->putAndInsertString(DCM_CodeMeaning, rw.unit.c_str());
}

void putPet(DcmDataset& d, const Slice::Pet& pet) {
  auto put = [](DcmItem& item, const DcmTagKey& tag, const std::string& value) {
    if (!value.empty()) item.putAndInsertString(tag, value.c_str());
  };
  put(d, DCM_PatientWeight, pet.weight_kg);
  put(d, DCM_SeriesDate, pet.seriesDate);
  put(d, DCM_SeriesTime, pet.seriesTime);
  put(d, DCM_AcquisitionDate, pet.seriesDate);
  put(d, DCM_AcquisitionTime, pet.acquisitionTime);
  put(d, DCM_DecayCorrection, pet.decayCorrection);
  put(d, DCM_CorrectedImage, "ATTN\\DECY");
  DcmItem* isotope = nullptr;
  ASSERT_TRUE(
      d.findOrCreateSequenceItem(DCM_RadiopharmaceuticalInformationSequence, isotope, 0).good());
  put(*isotope, DCM_RadionuclideTotalDose, pet.totalDose_Bq);
  put(*isotope, DCM_RadionuclideHalfLife, pet.halfLife_s);
  put(*isotope, DCM_RadiopharmaceuticalStartTime, pet.injectionTime);
  put(*isotope, DCM_RadiopharmaceuticalStartDateTime, pet.injectionDateTime);
}

void putLut(DcmDataset& d, const Lut& lut) {
  DcmItem* item = nullptr;
  ASSERT_TRUE(d.findOrCreateSequenceItem(DCM_ModalityLUTSequence, item, 0).good());
  // The dictionary gives both elements a choice of VRs: written with explicit ones.
  auto* descriptor = new DcmUnsignedShort(DcmTag(DCM_LUTDescriptor, EVR_US));
  ASSERT_TRUE(descriptor->putUint16Array(lut.descriptor.data(), 3).good());
  ASSERT_TRUE(item->insert(descriptor, true).good());
  if (!lut.type.empty()) item->putAndInsertString(DCM_ModalityLUTType, lut.type.c_str());
  DcmElement* data =
      lut.dataVr == EVR_US
          ? static_cast<DcmElement*>(new DcmUnsignedShort(DcmTag(DCM_LUTData, EVR_US)))
          : new DcmOtherByteOtherWord(DcmTag(DCM_LUTData, EVR_OW));
  ASSERT_TRUE(
      data->putUint16Array(lut.data.data(), static_cast<unsigned long>(lut.data.size())).good());
  ASSERT_TRUE(item->insert(data, true).good());
}

void writeSlice(const Slice& s, int instance, const fs::path& path) {
  DcmFileFormat file;
  DcmDataset* d = file.getDataset();
  char uid[100];
  d->putAndInsertString(DCM_SOPClassUID, sopClass(s.modality));
  d->putAndInsertString(DCM_SOPInstanceUID,
                        dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
  d->putAndInsertString(DCM_StudyInstanceUID, "1.2.826.0.1.3680043.2.1125.7.1");
  d->putAndInsertString(DCM_SeriesInstanceUID, "1.2.826.0.1.3680043.2.1125.7.2");
  d->putAndInsertString(DCM_FrameOfReferenceUID, "1.2.826.0.1.3680043.2.1125.7.3");
  d->putAndInsertString(DCM_Modality, s.modality.c_str());
  d->putAndInsertString(DCM_PatientName, "Values^Phantom");
  d->putAndInsertString(DCM_PatientID, "TP-VALUES");
  d->putAndInsertString(DCM_InstanceNumber, std::to_string(instance).c_str());
  d->putAndInsertString(DCM_ImagePositionPatient, ("0\\0\\" + ds(s.z_mm)).c_str());
  d->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
  d->putAndInsertString(DCM_PixelSpacing, "1\\1");
  d->putAndInsertUint16(DCM_Rows, kRows);
  d->putAndInsertUint16(DCM_Columns, kColumns);
  d->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  d->putAndInsertString(DCM_PhotometricInterpretation, s.photometric.c_str());
  d->putAndInsertUint16(DCM_BitsAllocated, 16);
  d->putAndInsertUint16(DCM_BitsStored, 16);
  d->putAndInsertUint16(DCM_HighBit, 15);
  d->putAndInsertUint16(DCM_PixelRepresentation, s.isSigned ? 1 : 0);
  if (s.rescale) {
    d->putAndInsertString(DCM_RescaleSlope, ds(s.rescale->first).c_str());
    d->putAndInsertString(DCM_RescaleIntercept, ds(s.rescale->second).c_str());
  }
  if (!s.rescaleType.empty()) d->putAndInsertString(DCM_RescaleType, s.rescaleType.c_str());
  if (s.lut) putLut(*d, *s.lut);
  if (s.realWorld) putRealWorld(*d, *s.realWorld);
  if (!s.petUnits.empty()) d->putAndInsertString(DCM_Units, s.petUnits.c_str());
  if (!s.suvType.empty()) d->putAndInsertString(DCM_SUVType, s.suvType.c_str());
  if (s.pet) putPet(*d, *s.pet);
  std::vector<Uint16> pixels(static_cast<std::size_t>(kRows) * kColumns);
  for (int j = 0; j < kRows; ++j)
    for (int i = 0; i < kColumns; ++i)
      pixels[static_cast<std::size_t>(j) * kColumns + i] = static_cast<Uint16>(s.stored(i, j));
  d->putAndInsertUint16Array(DCM_PixelData, pixels.data(),
                             static_cast<unsigned long>(pixels.size()));
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good()) << path;
}

std::vector<fs::path> writeSeries(const TempDir& dir, const std::vector<Slice>& slices) {
  std::vector<fs::path> files;
  for (std::size_t n = 0; n < slices.size(); ++n) {
    files.push_back(dir / ("IM" + std::to_string(n) + ".dcm"));
    writeSlice(slices[n], static_cast<int>(n + 1), files.back());
  }
  return files;
}

ImageVolume loadOne(const Slice& s) {
  TempDir dir;
  return io::loadVolume(writeSeries(dir, {s}));
}

bool mentions(const ImageVolume& v, const std::string& words) {
  return std::any_of(v.assumptions.begin(), v.assumptions.end(),
                     [&](const std::string& a) { return a.find(words) != std::string::npos; });
}

// A non-linear table: entry n = 1000 + 3 n^2, for 16 entries starting at stored value 5.
Lut quadraticLut(Uint16 firstMapped = 5) {
  Lut lut;
  lut.descriptor = {16, firstMapped, 16};
  for (int n = 0; n < 16; ++n) lut.data.push_back(static_cast<Uint16>(1000 + 3 * n * n));
  lut.type = "OD";
  return lut;
}

// The output of DCMTK's image module after its modality transform (Modality LUT or rescale).
std::vector<double> dcmtkModalityValues(const fs::path& file) {
  DicomImage image(file.c_str());
  EXPECT_EQ(image.getStatus(), EIS_Normal) << DicomImage::getString(image.getStatus());
  const DiPixel* inter = image.getInterData();
  if (!inter) return {};
  std::vector<double> values(inter->getCount());
  const void* data = inter->getData();
  for (std::size_t n = 0; n < values.size(); ++n) {
    switch (inter->getRepresentation()) {
      case EPR_Uint8:
        values[n] = static_cast<const Uint8*>(data)[n];
        break;
      case EPR_Sint8:
        values[n] = static_cast<const Sint8*>(data)[n];
        break;
      case EPR_Uint16:
        values[n] = static_cast<const Uint16*>(data)[n];
        break;
      case EPR_Sint16:
        values[n] = static_cast<const Sint16*>(data)[n];
        break;
      case EPR_Uint32:
        values[n] = static_cast<const Uint32*>(data)[n];
        break;
      case EPR_Sint32:
        values[n] = static_cast<const Sint32*>(data)[n];
        break;
    }
  }
  return values;
}

TEST(ModalityLut, StoredValuesMapThroughTheTableAndClampOutsideIt) {
  Slice s;
  s.lut = quadraticLut();
  const ImageVolume v = loadOne(s);
  ASSERT_EQ(v.pixelType(), PixelType::UInt16);
  // Stored value i + 5 j runs 0..19; 0..4 lie below the table, 20 would lie above it.
  for (int j = 0; j < kRows; ++j) {
    for (int i = 0; i < kColumns; ++i) {
      const int stored = i + kColumns * j;
      const int n = std::clamp(stored - 5, 0, 15);
      EXPECT_EQ(v.valueAt(i, j, 0), 1000 + 3 * n * n) << "stored " << stored;
    }
  }
  EXPECT_EQ(v.unit, "OD");  // Modality LUT Type OD, optical density (PS3.3 C.11.1.1.2)
}

TEST(ModalityLut, AgreesWithDcmtkImageModule) {
  TempDir dir;
  Slice s;
  s.lut = quadraticLut();
  s.stored = [](int i, int j) { return 4 * i + 3 * j; };  // 0..25: below, in and above the table
  s.lut->dataVr = EVR_US;
  const auto files = writeSeries(dir, {s});
  const ImageVolume v = io::loadVolume(files);
  const std::vector<double> reference = dcmtkModalityValues(files.front());
  ASSERT_EQ(reference.size(), static_cast<std::size_t>(kRows * kColumns));
  for (int j = 0; j < kRows; ++j)
    for (int i = 0; i < kColumns; ++i)
      EXPECT_EQ(v.valueAt(i, j, 0), reference[static_cast<std::size_t>(j * kColumns + i)])
          << i << "," << j;
}

TEST(ModalityLut, SignedPixelsReadTheFirstMappedValueAsSigned) {
  // PS3.3 C.11.1.1.1: with Pixel Representation 1 the first value mapped is signed, even when
  // the descriptor is encoded as US: 65526 is -10.
  Slice s;
  s.isSigned = true;
  s.lut = quadraticLut(65526);
  s.stored = [](int i, int j) { return i + kColumns * j - 15; };  // -15..4
  const ImageVolume v = loadOne(s);
  for (int j = 0; j < kRows; ++j) {
    for (int i = 0; i < kColumns; ++i) {
      const int stored = i + kColumns * j - 15;
      const int n = std::clamp(stored + 10, 0, 15);
      EXPECT_EQ(v.valueAt(i, j, 0), 1000 + 3 * n * n) << "stored " << stored;
    }
  }
}

TEST(ModalityLut, WinsOverRescaleWhenBothArePresentAndSaysSo) {
  Slice s;
  s.lut = quadraticLut();
  s.rescale = {{2.0, -100.0}};
  const ImageVolume v = loadOne(s);
  EXPECT_EQ(v.valueAt(4, 3, 0), 1000 + 3 * 14 * 14);  // stored 19 -> entry 14
  EXPECT_TRUE(mentions(v, "both a Modality LUT and Rescale")) << v.assumptions.size();
}

TEST(ModalityLut, CtTableInHounsfieldUnitsGivesInt16) {
  Slice s;
  s.modality = "CT";
  s.lut = quadraticLut();
  s.lut->type = "HU";
  const ImageVolume v = loadOne(s);
  EXPECT_EQ(v.pixelType(), PixelType::Int16);
  EXPECT_EQ(v.valueAt(0, 0, 0), 1000);
  EXPECT_EQ(v.valueAt(4, 3, 0), 1000 + 3 * 14 * 14);
  EXPECT_EQ(v.unit, "HU");
}

TEST(ModalityLut, Monochrome1KeepsTheTableOutputAndInvertsTheDisplay) {
  // PS3.3 C.7.6.3.1.2: MONOCHROME1 says how to show values, not what they are; the Modality
  // LUT output is the value (formerly inverted within the table range: lowest + highest - v).
  Slice s;
  s.photometric = "MONOCHROME1";
  s.lut = quadraticLut();
  const ImageVolume v = loadOne(s);
  EXPECT_EQ(v.valueAt(0, 0, 0), 1000);
  EXPECT_EQ(v.valueAt(4, 3, 0), 1000 + 3 * 14 * 14);
  EXPECT_TRUE(v.dicom.displayInverted);
}

TEST(ModalityLut, EightBitEntriesPackedTwoPerWord) {
  Slice s;
  Lut lut;
  lut.descriptor = {4, 0, 8};
  lut.data = {0x1E0A, 0x3228};  // entries 10, 30, 40, 50 (low byte first)
  s.lut = lut;
  s.stored = [](int i, int) { return i; };  // 0..4, 4 clamps to the last entry
  const ImageVolume v = loadOne(s);
  const double expected[] = {10, 30, 40, 50, 50};
  for (int i = 0; i < kColumns; ++i) EXPECT_EQ(v.valueAt(i, 0, 0), expected[i]) << i;
}

TEST(ModalityLut, ShortTableIsRefusedAsCorrupt) {
  Slice s;
  s.lut = quadraticLut();
  s.lut->data.resize(10);  // 16 entries declared
  TempDir dir;
  const auto files = writeSeries(dir, {s});
  try {
    io::loadVolume(files);
    FAIL() << "a Modality LUT with 10 of 16 entries was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    const std::string what = e.what();
    EXPECT_NE(what.find("Modality LUT"), std::string::npos) << what;
    EXPECT_NE(what.find("16 entries"), std::string::npos) << what;
    EXPECT_NE(what.find(files.front().string()), std::string::npos) << what;
  }
}

TEST(ModalityLut, DescriptorWithBadBitsIsRefusedAsCorrupt) {
  Slice s;
  s.lut = quadraticLut();
  s.lut->descriptor = {16, 5, 12};
  TempDir dir;
  const auto files = writeSeries(dir, {s});
  try {
    io::loadVolume(files);
    FAIL() << "12 bits per entry was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("8 or 16 bits"), std::string::npos) << e.what();
  }
}

TEST(VoxelUnit, PetSuvTypeNamesTheSuv) {
  struct Case {
    std::string units, suvType, unit;
  };
  for (const Case& c :
       {Case{"GML", "BW", "SUVbw"}, Case{"GML", "LBM", "SUVlbm"}, Case{"GML", "IBW", "SUVibw"},
        Case{"CM2ML", "BSA", "SUVbsa"}, Case{"BQML", "", "Bq/ml"}, Case{"CNTS", "", "counts"}}) {
    Slice s;
    s.modality = "PT";
    s.petUnits = c.units;
    s.suvType = c.suvType;
    s.rescale = {{0.001, 0.0}};
    const ImageVolume v = loadOne(s);
    EXPECT_EQ(v.unit, c.unit) << c.units << " " << c.suvType;
    EXPECT_FALSE(mentions(v, "SUV Type")) << c.units;
  }
}

TEST(VoxelUnit, PetGmlWithoutSuvTypeIsTakenAsBodyWeightAndSaysSo) {
  Slice s;
  s.modality = "PT";
  s.petUnits = "GML";
  s.rescale = {{0.001, 0.0}};
  const ImageVolume v = loadOne(s);
  EXPECT_EQ(v.unit, "SUVbw");
  EXPECT_TRUE(mentions(v, "without SUV Type (0054,1006)"));
}

TEST(VoxelUnit, RealWorldMappingEqualToTheRescaleGivesItsUcumUnit) {
  Slice s;
  s.rescale = {{0.25, -500.0}};
  s.realWorld = RealWorld{0.25, -500.0, "Hz"};
  const ImageVolume v = loadOne(s);
  EXPECT_EQ(v.unit, "Hz");
  EXPECT_EQ(v.valueAt(4, 3, 0), 19 * 0.25 - 500.0);
}

TEST(VoxelUnit, RealWorldCodesOfOtherSchemesAreNotUnits) {
  Slice s;
  s.rescale = {{0.25, -500.0}};
  s.realWorld = RealWorld{0.25, -500.0, "Hz", "99LOCAL"};
  EXPECT_EQ(loadOne(s).unit, "");
}

TEST(VoxelUnit, RealWorldMappingThatIsNotTheRescaleIsOnlyReported) {
  Slice s;
  s.rescale = {{0.25, -500.0}};
  s.realWorld = RealWorld{2.0, 0.0, "mm2/s"};
  const ImageVolume v = loadOne(s);
  EXPECT_EQ(v.unit, "");
  EXPECT_TRUE(mentions(v, "to mm2/s with another slope/intercept"));
  EXPECT_EQ(v.valueAt(4, 3, 0), 19 * 0.25 - 500.0);  // the rescale, not the real-world line
}

TEST(VoxelUnit, NoUnitsCodeAndUnspecifiedRescaleTypeGiveNoUnit) {
  Slice a;
  a.realWorld = RealWorld{1.0, 0.0, "1"};  // UCUM "1": no units
  EXPECT_EQ(loadOne(a).unit, "");
  Slice b;
  b.rescale = {{2.0, 0.0}};
  b.rescaleType = "US";  // unspecified
  EXPECT_EQ(loadOne(b).unit, "");
}

TEST(VoxelUnit, DefinedRescaleTypesAreUnits) {
  for (const auto& [type, unit] : std::vector<std::pair<std::string, std::string>>{
           {"MGML", "mg/ml"}, {"PCT", "%"}, {"HU", "HU"}, {"OD", "OD"}}) {
    Slice s;
    s.rescale = {{2.0, 0.0}};
    s.rescaleType = type;
    EXPECT_EQ(loadOne(s).unit, unit) << type;
  }
}

TEST(VoxelUnit, SlicesWithDifferentUnitsLeaveTheUnitUnknown) {
  TempDir dir;
  Slice a, b;
  a.rescale = b.rescale = {{2.0, 0.0}};
  a.rescaleType = "MGML";
  b.rescaleType = "PCT";
  b.z_mm = 1.0;
  const ImageVolume v = io::loadVolume(writeSeries(dir, {a, b}));
  EXPECT_EQ(v.unit, "");
  EXPECT_TRUE(mentions(v, "different units ('%', 'mg/ml')"));
}

// A PET slice in Bq/ml: stored value i + 5 j times 100 Bq/ml.
Slice petBqMl() {
  Slice s;
  s.modality = "PT";
  s.petUnits = "BQML";
  s.rescale = {{100.0, 0.0}};
  s.pet = Slice::Pet{};
  return s;
}

ImageVolume loadSuv(const Slice& s) {
  TempDir dir;
  io::VolumeLoadOptions options;
  options.petBodyWeightSuv = true;
  return io::loadVolume(writeSeries(dir, {s}), options);
}

// SUVbw = C x weight / (dose x 2^(-t / T1/2)) (QIBA SUV; Kinahan & Fletcher 2010), written out
// here from the numbers the slice was given: 75 kg, 370 MBq injected at 10:00:00, scan at
// 11:00:00, F-18 half-life 6586.2 s (109.77 min).
double expectedSuv(double bqPerMl, double decay_s, double dose_Bq = 370e6) {
  return bqPerMl * 75000.0 / (dose_Bq * std::pow(0.5, decay_s / 6586.2));
}

TEST(PetSuv, BqMlIsConvertedWithTheDoseDecayedToTheScanStart) {
  const ImageVolume v = loadSuv(petBqMl());
  EXPECT_EQ(v.unit, "SUVbw");
  ASSERT_EQ(v.pixelType(), PixelType::Float32);
  // 2^(-3600/6586.2) = 0.684633 of the dose is left at the scan start (computed apart, in
  // Python): 1900 Bq/ml x 75000 g / (370e6 Bq x 0.684633) = 0.5625425 g/ml.
  EXPECT_NEAR(v.valueAt(4, 3, 0), expectedSuv(1900, 3600), 1e-6 * expectedSuv(1900, 3600));
  EXPECT_NEAR(v.valueAt(4, 3, 0), 0.5625425, 1e-6);
  EXPECT_NEAR(v.valueAt(1, 0, 0), expectedSuv(100, 3600), 1e-6 * expectedSuv(100, 3600));
  EXPECT_TRUE(mentions(v, "converted to body-weight SUV"));
}

TEST(PetSuv, WithoutTheOptionThePetStaysInBqMl) {
  const ImageVolume v = loadOne(petBqMl());
  EXPECT_EQ(v.unit, "Bq/ml");
  EXPECT_EQ(v.valueAt(4, 3, 0), 1900.0);
}

TEST(PetSuv, InjectionDateTimeWinsAndMayBeTheDayBefore) {
  Slice s = petBqMl();
  s.pet->injectionTime = "235959";                  // would be after the scan on its own
  s.pet->injectionDateTime = "20251231230000.000";  // 12 h before the 11:00 scan
  const ImageVolume v = loadSuv(s);
  EXPECT_NEAR(v.valueAt(4, 3, 0), expectedSuv(1900, 12 * 3600.0),
              1e-6 * expectedSuv(1900, 12 * 3600.0));
}

TEST(PetSuv, ColonAndFractionalTimesParse) {
  // TM is HHMMSS.FFFFFF; HH:MM:SS is the ACR-NEMA form still written by some systems (PS3.5
  // 6.2, TM).
  for (const auto& [injection, decay_s] : std::vector<std::pair<std::string, double>>{
           {"10:00:00", 3600.0}, {"095959.5", 3600.5}, {"0959", 3660.0}}) {
    Slice s = petBqMl();
    s.pet->injectionTime = injection;
    const ImageVolume v = loadSuv(s);
    EXPECT_NEAR(v.valueAt(4, 3, 0), expectedSuv(1900, decay_s), 1e-6 * expectedSuv(1900, decay_s))
        << injection;
  }
}

TEST(PetSuv, AdminDecayCorrectionUsesTheInjectedDoseAsItIs) {
  Slice s = petBqMl();
  s.pet->decayCorrection = "ADMIN";  // images decay corrected to the injection time
  const ImageVolume v = loadSuv(s);
  EXPECT_NEAR(v.valueAt(4, 3, 0), expectedSuv(1900, 0), 1e-6 * expectedSuv(1900, 0));
}

TEST(PetSuv, SeriesTimeAfterTheAcquisitionUsesTheAcquisitionAndSaysSo) {
  Slice s = petBqMl();
  s.pet->seriesTime = "123000";  // rewritten by post-processing, 90 min after the scan
  const ImageVolume v = loadSuv(s);
  EXPECT_NEAR(v.valueAt(4, 3, 0), expectedSuv(1900, 3600), 1e-6 * expectedSuv(1900, 3600));
  EXPECT_TRUE(mentions(v, "acquisition time was taken as the scan start"));
}

TEST(PetSuv, MissingWeightOrDoseIsAnErrorNamingTheAttribute) {
  struct Case {
    std::function<void(Slice::Pet&)> damage;
    std::string named;
  };
  for (const Case& c :
       {Case{[](Slice::Pet& p) { p.weight_kg.clear(); }, "Patient's Weight"},
        Case{[](Slice::Pet& p) { p.weight_kg = "0"; }, "Patient's Weight"},
        Case{[](Slice::Pet& p) { p.totalDose_Bq.clear(); }, "Total Dose"},
        Case{[](Slice::Pet& p) { p.halfLife_s.clear(); }, "Half Life"},
        Case{[](Slice::Pet& p) { p.injectionTime = "25"; }, "injection time"},
        Case{[](Slice::Pet& p) { p.injectionTime = "113000"; }, "after the scan"}}) {
    Slice s = petBqMl();
    c.damage(*s.pet);
    try {
      loadSuv(s);
      ADD_FAILURE() << "loaded without " << c.named;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.named), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("Bq/ml"), std::string::npos) << e.what();
    }
  }
}

TEST(PetSuv, NoDecayCorrectionIsRefused) {
  Slice s = petBqMl();
  s.pet->decayCorrection = "NONE";
  try {
    loadSuv(s);
    FAIL() << "one SUV factor was applied to slices that are not decay corrected";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("Decay Correction (0054,1102) 'NONE'"), std::string::npos)
        << e.what();
  }
}

TEST(PetSuv, AlreadySuvImagesAreLeftAlone) {
  Slice s = petBqMl();
  s.petUnits = "GML";
  s.suvType = "BW";
  s.rescale = {{0.001, 0.0}};
  const ImageVolume v = loadSuv(s);
  EXPECT_EQ(v.unit, "SUVbw");
  EXPECT_NEAR(v.valueAt(4, 3, 0), 0.019, 1e-9);
}

TEST(VolumeChoice, AVolumeBeyondTheFilesIsRefused) {
  Slice s;
  TempDir dir;
  const auto files = writeSeries(dir, {s});
  io::VolumeLoadOptions options;
  options.volume = 1;
  try {
    io::loadVolume(files, options);
    FAIL() << "volume 1 of a single-volume file was loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("hold 1 volume(s); choose 0 to 0"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace twinplan
