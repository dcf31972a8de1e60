#include "dicom_scan_text.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcspchrs.h>
#include <iconv.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace twinplan::io::detail {
namespace {

bool isPlainAscii(std::string_view text) {
  // ESC (0x1B) starts an ISO 2022 escape sequence, so text holding one needs decoding.
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || byte == 0x1B;
  });
}

std::string trimCharsetTerm(std::string_view term) {
  const auto first = term.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  const auto last = term.find_last_not_of(' ');
  return std::string(term.substr(first, last - first + 1));
}

std::vector<std::string> charsetTerms(std::string_view specificCharacterSet) {
  std::vector<std::string> terms;
  std::size_t start = 0;
  while (true) {
    const auto end = specificCharacterSet.find('\\', start);
    terms.push_back(trimCharsetTerm(specificCharacterSet.substr(start, end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return terms;
}

// Converts with iconv in one go; false when iconv cannot open or meets an invalid sequence.
bool iconvToUtf8(const std::string& input, const char* fromEncoding, std::string& utf8) {
  iconv_t converter = ::iconv_open("UTF-8", fromEncoding);
  if (converter == reinterpret_cast<iconv_t>(-1)) return false;
  std::string output(input.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(input.data());  // iconv's API is not const-correct
  std::size_t inLeft = input.size();
  char* out = output.data();
  std::size_t outLeft = output.size();
  const std::size_t result = ::iconv(converter, &in, &inLeft, &out, &outLeft);
  ::iconv_close(converter);
  if (result == static_cast<std::size_t>(-1) || inLeft != 0) return false;
  output.resize(output.size() - outLeft);
  utf8 = std::move(output);
  return true;
}

}  // namespace

bool isValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length;
    std::uint32_t codePoint;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      codePoint = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      codePoint = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      codePoint = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xC0) != 0x80) return false;
      codePoint = (codePoint << 6) | (continuation & 0x3F);
    }
    // Reject overlong forms, surrogates and values beyond Unicode.
    static constexpr std::uint32_t kSmallestOfLength[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (codePoint < kSmallestOfLength[length] || codePoint > 0x10FFFF ||
        (codePoint >= 0xD800 && codePoint <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

std::string utf8OrLatin1(std::string_view text) {
  if (isValidUtf8(text)) return std::string(text);
  std::string utf8;
  utf8.reserve(text.size() * 2);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      utf8.push_back(c);
    } else {
      utf8.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  return utf8;
}

bool decodeJapaneseIso2022(std::string_view raw, std::string_view specificCharacterSet,
                           std::string& utf8) {
  bool japanese = false, halfWidthKatakana = false;
  for (const std::string& term : charsetTerms(specificCharacterSet)) {
    if (term == "ISO 2022 IR 13" || term == "ISO_IR 13") {
      japanese = halfWidthKatakana = true;
    } else if (term == "ISO 2022 IR 87" || term == "ISO 2022 IR 159") {
      japanese = true;
    } else if (!term.empty() && term != "ISO 2022 IR 6") {
      return false;
    }
  }
  if (!japanese) return false;
  // Re-encode as EUC-JP, which holds all of JIS X 0201 / 0208 / 0212 without escapes, and let
  // iconv do the table look-up: X 0208 pairs get the high bit set, X 0212 pairs are prefixed by
  // SS3 (0x8F), half-width katakana (G1 of ISO 2022 IR 13) by SS2 (0x8E).
  enum class G0 { SingleByte, JisX0208, JisX0212 };
  G0 g0 = G0::SingleByte;
  std::string eucJp;
  eucJp.reserve(raw.size() + 8);
  std::size_t i = 0;
  const auto byteAt = [&](std::size_t k) { return static_cast<unsigned char>(raw[k]); };
  while (i < raw.size()) {
    const unsigned char byte = byteAt(i);
    if (byte == 0x1B) {
      const std::string_view rest = raw.substr(i + 1);
      if (rest.starts_with("(B") || rest.starts_with("(J")) {
        g0 = G0::SingleByte;
        i += 3;
      } else if (rest.starts_with("$B") || rest.starts_with("$@")) {
        g0 = G0::JisX0208;
        i += 3;
      } else if (rest.starts_with("$(D")) {
        g0 = G0::JisX0212;
        i += 4;
      } else if (rest.starts_with(")I")) {
        i += 3;  // G1 = katakana: the high bytes below already mean that
      } else {
        return false;
      }
      continue;
    }
    if (halfWidthKatakana && byte >= 0xA1 && byte <= 0xDF) {
      eucJp.push_back(static_cast<char>(0x8E));
      eucJp.push_back(static_cast<char>(byte));
      ++i;
      continue;
    }
    if (byte >= 0x80) return false;
    const bool pairFollows = i + 1 < raw.size() && byte >= 0x21 && byte <= 0x7E &&
                             byteAt(i + 1) >= 0x21 && byteAt(i + 1) <= 0x7E;
    if (g0 != G0::SingleByte && pairFollows) {
      if (g0 == G0::JisX0212) eucJp.push_back(static_cast<char>(0x8F));
      eucJp.push_back(static_cast<char>(byte | 0x80));
      eucJp.push_back(static_cast<char>(byteAt(i + 1) | 0x80));
      i += 2;
      continue;
    }
    eucJp.push_back(static_cast<char>(byte));
    ++i;
  }
  return iconvToUtf8(eucJp, "EUC-JP", utf8);
}

TextDecoder::TextDecoder() = default;
TextDecoder::~TextDecoder() = default;

DcmSpecificCharacterSet* TextDecoder::converterFor(std::string_view specificCharacterSet) {
  if (auto found = converters_.find(specificCharacterSet); found != converters_.end())
    return found->second.get();
  auto converter = std::make_unique<DcmSpecificCharacterSet>();
  const OFString fromCharset(specificCharacterSet.data(), specificCharacterSet.size());
  if (converter->selectCharacterSet(fromCharset).bad()) converter.reset();
  auto* result = converter.get();
  converters_.emplace(std::string(specificCharacterSet), std::move(converter));
  return result;
}

std::string TextDecoder::decode(std::string_view raw, std::string_view specificCharacterSet,
                                TextVr vr) {
  if (isPlainAscii(raw)) return std::string(raw);
  // Japanese first: DCMTK would fail on it anyway, and log an error while doing so.
  std::string japanese;
  if (decodeJapaneseIso2022(raw, specificCharacterSet, japanese)) return japanese;
  if (DcmSpecificCharacterSet* converter = converterFor(specificCharacterSet)) {
    OFString utf8;
    const OFString delimiters = vr == TextVr::PersonName ? "\\^=" : "\\";
    if (converter->convertString(raw.data(), raw.size(), utf8, delimiters).good() &&
        isValidUtf8(std::string_view(utf8.c_str(), utf8.length())))
      return std::string(utf8.c_str(), utf8.length());
  }
  return utf8OrLatin1(raw);
}

}  // namespace twinplan::io::detail
