#pragma once
// Reading a job's "parameters" object: every error names the member and says what is expected.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/error.h"

namespace twinplan::engine {

class JobParameters {
 public:
  JobParameters(const nlohmann::json& parameters, std::string kind, std::filesystem::path baseDir);

  std::string text(const char* name, std::optional<std::string> fallback = std::nullopt) const;
  std::filesystem::path file(const char* name,
                             std::optional<std::string> fallback = std::nullopt) const;
  double number(const char* name, double fallback, double lo, double hi) const;
  long long integer(const char* name, long long fallback, long long lo, long long hi) const;
  bool boolean(const char* name, bool fallback) const;
  std::vector<std::string> texts(const char* name) const;  // [] when absent
  // A list of paths, each resolved like file().
  std::vector<std::filesystem::path> files(const char* name) const;
  bool has(const char* name) const { return parameters_.contains(name); }
  // Throws for members the job does not know (a typo must not be silently ignored).
  void rejectUnknown(const std::vector<std::string>& known) const;

 private:
  [[noreturn]] void fail(const char* name, const std::string& what) const;
  const nlohmann::json* find(const char* name) const;
  nlohmann::json parameters_;
  std::string kind_;
  std::filesystem::path baseDir_;
};

}  // namespace twinplan::engine
