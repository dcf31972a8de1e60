#include "teach_command.h"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <span>

#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/core/fnv1a.h"
#include "twinplan/teaching/teaching_session.h"

namespace twinplan::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The loop period: the session's heartbeats are every 0.25 s, so 20 ms is plenty.
constexpr int kService_ms = 20;

// Reads the change lines without blocking the session: standard input or a file, read as it
// becomes available (poll(2) on the descriptor).
class ChangeLines {
 public:
  explicit ChangeLines(const std::string& source) {
    if (source == "-") {
      fd_ = STDIN_FILENO;
      return;
    }
    file_ = std::fopen(source.c_str(), "rb");
    if (file_ == nullptr) {
      throw Error(ErrorKind::NotFound,
                  "The file of teaching changes could not be opened; check the path.", source);
    }
    fd_ = ::fileno(file_);
  }
  ~ChangeLines() {
    if (file_ != nullptr) std::fclose(file_);
  }
  ChangeLines(const ChangeLines&) = delete;
  ChangeLines& operator=(const ChangeLines&) = delete;

  // The complete lines that have arrived; `ended` once the source is exhausted.
  std::vector<std::string> take() {
    pollfd p{fd_, POLLIN, 0};
    while (!ended && ::poll(&p, 1, 0) == 1) {
      char buffer[4096];
      const auto n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) {
        ended = true;
        break;
      }
      pending_.append(buffer, std::size_t(n));
    }
    std::vector<std::string> lines;
    for (std::size_t end; (end = pending_.find('\n')) != std::string::npos;) {
      lines.push_back(pending_.substr(0, end));
      pending_.erase(0, end + 1);
    }
    if (ended && !pending_.empty()) lines.push_back(std::exchange(pending_, {}));
    return lines;
  }
  bool ended = false;

 private:
  int fd_ = -1;
  FILE* file_ = nullptr;
  std::string pending_;
};

teaching::StateChange parseChange(const std::string& line, int number) {
  try {
    return teaching::changeFromJson(json::parse(line));
  } catch (const json::exception& e) {
    throw Error(ErrorKind::InvalidInput,
                "Teaching change line " + std::to_string(number) + " is not JSON: " + e.what() +
                    ". Write one JSON object a line.",
                "line " + std::to_string(number));
  } catch (const Error& e) {
    throw Error(ErrorKind::InvalidInput,
                "Teaching change line " + std::to_string(number) + ": " + e.what(),
                "line " + std::to_string(number));
  }
}

void reportDepartures(const teaching::Presenter& presenter, std::size_t& reported,
                      std::ostream& events) {
  const auto departures = presenter.departures();
  for (; reported < departures.size(); ++reported)
    events << "left: " << departures[reported] << std::endl;
}

}  // namespace

std::string caseContentHash(const fs::path& casePath) {
  std::ifstream in(casePath, std::ios::binary);
  if (!in) throw Error(ErrorKind::NotFound, "The case file could not be read.", casePath.string());
  Fnv1a64 hash;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    hash.add(std::as_bytes(std::span(buffer, std::size_t(in.gcount()))));
  return "fnv1a64:" + hash.hex();
}

