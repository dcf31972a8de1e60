#include "dicom_scan_header.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmf.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>

#include "twinplan/core/error.h"

namespace fs = std::filesystem;

namespace twinplan::io::detail {
namespace {

// Parsing stops at the first top-level element at or after this tag, i.e. before Float /
// Double Float Pixel Data (7FE0,0008/0009) and Pixel Data (7FE0,0010): DCMTK's stop test is
// "tag >= stop tag", checked on the main data set only, so functional groups (5200,xxxx) and
// everything else before the pixels is still read.
const DcmTagKey kFirstPixelDataTag(0x7FE0, 0x0008);

std::string trimmed(std::string_view text) {
  const auto isPadding = [](char c) { return c == ' ' || c == '\0'; };
  while (!text.empty() && isPadding(text.front())) text.remove_prefix(1);
  while (!text.empty() && isPadding(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// The whole stored value (all values joined by '\'), padding removed; empty when absent.
std::string rawValue(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  return trimmed(std::string_view(value.c_str(), value.length()));
}

// An IS value as a number; nullopt when absent, empty or not a whole number ("1A").
std::optional<long> integerString(const std::string& value) {
  std::string_view text = value;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  long number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

template <std::size_t N>
std::optional<std::array<double, N>> decimalValues(DcmItem& item, const DcmTagKey& tag) {
  DcmElement* element = nullptr;
  if (item.findAndGetElement(tag, element).bad() || element->getVM() < N) return std::nullopt;
  std::array<double, N> values{};
  for (std::size_t i = 0; i < N; ++i) {
    Float64 value = 0.0;
    if (element->getFloat64(value, static_cast<unsigned long>(i)).bad()) return std::nullopt;
    values[i] = value;
  }
  return values;
}

// The first item of `sequence` within `item`, or nullptr.
DcmItem* firstItem(DcmItem* item, const DcmTagKey& sequence) {
  DcmItem* found = nullptr;
  if (item == nullptr || item->findAndGetSequenceItem(sequence, found, 0).bad()) return nullptr;
  return found;
}

// Position and orientation of the first frame: top level for classic images, else from the
// first Per-frame Functional Groups item or the Shared Functional Groups (enhanced images; a
// macro sits in one of the two, PS3.3 C.7.6.16).
void readFirstFrameGeometry(DcmDataset& dataset, DicomInstance& instance) {
  if (auto position = decimalValues<3>(dataset, DCM_ImagePositionPatient))
    instance.imagePosition_lps = Vec3((*position)[0], (*position)[1], (*position)[2]);
  if (auto orientation = decimalValues<6>(dataset, DCM_ImageOrientationPatient))
    instance.imageOrientation = *orientation;
  if (instance.imagePosition_lps && instance.imageOrientation) return;

  DcmItem* perFrame = firstItem(&dataset, DCM_PerFrameFunctionalGroupsSequence);
  DcmItem* shared = firstItem(&dataset, DCM_SharedFunctionalGroupsSequence);
  for (DcmItem* groups : {perFrame, shared}) {
    if (!instance.imagePosition_lps) {
      if (DcmItem* plane = firstItem(groups, DCM_PlanePositionSequence))
        if (auto position = decimalValues<3>(*plane, DCM_ImagePositionPatient))
          instance.imagePosition_lps = Vec3((*position)[0], (*position)[1], (*position)[2]);
    }
    if (!instance.imageOrientation) {
      if (DcmItem* plane = firstItem(groups, DCM_PlaneOrientationSequence))
        if (auto orientation = decimalValues<6>(*plane, DCM_ImageOrientationPatient))
          instance.imageOrientation = *orientation;
    }
  }
}

bool isKnownVr(unsigned char first, unsigned char second) {
  static constexpr std::array<const char*, 34> kVrs = {
      "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT",
      "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
      "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
  return std::any_of(kVrs.begin(), kVrs.end(), [&](const char* vr) {
    return vr[0] == static_cast<char>(first) && vr[1] == static_cast<char>(second);
  });
}

// Data sets begin with a low even group: file meta (0002) written without preamble, or the
// identifying group (0008), or a later one when writers drop groups.
bool isPlausibleFirstGroup(unsigned group) { return group % 2 == 0 && group >= 2 && group <= 0x28; }

}  // namespace

FileStart inspectFileStart(const fs::path& file) {
  std::error_code error;
  const std::uintmax_t size = fs::file_size(file, error);
  std::ifstream in(file, std::ios::binary);
  if (error || !in) {
    return {FileStart::Kind::Unreadable, EXS_Unknown, 0,
            "The file cannot be opened for reading (" +
                (error ? error.message() : std::string(std::strerror(errno))) +
                "); check its permissions."};
  }
  std::array<unsigned char, 132> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  const auto count = static_cast<std::size_t>(in.gcount());
  if (count == 132 && std::memcmp(head.data() + 128, "DICM", 4) == 0)
    return {FileStart::Kind::Part10, EXS_Unknown, size};
  if (count < 8) {
    return {FileStart::Kind::NotDicom, EXS_Unknown, size,
            "Not a DICOM file: it is only " + std::to_string(count) + " bytes long."};
  }
  if (count < 132 && std::all_of(head.begin(), head.begin() + count, [](auto b) { return !b; })) {
    return {FileStart::Kind::NotDicom, EXS_Unknown, size,
            "Truncated: the file is only " + std::to_string(count) +
                " bytes long and holds nothing but the zero bytes of a DICOM preamble."};
  }
  const unsigned groupLittle = head[0] | (head[1] << 8);
  const unsigned groupBig = (head[0] << 8) | head[1];
  const bool explicitVr = isKnownVr(head[4], head[5]);
  if (isPlausibleFirstGroup(groupLittle)) {
    if (groupLittle == 0x0002) return {FileStart::Kind::MetaWithoutPreamble, EXS_Unknown, size};
    if (explicitVr) return {FileStart::Kind::BareDataSet, EXS_LittleEndianExplicit, size};
    const std::uint32_t length =
        head[4] | (head[5] << 8) | (head[6] << 16) | (static_cast<std::uint32_t>(head[7]) << 24);
    if (length == 0xFFFFFFFFu || length <= size - 8)
      return {FileStart::Kind::BareDataSet, EXS_LittleEndianImplicit, size};
  }
  if (isPlausibleFirstGroup(groupBig) && explicitVr)
    return {FileStart::Kind::BareDataSet, EXS_BigEndianExplicit, size};
  return {FileStart::Kind::NotDicom, EXS_Unknown, size,
          "Not a DICOM file: it has no \"DICM\" marker at byte 128 and does not begin with a "
          "DICOM data element."};
}

namespace {

std::uint32_t readUint32(const unsigned char* bytes, bool bigEndian) {
  return bigEndian ? (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                         (std::uint32_t{bytes[2]} << 8) | bytes[3]
                   : (std::uint32_t{bytes[3]} << 24) | (std::uint32_t{bytes[2]} << 16) |
                         (std::uint32_t{bytes[1]} << 8) | bytes[0];
}

unsigned readUint16(const unsigned char* bytes, bool bigEndian) {
  return bigEndian ? (bytes[0] << 8) | bytes[1] : (bytes[1] << 8) | bytes[0];
}

// Why the pixel data element where parsing stopped cannot be complete, from its declared
// length (native) or its fragment item headers (encapsulated) against the file size; empty when
// it may be complete or there is none. Reads element and item headers, never pixel values.
std::string pixelDataTruncation(DcmInputStream& stream, E_TransferSyntax syntax,
                                const fs::path& file, std::uintmax_t fileSize) {
  // Positions in a deflated stream are not file offsets.
  if (syntax == EXS_DeflatedLittleEndianExplicit || syntax == EXS_Unknown) return {};
  const DcmXfer xfer(syntax);
  const bool bigEndian = xfer.isBigEndian();
  // DCMTK stops after reading the stop element's tag and length, so the stream sits at the
  // start of the value; the header is re-read from the file (pixel VRs have 4-byte lengths).
  const std::size_t headerSize = xfer.isExplicitVR() ? 12 : 8;
  std::uintmax_t position = static_cast<std::uintmax_t>(stream.tell());
  if (position < headerSize || position > fileSize) return {};
  std::array<unsigned char, 12> header{};
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(position - headerSize));
  in.read(reinterpret_cast<char*>(header.data()), static_cast<std::streamsize>(headerSize));
  if (static_cast<std::size_t>(in.gcount()) != headerSize) return {};
  const unsigned group = readUint16(header.data(), bigEndian);
  const unsigned element = readUint16(header.data() + 2, bigEndian);
  if (group != 0x7FE0 || (element != 0x0008 && element != 0x0009 && element != 0x0010)) return {};
  const std::uint32_t length = readUint32(header.data() + headerSize - 4, bigEndian);
  if (length != 0xFFFFFFFFu) {
    if (position + length <= fileSize) return {};
    return "Truncated pixel data: Pixel Data declares " + std::to_string(length) +
           " bytes but the file ends " + std::to_string(fileSize - position) +
           " bytes after its start, so the image cannot be loaded.";
  }
  // Encapsulated fragments (PS3.5 A.4): items, always little endian, up to a delimiter.
  for (std::size_t item = 0;; ++item) {
    std::array<unsigned char, 8> itemHeader{};
    if (stream.read(itemHeader.data(), 8) < 8) {
      return "Truncated pixel data: the encapsulated Pixel Data ends after " +
             std::to_string(item) + " item(s) without its sequence delimiter.";
    }
    position += 8;
    const unsigned itemGroup = readUint16(itemHeader.data(), false);
    const unsigned itemElement = readUint16(itemHeader.data() + 2, false);
    const std::uint32_t itemLength = readUint32(itemHeader.data() + 4, false);
    if (itemGroup == 0xFFFE && itemElement == 0xE0DD) return {};
    if (itemGroup != 0xFFFE || itemElement != 0xE000 || itemLength == 0xFFFFFFFFu) {
      return "Corrupt pixel data: after " + std::to_string(item) +
             " item(s) the encapsulated Pixel Data holds something other than a fragment item.";
    }
    if (position + itemLength > fileSize) {
      return "Truncated pixel data: fragment " + std::to_string(item) + " declares " +
             std::to_string(itemLength) + " bytes but the file ends " +
             std::to_string(fileSize - position) + " bytes after its start.";
    }
    if (static_cast<std::uintmax_t>(stream.skip(itemLength)) < itemLength) return {};
    position += itemLength;
  }
}

std::string loadFailureReason(const OFCondition& status) {
  return std::string(
             "The DICOM header ends early or is corrupt, so the file cannot be trusted "
             "(probably a truncated copy; DCMTK: ") +
         status.text() + ").";
}

}  // namespace

void configureDcmtkForReading() {
  static std::once_flag once;
  std::call_once(once, [] {
    OFLog::getLogger("dcmtk").setLogLevel(OFLogger::OFF_LOG_LEVEL);
    dcmEnableUnknownVRConversion.set(OFTrue);
  });
}

HeaderReader::HeaderReader() {
  configureDcmtkForReading();
  if (!dcmDataDict.isDictionaryLoaded()) {
    throw Error(ErrorKind::Internal,
                "DCMTK's data dictionary is not loaded, so no DICOM file can be read; reinstall "
                "libdcmtk17 or set DCMDICTPATH to its dicom.dic.",
                "DCMDICTPATH");
  }
}

HeaderReadResult HeaderReader::read(const fs::path& file) {
  HeaderReadResult result;
  const FileStart start = inspectFileStart(file);
  if (start.kind == FileStart::Kind::NotDicom || start.kind == FileStart::Kind::Unreadable) {
    result.skipReason = start.whyNot;
    return result;
  }

  DcmFileFormat fileFormat;
  DcmInputFileStream stream(OFFilename(file.c_str()));
  OFCondition status = stream.status();
  if (status.good()) {
    // What DcmFileFormat::loadFileUntilTag does, with the stream kept so that the pixel data
    // element that follows can be checked. Values longer than DCM_MaxReadLength (4 KiB) stay on
    // disk and are loaded only on access, which keeps RT contour data out of memory.
    const bool bare = start.kind == FileStart::Kind::BareDataSet;
    fileFormat.setReadMode(bare ? ERM_dataset : ERM_autoDetect);
    fileFormat.transferInit();
    status = fileFormat.readUntilTag(stream, bare ? start.bareDataSetSyntax : EXS_Unknown,
                                     EGL_noChange, DCM_MaxReadLength, kFirstPixelDataTag);
    fileFormat.transferEnd();
  }
  if (status.bad()) {
    result.skipReason = loadFailureReason(status);
    return result;
  }
  // The pixel values are not read, but a file cut short inside them is found from the element
  // lengths alone, so that the index does not offer an image that cannot be loaded.
  if (std::string truncated =
          pixelDataTruncation(stream, fileFormat.getDataset()->getOriginalXfer(), file, start.size);
      !truncated.empty()) {
    result.skipReason = std::move(truncated);
    return result;
  }

  DcmMetaInfo& meta = *fileFormat.getMetaInfo();
  DcmDataset& dataset = *fileFormat.getDataset();
  const std::string metaSopClass = rawValue(meta, DCM_MediaStorageSOPClassUID);
  if (metaSopClass == UID_MediaStorageDirectoryStorage ||
      dataset.tagExists(DCM_DirectoryRecordSequence)) {
    result.outcome = HeaderReadResult::Outcome::DicomDir;
    return result;
  }

  ScannedHeader& header = result.header;
  DicomInstance& instance = header.instance;
  instance.file = file;
  instance.sopClassUid = rawValue(dataset, DCM_SOPClassUID);
  if (instance.sopClassUid.empty()) instance.sopClassUid = metaSopClass;
  instance.sopInstanceUid = rawValue(dataset, DCM_SOPInstanceUID);
  if (instance.sopInstanceUid.empty())
    instance.sopInstanceUid = rawValue(meta, DCM_MediaStorageSOPInstanceUID);
  header.seriesInstanceUid = rawValue(dataset, DCM_SeriesInstanceUID);

  if (dataset.card() == 0) {
    result.skipReason = "A DICOM file meta header without a data set.";
    return result;
  }
  if (header.seriesInstanceUid.empty()) {
    result.skipReason =
        "No SeriesInstanceUID (0020,000E): the file cannot be placed in any series.";
    return result;
  }
  if (instance.sopInstanceUid.empty()) {
    result.skipReason =
        "No SOPInstanceUID (0008,0018): the file cannot be told apart from other files.";
    return result;
  }

  instance.transferSyntaxUid = rawValue(meta, DCM_TransferSyntaxUID);
  if (instance.transferSyntaxUid.empty())
    instance.transferSyntaxUid = DcmXfer(dataset.getOriginalXfer()).getXferID();

  Uint16 rows = 0, columns = 0;
  if (dataset.findAndGetUint16(DCM_Rows, rows).good()) instance.rows = rows;
  if (dataset.findAndGetUint16(DCM_Columns, columns).good()) instance.columns = columns;
  // Objects without an image (RT structure sets and plans, SR, ...) have no frames at all.
  instance.frames = instance.rows > 0 && instance.columns > 0 ? 1 : 0;
  const std::string numberOfFrames = rawValue(dataset, DCM_NumberOfFrames);
  if (!numberOfFrames.empty()) {
    const auto frames = integerString(numberOfFrames);
    if (!frames || *frames < 1 || *frames > 1'000'000) {
      result.skipReason = "NumberOfFrames (0028,0008) is \"" + utf8OrLatin1(numberOfFrames) +
                          "\", not a positive whole number, so the frames cannot be counted.";
      return result;
    }
    instance.frames = static_cast<int>(*frames);
  }
  // Other IS values are informative only: an unreadable one is treated as absent.
  instance.instanceNumber =
      static_cast<int>(integerString(rawValue(dataset, DCM_InstanceNumber)).value_or(0));
  header.seriesNumber =
      static_cast<int>(integerString(rawValue(dataset, DCM_SeriesNumber)).value_or(0));
  instance.imageType = rawValue(dataset, DCM_ImageType);
  readFirstFrameGeometry(dataset, instance);

  const std::string charset = rawValue(dataset, DCM_SpecificCharacterSet);
  const auto text = [&](const DcmTagKey& tag, TextVr vr = TextVr::Other) {
    return text_.decode(rawValue(dataset, tag), charset, vr);
  };
  header.patientName = text(DCM_PatientName, TextVr::PersonName);
  header.patientId = text(DCM_PatientID);
  header.patientBirthDate = rawValue(dataset, DCM_PatientBirthDate);
  header.patientSex = rawValue(dataset, DCM_PatientSex);
  header.studyInstanceUid = rawValue(dataset, DCM_StudyInstanceUID);
  header.studyDate = rawValue(dataset, DCM_StudyDate);
  header.studyTime = rawValue(dataset, DCM_StudyTime);
  header.studyDescription = text(DCM_StudyDescription);
  header.accessionNumber = text(DCM_AccessionNumber);
  header.modality = rawValue(dataset, DCM_Modality);
  header.seriesDescription = text(DCM_SeriesDescription);
  header.seriesDate = rawValue(dataset, DCM_SeriesDate);
  header.seriesTime = rawValue(dataset, DCM_SeriesTime);
  header.frameOfReferenceUid = rawValue(dataset, DCM_FrameOfReferenceUID);
  header.protocolName = text(DCM_ProtocolName);
  result.outcome = HeaderReadResult::Outcome::Indexed;
  return result;
}

namespace {

// `relative` under `root`, matching each component case-insensitively when the exact name is
// absent: media written on ISO 9660 / FAT file systems often change the case of names.
std::optional<fs::path> resolveReferencedFile(const fs::path& root,
                                              const std::vector<std::string>& components) {
  fs::path exact = root;
  for (const auto& component : components) exact /= component;
  std::error_code error;
  if (fs::is_regular_file(exact, error)) return exact;

  const auto sameIgnoringCase = [](const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  fs::path current = root;
  for (const auto& component : components) {
    std::optional<fs::path> match;
    for (fs::directory_iterator entry(current, error), end; !error && entry != end;
         entry.increment(error)) {
      if (sameIgnoringCase(entry->path().filename().string(), component)) {
        match = entry->path();
        break;
      }
    }
    if (!match) return std::nullopt;
    current = *match;
  }
  if (fs::is_regular_file(current, error)) return current;
  return std::nullopt;
}

}  // namespace

namespace {
DicomDirContents readDicomDirRecords(const fs::path& dicomDir);
}  // namespace

DicomDirContents readDicomDir(const fs::path& dicomDir) {
  try {
    return readDicomDirRecords(dicomDir);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // DCMTK 3.6.7 throws std::out_of_range on some malformed directory records (found by
    // fuzzing): a damaged DICOMDIR is a user's file problem, not an internal error.
    throw Error(ErrorKind::Corrupt,
                std::string("The DICOMDIR is damaged (") + e.what() + "); scan its folder instead.",
                dicomDir.string());
  }
}

namespace {

DicomDirContents readDicomDirRecords(const fs::path& dicomDir) {
  configureDcmtkForReading();
  DcmFileFormat fileFormat;
  const OFCondition status = fileFormat.loadFile(OFFilename(dicomDir.c_str()));
  if (status.bad()) {
    throw Error(ErrorKind::Corrupt,
                std::string("The DICOMDIR cannot be read (DCMTK: ") + status.text() +
                    "); scan its folder instead.",
                dicomDir.string());
  }
  DicomDirContents contents;
  DcmSequenceOfItems* records = nullptr;
  if (fileFormat.getDataset()->findAndGetSequence(DCM_DirectoryRecordSequence, records).bad() ||
      records == nullptr)
    return contents;

  const fs::path root = dicomDir.parent_path();
  std::set<fs::path> listed;
  for (unsigned long i = 0; i < records->card(); ++i) {
    DcmItem* record = records->getItem(i);
    Uint16 inUse = 0xFFFF;
    // Records flagged inactive (0000) were deleted from the file-set without being removed.
    if (record->findAndGetUint16(DCM_RecordInUseFlag, inUse).good() && inUse == 0) continue;
    const std::string referenced = rawValue(*record, DCM_ReferencedFileID);
    if (referenced.empty()) continue;

    std::vector<std::string> components;
    bool safe = true;
    std::size_t begin = 0;
    while (true) {
      const auto end = referenced.find('\\', begin);
      std::string component = trimmed(std::string_view(referenced).substr(begin, end - begin));
      // A component may not climb out of the file-set or name an absolute path.
      if (component.empty() || component == "." || component == ".." ||
          component.find('/') != std::string::npos)
        safe = false;
      components.push_back(std::move(component));
      if (end == std::string::npos) break;
      begin = end + 1;
    }
    const std::string shown = utf8OrLatin1(referenced);
    if (!safe) {
      contents.problems.push_back(
          {root / shown, "The DICOMDIR references \"" + shown +
                             "\", which is not a valid path inside the file-set; it was ignored."});
      continue;
    }
    const auto resolved = resolveReferencedFile(root, components);
    if (!resolved) {
      fs::path expected = root;
      for (const auto& component : components) expected /= component;
      contents.problems.push_back(
          {expected, "Referenced by the DICOMDIR but missing (the medium is incomplete)."});
      continue;
    }
    if (listed.insert(*resolved).second) contents.files.push_back(*resolved);
  }
  return contents;
}

}  // namespace
}  // namespace twinplan::io::detail
