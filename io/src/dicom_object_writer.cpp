#include "dicom_object_writer.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <system_error>

#include "twinplan/core/error.h"
#include "twinplan/io/dicom_writer.h"

namespace twinplan::io::detail {

void ItemWriter::check(const OFCondition& condition, const DcmTagKey& tag,
                       const std::string& value) const {
  if (condition.good()) return;
  DcmTag named(tag);
  throw Error(ErrorKind::InvalidInput,
              "Could not write " + std::string(named.getTagName()) + " " + tag.toString().c_str() +
                  " = '" + (value.size() > 200 ? value.substr(0, 200) + "..." : value) +
                  "' in the " + object_ + ": " + condition.text() +
                  ". The value does not fit the attribute's DICOM type; change it and retry.",
              tag.toString().c_str());
}

void ItemWriter::text(const DcmTagKey& tag, const std::string& value) {
  // DCMTK stores any string, so the VR's value length limit (PS3.5 6.2: LO 64, SH 16, CS 16,
  // DS 16, UI 64 ...) is checked here, per value of a multi-valued string.
  const DcmTag named(tag);
  const Uint32 limit = DcmVR(named.getEVR()).getMaxValueLength();
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t end = std::min(value.find('\\', start), value.size());
    // Limits count characters; ours are UTF-8 (ISO_IR 192): count code points, not bytes.
    const auto characters = static_cast<std::size_t>(
        std::count_if(value.begin() + static_cast<std::ptrdiff_t>(start),
                      value.begin() + static_cast<std::ptrdiff_t>(end),
                      [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
    if (characters > limit)
      throw Error(ErrorKind::InvalidInput,
                  "Could not write " + std::string(DcmTag(tag).getTagName()) + " " +
                      tag.toString().c_str() + " = '" + value + "' in the " + object_ + ": " +
                      OFCondition(EC_MaximumLengthViolated).text() + " (" +
                      std::to_string(characters) + " characters; VR " +
                      DcmVR(named.getEVR()).getVRName() + " holds " + std::to_string(limit) +
                      "). Shorten it and retry.",
                  tag.toString().c_str());
    start = end + 1;
  }
  check(item_.putAndInsertString(DcmTag(tag), value.c_str()), tag, value);
}

void ItemWriter::u16(const DcmTagKey& tag, Uint16 value) {
  check(item_.putAndInsertUint16(DcmTag(tag), value), tag, std::to_string(value));
}

void ItemWriter::u16s(const DcmTagKey& tag, const std::vector<Uint16>& values) {
  check(item_.putAndInsertUint16Array(DcmTag(tag), values.data(),
                                      static_cast<unsigned long>(values.size())),
        tag, std::to_string(values.size()) + " values");
}

void ItemWriter::bytes(const DcmTagKey& tag, const std::vector<Uint8>& values) {
  check(item_.putAndInsertUint8Array(DcmTag(tag), values.data(),
                                     static_cast<unsigned long>(values.size())),
        tag, std::to_string(values.size()) + " bytes");
}

void ItemWriter::tagKey(const DcmTagKey& tag, const DcmTagKey& value) {
  check(item_.putAndInsertTagKey(DcmTag(tag), value), tag, value.toString().c_str());
}

void ItemWriter::u32s(const DcmTagKey& tag, const std::vector<Uint32>& values) {
  check(item_.putAndInsertUint32Array(DcmTag(tag), values.data(),
                                      static_cast<unsigned long>(values.size())),
        tag, std::to_string(values.size()) + " values");
}

ItemWriter ItemWriter::append(const DcmTagKey& tag) {
  DcmItem* child = nullptr;
  check(item_.findOrCreateSequenceItem(DcmTag(tag), child, -2), tag, "a new item");
  return ItemWriter(*child, object_);
}

void ItemWriter::code(const DcmTagKey& tag, const CodedConcept& coded) {
  ItemWriter c = append(tag);
  c.text(DCM_CodeValue, coded.value);
  c.text(DCM_CodingSchemeDesignator, coded.scheme);
  c.text(DCM_CodeMeaning, coded.meaning);
}

void writePatientAndStudy(ItemWriter& w, const DicomInfo& d) {
  w.text(DCM_SpecificCharacterSet, "ISO_IR 192");  // our strings are UTF-8
  w.text(DCM_PatientName, d.patientName);
  w.text(DCM_PatientID, d.patientId);
  w.text(DCM_PatientBirthDate, d.patientBirthDate);
  w.text(DCM_PatientSex, d.patientSex);
  w.text(DCM_StudyInstanceUID, d.studyInstanceUid);
  w.text(DCM_StudyDate, d.studyDate);
  w.text(DCM_StudyTime, d.studyTime);
  w.text(DCM_StudyDescription, d.studyDescription);
  w.text(DCM_AccessionNumber, d.accessionNumber);
  w.text(DCM_ReferringPhysicianName, "");
  w.text(DCM_StudyID, "");
}

std::string writeRtObjectHeader(ItemWriter& w, const DicomInfo& dicom, const char* sopClassUid,
                                const char* modality, const std::string& seriesDescription,
                                const std::string& sopInstanceUid) {
  writePatientAndStudy(w, dicom);
  const std::string uid = sopInstanceUid.empty() ? makeDicomUid(UidKind::Instance) : sopInstanceUid;
  w.text(DCM_SOPClassUID, sopClassUid);
  w.text(DCM_SOPInstanceUID, uid);
  w.text(DCM_Modality, modality);
  w.text(DCM_SeriesInstanceUID, makeDicomUid(UidKind::Series));
  w.text(DCM_SeriesNumber, "1");
  w.text(DCM_SeriesDescription, seriesDescription);
  w.text(DCM_OperatorsName, "");
  w.text(DCM_FrameOfReferenceUID, dicom.frameOfReferenceUid);
  w.text(DCM_PositionReferenceIndicator, "");
  w.text(DCM_Manufacturer, "TwinPlan");
  w.text(DCM_InstanceCreationDate, dicomDate());
  w.text(DCM_InstanceCreationTime, dicomTime());
  return uid;
}

namespace {
std::string formatNow(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, format, &local);
  return buffer;
}
}  // namespace

std::string dicomDate() { return formatNow("%Y%m%d"); }
std::string dicomTime() { return formatNow("%H%M%S"); }

std::string decimalString(double value) {
  // DS holds at most 16 characters (PS3.5 6.2): the most significant digits that fit (10 keep
  // 0.810547 mm spacings and positions such as -235.199997 exact).
  char buffer[32];
  for (int digits = 10; digits >= 1; --digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value == 0.0 ? 0.0 : value);
    if (std::string(buffer).size() <= 16) break;
  }
  return std::string(buffer) == "-0" ? "0" : buffer;
}

void saveAtomically(DcmFileFormat& file, const std::filesystem::path& path,
                    E_TransferSyntax syntax) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path(), ec);
  const fs::path temporary = path.string() + ".partial";
  const OFCondition saved = file.saveFile(temporary.c_str(), syntax);
  if (saved.bad()) {
    fs::remove(temporary, ec);
    throw Error(ErrorKind::Io,
                "Could not write the DICOM file " + path.string() + ": " + saved.text() +
                    ". Check that the folder is writable and the disk is not full.",
                path.string());
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw Error(ErrorKind::Io, "Could not move the DICOM file into place at " + path.string() + ".",
                path.string());
  }
}

}  // namespace twinplan::io::detail