json runTeachPresent(const TeachPresentOptions& options, std::ostream& events) {
  const CaseFileInfo info = readCaseFileInfo(options.casePath);  // a case, not any file
  const std::string caseId =
      info.caseName.empty() ? options.casePath.stem().string() : info.caseName;
  const std::string hash = caseContentHash(options.casePath);
  teaching::Presenter presenter;
  presenter.apply(teaching::ShowData{caseId, hash});
  teaching::HostOptions host;
  host.address = options.address;
  host.port = options.port;
  host.sessionCode = options.code;
  host.tlsCertificateFile = options.tlsCertificateFile;
  host.tlsPrivateKeyFile = options.tlsPrivateKeyFile;
  presenter.start(host);
  events << "Teaching session for '" << caseId << "' on " << options.address << ":"
         << presenter.port() << ", session code " << presenter.sessionCode() << std::endl;
  if (presenter.encrypted())
    events << "TLS certificate SHA-256 fingerprint " << presenter.certificateFingerprint()
           << std::endl;
  if (!options.portFile.empty()) std::ofstream(options.portFile) << presenter.port() << '\n';

  std::set<std::uint64_t> announced;
  std::size_t departed = 0;
  const auto followJoins = [&] {
    for (const auto& p : presenter.participants())
      if (announced.insert(p.id).second) events << "joined: " << p.name << std::endl;
    reportDepartures(presenter, departed, events);
  };
  const auto deadline = Clock::now() + std::chrono::duration<double>(options.waitFor_s);
  while (int(presenter.participants().size()) < options.participants) {
    if (Clock::now() > deadline) {
      throw Error(ErrorKind::Network,
                  std::to_string(presenter.participants().size()) + " of " +
                      std::to_string(options.participants) + " participants joined within " +
                      std::to_string(int(options.waitFor_s)) +
                      " s; give them the address and code shown, or lower --participants.",
                  options.address + ":" + std::to_string(presenter.port()));
    }
    presenter.service(kService_ms);
    followJoins();
  }

  ChangeLines lines(options.changes);
  int lineNumber = 0, applied = 0;
  while (!lines.ended) {
    presenter.service(kService_ms);
    followJoins();
    for (const std::string& line : lines.take()) {
      ++lineNumber;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const auto sequence = presenter.apply(parseChange(line, lineNumber));
      events << "change " << sequence << ": " << line << std::endl;
      ++applied;
    }
  }
  // Let the last changes reach the participants before saying bye.
  for (int i = 0; i < 5; ++i) presenter.service(kService_ms);
  json participants = json::array();
  for (const auto& p : presenter.participants()) participants.push_back(p.name);
  presenter.stop();
  followJoins();
  return {{"case", caseId},
          {"contentHash", hash},
          {"address", options.address},
          {"port", presenter.port()},
          {"code", presenter.sessionCode()},
          {"tls", presenter.encrypted() ? json(presenter.certificateFingerprint()) : json()},
          {"changes", applied},
          {"sequence", presenter.sequence()},
          {"participants", participants},
          {"departures", presenter.departures()}};
}

json runTeachJoin(const TeachJoinOptions& options, std::ostream& events) {
  const auto colon = options.hostPort.rfind(':');
  teaching::JoinOptions join;
  try {
    if (colon == std::string::npos || colon == 0) throw std::invalid_argument("no port");
    join.host = options.hostPort.substr(0, colon);
    const int port = std::stoi(options.hostPort.substr(colon + 1));
    if (port < 1 || port > 65535) throw std::out_of_range("port");
    join.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    throw Error(ErrorKind::InvalidInput,
                "Give the session as HOST:PORT, as the presenter's screen shows it (for example "
                "127.0.0.1:41234), not '" +
                    options.hostPort + "'.",
                "HOST:PORT");
  }
  join.sessionCode = options.code;
  join.name = options.name;
  join.timeout_s = options.timeout_s;
  join.tlsCaFile = options.tlsCaFile;
  join.tlsPinnedSha256 = options.tlsPinnedSha256;
  teaching::Participant participant;
  participant.join(join);
  using Phase = teaching::Participant::Phase;
  while (participant.phase() == Phase::Joining) participant.service(kService_ms);
  if (participant.failure()) throw *participant.failure();
  const teaching::SessionState first = participant.state();
  events << "Joined " << options.hostPort << ": case '" << first.caseId << "', update "
         << participant.sequence() << std::endl;
  if (!options.casePath.empty() && caseContentHash(options.casePath) != first.contentHash) {
    participant.leave();
    throw Error(ErrorKind::InvalidInput,
                "The presenter shows case '" + first.caseId + "' (" + first.contentHash +
                    "), which is not " + options.casePath.string() +
                    ": get the presenter's case file before the session.",
                options.casePath.string());
  }
  participant.onApplied(
      [&](std::uint64_t sequence) { events << "update " << sequence << std::endl; });
  while (participant.phase() == Phase::Joined) participant.service(kService_ms);
  if (participant.failure()) {
    throw Error(participant.failure()->kind(),
                std::string("The teaching session ended: ") + participant.failure()->what(),
                options.hostPort);
  }
  events << "The session ended: " << participant.disconnectReason() << std::endl;
  return {{"presenter", options.hostPort},
          {"sequence", participant.sequence()},
          {"reason", participant.disconnectReason()},
          {"state", teaching::toJson(participant.state())}};
}

}  // namespace twinplan::cli
