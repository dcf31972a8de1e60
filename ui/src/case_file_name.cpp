#include "twinplan/ui/case_file_name.h"

#include <cstring>

namespace twinplan::ui {
namespace {

constexpr std::size_t kMaxStem_bytes = 120;

std::string personName(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (c == '^') c = '_';
  while (!out.empty() && out.back() == '_') out.pop_back();  // empty trailing components
  return out;
}

std::string isoDate(const std::string& da) {
  if (da.size() != 8) return da;
  return da.substr(0, 4) + "-" + da.substr(4, 2) + "-" + da.substr(6, 2);
}

std::string fileSystemSafe(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    const bool forbidden = c < 0x20 || c == 0x7f || std::strchr("/\\:*?\"<>|", c) != nullptr;
    const char next = forbidden ? '_' : static_cast<char>(c);
    if (next == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(next);
  }
  if (out.size() > kMaxStem_bytes) {
    std::size_t cut = kMaxStem_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  while (!out.empty() && (out.front() == ' ' || out.front() == '.')) out.erase(0, 1);
  return out;
}

}  // namespace

std::string defaultCaseFileName(const Case& twin) {
  const DicomInfo* dicom = twin.volumes.empty() ? nullptr : &twin.volumes.front().dicom;
  const std::string patient = personName(!twin.patientName.empty() ? twin.patientName
                                         : dicom                   ? dicom->patientName
                                                                   : "");
  std::string stem = patient;
  auto append = [&stem](const std::string& part) {
    if (part.empty()) return;
    if (!stem.empty()) stem += ' ';
    stem += part;
  };
  if (dicom) {
    append(isoDate(dicom->studyDate));
    const std::string& description =
        !dicom->studyDescription.empty() ? dicom->studyDescription : dicom->seriesDescription;
    // "CT Abdomen" already says the modality: not "CT CT Abdomen".
    if (description.rfind(dicom->modality + " ", 0) != 0) append(dicom->modality);
    append(description);
  }
  stem = fileSystemSafe(stem);
  if (stem.empty()) stem = fileSystemSafe(twin.name);
  if (stem.empty()) stem = "case";
  return stem + ".twinplan";
}

}  // namespace twinplan::ui
