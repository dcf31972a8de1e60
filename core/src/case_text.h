#pragma once
// Locale-independent number text and small byte helpers shared by the case-file codecs.
// Everything here uses std::to_chars / std::from_chars: a user's locale (de_DE writes "1,5")
// must never change what a case file says (DESIGN.md section 6).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace twinplan::casefile {

// Shortest text that reads back as the same double, with '.' as decimal point.
std::string formatDouble(double value);
std::string formatInt(std::int64_t value);
// The whole of `text` must be the number (no spaces, no trailing characters).
std::optional<double> parseDouble(std::string_view text);
std::optional<std::int64_t> parseInt(std::string_view text);

std::string_view trim(std::string_view text);
std::vector<std::string_view> splitWhitespace(std::string_view text);

// Joins text pieces by appending. Used where GCC 12 misreports "literal" + std::string as
// -Wrestrict (GCC PR105329).
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string text;
  (text.append(std::string_view(parts)), ...);
  return text;
}

std::uint32_t crc32Of(std::string_view bytes);
std::string crc32Hex(std::uint32_t crc);  // 8 lower-case hex digits

inline std::span<const std::byte> asBytes(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

// Little-endian scalar I/O on byte strings (the host is checked to be little-endian).
template <class T>
void appendRaw(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

}  // namespace twinplan::casefile
