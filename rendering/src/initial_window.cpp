#include "twinplan/rendering/initial_window.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace twinplan::rendering {
namespace {

// Upper-case ASCII words of a free text; bytes of UTF-8 characters (>= 0x80) stay in words, so
// "Schädel" is the word "SCHäDEL" (only ASCII letters change case).
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out(1);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      out.back().push_back(static_cast<char>(std::toupper(c)));
    } else if (!out.back().empty()) {
      out.emplace_back();
    }
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

bool startsWithAny(const std::string& word, std::initializer_list<std::string_view> stems) {
  return std::any_of(stems.begin(), stems.end(),
                     [&](std::string_view stem) { return word.rfind(stem, 0) == 0; });
}

bool equalsAny(const std::string& word, std::initializer_list<std::string_view> terms) {
  return std::find(terms.begin(), terms.end(), word) != terms.end();
}

// Protocol names join words ("HeadSeq", "BrainRoutine"): long stems match the start of a word;
// short words only whole (CCT, TETE), so that they do not match inside other words.
bool namesHead(const std::string& word) {
  return startsWithAny(word,
                       {"HEAD", "BRAIN", "CEREBR", "CRANI", "SKULL", "KOPF", "SCHAEDEL", "SCHADEL",
                        "SCH\xC3\xA4"
                        "DEL",
                        "SCH\xC3\x84"
                        "DEL",
                        "CERVEAU", "ENCEPHAL",
                        "ENC\xC3\xA9"
                        "PHAL"}) ||
         equalsAny(word, {"CCT", "CRANE", "CR\xC3\xA2NE", "CR\xC3\x82NE", "TETE", "T\xC3\xAATE",
                          "T\xC3\x8ATE"});
}

bool namesNeck(const std::string& word) {
  return startsWithAny(word, {"NECK", "HALS"}) || equalsAny(word, {"COU", "HEADNECK"}) ||
         word.find("NECK") != std::string::npos;
}

}  // namespace

bool isHeadCt(const DicomInfo& dicom) {
  std::vector<std::string> text = words(dicom.bodyPartExamined);
  if (text.empty()) {
    text = words(dicom.seriesDescription);
    const auto study = words(dicom.studyDescription);
    text.insert(text.end(), study.begin(), study.end());
  }
  const bool head = std::any_of(text.begin(), text.end(), namesHead);
  const bool neck = std::any_of(text.begin(), text.end(), namesNeck);
  return head && !neck;
}

WindowLevel initialCtWindow(const DicomInfo& dicom) {
  return isHeadCt(dicom) ? kCtBrainWindow : kCtSoftTissueWindow;
}

bool isSuvPet(const ImageVolume& volume) {
  return volume.dicom.modality == "PT" && volume.unit.rfind("SUV", 0) == 0;
}

WindowLevel percentileWindow(const ImageVolume& volume) {
  std::vector<double> values;
  const auto& g = volume.geometry();
  const std::size_t n = volume.voxelCount();
  const std::size_t step = std::max<std::size_t>(1, n / 20000);
  for (std::size_t index = 0; index < n; index += step) {
    const auto i = static_cast<std::int64_t>(index % g.size[0]);
    const auto j = static_cast<std::int64_t>((index / g.size[0]) % g.size[1]);
    const auto k = static_cast<std::int64_t>(index / (g.size[0] * g.size[1]));
    const double value = volume.valueAt(i, j, k);
    if (!volume.isPadding(value)) values.push_back(value);
  }
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const double lo = values[values.size() / 100], hi = values[values.size() * 99 / 100];
  return {std::max(hi - lo, 1e-3), (hi + lo) / 2.0};
}

WindowLevel initialWindow(const ImageVolume& volume) {
  if (volume.planar2D && volume.dicom.windowWidth > 0)
    return {volume.dicom.windowWidth, volume.dicom.windowCenter};
  if (volume.dicom.modality == "CT") return initialCtWindow(volume.dicom);
  if (isSuvPet(volume)) return suvWindowPresets().front().window;
  return percentileWindow(volume);
}

}  // namespace twinplan::rendering
