#include "twinplan/core/job.h"

#include <algorithm>
#include <chrono>
#include <new>
#include <utility>

#include "twinplan/core/fnv1a.h"

namespace twinplan {

JobError::JobError(ErrorKind kind, std::string code, std::string message, nlohmann::json details,
                   std::string context)
    : Error(kind, std::move(message), std::move(context)),
      code_(std::move(code)),
      details_(std::move(details)) {}

std::string errorCode(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidInput:
      return "invalid-input";
    case ErrorKind::Unsupported:
      return "unsupported";
    case ErrorKind::Corrupt:
      return "corrupt";
    case ErrorKind::NotFound:
      return "not-found";
    case ErrorKind::Io:
      return "io";
    case ErrorKind::Network:
      return "network";
    case ErrorKind::Internal:
      return "internal";
  }
  return "internal";
}

const char* toString(JobState state) {
  switch (state) {
    case JobState::Succeeded:
      return "succeeded";
    case JobState::Failed:
      return "failed";
    case JobState::Cancelled:
      return "cancelled";
  }
  return "failed";
}

nlohmann::json errorJson(const std::exception& error) {
  if (const auto* jobError = dynamic_cast<const JobError*>(&error))
    return {{"code", jobError->code()},
            {"kind", std::string(toString(jobError->kind()))},
            {"message", jobError->what()},
            {"context", jobError->context()},
            {"details", jobError->details()}};
  if (const auto* e = dynamic_cast<const Error*>(&error))
    return {{"code", errorCode(e->kind())},
            {"kind", std::string(toString(e->kind()))},
            {"message", e->what()},
            {"context", e->context()},
            {"details", nlohmann::json::object()}};
  const bool memory = dynamic_cast<const std::bad_alloc*>(&error) != nullptr;
  return {{"code", memory ? "out-of-memory" : "internal"},
          {"kind", "internal"},
          {"message", memory ? std::string("Not enough memory for this job.")
                             : std::string("Internal error: ") + error.what()},
          {"context", ""},
          {"details", nlohmann::json::object()}};
}

nlohmann::json JobStatus::toJson(const Job& job) const {
  nlohmann::json status = {{"job", job.kind()},
                           {"state", toString(state)},
                           {"parameters", job.parameters()},
                           {"elapsed_s", elapsed_s}};
  if (state == JobState::Succeeded) status["result"] = result;
  if (state == JobState::Failed) status["error"] = error;
  return status;
}

CaseCheckpoints::CaseCheckpoints(Case& twin, std::function<void(const Case&)> persist)
    : case_(twin), persist_(std::move(persist)) {}

std::optional<JobCheckpoint> CaseCheckpoints::load(const std::string& jobId) {
  for (const JobCheckpoint& checkpoint : case_.checkpoints)
    if (checkpoint.jobId == jobId) return checkpoint;
  return std::nullopt;
}

void CaseCheckpoints::save(JobCheckpoint checkpoint) {
  auto same = std::find_if(case_.checkpoints.begin(), case_.checkpoints.end(),
                           [&](const JobCheckpoint& c) { return c.jobId == checkpoint.jobId; });
  if (same == case_.checkpoints.end()) {
    case_.checkpoints.push_back(std::move(checkpoint));
  } else {
    *same = std::move(checkpoint);
  }
  if (persist_) persist_(case_);
}

void CaseCheckpoints::clear(const std::string& jobId) {
  const auto removed =
      std::erase_if(case_.checkpoints, [&](const JobCheckpoint& c) { return c.jobId == jobId; });
  if (removed > 0 && persist_) persist_(case_);
}

std::string jobIdentity(const std::string& kind, const nlohmann::json& parameters) {
  return kind + "-" + Fnv1a64().add(parameters.dump()).hex();
}

JobStatus runJob(Job& job, Progress& progress, CheckpointStore* checkpoints) {
  JobStatus status;
  const auto start = std::chrono::steady_clock::now();
  try {
    status.result = job.run(progress, checkpoints);
    status.state = JobState::Succeeded;
  } catch (const Cancelled&) {
    status.state = JobState::Cancelled;
  } catch (const std::exception& e) {
    status.state = JobState::Failed;
    status.error = errorJson(e);
  }
  status.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return status;
}

}  // namespace twinplan
