#pragma once
// `twinplan-cli teach present CASE` / `teach join HOST:PORT --code CODE` (issue #20 item 5):
// thin commands over the teaching module (teaching/teaching_session.h), for a lecture room
// without the GUI and for scripts. Hospital-LAN defaults: the presenter listens on 127.0.0.1
// unless --address names another interface, and every join needs the session code.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace twinplan::cli {

struct TeachPresentOptions {
  std::filesystem::path casePath;
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port
  std::string code;        // empty: a random 6-digit code
  // The presenter's changes, one JSON object a line as the wire's "change" (docs/
  // architecture.md, "Teaching sessions"): {"op": "segmentVisible", "segment": "Liver",
  // "visible": false}. "-" reads standard input. The session ends after the last line.
  std::string changes = "-";
  int participants = 0;            // wait for this many joins before the first change
  double waitFor_s = 300.0;        // ... at most this long
  std::filesystem::path portFile;  // the port is written here once listening (for scripts)
  // TLS: both PEM files or neither (teaching::HostOptions).
  std::string tlsCertificateFile;
  std::string tlsPrivateKeyFile;
};

// Hosts a session for the case; `events` gets one line per join, departure and change. Returns
// {"case", "contentHash", "address", "port", "code", "tls" (the certificate's SHA-256
// fingerprint, or null), "changes", "sequence", "participants": [names], "departures":
// [sentences]}. Throws Error(InvalidInput) for a bad change line (its
// line number in the context), Error(Network) when the address cannot be bound or nobody
// joined in time, Error(NotFound) for a missing case.
nlohmann::json runTeachPresent(const TeachPresentOptions& options, std::ostream& events);

struct TeachJoinOptions {
  std::string hostPort;  // HOST:PORT the presenter shows
  std::string code;
  std::string name = "twinplan-cli";
  std::filesystem::path casePath;  // optional: refuse when the presenter shows another case
  double timeout_s = 5.0;
  // TLS: either joins encrypted (teaching::JoinOptions).
  std::string tlsCaFile;
  std::string tlsPinnedSha256;
};

// Joins, follows the session until the presenter ends it, and returns {"presenter", "sequence",
// "state"} (the shared state at the end). Throws what the join's failure() holds (wrong code:
// InvalidInput; unreachable: Network), Error(Network) when the session was lost, and
// Error(InvalidInput) when --case is not the case the presenter shows.
nlohmann::json runTeachJoin(const TeachJoinOptions& options, std::ostream& events);

// FNV-1a 64 of the file's bytes (core/fnv1a.h) as "fnv1a64:<16 hex digits>": the same case on
// both sides. An identity check, not a security measure.
std::string caseContentHash(const std::filesystem::path& casePath);

}  // namespace twinplan::cli
