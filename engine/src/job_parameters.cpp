#include "job_parameters.h"

#include <algorithm>
#include <cmath>

namespace twinplan::engine {

JobParameters::JobParameters(const nlohmann::json& parameters, std::string kind,
                             std::filesystem::path baseDir)
    : parameters_(parameters), kind_(std::move(kind)), baseDir_(std::move(baseDir)) {
  if (!parameters_.is_object())
    throw Error(ErrorKind::InvalidInput,
                "The \"parameters\" of a " + kind_ + " job must be a JSON object.", "parameters");
}

void JobParameters::fail(const char* name, const std::string& what) const {
  throw Error(ErrorKind::InvalidInput,
              "Parameter \"" + std::string(name) + "\" of the " + kind_ + " job " + what + ".",
              std::string("parameters.") + name);
}

const nlohmann::json* JobParameters::find(const char* name) const {
  const auto it = parameters_.find(name);
  return it == parameters_.end() || it->is_null() ? nullptr : &*it;
}

std::string JobParameters::text(const char* name, std::optional<std::string> fallback) const {
  const nlohmann::json* value = find(name);
  if (!value) {
    if (!fallback) fail(name, "is required");
    return *fallback;
  }
  if (!value->is_string()) fail(name, "must be a string");
  return value->get<std::string>();
}

std::filesystem::path JobParameters::file(const char* name,
                                          std::optional<std::string> fallback) const {
  const std::filesystem::path path = text(name, std::move(fallback));
  if (path.empty() || path.is_absolute()) return path;
  return baseDir_ / path;
}

std::vector<std::filesystem::path> JobParameters::files(const char* name) const {
  std::vector<std::filesystem::path> paths;
  for (const std::string& text : texts(name)) {
    const std::filesystem::path path = text;
    paths.push_back(path.is_absolute() ? path : baseDir_ / path);
  }
  return paths;
}

double JobParameters::number(const char* name, double fallback, double lo, double hi) const {
  const nlohmann::json* value = find(name);
  if (!value) return fallback;
  if (!value->is_number()) fail(name, "must be a number");
  const double x = value->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    fail(name, "must be between " + nlohmann::json(lo).dump() + " and " +
                   nlohmann::json(hi).dump() + " (it is " + value->dump() + ")");
  return x;
}

long long JobParameters::integer(const char* name, long long fallback, long long lo,
                                 long long hi) const {
  const nlohmann::json* value = find(name);
  if (!value) return fallback;
  if (!value->is_number_integer()) fail(name, "must be a whole number");
  const long long x = value->get<long long>();
  if (x < lo || x > hi)
    fail(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " (it is " +
                   std::to_string(x) + ")");
  return x;
}

bool JobParameters::boolean(const char* name, bool fallback) const {
  const nlohmann::json* value = find(name);
  if (!value) return fallback;
  if (!value->is_boolean()) fail(name, "must be true or false");
  return value->get<bool>();
}

std::vector<std::string> JobParameters::texts(const char* name) const {
  const nlohmann::json* value = find(name);
  if (!value) return {};
  if (!value->is_array() ||
      !std::all_of(value->begin(), value->end(), [](const auto& v) { return v.is_string(); }))
    fail(name, "must be a list of strings");
  return value->get<std::vector<std::string>>();
}

void JobParameters::rejectUnknown(const std::vector<std::string>& known) const {
  for (const auto& [name, value] : parameters_.items())
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw Error(ErrorKind::InvalidInput,
                  "The " + kind_ + " job has no parameter \"" + name + "\"; its parameters are " +
                      list + ".",
                  "parameters." + name);
    }
}

}  // namespace twinplan::engine
