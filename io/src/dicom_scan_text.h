#pragma once
// Decoding of DICOM text attributes (PN, LO, SH, ...) to UTF-8 for the header scanner, using
// the file's Specific Character Set (0008,0005).
#include <map>
#include <memory>
#include <string>
#include <string_view>

class DcmSpecificCharacterSet;

namespace twinplan::io::detail {

// Which delimiters reset ISO 2022 code extensions (PS3.5 6.1.2.5.3): person names also
// reset at '^' and '='.
enum class TextVr { PersonName, Other };

// Converts text attribute values to UTF-8. Keeps one DCMTK converter per distinct Specific
// Character Set, because opening iconv per file would dominate the scan time. Not thread-safe:
// one decoder per scanning thread.
class TextDecoder {
 public:
  TextDecoder();
  ~TextDecoder();
  TextDecoder(const TextDecoder&) = delete;
  TextDecoder& operator=(const TextDecoder&) = delete;

  // `raw` is the value as stored in the file (all values, '\'-separated); `specificCharacterSet`
  // the raw (0008,0005) value. Always returns valid UTF-8: when the declared character set
  // cannot be decoded, the bytes are kept if they are valid UTF-8 and read as Latin-1 otherwise
  // (the most common undeclared encoding in practice).
  std::string decode(std::string_view raw, std::string_view specificCharacterSet, TextVr vr);

 private:
  // The converter for a character set, or nullptr when DCMTK cannot convert it (cached too).
  DcmSpecificCharacterSet* converterFor(std::string_view specificCharacterSet);

  std::map<std::string, std::unique_ptr<DcmSpecificCharacterSet>, std::less<>> converters_;
};

// True when `text` is well-formed UTF-8.
bool isValidUtf8(std::string_view text);

// `text` itself when it is valid UTF-8, otherwise each byte read as Latin-1.
std::string utf8OrLatin1(std::string_view text);

// Decodes Japanese ISO 2022 text (ISO 2022 IR 13 / IR 87 / IR 159 with escape sequences), which
// DCMTK cannot do on glibc because glibc's iconv has no "ISO-IR-87" / "JIS_X0201" names.
// Returns false when `specificCharacterSet` names no Japanese set, or names a set besides them,
// or the text uses an escape sequence or byte it does not understand.
bool decodeJapaneseIso2022(std::string_view raw, std::string_view specificCharacterSet,
                           std::string& utf8);

}  // namespace twinplan::io::detail
