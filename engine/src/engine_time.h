#pragma once
// The time of a provenance record, ISO-8601 UTC ("2026-12-05T03:21:15Z").
#include <chrono>
#include <ctime>
#include <string>

namespace twinplan::engine {

inline std::string utcNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace twinplan::engine
