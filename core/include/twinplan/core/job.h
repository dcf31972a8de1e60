#pragma once
// Jobs: long work with JSON parameters in, progress and cancel, and a JSON status and result out
// (after Orthanc's job engine). The same job runs in the GUI (background, progress bar, Cancel),
// the CLI (foreground, `twinplan-cli run JOB.json`) and on a cluster later (one CLI call per
// job). docs/architecture.md ("Jobs") documents the schema.
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "twinplan/core/case.h"
#include "twinplan/core/error.h"
#include "twinplan/core/progress.h"

namespace twinplan {

// An error with a stable machine-readable code and details, for the failures a caller may want
// to act on by program: {"code": "solver-diverged", "details": {"step": 412, "residual": 3e4}}.
// Any other twinplan::Error gets the code of its kind ("invalid-input", "not-found", ...).
class JobError : public Error {
 public:
  JobError(ErrorKind kind, std::string code, std::string message,
           nlohmann::json details = nlohmann::json::object(), std::string context = {});
  const std::string& code() const { return code_; }
  const nlohmann::json& details() const { return details_; }

 private:
  std::string code_;
  nlohmann::json details_;
};

// The stable code of an error kind: "invalid-input", "unsupported", "corrupt", "not-found",
// "io", "network", "internal".
std::string errorCode(ErrorKind kind);

// Where a job keeps the state it can resume from (a simulation's time step and fields, the
// models already built). The CLI keeps it in the job's output case file, written after each
// save, so that Ctrl-C or a killed cluster task loses at most the work since the last
// checkpoint; `twinplan-cli run` on the same job file then resumes.
class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;
  virtual std::optional<JobCheckpoint> load(const std::string& jobId) = 0;
  virtual void save(JobCheckpoint checkpoint) = 0;
  virtual void clear(const std::string& jobId) = 0;
};

// Checkpoints kept in a case's `checkpoints` list; `persist` (optional) is called after each
// change, e.g. to write the case file.
class CaseCheckpoints final : public CheckpointStore {
 public:
  explicit CaseCheckpoints(Case& twin, std::function<void(const Case&)> persist = {});
  std::optional<JobCheckpoint> load(const std::string& jobId) override;
  void save(JobCheckpoint checkpoint) override;
  void clear(const std::string& jobId) override;

 private:
  Case& case_;
  std::function<void(const Case&)> persist_;
};

// A job's identity for checkpoints: "<kind>-<16 hex digits>" from a stable 64-bit FNV-1a hash
// of its parameters' JSON text, so a rerun of the same job finds its checkpoint and a job with
// other parameters does not.
std::string jobIdentity(const std::string& kind, const nlohmann::json& parameters);

class Job {
 public:
  virtual ~Job() = default;
  // The kind, as in a job file's "job" member ("import-series", "build-models").
  virtual std::string kind() const = 0;
  // The validated parameters, with defaults filled in, as JSON (echoed in the status).
  virtual nlohmann::json parameters() const = 0;
  // Does the work. Returns the result as JSON. Throws Error/JobError on failure, Cancelled when
  // progress asks to stop. `checkpoints` may be null (no resume).
  virtual nlohmann::json run(Progress& progress, CheckpointStore* checkpoints) = 0;
};

enum class JobState { Succeeded, Failed, Cancelled };
const char* toString(JobState state);

// What became of a job, as a front end shows it and the CLI prints it.
struct JobStatus {
  JobState state = JobState::Failed;
  nlohmann::json result;  // on success
  nlohmann::json error;   // on failure: code, kind, message, context, details
  double elapsed_s = 0.0;
  nlohmann::json toJson(const Job& job) const;
};

// Runs `job` to its end and reports how it ended; never throws for the job's own failures
// (Error, Cancelled, std::exception are all turned into a status).
JobStatus runJob(Job& job, Progress& progress, CheckpointStore* checkpoints = nullptr);

// The error part of a status for any exception (also used by the CLI for its other commands).
nlohmann::json errorJson(const std::exception& error);

}  // namespace twinplan
