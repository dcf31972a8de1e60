#pragma once
// The catalogue of jobs a job file can name, for `twinplan-cli run JOB.json` and batch runs.
// A job file is {"job": KIND, "parameters": {...}}; docs/architecture.md ("Jobs") documents the
// kinds, their parameters and the status JSON, and `twinplan-cli jobs` prints this catalogue.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twinplan/core/job.h"

namespace twinplan::engine {

struct JobParameterInfo {
  std::string name, type, description;
  nlohmann::json defaultValue;  // null: required
};
struct JobKindInfo {
  std::string kind, summary;
  std::vector<JobParameterInfo> parameters;
};
const std::vector<JobKindInfo>& jobCatalogue();
nlohmann::json catalogueJson();

// The job a description names, its parameters validated and defaults filled in before any work.
// Relative paths resolve against `baseDir` (a job file's folder). Throws Error(InvalidInput)
// naming the member that is missing, of the wrong type or out of range, and the job kinds when
// the kind is unknown.
std::unique_ptr<Job> makeJob(const nlohmann::json& description,
                             const std::filesystem::path& baseDir = {});

// An image grid as the jobs and the CLI print it: size, spacing_mm, origin_lps, direction (rows).
nlohmann::json geometryJson(const ImageGeometry& geometry);

// Reads and parses a job file. Throws Error(NotFound/Io) for the file, Error(InvalidInput) for
// JSON that does not parse (with the line).
nlohmann::json readJobFile(const std::filesystem::path& file);

}  // namespace twinplan::engine
